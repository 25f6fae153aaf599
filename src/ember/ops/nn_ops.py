"""Neural-network ops behind ember.nn.functional: softmax, log_softmax, softplus, linear and
the losses (mse_loss, nll_loss, cross_entropy).

Softmax-type ops subtract the row maximum first, so logits of +-1e4 give exact results with no
inf or nan. The loss gradients are a constant mask times the incoming gradient, so they can be
differentiated again.
"""

import math
import warnings

import numpy as np

from .. import _dtype
from .._dtype import from_np, result_type
from .._errors import note
from .._tensor import Size, Tensor, _make, _wrap_dim
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled
from ..autograd.graph import Node
from . import elementwise as _ew
from ._inplace import apply_inplace
from ._op import broadcast_shapes_error, check_tensor, formula_node, record
from .elementwise import _erf, where
from .indexing import index_add
from .linalg import (
    _bmm_dtype_error,
    _cpp,
    _mm_dtype_error,
    _mm_shape_error,
    _prod,
    _word,
    einsum,
    matmul,
    mm,
)
from .random import bernoulli

__all__ = [
    "bilinear", "celu", "celu_", "group_norm", "hardshrink", "layer_norm", "log_softmax", "selu",
    "selu_", "softmax", "threshold", "threshold_",
]

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
        if bias is not None:  # PyTorch takes its addmm path, which words the error so
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{_word(xd.dtype)} and {_word(wd.dtype)}")
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


# == activations =================================================================================
def _float_data(input, name, kernel=None):
    d = input._data if isinstance(input, Tensor) else check_tensor(input, name)
    if d.dtype.kind not in "fc":
        raise NotImplementedError(
            f"\"{kernel or name + '_cpu'}\" not implemented for '{_word(d.dtype)}'"
        )
    return d


def _pointwise(input, name, fwd, node, params, inplace=False, node_out=None, kernel=None):
    """An elementwise activation: ``fwd(array, *params)`` recorded with ``node``, whose formula
    reads the input. In place, ``node_out`` (a formula reading the result, PyTorch's
    ...Backward1) replaces it when the op has one; otherwise ``node`` reads a snapshot."""
    d = _float_data(input, name, kernel)
    if not inplace:
        return record(fwd(d, *params), node, (input,), (input, *params))
    if node_out is None:
        return apply_inplace(input, lambda a: record(fwd(a._data, *params), node, (a,),
                                                    (a, *params)))
    return apply_inplace(input, lambda a: record(fwd(a._data, *params), node_out, (a,), params,
                                                True))


def _leaky_np(d, slope):
    return np.where(d > 0, d, d * slope)


