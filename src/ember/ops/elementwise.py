"""Elementwise ops: each forward on arrays beside its backward written in ember ops.

Tables map an op name to (forward on arrays, one gradient formula per input). The formulas
receive the incoming gradient ``g``, the saved inputs and, when the op saves it, the output ``y``.
"""

import math

import numpy as np

from .. import _dtype, _names
from .._blas import axpy, fuses
from .._dispatch import state as _dispatch
from .._dtype import from_np, result_type
from .._errstate import mark_quiet, silent
from .._tensor import Tensor, _make
from ..autograd.anomaly import record_bump
from ..autograd.anomaly import state as _anomaly_state
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import name_saved
from . import _low as _lowrules
from ._inplace import apply_inplace, check_inplace, inplace_name
from ._op import (
    attach_same_dtype,
    broadcast_shapes_error,
    check_tensor,
    elementwise_jvp,
    formula_node,
    number_first,
    record,
)
from .creation import tensor
from .indexing import nonzero

__all__ = [
    "abs", "absolute", "acos", "acosh", "add", "allclose", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctanh", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_and",
    "bitwise_left_shift", "bitwise_right_shift",
    "bitwise_not", "bitwise_or", "bitwise_xor", "ceil", "clamp", "clamp_max", "clamp_min", "clip",
    "cos", "cosh", "div", "divide", "eq", "equal", "erf", "erfc", "exp", "exp2", "expm1", "fix",
    "floor", "floor_divide", "fmod", "frac", "ge", "greater", "greater_equal", "gt", "isclose",
    "isfinite", "isinf", "isnan", "isneginf", "isposinf", "le", "lerp", "less", "less_equal",
    "log", "log1p", "log2", "log10", "logical_and", "logical_not", "logical_or", "logical_xor",
    "lt", "maximum", "minimum", "mul", "multiply", "ne", "neg", "negative", "not_equal",
    "positive", "pow", "reciprocal", "relu", "remainder", "round", "rsqrt", "sigmoid", "sign",
    "signbit", "sin", "sinh", "sqrt", "square", "sub", "subtract", "tan", "tanh", "true_divide",
    "trunc", "where", "deg2rad", "rad2deg", "sinc", "logit", "nan_to_num", "fmax", "fmin",
    "hypot", "xlogy", "copysign", "logaddexp", "logaddexp2",
]

_ndarray = np.ndarray
# the dtypes of the arithmetic fast paths (float16/bfloat16 go the general way, through _low)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_SCALARS = (int, float, bool, complex, np.number, np.bool_)
_LN2, _LN10 = math.log(2.0), math.log(10.0)


# -- dtype handling ---------------------------------------------------------------------------
def _as_operand(x):
    """A Tensor or a Python number, as ops take them (NumPy arrays and lists become tensors)."""
    if isinstance(x, np.generic):
        return x.item()  # NumPy scalars act as Python numbers, as in PyTorch
    if isinstance(x, (Tensor, int, float, bool, complex)):
        return x
    return tensor(x)


def _float_dtype(d):
    """Ops such as exp or true division compute integer inputs in the default float dtype."""
    return d if d.kind in "fcV" else _dtype.get_default_dtype().np


def _arrays(a, b, floating=False):
    """The two operands as arrays/numbers, cast to the dtype PyTorch computes the op in."""
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        if ad.dtype is bd.dtype and (not floating or ad.dtype.kind in "fcV"):
            return ad, bd
        rt = result_type(a, b).np
        if floating:
            rt = _float_dtype(rt)
        if rt.char in "eE" and (not ad.ndim and ad.dtype != rt or not bd.ndim and bd.dtype != rt):
            # float16/bfloat16: a 0-d operand of another dtype takes part as a number does,
            # in float32 (the kernel computes in float32 and rounds once)
            return _low_operand(ad, rt), _low_operand(bd, rt)
        return (ad if ad.dtype is rt else ad.astype(rt)), (bd if bd.dtype is rt else bd.astype(rt))
    ad = a._data
    # a Python number keeps the tensor's dtype unless it lifts the category (int tensor * 0.5)
    kind = ad.dtype.kind
    if kind in "fV" and type(b) is not complex or kind == "c":
        return ad, b
    if kind in "iu" and type(b) is int and not floating:
        info = np.iinfo(ad.dtype)
        if not info.min <= b <= info.max:
            # PyTorch casts the number to the tensor's type first, wrapping around
            b = np.array(b, np.int64).astype(ad.dtype)
        return ad, b
    rt = result_type(a, b).np
    if floating:
        rt = _float_dtype(rt)
    return (ad if ad.dtype is rt else ad.astype(rt)), b


def _low_operand(d, rt):
    if d.dtype == rt:
        return d
    return d.astype(np.float32) if not d.ndim else d.astype(rt)


def _binary(fwd, node_cls, a, b, floating=False):
    """Apply a broadcasting binary op to two operands, at least one of them a Tensor."""
    # fast path: a float tensor with a same-dtype tensor or a Python number (no casts needed)
    bc = b.__class__
    if a.__class__ is Tensor and (bc is Tensor or bc is float or bc is int):
        ad = a._data
        bd = b._data if bc is Tensor else b
        dt = ad.dtype
        if (dt is _F32 or dt is _F64) and (bc is not Tensor or bd.dtype is dt):
            try:
                out = silent.run(fwd, ad, bd)
            except ValueError:
                raise broadcast_shapes_error(ad.shape, bd.shape) from None
            if out.__class__ is not _ndarray:
                out = np.asarray(out)
            if node_cls is not None and _grad_state.enabled and (
                    a._requires_grad or bc is Tensor and b._requires_grad):
                return attach_same_dtype(out, node_cls, a, b, _read_operands(node_cls, a, b))
            if _fw_state.active and node_cls is not None:
                return record(out, node_cls, (a, b), (a, b))
            return _make(out)
    if (_dispatch.depth or _dispatch.owner) and node_cls is not None:  # vmap may own an argument
        out = _dispatch.ask(node_cls.op.__name__, node_cls.op, (a, b), {})
        if out is not NotImplemented:
            return out
    if not isinstance(a, Tensor):
        # number (op) tensor: compute in the tensor's terms, keep argument order for the formula
        b = _as_operand(b)
        bd, ad = _arrays(b, _as_operand(a), floating)
    else:
        ad, bd = _arrays(a, _as_operand(b), floating)
    try:
        if _is_low(ad) or _is_low(bd):
            if _is_float8(ad) or _is_float8(bd):
                ad, bd = _lowrules.float8_binary(fwd, ad, bd)
            out = _low(fwd, ad, bd)
        else:
            w = ad if ad.__class__ is _ndarray else bd  # a tensor's array, in the result dtype
            if w.dtype.char in _WIDE_CHARS:
                _lowrules.wide_binary(fwd, w)
            out = silent.run(fwd, ad, bd)
    except ValueError:
        exc = broadcast_shapes_error(np.shape(ad), np.shape(bd))
        if exc is None:
            raise
        raise exc from None
    except TypeError:
        if node_cls is not None and np.result_type(ad, bd).kind == "c":
            _complex_node(node_cls)  # raises PyTorch's error for an op without complex support
        raise
    if node_cls is None:
        return _make(np.asarray(out))
    if out.dtype.kind == "c":
        node_cls = _complex_node(node_cls)
    return record(out, node_cls, (a, b), _read_operands(node_cls, a, b))


# float16, bfloat16 and the float8 types (NumPy type codes): computed in float32, rounded once
_LOW_CHARS = "eE" + _dtype.FLOAT8_CHARS
# uint16, uint32, uint64: computed where PyTorch's CPU has a kernel, else its error (_low.py)
_WIDE_CHARS = "HILQ"
_ODD_CHARS = _LOW_CHARS + _WIDE_CHARS
_GUARDED_CHARS = _dtype.FLOAT8_CHARS + _WIDE_CHARS  # the dtypes of _low's refusal tables


def _is_low(x):
    return isinstance(x, (_ndarray, np.generic)) and x.dtype.char in _LOW_CHARS


def _is_float8(x):
    return isinstance(x, (_ndarray, np.generic)) and _dtype.is_float8(x.dtype)


def _low(fwd, *arrays):
    """A float16/bfloat16 kernel as PyTorch's CPU runs it: in float32, rounded once at the end.

    Python numbers stay numbers (so they take part as float32, not rounded to the dtype)."""
    dt = next(a.dtype for a in arrays if _is_low(a))
    out = silent.run(fwd, *(_dtype.cast(a, np.float32) if _is_low(a) else a for a in arrays))
    if out.__class__ is not _ndarray:
        out = np.asarray(out)
    return _dtype.cast(out, dt) if out.dtype == np.float32 else out


