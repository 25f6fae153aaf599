"""Shape ops and views. A view shares its base's storage and version counter."""

import warnings

import numpy as np

from .. import _dtype, _names
from .._dispatch import state as _dispatch
from .._dtype import from_np, result_type
from .._errors import note, warn_once
from .._tensor import Tensor, _dim_int, _make, _type_name, _wrap_dim
from ..autograd import forward_ad as _fw
from ..autograd.anomaly import record_bump
from ..autograd.anomaly import state as _anomaly_state
from ..autograd.engine import sum_to_array
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node, edge, name_saved
from ._inplace import check_inplace
from ._op import (
    check_tensor,
    dual_multi,
    formula_node,
    linear,
    record,
    tangent_view,
    view_jvp,
    zero_tangents,
)
from .creation import as_int, int_arg, int_list, int_seq

__all__ = [
    "reshape", "squeeze", "unsqueeze", "transpose", "swapaxes", "swapdims", "t", "permute",
    "flatten", "unflatten", "ravel", "tile", "flip", "fliplr", "flipud", "roll", "cat",
    "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind", "narrow",
    "movedim", "moveaxis", "diagonal", "diag", "tril", "triu", "atleast_1d", "atleast_2d",
    "select", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "meshgrid",
    "repeat_interleave",
]


def as_view(base, out, node_cls, saved):
    """Record a view of ``base``: same storage and version counter, ``_base`` set."""
    t = record(out, node_cls, (base,), saved)
    t._version = base._version
    t._base = base if base._base is None else base._base
    t._vv = base._version[0]
    return t


def _shape_arg(shape, name="view", arg="size"):
    """view(2, 3) and view((2, 3)) alike (the parser every size and dims list goes through)."""
    return int_list(shape, name, arg)


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# (reshape means the same on arrays: a first-order backward runs these on them)
_View = formula_node("ViewBackward0", lambda g, shape: g.reshape(shape), arrays=True)
_Reshape = formula_node("ReshapeAliasBackward0", lambda g, shape: g.reshape(shape), arrays=True)
_UnsafeView = formula_node("UnsafeViewBackward0", lambda g, shape: g.reshape(shape),
                           jvp=lambda ts, inputs, saved, out: ts[0].reshape(out._data.shape))


def _view_dtype(input, dt):
    """view(dtype): the same bytes read as another dtype (the last dimension rescaled when the
    element sizes differ). As in PyTorch, the result shares the memory but is no autograd view
    and never requires grad."""
    d = input._data
    src = from_np[d.dtype]
    np_dt = dt.np
    if dt.itemsize != src.itemsize:
        why = f"to view {src.word} as {dt.word} (different element sizes)"
        if d.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {why}")
        if d.shape[-1] != 1 and d.strides[-1] != d.itemsize:
            raise RuntimeError(f"self.stride(-1) must be 1 {why}, but got "
                               f"{d.strides[-1] // d.itemsize}")
        if dt.itemsize > src.itemsize and d.shape[-1] * src.itemsize % dt.itemsize:
            raise RuntimeError(f"self.size(-1) must be divisible by "
                               f"{dt.itemsize // src.itemsize} {why}, but got {d.shape[-1]}")
        if d.shape[-1] == 1 and d.strides[-1] != d.itemsize:
            d = np.lib.stride_tricks.as_strided(d, strides=(*d.strides[:-1], d.itemsize))
    out = _make(d.view(np_dt))
    out._version = input._version
    return out


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        if isinstance(shape[0], _dtype.dtype):
            return _view_dtype(input, shape[0])
        return input.to(shape[0])
    d = input._data
    shape = _infer_shape(_shape_arg(shape), d.size)
    out = d.view()
    try:
        out.shape = shape  # raises instead of copying when strides do not allow a view
    except AttributeError:
        exc = RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
        note(exc, "The tensor is not contiguous (e.g. after transpose or permute); "
                     "call .contiguous() first or use .reshape().")
        raise exc from None
    return as_view(input, out, _View, (d.shape,))


# clone()'s node (ops/copy.py)
_Clone = formula_node("CloneBackward0", lambda g: g, elementwise=True)


def reshape(input, *shape):
    d = input._data
    shape = _infer_shape(_shape_arg(shape, "reshape", "shape"), d.size)
    out = d.view()
    try:
        out.shape = shape
    except AttributeError:
        # a copy when strides do not allow a view: PyTorch's _unsafe_view(clone(input))
        return unsafe_view(record(d.copy(), _Clone, (input,)), shape)
    # a view: PyTorch's view() of a contiguous input, else its _reshape_alias
    return as_view(input, out, _View if d.flags.c_contiguous else _Reshape, (d.shape,))


def unsafe_view(input, shape):
    """PyTorch's _unsafe_view: the result shares input's array but is not tracked as its view
    (the ops that call it made input themselves). Under a transform, the public reshape
    (whose batching rule vmap has)."""
    if _dispatch.depth and input.__class__ is not Tensor:  # a batched input
        return input.reshape(shape)
    d = input._data
    return record(d.reshape(shape), _UnsafeView, (input,), (d.shape,))


# expand and its reverse, sum_to (the engine sums broadcast gradients back with it)
_Expand = formula_node("ExpandBackward0", lambda g, shape: sum_to(g, shape), arrays=True)
# PyTorch sums with keepdim and names the node as sum over dims does
_SumTo = formula_node("SumBackward1", lambda g, shape, size: _expand_to(g, shape), arrays=True,
                      jvp=lambda ts, inputs, saved, out: sum_to(ts[0], out._data.shape))


def _summed_dims(shape, size):
    """The dims sum_to sums over (PyTorch's: the leading ones, and those size keeps as 1)."""
    lead = len(shape) - len(size)
    return tuple(range(lead)) + tuple(i for i in range(lead, len(shape))
                                      if size[i - lead] == 1 and shape[i] != 1)


def _expand_to(g, shape):
    if g.__class__ is np.ndarray:  # a first-order backward (see FormulaNode.arrays)
        return np.broadcast_to(g, shape)
    return g.expand(shape)