_LeakyRelu = formula_node("LeakyReluBackward0", lambda g, x, s: where(x > 0, g, g * s))
_LeakyRelu1 = formula_node("LeakyReluBackward1", lambda g, s, y: where(y > 0, g, g * s))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, negative_slope * x elsewhere."""
    return _pointwise(input, "leaky_relu", _leaky_np, _LeakyRelu, (negative_slope,), inplace,
                      _LeakyRelu1)


def relu_(input):
    return input.relu_()


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


# elu, selu and celu are one op: scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))
def _elu_np(d, alpha, scale, input_scale):
    neg = np.expm1(np.minimum(d, 0) * input_scale) * (alpha * scale)
    return np.where(d > 0, d * scale, neg)


def _elu_grad(g, x, alpha, scale, input_scale):
    # exp of min(x, 0): the unused branch never overflows (no inf * 0 in double backward)
    e = (x.clamp_max(0) * input_scale).exp()
    return where(x > 0, g * scale, g * (alpha * scale * input_scale) * e)


def _elu_grad_out(g, alpha, scale, input_scale, y):
    return where(y > 0, g * scale, g * input_scale * (y + alpha * scale))


_Elu = formula_node("EluBackward0", _elu_grad)
_Elu1 = formula_node("EluBackward1", _elu_grad_out)
# PyTorch's celu gradient takes 1 / alpha in single precision (alpha.toFloat()); so do we
def _celu_grad(g, x, alpha, scale, input_scale):
    return _elu_grad(g, x, alpha, scale, 1.0 / float(np.float32(alpha)))


def _celu_grad_out(g, alpha, scale, input_scale, y):
    return _elu_grad_out(g, alpha, scale, 1.0 / float(np.float32(alpha)), y)


_Celu = formula_node("CeluBackward0", _celu_grad)
_Celu1 = formula_node("CeluBackward1", _celu_grad_out)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) elsewhere."""
    return _pointwise(input, "elu", _elu_np, _Elu, (alpha, 1.0, 1.0), inplace, _Elu1)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al."""
    return _pointwise(input, "selu", _elu_np, _Elu, (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace,
                      _Elu1, "elu_cpu")


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _pointwise(input, "celu", _elu_np, _Celu, (alpha, 1.0, 1.0 / alpha), inplace,
                      _Celu1, "elu_cpu")


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def _hardtanh_grad(g, x, lo, hi):
    return g * ((x > lo) & (x < hi))


_Hardtanh = formula_node("HardtanhBackward0", _hardtanh_grad)
_HardtanhOut = formula_node("HardtanhBackward0", lambda g, lo, hi, y: _hardtanh_grad(g, y, lo, hi))


def _clip_np(d, lo, hi):
    return np.clip(d, lo, hi)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _pointwise(input, "hardtanh", _clip_np, _Hardtanh, (min_val, max_val), inplace,
                      _HardtanhOut)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh between 0 and 6 (PyTorch records it so)."""
    return hardtanh(input, 0.0, 6.0, inplace)


_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_C = 0.044715


def _erfc_nonneg(z):
    """erfc(z) for z >= 0 with relative error below 1.2e-7 (Numerical Recipes' Chebyshev
    fit), computed in float64: fast, and float32-exact for the normal CDF."""
    t = 1.0 / (1.0 + 0.5 * z)
    poly = 0.17087277
    for c in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418,
              0.37409196, 1.00002368, -1.26551223):
        poly = c + t * poly
    return t * np.exp(poly - z * z)


def _normal_cdf_np(d):
    """Phi(d) = (1 + erf(d / sqrt 2)) / 2 in d's dtype: math.erf for float64 (exact), the
    vectorized fit otherwise (relative error ~1e-7, also in the far left tail)."""
    if d.dtype == np.float64:
        return 0.5 * (1 + _erf(d * _SQRT1_2))
    x = d.astype(np.float64) * _SQRT1_2
    half = 0.5 * _erfc_nonneg(np.abs(x))
    return np.where(x >= 0, 1.0 - half, half).astype(d.dtype)


def _gelu_np(d, approximate):
    if approximate == "tanh":
        inner = (d + _GELU_C * (d * d * d)) * _SQRT_2_PI
        return 0.5 * d * (1 + np.tanh(inner))
    return d * _normal_cdf_np(d)


def _gelu_grad(g, x, approximate):
    if not _grad_enabled():
        # a first-order backward: on arrays (the ember-op form below is for create_graph)
        d = x._data
        if approximate == "tanh":
            x2 = d * d
            t = np.tanh((d + _GELU_C * (x2 * d)) * _SQRT_2_PI)
            dy = 0.5 * (1 + t) + 0.5 * d * (1 - t * t) * ((1 + (3 * _GELU_C) * x2) * _SQRT_2_PI)
        else:
            dy = _normal_cdf_np(d) + d * (np.exp(d * d * -0.5) * _INV_SQRT_2PI)
        return _make(g._data * dy.astype(d.dtype, copy=False))
    if approximate == "tanh":
        x2 = x * x
        t = ((x + _GELU_C * (x2 * x)) * _SQRT_2_PI).tanh()
        d_inner = (1 + (3 * _GELU_C) * x2) * _SQRT_2_PI
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
    cdf = 0.5 * (1 + (x * _SQRT1_2).erf())
    pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


_Gelu = formula_node("GeluBackward0", _gelu_grad)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _pointwise(input, "gelu", _gelu_np, _Gelu, (approximate,), kernel="GeluKernelImpl")


def _silu_np(d):
    return d * _ew._sigmoid(d)


