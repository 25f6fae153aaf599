"""Matrix products: matmul (@), mm, bmm, mv, dot, outer, einsum, tensordot, addmm, baddbmm.

Every forward is one NumPy matmul/einsum call on the arrays. Each gradient is again a matrix
product written in ember ops (so double backward works); the engine sums gradients over
broadcast batch dimensions. matmul records a single node named as PyTorch's outermost node
for that case of shapes (PyTorch builds its result from several view/mm/bmm steps).
"""

import operator

import numpy as np

from .._dtype import from_np
from .._errors import note
from .._tensor import Tensor
from ..autograd.graph import Node, name_saved
from . import _out
from ._op import bilinear, broadcast_shapes_error, check_tensor, formula_node, record
from .copy import contiguous
from .creation import eye, ones
from .shape import expand, reshape, squeeze, transpose, transposed, unsafe_view, unsqueeze
from .shape import t as _t

__all__ = [
    "addmm", "baddbmm", "bmm", "dot", "einsum", "ger", "inner", "matmul", "mm", "mv", "outer",
    "tensordot", "vdot",
]

_ndarray = np.ndarray
_f32 = np.float32
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _matmul(a, b):
    """np.matmul; float16 and bfloat16 multiply in float32 and round the result once, as
    PyTorch's CPU kernels accumulate them."""
    dt = a.dtype
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
        return transposed(_c(b) @ transposed(g))
    return g @ transposed(_c(b))


def _mm_grad_b(g, a, b):
    if _column_major(b):
        return transposed(transposed(g) @ _c(a))
    return transposed(_c(a)) @ g


def _bmm_grad_a(g, a, b):
    return bmm(g, _c(b).transpose(1, 2))


def _bmm_grad_b(g, a, b):
    return bmm(_c(a).transpose(1, 2), g)


# forward rules: products are linear in each factor (one term per factor with a tangent)
_Dot = formula_node("DotBackward0", _dot_grad_a, _dot_grad_b,
                    jvp=bilinear(lambda a, b: dot(a, b)))
_Mv = formula_node("MvBackward0", _mv_grad_mat, _mv_grad_vec, arrays=True,
                   jvp=bilinear(lambda a, b: mv(a, b)))
_Mm = name_saved(formula_node("MmBackward0", _mm_grad_a, _mm_grad_b, arrays=True,
                              jvp=bilinear(lambda a, b: mm(a, b))), self=0, mat2=1,
                 needed={"self": 1, "mat2": 0})
_Bmm = formula_node("BmmBackward0", _bmm_grad_a, _bmm_grad_b,
                    jvp=bilinear(lambda a, b: bmm(a, b)))
name_saved(_Bmm, self=0, mat2=1, needed={"self": 1, "mat2": 0})
_SqueezeRow = formula_node("SqueezeBackward4", lambda g, shape: g.reshape(shape))


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


_Vdot = formula_node("VdotBackward0", _vdot_grad_a, lambda g, a, b: g * a,
                     jvp=bilinear(lambda a, b: vdot(a, b)))


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


_Baddbmm = formula_node("BaddbmmBackward0", _addmm_grad_self, _baddbmm_grad_b1,
                        _baddbmm_grad_b2, jvp=_addmm_jvp(lambda a, b: bmm(a, b)))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    prod = bmm(batch1, batch2)._data
    out = _scaled_sum(input._data, prod, beta, alpha) if prod.dtype.char not in "eE" else \
        _low_scaled_sum(input._data, _bmm_arrays, batch1._data, batch2._data, beta, alpha)
    return record(out, _Baddbmm, (input, batch1, batch2), (input, batch1, batch2, beta, alpha))


