"""float16 and bfloat16 in the ops whose forward is a composite of array steps.

PyTorch's CPU kernels compute these dtypes in float32 and round the result once. The
elementwise kernels, the reductions and the matrix products do that on their arrays; the
composite nn ops listed in FLOAT32 run on their float32 copies instead (``.float()``, recorded,
so the gradients flow back through the cast and arrive in the input's dtype), and their
floating results are rounded back to the dtype, keeping the op's own node as their grad_fn.
The ops PyTorch's CPU refuses for a dtype raise its error (REFUSED). ``wrap`` is applied once,
where ops/__init__.py makes the public ops; an op not named here pays nothing.
"""

import functools

import numpy as np

from .._dispatch import state as _dispatch
from .._dtype import FLOAT8_CHARS, cast, from_np, is_float8, result_type
from .._tensor import Tensor, _make
from ..autograd.forward_ad import state as _fw_state

# the ops computed on float32 copies of their float16/bfloat16 tensor arguments
FLOAT32 = frozenset({
    "softmax", "log_softmax", "softmin", "gelu", "silu", "mish", "softplus", "elu", "selu",
    "celu", "glu", "logsigmoid", "hardswish", "hardsigmoid", "hardtanh", "relu6", "softsign",
    "layer_norm", "group_norm", "batch_norm", "instance_norm", "rms_norm",
    "conv1d", "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "bilinear",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "lp_pool2d",
    "interpolate", "upsample", "upsample_bilinear", "upsample_nearest", "embedding_bag",
    "nll_loss", "kl_div", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "poisson_nll_loss", "soft_margin_loss", "hinge_embedding_loss",
    "margin_ranking_loss", "multilabel_soft_margin_loss", "linear_cross_entropy",
})

# ops that PyTorch itself runs on float32 copies: their result's node is the cast back
CAST_BACK = frozenset({"rms_norm"})

# op -> (exception class, text) for the ops PyTorch's CPU does not compute in these dtypes
REFUSED = {
    "avg_pool3d": (NotImplementedError, '"avg_pool3d_out_frame" not implemented for \'{word}\''),
    "lp_pool3d": (NotImplementedError, '"avg_pool3d_out_frame" not implemented for \'{word}\''),
    # 3-d inputs pool with avg_pool2d, which computes them; 4-d and 5-d with avg_pool3d
    "local_response_norm": (NotImplementedError,
                            '"avg_pool3d_out_frame" not implemented for \'{word}\'',
                            lambda input, *args, **kwargs: input._data.ndim >= 4),
    "pdist": (NotImplementedError, '"pdist" not implemented for \'{word}\''),
    "cdist": (NotImplementedError, '"cdist" not implemented for \'{word}\''),
    "multi_margin_loss": (NotImplementedError,
                          '"multi_margin_loss_cpu_kernel" not implemented for \'{word}\''),
    "multilabel_margin_loss": (
        NotImplementedError,
        '"multilabel_margin_loss_forward_out_frame" not implemented for \'{word}\''),
    "ctc_loss": (NotImplementedError, '"ctc_loss_cpu" not implemented for \'{word}\''),
    "quantile": (RuntimeError, "quantile() input tensor must be either float or double dtype",
                 lambda input, *args, **kwargs: input._data.dtype.char in "eE"),
    "nanquantile": (RuntimeError, "quantile() input tensor must be either float or double dtype",
                    lambda input, *args, **kwargs: input._data.dtype.char in "eE"),
    "linalg_vander": (RuntimeError, "linalg.vander supports floating point, complex, and integer "
                      "tensors, but got {word}"),
}


def _low(args, kwargs):
    """The first float16/bfloat16 NumPy dtype among the tensor arguments, else None."""
    for a in args:
        if isinstance(a, Tensor) and a._data.dtype.char in "eE":
            return a._data.dtype
    for a in kwargs.values():
        if isinstance(a, Tensor) and a._data.dtype.char in "eE":
            return a._data.dtype
    return None


def _up(x):
    if isinstance(x, Tensor) and x._data.dtype.char in "eE":
        return x.float()
    return x


def _down(x, dt, cast):
    if isinstance(x, Tensor):
        if x._data.dtype.char != "f":
            return x
        if cast or x._grad_fn is None or _fw_state.active:
            return x.to(dt)
        # the rounded result keeps the op's own node (SoftmaxBackward0, not a cast's): that
        # node takes the gradient in the dtype, computes with its float32 saved values, and
        # the engine casts what it passes back to each input's dtype
        out = _make(x._data.astype(dt.np), True)
        out._grad_fn, out._output_nr = x._grad_fn, x._output_nr
        return out
    if isinstance(x, tuple):
        return type(x)(*(_down(y, dt, cast) for y in x)) if hasattr(x, "_fields") else \
            tuple(_down(y, dt, cast) for y in x)
    return x


def in_float32(fn, cast=False):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if _dispatch.depth:  # a transform (vmap) owns the arguments: the op asks it
            return fn(*args, **kwargs)
        dt = _low(args, kwargs)
        if dt is None:
            return fn(*args, **kwargs)
        out = fn(*(_up(a) for a in args), **{k: _up(v) for k, v in kwargs.items()})
        return _down(out, from_np[dt], cast)

    return run


def refusing(fn, cls, text, when=None):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        dt = None if _dispatch.depth else _low(args, kwargs)
        if dt is not None and (when is None or when(*args, **kwargs)):
            raise cls(text.format(word=from_np[dt].word))
        return fn(*args, **kwargs)

    return run


# uint16, uint32 and uint64 (NumPy's type codes): PyTorch's CPU has few kernels for them.
# op -> the kernel its NotImplementedError names, or (exception class, text), or a function of
# the op's arguments giving one of those (or None where PyTorch computes). The operators
# (x + y, x < y, -x) meet the same kernels in elementwise.py (wide_binary, wide_unary), past
# the float32/float64 fast paths.
_WIDE = frozenset("HILQ")
_ODD = ODD_CHARS = _WIDE | frozenset(FLOAT8_CHARS)  # the dtype chars refusing_wide looks at


def _by_tensor(tensor_kernel, number_kernel, at=1, key="other"):
    """The kernel for an op whose argument ``at`` (or keyword ``key``) is a tensor or a number."""
    def kernel(*args, **kwargs):
        v = args[at] if len(args) > at else kwargs.get(key)
        return tensor_kernel if isinstance(v, Tensor) else number_kernel

    return kernel