def _silu_grad(g, x):
    s = x.sigmoid()
    return g * (s * (1 + x * (1 - s)))


_Silu = formula_node("SiluBackward0", _silu_grad)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return _pointwise(input, "silu", _silu_np, _Silu, (), inplace)


def _mish_np(d):
    return d * np.tanh(np.logaddexp(d, 0))


def _mish_grad(g, x):
    t = softplus(x).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


_Mish = formula_node("MishBackward0", _mish_grad)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _pointwise(input, "mish", _mish_np, _Mish, (), inplace)


def _hardsigmoid_np(d):
    return np.clip(d + 3, 0, 6) / 6


_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))  # PyTorch's constant, in single precision
_Hardsigmoid = formula_node("HardsigmoidBackward0",
                            lambda g, x: where((x > -3) & (x < 3), g * _ONE_SIXTH, 0.0))


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _pointwise(input, "hardsigmoid", _hardsigmoid_np, _Hardsigmoid, (), inplace)


def _hardswish_np(d):
    return d * np.clip(d + 3, 0, 6) / 6


_Hardswish = formula_node(
    "HardswishBackward0",
    lambda g, x: where(x < -3, 0.0, where(x <= 3, g * (x / 3 + 0.5), g)))


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _pointwise(input, "hardswish", _hardswish_np, _Hardswish, (), inplace)


_LogSigmoid = formula_node("LogSigmoidBackward0", lambda g, x: g * (-x).sigmoid())


def logsigmoid(input):
    """log(sigmoid(x)), computed without overflow."""
    return _pointwise(input, "log_sigmoid_forward", lambda d: -np.logaddexp(0, -d),
                      _LogSigmoid, ())


def _threshold_np(d, threshold, value):
    return np.where(d > threshold, d, d.dtype.type(value))


_Threshold = formula_node("ThresholdBackward0", lambda g, x, th, v: g * (x > th))
# in place, PyTorch still masks with the input (a snapshot of it), under another name
_Threshold1 = formula_node("ThresholdBackward1", lambda g, x, th, v: g * (x > th))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, value elsewhere."""
    if inplace:
        _float_data(input, "threshold")
        params = (threshold, value)
        return apply_inplace(input, lambda a: record(_threshold_np(a._data, *params),
                                                    _Threshold1, (a,), (a, *params)))
    return _pointwise(input, "threshold", _threshold_np, _Threshold, (threshold, value))


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


_Hardshrink = formula_node("HardshrinkBackward0", lambda g, x, lambd: g * (x.abs() > lambd))
_Softshrink = formula_node("SoftshrinkBackward0", lambda g, x, lambd: g * (x.abs() > lambd))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, 0 elsewhere."""
    return _pointwise(input, "hardshrink", lambda d, lm: np.where(np.abs(d) > lm, d, 0),
                      _Hardshrink, (lambd,))


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    return _pointwise(input, "softshrink",
                      lambda d, lm: np.where(d > lm, d - lm, np.where(d < -lm, d + lm, 0)),
                      _Softshrink, (lambd,))


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x): the smallest entries get the largest weights."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument.", UserWarning, stacklevel=2)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return softmax(-input, dim, dtype)


