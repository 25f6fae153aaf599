"""Parity of nn layers, losses, functional forms, init and utils against torch.nn.

The same weights go into both libraries, the same inputs in; outputs, input gradients and
parameter gradients must agree (float32: rtol 1e-4), and double backward in float64.
"""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, same_error


def _arrays(shapes, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * scale for s in shapes]


class Const:
    """A float array that becomes a tensor without requires_grad (a weight, a target)."""

    def __init__(self, array):
        self.array = np.asarray(array)


def _leaves(arrays, lib, dtype, grad=True):
    mod = ember if lib == "ember" else torch
    out = []
    for a in arrays:
        if isinstance(a, Const):
            out.append(mod.from_numpy(a.array.astype(dtype)))
            continue
        a = np.asarray(a)
        if a.dtype.kind == "f":
            t = mod.from_numpy(a.astype(dtype))
            out.append(t.requires_grad_(grad))
        else:
            out.append(mod.from_numpy(a.copy()))
    return out


def check(fn, arrays, rtol=1e-5, atol=1e-5, double=True, name=True):
    """fn(lib_functional, *tensors) on both libraries: values, grad_fn name, gradients of the
    float inputs for a random upstream gradient (float32), and double backward (float64)."""
    es = _leaves(arrays, "ember", np.float32)
    ts = _leaves(arrays, "torch", np.float32)
    ye, yt = fn(F, *es), fn(TF, *ts)
    assert_same(ye, yt, rtol, atol)
    if not yt.requires_grad:
        return ye, yt
    if name:
        assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
    up = np.random.default_rng(9).standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.from_numpy(up.copy()))
    ye.backward(ember.from_numpy(up.copy()))
    for e, t in zip(es, ts):
        if t.requires_grad:
            assert_same(e.grad, t.grad, 10 * rtol, 10 * atol)
    if double:
        es = _leaves(arrays, "ember", np.float64)
        ts = _leaves(arrays, "torch", np.float64)
        fe = [e for e in es if e.requires_grad]
        ft = [t for t in ts if t.requires_grad]
        ge = ember.autograd.grad((fn(F, *es) ** 2).sum(), fe, create_graph=True)
        gt = torch.autograd.grad((fn(TF, *ts) ** 2).sum(), ft, create_graph=True)
        assert_same(ge, gt, 1e-8, 1e-9)
        se = sum((g ** 3).sum() for g in ge)
        st = sum((g ** 3).sum() for g in gt)
        if st.requires_grad:
            assert_same(ember.autograd.grad(se, fe, allow_unused=True),
                        torch.autograd.grad(st, ft, allow_unused=True), 1e-7, 1e-8)
    return ye, yt


# -- activations --------------------------------------------------------------------------------
ACTIVATIONS = {
    "relu6": lambda F, x: F.relu6(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x),
    "leaky_relu_0.2": lambda F, x: F.leaky_relu(x, 0.2),
    "elu": lambda F, x: F.elu(x),
    "elu_0.5": lambda F, x: F.elu(x, alpha=0.5),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 0.7),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "hardtanh": lambda F, x: F.hardtanh(x),
    "hardtanh_range": lambda F, x: F.hardtanh(x, -2.0, 0.5),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "softplus": lambda F, x: F.softplus(x, beta=2.0),
    "softmin": lambda F, x: F.softmin(x, 1),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "softsign": lambda F, x: F.softsign(x),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "threshold": lambda F, x: F.threshold(x, 0.3, -2.0),
    "hardshrink": lambda F, x: F.hardshrink(x, 0.4),
    "softshrink": lambda F, x: F.softshrink(x, 0.4),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
    # in place on a non-leaf: PyTorch's ...Backward1 nodes read the result
    "leaky_relu_": lambda F, x: F.leaky_relu(x * 1, 0.1, inplace=True),
    "elu_": lambda F, x: F.elu(x * 1, inplace=True),
    "selu_": lambda F, x: F.selu_(x * 1),
    "celu_": lambda F, x: F.celu(x * 1, 2.0, inplace=True),
    "hardtanh_": lambda F, x: F.hardtanh_(x * 1),
    "relu6_": lambda F, x: F.relu6(x * 3, inplace=True),
    "silu_": lambda F, x: F.silu(x * 1, inplace=True),
    "mish_": lambda F, x: F.mish(x * 1, inplace=True),
    "hardswish_": lambda F, x: F.hardswish(x * 1, inplace=True),
    "threshold_": lambda F, x: F.threshold_(x * 1, 0.1, 5.0),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_functional(name):
    # PyTorch has no double backward for hardsigmoid
    check(ACTIVATIONS[name], _arrays([(4, 5, 3)], scale=3.0), double=name != "hardsigmoid")


def test_activation_extremes():
    x = np.array([-1e4, -50.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 50.0, 1e4])
    for name in ("elu", "selu", "gelu", "gelu_tanh", "silu", "mish", "logsigmoid", "softplus"):
        check(ACTIVATIONS[name], [x], double=False)


def test_activation_inplace_returns_input():
    for f in (F.relu6, F.leaky_relu, F.elu, F.selu, F.celu, F.hardtanh, F.silu, F.mish,
              F.hardsigmoid, F.hardswish):
        x = ember.randn(3, 2) * 4
        expected = f(x.clone()).numpy()
        v = x._version[0]
        assert f(x, inplace=True) is x and x._version[0] > v
        np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_activation_errors():
    xe, xt = ember.randn(2, 3), torch.randn(2, 3)
    same_error(lambda: F.gelu(xe, approximate="foo"), lambda: TF.gelu(xt, approximate="foo"))
    same_error(lambda: F.hardtanh(xe, 2.0, 1.0), lambda: TF.hardtanh(xt, 2.0, 1.0))
    same_error(lambda: F.celu(xe, alpha=0.0), lambda: TF.celu(xt, alpha=0.0))
    same_error(lambda: F.leaky_relu(ember.tensor([1, 2])), lambda: TF.leaky_relu(
        torch.tensor([1, 2])))
    same_error(lambda: F.gelu(ember.tensor([1, 2])), lambda: TF.gelu(torch.tensor([1, 2])))
    same_error(lambda: nn.Hardtanh(1.0, 0.0), lambda: tnn.Hardtanh(1.0, 0.0))