def _complex_node(node_cls):
    """The node for a binary op with a complex result (PyTorch's conjugated gradients)."""
    cls = node_cls.__dict__.get("complex_cls")
    if cls is None:
        op = getattr(node_cls, "op", None)
        raise complex_error(node_cls.__name__ if op is None else op.__name__, np.complex64)
    return cls


def _read_operands(node_cls, a, b):
    """Keep only the operands a backward formula will read (PyTorch saves no more).

    ``node_cls.reads`` says, for each input's formula, which operands it reads: add reads
    none, mul's formula for a reads b and for b reads a.
    """
    reads_a, reads_b = node_cls.reads
    need_a = isinstance(a, Tensor) and a._requires_grad
    need_b = isinstance(b, Tensor) and b._requires_grad
    keep_a = need_a and "a" in reads_a or need_b and "a" in reads_b
    keep_b = need_a and "b" in reads_a or need_b and "b" in reads_b
    return (a if keep_a else None, b if keep_b else None)


# -- unary ops ----------------------------------------------------------------------------------
# name: (forward(array), formula(g, x, y), what the formula reads: "x", "y", "xy" or "")
UNARY = {
    "neg": (np.negative, lambda g: -g, ""),
    "exp": (np.exp, lambda g, y: g * y, "y"),
    "exp2": (np.exp2, lambda g, y: g * y * _LN2, "y"),
    "expm1": (np.expm1, lambda g, y: g * (y + 1), "y"),
    "log": (np.log, lambda g, x: g / x, "x"),
    "log2": (np.log2, lambda g, x: g / (x * _LN2), "x"),
    "log10": (np.log10, lambda g, x: g / (x * _LN10), "x"),
    "log1p": (np.log1p, lambda g, x: g / (x + 1), "x"),
    "sqrt": (np.sqrt, lambda g, y: g / (2 * y), "y"),
    "rsqrt": (lambda x: 1 / np.sqrt(x), lambda g, y: -0.5 * g * y * y * y, "y"),
    "sin": (np.sin, lambda g, x: g * x.cos(), "x"),
    "cos": (np.cos, lambda g, x: g * -x.sin(), "x"),
    "tan": (np.tan, lambda g, y: g * (1 + y * y), "y"),
    "asin": (np.arcsin, lambda g, x: g * (1 - x * x).rsqrt(), "x"),
    "acos": (np.arccos, lambda g, x: -g * (1 - x * x).rsqrt(), "x"),
    "atan": (np.arctan, lambda g, x: g / (x * x + 1), "x"),
    "sinh": (np.sinh, lambda g, x: g * x.cosh(), "x"),
    "cosh": (np.cosh, lambda g, x: g * x.sinh(), "x"),
    "tanh": (np.tanh, lambda g, y: g * (1 - y * y), "y"),
    "asinh": (np.arcsinh, lambda g, x: g * (x * x + 1).rsqrt(), "x"),
    "acosh": (np.arccosh, lambda g, x: g * (x * x - 1).rsqrt(), "x"),
    "atanh": (np.arctanh, lambda g, x: g / (1 - x * x), "x"),
    "sigmoid": (lambda x: _sigmoid(x), lambda g, y: g * (y * (1 - y)), "y"),
    "relu": (lambda x: np.maximum(x, 0, dtype=x.dtype), lambda g, y: g * (y > 0), "y"),
    "reciprocal": (np.reciprocal, lambda g, y: -g * (y * y), "y"),
    "abs": (np.abs, lambda g, x: g * x.sign(), "x"),
    "erf": (lambda x: _erf(x), lambda g, x: g * (2 / math.sqrt(math.pi)) * (-x * x).exp(), "x"),
    "erfc": (lambda x: 1 - _erf(x), lambda g, x: g * (-2 / math.sqrt(math.pi)) * (-x * x).exp(),
             "x"),
    "frac": (lambda x: x - np.trunc(x), lambda g: g, ""),
    "deg2rad": (lambda x: x * (math.pi / 180), lambda g: g * (math.pi / 180), ""),
    "rad2deg": (lambda x: x * (180 / math.pi), lambda g: g * (180 / math.pi), ""),
    "sinc": (np.sinc, lambda g, x: g * _sinc_grad(x), "x"),
    # piecewise-constant ops: zero gradient, as in PyTorch
    "sign": (np.sign, lambda g: g * 0, ""),
    "floor": (np.floor, lambda g: g * 0, ""),
    "ceil": (np.ceil, lambda g: g * 0, ""),
    "round": (np.round, lambda g: g * 0, ""),
    "trunc": (np.trunc, lambda g: g * 0, ""),
}
# ops whose formulas use only arithmetic operators, so they also run on raw arrays
_ARITHMETIC = {
    "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "tan",
    "atan", "tanh", "atanh", "sigmoid", "relu", "reciprocal", "frac", "deg2rad", "rad2deg",
    "sign", "floor", "ceil", "round", "trunc", "add", "sub", "mul", "div",
}
# ops that keep integer dtypes (the rest compute integers in the default float dtype)
_KEEPS_INT = {"neg", "abs", "sign", "floor", "ceil", "round", "trunc", "relu", "frac"}
# what PyTorch's kernels say of a bool tensor (sign, the one it takes, gives it back)
_BOOL_REFUSED = {
    "neg": (RuntimeError, "Negation, the `-` operator, on a bool tensor is not supported. If "
            "you are trying to invert a mask, use the `~` or `logical_not()` operator instead."),
    "relu": (RuntimeError, "Boolean inputs not supported for relu"),
    **{n: (NotImplementedError, f'"{n}_cpu" not implemented for \'Bool\'')
       for n in ("abs", "frac")},
    **{n: (NotImplementedError, f'"{n}_vml_cpu" not implemented for \'Bool\'')
       for n in ("floor", "ceil", "round", "trunc")},
}
_NODE_NAMES = {"log1p": "Log1PBackward0", "deg2rad": "Deg2RadBackward0",
               "rad2deg": "Rad2DegBackward0"}


def _sinc_grad(x):
    # d/dx sin(pi x) / (pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x**2); 0 at x = 0
    px = x * math.pi
    return where(x == 0, 0.0, (px * px.cos() - px.sin()) / (px * x))


def _sigmoid(x):
    # 1 / (1 + exp(-x)) overflows exp for large negative x; this form never does
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


_erf_scalar = np.vectorize(math.erf, otypes=[np.float64])
# Taylor coefficients of erf(x) * sqrt(pi) / 2 in powers of x**2: (-1)**n / (n! (2n + 1))
_ERF_TAYLOR = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13)][::-1]
_ERFC_FIT = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
             0.09678418, 0.37409196, 1.00002368, -1.26551223)


def _erf(x):
    """erf in x's dtype: exact (C library) for float64, vectorised for smaller floats."""
    if x.dtype == np.float64 or x.size < 64:
        return _erf_scalar(x).astype(x.dtype, copy=False)
    z = x.astype(np.float64)
    a = np.abs(z)
    # |x| < 0.6: the Taylor series (error < 1e-16); beyond: 1 - erfc by a Chebyshev fit whose
    # relative error 1.2e-7 of erfc (< 0.4) keeps erf within about one float32 ulp
    z2 = z * z
    series = np.zeros_like(z)
    for c in _ERF_TAYLOR:
        series = series * z2 + c
    series *= z * (2 / math.sqrt(math.pi))
    t = 1.0 / (1.0 + 0.5 * a)
    poly = np.full_like(z, _ERFC_FIT[0])
    for c in _ERFC_FIT[1:]:
        poly = c + t * poly
    tail = np.copysign(1.0 - t * np.exp(poly - a * a), z)
    return np.where(a < 0.6, series, tail).astype(x.dtype)


# -- complex inputs ------------------------------------------------------------------------------
# A holomorphic op's gradient is the conjugate of its derivative times the incoming gradient
# (PyTorch's convention); its real formula g * f'(x) gives that as conj(formula(conj(g), ...)).
# Its forward rule is the formula itself, f'(x) t. Ops PyTorch refuses for complex raise its text.
_HOLOMORPHIC = {
    "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin",
    "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "sigmoid", "reciprocal", "sinc", "mul", "div", "pow", "logaddexp",
}
_COMPLEX_ERRORS = {
    "relu": (NotImplementedError, "clamp is not supported for complex types"),
    "sign": (NotImplementedError, "Unlike NumPy, ember.sign is not intended to support complex "
             "numbers. Please use ember.sgn instead."),
    "floor": (NotImplementedError, "floor is not supported for complex inputs"),
    "ceil": (NotImplementedError, "ceil is not supported for complex inputs"),
    "trunc": (NotImplementedError, "trunc is not supported for complex inputs"),
    "deg2rad": (RuntimeError, "deg2rad is not supported for complex tensors."),
    "rad2deg": (RuntimeError, "rad2deg is not supported for complex tensors."),
    "maximum": (RuntimeError, "maximum not implemented for complex tensors."),
    "minimum": (RuntimeError, "minimum not implemented for complex tensors."),
    "fmax": (RuntimeError, "fmax not implemented for complex tensors."),
    "fmin": (RuntimeError, "fmin not implemented for complex tensors."),
}
_COMPLEX_KERNELS = {"erf": "erf_vml", "erfc": "erfc_vml", "frac": "frac", "round": "round_vml",
                    "atan2": "atan2", "remainder": "remainder", "fmod": "fmod", "hypot": "hypot",
                    "xlogy": "xlogy", "copysign": "copysign", "lt": "lt", "le": "le", "gt": "gt",
                    "ge": "ge"}


