"""What a profile holds after it stops: FunctionEvent (one call that ran), FunctionEventAvg (the
calls of one key, summed), EventList and its table, laid out as PyTorch's.

Times are in microseconds (floats), as PyTorch's; a profile's times start at its start.
"""

import json
import os
from collections import defaultdict

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "Interval", "DeviceType"]


class DeviceType:
    """The device an event ran on (ember runs every op on the CPU)."""

    __slots__ = ("name", "value")

    def __init__(self, name, value):
        self.name = name
        self.value = value

    def __repr__(self):
        return f"DeviceType.{self.name}"

    def __eq__(self, other):
        return isinstance(other, DeviceType) and other.value == self.value

    def __hash__(self):
        return hash(self.value)


DeviceType.CPU = DeviceType("CPU", 0)


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_us):
    if total_us == 0:
        if time_us != 0:
            raise AssertionError(f"Expected time_us == 0 but got {time_us}")
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes):
    kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
    if abs(nbytes) >= gb:
        return f"{nbytes / gb:.2f} GB"
    if abs(nbytes) >= mb:
        return f"{nbytes / mb:.2f} MB"
    if abs(nbytes) >= kb:
        return f"{nbytes / kb:.2f} KB"
    return f"{nbytes} B"


class Interval:
    __slots__ = ("start", "end")

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start

    def __repr__(self):
        return f"Interval(start={self.start}, end={self.end})"


class _Times:
    """The *_str properties and the averages both event kinds share."""

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0

    cuda_time = device_time

    @property
    def cpu_time_str(self):
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return _format_time(self.self_cpu_time_total)

    @property
    def device_time_str(self):
        return _format_time(0.0)

    @property
    def device_time_total_str(self):
        return _format_time(0.0)

    @property
    def self_device_time_total_str(self):
        return _format_time(0.0)

    device_time_total = self_device_time_total = 0
    device_memory_usage = self_device_memory_usage = 0
    cuda_time_total = self_cuda_time_total = 0
    self_cuda_memory_usage = 0
    node_id = -1
    is_remote = False
    is_legacy = False
    use_device = None
    overload_name = ""


class FunctionEvent(_Times):
    """One call that ran: an op, a backward node, or a record_function block."""

    def __init__(self, id, name, thread, start_us, end_us, *, input_shapes=None, stack=None,
                 cpu_memory_usage=0, flops=0, sequence_nr=-1, is_user_annotation=False,
                 scope=0, concrete_inputs=None, trace_name=None):
        self.id = id
        self.name = name
        self.trace_name = trace_name if trace_name is not None else name
        self.thread = thread
        self.fwd_thread = thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.concrete_inputs = concrete_inputs if concrete_inputs is not None else []
        self.kwinputs = {}
        self.stack = stack if stack is not None else []
        self.scope = scope
        self.cpu_memory_usage = cpu_memory_usage
        self.flops = flops
        self.sequence_nr = sequence_nr
        self.is_user_annotation = is_user_annotation
        self.is_async = False
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.kernels = []
        self.device_type = DeviceType.CPU
        self.device_index = 0

    @property
    def key(self):
        return self.name

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (
            f"<FunctionEvent id={self.id} name={self.name} overload_name= "
            f"device_type={self.device_type!r} node_id=-1 cpu_time={self.cpu_time_str} "
            f"start_us={self.time_range.start:.3f} end_us={self.time_range.end:.3f} "
            f"cpu_children={[c.id for c in self.cpu_children]} name={self.name} "
            f"thread={self.thread} input_shapes={self.input_shapes} "
            f"cpu_memory_usage={self.cpu_memory_usage} is_async=False is_remote=False "
            f"seq_nr={self.sequence_nr} is_legacy=False>"
        )


