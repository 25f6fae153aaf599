"""The ember functions and types the distributions are written with, gathered from ember's own
modules under their public names (modules inside ember do not import the root package)."""

from .. import linalg
from .._dtype import bool, finfo, float64, get_default_dtype, long
from .._tensor import Size, Tensor
from ..autograd import Function
from ..autograd import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, no_grad
from ..ops.activation import log_softmax, softmax
from ..ops.composite import broadcast_shapes, broadcast_tensors
from ..ops.creation import (
                            arange,
                            as_tensor,
                            eye,
                            from_numpy,
                            full,
                            full_like,
                            ones,
                            ones_like,
                            tensor,
                            zeros,
                            zeros_like,
)
from ..ops.decomposition import cholesky_inverse
from ..ops.elementwise import (
                            abs,
                            atan,
                            atanh,
                            clamp,
                            erf,
                            exp,
                            expm1,
                            isclose,
                            log,
                            log1p,
                            logit,
                            rsqrt,
                            sigmoid,
                            tan,
                            tanh,
                            where,
                            xlogy,
)
from ..ops.gamma import digamma, erfinv, lgamma
from ..ops.linalg import matmul
from ..ops.random import bernoulli, multinomial, normal, rand, randint
from ..ops.reduction import all, cumsum
from ..ops.shape import cat, flip, stack, transpose

__all__ = [
    "Function", "Size", "Tensor", "abs", "all", "arange", "as_tensor", "atan", "atanh",
    "autograd_grad", "bernoulli", "bool", "broadcast_shapes", "broadcast_tensors", "cat",
    "cholesky_inverse", "clamp", "cumsum", "digamma", "enable_grad", "erf", "erfinv", "exp",
    "expm1", "eye", "finfo", "flip", "float64", "from_numpy", "full", "full_like",
    "get_default_dtype", "isclose", "lgamma", "linalg", "log", "log1p", "log_softmax", "logit",
    "long",
    "matmul", "multinomial", "no_grad", "normal", "ones", "ones_like", "rand", "randint",
    "rsqrt", "sigmoid", "softmax", "stack", "tan", "tanh", "tensor", "transpose", "where",
    "xlogy", "zeros", "zeros_like",
]
