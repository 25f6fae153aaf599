"""RAdam: Adam with the variance of its adaptive learning rate rectified."""

import math
from types import SimpleNamespace

import numpy as np

from ._foreach import RealForeachOptimizer, decayed_grad
from ._fused import addcmul_, lerp_
from .adam import _check_betas
from .optimizer import check_lr, check_nonnegative

__all__ = ["RAdam"]


class RAdam(RealForeachOptimizer):
    """PyTorch's RAdam. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p  (decoupled: p *= 1 - lr * weight_decay)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        rho_t > 5: p -= m / (1 - beta1**t) * lr * sqrt(1 - beta2**t) / (sqrt(v) + eps) * rect
                   with rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf
                                    / ((rho_inf - 4)(rho_inf - 2) rho_t))
        otherwise: p -= m / (1 - beta1**t) * lr

    state[p]: 'step' (a float32 0-d tensor), 'exp_avg', 'exp_avg_sq'.
    """

    _group_defaults = {
        "foreach": None, "maximize": False, "differentiable": False,
        "decoupled_weight_decay": False, "capturable": False,
    }

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_lr(lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _constants(self, group, step, t):
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        decoupled = group["decoupled_weight_decay"] and weight_decay != 0
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        rect = None
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return SimpleNamespace(
            maximize=group["maximize"],
            weight_decay=0 if decoupled else t(weight_decay),
            shrink=t(1 - lr * weight_decay) if decoupled else None,
            one_minus_beta1=t(1 - beta1), beta2=t(beta2), one_minus_beta2=t(1 - beta2),
            bias_correction1=t(1 - beta1**step), lr=t(lr), eps=t(group["eps"]),
            bias_correction2_sqrt=t(bias_correction2**0.5),
            rect=None if rect is None else t(rect),
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        if k.shrink is not None:
            p *= k.shrink  # decoupled: p *= 1 - lr * weight_decay
        g = decayed_grad(x, k)
        m, v = x.state["exp_avg"], x.state["exp_avg_sq"]
        lerp_(m, g, k.one_minus_beta1, x)  # m = lerp(m, g, 1 - beta1)
        v *= k.beta2  # v = beta2 * v + (1 - beta2) * g * g
        addcmul_(v, g, g, k.one_minus_beta2, x)
        step = np.divide(m, k.bias_correction1, out=x.tmp())  # m / (1 - beta1**t) * lr
        step *= k.lr
        if k.rect is not None:  # * sqrt(1 - beta2**t) / (sqrt(v) + eps) * rect
            adaptive = np.sqrt(v, out=x.tmp())
            adaptive += k.eps
            np.divide(k.bias_correction2_sqrt, adaptive, out=adaptive)
            step *= adaptive
            step *= k.rect
        p -= step
