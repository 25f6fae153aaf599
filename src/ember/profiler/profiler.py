"""ember.profiler: profile, schedule, record_function, tensorboard_trace_handler, as PyTorch's.

A profile records, while it is active, one event per op call, backward node and
record_function block (see _record.py); when it stops, the events become FunctionEvents with
their parents and children, and the summaries (key_averages, the table, the Chrome trace) are
built from them. Outside a profile nothing is recorded and nothing is checked.
"""

import enum
import functools
import os
import threading
import warnings

from .._errors import warn_once
from . import _record
from ._events import DeviceType, EventList, FunctionEvent, write_chrome_trace, write_stacks

__all__ = [
    "profile", "schedule", "supported_activities", "tensorboard_trace_handler",
    "ProfilerAction", "ProfilerActivity", "kineto_available", "DeviceType", "record_function",
]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 4
    CUDA = 2
    HPU = 3
    PrivateUse1 = 5

    def __repr__(self):
        return f"<ProfilerActivity.{self.name}: {self.value}>"

    def __str__(self):
        return f"ProfilerActivity.{self.name}"


class ProfilerAction(enum.Enum):
    """What the profiler does at a step (what a schedule returns)."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    """The activities ember can profile: the CPU (every ember op runs there)."""
    return {ProfilerActivity.CPU}


def kineto_available():
    return False


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The action at each step: ``skip_first`` steps, then cycles of ``wait`` idle steps,
    ``warmup`` steps and ``active`` recorded steps (the last one saves), ``repeat`` times
    (0: without end). ``skip_first_wait``: the first cycle starts without its wait."""

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        at = step % cycle
        if at < wait:
            return ProfilerAction.NONE
        if at < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if at < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    if not (wait >= 0 and warmup >= 0 and active > 0 and repeat >= 0 and skip_first >= 0):
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
            f"warmup={warmup} (need >= 0), active={active} (need > 0), repeat={repeat} "
            f"(need >= 0), skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False,
                              use_python_export=False):
    """An on_trace_ready handler that writes each trace to ``dir_name`` as
    ``<worker_name>.<time_ns>.pt.trace.json`` (``.gz`` with use_gzip), as TensorBoard reads."""
    import socket
    import time

    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


# -- the profile that owns the wrappers now (one at a time, as PyTorch's one session) --------
_lock = threading.Lock()
_active = None


def _enable(recorder):
    global _active
    with _lock:
        if _active is not None and _active is not recorder:
            _active.uninstall()  # a profile started inside another takes over, as in PyTorch
        _active = recorder
        recorder.install()


def _disable(recorder):
    global _active
    with _lock:
        if _active is recorder:
            recorder.uninstall()
            _active = None


class _Session:
    """One recording (PyTorch's autograd profiler object under torch.profiler.profile)."""

    def __init__(self, record_shapes, profile_memory, with_stack, with_flops):
        self.recorder = _record.Recorder(record_shapes, profile_memory, with_stack, with_flops)
        self.function_events = None
        self._start_ns = None
        self._stop_ns = None

    def start(self):
        from time import perf_counter_ns

        if self._start_ns is None:
            self._start_ns = perf_counter_ns()
        self.function_events = None
        _enable(self.recorder)

    def stop(self):
        from time import perf_counter_ns

        _disable(self.recorder)
        self._stop_ns = perf_counter_ns()
        rec = self.recorder
        self.function_events = EventList(
            _build(rec.events, self._start_ns), profile_memory=rec.profile_memory,
            with_flops=rec.with_flops)


def _build(raw, start_ns):
    """FunctionEvents from the recorded events: times relative to ``start_ns``, in µs."""
    built = {}
    events = []
    for i, ev in enumerate(raw):
        if ev.end == 0 and ev.cat != "memory":
            continue  # still open when the profile stopped (a record_function not exited)
        name = ev.name
        trace_name = name
        if name.startswith("ProfilerStep#"):
            name = "ProfilerStep*"
        fe = FunctionEvent(
            i, name, ev.tid, (ev.start - start_ns) / 1000.0, (ev.end - start_ns) / 1000.0,
            input_shapes=ev.shapes if ev.shapes is not None else [],
            stack=ev.stack, flops=ev.flops, sequence_nr=ev.seq,
            is_user_annotation=ev.cat == "user_annotation", trace_name=trace_name,
            scope=1 if ev.seq >= 0 else 0,
        )
        built[id(ev)] = fe
        events.append(fe)
    for ev in raw:
        fe = built.get(id(ev))
        if fe is None:
            continue
        parent = ev.parent
        while parent is not None and id(parent) not in built:
            parent = parent.parent
        if parent is not None:
            p = built[id(parent)]
            fe.cpu_parent = p
            p.cpu_children.append(fe)
    _memory(raw, built)
    return events