def complex_error(name, dt):
    """PyTorch's error for op ``name`` on a complex tensor of NumPy dtype ``dt``."""
    if name in _COMPLEX_ERRORS:
        cls, text = _COMPLEX_ERRORS[name]
        return cls(_names.spell(text))
    word = from_np[np.dtype(dt)].word
    kernel = _COMPLEX_KERNELS.get(name)
    if kernel is not None:
        return NotImplementedError(f'"{kernel}_cpu" not implemented for \'{word}\'')
    return NotImplementedError(f"{name}() of complex tensors is not supported by ember yet")


def _conj_formula(formula):
    def conj_formula(g, *args):
        return formula(g.conj(), *args).conj()

    return conj_formula


def _complex_unary_node(name, node_name, formula):
    if name == "abs":  # |z|: the real gradient times sgn(z)
        return formula_node(node_name, lambda g, x: g * x.sgn(),
                            jvp=lambda ts, inputs, saved, out: (ts[0] * saved[0].sgn().conj()).real)
    if name not in _HOLOMORPHIC:
        return None
    return formula_node(node_name, _conj_formula(formula), arrays=name in _ARITHMETIC,
                        jvp=elementwise_jvp((formula,)))


def _complex_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _make_unary(name, fwd, formula, reads):
    node_name = _NODE_NAMES.get(name, name.capitalize() + "Backward0")
    node_cls = formula_node(node_name, formula, arrays=name in _ARITHMETIC, elementwise=True)
    complex_cls = _complex_unary_node(name, node_name, formula)
    complex_fwd = _complex_sigmoid if name == "sigmoid" else fwd
    keeps_int = name in _KEEPS_INT
    save_x, save_y = "x" in reads, "y" in reads
    for cls in (node_cls, complex_cls):
        if cls is None:
            continue
        if save_y:
            name_saved(cls, result=-1)
        elif save_x:
            name_saved(cls, self=0)

    def op(input, *, _checked=False):
        if input.__class__ is Tensor:
            d = input._data
        else:
            if _dispatch.depth or _dispatch.owner:  # vmap may own this argument
                out = _dispatch.ask(name, op, (input,), {})
                if out is not NotImplemented:
                    return out
            d = input._data if isinstance(input, Tensor) else check_tensor(input, name)
        dt = d.dtype
        if dt is not _F32 and dt is not _F64 and not _checked and guarded is not None \
                and dt.char in _GUARDED_CHARS:
            return guarded(input)  # uint16/32/64, float8: PyTorch's refusals first
        kind = dt.kind
        if kind == "c":
            if complex_cls is None:
                raise complex_error(name, d.dtype)
            return record(silent.run(complex_fwd, d), complex_cls, (input,),
                          (input,) if save_x else (), save_y)
        if not keeps_int and kind not in "fcV":
            d = d.astype(_dtype.get_default_dtype().np)
        elif kind == "b":
            refused = _BOOL_REFUSED.get(name)
            if refused is not None:
                raise refused[0](refused[1])
            return _make(d.copy())
        if dt is _F32 or dt is _F64 or d.dtype.char not in _ODD_CHARS:
            out = silent.run(fwd, d)
        elif d.dtype.char in _WIDE_CHARS:
            _lowrules.wide_unary(name, d)
            out = silent.run(fwd, d)
        else:
            if _dtype.is_float8(d.dtype):
                _lowrules.float8_unary(name, d)
            out = _low(fwd, d)
        return record(out, node_cls, (input,), (input,) if save_x else (), save_y)

    guarded = _lowrules.guarded(lambda input: op(input, _checked=True), name)
    op.__name__ = name
    op.guards_itself = True  # no refusal wrapper around it (_low.wrap)
    return mark_quiet(op)


for _name, (_fwd, _formula, _reads) in UNARY.items():
    globals()[_name] = _make_unary(_name, _fwd, _formula, _reads)

negative, absolute, arcsin, arccos, arctan = neg, abs, asin, acos, atan  # noqa: F821
arcsinh, arccosh, arctanh, fix = asinh, acosh, atanh, trunc  # noqa: F821


_round_integer = round  # noqa: F821 - the table's op (no decimals: RoundBackward0)
_RoundDecimals = formula_node("RoundBackward1", lambda g, decimals: g * 0, elementwise=True)


def round(input, *args, decimals=None):  # noqa: A001 - torch.round
    """To the nearest integer (halves to even); with ``decimals`` (PyTorch's second overload)
    to that many decimal places as PyTorch's kernel rounds them: ``rint(x * 10**d) / 10**d``,
    or ``rint(x / 10**-d) * 10**-d`` for a negative d, in float32 for the 16-bit floats."""
    if decimals is None and not args:
        return _round_integer(input)
    if args or decimals.__class__ is not int or not isinstance(input, Tensor):
        got = ", ".join(["Tensor" if isinstance(input, Tensor) else type(input).__name__,
                         *(type(a).__name__ for a in args),
                         *([] if decimals is None else [f"decimals={type(decimals).__name__}"])])
        raise TypeError(
            f"round() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (Tensor input, *, Tensor out = None)\n"
            " * (Tensor input, *, int decimals, Tensor out = None)\n")
    d = input._data
    if d.dtype.kind != "f" and not _dtype.is_bfloat16(d.dtype):
        word = _dtype.from_np[d.dtype].word
        raise NotImplementedError(f'"round_cpu" not implemented for \'{word}\'')
    x = d if d.dtype.itemsize >= 4 else d.astype(np.float32)
    k = -decimals if decimals < 0 else decimals
    scale = x.dtype.type(10.0 ** k if k <= 308 else math.inf)  # PyTorch's pow(10, k) (double)
    with np.errstate(all="ignore"):
        out = np.rint(x / scale) * scale if decimals < 0 else np.rint(x * scale) / scale
    return record(out.astype(d.dtype, copy=False), _RoundDecimals, (input,), (decimals,))


def positive(input):
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _logit_grad(g, x, eps):
    lo, hi = (0.0, 1.0) if eps is None else (eps, 1 - eps)
    outside = (x < lo) | (x > hi)
    return where(outside, math.nan if eps is None else 0.0, g / (x * (1 - x)))


_Logit = name_saved(formula_node("LogitBackward0", _logit_grad, elementwise=True), self=0, eps=1)


def logit(input, eps=None):
    d = input._data if input._data.dtype.kind in "fcV" else input._data.astype(
        _dtype.get_default_dtype().np)
    z = d if eps is None else np.clip(d, eps, 1 - eps)
    return record(np.log(z / (1 - z)), _Logit, (input,), (input, eps))


_NanToNum = name_saved(formula_node("NanToNumBackward0", lambda g, x: g * x.isfinite(),
                                    elementwise=True), self=0)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    d = input._data
    if d.dtype.kind not in "fcV":
        return input.clone()
    out = np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf)
    return record(out, _NanToNum, (input,), (input,))


def square(input):
    return pow(input, 2)


# -- binary ops ---------------------------------------------------------------------------------
def _pow_base_grad(g, a, b):
    if isinstance(b, Tensor):
        return g * b * a ** (b - 1)
    if b == 2:
        return g * (a + a)  # 2a exactly, without converting a Python number
    if b == 0:
        return g * 0
    return g * (b * a ** (b - 1))


def _pow_exp_grad(g, a, b):
    # d/db a**b = a**b * log(a); where a == 0 and b >= 0 PyTorch defines it as 0
    if isinstance(a, Tensor):
        bb = b.real if isinstance(b, Tensor) and b.is_complex() else b
        return where((a == 0) & (bb >= 0), 0.0, g * a**b * a.log())
    return g * a**b * math.log(a) if a != 0 else g * 0


def _min_max_grad(pick):
    def grad_a(g, a, b):
        return where(a == b, g / 2, where(pick(a, b), g, 0.0))

    def grad_b(g, a, b):
        return where(a == b, g / 2, where(pick(b, a), g, 0.0))

    return grad_a, grad_b


def _np_pow(a, b):
    if type(b) is int:
        if b == 2 and a.dtype.kind in "fV":
            return np.square(a)  # x * x, as PyTorch computes it (and faster than power)
        if b < 0 and a.dtype.kind in "iu":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    return np.power(a, b)


