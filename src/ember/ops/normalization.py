"""Normalization ops: batch_norm, layer_norm, group_norm (each one fused node computing the
input, weight and bias gradients together) and normalize."""

import numpy as np

from .._errors import note
from .._tensor import Size, _make
from ..autograd.graph import name_saved
from . import _out
from ._nn_common import float_data, fused_node
from ._op import record
from .elementwise import add_scalar
from .shape import stack

__all__ = ["group_norm", "instance_norm", "layer_norm", "rms_norm"]


def _stats_np(d, axes, eps):
    """Mean and 1/sqrt(biased var + eps) over axes (kept as size-1 dims), the variance and
    the centred input."""
    mean = d.mean(axes, keepdims=True)
    xc = d - mean
    var = (xc * xc).mean(axes, keepdims=True)
    return mean, 1 / np.sqrt(var + eps), var, xc


def _normalized(x, axes, eps):
    """(x - mean) / sqrt(var + eps) and the inverse std, in ember ops (differentiable)."""
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    return xc * invstd, invstd


def _stats_input_grad(gh, xhat, invstd, axes, keepdim):
    """The input gradient of normalizing with the batch's own statistics, given gh, the
    gradient reaching xhat (arrays use keepdims=, tensors keepdim=)."""
    m1 = gh.mean(axes, **{keepdim: True})
    m2 = (gh * xhat).mean(axes, **{keepdim: True})
    return invstd * (gh - m1 - xhat * m2)


def _affine_grads_np(gd, xhat, axes, need_w, need_b):
    """The weight and bias gradients on arrays: gd * xhat and gd summed over axes."""
    gw = _make(np.asarray((gd * xhat).sum(axes))) if need_w else None
    gb = _make(np.asarray(gd.sum(axes))) if need_b else None
    return gw, gb


def _check_norm_param(t, name, n):
    if t is not None and t._data.size != n:
        raise RuntimeError(f"{name} should contain {n} elements not {t._data.size}")


def _batch_norm_grads(node, g, create_graph, x, w, mean, invstd, training, axes, eps,
                      running=None):
    need_x, need_w, need_b = (fn is not None for fn, _ in node.next_functions)
    shape = (1, -1) + (1,) * (len(axes) - 1)
    if create_graph:
        if training:
            xhat, inv = _normalized(x, axes, eps)
        else:
            inv = _make(invstd)
            xhat = (x - _make(mean)) * inv
        gh = g if w is None else g * w.reshape(shape)
        gx = None
        if need_x:
            gx = _stats_input_grad(gh, xhat, inv, axes, "keepdim") if training else gh * inv
        return (gx, (g * xhat).sum(axes) if need_w else None, g.sum(axes) if need_b else None)
    gd = g._data
    xhat = (x._data - mean) * invstd
    gx = None
    if need_x:
        gh = gd if w is None else gd * w._data.reshape(shape)
        gx = _make(_stats_input_grad(gh, xhat, invstd, axes, "keepdims") if training
                   else gh * invstd)
    return (gx, *_affine_grads_np(gd, xhat, axes, need_w, need_b))


def _stat(k, empty_unless=None):
    """A ``_saved_result1`` / ``_saved_result2`` field: the statistic saved at k (the mean or
    1/std, with size-1 dims), a copy (changing it must not change the gradient).
    ``empty_unless``: batch_norm's, flattened to one value per channel, and empty where the
    flag at that position (training) is false, as PyTorch's."""
    def value(node):
        stat = node._field(k, False)
        if empty_unless is None:
            return _make(stat.copy())
        if not node._field(empty_unless, False):
            return _make(np.empty(0, stat.dtype))
        return _make(stat.reshape(-1).copy())
    return value