# -- einsum -------------------------------------------------------------------------------------
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _EinsumNode(Node):
    """Gradient of an einsum for each operand: an einsum of the incoming gradient with the
    other operands. Saved: (spec, *operands), spec = (operand subscripts, output subscripts,
    letter sizes)."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        g = grads[0]
        spec, *ops = self.unpack_saved()
        subs, out_subs, sizes = spec
        return tuple(
            _einsum_grad(i, g, ops, subs, out_subs, sizes) if fn is not None else None
            for i, (fn, _) in enumerate(self.next_functions)
        )


def _einsum_jvp(ts, inputs, saved, out):
    # multilinear: one einsum per operand with a tangent, that operand replaced by it
    subs, out_subs, _ = saved[0]
    total = None
    for i, tx in enumerate(ts):
        if tx is None:
            continue
        ops = list(inputs)
        ops[i] = tx if tx._data.dtype is inputs[i]._data.dtype else tx.to(inputs[i].dtype)
        term = _einsum_explicit(list(subs), out_subs, ops, _EinsumView)
        total = term if total is None else total + term
    return total


_EinsumNode.jvp = staticmethod(_einsum_jvp)


def _einsum_node(name):
    return type(name, (_EinsumNode,), {"__slots__": ()})


# PyTorch's outermost node depends on how it evaluates the equation: a contraction ends in a
# view of bmm's result, a product without contraction in a mul, one operand in a sum or permute
_EinsumView = _einsum_node("ViewBackward0")
_EinsumMul = _einsum_node("MulBackward0")
_EinsumSum = _einsum_node("SumBackward1")
_EinsumPermute = _einsum_node("PermuteBackward0")


def _einsum_grad(i, g, ops, subs, out_subs, sizes):
    dt = g.dtype
    mine = subs[i]
    used = set(out_subs).union(*(s for j, s in enumerate(subs) if j != i))
    free = iter(c for c in _LETTERS if c not in sizes)
    terms, operands = [out_subs], [g]
    for j, s in enumerate(subs):
        if j != i:
            terms.append(s)
            operands.append(_c(ops[j]))
    target = []
    seen = set()
    for c in mine:
        if c in seen:
            # a repeated subscript (a diagonal): the gradient lives on the diagonal only
            fresh = next(free)
            terms.append(c + fresh)
            operands.append(eye(sizes[c], dtype=dt))
            target.append(fresh)
            continue
        seen.add(c)
        n = ops[i]._data.shape[mine.index(c)]
        if c not in used or n != 1 and not _has_size(c, n, terms, operands):
            # summed over in this operand alone: the gradient is the same along it
            terms.append(c)
            operands.append(ones(n, dtype=dt))
            used.add(c)
        target.append(c)
    return _einsum_explicit(terms, "".join(target), operands, _EinsumView)


def _has_size(c, n, terms, operands):
    """Whether some term gives subscript c its full size n (others may broadcast it from 1)."""
    for t, op in zip(terms, operands):
        k = t.find(c)
        if k >= 0 and op._data.shape[k] == n:
            return True
    return False


def _parse_term(term, eq, pos):
    for k, c in enumerate(term):
        if c not in _LETTERS and c != ".":
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {pos + k} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )


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


def einsum(*args):
    """einsum(equation, *operands), operands also as one list; '...' broadcasts. The sublist
    form einsum(op0, sub0, op1, sub1, ..., [sub_out]) names dimensions by integers."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, "
                        "or at least one operand and its subscripts list")
    if not isinstance(args[0], str):
        args = _sublist_equation(args)
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for op in operands:
        check_tensor(op, "einsum", "operands", 2)
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    pos = 0
    for t in terms:
        _parse_term(t, eq, pos)
        pos += len(t) + 1
    if arrow:
        _parse_term(rhs, eq, len(lhs) + 2)
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    # expand '...' into letters the equation does not use, aligned from the right
    spare = [c for c in _LETTERS if c not in eq]
    n_ell = 0
    for k, (t, op) in enumerate(zip(terms, operands)):
        nd = op._data.ndim
        if "..." in t:
            labels = len(t) - 3
            if labels > nd:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({labels}) is more than "
                    f"the number of dimensions ({nd}) for operand {k}"
                )
            n_ell = max(n_ell, nd - labels)
        elif len(t) != nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(t)}) does not match "
                f"the number of dimensions ({nd}) for operand {k} and no ellipsis was given"
            )
    ell = "".join(spare[:n_ell])
    subs = []
    for t, op in zip(terms, operands):
        if "..." in t:
            e = op._data.ndim - (len(t) - 3)
            t = t.replace("...", ell[n_ell - e:] if e else "")
        subs.append(t)
    if arrow:
        out_subs = rhs.replace("...", ell)
    else:
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out_subs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    for c in out_subs:
        if not any(c in s for s in subs):
            raise RuntimeError(
                f"einsum(): output subscript {c} does not appear in the equation for any input "
                "operand"
            )
        if out_subs.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               "output")
    contracted = any(c not in out_subs and sum(c in s for s in subs) > 1
                     for c in set("".join(subs)))
    if len(operands) > 1:
        node = _EinsumView if contracted else _EinsumMul
    else:
        node = _EinsumSum if len(set(subs[0])) > len(out_subs) else _EinsumPermute
    return _einsum_explicit(subs, out_subs, operands, node)


