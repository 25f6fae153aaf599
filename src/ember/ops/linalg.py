"""Matrix products: matmul (@), mm, bmm, mv, dot, outer, einsum, tensordot, addmm, baddbmm.

Every product's forward is one NumPy matmul call on the arrays. Each gradient is again a
matrix product written in ember ops (so double backward works); the engine sums gradients
over broadcast batch dimensions. matmul records a single node named as PyTorch's outermost
node for that case of shapes (PyTorch builds its result from several view/mm/bmm steps).
einsum, tensordot and inner run PyTorch's own steps (permutes, reshapes, sums, bmm/mm/dot),
so their graph is the graph of those ops; with nothing to record, the same steps run on the
arrays.
"""

import operator

import numpy as np

from .._dtype import from_np
from .._errors import note
from .._tensor import Tensor, _make
from ..autograd import forward_ad as _fw
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Packed, name_saved
from . import _out, elementwise, reduction
from ._op import bilinear, broadcast_shapes_error, check_tensor, formula_node, record
from .copy import contiguous
from .shape import (
    _Permute,
    _Unsqueeze,
    as_view,
    diagonal,
    expand,
    flatten,
    movedim,
    reshape,
    squeeze,
    transpose,
    transposed,
    unsafe_view,
    unsqueeze,
    view,
)
from .shape import t as _t

__all__ = [
    "addmm", "baddbmm", "bmm", "dot", "einsum", "ger", "inner", "matmul", "mm", "mv", "outer",
    "tensordot", "vdot",
]

_ndarray = np.ndarray
_f32 = np.float32
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_fw_state = _fw.state


def _matmul(a, b):
    """np.matmul; float16 and bfloat16 multiply in float32 and round the result once, as
    PyTorch's CPU kernels accumulate them. A product of two real float matrices over an inner
    size of 1 (an outer product: a Linear layer's weight gradient for one sample) is the
    elementwise product, the same numbers: NumPy's matmul runs it without BLAS, about ten
    times slower."""
    dt = a.dtype
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 and dt.kind == "f" and b.dtype == dt:
        return np.multiply(a, b) if dt.char not in "eE" else \
            np.multiply(a.astype(_f32), b.astype(_f32)).astype(dt)
    if dt is _F32 or dt is _F64 or dt.char not in "eE":
        return np.matmul(a, b)
    return np.matmul(a.astype(_f32), b.astype(_f32)).astype(dt)


def _bmm_arrays(a, b):
    """np.matmul of two stacks of matrices without its slow cases: an inner size of 1
    (per-sample outer products, the weight gradients of per-sample gradient computations)
    goes through einsum, and a stack that repeats one matrix (a zero stride along the batch,
    as vmap's expanded operands have) becomes one matrix product with the other stack's
    matrices side by side."""
    if a.shape[-1] == 1:
        if a.dtype.char in "eE":
            return np.einsum("bik,bkj->bij", a.astype(_f32), b.astype(_f32)).astype(a.dtype)
        return np.einsum("bik,bkj->bij", a, b)
    if b.strides[0] == 0 and b.shape[0] > 1:
        count, m, n = a.shape
        return _matmul(a.reshape(count * m, n), b[0]).reshape(count, m, b.shape[2])
    if a.strides[0] == 0 and a.shape[0] > 1:
        count, n, p = b.shape
        wide = b.transpose(1, 0, 2).reshape(n, count * p)
        return _matmul(a[0], wide).reshape(a.shape[1], count, p).transpose(1, 0, 2)
    return _matmul(a, b)

def _word(d):
    return from_np[d].word


def _cpp(d):
    return from_np[d].cpp


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# -- gradient formulas --------------------------------------------------------------------------
# For complex operands the gradient of a product goes through the other factor's conjugate
# (PyTorch's convention: b^H where a real product has b^T); ``_c`` is that conjugate, and
# nothing at all for real arrays and tensors.
def _c(x):
    if x.__class__ is np.ndarray:
        return np.conj(x) if x.dtype.kind == "c" else x
    return x.conj() if x._data.dtype.kind == "c" else x


def _dot_grad_a(g, a, b):
    return g * _c(b)


def _dot_grad_b(g, a, b):
    return g * _c(a)


def _vdot_grad_a(g, a, b):
    return _c(g) * b  # vdot conjugates its first factor


def _mv_grad_mat(g, m, v):
    if g.__class__ is np.ndarray:  # a first-order backward (see FormulaNode.arrays)
        return g[..., None] * _c(v)
    return g.unsqueeze(-1) * _c(v)


def _mv_grad_vec(g, m, v):
    if g.__class__ is np.ndarray:
        return _c(m).T @ g
    return mv(_c(m).t(), g)


def _column_major(m):
    d = m if m.__class__ is np.ndarray else m._data
    return d.flags.f_contiguous and not d.flags.c_contiguous


def _mm_grad_a(g, a, b):
    # a column-major input (a transposed matrix) gets its gradient in its own layout, as in
    # PyTorch: the t() behind it then hands its input a row-major gradient, with no copy
    if _column_major(a):
        return transposed(_times(_c(b), transposed(g)))
    return _times(g, transposed(_c(b)))


def _mm_grad_b(g, a, b):
    if _column_major(b):
        return transposed(_times(transposed(g), _c(a)))
    return _times(transposed(_c(a)), g)


