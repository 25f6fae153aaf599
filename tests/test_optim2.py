"""Parity of Adam, AdamW, RMSprop and Adagrad with torch.optim: trajectories, state, state_dict."""

import itertools

import numpy as np
import pytest
import torch

import ember
import ember.optim as optim
from parity import assert_same, same_error

SHAPES = ((4, 8), (8,), (8, 3), (3,))


def _params(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    return ([ember.from_numpy(a.copy()).requires_grad_() for a in arrays],
            [torch.from_numpy(a.copy()).requires_grad_() for a in arrays])


def _grad_fn(sign):
    """The same gradients for both libraries: a NumPy function of each one's own parameters
    plus per-step noise (so that running variances are not degenerate).

    The minimum lies 3 to 4 units away in every coordinate, so that over 200 steps the
    parameters travel towards it without reaching it: near a minimum Adam and RMSprop
    oscillate, and there the last-bit differences of PyTorch's own sqrt (not correctly
    rounded with AVX-512) would grow chaotically.
    """
    rng = np.random.default_rng(7)
    start = [p.detach().numpy() for p in _params()[0]]
    centers = [(a + rng.uniform(3, 4, a.shape)).astype(np.float32) for a in start]
    noise = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(200)]

    def grad(p, i, step):
        a = np.asarray(p.detach().numpy())
        g = (a - centers[i]) + np.float32(0.3) * np.sin(3 * a) + noise[step % 200][i]
        return (sign * g).astype(np.float32)

    return grad


def _run(oe, ot, pe, pt, steps, sign, skip=(7,)):
    grad = _grad_fn(sign)
    for step in range(steps):
        oe.zero_grad()
        ot.zero_grad()
        for i, (e, t) in enumerate(zip(pe, pt)):
            if step in skip and i == 1:  # a parameter without a gradient is left alone
                continue
            e.grad = ember.from_numpy(grad(e, i, step))
            t.grad = torch.from_numpy(grad(t, i, step))
        oe.step()
        ot.step()


