"""ember.monitor: events and windowed statistics handed to registered handlers (torch.monitor).

    stat = Stat("loss", [Aggregation.MEAN, Aggregation.COUNT], timedelta(seconds=60))
    register_event_handler(lambda event: print(event.name, event.data))
    stat.add(0.5)        # when the 60 s window closes, a "torch.monitor.Stat" event is logged

A Stat keeps the values added in the current window (of ``window_size``, on the monotonic
clock, to the millisecond). It logs the window as an Event, and ``get()`` starts returning that
window's aggregations, when the first value of a later window arrives, when ``max_samples``
values have been added (the window's later values are then dropped), or when the Stat is
destroyed. ``Aggregation.VALUE`` is accepted but, as in PyTorch, never aggregated.
"""

import datetime as _datetime
import threading
import time

from . import _errors, _names

__all__ = [
    "Aggregation", "COUNT", "Event", "EventHandlerHandle", "MAX", "MEAN", "MIN", "STAT_EVENT",
    "SUM", "Stat", "TensorboardEventHandler", "VALUE", "data_value_t", "log_event",
    "register_event_handler", "unregister_event_handler",
]

# the name of the events a Stat logs; a constant of the API (handlers compare with it), so it
# is the same under either spelling of the package
STAT_EVENT = "torch.monitor.Stat"

_INT64_MAX = 2**63 - 1


def _home(name):
    """A class's name in PyTorch's extension module, as its messages and reprs say it."""
    return _names.spell(f"ember._C._monitor.{name}")


def _pyrepr(obj):
    return f"<{_home(type(obj).__name__)} object at {hex(id(obj))}>"


def _invoked(args, kwargs):
    text = ", ".join(repr(a) for a in args)
    if kwargs:
        text += ("; " if args else "") + "kwargs: " + ", ".join(
            f"{k}={v!r}" for k, v in kwargs.items())
    return text


def _mismatch(func, signature, args, kwargs, constructor=False):
    kind = "constructor" if constructor else "function"
    return TypeError(f"{func}(): incompatible {kind} arguments. The following argument types "
                     f"are supported:\n    1. {signature}\n\nInvoked with: "
                     f"{_invoked(args, kwargs)}")


def _bind(args, kwargs, names, defaults):
    """The values of ``names`` from a call's arguments (None where the call does not fit)."""
    if len(args) > len(names):
        return None
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names or key in values:
            return None
        values[key] = value
    for key in names:
        if key not in values:
            if key not in defaults:
                return None
            values[key] = defaults[key]
    return [values[key] for key in names]


def _index_of(v):
    """``v`` as an int, as PyTorch's int arguments take it (None if it is not one)."""
    if isinstance(v, (float, complex, str, bytes)) or not hasattr(type(v), "__index__"):
        return None
    try:
        return int(v.__index__())
    except (TypeError, ValueError):
        return None


def _as_float(v):
    """``v`` as a double, as PyTorch's float arguments take it (None if it is not one)."""
    if isinstance(v, (str, bytes)):
        return None
    if hasattr(type(v), "__float__"):
        try:
            return float(v)
        except (TypeError, ValueError):
            pass
    index = _index_of(v)
    return None if index is None else float(index)


# -- Aggregation --------------------------------------------------------------------------------
class Aggregation:
    """These are types of aggregations that can be used to accumulate stats.

    Members:

      VALUE : VALUE returns the last value to be added.

      MEAN : MEAN computes the arithmetic mean of all the added values.

      COUNT : COUNT returns the total number of added values.

      SUM : SUM returns the sum of the added values.

      MAX : MAX returns the max of the added values.

      MIN : MIN returns the min of the added values.
    """

    __slots__ = ("_value",)
    __members__ = {}

    def __init__(self, value):
        index = _index_of(value)
        if index is None:
            raise _mismatch("__init__", f"{_home('Aggregation')}(value: typing.SupportsInt | "
                            "typing.SupportsIndex)", (value,), {}, constructor=True)
        self._value = index

    @property
    def value(self):
        return self._value

    @property
    def name(self):
        for key, member in Aggregation.__members__.items():
            if member._value == self._value:
                return key
        return "???"

    def __repr__(self):
        return f"<Aggregation.{self.name}: {self._value}>"

    def __str__(self):
        return f"Aggregation.{self.name}"

    def __int__(self):
        return self._value

    def __index__(self):
        return self._value

    def __eq__(self, other):
        if type(other) is not Aggregation:
            return False
        return self._value == other._value

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return self._value

    def __getstate__(self):
        return self._value

    def __setstate__(self, state):
        self._value = state

    def __reduce__(self):
        return (Aggregation, (self._value,))


