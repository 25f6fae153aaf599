"""Loss functions behind ember.nn.functional: mse_loss, l1_loss, smooth_l1_loss, huber_loss,
nll_loss, cross_entropy, binary_cross_entropy (with and without logits) and kl_div, and the
legacy size_average / reduce flags.

The loss gradients are a constant mask (or a formula in ember ops) times the incoming
gradient, so they can be differentiated again.
"""

import math
import warnings

import numpy as np

from .._dtype import result_type
from .._errors import note
from .._tensor import Size, Tensor, _make
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled
from ..autograd.grad_mode import no_grad
from ..autograd.graph import name_saved, raise_modified
from ._nn_common import as_kernel, kernel_arg, kernel_args, kernel_input, kernel_node, kernel_result
from ._op import broadcast_shapes_error, check_tensor, formula_node, record, refuse_tangents
from .activation import log_softmax, logsigmoid, softplus
from .elementwise import add_scalar as _add_scalar
from .elementwise import div_scalar as _div_scalar
from .elementwise import mul_scalar as _mul_scalar
from .elementwise import sub_scalar as _sub_scalar
from .elementwise import where, xlogy
from .linalg import _word
from .shape import cat, stack

# -- reductions and shared checks -------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, emit_warning=True):
    """The reduction the old size_average / reduce flags stand for."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' "
            "instead.",
            UserWarning,
            stacklevel=3,
        )
    return ret


# PyTorch's saved ``reduction``: the at::Reduction enum's value
_REDUCTION_ENUM = {"none": 0, "mean": 1, "sum": 2}


def _saved_reduction(i):
    """A ``_saved_reduction`` field: the reduction saved at position i, as PyTorch's enum."""
    return lambda node: _REDUCTION_ENUM[node._field(i, False)]


