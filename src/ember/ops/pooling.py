"""Pooling: max, average and adaptive pooling over 1-D and 2-D inputs (planned kernels), and
over 3-D inputs, power-average pooling and max unpooling (built from differentiable ops).

Every plan works on planes of two spatial dims, as (batch, h, w); a 1-D input carries a height
of 1. Pooling is linear in its input once the max positions are fixed: each plan holds the
forward array map and its adjoint (see ``linear_map``), so second derivatives work.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor, _make
from ..autograd.grad_mode import no_grad
from ..autograd.graph import name_saved
from ._nn_common import (
    as_kernel,
    kept,
    kernel_node,
    kernel_result,
    kernel_saved,
    linear_map,
    node_pair,
    shape_list,
)
from ._op import check_tensor, record
from .linalg import _word
from .random import rand as _rand
from .shape import squeeze, unsqueeze

# the ones PyTorch also has at the top level (torch.max_pool2d, ...)
__all__ = ["avg_pool1d", "adaptive_avg_pool1d", "max_pool1d", "max_pool2d"]
FUNCTIONAL = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d",
]
TENSOR_METHODS = {}

_MAX_NODES = node_pair("MaxPool2DWithIndices")
_AVG_NODES = node_pair("AvgPool2D")
_ADAPTIVE_AVG_NODES = node_pair("AdaptiveAvgPool2D")
_ADAPTIVE_MAX_NODES = node_pair("AdaptiveMaxPool2D")


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

    __slots__ = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "hi_h", "hi_w", "given")

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
        if kind in "fV":
            fill = -np.inf
        else:
            fill = np.iinfo(x3.dtype).min if kind in "iu" else False
        cols = self._windows(x3, fill)
        best, idx = self._argmax(cols, False)
        # a nan anywhere in a window reaches its maximum (np.maximum propagates it): only then
        # the indices go again by PyTorch's rule for nan (the last one in the window)
        if kind in "fV" and best.size and np.isnan(best.sum()):
            best, idx = self._argmax(cols, True)
        self.idx = idx
        return self._out(best, self.ho, self.wo)

    @staticmethod
    def _argmax(cols, nan_rule):
        """Each window's maximum and the offset of its first maximum (of its last nan, with
        ``nan_rule``)."""
        n_off = cols.shape[0]
        itype = np.uint8 if n_off <= 256 else np.int32
        best = cols[0].copy()
        idx = np.zeros(best.shape, itype)
        # masked assignment (np.where, copyto(where=)) is slow in NumPy: update by arithmetic
        for k in range(1, n_off):
            v = cols[k]
            upd = v > best
            if nan_rule:
                upd |= np.isnan(v)
            np.maximum(best, v, out=best)  # nan propagates, as in PyTorch
            idx *= ~upd
            idx += upd * itype(k)
        return best, idx

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
        if dt.kind not in "fV":
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
        if dt.kind not in "fV":
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

    def flat_indices(self):
        return self._out(self.flat, self.ho, self.wo)

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
                           f"for input, but got:{shape_list(d.shape)}")
    if any(s == 0 for s in d.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{shape_list(d.shape)}")


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


def _pool_plan(cls, input, kernel_size, stride, padding, dilation, ceil_mode, nodes, fname):
    """max_pool2d's and avg_pool2d's argument checks (in PyTorch's order; avg_pool2d has no
    dilation: None), then their window plan."""
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    d = input._data
    kernel = _pool_pair(kernel_size, "kernel_size", fname)
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):  # omitted
        stride = kernel
    else:
        stride = _pool_pair(stride, "stride", fname,
                            "must either be omitted, a single int, or a tuple of two ints")
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    padding = _pool_pair(padding, "padding", fname)
    if dilation is None:
        dilation = (1, 1)
    else:
        dilation = _pool_pair(dilation, "dilation", fname,
                              "must be either a single int, or a tuple of two ints")
    _check_pool_input(d, fname)
    if d.dtype.kind == "b":
        raise NotImplementedError(f"\"{fname}\" not implemented for 'Bool'")
    return _window_plan(cls, d, kernel, stride, padding, dilation, ceil_mode, nodes)


# the 1-D forms pool planes of height 1
def _single(v):
    if isinstance(v, int):
        return v
    t = tuple(v)
    return t[0] if len(t) == 1 else t


def _single_window(kernel_size, stride):
    k = _single(kernel_size)
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        return k, k
    return k, _single(stride)


def _check_input_1d(input, fname):
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {nd}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {fname})")


def _squeeze_height(res, return_indices):
    if return_indices:
        return squeeze(res[0], -2), _make(res[1]._data.squeeze(-2))
    return squeeze(res, -2)


def _float_check(d, fname):
    if d.dtype.kind not in "fcV":
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_word(d.dtype)}'")


# -- max pooling ------------------------------------------------------------------------------
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum over each kernel_size window (stride defaults to kernel_size)."""
    plan = _pool_plan(_MaxPlan, input, kernel_size, stride, padding, dilation, ceil_mode,
                      _MAX_NODES, "max_pool2d")
    plan.given = (kernel_size, stride, padding, dilation, ceil_mode)  # as grad_fn shows them
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
    k, s = _single_window(kernel_size, stride)
    p, dl = _single(padding), _single(dilation)
    if d.ndim not in (2, 3) or any(x == 0 for x in d.shape[-2:]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{shape_list(d.shape)}")
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
    return _squeeze_height(res, return_indices)


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
    plan = _pool_plan(_AvgPlan, input, kernel_size, stride, padding, None, ceil_mode,
                      _AVG_NODES, "avg_pool2d")
    plan.given = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    d = input._data
    div_dtype = d.dtype if d.dtype.kind in "fV" else np.dtype(np.float64)
    plan.div = _avg_divisor(plan, count_include_pad, divisor_override, div_dtype)
    return linear_map(input, plan, False, keep=input)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """avg_pool2d over (batch, channels, length) inputs (height 1)."""
    _check_input_1d(input, "avg_pool1d")
    k, s = _single_window(kernel_size, stride)
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
                           f"{shape_list(d.shape)}")
    for i in range(d.ndim - 3, d.ndim):
        if d.shape[i] == 0:
            raise RuntimeError(
                f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {shape_list(d.shape)} with dimension {i} being empty"
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
    return linear_map(input, plan, False, keep=input)


def adaptive_avg_pool1d(input, output_size):
    _check_input_1d(input, "adaptive_avg_pool1d")
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
    if d.dtype.kind not in "fV":
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
        return t, _make(plan.flat_indices())
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
    _check_input_1d(input, "adaptive_max_pool1d")
    o = _one_int(output_size, "adaptive_max_pool1d")
    res = adaptive_max_pool2d(unsqueeze(input, -2), (1, o), return_indices)
    return _squeeze_height(res, return_indices)



# -- 3-D, power-average and unpooling (built from differentiable ops) ---------------------------
# A window op over nd spatial dims gathers every window of the input at once with one advanced
# index: (n, c, *out, *kernel), positions outside the input masked; max, mean and sums over the
# last axes then give the pooled values, and their gradients of every order follow.
def _gather_windows(x, positions, fill):
    """x (n, c, *spatial) and per spatial dim an (out, k) array of input positions (outside
    [0, size) where padding is) -> (n, c, *out, k_total), the outside positions set to
    fill."""
    nd = len(positions)
    idx, mask = [], None
    for i, (pos, size) in enumerate(zip(positions, x.shape[2:])):
        o, k = pos.shape
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = o, k
        valid = ((pos >= 0) & (pos < size)).reshape(shape)
        mask = valid if mask is None else mask & valid
        idx.append(_make(np.clip(pos, 0, size - 1).reshape(shape).astype(np.int64)))
    win = x[(slice(None), slice(None), *idx)]
    outs = tuple(p.shape[0] for p in positions)
    k_total = int(np.prod([p.shape[1] for p in positions]))
    win = win.reshape(tuple(x.shape[:2]) + outs + (k_total,))
    if not mask.all():
        keep = _make(np.broadcast_to(mask, mask.shape).reshape(outs + (k_total,)))
        win = win.masked_fill(~keep, fill)
    return win, mask


def _tuple3(v, name, fname, what="must either be a single int, or a tuple of three ints"):
    if isinstance(v, int):
        return (v,) * 3
    t = tuple(v)
    if len(t) == 1:
        return t * 3
    if len(t) != 3:
        raise RuntimeError(f"{fname}: {name} {what}")
    return t


def _window_positions(size, k, s, p, d, o):
    return np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d


def _pool3d_plan(input, kernel_size, stride, padding, dilation, ceil_mode, fname):
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    d = input._data
    kernel = _tuple3(kernel_size, "kernel_size", fname)
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        stride = kernel
    else:
        stride = _tuple3(stride, "stride", fname,
                         "must either be omitted, a single int, or a tuple of three ints")
    padding = _tuple3(padding, "padding", fname)
    dilation = _tuple3(dilation if dilation is not None else 1, "dilation", fname,
                       "must be either a single int, or a tuple of three ints")
    if d.ndim not in (4, 5) or any(s == 0 for s in d.shape[-4:]):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kernel[0]} "
                           f"kH: {kernel[1]} kW: {kernel[2]}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {stride[0]} dH: "
                           f"{stride[1]} dW: {stride[2]}")
    for p, k, dl in zip(padding, kernel, dilation):
        if p > ((k - 1) * dl + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={dl}")
    sizes = d.shape[-3:]
    outs = [_pool_out(n, k, s, p, dl, ceil_mode)
            for n, k, s, p, dl in zip(sizes, kernel, stride, padding, dilation)]
    if any(o < 1 for o in outs):
        c = d.shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{'x'.join(map(str, sizes))}). Calculated "
                           f"output size: ({c}x{'x'.join(map(str, outs))}). Output size is too "
                           "small")
    x = input if d.ndim == 5 else unsqueeze(input, 0)
    positions = [_window_positions(n, k, s, p, dl, o) for n, k, s, p, dl, o in
                 zip(sizes, kernel, stride, padding, dilation, outs)]
    return x, positions, (kernel, stride, padding, outs)


