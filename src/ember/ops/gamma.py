"""The gamma family and erfinv: lgamma, digamma, polygamma, mvlgamma, erfinv.

Forwards on float64 arrays (rounded once to the input's dtype); each backward is the next op
of the family (lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1),
erfinv' from its output), written with ember's ops so higher derivatives follow.
"""

import math

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor
from ..autograd.graph import FREED_MESSAGE, name_saved
from ._inplace import apply_inplace
from ._nn_common import as_kernel, kept, kernel_node
from ._op import check_tensor, formula_node, record

__all__ = ["digamma", "erfinv", "lgamma", "mvlgamma", "polygamma"]


def _float_input(input, name):
    d = input._data if isinstance(input, Tensor) else check_tensor(input, name)
    if d.dtype.kind in "fV":
        return d, d.dtype
    if d.dtype.kind == "c":
        raise NotImplementedError(f"\"{name}_vml_cpu\" not implemented for "
                                  f"'Complex{'Double' if d.itemsize == 16 else 'Float'}'")
    return d, get_default_dtype().np


_lgamma_scalar = np.vectorize(
    lambda v: math.inf if v <= 0 and v == math.floor(v) else math.lgamma(v),
    otypes=[np.float64])


def _digamma64(x):
    x = np.array(x, dtype=np.float64)
    out = np.empty_like(x)
    pole = (x <= 0) & (x == np.floor(x))
    reflect = (x < 0.5) & ~pole
    z = np.where(reflect, 1 - x, x)
    acc = np.zeros_like(z)
    for _ in range(10):  # recurrence psi(z) = psi(z + 1) - 1/z up to z >= 10
        small = z < 10
        acc = np.where(small, acc - 1 / np.where(small, z, 1), acc)
        z = np.where(small, z + 1, z)
    inv2 = 1 / (z * z)
    series = np.log(z) - 0.5 / z - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (
        1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132)))))
    out = acc + series
    with np.errstate(all="ignore"):
        out = np.where(reflect, out - math.pi / np.tan(math.pi * x), out)
    out = np.where(pole, np.where(x == 0, -np.inf, np.nan), out)
    return out


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _hurwitz_zeta(s, q):
    """zeta(s, q) for s > 1, q > 0 (Euler-Maclaurin with 16 terms and 7 corrections)."""
    n = 16
    total = np.zeros_like(q)
    for k in range(n):
        total += (q + k) ** -s
    a = q + n
    total += a ** (1 - s) / (s - 1) + 0.5 * a ** -s
    factor = s * a ** (-s - 1)  # s (s+1) ... (s+2j-2) a^(-s-2j+1) / (2j)!, built step by step
    fact = 1.0
    for j, b in enumerate(_BERNOULLI, start=1):
        fact *= (2 * j - 1) * (2 * j) if j > 1 else 2
        total += b / fact * factor
        factor = factor * (s + 2 * j - 1) * (s + 2 * j) / (a * a)
    return total


def _polygamma64(n, x):
    if n == 0:
        return _digamma64(x)
    x = np.array(x, dtype=np.float64)
    pole = (x <= 0) & (x == np.floor(x))
    sign = (-1) ** (n + 1) * math.factorial(n)
    z = x.copy()
    shift = np.zeros_like(z)
    while (z <= 0).any():  # psi_n(z) = psi_n(z + 1) + (-1)^(n+1) n! / z^(n+1)
        neg = z <= 0
        with np.errstate(all="ignore"):
            shift = np.where(neg & ~pole, shift + sign / np.where(neg, z, 1) ** (n + 1), shift)
        z = np.where(neg, z + 1, z)
    out = sign * _hurwitz_zeta(n + 1, z) + shift
    return np.where(pole, np.inf if n % 2 else -np.inf, out)


def _erfinv64(y):
    y = np.array(y, dtype=np.float64)
    w = -np.log((1 - y) * (1 + y))
    # Giles' single-precision approximation, then two Newton steps on erf
    small = w < 5
    ws = w - 2.5
    p1 = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p1 = c + p1 * ws
    wl = np.sqrt(np.where(small, 5, w)) - 3
    p2 = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p2 = c + p2 * wl
    x = np.where(small, p1, p2) * y
    erf = np.vectorize(math.erf, otypes=[np.float64])
    for _ in range(2):
        with np.errstate(all="ignore"):
            x = x - (erf(x) - y) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
    x = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, x))
    return np.where(np.abs(y) > 1, np.nan, x)


_Lgamma = formula_node("LgammaBackward0", lambda g, x: g * digamma(x), elementwise=True)
_Digamma = formula_node("DigammaBackward0", lambda g, x: g * polygamma(1, x), elementwise=True)
_Polygamma = formula_node("PolygammaBackward0", lambda g, n, x: g * polygamma(n + 1, x),
                          elementwise=True)
# erfinv keeps its input as PyTorch does (its formula reads the output, which ember keeps too)
_Erfinv = formula_node("ErfinvBackward0",
                       lambda g, x, y: g * (math.sqrt(math.pi) / 2) * (y * y).exp(),
                       elementwise=True)
name_saved(_Lgamma, self=0)
name_saved(_Digamma, self=0)
name_saved(_Polygamma, n=0, self=1)
name_saved(_Erfinv, self=0)


def lgamma(input):
    d, dt = _float_input(input, "lgamma")
    out = _lgamma_scalar(d.astype(np.float64)).astype(dt)
    return record(out, _Lgamma, (input,), (input,))


def digamma(input):
    d, dt = _float_input(input, "digamma")
    return record(_digamma64(d).astype(dt), _Digamma, (input,), (input,))


def polygamma(n, input):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    d, dt = _float_input(input, "polygamma")
    return record(_polygamma64(n, d).astype(dt), _Polygamma, (input,), (n, input))


def erfinv(input):
    d, dt = _float_input(input, "erfinv")
    out = _erfinv64(d).astype(dt)
    return record(out, _Erfinv, (input,), (input,), save_out=True)


def mvlgamma(input, p):
    """The multivariate log-gamma function: a sum of p lgamma terms, recorded as PyTorch's
    one MvlgammaBackward0 node."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return as_kernel(_K_mvlgamma, (input,), _mvlgamma, input, p)


_K_mvlgamma = kernel_node("MvlgammaBackward0")  # PyTorch's kernel: one node


def call_arg(i, number=False):
    """A kernel node's (``as_kernel``) field: the i-th argument of the call it holds (a 0-d
    tensor as a Python number, ``number``, where PyTorch's overload took a Scalar); raises once
    backward freed the call, as PyTorch's saved values do."""
    def value(node):
        inner = node._inner
        if inner is None:
            raise RuntimeError(FREED_MESSAGE)
        v = kept(inner[1][i])
        return v.item() if number else v

    return value


name_saved(_K_mvlgamma, self=call_arg(0), p=call_arg(1))


def _mvlgamma(input, p):
    total = lgamma(input)
    for i in range(1, p):
        total = total + lgamma(input - i / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def _inplace(fn, *extra):
    def method(self, *args):
        return apply_inplace(self, lambda s: fn(*args, s) if fn is polygamma else fn(s, *args))

    method.__name__ = fn.__name__ + "_"
    return method


TENSOR_METHODS = {
    "lgamma": lgamma, "digamma": digamma, "erfinv": erfinv,
    "polygamma": lambda self, n: polygamma(n, self), "mvlgamma": mvlgamma,
    "lgamma_": _inplace(lgamma), "digamma_": _inplace(digamma), "erfinv_": _inplace(erfinv),
    "polygamma_": _inplace(polygamma), "mvlgamma_": _inplace(mvlgamma),
}
