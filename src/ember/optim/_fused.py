"""The arithmetic of PyTorch's CPU kernels, rounded as they round.

PyTorch's vectorized CPU kernels compute ``add(x, alpha=a)``, ``addcmul``, ``lerp`` with a
fused multiply-add (one rounding). An optimizer amplifies last-bit differences over hundreds
of steps, so for float32 ember computes the same expressions in float64 and rounds once: the
product of two float32 numbers is exact in float64, so the result matches the fused one.
"""

import numpy as np

_f32 = np.dtype(np.float32)


def fma_(out, a, b, c):
    """out[...] = a * b + c, rounded once (a may be a scalar)."""
    if out.dtype == _f32:
        r = np.multiply(a, b, dtype=np.float64)
        r += c
        out[...] = r
    else:
        np.add(np.multiply(a, b), c, out=out)
    return out


def fma(a, b, c):
    """a * b + c, rounded once, as a new array of c's dtype."""
    return fma_(np.empty_like(c), a, b, c)


def lerp_(a, b, w):
    """a.lerp_(b, w): a + w * (b - a) for |w| < 0.5, else b - (1 - w) * (b - a)."""
    t = a.dtype.type
    w = t(w)
    diff = b - a
    if abs(w) < 0.5:
        return fma_(a, w, diff, a)
    return fma_(a, w - t(1), diff, b)


def addcmul_(a, b, c, value):
    """a.addcmul_(b, c, value=value): a + (value * b) * c, fused."""
    t = a.dtype.type
    return fma_(a, t(value) * b, c, a)