def sum_to(g, shape):
    """Sum g over the broadcast dimensions so that it has ``shape`` (reverse broadcasting)."""
    if g.__class__ is np.ndarray:  # a first-order backward (see FormulaNode.arrays)
        return sum_to_array(g, shape)
    d = g._data
    return record(sum_to_array(d, shape), _SumTo, (g,), (d.shape, shape))


def _sum_to_size(self, *size):
    out = sum_to(self, size[0] if len(size) == 1 and not isinstance(size[0], int) else size)
    if out._data.dtype.kind == "u" and out._data.shape != self._data.shape:
        return out.long()  # a sum of integers is an int64 (NumPy's of unsigned ones, a uint64)
    return out


def expand(input, *sizes):
    d = input._data
    sizes = _shape_arg(sizes, "expand")
    lead = len(sizes) - d.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand({_type_name(d)}{{[{', '.join(map(str, d.shape))}]}}, "
            f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided ({len(sizes)}) "
            f"must be greater or equal to the number of dimensions in the tensor ({d.ndim})"
        )
    shape = []
    for i, s in enumerate(sizes):
        cur = d.shape[i - lead] if i >= lead else 1
        if s == -1:
            if i < lead:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            s = cur
        elif cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(d.shape)}"
            )
        shape.append(s)
    shape = tuple(shape)
    if shape == d.shape:
        return as_view(input, d.view(), _Expand, (d.shape,))
    return as_view(input, _broadcast_view(d, shape, lead), _Expand, (d.shape,))


def _broadcast_view(d, shape, lead):
    """np.broadcast_to without its argument checks (it runs in every reduction's backward)."""
    if not d.flags.c_contiguous:
        return np.broadcast_to(d, shape)
    strides = (0,) * lead + tuple(
        0 if n == 1 and s != 1 else st for n, s, st in zip(d.shape, shape[lead:], d.strides)
    )
    out = np.ndarray(shape, d.dtype, d, 0, strides)
    out.flags.writeable = False  # elements share memory, as np.broadcast_to's views do
    return out


def expand_as(input, other):
    return expand(input, other._data.shape)


_Unsqueeze = formula_node("UnsqueezeBackward0", lambda g, dim: g.squeeze(dim))


def unsqueeze(input, dim):
    d = input._data
    if dim.__class__ is not int:
        dim = _dim_int(dim)
    n = d.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    dim %= n
    return as_view(input, np.expand_dims(d, dim), _Unsqueeze, (dim,))


_Squeeze = formula_node("SqueezeBackward0", lambda g, shape: g.reshape(shape))
_SqueezeDim = formula_node("SqueezeBackward1", lambda g, shape, dim: g.reshape(shape))
_SqueezeDims = formula_node("SqueezeBackward2", lambda g, shape, dim: g.reshape(shape))


def squeeze(input, dim=None):
    d = input._data
    if dim is None:
        out = d.reshape(tuple(s for s in d.shape if s != 1))
        return as_view(input, out, _Squeeze, (d.shape,))
    one, dims = _squeeze_dims(d, dim)
    axes = set(dims) if d.ndim else set()
    out = d.reshape(tuple(s for i, s in enumerate(d.shape) if not (i in axes and s == 1)))
    if one:
        return as_view(input, out, _SqueezeDim, (d.shape, dims[0]))
    return as_view(input, out, _SqueezeDims, (d.shape, dims))


def _squeeze_dims(d, dim):
    """(whether dim is one int, the dims it names wrapped) for squeeze(dim) of the array d."""
    if not isinstance(dim, (int, tuple, list)):  # int or int list: a one-element tensor too
        v = as_int(dim)
        dim = _dim_int(dim) if v is None else v
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return isinstance(dim, int), tuple(_wrap_dim(x, d.ndim) for x in dims) if d.ndim else dims


_Transpose = formula_node("TransposeBackward0", lambda g, a, b: g.transpose(a, b))


def transpose(input, dim0, dim1):
    d = input._data
    a, b = _wrap_dim(dim0, d.ndim), _wrap_dim(dim1, d.ndim)
    return as_view(input, np.swapaxes(d, a, b) if d.ndim else d.view(), _Transpose, (a, b))


swapaxes = swapdims = transpose
def transposed(m):
    """m transposed: ``.T`` of a 2-D array, ``t()`` of a Tensor (a formula's either)."""
    return m.T if m.__class__ is np.ndarray else m.t()


_T = formula_node("TBackward0", transposed, arrays=True)


def t(input):
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    return as_view(input, d.T, _T, ())


def _permute_grad(g, dims):
    return g.permute(tuple(np.argsort(dims)))


_Permute = formula_node("PermuteBackward0", _permute_grad)


def permute(input, *dims):
    d = input._data
    dims = _shape_arg(dims, "permute", "dims")
    if len(dims) != d.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {d.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(x, d.ndim) for x in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return as_view(input, d.transpose(dims), _Permute, (dims,))


# -- views picked out by a NumPy basic-index key (select, slice, narrow, alias) ---------------
def _embed(g, shape, key, view_cls):
    """Zeros of ``shape`` with ``g`` written at ``key``: the backward of a basic-index view."""
    gd = g._data
    out = np.zeros(shape, gd.dtype)
    out[key] = gd
    return record(out, _Embed, (g,), (key, view_cls))


def key_view(input, key, view_cls):
    """``input._data[key]`` as a view, for a key of ints, slices and None only."""
    d = input._data
    return as_view(input, d[key], view_cls, (d.shape, key, view_cls))


def _key_view_grad(g, shape, key, view_cls, args=None):
    return _embed(g, shape, key, view_cls)


def _key_item(node):
    """(dim, item) of the select or slice view ``node`` records: the int or the slice of its
    key, and the input dim it applies to (a slice covering its whole dim counts only when the
    key has nothing else, as PyTorch records x[0:n] as a slice)."""
    shape, key = node._field(0, False), node._field(1, False)
    pos, first = 0, None
    for k in key:
        if k is Ellipsis:
            break
        if k is None:
            continue
        if k.__class__ is not slice:
            return pos, k
        if first is None:
            first = (pos, k)
        if not (k.start in (None, 0) and k.step in (None, 1)
                and (k.stop is None or k.stop >= shape[pos])):
            return pos, k
        pos += 1
    return first


def _key_none_dim(node):
    """The output dim at which the unsqueeze view ``node`` records puts its new dim."""
    pos = 0
    for k in node._field(1, False):
        if k is None:
            return pos
        if k.__class__ is slice:
            pos += 1
    return pos


_INT64_MAX = 2 ** 63 - 1  # PyTorch's end of a slice indexed without one


def _slice_args(node):
    """(dim, start, end, step) of the slice view ``node`` records, as PyTorch keeps them."""
    saved = node.unpack_saved()
    if len(saved) > 3:  # slice_dim's
        return saved[3]
    dim, k = _key_item(node)
    return dim, k.start or 0, _INT64_MAX if k.stop is None else k.stop, k.step or 1

_Embed = formula_node("SliceBackwardBackward0", lambda g, key, cls: key_view(g, key, cls))
_Select = formula_node("SelectBackward0", _key_view_grad)
_Slice = formula_node("SliceBackward0", _key_view_grad)
_Alias = formula_node("AliasBackward0", _key_view_grad)
_UnsqueezeKey = formula_node("UnsqueezeBackward0", _key_view_grad)


def select(input, dim, index):
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    index = int_arg(index, "select", "index", 2, one_element=True)
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(d.shape)} at "
            f"dimension {dim}"
        )
    return key_view(input, (slice(None),) * dim + (index % n,), _Select)