def _flat_indices(positions, sizes, arg):
    """The input's flat spatial index of each window's maximum (arg: the argmax over the
    window's flattened kernel axis, shape (n, c, *out))."""
    ks = [p.shape[1] for p in positions]
    offs = np.unravel_index(arg, ks)
    flat = np.zeros(arg.shape, np.int64)
    for i, (pos, size) in enumerate(zip(positions, sizes)):
        shape = [1] * arg.ndim
        shape[2 + i] = pos.shape[0]
        row = np.arange(pos.shape[0]).reshape(shape)
        flat = flat * size + pos[row, offs[i]]
    return flat


def _max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum over sliding windows of (batch, channels, D, H, W) inputs."""
    if not isinstance(input, Tensor):
        check_tensor(input, "max_pool3d", "input", 1)
    _float_check(input._data, "max_pool3d")
    x, positions, _ = _pool3d_plan(input, kernel_size, stride, padding, dilation, ceil_mode,
                                   "max_pool3d")
    win, _ = _gather_windows(x, positions, float("-inf"))
    out, arg = win.max(-1)
    if x is not input:
        out = squeeze(out, 0)
    if not return_indices:
        return out
    idx = _flat_indices(positions, x.shape[2:], arg._data)
    return out, _make(idx if x is input else idx[0])


_K_max_pool3d = kernel_node("MaxPool3DWithIndicesBackward0")  # PyTorch's kernel: one node


def max_pool3d(input, *args, **kwargs):
    return as_kernel(_K_max_pool3d, (input,), _max_pool3d, input, *args,
                     **kwargs)


max_pool3d.__wrapped__ = _max_pool3d  # its signature (help, vmap's rules)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean over sliding windows of (batch, channels, D, H, W) inputs."""
    if not isinstance(input, Tensor):
        check_tensor(input, "avg_pool3d", "input", 1)
    _float_check(input._data, "avg_pool3d_out_frame")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x, positions, (kernel, stride, padding, outs) = _pool3d_plan(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")
    win, _ = _gather_windows(x, positions, 0.0)
    total = win.sum(-1)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        div = np.ones(outs, np.int64)
        for i, (n, k, s, p, o) in enumerate(zip(x.shape[2:], kernel, stride, padding, outs)):
            start = np.arange(o) * s - p
            end = np.minimum(start + k, n + p)
            if count_include_pad:
                length = end - start
            else:
                length = np.minimum(end, n) - np.maximum(start, 0)
            shape = [1, 1, 1]
            shape[i] = o
            div = div * length.reshape(shape)
        out = total / _make(div.astype(input._data.dtype))
    return out if x is input else squeeze(out, 0)


_K_avg_pool3d = kernel_node("AvgPool3DBackward0")  # PyTorch's kernel: one node


def avg_pool3d(input, *args, **kwargs):
    return as_kernel(_K_avg_pool3d, (input,), _avg_pool3d, input, *args,
                     **kwargs)


avg_pool3d.__wrapped__ = _avg_pool3d  # its signature (help, vmap's rules)


def _adaptive_positions(n, o):
    start = (np.arange(o) * n) // o
    end = -((-(np.arange(o) + 1) * n) // o)
    k = int((end - start).max())
    pos = start[:, None] + np.arange(k)[None, :]
    return np.where(pos < end[:, None], pos, -1)  # -1: outside the window (masked)


def _adaptive3d(input, output_size, fname, shape_word):
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    d = input._data
    if d.ndim not in (4, 5):
        raise RuntimeError(f"{fname}(): Expected 4D or 5D tensor, but got{shape_word}"
                           f"{shape_list(d.shape)}")
    sizes = d.shape[-3:]
    outs = _tuple3(output_size, "output_size", fname)
    outs = tuple(n if o is None else o for n, o in zip(sizes, outs))
    x = input if d.ndim == 5 else unsqueeze(input, 0)
    return x, [_adaptive_positions(n, o) for n, o in zip(sizes, outs)]


def _adaptive_avg_pool3d(input, output_size):
    """Averages over an output_size grid of windows that evenly cover each volume."""
    x, positions = _adaptive3d(input, output_size, "adaptive_avg_pool3d", " ")
    win, mask = _gather_windows(x, positions, 0.0)
    counts = mask.reshape(mask.shape[:3] + (-1,)).sum(-1)
    out = win.sum(-1) / _make(counts.astype(input._data.dtype))
    return out if x is input else squeeze(out, 0)


_K_adaptive_avg_pool3d = kernel_node("AdaptiveAvgPool3DBackward0")  # PyTorch's kernel: one node


def adaptive_avg_pool3d(input, *args, **kwargs):
    return as_kernel(_K_adaptive_avg_pool3d, (input,), _adaptive_avg_pool3d, input, *args,
                     **kwargs)


adaptive_avg_pool3d.__wrapped__ = _adaptive_avg_pool3d  # its signature (help, vmap's rules)


def _adaptive_max_pool3d(input, output_size, return_indices=False):
    """The maximum over an output_size grid of windows that evenly cover each volume."""
    x, positions = _adaptive3d(input, output_size, "adaptive_max_pool3d", ": ")
    win, _ = _gather_windows(x, positions, float("-inf"))
    out, arg = win.max(-1)
    if x is not input:
        out = squeeze(out, 0)
    if not return_indices:
        return out
    idx = _flat_indices(positions, x.shape[2:], arg._data)
    return out, _make(idx if x is input else idx[0])


_K_adaptive_max_pool3d = kernel_node("AdaptiveMaxPool3DBackward0")  # PyTorch's kernel: one node


def adaptive_max_pool3d(input, *args, **kwargs):
    return as_kernel(_K_adaptive_max_pool3d, (input,), _adaptive_max_pool3d, input, *args,
                     **kwargs)


adaptive_max_pool3d.__wrapped__ = _adaptive_max_pool3d  # its signature (help, vmap's rules)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def _lp(avg, norm_type, count):
    """(sum of x^p over the window)^(1/p) from the window mean of x^p."""
    return (avg.sign() * avg.abs().relu()).mul(count).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm over sliding windows of (batch, channels, length) inputs."""
    avg = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(avg, norm_type, kernel_size if isinstance(kernel_size, int) else kernel_size[0])


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm over sliding windows of (batch, channels, H, W) inputs."""
    kh, kw = _pool_pair(kernel_size, "kernel_size", "avg_pool2d")
    avg = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(avg, norm_type, kh * kw)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm over sliding windows of (batch, channels, D, H, W) inputs."""
    kd, kh, kw = _tuple3(kernel_size, "kernel_size", "avg_pool3d")
    avg = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(avg, norm_type, kd * kh * kw)


def _unpool(input, indices, kernel_size, stride, padding, output_size, nd, fname):
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    k = (kernel_size,) * nd if isinstance(kernel_size, int) else tuple(kernel_size)
    s = k if stride is None else ((stride,) * nd if isinstance(stride, int) else tuple(stride))
    p = (padding,) * nd if isinstance(padding, int) else tuple(padding)
    sizes = tuple(input.shape[-nd:])
    default = [(n - 1) * st - 2 * pd + kk for n, st, pd, kk in zip(sizes, s, p, k)]
    if output_size is None:
        outs = default
    else:
        outs = output_size  # kept as given: the error text shows it so
        if len(outs) == nd + 2:
            outs = outs[2:]
        elif len(outs) == nd + 1 and input.dim() == nd + 2:
            outs = outs[1:]
        if len(outs) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(outs)}'")
        for i, (o, dflt) in enumerate(zip(outs, default)):
            lo, hi = dflt - s[i], dflt + s[i]
            if not lo < o < hi:
                raise ValueError(f'invalid output_size "{outs}" (dim {i} must be between '
                                 f"{lo} and {hi})")
    idx = indices._data
    if idx.dtype != np.int64:
        got = "" if nd == 3 else f" but got: {_word(idx.dtype)}"  # PyTorch's 3-D text stops
        raise RuntimeError(f"elements in indices should be type int64{got}")
    if idx.shape != input._data.shape:
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({shape_list(input.shape)}) but got indices tensor with shape: "
            f"{shape_list(idx.shape)}")
    total = int(np.prod(outs))
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        bad = int(idx[(idx < 0) | (idx >= total)].flat[0])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, outs))})")
    outs = tuple(int(o) for o in outs)
    if nd == 1:  # PyTorch's 1-d unpooling: the 2-d kernel on a trailing unit dimension
        column = unsqueeze(input, -1)
        return squeeze(as_kernel(_K_max_unpool[2], (column,), _scatter_back, column, idx,
                                 outs + (1,)), -1)
    return as_kernel(_K_max_unpool[nd], (input,), _scatter_back, input, idx, outs)


def _scatter_back(input, idx, outs):
    """max_unpool's values put back at their flat indices in each plane of size outs."""
    lead = tuple(input.shape[:input.ndim - len(outs)])
    rows = int(np.prod(lead)) if lead else 1
    flat_in = input.reshape((rows, -1))
    total = int(np.prod(outs))
    out = flat_in.new_zeros((rows, total)).scatter(1, _make(idx.reshape(rows, -1)), flat_in)
    return out.reshape(lead + outs)


_K_max_unpool = {nd: kernel_node(f"MaxUnpool{nd}DBackward0") for nd in (2, 3)}


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value back at its index (from max_pool1d), zeros elsewhere."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value back at its index (from max_pool2d), zeros elsewhere."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value back at its index (from max_pool3d), zeros elsewhere."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


FUNCTIONAL += [
    "adaptive_avg_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "lp_pool1d",
    "lp_pool2d", "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d", "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d",
]
__all__ += ["max_pool1d_with_indices", "max_pool3d"]


# -- fractional max pooling -----------------------------------------------------------------------
def _intervals(sample, n_in, n_out, k, dtype):
    """PyTorch's pseudo-random window starts: n_out windows of size k over n_in, from a
    sample in [0, 1) (in the input's precision)."""
    seq = np.empty(n_out, np.int64)
    if n_out > 1:
        alpha = dtype.type(n_in - k) / dtype.type(n_out - 1)
        i = np.arange(n_out - 1, dtype=dtype)
        seq[:-1] = ((i + sample) * alpha).astype(np.int64) - int(dtype.type(sample * alpha))
    if n_out > 0:
        seq[-1] = n_in - k
    return seq


def _fractional(input, kernel_size, output_size, output_ratio, return_indices, samples, nd):
    fname = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fname} requires specifying either an output_size or an "
                         "output_ratio")
    if not isinstance(input, Tensor):
        check_tensor(input, fname, "input", 1)
    _float_check(input._data, f"{fname}_out_frame")
    d = input._data
    if d.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fname}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{shape_list(d.shape)}")
    sizes = d.shape[-nd:]
    k = (kernel_size,) * nd if isinstance(kernel_size, int) else tuple(kernel_size)
    if output_size is None:
        ratio = (output_ratio,) * nd if isinstance(output_ratio, (int, float)) \
            else tuple(output_ratio)
        outs = [int(s * r) for s, r in zip(sizes, ratio)]
    else:
        outs = [output_size] * nd if isinstance(output_size, int) else list(output_size)
    names = ("time", "height", "width")[3 - nd:]
    for name, kk, o, s in zip(names, k, outs, sizes):
        if o + kk - 1 > s:
            raise RuntimeError(f"{fname}(): pool {name} {kk} too large relative to input "
                               f"{name} {s}")
    n, c = d.shape[:2] if d.ndim == nd + 2 else (1, d.shape[0])
    if samples is None:
        samples = _rand(n, c, nd, dtype=input.dtype)
    out, indices = as_kernel(_K_fractional[nd], (input,), _fractional_windows, input, k, outs,
                             samples._data)
    return (out, indices) if return_indices else out


