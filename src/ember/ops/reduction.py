"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, cumulative ops, all/any.

Each forward runs on arrays; each backward is written in ember ops so it can be differentiated
again. Masks that pick where a gradient goes (the argmax, the ties, the zeros of a product) are
constants of the backward: they do not depend differentiably on the input.
"""

import builtins as _b
import math
import sys
import types
import warnings

import numpy as np

from .. import _dtype, _names
from .._errors import note
from .._tensor import Tensor, _dim_int, _make
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node, edge, name_saved
from ._op import check_tensor, dual_multi, formula_node, record
from .creation import as_int
from .elementwise import maximum, minimum, where
from .indexing import gather, scatter_add
from .shape import _broadcast_view

_asarray = np.asarray

__all__ = [
    "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "count_nonzero", "cummax",
    "cummin", "cumprod", "cumsum", "logcumsumexp", "logsumexp", "max", "mean", "median", "min",
    "mode", "nanmean", "nanmedian", "nansum", "prod", "return_types", "std", "std_mean",
    "sum", "var", "var_mean",
]

_INT_KINDS = "biu"
_builtin_any = _b.any
def _type_word(np_dtype):
    """PyTorch's word for a dtype in messages: Long, Float, Bool, ..."""
    return _dtype.from_np[np_dtype].word


def _data(input, op):
    try:
        return input._data
    except AttributeError:
        check_tensor(input, op)
        raise


def refuse_complex(d, cls, text):
    """Raise PyTorch's error (``text``, '{}' for the dtype's name) if d is complex: orderings
    and the ops PyTorch does not define for complex numbers."""
    if d.dtype.kind == "c":
        raise cls(text.replace("{}", _dtype.from_np[d.dtype].word))


# -- named results (ember.return_types) -----------------------------------------------------------
return_types = types.ModuleType(
    "ember.return_types", "Named tuples returned by ops such as max(dim) or median(dim)."
)
sys.modules["ember.return_types"] = return_types


class _NamedResult(tuple):
    """A tuple with named fields, printed as PyTorch prints its return types."""

    __slots__ = ()
    _fields = ()

    def __new__(cls, seq):
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"{_names.prefix}.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _itemgetter(i):
    return property(lambda self: tuple.__getitem__(self, i))


def return_type(name, fields=("values", "indices")):
    """The class ``ember.return_types.<name>`` (created once, shared by every module)."""
    cls = getattr(return_types, name, None)
    if cls is None:
        attrs = {"__slots__": (), "_fields": fields,
                 "__module__": _names.module_name("ember.return_types"),
                 "n_fields": len(fields), "n_sequence_fields": len(fields)}
        attrs.update({f: _itemgetter(i) for i, f in enumerate(fields)})
        cls = type(name, (_NamedResult,), attrs)
        setattr(return_types, name, cls)
    return cls


_MaxResult, _MinResult = return_type("max"), return_type("min")
_MedianResult, _NanmedianResult = return_type("median"), return_type("nanmedian")
_ModeResult = return_type("mode")
_AminmaxResult = return_type("aminmax", ("min", "max"))


# -- dims -----------------------------------------------------------------------------------------
def _dim_error(d, n):
    return IndexError(
        f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
    )


def _dims(dim, ndim):
    """PyTorch's dim argument (None, an int, or a sequence; empty means all) as axes.

    Returns None for "every axis", else a tuple of non-negative axes (empty for a 0-d input).
    """
    if dim is None:
        return None
    n = ndim if ndim else 1
    if isinstance(dim, Tensor):  # an int list: a 0-d or one-element integer tensor
        dim = as_int(dim)
        if dim is None:
            raise TypeError("dim must be an int or a tuple of ints, not a Tensor")
    if isinstance(dim, (int, np.integer)):
        d = int(dim)
        if not -n <= d < n:
            raise _dim_error(d, n)
        return (d % n,) if ndim else ()
    if not dim:
        return None
    out = []
    for d in dim:
        d = as_int(d)
        if d is None:
            raise TypeError("dim must be an int or a tuple of ints")
        if not -n <= d < n:
            raise _dim_error(d, n)
        d %= n
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(out) if ndim else ()


def _one_dim(dim, ndim):
    d = dim if dim.__class__ is int else _dim_int(dim)
    n = ndim if ndim else 1
    if not -n <= d < n:
        raise _dim_error(d, n)
    return d % n if ndim else 0


def _arg_error(op, got, signatures):
    lines = _names.spell("".join(f"\n * {s}" for s in signatures))
    return TypeError(
        f"{op}() received an invalid combination of arguments - got ({got}), but expected one "
        f"of:{lines}\n"
    )


_SUM_SIGS = ("(*, ember.dtype dtype = None)",
             "(tuple of ints dim, bool keepdim = False, *, ember.dtype dtype = None)")


def _check_dims_type(op, dim):
    if dim is None or isinstance(dim, (int, np.integer, tuple, list)) or (
            isinstance(dim, Tensor) and as_int(dim) is not None):
        return
    raise _arg_error(op, type(dim).__name__, _SUM_SIGS)


def _reduced_count(shape, axes):
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


def _restore(g, ndim, axes, keepdim):
    """Put back the reduced axes (as size 1) so that g broadcasts against the input."""
    if keepdim or not ndim:
        return g
    if axes is None:
        return g.reshape((1,) * ndim)
    for a in sorted(axes):
        g = g.unsqueeze(a)
    return g


def _restore_np(a, ndim, axes, keepdim):
    if keepdim or not ndim:
        return a
    if axes is None:
        return a.reshape((1,) * ndim)
    shape = list(a.shape)
    for ax in sorted(axes):
        shape.insert(ax, 1)
    return a.reshape(shape)  # a reshape, not np.expand_dims: this runs in backward passes


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not isinstance(g, Tensor):  # an array: a first-order backward (see FormulaNode.arrays)
        g = _restore_np(_asarray(g), len(shape), axes, keepdim)
        return g if g.shape == shape else _broadcast_view(g, shape, 0)
    if axes is None and not keepdim:
        return g.expand(shape)  # a 0-d gradient broadcasts to any shape as it is
    return _restore(g, len(shape), axes, keepdim).expand(shape)


# -- sum, mean, nansum, nanmean --------------------------------------------------------------------
def _sum_grad(g, shape, axes, keepdim):
    return _expand_back(g, shape, axes, keepdim)


def _sum_jvp(ts, inputs, saved, out):
    _, axes, keepdim = saved
    return sum(ts[0], axes, keepdim)


