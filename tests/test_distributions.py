"""torch.distributions parity: every family against PyTorch (shapes, moments, entropy,
log_prob and its gradients, cdf/icdf, samples under the same seed, expand, errors), the
KL divergences, the transforms and the constraint registry."""

import math
import warnings

import numpy as np
import pytest
import torch
from tests.parity import assert_same, same_error

import ember

ED = ember.distributions
TD = torch.distributions


@pytest.fixture(autouse=True)
def _pytorch_validates_arguments():
    """torch.compile (run by other test files) turns PyTorch's argument validation off for the
    rest of the process: the oracle validates as it does by default."""
    before = TD.Distribution._validate_args
    TD.Distribution.set_default_validate_args(True)
    yield
    TD.Distribution.set_default_validate_args(before)


def _t(lib, value, grad):
    t = lib.tensor(np.asarray(value, dtype=np.float64))
    return t.requires_grad_() if grad else t


def _pd():
    """A batch of 2 positive definite 3 x 3 matrices."""
    a = np.array([[[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]],
                  [[1.0, 0.2, 0.0], [0.2, 2.0, 0.4], [0.0, 0.4, 3.0]]])
    return a


# name -> (builder(D, params), params {name: (values, differentiable)}, sampling)
# sampling: "exact" (the same numbers as PyTorch), "stat" (another generator), None
CASES = {
    "Normal": (lambda D, p: D.Normal(p["loc"], p["scale"]),
               {"loc": ([0.5, -1.0, 2.0], True), "scale": ([1.0, 0.5, 2.0], True)}, "exact"),
    "Bernoulli": (lambda D, p: D.Bernoulli(probs=p["probs"]),
                  {"probs": ([0.2, 0.5, 0.9], True)}, "exact"),
    "BernoulliLogits": (lambda D, p: D.Bernoulli(logits=p["logits"]),
                        {"logits": ([-1.0, 0.0, 2.0], True)}, "exact"),
    "Categorical": (lambda D, p: D.Categorical(probs=p["probs"]),
                    {"probs": ([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], True)}, "exact"),
    "CategoricalLogits": (lambda D, p: D.Categorical(logits=p["logits"]),
                          {"logits": ([[0.2, -1.3, 0.5, 2.0]], True)}, "exact"),
    "OneHotCategorical": (lambda D, p: D.OneHotCategorical(probs=p["probs"]),
                          {"probs": ([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], True)}, "exact"),
    "OneHotCategoricalStraightThrough": (
        lambda D, p: D.OneHotCategoricalStraightThrough(logits=p["logits"]),
        {"logits": ([[0.2, -1.3, 0.5]], True)}, "exact"),
    "Uniform": (lambda D, p: D.Uniform(p["low"], p["high"]),
                {"low": ([0.0, -1.0], True), "high": ([1.0, 3.0], True)}, "exact"),
    "Exponential": (lambda D, p: D.Exponential(p["rate"]),
                    {"rate": ([0.5, 1.0, 3.0], True)}, "exact"),
    "Laplace": (lambda D, p: D.Laplace(p["loc"], p["scale"]),
                {"loc": ([0.5, -1.0], True), "scale": ([1.0, 2.0], True)}, "exact"),
    "Cauchy": (lambda D, p: D.Cauchy(p["loc"], p["scale"]),
               {"loc": ([0.5, -1.0], True), "scale": ([1.0, 2.0], True)}, "exact"),
    "Gumbel": (lambda D, p: D.Gumbel(p["loc"], p["scale"]),
               {"loc": ([0.5, -1.0], True), "scale": ([1.0, 2.0], True)}, "exact"),
    "LogNormal": (lambda D, p: D.LogNormal(p["loc"], p["scale"]),
                  {"loc": ([0.5, -1.0], True), "scale": ([1.0, 0.5], True)}, "exact"),
    "HalfNormal": (lambda D, p: D.HalfNormal(p["scale"]), {"scale": ([1.0, 0.5], True)},
                   "exact"),
    "HalfCauchy": (lambda D, p: D.HalfCauchy(p["scale"]), {"scale": ([1.0, 0.5], True)},
                   "exact"),
    "Geometric": (lambda D, p: D.Geometric(probs=p["probs"]),
                  {"probs": ([0.2, 0.5, 0.9], True)}, "exact"),
    "Poisson": (lambda D, p: D.Poisson(p["rate"]), {"rate": ([0.5, 4.0, 20.0], True)}, "stat"),
    "Binomial": (lambda D, p: D.Binomial(p["n"], probs=p["probs"]),
                 {"n": ([10.0, 10.0], False), "probs": ([0.2, 0.7], True)}, "stat"),
    "Gamma": (lambda D, p: D.Gamma(p["c"], p["rate"]),
              {"c": ([0.5, 2.0, 7.0], True), "rate": ([1.0, 0.5, 3.0], True)}, "stat"),
    "Chi2": (lambda D, p: D.Chi2(p["df"]), {"df": ([1.0, 3.0, 10.0], True)}, "stat"),
    "Beta": (lambda D, p: D.Beta(p["a"], p["b"]),
             {"a": ([0.5, 2.0, 3.0], True), "b": ([1.5, 2.0, 0.7], True)}, "stat"),
    "Dirichlet": (lambda D, p: D.Dirichlet(p["c"]),
                  {"c": ([[0.5, 2.0, 3.0], [1.0, 1.0, 4.0]], True)}, "stat"),
    "StudentT": (lambda D, p: D.StudentT(p["df"], p["loc"], p["scale"]),
                 {"df": ([0.8, 1.5, 5.0], True), "loc": ([0.0, 1.0, -1.0], True),
                  "scale": ([1.0, 2.0, 0.5], True)}, "stat"),
    "MultivariateNormal": (
        lambda D, p: D.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
        {"loc": ([[0.0, 1.0, -1.0], [0.5, 0.5, 0.5]], True), "cov": (_pd(), True)}, "exact"),
    "MultivariateNormalTril": (
        lambda D, p: D.MultivariateNormal(p["loc"], scale_tril=p["tril"]),
        {"loc": ([0.0, 1.0, -1.0], True),
         "tril": (np.linalg.cholesky(_pd()), True)}, "exact"),
    "MultivariateNormalPrecision": (
        lambda D, p: D.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
        {"loc": ([0.0, 1.0, -1.0], True), "prec": (_pd()[0], True)}, "exact"),
    "Independent": (lambda D, p: D.Independent(D.Normal(p["loc"], p["scale"]), 1),
                    {"loc": ([[0.5, -1.0], [0.0, 1.0]], True),
                     "scale": ([[1.0, 0.5], [2.0, 1.0]], True)}, "exact"),
    "Pareto": (lambda D, p: D.Pareto(p["scale"], p["alpha"]),
               {"scale": ([1.0, 2.0], True), "alpha": ([0.8, 3.0], True)}, "exact"),
    "Weibull": (lambda D, p: D.Weibull(p["scale"], p["c"]),
                {"scale": ([1.0, 2.0], True), "c": ([0.8, 3.0], True)}, "exact"),
    "Kumaraswamy": (lambda D, p: D.Kumaraswamy(p["a"], p["b"]),
                    {"a": ([0.8, 3.0], True), "b": ([2.0, 1.5], True)}, "exact"),
    "InverseGamma": (lambda D, p: D.InverseGamma(p["c"], p["rate"]),
                     {"c": ([1.5, 3.0, 6.0], True), "rate": ([1.0, 2.0, 0.5], True)}, "stat"),
    "FisherSnedecor": (lambda D, p: D.FisherSnedecor(p["d1"], p["d2"]),
                       {"d1": ([3.0, 10.0], True), "d2": ([5.0, 12.0], True)}, "stat"),
    "LogisticNormal": (lambda D, p: D.LogisticNormal(p["loc"], p["scale"]),
                       {"loc": ([0.5, -1.0], True), "scale": ([1.0, 0.5], True)}, "exact"),
    "RelaxedBernoulli": (lambda D, p: D.RelaxedBernoulli(p["t"], probs=p["probs"]),
                         {"t": (0.7, True), "probs": ([0.2, 0.6], True)}, "exact"),
    "RelaxedOneHotCategorical": (
        lambda D, p: D.RelaxedOneHotCategorical(p["t"], logits=p["logits"]),
        {"t": (0.7, True), "logits": ([[0.2, -1.0, 0.5]], True)}, "exact"),
    "Multinomial": (lambda D, p: D.Multinomial(5, probs=p["probs"]),
                    {"probs": ([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], True)}, "exact"),
    "NegativeBinomial": (lambda D, p: D.NegativeBinomial(p["n"], probs=p["probs"]),
                         {"n": ([3.0, 5.0], True), "probs": ([0.3, 0.6], True)}, "stat"),
    "MixtureSameFamily": (
        lambda D, p: D.MixtureSameFamily(D.Categorical(logits=p["w"]),
                                         D.Normal(p["loc"], p["scale"])),
        {"w": ([[0.2, -1.0, 0.5]], True), "loc": ([[0.0, 2.0, -1.0]], True),
         "scale": ([[1.0, 0.5, 2.0]], True)}, "exact"),
    # probs 0.5 lies in the region where the constant and moments are Taylor expansions
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(probs=p["probs"]),
                            {"probs": ([0.2, 0.5, 0.9], True)}, "exact"),
    "ContinuousBernoulliLogits": (lambda D, p: D.ContinuousBernoulli(logits=p["logits"]),
                                  {"logits": ([-1.0, 0.001, 2.0], True)}, "exact"),
    "VonMises": (lambda D, p: D.VonMises(p["loc"], p["c"]),
                 {"loc": ([0.5, -1.0, 3.0], True), "c": ([0.5, 2.0, 8.0], True)}, "exact"),
    "LowRankMultivariateNormal": (
        lambda D, p: D.LowRankMultivariateNormal(p["loc"], p["W"], p["d"]),
        {"loc": ([[0.0, 1.0, -1.0], [0.5, 0.5, 0.5]], True),
         "W": ([[1.0, 0.2], [0.3, -0.5], [0.0, 0.7]], True),
         "d": ([1.0, 0.5, 2.0], True)}, "exact"),
    "LKJCholesky": (lambda D, p: D.LKJCholesky(3, p["c"]), {"c": ([0.5, 2.0], True)}, None),
    "Wishart": (lambda D, p: D.Wishart(p["df"], covariance_matrix=p["cov"]),
                {"df": ([4.0, 6.5], True), "cov": (_pd(), True)}, "stat"),
    "WishartTril": (lambda D, p: D.Wishart(p["df"], scale_tril=p["tril"]),
                    {"df": (5.0, True), "tril": (np.linalg.cholesky(_pd()[0]), True)}, "stat"),
    "WishartPrecision": (lambda D, p: D.Wishart(p["df"], precision_matrix=p["prec"]),
                         {"df": ([3.5], True), "prec": (_pd()[1], True)}, None),
}


