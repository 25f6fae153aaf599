"""Parity tests for ember.optim against torch.optim."""

import itertools

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn
import ember.optim as optim
from parity import assert_same, same_error


def _params(seed=0, shapes=((3, 4), (4,))):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return ([ember.from_numpy(a.copy()).requires_grad_() for a in arrays],
            [torch.from_numpy(a.copy()).requires_grad_() for a in arrays])


def _loss(mod, params, x):
    w, b = params
    y = (x @ w + b).tanh()
    return (y * y).sum() + (w * w * w).sum() * 0.01


OPTIONS = [
    dict(zip(("momentum", "dampening", "weight_decay", "nesterov", "maximize"), combo))
    for combo in itertools.product((0, 0.9), (0, 0.3), (0, 0.01), (False, True), (False, True))
    if not (combo[3] and (combo[0] == 0 or combo[1] != 0))
]


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_trajectory(opts):
    """50 steps from the same gradients (a function of each library's own parameters)."""
    pe, pt = _params()
    oe = optim.SGD(pe, lr=0.05, **opts)
    ot = torch.optim.SGD(pt, lr=0.05, **opts)
    sign = -1 if opts["maximize"] else 1  # ascend a concave function when maximizing
    rng = np.random.default_rng(9)
    centers = [rng.standard_normal(p.shape).astype(np.float32) for p in pe]

    def grad(p, c):
        a = np.asarray(p.detach().numpy())
        return (sign * ((a - c) + np.float32(0.1) * np.sin(a))).astype(np.float32)

    for step in range(50):
        oe.zero_grad()
        ot.zero_grad()
        if step != 7:  # one step without gradients: parameters are skipped
            for e, t, c in zip(pe, pt, centers):
                e.grad = ember.from_numpy(grad(e, c))
                t.grad = torch.from_numpy(grad(t, c))
        oe.step()
        ot.step()
    for e, t in zip(pe, pt):
        assert e.is_leaf and e.requires_grad and e.dtype is ember.float32
        assert_same(e, t, rtol=1e-5, atol=1e-6)
    if opts["momentum"]:
        for e, t in zip(pe, pt):
            assert_same(oe.state[e]["momentum_buffer"], ot.state[t]["momentum_buffer"],
                        rtol=1e-5, atol=1e-6)
    else:
        assert len(oe.state) == len(ot.state) == 0


