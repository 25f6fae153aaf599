"""Rprop: per-coordinate step sizes grown or shrunk by the sign of successive gradients."""

from types import SimpleNamespace

import numpy as np

from .._tensor import _make
from ._foreach import RealForeachOptimizer
from ._fused import addcmul_
from .optimizer import check_lr

__all__ = ["Rprop"]


class Rprop(RealForeachOptimizer):
    """PyTorch's resilient backpropagation. Per parameter p with gradient g, each step:

        g = -g if maximize;  s = sign(g * prev)
        step_size *= etaplus where s > 0, etaminus where s < 0;  clamp to step_sizes
        g = 0 where s < 0;  p -= sign(g) * step_size;  prev = g

    state[p]: 'step' (a float32 0-d tensor), 'prev', 'step_size' (starts at lr).
    """

    _group_defaults = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _capturable = {False: ("params and state_steps", True),
                   True: ("params and state_steps", True)}

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("prev", "step_size")

    def _init_state(self, param, group):
        g = param._grad._data
        return {"step": _make(np.array(0.0, dtype=np.float32)),
                "prev": _make(np.zeros_like(param._data)),
                "step_size": _make(np.full_like(g, float(group["lr"])))}

    def _bucket_key(self, state, fresh):
        return None  # the step count is kept but not used

    def _constants(self, group, step, t):
        etaminus, etaplus = group["etas"]
        low, high = group["step_sizes"]
        return SimpleNamespace(
            maximize=group["maximize"], etaminus=t(etaminus), etaplus=t(etaplus),
            one=t(1), minus_one=t(-1), low=t(low), high=t(high),
        )

    @staticmethod
    def _update(x, k):
        p, g = x.p, x.g
        if k.maximize:
            g = np.negative(g, out=x.tmp())
        prev, size = x.state["prev"], x.state["step_size"]
        factor = x.tmp()
        np.sign(np.multiply(g, prev, out=factor), out=factor)  # sign(g * prev), nan kept
        factor[factor > 0] = k.etaplus
        factor[factor < 0] = k.etaminus
        factor[factor == 0] = k.one
        size *= factor  # step_size = clamp(step_size * factor, *step_sizes)
        np.clip(size, k.low, k.high, out=size)
        np.copyto(prev, g)  # prev = g, 0 where the sign changed
        prev[factor == k.etaminus] = 0
        addcmul_(p, np.sign(prev, out=factor), size, k.minus_one, x)  # p -= sign(g) * size