# == normalization ===============================================================================
class _FusedNode(Node):
    """A node computing every input's gradient in one function (they share the normalized
    input). Without create_graph it works on arrays with the statistics saved by the forward;
    with create_graph it rebuilds them from the input in ember ops, so the gradient is itself
    differentiable."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        return self.grads(grads[0], create_graph, *self.unpack_saved())


def _fused_node(name, fn):
    return type(name, (_FusedNode,), {"__slots__": (), "grads": fn})


def _stats_np(d, axes, eps):
    """Mean and 1/sqrt(biased var + eps) over axes (kept as size-1 dims), the variance and
    the centred input."""
    mean = d.mean(axes, keepdims=True)
    xc = d - mean
    var = (xc * xc).mean(axes, keepdims=True)
    return mean, 1 / np.sqrt(var + eps), var, xc


def _normalized(x, axes, eps):
    """(x - mean) / sqrt(var + eps) and the inverse std, in ember ops (differentiable)."""
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    return xc * invstd, invstd


def _stats_input_grad(gh, xhat, invstd, axes, keepdim):
    """The input gradient of normalizing with the batch's own statistics, given gh, the
    gradient reaching xhat (arrays use keepdims=, tensors keepdim=)."""
    m1 = gh.mean(axes, **{keepdim: True})
    m2 = (gh * xhat).mean(axes, **{keepdim: True})
    return invstd * (gh - m1 - xhat * m2)


def _check_norm_param(t, name, n):
    if t is not None and t._data.size != n:
        raise RuntimeError(f"{name} should contain {n} elements not {t._data.size}")


def _batch_norm_grads(node, g, create_graph, x, w, mean, invstd, training, axes, eps):
    need_x, need_w, need_b = (fn is not None for fn, _ in node.next_functions)
    shape = (1, -1) + (1,) * (len(axes) - 1)
    if create_graph:
        if training:
            xhat, inv = _normalized(x, axes, eps)
        else:
            inv = _make(invstd)
            xhat = (x - _make(mean)) * inv
        gh = g if w is None else g * w.reshape(shape)
        gx = None
        if need_x:
            gx = _stats_input_grad(gh, xhat, inv, axes, "keepdim") if training else gh * inv
        return (gx, (g * xhat).sum(axes) if need_w else None, g.sum(axes) if need_b else None)
    gd = g._data
    xhat = (x._data - mean) * invstd
    gx = gw = gb = None
    if need_x:
        gh = gd if w is None else gd * w._data.reshape(shape)
        gx = _make(_stats_input_grad(gh, xhat, invstd, axes, "keepdims") if training
                   else gh * invstd)
    if need_w:
        gw = _make(np.asarray((gd * xhat).sum(axes)))
    if need_b:
        gb = _make(np.asarray(gd.sum(axes)))
    return gx, gw, gb


_NativeBatchNorm = _fused_node("NativeBatchNormBackward0", _batch_norm_grads)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) over the batch and spatial dims, then scale and shift.

    Training uses the batch's statistics and, when running_mean/running_var are given, moves
    them toward it: running = (1 - momentum) * running + momentum * batch, with the unbiased
    variance. Otherwise the running statistics normalize."""
    d = _float_data(input, "batch_norm", "batch_norm")
    if training:
        size_prods = d.shape[0] if d.ndim else 1
        for s in d.shape[2:]:
            size_prods *= s
        if size_prods == 1:
            exc = ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {Size(d.shape)!r}")
            note(exc, "Batch statistics need at least two values per channel: use a batch of "
                      "two or more, or call model.eval() to use the running statistics.")
            raise exc
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    c = d.shape[1] if d.ndim > 1 else 1
    _check_norm_param(running_mean, "running_mean", c)
    _check_norm_param(running_var, "running_var", c)
    _check_norm_param(weight, "weight", c)
    _check_norm_param(bias, "bias", c)
    axes = (0,) + tuple(range(2, d.ndim))
    shape = (1, c) + (1,) * (d.ndim - 2)
    if training:
        mean, invstd, var, out = _stats_np(d, axes, eps)
        out *= invstd
        m = float(momentum)
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - m
            rm += (mean.reshape(c) * m).astype(rm.dtype, copy=False)
            running_mean._version[0] += 1
        if running_var is not None:
            n = d.size // c
            rv = running_var._data
            rv *= 1 - m
            rv += (var.reshape(c) * (m * n / (n - 1))).astype(rv.dtype, copy=False)
            running_var._version[0] += 1
    else:
        mean = running_mean._data.reshape(shape).astype(d.dtype, copy=False)
        invstd = 1 / np.sqrt(running_var._data.reshape(shape).astype(d.dtype, copy=False) + eps)
        out = (d - mean) * invstd
    if weight is not None:
        out *= weight._data.reshape(shape)
    if bias is not None:
        out += bias._data.reshape(shape)
    return record(out, _NativeBatchNorm, (input, weight, bias),
                  (input, weight, mean, invstd, training, axes, eps))