_K_fractional = {nd: kernel_node(f"FractionalMaxPool{nd}DBackward0") for nd in (2, 3)}


def _fractional_windows(input, k, outs, sd):
    """The maxima of input's windows of size k at PyTorch's pseudo-random starts drawn
    from the samples sd (N, C, nd), and their flat indices."""
    nd = len(k)
    d = input._data
    sizes = d.shape[-nd:]
    x = input if d.ndim == nd + 2 else unsqueeze(input, 0)
    n, c = x.shape[:2]
    dtype = d.dtype
    # the window starts per (sample, channel) and dim; 2-D: sample 0 is for W, 1 for H;
    # 3-D: 0, 1, 2 for T, H, W
    order = (1, 0) if nd == 2 else (0, 1, 2)
    pos = []
    for dim in range(nd):
        starts = np.empty((n, c, outs[dim]), np.int64)
        for b in range(n):
            for ch in range(c):
                starts[b, ch] = _intervals(sd[b, ch, order[dim]], sizes[dim], outs[dim],
                                           k[dim], dtype)
        pos.append(starts[..., :, None] + np.arange(k[dim]))  # (n, c, o, k)
    # an index (n, c, *out, *kernel) per spatial dim
    idx = []
    for dim in range(nd):
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + dim], shape[2 + nd + dim] = outs[dim], k[dim]
        idx.append(pos[dim].reshape(shape))
    bi = np.arange(n).reshape([n, 1] + [1] * (2 * nd))
    ci = np.arange(c).reshape([1, c] + [1] * (2 * nd))
    win = x[(_make(bi), _make(ci), *[_make(i) for i in idx])]
    win = win.reshape((n, c) + tuple(outs) + (-1,))
    out, arg = win.max(-1)
    if x is not input:
        out = squeeze(out, 0)
    offs = np.unravel_index(arg._data, k)
    flat = np.zeros(arg.shape, np.int64)
    for dim in range(nd):
        shape = [n, c] + [1] * nd
        shape[2 + dim] = outs[dim]
        starts = pos[dim][..., 0].reshape(shape)
        flat = flat * sizes[dim] + starts + offs[dim]
    return out, _make(flat if x is input else flat[0])


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max pooling over pseudo-random overlapping windows (Graham, 2014) that shrink each
    plane to output_size (or by output_ratio)."""
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples, 2)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling over (N, C, T, H, W) volumes."""
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples, 3)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


