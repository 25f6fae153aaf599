"""Ops written with other ops: no node of their own.

Their gradients (first and higher order), forward-mode tangents and vmap batching are those
of the ops they call, so each is a few lines of PyTorch's definition. The in-place forms run
through ``apply_inplace`` (PyTorch's leaf and dtype checks, version bumps, views). One section
holds small ops on the arrays that PyTorch gives no derivative (counts, searches, windows).
"""

import builtins
import math
import warnings

import numpy as np

from .. import _names
from .._dispatch import state as _dispatch
from .._dtype import float32, float64, from_np, get_default_dtype
from .._tensor import Tensor, _make, _wrap_dim
from ..autograd import forward_ad as _fw
from ..autograd.graph import name_saved

# the ops are called through their modules, at call time: those are the public ops (what
# vmap and the other transforms see), installed by ops/__init__.py after these imports
from . import activation as _activation
from . import complex as _complex_ops
from . import creation, decomposition, elementwise, padding, shape
from ._inplace import apply_inplace
from ._nn_common import as_kernel, kernel_node, kernel_result, kernel_saved
from ._op import broadcast_shapes_error, number_first

__all__ = [
    "row_stack", "column_stack", "dstack", "atleast_3d", "hsplit", "vsplit", "dsplit",
    "tensor_split", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "diagflat",
    "diag_embed", "rot90", "kron", "block_diag", "cartesian_prod", "combinations", "diff",
    "adjoint", "trace", "float_power", "dist", "cov", "corrcoef", "trapezoid", "trapz",
    "cumulative_trapezoid", "addcmul", "addcdiv", "addmv", "addr", "addbmm", "chain_matmul",
    "ldexp", "rsub", "select_scatter", "slice_scatter", "diagonal_scatter", "index_copy",
    "index_fill", "masked_scatter", "is_nonzero", "is_same_size", "is_signed", "is_neg",
    "isreal", "vander", "tril_indices", "triu_indices", "scalar_tensor", "e", "pi", "inf",
    "nan", "newaxis", "detach", "fill", "split_with_sizes", "layout", "strided", "isin",
    "searchsorted", "bucketize", "bincount", "histc", "unique", "unique_consecutive", "gcd",
    "lcm", "frexp", "nextafter", "heaviside", "unravel_index", "hann_window",
    "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "renorm", "cdist",
    "arctan2", "vmap", "empty_strided", "asarray", "frombuffer", "from_dlpack", "quantile",
    "nanquantile", "nonzero_static", "histogram", "triangular_solve", "gradient",
    "frobenius_norm", "nuclear_norm",
]

e, pi, inf, nan, newaxis = math.e, math.pi, math.inf, math.nan, None


def _result(node, args):
    """The kernel's (first) output, as PyTorch's ``_saved_result``."""
    return kernel_result()(node)


def _number(v):
    """A Python number as the 0-d tensor PyTorch's Tensor argument makes of it."""
    return v if isinstance(v, Tensor) else _make(np.asarray(v))