def slice_dim(input, dim, start=None, end=None, step=1):
    """PyTorch's aten::slice: input[start:end:step] along dim, a view, recorded as PyTorch's
    own composite ops record it (their ``end`` None where they give none, which a Python
    index shows as 2**63 - 1). Under a transform, the public indexing (which vmap batches)."""
    if _dispatch.depth and input.__class__ is not Tensor:  # a batched input
        dim = dim + input.dim() if dim < 0 else dim
        return input[(slice(None),) * dim + (slice(start, end, step),)]
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    key = (slice(None),) * dim + (slice(start, end, step), Ellipsis)
    return as_view(input, d[key], _Slice, (d.shape, key, _Slice, (dim, start or 0, end, step)))


def narrow(input, dim, start, length):
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    if isinstance(start, Tensor) and not (start._data.ndim == 0 and start._data.dtype.kind in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    start = int_arg(start, "narrow", "start", 2)
    length = int_arg(length, "narrow", "length", 3, one_element=True)
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return key_view(input, (slice(None),) * dim + (slice(start, start + length),), _Slice)


# -- flatten, unflatten, ravel, view_as, reshape_as ----------------------------------------
def flatten(input, start_dim=0, end_dim=-1):
    d = input._data
    if d.ndim == 0:
        return reshape(input, (1,))
    a, b = _wrap_dim(start_dim, d.ndim), _wrap_dim(end_dim, d.ndim)
    if a > b:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if a == b:
        return input
    return reshape(input, d.shape[:a] + (-1,) + d.shape[b + 1:])


def unflatten(input, dim, sizes):
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    sizes = int_seq(sizes, "unflatten", "sizes", 2)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = d.shape[dim]
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({n}) in the input tensor"
        )
    return view(input, d.shape[:dim] + sizes + d.shape[dim + 1:])


def ravel(input):
    if not input._data.flags.c_contiguous:
        input = input.clone()  # PyTorch: contiguous() then view(-1)
    return view(input, -1)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def movedim(input, source, destination):
    d = input._data
    n = d.ndim
    src = int_list(source, "movedim", "source", 1, False) if isinstance(
        source, (tuple, list)) else (int_arg(source, "movedim", "source", 1),)
    dst = int_list(destination, "movedim", "destination", 2, False) if isinstance(
        destination, (tuple, list)) else (int_arg(destination, "movedim", "destination", 2),)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    src = tuple(_wrap_dim(s, n) for s in src)
    dst = tuple(_wrap_dim(s, n) for s in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [i for i in range(n) if i not in src]
    for s, t_ in sorted(zip(dst, src)):
        order.insert(s, t_)
    return permute(input, tuple(order))


moveaxis = movedim


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got "
            f"{self._data.ndim}-D tensor."
        )
    return transpose(self, -2, -1)


# -- copies: repeat, tile, flip, roll, tril/triu ------------------------------------------------
def _repeat_grad(g, shape, reps):
    lead = len(reps) - len(shape)
    full = (1,) * lead + tuple(shape)
    inter = []
    for r, s in zip(reps, full):
        inter += [r, s]
    g = g.reshape(tuple(inter)).sum(tuple(range(0, 2 * len(reps), 2)))
    return g.reshape(shape)


_Repeat = formula_node("RepeatBackward0", _repeat_grad,
                       jvp=linear(lambda t, shape, reps: t.repeat(reps)))


def repeat(input, *sizes):
    d = input._data
    reps = _shape_arg(sizes, "repeat", "repeats")
    if len(reps) < d.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(reps)}: "
                           f"{list(reps)}")
    full = d.reshape((1,) * (len(reps) - d.ndim) + d.shape)
    return record(np.tile(full, reps), _Repeat, (input,), (d.shape, reps))


def tile(input, dims):
    dims = int_list(dims if isinstance(dims, (tuple, list)) else (dims,), "tile", "dims", 2, False)
    nd = input.dim()
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


_Flip = formula_node("FlipBackward0", lambda g, dims: g.flip(dims), elementwise=True)


def flip(input, *dims):
    d = input._data
    dims = _shape_arg(dims, "flip", "dims")
    axes = tuple(_wrap_dim(a, d.ndim) for a in dims)
    if len(set(axes)) != len(axes):
        dup = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    out = np.flip(d, axes).copy() if d.ndim else d.copy()
    return record(out, _Flip, (input,), (axes,))


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def _roll_grad(g, shifts, dims):
    return g.roll(tuple(-s for s in shifts), dims)


_Roll = formula_node("RollBackward0", _roll_grad,
                     jvp=linear(lambda t, shifts, dims: t.roll(shifts, dims)))


def roll(input, shifts, dims=None):
    d = input._data
    shifts = int_seq(shifts, "roll", "shifts", 1)
    if dims is None or isinstance(dims, (tuple, list)) and not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        out = np.roll(d.reshape(-1), shifts[0]).reshape(d.shape)
        return record(out, _RollFlat, (input,), (shifts[0],))
    dims = int_seq(dims, "roll", "dims", 2)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    axes = tuple(_wrap_dim(a, d.ndim) for a in dims)
    shifts = tuple(int(s) for s in shifts)
    return record(np.roll(d, shifts, axes), _Roll, (input,), (shifts, axes))


