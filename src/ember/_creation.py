"""Creating tensors: tensor(), the legacy Tensor(...) constructor, factories and random draws."""

import builtins
import math
import operator
import warnings

import numpy as np

from . import _device, _dtype, _random
from ._dtype import as_dtype, from_np, get_default_dtype
from ._errors import note
from ._tensor import Size, Tensor, _init, _make


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


# -- the legacy constructors: Tensor(...), FloatTensor(...), LongTensor(...), ... --------------
_LEGACY_SIGNATURES = (
    " * (ember.Storage storage)\n * (Tensor other)\n"
    " * (tuple of ints size, *, ember.device device = None)\n"
    " * (object data, *, ember.device device = None)\n"
)


def _argname(a):
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, (_dtype.dtype, _device.device)):
        return "ember." + type(a).__name__
    return _device._typename(a)


def _legacy_invalid(args, kwargs, why):
    got = ", ".join([_argname(a) for a in args] + [f"{k}={_argname(v)}" for k, v in
                                                    kwargs.items()])
    return TypeError(
        f"new() received an invalid combination of arguments - got ({got}), but expected one "
        f"of:\n * (*, ember.device device = None)\n      didn't match because {why}\n"
        + _LEGACY_SIGNATURES)


def _is_int(a):
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def _legacy_sizes(dt, sizes):
    for s in sizes:
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    # PyTorch leaves the memory uninitialized; zeros are one valid choice of "anything"
    return _make(np.zeros(tuple(int(s) for s in sizes), dt.np))


def legacy_new(dt, args, kwargs):
    """Tensor(data) / Tensor(*sizes) / FloatTensor(...): the old constructors, still accepted
    by PyTorch: sizes give an (uninitialized) tensor of that shape, a sequence gives its
    values converted to the class's dtype, a tensor of the same dtype gives an alias."""
    device = kwargs.pop("device", None)
    if kwargs:
        raise _legacy_invalid(args, kwargs, "some of the keywords were incorrect: "
                              + ", ".join(kwargs))
    if device is not None:
        d = _device.as_device(device)
        if d.type != "cpu":
            exc = RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                               f"{d.type} was passed")
            raise note(exc, _device._CPU_HINT)
    if not args:
        return _make(np.empty((0,), dt.np))
    a = args[0]
    if len(args) == 1:
        if isinstance(a, Tensor):
            if a._data.dtype != dt.np:
                raise TypeError(f"expected {_options(dt)} (got {_options(a.dtype)})")
            from .ops.shape import as_view

            return as_view(a, a._data, _alias_node(), ())
        if isinstance(a, Size) or _is_int(a):
            return _legacy_sizes(dt, tuple(a) if isinstance(a, Size) else (a,))
        if isinstance(a, (list, tuple, range)):
            if dt.np.kind in "iub" and _holds_float_tensor(a):
                # PyTorch reads each element of an integer tensor type through __index__
                raise TypeError("only integer tensors of a single element can be converted to "
                                "an index")
            return _make(_checked_cast(_infer_array(list(a) if isinstance(a, range) else a,
                                                    exact=True), dt))
        if isinstance(a, np.ndarray):
            return _make(np.array(a, dtype=dt.np))
        if isinstance(a, str):
            raise TypeError(f"new(): invalid data type '{type(a).__name__}'")
        if hasattr(a, "__array__") and not isinstance(a, np.generic):
            return _make(np.array(a, dtype=dt.np))
        raise TypeError(f"new(): data must be a sequence (got {_device._typename(a)})")
    if _is_int(a):
        for i, s in enumerate(args):
            if not _is_int(s):
                raise TypeError(
                    f"new(): argument 'size' failed to unpack the object at pos {i + 1} with "
                    f"error \"type must be tuple of ints,but got {_device._typename(s)}\"")
        return _legacy_sizes(dt, args)
    names = ", ".join(f"!{_argname(x)}!" for x in args)
    raise _legacy_invalid(args, {}, f"some of the arguments have invalid types: ({names})")


def _holds_float_tensor(data):
    for x in data:
        if isinstance(x, Tensor) and x._data.dtype.kind in "fc":
            return True
        if isinstance(x, (list, tuple)) and _holds_float_tensor(x):
            return True
    return False


_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


