"""Resampling: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area) and its upsample forms, affine_grid and grid_sample, fold/unfold (col2im/im2col),
pixel_shuffle/pixel_unshuffle and channel_shuffle.

Each is built from differentiable ops (index_select with weights per spatial dim for the
interpolations, one gathering index for unfold, index_add for fold, reshapes and permutes for
the shuffles), so their gradients of every order follow from those ops.
"""

import math
import numbers
import warnings

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.forward_ad import state as _fw_state
from ._nn_common import as_kernel, kernel_node, kernel_saved, shape_list
from ._op import check_tensor, refuse_tangents
from .pooling import (
    _gather_windows,
    _window_positions,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
)

__all__ = ["channel_shuffle", "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle"]
FUNCTIONAL = [
    "affine_grid", "channel_shuffle", "fold", "grid_sample", "interpolate",
    "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle", "unfold", "upsample",
    "upsample_bilinear", "upsample_nearest",
]
TENSOR_METHODS = {}


# -- shuffles ---------------------------------------------------------------------------------
def _pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): channels become r x r sub-pixel blocks."""
    if not isinstance(input, Tensor):
        check_tensor(input, "pixel_shuffle")
    r = upscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = tuple(lead)
    n = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(lead + (c // (r * r), h * r, w * r))


_K_pixel_shuffle = kernel_node("PixelShuffleBackward0")  # PyTorch's kernel: one node


def pixel_shuffle(input, *args, **kwargs):
    return as_kernel(_K_pixel_shuffle, (input,), _pixel_shuffle, input, *args,
                     **kwargs)


pixel_shuffle.__wrapped__ = _pixel_shuffle  # its signature (help, vmap's rules)


def _pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of pixel_shuffle."""
    if not isinstance(input, Tensor):
        check_tensor(input, "pixel_unshuffle")
    r = downscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    lead = tuple(lead)
    n = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(lead + (c * r * r, h // r, w // r))


_K_pixel_unshuffle = kernel_node("PixelUnshuffleBackward0")  # PyTorch's kernel: one node


def pixel_unshuffle(input, *args, **kwargs):
    return as_kernel(_K_pixel_unshuffle, (input,), _pixel_unshuffle, input, *args,
                     **kwargs)


pixel_unshuffle.__wrapped__ = _pixel_unshuffle  # its signature (help, vmap's rules)


def _channel_shuffle(input, groups):
    """(N, C, *) with the channels of groups interleaved: (g, C/g) -> (C/g, g)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "channel_shuffle")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {shape_list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(rest)
    x = input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)


_K_channel_shuffle = kernel_node("ChannelShuffleBackward0")  # PyTorch's kernel: one node


def channel_shuffle(input, *args, **kwargs):
    return as_kernel(_K_channel_shuffle, (input,), _channel_shuffle, input, *args,
                     **kwargs)


channel_shuffle.__wrapped__ = _channel_shuffle  # its signature (help, vmap's rules)


native_channel_shuffle = channel_shuffle


# -- fold / unfold ------------------------------------------------------------------------------
def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _blocks(sizes, kernel, dilation, padding, stride):
    return [(n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, d, p, s in zip(sizes, kernel, dilation, padding, stride)]


def _unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C, H, W) -> (N, C * kh * kw, L): every sliding block as a column (im2col)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "unfold")
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.ndim}D)")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    sizes = tuple(x.shape[2:])
    outs = _blocks(sizes, k, d, p, s)
    if any(o < 1 for o in outs):
        raise RuntimeError(
            f"Given input with spatial size {sizes}, kernel_size={k}, dilation={d}, padding={p}, "
            f"calculated shape of the array of sliding blocks as {tuple(outs)}, but its "
            "components must be at least one.")
    positions = [_window_positions(n, kk, ss, pp, dd, o)
                 for n, kk, ss, pp, dd, o in zip(sizes, k, s, p, d, outs)]
    win, _ = _gather_windows(x, positions, 0.0)  # (n, c, oh, ow, kh * kw)
    n, c = x.shape[:2]
    cols = win.permute(0, 1, 4, 2, 3).reshape((n, c * k[0] * k[1], outs[0] * outs[1]))
    return cols if input.ndim == 4 else cols.squeeze(0)


_K_unfold = kernel_node("Im2ColBackward0")  # PyTorch's kernel: one node


def unfold(input, *args, **kwargs):
    return as_kernel(_K_unfold, (input,), _unfold, input, *args,
                     **kwargs)


unfold.__wrapped__ = _unfold  # its signature (help, vmap's rules)


def _fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C * kh * kw, L) -> (N, C, H, W): the columns summed back into their blocks
    (col2im, unfold's adjoint)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "fold")
    out_size = _pair(output_size)
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    n, ck, length = x.shape
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={ck} and kernel_size={k}.")
    outs = _blocks(out_size, k, d, p, s)
    if outs[0] * outs[1] != length:
        raise RuntimeError(
            f"Given output_size={out_size}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {outs[0]} * {outs[1]} = {outs[0] * outs[1]}, but got "
            f"input.size(2)={length}.")
    c = ck // kk
    hp, wp = out_size[0] + 2 * p[0], out_size[1] + 2 * p[1]
    # the padded plane's flat position of each (kernel offset, block)
    rows = (np.arange(outs[0])[None, :] * s[0] + np.arange(k[0])[:, None] * d[0])
    cols = (np.arange(outs[1])[None, :] * s[1] + np.arange(k[1])[:, None] * d[1])
    flat = rows[:, None, :, None] * wp + cols[None, :, None, :]  # (kh, kw, oh, ow)
    src = x.reshape((n, c, kk * length))
    plane = src.new_zeros((n, c, hp * wp)).index_add(2, _make(flat.reshape(-1)), src)
    out = plane.reshape((n, c, hp, wp))
    out = out.narrow(2, p[0], out_size[0]).narrow(3, p[1], out_size[1])
    return out if input.ndim == 3 else out.squeeze(0)


_K_fold = kernel_node("Col2ImBackward0")  # PyTorch's kernel: one node


def fold(input, *args, **kwargs):
    return as_kernel(_K_fold, (input,), _fold, input, *args,
                     **kwargs)


fold.__wrapped__ = _fold  # its signature (help, vmap's rules)


# -- interpolate --------------------------------------------------------------------------------
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _index_weights(in_size, out_size, scale, mode, align_corners, dtype):
    """Per output position: the input indices it reads and their weights, as (out, taps)."""
    dst = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(1.0 / scale if scale is not None else in_size / out_size)
        off = np.float32(0.5) if mode == "nearest-exact" else np.float32(0.0)
        src = np.floor((dst.astype(np.float32) + off) * s).astype(np.int64)
        return np.minimum(src, in_size - 1)[:, None], np.ones((out_size, 1), dtype)
    ct = np.dtype(dtype).type
    if align_corners:
        s = ct((in_size - 1) / (out_size - 1)) if out_size > 1 else ct(0)
        src = dst.astype(dtype) * s
    else:
        s = ct(1.0 / scale if scale is not None else in_size / out_size)
        src = s * (dst.astype(dtype) + ct(0.5)) - ct(0.5)
        if mode != "bicubic":
            src = np.maximum(src, ct(0))
    if mode == "bicubic":
        i0 = np.floor(src).astype(np.int64)
        t = (src - i0).astype(dtype)
        a = ct(-0.75)

        def near(x):  # |x| <= 1
            return ((a + 2) * x - (a + 3)) * x * x + 1

        def far(x):  # 1 < |x| < 2
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

        w = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)
        idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, in_size - 1)
        return idx, w.astype(dtype)
    i0 = src.astype(np.int64)
    lam = np.clip(src - i0, 0, 1).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return np.stack([i0, i1], 1), np.stack([1 - lam, lam], 1)


def _resample(x, outs, scales, mode, align_corners):
    dtype = x._data.dtype
    nd = len(outs)
    for i in range(nd):
        dim = 2 + i
        n_in = x.shape[dim]
        idx, w = _index_weights(n_in, outs[i], scales[i], mode, align_corners, dtype)
        if idx.shape[1] == 1 and n_in == outs[i] and np.array_equal(idx[:, 0], np.arange(n_in)):
            continue
        shape = [1] * x.ndim
        shape[dim] = outs[i]
        total = None
        for t in range(idx.shape[1]):
            term = x.index_select(dim, _make(idx[:, t].copy()))
            if mode not in ("nearest", "nearest-exact"):
                term = term * _make(w[:, t].reshape(shape).copy())
            total = term if total is None else total + term
        x = total
    return x


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) to size, or by scale_factor."""
    if not isinstance(input, Tensor):
        check_tensor(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = [None] * max(dim, 0)
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(v, numbers.Integral) for v in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            outs = [int(v) for v in size]
        else:
            outs = [int(size)] * max(dim, 0)
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, "
                    "C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(v) for v in scale_factor]
        else:
            scales = [float(scale_factor)] * max(dim, 0)
        outs = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and outs is None:
        recompute_scale_factor = True
    if recompute_scale_factor and outs is None:
        outs = [int(input.shape[2 + i] * scales[i]) for i in range(dim)]
        scales = [None] * dim
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember")
    if dim not in (1, 2, 3) or mode not in ("nearest", "nearest-exact", "area", "linear",
                                            "bilinear", "bicubic", "trilinear"):
        if dim in (1, 2, 3) and mode == "lanczos":
            raise NotImplementedError("interpolate: mode 'lanczos' is not supported by ember")
        if dim in (1, 2, 3) and mode in _LINEAR_DIMS:
            pass
        else:
            raise NotImplementedError(
                f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                f"the modes: {_MODES} (got {mode})")
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != dim:
        need = _LINEAR_DIMS[mode] + 2
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D "
                                  "input")
    if outs is None:
        outs = [int(math.floor(input.shape[2 + i] * scales[i])) for i in range(dim)]
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1]
        return pool(input, outs if dim > 1 else outs[0])
    if any(o <= 0 for o in outs):
        names = ("D", "H", "W")[3 - dim:]

        def sizes(v):
            return ", ".join(f"{name}: {n}" for name, n in zip(names, v))

        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({sizes(input.shape[2:])}) and output ({sizes(outs)})")
    return as_kernel(_K_upsample[mode, dim], (input,), _resample, input, outs, scales, mode,
                     align_corners)


_K_upsample = {  # PyTorch's kernels: one node per mode and spatial rank
    (mode, nd): kernel_node(f"Upsample{name}{nd}DBackward0")
    for mode, name, dims in (("nearest", "Nearest", (1, 2, 3)),
                             ("nearest-exact", "NearestExact", (1, 2, 3)),
                             ("linear", "Linear", (1,)), ("bilinear", "Bilinear", (2,)),
                             ("bicubic", "Bicubic", (2,)), ("trilinear", "Trilinear", (3,)))
    for nd in dims}


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """interpolate under its old name (deprecated, with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- affine_grid / grid_sample ------------------------------------------------------------------
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners="
                  "False since 1.3.0. Please specify align_corners=True if the old behavior is "
                  "desired. See the documentation of grid_sample for details.")


def _base_coords(n, align_corners, dtype):
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    v = np.linspace(-1, 1, n, dtype=np.float64)
    return (v if align_corners else v * (n - 1) / n).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, *spatial, nd) of the affine maps theta (N, nd, nd + 1) over
    normalized output coordinates in [-1, 1] (for grid_sample)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        check_tensor(theta, "affine_grid")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) not in (4, 5):
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(
            f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for size "
            f"{size}. Got {theta.shape}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n = size[0]
    if theta.shape[0] != n:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}].")
    return as_kernel(_K_affine_grid, (theta,), _affine_grid, theta, size, align_corners)


def _affine_grid(theta, size, align_corners):
    n, nd = size[0], len(size) - 2
    dtype = theta._data.dtype
    spatial = size[2:]
    # base[..., :] = (x, y[, z], 1), x along the last spatial dim
    axes = [_base_coords(s, align_corners, dtype) for s in reversed(spatial)]
    mesh = list(np.meshgrid(*axes[::-1], indexing="ij"))[::-1]  # x varies fastest
    base = np.stack(mesh + [np.ones(spatial, dtype)], -1).reshape(1, -1, nd + 1)
    grid = _make(np.ascontiguousarray(base)).matmul(theta.transpose(1, 2))
    return grid.reshape((n,) + tuple(spatial) + (nd,))


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect_np(c, lo2, hi2):
    """PyTorch's reflection of coordinates c into [lo2 / 2, hi2 / 2], as slope and offset
    (c_reflected = slope * c + offset), so the gradient follows the reflection."""
    if lo2 == hi2:
        return np.zeros_like(c), np.zeros_like(c)
    mn, span = lo2 / 2, (hi2 - lo2) / 2
    u = c - mn
    su = np.where(u < 0, -1.0, 1.0)
    a = np.abs(u)
    flips = np.floor(a / span)
    extra = a - flips * span  # fmod for a >= 0
    even = np.mod(flips, 2) == 0
    out = np.where(even, extra + mn, span - extra + mn)
    slope = su * np.where(even, 1.0, -1.0)
    return slope, out - slope * c


def _source_coords(coord, size, padding_mode, align_corners):
    """Unnormalized coordinates (ember ops on the grid) after the padding mode's mapping."""
    x = _unnormalize(coord, size, align_corners)
    if padding_mode == "zeros":
        return x
    if padding_mode == "reflection":
        lo2, hi2 = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        slope, offset = _reflect_np(x._data.astype(np.float64), lo2, hi2)
        dt = x._data.dtype
        x = x * _make(slope.astype(dt)) + _make(offset.astype(dt))
    # clip to [0, size - 1]; the gradient is zero where clipped, as PyTorch's
    return x.clamp(0, size - 1)


def _cubic_weights(t):
    a = -0.75

    def near(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """input (N, C, *spatial) sampled at grid (N, *out, nd) of normalized coordinates in
    [-1, 1] (x along the last dim): bilinear, nearest or bicubic, with zeros, border or
    reflection padding."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes "
                           f"{shape_list(input.shape)} and grid with sizes "
                           f"{shape_list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {shape_list(input.shape)} and grid with "
                           f"sizes {shape_list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, "
                           f"but got grid with sizes {shape_list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if _fw_state.active:  # PyTorch has no forward-mode rule for it
        refuse_tangents(f"grid_sampler_{nd}d", input, grid)
    return as_kernel(_K_grid_sampler[nd], (input, grid), _grid_sample, input, grid, mode,
                     padding_mode, align_corners)


_K_grid_sampler = {nd: kernel_node(f"GridSampler{nd}DBackward0") for nd in (2, 3)}
_K_affine_grid = kernel_node("AffineGridGeneratorBackward0")


def _grid_sample(input, grid, mode, padding_mode, align_corners):
    nd = input.dim() - 2
    sizes = tuple(input.shape[2:])  # (D,) H, W
    n = input.shape[0]
    # per spatial dim (input order), the grid's coordinate for it (x is the last dim)
    coords = [grid.select(-1, nd - 1 - i) for i in range(nd)]
    batch = np.arange(n).reshape((n,) + (1,) * nd)

    def tap(indices):
        """input at integer positions (one array per spatial dim), zero outside:
        (n, c, *out)."""
        inside = np.ones(indices[0].shape, bool)
        clipped = []
        for idx, size in zip(indices, sizes):
            inside &= (idx >= 0) & (idx < size)
            clipped.append(np.clip(idx, 0, size - 1))
        vals = input[(_make(np.broadcast_to(batch, inside.shape).copy()), slice(None),
                      *[_make(i) for i in clipped])]  # (n, *out, c)
        vals = vals.permute((0, nd + 1) + tuple(range(1, nd + 1)))
        if not inside.all():
            vals = vals * _make(inside[:, None].astype(input._data.dtype))
        return vals

    if mode == "bicubic":
        # taps at floor - 1 .. floor + 2; the padding mode maps each tap's coordinate
        xs = [_unnormalize(co, s, align_corners) for co, s in zip(coords, sizes)]
        floors = [np.floor(x._data) for x in xs]
        ws = [_cubic_weights(x - _make(f)) for x, f in zip(xs, floors)]
        total = None
        for i in range(4):
            for j in range(4):
                idx = []
                for f, k, size in zip(floors, (i, j), sizes):
                    pos = f + k - 1
                    if padding_mode == "reflection":
                        lo2, hi2 = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
                        slope, off = _reflect_np(pos, lo2, hi2)
                        pos = np.clip(slope * pos + off, 0, size - 1)
                    elif padding_mode == "border":
                        pos = np.clip(pos, 0, size - 1)
                    idx.append(pos.astype(np.int64))
                w = (ws[0][i] * ws[1][j]).unsqueeze(1)
                term = tap(idx) * w
                total = term if total is None else total + term
        return total
    xs = [_source_coords(co, s, padding_mode, align_corners) for co, s in zip(coords, sizes)]
    if mode == "nearest":
        out = tap([np.rint(x._data).astype(np.int64) for x in xs])
        # the grid gets a zero gradient (not none), as in PyTorch
        return out + grid.sum() * 0 if grid.requires_grad else out
    lows = [np.floor(x._data) for x in xs]
    fracs = [x - _make(lo) for x, lo in zip(xs, lows)]
    total = None
    for corner in range(2 ** nd):
        bits = [(corner >> (nd - 1 - i)) & 1 for i in range(nd)]
        w = None
        for b, fr in zip(bits, fracs):
            f = fr if b else 1 - fr
            w = f if w is None else w * f
        idx = [(lo + b).astype(np.int64) for lo, b in zip(lows, bits)]
        term = tap(idx) * w.unsqueeze(1)
        total = term if total is None else total + term
    return total


# -- what the nodes show as PyTorch's grad_fn._saved_* (read from the call each node holds) --
def _pair_arg(name):
    return lambda node, a: _pair(a[name])


kernel_saved(_K_pixel_shuffle, upscale_factor="upscale_factor")
kernel_saved(_K_pixel_unshuffle, downscale_factor="downscale_factor")
kernel_saved(_K_channel_shuffle, groups="groups")
kernel_saved(_K_unfold, kernel_size=_pair_arg("kernel_size"),
             dilation=_pair_arg("dilation"), padding=_pair_arg("padding"),
             stride=_pair_arg("stride"),
             self_sym_argsize_minus_1=lambda node, a: a["input"].shape[-1],
             self_sym_argsize_minus_2=lambda node, a: a["input"].shape[-2])
kernel_saved(_K_fold, kernel_size=_pair_arg("kernel_size"),
             dilation=_pair_arg("dilation"), padding=_pair_arg("padding"),
             stride=_pair_arg("stride"))

_SCALE_NAMES = {1: ("scales",), 2: ("scales_h", "scales_w"),
                3: ("scales_d", "scales_h", "scales_w")}
for (_mode, _nd), _cls in _K_upsample.items():
    _fields = {"self_sym_sizes": lambda node, a: tuple(a["x"].shape),
               "output_size": lambda node, a: tuple(a["outs"])}
    for _i, _name in enumerate(_SCALE_NAMES[_nd]):
        _fields[_name] = lambda node, a, i=_i: a["scales"][i]
    if _mode not in ("nearest", "nearest-exact"):
        _fields["align_corners"] = "align_corners"
    kernel_saved(_cls, **_fields)


def name_grid_sampler(node_cls, fn):
    """The saved fields of a grid sampler node whose call is ``fn(input, grid, mode,
    padding_mode, align_corners)`` (the modes as PyTorch's integer codes)."""
    kernel_saved(node_cls, input="input", grid="grid",
                 interpolation_mode=lambda node, a: ("bilinear", "nearest",
                                                     "bicubic").index(a["mode"]),
                 padding_mode=lambda node, a: ("zeros", "border",
                                               "reflection").index(a["padding_mode"]),
                 align_corners="align_corners")


def name_affine_grid(node_cls, fn):
    """The saved fields of an affine grid node whose call is ``fn(theta, size,
    align_corners)``."""
    kernel_saved(node_cls, size=lambda node, a: tuple(a["size"]),
                 align_corners="align_corners")


for _cls in _K_grid_sampler.values():
    name_grid_sampler(_cls, _grid_sample)
name_affine_grid(_K_affine_grid, _affine_grid)
