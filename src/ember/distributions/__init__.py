"""``torch.distributions``: probability distributions with sampling, (reparameterized)
rsample, log_prob, entropy and the KL divergence, built on ember's differentiable ops.

Samples drawn with rand/randn/normal/bernoulli/multinomial/exponential_/cauchy_ reproduce
PyTorch's numbers for the same seed. The gamma, Dirichlet, Poisson and binomial draws (and
those built on them) follow the right distributions with NumPy's generators seeded from
ember's, not PyTorch's numbers (see ``_samplers``).
"""

from . import (
               bernoulli,
               beta,
               binomial,
               categorical,
               cauchy,
               chi2,
               constraint_registry,
               constraints,
               dirichlet,
               distribution,
               exp_family,
               exponential,
               gamma,
               geometric,
               gumbel,
               half_cauchy,
               half_normal,
               independent,
               kl,
               laplace,
               log_normal,
               multivariate_normal,
               normal,
               one_hot_categorical,
               poisson,
               studentT,
               transformed_distribution,
               transforms,
               uniform,
               utils,
)
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .constraint_registry import biject_to, transform_to
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .poisson import Poisson
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transforms_all
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
    "Distribution", "Exponential", "ExponentialFamily", "Gamma", "Geometric", "Gumbel",
    "HalfCauchy", "HalfNormal", "Independent", "Laplace", "LogNormal", "MultivariateNormal",
    "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Poisson", "StudentT",
    "TransformedDistribution", "Uniform", "biject_to", "kl_divergence", "register_kl",
    "transform_to",
]
__all__.extend(_transforms_all)

_ = (bernoulli, beta, binomial, categorical, cauchy, chi2, constraint_registry, constraints,
     dirichlet, distribution, exp_family, exponential, gamma, geometric, gumbel, half_cauchy,
     half_normal, independent, kl, laplace, log_normal, multivariate_normal, normal,
     one_hot_categorical, poisson, studentT, transformed_distribution, transforms, uniform,
     utils)