def _build(lib, name, grad=True):
    builder, params, _ = CASES[name]
    p = {k: _t(lib, v, grad and g) for k, (v, g) in params.items()}
    return builder(lib.distributions, p), p


def _both(name, grad=True):
    e, ep = _build(ember, name, grad)
    t, tp = _build(torch, name, grad)
    return e, ep, t, tp


def _value(name, shape=(3,)):
    """Values in the support: PyTorch's samples under seed 0 (torch and ember copies)."""
    t, _ = _build(torch, name, grad=False)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Singular sample detected")  # PyTorch's Wishart
        v = t.sample(shape)
    return ember.from_numpy(v.numpy().copy()), v


def _same_or_same_error(fe, ft, **kw):
    try:
        rt = ft()
    except (NotImplementedError, ValueError) as exc:
        with pytest.raises(type(exc)):
            fe()
        return
    assert_same(fe(), rt, **kw)


@pytest.mark.parametrize("name", list(CASES))
def test_shapes_repr_and_moments(name):
    e, _, t, _ = _both(name)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert repr(e.support) == repr(t.support).replace("torch.", "ember.")
    assert e.has_rsample == t.has_rsample
    assert e.has_enumerate_support == t.has_enumerate_support
    for attr in ("mean", "mode", "variance", "stddev"):
        _same_or_same_error(lambda: getattr(e, attr), lambda: getattr(t, attr))
    _same_or_same_error(e.entropy, t.entropy)
    _same_or_same_error(e.perplexity, t.perplexity)


@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_and_gradients(name):
    e, ep, t, tp = _both(name)
    ev, tv = _value(name)
    le, lt = e.log_prob(ev), t.log_prob(tv)
    assert_same(le, lt, rtol=1e-9, atol=1e-10)
    try:
        ht = t.entropy().sum()
    except NotImplementedError:
        ht, he = 0.0, 0.0
    else:
        he = e.entropy().sum()
    (lt.sum() + ht).backward()
    (le.sum() + he).backward()
    for k in tp:
        if tp[k].requires_grad:
            assert_same(ep[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_cdf_icdf(name):
    e, _, t, _ = _both(name, grad=False)
    ev, tv = _value(name)
    _same_or_same_error(lambda: e.cdf(ev), lambda: t.cdf(tv), rtol=1e-9, atol=1e-10)
    q = np.array([0.1, 0.5, 0.8])[:, None] * np.ones(tuple(t.batch_shape))
    _same_or_same_error(lambda: e.icdf(ember.tensor(q)), lambda: t.icdf(torch.tensor(q)),
                        rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][2] == "exact"])
def test_samples_equal_pytorch_under_the_same_seed(name):
    e, ep, t, tp = _both(name)
    for method in ("sample", "rsample") if t.has_rsample else ("sample",):
        torch.manual_seed(3)
        ember.manual_seed(3)
        st = getattr(t, method)((4,))
        se = getattr(e, method)((4,))
        assert_same(se, st, rtol=1e-9, atol=1e-10)
        assert se.requires_grad == st.requires_grad
    if t.has_rsample:
        torch.manual_seed(3)
        ember.manual_seed(3)
        (t.rsample((5,)) ** 2).sum().backward()
        (e.rsample((5,)) ** 2).sum().backward()
        for k in tp:
            if tp[k].grad is not None:
                assert_same(ep[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][2] == "stat"])
