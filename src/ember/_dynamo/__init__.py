"""``torch._dynamo``: the names libraries probe, over ember.compiler (no tracing happens)."""

from ..compiler import (
    InvalidBackend,
    allow_in_graph,
    assume_constant_result,
    disable,
    is_compiling,
    list_backends,
    reset,
)
from ..compiler import compile as optimize_compile

__all__ = ["InvalidBackend", "allow_in_graph", "assume_constant_result", "config", "disable",
           "is_compiling", "list_backends", "reset"]


class _Config:
    """``torch._dynamo.config``: PyTorch's settings and defaults; with nothing compiled, they
    change nothing. An unknown name raises AttributeError, as in PyTorch."""

    _defaults = {
        "suppress_errors": False, "cache_size_limit": 8, "recompile_limit": 8,
        "accumulated_cache_size_limit": 256, "accumulated_recompile_limit": 256,
        "verbose": False, "capture_scalar_outputs": False,
        "capture_dynamic_output_shape_ops": False, "optimize_ddp": True,
        "automatic_dynamic_shapes": True, "assume_static_by_default": True,
        "inline_inbuilt_nn_modules": True, "error_on_recompile": False,
        "raise_on_ctx_manager_usage": True, "specialize_int": False, "dynamic_shapes": True,
    }

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._defaults))

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{__name__}.config.{name} does not exist") from None

    def __setattr__(self, name, value):
        if name not in self._values:
            raise AttributeError(f"{__name__}.config.{name} does not exist")
        self._values[name] = value


config = _Config()
del optimize_compile
