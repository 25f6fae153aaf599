"""Parity with torch.optim of ASGD, Adadelta, Adafactor, Adamax, NAdam, RAdam, Rprop, Muon,
LBFGS, SparseAdam, swa_utils and swap_in_optimizer_params_and_state: parameters and state
after N steps, state layouts and dtypes, state dicts, reprs, and PyTorch's errors."""

import copy

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, same_error

VECTORIZED = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
SHAPES = [(3, 4), (4,), (), (200, 700), (7, 6), (70,), (16,)]

CASES = [
    ("Adadelta", {}), ("Adadelta", dict(weight_decay=0.1, maximize=True, rho=0.5, lr=0.5)),
    ("Adamax", {}), ("Adamax", dict(weight_decay=0.1, maximize=True, betas=(0.5, 0.9))),
    ("ASGD", {}), ("ASGD", dict(t0=3, lambd=0.1, alpha=0.5, weight_decay=0.1)),
    ("NAdam", {}), ("NAdam", dict(weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}), ("RAdam", dict(weight_decay=0.1, maximize=True)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, betas=(0.9, 0.5))),
    ("Rprop", {}), ("Rprop", dict(maximize=True, step_sizes=(1e-3, 0.05), etas=(0.3, 1.5))),
    ("Adafactor", {}), ("Adafactor", dict(weight_decay=0.1, maximize=True, eps=(1e-3, 1e-3))),
    ("Adafactor", dict(lr=0.1, beta2_decay=-0.5, d=2.0)),
]
# float32 runs that give PyTorch's single-tensor numbers bit for bit on x86 vector units
EXACT = {"Adamax", "ASGD", "Rprop"}


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _run(lib, name, kw, dtype, steps=8, shapes=SHAPES):
    """Two groups (the second with its own lr), tiny, 0-d, large and odd-sized parameters;
    parameter 1 has no gradient at step 2."""
    rng = np.random.default_rng(0)
    ps = [lib.from_numpy(rng.standard_normal(s).astype(dtype)).requires_grad_() for s in shapes]
    flags = {"foreach": False} if lib is torch else {}
    opt = getattr(lib.optim, name)([{"params": ps[:3]}, {"params": ps[3:], "lr": 0.003}],
                                   **kw, **flags)
    for step in range(steps):
        r = np.random.default_rng(100 + step)
        for i, p in enumerate(ps):
            g = r.standard_normal(shapes[i]).astype(dtype)
            p.grad = None if (step == 2 and i == 1) else lib.from_numpy(g)
        opt.step()
    return ps, opt


def _compare(pe, oe, pt, ot, rtol, atol, exact=False):
    for e, t in zip(pe, pt):
        if exact:
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        assert_same(e, t, rtol=rtol, atol=atol)
        se, st = oe.state[e], ot.state[t]
        assert list(se) == list(st)
        for key, value in st.items():
            if isinstance(value, torch.Tensor):
                if exact:
                    np.testing.assert_array_equal(se[key].numpy(), value.numpy())
                assert_same(se[key], value, rtol=rtol, atol=atol)
            else:
                assert se[key] == value


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_steps_follow_pytorch(case, dtype):
    name, kw = case
    pe, oe = _run(ember, name, kw, dtype)
    pt, ot = _run(torch, name, kw, dtype)
    tol = dict(rtol=1e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    _compare(pe, oe, pt, ot, **tol)


@pytest.mark.skipif(not VECTORIZED, reason="PyTorch's kernels round as ember does on x86 "
                    "vector units")
@pytest.mark.parametrize("case", [c for c in CASES if c[0] in EXACT], ids=_ids)
def test_bit_for_bit_float32(case):
    name, kw = case
    pe, oe = _run(ember, name, kw, "float32")
    pt, ot = _run(torch, name, kw, "float32")
    _compare(pe, oe, pt, ot, 0, 0, exact=True)


def _to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(obj.numpy().copy())
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_torch(v) for v in obj]
    return obj


