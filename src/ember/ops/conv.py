"""Convolution, pooling and padding ops (forward on arrays, backward in ember ops).

Everything runs on planes of two spatial dims; a 1-D input carries a height of 1. Forwards read
the input through strided windows (``as_strided`` views) copied once into columns and
multiplied with BLAS (im2col). Scatter-type adjoints loop over the kernel offsets only, adding
one whole strided slice per offset, never element by element.

The backward formulas are ember ops as well, so second derivatives work:

- convolution is the bilinear form B(x, w, g) = <conv(x, w), g>; its three partial derivatives
  (``_conv``, ``_conv_input`` = dB/dx, ``_conv_weight`` = dB/dw) are each other's gradients;
- pooling and padding are linear in the gradient: a *plan* holds a forward array map and its
  adjoint, and ``_linear`` applies either one, its gradient being the other.
"""

import math
import warnings

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._errors import note
from .._tensor import Tensor, _make
from ..autograd.grad_mode import state as _grad_state
from ._op import check_tensor, formula_node, record
from .linalg import _cpp, _word
from .shape import squeeze, unsqueeze

# the ones PyTorch also has at the top level (torch.conv2d, ...)
__all__ = ["avg_pool1d", "adaptive_avg_pool1d", "constant_pad_nd", "conv1d", "conv2d",
           "conv_transpose2d", "max_pool1d", "max_pool2d"]
FUNCTIONAL = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d",
    "max_pool2d", "pad",
]
TENSOR_METHODS = {}


def _shape_list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# =============================================================================================
# convolution
# =============================================================================================
class _ConvSpec:
    """The geometry of one convolution, as seen from its forward direction: input planes
    (h, w) padded by (ph0, ph1, pw0, pw1), kernel (kh, kw), output planes (ho, wo). ``nd`` is the
    number of spatial dims the tensors really have (1 for conv1d)."""

    __slots__ = ("sh", "sw", "dh", "dw", "ph0", "ph1", "pw0", "pw1", "groups", "h", "w", "ho",
                 "wo", "kh", "kw", "nd")

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


_ConvTranspose = formula_node("ConvolutionBackward0", *_conv_input_vjps())
_ConvInputBackward = formula_node("ConvolutionBackwardBackward0", *_conv_input_vjps())
# <conv_weight(x, g), W> = B(x, W, g)
_ConvWeightBackward = formula_node(
    "ConvolutionBackwardBackward0",
    lambda gw, x, g, sp: _conv_input(g, gw, None, sp),
    lambda gw, x, g, sp: _conv(x, gw, None, sp),
)


# -- argument checks --------------------------------------------------------------------------
def _conv_tuple(v, n, name):
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the "
            f"convolution dimensions, but got {name}={_shape_list(t)}"
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
            f"input of size: {_shape_list(xd.shape)}"
        )
        note(exc, f"{fname} takes (batch, channels, {'length' if nd == 1 else 'H, W'}) or the "
                  "same without the batch dim.")
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
        raise RuntimeError(f"dilation should be greater than zero, but got {_shape_list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_groups(wd, groups):
    if wd.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_shape_list(wd.shape)}] instead"
        )


