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


# -- torch.convolution ------------------------------------------------------------------------
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_convolution_matches_torch(nd, transposed):
    ex, tx = _pair((2, 4) + (5,) * nd, 1)
    wshape = ((4, 3) if transposed else (3, 4)) + (3,) * nd
    ew, tw = _pair(wshape, 2)
    eb, tb = _pair((3,), 3)
    args = ([2] * nd, [1], [1] * nd, transposed, [1] * nd if transposed else [0], 1)
    eo = ember.convolution(ex, ew, eb, *args)
    to = torch.convolution(tx, tw, tb, *args)
    assert eo.grad_fn.name() == to.grad_fn.name() == "ConvolutionBackward0"
    _check_same_run(eo, to, [ex, ew, eb], [tx, tw, tb], whole_graph=False)


def test_convolution_errors_match_torch():
    ex, tx = _pair((3, 5, 5), 1, requires_grad=False)
    ew, tw = _pair((4, 3, 3, 3), 2, requires_grad=False)
    same_error(lambda: ember.convolution(ex, ew, None, [1], [0], [1], False, [0], 1),
               lambda: torch.convolution(tx, tw, None, [1], [0], [1], False, [0], 1))
    same_error(lambda: ember.convolution(ex[None], ew, None, 1, [0], [1], False, [0], 1),
               lambda: torch.convolution(tx[None], tw, None, 1, [0], [1], False, [0], 1))


# -- torch.grid_sampler, grid_sampler_2d / _3d, affine_grid_generator --------------------------
def test_grid_sample_mode_tables_match_torch():
    F, tF = ember.nn.functional, torch.nn.functional
    assert F.GRID_SAMPLE_INTERPOLATION_MODES == tF.GRID_SAMPLE_INTERPOLATION_MODES
    assert F.GRID_SAMPLE_PADDING_MODES == tF.GRID_SAMPLE_PADDING_MODES


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sampler_2d_matches_torch(mode, padding, align_corners):
    ex, tx = _pair((2, 3, 4, 5), 1)
    a = np.random.default_rng(2).uniform(-1.2, 1.2, (2, 3, 3, 2))
    eg, tg = ember.from_numpy(a.copy()).requires_grad_(), torch.from_numpy(a.copy())
    tg.requires_grad_()
    for fe, ft in ((ember.grid_sampler, torch.grid_sampler),
                   (ember.grid_sampler_2d, torch.grid_sampler_2d)):
        eo = fe(ex, eg, mode, padding, align_corners)
        to = ft(tx, tg, mode, padding, align_corners)
        assert eo.grad_fn.name() == to.grad_fn.name() == "GridSampler2DBackward0"
        assert_same(eo.detach(), to.detach(), 1e-6, 1e-8)
    (eo * eo).sum().backward()
    (to * to).sum().backward()
    assert_same(ex.grad, tx.grad, 1e-6, 1e-8)
    if mode != 1:  # nearest: PyTorch gives the grid no gradient, ember's a zero one
        assert_same(eg.grad, tg.grad, 1e-6, 1e-8)


@pytest.mark.parametrize("mode", [0, 1])
def test_grid_sampler_3d_matches_torch(mode):
    ex, tx = _pair((1, 2, 3, 4, 3), 1)
    a = np.random.default_rng(2).uniform(-1, 1, (1, 2, 2, 3, 3))
    eg, tg = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    eo = ember.grid_sampler_3d(ex, eg, mode, 0, False)
    to = torch.grid_sampler_3d(tx, tg, mode, 0, False)
    assert eo.grad_fn.name() == to.grad_fn.name() == "GridSampler3DBackward0"
    _check_same_run(eo, to, [ex], [tx], whole_graph=False)
    assert ember.grid_sampler(ex, eg, mode, 0, False).grad_fn.name() == "GridSampler3DBackward0"


def test_grid_sampler_errors_match_torch():
    ex, tx = _pair((2, 3, 4, 4), 1, requires_grad=False)
    eg, tg = _pair((2, 3, 3, 2), 2, requires_grad=False)
    e5, t5 = _pair((1, 1, 2, 2, 2), 3, requires_grad=False)
    g5, u5 = _pair((1, 2, 2, 2, 3), 4, requires_grad=False)
    same_error(lambda: ember.grid_sampler_3d(ex, eg, 0, 0, False),
               lambda: torch.grid_sampler_3d(tx, tg, 0, 0, False))
    same_error(lambda: ember.grid_sampler_2d(e5, g5, 0, 0, False),
               lambda: torch.grid_sampler_2d(t5, u5, 0, 0, False))
    same_error(lambda: ember.grid_sampler_3d(e5, g5, 2, 0, False),
               lambda: torch.grid_sampler_3d(t5, u5, 2, 0, False))
    same_error(lambda: ember.grid_sampler(e5, g5, 2, 0, False),
               lambda: torch.grid_sampler(t5, u5, 2, 0, False))


