"""Adam (and, with decoupled weight decay, AdamW)."""

from types import SimpleNamespace

import numpy as np

from .._tensor import Tensor
from ._foreach import ForeachOptimizer, check_fused, decayed_grad
from ._fused import addcmul_, lerp_
from .optimizer import check_lr, check_nonnegative

__all__ = ["Adam"]


def _check_betas(betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


class Adam(ForeachOptimizer):
    """PyTorch's Adam. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p   (AdamW: p *= 1 - lr * weight_decay)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v) if amsgrad (and used in place of v below)
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    state[p]: 'step' (a float32 0-d tensor), 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'.
    """

    _group_defaults = {
        "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
        "differentiable": False, "decoupled_weight_decay": False, "fused": None,
    }

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_lr(lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)
                or isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(b.item() if isinstance(b, Tensor) else b for b in betas)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
            "capturable": capturable, "differentiable": differentiable, "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _state_keys(self, group):
        keys = ("exp_avg", "exp_avg_sq")
        return keys + ("max_exp_avg_sq",) if group["amsgrad"] else keys

    def _check_param(self, param, grad):
        if grad.dtype.kind == "c" or param._data.dtype.kind == "c":
            raise NotImplementedError("ember's Adam does not support complex parameters")

    def _constants(self, group, step, t):
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        weight_decay = group["weight_decay"]
        decoupled = group["decoupled_weight_decay"] and weight_decay != 0
        return SimpleNamespace(
            maximize=group["maximize"],
            weight_decay=0 if decoupled else t(weight_decay),
            shrink=t(1 - lr * weight_decay) if decoupled else None,
            one_minus_beta1=t(1 - beta1), beta2=t(beta2), one_minus_beta2=t(1 - beta2),
            bias_correction2_sqrt=t((1 - beta2**step)**0.5), eps=t(group["eps"]),
            neg_step_size=t(-(lr / (1 - beta1**step))),
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        g = decayed_grad(x, k)
        m, v = x.state["exp_avg"], x.state["exp_avg_sq"]
        if k.shrink is not None:
            p *= k.shrink  # AdamW: p *= 1 - lr * weight_decay
        lerp_(m, g, k.one_minus_beta1, x)  # m = lerp(m, g, 1 - beta1)
        v *= k.beta2  # v = beta2 * v + (1 - beta2) * g * g
        addcmul_(v, g, g, k.one_minus_beta2, x)
        if "max_exp_avg_sq" in x.state:  # amsgrad
            v = np.maximum(x.state["max_exp_avg_sq"], v, out=x.state["max_exp_avg_sq"])
        denom = np.sqrt(v, out=x.tmp())  # sqrt(v) / sqrt(1 - beta2**t) + eps
        denom /= k.bias_correction2_sqrt
        denom += k.eps
        # p -= lr / (1 - beta1**t) * m / denom
        p += np.divide(np.multiply(k.neg_step_size, m, out=x.tmp()), denom, out=denom)
