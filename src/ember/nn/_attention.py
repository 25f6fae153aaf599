"""The attention functional forms: scaled_dot_product_attention and
multi_head_attention_forward (exported by ember.nn.functional; the layers are in
nn/modules/transformer.py).

Shapes follow PyTorch: multi_head_attention_forward takes sequence-first (L, N, E) or unbatched
(L, E) inputs. Masks are bool or float (added to the attention scores); what True means in a
bool mask differs between the two forms (see their docstrings).
"""

import math
import warnings

import numpy as np

from .._dispatch import state as _dispatch
from .._tensor import _make
from ..autograd.graph import name_saved
from ..ops import creation as _creation
from ..ops._nn_common import (
    as_kernel,
    kernel_arg,
    kernel_args,
    kernel_input,
    kernel_node,
    kernel_result,
)
from ..ops.activation import safe_softmax, softmax
from ..ops.dropout import dropout
from ..ops.elementwise import mul_scalar, where
from ..ops.linalg import baddbmm, bmm
from ..ops.linear import linear
from ..ops.shape import cat

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


def _word(dtype):
    """PyTorch's C++ name of a dtype in messages ('float', 'double', 'long int')."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}.get(dtype.name if hasattr(dtype, "name") else str(dtype), str(dtype))


def _causal_bias(L, S, dtype):
    """0 on and below the diagonal, -inf above it (position i sees positions <= i)."""
    m = np.triu(np.full((L, S), -np.inf, dtype=dtype.np if hasattr(dtype, "np") else dtype), 1)
    return _make(m)


def _attention(q, k, v, bias, dropout_p, scale, safe, batched_mm=False):
    """softmax(q @ k^T * scale + bias) @ v, over the last two dims; returns (output, weights).

    ``safe``: rows where every score is -inf (fully masked) give zero weights instead of nan,
    as PyTorch's scaled_dot_product_attention does. ``batched_mm``: q, k, v are 3-D and the
    products are bmm (baddbmm with the bias), as in PyTorch's multi-head attention."""
    if batched_mm:
        kt = k.transpose(-2, -1)
        scores = bmm(q * scale, kt) if bias is None else baddbmm(bias, q * scale, kt)
    else:
        scores = (q * scale).matmul(k.transpose(-2, -1))
        if bias is not None:
            scores = scores + bias
    dead = None
    if safe and not _dispatch.depth:  # one node, as PyTorch's (vmap batches the ops below)
        weights = safe_softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        return (bmm(weights, v) if batched_mm else weights.matmul(v)), weights
    if safe and bias is not None:
        # rows masked everywhere are kept finite, so that neither the values nor the gradients
        # hold nan (written without reading the array, so it also runs batched under vmap)
        dead = scores.isneginf().all(-1, keepdim=True)
        scores = where(dead, 0.0, scores)
    weights = softmax(scores, -1)
    if dead is not None:
        weights = where(dead, 0.0, weights)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return (bmm(weights, v) if batched_mm else weights.matmul(v)), weights