def _options(dt):
    return (f"TensorOptions(dtype={_C_TYPES[dt.name]}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


_ALIAS = []


def _alias_node():
    if not _ALIAS:
        from .ops._op import formula_node

        _ALIAS.append(formula_node("AliasBackward0", lambda g: g))
    return _ALIAS[0]


class tensortype(type):
    """The type of FloatTensor, LongTensor, ...: calling one runs the legacy constructor for
    its dtype; isinstance(t, FloatTensor) asks whether t is a float32 tensor."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __call__(cls, *args, **kwargs):
        return legacy_new(cls.dtype, args, kwargs)

    def __repr__(cls):
        return f"<class 'ember.{cls.__name__}'>"


tensortype.__module__ = "ember"


def _legacy_class(name, dt):
    cls = tensortype(name, (), {"dtype": dt, "is_cuda": False, "is_sparse": False})
    cls.__module__ = "ember"
    return cls


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

_NO_CUDA_LIBRARY = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because you "
    "are trying to use some CUDA functionality, but the CUDA library has not been loaded by "
    "the dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't "
    "directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
    "library dependencies if you don't depend on any of their symbols.  You can check if this "
    "has occurred by using ldd on your binary to see if there is a dependency on *_cuda.so "
    "library."
)


def legacy_type(name):
    """Tensor.type(x): the dtype that x (a dtype, a legacy class such as ember.DoubleTensor,
    or its name 'torch.DoubleTensor' / 'ember.DoubleTensor') stands for."""
    if isinstance(name, _dtype.dtype):
        return name
    if isinstance(name, tensortype):
        return name.dtype
    if name is Tensor:
        return get_default_dtype()
    if isinstance(name, type):
        if name.__module__ == "ember.cuda":
            raise note(RuntimeError(_NO_CUDA_LIBRARY), _device._CPU_HINT)
        raise ValueError(f"invalid type: '{_type_path(name)}'")
    if not isinstance(name, str):
        raise TypeError("dtype must be a type, str, or dtype object")
    lib, _, short = name.rpartition(".")
    if lib in ("torch", "ember") and short in _LEGACY_NAMES:
        return _LEGACY_NAMES[short]
    if lib in ("torch.cuda", "ember.cuda") and short in _LEGACY_NAMES:
        raise note(RuntimeError(_NO_CUDA_LIBRARY), _device._CPU_HINT)
    raise ValueError(f"invalid type: '{name}'")


def _type_path(cls):
    return cls.__qualname__ if cls.__module__ == "builtins" else \
        f"{cls.__module__}.{cls.__qualname__}"


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


# -- randomness ---------------------------------------------------------------------------------
# Every draw reproduces PyTorch's CPU generator (see _random.py): the same seed gives the same
# numbers as torch.manual_seed on the CPU.
class Generator:
    """A source of random numbers; ``manual_seed`` makes draws reproducible."""

    def __init__(self, device="cpu"):
        self.device = _device.as_device(device)
        if self.device.type == "cuda":
            text = _NO_CUDA_LIBRARY.replace("initialize CUDA", "get CUDA generator", 1)
            raise note(RuntimeError(text), _device._CPU_HINT)
        self._mt = _random.MT19937()

    def manual_seed(self, seed):
        self._mt.manual_seed(seed)
        return self

    def initial_seed(self):
        return self._mt.seed

    def seed(self):
        s = _random.nondeterministic_seed()
        self._mt.manual_seed(s)
        return s

    def get_state(self):
        return _make(np.frombuffer(self._mt.get_state(), np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a ember.ByteTensor, but got {type(new_state).__name__}")
        d = new_state._data
        if d.dtype != np.uint8:
            raise TypeError("RNG state must be a ember.ByteTensor")
        if d.size != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {d.size}"
            )
        self._mt.set_state(np.ascontiguousarray(d).tobytes())
        return self

    def clone_state(self):
        g = Generator.__new__(Generator)
        g.device = self.device
        g._mt = self._mt.clone()
        return g

    def __getstate__(self):
        return {"device": str(self.device), "state": self._mt.get_state()}

    def __setstate__(self, st):
        self.__init__(st["device"])
        self._mt.set_state(st["state"])


_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState): PyTorch's states load here and back
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


def _mt(generator):
    return (generator if generator is not None else default_generator)._mt


_TYPE_WORDS = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _float_check(dt, name):
    if dt.kind not in "fc":
        raise NotImplementedError(
            f'"{name}" not implemented for \'{_TYPE_WORDS[from_np[dt].name]}\''
        )


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _real_fill(draw, shape, dt):
    """Run ``draw(n, real_dtype)`` for a fresh tensor; complex tensors fill their real view."""
    if dt.kind == "c":
        real = np.dtype(np.float32 if dt == np.complex64 else np.float64)
        return draw(2 * _numel(shape), real).view(dt).reshape(shape)
    return draw(_numel(shape), dt).reshape(shape)


def _result(data, out, requires_grad):
    if out is not None:
        np.copyto(out._data, data.reshape(out._data.shape) if data.size == out._data.size
                  else data, casting="unsafe")
        out._version[0] += 1
        return out
    return _finish(data, requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    _check_device(device, "rand")
    dt = _np_dtype(dtype)
    _float_check(dt, "check_uniform_bounds")
    mt = _mt(generator)
    shape = _size(size)
    if dt.kind == "c":
        data = _real_fill(lambda n, d: _random.uniform(mt, n, d), shape, dt)
    else:
        data = _random.uniform(mt, _numel(shape), dt).reshape(shape)
    return _result(data, out, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    _check_device(device, "randn")
    dt = _np_dtype(dtype)
    _float_check(dt, "normal_kernel_cpu")
    mt = _mt(generator)
    shape = _size(size)
    if dt.kind == "c":
        # complex normals: each part has variance 1/2
        data = _real_fill(lambda n, d: _random.normal(mt, n, d, 0.0, math.sqrt(0.5)), shape, dt)
    else:
        data = _random.normal(mt, _numel(shape), dt).reshape(shape)
    return _result(data, out, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    if device is not None:
        _check_device(device, "rand_like", "empty_strided")
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                requires_grad=requires_grad, device="cpu")


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    if device is not None:
        _check_device(device, "randn_like", "empty_strided")
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 requires_grad=requires_grad, device="cpu")


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    _check_device(device, "randint")
    if size is None:
        # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if isinstance(low, Tensor):
        low = low.item()
    if isinstance(high, Tensor):
        high = high.item()
    low, high = builtins.int(low), builtins.int(high)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = _np_dtype(dtype, _dtype.int64)
    shape = _size((size,)) if isinstance(size, (builtins.int, np.integer)) else _size(tuple(size))
    if dt.kind == "f":
        low, high = _float_bounds(dt, low, high)
    data = _random.random_from_to(_mt(generator), _numel(shape), dt, low, high - low)
    return _result(data.reshape(shape), out, requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    if device is not None:
        _check_device(device, "randint_like", "empty_strided")
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator,
                   dtype=dtype or input.dtype, requires_grad=requires_grad, device="cpu")


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    _check_device(device, "randperm")
    n = builtins.int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _np_dtype(dtype, _dtype.int64)
    return _result(_random.randperm(_mt(generator), n).astype(dt, copy=False), out,
                   requires_grad)


def _zero_grad_node(name, n_inputs=1):
    from .ops._op import formula_node

    return formula_node(name, *([lambda g: g * 0] * n_inputs))


_NODES = {}


def _node(name, n_inputs=1):
    cls = _NODES.get(name)
    if cls is None:
        cls = _NODES[name] = _zero_grad_node(name, n_inputs)
    return cls


def _record(data, name, inputs):
    """A fresh random tensor; with a node whose gradients are zero when an input needs grad
    (PyTorch treats samples as constants of the distribution's parameters)."""
    from .autograd.grad_mode import state

    if state.enabled and builtins.any(isinstance(x, Tensor) and x._requires_grad
                                      for x in inputs):
        from .ops._op import record

        return record(data, _node(name, len(inputs)), inputs)
    return _make(data)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    if device is not None:
        _check_device(device, "normal")
    mt = _mt(generator)
    mt_t, st_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mt_t or st_t):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected one of: (Tensor mean, Tensor std) "
                            "(Tensor mean, float std) (float mean, Tensor std) "
                            "(float mean, float std, tuple of ints size)")
        _check_std(std)
        dt = _np_dtype(dtype)
        _float_check(dt, "normal_kernel_cpu")
        shape = _size(tuple(size) if isinstance(size, (tuple, list)) else (size,))
        data = _random.normal(mt, _numel(shape), dt, float(mean), float(std)).reshape(shape)
        return _result(data, out, requires_grad)
    if st_t and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if mt_t and not st_t:
        _check_std(std)
        dt = mean._data.dtype
        z = _random.normal(mt, mean._data.size, dt, 0.0, float(std)).reshape(mean._data.shape)
        data = z + mean._data
        name = "NormalBackward1"
        inputs = (mean,)
    else:
        ref = mean if mt_t else std
        dt = ref._data.dtype
        m = mean._data if mt_t else np.asarray(mean, dt)
        shape = np.broadcast_shapes(np.shape(m), std._data.shape)
        z = _random.normal(mt, _numel(shape), dt).reshape(shape)
        data = z * std._data + m
        name = "NormalBackward3" if mt_t else "NormalBackward2"
        inputs = (mean, std) if mt_t else (std,)
    data = np.asarray(data, dt)
    if out is not None:
        return _result(data, out, False)
    return _record(data, name, inputs)


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")