class FunctionEventAvg(_Times):
    """The events that share a key, their times and counts summed."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.is_async = False
        self.cpu_time_total = 0
        self.self_cpu_time_total = 0
        self.input_shapes = None
        self.stack = None
        self.scope = None
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.flops = 0
        self.is_user_annotation = False

    def add(self, other):
        if not isinstance(other, (FunctionEvent, FunctionEventAvg)):
            raise AssertionError("Expected other to be a FunctionEvent or FunctionEventAvg")
        if self.key is None:
            self.key = other.key
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
            self.input_shapes = other.input_shapes
            self.stack = other.stack
            self.scope = other.scope
            self.is_user_annotation = other.is_user_annotation
        elif other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        self.flops += other.flops or 0
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
            f"cpu_time={self.cpu_time_str}  self_cuda_time=0.000us cuda_time=0.000us "
            f"input_shapes={self.input_shapes!s} cpu_memory_usage={self.cpu_memory_usage} "
            f"cuda_memory_usage=0>"
        )


class EventList(list):
    """A list of events with PyTorch's summaries: key_averages, table, total_average."""

    def __init__(self, *args, profile_memory=False, with_flops=False, use_device=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._use_device = use_device
        self._tree_built = True

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        stats = defaultdict(FunctionEventAvg)
        for e in self:
            key = (e.key, e.is_user_annotation)
            if group_by_input_shapes:
                key += (str(e.input_shapes),)
            if group_by_stack_n > 0:
                key += tuple(e.stack[:group_by_stack_n])
            stats[key].add(e)
        averages = EventList(stats.values(), profile_memory=self._profile_memory,
                             with_flops=self._with_flops, use_device=self._use_device)
        for avg in averages:
            avg.stack = avg.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                avg.input_shapes = ""
        return averages

    def total_average(self):
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
            total.key = None
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return build_table(
            self, sort_by=sort_by, row_limit=row_limit,
            max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            profile_memory=self._profile_memory, with_flops=self._with_flops,
            top_level_events_only=top_level_events_only, time_unit=time_unit,
        )

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        write_chrome_trace(self, path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        write_stacks(self, path, metric)


def _time_in(time_us, default, unit):
    if unit == "s":
        return f"{time_us / 1e6:.3f}s"
    if unit == "ms":
        return f"{time_us / 1e3:.3f}ms"
    if unit == "us":
        return f"{time_us:.3f}us"
    return default


def _trim_path(path, width):
    if len(path) > width:
        path = path[len(path) - width:]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


def _flops_scale(flops):
    names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
    import math

    level = int(max(0, min(math.log10(flops) / 3, len(names) - 1)))
    return 10.0 ** (-3 * level), names[level]


def build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                max_name_column_width=55, max_shapes_column_width=80, with_flops=False,
                profile_memory=False, top_level_events_only=False, time_unit=None):
    """The summary table, in PyTorch's columns, widths and separators."""
    if not events:
        return ""
    has_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    if sort_by is not None:
        key = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, key), reverse=True)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_width = min(shapes_width, max_shapes_column_width)
    width = 12
    stacks = [e.stack for e in events if e.stack]
    src_width = None
    if stacks:
        src_width = max(max(len(s) for s in stack) for stack in stacks) + 4
        if max_src_column_width is not None:
            src_width = min(src_width, max_src_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    columns = [(name_width, ">")] + [(width, ">")] * (len(headers) - 1)
    if has_shapes:
        headers.append("Input Shapes")
        columns.append((shapes_width, ">"))
    if stacks:
        headers.append("Source Location")
        columns.append((src_width, "<"))
    flops = [e.flops for e in events if e.flops > 0] if with_flops else []
    if flops:
        scale, unit = _flops_scale(min(flops))
        headers.append(f"Total {unit}")
        columns.append((width, ">"))
    row_format = "".join("{: " + align + str(w) + "}  " for w, align in columns)
    sep = "".join("-" * w + "  " for w, _ in columns)
    line_length = sum(w + 2 for w, _ in columns) - 2

    total = sum(e.self_cpu_time_total for e in events)
    out = []

    def add(line):
        out.append(line)
        out.append("\n")

    if header is not None:
        add("=" * line_length)
        add(header)
    if top_level_events_only:
        add("=" * line_length)
        add("This report only display top-level ops statistics")
    add(sep)
    add(row_format.format(*headers))
    add(sep)
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        e.self_cpu_percent = _format_time_share(e.self_cpu_time_total, total)
        e.total_cpu_percent = _format_time_share(e.cpu_time_total, total)
        row = [name, e.self_cpu_percent,
               _time_in(e.self_cpu_time_total, e.self_cpu_time_total_str, time_unit),
               e.total_cpu_percent,
               _time_in(e.cpu_time_total, e.cpu_time_total_str, time_unit),
               _time_in(e.cpu_time, e.cpu_time_str, time_unit)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if flops:
            row.append("--" if e.flops <= 0 else f"{e.flops * scale:8.3f}")
        if stacks:
            row.append(_trim_path(e.stack[0], src_width) if e.stack else "")
        add(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for entry in (e.stack or [])[1:]:
                add(row_format.format(*blank, _trim_path(entry, src_width)))
            add(row_format.format(*blank, ""))
    add(sep)
    out.append(f"Self CPU time total: {_time_in(total, _format_time(total), time_unit)}")
    out.append("\n")
    return "".join(out)


# -- exports --------------------------------------------------------------------------------
def chrome_trace(events, base_ns=0, pid=None, record_shapes=False):
    """The Chrome trace (chrome://tracing, Perfetto) of ``events``, as PyTorch lays it out."""
    pid = os.getpid() if pid is None else pid
    trace = []
    threads = sorted({e.thread for e in events})
    base_us = base_ns / 1000.0
    trace.append({"ph": "M", "name": "process_name", "ts": base_us, "pid": pid, "tid": 0,
                  "args": {"name": "python"}})
    trace.append({"ph": "M", "name": "process_labels", "ts": base_us, "pid": pid, "tid": 0,
                  "args": {"labels": "CPU"}})
    trace.append({"ph": "M", "name": "process_sort_index", "ts": base_us, "pid": pid,
                  "tid": 0, "args": {"sort_index": pid}})
    for tid in threads:
        trace.append({"ph": "M", "name": "thread_name", "ts": base_us, "pid": pid, "tid": tid,
                      "args": {"name": f"thread {tid} (python)"}})
        trace.append({"ph": "M", "name": "thread_sort_index", "ts": base_us, "pid": pid,
                      "tid": tid, "args": {"sort_index": tid}})
    for i, e in enumerate(sorted(events, key=lambda e: e.time_range.start)):
        if e.name == "[memory]":  # a free outside any op: an instant event, as PyTorch's
            trace.append({"ph": "i", "cat": "cpu_instant_event", "s": "t", "name": e.name,
                          "pid": pid, "tid": e.thread,
                          "ts": round(base_us + e.time_range.start, 3),
                          "args": {"Total Reserved": 0, "Bytes": e.cpu_memory_usage,
                                   "Device Id": -1, "Device Type": 0, "Ev Idx": i}})
            continue
        args = {"External id": e.id + 1, "Record function id": 0}
        if not e.is_user_annotation:
            args["Sequence number"] = e.sequence_nr if e.sequence_nr >= 0 else 0
            args["Fwd thread id"] = 0
            if record_shapes:
                args["Input Dims"] = e.input_shapes
        args["Ev Idx"] = i
        trace.append({
            "ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
            "name": e.trace_name, "pid": pid, "tid": e.thread,
            "ts": round(base_us + e.time_range.start, 3),
            "dur": round(e.time_range.elapsed_us(), 3), "args": args,
        })
    return trace


def write_chrome_trace(events, path, base_ns=0, record_shapes=False, end_us=None,
                       trace_id=None):
    import socket
    import uuid

    trace = chrome_trace(events, base_ns, record_shapes=record_shapes)
    span = end_us if end_us is not None else max(
        (e.time_range.end for e in events), default=0.0)
    base_us = base_ns / 1000.0
    trace.append({"ph": "X", "cat": "Trace", "name": "PyTorch Profiler (0)", "pid": "Spans",
                  "tid": "PyTorch Profiler", "ts": round(base_us, 3), "dur": round(span, 3),
                  "args": {"Op count": 0}})
    trace.append({"ph": "i", "s": "g", "name": "Iteration Start: PyTorch Profiler",
                  "pid": "Traces", "tid": "Trace PyTorch Profiler", "ts": round(base_us, 3)})
    doc = {
        "schemaVersion": 1,
        "deviceProperties": [],
        "trace_id": trace_id if trace_id is not None else uuid.uuid4().hex.upper(),
        "record_shapes": int(bool(record_shapes)),
        "host_name": socket.gethostname(),
        "displayTimeUnit": "ms",
        "baseTimeNanoseconds": 0,
        "traceEvents": trace,
        "traceName": str(path),
    }
    opener = open
    if str(path).endswith(".gz"):
        import gzip

        opener = gzip.open
    with opener(path, "wt") as f:
        json.dump(doc, f, indent=1)


def write_stacks(events, path, metric="self_cpu_time_total"):
    """Folded stacks ("frame;frame;op value" per line) for flame graphs, as PyTorch writes."""
    if metric not in ("self_cpu_time_total", "self_cuda_time_total", "self_device_time_total"):
        raise AssertionError(f"Expected metric to be one of ['self_cpu_time_total', "
                             f"'self_cuda_time_total', 'self_device_time_total'], got "
                             f"{metric!r}")
    with open(path, "w") as f:
        for e in events:
            if e.stack and len(e.stack) > 0:
                value = getattr(e, metric) if metric == "self_cpu_time_total" else 0
                if int(value) > 0:
                    folded = ";".join(reversed([s.replace(";", "") for s in e.stack]))
                    f.write(f"{folded} {int(value)}\n")
