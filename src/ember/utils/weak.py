"""``torch.utils.weak``: weak references and dictionaries keyed by object identity.

Tensors compare elementwise and are unhashable by value, so a cache keyed by tensors needs
keys compared by identity: ``WeakIdRef`` hashes by ``id`` and is equal only for the same live
object; ``WeakIdKeyDictionary`` (also ``WeakTensorKeyDictionary``) holds its keys weakly and
drops an entry when its key dies.
"""

import weakref
from collections.abc import Mapping, MutableMapping

from .. import _names
from .._tensor import Tensor

__all__ = ["TensorWeakRef", "WeakIdKeyDictionary", "WeakIdRef", "WeakTensorKeyDictionary"]

WeakRef = ref = weakref.ref


class WeakIdRef(weakref.ref):
    """A weak reference hashed by the object's id, equal to another only for the same live
    object (two dead references are equal only if they are the same reference)."""

    __slots__ = ("_id",)

    def __init__(self, key, callback=None):
        self._id = id(key)
        super().__init__(key, callback)

    def __hash__(self):
        return self._id

    def __eq__(self, other):
        a, b = self(), other()
        if a is not None and b is not None:
            return a is b
        return self is other


class WeakIdKeyDictionary(MutableMapping):
    """A mapping whose keys are held weakly and compared by identity."""

    def __init__(self, dict=None, ref_type=WeakIdRef):  # noqa: A002 - PyTorch's name
        self.data = {}
        self.ref_type = ref_type
        table = weakref.ref(self)

        def remove(k):
            owner = table()
            if owner is not None:
                owner.data.pop(k, None)

        self._remove = remove
        if dict is not None:
            self.update(dict)

    def __getitem__(self, key):
        return self.data[self.ref_type(key)]

    def __setitem__(self, key, value):
        self.data[self.ref_type(key, self._remove)] = value

    def __delitem__(self, key):
        del self.data[self.ref_type(key)]

    def __contains__(self, key):
        try:
            r = self.ref_type(key)
        except TypeError:
            return False
        return r in self.data

    def __len__(self):
        return sum(1 for k in list(self.data) if k() is not None)

    def __iter__(self):
        for k in list(self.data):
            obj = k()
            if obj is not None:
                yield obj

    def __repr__(self):
        return f"<{type(self).__name__} at {id(self):#x}>"

    def keyrefs(self):
        """The weak references to the keys."""
        return list(self.data)

    def copy(self):
        new = type(self)(ref_type=self.ref_type)
        for key, value in self.items():
            new[key] = value
        return new

    __copy__ = copy

    def __deepcopy__(self, memo):
        from copy import deepcopy

        new = type(self)(ref_type=self.ref_type)
        for key, value in self.items():
            new[key] = deepcopy(value, memo)
        return new

    def get(self, key, default=None):
        return self.data.get(self.ref_type(key), default)

    def pop(self, key, *args):
        return self.data.pop(self.ref_type(key), *args)

    def popitem(self):
        while True:
            k, value = self.data.popitem()
            obj = k()
            if obj is not None:
                return obj, value

    def setdefault(self, key, default=None):
        return self.data.setdefault(self.ref_type(key, self._remove), default)

    def update(self, dict=None, **kwargs):  # noqa: A002 - PyTorch's name
        pairs = dict.items() if isinstance(dict, Mapping) else (dict or ())
        for key, value in pairs:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def __eq__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        return {id(k): v for k, v in self.items()} == {id(k): v for k, v in other.items()}

    __hash__ = None


WeakTensorKeyDictionary = WeakIdKeyDictionary


class TensorWeakRef:
    """A weak reference to a tensor (calling it gives the tensor, or None once it is gone)."""

    def __init__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise AssertionError(f"expected {_names.prefix}.Tensor, got {type(tensor)}.")
        self.ref = weakref.ref(tensor)

    def __call__(self):
        return self.ref()
