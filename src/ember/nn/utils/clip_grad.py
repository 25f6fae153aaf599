"""Gradient clipping: rescale (or clamp) parameters' gradients in place, under no_grad."""

import math

import numpy as np

from ..._errstate import quiet
from ..._tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(d, p):
    a = np.abs(d)
    if p == math.inf:
        return a.max() if a.size else np.zeros((), d.dtype)
    if p == -math.inf:
        return a.min()
    if p == 0:
        return np.asarray(np.count_nonzero(a), d.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt((a * a).sum())
    return (a ** p).sum() ** (1.0 / p)


@quiet
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of the tensors (as if they were one concatenated vector)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _make(np.array(0.0, np.float32))
    norms = [np.asarray(_vector_norm(t._data, norm_type), t._data.dtype) for t in tensors]
    dtype = np.result_type(*norms)
    total = np.asarray(_vector_norm(np.array(norms, dtype), norm_type), dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return _make(total)


@quiet
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Multiply every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not grads:
        return
    tn = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = min(float(max_norm) / (tn + 1e-6), 1.0) if np.isfinite(tn) else \
        float(max_norm) / (tn + 1e-6)
    for g in grads:
        d = g._data
        np.multiply(d, d.dtype.type(coef), out=d)
        g._version[0] += 1


@quiet
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients so that their total norm is at most max_norm; returns the total
    norm before clipping (a 0-d tensor)."""
    parameters = _as_list(parameters)
    grads = [p._grad for p in parameters if p._grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


@quiet
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            g._version[0] += 1


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated: ``clip_grad_norm_`` under its old name (PyTorch warns the same)."""
    import warnings

    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
