"""ember.autograd: backward(), grad(), grad mode, custom Functions and gradcheck.

The graph (graph.py), the engine that runs it (engine.py), grad mode and custom Functions
are autograd's core: they know Tensors and Nodes, never the ops. gradcheck is built on the
ops, so it is loaded from above (the ``ember`` package attaches it on import).
"""

from .. import _tensor
from . import anomaly, engine, forward_ad, function, grad_mode, graph
from .anomaly import (
    GraphGrowthWarning,
    NonLeafGradWarning,
    detect_anomaly,
    diagnose,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .engine import backward, grad
from .function import Function, FunctionCtx, NestedIOFunction, once_differentiable
from .grad_mode import (
    enable_grad,
    enforce_grad_layout_policy,
    inference_mode,
    is_grad_enabled,
    is_multithreading_enabled,
    is_view_replay_enabled,
    no_grad,
    set_grad_enabled,
    set_multithreading_enabled,
)
from .graph import Node, SavedTensor
from .variable import Variable

_tensor.grad_hint = anomaly.nonleaf_grad_hint


def is_tensor_like(inp):
    """Whether ``inp`` is a Tensor (ember has no ``__torch_function__`` overrides)."""
    return isinstance(inp, _tensor.Tensor) or hasattr(type(inp), "__torch_function__")

__all__ = [
    "Function", "NestedIOFunction", "Node", "Variable", "backward", "enable_grad", "grad",
    "gradcheck",
    "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
    "enforce_grad_layout_policy",
]

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
