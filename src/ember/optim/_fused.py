"""The arithmetic of PyTorch's CPU kernels, rounded as they round.

PyTorch's vectorized CPU kernels compute ``add(x, alpha=a)``, ``addcmul``, ``lerp`` with a
fused multiply-add (one rounding). An optimizer amplifies last-bit differences over hundreds
of steps, so for float32 ember computes the same expressions in float64 and rounds once: the
product of two float32 numbers is exact in float64, so the result matches the fused one.

Each function writes into its first argument and takes its temporaries from ``x``, the block
being updated (see ``_foreach.Block``): ``x.tmp()`` and ``x.wide()`` give scratch arrays of the
block's shape, so that no step allocates arrays as large as the parameters.

Emulated, this rounding is most of an update's cost: a fused multiply-add takes four passes
over a block (widen, multiply, add, narrow), two of them at float64 width; rounded at every
operation instead, after five Adam steps 46% of exp_avg's elements and 0.4% of the parameters'
differ from PyTorch's. Where the multiplier is a number, ``a * b + c`` is BLAS's axpy, which
the x86 OpenBLAS that NumPy ships fuses: ``_blas.axpy`` runs it in one pass wherever it has
been shown to round once on this machine (float32 and float64 alike), and the emulation serves
everywhere else.
"""

import numpy as np

from .._blas import axpy, fuses

_f32 = np.dtype(np.float32)


def fma_(out, a, b, c, x):
    """out[...] = a * b + c, rounded once (a may be a scalar).

    The array ``b`` (``a`` too, when it is an array) is widened by a plain copy and the
    product taken in place: NumPy's mixed-type loops cast their operands buffer by buffer,
    which costs more than one copy (a * a, a square, widens once). A number ``a`` goes to BLAS's
    axpy where it fuses (c copied into out first)."""
    if not isinstance(a, np.ndarray) and axpy(a, b, out, c):
        return out
    if out.dtype == _f32:
        r = x.wide()
        if isinstance(a, np.ndarray):
            np.copyto(r, a)
            np.multiply(r, r if b is a else b, out=r)
        else:
            np.copyto(r, b)
            np.multiply(r, a, out=r)
        r += c
        np.copyto(out, r, casting="same_kind")
    else:
        np.add(np.multiply(a, b, out=x.tmp()), c, out=out)
    return out


def _fma_wide(out, r, a, c):
    """out[...] = r * a + c rounded once to float32 (without the product when a is None): r a
    float64 array of float32 values (overwritten), the product exact in float64."""
    if a is not None:
        r *= a
    r += c
    np.copyto(out, r, casting="same_kind")
    return out


def lerp_(a, b, w, x):
    """a.lerp_(b, w): a + w * (b - a) for |w| < 0.5, else b - (1 - w) * (b - a).

    ``w`` is a scalar of a's dtype."""
    if w and w != 1 and fuses(a.dtype):  # either branch: one axpy of b - a (rounded)
        diff = np.subtract(b, a, out=x.tmp())
        if axpy(w, diff, a) if abs(w) < 0.5 else axpy(w - w.dtype.type(1), diff, a, b):
            return a
    if a.dtype == _f32:  # b - a rounded to float32, written straight into the float64 scratch
        r = np.subtract(b, a, out=x.wide(), dtype=_f32)
        if abs(w) < 0.5:
            return _fma_wide(a, r, w, a)
        return _fma_wide(a, r, w - w.dtype.type(1), b)
    diff = np.subtract(b, a, out=x.tmp())
    if abs(w) < 0.5:
        return fma_(a, w, diff, a, x)
    return fma_(a, w - w.dtype.type(1), diff, b, x)


def addcmul_(a, b, c, value, x):
    """a.addcmul_(b, c, value=value): a + (value * b) * c, fused; ``value`` a scalar of a's
    dtype (a value of 1 multiplies nothing: 1 * b is b exactly)."""
    if a.dtype == _f32 and value != 1:  # value * b rounded to float32, into the float64 scratch
        r = np.multiply(value, b, out=x.wide(), dtype=_f32)
        r *= c  # exact: two float32 factors
        return _fma_wide(a, r, None, a)
    if value != 1:
        b = np.multiply(value, b, out=x.tmp())
    return fma_(a, b, c, a, x)
