"""Parity of ember.optim.lr_scheduler with torch.optim.lr_scheduler: lr sequences, state."""

import math
import warnings

import pytest
import torch

import ember
import ember.optim as optim
from ember.optim import lr_scheduler as lrs
from parity import same_error


def _pair(opt_name="SGD", groups=False, **kw):
    def make(lib):
        ps = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
        params = [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}] if groups else ps
        return getattr(lib.optim, opt_name)(params, **kw)

    return make(ember), make(torch)


def _sched(lib_mod, name, opt, kwargs):
    return getattr(lib_mod, name)(opt, **kwargs)


SCHEDULERS = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1))),
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[10, 30, 30, 80], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR", dict(T_max=30)),
    ("CosineAnnealingLR", dict(T_max=17, eta_min=0.01)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=101)),
    ("OneCycleLR", dict(max_lr=[0.5, 1.0], total_steps=101, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.5, epochs=10, steps_per_epoch=10, three_phase=True,
                        pct_start=0.25, div_factor=10.0, final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=101, cycle_momentum=False)),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("LinearLR", dict(start_factor=0.1, total_iters=10)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=30)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.97)),
    ("PolynomialLR", dict(total_iters=40, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=10)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.01)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=9,
                      mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range",
                      gamma=0.98)),
]


@pytest.mark.parametrize("groups", [False, True])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[s[0] + str(i) for i, s in
                                                         enumerate(SCHEDULERS)])
def test_lr_sequence(name, kwargs, opt_name, groups):
    """100 steps: the same learning rates (exactly) and momenta/betas as PyTorch."""
    kw = {"lr": 0.1, "momentum": 0.9} if opt_name == "SGD" else {"lr": 0.1}
    oe, ot = _pair(opt_name, groups, **kw)
    if isinstance(kwargs.get("max_lr"), list) and not groups:  # one value per group needed
        same_error(lambda: _sched(lrs, name, oe, kwargs),
                   lambda: _sched(torch.optim.lr_scheduler, name, ot, kwargs))
        return
    se, st = _sched(lrs, name, oe, kwargs), _sched(torch.optim.lr_scheduler, name, ot, kwargs)
    assert se.get_last_lr() == st.get_last_lr()
    assert se.last_epoch == st.last_epoch == 0
    for _ in range(100):
        oe.step()
        ot.step()
        se.step()
        st.step()
        assert se.get_last_lr() == st.get_last_lr()
        assert [g["lr"] for g in oe.param_groups] == [g["lr"] for g in ot.param_groups]
        key = "momentum" if opt_name == "SGD" else "betas"
        assert [g[key] for g in oe.param_groups] == [g[key] for g in ot.param_groups]
    assert se.last_epoch == st.last_epoch == 100
    assert se.base_lrs == st.base_lrs


def test_cosine_is_recursive_past_t_max():
    """The chainable form (PyTorch's) rises again after T_max; compare 3 periods."""
    oe, ot = _pair(lr=1.0)
    se = lrs.CosineAnnealingLR(oe, T_max=10, eta_min=0.1)
    st = torch.optim.lr_scheduler.CosineAnnealingLR(ot, T_max=10, eta_min=0.1)
    seq_e, seq_t = [], []
    for _ in range(60):
        oe.step()
        ot.step()
        se.step()
        st.step()
        seq_e.append(se.get_last_lr()[0])
        seq_t.append(st.get_last_lr()[0])
    assert seq_e == seq_t
    assert seq_e[9] == pytest.approx(0.1) and seq_e[19] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=2),
    dict(threshold_mode="abs", threshold=0.1, cooldown=3, patience=1, min_lr=0.003),
    dict(mode="max", threshold_mode="abs", patience=0, min_lr=[0.01, 0.02], eps=1e-3),
])
def test_reduce_lr_on_plateau(kwargs):
    oe, ot = _pair(groups=True, lr=0.1)
    se = lrs.ReduceLROnPlateau(oe, **kwargs)
    st = torch.optim.lr_scheduler.ReduceLROnPlateau(ot, **kwargs)
    metrics = [1.0 / (1 + i) if i < 20 else 0.05 + 0.01 * math.sin(i) for i in range(100)]
    changes = 0
    for m in metrics:
        before = se.get_last_lr()
        se.step(m)
        st.step(m)
        assert se.get_last_lr() == st.get_last_lr()
        assert (se.num_bad_epochs, se.cooldown_counter, se.best, se.last_epoch) == \
            (st.num_bad_epochs, st.cooldown_counter, st.best, st.last_epoch)
        changes += before != se.get_last_lr()
    assert changes > 0
    # metric as a 0-d tensor
    se.step(ember.tensor(0.01))
    st.step(torch.tensor(0.01))
    assert se.get_last_lr() == st.get_last_lr()