def test_samples_follow_the_distribution(name):
    e, _, t, _ = _both(name, grad=False)
    ember.manual_seed(1)
    s = e.sample((4000,))
    assert tuple(s.shape) == (4000,) + tuple(t.batch_shape) + tuple(t.event_shape)
    assert s.dtype == ember.float64
    assert bool(t.support.check(torch.from_numpy(s.numpy().copy())).all())
    mean = t.mean
    finite = torch.isfinite(t.variance)
    se = (t.variance / 4000).sqrt()
    z = ((torch.from_numpy(s.numpy().mean(0)) - mean) / se)[finite]
    assert bool((z.abs() < 5).all()), z
    ember.manual_seed(2)
    a = e.sample((3,))
    ember.manual_seed(2)
    assert_same(e.sample((3,)), torch.from_numpy(a.numpy().copy()))  # reproducible
    assert not np.array_equal(e.sample((3,)).numpy(), a.numpy())


@pytest.mark.parametrize("name", list(CASES))
def test_expand(name):
    e, _, t, _ = _both(name, grad=False)
    shape = (2,) + tuple(t.batch_shape)
    ee, te = e.expand(shape), t.expand(shape)
    assert type(ee) is type(e)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    ev, tv = _value(name, ())
    assert_same(ee.log_prob(ev), te.log_prob(tv), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", [n for n in CASES
                                  if _build(torch, n, False)[0].has_enumerate_support])
def test_enumerate_support(name):
    e, _, t, _ = _both(name, grad=False)
    for expand in (True, False):
        assert_same(e.enumerate_support(expand), t.enumerate_support(expand))


# ---- gradcheck of reparameterized samples and of log_prob


def test_gradcheck_normal_log_prob_and_rsample():
    loc = ember.tensor([0.3, -1.0], dtype=ember.float64, requires_grad=True)
    scale = ember.tensor([1.2, 0.7], dtype=ember.float64, requires_grad=True)
    x = ember.tensor([0.1, 0.5], dtype=ember.float64)

    def lp(loc, scale):
        return ED.Normal(loc, scale).log_prob(x)

    assert ember.autograd.gradcheck(lp, (loc, scale))
    assert ember.autograd.gradgradcheck(lp, (loc, scale))

    def rs(loc, scale):
        ember.manual_seed(0)
        return ED.Normal(loc, scale).rsample((3,))

    assert ember.autograd.gradcheck(rs, (loc, scale))


def test_gradcheck_mvn_log_prob():
    loc = ember.tensor([0.3, -1.0, 0.0], dtype=ember.float64, requires_grad=True)
    tril = ember.tensor(np.linalg.cholesky(_pd()[0]), requires_grad=True)
    x = ember.tensor([0.1, 0.5, -0.2], dtype=ember.float64)

    def lp(loc, tril):
        return ED.MultivariateNormal(loc, scale_tril=tril.tril(), validate_args=False).log_prob(x)

    assert ember.autograd.gradcheck(lp, (loc, tril))
    assert ember.autograd.gradgradcheck(lp, (loc, tril))


