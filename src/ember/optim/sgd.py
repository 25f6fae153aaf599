"""Stochastic gradient descent, with optional momentum, dampening, Nesterov, weight decay."""

import numpy as np

from .._tensor import _make
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD. Per parameter p with gradient g, each step:

        g = -g if maximize;  g = g + weight_decay * p
        if momentum: buf = g (first step) else momentum * buf + (1 - dampening) * g
                     g = g + momentum * buf if nesterov else buf
        p -= lr * g

    Parameters are updated in place, outside autograd, so they remain leaves.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
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

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                pd = p._data
                t = pd.dtype.type
                g = grad._data
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + t(weight_decay) * pd
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = _make(np.array(g, dtype=pd.dtype, copy=True))
                        st["momentum_buffer"] = buf
                    else:
                        bd = buf._data
                        bd *= t(momentum)
                        bd += t(1 - dampening) * g
                        buf._version[0] += 1
                    g = g + t(momentum) * buf._data if nesterov else buf._data
                # p -= lr * g, in place: p stays the same leaf tensor
                pd -= t(lr) * g if g.dtype is pd.dtype else (t(lr) * g).astype(pd.dtype)
                p._version[0] += 1
        return loss