class layout:
    """A tensor's memory layout: ember's tensors are all ``strided`` (dense arrays)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"{_names.prefix}.{self.name}"

    def __reduce__(self):
        return (_strided, ())


def _strided():
    return strided


strided = layout("strided")


# -- stacking and splitting -----------------------------------------------------------------------
def row_stack(tensors):
    return shape.vstack(tensors)


def column_stack(tensors):
    cols = [t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors]
    return shape.cat(cols, 1)


def atleast_3d(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(atleast_3d(t) for t in tensors[0])
    if len(tensors) > 1:
        return tuple(atleast_3d(t) for t in tensors)
    x = tensors[0]
    if x.dim() == 0:
        return x.reshape(1, 1, 1)
    if x.dim() == 1:
        return x.unsqueeze(0).unsqueeze(-1)
    if x.dim() == 2:
        return x.unsqueeze(-1)
    return x


def dstack(tensors):
    return shape.cat(atleast_3d(tuple(tensors)), 2)


def tensor_split(input, indices_or_sections, dim=0):
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dim() > 1 or indices_or_sections.is_floating_point():
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have "
                               "integral dtype and be either a zero dimensional or a one "
                               f"dimensional tensor, but got a tensor with "
                               f"{indices_or_sections.dim()} dims")
        indices_or_sections = indices_or_sections.tolist()
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = dim % input.dim()
    size = input.shape[dim]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            length = q + (1 if i < r else 0)
            bounds.append((start, length))
            start += length
    else:
        bounds, start = [], 0
        for idx in [*indices_or_sections, size]:
            stop = builtins.max(builtins.min(idx, size), start) if idx >= 0 else \
                builtins.max(size + idx, start)
            bounds.append((start, stop - start))
            start = stop
    return tuple(input.narrow(dim, s, n) for s, n in bounds)


def _split_along(name, input, indices_or_sections, dim, need):
    if input.dim() < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, "
                           f"but got a tensor with {input.dim()} dimensions!")
    if isinstance(indices_or_sections, int):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                               f"the size of the dimension {size} is not divisible by the "
                               f"split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    dim = 0 if input.dim() == 1 else 1
    return _split_along("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input, indices_or_sections):
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    return input.split(list(split_sizes), dim)


# -- broadcasting ---------------------------------------------------------------------------------
def broadcast_shapes(*shapes):
    result = []
    for i, dims in enumerate(shapes):
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        for k in range(1, len(dims) + 1):
            d = dims[-k]
            if k > len(result):
                result.insert(0, d)
            elif result[-k] == 1:
                result[-k] = d
            elif d != 1 and d != result[-k]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {d} at "
                                   f"{-k}! Mismatching argument at index {i} had {dims}; but "
                                   f"expected shape should be broadcastable to {result}")
    return _tensor_size(result)


def _tensor_size(shape):
    from .._tensor import Size

    return Size(shape)


def broadcast_to(input, size):
    return input.expand(*size)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:  # pairwise, as PyTorch infers the size (and words its error)
        try:
            shape = np.broadcast_shapes(shape, tuple(t.shape))
        except ValueError:
            raise broadcast_shapes_error(shape, tuple(t.shape)) from None
    return tuple(t.expand(*shape) for t in tensors)


# -- matrices ------------------------------------------------------------------------------
def diagflat(input, offset=0):
    return input.flatten().diag(offset)


_K_diag_embed = kernel_node("DiagEmbedBackward0")  # PyTorch's kernel: one node


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    return as_kernel(_K_diag_embed, (input,), _diag_embed, input, offset, dim1, dim2)


def _diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input.dim() + 1
    d1, d2 = dim1 % nd, dim2 % nd
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1]
    square = input.unsqueeze(-1) * creation.eye(n, dtype=input.dtype)  # input on a diagonal
    k = abs(offset)
    if offset > 0:
        square = padding.pad(square, (k, 0, 0, k))
    elif offset < 0:
        square = padding.pad(square, (0, k, k, 0))
    return _from_last_two(square, d1, d2)


kernel_saved(_K_diag_embed, dim1="dim1", dim2="dim2", offset="offset")


def _from_last_two(x, d1, d2):
    """x with its last two dimensions moved to ``d1`` and ``d2`` (the others keep order)."""
    nd = x.dim()
    others = iter(range(nd - 2))
    order = [nd - 2 if d == d1 else nd - 1 if d == d2 else next(others) for d in range(nd)]
    return x.permute(*order)


_K_rot90 = kernel_node("Rot90Backward0")  # PyTorch's kernel: one node


def rot90(input, k=1, dims=(0, 1)):
    return as_kernel(_K_rot90, (input,), _rot90, input, k, dims)


def _rot90(input, k=1, dims=(0, 1)):
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = dims
    if d0 % input.dim() == d1 % input.dim():
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


kernel_saved(_K_rot90, dims=lambda n, a: tuple(a["dims"]), k="k")


def kron(input, other):
    # PyTorch's steps: each factor viewed with its dims interleaved with 1s (_unsafe_view),
    # one mul, and the product viewed as the result
    nd = builtins.max(input.dim(), other.dim())
    pa, pb = nd - input.dim(), nd - other.dim()
    a_shape, b_shape, out_shape = [], [], []
    for i in range(nd):
        m = input.shape[i - pa] if i >= pa else 1
        n = other.shape[i - pb] if i >= pb else 1
        a_shape += [m, 1]
        b_shape += [1, n]
        out_shape.append(m * n)
    prod = shape.unsafe_view(input, a_shape) * shape.unsafe_view(other, b_shape)
    try:
        if not _dispatch.depth:  # (under vmap, the batched product is not the sample's)
            prod._data.view().shape = out_shape
    except AttributeError:  # PyTorch's _unsafe_view of a product laid out as a strided input
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return shape.unsafe_view(prod, out_shape)


_K_block_diag = kernel_node("BlockDiagBackward0")  # PyTorch's kernel: one node


def block_diag(*tensors):
    return as_kernel(_K_block_diag, tensors, _block_diag, *tensors)


def _block_diag(*tensors):
    blocks = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.dim()} dimensions")
        blocks.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not blocks:
        return creation.zeros(1, 0)
    from .._dtype import result_type

    dt = result_type(*blocks)
    cols = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        w = b.shape[1]
        rows.append(padding.pad(b.to(dt), (left, cols - left - w)))
        left += w
    return shape.cat(rows, 0)


def cartesian_prod(*tensors):
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    sizes = [t.shape[0] for t in tensors]
    cols = []
    for i, t in enumerate(tensors):
        dims = [1] * len(tensors)
        dims[i] = sizes[i]
        cols.append(t.reshape(dims).expand(*sizes).reshape(-1))
    return shape.stack(cols, 1)


def combinations(input, r=2, with_replacement=False):
    # PyTorch's steps: a meshgrid of r copies, each masked to the index tuples i < j < ...
    # (i <= j <= ... with replacement) by masked_select, stacked as columns
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return creation.empty(0, dtype=input.dtype)
    n = input.shape[0]
    grids = shape.meshgrid([input] * r, indexing="ij")
    idx = np.indices((n,) * r)
    mask = np.ones((n,) * r, dtype=np.bool_)
    for i in range(r - 1):
        mask &= idx[i] <= idx[i + 1] if with_replacement else idx[i] < idx[i + 1]
    mask = _make(mask)
    return shape.stack([g.masked_select(mask) for g in grids], 1)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [p if p.dim() else p.expand(*_with(input.shape, dim, 1))
             for p in (prepend, input, append) if p is not None]
    x = shape.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        if x.dtype is from_np[np.dtype(np.bool_)]:
            x = x.narrow(dim, 1, length - 1).logical_xor(x.narrow(dim, 0, length - 1))
        else:
            x = x.narrow(dim, 1, length - 1) - x.narrow(dim, 0, length - 1)
    return x


def _with(shape, dim, size):
    shape = list(shape)
    shape[dim] = size
    return shape


def adjoint(input):
    if input.dim() < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           "matrices. Got 1-D tensor." if input.dim() == 1 else
                           "tensor.adjoint() is only supported on matrices or batches of "
                           "matrices. Got 0-D tensor.")
    out = input.transpose(-2, -1)
    return out.conj() if input.is_complex() else out


def _mH(self):
    return adjoint(self)


def _H(self):
    if self.dim() > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.dim()}-D tensor.")
    return adjoint(self) if self.dim() == 2 else self.conj() if self.is_complex() else self


_K_trace = kernel_node("TraceBackward0")  # PyTorch's kernel: one node


def trace(input):
    return as_kernel(_K_trace, (input,), _trace, input)


def _trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return input.diagonal().sum()


name_saved(_K_trace, self_sym_sizes=lambda n: n._meta[0][0])


# -- arithmetic ------------------------------------------------------------------------------------
def _wide(x):
    if isinstance(x, Tensor):
        return x.to(from_np[np.dtype(np.complex128)] if x.is_complex() else float64)
    return x


def float_power(input, exponent):
    if not isinstance(input, Tensor):
        return creation.tensor(input, dtype=float64).pow(_wide(exponent))
    return _wide(input).pow(_wide(exponent))


_K_dist = kernel_node("DistBackward0")  # PyTorch's kernel: one node


def dist(input, other, p=2):
    return as_kernel(_K_dist, (input, other), _dist, input, other, p)


def _dist(input, other, p=2):
    return (input - other).norm(p)


kernel_saved(_K_dist, other="other", p="p", result=_result, self="input")


def _long(n):
    return _make(np.array(n, dtype=np.int64))


def _is_integral(t):
    return t._data.dtype.kind in "iu"


def cov(input, *, correction=1, fweights=None, aweights=None):
    # PyTorch's steps (Correlation.cpp): the weighted mean by sum and div, the deviations by
    # sub, their products by one mm with the transposed deviations, divided by the
    # normalisation (a 0-dim tensor), and a squeeze
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if input.dtype is _BOOL:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if input.dim() < 2 else input
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
        if w.dim() > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but got "
                               f"fweights with {w.dim()} dimensions")
        if not _is_integral(w):
            raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights "
                               f"with {from_np[w._data.dtype].cpp} dtype")
        if w.numel() != n_obs:
            raise RuntimeError("cov(): expected fweights to have the same numel as there are "
                               f"observations in the input but got {w.numel()} != {n_obs}")
        if n_obs and w._data.min() < 0:
            raise RuntimeError("cov(): fweights cannot be negative")
    if aweights is not None:
        aw = aweights
        if aw.dim() > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but got "
                               f"aweights with {aw.dim()} dimensions")
        if not aw.is_floating_point():
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {from_np[aw._data.dtype].cpp} dtype")
        if aw.numel() != n_obs:
            raise RuntimeError("cov(): expected aweights to have the same numel as there are "
                               f"observations in the input but got {aw.numel()} != {n_obs}")
        if n_obs and aw._data.min() < 0:
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aw if w is None else w * aw
    w_sum = _long(n_obs) if w is None else w.sum()
    if w is not None and not w_sum._data != 0:
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is None:
        norm = _long(n_obs - correction)
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    elif fweights is None and n_obs == 1 and correction == 1:
        norm = _long(0)
    else:
        norm = w_sum - _smul((w * aweights).sum(), correction) / w_sum
    if norm._data <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm.zero_()
    if n_obs == 1 and (fweights is None) != (aweights is None):
        x.zero_()  # as PyTorch: the one observation is its own weighted mean
        if _is_integral(x):
            x = x.to(float32)
    else:
        x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t().conj())
    if c.is_complex() and 1 in (x.shape[0], x.shape[1]):
        re = c.real
        c = _complex(re, creation.zeros_like(re))
    return c.true_divide(norm).squeeze()


def corrcoef(input):
    if input.dim() > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c  # nan for a variance of 0, inf or nan; 1 otherwise
    d = c.diagonal()
    std = (d.real if d.is_complex() else d).sqrt()
    c = c / std.view(-1, 1)
    c = c / std.view(1, -1)
    if c.is_complex():
        return _complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)


def _complex(re, im):
    return _complex_ops.complex(re, im)


# PyTorch's steps (Integration.cpp): with sample points x, the spacings are a sub of two slices
# of x (viewed to y's rank), and ((left + right) * dx).sum(dim) / 2; with a constant spacing,
# (y.sum(dim) - (first + last) * 0.5) * dx; the cumulative forms use cumsum
_BOOL = from_np[np.dtype(np.bool_)]


def _slices(t, dim):
    return shape.slice_dim(t, dim, 0, -1), shape.slice_dim(t, dim, 1)


def _spacings(y, x, dim, name):
    if y.dtype is _BOOL or x.dtype is _BOOL:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        sizes = [1] * y.dim()
        sizes[dim] = x.shape[0]
        x = x.view(sizes)
    elif x.dim() < y.dim():
        x = x.view([1] * (y.dim() - x.dim()) + list(x.shape))
    left, right = _slices(x, dim)
    return right - left


def _check_dx(y, dx, name):
    if y.dtype is _BOOL:  # (the dtype, not the array: vmap batches y)
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if isinstance(dx, (bool, complex, np.bool_, np.complexfloating)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return float(dx)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    if x is not None:
        dim = _wrap_dim(dim, y.dim())
        if y.shape[dim] == 0:
            return creation.zeros(_without(y.shape, dim), dtype=y.dtype)
        d = _spacings(y, x, dim, "trapezoid")
        left, right = _slices(y, dim)
        return _sdiv(((left + right) * d).sum(dim), 2.0)
    if y.shape[dim] == 0:
        return creation.zeros(_without(y.shape, _wrap_dim(dim, y.dim())), dtype=y.dtype)
    dx = _check_dx(y, 1 if dx is None else dx, "trapezoid")
    return _smul(y.sum(dim) - _smul(y.select(dim, 0) + y.select(dim, -1), 0.5), dx)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    if x is not None:
        dim = _wrap_dim(dim, y.dim())
        d = _spacings(y, x, dim, "cumulative_trapezoid")
        left, right = _slices(y, dim)
        return _sdiv(((left + right) * d).cumsum(dim), 2.0)
    dx = _check_dx(y, 1 if dx is None else dx, "cumulative_trapezoid")
    left, right = _slices(y, _wrap_dim(dim, y.dim()))
    return _smul(left + right, dx / 2.0).cumsum(dim)


def _smul(t, s):
    """t * s for a number s, as PyTorch's C++ records it (MulBackward1, the Scalar overload)."""
    return t * s if _dispatch.depth else elementwise.mul_scalar(t, s)  # (vmap: the operator)