def _check_bias(bias, wd, n, transposed):
    if bias is None:
        return
    bd = bias._data
    if bd.ndim != 1 or bd.shape[0] != n:
        t = "transposed=1, " if transposed else ""
        raise RuntimeError(
            f"Given {t}weight of size {_shape_list(wd.shape)}, expected bias to be 1-dimensional "
            f"with {n} elements, but got bias of size {_shape_list(bd.shape)} instead"
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


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, fname):
    _check_conv_common(input, weight, bias, nd, fname, False)
    xd, wd = input._data, weight._data
    wnd = wd.ndim - 2
    stride = _conv_tuple(stride, nd, "stride")
    is_str = isinstance(padding, str)
    if not is_str:
        padding = _conv_tuple(padding, nd, "padding")
    dilation = _conv_tuple(dilation, nd, "dilation")
    if wnd != nd:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {max(wnd, 0)} values to "
            f"match the convolution dimensions, but got stride={_shape_list(stride)}"
        )
    _check_params(stride, padding, dilation, groups, is_str)
    if xd.ndim == nd + 1:  # unbatched: PyTorch adds the batch dim, then squeezes it off
        out = _convnd(unsqueeze(input, 0), weight, bias, stride, padding, dilation, groups, nd,
                      fname)
        return squeeze(out, 0)
    if is_str:
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            pads = _same_padding(stride, dilation, wd.shape[2:])
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = [(p, p) for p in padding]
    _check_groups(wd, groups)
    c = xd.shape[1]
    if c != wd.shape[1] * groups:
        exc = RuntimeError(
            f"Given groups={groups}, weight of size {_shape_list(wd.shape)}, expected "
            f"input{_shape_list(xd.shape)} to have {wd.shape[1] * groups} channels, but got {c} "
            "channels instead"
        )
        note(exc, "The layer's in_channels must equal the input's dim 1 (channels).")
        raise exc
    _check_bias(bias, wd, wd.shape[0], False)
    sp = _spec(nd, stride, dilation, pads, groups, wd.shape[2:])
    sizes = xd.shape[2:]
    padded = [s + lo + hi for s, (lo, hi) in zip(sizes, pads)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, wd.shape[2:])]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
            "actual input size"
        )
    outs = [(p - e) // s + 1 for p, e, s in zip(padded, eff, stride)]
    _set_planes(sp, sizes, outs)
    return _conv(input, weight, bias, sp)


def _spec(nd, stride, dilation, pads, groups, kernel):
    sp = _ConvSpec()
    if nd == 1:
        stride, dilation, pads, kernel = (1, *stride), (1, *dilation), [(0, 0), *pads], \
            (1, *kernel)
    sp.sh, sp.sw = stride
    sp.dh, sp.dw = dilation
    (sp.ph0, sp.ph1), (sp.pw0, sp.pw1) = pads
    sp.kh, sp.kw = kernel
    sp.groups = groups
    sp.nd = nd
    return sp


def _set_planes(sp, sizes, outs):
    if sp.nd == 1:
        sizes, outs = (1, *sizes), (1, *outs)
    sp.h, sp.w = sizes
    sp.ho, sp.wo = outs


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over (batch, channels, length) inputs."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over (batch, channels, H, W) inputs."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv2d with the same weight (a 'deconvolution'): upsamples by stride."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2, "conv_transpose2d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd,
                      fname):
    _check_conv_common(input, weight, bias, nd, fname, True)
    xd, wd = input._data, weight._data
    stride = _conv_tuple(stride, nd, "stride")
    padding = _conv_tuple(padding, nd, "padding")
    output_padding = _conv_tuple(output_padding, nd, "output_padding")
    dilation = _conv_tuple(dilation, nd, "dilation")
    if wd.ndim - 2 != nd:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {max(wd.ndim - 2, 0)} "
            f"values to match the convolution dimensions, but got stride={_shape_list(stride)}"
        )
    _check_params(stride, padding, dilation, groups, False)
    if any(op < 0 for op in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if xd.ndim == nd + 1:
        out = _conv_transposend(unsqueeze(input, 0), weight, bias, stride, padding,
                                output_padding, groups, dilation, nd, fname)
        return squeeze(out, 0)
    _check_groups(wd, groups)
    c = xd.shape[1]
    if c != wd.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_shape_list(wd.shape)}, expected "
            f"input{_shape_list(xd.shape)} to have {wd.shape[0]} channels, but got {c} channels "
            "instead"
        )
    _check_bias(bias, wd, wd.shape[1] * groups, True)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ("height", "width") if nd == 2 else ("",)
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, output_padding)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    sizes = xd.shape[2:]
    outs = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in
            zip(sizes, stride, padding, dilation, wd.shape[2:], output_padding)]
    if any(o < 1 for o in outs):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, sizes))}). Calculated output "
            f"size per channel: ({' x '.join(map(str, outs))}). Output size is too small"
        )
    # the forward geometry is that of the conv whose input grad this is
    sp = _spec(nd, stride, dilation, [(p, p) for p in padding], groups, wd.shape[2:])
    _set_planes(sp, outs, sizes)
    return _conv_input(input, weight, bias, sp, _ConvTranspose)


# =============================================================================================
# linear maps with a plan: pooling at fixed indices, average pooling, padding
# =============================================================================================
def _linear(x, plan, adjoint, node=None, keep=None):
    """plan.forward(x) (or plan.adjoint): a recorded op whose gradient is the other map.
    ``keep``: a tensor the node holds only so that changing it in place is caught."""
    d = x._data
    out = plan.adjoint(d) if adjoint else plan.forward(d)
    if node is None:
        node = plan.nodes[1 if adjoint else 0]
    saved = (plan, adjoint) if keep is None else (plan, adjoint, keep)
    return record(out, node, (x,), saved)