def _clamp_kernel(input, min=None, max=None):
    if isinstance(min, float) or isinstance(max, float):
        return None  # a float bound promotes: PyTorch computes in the default float dtype
    if isinstance(min, Tensor) and isinstance(max, Tensor):
        return "clamp_cpu"
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return "maximum_cpu" if isinstance(min, Tensor) else "minimum_cpu"
    if min is not None and max is not None:
        return "clamp_scalar_cpu"
    return "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu"


def _clamp_inplace_kernel(input, min=None, max=None):
    if isinstance(min, float) or isinstance(max, float):  # the float result cannot be written
        return (RuntimeError, "result type Float can't be cast to the desired output type "
                "{ctype}")
    return _clamp_kernel(input, min, max)


def _bound_kernel(tensor_kernel, number_kernel):
    def kernel(input, bound, *rest, **kwargs):
        if isinstance(bound, float):
            return None
        return tensor_kernel if isinstance(bound, Tensor) else number_kernel

    return kernel


def _matmul_kernel(input, other, *rest, **kwargs):
    a, b = input._data.ndim, other._data.ndim
    if a == 1 and b == 1:
        return "dot"
    if b == 1:
        return "addmv_impl_cpu"
    if b == 2 and a >= 1:
        return "addmm_impl_cpu_"
    return "bmm"


def _with_dtype(kernel):
    """Reductions that promote integers to int64 unless ``dtype`` asks for a wide type."""
    def pick(*args, dtype=None, **kwargs):
        return kernel if getattr(dtype, "np", None) is not None and dtype.np.char in _WIDE \
            else None

    return pick


def _scatter_reduce_kernel(input, dim, index, src, reduce, *, include_self=True):
    if not include_self:
        return "scatter_reduce_exclude_input_init"
    if reduce in ("sum", "prod"):
        return "scatter_gather_tensor_cpu"
    return f"scatter_gather_tensor_cpu_reduce_{reduce}"


def _index_reduce_kernel(input, dim, index, source, reduce, *, include_self=True):
    if not include_self:
        return "index_reduce_func_exclude_input_init"
    return {"amax": "maximum_cpu", "amin": "minimum_cpu", "mean": "add_stub"}.get(reduce)


def _index_add_kernel(input, dim, index, source, *, alpha=1):
    return "scatter_gather_tensor_cpu" if alpha == 1 else "add_stub"


def _add_kernel(input, other, *, alpha=1):
    if isinstance(alpha, float):
        return (RuntimeError, "For integral input tensors, argument alpha must not be a "
                "floating point number.")
    return "add_stub"


def _rot90_kernel(input, k=1, dims=(0, 1)):
    """rot90 flips one dimension (k = 1 or 3) or two (k = 2): flip's rule for each."""
    k %= 4
    flipped = () if k == 0 else (dims[1],) if k == 1 else (dims[0],) if k == 3 else dims
    n = input._data.ndim
    return "flip_cpu" if any(d % max(n, 1) == n - 1 for d in flipped) else None


def _interpolate_kernel(input, size=None, scale_factor=None, mode="nearest", *args, **kwargs):
    n = input._data.ndim
    if mode == "area":
        return "adaptive_avg_pool3d_cpu" if n == 5 else "adaptive_avg_pool2d"
    if mode == "bilinear":
        return "upsample_bilinear2d_channels_last"
    if mode == "bicubic":
        return "compute_indices_weights_cubic"
    if mode == "nearest-exact" and n == 4:
        return "upsample_nearest2d_channels_last"
    if mode in ("linear", "trilinear"):
        return "compute_indices_weights_linear"
    return "compute_indices_weights_nearest"


def _training(kernel, at=2, default=True):
    """Dropouts: PyTorch draws (and has no kernel) only while training."""
    def pick(*args, **kwargs):
        training = args[at] if len(args) > at else kwargs.get("training", default)
        return kernel if training else None

    return pick


def _stft_kernel(input, n_fft, *args, center=True, pad_mode="reflect", **kwargs):
    return f"{pad_mode}ion_pad1d" if center and pad_mode in ("reflect",) else None