_RollFlat = formula_node("RollBackward0", lambda g, shift: g.roll(-shift),
                         jvp=linear(lambda t, shift: t.roll(shift)))


def _tri_check(d, name):
    if d.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


_Tril = formula_node("TrilBackward0", lambda g, k: g.tril(k), elementwise=True)
_Triu = formula_node("TriuBackward0", lambda g, k: g.triu(k), elementwise=True)


def tril(input, diagonal=0):
    d = input._data
    _tri_check(d, "tril")
    diagonal = int_arg(diagonal, "tril", "diagonal", 1, one_element=True)
    return record(np.tril(d, diagonal), _Tril, (input,), (diagonal,))


def triu(input, diagonal=0):
    d = input._data
    _tri_check(d, "triu")
    diagonal = int_arg(diagonal, "triu", "diagonal", 1, one_element=True)
    return record(np.triu(d, diagonal), _Triu, (input,), (diagonal,))


# -- diagonal (a view) and diag ----------------------------------------------------------------
def _diagonal_array(d, offset, a, b):
    """A writable strided view of d's diagonal (NumPy's own diagonal view is read-only)."""
    if offset >= 0:
        sub = d[(slice(None),) * b + (slice(offset, None),)] if offset else d
    else:
        sub = d[(slice(None),) * a + (slice(-offset, None),)]
    n = max(min(sub.shape[a], sub.shape[b]), 0)
    keep = [i for i in range(d.ndim) if i not in (a, b)]
    shape = tuple(sub.shape[i] for i in keep) + (n,)
    strides = tuple(sub.strides[i] for i in keep) + (sub.strides[a] + sub.strides[b],)
    return np.lib.stride_tricks.as_strided(sub, shape, strides)


def _diag_embed(g, shape, offset, a, b):
    out = np.zeros(shape, g._data.dtype)
    _diagonal_array(out, offset, a, b)[...] = g._data
    return record(out, _DiagonalBack, (g,), (offset, a, b))


_Diagonal = formula_node("DiagonalBackward0", _diag_embed)
_DiagonalBack = formula_node("DiagonalBackwardBackward0",
                             lambda g, offset, a, b: diagonal(g, offset, a, b))