def _kernel_reduction(node):
    """A kernel node's ``_saved_reduction`` (its function takes the legacy flags too)."""
    a = kernel_args(node)
    reduction = a["reduction"]
    if a["size_average"] is not None or a["reduce"] is not None:
        reduction = legacy_reduction(a["size_average"], a["reduce"], False)
    return _REDUCTION_ENUM[reduction]


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def _reduce_np(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.asarray(loss.sum(), loss.dtype)
    if not loss.size:
        return np.array(np.nan, loss.dtype)
    return np.asarray(loss.sum() / loss.dtype.type(loss.size), loss.dtype)


def _scaled(g, reduction, n):
    """The upstream gradient spread over the elements (divided by n for 'mean')."""
    return g / n if reduction == "mean" and n else g


def _size_warning(xd, td):
    if xd.shape != td.shape:
        warnings.warn(
            f"Using a target size ({Size(td.shape)!r}) that is different to the input size "
            f"({Size(xd.shape)!r}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning, stacklevel=3)


def _loss_arrays(input, target, name):
    check_tensor(input, name, "input", 1)
    check_tensor(target, name, "target", 2)
    xd, td = input._data, target._data
    if xd.dtype is not td.dtype:
        rt = result_type(input, target).np
        xd, td = xd.astype(rt, copy=False), td.astype(rt, copy=False)
    return xd, td


def _check_no_grad(t, fn, arg):
    if t is not None and t._requires_grad and _grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


# -- regression losses: functions of input - target -------------------------------------------
def _mse_grad_x(g, x, t, reduction, n):
    scale = 2.0 / n if reduction == "mean" else 2.0
    return g * scale * (x - t)


def _mse_grad_t(g, x, t, reduction, n):
    scale = 2.0 / n if reduction == "mean" else 2.0
    return g * scale * (t - x)


def _mse_jvp(ts, inputs, saved, out):
    # 2 (x - t) (t_x - t_t), reduced as the loss is
    x, t, reduction, n = saved
    tx, tt = ts
    d = tx if tt is None else -tt if tx is None else tx - tt
    e = 2 * (x - t) * d
    if reduction == "none":
        return e
    return e.sum() / n if reduction == "mean" else e.sum()


_MseLoss = formula_node("MseLossBackward0", _mse_grad_x, _mse_grad_t, arrays=True, jvp=_mse_jvp)
name_saved(_MseLoss, self=0, target=1, reduction=_saved_reduction(2))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum) of the squared differences."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    check_tensor(input, "mse_loss", "input", 1)
    check_tensor(target, "mse_loss", "target", 2)
    xd, td = input._data, target._data
    if xd.dtype.kind == "c" or td.dtype.kind == "c":
        rt = result_type(input, target)
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{rt.word}'")
    _size_warning(xd, td)
    _check_reduction(reduction)
    if weight is not None:
        return _reduce(weight * (input - target) ** 2, reduction)
    if xd.dtype is not td.dtype:
        rt = result_type(input, target).np
        xd, td = xd.astype(rt, copy=False), td.astype(rt, copy=False)
    try:
        diff = xd - td
    except ValueError:
        raise broadcast_shapes_error(xd.shape, td.shape) from None
    sq = diff * diff
    n = sq.size
    if reduction == "none":
        out = sq
    elif reduction == "sum":
        out = sq.sum()
    else:
        out = sq.sum() / sq.dtype.type(n) if n else np.array(np.nan, sq.dtype)
    return record(np.asarray(out, sq.dtype), _MseLoss, (input, target),
                  (input, target, reduction, n))


def _pair_loss_node(name, deriv, param):
    """A loss of (input - target) elementwise: gradient deriv(d) for input, minus it for
    target. ``param``: the name PyTorch gives deriv's parameter."""
    def grad_x(g, x, t, reduction, n, param):
        return _scaled(g, reduction, n) * deriv(x - t, param)

    def grad_t(g, x, t, reduction, n, param):
        return -(_scaled(g, reduction, n) * deriv(x - t, param))

    return name_saved(formula_node(name, grad_x, grad_t), self=0, target=1,
                      reduction=_saved_reduction(2), **{param: 4})


def _pair_loss(input, target, reduction, name, fwd, node, param):
    xd, td = _loss_arrays(input, target, name)
    try:
        diff = xd - td
    except ValueError:
        raise broadcast_shapes_error(xd.shape, td.shape) from None
    loss = fwd(diff, param)
    return record(_reduce_np(loss, reduction), node, (input, target),
                  (input, target, reduction, loss.size, param))


def _smooth_l1_np(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _huber_np(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


_SmoothL1 = _pair_loss_node("SmoothL1LossBackward0", lambda d, beta: (d / beta).clamp(-1, 1),
                            "beta")
_Huber = _pair_loss_node("HuberLossBackward0", lambda d, delta: d.clamp(-delta, delta), "delta")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum) of |input - target|; with weight, sum(weight * |.|) / sum(weight)."""
    _size_warning(input._data, target._data)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    err = (input - target).abs()
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        err = err * weight
        if reduction == "mean":
            return err.sum() / weight.sum()
    _check_reduction(reduction)
    return _reduce(err, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 * d**2 / beta where |d| < beta, |d| - 0.5 * beta elsewhere (d = input - target)."""
    _size_warning(input._data, target._data)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pair_loss(input, target, reduction, "smooth_l1_loss", _smooth_l1_np, _SmoothL1,
                      beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 * d**2 where |d| < delta, delta * (|d| - 0.5 * delta) elsewhere."""
    _size_warning(input._data, target._data)
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _pair_loss(input, target, reduction, "huber_loss", _huber_np, _Huber, delta)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = _pair_loss(input, target, "none", "huber_loss", _huber_np, _Huber, delta) * weight
    return _reduce(loss, reduction)


# -- classification losses --------------------------------------------------------------------
class _NllGrad:
    """The constant mask of nll_loss's gradient: -weight[target] / denominator at each target
    class, zero elsewhere. Built on first use (in the backward), not in the forward.

    ``args``: the op's (input, target, weight, ignore_index, denominator), held to show them
    as PyTorch's node does (its ``_saved_*``) and to check that the target, whose values
    ``index`` reads, was not changed in place since (PyTorch's error, as for a saved tensor)."""

    __slots__ = ("shape", "dtype", "index", "coef", "args", "version")

    def __init__(self, shape, dtype, index, coef, args):
        self.shape, self.dtype, self.index, self.coef, self.args = shape, dtype, index, coef, args
        self.version = args[1]._version[0]

    def mask(self):
        target = self.args[1]
        if target._version[0] != self.version:
            raise_modified(target._data, target._version[0], self.version, target._grad_fn,
                           counter=target._version)
        m = np.zeros(self.shape, self.dtype)
        if m.ndim == 2:  # (batch, classes): one fancy assignment
            m[np.arange(m.shape[0]), self.index[:, 0]] = -self.coef[:, 0]
        else:
            np.put_along_axis(m, self.index, -self.coef, axis=1)
        return _make(m)


def _nll_grad(g, spec, reduction, squeeze):
    m = spec.mask()
    if g.__class__ is np.ndarray:  # a first-order backward (see FormulaNode.arrays)
        m = m._data
        if squeeze:
            m = m.squeeze(0)
        if reduction == "none" and g.ndim:
            g = np.expand_dims(g, 1 if not squeeze else 0)
        return g * m
    if squeeze:
        m = m.squeeze(0)
    if reduction == "none" and g.ndim:
        g = g.unsqueeze(1 if not squeeze else 0)
    return g * m


def _nll_jvp(ts, inputs, saved, out):
    # linear in the input: the weighted (negated) tangent at each target, reduced
    spec, reduction, squeeze = saved
    m = spec.mask()
    if squeeze:
        m = m.squeeze(0)
    picked = ts[0] * m
    if reduction == "none":
        return picked.sum(0 if squeeze else 1)
    return picked.sum()


def _nll_total_weight(node):
    """PyTorch's total_weight: the weights summed over the targets not ignored (0 for
    reduction 'none'), a 0-d tensor."""
    spec, reduction = node._field(0, False), node._field(1, False)
    if reduction == "none":
        total = 0
    elif reduction == "sum":
        total = spec.coef.sum()
    else:
        total = spec.args[4]
    return _make(np.asarray(total, spec.dtype))


def _nll_arg(k):
    return lambda node: node._field(0, False).args[k]


_NllLoss = formula_node("NllLossBackward0", _nll_grad, arrays=True, jvp=_nll_jvp)
_NllLoss2d = formula_node("NllLoss2DBackward0", _nll_grad, arrays=True, jvp=_nll_jvp)
for _cls in (_NllLoss, _NllLoss2d):
    name_saved(_cls, self=_nll_arg(0), target=_nll_arg(1), weight=_nll_arg(2),
               ignore_index=_nll_arg(3), reduction=_saved_reduction(1),
               total_weight=_nll_total_weight)
_NllLossView = formula_node("ViewBackward0", _nll_grad, arrays=True, jvp=_nll_jvp)


def _nll_release(node):
    """After backward: drop what the node holds (its mask and the op's tensors, which it keeps
    to show them), keeping the numbers it shows, as PyTorch frees its saved tensors."""
    if node._store is not None:
        node.keep_fields()
        node._store = None


_NllLoss.release = _NllLoss2d.release = _NllLossView.release = _nll_release


def _out_of_range(t, n_classes):
    """Whether a target lies outside [0, n_classes) (negative ones read as huge unsigned)."""
    return t.size and bool((t.view(np.uint64) >= n_classes).any())


def _nll_picked(xd, t, weight, ignore_index, n_classes, reduction, scalar):
    """nll_loss's general case (weights, ignored targets, any rank): the target index, each
    target's weight (0 where ignored), the loss (summed unless reduction is 'none') and the
    mean's denominator (None for 'sum' and 'none')."""
    dt = xd.dtype
    ignored = t == ignore_index
    bad = (t < 0) | (t >= n_classes)
    bad &= ~ignored
    if bad.any():
        exc = IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
        note(exc, f"Class indices must lie in [0, {n_classes - 1}] (the input has "
                     f"{n_classes} classes), or equal ignore_index ({ignore_index}).")
        raise exc
    safe = np.where(ignored, 0, t) if ignored.any() else t
    index = np.expand_dims(safe, 1)
    picked = np.take_along_axis(xd, index, axis=1).squeeze(1)
    if weight is not None:
        coef = weight._data[safe]
        if ignored.any():
            coef = np.where(ignored, dt.type(0), coef)
    else:
        coef = (~ignored).astype(dt)
    loss = -picked * coef
    if reduction == "none":
        return index, coef, loss.reshape(()) if scalar else loss, None
    return index, coef, loss.sum(), coef.sum() if reduction == "mean" else None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-input[n, target[n]] (times weight[target[n]]), averaged over the batch by weight."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    check_tensor(input, "nll_loss", "input", 1)
    check_tensor(target, "nll_loss", "target", 2)
    _check_reduction(reduction)
    xd, td = input._data, target._data
    nd = xd.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and xd.shape[0] != (td.shape[0] if td.ndim else 1):
        exc = ValueError(
            f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
            f"({td.shape[0] if td.ndim else 1})."
        )
        note(exc, "input is (batch, classes, ...) and target (batch, ...): their first "
                     "dimensions must be equal.")
        raise exc
    if weight is not None and weight._requires_grad and _grad_enabled():
        exc = RuntimeError(
            f"The function '{'nll_loss_forward' if nd <= 2 else 'nll_loss2d_forward'}' is not "
            "differentiable with respect to argument 'weight'. This input cannot have "
            "requires_grad True.")
        note(exc, "Class weights are constants of the loss: pass weight.detach().")
        raise exc
    if nd <= 2:
        if td.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 2 and td.shape[0] != xd.shape[0]:
            raise RuntimeError(f"size mismatch (got input: {list(xd.shape)}, target: "
                               f"{list(td.shape)})")
    elif nd == 4:
        if td.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {td.ndim}")
        if td.shape != xd.shape[:1] + xd.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(xd.shape)} , target: "
                               f"{list(td.shape)}")
    elif td.shape[1:] != xd.shape[2:]:
        raise RuntimeError(f"Expected target size {list(xd.shape[:1] + xd.shape[2:])}, got "
                           f"{list(td.shape)}")
    n_classes = xd.shape[1] if nd >= 2 else xd.shape[0]
    if weight is not None:
        wd = weight._data
        if wd.ndim != 1 or wd.size != n_classes:
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no "
                f"classes but got weight tensor of shape: {list(wd.shape)}"
            )
        if wd.dtype != xd.dtype:
            raise RuntimeError(f"expected scalar type {_word(xd.dtype)} but found "
                               f"{_word(wd.dtype)}")
    if td.dtype != np.int64 and td.dtype != np.uint8:
        exc = RuntimeError(f"expected target dtype to be Long or Byte, but got {_word(td.dtype)}")
        note(exc, "Class-index targets must be integers: use target.long(). (For class "
                     "probabilities, cross_entropy takes a float target shaped like the input.)")
        raise exc
    if xd.dtype.kind not in "fcV":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for "
                                  f"'{_word(xd.dtype)}'")
    squeeze = nd == 1
    if squeeze:
        xd = xd[None]
        td = td.reshape(1)
    t = td.astype(np.int64, copy=False)
    dt = xd.dtype
    if (weight is None and xd.ndim == 2 and reduction != "none"
            and not 0 <= ignore_index < n_classes and not _out_of_range(t, n_classes)):
        # the common call (no weights, every target a class): one gather and one sum
        index = t[:, None]
        coef = np.ones(t.size, dt)
        out = -xd[np.arange(t.size), t].sum(dtype=dt)
        denom = dt.type(t.size) if reduction == "mean" else None
    else:
        index, coef, out, denom = _nll_picked(xd, t, weight, ignore_index, n_classes,
                                              reduction, squeeze and target._data.ndim == 0)
    if denom is not None:
        out = out / denom
        coef = coef / denom
    spec = _NllGrad(xd.shape, dt, index, coef[:, None].astype(dt, copy=False),
                    (input, target, weight, ignore_index, denom))
    if nd <= 2:
        node = _NllLoss
    elif nd == 4 or reduction != "none":
        node = _NllLoss2d
    else:
        node = _NllLossView
    return record(np.asarray(out, dt), node, (input,), (spec, reduction, squeeze))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input, class dim)); or, for a float target shaped like the input,
    -sum(target * log_softmax(input)) per sample (class probabilities)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    check_tensor(input, "cross_entropy", "input", 1)
    check_tensor(target, "cross_entropy", "target", 2)
    _check_reduction(reduction)
    xd, td = input._data, target._data
    class_dim = 0 if xd.ndim == 1 else 1
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}"
        )
    if xd.shape == td.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction,
                                    label_smoothing, class_dim)
    if xd.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    logp = log_softmax(input, class_dim)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing <= 0.0:
        return nll
    # PyTorch's composition: the smoothing term masked at ignored targets, each term scaled by
    # its number (MulBackward1), a mean divided by a tensor (DivBackward0)
    n_classes = xd.shape[class_dim]
    ignore = td == ignore_index
    if weight is not None:
        shape = [1] * xd.ndim
        shape[class_dim] = n_classes
        smooth = -(logp * weight.reshape(shape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(_make(ignore), 0.0)
    if reduction == "mean":
        keep = ~ignore
        denom = weight._data[td[keep]].sum() if weight is not None else keep.sum()
        ret = smooth.sum() / _make(np.asarray(denom))
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return _mul_scalar(nll, 1 - label_smoothing) + _mul_scalar(ret, label_smoothing / n_classes)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing,
                         class_dim):
    td = target._data
    if td.dtype.kind not in "fcV":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_word(td.dtype)}")
    if ignore_index != -100:
        raise RuntimeError("ignore_index is not supported for floating point target")
    xd = input._data
    n_classes = xd.shape[class_dim] if xd.ndim else 1
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        shape = [1] * xd.ndim
        shape[class_dim] = n_classes
        prod = prod * weight.reshape(shape)
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    if xd.size == 0:
        return _div_scalar(-prod.sum(), float("nan"))
    return _div_scalar(-prod.sum(), xd.size // n_classes)




def _bce_grad_x(g, x, t, w, reduction, n):
    gx = _scaled(g, reduction, n) * (x - t) / ((1 - x) * x).clamp_min(1e-12)
    return gx if w is None else gx * w


def _bce_grad_t(g, x, t, w, reduction, n):
    # unlike the loss, PyTorch's target gradient does not clamp the logs
    gt = _scaled(g, reduction, n) * ((1 - x).log() - x.log())
    return gt if w is None else gt * w


def _bce_weight(node):
    # F.binary_cross_entropy expands the weight to the target's shape before the op
    w = node._field(2, False)
    if w is None or tuple(w.shape) == tuple(node._field(1, False).shape):
        return w
    return w.expand(tuple(node._field(1, False).shape))


_BinaryCrossEntropy = name_saved(
    formula_node("BinaryCrossEntropyBackward0", _bce_grad_x, _bce_grad_t),
    self=0, target=1, weight=_bce_weight, reduction=_saved_reduction(3))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t * log(x) + (1 - t) * log(1 - x)) for probabilities x; each log is clamped at -100,
    so x = 0 or 1 gives a finite loss."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    check_tensor(input, "binary_cross_entropy", "input", 1)
    check_tensor(target, "binary_cross_entropy", "target", 2)
    xd, td = input._data, target._data
    if xd.shape != td.shape:
        exc = ValueError(
            f"Using a target size ({Size(td.shape)!r}) that is different to the input size "
            f"({Size(xd.shape)!r}) is deprecated. Please ensure they have the same size.")
        note(exc, "binary_cross_entropy compares each probability with its own target: give "
                  "the target the input's shape (e.g. target.float().view_as(input)).")
        raise exc
    if td.dtype != xd.dtype:
        raise RuntimeError(f"Found dtype {_word(td.dtype)} but expected {_word(xd.dtype)}")
    _check_no_grad(weight, "binary_cross_entropy", "weight")
    if not ((xd >= 0) & (xd <= 1)).all():
        exc = RuntimeError("all elements of input should be between 0 and 1")
        note(exc, "binary_cross_entropy takes probabilities: apply sigmoid first, or use "
                  "binary_cross_entropy_with_logits on raw scores (more stable).")
        raise exc
    if not ((td >= 0) & (td <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    t = xd.dtype.type
    loss = (td - 1) * np.maximum(np.log(t(1) - xd), t(-100)) \
        - td * np.maximum(np.log(xd), t(-100))
    if weight is not None:
        try:
            loss = loss * weight._data
        except ValueError:
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {weight._data.shape[-1]} at -1! "
                f"Mismatching argument at index 1 had {Size(weight._data.shape)!r}; but "
                f"expected shape should be broadcastable to {list(xd.shape)}") from None
    return record(_reduce_np(loss.astype(xd.dtype, copy=False), reduction), _BinaryCrossEntropy,
                  (input, target), (input, target, weight, reduction, loss.size))


def _bcel_grad_x(g, x, t, w, pw, reduction, n):
    s = x.sigmoid()
    base = s - t if pw is None else (1 + (pw - 1) * t) * s - pw * t
    gx = _scaled(g, reduction, n) * base
    return gx if w is None else gx * w


def _bcel_grad_t(g, x, t, w, pw, reduction, n):
    base = -x if pw is None else (pw - 1) * softplus(-x) - x
    gt = _scaled(g, reduction, n) * base
    return gt if w is None else gt * w


_BCEWithLogits = name_saved(
    formula_node("BinaryCrossEntropyWithLogitsBackward0", _bcel_grad_x, _bcel_grad_t),
    self=0, target=1, weight=2, pos_weight=3, reduction=_saved_reduction(4))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target) in one stable step (log-sum-exp form);
    pos_weight multiplies the loss of the positive (target = 1) terms."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    xd, td = _loss_arrays(input, target, "binary_cross_entropy_with_logits")
    if xd.shape != td.shape:
        raise ValueError(f"Target size ({Size(td.shape)!r}) must be the same as input size "
                         f"({Size(xd.shape)!r})")
    _check_no_grad(weight, "binary_cross_entropy_with_logits", "weight")
    _check_no_grad(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    sp = np.logaddexp(0, -xd)  # softplus(-x) = -log(sigmoid(x)), no overflow
    if pos_weight is not None:
        loss = (1 - td) * xd + (1 + (pos_weight._data - 1) * td) * sp
    else:
        loss = (1 - td) * xd + sp
    if weight is not None:
        loss = loss * weight._data
    loss = loss.astype(xd.dtype, copy=False)
    return record(_reduce_np(loss, reduction), _BCEWithLogits, (input, target),
                  (input, target, weight, pos_weight, reduction, loss.size))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """sum of target * (log(target) - input), input being log-probabilities ('batchmean'
    divides the sum by the batch size, the mathematical KL divergence)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div "
                "math definition.'mean' will be changed to behave the same as 'batchmean' in "
                "the next major release.", UserWarning, stacklevel=2)
        if reduction != "batchmean":
            _check_reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        out = loss.sum()
        return out / input.shape[0] if input.ndim else out
    return _reduce(loss, reduction)


# -- margin, embedding and likelihood losses -------------------------------------------------
# Built from differentiable ops (their gradients of every order follow from those ops).
def _reduction_of(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    return reduction


def _tensor_args(fname, *tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            check_tensor(t, fname, ("input", "target", "var")[min(i, 2)], i + 1)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): input1 should rank above input2 where
    target is 1, below where it is -1."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    loss = _add_scalar(-target * (input1 - input2), margin).clamp_min(0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1."""
    reduction = _reduction_of(size_average, reduce, reduction)
    zero = input.new_zeros(())
    loss = (where(target != 1, (input.new_full((), margin) - input).clamp_min(0), zero)
            + where(target != -1, input, zero))
    return _reduce(loss, reduction)


def _soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), for targets of 1 and -1."""
    reduction = _reduction_of(size_average, reduce, reduction)
    return _reduce(softplus(-target * input), reduction)


_K_soft_margin_loss = name_saved(  # PyTorch's kernel: one node
    kernel_node("SoftMarginLossBackward0"), self=kernel_input(0), target=kernel_arg("target"),
    reduction=_kernel_reduction)


def soft_margin_loss(input, *args, **kwargs):
    return as_kernel(_K_soft_margin_loss, (input,), _soft_margin_loss, input, *args,
                     **kwargs)


soft_margin_loss.__wrapped__ = _soft_margin_loss  # its signature (help, vmap's rules)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary cross entropy of sigmoid(input) per class, averaged over the classes."""
    reduction = _reduction_of(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.dim() - 1
    loss = loss.sum(dim=c) / input.size(c)
    return _reduce(loss, reduction)


def _cosine_parts(input1, input2, dim):
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag = _add_scalar((input1 * input1).sum(dim), eps) * _add_scalar((input2 * input2).sum(dim),
                                                                     eps)
    return prod / mag.sqrt()


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1."""
    reduction = _reduction_of(size_average, reduce, reduction)
    d1, d2 = input1.dim(), input2.dim()
    if d1 != d2:
        raise RuntimeError(f"cosine_embedding_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {input1.size()}, input2: "
                           f"{input2.size()}, target: {target.size()} ")
    if target.dim() != d1 - 1:
        raise RuntimeError(f"{d1 - 1}D target tensor expects {d1}D input tensors, but found "
                           f"inputs with sizes {input1.size()} and {input2.size()}.")
    cos = _cosine_parts(input1, input2, 1 if d1 == 2 else 0)
    zero = cos.new_zeros(())
    loss = (where(target == 1, cos.new_ones(()) - cos, zero)
            + where(target == -1, _sub_scalar(cos, margin).clamp_min(0), zero))
    return _reduce(loss, reduction)


def _class_indices(target, n, c, fname):
    t = target._data.reshape(-1) if n else target._data.reshape(1)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {_word(t.dtype)}")
    if ((t < 0) | (t >= c)).any():
        raise IndexError(f"Target {int(t[(t < 0) | (t >= c)][0])} is out of bounds.")
    return t


def _multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """sum over the classes i != y of max(0, margin - x[y] + x[i])^p / C, per sample."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if _fw_state.active:
        refuse_tangents("multi_margin_loss", input, weight)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    n, c = x.shape
    t = _class_indices(target, input.dim() == 2, c, "multi_margin_loss")
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got "
                           f"{list(target.shape)}")
    idx = _make(t.reshape(n, 1).astype(np.int64))
    xy = x.gather(1, idx)
    z = (margin - xy + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.gather(0, idx.reshape(-1)).reshape(n, 1)
    others = np.ones((n, c), bool)
    others[np.arange(n), t] = False
    loss = where(_make(others), z, z.new_zeros(())).sum(1) / c
    if input.dim() != 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


_K_multi_margin_loss = name_saved(  # PyTorch's kernel: one node
    kernel_node("MultiMarginLossBackward0"), self=kernel_input(0), target=kernel_arg("target"),
    p=kernel_arg("p"), margin=kernel_arg("margin"), weight=kernel_arg("weight"),
    reduction=_kernel_reduction)


def multi_margin_loss(input, *args, **kwargs):
    return as_kernel(_K_multi_margin_loss, (input,), _multi_margin_loss, input, *args,
                     **kwargs)


multi_margin_loss.__wrapped__ = _multi_margin_loss  # its signature (help, vmap's rules)


def _is_target(td, n, c):
    """(n, c) booleans: whether class j is among row i's targets (td (n, c), each row's
    list ended by its first -1)."""
    is_target = np.zeros((n, c), bool)
    for row in range(n):
        for k in td[row]:
            if k < 0:
                break
            if k >= c:
                raise RuntimeError(f"multilabel_margin_loss: target {int(k)} is out of range "
                                   f"[0, {c})")  # PyTorch checks this only in debug builds
            is_target[row, k] = True
    return is_target


def _multilabel_is_target(node):
    """PyTorch's saved is_target: the target's shape, 1 at each target class, 0 elsewhere."""
    x, target = kernel_input(0)(node), kernel_arg("target")(node)
    c = x.shape[-1] if x.ndim else 1
    td = target._data.reshape(-1, c)
    flags = _is_target(td, td.shape[0], c).astype(x._data.dtype)
    return _make(flags.reshape(target._data.shape))


def _multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C;
    each row of target lists class indices, ended by the first -1."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if _fw_state.active:
        refuse_tangents("multilabel_margin_loss_forward", input)
    x = input if input.dim() == 2 else input.reshape(1, -1)
    n, c = x.shape
    td = target._data.reshape(n, -1) if target._data.ndim else target._data.reshape(1, 1)
    if tuple(td.shape) != (n, c):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    is_target = _is_target(td, n, c)
    # pairs (j, i): j a target, i not a target
    pair = is_target[:, :, None] & ~is_target[:, None, :]
    z = (1 - (x.unsqueeze(2) - x.unsqueeze(1))).clamp_min(0)
    loss = where(_make(pair), z, z.new_zeros(())).sum((1, 2)) / c
    if input.dim() != 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


_K_multilabel_margin_loss = name_saved(  # PyTorch's kernel: one node
    kernel_node("MultilabelMarginLossBackward0"), self=kernel_input(0),
    target=kernel_arg("target"), is_target=_multilabel_is_target, reduction=_kernel_reduction)


def multilabel_margin_loss(input, *args, **kwargs):
    return as_kernel(_K_multilabel_margin_loss, (input,), _multilabel_margin_loss, input, *args,
                     **kwargs)


multilabel_margin_loss.__wrapped__ = _multilabel_margin_loss  # its signature (help, vmap's rules)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last dim (PyTorch's norm: NormBackward1)."""
    d = max(x1.dim(), x2.dim())
    diff = _add_scalar(x1 - x2, eps)
    if d == 0:
        return diff.abs()
    return as_kernel(_K_norm, (diff,), _vector_norm, diff, p, -1, keepdim)


_K_norm = name_saved(  # torch.norm's kernel with a dim: one node
    kernel_node("NormBackward1"), self=kernel_input(0), p=kernel_arg("p"),
    dim=lambda n: (kernel_arg("dim")(n) % max(kernel_input(0)(n).ndim, 1),),
    keepdim=kernel_arg("keepdim"), result=kernel_result())


def _vector_norm(x, p, dim, keepdim):
    return x.norm(p, dim=dim, keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps)) along dim; the norms clamped without
    blocking their gradient, as PyTorch does (a clone clamped in place under no_grad)."""
    if tuple(x1.shape) != tuple(x2.shape):
        try:
            common = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
        except ValueError:
            raise broadcast_shapes_error(tuple(x1.shape), tuple(x2.shape)) from None
        x1, x2 = x1.expand(common), x2.expand(common)
    n1 = x1.norm(2, dim=dim, keepdim=True).clone()
    n2 = x2.norm(2, dim=dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _pdist(input, p=2):
    """The p-norm distances between every pair of rows (i < j) of a 2-D input, as a 1-D
    tensor."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if _fw_state.active:
        refuse_tangents("_pdist_forward", input)
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    if not len(i):
        return input.new_zeros((0,))
    diff = input[_make(i.astype(np.int64))] - input[_make(j.astype(np.int64))]
    return diff.norm(p, dim=1)


