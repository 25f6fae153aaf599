"""Convolutions: conv1d, conv2d and conv_transpose2d (forward on arrays, backward in ember ops).

Everything runs on planes of two spatial dims; a 1-D input carries a height of 1. Forwards read
the input through strided windows (``as_strided`` views) copied once into columns and
multiplied with BLAS (im2col). Scatter-type adjoints loop over the kernel offsets only, adding
one whole strided slice per offset, never element by element.

The backward formulas are ember ops as well, so second derivatives work: convolution is the
bilinear form B(x, w, g) = <conv(x, w), g>; its three partial derivatives (``_conv``,
``_conv_input`` = dB/dx, ``_conv_weight`` = dB/dw) are each other's gradients.
"""

import warnings

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._errors import note
from .._tensor import Tensor
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import name_saved
from ._nn_common import as_kernel, kernel_node, kernel_saved, shape_list
from ._op import check_tensor, formula_node, record, refuse_tangents
from .creation import zeros
from .linalg import _cpp, _word
from .pooling import kernel_ints
from .shape import cat, constant_pad_nd, narrow, permute, reshape, squeeze, unsqueeze

# the ones PyTorch also has at the top level (torch.conv2d, ...)
__all__ = ["conv1d", "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
FUNCTIONAL = ["conv1d", "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d"]
TENSOR_METHODS = {}


class _ConvSpec:
    """The geometry of one convolution, as seen from its forward direction: input planes
    (h, w) padded by (ph0, ph1, pw0, pw1), kernel (kh, kw), output planes (ho, wo). ``nd`` is the
    number of spatial dims the tensors really have (1 for conv1d)."""

    __slots__ = ("sh", "sw", "dh", "dw", "ph0", "ph1", "pw0", "pw1", "groups", "h", "w", "ho",
                 "wo", "kh", "kw", "nd", "bias", "valid")

    def padded(self):
        return self.ph0 or self.ph1 or self.pw0 or self.pw1

    def sum_dims(self):
        return (0, 2) if self.nd == 1 else (0, 2, 3)


def _as4(a, nd):
    """A view with two spatial dims (1-D data get a height of 1)."""
    return a[:, :, None, :] if nd == 1 else a


def _from4(a, nd):
    return a.reshape(a.shape[:2] + a.shape[3:]) if nd == 1 else a


def _pad_zeros(x, sp):
    """x (n, c, h, w) inside a zero border (a new array only when there is padding)."""
    if not sp.padded():
        return x
    n, c = x.shape[:2]
    xp = np.zeros((n, c, sp.h + sp.ph0 + sp.ph1, sp.w + sp.pw0 + sp.pw1), x.dtype)
    xp[:, :, sp.ph0:sp.ph0 + sp.h, sp.pw0:sp.pw0 + sp.w] = x
    return xp


def _im2col(x, sp):
    """(n, c, h, w) -> columns (n, c*kh*kw, ho*wo): one copy through a strided window view."""
    xp = _pad_zeros(x, sp)
    n, c = x.shape[:2]
    s0, s1, s2, s3 = xp.strides
    win = as_strided(xp, (n, c, sp.kh, sp.kw, sp.ho, sp.wo),
                     (s0, s1, s2 * sp.dh, s3 * sp.dw, s2 * sp.sh, s3 * sp.sw), writeable=False)
    return win.reshape(n, c * sp.kh * sp.kw, sp.ho * sp.wo)


def _col2im(cols, sp):
    """The adjoint of _im2col: cols (n, c, kh, kw, ho, wo) summed back into (n, c, h, w),
    one strided slice per kernel offset."""
    n, c = cols.shape[:2]
    dx = np.zeros((n, c, sp.h + sp.ph0 + sp.ph1, sp.w + sp.pw0 + sp.pw1), cols.dtype)
    he, we = sp.sh * (sp.ho - 1) + 1, sp.sw * (sp.wo - 1) + 1
    for i in range(sp.kh):
        r = i * sp.dh
        for j in range(sp.kw):
            s = j * sp.dw
            dx[:, :, r:r + he:sp.sh, s:s + we:sp.sw] += cols[:, :, i, j]
    if sp.padded():
        dx = np.ascontiguousarray(dx[:, :, sp.ph0:sp.ph0 + sp.h, sp.pw0:sp.pw0 + sp.w])
    return dx


# -- stride 1: wide rows --------------------------------------------------------------------------
# With stride 1, kernel offset (i, j) reads each flattened padded plane shifted by
# i*dh*Wp + j*dw. Taking outputs on rows of the padded width Wp (the last Wp - wo columns are
# discarded, or carry zeros in the adjoint) makes each (channel, offset) one contiguous run of
# ho*Wp values: the column copy runs over long rows instead of rows of wo values.
def _wide_geometry(sp):
    hp, wp = sp.h + sp.ph0 + sp.ph1, sp.w + sp.pw0 + sp.pw1
    slack = (sp.kw - 1) * sp.dw  # the last offset's overhang past the last plane
    return hp, wp, slack


def _wide_cols(x, sp):
    """Columns (n, c*kh*kw, ho*Wp) of x."""
    n, c = x.shape[:2]
    hp, wp, slack = _wide_geometry(sp)
    plane = hp * wp
    buf = np.zeros((n * c * plane + slack,), x.dtype)
    view = buf[:n * c * plane].reshape(n, c, hp, wp)
    view[:, :, sp.ph0:sp.ph0 + sp.h, sp.pw0:sp.pw0 + sp.w] = x
    it = buf.itemsize
    win = as_strided(buf, (n, c, sp.kh, sp.kw, sp.ho * wp),
                     (c * plane * it, plane * it, sp.dh * wp * it, sp.dw * it, it),
                     writeable=False)
    return win.reshape(n, c * sp.kh * sp.kw, sp.ho * wp)


def _wide_to_out(y, sp):
    n, o = y.shape[:2]
    wp = sp.w + sp.pw0 + sp.pw1
    return np.ascontiguousarray(y.reshape(n, o, sp.ho, wp)[:, :, :, :sp.wo])


def _wide_grad(g, sp):
    """g (n, o, ho, wo) on rows of width Wp, zeros in the extra columns."""
    n, o = g.shape[:2]
    wp = sp.w + sp.pw0 + sp.pw1
    gw = np.zeros((n, o, sp.ho, wp), g.dtype)
    gw[:, :, :, :sp.wo] = g
    return gw.reshape(n, o, sp.ho * wp)


def _full_spec(sp):
    """For stride 1, dB/dx is itself a stride-1 convolution of the gradient with the flipped,
    transposed kernel; its geometry (the gradient's border may be negative: a crop)."""
    f = _ConvSpec()
    f.sh = f.sw = 1
    f.dh, f.dw, f.kh, f.kw, f.groups, f.nd = sp.dh, sp.dw, sp.kh, sp.kw, sp.groups, sp.nd
    eh, ew = sp.dh * (sp.kh - 1), sp.dw * (sp.kw - 1)
    f.ph0, f.ph1, f.pw0, f.pw1 = eh - sp.ph0, eh - sp.ph1, ew - sp.pw0, ew - sp.pw1
    f.h, f.w, f.ho, f.wo = sp.ho, sp.wo, sp.h, sp.w
    return f


def _flipped(w, groups):
    """(o, c/g, kh, kw) -> (c, o/g, kh, kw), each kernel turned by 180 degrees."""
    o, cg, kh, kw = w.shape
    wf = w.reshape(groups, o // groups, cg, kh, kw)[:, :, :, ::-1, ::-1]
    return np.ascontiguousarray(wf.transpose(0, 2, 1, 3, 4)).reshape(groups * cg, o // groups,
                                                                       kh, kw)


def _wide_input(g, w, sp):
    f = _full_spec(sp)
    crop = (max(-f.ph0, 0), max(-f.ph1, 0), max(-f.pw0, 0), max(-f.pw1, 0))
    if any(crop):
        g = g[:, :, crop[0]:g.shape[2] - crop[1], crop[2]:g.shape[3] - crop[3]]
        f.h, f.w = g.shape[2:]
        f.ph0, f.ph1, f.pw0, f.pw1 = (max(v, 0) for v in (f.ph0, f.ph1, f.pw0, f.pw1))
    return _conv_arr(g, _flipped(w, sp.groups), f)[0]


def _use_wide(sp, n):
    return sp.sh == 1 and sp.sw == 1 and n > 0


# -- the three maps -----------------------------------------------------------------------------
def _cols(x, sp):
    return _wide_cols(x, sp) if _use_wide(sp, x.shape[0]) else _im2col(x, sp)


def _conv_arr(x, w, sp, cols=None):
    """y (n, o, ho, wo) = x (n, c, h, w) convolved with w (o, c/groups, kh, kw); also returns
    the columns of x (the weight gradient reads them again)."""
    if cols is None:
        cols = _cols(x, sp)
    n, o, g = x.shape[0], w.shape[0], sp.groups
    if g == 1:
        y = np.matmul(w.reshape(o, -1), cols)  # one BLAS call per sample, contiguous output
    else:
        ck = cols.shape[1] // g
        y = np.matmul(w.reshape(g, o // g, ck), cols.reshape(n, g, ck, cols.shape[2]))
        y = y.reshape(n, o, cols.shape[2])
    if _use_wide(sp, n):
        return _wide_to_out(y, sp), cols
    return y.reshape(n, o, sp.ho, sp.wo), cols


def _conv_input_arr(g, w, sp):
    """dB/dx: the gradient (n, o, ho, wo) taken back to the input (n, c, h, w)."""
    if _use_wide(sp, g.shape[0]) and w.shape[1] * sp.groups >= 4:
        # as a convolution of the gradient (BLAS rows = input channels: too few and the
        # offset-by-offset adjoint below is faster)
        return _wide_input(g, w, sp)
    n, o = g.shape[:2]
    grp = sp.groups
    cg = w.shape[1]
    ck = cg * sp.kh * sp.kw
    p = sp.ho * sp.wo
    if grp == 1:
        cols = np.matmul(w.reshape(o, ck).T, g.reshape(n, o, p))
    else:
        wt = w.reshape(grp, o // grp, ck).transpose(0, 2, 1)
        cols = np.matmul(wt, g.reshape(n, grp, o // grp, p))
    return _col2im(cols.reshape(n, grp * cg, sp.kh, sp.kw, sp.ho, sp.wo), sp)


def _conv_weight_arr(x, g, sp, cols=None):
    """dB/dw: gradient rows times input columns, summed over the batch."""
    if cols is None:
        cols = _cols(x, sp)
    n, o = g.shape[:2]
    grp = sp.groups
    cg = x.shape[1] // grp
    g3 = _wide_grad(g, sp) if _use_wide(sp, n) else g.reshape(n, o, sp.ho * sp.wo)
    ck, p = cols.shape[1] // grp, cols.shape[2]
    if grp == 1:
        gw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(0)
    else:
        gw = np.matmul(g3.reshape(n, grp, o // grp, p),
                       cols.reshape(n, grp, ck, p).transpose(0, 1, 3, 2)).sum(0)
    return gw.reshape(o, cg, sp.kh, sp.kw)


def _conv(x, w, b, sp, node=None):
    """conv(x, w) + b as one recorded op."""
    y, cols = _conv_arr(_as4(x._data, sp.nd), _as4(w._data, sp.nd), sp)
    if b is not None:
        y += b._data.reshape(-1, 1, 1)
    # the weight gradient needs these columns again: keep them while a graph is recorded
    keep = cols if _grad_state.enabled and w._requires_grad else None
    return record(_from4(y, sp.nd), node or _Convolution, (x, w, b), (x, w, sp, keep))


def _conv_input(g, w, b, sp, node=None):
    """dB/dx (and conv_transpose: the same map, plus a bias)."""
    d = _conv_input_arr(_as4(g._data, sp.nd), _as4(w._data, sp.nd), sp)
    if b is not None:
        d += b._data.reshape(-1, 1, 1)
    return record(_from4(d, sp.nd), node or _ConvInputBackward, (g, w, b), (g, w, sp))


def _conv_weight(x, g, sp, cols=None):
    d = _conv_weight_arr(_as4(x._data, sp.nd), _as4(g._data, sp.nd), sp, cols)
    return record(_from4(d, sp.nd), _ConvWeightBackward, (x, g), (x, g, sp))


def _bias_grad(g, sp):
    return g.sum(sp.sum_dims())


# <conv(x, w), g> = B(x, w, g): conv's gradients are B's other partial derivatives
_Convolution = formula_node(
    "ConvolutionBackward0",
    lambda g, x, w, sp, cols: _conv_input(g, w, None, sp),
    lambda g, x, w, sp, cols: _conv_weight(x, g, sp, cols),
    lambda g, x, w, sp, cols: _bias_grad(g, sp),
)


def _conv_input_vjps():
    # <conv_input(g, w), X> = B(X, w, g)
    return (lambda gg, g, w, sp: _conv(gg, w, None, sp),
            lambda gg, g, w, sp: _conv_weight(gg, g, sp),
            lambda gg, g, w, sp: _bias_grad(gg, sp))


def _conv_jvp(conv):
    # conv is linear in the input and in the weight, and adds the bias
    def jvp(ts, inputs, saved, out):
        x, w, _ = inputs
        tx, tw, tb = ts
        sp = saved[2]
        total = None if tx is None else conv(tx, w, None, sp)
        if tw is not None:
            term = conv(x, tw, None, sp)
            total = term if total is None else total + term
        if tb is not None:
            term = tb.reshape((-1,) + (1,) * sp.nd)
            total = term if total is None else total + term
        return total

    return jvp


_Convolution.jvp = staticmethod(_conv_jvp(_conv))
_ConvTranspose = formula_node("ConvolutionBackward0", *_conv_input_vjps(),
                              jvp=_conv_jvp(_conv_input))
_ConvInputBackward = formula_node("ConvolutionBackwardBackward0", *_conv_input_vjps())
# <conv_weight(x, g), W> = B(x, W, g)
_ConvWeightBackward = formula_node(
    "ConvolutionBackwardBackward0",
    lambda gw, x, g, sp: _conv_input(g, gw, None, sp),
    lambda gw, x, g, sp: _conv(x, gw, None, sp),
)


# what PyTorch's ConvolutionBackward0 shows as grad_fn._saved_*, read from the spec (per
# spatial dim, as the op was given them; a 1-D convolution's plane has a height of 1)
def _per_dim(node, h, w):
    sp = node._field(2, False)
    return (getattr(sp, w),) if sp.nd == 1 else (getattr(sp, h), getattr(sp, w))


def _output_padding(node):
    """A transposed convolution's output_padding: what its output has beyond the size its
    input, stride, padding and dilation give (its spec is the forward convolution's)."""
    sp = node._field(2, False)
    return tuple(o - ((i - 1) * s - 2 * p + d * (k - 1) + 1) for o, i, s, p, d, k in
                 ((sp.h, sp.ho, sp.sh, sp.ph0, sp.dh, sp.kh),
                  (sp.w, sp.wo, sp.sw, sp.pw0, sp.dw, sp.kw))[2 - sp.nd:])


for _cls, _transposed in ((_Convolution, False), (_ConvTranspose, True)):
    name_saved(
        _cls, input=0, weight=1,
        stride=lambda n: _per_dim(n, "sh", "sw"),
        padding=lambda n: (0,) if n._field(2, False).valid else _per_dim(n, "ph0", "pw0"),
        dilation=lambda n: _per_dim(n, "dh", "dw"),
        groups=lambda n: n._field(2, False).groups,
        transposed=lambda n, t=_transposed: t,
        output_padding=_output_padding if _transposed else
        lambda n: (0,) * n._field(2, False).nd,
        bias_sym_sizes_opt=lambda n: n._field(2, False).bias or (0,))


# -- planning -----------------------------------------------------------------------------------
# _plan checks any convolution (over nd spatial dims, transposed or not) with per-dim tuples and
# computes its sizes; _spec lays the result onto the two-dim planes the kernels above work on.
def _conv_tuple(v, n, name):
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the "
            f"convolution dimensions, but got {name}={shape_list(t)}"
        )
    return t


def _check_conv_common(input, weight, bias, nd, fname, transposed):
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    if not isinstance(weight, Tensor):
        check_tensor(weight, fname, "weight", 2)
    xd, wd = input._data, weight._data
    if xd.ndim not in (nd + 1, nd + 2):
        exc = RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, but got "
            f"input of size: {shape_list(xd.shape)}"
        )
        dims = {1: "length", 2: "H, W", 3: "D, H, W"}[nd]
        note(exc, f"{fname} takes (batch, channels, {dims}) or the same without the batch dim.")
        raise exc
    if xd.dtype != wd.dtype:
        raise RuntimeError(f"expected scalar type {_word(xd.dtype)} but found {_word(wd.dtype)}")
    if bias is not None:
        bd = bias._data
        if bd.dtype != xd.dtype:
            raise RuntimeError(f"Input type ({_cpp(xd.dtype)}) and bias type ({_cpp(bd.dtype)}) "
                               "should be the same")
    if xd.dtype.kind == "b":
        raise NotImplementedError(f"\"slow_conv{'_transpose' if transposed else ''}{nd}d_cpu\" "
                                  "not implemented for 'Bool'")


def _check_params(stride, padding, dilation, groups, padding_is_str):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not padding_is_str and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {shape_list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_groups(wd, groups):
    if wd.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{shape_list(wd.shape)}] instead"
        )


def _check_bias(bias, wd, n, transposed):
    if bias is None:
        return
    bd = bias._data
    if bd.ndim != 1 or bd.shape[0] != n:
        t = "transposed=1, " if transposed else ""
        raise RuntimeError(
            f"Given {t}weight of size {shape_list(wd.shape)}, expected bias to be 1-dimensional "
            f"with {n} elements, but got bias of size {shape_list(bd.shape)} instead"
        )


def _same_padding(stride, dilation, kernel):
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = []
    for d, k in zip(dilation, kernel):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    if any(lo != hi for lo, hi in pads):
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created", UserWarning, stacklevel=3,
        )
    return pads


def _pad_odd(input, pads):
    """padding='same' as PyTorch runs it where a dim's two sides differ: a zero-padded copy
    of the input takes the odd one (ConstantPadNdBackward0), and the convolution pads both
    sides by the smaller amount (returned per dim)."""
    if any(lo != hi for lo, hi in pads):
        input = constant_pad_nd(input, [v for lo, hi in reversed(pads) for v in (0, hi - lo)])
    return input, [lo for lo, _ in pads]


def _channels_error(xd, wd, groups, transposed):
    c = xd.shape[1]
    if transposed:
        return RuntimeError(
            f"Given transposed=1, weight of size {shape_list(wd.shape)}, expected "
            f"input{shape_list(xd.shape)} to have {wd.shape[0]} channels, but got {c} channels "
            "instead"
        )
    exc = RuntimeError(
        f"Given groups={groups}, weight of size {shape_list(wd.shape)}, expected "
        f"input{shape_list(xd.shape)} to have {wd.shape[1] * groups} channels, but got {c} "
        "channels instead"
    )
    note(exc, "The layer's in_channels must equal the input's dim 1 (channels).")
    return exc


def _output_padding_error(output_padding, stride, dilation):
    if len(stride) == 1:  # PyTorch reports a 1-D convolution as a plane of height 1
        output_padding, stride, dilation = (0, *output_padding), (1, *stride), (1, *dilation)
    names = ("height", "width") if len(stride) == 2 else ("depth", "height", "width")
    parts = [f"output_padding_{n}: {v}" for n, v in zip(names, output_padding)]
    parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
    parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
    return RuntimeError("output padding must be smaller than either stride or dilation, but got "
                        + " ".join(parts))


def _plan(input, weight, bias, stride, padding, dilation, groups, output_padding, nd, fname):
    """Check a convolution over ``nd`` spatial dims and plan its geometry: returns the input
    with its batch dim (added when it has none) and the _ConvSpec. ``output_padding`` is None
    unless the convolution is transposed; a transposed convolution is the input gradient of a
    convolution, and its spec is that convolution's (its input and output sizes swapped)."""
    transposed = output_padding is not None
    _check_conv_common(input, weight, bias, nd, fname, transposed)
    wd = weight._data
    stride = _conv_tuple(stride, nd, "stride")
    is_str = isinstance(padding, str) and not transposed
    if not is_str:
        padding = _conv_tuple(padding, nd, "padding")
    if transposed:
        output_padding = _conv_tuple(output_padding, nd, "output_padding")
    dilation = _conv_tuple(dilation, nd, "dilation")
    if wd.ndim - 2 != nd:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {max(wd.ndim - 2, 0)} "
            f"values to match the convolution dimensions, but got stride={shape_list(stride)}"
        )
    _check_params(stride, padding, dilation, groups, is_str)
    if transposed and any(op < 0 for op in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if input._data.ndim == nd + 1:  # unbatched: PyTorch adds the batch dim, then squeezes it off
        input = unsqueeze(input, 0)
    xd = input._data
    kernel = wd.shape[2:]
    if not is_str:
        pads = [(p, p) for p in padding]
    elif padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":
        input, lows = _pad_odd(input, _same_padding(stride, dilation, kernel))  # (warns)
        xd = input._data
        pads = [(lo, lo) for lo in lows]
    else:
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    _check_groups(wd, groups)
    sizes = xd.shape[2:]
    if transposed:
        if xd.shape[1] != wd.shape[0]:
            raise _channels_error(xd, wd, groups, True)
        _check_bias(bias, wd, wd.shape[1] * groups, True)
        if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
            raise _output_padding_error(output_padding, stride, dilation)
        # the output is the input of the convolution whose output sizes are ``sizes``
        outs = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, k, s, p, d, op in
                zip(sizes, kernel, stride, padding, dilation, output_padding)]
        if any(o < 1 for o in outs):
            raise RuntimeError(
                f"Given input size per channel: ({' x '.join(map(str, sizes))}). Calculated "
                f"output size per channel: ({' x '.join(map(str, outs))}). Output size is too "
                "small"
            )
        return input, _given(_spec(stride, dilation, pads, groups, kernel, outs, sizes), bias,
                             False)
    if xd.shape[1] != wd.shape[1] * groups:
        raise _channels_error(xd, wd, groups, False)
    _check_bias(bias, wd, wd.shape[0], False)
    padded = [s + lo + hi for s, (lo, hi) in zip(sizes, pads)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
            "actual input size"
        )
    outs = [(p - e) // s + 1 for p, e, s in zip(padded, eff, stride)]
    return input, _given(_spec(stride, dilation, pads, groups, kernel, sizes, outs), bias,
                         is_str and padding == "valid")


def _given(sp, bias, valid):
    """The spec with what the node shows of the call: the bias's size (None without one),
    whether the padding was 'valid' (PyTorch's node then shows a padding of (0,))."""
    if isinstance(sp, _ConvSpec):
        sp.bias, sp.valid = None if bias is None else tuple(bias.shape), valid
    return sp


def _spec(stride, dilation, pads, groups, kernel, sizes, outs):
    """The geometry on the kernels' planes of two spatial dims (per-dim arguments; a 1-D
    convolution gets a height of 1). ``sizes``/``outs``: the input/output sizes of the forward
    convolution."""
    if len(stride) == 3:  # the 3-D convolutions run as 2-D ones over depth slices
        return _Spec3(stride, dilation, pads, groups, kernel, sizes, outs)
    sp = _ConvSpec()
    sp.nd = len(stride)
    if sp.nd == 1:
        stride, dilation, pads = (1, *stride), (1, *dilation), [(0, 0), *pads]
        kernel, sizes, outs = (1, *kernel), (1, *sizes), (1, *outs)
    sp.sh, sp.sw = stride
    sp.dh, sp.dw = dilation
    (sp.ph0, sp.ph1), (sp.pw0, sp.pw1) = pads
    sp.kh, sp.kw = kernel
    sp.h, sp.w = sizes
    sp.ho, sp.wo = outs
    sp.groups = groups
    return sp


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over (batch, channels, length) inputs."""
    x, sp = _plan(input, weight, bias, stride, padding, dilation, groups, None, 1, "conv1d")
    y = _conv(x, weight, bias, sp)
    return squeeze(y, 0) if input.dim() == y.dim() - 1 else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over (batch, channels, H, W) inputs."""
    x, sp = _plan(input, weight, bias, stride, padding, dilation, groups, None, 2, "conv2d")
    y = _conv(x, weight, bias, sp)
    return squeeze(y, 0) if input.dim() == y.dim() - 1 else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv2d with the same weight (a 'deconvolution'): upsamples by stride."""
    x, sp = _plan(input, weight, bias, stride, padding, dilation, groups, output_padding, 2,
                  "conv_transpose2d")
    y = _conv_input(x, weight, bias, sp, _ConvTranspose)
    return squeeze(y, 0) if input.dim() == y.dim() - 1 else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv1d with the same weight: upsamples (batch, channels, length) by
    stride."""
    x, sp = _plan(input, weight, bias, stride, padding, dilation, groups, output_padding, 1,
                  "conv_transpose1d")
    y = _conv_input(x, weight, bias, sp, _ConvTranspose)
    return squeeze(y, 0) if input.dim() == y.dim() - 1 else y


# -- 3-D: 2-D convolutions over depth slices ----------------------------------------------------
# A 3-D convolution is a sum over the kernel's depth offsets of 2-D convolutions: offset k reads
# the input's depth slices k*dilation, k*dilation + stride, ... (folded into the batch) with the
# weight's slice k. Built from differentiable ops, so every derivative order follows.
class _Spec3:
    __slots__ = ("stride", "dilation", "pads", "groups", "kernel", "sizes", "outs")

    def __init__(self, stride, dilation, pads, groups, kernel, sizes, outs):
        self.stride, self.dilation, self.pads, self.groups = stride, dilation, pads, groups
        self.kernel, self.sizes, self.outs = kernel, sizes, outs


def _zero_pad(x, dim, lo, hi):
    """x with lo zeros before and hi after along dim (negative: that many removed)."""
    if lo < 0 or hi < 0:
        x = narrow(x, dim, max(-lo, 0), x.shape[dim] - max(-lo, 0) - max(-hi, 0))
        lo, hi = max(lo, 0), max(hi, 0)
    parts = []
    for n in (lo, hi):
        shape = list(x.shape)
        shape[dim] = n
        parts.append(zeros(shape, dtype=x.dtype) if n else None)
    if parts[0] is None and parts[1] is None:
        return x
    return cat([p for p in (parts[0], x, parts[1]) if p is not None], dim)


def _depth_fold(x):
    """(n, c, d, h, w) -> (n * d, c, h, w)."""
    n, c, d, h, w = x.shape
    return reshape(permute(x, (0, 2, 1, 3, 4)), (n * d, c, h, w))


def _recording(*tensors):
    return _grad_state.enabled and any(isinstance(t, Tensor) and t._requires_grad
                                       for t in tensors)


def _conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over (batch, channels, D, H, W) inputs."""
    x, sp = _plan(input, weight, bias, stride, padding, dilation, groups, None, 3, "conv3d")
    for dim, (lo, hi) in zip((2, 3, 4), sp.pads):
        x = _zero_pad(x, dim, lo, hi)
    (sd, sh, sw), (dd, dh, dw) = sp.stride, sp.dilation
    do = sp.outs[0]
    n = x.shape[0]
    total = None
    for k in range(sp.kernel[0]):
        # depth slices k*dd, k*dd + sd, ..., one per output depth
        xs = x[:, :, k * dd:k * dd + (do - 1) * sd + 1:sd]
        y = conv2d(_depth_fold(xs), weight[:, :, k], None, (sh, sw), 0, (dh, dw), groups)
        total = y if total is None else total + y
    o, ho, wo = total.shape[1:]
    y = permute(reshape(total, (n, do, o, ho, wo)), (0, 2, 1, 3, 4))
    if bias is not None:
        y = y + reshape(bias, (-1, 1, 1, 1))
    return y if input.ndim == 5 else squeeze(y, 0)


_K_conv3d = kernel_node("ConvolutionBackward0")  # PyTorch's kernel: one node


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if isinstance(input, Tensor) and input.ndim == 4 and _recording(input, weight, bias):
        # unbatched: PyTorch runs its kernel on a batch of one (Unsqueeze, then Squeeze)
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    if padding == "same" and isinstance(input, Tensor) and isinstance(weight, Tensor) \
            and weight.ndim == 5:
        input, padding = _pad_odd(input, _same_padding(
            _conv_tuple(stride, 3, "stride"), _conv_tuple(dilation, 3, "dilation"),
            weight.shape[2:]))
    return as_kernel(_K_conv3d, (input, weight, bias), _conv3d, input, weight, bias, stride,
                     padding, dilation, groups)


conv3d.__wrapped__ = _conv3d  # its signature (help, vmap's rules)


def _conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv3d with the same weight: upsamples (batch, channels, D, H, W) by
    stride."""
    x, sp = _plan(input, weight, bias, stride, padding, dilation, groups, output_padding, 3,
                  "conv_transpose3d")
    (sd, sh, sw), (dd, dh, dw) = sp.stride, sp.dilation
    pd, ph, pw = (lo for lo, _ in sp.pads)
    n, _, d = x.shape[:3]
    full = sp.sizes[0] + 2 * pd  # output depth before the padding is cut off
    oph, opw = (o - ((i - 1) * s - 2 * p + dl * (kk - 1) + 1) for o, i, s, p, dl, kk in
                zip(sp.sizes[1:], sp.outs[1:], (sh, sw), (ph, pw), (dh, dw), sp.kernel[1:]))
    folded = _depth_fold(x)
    total = None
    for k in range(sp.kernel[0]):
        z = conv_transpose2d(folded, weight[:, :, k], None, (sh, sw), (ph, pw), (oph, opw),
                             groups, (dh, dw))
        z = reshape(z, (n, d) + tuple(z.shape[1:]))  # (n, d, o, ho, wo)
        if sd > 1:  # input slice i lands on output depth i * sd + k * dd
            z = _zero_pad(unsqueeze(z, 2), 2, 0, sd - 1)
            z = reshape(z, (n, d * sd) + tuple(z.shape[3:]))
            z = narrow(z, 1, 0, (d - 1) * sd + 1)
        z = _zero_pad(z, 1, k * dd, full - k * dd - z.shape[1])
        total = z if total is None else total + z
    y = permute(narrow(total, 1, pd, sp.sizes[0]), (0, 2, 1, 3, 4))
    if bias is not None:
        y = y + reshape(bias, (-1, 1, 1, 1))
    return y if input.ndim == 5 else squeeze(y, 0)


_K_conv_transpose3d = kernel_node("ConvolutionBackward0")  # PyTorch's kernel: one node


def conv_transpose3d(input, weight, bias=None, *args, **kwargs):
    if isinstance(input, Tensor) and input.ndim == 4 and _recording(input, weight, bias):
        # unbatched: PyTorch runs its kernel on a batch of one (Unsqueeze, then Squeeze)
        return conv_transpose3d(input.unsqueeze(0), weight, bias, *args, **kwargs).squeeze(0)
    return as_kernel(_K_conv_transpose3d, (input, weight, bias), _conv_transpose3d, input,
                     weight, bias, *args, **kwargs)


conv_transpose3d.__wrapped__ = _conv_transpose3d  # its signature (help, vmap's rules)


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution in (time, batch, channels) layout: weight (kernel, in, out), bias (out,),
    pad zeros at both ends of time."""
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    if _fw_state.active:  # PyTorch has no forward-mode rule for it
        refuse_tangents("conv_tbc", input, weight, bias)
    return as_kernel(_K_conv_tbc, (input, weight, bias), _conv_tbc, input, weight, bias, pad)


def _conv_tbc(input, weight, bias, pad):
    y = conv1d(permute(input, (1, 2, 0)), permute(weight, (2, 1, 0)), bias, 1, pad)
    return permute(y, (2, 0, 1))


_K_conv_tbc = kernel_node("ConvTbcBackward0")  # PyTorch's kernel: one node


def _kernel_padding(node, a):
    p = a["padding"]
    if p == "valid":
        return (0,)
    if p == "same":  # the padding before each dim
        return tuple(d * (k - 1) // 2 for d, k in
                     zip(kernel_ints("dilation", 3)(node, a), a["weight"].shape[2:]))
    return kernel_ints("padding", 3)(node, a)


def _kernel_bias_sizes(node, a):
    b = a["bias"]
    return (0,) if b is None else tuple(b.shape)


for _cls, _fn, _transposed in ((_K_conv3d, _conv3d, False),
                               (_K_conv_transpose3d, _conv_transpose3d, True)):
    kernel_saved(
        _cls, input="input", weight="weight", stride=kernel_ints("stride", 3),
        padding=_kernel_padding, dilation=kernel_ints("dilation", 3), groups="groups",
        transposed=lambda node, a, t=_transposed: t,
        output_padding=kernel_ints("output_padding", 3) if _transposed else
        lambda node, a: (0, 0, 0),
        bias_sym_sizes_opt=_kernel_bias_sizes)
kernel_saved(_K_conv_tbc, self="input", weight="weight", bias="bias", pad="pad")
