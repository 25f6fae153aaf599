"""Parity tests for the rest of torch.nn: the encoder-decoder transformer, 1-D and 3-D
(transposed) convolutions, and the remaining losses, pooling, padding, activation and
normalization layers (their functional forms are in tests/opinfo.py)."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as nn
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, same_error

pytestmark = [pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")]


def _arr(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _copy(tm, em):
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


def _pair(a):
    return (ember.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f"),
            torch.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f"))


def _modules_agree(em, tm, *arrays, rtol=1e-7, atol=1e-9, train=False):
    """Same repr, state_dict names, forward values and input/parameter gradients."""
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    _copy(tm, em)
    em.train(train)
    tm.train(train)
    pairs = [_pair(a) if isinstance(a, np.ndarray) else (a, a) for a in arrays]
    eo = em(*[e for e, _ in pairs])
    to = tm(*[t for _, t in pairs])
    assert_same(eo, to, rtol=rtol, atol=atol)
    if isinstance(to, tuple):
        eo, to = eo[0], to[0]
    if not to.requires_grad:
        return eo, to
    w = _arr(tuple(to.shape), 5)
    (to * torch.from_numpy(w)).sum().backward()
    (eo * ember.from_numpy(w)).sum().backward()
    for (e, t) in pairs:
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert_same(e.grad, t.grad, rtol=rtol * 10, atol=atol * 10)
    for (name, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert_same(ep.grad, tp.grad, rtol=rtol * 10, atol=atol * 10), name
    return eo, to


# -- transformer -------------------------------------------------------------------------------
def _transformers(**kw):
    torch.manual_seed(0)
    act = kw.pop("activation", "relu")  # "F.name": the function itself
    fn = act.startswith("F.")
    tm = tnn.Transformer(8, 2, 2, 2, 16, dropout=0.0, dtype=torch.float64,
                         activation=getattr(tnn.functional, act[2:]) if fn else act, **kw)
    em = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, dtype=ember.float64,
                        activation=getattr(nn.functional, act[2:]) if fn else act, **kw)
    return em, tm


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "F.silu"])
def test_transformer_matches_torch(batch_first, norm_first, activation):
    em, tm = _transformers(batch_first=batch_first, norm_first=norm_first,
                           activation=activation)
    src, tgt = _arr((5, 3, 8), 1), _arr((4, 3, 8), 2)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    tkpm = np.zeros((3, 4), bool)
    tkpm[2, 2:] = True
    if batch_first:
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    es, ts = _pair(src)
    et, tt = _pair(tgt)
    e_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    t_mask = tnn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    for train in (True, False):  # eval: the encoder zeroes padded positions, as PyTorch's
        em.train(train)
        tm.train(train)
        _copy(tm, em)
        eo = em(es, et, tgt_mask=e_mask, src_key_padding_mask=ember.tensor(kpm),
                memory_key_padding_mask=ember.tensor(kpm),
                tgt_key_padding_mask=ember.tensor(tkpm))
        to = tm(ts, tt, tgt_mask=t_mask, src_key_padding_mask=torch.tensor(kpm),
                memory_key_padding_mask=torch.tensor(kpm),
                tgt_key_padding_mask=torch.tensor(tkpm))
        assert_same(eo, to, rtol=1e-9, atol=1e-10)
    w = _arr(tuple(to.shape), 3)
    (to * torch.from_numpy(w)).sum().backward()
    (eo * ember.from_numpy(w)).sum().backward()
    assert_same(es.grad, ts.grad, rtol=1e-8, atol=1e-9)
    assert_same(et.grad, tt.grad, rtol=1e-8, atol=1e-9)


def test_transformer_structure_and_init():
    em, tm = _transformers()
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert [tuple(v.shape) for v in em.state_dict().values()] == \
        [tuple(v.shape) for v in tm.state_dict().values()]
    # xavier_uniform_ on every matrix: all within the bound, none left at Linear's init
    w = em.decoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6.0 / (8 + 16))
    assert np.abs(w).max() <= bound and np.abs(w).max() > np.sqrt(1.0 / 8)
    assert em.d_model == 8 and em.nhead == 2 and em.batch_first is False
    assert isinstance(em.encoder.norm, nn.LayerNorm) and em.decoder.num_layers == 2


def test_decoder_layer_masks_and_causal():
    torch.manual_seed(1)
    tl = tnn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64)
    el = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=ember.float64)
    td = tnn.TransformerDecoder(tl, 2, norm=tnn.LayerNorm(8, dtype=torch.float64))
    ed = nn.TransformerDecoder(el, 2, norm=nn.LayerNorm(8, dtype=ember.float64))
    bool_causal = np.triu(np.ones((4, 4), bool), 1)
    mem_mask = np.zeros((4, 5))
    mem_mask[:, 4] = -np.inf
    _modules_agree(ed, td, _arr((4, 2, 8), 1), _arr((5, 2, 8), 2))
    for args in [dict(tgt_mask=bool_causal), dict(tgt_mask=bool_causal, tgt_is_causal=True),
                 dict(memory_mask=mem_mask)]:
        e = ed(ember.tensor(_arr((4, 2, 8), 1)), ember.tensor(_arr((5, 2, 8), 2)),
               **{k: ember.tensor(v) if isinstance(v, np.ndarray) else v
                  for k, v in args.items()})
        t = td(torch.tensor(_arr((4, 2, 8), 1)), torch.tensor(_arr((5, 2, 8), 2)),
               **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                  for k, v in args.items()})
        assert_same(e, t, rtol=1e-9, atol=1e-10)
    # unbatched (T, E) inputs
    e = ed(ember.tensor(_arr((4, 8), 1)), ember.tensor(_arr((5, 8), 2)))
    t = td(torch.tensor(_arr((4, 8), 1)), torch.tensor(_arr((5, 8), 2)))
    assert_same(e, t, rtol=1e-9, atol=1e-10)


def test_decoder_layer_callable_activation_and_no_bias():
    torch.manual_seed(2)
    tl = tnn.TransformerDecoderLayer(6, 3, 12, dropout=0.0, activation=tnn.functional.gelu,
                                     norm_first=True, bias=False, batch_first=True,
                                     dtype=torch.float64)
    el = nn.TransformerDecoderLayer(6, 3, 12, dropout=0.0, activation=nn.functional.gelu,
                                    norm_first=True, bias=False, batch_first=True,
                                    dtype=ember.float64)
    _modules_agree(el, tl, _arr((2, 4, 6), 1), _arr((2, 3, 6), 2), train=True)


def test_transformer_gradcheck():
    em, _ = _transformers()
    em.double()
    src = ember.tensor(_arr((3, 1, 8), 1), requires_grad=True)
    tgt = ember.tensor(_arr((2, 1, 8), 2), requires_grad=True)
    assert gradcheck(lambda s, t: em(s, t), (src, tgt))
    small = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype=ember.float64)
    src = ember.tensor(_arr((2, 1, 4), 1), requires_grad=True)
    tgt = ember.tensor(_arr((2, 1, 4), 2), requires_grad=True)
    assert gradgradcheck(lambda s, t: small(s, t), (src, tgt))


def test_transformer_errors():
    em, tm = _transformers()
    same_error(lambda: em(ember.zeros(5, 3, 8), ember.zeros(4, 2, 8)),
               lambda: tm(torch.zeros(5, 3, 8), torch.zeros(4, 2, 8)))
    same_error(lambda: em(ember.zeros(5, 3, 6), ember.zeros(4, 3, 6)),
               lambda: tm(torch.zeros(5, 3, 6), torch.zeros(4, 3, 6)))
    same_error(lambda: nn.TransformerDecoderLayer(8, 2, activation="tanh"),
               lambda: tnn.TransformerDecoderLayer(8, 2, activation="tanh"))
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        nn.Transformer(8, 2, 1, 1, 16)
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        tnn.Transformer(8, 2, 1, 1, 16)
    assert [str(w.message) for w in got] == [str(w.message) for w in want]


def test_generate_square_subsequent_mask():
    assert_same(nn.Transformer.generate_square_subsequent_mask(3),
                tnn.Transformer.generate_square_subsequent_mask(3))
    assert_same(nn.Transformer.generate_square_subsequent_mask(2, dtype=ember.float64),
                tnn.Transformer.generate_square_subsequent_mask(2, dtype=torch.float64))


# -- 1-D and 3-D (transposed) convolution layers ------------------------------------------------
_CONV_LAYERS = [
    ("Conv3d", (2, 4, 3), dict(stride=(1, 2, 1), padding=1, groups=2), (2, 2, 4, 5, 4)),
    ("Conv3d", (2, 3, 2), dict(padding="same", padding_mode="circular", bias=False),
     (2, 3, 4, 3)),
    ("ConvTranspose1d", (2, 4, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 2, 5)),
    ("ConvTranspose3d", (2, 3, (2, 1, 2)), dict(stride=2, dilation=(1, 2, 1), bias=False),
     (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, kw, shape", _CONV_LAYERS)
def test_conv_layers_match_torch(name, args, kw, shape):
    torch.manual_seed(0)
    tm = getattr(tnn, name)(*args, **kw, dtype=torch.float64)
    em = getattr(nn, name)(*args, **kw, dtype=ember.float64)
    _modules_agree(em, tm, _arr(shape, 1))


def test_conv_transpose_output_size():
    torch.manual_seed(0)
    for name, x in (("ConvTranspose1d", (1, 2, 4)), ("ConvTranspose3d", (1, 2, 2, 3, 2))):
        tm = getattr(tnn, name)(2, 3, 3, stride=2, dtype=torch.float64)
        em = getattr(nn, name)(2, 3, 3, stride=2, dtype=ember.float64)
        _copy(tm, em)
        size = [2 * s + 2 for s in x[2:]]
        assert_same(em(ember.tensor(_arr(x)), output_size=size),
                    tm(torch.tensor(_arr(x)), output_size=size))
        same_error(lambda: em(ember.tensor(_arr(x)), output_size=[40] * len(size)),
                   lambda: tm(torch.tensor(_arr(x)), output_size=[40] * len(size)))


def test_conv3d_init_and_errors():
    em = nn.Conv3d(2, 4, 3)
    bound = 1 / np.sqrt(2 * 27)
    assert np.abs(em.weight.detach().numpy()).max() <= bound
    assert tuple(em.weight.shape) == (4, 2, 3, 3, 3)
    assert tuple(nn.ConvTranspose3d(2, 4, 3, groups=2).weight.shape) == (2, 2, 3, 3, 3)
    F, TF = nn.functional, tnn.functional
    same_error(lambda: F.conv3d(ember.zeros(1, 3, 4, 4, 4), ember.zeros(2, 2, 3, 3, 3)),
               lambda: TF.conv3d(torch.zeros(1, 3, 4, 4, 4), torch.zeros(2, 2, 3, 3, 3)))
    same_error(lambda: F.conv3d(ember.zeros(1, 2, 4, 4), ember.zeros(2, 2, 3, 3, 3)),
               lambda: TF.conv3d(torch.zeros(1, 2, 4, 4), torch.zeros(2, 2, 3, 3, 3)))
    same_error(lambda: F.conv3d(ember.zeros(1, 2, 2, 4, 4), ember.zeros(2, 2, 3, 3, 3)),
               lambda: TF.conv3d(torch.zeros(1, 2, 2, 4, 4), torch.zeros(2, 2, 3, 3, 3)))
    same_error(lambda: F.conv_transpose1d(ember.zeros(1, 2, 3), ember.zeros(2, 2, 3),
                                          output_padding=2),
               lambda: TF.conv_transpose1d(torch.zeros(1, 2, 3), torch.zeros(2, 2, 3),
                                           output_padding=2))
    same_error(lambda: F.conv_transpose3d(ember.zeros(1, 2, 3, 3, 3), ember.zeros(2, 2, 3, 3, 3),
                                          output_padding=2),
               lambda: TF.conv_transpose3d(torch.zeros(1, 2, 3, 3, 3),
                                           torch.zeros(2, 2, 3, 3, 3), output_padding=2))
    same_error(lambda: F.conv3d(ember.zeros(1, 2, 4, 4, 4), ember.zeros(2, 2, 3, 3)),
               lambda: TF.conv3d(torch.zeros(1, 2, 4, 4, 4), torch.zeros(2, 2, 3, 3)))


# -- layers without parameters: losses, distances, padding ---------------------------------------
def _pm1(shape, seed):
    return np.random.default_rng(seed).choice([-1.0, 1.0], shape)


def _run_both(name, args, kw, inputs, n_grad):
    """Module name(*args, **kw) on ember and torch; the first n_grad inputs require grad."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        em = getattr(nn, name)(*args, **kw)
        tm = getattr(tnn, name)(*args, **kw)
    assert repr(em) == repr(tm)
    es, ts = [], []
    for i, a in enumerate(inputs):
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        if i < n_grad:
            e.requires_grad_(True)
            t.requires_grad_(True)
        es.append(e)
        ts.append(t)
    eo, to = em(*es), tm(*ts)
    assert_same(eo, to, rtol=1e-9, atol=1e-10)
    w = _arr(tuple(to.shape), 9)
    (to * torch.from_numpy(w)).sum().backward()
    (eo * ember.from_numpy(w)).sum().backward()
    for e, t in zip(es[:n_grad], ts[:n_grad]):
        assert_same(e.grad, t.grad, rtol=1e-8, atol=1e-9)


