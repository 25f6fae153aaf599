"""The generalized Pareto distribution."""

import math
from numbers import Number, Real

from . import _ops as ops
from . import constraints
from .distribution import Distribution
from .utils import _expand_params, _finish_expand, broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Survival function (1 + c z)^(-1/c) of z = (x - loc) / scale, with c the
    ``concentration`` (exp(-z) at c = 0). ``rsample`` inverts the cdf of a uniform draw."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        if all(isinstance(v, Number) for v in (loc, scale, concentration)):
            batch_shape = ops.Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new, batch_shape = _expand_params(self, GeneralizedPareto, batch_shape, _instance,
                                          ("loc", "scale", "concentration"))
        return _finish_expand(self, GeneralizedPareto, new, batch_shape)

    def _safe(self):
        """(c == 0, c with 1 where c == 0): the two branches computed without 0/0."""
        c = self.concentration
        is_zero = ops.isclose(c, ops.zeros_like(c))
        return is_zero, ops.where(is_zero, ops.ones_like(c), c)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(ops.rand(shape, dtype=self.loc.dtype, device=self.loc.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        is_zero, c = self._safe()
        power = 1 / c + ops.ones_like(z)
        general = ops.where(power == 0, power, power * ops.log1p(c * z))
        log_scale = math.log(self.scale) if isinstance(self.scale, Real) else self.scale.log()
        return -log_scale - ops.where(is_zero, z, general)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        is_zero, c = self._safe()
        return ops.where(is_zero, -z, -ops.log1p(c * z) / c)

    def log_cdf(self, value):
        return ops.log1p(-ops.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return ops.exp(self.log_cdf(value))

    def icdf(self, value):
        is_zero, c = self._safe()
        log_1mu = ops.log1p(-value)
        general = self.loc + self.scale / c * ops.expm1(-c * log_1mu)
        return ops.where(is_zero, self.loc - self.scale * log_1mu, general)

    @property
    def mean(self):
        finite = self.concentration < 1
        c = ops.where(finite, self.concentration, 0.5)
        return ops.where(finite, self.loc + self.scale / (1 - c), math.nan)

    @property
    def variance(self):
        finite = self.concentration < 0.5
        c = ops.where(finite, self.concentration, 0.25)
        return ops.where(finite, self.scale ** 2 / ((1 - c) ** 2 * (1 - 2 * c)), math.nan)

    def entropy(self):
        return (ops.log(self.scale) + self.concentration + 1).broadcast_to(self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = ops.where(self.concentration < 0, self.loc - self.scale / self.concentration,
                          math.inf)
        return constraints.interval(self.loc, upper)