def diagonal(input, offset=0, dim1=0, dim2=1):
    d = input._data
    offset = int_arg(offset, "diagonal", "offset", 1)
    a, b = _wrap_dim(dim1, d.ndim), _wrap_dim(dim2, d.ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = _diagonal_array(d, offset, a, b)
    return as_view(input, out, _Diagonal, (d.shape, offset, a, b))


_DiagCopy = formula_node("DiagonalBackward0_copy", _diag_embed)
_DiagEmbed = formula_node("DiagEmbedBackward0", lambda g, k: diagonal(g, k, 0, 1),
                          jvp=linear(lambda t, k: diag(t, k)))


def diag(input, diagonal=0):
    d = input._data
    if d.ndim == 1:
        n = d.shape[0] + abs(diagonal)
        out = np.zeros((n, n), d.dtype)
        _diagonal_array(out, diagonal, 0, 1)[...] = d
        return record(out, _DiagEmbed, (input,), (diagonal,))
    if d.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{d.ndim}D")
    out = _diagonal_array(d, diagonal, 0, 1).copy()
    return record(out, _DiagCopy, (input,), (d.shape, diagonal, 0, 1))


# -- joining: cat, stack, hstack, vstack ---------------------------------------------------------
class CatBackward0(Node):
    """Gradient of cat: each input gets its slice of the incoming gradient."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        g = grads[0]
        dim, sizes = self.unpack_saved()
        out = []
        start = 0
        pre = (slice(None),) * dim
        for (fn, _), n in zip(self.next_functions, sizes):
            if n is None:  # a skipped legacy empty input
                out.append(None if fn is None else _make(np.zeros(0, g._data.dtype)))
                continue
            if fn is not None:
                out.append(key_view(g, pre + (slice(start, start + n),), _Slice))
            else:
                out.append(None)
            start += n
        return tuple(out)


def _cat_jvp(ts, inputs, saved, out):
    dim, sizes = saved
    parts = [t_ for t_, n in zip(zero_tangents(ts, inputs), sizes) if n is not None]
    return cat(parts, dim)


CatBackward0.jvp = staticmethod(_cat_jvp)


def _tensor_seq(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    return tensors


def cat(tensors, dim=0):
    tensors = _tensor_seq(tensors, "cat")
    if not tensors:
        raise ValueError(f"{_names.prefix}.cat(): expected a non-empty list of Tensors")
    # legacy rule: 1-d empty tensors are skipped
    arrays = [t._data for t in tensors]
    ref = next((a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)), arrays[0])
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    dim = _wrap_dim(dim, ref.ndim)
    dt = result_type(*tensors).np if len(tensors) > 1 else ref.dtype
    parts = []
    for i, a in enumerate(arrays):
        if a.ndim == 1 and a.shape[0] == 0 and a is not ref:
            continue
        if a.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {a.ndim}"
            )
        for k in range(ref.ndim):
            if k != dim and a.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{ref.shape[k]} but got size {a.shape[k]} for tensor number {i} in the list."
                )
        parts.append(a if a.dtype == dt else a.astype(dt))
    result = np.concatenate(parts, axis=dim) if len(parts) > 1 else parts[0].copy()
    sizes = tuple(None if a.ndim == 1 and a.shape[0] == 0 and a is not ref else a.shape[dim]
                  for a in arrays)
    return record(result, CatBackward0, tensors, (dim, sizes))


concat = concatenate = cat


class StackBackward0(Node):
    __slots__ = ()

    def apply(self, grads, create_graph):
        g = grads[0]
        (dim,) = self.unpack_saved()
        pre = (slice(None),) * dim
        return tuple(key_view(g, pre + (i,), _Select) if fn is not None else None
                     for i, (fn, _) in enumerate(self.next_functions))


StackBackward0.jvp = staticmethod(
    lambda ts, inputs, saved, out: stack(zero_tangents(ts, inputs), saved[0]))


def stack(tensors, dim=0):
    tensors = _tensor_seq(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape0 = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != shape0:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape0)} at entry 0 "
                f"and {list(t_._data.shape)} at entry {i}"
            )
    dim = _wrap_dim(dim, len(shape0) + 1)
    dt = result_type(*tensors).np if len(tensors) > 1 else tensors[0]._data.dtype
    result = np.stack([t_._data for t_ in tensors], axis=dim).astype(dt, copy=False)
    return record(result, StackBackward0, tensors, (dim,))


def atleast_1d(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(atleast_1d(t_) for t_ in tensors[0])
    if len(tensors) > 1:
        return tuple(atleast_1d(t_) for t_ in tensors)
    x = tensors[0]
    return reshape(x, (1,)) if x._data.ndim == 0 else x


def atleast_2d(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(atleast_2d(t_) for t_ in tensors[0])
    if len(tensors) > 1:
        return tuple(atleast_2d(t_) for t_ in tensors)
    x = tensors[0]
    if x._data.ndim == 0:
        return reshape(x, (1, 1))
    return unsqueeze(x, 0) if x._data.ndim == 1 else x


def hstack(tensors):
    tensors = atleast_1d(_tensor_seq(tensors, "hstack"))
    if not tensors:
        raise ValueError(f"{_names.prefix}.cat(): expected a non-empty list of Tensors")
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    tensors = atleast_2d(_tensor_seq(tensors, "vstack"))
    if not tensors:
        raise ValueError(f"{_names.prefix}.cat(): expected a non-empty list of Tensors")
    return cat(tensors, 0)


# -- splitting: split, chunk, unbind (one node, several outputs) -------------------------------
class _MultiView(Node):
    """A node with several outputs, each a view of the one input (PyTorch's SplitBackward0).

    Gradients of outputs that were not used arrive as None and count as zeros.
    """

    __slots__ = ("n_outputs",)

    def apply(self, grads, create_graph):
        shape, dim, sizes = self.unpack_saved()[:3]
        dt = self._meta[0][1]
        filled = []
        for g, n in zip(grads, sizes):
            if g is None:
                s = list(shape)
                if self.stacks:
                    del s[dim]
                else:
                    s[dim] = n
                g = _make(np.zeros(s, dt))
            filled.append(g)
        return (stack(filled, dim) if self.stacks else cat(filled, dim),)


class SplitBackward0(_MultiView):
    __slots__ = ()
    stacks = False


class SplitWithSizesBackward0(_MultiView):
    __slots__ = ()
    stacks = False


class UnbindBackward0(_MultiView):
    __slots__ = ()
    stacks = True


class UnsafeSplitBackward0(_MultiView):
    __slots__ = ()
    stacks = False


class UnsafeSplitWithSizesBackward0(_MultiView):
    __slots__ = ()
    stacks = False


_UNSAFE = {SplitBackward0: UnsafeSplitBackward0,
           SplitWithSizesBackward0: UnsafeSplitWithSizesBackward0}


def _multi_view(input, arrays, node_cls, dim, sizes, split_size=None):
    """The parts ``arrays`` of input along dim as one node's outputs; the node saves (shape,
    dim, sizes, split_size) (``split_size``: split's int argument, None otherwise)."""
    d = input._data
    saved = (d.shape, dim, sizes, split_size)
    outs = [_make(a) for a in arrays]
    if node_cls not in _UNSAFE.values():  # unsafe_split's parts are not tracked as views
        root = input if input._base is None else input._base
        for o in outs:
            o._version = input._version
            o._base = root
            o._vv = input._version[0]
    if _grad_state.enabled and input._requires_grad:
        node = node_cls((edge(input),), [(d.shape, d.dtype)], saved)
        node.n_outputs = len(outs)
        for i, o in enumerate(outs):
            o._requires_grad = True
            o._grad_fn = node
            o._output_nr = i
    if _fw.state.active:
        _multi_view_tangents(input, outs, node_cls, saved)
    return tuple(outs)


def _multi_view_tangents(input, outs, node_cls, saved):
    """split, chunk, unbind of a dual tensor: each part's tangent is that part of the tangent."""
    dual_multi(outs, node_cls, (input,), saved, False)


def _multi_view_jvp(ts, inputs, saved, outs):
    # each output's tangent: the same view of the input's tangent (the derived rule when the
    # layouts differ)
    views = [tangent_view(ts[0], inputs[0]._data, o._data) for o in outs]
    return NotImplemented if any(v is None for v in views) else views


_MultiView.jvp = staticmethod(_multi_view_jvp)


def split(tensor, split_size_or_sections, dim=0, *, _unsafe=False):
    d = tensor._data
    dim = _wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    pre = (slice(None),) * dim
    if isinstance(split_size_or_sections, Tensor) and as_int(split_size_or_sections) is not None:
        split_size_or_sections = as_int(split_size_or_sections)  # a one-element integer tensor
    elif not isinstance(split_size_or_sections, (int, np.integer, tuple, list)):
        raise TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of "
                        f"ints, not {type(split_size_or_sections).__name__}")
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0 and n != 0:
            raise RuntimeError(
                "split_size can only be 0 if dimension size is 0, but got dimension size of "
                f"{n}"
            )
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        if not sizes:
            sizes = [0]
        node_cls = SplitBackward0
    else:
        sizes = list(int_list(split_size_or_sections, "split_with_sizes", "split_sizes", 2,
                              varargs=False))
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {dim}), but got split_sizes={sizes}"
            )
        node_cls = SplitWithSizesBackward0
    arrays, start = [], 0
    for s in sizes:
        arrays.append(d[pre + (slice(start, start + s),)])
        start += s
    return _multi_view(tensor, arrays, _UNSAFE[node_cls] if _unsafe else node_cls, dim,
                       tuple(sizes), size if node_cls is SplitBackward0 else None)


