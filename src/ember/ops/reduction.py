"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, cumulative ops, all/any."""

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _make
from ._op import formula_node, record

__all__ = ["sum", "mean"]


def _dims(dim, ndim):
    """Normalise PyTorch's dim argument (None, int, or a sequence) to a tuple of axes."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    n = max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % n if ndim else 0)
    return tuple(out) if ndim else ()


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and axes:
        for a in sorted(axes):
            g = g.unsqueeze(a)
    elif not keepdim and axes is None:
        g = g.reshape((1,) * len(shape))
    return g.expand(shape)


def _sum_grad(g, shape, axes, keepdim):
    return _expand_back(g, shape, axes, keepdim)


_Sum = formula_node("SumBackward0", _sum_grad)
_SumDim = formula_node("SumBackward1", _sum_grad)


def _sum_dtype(d, dtype):
    if dtype is not None:
        return _dtype.as_dtype(dtype).np
    return np.dtype(np.int64) if d.dtype.kind in "biu" else d.dtype


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    d = input._data
    axes = _dims(dim, d.ndim)
    out = np.sum(d, axis=axes, keepdims=keepdim, dtype=_sum_dtype(d, dtype))
    node = _Sum if dim is None else _SumDim
    return record(out, node, (input,), (d.shape, axes, keepdim))


def _mean_grad(g, shape, axes, keepdim, count):
    return _expand_back(g / count, shape, axes, keepdim)


_Mean = formula_node("MeanBackward0", _mean_grad)
_MeanDim = formula_node("MeanBackward1", _mean_grad)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    d = input._data
    if dtype is None and d.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_dtype.from_np[d.dtype].name.capitalize().replace('Int64', 'Long')}"
        )
    axes = _dims(dim, d.ndim)
    out = np.mean(d, axis=axes, keepdims=keepdim,
                  dtype=None if dtype is None else _dtype.as_dtype(dtype).np)
    count = d.size if axes is None else int(np.prod([d.shape[a] for a in axes]))
    node = _Mean if dim is None else _MeanDim
    return record(out, node, (input,), (d.shape, axes, keepdim, count))


_SumTo = formula_node("SumToBackward0", lambda g, shape: g.expand(shape))


def sum_to(g, shape):
    """Sum g over the broadcast dimensions so that it has ``shape`` (reverse broadcasting)."""
    d = g._data
    lead = d.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and d.shape[lead + i] != 1
    )
    out = np.sum(d, axis=axes, keepdims=True) if axes else d
    if lead:
        out = out.reshape(shape)
    return record(out, _SumTo, (g,), (d.shape,))


TENSOR_METHODS = {"sum": sum, "mean": mean, "sum_to_size": lambda self, *s: sum_to(
    self, s[0] if len(s) == 1 and not isinstance(s[0], int) else s)}
