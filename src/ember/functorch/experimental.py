"""functorch.experimental: ember.func's hessian, jacfwd, jvp and functionalize, without the
deprecation warning (as in functorch), looked up when first used."""

import importlib

from .. import _names

_NAMES = ("functionalize", "hessian", "jacfwd", "jvp")


def __getattr__(name):
    if name in _NAMES:
        found = getattr(importlib.import_module("ember.func"), name, None)
        if found is None:
            raise AttributeError(_names.spell(
                f"functorch.experimental.{name} is ember.func.{name}, which this version of "
                "ember does not provide yet"))
        return found
    raise AttributeError(f"module 'functorch.experimental' has no attribute '{name}'")
