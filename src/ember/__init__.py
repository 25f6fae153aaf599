"""ember: a PyTorch-compatible tensor library with reverse-mode autograd, on NumPy.

    import ember as torch
"""

import numpy as _np

# NumPy warns on overflow / division by zero; PyTorch computes inf and nan silently
_np.seterr(all="ignore")

from . import _dtype
from ._dtype import (
    bool, cdouble, cfloat, complex64, complex128, double, dtype, float, float16, float32,
    float64, get_default_dtype, half, int, int8, int16, int32, int64, long, promote_types,
    result_type, set_default_dtype, short, uint8,
)
from ._tensor import Size, Tensor
from ._device import device
from . import ops as _ops  # installs Tensor's methods
from ._creation import (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, Generator, HalfTensor,
    IntTensor, LongTensor, ShortTensor, arange, as_tensor, bernoulli, default_generator, empty,
    empty_like, eye, from_numpy, full, full_like, get_rng_state, initial_seed, linspace, logspace,
    manual_seed, multinomial, normal, ones, ones_like, rand, rand_like, randint, randint_like,
    randn, randn_like, randperm, seed, set_rng_state, tensor, zeros, zeros_like,
)
from .ops.elementwise import (
    abs, absolute, acos, acosh, add, allclose, arccos, arccosh, arcsin, arcsinh, arctan,
    arctanh, asin, asinh, atan, atan2, atanh, bitwise_and, bitwise_not, bitwise_or,
    bitwise_xor, ceil, clamp, clamp_max, clamp_min, clip, cos, cosh, div, divide, eq, equal,
    erf, erfc, exp, exp2, expm1, fix, floor, floor_divide, fmod, frac, ge, greater,
    greater_equal, gt, isclose, isfinite, isinf, isnan, isneginf, isposinf, le, lerp, less,
    less_equal, log, log1p, log2, log10, logical_and, logical_not, logical_or, logical_xor, lt,
    maximum, minimum, mul, multiply, ne, neg, negative, not_equal, positive, pow, reciprocal,
    relu, remainder, round, rsqrt, sigmoid, sign, signbit, sin, sinh, sqrt, square, sub,
    subtract, tan, tanh, true_divide, trunc, where,
)
from .ops.reduction import mean, sum
from .ops.shape import permute, reshape, squeeze, swapaxes, swapdims, t, transpose, unsqueeze
from .ops.copy import clone
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)
from . import autograd
from ._tensor_str import get_printoptions, set_printoptions

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def __getattr__(name):
    # heavier submodules load on first use, keeping `import ember` fast
    import importlib

    if name in ("nn", "optim", "utils", "cuda", "backends", "accelerator", "testing"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