_Sum = formula_node("SumBackward0", _sum_grad, arrays=True, jvp=_sum_jvp)
_SumDim = formula_node("SumBackward1", _sum_grad, arrays=True, jvp=_sum_jvp)


def _sum_dtype(d, dtype):
    if dtype is not None:
        return _dtype.as_dtype(dtype).np
    return np.dtype(np.int64) if d.dtype.kind in _INT_KINDS else d.dtype


_F32 = np.dtype(np.float32)


def _low_sum(d, axes, keepdim, dt, count=None):
    """A float16/bfloat16 sum (or mean, given the count) as PyTorch's CPU computes it: the
    terms added in float32, the result rounded once."""
    out = np.add.reduce(d, axis=axes, keepdims=keepdim, dtype=np.float32)
    if count is not None:
        out = out / np.float32(count)
    return np.asarray(out).astype(dt)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):  # noqa: A001
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "sum")
    dt = _sum_dtype(d, dtype)
    if dim is None:
        out = np.add.reduce(d, axis=None, keepdims=keepdim, dtype=dt) if dt is _F32 or \
            dt.char not in "eE" else _low_sum(d, None, keepdim, dt)
        return record(out, _Sum, (input,), (d.shape, None, keepdim))
    _check_dims_type("sum", dim)
    axes = _dims(dim, d.ndim)
    out = np.add.reduce(d, axis=axes, keepdims=keepdim, dtype=dt) if dt is _F32 or \
        dt.char not in "eE" else _low_sum(d, axes, keepdim, dt)
    return record(out, _SumDim, (input,), (d.shape, axes, keepdim))


def _nansum_grad(g, x, axes, keepdim):
    xd = x._data
    return _restore(g, xd.ndim, axes, keepdim) * _make(~np.isnan(xd))


_Nansum = formula_node("NansumBackward0", _nansum_grad, jvp=lambda ts, inputs, saved, out: sum(
    ts[0] * _make(~np.isnan(saved[0]._data)), saved[1], saved[2]))
name_saved(_Nansum, self=0, dim=1, keepdim=2)


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "nansum")
    refuse_complex(d, RuntimeError, "nansum on CPU does not support complex inputs")
    _check_dims_type("nansum", dim)
    axes = _dims(dim, d.ndim)
    out = np.nansum(d, axis=axes, keepdims=keepdim, dtype=_sum_dtype(d, dtype))
    return record(out, _Nansum, (input,), (input, axes, keepdim))


def _mean_grad(g, shape, axes, keepdim, count):
    if not count:  # empty input: divide after expanding, so d/dg sums nothing (0, not nan)
        return _expand_back(g, shape, axes, keepdim) / count
    return _expand_back(g / count, shape, axes, keepdim)


def _mean_jvp(ts, inputs, saved, out):
    _, axes, keepdim, count = saved
    return sum(ts[0], axes, keepdim) / count if count else mean(ts[0], axes, keepdim)


_Mean = formula_node("MeanBackward0", _mean_grad, arrays=True, jvp=_mean_jvp)
_MeanDim = formula_node("MeanBackward1", _mean_grad, arrays=True, jvp=_mean_jvp)
# PyTorch's grad_fn._saved_* of the sums and means
name_saved(_Sum, self_sym_sizes=0)
name_saved(_SumDim, self_sym_sizes=0, dim=1, keepdim=2)
name_saved(_Mean, self_sym_sizes=0)
name_saved(_MeanDim, self_sym_sizes=0, dim=1, keepdim=2)
_Mean._saved_self_sym_numel = _MeanDim._saved_self_sym_numel = property(
    lambda self: math.prod(self._field(0, False)))


def _mean_dtype(d, dtype, op="mean"):
    if dtype is None:
        if d.dtype.kind not in "fcV":
            exc = RuntimeError(
                f"{op}(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_type_word(d.dtype)}"
            )
            note(exc, "Convert the tensor first, e.g. x.float().mean(), or pass "
                         "dtype=ember.float32.")
            raise exc
        return d.dtype
    dt = _dtype.as_dtype(dtype)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {_type_word(dt.np)}"
        )
    return dt.np


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "mean")
    dt = _mean_dtype(d, dtype)
    if dim is not None:
        _check_dims_type("mean", dim)
    axes = _dims(dim, d.ndim)
    count = _reduced_count(d.shape, axes)
    # sum / count rather than np.mean: no warning for empty inputs (PyTorch gives nan quietly)
    if dt.char in "eE":
        out = _low_sum(d, axes, keepdim, dt, count)
    else:
        out = np.add.reduce(d, axis=axes, keepdims=keepdim, dtype=dt)
        out = np.true_divide(out, count, out=out) if out.ndim else np.asarray(out / count)
    node = _Mean if dim is None else _MeanDim
    return record(out, node, (input,), (d.shape, axes, keepdim, count))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "nanmean")
    if d.dtype.kind not in "fcV":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_type_word(d.dtype)}"
        )
    count = _make(~np.isnan(d)).sum(dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


# -- prod ------------------------------------------------------------------------------------------
def _reduce_keep(fn, t, axes):
    """fn(t) over axes, keeping them as size 1 (axes None: every axis)."""
    if axes is None:
        return fn(t).reshape((1,) * t._data.ndim)
    return fn(t, axes[0] if axes else 0, True) if len(axes) <= 1 else fn(t, axes, True)


def _prod_grad(g, x, axes, keepdim, y):
    xd = x._data
    nd = xd.ndim
    gk = _restore(g, nd, axes, keepdim)
    zero = xd == 0
    if not zero.any():
        return gk * (_restore(y, nd, axes, keepdim) / x)
    # d prod / d x_i = the product of the others. With zeros in a slice: one zero -> only that
    # position gets (product of the non-zeros); two or more -> all zero. Writing the zeros' own
    # values back in (s, which is 0) keeps the second derivative right as well.
    nz = zero.sum(axis=axes, keepdims=True)
    z = _make(zero)
    xs = where(z, 1.0, x)
    p = _reduce_keep(prod, xs, axes)
    s = _reduce_keep(sum, where(z, x, 0.0), axes)
    one = where(z, p, s * p / xs)
    two = where(z, (s - x) * p, 0.0)
    factor = where(_make(nz == 0), p / xs,
                   where(_make(nz == 1), one, where(_make(nz == 2), two, 0.0)))
    return gk * factor


_Prod = formula_node("ProdBackward0", _prod_grad)
_ProdDim = formula_node("ProdBackward1", _prod_grad)


def _conj_grad(formula):
    """A holomorphic reduction's gradient for complex input: conj(formula(conj(g), ...))."""
    def conj_formula(g, *args):
        return formula(g.conj(), *args).conj()

    return conj_formula


# complex inputs (PyTorch's convention: the conjugate of the derivative times the gradient)
_ProdC = formula_node("ProdBackward0", _conj_grad(_prod_grad))
_ProdDimC = formula_node("ProdBackward1", _conj_grad(_prod_grad))


def _one_axis(node, i=1):
    """The dim of a one-dim reduction, from its saved axes (a 1-tuple; () for a 0-d input)."""
    axes = node._field(i, False)
    return axes[0] if axes else 0


for _cls in (_Prod, _ProdC):
    name_saved(_cls, self=0, result=-1)
for _cls in (_ProdDim, _ProdDimC):
    name_saved(_cls, self=0, dim=_one_axis, keepdim=2, result=-1)

_PROD_SIGS = ("(*, ember.dtype dtype = None)",
              "(int dim, bool keepdim = False, *, ember.dtype dtype = None)")


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "prod")
    dt = _sum_dtype(d, dtype)
    if dim is None:
        return record(np.prod(d, dtype=dt), _ProdC if d.dtype.kind == "c" else _Prod, (input,),
                      (input, None, False), True)
    if not isinstance(dim, (int, np.integer)):
        raise _arg_error("prod", type(dim).__name__, _PROD_SIGS)
    axes = _dims(dim, d.ndim)
    out = np.prod(d, axis=axes, keepdims=keepdim, dtype=dt)
    return record(out, _ProdDimC if d.dtype.kind == "c" else _ProdDim, (input,),
                  (input, axes, keepdim), True)


