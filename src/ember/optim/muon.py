"""Muon: momentum SGD whose update is orthogonalized by Newton-Schulz iterations."""

import math

import numpy as np

from .._errstate import restore, silence
from .._tensor import Tensor, _make
from ._foreach import Block, _Scratch
from ._fused import fma_, lerp_
from .optimizer import Optimizer

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5

_F32 = np.float32


def _bf16():
    import ml_dtypes  # loaded on first use, as ember's bfloat16

    return ml_dtypes.bfloat16


def _round(a, bf16):
    """a (float32) rounded to bfloat16 and held as float32."""
    return a.astype(bf16).astype(_F32)


def _orthogonalize(grad, ns_coefficients, ns_steps, eps):
    """The Newton-Schulz iteration in bfloat16 (PyTorch's quintic): each op's result is
    rounded to bfloat16, the products accumulated in float32 as PyTorch's CPU kernels do.
    Returns the bfloat16 values as float32."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    bf16 = _bf16()
    a, b, c = (_F32(v) for v in ns_coefficients)
    x = _round(grad.astype(_F32), bf16)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _round(np.sqrt(np.sum(x.astype(np.float64) ** 2)).astype(_F32), bf16)
    norm = max(norm, _round(np.array(eps, _F32), bf16))  # clamp(min=eps) in bfloat16
    x = _round(x / norm, bf16)
    for _ in range(ns_steps):
        gram = _round(x @ x.T, bf16)  # A = X X^T
        poly = _round(b * gram + c * (gram @ gram), bf16)  # B = b A + c A A
        x = _round(a * x + poly @ x, bf16)  # X = a X + B X
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, shape):
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """PyTorch's Muon, for 2-D parameters. Per parameter p with gradient g, each step:

        B = lerp(B, g, 1 - momentum);  U = lerp(g, B, momentum) if nesterov else B
        O = NewtonSchulz(U) (ns_steps quintic iterations in bfloat16)
        p *= 1 - lr * weight_decay;  p -= adjusted_lr * O

    adjusted_lr: lr * sqrt(max(1, rows / cols)) ("original", the default) or
    lr * 0.2 * sqrt(max(rows, cols)) ("match_rms_adamw"). state[p]: 'momentum_buffer'.
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {
            "lr": lr, "weight_decay": weight_decay, "momentum": momentum,
            "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
            "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = self._closure_loss(closure)
        token = silence()
        try:
            for group in self.param_groups:
                params = [p for p in group["params"] if p._grad is not None]
                for p in params:
                    if p.is_complex():
                        raise RuntimeError("Muon does not support complex parameters")
                    st = self.state[p]
                    if "momentum_buffer" not in st:
                        st["momentum_buffer"] = _make(np.zeros_like(p._grad._data))
                for p in params:
                    self._step_param(p, group)
        finally:
            restore(token)
        return loss

    def _step_param(self, p, group):
        g = p._grad._data
        if g.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        pd = p._data
        t = pd.dtype.type
        lr = float(group["lr"])
        momentum = group["momentum"]
        buf = self.state[p]["momentum_buffer"]
        scratch = _Scratch(0)
        lerp_(buf._data, g, buf._data.dtype.type(1 - momentum),
              Block(buf._data, None, {}, scratch))
        buf._version[0] += 1
        update = buf._data
        if group["nesterov"]:
            update = g.copy()
            lerp_(update, buf._data, update.dtype.type(momentum), Block(update, None, {}, scratch))
        ortho = _orthogonalize(update, group["ns_coefficients"], group["ns_steps"],
                               group["eps"])
        adjusted = _adjust_lr(lr, group["adjust_lr_fn"], pd.shape)
        pd *= t(1 - lr * group["weight_decay"])
        fma_(pd, t(-adjusted), ortho.astype(pd.dtype), pd, Block(pd, None, {}, scratch))
        p._version[0] += 1
