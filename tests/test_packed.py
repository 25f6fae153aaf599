"""Parity of ember.nn.utils.rnn (padding, packing, PackedSequence) and of RNN/LSTM/GRU on
packed sequences against PyTorch."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.utils.rnn as trnn

import ember
import ember.nn as enn
import ember.nn.utils.rnn as ernn
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, same_error

RTOL, ATOL = 1e-4, 1e-5


def _array(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _leaves(arrays):
    """The same arrays as ember and torch leaves that require grad."""
    e = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    t = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    return e, t


def _weighted_backward(outs, seed=3):
    """sum(out * w) with fixed random w (the same for ember and torch), then backward."""
    total = None
    for i, o in enumerate(outs):
        w = _array(tuple(o.shape), seed + i, o.detach().numpy().dtype)
        w = ember.from_numpy(w) if isinstance(o, ember.Tensor) else torch.from_numpy(w)
        term = (o * w).sum()
        total = term if total is None else total + term
    total.backward()


def _same_packed(e, t, rtol=1e-6, atol=1e-7):
    assert type(e).__name__ == "PackedSequence"
    assert_same(e.data, t.data, rtol, atol)
    assert_same(e.batch_sizes, t.batch_sizes)
    assert_same(e.sorted_indices, t.sorted_indices)
    assert_same(e.unsorted_indices, t.unsorted_indices)


SEQ_LENGTHS = [[4, 2, 3], [1], [3, 3, 1, 2], [2, 5, 5, 1, 4]]


def _sequences(lengths, feat=(2,), dtype=np.float32, seed=0):
    return [_array((n, *feat), seed + i, dtype) for i, n in enumerate(lengths)]


# -- pad_sequence -------------------------------------------------------------------------------
@pytest.mark.parametrize("lengths", SEQ_LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(lengths, batch_first, side):
    es, ts = _leaves(_sequences(lengths))
    pe = ernn.pad_sequence(es, batch_first=batch_first, padding_value=-2.5, padding_side=side)
    pt = trnn.pad_sequence(ts, batch_first=batch_first, padding_value=-2.5, padding_side=side)
    assert_same(pe, pt)
    assert type(pe.grad_fn).__name__ == type(pt.grad_fn).__name__ == "CopySlices"
    _weighted_backward([pe])
    _weighted_backward([pt])
    for a, b in zip(es, ts):
        assert_same(a.grad, b.grad)


def test_pad_sequence_defaults_tuple_tensor_and_dtypes():
    a, b = _array((3, 2), 0), _array((1, 2), 1)
    e = ernn.pad_sequence((ember.from_numpy(a), ember.from_numpy(b)))
    t = trnn.pad_sequence((torch.from_numpy(a), torch.from_numpy(b)))
    assert_same(e, t)
    # a tensor is a sequence of its rows
    x = _array((3, 4, 2), 2)
    assert_same(ernn.pad_sequence(ember.from_numpy(x), True),
                trnn.pad_sequence(torch.from_numpy(x), True))
    # the result takes the first sequence's dtype
    e = ernn.pad_sequence([ember.from_numpy(a), ember.from_numpy(b.astype(np.float64))])
    t = trnn.pad_sequence([torch.from_numpy(a), torch.from_numpy(b.astype(np.float64))])
    assert_same(e, t)
    ints = [np.arange(3), np.arange(5)]
    assert_same(ernn.pad_sequence([ember.from_numpy(i) for i in ints], padding_value=7),
                trnn.pad_sequence([torch.from_numpy(i) for i in ints], padding_value=7))
    # no trailing dims
    v = [np.arange(3.0, dtype=np.float32), np.arange(1.0, dtype=np.float32)]
    assert_same(ernn.pad_sequence([ember.from_numpy(i) for i in v], padding_side="left"),
                trnn.pad_sequence([torch.from_numpy(i) for i in v], padding_side="left"))


def _pad_errors(m):
    r = m.nn.utils.rnn
    a, b = m.zeros(3, 2), m.zeros(2, 3)
    return [
        lambda: r.pad_sequence([a, a], padding_side="middle"),
        lambda: r.pad_sequence([]),
        lambda: r.pad_sequence([a, b]),
    ]


@pytest.mark.parametrize("i", range(3))
def test_pad_sequence_errors(i):
    same_error(_pad_errors(ember)[i], _pad_errors(torch)[i])


def test_pad_sequence_gradcheck():
    es = [ember.from_numpy(a).requires_grad_() for a in _sequences([3, 1, 2], dtype=np.float64)]
    for side in ("right", "left"):
        def fn(*xs, side=side):
            return ernn.pad_sequence(list(xs), batch_first=True, padding_value=1.5,
                                     padding_side=side)
        assert gradcheck(fn, es)
        assert gradgradcheck(fn, es)


# -- pack_padded_sequence / pad_packed_sequence --------------------------------------------------
PACK_CASES = [
    ([4, 3, 1], True),
    ([4, 4, 2, 1], True),
    ([1, 4, 2], False),
    ([2, 4, 2, 4, 1], False),  # ties keep their order
    ([3], True),
]


@pytest.mark.parametrize("lengths,enforce_sorted", PACK_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence(lengths, enforce_sorted, batch_first, as_tensor):
    steps, batch = max(lengths), len(lengths)
    shape = (batch, steps, 3) if batch_first else (steps, batch, 3)
    (xe,), (xt,) = _leaves([_array(shape, 1)])
    le = ember.tensor(lengths) if as_tensor else lengths
    lt = torch.tensor(lengths) if as_tensor else lengths
    pe = ernn.pack_padded_sequence(xe, le, batch_first, enforce_sorted)
    pt = trnn.pack_padded_sequence(xt, lt, batch_first, enforce_sorted)
    _same_packed(pe, pt)
    assert type(pe.data.grad_fn).__name__ == "PackPaddedSequenceBackward0"
    _weighted_backward([pe.data])
    _weighted_backward([pt.data])
    assert_same(xe.grad, xt.grad)

    # and back: the padded tensor in the original order, lengths as int64
    for total, value in ((None, 0.0), (steps + 2, -1.0)):
        oe, ne = ernn.pad_packed_sequence(pe, batch_first, value, total)
        ot, nt = trnn.pad_packed_sequence(pt, batch_first, value, total)
        assert_same(oe, ot)
        assert_same(ne, nt)
        assert type(oe.grad_fn).__name__ == type(ot.grad_fn).__name__
        assert oe.is_contiguous() == ot.is_contiguous()


def test_pad_packed_sequence_gradients():
    lengths = [2, 4, 3]
    (xe,), (xt,) = _leaves([_array((3, 4, 2), 5)])
    pe = ernn.pack_padded_sequence(xe, lengths, batch_first=True, enforce_sorted=False)
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=True, enforce_sorted=False)
    oe, _ = ernn.pad_packed_sequence(pe, padding_value=3.0, total_length=6)
    ot, _ = trnn.pad_packed_sequence(pt, padding_value=3.0, total_length=6)
    assert_same(oe, ot)
    _weighted_backward([oe])
    _weighted_backward([ot])
    assert_same(xe.grad, xt.grad)


def test_pack_and_pad_gradcheck():
    x = ember.from_numpy(_array((4, 3, 2), 6, np.float64)).requires_grad_()

    def roundtrip(x):
        p = ernn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        return ernn.pad_packed_sequence(p, batch_first=True, padding_value=0.5)[0]

    def pack(x):
        return ernn.pack_padded_sequence(x, [3, 3, 2, 1], batch_first=True).data

    assert gradcheck(roundtrip, [x])
    assert gradgradcheck(roundtrip, [x])
    assert gradcheck(pack, [x])
    assert gradgradcheck(pack, [x])


def test_double_backward_matches_torch():
    (xe,), (xt,) = _leaves([_array((3, 2, 2), 7, np.float64)])
    res = []
    for x, r, mod in ((xe, ernn, ember), (xt, trnn, torch)):
        p = r.pack_padded_sequence(x, [3, 1])
        y = (p.data ** 3).sum()
        (g,) = mod.autograd.grad(y, x, create_graph=True)
        (gg,) = mod.autograd.grad((g * g).sum(), x)
        res.append((g, gg))
    assert_same(res[0][0], res[1][0], 1e-12, 1e-12)
    assert_same(res[0][1], res[1][1], 1e-12, 1e-12)


def _pack_errors(m):
    r = m.nn.utils.rnn
    x = m.zeros(3, 3, 2)
    return [
        lambda: r.pack_padded_sequence(x, [1, 3, 2]),
        lambda: r.pack_padded_sequence(x, [3, 2, 0]),
        lambda: r.pack_padded_sequence(x, [3, 2, -1], enforce_sorted=False),
        lambda: r.pack_padded_sequence(x, [3, 2]),
        lambda: r.pack_padded_sequence(x, m.tensor([[3, 2, 1]])),
        lambda: r.pack_padded_sequence(m.zeros(0, 3, 2), [3, 2, 1]),
        lambda: r.pad_packed_sequence(r.pack_padded_sequence(x, [3, 2, 1]), total_length=2),
        lambda: r.pack_sequence([m.zeros(1), m.zeros(2)]),
    ]


@pytest.mark.parametrize("i", range(8))
def test_pack_errors(i):
    same_error(_pack_errors(ember)[i], _pack_errors(torch)[i])


def test_unsorted_error_has_a_note():
    with pytest.raises(RuntimeError) as info:
        ernn.pack_padded_sequence(ember.zeros(3, 2, 1), [1, 3])
    assert "enforce_sorted=False" in "".join(info.value.__notes__)


def test_float_lengths_are_truncated_to_int64():
    x = _array((3, 3, 1), 8)
    pe = ernn.pack_padded_sequence(ember.from_numpy(x), ember.tensor([3.0, 2.0, 1.0]))
    pt = trnn.pack_padded_sequence(torch.from_numpy(x), torch.tensor([3.0, 2.0, 1.0]))
    _same_packed(pe, pt)


# -- pack_sequence, unpack_sequence, unpad_sequence, PackedSequence ------------------------------
@pytest.mark.parametrize("lengths", SEQ_LENGTHS)
def test_pack_sequence_and_back(lengths):
    es, ts = _leaves(_sequences(lengths, feat=(2, 2)))
    sort = lengths == sorted(lengths, reverse=True)
    pe = ernn.pack_sequence(es, enforce_sorted=sort)
    pt = trnn.pack_sequence(ts, enforce_sorted=sort)
    _same_packed(pe, pt)
    ue, ut = ernn.unpack_sequence(pe), trnn.unpack_sequence(pt)
    assert len(ue) == len(ut) == len(lengths)
    for a, b in zip(ue, ut):
        assert_same(a, b)
        assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
    _weighted_backward(ue)
    _weighted_backward(ut)
    for a, b in zip(es, ts):
        assert_same(a.grad, b.grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    lengths = [3, 1, 2]
    es, ts = _leaves(_sequences(lengths))
    pe = ernn.pad_sequence(es, batch_first)
    pt = trnn.pad_sequence(ts, batch_first)
    ue = ernn.unpad_sequence(pe, ember.tensor(lengths), batch_first)
    ut = trnn.unpad_sequence(pt, torch.tensor(lengths), batch_first)
    for a, b, s in zip(ue, ut, es):
        assert_same(a, b)
        assert_same(a, torch.from_numpy(s.detach().numpy()))


def test_packed_sequence_class():
    x = _array((3, 2, 2), 9)
    pe = ernn.pack_padded_sequence(ember.from_numpy(x), [1, 3], enforce_sorted=False)
    pt = trnn.pack_padded_sequence(torch.from_numpy(x), [1, 3], enforce_sorted=False)
    assert isinstance(pe, tuple) and pe._fields == pt._fields
    assert repr(pe) == repr(pt)
    data, batch_sizes, sorted_indices, unsorted_indices = pe
    assert data is pe.data and batch_sizes is pe.batch_sizes
    for name in ("double", "float", "long", "int", "half"):
        e, t = getattr(pe, name)(), getattr(pt, name)()
        _same_packed(e, t)
    _same_packed(pe.to(ember.float64), pt.to(torch.float64))
    _same_packed(pe.to(dtype=ember.float64), pt.to(dtype=torch.float64))
    assert pe.to(ember.float32) is pe and pt.to(torch.float32) is pt
    assert pe.cpu().data is pe.data
    assert pe.is_cuda is False and pe.is_pinned() is False
    # the constructor fills unsorted_indices from sorted_indices
    e = ernn.PackedSequence(pe.data, pe.batch_sizes, ember.tensor([1, 2, 0]))
    t = trnn.PackedSequence(pt.data, pt.batch_sizes, torch.tensor([1, 2, 0]))
    assert_same(e.unsorted_indices, t.unsorted_indices)
    assert_same(ernn.invert_permutation(ember.tensor([2, 0, 3, 1])),
                trnn.invert_permutation(torch.tensor([2, 0, 3, 1])))
    assert ernn.invert_permutation(None) is None
    assert ember.nn.utils.rnn.PackedSequence is ernn.PackedSequence


# -- RNN, LSTM, GRU on packed sequences ---------------------------------------------------------
def _copy_params(tm, em):
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


def _grads_match(tm, em, rtol=RTOL, atol=ATOL):
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(tp) == list(ep)
    for name in tp:
        assert_same(ep[name].grad, tp[name].grad, rtol, atol)


MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
         ("LSTM", {"proj_size": 2}), ("GRU", {})]


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")
@pytest.mark.parametrize("mode,kwargs", MODES)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, False), (1, True),
                                                      (2, True)])
@pytest.mark.parametrize("enforce_sorted,batch_first", [(True, False), (False, True)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_packed_parity(mode, kwargs, num_layers, bidirectional, enforce_sorted,
                                 batch_first, with_hx):
    hidden, feat = 4, 3
    lengths = [5, 4, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4, 4]
    tm = getattr(tnn, mode)(feat, hidden, num_layers=num_layers, bidirectional=bidirectional,
                            batch_first=batch_first, **kwargs)
    em = getattr(enn, mode)(feat, hidden, num_layers=num_layers, bidirectional=bidirectional,
                            batch_first=batch_first, **kwargs)
    _copy_params(tm, em)
    batch, steps = len(lengths), max(lengths)
    shape = (batch, steps, feat) if batch_first else (steps, batch, feat)
    arrays = [_array(shape, 11)]
    layers = num_layers * (2 if bidirectional else 1)
    real = kwargs.get("proj_size", 0) or hidden
    if with_hx:
        arrays.append(_array((layers, batch, real), 12))
        if mode == "LSTM":
            arrays.append(_array((layers, batch, hidden), 13))
    es, ts = _leaves(arrays)
    pe = ernn.pack_padded_sequence(es[0], lengths, batch_first, enforce_sorted)
    pt = trnn.pack_padded_sequence(ts[0], lengths, batch_first, enforce_sorted)

    def state(xs):
        if not with_hx:
            return None
        return (xs[1], xs[2]) if mode == "LSTM" else xs[1]

    oe, he = em(pe, state(es))
    ot, ht = tm(pt, state(ts))
    _same_packed(oe, ot, RTOL, ATOL)
    he = he if isinstance(he, tuple) else (he,)
    ht = ht if isinstance(ht, tuple) else (ht,)
    assert_same(he, ht, RTOL, ATOL)
    # through the padded output, as a training script would use it
    pade, _ = ernn.pad_packed_sequence(oe, batch_first)
    padt, _ = trnn.pad_packed_sequence(ot, batch_first)
    assert_same(pade, padt, RTOL, ATOL)
    _weighted_backward([pade, *he])
    _weighted_backward([padt, *ht])
    for a, b in zip(es, ts):
        assert_same(a.grad, b.grad, RTOL, ATOL)
    _grads_match(tm, em)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_final_state_is_each_sequences_last_step(mode):
    # h_n of a packed batch equals running each sequence alone, unpadded
    em = getattr(enn, mode)(2, 3, bidirectional=True)
    seqs = [ember.from_numpy(a) for a in _sequences([4, 1, 3])]
    _, h = em(ernn.pack_sequence(seqs, enforce_sorted=False))
    h = h[0] if mode == "LSTM" else h
    for b, s in enumerate(seqs):
        _, hb = em(s.unsqueeze(1))
        hb = hb[0] if mode == "LSTM" else hb
        np.testing.assert_allclose(h[:, b].detach().numpy(), hb[:, 0].detach().numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_recurrent_packed_float64():
    tm = tnn.GRU(2, 3, num_layers=2, bidirectional=True).double()
    em = enn.GRU(2, 3, num_layers=2, bidirectional=True).double()
    _copy_params(tm, em)
    seqs = _sequences([2, 4, 3], dtype=np.float64)
    oe, he = em(ernn.pack_sequence([ember.from_numpy(s) for s in seqs], enforce_sorted=False))
    ot, ht = tm(trnn.pack_sequence([torch.from_numpy(s) for s in seqs], enforce_sorted=False))
    _same_packed(oe, ot, 1e-10, 1e-12)
    assert_same(he, ht, 1e-10, 1e-12)


def test_recurrent_packed_gradcheck():
    em = enn.LSTM(2, 2, bidirectional=True).double()
    x = ember.from_numpy(_array((3, 2, 2), 14, np.float64)).requires_grad_()

    def fn(x):
        out, (h, c) = em(ernn.pack_padded_sequence(x, [1, 3], enforce_sorted=False))
        return out.data, h, c

    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


def _hidden_errors(m, mode):
    layer = getattr(m.nn, mode)(2, 3)
    p = m.nn.utils.rnn.pack_sequence([m.zeros(3, 2), m.zeros(1, 2)])
    return [lambda: layer(p, m.zeros(1, 3, 3)),
            lambda: layer(p, m.zeros(2, 3)),
            lambda: layer(m.nn.utils.rnn.pack_sequence([m.zeros(3, 4)])),
            lambda: layer(p.double())]


@pytest.mark.parametrize("mode,i", list(itertools.product(["RNN", "GRU"], range(4))))
def test_recurrent_packed_errors(mode, i):
    same_error(_hidden_errors(ember, mode)[i], _hidden_errors(torch, mode)[i])


def test_lstm_packed_errors():
    # PyTorch's LSTM skips its argument checks for packed input (a wrong feature size even
    # runs); ember checks as for padded input and as PyTorch's RNN and GRU do
    layer = enn.LSTM(2, 3)
    p = ernn.pack_sequence([ember.zeros(3, 2), ember.zeros(1, 2)])
    cases = [
        ((p, (ember.zeros(1, 3, 3), ember.zeros(1, 2, 3))),
         "Expected hidden[0] size (1, 2, 3), got [1, 3, 3]"),
        ((p, (ember.zeros(1, 2, 3), ember.zeros(1, 3, 3))),
         "Expected hidden[1] size (1, 2, 3), got [1, 3, 3]"),
        ((ernn.pack_sequence([ember.zeros(3, 4)]),),
         "input.size(-1) must be equal to input_size. Expected 2, got 4"),
    ]
    for args, msg in cases:
        with pytest.raises(RuntimeError) as info:
            layer(*args)
        assert str(info.value) == msg


def test_dropout_between_layers_packed_eval_is_deterministic():
    em = enn.LSTM(2, 3, num_layers=2, dropout=0.5).eval()
    p = ernn.pack_sequence([ember.from_numpy(a) for a in _sequences([3, 2])])
    a, _ = em(p)
    b, _ = em(p)
    assert np.array_equal(a.data.detach().numpy(), b.data.detach().numpy())


# -- training on packed padded batches --------------------------------------------------------
class _Tagger:
    """Embedding -> recurrent layer over packed sequences -> Linear on the final states and
    the mean of the padded outputs."""

    def __init__(self, m, cell):
        self.m = m
        self.emb = m.nn.Embedding(10, 4)
        self.rnn = getattr(m.nn, cell)(4, 5, batch_first=True, bidirectional=True)
        self.out = m.nn.Linear(10, 3)

    def modules(self):
        return [self.emb, self.rnn, self.out]

    def parameters(self):
        return [p for mod in self.modules() for p in mod.parameters()]

    def __call__(self, tokens, lengths):
        r = self.m.nn.utils.rnn
        packed = r.pack_padded_sequence(self.emb(tokens), lengths, batch_first=True,
                                        enforce_sorted=False)
        out, h = self.rnn(packed)
        if isinstance(h, tuple):
            h = h[0]
        padded, _ = r.pad_packed_sequence(out, batch_first=True)
        feat = self.m.cat([h[0], h[1]], 1) + padded.mean(1)
        return self.out(feat)


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "RNN"])
def test_training_on_packed_batches_matches_torch(cell):
    rng = np.random.default_rng(21)
    batches = []
    for _ in range(5):
        lengths = rng.integers(1, 7, size=5)
        tokens = rng.integers(1, 10, size=(5, 6))
        for b, n in enumerate(lengths):
            tokens[b, n:] = 0  # the padding token
        batches.append((tokens, lengths.tolist(), rng.integers(0, 3, size=5)))

    def train(m, model):
        opt = m.optim.Adam(model.parameters(), lr=0.05)
        losses = []
        for _ in range(3):
            for tokens, lengths, target in batches:
                opt.zero_grad()
                logits = model(m.from_numpy(tokens), lengths)
                loss = m.nn.functional.cross_entropy(logits, m.from_numpy(target))
                loss.backward()
                m.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                losses.append(loss.item())
        return losses

    torch.manual_seed(0)
    tmodel, emodel = _Tagger(torch, cell), _Tagger(ember, cell)
    for src, dst in zip(tmodel.modules(), emodel.modules()):
        _copy_params(src, dst)
    lt = train(torch, tmodel)
    le = train(ember, emodel)
    np.testing.assert_allclose(le, lt, rtol=1e-4, atol=1e-5)
    assert np.mean(lt[-5:]) < np.mean(lt[:5])
