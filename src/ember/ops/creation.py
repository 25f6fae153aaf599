"""Making tensors: from data (tensor, as_tensor, from_numpy), the factories (zeros, ones,
full, arange, linspace, eye, ...) and Tensor.new_* methods."""

import builtins
import math
import os
import warnings

import numpy as np

from .. import _determinism, _device, _dtype, _names
from .._dtype import as_dtype, from_np, get_default_dtype
from .._tensor import Tensor, _make

__all__ = [
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "linspace", "logspace", "ones", "ones_like", "range", "tensor", "zeros", "zeros_like",
]


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or get_default_dtype()).np
    return as_dtype(dtype).np


def _finish(data, requires_grad):
    t = _make(data)
    if requires_grad:
        if data.dtype.kind not in "fcV":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._requires_grad = True
    return t


def _check_device(device, fname, op="empty.memory_format", default=True):
    """Fail as a CPU-only PyTorch does unless ``device`` (or, when it is None and ``default``
    is set, the default device) is the CPU. ``op``: the ATen operator named in the error for
    backends without kernels (None for copies such as tensor())."""
    if device is None:
        if not default:
            return
        device = _device._state.default
        if device is None:
            return
    elif device.__class__ is str and device == "cpu":
        return
    _device.check(device, op, fname)


# -- from data ----------------------------------------------------------------------------------
def _infer_array(data, exact=False):
    """Python data (nested lists of numbers, bools, 0-d tensors) to an array with PyTorch's
    inferred dtype: floats -> default dtype, ints -> int64, bools -> bool.

    ``exact``: keep Python floats (and complex numbers) in double precision, for a caller that
    casts to an explicit dtype next: ember.tensor([0.1], dtype=ember.float64) is exactly 0.1.
    """
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)  # NumPy scalars keep their dtype
    if isinstance(data, (bool, np.bool_)):
        return np.array(data, dtype=np.bool_)
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        return np.array(data, dtype=np.int64)
    if isinstance(data, (float, np.floating)):
        return np.array(data, dtype=np.float64 if exact else get_default_dtype().np)
    if isinstance(data, complex):
        return np.array(data, dtype=np.complex64 if get_default_dtype() is _dtype.float32
                        and not exact else np.complex128)
    if isinstance(data, (list, tuple)):
        _check_ragged(data)
        if any(isinstance(x, Tensor) for x in data):
            data = [x._data if isinstance(x, Tensor) else x for x in data]
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(str(e)) from None
        kind = arr.dtype.kind
        if isinstance(_first_leaf(data), np.ndarray):
            pass  # NumPy arrays keep their dtype
        elif _has_np_scalars(data):
            # each NumPy scalar counts with its own dtype, each Python number with PyTorch's
            dt = None
            for x in np.asarray(data, dtype=object).ravel():
                xd = from_np[x.dtype] if isinstance(x, np.generic) else _dtype.scalar_dtype(x)
                dt = xd if dt is None else _dtype.promote_types(dt, xd)
            arr = arr.astype(dt.np)
        elif kind in "fV":
            if not exact:
                arr = arr.astype(get_default_dtype().np)
        elif kind == "i":
            arr = arr.astype(np.int64, copy=False)
        elif kind == "c":
            if not exact:
                arr = arr.astype(np.complex64 if get_default_dtype() is _dtype.float32
                                 else np.complex128)
        elif kind == "u" and arr.dtype == np.uint64 or kind == "O" and _all_ints(data):
            raise ValueError("Overflow when unpacking long long")
        elif kind not in "bfu":
            raise TypeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
        return arr
    if hasattr(data, "__array__"):
        return np.asarray(data)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _all_ints(data):
    return builtins.all(isinstance(x, int) for x in np.asarray(data, dtype=object).ravel())