def _einsum_explicit(subs, out_subs, operands, node):
    """einsum with every subscript spelled out (no '...'); size-1 dimensions broadcast."""
    sizes = {}
    first = operands[0]._data.dtype
    for k, (s, op) in enumerate(zip(subs, operands)):
        shape = op._data.shape
        if op._data.dtype != first:
            raise _bmm_dtype_error(first, op._data.dtype)
        mine = {}
        for c, n in zip(s, shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                    f"match, {mine[c]} != {n}"
                )
            mine[c] = n
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = n
            elif n != seen and n != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                    f"broadcast with previously seen size {seen}"
                )
    arrays = []
    for s, op in zip(subs, operands):
        d = op._data
        full = tuple(sizes[c] for c in s)
        arrays.append(d if d.shape == full else np.broadcast_to(d, full))
    big = _prod(sizes.values()) > 4096 and len(arrays) > 1
    low = arrays[0].dtype if arrays[0].dtype.char in "eE" else None
    if low is not None:  # float16/bfloat16: computed in float32, rounded once
        arrays = [a.astype(_f32) for a in arrays]
    out = np.einsum(",".join(subs) + "->" + out_subs, *arrays, optimize=big)
    if out.__class__ is not _ndarray:
        out = np.asarray(out)
    if low is not None:
        out = out.astype(low)
    if out.base is not None and any(np.may_share_memory(out, a) for a in arrays):
        out = out.copy()  # einsum may return a view of an operand; results own their data
    return record(out, node, operands, ((tuple(subs), out_subs, sizes), *operands))


def tensordot(a, b, dims=2, out=None):
    """Sum over the last ``dims`` dimensions of a and the first of b (or explicit lists)."""
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
    sa, sb = a._data.shape, b._data.shape
    letters = iter(_LETTERS)
    ta = [next(letters) for _ in range(na)]
    tb = [next(letters) for _ in range(nb)]
    for x, y in zip(da, db):
        if sa[x] != sb[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa[x]} in dim {x} "
                f"and second has size {sb[y]} in dim {y}"
            )
        tb[y % nb] = ta[x % na]
    contracted = {ta[x % na] for x in da}
    out_subs = "".join(c for c in ta if c not in contracted) + "".join(
        c for c in tb if c not in contracted)
    return _einsum_explicit(["".join(ta), "".join(tb)], out_subs, (a, b), _EinsumView)


TENSOR_METHODS = {
    "matmul": matmul, "__matmul__": _matmul_op, "__rmatmul__": _rmatmul, "mm": mm, "mv": mv,
    "dot": dot, "vdot": vdot, "bmm": bmm, "outer": outer, "ger": ger, "inner": inner,
    "addmm": addmm, "baddbmm": baddbmm,
}
