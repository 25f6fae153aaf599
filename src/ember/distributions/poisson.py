"""The Poisson distribution."""

from numbers import Number

from . import _ops as ops
from . import constraints
from ._samplers import poisson
from .exp_family import ExponentialFamily
from .utils import _expand_params, _finish_expand, broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """P(k) = rate^k exp(-rate) / k!.

    Sampling draws with NumPy's generator seeded from ember's (see ``_samplers``): the values
    follow the Poisson distribution but are not PyTorch's numbers for the same seed."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = ops.Size() if isinstance(rate, Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new, batch_shape = _expand_params(self, Poisson, batch_shape, _instance, ("rate",))
        return _finish_expand(self, Poisson, new, batch_shape)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with ops.no_grad():
            return poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()

    @property
    def _natural_params(self):
        return (ops.log(self.rate),)

    def _log_normalizer(self, x):
        return ops.exp(x)
