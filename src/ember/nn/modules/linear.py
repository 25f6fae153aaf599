"""Linear (fully connected) layers, Bilinear and Identity; the parameter creation and the
initialisation that Linear shares with the convolutions."""

import math

from ...ops import creation as _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Bilinear", "Identity", "Linear"]


# -- what Linear shares with the convolutions ---------------------------------------------------
def _empty_parameter(shape, device, dtype):
    """A Parameter of this shape, uninitialised."""
    return Parameter(_creation.empty(shape, dtype=dtype, device=device))


def _bias_parameter(module, bias, size, device, dtype):
    """module.bias: a Parameter of size entries (uninitialised), or registered as None."""
    if bias:
        module.bias = _empty_parameter(size, device, dtype)
    else:
        module.register_parameter("bias", None)


def _reset_kaiming_uniform(weight, bias, draw_bias_without_fan_in=True):
    """PyTorch's initial weight (kaiming_uniform_ with a=sqrt(5)) and bias (uniform in
    +-1/sqrt(fan_in)) of Linear and the convolutions. At fan_in 0, Linear still draws the
    bias (from [0, 0]); the convolutions leave it as it is."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is None:
        return
    fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
    if fan_in > 0:
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(bias, -bound, bound)
    elif draw_bias_without_fan_in:
        init.uniform_(bias, 0, 0)


class Identity(Module):
    """Returns its input unchanged (a placeholder; any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features).

    Weight and bias start uniform in (-1/sqrt(in_features), 1/sqrt(in_features)), as in
    PyTorch (kaiming_uniform_ with a=sqrt(5))."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty_parameter((out_features, in_features), device, dtype)
        _bias_parameter(self, bias, out_features, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_kaiming_uniform(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y = x1^T A x2 + b, with weight A of shape (out_features, in1_features, in2_features).

    Weight and bias start uniform in (-1/sqrt(in1_features), 1/sqrt(in1_features))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = _empty_parameter((out_features, in1_features, in2_features), device,
                                       dtype)
        _bias_parameter(self, bias, out_features, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(
                f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