_LOSS_LAYERS = [
    ("MarginRankingLoss", (0.2,), {}, [_arr(5, 1), _arr(5, 2), _pm1(5, 3)], 2),
    ("HingeEmbeddingLoss", (), {"reduction": "sum"}, [_arr((2, 3), 1), _pm1((2, 3), 2)], 1),
    ("SoftMarginLoss", (), {}, [_arr((2, 3), 1), _pm1((2, 3), 2)], 1),
    ("MultiLabelSoftMarginLoss", (), {"weight": None}, [_arr((3, 4), 1), (_arr((3, 4), 2) > 0)
                                                        .astype(float)], 1),
    ("CosineEmbeddingLoss", (), {"margin": 0.1}, [_arr((3, 4), 1), _arr((3, 4), 2),
                                                  _pm1(3, 3)], 2),
    ("MultiMarginLoss", (), {"p": 2, "reduction": "none"}, [_arr((3, 4), 1),
                                                            np.array([0, 3, 1])], 1),
    ("MultiLabelMarginLoss", (), {}, [_arr((2, 4), 1), np.array([[3, 0, -1, 1], [1, -1, 0, 0]])],
     1),
    ("TripletMarginLoss", (), {"margin": 2.0, "swap": True}, [_arr((3, 4), i) for i in range(3)],
     3),
    ("TripletMarginWithDistanceLoss", (), {"margin": 1.5}, [_arr((3, 4), i) for i in range(3)],
     3),
    ("GaussianNLLLoss", (), {"full": True}, [_arr((3, 2), 1), _arr((3, 2), 2),
                                             np.abs(_arr((3, 2), 3)) + 0.1], 3),
    ("PoissonNLLLoss", (), {"log_input": False, "full": True},
     [np.abs(_arr((2, 3), 1)) + 0.1, np.array([[0.0, 1.0, 3.0], [2.0, 5.0, 0.0]])], 1),
    ("NLLLoss2d", (), {}, [_arr((2, 3, 2, 2), 1), np.array([[[0, 2], [1, 1]], [[2, 2], [0, 1]]])],
     1),
    ("PairwiseDistance", (1.0, 1e-3, True), {}, [_arr((3, 4), 1), _arr((3, 4), 2)], 2),
    ("CosineSimilarity", (0,), {}, [_arr((3, 4), 1), _arr((3, 4), 2)], 2),
    ("ReflectionPad1d", ((2, 1),), {}, [_arr((2, 3, 4), 1)], 1),
    ("ReflectionPad2d", (1,), {}, [_arr((1, 2, 3, 4), 1)], 1),
    ("ReflectionPad3d", ((1, 0, 1, 1, 0, 1),), {}, [_arr((1, 2, 2, 3, 4), 1)], 1),
    ("ReplicationPad1d", (2,), {}, [_arr((3, 4), 1)], 1),
    ("ReplicationPad2d", ((1, 2, 0, 3),), {}, [_arr((1, 2, 3, 4), 1)], 1),
    ("ReplicationPad3d", (1,), {}, [_arr((2, 2, 3, 4), 1)], 1),
    ("CircularPad1d", (1,), {}, [_arr((2, 3, 4), 1)], 1),
    ("CircularPad2d", ((1, 2, 2, 0),), {}, [_arr((2, 3, 4), 1)], 1),
    ("CircularPad3d", (1,), {}, [_arr((1, 1, 2, 3, 4), 1)], 1),
    ("ZeroPad1d", ((1, 2),), {}, [_arr((2, 4), 1)], 1),
    ("ZeroPad2d", ((1, -1, 2, 0),), {}, [_arr((2, 3, 4), 1)], 1),
    ("ZeroPad3d", (1,), {}, [_arr((1, 2, 3, 4), 1)], 1),
    ("ConstantPad1d", (2, 3.5), {}, [_arr((2, 4), 1)], 1),
    ("ConstantPad2d", ((1, 0, 2, 1), -1.0), {}, [_arr((2, 3, 4), 1)], 1),
    ("ConstantPad3d", (1, 0.5), {}, [_arr((2, 2, 3, 4), 1)], 1),
]


