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
from ..compiler.config import SHARED as _shared

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
        if name in _shared:  # the settings torch.compiler.config shares with this one
            return _shared[name]
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{__name__}.config.{name} does not exist") from None

    def __setattr__(self, name, value):
        if name in _shared:
            _shared[name] = value
            return
        if name not in self._values:
            raise AttributeError(f"{__name__}.config.{name} does not exist")
        self._values[name] = value


config = _Config()
del optimize_compile


# -- the rest of the names libraries probe: with nothing traced, markers and hints are no-ops
from ..compiler import _BACKENDS, _CUSTOM_BACKENDS, set_stance, substitute_in_graph  # noqa: E402
from ..compiler import compile as _compile  # noqa: E402

__all__ += ["OptimizedModule", "disallow_in_graph", "dont_skip_tracing", "error_on_graph_break",
            "forbid_in_graph", "get_recursion_limit", "graph_break", "is_dynamo_supported",
            "is_inductor_supported", "lookup_backend", "mark_dynamic", "mark_static",
            "mark_static_address", "maybe_mark_dynamic", "nonstrict_trace", "on_compile_end",
            "on_compile_start", "optimize", "optimize_assert", "patch_dynamo_config",
            "register_backend", "reset_code_caches", "reset_frame_count", "run",
            "set_recursion_limit", "set_stance", "skip_frame", "step_unsupported",
            "substitute_in_graph"]


def __getattr__(name):
    if name == "OptimizedModule":
        from ..compiler import _optimized_module

        return _optimized_module()
    from .._names import spell

    raise AttributeError(spell(f"module {__name__!r} has no attribute {name!r}"))


def mark_dynamic(t, index, *, hint_override=None, min=None, max=None, specialize_on=None):
    """Mark dimensions of ``t`` as dynamic for the compiler: ember compiles nothing."""


def maybe_mark_dynamic(t, index):
    pass


def mark_static(t, index=None):
    pass


def mark_static_address(t, guard=False):
    pass


def _identity(fn=None):
    return fn


disallow_in_graph = forbid_in_graph = nonstrict_trace = _identity


def dont_skip_tracing(fn=None):
    return fn


def run(fn=None):
    """Run ``fn`` without compiling new frames: what ember always does."""
    return fn


def graph_break(msg=""):
    pass


skip_frame = step_unsupported = graph_break


def is_dynamo_supported():
    return True


def is_inductor_supported():
    return True  # compile(backend="inductor") is accepted and runs eagerly


_limits = {"recursion": -1}


def get_recursion_limit():
    return _limits["recursion"]


def set_recursion_limit(limit):
    _limits["recursion"] = int(limit)


def reset_code_caches():
    pass


def reset_frame_count():
    pass


def on_compile_start(callback):
    """Register a callback for the start of a compilation; ember never compiles."""
    return callback


on_compile_end = on_compile_start


def optimize(backend="inductor", *, nopython=False, error_on_graph_break=None, guard_export_fn=None,
             guard_fail_fn=None, guard_filter_fn=None, disable=False, dynamic=None,
             package=None):
    """The older form of compile: a decorator that compiles what it wraps."""
    return _compile(backend=backend, fullgraph=nopython, dynamic=dynamic, disable=disable)


def optimize_assert(backend, *, hooks=None, export=False, export_constraints=None,
                    dynamic=None, package=None):
    return _compile(backend=backend, fullgraph=True, dynamic=dynamic)


def lookup_backend(compiler_fn):
    """The compiler function registered under a backend name (or ``compiler_fn`` itself)."""
    if not isinstance(compiler_fn, str):
        return compiler_fn
    if compiler_fn in _CUSTOM_BACKENDS:
        return _CUSTOM_BACKENDS[compiler_fn]
    if compiler_fn not in _BACKENDS:
        raise InvalidBackend(compiler_fn)

    def backend(gm, example_inputs, **kwargs):
        raise NotImplementedError(f"the {compiler_fn!r} backend compiles an FX graph, which "
                                  "ember does not build")

    backend.__name__ = compiler_fn
    return backend


def register_backend(compiler_fn=None, name=None, tags=()):
    """Register a compiler function under a name. compile(backend=name) then raises as for a
    callable backend: the function would receive a traced FX graph, which ember does not
    build."""
    if compiler_fn is None:
        return lambda fn: register_backend(fn, name=name, tags=tags)
    if not callable(compiler_fn):
        raise AssertionError(f"BackendCompilerFn must be callable, got {compiler_fn!r}")
    name = name or compiler_fn.__name__
    if name in _BACKENDS or name in _CUSTOM_BACKENDS:
        raise AssertionError(f"duplicate name: {name}")
    _CUSTOM_BACKENDS[name] = compiler_fn
    return compiler_fn


class error_on_graph_break:
    """Context manager and decorator: ember never breaks a graph, so nothing to raise."""

    def __init__(self, error_on_graph_break):
        self.value = error_on_graph_break

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


class patch_dynamo_config:
    """Set ``torch._dynamo.config`` options for a block or a decorated function."""

    def __init__(self, arg1=None, arg2=None, **kwargs):
        if isinstance(arg1, str):
            changes = {arg1: arg2}
        elif isinstance(arg1, dict):
            changes = dict(arg1)
        elif isinstance(arg1, tuple):
            changes = dict(arg1)
        else:
            changes = {}
        changes.update(kwargs)
        for k in changes:
            getattr(config, k)  # an unknown name raises AttributeError, as in PyTorch
        self.changes = changes
        self.saved = []

    def __enter__(self):
        self.saved.append({k: getattr(config, k) for k in self.changes})
        for k, v in self.changes.items():
            setattr(config, k, v)
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.pop().items():
            setattr(config, k, v)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper
