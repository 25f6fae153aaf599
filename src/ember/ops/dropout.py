"""Dropout: dropout, the channel-wise dropout1d, dropout2d and dropout3d, and the alpha
dropouts for SELU networks."""

import warnings

import numpy as np

from .._tensor import _make
from . import elementwise as _ew
from ._nn_common import float_data
from .random import bernoulli


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, noise_shape, inplace):
    """input * mask / (1 - p), mask drawn with ember.bernoulli (so ember.manual_seed governs
    it); p == 1 multiplies by zero, as PyTorch does."""
    d = input._data
    if p == 1:
        noise = _make(np.zeros((), d.dtype))
    else:
        noise = bernoulli(_make(np.empty(noise_shape, d.dtype)), 1 - p)
        noise._data /= d.dtype.type(1 - p)
    return input.mul_(noise) if inplace else _ew.mul(input, noise)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (in training;
    otherwise return the input itself)."""
    _check_p(p)
    if not training or p == 0 or input._data.size == 0:
        return input
    d = float_data(input, "dropout", "bernoulli_scalar_cpu_")
    return _dropout(input, p, d.shape, inplace)


def _feature_dropout(input, p, training, inplace):
    if not training or p == 0 or input._data.size == 0:
        return input
    d = input._data
    if d.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _dropout(input, p, d.shape[:2] + (1,) * (d.ndim - 2), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    nd = input.ndim
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if nd == 2:
        if inplace:
            _feature_dropout(input.unsqueeze(0), p, training, True)
            return input
        return _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
    return _feature_dropout(input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (dim 1) with probability p, scaling the rest by 1 / (1 - p)."""
    _check_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    nd = input.ndim
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if nd == 4:
        if inplace:
            _feature_dropout(input.unsqueeze(0), p, training, True)
            return input
        return _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
    return _feature_dropout(input, p, training, inplace)


_SELU_ALPHA = 1.7580993408473766  # -selu's scale * alpha: the value a dropped unit takes


def _alpha_dropout(input, p, training, inplace, feature):
    if not training or p == 0 or input._data.size == 0:
        return input
    d = input._data
    if p == 1:
        zero = _make(np.zeros((), d.dtype))
        return input.mul_(zero) if inplace else _ew.mul(input, zero)
    if feature:
        if d.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = d.shape[:2] + (1,) * (d.ndim - 2)
    else:
        shape = d.shape
    # kept units: a * x; dropped ones: a * (-alpha) + b (mean and variance stay those of x)
    keep = bernoulli(_make(np.empty(shape, d.dtype)), 1 - p)._data
    a = 1.0 / np.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    b = ((keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p).astype(d.dtype)
    noise = (keep * a).astype(d.dtype)
    if inplace:
        return input.mul_(_make(noise)).add_(_make(b))
    return _ew.add(_ew.mul(input, _make(noise)), _make(b))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and
    the result is rescaled so that the mean and variance are kept."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels (dim 1)."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, True)


FUNCTIONAL = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d",
              "feature_alpha_dropout"]
TENSOR_METHODS = {}