def _memory(raw, built):
    """Each event's memory, as PyTorch counts it: the bytes of the arrays made inside it (an
    array an op returns from an op it called counts once) less the bytes freed inside it."""
    if not any(ev.mem or ev.freed for ev in raw):
        return
    below = {}  # id(ev) -> ({array id: nbytes}, bytes freed) of the subtree
    for ev in reversed(raw):  # children come after their parents
        ids, freed = {}, ev.freed
        for child in ev.children:
            child_ids, child_freed = below.pop(id(child), ({}, 0))
            ids.update(child_ids)
            freed += child_freed
        for key, nbytes in ev.mem or ():
            ids.setdefault(key, nbytes)
        below[id(ev)] = ids, freed
        fe = built.get(id(ev))
        if fe is not None:  # its self memory is this less its children's
            fe.cpu_memory_usage = sum(ids.values()) - freed


class profile:
    """Profiler context manager (torch.profiler.profile).

    ``activities``: ProfilerActivity.CPU (CUDA and the other devices are dropped with
    PyTorch's warning, since ember runs on the CPU). ``schedule``: the action at each
    ``step()``; ``on_trace_ready``: called with this profile when a recording cycle ends.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
        activities = set(activities) if activities is not None else supported_activities()
        if use_cuda:
            activities.add(ProfilerActivity.CUDA)
        if not any(isinstance(a, ProfilerActivity) for a in activities):
            raise AssertionError("No valid profiler activities found")
        if experimental_config is not None:
            raise NotImplementedError("ember's profiler has no experimental options "
                                      "(experimental_config)")
        if execution_trace_observer is not None:
            raise NotImplementedError("ember's profiler does not write execution traces "
                                      "(execution_trace_observer)")
        # PyTorch profiles one device, the first of these asked for; ember has none of them
        A = ProfilerActivity
        device = next((a for a in (A.CUDA, A.XPU, A.MTIA, A.HPU, A.PrivateUse1)
                       if a in activities), None)
        if device is A.MTIA:
            raise AssertionError("Legacy MTIA profiling is not supported. Requires "
                                 "use_kineto=True on MTIA devices.")
        if device is A.PrivateUse1:
            warnings.warn("The privateuseone is not a valid device option.", stacklevel=2)
        elif device is not None:
            warnings.warn(f"{device.name} is not available, disabling {device.name} profiling",
                          stacklevel=2)
        if ProfilerActivity.CPU not in activities:  # the devices dropped, nothing is left
            raise AssertionError("No activities specified for the profiler")
        self.activities = activities
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.experimental_config = experimental_config
        self.acc_events = acc_events
        self.custom_trace_id_callback = custom_trace_id_callback
        self.profiler = None
        self.mem_tl = None
        self.use_device = None
        if schedule:
            self.schedule = schedule
            self.record_steps = True
        else:
            self.schedule = _default_schedule_fn
            self.record_steps = False
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)
        self._prev_schedule_action = self.current_action
        A = ProfilerAction
        prepare, start, stop, ready = (self.prepare_trace, self.start_trace, self.stop_trace,
                                       self._trace_ready)

        def incorrect(first, then):
            return functools.partial(warnings.warn,
                                     f"Incorrect schedule: {first} followed by {then}")

        self.action_map = {
            (A.NONE, A.NONE): [],
            (A.NONE, A.WARMUP): [prepare],
            (A.NONE, A.RECORD): [prepare, start],
            (A.NONE, A.RECORD_AND_SAVE): [prepare, start],
            (A.WARMUP, A.NONE): [incorrect("WARMUP", "NONE"), start, stop],
            (A.WARMUP, A.WARMUP): [],
            (A.WARMUP, A.RECORD): [start],
            (A.WARMUP, A.RECORD_AND_SAVE): [start],
            (A.RECORD, A.NONE): [incorrect("RECORD", "NONE"), stop],
            (A.RECORD, A.WARMUP): [incorrect("RECORD", "WARMUP"), stop],
            (A.RECORD, A.RECORD): [],
            (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [stop, ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [stop, ready, prepare],
            (A.RECORD_AND_SAVE, A.RECORD): [stop, ready, prepare, start],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [stop, ready, prepare, start],
            (A.WARMUP, None): [start, stop],
            (A.RECORD, None): [stop, ready],
            (A.RECORD_AND_SAVE, None): [stop, ready],
        }

    # -- the recording cycle ---------------------------------------------------------------
    def prepare_trace(self):
        if self.profiler is not None and not self.acc_events:
            warn_once("profiler cycle", "Warning: Profiler clears events at the end of each "
                      "cycle. Only events from the current cycle will be reported. To keep "
                      "events across cycles, set acc_events=True.")
        if self.profiler is None or not self.acc_events:
            self.profiler = _Session(self.record_shapes, self.profile_memory,
                                     self.with_stack, self.with_flops)

    def start_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before starting trace")
        self.profiler.start()

    def stop_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before stopping trace")
        self.profiler.stop()

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, prev_action, current_action):
        for action in self.action_map.get((prev_action, current_action)) or ():
            action()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()

    def start(self):
        self._transit_action(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def stop(self):
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit_action(self.current_action, None)

    def step(self):
        """Signals the profiler that the next profiling step has started."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        prev_action = self.current_action
        action = self.schedule(self.step_num + 1)
        if action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler "
                             "and must not be returned by a user-provided schedule")
        self.step_num += 1
        self.current_action = self._prev_schedule_action = action
        self._transit_action(prev_action, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    # -- results ---------------------------------------------------------------------------
    def events(self):
        """The recorded events (FunctionEvent), in the order they started."""
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before accessing events")
        return self.profiler.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before getting key averages")
        _require_events(self.profiler.function_events)
        return self.profiler.function_events.key_averages(
            group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def export_chrome_trace(self, path, use_python_export=False):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting chrome trace")
        session = self.profiler
        _require_events(session.function_events)
        trace_id = self.custom_trace_id_callback() if self.custom_trace_id_callback else None
        write_chrome_trace(session.function_events, path, record_shapes=self.record_shapes,
                           end_us=(session._stop_ns - session._start_ns) / 1000.0,
                           trace_id=trace_id)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting stacks")
        _require_events(self.profiler.function_events)
        if metric not in ("self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total",
                          "self_privateuse1_time_total"):
            raise ValueError("metric should be one of: ['self_cpu_time_total', "
                             "'self_cuda_time_total', 'self_xpu_time_total', "
                             "'self_privateuse1_time_total']")
        write_stacks(self.profiler.function_events, path, metric)

    def export_html(self, path, title=None):
        """Write one self-contained page: a timeline of the forward ops and backward nodes
        and the key_averages table (ember's own view; nothing is fetched)."""
        from ..viz._profile import profile_page

        _require_events(self.events())
        page = profile_page(self.events(), title=title or "ember profile")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        return path

    def export_memory_timeline(self, path, device=None):
        raise NotImplementedError("ember's profiler has no memory timeline: use "
                                  "profile_memory=True and the CPU Mem columns of the table")

    def add_metadata(self, key, value):
        self._metadata = getattr(self, "_metadata", {})
        self._metadata[key] = value

    def add_metadata_json(self, key, value):
        self.add_metadata(key, value)


def _require_events(events):
    if events is None:
        raise RuntimeError("Profiler didn't finish running")


class record_function:
    """A labelled block in the profile (a context manager or a decorator).

    With no profile running it records nothing.
    """

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self.run_callbacks_on_exit = True
        self.record = None
        self._recorder = None

    def __enter__(self):
        rec = _active
        if rec is not None:
            self._recorder = rec
            self.record = rec.begin(self.name, "user_annotation")
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if not self.run_callbacks_on_exit:
            return
        rec, self._recorder = self._recorder, None
        if rec is not None and self.record is not None:
            rec.end(self.record)
        self.record = None

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return wrapped

    def _call_end_callbacks_on_future(self, fut):
        raise NotImplementedError("ember has no futures to attach a record_function to")
