"""ember.nn: layers (Module and its subclasses), Parameter, functional and init.

    import ember.nn as nn
    import ember.nn.functional as F
"""

from . import functional, init, modules, utils
from .modules import *
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils", *modules.__all__]


def __getattr__(name):
    # ember.nn.parallel needs ember.distributed: it loads on first use, as torch.nn.parallel
    if name == "parallel":
        import importlib

        return importlib.import_module(f"{__name__}.parallel")
    raise AttributeError(f"module 'ember.nn' has no attribute '{name}'")
