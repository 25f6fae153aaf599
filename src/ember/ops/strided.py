"""as_strided and its in-place and scatter forms: views over a tensor's storage.

ember has no storage object: a tensor's storage is the memory of the NumPy array that owns its
data (the array at the end of the ``.base`` chain), read as a flat run of the tensor's dtype.
Offsets and strides count elements of that run, as PyTorch's do.

The backwards work through the storage too, with index plans computed once in NumPy and applied
with differentiable ops (``index_put``, ``take``, ``masked_fill``), so second derivatives work:

- ``as_strided``: the gradient is added into a zero storage at the positions the view reads,
  then read back at the input's positions (divided by how many times the input itself reads a
  position, when its own geometry overlaps), as PyTorch's AsStridedBackward0.
- ``as_strided_scatter``: the result has the input's geometry; ``src``'s gradient is read at
  the positions it was written to, and the input's gradient is zero there.
"""

import numpy as np

from .._tensor import Tensor, _make
from ._inplace import check_inplace
from ._op import formula_node, record
from .creation import int_list
from .shape import _view_inplace, as_view

__all__ = ["as_strided", "as_strided_", "as_strided_scatter"]


def _owner(a):
    """The array that owns ``a``'s memory (through views and stride_tricks' wrappers)."""
    while True:
        b = a.base
        if isinstance(b, np.ndarray):
            a = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray):
            a = b.base
        else:
            return a


def storage_of(d):
    """(flat storage of d's dtype, d's offset in it, d's strides in elements)."""
    own = _owner(d)
    item = d.itemsize
    mem = own.ravel(order="K") if own.flags.c_contiguous or own.flags.f_contiguous else None
    strides = tuple(s // item for s in d.strides) if d.size else _contiguous(d.shape)
    if mem is not None:
        raw = mem.view(np.uint8) if mem.dtype.itemsize else mem
        start = d.__array_interface__["data"][0] - raw.__array_interface__["data"][0]
        last = start + sum((n - 1) * st for n, st in zip(d.shape, d.strides) if n) + item
        if start >= 0 and start % item == 0 and (not d.size or last <= raw.size) \
                and all(st >= 0 for st in d.strides):
            n = raw.size // item
            return raw[:n * item].view(d.dtype), start // item, strides
    # not one run of memory: d's own elements, in order, are its storage
    return d.copy().reshape(-1), 0, _contiguous(d.shape)


def _contiguous(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _positions(shape, strides, offset):
    """The storage index of each element of the geometry (C order, as an int64 array)."""
    idx = np.full(shape, offset, np.int64)
    for k, (n, st) in enumerate(zip(shape, strides)):
        sh = [1] * len(shape)
        sh[k] = n
        idx = idx + (np.arange(n, dtype=np.int64) * st).reshape(sh)
    return idx


def _check_int(v, arg, pos, name):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        if isinstance(v, Tensor) and v._data.ndim == 0 and v._data.dtype.kind in "iu":
            return int(v._data)
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    return int(v)


def _geometry(d, size, stride, storage_offset, name, first=1):
    """PyTorch's checks of a size/stride/offset triple over d's storage."""
    for arg, v, pos in (("size", size, first), ("stride", stride, first + 1)):
        if not isinstance(v, (tuple, list)) and not (
                isinstance(v, Tensor) and v._data.ndim == 1):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of "
                            f"ints, not {type(v).__name__}")
    size = tuple(int_list(size, name, "size"))
    stride = tuple(int_list(stride, name, "stride"))
    flat, own_offset, _ = storage_of(d)
    offset = own_offset if storage_offset is None else _check_int(
        storage_offset, "storage_offset", first + 2, name)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if all(size):
        need = offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))
        if need > flat.size:
            item = d.itemsize
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                f"{offset}, and itemsize {item} requiring a storage size of {need * item} are "
                f"out of bounds for storage of size {flat.size * item}")
    return flat, size, stride, offset


def _strided_array(flat, size, stride, offset, writeable):
    item = flat.itemsize
    start = flat[offset:] if offset < flat.size else flat[flat.size:]
    if start.size == 0:
        return np.empty(size, flat.dtype)
    return np.lib.stride_tricks.as_strided(start, size, [s * item for s in stride],
                                           writeable=writeable and flat.flags.writeable)


