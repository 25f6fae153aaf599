"""Indexing: tensor[key], tensor[key] = value, gather/scatter, masks and index lists.

A key is split in two stages, as PyTorch applies it: first the basic part (ints, slices, None,
Ellipsis) picks a view; then the advanced part (index and mask arrays, with full slices between
them) is applied to that view and copies. Both stages are kept as a pair ``(basic, adv)`` of
NumPy keys, so forward, backward and assignment all read one representation.
"""


import numpy as np

from .. import _dtype, _names
from .._dtype import from_np
from .._errors import note, warn_once
from .._tensor import Tensor, _make, _type_name, _wrap_dim
from ..autograd import forward_ad as _fw
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node, name_saved
from ._inplace import (
    apply_inplace,
    check_inplace,
    check_view_inplace,
    inplace_on_view,
    overlap_error,
)
from ._op import (
    FormulaNode,
    argname,
    broadcast_shapes_error,
    formula_node,
    linear,
    own_tangent,
    record,
    unsupported,
    zero_tangents,
)
from .shape import _Alias, _embed, _Select, _Slice, _UnsqueezeKey, key_view

__all__ = [
    "index_select", "gather", "scatter", "scatter_add", "masked_fill", "masked_select", "take",
    "take_along_dim", "nonzero", "argwhere", "index_add", "put", "index_put", "scatter_reduce",
    "index_reduce",
]

_INTS = (int, np.integer)
_ALL = (Ellipsis,)


# -- parsing a key --------------------------------------------------------------------------
def _invalid_index(item):
    name = type(item).__name__
    return IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {name})"
    )


def _as_index_array(item):
    """An index given as a tensor, list or array: an int64 or bool ndarray."""
    if isinstance(item, Tensor):
        a = item._data
    else:
        try:
            a = np.asarray(item)
        except (TypeError, ValueError):
            raise _invalid_index(item) from None
        if a.dtype == object:
            raise _invalid_index(item)
        if a.size == 0 and a.dtype.kind in "fV":
            a = a.astype(np.int64)  # [] is an empty list of indices
    kind = a.dtype.kind
    if kind == "u" and a.dtype.itemsize == 1:
        return a.astype(bool)  # uint8 masks (deprecated in PyTorch, still accepted)
    if kind not in "biu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a


def _seq_as_tuple(key):
    """PyTorch (like old NumPy) reads x[[0, slice]] or x[[[0, 1]]] as a tuple of indices."""
    if len(key) >= 32:
        return False
    return any(isinstance(k, (Tensor, list, tuple, slice, np.ndarray)) or k is None
               or k is Ellipsis for k in key)


def _slice_bounds(s, n):
    start, stop, step = s.start, s.stop, s.step
    if step is not None:
        step = int(step)
        if step <= 0:
            if step == 0:
                raise ValueError("slice step cannot be zero")
            raise ValueError("step must be greater than zero")
    return slice(None if start is None else int(start), None if stop is None else int(stop), step)


def parse_key(key, shape):
    """Split a PyTorch key into ((basic NumPy key), adv NumPy key or None, grad_fn class,
    the last view op PyTorch runs for an assignment or None).

    The basic key always ends with Ellipsis, so NumPy returns a view even for 0-d results.
    """
    single = not isinstance(key, tuple)
    if single:
        if isinstance(key, list) and _seq_as_tuple(key):
            key = tuple(key)
            single = False
        else:
            key = (key,)
    ndim = len(shape)
    # how many input dims the key consumes, to size the Ellipsis
    used = 0
    items = []
    for k in key:
        if k is None or k is Ellipsis or isinstance(k, slice):
            items.append(k)
            if isinstance(k, slice):
                used += 1
            continue
        if isinstance(k, (bool, np.bool_)):
            items.append(np.array(bool(k)))
            continue
        if isinstance(k, _INTS):
            items.append(int(k))
            used += 1
            continue
        if isinstance(k, (Tensor, list, tuple, np.ndarray)):
            a = _as_index_array(k)
            if a.ndim == 0 and a.dtype.kind != "b":
                items.append(int(a))  # a 0-d integer tensor selects, like an int
                used += 1
            else:
                items.append(a)
                used += a.ndim if a.dtype.kind == "b" else 1
            continue
        raise _invalid_index(k)
    if used > ndim:
        if ndim == 0 and any(isinstance(k, int) for k in items):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    basic, adv = [], []
    has_adv = False
    node = None
    op = None  # the last view op that assignment goes through
    dim = 0  # position in the input
    rdim = 0  # position in the result as PyTorch builds it (its errors count dims so)
    beyond = False  # a second Ellipsis took the position past the input's dims
    masks = []  # (mask, its first dim in the basic view) for masks that do not fit
    vpos = 0  # dims of the basic view that the advanced key has covered
    seen_ellipsis = False
    for i, k in enumerate(items):
        if beyond and k is not Ellipsis:
            _raise_beyond(k, rdim, ndim, i)
        if k is Ellipsis:
            n = ndim - used
            if seen_ellipsis:
                beyond = beyond or n > 0  # PyTorch expands each Ellipsis the same way
                rdim += n
                continue
            seen_ellipsis = True
            basic.extend([slice(None)] * n)
            adv.extend([slice(None)] * n)
            dim += n
            rdim += n
            vpos += n
        elif k is None:
            basic.append(None)
            adv.append(slice(None))
            node = _UnsqueezeKey
            op = "Unsqueeze"
            rdim += 1
            vpos += 1
        elif isinstance(k, int):
            n = shape[dim]
            if not -n <= k < n:
                # PyTorch names the dimension by the int's place in the key
                raise IndexError(f"index {k} is out of bounds for dimension {i} with size {n}")
            basic.append(k % n)
            node = _Select
            op = "Select"
            dim += 1
        elif isinstance(k, slice):
            s = _slice_bounds(k, shape[dim])
            basic.append(s)
            adv.append(slice(None))
            # PyTorch skips a slice only when it is written to cover the whole dim
            if not (s.start in (None, 0) and s.step in (None, 1)
                    and (s.stop is None or s.stop >= shape[dim])):
                node = _Slice
                op = "Slice"
            elif single:
                node = _Slice
            dim += 1
            rdim += 1
            vpos += 1
        else:  # an array
            has_adv = True
            if k.dtype.kind == "b":
                if k.ndim == 0:
                    basic.append(None)
                    adv.append(k.reshape(1))
                    node = _UnsqueezeKey
                    op = "Unsqueeze"
                    rdim += 1
                    vpos += 1
                    continue
                if k.shape != shape[dim:dim + k.ndim]:
                    masks.append((k, vpos))  # an error, raised after the ints' errors
                basic.extend([slice(None)] * k.ndim)
                adv.append(k)
                dim += k.ndim
                rdim += k.ndim
                vpos += k.ndim
            else:
                basic.append(slice(None))
                adv.append(k)
                dim += 1
                rdim += 1
                vpos += 1
    basic.append(Ellipsis)
    if masks:  # PyTorch names the shapes of the view the basic key made
        view = np.broadcast_to(np.empty((), np.int8), shape)[tuple(basic)].shape
        for k, at in masks:
            for j in range(k.ndim):
                if at + j >= len(view) or k.shape[j] != view[at + j]:
                    raise IndexError(
                        f"The shape of the mask {list(k.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(view)} at index {at + j}"
                    )
    if not has_adv:
        return tuple(basic), None, node or _Alias, op
    return tuple(basic), tuple(adv), node, op


