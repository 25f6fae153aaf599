"""Convolution and pooling ops (forward on arrays, backward in ember ops)."""

__all__ = []
FUNCTIONAL = []  # names exported by ember.nn.functional
TENSOR_METHODS = {}