def _layer_norm_grads(node, g, create_graph, x, w, mean, invstd, axes, eps):
    need_x, need_w, need_b = (fn is not None for fn, _ in node.next_functions)
    lead = tuple(range(x.ndim - len(axes)))
    if create_graph:
        xhat, inv = _normalized(x, axes, eps)
        gh = g if w is None else g * w
        gx = _stats_input_grad(gh, xhat, inv, axes, "keepdim") if need_x else None
        gw = g * xhat if need_w else None  # the engine sums it over the leading dims
        return gx, gw, g if need_b else None
    gd = g._data
    xhat = (x._data - mean) * invstd
    gx = gw = gb = None
    if need_x:
        gx = _make(_stats_input_grad(gd if w is None else gd * w._data, xhat, invstd, axes,
                                     "keepdims"))
    if need_w:
        gw = _make(np.asarray((gd * xhat).sum(lead)))
    if need_b:
        gb = _make(np.asarray(gd.sum(lead)))
    return gx, gw, gb


_NativeLayerNorm = _fused_node("NativeLayerNormBackward0", _layer_norm_grads)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last len(normalized_shape) dims, then scale and shift."""
    d = _float_data(input, "layer_norm", "LayerNormKernelImpl")
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or d.ndim < k or d.shape[d.ndim - k:] != ns:
        exc = RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in ns)}], but got input of size{list(d.shape)}")
        note(exc, "normalized_shape names the trailing dimensions to normalize over: it must "
                  "equal the input's last dimensions.")
        raise exc
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t._data.shape) != ns:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t._data.shape)} and normalized_shape = {list(ns)}")
    axes = tuple(range(d.ndim - k, d.ndim))
    mean, invstd, _, out = _stats_np(d, axes, eps)
    out *= invstd
    if weight is not None:
        out *= weight._data
    if bias is not None:
        out += bias._data
    return record(out, _NativeLayerNorm, (input, weight, bias),
                  (input, weight, mean, invstd, axes, eps))


def _group_norm_grads(node, g, create_graph, x, w, mean, invstd, groups, eps):
    need_x, need_w, need_b = (fn is not None for fn, _ in node.next_functions)
    n = x.shape[0]
    shape = (1, -1) + (1,) * (x.ndim - 2)
    red = (0,) + tuple(range(2, x.ndim))
    if create_graph:
        xg = x.reshape(n, groups, -1)
        xhat_g, inv = _normalized(xg, (2,), eps)
        gh = (g if w is None else g * w.reshape(shape)).reshape(n, groups, -1)
        gx = _stats_input_grad(gh, xhat_g, inv, (2,), "keepdim").reshape(x.shape) \
            if need_x else None
        xhat = xhat_g.reshape(x.shape)
        return (gx, (g * xhat).sum(red) if need_w else None, g.sum(red) if need_b else None)
    xd, gd = x._data, g._data
    xhat_g = (xd.reshape(n, groups, -1) - mean) * invstd
    gx = gw = gb = None
    if need_x:
        gh = (gd if w is None else gd * w._data.reshape(shape)).reshape(n, groups, -1)
        gx = _make(_stats_input_grad(gh, xhat_g, invstd, (2,), "keepdims").reshape(xd.shape))
    if need_w:
        gw = _make(np.asarray((gd * xhat_g.reshape(xd.shape)).sum(red)))
    if need_b:
        gb = _make(np.asarray(gd.sum(red)))
    return gx, gw, gb


_NativeGroupNorm = _fused_node("NativeGroupNormBackward0", _group_norm_grads)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dim 1) into num_groups groups and normalize each group of each
    sample over its channels and spatial dims, then scale and shift per channel."""
    d = _float_data(input, "group_norm", "GroupNormKernelImpl")
    if d.ndim < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{d.ndim}")
    n, c = d.shape[:2]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(d.shape)} and num_groups={num_groups}")
    _check_norm_param(weight, "weight", c)
    _check_norm_param(bias, "bias", c)
    shape = (1, c) + (1,) * (d.ndim - 2)
    xg = d.reshape(n, num_groups, -1)
    mean, invstd, _, out = _stats_np(xg, (2,), eps)
    out *= invstd
    out = out.reshape(d.shape)
    if weight is not None:
        out *= weight._data.reshape(shape)
    if bias is not None:
        out += bias._data.reshape(shape)
    return record(out, _NativeGroupNorm, (input, weight, bias),
                  (input, weight, mean, invstd, num_groups, eps))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    return input / denom