def _sdiv(t, s):
    return t / s if _dispatch.depth else elementwise.div_scalar(t, s)


def _without(sizes, dim):
    return tuple(n for i, n in enumerate(sizes) if i != dim)


def _scaled(beta, input, alpha, product):
    out = product if alpha == 1 else product * alpha
    if beta == 0:  # PyTorch ignores input's values then (nan and inf do not propagate)
        never = _make(np.zeros(tuple(input.shape), dtype=np.bool_))
        return out + input.where(never, 0)  # input still gets its (zero) gradient
    return out + (input if beta == 1 else input * beta)


_K_addcmul = kernel_node("AddcmulBackward0")  # PyTorch's kernel: one node


def addcmul(input, tensor1, tensor2, *, value=1):
    return as_kernel(_K_addcmul, (input, tensor1, tensor2), _addcmul, input, tensor1, tensor2,
                     value=value)


def _addcmul(input, tensor1, tensor2, *, value=1):
    # PyTorch's order, (value * tensor1) * tensor2, rounded as its kernel rounds where ember can
    out = input + (value * tensor1) * tensor2 if value != 1 else input + tensor1 * tensor2
    fused = _fused_addcmul(input, tensor1, tensor2, value)
    if fused is not None:
        out._data[...] = fused  # the same graph (nothing in it reads the sum's value)
    return out


def _fused_addcmul(input, tensor1, tensor2, value):
    """PyTorch's addcmul kernel computes input + (value * tensor1) * tensor2 with one fused
    multiply-add in float32 (float16 and bfloat16 in float32 too, rounded back): the product
    of two float32 numbers is exact in float64, so the sum is rounded once from there. None
    where ember cannot round it so (float64: no wider type; mixed dtypes; vmap's tensors)."""
    ops = _low_operands(input, tensor1, tensor2, value, np.dtype(np.float32))
    if ops is None:
        return None
    a, t1, t2 = ops
    scaled = t1 if value == 1 else np.float32(value) * t1
    return (scaled.astype(np.float64) * t2 + a).astype(np.float32).astype(
        input._data.dtype, copy=False)


def _low_operands(input, tensor1, tensor2, value, also=None):
    """The three arrays as float32 when they share a dtype PyTorch's kernel computes in float32
    (float16, bfloat16, and ``also``); None otherwise, or under vmap, or for a value that is
    not a real number."""
    if _dispatch.depth or value.__class__ not in (int, float, bool):
        return None
    if not (isinstance(input, Tensor) and isinstance(tensor1, Tensor)
            and isinstance(tensor2, Tensor)):
        return None
    dt = input._data.dtype
    if tensor1._data.dtype != dt or tensor2._data.dtype != dt or not (
            dt.char in "eE" or also is not None and dt == also):  # (dtype == None: float64)
        return None
    return tuple(t._data.astype(np.float32, copy=False) for t in (input, tensor1, tensor2))


kernel_saved(_K_addcmul, needed={"tensor1": 2, "tensor2": 1}, tensor1="tensor1",
              tensor2="tensor2", value="value")


_K_addcdiv = kernel_node("AddcdivBackward0")  # PyTorch's kernel: one node


def addcdiv(input, tensor1, tensor2, *, value=1):
    return as_kernel(_K_addcdiv, (input, tensor1, tensor2), _addcdiv, input, tensor1, tensor2,
                     value=value)


def _addcdiv(input, tensor1, tensor2, *, value=1):
    if not tensor1.is_floating_point() and not tensor1.is_complex() and \
            not tensor2.is_floating_point() and not tensor2.is_complex():
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future  release addcdiv will perform a true division of tensor1 "
                           "and tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all "
                           "dtypes.")
    # PyTorch's order: (value * tensor1) / tensor2
    out = input + (value * tensor1) / tensor2 if value != 1 else input + tensor1 / tensor2
    low = _low_operands(input, tensor1, tensor2, value)
    if low is not None:  # float16/bfloat16: PyTorch's kernel computes in float32, rounds once
        a, t1, t2 = low
        out._data[...] = (a + (t1 if value == 1 else np.float32(value) * t1) / t2).astype(
            out._data.dtype)
    return out