def test_gamma_rsample_gradient_is_the_implicit_one():
    # dx/dalpha of a standard gamma sample against PyTorch's own formula
    alpha = ember.tensor([0.3, 1.0, 2.5, 10.0, 50.0], dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    x = ED.Gamma(alpha, ember.ones(5, dtype=ember.float64)).rsample()
    x.sum().backward()
    ref = torch._standard_gamma_grad(torch.tensor(alpha.detach().numpy()),
                                     torch.tensor(x.detach().numpy()))
    np.testing.assert_allclose(alpha.grad.numpy(), ref.numpy(), rtol=2e-3)


def test_beta_rsample_gradient_matches_finite_differences_of_the_mean():
    # E[x] = a / (a + b): the reparameterized gradient of the sample mean estimates it
    a = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    b = ember.tensor(3.0, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    ED.Beta(a, b).rsample((20000,)).mean().backward()
    assert abs(a.grad.item() - 3 / 25) < 0.01
    assert abs(b.grad.item() + 2 / 25) < 0.01


def test_gamma_cdf():
    c = torch.tensor([0.5, 2.0, 7.0], dtype=torch.float64)
    v = torch.tensor([0.3, 2.5, 4.0], dtype=torch.float64, requires_grad=True)
    ev = ember.tensor(v.detach().numpy(), requires_grad=True)
    lt = TD.Gamma(c, 2.0).cdf(v)
    le = ED.Gamma(ember.tensor(c.numpy()), 2.0).cdf(ev)
    assert_same(le, lt, rtol=1e-10)
    lt.sum().backward()
    le.sum().backward()
    assert_same(ev.grad, v.grad, rtol=1e-9)


def test_generalized_pareto():
    # float32: PyTorch's log_prob compares the concentration with a float32 zero
    rng = np.random.default_rng(0)
    args = [np.array(v, np.float32) for v in ([0.0, 1.0, -1.0], [1.0, 2.0, 0.5],
                                              [0.3, 0.0, -0.2])]
    te = [ember.tensor(a, requires_grad=True) for a in args]
    tt = [torch.tensor(a, requires_grad=True) for a in args]
    e, t = ED.GeneralizedPareto(*te), TD.GeneralizedPareto(*tt)
    u = rng.uniform(0.05, 0.95, size=(4, 3)).astype(np.float32)
    x = t.icdf(torch.tensor(u)).detach()
    assert_same(e.icdf(ember.tensor(u)), t.icdf(torch.tensor(u)), rtol=1e-5)
    xe = ember.tensor(x.numpy())
    for fe, ft in ((e.log_prob, t.log_prob), (e.cdf, t.cdf),
                   (e.log_survival_function, t.log_survival_function)):
        assert_same(fe(xe), ft(x), rtol=1e-5, atol=1e-6)
    for attr in ("mean", "variance", "mode"):
        assert_same(getattr(e, attr), getattr(t, attr), rtol=1e-6)
    assert_same(e.entropy(), t.entropy(), rtol=1e-6)
    assert repr(e.support).replace("ember.", "") == repr(t.support).replace("torch.", "")
    (t.log_prob(x).sum() + t.entropy().sum()).backward()
    (e.log_prob(xe).sum() + e.entropy().sum()).backward()
    for a, b in zip(te, tt):
        assert_same(a.grad, b.grad, rtol=1e-4, atol=1e-5)
    torch.manual_seed(0)
    ember.manual_seed(0)
    assert_same(e.rsample((2,)), t.rsample((2,)), rtol=1e-5)


# ---- errors and validation


def test_parameter_validation_errors():
    same_error(lambda: ED.Normal(ember.zeros(2), -ember.ones(2)),
               lambda: TD.Normal(torch.zeros(2), -torch.ones(2)))
    same_error(lambda: ED.Bernoulli(probs=ember.tensor([1.5])),
               lambda: TD.Bernoulli(probs=torch.tensor([1.5])))
    same_error(lambda: ED.Bernoulli(), lambda: TD.Bernoulli())
    same_error(lambda: ED.Categorical(probs=ember.tensor(0.5)),
               lambda: TD.Categorical(probs=torch.tensor(0.5)))
    same_error(lambda: ED.MultivariateNormal(ember.zeros(2)),
               lambda: TD.MultivariateNormal(torch.zeros(2)))
    same_error(lambda: ED.Independent(ED.Normal(0.0, 1.0), 1),
               lambda: TD.Independent(TD.Normal(0.0, 1.0), 1))
    same_error(lambda: ED.Geometric(probs=ember.tensor([0.0, 0.5])),
               lambda: TD.Geometric(probs=torch.tensor([0.0, 0.5])))
    ED.Normal(ember.zeros(2), -ember.ones(2), validate_args=False)  # no check


def test_sample_validation_errors():
    e, t = ED.Normal(ember.zeros(2), ember.ones(2)), TD.Normal(torch.zeros(2), torch.ones(2))
    same_error(lambda: e.log_prob(1.0), lambda: t.log_prob(1.0))
    same_error(lambda: e.log_prob(ember.zeros(3)), lambda: t.log_prob(torch.zeros(3)))
    e, t = ED.Exponential(ember.ones(2)), TD.Exponential(torch.ones(2))
    same_error(lambda: e.log_prob(-ember.ones(2)), lambda: t.log_prob(-torch.ones(2)))
    e, t = ED.Dirichlet(ember.ones(2, 3)), TD.Dirichlet(torch.ones(2, 3))
    same_error(lambda: e.log_prob(ember.ones(2, 4) / 4), lambda: t.log_prob(torch.ones(2, 4) / 4))


def test_set_default_validate_args():
    try:
        ED.Distribution.set_default_validate_args(False)
        ED.Normal(0.0, -1.0)  # not checked
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        ED.Distribution.set_default_validate_args(2)


def test_sample_n_warns_and_scalar_params():
    with pytest.warns(FutureWarning, match="sample_n"):
        s = ED.Normal(0.0, 1.0).sample_n(3)
    assert tuple(s.shape) == (3,) and s.dtype == ember.float32
    d = ED.Normal(0.0, 1.0)
    assert d.batch_shape == ember.Size() and d.loc.dtype == ember.float32


# ---- KL divergences


def _kl_pairs():
    pairs = []
    for name in ("Normal", "Bernoulli", "Categorical", "OneHotCategorical", "Exponential",
                 "Laplace", "Cauchy", "Gumbel", "HalfNormal", "Geometric", "Poisson", "Gamma",
                 "Beta", "Dirichlet", "MultivariateNormal", "Independent", "LogNormal",
                 "Binomial"):
        pairs.append((name, name))
    return pairs


def _shifted(lib, name):
    """A second distribution of the family with other parameters."""
    builder, params, _ = CASES[name]
    p = {k: _t(lib, np.asarray(v) * (1 if not g else 1.0), g) for k, (v, g) in params.items()}
    for k, (v, g) in params.items():
        if g:
            arr = np.asarray(v, dtype=np.float64)
            if name in ("Categorical", "OneHotCategorical", "Dirichlet") or k in ("cov",):
                arr = arr + np.eye(arr.shape[-1]) * 0.3 if k == "cov" else arr[..., ::-1].copy()
            elif k in ("probs",):
                arr = 1 - arr
            else:
                arr = arr * 1.3 + (0.2 if k == "loc" else 0)
            p[k] = _t(lib, arr, True)
    return builder(lib.distributions, p), p


@pytest.mark.parametrize("pq", _kl_pairs(), ids=lambda pq: f"{pq[0]}-{pq[1]}")
def test_kl_divergence(pq):
    ep, epp = _build(ember, pq[0])
    tp, tpp = _build(torch, pq[0])
    eq, _ = _shifted(ember, pq[1])
    tq, _ = _shifted(torch, pq[1])
    kt = TD.kl_divergence(tp, tq)
    ke = ED.kl_divergence(ep, eq)
    assert_same(ke, kt, rtol=1e-9, atol=1e-10)
    kt.sum().backward()
    ke.sum().backward()
    for k in tpp:
        if tpp[k].grad is not None:
            assert_same(epp[k].grad, tpp[k].grad, rtol=1e-7, atol=1e-9)


def test_kl_errors_and_register():
    same_error(lambda: ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Categorical(ember.ones(2))),
               lambda: TD.kl_divergence(TD.Normal(0.0, 1.0), TD.Categorical(torch.ones(2))))

    class MyNormal(ED.Normal):
        pass

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    try:
        assert ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(0.0, 1.0)).item() == 42.0
        assert ED.kl_divergence(ED.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 0.0
    finally:
        del ED.kl._KL_REGISTRY[MyNormal, ED.Normal]
        ED.kl._KL_MEMOIZE.clear()
    assert ED.kl.kl_divergence is ED.kl_divergence


def test_kl_uniform_infinite():
    ke = ED.kl_divergence(ED.Uniform(ember.tensor([0.0, 0.0]), ember.tensor([1.0, 2.0])),
                          ED.Uniform(ember.tensor([0.0, 0.5]), ember.tensor([2.0, 2.0])))
    kt = TD.kl_divergence(TD.Uniform(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 2.0])),
                          TD.Uniform(torch.tensor([0.0, 0.5]), torch.tensor([2.0, 2.0])))
    assert_same(ke, kt)


# ---- transforms and the constraint registry