def _fmt(x):
    """A double as PyTorch's messages print it (C++ stream style: 1, 0.5, -1e-05)."""
    x = float(x)
    if x == builtins.int(x) and abs(x) < 1e16:
        return str(builtins.int(x))
    return f"{x:g}"


def bernoulli(input, p=None, *, generator=None, out=None):
    d = input._data
    mt = _mt(generator)
    if p is None:
        if d.dtype.kind != "f":
            raise NotImplementedError(
                f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                f"'{_TYPE_WORDS[from_np[d.dtype].name]}'")
        _check_prob_tensor(d)
        # the result is a fresh contiguous tensor, filled in its (row-major) order
        vals = _random.bernoulli_tensor(mt, np.ascontiguousarray(d).reshape(-1))
        data = vals.astype(d.dtype).reshape(d.shape)
        name = "BernoulliBackward0"
    else:
        _check_prob(p)
        data = _from_mem_order(_random.bernoulli_scalar(mt, d.size, float(p)).astype(d.dtype), d)
        return _result(data, out, False) if out is not None else _make(data)
    if out is not None:
        return _result(data, out, False)
    return _record(data, name, (input,))


def _check_prob(p, name="bernoulli_"):
    if not 0 <= p <= 1:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={_fmt(p)}")


def _check_prob_tensor(p):
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    d = input._data
    if d.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if d.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: "
            f"{_TYPE_WORDS[from_np[d.dtype].name]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = d.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_cat > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    mt = _mt(generator)
    probs = d.reshape(-1, n_cat)
    if not replacement or num_samples == 1:
        if d.size and not (np.all(probs < np.inf) and np.all(probs >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (probs.sum(axis=1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        # Gumbel-max in exponential form: argmax / top-k of p / q with q ~ Exp(1)
        q = _from_mem_order(_random.exponential(mt, d.size, 1.0).astype(d.dtype), d)
        ratio = (d / q).reshape(probs.shape)
        if num_samples == 1:
            res = np.argmax(ratio, axis=1)[:, None]
        else:
            res = np.argsort(-ratio, axis=1, kind="stable")[:, :num_samples]
    else:
        for row in probs:
            if (row < 0).any():
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry < 0)")
            if not np.isfinite(row).all():
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)")
            if not row.sum() > 0:
                raise RuntimeError(
                    "invalid multinomial distribution (sum of probabilities <= 0)")
        res = _random.multinomial_with_replacement(mt, probs, num_samples)
    res = res.astype(np.int64)
    if d.ndim == 1:
        res = res[0]
    if out is not None:
        return _result(res, out, False)
    return _make(res)


# -- in-place draws: Tensor.uniform_, normal_, random_, bernoulli_, ... --------------------------
def _mem_order(a):
    """A view of ``a`` whose C order is a's memory order (the order PyTorch fills elements)."""
    if a.flags.c_contiguous or a.ndim < 2:
        return a
    axes = sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), i))
    return a.transpose(axes)