def _times(a, b):
    """a @ b: arrays (a first-order backward) through _matmul, Tensors through the op."""
    return _matmul(a, b) if a.__class__ is np.ndarray else a @ b


def _bmm_grad_a(g, a, b):
    return bmm(g, _c(b).transpose(1, 2))


def _bmm_grad_b(g, a, b):
    return bmm(_c(a).transpose(1, 2), g)


# -- PyTorch's sym_sizes / sym_strides of a product's operands, read from what the node keeps ----
def _saved_operand(n, i):
    """The operand saved at position i (no version check: only its shape and strides are read,
    which an in-place change keeps)."""
    saved = n._store
    if saved is None or saved.__class__ is Packed:
        return n._field(i, False)
    item = saved[i]
    return item if isinstance(item, Tensor) else n._field(i, False)


def _sym_sizes(i):
    """``<operand>_sym_sizes``: the shape of the operand saved at position i."""
    def get(n):
        m = n._meta[i]
        return tuple(m[0]) if m is not None else tuple(_saved_operand(n, i)._data.shape)
    return get


def _sym_strides(i):
    """``<operand>_sym_strides``: its strides when it needs a gradient, else () (PyTorch keeps
    them only for that input's formula)."""
    def get(n):
        return () if n._meta[i] is None else _saved_operand(n, i).stride()
    return get


# forward rules: products are linear in each factor (one term per factor with a tangent)
_Dot = name_saved(formula_node("DotBackward0", _dot_grad_a, _dot_grad_b,
                               jvp=bilinear(lambda a, b: dot(a, b))),
                  self=0, tensor=1, needed={"self": 1, "tensor": 0})
_Mv = name_saved(formula_node("MvBackward0", _mv_grad_mat, _mv_grad_vec, arrays=True,
                              jvp=bilinear(lambda a, b: mv(a, b))),
                 self=0, vec=1, needed={"self": 1, "vec": 0})
_Mm = name_saved(formula_node("MmBackward0", _mm_grad_a, _mm_grad_b, arrays=True,
                              jvp=bilinear(lambda a, b: mm(a, b))), self=0, mat2=1,
                 needed={"self": 1, "mat2": 0},
                 self_sym_sizes=_sym_sizes(0), self_sym_strides=_sym_strides(0),
                 mat2_sym_sizes=_sym_sizes(1), mat2_sym_strides=_sym_strides(1))
_Bmm = formula_node("BmmBackward0", _bmm_grad_a, _bmm_grad_b,
                    jvp=bilinear(lambda a, b: bmm(a, b)))
name_saved(_Bmm, self=0, mat2=1, needed={"self": 1, "mat2": 0})
_SqueezeRow = name_saved(formula_node("SqueezeBackward4", lambda g, shape: g.reshape(shape)),
                         self_sym_sizes=0, dim=lambda n: 0)


def _squeeze_row(m):
    """A one-row product squeezed to a vector, as PyTorch's squeeze_(0) records it."""
    d = m._data
    return record(d.reshape(d.shape[1:]), _SqueezeRow, (m,), (d.shape,))


# -- errors -------------------------------------------------------------------------------------
def _mm_shape_error(sa, sb):
    exc = RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})"
    )
    note(exc,
        f"For A @ B the last dimension of A ({sa[1]}) must equal the first dimension of B "
        f"({sb[0]}). Check the shapes, or transpose one operand (.T / .t())."
    )
    return exc


def _mv_shape_error(sm, n):
    exc = RuntimeError(f"size mismatch, got input ({sm[0]}), mat ({sm[0]}x{sm[1]}), vec ({n})")
    note(exc, f"A matrix with {sm[1]} columns can only multiply a vector of length {sm[1]}.")
    return exc


def _dot_size_error(n, m):
    return RuntimeError(
        f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
        f"of elements, but got {n} and {m} elements respectively"
    )


def _bmm_size_error(batch, m1, m2):
    exc = RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {m1}] but "
        f"got: [{batch}, {m2}]."
    )
    note(exc, f"The inner dimensions of the matrix product differ ({m1} and {m2}).")
    return exc


