"""Neural-network ops behind ember.nn.functional: softmax, log_softmax, softplus, linear and
the losses (mse_loss, nll_loss, cross_entropy).

Softmax-type ops subtract the row maximum first, so logits of +-1e4 give exact results with no
inf or nan. The loss gradients are a constant mask times the incoming gradient, so they can be
differentiated again.
"""

import warnings

import numpy as np

from .. import _dtype
from .._dtype import from_np, result_type
from .._errors import note
from .._tensor import Size, Tensor, _make, _wrap_dim
from ._op import broadcast_shapes_error, check_tensor, formula_node, record
from .elementwise import where
from .linalg import (
    _bmm_dtype_error,
    _cpp,
    _mm_dtype_error,
    _mm_shape_error,
    _prod,
    _word,
    matmul,
    mm,
)

__all__ = ["log_softmax", "softmax"]

_matmul = np.matmul


# -- softmax family -----------------------------------------------------------------------------
def _softmax_grad(g, dim, y):
    return y * (g - (g * y).sum(dim, keepdim=True))


def _log_softmax_grad(g, dim, y):
    return g - y.exp() * g.sum(dim, keepdim=True)


_Softmax = formula_node("SoftmaxBackward0", _softmax_grad)
_LogSoftmax = formula_node("LogSoftmaxBackward0", _log_softmax_grad)


def _shifted(d, axis):
    """d minus its maximum along axis: every exp() is then at most 1 (no overflow)."""
    if d.size == 0:
        return d
    m = d.max(axis, keepdims=True)
    # rows of all -inf (or with +inf) keep their nan, as in PyTorch; finite rows are exact
    return d - m


def _prepare(input, dim, dtype, name):
    if not isinstance(input, Tensor):
        check_tensor(input, name)
    if dtype is not None:
        input = input.to(dtype)
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    if d.dtype.kind not in "fc":
        last = "lastdim_" if dim == d.ndim - 1 or d.ndim == 0 else ""
        raise NotImplementedError(
            f"\"{name}_{last}kernel_impl\" not implemented for '{_word(d.dtype)}'"
        )
    return input, d, dim


def _softmax_np(d, axis):
    if d.ndim == 0:
        return np.exp(d - d)  # 1 (or nan for inf/nan)
    e = np.exp(_shifted(d, axis))
    return e / e.sum(axis, keepdims=True)


def _log_softmax_np(d, axis):
    if d.ndim == 0:
        return d - d
    s = _shifted(d, axis)
    return s - np.log(np.exp(s).sum(axis, keepdims=True))


def softmax(input, dim=None, dtype=None):
    """exp(x) / exp(x).sum(dim): each slice along dim becomes a probability distribution."""
    if dim is None:
        raise TypeError('softmax() missing 1 required positional arguments: "dim"')
    input, d, dim = _prepare(input, dim, dtype, "softmax")
    return record(_softmax_np(d, dim), _Softmax, (input,), (dim,), True)


def log_softmax(input, dim=None, dtype=None):
    """x - logsumexp(x, dim), computed without overflow."""
    if dim is None:
        raise TypeError('log_softmax() missing 1 required positional arguments: "dim"')
    input, d, dim = _prepare(input, dim, dtype, "log_softmax")
    return record(_log_softmax_np(d, dim), _LogSoftmax, (input,), (dim,), True)


def implicit_softmax_dim(ndim):
    """The dim F.softmax picks when none is given (PyTorch's legacy rule)."""
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=4,
    )
    return 0 if ndim in (0, 1, 3) else 1


# -- softplus -----------------------------------------------------------------------------------
def _softplus_grad(g, x, beta, threshold):
    z = x * beta
    return where(z > threshold, g, g * z.sigmoid())


_Softplus = formula_node("SoftplusBackward0", _softplus_grad)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    d = input._data if isinstance(input, Tensor) else check_tensor(input, "softplus")
    if d.dtype.kind not in "fc":
        raise NotImplementedError(f"\"softplus_cpu\" not implemented for '{_word(d.dtype)}'")
    t = d.dtype.type
    z = d * t(beta)
    out = np.where(z > threshold, d, np.log1p(np.exp(z)) / t(beta))
    return record(out.astype(d.dtype, copy=False), _Softplus, (input,), (input, beta, threshold))


# -- linear -------------------------------------------------------------------------------------
def _linear_grad_x(g, x, w):
    return matmul(g, w)


def _linear_grad_w(g, x, w):
    if x.ndim == 1:
        return g.unsqueeze(-1) * x
    if x.ndim == 2:
        return mm(g.t(), x)
    rows = _prod(x.shape[:-1])
    return mm(g.reshape(rows, g.shape[-1]).t(), x.reshape(rows, x.shape[-1]))


def _linear_grad_b(g, x, w):
    return g  # the engine sums it over the batch dimensions


def _linear_node(name):
    return formula_node(name, _linear_grad_x, _linear_grad_w, _linear_grad_b)


# PyTorch's outermost node: addmm for a batch of rows with bias, mm without; other input ranks
# go through a reshape (view), an _unsafe_view or a squeeze of the 2-D result
_LINEAR_NODES = {
    (2, True): _linear_node("AddmmBackward0"), (2, False): _linear_node("MmBackward0"),
    (1, True): _linear_node("ViewBackward0"), (1, False): _linear_node("SqueezeBackward4"),
    (3, True): _linear_node("ViewBackward0"), (3, False): _linear_node("UnsafeViewBackward0"),
}