# -- max, min, amax, amin, argmax, argmin ----------------------------------------------------------
def _tie_mask(xd, yd):
    """Where x equals its reduced value y (nan positions when y is nan, as PyTorch does)."""
    mask = xd == yd
    nan = np.isnan(yd) if yd.dtype.kind in "fcV" else None
    if nan is not None and nan.any():
        mask |= np.isnan(xd) & nan
    return mask


def _evenly_grad(g, x, y):
    # the gradient of a full reduction that picks a value: shared evenly among its ties
    mask = _tie_mask(x._data, y._data)
    return where(_make(mask), g / int(mask.sum()), 0.0)


def _index_grad(g, shape, axis, idx, keepdim, *indices):
    # the gradient of a reduction along axis that picks one element: it goes to that element
    # (``indices``: the op's returned index tensor, saved for its version: PyTorch's error if
    # it is changed in place before backward, where the gradient would move with it)
    onehot = np.zeros(shape, dtype=bool)
    if onehot.ndim:
        np.put_along_axis(onehot, idx, True, axis)
    else:
        onehot = np.asarray(True)
    gk = g if keepdim or not len(shape) else g.unsqueeze(axis)
    return where(_make(onehot), gk, 0.0)


def _evenly_jvp(ts, inputs, saved, y):
    # the mean of the tangent over the ties of the picked value
    mask = _tie_mask(saved[0]._data, y._data)
    return sum(ts[0] * _make(mask)) / int(mask.sum())


def _index_jvp(ts, inputs, saved, out):
    # the tangent of the picked element
    shape, axis, idx, keepdim = saved[:4]
    t = ts[0]
    if not len(shape):
        return t
    picked = gather(t, axis, _make(idx))
    return picked if keepdim else picked.squeeze(axis)


_MaxAll = formula_node("MaxBackward1", _evenly_grad, jvp=_evenly_jvp)
_MinAll = formula_node("MinBackward1", _evenly_grad, jvp=_evenly_jvp)
_MaxDim = formula_node("MaxBackward0", _index_grad, jvp=_index_jvp)
_MinDim = formula_node("MinBackward0", _index_grad, jvp=_index_jvp)


def _picked_indices(node):
    """The indices output of a reduction that picks one element along a dim (max(dim), median,
    mode): the saved positions (kept as size 1) without the reduced dim unless keepdim."""
    shape, axis, idx, keepdim = node._field(0, False), node._field(1, False), \
        node._field(2, False), node._field(3, False)
    if idx is None or not len(shape):
        return _make(np.zeros((), np.int64))
    return _make(idx.astype(np.int64, copy=False) if keepdim else
                 idx.squeeze(axis).astype(np.int64, copy=False))


def _name_picked(cls):
    return name_saved(cls, self_sym_sizes=0, dim=1, indices=_picked_indices, keepdim=3)


for _cls in (_MaxAll, _MinAll):
    name_saved(_cls, self=0, result=-1)
for _cls in (_MaxDim, _MinDim):
    _name_picked(_cls)


def _empty_all_error(op):
    return RuntimeError(
        f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
        "reduction dim with the 'dim' argument."
    )


def _select_along(d, axis, keepdim, argfn, name):
    """(values, indices) of a reduction along one axis that picks an element."""
    if d.ndim == 0:
        return d.copy(), np.zeros((), np.int64), np.zeros((), np.int64)
    if d.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = argfn(d, axis=axis, keepdims=True)
    values = np.take_along_axis(d, idx, axis)
    if not keepdim:
        return values.squeeze(axis), idx.squeeze(axis), idx
    return values, idx, idx


def _minmax(name, input, dim, keepdim, other, npfn, argfn, all_node, dim_node, result):
    if other is not None:
        return (maximum if name == "max" else minimum)(input, other)
    if isinstance(dim, Tensor):
        return (maximum if name == "max" else minimum)(input, dim)
    d = _data(input, name)
    if dim is None:
        refuse_complex(d, NotImplementedError, f'"{name}_all" not implemented for \'{{}}\'')
        if d.size == 0:
            raise _empty_all_error(name)
        return record(npfn(d), all_node, (input,), (input,), True)
    refuse_complex(d, RuntimeError, f"{name}(): does not support complex input")
    if not isinstance(dim, (int, np.integer)):
        got = type(dim).__name__
        if isinstance(dim, tuple):
            got = f"tuple of ({', '.join(type(x).__name__ for x in dim)})"
        why = f"\n      didn't match because some of the arguments have invalid types: (!{got}!)"
        raise _arg_error(name, type(dim).__name__, (
            "()" + why, "(Tensor other)" + why, "(int dim, bool keepdim = False)"))
    axis = _one_dim(dim, d.ndim)
    values, indices, idx = _select_along(d, axis, keepdim, argfn, name)
    indices = _make(indices)
    return result((record(values, dim_node, (input,), (d.shape, axis, idx, keepdim, indices)),
                   indices))