def _linear_vjp(g, plan, adjoint, keep=None):
    return _linear(g, plan, not adjoint)


def _node_pair(name):
    return (formula_node(f"{name}Backward0", _linear_vjp),
            formula_node(f"{name}BackwardBackward0", _linear_vjp))


_MAX_NODES = _node_pair("MaxPool2DWithIndices")
_AVG_NODES = _node_pair("AvgPool2D")
_ADAPTIVE_AVG_NODES = _node_pair("AdaptiveAvgPool2D")
_ADAPTIVE_MAX_NODES = _node_pair("AdaptiveMaxPool2D")


class _Planes:
    """Shared by the pooling plans: inputs are (*lead, h, w), worked on as (b, h, w)."""

    __slots__ = ("lead", "h", "w", "ho", "wo", "nodes")

    def _in3(self, a):
        return a.reshape(math.prod(a.shape[:-2]), a.shape[-2], a.shape[-1])

    def _out(self, a, h, w):
        return a.reshape(self.lead + (h, w))


class _WindowPlan(_Planes):
    """Regular windows: kernel (kh, kw), stride, padding (ph, pw) plus the extra right/bottom
    border that ceil_mode windows reach (hi_h, hi_w), dilation."""

    __slots__ = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "hi_h", "hi_w")

    def _slices(self):
        he, we = self.sh * (self.ho - 1) + 1, self.sw * (self.wo - 1) + 1
        for i in range(self.kh):
            r = i * self.dh
            for j in range(self.kw):
                s = j * self.dw
                yield (slice(None), slice(r, r + he, self.sh), slice(s, s + we, self.sw))

    def _pad(self, a, fill):
        if not (self.ph or self.pw or self.hi_h or self.hi_w):
            return a
        b = a.shape[0]
        out = np.full((b, self.ph + self.h + self.hi_h, self.pw + self.w + self.hi_w), fill,
                      a.dtype)
        out[:, self.ph:self.ph + self.h, self.pw:self.pw + self.w] = a
        return out

    def _crop(self, a):
        if not (self.ph or self.pw or self.hi_h or self.hi_w):
            return a
        return np.ascontiguousarray(a[:, self.ph:self.ph + self.h, self.pw:self.pw + self.w])

    def _disjoint(self):
        # every input position lies in at most one window: slices can be assigned, not added
        return self.dh * (self.kh - 1) < self.sh and self.dw * (self.kw - 1) < self.sw

    def _covered(self):
        # ... and in exactly one (no zero-filling needed)
        return (self.kh == self.sh and self.kw == self.sw and self.dh == 1 and self.dw == 1
                and self.ph + self.h + self.hi_h == self.sh * self.ho
                and self.pw + self.w + self.hi_w == self.sw * self.wo)