@pytest.mark.parametrize("case", [c for c in CASES if not c[1]], ids=_ids)
def test_state_dict_goes_to_pytorch_and_continues_the_same(case):
    """ember's state dict loads into PyTorch's optimizer (same keys, dtypes and groups)
    and both go on to the same numbers; an ember reload does too."""
    name, kw = case
    pe, oe = _run(ember, name, kw, "float64", steps=3)
    sd = oe.state_dict()
    pt = [torch.from_numpy(p.detach().numpy().copy()).requires_grad_() for p in pe]
    ot = getattr(torch.optim, name)([{"params": pt[:3]}, {"params": pt[3:], "lr": 0.003}],
                                    foreach=False)
    ot.load_state_dict(_to_torch(sd))
    assert ot.state_dict()["param_groups"] == sd["param_groups"]
    pe2 = [ember.from_numpy(p.detach().numpy().copy()).requires_grad_() for p in pe]
    oe2 = getattr(ember.optim, name)([{"params": pe2[:3]}, {"params": pe2[3:]}])
    oe2.load_state_dict(copy.deepcopy(sd))
    for step in range(3):
        r = np.random.default_rng(7 + step)
        for e, e2, t in zip(pe, pe2, pt):
            g = r.standard_normal(tuple(t.shape))
            e.grad, e2.grad, t.grad = ember.from_numpy(g), ember.from_numpy(g), torch.from_numpy(g)
        oe.step()
        oe2.step()
        ot.step()
    # (loading casts ASGD's 'eta' and 'mu' and NAdam's 'mu_product' to the parameters'
    # dtype, float64, where the optimizer that saved them keeps float32)
    _compare(pe2, oe2, pt, ot, rtol=1e-11, atol=1e-12)


def test_step_state_is_a_float32_tensor_and_reprs_match():
    for name in ["ASGD", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "Adafactor"]:
        pe, oe = _run(ember, name, {}, "float32", steps=1, shapes=[(2, 2), (3,)])
        pt, ot = _run(torch, name, {}, "float32", steps=1, shapes=[(2, 2), (3,)])
        step = oe.state[pe[0]]["step"]
        assert isinstance(step, ember.Tensor) and step.dtype is ember.float32
        assert step.shape == () and step.item() == 1.0
        ot.param_groups[0]["foreach"] = ot.param_groups[1]["foreach"] = None
        assert repr(oe) == repr(ot)


@pytest.mark.parametrize("name", ["ASGD", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop"])
def test_default_hyperparameters_and_group_keys(name):
    e = getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)])
    t = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert e.defaults == t.defaults
    assert e.param_groups[0].keys() == t.param_groups[0].keys()


BAD = [
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(betas=(0.9, -0.1))), ("Adamax", dict(eps=-1)),
    ("Adamax", dict(weight_decay=-0.5)), ("ASGD", dict(lr=-0.1)),
    ("ASGD", dict(weight_decay=-1)), ("NAdam", dict(momentum_decay=-1)),
    ("NAdam", dict(betas=(0.9, 1.0))), ("RAdam", dict(eps=-1e-8)),
    ("RAdam", dict(lr=ember.tensor([1.0, 2.0]))), ("Rprop", dict(etas=(1.2, 0.5))),
    ("Rprop", dict(etas=(0.0, 1.2))), ("Rprop", dict(lr=-1)),
    ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(eps=(None, -1))),
    ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1)),
    ("SparseAdam", dict(lr=0)), ("SparseAdam", dict(eps=0)),
    ("SparseAdam", dict(betas=(0.9, 1.0))), ("Muon", dict(lr=-1)),
    ("Muon", dict(momentum=-1)), ("Muon", dict(weight_decay=-1)),
    ("Muon", dict(adjust_lr_fn="spectral")), ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{n}-{kw}" for n, kw in BAD])
def test_invalid_hyperparameters_raise_pytorchs_errors(name, kw):
    tkw = {k: torch.tensor([1.0, 2.0]) if isinstance(v, ember.Tensor) else v
           for k, v in kw.items()}
    same_error(lambda: getattr(ember.optim, name)([ember.zeros(2, 2, requires_grad=True)], **kw),
               lambda: getattr(torch.optim, name)([torch.zeros(2, 2, requires_grad=True)], **tkw))


