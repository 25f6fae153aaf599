"""torch.special's Bessel, Airy, error-function, incomplete-gamma, zeta and polynomial families.

The forwards run on float64 arrays in NumPy alone (series, asymptotic expansions, continued
fractions, trapezoid sums of integral representations, Taylor steps from tabulated nodes,
recurrences), vectorised over the elements, and are rounded once to the result's dtype. The
ops PyTorch differentiates (i0, i0e, i1, i1e, erfcx, log_ndtr, ndtri, and igamma, igammac and
zeta in their second argument) have formula nodes whose backward is written with ember's ops,
so higher derivatives follow; the others return tensors that do not require grad, as
PyTorch's do.
"""

import math

import numpy as np

from .._dtype import from_np, get_default_dtype, result_type
from .._tensor import Tensor, _make
from ..autograd.graph import name_saved
from ._inplace import apply_inplace
from ._op import broadcast_shapes_error, check_tensor, formula_node, record, unsupported
from .elementwise import where
from .gamma import lgamma

__all__ = [
    "i0", "i0_", "igamma", "igammac",
    "special_airy_ai", "special_bessel_j0", "special_bessel_j1", "special_bessel_y0",
    "special_bessel_y1",
    "special_chebyshev_polynomial_t", "special_chebyshev_polynomial_u",
    "special_chebyshev_polynomial_v", "special_chebyshev_polynomial_w", "special_erfcx",
    "special_gammainc", "special_gammaincc", "special_hermite_polynomial_h",
    "special_hermite_polynomial_he", "special_i0", "special_i0e", "special_i1", "special_i1e",
    "special_laguerre_polynomial_l", "special_legendre_polynomial_p", "special_log_ndtr",
    "special_modified_bessel_i0", "special_modified_bessel_i1", "special_modified_bessel_k0",
    "special_modified_bessel_k1", "special_ndtri", "special_scaled_modified_bessel_k0",
    "special_scaled_modified_bessel_k1", "special_shifted_chebyshev_polynomial_t",
    "special_shifted_chebyshev_polynomial_u", "special_shifted_chebyshev_polynomial_v",
    "special_shifted_chebyshev_polynomial_w", "special_spherical_bessel_j0", "special_zeta",
]


_EULER = 0.5772156649015329


def _asym_coeffs(nu, n):
    """a_k(nu) = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! 8^k), k = 0..n-1."""
    out = [1.0]
    for k in range(1, n):
        out.append(out[-1] * (4 * nu * nu - (2 * k - 1) ** 2) / (k * 8))
    return out


_I_SERIES_MAX = 25.0
_ASYM = {nu: _asym_coeffs(nu, 40) for nu in (0, 1)}