def _raise_beyond(k, rdim, ndim, i):
    """PyTorch's error for an index past the input's dims (after a second Ellipsis)."""
    if isinstance(k, slice) and k == slice(None):
        return  # a full slice is skipped
    if k is None or isinstance(k, slice):
        r = ndim + 1 if k is None else ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [{-r}, {r - 1}], "
                         f"but got {rdim})")
    if isinstance(k, int):
        raise IndexError(f"index {k} is out of bounds for dimension {i} with size 0")
    got = rdim + (k.ndim if k.dtype.kind == "b" and k.ndim else 1)
    raise IndexError(f"too many indices for tensor of dimension {ndim} (got {got})")


def _check_adv(adv, shape, bounds=True, shapes=True, value_shape=None):
    """PyTorch's errors for index arrays: shapes that do not broadcast, then out of bounds.
    ``value_shape``: the shape of a value to be written, which PyTorch checks before the
    bounds."""
    if shapes and sum(not isinstance(item, slice) for item in adv) > 1:
        arrays = [(item.nonzero()[0] if item.dtype.kind == "b" else item) for item in adv
                  if not isinstance(item, slice)]
        try:
            np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            shown = ", ".join(str(list(a.shape)) for a in arrays)
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                f"{shown}"
            ) from None
    if not bounds:
        return
    pos = 0  # which indexed dimension, counted as PyTorch reports it
    k = 0  # the dimension of the view this item indexes
    for item in adv:
        if isinstance(item, slice):
            k += 1
            continue
        if item.dtype.kind == "b":
            pos += item.ndim
            k += item.ndim
            continue
        n = shape[k]
        k += 1
        if item.size:
            bad = (item >= n) | (item < -n)
            if bad.any():
                target = _adv_shape(shape, adv)
                if 0 in target:
                    return  # PyTorch checks each index as it reads it: an empty result reads none
                if value_shape is not None:
                    _check_fits(value_shape, target)
                v = item.reshape(-1)[np.argmax(bad.reshape(-1))]
                raise IndexError(f"index {v} is out of bounds for dimension {pos} with size {n}")
        pos += 1


def _adv_shape(view_shape, adv):
    """The shape of view[adv], worked out from the shapes alone (NumPy's rule), without
    reading the indices (they may be out of bounds: PyTorch checks the value's shape first)."""
    out = []
    arrays = []
    where = None  # where the broadcast index dims go: at the first array, or first of all
    k = 0
    gap = False
    for item in adv:
        if isinstance(item, slice):
            out.append(view_shape[k])
            k += 1
            if arrays:
                gap = True
            continue
        if where is None:
            where = len(out)
        elif gap:
            where = 0  # arrays apart: their dims lead
        if item.dtype.kind == "b":
            arrays.append((int(np.count_nonzero(item)),))
            k += item.ndim
        else:
            arrays.append(item.shape)
            k += 1
    out.extend(view_shape[k:])
    if not arrays:
        return tuple(out)
    lead = arrays[0] if len(arrays) == 1 else np.broadcast_shapes(*arrays)
    return tuple(out[:where]) + tuple(lead) + tuple(out[where:])


def _guards(*indices):
    """The index tensors among an op's arguments. The op saves them after its own values (the
    formulas ignore them) as PyTorch saves its index tensors: changing one in place before
    backward is then PyTorch's error, not a gradient taken at the new indices."""
    out = []
    for k in indices:
        if isinstance(k, Tensor) and k._data.ndim:
            out.append(k)
        elif isinstance(k, tuple):
            out.extend(_guards(*k))
    return tuple(out)


# -- the two differentiable primitives: gather by key, put by key -----------------------------
def _index_grad(g, shape, key, *guards):
    zeros = _make(np.zeros(shape, g._data.dtype))
    return index_put_values(zeros, key, g, True)


IndexBackward0 = formula_node("IndexBackward0", _index_grad,
                              jvp=linear(lambda t, shape, key, *guards: index_key(t, key)))


def _index_field(i, edge=None):
    """A ``_saved_index`` read from the index array saved at position i, as a tensor (None
    when PyTorch keeps it only for the gradient of ``edge`` and that one is not needed)."""
    def value(node):
        if edge is not None and node.next_functions[edge][0] is None:
            return None
        return _make(node._field(i, False))
    return value


def _key_indices(key):
    """PyTorch's ``indices`` for a parsed key: a tensor per index array of its advanced
    part, None for a full slice before the last of them."""
    adv = key[1]
    if adv is None:
        return ()
    items = [None if isinstance(k, slice) else _make(np.asarray(k)) for k in adv]
    while items and items[-1] is None:
        items.pop()
    return tuple(items)


name_saved(IndexBackward0, self_sym_sizes=0,
           indices=lambda n: _key_indices(n._field(1, False)))


def _take_key(d, key):
    basic, adv = key
    v = d[basic]
    if adv is None:
        return v
    try:
        return v[adv]
    except IndexError:
        shape = _adv_shape(v.shape, adv)
        if 0 in shape:  # an empty result reads no index (the bad one is never read)
            return np.empty(shape, d.dtype)
        raise


def index_key(input, key, guards=()):
    """``input[key]`` for a parsed key pair, as a copy (IndexBackward0); ``guards``: the index
    tensors the key came from."""
    d = input._data
    out = _take_key(d, key)
    if key[1] is None:
        out = out.copy()  # advanced indexing copies already; a basic key gives a view
    return record(out, IndexBackward0, (input,), (d.shape, key, *guards))


def _put_self_grad(g, key, accumulate, *guards):
    return g if accumulate else index_put_values(g, key, 0, False)


def _put_values_grad(g, key, accumulate, *guards):
    return index_key(g, key)


IndexPutBackward0 = name_saved(
    formula_node("IndexPutBackward0", _put_self_grad, _put_values_grad), accumulate=1,
    indices=lambda n: _key_indices(n._field(0, False)))


class _CopySlicesPut(FormulaNode):
    """x[basic key] = value: PyTorch records it as CopySlices on x."""

    __slots__ = ()
    vjps = (_put_self_grad, _put_values_grad)

    def name(self):
        return f"{_names.prefix}::autograd::CopySlices"


_CopySlicesPut.__name__ = _CopySlicesPut.__qualname__ = "CopySlices"


class _CopyBackwards(FormulaNode):
    """x[...] = value: PyTorch records it as x.copy_(value)."""

    __slots__ = ()
    vjps = (_put_self_grad, _put_values_grad)

    def name(self):
        return f"{_names.prefix}::autograd::CopyBackwards"


_CopyBackwards.__name__ = _CopyBackwards.__qualname__ = "CopyBackwards"

FillBackward3 = formula_node("FillBackward3", _put_self_grad, _put_values_grad)