def chunk(input, chunks, dim=0, *, _unsafe=False):
    chunks = int_arg(chunks, "chunk", "chunks", 1)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = input._data
    n = d.shape[_wrap_dim(dim, d.ndim)]
    size = -(-n // chunks)
    if n == 0:
        return split(input, [0] * chunks, dim, _unsafe=_unsafe)
    return split(input, size, dim, _unsafe=_unsafe)


def unsafe_split(input, split_size, dim=0):
    """split whose parts share input's memory without being tracked as its views (in-place
    changes to them are not checked against input): what PyTorch's RNN cells use."""
    if not isinstance(split_size, (int, np.integer)):
        raise TypeError(f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    return split(input, split_size, dim, _unsafe=True)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim, _unsafe=True)


def unsafe_chunk(input, chunks, dim=0):
    return chunk(input, chunks, dim, _unsafe=True)


def unbind(input, dim=0):
    d = input._data
    if d.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = _wrap_dim(dim, d.ndim)
    pre = (slice(None),) * dim
    arrays = [d[pre + (i, Ellipsis)] for i in range(d.shape[dim])]
    return _multi_view(input, arrays, UnbindBackward0, dim, (1,) * len(arrays))


def _T_prop(self):
    if self._data.ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif self._data.ndim > 2:
        warnings.warn(_names.spell(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*ember.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor."),
            UserWarning,
            stacklevel=2,
        )
    return permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


# -- in-place view ops: the tensor takes the new shape and strides of the same memory -----------
_Transpose1 = formula_node("TransposeBackward1", lambda g, a, b: g.transpose(a, b))
_T1 = formula_node("TBackward1", lambda g: g.t())
_Unsqueeze1 = formula_node("UnsqueezeBackward1", lambda g, dim: g.squeeze(dim))
_Squeeze3 = formula_node("SqueezeBackward3", lambda g, shape: g.reshape(shape))
_Squeeze4 = formula_node("SqueezeBackward4", lambda g, shape, dim: g.reshape(shape))
_Squeeze5 = formula_node("SqueezeBackward5", lambda g, shape, dim: g.reshape(shape))


# -- meshgrid, repeat_interleave, Tensor.unfold ---------------------------------------------
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warn_once("meshgrid", "torch.meshgrid: in an upcoming release, it will be required to "
                  "pass the indexing argument.")
        indexing = "ij"
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {_cpp_print(t._data)}")
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:  # the first two axes swap places
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, axis in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[axis] = -1
        out.append(t.view(shape).expand(sizes))  # methods: a transform sees each op
    return tuple(out)


def _repeat_arg_error(got, method, bad_dim=False):
    sigs = (" * (Tensor repeats, int dim = None, *, int output_size = None)\n"
            " * (int repeats, int dim = None, *, int output_size = None)\n") if method else (
        " * (Tensor input, Tensor repeats, int dim = None, *, int output_size = None)\n"
        " * (Tensor repeats, *, int output_size = None)\n"
        + ("      didn't match because some of the keywords were incorrect: dim\n"
           if bad_dim else "")
        + " * (Tensor input, int repeats, int dim = None, *, int output_size = None)\n")
    return TypeError("repeat_interleave() received an invalid combination of arguments - "
                     f"got ({got}), but expected one of:\n{sigs}")


def _cpp_print(d):
    """A tensor of 2 or more dims as PyTorch's C++ code prints it into messages (without its
    scale factor and column wrapping, for numbers of ordinary size)."""
    dims = ",".join(map(str, d.shape))
    footer = (f"[ CPUBoolType{{{dims}}} ]" if d.dtype == np.bool_ else
              f"[ {_type_name(d)}{{{dims}}} ]")
    if not d.size:
        return footer
    v = d.astype(np.float64)
    if v.ndim == 2:
        return _cpp_matrix(v, "") + footer
    blocks = []
    lead_shape = v.shape[:-2]
    for flat in range(int(np.prod(lead_shape))):  # the first index turns fastest
        lead = np.unravel_index(flat, lead_shape, order="F")
        head = "(" + ",".join(str(int(i) + 1) for i in lead) + ",.,.) = \n"
        blocks.append(head + _cpp_matrix(v[lead], " "))
    return "\n".join(blocks) + footer


def _cpp_matrix(v, indent):
    """One matrix in PyTorch's C++ print format, its width chosen from its own values."""
    finite = np.abs(v[np.isfinite(v)])
    nonzero = finite[finite != 0]
    exp_max = int(np.floor(np.log10(nonzero.max()))) + 1 if nonzero.size else 1
    exp_min = int(np.floor(np.log10(nonzero.min()))) + 1 if nonzero.size else 1
    if np.all(np.ceil(finite) == finite):
        size, fmt = (11, "{:.4e}") if exp_max > 9 else (max(exp_max, 1) + 1, "{:.0f}")
    elif exp_max - exp_min > 4:
        size, fmt = 11, "{:.4e}"
    else:
        size, fmt = (7 if exp_max <= 0 else exp_max + 6), "{:.4f}"

    def show(x):
        if x != x:
            return "nan"
        if abs(x) == np.inf:
            return "inf" if x > 0 else "-inf"
        return fmt.format(x)

    rows = [" ".join(show(x).rjust(size) for x in row) for row in v]
    return ("\n" + indent).join(rows) + "\n"


def _repeats_array(repeats):
    r = repeats._data
    if r.dtype.kind not in "iu":
        word = from_np[r.dtype].word if r.dtype in from_np else str(r.dtype)
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for \'{word}\'')
    return r


def _repeat_index(r, output_size=None):
    """torch.repeat_interleave(repeats): each position i repeated repeats[i] times."""
    if r.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if not r.size:
        return np.zeros(0, r.dtype)
    if output_size is not None and int(output_size) != int(r.sum()):
        raise RuntimeError("allocated size does not match required size")
    if r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return np.repeat(np.arange(r.size, dtype=r.dtype), r)


def repeat_interleave(input=None, repeats=None, dim=None, *, output_size=None):
    if input is None:  # torch.repeat_interleave(repeats=...): the one-argument form
        input, repeats = repeats, None
    return _repeat_interleave(input, repeats, dim, output_size, False)


def _repeat_interleave_method(input, repeats=None, dim=None, *, output_size=None):
    return _repeat_interleave(input, repeats, dim, output_size, True)


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _repeat_interleave(input, repeats, dim, output_size, method):
    for name, v in (("dim", dim), ("output_size", output_size)):
        if isinstance(v, Tensor) and v._data.size == 1 and v._data.dtype.kind in "iu":
            v = int(v._data.reshape(()))  # a one-element integer tensor is an int
            dim, output_size = (v, output_size) if name == "dim" else (dim, v)
        if v is not None and not _is_int(v):
            shown = [type(repeats).__name__ if not isinstance(repeats, Tensor) else "Tensor"]
            if name == "dim":
                shown.append(f"dim={type(dim).__name__}")
            else:
                shown += ([] if dim is None else [type(dim).__name__])
                shown.append(f"output_size={type(v).__name__}")
            if not method:
                shown.insert(0, "Tensor")
            raise _repeat_arg_error(", ".join(shown), method, name == "dim")
    if repeats is None:  # the one-argument form: torch.repeat_interleave(repeats)
        return _make(_repeat_index(_repeats_array(input), output_size))
    d = input._data
    if isinstance(repeats, Tensor):
        r = _repeats_array(repeats)
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if dim is None:
            x, dim = reshape(input, -1), 0
        else:
            if d.ndim == 0:
                raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
            x, dim = input, _wrap_dim(dim, d.ndim)
        n = x._data.shape[dim]
        if r.size == 1:
            r = np.broadcast_to(r.reshape(1), (n,))
        elif r.shape[0] != n:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) "
                f"= {r.shape[0]} and input.size({dim}) = {n}")
        idx = _repeat_index(r, output_size)
        return x.index_select(dim, _make(idx.astype(np.int64)))
    if not _is_int(repeats):
        got = type(repeats).__name__ if method else f"Tensor, {type(repeats).__name__}"
        raise _repeat_arg_error(got, method)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if dim is None:
        x, dim = reshape(input, -1), 0
    else:
        x = input
        dim = _wrap_dim(dim, max(d.ndim, 1)) if d.ndim else int(dim)
    shape = list(x._data.shape)
    if dim < len(shape) and output_size is not None and int(output_size) != shape[dim] * repeats:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected "
                           f"{shape[dim] * repeats} but got {output_size}")
    u = unsqueeze(x, dim + 1)
    wide = list(u._data.shape)
    wide[dim + 1] = repeats
    e = expand(u, wide)
    c = record(e._data.copy(), _Clone, (e,))
    shape[dim] *= repeats
    return view(c, shape)