def _from_mem_order(flat, like):
    """An array shaped like ``like`` whose memory-order elements are ``flat``."""
    if like.flags.c_contiguous or like.ndim < 2:
        return flat.reshape(like.shape)
    out = np.empty_like(like, dtype=flat.dtype)
    _mem_order(out)[...] = flat.reshape(_mem_order(like).shape)
    return out


def _fill_(self, flat, name):
    """Write ``flat`` (memory order) into self; record ``name`` when autograd tracks self."""
    from .autograd.grad_mode import state
    from .ops.elementwise import _inplace, check_inplace

    check_inplace(self)
    d = self._data
    if state.enabled and self._requires_grad:
        from .ops._op import record

        vals = _from_mem_order(flat, d)
        return _inplace(self, lambda a: record(vals.astype(d.dtype, copy=False), _node(name),
                                               (a,)))
    if not d.flags.writeable:
        from .ops.shape import overlap_error

        raise overlap_error()
    view = _mem_order(d)
    view[...] = flat.reshape(view.shape)
    self._version[0] += 1
    return self


def uniform_(self, from_=0, to=1, *, generator=None, **kwargs):
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    dt = self._data.dtype
    _float_check(dt, "check_uniform_bounds")
    from_, to = float(from_), float(to)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(from_)} > to={_fmt(to)}")
    mt = _mt(generator)
    if dt.kind == "c":
        real = np.float32 if dt == np.complex64 else np.float64
        flat = _random.uniform(mt, 2 * self._data.size, np.dtype(real), from_, to).view(dt)
    else:
        flat = _random.uniform(mt, self._data.size, dt, from_, to)
    return _fill_(self, flat, "UniformBackward0")