kernel_saved(_K_addcdiv, needed={"tensor1": 2}, tensor1="tensor1",
              tensor2="tensor2", value="value")


_K_addmv = kernel_node("AddmvBackward0")  # PyTorch's kernel: one node


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return as_kernel(_K_addmv, (input, mat, vec), _addmv, input, mat, vec, beta=beta, alpha=alpha)


def _addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled(beta, input, alpha, mat.mv(vec))


kernel_saved(_K_addmv, needed={"mat": 2, "vec": 1}, alpha="alpha", beta="beta",
              mat="mat", vec="vec")


_K_addr = kernel_node("AddrBackward0")  # PyTorch's kernel: one node


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    return as_kernel(_K_addr, (input, vec1, vec2), _addr, input, vec1, vec2, beta=beta, alpha=alpha)


def _addr(input, vec1, vec2, *, beta=1, alpha=1):
    return _scaled(beta, input, alpha, vec1.outer(vec2))


kernel_saved(_K_addr, needed={"vec1": 2, "vec2": 1}, alpha="alpha", beta="beta",
              vec1="vec1", vec2="vec2")


_K_addbmm = kernel_node("AddbmmBackward0")  # PyTorch's kernel: one node


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return as_kernel(_K_addbmm, (input, batch1, batch2), _addbmm, input, batch1, batch2,
                     beta=beta, alpha=alpha)


def _addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled(beta, input, alpha, batch1.bmm(batch2).sum(0))


kernel_saved(_K_addbmm, needed={"batch1": 2, "batch2": 1}, alpha="alpha",
              beta="beta", batch1="batch1", batch2="batch2",
              batch1_sym_argsize_0=lambda n, a: a["batch1"].shape[0],
              batch1_sym_argsize_1=lambda n, a: a["batch1"].shape[1],
              batch2_sym_argsize_2=lambda n, a: a["batch2"].shape[2])


def chain_matmul(*matrices):
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return matrices[0].clone()
    return decomposition.linalg_multi_dot(matrices)  # PyTorch's steps: multi_dot's


_K_ldexp = kernel_node("LdexpBackward0")  # PyTorch's kernel: one node


def ldexp(input, other):
    return as_kernel(_K_ldexp, (input, other if isinstance(other, Tensor) else None), _ldexp,
                     input, other)


def _ldexp(input, other):
    return input * 2.0 ** other if isinstance(other, Tensor) else input * (2.0 ** other)


kernel_saved(_K_ldexp, other=lambda n, a: _number(a["other"]), result=_result)


def rsub(input, other, *, alpha=1):
    """other - alpha * input: one RsubBackward0 node (RsubBackward1 for a number other)."""
    if isinstance(other, Tensor):
        return as_kernel(_K_rsub, (input, other), _rsub, input, other, alpha)
    if alpha == 1:
        return other - input
    return as_kernel(_K_rsub_scalar, (input,), _rsub, input, other, alpha)


def _rsub(input, other, alpha):
    if isinstance(other, Tensor):
        return other.sub(input, alpha=alpha)
    return (input * -alpha) + other


_K_rsub = kernel_node("RsubBackward0")
_K_rsub_scalar = kernel_node("RsubBackward1")
kernel_saved(_K_rsub, alpha="alpha")
kernel_saved(_K_rsub_scalar, alpha="alpha")


# -- scatters into copies (out of place: a mask and ``where``, so vmap and jvp see plain ops) ----
def _along(dim, nd, values, dtype=np.bool_):
    """A tensor with ``values`` along dimension ``dim`` of ``nd`` (broadcastable elsewhere)."""
    shape = [1] * nd
    shape[dim] = len(values)
    return _make(np.asarray(values, dtype=dtype).reshape(shape))


_K_select_scatter = kernel_node("SelectScatterBackward0")  # PyTorch's kernel: one node


def select_scatter(input, src, dim, index):
    return as_kernel(_K_select_scatter, (input, src), _select_scatter, input, src, dim, index)


def _select_scatter(input, src, dim, index):
    nd = input.dim()
    dim %= nd
    size = input.shape[dim]
    index = index % size if -size <= index < size else index
    if not 0 <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    mask = _along(dim, nd, [i == index for i in range(size)])
    return src.unsqueeze(dim).expand(*input.shape).where(mask, input)


kernel_saved(_K_select_scatter, dim="dim", index="index")


_K_slice_scatter = kernel_node("SliceScatterBackward0")  # PyTorch's kernel: one node


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    return as_kernel(_K_slice_scatter, (input, src), _slice_scatter, input, src, dim, start, end,
                     step)


def _slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    nd = input.dim()
    dim %= nd
    size = input.shape[dim]
    picked = list(range(size))[slice(start, end, step)]
    where_from = [0] * size
    for j, p in enumerate(picked):
        where_from[p] = j
    mask = _along(dim, nd, [i in set(picked) for i in range(size)])
    spread = src.index_select(dim, creation.tensor(np.asarray(where_from, dtype=np.int64))) \
        if picked else input
    return spread.where(mask, input)


kernel_saved(_K_slice_scatter, dim="dim", end="end", start="start",
              step="step")


def _diagonal_placement(n_rows, n_cols, offset):
    """(length, P): P[k, i, j] = 1 where the k-th element of diagonal ``offset`` sits."""
    r0, c0 = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(builtins.min(n_rows - r0, n_cols - c0), 0)
    p = np.zeros((length, n_rows, n_cols))
    k = np.arange(length)
    p[k, k + r0, k + c0] = 1
    return length, p


_K_diagonal_scatter = kernel_node("DiagonalScatterBackward0")  # PyTorch's kernel: one node


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return as_kernel(_K_diagonal_scatter, (input, src), _diagonal_scatter, input, src, offset,
                     dim1, dim2)


def _diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    nd = input.dim()
    d1, d2 = dim1 % nd, dim2 % nd
    rest = [d for d in range(nd) if d not in (d1, d2)]
    moved = input.permute(*rest, d1, d2)
    length, p = _diagonal_placement(moved.shape[-2], moved.shape[-1], offset)
    placement = creation.tensor(p, dtype=input.dtype if input.is_floating_point() else float64)
    placed = (src.unsqueeze(-1).unsqueeze(-1) * placement).sum(-3)
    mask = _make(p.sum(0) > 0)
    out = placed.to(input.dtype).where(mask, moved)
    return _from_last_two(out, d1, d2)


kernel_saved(_K_diagonal_scatter, dim1="dim1", dim2="dim2",
              offset="offset")


_K_index_copy = kernel_node("IndexCopyBackward0")  # PyTorch's kernel: one node


def index_copy(input, dim, index, source):
    return as_kernel(_K_index_copy, (input, source), _index_copy, input, dim, index, source)


def _index_copy(input, dim, index, source):
    out = input.clone()
    idx = [slice(None)] * input.dim()
    idx[dim] = index
    if input.dim() == 0:
        return source.clone().reshape(())
    out[tuple(idx)] = source
    return out


kernel_saved(_K_index_copy, needed={"source": 1}, dim="dim", index="index",
              source="source", source_dim=lambda n, a: a["source"].dim())