def _unfold_grad(g, shape, dim, size, step):
    """The sum of the windows back into a tensor of the input's shape."""
    gd = g._data
    out = np.zeros(shape or (1,), gd.dtype)
    o = np.moveaxis(out, dim, 0)
    gg = np.moveaxis(gd.reshape(gd.shape if shape else (1, size)), (dim, -1), (0, 1))
    n = gg.shape[0]
    for k in range(size):  # one offset at a time: the positions it writes are distinct
        o[k:k + step * n:step] += gg[:, k]
    return record(out.reshape(shape), _UnfoldBackward, (g,), (dim, size, step))


def _unfold_array(d, dim, size, step, writeable=False):
    n = (d.shape[dim] - size) // step + 1
    shape = d.shape[:dim] + (n,) + d.shape[dim + 1:] + (size,)
    strides = d.strides[:dim] + (d.strides[dim] * step,) + d.strides[dim + 1:] + (d.strides[dim],)
    return np.lib.stride_tricks.as_strided(d, shape, strides, writeable=writeable)


_Unfold = formula_node("UnfoldBackward0", _unfold_grad)
_UnfoldBackward = formula_node("UnfoldBackwardBackward0",
                               lambda g, dim, size, step: unfold(g, dim, size, step))


_NO_STEP = object()