class _MaxPlan(_WindowPlan):
    """Max pooling with its argmax fixed: forward gathers at the argmax positions, adjoint
    scatters there. ``idx`` holds, per output, the kernel offset that won."""

    __slots__ = ("idx",)

    def _windows(self, a3, fill):
        """All windows as one contiguous copy (kh*kw, b, ho, wo): arithmetic on strided views
        is several times slower than one strided copy followed by contiguous ops."""
        ap = self._pad(a3, fill)
        s0, s1, s2 = ap.strides
        win = as_strided(ap, (self.kh, self.kw, ap.shape[0], self.ho, self.wo),
                         (s1 * self.dh, s2 * self.dw, s0, s1 * self.sh, s2 * self.sw),
                         writeable=False)
        return np.ascontiguousarray(win).reshape(self.kh * self.kw, ap.shape[0], self.ho,
                                                 self.wo)

    def pool(self, x):
        """The max over each window (PyTorch's rule: the first maximum, or the last nan)."""
        x3 = self._in3(x)
        kind = x3.dtype.kind
        if kind == "f":
            fill = -np.inf
        else:
            fill = np.iinfo(x3.dtype).min if kind in "iu" else False
        cols = self._windows(x3, fill)
        n_off = cols.shape[0]
        itype = np.uint8 if n_off <= 256 else np.int32
        best = cols[0].copy()
        idx = np.zeros(best.shape, itype)
        has_nan = kind == "f" and x3.size and np.isnan(x3.sum())
        # masked assignment (np.where, copyto(where=)) is slow in NumPy: update by arithmetic
        for k in range(1, n_off):
            v = cols[k]
            upd = v > best
            if has_nan:
                upd |= np.isnan(v)
            np.maximum(best, v, out=best)  # nan propagates, as in PyTorch
            idx *= ~upd
            idx += upd * itype(k)
        self.idx = idx
        return self._out(best, self.ho, self.wo)

    def flat_indices(self):
        """Each argmax as a flat index into its input plane (what return_indices gives)."""
        ki, kj = np.divmod(self.idx.astype(np.int64), self.kw)
        rows = (np.arange(self.ho, dtype=np.int64) * self.sh - self.ph)[:, None] + ki * self.dh
        cols = (np.arange(self.wo, dtype=np.int64) * self.sw - self.pw)[None, :] + kj * self.dw
        return self._out(rows * self.w + cols, self.ho, self.wo)

    def forward(self, a):
        cols = self._windows(self._in3(a), 0)
        idx = self.idx
        out = cols[0] * (idx == 0)
        for k in range(1, cols.shape[0]):
            out += cols[k] * (idx == k)
        return self._out(out, self.ho, self.wo)

    def adjoint(self, g):
        g3 = self._in3(g)
        b = g3.shape[0]
        shape = (b, self.ph + self.h + self.hi_h, self.pw + self.w + self.hi_w)
        disjoint = self._disjoint()
        dx = np.empty(shape, g3.dtype) if disjoint and self._covered() else \
            np.zeros(shape, g3.dtype)
        idx = self.idx
        for k, sl in enumerate(self._slices()):
            if disjoint:
                np.multiply(g3, idx == k, out=dx[sl])
            else:
                dx[sl] += g3 * (idx == k)
        return self._out(self._crop(dx), self.h, self.w)


class _AvgPlan(_WindowPlan):
    """Average pooling: sums over the windows (rows, then columns) divided by ``div``."""

    __slots__ = ("div",)

    def forward(self, a):
        ap = self._pad(self._in3(a), 0)
        dt = ap.dtype
        if dt.kind != "f":
            ap = ap.astype(np.float64)
        he, we = self.sh * (self.ho - 1) + 1, self.sw * (self.wo - 1) + 1
        rows = None
        for i in range(self.kh):
            v = ap[:, i:i + he:self.sh, :]
            rows = v.copy() if rows is None else np.add(rows, v, out=rows)
        out = None
        for j in range(self.kw):
            v = rows[:, :, j:j + we:self.sw]
            out = v.copy() if out is None else np.add(out, v, out=out)
        out /= self.div
        if dt.kind != "f":
            out = np.trunc(out).astype(dt)
        return self._out(out, self.ho, self.wo)

    def adjoint(self, g):
        g3 = self._in3(g)
        gd = g3 / self.div
        b = g3.shape[0]
        hp, wp = self.ph + self.h + self.hi_h, self.pw + self.w + self.hi_w
        he, we = self.sh * (self.ho - 1) + 1, self.sw * (self.wo - 1) + 1
        rows = np.zeros((b, self.ho, wp), gd.dtype)
        for j in range(self.kw):
            rows[:, :, j:j + we:self.sw] += gd
        dx = np.zeros((b, hp, wp), gd.dtype)
        for i in range(self.kh):
            dx[:, i:i + he:self.sh, :] += rows
        return self._out(self._crop(dx), self.h, self.w)


class _MatrixPlan(_Planes):
    """Adaptive average pooling with uneven windows: out = Ah @ x @ Aw.T, Ah and Aw holding
    1/len over each window."""

    __slots__ = ("ah", "aw")

    def forward(self, a):
        x3 = self._in3(a)
        b = x3.shape[0]
        t = (x3.reshape(b * self.h, self.w) @ self.aw.T).reshape(b, self.h, self.wo)
        return self._out(np.matmul(self.ah, t), self.ho, self.wo)

    def adjoint(self, g):
        g3 = self._in3(g)
        b = g3.shape[0]
        t = (g3.reshape(b * self.ho, self.wo) @ self.aw).reshape(b, self.ho, self.w)
        return self._out(np.matmul(self.ah.T, t), self.h, self.w)