_K_index_fill = kernel_node("IndexFillBackward0")  # PyTorch's kernel: one node
_K_index_fill_tensor = kernel_node("IndexFillBackward1")  # (the Tensor value's overload)


def index_fill(input, dim, index, value):
    if isinstance(value, Tensor):
        return as_kernel(_K_index_fill_tensor, (input, value), _index_fill, input, dim, index,
                         value)
    return as_kernel(_K_index_fill, (input,), _index_fill, input, dim, index, value)


def _index_fill(input, dim, index, value):
    out = input.clone()
    idx = [slice(None)] * input.dim()
    if isinstance(value, Tensor) and input.dim():
        # each place once: the value's gradient sums a repeated index's slice once (PyTorch's)
        n, a = input.shape[dim], index._data.reshape(-1)
        if a.size and -n <= a.min() and a.max() < n:
            index = _make(np.unique(a % n))
    idx[dim] = index
    if input.dim() == 0:
        idx = []
    out[tuple(idx) if idx else ...] = value
    return out


kernel_saved(_K_index_fill, dim="dim", index="index")
kernel_saved(_K_index_fill_tensor, dim="dim", index="index")


_K_masked_scatter = kernel_node("MaskedScatterBackward0")  # PyTorch's kernel: one node


def masked_scatter(input, mask, source):
    return as_kernel(_K_masked_scatter, (input, source), _masked_scatter, input, mask, source)


def _masked_scatter(input, mask, source):
    shape = np.broadcast_shapes(tuple(mask.shape), tuple(input.shape))
    flat = np.broadcast_to(mask._data, shape).reshape(-1)
    n = int(flat.sum())
    if source.numel() < n:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements "
                           "as ones in mask")
    order = np.maximum(np.cumsum(flat) - 1, 0).astype(np.int64)  # the source element per place
    spread = source.reshape(-1).index_select(0, creation.tensor(order)).reshape(shape)
    return spread.where(_make(np.broadcast_to(mask._data, shape).copy()), input)


kernel_saved(_K_masked_scatter, mask="mask",
              source_sym_sizes=lambda n, a: tuple(a["source"].shape))


# -- predicates and small factories ----------------------------------------------------------------
def is_nonzero(input):
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    return input._data.dtype.kind in "ifc" or from_np[input._data.dtype].is_floating_point


def is_neg(input):
    return False  # ember never keeps a lazy negation bit: every negation is computed


def isreal(input):
    if input.is_complex():
        return input.imag == 0
    return _make(np.ones(tuple(input.shape), dtype=np.bool_))


def vander(x, N=None, increasing=False):
    # PyTorch's steps: ones, the columns after the first set to x (a copy into a slice) and
    # then to their cumprod (a second copy into the same slice), flipped unless increasing
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = from_np[np.promote_types(x.dtype.np, np.int64)] if x.dtype is not _BOOL \
        else from_np[np.dtype(np.int64)]
    result = creation.empty(x.shape[0], n, dtype=dt)
    if _dispatch.depth and n > 1:  # under vmap: the same columns without writing into result
        powers = x.unsqueeze(1).expand(x.shape[0], n - 1).to(dt).cumprod(1)
        result = shape.cat([creation.ones(x.shape[0], 1, dtype=dt), powers], 1)
    elif n > 0:
        result.fill_(1)
        if n > 1:
            shape.slice_dim(result, 1, 1).copy_(x.unsqueeze(1))
            shape.slice_dim(result, 1, 1).copy_(shape.slice_dim(result, 1, 1).cumprod(1))
    return result if increasing else result.flip(1)