_NO_FLOAT = "{name} only support floating point and complex dtypes"
WIDE_REFUSED = {
    "neg": "neg_cpu", "negative": "neg_cpu", "abs": "abs_cpu", "absolute": "abs_cpu",
    "sign": "sign_cpu", "sgn": "sign_cpu", "frac": "frac_cpu", "relu": "clamp_min_scalar_cpu",
    "bitwise_not": "bitwise_not_cpu", "logical_not": "logical_not_cpu",
    "logical_and": "logical_and_cpu", "logical_or": "logical_or_cpu",
    "logical_xor": "logical_xor_cpu", "gcd": "gcd_cpu", "lcm": "lcm_cpu",
    "max": None, "min": None, "flip": None, "fliplr": None, "rot90": None,  # set below
    "amax": "max_values_cpu", "amin": "min_values_cpu", "aminmax": "aminmax_cpu",
    "argmax": "argmax_cpu", "argmin": "argmin_cpu", "topk": "topk_cpu",
    "maximum": "maximum_cpu", "minimum": "minimum_cpu", "fmax": "maximum_cpu",
    "fmin": "minimum_cpu", "hypot": "hypot_cpu", "fmod": "fmod_cpu",
    "clamp": _clamp_kernel, "clip": _clamp_kernel,
    "clamp_min": _bound_kernel("maximum_cpu", "clamp_min_scalar_cpu"),
    "clamp_max": _bound_kernel("minimum_cpu", "clamp_max_scalar_cpu"),
    "median": "median_cpu", "nanmedian": "median_cpu", "mode": "mode_cpu",
    "kthvalue": "kthvalue_cpu", "cummax": "cummax_cpu", "cummin": "cummin_cpu",
    "logcumsumexp": "logcumsumexp_out_cpu",
    "sum": _with_dtype("sum_cpu"), "nansum": _with_dtype("nansum_cpu"),
    "prod": _with_dtype("prod_out_cpu"), "cumsum": _with_dtype("cumsum_out_cpu"),
    "cumprod": _with_dtype("cumprod_out_cpu"),
    "matmul": _matmul_kernel, "dot": "dot", "vdot": "dot", "mm": "addmm_impl_cpu_",
    "mv": "addmv_impl_cpu", "bmm": "bmm", "inner": "addmm_impl_cpu_",
    "addmm": "addmm_impl_cpu_", "addbmm": "addmm_impl_cpu_", "baddbmm": "baddbmm",
    "addmv": "addmv_impl_cpu", "addr": "addr_cpu", "einsum": "bmm",
    "tensordot": "addmm_impl_cpu_", "linear": "addmm_impl_cpu_", "bilinear": "bmm",
    "matrix_power": "addmm_impl_cpu_", "multi_dot": "addmm_impl_cpu_",
    "chain_matmul": "addmm_impl_cpu_", "conv_tbc": "addmm_impl_cpu_",
    "linear_cross_entropy": "addmm_impl_cpu_", "cross": "cross", "trace": "trace",
    "masked_fill": "masked_fill", "masked_select": "masked_select",
    "masked_scatter": "masked_scatter", "nonzero": "nonzero_count_cpu",
    "count_nonzero": "nonzero_count_cpu", "take": "take_cpu", "put": "take_put_cpu",
    "index_put": "index_put", "index_copy": "index_copy_cpu", "index_fill": "index_fill_cpu",
    "index_add": _index_add_kernel, "index_reduce": _index_reduce_kernel,
    "gather": "scatter_gather_tensor_cpu",
    "scatter": _by_tensor("scatter_gather_tensor_cpu", "scatter_gather_scalar_cpu", 3, "src"),
    "scatter_add": "scatter_gather_tensor_cpu", "scatter_reduce": _scatter_reduce_kernel,
    "tril": "tril", "triu": "triu", "lt": "lt_cpu", "le": "le_cpu", "gt": "gt_cpu",
    "ge": "ge_cpu", "less": "lt_cpu", "less_equal": "le_cpu", "greater": "gt_cpu",
    "greater_equal": "ge_cpu", "add": _add_kernel, "sub": _add_kernel,
    "subtract": _add_kernel, "rsub": "add_stub",
    "floor_divide": "div_floor_cpu", "remainder": "remainder_cpu", "pow": "pow",
    "square": "pow", "bitwise_left_shift": "lshift_cpu", "bitwise_right_shift": "rshift_cpu",
    "lerp": _by_tensor("lerp_kernel_tensor", "lerp_kernel_scalar", 2, "weight"),
    "addcmul": "addcmul_cpu_out", "diff": "add_stub", "gradient": "add_stub",
    "trapezoid": "add_stub", "trapz": "add_stub", "cumulative_trapezoid": "add_stub",
    "dist": "add_stub", "combinations": "masked_select", "histc": "aminmax_cpu",
    "bincount": "bincount_cpu", "searchsorted": "searchsorted_out_cpu",
    "bucketize": "searchsorted_out_cpu",
    "var_mean": (RuntimeError, _NO_FLOAT.format(name="var_mean")),
    "std_mean": (RuntimeError, _NO_FLOAT.format(name="std_mean")),
    "nanquantile": (RuntimeError, "quantile() input tensor must be either float or double dtype"),
    "linalg_solve_ex": (RuntimeError, "linalg.solve: Expected a floating point or complex "
                        "tensor as input. Got {word}"),
    "renorm": (RuntimeError, 'false INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/aten/src/'
               'ATen/AccumulateType.cpp":23, please report a bug to PyTorch. Unrecognized '
               "ScalarType: {word}"),
    "stft": _stft_kernel,
    # factories asked for a wide dtype
    "arange": "arange_cpu", "linspace": "linspace_cpu",
    "logspace": "logspace_cpu", "randperm": "randperm", "tril_indices": "tril_indices",
    "triu_indices": "triu_indices", "random_": "random_kernel_cpu",
    "uniform_": "check_uniform_bounds",
    "norm": lambda input, p="fro", *a, **k: (
        RuntimeError, "linalg.matrix_norm: Expected a floating point or complex tensor as "
        "input. Got {word}") if k.get("p", p) == "nuc" else None,
    "vander": (RuntimeError, "Promotion for uint16, uint32, uint64 types is not supported, "
               "attempted to promote {word} and Long"),
    "linalg_cross": "cross", "linalg_matrix_power": "addmm_impl_cpu_",
    "linalg_multi_dot": "addmm_impl_cpu_",
    # nn.functional
    "relu6": "clamp_scalar_cpu", "hardtanh": "clamp_scalar_cpu", "leaky_relu": "leaky_relu_cpu",
    "softmin": "neg_cpu", "logsigmoid": "log_sigmoid_cpu", "softshrink": "softshrink_check",
    "glu": "glu_cpu", "prelu": "prelu_cpu", "rms_norm": "rms_norm",
    "mse_loss": "mse_cpu", "l1_loss": "add_stub", "smooth_l1_loss": "smooth_l1_cpu",
    "huber_loss": "huber_cpu", "binary_cross_entropy": "binary_cross_entropy",
    "binary_cross_entropy_with_logits": "log_sigmoid_cpu",
    "kl_div": (RuntimeError, "kl_div: Integral inputs not supported."),
    "margin_ranking_loss": "add_stub", "hinge_embedding_loss": "add_stub",
    "soft_margin_loss": "neg_cpu", "multilabel_soft_margin_loss": "log_sigmoid_cpu",
    "multi_margin_loss": "multi_margin_loss_cpu_kernel",
    "multilabel_margin_loss": "multilabel_margin_loss_forward_out_frame",
    "pairwise_distance": "add_stub", "triplet_margin_loss": "add_stub",
    "triplet_margin_with_distance_loss": "add_stub", "gaussian_nll_loss": "lt_cpu",
    "cosine_similarity": (RuntimeError, "expected common dtype to be floating point, yet "
                          "common dtype is {word}"),
    "pdist": (RuntimeError, "pdist only supports floating-point dtypes"),
    "scaled_dot_product_attention": (RuntimeError, "expected m1 and m2 to have the same dtype, "
                                     "but got: float != {ctype}"),
    "embedding_bag": (RuntimeError, "Expected tensor for argument #1 'weight' to have one of "
                      "the following scalar types: Half, BFloat16, Float, Double; but "
                      "got CPU{word}Type instead (while checking arguments for "
                      "embedding_bag)"),
    "conv1d": "slow_conv2d_cpu", "conv2d": "slow_conv2d_cpu", "conv3d": "compute_columns3d",
    "conv_transpose1d": "slow_conv_transpose2d_out_cpu",
    "conv_transpose2d": "slow_conv_transpose2d_out_cpu",
    "conv_transpose3d": "slow_conv_transpose3d_out_cpu",
    "max_pool1d": "max_pool1d_impl", "max_pool2d": "max_pool2d",
    "max_pool2d_with_indices": "max_pool2d", "max_pool3d": "max_pool3d",
    "max_pool3d_with_indices": "max_pool3d", "avg_pool1d": "avg_pool2d",
    "avg_pool2d": "avg_pool2d", "avg_pool3d": "avg_pool3d_out_frame",
    "adaptive_avg_pool3d": "adaptive_avg_pool3d_cpu",
    "adaptive_max_pool3d": "adaptive_max_pool3d_cpu",
    "max_unpool1d": "max_unpool2d", "max_unpool2d": "max_unpool2d",
    "max_unpool3d": "max_unpool3d",
    "local_response_norm": lambda input, *a, **k: "avg_pool2d" if input._data.ndim == 3
    else "avg_pool3d_out_frame",
    "pixel_shuffle": "pixel_shuffle", "pixel_unshuffle": "pixel_unshuffle",
    "channel_shuffle": "channel_shuffle", "sampling.unfold": "im2col_out_cpu",
    "fold": "col2im_out_cpu",
    "interpolate": _interpolate_kernel, "grid_sample": "grid_sampler_2d_cpu_kernel_impl",
    "dropout": _training("bernoulli_scalar_cpu_"), "dropout1d": _training("bernoulli_scalar_cpu_"),
    "dropout2d": _training("bernoulli_scalar_cpu_"),
    "dropout3d": _training("bernoulli_scalar_cpu_"),
    "alpha_dropout": _training("bernoulli_scalar_cpu_", default=False),
    "feature_alpha_dropout": _training("bernoulli_scalar_cpu_", default=False),
    # in-place forms: the result keeps the tensor's wide dtype
    "add_": _add_kernel, "sub_": _add_kernel, "subtract_": _add_kernel, "neg_": "neg_cpu",
    "negative_": "neg_cpu", "abs_": "abs_cpu", "absolute_": "abs_cpu", "sign_": "sign_cpu",
    "sgn_": "sign_cpu", "frac_": "frac_cpu", "relu_": "clamp_min_scalar_cpu",
    "fmod_": "fmod_cpu", "remainder_": "remainder_cpu", "floor_divide_": "div_floor_cpu",
    "pow_": "pow", "square_": "pow", "bitwise_not_": "bitwise_not_cpu",
    "logical_not_": "logical_not_cpu", "lt_": "lt_cpu", "le_": "le_cpu", "gt_": "gt_cpu",
    "ge_": "ge_cpu", "less_": "lt_cpu", "less_equal_": "le_cpu", "greater_": "gt_cpu",
    "greater_equal_": "ge_cpu", "masked_fill_": "masked_fill",
    "masked_scatter_": "masked_scatter", "lerp_": _by_tensor("lerp_kernel_tensor",
                                                              "lerp_kernel_scalar", 2, "weight"),
    "clamp_": _clamp_inplace_kernel, "clip_": _clamp_inplace_kernel,
    "clamp_min_": _bound_kernel("maximum_cpu", "clamp_min_scalar_cpu"),
    "clamp_max_": _bound_kernel("minimum_cpu", "clamp_max_scalar_cpu"),
    "index_add_": _index_add_kernel, "index_copy_": "index_copy_cpu",
    "index_fill_": "index_fill_cpu", "index_put_": "index_put", "put_": "take_put_cpu",
    "index_reduce_": _index_reduce_kernel, "scatter_add_": "scatter_gather_tensor_cpu",
    "scatter_": _by_tensor("scatter_gather_tensor_cpu", "scatter_gather_scalar_cpu", 3, "src"),
    "scatter_reduce_": _scatter_reduce_kernel, "hypot_": "hypot_cpu",
    "cumsum_": "cumsum_out_cpu", "cumprod_": "cumprod_out_cpu", "addcmul_": "addcmul_cpu_out",
    "addmm_": "addmm_impl_cpu_", "addbmm_": "addmm_impl_cpu_", "baddbmm_": "baddbmm",
    "addmv_": "addmv_impl_cpu", "addr_": "addr_cpu", "fmax_": "maximum_cpu",
    "fmin_": "minimum_cpu", "maximum_": "maximum_cpu", "minimum_": "minimum_cpu",
    "gcd_": "gcd_cpu", "lcm_": "lcm_cpu", "tril_": "tril", "triu_": "triu",
    "logical_and_": "logical_and_cpu", "logical_or_": "logical_or_cpu",
    "logical_xor_": "logical_xor_cpu", "bitwise_left_shift_": "lshift_cpu",
    "bitwise_right_shift_": "rshift_cpu",
}

