"""Parity tests for the recurrent layers (RNN, LSTM, GRU) and their cells against torch.nn."""

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as nn
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, graph_of, same_error

RTOL, ATOL = 1e-4, 1e-5

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")


def _array(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _copy_params(tm, em):
    """torch module's weights into the ember module, through state_dict."""
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


def _grads_match(tm, em, rtol=RTOL, atol=ATOL):
    tp = dict(tm.named_parameters())
    ep = dict(em.named_parameters())
    assert list(tp) == list(ep)
    for name in tp:
        assert_same(ep[name].grad, tp[name].grad, rtol, atol)


def _leaf(a, lib):
    t = ember.from_numpy(a.copy()) if lib == "ember" else torch.from_numpy(a.copy())
    return t.requires_grad_(True)


def _flat(out):
    """(output, h_n) or (output, (h_n, c_n)) as a flat tuple."""
    o, h = out
    return (o, *h) if isinstance(h, tuple) else (o, h)


def _backward(outs, lib, seed=7):
    """sum(out * w) over the outputs with fixed random weights w, then backward."""
    mod = ember if lib == "ember" else torch
    total = None
    for i, o in enumerate(outs):
        w = mod.from_numpy(_array(tuple(o.shape), seed + i, o.detach().numpy().dtype))
        term = (o * w).sum()
        total = term if total is None else total + term
    total.backward()


def _run_both(tm, em, x, hx, lib_call=None):
    xe, xt = _leaf(x, "ember"), _leaf(x, "torch")
    if hx is None:
        he = ht = None
    elif isinstance(hx, tuple):
        he = tuple(_leaf(h, "ember") for h in hx)
        ht = tuple(_leaf(h, "torch") for h in hx)
    else:
        he, ht = _leaf(hx, "ember"), _leaf(hx, "torch")
    oe, ot = _flat(em(xe, he)), _flat(tm(xt, ht))
    assert_same(oe, ot, RTOL, ATOL)
    _backward(oe, "ember")
    _backward(ot, "torch")
    assert_same(xe.grad, xt.grad, RTOL, ATOL)
    if hx is not None:
        for a, b in zip(he if isinstance(he, tuple) else (he,),
                        ht if isinstance(ht, tuple) else (ht,)):
            assert_same(a.grad, b.grad, RTOL, ATOL)
    _grads_match(tm, em)
    return oe, ot


_MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
          ("LSTM", {"proj_size": 2})]


def _make(mode, kwargs, **extra):
    tm = getattr(tnn, mode)(3, 4, **kwargs, **extra)
    em = getattr(nn, mode)(3, 4, **kwargs, **extra)
    _copy_params(tm, em)
    return tm, em


def _hx(mode, kwargs, layers, dirs, batch, seed=11):
    n = layers * dirs
    shape = (n, batch, kwargs.get("proj_size", 4)) if batch else (n, kwargs.get("proj_size", 4))
    if mode != "LSTM":
        return _array(shape, seed)
    cshape = (n, batch, 4) if batch else (n, 4)
    return _array(shape, seed), _array(cshape, seed + 1)


@pytest.mark.parametrize("mode,kwargs", _MODES, ids=lambda v: str(v))
@pytest.mark.parametrize("num_layers,bias,batch_first,bidirectional,with_hx",
                         list(itertools.product([1, 2], [True, False], [False, True],
                                                [False, True], [False, True])))
def test_recurrent_parity(mode, kwargs, num_layers, bias, batch_first, bidirectional, with_hx):
    tm, em = _make(mode, kwargs, num_layers=num_layers, bias=bias, batch_first=batch_first,
                   bidirectional=bidirectional)
    seq, batch = 5, 2
    x = _array((batch, seq, 3) if batch_first else (seq, batch, 3), 1)
    hx = _hx(mode, kwargs, num_layers, 2 if bidirectional else 1, batch) if with_hx else None
    _run_both(tm, em, x, hx)