@pytest.mark.parametrize("name, args, kw, inputs, n_grad", _LOSS_LAYERS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(_LOSS_LAYERS)])
def test_parameterless_layers_match_torch(name, args, kw, inputs, n_grad):
    _run_both(name, args, kw, inputs, n_grad)


def test_loss_and_padding_errors():
    F, TF = nn.functional, tnn.functional
    e, t = ember.zeros(2, 3), torch.zeros(2, 3)
    same_error(lambda: F.margin_ranking_loss(e, e, ember.zeros(2)),
               lambda: TF.margin_ranking_loss(t, t, torch.zeros(2)))
    same_error(lambda: F.multi_margin_loss(e, ember.tensor([0, 1]), p=3),
               lambda: TF.multi_margin_loss(t, torch.tensor([0, 1]), p=3))
    same_error(lambda: F.triplet_margin_loss(e, e, e, margin=0.0),
               lambda: TF.triplet_margin_loss(t, t, t, margin=0.0))
    same_error(lambda: F.triplet_margin_loss(e, e, ember.zeros(3)),
               lambda: TF.triplet_margin_loss(t, t, torch.zeros(3)))
    same_error(lambda: F.gaussian_nll_loss(e, e, ember.ones(3, 3)),
               lambda: TF.gaussian_nll_loss(t, t, torch.ones(3, 3)))
    same_error(lambda: F.gaussian_nll_loss(e, e, -ember.ones(2, 3)),
               lambda: TF.gaussian_nll_loss(t, t, -torch.ones(2, 3)))
    same_error(lambda: F.soft_margin_loss(e, e, reduction="avg"),
               lambda: TF.soft_margin_loss(t, t, reduction="avg"))
    same_error(lambda: F.poisson_nll_loss(e, e, reduction="avg"),
               lambda: TF.poisson_nll_loss(t, t, reduction="avg"))
    same_error(lambda: F.pdist(ember.zeros(2, 3, 4)), lambda: TF.pdist(torch.zeros(2, 3, 4)))
    same_error(lambda: nn.MultiMarginLoss(p=3), lambda: tnn.MultiMarginLoss(p=3))
    same_error(lambda: nn.TripletMarginLoss(margin=-1.0), lambda: tnn.TripletMarginLoss(margin=-1.0))
    same_error(lambda: nn.TripletMarginWithDistanceLoss(margin=0),
               lambda: tnn.TripletMarginWithDistanceLoss(margin=0))
    same_error(lambda: nn.CircularPad2d(1)(ember.zeros(2, 3)),
               lambda: tnn.CircularPad2d(1)(torch.zeros(2, 3)))
    same_error(lambda: nn.ReflectionPad2d(1)(ember.zeros(2, 3)),
               lambda: tnn.ReflectionPad2d(1)(torch.zeros(2, 3)))
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)


# -- activations ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, shape, train", [
    ("PReLU", (), (2, 3, 4), False), ("PReLU", (3, 0.1), (2, 3, 4), False),
    ("PReLU", (4,), (2, 4), False), ("GLU", (1,), (2, 4, 3), False), ("GLU", (), (3, 4), False),
    ("RReLU", (0.2, 0.4), (2, 3), False), ("RReLU", (), (3, 5), True),
    ("Softmax2d", (), (2, 3, 2, 2), False), ("Softmax2d", (), (3, 2, 2), False),
])
def test_activation_layers_match_torch(name, args, shape, train):
    em = getattr(nn, name)(*args, dtype=ember.float64) if name == "PReLU" else \
        getattr(nn, name)(*args)
    tm = getattr(tnn, name)(*args, dtype=torch.float64) if name == "PReLU" else \
        getattr(tnn, name)(*args)
    torch.manual_seed(4)
    ember.manual_seed(4)  # RReLU's slopes: the same random stream
    _modules_agree(em, tm, _arr(shape, 1), train=train)


def test_gumbel_softmax_and_activation_errors():
    F, TF = nn.functional, tnn.functional
    x = _arr((3, 5), 2)
    for kw in ({"tau": 0.5}, {"hard": True}, {"dim": 0, "hard": True}):
        torch.manual_seed(7)
        ember.manual_seed(7)
        e = F.gumbel_softmax(ember.tensor(x, requires_grad=True), **kw)
        t = TF.gumbel_softmax(torch.tensor(x, requires_grad=True), **kw)
        assert_same(e, t, rtol=1e-12, atol=1e-12)
    same_error(lambda: F.glu(ember.zeros(2, 3)), lambda: TF.glu(torch.zeros(2, 3)))
    same_error(lambda: F.glu(ember.zeros(())), lambda: TF.glu(torch.zeros(())))
    same_error(lambda: F.prelu(ember.zeros(2, 3), ember.zeros(2)),
               lambda: TF.prelu(torch.zeros(2, 3), torch.zeros(2)))
    same_error(lambda: F.prelu(ember.zeros(4), ember.zeros(4)),
               lambda: TF.prelu(torch.zeros(4), torch.zeros(4)))
    same_error(lambda: nn.Softmax2d()(ember.zeros(2, 3)),
               lambda: tnn.Softmax2d()(torch.zeros(2, 3)))


# -- normalization -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, kw, shape", [
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 5)),
    ("InstanceNorm2d", (2,), {"affine": True, "track_running_stats": True, "momentum": 0.3},
     (2, 2, 3, 4)),
    ("InstanceNorm3d", (2,), {"track_running_stats": True, "momentum": None}, (2, 2, 2, 3, 2)),
    ("LocalResponseNorm", (3,), {"alpha": 0.2, "beta": 0.5}, (2, 4, 3)),
    ("RMSNorm", ((3, 4),), {}, (2, 3, 4)), ("RMSNorm", (4,), {"eps": 1e-3}, (2, 4)),
    ("RMSNorm", (4,), {"elementwise_affine": False}, (3, 4)),
])
def test_normalization_layers_match_torch(name, args, kw, shape):
    f64 = {} if name == "LocalResponseNorm" else {"dtype": torch.float64}
    tm = getattr(tnn, name)(*args, **kw, **f64)
    em = getattr(nn, name)(*args, **kw, **({"dtype": ember.float64} if f64 else {}))
    # weights that are not ones, running statistics that are not 0 and 1
    with torch.no_grad():
        for v in tm.state_dict().values():
            if v.is_floating_point():
                v.copy_(torch.from_numpy(np.abs(_arr(tuple(v.shape), 3)) + 0.5))
    _modules_agree(em, tm, _arr(shape, 1), train=True)
    assert_same(list(em.state_dict().values()), list(tm.state_dict().values()),
                rtol=1e-10, atol=1e-12)  # the running statistics moved alike
    if "track_running_stats" in kw:  # eval mode: normalized by the running statistics
        em.eval()
        tm.eval()
        x = _arr(shape, 2)
        assert_same(em(ember.tensor(x)), tm(torch.tensor(x)), rtol=1e-9, atol=1e-10)


