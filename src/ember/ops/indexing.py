"""indexing ops (to be filled)."""

__all__ = []
TENSOR_METHODS = {}