def max(input, dim=None, keepdim=False, *, other=None, axis=None):  # noqa: A001
    """max(input) -> 0-d; max(input, dim, keepdim) -> (values, indices); max(input, other)."""
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _minmax("max", input, dim, keepdim, other, np.max, np.argmax, _MaxAll, _MaxDim,
                   _MaxResult)


def min(input, dim=None, keepdim=False, *, other=None, axis=None):  # noqa: A001
    """min(input) -> 0-d; min(input, dim, keepdim) -> (values, indices); min(input, other)."""
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _minmax("min", input, dim, keepdim, other, np.min, np.argmin, _MinAll, _MinDim,
                   _MinResult)


def _amax_grad(g, x, axes, keepdim, y):
    xd = x._data
    nd = xd.ndim
    mask = xd == _restore_np(y._data, nd, axes, keepdim)
    count = mask.sum(axis=axes, keepdims=True)
    # multiply (not where): a nan maximum has no tie, so 0/0 spreads nan as in PyTorch
    return _restore(g, nd, axes, keepdim) * _make((mask / count).astype(xd.dtype, copy=False))


def _amax_jvp(ts, inputs, saved, y):
    # the mean of the tangent over the ties of each maximum
    x, axes, keepdim = saved
    xd = x._data
    mask = xd == _restore_np(y._data, xd.ndim, axes, keepdim)
    count = mask.sum(axis=axes, keepdims=True)
    return sum(ts[0] * _make((mask / count).astype(xd.dtype, copy=False)), axes, keepdim)


_Amax = formula_node("AmaxBackward0", _amax_grad, jvp=_amax_jvp)
_Amin = formula_node("AminBackward0", _amax_grad, jvp=_amax_jvp)
for _cls in (_Amax, _Amin):  # amax's dim defaults to (): every dim
    name_saved(_cls, self=0, keepdim=2, result=-1,
               dim=lambda n: n._field(1, False) or ())


def _check_nonempty(op, d, axes, dim):
    if d.size:
        return
    if axes is None:
        raise _empty_all_error(op)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    for a, given in zip(axes, dims):
        if d.shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {given} to have non-zero size.")


def _amax_like(op, npfn, node, input, dim, keepdim):
    d = _data(input, op)
    refuse_complex(d, NotImplementedError, f'"{op[1:]}_values_cpu" not implemented for \'{{}}\'')
    axes = _dims(dim, d.ndim)
    _check_nonempty(op, d, axes, dim)
    out = npfn(d, axis=axes, keepdims=keepdim)
    return record(out, node, (input,), (input, axes, keepdim), True)


