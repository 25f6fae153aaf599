"""NAdam: Adam with Nesterov momentum (and momentum decay)."""

from types import SimpleNamespace

import numpy as np

from .._tensor import Tensor, _make
from ._foreach import RealForeachOptimizer, decayed_grad
from ._fused import addcmul_, lerp_
from .adam import _check_betas
from .optimizer import check_lr, check_nonnegative

__all__ = ["NAdam"]

_F32 = np.float32


class NAdam(RealForeachOptimizer):
    """PyTorch's NAdam. Per parameter p with gradient g, each step t:

        g = -g if maximize;  g = g + weight_decay * p  (decoupled: p *= 1 - lr * weight_decay)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay));  mu_product *= mu_t
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
        p -= lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    state[p]: 'step', 'mu_product' (float32 0-d tensors), 'exp_avg', 'exp_avg_sq'.
    """

    _group_defaults = {
        "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
        "decoupled_weight_decay": False,
    }
    _capturable = {False: ("params, mu_products and state_steps", True),
                   True: ("params, mu_products, and state_steps", False)}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("momentum_decay value", momentum_decay)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if st and "mu_product" in st and not isinstance(st["mu_product"], Tensor):
                    st["mu_product"] = _make(np.array(float(st["mu_product"]), dtype=_F32))

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _init_state(self, param, group):
        return {"step": _make(np.array(0.0, dtype=_F32)),
                "mu_product": _make(np.array(1.0, dtype=_F32)),
                "exp_avg": _make(np.zeros_like(param._data)),
                "exp_avg_sq": _make(np.zeros_like(param._data))}

    def _buckets(self, group):
        # the step's mu_product (float32, as PyTorch keeps it) joins the bucket key
        beta1, decay = group["betas"][0], group["momentum_decay"]
        buckets = {}
        for (dtype, step), items in super()._buckets(group).items():
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
            for item in items:
                product = self.state[item[0]]["mu_product"]
                product._data[...] = product._data * product._data.dtype.type(mu)
                product._version[0] += 1
                key = (dtype, (step, mu, float(product._data)))
                buckets.setdefault(key, []).append(item)
        return buckets

    def _constants(self, group, key, t):
        step, mu, product = key
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        decay = group["momentum_decay"]
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
        weight_decay = group["weight_decay"]
        decoupled = group["decoupled_weight_decay"] and weight_decay != 0
        return SimpleNamespace(
            maximize=group["maximize"],
            weight_decay=0 if decoupled else t(weight_decay),
            shrink=t(1 - lr * weight_decay) if decoupled else None,
            one_minus_beta1=t(1 - beta1), beta2=t(beta2), one_minus_beta2=t(1 - beta2),
            bias_correction2=t(1 - beta2**step), eps=t(group["eps"]),
            grad_step=t(-lr * (1.0 - mu) / (1.0 - product)),
            avg_step=t((-lr * mu_next) / (1.0 - product * mu_next)),
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
        denom = np.divide(v, k.bias_correction2, out=x.tmp())
        np.sqrt(denom, out=denom)
        denom += k.eps
        step = x.tmp()
        p += np.divide(np.multiply(k.grad_step, g, out=step), denom, out=step)
        p += np.divide(np.multiply(k.avg_step, m, out=step), denom, out=step)