# name: (forward, node name, formula for a, formula for b, what each formula reads,
#        computes in floats)
BINARY = {
    "add": (np.add, "AddBackward0", lambda g, a, b: g, lambda g, a, b: g, ("", ""), False),
    "sub": (np.subtract, "SubBackward0", lambda g, a, b: g, lambda g, a, b: -g, ("", ""), False),
    "mul": (np.multiply, "MulBackward0", lambda g, a, b: g * b, lambda g, a, b: g * a,
            ("b", "a"), False),
    "div": (np.true_divide, "DivBackward0", lambda g, a, b: g / b,
            lambda g, a, b: -g * (a / b / b), ("b", "ab"), True),
    "pow": (_np_pow, "PowBackward1", _pow_base_grad, _pow_exp_grad, ("ab", "ab"), False),
    "atan2": (np.arctan2, "Atan2Backward0", lambda g, a, b: g * b / (a * a + b * b),
              lambda g, a, b: -g * a / (a * a + b * b), ("ab", "ab"), True),
    "remainder": (np.remainder, "RemainderBackward1", lambda g, a, b: g,
                  lambda g, a, b: -g * floor_divide(a, b), ("", "ab"), False),
    "fmod": (np.fmod, "FmodBackward1", lambda g, a, b: g,
             lambda g, a, b: -g * (a / b).trunc(), ("", "ab"), False),
    "maximum": (np.maximum, "MaximumBackward0", *_min_max_grad(lambda x, y: x > y),
                ("ab", "ab"), False),
    "minimum": (np.minimum, "MinimumBackward0", *_min_max_grad(lambda x, y: x < y),
                ("ab", "ab"), False),
    # fmax/fmin ignore nan; ties send the whole gradient to the first input (PyTorch's rule)
    "fmax": (np.fmax, "FmaxBackward0", lambda g, a, b: g * ((a >= b) | b.isnan()),
             lambda g, a, b: g * ~((a >= b) | b.isnan()), ("ab", "ab"), False),
    "fmin": (np.fmin, "FminBackward0", lambda g, a, b: g * ((a <= b) | b.isnan()),
             lambda g, a, b: g * ~((a <= b) | b.isnan()), ("ab", "ab"), False),
    "hypot": (np.hypot, "HypotBackward0", lambda g, a, b: g * a / hypot(a, b),
              lambda g, a, b: g * b / hypot(a, b), ("ab", "ab"), True),
    "xlogy": (lambda a, b: np.where((a == 0) & ~np.isnan(b), 0, a * np.log(b)).astype(
        np.result_type(a, b), copy=False), "XlogyBackward0",
        lambda g, a, b: where((a == 0) & (b <= 0), 0.0, xlogy(g, b)),
        lambda g, a, b: g * a / b, ("ab", "ab"), True),
    "copysign": (np.copysign, "CopysignBackward0",
                 lambda g, a, b: g * where(a == 0, 0.0, copysign(a, b) / a),
                 lambda g, a, b: g * 0, ("ab", "ab"), True),  # (kept for the result)
    # log(exp(a) + exp(b)) and log2(2**a + 2**b); tensors only, of a floating result type
    "logaddexp": (np.logaddexp, "LogaddexpBackward0", lambda g, a, b: g / ((b - a).exp() + 1),
                  lambda g, a, b: g / ((a - b).exp() + 1), ("ab", "ab"), True),
    "logaddexp2": (np.logaddexp2, "Logaddexp2Backward0", lambda g, a, b: g / (2 ** (b - a) + 1),
                   lambda g, a, b: g / (2 ** (a - b) + 1), ("ab", "ab"), True),
}
# PyTorch takes no Python number for these (Tensor-only signatures): {name: whether integer
# operands are refused too}; the Tensor methods get the same checks
_TENSORS_ONLY = {"logaddexp": True, "logaddexp2": True, "atan2": False, "maximum": False,
                 "minimum": False, "fmax": False, "fmin": False, "hypot": False}
# ops whose Scalar overloads PyTorch records as their own nodes: {name: (node of tensor (op)
# number, node of number (op) tensor, or None where PyTorch has no such overload)}
_NUMBER_NODES = {"xlogy": ("XlogyBackward2", "XlogyBackward1"),
                 "copysign": ("CopysignBackward1", None)}


def binary_node(name, grad_a, grad_b, reads, arrays=False, holomorphic=False):
    """A node class for a binary op, knowing which operands each formula reads.

    ``holomorphic``: the op takes complex operands; ``complex_cls`` is then its node for a
    complex result (the formulas conjugated). Linear formulas (add, sub) serve both.
    """
    node_cls = formula_node(name, grad_a, grad_b, arrays=arrays)
    node_cls.reads = reads
    # forward rule: each formula on its operand's tangent, summed (no sum_to: the output's shape)
    node_cls.jvp = staticmethod(elementwise_jvp((grad_a, grad_b), operands=True))
    node_cls.complex_cls = node_cls
    if holomorphic:
        cls = formula_node(name, _conj_formula(grad_a), _conj_formula(grad_b), arrays=arrays)
        cls.reads = reads
        cls.jvp = staticmethod(elementwise_jvp((grad_a, grad_b), operands=True))
        node_cls.complex_cls = cls
    elif reads != ("", ""):
        node_cls.complex_cls = None
    return node_cls


def _result_again(node):
    """``_saved_result`` of a binary op whose ember backward does not read its output (ember
    keeps the operands): the output computed again from them when read."""
    a, b = node._field(0, False), node._field(1, False)
    enabled, fw = _grad_state.enabled, _fw_state.active
    _grad_state.enabled = _fw_state.active = False
    try:
        return type(node).op(a, b)
    finally:
        _grad_state.enabled, _fw_state.active = enabled, fw


def _make_binary(name, fwd, node_name, grad_a, grad_b, reads, floating):
    def node(node_name, numbers_as_tensors=True):
        node_cls = binary_node(node_name, grad_a, grad_b, reads, name in _ARITHMETIC,
                               name in _HOLOMORPHIC)
        for cls in {node_cls, node_cls.complex_cls} - {None}:
            if name == "pow":
                name_saved(cls, self=0, exponent=1, result=_result_again)
            elif name == "copysign":  # its backward reads self and the result, not other
                name_saved(cls, numbers_as_tensors=numbers_as_tensors, needed={"self": 0},
                           self=0, result=_result_again)
            elif name == "hypot":  # each input's gradient reads that input and the result
                name_saved(cls, numbers_as_tensors=True, needed={"self": 0, "other": 1},
                           self=0, other=1, result=_result_again)
            elif name not in ("add", "sub"):  # PyTorch's add and sub save only alpha
                name_saved(cls, numbers_as_tensors=numbers_as_tensors, self=0, other=1)
        return node_cls

    node_cls = node(node_name)
    if name in _NUMBER_NODES:  # the Scalar overloads' own nodes, which show the number as given
        number_b, number_a = (None if n is None else node(n, False) for n in _NUMBER_NODES[name])

        def op(input, other):
            if isinstance(other, _NUMBERS):  # a NumPy scalar counts as the number it holds
                return _binary(fwd, number_b, input, _item(other), floating)
            if isinstance(input, _NUMBERS):
                if number_a is None:
                    raise TypeError(
                        f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, Tensor), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
                return _binary(fwd, number_a, _item(input), other, floating)
            return _binary(fwd, node_cls, input, other, floating)

        for cls in {number_a, number_b} - {None}:
            cls.op = op
    else:
        def op(input, other):
            return _binary(fwd, node_cls, input, other, floating)

    op.__name__ = name
    op.binary = (fwd, node_cls, floating)
    node_cls.op = op
    return mark_quiet(op)


_NUMBERS = (int, float, np.number, np.bool_)


def _item(x):
    return x.item() if isinstance(x, np.generic) else x


def _tensors_only(name, op, floating, method=False, label=None):
    """op for tensor operands only, of a floating result type where ``floating`` (PyTorch's
    checks and texts; ``label``: the name the errors give, when not ``name``)."""
    label = label or name

    def checked(input, other):
        if _dispatch.depth:  # a transform (vmap) may own an argument
            out = _dispatch.handler(name, checked, (input, other), {})
            if out is not NotImplemented:
                return out
        if not method:
            check_tensor(input, label)
        check_tensor(other, label, "other", 1 if method else 2)
        if not floating:
            return op(input, other)
        rt = result_type(input, other)
        if rt.is_complex:
            raise NotImplementedError(f"{name}() of complex tensors is not supported by ember yet")
        if not rt.is_floating_point:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{rt.word}'")
        return op(input, other)

    checked.__name__ = name
    return mark_quiet(checked)