def _folds(a, b):
    """Whether PyTorch's matmul folds the batch of the larger operand into mm/mv rows.

    matmul folds when it does; it also decides which error a shape mismatch raises."""
    da, db = a._data.ndim, b._data.ndim
    a_larger = da >= db
    big, small_dim = (a, db) if a_larger else (b, da)
    if not (big._data.ndim >= 3 and small_dim <= 2):
        return False
    if (b if a_larger else a)._requires_grad:
        return True
    if da == 2:
        return False
    shape = list(big._data.shape)
    strides = [s // big._data.itemsize for s in big._data.strides]
    if not a_larger:
        shape[-1], shape[-2] = shape[-2], shape[-1]
        strides[-1], strides[-2] = strides[-2], strides[-1]
    if _prod(shape) == 0:
        return True
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _fold_operands(a, b):
    """Shapes (and tensors) of the mm/mv that PyTorch's folded matmul runs."""
    sa, sb = a._data.shape, b._data.shape
    if len(sb) > len(sa):
        t1 = (*sb[:-2], sb[-1], sb[-2])
        t2 = sa[::-1] if len(sa) == 2 else sa
        return t1, t2, b, a
    return sa, sb, a, b


def _matmul_check(a, b):
    """PyTorch's error for operands matmul cannot multiply (shapes first, then dtypes)."""
    ad, bd = a._data, b._data
    sa, sb = ad.shape, bd.shape
    da, db = ad.ndim, bd.ndim
    if da == 0 or db == 0:
        return RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    same = ad.dtype == bd.dtype
    if da == 1 and db == 1:
        if not same:
            return _dot_dtype_error(ad.dtype, bd.dtype)
        return _dot_size_error(sa[0], sb[0]) if sa != sb else None
    if da == 2 and db == 1:
        if sa[1] != sb[0]:
            return _mv_shape_error(sa, sb[0])
        return None if same else _mv_dtype_error(ad.dtype, bd.dtype)
    if da <= 2 and db == 2:
        rows = sa if da == 2 else (1, sa[0])
        if rows[1] != sb[0]:
            return _mm_shape_error(rows, sb)
        return None if same else _mm_dtype_error(ad.dtype, bd.dtype)
    if _folds(a, b):
        s1, s2, t1, t2 = _fold_operands(a, b)
        rows = (_prod(s1[:-1]), s1[-1])
        if len(s2) == 2:
            if rows[1] != s2[0]:
                return _mm_shape_error(rows, s2)
            return None if same else _mm_dtype_error(t1._data.dtype, t2._data.dtype)
        if rows[1] != s2[0]:
            return _mv_shape_error(rows, s2[0])
        return None if same else _mv_dtype_error(t1._data.dtype, t2._data.dtype)
    exc = broadcast_shapes_error(sa[:-2], sb[:-2])
    if exc is not None:
        return exc
    m1, m2 = sa[-1], (sb[-2] if db > 1 else sb[0])
    if m1 != m2:
        batch = _prod(np.broadcast_shapes(sa[:-2], sb[:-2]))
        return _bmm_size_error(batch, m1, m2)
    return None if same else _bmm_dtype_error(ad.dtype, bd.dtype)


def _dot_dtype_error(x, y):
    return RuntimeError(
        f"dot : expected both vectors to have same dtype, but found {_word(x)} and {_word(y)}"
    )


def _mv_dtype_error(mat, vec):
    return RuntimeError(
        f"addmv input tensors must have the same dtype, but got {_word(vec)}, {_word(mat)}, "
        f"and {_word(vec)}"
    )


def _mm_dtype_error(x, y):
    exc = RuntimeError(
        f"expected m1 and m2 to have the same dtype, but got: {_cpp(x)} != {_cpp(y)}"
    )
    note(exc, "Matrix products do not promote dtypes: convert one operand first, e.g. "
                 "b.to(a.dtype) or a.float().")
    return exc


def _bmm_dtype_error(x, y):
    return RuntimeError(f"expected scalar type {_word(x)} but found {_word(y)}")


def _not_bool(d, name):
    if d.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


# -- matmul and its named special cases ---------------------------------------------------------
def matmul(input, other):
    if not isinstance(other, Tensor):
        check_tensor(input, "matmul", "input", 1)
        check_tensor(other, "matmul", "other", 2)
    ad, bd = input._data, other._data
    na, nb = ad.ndim, bd.ndim
    if ad.dtype is not bd.dtype and ad.dtype != bd.dtype or not na or not nb:
        raise _matmul_check(input, other)
    if ad.dtype.kind == "b":
        _not_bool(ad, "dot" if na == nb == 1 else "addmv_impl_cpu" if nb == 1 else
                  "addmm_impl_cpu_" if na <= 2 and nb <= 2 else "bmm")
    if na == 2 and nb == 2:
        try:
            return record(_matmul(ad, bd), _Mm, (input, other), (input, other))
        except ValueError:
            raise _matmul_check(input, other) from None
    if na == 3 and nb == 3 and (ad.shape[0] == 1) != (bd.shape[0] == 1):
        # a batch of one that needs a gradient, against a batch: PyTorch squeezes it to a
        # matrix (whose gradient then needs no expand) and folds the other batch
        one, a, b = ((input, squeeze(input, 0), other) if ad.shape[0] == 1 else
                     (other, input, squeeze(other, 0)))
        if one._requires_grad:
            exc = _matmul_check(a, b)
            if exc is not None:
                raise exc
            return _folded(a, b)
    exc = _matmul_check(input, other)
    if exc is not None:
        raise exc
    # the other shapes are built from named ops, recording PyTorch's graph for each case
    if na == 1 and nb == 1:
        return record(_matmul(ad, bd), _Dot, (input, other), (input, other))
    if na == 2 and nb == 1:
        return record(_matmul(ad, bd), _Mv, (input, other), (input, other))
    if na == 1 and nb == 2:  # the vector as one row, squeezed back
        row = unsqueeze(input, 0)
        return _squeeze_row(record(_matmul(row._data, bd), _Mm, (row, other), (row, other)))
    if _folds(input, other):
        return _folded(input, other)
    return _batched(input, other)


def _folded(a, b):
    """A batch against a matrix or vector: the batch folded into the rows of one mm (mv).
    A matrix against a batch runs as the transposed product, transposed back."""
    flip = b._data.ndim > a._data.ndim
    big = transpose(b, -2, -1) if flip else a
    small = (_t(a) if a._data.ndim == 2 else a) if flip else b
    s1, s2 = big._data.shape, small._data.shape
    rows = reshape(big, (_prod(s1[:-1]), s1[-1]))
    node = _Mm if len(s2) == 2 else _Mv
    out = record(_matmul(rows._data, small._data), node, (rows, small), (rows, small))
    out = unsafe_view(out, s1[:-1] + s2[1:])
    if flip and len(s2) == 2:
        return contiguous(transpose(out, -2, -1))
    return out


def _batched(a, b):
    """Batches broadcast against each other: both expanded and reshaped to 3-D, one bmm."""
    sa, sb = a._data.shape, b._data.shape
    n = sa[-2] if len(sa) > 1 else 1
    m, p = sa[-1], (sb[-1] if len(sb) > 1 else 1)
    batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
    count = _prod(batch)
    a3 = reshape(expand(a, batch + (n, m)), (count, n, m))
    if len(sb) == 1:
        b3 = unsqueeze(reshape(expand(b, batch + (m,)), (count, m)), 2)
    else:
        b3 = reshape(expand(b, batch + (m, p)), (count, m, p))
    out = record(_bmm_arrays(a3._data, b3._data), _Bmm, (a3, b3), (a3, b3))
    if len(sb) == 1:
        out = squeeze(out, -1)
    return unsafe_view(out, batch + sa[-2:-1] * (len(sa) > 1) + sb[-1:] * (len(sb) > 1))


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _matmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def mm(input, mat2):
    check_tensor(input, "mm", "input", 1)
    check_tensor(mat2, "mm", "mat2", 2)
    ad, bd = input._data, mat2._data
    if ad.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if bd.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if ad.shape[1] != bd.shape[0]:
        raise _mm_shape_error(ad.shape, bd.shape)
    if ad.dtype != bd.dtype:
        raise _mm_dtype_error(ad.dtype, bd.dtype)
    _not_bool(ad, "addmm_impl_cpu_")
    return record(_matmul(ad, bd), _Mm, (input, mat2), (input, mat2))


def mv(input, vec):
    check_tensor(input, "mv", "input", 1)
    check_tensor(vec, "mv", "vec", 2)
    ad, vd = input._data, vec._data
    if ad.ndim != 2 or vd.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {ad.ndim}, {vd.ndim}"
        )
    if ad.shape[1] != vd.shape[0]:
        raise _mv_shape_error(ad.shape, vd.shape[0])
    if ad.dtype != vd.dtype:
        raise _mv_dtype_error(ad.dtype, vd.dtype)
    _not_bool(ad, "addmv_impl_cpu")
    return record(_matmul(ad, vd), _Mv, (input, vec), (input, vec))


