"""The gamma distribution."""

from numbers import Number

from . import _ops as ops
from . import constraints
from ._samplers import standard_gamma
from .exp_family import ExponentialFamily
from .utils import _expand_params, _finish_expand, broadcast_all

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """Density rate^c x^(c-1) exp(-rate x) / Gamma(c), with c the ``concentration``.

    ``rsample`` is reparameterized (implicit gradient in the concentration); its draws come
    from NumPy's gamma sampler seeded from ember's generator (see ``_samplers``), so they follow
    the gamma distribution but are not PyTorch's numbers for the same seed."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, Number) and isinstance(rate, Number):
            batch_shape = ops.Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new, batch_shape = _expand_params(self, Gamma, batch_shape, _instance,
                                          ("concentration", "rate"))
        return _finish_expand(self, Gamma, new, batch_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=ops.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        value = ops.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (ops.xlogy(self.concentration, self.rate)
                + ops.xlogy(self.concentration - 1, value)
                - self.rate * value - ops.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - ops.log(self.rate) + ops.lgamma(self.concentration)
                + (1.0 - self.concentration) * ops.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return ops.lgamma(x + 1) + (x + 1) * ops.log(-y.reciprocal())

    def cdf(self, value):
        """P(concentration, rate * value), the regularized lower incomplete gamma function
        (``special.gammainc``): differentiable in ``rate`` and ``value``; as in PyTorch, a
        backward into a concentration that requires grad raises NotImplementedError."""
        if self._validate_args:
            self._validate_sample(value)
        return ops.gammainc(self.concentration, self.rate * value)
