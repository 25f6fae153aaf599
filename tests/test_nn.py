"""Parity tests for ember.nn and ember.nn.functional against torch.nn."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as nn
import ember.nn.functional as F
from parity import assert_same, same_error
from test_linalg import check_double_backward


def _pair(shape, scale=1.0, dtype=np.float32, seed=0, rg=True):
    a = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)
    return (ember.from_numpy(a.copy()).requires_grad_(rg),
            torch.from_numpy(a.copy()).requires_grad_(rg))


def _idx(values):
    return ember.tensor(values), torch.tensor(values)


def check_fn(fe, ft, shape, scale=1.0, rtol=1e-5, atol=1e-5, double=True):
    """Value, grad_fn name, gradient (random upstream) and double backward agree."""
    xe, xt = _pair(shape, scale)
    ye, yt = fe(xe), ft(xt)
    assert_same(ye, yt, rtol, atol)
    assert np.isfinite(ye.detach().numpy()).all() == np.isfinite(yt.detach().numpy()).all()
    if yt.grad_fn is not None:
        assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
    w = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.from_numpy(w.copy())).sum().backward()
    (yt * torch.from_numpy(w.copy())).sum().backward()
    assert_same(xe.grad, xt.grad, rtol, atol)
    assert np.isfinite(xe.grad.numpy()).all()
    if double:
        check_double_backward(fe, ft, [shape])


# -- softmax family -----------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 1e4])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(scale, dim):
    check_fn(lambda x: F.softmax(x, dim), lambda x: TF.softmax(x, dim), (3, 4, 5), scale)
    check_fn(lambda x: F.log_softmax(x, dim), lambda x: TF.log_softmax(x, dim), (3, 4, 5), scale,
             rtol=1e-5, atol=1e-3 if scale > 1 else 1e-5)
    check_fn(lambda x: ember.softmax(x, dim), lambda x: torch.softmax(x, dim), (2, 3), scale)
    check_fn(lambda x: x.log_softmax(dim), lambda x: x.log_softmax(dim), (2, 3), scale,
             atol=1e-3 if scale > 1 else 1e-5)


def test_softmax_dtype_and_implicit_dim():
    check_fn(lambda x: F.softmax(x, 1, dtype=ember.float64),
             lambda x: TF.softmax(x, 1, dtype=torch.float64), (2, 3), double=False)
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        xe, xt = _pair(shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            ye = F.softmax(xe)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yt = TF.softmax(xt)
        assert_same(ye, yt)
    assert_same(ember.softmax(ember.tensor(2.0), 0), torch.softmax(torch.tensor(2.0), 0))


def test_softmax_errors():
    ie, it = ember.ones(2, 3, dtype=ember.int64), torch.ones(2, 3, dtype=torch.long)
    same_error(lambda: F.softmax(ie, 1), lambda: TF.softmax(it, 1))
    same_error(lambda: F.softmax(ie, 0), lambda: TF.softmax(it, 0))
    same_error(lambda: F.log_softmax(ie, 1), lambda: TF.log_softmax(it, 1))
    same_error(lambda: F.softmax(ember.ones(2, 3), 2), lambda: TF.softmax(torch.ones(2, 3), 2))
    same_error(lambda: ember.softmax(ember.ones(2)), lambda: torch.softmax(torch.ones(2)))
    assert_same(ember.softmax(ie, 1, dtype=ember.float32),
                torch.softmax(it, 1, dtype=torch.float32))


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 5.0), (0.5, 1.0)])
def test_softplus(beta, threshold):
    check_fn(lambda x: F.softplus(x, beta, threshold), lambda x: TF.softplus(x, beta, threshold),
             (4, 5), 5.0)
    check_fn(lambda x: F.softplus(x), lambda x: TF.softplus(x), (4, 5), 1e4, double=False)
    same_error(lambda: F.softplus(ember.ones(2, dtype=ember.int64)),
               lambda: TF.softplus(torch.ones(2, dtype=torch.long)))


def test_activations():
    for name in ("relu", "sigmoid", "tanh"):
        check_fn(getattr(F, name), getattr(TF, name), (3, 4), 3.0)
    xe, xt = _pair((3, 4), rg=False)
    F.relu(xe, inplace=True)
    TF.relu(xt, inplace=True)
    assert_same(xe, xt)


# -- linear ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("xshape", [(3,), (2, 3), (5, 2, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xshape, bias):
    (we, wt), (be, bt) = _pair((4, 3), seed=2), _pair((4,), seed=3)
    fe = lambda x: F.linear(x, we, be if bias else None)  # noqa: E731
    ft = lambda x: TF.linear(x, wt, bt if bias else None)  # noqa: E731
    check_fn(fe, ft, xshape, double=False)
    assert_same(we.grad, wt.grad, 1e-5, 1e-5)
    if bias:
        assert_same(be.grad, bt.grad, 1e-5, 1e-5)
    # double backward through all three inputs
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (xshape, (4, 3), (4,))]
    es = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    (F.linear(es[0], es[1], es[2] if bias else None) ** 2).sum().backward(create_graph=True)
    (TF.linear(ts[0], ts[1], ts[2] if bias else None) ** 2).sum().backward(create_graph=True)
    ge, gt = [e.grad for e in es[:2]], [t.grad for t in ts[:2]]
    for x in es + ts:
        x.grad = None
    sum((g**3).sum() for g in ge).backward()
    sum((g**3).sum() for g in gt).backward()
    assert_same([e.grad for e in es[:2]], [t.grad for t in ts[:2]], 1e-8, 1e-8)


def test_linear_errors():
    (x, tx), (w, tw), (b, tb) = _pair((2, 3)), _pair((4, 5)), _pair((5,))
    same_error(lambda: F.linear(x, w), lambda: TF.linear(tx, tw))
    (w3, tw3) = _pair((4, 3))
    same_error(lambda: F.linear(x, w3, b), lambda: TF.linear(tx, tw3, tb))
    same_error(lambda: F.linear(x, w3.double()), lambda: TF.linear(tx, tw3.double()))
    same_error(lambda: F.linear(x, w3, ember.ones(4, dtype=ember.float64)),
               lambda: TF.linear(tx, tw3, torch.ones(4, dtype=torch.float64)))


# -- losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    (te, tt) = _pair((3, 4), seed=5)
    check_fn(lambda x: F.mse_loss(x, te, reduction=reduction),
             lambda x: TF.mse_loss(x, tt, reduction=reduction), (3, 4))
    assert_same(te.grad, tt.grad, 1e-5, 1e-5)
    check_fn(lambda x: F.mse_loss(x, te.detach() * 1e4, reduction=reduction),
             lambda x: TF.mse_loss(x, tt.detach() * 1e4, reduction=reduction), (3, 4), 1e4,
             rtol=1e-4, double=False)


def test_mse_loss_dtypes_broadcast_errors():
    (xe, xt) = _pair((2, 1))
    (ye, yt) = _pair((2,), seed=1)
    with pytest.warns(UserWarning) as rec:
        le = F.mse_loss(xe, ye)
    with warnings.catch_warnings(record=True) as rt:
        warnings.simplefilter("always")
        lt = TF.mse_loss(xt, yt)
    assert str(rec[0].message) == str(rt[0].message).replace("torch.", "ember.")
    assert_same(le, lt)
    le.backward()
    lt.backward()
    assert_same(xe.grad, xt.grad)
    assert_same(ye.grad, yt.grad)
    assert_same(F.mse_loss(ember.ones(2, 3), ember.zeros(2, 3, dtype=ember.float64)),
                TF.mse_loss(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.float64)))
    assert_same(F.mse_loss(ember.ones(2, 3), ember.zeros(2, 3, dtype=ember.int64)),
                TF.mse_loss(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.long)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: F.mse_loss(ember.ones(2, 3), ember.ones(4, 3)),
                   lambda: TF.mse_loss(torch.ones(2, 3), torch.ones(4, 3)))
    same_error(lambda: F.mse_loss(ember.ones(2), ember.ones(2), reduction="foo"),
               lambda: TF.mse_loss(torch.ones(2), torch.ones(2), reduction="foo"))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        le = F.mse_loss(ember.ones(2), ember.zeros(2), size_average=False)
    assert le.item() == 2.0


CE_CASES = [
    ((4, 5), [0, 4, 2, 1], {}),
    ((4, 5), [0, 4, 2, 1], {"reduction": "sum"}),
    ((4, 5), [0, 4, 2, 1], {"reduction": "none"}),
    ((4, 5), [0, -100, 2, 1], {}),
    ((4, 5), [0, 3, 2, 3], {"ignore_index": 3}),
    ((4, 5), [0, 4, 2, 1], {"weight": [1.0, 2.0, 0.5, 3.0, 1.5]}),
    ((4, 5), [0, 4, -100, 1], {"weight": [1.0, 2.0, 0.5, 3.0, 1.5], "reduction": "none"}),
    ((4, 5), [0, 4, 2, 1], {"label_smoothing": 0.1}),
    ((4, 5), [0, -100, 2, 1], {"label_smoothing": 0.2, "reduction": "sum"}),
    ((4, 5), [0, 4, -100, 1], {"label_smoothing": 0.3, "weight": [1.0, 2.0, 0.5, 3.0, 1.5]}),
    ((4, 5), [0, 4, 2, 1], {"label_smoothing": 0.1, "reduction": "none"}),
    ((5,), 3, {}),
    ((5,), 3, {"reduction": "none"}),
    ((2, 3, 4), [[0, 1, 2, 0], [2, 2, 1, 0]], {}),
    ((2, 3, 4), [[0, 1, 2, 0], [2, 2, 1, 0]], {"reduction": "none"}),
    ((2, 3, 2, 2), [[[0, 1], [2, 0]], [[2, 2], [1, 0]]], {}),
    ((2, 3, 2, 2), [[[0, 1], [2, 0]], [[2, 2], [1, 0]]], {"reduction": "none"}),
    ((2, 3, 1, 2, 2), [[[[0, 1], [2, 0]]], [[[2, 2], [1, 0]]]], {"reduction": "sum"}),
    ((2, 3, 1, 2, 2), [[[[0, 1], [2, 0]]], [[[2, 2], [1, 0]]]], {"reduction": "none"}),
    ((2, 3, 4), [[0, 1, 2, 0], [2, 2, 1, 0]], {"label_smoothing": 0.1}),
]


def _kw(kw, mod):
    kw = dict(kw)
    if "weight" in kw:
        kw["weight"] = mod.tensor(kw["weight"])
    return kw


@pytest.mark.parametrize("scale", [1.0, 1e4])
@pytest.mark.parametrize("shape,target,kw", CE_CASES)
def test_cross_entropy_and_nll(shape, target, kw, scale):
    te, tt = _idx(target)
    atol = 1e-5 * max(scale, 1) * 5
    check_fn(lambda x: F.cross_entropy(x, te, **_kw(kw, ember)),
             lambda x: TF.cross_entropy(x, tt, **_kw(kw, torch)), shape, scale, atol=atol,
             double=scale == 1.0 and "weight" not in kw)
    if "label_smoothing" not in kw:
        check_fn(lambda x: F.nll_loss(x, te, **_kw(kw, ember)),
                 lambda x: TF.nll_loss(x, tt, **_kw(kw, torch)), shape, scale, atol=atol,
                 double=scale == 1.0 and "weight" not in kw)
        check_fn(lambda x: F.nll_loss(F.log_softmax(x, 1 if len(shape) > 1 else 0), te,
                                      **_kw(kw, ember)),
                 lambda x: TF.nll_loss(TF.log_softmax(x, 1 if len(shape) > 1 else 0), tt,
                                       **_kw(kw, torch)), shape, scale, atol=atol,
                 double=scale == 1.0 and "weight" not in kw)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"ignore_index": 0},
                                {"ignore_index": 3, "reduction": "sum"}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(128, 10), (1, 7), (7,), (0, 4)])
def test_nll_loss_bit_for_bit(shape, dtype, kw):
    """nll_loss on class indices: the input's gradient as PyTorch's bit for bit, the value to
    the last bits (PyTorch sums the batch in a cascade of its own). The common call takes a
    shorter path than weights or an ignore_index among the classes (0 or 3 here) do."""
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    n_classes = shape[-1]
    t = rng.integers(0, n_classes, shape[:1] if len(shape) == 2 else ())
    out = []
    for lib in (ember, torch):
        xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        loss = lib.nn.functional.nll_loss(xt, lib.tensor(t), **kw)
        loss.backward()
        out.append((loss.detach().numpy(), xt.grad.numpy()))
    (le, ge), (lt, gt) = out
    np.testing.assert_allclose(le, lt, atol=1e-5 if dtype == "float32" else 1e-13)
    assert le.dtype == lt.dtype
    np.testing.assert_array_equal(ge, gt)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"label_smoothing": 0.2}, {"weight": [1.0, 2.0, 3.0]},
                                {"weight": [1.0, 2.0, 3.0], "reduction": "none"}])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_cross_entropy_probabilities(kw, scale):
    p = np.random.default_rng(3).random((4, 3)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    pe, pt = ember.from_numpy(p.copy()), torch.from_numpy(p.copy())
    check_fn(lambda x: F.cross_entropy(x, pe, **_kw(kw, ember)),
             lambda x: TF.cross_entropy(x, pt, **_kw(kw, torch)), (4, 3), scale,
             atol=1e-5 * scale * 5, double=scale == 1.0 and "weight" not in kw)


def test_all_ignored_and_empty():
    xe, xt = _pair((2, 3))
    te, tt = _idx([-100, -100])
    assert_same(F.nll_loss(xe, te), TF.nll_loss(xt, tt))
    assert_same(F.cross_entropy(xe, te, label_smoothing=0.2),
                TF.cross_entropy(xt, tt, label_smoothing=0.2))
    assert_same(F.nll_loss(xe, te, reduction="sum"), TF.nll_loss(xt, tt, reduction="sum"))
    ee, et = _pair((0, 3))
    assert_same(F.cross_entropy(ee, ember.zeros(0, dtype=ember.int64)),
                TF.cross_entropy(et, torch.zeros(0, dtype=torch.long)))
    assert_same(F.mse_loss(ee, ee.detach()), TF.mse_loss(et, et.detach()))


def test_loss_errors():
    x2, t2 = _pair((2, 3))
    cases = [
        (lambda m, f, x: f.cross_entropy(x, m.tensor([0, 5])), x2, t2),
        (lambda m, f, x: f.cross_entropy(x, m.tensor([0, -1])), x2, t2),
        (lambda m, f, x: f.nll_loss(x, m.tensor([0, 5])), x2, t2),
        (lambda m, f, x: f.nll_loss(x, m.tensor([0.0, 1.0])), x2, t2),
        (lambda m, f, x: f.cross_entropy(x, m.tensor([0.0, 1.0])), x2, t2),
        (lambda m, f, x: f.cross_entropy(x, m.tensor([0, 1, 1])), x2, t2),
        (lambda m, f, x: f.nll_loss(x, m.tensor([0, 1], dtype=m.int32)), x2, t2),
        (lambda m, f, x: f.nll_loss(x, m.tensor([0, 1]), weight=m.ones(2)), x2, t2),
        (lambda m, f, x: f.nll_loss(x, m.tensor([0, 1]), weight=m.ones(3, dtype=m.float64)),
         x2, t2),
        (lambda m, f, x: f.nll_loss(x, m.tensor([0, 1]), reduction="foo"), x2, t2),
        (lambda m, f, x: f.cross_entropy(x, m.tensor([0, 1]), label_smoothing=1.1), x2, t2),
        (lambda m, f, x: f.cross_entropy(x, m.ones(2, 4)), x2, t2),
        (lambda m, f, x: f.cross_entropy(x, m.ones(2, 3), ignore_index=1), x2, t2),
        (lambda m, f, x: f.cross_entropy(x.sum(), m.tensor(1)), x2, t2),
        (lambda m, f, x: f.nll_loss(x.sum(), m.tensor(1)), x2, t2),
        (lambda m, f, x: f.cross_entropy(x.long(), m.tensor([0, 1])), x2, t2),
        (lambda m, f, x: f.nll_loss(x.reshape(2, 3, 1), m.zeros(2, 2, dtype=m.int64)), x2, t2),
        (lambda m, f, x: f.nll_loss(x.reshape(2, 3, 1, 1), m.zeros(2, 2, 1, dtype=m.int64)),
         x2, t2),
        (lambda m, f, x: f.nll_loss(x.reshape(2, 3, 1, 1), m.tensor([[[0]], [[5]]])), x2, t2),
    ]
    for fn, xe, xt in cases:
        same_error(lambda: fn(ember, F, xe), lambda: fn(torch, TF, xt))


# -- Parameter --------------------------------------------------------------------------------------
def test_parameter():
    t = ember.ones(2, 3)
    p = nn.Parameter(t)
    tp = tnn.Parameter(torch.ones(2, 3))
    assert repr(p) == repr(tp).replace("torch.", "ember.")
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    t[0, 0] = 5.0
    assert p[0, 0].item() == 5.0  # shares t's data
    assert type(p * 2) is ember.Tensor and type(p.detach()) is ember.Tensor
    assert repr(nn.Parameter()) == repr(tnn.Parameter()).replace("torch.", "ember.")
    pi = nn.Parameter(ember.ones(2, dtype=ember.int64), requires_grad=False)
    assert repr(pi) == repr(tnn.Parameter(torch.ones(2, dtype=torch.long), requires_grad=False))
    same_error(lambda: nn.Parameter(ember.ones(2, dtype=ember.int64)),
               lambda: tnn.Parameter(torch.ones(2, dtype=torch.long)))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q is not p
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad and np.array_equal(r.numpy(force=True),
                                                                          p.numpy(force=True))
    big = nn.Parameter(ember.arange(6.0).reshape(2, 3))
    assert repr(big) == repr(tnn.Parameter(torch.arange(6.0).reshape(2, 3)))


# -- Module ---------------------------------------------------------------------------------------
def _build(mod):
    class Net(mod.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = mod.nn.Linear(3, 4)
            self.scale = mod.nn.Parameter(mod.ones(1))
            self.act = mod.nn.ReLU()
            self.fc = mod.nn.Linear(4, 2)
            self.register_buffer("running", mod.zeros(2))

        def forward(self, x):
            return self.fc(self.act(self.conv(x))) * self.scale + self.running

    return Net()


def _copy_weights(src_torch, dst_ember):
    for (ne, pe), (nt, pt) in zip(dst_ember.named_parameters(), src_torch.named_parameters()):
        assert ne == nt
        with ember.no_grad():
            pe.copy_(ember.from_numpy(pt.detach().numpy().copy()))


def test_module_registration_and_order():
    me, mt = _build(ember), _build(torch)
    assert [n for n, _ in me.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [n for n, _ in me.named_buffers()] == [n for n, _ in mt.named_buffers()]
    assert [n for n, _ in me.named_children()] == [n for n, _ in mt.named_children()]
    assert [n for n, _ in me.named_modules()] == [n for n, _ in mt.named_modules()]
    assert list(me.state_dict()) == list(mt.state_dict())
    assert repr(me) == repr(mt)
    # freezing, then replacing a layer: it keeps its place and is trainable
    for m in (me, mt):
        for p in m.parameters():
            p.requires_grad = False
    me.conv = nn.Linear(3, 5)
    mt.conv = tnn.Linear(3, 5)
    assert [n for n, _ in me.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [p.requires_grad for p in me.parameters()] == [p.requires_grad
                                                          for p in mt.parameters()]
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict())


def test_module_shared_and_deleted():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    tl = tnn.Linear(2, 2)
    tseq = tnn.Sequential(tl, tnn.ReLU(), tl)
    assert len(list(seq.parameters())) == len(list(tseq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters()] == [n for n, _ in tseq.named_parameters()]
    assert [n for n, _ in seq.named_modules()] == [n for n, _ in tseq.named_modules()]
    del seq[1]
    del tseq[1]
    assert repr(seq) == repr(tseq)
    m = nn.Module()
    m.w = nn.Parameter(ember.ones(1))
    del m.w
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'w'"):
        m.w


def test_module_errors():
    le, lt = nn.Linear(3, 4), tnn.Linear(3, 4)
    same_error(lambda: setattr(le, "weight", ember.ones(4, 3)),
               lambda: setattr(lt, "weight", torch.ones(4, 3)))
    same_error(lambda: le.foo, lambda: lt.foo)
    same_error(lambda: nn.Sequential(le)[3], lambda: tnn.Sequential(lt)[3])
    same_error(lambda: le.train("yes"), lambda: lt.train("yes"))
    same_error(lambda: nn.Module()(1), lambda: tnn.Module()(1))
    same_error(lambda: le.register_parameter("a.b", None),
               lambda: lt.register_parameter("a.b", None))
    same_error(lambda: le.register_parameter("x", nn.Parameter(ember.ones(1)) * 2),
               lambda: lt.register_parameter("x", tnn.Parameter(torch.ones(1)) * 2))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    class TEarly(tnn.Module):
        def __init__(self):
            self.w = tnn.Parameter(torch.ones(1))

    same_error(Early, TEarly)


def test_reprs():
    pairs = [
        (nn.Linear(3, 1), tnn.Linear(3, 1)), (nn.Linear(3, 2, bias=False),
                                              tnn.Linear(3, 2, bias=False)),
        (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()), (nn.Softmax(dim=1), tnn.Softmax(dim=1)),
        (nn.LogSoftmax(1), tnn.LogSoftmax(1)), (nn.Flatten(), tnn.Flatten()),
        (nn.Identity(), tnn.Identity()), (nn.ReLU(inplace=True), tnn.ReLU(inplace=True)),
        (nn.MSELoss(), tnn.MSELoss()), (nn.NLLLoss(), tnn.NLLLoss()), (nn.Softmax(),
                                                                        tnn.Softmax()),
        (nn.Sigmoid(), tnn.Sigmoid()), (nn.Tanh(), tnn.Tanh()), (nn.Softplus(), tnn.Softplus()),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())),
         tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(),
                        tnn.Sequential(tnn.Linear(4, 1), tnn.Sigmoid()))),
        (nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]),
         tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 2), tnn.ReLU()])),
        (nn.Sequential(), tnn.Sequential()),
    ]
    for e, t in pairs:
        assert repr(e) == repr(t)


def test_sequential_ops():
    from collections import OrderedDict

    layers = lambda m: [m.Linear(2, 3), m.ReLU(), m.Linear(3, 1), m.Sigmoid()]  # noqa: E731
    se, st = nn.Sequential(*layers(nn)), tnn.Sequential(*layers(tnn))
    assert len(se) == len(st) == 4
    assert repr(se[1:3]) == repr(st[1:3])
    assert repr(se[-1]) == repr(st[-1])
    assert [type(m).__name__ for m in se] == [type(m).__name__ for m in st]
    se.append(nn.Flatten())
    st.append(tnn.Flatten())
    assert repr(se) == repr(st)
    od = OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.Tanh())])
    tod = OrderedDict([("hidden", tnn.Linear(2, 2)), ("act", tnn.Tanh())])
    assert repr(nn.Sequential(od)) == repr(tnn.Sequential(tod))
    assert isinstance(nn.Sequential(od).hidden, nn.Linear)


def test_forward_matches_torch_with_copied_weights():
    ember.manual_seed(0)
    torch.manual_seed(0)
    te = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    tt = tnn.Sequential(tnn.Linear(5, 8), tnn.ReLU(), tnn.Linear(8, 8), tnn.Tanh(),
                        tnn.Linear(8, 3))
    _copy_weights(tt, te)
    xe, xt = _pair((6, 5), rg=False)
    target = [0, 2, 1, 1, 0, 2]
    le = nn.CrossEntropyLoss()(te(xe), ember.tensor(target))
    lt = tnn.CrossEntropyLoss()(tt(xt), torch.tensor(target))
    assert_same(le, lt, 1e-5, 1e-6)
    assert type(le.grad_fn).__name__ == lt.grad_fn.name()
    le.backward()
    lt.backward()
    for pe, pt in zip(te.parameters(), tt.parameters()):
        assert_same(pe.grad, pt.grad, 1e-5, 1e-6)
    te.zero_grad()
    assert all(p.grad is None for p in te.parameters())
    # custom module with a buffer and a scalar parameter; MSE and NLL losses
    me, mt = _build(ember), _build(torch)
    _copy_weights(mt, me)
    ye, yt = me(xe[:, :3]), mt(xt[:, :3])
    assert_same(ye, yt, 1e-5, 1e-6)
    (nn.MSELoss()(ye, ember.ones(6, 2)) + nn.NLLLoss()(nn.LogSoftmax(1)(ye),
                                                       ember.tensor([0, 1, 1, 0, 0, 1]))).backward()
    (tnn.MSELoss()(yt, torch.ones(6, 2)) + tnn.NLLLoss()(tnn.LogSoftmax(1)(yt),
                                                         torch.tensor([0, 1, 1, 0, 0, 1]))).backward()
    for pe, pt in zip(me.parameters(), mt.parameters()):
        assert_same(pe.grad, pt.grad, 1e-5, 1e-6)
    me.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in me.parameters())


def test_train_eval_requires_grad_state_dict():
    me, mt = _build(ember), _build(torch)
    me.eval()
    mt.eval()
    assert [m.training for m in me.modules()] == [m.training for m in mt.modules()]
    assert me.train() is me and me.fc.training
    me.requires_grad_(False)
    assert not any(p.requires_grad for p in me.parameters())
    sd = me.state_dict()
    assert not any(v.requires_grad for v in sd.values())
    other = _build(ember)
    assert repr(other.load_state_dict(sd)) == "<All keys matched successfully>"
    for (n1, a), (n2, b) in zip(sd.items(), other.state_dict().items()):
        assert n1 == n2 and np.array_equal(a.numpy(), b.numpy())
    le, lt = nn.Linear(2, 2), tnn.Linear(2, 2)
    same_error(lambda: le.load_state_dict({"weight": ember.ones(2, 2)}),
               lambda: lt.load_state_dict({"weight": torch.ones(2, 2)}))
    same_error(lambda: le.load_state_dict({"weight": ember.ones(3, 2), "bias": ember.ones(2),
                                           "foo": ember.ones(1)}),
               lambda: lt.load_state_dict({"weight": torch.ones(3, 2), "bias": torch.ones(2),
                                           "foo": torch.ones(1)}))
    re = le.load_state_dict({"weight": ember.ones(2, 2)}, strict=False)
    rt = lt.load_state_dict({"weight": torch.ones(2, 2)}, strict=False)
    assert repr(re) == repr(rt)
    assert le.weight.is_leaf and le.weight.requires_grad


def test_module_to_double_and_deepcopy():
    me = nn.Linear(3, 2)
    w = me.weight
    me.double()
    assert me.weight is w and w.dtype is ember.float64
    assert me(ember.ones(1, 3, dtype=ember.float64)).dtype is ember.float64
    c = copy.deepcopy(me)
    assert c.weight is not me.weight and isinstance(c.weight, nn.Parameter)
    assert np.array_equal(c.weight.detach().numpy(), me.weight.detach().numpy())


def test_forward_hooks():
    m = nn.Linear(2, 2)
    seen = []
    h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape) or out * 0)
    assert not m(ember.ones(1, 2)).detach().numpy().any()
    h.remove()
    assert m(ember.ones(1, 2)).detach().numpy().any()
    assert seen == [ember.Size([1, 2])]


# -- init -----------------------------------------------------------------------------------------
def test_linear_default_init_statistics():
    ember.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    b = lin.bias.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (300, 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # std of U(-a, a) is a/sqrt(3)
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert lin.weight.is_leaf and lin.weight.grad_fn is None
    ember.manual_seed(0)
    again = nn.Linear(400, 300)
    assert np.array_equal(again.weight.detach().numpy(), w)


def test_init_functions():
    ember.manual_seed(1)
    t = nn.Parameter(ember.empty(200, 300))
    assert nn.init.xavier_uniform_(t) is t
    a = math.sqrt(6 / 500)
    assert np.abs(t.detach().numpy()).max() <= a and t.requires_grad and t.is_leaf
    nn.init.normal_(t, 2.0, 0.5)
    assert abs(t.detach().numpy().mean() - 2.0) < 0.01
    assert abs(t.detach().numpy().std() - 0.5) < 0.01
    nn.init.uniform_(t, -3, -1)
    assert -3 <= t.detach().numpy().min() and t.detach().numpy().max() < -1
    nn.init.constant_(t, 0.25)
    assert (t.detach().numpy() == 0.25).all()
    nn.init.zeros_(t)
    assert not t.detach().numpy().any()
    nn.init.ones_(t)
    assert (t.detach().numpy() == 1).all()
    nn.init.kaiming_uniform_(t, nonlinearity="relu")
    assert np.abs(t.detach().numpy()).max() <= math.sqrt(6 / 300)
    for g in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert nn.init.calculate_gain(g) == tnn.init.calculate_gain(g)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == tnn.init.calculate_gain("leaky_relu", 0.2)
    same_error(lambda: nn.init.xavier_uniform_(ember.ones(3)),
               lambda: tnn.init.xavier_uniform_(torch.ones(3)))
    same_error(lambda: nn.init.calculate_gain("foo"), lambda: tnn.init.calculate_gain("foo"))


def test_lazy_import():
    import subprocess
    import sys

    code = ("import sys, ember; assert 'ember.nn' not in sys.modules; "
            "from ember import nn; import ember.nn.functional as F; import ember.optim as optim; "
            "assert nn.Linear and F.relu and optim.SGD and ember.nn is nn")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={"PYTHONPATH": "src", "PATH": ""}, cwd=__file__.rsplit("/tests/", 1)[0])


def _r64(*s):
    return ember.from_numpy(np.random.default_rng(sum(s)).standard_normal(s)).requires_grad_()


GRADCHECK = {
    "softmax": (lambda a: F.softmax(a, 1), lambda: (_r64(2, 3),)),
    "log_softmax": (lambda a: F.log_softmax(a, 0), lambda: (_r64(2, 3),)),
    "softplus": (lambda a: F.softplus(a, 2.0, 1.0), lambda: (_r64(2, 3),)),
    "linear": (F.linear, lambda: (_r64(5, 2, 3), _r64(4, 3), _r64(4))),
    "linear_vector": (F.linear, lambda: (_r64(3), _r64(4, 3))),
    "mse_loss": (F.mse_loss, lambda: (_r64(2, 3), _r64(2, 3))),
    "cross_entropy_smoothing": (
        lambda x: F.cross_entropy(x, ember.tensor([0, 2]), label_smoothing=0.1),
        lambda: (_r64(2, 3),)),
    "cross_entropy_probs": (F.cross_entropy, lambda: (_r64(2, 3), _r64(2, 3))),
    "nll_loss_nd": (lambda x: F.nll_loss(x, ember.tensor([[0, 2], [1, 1]]), reduction="none"),
                    lambda: (_r64(2, 3, 2),)),
    "nll_loss_weight": (
        lambda x: F.nll_loss(x, ember.tensor([0, 2]),
                             weight=ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)),
        lambda: (_r64(2, 3),)),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    from ember.autograd.gradcheck import gradcheck, gradgradcheck

    fn, make = GRADCHECK[name]
    assert gradcheck(fn, make())
    assert gradgradcheck(fn, make())