def test_normalization_errors():
    same_error(lambda: nn.InstanceNorm2d(3)(ember.zeros(2, 3)),
               lambda: tnn.InstanceNorm2d(3)(torch.zeros(2, 3)))
    same_error(lambda: nn.InstanceNorm1d(3, affine=True)(ember.zeros(2, 4, 5)),
               lambda: tnn.InstanceNorm1d(3, affine=True)(torch.zeros(2, 4, 5)))
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(3)(ember.zeros(2, 4, 5))
    assert "does not match num_features" in str(got[0].message)
    same_error(lambda: nn.functional.instance_norm(ember.zeros(2, 3, 1)),
               lambda: tnn.functional.instance_norm(torch.zeros(2, 3, 1)))
    same_error(lambda: nn.functional.local_response_norm(ember.zeros(2, 3), 2),
               lambda: tnn.functional.local_response_norm(torch.zeros(2, 3), 2))
    same_error(lambda: nn.functional.rms_norm(ember.zeros(2, 4), (3,)),
               lambda: tnn.functional.rms_norm(torch.zeros(2, 4), (3,)))
    same_error(lambda: nn.functional.rms_norm(ember.zeros(4), (2, 4)),
               lambda: tnn.functional.rms_norm(torch.zeros(4), (2, 4)))


# -- pooling -------------------------------------------------------------------------------------
def _distinct(shape, seed):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation((np.arange(n) - n / 2) * 0.37).reshape(shape)


@pytest.mark.parametrize("name, args, kw, shape", [
    ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 3)),
    ("MaxPool3d", ((2, 3, 2), (1, 2, 1), (1, 1, 0)), {"ceil_mode": True}, (2, 5, 4, 4)),
    ("AvgPool3d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (1, 2, 5, 4, 5)),
    ("AvgPool3d", ((2, 1, 2),), {"divisor_override": 3}, (2, 4, 3, 4)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (1, 2, 5, 4, 7)),
    ("AdaptiveMaxPool3d", (2,), {}, (2, 3, 5, 4)),
    ("LPPool1d", (2, 3, 2), {}, (2, 3, 7)), ("LPPool2d", (1.5, 2), {"ceil_mode": True},
                                            (1, 2, 5, 5)),
    ("LPPool3d", (2, (2, 1, 2)), {}, (1, 2, 4, 3, 4)),
])
def test_pooling_layers_match_torch(name, args, kw, shape):
    a = _distinct(shape, 1)
    if name.startswith("LP"):
        a = np.abs(a) + 0.1
    _run_both(name, args, kw, [a], 1)


@pytest.mark.parametrize("nd, shape, kw", [(1, (2, 3, 7), {}), (2, (1, 2, 5, 4), {"stride": 1}),
                                           (3, (1, 2, 4, 4, 3), {"padding": 1})])
def test_max_pool_indices_and_unpool(nd, shape, kw):
    a = _distinct(shape, 2)
    e, t = _pair(a)
    em_pool = getattr(nn, f"MaxPool{nd}d")(2, return_indices=True, **kw)
    tm_pool = getattr(tnn, f"MaxPool{nd}d")(2, return_indices=True, **kw)
    (ev, ei), (tv, ti) = em_pool(e), tm_pool(t)
    assert_same((ev, ei), (tv, ti))
    em_un = getattr(nn, f"MaxUnpool{nd}d")(2, **kw)
    tm_un = getattr(tnn, f"MaxUnpool{nd}d")(2, **kw)
    assert repr(em_un) == repr(tm_un)
    eo, to = em_un(ev, ei, output_size=shape), tm_un(tv, ti, output_size=shape)
    assert_same(eo, to)
    w = _arr(shape, 3)
    (to * torch.from_numpy(w)).sum().backward()
    (eo * ember.from_numpy(w)).sum().backward()
    assert_same(e.grad, t.grad)
    F, TF = nn.functional, tnn.functional
    fn = f"max_unpool{nd}d"
    same_error(lambda: getattr(F, fn)(ev, ei, 2, output_size=[s + 9 for s in shape[-nd:]]),
               lambda: getattr(TF, fn)(tv, ti, 2, output_size=[s + 9 for s in shape[-nd:]]))
    same_error(lambda: getattr(F, fn)(ev, ei.float(), 2), lambda: getattr(TF, fn)(tv, ti.float(), 2))


def test_pool3d_errors():
    F, TF = nn.functional, tnn.functional
    for fe, ft in [
        (lambda: F.max_pool3d(ember.zeros(2, 3, 4, 4), 2, padding=2),
         lambda: TF.max_pool3d(torch.zeros(2, 3, 4, 4), 2, padding=2)),
        (lambda: F.max_pool3d(ember.zeros(3, 4, 4), 2), lambda: TF.max_pool3d(torch.zeros(3, 4, 4), 2)),
        (lambda: F.avg_pool3d(ember.zeros(3, 4, 4), 2), lambda: TF.avg_pool3d(torch.zeros(3, 4, 4), 2)),
        (lambda: F.max_pool3d(ember.zeros(1, 1, 1, 4, 4), 2),
         lambda: TF.max_pool3d(torch.zeros(1, 1, 1, 4, 4), 2)),
        (lambda: F.adaptive_avg_pool3d(ember.zeros(3, 4, 4), 2),
         lambda: TF.adaptive_avg_pool3d(torch.zeros(3, 4, 4), 2)),
        (lambda: F.adaptive_max_pool3d(ember.zeros(3, 4, 4), 2),
         lambda: TF.adaptive_max_pool3d(torch.zeros(3, 4, 4), 2)),
        (lambda: F.max_pool3d(ember.zeros(1, 1, 4, 4, 4), (2, 2)),
         lambda: TF.max_pool3d(torch.zeros(1, 1, 4, 4, 4), (2, 2))),
        (lambda: F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.full((1, 1, 2, 2), 30), 2),
         lambda: TF.max_unpool2d(torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 30), 2)),
        (lambda: F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 2, 3).long(), 2),
         lambda: TF.max_unpool2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 3).long(), 2)),
    ]:
        same_error(fe, ft)


# -- resampling ----------------------------------------------------------------------------------
_SAMPLING_LAYERS = [
    ("PixelShuffle", (2,), {}, [_arr((2, 8, 2, 3), 1)], 1),
    ("PixelUnshuffle", (2,), {}, [_arr((2, 2, 4, 6), 1)], 1),
    ("ChannelShuffle", (3,), {}, [_arr((2, 6, 2), 1)], 1),
    ("Unfold", ((2, 3),), {"padding": 1, "stride": 2}, [_arr((2, 3, 4, 5), 1)], 1),
    ("Fold", ((4, 5), 2), {}, [_arr((2, 12, 12), 1)], 1),
    ("Upsample", (), {"scale_factor": 2}, [_arr((1, 2, 3, 4), 1)], 1),
    ("Upsample", ((5, 6, 7),), {"mode": "trilinear", "align_corners": True},
     [_arr((1, 2, 3, 4, 5), 1)], 1),
    ("Upsample", (), {"scale_factor": 0.7, "mode": "bicubic", "recompute_scale_factor": True},
     [_arr((1, 1, 6, 7), 1)], 1),
    ("Upsample", (9,), {"mode": "linear"}, [_arr((2, 3, 4), 1)], 1),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, [_arr((1, 2, 3, 4), 1)], 1),
    ("UpsamplingBilinear2d", ((5, 3),), {}, [_arr((1, 2, 3, 4), 1)], 1),
]