def _bessel_i(nu, x, scaled):
    """I_nu(x) (nu = 0 or 1), or exp(-|x|) I_nu(x) when ``scaled``; float64 arrays."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    small = ax <= _I_SERIES_MAX
    z = np.where(small, ax, 0.0)
    q = z * z / 4
    term = np.ones_like(z) if nu == 0 else z / 2
    total = term.copy()
    for k in range(1, 64):
        term = term * q / (k * (k + nu))
        total += term
    if scaled:
        total = total * np.exp(-z)
    big = ~small
    if big.any():
        zb = np.where(big, ax, 1.0)
        inv = 1 / zb
        s = np.zeros_like(zb)
        for k in range(35, -1, -1):  # sum (-1)^k a_k(nu) / x^k
            s = s * inv + (-1) ** k * _ASYM[nu][k]
        val = s / np.sqrt(2 * math.pi * zb)
        if not scaled:
            val = val * np.exp(zb)
        total = np.where(big, val, total)
    if nu == 1:
        total = np.where(x < 0, -total, total)
    return np.where(np.isnan(x), np.nan, total)


_K_H = 0.125
# the trapezoid's nodes for 2 < x <= 25: x (cosh t - 1) > 40 by t = 4.9
_K_T = np.arange(0, 40) * _K_H
_K_SINH2 = 2 * np.sinh(_K_T / 2) ** 2  # cosh t - 1
_K_COSH = np.cosh(_K_T)
_K_SERIES_MAX = 2.0
_K_ASYM_MIN = 25.0


def _bessel_k(nu, x, scaled):
    """K_nu(x) (nu = 0 or 1), or exp(x) K_nu(x) when ``scaled``; float64 arrays."""
    x = np.asarray(x, np.float64)
    out = np.full_like(x, np.nan)
    small = (x > 0) & (x <= _K_SERIES_MAX)
    if small.any():
        z = x[small]
        q = z * z / 4
        lg = np.log(z / 2)
        if nu == 0:
            term = np.ones_like(z)
            psi = -_EULER
            total = psi * term
            for k in range(1, 30):
                term = term * q / (k * k)
                psi += 1 / k
                total += psi * term
            v = total - lg * _bessel_i(0, z, False)
        else:
            term = np.ones_like(z)
            psi_a, psi_b = -_EULER, 1 - _EULER  # psi(k + 1), psi(k + 2)
            total = (psi_a + psi_b) * term
            for k in range(1, 30):
                term = term * q / (k * (k + 1))
                psi_a += 1 / k
                psi_b += 1 / (k + 1)
                total += (psi_a + psi_b) * term
            v = 1 / z + lg * _bessel_i(1, z, False) - z / 4 * total
        out[small] = v * np.exp(z) if scaled else v
    mid = (x > _K_SERIES_MAX) & (x <= _K_ASYM_MIN)
    if mid.any():
        z = x[mid][:, None]
        f = np.exp(-z * _K_SINH2)
        if nu == 1:
            f = f * _K_COSH
        v = _K_H * (f.sum(axis=1) - f[:, 0] / 2)
        out[mid] = v if scaled else v * np.exp(-x[mid])
    big = x > _K_ASYM_MIN
    if big.any():
        z = x[big]
        inv = 1 / z
        s = np.zeros_like(z)
        for c in reversed(_ASYM[nu][:30]):
            s = s * inv + c
        v = np.sqrt(math.pi / (2 * z)) * s
        out[big] = v if scaled else v * np.exp(-z)
    out[x == 0] = np.inf
    out[x == np.inf] = 0.0
    return out


_SQRT_PI = math.sqrt(math.pi)
_ERFCX_STEP = 1 / 8
_ERFCX_TAYLOR_MAX = 12.0


def _exp_sq(x, sign):
    """exp(sign * x * x) without the rounding error of x * x (x split into exact halves)."""
    hi = (x * 134217729.0) - ((x * 134217729.0) - x)
    lo = x - hi
    return np.exp(sign * (hi * hi)) * np.exp(sign * (2 * hi * lo + lo * lo))


_erfcx_nodes = None


def _erfcx_node_values():
    global _erfcx_nodes
    if _erfcx_nodes is None:
        n = int(_ERFCX_TAYLOR_MAX / _ERFCX_STEP) + 2
        _erfcx_nodes = np.array([math.exp((k * _ERFCX_STEP) ** 2) * math.erfc(k * _ERFCX_STEP)
                                 for k in range(n)])
    return _erfcx_nodes


def _erfcx_pos(z):
    """erfcx on a 1-d float64 array of values >= 0 (no nan)."""
    out = np.empty_like(z)
    near = z <= _ERFCX_TAYLOR_MAX
    zn = z[near]
    # Taylor series at the nearest node x0 = k/8: y' = 2 x y - 2/sqrt(pi) gives
    # (j + 1) a_(j+1) = 2 x0 a_j + 2 a_(j-1)
    k = np.rint(zn * (1 / _ERFCX_STEP))
    x0 = k * _ERFCX_STEP
    h = zn - x0
    a_prev = _erfcx_node_values()[k.astype(np.intp)]
    a = 2 * x0 * a_prev - 2 / _SQRT_PI
    coefs = [a_prev, a]
    for j in range(1, 22):
        a_prev, a = a, (2 * x0 * a + 2 * a_prev) / (j + 1)
        coefs.append(a)
    total = coefs[-1]
    for c in reversed(coefs[:-1]):
        total = total * h + c
    out[near] = total
    far = ~near
    if far.any():
        zf = z[far]
        frac = zf  # Laplace's continued fraction, evaluated from the bottom
        for j in range(40, 0, -1):
            frac = zf + (j / 2) / frac
        out[far] = 1 / (_SQRT_PI * frac)
    return out


def _apply(fn, x, nan_out=np.nan):
    """fn on the finite-or-inf, non-nan values of x (flattened), nan elsewhere."""
    x = np.asarray(x, np.float64)
    flat = x.reshape(-1)
    out = np.full_like(flat, nan_out)
    ok = ~np.isnan(flat)
    out[ok] = fn(flat[ok])
    return out.reshape(x.shape)


def _erfcx_values(v):
    az = np.abs(v)
    fin = az < np.inf
    out = np.zeros_like(v)
    out[fin] = _erfcx_pos(az[fin])
    neg = v < 0
    out[neg] = 2 * _exp_sq(az[neg], 1) - out[neg]
    out[v == -np.inf] = np.inf
    return out


def _erfcx64(x):
    """exp(x^2) _erfc64(x) on float64 arrays."""
    return _apply(_erfcx_values, x)


def _erfc_values(v):
    az = np.abs(v)
    out = np.zeros_like(v)
    fin = az < 27.3  # _erfc64(27.3) underflows
    a = az[fin]
    out[fin] = _erfcx_pos(a) * _exp_sq(a, -1)
    neg = v < 0
    out[neg] = 2 - out[neg]
    return out


def _erfc64(x):
    """erfc with full relative accuracy in its tail (float64 arrays)."""
    return _apply(_erfc_values, x)


_ERF_TAYLOR = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) * 2 / _SQRT_PI for n in range(20)]


def _erf_values(v):
    """erf with full relative accuracy near 0."""
    out = np.empty_like(v)
    small = np.abs(v) < 0.5
    s = v[small]
    s2 = s * s
    total = np.zeros_like(s)
    for c in reversed(_ERF_TAYLOR):
        total = total * s2 + c
    out[small] = total * s
    big = ~small
    out[big] = np.copysign(1 - _erfc_values(np.abs(v[big])), v[big])
    return out


_SQRT1_2 = math.sqrt(0.5)


def _log_ndtr_values(v):
    out = np.empty_like(v)
    t = v * _SQRT1_2
    upper = v > -1
    tu = t[upper]
    c = _erfc_values(np.abs(tu)) / 2  # the smaller tail
    pos = tu > 0
    r = np.empty_like(tu)
    r[pos] = np.log1p(-c[pos])
    r[~pos] = np.log(c[~pos])
    out[upper] = r
    tl = -t[~upper]
    out[~upper] = np.log(_erfcx_values(tl) / 2) - tl * tl
    return out


def _log_ndtr64(x):
    """log of the standard normal distribution function."""
    return _apply(_log_ndtr_values, x)


# Abramowitz and Stegun 26.2.23: the starting point of the Newton steps (error < 4.5e-4)
_AS_NUM = (2.515517, 0.802853, 0.010328)
_AS_DEN = (1.432788, 0.189269, 0.001308)


def _ndtri_values(p):
    out = np.full_like(p, np.nan)
    upper = p > 0.5
    q = np.where(upper, 1 - p, p)  # exact for p in [0.5, 1]
    out[q == 0] = -np.inf
    inside = (q > 0) & (q <= 0.5)
    qs = q[inside]
    t = np.sqrt(-2 * np.log(qs))
    x = -(t - (_AS_NUM[0] + t * (_AS_NUM[1] + t * _AS_NUM[2]))
          / (1 + t * (_AS_DEN[0] + t * (_AS_DEN[1] + t * _AS_DEN[2]))))
    central = qs > 0.1
    # central: Halley steps on erf(x / sqrt(2)) = 2 q - 1 (exact), accurate near x = 0
    xc = x[central]
    target = 2 * qs[central] - 1
    for _ in range(3):
        u = (_erf_values(xc * _SQRT1_2) - target) * math.sqrt(math.pi / 2) * np.exp(xc * xc / 2)
        xc = xc - u / (1 + xc * u / 2)
    x[central] = xc
    # tails: Halley steps on log(ndtr(x)) = log(q)
    xt = x[~central]
    lq = np.log(qs[~central])
    for _ in range(3):
        ln = _log_ndtr_values(xt)
        r = np.exp(-xt * xt / 2 - ln) / math.sqrt(2 * math.pi)  # ndtr' / ndtr
        u = (ln - lq) / r
        xt = xt - u / (1 + u * (xt + r) / 2)
    x[~central] = xt
    out[inside] = x
    return np.where(upper, -out, out)


def _ndtri64(p):
    """The inverse of the standard normal distribution function."""
    return _apply(_ndtri_values, p)


def _lgamma_pos(z):
    """log Gamma(z) for z > 0 (float64 arrays): recurrence up to z >= 10, then Stirling."""
    z = np.array(z, dtype=np.float64)
    prod = np.ones_like(z)
    for _ in range(10):
        small = z < 10
        prod = np.where(small, prod * z, prod)
        z = np.where(small, z + 1, z)
    inv = 1 / z
    inv2 = inv * inv
    series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (
        1 / 1680 - inv2 * (1 / 1188 - inv2 * (691 / 360360 - inv2 / 156))))))
    return (z - 0.5) * np.log(z) - z + 0.5 * math.log(2 * math.pi) + series - np.log(prod)


def _igamma_pair(a, x):
    """(P(a, x), Q(a, x)) for a > 0, 0 < x < inf (1-d float64 arrays)."""
    p = np.empty_like(a)
    q = np.empty_like(a)
    ser = x < a + 1
    # series: P = x^a e^-x / Gamma(a + 1) * sum x^n / ((a + 1) ... (a + n))
    aa, xx = a[ser], x[ser]
    term = np.ones_like(aa)
    total = term.copy()
    den = aa.copy()
    live = np.ones(aa.shape, bool)
    for _ in range(100000):
        den = den + 1
        term = np.where(live, term * xx / den, 0.0)
        total += term
        live &= term > total * 1e-17
        if not live.any():
            break
    pv = np.exp(aa * np.log(xx) - xx - _lgamma_pos(aa + 1)) * total
    p[ser], q[ser] = pv, 1 - pv
    # continued fraction for Q (modified Lentz)
    aa, xx = a[~ser], x[~ser]
    tiny = 1e-300
    b = xx + 1 - aa
    c = np.full_like(aa, 1 / tiny)
    d = 1 / b
    h = d.copy()
    live = np.ones(aa.shape, bool)
    for i in range(1, 100000):
        an = -i * (i - aa)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = np.where(live, d * c, 1.0)
        h = h * delta
        live &= np.abs(delta - 1) > 1e-17
        if not live.any():
            break
    qv = np.exp(aa * np.log(xx) - xx - _lgamma_pos(aa)) * h
    q[~ser], p[~ser] = qv, 1 - qv
    return p, q


def _igamma64(a, x, upper):
    """The regularized lower (or upper) incomplete gamma function on broadcast float64 arrays."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    out = np.full(a.shape, np.nan)
    inner = (a > 0) & (x > 0) & (a < np.inf) & (x < np.inf)
    p, q = _igamma_pair(a[inner], x[inner])
    out[inner] = q if upper else p
    low, high = (1.0, 0.0) if upper else (0.0, 1.0)
    out[(a > 0) & (x == 0)] = low
    out[(a == 0) & (x > 0)] = high
    out[(a > 0) & (a < np.inf) & (x == np.inf)] = high
    out[(a == np.inf) & (x >= 0) & (x < np.inf)] = low
    return out.reshape(shape)


