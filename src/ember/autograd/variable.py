"""Variable: the pre-0.4 wrapper, kept because old tutorials still use it."""

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor, _make

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Variable(t) is a tensor sharing t's data (isinstance(t, Variable) holds for tensors)."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            data = _make(np.empty((0,), get_default_dtype().np))
        t = _make(data._data)
        if requires_grad:
            t.requires_grad_(True)
        return t