class _IndexPlan(_Planes):
    """Adaptive max pooling with uneven windows: gather/scatter at flat plane indices."""

    __slots__ = ("flat",)

    def forward(self, a):
        x3 = self._in3(a)
        b = x3.shape[0]
        out = np.take_along_axis(x3.reshape(b, -1), self.flat.reshape(b, -1), 1)
        return self._out(out, self.ho, self.wo)

    def adjoint(self, g):
        g3 = self._in3(g)
        b = g3.shape[0]
        hw = self.h * self.w
        pos = (self.flat.reshape(b, -1) + (np.arange(b) * hw)[:, None]).ravel()
        # bincount handles positions that several windows picked (adaptive windows overlap)
        out = np.bincount(pos, weights=g3.reshape(-1), minlength=b * hw)
        return self._out(out.astype(g3.dtype, copy=False), self.h, self.w)


# -- pooling argument checks ------------------------------------------------------------------
def _pool_pair(v, name, fname, what="must either be a single int, or a tuple of two ints"):
    if isinstance(v, int):
        return (v, v)
    t = tuple(v)
    if len(t) == 1:
        return (t[0], t[0])
    if len(t) != 2:
        raise RuntimeError(f"{fname}: {name} {what}")
    return t


def _pool_out(size, k, s, p, d, ceil):
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool_input(d, fname):
    nd = d.ndim
    if nd not in (3, 4):
        if fname == "avg_pool2d" and nd < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                             f"{nd - 1}], but got -3)")
        if nd < 3 or fname == "max_pool2d":
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{_shape_list(d.shape)}")
    if any(s == 0 for s in d.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{_shape_list(d.shape)}")


def _window_plan(cls, d, kernel, stride, padding, dilation, ceil_mode, nodes):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}"
        )
    if ph < 0 or pw < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {ph if ph < 0 else pw}")
    for p, k, dl in ((ph, kh, dh), (pw, kw, dw)):
        if p > ((k - 1) * dl + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={dl}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    h, w = d.shape[-2:]
    ho = _pool_out(h, kh, sh, ph, dh, ceil_mode)
    wo = _pool_out(w, kw, sw, pw, dw, ceil_mode)
    if ho < 1 or wo < 1:
        c = d.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{ho}x{wo}). Output size is too small")
    plan = cls()
    plan.lead = d.shape[:-2]
    plan.h, plan.w, plan.ho, plan.wo = h, w, ho, wo
    plan.kh, plan.kw, plan.sh, plan.sw = kh, kw, sh, sw
    plan.ph, plan.pw, plan.dh, plan.dw = ph, pw, dh, dw
    plan.hi_h = max(0, (ho - 1) * sh + dh * (kh - 1) + 1 - h - ph)
    plan.hi_w = max(0, (wo - 1) * sw + dw * (kw - 1) + 1 - w - pw)
    plan.nodes = nodes
    return plan


def _float_check(d, fname):
    if d.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_word(d.dtype)}'")


# -- max pooling ------------------------------------------------------------------------------
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum over each kernel_size window (stride defaults to kernel_size)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "max_pool2d", "input", 1)
    d = input._data
    kernel = _pool_pair(kernel_size, "kernel_size", "max_pool2d")
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        stride = kernel
    else:
        stride = _pool_pair(stride, "stride", "max_pool2d",
                            "must either be omitted, a single int, or a tuple of two ints")
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    padding = _pool_pair(padding, "padding", "max_pool2d")
    dilation = _pool_pair(dilation, "dilation", "max_pool2d",
                          "must be either a single int, or a tuple of two ints")
    _check_pool_input(d, "max_pool2d")
    if d.dtype.kind == "b":
        raise NotImplementedError("\"max_pool2d\" not implemented for 'Bool'")
    plan = _window_plan(_MaxPlan, d, kernel, stride, padding, dilation, ceil_mode, _MAX_NODES)
    return _max_result(input, plan, return_indices)


