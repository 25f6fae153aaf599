"""The linear layers' ops: linear (input @ weight.T + bias, recorded as PyTorch's addmm/mm)
and bilinear."""

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import name_saved
from ._op import check_tensor, formula_node, record
from .linalg import _mm_dtype_error, _mm_shape_error, _prod, _word, einsum, matmul, mm

__all__ = ["bilinear"]

_matmul = np.matmul


def _linear_grad_x(g, x, w):
    return matmul(g, w)


def _linear_grad_w(g, x, w):
    if x.ndim == 1:
        return g.unsqueeze(-1) * x
    if x.ndim == 2:
        return mm(g.t(), x)
    rows = _prod(x.shape[:-1])
    return mm(g.reshape(rows, g.shape[-1]).t(), x.reshape(rows, x.shape[-1]))


def _linear_grad_b(g, x, w):
    return g  # the engine sums it over the batch dimensions


def _linear_node(name):
    node = formula_node(name, _linear_grad_x, _linear_grad_w, _linear_grad_b)
    if name == "AddmmBackward0":
        return name_saved(node, mat1=0, mat2=1)
    return name_saved(node, self=0, mat2=1) if name == "MmBackward0" else node


# PyTorch's outermost node: addmm for a batch of rows with bias, mm without; other input ranks
# go through a reshape (view), an _unsafe_view or a squeeze of the 2-D result
_LINEAR_NODES = {
    (2, True): _linear_node("AddmmBackward0"), (2, False): _linear_node("MmBackward0"),
    (1, True): _linear_node("ViewBackward0"), (1, False): _linear_node("SqueezeBackward4"),
    (3, True): _linear_node("ViewBackward0"), (3, False): _linear_node("UnsafeViewBackward0"),
}


def linear(input, weight, bias=None):
    """input @ weight.T + bias, as one op."""
    if not isinstance(input, Tensor):
        check_tensor(input, "linear", "input", 1)
    if not isinstance(weight, Tensor):
        check_tensor(weight, "linear", "weight", 2)
    xd, wd = input._data, weight._data
    if wd.ndim != 2:
        if bias is not None:
            raise RuntimeError(f"mat2 must be a matrix, got {wd.ndim}-D tensor")
        return matmul(input, weight.t() if wd.ndim == 2 else weight)
    nx = xd.ndim
    if nx == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are 0D and {wd.ndim}D"
        )
    rows = _prod(xd.shape[:-1])
    if xd.shape[-1] != wd.shape[1]:
        raise _mm_shape_error((rows, xd.shape[-1]), wd.shape[::-1])
    if xd.dtype != wd.dtype:
        if bias is not None:  # PyTorch takes its addmm path, which words the error so
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{_word(xd.dtype)} and {_word(wd.dtype)}")
        raise _mm_dtype_error(xd.dtype, wd.dtype)
    if nx >= 3 and xd.flags.c_contiguous:
        out = _matmul(xd.reshape(rows, xd.shape[-1]), wd.T).reshape(xd.shape[:-1] + wd.shape[:1])
    else:
        out = _matmul(xd, wd.T)
    if bias is not None:
        bd = bias._data
        if bd.dtype != wd.dtype:
            raise RuntimeError(
                f"self and mat2 must have the same dtype, but got {_word(bd.dtype)} and "
                f"{_word(wd.dtype)}"
            )
        if bd.ndim > 2 or bd.shape and bd.shape[-1] not in (1, wd.shape[0]):
            target = [rows, wd.shape[0]]
            raise RuntimeError(
                f"The expanded size of the tensor ({wd.shape[0]}) must match the existing size "
                f"({bd.shape[-1]}) at non-singleton dimension 1.  Target sizes: "
                f"{target}.  Tensor sizes: {list(bd.shape)}"
            )
        out += bd
    node = _LINEAR_NODES[(min(nx, 3), bias is not None)]
    return record(out, node, (input, weight, bias), (input, weight))



_Trilinear = formula_node(
    "TrilinearBackward0",
    lambda g, a, w, b: einsum("bo,oij,bj->bi", g, w, b),
    lambda g, a, w, b: einsum("bo,bi,bj->oij", g, a, b),
    lambda g, a, w, b: einsum("bo,oij,bi->bj", g, w, a),
)


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]."""
    ad, bd, wd = input1._data, input2._data, weight._data
    if ad.ndim != bd.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {ad.ndim} and "
                           f"{bd.ndim}")
    for i in range(ad.ndim - 1):
        if ad.shape[i] != bd.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {ad.shape[i]} and {bd.shape[i]}")
    if ad.shape[-1] != wd.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{ad.shape[-1]} but expected {wd.shape[1]}")
    if bd.shape[-1] != wd.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{bd.shape[-1]} but expected {wd.shape[2]}")
    if bias is not None and bias._data.shape[-1] != wd.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias._data.shape[-1]} but expected {wd.shape[0]}")
    a = input1.reshape(-1, wd.shape[1])
    b = input2.reshape(-1, wd.shape[2])
    out = np.einsum("bi,oij,bj->bo", a._data, wd, b._data, optimize=True)
    y = record(out.astype(wd.dtype, copy=False), _Trilinear, (a, weight, b), (a, weight, b))
    y = y.reshape(ad.shape[:-1] + (wd.shape[0],))
    return y if bias is None else y + bias


FUNCTIONAL = ["bilinear", "linear"]  # the forms ember.nn.functional exports
TENSOR_METHODS = {}
