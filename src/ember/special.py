"""``torch.special``: the special functions under their SciPy-style names.

Most are ember's ops under a second name; ``ndtr``, ``entr`` and ``xlog1py`` are written with
other ops (their gradients, tangents and batching are those ops'), ``entr`` and ``xlog1py``
recorded as the one node of PyTorch's kernel. The Bessel, incomplete
gamma, zeta and polynomial families are ops/special_fns.py's ``special_*`` ops.
"""

import math

from . import _dtype
from ._tensor import Tensor
from .autograd.graph import name_saved
from .ops import elementwise as _ew
from .ops import special_fns as _sf
from .ops._nn_common import as_kernel, kernel_node
from .ops._op import check_tensor
from .ops.activation import log_softmax, softmax
from .ops.creation import tensor as _tensor
from .ops.elementwise import erf, erfc, exp2, expm1, log1p, logit, sinc, xlogy
from .ops.elementwise import round as _round
from .ops.elementwise import sigmoid as expit
from .ops.gamma import call_arg, digamma, erfinv, mvlgamma, polygamma
from .ops.gamma import digamma as psi
from .ops.gamma import lgamma as gammaln
from .ops.reduction import logsumexp

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "log1p", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "polygamma",
           "psi", "round", "sinc", "softmax", "xlog1py", "xlogy",
           *(n[len("special_"):] for n in _sf.__all__ if n.startswith("special_"))]
globals().update({n[len("special_"):]: getattr(_sf, n) for n in _sf.__all__
                  if n.startswith("special_")})

_ = (erf, exp2, expm1, log1p, logit, sinc, xlogy, log_softmax, softmax, logsumexp,
     digamma, erfinv, polygamma, psi, gammaln)


def round(input, *, decimals=0, out=None):  # noqa: A001
    """torch.special.round: torch.round with its decimals overload always (RoundBackward1)."""
    return _round(input, decimals=decimals, out=out)


def multigammaln(input, p):
    """The multivariate log-gamma function (``torch.mvlgamma``)."""
    return mvlgamma(input, p)


def ndtr(input):
    """The standard normal distribution function: (1 + erf(x / sqrt(2))) / 2, computed
    (and recorded) as PyTorch composes it, with its Scalar overloads (the dtypes those do not
    compute fall back to the operators: promotion, or PyTorch's refusal)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "special_ndtr")
    erfs = erf(_ew.mul_scalar(input, math.sqrt(0.5)))
    return _ew.mul_scalar(_ew.add_scalar(erfs, 1), 0.5)


_K_entr = kernel_node("SpecialEntrBackward0")  # PyTorch's kernels: one node each
_K_xlog1py = [kernel_node(f"SpecialXlog1PyBackward{k}") for k in range(3)]
name_saved(_K_entr, self=call_arg(0))
# SpecialXlog1PyBackward1 and 2 took a number (a Scalar) as self or other
for _k, _cls in enumerate(_K_xlog1py):
    name_saved(_cls, self=call_arg(0, _k == 1), other=call_arg(1, _k == 2))


def entr(input):
    """-x log(x) for x > 0, 0 at 0, -inf below."""
    return as_kernel(_K_entr, (input,), _entr, input)


def _entr(input):
    if not input.is_floating_point():  # integers compute in the default float dtype
        input = input.to(_dtype.get_default_dtype())
    positive = input > 0
    safe = _ew.where(positive, input, 1.0)
    inner = -safe * safe.log()
    return _ew.where(positive, inner, _ew.where(input == 0, 0.0, -math.inf)).to(inner.dtype)


def xlog1py(input, other):
    """x * log1p(y), 0 where x == 0 (unless y is nan)."""
    kind = 1 if not isinstance(input, Tensor) else 2 if not isinstance(other, Tensor) else 0
    if not isinstance(input, Tensor):
        input = _tensor(input, dtype=other.dtype if isinstance(other, Tensor) and
                        other.is_floating_point() else None)
    if not isinstance(other, Tensor):
        other = _tensor(other, dtype=input.dtype if input.is_floating_point() else None)
    return as_kernel(_K_xlog1py[kind], (input, other)[kind == 1:2 - (kind == 2)], _xlog1py,
                     input, other)


def _xlog1py(input, other):
    zero = input == 0
    safe = _ew.where(zero, 0.0, other)
    out = _ew.where(zero, 0.0, input * safe.log1p())
    return _ew.where(other.isnan(), other, out) if other.is_floating_point() else out
