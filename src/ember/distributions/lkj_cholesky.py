"""The LKJ distribution over lower Cholesky factors of correlation matrices."""

import math

from . import _ops as ops
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """The LKJ distribution (Lewandowski, Kurowicka and Joe, 2009) over lower Cholesky factors
    L of ``dim`` x ``dim`` correlation matrices: the density of M = L L^T is proportional to
    det(M)^(concentration - 1), so ``concentration`` 1 is uniform over correlation matrices.

    Sampling is the onion method: the squared norm of each row's off-diagonal part is a Beta
    draw and its direction a normalized normal vector. The Beta draws come from ember's gamma
    sampler (see ``_samplers``), so the samples follow the distribution but are not PyTorch's
    numbers for the same seed."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = ops.Size((dim, dim))
        # row i (i >= 1) has y_i ~ Beta(i / 2, concentration + (dim - 2) / 2 - (i - 1) / 2);
        # row 0 gets a placeholder Beta(1/2, ...) whose draw is multiplied by zero
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = ops.arange(self.dim - 1, dtype=self.concentration.dtype,
                            device=self.concentration.device)
        offset = ops.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = ops.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = ops.randn(self._extended_shape(sample_shape), dtype=y.dtype,
                             device=y.device).tril(-1)
        u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
        u_hypersphere[..., 0, :].fill_(0.0)  # row 0 is 0 / 0
        w = y.sqrt() * u_hypersphere
        tiny = ops.finfo(w.dtype).tiny
        diag = (1 - (w ** 2).sum(-1)).clamp(min=tiny).sqrt()
        return w + ops.diag_embed(diag)

    def log_prob(self, value):
        # the normalizing constant is that of the LKJ distribution over correlation matrices
        # (Lewandowski et al., eq. 16), in the form of Stan's lkj_corr_cholesky
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = ops.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalize = (0.5 * dm1 * math.log(math.pi) + ops.mvlgamma(alpha - 0.5, dm1)
                     - ops.lgamma(alpha) * dm1)
        return unnormalized - normalize
