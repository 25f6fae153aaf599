"""The ember functions and types the distributions are written with, gathered from ember's own
modules under their public names (modules inside ember do not import the root package)."""

from .. import linalg
from .._dtype import bool, finfo, float64, get_default_dtype, long
from .._tensor import Size, Tensor
from ..autograd import Function
from ..autograd import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, no_grad
from ..ops.activation import log_softmax, softmax
from ..ops.composite import broadcast_shapes, broadcast_tensors, diag_embed, tril_indices
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
from ..ops.decomposition import cholesky_inverse, cholesky_solve
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
                            maximum,
                            rsqrt,
                            sigmoid,
                            tan,
                            tanh,
                            where,
                            xlogy,
)
from ..ops.gamma import digamma, erfinv, lgamma, mvlgamma
from ..ops.linalg import einsum, matmul
from ..ops.random import bernoulli, multinomial, normal, rand, randint, randn
from ..ops.reduction import all, cumsum
from ..ops.shape import cat, flip, stack, transpose
from ..ops.special_fns import special_gammainc as gammainc

__all__ = [
    "abs", "all", "arange", "as_tensor", "atan", "atanh", "autograd_grad", "bernoulli", "bool",
    "broadcast_shapes", "broadcast_tensors", "cat", "cholesky_inverse", "cholesky_solve", "clamp",
    "cumsum", "diag_embed", "digamma", "einsum", "enable_grad", "erf", "erfinv", "exp", "expm1",
    "eye", "finfo", "flip", "float64", "from_numpy", "full", "full_like", "Function", "gammainc",
    "get_default_dtype", "isclose", "lgamma", "linalg", "log", "log1p", "log_softmax", "logit",
    "long", "matmul", "maximum", "multinomial", "mvlgamma", "no_grad", "normal", "ones",
    "ones_like", "rand", "randint", "randn", "rsqrt", "sigmoid", "Size", "softmax", "stack", "tan",
    "tanh", "Tensor", "tensor", "transpose", "tril_indices", "where", "xlogy", "zeros",
    "zeros_like",
]
