"""``torch.utils.hooks``: the handle hook registrations return, and two small helpers."""

import warnings

from ..autograd.graph import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


def unserializable_hook(f):
    """Mark a tensor hook as one that is not saved with the tensor."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor):
    hooks = getattr(tensor, "_backward_hooks", None)
    for hook in (hooks or {}).values() if isinstance(hooks, dict) else (hooks or ()):
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {hook} on tensor will not be serialized.  If this is "
                          "expected, you can decorate the function with "
                          "@torch.utils.hooks.unserializable_hook to suppress this warning",
                          stacklevel=2)