_ZETA_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _zeta64(s, q):
    """The Hurwitz zeta function sum_k (k + q)^-s on broadcast float64 arrays."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    shape = s.shape
    s, q = s.reshape(-1), q.reshape(-1)
    out = np.full(s.shape, np.nan)
    pole = (q <= 0) & (q == np.floor(q))
    ok = (s > 1) & (s < np.inf) & (q < np.inf) & ~pole & ((q > 0) | (s == np.floor(s)))
    ss, z = s[ok], q[ok].copy()
    total = np.zeros_like(z)
    n = 16
    while True:  # direct terms until every q + k >= 16
        near = z < n
        if not near.any():
            break
        total = np.where(near, total + np.where(near, z, 1.0) ** -ss, total)
        z = np.where(near, z + 1, z)
    # Euler-Maclaurin for the rest of the sum, from a = z
    total += z ** (1 - ss) / (ss - 1) + 0.5 * z ** -ss
    factor = ss * z ** (-ss - 1)
    fact = 2.0
    for j, b in enumerate(_ZETA_BERNOULLI, start=1):
        total += b / fact * factor
        factor = factor * (ss + 2 * j - 1) * (ss + 2 * j) / (z * z)
        fact *= (2 * j + 1) * (2 * j + 2)
    out[ok] = total
    out[(s == 1) & ~np.isnan(q)] = np.inf
    out[(s == np.inf) & (q == 1)] = 1.0
    out[pole & (s > 1)] = np.inf
    return out.reshape(shape)
_INT64_MIN = np.iinfo(np.int64).min


def _degree(n):
    """n as PyTorch's kernels read it: truncated to int64 (nan, inf and overflow: negative)."""
    n = np.asarray(n)
    if n.dtype.kind in "biu":
        return n.astype(np.int64)
    fine = np.isfinite(n) & (np.abs(n) < 2.0 ** 63)
    return np.where(fine, np.trunc(np.where(fine, n, 0)), _INT64_MIN).astype(np.int64)


