"""``torch.distributions``: probability distributions with sampling, (reparameterized)
rsample, log_prob, entropy and the KL divergence, built on ember's differentiable ops.

Samples drawn with rand/randn/normal/bernoulli/multinomial/exponential_/cauchy_ reproduce
PyTorch's numbers for the same seed (VonMises' rejection sampler included). The gamma,
Dirichlet, Poisson and binomial draws (and those built on them: Beta, Chi2, LKJCholesky,
Wishart, ...) follow the right distributions with NumPy's generators seeded from ember's, not
PyTorch's numbers (see ``_samplers``).
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
               continuous_bernoulli,
               dirichlet,
               distribution,
               exp_family,
               exponential,
               fishersnedecor,
               gamma,
               generalized_pareto,
               geometric,
               gumbel,
               half_cauchy,
               half_normal,
               independent,
               inverse_gamma,
               kl,
               kumaraswamy,
               laplace,
               lkj_cholesky,
               log_normal,
               logistic_normal,
               lowrank_multivariate_normal,
               mixture_same_family,
               multinomial,
               multivariate_normal,
               negative_binomial,
               normal,
               one_hot_categorical,
               pareto,
               poisson,
               relaxed_bernoulli,
               relaxed_categorical,
               studentT,
               transformed_distribution,
               transforms,
               uniform,
               utils,
               von_mises,
               weibull,
               wishart,
)
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .fishersnedecor import FisherSnedecor
from .gamma import Gamma
from .generalized_pareto import GeneralizedPareto
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kl import kl_divergence, register_kl
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from .lkj_cholesky import LKJCholesky
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .pareto import Pareto
from .poisson import Poisson
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transforms_all
from .uniform import Uniform
from .von_mises import VonMises
from .weibull import Weibull
from .wishart import Wishart

__all__ = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
    "Distribution", "Exponential", "ExponentialFamily", "Gamma", "Geometric", "Gumbel",
    "HalfCauchy", "HalfNormal", "Independent", "Laplace", "LogNormal", "MultivariateNormal",
    "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Poisson", "StudentT",
    "TransformedDistribution", "Uniform", "biject_to", "kl_divergence", "register_kl",
    "transform_to", "FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy",
    "LogisticNormal", "MixtureSameFamily", "Multinomial", "NegativeBinomial", "Pareto",
    "RelaxedBernoulli", "RelaxedOneHotCategorical", "Weibull", "ContinuousBernoulli",
    "LKJCholesky", "LowRankMultivariateNormal", "VonMises", "Wishart",
]
__all__.extend(_transforms_all)

_ = (bernoulli, beta, binomial, categorical, cauchy, chi2, constraint_registry, constraints,
     dirichlet, distribution, exp_family, exponential, fishersnedecor, gamma,
     generalized_pareto, geometric, gumbel, half_cauchy, half_normal, independent,
     inverse_gamma, kl, kumaraswamy, laplace, log_normal, logistic_normal, mixture_same_family,
     multinomial, multivariate_normal, negative_binomial, normal, one_hot_categorical, pareto,
     poisson, relaxed_bernoulli, relaxed_categorical, studentT, transformed_distribution,
     transforms, uniform, utils, weibull, continuous_bernoulli, lkj_cholesky,
     lowrank_multivariate_normal, von_mises, wishart)