@pytest.mark.parametrize("mode,kwargs", _MODES, ids=lambda v: str(v))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_unbatched(mode, kwargs, batch_first, with_hx):
    tm, em = _make(mode, kwargs, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = _array((4, 3), 2)
    hx = _hx(mode, kwargs, 2, 2, None) if with_hx else None
    oe, _ = _run_both(tm, em, x, hx)
    assert tuple(oe[0].shape) == (4, 2 * kwargs.get("proj_size", 4))


def test_recurrent_float64_and_to_double():
    tm = tnn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    em = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    _copy_params(tm, em)
    assert em.weight_ih_l0.dtype == ember.float64
    oe, ot = _run_both(tm, em, _array((5, 2, 3), 3, np.float64), None)
    assert oe[0].dtype == ember.float64


def test_recurrent_long_sequence_is_stable():
    tm, em = _make("GRU", {}, num_layers=1)
    _run_both(tm, em, _array((60, 3, 3), 4), None)


def test_dropout_between_layers():
    # dropout=1 zeroes the first layer's output: the second layer then sees zeros only, a
    # result that does not depend on the random stream
    tm, em = _make("LSTM", {}, num_layers=2, dropout=1.0)
    x = _array((4, 2, 3), 5)
    _run_both(tm, em, x, None)
    # in eval mode no dropout at all, even with p=0.5
    tm, em = _make("GRU", {}, num_layers=3, dropout=0.5)
    tm.eval()
    em.eval()
    _run_both(tm, em, x, None)


def test_dropout_train_mode_changes_output():
    if not hasattr(nn.functional, "dropout"):
        pytest.skip("F.dropout is not in ember yet")
    em = nn.RNN(3, 4, num_layers=2, dropout=0.5)
    x = ember.from_numpy(_array((6, 2, 3), 6))
    ember.manual_seed(0)
    a = em(x)[0]
    em.eval()
    b = em(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_parameter_names_shapes_and_order():
    for mode, kwargs in _MODES:
        tm = getattr(tnn, mode)(3, 5, num_layers=3, bidirectional=True, **kwargs)
        em = getattr(nn, mode)(3, 5, num_layers=3, bidirectional=True, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in em.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
        assert em._flat_weights_names == tm._flat_weights_names
        assert [[tuple(p.shape) for p in ws] for ws in em.all_weights] == \
               [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
    tm, em = tnn.LSTM(3, 5, bias=False), nn.LSTM(3, 5, bias=False)
    assert list(em.state_dict()) == list(tm.state_dict()) == ["weight_ih_l0", "weight_hh_l0"]


def test_default_init_is_uniform_in_bound():
    em = nn.LSTM(10, 25, num_layers=2)
    bound = 1 / math.sqrt(25)
    for p in em.parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.8 * bound  # spread over the range, not a constant
        assert abs(a.mean()) < 0.2 * bound
    # the draws come from ember's generator: the same seed gives the same weights
    ember.manual_seed(3)
    a = nn.GRU(4, 6).weight_hh_l0.detach().numpy().copy()
    ember.manual_seed(3)
    b = nn.GRU(4, 6).weight_hh_l0.detach().numpy()
    assert np.array_equal(a, b)


def test_reprs():
    cases = [
        ("LSTM", (10, 20), {"num_layers": 2, "batch_first": True}),
        ("LSTM", (10, 20), {"num_layers": 2, "bias": False, "dropout": 0.5,
                            "bidirectional": True, "proj_size": 3}),
        ("RNN", (10, 20), {"nonlinearity": "relu"}),
        ("GRU", (3, 4), {}),
        ("RNNCell", (10, 20), {"nonlinearity": "relu", "bias": False}),
        ("LSTMCell", (3, 4), {}),
        ("GRUCell", (3, 4), {"bias": False}),
    ]
    for name, args, kwargs in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert repr(getattr(nn, name)(*args, **kwargs)) == \
                repr(getattr(tnn, name)(*args, **kwargs))
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    # positional nonlinearity, as in PyTorch: RNN(input, hidden, num_layers, nonlinearity, bias)
    assert nn.RNN(3, 4, 2, "relu", False).mode == "RNN_RELU"


def test_constructor_errors_and_warning():
    cases = [
        (lambda m: m.GRU(3, 4, proj_size=2), None),
        (lambda m: m.RNN(3, 4, proj_size=2), None),
        (lambda m: m.LSTM(3, 4, proj_size=4), None),
        (lambda m: m.LSTM(3, 4, proj_size=-1), None),
        (lambda m: m.RNN(3, 4, nonlinearity="sigmoid"), None),
        (lambda m: m.RNN(3, 4, dropout=2), None),
        (lambda m: m.RNN(3, 4, dropout=True), None),
        (lambda m: m.RNN(3.0, 4), None),
        (lambda m: m.RNN(3, 4.0), None),
        (lambda m: m.RNN(0, 4), None),
        (lambda m: m.RNN(3, 0), None),
        (lambda m: m.RNN(3, 4, num_layers=0), None),
        (lambda m: m.RNN(3, 4, bias=1), None),
        (lambda m: m.RNN(3, 4, batch_first=0), None),
    ]
    for fn, _ in cases:
        same_error(lambda: fn(nn), lambda: fn(tnn))
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last "
                                         "recurrent layer.*dropout=0.3 and num_layers=1"):
        nn.LSTM(3, 4, dropout=0.3)


def test_forward_errors():
    def pair(mode, *args, **kwargs):
        tm = getattr(tnn, mode)(*args, **kwargs)
        em = getattr(nn, mode)(*args, **kwargs)
        return tm, em

    def check(tm, em, *arrays):
        def call(m, lib):
            args = []
            for a in arrays:
                if isinstance(a, tuple):
                    args.append(tuple(_leaf(x, lib) for x in a))
                else:
                    args.append(_leaf(a, lib))
            return m(*args)

        same_error(lambda: call(em, "ember"), lambda: call(tm, "torch"))

    x3 = _array((2, 2, 3), 0)
    for mode in ("RNN", "GRU", "LSTM"):
        tm, em = pair(mode, 3, 4)
        check(tm, em, _array((2, 2, 5), 0))                      # wrong input_size
        check(tm, em, _array((2, 2, 3, 1), 0))                   # 4-D input
        check(tm, em, _array((3,), 0))                           # 1-D input
        check(tm, em, x3.astype(np.float64))                     # dtype mismatch
    tm, em = pair("GRU", 3, 4)
    check(tm, em, x3, _array((1, 3, 4), 0))                      # wrong batch in hx
    check(tm, em, x3, _array((1, 4), 0))                         # 2-D hx for 3-D input
    check(tm, em, _array((2, 3), 0), _array((1, 2, 4), 0))       # 3-D hx for 2-D input
    check(tm, em, x3, _array((2, 2, 4), 0))                      # too many layers in hx
    tm, em = pair("LSTM", 3, 4, proj_size=2)
    check(tm, em, x3, (_array((1, 2, 4), 0), _array((1, 2, 4), 0)))  # h must be proj_size
    check(tm, em, x3, (_array((1, 2, 2), 0), _array((1, 2, 2), 0)))  # c must be hidden_size
    check(tm, em, x3, (_array((1, 2), 0), _array((1, 2, 4), 0)))
    check(tm, em, _array((2, 3), 0), (_array((1, 2, 2), 0), _array((1, 2, 4), 0)))


def test_output_matches_last_hidden_state():
    em = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, (h, c) = em(ember.from_numpy(_array((2, 5, 3), 1)))
    o = out.detach().numpy()
    hn = h.detach().numpy()
    np.testing.assert_allclose(o[:, -1, :4], hn[2], rtol=1e-6)   # forward: last step
    np.testing.assert_allclose(o[:, 0, 4:], hn[3], rtol=1e-6)    # reverse: first step


def test_weights_changed_after_load_are_used():
    tm, em = _make("LSTM", {})
    em(ember.from_numpy(_array((3, 1, 3), 0)))
    tm2 = tnn.LSTM(3, 4)
    _copy_params(tm2, em)
    _run_both(tm2, em, _array((3, 2, 3), 1), None)


# -- cells --------------------------------------------------------------------------------------
_CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
          ("GRUCell", {})]


@pytest.mark.parametrize("name,kwargs", _CELLS, ids=lambda v: str(v))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cell_parity(name, kwargs, bias, batched, with_hx):
    tm = getattr(tnn, name)(3, 4, bias=bias, **kwargs)
    em = getattr(nn, name)(3, 4, bias=bias, **kwargs)
    _copy_params(tm, em)
    x = _array((2, 3) if batched else (3,), 1)
    shape = (2, 4) if batched else (4,)
    hx = None
    if with_hx:
        hx = (_array(shape, 2), _array(shape, 3)) if name == "LSTMCell" else _array(shape, 2)
    xe, xt = _leaf(x, "ember"), _leaf(x, "torch")
    if hx is None:
        he = ht = None
    elif isinstance(hx, tuple):
        he, ht = tuple(_leaf(h, "ember") for h in hx), tuple(_leaf(h, "torch") for h in hx)
    else:
        he, ht = _leaf(hx, "ember"), _leaf(hx, "torch")
    oe, ot = em(xe, he), tm(xt, ht)
    oe = oe if isinstance(oe, tuple) else (oe,)
    ot = ot if isinstance(ot, tuple) else (ot,)
    assert_same(oe, ot, RTOL, ATOL)
    _backward(oe, "ember")
    _backward(ot, "torch")
    assert_same(xe.grad, xt.grad, RTOL, ATOL)
    if hx is not None:
        for a, b in zip(he if isinstance(he, tuple) else (he,),
                        ht if isinstance(ht, tuple) else (ht,)):
            assert_same(a.grad, b.grad, RTOL, ATOL)
    _grads_match(tm, em)


def test_cell_param_names_and_errors():
    for name, kwargs in _CELLS:
        tm = getattr(tnn, name)(3, 4, **kwargs)
        em = getattr(nn, name)(3, 4, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in em.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert list(nn.GRUCell(3, 4, bias=False).state_dict()) == ["weight_ih", "weight_hh"]

    def both(name, *arrays):
        tm, em = getattr(tnn, name)(3, 4), getattr(nn, name)(3, 4)

        def call(m, lib):
            args = [tuple(_leaf(x, lib) for x in a) if isinstance(a, tuple) else _leaf(a, lib)
                    for a in arrays]
            return m(*args)

        same_error(lambda: call(em, "ember"), lambda: call(tm, "torch"))

    both("LSTMCell", _array((2, 5), 0))
    both("LSTMCell", _array((2, 3), 0), (_array((2, 5), 0), _array((2, 4), 0)))
    both("LSTMCell", _array((2, 3), 0), (_array((2, 4), 0), _array((2, 5), 0)))
    both("LSTMCell", _array((2, 3), 0), (_array((3, 4), 0), _array((2, 4), 0)))
    both("LSTMCell", _array((2, 3, 1), 0))
    both("LSTMCell", _array((2, 3), 0), (_array((2, 4, 1), 0), _array((2, 4), 0)))
    both("GRUCell", _array((2, 3), 0), _array((3, 4), 0))
    both("GRUCell", _array((2, 3), 0), _array((2, 5), 0))
    both("GRUCell", _array((2, 3), 0), _array((2, 4, 1), 0))
    both("RNNCell", _array((3,), 0), _array((2, 4), 0))
    both("RNNCell", _array((1, 2, 3), 0))


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_dtype_mismatch(name, bias):
    x = _array((2, 3), 0, np.float64)
    same_error(lambda: getattr(nn, name)(3, 4, bias=bias)(_leaf(x, "ember")),
               lambda: getattr(tnn, name)(3, 4, bias=bias)(_leaf(x, "torch")))


# -- gradcheck ----------------------------------------------------------------------------------
def _f64(shape, seed):
    return ember.from_numpy(_array(shape, seed, np.float64)).requires_grad_(True)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_gradcheck_tiny_recurrent(mode):
    ember.manual_seed(0)
    kwargs = {"proj_size": 2} if mode == "LSTM" else {}
    m = getattr(nn, mode)(2, 3, num_layers=2, bidirectional=True, **kwargs).double()
    x = _f64((3, 2, 2), 1)
    h0 = _f64((4, 2, 2 if mode == "LSTM" else 3), 2)
    params = list(m.parameters())[:4]  # first layer's weights: every gradient path goes there

    if mode == "LSTM":
        c0 = _f64((4, 2, 3), 3)

        def fn(x, h0, c0, *ps):
            out, (h, c) = m(x, (h0, c0))
            return out, h, c

        inputs = (x, h0, c0, *params)
    else:
        def fn(x, h0, *ps):
            out, h = m(x, h0)
            return out, h

        inputs = (x, h0, *params)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_gradgradcheck_cells(name):
    ember.manual_seed(0)
    m = getattr(nn, name)(2, 3).double()
    x = _f64((2, 2), 1)
    h = _f64((2, 3), 2)
    if name == "LSTMCell":
        c = _f64((2, 3), 3)

        def fn(x, h, c, w):
            return m(x, (h, c))

        inputs = (x, h, c, m.weight_hh)
    else:
        def fn(x, h, w):
            return m(x, h)

        inputs = (x, h, m.weight_hh)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_double_backward_matches_torch():
    tm, em = _make("LSTM", {}, num_layers=1)
    tm.double()
    em.double()
    _copy_params(tm, em)
    x = _array((3, 2, 3), 1, np.float64)
    xe, xt = _leaf(x, "ember"), _leaf(x, "torch")
    (ge,) = ember.autograd.grad(em(xe)[0].pow(2).sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad(tm(xt)[0].pow(2).sum(), xt, create_graph=True)
    assert_same(ge, gt, 1e-10, 1e-12)
    (gge,) = ember.autograd.grad(ge.sum(), em.weight_hh_l0)
    (ggt,) = torch.autograd.grad(gt.sum(), tm.weight_hh_l0)
    assert_same(gge, ggt, 1e-9, 1e-11)


def _recurrent_graphs(lib):
    def r(*shape):
        return lib.randn(*shape, requires_grad=True)

    lib.manual_seed(0)
    yield lib.nn.RNN(3, 2)(r(2, 1, 3))
    yield lib.nn.RNN(3, 2, nonlinearity="relu")(r(2, 1, 3), r(1, 1, 2))
    yield lib.nn.RNN(3, 2, batch_first=True)(r(1, 2, 3))
    yield lib.nn.RNN(3, 2)(r(2, 3))
    yield lib.nn.RNN(3, 2, bidirectional=True, num_layers=2)(r(2, 1, 3))
    yield lib.nn.RNN(3, 2, bias=False)(r(2, 1, 3))
    yield lib.nn.GRU(3, 2)(r(2, 1, 3), r(1, 1, 2))
    yield lib.nn.GRU(3, 2, batch_first=True, bidirectional=True)(r(2, 2, 3))
    yield lib.nn.RNNCell(3, 2)(r(1, 3), r(1, 2)), None
    yield lib.nn.RNNCell(3, 2, nonlinearity="relu")(r(3)), None
    yield lib.nn.GRUCell(3, 2)(r(1, 3), r(1, 2)), None
    yield lib.nn.LSTMCell(3, 2)(r(1, 3), (r(1, 2), r(1, 2)))


def test_recurrent_layers_record_pytorchs_graph():
    """RNN, GRU and the cells build PyTorch's nodes step by step (the gates cut by
    unsafe_chunk and changed in place, batch_first through transposes). PyTorch's nn.LSTM
    layer runs one fused oneDNN node on the CPU, which ember does not imitate."""
    for ours, theirs in zip(_recurrent_graphs(ember), _recurrent_graphs(torch), strict=True):
        for a, b in zip(ours, theirs):
            if a is not None:
                assert graph_of(a.grad_fn) == graph_of(b.grad_fn)


def test_in_place_view_ops_match_pytorch():
    def run(lib):
        x = lib.randn(2, 3, requires_grad=True)
        out = []
        for op in ("transpose_(0, 1)", "t_()", "squeeze_()", "unsqueeze_(0)", "squeeze_(0)"):
            with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
                eval("x." + op)
        y = x * 1
        y.transpose_(0, 1)
        out.append((y.grad_fn.name(), tuple(y.shape)))
        y.t_()
        y.unsqueeze_(0)
        out.append((y.grad_fn.name(), tuple(y.shape)))
        y.squeeze_()
        y.unsqueeze_(1)
        y.squeeze_(1)
        y.unsqueeze_(1)
        y.squeeze_((1,))
        y.swapdims_(0, 1)
        out.append((graph_of(y.grad_fn), tuple(y.shape)))
        (y * lib.arange(6.0).reshape(3, 2)).sum().backward()
        out.append(x.grad.tolist())
        with lib.no_grad():
            x.t_()
        z = lib.zeros(2, 3, 4)
        view = z[0]
        z.transpose_(0, 2)
        out += [tuple(x.shape), tuple(z.shape), tuple(view.shape)]
        with pytest.raises(RuntimeError) as info:
            z.t_()
        out.append(str(info.value))
        return out

    assert run(ember) == run(torch)