def _recurrence(x, n, p, q, step):
    """Run q_(k+1) = step(k, p_k, q_k) for k = 1 .. n - 1 per element (q starts as the
    degree-1 value, p the degree-0 value); elements whose n <= 1 keep q."""
    top = int(n.max(initial=1))
    k = 1
    while k < top:
        live = n > k
        r = step(k, p, q)
        p, q = np.where(live, q, p), np.where(live, r, q)
        k += 1
        if k % 64 == 0 and not np.isfinite(q[n > k]).any():
            break  # every unfinished value has overflowed: the recurrence keeps it nan/inf
    return q


def _trig_theta(x):
    with np.errstate(invalid="ignore"):
        return np.arccos(np.clip(x, -1, 1))


def _polynomial(kind, x, n):
    """The orthogonal polynomials of torch.special on broadcast float64 x and degree n."""
    x, n = np.broadcast_arrays(np.asarray(x, np.float64), _degree(n))
    x, n = x.astype(np.float64), n.copy()
    shifted = kind.startswith("shifted_")
    base = kind[len("shifted_"):] if shifted else kind
    y = 2 * x - 1 if shifted else x  # torch computes x + x - 1
    one = np.ones_like(x)
    if base == "t":
        first, step = y, lambda k, p, q: (y + y) * q - p
    elif base == "u":
        first, step = y + y, lambda k, p, q: (y + y) * q - p
    elif base == "v":
        first, step = y + y - 1, lambda k, p, q: (y + y) * q - p
    elif base == "w":
        first, step = y + y + 1, lambda k, p, q: (y + y) * q - p
    elif base == "h":
        first, step = x + x, lambda k, p, q: (x + x) * q - (2 * k) * p
    elif base == "he":
        first, step = x, lambda k, p, q: x * q - k * p
    elif base == "l":
        first, step = 1 - x, lambda k, p, q: ((2 * k + 1 - x) * q - k * p) / (k + 1)
    else:  # legendre
        first, step = x, lambda k, p, q: ((2 * k + 1) * x * q - k * p) / (k + 1)
    out = _recurrence(x, n, one, first, step)
    out = np.where(n == 0, 1.0, out)
    even = n % 2 == 0
    if base in ("t", "u", "v", "w"):
        big = (n > (6 if base == "t" or shifted else 8)) & (np.abs(y) < 1)
        if big.any():
            th = _trig_theta(y)
            nf = n.astype(np.float64)
            with np.errstate(all="ignore"):
                if base == "t":
                    trig = np.cos(nf * th)
                elif base == "u":
                    s = np.sin(th)
                    trig = np.where(s != 0, np.sin((nf + 1) * th) / s,
                                    (nf + 1) * np.cos((nf + 1) * th) / y)
                elif base == "v":
                    trig = np.cos((nf + 0.5) * th) / np.cos(th / 2)
                else:
                    trig = np.sin((nf + 0.5) * th) / np.sin(th / 2)
            out = np.where(big, trig, out)
        nf = n.astype(np.float64)
        signed = np.where(even, nf + 1, -(nf + 1))
        at_one = {"t": 1.0, "u": nf + 1, "v": 1.0, "w": nf + nf + 1}[base]
        at_minus = {"t": np.where(even, 1.0, -1.0), "u": signed,
                    "v": np.where(even, nf + nf + 1, -(nf + nf + 1)),
                    "w": np.where(even, 1.0, -1.0)}[base]
        out = np.where(y == 1, at_one, np.where(y == -1, at_minus, out))
    elif base == "l":
        out = np.where(x == 0, 1.0, out)
    elif base == "p":
        out = np.where(x == 1, 1.0, np.where(x == -1, np.where(even, 1.0, -1.0), out))
    return np.where(n < 0, 0.0, out)


_SJ0_TAYLOR = [(-1) ** k / math.factorial(2 * k + 1) for k in range(10)]


def _spherical_j0(x):
    x = np.asarray(x, np.float64)
    small = np.abs(x) < 0.5
    x2 = x * x
    series = np.zeros_like(x)
    for c in reversed(_SJ0_TAYLOR):
        series = series * x2 + c
    with np.errstate(all="ignore"):
        out = np.where(small, series, np.sin(x) / x)
    return np.where(np.isinf(x), 0.0, out)


# -- Bessel J and Y of orders 0 and 1, the Airy function Ai ------------------------------------
# 1 <= x <= 20 (Airy: |x| <= 10): Taylor steps (|h| <= 1/16) from nodes k/8 whose values come
# from the power series in 60-digit decimal arithmetic (computed on first use); below: the power
# series in float64; beyond: the asymptotic expansions, their phase from sin and cos of x (of
# zeta held as two doubles for Ai), so that large arguments keep their accuracy.
_PI_D = "3.1415926535897932384626433832795028841971693993751058209749446"
_EULER_D = "0.57721566490153286060651209008240243104215933593992359880576723"
_AI0_D = "0.35502805388781723926006318600418317639797917419917724058332651"  # Ai(0)
_AIP0_D = "0.25881940379280679840518356018920396347909113835493458221000181"  # -Ai'(0)
_NODE_STEP = 8  # nodes per unit
_J_NODES = (8, 160)  # k of the nodes k/8 of J and Y
_AI_NODES = (-80, 80)
_TAYLOR_TERMS = 18
_LN2 = math.log(2)
_node_tables = {}