STEP_FLAGS = [(n, f) for n in ["ASGD", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop"]
              for f in (dict(capturable=True), dict(capturable=True, foreach=True),
                        dict(differentiable=True))]


@pytest.mark.parametrize("name,flags", STEP_FLAGS, ids=[f"{n}-{f}" for n, f in STEP_FLAGS])
def test_capturable_and_differentiable_raise_at_step_as_on_a_cpu(name, flags):
    def step(lib):
        p = lib.ones(3, requires_grad=True)
        opt = getattr(lib.optim, name)([p], **flags)
        p.grad = lib.ones(3)
        opt.step()

    same_error(lambda: step(ember), lambda: step(torch))


@pytest.mark.parametrize("name", ["ASGD", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop"])
def test_foreach_flag_gives_the_same_numbers(name):
    pa, _ = _run(ember, name, {}, "float32", steps=3)
    pb, _ = _run(ember, name, {"foreach": True}, "float32", steps=3)
    for a, b in zip(pa, pb):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_sparse_adam_refuses_dense_gradients():
    def step(lib):
        p = lib.ones(3, requires_grad=True)
        opt = lib.optim.SparseAdam([p])
        p.grad = lib.ones(3)
        opt.step()

    same_error(lambda: step(ember), lambda: step(torch))
    e = ember.optim.SparseAdam([ember.ones(3, requires_grad=True)], lr=0.1)
    t = torch.optim.SparseAdam([torch.ones(3, requires_grad=True)], lr=0.1)
    assert repr(e) == repr(t) and e.step() is None


# Muon

def _muon(lib, kw, dtype, steps=4, shapes=((8, 5), (4, 6), (16, 16))):
    rng = np.random.default_rng(0)
    ps = [lib.from_numpy(rng.standard_normal(s).astype(dtype)).requires_grad_() for s in shapes]
    opt = lib.optim.Muon(ps, **kw)
    for step in range(steps):
        r = np.random.default_rng(100 + step)
        for i, p in enumerate(ps):
            p.grad = lib.from_numpy(r.standard_normal(shapes[i]).astype(dtype))
        opt.step()
    return ps, opt


MUON = [{}, dict(lr=0.02, nesterov=False, momentum=0.9),
        dict(lr=0.05, adjust_lr_fn="match_rms_adamw", weight_decay=0.0),
        dict(lr=0.01, adjust_lr_fn="original", ns_steps=3, eps=1e-3,
             ns_coefficients=(2.0, -1.5, 0.5))]


@pytest.mark.parametrize("kw", MUON, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_muon_follows_pytorch(kw, dtype):
    """The Newton-Schulz iterations run in bfloat16 as PyTorch's (float32 matches bit for
    bit on x86 vector units; float64 steps within rounding)."""
    pe, oe = _muon(ember, kw, dtype)
    pt, ot = _muon(torch, kw, dtype)
    for e, t in zip(pe, pt):
        if dtype == "float32" and VECTORIZED:
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        assert_same(e, t, rtol=1e-6, atol=1e-7)
        assert list(oe.state[e]) == list(ot.state[t]) == ["momentum_buffer"]
        assert_same(oe.state[e]["momentum_buffer"], ot.state[t]["momentum_buffer"],
                    rtol=1e-6, atol=1e-7)
    assert repr(oe) == repr(ot)


def test_muon_errors():
    same_error(lambda: ember.optim.Muon([ember.zeros(3, requires_grad=True)]),
               lambda: torch.optim.Muon([torch.zeros(3, requires_grad=True)]))

    def step(lib, **kw):
        p = lib.ones(3, 2, requires_grad=True)
        opt = lib.optim.Muon([p], **kw)
        p.grad = lib.ones(3, 2)
        opt.step()

    same_error(lambda: step(ember, ns_steps=100), lambda: step(torch, ns_steps=100))
    same_error(lambda: step(ember, ns_coefficients=(1.0, 2.0)),
               lambda: step(torch, ns_coefficients=(1.0, 2.0)))


# LBFGS

def _lbfgs(lib, kw, dtype, steps=4, problem="rosenbrock"):
    x = lib.from_numpy(np.array([-1.2, 1.0, 0.5, -0.3, 0.8], dtype=dtype)).requires_grad_()
    w = lib.from_numpy(np.array([[0.5, -0.2], [0.1, 0.3]], dtype=dtype)).requires_grad_()
    opt = lib.optim.LBFGS([x, w], **kw)

    def closure():
        opt.zero_grad()
        if problem == "rosenbrock":
            loss = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
        else:
            loss = ((x - 2) ** 2 * lib.arange(1, 6, dtype=x.dtype)).sum()
        loss = loss + ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return [x, w], opt, losses


LBFGS = [{}, dict(line_search_fn="strong_wolfe"), dict(lr=0.5, history_size=3, max_iter=7),
         dict(line_search_fn="strong_wolfe", history_size=2, max_eval=9),
         dict(lr=0.1, max_iter=3, tolerance_change=1e-3)]


@pytest.mark.parametrize("kw", LBFGS, ids=str)
def test_lbfgs_follows_pytorch(kw):
    pe, oe, le = _lbfgs(ember, kw, "float64")
    pt, ot, lt = _lbfgs(torch, kw, "float64")
    np.testing.assert_allclose(le, lt, rtol=1e-9, atol=1e-12)
    for e, t in zip(pe, pt):
        assert_same(e, t, rtol=1e-9, atol=1e-10)
    se, st = oe.state[pe[0]], ot.state[pt[0]]
    assert sorted(se) == sorted(st)
    assert (se["func_evals"], se["n_iter"]) == (st["func_evals"], st["n_iter"])
    for key in ("d", "prev_flat_grad", "H_diag", "old_dirs", "old_stps", "ro"):
        assert_same(se[key], st[key], rtol=1e-7, atol=1e-9)
    assert type(se["t"]).__name__ == type(st["t"]).__name__
    assert len(oe.state) == 1


@pytest.mark.parametrize("kw", LBFGS[:2], ids=str)
def test_lbfgs_float32(kw):
    pe, oe, le = _lbfgs(ember, kw, "float32", problem="quadratic")
    pt, ot, lt = _lbfgs(torch, kw, "float32", problem="quadratic")
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    for e, t in zip(pe, pt):
        assert_same(e, t, rtol=1e-5, atol=1e-6)
    assert oe.state[pe[0]]["d"].dtype is ember.float32


def test_lbfgs_errors_and_early_return():
    same_error(lambda: ember.optim.LBFGS([{"params": [ember.zeros(1, requires_grad=True)]},
                                          {"params": [ember.zeros(1, requires_grad=True)]}]),
               lambda: torch.optim.LBFGS([{"params": [torch.zeros(1, requires_grad=True)]},
                                          {"params": [torch.zeros(1, requires_grad=True)]}]))

    def run(lib, **kw):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.LBFGS([x], **kw)

        def closure():
            opt.zero_grad()
            loss = (x * x).sum()
            loss.backward()
            return loss

        return opt.step(closure), opt, x

    same_error(lambda: run(ember, line_search_fn="wolfe"),
               lambda: run(torch, line_search_fn="wolfe"))
    for kw in (dict(tolerance_grad=10.0), dict(max_iter=1)):
        le, oe, xe = run(ember, **kw)
        lt, ot, xt = run(torch, **kw)
        assert_same(le, lt) and assert_same(xe, xt)
        assert sorted(oe.state[xe]) == sorted(ot.state[xt])
    assert repr(oe) == repr(ot)


# swa_utils

def _models(seed=0):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((4, 3)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((2, 4)), rng.standard_normal(2)
    out = []
    for lib in (ember, torch):
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))
        m = m.double()
        with lib.no_grad():
            for p, a in zip(m.parameters(), (w1, b1, np.ones(4), np.zeros(4), w2, b2)):
                p.copy_(lib.from_numpy(a))
        out.append(m)
    return out


def _perturb(me, mt, step):
    r = np.random.default_rng(50 + step)
    for pe, pt in zip(list(me.parameters()) + list(me.buffers()),
                      list(mt.parameters()) + list(mt.buffers())):
        if pt.dtype.is_floating_point:
            a = r.standard_normal(tuple(pt.shape))
            with torch.no_grad():
                pt.copy_(torch.from_numpy(a))
            with ember.no_grad():
                pe.copy_(ember.from_numpy(a))


SWA = [
    dict(), dict(use_buffers=True),
    dict(avg_fn="ema"), dict(multi_avg_fn="ema"), dict(multi_avg_fn="ema", use_buffers=True),
    dict(multi_avg_fn="swa"),
    dict(avg_fn="swa"),
]


def _fns(lib, kw):
    kw = dict(kw)
    su = lib.optim.swa_utils
    for key, make in (("avg_fn", {"ema": lambda: su.get_ema_avg_fn(0.9),
                                  "swa": su.get_swa_avg_fn}),
                      ("multi_avg_fn", {"ema": lambda: su.get_ema_multi_avg_fn(0.8),
                                        "swa": su.get_swa_multi_avg_fn})):
        if key in kw:
            kw[key] = make[kw[key]]()
    return kw


@pytest.mark.parametrize("kw", SWA, ids=str)
def test_averaged_model_follows_pytorch(kw):
    me, mt = _models()
    ae = ember.optim.swa_utils.AveragedModel(me, **_fns(ember, kw))
    at = torch.optim.swa_utils.AveragedModel(mt, **_fns(torch, kw))
    for step in range(4):
        _perturb(me, mt, step)
        ae.update_parameters(me)
        at.update_parameters(mt)
    assert ae.n_averaged.dtype is ember.int64 and ae.n_averaged.item() == 4
    se, st = ae.state_dict(), at.state_dict()
    assert list(se) == list(st)
    for k in st:
        assert_same(se[k], st[k], rtol=1e-12, atol=1e-12)
    assert ae.module is not me  # a deep copy
    x = np.random.default_rng(3).standard_normal((5, 3))
    ae.eval()
    at.eval()
    assert_same(ae(ember.from_numpy(x)), at(torch.from_numpy(x)), rtol=1e-12, atol=1e-12)


def test_averaging_function_errors():
    for name in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
        same_error(lambda n=name: getattr(ember.optim.swa_utils, n)(1.5),
                   lambda n=name: getattr(torch.optim.swa_utils, n)(1.5))
    me, mt = _models()
    su_e, su_t = ember.optim.swa_utils, torch.optim.swa_utils

    def swa_with_int64_buffers(su, m):  # PyTorch's integer addcdiv refuses n_averaged
        avg = su.AveragedModel(m, multi_avg_fn=su.get_swa_multi_avg_fn(), use_buffers=True)
        avg.update_parameters(m)
        avg.update_parameters(m)

    same_error(lambda: swa_with_int64_buffers(su_e, me), lambda: swa_with_int64_buffers(su_t, mt))
    same_error(lambda: su_e.AveragedModel(me, avg_fn=su_e.get_swa_avg_fn(),
                                          multi_avg_fn=su_e.get_swa_multi_avg_fn()),
               lambda: su_t.AveragedModel(mt, avg_fn=su_t.get_swa_avg_fn(),
                                          multi_avg_fn=su_t.get_swa_multi_avg_fn()))


def test_update_bn_over_a_dataloader():
    me, mt = _models()
    x = np.random.default_rng(4).standard_normal((20, 3))
    le = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(
        ember.from_numpy(x), ember.zeros(20)), batch_size=6)
    lt = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(
        torch.from_numpy(x), torch.zeros(20)), batch_size=6)
    me.eval()
    mt.eval()
    ember.optim.swa_utils.update_bn(le, me)
    torch.optim.swa_utils.update_bn(lt, mt)
    bn_e, bn_t = me[1], mt[1]
    assert not me.training and bn_e.momentum == bn_t.momentum == 0.1
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        assert_same(getattr(bn_e, key), getattr(bn_t, key), rtol=1e-12, atol=1e-12)
    # plain tensors as batches, and a model without batch norm is left alone
    ember.optim.swa_utils.update_bn([ember.from_numpy(x)], me)
    torch.optim.swa_utils.update_bn([torch.from_numpy(x)], mt)
    assert_same(bn_e.running_var, bn_t.running_var, rtol=1e-12, atol=1e-12)
    ember.optim.swa_utils.update_bn([ember.from_numpy(x)], ember.nn.Linear(3, 3))


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.5], anneal_epochs=3,
                                                        anneal_strategy="linear"),
                                dict(swa_lr=0.01, anneal_epochs=0)], ids=str)