def linear(input, weight, bias=None):
    """input @ weight.T + bias, as one op."""
    if not isinstance(input, Tensor):
        check_tensor(input, "linear", "input", 1)
    if not isinstance(weight, Tensor):
        check_tensor(weight, "linear", "weight", 2)
    xd, wd = input._data, weight._data
    if wd.ndim != 2:
        if bias is not None:
            raise RuntimeError(f"mat2 must be a matrix, got {wd.ndim}-D tensor")
        return matmul(input, weight.t() if wd.ndim == 2 else weight)
    nx = xd.ndim
    if nx == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are 0D and {wd.ndim}D"
        )
    rows = _prod(xd.shape[:-1])
    if xd.shape[-1] != wd.shape[1]:
        raise _mm_shape_error((rows, xd.shape[-1]), wd.shape[::-1])
    if xd.dtype != wd.dtype:
        raise _mm_dtype_error(xd.dtype, wd.dtype)
    if nx >= 3 and xd.flags.c_contiguous:
        out = _matmul(xd.reshape(rows, xd.shape[-1]), wd.T).reshape(xd.shape[:-1] + wd.shape[:1])
    else:
        out = _matmul(xd, wd.T)
    if bias is not None:
        bd = bias._data
        if bd.dtype != wd.dtype:
            raise RuntimeError(
                f"self and mat2 must have the same dtype, but got {_word(bd.dtype)} and "
                f"{_word(wd.dtype)}"
            )
        if bd.ndim > 2 or bd.shape and bd.shape[-1] not in (1, wd.shape[0]):
            target = [rows, wd.shape[0]]
            raise RuntimeError(
                f"The expanded size of the tensor ({wd.shape[0]}) must match the existing size "
                f"({bd.shape[-1]}) at non-singleton dimension 1.  Target sizes: "
                f"{target}.  Tensor sizes: {list(bd.shape)}"
            )
        out += bd
    node = _LINEAR_NODES[(min(nx, 3), bias is not None)]
    return record(out, node, (input, weight, bias), (input, weight))


# -- losses -------------------------------------------------------------------------------------
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


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _mse_grad_x(g, x, t, reduction, n):
    scale = 2.0 / n if reduction == "mean" else 2.0
    return g * scale * (x - t)


def _mse_grad_t(g, x, t, reduction, n):
    scale = 2.0 / n if reduction == "mean" else 2.0
    return g * scale * (t - x)


_MseLoss = formula_node("MseLossBackward0", _mse_grad_x, _mse_grad_t)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum) of the squared differences."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    check_tensor(input, "mse_loss", "input", 1)
    check_tensor(target, "mse_loss", "target", 2)
    xd, td = input._data, target._data
    if xd.shape != td.shape:
        warnings.warn(
            f"Using a target size ({Size(td.shape)!r}) that is different to the input size "
            f"({Size(xd.shape)!r}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
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


class _NllGrad:
    """The constant mask of nll_loss's gradient: -weight[target] / denominator at each target
    class, zero elsewhere. Built on first use (in the backward), not in the forward."""

    __slots__ = ("shape", "dtype", "index", "coef")

    def __init__(self, shape, dtype, index, coef):
        self.shape, self.dtype, self.index, self.coef = shape, dtype, index, coef

    def mask(self):
        m = np.zeros(self.shape, self.dtype)
        np.put_along_axis(m, self.index, -self.coef, axis=1)
        return _make(m)


def _nll_grad(g, spec, reduction, squeeze):
    m = spec.mask()
    if squeeze:
        m = m.squeeze(0)
    if reduction == "none" and g.ndim:
        g = g.unsqueeze(1 if not squeeze else 0)
    return g * m


_NllLoss = formula_node("NllLossBackward0", _nll_grad)
_NllLoss2d = formula_node("NllLoss2DBackward0", _nll_grad)
_NllLossView = formula_node("ViewBackward0", _nll_grad)


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
    if xd.dtype.kind not in "fc":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for "
                                  f"'{_word(xd.dtype)}'")
    squeeze = nd == 1
    if squeeze:
        xd = xd[None]
        td = td.reshape(1)
    t = td.astype(np.int64, copy=False)
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
    dt = xd.dtype
    if weight is not None:
        coef = weight._data[safe]
        if ignored.any():
            coef = np.where(ignored, dt.type(0), coef)
    else:
        coef = (~ignored).astype(dt)
    loss = -picked * coef
    if reduction == "none":
        out = loss.reshape(()) if squeeze and target._data.ndim == 0 else loss
        denom = None
    elif reduction == "sum":
        out = loss.sum()
        denom = None
    else:
        total = coef.sum()
        out = loss.sum() / total
        denom = total
    if denom is not None:
        coef = coef / denom
    spec = _NllGrad(xd.shape, dt, index, np.expand_dims(coef, 1).astype(dt, copy=False))
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
    n_classes = xd.shape[class_dim]
    ignore = td == ignore_index
    if weight is not None:
        shape = [1] * xd.ndim
        shape[class_dim] = n_classes
        smooth = -(logp * weight.reshape(shape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    if ignore.any():
        smooth = where(_make(ignore), 0.0, smooth)
    if reduction == "mean":
        keep = ~ignore
        if weight is not None:
            denom = weight._data[td[keep]].sum()
        else:
            denom = keep.sum()
        ret = smooth.sum() / float(denom)
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing,
                         class_dim):
    td = target._data
    if td.dtype.kind not in "fc":
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


# division by a number inside an op: PyTorch's Scalar overload of div
_DivScalar = formula_node("DivBackward1", lambda g, s: g / s)


def _div_scalar(t, s):
    d = t._data
    return record(d / d.dtype.type(s), _DivScalar, (t,), (s,))


_ = (_dtype, from_np, _bmm_dtype_error, _cpp)

FUNCTIONAL = []  # more names exported by ember.nn.functional (besides those it defines)
TENSOR_METHODS = {"softmax": softmax, "log_softmax": log_softmax}
