"""ember.nn.grad: the gradients of a convolution with respect to its input and its weight,
as functions (torch.nn.grad): each is the backward of the convolution, through autograd, so
the result is differentiable again."""

from .. import autograd
from ..ops import conv as _conv
from ..ops import creation as _creation

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _input_grad(fn, input_size, weight, grad_output, stride, padding, dilation, groups):
    x = _creation.zeros(tuple(input_size), dtype=weight.dtype, requires_grad=True)
    with autograd.enable_grad():
        y = fn(x, weight, None, stride, padding, dilation, groups)
        keep = grad_output.requires_grad or weight.requires_grad
        return autograd.grad(y, x, grad_output, create_graph=keep)[0]


def _weight_grad(fn, input, weight_size, grad_output, stride, padding, dilation, groups):
    w = _creation.zeros(tuple(weight_size), dtype=input.dtype, requires_grad=True)
    with autograd.enable_grad():
        y = fn(input, w, None, stride, padding, dilation, groups)
        keep = grad_output.requires_grad or input.requires_grad
        return autograd.grad(y, w, grad_output, create_graph=keep)[0]


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d with respect to an input of size input_size."""
    return _input_grad(_conv.conv1d, input_size, weight, grad_output, stride, padding,
                       dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d with respect to a weight of size weight_size."""
    return _weight_grad(_conv.conv1d, input, weight_size, grad_output, stride, padding,
                        dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to an input of size input_size."""
    return _input_grad(_conv.conv2d, input_size, weight, grad_output, stride, padding,
                       dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to a weight of size weight_size."""
    return _weight_grad(_conv.conv2d, input, weight_size, grad_output, stride, padding,
                        dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d with respect to an input of size input_size."""
    return _input_grad(_conv.conv3d, input_size, weight, grad_output, stride, padding,
                       dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d with respect to a weight of size weight_size."""
    return _weight_grad(_conv.conv3d, input, weight_size, grad_output, stride, padding,
                        dilation, groups)
