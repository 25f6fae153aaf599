"""torch.monitor against PyTorch, side by side: Aggregation, Stat's windows and what it logs,
Event, the event handlers, TensorboardEventHandler, and the errors (pybind11's texts)."""

import datetime
import gc
import pickle
import re
import time
from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.monitor as tm

import ember
import ember.monitor as em

MODS = pytest.mark.parametrize("m", [em, tm], ids=["ember", "torch"])
td = datetime.timedelta


@contextmanager
def recording(m):
    """The events logged while inside, as (name, data) pairs."""
    seen = []
    handle = m.register_event_handler(lambda e: seen.append((e.name, e.data)))
    try:
        yield seen
    finally:
        m.unregister_event_handler(handle)


def _named(stats):
    return {k.name: v for k, v in stats.items()}


def _same_error(call_ember, call_torch):
    """Both raise the same type with the same text (addresses and the package name aside)."""
    texts = []
    for call in (call_ember, call_torch):
        with pytest.raises(Exception) as info:
            call()
        texts.append((type(info.value),
                      re.sub(r"0x[0-9a-f]+", "0x", str(info.value)).replace("ember", "torch")))
    assert texts[0] == texts[1]
    return texts[0][1]


def test_public_names():
    names = {n for n in dir(tm) if not n.startswith("_")} - {"TYPE_CHECKING"}
    assert names <= set(dir(em))
    assert ember.monitor is em and em.STAT_EVENT == tm.STAT_EVENT == "torch.monitor.Stat"


def test_aggregation():
    ea, ta = em.Aggregation, tm.Aggregation
    assert list(ea.__members__) == list(ta.__members__)
    for name, member in ta.__members__.items():
        ours = getattr(ea, name)
        assert (repr(ours), str(ours), ours.name, ours.value, int(ours), hash(ours)) == \
            (repr(member), str(member), member.name, member.value, int(member), hash(member))
        assert getattr(em, name) is ours and ea(member.value) == ours
        assert pickle.loads(pickle.dumps(ours)) == ours
    assert repr(ea(1)) == repr(ta(1)) == "<Aggregation.???: 1>"
    assert (ea.MEAN == 2) is (ta.MEAN == 2) is False
    assert (ea.MEAN != ea.COUNT) and not (ea.MEAN != ea(2))
    _same_error(lambda: ea("MEAN"), lambda: ta("MEAN"))


def _pair(**kwargs):
    aggs = kwargs.pop("aggs", ("MEAN", "COUNT", "SUM", "MAX", "MIN", "VALUE"))
    return [m.Stat("s", [getattr(m.Aggregation, a) for a in aggs], **kwargs) for m in (em, tm)]


@pytest.mark.parametrize("values", [[3, 1, 4, 1, 5, 9, 2, 6], [-2.5, -7.0, -1.0], [0.5]])
def test_max_samples_windows(values):
    stats = _pair(window_size=td(seconds=100), max_samples=3)
    with recording(em) as ours, recording(tm) as theirs:
        for v in values:
            for s in stats:
                s.add(v)
            assert stats[0].count == stats[1].count
            assert _named(stats[0].get()) == _named(stats[1].get())
            assert ours == theirs
        assert [k.name for k in stats[0].get()] == [k.name for k in stats[1].get()]  # MIN..MEAN
        del stats[:], s  # the unlogged rest of the window is logged as the stat goes
        gc.collect()
        assert ours == theirs and len(ours) >= 1
        assert all(name == "torch.monitor.Stat" for name, _ in ours)


def test_stat_basics():
    for s in _pair(window_size=td(seconds=100)):
        assert s.name == "s" and s.count == 0
        assert _named(s.get()) == {"MIN": 0.0, "MAX": 0.0, "SUM": 0.0, "COUNT": 0.0, "MEAN": 0.0}
        for v in (3, True, np.float32(2.5), np.int64(2)):
            s.add(v)
        assert s.count == 4 and s.get()[s.get().__iter__().__next__()] == 0.0
    e, t = _pair(aggs=("VALUE", "SUM", "SUM"), window_size=1.5)  # seconds as a float
    e.add(ember.tensor(2.0))
    t.add(torch.tensor(2.0))
    assert _named(e.get()) == _named(t.get()) == {"SUM": 0.0}  # VALUE is never reported
    for m in (em, tm):
        with pytest.raises(AttributeError):
            m.Stat("x", [m.MEAN], td(seconds=1)).name = "y"


