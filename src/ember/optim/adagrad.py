"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""

import numpy as np

from .._tensor import Tensor, _make
from ._fused import addcmul_, fma
from .optimizer import Optimizer, _step_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """PyTorch's Adagrad. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum += g * g;  p -= clr * g / (sqrt(sum) + eps)

    state[p] ('step', 'sum' = initial_accumulator_value) exists from construction on.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _make(np.array(0.0, dtype=np.float32))
                st["sum"] = _make(np.full_like(p._data, initial_accumulator_value))

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        for st in self.state.values():
            if st:
                _step_tensor(st)

    def share_memory(self):
        """A no-op in ember (PyTorch moves the 'sum' tensors to shared memory)."""

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                pd = p._data
                t = pd.dtype.type
                st = state[p]
                step_t = _step_tensor(st)
                step_t._data += 1
                step_t._version[0] += 1
                step = float(step_t._data)
                g = grad._data
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = fma(t(weight_decay), pd, g)
                clr = lr / (1 + (step - 1) * lr_decay)
                acc = st["sum"]
                ad = acc._data
                addcmul_(ad, g, g, 1)
                acc._version[0] += 1
                std = np.sqrt(ad)
                std += t(eps)
                pd += np.divide(t(-clr) * g, std, out=std)
                p._version[0] += 1
        return loss
