"""ember.utils: data loading (ember.utils.data) and activation checkpointing, as torch.utils."""

from . import checkpoint, data, deterministic, dlpack, hooks, weak

__all__ = ["checkpoint", "data", "deterministic", "dlpack", "hooks", "weak"]