def _repeat_heads(t, heads):
    """(..., h, S, E) -> (..., heads, S, E), each head repeated heads // h times in a row
    (PyTorch's repeat_interleave)."""
    return t.repeat_interleave(heads // t.size(-3), -3)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T / sqrt(E) + mask) @ value over the last two dims.

    A bool attn_mask marks with True the positions that take part in attention (the opposite
    of MultiheadAttention's masks); a float mask is added to the scores. is_causal=True lets
    each query position see only key positions at or before it.

    The graph is PyTorch's on the CPU: where its fused kernel runs (4-D inputs of one head size,
    no dropout, a mask that needs no gradient and broadcasts as the kernel allows), one
    ScaledDotProductFlashAttentionForCpuBackward0 node; otherwise the nodes of its math path
    (query and key each scaled by the square root of the scale, matmul, the mask added in
    place, safe softmax, dropout, matmul)."""
    qd, kd, vd = query.dtype, key.dtype, value.dtype
    if not (qd == kd == vd):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_word(qd)} key.dtype: {_word(kd)} and value.dtype: {_word(vd)} instead."
        )
    mask = attn_mask
    if mask is not None:
        md = mask.dtype
        if md.name == "bool":  # PyTorch's convert_boolean_attn_mask
            mask = where(mask.logical_not(), float("-inf"), 0.0).to(qd)
        elif md != qd and not md.is_floating_point:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {_word(md)} and  query.dtype: {_word(qd)} instead."
            )
    if is_causal and mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if not _dispatch.depth and _fused_cpu_kernel(query, key, value, mask, dropout_p,
                                                 enable_gqa):
        out = as_kernel(_FlashForCpu, (query, key, value), _math_attention, query, key, value,
                        mask, dropout_p, is_causal, scale, enable_gqa)
        # the kernel writes its output laid out as the query (the same order of strides)
        laid = np.empty_like(query._data, dtype=out._data.dtype)
        laid[...] = out._data
        out._data = laid
        return out
    return _math_attention(query, key, value, mask, dropout_p, is_causal, scale, enable_gqa)


def _flash_logsumexp(node):
    """The fused kernel's saved logsumexp: log of the softmax's denominator per query row
    (of the scaled scores plus the mask), computed again from the call when read."""
    a = kernel_args(node)
    q, k = a["query"]._data, a["key"]._data
    if a["enable_gqa"] and k.shape[-3] != q.shape[-3]:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
    scale = a["scale"] if a["scale"] is not None else 1.0 / math.sqrt(q.shape[-1])
    s = (q @ np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    if a["mask"] is not None:
        s = s + a["mask"]._data
    if a["is_causal"]:
        s = s + _causal_bias(s.shape[-2], s.shape[-1], s.dtype)._data
    with np.errstate(all="ignore"):
        top = s.max(-1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0)
        return _make((np.log(np.exp(s - top).sum(-1)) + top[..., 0]).astype(q.dtype))


_FlashForCpu = name_saved(
    kernel_node("ScaledDotProductFlashAttentionForCpuBackward0"), query=kernel_input(0),
    key=kernel_input(1), value=kernel_input(2), attn_mask=kernel_arg("mask"),
    dropout_p=kernel_arg("dropout_p"), is_causal=kernel_arg("is_causal"),
    scale=kernel_arg("scale"), output=kernel_result(), logsumexp=_flash_logsumexp)
_FLASH_DTYPES = ("float32", "float64", "bfloat16", "float16")


def _fused_cpu_kernel(q, k, v, mask, dropout_p, enable_gqa):
    """Whether PyTorch's CPU runs its fused (flash) kernel for these arguments."""
    if dropout_p > 0.0 or q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        return False
    (b, h, L, E), (bk, hk, S, Ek), (bv, hv, _, Ev) = q.shape, k.shape, v.shape
    if not b == bk == bv:
        return False
    if enable_gqa:
        if hk != hv or h % hk:
            return False
    elif not h == hk == hv:
        return False
    if mask is not None:
        if mask._requires_grad or mask.size(-2) not in (L, 1) or mask.size(-1) not in (S, 1):
            return False
        if mask.dim() != 2 and not (mask.dim() == 4 and mask.size(0) in (1, b)
                                    and mask.size(1) in (1, h)):
            return False
    if not E == Ek == Ev or L == 0 or S == 0:
        return False
    if any(t.stride(-1) != 1 for t in (q, k, v)):
        return False
    return q.dtype.name in _FLASH_DTYPES


def _scaled(t, s):
    """t * s for a number s as PyTorch's C++ records it (MulBackward1)."""
    return t * s if _dispatch.depth else mul_scalar(t, s)  # (vmap: the operator)


def _math_attention(query, key, value, mask, dropout_p, is_causal, scale, enable_gqa):
    """PyTorch's math attention: query and key each scaled by the square root of the scale."""
    negative = scale is not None and scale < 0
    factor = math.sqrt(abs(scale) if negative else scale if scale is not None
                       else 1.0 / math.sqrt(query.size(-1)))
    q = _scaled(query, 0.0 - factor if negative else factor)
    if is_causal:
        mask = _causal_bias(query.size(-2), key.size(-2), query.dtype)
    if enable_gqa and query.dim() >= 3 and key.size(-3) != query.size(-3):
        # grouped-query attention: each key/value head serves query.size(-3) // heads queries
        key, value = _repeat_heads(key, query.size(-3)), _repeat_heads(value, query.size(-3))
    scores = q.matmul(_scaled(key.transpose(-2, -1), factor))
    if _dispatch.depth:  # vmap batches the ops below (no rule for the in-place add and softmax)
        return _attention_tail(scores, mask, value, dropout_p)
    if mask is not None:
        scores.add_(mask)
    weights = safe_softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _attention_tail(scores, mask, value, dropout_p):
    dead = None
    if mask is not None:
        scores = scores + mask
        # rows masked everywhere are kept finite, so that neither the values nor the gradients
        # hold nan (written without reading the array, so it also runs batched under vmap)
        dead = scores.isneginf().all(-1, keepdim=True)
        scores = where(dead, 0.0, scores)
    weights = softmax(scores, -1)
    if dead is not None:
        weights = where(dead, 0.0, weights)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _heads_first(proj, n, embed_dim):
    """(..., n * E) -> (n, ..., E), a copy: the n projections packed in one linear."""
    return proj.unflatten(-1, (n, embed_dim)).unsqueeze(0).transpose(0, -2).squeeze(
        -2).contiguous()


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked) as a float mask of 0 and -inf; float masks pass through."""
    if mask is None:
        return None
    md = mask.dtype
    is_float = md.is_floating_point
    if md.name != "bool" and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and md != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if not is_float:
        mask = _creation.zeros(tuple(mask.shape), dtype=target_type).masked_fill(
            mask, float("-inf"))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched (3-D query) or not (2-D), checking the other shapes."""
    qn = query.dim()
    if qn not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{qn}-D query tensor")
    expected = ("For batched (3-D) `query`, expected" if qn == 3
                else "For unbatched (2-D) `query`, expected")
    if key.dim() != qn or value.dim() != qn:
        raise AssertionError(f"{expected} `key` and `value` to be {qn}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != qn - 1:
        raise AssertionError(f"{expected} `key_padding_mask` to be `None` or {qn - 1}-D but "
                             f"found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"{expected} `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        if qn == 2 and attn_mask.dim() == 3:
            shape = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != shape:
                raise AssertionError(f"Expected `attn_mask` shape to be {shape} but got "
                                     f"{attn_mask.shape}")
    return qn == 3


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention on sequence-first (L, N, E) or unbatched (L, E) inputs."""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask",
        None if attn_mask is None else attn_mask.dtype, "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone stands for the mask
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    # input projections
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        # PyTorch's packed projection (its graph: one linear, then views and a copy)
        if query is key and key is value:
            proj = _heads_first(linear(query, in_proj_weight, in_proj_bias), 3, embed_dim)
            q, k, v = proj[0], proj[1], proj[2]
        elif key is value:
            w_q, w_kv = in_proj_weight.split([embed_dim, embed_dim * 2])
            b_q = b_kv = None
            if in_proj_bias is not None:
                b_q, b_kv = in_proj_bias.split([embed_dim, embed_dim * 2])
            q = linear(query, w_q, b_q)
            kv = _heads_first(linear(key, w_kv, b_kv), 2, embed_dim)
            k, v = kv[0], kv[1]
        else:
            w_q, w_k, w_v = in_proj_weight.chunk(3)
            b_q = b_k = b_v = None
            if in_proj_bias is not None:
                b_q, b_k, b_v = in_proj_bias.chunk(3)
            q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None")
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b_q)
        k = linear(key, k_proj_weight, b_k)
        v = linear(value, v_proj_weight, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            expected = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {expected}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    def pad_one(m):  # one more key position, never masked
        return cat([m, _creation.zeros((*m.shape[:-1], 1), dtype=m.dtype)], -1)

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad_one(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = pad_one(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads: (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
         if static_k is None else static_k)
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
         if static_v is None else static_v)
    if add_zero_attn:
        zeros = (bsz * num_heads, 1, head_dim)
        k = cat([k, _creation.zeros(zeros, dtype=k.dtype)], 1)
        v = cat([v, _creation.zeros(zeros, dtype=v.dtype)], 1)
        if attn_mask is not None:
            attn_mask = pad_one(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = pad_one(key_padding_mask)
    src_len = k.size(1)

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = (key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
               .reshape(bsz * num_heads, 1, src_len))
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if is_causal and attn_mask is None and need_weights:
        raise AssertionError("FIXME: is_causal not implemented for need_weights")

    if not need_weights:
        # PyTorch's path: the heads as (N, heads, L, E) into scaled_dot_product_attention
        # (where fully masked rows give zeros; the need_weights path gives nan there)
        if attn_mask is not None:
            if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
                attn_mask = attn_mask.unsqueeze(0)
            else:
                attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
        q = q.view(bsz, num_heads, tgt_len, head_dim)
        k = k.view(bsz, num_heads, src_len, head_dim)
        v = v.view(bsz, num_heads, src_len, head_dim)
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        out = out.permute(2, 0, 1, 3).contiguous().view(bsz * tgt_len, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.size(1))
        return (out if batched else out.squeeze(1)), None
    out, weights = _attention(q, k, v, attn_mask, dropout_p, 1.0 / math.sqrt(head_dim),
                              False, True)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        out, weights = out.squeeze(1), weights.squeeze(0)
    return out, weights