TRANSFORMS = {
    "Exp": (lambda T: T.ExpTransform(), (2, 3)),
    "Sigmoid": (lambda T: T.SigmoidTransform(), (2, 3)),
    "Tanh": (lambda T: T.TanhTransform(), (2, 3)),
    "Softplus": (lambda T: T.SoftplusTransform(), (2, 3)),
    "Affine": (lambda T: T.AffineTransform(0.5, -2.0), (2, 3)),
    "AffineEvent": (lambda T: T.AffineTransform(0.5, 3.0, event_dim=1), (2, 3)),
    "Power": (lambda T: T.PowerTransform(2.5), (2, 3)),
    "StickBreaking": (lambda T: T.StickBreakingTransform(), (2, 3)),
    "Softmax": (lambda T: T.SoftmaxTransform(), (2, 3)),
    "LowerCholesky": (lambda T: T.LowerCholeskyTransform(), (2, 3, 3)),
    "PositiveDefinite": (lambda T: T.PositiveDefiniteTransform(), (2, 3, 3)),
    "CorrCholesky": (lambda T: T.CorrCholeskyTransform(), (2, 6)),
    "Reshape": (lambda T: T.ReshapeTransform((2, 3), (6,)), (4, 2, 3)),
    "Independent": (lambda T: T.IndependentTransform(T.ExpTransform(), 1), (2, 3)),
    "Compose": (lambda T: T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)]),
                (2, 3)),
    "Inverse": (lambda T: T.SigmoidTransform().inv, (2, 3)),
    "Cat": (lambda T: T.CatTransform([T.ExpTransform(), T.AffineTransform(0.0, 2.0)], 1,
                                     [1, 2]), (2, 3)),
    "Stack": (lambda T: T.StackTransform([T.ExpTransform(), T.TanhTransform()], 1), (3, 2)),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transform(name):
    make, shape = TRANSFORMS[name]
    te, tt = make(ED.transforms), make(TD.transforms)
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, size=shape)
    if name == "Inverse":
        x = rng.uniform(0.05, 0.95, size=shape)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = te(xe), tt(xt)
    assert_same(ye, yt, rtol=1e-9, atol=1e-12)
    assert_same(te.inv(ye), tt.inv(yt), rtol=1e-7, atol=1e-9)
    _same_or_same_error(lambda: te.log_abs_det_jacobian(xe, ye),
                        lambda: tt.log_abs_det_jacobian(xt, yt), rtol=1e-8, atol=1e-10)
    assert repr(te) == repr(tt)
    assert repr(te.domain) == repr(tt.domain) and repr(te.codomain) == repr(tt.codomain)
    assert te.bijective == tt.bijective
    assert tuple(te.forward_shape(ember.Size(shape))) == tuple(tt.forward_shape(torch.Size(
        shape)))
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad, rtol=1e-8, atol=1e-10)


def test_transform_cache_and_errors():
    t = ED.ExpTransform().with_cache()
    x = ember.tensor([1.0])
    y = t(x)
    assert t.inv(y) is x
    same_error(lambda: ED.ExpTransform(cache_size=2), lambda: TD.ExpTransform(cache_size=2))
    same_error(lambda: ED.ReshapeTransform((2, 3), (5,)),
               lambda: TD.ReshapeTransform((2, 3), (5,)))
    same_error(lambda: ED.CorrCholeskyTransform().forward_shape((4,)),
               lambda: TD.CorrCholeskyTransform().forward_shape((4,)))
    assert ED.identity_transform(x) is x
    assert ED.ExpTransform() == ED.ExpTransform() and ED.ExpTransform().inv.inv is not None


CONSTRAINTS = ["real", "positive", "nonnegative", "unit_interval", "simplex", "real_vector",
               "lower_cholesky", "positive_definite", "corr_cholesky"]


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_biject_to_and_transform_to(name):
    ce, ct = getattr(ED.constraints, name), getattr(TD.constraints, name)
    n = {"lower_cholesky": 9, "positive_definite": 9, "corr_cholesky": 3}.get(name, 3)
    x = np.random.default_rng(1).normal(size=(2, n))
    if name in ("lower_cholesky", "positive_definite"):
        x = x.reshape(2, 3, 3)
    for reg in ("transform_to", "biject_to"):
        try:
            tt = getattr(TD, reg)(ct)
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                getattr(ED, reg)(ce)
            continue
        te = getattr(ED, reg)(ce)
        assert repr(te) == repr(tt)
        ye, yt = te(ember.tensor(x)), tt(torch.tensor(x))
        assert_same(ye, yt, rtol=1e-9, atol=1e-12)
        assert bool(ce.check(ye).all())


def test_constraints_check_and_repr():
    C, TC = ED.constraints, TD.constraints
    v = np.array([[-1.0, 0.0, 0.5], [1.0, 2.0, float("nan")]])
    for name in ("real", "positive", "nonnegative", "unit_interval", "boolean",
                 "nonnegative_integer", "positive_integer"):
        assert_same(getattr(C, name).check(ember.tensor(v)),
                    getattr(TC, name).check(torch.tensor(v)))
        assert repr(getattr(C, name)) == repr(getattr(TC, name))
    for e, t in ((C.interval(0, 1), TC.interval(0, 1)), (C.greater_than(0.5),
                 TC.greater_than(0.5)), (C.integer_interval(0, 3), TC.integer_interval(0, 3)),
                 (C.independent(C.real, 1), TC.independent(TC.real, 1)),
                 (C.half_open_interval(0, 1), TC.half_open_interval(0, 1))):
        assert repr(e) == repr(t)
        assert_same(e.check(ember.tensor(v)), t.check(torch.tensor(v)))
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(ember.zeros(1))


def test_module_layout_imports():
    from ember.distributions.constraints import positive
    from ember.distributions.normal import Normal
    from ember.distributions.utils import broadcast_all, probs_to_logits

    assert Normal is ED.Normal and positive is ED.constraints.positive
    a, b = broadcast_all(ember.ones(2, dtype=ember.float64), 1.0)
    assert b.dtype == ember.float64 and tuple(b.shape) == (2,)
    assert_same(probs_to_logits(ember.tensor([0.25]), True),
                TD.utils.probs_to_logits(torch.tensor([0.25]), True))


def test_float32_stays_float32():
    d = ED.Normal(ember.zeros(2), ember.ones(2))
    assert d.sample().dtype == ember.float32
    assert d.log_prob(ember.zeros(2)).dtype == ember.float32
    assert d.entropy().dtype == ember.float32
    g = ED.Gamma(ember.ones(2), ember.ones(2))
    assert g.rsample().dtype == ember.float32


_ = (math, warnings)


# ---- every registered KL pair, the cross-family ones included

