"""ember.utils: data loading (ember.utils.data) and activation checkpointing, as torch.utils."""

from . import checkpoint, data, deterministic, dlpack, hooks, weak
from ._swap import swap_tensors

__all__ = ["checkpoint", "data", "deterministic", "dlpack", "hooks", "swap_tensors", "weak"]

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
