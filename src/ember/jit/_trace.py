"""``torch.jit.trace``: a function or module run once on example inputs.

PyTorch records the ops of that run and replays them on later calls; ember records nothing
and runs the Python code on every call. The results agree wherever the trace is valid for the
new inputs. Where PyTorch's trace would be frozen (control flow that depends on tensor values,
Python numbers read from tensors), ember follows the code on the new inputs.
"""

import threading
import warnings

from .._tensor import Tensor
from ..nn.modules.module import Module
from ._script import ScriptFunction, ScriptModule, _deprecated, _signature_of

__all__ = ["TopLevelTracedModule", "TracedModule", "TracerWarning", "TracingCheckError",
           "is_tracing", "trace", "trace_module"]


class TracerWarning(Warning):
    @staticmethod
    def ignore_lib_warnings():
        warnings.filterwarnings("ignore", category=TracerWarning, module="torch.(?!jit)")


class TracingCheckError(Exception):
    def __init__(self, graph_diff_error, tensor_compare_error, extra_msg=None):
        self.message = "Tracing failed sanity checks!\n"
        if extra_msg is not None:
            self.message += extra_msg + "\n"
        if graph_diff_error is not None:
            self.message += "ERROR: Graphs differed across invocations!\n" + graph_diff_error
        if tensor_compare_error is not None:
            self.message += tensor_compare_error
        super().__init__(self.message)


_state = threading.local()


def is_tracing():
    """True while ``trace`` runs the example inputs through the traced code."""
    return getattr(_state, "depth", 0) > 0


def _run_traced(fn, args, kwargs):
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        out = fn(*args, **kwargs)
    finally:
        _state.depth -= 1
    if not _traceable(out):
        raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors "
                           "can be output from traced functions")
    return out


def _traceable(out):
    if isinstance(out, Tensor):
        return True
    if isinstance(out, (list, tuple)):
        return all(map(_traceable, out))
    if isinstance(out, dict):
        return all(map(_traceable, out.values()))
    return False


def _as_args(example_inputs):
    if isinstance(example_inputs, Tensor):
        return (example_inputs,)
    if isinstance(example_inputs, dict):
        return (example_inputs,)
    return tuple(example_inputs)


class TracedModule(ScriptModule):
    """A submodule of a traced module (printed under its original class name)."""

    def _get_name(self):
        return self.original_name


class TopLevelTracedModule(TracedModule):
    """What ``torch.jit.trace(module, ...)`` returns."""

    @classmethod
    def _child(cls, mod):
        return TracedModule(mod)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Run ``func`` on ``example_inputs`` and return a callable that computes what it does.

    See the module's docstring: ember re-runs the Python code on each call instead of
    replaying the recorded ops. ``check_trace`` has nothing to compare in ember (the traced
    callable is the code itself) and is accepted for compatibility."""
    _deprecated("trace")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    if isinstance(func, (ScriptModule, ScriptFunction)):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. "
                      "Returning the object as is.", stacklevel=2)
        return func
    if isinstance(func, Module):
        if example_kwarg_inputs is not None:
            return trace_module(func, {"forward": example_kwarg_inputs}, None, check_trace,
                                None, check_tolerance, strict, example_inputs_is_kwarg=True)
        return trace_module(func, {"forward": example_inputs}, None, check_trace, None,
                            check_tolerance, strict)
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise AssertionError("example_kwarg_inputs should be a dict")
        _run_traced(func, (), example_kwarg_inputs)
        traced_args = tuple(example_kwarg_inputs.values())
    else:
        if example_inputs is None:
            raise RuntimeError("example_kwarg_inputs and example_inputs can't both be None")
        traced_args = _as_args(example_inputs)
        _run_traced(func, traced_args, {})
    name = getattr(func, "__name__", type(func).__name__)
    return ScriptFunction(func, _signature_of(func, name, traced=traced_args))


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None,
                 check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
                 _compilation_unit=None, example_inputs_is_kwarg=False, _store_inputs=True):
    """Trace the methods of ``mod`` named in ``inputs`` ({method name: example inputs})."""
    _deprecated("trace_method")
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method_name, example in inputs.items():
        method = getattr(mod, method_name)
        if method_name == "forward":
            method = mod  # through __call__, so the module's hooks run as in PyTorch's trace
        if example_inputs_is_kwarg:
            _run_traced(method, (), example)
        else:
            _run_traced(method, _as_args(example), {})
    return TopLevelTracedModule(mod)
