"""The linear layers' ops: linear (input @ weight.T + bias, recorded as PyTorch's addmm/mm)
and bilinear."""

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import name_saved
from ._op import check_tensor, formula_node, record
from .linalg import (
    _Addmm,
    _Mm,
    _mm_dtype_error,
    _mm_shape_error,
    _prod,
    _squeeze_row,
    _word,
    einsum,
    matmul,
)
from .shape import t, unsafe_view, unsqueeze, view

__all__ = ["bilinear"]

_matmul = np.matmul


def linear(input, weight, bias=None):
    """input @ weight.T + bias, recorded as PyTorch records it (see the comment below)."""
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
    # PyTorch's graph: addmm(bias, x, weight.t()) (mm without bias) on rows; a 1-D input is
    # viewed (unsqueezed) as one row and the result viewed (squeezed) back; a contiguous batch is
    # viewed as rows and back; any other input takes matmul, then adds the bias
    wt = t(weight)
    if nx == 2:
        return _rows(input, wt, bias)
    if nx == 1:
        if bias is None:
            return _squeeze_row(_rows(unsqueeze(input, 0), wt, None))
        return view(_rows(view(input, (1, wd.shape[1])), wt, bias), (wd.shape[0],))
    if not xd.flags.c_contiguous:
        out = matmul(input, wt)
        return out if bias is None else out + bias
    out = _rows(view(input, (rows, wd.shape[1])), wt, bias)
    shape = xd.shape[:-1] + wd.shape[:1]
    if bias is None:
        return unsafe_view(out, shape)
    return view(out, shape)


def _rows(x, wt, bias):
    """x @ wt (+ bias) for a matrix of rows, recorded as PyTorch's mm / addmm."""
    xd = x._data
    if xd.dtype.char in "eE":  # float16/bfloat16: product and bias in float32, one rounding
        out = _matmul(xd.astype(np.float32), wt._data.astype(np.float32))
        if bias is not None:
            out += bias._data.astype(np.float32)
        out = out.astype(xd.dtype)
    else:
        out = _matmul(xd, wt._data)
        if bias is not None:
            out += bias._data
    if bias is None:
        return record(out, _Mm, (x, wt), (x, wt))
    return record(out, _Addmm, (bias, x, wt), (None, x, wt, 1, 1))


_Trilinear = name_saved(formula_node(
    "TrilinearBackward0",
    lambda g, a, w, b: einsum("bo,oij,bj->bi", g, w, b),
    lambda g, a, w, b: einsum("bo,bi,bj->oij", g, a, b),
    lambda g, a, w, b: einsum("bo,oij,bi->bj", g, w, a),
), i1=0, i2=1, i3=2,
    # PyTorch's bilinear calls _trilinear(input1, weight, input2) with these dims
    expand1=lambda n: (1, 3), expand2=lambda n: (0,), expand3=lambda n: (1, 2),
    sumdim=lambda n: (2, 3))


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