_UNCHECKED = {}  # the ops of _TENSORS_ONLY before their checks (the methods wrap them too)
for _name, _spec in BINARY.items():
    globals()[_name] = _make_binary(_name, *_spec)
    if _name in _TENSORS_ONLY:  # the function and the methods check their arguments
        _UNCHECKED[_name] = globals()[_name]
        globals()[_name] = _tensors_only(_name, _UNCHECKED[_name], _TENSORS_ONLY[_name])

multiply, subtract, divide, true_divide = mul, sub, div, div  # noqa: F821
_PowScalar = formula_node("PowBackward0", _pow_base_grad, arrays=True,  # a number exponent
                          elementwise=True)
name_saved(_PowScalar, self=0, exponent=1)
_PowExp = formula_node("PowBackward2", _pow_exp_grad, elementwise=True)
_PowScalarC = formula_node("PowBackward0", _conj_formula(_pow_base_grad), arrays=True,
                           jvp=elementwise_jvp((_pow_base_grad,)))
name_saved(_PowScalarC, self=0, exponent=1)
_PowExpC = formula_node("PowBackward2", _conj_formula(_pow_exp_grad),
                        jvp=elementwise_jvp((_pow_exp_grad,)))


def _alpha_node(name, sign):
    """add/sub with alpha on two tensors: one node, as PyTorch's (other's gradient g * alpha)."""
    node_cls = formula_node(name, lambda g, alpha: g, lambda g, alpha: g * (sign * alpha),
                            elementwise=True)
    return name_saved(node_cls, alpha=0)


_ADD_ALPHA = _alpha_node("AddBackward0", 1)
_SUB_ALPHA = _alpha_node("SubBackward0", -1)


def _with_alpha(fwd, node_cls, alpha_cls, input, other, alpha):
    """input + alpha * other (or -): one node whose edges are input's and other's."""
    fused = _fused_alpha(input, other, alpha if fwd is np.add else -alpha)
    if (_grad_state.enabled and isinstance(input, Tensor) and isinstance(other, Tensor)
            and (input._requires_grad or other._requires_grad)
            and not isinstance(alpha, complex) and not _dispatch.depth):
        if fused is None:
            fw = _fw_state.active
            _grad_state.enabled = _fw_state.active = False
            try:
                fused = _binary(fwd, node_cls, input, other * alpha)._data
            finally:
                _grad_state.enabled, _fw_state.active = True, fw
        return record(fused, alpha_cls, (input, other), (alpha,))
    if fused is not None:
        return record(fused, alpha_cls, (input, other), (alpha,)) if _fw_state.active else \
            _make(fused)
    return _binary(fwd, node_cls, input, other * alpha)


def _fused_alpha(input, other, alpha):
    """input + alpha * other rounded once, as PyTorch's kernel fuses it, for two C-contiguous
    tensors of one shape and dtype (float32, float64) where BLAS's axpy fuses (``_blas``):
    the result array, or None (then two roundings, alpha * other and the sum)."""
    if (not isinstance(input, Tensor) or not isinstance(other, Tensor) or _dispatch.depth
            or _dispatch.owner):
        return None
    a, b = input._data, other._data
    if (b.dtype is not a.dtype or b.shape != a.shape or not b.flags.c_contiguous
            or alpha.__class__ not in (float, int) or not fuses(a.dtype)):
        return None
    out = a.copy()
    return out if axpy(a.dtype.type(alpha), b, out) else None


@mark_quiet
def add(input, other, *, alpha=1):  # noqa: F811
    if alpha != 1:
        return _with_alpha(np.add, _ADD, _ADD_ALPHA, input, other, alpha)
    return _binary(np.add, _ADD, input, other)


@mark_quiet
def sub(input, other, *, alpha=1):  # noqa: F811
    oc = other.__class__
    if not (input.__class__ is Tensor and input._data.dtype.kind in "fV" and (
            oc is float or oc is int or oc is Tensor and other._data.dtype.kind in "fV")):
        _check_bool_sub(input, other)
    if alpha != 1:
        return _with_alpha(np.subtract, _SUB, _SUB_ALPHA, input, other, alpha)
    return _binary(np.subtract, _SUB, input, other)


def _is_bool(x):
    if isinstance(x, Tensor):
        return x.dtype is _dtype.bool
    return isinstance(x, (bool, np.bool_))


def _check_bool_sub(a, b):
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


_ADD = binary_node("AddBackward0", lambda g, a, b: g, lambda g, a, b: g, ("", ""), True)
add.binary = (np.add, _ADD, False)
_SUB = binary_node("SubBackward0", lambda g, a, b: g, lambda g, a, b: -g, ("", ""), True)
_ADD.op, _SUB.op = add, sub
_ADD._saved_alpha = _SUB._saved_alpha = property(lambda self: 1)  # PyTorch's default alpha
_RSUB = formula_node("RsubBackward1", lambda g: -g, arrays=True, elementwise=True)
_RSUB._saved_alpha = property(lambda self: 1)  # PyTorch's default alpha


def _rsub(self, other):
    """other - self, for a number other (PyTorch records it as one op on self)."""
    _check_bool_sub(self, other)
    sd, od = _arrays(self, _as_operand(other))
    if sd.dtype.char in _WIDE_CHARS:
        _lowrules.wide_binary(np.subtract, sd)
    return record(od - sd, _RSUB, (self,))
subtract = sub


@mark_quiet
def pow(input, exponent):  # noqa: A001
    """tensor ** number (PowBackward0), tensor ** tensor (PowBackward1), number ** tensor."""
    if _dispatch.depth:  # a transform (vmap) may own an argument
        out = _dispatch.handler("pow", pow, (input, exponent), {})
        if out is not NotImplemented:
            return out
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            return _binary(_np_pow, _POW, input, exponent)
        if isinstance(exponent, np.generic):
            exponent = exponent.item()  # a NumPy scalar acts as a Python number, as in PyTorch
        d = input._data
        if d.dtype.kind in "biu" and isinstance(exponent, float):
            d = d.astype(_dtype.get_default_dtype().np)
        elif d.dtype.char in _GUARDED_CHARS:  # uint16/32/64, float8: PyTorch's refusals
            if d.dtype.char in _WIDE_CHARS:
                _lowrules.wide_binary(_np_pow, d)
            elif _is_float8(d):
                _lowrules.float8_binary(_np_pow, d, exponent)
        try:
            out = silent.run(_np_pow, d, exponent)
        except ValueError:
            raise RuntimeError("Integers to negative integer powers are not allowed.") from None
        node = _PowScalarC if out.dtype.kind == "c" else _PowScalar
        return record(out, node, (input,), (input, exponent))
    # number ** tensor
    if exponent._data.dtype.char in _WIDE_CHARS and not isinstance(input, (float, complex)):
        _lowrules.wide_binary(_np_pow, exponent._data)
    elif exponent._data.dtype.char in _GUARDED_CHARS and _is_float8(exponent._data):
        _lowrules.float8_binary(_np_pow, input, exponent._data)
    ed, nd = _arrays(exponent, input, floating=True)
    out = silent.run(np.power, nd, ed)
    node = _PowExpC if out.dtype.kind == "c" else _PowExp
    return record(out, node, (exponent,), (input, exponent))


_POW = binary_node("PowBackward1", _pow_base_grad, _pow_exp_grad, ("ab", "ab"),
                   holomorphic=True)
_POW.op = _POW.complex_cls.op = _PowExp.op = _PowExpC.op = pow
for _cls in (_POW, _POW.complex_cls, _PowExp, _PowExpC):  # the result is not kept: computed
    name_saved(_cls, self=0, exponent=1, result=_result_again)


def _floor_div(a, b):
    rk = np.result_type(a, b).kind
    if rk == "c":
        raise NotImplementedError(
            f"\"div_floor_cpu\" not implemented for '{from_np[np.result_type(a, b)].word}'")
    if rk in "iu" and not np.all(b):
        raise ZeroDivisionError("ZeroDivisionError")
    return np.floor_divide(a, b)


def floor_divide(input, other):
    out = _binary(_floor_div, None, input, other)
    return out


_DIV = div.binary[1]  # noqa: F821 - the table's node, which div with a rounding mode also uses


# a tensor and a number inside an op (PyTorch's Scalar overloads of mul and div): one
# MulBackward1 or DivBackward1 node, the number kept in the tensor's dtype
_MulScalar = formula_node("MulBackward1", lambda g, s: g * s, elementwise=True)
_DivScalar = formula_node("DivBackward1", lambda g, s: g / s, elementwise=True)
name_saved(_MulScalar, other=0)
name_saved(_DivScalar, other=0)


def _with_number(fn, t, s):
    """fn(t's array, s) as PyTorch's Scalar overloads compute it, or None where the public op
    must run instead (under a transform, or for a dtype the number promotes): float32 and
    float64 with the number in the tensor's dtype, float16 and bfloat16 in float32 (their
    opmath) rounded once."""
    if _dispatch.depth:  # a transform (vmap) sees the public op
        return None
    d = t._data
    c = d.dtype.char
    if c == "f" or c == "d":
        return fn(d, d.dtype.type(s))
    if c == "e" or d.dtype.name == "bfloat16":
        return fn(d.astype(np.float32), np.float32(s)).astype(d.dtype)
    return None


