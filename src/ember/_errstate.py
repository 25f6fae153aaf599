"""NumPy's floating-point warnings, turned off only while ember computes.

NumPy warns when a float op overflows, divides by zero or makes a nan; PyTorch computes inf and
nan silently. ember silences NumPy around its own computations, never for the user's NumPy code:
``token = silence()`` ... ``restore(token)``, or ``quiet(fn)`` for a whole function. NumPy keeps
its error state in a context variable; setting it directly costs a fraction of
``np.errstate``'s enter and exit, which matters on the per-op hot path. A NumPy without that
variable gets ``np.errstate``.

The per-op kernels go one step further: ``silent.run(ufunc, *args)`` calls a NumPy function
inside a context (one per thread) in which NumPy is already silent, the cheapest switch there
is. The function must not call back into ember (a context cannot be entered twice).
"""

import contextvars
import functools
import threading

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar as _state
except ImportError:  # pragma: no cover - a NumPy that keeps its error state elsewhere
    _state = None

if _state is not None:
    with np.errstate(all="ignore"):
        _SILENT = _state.get()
    silence = functools.partial(_state.set, _SILENT)
    restore = _state.reset
else:  # pragma: no cover
    def silence():
        ctx = np.errstate(all="ignore")
        ctx.__enter__()
        return ctx

    def restore(ctx):
        ctx.__exit__(None, None, None)


class _Silent(threading.local):
    """Per thread: ``run(fn, *args)`` calls fn in a context where NumPy does not warn."""

    def __init__(self):
        context = contextvars.copy_context()
        token = context.run(silence)
        if not isinstance(token, contextvars.Token):  # np.errstate's fallback
            context = None
        self.run = context.run if context is not None else _run_quiet


def _run_quiet(fn, *args, **kwargs):  # pragma: no cover - NumPy without the context variable
    token = silence()
    try:
        return fn(*args, **kwargs)
    finally:
        restore(token)


silent = _Silent()


def quiet(fn):
    """``fn`` with NumPy's floating-point warnings off while it runs."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        token = silence()
        try:
            return fn(*args, **kwargs)
        finally:
            restore(token)

    run.quiet = True
    return run


def mark_quiet(fn):
    """Declare that ``fn`` silences NumPy itself, around its own array work (no wrapper)."""
    fn.quiet = True
    return fn