_NativeBatchNorm = name_saved(
    fused_node("NativeBatchNormBackward0", _batch_norm_grads),
    input=0, weight=1, training=4, eps=6, result1=_stat(2, 4), result2=_stat(3, 4),
    running_mean=lambda n: n._field(7, False)[0],
    running_var=lambda n: n._field(7, False)[1])


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) over the batch and spatial dims, then scale and shift.

    Training uses the batch's statistics and, when running_mean/running_var are given, moves
    them toward it: running = (1 - momentum) * running + momentum * batch, with the unbiased
    variance. Otherwise the running statistics normalize."""
    d = float_data(input, "batch_norm", "batch_norm")
    if training:
        size_prods = d.shape[0] if d.ndim else 1
        for s in d.shape[2:]:
            size_prods *= s
        if size_prods == 1:
            exc = ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {Size(d.shape)!r}")
            note(exc, "Batch statistics need at least two values per channel: use a batch of "
                      "two or more, or call model.eval() to use the running statistics.")
            raise exc
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    c = d.shape[1] if d.ndim > 1 else 1
    _check_norm_param(running_mean, "running_mean", c)
    _check_norm_param(running_var, "running_var", c)
    _check_norm_param(weight, "weight", c)
    _check_norm_param(bias, "bias", c)
    axes = (0,) + tuple(range(2, d.ndim))
    shape = (1, c) + (1,) * (d.ndim - 2)
    if training:
        mean, invstd, var, out = _stats_np(d, axes, eps)
        out *= invstd
        m = float(momentum)
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - m
            rm += (mean.reshape(c) * m).astype(rm.dtype, copy=False)
            running_mean._version[0] += 1
        if running_var is not None:
            n = d.size // c
            rv = running_var._data
            rv *= 1 - m
            rv += (var.reshape(c) * (m * n / (n - 1))).astype(rv.dtype, copy=False)
            running_var._version[0] += 1
    else:
        mean = running_mean._data.reshape(shape).astype(d.dtype, copy=False)
        invstd = 1 / np.sqrt(running_var._data.reshape(shape).astype(d.dtype, copy=False) + eps)
        out = (d - mean) * invstd
    if weight is not None:
        out *= weight._data.reshape(shape)
    if bias is not None:
        out += bias._data.reshape(shape)
    # the running statistics in a tuple: shown as PyTorch's node shows them, never read by the
    # backward, so not version-checked (the next forward updates them in place)
    return record(out, _NativeBatchNorm, (input, weight, bias),
                  (input, weight, mean, invstd, training, axes, eps,
                   (running_mean, running_var)))


def _layer_norm_grads(node, g, create_graph, x, w, mean, invstd, axes, eps, bias=None):
    need_x, need_w, need_b = (fn is not None for fn, _ in node.next_functions)
    lead = tuple(range(x.ndim - len(axes)))
    if create_graph:
        xhat, inv = _normalized(x, axes, eps)
        gh = g if w is None else g * w
        gx = _stats_input_grad(gh, xhat, inv, axes, "keepdim") if need_x else None
        gw = g * xhat if need_w else None  # the engine sums it over the leading dims
        return gx, gw, g if need_b else None
    gd = g._data
    xhat = (x._data - mean) * invstd
    gx = None
    if need_x:
        gx = _make(_stats_input_grad(gd if w is None else gd * w._data, xhat, invstd, axes,
                                     "keepdims"))
    return (gx, *_affine_grads_np(gd, xhat, lead, need_w, need_b))


def _layer_norm_jvp(ts, inputs, saved, out):
    # d xhat = invstd * (t - mean(t) - xhat * mean(xhat * t)); y = xhat * w + b
    x, w, _, _, axes, eps = saved[:6]
    tx, tw, tb = ts
    xhat, inv = _normalized(x, axes, eps)
    total = None
    if tx is not None:
        total = _stats_input_grad(tx, xhat, inv, axes, "keepdim")
        if w is not None:
            total = total * w
    for term in (None if tw is None else xhat * tw, tb):
        if term is not None:
            total = term if total is None else total + term
    return total


_NativeLayerNorm = name_saved(
    fused_node("NativeLayerNormBackward0", _layer_norm_grads),
    input=0, weight=1, bias=6, result1=_stat(2), result2=_stat(3),
    normalized_shape=lambda n: tuple(n._field(0, False).shape[a]
                                     for a in n._field(4, False)))
_NativeLayerNorm.jvp = staticmethod(_layer_norm_jvp)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last len(normalized_shape) dims, then scale and shift."""
    d = float_data(input, "layer_norm", "LayerNormKernelImpl")
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or d.ndim < k or d.shape[d.ndim - k:] != ns:
        exc = RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in ns)}], but got input of size{list(d.shape)}")
        note(exc, "normalized_shape names the trailing dimensions to normalize over: it must "
                  "equal the input's last dimensions.")
        raise exc
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t._data.shape) != ns:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t._data.shape)} and normalized_shape = {list(ns)}")
    axes = tuple(range(d.ndim - k, d.ndim))
    mean, invstd, _, out = _stats_np(d, axes, eps)
    out *= invstd
    if weight is not None:
        out *= weight._data
    if bias is not None:
        out += bias._data
    return record(out, _NativeLayerNorm, (input, weight, bias),
                  (input, weight, mean, invstd, axes, eps, bias))  # bias: kept as PyTorch's


def _group_norm_grads(node, g, create_graph, x, w, mean, invstd, groups, eps):
    need_x, need_w, need_b = (fn is not None for fn, _ in node.next_functions)
    n = x.shape[0]
    shape = (1, -1) + (1,) * (x.ndim - 2)
    red = (0,) + tuple(range(2, x.ndim))
    if create_graph:
        xg = x.reshape(n, groups, -1)
        xhat_g, inv = _normalized(xg, (2,), eps)
        gh = (g if w is None else g * w.reshape(shape)).reshape(n, groups, -1)
        gx = _stats_input_grad(gh, xhat_g, inv, (2,), "keepdim").reshape(x.shape) \
            if need_x else None
        xhat = xhat_g.reshape(x.shape)
        return (gx, (g * xhat).sum(red) if need_w else None, g.sum(red) if need_b else None)
    xd, gd = x._data, g._data
    xhat_g = (xd.reshape(n, groups, -1) - mean) * invstd
    gx = None
    if need_x:
        gh = (gd if w is None else gd * w._data.reshape(shape)).reshape(n, groups, -1)
        gx = _make(_stats_input_grad(gh, xhat_g, invstd, (2,), "keepdims").reshape(xd.shape))
    return (gx, *_affine_grads_np(gd, xhat_g.reshape(xd.shape), red, need_w, need_b))