def amax(input, dim=(), keepdim=False, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _amax_like("amax", np.max, _Amax, input, dim, keepdim)


def amin(input, dim=(), keepdim=False, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _amax_like("amin", np.min, _Amin, input, dim, keepdim)


def _arg(op, npfn, input, dim, keepdim):
    d = _data(input, op)
    refuse_complex(d, RuntimeError, f"{op}(): does not support complex input")
    if d.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if d.size == 0:
            raise IndexError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        out = np.asarray(npfn(d), dtype=np.int64)
        return _make(out.reshape((1,) * d.ndim) if keepdim else out)
    axis = _one_dim(dim, d.ndim)
    if d.ndim == 0:
        return _make(np.zeros((), np.int64))
    if d.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
    return _make(npfn(d, axis=axis, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input, dim=None, keepdim=False, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _arg("argmax", np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _arg("argmin", np.argmin, input, dim, keepdim)


def _aminmax_grad(self, grads, create_graph):
    x, axes, keepdim, lo, hi = self.unpack_saved()
    out = None
    for g, y in zip(grads, (lo, hi)):
        if g is not None:
            part = _amax_grad(g, x, axes, keepdim, _make(y))
            out = part if out is None else out + part
    return (out,)


AminmaxBackward0 = type("AminmaxBackward0", (Node,), {
    "__slots__": (), "n_outputs": 2, "apply": _aminmax_grad})
name_saved(AminmaxBackward0, self=0, keepdim=2,
           dim=lambda n: None if n._field(1, False) is None else _one_axis(n),
           min=lambda n: _make(n._field(3, False)),
           max=lambda n: _make(n._field(4, False)))


def aminmax(input, *, dim=None, keepdim=False):
    d = _data(input, "aminmax")
    axes = None if dim is None else _dims(dim, d.ndim)
    if d.size == 0 and (axes is None or _builtin_any(d.shape[a] == 0 for a in axes)):
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity."
        )
    lo = np.asarray(np.min(d, axis=axes, keepdims=keepdim))
    hi = np.asarray(np.max(d, axis=axes, keepdims=keepdim))
    return _AminmaxResult(_record2(lo, hi, AminmaxBackward0, input, (input, axes, keepdim, lo, hi)))


# -- var, std, var_mean, std_mean ------------------------------------------------------------------
def _var_args(op, input, dim, unbiased, keepdim, correction):
    d = _data(input, op)
    if isinstance(dim, bool):  # var(x, True): the legacy unbiased flag in first place
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise _arg_error(op, f"correction={type(correction).__name__}, unbiased=bool, ", (
            "(tuple of ints dim, bool unbiased = True, bool keepdim = False)",
            "(tuple of ints dim = None, *, Number correction = None, bool keepdim = False)",
            "(bool unbiased = True)"))
    if d.dtype.kind not in "fcV":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    # the correction as PyTorch's node shows it: as given; else 1 or 0 where PyTorch's call
    # takes the overload with unbiased (a dim or unbiased given); else None
    shown = correction
    if correction is None and (unbiased is not None or dim is not None):
        shown = 0 if unbiased is False else 1
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _dims(dim, d.ndim)
    n = _reduced_count(d.shape, axes)
    dof = n - correction
    if dof <= 0:
        warnings.warn(
            f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3
        )
    # the forward divides by max(dof, 0); PyTorch's backward divides by dof itself when a dim
    # of a non-0-d input was given, by max(dof, 0) otherwise (nan gradients)
    if dof < 0 and (dim is None or not d.ndim):
        dof = 0
    return d, axes, dof, shown


def _var_np(d, axes, keepdim, dof):
    if d.dtype.char in "eE":  # float16/bfloat16: computed in float32, rounded once
        v, m = _var_np(d.astype(np.float32), axes, keepdim, dof)
        return v.astype(d.dtype), m.astype(d.dtype)
    n = _reduced_count(d.shape, axes)
    m = np.sum(d, axis=axes, keepdims=True) / n  # not np.mean: no warning when empty
    diff = d - m
    if d.dtype.kind == "c":
        diff = np.abs(diff)
    v = np.asarray(np.sum(diff * diff, axis=axes, keepdims=keepdim) / (dof if dof > 0 else 0))
    return v, m if keepdim else m.reshape(v.shape)


def _var_grad(g, x, axes, keepdim, dof, correction=None):
    # (correction: the argument as given, kept for grad_fn._saved_correction; dof is what counts)
    gk = _restore(g, x._data.ndim, axes, keepdim)
    centred = x - _reduce_keep(mean, x, axes)
    return gk * centred * (2 / dof if dof else math.inf)


def _std_grad(g, x, axes, keepdim, dof, correction, y):  # (correction: as in _var_grad)
    # d std = d var / (2 std); PyTorch sets it to 0 where std is 0 (constant slices)
    # (PyTorch divides by max(dof, 0) here, unlike var's backward: nan when dof <= 0)
    return _var_grad(where(y == 0, 0.0, g / (2 * y)), x, axes, keepdim, dof if dof > 0 else 0)


_Var = formula_node("VarBackward0", _var_grad)
_Std = formula_node("StdBackward0", _std_grad)
name_saved(_Var, self=0, dim=1, keepdim=2, correction=4)
name_saved(_Std, self=0, dim=1, keepdim=2, correction=4, result=-1)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d, axes, dof, shown = _var_args("var", input, dim, unbiased, keepdim, correction)
    v, _ = _var_np(d, axes, keepdim, dof)
    return record(v, _Var, (input,), (input, axes, keepdim, dof, shown))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d, axes, dof, shown = _var_args("std", input, dim, unbiased, keepdim, correction)
    v, _ = _var_np(d, axes, keepdim, dof)
    return record(np.sqrt(v), _Std, (input,), (input, axes, keepdim, dof, shown), True)


def _record2(a, b, node_cls, input, saved, out=None):
    """Two outputs of one node (var_mean, aminmax): output_nr 0 and 1."""
    if not (_grad_state.enabled and isinstance(input, Tensor) and input._requires_grad):
        if _fw_state.active:
            return dual_multi((_make(a), _make(b)), node_cls, (input,), saved, out == 0)
        return _make(a), _make(b)
    t0, t1 = _make(a, True), _make(b, True)
    t1._output_nr = 1
    versions = [s._version[0] if isinstance(s, Tensor) else None for s in saved]
    d = input._data
    node = node_cls((edge(input),), [(d.shape, d.dtype)], saved, versions,
                    (a, t0._version, 0) if out == 0 else None)
    t0._grad_fn = t1._grad_fn = node
    if _fw_state.active:
        dual_multi((t0, t1), node_cls, (input,), saved, out == 0, node)
    return t0, t1


class _MomentsNode(Node):
    __slots__ = ()
    n_outputs = 2
    std = False

    def apply(self, grads, create_graph):
        x, axes, keepdim, dof, count, _ = self.unpack_saved()
        g0, g1 = grads
        out = None
        if g0 is not None:
            if self.std:
                out = _std_grad(g0, x, axes, keepdim, dof, None, self.unpack_out(create_graph))
            else:
                out = _var_grad(g0, x, axes, keepdim, dof)
        if g1 is not None:
            gm = _expand_back(g1 / count, x._data.shape, axes, keepdim)
            out = gm if out is None else out + gm
        return (out,)


VarMeanBackward0 = type("VarMeanBackward0", (_MomentsNode,), {"__slots__": ()})
StdMeanBackward0 = type("StdMeanBackward0", (_MomentsNode,), {"__slots__": (), "std": True})
name_saved(VarMeanBackward0, self=0, dim=1, keepdim=2, correction=5)
name_saved(StdMeanBackward0, self=0, dim=1, keepdim=2, correction=5, result0=-1)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d, axes, dof, shown = _var_args("var_mean", input, dim, unbiased, keepdim, correction)
    v, m = _var_np(d, axes, keepdim, dof)
    saved = (input, axes, keepdim, dof, _reduced_count(d.shape, axes), shown)
    return _record2(v, m, VarMeanBackward0, input, saved)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d, axes, dof, shown = _var_args("std_mean", input, dim, unbiased, keepdim, correction)
    v, m = _var_np(d, axes, keepdim, dof)
    saved = (input, axes, keepdim, dof, _reduced_count(d.shape, axes), shown)
    return _record2(np.sqrt(v), m, StdMeanBackward0, input, saved, out=0)


# -- logsumexp -------------------------------------------------------------------------------------
def _lse_grad(g, x, axes, keepdim, y):
    nd = x._data.ndim
    return _restore(g, nd, axes, keepdim) * (x - _restore(y, nd, axes, keepdim)).exp()


def _lse_jvp(ts, inputs, saved, y):
    # the tangent averaged with the softmax weights exp(x - y)
    x, axes, keepdim = saved
    return sum(ts[0] * (x - _restore(y, x._data.ndim, axes, keepdim)).exp(), axes, keepdim)


_Logsumexp = formula_node("LogsumexpBackward0", _lse_grad, jvp=_lse_jvp)
_LogsumexpC = formula_node("LogsumexpBackward0", _conj_grad(_lse_grad), jvp=_lse_jvp)
for _cls in (_Logsumexp, _LogsumexpC):
    name_saved(_cls, self=0, keepdim=2, result=-1, dim=lambda n: n._field(1, False) or ())


def logsumexp(input, dim=None, keepdim=False, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    d = _data(input, "logsumexp")
    if d.dtype.kind in _INT_KINDS:
        d = d.astype(_dtype.get_default_dtype().np)
    axes = _dims(dim, d.ndim)
    low = d.dtype if d.dtype.char in "eE" else None
    if low is not None:  # float16/bfloat16: computed in float32, rounded once
        d = d.astype(np.float32)
    # subtract the maximum so exp cannot overflow; an infinite maximum is left out, so that
    # rows of -inf give -inf and rows holding +inf give +inf
    if d.size:
        m = np.max(d, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(d.dtype, copy=False)
    else:
        m = np.zeros((1,) * d.ndim, d.dtype)
    s = np.sum(np.exp(d - m), axis=axes, keepdims=True)
    out = np.log(s) + m
    if not keepdim:
        out = out.reshape(() if axes is None else
                          tuple(n for i, n in enumerate(d.shape) if i not in axes))
    if low is not None:
        out = out.astype(low)
    return record(out, _LogsumexpC if out.dtype.kind == "c" else _Logsumexp, (input,),
                  (input, axes, keepdim), True)


# -- norm ------------------------------------------------------------------------------------------
def _norm_grad(g, x, p, axes, keepdim, y):
    nd = x._data.ndim
    gk = _restore(g, nd, axes, keepdim)
    yk = _restore(y, nd, axes, keepdim)
    if p == 0:
        return None  # the count of non-zeros has no gradient (PyTorch leaves it undefined)
    if not x._data.size:
        return _expand_back(g, x._data.shape, axes, keepdim)
    if p == 1:
        return gk * x.sign()
    if p == 2:
        return x * where(yk == 0, 0.0, gk / yk)
    if math.isinf(p):
        mask = x._data.__abs__() == yk._data
        count = mask.sum(axis=axes, keepdims=True)
        return where(_make(mask), gk * x.sign() / _make(count.astype(x._data.dtype)), 0.0)
    a = x.abs()
    term = x.sign() * a ** (p - 1)
    if p < 1:
        term = where(_make(x._data == 0), 0.0, term)
    return term * where(yk == 0, 0.0, gk / yk ** (p - 1))


_Norm = name_saved(formula_node("LinalgVectorNormBackward0", _norm_grad),
                   self=0, ord=1, dim=2, keepdim=3, result=-1)


def _vector_norm(d, p, axes, keepdim):
    if d.dtype.char in "eE":  # float16/bfloat16: computed in float32, rounded once
        return np.asarray(_vector_norm(d.astype(np.float32), p, axes, keepdim)).astype(d.dtype)
    a = np.abs(d)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
    if p == 1:
        return np.sum(a, axis=axes, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=axes, keepdims=keepdim, dtype=a.dtype)
    if math.isinf(p):
        word = "inf" if p > 0 else "-inf"
        if a.size == 0:
            if axes is None:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {word} norm on an empty tensor "
                    "because the operation does not have an identity"
                )
            for ax in axes:
                if a.shape[ax] == 0:
                    raise RuntimeError(
                        f"linalg.vector_norm cannot compute the {word} norm on the dimension "
                        f"{ax}because this dimension is empty and the operation does not have "
                        "an identity"
                    )
        return (np.max if p > 0 else np.min)(a, axis=axes, keepdims=keepdim)
    return np.sum(a**p, axis=axes, keepdims=keepdim) ** (1.0 / p)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The vector p-norm over dim (every element by default); 'fro' is the 2-norm."""
    d = _data(input, "norm")
    if d.dtype.kind not in "fcV":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_type_word(d.dtype)}"
        )
    if dtype is not None:
        input = input.to(dtype)
        d = input._data
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        ndims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
        if p == "nuc" or ndims is not None and len(ndims) > 2:
            if ndims is None or len(ndims) != 2:
                got = "" if ndims is None else " ".join(str(x) for x in ndims)
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
            raise NotImplementedError("norm(p='nuc') is not supported by ember yet")
        p = 2
    p = float(p) if not isinstance(p, int) else p
    axes = _dims(dim, d.ndim)
    res = _vector_norm(d, p, axes, keepdim)
    if d.dtype.kind == "c":
        res = res.real
    return record(np.asarray(res), _Norm, (input,), (input, p, axes, keepdim), True)


# -- cumulative ops --------------------------------------------------------------------------------
_Flip = name_saved(formula_node("FlipBackward0", lambda g, axis: _flip(g, axis)),
                   dims=lambda n: (n._field(0, False),))


def _flip(t, axis):
    # private: the reversed cumulative sum in the backward of cumsum/cumprod needs it
    d = t._data
    return record(np.flip(d, axis).copy() if d.ndim else d.copy(), _Flip, (t,), (axis,))


def _rev_cumsum(g, axis):
    if not g._data.ndim:
        return g
    return _flip(cumsum(_flip(g, axis), axis), axis)


_Cumsum = formula_node("CumsumBackward0", lambda g, axis: _rev_cumsum(g, axis),
                       jvp=lambda ts, inputs, saved, out: cumsum(ts[0], saved[0]))
name_saved(_Cumsum, dim=0)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    if dim is None:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    d = _data(input, "cumsum")
    axis = _one_dim(dim, d.ndim)
    dt = _sum_dtype(d, dtype)
    out = np.cumsum(d, axis=axis, dtype=dt) if d.ndim else d.astype(dt)
    return record(out, _Cumsum, (input,), (axis,))


def _cumprod_grad_np(xd, gd, axis):
    """The gradient of cumprod (values only), exact with zeros in the input.

    grad_i = sum_{k>=i} g_k * prod_{j<=k, j!=i} x_j. Before a slice's first zero z this is
    revcumsum(g * out)_i / x_i; at z it is prod(x before z) * revcumsum(g * cumprod(x after z));
    after z every term holds x_z = 0.
    """
    zero = xd == 0
    out = np.cumprod(xd, axis=axis)
    rc = lambda a: np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)  # noqa: E731
    if not zero.any():
        return rc(gd * out) / xd
    cz = np.cumsum(zero, axis=axis)
    before = cz == 0
    first = zero & (cz == 1)
    xb = np.where(before, xd, 1)
    grad = np.where(before, rc(gd * out) / xb, 0)
    lead = np.prod(xb, axis=axis, keepdims=True)
    tail = np.where(before | first, 1, xd)
    at_zero = lead * rc(gd * np.cumprod(tail, axis=axis))
    return np.where(first, at_zero, grad).astype(xd.dtype, copy=False)


def _cumprod_grad(g, x, axis, y):
    xd = x._data
    if not xd.ndim:
        return g * 1
    zero = xd == 0
    if not zero.any():
        return _rev_cumsum(g * y, axis) / x
    if not (_grad_state.enabled or _fw_state.active):  # first derivative: values suffice
        return _make(_cumprod_grad_np(xd, g._data, axis))
    # Differentiable form (see _cumprod_grad_np): before the first zero and at it, ember ops;
    # after it the gradient is x_z * (the gradient with x_z set to 1): its value is 0 and its
    # derivative picks x_z.
    cz = np.cumsum(zero, axis=axis)
    before, first = cz == 0, zero & (cz == 1)
    bt, ft = _make(before), _make(first)
    xb = where(bt, x, 1.0)
    part_before = _rev_cumsum(g * y, axis) / xb
    lead = prod(xb, axis, True)
    tail = where(_make(before | first), 1.0, x)
    part_zero = lead * _rev_cumsum(g * cumprod(tail, axis), axis)
    xz = sum(where(ft, x, 0.0), axis, True)
    rest = _make(_cumprod_grad_np(np.where(first, 1, xd).astype(xd.dtype), g._data, axis))
    return where(bt, part_before, where(ft, part_zero, xz * rest))


_Cumprod = formula_node("CumprodBackward0", _cumprod_grad)
_CumprodC = formula_node("CumprodBackward0", _conj_grad(_cumprod_grad))
for _cls in (_Cumprod, _CumprodC):
    name_saved(_cls, self=0, dim=1, result=-1)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    if dim is None:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    d = _data(input, "cumprod")
    axis = _one_dim(dim, d.ndim)
    dt = _sum_dtype(d, dtype)
    out = np.cumprod(d, axis=axis, dtype=dt) if d.ndim else d.astype(dt)
    return record(out, _CumprodC if out.dtype.kind == "c" else _Cumprod, (input,), (input, axis),
                  True)


def _check_dim_int(op, dim):
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, (bool, np.bool_)):
        return dim
    raise TypeError(f"{op}(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")


def _cum_select_grad(g, x, axis, indices):
    # each output took its value from x[indices]: the gradients add up there
    shape = x._data.shape
    if not len(shape) or not math.prod(shape):
        return g
    dt = g._data.dtype
    if dt == np.float16:  # half gradients add up in float32, as in PyTorch
        zeros = _make(np.zeros(shape, np.float32))
        return scatter_add(zeros, axis, indices, g.to(_dtype.float32)).to(_dtype.float16)
    return scatter_add(_make(np.zeros(shape, dt)), axis, indices, g)


def _cum_select_jvp(ts, inputs, saved, out):
    # each output's tangent is that of the element it took its value from
    x, axis, indices = saved
    if not x._data.ndim or not x._data.size:
        return ts[0]
    return gather(ts[0], axis, indices)


_Cummax = name_saved(formula_node("CummaxBackward0", _cum_select_grad, jvp=_cum_select_jvp),
                     self=0, dim=1, indices=2)
_Cummin = name_saved(formula_node("CumminBackward0", _cum_select_grad, jvp=_cum_select_jvp),
                     self=0, dim=1, indices=2)
_CummaxResult, _CumminResult = return_type("cummax"), return_type("cummin")


def _cum_extreme(op, input, dim, axis, npfn, node, result):
    """(values, indices) of the running max/min: a later equal value, or any nan, takes over."""
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    if dim is None:
        raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')
    d = _data(input, op)
    refuse_complex(d, NotImplementedError, f'"{op}_cpu" not implemented for \'{{}}\'')
    if not d.ndim and _check_dim_int(op, dim) not in (0, -1):
        raise IndexError(f"{op}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    if d.ndim and not d.size:
        ax = 0  # PyTorch returns an empty input as it is, whatever dim says
        _check_dim_int(op, dim)
    else:
        ax = _one_dim(_check_dim_int(op, dim), d.ndim)
    if not d.ndim or not d.size:
        idx = np.zeros(d.shape, np.int64)
    else:
        # x_i takes over when it equals the running extreme so far (PyTorch compares with >=
        # or <=), or when it is nan (the extreme is then nan from there on)
        takes = d == npfn.accumulate(d, axis=ax)
        if d.dtype.kind in "fcV":
            takes |= np.isnan(d)
        n = d.shape[ax]
        pos = np.arange(n).reshape([n if i == ax else 1 for i in range(d.ndim)])
        idx = np.maximum.accumulate(np.where(takes, pos, 0), axis=ax)
    values = np.take_along_axis(d, idx, ax) if d.ndim else d.copy()
    indices = _make(idx)
    return result((record(values, node, (input,), (input, ax, indices)), indices))


def cummax(input, dim=None, *, axis=None):
    return _cum_extreme("cummax", input, dim, axis, np.maximum, _Cummax, _CummaxResult)


def cummin(input, dim=None, *, axis=None):
    return _cum_extreme("cummin", input, dim, axis, np.minimum, _Cummin, _CumminResult)


def _rev_logcumsumexp(t, axis):
    return _flip(logcumsumexp(_flip(t, axis), axis), axis)


def _logcumsumexp_grad(g, x, axis, y):
    # PyTorch's formula: the positive and the negative parts of g, each summed in log space
    if not g.dim() or not g.numel():
        return g
    low = float(np.finfo(g.dtype.np).min)
    # log|g| where g != 0 (1 elsewhere, masked below): no log(0), whose infinite derivative
    # would turn the masked entries into nan under double backward
    log_abs = where(g != 0, g.abs(), 1.0).log()
    pos = where(g > 0, log_abs, low)
    neg = where(g < 0, log_abs, low)
    return ((_rev_logcumsumexp(pos - y, axis) + x).exp()
            - (_rev_logcumsumexp(neg - y, axis) + x).exp())


def _logcumsumexp_jvp(ts, inputs, saved, y):
    # dy_k = sum_{j<=k} exp(x_j - y_k) t_j, the positive and negative parts of t in log space
    t = ts[0]
    x, axis = saved
    if not t.dim() or not t.numel():
        return t
    low = float(np.finfo(t.dtype.np).min)
    log_abs = where(t != 0, t.abs(), 1.0).log()
    pos = where(t > 0, log_abs, low) + x
    neg = where(t < 0, log_abs, low) + x
    return (logcumsumexp(pos, axis) - y).exp() - (logcumsumexp(neg, axis) - y).exp()


_Logcumsumexp = name_saved(formula_node("LogcumsumexpBackward0", _logcumsumexp_grad,
                                        jvp=_logcumsumexp_jvp), self=0, dim=1, result=-1)


def logcumsumexp(input, dim=None, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    if dim is None:
        raise TypeError('logcumsumexp() missing 1 required positional arguments: "dim"')
    d = _data(input, "logcumsumexp")
    ax = _one_dim(_check_dim_int("logcumsumexp", dim), d.ndim)
    if d.dtype.kind not in "fV":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_type_word(d.dtype)}'"
        )
    if not d.ndim:
        out = d.copy()
    else:
        # half precision accumulates in float32, as PyTorch does, and rounds each result
        work = d.astype(np.float32) if d.dtype == np.float16 else d
        out = np.logaddexp.accumulate(work, axis=ax).astype(d.dtype, copy=False)
    return record(out, _Logcumsumexp, (input,), (input, ax), True)


# -- all, any, count_nonzero -----------------------------------------------------------------------
def _logical_reduce(op, npfn, input, dim, keepdim):
    d = _data(input, op)
    # unlike sum, all/any read an empty dim list as "reduce nothing"
    axes = () if isinstance(dim, (tuple, list)) and not dim else _dims(dim, d.ndim)
    out = np.asarray(npfn(d, axis=axes, keepdims=keepdim))
    # uint8 inputs give uint8 results (a PyTorch legacy); everything else gives bool
    return _make(out.astype(np.uint8) if d.dtype == np.uint8 else out)


def all(input, dim=None, keepdim=False, *, axis=None):  # noqa: A001
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _logical_reduce("all", np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False, *, axis=None):  # noqa: A001
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _logical_reduce("any", np.any, input, dim, keepdim)


def count_nonzero(input, dim=None, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "count_nonzero")
    axes = _dims(dim, d.ndim)
    return _make(np.asarray(np.count_nonzero(d, axis=axes), dtype=np.int64))


# -- median, nanmedian, mode ----------------------------------------------------------------------
_MedianAll = formula_node("MedianBackward0", _evenly_grad, jvp=_evenly_jvp)
_MedianDim = formula_node("MedianBackward1", _index_grad, jvp=_index_jvp)
_NanmedianAll = formula_node("NanmedianBackward0", _evenly_grad, jvp=_evenly_jvp)
_NanmedianDim = formula_node("NanmedianBackward1", _index_grad, jvp=_index_jvp)
_ModeDim = formula_node("ModeBackward0", _index_grad, jvp=_index_jvp)
for _cls in (_MedianAll, _NanmedianAll):
    name_saved(_cls, self=0, result=-1)
for _cls in (_MedianDim, _NanmedianDim, _ModeDim):
    _name_picked(_cls)


def _median_index(d, axis, skip_nan):
    """Index (keepdims) of the lower median along axis; nan wins unless skip_nan."""
    order = np.argsort(d, axis=axis, kind="stable")  # nan sorts last
    n = d.shape[axis]
    if d.dtype.kind in "fcV":
        isnan = np.isnan(d)
        if skip_nan:
            k = np.maximum((n - isnan.sum(axis=axis, keepdims=True) - 1) // 2, 0)
            return np.take_along_axis(order, k, axis)
        idx = np.take_along_axis(order, np.full((1,) * d.ndim, (n - 1) // 2), axis)
        has_nan = isnan.any(axis=axis, keepdims=True)
        if has_nan.any():
            idx = np.where(has_nan, np.argmax(isnan, axis=axis, keepdims=True), idx)
        return idx
    return np.take_along_axis(order, np.full((1,) * d.ndim, (n - 1) // 2), axis)


def _median(op, input, dim, keepdim, skip_nan, all_node, dim_node, result):
    d = _data(input, op)
    refuse_complex(d, NotImplementedError, f'"{op}_cpu" not implemented for \'{{}}\'')
    if d.dtype == np.bool_:
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')
    if dim is None:
        if d.size == 0:
            return record(np.asarray(np.nan, d.dtype), all_node, (input,), (input,), True)
        flat = d.reshape(-1)
        value = flat[_median_index(flat, 0, skip_nan)[0]]
        return record(np.asarray(value), all_node, (input,), (input,), True)
    axis = _one_dim(dim, d.ndim)
    if d.ndim == 0:
        values, indices, idx = d.copy(), np.zeros((), np.int64), np.zeros((), np.int64)
    else:
        if d.shape[axis] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
        idx = _median_index(d, axis, skip_nan)
        values = np.take_along_axis(d, idx, axis)
        indices = idx
        if not keepdim:
            values, indices = values.squeeze(axis), idx.squeeze(axis)
    indices = _make(indices.astype(np.int64, copy=False))
    return result((record(values, dim_node, (input,), (d.shape, axis, idx, keepdim, indices)),
                   indices))


def median(input, dim=None, keepdim=False, *, axis=None):
    """The lower median: of every element (0-d), or along dim as (values, indices)."""
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _median("median", input, dim, keepdim, False, _MedianAll, _MedianDim, _MedianResult)


def nanmedian(input, dim=None, keepdim=False, *, axis=None):
    """median ignoring nan (nan only where a slice holds nothing else)."""
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    return _median("nanmedian", input, dim, keepdim, True, _NanmedianAll, _NanmedianDim,
                   _NanmedianResult)


def _mode_index(d, axis):
    """Index (keepdims) of the most frequent value (the smallest such; its last occurrence)."""
    moved = np.moveaxis(d, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]
        out[r] = np.flatnonzero(row == best)[-1] if best == best else np.flatnonzero(
            np.isnan(row))[-1]
    return np.expand_dims(out.reshape(moved.shape[:-1]), axis)


def mode(input, dim=-1, keepdim=False, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    d = _data(input, "mode")
    axis = _one_dim(dim, d.ndim)
    if d.ndim == 0:
        return _ModeResult((record(d.copy(), _ModeDim, (input,), (d.shape, 0, None, keepdim)),
                            _make(np.zeros((), np.int64))))
    if d.shape[axis] == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    idx = _mode_index(d, axis)
    values = np.take_along_axis(d, idx, axis)
    indices = idx
    if not keepdim:
        values, indices = values.squeeze(axis), idx.squeeze(axis)
    indices = _make(indices)
    return _ModeResult((record(values, _ModeDim, (input,), (d.shape, axis, idx, keepdim, indices)),
                        indices))


TENSOR_METHODS = {
    "sum": sum, "mean": mean, "nansum": nansum, "nanmean": nanmean, "prod": prod, "max": max,
    "min": min, "amax": amax, "amin": amin, "aminmax": aminmax, "argmax": argmax,
    "argmin": argmin, "var": var, "std": std, "logsumexp": logsumexp,
    "cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin,
    "logcumsumexp": logcumsumexp, "all": all, "any": any,
    "count_nonzero": count_nonzero, "median": median, "nanmedian": nanmedian, "mode": mode,
}
