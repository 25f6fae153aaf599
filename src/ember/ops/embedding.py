"""Embedding lookups (embedding, with padding_idx, max_norm and scale_grad_by_freq) and
one_hot."""

import numpy as np

from .._errors import note
from .._tensor import _make
from ._nn_common import fused_node
from ._op import check_tensor, record
from .indexing import index_add


def _embedding_grads(node, g, create_graph, idx, num, padding_idx, by_freq):
    dim = g.shape[-1]
    flat = idx.reshape(-1)
    coef = None
    if padding_idx >= 0 or by_freq:
        coef = np.ones(flat.size, g._data.dtype)
        if by_freq:
            coef /= np.bincount(flat, minlength=num)[flat]
        coef[flat == padding_idx] = 0
    if create_graph:
        rows = g.reshape(-1, dim)
        if coef is not None:
            rows = rows * _make(coef[:, None])
        return (index_add(_make(np.zeros((num, dim), g._data.dtype)), 0, _make(flat), rows),)
    rows = g._data.reshape(-1, dim)
    if coef is not None:
        rows = rows * coef[:, None]
    out = np.zeros((num, dim), rows.dtype)
    if flat.size:
        # sum the rows of each index: sort once, then one reduceat (no slow np.add.at)
        order = np.argsort(flat, kind="stable")
        s = flat[order]
        starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
        out[s[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return (_make(out),)


_Embedding = fused_node("EmbeddingBackward0", _embedding_grads)
# forward rule: the rows of the weight's tangent
_Embedding.jvp = staticmethod(lambda ts, inputs, saved, out: ts[0][_make(saved[0])])


def _embedding_renorm(weight, idx, max_norm, norm_type):
    """Rescale (in place, unrecorded) the looked-up rows whose norm exceeds max_norm."""
    wd = weight._data
    rows = np.unique(idx)
    sub = wd[rows]
    norms = np.linalg.norm(sub.astype(np.float64), ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    wd[rows] = (sub * scale[:, None]).astype(wd.dtype)
    weight._version[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of weight picked by the integer indices in input (shape input.shape + (dim,)).

    The row at padding_idx gets no gradient. With max_norm, looked-up rows with a larger norm
    are rescaled in place first. (sparse=True still gives a dense gradient.)"""
    check_tensor(input, "embedding", "input", 1)
    idx = input._data
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)")
    wd = weight._data
    if wd.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = wd.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += num
    else:
        padding_idx = -1
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        exc = IndexError("index out of range in self")
        note(exc, f"Every index must lie in [0, {num - 1}] (the table has {num} rows); "
                  f"got values from {idx.min()} to {idx.max()}.")
        raise exc
    if max_norm is not None:
        _embedding_renorm(weight, idx, max_norm, norm_type)
    return record(wd[idx], _Embedding, (weight,), (idx, num, padding_idx, scale_grad_by_freq))


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each index."""
    d = tensor._data
    if d.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if d.size and d.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if not d.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    elif d.size and d.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _make((d[..., None] == np.arange(num_classes)).astype(np.int64))


FUNCTIONAL = ["embedding", "one_hot"]
TENSOR_METHODS = {}
