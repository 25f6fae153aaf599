"""AdamW: Adam with weight decay applied to the parameters directly (decoupled)."""

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """PyTorch's AdamW: Adam whose weight decay shrinks the parameters (p *= 1 - lr * wd)
    before the update, instead of adding wd * p to the gradient. Default weight_decay 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
