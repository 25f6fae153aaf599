"""NumPy's floating-point warnings, turned off only while ember computes.

NumPy warns when a float op overflows, divides by zero or makes a nan; PyTorch computes inf and
nan silently. ember silences NumPy around its own computations, never for the user's NumPy code:
``token = silence()`` ... ``restore(token)`` (or ``quiet(fn)``). NumPy keeps its error state in
a context variable; setting it directly costs a fraction of ``np.errstate``'s enter and exit,
which matters on the per-op hot path. A NumPy without that variable gets ``np.errstate``.
"""

import functools

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