# binary ops whose kernel is the result dtype's: a float number or a tensor of another category
# among the first two arguments promotes, and PyTorch computes
WIDE_PROMOTING = frozenset({
    "add", "sub", "subtract", "rsub", "pow", "lt", "le", "gt", "ge", "less", "less_equal",
    "greater", "greater_equal", "floor_divide", "remainder", "fmod", "maximum", "minimum",
    "fmax", "fmin", "hypot",
})

# the operators' kernels (NumPy's function, or elementwise.py's, for the op -> the kernel
# PyTorch's error names where the operands' result dtype is a wide one)
_WIDE_OPERATORS = {
    "add": "add_stub", "subtract": "add_stub", "_np_pow": "pow", "less": "lt_cpu",
    "less_equal": "le_cpu", "greater": "gt_cpu", "greater_equal": "ge_cpu",
    "remainder": "remainder_cpu", "fmod": "fmod_cpu", "_floor_div": "div_floor_cpu",
    "_trunc_div": "div_trunc_cpu", "_lshift": "lshift_cpu", "_rshift": "rshift_cpu",
    "maximum": "maximum_cpu", "minimum": "minimum_cpu", "fmax": "maximum_cpu",
    "fmin": "minimum_cpu", "hypot": "hypot_cpu",
}


def wide_binary(fwd, arr):
    """PyTorch's error for the binary operator computing ``fwd`` in the wide dtype of ``arr``
    where its CPU has no kernel (x * y, x / y, x == y and the bitwise ops compute)."""
    kernel = _WIDE_OPERATORS.get(getattr(fwd, "__name__", ""))
    if kernel is not None:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{from_np[arr.dtype].word}\'')


def wide_unary(name, arr):
    """PyTorch's error for the unary op ``name`` (-x, abs(x)) on a wide array."""
    kernel = WIDE_REFUSED.get(name)
    if isinstance(kernel, str):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{from_np[arr.dtype].word}\'')