# == dropout =====================================================================================
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, noise_shape, inplace):
    """input * mask / (1 - p), mask drawn with ember.bernoulli (so ember.manual_seed governs
    it); p == 1 multiplies by zero, as PyTorch does."""
    d = input._data
    if p == 1:
        noise = _make(np.zeros((), d.dtype))
    else:
        noise = bernoulli(_make(np.empty(noise_shape, d.dtype)), 1 - p)
        noise._data /= d.dtype.type(1 - p)
    return input.mul_(noise) if inplace else _ew.mul(input, noise)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (in training;
    otherwise return the input itself)."""
    _check_p(p)
    if not training or p == 0 or input._data.size == 0:
        return input
    d = _float_data(input, "dropout", "bernoulli_scalar_cpu_")
    return _dropout(input, p, d.shape, inplace)


def _feature_dropout(input, p, training, inplace):
    if not training or p == 0 or input._data.size == 0:
        return input
    d = input._data
    if d.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _dropout(input, p, d.shape[:2] + (1,) * (d.ndim - 2), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    nd = input.ndim
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if nd == 2:
        if inplace:
            _feature_dropout(input.unsqueeze(0), p, training, True)
            return input
        return _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
    return _feature_dropout(input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (dim 1) with probability p, scaling the rest by 1 / (1 - p)."""
    _check_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


