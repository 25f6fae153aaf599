"""Sorting and selection: sort, argsort, msort, topk, kthvalue.

The order is PyTorch's: nan sorts as the largest value (last ascending, first descending).
PyTorch's CPU sort is stable whether or not ``stable=True`` is asked for, and so is ember's:
equal values keep their order of appearance, in both directions.

The backward of an op that picks values puts each incoming gradient back at the position its
value came from (a scatter into zeros), written in ember ops so that it can be differentiated
again. The indices are saved as the tensor the op returns, so that writing into it in place is
caught as PyTorch catches it.
"""

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.graph import name_saved
from ._op import argname, formula_node, record
from .creation import as_int
from .indexing import gather, scatter
from .reduction import (
    _arg_error,
    _data,
    _index_grad,
    _one_dim,
    _type_word,
    refuse_complex,
    return_type,
)

__all__ = ["argsort", "kthvalue", "msort", "sort", "topk"]

_SortResult = return_type("sort")
_TopkResult = return_type("topk")
_KthvalueResult = return_type("kthvalue")
_UNSET = object()


def _check_int(op, name, pos, value):
    """PyTorch's argument error for an int parameter given something else (bools included)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if name == "k" and isinstance(value, Tensor) and as_int(value) is not None:
        return as_int(value)  # k is a SymInt: a one-element integer tensor too
    raise TypeError(
        f"{op}(): argument '{name}' (position {pos}) must be int, not {type(value).__name__}"
    )


def _check_bool(op, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{op}(): argument '{name}' must be bool, not {argname(value)}")


def order(d, axis, descending=False):
    """Indices that sort the array d along axis, stably, nan largest (PyTorch's order)."""
    if not d.ndim:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(d, axis=axis, kind="stable")
    # a stable ascending sort of the reversed slice, reversed again: descending, and equal
    # values still in their order of appearance
    n = d.shape[axis]
    flipped = np.argsort(np.flip(d, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(flipped, axis)


def _select_grad(g, shape, axis, indices):
    """The gradient of values picked by indices along axis: scattered back into zeros."""
    if not len(shape):
        return g
    zeros = _make(np.zeros(shape, g._data.dtype))
    return scatter(zeros, axis, indices, g)


def _named(node_cls):
    return name_saved(node_cls, self_sym_sizes=0, dim=1, indices=2)


def _select_jvp(ts, inputs, saved, out):
    # the tangents of the picked elements
    shape, axis, indices = saved
    return gather(ts[0], axis, indices) if len(shape) else ts[0]


_Sort = _named(formula_node("SortBackward0", _select_grad, jvp=_select_jvp))
_SortStable = _named(formula_node("SortBackward1", _select_grad, jvp=_select_jvp))
_Topk = _named(formula_node("TopkBackward0", _select_grad, jvp=_select_jvp))


def _kthvalue_grad(g, shape, axis, indices, keepdim):
    idx = indices._data
    if not keepdim and len(shape):
        idx = np.expand_dims(idx, axis)
    return _index_grad(g, shape, axis, idx, keepdim)


def _kthvalue_jvp(ts, inputs, saved, out):
    shape, axis, indices, keepdim = saved
    if not len(shape):
        return ts[0]
    idx = indices._data if keepdim else np.expand_dims(indices._data, axis)
    picked = gather(ts[0], axis, _make(idx))
    return picked if keepdim else picked.squeeze(axis)


_Kthvalue = name_saved(formula_node("KthvalueBackward0", _kthvalue_grad, jvp=_kthvalue_jvp),
                       self_sym_sizes=0, dim=1, indices=2, keepdim=3)


def _pick(input, d, axis, idx, node, extra=()):
    """(values, indices) of the elements idx (int64, along axis) of input, values recorded."""
    values = np.take_along_axis(d, idx, axis) if d.ndim else d.copy()
    indices = _make(idx.astype(np.int64, copy=False))
    return record(values, node, (input,), (d.shape, axis, indices, *extra)), indices


_SORT_SIGS = (
    "(Tensor input, *, bool stable, int dim = -1, bool descending = False, tuple of Tensors out "
    "= None)",
    "(Tensor input, int dim = -1, bool descending = False, *, tuple of Tensors out = None)",
)
_ARGSORT_SIGS = (
    "(Tensor input, *, bool stable, int dim = -1, bool descending = False, Tensor out = None)",
    "(Tensor input, int dim = -1, bool descending = False)\n      didn't match because some of "
    "the keywords were incorrect: stable",
)


def _sort_args(op, sigs, input, args, kwargs):
    """(array, axis, descending, stable) as PyTorch's two overloads take them: with stable,
    dim and descending are keywords only. PyTorch's text names the keywords last one first."""
    for k in kwargs:
        if k not in ("dim", "descending", "stable", "axis"):
            raise TypeError(f"{op}() got an unexpected keyword argument '{k}'")
    stable = kwargs.get("stable", _UNSET)
    if args and (stable is not _UNSET or len(args) > 2) or "dim" in kwargs and args:
        got = ", ".join([argname(a) for a in (input, *args)]
                        + [f"{k}={argname(v)}" for k, v in reversed(kwargs.items())])
        raise _arg_error(op, got, sigs)
    dim = args[0] if args else kwargs.get("axis", kwargs.get("dim", -1))  # axis: NumPy's name
    descending = args[1] if len(args) > 1 else kwargs.get("descending", False)
    bad_stable = not (stable is _UNSET or isinstance(stable, bool)
                      or stable is None and op == "sort")
    if bad_stable or not isinstance(descending, bool):
        if op == "argsort" and stable is not _UNSET and not bad_stable:
            raise TypeError(f"argsort(): argument 'descending' must be bool, not "
                            f"{argname(descending)}")
        got = ", ".join([argname(a) for a in (input, *args)]
                        + [f"{k}={argname(v)}" for k, v in reversed(kwargs.items())])
        plain = tuple(s.split("\n")[0] for s in sigs)
        raise _arg_error(op, got, plain)
    d = _data(input, op)
    refuse_complex(d, RuntimeError, " Sort does not support complex dtypes on CPU")
    ax = _one_dim(_check_int(op, "dim", 2, dim), d.ndim)
    return d, ax, bool(descending), stable


def sort(input, *args, **kwargs):
    """sort(input, dim=-1, descending=False) or sort(input, *, stable, dim=-1, descending=False):
    (values, indices) along dim; nan is the largest value. Always stable."""
    d, ax, desc, stable = _sort_args("sort", _SORT_SIGS, input, args, kwargs)
    node = _Sort if stable is _UNSET else _SortStable  # PyTorch's sort.stable overload
    return _SortResult(_pick(input, d, ax, order(d, ax, desc), node))


def argsort(input, *args, **kwargs):
    """argsort(input, dim=-1, descending=False) or argsort(input, *, stable, dim, descending):
    the indices that sort input along dim (sort(...).indices)."""
    d, ax, desc, _ = _sort_args("argsort", _ARGSORT_SIGS, input, args, kwargs)
    return _make(order(d, ax, desc))


def msort(input):
    """input sorted along its first dim (the values of sort(input, 0))."""
    return sort(input, 0)[0]


def _k_args(op, input, k, dim, axis):
    """(array, k, axis, size along it) of topk/kthvalue, their arguments checked as PyTorch."""
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, op)
    if k is _UNSET:
        raise TypeError(f'{op}() missing 1 required positional arguments: "k"')
    k = _check_int(op, "k", 2, k)
    ax = _one_dim(_check_int(op, "dim", 3, dim), d.ndim)
    if op == "topk":
        refuse_complex(d, RuntimeError, " topk does not support complex dtypes on CPU")
    else:
        refuse_complex(d, NotImplementedError, f'"{op}_cpu" not implemented for \'{{}}\'')
    return d, k, ax, d.shape[ax] if d.ndim else 1


def topk(input, k=_UNSET, dim=-1, largest=True, sorted=True, *, axis=None):  # noqa: A002
    """The k largest (or smallest) elements along dim, as (values, indices), largest first.

    Ties between equal values are broken by position (the first one wins); PyTorch's order
    among ties, and its order when sorted=False, come from its selection algorithm.
    """
    d, k, ax, n = _k_args("topk", input, k, dim, axis)
    _check_bool("topk", "largest", largest)
    _check_bool("topk", "sorted", sorted)
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if d.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if not d.ndim:  # PyTorch gives the element itself even for k = 0
        return _TopkResult(_pick(input, d, ax, np.zeros((), np.int64), _Topk))
    # smallest first: nan is the largest, so it comes last; largest first: nan first
    idx = np.take(order(d, ax, bool(largest)), np.arange(k), axis=ax)
    return _TopkResult(_pick(input, d, ax, idx, _Topk))


def _gt_or_nan(a, b):
    return a > b or a != a and b == b


def _quickselect(vals, k):
    """The position (in vals) of the k-th smallest value (0-based) as PyTorch's CPU kernel
    finds it: a median-of-three quickselect, whose swaps decide which of several equal values
    it returns."""
    pos = list(range(len(vals)))
    arr = list(vals)

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        pos[i], pos[j] = pos[j], pos[i]

    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if _gt_or_nan(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)
        if _gt_or_nan(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _gt_or_nan(arr[lo], arr[hi]):
            swap(lo, hi)
        if _gt_or_nan(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _gt_or_nan(pivot, arr[i]):
                i += 1
            j -= 1
            while _gt_or_nan(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return pos[k]


def _break_ties_as_pytorch(d, ax, k, idx):
    """Where the k-th value occurs more than once in its slice, pick the index PyTorch's
    selection returns (any of them is the k-th value; PyTorch's is deterministic)."""
    picked = np.take_along_axis(d, idx, ax)
    same = (d == picked) | (np.isnan(d) & np.isnan(picked)) if d.dtype.kind == "f" else (
        d == picked)
    tied = same.sum(axis=ax, keepdims=True) > 1
    if not tied.any():
        return
    rows = np.moveaxis(d, ax, -1).reshape(-1, d.shape[ax])
    out = np.moveaxis(idx, ax, -1)  # a view: written in place
    found = out.reshape(-1).copy()
    for r in np.nonzero(np.moveaxis(tied, ax, -1).reshape(-1))[0]:
        found[r] = _quickselect(rows[r].tolist(), k - 1)
    out[...] = found.reshape(out.shape)


def kthvalue(input, k=_UNSET, dim=-1, keepdim=False, *, axis=None):
    """The k-th smallest element along dim (1-based), as (values, indices)."""
    d, k, ax, n = _k_args("kthvalue", input, k, dim, axis)
    _check_bool("kthvalue", "keepdim", keepdim)
    if d.ndim and d.shape[ax] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {ax} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {ax}")
    if d.dtype == np.bool_:
        raise NotImplementedError(f"\"kthvalue_cpu\" not implemented for '{_type_word(d.dtype)}'")
    if d.ndim:
        idx = np.take(order(d, ax), [k - 1], axis=ax)  # keeping the dim
        _break_ties_as_pytorch(d, ax, k, idx)
        values = np.take_along_axis(d, idx, ax)
        if not keepdim:
            values, idx = values.squeeze(ax), idx.squeeze(ax)
    else:
        values, idx = d.copy(), np.zeros((), np.int64)
    indices = _make(idx.astype(np.int64, copy=False))
    saved = (d.shape, ax, indices, bool(keepdim))
    return _KthvalueResult((record(values, _Kthvalue, (input,), saved), indices))


TENSOR_METHODS = {"sort": sort, "argsort": argsort, "msort": msort, "topk": topk,
                  "kthvalue": kthvalue}