def _checked_cast(arr, dt):
    """Cast Python numbers to an explicit dtype; like PyTorch, refuse a value an integer dtype
    cannot hold (negative ints wrap into unsigned types when their magnitude fits)."""
    np_dt = dt.np
    kind = np_dt.kind
    if kind in "iu" and arr.size:
        info = np.iinfo(np_dt)
        if arr.dtype.kind in "fV":
            bad = np.isnan(arr) | (arr < info.min) | (arr > info.max)
        elif arr.dtype.kind in "iu":
            low = -info.max if kind == "u" else info.min
            bad = (arr < low) | (arr > info.max)
        else:
            bad = None
        if bad is not None and bad.any():
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return _dtype.cast(arr, np_dt)


def _has_np_scalars(data):
    return builtins.any(isinstance(x, np.generic) for x in np.asarray(data, dtype=object).ravel())


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _check_ragged(data, dim=0):
    """PyTorch's message for nested lists of uneven lengths."""
    if not data or not isinstance(data[0], (list, tuple)):
        return
    n = len(data[0])
    for item in data:
        if not isinstance(item, (list, tuple)) or len(item) != n:
            got = len(item) if isinstance(item, (list, tuple)) else 0
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {got})")
    for item in data:
        _check_ragged(item, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    _check_device(device, "tensor", None)
    return _tensor(data, dtype, requires_grad, "ember.tensor")


def _tensor(data, dtype, requires_grad, caller):
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            f"clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            f"{_names.spell(caller)}(sourceTensor).",
            UserWarning,
            stacklevel=3,
        )
    if dtype is not None:
        dt = as_dtype(dtype)
        if isinstance(data, (list, tuple, int, float, bool, complex)):
            arr = _checked_cast(_infer_array(data, exact=True), dt)
        else:
            arr = _dtype.cast(_infer_array(data), dt.np)
        return _finish(arr, requires_grad)
    arr = np.array(_infer_array(data), copy=True)
    if arr.dtype not in from_np:
        arr = arr.astype(_supported(arr.dtype))
    return _finish(arr, requires_grad)


def _supported(np_dt):
    kind = np_dt.kind
    if kind == "u":
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dt.name}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
            "and bool."
        )
    raise TypeError(f"Could not infer dtype of {np_dt}")


def as_tensor(data, dtype=None, device=None):
    _check_device(device, "as_tensor", None)
    if isinstance(data, Tensor) and (dtype is None or as_dtype(dtype) is data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or as_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in from_np:
        _supported(ndarray.dtype)
    return _make(ndarray)


# -- factories ----------------------------------------------------------------------------------
_NOT_INTEGRAL = ("Expected scalar.isIntegral( false) to be true, but got false.  (Could this "
                 "error message be improved?  If so, please report an enhancement request to "
                 "PyTorch.)")


def as_int(s, tensors=True):
    """One size or dim as PyTorch's argument parser reads an int: an int, a NumPy integer, or
    (``tensors``) a one-element integer tensor; None for anything else. A bool tensor raises
    PyTorch's RuntimeError."""
    if s.__class__ is int:
        return s
    if isinstance(s, (bool, np.bool_)):
        return None
    if isinstance(s, (int, np.integer)):
        return int(s)
    if tensors and isinstance(s, Tensor) and s._data.size == 1:
        kind = s._data.dtype.kind
        if kind in "iu":
            return int(s._data.reshape(()))
        if kind == "b":
            raise RuntimeError(_NOT_INTEGRAL)
    return None


def int_list(args, name, arg="size", pos=1, varargs=True):
    """A size given as varargs (2, 3), one sequence ((2, 3), [2, 3], a Size) or one int-like
    (a 0-d or one-element integer tensor), as a tuple of ints; PyTorch's TypeErrors otherwise.
    Without ``varargs``, args is the sequence itself."""
    a = None
    if varargs and len(args) == 1:
        a = args[0]
        if isinstance(a, (tuple, list)):
            args = a
        elif as_int(a) is None:
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                            f"not {_typename(a)}")
    out = []
    for i, s in enumerate(args):
        v = as_int(s) if i == 0 or not isinstance(s, (bool, np.bool_)) else int(s)
        if v is None:  # (PyTorch reads a bool as an int past the first element)
            if i:
                raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos "
                                f"{i + 1} with error \"type must be tuple of ints,but got "
                                f"{_typename(s)}\"")
            if varargs and len(args) > 1 and args is not a:
                raise TypeError(f"{name}() takes 1 positional argument but {len(args)} were given")
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                            f"but found element of type {_typename(s)} at pos {i}")
        out.append(v)
    return tuple(out)