@pytest.mark.parametrize("name, args, kw, inputs, n_grad", _SAMPLING_LAYERS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(_SAMPLING_LAYERS)])
def test_sampling_layers_match_torch(name, args, kw, inputs, n_grad):
    _run_both(name, args, kw, inputs, n_grad)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
@pytest.mark.parametrize("size", [(7, 3), (2, 9), (4, 4)])
def test_interpolate_float32_sizes(mode, size):
    # float32 index arithmetic as PyTorch's kernels do it (odd ratios, down and up)
    a = _arr((2, 3, 4, 6), 4).astype(np.float32)
    assert_same(nn.functional.interpolate(ember.tensor(a), size=size, mode=mode),
                tnn.functional.interpolate(torch.tensor(a), size=size, mode=mode),
                rtol=1e-5, atol=1e-6)
    for sf in (1.3, 0.45, 3):
        assert_same(nn.functional.interpolate(ember.tensor(a), scale_factor=sf, mode=mode),
                    tnn.functional.interpolate(torch.tensor(a), scale_factor=sf, mode=mode),
                    rtol=1e-5, atol=1e-6)


def test_sampling_errors():
    F, TF = nn.functional, tnn.functional
    z3, t3 = ember.zeros(1, 1, 4), torch.zeros(1, 1, 4)
    for fe, ft in [
        (lambda: F.pixel_shuffle(ember.zeros(1, 3, 2, 2), 2),
         lambda: TF.pixel_shuffle(torch.zeros(1, 3, 2, 2), 2)),
        (lambda: F.pixel_shuffle(ember.zeros(3, 2), 2), lambda: TF.pixel_shuffle(torch.zeros(3, 2), 2)),
        (lambda: F.pixel_unshuffle(ember.zeros(1, 1, 3, 4), 2),
         lambda: TF.pixel_unshuffle(torch.zeros(1, 1, 3, 4), 2)),
        (lambda: F.channel_shuffle(ember.zeros(1, 3, 2, 2), 2),
         lambda: TF.channel_shuffle(torch.zeros(1, 3, 2, 2), 2)),
        (lambda: F.channel_shuffle(ember.zeros(3), 3), lambda: TF.channel_shuffle(torch.zeros(3), 3)),
        (lambda: F.unfold(ember.zeros(1, 2, 3, 3), 4), lambda: TF.unfold(torch.zeros(1, 2, 3, 3), 4)),
        (lambda: F.fold(ember.zeros(1, 5, 4), (3, 3), 2),
         lambda: TF.fold(torch.zeros(1, 5, 4), (3, 3), 2)),
        (lambda: F.fold(ember.zeros(1, 4, 5), (3, 3), 2),
         lambda: TF.fold(torch.zeros(1, 4, 5), (3, 3), 2)),
        (lambda: F.interpolate(z3, mode="bilinear", scale_factor=2),
         lambda: TF.interpolate(t3, mode="bilinear", scale_factor=2)),
        (lambda: F.interpolate(z3, scale_factor=2, align_corners=True),
         lambda: TF.interpolate(t3, scale_factor=2, align_corners=True)),
        (lambda: F.interpolate(z3), lambda: TF.interpolate(t3)),
        (lambda: F.interpolate(z3, size=3, scale_factor=2),
         lambda: TF.interpolate(t3, size=3, scale_factor=2)),
        (lambda: F.interpolate(z3, size=(3, 3)), lambda: TF.interpolate(t3, size=(3, 3))),
        (lambda: F.interpolate(ember.zeros(1, 4), size=3), lambda: TF.interpolate(torch.zeros(1, 4), size=3)),
        (lambda: F.interpolate(z3, size=3, mode="foo"), lambda: TF.interpolate(t3, size=3, mode="foo")),
        (lambda: F.interpolate(z3, scale_factor=0.1), lambda: TF.interpolate(t3, scale_factor=0.1)),
        (lambda: F.interpolate(z3, size=3, recompute_scale_factor=True),
         lambda: TF.interpolate(t3, size=3, recompute_scale_factor=True)),
    ]:
        same_error(fe, ft)
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        F.upsample_bilinear(ember.zeros(1, 1, 2, 2), scale_factor=2)


# -- dropout -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, p, shape", [("Dropout3d", 0.4, (2, 3, 2, 2, 2)),
                                            ("Dropout3d", 0.5, (3, 2, 2, 2)),
                                            ("AlphaDropout", 0.3, (4, 5)),
                                            ("FeatureAlphaDropout", 0.5, (2, 4, 3))])
def test_dropout_layers_match_torch(name, p, shape):
    torch.manual_seed(3)
    ember.manual_seed(3)  # the same masks: ember draws PyTorch's random stream
    _modules_agree(getattr(nn, name)(p), getattr(tnn, name)(p), _arr(shape, 1), train=True)
    em = getattr(nn, name)(p).eval()
    x = ember.tensor(_arr(shape, 1))
    tm = getattr(tnn, name)(p).eval()
    t = torch.tensor(_arr(shape, 1))
    assert (em(x) is x) == (tm(t) is t)  # eval mode: the input itself (a view if unbatched)
    assert_same(em(x), tm(t))


def test_dropout3d_warns_and_alpha_dropout_keeps_moments():
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        nn.functional.dropout3d(ember.zeros(2, 3, 4))
    x = ember.randn(200000, dtype=ember.float64)
    y = nn.functional.alpha_dropout(x, 0.2, True)
    assert abs(float(y.mean())) < 0.02 and abs(float(y.std()) - 1) < 0.02


# -- embedding bags ------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, inputs", [
    ({"mode": "mean"}, [np.array([1, 2, 4, 4, 3, 0, 2]), np.array([0, 2, 2, 5])]),
    ({"mode": "sum", "padding_idx": 2}, [np.array([[1, 2, 4], [4, 3, 2]])]),
    ({"mode": "max", "include_last_offset": True},
     [np.array([1, 2, 4, 0, 3, 0, 2]), np.array([0, 3, 3, 7])]),
    ({"mode": "sum", "max_norm": 1.0}, [np.array([1, 1, 4, 1]), np.array([0, 2])]),
])
def test_embedding_bag_layer_matches_torch(kw, inputs):
    torch.manual_seed(0)
    tm = tnn.EmbeddingBag(5, 3, dtype=torch.float64, **kw)
    em = nn.EmbeddingBag(5, 3, dtype=ember.float64, **kw)
    _modules_agree(em, tm, *inputs)


def test_embedding_bag_per_sample_weights_and_errors():
    w = _arr((5, 2), 1)
    idx, off, psw = np.array([1, 2, 3]), np.array([0, 1]), _arr(3, 2)
    e = nn.functional.embedding_bag(ember.tensor(idx), ember.tensor(w), ember.tensor(off),
                                    mode="sum", per_sample_weights=ember.tensor(psw))
    t = tnn.functional.embedding_bag(torch.tensor(idx), torch.tensor(w), torch.tensor(off),
                                     mode="sum", per_sample_weights=torch.tensor(psw))
    assert_same(e, t)
    F, TF = nn.functional, tnn.functional
    ew, tw = ember.tensor(w), torch.tensor(w)
    for args, kw in [(([[1, 2], [3, 4]], [0]), {}), (([1, 2, 3], None), {}),
                     (([1, 2, 3], [0, 1]), {"mode": "foo"}),
                     (([1, 2, 3], [1, 1]), {}), (([1, 2, 3], [0, 4]), {}),
                     (([1, 2, 3], [0, 1]), {"mode": "mean", "per_sample_weights": [1.0] * 3})]:
        def conv(lib, a):
            return None if a is None else lib.tensor(a)

        same_error(lambda: F.embedding_bag(conv(ember, args[0]), ew, conv(ember, args[1]),
                                           **{k: conv(ember, v) if isinstance(v, list) else v
                                              for k, v in kw.items()}),
                   lambda: TF.embedding_bag(conv(torch, args[0]), tw, conv(torch, args[1]),
                                            **{k: conv(torch, v) if isinstance(v, list) else v
                                               for k, v in kw.items()}))
    assert repr(nn.EmbeddingBag(10, 3, mode="max", padding_idx=2, max_norm=1.0,
                                scale_grad_by_freq=True)) == \
        repr(tnn.EmbeddingBag(10, 3, mode="max", padding_idx=2, max_norm=1.0,
                              scale_grad_by_freq=True))


