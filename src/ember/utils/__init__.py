"""ember.utils: data loading (ember.utils.data) and activation checkpointing, as torch.utils."""

from . import checkpoint, data, deterministic, dlpack, hooks, weak
from ._swap import swap_tensors

__all__ = ["checkpoint", "data", "deterministic", "dlpack", "hooks", "swap_tensors", "weak"]


def __getattr__(name):
    # torch.utils.throughput_benchmark and its ThroughputBenchmark load on first use
    import importlib

    if name in ("throughput_benchmark", "ThroughputBenchmark"):
        module = importlib.import_module(f"{__name__}.throughput_benchmark")
        return module if name == "throughput_benchmark" else module.ThroughputBenchmark
    raise AttributeError(f"module '{_names_.module_name(__name__)}' has no attribute '{name}'")

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
