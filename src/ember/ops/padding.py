"""Padding: constant_pad_nd and pad (constant, reflect, replicate or circular), and
local_response_norm (an average over zero-padded neighbouring channels)."""

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import name_saved
from ._nn_common import linear_map, node_pair, shape_list
from ._op import check_tensor
from .pooling import avg_pool2d, avg_pool3d
from .shape import _constant_pad, constant_pad_nd

__all__ = ["constant_pad_nd"]  # PyTorch has it at the top level
FUNCTIONAL = ["local_response_norm", "pad"]
TENSOR_METHODS = {}


class _GatherPlan:
    """reflect / replicate / circular padding: each padded axis reads the input at an index
    array; the adjoint adds the border gradients back onto the positions they came from."""

    __slots__ = ("axes", "nodes", "pads")  # axes: (axis, index array, lo, size)

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
            _PAD_NODES[key] = node_pair("CircularPad")  # PyTorch records CopySlices there
        else:
            _PAD_NODES[key] = nodes = node_pair(f"{name}{n}D")
            # PyTorch's grad_fn._saved_*: the input (kept by the node) and the pads given
            name_saved(nodes[0], self=2, padding=lambda node: node._field(0, False).pads)
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
                f"{shape_list(d.shape)}"
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
    plan.pads = pads
    plan.nodes = _pad_nodes(mode, n)
    return linear_map(input, plan, False, keep=input if mode != "circular" else None)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of input^2 over size neighbouring channels)^beta, composed
    as PyTorch composes it: the squares zero-padded along the channels and average-pooled
    (2-d pooling for 3-d inputs, 3-d pooling over a view for more dims)."""
    dim = input.dim()
    if dim < 3:
        # PyTorch's text has a run of spaces in the middle
        raise ValueError(f"Expected 3D or higher dimensionality{' ' * 26}input (got {dim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = tuple(input.shape)
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
