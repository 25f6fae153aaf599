"""The ops PyTorch composes from other ops record PyTorch's graph for each form of argument.

einsum, tensordot, inner, kron, chain_matmul, cov, corrcoef, the trapezoid rules, vander,
combinations, take_along_dim, linalg.tensorinv and scaled_dot_product_attention: their graph
is that of the ops PyTorch runs inside them, so it depends on the shapes and arguments (which
operands einsum contracts when, a full contraction in tensordot, x or dx in trapezoid, the
fused attention kernel or the math path). Each case builds the same call on both libraries
and compares the graphs (tests/test_graph_structure.py's walk) and the values; the attention
layers without weights go through the fused kernel as in PyTorch.
"""

import warnings

import numpy as np
import pytest
import torch

import ember
from test_graph_structure import _layer, compare_graphs

_rng = np.random.default_rng(7)


def _x(*shape):
    return _rng.standard_normal(shape)


def _case(fn, *arrays, grad=None):
    """fn(lib, *tensors) on tensors made from arrays: float arrays require grad (unless grad
    says otherwise for that position), integer and bool arrays do not."""
    return fn, arrays, grad


def _build(case, lib):
    fn, arrays, grad = case
    mod = ember if lib == "ember" else torch
    leaves, args = [], []
    for k, a in enumerate(arrays):
        t = mod.from_numpy(np.array(a, copy=True))
        if a.dtype.kind == "f" and (grad is None or grad[k]):
            t.requires_grad_(True)
            leaves.append(t)
        args.append(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # chain_matmul's deprecation, cov's degrees of freedom
        out = fn(mod, *args)
    return (tuple(out) if isinstance(out, tuple) else (out,)), leaves


def _einsum(eq, *shapes):
    return _case(lambda m, *a: m.einsum(eq, *a), *[_x(*s) for s in shapes])


def _sdpa(*shapes, mask=None, mask_grad=False, **kw):
    arrays = [_x(*s) for s in shapes]
    if mask is None:
        return _case(lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(
            q, k, v, **kw), *arrays)
    return _case(lambda m, q, k, v, a: m.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=a, **kw), *arrays, mask, grad=[True, True, True, mask_grad])


_SPD = _x(6, 6) + 6 * np.eye(6)

