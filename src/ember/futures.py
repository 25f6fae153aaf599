"""``torch.futures``: Future, collect_all and wait_all.

ember runs everything synchronously (``torch.jit.fork`` calls its function at once), so a
Future here is a result holder with PyTorch's interface: callbacks run when the result is
set, or at once if it already is.
"""

import threading

__all__ = ["Future", "collect_all", "wait_all"]


class Future:
    def __init__(self, *, devices=None):
        self._cond = threading.Condition()
        self._done = False
        self._value = None
        self._error = None
        self._callbacks = []

    def done(self):
        return self._done

    def wait(self):
        with self._cond:
            while not self._done:
                self._cond.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def value(self):
        return self.wait()

    def _complete(self, value, error):
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. "
                                   "Note that a Future can only be marked completed once.")
            self._value, self._error, self._done = value, error, True
            self._cond.notify_all()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    def set_result(self, result):
        self._complete(result, None)

    def set_exception(self, result):
        if not isinstance(result, BaseException):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(None, result)

    def add_done_callback(self, callback):
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)

    def then(self, callback):
        out = Future()

        def run(fut):
            try:
                out.set_result(callback(fut))
            except Exception as exc:
                out.set_exception(exc)

        self.add_done_callback(run)
        return out


def collect_all(futures):
    """A Future whose value is the list of ``futures`` once they have all completed."""
    out = Future()
    futures = list(futures)
    remaining = [len(futures)]
    lock = threading.Lock()

    def one(_):
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            out.set_result(futures)

    if not futures:
        out.set_result([])
    for f in futures:
        f.add_done_callback(one)
    return out


def wait_all(futures):
    """The values of ``futures`` (the first error raised, as in PyTorch)."""
    return [f.wait() for f in futures]