def _tri_indices(row, col, offset, dtype, upper):
    r, c = np.triu_indices(row, offset, col) if upper else np.tril_indices(row, offset, col)
    dt = np.dtype(np.int64) if dtype is None else dtype.np
    return _make(np.stack([r, c]).astype(dt).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(row, col, offset, dtype, False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(row, col, offset, dtype, True)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None,
                  requires_grad=False):
    return creation.tensor(s, dtype=dtype or get_default_dtype(), requires_grad=requires_grad)


def detach(input):
    return input.detach()


def fill(input, value):
    return input.clone().fill_(value)


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    if not isinstance(q, Tensor) and not 0 <= float(q) <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {float(q):g}")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if isinstance(q, Tensor) and q.dim() > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if input._data.dtype.char not in "fd":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qv = q._data.astype(np.float64).reshape(-1)
        if not ((qv >= 0) & (qv <= 1)).all():
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        qv = np.array([float(q)])
    if dim is not None:
        _wrap_dim(dim, input.dim())  # PyTorch's IndexError for a dim out of range
    # PyTorch's algorithm, op for op (its graph): the values sorted along the last dim and
    # viewed as (*rest, n), the ranks of the quantiles gathered (and lerped), the q dim
    # moved to the front in place and the last dim squeezed off in place
    nd = input.dim()
    if dim is None:
        ax = None
        s = input.flatten().sort(-1)[0]
        rest = [1] * nd if keepdim else []
    else:
        ax = dim % builtins.max(nd, 1)
        s = (input if nd and ax == nd - 1 else input.unsqueeze(-1).transpose(ax, -1)).sort(-1)[0]
        rest = list(input.shape)
        if rest:
            if keepdim:
                rest[ax] = 1
            else:
                del rest[ax]
    n = s.shape[-1]
    s = s.view(rest + [n])
    sd = s._data
    qd = qv.astype(sd.dtype)
    if ignore_nan:
        count = (~np.isnan(sd)).sum(-1, keepdims=True)
        ranks = qd * (count - 1).astype(sd.dtype)
        ranks[np.broadcast_to(count == 0, ranks.shape)] = n - 1
    else:
        ranks = np.broadcast_to(qd * sd.dtype.type(n - 1), tuple(rest) + (len(qd),)).copy()
        ranks[np.broadcast_to(np.isnan(sd).any(-1, keepdims=True), ranks.shape)] = n - 1
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.rint(ranks)
    below = ranks.astype(np.int64)
    out = s.gather(-1, creation.tensor(below))
    if interpolation in ("linear", "midpoint"):
        weights = np.full_like(ranks, 0.5) if interpolation == "midpoint" else \
            ranks - below.astype(ranks.dtype)
        above = s.gather(-1, creation.tensor(np.ceil(ranks).astype(np.int64)))
        out.lerp_(above, _make(weights))
    if isinstance(q, Tensor) and q.dim() == 1:
        out.unsqueeze_(0).transpose_(0, -1)
    return out.squeeze_(-1)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# -- ops on the arrays, without gradients (counts, searches, integer maths, windows) ------------
# PyTorch gives these no derivative; their results here do not require grad.
def _int64(a):
    return _make(np.asarray(a, dtype=np.int64))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _make(np.asarray(np.isin(a, b, invert=invert)))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    how = "right" if right else "left"
    if seq.ndim == 1:
        res = np.searchsorted(seq, vals, side=how)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               "tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
        flat_s = seq.reshape(-1, seq.shape[-1])
        flat_v = vals.reshape(-1, vals.shape[-1])
        res = np.stack([np.searchsorted(a, v, side=how) for a, v in zip(flat_s, flat_v)])
        res = res.reshape(vals.shape)
    return _make(np.asarray(res, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input, weights=None, minlength=0):
    if input.dim() != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    a = input._data
    if a.dtype.kind not in "iub":
        raise RuntimeError(f"\"bincount_cpu\" not implemented for '{input.dtype.word}'")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _int64(np.bincount(a, minlength=minlength))
    w = weights._data
    dt = np.float32 if w.dtype == np.float32 else np.float64
    return _make(np.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(dt))


def histc(input, bins=100, min=0, max=0):
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{input.dtype.word}'")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    counts, _ = np.histogram(a[(a >= lo) & (a <= hi)], bins=bins, range=(lo, hi))
    return _make(counts.astype(a.dtype))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    a = input._data
    if dim is None:
        vals, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        dim %= a.ndim
        vals, inverse, counts = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
    out = [_make(vals)]
    if return_inverse:
        out.append(_int64(inverse))
    if return_counts:
        out.append(_int64(counts))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        starts = np.ones(flat.shape[0], dtype=bool)
        starts[1:] = flat[1:] != flat[:-1]
        vals = flat[starts]
    else:
        dim %= a.ndim
        moved = np.moveaxis(a, dim, 0).reshape(a.shape[dim], -1)
        starts = np.ones(moved.shape[0], dtype=bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        vals = np.take(a, np.flatnonzero(starts), axis=dim)
    group = np.cumsum(starts) - 1
    out = [_make(np.ascontiguousarray(vals))]
    if return_inverse:
        out.append(_int64(group.reshape(a.shape) if dim is None else group))
    if return_counts:
        out.append(_int64(np.diff(np.append(np.flatnonzero(starts), starts.shape[0]))))
    return out[0] if len(out) == 1 else tuple(out)


def _integer_op(name, fn):
    def op(input, other):
        a = input._data
        b = other._data if isinstance(other, Tensor) else np.asarray(other)
        for x, t in ((a, input), (b, other)):
            if x.dtype.kind not in "iub":
                word = t.dtype.word if isinstance(t, Tensor) else "Float"
                raise RuntimeError(f"\"{name}_cpu\" not implemented for '{word}'")
        return _make(np.asarray(fn(a, b)).astype(np.result_type(a, b)))

    op.__name__ = name
    return op


gcd = _integer_op("gcd", np.gcd)
lcm = _integer_op("lcm", np.lcm)


def frexp(input):
    from .reduction import return_type

    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(input._data)
    return return_type("frexp", ("mantissa", "exponent"))(
        (_make(m.astype(input._data.dtype)), _make(e.astype(np.int32))))


def nextafter(input, other):
    return _make(np.nextafter(input._data, other._data))


def heaviside(input, values):
    a, v = input._data, values._data
    if a.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    return _make(np.where(a == 0, v, (a > 0).astype(a.dtype)).astype(a.dtype))


def unravel_index(indices, shape):
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got "
                        f"{indices.dtype if isinstance(indices, Tensor) else idx.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = int(np.prod(shape)) if shape else 1
    if idx.size and (idx.min() < -total or idx.max() >= total):
        raise RuntimeError("index out of bounds for the given shape")
    return tuple(_int64(c) for c in np.unravel_index(idx % total, shape))


def _window(name, n, periodic, dtype, fn):
    dt = (dtype or get_default_dtype())
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={n}")
    if n == 0:
        return _make(np.zeros(0, dtype=dt.np))
    if n == 1:
        return _make(np.ones(1, dtype=dt.np))
    m = n + 1 if periodic else n
    k = np.arange(n, dtype=np.float64)
    return _make(fn(k, m).astype(dt.np))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype,
                   lambda k, m: 0.5 - 0.5 * np.cos(2 * math.pi * k / (m - 1)))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype,
                   lambda k, m: alpha - beta * np.cos(2 * math.pi * k / (m - 1)))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype,
                   lambda k, m: 0.42 - 0.5 * np.cos(2 * math.pi * k / (m - 1))
                   + 0.08 * np.cos(4 * math.pi * k / (m - 1)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype,
                   lambda k, m: 1 - np.abs(2 * k / (m - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    return _window("kaiser_window", window_length, periodic, dtype,
                   lambda k, m: np.i0(beta * np.sqrt(np.clip(
                       1 - ((k - (m - 1) / 2) / ((m - 1) / 2)) ** 2, 0, None))) / np.i0(beta))


# -- more written with other ops ------------------------------------------------------------------
def renorm(input, p, dim, maxnorm):
    """Each slice along dim rescaled to norm maxnorm where its p-norm exceeds it: one
    RenormBackward0 node, as PyTorch's kernel."""
    return as_kernel(_K_renorm, (input,), _renorm, input, p, dim, maxnorm)


_K_renorm = kernel_node("RenormBackward0")  # PyTorch's kernel: one node
_K_triangular_solve = kernel_node("TriangularSolveBackward0", 2)


def _renorm(input, p, dim, maxnorm):
    dims = [d for d in range(input.dim()) if d != dim % input.dim()]
    norms = input.norm(p, dim=dims, keepdim=True)
    scale = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, 1.0)
    return input * scale


kernel_saved(_K_renorm, dim="dim", maxnorm="maxnorm", p="p", self="input")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if _fw.state.active and (_fw.tangent_of(x1) is not None or _fw.tangent_of(x2) is not None):
        raise NotImplementedError(
            "Trying to use forward AD with _cdist_forward that does not support it because it "
            "has not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so "
            "that we can prioritize its implementation or submit a PR adding the "
            "implementation to derivatives.yaml")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)


def arctan2(input, other):
    return input.atan2(other)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``torch.vmap``: ``torch.func.vmap``."""
    import importlib

    return importlib.import_module("ember.func").vmap(func, in_dims, out_dims, randomness,
                                                      chunk_size=chunk_size)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    size = tuple(size)
    expected, acc = [], 1
    for n in reversed(size):
        expected.insert(0, acc)
        acc *= builtins.max(n, 1)
    if tuple(stride) != tuple(expected):
        raise NotImplementedError(f"empty_strided: ember makes contiguous tensors only (the "
                                  f"strides of size {list(size)} are {expected}, not "
                                  f"{list(stride)})")
    return creation.empty(size, dtype=dtype, requires_grad=requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    if isinstance(obj, Tensor):
        out = obj if dtype is None or dtype is obj.dtype else obj.to(dtype)
        if copy and out is obj:
            out = obj.clone()
        return out.requires_grad_(True) if requires_grad and not out.requires_grad else out
    if copy is False:
        arr = np.asarray(obj)
        if dtype is not None and arr.dtype != dtype.np:
            raise ValueError("can't alias to a tensor of a different dtype without copying")
        t = _make(arr)
    else:
        t = creation.as_tensor(obj, dtype=dtype) if copy is None else \
            creation.tensor(obj, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    arr = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_dlpack(ext_tensor):
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    return _make(np.from_dlpack(ext_tensor))


def _storage_offset(self):
    base = self
    while base._base is not None:
        base = base._base
    if base is self:
        return 0
    start = self._data.__array_interface__["data"][0]
    origin = base._data.__array_interface__["data"][0]
    return (start - origin) // self._data.itemsize


def _new(self, *args, **kwargs):
    from .legacy import legacy_new

    return legacy_new(self.dtype, args, kwargs)


def _new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                       requires_grad=False, pin_memory=False):
    return empty_strided(size, stride, dtype=dtype or self.dtype, requires_grad=requires_grad)


def nonzero_static(input, *, size, fill_value=-1):
    found = np.argwhere(input._data)
    out = np.full((size, input._data.ndim), fill_value, dtype=np.int64)
    n = builtins.min(size, found.shape[0])
    out[:n] = found[:n]
    return _make(out)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    from .indexing import not_implemented
    from .reduction import return_type

    a = input._data
    edges = bins._data if isinstance(bins, Tensor) else bins
    w = None if weight is None else weight._data
    hist, e = np.histogram(a, bins=edges, range=range, weights=w, density=density)
    # no derivative in PyTorch: an input that requires grad gives NotImplemented nodes
    inputs = (input, bins, weight)
    return return_type("histogram", ("hist", "bin_edges"))(
        (not_implemented(_make(hist.astype(a.dtype)), "histogram", inputs),
         not_implemented(_make(np.asarray(e, dtype=a.dtype)), "histogram", inputs)))


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    import warnings

    from .reduction import return_type

    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangularand will be removed in a future PyTorch "
                  "release.\ntorch.linalg.solve_triangular has its arguments reversed and does "
                  "not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
                  "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, "
                  "B).", UserWarning, stacklevel=2)
    return return_type("triangular_solve", ("solution", "cloned_coefficient"))(
        as_kernel(_K_triangular_solve, (input, A), _triangular_solve, input, A, upper,
                  transpose, unitriangular))


def _triangular_solve(input, A, upper, transpose, unitriangular):
    coef = A.transpose(-2, -1) if transpose else A
    solution = decomposition.linalg_solve_triangular(
        coef, input, upper=upper != transpose, unitriangular=unitriangular)
    return solution, A.clone()


kernel_saved(_K_triangular_solve, A="A", self="input", solution=_result,
              transpose="transpose", unitriangular="unitriangular", upper="upper")


def _gradient_1d(f, dim, h, edge_order):
    n = f.shape[dim]

    def at(start, length=1):
        return f.narrow(dim, start, length)

    if isinstance(h, Tensor):  # coordinates: numpy's second-order interior formula
        x = h  # its differences in its own dtype, as PyTorch computes them
        along = [1] * f.dim()
        along[dim] = n - 2
        hl = (x[1:-1] - x[:-2]).reshape(along)
        hr = (x[2:] - x[1:-1]).reshape(along)
        a = -hr / (hl * (hl + hr))  # the coefficients in the coordinates' dtype
        b = (hr - hl) / (hl * hr)
        c = hl / (hr * (hl + hr))
        inner = a * at(0, n - 2) + b * at(1, n - 2) + c * at(2, n - 2)
        first = (at(1) - at(0)) / (x[1] - x[0])
        last = (at(n - 1) - at(n - 2)) / (x[n - 1] - x[n - 2])
    else:  # PyTorch's steps: its slices (aten::slice), Scalar arithmetic (MulBackward1 and
        # DivBackward1 nodes) and the central difference divided by the spacing, then by 2
        mul, div = elementwise.mul_scalar, elementwise.div_scalar

        def part(start, end=None):
            return shape.slice_dim(f, dim, start, end)

        inner = div(div(part(2) - part(0, -2), h), 2)
        if edge_order == 1:
            first = div(part(1, 2) - part(0, 1), h)
            last = div(part(-1) - part(-2, -1), h)
        else:
            first = div(mul(part(0, 1), -1.5) + mul(part(1, 2), 2) - mul(part(2, 3), 0.5), h)
            last = div(mul(part(-3, -2), 0.5) - mul(part(-2, -1), 2) + mul(part(-1), 1.5), h)
    return shape.cat([first, inner, last], dim)


def gradient(input, *, spacing=None, dim=None, edge_order=1):
    """Numerical derivatives along ``dim`` by central differences (one tensor per dim)."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(input.dim())) if dim is None else [dim] if isinstance(dim, int) \
        else list(dim)
    dims = [d % builtins.max(input.dim(), 1) for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar "
                               f"or it's spacing and dim arguments to have the same length, but "
                               f"got a spacing argument of length {len(spacing)} and a dim "
                               f"argument of length {len(dims)}.")
        steps = list(spacing)
    else:  # PyTorch's unit spacing is the float 1.0
        steps = [1.0 if spacing is None else spacing] * len(dims)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    for h in steps:
        if isinstance(h, Tensor) and edge_order != 1:
            raise NotImplementedError("torch.gradient with coordinate tensors and edge_order=2 "
                                      "is not supported by ember")
    x = input if input.is_floating_point() or input.is_complex() else \
        input.to(get_default_dtype())
    return tuple(_gradient_1d(x, d, h, edge_order) for d, h in zip(dims, steps))


def _deprecated_norm(name, instead):
    import warnings

    warnings.warn(f"at::{name} is deprecated and it is just left for JIT compatibility. It will "
                  f"be removed in a future PyTorch release. Please use `{instead}` instead",
                  UserWarning, stacklevel=3)


def frobenius_norm(input, dim=(), keepdim=False):
    _deprecated_norm("frobenius_norm", "linalg.vector_norm(A, 2., dim, keepdim)")
    from . import decomposition

    return decomposition.linalg_vector_norm(input, 2.0, tuple(dim) or None, keepdim)


def nuclear_norm(input, dim=None, keepdim=False):
    _deprecated_norm("nuclear_norm", "linalg.matrix_norm(A, 'nuc', dim, keepdim)")
    from . import decomposition

    if isinstance(dim, bool):
        dim, keepdim = None, dim
    return decomposition.linalg_matrix_norm(input, "nuc", tuple(dim) if dim else (-2, -1),
                                            keepdim)


# -- Tensor helpers ------------------------------------------------------------------------------
def _dim_order(self, *, ambiguity_check=False):
    strides = [st // self._data.itemsize for st in self._data.strides]
    return tuple(sorted(range(self._data.ndim), key=lambda d: -strides[d]))


def _is_set_to(self, tensor):
    a, b = self._data, tensor._data
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape and a.strides == b.strides)


def _fill_diagonal_(self, fill_value, wrap=False):
    shape = tuple(self.shape)
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    # as PyTorch: the diagonal as a strided view filled in place (a CopySlices node), and
    # for a tall matrix with wrap, the diagonals below it as a second view
    size = builtins.min(shape[0], shape[1])
    stride = builtins.sum(self.stride())
    offset = self.storage_offset()
    self.as_strided((size,), (stride,), offset).fill_(fill_value)
    if wrap and len(shape) == 2 and shape[0] > shape[1] + 1:
        step = shape[1] + 1
        rest = (self.numel() + step - 1) // step - size
        self.as_strided((rest,), (stride,), offset + self.stride(0) * step).fill_(fill_value)
    return self


def _apply_(self, callable):
    if self._requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use "
                           "var.detach().apply_() instead.")
    d = self._data
    flat = d.reshape(-1)
    out = np.array([callable(v.item()) for v in flat], dtype=d.dtype).reshape(d.shape)
    np.copyto(d, out, casting="unsafe")
    self._version[0] += 1
    return self


def _map_(self, tensor, callable):
    if self._requires_grad or tensor._requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use "
                           "var.detach().map_() instead.")
    d = self._data
    other = np.broadcast_to(tensor._data, d.shape)
    out = np.array([callable(a.item(), b.item()) for a, b in zip(d.reshape(-1),
                                                                other.reshape(-1))],
                   dtype=d.dtype).reshape(d.shape)
    np.copyto(d, out, casting="unsafe")
    self._version[0] += 1
    return self


