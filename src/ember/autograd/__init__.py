"""ember.autograd: backward(), grad(), grad mode, custom Functions and gradcheck."""

from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .graph import Node

__all__ = [
    "Function", "Node", "Variable", "backward", "enable_grad", "grad", "gradcheck",
    "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
]

# loaded on first use: these modules need ember's Tensor, which itself imports grad_mode
_LAZY = {
    "backward": "engine", "grad": "engine", "Variable": "variable", "Function": "function",
    "FunctionCtx": "function", "once_differentiable": "function", "gradcheck": "gradcheck",
    "gradgradcheck": "gradcheck", "set_detect_anomaly": "anomaly",
    "detect_anomaly": "anomaly",
}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        mod = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(mod, name)
    if name in ("engine", "function", "gradcheck", "graph", "functional", "grad_mode",
                "variable", "anomaly"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