def _group_norm_sizes(node):
    shape = node._field(0, False).shape
    return shape[0], shape[1], int(np.prod(shape[2:], dtype=np.int64))


def _group_stat(k):
    return lambda node: _make(
        node._field(k, False).reshape(_group_norm_sizes(node)[0], -1).copy())


_NativeGroupNorm = name_saved(
    fused_node("NativeGroupNormBackward0", _group_norm_grads),
    input=0, weight=1, group=4, eps=5, result1=_group_stat(2), result2=_group_stat(3),
    N=lambda n: _group_norm_sizes(n)[0], C=lambda n: _group_norm_sizes(n)[1],
    HxW=lambda n: _group_norm_sizes(n)[2])


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dim 1) into num_groups groups and normalize each group of each
    sample over its channels and spatial dims, then scale and shift per channel."""
    d = float_data(input, "group_norm", "GroupNormKernelImpl")
    if d.ndim < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{d.ndim}")
    n, c = d.shape[:2]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(d.shape)} and num_groups={num_groups}")
    _check_norm_param(weight, "weight", c)
    _check_norm_param(bias, "bias", c)
    shape = (1, c) + (1,) * (d.ndim - 2)
    xg = d.reshape(n, num_groups, -1)
    mean, invstd, _, out = _stats_np(xg, (2,), eps)
    out *= invstd
    out = out.reshape(d.shape)
    if weight is not None:
        out *= weight._data.reshape(shape)
    if bias is not None:
        out += bias._data.reshape(shape)
    return record(out, _NativeGroupNorm, (input, weight, bias),
                  (input, weight, mean, invstd, num_groups, eps))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    if out is not None:  # given by position (the public wrapper takes it by keyword)
        return _out.call(normalize, "normalize", (input, p, dim, eps), {}, out)
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


# -- instance, local response and RMS normalization (built from the ops above) -------------------
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalizes each channel of each sample over its spatial dims: batch_norm on the input
    seen as one sample of N * C channels (the running statistics, if given, move toward the
    batch's average of the per-sample statistics)."""
    d = float_data(input, "instance_norm", "batch_norm")
    if use_input_stats:
        spatial = 1
        for s in d.shape[2:]:
            spatial *= s
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {Size(d.shape)!r}")
    n, c = d.shape[:2]
    x = input.reshape((1, n * c) + tuple(d.shape[2:]))
    rm = None if running_mean is None else _make(np.tile(running_mean._data, n))
    rv = None if running_var is None else _make(np.tile(running_var._data, n))
    w = None if weight is None else weight.repeat(n)
    b = None if bias is None else bias.repeat(n)
    out = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        for run, rep in ((running_mean, rm), (running_var, rv)):
            if run is not None:
                run._data[...] = rep._data.reshape(n, c).mean(0)
                run._version[0] += 1
    return out.reshape(tuple(d.shape))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2 over the trailing normalized_shape dims) + eps) * weight
    (eps: the dtype's machine epsilon when None)."""
    shape = tuple(normalized_shape) if not isinstance(normalized_shape, int) else \
        (normalized_shape,)
    nd = len(shape)
    if nd > input.ndim:
        raise ValueError(f"Input tensor must have at least {nd} dimensions, but got "
                         f"{input.ndim}")
    if tuple(input.shape[input.ndim - nd:]) != shape:
        # PyTorch's text has no ", " after the "*" here (layer_norm's has one)
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - 1, input.ndim - nd - 1, -1))  # PyTorch's order: last first
    if not dims:
        out = input * (input * input + eps).rsqrt()
        return out * weight if weight is not None else out
    # as PyTorch composes it: pow, mean, add_(eps) (a Scalar add), rsqrt, mul, the weight,
    # and a contiguous result
    out = input.mul(add_scalar(input.pow(2).mean(dims, keepdim=True), eps).rsqrt())
    if weight is not None:
        out = out.mul(weight)
    return out.contiguous()


def cross_map_lrn2d(input, size, alpha=1e-4, beta=0.75, k=1):
    """CrossMapLRN2d's normalization (Lua Torch's SpatialCrossMapLRN): like
    local_response_norm, with that layer's running window over the channels (channel 0 never
    leaves it). The gradient is this function's own (PyTorch's layer has a hand-written
    backward that differs from it)."""
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
    sq = input * input
    channels = input.shape[1]
    pre = int((size - 1) / 2 + 1)
    scale = None
    for c in range(min(pre, channels)):
        scale = sq.select(1, c) if scale is None else scale + sq.select(1, c)
    scales = [scale]
    for c in range(1, channels):
        if c < channels - pre + 1:
            scale = scale + sq.select(1, c + pre - 1)
        if c > pre:
            scale = scale - sq.select(1, c - pre)
        scales.append(scale)
    return input * (stack(scales, 1) * (alpha / size) + k) ** (-beta)


FUNCTIONAL = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "normalize", "rms_norm"]
TENSOR_METHODS = {}
