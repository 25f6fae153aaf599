"""Samplers that PyTorch implements in C++ with algorithms of its own (``_standard_gamma``,
``_sample_dirichlet``, ``poisson``, ``binomial``).

ember does not reproduce those algorithms' streams: each draw takes one 63-bit seed from
ember's generator (so ``ops.manual_seed`` makes it reproducible, and it advances the stream
as any other draw) and draws from the right distribution with NumPy's PCG64 generator. The
values have PyTorch's distribution, not PyTorch's exact numbers.

The gamma sample is reparameterized: its derivative with respect to the concentration is the
implicit one, dx/da = -(dP(a, x)/da) / p(x; a), with P the regularized lower incomplete gamma
function, computed from P's power series in float64.
"""

import math

import numpy as np

from . import _ops as ops


def _rng():
    return np.random.default_rng(int(ops.randint(0, 2 ** 63 - 1, ()).item()))


def _np(t):
    return t.detach().numpy()


def _like(array, t):
    return ops.from_numpy(np.ascontiguousarray(array)).to(t.dtype)


def _incomplete_gamma(alpha, x):
    """P(alpha, x), the regularized lower incomplete gamma function, and dP/dalpha (float64
    arrays), from the power series P = sum_n x^(a+n) e^-x / Gamma(a+n+1)."""
    alpha = np.asarray(alpha, np.float64)
    x = np.maximum(np.asarray(x, np.float64), np.finfo(np.float64).tiny)
    alpha, x = np.broadcast_arrays(alpha, x)
    log_x = np.log(x)
    term = np.exp(alpha * log_x - x - _lgamma(alpha + 1))  # the n = 0 term
    psi = _digamma(alpha + 1)
    p = term.copy()
    d_p = term * (log_x - psi)
    x_max = float(x.max(initial=0))
    for n in range(1, int(min(50000, 40 + x_max + 30 * math.sqrt(x_max)))):
        term = term * x / (alpha + n)
        psi = psi + 1 / (alpha + n)
        step = term * (log_x - psi)
        p = p + term
        d_p = d_p + step
        if n > x_max and np.all(np.abs(step) <= 1e-17 * np.abs(d_p) + 1e-300):
            break
    return np.minimum(p, 1.0), d_p


def standard_gamma_grad(alpha, x):
    """d x / d alpha of a standard gamma sample x with concentration alpha (float64 arrays),
    by implicit differentiation of P(alpha, x) = u."""
    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    x = np.maximum(x, np.finfo(np.float64).tiny)
    _, d_p = _incomplete_gamma(alpha, x)
    log_pdf = (alpha - 1) * np.log(x) - x - _lgamma(alpha)
    return -d_p / np.exp(log_pdf)


def _lgamma(a):
    return ops.lgamma(ops.from_numpy(np.asarray(a, np.float64))).numpy()


def _digamma(a):
    return ops.digamma(ops.from_numpy(np.asarray(a, np.float64))).numpy()


class _StandardGamma(ops.Function):
    @staticmethod
    def forward(ctx, alpha):
        sample = _rng().standard_gamma(_np(alpha).astype(np.float64))
        sample = np.maximum(sample, np.finfo(_np(alpha).dtype).tiny)
        x = _like(sample, alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return grad * _like(standard_gamma_grad(_np(alpha), _np(x)), alpha)


def standard_gamma(alpha):
    """A Gamma(alpha, 1) sample of alpha's shape, differentiable in alpha."""
    return _StandardGamma.apply(alpha)


def poisson(rate):
    """A Poisson(rate) sample of rate's shape and dtype."""
    with ops.no_grad():
        return _like(_rng().poisson(_np(rate).astype(np.float64)), rate)


def binomial(count, prob):
    """A Binomial(count, prob) sample of their (equal) shape, in prob's dtype."""
    with ops.no_grad():
        n = _np(count).astype(np.int64)
        p = np.clip(_np(prob).astype(np.float64), 0, 1)
        return _like(_rng().binomial(n, p), prob)