def test_swalr_follows_pytorch(kw):
    lrs = []
    for lib in (ember, torch):
        opt = lib.optim.SGD([{"params": [lib.zeros(1, requires_grad=True)]},
                             {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.3}], lr=1.0)
        sched = lib.optim.swa_utils.SWALR(opt, **kw)
        out = []
        for _ in range(14):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        sd = sched.state_dict()
        lrs.append((out, sorted(sd), [g["swa_lr"] for g in opt.param_groups]))
    np.testing.assert_allclose(lrs[0][0], lrs[1][0], rtol=1e-12)
    assert lrs[0][1:] == lrs[1][1:]


def test_swalr_errors_and_state_dict():
    def make(lib, **kw):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        return lib.optim.swa_utils.SWALR(opt, **kw)

    for kw in (dict(swa_lr=0.1, anneal_strategy="exp"), dict(swa_lr=0.1, anneal_epochs=-1),
               dict(swa_lr=0.1, anneal_epochs=2.5), dict(swa_lr=[0.1, 0.2])):
        same_error(lambda kw=kw: make(ember, **kw), lambda kw=kw: make(torch, **kw))
    s = make(ember, swa_lr=0.1, anneal_strategy="linear")
    s2 = make(ember, swa_lr=0.1)
    s2.load_state_dict(s.state_dict())
    assert s2.anneal_func is ember.optim.swa_utils.SWALR._linear_anneal


