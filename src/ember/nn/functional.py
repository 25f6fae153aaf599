"""ember.nn.functional: the stateless forms of the layers and losses.

Most are ember's ops (listed in each ops module's FUNCTIONAL); attention is in nn/_attention.py.
The layers in nn/modules call these; nothing here imports the layers.
"""

from ..ops import conv as _conv
from ..ops import elementwise as _ew
from ..ops import nn_ops as _nn
from ..ops.nn_ops import cross_entropy, linear, mse_loss, nll_loss, softplus
from ._attention import (  # _canonical_mask: the layers' mask conversion, as in PyTorch
    _canonical_mask,  # noqa: F401
    multi_head_attention_forward,
    scaled_dot_product_attention,
)

__all__ = [
    "cross_entropy", "linear", "log_softmax", "mse_loss", "multi_head_attention_forward",
    "nll_loss", "relu", "scaled_dot_product_attention", "sigmoid", "softmax", "softplus", "tanh",
]


def relu(input, inplace=False):
    return input.relu_() if inplace else _ew.relu(input)


def sigmoid(input):
    return _ew.sigmoid(input)


def tanh(input):
    return _ew.tanh(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax along dim (PyTorch's legacy rule picks a dim, with a warning, when none is
    given)."""
    if dim is None:
        dim = _nn.implicit_softmax_dim(input.ndim)
    return _nn.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _nn.implicit_softmax_dim(input.ndim)
    return _nn.log_softmax(input, dim, dtype)


_ = (cross_entropy, linear, mse_loss, nll_loss, softplus)


def _export(module):
    """Each ops module lists its functional forms in FUNCTIONAL."""
    for name in getattr(module, "FUNCTIONAL", ()):
        globals()[name] = getattr(module, name)
        __all__.append(name)


_export(_nn)
_export(_conv)
