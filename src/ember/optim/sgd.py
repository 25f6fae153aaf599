"""Stochastic gradient descent, with optional momentum, dampening, Nesterov, weight decay."""

from types import SimpleNamespace

import numpy as np

from ._foreach import ForeachOptimizer, check_fused
from ._fused import fma_
from .optimizer import check_lr

__all__ = ["SGD"]


class SGD(ForeachOptimizer):
    """PyTorch's SGD. Per parameter p with gradient g, each step:

        g = -g if maximize;  g = g + weight_decay * p
        if momentum: buf = g (first step) else momentum * buf + (1 - dampening) * g
                     g = g + momentum * buf if nesterov else buf
        p -= lr * g

    Each ``x + a * y`` rounds once (a fused multiply-add), as PyTorch's kernels do.

    Parameters are updated in place, outside autograd, so they remain leaves.
    """

    _counts_steps = False
    _block_scale = 2  # one or two temporaries: twice the elements still stay in the cache
    _group_defaults = {
        "nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
        "fused": None,
    }

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_lr(lr, nan_ok=True)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
            "foreach": foreach, "differentiable": differentiable, "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _bucket_key(self, state, fresh):
        return fresh  # a new momentum buffer starts as the gradient

    def _constants(self, group, fresh, t):
        return SimpleNamespace(
            maximize=group["maximize"], weight_decay=t(group["weight_decay"]),
            momentum=t(group["momentum"]), one_minus_dampening=t(1 - group["dampening"]),
            nesterov=group["nesterov"], first=fresh, neg_lr=t(-float(group["lr"])),
        )

    @staticmethod
    def _update(x, k):
        # every ``a + alpha * b`` is one fused multiply-add, as PyTorch's add(alpha=) kernel
        p, g = x.p, x.g
        if k.maximize:
            g = np.negative(g, out=x.tmp())
        if k.weight_decay:  # g + weight_decay * p
            g = fma_(x.tmp(), k.weight_decay, p, g, x)
        if "momentum_buffer" in x.state:
            buf = x.state["momentum_buffer"]
            if k.first:
                np.copyto(buf, g)  # buf = g
            else:  # buf = momentum * buf + (1 - dampening) * g
                buf *= k.momentum
                if k.one_minus_dampening == 1:
                    buf += g  # times 1: a plain sum
                else:
                    fma_(buf, k.one_minus_dampening, g, buf, x)
            g = fma_(x.tmp(), k.momentum, buf, g, x) if k.nesterov else buf
        fma_(p, k.neg_lr, g, p, x)  # p -= lr * g