# == embedding ===================================================================================
def _embedding_grads(node, g, create_graph, idx, num, padding_idx, by_freq):
    dim = g.shape[-1]
    flat = idx.reshape(-1)
    coef = None
    if padding_idx >= 0 or by_freq:
        coef = np.ones(flat.size, g._data.dtype)
        if by_freq:
            coef /= np.bincount(flat, minlength=num)[flat]
        coef[flat == padding_idx] = 0
    if create_graph:
        rows = g.reshape(-1, dim)
        if coef is not None:
            rows = rows * _make(coef[:, None])
        return (index_add(_make(np.zeros((num, dim), g._data.dtype)), 0, _make(flat), rows),)
    rows = g._data.reshape(-1, dim)
    if coef is not None:
        rows = rows * coef[:, None]
    out = np.zeros((num, dim), rows.dtype)
    if flat.size:
        # sum the rows of each index: sort once, then one reduceat (no slow np.add.at)
        order = np.argsort(flat, kind="stable")
        s = flat[order]
        starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
        out[s[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return (_make(out),)


_Embedding = _fused_node("EmbeddingBackward0", _embedding_grads)


def _embedding_renorm(weight, idx, max_norm, norm_type):
    """Rescale (in place, unrecorded) the looked-up rows whose norm exceeds max_norm."""
    wd = weight._data
    rows = np.unique(idx)
    sub = wd[rows]
    norms = np.linalg.norm(sub.astype(np.float64), ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    wd[rows] = (sub * scale[:, None]).astype(wd.dtype)
    weight._version[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of weight picked by the integer indices in input (shape input.shape + (dim,)).

    The row at padding_idx gets no gradient. With max_norm, looked-up rows with a larger norm
    are rescaled in place first. (sparse=True still gives a dense gradient.)"""
    check_tensor(input, "embedding", "input", 1)
    idx = input._data
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)")
    wd = weight._data
    if wd.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = wd.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += num
    else:
        padding_idx = -1
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        exc = IndexError("index out of range in self")
        note(exc, f"Every index must lie in [0, {num - 1}] (the table has {num} rows); "
                  f"got values from {idx.min()} to {idx.max()}.")
        raise exc
    if max_norm is not None:
        _embedding_renorm(weight, idx, max_norm, norm_type)
    return record(wd[idx], _Embedding, (weight,), (idx, num, padding_idx, scale_grad_by_freq))


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each index."""
    d = tensor._data
    if d.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if d.size and d.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if not d.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    elif d.size and d.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _make((d[..., None] == np.arange(num_classes)).astype(np.int64))


# == bilinear ====================================================================================
_Trilinear = formula_node(
    "TrilinearBackward0",
    lambda g, a, w, b: einsum("bo,oij,bj->bi", g, w, b),
    lambda g, a, w, b: einsum("bo,bi,bj->oij", g, a, b),
    lambda g, a, w, b: einsum("bo,oij,bi->bj", g, w, a),
)


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]."""
    ad, bd, wd = input1._data, input2._data, weight._data
    if ad.ndim != bd.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {ad.ndim} and "
                           f"{bd.ndim}")
    for i in range(ad.ndim - 1):
        if ad.shape[i] != bd.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {ad.shape[i]} and {bd.shape[i]}")
    if ad.shape[-1] != wd.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{ad.shape[-1]} but expected {wd.shape[1]}")
    if bd.shape[-1] != wd.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{bd.shape[-1]} but expected {wd.shape[2]}")
    if bias is not None and bias._data.shape[-1] != wd.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias._data.shape[-1]} but expected {wd.shape[0]}")
    a = input1.reshape(-1, wd.shape[1])
    b = input2.reshape(-1, wd.shape[2])
    out = np.einsum("bi,oij,bj->bo", a._data, wd, b._data, optimize=True)
    y = record(out.astype(wd.dtype, copy=False), _Trilinear, (a, weight, b), (a, weight, b))
    y = y.reshape(ad.shape[:-1] + (wd.shape[0],))
    return y if bias is None else y + bias


# == more losses =================================================================================
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


def _pair_loss_node(name, deriv):
    """A loss of (input - target) elementwise: gradient deriv(d) for input, minus it for
    target."""
    def grad_x(g, x, t, reduction, n, param):
        return _scaled(g, reduction, n) * deriv(x - t, param)

    def grad_t(g, x, t, reduction, n, param):
        return -(_scaled(g, reduction, n) * deriv(x - t, param))

    return formula_node(name, grad_x, grad_t)


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


_SmoothL1 = _pair_loss_node("SmoothL1LossBackward0", lambda d, beta: (d / beta).clamp(-1, 1))
_Huber = _pair_loss_node("HuberLossBackward0", lambda d, delta: d.clamp(-delta, delta))


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


def _check_no_grad(t, fn, arg):
    if t is not None and t._requires_grad and _grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


def _bce_grad_x(g, x, t, w, reduction, n):
    gx = _scaled(g, reduction, n) * (x - t) / ((1 - x) * x).clamp_min(1e-12)
    return gx if w is None else gx * w


def _bce_grad_t(g, x, t, w, reduction, n):
    # unlike the loss, PyTorch's target gradient does not clamp the logs
    gt = _scaled(g, reduction, n) * ((1 - x).log() - x.log())
    return gt if w is None else gt * w


_BinaryCrossEntropy = formula_node("BinaryCrossEntropyBackward0", _bce_grad_x, _bce_grad_t)


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


_BCEWithLogits = formula_node("BinaryCrossEntropyWithLogitsBackward0", _bcel_grad_x,
                              _bcel_grad_t)


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
        # xlogy(t, t) - t * input; where t == 0 the term is 0 (and its gradient finite)
        zero = target == 0
        safe = where(zero, 1.0, target)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        out = loss.sum()
        return out / input.shape[0] if input.ndim else out
    return _reduce(loss, reduction)


_ = (_dtype, from_np, _bmm_dtype_error, _cpp)

FUNCTIONAL = [  # more names exported by ember.nn.functional (besides those it defines)
    "batch_norm", "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "celu", "celu_", "dropout", "dropout1d", "dropout2d", "elu", "elu_", "embedding", "gelu",
    "group_norm", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
    "huber_loss", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_",
    "logsigmoid", "mish", "normalize", "one_hot", "relu_", "relu6", "selu", "selu_", "silu",
    "smooth_l1_loss", "softmin", "softshrink", "softsign", "tanhshrink", "threshold",
    "threshold_",
]
TENSOR_METHODS = {"softmax": softmax, "log_softmax": log_softmax, "hardshrink": hardshrink}

