"""``torch.utils.deterministic``: ``fill_uninitialized_memory``.

When True (the default) and ``use_deterministic_algorithms(True)`` is on, the memory of
``empty`` tensors (and what ``resize_`` adds) is filled with NaN, or an integer dtype's largest
value, as PyTorch fills it (see ember._determinism).
"""

import sys
import types

from .. import _determinism


class _Deterministic(types.ModuleType):
    @property
    def fill_uninitialized_memory(self):
        """Whether uninitialized memory is filled while deterministic algorithms are on."""
        return _determinism.state["fill_uninitialized_memory"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        if not isinstance(mode, bool):
            raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
        _determinism.state["fill_uninitialized_memory"] = mode


sys.modules[__name__].__class__ = _Deterministic