# -- as_strided -----------------------------------------------------------------------------------
def _as_strided_grad(g, geometry):
    """The gradient summed into a zero storage at the view's positions, then read back at the
    input's (divided by the input's own overlap count)."""
    out_pos, in_pos, count, in_shape, n = _plan(*geometry)
    if g.__class__ is np.ndarray:  # a first-order backward on arrays
        storage = np.zeros(n, g.dtype)
        np.add.at(storage, out_pos.reshape(-1), g.reshape(-1))
        r = storage[in_pos].reshape(in_shape)
        return r if count is None else r / count
    storage = _make(np.zeros(n, g._data.dtype)).index_put((_make(out_pos.reshape(-1)),),
                                                          g.reshape(-1), True)
    r = storage.take(_make(in_pos)).reshape(in_shape)
    return r if count is None else r / _make(count.astype(g._data.dtype))


_AsStrided = formula_node("AsStridedBackward0", _as_strided_grad, arrays=True)
_AsStrided1 = formula_node("AsStridedBackward1", _as_strided_grad, arrays=True)


def _plan(in_shape, own_strides, own_offset, size, stride, offset):
    out_pos = _positions(size, stride, offset)
    in_pos = _positions(in_shape, own_strides, own_offset)
    n = int(max(out_pos.max(initial=-1), in_pos.max(initial=-1)) + 1)
    count = None
    if in_pos.size and np.unique(in_pos).size != in_pos.size:
        count = np.bincount(in_pos.reshape(-1), minlength=n)[in_pos]
    return (out_pos, in_pos, count, in_shape, n)


def as_strided(input, size, stride, storage_offset=None):
    d = input._data
    flat, size, stride, offset = _geometry(d, size, stride, storage_offset, "as_strided")
    out = _strided_array(flat, size, stride, offset, d.flags.writeable)
    _, own_offset, own_strides = storage_of(d)
    return as_view(input, out, _AsStrided,
                   ((d.shape, own_strides, own_offset, size, stride, offset),))


def as_strided_(self, size, stride, storage_offset=None):
    check_inplace(self)
    d = self._data
    flat, size, stride, offset = _geometry(d, size, stride, storage_offset, "as_strided_")
    out = _strided_array(flat, size, stride, offset, d.flags.writeable)
    _, own_offset, own_strides = storage_of(d)
    return _view_inplace(self, out, _AsStrided1,
                         ((d.shape, own_strides, own_offset, size, stride, offset),),
                         "as_strided_")


# -- as_strided_scatter ---------------------------------------------------------------------------
def _scatter_self_grad(g, plan):
    written, _, _ = plan
    return g.masked_fill(_make(written), 0)


def _scatter_src_grad(g, plan):
    _, gather, visible = plan
    r = g.reshape(-1).take(_make(gather))
    return r if visible is None else r * _make(visible.astype(g._data.dtype))


_Scatter = formula_node("AsStridedScatterBackward0", _scatter_self_grad, _scatter_src_grad)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    if not isinstance(src, Tensor):
        raise TypeError(f"as_strided_scatter(): argument 'src' (position 2) must be Tensor, not "
                        f"{type(src).__name__}")
    d = input._data
    flat, size, stride, offset = _geometry(d, size, stride, storage_offset,
                                           "as_strided_scatter", 3)
    if tuple(src._data.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(size)}")
    if input._requires_grad and not d.flags.c_contiguous:
        raise RuntimeError(
            "!self.requires_grad() || self.is_contiguous() INTERNAL ASSERT FAILED at "
            "\"/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp\":4754, please report a "
            "bug to PyTorch. as_strided_scatter is currently only supported for contiguous inputs")
    _, own_offset, own_strides = storage_of(d)
    in_pos = _positions(d.shape, own_strides, own_offset)
    src_pos = _positions(size, stride, offset)
    n = int(max(in_pos.max(initial=-1), src_pos.max(initial=-1)) + 1)
    storage = np.zeros(n, d.dtype)
    storage[in_pos] = d
    storage[src_pos] = src._data.astype(d.dtype, copy=False)
    # the result keeps the input's geometry (its strides, over a storage of its own)
    out = _strided_array(storage, d.shape, own_strides, own_offset, True) if d.size else \
        storage[in_pos]
    # which input elements the scatter overwrote, and for each src element the input
        # element that shows it (the last write wins where src's positions repeat)
    where = np.full(n, -1, np.int64)
    where[in_pos.reshape(-1)] = np.arange(in_pos.size)
    writer = np.full(n, -1, np.int64)
    writer[src_pos.reshape(-1)] = np.arange(src_pos.size)
    written = (writer[in_pos] >= 0)
    gather = where[src_pos]
    mine = writer[src_pos] == np.arange(src_pos.size).reshape(src_pos.shape)
    seen = (gather >= 0) & mine
    plan = (written, np.where(seen, gather, 0), None if seen.all() else seen)
    return record(out, _Scatter, (input, src), (plan,))


TENSOR_METHODS = {"as_strided": as_strided, "as_strided_": as_strided_,
                  "as_strided_scatter": as_strided_scatter}
