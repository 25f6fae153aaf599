"""ember.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal as
parametrizations (nn.utils.parametrize): the weight is computed from
``parametrizations.weight.original0/1`` (g and v), from ``parametrizations.weight.original``
with the power iteration's vectors ``parametrizations.weight.0._u`` / ``_v``, or, for
orthogonal, from ``original`` by the matrix exponential, the Cayley map or a product of
Householder reflectors (times the stored orthogonal ``base`` under the dynamic trivialization)."""

import enum

from ... import autograd
from ..._dtype import finfo
from ..._tensor import Tensor
from ...ops import creation as _creation
from ...ops import decomposition as _decomposition
from ...ops import elementwise as _elementwise
from ...ops import linalg as _linalg
from ...ops import random as _random
from ...ops import shape as _shape
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _default_dim, _normalize
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Parametrize module's tensor name as g * v / ||v|| (original0 = g, original1 = v; the
    norm over every dimension but dim, over all when dim is None); returns module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", _normalize(u, self.eps))
            self.register_buffer("_v", _normalize(v, self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        with autograd.no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(_normalize(_linalg.mv(weight_mat, self._v), self.eps))
                self._v.copy_(_normalize(_linalg.mv(weight_mat.mH, self._u), self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return _normalize(weight, self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = _linalg.vdot(u, _linalg.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrize module's tensor name as itself divided by its largest singular value
    (estimated by power iteration, in training mode on every access); returns module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# -- orthogonal ---------------------------------------------------------------------------------
def _is_orthogonal(Q):
    """Q^H Q is the identity to within 10 n eps."""
    n, k = Q.size(-2), Q.size(-1)
    eye = _creation.eye(k, dtype=Q.dtype)
    return _elementwise.allclose(Q.mH @ Q, eye, atol=10.0 * n * finfo(Q.dtype).eps)


def _make_orthogonal(A):
    """The Q of A = QR (A tall) with R's diagonal real and non-negative."""
    X, tau = _decomposition.geqrf(A)
    Q = _decomposition.linalg_householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(enum.Enum):
    matrix_exp = enum.auto()
    cayley = enum.auto()
    householder = enum.auto()


class _Orthogonal(Module):
    """X -> an orthogonal (or unitary) matrix of X's shape, with orthonormal columns if X is
    tall and orthonormal rows if it is wide; batched over the leading dimensions."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        # a complex unitary matrix has more parameters than the strictly lower triangle of
        # Householder reflectors can hold
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        wide = n < k
        if wide:
            X, n, k = X.mT, k, n
        if self.orthogonal_map == _OrthMaps.householder:
            # reflectors below the diagonal; the diagonal (+-1, never trained) signs the columns
            A = _shape.tril(X, -1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _decomposition.linalg_householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            # a skew-symmetric (skew-Hermitian) A from the lower triangle, padded to n x n
            L = _shape.tril(X)
            if n != k:
                pad = L.new_zeros(n, n - k).expand(*L.shape[:-2], -1, -1)
                L = _shape.cat([L, pad], dim=-1)
            A = L - L.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _decomposition.matrix_exp(A)
            else:  # the Cayley map (I + A/2)(I - A/2)^-1
                eye = _creation.eye(n, dtype=A.dtype)
                Q = _decomposition.linalg_solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if wide else Q

    def right_inverse(self, Q):
        with autograd.no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        wide = n < k
        if wide:
            Q, n, k = Q.mT, k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False.")
            # the reflectors of Q's QR factorization, with R's diagonal signs on the diagonal
            # (flipped where LAPACK used no reflection, tau = 0)
            A, tau = _decomposition.geqrf(Q)
            diag = A.diagonal(dim1=-2, dim2=-1)
            signs = diag.sign()
            diag.copy_(_elementwise.where(tau == 0.0, -signs, signs))
            return A.mT if wide else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:  # completed to an n x n orthogonal matrix with random columns
            N = _random.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(_shape.cat([Q, N], dim=-1))
        self.base = Q
        # -I, which every map sends to I: its reflectors are all zero and its diagonal -1 (the
        # Householder map), its skew-symmetric part is zero (the matrix exponential, Cayley)
        neg_id = _creation.zeros_like(Q_init)
        neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize module's matrix (or batch of matrices) ``name`` as orthogonal (unitary if
    complex): orthogonal_map "matrix_exp", "cayley" or "householder" (by default matrix_exp
    for a square or complex matrix, householder otherwise); with use_trivialization (the
    default) the map's result multiplies a stored orthogonal ``base``, which assignments to
    the weight set. Returns module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
