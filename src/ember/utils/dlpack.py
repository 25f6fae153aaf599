"""``torch.utils.dlpack``: exchange tensors with other array libraries through DLPack."""

__all__ = ["from_dlpack", "to_dlpack"]


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of ``ext_tensor`` (any object with ``__dlpack__``)."""
    from ..ops.composite import from_dlpack as _from

    return _from(ext_tensor)


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s memory (CPU)."""
    return tensor._data.__dlpack__()