def int_arg(v, name, arg, pos, one_element=False):
    """An int parameter as PyTorch's parser reads it: an int, a NumPy integer, a 0-d integer
    tensor (or, for the ``one_element`` ones PyTorch reads as SymInt, a one-element one)."""
    if v.__class__ is int:
        return v
    if not (isinstance(v, Tensor) and v._data.ndim and not one_element):
        n = as_int(v)
        if n is not None:
            return n
    raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not {_typename(v)}")


def int_seq(v, name, arg, pos):
    """An int-list parameter (roll's shifts, movedim's dims, ...): a sequence, or one int-like."""
    if isinstance(v, (tuple, list)):
        return int_list(v, name, arg, pos, varargs=False)
    n = as_int(v)
    if n is None:
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of ints, not "
                        f"{_typename(v)}")
    return (n,)


def _typename(obj):
    return type(obj).__name__ if isinstance(obj, Tensor) else _device._typename(obj)


def _size(size, name="zeros", pos=1, varargs=True):
    """A factory's size (varargs, a sequence, a Size or an int-like tensor) as ints."""
    size = int_list(size, name, pos=pos, varargs=varargs)
    for s in size:
        if s < 0:
            if len(size) == 1 and name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(size)}"
            )
    return size


def sizes_arg(name, sizes, size):
    """A factory's size given by position (varargs or one sequence) or as ``size=``."""
    if size is None:
        return _size(sizes, name)
    if sizes:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    try:
        if isinstance(size, (tuple, list)):
            return _size(size, name, varargs=False)
    except TypeError:
        pass
    raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not {_typename(size)}")


def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    _check_device(device, "zeros")
    return _finish(np.zeros(sizes_arg("zeros", sizes, size), _np_dtype(dtype)), requires_grad)


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    _check_device(device, "ones")
    return _finish(np.ones(sizes_arg("ones", sizes, size), _np_dtype(dtype)), requires_grad)


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, memory_format=None, pin_memory=False):
    _check_device(device, "empty")
    return _finish(_determinism.uninitialized(sizes_arg("empty", sizes, size), _np_dtype(dtype)),
                   requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    _check_device(device, "full")
    if dtype is None:
        dt = _infer_array(fill_value).dtype
    else:
        dt = _np_dtype(dtype)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_typename(size)}")
    shape = _size(size, "full", varargs=False)
    if _dtype.is_float8(dt):  # PyTorch's conversion of the value (fill_'s check past 1 element)
        fill_value = _dtype.float8_fill_value(fill_value, from_np[dt]) if math.prod(
            shape) != 1 else _dtype.cast(np.asarray(fill_value), dt)
    fill_value = _dtype.low_fill_value(fill_value, dt)
    return _finish(np.full(shape, fill_value, dt), requires_grad)