def _value_array(value, dtype):
    if isinstance(value, Tensor):
        v = value._data
        return v if v.dtype is dtype else _dtype.cast(v, dtype)
    if _dtype.is_float8(dtype):
        return _dtype.cast(np.asarray(value), dtype)
    return np.asarray(_dtype.low_fill_value(value, dtype)).astype(dtype, copy=False)


def _write(target, key, v, accumulate):
    """Write v into the array target at key (in place), with PyTorch's errors."""
    basic, adv = key
    region = target[basic]
    if adv is None:
        try:
            np.copyto(region, v, casting="unsafe") if not accumulate else np.add(
                region, v, out=region, casting="unsafe")
        except ValueError:
            raise _expand_error(np.shape(v), region.shape, v.dtype) from None
        return
    try:
        if accumulate:
            np.add.at(region, adv, v)
        else:
            region[adv] = v
    except ValueError:
        raise _put_shape_error(np.shape(v), _adv_shape(region.shape, adv)) from None
    except IndexError:
        target = _adv_shape(region.shape, adv)
        if 0 not in target:
            raise
        # an empty selection reads no index (the bad one is never read): nothing to write
        try:
            fits = np.broadcast_shapes(np.shape(v), target) == target
        except ValueError:
            fits = False
        if not fits:
            raise _put_shape_error(np.shape(v), target) from None


def _check_fits(vshape, target):
    """A value of shape vshape broadcasts to target (PyTorch's error if not)."""
    if vshape and vshape != target[len(target) - len(vshape):]:
        try:
            fits = np.broadcast_shapes(vshape, target) == target
        except ValueError:
            fits = False
        if not fits:
            raise _put_shape_error(vshape, target)


def _put_shape_error(vshape, target):
    return RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                        f"broadcast to indexing result of shape {list(target)}")


def _expand_error(vshape, target, dtype=None):
    lead = len(target) - len(vshape)
    if lead < 0:
        return RuntimeError(
            f"expand({_type_name(np.empty(0, dtype))}{{[{', '.join(map(str, vshape))}]}}, size="
            f"[{', '.join(map(str, target))}]): the number of sizes provided ({len(target)}) "
            f"must be greater or equal to the number of dimensions in the tensor ({len(vshape)})")
    for i in range(len(vshape) - 1, -1, -1):
        t = target[i + lead] if i + lead >= 0 else None
        if vshape[i] != 1 and vshape[i] != t:
            return RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size "
                f"({vshape[i]}) at non-singleton dimension {i + lead}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(vshape)}"
            )
    return RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be greater or "
                        f"equal to the number of dimensions in the tensor ({len(vshape)})")


def index_put_values(input, key, values, accumulate=False, guards=()):
    """A copy of input with values written (or added) at the parsed key, differentiable."""
    d = input._data
    out = d.copy()
    _write(out, key, _value_array(values, d.dtype), accumulate)
    return record(out, IndexPutBackward0, (input, values), (key, accumulate, *guards))


# -- tensor[key] ------------------------------------------------------------------------------
def getitem(self, key):
    d = self._data
    if key.__class__ is int:
        # the common case first: x[i]
        if d.ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        n = d.shape[0]
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
        return key_view(self, (key % n, Ellipsis), _Select)
    basic, adv, node, _ = parse_key(key, d.shape)
    if self._requires_grad and node is not None and _grad_state.enabled and len(basic) > 2:
        t = _view_chain(self, basic)  # PyTorch's graph: one view node per item of the key
        if t is not None:
            return t if adv is None else index_key(t, (_ALL, adv), _guards(key))
    if adv is None:
        return key_view(self, basic, node)
    t = self if node is None else key_view(self, basic, node)
    _check_adv(adv, t._data.shape)
    return index_key(t, (_ALL, adv), _guards(key))


def _view_chain(self, basic):
    """self[basic] as PyTorch records it: a select, slice or unsqueeze per item, in order (a
    slice that covers its whole dim is skipped); None when there are fewer than two."""
    steps = []
    dim = 0
    shape = self._data.shape
    pos = 0  # the dim of the input an item refers to
    for k in basic[:-1]:
        lead = (slice(None),) * dim
        if k is None:
            steps.append((lead + (None, Ellipsis), _UnsqueezeKey))
            dim += 1
        elif isinstance(k, int):
            steps.append((lead + (k, Ellipsis), _Select))
            pos += 1
        else:
            if not (k.start in (None, 0) and k.step in (None, 1)
                    and (k.stop is None or k.stop >= shape[pos])):
                steps.append((lead + (k, Ellipsis), _Slice))
            dim += 1
            pos += 1
    if len(steps) < 2:
        return None
    t = self
    for key, cls in steps:
        t = key_view(t, key, cls)
    return t


def _strip_leading_ones(value):
    """PyTorch drops a value's leading size-1 dims before broadcasting it into the target."""
    shape = value._data.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return value if k == 0 else value.reshape(shape[k:])


_SCALAR_CPP = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
               "int64": "int64_t"}


def _overflow(dtype):
    word = _SCALAR_CPP.get(dtype.name) or from_np[dtype].cpp
    return RuntimeError(f"value cannot be converted to type {word} without overflow")


_F32_MAX = float(np.finfo(np.float32).max)
_INF = float("inf")


def _check_scalar(value, dtype):
    """A Python number written into a tensor of ``dtype``: PyTorch's checked conversion."""
    kind = dtype.kind
    if value.__class__ is float and kind == "f":  # the common case first
        if dtype.itemsize == 4 and _F32_MAX < abs(value) < _INF:
            raise _overflow(dtype)
        return
    if isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, int) or not isinstance(value, (float, complex)):
        value = int(value)  # Python ints and NumPy integers
        if not -2 ** 63 <= value < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
    if kind == "b":
        return
    if isinstance(value, complex):
        if kind != "c" and value.imag != 0:
            raise _overflow(dtype)
        value = value.real if kind != "c" else value
    if kind in "iu":
        info = np.iinfo(dtype)
        if isinstance(value, int):
            low = -info.max if kind == "u" else info.min
            bad = not low <= value <= info.max
        else:
            bad = not info.min <= value <= info.max  # NaN too
        if bad:
            raise _overflow(dtype)
    elif dtype == np.float32 or dtype == np.complex64:
        parts = (value.real, value.imag) if isinstance(value, complex) else (value,)
        if any(_F32_MAX < abs(v) < _INF for v in parts):
            raise _overflow(dtype)


def _mask_only(key):
    """Whether the key's one advanced index is a boolean mask (PyTorch then fills it as
    masked_fill_ does, casting a one-element value)."""
    items = key if isinstance(key, tuple) else (key,)
    found = 0
    for k in items:
        if isinstance(k, (Tensor, np.ndarray)) or isinstance(k, list) and k:
            a = k._data if isinstance(k, Tensor) else np.asarray(k)
            if a.dtype != np.bool_ or a.ndim == 0:
                return False
            found += 1
        elif isinstance(k, (bool, np.bool_)) and len(items) > 1:
            return False
    return found == 1


