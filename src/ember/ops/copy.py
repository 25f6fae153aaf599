"""Copies and casts: clone, contiguous, to(dtype), float()/double()/... ."""

import numpy as np

from .._dtype import as_dtype, from_np
from .._tensor import Tensor
from ._op import formula_node, record

_Clone = formula_node("CloneBackward0", lambda g: g)
_ToCopy = formula_node("ToCopyBackward0", lambda g, dt: g.to(dt))


def clone(input, *, memory_format=None):
    return record(input._data.copy(), _Clone, (input,))


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def _cast(input, dt, copy=False):
    d = input._data
    if d.dtype == dt.np:
        return record(d.copy(), _ToCopy, (input,), (dt,)) if copy else input
    if dt.np.kind not in "fc" and input._requires_grad:
        # integer results are not differentiable
        return record(d.astype(dt.np), _ToCopy, (), ())
    return record(d.astype(dt.np), _ToCopy, (input,), (from_np[d.dtype],))


def to(input, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None):
    """to(dtype), to(device), to(device, dtype), to(other_tensor)."""
    from .._device import device as _device

    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device)):
            device = a
        elif a is not None:
            dtype = a
    if device is not None:
        _device(device)._check_available()
    if dtype is None:
        return clone(input) if copy else input
    return _cast(input, as_dtype(dtype), copy)


def _caster(name):
    dt = as_dtype(name) if not isinstance(name, str) else None

    def method(self, memory_format=None):
        return _cast(self, dt)

    return method


def type_as(input, other):
    return _cast(input, other.dtype)


def _methods():
    from .. import _dtype as D

    m = {"clone": clone, "contiguous": contiguous, "to": to, "type_as": type_as,
         "cpu": lambda self, memory_format=None: self,
         "cuda": lambda self, device=None, non_blocking=False, memory_format=None:
             to(self, "cuda" if device is None else device)}
    for name, dt in (("float", D.float32), ("double", D.float64), ("half", D.float16),
                     ("long", D.int64), ("int", D.int32), ("short", D.int16), ("char", D.int8),
                     ("byte", D.uint8), ("bool", D.bool)):
        m[name] = _bind_cast(dt)
    return m


def _bind_cast(dt):
    def method(self, memory_format=None):
        return _cast(self, dt)

    return method


TENSOR_METHODS = _methods()
_ = np
