"""ember.nn.utils.weight_norm: the hook-based weight normalization (torch.nn.utils.weight_norm,
deprecated in PyTorch in favour of nn.utils.parametrizations.weight_norm).

The parameter ``name`` is replaced by ``name_g`` (its norm over every dimension but ``dim``)
and ``name_v`` (its direction); a forward pre-hook recomputes ``name = v * g / ||v||`` before
each forward."""

import warnings

from ... import autograd
from ...ops._nn_common import as_kernel, kernel_node
from ..parameter import Parameter

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm of v over every dimension but dim (over all of them when dim is -1), with
    v's rank (ones where reduced)."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.dim()
    axes = [d for d in range(v.dim()) if d != dim]
    return v.norm(pow, dim=axes, keepdim=True)


def _weight_norm_raw(v, g, dim):
    return v * (g / norm_except_dim(v, 2, dim))


_WeightNormInterface = kernel_node("WeightNormInterfaceBackward0")


def _weight_norm(v, g, dim=0):
    """v * (g / ||v||), the norm over every dimension but dim: one WeightNormInterfaceBackward0
    node where PyTorch's fused kernel runs (dim first or last), its ops elsewhere."""
    if dim == 0 or dim == v.dim() - 1:
        return as_kernel(_WeightNormInterface, (v, g), _weight_norm_raw, v, g, dim)
    return _weight_norm_raw(v, g, dim)


class WeightNorm:
    """The forward pre-hook that recomputes ``name`` from ``name_g`` and ``name_v``."""

    def __init__(self, name, dim):
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        with autograd.no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrize module's parameter name as name_g * name_v / ||name_v|| (the norm over
    every dimension but dim; over all of them when dim is None); returns module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm: name is a plain parameter again, holding the current weight."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