FUNCTIONAL += ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
               "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


# -- what the pooling nodes show as PyTorch's grad_fn._saved_* --------------------------------
def _int_list(v, n):
    """An int[n] argument as PyTorch's node keeps it: an int repeated n times, a sequence as
    given, an omitted one (None) empty."""
    if v is None:
        return ()
    return (v,) * n if isinstance(v, int) else tuple(v)


def _plan_arg(i, ints=True):
    """A field: the argument i of those a planned pooling op keeps on its plan (``ints``: an
    int[2] argument, shown as PyTorch keeps it)."""
    if ints:
        return lambda node: _int_list(node._field(0, False).given[i], 2)
    return lambda node: node._field(0, False).given[i]


def _plan_indices(node):
    return _make(node._field(0, False).flat_indices())


name_saved(_MAX_NODES[0], self=2, result1=_plan_indices, kernel_size=_plan_arg(0),
           stride=_plan_arg(1), padding=_plan_arg(2), dilation=_plan_arg(3),
           ceil_mode=_plan_arg(4, False))
name_saved(_AVG_NODES[0], self=2, kernel_size=_plan_arg(0), stride=_plan_arg(1),
           padding=_plan_arg(2), ceil_mode=_plan_arg(3, False),
           count_include_pad=_plan_arg(4, False), divisor_override=_plan_arg(5, False))
