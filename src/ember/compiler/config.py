"""``torch.compiler.config``: the compiler's cross-cutting settings, with PyTorch's names and
defaults (read from the same environment variables).

ember compiles nothing (a compiled function runs eagerly), so the settings change no result:
they are kept, read back, patched and saved as PyTorch's are. The settings PyTorch 2.13 aliases
to ``torch._dynamo.config`` (``recompile_limit``, ``verbose``, ...) are one value here and
there: ember's ``_dynamo.config`` reads them from this module. An unknown name raises
AttributeError, as in PyTorch.
"""

import contextlib
import copy
import functools
import os
import pickle
import sys
import types

from .. import _names

__all__ = [  # noqa: F822 - the settings are read through the module's class
    "job_id", "dynamic_shapes", "assume_static_by_default", "automatic_dynamic_shapes",
    "recompile_limit", "accumulated_recompile_limit", "verbose", "capture_scalar_outputs",
    "capture_dynamic_output_shape_ops", "log_file_name", "fail_on_recompile_limit_hit",
    "allow_unspec_int_on_nn_module", "skip_tensor_guards_with_matching_dict_tags",
    "enable_cpp_symbolic_shape_guards", "wrap_top_frame", "reorderable_logging_functions",
    "force_disable_caches",
]


def _env(names, default):
    """The first of the environment variables ``names`` that is set, parsed as ``default``'s
    type (a bool from 1/0/true/false), else ``default``."""
    for name in names:
        value = os.environ.get(name)
        if value is None:
            continue
        if isinstance(default, bool):
            if value.lower() in ("1", "true"):
                return True
            if value.lower() in ("0", "false"):
                return False
            continue
        return value
    return default


# the compiler's own settings: (environment variables, default)
_OWN = {
    "job_id": (("TORCH_COMPILE_JOB_ID", "TORCH_COMPILE_STICKY_PGO_KEY"), None),
    "pgo_extra_read_key": (("TORCH_COMPILE_STICKY_PGO_READ",), None),
    "pgo_extra_write_key": (("TORCH_COMPILE_STICKY_PGO_WRITE",), None),
    "cache_key_tag": (("TORCH_COMPILE_CACHE_KEY_TAG",), ""),
    "force_disable_caches": (("TORCHINDUCTOR_FORCE_DISABLE_CACHES",
                              "TORCH_COMPILE_FORCE_DISABLE_CACHES"), False),
    "dynamic_sources": (("TORCH_COMPILE_DYNAMIC_SOURCES",), ""),
    "dynamic_values": (("TORCH_COMPILE_DYNAMIC_VALUES",), ""),
    "unbacked_sources": (("TORCH_COMPILE_UNBACKED_SOURCES",), ""),
    "force_cudagraph_gc": (("TORCH_CUDAGRAPH_GC",), False),
}
_defaults = {name: _env(envs, default) for name, (envs, default) in _OWN.items()}
_values = dict(_defaults)

# the settings PyTorch aliases to torch._dynamo.config, with its defaults; _dynamo.config reads
# and writes them here
SHARED = {
    "dynamic_shapes": True, "assume_static_by_default": True, "automatic_dynamic_shapes": True,
    "recompile_limit": 8, "accumulated_recompile_limit": 256, "verbose": False,
    "capture_scalar_outputs": False, "capture_dynamic_output_shape_ops": False,
    "log_file_name": None, "fail_on_recompile_limit_hit": False,
    "allow_unspec_int_on_nn_module": False, "skip_tensor_guards_with_matching_dict_tags": True,
    "enable_cpp_symbolic_shape_guards": False, "wrap_top_frame": False,
    "reorderable_logging_functions": set(),
}
_shared_defaults = copy.deepcopy(SHARED)


def _missing(name):
    return AttributeError(f"{_names.module_name(__name__)}.{name} does not exist")


def get_config_copy():
    """A copy of the compiler's own settings (not those shared with _dynamo.config)."""
    return copy.deepcopy(_values)


def save_config():
    """The settings as bytes (pickled), for load_config."""
    return pickle.dumps(get_config_copy(), protocol=2)


def load_config(maybe_pickled_config):
    """Set the settings from save_config's bytes or a dict."""
    config = maybe_pickled_config
    if not isinstance(config, dict):
        config = pickle.loads(config)
    module = sys.modules[__name__]
    for name, value in config.items():
        if name in _values or name in SHARED:
            setattr(module, name, value)


def _is_default(name):
    if name in SHARED:
        return SHARED[name] == _shared_defaults[name]
    return _values[name] == _defaults[name]


def patch(arg1=None, arg2=None, **changes):
    """Set settings for a ``with`` block or a decorated function:
    ``patch(name=value)``, ``patch("name", value)`` or ``patch({"name": value})``."""
    if arg1 is not None:
        if arg2 is not None:
            changes = {arg1: arg2}
        else:
            changes = dict(arg1)
    return _Patch(changes)


class _Patch(contextlib.ContextDecorator):
    def __init__(self, changes):
        self.changes = changes
        self.saved = []

    def __enter__(self):
        module = sys.modules[__name__]
        self.saved.append({name: getattr(module, name) for name in self.changes})
        for name, value in self.changes.items():
            setattr(module, name, value)

    def __exit__(self, *exc):
        module = sys.modules[__name__]
        for name, value in self.saved.pop().items():
            setattr(module, name, value)
        return False

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError("patch can decorate functions, not classes")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with _Patch(self.changes):
                return func(*args, **kwargs)

        return wrapper


class _ConfigModule(types.ModuleType):
    """The module's class: its settings read and written as attributes, unknown ones refused."""

    def __getattr__(self, name):
        if name in _values:
            return _values[name]
        if name in SHARED:
            return SHARED[name]
        raise _missing(name)

    def __setattr__(self, name, value):
        if name in _values:
            _values[name] = value
        elif name in SHARED:
            SHARED[name] = value
        elif name.startswith("_") or name in self.__dict__:
            super().__setattr__(name, value)
        else:
            raise _missing(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_values) | set(SHARED))


sys.modules[__name__].__class__ = _ConfigModule