def _wait_for_window_start(window_ms):
    while time.monotonic_ns() // 1_000_000 % window_ms > window_ms // 5:
        time.sleep(0.002)


def test_time_windows():
    window = 300
    stats = _pair(aggs=("MEAN", "COUNT", "MAX"), window_size=td(milliseconds=window))
    with recording(em) as ours, recording(tm) as theirs:
        _wait_for_window_start(window)
        for v in (1.0, 2.0, 6.0):
            for s in stats:
                s.add(v)
        assert [s.count for s in stats] == [3, 3] and not ours and not theirs
        time.sleep(window / 1000)  # the next value opens a new window and logs the first
        for s in stats:
            s.add(10.0)
        assert [s.count for s in stats] == [1, 1]
        assert _named(stats[0].get()) == _named(stats[1].get()) == \
            {"MAX": 6.0, "COUNT": 3.0, "MEAN": 3.0}
        assert ours == theirs == [("torch.monitor.Stat",
                                   {"s.mean": 3.0, "s.count": 3.0, "s.max": 6.0})]
        del stats[:], s
        gc.collect()
        assert ours == theirs and ours[-1][1] == {"s.mean": 10.0, "s.count": 1.0, "s.max": 10.0}


def test_stat_errors():
    a = em.MEAN, tm.MEAN
    cases = [((), {}), (("f", "a", td(1)), {}), (("f", None, 3), {}), (("f", [2], td(1)), {}),
             (("f", [None], td(1)), {"max_samples": 2.5}), ((b"f", None, td(1)), {}),
             ((), {"name": "f", "aggregations": [None], "window_size": td(1), "x": 1})]
    for args, kwargs in cases:
        text = _same_error(
            lambda: em.Stat(*[a[0] if x is None else x for x in args],
                            **{k: [a[0]] if v == [None] else v for k, v in kwargs.items()}),
            lambda: tm.Stat(*[a[1] if x is None else x for x in args],
                            **{k: [a[1]] if v == [None] else v for k, v in kwargs.items()}))
        assert text.startswith("__init__(): incompatible constructor arguments.")
    stats = _pair(window_size=td(seconds=1))
    for bad in ("x", None, [1.0]):
        _same_error(lambda: stats[0].add(bad), lambda: stats[1].add(bad))


def test_event():
    stamp = datetime.datetime(2020, 1, 2, 3, 4, 5, 123456)
    data = {"a": 1, "b": 2.5, "c": True, "d": "x", "e": np.int64(3), "f": np.float32(0.5),
            "g": np.bool_(False), "h": -(2**63)}
    events = [m.Event("n", stamp, data) for m in (em, tm)]
    for e in events:
        assert e.name == "n" and e.timestamp == stamp
        e.data["z"] = 1  # data is a copy
    assert events[0].data == events[1].data and "z" not in events[0].data
    assert [type(v) for v in sorted(events[0].data.items())] == \
        [type(v) for v in sorted(events[1].data.items())]
    assert events[0].data["c"] == 1.0 and type(events[0].data["c"]) is float
    for e in events:
        e.name, e.data = "q", {"k": 3}
        e.timestamp = datetime.date(2021, 5, 6)
    assert [(e.name, e.data, e.timestamp) for e in events] == \
        [("q", {"k": 3}, datetime.datetime(2021, 5, 6))] * 2
    aware = datetime.datetime(2020, 1, 1, 12, tzinfo=datetime.timezone.utc)
    assert em.Event("n", aware, {}).timestamp == tm.Event("n", aware, {}).timestamp
    assert re.fullmatch(r"<ember\._C\._monitor\.Event object at 0x[0-9a-f]+>", repr(events[0]))