# -- the remaining names: SyncBatchNorm, DataParallel, Container, factory_kwargs -----------------
def test_sync_batch_norm_without_a_process_group():
    torch.manual_seed(0)
    tm = tnn.SyncBatchNorm(3, momentum=0.2, dtype=torch.float64)
    em = nn.SyncBatchNorm(3, momentum=0.2, dtype=ember.float64)
    _modules_agree(em, tm, _arr((4, 3, 2), 1), train=True)
    assert_same(list(em.state_dict().values()), list(tm.state_dict().values()))
    same_error(lambda: em(ember.zeros(3)), lambda: tm(torch.zeros(3)))
    net = nn.Sequential(nn.Conv1d(3, 3, 1), nn.BatchNorm1d(3), nn.ReLU())
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(synced[1]) is nn.SyncBatchNorm and synced[1].weight is net[1].weight
    tnet = tnn.SyncBatchNorm.convert_sync_batchnorm(
        tnn.Sequential(tnn.Conv1d(3, 3, 1), tnn.BatchNorm1d(3), tnn.ReLU()))
    assert repr(synced) == repr(tnet)


def test_data_parallel_container_and_factory_kwargs():
    torch.manual_seed(0)
    tm = tnn.DataParallel(tnn.Linear(2, 3, dtype=torch.float64))
    em = nn.DataParallel(nn.Linear(2, 3, dtype=ember.float64))
    _modules_agree(em, tm, _arr((4, 2), 1))
    assert em.device_ids == tm.device_ids == []
    with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
        c = nn.Container(a=nn.Linear(1, 1))
    with pytest.warns(FutureWarning):
        assert repr(c) == repr(tnn.Container(a=tnn.Linear(1, 1)))
    assert nn.factory_kwargs({"factory_kwargs": {"dtype": 1}, "device": "cpu"}) == \
        tnn.factory_kwargs({"factory_kwargs": {"dtype": 1}, "device": "cpu"})
    assert nn.factory_kwargs(None) == {}
    same_error(lambda: nn.factory_kwargs({"foo": 1}), lambda: tnn.factory_kwargs({"foo": 1}))
    same_error(lambda: nn.factory_kwargs({"dtype": 1, "factory_kwargs": {"dtype": 2}}),
               lambda: tnn.factory_kwargs({"dtype": 1, "factory_kwargs": {"dtype": 2}}))
    nn.functional.assert_int_or_pair((1, 2), "kernel", "{} must be int or pair")
    with pytest.raises(AssertionError, match="kernel must be int or pair"):
        nn.functional.assert_int_or_pair((1, 2, 3), "kernel", "{} must be int or pair")