name_saved(_ADAPTIVE_AVG_NODES[0], self=2)
name_saved(_ADAPTIVE_MAX_NODES[0], self=2, result1=_plan_indices)


def kernel_ints(name, n):
    """A kernel field: the int[n] argument ``name`` as PyTorch's node keeps it."""
    return lambda node, a: _int_list(a[name], n)


def _pool_indices(node, a):
    """result1 of a max pooling kernel: the indices it returned, or (when it was not asked
    for them) the ones it finds again."""
    if a["return_indices"]:
        return kernel_result(1)(node)
    kept(a["input"])  # PyTorch's error once backward freed the call
    with no_grad():
        return node._inner[0](**{**a, "return_indices": True})[1]


kernel_saved(_K_max_pool3d, self="input", result1=_pool_indices,
             kernel_size=kernel_ints("kernel_size", 3), stride=kernel_ints("stride", 3),
             padding=kernel_ints("padding", 3), dilation=kernel_ints("dilation", 3),
             ceil_mode="ceil_mode")
kernel_saved(_K_avg_pool3d, self="input", kernel_size=kernel_ints("kernel_size", 3),
             stride=kernel_ints("stride", 3), padding=kernel_ints("padding", 3),
             ceil_mode="ceil_mode", count_include_pad="count_include_pad",
             divisor_override="divisor_override")
kernel_saved(_K_adaptive_avg_pool3d, self="input")
kernel_saved(_K_adaptive_max_pool3d, self="input",
             result1=_pool_indices)
for _cls in _K_max_unpool.values():
    kernel_saved(_cls,
                 indices=lambda node, a: _make(a["idx"].reshape(a["input"]._data.shape)))
for _cls in _K_fractional.values():
    kernel_saved(_cls, self="input",
                 kernel_size=lambda node, a: tuple(a["k"]),
                 output_size=lambda node, a: tuple(a["outs"]),
                 result1=lambda node, a: kernel_result(1)(node))
