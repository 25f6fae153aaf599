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

from .._dispatch import state as _dispatch
from .._dtype import from_np
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
# op -> the kernel its NotImplementedError names. The operators (x + y, x < y, -x) are left out
# on purpose: a check there would cost every call of every dtype, so ember computes them.
_WIDE = frozenset("HILQ")
WIDE_REFUSED = {
    "neg": "neg_cpu", "negative": "neg_cpu", "abs": "abs_cpu", "absolute": "abs_cpu",
    "sign": "sign_cpu", "bitwise_not": "bitwise_not_cpu", "max": "max_all", "min": "min_all",
    "amax": "max_values_cpu", "amin": "min_values_cpu", "argmax": "argmax_cpu",
    "argmin": "argmin_cpu", "topk": "topk_cpu", "maximum": "maximum_cpu",
    "minimum": "minimum_cpu", "clamp": "clamp_scalar_cpu", "clip": "clamp_scalar_cpu",
    "matmul": "dot", "dot": "dot", "masked_fill": "masked_fill", "flip": "flip_cpu",
    "nonzero": "nonzero_count_cpu", "count_nonzero": "nonzero_count_cpu",
    "gather": "scatter_gather_tensor_cpu", "scatter": "scatter_gather_tensor_cpu",
    "tril": "tril", "triu": "triu", "lt": "lt_cpu", "le": "le_cpu", "gt": "gt_cpu",
    "ge": "ge_cpu", "less": "lt_cpu", "less_equal": "le_cpu", "greater": "gt_cpu",
    "greater_equal": "ge_cpu", "add": "add_stub", "sub": "add_stub", "subtract": "add_stub",
    "floor_divide": "div_floor_cpu", "remainder": "remainder_cpu", "pow": "pow",
    "bitwise_left_shift": "lshift_cpu", "bitwise_right_shift": "rshift_cpu",
}


def refusing_wide(fn, kernel):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if not _dispatch.depth:
            for a in (*args, *kwargs.values()):
                if isinstance(a, Tensor) and a._data.dtype.char in _WIDE:
                    raise NotImplementedError(
                        f'"{kernel}" not implemented for \'{from_np[a._data.dtype].word}\'')
        return fn(*args, **kwargs)

    return run


def wrap(fn, name):
    """``fn`` as op ``name`` runs it on float16/bfloat16 tensors (itself if not listed)."""
    if name in WIDE_REFUSED:
        fn = refusing_wide(fn, WIDE_REFUSED[name])
    if name in FLOAT32:
        return in_float32(fn, name in CAST_BACK)
    if name in REFUSED:
        return refusing(fn, *REFUSED[name])
    return fn
