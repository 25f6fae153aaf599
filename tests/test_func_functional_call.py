"""ember.func.functional_call and stack_module_state against torch.func's."""

import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from ember.func import functional_call, stack_module_state
from parity import assert_same, same_error, to_ember


def _pair(seed=0):
    """A small MLP with a BatchNorm buffer, built with the same weights in ember and torch."""
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                             torch.nn.Linear(4, 2))
    em = enn.Sequential(enn.Linear(3, 4), enn.BatchNorm1d(4), enn.Tanh(), enn.Linear(4, 2))
    em.load_state_dict({k: to_ember(v) for k, v in tm.state_dict().items()})
    return em, tm


def _dicts(seed=1):
    g = np.random.default_rng(seed)
    shapes = {"0.weight": (4, 3), "0.bias": (4,), "1.weight": (4,), "1.bias": (4,),
              "3.weight": (2, 4), "3.bias": (2,)}
    arrays = {k: g.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    e = {k: ember.tensor(a, requires_grad=True) for k, a in arrays.items()}
    t = {k: torch.tensor(a, requires_grad=True) for k, a in arrays.items()}
    return e, t


X = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)


def test_values_and_gradients_flow_to_the_given_tensors():
    em, tm = _pair()
    ep, tp = _dicts()
    before = {k: v.detach().clone() for k, v in em.state_dict().items()}
    eo = functional_call(em, ep, ember.tensor(X))
    to = torch.func.functional_call(tm, tp, torch.tensor(X))
    assert_same(eo, to, rtol=1e-5, atol=1e-6)
    assert eo.grad_fn is not None
    eo.pow(2).sum().backward()
    to.pow(2).sum().backward()
    for k in ep:
        assert_same(ep[k].grad, tp[k].grad, rtol=1e-4, atol=1e-5)
    # the module's own parameters are untouched and got no gradient; its buffers were
    # replaced by nothing (not given), so the running statistics moved as in torch
    for name, p in em.named_parameters():
        assert p.grad is None
        assert np.array_equal(p.detach().numpy(), before[name].numpy())
    for name, b in em.named_buffers():
        assert_same(b, tm.get_buffer(name), rtol=1e-5, atol=1e-6)


def test_module_state_is_restored_and_the_same_objects():
    em, _ = _pair()
    params = dict(em.named_parameters())
    ep, _ = _dicts()
    functional_call(em, ep, (ember.tensor(X),))
    assert all(em.get_parameter(k) is v for k, v in params.items())
    assert all(isinstance(p, enn.Parameter) for p in em.parameters())


def test_restored_when_the_call_raises():
    em, _ = _pair()
    params = dict(em.named_parameters())
    with pytest.raises(RuntimeError):
        functional_call(em, {"0.weight": ember.zeros(4, 7)}, ember.tensor(X))
    assert all(em.get_parameter(k) is v for k, v in params.items())


def test_several_dicts_and_buffers():
    em, tm = _pair()
    ep, tp = _dicts()
    eb = {"1.running_mean": ember.ones(4), "1.running_var": ember.full((4,), 2.0)}
    tb = {"1.running_mean": torch.ones(4), "1.running_var": torch.full((4,), 2.0)}
    em.eval()
    tm.eval()
    eo = functional_call(em, (ep, eb), ember.tensor(X))
    to = torch.func.functional_call(tm, (tp, tb), torch.tensor(X))
    assert_same(eo, to, rtol=1e-5, atol=1e-6)


def test_kwargs_and_single_argument():
    class M(enn.Module):
        def __init__(self):
            super().__init__()
            self.w = enn.Parameter(ember.ones(2))

        def forward(self, x, scale=1.0):
            return self.w * x * scale

    m = M()
    out = functional_call(m, {"w": ember.tensor([2.0, 3.0])}, ember.ones(2), {"scale": 10.0})
    assert out.tolist() == [20.0, 30.0]
    out = functional_call(m, {}, args=None, kwargs={"x": ember.ones(2)})
    assert out.tolist() == [1.0, 1.0]


