"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""

from types import SimpleNamespace

import numpy as np

from .._tensor import _make
from ._foreach import ForeachOptimizer, check_fused, decayed_grad
from ._fused import addcmul_
from .optimizer import check_lr, check_nonnegative

__all__ = ["Adagrad"]


class Adagrad(ForeachOptimizer):
    """PyTorch's Adagrad. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum += g * g;  p -= clr * g / (sqrt(sum) + eps)

    state[p] ('step', 'sum' = initial_accumulator_value) exists from construction on.
    """

    _group_defaults = {
        "foreach": None, "maximize": False, "differentiable": False, "fused": None,
    }
    _block_scale = 2  # one or two temporaries: twice the elements still stay in the cache

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check_nonnegative("lr_decay value", lr_decay)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        check_nonnegative("epsilon value", eps)
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].update(self._init_state(p, group))

    def share_memory(self):
        """A no-op in ember (PyTorch moves the 'sum' tensors to shared memory)."""

    def _state_keys(self, group):
        return ("sum",)

    def _init_state(self, param, group):
        return {"step": _make(np.array(0.0, dtype=np.float32)),
                "sum": _make(np.full_like(param._data, group["initial_accumulator_value"]))}

    def _constants(self, group, step, t):
        lr = float(group["lr"])
        return SimpleNamespace(
            maximize=group["maximize"], weight_decay=t(group["weight_decay"]),
            one=t(1), eps=t(group["eps"]),
            neg_clr=t(-(lr / (1 + (step - 1) * group["lr_decay"]))),
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        g = decayed_grad(x, k)
        s = x.state["sum"]
        addcmul_(s, g, g, k.one, x)  # sum += g * g
        std = np.sqrt(s, out=x.tmp())  # p -= clr * g / (sqrt(sum) + eps)
        std += k.eps
        p += np.divide(np.multiply(k.neg_clr, g, out=x.tmp()), std, out=std)