def test_state_dict_round_trip():
    oe, ot = _pair(lr=0.1, momentum=0.9)
    se = lrs.StepLR(oe, step_size=3, gamma=0.5)
    st = torch.optim.lr_scheduler.StepLR(ot, step_size=3, gamma=0.5)
    for _ in range(5):
        oe.step()
        ot.step()
        se.step()
        st.step()
    sde, sdt = se.state_dict(), st.state_dict()
    assert set(sde) == set(sdt)
    for k in sdt:
        assert sde[k] == sdt[k], k
    # resume: a new scheduler takes the saved state and continues identically
    oe2, _ = _pair(lr=0.1, momentum=0.9)
    oe2.load_state_dict(oe.state_dict())
    se2 = lrs.StepLR(oe2, step_size=3, gamma=0.5)
    se2.load_state_dict(sde)
    for _ in range(10):
        oe.step()
        oe2.step()
        se.step()
        se2.step()
        assert se.get_last_lr() == se2.get_last_lr()

    class Scale:
        def __init__(self):
            self.k = 0.5

        def __call__(self, e):
            return self.k**e

    oe, ot = _pair(groups=True, lr=0.1)
    le = lrs.LambdaLR(oe, [Scale()] * 1 + [lambda e: 1.0])
    lt = torch.optim.lr_scheduler.LambdaLR(ot, [Scale()] * 1 + [lambda e: 1.0])
    assert le.state_dict()["lr_lambdas"] == lt.state_dict()["lr_lambdas"] == [{"k": 0.5}, None]
    p = lrs.ReduceLROnPlateau(oe)
    assert set(p.state_dict()) == set(torch.optim.lr_scheduler.ReduceLROnPlateau(ot).state_dict())


