"""ember.profiler: what ran, for how long, as torch.profiler reports it.

    from ember.profiler import profile, record_function, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            model(inputs)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

``import ember`` does not load it; ``ember.profiler`` and ``import ember.profiler`` do.
"""

from ._events import DeviceType, EventList, FunctionEvent, FunctionEventAvg
from .profiler import (
    ProfilerAction,
    ProfilerActivity,
    kineto_available,
    profile,
    record_function,
    schedule,
    supported_activities,
    tensorboard_trace_handler,
)

__all__ = [
    "profile", "schedule", "supported_activities", "tensorboard_trace_handler",
    "ProfilerAction", "ProfilerActivity", "kineto_available", "DeviceType", "record_function",
]
_ = (EventList, FunctionEvent, FunctionEventAvg)  # importable from here, as in PyTorch's util

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
