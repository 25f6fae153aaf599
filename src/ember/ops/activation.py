"""Activation functions behind ember.nn.functional: the softmax family (softmax, log_softmax,
softmin), softplus, and the elementwise nonlinearities (leaky_relu, elu/selu/celu, hardtanh,
gelu, silu, mish, hardsigmoid, hardswish, logsigmoid, threshold, the shrinks).

Softmax-type ops subtract the row maximum first, so logits of +-1e4 give exact results with no
inf or nan. Each backward is a formula in ember ops, so it can be differentiated again.
"""

import math
import warnings

import numpy as np

from .. import _random
from .._tensor import Tensor, _make, _wrap_dim
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled
from ..autograd.graph import name_saved
from . import elementwise as _ew
from ._inplace import apply_inplace
from ._nn_common import as_kernel, float_data, kernel_arg, kernel_args, kernel_input, kernel_node
from ._op import check_tensor, formula_node, record
from .elementwise import _erf, where
from .linalg import _word
from .random import _mt, exponential_

__all__ = [
    "celu", "celu_", "hardshrink", "log_softmax", "prelu", "rrelu", "rrelu_", "selu", "selu_",
    "softmax", "threshold", "threshold_",
]


# -- softmax family -----------------------------------------------------------------------------
def _softmax_grad(g, dim, y):
    if g.__class__ is np.ndarray:  # a first-order backward (see FormulaNode.arrays)
        return y * (g - (g * y).sum(dim, keepdims=True))
    return y * (g - (g * y).sum(dim, keepdim=True))


def _log_softmax_grad(g, dim, y):
    if g.__class__ is np.ndarray:
        return g - np.exp(y) * g.sum(dim, keepdims=True)
    return g - y.exp() * g.sum(dim, keepdim=True)


def _softmax_jvp(ts, inputs, saved, y):
    # dy = y * (t - <y, t>) along dim
    t = ts[0]
    return y * (t - (y * t).sum(saved[0], keepdim=True))


def _log_softmax_jvp(ts, inputs, saved, y):
    # dy = t - <softmax, t> along dim
    t = ts[0]
    return t - (y.exp() * t).sum(saved[0], keepdim=True)


_Softmax = formula_node("SoftmaxBackward0", _softmax_grad, arrays=True, jvp=_softmax_jvp)
_LogSoftmax = formula_node("LogSoftmaxBackward0", _log_softmax_grad, arrays=True,
                           jvp=_log_softmax_jvp)
name_saved(_Softmax, dim=0, result=-1)
name_saved(_LogSoftmax, dim=0, result=-1)
# attention's softmax: a slice of all -inf (a fully masked row) gives zeros, not nan
_SafeSoftmax = formula_node("SafeSoftmaxBackward0", _softmax_grad, arrays=True,
                            jvp=_softmax_jvp)
name_saved(_SafeSoftmax, dim=0, result=-1)


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
    if d.dtype.kind not in "fV":
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


def safe_softmax(input, dim):
    """softmax along dim, with zeros for a slice that is all -inf (PyTorch's _safe_softmax,
    which scaled_dot_product_attention uses): one node, whose gradient there is zero."""
    input, d, dim = _prepare(input, dim, None, "softmax")
    y = _softmax_np(d, dim)
    if d.ndim and d.size:
        dead = np.isneginf(d).all(dim, keepdims=True)
        if dead.any():
            y = np.where(dead, np.zeros((), y.dtype), y)
    return record(y, _SafeSoftmax, (input,), (dim,), True)


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


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x): the smallest entries get the largest weights."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument.", UserWarning, stacklevel=2)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return softmax(-input, dim, dtype)


# -- softplus -----------------------------------------------------------------------------------
def _softplus_grad(g, x, beta, threshold):
    z = x * beta
    return where(z > threshold, g, g * z.sigmoid())


_Softplus = name_saved(formula_node("SoftplusBackward0", _softplus_grad, elementwise=True),
                       self=0, beta=1, threshold=2)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    d = input._data if isinstance(input, Tensor) else check_tensor(input, "softplus")
    if d.dtype.kind not in "fcV":
        raise NotImplementedError(f"\"softplus_cpu\" not implemented for '{_word(d.dtype)}'")
    t = d.dtype.type
    z = d * t(beta)
    out = np.where(z > threshold, d, np.log1p(np.exp(z)) / t(beta))
    return record(out.astype(d.dtype, copy=False), _Softplus, (input,), (input, beta, threshold))