# two parameter sets per family, batch shape (3,): set 0 builds p, set 1 builds q. The values
# reach the infinite branches (a Uniform leaving a support, a Pareto alpha <= 1 or <= 2)
# beside finite entries, and a continuous Bernoulli probs in its Taylor region.
_KL_FAMILIES = {
    "Bernoulli": (lambda D, a: D.Bernoulli(probs=a[0]), ([[0.2, 0.5, 0.9]], [[0.7, 0.3, 0.6]])),
    "Beta": (lambda D, a: D.Beta(a[0], a[1]),
             ([[0.5, 2.0, 3.0], [1.5, 2.0, 0.7]], [[1.2, 0.8, 4.0], [2.0, 1.0, 3.0]])),
    "Binomial": (lambda D, a: D.Binomial(10, probs=a[0]),
                 ([[0.2, 0.5, 0.9]], [[0.6, 0.3, 0.4]])),
    "Categorical": (lambda D, a: D.Categorical(probs=a[0]),
                    ([np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3], [0.3, 0.3, 0.4]])],
                     [np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])])),
    "ContinuousBernoulli": (lambda D, a: D.ContinuousBernoulli(probs=a[0]),
                            ([[0.2, 0.5005, 0.9]], [[0.7, 0.3, 0.4999]])),
    "Dirichlet": (lambda D, a: D.Dirichlet(a[0]),
                  ([np.array([[0.5, 2.0, 3.0], [1.0, 1.0, 4.0], [2.0, 2.0, 2.0]])],
                   [np.array([[1.5, 1.0, 2.0], [3.0, 0.5, 1.0], [1.0, 2.0, 0.7]])])),
    "Exponential": (lambda D, a: D.Exponential(a[0]), ([[0.5, 1.0, 3.0]], [[2.0, 0.7, 1.1]])),
    "Gamma": (lambda D, a: D.Gamma(a[0], a[1]),
              ([[0.5, 2.0, 7.0], [1.0, 0.5, 3.0]], [[2.5, 1.0, 3.0], [0.7, 2.0, 1.0]])),
    "Gumbel": (lambda D, a: D.Gumbel(a[0], a[1]),
               ([[0.5, -1.0, 0.2], [1.0, 2.0, 0.5]], [[0.0, 1.0, -0.3], [1.5, 0.7, 1.0]])),
    "Geometric": (lambda D, a: D.Geometric(probs=a[0]), ([[0.2, 0.5, 0.9]], [[0.6, 0.3, 0.4]])),
    "HalfNormal": (lambda D, a: D.HalfNormal(a[0]), ([[1.0, 0.5, 2.0]], [[0.7, 1.5, 1.0]])),
    "Laplace": (lambda D, a: D.Laplace(a[0], a[1]),
                ([[0.5, -1.0, 0.2], [1.0, 2.0, 0.5]], [[0.0, 1.0, -0.3], [1.5, 0.7, 1.0]])),
    "LowRankMultivariateNormal": (
        lambda D, a: D.LowRankMultivariateNormal(a[0], a[1], a[2]),
        ([np.array([[0.0, 1.0], [0.5, -0.5], [1.0, 2.0]]),
          np.array([[[1.0, 0.2], [0.3, -0.5]]] * 3) * np.array([1.0, 0.5, 2.0])[:, None, None],
          np.array([[1.0, 0.5], [2.0, 1.0], [0.3, 0.8]])],
         [np.array([[0.5, 0.0], [0.0, 0.5], [-1.0, 1.0]]),
          np.array([[[0.4], [1.0]]] * 3), np.array([[0.5, 1.0], [1.0, 2.0], [1.5, 0.4]])])),
    "MultivariateNormal": (
        lambda D, a: D.MultivariateNormal(a[0], scale_tril=a[1]),
        ([np.array([[0.0, 1.0], [0.5, -0.5], [1.0, 2.0]]),
          np.array([[[1.0, 0.0], [0.3, 0.8]], [[0.5, 0.0], [-0.2, 1.2]], [[2.0, 0.0], [0.0, 1.0]]])],
         [np.array([[0.5, 0.0], [0.0, 0.5], [-1.0, 1.0]]),
          np.array([[[1.5, 0.0], [0.1, 0.6]], [[1.0, 0.0], [0.5, 1.0]], [[0.7, 0.0], [0.2, 0.9]]])])),
    "Normal": (lambda D, a: D.Normal(a[0], a[1]),
               ([[0.5, -1.0, 0.2], [1.0, 2.0, 0.5]], [[0.0, 1.0, -0.3], [1.5, 0.7, 1.0]])),
    "OneHotCategorical": (lambda D, a: D.OneHotCategorical(probs=a[0]),
                          ([np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3], [0.3, 0.3, 0.4]])],
                           [np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])])),
    "Pareto": (lambda D, a: D.Pareto(a[0], a[1]),
               ([[1.0, 0.05, 0.1], [0.8, 1.5, 3.0]], [[0.5, 0.1, 0.2], [2.0, 1.0, 2.5]])),
    "Poisson": (lambda D, a: D.Poisson(a[0]), ([[0.5, 4.0, 20.0]], [[1.0, 2.0, 25.0]])),
    "TransformedDistribution": (lambda D, a: D.LogNormal(a[0], a[1]),
                                ([[0.5, -1.0, 0.2], [1.0, 2.0, 0.5]],
                                 [[0.0, 1.0, -0.3], [1.5, 0.7, 1.0]])),
    "Uniform": (lambda D, a: D.Uniform(a[0], a[1]),
                ([[-0.5, 0.1, 0.2], [0.5, 0.9, 3.0]], [[-0.5, 0.0, 0.2], [1.5, 1.0, 3.0]])),
    "Independent": (lambda D, a: D.Independent(D.Normal(a[0], a[1]), 1),
                    ([np.array([[0.5, -1.0], [0.0, 1.0], [1.0, 2.0]]), np.ones((3, 2)) * 1.5],
                     [np.zeros((3, 2)), np.array([[1.0, 0.5], [2.0, 1.0], [0.3, 0.7]])])),
    "Cauchy": (lambda D, a: D.Cauchy(a[0], a[1]),
               ([[0.5, -1.0, 0.2], [1.0, 2.0, 0.5]], [[0.0, 1.0, -0.3], [1.5, 0.7, 1.0]])),
    "ExponentialFamily": (lambda D, a: D.Wishart(a[0], scale_tril=a[1]),
                          ([[4.0, 6.5, 3.0], np.linalg.cholesky(_pd())[[0, 1, 0]]],
                           [[5.0, 3.5, 4.0], np.linalg.cholesky(_pd())[[1, 1, 0]]])),
}


def _kl_family(lib, name, which):
    make, sets = _KL_FAMILIES[name]
    args = [_t(lib, np.asarray(v, dtype=np.float64), True) for v in sets[which]]
    return make(lib.distributions, args), args


def _registered_pairs():
    return [(p.__name__, q.__name__) for p, q in TD.kl._KL_REGISTRY]


