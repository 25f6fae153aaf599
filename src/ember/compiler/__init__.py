"""``torch.compile`` and ``torch.compiler``: the same results, run eagerly.

ember has no graph compiler: a compiled function or module runs exactly the ops it would run
without ``compile``, so its results (values, gradients, printed graphs) are the uncompiled
ones. The arguments are checked as PyTorch checks them; a backend given as a callable (it
would receive a traced FX graph, which ember does not build) raises NotImplementedError.
"""

import functools

from .. import _names
from .._errors import note

__all__ = ["allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin",
           "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "list_backends",
           "reset", "set_stance", "substitute_in_graph"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# the backends PyTorch 2.13 registers (list_backends(exclude_tags=None)); all run eagerly here
_BACKENDS = {
    "aot_eager": ("debug",), "aot_eager_decomp_partition": ("debug",), "aot_ts": ("experimental",),
    "cudagraphs": (), "eager": ("debug",), "eager_debug": ("debug",), "inductor": (),
    "openxla": (), "openxla_eval": ("experimental",), "ts": ("experimental",), "tvm": (),
}


# names given to torch._dynamo.register_backend: their compiler functions would receive a
# traced FX graph, so compile(backend=name) refuses them as it refuses a callable
_CUSTOM_BACKENDS = {}


class InvalidBackend(RuntimeError):
    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for "
                         "available backends.")


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names ``compile`` accepts (those without an excluded tag)."""
    skip = set(exclude_tags or ())
    return sorted(name for name, tags in _BACKENDS.items() if not skip & set(tags))


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, name=None, disable=False, recompile_limit=None,
            isolate_recompiles=False, shapes_spec=None):
    """``model`` unchanged in what it computes: a module wrapped in an OptimizedModule (its
    state_dict keys gain the ``_orig_mod.`` prefix, as in PyTorch), a function wrapped."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if callable(backend) or backend in _CUSTOM_BACKENDS:
        err = NotImplementedError("torch.compile(backend=<callable>): ember has no graph "
                                  "compiler to hand the traced graph to")
        note(err, "ember runs the model eagerly: leave backend out, or draw the graph that "
                  "backward() walks with ember.viz.make_dot.")
        raise err
    if backend is not None and backend not in _BACKENDS:
        raise InvalidBackend(backend)
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, name=name,
                                 disable=disable, recompile_limit=recompile_limit,
                                 isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
    if not callable(model):
        raise RuntimeError("compile() expects a callable (a function or an nn.Module), got "
                           f"{type(model).__name__}")
    from ..nn.modules.module import Module

    if isinstance(model, Module):
        return _optimized_module()(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled


_classes = {}


def _optimized_module():
    """The OptimizedModule class, made on first use (it needs ember.nn, which `import ember`
    does not load)."""
    cls = _classes.get("OptimizedModule")
    if cls is not None:
        return cls
    from ..nn.modules.module import Module

    class OptimizedModule(Module):
        """What compile returns for a module: it runs ``_orig_mod`` and reads through to it."""

        def __init__(self, mod):
            super().__init__()
            self._orig_mod = mod

        def forward(self, *args, **kwargs):
            return self._orig_mod(*args, **kwargs)

        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self._modules["_orig_mod"], name)

    OptimizedModule.__module__ = _names.module_name(__name__)
    OptimizedModule.__qualname__ = "OptimizedModule"
    _classes["OptimizedModule"] = OptimizedModule
    return OptimizedModule


def __getattr__(name):
    if name == "OptimizedModule":
        return _optimized_module()
    if name == "config":  # loaded on first use
        import importlib

        return importlib.import_module(f"{__name__}.config")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def disable(fn=None, recursive=True, *, reason=None):
    """Keep ``fn`` out of compilation: with no compiler, ``fn`` itself."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    return fn


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def is_compiling():
    """False: ember never traces a function (code always runs eagerly)."""
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def reset():
    """Clear compilation caches: ember keeps none."""


class set_stance:
    """Set how compiled code runs (a call, a context manager or a decorator). ember always
    runs eagerly, so every stance computes the same results; the stance is recorded."""

    current = "default"

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        self.prev = set_stance.current
        self.stance = stance
        set_stance.current = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_stance.current = self.prev
        return False

    def __call__(self, fn):
        set_stance.current = self.prev  # as a decorator it applies only while fn runs
        stance = self.stance

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_stance(stance):
                return fn(*args, **kwargs)

        return wrapper


def substitute_in_graph(original_fn, *, can_constant_fold_through=False,
                        skip_signature_check=False, is_embedded_type=False):
    """A decorator registering a traceable replacement for ``original_fn``: nothing is
    traced in ember, so the replacement is returned as it is and ``original_fn`` runs."""
    def decorator(fn):
        return fn

    return decorator


def cudagraph_mark_step_begin():
    """A no-op on the CPU."""
