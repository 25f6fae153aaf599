"""Adafactor: Adam-like steps from a factored (row and column) second moment."""

import numpy as np

from .._errstate import restore, silence
from .._tensor import Tensor, _make
from ._foreach import Block, _Scratch
from ._fused import fma_, lerp_
from .optimizer import Optimizer, _step_tensor

__all__ = ["Adafactor"]

_F64 = np.float64


def _norm(a, axis=None, keepdims=False):
    """torch.norm(a) in a's dtype: the sum of squares taken in float64, rounded once."""
    w = a.astype(_F64)
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=keepdims)).astype(a.dtype)


def _mean_square(g, axis):
    """norm(g, dim=axis)**2 / g.size(axis), each step rounded to g's dtype."""
    n = _norm(g, axis, keepdims=True)
    n *= n
    n /= g.dtype.type(g.shape[axis])
    return n


class Adafactor(Optimizer):
    """PyTorch's Adafactor. Per parameter p with gradient g, each step t:

        g = -g if maximize;  w = t**beta2_decay;  rho = min(lr, 1 / sqrt(t))
        alpha = max(eps2, RMS(p)) * rho;  p *= 1 - lr * weight_decay
        2-D and more: r = lerp(r, mean(g*g, -1), w);  c = lerp(c, mean(g*g, -2), w)
                      V = r @ c / max(mean(r, -2), eps1)
        otherwise:    V = v = lerp(v, g*g, w)
        U = g / sqrt(max(V, eps1**2));  p -= alpha / max(1, RMS(U) / d) * U

    eps1 None is the parameter dtype's machine epsilon. state[p]: 'step' (a float32 0-d
    tensor) and 'row_var' and 'col_var' (2-D and more) or 'variance'.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
            "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            for p in group["params"]:
                st = self.state.get(p)
                if st:
                    _step_tensor(st)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = self._closure_loss(closure)
        token = silence()
        try:
            for group in self.param_groups:
                for p in group["params"]:
                    if p._grad is not None:
                        self._step_param(p, group)
        finally:
            restore(token)
        return loss

    def _step_param(self, p, group):
        if p.is_complex():
            raise RuntimeError("Adafactor does not support complex parameters")
        g = p._grad._data
        pd = p._data
        st = self.state[p]
        if not st:
            st["step"] = _make(np.array(0.0, dtype=np.float32))
            if g.ndim > 1:
                st["row_var"] = _make(np.zeros(g.shape[:-1] + (1,), g.dtype))
                st["col_var"] = _make(np.zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype))
            else:
                st["variance"] = _make(np.zeros_like(g))
        if g.dtype != pd.dtype:
            g = g.astype(pd.dtype)
        if group["maximize"]:
            g = -g
        step_t = _step_tensor(st)
        step_t._data += 1
        step_t._version[0] += 1
        step = float(step_t._data)
        t = pd.dtype.type
        lr = float(group["lr"])
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(pd.dtype).eps)
        weight = t(step ** group["beta2_decay"])
        rho = min(lr, 1 / (step**0.5))
        alpha = max(eps2, float(_norm(pd)) / (pd.size**0.5)) * rho
        if group["weight_decay"] != 0:
            pd *= t(1 - lr * group["weight_decay"])
        scratch = _Scratch(0)
        if g.ndim > 1:
            row, col = st["row_var"], st["col_var"]
            lerp_(row._data, _mean_square(g, -1), weight, Block(row._data, None, {}, scratch))
            lerp_(col._data, _mean_square(g, -2), weight, Block(col._data, None, {}, scratch))
            var = np.matmul(row._data, col._data)
            # divided by max(mean of r over its rows, eps1)
            mean = (np.sum(row._data.astype(_F64), axis=-2, keepdims=True)
                    / row._data.shape[-2]).astype(pd.dtype)
            var /= np.maximum(mean, t(eps1))
            row._version[0] += 1
            col._version[0] += 1
        else:
            variance = st["variance"]
            lerp_(variance._data, g * g, weight, Block(variance._data, None, {}, scratch))
            variance._version[0] += 1
            var = variance._data.copy()
        update = np.maximum(var, t(eps1 * eps1), out=var)  # U = g / sqrt(max(V, eps1**2))
        np.sqrt(update, out=update)
        np.divide(t(1), update, out=update)
        update *= g
        denom = max(1.0, float(_norm(update)) / ((update.size**0.5) * group["d"]))
        fma_(pd, t(-alpha / denom), update, pd, Block(pd, None, {}, scratch))
        p._version[0] += 1