def setitem(self, key, value):
    d = self._data
    if not d.flags.writeable:
        raise overlap_error()
    skip = False
    if key is True:
        key = None  # PyTorch reads a lone True as a new leading dim, a view
    elif key is False:
        skip = True  # and a lone False as selecting nothing: no write at all
    basic, adv, _, via = parse_key(key, d.shape)
    fill = None  # a number or 0-d tensor value
    vshape = None  # a tensor value's shape, checked before the indices' bounds
    if isinstance(value, Tensor):
        if skip:
            return
        if value._data.ndim == 0:
            fill = value
        original = value
        value = _strip_leading_ones(value)
        vd = value._data
        if adv is None:
            region = d[basic]
            if vd.ndim > region.ndim:
                raise _expand_error(vd.shape, region.shape, vd.dtype)
            if (fill is None and original._requires_grad and _grad_state.enabled
                    and original._data.shape != region.shape):
                # PyTorch copies from the value without its leading 1s (a view) expanded to
                # the target: the value's gradient flows through ViewBackward0, ExpandBackward0
                try:
                    np.broadcast_shapes(vd.shape, region.shape)
                except ValueError:
                    raise _expand_error(vd.shape, region.shape, vd.dtype) from None
                value = original.view(vd.shape)
                if vd.shape != region.shape:
                    value = value.expand(region.shape)
        else:  # PyTorch checks the indices' shapes, the value's shape, its dtype, then bounds
            vshape = vd.shape
            if vd.dtype != d.dtype and not (vd.size == 1 and _mask_only(key)):
                view_shape = d[basic].shape
                _check_adv(adv, view_shape, bounds=False)
                _check_fits(vshape, _adv_shape(view_shape, adv))
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{from_np[d.dtype].word} for the destination and {from_np[vd.dtype].word} "
                    "for the source.")
    elif isinstance(value, (int, float, complex)) or (
            isinstance(value, np.integer) and not isinstance(value, np.bool_)):
        _check_scalar(value, d.dtype)
        fill = value
    else:
        cls = type(value)
        name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
        raise TypeError(f"can't assign a {name} to a {_type_name(d)}")
    if skip:
        return
    if adv is not None:
        _check_adv(adv, d[basic].shape, value_shape=vshape)
    key2 = (basic, adv)
    vreq = isinstance(value, Tensor) and value._requires_grad
    if _grad_state.enabled and self._base is not None and self._base._requires_grad:
        check_view_inplace(self, via)
    if not (_grad_state.enabled and (self._requires_grad or vreq)):
        _write(d, key2, _value_array(value, d.dtype), False)
        self._version[0] += 1
        if _fw_state.active:
            _setitem_tangent(self, key2, value)
        return
    if self._requires_grad and self._grad_fn is None:
        exc = RuntimeError(
            ("a view of a leaf Variable" if via else "a leaf Variable")
            + " that requires grad is being used in an in-place operation."
        )
        note(exc, "Assign into a clone (`y = x.clone(); y[i] = v`) or do the update under "
                     "`with torch.no_grad():`.")
        raise exc
    guards = _guards(key) if adv is not None else ()
    if self._base is not None:
        inplace_on_view(self, lambda old, v: index_put_values(old, key2, v, False, guards),
                        (value,))
        return
    if via:
        node_cls = _CopySlicesPut
    else:
        node_cls = IndexPutBackward0
        if adv is None:  # the whole tensor: PyTorch fills it from a number or 0-d tensor
            node_cls = _CopyBackwards if fill is None else FillBackward3
    if _fw_state.active:
        with _fw.suspended():
            t = record(d, node_cls, (self, value), (key2, False, *guards))
    else:
        t = record(d, node_cls, (self, value), (key2, False, *guards))
    _write(d, key2, _value_array(value, d.dtype), False)
    self._version[0] += 1
    self._grad_fn = t._grad_fn
    self._output_nr = 0
    self._requires_grad = True
    if _fw_state.active:
        _setitem_tangent(self, key2, value)


def _setitem_tangent(self, key2, value):
    """x[key] = value on dual tensors: x's tangent at key becomes value's tangent (or 0)."""
    vt = _fw.tangent_of(value) if isinstance(value, Tensor) else None
    if vt is None and _fw.tangent_of(self) is None or self._data.dtype.kind not in "fcV":
        return
    st = own_tangent(self)
    sd = st._data
    _write(sd, key2, 0 if vt is None else _value_array(vt, sd.dtype), False)


# -- index_select, index_add ------------------------------------------------------------------
def _int_index(index, op, allowed="int32 or int64"):
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu" or a.dtype.itemsize < 4:
        raise RuntimeError(f"{op}(): Expected dtype {allowed} for index")
    return a


def _dim(dim, ndim):
    return _wrap_dim(dim, ndim)


def _index_select_grad(g, shape, dim, idx, *guards):
    zeros = _make(np.zeros(shape, g._data.dtype))
    return index_add(zeros, dim, _make(idx.reshape(-1)), g)


IndexSelectBackward0 = name_saved(formula_node(
    "IndexSelectBackward0", _index_select_grad,
    jvp=linear(lambda t, shape, dim, idx, *guards: index_select(t, dim, _make(idx)))),
    self_sym_sizes=0, dim=1, index=_index_field(2))


def index_select(input, dim, index):
    d = input._data
    given = _int_index(index, "index_select")  # saved as given (a 0-d index too)
    if given.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = given.reshape(-1)
    dim = _dim(dim, d.ndim)
    n = d.shape[dim] if d.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError("index out of range in self")
    out = np.take(d, idx, axis=dim) if d.ndim else d.reshape(1)[idx].reshape(())
    return record(out, IndexSelectBackward0, (input,), (d.shape, dim, given, *_guards(index)))


IndexAddBackward0 = name_saved(formula_node(
    "IndexAddBackward0",
    lambda g, dim, idx, alpha, source, source_dim, *guards: g,
    lambda g, dim, idx, alpha, source, source_dim, *guards: index_select(
        g, dim, _make(idx)) * alpha if alpha != 1 else index_select(g, dim, _make(idx)),
    jvp=lambda ts, inputs, saved, out: _index_add_jvp(ts, inputs, *saved),
), dim=0, index=_index_field(1, 1), alpha=2, source=3, source_dim=4)


def _index_add_jvp(ts, inputs, dim, idx, alpha, source, source_dim, *guards):
    # linear in both: the source's tangent added into the input's
    tx, tsrc = zero_tangents(ts, inputs)
    return index_add(tx, dim, _make(idx), tsrc, alpha=alpha)


def index_add(input, dim, index, source, *, alpha=1):
    d = input._data
    idx = _int_index(index, "index_add_").reshape(-1)
    dim = _dim(dim, d.ndim)
    s = source._data
    if s.dtype != d.dtype:
        raise RuntimeError(
            f"index_add_(): self ({from_np[d.dtype].word}) and source "
            f"({from_np[s.dtype].word}) must have the same scalar type"
        )
    if s.ndim and s.shape[dim] != idx.size:
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
            f"({s.shape[dim]}), for dim: {dim}"
        )
    out = d.copy()
    np.add.at(out, (slice(None),) * dim + (idx,), s * alpha if alpha != 1 else s)
    # the source is saved (as PyTorch) only when its gradient is needed
    return record(out, IndexAddBackward0, (input, source),
                  (dim, idx, alpha, source if source._requires_grad else None, s.ndim,
                   *_guards(index)))


