"""Parity tests for MultiheadAttention, scaled_dot_product_attention and the transformer
encoder against torch.nn."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as nn
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from ember.nn.modules import transformer as _transformer
from parity import assert_same, same_error

RTOL, ATOL = 1e-4, 1e-5

pytestmark = pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")

# the functional form lives beside the layers until ember.nn.functional exports it
sdpa = getattr(nn.functional, "scaled_dot_product_attention",
               _transformer.scaled_dot_product_attention)

needs_encoder = pytest.mark.skipif(
    not all(hasattr(nn, n) for n in ("LayerNorm", "Dropout")),
    reason="LayerNorm/Dropout are not in ember yet")


def _array(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _copy_params(tm, em):
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


def _leaf(a, lib, grad=True):
    t = ember.from_numpy(a.copy()) if lib == "ember" else torch.from_numpy(a.copy())
    return t.requires_grad_(True) if grad and a.dtype.kind == "f" else t


def _backward(outs, lib, seed=7):
    mod = ember if lib == "ember" else torch
    total = None
    for i, o in enumerate(outs):
        if o is None or not o.requires_grad:
            continue
        w = mod.from_numpy(_array(tuple(o.shape), seed + i, o.detach().numpy().dtype))
        term = (o * w).sum()
        total = term if total is None else total + term
    total.backward()


def _grads_match(tm, em, rtol=RTOL, atol=ATOL):
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(tp) == list(ep)
    for name in tp:
        assert_same(ep[name].grad, tp[name].grad, rtol, atol)


# -- MultiheadAttention -----------------------------------------------------------------------
def _mask_arrays(kind, L, S, N, heads, rng):
    """(attn_mask, key_padding_mask) arrays of the requested kind; never a fully masked row."""
    attn = kpm = None
    if kind in ("attn_bool", "both_bool", "attn3d"):
        shape = (N * heads, L, S) if kind == "attn3d" else (L, S)
        attn = rng.random(shape) < 0.3
        attn[..., 0] = False
    if kind == "attn_float":
        attn = rng.standard_normal((L, S)).astype(np.float32)
    if kind in ("kpm_bool", "both_bool"):
        kpm = rng.random((N, S)) < 0.3
        kpm[:, 1] = False
    if kind == "kpm_float":
        kpm = np.where(rng.random((N, S)) < 0.3, -np.inf, 0.0).astype(np.float32)
        kpm[:, 1] = 0.0
    return attn, kpm


_MHA_CONFIGS = [
    {}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True},
    {"add_zero_attn": True}, {"bias": False}, {"add_bias_kv": True, "add_zero_attn": True},
]


@pytest.mark.parametrize("config", _MHA_CONFIGS, ids=str)
@pytest.mark.parametrize("masks", ["none", "attn_bool", "attn_float", "attn3d", "kpm_bool",
                                   "kpm_float", "both_bool"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_parity(config, masks, need_weights, average):
    tm = tnn.MultiheadAttention(8, 2, **config)
    em = nn.MultiheadAttention(8, 2, **config)
    _copy_params(tm, em)
    L, S, N = 4, 5, 3
    bf = config.get("batch_first", False)
    rng = np.random.default_rng(0)
    q = _array((N, L, 8) if bf else (L, N, 8), 1)
    k = _array((N, S, config.get("kdim", 8)) if bf else (S, N, config.get("kdim", 8)), 2)
    v = _array((N, S, config.get("vdim", 8)) if bf else (S, N, config.get("vdim", 8)), 3)
    attn, kpm = _mask_arrays(masks, L, S, N, 2, rng)
    res = {}
    for lib, m in (("ember", em), ("torch", tm)):
        qs, ks, vs = _leaf(q, lib), _leaf(k, lib), _leaf(v, lib)
        a = None if attn is None else _leaf(attn, lib, False)
        p = None if kpm is None else _leaf(kpm, lib, False)
        out = m(qs, ks, vs, key_padding_mask=p, need_weights=need_weights, attn_mask=a,
                average_attn_weights=average)
        _backward(out, lib)
        res[lib] = (out, qs.grad, ks.grad, vs.grad)
    (oe, *ge), (ot, *gt) = res["ember"], res["torch"]
    assert_same(oe, ot, RTOL, ATOL)
    assert_same(ge, gt, RTOL, ATOL)
    _grads_match(tm, em)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("share", ["qkv", "kv"])
def test_mha_self_attention_paths(batch_first, share):
    # query is key is value (one packed projection) and key is value (a shared k/v projection)
    tm = tnn.MultiheadAttention(6, 3, batch_first=batch_first)
    em = nn.MultiheadAttention(6, 3, batch_first=batch_first)
    _copy_params(tm, em)
    x, y = _array((2, 4, 6), 1), _array((2, 3, 6) if batch_first else (3, 4, 6), 2)
    res = {}
    for lib, m in (("ember", em), ("torch", tm)):
        xs, ys = _leaf(x, lib), _leaf(y, lib)
        out = m(xs, xs, xs) if share == "qkv" else m(xs, ys, ys)
        _backward(out, lib)
        res[lib] = (out, xs.grad, ys.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)
    _grads_match(tm, em)


@pytest.mark.parametrize("with_masks", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_unbatched(with_masks, need_weights):
    tm, em = tnn.MultiheadAttention(4, 2, kdim=3, vdim=3), nn.MultiheadAttention(4, 2, kdim=3,
                                                                                 vdim=3)
    _copy_params(tm, em)
    q, k = _array((3, 4), 1), _array((5, 3), 2)
    attn = kpm = None
    if with_masks:
        attn = np.zeros((2, 3, 5), bool)
        attn[:, 1, 2:] = True
        kpm = np.array([False, False, True, False, True])
    res = {}
    for lib, m in (("ember", em), ("torch", tm)):
        qs, ks = _leaf(q, lib), _leaf(k, lib)
        a = None if attn is None else _leaf(attn, lib)
        p = None if kpm is None else _leaf(kpm, lib)
        out = m(qs, ks, ks, key_padding_mask=p, attn_mask=a, need_weights=need_weights)
        _backward(out, lib)
        res[lib] = (out, qs.grad, ks.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("with_kpm", [False, True])
def test_mha_is_causal(need_weights, with_kpm):
    tm, em = tnn.MultiheadAttention(4, 2), nn.MultiheadAttention(4, 2)
    _copy_params(tm, em)
    x = _array((5, 2, 4), 1)
    causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    kpm = None
    if with_kpm:  # float, like the mask (mixing bool and float masks only warns)
        kpm = np.zeros((2, 5), np.float32)
        kpm[1, 3:] = -np.inf
    res = {}
    for lib, m in (("ember", em), ("torch", tm)):
        xs = _leaf(x, lib)
        p = None if kpm is None else _leaf(kpm, lib)
        out = m(xs, xs, xs, attn_mask=_leaf(causal, lib, False), key_padding_mask=p,
                need_weights=need_weights, is_causal=True)
        _backward(out, lib)
        res[lib] = (out, xs.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)


def test_mha_fully_masked_rows():
    # need_weights=False follows scaled_dot_product_attention: zeros, finite gradients;
    # need_weights=True gives nan, as in PyTorch
    tm, em = tnn.MultiheadAttention(4, 2), nn.MultiheadAttention(4, 2)
    _copy_params(tm, em)
    x = _array((3, 2, 4), 1)
    kpm = np.array([[True, True, True], [False, True, False]])
    for need_weights in (False, True):
        res = {}
        for lib, m in (("ember", em), ("torch", tm)):
            xs = _leaf(x, lib)
            out = m(xs, xs, xs, key_padding_mask=_leaf(kpm, lib), need_weights=need_weights)
            res[lib] = out
        assert_same(res["ember"], res["torch"], RTOL, ATOL)
    xs = _leaf(x, "ember")
    out, _ = em(xs, xs, xs, key_padding_mask=_leaf(kpm, "ember"), need_weights=False)
    out.sum().backward()
    assert np.isfinite(xs.grad.numpy()).all()


def test_mha_dropout_eval_and_train():
    tm, em = tnn.MultiheadAttention(4, 2, dropout=0.5), nn.MultiheadAttention(4, 2, dropout=0.5)
    _copy_params(tm, em)
    tm.eval()
    em.eval()
    x = _array((3, 2, 4), 1)
    assert_same(em(*[_leaf(x, "ember")] * 3), tm(*[_leaf(x, "torch")] * 3), RTOL, ATOL)
    if hasattr(nn.functional, "dropout"):
        em.train()
        xe = _leaf(x, "ember")
        a = em(xe, xe, xe)[1].detach().numpy()
        em.eval()
        b = em(xe, xe, xe)[1].detach().numpy()
        assert not np.allclose(a, b)


def test_mha_parameters_init_and_repr():
    for kw in ({}, {"kdim": 3, "vdim": 5}, {"bias": False, "add_bias_kv": True}):
        tm, em = tnn.MultiheadAttention(8, 4, **kw), nn.MultiheadAttention(8, 4, **kw)
        assert [(n, tuple(p.shape)) for n, p in em.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
        assert list(em.state_dict()) == list(tm.state_dict())
        assert repr(em) == repr(tm)
    em = nn.MultiheadAttention(16, 4)
    assert type(em.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(em.out_proj, nn.Linear)
    w = em.in_proj_weight.detach().numpy()
    bound = np.sqrt(6.0 / (16 + 48))  # xavier_uniform_ over the packed (3E, E) weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not em.in_proj_bias.detach().numpy().any()
    assert not em.out_proj.bias.detach().numpy().any()
    assert (em.head_dim, em.kdim, em._qkv_same_embed_dim) == (4, 16, True)


def test_mha_errors():
    def both(fn):
        same_error(lambda: fn(nn, ember), lambda: fn(tnn, torch))

    def call(*shapes, **kw):
        def fn(mod, lib):
            m = mod.MultiheadAttention(4, 2)
            args = [lib.zeros(*s) for s in shapes]
            extra = {k: (lib.zeros(*v[0], dtype=getattr(lib, v[1])) if isinstance(v, tuple)
                         else v) for k, v in kw.items()}
            return m(*args, **extra)
        return fn

    both(lambda mod, lib: mod.MultiheadAttention(5, 2))
    both(lambda mod, lib: mod.MultiheadAttention(0, 2))
    both(call((3, 2, 4), (3, 2, 4), (4, 2, 4)))                   # key/value shapes differ
    both(call((3, 2, 5), (3, 2, 5), (3, 2, 5)))                   # wrong embed dim
    both(call((3, 4), (3, 2, 4), (3, 2, 4)))                      # unbatched q, batched k
    both(call((3, 2, 4), (3, 4), (3, 4)))                         # batched q, unbatched k
    both(call((1, 3, 2, 4), (3, 2, 4), (3, 2, 4)))                # 4-D query
    both(call((3, 2, 4), (3, 2, 4), (3, 2, 4), is_causal=True))   # hint without a mask
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), attn_mask=((3, 3), "float32")))
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), attn_mask=((3, 3, 5), "float32")))
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), attn_mask=((3, 5), "int64")))
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), attn_mask=((1, 1, 3, 5), "float32")))
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), key_padding_mask=((2,), "bool")))
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), key_padding_mask=((3, 5), "bool")))
    both(call((3, 2, 4), (5, 2, 4), (5, 2, 4), key_padding_mask=((2, 4), "bool")))
    both(call((3, 4), (5, 4), (5, 4), attn_mask=((3, 3, 5), "bool")))


def test_mha_mismatched_mask_types_warn():
    em = nn.MultiheadAttention(4, 2)
    x = ember.zeros(3, 2, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                         "attn_mask is deprecated"):
        em(x, x, x, key_padding_mask=ember.zeros(2, 3), attn_mask=ember.zeros(3, 3).bool())


def test_mha_gradcheck_and_gradgradcheck():
    ember.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=3).double()
    q = ember.from_numpy(_array((2, 1, 4), 1, np.float64)).requires_grad_(True)
    k = ember.from_numpy(_array((3, 1, 3), 2, np.float64)).requires_grad_(True)
    mask = ember.tensor([[False, True, False], [False, False, True]])

    def fn(q, k, w):
        return m(q, k, k, attn_mask=mask)

    inputs = (q, k, m.q_proj_weight)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


# -- scaled_dot_product_attention -------------------------------------------------------------
@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_parity(mask):
    q, k, v = _array((2, 3, 4, 8), 1), _array((2, 3, 6, 8), 2), _array((2, 3, 6, 5), 3)
    m = None
    if mask == "bool":
        m = np.random.default_rng(0).random((4, 6)) < 0.5
        m[:, 0] = True
    elif mask == "float":
        m = _array((2, 1, 4, 6), 4)
    res = {}
    for lib, f in (("ember", sdpa), ("torch", TF.scaled_dot_product_attention)):
        qs, ks, vs = _leaf(q, lib), _leaf(k, lib), _leaf(v, lib)
        kw = {}
        if m is not None:
            kw["attn_mask"] = _leaf(m, lib, False)
        if mask == "causal":
            kw["is_causal"] = True
        if mask == "scale":
            kw["scale"] = 0.3
        out = f(qs, ks, vs, **kw)
        _backward((out,), lib)
        res[lib] = (out, qs.grad, ks.grad, vs.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)


def test_sdpa_grouped_query_attention():
    q, k, v = _array((2, 6, 3, 4), 1), _array((2, 2, 5, 4), 2), _array((2, 2, 5, 3), 3)
    res = {}
    for lib, f in (("ember", sdpa), ("torch", TF.scaled_dot_product_attention)):
        qs, ks, vs = _leaf(q, lib), _leaf(k, lib), _leaf(v, lib)
        out = f(qs, ks, vs, enable_gqa=True)
        _backward((out,), lib)
        res[lib] = (out, qs.grad, ks.grad, vs.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)


def test_sdpa_fully_masked_rows_and_errors():
    q = _array((1, 2, 4), 1)
    m = np.array([[False, False], [True, False]])
    res = {}
    for lib, f in (("ember", sdpa), ("torch", TF.scaled_dot_product_attention)):
        qs = _leaf(q, lib)
        out = f(qs, qs, qs, attn_mask=_leaf(m, lib))
        out.sum().backward()
        res[lib] = (out, qs.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)
    assert not res["ember"][0].detach().numpy()[0, 0].any()

    def both(fn):
        same_error(lambda: fn(sdpa, ember), lambda: fn(TF.scaled_dot_product_attention, torch))

    both(lambda f, lib: f(lib.zeros(2, 3, 4), lib.zeros(2, 3, 4), lib.zeros(2, 3, 4),
                          attn_mask=lib.zeros(3, 3), is_causal=True))
    both(lambda f, lib: f(lib.zeros(2, 3, 4), lib.zeros(2, 3, 4), lib.zeros(2, 3, 4),
                          attn_mask=lib.zeros(3, 3, dtype=lib.int64)))
    both(lambda f, lib: f(lib.zeros(2, 3, 4), lib.zeros(2, 3, 4),
                          lib.zeros(2, 3, 4, dtype=lib.float64)))


def test_sdpa_gradgradcheck():
    def t(shape, seed):
        return ember.from_numpy(_array(shape, seed, np.float64)).requires_grad_(True)

    q, k, v = t((1, 2, 3, 2), 1), t((1, 2, 4, 2), 2), t((1, 2, 4, 3), 3)
    mask = ember.from_numpy(_array((3, 4), 4, np.float64))
    assert gradcheck(lambda q, k, v: sdpa(q, k, v, attn_mask=mask), (q, k, v))
    assert gradgradcheck(lambda q, k, v: sdpa(q, k, v, attn_mask=mask), (q, k, v))
    assert gradgradcheck(lambda q, k, v: sdpa(q, k, v, is_causal=True), (q, k, v))


# -- TransformerEncoderLayer / TransformerEncoder ---------------------------------------------
def _layer_pair(e_activation=None, t_activation=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tnn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw,
                                         **({"activation": t_activation} if t_activation else {}))
        em = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw,
                                        **({"activation": e_activation} if e_activation else {}))
    _copy_params(tm, em)
    return tm, em


def _run_layer(tm, em, x, grads=True, **masks):
    res = {}
    for lib, m in (("ember", em), ("torch", tm)):
        xs = _leaf(x, lib, grads)
        kw = {k: None if v is None else _leaf(v, lib, False) for k, v in masks.items()}
        out = m(xs, **kw)
        if grads:
            _backward((out,), lib)
        res[lib] = (out, xs.grad)
    assert_same(res["ember"], res["torch"], RTOL, ATOL)
    if grads:
        _grads_match(tm, em)
    return res


@needs_encoder
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer_parity(norm_first, batch_first, activation, train):
    acts = {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
            "callable": (ember.tanh, torch.tanh)}[activation]
    tm, em = _layer_pair(*acts, dropout=0.0, norm_first=norm_first, batch_first=batch_first)
    assert em.activation_relu_or_gelu == tm.activation_relu_or_gelu
    tm.train(train)
    em.train(train)
    x = _array((3, 5, 8), 1)
    kpm = np.zeros((3, 5) if batch_first else (5, 3), bool)
    kpm[..., -1] = True
    sl = 5 if batch_first else 3
    src_mask = np.triu(np.full((sl, sl), -np.inf, np.float32), 1)
    _run_layer(tm, em, x)
    _run_layer(tm, em, x, src_mask=src_mask)
    if batch_first:
        _run_layer(tm, em, x, src_key_padding_mask=kpm)


@needs_encoder
def test_encoder_layer_eval_inference_and_bias_false():
    # no grad, eval: PyTorch takes its fused fast path; the values must agree all the same
    tm, em = _layer_pair(batch_first=True)
    tm.eval()
    em.eval()
    x = _array((2, 4, 8), 2)
    kpm = np.array([[False] * 4, [False, False, True, True]])
    with torch.no_grad(), ember.no_grad():
        _run_layer(tm, em, x, grads=False, src_key_padding_mask=kpm)
    tm, em = _layer_pair(bias=False, dropout=0.0)
    _run_layer(tm, em, _array((4, 2, 8), 3))


@needs_encoder
def test_encoder_layer_structure_and_errors():
    tm, em = _layer_pair()
    assert list(em._modules) == ["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2",
                                 "dropout1", "dropout2"]
    assert list(em.state_dict()) == list(tm.state_dict())
    assert repr(em) == repr(tm)
    assert em.activation_relu_or_gelu == 1
    assert _layer_pair("gelu", "gelu")[1].activation_relu_or_gelu == 2
    assert _layer_pair(nn.GELU(), tnn.GELU())[1].activation_relu_or_gelu == 2
    assert _layer_pair(nn.functional.relu, TF.relu)[1].activation_relu_or_gelu == 1
    same_error(lambda: nn.TransformerEncoderLayer(4, 2, activation="tanh"),
               lambda: tnn.TransformerEncoderLayer(4, 2, activation="tanh"))


@needs_encoder
@pytest.mark.parametrize("with_norm", [False, True])
def test_encoder_parity(with_norm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl = tnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
        el = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
        tm = tnn.TransformerEncoder(tl, 2, norm=tnn.LayerNorm(8) if with_norm else None)
        em = nn.TransformerEncoder(el, 2, norm=nn.LayerNorm(8) if with_norm else None)
    assert list(em.state_dict()) == list(tm.state_dict())
    _copy_params(tm, em)
    x = _array((5, 2, 8), 1)
    causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    _run_layer(tm, em, x)
    _run_layer(tm, em, x, mask=causal)
    _run_layer(tm, em, x, src_key_padding_mask=np.array([[False] * 5, [False] * 3 + [True] * 2]))


@needs_encoder
def test_encoder_nested_tensor_warning_and_padding_zeros():
    with pytest.warns(UserWarning) as rec:
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    with warnings.catch_warnings(record=True) as trec:
        warnings.simplefilter("always")
        tnn.TransformerEncoder(tnn.TransformerEncoderLayer(8, 2, 16), 2)
    assert [str(w.message) for w in rec] == [str(w.message) for w in trec]
    # inference with left-aligned padding: PyTorch returns zeros at the padded positions
    tl = tnn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    el = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    tm, em = tnn.TransformerEncoder(tl, 2), nn.TransformerEncoder(el, 2)
    _copy_params(tm, em)
    tm.eval()
    em.eval()
    kpm = np.array([[False] * 4, [False, False, True, True]])
    with torch.no_grad(), ember.no_grad():
        res = _run_layer(tm, em, _array((2, 4, 8), 1), grads=False, src_key_padding_mask=kpm)
    assert not res["ember"][0].numpy()[1, 2:].any()