# swap_in_optimizer_params_and_state

def test_swap_in_runs_the_step_on_other_parameters_and_state():
    results = []
    for lib in (ember, torch):
        p = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        opt = lib.optim.Adam([p], lr=0.1)
        p.grad = lib.tensor([0.5, -0.5, 1.0])
        opt.step()
        live = [opt.state[p]["exp_avg"].clone(), p.detach().clone()]
        osd = copy.deepcopy(opt.state_dict())
        osd["param_groups"][0]["lr"] = 0.5
        q = lib.tensor([10.0, 20.0, 30.0], requires_grad=True)
        q.grad = lib.tensor([1.0, 1.0, 1.0])
        with lib.optim.swap_in_optimizer_params_and_state(opt, {"w": q}, osd):
            assert opt.param_groups[0]["params"][0] is q and opt.param_groups[0]["lr"] == 0.5
            opt.step()
        assert opt.param_groups[0]["params"][0] is p and opt.param_groups[0]["lr"] == 0.1
        assert lib.equal(opt.state[p]["exp_avg"], live[0]) and lib.equal(p.detach(), live[1])
        results.append((q.detach().numpy().copy(), osd["state"][0]["exp_avg"].numpy().copy(),
                        osd["state"][0]["step"].item()))
    (qe, me, se), (qt, mt, st) = results
    np.testing.assert_allclose(qe, qt, rtol=1e-6)
    np.testing.assert_allclose(me, mt, rtol=1e-6)
    assert se == st == 2.0


def test_swap_in_errors():
    def run(lib, which):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        if which != "fresh":
            p.grad = lib.ones(2)
            opt.step()
        osd = opt.state_dict()
        if which == "groups":
            osd["param_groups"] = osd["param_groups"] * 2
        elif which == "keys":
            osd["param_groups"][0]["extra"] = 1
        elif which == "extra_state":
            osd["state"][5] = {}
        elif which == "few_params":
            with lib.optim.swap_in_optimizer_params_and_state(opt, {}, osd):
                pass
        with lib.optim.swap_in_optimizer_params_and_state(opt, {"p": p}, osd):
            pass

    for which in ("fresh", "groups", "keys", "extra_state", "few_params"):
        same_error(lambda w=which: run(ember, w), lambda w=which: run(torch, w))


def test_public_names():
    for name in torch.optim.__all__:
        assert hasattr(ember.optim, name), name
    for name in torch.optim.swa_utils.__all__:
        assert hasattr(ember.optim.swa_utils, name), name
