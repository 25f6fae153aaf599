"""Parity tests for nn.utils.parametrize, nn.utils.parametrizations (weight_norm,
spectral_norm) and the hook-based nn.utils.weight_norm / spectral_norm against PyTorch:
state_dict keys, reprs, values, gradients, the power iteration's random draws, errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from ember.nn.utils import parametrize
from parity import assert_same, same_error

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _copy(tm, em):
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    return em


def _pair_modules(name, *args):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args).double()
    em = _copy(tm, getattr(ember.nn, name)(*args).double())
    return em, tm


def _same_state(em, tm, atol=1e-10):
    assert list(em.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        assert_same(em.state_dict()[k].detach(), v.detach(), 1e-7, atol)


class _Sym:
    """A symmetric-matrix parametrization, for both libraries."""

    @staticmethod
    def make(nn):
        class Symmetric(nn.Module):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(0, 1)

            def right_inverse(self, a):
                return a.triu()

        return Symmetric()


def test_register_parametrization_matches_torch():
    em, tm = _pair_modules("Linear", 3, 3)
    parametrize.register_parametrization(em, "weight", _Sym.make(ember.nn))
    torch.nn.utils.parametrize.register_parametrization(tm, "weight", _Sym.make(torch.nn))
    assert type(em).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert repr(em) == repr(tm).replace("torch.", "ember.")
    _same_state(em, tm)
    assert parametrize.is_parametrized(em) and parametrize.is_parametrized(em, "weight")
    assert not parametrize.is_parametrized(em, "bias")
    assert parametrize.type_before_parametrizations(em) is ember.nn.Linear
    assert em.weight.grad_fn.name() == tm.weight.grad_fn.name()
    assert_same(em.weight.detach(), tm.weight.detach())
    x = np.random.default_rng(0).standard_normal((2, 3))
    em(ember.from_numpy(x)).pow(2).sum().backward()
    tm(torch.from_numpy(x)).pow(2).sum().backward()
    assert_same(em.parametrizations.weight.original.grad,
                tm.parametrizations.weight.original.grad)
    # assigning goes through right_inverse
    a = np.random.default_rng(1).standard_normal((3, 3))
    em.weight = ember.from_numpy(a.copy())
    tm.weight = torch.from_numpy(a.copy())
    _same_state(em, tm)
    with parametrize.cached():
        assert em.weight is em.weight
    assert em.weight is not em.weight
    parametrize.remove_parametrizations(em, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    assert type(em) is ember.nn.Linear and isinstance(em.weight, ember.nn.Parameter)
    _same_state(em, tm)


def test_two_parametrizations_and_leave_unparametrized():
    em, tm = _pair_modules("Linear", 3, 3)
    for m, nn, p in ((em, ember.nn, parametrize), (tm, torch.nn, torch.nn.utils.parametrize)):
        p.register_parametrization(m, "weight", _Sym.make(nn))
        p.register_parametrization(m, "weight", _Sym.make(nn))
        assert len(m.parametrizations.weight) == 2
        p.remove_parametrizations(m, "weight", leave_parametrized=False)
    _same_state(em, tm)


def test_parametrize_errors_match_torch():
    em, tm = _pair_modules("Linear", 3, 3)
    same_error(lambda: parametrize.remove_parametrizations(em, "weight"),
               lambda: torch.nn.utils.parametrize.remove_parametrizations(tm, "weight"))
    same_error(lambda: parametrize.register_parametrization(em, "nope", _Sym.make(ember.nn)),
               lambda: torch.nn.utils.parametrize.register_parametrization(
                   tm, "nope", _Sym.make(torch.nn)))

    class Shrink(ember.nn.Module):
        def forward(self, x):
            return x[:2]

    class TShrink(torch.nn.Module):
        def forward(self, x):
            return x[:2]

    same_error(lambda: parametrize.register_parametrization(em, "weight", Shrink()),
               lambda: torch.nn.utils.parametrize.register_parametrization(
                   tm, "weight", TShrink()))


# -- weight_norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["hook", "parametrization"])
@pytest.mark.parametrize("dim", [0, 1, 3, None])
def test_weight_norm_matches_torch(form, dim):
    em, tm = _pair_modules("Conv2d", 2, 3, 3)
    if form == "hook":
        ember.nn.utils.weight_norm(em, dim=dim)
        torch.nn.utils.weight_norm(tm, dim=dim)
    else:
        ember.nn.utils.parametrizations.weight_norm(em, dim=dim)
        torch.nn.utils.parametrizations.weight_norm(tm, dim=dim)
    _same_state(em, tm)
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    eo, to = em(ember.from_numpy(x)), tm(torch.from_numpy(x))
    assert_same(eo.detach(), to.detach(), 1e-7, 1e-10)
    assert em.weight.grad_fn.name() == tm.weight.grad_fn.name()
    eo.pow(2).sum().backward()
    to.pow(2).sum().backward()
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert_same(ep.grad, tp.grad, 1e-7, 1e-10), k


def test_weight_norm_hook_remove_and_errors():
    em, tm = _pair_modules("Linear", 3, 4)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        ember.nn.utils.weight_norm(em)
    torch.nn.utils.weight_norm(tm)
    same_error(lambda: ember.nn.utils.weight_norm(em), lambda: torch.nn.utils.weight_norm(tm))
    ember.nn.utils.remove_weight_norm(em)
    torch.nn.utils.remove_weight_norm(tm)
    _same_state(em, tm)
    assert isinstance(em.weight, ember.nn.Parameter)
    same_error(lambda: ember.nn.utils.remove_weight_norm(em),
               lambda: torch.nn.utils.remove_weight_norm(tm))


def test_weight_norm_gradcheck():
    from ember.nn.utils.weight_norm import _weight_norm

    rng = np.random.default_rng(0)
    v = ember.from_numpy(rng.standard_normal((3, 4))).requires_grad_()
    g = ember.from_numpy(rng.standard_normal((3, 1))).requires_grad_()
    assert gradcheck(lambda v, g: _weight_norm(v, g, 0), (v, g))
    assert gradgradcheck(lambda v, g: _weight_norm(v, g, 0), (v, g))


# -- spectral_norm ----------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["hook", "parametrization"])
@pytest.mark.parametrize("name,args,shape", [
    ("Linear", (3, 4), (2, 3)), ("Conv2d", (2, 3, 3), (1, 2, 5, 5)),
    ("ConvTranspose2d", (2, 3, 3), (1, 2, 4, 4))])
def test_spectral_norm_matches_torch(form, name, args, shape):
    em, tm = _pair_modules(name, *args)
    ember.manual_seed(5)
    torch.manual_seed(5)
    if form == "hook":
        ember.nn.utils.spectral_norm(em, n_power_iterations=2)
        torch.nn.utils.spectral_norm(tm, n_power_iterations=2)
    else:
        ember.nn.utils.parametrizations.spectral_norm(em, n_power_iterations=2)
        torch.nn.utils.parametrizations.spectral_norm(tm, n_power_iterations=2)
    _same_state(em, tm)  # the vectors u and v: the same draws
    x = np.random.default_rng(0).standard_normal(shape)
    for _ in range(3):  # training: a power iteration each time
        eo, to = em(ember.from_numpy(x)), tm(torch.from_numpy(x))
        assert_same(eo.detach(), to.detach(), 1e-7, 1e-10)
    _same_state(em, tm)
    eo.pow(2).sum().backward()
    to.pow(2).sum().backward()
    for ep, tp in zip(em.parameters(), tm.parameters()):
        assert_same(ep.grad, tp.grad, 1e-6, 1e-9)
    em.eval()
    tm.eval()
    before = em.state_dict()[list(em.state_dict())[-1]].clone()
    assert_same(em(ember.from_numpy(x)).detach(), tm(torch.from_numpy(x)).detach(), 1e-7, 1e-10)
    assert np.array_equal(before.numpy(), em.state_dict()[list(em.state_dict())[-1]].numpy())


def test_spectral_norm_hook_remove_and_errors():
    em, tm = _pair_modules("Linear", 3, 4)
    ember.manual_seed(1)
    torch.manual_seed(1)
    ember.nn.utils.spectral_norm(em)
    torch.nn.utils.spectral_norm(tm)
    assert em.weight.grad_fn is None and tm.weight.grad_fn is None
    same_error(lambda: ember.nn.utils.spectral_norm(em),
               lambda: torch.nn.utils.spectral_norm(tm))
    x = np.random.default_rng(0).standard_normal((2, 3))
    em(ember.from_numpy(x))
    tm(torch.from_numpy(x))
    ember.nn.utils.remove_spectral_norm(em)
    torch.nn.utils.remove_spectral_norm(tm)
    _same_state(em, tm)
    same_error(lambda: ember.nn.utils.remove_spectral_norm(em),
               lambda: torch.nn.utils.remove_spectral_norm(tm))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: ember.nn.utils.spectral_norm(ember.nn.Linear(2, 2),
                                                        n_power_iterations=0),
                   lambda: torch.nn.utils.spectral_norm(torch.nn.Linear(2, 2),
                                                        n_power_iterations=0))