def dot(input, tensor, *, _node=_Dot):
    check_tensor(input, "dot", "input", 1)
    check_tensor(tensor, "dot", "tensor", 2)
    ad, bd = input._data, tensor._data
    if ad.ndim != 1 or bd.ndim != 1:
        exc = RuntimeError(f"1D tensors expected, but got {ad.ndim}D and {bd.ndim}D tensors")
        note(exc, "dot takes two vectors; use matmul (@) for matrices, or flatten first.")
        raise exc
    if ad.dtype != bd.dtype:
        raise _dot_dtype_error(ad.dtype, bd.dtype)
    if ad.shape != bd.shape:
        raise _dot_size_error(ad.shape[0], bd.shape[0])
    _not_bool(ad, "dot")
    if _node is _Vdot and ad.dtype.kind == "c":
        ad = np.conj(ad)  # vdot: sum(conj(a) * b)
    return record(_matmul(ad, bd), _node, (input, tensor), (input, tensor))


_Vdot = name_saved(formula_node("VdotBackward0", _vdot_grad_a, lambda g, a, b: g * a,
                                jvp=bilinear(lambda a, b: vdot(a, b))),
                   self=0, other=1, needed={"self": 1, "other": 0})


def vdot(input, other):
    return dot(input, other, _node=_Vdot)  # dot conjugates the first factor for _Vdot


def bmm(input, mat2):
    check_tensor(input, "bmm", "input", 1)
    check_tensor(mat2, "bmm", "mat2", 2)
    ad, bd = input._data, mat2._data
    if ad.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if bd.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if bd.shape[:2] != (ad.shape[0], ad.shape[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{ad.shape[0]}, {ad.shape[2]}] but got: [{bd.shape[0]}, {bd.shape[1]}]."
        )
    if ad.dtype != bd.dtype:
        raise _bmm_dtype_error(ad.dtype, bd.dtype)
    _not_bool(ad, "bmm")
    return record(_bmm_arrays(ad, bd), _Bmm, (input, mat2), (input, mat2))


def outer(input, vec2):
    check_tensor(input, "outer", "input", 1)
    check_tensor(vec2, "outer", "vec2", 2)
    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return input.reshape(-1, 1) * vec2


ger = outer


def inner(input, other):
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(sa)} and {list(sb)}")
    return tensordot(input, other, ([-1], [-1]))


def _addmm_grad_self(g, s, m1, m2, beta, alpha):
    return g * beta if beta != 1 else g


def _addmm_grad_m1(g, s, m1, m2, beta, alpha):
    r = _mm_grad_a(g, m1, m2)
    return r * alpha if alpha != 1 else r


def _addmm_grad_m2(g, s, m1, m2, beta, alpha):
    r = _mm_grad_b(g, m1, m2)
    return r * alpha if alpha != 1 else r