@pytest.mark.parametrize("pq", _registered_pairs(), ids=lambda pq: f"{pq[0]}-{pq[1]}")
def test_kl_registered_pair(pq):
    ep, eargs = _kl_family(ember, pq[0], 0)
    tp, targs = _kl_family(torch, pq[0], 0)
    eq, eqargs = _kl_family(ember, pq[1], 1)
    tq, tqargs = _kl_family(torch, pq[1], 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ambiguous dispatch
        kt = TD.kl_divergence(tp, tq)
        ke = ED.kl_divergence(ep, eq)
    assert_same(ke, kt, rtol=1e-9, atol=1e-10)
    finite = torch.isfinite(kt)
    if not bool(finite.any()):
        return
    kt[finite].sum().backward()
    ke[ember.from_numpy(finite.numpy().copy())].sum().backward()
    for e, t in zip(eargs + eqargs, targs + tqargs):
        assert (e.grad is None) == (t.grad is None)
        if t.grad is not None:
            assert_same(e.grad, t.grad, rtol=1e-7, atol=1e-9)


def test_every_pytorch_kl_pair_is_registered():
    names = {(p.__name__, q.__name__): f.__name__ for (p, q), f in TD.kl._KL_REGISTRY.items()}
    assert {(p.__name__, q.__name__): f.__name__
            for (p, q), f in ED.kl._KL_REGISTRY.items()} == names
    assert len(names) == 87


def _families(D):
    return {n: getattr(D, n) for n in dir(D)
            if isinstance(getattr(D, n), type) and issubclass(getattr(D, n), D.Distribution)}


def test_kl_dispatch_picks_pytorchs_pair_for_every_family():
    # the most specific registered pair for each pair of public classes (subclasses such as
    # Chi2 -> Gamma, HalfNormal/LogNormal -> TransformedDistribution, Wishart ->
    # ExponentialFamily), and the same ambiguity warnings
    fe, ft = _families(ED), _families(TD)
    assert set(fe) == set(ft)

    def pick(kl, a, b):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            f = kl._dispatch_kl(a, b)
        return (f if f is NotImplemented else f.__name__), [str(x.message) for x in w]

    for a in sorted(fe):
        for b in sorted(fe):
            assert pick(ED.kl, fe[a], fe[b]) == pick(TD.kl, ft[a], ft[b]), (a, b)


def test_kl_subclass_dispatch_values():
    # Chi2 is a Gamma: Gamma's pairs apply, and a user subclass inherits them
    ke = ED.kl_divergence(ED.Chi2(ember.tensor([3.0, 5.0], dtype=ember.float64)),
                          ED.Normal(ember.tensor(1.0, dtype=ember.float64), 2.0))
    kt = TD.kl_divergence(TD.Chi2(torch.tensor([3.0, 5.0], dtype=torch.float64)),
                          TD.Normal(torch.tensor(1.0, dtype=torch.float64), 2.0))
    assert_same(ke, kt, rtol=1e-12)
    same_error(lambda: ED.kl_divergence(ED.Gamma(1.0, 1.0), ED.Poisson(1.0)),
               lambda: TD.kl_divergence(TD.Gamma(1.0, 1.0), TD.Poisson(1.0)))
    mvn = (ED.MultivariateNormal(ember.zeros(3), ember.eye(3)),
           TD.MultivariateNormal(torch.zeros(3), torch.eye(3)))
    for e, t in ((mvn[0], mvn[1]), (ED.LowRankMultivariateNormal(ember.zeros(3),
                 ember.ones(3, 1), ember.ones(3)), TD.LowRankMultivariateNormal(
                 torch.zeros(3), torch.ones(3, 1), torch.ones(3)))):
        for e2, t2 in ((ED.MultivariateNormal(ember.zeros(2), ember.eye(2)),
                        TD.MultivariateNormal(torch.zeros(2), torch.eye(2))),
                       (ED.LowRankMultivariateNormal(ember.zeros(2), ember.ones(2, 1),
                        ember.ones(2)), TD.LowRankMultivariateNormal(
                        torch.zeros(2), torch.ones(2, 1), torch.ones(2)))):
            same_error(lambda: ED.kl_divergence(e, e2), lambda: TD.kl_divergence(t, t2))
    same_error(lambda: ED.kl_divergence(
        ED.LowRankMultivariateNormal(ember.zeros(2), ember.ones(2, 1), ember.ones(2)),
        ED.MultivariateNormal(ember.zeros(3), ember.eye(3))),
        lambda: TD.kl_divergence(
        TD.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.ones(2)),
        TD.MultivariateNormal(torch.zeros(3), torch.eye(3))))


def test_every_public_name_of_torch_distributions_exists():
    missing = [n for n in dir(TD) if not n.startswith("_") and not hasattr(ED, n)]
    assert missing == []
    for sub in ("constraints", "transforms", "kl"):
        names = getattr(TD, sub).__all__
        assert [n for n in names if not hasattr(getattr(ED, sub), n)] == [], sub


# ---- the continuous Bernoulli, von Mises, LKJ, low-rank normal and Wishart specifics


def test_gamma_cdf_uses_gammainc_and_refuses_the_concentration_gradient():
    c = np.array([0.5, 2.0, 7.0])
    ce, ct = ember.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
    re, rt = ember.tensor(1.5, dtype=ember.float64, requires_grad=True), torch.tensor(
        1.5, dtype=torch.float64, requires_grad=True)
    v = np.array([0.3, 2.5, 4.0])
    le, lt = ED.Gamma(ce.detach(), re).cdf(ember.tensor(v)), TD.Gamma(ct.detach(), rt).cdf(
        torch.tensor(v))
    assert type(le.grad_fn).__name__ == type(lt.grad_fn).__name__ == "IgammaBackward0"
    le.sum().backward()
    lt.sum().backward()
    assert_same(re.grad, rt.grad, rtol=1e-9)
    same_error(lambda: ED.Gamma(ce, 1.5).cdf(ember.tensor(v)).sum().backward(),
               lambda: TD.Gamma(ct, 1.5).cdf(torch.tensor(v)).sum().backward())