def _stays_wide(args, kwargs):
    """Whether the result dtype of a binary op's operands is a wide one."""
    ops = [a for a in (*args[:2], kwargs.get("other"), kwargs.get("exponent"))
           if isinstance(a, (Tensor, int, float, bool, complex))]
    return result_type(*ops).np.char in _WIDE


def _wide_refusal(entry, name, args, kwargs, d):
    if callable(entry):
        entry = entry(*args, **kwargs)
    if entry is None or name in WIDE_PROMOTING and not _stays_wide(args, kwargs):
        return None
    if isinstance(entry, str):
        return NotImplementedError(f'"{entry}" not implemented for \'{d.word}\'')
    return entry[0](entry[1].format(word=d.word, ctype=d.cpp))


# The float8 dtypes (ml_dtypes' NumPy type codes): PyTorch's CPU stores, converts, copies,
# indexes and compares them, and computes few ops in them. op -> the kernel its
# NotImplementedError names, or (exception class, text), optionally with the float8 dtypes
# it refuses (else all of them). The operators are refused where elementwise.py computes
# the dtypes other than float32/float64, at no cost to those.
FLOAT8_REFUSED = {
    "abs": ("abs_cpu", ("float8_e8m0fnu",)),
    "absolute": ("abs_cpu", ("float8_e8m0fnu",)),
    "acos": "acos_vml_cpu",
    "acosh": "acosh_cpu",
    "adaptive_avg_pool1d": "adaptive_avg_pool2d",
    "adaptive_avg_pool2d": "adaptive_avg_pool2d",
    "adaptive_avg_pool3d": "adaptive_avg_pool3d_cpu",
    "adaptive_max_pool1d": "adaptive_max_pool2d",
    "adaptive_max_pool2d": "adaptive_max_pool2d",
    "adaptive_max_pool3d": "adaptive_max_pool3d_cpu",
    "add": "add_stub",
    "addbmm": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "addcdiv": "addcdiv_cpu_out",
    "addcmul": "addcmul_cpu_out",
    "addmm": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "addmv": "addmv_impl_cpu",
    "addr": "addr_cpu",
    "affine_grid": "linspace_cpu",
    "amax": "max_values_cpu",
    "amin": "min_values_cpu",
    "aminmax": "aminmax_cpu",
    "arccos": "acos_vml_cpu",
    "arccosh": "acosh_cpu",
    "arcsin": "asin_vml_cpu",
    "arcsinh": "asinh_cpu",
    "arctan": "atan_vml_cpu",
    "arctan2": "atan2_cpu",
    "arctanh": "atanh_cpu",
    "argsort": "sorting_kernel_method_name",
    "asin": "asin_vml_cpu",
    "asinh": "asinh_cpu",
    "atan": "atan_vml_cpu",
    "atan2": "atan2_cpu",
    "atanh": "atanh_cpu",
    "avg_pool1d": "avg_pool2d",
    "avg_pool2d": "avg_pool2d",
    "avg_pool3d": "avg_pool3d_out_frame",
    "baddbmm": "baddbmm",
    "batch_norm": "batch_norm",
    "bilinear": "bmm",
    "binary_cross_entropy": "binary_cross_entropy",
    "binary_cross_entropy_with_logits": "log_sigmoid_cpu",
    "bmm": "bmm",
    "ceil": "ceil_vml_cpu",
    "celu": "elu_cpu",
    "chain_matmul": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "channel_shuffle": "channel_shuffle",
    "clamp_max": "clamp_max_scalar_cpu",
    "clamp_min": "clamp_min_scalar_cpu",
    "clip": "clamp_scalar_cpu",
    "cond": "linalg_svd_cpu",
    "conv1d": "slow_conv2d_cpu",
    "conv2d": "slow_conv2d_cpu",
    "conv3d": "compute_columns3d",
    "conv_tbc": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "conv_transpose1d": "slow_conv_transpose2d_out_cpu",
    "conv_transpose2d": "slow_conv_transpose2d_out_cpu",
    "conv_transpose3d": "slow_conv_transpose3d_out_cpu",
    "copysign": "copysign_cpu",
    "corrcoef": "sum_cpu",
    "cos": "cos_vml_cpu",
    "cosh": "cosh_cpu",
    "cosine_embedding_loss": "sum_cpu",
    "cosine_similarity": "norm_cpu",
    "cov": "sum_cpu",
    "cross": "cross",
    "cross_entropy": "log_softmax_lastdim_kernel_impl",
    "cummax": "cummax_cpu",
    "cummin": "cummin_cpu",
    "cumprod": "cumprod_out_cpu",
    "cumsum": "cumsum_out_cpu",
    "cumulative_trapezoid": "add_stub",
    "deg2rad": "mul_cpu_reduced_float",
    "det": "lu_cpu",
    "diff": "add_stub",
    "digamma": "digamma",
    "dist": "add_stub",
    "div": "div_cpu",
    "divide": "div_cpu",
    "dot": "dot",
    "einsum": "bmm",
    "elu": "elu_cpu",
    "embedding_bag": (RuntimeError, "Expected tensor for argument #1 'weight' to have one of "
                      "the following scalar types: Half, BFloat16, Float, Double; but "
                      "got CPU{word}Type instead (while checking arguments for "
                      "embedding_bag)"),
    "entr": "entr_cpu",
    "erf": "erf_vml_cpu",
    "erfc": "erfc_vml_cpu",
    "erfcx": "erfcx_cpu",
    "erfinv": "erfinv_vml_cpu",
    "exp": "exp_vml_cpu",
    "exp2": "exp2",
    "expit": "sigmoid_cpu_reduced_float",
    "expm1": "expm1_vml_cpu",
    "fix": "trunc_vml_cpu",
    "fliplr": "flip_cpu",
    "floor": "floor_vml_cpu",
    "fmax": "fmax_cpu",
    "fmin": "fmin_cpu",
    "fmod": "fmod_cpu",
    "fold": "col2im_out_cpu",
    "frac": "frac_cpu",
    "fractional_max_pool2d": "fractional_max_pool2d_out_frame",
    "fractional_max_pool3d": "fractional_max_pool3d_out_frame",
    "gammaln": "lgamma_vml_cpu",
    "gather": "scatter_gather_tensor_cpu",
    "gaussian_nll_loss": "lt_cpu",
    "gelu": "GeluKernelImpl",
    "glu": "glu_cpu",
    "gradient": "add_stub",
    "grid_sample": "grid_sampler_2d_cpu_kernel_impl",
    "group_norm": "GroupNormKernelImpl",
    "hardshrink": "hardshrink_cpu",
    "hardsigmoid": "hardsigmoid_cpu",
    "hardswish": "hardswish_cpu",
    "hardtanh": "clamp_scalar_cpu",
    "hinge_embedding_loss": "add_stub",
    "householder_product": "orgqr_cpu",
    "huber_loss": "huber_cpu",
    "hypot": "hypot_cpu",
    "i0": "i0_vml_cpu",
    "i0e": "i0e_cpu",
    "i1": "i1_cpu",
    "i1e": "i1e_cpu",
    "index_add": "scatter_gather_tensor_cpu",
    "index_copy": "index_copy_cpu",
    "index_fill": "index_fill_cpu",
    "index_put": ("index_put", ("float8_e8m0fnu",)),
    "inner": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "instance_norm": "batch_norm",
    "inv": (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got {word}"),
    "inv_ex": (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got {word}"),
    "kl_div": "xlogy_cpu",
    "kthvalue": "kthvalue_cpu",
    "l1_loss": "add_stub",
    "layer_norm": "LayerNormKernelImpl",
    "ldexp": "ldexp_cpu",
    "leaky_relu": "leaky_relu_cpu",
    "lerp": "lerp_kernel_scalar",
    "lgamma": "lgamma_vml_cpu",
    "linear": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "log": "log_vml_cpu",
    "log10": "log10_vml_cpu",
    "log1p": "log1p_vml_cpu",
    "log2": "log2_vml_cpu",
    "log_ndtr": "log_ndtr_cpu",
    "log_softmax": "log_softmax_lastdim_kernel_impl",
    "logaddexp": "logaddexp_cpu",
    "logaddexp2": "logaddexp2_cpu",
    "logcumsumexp": "logcumsumexp_out_cpu",
    "logit": "logit_cpu",
    "logsigmoid": "log_sigmoid_cpu",
    "logsumexp": "max_values_cpu",
    "lp_pool1d": "pow",
    "lp_pool2d": "pow",
    "lp_pool3d": "pow",
    "lu": "lu_cpu",
    "lu_factor": "lu_cpu",
    "lu_factor_ex": "lu_cpu",
    "margin_ranking_loss": "add_stub",
    "masked_fill": "masked_fill",
    "masked_scatter": "masked_scatter",
    "matmul": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "matrix_norm": "norm_cpu",
    "matrix_power": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "matrix_rank": (RuntimeError, "This function doesn't handle types other than float and double"),
    "max_pool1d": "max_pool1d_impl",
    "max_pool2d": "max_pool2d",
    "max_pool2d_with_indices": "max_pool2d",
    "max_pool3d": "max_pool3d",
    "max_pool3d_with_indices": "max_pool3d",
    "max_unpool1d": "max_unpool2d",
    "max_unpool2d": "max_unpool2d",
    "max_unpool3d": "max_unpool3d",
    "maximum": "maximum_cpu",
    "median": "median_cpu",
    "min": "min_all",
    "minimum": "minimum_cpu",
    "mish": "mish_cpu",
    "mm": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "mode": "mode_cpu",
    "mse_loss": "mse_cpu",
    "msort": "sorting_kernel_method_name",
    "multi_dot": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "multi_margin_loss": "multi_margin_loss_cpu_kernel",
    "multilabel_margin_loss": "multilabel_margin_loss_forward_out_frame",
    "multilabel_soft_margin_loss": "log_sigmoid_cpu",
    "mv": "addmv_impl_cpu",
    "mvlgamma": "arange_cpu",
    "nan_to_num": "nan_to_num",
    "nanmean": "nansum_cpu",
    "nanmedian": "median_cpu",
    "nanquantile": (RuntimeError, "quantile() input tensor must be either float or double dtype"),
    "nansum": "nansum_cpu",
    "ndtr": "mul_cpu_reduced_float",
    "ndtri": "ndtri_cpu",
    "neg": "neg_cpu",
    "negative": "neg_cpu",
    "nll_loss": "nll_loss_out_frame",
    "norm": "norm_cpu",
    "normalize": "norm_cpu",
    "pad": ((RuntimeError, "value cannot be converted to type c10::{word} without overflow"),
            ("float8_e8m0fnu",)),
    "pairwise_distance": "add_stub",
    "pdist": "pdist",
    "pixel_shuffle": "pixel_shuffle",
    "pixel_unshuffle": "pixel_unshuffle",
    "poisson_nll_loss": "exp_vml_cpu",
    "polygamma": "trigamma",
    "pow": "pow",
    "prelu": "prelu_cpu",
    "prod": "prod_out_cpu",
    "psi": "digamma",
    "put": "take_put_cpu",
    "qr": "geqrf_cpu",
    "quantile": (RuntimeError, "quantile() input tensor must be either float or double dtype"),
    "rad2deg": "mul_cpu_reduced_float",
    "reciprocal": "reciprocal_cpu",
    "relu": "clamp_min_scalar_cpu",
    "relu6": "clamp_scalar_cpu",
    "remainder": "remainder_cpu",
    "rms_norm": "rms_norm",
    "rot90": "flip_cpu",
    "round": "round_vml_cpu",
    "rrelu": "leaky_relu_cpu",
    "rsqrt": "rsqrt_cpu",
    "rsub": "add_stub",
    "scaled_dot_product_attention": "mul_cpu_reduced_float",
    "scatter": "scatter_gather_tensor_cpu",
    "scatter_add": "scatter_gather_tensor_cpu",
    "selu": "elu_cpu",
    "sigmoid": "sigmoid_cpu_reduced_float",
    "sign": "sign_cpu",
    "silu": "silu_cpu",
    "sin": "sin_vml_cpu",
    "sinc": "sinc_cpu",
    "sinh": "sinh_cpu",
    "smooth_l1_loss": "smooth_l1_cpu",
    "soft_margin_loss": "neg_cpu",
    "softmax": "softmax_lastdim_kernel_impl",
    "softmin": "neg_cpu",
    "softplus": "softplus_cpu",
    "softshrink": "softshrink_check",
    "solve": "lu_cpu",
    "solve_ex": "lu_cpu",
    "solve_triangular": "triangular_solve_cpu",
    "sort": "sorting_kernel_method_name",
    "sqrt": "sqrt_vml_cpu",
    "square": "pow",
    "std": (RuntimeError, "std_var_all: Unsupported dtype {word}"),
    "std_mean": "std_cpu",
    "sub": "add_stub",
    "subtract": "add_stub",
    "sum_to_size": "sum_cpu",
    "svdvals": "linalg_svd_cpu",
    "take": "take_cpu",
    "take_along_dim": "scatter_gather_tensor_cpu",
    "tan": "tan_vml_cpu",
    "tanh": "tanh_vml_cpu",
    "tanhshrink": "tanh_vml_cpu",
    "tensordot": ("addmm_impl_cpu_", ("float8_e8m0fnu",)),
    "tensorinv": (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got {word}"),
    "tensorsolve": "lu_cpu",
    "threshold": "threshold_cpu",
    "topk": "topk_cpu",
    "trace": "trace",
    "trapezoid": "add_stub",
    "trapz": "add_stub",
    "triangular_solve": "triangular_solve_cpu",
    "tril": "tril",
    "triplet_margin_loss": "add_stub",
    "triplet_margin_with_distance_loss": "add_stub",
    "triu": "triu",
    "true_divide": "div_cpu",
    "trunc": "trunc_vml_cpu",
    "var": (RuntimeError, "std_var_all: Unsupported dtype {word}"),
    "var_mean": "std_cpu",
    "vdot": "dot",
    "vecdot": "sum_cpu",
    "vector_norm": "norm_cpu",
    "xlog1py": "xlog1py_cpu",
    "xlogy": "xlogy_cpu",
    # in-place forms and ops the table calls through lambdas
    "add_": "add_stub",
    "addcdiv_": "addcdiv_cpu_out",
    "addcmul_": "addcmul_cpu_out",
    "alpha_dropout": "bernoulli_scalar_cpu_",
    "clamp_": "clamp_scalar_cpu",
    "ctc_loss": "log_softmax_lastdim_kernel_impl",
    "cumsum_": "cumsum_out_cpu",
    "div_": "div_cpu",
    "dropout3d": "bernoulli_scalar_cpu_",
    "erfinv_": "erfinv_vml_cpu",
    "exp_": "exp_vml_cpu",
    "feature_alpha_dropout": "bernoulli_scalar_cpu_",
    "hypot_": "hypot_cpu",
    "index_add_": "scatter_gather_tensor_cpu",
    "index_fill_": "index_fill_cpu",
    "inverse": (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got {word}"),
    "lgamma_": "lgamma_vml_cpu",
    "logdet": (RuntimeError, "logdet: Low precision dtypes not supported. Got {word}"),
    "lu_solve": "lu_cpu",
    "masked_fill_": "masked_fill",
    "neg_": "neg_cpu",
    "orgqr": "orgqr_cpu",
    "ormqr": "ormqr_cpu",
    "pow_": "pow",
    "scatter_": "scatter_gather_tensor_cpu",
    "scatter_reduce_": "scatter_reduce_exclude_input_init",
    "sigmoid_": "sigmoid_cpu_reduced_float",
    "slogdet": (RuntimeError, "linalg.slogdet: Low precision dtypes not supported. Got {word}"),
    "stft": "reflection_pad1d",
    "sub_": "add_stub",
    "svd": "linalg_svd_cpu",
    "tanh_": "tanh_vml_cpu",
    "tril_": "tril",
    "xlogy_": "xlogy_cpu",
}


def _flip_kernel(input, *dims, **kwargs):
    """flip: PyTorch's CPU moves whole rows of float8 and of the wide unsigned types, but has
    no kernel to reverse the last dimension."""
    dims = kwargs.get("dims", dims)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) == 1 and not isinstance(dims[0], int):
        dims = tuple(dims[0])
    n = input._data.ndim
    return "flip_cpu" if any(d % max(n, 1) == n - 1 for d in dims) else None


def _extreme_kernel(which):
    def kernel(input, *args, **kwargs):
        other = args[0] if args else kwargs.get("other", kwargs.get("dim"))
        if other is None:
            return f"{which}_all"
        return f"{which}imum_cpu" if isinstance(other, Tensor) else f"{which}_cpu"

    return kernel


FLOAT8_REFUSED.update(flip=_flip_kernel, max=_extreme_kernel("max"),
                      min=_extreme_kernel("min"), sum="sum_cpu")
WIDE_REFUSED.update(max=_extreme_kernel("max"), min=_extreme_kernel("min"), flip=_flip_kernel,
                    fliplr=lambda input: "flip_cpu" if input._data.ndim == 2 else None,
                    rot90=_rot90_kernel)

# the factories and random fills PyTorch's CPU has no float8 kernel for (dtype= a float8
# type, or a float8 tensor to fill or to take the dtype of)
FLOAT8_FACTORIES = {
    "arange": "arange_cpu", "linspace": "linspace_cpu", "logspace": "logspace_cpu",
    "randn": "normal_kernel_cpu", "randn_like": "normal_kernel_cpu",
    "normal": "normal_kernel_cpu", "rand": "check_uniform_bounds",
    "rand_like": "check_uniform_bounds", "randint": "random_update_from_to",
    "randint_like": "random_update_from_to", "randperm": "randperm",
}
FLOAT8_REFUSED.update(
    randn_like="normal_kernel_cpu", rand_like="check_uniform_bounds",
    randint_like="random_update_from_to", normal_="normal_kernel_cpu",
    uniform_="check_uniform_bounds", exponential_="exponential_cpu",
    cauchy_="cauchy_cpu", log_normal_="log_normal_cpu", geometric_="geometric_cpu",
    bernoulli_="bernoulli_scalar_cpu_",
    random_=lambda self, *a, **k: "random_update_from_to" if a or k else "random_kernel_cpu")

# the ops PyTorch's CPU computes in float8: in float32, the result rounded once to the dtype
FLOAT8_F32 = frozenset({
    "mul", "multiply", "mm", "matmul", "addmm", "addbmm", "linear", "inner", "outer", "ger",
    "kron", "tensordot", "chain_matmul", "multi_dot", "matrix_power", "abs", "absolute",
    "conv_tbc", "index_reduce", "float_power",
})


# the operators' kernels (x + y, x < y, x ** y, ...: NumPy's function for the op -> the kernel
# PyTorch's error names for a float8 operand); multiply and divide by a number have their own
_F8_OPERATORS = {
    "add": "add_stub", "subtract": "add_stub", "_np_pow": "pow", "less": "lt_cpu",
    "less_equal": "le_cpu", "greater": "gt_cpu", "greater_equal": "ge_cpu",
    "remainder": "remainder_cpu", "_floor_div": "div_floor_cpu",
}


def float8_binary(fwd, a, b):
    """PyTorch's error for a binary operator on a float8 array ``a`` or ``b`` where its CPU has
    no kernel; else the operands to compute in float32 (x * y, x == y and x != y compute)."""
    arr = a if isinstance(a, np.ndarray) and is_float8(a.dtype) else b
    d = from_np[arr.dtype]
    name = getattr(fwd, "__name__", "")
    kernel = _F8_OPERATORS.get(name)
    both = isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.ndim and b.ndim
    if name == "multiply" and not both:
        kernel = "mul_cpu_reduced_float"
    elif name == "divide":
        kernel = "div_cpu" if both else "div_cpu_reduced_float"
    if kernel is not None:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{d.word}\'')
    # a number compared with a float8 tensor is first rounded to the tensor's dtype
    if not isinstance(a, np.ndarray):
        a = cast(np.asarray(a), d.np)
    if not isinstance(b, np.ndarray):
        b = cast(np.asarray(b), d.np)
    return a, b


def float8_unary(name, a):
    """PyTorch's error for the unary op ``name`` on a float8 array where its CPU has none."""
    entry = FLOAT8_REFUSED.get(name)
    if entry is not None:
        exc = _float8_refusal(entry, from_np[a.dtype])
        if exc is not None:
            raise exc


def _float8_refusal(entry, d):
    """The exception op ``entry`` of FLOAT8_REFUSED raises for float8 dtype ``d``, or None."""
    if isinstance(entry, tuple) and isinstance(entry[-1], tuple) and entry[-1] and isinstance(
            entry[-1][0], str) and entry[-1][0].startswith("float8"):
        if d.name not in entry[-1]:
            return None
        entry = entry[0]
    if entry is None:
        return None
    if isinstance(entry, str):
        return NotImplementedError(f'"{entry}" not implemented for \'{d.word}\'')
    return entry[0](entry[1].format(word=d.word))


def _wide_entry(fn, name):
    """WIDE_REFUSED's entry for ``fn``: under "module.name" where two ops share a name
    (nn.functional.unfold and Tensor.unfold), else under its name."""
    key = f"{getattr(fn, '__module__', '').rsplit('.', 1)[-1]}.{name}"
    return WIDE_REFUSED.get(key, WIDE_REFUSED.get(name))


def refusing_wide(fn, name):
    """``fn`` refusing the uint16/32/64 (WIDE_REFUSED) and float8 (FLOAT8_REFUSED) tensors
    PyTorch's CPU has no kernel for, and computing FLOAT8_F32's ops on float8 in float32."""
    kernel = _wide_entry(fn, name)
    f8 = FLOAT8_REFUSED.get(name)
    f32 = name in FLOAT8_F32

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if not kwargs and not _dispatch.depth:
            for a in args:  # the common case first: no tensor of these dtypes, nothing to check
                if a.__class__ is Tensor:
                    if a._data.dtype.char in _ODD:
                        break
                elif a.__class__ is list or isinstance(a, Tensor):
                    break
            else:
                return fn(*args)
        if _dispatch.depth:  # a transform's batched tensors: its rules see the op
            return fn(*args, **kwargs)
        wide = kernel
        asked = kwargs.get("dtype")  # a factory's or a reduction's dtype
        made = FLOAT8_FACTORIES.get(name)
        if made is not None and getattr(asked, "np", None) is not None and is_float8(asked.np):
            raise NotImplementedError(f'"{made}" not implemented for \'{asked.word}\'')
        if wide is not None and getattr(asked, "np", None) is not None and \
                asked.np.char in _WIDE:
            exc = _wide_refusal(wide, name, args, kwargs, asked)
            if exc is not None:
                raise exc
            wide = None
        for a in (*args, *kwargs.values(), *(t for s in args if s.__class__ is list for t in s)):
            if isinstance(a, Tensor):
                c = a._data.dtype.char
                if c in _WIDE and wide is not None:
                    exc = _wide_refusal(wide, name, args, kwargs, from_np[a._data.dtype])
                    if exc is not None:
                        raise exc
                    wide = None  # the op computes: one look is enough
                if c in FLOAT8_CHARS and is_float8(a._data.dtype):
                    d = from_np[a._data.dtype]
                    if f8 is not None:
                        exc = _float8_refusal(f8(*args, **kwargs) if callable(f8) else f8,
                                              d)
                        if exc is not None:
                            raise exc
                    if f32:
                        return _in_float32_f8(fn, d, args, kwargs)
        return fn(*args, **kwargs)

    return run


def _up8(x):
    if isinstance(x, Tensor) and is_float8(x._data.dtype):
        return x.float()
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], Tensor):
        return type(x)(_up8(y) for y in x)
    return x


