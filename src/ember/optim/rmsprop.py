"""RMSprop: divide each gradient by a running root mean square of recent gradients."""

import numpy as np

from .._tensor import Tensor, _make
from ._fused import addcmul_, fma, fma_, lerp_
from .optimizer import Optimizer, _step_tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """PyTorch's RMSprop. Per parameter p with gradient g, each step:

        g = -g if maximize;  g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - ga * ga) with ga = lerp(ga, g, 1 - alpha) if centered else sqrt(v)
        avg += eps
        momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
        otherwise:    p -= lr * g / avg

    state[p]: 'step', 'square_avg', 'momentum_buffer' (momentum > 0), 'grad_avg' (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            for p in group["params"]:
                st = self.state.get(p)
                if st:
                    _step_tensor(st)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = group["alpha"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                pd = p._data
                t = pd.dtype.type
                st = state[p]
                if not st:
                    st["step"] = _make(np.array(0.0, dtype=np.float32))
                    st["square_avg"] = _make(np.zeros_like(pd))
                    if momentum > 0:
                        st["momentum_buffer"] = _make(np.zeros_like(pd))
                    if centered:
                        st["grad_avg"] = _make(np.zeros_like(pd))
                g = grad._data
                if maximize:
                    g = -g
                step_t = st["step"]
                step_t._data += 1
                step_t._version[0] += 1
                if weight_decay != 0:
                    g = fma(t(weight_decay), pd, g)
                sq = st["square_avg"]
                sqd = sq._data
                sqd *= t(alpha)
                addcmul_(sqd, g, g, 1 - alpha)
                sq._version[0] += 1
                if centered:
                    ga = st["grad_avg"]
                    lerp_(ga._data, g, 1 - alpha)
                    ga._version[0] += 1
                    avg = addcmul_(sqd.copy(), ga._data, ga._data, -1)
                    np.sqrt(avg, out=avg)
                else:
                    avg = np.sqrt(sqd)
                avg += t(eps)
                if momentum > 0:
                    buf = st["momentum_buffer"]
                    bd = buf._data
                    bd *= t(momentum)
                    bd += g / avg  # addcdiv_ with value 1
                    buf._version[0] += 1
                    fma_(pd, t(-lr), bd, pd)
                else:
                    pd += np.divide(t(-lr) * g, avg, out=avg)
                p._version[0] += 1
        return loss