MODULES = [
    lambda m: m.ReLU6(), lambda m: m.ReLU6(inplace=True), lambda m: m.LeakyReLU(),
    lambda m: m.LeakyReLU(0.2, True), lambda m: m.ELU(), lambda m: m.ELU(alpha=0.5),
    lambda m: m.SELU(), lambda m: m.CELU(), lambda m: m.CELU(1.5), lambda m: m.GELU(),
    lambda m: m.GELU("tanh"), lambda m: m.SiLU(), lambda m: m.Mish(), lambda m: m.Hardtanh(),
    lambda m: m.Hardtanh(-2.0, 3.0), lambda m: m.Hardsigmoid(), lambda m: m.Hardswish(),
    lambda m: m.Softmin(1), lambda m: m.Softmin(dim=-1), lambda m: m.LogSigmoid(),
    lambda m: m.Softsign(), lambda m: m.Tanhshrink(), lambda m: m.Threshold(0.1, 20.0),
    lambda m: m.Hardshrink(), lambda m: m.Softshrink(0.3), lambda m: m.Sigmoid(),
    lambda m: m.Tanh(), lambda m: m.Softplus(beta=2.0), lambda m: m.Softmax(dim=0),
    lambda m: m.LogSoftmax(dim=1), lambda m: m.ReLU(),
]


@pytest.mark.parametrize("k", range(len(MODULES)))
def test_activation_modules(k):
    me, mt = MODULES[k](nn), MODULES[k](tnn)
    assert repr(me) == repr(mt)
    xe, xt = [t.requires_grad_() for t in
              (ember.from_numpy(_arrays([(3, 4)], k)[0].astype(np.float32)),
               torch.from_numpy(_arrays([(3, 4)], k)[0].astype(np.float32)))]
    ye, yt = me(xe * 1), mt(xt * 1)
    assert_same(ye, yt, 1e-5, 1e-6)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad, 1e-5, 1e-6)


# -- losses -------------------------------------------------------------------------------------
def _probs(shape, seed):
    return 1 / (1 + np.exp(-_arrays([shape], seed)[0]))


LOSSES = {
    "l1": (lambda F, x, t, **k: F.l1_loss(x, t, **k), lambda: _arrays([(4, 3), (4, 3)])),
    "smooth_l1": (lambda F, x, t, **k: F.smooth_l1_loss(x, t, **k),
                  lambda: _arrays([(4, 3), (4, 3)])),
    "smooth_l1_beta": (lambda F, x, t, **k: F.smooth_l1_loss(x, t, beta=0.3, **k),
                       lambda: _arrays([(4, 3), (4, 3)])),
    "smooth_l1_beta0": (lambda F, x, t, **k: F.smooth_l1_loss(x, t, beta=0.0, **k),
                        lambda: _arrays([(4, 3), (4, 3)])),
    "huber": (lambda F, x, t, **k: F.huber_loss(x, t, **k), lambda: _arrays([(4, 3), (4, 3)])),
    "huber_delta": (lambda F, x, t, **k: F.huber_loss(x, t, delta=0.4, **k),
                    lambda: _arrays([(2, 3, 2), (2, 3, 2)])),
    "mse": (lambda F, x, t, **k: F.mse_loss(x, t, **k), lambda: _arrays([(4, 3), (4, 3)])),
    "bce": (lambda F, x, t, **k: F.binary_cross_entropy(x, t, **k),
            lambda: [_probs((4, 3), 1), _probs((4, 3), 2)]),
    "bce_weight": (lambda F, x, t, w, **k: F.binary_cross_entropy(x, t, w, **k),
                   lambda: [_probs((4, 3), 1), _probs((4, 3), 2), Const(np.abs(_arrays([(3,)])[0]))]),
    "bce_logits": (lambda F, x, t, **k: F.binary_cross_entropy_with_logits(x, t, **k),
                   lambda: [_arrays([(4, 3)], 1, 3.0)[0], _probs((4, 3), 2)]),
    "bce_logits_weights": (
        lambda F, x, t, w, pw, **k: F.binary_cross_entropy_with_logits(
            x, t, w, pos_weight=pw, **k),
        lambda: [_arrays([(4, 3)], 1, 3.0)[0], _probs((4, 3), 2),
                 Const(np.abs(_arrays([(4, 1)])[0])), Const(np.abs(_arrays([(3,)], 5)[0]) + 0.5)]),
    "kl_div": (lambda F, x, t, **k: F.kl_div(x, t, **k),
               lambda: [np.log(_probs((4, 3), 1)), _probs((4, 3), 2)]),
    "kl_div_log_target": (lambda F, x, t, **k: F.kl_div(x, t, log_target=True, **k),
                          lambda: [np.log(_probs((4, 3), 1)), np.log(_probs((4, 3), 2))]),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", list(LOSSES))
def test_losses(name, reduction):
    fn, make = LOSSES[name]
    arrays = make()
    check(lambda F, *a: fn(F, *a, reduction=reduction), arrays, rtol=1e-5, atol=1e-6,
          name=not name.startswith("kl"))


def test_kl_div_batchmean_and_zero_targets():
    arrays = [np.log(_probs((4, 3), 1)), _probs((4, 3), 2)]
    check(lambda F, x, t: F.kl_div(x, t, reduction="batchmean"), arrays)
    # a zero target contributes 0 (xlogy); its own gradient is where PyTorch gives nan
    t = _probs((4, 3), 2)
    t[0, 1] = 0.0
    check(lambda F, x, t: F.kl_div(x, t, reduction="sum"), [arrays[0], Const(t)])
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(ember.zeros(2, 2), ember.zeros(2, 2))


def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.5, 1e-45])
    t = np.array([1.0, 0.0, 1.0, 1.0])
    ye, yt = check(lambda F, x, t: F.binary_cross_entropy(x, t, reduction="none"), [x, t],
                   double=False)
    assert ye.detach().numpy()[0] == 100.0


