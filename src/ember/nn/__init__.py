"""ember.nn: layers (Module and its subclasses), Parameter, functional and init.

    import ember.nn as nn
    import ember.nn.functional as F
"""

from . import functional, init, modules, utils
from .modules import *
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils", *modules.__all__]