# -- in-place forms and methods -------------------------------------------------------------------
def _inplace(fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, lambda s, *a: fn(s, *a, **kwargs), *args)

    method.__name__ = fn.__name__ + "_"
    return method


def _method_inplace(name):
    """``torch.<name>_(input, ...)``: the Tensor method of that name."""
    def fn(input, *args, **kwargs):
        return getattr(input, name + "_")(*args, **kwargs)

    fn.__name__ = name + "_"
    return fn


_TOP_INPLACE = (
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctanh", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "cos",
    "cosh", "deg2rad", "erf", "erfc", "exp2", "exp", "expm1", "fix", "floor", "frac", "log10",
    "log1p", "log2", "log", "logit", "nan_to_num", "neg", "negative", "rad2deg", "reciprocal",
    "relu", "round", "rsqrt", "sigmoid", "sin", "sinc", "sinh", "sqrt", "square", "tan",
    "tanh", "trunc", "xlogy", "zero", "fill", "detach", "ldexp", "addmv", "index_put", "gcd",
    "lcm", "conj_physical",
)
for _name in _TOP_INPLACE:
    globals()[_name + "_"] = _method_inplace(_name)
    __all__.append(_name + "_")
del _name


def _comparison_inplace(name):
    def method(self, other):
        return apply_inplace(self, lambda s, o: getattr(s, name)(o), other)

    method.__name__ = name + "_"
    return method