def test_warnings():
    oe, _ = _pair(lr=0.1)
    s = lrs.StepLR(oe, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
        s.step()
    oe, _ = _pair(lr=0.1)
    s = lrs.StepLR(oe, step_size=2)
    oe.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter"):
        s.step(5)
    assert s.last_epoch == 5 and s.get_last_lr() == [0.1 * 0.1**2]


def _err_cases():
    def one(m):
        return m.optim.SGD([m.zeros(2, requires_grad=True)], lr=0.1)

    def S(m, name):
        return getattr(m.optim.lr_scheduler, name)

    return [
        lambda m: S(m, "StepLR")(object(), 3),
        lambda m: S(m, "LambdaLR")(one(m), [lambda e: 1, lambda e: 2]),
        lambda m: S(m, "StepLR")(one(m), 3, last_epoch=4),
        lambda m: S(m, "ReduceLROnPlateau")(one(m), factor=1.0),
        lambda m: S(m, "ReduceLROnPlateau")(one(m), mode="mid"),
        lambda m: S(m, "ReduceLROnPlateau")(one(m), threshold_mode="x"),
        lambda m: S(m, "ReduceLROnPlateau")(one(m), min_lr=[0.1, 0.2]),
        lambda m: S(m, "OneCycleLR")(one(m), max_lr=1.0),
        lambda m: S(m, "OneCycleLR")(one(m), max_lr=1.0, total_steps=0),
        lambda m: S(m, "OneCycleLR")(one(m), max_lr=1.0, epochs=0, steps_per_epoch=2),
        lambda m: S(m, "OneCycleLR")(one(m), max_lr=1.0, total_steps=10, pct_start=1),
        lambda m: S(m, "OneCycleLR")(one(m), max_lr=1.0, total_steps=10, anneal_strategy="x"),
        lambda m: S(m, "OneCycleLR")(one(m), max_lr=[1.0, 2.0], total_steps=10),
        lambda m: S(m, "OneCycleLR")(m.optim.Adagrad([m.zeros(2, requires_grad=True)]),
                                     max_lr=1.0, total_steps=10),
    ]


@pytest.mark.parametrize("i", range(len(_err_cases())))
def test_errors(i):
    fn = _err_cases()[i]
    same_error(lambda: fn(ember), lambda: fn(torch))


def test_one_cycle_past_total_steps():
    oe, ot = _pair(lr=0.1, momentum=0.9)
    se = lrs.OneCycleLR(oe, max_lr=1.0, total_steps=3)
    st = torch.optim.lr_scheduler.OneCycleLR(ot, max_lr=1.0, total_steps=3)
    for _ in range(3):
        oe.step()
        ot.step()
        se.step()
        st.step()
    same_error(se.step, st.step)


def test_exports():
    for name in ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
                 "CosineAnnealingLR", "ReduceLROnPlateau", "OneCycleLR"]:
        assert hasattr(optim.lr_scheduler, name)
    assert issubclass(lrs.ReduceLROnPlateau, lrs.LRScheduler)


@pytest.mark.parametrize("chained", [False, True])
def test_sequential_and_chained_schedulers(chained):
    oe, ot = _pair("SGD", True, lr=0.1, momentum=0.9)

    def build(mod, opt):
        warm = mod.LinearLR(opt, start_factor=0.1, total_iters=5)
        if chained:
            return mod.ChainedScheduler([warm, mod.ExponentialLR(opt, gamma=0.9)])
        return mod.SequentialLR(opt, [warm, mod.CosineAnnealingLR(opt, T_max=20)],
                                milestones=[5])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        se, st = build(lrs, oe), build(torch.optim.lr_scheduler, ot)
        assert se.get_last_lr() == st.get_last_lr()
        for _ in range(40):
            oe.step()
            ot.step()
            se.step()
            st.step()
            assert se.get_last_lr() == st.get_last_lr()
    state = se.state_dict()
    assert len(state["_schedulers"]) == 2 and "optimizer" not in state
    se.load_state_dict(state)
    same_error(lambda: lrs.SequentialLR(oe, [lrs.StepLR(oe, 2)], milestones=[3]),
               lambda: torch.optim.lr_scheduler.SequentialLR(
                   ot, [torch.optim.lr_scheduler.StepLR(ot, 2)], milestones=[3]))
    same_error(lambda: lrs.LinearLR(oe, start_factor=0), lambda: torch.optim.lr_scheduler.LinearLR(
        ot, start_factor=0))
    same_error(lambda: lrs.ConstantLR(oe, factor=2), lambda: torch.optim.lr_scheduler.ConstantLR(
        ot, factor=2))


def test_warm_restarts_with_fractional_epochs():
    oe, ot = _pair("SGD", False, lr=0.1)
    se = lrs.CosineAnnealingWarmRestarts(oe, T_0=5, T_mult=2)
    st = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ot, T_0=5, T_mult=2)
    for epoch in range(20):
        for i in range(4):
            se.step(epoch + i / 4)
            st.step(epoch + i / 4)
            assert se.get_last_lr() == st.get_last_lr()
    same_error(lambda: lrs.CosineAnnealingWarmRestarts(oe, T_0=0),
               lambda: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ot, T_0=0))
    same_error(lambda: se.step(-1), lambda: st.step(-1))
