"""ember.nn: layers (Module and its subclasses), Parameter, functional and init.

    import ember.nn as nn
    import ember.nn.functional as F
"""

from .. import _names as _names_
from . import common_types, functional, grad, init, modules, utils
from .modules import *
from .parameter import Buffer, Parameter

__all__ = ["Buffer", "Parameter", "common_types", "factory_kwargs", "functional", "grad", "init",
           "utils", *modules.__all__]


def factory_kwargs(kwargs):
    """The device, dtype and memory_format of kwargs (or of its nested 'factory_kwargs'
    dict), ready for a factory function; any other key is a TypeError."""
    if kwargs is None:
        return {}
    simple = {"device", "dtype", "memory_format"}
    expected = simple | {"factory_kwargs"}
    if not kwargs.keys() <= expected:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected}")
    r = dict(kwargs.get("factory_kwargs", {}))
    for k in simple:
        if k in kwargs:
            if k in r:
                raise TypeError(f"{k} specified twice, in **kwargs and in factory_kwargs")
            r[k] = kwargs[k]
    return r


def __getattr__(name):
    # ember.nn.parallel needs ember.distributed: it loads on first use, as torch.nn.parallel
    if name == "parallel":
        import importlib

        return importlib.import_module(f"{__name__}.parallel")
    raise AttributeError(f"module '{_names_.prefix}.nn' has no attribute '{name}'")
