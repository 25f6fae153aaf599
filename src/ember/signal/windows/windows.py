"""The window functions of torch.signal.windows, computed on NumPy in the requested dtype.

Each window is built as PyTorch builds it: a symmetric window of M points, or for
``sym=False`` (a periodic window, for spectral analysis) the symmetric window of M + 1 points
without its last point.
"""

import math

import numpy as np

from ... import _dtype
from ..._tensor import _make

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _check(name, M, dtype, layout):
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and getattr(layout, "name", str(layout)) not in ("strided",
                                                                            "torch.strided"):
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    d = _dtype.get_default_dtype() if dtype is None else dtype
    if d not in (_dtype.float32, _dtype.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {d}")
    return d


def _tensor(values, d, requires_grad):
    t = _make(np.asarray(values, d.np).reshape(-1))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _points(M, sym):
    """The sample positions 0..n-1 of the symmetric window (n = M, or M + 1 when periodic)."""
    return np.arange(M if sym else M + 1, dtype=np.float64)


def _trim(w, M):
    return w[:M]


def _small(M, d, requires_grad):
    return _tensor(np.ones(M), d, requires_grad) if M <= 1 else None


def _device_ok(device):
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"Device {device} is not available: ember computes on the CPU")


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    d = _check("exponential", M, dtype, layout)
    _device_ok(device)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _tensor([], d, requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    k = np.arange(M, dtype=np.float64)
    return _tensor(np.exp(-np.abs(k - center) / tau), d, requires_grad)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    d = _check("cosine", M, dtype, layout)
    _device_ok(device)
    if M == 0:
        return _tensor([], d, requires_grad)
    if M == 1:
        return _tensor(np.ones(1), d, requires_grad)
    n = M if sym else M + 1
    k = np.arange(M, dtype=np.float64)
    return _tensor(np.sin(math.pi * (k + 0.5) / n), d, requires_grad)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    d = _check("gaussian", M, dtype, layout)
    _device_ok(device)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _tensor([], d, requires_grad)
    center = (M if not sym and M > 1 else M - 1) / 2.0
    k = np.arange(M, dtype=np.float64)
    return _tensor(np.exp(-((k - center) / std) ** 2 / 2), d, requires_grad)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    d = _check("kaiser", M, dtype, layout)
    _device_ok(device)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M == 0:
        return _tensor([], d, requires_grad)
    if M == 1:
        return _tensor(np.ones(1), d, requires_grad)
    n = M if sym else M + 1
    k = np.arange(n, dtype=np.float64)
    alpha = (n - 1) / 2.0
    r = np.sqrt(np.clip(1 - ((k - alpha) / alpha) ** 2, 0, None))
    return _tensor(_trim(np.i0(beta * r) / np.i0(beta), M), d, requires_grad)


def _cosine_sum(name, M, a, sym, dtype, layout, device, requires_grad):
    d = _check(name, M, dtype, layout)
    _device_ok(device)
    if M == 0:
        return _tensor([], d, requires_grad)
    if M == 1:
        return _tensor(np.ones(1), d, requires_grad)
    n = M if sym else M + 1
    x = np.linspace(-math.pi, math.pi, n)
    w = np.zeros(n)
    for k, ak in enumerate(a):
        w += ak * np.cos(k * x)
    return _tensor(_trim(w, M), d, requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    return _cosine_sum("general_cosine", M, [float(v) for v in a], sym, dtype, layout, device,
                       requires_grad)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    return _cosine_sum("general_cosine", M, [alpha, 1.0 - alpha], sym, dtype, layout, device,
                       requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("blackman", M, [0.42, 0.5, 0.08], sym, dtype, layout, device,
                       requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _cosine_sum("general_cosine", M, [0.3635819, 0.4891775, 0.1365995, 0.0106411], sym,
                       dtype, layout, device, requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    d = _check("bartlett", M, dtype, layout)
    _device_ok(device)
    if M == 0:
        return _tensor([], d, requires_grad)
    if M == 1:
        return _tensor(np.ones(1), d, requires_grad)
    n = M if sym else M + 1
    k = np.arange(n, dtype=np.float64)
    return _tensor(_trim(1 - np.abs(2 * k / (n - 1) - 1), M), d, requires_grad)