# -- elementwise activations --------------------------------------------------------------------
_CLAMPS = ("hardtanh",)  # PyTorch's clamp refuses complex input first
def _pointwise(input, name, fwd, node, params, inplace=False, node_out=None, kernel=None):
    """An elementwise activation: ``fwd(array, *params)`` recorded with ``node``, whose formula
    reads the input. In place, ``node_out`` (a formula reading the result, PyTorch's
    ...Backward1) replaces it when the op has one; otherwise ``node`` reads a snapshot."""
    if name in _CLAMPS and isinstance(input, Tensor) and input._data.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    d = float_data(input, name, kernel, node is _Silu)
    if d.dtype.kind == "c":  # silu of complex values: the values only, as in PyTorch
        if input._requires_grad and _grad_enabled():
            raise RuntimeError("silu does not support automatic differentiation for outputs "
                               "with complex dtype.")
        fwd = _silu_complex_np
    if not inplace:
        return record(fwd(d, *params), node, (input,), (input, *params))
    if node_out is None:
        return apply_inplace(input, lambda a: record(fwd(a._data, *params), node, (a,),
                                                    (a, *params)))
    return apply_inplace(input, lambda a: record(fwd(a._data, *params), node_out, (a,), params,
                                                True))


def _leaky_np(d, slope):
    return np.where(d > 0, d, d * slope)


_LeakyRelu = formula_node("LeakyReluBackward0", lambda g, x, s: where(x > 0, g, g * s),
                          elementwise=True)
_LeakyRelu1 = formula_node("LeakyReluBackward1", lambda g, s, y: where(y > 0, g, g * s),
                           elementwise=True)
name_saved(_LeakyRelu, self=0, negative_slope=1)
name_saved(_LeakyRelu1, negative_slope=0, result=-1)


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


_Elu = formula_node("EluBackward0", _elu_grad, elementwise=True)
_Elu1 = formula_node("EluBackward1", _elu_grad_out, elementwise=True)
# PyTorch's celu gradient takes 1 / alpha in single precision (alpha.toFloat()); so do we
def _celu_grad(g, x, alpha, scale, input_scale):
    return _elu_grad(g, x, alpha, scale, 1.0 / float(np.float32(alpha)))


def _celu_grad_out(g, alpha, scale, input_scale, y):
    return _elu_grad_out(g, alpha, scale, 1.0 / float(np.float32(alpha)), y)


_Celu = formula_node("CeluBackward0", _celu_grad, elementwise=True)
_Celu1 = formula_node("CeluBackward1", _celu_grad_out, elementwise=True)
name_saved(_Elu, self=0, alpha=1, scale=2, input_scale=3)
name_saved(_Elu1, alpha=0, scale=1, input_scale=2, result=-1)
name_saved(_Celu, self=0, alpha=1)
name_saved(_Celu1, alpha=0, result=-1)
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


# in place too, PyTorch's node reads the input (a snapshot of it), not the result
_Hardtanh = name_saved(formula_node("HardtanhBackward0", _hardtanh_grad, elementwise=True),
                       self=0, min_val=1, max_val=2)


def _clip_np(d, lo, hi):
    return np.clip(d, lo, hi)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _pointwise(input, "hardtanh", _clip_np, _Hardtanh, (min_val, max_val), inplace)


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
    if not (_grad_enabled() or _fw_state.active):
        # a first-order backward: on arrays (the ember-op form below is for create_graph, and
        # for forward mode, whose tangents ride on the tensors)
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


_Gelu = name_saved(formula_node("GeluBackward0", _gelu_grad, elementwise=True), self=0,
                   approximate=1)


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


_Silu = name_saved(formula_node("SiluBackward0", _silu_grad, elementwise=True), self=0)


def _silu_complex_np(d):
    return d / (1 + np.exp(-d))


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return _pointwise(input, "silu", _silu_np, _Silu, (), inplace)


def _mish_np(d):
    return d * np.tanh(np.logaddexp(d, 0))


def _mish_grad(g, x):
    t = softplus(x).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


_Mish = name_saved(formula_node("MishBackward0", _mish_grad, elementwise=True), self=0)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _pointwise(input, "mish", _mish_np, _Mish, (), inplace)


