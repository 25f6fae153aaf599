"""``torch.jit``: TorchScript's Python API over eager execution.

ember compiles nothing. ``script`` and ``trace`` return callables and modules that run the
same Python code (the same parameters, the same results and gradients), with TorchScript's
cheap checks and PyTorch's errors (see ``_script.py`` and ``_trace.py``). ``save`` writes a
scripted module's state (parameters and buffers) in ember's format, and ``load`` reads it back
as a module that holds that state but no code: ember never stores code in a file.
"""

import builtins
import contextlib
import types
import typing
import warnings
from collections import namedtuple

from ..futures import Future
from . import frontend
from ._script import (
    RecursiveScriptModule,
    ScriptFunction,
    ScriptModule,
    ScriptWarning,
    _deprecated,
    load,
    save,
    script,
)
from ._trace import (
    TopLevelTracedModule,
    TracedModule,
    TracerWarning,
    TracingCheckError,
    is_tracing,
    trace,
    trace_module,
)

__all__ = ["Attribute", "Error", "Final", "Future", "RecursiveScriptModule", "ScriptFunction",
           "ScriptModule", "ScriptWarning", "TopLevelTracedModule", "TracedModule",
           "TracerWarning", "TracingCheckError", "annotate", "enable_onednn_fusion", "export",
           "fork", "freeze", "frontend", "fuser", "ignore", "interface", "is_scripting",
           "is_tracing", "isinstance", "load", "onednn_fusion_enabled",
           "optimize_for_inference", "optimized_execution", "save", "script",
           "script_if_tracing", "script_method", "set_fusion_strategy", "strict_fusion",
           "trace", "trace_module", "unused", "wait"]

Final = typing.Final
Attribute = namedtuple("Attribute", ["value", "type"])


class Error(Exception):
    """TorchScript's runtime error (``torch.jit.Error``)."""


Error.__module__ = "ember.jit"


def is_scripting():
    """False: code in ember always runs as Python, never compiled by TorchScript."""
    return False


def annotate(the_type, the_value):
    """``the_value`` (the type is a hint for the TorchScript compiler)."""
    return the_value


# -- decorators that only steer the TorchScript compiler ------------------------------------
class _Modifier:
    EXPORT, DEFAULT, IGNORE, UNUSED, COPY_TO_SCRIPT_WRAPPER = (
        "export (compile this function even if nothing calls it)",
        "default (compile if called from a exported function / forward)",
        "ignore (leave as a call to Python, cannot be torch.jit.save'd)",
        "unused (ignore and replace with raising of an exception)",
        "this method cannot be scripted, copy the python method onto the scripted model",
    )


def export(fn):
    fn._torchscript_modifier = _Modifier.EXPORT
    return fn


def unused(fn):
    if builtins.isinstance(fn, property):
        prop = fn
        prop.fget._torchscript_modifier = _Modifier.UNUSED
        if prop.fset:
            prop.fset._torchscript_modifier = _Modifier.UNUSED
        return prop
    fn._torchscript_modifier = _Modifier.UNUSED
    return fn


def ignore(drop=False, **kwargs):
    if callable(drop):  # @torch.jit.ignore without arguments
        drop._torchscript_modifier = _Modifier.IGNORE
        return drop
    if not builtins.isinstance(drop, bool):
        raise RuntimeError("Argument to @torch.jit.ignore must be a bool or a function but got "
                           f"{drop}")
    if drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the "
                      f"function call on compilation. Use torch.jit.unused now. {kwargs}",
                      FutureWarning, stacklevel=2)
    drop = kwargs.pop("drop_on_export", drop)

    def decorator(fn):
        fn._torchscript_modifier = _Modifier.UNUSED if drop else _Modifier.IGNORE
        return fn

    return decorator


def script_method(fn):
    return fn


def interface(obj):
    """An interface type for TorchScript; in Python, the class itself."""
    if not builtins.isinstance(obj, type):
        raise RuntimeError("interface must be applied to a class")
    return obj


def script_if_tracing(fn):
    """``fn``: ember scripts nothing, so tracing or not the function runs as written."""
    return fn


def isinstance(obj, target_type):
    """``isinstance`` that also understands typing containers (List[int], Dict[str, Tensor],
    Tuple[...], Optional[...]), checking every element as TorchScript refines them."""
    return _matches(obj, target_type)


def _matches(obj, tp):
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None:
        if tp is typing.Any:
            return True
        if tp is None or tp is type(None):
            return obj is None
        return builtins.isinstance(obj, tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(obj, a) for a in args)
    if origin is list:
        return builtins.isinstance(obj, list) and all(_matches(v, args[0]) for v in obj) \
            if args else builtins.isinstance(obj, list)
    if origin is dict:
        if not builtins.isinstance(obj, dict):
            return False
        return not args or all(_matches(k, args[0]) and _matches(v, args[1])
                               for k, v in obj.items())
    if origin is tuple:
        if not builtins.isinstance(obj, tuple):
            return False
        if not args:
            return True
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in obj)
        return len(obj) == len(args) and all(_matches(v, a) for v, a in zip(obj, args))
    return builtins.isinstance(obj, origin)


# -- fusion and optimisation settings (nothing to fuse: they are recorded, and change nothing)
_settings = {"onednn": False, "strategy": [("STATIC", 2), ("DYNAMIC", 10)]}


def enable_onednn_fusion(enabled: bool):
    _settings["onednn"] = bool(enabled)


def onednn_fusion_enabled():
    return _settings["onednn"]


def set_fusion_strategy(strategy):
    for kind, _depth in strategy:
        if kind not in ("STATIC", "DYNAMIC"):
            raise RuntimeError(f"Expected STATIC or DYNAMIC, got {kind}")
    old, _settings["strategy"] = _settings["strategy"], list(strategy)
    return old


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


@contextlib.contextmanager
def fuser(name):
    if name not in ("fuser0", "fuser1", "fuser2", "fuser3", "none"):
        raise Exception(f"unrecognized fuser option (name: {name})")  # PyTorch's type
    yield


class strict_fusion:
    """A context that asks TorchScript to fuse everything inside it; nothing to check here."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# -- freezing -----------------------------------------------------------------------------------
def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """A copy of the scripted module in eval mode (ember has no constants to fold: the copy
    runs the same code on copies of the parameters, which later changes to ``mod`` leave
    alone)."""
    _deprecated("freeze", "Please use `torch.compile` instead.")
    if not builtins.isinstance(mod, ScriptModule):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use "
                           "torch.jit.script or torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    import copy

    return copy.deepcopy(mod)


def optimize_for_inference(mod, other_methods=None):
    """``freeze`` (if the module is not frozen yet): ember has no graph passes to run."""
    if not builtins.isinstance(mod, ScriptModule):
        raise RuntimeError("optimize_for_inference expects a ScriptModule as input. Please "
                           "use torch.jit.script or torch.jit.trace to script your "
                           "'nn.Module'.")
    if mod.training:
        mod = mod.eval()
    return freeze(mod)


# -- fork / wait --------------------------------------------------------------------------------
def fork(func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` (now: ember runs it synchronously) and return a Future
    holding its result, or its error for ``wait`` to raise."""
    _deprecated("fork", "Please use `torch.compile` instead.")
    fut = Future()
    try:
        fut.set_result(func(*args, **kwargs))
    except Exception as exc:
        fut.set_exception(exc)
    return fut


def wait(future):
    _deprecated("wait", "Please use `torch.compile` instead.")
    return future.wait()
