"""Determinism settings that ops read: ``use_deterministic_algorithms`` and
``torch.utils.deterministic.fill_uninitialized_memory``.

With both on, PyTorch fills the memory of ``empty`` tensors (and of what ``resize_`` adds)
with a known value: NaN for floating and complex dtypes, the largest value for integers and
True for bool. ember does the same; otherwise its "uninitialized" memory is zeros.
"""

import numpy as np

state = {"mode": False, "warn_only": False, "fill_uninitialized_memory": True}


def filling():
    """Whether uninitialized memory gets PyTorch's known value now."""
    return state["mode"] and state["fill_uninitialized_memory"]


def fill_value(dtype):
    """The value PyTorch puts in uninitialized memory of ``dtype`` (a NumPy dtype)."""
    if dtype.kind == "b":
        return True
    if dtype.kind in "iu":
        return np.iinfo(dtype).max
    return np.nan


def uninitialized(shape, dtype):
    """A new array for an ``empty`` tensor: PyTorch's known value when filling, else zeros."""
    if filling():
        return np.full(shape, fill_value(dtype), dtype)
    return np.zeros(shape, dtype)