# PyTorch's VALUE is the "none" aggregation (0), whose values a Stat never reports
for _key, _number in (("VALUE", 0), ("MEAN", 2), ("COUNT", 3), ("SUM", 4), ("MAX", 5),
                      ("MIN", 6)):
    _member = Aggregation(_number)
    Aggregation.__members__[_key] = _member
    setattr(Aggregation, _key, _member)
VALUE, MEAN, COUNT, SUM, MAX, MIN = (Aggregation.__members__[k] for k in
                                     ("VALUE", "MEAN", "COUNT", "SUM", "MAX", "MIN"))
del _key, _number, _member

# the order in which get() (and an event's data) lists a stat's aggregations
_REPORTED = (MIN, MAX, SUM, COUNT, MEAN)


class data_value_t:  # noqa: N801 - PyTorch's name
    """data_value_t is one of ``str``, ``float``, ``int``, ``bool``."""

    def __init__(self, *args, **kwargs):
        raise TypeError(f"{_home('data_value_t')}: No constructor defined!")


def _data_value(v):
    """An event's value as PyTorch stores it (int64, double or string; a bool is a double), or
    raises TypeError through the caller when it is none of these."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int) or (type(v).__module__ == "numpy" and _index_of(v) is not None):
        v = int(v)
        if not -_INT64_MAX - 1 <= v <= _INT64_MAX:
            raise ValueError("Overflow when unpacking long long")
        return v
    if isinstance(v, float) or (type(v).__module__ == "numpy" and hasattr(v, "__float__")):
        return float(v)
    raise TypeError


def _data(data):
    """A dict of str -> data_value_t from a mapping (None if it is not one)."""
    if not hasattr(data, "keys") or not hasattr(data, "__getitem__") or isinstance(data, type):
        return None
    out = {}
    for key in data.keys():
        if not isinstance(key, str):
            return None
        try:
            out[key] = _data_value(data[key])
        except TypeError:
            return None
    return out


def _timestamp(value):
    """A naive local datetime from a datetime, date or time (None for anything else)."""
    if isinstance(value, _datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, _datetime.date):
        return _datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, _datetime.time):
        return _datetime.datetime(1970, 1, 1, value.hour, value.minute, value.second,
                                  value.microsecond)
    return None


# -- Event --------------------------------------------------------------------------------------
class Event:
    """Event represents a specific typed event to be logged. This can represent high-level data
    points such as loss or accuracy per epoch or more low-level aggregations such as through
    the Stats provided through this library.

    All Events of the same type should have the same name so downstream handlers can correctly
    process them.
    """

    __slots__ = ("_name", "_timestamp", "_data")

    _SIGNATURE = ("(name: str, timestamp: datetime.datetime, data: "
                  "collections.abc.Mapping[str, data_value_t])")

    def __init__(self, *args, **kwargs):
        """Constructs the ``Event``."""
        bound = _bind(args, kwargs, ("name", "timestamp", "data"), {})
        if bound is not None:
            name, timestamp, data = bound
            timestamp = _timestamp(timestamp)
            data = _data(data)
        if bound is None or not isinstance(name, str) or timestamp is None or data is None:
            raise _mismatch("__init__", _home("Event") + self._SIGNATURE, args, kwargs,
                            constructor=True)
        self._name, self._timestamp, self._data = name, timestamp, data

    def _setter_error(self, value, kind):
        return _mismatch("", f"(self: {_home('Event')}, arg0: {kind}) -> None",
                         (self, value), {})

    @property
    def name(self):
        """The name of the ``Event``."""
        return self._name

    @name.setter
    def name(self, value):
        if not isinstance(value, str):
            raise self._setter_error(value, "str")
        self._name = value

    @property
    def timestamp(self):
        """The timestamp when the ``Event`` happened."""
        return self._timestamp

    @timestamp.setter
    def timestamp(self, value):
        stamp = _timestamp(value)
        if stamp is None:
            raise self._setter_error(value, "datetime.datetime")
        self._timestamp = stamp

    @property
    def data(self):
        """The structured data contained within the ``Event`` (a copy)."""
        return dict(self._data)

    @data.setter
    def data(self, value):
        data = _data(value)
        if data is None:
            raise self._setter_error(value, "collections.abc.Mapping[str, data_value_t]")
        self._data = data

    def __repr__(self):
        return _pyrepr(self)


# -- handlers -----------------------------------------------------------------------------------
class EventHandlerHandle:
    """EventHandlerHandle is a wrapper type returned by ``register_event_handler`` used to
    unregister the handler via ``unregister_event_handler``. This cannot be directly
    initialized."""

    __slots__ = ("_callback",)

    def __init__(self, *args, **kwargs):
        raise TypeError(f"{_home('EventHandlerHandle')}: No constructor defined!")

    def __repr__(self):
        return _pyrepr(self)


_handlers = []
_handlers_lock = threading.RLock()


def log_event(*args, **kwargs):
    """log_event logs the specified event to all of the registered event handlers. It's up to
    the event handlers to log the event out to the corresponding event sink.

    If there are no event handlers registered this method is a no-op.
    """
    bound = _bind(args, kwargs, ("event",), {})
    if bound is None or not isinstance(bound[0], Event):
        raise _mismatch("log_event", f"(event: {_home('Event')}) -> None", args, kwargs)
    _log(bound[0])


def _log(event):
    with _handlers_lock:
        handlers = list(_handlers)
    for handle in handlers:
        handle._callback(event)


def register_event_handler(*args, **kwargs):
    """register_event_handler registers a callback to be called whenever an event is logged via
    ``log_event``. These handlers should avoid blocking the main thread since that may
    interfere with training as they run during the ``log_event`` call."""
    bound = _bind(args, kwargs, ("callback",), {})
    if bound is None or not callable(bound[0]):
        raise _mismatch("register_event_handler",
                        f"(callback: collections.abc.Callable[[{_home('Event')}], None]) -> "
                        f"{_home('EventHandlerHandle')}", args, kwargs)
    handle = object.__new__(EventHandlerHandle)
    handle._callback = bound[0]
    with _handlers_lock:
        _handlers.append(handle)
    return handle


def unregister_event_handler(*args, **kwargs):
    """unregister_event_handler unregisters the ``EventHandlerHandle`` returned after calling
    ``register_event_handler``. After this returns the event handler will no longer receive
    events."""
    bound = _bind(args, kwargs, ("handler",), {})
    if bound is None or not isinstance(bound[0], EventHandlerHandle):
        raise _mismatch("unregister_event_handler",
                        f"(handler: {_home('EventHandlerHandle')}) -> None", args, kwargs)
    with _handlers_lock:
        for i, handle in enumerate(_handlers):
            if handle is bound[0]:
                del _handlers[i]
                return
    raise ValueError("unregister_event_handler(): the handler is not registered (it was "
                     "unregistered already)")


# -- Stat ---------------------------------------------------------------------------------------
class _Window:
    __slots__ = ("sum", "min", "max", "count")

    def __init__(self):
        self.sum = self.min = self.max = 0.0
        self.count = 0


class Stat:
    """Stat is used to compute summary statistics in a performant way over fixed intervals.
    Stat logs the statistics as an Event once every ``window_size`` duration. When the window
    closes the stats are logged via the event handlers as a ``torch.monitor.Stat`` event.

    ``window_size`` should be set to something relatively high to avoid a huge number of events
    being logged. Ex: 60s. Stat uses millisecond precision.

    If ``max_samples`` is set, the stat will cap the number of samples per window by discarding
    ``add`` calls once ``max_samples`` adds have occurred. If it's not set, all ``add`` calls
    during the window will be included. This is an optional field to make aggregations more
    directly comparable across windows when the number of samples might vary.

    When the Stat is destructed it will log any remaining data even if the window hasn't
    elapsed.
    """

    __slots__ = ("_name", "_aggregations", "_window_ms", "_max_samples", "_lock", "_current",
                 "_previous", "_window_id", "_logged_window_id")

    def __init__(self, *args, **kwargs):
        """Constructs the ``Stat``."""
        bound = _bind(args, kwargs, ("name", "aggregations", "window_size", "max_samples"),
                      {"max_samples": _INT64_MAX})
        fits = bound is not None
        if fits:
            name, aggregations, window, max_samples = bound
            aggregations = self._aggregations_of(aggregations)
            window = self._milliseconds(window)
            max_samples = _index_of(max_samples)
            fits = (isinstance(name, str) and aggregations is not None and window is not None
                    and max_samples is not None)
        if not fits:
            raise _mismatch(
                "__init__", f"{_home('Stat')}(name: str, aggregations: collections.abc.Sequence"
                f"[{_home('Aggregation')}], window_size: datetime.timedelta, max_samples: "
                f"typing.SupportsInt | typing.SupportsIndex = {_INT64_MAX})", args, kwargs,
                constructor=True)
        self._name = name
        self._aggregations = aggregations
        self._window_ms = window
        self._max_samples = max_samples
        self._lock = threading.Lock()
        self._current = _Window()
        self._previous = _Window()
        self._window_id = 0
        self._logged_window_id = 0

    @staticmethod
    def _aggregations_of(value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            return None
        items = list(value)
        if not all(type(a) is Aggregation for a in items):
            return None
        return frozenset(a.value for a in items)

    @staticmethod
    def _milliseconds(value):
        """A window's length in whole milliseconds (truncated), or None."""
        if isinstance(value, _datetime.timedelta):
            micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
            return int(micros / 1000) if micros < 0 else micros // 1000
        if isinstance(value, float):
            return int(value * 1000)
        return None

    @property
    def name(self):
        """The name of the stat that was set during creation."""
        return self._name

    @property
    def count(self):
        """Number of data points that have currently been collected. Resets once the event has
        been logged."""
        with self._lock:
            return self._current.count

    def add(self, *args, **kwargs):
        """Adds a value to the stat to be aggregated according to the configured stat type and
        aggregations."""
        bound = _bind(args, kwargs, ("v",), {})
        v = None if bound is None else _as_float(bound[0])
        if v is None:
            raise _mismatch("add", f"(self: {_home('Stat')}, v: typing.SupportsFloat | "
                            "typing.SupportsIndex) -> None", (self, *args), kwargs)
        with self._lock:
            self._maybe_log()
            if self._logged_window_id == self._now_window():
                return  # this window has been logged (max_samples reached): dropped
            window = self._current
            if MEAN.value in self._aggregations or SUM.value in self._aggregations:
                window.sum += v
            if MAX.value in self._aggregations and (window.count == 0 or window.max < v):
                window.max = v
            if MIN.value in self._aggregations and (window.count == 0 or window.min > v):
                window.min = v
            window.count += 1
            self._maybe_log()

    def get(self):
        """Returns the current value of the stat, primarily for testing purposes. If the stat
        has logged and no additional values have been added this will be zero."""
        with self._lock:
            return self._values()

    def _values(self):
        window, out = self._previous, {}
        for agg in _REPORTED:
            if agg.value not in self._aggregations:
                continue
            if agg is MIN:
                out[MIN] = window.min
            elif agg is MAX:
                out[MAX] = window.max
            elif agg is SUM:
                out[SUM] = window.sum
            elif agg is COUNT:
                out[COUNT] = float(window.count)
            else:
                out[MEAN] = window.sum / window.count if window.count else 0.0
        return out

    def _now_window(self):
        # never 0, so that a stat that has not logged yet is told apart
        if self._window_ms == 0:  # PyTorch's process dies of the division by zero here
            raise _errors.note(ZeroDivisionError("integer division or modulo by zero"),
                               "This Stat's window_size is shorter than a millisecond (Stat "
                               "counts windows in whole milliseconds); give it a longer one.")
        return time.monotonic_ns() // 1_000_000 // self._window_ms + 1

    def _maybe_log(self):
        now = self._now_window()
        due = self._window_id != now or self._current.count >= self._max_samples
        if due and self._logged_window_id != now:
            self._log()
            self._logged_window_id = self._window_id
            self._window_id = now

    def _log(self):
        self._previous, self._current = self._current, _Window()
        if self._previous.count == 0:
            return
        data = {f"{self._name}.{agg.name.lower()}": value
                for agg, value in self._values().items()}
        _log(Event(STAT_EVENT, _datetime.datetime.now(), data))

    def __del__(self):
        try:
            lock = self._lock
        except AttributeError:  # __init__ refused its arguments
            return
        with lock:
            self._log()

    def __repr__(self):
        return _pyrepr(self)


# -- TensorBoard --------------------------------------------------------------------------------
class TensorboardEventHandler:
    """TensorboardEventHandler is an event handler that will write known events to the provided
    SummaryWriter.

    This currently only supports ``torch.monitor.Stat`` events which are logged as scalars.

    Example:
        >>> writer = SummaryWriter("log_dir")
        >>> register_event_handler(TensorboardEventHandler(writer))
    """

    def __init__(self, writer):
        """Constructs the ``TensorboardEventHandler``."""
        self._writer = writer

    def __call__(self, event):
        if event.name == STAT_EVENT:
            for k, v in event.data.items():
                self._writer.add_scalar(k, v, walltime=event.timestamp.timestamp())