def test_sgd_with_autograd_loss():
    pe, pt = _params()
    oe = optim.SGD(pe, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    ot = torch.optim.SGD(pt, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    x = np.random.default_rng(9).standard_normal((5, 3)).astype(np.float32)
    xe, xt = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    for _ in range(50):
        oe.zero_grad()
        ot.zero_grad()
        _loss(ember, pe, xe).backward()
        _loss(torch, pt, xt).backward()
        oe.step()
        ot.step()
    for e, t in zip(pe, pt):
        assert_same(e, t, rtol=1e-4, atol=1e-5)


def test_quadratic_minimisation():
    # minimise a*x**2 + b*x + c: the minimum is at -b / (2a)
    a, b, c = 2.0, -4.0, 1.0
    x = ember.tensor(0.0, requires_grad=True)
    optimizer = optim.SGD(params=[x], lr=0.01)
    tx = torch.tensor(0.0, requires_grad=True)
    toptimizer = torch.optim.SGD(params=[tx], lr=0.01)
    for _ in range(500):
        optimizer.zero_grad()
        y = a * x**2 + b * x + c
        y.backward()
        optimizer.step()
        toptimizer.zero_grad()
        (a * tx**2 + b * tx + c).backward()
        toptimizer.step()
    assert abs(x.item() - 1.0) < 1e-3
    assert_same(x, tx, rtol=1e-6)
    assert x.is_leaf and x.grad_fn is None


def test_param_groups_defaults_and_repr():
    pe, pt = _params()
    oe = optim.SGD([{"params": [pe[0]]}, {"params": pe[1], "lr": 0.5}], lr=0.1, momentum=0.9)
    ot = torch.optim.SGD([{"params": [pt[0]]}, {"params": pt[1], "lr": 0.5}], lr=0.1,
                         momentum=0.9)
    assert [list(g) for g in oe.param_groups] == [list(g) for g in ot.param_groups]
    for ge, gt in zip(oe.param_groups, ot.param_groups):
        assert {k: v for k, v in ge.items() if k != "params"} == {
            k: v for k, v in gt.items() if k != "params"}
    assert oe.defaults == ot.defaults
    assert repr(oe) == repr(ot)
    assert optim.SGD(pe).defaults == torch.optim.SGD(pt).defaults
    (extra_e,), (extra_t,) = _params(1, ((2,),))
    oe.add_param_group({"params": [extra_e], "momentum": 0})
    ot.add_param_group({"params": [extra_t], "momentum": 0})
    assert repr(oe) == repr(ot)
    # named parameters
    lin = nn.Linear(2, 2)
    tlin = torch.nn.Linear(2, 2)
    one, tone = optim.SGD(lin.named_parameters(), lr=0.1), torch.optim.SGD(
        tlin.named_parameters(), lr=0.1)
    assert list(one.param_groups[0]) == list(tone.param_groups[0])
    assert one.param_groups[0]["param_names"] == tone.param_groups[0]["param_names"]


def test_optimizer_errors():
    (pe,), (pt,) = _params(0, ((2,),))
    cases = [
        (lambda m: m.optim.SGD([], lr=0.1)),
        (lambda m: m.optim.SGD([m.ones(2, requires_grad=True) * 2], lr=0.1)),
        (lambda m: m.optim.SGD([1.0], lr=0.1)),
        (lambda m: m.optim.SGD(m.ones(2, requires_grad=True), lr=0.1)),
        (lambda m: m.optim.SGD([m.ones(2, requires_grad=True)], lr=-0.1)),
        (lambda m: m.optim.SGD([m.ones(2, requires_grad=True)], lr=0.1, nesterov=True)),
        (lambda m: m.optim.SGD([m.ones(2, requires_grad=True)], lr=0.1, momentum=-1)),
        (lambda m: m.optim.SGD([m.ones(2, requires_grad=True)], lr=0.1, weight_decay=-1)),
    ]
    for fn in cases:
        same_error(lambda: fn(ember), lambda: fn(torch))
    oe, ot = optim.SGD([pe], lr=0.1), torch.optim.SGD([pt], lr=0.1)
    same_error(lambda: oe.add_param_group({"params": [pe]}),
               lambda: ot.add_param_group({"params": [pt]}))
    same_error(lambda: oe.add_param_group({"params": {ember.ones(1, requires_grad=True)}}),
               lambda: ot.add_param_group({"params": {torch.ones(1, requires_grad=True)}}))


def test_zero_grad_modes_and_closure():
    pe, pt = _params()
    oe, ot = optim.SGD(pe, lr=0.1), torch.optim.SGD(pt, lr=0.1)
    x = ember.ones(5, 3)
    _loss(ember, pe, x).backward()
    oe.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in pe)
    oe.zero_grad()
    assert all(p.grad is None for p in pe)

    def closure():
        oe.zero_grad()
        loss = _loss(ember, pe, x)
        loss.backward()
        return loss

    def tclosure():
        ot.zero_grad()
        loss = _loss(torch, pt, torch.ones(5, 3))
        loss.backward()
        return loss

    for _ in range(3):
        with ember.no_grad():
            le = oe.step(closure)
        with torch.no_grad():
            lt = ot.step(tclosure)
        assert_same(le, lt, 1e-5, 1e-6)
    assert_same(pe, pt, 1e-5, 1e-6)
    # parameters without a gradient are skipped
    (q,), _ = _params(3, ((2,),))
    before = q.detach().numpy().copy()
    optim.SGD([q], lr=1.0, momentum=0.9).step()
    assert np.array_equal(q.detach().numpy(), before)


def test_state_dict_roundtrip():
    pe, _ = _params()
    oe = optim.SGD(pe, lr=0.1, momentum=0.9)
    _loss(ember, pe, ember.ones(5, 3)).backward()
    oe.step()
    sd = oe.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"]) == {0, 1}
    pe2, _ = _params()
    oe2 = optim.SGD(pe2, lr=0.5)
    oe2.load_state_dict(sd)
    assert oe2.param_groups[0]["lr"] == 0.1 and oe2.param_groups[0]["params"][0] is pe2[0]
    assert np.array_equal(oe2.state[pe2[0]]["momentum_buffer"].numpy(),
                          oe.state[pe[0]]["momentum_buffer"].numpy())


def test_training_a_model_matches_torch():
    lin_e = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    lin_t = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    for pe, pt in zip(lin_e.parameters(), lin_t.parameters()):
        with ember.no_grad():
            pe.copy_(ember.from_numpy(pt.detach().numpy().copy()))
    oe = optim.SGD(lin_e.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    ot = torch.optim.SGD(lin_t.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    for _ in range(30):
        oe.zero_grad()
        ot.zero_grad()
        le = nn.CrossEntropyLoss()(lin_e(ember.from_numpy(x)), ember.from_numpy(y))
        lt = torch.nn.CrossEntropyLoss()(lin_t(torch.from_numpy(x)), torch.from_numpy(y))
        le.backward()
        lt.backward()
        oe.step()
        ot.step()
    assert_same(le, lt, 1e-4, 1e-5)
    for pe, pt in zip(lin_e.parameters(), lin_t.parameters()):
        assert isinstance(pe, nn.Parameter) and pe.is_leaf
        assert_same(pe, pt, 1e-4, 1e-5)
