"""torch.masked's functions: reductions and normalizations over the specified elements only.

Each takes a tensor and a boolean ``mask`` (broadcast to the input's shape; None keeps every
element), or a MaskedTensor (whose own mask is used). The masked-out elements are replaced by
the identity of the operation (0 for sum, 1 for prod, -inf for amax, ...) and the ordinary op
runs on the result, so the gradients are the ordinary op's. A MaskedTensor's gradient passes
the replacement unchanged, as PyTorch's does, and comes back as a MaskedTensor.
"""

import math

from .._dtype import bool as _bool
from .._dtype import float32, iinfo, int64, uint8
from ..autograd.function import Function
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import softmax as _softmax
from ..ops.activation import softmin as _softmin
from ..ops.composite import broadcast_to
from ..ops.creation import tensor
from ..ops.decomposition import linalg_vector_norm
from ..ops.elementwise import logaddexp as _logaddexp
from ..ops.elementwise import maximum, where
from .maskedtensor.core import MaskedTensor, is_masked_tensor

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin",
           "std", "sum", "var"]


_SMALL_INTS = ("uint8", "bool", "int8", "int16", "int32")  # summed and multiplied as int64


def _reduction_identity(op_name, input, *args):
    """The value that does not change the reduction ``op_name`` (a 0-d tensor of the input's
    dtype), or None where it is not defined."""
    dtype = input.dtype
    if op_name in ("sum", "cumsum"):
        return tensor(0, dtype=dtype)
    if op_name in ("prod", "cumprod"):
        return tensor(1, dtype=dtype)
    if op_name in ("amax", "argmax", "logaddexp", "logsumexp"):
        if input.is_floating_point():
            return tensor(-math.inf, dtype=dtype)
        if op_name == "logsumexp" and input.is_complex():
            return tensor(complex(-math.inf, 0), dtype=dtype)
        if input.is_signed() or dtype == uint8:
            return tensor(iinfo(dtype).min, dtype=dtype)
    elif op_name in ("amin", "argmin"):
        if input.is_floating_point():
            return tensor(math.inf, dtype=dtype)
        if input.is_signed() or dtype == uint8:
            return tensor(iinfo(dtype).max, dtype=dtype)
    elif op_name in ("mean", "var", "std"):
        return None
    elif op_name == "norm":
        if (args[0] if args else 2) == -math.inf:
            if not input.is_floating_point():
                raise AssertionError(f"input must be floating point, got {dtype}")
            return tensor(math.inf, dtype=dtype)
        return tensor(0, dtype=dtype)
    elif op_name == "median":
        return tensor(math.nan, dtype=dtype if input.is_floating_point() else float32)
    raise NotImplementedError(f"identity of {op_name} on {dtype} input")


def _canonical_dim(dim, ndim):
    """``dim`` as a sorted tuple of non-negative dims (None or () is every dim)."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    ndim = max(ndim, 1)
    dims = []
    for d in (dim,) if isinstance(dim, int) else dim:
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                             f"{ndim - 1}], but got {d})")
        dims.append(d % ndim)
    return tuple(sorted(dims))


def _input_mask(input, *args, **kwargs):
    """The mask broadcast to the input's shape, as bool."""
    mask = kwargs.get("mask")
    if mask is None:
        raise ValueError("_input_mask requires explicit mask")
    if mask.shape != input.shape:
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality "
                             "higher than of the input)")
        mask = broadcast_to(mask.clone(), input.shape)
    return mask.to(dtype=_bool)


def _where(mask, input, fill_value):
    return where(mask, input, fill_value)


class _Combine(Function):
    """A MaskedTensor's data with its masked-out elements replaced; the gradient passes the
    replacement unchanged (PyTorch's Combine)."""

    @staticmethod
    def forward(ctx, data, mask, fill_value):
        return where(mask, data, fill_value)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None, None


def _combine_input_and_mask(op_name, input, mask, *args):
    """``input`` with its masked-out elements replaced by op ``op_name``'s identity."""
    if is_masked_tensor(input):
        data, mask = input.get_data(), input.get_mask()
        return _Combine.apply(data, _input_mask(data, mask=mask),
                              _reduction_identity(op_name, data, *args))
    if mask is None:
        return input
    return where(_input_mask(input, mask=mask), input, _reduction_identity(op_name, input, *args))


def _any(mask, dims, keepdim):
    for d in reversed(dims):
        mask = mask.any(dim=d, keepdim=keepdim)
    return mask


def _output_mask(op, input, *args, **kwargs):
    """The mask of op's result: a reduction's is whether any element was specified."""
    name = getattr(op, "__name__", None)
    if name in ("sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "norm",
                "var", "std", "logsumexp"):
        if name == "norm" and args:
            args = args[1:]
        dim = args[0] if args else kwargs.get("dim")
        return _any(_input_mask(input, *args, **kwargs), _canonical_dim(dim, input.ndim),
                    bool(kwargs.get("keepdim", False)))
    if name in ("softmax", "log_softmax", "softmin", "normalize", "cumsum", "cumprod"):
        return _input_mask(input, *args, **kwargs)
    if callable(op):
        raise ValueError(f"_output_mask expected masked operation (got callable "
                         f"{op.__module__}.{name})")
    raise ValueError(f"_output_mask expected masked operation (got {type(op).__name__} object)")