_K_pdist = name_saved(kernel_node("PdistBackward0"),  # PyTorch's kernel: one node
                      self=kernel_input(0), p=kernel_arg("p"), result=kernel_result())


def pdist(input, *args, **kwargs):
    return as_kernel(_K_pdist, (input,), _pdist, input, *args,
                     **kwargs)


pdist.__wrapped__ = _pdist  # its signature (help, vmap's rules)


def _triplet(anchor, positive, negative, margin, swap, reduction, dist, kernel=False):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    # PyTorch's C++ loss adds the margin as a Scalar (AddBackward1), its Python one as a number
    near = _add_scalar(d_pos, margin) if kernel else margin + d_pos
    return _reduce((near - d_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with the p-norm distance."""
    reduction = _reduction_of(size_average, reduce, reduction)
    a, pd, nd = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pd == nd):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {pd}D, and negative {nd}D inputs")
    return _triplet(anchor, positive, negative, margin, swap, reduction,
                    lambda x, y: pairwise_distance(x, y, p, eps), True)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet_margin_loss with any distance (pairwise_distance by default)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not (a == pd == nd):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {pd}D, and negative {nd}D inputs")
    return _triplet(anchor, positive, negative, margin, swap, reduction,
                    distance_function or pairwise_distance)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(var) + (input - target)^2 / var) (+ 0.5 * log(2 pi) if full); var is
    clamped to eps without blocking its gradient."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(tuple(input.shape))
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    # clamp the values only: the gradient passes as if var were unclamped (PyTorch clamps a
    # clone in place under no_grad)
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input), or input - target * log(input + eps); full
    adds Stirling's approximation of log(target!) where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = where(big, target, target.new_ones(()))
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(big, stirling, stirling.new_zeros(()))
    return _reduce(loss, reduction)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0,
                         options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...): PyTorch's
    reference path (linear_weight (C, d_1, ..., d_K, in_features) gives a K-dimensional
    loss). ``options`` (the chunked path's settings) are ignored with a warning."""
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), got "
            f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    if options is not None:
        # PyTorch falls back to the reference path (with a warning) where its chunked path
        # does not apply; ember has no chunked path at all
        warnings.warn("linear_cross_entropy: ``options`` ignored; ember has no chunked path "
                      "and computes the reference path (the same values, without the memory "
                      "saving).", stacklevel=2)
    flat_w = linear_weight if linear_weight.ndim == 2 else linear_weight.reshape(
        (-1, in_features))
    logits = input.matmul(flat_w.t()).reshape(logits_shape)  # t(): PyTorch's TBackward0
    if linear_bias is not None:
        logits = logits + linear_bias
    return cross_entropy(logits, target, weight, ignore_index=(
        ignore_index if ignore_index is not None else -100), reduction=reduction,
        label_smoothing=label_smoothing)


# -- connectionist temporal classification ----------------------------------------------------
_NEG = -1e30  # "log 0" kept finite: exp(_NEG - x) is 0 and no gradient becomes nan


def _lengths(v):
    return np.asarray(v._data if isinstance(v, Tensor) else v, dtype=np.int64).reshape(-1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """-log of the total probability of every alignment of each target with its input
    (log_probs: (T, N, C) log-softmax outputs), by the forward (alpha) recursion over time in
    log space; 'mean' divides each loss by its target length, then averages. Recorded as
    PyTorch records it: one CtcLossBackward0 node for the per-sample losses, then the
    zero_infinity where and the reduction."""
    _check_reduction(reduction)
    if _fw_state.active:  # PyTorch has no forward-mode rule for it
        refuse_tangents("_ctc_loss", log_probs)
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    in_len, tg_len = _lengths(input_lengths), _lengths(target_lengths)
    td = targets._data  # unbatched: one sample's labels, read as the concatenated form
    loss = as_kernel(_K_ctc, (lp,), _ctc_losses, lp, td, in_len, tg_len, blank, zero_infinity)
    if zero_infinity:
        loss = where(_make(loss._data == math.inf), loss.new_zeros(()), loss)
    if reduction == "mean":
        return (loss / _make(np.maximum(tg_len, 1).astype(lp._data.dtype))).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def _ctc_rows(td, tg_len):
    """Each sample's target labels (td: padded (N, S) or all of them concatenated)."""
    if td.ndim == 1:
        starts = np.concatenate([[0], np.cumsum(tg_len)[:-1]])
        return [td[a:a + b] for a, b in zip(starts, tg_len)]
    return [td[i, :tg_len[i]] for i in range(len(tg_len))]


def _ctc_log_alpha(node):
    """PyTorch's saved log_alpha (N, T, 2 * max target length + 1): the forward variables in
    log space, -inf where unreachable (PyTorch leaves the entries past a sample's input or
    target length unwritten; they are -inf here). ember's kernel keeps no such table: it is
    computed again when read."""
    a = kernel_args(node)
    lp = a["lp"]._data.astype(np.float64)
    t_max, n = lp.shape[:2]
    tg_len, in_len, blank = a["tg_len"], a["in_len"], a["blank"]
    out = np.full((n, t_max, 2 * int(tg_len.max(initial=0)) + 1), -np.inf)
    for b, row in enumerate(_ctc_rows(a["td"], tg_len)):
        labels = np.full(2 * len(row) + 1, blank, np.int64)
        labels[1::2] = row
        skip = np.zeros(len(labels), bool)
        skip[3::2] = row[1:] != row[:-1]
        alpha = np.full(len(labels), -np.inf)
        if in_len[b] > 0:
            alpha[:min(2, len(labels))] = lp[0, b, labels[:2]]
            out[b, 0, :len(labels)] = alpha
        for t in range(1, in_len[b]):
            prev = np.full((3, len(labels)), -np.inf)
            prev[0] = alpha
            prev[1, 1:] = alpha[:-1]
            prev[2, 2:] = np.where(skip[2:], alpha[:-2], -np.inf)
            top = prev.max(0)
            fin = np.isfinite(top)
            lse = np.full_like(top, -np.inf)
            lse[fin] = top[fin] + np.log(np.exp(prev[:, fin] - top[fin]).sum(0))
            alpha = lse + lp[t, b, labels]
            out[b, t, :len(labels)] = alpha
    return _make(out.astype(a["lp"]._data.dtype))


_K_ctc = name_saved(
    kernel_node("CtcLossBackward0"), log_probs=kernel_input(0),
    targets=lambda n: _make(kernel_args(n)["td"]),
    input_lengths=lambda n: tuple(int(v) for v in kernel_args(n)["in_len"]),
    target_lengths=lambda n: tuple(int(v) for v in kernel_args(n)["tg_len"]),
    blank=kernel_arg("blank"), zero_infinity=kernel_arg("zero_infinity"),
    result0=kernel_result(), result1=_ctc_log_alpha)


def _ctc_losses(lp, td, in_len, tg_len, blank, zero_infinity=False):
    """The (N,) losses of log_probs lp (T, N, C) for targets td (padded (N, S) or
    concatenated), inf where no alignment exists. (``zero_infinity``: applied by the caller,
    given here for the node to show, as PyTorch's.)"""
    t_max, n, _ = lp.shape
    for length in in_len:
        if length > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {length} (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
    rows = _ctc_rows(td, tg_len)
    width = 2 * int(tg_len.max(initial=0)) + 1
    labels = np.full((n, width), blank, np.int64)  # blank, l1, blank, l2, ..., blank
    skip = np.zeros((n, width), bool)  # s may come from s - 2 (a label unlike the one before)
    for i, row in enumerate(rows):
        labels[i, 1:2 * len(row):2] = row
        if len(row) > 1:
            skip[i, 3:2 * len(row):2] = row[1:] != row[:-1]
    ext = 2 * tg_len + 1
    valid = np.arange(width)[None, :] < ext[:, None]
    lab = _make(labels)
    neg = lp.new_full((n, width), _NEG)
    alpha = neg
    start = np.zeros((n, width), bool)
    start[:, 0] = True
    start[:, 1] = ext > 1
    for t in range(t_max):
        emit = lp[t].gather(1, lab)
        if t == 0:
            new = where(_make(start & valid), emit, neg)
        else:
            a1 = _shift(alpha, 1, neg)
            a2 = where(_make(skip), _shift(alpha, 2, neg), neg)
            new = _stack3(alpha, a1, a2).logsumexp(0) + emit
            new = where(_make(valid), new, neg)
        live = _make((t < in_len)[:, None])
        alpha = new if t == 0 else where(live, new, alpha)
    last = _make((ext - 1)[:, None])
    prev = _make(np.maximum(ext - 2, 0)[:, None])
    end = alpha.gather(1, last).squeeze(1)
    end2 = where(_make(ext > 1), alpha.gather(1, prev).squeeze(1), lp.new_full((n,), _NEG))
    total = _stack3(end, end2, None).logsumexp(0)
    impossible = _make(total._data < _NEG / 2)
    # PyTorch's gradient for log_probs is the one for the logits under them (log_probs being
    # a log_softmax): it adds exp(log_probs) at every step t < input_length, a term whose
    # value is zero here
    p = lp.exp()
    steps = _make((np.arange(t_max)[:, None] < in_len[None, :])[:, :, None])
    extra = where(steps, p - p.detach(), p.new_zeros(())).sum((0, 2))
    return where(impossible, lp.new_full((n,), math.inf), extra - total)


def _shift(a, k, neg):
    """a moved k columns to the right, _NEG coming in on the left."""
    return cat([neg.narrow(1, 0, k), a.narrow(1, 0, a.shape[1] - k)], 1)


def _stack3(a, b, c):
    return stack([a, b] if c is None else [a, b, c])


# the ones PyTorch also has at the top level with the same arguments
__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]
FUNCTIONAL = [  # the forms ember.nn.functional exports
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "cosine_similarity", "cross_entropy", "ctc_loss", "gaussian_nll_loss",
    "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss", "linear_cross_entropy",
    "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "nll_loss", "pairwise_distance", "pdist",
    "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]
TENSOR_METHODS = {}
