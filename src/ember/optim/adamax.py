"""Adamax: Adam with the infinity norm of past gradients in place of their RMS."""

from types import SimpleNamespace

import numpy as np

from ._foreach import RealForeachOptimizer, decayed_grad
from ._fused import lerp_
from .adam import _check_betas
from .optimizer import check_lr, check_nonnegative

__all__ = ["Adamax"]


class Adamax(RealForeachOptimizer):
    """PyTorch's Adamax. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
        p -= lr / (1 - beta1**t) * m / u

    state[p]: 'step' (a float32 0-d tensor), 'exp_avg' (m), 'exp_inf' (u).
    """

    _group_defaults = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_inf")

    def _constants(self, group, step, t):
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        return SimpleNamespace(
            maximize=group["maximize"], weight_decay=t(group["weight_decay"]),
            one_minus_beta1=t(1 - beta1), beta2=t(beta2), eps=t(group["eps"]),
            neg_clr=t(-(lr / (1 - beta1**step))),
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        g = decayed_grad(x, k)
        m, u = x.state["exp_avg"], x.state["exp_inf"]
        lerp_(m, g, k.one_minus_beta1, x)  # m = lerp(m, g, 1 - beta1)
        u *= k.beta2  # u = max(beta2 * u, |g| + eps)
        bound = np.abs(g, out=x.tmp())
        bound += k.eps
        np.maximum(u, bound, out=u)
        p += np.divide(np.multiply(k.neg_clr, m, out=bound), u, out=bound)  # p -= clr * m / u