def _wide(input, dtype):
    """sum's and prod's result dtype: small integers and bool widen to int64."""
    if dtype is None:
        return int64 if str(input.dtype).rsplit(".", 1)[-1] in _SMALL_INTS else input.dtype
    return dtype


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):  # noqa: A001
    dtype = _wide(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    return _combine_input_and_mask("sum", input, mask).sum(dims, bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = _wide(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    result = _combine_input_and_mask("prod", input, mask).to(dtype=dtype)
    for d in reversed(dims):
        result = result.prod(dim=d, keepdim=bool(keepdim))
    return result


def cumsum(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _combine_input_and_mask("sum", input, mask).cumsum(d, dtype=dtype).to(dtype=dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _combine_input_and_mask("prod", input, mask).cumprod(d, dtype=dtype).to(dtype=dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    filled = _combine_input_and_mask("amax", input, mask)
    return filled.amax(_canonical_dim(dim, filled.ndim), bool(keepdim)).to(dtype=dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    filled = _combine_input_and_mask("amin", input, mask)
    return filled.amin(_canonical_dim(dim, filled.ndim), bool(keepdim)).to(dtype=dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return _combine_input_and_mask("argmax", input, mask).argmax(dim, bool(keepdim)).to(
        dtype=dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return _combine_input_and_mask("argmin", input, mask).argmin(dim, bool(keepdim)).to(
        dtype=dtype)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    source = "Optional"
    if dtype is None:
        dtype, source = input.dtype, "Input"
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either "
                         f"a floating point or complex dtype. Got: {dtype}")
    if mask is None:
        count = sum(input.new_ones(input.shape, dtype=int64) if not is_masked_tensor(input)
                    else input.get_data().new_ones(input.shape, dtype=int64),
                    dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype)
    else:
        inmask = _input_mask(input, mask=mask)
        count = inmask.sum(dim=dim, keepdim=bool(keepdim))
        total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    is_float = input.is_floating_point()
    if not is_float:
        input = input.to(dtype=float32)
    output = _combine_input_and_mask("median", input, mask).nanmedian(d, keepdim).values
    if is_float:
        return output
    if not output.isnan().any():
        return output.to(dtype=dtype)
    raise ValueError("masked median expects no fully masked out rows if dtype is not floating "
                     "point")


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    return _combine_input_and_mask("logsumexp", input, mask).logsumexp(dims, keepdim=keepdim).to(
        dtype=dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None) -> Tensor

    logaddexp of the elements of ``input`` and ``other``, each masked by its own mask (a
    masked-out element counts as -inf)."""
    dtype = input.dtype if dtype is None else dtype
    return _logaddexp(_combine_input_and_mask("logaddexp", input, input_mask),
                      _combine_input_and_mask("logaddexp", other, other_mask)).to(dtype=dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):  # noqa: A002
    dtype = input.dtype if dtype is None else dtype
    filled = _combine_input_and_mask("norm", input, mask, ord)
    return linalg_vector_norm(filled, ord, _canonical_dim(dim, input.ndim), bool(keepdim),
                              dtype=dtype)


def _std_var(input, dim, unbiased, *, correction_opt, keepdim, dtype, mask, take_sqrt):
    if unbiased is not None and correction_opt is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    correction = 1.0
    if unbiased is not None:
        correction = 1.0 if unbiased else 0.0
    if correction_opt is not None:
        correction = float(correction_opt)
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = float32
    compute_dtype = dtype if dtype.is_floating_point or dtype.is_complex else float32
    data = input.get_data() if is_masked_tensor(input) else input
    if mask is None:
        count = sum(data.new_ones(input.shape, dtype=int64), dim, keepdim=True)
        sample_total = sum(input, dim, keepdim=True, dtype=dtype)
    else:
        inmask = _input_mask(input, mask=mask)
        count = inmask.sum(dim=dim, keepdim=True)
        sample_total = sum(input, dim, keepdim=True, dtype=dtype, mask=inmask)
    x = input - sample_total / count
    square = x * x.conj()
    if mask is None:
        total = sum(square, dim, keepdim=keepdim, dtype=compute_dtype)
    else:
        total = sum(square, dim, keepdim=keepdim, dtype=compute_dtype, mask=inmask)
    if not keepdim:
        count = count.reshape(total.shape)
    if correction != 0:
        real = compute_dtype.to_real() if compute_dtype.is_complex else compute_dtype
        count = count.to(real) - correction
        count = maximum(count, count.new_zeros([]))
    output = (total / count).to(dtype=dtype)
    return output.sqrt() if take_sqrt else output


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
        mask=None):
    return _std_var(input, dim, unbiased, correction_opt=correction, keepdim=keepdim,
                    dtype=dtype, mask=mask, take_sqrt=False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
        mask=None):
    return _std_var(input, dim, unbiased, correction_opt=correction, keepdim=keepdim,
                    dtype=dtype, mask=mask, take_sqrt=True)


def softmax(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _softmax(_combine_input_and_mask("amax", input, mask), d, dtype=dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _log_softmax(_combine_input_and_mask("amax", input, mask), d, dtype=dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return _softmin(_combine_input_and_mask("amin", input, mask), d, dtype=dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):  # noqa: A002
    dtype = input.dtype if dtype is None else dtype
    filled = _combine_input_and_mask("sum", input, mask)
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return filled / maximum(nrm, nrm.new_full([], eps))


_ = (MaskedTensor, _where, _output_mask)
