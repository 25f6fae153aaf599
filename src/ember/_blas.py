"""``y += alpha * x`` rounded once per element, through the BLAS library NumPy has loaded.

PyTorch's CPU kernels compute ``a + alpha * b`` (``add`` with ``alpha``, the optimizers'
updates) with a fused multiply-add: one rounding. NumPy has no fused multiply-add, and ember's
emulation of one (optim/_fused.py) takes four passes over the data. BLAS's axpy is the same
operation, and OpenBLAS's x86 kernels fuse it: one pass, at PyTorch's speed.

ember uses axpy only where it is shown to round once on this machine. On first use for a
dtype, the library is found in the process's memory map (Linux), and its axpy is compared bit
for bit with exact arithmetic on values where an unfused kernel rounds differently, at lengths
that cover its vector loop, its scalar tail and its threaded split. A library that is not
found (another OS, NumPy without a loaded BLAS), or that does not fuse (another CPU kernel,
another BLAS), leaves the emulation in place: ``axpy`` returns False and the caller computes.
"""

import ctypes
import threading

import numpy as np

__all__ = ["axpy", "fuses"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_CTYPE = {_F32: ctypes.c_float, _F64: ctypes.c_double}
_LETTER = {_F32: "s", _F64: "d"}
# (symbol pattern, integer type): NumPy's bundled OpenBLAS (64-bit integers, "scipy_" prefix
# and "64_" suffix), another ILP64 build, then the plain CBLAS interface
_SYMBOLS = (("scipy_cblas_{}axpy64_", ctypes.c_int64), ("cblas_{}axpy64_", ctypes.c_int64),
            ("cblas_{}axpy", ctypes.c_int))
_CHECK_SIZES = (*range(1, 70), 1000)  # the vector loop and its scalar tails
_THREADED = 20011  # long enough for OpenBLAS to split it between threads

_kernels = {}  # dtype -> the verified axpy, or None
_lock = threading.Lock()


def axpy(alpha, x, y, c=None):
    """y = alpha * x + c (c: y itself when None), each element rounded once, written into y.
    Returns False, leaving y as it was, where this machine's BLAS cannot do it exactly: then
    the caller computes.

    ``x``, ``y`` (and ``c``): C-contiguous arrays of one dtype (float32 or float64) and shape,
    y overlapping neither; ``alpha``: a number of that dtype, not zero (BLAS skips the product
    for a zero alpha, which would lose PyTorch's nan from 0 * inf)."""
    dt = y.dtype
    kernel = _kernels.get(dt, False)
    if kernel is False:
        kernel = _load(dt)
    if (kernel is None or not alpha or x.dtype != dt or x.shape != y.shape
            or x.size > kernel.most or not x.flags.c_contiguous or not y.flags.c_contiguous
            or not y.flags.writeable or np.may_share_memory(x, y)):
        return False
    if c is not None and c is not y:
        if c.__class__ is not np.ndarray or c.shape != y.shape or np.may_share_memory(c, y):
            return False
        np.copyto(y, c)
    kernel(x.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    return True


def fuses(dt):
    """Whether ``axpy`` runs for arrays of dtype dt on this machine."""
    kernel = _kernels.get(dt, False)
    return (kernel if kernel is not False else _load(dt)) is not None


def _load(dt):
    with _lock:
        if dt not in _kernels:
            kernel = None
            if dt in _CTYPE:
                try:
                    kernel = _verified(_find(dt), dt)
                except Exception:  # noqa: BLE001 - any failure: the emulation serves
                    kernel = None
            _kernels[dt] = kernel
    return _kernels[dt]


def _find(dt):
    """The axpy of the BLAS library mapped into this process, for dtype dt, or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f
                            if ("blas" in line.lower() or "mkl" in line.lower())
                            and ".so" in line.split()[-1]})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pattern, int_type in _SYMBOLS:
            fn = getattr(lib, pattern.format(_LETTER[dt]), None)
            if fn is not None:
                fn.restype = None
                fn.argtypes = [int_type, _CTYPE[dt], ctypes.c_void_p, int_type,
                               ctypes.c_void_p, int_type]
                fn.most = (1 << (8 * ctypes.sizeof(int_type) - 1)) - 1  # the largest length
                return fn
    return None


def _verified(fn, dt):
    """fn if it computes alpha * x + y rounded once, bit for bit: against exact arithmetic at
    every length of _CHECK_SIZES, and at a threaded length against itself run in pieces."""
    if fn is None:
        return None
    k = np.arange(_THREADED, dtype=_F64)  # irregular values (no random module needed)
    x = (np.sin(k * 0.7071) * 3.1).astype(dt)
    y0 = np.cos(k * 1.3137 + 0.5).astype(dt)
    x[:4] = (np.inf, -np.inf, np.nan, 1.0)  # inf and nan go through as a fused product does
    y0[4:7] = (np.inf, np.nan, -np.inf)
    alpha = dt.type(-0.0123456789)
    n = max(_CHECK_SIZES)
    want = _exact(alpha, x[:n], y0[:n])
    if np.array_equal(want, y0[:n] + alpha * x[:n], equal_nan=True):
        return None  # values on which an unfused kernel would pass: no proof either way
    for size in _CHECK_SIZES:
        y = y0[:size].copy()
        fn(size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
        if not np.array_equal(y, want[:size], equal_nan=True):
            return None
    whole, pieces = y0.copy(), y0.copy()
    fn(_THREADED, alpha, x.ctypes.data, 1, whole.ctypes.data, 1)
    for lo in range(0, _THREADED, n):
        m = min(n, _THREADED - lo)
        fn(m, alpha, x[lo:].ctypes.data, 1, pieces[lo:].ctypes.data, 1)
    return fn if np.array_equal(whole, pieces, equal_nan=True) else None


def _exact(alpha, x, y):
    """alpha * x + y rounded once, element by element (float32: the product is exact in
    float64, and one rounding of the double sum to float32 is correct on random values;
    float64: exact rational arithmetic, correctly rounded by float())."""
    if x.dtype == _F32:
        return (x.astype(_F64) * float(alpha) + y).astype(_F32)
    from fractions import Fraction

    a = Fraction(float(alpha))
    out = []
    for xi, yi in zip(x.tolist(), y.tolist()):
        if xi != xi or yi != yi or xi in (np.inf, -np.inf) or yi in (np.inf, -np.inf):
            out.append(float(alpha) * xi + yi)  # inf and nan: no rounding to speak of
        else:
            out.append(float(a * Fraction(xi) + Fraction(yi)))
    return np.array(out, _F64)