# -- gather, scatter, scatter_add -------------------------------------------------------------
def _scatter_coords(idx, dim):
    coords = list(np.indices(idx.shape, sparse=True))
    coords[dim] = idx
    return tuple(coords)


def _check_gather(d, idx, dim, op, other=None):
    if idx.ndim != d.ndim and not (idx.ndim <= 1 and d.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           + ("input" if op == "gather" else "self") + " tensor")
    for k in range(idx.ndim):
        if k != dim and idx.shape[k] > d.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                f"larger than self {list(d.shape)} apart from dimension {dim}"
            )
    n = d.shape[dim] if d.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.reshape(-1)[np.argmax(((idx < 0) | (idx >= n)).reshape(-1))]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def _gather_grad(g, x, dim, idx, sparse_grad, *guards):
    zeros = _make(np.zeros(x._data.shape, g._data.dtype))
    return scatter_add(zeros, dim, _make(idx), g)


GatherBackward0 = name_saved(
    formula_node("GatherBackward0", _gather_grad,
                 jvp=linear(lambda t, x, dim, idx, sparse_grad, *guards: gather(
                     t, dim, _make(idx)))),
    self=0, dim=1, index=_index_field(2), sparse_grad=3)


def gather(input, dim, index, *, sparse_grad=False):
    d = input._data
    idx = _int_index(index, "gather", "int32/int64")
    dim = _dim(dim, d.ndim)
    _check_gather(d, idx, dim, "gather")
    if d.ndim == 0:
        out = d.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
    else:
        out = d[_scatter_coords(idx, dim)]
    return record(out, GatherBackward0, (input,), (input, dim, idx, sparse_grad,
                                                   *_guards(index)))


def _src_grad(g, dim, idx, src_shape, *guards):
    """g.gather(dim, idx), padded with zeros when src is larger than the index."""
    r = gather(g, dim, _make(idx))
    if r._data.shape != tuple(src_shape):
        key = tuple(slice(0, n) for n in r._data.shape) + (Ellipsis,)
        r = _embed(r, src_shape, key, _Slice)
    return r


def _scatter_self_grad(g, dim, idx, src_shape, *guards):
    return scatter(g, dim, _make(idx), 0)


ScatterBackward0 = name_saved(formula_node("ScatterBackward0", _scatter_self_grad, _src_grad),
                              dim=0, index=_index_field(1))
ScatterBackward1 = name_saved(formula_node("ScatterBackward1", _scatter_self_grad),
                              dim=0, index=_index_field(1))
ScatterAddBackward0 = name_saved(
    formula_node("ScatterAddBackward0", lambda g, dim, idx, s, *guards: g, _src_grad),
    dim=0, index=_index_field(1, 1))


class _NotImplemented(Node):
    """PyTorch's node for an op whose derivative it does not provide."""

    __slots__ = ()

    def name(self):
        return f"{_names.prefix}::autograd::NotImplemented"

    def apply(self, grads, create_graph):
        raise RuntimeError(f"derivative for aten::{self._store[0]} is not implemented")


_NotImplemented.__name__ = _NotImplemented.__qualname__ = "NotImplemented"


def _no_forward_rule(ts, inputs, saved, out):
    raise NotImplementedError(f"Trying to use forward AD with aten::{saved[0]} that does not "
                              "support it.")


_NotImplemented.jvp = staticmethod(_no_forward_rule)


def not_implemented(t, kernel, inputs):
    """Give ``t`` (written by an op PyTorch does not differentiate there) a NotImplemented
    node over ``inputs``: it requires grad, and its backward raises PyTorch's error."""
    r = record(t._data, _NotImplemented, inputs, (kernel,))
    t._grad_fn, t._output_nr, t._requires_grad = r._grad_fn, r._output_nr, r._requires_grad
    return t


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    d = input._data
    idx = _int_index(index, "scatter", "int64")
    dim = _dim(dim, d.ndim)
    if src is None:
        src = value
    _check_gather(d, idx, dim, "scatter")
    coords = _scatter_coords(idx, dim)
    out = d.copy()
    if isinstance(src, Tensor):
        s = src._data
        if s.dtype != d.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if s.ndim != idx.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        v = s[tuple(slice(0, n) for n in idx.shape)]
    else:
        v = np.asarray(src).astype(d.dtype)
    if reduce is None:
        out[coords] = v
    elif reduce == "add":
        np.add.at(out, coords, v)
    elif reduce == "multiply":
        np.multiply.at(out, coords, v)
    else:
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    if reduce is not None:
        return record(out, _NotImplemented, (input, src), ("scatter",))
    if isinstance(src, Tensor):
        return record(out, ScatterBackward0, (input, src),
                      (dim, idx, src._data.shape, *_guards(index)))
    return record(out, ScatterBackward1, (input,), (dim, idx, None, *_guards(index)))


def scatter_add(input, dim, index, src):
    d = input._data
    idx = _int_index(index, "scatter_add", "int64")
    dim = _dim(dim, d.ndim)
    _check_gather(d, idx, dim, "scatter_add")
    s = src._data
    if s.dtype != d.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    out = d.copy()
    np.add.at(out, _scatter_coords(idx, dim), s[tuple(slice(0, n) for n in idx.shape)])
    return record(out, ScatterAddBackward0, (input, src), (dim, idx, s.shape, *_guards(index)))


# -- scatter_reduce, index_reduce -------------------------------------------------------------
_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}
_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
          "amin": np.minimum}


def _reduce_into(out, key, v, reduce, include_self):
    """Reduce the values v into the array out at key (repeated positions combine), in place."""
    if not include_self:
        if reduce in _IDENTITY:
            out[key] = _IDENTITY[reduce]
        elif out.dtype == np.bool_:
            out[key] = reduce == "amin"
        else:
            lo_hi = np.iinfo(out.dtype) if out.dtype.kind in "iu" else None
            if reduce == "amax":
                out[key] = -np.inf if lo_hi is None else lo_hi.min
            else:
                out[key] = np.inf if lo_hi is None else lo_hi.max
    if out.dtype == np.bool_ and reduce in ("sum", "mean"):
        np.logical_or.at(out, key, v)
        return
    _UFUNC[reduce].at(out, key, v)
    if reduce == "mean":
        count = np.full(out.shape, 1 if include_self else 0, np.int64)
        np.add.at(count, key, 1)
        count = np.maximum(count, 1)
        if out.dtype.kind in "iu":
            np.floor_divide(out, count, out=out, casting="unsafe")
        else:
            np.divide(out, count, out=out, casting="unsafe")


def _mask_at(shape, key):
    m = np.zeros(shape, bool)
    m[key] = True
    return _make(m)


def _where_result(a, out):
    return (a == out).to(out.dtype)


