"""Shape ops and views. A view shares its base's storage and version counter."""

import numpy as np

from .._tensor import Tensor, _make, _wrap_dim
from ..autograd.grad_mode import state as _grad_state
from ._op import formula_node, record

__all__ = [
    "reshape", "squeeze", "unsqueeze", "transpose", "swapaxes", "swapdims", "t", "permute",
]


def as_view(base, out, node_cls, saved):
    """Record a view of ``base``: same storage and version counter, ``_base`` set."""
    t = record(out, node_cls, (base,), saved)
    t._version = base._version
    t._base = base if base._base is None else base._base
    return t


def _shape_arg(shape):
    """view(2, 3) and view((2, 3)) alike."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


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


_View = formula_node("ViewBackward0", lambda g, shape: g.reshape(shape))
_Reshape = formula_node("ReshapeAliasBackward0", lambda g, shape: g.reshape(shape))
_UnsafeView = formula_node("UnsafeViewBackward0", lambda g, shape: g.reshape(shape))


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        return input.to(shape[0])  # view(dtype) is not supported beyond same-size casts
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
        exc.add_note("The tensor is not contiguous (e.g. after transpose or permute); "
                     "call .contiguous() first or use .reshape().")
        raise exc from None
    return as_view(input, out, _View, (d.shape,))


def reshape(input, *shape):
    d = input._data
    shape = _infer_shape(_shape_arg(shape), d.size)
    out = d.view()
    try:
        out.shape = shape
    except AttributeError:
        # a copy, as in PyTorch when strides do not allow a view
        return record(d.reshape(shape), _UnsafeView, (input,), (d.shape,))
    return as_view(input, out, _View, (d.shape,))


def _expand_grad(g, shape):
    from .reduction import sum_to

    return sum_to(g, shape)


_Expand = formula_node("ExpandBackward0", _expand_grad)


def expand(input, *sizes):
    d = input._data
    sizes = _shape_arg(sizes)
    lead = len(sizes) - d.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{[{', '.join(map(str, d.shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
            f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number "
            f"of dimensions in the tensor ({d.ndim})"
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
    return as_view(input, np.broadcast_to(d, shape), _Expand, (d.shape,))


def expand_as(input, other):
    return expand(input, other._data.shape)


_Unsqueeze = formula_node("UnsqueezeBackward0", lambda g, dim: g.squeeze(dim))


def unsqueeze(input, dim):
    d = input._data
    n = d.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    dim %= n
    return as_view(input, np.expand_dims(d, dim), _Unsqueeze, (dim,))


_Squeeze = formula_node("SqueezeBackward0", lambda g, shape: g.reshape(shape))
_SqueezeDim = formula_node("SqueezeBackward1", lambda g, shape: g.reshape(shape))


def squeeze(input, dim=None):
    d = input._data
    if dim is None:
        out = d.reshape(tuple(s for s in d.shape if s != 1))
        return as_view(input, out, _Squeeze, (d.shape,))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = {_wrap_dim(x, d.ndim) for x in dims} if d.ndim else set()
    out = d.reshape(tuple(s for i, s in enumerate(d.shape) if not (i in axes and s == 1)))
    return as_view(input, out, _SqueezeDim, (d.shape,))


_Transpose = formula_node("TransposeBackward0", lambda g, a, b: g.transpose(a, b))


def transpose(input, dim0, dim1):
    d = input._data
    a, b = _wrap_dim(dim0, d.ndim), _wrap_dim(dim1, d.ndim)
    return as_view(input, np.swapaxes(d, a, b) if d.ndim else d.view(), _Transpose, (a, b))


swapaxes = swapdims = transpose
_T = formula_node("TBackward0", lambda g: g.t())


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
    dims = _shape_arg(dims)
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


def inplace_on_view(view, op, args):
    """In-place op on a view of a base that requires grad: PyTorch's CopySlices, simplified.

    The base gets a new history (its old value with the view's region replaced by the result).
    """
    raise RuntimeError(
        "in-place operations on views of tensors that require grad are not supported yet"
    )


TENSOR_METHODS = {
    "view": view, "reshape": reshape, "expand": expand, "expand_as": expand_as,
    "unsqueeze": unsqueeze, "squeeze": squeeze, "transpose": transpose, "swapaxes": transpose,
    "swapdims": transpose, "t": t, "permute": permute,
    "T": property(lambda self: permute(self, tuple(range(self._data.ndim - 1, -1, -1)))),
    "mT": property(lambda self: transpose(self, -2, -1)),
}