def _max_result(input, plan, return_indices, node=None):
    out = plan.pool(input._data)
    t = record(out, node or plan.nodes[0], (input,), (plan, False, input))
    if return_indices:
        return t, _make(plan.flat_indices())
    return t


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool2d over (batch, channels, length) inputs, as PyTorch does it (height 1)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "max_pool1d", "input", 1)
    d = input._data
    k = _single(kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _single(stride)
    p, dl = _single(padding), _single(dilation)
    if d.ndim not in (2, 3) or any(x == 0 for x in d.shape[-2:]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{_shape_list(d.shape)}")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if dl <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dl}")
    lo = _pool_out(d.shape[-1], k, s, p, dl, ceil_mode)
    if lo <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {lo}")
    res = max_pool2d(unsqueeze(input, -2), (1, k), (1, s), (0, p), (1, dl), ceil_mode,
                     return_indices)
    if return_indices:
        return squeeze(res[0], -2), _make(res[1]._data.squeeze(-2))
    return squeeze(res, -2)


def _single(v):
    if isinstance(v, int):
        return v
    t = tuple(v)
    return t[0] if len(t) == 1 else t


# -- average pooling --------------------------------------------------------------------------
def _avg_divisor(plan, count_include_pad, divisor_override, dtype):
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return dtype.type(divisor_override)
    lens = []
    for n, o, k, s, p in ((plan.h, plan.ho, plan.kh, plan.sh, plan.ph),
                          (plan.w, plan.wo, plan.kw, plan.sw, plan.pw)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        whole = end - start
        valid = np.minimum(end, n) - np.maximum(start, 0)
        lens.append(whole if count_include_pad else valid)
    lh, lw = lens
    if (lh == lh[0]).all() and (lw == lw[0]).all():
        return dtype.type(lh[0] * lw[0])  # one number: the common case, cheaper to divide by
    return np.multiply.outer(lh, lw).astype(dtype)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean over each kernel_size window (stride defaults to kernel_size)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "avg_pool2d", "input", 1)
    d = input._data
    kernel = _pool_pair(kernel_size, "kernel_size", "avg_pool2d")
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        stride = kernel
    else:
        stride = _pool_pair(stride, "stride", "avg_pool2d",
                            "must either be omitted, a single int, or a tuple of two ints")
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    padding = _pool_pair(padding, "padding", "avg_pool2d")
    _check_pool_input(d, "avg_pool2d")
    if d.dtype.kind == "b":
        raise NotImplementedError("\"avg_pool2d\" not implemented for 'Bool'")
    plan = _window_plan(_AvgPlan, d, kernel, stride, padding, (1, 1), ceil_mode, _AVG_NODES)
    div_dtype = d.dtype if d.dtype.kind == "f" else np.dtype(np.float64)
    plan.div = _avg_divisor(plan, count_include_pad, divisor_override, div_dtype)
    return _linear(input, plan, False, keep=input)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """avg_pool2d over (batch, channels, length) inputs (height 1)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "avg_pool1d", "input", 1)
    d = input._data
    if d.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {d.ndim}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for avg_pool1d)")
    k = _single(kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _single(stride)
    out = avg_pool2d(unsqueeze(input, -2), (1, k), (1, s), (0, _single(padding)), ceil_mode,
                     count_include_pad)
    return squeeze(out, -2)


# -- adaptive pooling -------------------------------------------------------------------------
def _adaptive_sizes(d, output_size, fname):
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        if fname == "adaptive_max_pool2d":
            raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must "
                               "be 2")
        raise RuntimeError(f"{fname}: output_size must be 2")
    h, w = d.shape[-2:]
    ho = h if output_size[0] is None else output_size[0]
    wo = w if output_size[1] is None else output_size[1]
    if ho < 0 or wo < 0:
        raise RuntimeError(f"{fname}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{ho}, {wo}}}")
    return ho, wo


def _check_adaptive_input(d, fname):
    if d.ndim not in (3, 4):
        sep = ": " if fname == "adaptive_max_pool2d" else " "
        raise RuntimeError(f"{fname}(): Expected 3D or 4D tensor, but got{sep}"
                           f"{_shape_list(d.shape)}")
    for i in range(d.ndim - 3, d.ndim):
        if d.shape[i] == 0:
            raise RuntimeError(
                f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {_shape_list(d.shape)} with dimension {i} being empty"
            )


def _bounds(n, o):
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)  # floor(i*n/o), ceil((i+1)*n/o)


def _averaging_matrix(n, o, dtype):
    start, end = _bounds(n, o)
    pos = np.arange(n)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(input, output_size):
    """Averages over output_size windows that evenly cover the input planes."""
    if not isinstance(input, Tensor):
        check_tensor(input, "adaptive_avg_pool2d", "input", 1)
    d = input._data
    _check_adaptive_input(d, "adaptive_avg_pool2d")
    ho, wo = _adaptive_sizes(d, output_size, "adaptive_avg_pool2d")
    _float_check(d, "adaptive_avg_pool2d")
    h, w = d.shape[-2:]
    if ho == 1 and wo == 1:
        return input.mean((-2, -1), keepdim=True)  # PyTorch takes a mean here too
    if ho and wo and h % ho == 0 and w % wo == 0:
        plan = _window_plan(_AvgPlan, d, (h // ho, w // wo), (h // ho, w // wo), (0, 0), (1, 1),
                            False, _ADAPTIVE_AVG_NODES)
        plan.div = d.dtype.type((h // ho) * (w // wo))
    else:
        plan = _MatrixPlan()
        plan.lead, plan.h, plan.w, plan.ho, plan.wo = d.shape[:-2], h, w, ho, wo
        plan.ah = _averaging_matrix(h, ho, d.dtype)
        plan.aw = _averaging_matrix(w, wo, d.dtype)
        plan.nodes = _ADAPTIVE_AVG_NODES
    return _linear(input, plan, False, keep=input)


def adaptive_avg_pool1d(input, output_size):
    if not isinstance(input, Tensor):
        check_tensor(input, "adaptive_avg_pool1d", "input", 1)
    d = input._data
    if d.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {d.ndim}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for adaptive_avg_pool1d)")
    o = _one_int(output_size, "adaptive_avg_pool1d")
    return squeeze(adaptive_avg_pool2d(unsqueeze(input, -2), (1, o)), -2)


def _one_int(v, fname):
    if isinstance(v, int):
        return v
    t = tuple(v)
    if len(t) != 1:
        raise RuntimeError(f"{fname}() argument 'output_size' should contain one int (got "
                           f"{len(t)})")
    return t[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum over output_size windows that evenly cover the input planes."""
    if not isinstance(input, Tensor):
        check_tensor(input, "adaptive_max_pool2d", "input", 1)
    d = input._data
    _check_adaptive_input(d, "adaptive_max_pool2d")
    ho, wo = _adaptive_sizes(d, output_size, "adaptive_max_pool2d")
    if d.dtype.kind not in "f":
        raise NotImplementedError(f"\"adaptive_max_pool2d\" not implemented for "
                                  f"'{_word(d.dtype)}'")
    h, w = d.shape[-2:]
    if ho and wo and h % ho == 0 and w % wo == 0:
        plan = _window_plan(_MaxPlan, d, (h // ho, w // wo), (h // ho, w // wo), (0, 0), (1, 1),
                            False, _ADAPTIVE_MAX_NODES)
        return _max_result(input, plan, return_indices)
    plan = _IndexPlan()
    plan.lead, plan.h, plan.w, plan.ho, plan.wo = d.shape[:-2], h, w, ho, wo
    plan.nodes = _ADAPTIVE_MAX_NODES
    out = _adaptive_max_arr(d.reshape(-1, h, w), plan)
    t = record(plan._out(out, ho, wo), plan.nodes[0], (input,), (plan, False, input))
    if return_indices:
        return t, _make(plan._out(plan.flat, ho, wo))
    return t


def _adaptive_max_arr(x3, plan):
    """Max over uneven windows, separably: along each row, then down the columns; scanning
    each window's offsets in order gives PyTorch's first maximum (or last nan)."""
    h, w, ho, wo = plan.h, plan.w, plan.ho, plan.wo
    has_nan = x3.size and np.isnan(x3.sum())

    def scan(a, axis, n, o, carry=None):
        start, end = _bounds(n, o)
        best = arg = picked = None
        for t in range(int((end - start).max()) if o else 0):
            pos = np.minimum(start + t, end - 1)  # short windows repeat their last element
            v = np.take(a, pos, axis=axis)
            c = None if carry is None else np.take(carry, pos, axis=axis)
            if best is None:
                best = v
                arg = np.broadcast_to(pos.reshape((-1, 1) if axis == 1 else (1, -1)),
                                      v.shape).copy()
                picked = c
                continue
            upd = v > best
            if has_nan:
                upd |= np.isnan(v)
            np.copyto(best, v, where=upd)
            np.copyto(arg, pos.reshape((-1, 1) if axis == 1 else (1, -1)), where=upd)
            if c is not None:
                np.copyto(picked, c, where=upd)
        return best, arg, picked

    b = x3.shape[0]
    if not ho or not wo:
        plan.flat = np.zeros((b, ho, wo), np.int64)
        return np.zeros((b, ho, wo), x3.dtype)
    best_w, col, _ = scan(x3, 2, w, wo)
    best, row, col = scan(best_w, 1, h, ho, col)
    plan.flat = row * w + col
    return best


def adaptive_max_pool1d(input, output_size, return_indices=False):
    if not isinstance(input, Tensor):
        check_tensor(input, "adaptive_max_pool1d", "input", 1)
    d = input._data
    if d.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {d.ndim}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for adaptive_max_pool1d)")
    o = _one_int(output_size, "adaptive_max_pool1d")
    res = adaptive_max_pool2d(unsqueeze(input, -2), (1, o), return_indices)
    if return_indices:
        return squeeze(res[0], -2), _make(res[1]._data.squeeze(-2))
    return squeeze(res, -2)


# =============================================================================================
# padding
# =============================================================================================
_ConstantPad = formula_node("ConstantPadNdBackward0",
                            lambda g, pads: _constant_pad(g, tuple(-p for p in pads), 0))


def _constant_pad(input, pads, value):
    d = input._data
    n = len(pads) // 2
    shape = list(d.shape)
    src, dst = [slice(None)] * d.ndim, [slice(None)] * d.ndim
    for i in range(n):
        ax = d.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        size = shape[ax] + lo + hi
        if size < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        shape[ax] = size
        src[ax] = slice(max(-lo, 0), d.shape[ax] - max(-hi, 0))
        dst[ax] = slice(max(lo, 0), size - max(hi, 0))
    out = np.full(shape, value if value is not None else 0, d.dtype)
    out[tuple(dst)] = d[tuple(src)]
    return record(out, _ConstantPad, (input,), (tuple(pads),))


def constant_pad_nd(input, pad, value=0):
    """pad(input, pad, 'constant', value) (PyTorch's top-level name)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "constant_pad_nd", "input", 1)
    return _constant_pad(input, tuple(pad), value)


class _GatherPlan:
    """reflect / replicate / circular padding: each padded axis reads the input at an index
    array; the adjoint adds the border gradients back onto the positions they came from."""

    __slots__ = ("axes", "nodes")  # axes: (axis, index array, lo, size)

    def forward(self, a):
        for ax, idx, _, _ in self.axes:
            a = np.take(a, idx, axis=ax)
        return a

    def adjoint(self, g):
        for ax, idx, lo, size in reversed(self.axes):
            # the middle maps one to one (copied whole); only the border positions loop
            first = max(lo, 0)
            hi = len(idx) - size - lo
            count = max(size - max(-lo, 0) - max(-hi, 0), 0)
            shape = list(g.shape)
            shape[ax] = size
            out = np.zeros(shape, g.dtype)
            dst, src = [slice(None)] * g.ndim, [slice(None)] * g.ndim
            dst[ax] = slice(max(-lo, 0), max(-lo, 0) + count)
            src[ax] = slice(first, first + count)
            out[tuple(dst)] = g[tuple(src)]
            for pos in [*range(first), *range(first + count, len(idx))]:
                src[ax] = pos
                dst[ax] = int(idx[pos])
                out[tuple(dst)] += g[tuple(src)]
            g = out
        return g


_PAD_NODES = {}


def _pad_nodes(mode, n):
    key = (mode, n)
    if key not in _PAD_NODES:
        name = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}.get(mode)
        if name is None:
            _PAD_NODES[key] = _node_pair("CircularPad")  # PyTorch records CopySlices there
        else:
            _PAD_NODES[key] = _node_pair(f"{name}{n}D")
    return _PAD_NODES[key]


def pad(input, pad, mode="constant", value=None):
    """Pads the last len(pad)//2 dims: pad = (left, right, top, bottom, ...) from the last dim
    backwards. mode: 'constant' (with value), 'reflect', 'replicate' or 'circular'."""
    if not isinstance(input, Tensor):
        check_tensor(input, "pad", "input", 1)
    pads = tuple(pad)
    for i, p in enumerate(pads):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {i}")
    d = input._data
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) // 2 > d.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pads)} and input of dimension {d.ndim}"
        )
    if mode == "constant":
        return _constant_pad(input, pads, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    n = len(pads) // 2
    if n not in (1, 2, 3) or d.ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pads)} is not supported for {d.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    plan = _GatherPlan()
    axes = []
    for i in range(n):
        ax = d.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        size = d.shape[ax]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {ax} of input "
                f"{_shape_list(d.shape)}"
            )
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        pos = np.arange(-lo, size + hi)  # negative pads crop
        if mode == "reflect":
            pos = np.abs(pos)
            pos = np.where(pos >= size, 2 * (size - 1) - pos, pos)
        elif mode == "replicate":
            pos = np.clip(pos, 0, size - 1)
        else:
            pos = pos % size
        axes.append((ax, pos, lo, size))
    plan.axes = axes
    plan.nodes = _pad_nodes(mode, n)
    return _linear(input, plan, False)