def _reduce_grads(g, x, src, out, reduce, include_self, key, fold, spread, bring):
    """The gradients of a scatter- or index-reduction for self and src (PyTorch's rules).

    ``key``: where src lands in self (for the masks); ``fold(t, s)``: t with s added at the
    positions (scatter_add / index_add); ``bring(t)``: t read back at src's positions
    (gather / index_select); ``spread(t, s)``: reduce src into t again (the op itself).
    """
    if reduce == "sum":
        gx, gs = g, bring(g)
    elif reduce == "mean":
        n = np.full(x._data.shape, 1 if include_self else 0, x._data.dtype)
        np.add.at(n, key, 1)
        n[n == 0] = 1
        gn = g / _make(n)
        gx, gs = gn, bring(gn)
    elif reduce == "prod":
        xd = x._data
        masked_self = x.masked_fill(_make(xd == 0), 1)
        gx = g * spread(masked_self, src) / masked_self
        sd = src._data
        zero = sd == 0
        nzero = np.zeros(xd.shape, np.int64)
        np.add.at(nzero, key, zero.astype(np.int64))
        single = zero & (bring(_make(nzero))._data == 1)
        masked_src_result = spread(x, src.masked_fill(_make(single), 1))
        gs = bring(g * masked_src_result).where(
            _make(single), bring(g * out) / src.masked_fill(_make(zero), 1))
    else:  # amax, amin: split evenly among the tied values
        self_is = _where_result(x, out)
        src_is = _where_result(src, bring(out))
        share = g / fold(self_is, src_is)
        gx, gs = self_is * share, src_is * bring(share)
    if not include_self:
        gx = gx.masked_fill(_mask_at(x._data.shape, key), 0)
    return gx, gs


class _ReduceNode(Node):
    """The backward of scatter_reduce / index_reduce: both gradients from one evaluation."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        saved = self.unpack_saved()[:6]  # (then the index tensors, kept for their versions)
        out = self.unpack_out(create_graph)
        gx, gs = self.grads(grads[0], *saved, out)
        (fx, _), (fs, _) = self.next_functions
        return (gx if fx is not None else None, gs if fs is not None else None)


class ScatterReduceBackward0(_ReduceNode):
    __slots__ = ()

    @staticmethod
    def grads(g, x, src, dim, idx, reduce, include_self, out):
        I = _make(idx)
        key = _scatter_coords(idx, dim)
        used = src
        if src._data.shape != idx.shape:
            used = key_view(src, tuple(slice(0, n) for n in idx.shape) + (Ellipsis,), _Slice)
        gx, gs = _reduce_grads(
            g, x, used, out, reduce, include_self, key,
            fold=lambda t, s: scatter_add(t, dim, I, s),
            spread=lambda t, s: scatter_reduce(t, dim, I, s, reduce,
                                               include_self=include_self),
            bring=lambda t: gather(t, dim, I))
        if used is not src:
            gs = _embed(gs, src._data.shape, tuple(slice(0, n) for n in idx.shape)
                        + (Ellipsis,), _Slice)
        return gx, gs


def _scatter_reduce_jvp(ts, inputs, saved, out):
    """amax/amin: the mean of the tangents of the values equal to the result (self's only
    where it takes part), as PyTorch's forward rule; the other reductions transpose their
    backward."""
    x, src, dim, idx, reduce, include_self = saved[:6]
    if reduce not in ("amax", "amin"):
        return NotImplemented
    tx, tsrc = zero_tangents(ts, inputs)
    index = _make(idx)
    if src._data.shape != idx.shape:
        key = tuple(slice(0, n) for n in idx.shape) + (Ellipsis,)
        src, tsrc = key_view(src, key, _Slice), key_view(tsrc, key, _Slice)
    dt = from_np[out._data.dtype]
    self_is = (x == out).to(dt)
    if not include_self:
        self_is = self_is.masked_fill(_mask_at(x._data.shape, _scatter_coords(idx, dim)), 0)
    src_is = (src == gather(out, dim, index)).to(dt)
    zeros = _make(np.zeros(out._data.shape, out._data.dtype))
    total = self_is * tx + scatter_add(zeros, dim, index, src_is * tsrc)
    return total / (self_is + scatter_add(zeros, dim, index, src_is))


ScatterReduceBackward0.jvp = staticmethod(_scatter_reduce_jvp)
name_saved(ScatterReduceBackward0, self=0, src=1, dim=2, index=_index_field(3), reduce=4,
           include_self=5, result=-1)
_SCATTER_REDUCE = ("sum", "prod", "mean", "amax", "amin")


def _check_scatter_src(d, idx, dim, s):
    for k in range(idx.ndim):
        if idx.shape[k] > s.shape[k] if k < s.ndim else True:
            raise RuntimeError(
                f"Expected index {list(idx.shape)} to be no larger than self {list(d.shape)} "
                f"apart from dimension {dim} and to be no larger size than src {list(s.shape)}"
            )


_MISSING = object()


def _reduce_args(op, index, src, src_name, reduce, include_self, offset):
    """PyTorch's argument errors for scatter_reduce / index_reduce (``offset``: 1 for the
    function, whose input counts as an argument, 0 for the methods)."""
    if reduce is _MISSING:
        raise TypeError(f'{op}() missing 1 required positional arguments: "reduce"')
    for name, value, pos in (("index", index, 2), (src_name, src, 3)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos + offset}) must be Tensor, "
                            f"not {argname(value)}")
    if not isinstance(reduce, str):
        raise TypeError(f"{op}(): argument 'reduce' (position {4 + offset}) must be str, not "
                        f"{argname(reduce)}")
    if not isinstance(include_self, bool):
        raise TypeError(f"{op}(): argument 'include_self' must be bool, not "
                        f"{argname(include_self)}")


def scatter_reduce(input, dim, index, src, reduce=_MISSING, *, include_self=True):
    _reduce_args("scatter_reduce", index, src, "src", reduce, include_self, 1)
    return _scatter_reduce(input, dim, index, src, reduce, include_self)


def _scatter_reduce_method(input, dim, index, src, reduce=_MISSING, *, include_self=True):
    _reduce_args("scatter_reduce", index, src, "src", reduce, include_self, 0)
    return _scatter_reduce(input, dim, index, src, reduce, include_self)


def _scatter_reduce(input, dim, index, src, reduce, include_self):
    d = input._data
    if reduce not in _SCATTER_REDUCE:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    idx = _int_index(index, "scatter", "int32/int64")
    dim = _dim(dim, d.ndim)
    s = src._data
    if s.dtype != d.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.ndim != d.ndim and not (idx.ndim <= 1 and d.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if s.ndim != idx.ndim and not (idx.ndim <= 1 and s.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    _check_scatter_src(d, idx, dim, s.reshape(s.shape or (1,)))
    _check_gather(d, idx, dim, "scatter")
    if d.dtype == np.bool_ and reduce == "mean":
        kernel = "scatter_gather_tensor_cpu_reduce_mean" if idx.size else "div_floor_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    out = d.copy()
    if d.ndim == 0:
        flat = out.reshape(1)
        _reduce_into(flat, (idx.reshape(-1),), s.reshape(-1)[:idx.size], reduce, include_self)
    elif idx.size:
        v = s[tuple(slice(0, n) for n in idx.shape)]
        _reduce_into(out, _scatter_coords(idx, dim), v, reduce, include_self)
    return record(out, ScatterReduceBackward0, (input, src),
                  (input, src, dim, idx, reduce, include_self, *_guards(index)), save_out=True)


class IndexReduceBackward0(_ReduceNode):
    __slots__ = ()
    jvp = staticmethod(unsupported("index_reduce"))

    @staticmethod
    def grads(g, x, src, dim, idx, reduce, include_self, out):
        I = _make(idx)
        key = (slice(None),) * dim + (idx,)
        return _reduce_grads(
            g, x, src, out, reduce, include_self, key,
            fold=lambda t, s: index_add(t, dim, I, s),
            spread=lambda t, s: index_reduce(t, dim, I, s, reduce,
                                             include_self=include_self),
            bring=lambda t: index_select(t, dim, I))


name_saved(IndexReduceBackward0, self=0, source=1, dim=2, index=_index_field(3), reduce=4,
           include_self=5, result=-1)
def index_reduce(input, dim, index, source, reduce=_MISSING, *, include_self=True):
    _reduce_args("index_reduce", index, source, "source", reduce, include_self, 1)
    return _index_reduce(input, dim, index, source, reduce, include_self)


def _index_reduce_method(input, dim, index, source, reduce=_MISSING, *, include_self=True):
    _reduce_args("index_reduce", index, source, "source", reduce, include_self, 0)
    return _index_reduce(input, dim, index, source, reduce, include_self)


def _index_reduce(input, dim, index, source, reduce, include_self):
    warn_once("index_reduce", "index_reduce() is in beta and the API may change at any time.")
    d = input._data
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.ndim > 1:
        raise IndexError(
            f"index_reduce_(): Index is supposed to be a vector, but got dim: {a.ndim} with "
            f"type: {from_np[a.dtype].word} and size: {list(a.shape)}")
    if a.dtype.kind not in "iu" or a.dtype.itemsize < 4:
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{from_np[a.dtype].word}")
    idx = a.reshape(-1)
    dim = _dim(dim, d.ndim)
    s = source._data
    if s.dtype != d.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({from_np[d.dtype].word}) and source "
            f"({from_np[s.dtype].word}) must have the same scalar type")
    if s.ndim != d.ndim or any(s.shape[k] != d.shape[k] for k in range(d.ndim) if k != dim):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(d.shape)} source.shape = {list(s.shape)}")
    if d.ndim and s.shape[dim] != idx.size:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({idx.size}) should be equal to "
            f"source.size(dim): ({s.shape[dim]}), for dim: {dim}")
    if d.dtype == np.bool_ and not include_self:
        raise NotImplementedError(
            '"index_reduce_func_exclude_input_init" not implemented for \'Bool\'')
    n = d.shape[dim] if d.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if d.dtype == np.bool_ and reduce == "mean" and idx.size:
        raise NotImplementedError('"div_floor_cpu" not implemented for \'Bool\'')
    out = d.copy()
    if idx.size:
        _reduce_into(out, (slice(None),) * dim + (idx,), s, reduce, include_self)
    return record(out, IndexReduceBackward0, (input, source),
                  (input, source, dim, idx, reduce, include_self, *_guards(index)),
                  save_out=True)


def take_along_dim(input, indices, dim=None):
    # PyTorch's steps: without dim, a gather from the flat views; with dim, input and indices
    # each broadcast (expand) to the other's shape outside dim, then one gather
    if dim is None:
        return gather(input.view(-1), 0, indices.view(-1))
    d, idx = input._data, indices._data
    if idx.ndim != d.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {d.ndim} dimensions for input, and {idx.ndim} dimensions for "
            "indices"
        )
    if idx.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{from_np[idx.dtype].word}")
    dim = _dim(dim, d.ndim)
    sizes = list(d.shape)
    sizes[dim] = idx.shape[dim]
    # (PyTorch's broadcast index is a new tensor: the op keeps it, not the one given)
    index = _make(np.array(np.broadcast_to(idx, _infer_size(sizes, idx.shape))))
    sizes = list(idx.shape)
    sizes[dim] = d.shape[dim]
    return gather(input.expand(_infer_size(sizes, d.shape)), dim, index)


def _infer_size(a, b):
    """PyTorch's infer_size: the broadcast of two shapes, with its error."""
    n = max(len(a), len(b))
    out = []
    for i in range(n - 1, -1, -1):
        k = i - n
        x = a[k] if -k <= len(a) else 1
        y = b[k] if -k <= len(b) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


