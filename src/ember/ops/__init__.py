"""Every differentiable op, grouped by kind; each module lists its Tensor methods."""

from .. import _creation
from .._tensor import Tensor
from . import conv, copy, elementwise, indexing, linalg, nn_ops, reduction, shape


def _install():
    for module in (elementwise, reduction, shape, indexing, linalg, nn_ops, conv, copy,
                   _creation):
        for name, fn in module.TENSOR_METHODS.items():
            setattr(Tensor, name, fn)


_install()