def _decimal_bessel(k):
    """J0, J1, Y0, Y1 at x = k/8 as floats, from the power series in decimal arithmetic."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 60
        D = decimal.Decimal
        x = D(k) / _NODE_STEP
        q = x * x / 4
        tiny = D(10) ** -58
        t = s = D(1)  # (-q)^j / (j!)^2 and (-q)^j / (j! (j + 1)!)
        j0 = j1 = D(1)
        h_prev, h = D(0), D(1)  # H_j and H_(j + 1)
        y0 = D(0)
        y1 = h  # (H_0 + H_1) s_0
        j = 0
        while abs(t) > tiny or abs(s) > tiny or j < 4:
            j += 1
            t = -t * q / (j * j)
            s = -s * q / (j * (j + 1))
            h_prev, h = h, h + D(1) / (j + 1)
            j0 += t
            j1 += s
            y0 += h_prev * t
            y1 += (h_prev + h) * s
        pi, gamma = D(_PI_D), D(_EULER_D)
        j1 = x / 2 * j1
        lg = (x / 2).ln() + gamma
        y0v = 2 / pi * (lg * j0 - y0)
        y1v = 2 / pi * lg * j1 - 2 / (pi * x) - x / (2 * pi) * y1
        return float(j0), float(j1), float(y0v), float(y1v)


def _decimal_airy(k):
    """Ai and Ai' at x = k/8 as floats, from the Maclaurin series in decimal arithmetic."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 60
        D = decimal.Decimal
        x = D(k) / _NODE_STEP
        x3 = x * x * x
        f, g, fd, gd = D(1), x, x * x / 2, D(1)  # the terms of f, g, f', g'
        sf, sg, sfd, sgd = f, g, fd, gd
        tiny = D(10) ** -70
        n = 0
        while n < 4 or max(abs(f), abs(g), abs(fd), abs(gd)) > tiny:
            n += 1
            f = f * x3 / ((3 * n - 1) * (3 * n))
            g = g * x3 / ((3 * n) * (3 * n + 1))
            fd = fd * x3 / ((3 * n + 2) * (3 * n))
            gd = gd * x3 / ((3 * n) * (3 * n - 2))
            sf, sg, sfd, sgd = sf + f, sg + g, sfd + fd, sgd + gd
        c1, c2 = D(_AI0_D), D(_AIP0_D)
        return float(c1 * sf - c2 * sg), float(c1 * sfd - c2 * sgd)


def _nodes(kind):
    """The node table of ``kind`` ("bessel": J0, J1, Y0, Y1; "airy": Ai, Ai'), by node."""
    table = _node_tables.get(kind)
    if table is None:
        lo, hi = _J_NODES if kind == "bessel" else _AI_NODES
        fn = _decimal_bessel if kind == "bessel" else _decimal_airy
        table = _node_tables[kind] = np.array([fn(k) for k in range(lo, hi + 1)]).T.copy()
    return table


def _bessel_taylor(k, h, c0, c1):
    """y(x0 + h) and y'(x0 + h) of a solution of x^2 y'' + x y' + x^2 y = 0 (order 0) from
    y(x0) = c0, y'(x0) = c1, x0 = k / 8 (1-d float64 arrays)."""
    x0 = k / _NODE_STEP
    xx = x0 * x0
    coef = [0.0, 0.0, c0, c1]  # c_(j-2) .. c_(j+1) end the list at step j
    for j in range(_TAYLOR_TERMS - 2):
        cm2, cm1, c, cp = coef[-4:]
        coef.append(-((j + 1) * (2 * j + 1) * x0 * cp + (j * j + xx) * c + 2 * x0 * cm1 + cm2)
                    / ((j + 2) * (j + 1) * xx))
    coef = coef[2:]
    val = coef[-1]
    der = (len(coef) - 1) * coef[-1]
    for j in range(len(coef) - 2, -1, -1):
        val = val * h + coef[j]
        if j:
            der = der * h + j * coef[j]
    return val, der


def _hankel_pq(nu, z):
    """Hankel's P and Q of order nu (0 or 1) at z >= 20 (1-d float64 arrays)."""
    a = _ASYM[nu]
    w = -1 / (z * z)
    p = np.zeros_like(z)
    q = np.zeros_like(z)
    for k in range(_HANKEL_TERMS - 1, -1, -1):
        p = p * w + a[2 * k]
        q = q * w + a[2 * k + 1]
    return p, q / z


_HANKEL_TERMS = 14  # of P and of Q: 28 of the expansion's coefficients


def _bessel_jy(x, which):
    """J0, J1, Y0 or Y1 (``which`` "j0", "j1", "y0", "y1") on float64 arrays."""
    x = np.asarray(x, np.float64)
    flat = x.reshape(-1)
    ax = np.abs(flat)
    order = int(which[1])
    out = np.full_like(flat, np.nan)
    k = np.rint(np.minimum(ax, 1e9) * _NODE_STEP)
    series = ax < (_J_NODES[0] - 0.5) / _NODE_STEP
    taylor = (k >= _J_NODES[0]) & (k <= _J_NODES[1])
    asym = (k > _J_NODES[1]) & (ax < np.inf)
    if series.any():
        z = ax[series]
        q = -z * z / 4
        t = np.ones_like(z)
        s = np.ones_like(z)
        sj0, sj1, sy0, sy1 = t.copy(), s.copy(), np.zeros_like(z), s.copy()
        h = 1.0
        for j in range(1, 14):
            t = t * q / (j * j)
            s = s * q / (j * (j + 1))
            h_next = h + 1 / (j + 1)
            sj0 += t
            sj1 += s
            sy0 += h * t
            sy1 += (h + h_next) * s
            h = h_next
        j1 = z * (sj1 / 2)
        if which == "j0":
            v = sj0
        elif which == "j1":
            v = j1
        else:
            with np.errstate(divide="ignore"):
                lg = np.log(z) - _LN2 + _EULER
                if which == "y0":
                    v = 2 / math.pi * (lg * sj0 - sy0)
                else:
                    v = 2 / math.pi * lg * j1 - (2 / math.pi) / z - z / (2 * math.pi) * sy1
        out[series] = v
    if taylor.any():
        kk = k[taylor]
        idx = (kk - _J_NODES[0]).astype(np.intp)
        table = _nodes("bessel")
        f0, f1 = (table[0], table[1]) if which[0] == "j" else (table[2], table[3])
        val, der = _bessel_taylor(kk, ax[taylor] - kk / _NODE_STEP, f0[idx], -f1[idx])
        out[taylor] = val if order == 0 else -der
    if asym.any():
        z = ax[asym]
        p, q = _hankel_pq(order, z)
        c, s = np.cos(z), np.sin(z)
        if order == 0:
            cw, sw = c + s, s - c  # sqrt(2) cos(z - pi/4), sqrt(2) sin(z - pi/4)
        else:
            cw, sw = s - c, -(s + c)  # the same at z - 3 pi/4
        amp = 1 / np.sqrt(math.pi * z)
        out[asym] = amp * (p * cw - q * sw) if which[0] == "j" else amp * (p * sw + q * cw)
    if which[0] == "y":
        out = np.where(flat < 0, np.nan, np.where(flat == 0, -np.inf, out))
    elif order == 1:
        out = np.where(np.signbit(flat), -out, out)  # J1 is odd (and J1(-0) = -0)
    return out.reshape(x.shape)


