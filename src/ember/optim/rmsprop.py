"""RMSprop: divide each gradient by a running root mean square of recent gradients."""

from types import SimpleNamespace

import numpy as np

from ._foreach import ForeachOptimizer, decayed_grad
from ._fused import addcmul_, fma_, lerp_
from .optimizer import check_lr, check_nonnegative

__all__ = ["RMSprop"]


class RMSprop(ForeachOptimizer):
    """PyTorch's RMSprop. Per parameter p with gradient g, each step:

        g = -g if maximize;  g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - ga * ga) with ga = lerp(ga, g, 1 - alpha) if centered else sqrt(v)
        avg += eps
        momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
        otherwise:    p -= lr * g / avg

    state[p]: 'step', 'square_avg', 'momentum_buffer' (momentum > 0), 'grad_avg' (centered).
    """

    _group_defaults = {
        "momentum": 0, "centered": False, "foreach": None, "maximize": False,
        "differentiable": False, "capturable": False,
    }

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr(lr)
        check_nonnegative("epsilon value", eps)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("alpha value", alpha)
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        keys = ("square_avg",)
        if group["momentum"] > 0:
            keys += ("momentum_buffer",)
        return keys + ("grad_avg",) if group["centered"] else keys

    def _bucket_key(self, state, fresh):
        return None  # the step count is kept but not used

    def _constants(self, group, step, t):
        alpha = group["alpha"]
        return SimpleNamespace(
            maximize=group["maximize"], weight_decay=t(group["weight_decay"]),
            alpha=t(alpha), one_minus_alpha=t(1 - alpha), minus_one=t(-1),
            eps=t(group["eps"]),
            momentum=t(group["momentum"]), neg_lr=t(-float(group["lr"])),
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        g = decayed_grad(x, k)
        v = x.state["square_avg"]
        v *= k.alpha  # v = alpha * v + (1 - alpha) * g * g
        addcmul_(v, g, g, k.one_minus_alpha, x)
        if "grad_avg" in x.state:  # centered
            ga = x.state["grad_avg"]
            lerp_(ga, g, k.one_minus_alpha, x)  # ga = lerp(ga, g, 1 - alpha)
            avg = x.tmp()
            np.copyto(avg, v)
            addcmul_(avg, ga, ga, k.minus_one, x)
            np.sqrt(avg, out=avg)  # avg = sqrt(v - ga * ga)
        else:
            avg = np.sqrt(v, out=x.tmp())  # avg = sqrt(v)
        avg += k.eps
        if "momentum_buffer" in x.state:  # momentum > 0
            buf = x.state["momentum_buffer"]
            buf *= k.momentum  # buf = momentum * buf + g / avg
            buf += np.divide(g, avg, out=avg)
            fma_(p, k.neg_lr, buf, p, x)  # p -= lr * buf
        else:
            p += np.divide(np.multiply(k.neg_lr, g, out=x.tmp()), avg, out=avg)  # p -= lr*g/avg