def _hardsigmoid_np(d):
    return np.clip(d + 3, 0, 6) / 6


_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))  # PyTorch's constant, in single precision
_Hardsigmoid = formula_node("HardsigmoidBackward0",
                            lambda g, x: where((x > -3) & (x < 3), g * _ONE_SIXTH, 0.0),
                            elementwise=True)
name_saved(_Hardsigmoid, self=0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _pointwise(input, "hardsigmoid", _hardsigmoid_np, _Hardsigmoid, (), inplace)


def _hardswish_np(d):
    return d * np.clip(d + 3, 0, 6) / 6


_Hardswish = formula_node(
    "HardswishBackward0",
    lambda g, x: where(x < -3, 0.0, where(x <= 3, g * (x / 3 + 0.5), g)), elementwise=True)
name_saved(_Hardswish, self=0)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _pointwise(input, "hardswish", _hardswish_np, _Hardswish, (), inplace)


_LogSigmoid = formula_node("LogSigmoidBackward0", lambda g, x: g * (-x).sigmoid(), elementwise=True)
# PyTorch's CPU kernel keeps exp(-|x|) (its buffer) for the backward; ember's reads x alone
name_saved(_LogSigmoid, self=0,
           buffer=lambda n: _make(np.exp(-np.abs(n._field(0, False)._data))))


def logsigmoid(input):
    """log(sigmoid(x)), computed without overflow."""
    return _pointwise(input, "log_sigmoid_forward", lambda d: -np.logaddexp(0, -d),
                      _LogSigmoid, ())


def _threshold_np(d, threshold, value):
    return np.where(d > threshold, d, d.dtype.type(value))


_Threshold = formula_node("ThresholdBackward0", lambda g, x, th, v: g * (x > th), elementwise=True)
# in place, PyTorch still masks with the input (a snapshot of it), under another name
_Threshold1 = formula_node("ThresholdBackward1", lambda g, x, th, v: g * (x > th), elementwise=True)
name_saved(_Threshold, self=0, threshold=1)
name_saved(_Threshold1, self=0, threshold=1)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, value elsewhere."""
    if inplace:
        float_data(input, "threshold")
        params = (threshold, value)
        return apply_inplace(input, lambda a: record(_threshold_np(a._data, *params),
                                                    _Threshold1, (a,), (a, *params)))
    return _pointwise(input, "threshold", _threshold_np, _Threshold, (threshold, value))


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


_Hardshrink = formula_node("HardshrinkBackward0", lambda g, x, lambd: g * (x.abs() > lambd),
                           elementwise=True)
_Softshrink = formula_node("SoftshrinkBackward0", lambda g, x, lambd: g * (x.abs() > lambd),
                           elementwise=True)
name_saved(_Hardshrink, self=0, lambd=1)
name_saved(_Softshrink, self=0, lambd=1)


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


# -- gated and parametric rectifiers (built from differentiable ops) ---------------------------
def _glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of input along dim."""
    if not isinstance(input, Tensor):
        check_tensor(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    ax = _wrap_dim(dim, input.ndim)
    n = input.shape[ax]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {ax} is size {n}")
    a, b = input.narrow(ax, 0, n // 2), input.narrow(ax, n // 2, n // 2)
    return a * b.sigmoid()


_K_glu = name_saved(kernel_node("GluBackward0"),  # PyTorch's kernel: one node
                    self=kernel_input(0), dim=kernel_arg("dim"))


def glu(input, *args, **kwargs):
    return as_kernel(_K_glu, (input,), _glu, input, *args,
                     **kwargs)


glu.__wrapped__ = _glu  # its signature (help, vmap's rules)


def prelu(input, weight):
    """x where x >= 0, weight * x elsewhere; weight has one value, or one per channel (dim
    1). Recorded as PyTorch records it: the weight viewed to the input's rank (a
    ViewBackward0 where the ranks differ), then one PreluKernelBackward0."""
    if not isinstance(input, Tensor):
        check_tensor(input, "prelu")
    k = weight.numel()
    nd = input.ndim
    if k != 1:
        channels = input.shape[1] if nd >= 2 else 1
        if k != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {k} and channel size = {channels}.")
    w = weight
    if weight.ndim != nd:
        w = weight.view((1, k) + (1,) * (nd - 2) if nd >= 2 else (k,) * nd)
    return as_kernel(_K_prelu, (input, w), _prelu, input, w)


def _prelu(input, w):
    return where(input > 0, input, w * input)


_K_prelu = name_saved(kernel_node("PreluKernelBackward0"), self=kernel_input(0),
                      weight=kernel_input(1))
def _rrelu_noise(node):
    noise = kernel_args(node)["noise"]
    if noise is None:  # PyTorch's is uninitialized memory: its eval-mode kernel never writes it
        return _make(np.empty_like(kernel_input(0)(node)._data))
    return noise


_K_rrelu = name_saved(kernel_node("RreluWithNoiseBackward0"), self=kernel_input(0),
                      noise=_rrelu_noise, lower=kernel_arg("lower"), upper=kernel_arg("upper"),
                      training=kernel_arg("training"))


def _rrelu_inplace_grad(g, noise, lower, upper, training, y):
    """rrelu_'s backward, from its result: the slopes drawn while training, else the mean."""
    if training:
        return g * noise
    return where(y > 0, g, g * ((lower + upper) / 2))


def _rrelu_inplace_noise(node):
    noise = node._field(0, False)
    if noise is None:  # eval mode: PyTorch's uninitialized noise, never written
        return _make(np.empty_like(node._field(-1, False)._data))
    return noise


# in place, PyTorch records the in-place kernel's node, whose formula reads the result
_Rrelu1 = name_saved(formula_node("RreluWithNoiseBackward1", _rrelu_inplace_grad,
                                  elementwise=True),
                     noise=_rrelu_inplace_noise, lower=1, upper=2, training=3, result=-1)


def _rrelu(input, noise, lower, upper, training):
    """PyTorch's rrelu_with_noise: input * noise while training, else leaky_relu with the mean
    slope."""
    if training:
        return _ew.mul(input, noise)
    return leaky_relu(input, (lower + upper) / 2)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """leaky_relu with a random slope in [lower, upper) per element while training, and the
    mean slope (lower + upper) / 2 otherwise: PyTorch's rrelu_with_noise, one
    RreluWithNoiseBackward0 node."""
    if not training:
        if inplace:
            slope = (lower + upper) / 2
            return apply_inplace(input, lambda a: record(
                _leaky_np(float_data(a, "rrelu_with_noise"), slope), _Rrelu1, (a,),
                (None, lower, upper, False), True))
        return as_kernel(_K_rrelu, (input,), _rrelu, input, None, lower, upper, False)
    # PyTorch draws one slope (a double) per element <= 0, in memory order, between the bounds
    # as its kernel holds them (float for the dtypes it computes in float), with its scalar
    # uniform_real_distribution: u * (hi - lo) + lo, rounded twice (uniform_'s kernel fuses it)
    neg = input._data <= 0
    lo, hi = (lower, upper) if input._data.dtype == np.float64 else (
        float(np.float32(lower)), float(np.float32(upper)))
    slopes = _random.unit64(_mt(None), int(neg.sum())) * (hi - lo) + lo
    noise = np.ones(input.shape, input._data.dtype)
    noise[neg] = slopes
    if inplace:
        noise = _make(noise)
        return apply_inplace(input, lambda a: record(a._data * noise._data, _Rrelu1, (a,),
                                                     (noise, lower, upper, True), True))
    return as_kernel(_K_rrelu, (input,), _rrelu, input, _make(noise), lower, upper, True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) with g Gumbel noise; hard: the one-hot argmax in the forward
    pass, the soft sample's gradient in the backward (straight-through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -exponential_(logits.new_empty(tuple(logits.shape))).log()
    y = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = logits.new_zeros(tuple(logits.shape)).scatter(dim, index, 1.0)
    return y_hard - y.detach() + y


FUNCTIONAL = [  # the forms ember.nn.functional exports
    "celu", "celu_", "elu", "elu_", "gelu", "glu", "gumbel_softmax", "hardshrink",
    "hardsigmoid", "hardswish", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_",
    "logsigmoid", "mish", "prelu", "relu_", "relu6", "rrelu", "rrelu_", "selu", "selu_", "silu",
    "softmin", "softplus", "softshrink", "softsign", "tanhshrink", "threshold", "threshold_",
]
TENSOR_METHODS = {"softmax": softmax, "log_softmax": log_softmax, "hardshrink": hardshrink}
