"""Flatten parameters into one vector and back."""

from ... import _names
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from ...ops.shape import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Point each parameter's data at its slice of vec (the parameters share vec's memory)."""
    if not isinstance(vec, Tensor):
        from ..modules.module import typename

        raise TypeError(f"expected {_names.prefix}.Tensor, but got: {typename(vec)}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
