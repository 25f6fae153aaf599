"""Every differentiable op, grouped by kind; each module lists its Tensor methods."""

from .. import _creation
from .._tensor import Tensor
from . import copy, elementwise, reduction, shape

_MODULES = [elementwise, reduction, shape, copy, _creation]


def _install():
    import importlib

    for name in ("indexing", "linalg", "nn_ops"):
        try:
            _MODULES.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    for module in _MODULES:
        for name, fn in module.TENSOR_METHODS.items():
            setattr(Tensor, name, fn)


_install()