# the formulas run on arrays too; the input itself is not saved (its gradient needs no value)
def _addmm_jvp(product):
    # beta * t_input + alpha * (product(t_1, m_2) + product(m_1, t_2))
    prod = bilinear(product)

    def jvp(ts, inputs, saved, out):
        beta, alpha = saved[3], saved[4]
        total = prod(ts[1:], inputs[1:], saved, out)
        if total is not None and alpha != 1:
            total = total * alpha
        if ts[0] is not None and beta != 0:
            term = ts[0] * beta if beta != 1 else ts[0]
            total = term if total is None else total + term
        return total

    return jvp


_Addmm = name_saved(
    formula_node("AddmmBackward0", _addmm_grad_self, _addmm_grad_m1, _addmm_grad_m2,
                 arrays=True, jvp=_addmm_jvp(lambda a, b: mm(a, b))),
    mat1=1, mat2=2, beta=3, alpha=4, needed={"mat1": 2, "mat2": 1},
    mat1_sym_sizes=_sym_sizes(1), mat1_sym_strides=_sym_strides(1),
    mat2_sym_sizes=_sym_sizes(2), mat2_sym_strides=_sym_strides(2),
)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    prod = mm(mat1, mat2)._data
    out = _scaled_sum(input._data, prod, beta, alpha) if prod.dtype.char not in "eE" else \
        _low_scaled_sum(input._data, np.matmul, mat1._data, mat2._data, beta, alpha)
    return record(out, _Addmm, (input, mat1, mat2), (None, mat1, mat2, beta, alpha))


def _low_scaled_sum(s, product, m1, m2, beta, alpha):
    """addmm / baddbmm in float16 or bfloat16: the product and the sum in float32, one
    rounding."""
    dt = m1.dtype
    prod = product(m1.astype(_f32), m2.astype(_f32))
    return _scaled_sum(s.astype(_f32), prod, beta, alpha).astype(dt)


def _scaled_sum(s, prod, beta, alpha):
    if alpha != 1:
        prod = prod * prod.dtype.type(alpha)
    if beta == 0:
        # beta == 0 ignores input entirely (nan and inf included), as in PyTorch
        return np.broadcast_to(prod, np.broadcast_shapes(s.shape, prod.shape)).copy()
    if beta != 1:
        s = s * s.dtype.type(beta)
    try:
        return (s + prod).astype(prod.dtype, copy=False)
    except ValueError:
        raise broadcast_shapes_error(s.shape, prod.shape) from None


def _baddbmm_grad_b1(g, s, b1, b2, beta, alpha):
    r = bmm(g, b2.transpose(1, 2))
    return r * alpha if alpha != 1 else r


def _baddbmm_grad_b2(g, s, b1, b2, beta, alpha):
    r = bmm(b1.transpose(1, 2), g)
    return r * alpha if alpha != 1 else r


_Baddbmm = name_saved(
    formula_node("BaddbmmBackward0", _addmm_grad_self, _baddbmm_grad_b1, _baddbmm_grad_b2,
                 jvp=_addmm_jvp(lambda a, b: bmm(a, b))),
    batch1=1, batch2=2, beta=3, alpha=4, needed={"batch1": 2, "batch2": 1},
)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    prod = bmm(batch1, batch2)._data
    out = _scaled_sum(input._data, prod, beta, alpha) if prod.dtype.char not in "eE" else \
        _low_scaled_sum(input._data, _bmm_arrays, batch1._data, batch2._data, beta, alpha)
    return record(out, _Baddbmm, (input, batch1, batch2), (None, batch1, batch2, beta, alpha))


# -- einsum -------------------------------------------------------------------------------------
# PyTorch computes einsum from other ops, and its graph is theirs: each operand takes its
# diagonals (diagonal, movedim), gains size-1 dimensions for the labels it lacks (unsqueeze) and
# is permuted to one order of labels (the output's, then the contracted ones); then the operands
# are contracted left to right, two at a time: dimensions only one side has are summed first,
# then a product without contraction is a mul, and one with contraction is permute -> reshape
# -> bmm -> view -> permute; the contracted dimensions, size 1 by then, are viewed away (or
# summed, for one operand). ember runs the same steps, planned once per equation and shapes.
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ELLIPSIS = 52
_PLANS = {}


def _label(c):
    return ord(c) - 65 if c < "a" else ord(c) - 71


def _parse_lhs(lhs, num_ops):
    op_labels = [[] for _ in range(num_ops)]
    ell = False
    cur = 0
    i = 0
    n = len(lhs)
    while i < n:
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if ell:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < n and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of "
                                   "any ellipsis")
            i += 2
            op_labels[cur].append(_ELLIPSIS)
            ell = True
        elif c == ",":
            cur += 1
            if cur >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                                   "equation")
            ell = False
        elif c in _LETTERS:
            op_labels[cur].append(_label(c))
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        i += 1
    if cur != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return op_labels