def mul_scalar(t, s):
    out = _with_number(np.multiply, t, s)
    if out is None:  # the operator: PyTorch's promotion, or its refusal (float8)
        return t * s
    return record(out, _MulScalar, (t,), (s,))


def div_scalar(t, s):
    out = _with_number(np.true_divide, t, s)
    if out is None:
        return t / s
    return record(out, _DivScalar, (t,), (s,))


_AddScalar = formula_node("AddBackward1", lambda g: g, arrays=True, elementwise=True)
_SubScalar = formula_node("SubBackward1", lambda g: g, arrays=True, elementwise=True)


def add_scalar(t, s):
    """t + s for a number s, as PyTorch's Scalar overload records it (AddBackward1)."""
    out = _with_number(np.add, t, s)
    return t + s if out is None else record(out, _AddScalar, (t,))


def sub_scalar(t, s):
    """t - s for a number s, as PyTorch's Scalar overload records it (SubBackward1)."""
    out = _with_number(np.subtract, t, s)
    return t - s if out is None else record(out, _SubScalar, (t,))


def _trunc_div(a, b):
    return np.trunc(a / b).astype(np.result_type(a, b))


def div(input, other, *, rounding_mode=None):  # noqa: F811
    if rounding_mode is None:
        return _binary(np.true_divide, _DIV, input, other, True)
    if rounding_mode == "floor":
        if _is_int(input) and _is_int(other):
            return _binary(_floor_div, None, input, other)
        return _binary(np.true_divide, _DIV, input, other, True).floor()
    if rounding_mode == "trunc":
        if _is_int(input) and _is_int(other):
            return _binary(_trunc_div, None, input, other)
        return _binary(np.true_divide, _DIV, input, other, True).trunc()
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


divide = true_divide = div


def _is_int(x):
    if isinstance(x, Tensor):
        return x._data.dtype.kind in "biu"
    return isinstance(x, (int, np.integer))


# -- comparisons and logic (not differentiable: bool results) ----------------------------------
def _compare(fwd, name=None):
    if name is None:
        def op(input, other):
            return _binary(fwd, None, input, other)
        return op

    def ordered(input, other):
        for x in (input, other):
            if isinstance(x, Tensor) and x._data.dtype.kind == "c":
                raise complex_error(name, x._data.dtype)
        return _binary(fwd, None, input, other)

    return ordered

    return op