def _unary_inplace(name):
    def method(self):
        return apply_inplace(self, lambda s: getattr(s, name)())

    method.__name__ = name + "_"
    return method


TENSOR_METHODS = {
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "split_with_sizes": split_with_sizes, "broadcast_to": broadcast_to,
    "diagflat": diagflat, "diag_embed": diag_embed, "rot90": rot90, "kron": kron,
    "diff": diff, "adjoint": adjoint, "mH": property(_mH), "H": property(_H), "trace": trace,
    "layout": property(lambda self: strided),
    "isin": isin, "bincount": bincount, "histc": histc, "unique": unique,
    "unique_consecutive": unique_consecutive, "gcd": gcd, "lcm": lcm, "frexp": frexp,
    "nextafter": nextafter, "heaviside": heaviside, "renorm": renorm,
    "gcd_": _comparison_inplace("gcd"), "lcm_": _comparison_inplace("lcm"),
    "renorm_": _inplace(renorm), "storage_offset": _storage_offset, "new": _new,
    "new_empty_strided": _new_empty_strided, "quantile": quantile, "nanquantile": nanquantile,
    "nonzero_static": nonzero_static, "histogram": histogram,
    "triangular_solve": triangular_solve,
    "prelu": lambda self, weight: _activation.prelu(self, weight),
    "dim_order": _dim_order, "is_set_to": _is_set_to, "fill_diagonal_": _fill_diagonal_,
    "apply_": _apply_, "map_": _map_, "is_nested": property(lambda self: False),
    "const_data_ptr": lambda self: self._data.__array_interface__["data"][0],
    "nextafter_": _comparison_inplace("nextafter"), "heaviside_": _comparison_inplace("heaviside"),
    "__dlpack__": lambda self, stream=None, **kw: self._data.__dlpack__(**kw),
    "__dlpack_device__": lambda self: (1, 0),
    "float_power": float_power, "dist": dist, "cov": cov, "corrcoef": corrcoef,
    "addcmul": number_first(addcmul, "addcmul", "value", 2, True),
    "addcdiv": number_first(addcdiv, "addcdiv", "value", 2, True), "addmv": addmv, "addr": addr,
    "addbmm": addbmm,
    "ldexp": ldexp, "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter, "index_copy": index_copy, "index_fill": index_fill,
    "masked_scatter": masked_scatter, "is_nonzero": is_nonzero, "is_same_size": is_same_size,
    "is_signed": is_signed, "is_neg": is_neg, "isreal": isreal,
    "addcmul_": number_first(_inplace(addcmul), "addcmul_", "value", 2, True),
    "addcdiv_": number_first(_inplace(addcdiv), "addcdiv_", "value", 2, True),
    "addmv_": _inplace(addmv),
    "addr_": _inplace(addr), "addbmm_": _inplace(addbmm), "ldexp_": _inplace(ldexp),
    "index_copy_": _inplace(index_copy), "index_fill_": _inplace(index_fill),
    "masked_scatter_": _inplace(masked_scatter),
    "addmm_": _inplace(lambda s, m1, m2, *, beta=1, alpha=1: s.addmm(m1, m2, beta=beta,
                                                                      alpha=alpha)),
    "baddbmm_": _inplace(lambda s, b1, b2, *, beta=1, alpha=1: s.baddbmm(b1, b2, beta=beta,
                                                                          alpha=alpha)),
    "xlogy_": _comparison_inplace("xlogy"),
    "copysign_": _comparison_inplace("copysign"),
    "arctan2": lambda self, other: self.atan2(other),
    "arctan2_": _comparison_inplace("atan2"),
    "sgn_": _unary_inplace("sgn"), "fix_": _unary_inplace("trunc"),
    "conj_physical_": _unary_inplace("conj_physical"),
    "negative_": _unary_inplace("neg"), "absolute_": _unary_inplace("abs"),
    "arccos_": _unary_inplace("acos"), "arccosh_": _unary_inplace("acosh"),
    "arcsin_": _unary_inplace("asin"), "arcsinh_": _unary_inplace("asinh"),
    "arctan_": _unary_inplace("atan"), "arctanh_": _unary_inplace("atanh"),
    "logical_not_": _unary_inplace("logical_not"),
    "bitwise_not_": _unary_inplace("bitwise_not"),
    "cumsum_": _inplace(lambda s, dim, *, dtype=None: s.cumsum(dim, dtype=dtype)),
    "cumprod_": _inplace(lambda s, dim, *, dtype=None: s.cumprod(dim, dtype=dtype)),
    "tril_": _inplace(lambda s, diagonal=0: s.tril(diagonal)),
    "triu_": _inplace(lambda s, diagonal=0: s.triu(diagonal)),
    "cdouble": lambda self, memory_format=None: self.to(from_np[np.dtype(np.complex128)]),
    "cfloat": lambda self, memory_format=None: self.to(from_np[np.dtype(np.complex64)]),
}
for _cmp in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
             "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor"):
    TENSOR_METHODS[_cmp + "_"] = _comparison_inplace(_cmp)
del _cmp


def _float_power_(self, exponent):
    if self.dtype is not float64 and not self.is_complex():
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.word} but "
                           f"the operation's result requires dtype Double")
    return apply_inplace(self, float_power, exponent)


TENSOR_METHODS["float_power_"] = _float_power_
# ember.addcmul / ember.addcdiv also take PyTorch's older argument order (value first)
addcmul = number_first(addcmul, "addcmul", "value", 2, False)
addcdiv = number_first(addcdiv, "addcdiv", "value", 2, False)
