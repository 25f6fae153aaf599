"""Embedding lookups (embedding, with padding_idx, max_norm and scale_grad_by_freq) and
one_hot."""

import numpy as np

from .. import _names
from .._errors import note
from .._tensor import Tensor, _make
from ..autograd.forward_ad import state as _fw_state
from ..autograd.graph import name_saved
from ._nn_common import as_kernel, fused_node, kernel_arg, kernel_args, kernel_input, kernel_node
from ._op import check_tensor, record, refuse_tangents
from .indexing import index_add
from .shape import stack


def _embedding_grads(node, g, create_graph, indices, num, padding_idx, by_freq, sparse):
    idx = indices._data
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


_Embedding = name_saved(fused_node("EmbeddingBackward0", _embedding_grads), indices=0,
                        weight_sym_argsize_0=1, padding_idx=2, scale_grad_by_freq=3, sparse=4)
# forward rule: the rows of the weight's tangent
_Embedding.jvp = staticmethod(lambda ts, inputs, saved, out: ts[0][_make(saved[0]._data)])


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
    return record(wd[idx], _Embedding, (weight,),
                  (input, num, padding_idx, scale_grad_by_freq, sparse))


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


def _type_name(obj):
    return str(Tensor) if isinstance(obj, Tensor) else str(type(obj))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embedding rows of each bag: the rows of a 2-D input, or
    the runs of a 1-D input that start at offsets. Indices equal to padding_idx are left out
    (an empty bag gives zeros)."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
            f"None, then it must have the same shape as the input ({tuple(input.shape)})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{_type_name(offsets)}")
        b, n = input.shape
        starts = np.arange(b) * n
        offsets = _make(starts)
        flat = input.reshape(-1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64)
        flat, psw = input, per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if _fw_state.active:  # PyTorch has no forward-mode rule for it
        refuse_tangents("_embedding_bag", weight, per_sample_weights)
    if scale_grad_by_freq:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq=True is not supported by "
                                  "ember")
    if max_norm is not None:
        _embedding_renorm(weight, flat._data, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    total = flat.shape[0]
    if input.dim() == 1 and len(starts):
        if starts[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {starts[0]}\n"
                f"[ {_names.prefix}.LongTensor{{}} ]")
        if starts[-1] > total:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {total} but "
                               f"got offsets[-1] of {starts[-1]}")
    if include_last_offset and input.dim() == 1:
        ends = starts[1:]
        starts = starts[:-1]
    else:
        ends = np.append(starts[1:], total)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return as_kernel(_K_bag, (weight, psw), _bags, weight, psw, flat, starts, ends, mode,
                     padding_idx, offsets, sparse)


# what PyTorch's node shows besides the arguments: offset2bag (each index's bag, by the offsets
# alone), bag_size (each bag's count of indices other than padding_idx; zeros for 'sum') and
# max_indices (for 'max', the index whose row gives each bag's maximum per column; for 'mean'
# bag_size again; zeros for 'sum')
_BAG_MODES = {"sum": 0, "mean": 1, "max": 2}


def _bag_of(node):
    a = kernel_args(node)
    starts = np.asarray(a["starts"], np.int64)
    k = np.arange(a["flat"].shape[0])
    return np.searchsorted(starts, k, side="right") - 1 if len(starts) else np.zeros_like(k)


def _bag_size(node):
    a = kernel_args(node)
    bags = len(a["starts"])
    if a["mode"] == "sum":
        return np.zeros(bags, np.int64)
    keep = np.ones(a["flat"].shape[0], bool) if a["padding_idx"] is None else \
        a["flat"]._data != a["padding_idx"]
    return np.bincount(_bag_of(node)[keep], minlength=bags).astype(np.int64)


def _max_indices(node):
    a = kernel_args(node)
    mode = a["mode"]
    if mode != "max":
        return _bag_size(node)
    idx, rows = a["flat"]._data, a["weight"]._data
    out = np.zeros((len(a["starts"]), rows.shape[1]), np.int64)
    for i, (lo, hi) in enumerate(zip(a["starts"], a["ends"])):
        sel = idx[lo:hi]
        if a["padding_idx"] is not None:
            sel = sel[sel != a["padding_idx"]]
        if len(sel):
            out[i] = sel[rows[sel].argmax(0)]
    return out


_K_bag = name_saved(  # PyTorch's kernel: one node
    kernel_node("EmbeddingBagBackward0"),
    indices=kernel_arg("flat"), offsets=kernel_arg("offsets"),
    per_sample_weights=kernel_input(1),
    mode=lambda n: _BAG_MODES[kernel_args(n)["mode"]],
    padding_idx=lambda n: -1 if kernel_args(n)["padding_idx"] is None else
    kernel_args(n)["padding_idx"],
    scale_grad_by_freq=lambda n: False, sparse=kernel_arg("sparse"),
    # the weight only where per_sample_weights' gradient needs it
    weight=lambda n: kernel_input(0)(n) if n.next_functions[1][0] is not None else None,
    weight_sym_argsize_0=lambda n: kernel_input(0)(n).shape[0],
    result1=lambda n: _make(_bag_of(n)), result2=lambda n: _make(_bag_size(n)),
    result3=lambda n: _make(_max_indices(n)))


def _bags(weight, psw, flat, starts, ends, mode, padding_idx, offsets=None, sparse=False):
    """The bags' sums, means or maxima of weight's rows at the indices flat (the bag i:
    flat[starts[i]:ends[i]]), each row scaled by its per-sample weight psw. ``offsets`` and
    ``sparse``: the op's arguments, which the node shows (as PyTorch's)."""
    total = flat.shape[0]
    bags = len(starts)
    idx = flat._data
    rows = embedding(flat, weight)
    keep = np.ones(total, bool) if padding_idx is None else idx != padding_idx
    bag_of = np.repeat(np.arange(bags), ends - starts)
    if len(bag_of) < total:  # elements after the last bag's end (include_last_offset)
        bag_of = np.append(bag_of, np.full(total - len(bag_of), -1))
    keep &= bag_of >= 0
    if mode == "max":
        outs = []
        for i in range(bags):
            sel = np.nonzero(keep & (bag_of == i))[0]
            if len(sel):
                outs.append(rows[_make(sel)].amax(0))
            else:
                outs.append(rows.new_zeros((weight.shape[1],)))
        return stack(outs) if outs else rows.new_zeros((0, weight.shape[1]))
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    sel = np.nonzero(keep)[0]
    out = rows.new_zeros((bags, weight.shape[1])).index_add(
        0, _make(bag_of[sel]), rows[_make(sel)])
    if mode == "mean":
        counts = np.bincount(bag_of[sel], minlength=bags).astype(weight._data.dtype)
        out = out / _make(np.maximum(counts, 1)[:, None])
    return out


FUNCTIONAL = ["embedding", "embedding_bag", "one_hot"]
TENSOR_METHODS = {}
