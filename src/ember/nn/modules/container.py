"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

import operator
import warnings
from collections import OrderedDict

from ..._tensor import Tensor
from ..parameter import Parameter
from .module import Module, _indent

__all__ = [
    "Container", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential",
]


def _index(idx, n):
    """An integer index into n items, negative from the end, with PyTorch's error."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


def _update(container, pairs):
    """container[key] = value for a mapping's items, or for (key, value) pairs."""
    items = pairs.items() if hasattr(pairs, "items") else pairs
    for key, value in items:
        container[key] = value


class _ModuleContainer(Module):
    """What the module containers share: their items are their children (``_modules``)."""

    def __len__(self):
        return len(self._modules)

    def pop(self, key):
        v = self[key]
        del self[key]
        return v


class _ModuleSequence(_ModuleContainer):
    """Sequential and ModuleList: children named '0', '1', ... by position, renumbered when
    one is inserted or deleted (Module.__dir__ leaves the numbers out). Each subclass makes
    its own kind of slice (_slice)."""

    def _key(self, idx):
        keys = list(self._modules)
        return keys[_index(idx, len(keys))]

    def _renumber(self, modules):
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(modules)}

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._slice(idx)
        modules = self._modules
        return list(modules.values())[_index(idx, len(modules))]

    def __setitem__(self, idx, module):
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules)[idx]:
                del self._modules[key]
        else:
            del self._modules[self._key(idx)]
        self._renumber(self._modules.values())

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self
    def _insert(self, index, module):
        """module at position index (list.insert's rule), the later ones moving up one."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._renumber(mods)


def _check_sequential(other):
    if not isinstance(other, Sequential):
        raise ValueError("add operator supports only objects of Sequential class, but "
                         f"{type(other)} is given.")


class Sequential(_ModuleSequence):
    """Runs its modules in order, each on the previous one's output.

    Sequential(m1, m2, ...) names them '0', '1', ...; Sequential(OrderedDict(name=module))
    keeps the given names."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def _slice(self, idx):
        return self.__class__(OrderedDict(list(self._modules.items())[idx]))

    def __add__(self, other):
        _check_sequential(other)
        return Sequential(*self, *other)

    def __iadd__(self, other):
        _check_sequential(other)
        return self.extend(other)

    def __mul__(self, other):
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        return Sequential(*(list(self) * other))

    __rmul__ = __mul__

    def extend(self, sequential):  # PyTorch's parameter name
        return super().extend(sequential)

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        self._insert(index + n if index < 0 else index, module)
        return self


class ModuleList(_ModuleSequence):
    """A list of modules, registered so that their parameters belong to the parent."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, idx):
        return self.__class__(list(self._modules.values())[idx])

    def insert(self, index, module):
        self._insert(index, module)

    def __repr__(self):
        # PyTorch compresses runs of identical children: (0-2): 3 x Linear(...)
        lines = []
        items = list(self._modules.items())
        i = 0
        while i < len(items):
            j = i
            text = repr(items[i][1])
            while j + 1 < len(items) and repr(items[j + 1][1]) == text:
                j += 1
            if j > i:
                lines.append(f"({items[i][0]}-{items[j][0]}): {j - i + 1} x {_indent(text, 2)}")
            else:
                lines.append(f"({items[i][0]}): {_indent(text, 2)}")
            i = j + 1
        if not lines:
            return self._get_name() + "()"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )


class ModuleDict(_ModuleContainer):
    """A dict of modules (insertion-ordered), registered with the parent."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        _update(self, modules)


def _param_lines(items, type_name):
    """PyTorch's printed form of ParameterList/ParameterDict entries, a line each; a tensor's
    type is written as type_name(tensor) gives it."""
    lines = []
    for key, p in items:
        if isinstance(p, Tensor):
            size = "x".join(str(s) for s in p.shape)
            kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
            lines.append(f"  ({key}): {kind} containing: [{type_name(p)} of size {size}]")
        else:
            lines.append(f"  ({key}): Object of type: {type(p).__name__}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list of parameters registered with the module (plain tensors become Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        self.__dict__["_size"] = 0
        if values is not None:
            self += values

    def _abs_index(self, idx):
        return str(_index(idx, len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = self.__class__()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._abs_index(idx))

    def __setitem__(self, idx, param):
        name = self._abs_index(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, name, param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def append(self, value):
        self.__dict__["_size"] += 1
        self[len(self) - 1] = value
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return _param_lines(enumerate(self), lambda t: t.dtype)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters (insertion-ordered) registered with the module."""

    def __init__(self, parameters=None):
        super().__init__()
        self.__dict__["_keys"] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        self._keys[key] = None
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def clear(self):
        for k in list(self._keys):
            del self[k]

    def copy(self):
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def update(self, parameters):
        _update(self, parameters)

    def extra_repr(self):
        return _param_lines(self.items(), lambda t: t.type())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")


class Container(Module):
    """The old base of the containers (deprecated): a Module holding the keyword modules."""

    def __init__(self, **kwargs):
        super().__init__()
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented "
                      "in `nn.Module`. Subclass that instead.", FutureWarning, stacklevel=2)
        for key, value in kwargs.items():
            self.add_module(key, value)