def _like(input, dtype):
    return input._data.dtype if dtype is None else _np_dtype(dtype)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    if device is not None:
        _check_device(device, "zeros_like", "empty_strided")
    return _finish(np.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if device is not None:
        _check_device(device, "ones_like", "empty_strided")
    return _finish(np.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    if device is not None:
        _check_device(device, "empty_like", "empty_strided")
    return _finish(_determinism.uninitialized(input._data.shape, _like(input, dtype)),
                   requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if device is not None:
        _check_device(device, "full_like", "empty_strided")
    return _finish(np.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_device(device, "eye")
    n = int_arg(n, "eye", "n", 1, one_element=True)
    m = n if m is None else int_arg(m, "eye", "m", 2, one_element=True)
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


_MISSING = object()


def _missing(name, *params):
    n = len(params)
    plural = "argument" if n > 1 else "arguments"  # PyTorch's own wording, both ways round
    raise TypeError(f"{name}() missing {n} required positional {plural}: "
                    + ", ".join(f'"{p}"' for p in params))


# -- ranges -------------------------------------------------------------------------------------
# PyTorch's CPU kernels fix every bit of these factories. linspace's and arange's kernels are
# built for AVX2 with fused multiply-adds (start + step * i rounds once); logspace and range run
# plain C++ (the product and the sum round apart). arange writes blocks of one AVX2 register
# (32 bytes), twice per step of its loop: a block's first value is start + step * i, the others
# base + k * step from that value rounded to the dtype; the tail of each thread's share is
# computed one by one. Everything is vectorised here with the same roundings.
_VEC_BYTES = 32
_GRAIN = 32768  # at::internal::GRAIN_SIZE


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_to_odd(v, err):
    """v, the nearest double of v + err, made inexact-odd: a later rounding to fewer bits then
    rounds as v + err would (Boldo and Melquiond's emulation of the FMA)."""
    bits = v.view(np.int64)
    return np.where((err != 0) & (bits & 1 == 0), np.nextafter(v, v + err), v)


def _fma(a, b, c, dt):
    """a * b + c rounded once to dt (float32 or float64), as an FMA instruction gives it."""
    a, b, c = (np.asarray(x, np.float64) for x in (a, b, c))
    plain = a * b + c  # where it is inf or nan, as the instruction gives it
    if dt == np.float32:  # float32 operands: the product is exact in double
        s, err = _two_sum(a * b, c)
        return np.where(~np.isfinite(plain), plain, _round_to_odd(s, err)).astype(np.float32)
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    perr = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # Dekker: p + perr == a * b exactly
    hi, lo = _two_sum(c, p)
    v, verr = _two_sum(lo, perr)
    return np.where(~np.isfinite(plain), plain, hi + _round_to_odd(v, verr))


def _split(a):
    t = 134217729.0 * a  # 2**27 + 1: Veltkamp's split into two 26-bit halves
    hi = t - (t - a)
    return hi, a - hi


def _num_threads():
    """The threads PyTorch's parallel_for splits a factory's range across by default."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        n = 0
    return n if n > 0 else len(os.sched_getaffinity(0))


def _chunks(n):
    """at::parallel_for's shares of range(n): one unless n exceeds the grain size."""
    threads = _num_threads()
    if n <= _GRAIN or threads <= 1:
        return [(0, n)]
    size = -(-n // builtins.min(threads, -(-n // _GRAIN)))
    return [(b, builtins.min(n, b + size)) for b in builtins.range(0, n, size)]


_CPP = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
        "int64": "int64_t", "float16": "c10::Half", "float32": "float", "float64": "double",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _convert(v, dt):
    """Scalar.to<T>() of PyTorch: v as a number of dtype dt, or its overflow error."""
    if dt.kind == "c":
        v = complex(v)
        parts = (v.real, v.imag)
    elif dt.kind in "iu":
        v = v.real if isinstance(v, complex) else v
        parts = (v,)
    else:
        v = float(v.real if isinstance(v, complex) else v)
        parts = (v,)
    for p in parts:
        if dt.kind in "iu" and _int_overflows(p, dt) or dt.kind in "fcV" and _float_overflows(
                p, dt):
            raise RuntimeError(f"value cannot be converted to type {_CPP[from_np[dt].name]} "
                               "without overflow")
    if dt.kind in "iu":
        return np.array(int(v), np.int64).astype(dt)[()] if -2**63 <= v < 2**63 else dt.type(0)
    return dt.type(_dtype.low_fill_value(v, dt))


def _int_overflows(v, dt):
    info = np.iinfo(dt)
    if isinstance(v, float) and math.isnan(v):
        return True
    if info.min == 0 and isinstance(v, int):  # negative ints wrap, as in two's complement
        return v > info.max or v < 0 and -v > info.max
    return v < info.min or v > info.max


def _float_overflows(v, dt):
    if not math.isfinite(v):
        return False
    return abs(v) > float(np.finfo(dt.type(0).real.dtype).max)


def _scalar(v):
    return v.item() if isinstance(v, Tensor) else v


def _ends(name, start, end):
    """linspace's and logspace's start and end as numbers (0-d tensors give their item)."""
    given = [(w, v.dim()) for w, v in (("start", start), ("end", end)) if isinstance(v, Tensor)]
    if builtins.any(d != 0 for _, d in given):  # PyTorch names every tensor given
        raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got "
                           + " and ".join(f"{w} with {d} dimension(s)" for w, d in given) + ".")
    return _scalar(start), _scalar(end)


def _space_dtype(name, start, end, steps, dtype):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = get_default_dtype().np
    if isinstance(start, complex) or isinstance(end, complex):
        dt = np.dtype(np.complex64 if dt == np.float32 else np.complex128)
        if dtype is not None and _np_dtype(dtype).kind != "c":
            raise RuntimeError(
                f"torch.{name.removesuffix('_cpu')}(): inferred dtype {_CPP[from_np[dt].name]} "
                f"can't be safely cast to passed dtype {as_dtype(dtype).word}")
    if dtype is not None:
        dt = _np_dtype(dtype)
    if steps > 1:  # one value is a fill, which every dtype has
        _no_kernel(name, dt, "b")
    return dt


def _nan_first(result, *operands):
    """``result``, unless an operand is NaN: then the first NaN operand, sign included.

    An x86 instruction given NaNs returns its first NaN source as it is (a NaN it makes up,
    from inf - inf or 0 * inf, is the negative default NaN). PyTorch's kernels therefore give
    NaNs whose sign follows the operand order of the C++ expression, while NumPy's loops may
    take a commutative operation's operands either way round; the order is fixed here."""
    for x in operands:
        if np.isnan(x):
            return x
    return result


def _halves(steps):
    """Index i, steps - 1 - i and the mask of the first half, which counts from start."""
    i = np.arange(steps)
    return i, steps - 1 - i, i < steps // 2


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    _check_device(device, "linspace")
    start, end = _ends("linspace", start, end)
    steps = int_arg(steps, "linspace", "steps", 3)
    dt = _space_dtype("linspace_cpu", start, end, steps, dtype)
    return _finish(_linspace(start, end, steps, dt), requires_grad)


def _linspace(start, end, steps, dt):
    # start + step * i for the first half, end - step * (steps - 1 - i) for the second
    if steps <= 1:  # fill_(start): a half takes any double, overflowing to infinity
        one = dt.type(_dtype.low_fill_value(start, dt)) if dt.kind in "b" or dt == np.float16 \
            else _convert(start, dt)
        return np.array([one] * steps, dt)
    if dt.kind == "c":
        s, e = _convert(start, dt), _convert(end, dt)
        out = np.empty(steps, dt)
        out.real = _linspace(s.real, e.real, steps, out.real.dtype)
        out.imag = _linspace(s.imag, e.imag, steps, out.real.dtype)
        return out
    i, back, first = _halves(steps)
    if dt == np.float16:  # c10::Half arithmetic: each operation rounds to half, as NumPy's
        s, e = _convert(start, dt), _convert(end, dt)
        step = _nan_first((e - s) / dt.type(steps - 1), e, s)
        if np.isnan(step):  # start + step * i: start's NaN, if any, before the product's
            return np.where(first, _nan_first(step, s), _nan_first(step, e))
        return np.where(first, s + step * i.astype(dt), e - step * back.astype(dt))
    s, e = _convert(start, dt), _convert(end, dt)
    if dt.kind in "iu":  # the step in double, the values truncated to the integer dtype
        step = (float(e) - float(s)) / (steps - 1)
        acc = np.dtype(np.float64)
    else:
        step, acc = _nan_first((e - s) / dt.type(steps - 1), e, s), dt
        if np.isnan(step):
            # The fused multiply-add returns its NaN multiplicand before its addend, and the
            # negated form that makes end - step * k leaves that NaN's sign alone: every value
            # is step's NaN (negating step first, as _fma's caller below does, would flip it).
            return np.full(steps, step, dt)
    lo = _fma(step, i.astype(acc), s, acc)
    hi = _fma(-step, back.astype(acc), e, acc)
    return np.where(first, lo, hi).astype(dt)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    _check_device(device, "logspace")
    start, end = _ends("logspace", start, end)
    dt = _space_dtype("logspace_cpu", start, end, steps, dtype)
    return _finish(_logspace(start, end, int(steps), float(_scalar(base)), dt), requires_grad)


def _polar_pow(base, z):
    """base ** z as polar(base ** re, im * log(base)), with C's results where the parts are
    infinite or nan (nan, inf) instead of Python's math domain and overflow errors."""
    try:
        r, theta = math.pow(base, z.real), z.imag * math.log(base)
        return complex(r * math.cos(theta), r * math.sin(theta))
    except (ValueError, OverflowError):
        with np.errstate(all="ignore"):
            r = np.power(np.float64(base), np.float64(z.real))
            theta = np.float64(z.imag) * np.log(np.float64(base))
            return complex(r * np.cos(theta), r * np.sin(theta))


def _logspace(start, end, steps, base, dt):
    # the exponents as linspace's halves in double, without a fused multiply-add, then pow
    if steps == 0:
        return np.empty(0, dt)
    if steps == 1:
        if dt.kind == "c":
            z = complex(start)
            if base > 0:  # libstdc++'s pow(double, complex): polar(pow(b, re), im * log(b))
                return np.array([_polar_pow(base, z)], dt)
            return np.array([_cpow(complex(base), np.array([z]))[0]], dt)
        one = _pow1(base, float(start.real if isinstance(start, complex) else start))
        return np.array([one if dt == np.float16 else _convert(one, dt)], dt)
    i, back, first = _halves(steps)
    s, e = _convert(start, dt), _convert(end, dt)
    if dt.kind == "c":
        step = (e - s) * (dt.type(1) / dt.type(steps - 1))  # c10's division: by the reciprocal
        x = np.where(first, s + step * i.astype(dt), e - step * back.astype(dt))
        return _cpow(dt.type(base), x).astype(dt)
    diff = int(e) - int(s) if dt.kind in "iu" else _nan_first(e - s, e, s)
    step = float(diff) / (steps - 1)
    if math.isnan(step):  # the compiled sums take the product's NaN first: step's everywhere
        x = np.full(steps, step)
    else:
        x = np.where(first, float(s) + step * i, float(e) - step * back)
    if dt == np.float16:  # C++ casts a double to half through float
        return _pow(base, x).astype(np.float32).astype(dt)
    return _pow(base, x).astype(dt)


def _pow(base, x):
    """glibc's pow(double, double), element by element (NumPy's SIMD power may differ)."""
    return np.fromiter((_pow1(base, v) for v in x.tolist()), np.float64, len(x))


def _pow1(base, v):
    try:
        return math.pow(base, v)
    except (OverflowError, ValueError):  # glibc's inf and nan, which math.pow raises on
        return float(np.power(base, v))


def _cpow(base, x):
    return np.exp(x * np.log(base))


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    _check_device(device, "arange")
    for i, (w, v) in enumerate((("start", start), ("end", end), ("step", step))):
        if isinstance(v, Tensor) and v._data.ndim:
            w = "end" if i == 0 and end is None else w
            raise TypeError(f"arange(): argument '{w}' (position {i + 1}) must be Number, not "
                            "Tensor")
    if end is None:
        start, end = 0, start
    vals = [_scalar(v) for v in (start, end, step)]
    if dtype is None:
        is_float = builtins.any(isinstance(v, float) for v in vals)
        dt = get_default_dtype().np if is_float else np.dtype(np.int64)
    else:
        dt = _np_dtype(dtype)
    _no_kernel("arange_cpu", dt, "bc")
    return _finish(_arange(*vals, dt), requires_grad)


def _arange(start, end, step, dt):
    d = [_double(v) for v in (start, end, step)]
    _check_bounds(*d)
    if dt == np.int64:  # the size in exact integers
        s, e, st = (int(_convert(v, dt)) for v in (start, end, step))
        if st == 0:
            raise ValueError("step must be nonzero")
        num = e - s + st - (1 if st > 0 else -1)
        n = abs(num) // abs(st) * (1 if (num >= 0) == (st > 0) else -1)
    else:
        size = math.ceil((d[1] - d[0]) / d[2]) if math.isfinite((d[1] - d[0]) / d[2]) else -1
        if not 0 <= size <= 2**63:
            raise RuntimeError("invalid size, possible overflow?")
        n = int(size)
    if n < 0 or n >= 2**63:
        raise RuntimeError("invalid size, possible overflow?")
    if dt.kind in "iu":  # int64 arithmetic, wrapping, then the cast (wrapping too)
        s, st = (np.int64(_convert(v, np.dtype(np.int64))) for v in (start, step))
        return (s + st * np.arange(n, dtype=np.int64)).astype(dt)
    # The kernel computes in the accumulate type (float for half, double for float and double):
    # start and step are converted to it, the index too, and start + step * i is one fused
    # multiply-add rounded once to that type, then once more to the dtype. For a vector block
    # that sum is the block's first value, rounded to the dtype (Vectorized<Half>::arange takes
    # its base as a half); lane k is then base + k * step, again one fused multiply-add in the
    # accumulate type rounded to the dtype. Half shows this most: a tail value and a lane of the
    # same index can differ by an ulp of half.
    acc = np.dtype(np.float32 if dt == np.float16 else np.float64)
    s, st = _convert(start, acc), _convert(step, acc)
    idx = np.arange(n, dtype=acc)
    out = _fma(st, idx, s, acc).astype(dt)
    width = _VEC_BYTES // dt.itemsize
    lane = np.arange(width, dtype=acc)
    for b, e in _chunks(n):
        m = (e - b) // (2 * width) * (2 * width)
        if m:
            base = _fma(st, idx[b:b + m:width, None], s, acc).astype(dt).astype(acc)
            out[b:b + m] = _fma(lane[None], st, base, acc).astype(dt).ravel()
    return out


def _double(v):
    if isinstance(v, complex):
        if v.imag != 0:
            raise RuntimeError("value cannot be converted to type double without overflow")
        v = v.real
    return float(v)


def _check_bounds(start, end, step):
    if not (step > 0 or step < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_fmt(start)} -> {_fmt(end)}")
    if not (step > 0 and end >= start or step < 0 and end <= start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def _fmt(x):
    return f"{x:g}"  # C++'s ostream << double


def range(start, end=_MISSING, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):
    """The deprecated end-inclusive range: start + i * step for i up to (end - start) / step."""
    if end is _MISSING:
        _missing("range", "end")
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).", UserWarning, stacklevel=3)
    _check_device(device, "range")
    dt = _np_dtype(dtype)
    _no_kernel("range_cpu", dt, "bc")
    acc = np.dtype(np.int64 if dt.kind in "iu" else np.float32 if dt == np.float16 else
                   np.float64)
    s, e, st = (_convert(_scalar(v), acc) for v in (start, end, step))
    if acc.kind in "fV":
        _check_bounds(s, e, st)
    else:
        _check_bounds(int(s), int(e), int(st))
    if acc.kind in "iu":
        q = int(e) - int(s)
        n = abs(q) // abs(int(st)) * (1 if (q >= 0) == (st > 0) else -1) + 1
        return _finish((s + st * np.arange(n, dtype=acc)).astype(dt), requires_grad)
    size = (e - s) / st + acc.type(1)
    if not size < 2**63:
        raise RuntimeError("IntArrayRef contains an int that cannot be represented as a SymInt: "
                           "-9223372036854775808")
    values = s + np.arange(int(size), dtype=acc) * st  # plain C++: no fused multiply-add
    return _finish(values.astype(dt), requires_grad)


def _no_kernel(name, dt, kinds):
    if dt.kind in kinds:
        raise NotImplementedError(f'"{name}" not implemented for \'{from_np[dt].word}\'')


def _new_size(name, size, varargs=True):
    """new_zeros(2, 3), new_zeros((2, 3)), new_zeros(size=[2, 3]): the size as ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size, varargs = size[0], False
    elif len(size) == 1 and as_int(size[0]) is None or not varargs:
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_typename(size[0])}")
    out = []
    for i, s in enumerate(size):
        v = as_int(s) if i == 0 or not isinstance(s, (bool, np.bool_)) else int(s)
        if v is None:
            if varargs or i:
                raise TypeError(
                    f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                    f"error \"type must be tuple of ints,but got {_typename(s)}\"")
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {_typename(s)} at pos {i}")
        out.append(v)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _index_like(s):
    return hasattr(s, "__index__") and not isinstance(s, (bool, np.bool_)) and (
        not isinstance(s, Tensor) or s._data.dtype.kind in "iu")


def _new_methods():
    """Tensor.new_tensor / new_zeros / ...: a fresh tensor with self's dtype (and device)
    unless told otherwise; the size as varargs, a tuple, a list or ``size=``."""

    def new_tensor(self, data=_MISSING, *, dtype=None, device=None, requires_grad=False,
                   layout=None, pin_memory=False):
        if data is _MISSING:
            _missing("new_tensor", "data")
        if device is not None:
            _check_device(device, "new_tensor", None)
        return _tensor(data, dtype or self.dtype, requires_grad, "tensor.new_tensor")

    def _new(name, fill):
        def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                   pin_memory=False, **kw):
            if "size" in kw:
                size = (kw.pop("size"),)
            if kw:
                raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
            if not size:
                _missing(name, "size")
            shape = _new_size(name, size)
            if device is not None:
                _check_device(device, name)
            return _finish(fill(shape, _np_dtype(dtype or self.dtype)), requires_grad)

        method.__name__ = method.__qualname__ = name
        return method

    def new_full(self, size=_MISSING, fill_value=_MISSING, *, dtype=None, device=None,
                 requires_grad=False, layout=None, pin_memory=False):
        if size is _MISSING:
            _missing("new_full", "size", "fill_value")
        if fill_value is _MISSING:
            _missing("new_full", "fill_value")
        shape = _new_size("new_full", (size,), varargs=False)
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        if not isinstance(fill_value, (int, float, complex, np.number, np.bool_)):
            raise TypeError("new_full(): argument 'fill_value' (position 2) must be Number, not "
                            f"{_device._typename(fill_value)}")
        if device is not None:
            _check_device(device, "new_full")
        dt = _np_dtype(dtype or self.dtype)
        if dt.kind in "iu" and isinstance(fill_value, float) and not (
                np.iinfo(dt).min <= fill_value <= np.iinfo(dt).max):
            raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
        return _finish(np.full(shape, _dtype.low_fill_value(fill_value, dt), dt), requires_grad)

    methods = {"new_tensor": new_tensor, "new_full": new_full,
               "new_zeros": _new("new_zeros", np.zeros), "new_ones": _new("new_ones", np.ones),
               # PyTorch leaves new_empty uninitialized: zeros, or its known value (see
               # _determinism)
               "new_empty": _new("new_empty", _determinism.uninitialized)}
    return methods


TENSOR_METHODS = _new_methods()