def test_continuous_bernoulli_validation_cdf_edges_and_normalizer():
    same_error(lambda: ED.ContinuousBernoulli(probs=ember.tensor([1.5]), validate_args=True),
               lambda: TD.ContinuousBernoulli(probs=torch.tensor([1.5]), validate_args=True))
    # without an explicit validate_args the clamped probs pass, as in PyTorch
    assert_same(ED.ContinuousBernoulli(probs=ember.tensor([1.5])).probs,
                TD.ContinuousBernoulli(probs=torch.tensor([1.5])).probs)
    p = np.array([0.1, 0.4995, 0.7])
    e = ED.ContinuousBernoulli(probs=ember.tensor(p), lims=(0.45, 0.55))
    t = TD.ContinuousBernoulli(probs=torch.tensor(p), lims=(0.45, 0.55))
    v = np.array([[0.0, 1.0, 0.5], [0.2, 0.0, 1.0]])
    assert_same(e.cdf(ember.tensor(v)), t.cdf(torch.tensor(v)), rtol=1e-12)
    assert_same(e.mean, t.mean, rtol=1e-12)
    ee, te = e.expand((2, 3)), t.expand((2, 3))
    assert ee._lims == (0.45, 0.55)
    assert_same(ee.log_prob(ember.tensor(v)), te.log_prob(torch.tensor(v)), rtol=1e-12)
    x = np.array([-2.0, -0.04, 0.0001, 0.3, 3.0])
    assert_same(e._log_normalizer(ember.tensor(x)), t._log_normalizer(torch.tensor(x)),
                rtol=1e-12)
    torch.manual_seed(5)
    ember.manual_seed(5)
    assert_same(ED.ContinuousBernoulli(probs=ember.tensor(0.3)).sample((3,)),
                TD.ContinuousBernoulli(probs=torch.tensor(0.3)).sample((3,)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_von_mises_samples_equal_pytorch(dtype):
    loc = np.array([0.5, -3.0, 3.1], dtype=dtype)
    conc = np.array([1e-6, 0.3, 50.0], dtype=dtype)
    e = ED.VonMises(ember.tensor(loc), ember.tensor(conc))
    t = TD.VonMises(torch.tensor(loc), torch.tensor(conc))
    torch.manual_seed(11)
    ember.manual_seed(11)
    se, st = e.sample((200,)), t.sample((200,))
    assert_same(se, st, rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-6)
    assert bool(((se >= -math.pi) & (se < math.pi)).all())
    assert_same(ember.rand(3), torch.rand(3))  # the same number of draws were taken
    ee, te = e.expand((2, 3)), t.expand((2, 3))
    assert type(ee) is ED.VonMises and tuple(ee.batch_shape) == (2, 3)
    assert_same(ee.variance, te.variance, rtol=1e-6)
    same_error(e.entropy, t.entropy)


def test_lkj_cholesky_samples_follow_the_distribution():
    for conc, dim in ((0.5, 3), (2.0, 4)):
        e = ED.LKJCholesky(dim, ember.tensor(conc, dtype=ember.float64))
        ember.manual_seed(0)
        s = e.sample((4000,))
        assert tuple(s.shape) == (4000, dim, dim) and s.dtype == ember.float64
        assert bool(ED.constraints.corr_cholesky.check(s).all())
        corr = (s @ s.mT).numpy()[:, 1, 0]
        # each off-diagonal correlation is 2 Beta(a, a) - 1, a = conc + (dim - 2) / 2
        a = conc + (dim - 2) / 2
        var = 1 / (2 * a + 1)
        assert abs(corr.mean()) < 5 * math.sqrt(var / 4000)
        assert abs(corr.var() - var) < 0.1 * var
    assert tuple(ED.LKJCholesky(3, ember.ones(2)).expand((4, 2)).sample((5,)).shape) == (
        5, 4, 2, 3, 3)
    same_error(lambda: ED.LKJCholesky(1, 0.5), lambda: TD.LKJCholesky(1, 0.5))
    same_error(lambda: ED.LKJCholesky(3, -0.5), lambda: TD.LKJCholesky(3, -0.5))


def test_lowrank_multivariate_normal_matrices_errors_and_gradcheck():
    _, pe, _, pt = _both("LowRankMultivariateNormal", grad=False)
    e = ED.LowRankMultivariateNormal(pe["loc"], pe["W"], pe["d"])
    t = TD.LowRankMultivariateNormal(pt["loc"], pt["W"], pt["d"])
    for name in ("covariance_matrix", "precision_matrix", "scale_tril", "variance"):
        assert_same(getattr(e, name), getattr(t, name), rtol=1e-10, atol=1e-12)
    z = ember.zeros
    tz = torch.zeros
    for fe, ft in (
            (lambda: ED.LowRankMultivariateNormal(z(()), z(1, 1), z(1) + 1),
             lambda: TD.LowRankMultivariateNormal(tz(()), tz(1, 1), tz(1) + 1)),
            (lambda: ED.LowRankMultivariateNormal(z(3), z(3), z(3) + 1),
             lambda: TD.LowRankMultivariateNormal(tz(3), tz(3), tz(3) + 1)),
            (lambda: ED.LowRankMultivariateNormal(z(3), z(2, 1), z(3) + 1),
             lambda: TD.LowRankMultivariateNormal(tz(3), tz(2, 1), tz(3) + 1)),
            (lambda: ED.LowRankMultivariateNormal(z(3), z(3, 1), z(2) + 1),
             lambda: TD.LowRankMultivariateNormal(tz(3), tz(3, 1), tz(2) + 1)),
            (lambda: ED.LowRankMultivariateNormal(z(2, 3), z(3, 3, 1), z(3) + 1),
             lambda: TD.LowRankMultivariateNormal(tz(2, 3), tz(3, 3, 1), tz(3) + 1)),
            (lambda: ED.LowRankMultivariateNormal(z(3), z(3, 1), -z(3) - 1),
             lambda: TD.LowRankMultivariateNormal(tz(3), tz(3, 1), -tz(3) - 1))):
        same_error(fe, ft)
    x = ember.tensor([0.1, 0.5, -0.2], dtype=ember.float64)

    def lp(loc, W, d):
        return ED.LowRankMultivariateNormal(loc, W, d, validate_args=False).log_prob(x)

    args = [ember.tensor(v.detach().numpy(), requires_grad=True)
            for v in (pe["loc"][0], pe["W"], pe["d"])]
    assert ember.autograd.gradcheck(lp, args)
    assert ember.autograd.gradgradcheck(lp, args)


def test_wishart_errors_and_warnings():
    eye_e, eye_t = ember.eye(3), torch.eye(3)
    same_error(lambda: ED.Wishart(ember.tensor([1.5]), covariance_matrix=eye_e),
               lambda: TD.Wishart(torch.tensor([1.5]), covariance_matrix=eye_t))
    same_error(lambda: ED.Wishart(1.5, covariance_matrix=eye_e),
               lambda: TD.Wishart(1.5, covariance_matrix=eye_t))
    same_error(lambda: ED.Wishart(3.0), lambda: TD.Wishart(3.0))
    same_error(lambda: ED.Wishart(3.0, covariance_matrix=ember.ones(3)),
               lambda: TD.Wishart(3.0, covariance_matrix=torch.ones(3)))
    same_error(lambda: ED.Wishart(3.0, covariance_matrix=-eye_e),
               lambda: TD.Wishart(3.0, covariance_matrix=-eye_t))
    with pytest.warns(UserWarning, match="Low df values detected"):
        ED.Wishart(2.5, covariance_matrix=eye_e)
    e = ED.Wishart(ember.tensor([4.0, 5.0]), covariance_matrix=eye_e)
    assert repr(e.arg_constraints["df"]) == "GreaterThan(lower_bound=2)"
    assert tuple(e.expand((3, 2)).rsample((4,)).shape) == (4, 3, 2, 3, 3)


def test_wishart_resamples_singular_samples():
    e = ED.Wishart(ember.tensor([4.0, 5.0], dtype=ember.float64),
                   covariance_matrix=ember.eye(2, dtype=ember.float64))
    draws = []
    real = e._bartlett_sampling

    def bartlett(sample_shape=()):
        s = real(sample_shape)
        if not draws:
            s[1] = 0  # the second sample of the batch is singular
        draws.append(tuple(sample_shape))
        return s

    e._bartlett_sampling = bartlett
    with pytest.warns(UserWarning, match="Singular sample detected"):
        s = e.rsample((3,))
    assert draws == [(3,), (1,)]  # only the singular sample is drawn again
    assert bool(ED.constraints.positive_definite.check(s).all())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.rsample((3,))  # positive definite samples draw no warning (see the docstring)


def test_wishart_rsample_gradient_estimates_the_mean():
    # E[X] = df * Sigma: the reparameterized gradient of the sample mean estimates it
    df = ember.tensor(5.0, dtype=ember.float64, requires_grad=True)
    tril = ember.tensor([[1.0, 0.0], [0.5, 2.0]], dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    ED.Wishart(df, scale_tril=tril).rsample((20000,)).mean(0)[0, 0].backward()
    assert abs(df.grad.item() - 1.0) < 0.05  # d(df * Sigma_00) / d df = Sigma_00 = 1
    assert abs(tril.grad[0, 0].item() - 10.0) < 0.3  # d(df * L00^2) / dL00 = 2 df L00
