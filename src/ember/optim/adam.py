"""Adam (and, with decoupled weight decay, AdamW)."""

import numpy as np

from .._tensor import Tensor, _make
from ._fused import addcmul_, fma, lerp_
from .optimizer import Optimizer, _step_tensor

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    if not (isinstance(betas[0], float) and isinstance(betas[1], float)
            or isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)):
        raise ValueError("betas must be either both floats or both Tensors")


class Adam(Optimizer):
    """PyTorch's Adam. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p   (AdamW: p *= 1 - lr * weight_decay)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v) if amsgrad (and used in place of v below)
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    state[p]: 'step' (a float32 0-d tensor), 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        betas = tuple(b.item() if isinstance(b, Tensor) else b for b in betas)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
            "capturable": capturable, "differentiable": differentiable, "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
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
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if grad._data.dtype.kind == "c" or p._data.dtype.kind == "c":
                    raise NotImplementedError("ember's Adam does not support complex parameters")
                pd = p._data
                t = pd.dtype.type
                st = state[p]
                if not st:
                    st["step"] = _make(np.array(0.0, dtype=np.float32))
                    st["exp_avg"] = _make(np.zeros_like(pd))
                    st["exp_avg_sq"] = _make(np.zeros_like(pd))
                    if amsgrad:
                        st["max_exp_avg_sq"] = _make(np.zeros_like(pd))
                g = grad._data
                if maximize:
                    g = -g
                step_t = st["step"]
                step_t._data += 1
                step_t._version[0] += 1
                if weight_decay != 0:
                    if decoupled:
                        pd *= t(1 - lr * weight_decay)
                    else:
                        g = fma(t(weight_decay), pd, g)
                m = st["exp_avg"]
                v = st["exp_avg_sq"]
                lerp_(m._data, g, 1 - beta1)
                vd = v._data
                vd *= t(beta2)
                addcmul_(vd, g, g, 1 - beta2)
                m._version[0] += 1
                v._version[0] += 1
                step = float(step_t._data)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2**0.5
                if amsgrad:
                    vmax = st["max_exp_avg_sq"]
                    np.maximum(vmax._data, vd, out=vmax._data)
                    vmax._version[0] += 1
                    vd = vmax._data
                denom = np.sqrt(vd)
                denom /= t(bias_correction2_sqrt)
                denom += t(eps)
                # addcdiv_: p + (value * m) / denom
                upd = np.divide(t(-step_size) * m._data, denom, out=denom)
                pd += upd
                p._version[0] += 1
        return loss