def test_bce_with_logits_stable_for_large_logits():
    x = np.array([-1e4, -100.0, 0.0, 100.0, 1e4])
    t = np.array([1.0, 0.0, 0.3, 1.0, 0.0])
    ye, _ = check(lambda F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
                  [x, t], double=False)
    assert np.isfinite(ye.detach().numpy()).all()


def test_weighted_l1_and_huber():
    arrays = _arrays([(4, 3), (4, 3)]) + [np.abs(_arrays([(4, 3)], 3)[0])]
    for red in ("none", "mean", "sum"):
        check(lambda F, x, t, w: F.l1_loss(x, t, reduction=red, weight=w), arrays, name=False)
        check(lambda F, x, t, w: F.huber_loss(x, t, reduction=red, weight=w), arrays,
              name=False)


def test_loss_broadcast_warning_and_legacy_args():
    xe, xt = ember.randn(4, 3), torch.randn(4, 3)
    for fe, ft in ((F.l1_loss, TF.l1_loss), (F.smooth_l1_loss, TF.smooth_l1_loss),
                   (F.huber_loss, TF.huber_loss)):
        with pytest.warns(UserWarning) as we:
            fe(xe, ember.randn(3))
        with pytest.warns(UserWarning) as wt:
            ft(xt, torch.randn(3))
        assert str(we[0].message) == str(wt[0].message).replace("torch.", "ember.")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert F.l1_loss(xe, xe, size_average=False).shape == ()


def test_loss_errors():
    xe, xt = ember.rand(4, 3), torch.rand(4, 3)
    cases = [
        (lambda F, x: F.l1_loss(x, x, reduction="foo")),
        (lambda F, x: F.smooth_l1_loss(x, x, beta=-1.0)),
        (lambda F, x: F.huber_loss(x, x, delta=0.0)),
        (lambda F, x: F.binary_cross_entropy(x, x[:, 0])),
        (lambda F, x: F.binary_cross_entropy(x * 3, x)),
        (lambda F, x: F.binary_cross_entropy(x, x + 2)),
        (lambda F, x: F.binary_cross_entropy(x, x.double())),
        (lambda F, x: F.binary_cross_entropy_with_logits(x, x[0])),
        (lambda F, x: F.kl_div(x, x, reduction="foo")),
        (lambda F, x: F.l1_loss(x, x, weight=x[0])),
        (lambda F, x: F.huber_loss(x, x, weight=x[0])),
    ]
    for fn in cases:
        same_error(lambda: fn(F, xe), lambda: fn(TF, xt))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
def test_loss_modules():
    pairs = [
        (lambda m, **k: m.L1Loss(**k), {}), (lambda m, **k: m.SmoothL1Loss(beta=0.5, **k), {}),
        (lambda m, **k: m.HuberLoss(delta=0.5, **k), {}),
        (lambda m, **k: m.KLDivLoss(**k), {"log": True}),
        (lambda m, **k: m.KLDivLoss(log_target=True, **k), {"log": True, "log_t": True}),
        (lambda m, **k: m.BCELoss(**k), {"prob": True}),
        (lambda m, **k: m.BCEWithLogitsLoss(**k), {}), (lambda m, **k: m.MSELoss(**k), {}),
    ]
    for make, opts in pairs:
        for red in ("mean", "sum", "none"):
            me, mt = make(nn, reduction=red), make(tnn, reduction=red)
            assert repr(me) == repr(mt)
            x = _probs((3, 4), 1) if opts.get("prob") or opts.get("log") else _arrays(
                [(3, 4)])[0]
            if opts.get("log"):
                x = np.log(x)
            t = _probs((3, 4), 2)
            if opts.get("log_t"):
                t = np.log(t)
            check(lambda F, x, t, me=me, mt=mt: (me if F is globals()["F"] else mt)(x, t),
                  [x, t], double=False, name=False)
    w = torch.rand(4)
    pw = torch.rand(4) + 0.5
    me = nn.BCEWithLogitsLoss(weight=ember.from_numpy(w.numpy()),
                              pos_weight=ember.from_numpy(pw.numpy()))
    mt = tnn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    assert list(me.state_dict()) == list(mt.state_dict()) == ["weight", "pos_weight"]
    x, t = _arrays([(3, 4)])[0], _probs((3, 4), 2)
    check(lambda F, x, t: (me if F is globals()["F"] else mt)(x, t), [x, t], double=False)
    me, mt = nn.BCELoss(weight=ember.from_numpy(w.numpy())), tnn.BCELoss(weight=w)
    check(lambda F, x, t: (me if F is globals()["F"] else mt)(x, t), [_probs((3, 4), 1), t],
          double=False)


CE_CASES = [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 1},
    {"label_smoothing": 0.2}, {"weight": True}, {"weight": True, "ignore_index": 2},
    {"weight": True, "label_smoothing": 0.1}, {"weight": True, "label_smoothing": 0.3,
                                               "ignore_index": 0, "reduction": "sum"},
    {"label_smoothing": 0.1, "reduction": "none", "ignore_index": 1},
]


@pytest.mark.parametrize("kw", CE_CASES)
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_options(kw, spatial):
    rng = np.random.default_rng(0)
    shape = (4, 3, 2, 2) if spatial else (4, 3)
    target = rng.integers(0, 3, (4, 2, 2) if spatial else (4,))
    w = np.array([0.5, 2.0, 1.5])
    kw = dict(kw)
    use_w = kw.pop("weight", False)

    def fn(F, x, t, *w_):
        return F.cross_entropy(x, t, weight=w_[0] if w_ else None, **kw)

    arrays = [_arrays([shape])[0], target] + ([Const(w)] if use_w else [])
    check(fn, arrays, name=False)
    module_kw = dict(kw)
    me = nn.CrossEntropyLoss(weight=ember.from_numpy(w.astype(np.float32)) if use_w else None,
                             **module_kw)
    mt = tnn.CrossEntropyLoss(weight=torch.from_numpy(w.astype(np.float32)) if use_w else None,
                              **module_kw)
    assert repr(me) == repr(mt)
    x = _arrays([shape])[0].astype(np.float32)
    assert_same(me(ember.from_numpy(x), ember.from_numpy(target)),
                mt(torch.from_numpy(x), torch.from_numpy(target)), 1e-5, 1e-6)


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.25}, {"reduction": "none"},
                                {"weight": True, "reduction": "sum"}])
