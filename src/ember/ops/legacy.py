"""The legacy constructors: ember.Tensor(2, 3), FloatTensor([1, 2]), LongTensor(...), and
Tensor.type(...) with their names."""

import numpy as np

from .. import _device, _dtype, _names
from .._dtype import get_default_dtype
from .._errors import note
from .._errstate import quiet
from .._tensor import Size, Tensor, _init, _make, _type_name
from ._op import argname, formula_node
from .creation import _checked_cast, _infer_array
from .shape import as_view

__all__ = [
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor",
]

_LEGACY_SIGNATURES = (
    " * (ember.Storage storage)\n * (Tensor other)\n"
    " * (tuple of ints size, *, ember.device device = None)\n"
    " * (object data, *, ember.device device = None)\n"
)


def _legacy_invalid(args, kwargs, why):
    got = ", ".join([argname(a) for a in args] + [f"{k}={argname(v)}" for k, v in
                                                    kwargs.items()])
    return TypeError(
        f"new() received an invalid combination of arguments - got ({got}), but expected one "
        + _names.spell(f"of:\n * (*, ember.device device = None)\n      didn't match because "
                       f"{why}\n" + _LEGACY_SIGNATURES))


def _is_int(a):
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def _legacy_sizes(dt, sizes):
    for s in sizes:
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    # PyTorch leaves the memory uninitialized; zeros are one valid choice of "anything"
    return _make(np.zeros(tuple(int(s) for s in sizes), dt.np))


@quiet  # casting Python numbers can overflow: PyTorch wraps them silently
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
            return as_view(a, a._data, _Alias, ())
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
    names = ", ".join(f"!{argname(x)}!" for x in args)
    raise _legacy_invalid(args, {}, f"some of the arguments have invalid types: ({names})")


def _holds_float_tensor(data):
    for x in data:
        if isinstance(x, Tensor) and x._data.dtype.kind in "fcV":
            return True
        if isinstance(x, (list, tuple)) and _holds_float_tensor(x):
            return True
    return False


def _options(dt):
    return (f"TensorOptions(dtype={dt.cpp}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


_Alias = formula_node("AliasBackward0", lambda g: g)


class tensortype(type):
    """The type of FloatTensor, LongTensor, ...: calling one runs the legacy constructor for
    its dtype; isinstance(t, FloatTensor) asks whether t is a float32 tensor."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __call__(cls, *args, **kwargs):
        return legacy_new(cls.dtype, args, kwargs)

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


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

def bfloat16_tensor():
    """ember.BFloat16Tensor, made on first use (ember.bfloat16 loads ml_dtypes)."""
    cls = globals().get("_BFloat16Tensor")
    if cls is None:
        cls = globals()["_BFloat16Tensor"] = _legacy_class("BFloat16Tensor", _dtype.bfloat16)
        cls.__module__ = _names.module_name("ember")  # made after the alias, it says torch
    return cls


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
        if name.__module__ in ("ember.cuda", "torch.cuda"):
            raise note(RuntimeError(_NO_CUDA_LIBRARY), _device._CPU_HINT)
        raise ValueError(f"invalid type: '{_type_path(name)}'")
    if not isinstance(name, str):
        raise TypeError("dtype must be a type, str, or dtype object")
    lib, _, short = name.rpartition(".")
    if lib in ("torch", "ember") and short in _LEGACY_NAMES:
        return _LEGACY_NAMES[short]
    if lib in ("torch", "ember") and short == "BFloat16Tensor":
        return _dtype.bfloat16
    if lib in ("torch.cuda", "ember.cuda") and short in _LEGACY_NAMES:
        raise note(RuntimeError(_NO_CUDA_LIBRARY), _device._CPU_HINT)
    raise ValueError(f"invalid type: '{name}'")


def _type_path(cls):
    return cls.__qualname__ if cls.__module__ == "builtins" else \
        f"{cls.__module__}.{cls.__qualname__}"


def _init_method(self, *args, **kwargs):
    """ember.Tensor(data) or ember.Tensor(*sizes): the legacy constructor, default dtype."""
    _init(self, legacy_new(get_default_dtype(), args, kwargs))


def _type_method(self, dtype=None, non_blocking=False, **kwargs):
    """x.type(): its legacy type name; x.type(ember.DoubleTensor): converted to that dtype."""
    if dtype is None:
        return _type_name(self._data)
    return self.to(legacy_type(dtype))


TENSOR_METHODS = {"__init__": _init_method, "type": _type_method}