CASES = {
    # einsum: contractions (bmm), products without contraction (mul), diagonals, sums of
    # dimensions one operand holds alone, broadcasting, ellipses, three operands, one operand
    "einsum_matmul": _einsum("ij,jk->ik", (2, 3), (3, 4)),
    "einsum_implicit": _einsum("ij,jk", (2, 3), (3, 4)),
    "einsum_transposed_out": _einsum("ij,jk->ki", (2, 3), (3, 4)),
    "einsum_batched": _einsum("bij,bjk->bik", (2, 2, 3), (2, 3, 4)),
    "einsum_batched_swapped": _einsum("bij,bjk->bki", (2, 2, 3), (2, 3, 4)),
    "einsum_attention": _einsum("bhqd,bhkd->bhqk", (2, 3, 4, 5), (2, 3, 6, 5)),
    "einsum_dot": _einsum("i,i->", (3,), (3,)),
    "einsum_outer": _einsum("i,j->ij", (3,), (4,)),
    "einsum_outer3": _einsum("i,j,k->ijk", (2,), (3,), (4,)),
    "einsum_hadamard": _einsum("ij,ij->ij", (2, 3), (2, 3)),
    "einsum_rowdot": _einsum("ij,ij->i", (2, 3), (2, 3)),
    "einsum_full": _einsum("ij,jk->", (2, 3), (3, 4)),
    "einsum_chain": _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)),
    "einsum_three_mixed": _einsum("bn,anm,bm->ba", (2, 3), (4, 3, 5), (2, 5)),
    "einsum_trace_product": _einsum("ii,ij->j", (3, 3), (3, 4)),
    "einsum_diag_in_pair": _einsum("iij,jk->ik", (3, 3, 2), (2, 4)),
    "einsum_batched_trace": _einsum("ijk,ikj->i", (2, 3, 3), (2, 3, 3)),
    "einsum_summed_alone": _einsum("ijkl,jl->ik", (2, 3, 4, 5), (3, 5)),
    "einsum_broadcast_one": _einsum("ij,jk->ik", (2, 1), (1, 4)),
    "einsum_broadcast_label": _einsum("i,i", (1,), (3,)),
    "einsum_broadcast_keep": _einsum("abc,cd->abd", (2, 1, 3), (3, 2)),
    "einsum_ellipsis": _einsum("...ij,...jk->...ik", (5, 2, 3), (3, 4)),
    "einsum_ellipsis_out": _einsum("...i,i->...", (2, 3, 4), (4,)),
    "einsum_ellipsis_summed": _einsum("i...,i...->...", (2, 3), (2, 1)),
    "einsum_ellipsis_bcast": _einsum("...,...->...", (2, 3), (3,)),
    "einsum_diagonal": _einsum("ii->i", (3, 3)),
    "einsum_trace": _einsum("ii", (3, 3)),
    "einsum_batched_diagonal": _einsum("...ii->...i", (2, 3, 3)),
    "einsum_transpose": _einsum("ij->ji", (2, 3)),
    "einsum_sum": _einsum("ij->j", (2, 3)),
    "einsum_total": _einsum("ij->", (2, 3)),
    "einsum_sublist": _case(lambda m, a, b: m.einsum(a, [0, 1], b, [1, 27], [27, 0]),
                            _x(2, 3), _x(3, 2)),
    "einsum_list": _case(lambda m, a, b: m.einsum("ij,jk->ik", [a, b]), _x(2, 3), _x(3, 4)),
    "einsum_one_needs_grad": _case(lambda m, a, b: m.einsum("ij,jk->ik", a, b),
                                   _x(2, 3), _x(3, 4), grad=[False, True]),
    # tensordot and inner: mm for a partial contraction, dot (contiguous) or mul and sum
    # (otherwise) for a full one, size-1 contracted dimensions summed first
    "tensordot_1": _case(lambda m, a, b: m.tensordot(a, b, 1), _x(2, 3), _x(3, 4)),
    "tensordot_2": _case(lambda m, a, b: m.tensordot(a, b, 2), _x(2, 3, 4), _x(3, 4, 5)),
    "tensordot_0": _case(lambda m, a, b: m.tensordot(a, b, 0), _x(2), _x(3)),
    "tensordot_lists": _case(lambda m, a, b: m.tensordot(a, b, ([1, 2], [1, 0])),
                             _x(2, 3, 4), _x(4, 3, 5)),
    "tensordot_negative": _case(lambda m, a, b: m.tensordot(a, b, ([-1, -2], [0, 2])),
                                _x(2, 3, 4), _x(4, 2, 3)),
    "tensordot_full_dot": _case(lambda m, a, b: m.tensordot(a, b, 2), _x(2, 3), _x(2, 3)),
    "tensordot_full_1d": _case(lambda m, a, b: m.tensordot(a, b, 1), _x(3), _x(3)),
    "tensordot_full_ones": _case(lambda m, a, b: m.tensordot(a, b, ([0], [0])),
                                 _x(3, 1), _x(3, 1)),
    "tensordot_full_strided": _case(lambda m, a, b: m.tensordot(a.t(), b, 2),
                                    _x(3, 2), _x(2, 3)),
    "tensordot_sum_first": _case(lambda m, a, b: m.tensordot(a, b, ([1], [0])),
                                 _x(2, 1), _x(3, 2)),
    "tensordot_sum_other": _case(lambda m, a, b: m.tensordot(a, b, ([0, 1], [0, 1])),
                                 _x(2, 1), _x(2, 3)),
    "inner_vectors": _case(lambda m, a, b: m.inner(a, b), _x(3), _x(3)),
    "inner_matrices": _case(lambda m, a, b: m.inner(a, b), _x(2, 3), _x(4, 3)),
    "inner_batched": _case(lambda m, a, b: m.inner(a, b), _x(2, 1, 3), _x(5, 3)),
    "inner_scalar": _case(lambda m, a, b: m.inner(a, b), _x(), _x(3)),
    "inner_row": _case(lambda m, a, b: m.inner(a, b), _x(1, 3), _x(3)),
    # kron: both factors viewed with interleaved 1s, one mul, a view of the product
    "kron_matrices": _case(lambda m, a, b: m.kron(a, b), _x(2, 3), _x(3, 2)),
    "kron_ranks": _case(lambda m, a, b: m.kron(a, b), _x(2), _x(2, 3)),
    "kron_3d": _case(lambda m, a, b: m.kron(a, b), _x(2, 1, 3), _x(3, 2)),
    "kron_strided_other": _case(lambda m, a, b: m.kron(a, b[:, ::2]), _x(2, 2), _x(3, 4)),
    # chain_matmul: multi_dot's order of mm (and a clone for one matrix)
    "chain_matmul_2": _case(lambda m, a, b: m.chain_matmul(a, b), _x(2, 3), _x(3, 4)),
    "chain_matmul_3": _case(lambda m, a, b, c: m.chain_matmul(a, b, c),
                            _x(2, 3), _x(3, 4), _x(4, 2)),
    "chain_matmul_3_right": _case(lambda m, a, b, c: m.chain_matmul(a, b, c),
                                  _x(5, 4), _x(4, 3), _x(3, 2)),
    "chain_matmul_4": _case(lambda m, a, b, c, d: m.chain_matmul(a, b, c, d),
                            _x(2, 3), _x(3, 4), _x(4, 2), _x(2, 5)),
    "chain_matmul_1": _case(lambda m, a: m.chain_matmul(a), _x(2, 3)),
    # cov and corrcoef: weights, corrections, one observation, one variable
    "cov_2d": _case(lambda m, a: m.cov(a), _x(3, 5)),
    "cov_1d": _case(lambda m, a: m.cov(a, correction=0), _x(4)),
    "cov_fweights": _case(lambda m, a, f: m.cov(a, fweights=f), _x(2, 4), np.array([1, 2, 1, 3])),
    "cov_aweights": _case(lambda m, a, w: m.cov(a, aweights=w), _x(2, 4),
                          _rng.uniform(0.5, 1.5, 4)),
    "cov_both_weights": _case(lambda m, a, f, w: m.cov(a, fweights=f, aweights=w), _x(2, 4),
                              np.array([1, 2, 1, 3]), _rng.uniform(0.5, 1.5, 4)),
    "cov_both_weights_no_correction": _case(
        lambda m, a, f, w: m.cov(a, correction=0, fweights=f, aweights=w), _x(2, 4),
        np.array([1, 2, 1, 3]), _rng.uniform(0.5, 1.5, 4), grad=[True, False, False]),
    "cov_large_correction": _case(lambda m, a: m.cov(a, correction=5), _x(2, 4)),
    "corrcoef_2d": _case(lambda m, a: m.corrcoef(a), _x(3, 5)),
    "corrcoef_1d": _case(lambda m, a: m.corrcoef(a), _x(4)),
    "corrcoef_one_row": _case(lambda m, a: m.corrcoef(a), _x(1, 4)),
    # the trapezoid rules: with x (1-d, of lower or equal rank), with dx, along any dim
    "trapezoid": _case(lambda m, y: m.trapezoid(y), _x(2, 5)),
    "trapezoid_dx": _case(lambda m, y: m.trapezoid(y, dx=0.5, dim=0), _x(3, 2)),
    "trapezoid_x_1d": _case(lambda m, y, x: m.trapezoid(y, x), _x(2, 4), _x(4)),
    "trapezoid_x_dim0": _case(lambda m, y, x: m.trapezoid(y, x, dim=0), _x(4, 2), _x(4)),
    "trapezoid_x_lower_rank": _case(lambda m, y, x: m.trapezoid(y, x), _x(3, 2, 4), _x(2, 4)),
    "trapezoid_x_same_rank": _case(lambda m, y, x: m.trapezoid(y, x, dim=1),
                                   _x(2, 4), _x(2, 4)),
    "trapezoid_empty": _case(lambda m, y: m.trapezoid(y), _x(2, 0)),
    "trapz": _case(lambda m, y: m.trapz(y, dx=2.0), _x(2, 5)),
    "trapz_x": _case(lambda m, y, x: m.trapz(y, x), _x(4), _x(4)),
    "cumulative_trapezoid": _case(lambda m, y: m.cumulative_trapezoid(y), _x(2, 5)),
    "cumulative_trapezoid_dx": _case(lambda m, y: m.cumulative_trapezoid(y, dx=0.3, dim=0),
                                     _x(4, 2)),
    "cumulative_trapezoid_x": _case(lambda m, y, x: m.cumulative_trapezoid(y, x), _x(4), _x(4)),
    "cumulative_trapezoid_x_2d": _case(lambda m, y, x: m.cumulative_trapezoid(y, x, dim=0),
                                       _x(4, 3), _x(4, 3)),
    # vander: ones, two copies into the columns after the first, a flip unless increasing
    "vander": _case(lambda m, x: m.vander(x), _x(3)),
    "vander_increasing": _case(lambda m, x: m.vander(x, 4, True), _x(3)),
    "vander_one_column": _case(lambda m, x: m.vander(x, 1), _x(3)),
    "vander_two_columns": _case(lambda m, x: m.vander(x, 2), _x(3)),
    "vander_no_column": _case(lambda m, x: m.vander(x, 0, True), _x(3)),
    # combinations: a meshgrid, masked_select per copy, stack
    "combinations": _case(lambda m, x: m.combinations(x), _x(4)),
    "combinations_3_replacement": _case(lambda m, x: m.combinations(x, 3, True), _x(3)),
    "combinations_1": _case(lambda m, x: m.combinations(x, 1), _x(3)),
    "combinations_too_many": _case(lambda m, x: m.combinations(x, 3), _x(2)),
    # take_along_dim: expand both sides to each other's shape, gather; flat without dim
    "take_along_dim": _case(lambda m, x, i: m.take_along_dim(x, i, 1), _x(2, 3),
                            np.array([[0, 2], [1, 1]])),
    "take_along_dim_broadcast": _case(lambda m, x, i: m.take_along_dim(x, i, 0), _x(3, 1),
                                      np.array([[0, 1, 2, 0]])),
    "take_along_dim_negative": _case(lambda m, x, i: m.take_along_dim(x, i, -1), _x(2, 3),
                                     np.array([[0, 1, 2, 0]])),
    "take_along_dim_flat": _case(lambda m, x, i: m.take_along_dim(x, i), _x(2, 3),
                                 np.array([5, 0, 1])),
    # linalg.tensorinv: the inverse is column-major, so its reshape is _reshape_alias
    "tensorinv_ind1": _case(lambda m, a: m.linalg.tensorinv(a, 1), _SPD.reshape(6, 2, 3)),
    "tensorinv_ind2": _case(lambda m, a: m.linalg.tensorinv(a), _SPD.reshape(2, 3, 3, 2)),
    "tensorinv_square": _case(lambda m, a: m.linalg.tensorinv(a, 1), _SPD),
    # scaled_dot_product_attention: the fused CPU kernel's one node, or the math path
    "sdpa_fused": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)),
    "sdpa_fused_causal": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), is_causal=True),
    "sdpa_fused_scale": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), scale=0.3),
    "sdpa_fused_gqa": _sdpa((1, 4, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), enable_gqa=True),
    "sdpa_fused_bool_mask": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4),
                                  mask=_rng.random((3, 5)) > 0.3),
    "sdpa_fused_float_mask": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), mask=_x(3, 5)),
    "sdpa_fused_4d_mask": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), mask=_x(1, 2, 3, 5)),
    "sdpa_math_3d_mask": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), mask=_x(2, 3, 5)),
    "sdpa_math_mask_grad": _sdpa((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), mask=_x(3, 5),
                                 mask_grad=True),
    "sdpa_math_value_dim": _sdpa((1, 2, 3, 2), (1, 2, 4, 2), (1, 2, 4, 3)),
    "sdpa_math_3d": _sdpa((2, 3, 4), (2, 5, 4), (2, 5, 4)),
    "sdpa_math_3d_causal": _sdpa((2, 3, 4), (2, 5, 4), (2, 5, 4), is_causal=True),
    "sdpa_math_3d_negative_scale": _sdpa((2, 3, 4), (2, 5, 4), (2, 5, 4), scale=-0.7),
    "sdpa_math_3d_gqa": _sdpa((4, 3, 4), (2, 5, 4), (2, 5, 4), enable_gqa=True),
    "sdpa_math_3d_bool_mask": _sdpa((2, 3, 4), (2, 5, 4), (2, 5, 4),
                                    mask=_rng.random((1, 5)) > 0.3),
    "sdpa_math_2d": _sdpa((3, 4), (5, 4), (5, 4)),
    "sdpa_math_5d": _sdpa((2, 1, 2, 3, 4), (2, 1, 2, 5, 4), (2, 1, 2, 5, 4)),
    "sdpa_math_batch_broadcast": _sdpa((2, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_graph(name):
    e_outs, e_leaves = _build(CASES[name], "ember")
    t_outs, t_leaves = _build(CASES[name], "torch")
    assert compare_graphs(e_outs, t_outs, e_leaves, t_leaves) == []
    for e, t in zip(e_outs, t_outs):
        assert tuple(e.shape) == tuple(t.shape)
        assert str(e.dtype)[6:] == str(t.dtype)[6:]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


# attention without weights in the layers: the heads as (N, heads, L, E) into the fused kernel
_KPM = np.array([[False, False, True, False, False], [False, True, False, False, False]])


def _causal(t, n):
    return t.new_ones(n, n).triu(1) > 0


LAYERS = {
    "mha_no_weights": _layer(lambda nn: nn.MultiheadAttention(4, 2), _x(3, 2, 4), _x(5, 2, 4),
                             _x(5, 2, 4), call=lambda m, q, k, v: m(q, k, v, need_weights=False)),
    "mha_self_batch_first": _layer(lambda nn: nn.MultiheadAttention(4, 2, batch_first=True),
                                   _x(2, 3, 4), call=lambda m, a: m(a, a, a, need_weights=False)),
    "mha_key_padding": _layer(lambda nn: nn.MultiheadAttention(4, 2), _x(3, 2, 4), _x(5, 2, 4),
                              _x(5, 2, 4), _KPM, call=lambda m, q, k, v, p: m(
                                  q, k, v, key_padding_mask=p, need_weights=False)),
    "mha_float_mask": _layer(lambda nn: nn.MultiheadAttention(4, 2), _x(3, 2, 4), _x(5, 2, 4),
                             _x(5, 2, 4), _x(3, 5), call=lambda m, q, k, v, a: m(
                                 q, k, v, attn_mask=a.detach(), need_weights=False)),
    "mha_causal": _layer(lambda nn: nn.MultiheadAttention(4, 2), _x(3, 2, 4),
                         call=lambda m, q: m(q, q, q, attn_mask=_causal(q, 3), is_causal=True,
                                             need_weights=False)),
    "encoder_causal": _layer(
        lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0), _x(3, 2, 4),
        call=lambda m, a: m(a, src_mask=_causal(a, 3), is_causal=True)),
    "decoder": _layer(lambda nn: nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0),
                      _x(3, 2, 4), _x(5, 2, 4)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_graph(name):
    e_outs, e_leaves = LAYERS[name]("ember")
    t_outs, t_leaves = LAYERS[name]("torch")
    assert compare_graphs(e_outs, t_outs, e_leaves, t_leaves) == []
    for e, t in zip(e_outs, t_outs):
        if t is not None:
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                       atol=1e-12)


_NO_GRAD = [n for n in CASES if n.startswith(("einsum", "tensordot", "inner"))]


@pytest.mark.parametrize("name", _NO_GRAD)
def test_values_without_graph(name):
    """Without a graph to record, einsum and tensordot run their steps on the arrays: the
    same values, shapes and strides as PyTorch's."""
    fn, arrays, _ = CASES[name]
    case = (fn, arrays, [False] * len(arrays))
    (e,), _ = _build(case, "ember")
    (t,), _ = _build(case, "torch")
    assert e.grad_fn is None
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["einsum_chain", "einsum_diag_in_pair", "tensordot_lists",
                                  "tensordot_full_strided", "kron_3d", "cov_both_weights",
                                  "corrcoef_2d", "trapezoid_x_lower_rank", "combinations",
                                  "take_along_dim_broadcast", "tensorinv_ind1", "sdpa_fused",
                                  "sdpa_math_3d_causal"])