@pytest.mark.parametrize("size", [[2, 3, 4, 5], [2, 3, 2, 4, 3]])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_generator_matches_torch(size, align_corners):
    nd = len(size) - 2
    ex, tx = _pair((2, nd, nd + 1), 1)
    eo = ember.affine_grid_generator(ex, size, align_corners)
    to = torch.affine_grid_generator(tx, size, align_corners)
    assert eo.grad_fn.name() == "AffineGridGeneratorBackward0"
    _check_same_run(eo, to, [ex], [tx])
    same_error(lambda: ember.affine_grid_generator(ex, size, None),
               lambda: torch.affine_grid_generator(tx, size, None))


# -- torch.embedding_bag, torch.embedding_renorm_ ---------------------------------------------
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("include_last_offset", [False, True])
@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_bag_matches_torch(mode, include_last_offset, padding_idx, dtype):
    ew, tw = _pair((10, 3), 1, dtype)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    off = np.array([0, 3, 3, 8])
    args = (False, mode, False, None, include_last_offset, padding_idx)
    eo = ember.embedding_bag(ew, ember.from_numpy(idx), ember.from_numpy(off), *args)
    to = torch.embedding_bag(tw, torch.from_numpy(idx), torch.from_numpy(off), *args)
    assert len(eo) == 4
    assert_same(eo, to, 1e-6, 1e-8)
    assert eo[0].grad_fn.name() == to[0].grad_fn.name() == "EmbeddingBagBackward0"
    (eo[0] * eo[0]).sum().backward()
    (to[0] * to[0]).sum().backward()
    assert_same(ew.grad, tw.grad, 1e-6, 1e-8)


def test_embedding_bag_per_sample_weights_and_errors():
    ew, tw = _pair((10, 3), 1)
    ep, tp = _pair((6,), 2)
    idx, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2])
    eo = ember.embedding_bag(ew, ember.from_numpy(idx), ember.from_numpy(off), False, 0, False,
                             ep)
    to = torch.embedding_bag(tw, torch.from_numpy(idx), torch.from_numpy(off), False, 0, False,
                             tp)
    _check_same_run(eo[:1], to[:1], [ew, ep], [tw, tp], whole_graph=False)
    assert_same(eo[1:], to[1:])
    same_error(lambda: ember.embedding_bag(ew, ember.from_numpy(idx), ember.from_numpy(off),
                                           False, 3),
               lambda: torch.embedding_bag(tw, torch.from_numpy(idx), torch.from_numpy(off),
                                           False, 3))


def test_embedding_renorm_matches_torch():
    ew, tw = _pair((5, 3), 1, np.float32, requires_grad=False)
    er = ember.embedding_renorm_(ew, ember.tensor([0, 1, 1, 3]), 1.0, 2.0)
    tr = torch.embedding_renorm_(tw, torch.tensor([0, 1, 1, 3]), 1.0, 2.0)
    assert er is ew and tr is tw
    assert_same(ew, tw, 1e-6, 1e-7)
    el, tl = _pair((5, 3), 1)
    same_error(lambda: ember.embedding_renorm_(el, ember.tensor([0]), 1.0, 2.0),
               lambda: torch.embedding_renorm_(tl, torch.tensor([0]), 1.0, 2.0))


# -- torch.ctc_loss -----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", [None, 0, 1, 2])
@pytest.mark.parametrize("tensor_lengths", [False, True])
def test_ctc_loss_matches_torch(reduction, tensor_lengths):
    a = np.random.default_rng(1).standard_normal((6, 2, 5))
    ex = ember.from_numpy(a.copy()).log_softmax(2).detach().requires_grad_()
    tx = torch.from_numpy(a.copy()).log_softmax(2).detach().requires_grad_()
    tg = np.array([[1, 2, 2], [3, 4, 0]])
    il, tl = [6, 5], [3, 2]
    e_args = (ember.from_numpy(tg), *((ember.tensor(il), ember.tensor(tl)) if tensor_lengths
                                      else (il, tl)))
    t_args = (torch.from_numpy(tg), *((torch.tensor(il), torch.tensor(tl)) if tensor_lengths
                                      else (il, tl)))
    extra = () if reduction is None else (0, reduction)
    eo = ember.ctc_loss(ex, *e_args, *extra)
    to = torch.ctc_loss(tx, *t_args, *extra)
    assert eo.grad_fn.name() == to.grad_fn.name()
    _check_same_run(eo, to, [ex], [tx], whole_graph=False)


# -- nn.functional.grad ---------------------------------------------------------------------
def test_functional_grad_is_the_nn_grad_module():
    F = ember.nn.functional
    assert F.grad is ember.nn.grad
    ex, tx = _pair((1, 2, 5, 5), 1)
    ew, tw = _pair((3, 2, 3, 3), 2)
    eg, tg = _pair((1, 3, 3, 3), 3)
    assert_same(F.grad.conv2d_input(ex.shape, ew, eg), torch.nn.functional.grad.conv2d_input(
        tx.shape, tw, tg).detach(), 1e-6, 1e-8)
    assert_same(F.grad.conv2d_weight(ex, ew.shape, eg), torch.nn.functional.grad.conv2d_weight(
        tx, tw.shape, tg).detach(), 1e-6, 1e-8)