def test_cross_entropy_probabilities(kw):
    probs = np.random.default_rng(3).dirichlet(np.ones(5), 4)
    kw = dict(kw)
    use_w = kw.pop("weight", False)
    w = np.linspace(0.5, 2.0, 5)

    def fn(F, x, p, *w_):
        return F.cross_entropy(x, p, weight=w_[0] if w_ else None, **kw)

    check(fn, [_arrays([(4, 5)])[0], probs] + ([Const(w)] if use_w else []), name=False)


def test_nll_loss_module_weight_and_ignore_index():
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.ones(4), 6))
    t = np.array([0, 3, 1, -100, 2, 3])
    w = np.array([1.0, 0.5, 2.0, 1.5])
    check(lambda F, x, t, w: F.nll_loss(x, t, weight=w), [lp, t, Const(w)])


# -- batch norm -----------------------------------------------------------------------------------
def _copy_params(src, dst):
    """torch module -> ember module: parameters and buffers by name."""
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)


def _run_steps(me, mt, shape, steps=4, seed=0):
    rng = np.random.default_rng(seed)
    for step in range(steps):
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(np.float32)
        xe = ember.from_numpy(x.copy()).requires_grad_()
        xt = torch.from_numpy(x.copy()).requires_grad_()
        ye, yt = me(xe), mt(xt)
        assert_same(ye, yt, 1e-4, 1e-5)
        if yt.requires_grad:
            assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
            up = rng.standard_normal(shape).astype(np.float32)
            ye.backward(ember.from_numpy(up.copy()))
            yt.backward(torch.from_numpy(up.copy()))
            assert_same(xe.grad, xt.grad, 1e-4, 1e-4)
        for (ne, be), (nt, bt) in zip(me.named_buffers(), mt.named_buffers()):
            assert ne == nt
            assert_same(be, bt, 1e-5, 1e-6)
    for (ne, pe), (nt, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert ne == nt
        assert_same(pe.grad, pt.grad, 1e-4, 1e-4)


BN_CASES = [
    ("BatchNorm1d", (8, 3), {}), ("BatchNorm1d", (6, 3, 5), {}),
    ("BatchNorm2d", (4, 3, 5, 5), {}), ("BatchNorm2d", (4, 3, 2, 2), {"momentum": None}),
    ("BatchNorm2d", (4, 3, 2, 2), {"affine": False}),
    ("BatchNorm1d", (5, 4), {"track_running_stats": False}),
    ("BatchNorm1d", (5, 4), {"bias": False, "eps": 1e-3, "momentum": 0.3}),
]


@pytest.mark.parametrize("cls, shape, kw", BN_CASES)
def test_batch_norm_train_then_eval(cls, shape, kw):
    me, mt = getattr(nn, cls)(shape[1], **kw), getattr(tnn, cls)(shape[1], **kw)
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict())
    assert [n for n, _ in me.named_buffers()] == [n for n, _ in mt.named_buffers()]
    with torch.no_grad():
        for p in mt.parameters():
            p.uniform_(0.5, 1.5)
    _copy_params(mt, me)
    _run_steps(me, mt, shape)
    if mt.track_running_stats:
        assert me.num_batches_tracked.item() == mt.num_batches_tracked.item() == 4
        assert me.num_batches_tracked.dtype == ember.int64
    me.eval()
    mt.eval()
    _run_steps(me, mt, shape, steps=2, seed=1)


def test_batch_norm_default_init_and_errors():
    bn = nn.BatchNorm2d(3)
    assert (bn.weight.detach().numpy() == 1).all() and not bn.bias.detach().numpy().any()
    assert not bn.running_mean.numpy().any() and (bn.running_var.numpy() == 1).all()
    tb = tnn.BatchNorm2d(3)
    same_error(lambda: bn(ember.randn(2, 3, 4)), lambda: tb(torch.randn(2, 3, 4)))
    same_error(lambda: nn.BatchNorm1d(3)(ember.randn(1, 3)),
               lambda: tnn.BatchNorm1d(3)(torch.randn(1, 3)))
    same_error(lambda: nn.BatchNorm1d(3)(ember.randn(2, 3, 4, 5)),
               lambda: tnn.BatchNorm1d(3)(torch.randn(2, 3, 4, 5)))
    same_error(lambda: bn(ember.randn(2, 4, 4, 4)), lambda: tb(torch.randn(2, 4, 4, 4)))
    same_error(lambda: F.batch_norm(ember.randn(2, 3), None, None),
               lambda: TF.batch_norm(torch.randn(2, 3), None, None))
    bn.eval()
    tb.eval()
    # a batch of one is fine in eval mode
    assert_same(bn(ember.ones(1, 3, 2, 2)), tb(torch.ones(1, 3, 2, 2)))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional_double_backward(training):
    arrays = _arrays([(4, 3, 2), (3,), (3,)], seed=2)
    rm, rv = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])

    def fn(F, x, w, b):
        mod = ember if F is globals()["F"] else torch
        m = mod.from_numpy(rm.astype(np.float64 if x.dtype == mod.float64 else np.float32))
        v = mod.from_numpy(rv.astype(np.float64 if x.dtype == mod.float64 else np.float32))
        return F.batch_norm(x, m, v, w, b, training=training, momentum=0.2)

    check(fn, arrays, rtol=1e-4, atol=1e-5)
    check(lambda F, x: F.batch_norm(x, None, None, training=True), arrays[:1], rtol=1e-4,
          atol=1e-5)