def test_gradients(name):
    """The recorded graphs give PyTorch's gradients."""
    e_outs, e_leaves = _build(CASES[name], "ember")
    t_outs, t_leaves = _build(CASES[name], "torch")
    g = _rng.standard_normal(tuple(t_outs[0].shape))
    torch.autograd.backward(t_outs[0], torch.from_numpy(g))
    ember.autograd.backward(e_outs[0], ember.from_numpy(g.copy()))
    for el, tl in zip(e_leaves, t_leaves):
        np.testing.assert_allclose(el.grad.numpy(), tl.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_vander_backward_fails_as_pytorchs():
    """PyTorch's vander overwrites the slice its cumprod saved: the backward raises, in both."""
    e_outs, _ = _build(CASES["vander"], "ember")
    t_outs, _ = _build(CASES["vander"], "torch")
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t_outs[0].sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e_outs[0].sum().backward()


def test_errors_match():
    for make in (
        lambda m: m.einsum("...i,...i", m.ones(2, 3), m.ones(4, 3)),
        lambda m: m.einsum("i j ,j-> i 1", m.ones(2, 3), m.ones(3)),
        lambda m: m.einsum("ij", []),
        lambda m: m.einsum("i,i", m.ones(3, dtype=m.bool), m.ones(3, dtype=m.bool)),
        lambda m: m.einsum("i,i", m.ones(3), m.ones(3, dtype=m.float64)),
        lambda m: m.inner(m.ones(2, 3), m.ones(4)),
        lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 2), ([1, 1], [0, 0])),
        lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 2, dtype=m.float64), 1),
        lambda m: m.take_along_dim(m.ones(3, 2).t(), m.tensor([0, 1])),
        lambda m: m.take_along_dim(m.ones(2, 3), m.tensor([[0], [1]], dtype=m.int32), 1),
        lambda m: m.take_along_dim(m.ones(2, 3), m.tensor([[0], [1], [1]]), 1),
        lambda m: m.chain_matmul(m.ones(2, 3), m.ones(3)),
        lambda m: m.chain_matmul(),
        lambda m: m.corrcoef(m.ones(2, 3, 4)),
        lambda m: m.cov(m.ones(2, 2, dtype=m.bool)),
        lambda m: m.trapezoid(m.ones(3), dx=1j),
        lambda m: m.kron(m.ones(3, 2).t(), m.ones(2, 2)),  # PyTorch's view of the product
        lambda m: m.cumulative_trapezoid(m.ones(3), m.ones(2)),
    ):
        with pytest.raises(Exception) as t_exc:  # noqa: PT011 - each its own type and text
            make(torch)
        with pytest.raises(Exception) as e_exc:  # noqa: PT011
            make(ember)
        assert type(e_exc.value) is type(t_exc.value)
        assert str(e_exc.value).replace("ember", "torch") == str(t_exc.value)


def test_cov_warns_as_pytorch():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        ember.cov(ember.ones(2, 3), correction=3)