_U = [1.0]  # the coefficients u_k of the Airy functions' asymptotic expansions
for _k in range(1, 40):
    _U.append(_U[-1] * (6 * _k - 5) * (6 * _k - 3) * (6 * _k - 1) / ((2 * _k - 1) * 216 * _k))
_AI_TERMS = 30
_TWO_THIRDS_LO = 3.700743415417188e-17  # 2/3 - float(2/3)
_AI_ZERO_ABOVE = 103.892  # PyTorch's Ai is 0 past here (the subnormal tail)


def _split(a):
    c = a * 134217729.0
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _zeta(z):
    """2/3 z^(3/2) as the unevaluated sum hi + lo of two doubles (z > 0)."""
    s = np.sqrt(z)
    p, e = _two_prod(s, s)
    s_lo = ((z - p) - e) / (2 * s)
    t, t_e = _two_prod(z, s)
    t_lo = t_e + z * s_lo
    hi, e = _two_prod(t, 2 / 3)
    lo = e + t * _TWO_THIRDS_LO + t_lo * (2 / 3)
    total = hi + lo
    lo = lo - (total - hi)
    return total, np.where(np.isfinite(lo), lo, 0.0)


def _airy_taylor(k, h, c0, c1):
    """Ai(x0 + h) from Ai(x0) = c0, Ai'(x0) = c1, x0 = k / 8 (y'' = x y)."""
    x0 = k / _NODE_STEP
    coef = [c0, c1, x0 * c0 / 2]
    for m in range(3, _TAYLOR_TERMS):
        coef.append((x0 * coef[m - 2] + coef[m - 3]) / (m * (m - 1)))
    val = coef[-1]
    for c in reversed(coef[:-1]):
        val = val * h + c
    return val


def _airy_ai(x):
    """Ai on float64 arrays."""
    x = np.asarray(x, np.float64)
    flat = x.reshape(-1)
    out = np.full_like(flat, np.nan)
    k = np.rint(np.clip(flat, -1e9, 1e9) * _NODE_STEP)
    taylor = (k >= _AI_NODES[0]) & (k <= _AI_NODES[1])
    if taylor.any():
        kk = k[taylor]
        idx = (kk - _AI_NODES[0]).astype(np.intp)
        ai, aip = _nodes("airy")
        out[taylor] = _airy_taylor(kk, flat[taylor] - kk / _NODE_STEP, ai[idx], aip[idx])
    right = (k > _AI_NODES[1]) & (flat <= _AI_ZERO_ABOVE)
    if right.any():
        z = flat[right]
        hi, lo = _zeta(z)
        w = -1 / hi
        s = np.zeros_like(z)
        for u in reversed(_U[:_AI_TERMS]):
            s = s * w + u
        out[right] = np.exp(-hi) * np.exp(-lo) * s / (2 * _SQRT_PI * np.sqrt(np.sqrt(z)))
    out[(flat > _AI_ZERO_ABOVE) & (flat < np.inf)] = 0.0
    left = (k < _AI_NODES[0]) & (flat > -np.inf)
    if left.any():
        z = -flat[left]
        hi, lo = _zeta(z)
        w = -1 / (hi * hi)
        p = np.zeros_like(z)
        q = np.zeros_like(z)
        for j in range(_AI_TERMS // 2 - 1, -1, -1):
            p = p * w + _U[2 * j]
            q = q * w + _U[2 * j + 1]
        q = q / hi
        c, s = np.cos(hi), np.sin(hi)
        cl, sl = np.cos(lo), np.sin(lo)
        cz, sz = c * cl - s * sl, s * cl + c * sl  # cos and sin of zeta
        # sqrt(2) cos(zeta - pi/4) = cos + sin, sqrt(2) sin(zeta - pi/4) = sin - cos
        out[left] = (p * (cz + sz) + q * (sz - cz)) / (math.sqrt(2 * math.pi) * np.sqrt(np.sqrt(z)))
    return out.reshape(x.shape)


# -- the ops ----------------------------------------------------------------------------------
def _word(dt):
    return from_np[dt].word


def _unary_input(input, name, kernel, low, arg="input"):
    """input's array and the result's NumPy dtype (integers and bool give the default dtype;
    float16/bfloat16 only where PyTorch's CPU kernel takes them)."""
    check_tensor(input, name, arg)
    d = input._data
    k = d.dtype.kind
    if k == "c" or (not low and (d.dtype == np.float16 or k == "V")):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_word(d.dtype)}'")
    if k in "fV":
        return d, d.dtype
    return d, get_default_dtype().np


def _eps_where(x):
    eps = float(np.finfo(x._data.dtype).eps) if x._data.dtype.kind == "f" else 1e-7
    big = x.abs() > eps
    return big, where(big, x, eps)


def _no_half_backward(x, kernel):
    """PyTorch's CPU has no i1/i1e backward kernel for float16 and bfloat16."""
    d = x._data.dtype
    if d == np.float16 or d.kind == "V":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_word(d)}'")


def _i1_grad(g, x, y):
    _no_half_backward(x, "i1_backward")
    big, safe = _eps_where(x)
    return g * where(big, special_i0(safe) - y / safe, 0.5)