# -- masks ------------------------------------------------------------------------------------
_MASK_WORDS = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int",
               "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float",
               "float64": "double"}


def _bool_mask(mask, op):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype "
            f"{_MASK_WORDS.get(from_np[m.dtype].name, from_np[m.dtype].name)}"
        )
    return m


MaskedFillBackward0 = name_saved(
    formula_node("MaskedFillBackward0", lambda g, m, *guards: g.masked_fill(_make(m), 0),
                 elementwise=True), mask=_index_field(0))


def _masked_fill_value_jvp(ts, inputs, saved, out):
    # the input's tangent outside the mask, the value's tangent inside it
    m = _make(saved[0])
    tx, tv = ts
    total = None if tx is None else tx.masked_fill(m, 0)
    if tv is not None:
        term = tv * m
        total = term if total is None else total + term
    return total


MaskedFillBackward1 = name_saved(formula_node(
    "MaskedFillBackward1",
    lambda g, m, *guards: g.masked_fill(_make(m), 0),
    lambda g, m, *guards: (g * _make(m)).sum(),
    jvp=_masked_fill_value_jvp,
), mask=_index_field(0))


def masked_fill(input, mask, value):
    d = input._data
    m = _bool_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        v = _dtype.cast(value._data, d.dtype)
    else:
        v = np.asarray(_dtype.low_fill_value(value, d.dtype)).astype(d.dtype)
    try:
        out = np.where(m, v, d)
    except ValueError:
        raise broadcast_shapes_error(m.shape, d.shape) from None
    if isinstance(value, Tensor):
        return record(out, MaskedFillBackward1, (input, value), (m, *_guards(mask)))
    return record(out, MaskedFillBackward0, (input,), (m, *_guards(mask)))


def _masked_select_grad(g, x, m, *guards):
    shape = np.broadcast_shapes(x._data.shape, m.shape)
    zeros = _make(np.zeros(shape, g._data.dtype))
    return index_put_values(zeros, (_ALL, (np.broadcast_to(m, shape),)), g, True)


MaskedSelectBackward0 = name_saved(formula_node("MaskedSelectBackward0", _masked_select_grad),
                                   self=0, mask=_index_field(1))


def masked_select(input, mask):
    d = input._data
    m = _bool_mask(mask, "masked_select:")
    try:
        shape = np.broadcast_shapes(d.shape, m.shape)
    except ValueError:
        raise broadcast_shapes_error(d.shape, m.shape) from None
    mb = np.broadcast_to(m, shape)
    out = np.broadcast_to(d, shape)[mb]
    return record(out, MaskedSelectBackward0, (input,), (input, m, *_guards(mask)))