# -- layer norm, group norm -------------------------------------------------------------------
@pytest.mark.parametrize("shape, ns, kw", [
    ((4, 5), 5, {}), ((2, 3, 4), (3, 4), {}), ((2, 3, 4), [4], {"elementwise_affine": False}),
    ((3, 6), 6, {"bias": False, "eps": 1e-3}),
])
def test_layer_norm(shape, ns, kw):
    me, mt = nn.LayerNorm(ns, **kw), tnn.LayerNorm(ns, **kw)
    assert repr(me) == repr(mt)
    with torch.no_grad():
        for p in mt.parameters():
            p.uniform_(0.5, 1.5)
    _copy_params(mt, me)
    _run_steps(me, mt, shape)


def test_layer_norm_functional():
    arrays = _arrays([(3, 2, 4), (2, 4), (2, 4)], seed=4, scale=2.0)
    check(lambda F, x, w, b: F.layer_norm(x, (2, 4), w, b), arrays, rtol=1e-4)
    check(lambda F, x: F.layer_norm(x, [4], eps=1e-2), arrays[:1], rtol=1e-4)
    xe, xt = ember.randn(4, 3), torch.randn(4, 3)
    same_error(lambda: F.layer_norm(xe, (4,)), lambda: TF.layer_norm(xt, (4,)))
    same_error(lambda: F.layer_norm(xe, (3,), ember.ones(4)),
               lambda: TF.layer_norm(xt, (3,), torch.ones(4)))


@pytest.mark.parametrize("groups, shape, kw", [
    (2, (3, 4, 5), {}), (1, (2, 6, 2, 2), {}), (6, (2, 6, 3), {"affine": False}),
    (3, (2, 6), {"eps": 1e-2}),
])
def test_group_norm(groups, shape, kw):
    me, mt = nn.GroupNorm(groups, shape[1], **kw), tnn.GroupNorm(groups, shape[1], **kw)
    assert repr(me) == repr(mt)
    with torch.no_grad():
        for p in mt.parameters():
            p.uniform_(0.5, 1.5)
    _copy_params(mt, me)
    _run_steps(me, mt, shape)
    arrays = _arrays([shape, (shape[1],), (shape[1],)], seed=5)
    check(lambda F, x, w, b: F.group_norm(x, groups, w, b), arrays, rtol=1e-4)
    same_error(lambda: nn.GroupNorm(4, 6), lambda: tnn.GroupNorm(4, 6))
    same_error(lambda: F.group_norm(ember.randn(2, 4, 3), 3),
               lambda: TF.group_norm(torch.randn(2, 4, 3), 3))


# -- dropout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    ember.manual_seed(0)
    x = ember.rand(400, 500) + 0.5
    x.requires_grad_()
    y = F.dropout(x, p)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    # every kept value is x / (1 - p) to float32 precision (x times the float32 scale)
    expected = (x.detach().numpy() / np.float32(1 - p))[kept]
    np.testing.assert_allclose(y.detach().numpy()[kept], expected, rtol=2e-7)
    assert y.dtype == ember.float32 and type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / (1 - p), 0), rtol=2e-7)
    m = nn.Dropout(p)
    assert m(x).grad_fn is not None
    m.eval()
    assert m(x) is x


def test_dropout_edge_cases():
    x = ember.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.5, training=False) is x
    y = F.dropout(x, 1.0)
    assert not y.detach().numpy().any() and type(y.grad_fn).__name__ == "MulBackward0"
    assert F.dropout(ember.randn(0, 3), 0.5).shape == (0, 3)
    z = ember.ones(100, 100)
    out = F.dropout(z, 0.5, inplace=True)
    assert out is z and set(np.unique(z.numpy())) <= {0.0, 2.0}
    same_error(lambda: F.dropout(x, 1.5), lambda: TF.dropout(torch.ones(2), 1.5))
    same_error(lambda: nn.Dropout(-0.1), lambda: tnn.Dropout(-0.1))
    for ce, ct in ((nn.Dropout(), tnn.Dropout()), (nn.Dropout2d(0.2, True),
                                                    tnn.Dropout2d(0.2, True)),
                   (nn.Dropout1d(0.3), tnn.Dropout1d(0.3))):
        assert repr(ce) == repr(ct)


