"""Parity tests for PyTorch's lower-level nn entry points: torch.lstm / gru / rnn_tanh /
rnn_relu (padded and packed) and their cells, torch.convolution, torch.grid_sampler*,
torch.affine_grid_generator, torch.embedding_bag, torch.embedding_renorm_, torch.ctc_loss,
and nn.functional's grid-sample mode tables and grad module."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, same_error

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")


def _pair(shape, seed, dtype=np.float64, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    t = torch.from_numpy(a.copy()).requires_grad_(requires_grad)
    e = ember.from_numpy(a.copy()).requires_grad_(requires_grad)
    return e, t


def _outs(o):
    return o if isinstance(o, tuple) else (o,)


def dag_of(fn):
    """The graph below grad_fn ``fn`` as a DAG: each node once, numbered in the order a
    depth-first walk meets it, with its name and its children's numbers (shared nodes stay
    shared, so a recurrent graph is compared in linear time)."""
    if fn is None:
        return None
    ids, out, stack = {}, [], [fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in ids:
            continue
        ids[id(node)] = len(out)
        kids = [f for f, _ in node.next_functions]
        out.append((node.name().split("::")[-1], kids))
        stack.extend(reversed(kids))
    return [(name, tuple(None if k is None else ids[id(k)] for k in kids))
            for name, kids in out]


def _check_same_run(eo, to, e_leaves, t_leaves, rtol=1e-6, atol=1e-8, whole_graph=True):
    """Values, grad_fn graphs (or the last node's name) and the gradients of every leaf
    agree."""
    eo, to = _outs(eo), _outs(to)
    assert type(eo) is tuple and len(eo) == len(to)
    for a, b in zip(eo, to):
        assert_same(a.detach(), b.detach(), rtol, atol)
        if whole_graph:
            assert dag_of(a.grad_fn) == dag_of(b.grad_fn)
        else:
            assert a.grad_fn.name() == b.grad_fn.name()
    sum((o * o).sum() for o in eo).backward()
    sum((o * o).sum() for o in to).backward()
    for a, b in zip(e_leaves, t_leaves):
        assert_same(a.grad, b.grad, rtol, atol)


# -- torch.lstm, torch.gru, torch.rnn_tanh, torch.rnn_relu -------------------------------------
RNN_MODES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _flat(mode, inp, hid, num_layers, bidirectional, bias, proj, seed):
    """PyTorch's flat params list, as ember and torch pairs."""
    nd = 2 if bidirectional else 1
    g = RNN_MODES[mode] * hid
    real = proj or hid
    shapes = []
    for layer in range(num_layers):
        for _ in range(nd):
            shapes += [(g, inp if layer == 0 else real * nd), (g, real)]
            if bias:
                shapes += [(g,), (g,)]
            if proj:
                shapes.append((proj, hid))
    pairs = [_pair(s, seed + i) for i, s in enumerate(shapes)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


@pytest.mark.parametrize("mode", sorted(RNN_MODES))
@pytest.mark.parametrize("bidirectional,batch_first,bias", [
    (False, False, True), (True, False, True), (False, True, True), (True, True, False)])
def test_rnn_functions_match_torch(mode, bidirectional, batch_first, bias):
    nd = 2 if bidirectional else 1
    ep, tp = _flat(mode, 3, 4, 2, bidirectional, bias, 0, 10)
    ex, tx = _pair((2, 5, 3) if batch_first else (5, 2, 3), 1)
    eh, th = _pair((2 * nd, 2, 4), 2)
    ehx, thx = eh, th
    leaves_e, leaves_t = [ex, eh, *ep], [tx, th, *tp]
    if mode == "lstm":
        ec, tc = _pair((2 * nd, 2, 4), 3)
        ehx, thx = (eh, ec), (th, tc)
        leaves_e.append(ec)
        leaves_t.append(tc)
    args = (bias, 2, 0.0, False, bidirectional, batch_first)
    eo = getattr(ember, mode)(ex, ehx, ep, *args)
    to = getattr(torch, mode)(tx, thx, tp, *args)
    assert len(eo) == (3 if mode == "lstm" else 2)
    _check_same_run(eo, to, leaves_e, leaves_t)


def test_lstm_with_projection_matches_torch():
    ep, tp = _flat("lstm", 3, 4, 1, False, True, 2, 20)
    ex, tx = _pair((5, 2, 3), 1)
    eh, th = _pair((1, 2, 2), 2)
    ec, tc = _pair((1, 2, 4), 3)
    eo = ember.lstm(ex, (eh, ec), ep, True, 1, 0.0, False, False, False)
    to = torch.lstm(tx, (th, tc), tp, True, 1, 0.0, False, False, False)
    assert tuple(eo[1].shape) == (1, 2, 2)
    _check_same_run(eo, to, [ex, eh, ec, *ep], [tx, th, tc, *tp])


def test_the_layers_give_what_the_functions_give():
    ember.manual_seed(0)
    m = ember.nn.LSTM(3, 4, 2, bidirectional=True)
    x = ember.randn(5, 2, 3)
    h = ember.randn(4, 2, 4)
    c = ember.randn(4, 2, 4)
    out, (hn, cn) = m(x, (h, c))
    fo, fh, fc = ember.lstm(x, (h, c), m._flat_weights, True, 2, 0.0, False, True, False)
    for a, b in ((out, fo), (hn, fh), (cn, fc)):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("mode", sorted(RNN_MODES))
def test_packed_rnn_functions_match_torch(mode):
    lengths = [5, 3, 2]
    seqs = [_pair((n, 3), 30 + i) for i, n in enumerate(lengths)]
    tpk = torch.nn.utils.rnn.pack_sequence([t for _, t in seqs])
    epk = ember.nn.utils.rnn.pack_sequence([e for e, _ in seqs])
    ep, tp = _flat(mode, 3, 4, 2, True, True, 0, 40)
    eh, th = _pair((4, 3, 4), 2)
    ehx, thx, leaves_e, leaves_t = eh, th, [eh, *ep], [th, *tp]
    if mode == "lstm":
        ec, tc = _pair((4, 3, 4), 3)
        ehx, thx = (eh, ec), (th, tc)
        leaves_e.append(ec)
        leaves_t.append(tc)
    args = (True, 2, 0.0, False, True)
    eo = getattr(ember, mode)(epk.data, epk.batch_sizes, ehx, ep, *args)
    to = getattr(torch, mode)(tpk.data, tpk.batch_sizes, thx, tp, *args)
    # the packed steps cut and join the batch with other (equivalent) nodes than PyTorch's
    _check_same_run(eo, to, leaves_e, leaves_t, whole_graph=False)
    for e, t in seqs:
        assert_same(e.grad, t.grad)


def test_rnn_function_dropout_draws_as_torch():
    ep, tp = _flat("gru", 3, 4, 3, False, True, 0, 50)
    ex, tx = _pair((4, 2, 3), 1, requires_grad=False)
    eh, th = _pair((3, 2, 4), 2, requires_grad=False)
    ember.manual_seed(7)
    torch.manual_seed(7)
    eo = ember.gru(ex, eh, ep, True, 3, 0.5, True, False, False)
    to = torch.gru(tx, th, tp, True, 3, 0.5, True, False, False)
    assert_same(eo[0].detach(), to[0].detach(), 1e-6, 1e-8)
    # not training: no dropout
    eo = ember.gru(ex, eh, ep, True, 3, 0.5, False, False, False)
    to = torch.gru(tx, th, tp, True, 3, 0.5, False, False, False)
    assert_same(eo[0].detach(), to[0].detach(), 1e-6, 1e-8)


def test_rnn_function_gradcheck():
    ep, _ = _flat("lstm", 2, 2, 1, True, True, 0, 60)
    ex, _ = _pair((3, 1, 2), 1)
    eh, _ = _pair((2, 1, 2), 2)
    ec, _ = _pair((2, 1, 2), 3)

    def fn(x, h, c, *p):
        return ember.lstm(x, (h, c), list(p), True, 1, 0.0, False, True, False)

    def fn2(x, w_ih, w_hh):  # second order through the input and the first direction
        return fn(x, eh, ec, w_ih, w_hh, *ep[2:])

    assert gradcheck(fn, (ex, eh, ec, *ep))
    assert gradgradcheck(fn2, (ex, *ep[:2]))


def test_rnn_function_errors_match_torch():
    ep, tp = _flat("lstm", 3, 4, 1, False, True, 0, 70)
    ex, tx = _pair((5, 2, 3), 1, requires_grad=False)
    eh, th = _pair((1, 2, 4), 2, requires_grad=False)
    same_error(lambda: ember.lstm(ex, (eh,), ep, True, 1, 0.0, False, False, False),
               lambda: torch.lstm(tx, (th,), tp, True, 1, 0.0, False, False, False))
    same_error(lambda: ember.lstm(ex[0], (eh[0], eh[0]), ep, True, 1, 0.0, False, False, False),
               lambda: torch.lstm(tx[0], (th[0], th[0]), tp, True, 1, 0.0, False, False, False))
    same_error(lambda: ember.lstm(ex, (eh, eh), ep[:3], True, 1, 0.0, False, False, False),
               lambda: torch.lstm(tx, (th, th), tp[:3], True, 1, 0.0, False, False, False))
    same_error(lambda: ember.lstm_cell(ex[0], (eh[0],), ep[0], ep[1]),
               lambda: torch.lstm_cell(tx[0], (th[0],), tp[0], tp[1]))


# -- the cells ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(name, bias):
    g = RNN_MODES[name[:-5]] * 4
    ex, tx = _pair((3, 5), 1)
    eh, th = _pair((3, 4), 2)
    ew = [_pair(s, 10 + i) for i, s in enumerate([(g, 5), (g, 4), (g,), (g,)][:4 if bias else 2])]
    leaves_e, leaves_t = [ex, eh, *(e for e, _ in ew)], [tx, th, *(t for _, t in ew)]
    ehx, thx = eh, th
    if name == "lstm_cell":
        ec, tc = _pair((3, 4), 3)
        ehx, thx = (eh, ec), (th, tc)
        leaves_e.append(ec)
        leaves_t.append(tc)
    eo = getattr(ember, name)(ex, ehx, *(e for e, _ in ew))
    to = getattr(torch, name)(tx, thx, *(t for _, t in ew))
    _check_same_run(eo, to, leaves_e, leaves_t)


def test_cell_errors_match_torch():
    ex, tx = _pair((3, 5), 1, requires_grad=False)
    eh, th = _pair((2, 4), 2, requires_grad=False)
    ew, tw = _pair((12, 5), 3, requires_grad=False)
    ev, tv = _pair((12, 4), 4, requires_grad=False)
    same_error(lambda: ember.gru_cell(ex, eh, ew, ev), lambda: torch.gru_cell(tx, th, tw, tv))
    same_error(lambda: ember.gru_cell(ex[:2, :4], eh, ew, ev),
               lambda: torch.gru_cell(tx[:2, :4], th, tw, tv))
    same_error(lambda: ember.gru_cell(ex[:2], eh[:, :3], ew, ev),
               lambda: torch.gru_cell(tx[:2], th[:, :3], tw, tv))
    same_error(lambda: ember.gru_cell(ex[0], eh[0], ew, ev),
               lambda: torch.gru_cell(tx[0], th[0], tw, tv))