def test_module_reassigning_a_buffer_updates_the_given_dict():
    class Count(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("foo", torch.zeros(()))

        def forward(self, x):
            self.foo = self.foo + x
            return self.foo

    class ECount(enn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("foo", ember.zeros(()))

        def forward(self, x):
            self.foo = self.foo + x
            return self.foo

    ta, ea = {"foo": torch.zeros(())}, {"foo": ember.zeros(())}
    tm, em = Count(), ECount()
    torch.func.functional_call(tm, ta, torch.ones(()))
    functional_call(em, ea, ember.ones(()))
    assert ea["foo"].item() == ta["foo"].item() == 1.0
    assert em.foo.item() == tm.foo.item() == 0.0


class _Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.ones(1))
        self.b = self.a

    def forward(self, x):
        return x + self.a + self.b


class _ETied(enn.Module):
    def __init__(self):
        super().__init__()
        self.a = enn.Parameter(ember.ones(1))
        self.b = self.a

    def forward(self, x):
        return x + self.a + self.b


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("given", [("a",), ("b",), ("a", "b")])
def test_tied_weights(tie, given):
    tv = {"a": torch.zeros(1), "b": torch.zeros(1)}
    tvals = {k: tv[k] for k in given}
    evals = {k: ember.zeros(1) for k in given}
    if len(given) == 2:  # one tensor for both names is no conflict
        evals["b"] = evals["a"]
        tvals["b"] = tvals["a"]
    to = torch.func.functional_call(_Tied(), tvals, torch.zeros(1), tie_weights=tie)
    eo = functional_call(_ETied(), evals, ember.zeros(1), tie_weights=tie)
    assert_same(eo, to)


def test_tied_weights_with_two_values():
    same_error(
        lambda: functional_call(_ETied(), {"a": ember.zeros(1), "b": ember.ones(1)},
                                ember.zeros(1)),
        lambda: torch.func.functional_call(_Tied(), {"a": torch.zeros(1), "b": torch.ones(1)},
                                           torch.zeros(1)))
    eo = functional_call(_ETied(), {"a": ember.zeros(1), "b": ember.ones(1)}, ember.zeros(1),
                         tie_weights=False)
    assert eo.tolist() == [1.0]


def test_strict_errors():
    em, tm = _pair()
    same_error(
        lambda: functional_call(em, {"0.weight": ember.ones(4, 3), "foo": ember.ones(1)},
                                ember.tensor(X), strict=True),
        lambda: torch.func.functional_call(tm, {"0.weight": torch.ones(4, 3),
                                                "foo": torch.ones(1)},
                                           torch.tensor(X), strict=True))
    ep, tp = _dicts()
    eb = {k: v for k, v in em.state_dict().items() if "running" in k or "num_batches" in k}
    tb = {k: v for k, v in tm.state_dict().items() if "running" in k or "num_batches" in k}
    eo = functional_call(em, (ep, eb), ember.tensor(X), strict=True)
    to = torch.func.functional_call(tm, (tp, tb), torch.tensor(X), strict=True)
    assert_same(eo, to, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["dup", "not_dict", "elems", "tensor_type", "no_submodule",
                                  "not_module"])
def test_argument_errors(case):
    em, tm = _pair()
    mk = {
        "dup": lambda lib, m: (m, ({"0.bias": lib.ones(4)}, {"0.bias": lib.ones(4),
                                                             "3.bias": lib.ones(2)})),
        "not_dict": lambda lib, m: (m, 3),
        "elems": lambda lib, m: (m, [{}, 3]),
        "tensor_type": lambda lib, m: (m, {"0.weight": 3}),
        "no_submodule": lambda lib, m: (m, {"x.weight": lib.ones(1)}),
        "not_module": lambda lib, m: (m, {"0.weight.x": lib.ones(1)}),
    }[case]
    same_error(lambda: functional_call(*mk(ember, em), ember.tensor(X)),
               lambda: torch.func.functional_call(*mk(torch, tm), torch.tensor(X)))
    # a failed swap leaves the module as it was
    assert all(isinstance(p, enn.Parameter) for p in em.parameters())


def test_unknown_name_is_set_for_the_call_only():
    m = enn.Linear(2, 2)
    seen = []
    m.register_forward_hook(lambda mod, i, o: seen.append(mod.extra.item()))
    functional_call(m, {"extra": ember.tensor(5.0)}, ember.ones(2))
    assert seen == [5.0] and not hasattr(m, "extra")


def test_stateless_functional_call_is_deprecated():
    m = enn.Linear(2, 2)
    w = ember.zeros(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = enn.utils.stateless.functional_call(m, {"weight": w, "bias": ember.ones(2)},
                                                  ember.ones(2))
    assert out.tolist() == [1.0, 1.0]
    tm = torch.nn.Linear(2, 2)
    with warnings.catch_warnings(record=True) as tcaught:
        warnings.simplefilter("always")
        torch.nn.utils.stateless.functional_call(tm, {}, torch.ones(2))
    assert [(w.category, str(w.message)) for w in caught] == \
        [(w.category, str(w.message)) for w in tcaught]
    assert caught[0].filename == __file__


# -- stack_module_state -------------------------------------------------------------------------
def test_stack_module_state_values_and_leaves():
    torch.manual_seed(0)
    tms = [torch.nn.BatchNorm1d(3) for _ in range(3)]
    for i, m in enumerate(tms):
        with torch.no_grad():
            m.weight.uniform_()
            m.running_mean.fill_(i)
    ems = [enn.BatchNorm1d(3) for _ in range(3)]
    for e, t in zip(ems, tms):
        e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    ep, eb = stack_module_state(ems)
    tp, tb = torch.func.stack_module_state(tms)
    assert list(ep) == list(tp) and list(eb) == list(tb)
    for k in tp:
        assert_same(ep[k], tp[k])
        assert (ep[k].requires_grad, ep[k].is_leaf) == (tp[k].requires_grad, tp[k].is_leaf)
    for k in tb:
        assert_same(eb[k], tb[k])
        assert eb[k].requires_grad == tb[k].requires_grad
    # new leaves: a gradient through them never reaches the models
    ep["weight"].sum().backward()
    assert ep["weight"].grad is not None and all(m.weight.grad is None for m in ems)


def test_stack_module_state_submodule_names():
    ems = [enn.Sequential(enn.Linear(2, 3), enn.Linear(3, 1)) for _ in range(2)]
    ep, eb = stack_module_state(ems)
    assert list(ep) == ["0.weight", "0.bias", "1.weight", "1.bias"] and eb == {}
    assert tuple(ep["0.weight"].shape) == (2, 3, 2)


def test_stack_module_state_no_grad_params_stay_without_grad():
    ems = [enn.Linear(2, 2).requires_grad_(False) for _ in range(2)]
    tms = [torch.nn.Linear(2, 2).requires_grad_(False) for _ in range(2)]
    ep, _ = stack_module_state(ems)
    tp, _ = torch.func.stack_module_state(tms)
    assert ep["weight"].requires_grad is tp["weight"].requires_grad is False


@pytest.mark.parametrize("case", ["empty", "modes", "classes", "requires_grad"])
def test_stack_module_state_errors(case):
    def models(nn):
        if case == "empty":
            return []
        if case == "modes":
            return [nn.Linear(1, 1), nn.Linear(1, 1).eval()]
        if case == "classes":
            return [nn.Linear(1, 1), nn.Conv1d(1, 1, 1)]
        b = nn.Linear(1, 1)
        b.bias.requires_grad_(False)
        return [nn.Linear(1, 1), b]

    same_error(lambda: stack_module_state(models(enn)),
               lambda: torch.func.stack_module_state(models(torch.nn)))


def test_ensemble_by_loop_matches_torch():
    # the stacked state fed back one model at a time (no vmap needed)
    torch.manual_seed(3)
    tms = [torch.nn.Linear(3, 2) for _ in range(4)]
    ems = [enn.Linear(3, 2) for _ in range(4)]
    for e, t in zip(ems, tms):
        e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    ep, eb = stack_module_state(ems)
    tp, tb = torch.func.stack_module_state(tms)
    eo = ember.stack([functional_call(ems[0], ({k: v[i] for k, v in ep.items()}, eb),
                                      ember.tensor(X)) for i in range(4)])
    to = torch.stack([torch.func.functional_call(tms[0], ({k: v[i] for k, v in tp.items()}, tb),
                                                 torch.tensor(X)) for i in range(4)])
    assert_same(eo, to, rtol=1e-5, atol=1e-6)
    eo.sum().backward()
    to.sum().backward()
    assert_same(ep["weight"].grad, tp["weight"].grad, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not hasattr(ember.func, "vmap"), reason="ember.func.vmap is not there yet")
def test_doc_example_stack_module_state_with_vmap():
    # stack_module_state's docstring: ensembling with vmap over functional_call
    num_models, batch_size, in_features, out_features = 5, 64, 3, 3
    torch.manual_seed(0)
    tmodels = [torch.nn.Linear(in_features, out_features) for _ in range(num_models)]
    emodels = [enn.Linear(in_features, out_features) for _ in range(num_models)]
    for e, t in zip(emodels, tmodels):
        e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    tdata = torch.randn(batch_size, 3)
    edata = to_ember(tdata)

    def twrapper(params, buffers, data):
        return torch.func.functional_call(tmodels[0], (params, buffers), data)

    def ewrapper(params, buffers, data):
        return functional_call(emodels[0], (params, buffers), data)

    tp, tb = torch.func.stack_module_state(tmodels)
    ep, eb = stack_module_state(emodels)
    to = torch.func.vmap(twrapper, (0, 0, None))(tp, tb, tdata)
    eo = ember.func.vmap(ewrapper, (0, 0, None))(ep, eb, edata)
    assert eo.shape == (num_models, batch_size, out_features)
    assert_same(eo, to, rtol=1e-5, atol=1e-6)
    to.sum().backward()
    eo.sum().backward()
    assert_same(ep["weight"].grad, tp["weight"].grad, rtol=1e-5, atol=1e-4)


@pytest.mark.skipif(not hasattr(ember.func, "grad"), reason="ember.func.grad is not there yet")
def test_grad_of_functional_call_over_parameters():
    em, tm = _pair()
    em.eval()
    tm.eval()
    ep, tp = _dicts()

    def loss(lib, fc, m):
        return lambda params, x: fc(m, params, (x,)).pow(2).sum()

    eg = ember.func.grad(loss(ember, functional_call, em))(
        {k: v.detach() for k, v in ep.items()}, ember.tensor(X))
    tg = torch.func.grad(loss(torch, torch.func.functional_call, tm))(
        {k: v.detach() for k, v in tp.items()}, torch.tensor(X))
    assert list(eg) == list(tg)
    for k in tg:
        assert_same(eg[k], tg[k], rtol=1e-4, atol=1e-5)
