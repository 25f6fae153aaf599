"""Storage-level ops: as_strided and its in-place and scatter forms (views over a tensor's
storage), resize_ / set_ (a tensor given new geometry or another tensor's memory), and the
storage queries (share_memory_, is_shared, is_inference, as_subclass, map2_).

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

import warnings
import weakref

import numpy as np

from .. import _determinism, _names
from .._dtype import complex32, from_np
from .._tensor import InferenceVersion, Tensor, _init, _make, _type_name
from ..autograd.graph import name_saved
from ._inplace import check_inplace
from ._op import formula_node, record, view_jvp
from .creation import int_list
from .indexing import _NotImplemented
from .shape import _view_inplace, as_view

__all__ = ["as_strided", "as_strided_", "as_strided_scatter", "is_inference", "resize_as_"]


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
def _as_strided_grad(g, geometry, storage_offset):
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
_AsStrided.jvp = staticmethod(view_jvp)  # the same view of the input's tangent
_AsStrided1 = formula_node("AsStridedBackward1", _as_strided_grad, arrays=True)
for _cls in (_AsStrided, _AsStrided1):  # storage_offset: as given (None without one)
    name_saved(_cls, size=lambda n: n._field(0, False)[3],
               stride=lambda n: n._field(0, False)[4], storage_offset=1)


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
                   ((d.shape, own_strides, own_offset, size, stride, offset),
                    None if storage_offset is None else offset))


def as_strided_(self, size, stride, storage_offset=None):
    check_inplace(self)
    d = self._data
    flat, size, stride, offset = _geometry(d, size, stride, storage_offset, "as_strided_")
    out = _strided_array(flat, size, stride, offset, d.flags.writeable)
    _, own_offset, own_strides = storage_of(d)
    return _view_inplace(self, out, _AsStrided1,
                         ((d.shape, own_strides, own_offset, size, stride, offset),
                          None if storage_offset is None else offset),
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


# -- resize_, set_ ------------------------------------------------------------------------------
def _sizes_arg(sizes, name):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) or len(sizes) == 1 and (
            isinstance(sizes[0], Tensor) and sizes[0]._data.ndim == 1):
        sizes = tuple(sizes[0])
    for i, v in enumerate(sizes):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) and not (
                isinstance(v, Tensor) and v._data.ndim == 0 and v._data.dtype.kind in "iu"):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(v).__name__}\"")
    return tuple(int(v) for v in sizes)


def _format_strides(shape, memory_format):
    """The strides of a fresh tensor of ``shape`` in ``memory_format`` (None: contiguous)."""
    name = getattr(memory_format, "name", None)
    if memory_format is None or name in (None, "contiguous_format", "preserve_format"):
        return _contiguous(shape)
    if name == "channels_last":
        if len(shape) != 4:
            raise RuntimeError("required rank 4 tensor to use channels_last format")
        n, c, h, w = shape
        return (h * w * c, 1, w * c, c)
    if name == "channels_last_3d":
        if len(shape) != 5:
            raise RuntimeError("required rank 5 tensor to use channels_last_3d format")
        n, c, d, h, w = shape
        return (d * h * w * c, 1, h * w * c, w * c, c)
    raise RuntimeError(f"unsupported memory format {memory_format}")


def _check_resizable(self):
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")


def resize_(self, *sizes, memory_format=None):
    """The tensor takes ``sizes`` (contiguous strides, or memory_format's) over its storage from
    its storage offset, which grows when it is too small.

    Differs from PyTorch in one way: when the storage grows, ember allocates a new array, so
    views made before the resize keep the old memory (PyTorch's views follow the storage)."""
    if not sizes:
        raise TypeError('resize_() missing 1 required positional arguments: "size"')
    _check_resizable(self)
    sizes = _sizes_arg(sizes, "resize_")
    if any(n < 0 for n in sizes):
        raise RuntimeError("numel: integer multiplication overflow")
    d = self._data
    if sizes == d.shape and (memory_format is None or _format_strides(
            sizes, memory_format) == storage_of(d)[2]):
        return self
    strides = _format_strides(sizes, memory_format)
    need = 1 + sum((n - 1) * st for n, st in zip(sizes, strides)) if all(sizes) else 0
    flat, offset, _ = storage_of(d)
    if offset + need <= flat.size:
        out = _strided_array(flat, sizes, strides, offset, d.flags.writeable)
    else:  # a larger storage: the old elements first, the new ones uninitialized
        grown = _determinism.uninitialized(offset + need, d.dtype)
        grown[:flat.size] = flat
        out = _strided_array(grown, sizes, strides, offset, True)
    if out.shape != d.shape:  # PyTorch counts a change of sizes, not of strides alone
        self._version[0] += 1
    self._data = out
    return self


def resize_as_(input, the_template, *, memory_format=None):
    if not isinstance(the_template, Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 2) must be Tensor, "
                        f"not {type(the_template).__name__}")
    return resize_(input, the_template._data.shape, memory_format=memory_format)


_Resize = formula_node("ResizeBackward", lambda g, shape: g.reshape(shape), arrays=True)


def resize(self, *sizes):
    """The deprecated out-of-place resize: a reshape that must keep the number of elements."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return _resize_copy(self, _sizes_arg(sizes, "resize"))


def resize_as(self, tensor):
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _resize_copy(self, tuple(tensor._data.shape))


def _resize_copy(self, sizes):
    d = self._data
    n = int(np.prod(sizes, dtype=np.int64))
    if n != d.size:
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({n} elements in total), but the "
            f"given tensor has a size of {'x'.join(map(str, d.shape))} ({d.size} elements). "
            "autograd's resize can only change the shape of a given tensor, while preserving "
            "the number of elements. ")
    return record(np.ascontiguousarray(d).reshape(sizes).copy(), _Resize, (self,), (d.shape,))


def set_(self, source=None, storage_offset=None, size=None, stride=None):
    """set_(): an empty tensor; set_(tensor): the tensor's memory and geometry; set_(tensor,
    storage_offset, size, stride=None): a strided view of the tensor's storage. ember has no
    storage objects, so a storage is refused."""
    check_inplace(self)
    d = self._data
    if source is None:
        if storage_offset is not None or size is not None:
            raise TypeError("set_(): argument 'source' must be Tensor, not NoneType")
        out = np.empty(0, d.dtype)
    else:
        if not isinstance(source, Tensor):
            exc = TypeError(f"set_(): argument 'source' (position 1) must be Tensor, not "
                            f"{type(source).__name__}")
            exc.add_note(f"{_names.prefix} has no storage objects: pass the tensor whose "
                         "memory this tensor should share, e.g. t.set_(other) or "
                         "t.set_(other, offset, size, stride).")
            raise exc
        sd = source._data
        if sd.dtype != d.dtype:
            raise RuntimeError(f"Could not set tensor of type {from_np[sd.dtype].cpp} to a "
                               f"tensor of type {from_np[d.dtype].cpp}")
        if storage_offset is None and size is None:
            out = sd
        else:
            size = sd.shape if size is None else size
            st = _contiguous(tuple(size)) if stride is None else stride
            flat, size, st, offset = _geometry(sd, size, st, storage_offset or 0, "set_")
            out = _strided_array(flat, size, st, offset, sd.flags.writeable)
    if self._requires_grad and self._grad_fn is not None:
        self._grad_fn = record(out, _NotImplemented, (_make(d, True, self._grad_fn),),
                               ("set_",))._grad_fn
    self._data = out
    self._version[0] += 1
    return self


# -- storage and identity queries -----------------------------------------------------------------
_shared = weakref.WeakValueDictionary()  # id(owner array) -> owner array, for is_shared()


def share_memory_(self):
    """Marks the storage as shared. ember's processes (ember.multiprocessing) exchange tensors
    by message, so there is nothing to move: is_shared() then answers True for the storage."""
    own = _owner(self._data)
    _shared[id(own)] = own
    return self


def is_shared(self):
    own = _owner(self._data)
    return _shared.get(id(own)) is own


def as_subclass(self, cls):
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                        "Tensor is not possible. Make sure your class inherits from Tensor.")
    t = cls.__new__(cls) if cls is not Tensor else _make(self._data)
    _init(t, self)
    return t


def map2_(self, x, y, callable):
    if self._requires_grad or x._requires_grad or y._requires_grad:
        raise RuntimeError("Can't call map2_() on Variable that requires grad. Use "
                           "var.detach().map2_() instead.")
    d = self._data
    for arg, other in (("x", x), ("y", y)):
        if other._data.dtype != d.dtype:
            raise TypeError(f"map2_: expected {_type_name(d)} for argument '{arg}' (got "
                            f"{_type_name(other._data)})")
    a = x.expand(d.shape)._data
    b = y.expand(d.shape)._data
    out = np.array([callable(p.item(), q.item(), r.item()) for p, q, r in
                    zip(d.reshape(-1), a.reshape(-1), b.reshape(-1))],
                   dtype=d.dtype).reshape(d.shape)
    np.copyto(d, out, casting="unsafe")  # as PyTorch's, without a version bump
    return self


def to_padded_tensor(self, padding, output_size=None):
    raise NotImplementedError(
        "Could not run 'aten::to_padded_tensor' with arguments from the 'CPU' backend. This "
        "could be because the operator doesn't exist for this backend, or was omitted during "
        "the selective/custom build process (if using custom build). If you are a Facebook "
        "employee using PyTorch on mobile, please visit https://fburl.com/ptmfixes for possible "
        "resolutions. 'aten::to_padded_tensor' is only available for these backends: [Meta, "
        "NestedTensorCPU, BackendSelect, Python, ...].")


def _index(self, positions, dims):
    exc = NotImplementedError("Tensor.index binds positional dims to first-class dimensions "
                              "(functorch.dim), which ember does not provide")
    exc.add_note("Index with [] or gather/index_select for ordinary indexing.")
    raise exc


def is_inference(input):
    """Whether ``input`` was made in inference mode."""
    return input._version.__class__ is InferenceVersion


TENSOR_METHODS = {"as_strided": as_strided, "as_strided_": as_strided_,
                  "as_strided_scatter": as_strided_scatter, "resize_": resize_,
                  "resize_as_": resize_as_, "resize": resize, "resize_as": resize_as,
                  "set_": set_, "share_memory_": share_memory_, "is_shared": is_shared,
                  "as_subclass": as_subclass, "map2_": map2_,
                  "to_padded_tensor": to_padded_tensor, "index": _index,
                  "name": property(lambda self: None),
                  "is_inference": is_inference,
                  "chalf": lambda self, memory_format=None: self.to(complex32)}
