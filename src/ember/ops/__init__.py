"""Every op, by family: its forward on arrays and its rules beside it.

This package is also the one place where Tensor gets its methods and operators: each module
lists the ones it provides in TENSOR_METHODS, and ``_install`` attaches them all to the class.
The modules import one another in one direction only, in the order listed here.
"""

from .._tensor import Tensor
from ..autograd import engine
from . import (
    _inplace,
    _op,
    conv,
    copy,
    creation,
    elementwise,
    indexing,
    legacy,
    linalg,
    nn_ops,
    random,
    reduction,
    shape,
)

_ = (_op, _inplace)  # the shared machinery: recording nodes, the rules of in-place ops


def _install():
    for module in (engine, creation, shape, indexing, elementwise, reduction, copy, legacy,
                   random, linalg, nn_ops, conv):
        for name, fn in module.TENSOR_METHODS.items():
            setattr(Tensor, name, fn)


_install()
