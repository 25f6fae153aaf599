"""``skip_init``: make a module without running its parameter initialization."""

import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)``. PyTorch leaves the parameters uninitialized (their
    values are whatever memory held); ember initializes them as usual, which is one of the
    values such memory may hold, so code that fills them afterwards sees no difference."""
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
