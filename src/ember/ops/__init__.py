"""Every differentiable op, grouped by kind; each module lists its Tensor methods."""

from .. import _creation
from .._tensor import Tensor
from . import (
    activation,
    conv,
    copy,
    dropout,
    elementwise,
    embedding,
    indexing,
    linalg,
    linear,
    loss,
    normalization,
    padding,
    pooling,
    reduction,
    shape,
)


def _install():
    for module in (elementwise, reduction, shape, indexing, linalg, activation, linear, loss,
                   normalization, dropout, embedding, conv, pooling, padding, copy, _creation):
        for name, fn in module.TENSOR_METHODS.items():
            setattr(Tensor, name, fn)


_install()