def unfold(input, dimension, size, step=_NO_STEP):
    if step is _NO_STEP:
        raise TypeError('unfold() missing 1 required positional arguments: "step"')
    d = input._data
    for name, pos, v in (("dimension", 1, dimension), ("size", 2, size), ("step", 3, step)):
        if not _is_int(v) and not (isinstance(v, Tensor) and v._data.size == 1
                                   and v._data.dtype.kind in "iu"):
            raise TypeError(f"unfold(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
    dim = _wrap_dim(int(dimension), max(d.ndim, 1))
    n = d.shape[dim] if d.ndim else 1
    size, step = int(size), int(step)
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {n} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    a = d.reshape(1) if d.ndim == 0 else d
    out = _unfold_array(a, dim, size, step, writeable=d.flags.writeable)
    if d.ndim == 0:
        out = out[0]
    return as_view(input, out, _Unfold, (d.shape, dim, size, step))


def _view_inplace(self, out, node_cls, saved, name):
    """self becomes ``out`` (a view of its own array); while autograd records, its history
    continues through node_cls. The version counter moves, as for any in-place op."""
    check_inplace(self)
    if _grad_state.enabled and self._requires_grad:
        old = _make(self._data, True, self._grad_fn)
        old._output_nr = self._output_nr
        self._grad_fn = record(out, node_cls, (old,), saved)._grad_fn
        self._output_nr = 0
    if _fw.state.active:
        t = _fw.tangent_of(self)
        if t is not None:  # the tangent is viewed the same way
            v = tangent_view(t, self._data, out)
            if v is None:
                old = _make(self._data)
                _fw.set_tangent(old, t)
                v = _fw.tangent_of(record(out, node_cls, (old,), saved))
            _fw.set_tangent(self, v)
    self._data = out
    self._version[0] += 1
    if _anomaly_state.record:
        record_bump(self._version, name)
    return self


def transpose_(self, dim0, dim1):
    d = self._data
    a, b = _wrap_dim(dim0, d.ndim), _wrap_dim(dim1, d.ndim)
    return _view_inplace(self, np.swapaxes(d, a, b) if d.ndim else d.view(), _Transpose1,
                         (a, b), "transpose_")


def t_(self):
    d = self._data
    if d.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    return _view_inplace(self, d.T, _T1, (), "t_")


def unsqueeze_(self, dim):
    d = self._data
    if dim.__class__ is not int:
        dim = _dim_int(dim)
    n = d.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    dim %= n
    return _view_inplace(self, np.expand_dims(d, dim), _Unsqueeze1, (dim,), "unsqueeze_")


def squeeze_(self, dim=None):
    d = self._data
    out = squeeze(_make(d), dim)._data  # the same checks and shape as squeeze
    if dim is None:
        return _view_inplace(self, out, _Squeeze3, (d.shape,), "squeeze_")
    one, dims = _squeeze_dims(d, dim)
    return _view_inplace(self, out, _Squeeze4 if one else _Squeeze5,
                         (d.shape, dims[0] if one else dims), "squeeze_")


TENSOR_METHODS = {
    "transpose_": transpose_, "swapaxes_": transpose_, "swapdims_": transpose_, "t_": t_,
    "unsqueeze_": unsqueeze_, "squeeze_": squeeze_,
    "view": view, "reshape": reshape, "expand": expand, "expand_as": expand_as,
    "unsqueeze": unsqueeze, "squeeze": squeeze, "transpose": transpose, "swapaxes": transpose,
    "swapdims": transpose, "t": t, "permute": permute,
    "T": property(_T_prop), "mT": property(_mT),
    "flatten": flatten, "unflatten": unflatten, "ravel": ravel, "view_as": view_as,
    "reshape_as": reshape_as, "movedim": movedim, "moveaxis": movedim, "repeat": repeat,
    "tile": tile, "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll,
    "tril": tril, "triu": triu, "diagonal": diagonal, "diag": diag, "narrow": narrow,
    "select": select, "split": split, "chunk": chunk, "unbind": unbind,
    "unsafe_split": unsafe_split, "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "unsafe_chunk": unsafe_chunk, "sum_to_size": _sum_to_size,
    "repeat_interleave": _repeat_interleave_method, "unfold": unfold,
}


# view ops: the tangent of a view is the same view of the input's tangent
for _cls in (_View, _Reshape, _Expand, _Unsqueeze, _Squeeze, _SqueezeDim, _SqueezeDims,
             _Transpose, _T, _Permute, _Select, _Slice, _Alias, _UnsqueezeKey, _Diagonal,
             _Transpose1, _T1, _Unsqueeze1, _Squeeze3, _Squeeze4, _Squeeze5, _Unfold):
    _cls.jvp = staticmethod(view_jvp)

# what PyTorch's nodes show as grad_fn._saved_* (positions in what each op saves)
for _cls in (_View, _UnsafeView, _Expand, _Squeeze, _SqueezeDim, _SqueezeDims):
    name_saved(_cls, self_sym_sizes=0)
name_saved(_Unsqueeze, dim=0)
name_saved(_Transpose, dim0=0, dim1=1)
name_saved(_Permute, dims=0)
name_saved(CatBackward0, dim=0)
name_saved(StackBackward0, dim=0)
name_saved(_Reshape, self_sym_sizes=0)
for _cls in (_SqueezeDim, _SqueezeDims, _Squeeze4, _Squeeze5):
    name_saved(_cls, self_sym_sizes=0, dim=1)
name_saved(_Squeeze3, self_sym_sizes=0)
name_saved(_Transpose1, dim0=0, dim1=1)
name_saved(_Unsqueeze1, dim=0)
name_saved(_SumTo, self_sym_sizes=0,
           dim=lambda n: _summed_dims(n._field(0, False), n._field(1, False)),
           keepdim=lambda n: True)
name_saved(_Repeat, self_sym_sizes=0, repeats=1)
name_saved(_Flip, dims=0)
name_saved(_Roll, shifts=0, dims=1)
name_saved(_RollFlat, shifts=lambda n: (n._field(0, False),), dims=lambda n: ())
for _cls in (_Tril, _Triu):
    name_saved(_cls, diagonal=0)
for _cls in (_Diagonal, _DiagCopy):
    name_saved(_cls, self_sym_sizes=0, offset=1, dim1=2, dim2=3)
# diag of a vector is diag_embed(input, offset, -2, -1): the dims of the 2-d output, wrapped
name_saved(_DiagEmbed, offset=0, dim1=lambda n: 0, dim2=lambda n: 1)
name_saved(_Unfold, self_sym_sizes=0, dimension=1, size=2, step=3)
name_saved(_UnfoldBackward, dim=0, size=1, step=2)
name_saved(_Select, self_sym_sizes=0, dim=lambda n: _key_item(n)[0],
           index=lambda n: _key_item(n)[1])
name_saved(_Slice, self_sym_sizes=0, dim=lambda n: _slice_args(n)[0],
           start=lambda n: _slice_args(n)[1], end=lambda n: _slice_args(n)[2],
           step=lambda n: _slice_args(n)[3])
name_saved(_UnsqueezeKey, dim=_key_none_dim)
for _cls in (SplitBackward0, UnsafeSplitBackward0):
    name_saved(_cls, self_sym_sizes=0, dim=1, split_size=3)
for _cls in (SplitWithSizesBackward0, UnsafeSplitWithSizesBackward0):
    name_saved(_cls, self_sym_sizes=0, dim=1, split_sizes=2)
name_saved(UnbindBackward0, dim=1)


# -- constant padding (torch.constant_pad_nd; exported by ops/padding.py, used by conv) --
_ConstantPad = formula_node("ConstantPadNdBackward0",
                            lambda g, pads: _constant_pad(g, tuple(-p for p in pads), 0),
                            jvp=linear(lambda t, pads: _constant_pad(t, pads, 0)))
name_saved(_ConstantPad, pad=0)


def _constant_pad(input, pads, value):
    d = input._data
    n = len(pads) // 2
    shape = list(d.shape)
    src, dst = [slice(None)] * d.ndim, [slice(None)] * d.ndim
    for i in range(n):
        ax = d.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        size = shape[ax] + lo + hi
        if size < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        shape[ax] = size
        src[ax] = slice(max(-lo, 0), d.shape[ax] - max(-hi, 0))
        dst[ax] = slice(max(lo, 0), size - max(hi, 0))
    out = np.full(shape, value if value is not None else 0, d.dtype)
    out[tuple(dst)] = d[tuple(src)]
    return record(out, _ConstantPad, (input,), (tuple(pads),))


def constant_pad_nd(input, pad, value=0):
    """pad(input, pad, 'constant', value) (PyTorch's top-level name)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "constant_pad_nd", "input", 1)
    return _constant_pad(input, tuple(pad), value)
