"""Making tensors: from data (tensor, as_tensor, from_numpy), the factories (zeros, ones,
full, arange, linspace, eye, ...) and Tensor.new_* methods."""

import builtins
import operator
import warnings

import numpy as np

from .. import _device, _dtype
from .._dtype import as_dtype, from_np, get_default_dtype
from .._tensor import Tensor, _make

__all__ = [
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "linspace", "logspace", "ones", "ones_like", "tensor", "zeros", "zeros_like",
]


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or get_default_dtype()).np
    return as_dtype(dtype).np


def _finish(data, requires_grad):
    t = _make(data)
    if requires_grad:
        if data.dtype.kind not in "fc":
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
        elif kind == "f":
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
        if arr.dtype.kind == "f":
            bad = np.isnan(arr) | (arr < info.min) | (arr > info.max)
        elif arr.dtype.kind in "iu":
            low = -info.max if kind == "u" else info.min
            bad = (arr < low) | (arr > info.max)
        else:
            bad = None
        if bad is not None and bad.any():
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return arr.astype(np_dt, copy=True)


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
            f"{caller}(sourceTensor).",
            UserWarning,
            stacklevel=3,
        )
    if dtype is not None:
        dt = as_dtype(dtype)
        if isinstance(data, (list, tuple, int, float, bool, complex)):
            arr = _checked_cast(_infer_array(data, exact=True), dt)
        else:
            arr = _infer_array(data).astype(dt.np, copy=True)
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
def _size(size, name=None):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"zeros(): argument 'size' (position 1) must be tuple of ints, but found element "
                f"of type {type(s).__name__} at pos 0"
            )
        if s < 0:
            if len(size) == 1 and name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(size)}"
            )
    return tuple(int(s) for s in size)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_device(device, "zeros")
    return _finish(np.zeros(_size(size, "zeros"), _np_dtype(dtype)), requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_device(device, "ones")
    return _finish(np.ones(_size(size), _np_dtype(dtype)), requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False):
    _check_device(device, "empty")
    return _finish(np.zeros(_size(size), _np_dtype(dtype)), requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    _check_device(device, "full")
    if dtype is None:
        dt = _infer_array(fill_value).dtype
    else:
        dt = _np_dtype(dtype)
    return _finish(np.full(_size((size,)), fill_value, dt), requires_grad)


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
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if device is not None:
        _check_device(device, "full_like", "empty_strided")
    return _finish(np.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        is_float = builtins.any(isinstance(v, float) for v in vals)
        dt = get_default_dtype().np if is_float else np.dtype(np.int64)
    else:
        dt = _np_dtype(dtype)
    s, e, st = vals
    if st == 0:
        raise RuntimeError("step must be nonzero")
    if dt.kind in "iu":
        st = builtins.int(st)  # PyTorch casts the step to the integer dtype first
        if st == 0:
            raise ValueError("step must be nonzero")
    if (e - s) * st < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(np.ceil((e - s) / st))
    # computed in double precision then cast, so the values match PyTorch's
    data = (s + st * np.arange(n, dtype=np.float64)) if dt.kind == "f" else np.arange(s, e, st)
    return _finish(data.astype(dt), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    _check_device(device, "linspace")
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = _np_dtype(dtype)
    data = _linspace(float(start), float(end), int(steps), dt)
    return _finish(data, requires_grad)


def _linspace(start, end, steps, dt):
    # PyTorch fills the first half forward from start and the second half backward from end
    if steps == 1:
        return np.array([start], dtype=dt)
    step = (end - start) / (steps - 1)
    idx = np.arange(steps, dtype=np.float64)
    half = steps // 2
    out = np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    if dt.kind in "iu":
        return np.trunc(out).astype(dt)
    if dt == np.float32:
        # PyTorch computes the float32 case in float32 arithmetic
        st = np.float32(step)
        i32 = idx.astype(np.float32)
        out = np.where(idx < half, np.float32(start) + st * i32,
                       np.float32(end) - st * (np.float32(steps - 1) - i32))
    return out.astype(dt)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    _check_device(device, "logspace")
    lin = _linspace(float(start), float(end), int(steps), np.dtype(np.float64))
    return _finish((base ** lin).astype(_np_dtype(dtype)), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_device(device, "eye")
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad)


_MISSING = object()


def _missing(name, *params):
    n = len(params)
    plural = "argument" if n > 1 else "arguments"  # PyTorch's own wording, both ways round
    raise TypeError(f"{name}() missing {n} required positional {plural}: "
                    + ", ".join(f'"{p}"' for p in params))


def _new_size(name, size, varargs=True):
    """new_zeros(2, 3), new_zeros((2, 3)), new_zeros(size=[2, 3]): the size as ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    elif len(size) == 1 and not _index_like(size[0]) or not varargs:
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_device._typename(size[0])}")
    out = []
    for i, s in enumerate(size):
        if not _index_like(s):
            if varargs:
                raise TypeError(
                    f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                    f"error \"type must be tuple of ints,but got {_device._typename(s)}\"")
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {_device._typename(s)} at pos {i}")
        out.append(operator.index(s))
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
        return _finish(np.full(shape, fill_value, dt), requires_grad)

    methods = {"new_tensor": new_tensor, "new_full": new_full,
               "new_zeros": _new("new_zeros", np.zeros), "new_ones": _new("new_ones", np.ones),
               # PyTorch leaves new_empty uninitialized; zeros are one valid "anything"
               "new_empty": _new("new_empty", np.zeros)}
    return methods


TENSOR_METHODS = _new_methods()
