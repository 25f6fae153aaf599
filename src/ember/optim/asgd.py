"""ASGD: SGD whose iterates are averaged (Polyak-Ruppert) after step t0."""

from types import SimpleNamespace

import numpy as np

from .._tensor import Tensor, _make
from ._foreach import RealForeachOptimizer, decayed_grad
from ._fused import fma_
from .optimizer import check_lr, check_nonnegative

__all__ = ["ASGD"]

_F32 = np.float32


class ASGD(RealForeachOptimizer):
    """PyTorch's Averaged SGD. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p if mu == 1 else ax + mu * (p - ax)
        eta = lr / (1 + lambd * lr * t)**alpha;  mu = 1 / max(1, t - t0)

    state[p]: 'step', 'eta' (starts at lr), 'mu' (starts at 1), all float32 0-d tensors,
    and 'ax', the average.
    """

    _group_defaults = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _capturable = {False: ("params, mus, etas, and state_steps", True),
                   True: ("params, mus, etas, and state_steps", False)}

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
            "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                for key in ("eta", "mu"):
                    if st and key in st and not isinstance(st[key], Tensor):
                        st[key] = _make(np.array(float(st[key]), dtype=_F32))

    def _state_keys(self, group):
        return ("ax",)

    def _init_state(self, param, group):
        return {"step": _make(np.array(0.0, dtype=_F32)),
                "eta": _make(np.array(float(group["lr"]), dtype=_F32)),
                "mu": _make(np.array(1.0, dtype=_F32)),
                "ax": _make(np.zeros_like(param._data))}

    def _bucket_key(self, state, fresh):
        return (float(state["step"]._data), float(state["eta"]._data),
                float(state["mu"]._data))

    def _buckets(self, group):
        buckets = super()._buckets(group)
        # this step's eta and mu are in the keys: the next step's replace them
        lr, lambd = float(group["lr"]), group["lambd"]
        for items in buckets.values():
            for p, _, _ in items:
                st = self.state[p]
                step = float(st["step"]._data)
                for key, value in (("eta", lr / ((1 + lambd * lr * step) ** group["alpha"])),
                                   ("mu", 1 / max(1, step - group["t0"]))):
                    st[key]._data[...] = _F32(value)  # as PyTorch's float32 as_tensor
                    st[key]._version[0] += 1
        return buckets

    def _constants(self, group, key, t):
        _, eta, mu = key
        return SimpleNamespace(
            maximize=group["maximize"], weight_decay=t(group["weight_decay"]),
            shrink=t(1 - group["lambd"] * eta), neg_eta=t(-eta), mu=t(mu), copy=mu == 1,
        )

    @staticmethod
    def _update(x, k):
        p = x.p
        g = decayed_grad(x, k)
        p *= k.shrink  # p = p * (1 - lambd * eta) - eta * g
        fma_(p, k.neg_eta, g, p, x)
        ax = x.state["ax"]
        if k.copy:
            np.copyto(ax, p)
        else:  # ax += mu * (p - ax)
            d = np.subtract(p, ax, out=x.tmp())
            d *= k.mu
            ax += d