@pytest.mark.parametrize("args,kwargs", [
    (("n", 5, {}), {}), (("n", datetime.datetime(2020, 1, 1), {"a": [1]}), {}),
    (("n", datetime.datetime(2020, 1, 1), {1: 1}), {}),
    (("n", datetime.datetime(2020, 1, 1), []), {}),
    (("n", datetime.datetime(2020, 1, 1)), {"data": {}, "name": "x"}),
    ((), {"name": "n", "timestamp": datetime.datetime(2020, 1, 1)}),
])
def test_event_errors(args, kwargs):
    _same_error(lambda: em.Event(*args, **kwargs), lambda: tm.Event(*args, **kwargs))


def test_event_more_errors():
    stamp = datetime.datetime(2020, 1, 1)
    _same_error(lambda: em.Event("n", stamp, {"x": 2**70}),
                lambda: tm.Event("n", stamp, {"x": 2**70}))
    events = [m.Event("n", stamp, {}) for m in (em, tm)]
    for field in ("name", "timestamp", "data"):
        _same_error(lambda: setattr(events[0], field, 5),  # noqa: B023
                    lambda: setattr(events[1], field, 5))  # noqa: B023
    for m_e, m_t in ((em, tm),):
        for fn in ("register_event_handler", "unregister_event_handler", "log_event"):
            _same_error(lambda: getattr(m_e, fn)(5), lambda: getattr(m_t, fn)(5))  # noqa: B023
        _same_error(m_e.EventHandlerHandle, m_t.EventHandlerHandle)
        _same_error(lambda: m_e.data_value_t(1), lambda: m_t.data_value_t(1))


@MODS
def test_handlers(m):
    got, order = [], []
    first = m.register_event_handler(lambda e: order.append(1))
    second = m.register_event_handler(got.append)
    assert re.fullmatch(r"<(ember|torch)\._C\._monitor\.EventHandlerHandle object at 0x[0-9a-f]+>",
                        repr(second))
    try:
        event = m.Event("n", datetime.datetime(2020, 1, 1), {"k": 1})
        m.log_event(event)
        assert got == [event] and got[0] is event and order == [1]
    finally:
        m.unregister_event_handler(first)
    m.log_event(event)
    assert len(got) == 2 and order == [1]
    m.unregister_event_handler(second)
    m.log_event(event)
    assert len(got) == 2

    def bad(e):
        raise KeyError("handler")

    handle = m.register_event_handler(bad)
    later = m.register_event_handler(got.append)
    try:
        with pytest.raises(KeyError, match="handler"):
            m.log_event(event)  # a handler's exception reaches the caller; later ones skip
        assert len(got) == 2
    finally:
        m.unregister_event_handler(handle)
        m.unregister_event_handler(later)


class _Writer:
    def __init__(self):
        self.calls = []

    def add_scalar(self, tag, value, walltime=None):
        self.calls.append((tag, value, walltime))


def test_tensorboard_event_handler():
    stamp = datetime.datetime(2020, 1, 2, 3, 4, 5)
    calls = []
    for m in (em, tm):
        writer = _Writer()
        handler = m.TensorboardEventHandler(writer)
        handler(m.Event("torch.monitor.Stat", stamp, {"loss.mean": 0.5, "loss.count": 3}))
        handler(m.Event("other", stamp, {"x": 1.0}))
        calls.append(sorted(writer.calls))
    assert calls[0] == calls[1] == [("loss.count", 3, stamp.timestamp()),
                                    ("loss.mean", 0.5, stamp.timestamp())]
    assert em.TensorboardEventHandler.__module__ == "ember.monitor"


def test_what_pytorch_crashes_on_is_refused():
    # a window under a millisecond divides by zero (PyTorch's process dies of it)
    stat = em.Stat("s", [em.SUM], td(microseconds=500))
    with pytest.raises(ZeroDivisionError) as info:
        stat.add(1.0)
    assert "shorter than a millisecond" in info.value.__notes__[0]
    # unregistering twice (undefined behaviour in PyTorch)
    handle = em.register_event_handler(lambda e: None)
    em.unregister_event_handler(handle)
    with pytest.raises(ValueError, match="not registered"):
        em.unregister_event_handler(handle)