eq, ne = _compare(np.equal), _compare(np.not_equal)
lt, le = _compare(np.less, "lt"), _compare(np.less_equal, "le")
gt, ge = _compare(np.greater, "gt"), _compare(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(fwd):
    def op(input, other):
        a = input._data.astype(bool, copy=False)
        b = other._data.astype(bool, copy=False) if isinstance(other, Tensor) else bool(other)
        return _make(np.asarray(fwd(a, b)))

    return op


logical_and, logical_or, logical_xor = (_logical(f) for f in (np.logical_and, np.logical_or,
                                                               np.logical_xor))


def logical_not(input):
    return _make(np.logical_not(input._data))


def _bitwise(fwd, name):
    def op(input, other):
        d = input._data
        if d.dtype.kind in "fV" or isinstance(other, Tensor) and other._data.dtype.kind in "fV":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        return _binary(fwd, None, input, other)

    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def _shift(left):
    """<< and >> as PyTorch computes them: a shift by the type's width or more (or by a
    negative amount) gives 0, or -1 for a negative number shifted right."""
    name = "lshift" if left else "rshift"
    ufunc = np.left_shift if left else np.right_shift

    def fwd(a, b):
        a = np.asarray(a)
        dt = a.dtype
        b = np.asarray(b)
        outside = (b < 0) | (b >= dt.itemsize * 8)
        out = ufunc(a, np.where(outside, 0, b).astype(dt, copy=False))
        if outside.any():
            fill = 0 if left or dt.kind == "u" else np.where(a < 0, -1, 0)
            out = np.where(outside, fill, out).astype(dt, copy=False)
        return out

    fwd.__name__ = f"_{name}"  # the kernel's name (_low.wide_binary reads it)

    def op(input, other):
        for x in (input, other):
            kind = x.dtype.np.kind if isinstance(x, Tensor) else ("f" if isinstance(
                x, float) else "i")
            if kind in "fcV":
                word = x.dtype.word if isinstance(x, Tensor) else "Float"
                raise NotImplementedError(f'"{name}_cpu" not implemented for \'{word}\'')
        return _binary(fwd, None, input, other)

    op.__name__ = f"bitwise_{'left' if left else 'right'}_shift"
    return op


bitwise_left_shift = _shift(True)
bitwise_right_shift = _shift(False)


def bitwise_not(input):
    if input._data.dtype.kind in "fV":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return _make(np.asarray(np.invert(input._data)))


def isnan(input):
    return _make(np.asarray(np.isnan(input._data)))


def isinf(input):
    return _make(np.asarray(np.isinf(input._data)))


def isfinite(input):
    return _make(np.asarray(np.isfinite(input._data)))


def isposinf(input):
    return _make(np.asarray(np.isposinf(input._data)))


def isneginf(input):
    return _make(np.asarray(np.isneginf(input._data)))


def signbit(input):
    return _make(np.asarray(np.signbit(input._data)))


def equal(input, other):
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data,
                                                                          other._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _arrays(input, _as_operand(other))
    return _make(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# -- ternary ops --------------------------------------------------------------------------------
def _where_a(g, cond, a, b):
    return where(cond, g, 0.0)


def _where_b(g, cond, a, b):
    return where(cond, 0.0, g)


# PyTorch's edges are the two values' (the condition is saved, not an input)
_WhereNode = name_saved(formula_node("WhereBackward0", _where_a, _where_b, elementwise=True),
                        condition=0)


def where(condition, input=None, other=None):
    """where(cond, a, b): a where cond holds, else b; where(cond): the indices of True."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype != np.bool_:
        if c.dtype == np.uint8:
            c = c.astype(bool)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {from_np[c.dtype].name.capitalize()}")
    if isinstance(input, Tensor):
        ad, bd = _arrays(input, _as_operand(other))
    elif isinstance(other, Tensor):
        bd, ad = _arrays(other, _as_operand(input))
    else:
        rt = result_type(input, other).np
        ad, bd = np.asarray(input, rt), np.asarray(other, rt)
    if ad.__class__ is not bd.__class__:  # a number takes the tensor's dtype (NumPy would
        if ad.__class__ is _ndarray:     # lift bfloat16 to float32 for a Python float)
            bd = np.asarray(_dtype.low_fill_value(bd, ad.dtype), ad.dtype)
        else:
            ad = np.asarray(_dtype.low_fill_value(ad, bd.dtype), bd.dtype)
    try:
        out = np.where(c, ad, bd)
    except ValueError:
        shapes = (c.shape, np.shape(ad), np.shape(bd))
        raise broadcast_shapes_error(shapes[0], np.broadcast_shapes(*shapes[1:])) or \
            RuntimeError("where: shapes do not broadcast") from None
    cond_t = condition if isinstance(condition, Tensor) else _make(c)
    return record(out, _WhereNode, (input, other), (cond_t, input, other))


_Lerp = name_saved(formula_node("LerpBackward0", lambda g, w: g * (1 - w), lambda g, w: g * w,
                                elementwise=True), weight=0)
_LerpT = formula_node("LerpBackward1", lambda g, a, b, w: g * (1 - w), lambda g, a, b, w: g * w,
                      lambda g, a, b, w: g * (b - a), elementwise=True)
# PyTorch keeps self and end for weight's gradient only
name_saved(_LerpT, needed={"self": 2, "end": 2}, self=0, end=1, weight=2)


def _lerp(a, b, w):
    """PyTorch's CPU lerp: fma(c, b - a, base), with c = w and base = a where |w| < 0.5, else
    c = w - 1 and base = b; float32 rounded once as the fused multiply-add rounds (the product
    of two float32 numbers is exact in float64), other dtypes twice."""
    diff = b - a
    small = np.abs(w) < 0.5
    c = np.where(small, w, w - w.dtype.type(1))
    base = np.where(small, a, b)
    if a.dtype.char == "f":
        r = np.multiply(c, diff, dtype=np.float64)
        r += base
        return r.astype(np.float32)
    if a.dtype.char == "d":
        return _fma64(np.asarray(c), diff, base)
    return c * diff + base


def _fma64(x, y, z):
    """x * y + z for float64 arrays with one rounding (as a fused multiply-add): the product's
    exact error by Dekker's splitting and the sum's by Knuth's two-sum, added back at the end
    (where a value is not finite, the plain expression)."""
    p = x * y
    t = 134217729.0 * x  # 2**27 + 1: splits a double into two 26-bit halves
    xh = t - (t - x)
    xl = x - xh
    t = 134217729.0 * y
    yh = t - (t - y)
    yl = y - yh
    e = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl  # x * y == p + e exactly
    s = p + z
    v = s - p
    err = (p - (s - v)) + (z - v)  # p + z == s + err exactly
    out = s + (err + e)
    bad = ~np.isfinite(out)
    if bad.any():
        out = np.where(bad, s, out)
    return out


def lerp(input, end, weight):
    """input + weight * (end - input), recorded as one op as in PyTorch."""
    a, b = _arrays(input, _as_operand(end))
    if isinstance(weight, Tensor):
        w = weight._data.astype(a.dtype, copy=False)
        out = _lerp(a, b, w) if not _is_low(a) else _low(lambda a, b, w: a + w * (b - a), a, b, w)
        return record(out, _LerpT, (input, end, weight), (input, end, weight))
    if not _is_low(a):
        out = _lerp(a, b, np.asarray(weight, a.dtype) if a.dtype.kind in "fc" else weight)
    else:
        out = _low(lambda a, b: a + weight * (b - a), a, b)
    return record(out, _Lerp, (input, end), (weight,))


def _clamp_grad(g, x, lo, hi):
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        mask = x <= hi if mask is None else mask & (x <= hi)
    return g * mask


_Clamp = name_saved(formula_node("ClampBackward1", _clamp_grad, elementwise=True),
                    self=0, min=1, max=2)


def clamp(input, min=None, max=None):  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(input, min, max)
    d = input._data
    if d.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    if d.dtype.kind in "biu" and (isinstance(min, float) or isinstance(max, float)):
        d = d.astype(_dtype.get_default_dtype().np)
    out = np.clip(d, min, max)
    if out.dtype != d.dtype:
        out = out.astype(d.dtype)
    return record(out, _Clamp, (input,), (input, min, max))


clip = clamp


def _clamp_tensors(input, lo, hi):
    d = input._data
    lod = None if lo is None else _as_operand(lo)
    hid = None if hi is None else _as_operand(hi)
    out = d
    if lod is not None:
        out = np.maximum(out, lod._data if isinstance(lod, Tensor) else lod)
    if hid is not None:
        out = np.minimum(out, hid._data if isinstance(hid, Tensor) else hid)
    return record(out.astype(d.dtype, copy=False), _ClampT, (input, lod, hid), (input, lod, hid))


def _clamp_bound_grad(outside):
    def grad(g, x, lo, hi):
        return g * outside(x, lo, hi)

    return grad


_ClampT = formula_node(
    "ClampBackward0",
    _clamp_grad,
    _clamp_bound_grad(lambda x, lo, hi: (x < lo) if hi is None else (x < lo) & (lo <= hi)),
    _clamp_bound_grad(lambda x, lo, hi: (x > hi) if lo is None else (x > hi) | (lo > hi)),
    elementwise=True,
)
name_saved(_ClampT, self=0, min=1, max=2)
_ClampMin = name_saved(formula_node("ClampMinBackward0", lambda g, x, lo: g * (x >= lo),
                                    elementwise=True), self=0, min=1)
_ClampMax = name_saved(formula_node("ClampMaxBackward0", lambda g, x, hi: g * (x <= hi),
                                    elementwise=True), self=0, max=1)


def clamp_min(input, min):  # noqa: A002
    if isinstance(min, Tensor):
        return clamp(input, min=min)
    return record(clamp(input.detach(), min=min)._data, _ClampMin, (input,), (input, min))


def clamp_max(input, max):  # noqa: A002
    if isinstance(max, Tensor):
        return clamp(input, max=max)
    return record(clamp(input.detach(), max=max)._data, _ClampMax, (input,), (input, max))


# -- in-place ops -------------------------------------------------------------------------------
def _fast_inplace(ufunc, op):
    """In-place arithmetic: a single ufunc call with out= when autograd has nothing to record."""

    def method(self, other):
        if not (_grad_state.enabled and (self._requires_grad or isinstance(other, Tensor)
                                         and other._requires_grad) or _fw_state.active):
            d = self._data
            od = other._data if isinstance(other, Tensor) else other
            if (d.dtype.kind in "fV" and (type(od) is not np.ndarray and type(od) is not complex
                                         or type(od) is np.ndarray and od.dtype is d.dtype)
                    and d.flags.writeable and (self._base is None or not _grad_state.enabled)):
                try:
                    if d.size == 1:  # NumPy's out= costs a one-element array twice the op
                        d[...] = silent.run(ufunc, d, od)
                    else:
                        silent.run(ufunc, d, od, out=d)
                except ValueError:
                    raise _inplace_shape_error(d, od) from None
                self._version[0] += 1
                if _anomaly_state.record:
                    record_bump(self._version, inplace_name(None, ufunc))
                return self
        return apply_inplace(self, op, other)

    return mark_quiet(method)


def _inplace_shape_error(d, od):
    exc = broadcast_shapes_error(d.shape, np.shape(od))
    if exc is not None and np.broadcast_shapes(d.shape, np.shape(od)) != d.shape:
        return RuntimeError(
            f"output with shape {list(d.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(d.shape, np.shape(od)))}"
        )
    return exc or RuntimeError(
        f"output with shape {list(d.shape)} doesn't match the broadcast shape "
        f"{list(np.shape(od))}"
    )


add_ = _fast_inplace(np.add, add)
sub_ = _fast_inplace(np.subtract, sub)
mul_ = _fast_inplace(np.multiply, mul)
_div_ = _fast_inplace(np.true_divide, div)


def div_(self, other, *, rounding_mode=None):  # noqa: F811
    if rounding_mode is None:
        return _div_(self, other)
    return apply_inplace(self, lambda a, b: div(a, b, rounding_mode=rounding_mode), other)


def _add_inplace(self, other, *, alpha=1):
    if alpha == 1:
        return add_(self, other)
    if _axpy_inplace(self, other, alpha):
        return self
    return apply_inplace(self, lambda a, b: add(a, b, alpha=alpha), other)


def _sub_inplace(self, other, *, alpha=1):
    if alpha == 1:
        return sub_(self, other)
    if _axpy_inplace(self, other, -alpha):
        return self
    return apply_inplace(self, lambda a, b: sub(a, b, alpha=alpha), other)


def _axpy_inplace(self, other, alpha):
    """self += alpha * other straight into self's array, rounded once as PyTorch's kernel
    (``_fused_alpha``), when autograd has nothing to record; False where it cannot."""
    if (_grad_state.enabled and (self._requires_grad or isinstance(other, Tensor)
                                 and other._requires_grad)
            or _fw_state.active or self._base is not None and _grad_state.enabled
            or self.__class__ is not Tensor or not isinstance(other, Tensor)
            or _dispatch.depth or _dispatch.owner or alpha.__class__ not in (float, int)):
        return False
    d = self._data
    if not fuses(d.dtype) or not axpy(d.dtype.type(alpha), other._data, d):
        return False
    self._version[0] += 1
    if _anomaly_state.record:
        record_bump(self._version, inplace_name(None, np.add))
    return True


_Zero = formula_node("ZeroBackward0", lambda g: g * 0)
_Fill = formula_node("FillBackward2", lambda g: g * 0)
_FillT = formula_node("FillBackward3", lambda g: g * 0, lambda g: g.sum())
_Copy = formula_node("CopyBackwards", lambda g, dt: g * 0, lambda g, dt: g.to(dt))
_Copy.name = lambda self: f"{_names.prefix}::autograd::CopyBackwards"  # a C++-only node in PyTorch


@mark_quiet  # writes zeros: no float arithmetic to warn about
def zero_(self):
    check_inplace(self)
    if _grad_state.enabled and self._requires_grad or _fw_state.active:
        return apply_inplace(self, lambda a: record(np.zeros_like(a._data), _Zero, (a,)))
    self._data.fill(0)
    self._version[0] += 1
    return self


def fill_(self, value):
    check_inplace(self)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        if _grad_state.enabled and (self._requires_grad or value._requires_grad) or (
                _fw_state.active):
            return apply_inplace(self, lambda a, v: record(
                np.full_like(a._data, v._data), _FillT, (a, v)), value)
        value = value._data.item() if not _dtype.is_float8(self._data.dtype) else _dtype.cast(
            value._data, self._data.dtype)
    elif _dtype.is_float8(self._data.dtype):  # PyTorch's conversion, and its overflow check
        value = (_dtype.float8_fill_value(value, from_np[self._data.dtype])
                 if self._data.size != 1 else _dtype.cast(np.float64(value), self._data.dtype))
    value = _dtype.low_fill_value(value, self._data.dtype)
    if _grad_state.enabled and self._requires_grad or _fw_state.active:
        return apply_inplace(self, lambda a: record(np.full_like(a._data, value), _Fill, (a,)))
    self._data.fill(value)
    self._version[0] += 1
    return self


def copy_(self, src, non_blocking=False):
    check_inplace(self)
    src = _as_operand(src)
    if _grad_state.enabled and (self._requires_grad or src._requires_grad) or _fw_state.active:
        return apply_inplace(self, lambda a, s: record(
            _dtype.cast(np.broadcast_to(s._data, a._data.shape), a._data.dtype), _Copy, (a, s),
            (s.dtype,)), src)
    try:
        sd = src._data
        if _dtype.is_float8(self._data.dtype) or _dtype.is_float8(sd.dtype) or (
                sd.dtype == np.float64 and _dtype.is_low(self._data.dtype)):
            sd = _dtype.cast(sd, self._data.dtype)  # PyTorch's float8 and double conversions
        np.copyto(self._data, sd, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
            f"the size of tensor b ({src._data.shape[-1] if src._data.ndim else 1}) at "
            "non-singleton dimension 0"
        ) from None
    self._version[0] += 1
    return self


def _inplace_of(op):
    def method(self, *args, **kwargs):
        return apply_inplace(self, lambda a, *r: op(a, *r, **kwargs), *args)

    method.__name__ = op.__name__ + "_"
    return method


def _method_table():
    """Tensor methods and operators this module provides."""
    g = globals()
    m = {name: g[name] for name in list(UNARY) + list(BINARY)}
    for name, floating in _TENSORS_ONLY.items():
        m[name] = _tensors_only(name, _UNCHECKED[name], floating, method=True)
    for name in ("atan2", "hypot"):  # the in-place forms PyTorch has
        m[name + "_"] = _inplace_of(
            _tensors_only(name, _UNCHECKED[name], False, True, name + "_"))
    m["square"] = square
    m.update(logit=logit, nan_to_num=nan_to_num)
    m.update(
        add=number_first(add, "add", "alpha", 1, True),
        sub=number_first(sub, "sub", "alpha", 1, True), subtract=sub, mul=mul, multiply=mul,
        div=div, divide=div,
        true_divide=div, pow=pow, floor_divide=floor_divide, where=lambda self, c, o: where(
            c, self, o), lerp=lerp, clamp=clamp, clip=clamp, clamp_min=clamp_min,
        clamp_max=clamp_max, eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt,
        greater_equal=ge, less=lt, less_equal=le, not_equal=ne, logical_and=logical_and,
        logical_or=logical_or, logical_xor=logical_xor, logical_not=logical_not,
        bitwise_and=bitwise_and, bitwise_or=bitwise_or, bitwise_xor=bitwise_xor,
        bitwise_not=bitwise_not, isnan=isnan, isinf=isinf, isfinite=isfinite,
        isposinf=isposinf, isneginf=isneginf, signbit=signbit, equal=equal, isclose=isclose,
        allclose=allclose, negative=neg, absolute=abs, arcsin=asin, arccos=acos, arctan=atan,
        arcsinh=asinh, arccosh=acosh, arctanh=atanh, fix=trunc, positive=positive,
        # in-place
        add_=number_first(_add_inplace, "add_", "alpha", 1, True),
        sub_=number_first(_sub_inplace, "sub_", "alpha", 1, True), subtract_=_sub_inplace,
        mul_=mul_,
        multiply_=mul_, div_=div_, divide_=div_, true_divide_=div_, zero_=zero_, fill_=fill_,
        copy_=copy_,
        # operators
        # `2 * x` is x.__rmul__(2): PyTorch records it as mul(x, 2), like `x * 2`
        __add__=add, __radd__=_reflected(add, False), __sub__=sub,
        __rsub__=_reflected(_rsub, False), __mul__=mul, __rmul__=_reflected(mul, False),
        __truediv__=div,
        __rtruediv__=_reflected(lambda self, other: reciprocal(self) * other, False),  # noqa: F821
        __floordiv__=floor_divide, __rfloordiv__=_reflected(floor_divide),
        __mod__=remainder, __rmod__=_reflected(remainder), __pow__=pow,
        __rpow__=_reflected(pow), __neg__=neg, __abs__=abs,
        __pos__=positive, __eq__=eq, __ne__=ne, __lt__=lt, __le__=le, __gt__=gt, __ge__=ge,
        __and__=lambda a, b: _bool_or_bits(np.logical_and, bitwise_and, a, b),
        __or__=lambda a, b: _bool_or_bits(np.logical_or, bitwise_or, a, b),
        __xor__=lambda a, b: _bool_or_bits(np.logical_xor, bitwise_xor, a, b),
        __rand__=lambda a, b: _bool_or_bits(np.logical_and, bitwise_and, a, b),
        __ror__=lambda a, b: _bool_or_bits(np.logical_or, bitwise_or, a, b),
        __rxor__=lambda a, b: _bool_or_bits(np.logical_xor, bitwise_xor, a, b),
        bitwise_left_shift=bitwise_left_shift, bitwise_right_shift=bitwise_right_shift,
        __lshift__=bitwise_left_shift, __rshift__=bitwise_right_shift,
        __rlshift__=_reflected(bitwise_left_shift), __rrshift__=_reflected(bitwise_right_shift),
        __ilshift__=_inplace_of(bitwise_left_shift),
        __irshift__=_inplace_of(bitwise_right_shift),
        __iand__=_inplace_of(lambda a, b: _bool_or_bits(np.logical_and, bitwise_and, a, b)),
        __ior__=_inplace_of(lambda a, b: _bool_or_bits(np.logical_or, bitwise_or, a, b)),
        __ixor__=_inplace_of(lambda a, b: _bool_or_bits(np.logical_xor, bitwise_xor, a, b)),
        __invert__=lambda a: logical_not(a) if a._data.dtype == np.bool_ else bitwise_not(a),
        __iadd__=add_, __isub__=sub_, __imul__=mul_, __itruediv__=_div_,
        __ipow__=_inplace_of(pow), __ifloordiv__=_inplace_of(floor_divide),
        __imod__=_inplace_of(remainder),
    )
    for name in list(UNARY) + ["square", "clamp", "clip", "clamp_min", "clamp_max", "pow",
                               "remainder", "fmod", "floor_divide", "lerp", "sigmoid", "relu",
                               "where", "logit",
                               "nan_to_num", "bitwise_and", "bitwise_or", "bitwise_xor",
                               "bitwise_left_shift", "bitwise_right_shift"]:
        if name + "_" not in m:
            m[name + "_"] = _inplace_of(m[name] if name != "where" else where)
    return m


def _reflected(op, swap=True):
    """`other (op) tensor`: NumPy arrays on the left are refused, as in PyTorch."""
    if not swap and hasattr(op, "binary"):
        fwd, node_cls, floating = op.binary

        def reflected_binary(self, other):  # `2 * x`: straight to the shared binary path
            if isinstance(other, np.ndarray):
                return NotImplemented
            return _binary(fwd, node_cls, self, other, floating)

        return mark_quiet(reflected_binary)

    def reflected(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return op(other, self) if swap else op(self, other)

    return reflected


def _bool_or_bits(logic, bits, a, b):
    bd = b._data.dtype if isinstance(b, Tensor) else np.dtype(type(b))
    if a._data.dtype == np.bool_ and bd == np.bool_:
        return _make(np.asarray(logic(a._data, b._data if isinstance(b, Tensor) else b)))
    return bits(a, b)


def _scalar_overload(fwd, tensor_op, node_name):
    """remainder/fmod: `tensor op number` is a one-input op in PyTorch (...Backward0)."""
    node_cls = formula_node(node_name, lambda g: g)

    def op(input, other):
        if isinstance(input, Tensor) and not isinstance(other, Tensor):
            ad, bd = _arrays(input, _as_operand(other))
            if ad.dtype.kind == "c" or isinstance(bd, complex):
                raise complex_error(tensor_op.__name__, np.result_type(ad, bd))
            if ad.dtype.char in _WIDE_CHARS:
                _lowrules.wide_binary(fwd, ad)
            return record(fwd(ad, bd), node_cls, (input,))
        return tensor_op(input, other)

    op.__name__ = tensor_op.__name__
    return op


remainder = _scalar_overload(np.remainder, globals()["remainder"], "RemainderBackward0")
fmod = _scalar_overload(np.fmod, globals()["fmod"], "FmodBackward0")
atan2 = globals()["atan2"]
maximum = globals()["maximum"]
minimum = globals()["minimum"]
TENSOR_METHODS = _method_table()
# ember.add / ember.sub also take PyTorch's older argument orders (the methods have theirs)
add = number_first(add, "add", "alpha", 1, False)
sub = number_first(sub, "sub", "alpha", 1, False)