def test_dropout2d_zeroes_whole_channels():
    ember.manual_seed(1)
    x = ember.ones(50, 40, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(50, 40, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert abs((per_channel[..., 0] == 0).mean() - 0.5) < 0.05
    with pytest.warns(UserWarning, match="Received a 3D input"):
        y3 = F.dropout2d(ember.ones(20, 30, 4)).numpy()
    assert ((y3 == 0).all(-1) | (y3 == 2).all(-1)).all()
    with pytest.warns(UserWarning, match="Received a 2-D input"):
        F.dropout2d(ember.ones(4, 3))
    y1 = F.dropout1d(ember.ones(30, 5)).numpy()  # unbatched (C, L)
    assert ((y1 == 0).all(-1) | (y1 == 2).all(-1)).all()
    same_error(lambda: F.dropout1d(ember.ones(2)), lambda: TF.dropout1d(torch.ones(2)))


def test_dropout_follows_manual_seed():
    ember.manual_seed(3)
    a = F.dropout(ember.ones(10, 10)).numpy().copy()
    ember.manual_seed(3)
    assert np.array_equal(a, F.dropout(ember.ones(10, 10)).numpy())


# -- embedding ----------------------------------------------------------------------------------
def test_embedding_parity_and_padding():
    te = tnn.Embedding(10, 4, padding_idx=2)
    ee = nn.Embedding(10, 4, padding_idx=2)
    assert repr(ee) == repr(te)
    assert not ee.weight.detach().numpy()[2].any()
    _copy_params(te, ee)
    idx = np.array([[1, 2, 3], [2, 9, 1]])
    check(lambda F, w, i: F.embedding(i, w, padding_idx=2), [te.weight.detach().numpy(), idx],
          double=False)
    ye, yt = ee(ember.from_numpy(idx)), te(torch.from_numpy(idx))
    assert_same(ye, yt)
    up = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    ye.backward(ember.from_numpy(up))
    yt.backward(torch.from_numpy(up))
    assert_same(ee.weight.grad, te.weight.grad, 1e-6, 1e-6)
    assert not ee.weight.grad.numpy()[2].any()
    assert ee(ember.tensor([1, 3], dtype=ember.int32)).shape == (2, 4)


def test_embedding_options():
    w = _arrays([(6, 3)], 1, 2.0)[0]
    idx = np.array([0, 4, 4, 1, 4, 5])
    # PyTorch's double backward ignores the frequency scaling; only first order is compared
    check(lambda F, w, i: F.embedding(i, w, scale_grad_by_freq=True), [w, idx], double=False)
    check(lambda F, w, i: F.embedding(i, w, padding_idx=-2), [w, idx])
    # max_norm renormalizes the looked-up rows in place
    for norm_type in (2.0, 1.0):
        we, wt = ember.from_numpy(w.copy()), torch.from_numpy(w.copy())
        ye = F.embedding(ember.from_numpy(idx), we, max_norm=1.0, norm_type=norm_type)
        yt = TF.embedding(torch.from_numpy(idx), wt, max_norm=1.0, norm_type=norm_type)
        assert_same(ye, yt, 1e-6, 1e-6)
        assert_same(we, wt, 1e-6, 1e-6)
    me = nn.Embedding(6, 3, max_norm=0.5, norm_type=1.0, scale_grad_by_freq=True)
    mt = tnn.Embedding(6, 3, max_norm=0.5, norm_type=1.0, scale_grad_by_freq=True)
    assert repr(me) == repr(mt)


def test_embedding_init_from_pretrained_and_errors():
    ember.manual_seed(0)
    w = nn.Embedding(300, 200).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01 and w.dtype == np.float32
    pre = ember.randn(4, 2)
    emb = nn.Embedding.from_pretrained(pre)
    assert emb.weight.requires_grad is False and np.array_equal(emb.weight.numpy(), pre.numpy())
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    ie, it = ember.tensor([5]), torch.tensor([5])
    we, wt = ember.randn(3, 2), torch.randn(3, 2)
    same_error(lambda: F.embedding(ie, we), lambda: TF.embedding(it, wt))
    same_error(lambda: F.embedding(ember.tensor([1.0]), we),
               lambda: TF.embedding(torch.tensor([1.0]), wt))
    same_error(lambda: nn.Embedding(3, 2, padding_idx=5), lambda: tnn.Embedding(3, 2,
                                                                                 padding_idx=5))
    same_error(lambda: nn.Embedding.from_pretrained(ember.ones(3)),
               lambda: tnn.Embedding.from_pretrained(torch.ones(3)))


def test_one_hot():
    for values, n in (([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3)):
        assert_same(F.one_hot(ember.tensor(values, dtype=ember.int64), n),
                    TF.one_hot(torch.tensor(values, dtype=torch.int64), n))
    for values, n in (([1, -1], -1), ([1, 5], 3), ([], -1)):
        same_error(lambda: F.one_hot(ember.tensor(values, dtype=ember.int64), n),
                   lambda: TF.one_hot(torch.tensor(values, dtype=torch.int64), n))
    same_error(lambda: F.one_hot(ember.tensor([1.0])), lambda: TF.one_hot(torch.tensor([1.0])))


def test_normalize():
    x = _arrays([(3, 4)], 2)
    check(lambda F, x: F.normalize(x), x)
    check(lambda F, x: F.normalize(x, p=1.0, dim=0), x)
    z = [np.zeros((2, 3))]
    check(lambda F, x: F.normalize(x), z, double=False, name=False)


# -- bilinear, flatten, identity ----------------------------------------------------------------
def test_bilinear():
    te, ee = tnn.Bilinear(3, 4, 2), nn.Bilinear(3, 4, 2)
    assert repr(ee) == repr(te)
    _copy_params(te, ee)
    a, b = _arrays([(5, 3), (5, 4)], 3)
    check(lambda F, a, b, w, bias: F.bilinear(a, b, w, bias),
          [a, b, te.weight.detach().numpy(), te.bias.detach().numpy()])
    check(lambda F, a, b, w: F.bilinear(a, b, w), _arrays([(2, 3, 3), (2, 3, 4), (2, 3, 4)]))
    x1, x2 = [t.astype(np.float32) for t in (a, b)]
    ye = ee(ember.from_numpy(x1), ember.from_numpy(x2))
    yt = te(torch.from_numpy(x1), torch.from_numpy(x2))
    assert_same(ye, yt, 1e-5, 1e-6)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(ee.weight.grad, te.weight.grad, 1e-5, 1e-5)
    assert_same(ee.bias.grad, te.bias.grad, 1e-5, 1e-5)
    ember.manual_seed(0)
    w = nn.Bilinear(100, 3, 400).weight.detach().numpy()
    assert np.abs(w).max() <= 0.1 and np.abs(w).max() > 0.099
    same_error(lambda: ee(ember.ones(2, 3), ember.ones(2, 2)),
               lambda: te(torch.ones(2, 3), torch.ones(2, 2)))
    same_error(lambda: ee(ember.ones(2, 2), ember.ones(2, 4)),
               lambda: te(torch.ones(2, 2), torch.ones(2, 4)))
    same_error(lambda: ee(ember.ones(2, 3), ember.ones(3, 4)),
               lambda: te(torch.ones(2, 3), torch.ones(3, 4)))


def test_flatten_unflatten_identity():
    x = np.arange(24.0).reshape(2, 3, 4)
    for make in (lambda m: m.Flatten(), lambda m: m.Flatten(0, 1), lambda m: m.Unflatten(2,
                                                                                          (2, 2)),
                 lambda m: m.Unflatten(-1, [2, -1]), lambda m: m.Identity(3, foo=1)):
        me, mt = make(nn), make(tnn)
        assert repr(me) == repr(mt)
        assert_same(me(ember.from_numpy(x)), mt(torch.from_numpy(x)))
    same_error(lambda: nn.Unflatten(1, (2, 2))(ember.ones(4, 3)),
               lambda: tnn.Unflatten(1, (2, 2))(torch.ones(4, 3)))
    same_error(lambda: nn.Unflatten(1, 4), lambda: tnn.Unflatten(1, 4))


# -- init ---------------------------------------------------------------------------------------
def test_calculate_gain_and_fans():
    for nl in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert nn.init.calculate_gain(nl) == tnn.init.calculate_gain(nl)
    for p in (0.2, 1, None):
        assert nn.init.calculate_gain("leaky_relu", p) == tnn.init.calculate_gain("leaky_relu", p)
    same_error(lambda: nn.init.calculate_gain("leaky_relu", True),
               lambda: tnn.init.calculate_gain("leaky_relu", True))
    for shape in ((3, 4), (8, 3, 5, 5), (2, 6, 3)):
        assert nn.init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    same_error(lambda: nn.init.kaiming_uniform_(ember.empty(3, 3), mode="fan"),
               lambda: tnn.init.kaiming_uniform_(torch.empty(3, 3), mode="fan"))


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), a.min(), a.max()


def test_init_distributions():
    ember.manual_seed(0)
    p = nn.Parameter(ember.empty(300, 400))
    fan_in, fan_out = 400, 300
    cases = [
        (lambda: nn.init.xavier_normal_(p, gain=2.0), 2.0 * math.sqrt(2 / (fan_in + fan_out))),
        (lambda: nn.init.kaiming_normal_(p, mode="fan_out", nonlinearity="relu"),
         math.sqrt(2 / fan_out)),
        (lambda: nn.init.kaiming_normal_(p, a=0.3), math.sqrt(2 / (1 + 0.09)) / math.sqrt(400)),
        (lambda: nn.init.kaiming_uniform_(p, nonlinearity="selu"), 0.75 / math.sqrt(400)),
        (lambda: nn.init.xavier_uniform_(p), math.sqrt(2 / (fan_in + fan_out))),
        (lambda: nn.init.normal_(p, 1.0, 0.3), 0.3),
        (lambda: nn.init.uniform_(p, -2.0, 1.0), 3 / math.sqrt(12)),
    ]
    for fill, std in cases:
        assert fill() is p
        assert p.is_leaf and p.requires_grad and p.dtype == ember.float32
        _, s, _, _ = _stats(p)
        assert abs(s - std) < 0.02 * std, (s, std)
    nn.init.kaiming_uniform_(p, a=math.sqrt(5))
    bound = 1 / math.sqrt(400)
    assert np.abs(p.detach().numpy()).max() <= bound
    m, s, lo, hi = _stats(nn.init.trunc_normal_(p, 0.5, 2.0, -1.0, 3.0))
    assert lo >= -1.0 and hi <= 3.0 and hi > 2.99 and lo < -0.99
    ref = torch.nn.init.trunc_normal_(torch.empty(300, 400), 0.5, 2.0, -1.0, 3.0).numpy()
    assert abs(m - ref.mean()) < 0.02 and abs(s - ref.std()) < 0.02
    d = nn.init.trunc_normal_(ember.empty(1000, 100, dtype=ember.float64))
    assert abs(d.numpy().std() - 0.8796) < 0.01  # std of N(0, 1) truncated to [-2, 2]
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        nn.init.trunc_normal_(ember.empty(3), mean=10.0)


def test_init_deterministic_fills():
    for shape in ((3, 5), (4, 2)):
        assert_same(nn.init.eye_(ember.empty(shape)), tnn.init.eye_(torch.empty(shape)))
    for shape, groups in (((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 1, 3, 3), 1)):
        assert_same(nn.init.dirac_(ember.empty(shape), groups),
                    tnn.init.dirac_(torch.empty(shape), groups))
    assert_same(nn.init.constant_(ember.empty(2, 2), 0.3), tnn.init.constant_(torch.empty(2, 2),
                                                                              0.3))
    assert_same(nn.init.zeros_(ember.ones(2)), tnn.init.zeros_(torch.ones(2)))
    assert_same(nn.init.ones_(ember.zeros(2)), tnn.init.ones_(torch.zeros(2)))
    same_error(lambda: nn.init.eye_(ember.empty(3)), lambda: tnn.init.eye_(torch.empty(3)))
    same_error(lambda: nn.init.dirac_(ember.empty(3, 3)),
               lambda: tnn.init.dirac_(torch.empty(3, 3)))
    same_error(lambda: nn.init.orthogonal_(ember.empty(3)),
               lambda: tnn.init.orthogonal_(torch.empty(3)))
    v = ember.ones(4)
    w = v[1:3]
    nn.init.zeros_(w)  # writes through a view
    assert v.tolist() == [1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3)])