def _i1e_grad(g, x, y):
    _no_half_backward(x, "i1e_backward")
    big, safe = _eps_where(x)
    return g * where(big, special_i0e(safe) - y * (safe.sign() + 1 / safe), 0.5)


_I0Node = formula_node("I0Backward0", lambda g, x: g * special_i1(x), elementwise=True)
_I0eNode = formula_node("SpecialI0EBackward0",
                        lambda g, x, y: g * (special_i1e(x) - x.sign() * y), elementwise=True)
_I1Node = formula_node("SpecialI1Backward0", _i1_grad, elementwise=True)
_I1eNode = formula_node("SpecialI1EBackward0", _i1e_grad, elementwise=True)
_ErfcxNode = formula_node("SpecialErfcxBackward0",
                          lambda g, x, y: g * (2 * x * y - 2 / math.sqrt(math.pi)),
                          elementwise=True)
_LogNdtrNode = formula_node(
    "SpecialLogNdtrBackward0",
    lambda g, x, y: g / math.sqrt(2 * math.pi) * (-(y + x * x / 2)).exp(), elementwise=True)
_NdtriNode = formula_node("SpecialNdtriBackward0",
                          lambda g, y: g * math.sqrt(2 * math.pi) * (y * y / 2).exp(),
                          elementwise=True)
name_saved(_I0Node, self=0)
for _node in (_I0eNode, _I1Node, _I1eNode, _ErfcxNode, _LogNdtrNode):
    name_saved(_node, self=0, result=-1)
name_saved(_NdtriNode, result=-1)


def _differentiable(name, kernel_name, fn, node, low, saves_input=True):
    def op(input):
        d, dt = _unary_input(input, name, kernel_name, low)
        out = fn(d.astype(np.float64)).astype(dt)
        if saves_input:
            return record(out, node, (input,), (input,), save_out=node is not _I0Node)
        return record(out, node, (input,), (), save_out=True)

    op.__name__ = op.__qualname__ = name
    return op


def _plain(name, kernel_name, fn, arg="input"):
    """A non-differentiable op; ``arg`` is its argument's name in PyTorch ("input" or "x")."""
    if arg == "x":
        def op(x):
            d, dt = _unary_input(x, name, kernel_name, False, "x")
            return _make(np.asarray(fn(d.astype(np.float64))).astype(dt))
    else:
        def op(input):
            d, dt = _unary_input(input, name, kernel_name, False)
            return _make(np.asarray(fn(d.astype(np.float64))).astype(dt))

    op.__name__ = op.__qualname__ = name
    return op


def _i0_kernel(x):
    return _bessel_i(0, x, False)


i0 = _differentiable("i0", "i0_vml_cpu", _i0_kernel, _I0Node, True)
special_i0 = _differentiable("special_i0", "i0_vml_cpu", _i0_kernel, _I0Node, True)
special_i0e = _differentiable("special_i0e", "i0e_cpu", lambda x: _bessel_i(0, x, True),
                              _I0eNode, True)
special_i1 = _differentiable("special_i1", "i1_cpu", lambda x: _bessel_i(1, x, False),
                             _I1Node, True)
special_i1e = _differentiable("special_i1e", "i1e_cpu", lambda x: _bessel_i(1, x, True),
                              _I1eNode, True)
special_erfcx = _differentiable("special_erfcx", "erfcx_cpu", _erfcx64, _ErfcxNode, False)
special_log_ndtr = _differentiable("special_log_ndtr", "log_ndtr_cpu", _log_ndtr64, _LogNdtrNode,
                                   False)
special_ndtri = _differentiable("special_ndtri", "ndtri_cpu", _ndtri64, _NdtriNode, False,
                                saves_input=False)

special_modified_bessel_i0 = _plain("special_modified_bessel_i0", "modified_bessel_i0_cpu",
                                    lambda x: _bessel_i(0, x, False))
special_modified_bessel_i1 = _plain("special_modified_bessel_i1", "modified_bessel_i1_cpu",
                                    lambda x: _bessel_i(1, x, False))
special_modified_bessel_k0 = _plain("special_modified_bessel_k0", "modified_bessel_k0_cpu",
                                    lambda x: _bessel_k(0, x, False))
special_modified_bessel_k1 = _plain("special_modified_bessel_k1", "modified_bessel_k1_cpu",
                                    lambda x: _bessel_k(1, x, False))
special_scaled_modified_bessel_k0 = _plain(
    "special_scaled_modified_bessel_k0", "scaled_modified_bessel_k0_cpu",
    lambda x: _bessel_k(0, x, True))
special_scaled_modified_bessel_k1 = _plain(
    "special_scaled_modified_bessel_k1", "scaled_modified_bessel_k1_cpu",
    lambda x: _bessel_k(1, x, True))
special_spherical_bessel_j0 = _plain("special_spherical_bessel_j0", "spherical_bessel_j0_cpu",
                                     _spherical_j0, "x")


special_airy_ai = _plain("special_airy_ai", "airy_ai_cpu", _airy_ai, "x")
special_bessel_j0 = _plain("special_bessel_j0", "bessel_j0_cpu", lambda x: _bessel_jy(x, "j0"))
special_bessel_j1 = _plain("special_bessel_j1", "bessel_j1_cpu", lambda x: _bessel_jy(x, "j1"))
special_bessel_y0 = _plain("special_bessel_y0", "bessel_y0_cpu", lambda x: _bessel_jy(x, "y0"))
special_bessel_y1 = _plain("special_bessel_y1", "bessel_y1_cpu", lambda x: _bessel_jy(x, "y1"))


