"""Adadelta: steps scaled by the ratio of running RMS of updates and of gradients."""

from types import SimpleNamespace

import numpy as np

from ._foreach import RealForeachOptimizer, decayed_grad
from ._fused import addcmul_, fma_
from .optimizer import check_lr, check_nonnegative

__all__ = ["Adadelta"]


class Adadelta(RealForeachOptimizer):
    """PyTorch's Adadelta. Per parameter p with gradient g, each step:

        g = -g if maximize;  g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p -= lr * delta

    state[p]: 'step' (a float32 0-d tensor), 'square_avg' (v), 'acc_delta' (u).
    """

    _group_defaults = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _capturable = {False: ("params and state_steps", False),
                   True: ("params and state_steps", False)}

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative("epsilon value", eps)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
            "maximize": maximize, "capturable": capturable, "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("square_avg", "acc_delta")

    def _bucket_key(self, state, fresh):
        return None  # the step count is kept but not used

    def _constants(self, group, step, t):
        rho = group["rho"]
        return SimpleNamespace(
            maximize=group["maximize"], weight_decay=t(group["weight_decay"]),
            rho=t(rho), one_minus_rho=t(1 - rho), eps=t(group["eps"]),
            neg_lr=t(-float(group["lr"])),
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        g = decayed_grad(x, k)
        v, u = x.state["square_avg"], x.state["acc_delta"]
        v *= k.rho  # v = rho * v + (1 - rho) * g * g
        addcmul_(v, g, g, k.one_minus_rho, x)
        std = np.sqrt(np.add(v, k.eps, out=x.tmp()), out=x.tmp())
        delta = np.sqrt(np.add(u, k.eps, out=x.tmp()), out=x.tmp())
        delta /= std  # delta = sqrt(u + eps) / sqrt(v + eps) * g
        delta *= g
        u *= k.rho  # u = rho * u + (1 - rho) * delta * delta
        addcmul_(u, delta, delta, k.one_minus_rho, x)
        fma_(p, k.neg_lr, delta, p, x)  # p -= lr * delta