def _down8(x, d):
    if isinstance(x, Tensor):
        if x._data.dtype.char != "f":
            return x
        out = _make(cast(x._data, d.np), x._grad_fn is not None)
        out._grad_fn, out._output_nr = x._grad_fn, x._output_nr
        return out
    if isinstance(x, tuple):
        return type(x)(*(_down8(y, d) for y in x)) if hasattr(x, "_fields") else \
            tuple(_down8(y, d) for y in x)
    return x


def _in_float32_f8(fn, d, args, kwargs):
    out = fn(*(_up8(a) for a in args), **{k: _up8(v) for k, v in kwargs.items()})
    return _down8(out, d)


def guarded(fn, name):
    """``fn`` under the refusal rules of op ``name`` for uint16/32/64 and float8 tensors, or
    None where it has none (the public wrapper runs it only for calls that may hold such a
    tensor)."""
    if _wide_entry(fn, name) is not None or name in FLOAT8_REFUSED or name in FLOAT8_F32 \
            or name in FLOAT8_FACTORIES:
        return refusing_wide(fn, name)
    return None


def wrap(fn, name, guard=True):
    """``fn`` as op ``name`` runs it on float16/bfloat16 tensors (itself if not listed), and
    with ``guard`` under its refusals for uint16/32/64 and float8 (``guarded``)."""
    if guard:
        fn = guarded(fn, name) or fn
    if name in FLOAT32:
        return in_float32(fn, name in CAST_BACK)
    if name in REFUSED:
        return refusing(fn, *REFUSED[name])
    return fn
