"""Creating tensors: tensor(), the legacy Tensor(...) constructor, factories and random draws."""

import builtins
import warnings

import numpy as np

from . import _dtype
from ._dtype import as_dtype, from_np, get_default_dtype
from ._tensor import Tensor, _init, _make


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


def _check_device(device):
    if device is not None:
        from ._device import device as _device

        _device(device)._check_available()


# -- from data ----------------------------------------------------------------------------------
def _infer_array(data):
    """Python data (nested lists of numbers, bools, 0-d tensors) to an array with PyTorch's
    inferred dtype: floats -> default dtype, ints -> int64, bools -> bool."""
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
        return np.array(data, dtype=get_default_dtype().np)
    if isinstance(data, complex):
        return np.array(data, dtype=np.complex64 if get_default_dtype() is _dtype.float32
                        else np.complex128)
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
            arr = arr.astype(get_default_dtype().np)
        elif kind == "i":
            arr = arr.astype(np.int64, copy=False)
        elif kind == "c":
            arr = arr.astype(np.complex64 if get_default_dtype() is _dtype.float32
                             else np.complex128)
        elif kind not in "bfu":
            raise TypeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
        return arr
    if hasattr(data, "__array__"):
        return np.asarray(data)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


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
    _check_device(device)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    arr = _infer_array(data)
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype).np, copy=True)
    else:
        arr = np.array(arr, copy=True)
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


def legacy_new(dt, args, kwargs):
    """Tensor(data) / Tensor(*sizes) / FloatTensor(...): the old constructors."""
    kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got {kwargs}")
    if not args:
        return _make(np.empty((0,), dt.np))
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src._data.dtype != dt.np:
            raise TypeError(
                f"expected {repr(dt).replace('ember.', 'ember.')} (got {src.dtype})"
            )
        return src
    if builtins.all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return _make(np.zeros(tuple(int(a) for a in args), dt.np))
    if len(args) == 1 and isinstance(args[0], (tuple, list)) and args[0] and builtins.all(
            isinstance(a, int) for a in args[0]) and False:
        pass
    if len(args) == 1:
        if isinstance(args[0], np.ndarray) or isinstance(args[0], (list, tuple)):
            return _make(np.array(_infer_array(args[0]), dtype=dt.np))
        if hasattr(args[0], "__array__"):
            return _make(np.array(args[0], dtype=dt.np))
    raise TypeError(
        f"new(): data must be a sequence (got {type(args[0]).__name__})"
    )


def _legacy_class(name, dt):
    """FloatTensor, LongTensor, ...: constructors, and isinstance checks by dtype."""

    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj._data.dtype == dt.np

        def __call__(cls, *args, **kwargs):
            return legacy_new(dt, args, kwargs)

        def __repr__(cls):
            return f"<class 'ember.{name}'>"

    return _Meta(name, (), {"dtype": dt})


FloatTensor = _legacy_class("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_class("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_class("HalfTensor", _dtype.float16)
LongTensor = _legacy_class("LongTensor", _dtype.int64)
IntTensor = _legacy_class("IntTensor", _dtype.int32)
ShortTensor = _legacy_class("ShortTensor", _dtype.int16)
CharTensor = _legacy_class("CharTensor", _dtype.int8)
ByteTensor = _legacy_class("ByteTensor", _dtype.uint8)
BoolTensor = _legacy_class("BoolTensor", _dtype.bool)

_LEGACY_NAMES = {c.__name__: c.dtype for c in (
    FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
    ByteTensor, BoolTensor)}


def legacy_type(name):
    """Tensor.type('torch.DoubleTensor') and friends: the dtype a type name stands for."""
    if isinstance(name, _dtype.dtype):
        return name
    if isinstance(name, type) and hasattr(name, "dtype"):
        return name.dtype
    short = str(name).rsplit(".", 1)[-1]
    if short in _LEGACY_NAMES:
        return _LEGACY_NAMES[short]
    raise ValueError(f"invalid type: '{name}'")


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
    _check_device(device)
    return _finish(np.zeros(_size(size, "zeros"), _np_dtype(dtype)), requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_device(device)
    return _finish(np.ones(_size(size), _np_dtype(dtype)), requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False):
    _check_device(device)
    return _finish(np.zeros(_size(size), _np_dtype(dtype)), requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    _check_device(device)
    if dtype is None:
        dt = _infer_array(fill_value).dtype
    else:
        dt = _np_dtype(dtype)
    return _finish(np.full(_size((size,)), fill_value, dt), requires_grad)


def _like(input, dtype):
    return input._data.dtype if dtype is None else _np_dtype(dtype)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _finish(np.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _finish(np.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _finish(np.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    _check_device(device)
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
    _check_device(device)
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


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    lin = _linspace(float(start), float(end), int(steps), np.dtype(np.float64))
    return _finish((base ** lin).astype(_np_dtype(dtype)), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_device(device)
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad)


# -- randomness ---------------------------------------------------------------------------------
class Generator:
    """A source of random numbers; ``manual_seed`` makes draws reproducible."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.MT19937(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.MT19937(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        import secrets

        return self.manual_seed(secrets.randbits(63)).initial_seed()

    def get_state(self):
        return _make(np.frombuffer(
            repr(self._rng.bit_generator.state).encode(), dtype=np.uint8).copy())

    def set_state(self, new_state):
        import ast

        state = ast.literal_eval(bytes(new_state._data).decode())
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed):
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _rng(generator):
    return (generator or default_generator)._rng


_TYPE_WORDS = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _float_check(dt, name):
    if dt.kind not in "fc":
        raise NotImplementedError(
            f'"{name}" not implemented for \'{_TYPE_WORDS[from_np[dt].name]}\''
        )


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    _check_device(device)
    dt = _np_dtype(dtype)
    _float_check(dt, "check_uniform_bounds")
    return _finish(_rng(generator).random(_size(size)).astype(dt), requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    _check_device(device)
    dt = _np_dtype(dtype)
    _float_check(dt, "normal_kernel_cpu")
    return _finish(_rng(generator).standard_normal(_size(size)).astype(dt), requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):
    _check_device(device)
    if size is None:
        # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = _np_dtype(dtype, _dtype.int64)
    return _finish(_rng(generator).integers(low, high, _size((size,))).astype(dt), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, **kwargs):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dt = _np_dtype(dtype, _dtype.int64)
    return _finish(_rng(generator).permutation(n).astype(dt), requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False):
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        out = (m + s * rng.standard_normal(shape)).astype(ref._data.dtype)
        return _make(np.asarray(out))
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    dt = _np_dtype(dtype)
    return _finish((mean + std * rng.standard_normal(_size((size,)))).astype(dt), requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    prob = input._data if p is None else np.full(input._data.shape, p)
    return _make((_rng(generator).random(input._data.shape) < prob).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    rng = _rng(generator)
    probs = np.atleast_2d(input._data.astype(np.float64))
    rows = []
    for p in probs:
        p = p / p.sum()
        rows.append(rng.choice(len(p), size=num_samples, replace=replacement, p=p))
    res = np.array(rows, dtype=np.int64)
    return _make(res if input._data.ndim == 2 else res[0])


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, kept for old code: Variable(t) is a tensor sharing t's data."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            data = _make(np.empty((0,), get_default_dtype().np))
        t = _make(data._data)
        if requires_grad:
            t.requires_grad_(True)
        return t


def _new_methods():
    """Tensor.new_tensor / new_zeros / ...: same dtype as self unless told otherwise."""

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    return {f.__name__: f for f in (new_tensor, new_zeros, new_ones, new_empty, new_full)}


TENSOR_METHODS = _new_methods()
__all__ = ["_init"]