def _einsum_plan(equation, shapes):
    """The steps of PyTorch's einsum for these operand shapes (checked, with its errors)."""
    key = (equation, shapes)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _make_plan(equation, shapes)
        if len(_PLANS) > 1024:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def _make_plan(equation, shapes):
    num_ops = len(shapes)
    lhs, arrow, rhs = equation.partition("->")
    op_labels = _parse_lhs(lhs, num_ops)
    count = [0] * 52
    ell_num_dim = 0
    for i, (labels, shape) in enumerate(zip(op_labels, shapes)):
        ndims = len(shape)
        nlabels = len(labels)
        has_ell = _ELLIPSIS in labels
        for s in labels:
            if s == _ELLIPSIS:
                nlabels -= 1
            else:
                count[s] += 1
        if has_ell:
            ell_num_dim = max(ell_num_dim, ndims - nlabels)
            if nlabels > ndims:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({nlabels}) is more "
                    f"than the number of dimensions ({ndims}) for operand {i}")
        elif nlabels != ndims:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nlabels}) does not match "
                f"the number of dimensions ({ndims}) for operand {i} and no ellipsis was given")
    perm_index = [-1] * 52
    pos = 0
    ell_index = 0
    ell_in_output = False
    if not arrow:
        pos = ell_num_dim  # the implicit output: the ellipsis, then the labels used once
        ell_in_output = True
        for s in range(52):
            if count[s] == 1:
                perm_index[s] = pos
                pos += 1
    else:
        i, n = 0, len(rhs)
        while i < n:
            c = rhs[i]
            if c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                       "already found")
                if not (i + 2 < n and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                       "ellipsis (...)")
                i += 2
                ell_index = pos
                pos += ell_num_dim
                ell_in_output = True
            elif c != " ":
                if c not in _LETTERS:
                    raise RuntimeError(
                        f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the "
                        "equation string, subscripts must be in [a-zA-Z]")
                s = _label(c)
                if count[s] == 0 or perm_index[s] != -1:
                    raise RuntimeError(
                        f"einsum(): output subscript {c}" + (
                            " appears more than once in the output" if perm_index[s] > -1
                            else " does not appear in the equation for any input operand"))
                perm_index[s] = pos
                pos += 1
            i += 1
    out_num_dim = pos
    if not ell_in_output:
        ell_index = pos
        pos += ell_num_dim
    for s in range(52):
        if count[s] > 0 and perm_index[s] == -1:
            perm_index[s] = pos
            pos += 1
    total = pos
    label_size = [1] * 52
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * total
    op_steps = []
    op_shapes = []
    for i, (labels, shape) in enumerate(zip(op_labels, shapes)):
        cur = list(shape)
        perm = [-1] * total
        steps = []
        dim = 0
        for s in labels:
            if s == _ELLIPSIS:
                ndim = len(shape) - (len(labels) - 1)
                for j in range(ell_num_dim - ndim, ell_num_dim):
                    n = cur[dim]
                    if n != 1:
                        if ell_sizes[j] != 1 and ell_sizes[j] != n:
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}"
                                f"has size {n} which does not broadcast with previously seen "
                                f"ellipsis with size {ell_sizes[j]} for the respective "
                                "dimension")
                        ell_sizes[j] = n
                        dim_counts[ell_index + j] += 1
                    perm[ell_index + j] = dim
                    dim += 1
            elif perm[perm_index[s]] == -1:
                n = cur[dim]
                if n != 1:
                    if label_size[s] != 1 and label_size[s] != n:
                        raise RuntimeError(
                            f"einsum(): subscript {_LETTERS[s]} has size {n} for operand {i} "
                            f"which does not broadcast with previously seen size {label_size[s]}")
                    label_size[s] = n
                    dim_counts[perm_index[s]] += 1
                perm[perm_index[s]] = dim
                dim += 1
            else:  # a repeated label: its diagonal, moved to the first one's place
                prev = perm[perm_index[s]]
                if cur[dim] != cur[prev]:
                    raise RuntimeError(
                        f"einsum(): subscript {_LETTERS[s]} is repeated for operand {i} but the "
                        f"sizes don't match, {cur[dim]} != {cur[prev]}")
                steps.append((0, prev, dim))
                del cur[dim]
        for k, val in enumerate(perm):
            if val == -1:
                steps.append((1, dim, (slice(None),) * dim + (None,)))  # the index: arrays'
                cur.insert(dim, 1)
                perm[k] = dim
                dim += 1
        steps.append((2, tuple(perm)))
        op_steps.append(tuple(steps))
        op_shapes.append([cur[p] for p in perm])
    contractions = []
    while len(op_shapes) > 1:
        a, b = op_shapes[0], op_shapes[1]
        del op_shapes[:2]
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(out_num_dim, total):
            if a[d] != 1 and b[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if a[d] != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif b[d] != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        for d in a_sum:
            a[d] = 1
        for d in b_sum:
            b[d] = 1
        pair, out = _pair_plan(a, b, sum_dims)
        contractions.append((tuple(a_sum), tuple(b_sum), pair))
        op_shapes.insert(0, out)
    final = None
    if total > out_num_dim:
        if num_ops > 1:
            final = (0, tuple(op_shapes[0][:out_num_dim]))
        else:
            final = (1, tuple(range(out_num_dim, total)))
    return tuple(op_steps), tuple(contractions), final


def _pair_plan(left, right, sum_dims):
    """PyTorch's sumproduct_pair: (left * right).sum(sum_dims, keepdim=True) by a mul, or by
    permute -> reshape -> bmm -> view -> permute. Returns the steps and the result's shape."""
    n = len(left)
    if not sum_dims:
        return None, [x if x != 1 else y for x, y in zip(left, right)]
    left, right = list(left), list(right)
    pre, lro, lo, ro = [], [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(n):
        sl, sr = left[i] != 1, right[i] != 1
        if i in sum_dims:
            if sl and sr:
                if left[i] != right[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left[i]
            elif sl:
                pre.append((0, i))
                left[i] = 1
            elif sr:
                pre.append((1, i))
                right[i] = 1
        elif sl and sr:
            if left[i] != right[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= left[i]
        elif sl:
            lo.append(i)
            lo_size *= left[i]
        else:
            ro.append(i)
            ro_size *= right[i]
    # when the right operand's own dimensions all come before the left's, the two trade places
    # (bmm then writes the result in its order)
    swap = bool(lo and ro and ro[-1] < lo[0])
    if swap:
        left, right, lo, ro, lo_size, ro_size = right, left, ro, lo, ro_size, lo_size
    out_size = ([left[d] for d in lro] + [left[d] for d in lo] + [1] * len(sum_dims)
                + [right[d] for d in ro])
    lperm = lro + lo + sum_dims + ro
    rperm = lro + sum_dims + ro + lo
    operm = [0] * n
    for k, d in enumerate(lperm):
        operm[d] = k
    shape = [out_size[operm[d]] for d in range(n)]
    return ((tuple(pre), swap, tuple(lperm), (lro_size, lo_size, sum_size), tuple(rperm),
             (lro_size, sum_size, ro_size), tuple(out_size), tuple(operm)), shape)


def _run_plan(plan, operands):
    """The planned steps on tensors (each step one op, recording PyTorch's nodes)."""
    op_steps, contractions, final = plan
    ops = []
    for op, steps in zip(operands, op_steps):
        for step in steps:
            kind = step[0]
            if kind == 0:
                op = movedim(diagonal(op, 0, step[1], step[2]), -1, step[1])
            elif kind == 1:
                op = as_view(op, op._data[step[2]], _Unsqueeze, (step[1],))
            else:
                op = as_view(op, op._data.transpose(step[1]), _Permute, (step[1],))
        ops.append(op)
    for a_sum, b_sum, pair in contractions:
        a, b = ops[0], ops[1]
        del ops[:2]
        if a_sum:
            a = reduction.sum(a, a_sum, True)
        if b_sum:
            b = reduction.sum(b, b_sum, True)
        if pair is None:
            r = elementwise.mul(a, b)
        else:
            pre, swap, lperm, lshape, rperm, rshape, out_size, operm = pair
            for side, i in pre:
                if side:
                    b = reduction.sum(b, i, True)
                else:
                    a = reduction.sum(a, i, True)
            if swap:
                a, b = b, a
            a = as_view(a, a._data.transpose(lperm), _Permute, (lperm,))
            b = as_view(b, b._data.transpose(rperm), _Permute, (rperm,))
            r = view(bmm(reshape(a, lshape), reshape(b, rshape)), out_size)
            r = as_view(r, r._data.transpose(operm), _Permute, (operm,))
        ops.insert(0, r)
    out = ops[0]
    if final is not None:
        out = view(out, final[1]) if final[0] == 0 else reduction.sum(out, final[1])
    return out


def _run_plan_arrays(plan, arrays):
    """The same steps on the arrays of two or more operands of one float or complex dtype
    (nothing to record): the values of the ops above, without their tensors."""
    op_steps, contractions, final = plan
    ops = []
    for a, steps in zip(arrays, op_steps):
        for step in steps:
            kind = step[0]
            if kind == 0:
                a = np.moveaxis(np.diagonal(a, 0, step[1], step[2]), -1, step[1])
            elif kind == 1:
                a = a[step[2]]
            else:
                a = a.transpose(step[1])
        ops.append(a)
    for a_sum, b_sum, pair in contractions:
        a, b = ops[0], ops[1]
        del ops[:2]
        if a_sum:
            a = np.add.reduce(a, axis=a_sum, keepdims=True)
        if b_sum:
            b = np.add.reduce(b, axis=b_sum, keepdims=True)
        if pair is None:
            r = np.multiply(a, b)
        else:
            pre, swap, lperm, lshape, rperm, rshape, out_size, operm = pair
            for side, i in pre:
                if side:
                    b = np.add.reduce(b, axis=i, keepdims=True)
                else:
                    a = np.add.reduce(a, axis=i, keepdims=True)
            if swap:
                a, b = b, a
            r = _bmm_arrays(a.transpose(lperm).reshape(lshape), b.transpose(rperm).reshape(rshape))
            r = r.reshape(out_size).transpose(operm)
        ops.insert(0, r)
    out = ops[0]
    if final is not None:
        out = out.reshape(final[1])
    return out


def _sublist_letter(i):
    i = operator.index(i)
    if not 0 <= i < 52:
        raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                         "[0, 52)")
    return chr(ord("A") + i) if i < 26 else chr(ord("a") + i - 26)


def _sublist_term(sub):
    return "".join("..." if s is Ellipsis else _sublist_letter(s) for s in sub)


def _sublist_equation(args):
    """einsum(op0, sub0, op1, sub1, ..., [sub_out]) as (equation, *operands): subscripts are
    integers in [0, 52) (0-25 read as A-Z, 26-51 as a-z) or Ellipsis."""
    operands = args[0::2][: len(args) // 2]
    subs = args[1::2][: len(args) // 2]
    for k, sub in enumerate(subs):
        if not isinstance(sub, (list, tuple)):
            raise TypeError(f"expected list as element {2 * k + 1} in argument 1, but got "
                            f"{type(sub).__name__}")
    equation = ",".join(_sublist_term(s) for s in subs)
    if len(args) % 2:
        out = args[-1]
        if not isinstance(out, (list, tuple)):
            raise TypeError(f"expected list as element {len(args) - 1} in argument 1, but got "
                            f"{type(out).__name__}")
        equation += "->" + _sublist_term(out)
    return (equation, *operands)


_NO_OPERANDS = ("einsum(): must specify the equation string and at least one operand, or at "
                "least one operand and its subscripts list")
_FAST = frozenset("fdFD")  # the dtypes whose steps run on the arrays when nothing is recorded


def einsum(*args):
    """einsum(equation, *operands), operands also as one list; '...' broadcasts. The sublist
    form einsum(op0, sub0, op1, sub1, ..., [sub_out]) names dimensions by integers."""
    if len(args) < 2:
        raise ValueError(_NO_OPERANDS)
    if not isinstance(args[0], str):
        args = _sublist_equation(args)
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
        if not operands:
            raise ValueError(_NO_OPERANDS)
    for op in operands:
        check_tensor(op, "einsum", "operands", 2)
    plan = _einsum_plan(equation, tuple(op._data.shape for op in operands))
    if len(operands) > 1 and not _fw_state.active:
        dt = operands[0]._data.dtype
        if dt.char in _FAST and not (_grad_state.enabled and any(
                op._requires_grad for op in operands)) and all(
                op._data.dtype is dt for op in operands):
            out = _run_plan_arrays(plan, [op._data for op in operands])
            return _make(out if out.__class__ is _ndarray else np.asarray(out))
    return _run_plan(plan, operands)


def _dims_list(dims, n):
    out = []
    for d in dims:
        w = d + n if d < 0 else d
        if not 0 <= w < max(n, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}]"
                             f", but got {d})")
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return out


def tensordot(a, b, dims=2, out=None):
    """Sum over the last ``dims`` dimensions of a and the first of b (or explicit lists).

    PyTorch's steps: a size-1 contracted dimension is summed on the other side first, then
    permute -> reshape -> mm -> reshape."""
    if out is not None:  # given by position (the public wrapper takes it by keyword)
        return _out.call(tensordot, "tensordot", (a, b, dims), {}, out)
    check_tensor(a, "tensordot", "a", 1)
    check_tensor(b, "tensordot", "b", 2)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}"
            )
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    wa, wb = _dims_list(da, na), _dims_list(db, nb)
    csize = 1
    sum_a, sum_b = [], []
    for x, y, i, j in zip(da, db, wa, wb):
        if sb[j] == 1:
            sum_a.append(x)
        elif sa[i] == 1:
            sum_b.append(y)
        elif sa[i] != sb[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa[i]} in dim {x} "
                f"and second has size {sb[j]} in dim {y}"
            )
        else:
            csize *= sa[i]
    keep_a = [i for i in range(na) if i not in wa]
    keep_b = [i for i in range(nb) if i not in wb]
    size1 = _prod(sa[i] for i in keep_a)
    size2 = _prod(sb[i] for i in keep_b)
    rsizes = [sa[i] for i in keep_a] + [sb[i] for i in keep_b]
    p1, p2 = tuple(i % na for i in keep_a + da), tuple(i % nb for i in db + keep_b)
    # a full contraction (nothing left on either side) is a dot of the flattened operands, or
    # a mul and sum where they are not contiguous; anything else is one mm
    full = size1 == 1 and size2 == 1
    if not _fw_state.active and a._data.dtype.char in _FAST and not (
            _grad_state.enabled and (a._requires_grad or b._requires_grad)):
        x, y = a._data, b._data
        for d in sum_a:
            x = np.add.reduce(x, axis=d, keepdims=True)
        for d in sum_b:
            y = np.add.reduce(y, axis=d, keepdims=True)
        x, y = x.transpose(p1), y.transpose(p2)
        if not full:
            r = _matmul(x.reshape(size1, csize), y.reshape(csize, size2))
        elif x.flags.c_contiguous and y.flags.c_contiguous:
            r = np.dot(x.reshape(-1), y.reshape(-1))
        else:
            r = np.add.reduce(np.multiply(x.squeeze(), y.squeeze()), axis=None)
        return _make(np.asarray(r).reshape(rsizes))
    for d in sum_a:
        a = reduction.sum(a, d, True)
    for d in sum_b:
        b = reduction.sum(b, d, True)
    a = as_view(a, a._data.transpose(p1), _Permute, (p1,))
    b = as_view(b, b._data.transpose(p2), _Permute, (p2,))
    if not full:
        return reshape(mm(reshape(a, (size1, csize)), reshape(b, (csize, size2))), rsizes)
    if a._data.flags.c_contiguous and b._data.flags.c_contiguous:
        return reshape(dot(flatten(a), flatten(b)), rsizes)
    return reshape(reduction.sum(elementwise.mul(squeeze(a), squeeze(b)), dtype=a.dtype), rsizes)

TENSOR_METHODS = {
    "matmul": matmul, "__matmul__": _matmul_op, "__rmatmul__": _rmatmul, "mm": mm, "mv": mv,
    "dot": dot, "vdot": vdot, "bmm": bmm, "outer": outer, "ger": ger, "inner": inner,
    "addmm": addmm, "baddbmm": baddbmm,
}
