"""ember.nn.functional: the stateless forms of the layers and losses.

Most are ember's ops (listed in each ops module's FUNCTIONAL); attention is in nn/_attention.py.
The layers in nn/modules call these; nothing here imports the layers.
"""

from ..ops import activation as _activation
from ..ops import conv as _conv
from ..ops import dropout as _dropout
from ..ops import elementwise as _ew
from ..ops import embedding as _embedding
from ..ops import linear as _linear
from ..ops import loss as _loss
from ..ops import normalization as _normalization
from ..ops import padding as _padding
from ..ops import pooling as _pooling
from ..ops import sampling as _sampling
from . import grad  # noqa: F401 (F.grad is the module nn.grad: conv1d_input, ...)
from ._attention import (  # _canonical_mask: the layers' mask conversion, as in PyTorch
    _canonical_mask,  # noqa: F401
    multi_head_attention_forward,
    scaled_dot_product_attention,
)

__all__ = [
    "assert_int_or_pair", "log_softmax", "multi_head_attention_forward", "relu",
    "scaled_dot_product_attention", "sigmoid", "softmax", "tanh",
]

# the integer codes of torch.grid_sampler's modes
GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}


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
        dim = _activation.implicit_softmax_dim(input.ndim)
    return _activation.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _activation.implicit_softmax_dim(input.ndim)
    return _activation.log_softmax(input, dim, dtype)


def assert_int_or_pair(arg, arg_name, message):
    """Checks that arg is an int or a pair (message names arg_name in '{}')."""
    if not (isinstance(arg, int) or len(arg) == 2):
        raise AssertionError(message.format(arg_name))


def _export(module):
    """Each ops module lists its functional forms in FUNCTIONAL."""
    for name in getattr(module, "FUNCTIONAL", ()):
        globals()[name] = getattr(module, name)
        __all__.append(name)


_export(_activation)
_export(_linear)
_export(_loss)
_export(_normalization)
_export(_dropout)
_export(_embedding)
_export(_conv)
_export(_pooling)
_export(_padding)
_export(_sampling)

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