def _to_ember(obj):
    if isinstance(obj, torch.Tensor):
        return ember.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _to_ember(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_ember(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_to_ember(v) for v in obj)
    return obj


def _compare_state(oe, ot, pe, pt, rtol, atol):
    assert len(oe.state) == len(ot.state)
    for e, t in zip(pe, pt):
        se, st = oe.state[e], ot.state[t]
        assert list(se) == list(st)
        for key in st:
            if key == "step":
                assert isinstance(se[key], ember.Tensor) and se[key].dtype is ember.float32
                assert se[key].shape == () and se[key].item() == st[key].item()
            else:
                assert_same(se[key], st[key], rtol=rtol, atol=atol)


def _ids(o):
    return ",".join(f"{k}={v}" for k, v in o.items())


ADAM_OPTIONS = [
    dict(zip(("amsgrad", "weight_decay", "maximize", "betas"), c))
    for c in itertools.product((False, True), (0, 0.1), (False, True),
                               ((0.9, 0.999), (0.5, 0.9)))
]
RMSPROP_OPTIONS = [
    dict(zip(("centered", "momentum", "weight_decay", "maximize", "alpha"), c))
    for c in itertools.product((False, True), (0, 0.9), (0, 0.1), (False, True), (0.99, 0.6))
]
ADAGRAD_OPTIONS = [
    dict(zip(("lr_decay", "weight_decay", "initial_accumulator_value", "maximize"), c))
    for c in itertools.product((0, 0.01), (0, 0.1), (0, 0.5), (False, True))
]

CASES = (
    [("Adam", dict(lr=0.01, **o)) for o in ADAM_OPTIONS]
    + [("AdamW", dict(lr=0.01, **o)) for o in ADAM_OPTIONS]
    + [("RMSprop", dict(lr=0.001, **o)) for o in RMSPROP_OPTIONS]
    + [("Adagrad", dict(lr=0.1, **o)) for o in ADAGRAD_OPTIONS]
)


@pytest.mark.parametrize("name,opts", CASES, ids=[f"{n}-{_ids(o)}" for n, o in CASES])
def test_trajectory(name, opts):
    """200 steps follow PyTorch's parameters and state (float32, rtol 1e-5)."""
    pe, pt = _params()
    oe = getattr(optim, name)(pe, **opts)
    ot = getattr(torch.optim, name)(pt, **opts)
    sign = -1 if opts.get("maximize") else 1
    _run(oe, ot, pe, pt, 200, sign)
    for e, t in zip(pe, pt):
        assert e.is_leaf and e.requires_grad and e.grad_fn is None
        assert e.dtype is ember.float32
        assert_same(e, t, rtol=1e-5, atol=1e-6)
    _compare_state(oe, ot, pe, pt, rtol=1e-5, atol=1e-6)
    # the optimizer really moved the parameters (a no-op optimizer fails above, but be sure)
    start, _ = _params()
    assert not np.allclose(pe[0].detach().numpy(), start[0].detach().numpy())


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_float64_trajectory(name):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 3))
    pe = [ember.from_numpy(a.copy()).requires_grad_()]
    pt = [torch.from_numpy(a.copy()).requires_grad_()]
    oe = getattr(optim, name)(pe, lr=0.05)
    ot = getattr(torch.optim, name)(pt, lr=0.05)
    for _ in range(100):
        for e, t in ((pe[0], oe), (pt[0], ot)):
            t.zero_grad()
            e.grad = (e.detach() - 1) * 2 + (e.detach() * 3).sin()
        oe.step()
        ot.step()
    assert pe[0].dtype is ember.float64
    assert_same(pe[0], pt[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,opts", [
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
])
def test_autograd_training(name, opts):
    """Gradients from each library's own autograd (a small MLP): the losses match."""
    pe, pt = _params()
    oe = getattr(optim, name)(pe, **opts)
    ot = getattr(torch.optim, name)(pt, **opts)
    x = np.random.default_rng(1).standard_normal((16, 4)).astype(np.float32)
    y = np.random.default_rng(2).standard_normal((16, 3)).astype(np.float32)

    def loss(lib, p, xx, yy):
        w1, b1, w2, b2 = p
        out = (xx @ w1 + b1).tanh() @ w2 + b2
        return ((out - yy) ** 2).mean()

    xe, ye, xt, yt = (ember.from_numpy(x), ember.from_numpy(y), torch.from_numpy(x),
                      torch.from_numpy(y))
    for _ in range(200):
        oe.zero_grad()
        ot.zero_grad()
        le = loss(ember, pe, xe, ye)
        lt = loss(torch, pt, xt, yt)
        le.backward()
        lt.backward()
        oe.step()
        ot.step()
    assert lt.item() < 0.8 * loss(torch, _params()[1], xt, yt).item()
    assert le.item() == pytest.approx(lt.item(), rel=1e-4)
    for e, t in zip(pe, pt):
        assert_same(e, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,opts", [
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
])
def test_state_dict_format_and_torch_state_dict_resume(name, opts):
    pe, pt = _params()
    oe = getattr(optim, name)(pe, **opts)
    ot = getattr(torch.optim, name)(pt, **opts)
    _run(oe, ot, pe, pt, 50, 1)
    sde, sdt = oe.state_dict(), ot.state_dict()
    assert sde["param_groups"] == sdt["param_groups"]
    assert list(sde["state"]) == list(sdt["state"])
    for k in sdt["state"]:
        assert list(sde["state"][k]) == list(sdt["state"][k])
        for key, v in sdt["state"][k].items():
            assert_same(sde["state"][k][key], v, rtol=1e-5, atol=1e-6)

    # a fresh ember optimizer on ember copies of torch's parameters, loaded with torch's state
    # (converted to ember tensors), continues on torch's trajectory
    pe2 = [ember.from_numpy(t.detach().numpy().copy()).requires_grad_() for t in pt]
    oe2 = getattr(optim, name)(pe2, lr=123.0)
    oe2.load_state_dict(_to_ember(sdt))
    assert oe2.param_groups[0]["lr"] == opts["lr"]
    assert oe2.param_groups[0]["params"] == pe2
    _run(oe2, ot, pe2, pt, 150, 1, skip=())
    for e, t in zip(pe2, pt):
        assert_same(e, t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"])
def test_state_dict_round_trip_is_exact(name):
    """Saving and loading mid-run changes nothing: bit-identical to an uninterrupted run."""
    opts = {"lr": 0.01, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.01}
    pa, _ = _params()
    pb, _ = _params()
    oa = getattr(optim, name)(pa, **opts)
    ob = getattr(optim, name)(pb, **opts)
    grad = _grad_fn(1)

    def step(o, ps, k):
        o.zero_grad()
        for i, p in enumerate(ps):
            p.grad = ember.from_numpy(grad(p, i, k))
        o.step()

    for k in range(20):
        step(oa, pa, k)
        step(ob, pb, k)
    sd = ob.state_dict()
    ob = getattr(optim, name)(pb, lr=1.0)
    ob.load_state_dict(sd)
    for k in range(20, 40):
        step(oa, pa, k)
        step(ob, pb, k)
    for a, b in zip(pa, pb):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_casts_to_param_dtype_but_not_step():
    pe = [ember.zeros(3, dtype=ember.float64, requires_grad=True)]
    pt = [torch.zeros(3, dtype=torch.float64, requires_grad=True)]
    sd = {"state": {0: {"step": torch.tensor(4.0), "exp_avg": torch.ones(3),
                        "exp_avg_sq": torch.ones(3)}},
          "param_groups": [{**torch.optim.Adam(pt).param_groups[0], "params": [0]}]}
    ot = torch.optim.Adam(pt)
    ot.load_state_dict(sd)
    oe = optim.Adam(pe)
    oe.load_state_dict(_to_ember(sd))
    st = oe.state[pe[0]]
    assert st["exp_avg"].dtype is ember.float64 and st["step"].dtype is ember.float32
    assert ot.state[pt[0]]["exp_avg"].dtype == torch.float64
    # a step given as a plain number (old checkpoints) becomes a tensor
    sd["state"][0]["step"] = 4
    oe.load_state_dict(_to_ember(sd))
    assert isinstance(oe.state[pe[0]]["step"], ember.Tensor)
    pe[0].grad = ember.ones(3, dtype=ember.float64)
    oe.step()
    assert oe.state[pe[0]]["step"].item() == 5.0


def test_load_state_dict_errors():
    pe, pt = _params()
    oe, ot = optim.Adam(pe), torch.optim.Adam(pt)
    same_error(lambda: oe.load_state_dict({"state": {}, "param_groups": []}),
               lambda: ot.load_state_dict({"state": {}, "param_groups": []}))
    bad = {"state": {}, "param_groups": [{**ot.param_groups[0], "params": [0]}]}
    bad_e = {"state": {}, "param_groups": [{**oe.param_groups[0], "params": [0]}]}
    same_error(lambda: oe.load_state_dict(bad_e), lambda: ot.load_state_dict(bad))


def test_param_groups_and_repr():
    pe, pt = _params()
    for name in ("Adam", "AdamW", "RMSprop", "Adagrad"):
        oe = getattr(optim, name)([{"params": pe[:2]}, {"params": pe[2:], "lr": 0.5}], lr=0.1)
        ot = getattr(torch.optim, name)([{"params": pt[:2]}, {"params": pt[2:], "lr": 0.5}],
                                        lr=0.1)
        assert repr(oe) == repr(ot)
        assert oe.defaults == ot.defaults
        for ge, gt in zip(oe.param_groups, ot.param_groups):
            assert {k: v for k, v in ge.items() if k != "params"} == \
                {k: v for k, v in gt.items() if k != "params"}
        same_error(lambda: oe.add_param_group({"params": [pe[0]]}),
                   lambda: ot.add_param_group({"params": [pt[0]]}))
    # Adagrad's state exists from construction on, as in PyTorch
    oe, ot = optim.Adagrad(pe, initial_accumulator_value=0.25), torch.optim.Adagrad(
        pt, initial_accumulator_value=0.25)
    _compare_state(oe, ot, pe, pt, 0, 0)


def test_zero_grad_and_closure():
    pe, pt = _params()
    oe, ot = optim.Adam(pe, lr=0.1), torch.optim.Adam(pt, lr=0.1)
    for e, t in zip(pe, pt):
        e.grad = ember.ones(e.shape)
        t.grad = torch.ones(t.shape)
    oe.zero_grad(set_to_none=False)
    ot.zero_grad(set_to_none=False)
    for e, t in zip(pe, pt):
        assert_same(e.grad, t.grad)
    oe.zero_grad()
    assert all(e.grad is None for e in pe)
    calls = []

    def closure():
        calls.append(ember.is_grad_enabled())
        oe.zero_grad()
        loss = (pe[0] ** 2).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        out = oe.step(closure)
    assert calls == [True] and isinstance(out, ember.Tensor)
    assert pe[2].grad is None and oe.state[pe[0]]["step"].item() == 1.0
    assert pe[0] not in () and len(oe.state) == 1


def _err_cases():
    one = lambda m: [m.ones(2, requires_grad=True)]
    return [
        lambda m: m.optim.Adam(one(m), lr=-1),
        lambda m: m.optim.Adam(one(m), eps=-1),
        lambda m: m.optim.Adam(one(m), betas=(1.0, 0.9)),
        lambda m: m.optim.Adam(one(m), betas=(0.9, -0.1)),
        lambda m: m.optim.Adam(one(m), weight_decay=-1),
        lambda m: m.optim.Adam(one(m), betas=(0, 0.9)),
        lambda m: m.optim.AdamW(one(m), lr=-1),
        lambda m: m.optim.RMSprop(one(m), lr=-1),
        lambda m: m.optim.RMSprop(one(m), eps=-1),
        lambda m: m.optim.RMSprop(one(m), momentum=-1),
        lambda m: m.optim.RMSprop(one(m), weight_decay=-1),
        lambda m: m.optim.RMSprop(one(m), alpha=-1),
        lambda m: m.optim.Adagrad(one(m), lr=-1),
        lambda m: m.optim.Adagrad(one(m), lr_decay=-1),
        lambda m: m.optim.Adagrad(one(m), weight_decay=-1),
        lambda m: m.optim.Adagrad(one(m), initial_accumulator_value=-1),
        lambda m: m.optim.Adagrad(one(m), eps=-1),
        lambda m: m.optim.Adam([], lr=0.1),
        lambda m: m.optim.Adam(one(m), fused=True, foreach=True),
    ]


@pytest.mark.parametrize("i", range(len(_err_cases())))
def test_errors(i):
    fn = _err_cases()[i]
    same_error(lambda: fn(ember), lambda: fn(torch))