# -- flat indices: take, put ------------------------------------------------------------------
def _flat_index(d, idx):
    n = d.size
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.reshape(-1)[np.argmax(((idx < -n) | (idx >= n)).reshape(-1))]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return idx


def _take_grad(g, x, idx, *guards):
    shape = x._data.shape
    zeros = _make(np.zeros(int(np.prod(shape, dtype=np.int64)), g._data.dtype))
    return index_put_values(zeros, (_ALL, (idx,)), g, True).reshape(shape)


TakeBackward0 = name_saved(formula_node("TakeBackward0", _take_grad,
                                        jvp=linear(lambda t, x, idx, *guards: take(
                                            t, _make(idx)))),
                           self=0, index=_index_field(1))


def take(input, index):
    d = input._data
    idx = _flat_index(d, _int_index(index, "take", "int64"))
    return record(d.reshape(-1)[idx], TakeBackward0, (input,), (input, idx, *_guards(index)))


PutBackward0 = name_saved(formula_node(
    "PutBackward0",
    lambda g, idx, acc, source, *guards: g if acc else put(g, _make(idx), _make(np.zeros(
        idx.shape, g._data.dtype))),
    lambda g, idx, acc, source, *guards: take(g, _make(idx)),
), index=_index_field(0), accumulate=1, source=2)


def put(input, index, source, accumulate=False):
    d = input._data
    idx = _flat_index(d, _int_index(index, "put", "int64"))
    out = d.copy()
    flat = out.reshape(-1)
    s = source._data.reshape(-1).astype(d.dtype, copy=False)
    if accumulate:
        np.add.at(flat, idx.reshape(-1), s)
    else:
        flat[idx.reshape(-1)] = s
    # the source is saved (as PyTorch) only when its gradient is needed
    return record(out, PutBackward0, (input, source),
                  (idx, accumulate, source if source._requires_grad else None,
                   *_guards(index)))


def index_put(input, indices, values, accumulate=False):
    d = input._data
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): argument 'indices' (position 1) must be tuple of Tensors, "
                        f"not {type(indices).__name__}")
    for i, k in enumerate(indices):
        if not isinstance(k, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(k).__name__}")
    basic, adv, _, _ = parse_key(tuple(indices), d.shape)
    key = (basic, adv)
    vshape = None
    if isinstance(values, Tensor):  # (no leading 1s dropped here, unlike x[key] = v)
        vd = values._data
        vshape = vd.shape
        if adv is not None:
            view_shape = d[basic].shape
            _check_adv(adv, view_shape, bounds=False)
            _check_fits(vshape, _adv_shape(view_shape, adv))
            if vd.dtype != d.dtype and not (vd.size == 1 and _mask_only(tuple(indices))):
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{from_np[d.dtype].word} for the destination and {from_np[vd.dtype].word} "
                    "for the source.")
    if adv is not None:
        _check_adv(adv, d[basic].shape, value_shape=vshape)
    return index_put_values(input, key, values, accumulate, _guards(tuple(indices)))


# -- nonzero, argwhere ------------------------------------------------------------------------
def nonzero(input, *, out=None, as_tuple=False):
    d = input._data
    nz = np.nonzero(d.reshape(1) if d.ndim == 0 else d)
    if as_tuple:
        if d.ndim == 0:
            return (_make(nz[0].astype(np.int64)),)
        return tuple(_make(a.astype(np.int64)) for a in nz)
    if d.ndim == 0:
        return _make(np.zeros((nz[0].size, 0), np.int64))
    return _make(np.stack(nz, axis=1).astype(np.int64))


def argwhere(input):
    return nonzero(input)


# -- in-place forms ---------------------------------------------------------------------------
def masked_fill_(self, mask, value):
    m = _bool_mask(mask, "masked_fill_")
    if np.broadcast_shapes(self._data.shape, m.shape) != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(self._data.shape, m.shape))}"
        )
    if isinstance(value, Tensor):
        return apply_inplace(self, lambda a, v: masked_fill(a, m, v), value)
    if not (_grad_state.enabled and self._requires_grad or _fw_state.active):
        check_inplace(self)
        np.copyto(self._data, value, casting="unsafe", where=m)
        self._version[0] += 1
        return self
    return apply_inplace(self, lambda a: masked_fill(a, m, value))


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return apply_inplace(self, lambda a, s: scatter(a, dim, index, s, reduce=reduce), src)
    return apply_inplace(self, lambda a: scatter(a, dim, index, src, reduce=reduce))


def scatter_add_(self, dim, index, src):
    return apply_inplace(self, lambda a, s: scatter_add(a, dim, index, s), src)


def index_add_(self, dim, index, source, *, alpha=1):
    return apply_inplace(self, lambda a, s: index_add(a, dim, index, s, alpha=alpha), source)


def scatter_reduce_(self, dim, index, src, reduce=_MISSING, *, include_self=True):
    _reduce_args("scatter_reduce_", index, src, "src", reduce, include_self, 0)
    return apply_inplace(
        self, lambda a, s: scatter_reduce(a, dim, index, s, reduce, include_self=include_self),
        src)


def index_reduce_(self, dim, index, source, reduce=_MISSING, *, include_self=True):
    _reduce_args("index_reduce_", index, source, "source", reduce, include_self, 0)
    if _fw_state.active and any(isinstance(a, Tensor) and _fw.tangent_of(a) is not None
                                for a in (self, source)):
        exc = NotImplementedError(
            "Trying to use forward AD with index_reduce_ that does not support it because it "
            "has not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that "
            "we can prioritize its implementation.")
        note(exc, "PyTorch has no forward-mode rule for index_reduce_, so ember refuses it too; "
                  "compute this derivative in reverse mode (autograd.grad) instead.")
        raise exc
    return apply_inplace(
        self, lambda a, s: index_reduce(a, dim, index, s, reduce, include_self=include_self),
        source)


def put_(self, index, source, accumulate=False):
    return apply_inplace(self, lambda a, s: put(a, index, s, accumulate), source)


def index_put_(self, indices, values, accumulate=False):
    return apply_inplace(self, lambda a, v: index_put(a, indices, v, accumulate), values)


TENSOR_METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "index_select": index_select,
    "gather": gather, "scatter": scatter, "scatter_": scatter_, "scatter_add": scatter_add,
    "scatter_add_": scatter_add_, "masked_fill": masked_fill, "masked_fill_": masked_fill_,
    "masked_select": masked_select, "take": take, "take_along_dim": take_along_dim,
    "nonzero": lambda self, *, as_tuple=False: nonzero(self, as_tuple=as_tuple),
    "argwhere": argwhere, "index_add": index_add, "index_add_": index_add_, "put": put,
    "put_": put_, "index_put": index_put, "index_put_": index_put_,
    "scatter_reduce": _scatter_reduce_method, "scatter_reduce_": scatter_reduce_,
    "index_reduce": _index_reduce_method, "index_reduce_": index_reduce_,
}