def normal_(self, mean=0, std=1, *, generator=None):
    dt = self._data.dtype
    _float_check(dt, "normal_kernel_cpu")
    _check_std(std)
    d = self._data
    flat = _random.normal(_mt(generator), d.size, dt, float(mean), float(std),
                          d.flags.c_contiguous)
    return _fill_(self, flat, "NormalBackward0")


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    d = self._data
    dt = d.dtype
    mt = _mt(generator)
    n = d.size
    if from_ is None and to is None:
        flat = _random.random_default(mt, n, dt)
        name = "RandomBackward2"
    else:
        name = "RandomBackward0"
        if to is None:  # random_(to): [0, to)
            from_, to, name = 0, from_, "RandomBackward1"
        from_, to = builtins.int(from_), builtins.int(to)
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        if dt.kind == "f":
            from_, to = _float_bounds(dt, from_, to)
        flat = _random.random_from_to(mt, n, dt, from_, to - from_)
    return _fill_(self, flat, name)


def _float_bounds(dt, from_, to):
    """PyTorch narrows [from, to) for float dtypes so that casting a draw cannot reach ``to``:
    a bound the dtype cannot hold exactly moves inwards by one step of the dtype's spacing."""
    digits = np.finfo(dt).nmant + 1
    f1 = builtins.int(np.array(from_ + 1).astype(dt))
    if f1 < from_:
        from_ = f1 + (1 << (builtins.abs(from_ + 1).bit_length() - 1 - digits + 1))
    t1 = builtins.int(np.array(to - 1).astype(dt))
    if t1 >= to:
        to = t1 - (1 << (builtins.abs(to - 1).bit_length() - 1 - digits + 1))
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' "
                           f"casted to dtype, but got from={from_} >= to={to}")
    return from_, to


def bernoulli_(self, p=0.5, *, generator=None):
    d = self._data
    mt = _mt(generator)
    if isinstance(p, Tensor):
        pd = p._data
        _check_prob_tensor(pd)
        # p is read element by element alongside self, in self's memory order
        pv = np.broadcast_to(pd, d.shape).transpose(_mem_axes(d))
        flat = _random.bernoulli_tensor(mt, np.ascontiguousarray(pv).reshape(-1))
        name = "BernoulliBackward1"
    else:
        _check_prob(p)
        flat = _random.bernoulli_scalar(mt, d.size, float(p))
        name = "BernoulliBackward2"
    return _fill_(self, flat.astype(d.dtype), name)


def _mem_axes(a):
    if a.flags.c_contiguous or a.ndim < 2:
        return tuple(range(a.ndim))
    return tuple(sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), i)))


def exponential_(self, lambd=1.0, *, generator=None):
    dt = self._data.dtype
    if dt.kind != "f":
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {_TYPE_WORDS[from_np[dt].name]}")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    flat = _random.exponential(_mt(generator), self._data.size, float(lambd))
    return _fill_(self, flat.astype(dt), "ExponentialBackward0")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    dt = self._data.dtype
    _float_check(dt, "cauchy_cpu")
    flat = _random.cauchy(_mt(generator), self._data.size, float(median), float(sigma))
    return _fill_(self, flat.astype(dt), "CauchyBackward0")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    dt = self._data.dtype
    _float_check(dt, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    flat = _random.log_normal(_mt(generator), self._data.size, float(mean), float(std))
    return _fill_(self, flat.astype(dt), "LogNormalBackward0")


def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    flat = _random.geometric(_mt(generator), self._data.size, float(p))
    return _fill_(self, flat.astype(self._data.dtype), "GeometricBackward0")


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


_RANDOM_METHODS = {
    "uniform_": uniform_, "normal_": normal_, "random_": random_, "bernoulli_": bernoulli_,
    "exponential_": exponential_, "cauchy_": cauchy_, "log_normal_": log_normal_,
    "geometric_": geometric_, "bernoulli": _bernoulli_method, "multinomial": _multinomial_method,
}


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


TENSOR_METHODS = {**_new_methods(), **_RANDOM_METHODS}
__all__ = ["_init"]