def test_orthogonal(shape):
    ember.manual_seed(0)
    t = nn.init.orthogonal_(ember.empty(shape), gain=2.0)
    q = t.numpy().reshape(shape[0], -1)
    small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-5)


def test_init_on_parameters_records_nothing():
    lin = nn.Linear(3, 2)
    v = lin.weight._version[0]
    nn.init.normal_(lin.weight)
    assert lin.weight.grad_fn is None and lin.weight._version[0] > v
    y = lin(ember.ones(1, 3)).sum()
    y.backward()
    assert lin.weight.grad is not None


def test_default_inits_follow_pytorch():
    ln = nn.LayerNorm(4)
    gn = nn.GroupNorm(2, 4)
    for m in (ln, gn):
        assert (m.weight.detach().numpy() == 1).all() and not m.bias.detach().numpy().any()


# -- nn.utils -----------------------------------------------------------------------------------
def _grads_pair(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    pe = [nn.Parameter(ember.zeros(s)) for s in shapes]
    pt = [tnn.Parameter(torch.zeros(s)) for s in shapes]
    for a, b, s in zip(pe, pt, shapes):
        g = (rng.standard_normal(s) * 3).astype(np.float32)
        a.grad = ember.from_numpy(g.copy())
        b.grad = torch.from_numpy(g.copy())
    return pe, pt


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm(norm_type, max_norm):
    pe, pt = _grads_pair()
    ne = nn.utils.clip_grad_norm_(pe, max_norm, norm_type)
    nt = tnn.utils.clip_grad_norm_(pt, max_norm, norm_type)
    assert_same(ne, nt, 1e-5, 1e-6)
    for a, b in zip(pe, pt):
        assert_same(a.grad, b.grad, 1e-5, 1e-6)


def test_clip_grad_norm_edge_cases():
    pe, pt = _grads_pair()
    assert_same(nn.utils.clip_grad_norm_(pe[0], 1.0), tnn.utils.clip_grad_norm_(pt[0], 1.0),
                1e-5, 1e-6)
    assert_same(nn.utils.clip_grad_norm_([nn.Parameter(ember.ones(2))], 1.0),
                tnn.utils.clip_grad_norm_([tnn.Parameter(torch.ones(2))], 1.0))
    pe, pt = _grads_pair()
    pe[0].grad[0, 0] = float("inf")
    pt[0].grad[0, 0] = float("inf")
    same_error(lambda: nn.utils.clip_grad_norm_(pe, 1.0, error_if_nonfinite=True),
               lambda: tnn.utils.clip_grad_norm_(pt, 1.0, error_if_nonfinite=True))
    assert_same(nn.utils.clip_grad_norm_(pe, 1.0), tnn.utils.clip_grad_norm_(pt, 1.0))
    for a, b in zip(pe, pt):
        assert_same(a.grad, b.grad)


def test_clip_grad_value_and_vectors():
    pe, pt = _grads_pair(1)
    assert nn.utils.clip_grad_value_(pe, 0.7) is None
    tnn.utils.clip_grad_value_(pt, 0.7)
    for a, b in zip(pe, pt):
        assert_same(a.grad, b.grad)
    ve = nn.utils.parameters_to_vector(pe)
    vt = tnn.utils.parameters_to_vector(pt)
    assert_same(ve, vt)
    assert type(ve.grad_fn).__name__ == vt.grad_fn.name()
    new = ember.arange(ve.numel(), dtype=ember.float32)
    nn.utils.vector_to_parameters(new, pe)
    assert pe[1].tolist() == [12.0, 13.0, 14.0, 15.0] and pe[2].shape == (2, 2, 2)
    new[12] = -1.0  # the parameters share the vector's memory, as in PyTorch
    assert pe[1].tolist()[0] == -1.0
    same_error(lambda: nn.utils.vector_to_parameters([1.0], pe),
               lambda: tnn.utils.vector_to_parameters([1.0], pt))


# -- gradcheck / gradgradcheck in float64 -------------------------------------------------------
def _r(*shape, seed=0, lo=None):
    a = np.random.default_rng(sum(shape) + seed).standard_normal(shape)
    if lo is not None:
        a = lo + (1 - 2 * lo) / (1 + np.exp(-a))
    return ember.from_numpy(a).requires_grad_()


GRADCHECKS = {
    "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         lambda: (_r(4, 3, 2), _r(3), _r(3, seed=1))),
    "batch_norm_eval": (
        lambda x, w, b: F.batch_norm(x, ember.zeros(3, dtype=ember.float64),
                                     ember.ones(3, dtype=ember.float64) * 2, w, b),
        lambda: (_r(4, 3), _r(3), _r(3, seed=1))),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (2, 3), w, b),
                   lambda: (_r(2, 2, 3), _r(2, 3), _r(2, 3, seed=1))),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b),
                   lambda: (_r(2, 4, 3), _r(4), _r(4, seed=1))),
    # (padding_idx and scale_grad_by_freq change the gradient on purpose: not checked here)
    "embedding": (lambda w: F.embedding(ember.tensor([[0, 2], [2, 3]]), w), lambda: (_r(4, 3),)),
    "bilinear": (F.bilinear, lambda: (_r(3, 2), _r(3, 4), _r(2, 2, 4), _r(2))),
    "smooth_l1": (lambda x, t: F.smooth_l1_loss(x, t, beta=0.5), lambda: (_r(3, 4), _r(3, 4,
                                                                                      seed=1))),
    "huber": (lambda x, t: F.huber_loss(x, t, delta=0.5, reduction="sum"),
              lambda: (_r(3, 4), _r(3, 4, seed=1))),
    "bce": (F.binary_cross_entropy, lambda: (_r(3, 4, lo=0.05), _r(3, 4, seed=1, lo=0.05))),
    "bce_logits_pos_weight": (
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, pos_weight=ember.tensor([0.5, 2.0, 1.0, 3.0], dtype=ember.float64)),
        lambda: (_r(3, 4), _r(3, 4, seed=1, lo=0.05))),
    "kl_div": (lambda x, t: F.kl_div(x, t, reduction="batchmean"),
               lambda: (_r(3, 4), _r(3, 4, seed=1, lo=0.05))),
    "elu": (lambda x: F.elu(x, 0.5), lambda: (_r(3, 4),)),
    "selu": (F.selu, lambda: (_r(3, 4),)),
    "celu": (lambda x: F.celu(x, 1.5), lambda: (_r(3, 4),)),
    "gelu": (F.gelu, lambda: (_r(3, 4),)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda: (_r(3, 4),)),
    "silu": (F.silu, lambda: (_r(3, 4),)),
    "mish": (F.mish, lambda: (_r(3, 4),)),
    "hardswish": (F.hardswish, lambda: (_r(3, 4),)),
    "logsigmoid": (F.logsigmoid, lambda: (_r(3, 4),)),
    "normalize": (F.normalize, lambda: (_r(3, 4),)),
}


@pytest.mark.parametrize("name", list(GRADCHECKS))
def test_gradcheck(name):
    fn, make = GRADCHECKS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(fn, make())
        assert gradgradcheck(fn, make())