# -- what is missing is documented ----------------------------------------------------------------
def _documented(section):
    """The names listed under '## <section>' in docs/nn_coverage.md, with their reasons."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).parents[1] / "docs" / "nn_coverage.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^- `([A-Za-z_0-9]+)`: (.+)$", body, re.M))


def _functional_api():
    """The functions (and enums) torch.nn.functional defines, not the names it imports."""
    import types

    import torch.nn.functional as TF

    skip = ("typing", "collections", "torch._jit_internal", "torch.overrides", "builtins")
    names = []
    for name in dir(TF):
        obj = getattr(TF, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType) or not callable(obj) \
                or obj is torch.Tensor:
            continue
        module = getattr(obj, "__module__", None) or ""
        if module.startswith(skip) or module == "torch._C":
            continue
        names.append(name)
    return names


def test_missing_nn_names_are_documented():
    missing_nn = sorted(n for n in dir(tnn) if not n.startswith("_") and not hasattr(nn, n))
    missing_f = sorted(n for n in _functional_api() if not hasattr(nn.functional, n))
    print("torch.nn names missing from ember.nn:", missing_nn)
    print("torch.nn.functional names missing from ember.nn.functional:", missing_f)
    doc_nn, doc_f = _documented("torch.nn"), _documented("torch.nn.functional")
    assert all(reason.strip() for reason in (*doc_nn.values(), *doc_f.values()))
    assert missing_nn == sorted(doc_nn)
    assert missing_f == sorted(doc_f)


# -- CTC -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, targets, in_len, tg_len", [
    ({}, [[1, 2, 3], [1, 1, 0]], [6, 5], [3, 2]),
    ({"reduction": "sum", "blank": 3}, [0, 2, 1, 1, 2], [6, 4], [3, 2]),
    ({"reduction": "none", "zero_infinity": True}, [[1, 1, 1], [1, 2, 0]], [2, 6], [3, 2]),
    ({"reduction": "none"}, [[1, 1, 1], [1, 2, 0]], [2, 6], [3, 2]),
])
def test_ctc_loss_layer_matches_torch(kw, targets, in_len, tg_len):
    lp = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(2).numpy()
    em, tm = nn.CTCLoss(**kw), tnn.CTCLoss(**kw)
    assert repr(em) == repr(tm)
    e, t = _pair(lp)
    eo = em(e, ember.tensor(targets), ember.tensor(in_len), ember.tensor(tg_len))
    to = tm(t, torch.tensor(targets), torch.tensor(in_len), torch.tensor(tg_len))
    assert_same(eo, to, rtol=1e-10, atol=1e-12)
    if not np.isinf(to.detach().numpy()).any():  # PyTorch's gradient is nan for an inf loss
        eo.sum().backward()
        to.sum().backward()
        assert_same(e.grad, t.grad, rtol=1e-9, atol=1e-12)
    same_error(lambda: em(e, ember.tensor(targets), [7, 5], tg_len),
               lambda: tm(t, torch.tensor(targets), [7, 5], tg_len))


# -- nn.grad -------------------------------------------------------------------------------------
@pytest.mark.parametrize("nd, x, w, kw", [
    (1, (2, 4, 7), (6, 2, 3), {"stride": 2, "padding": 1, "groups": 2}),
    (2, (1, 2, 5, 6), (3, 2, 2, 3), {"dilation": (2, 1)}),
    (3, (1, 2, 4, 3, 4), (2, 2, 2, 2, 2), {"stride": (1, 2, 1), "padding": 1}),
])
def test_nn_grad_matches_torch(nd, x, w, kw):
    import torch.nn.grad as tg

    import ember.nn.grad as eg

    xa, wa = _arr(x, 1), _arr(w, 2)
    go = getattr(tnn.functional, f"conv{nd}d")(torch.tensor(xa), torch.tensor(wa), **kw)
    g = _arr(tuple(go.shape), 3)
    assert_same(getattr(eg, f"conv{nd}d_input")(x, ember.tensor(wa), ember.tensor(g), **kw),
                getattr(tg, f"conv{nd}d_input")(x, torch.tensor(wa), torch.tensor(g), **kw),
                rtol=1e-10, atol=1e-12)
    assert_same(getattr(eg, f"conv{nd}d_weight")(ember.tensor(xa), w, ember.tensor(g), **kw),
                getattr(tg, f"conv{nd}d_weight")(torch.tensor(xa), w, torch.tensor(g), **kw),
                rtol=1e-10, atol=1e-12)


def test_affine_grid_and_grid_sample_errors_and_warning():
    F, TF = nn.functional, tnn.functional
    th, tth = ember.tensor(_arr((2, 2, 3), 1)), torch.tensor(_arr((2, 2, 3), 1))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        g = F.affine_grid(th, (2, 3, 4, 5))
    x = ember.zeros(2, 3, 4, 5)
    for fe, ft in [
        (lambda: F.affine_grid(th, (2, 3, 4), False), lambda: TF.affine_grid(tth, (2, 3, 4), False)),
        (lambda: F.affine_grid(th, (2, 3, 4, 5, 6), False),
         lambda: TF.affine_grid(tth, (2, 3, 4, 5, 6), False)),
        (lambda: F.grid_sample(x, g, mode="foo", align_corners=False),
         lambda: TF.grid_sample(torch.zeros(2, 3, 4, 5), torch.zeros(2, 4, 5, 2), mode="foo",
                                align_corners=False)),
        (lambda: F.grid_sample(x, g, padding_mode="foo", align_corners=False),
         lambda: TF.grid_sample(torch.zeros(2, 3, 4, 5), torch.zeros(2, 4, 5, 2),
                                padding_mode="foo", align_corners=False)),
        (lambda: F.grid_sample(ember.zeros(3, 3, 4, 5), g, align_corners=False),
         lambda: TF.grid_sample(torch.zeros(3, 3, 4, 5), torch.zeros(2, 4, 5, 2),
                                align_corners=False)),
        (lambda: F.grid_sample(ember.zeros(2, 3, 4, 5, 2), ember.zeros(2, 3, 4, 5, 3),
                               mode="bicubic", align_corners=False),
         lambda: TF.grid_sample(torch.zeros(2, 3, 4, 5, 2), torch.zeros(2, 3, 4, 5, 3),
                                mode="bicubic", align_corners=False)),
    ]:
        same_error(fe, ft)


# -- fractional max pooling ----------------------------------------------------------------------
@pytest.mark.parametrize("name, args, kw, shape", [
    ("FractionalMaxPool2d", (2,), {"output_size": (4, 5)}, (2, 3, 7, 9)),
    ("FractionalMaxPool2d", ((3, 2),), {"output_ratio": 0.5}, (3, 10, 8)),
    ("FractionalMaxPool3d", (2,), {"output_size": 3}, (1, 2, 6, 7, 8)),
    ("FractionalMaxPool3d", ((2, 3, 2),), {"output_ratio": (0.5, 0.6, 0.4)}, (2, 6, 7, 8)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fractional_max_pool_layers_match_torch(name, args, kw, shape, dtype):
    # the random windows come from the same stream as PyTorch's
    a = _distinct(shape, 1).astype(dtype)
    for return_indices in (False, True):
        torch.manual_seed(1)
        ember.manual_seed(1)
        em = getattr(nn, name)(*args, return_indices=return_indices, **kw)
        tm = getattr(tnn, name)(*args, return_indices=return_indices, **kw)
        assert repr(em) == repr(tm)
        e, t = _pair(a)
        eo, to = em(e), tm(t)
        assert_same(eo, to)
    w = _arr(tuple(to[0].shape), 2).astype(dtype)
    (to[0] * torch.from_numpy(w)).sum().backward()
    (eo[0] * ember.from_numpy(w)).sum().backward()
    assert_same(e.grad, t.grad)


def test_fractional_max_pool_errors():
    for fe, ft in [(lambda: nn.FractionalMaxPool2d(3), lambda: tnn.FractionalMaxPool2d(3)),
                   (lambda: nn.FractionalMaxPool2d(3, output_ratio=1.5),
                    lambda: tnn.FractionalMaxPool2d(3, output_ratio=1.5)),
                   (lambda: nn.FractionalMaxPool3d(3, 2, 0.5),
                    lambda: tnn.FractionalMaxPool3d(3, 2, 0.5)),
                   (lambda: nn.functional.fractional_max_pool2d(ember.zeros(1, 2, 5, 5), 3,
                                                                output_size=4),
                    lambda: tnn.functional.fractional_max_pool2d(torch.zeros(1, 2, 5, 5), 3,
                                                                 output_size=4))]:
        same_error(fe, ft)


# -- adaptive softmax ----------------------------------------------------------------------------
def test_adaptive_log_softmax_matches_torch():
    torch.manual_seed(0)
    tm = tnn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True,
                                        dtype=torch.float64)
    em = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True,
                                       dtype=ember.float64)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    _copy(tm, em)
    x, target = _arr((7, 8), 1), np.array([0, 9, 4, 2, 6, 5, 8])
    e, t = _pair(x)
    eo, to = em(e, ember.tensor(target)), tm(t, torch.tensor(target))
    assert type(eo).__name__ == "_ASMoutput" and eo._fields == to._fields
    assert_same(tuple(eo), tuple(to), rtol=1e-10, atol=1e-12)
    eo.loss.backward()
    to.loss.backward()
    assert_same(e.grad, t.grad, rtol=1e-9, atol=1e-12)
    for (name, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert_same(ep.grad, tp.grad, rtol=1e-9, atol=1e-12)
    assert_same(em.log_prob(ember.tensor(x)), tm.log_prob(torch.tensor(x)), rtol=1e-10,
                atol=1e-12)
    assert_same(em.predict(ember.tensor(x)), tm.predict(torch.tensor(x)))
    unb = em(ember.tensor(x[0]), ember.tensor(np.array(9)))
    assert_same(tuple(unb), tuple(tm(torch.tensor(x[0]), torch.tensor(np.array(9)))),
                rtol=1e-10, atol=1e-12)
    same_error(lambda: em(ember.tensor(x), ember.tensor(target + 5)),
               lambda: tm(torch.tensor(x), torch.tensor(target + 5)))
    same_error(lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3]),
               lambda: tnn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3]))
    same_error(lambda: em(ember.tensor(x), ember.tensor(target[:3])),
               lambda: tm(torch.tensor(x), torch.tensor(target[:3])))


def test_linear_cross_entropy_errors():
    F, TF = nn.functional, tnn.functional
    x, w, t = _arr((4, 3), 1), _arr((5, 3), 2), np.array([0, 4, 2, 1])
    for args, kw in [((_arr((2, 2, 3), 1), w, t), {}), ((x, _arr(5, 2), t), {}),
                     ((x, _arr((5, 4), 2), t), {}), ((x, w, t), {"linear_bias": _arr(4, 3)}),
                     ((_arr(3, 1), _arr((5, 2, 3), 2), t), {}),
                     ((x, w, _arr((4, 5), 3)), {"ignore_index": 1})]:
        same_error(lambda: F.linear_cross_entropy(*[ember.tensor(a) for a in args],
                                                  **{k: ember.tensor(v) if isinstance(
                                                      v, np.ndarray) else v
                                                     for k, v in kw.items()}),
                   lambda: TF.linear_cross_entropy(*[torch.tensor(a) for a in args],
                                                   **{k: torch.tensor(v) if isinstance(
                                                       v, np.ndarray) else v
                                                      for k, v in kw.items()}))


def test_buffer_registers_on_assignment():
    for lib, mod in ((ember, nn), (torch, tnn)):
        m = mod.Module()
        m.kept = mod.Buffer(lib.ones(2))
        m.dropped = mod.Buffer(lib.zeros(3), persistent=False)
        assert list(m.state_dict()) == ["kept"]
        assert [n for n, _ in m.named_buffers()] == ["kept", "dropped"]
        assert isinstance(m.kept, mod.Buffer) and not isinstance(lib.ones(1), mod.Buffer)
        assert repr(mod.Buffer()) == "tensor([])"
        x = lib.ones(2, requires_grad=True)
        b = mod.Buffer(x * 2)
        assert b.requires_grad and b.grad_fn is None and b.is_leaf


@pytest.mark.parametrize("kw, x, target", [
    ({}, (4, 3), np.array([0, 4, 2, 1])),
    ({"bias": True, "label_smoothing": 0.2, "reduction": "sum"}, (4, 3), np.array([0, 4, 2, 1])),
    ({"out_features": (2,), "bias": True, "reduction": "none"}, (4, 3),
     np.array([[0, 4], [2, 1], [3, 3], [0, 1]])),
])
def test_linear_cross_entropy_loss_matches_torch(kw, x, target):
    torch.manual_seed(0)
    tm = tnn.LinearCrossEntropyLoss(3, 5, dtype=torch.float64, **kw)
    em = nn.LinearCrossEntropyLoss(3, 5, dtype=ember.float64, **kw)
    _modules_agree(em, tm, _arr(x, 1), target)
    same_error(lambda: nn.LinearCrossEntropyLoss(3, 5, label_smoothing=2.0),
               lambda: tnn.LinearCrossEntropyLoss(3, 5, label_smoothing=2.0))


def test_linear_cross_entropy_options():
    eo, to = nn.LinearCrossEntropyOptions(), tnn.LinearCrossEntropyOptions()
    assert repr(eo) == repr(to)
    assert repr(nn.LinearCrossEntropyLoss(3, 4, options=eo)) == \
        repr(tnn.LinearCrossEntropyLoss(3, 4, options=to))
    for kw in [{"acc_policy": "x"}, {"chunking_method": "foo"}, {"batch_chunk_size": 0},
               {"chunking_method": "aspect_ratio:0"}]:
        same_error(lambda: nn.LinearCrossEntropyOptions(**kw),
                   lambda: tnn.LinearCrossEntropyOptions(**kw))
    x, w, t = _arr((4, 3), 1), _arr((5, 3), 2), np.array([0, 4, 2, 1])
    with pytest.warns(UserWarning, match="options`` ignored"):
        e = nn.functional.linear_cross_entropy(ember.tensor(x), ember.tensor(w), ember.tensor(t),
                                               options=eo)
    assert_same(e, tnn.functional.linear_cross_entropy(torch.tensor(x), torch.tensor(w),
                                                       torch.tensor(t)), rtol=1e-12)


@pytest.mark.parametrize("size, channels", [(1, 3), (2, 6), (3, 3), (4, 6), (5, 3)])
def test_cross_map_lrn2d_values_match_torch(size, channels):
    a = _arr((2, channels, 3, 2), size)
    em, tm = nn.CrossMapLRN2d(size, 0.3, 0.6, 1.5), tnn.CrossMapLRN2d(size, 0.3, 0.6, 1.5)
    assert repr(em) == repr(tm) and repr(nn.CrossMapLRN2d(3)) == repr(tnn.CrossMapLRN2d(3))
    assert_same(em(ember.tensor(a)), tm(torch.tensor(a)), rtol=1e-12, atol=1e-14)
    # the gradient is the exact one of these values (PyTorch's hand-written one differs)
    x = ember.tensor(a, requires_grad=True)
    assert gradcheck(em, (x,)) and gradgradcheck(em, (x,))
    same_error(lambda: em(ember.zeros(2, 3, 4)), lambda: tm(torch.zeros(2, 3, 4)))


def test_top_level_forms():
    a, b = _arr((4, 3), 1), _arr((4, 3), 2)
    for name, args in [("pdist", (a,)), ("cosine_similarity", (a, b)),
                       ("pairwise_distance", (a, b)), ("prelu", (a, np.array([0.2])))]:
        assert_same(getattr(ember, name)(*[ember.tensor(x) for x in args]),
                    getattr(torch, name)(*[torch.tensor(x) for x in args]), rtol=1e-12)


# -- lazy modules --------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, kw, shape", [
    ("LazyLinear", (3,), {}, (2, 5)), ("LazyLinear", (4,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)), ("LazyConv2d", (4, 3), {"groups": 2},
                                                        (2, 6, 5, 5)),
    ("LazyConv3d", (2, 2), {}, (3, 4, 4, 4)),
    ("LazyConvTranspose1d", (2, 3), {"stride": 2, "bias": False}, (2, 3, 4)),
    ("LazyConvTranspose2d", (2, 3), {"output_padding": 1, "stride": 2}, (2, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"stride": 2}, (1, 3, 2, 2, 2)),
    ("LazyBatchNorm1d", (), {}, (4, 3)), ("LazyBatchNorm2d", (), {"momentum": 0.3},
                                          (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)), ("LazyInstanceNorm2d", (), {"affine": False},
                                                 (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 3, 2)),
])
def test_lazy_modules_match_torch(name, args, kw, shape):
    em = getattr(nn, name)(*args, **kw, dtype=ember.float64)
    tm = getattr(tnn, name)(*args, **kw, dtype=torch.float64)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert em.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        em.weight.shape if "weight" in dict(em.named_parameters()) else em.running_mean.shape
    x = _arr(shape, 1)
    em(ember.tensor(x))
    tm(torch.tensor(x))
    # the layer it became, with the sizes read from the input
    assert type(em).__name__ == type(tm).__name__ and repr(em) == repr(tm)
    assert [tuple(v.shape) for v in em.state_dict().values()] == \
        [tuple(v.shape) for v in tm.state_dict().values()]
    assert type(next(iter(em.parameters()), ember.nn.Parameter(ember.zeros(1)))) is \
        ember.nn.Parameter
    _modules_agree(em, tm, _arr(shape, 2), train=True)


def test_lazy_modules_load_state_dict_and_errors():
    torch.manual_seed(0)
    tm = tnn.Linear(5, 3, dtype=torch.float64)
    em = nn.LazyLinear(3, dtype=ember.float64)
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    assert tuple(em.weight.shape) == (3, 5)
    x = _arr((2, 5), 1)
    assert_same(em(ember.tensor(x)), tm(torch.tensor(x)))
    assert type(em) is nn.Linear
    same_error(lambda: nn.LazyConv2d(4, 3)(ember.zeros(2, 3)),
               lambda: tnn.LazyConv2d(4, 3)(torch.zeros(2, 3)))
    same_error(lambda: nn.LazyConv2d(4, 3, groups=2)(ember.zeros(1, 3, 5, 5)),
               lambda: tnn.LazyConv2d(4, 3, groups=2)(torch.zeros(1, 3, 5, 5)))
    assert repr(nn.UninitializedParameter()) == repr(tnn.UninitializedParameter())


@pytest.mark.parametrize("fn, shape", [("nll_loss", (3, 4)), ("cross_entropy", (3, 4)),
                                       ("nll_loss", (2, 4, 3, 3)), ("cross_entropy", (4,))])
def test_class_weight_requiring_grad_is_refused(fn, shape):
    """PyTorch's nll_loss kernels take no gradient for weight: an error, except under no_grad."""
    target = [0, 1, 3][: shape[0]] if len(shape) == 2 else (
        [[[0, 1, 2]] * 3] * 2 if len(shape) == 4 else 2)
    got = []
    for lib in (torch, ember):
        x = lib.ones(shape, requires_grad=True)
        w = lib.ones(4, requires_grad=True)
        t = lib.tensor(target)
        with pytest.raises(RuntimeError) as info:
            getattr(lib.nn.functional, fn)(x, t, weight=w)
        got.append(str(info.value))
        with lib.no_grad():
            getattr(lib.nn.functional, fn)(x, t, weight=w)
    assert got[1] == got[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("inplace", [False, True])
def test_rrelu_values_gradient_and_node_as_pytorch(dtype, training, inplace):
    """rrelu under a seed: PyTorch's slopes (drawn between the bounds as its kernel holds them),
    its values, gradient and node (RreluWithNoiseBackward1 in place)."""
    got = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        x = lib.tensor(np.linspace(-3, 1, 64), dtype=getattr(lib, dtype), requires_grad=True)
        y = x * 1
        y = lib.nn.functional.rrelu(y, training=training, inplace=inplace)
        node = type(y.grad_fn).__name__
        y.sum().backward()
        got.append((node, y.detach().numpy().copy(), x.grad.numpy().copy()))
    assert got[1][0] == got[0][0]
    np.testing.assert_array_equal(got[1][1], got[0][1])
    np.testing.assert_array_equal(got[1][2], got[0][2])