# -- two arguments ----------------------------------------------------------------------------
def _pair(name, kernel, a, b, names, tensors_only=False):
    """The arrays of a two-argument op (tensors or, where PyTorch allows, one number) and the
    result's NumPy dtype."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if tensors_only:
        check_tensor(a, name, names[0], 1)
        check_tensor(b, name, names[1], 2)
    elif not (ta or tb) or not all(isinstance(v, (Tensor, int, float)) for v in (a, b)):
        got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in (a, b))
        x, n = names
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({got}), but "
            f"expected one of:\n * (Tensor {x}, Tensor {n}, *, Tensor out = None)\n"
            f" * (Number {'self' if x == 'input' else x}, Tensor {n}, *, Tensor out = None)\n"
            f" * (Tensor {x}, Number {n}, *, Tensor out = None)\n")
    dt = result_type(a, b)
    if dt.is_complex or (dt.np == np.float16 or dt.np.kind == "V") and not tensors_only:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dt.word}'")
    if not dt.is_floating_point:
        if tensors_only:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{dt.word}'")
        dt = get_default_dtype()
    da = a._data if ta else np.asarray(a)
    db = b._data if tb else np.asarray(b)
    exc = broadcast_shapes_error(da.shape, db.shape)
    if exc is not None:
        raise exc
    return da, db, dt.np


def _polynomial_op(kind, name):
    kernel = f"{name[len('special_'):]}_cpu"

    def op(x, n):
        dx, dn, dt = _pair(name, kernel, x, n, ("x", "n"))
        return _make(np.asarray(_polynomial(kind, dx.astype(np.float64), dn)).astype(dt))

    op.__name__ = op.__qualname__ = name
    return op


special_chebyshev_polynomial_t = _polynomial_op("t", "special_chebyshev_polynomial_t")
special_chebyshev_polynomial_u = _polynomial_op("u", "special_chebyshev_polynomial_u")
special_chebyshev_polynomial_v = _polynomial_op("v", "special_chebyshev_polynomial_v")
special_chebyshev_polynomial_w = _polynomial_op("w", "special_chebyshev_polynomial_w")
special_shifted_chebyshev_polynomial_t = _polynomial_op(
    "shifted_t", "special_shifted_chebyshev_polynomial_t")
special_shifted_chebyshev_polynomial_u = _polynomial_op(
    "shifted_u", "special_shifted_chebyshev_polynomial_u")
special_shifted_chebyshev_polynomial_v = _polynomial_op(
    "shifted_v", "special_shifted_chebyshev_polynomial_v")
special_shifted_chebyshev_polynomial_w = _polynomial_op(
    "shifted_w", "special_shifted_chebyshev_polynomial_w")
special_hermite_polynomial_h = _polynomial_op("h", "special_hermite_polynomial_h")
special_hermite_polynomial_he = _polynomial_op("he", "special_hermite_polynomial_he")
special_laguerre_polynomial_l = _polynomial_op("l", "special_laguerre_polynomial_l")
special_legendre_polynomial_p = _polynomial_op("p", "special_legendre_polynomial_p")


def _no_derivative(what):
    def vjp(g, *saved):
        raise NotImplementedError(f"the derivative for '{what}' is not implemented.")

    return vjp


def _igamma_grad(sign):
    def vjp(g, a, x):
        return g * (sign * ((a - 1) * x.log() - x - lgamma(a)).exp())

    return vjp


_IgammaNode = formula_node("IgammaBackward0", _no_derivative("igamma: input"),
                           _igamma_grad(1), jvp=unsupported("igamma"))
_IgammacNode = formula_node("IgammacBackward0", _no_derivative("igammac: input"),
                            _igamma_grad(-1), jvp=unsupported("igammac"))


def _zeta_grad(g, s, q):
    return g * -s * special_zeta(s + 1.0, q)


_ZetaNode = formula_node("SpecialZetaBackward0", _no_derivative("zeta"), _zeta_grad,
                         jvp=unsupported("special_zeta"))
_ZetaNode1 = formula_node("SpecialZetaBackward1", _zeta_grad, jvp=unsupported("special_zeta"))
_ZetaNode2 = formula_node("SpecialZetaBackward2", _no_derivative("zeta"),
                          jvp=unsupported("special_zeta"))
for _node in (_IgammaNode, _IgammacNode, _ZetaNode):  # kept for other's gradient only
    name_saved(_node, needed={"self": 1, "other": 1}, self=0, other=1)
name_saved(_ZetaNode1, other=1, self=lambda n: n._field(0, False).item())  # a number


def _as_tensor(v, dt):
    return v if isinstance(v, Tensor) else _make(np.asarray(v, dtype=dt))


def _igamma_op(name, upper):
    node = _IgammacNode if upper else _IgammaNode
    kernel = "igammac_cpu" if upper else "igamma_cpu"

    def op(input, other):
        da, dx, dt = _pair(name, kernel, input, other, ("input", "other"), tensors_only=True)
        out = _igamma64(da.astype(np.float64), dx.astype(np.float64), upper).astype(dt)
        return record(out, node, (input, other), (input, other))

    op.__name__ = op.__qualname__ = name
    return op


igamma = _igamma_op("igamma", False)
igammac = _igamma_op("igammac", True)
special_gammainc = _igamma_op("special_gammainc", False)
special_gammaincc = _igamma_op("special_gammaincc", True)


def special_zeta(input, other):
    ds, dq, dt = _pair("special_zeta", "zeta_cpu", input, other, ("input", "other"))
    out = _zeta64(ds.astype(np.float64), dq.astype(np.float64)).astype(dt)
    if not isinstance(input, Tensor):
        return record(out, _ZetaNode1, (other,), (_as_tensor(input, dt), other))
    if not isinstance(other, Tensor):
        return record(out, _ZetaNode2, (input,), (input, other))
    return record(out, _ZetaNode, (input, other), (input, other))


def _inplace(fn):
    def method(self, *args):
        return apply_inplace(self, lambda s, *a: fn(s, *a), *args)

    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    return method


i0_ = _inplace(i0)
TENSOR_METHODS = {
    "i0": i0, "i0_": i0_, "igamma": igamma, "igamma_": _inplace(igamma),
    "igammac": igammac, "igammac_": _inplace(igammac),
}
