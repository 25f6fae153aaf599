"""Decompositions and solvers (torch.linalg): solve, inv, det, slogdet, cholesky, qr, eigh, eig,
svd, lu, solve_triangular, lstsq, pinv, matrix_exp, cross, and the ops built from them (norms,
matrix_rank, matrix_power, multi_dot, ...), with PyTorch's older names (inverse, svd, lu, ...).

Each forward runs on arrays (NumPy's LAPACK, batched over the leading dimensions). Each
backward is written with ember's differentiable ops, the decompositions themselves included
(the gradient of inv uses inv's output, that of cholesky calls solve_triangular), so a second
derivative follows. An op with several outputs records one node for all of them, named as
PyTorch names it (LinalgSvdBackward0, LinalgEighBackward0, ...). The functions PyTorch keeps in
``torch.linalg`` are listed in ``LINALG`` (named ``linalg_<name>`` here); ``ember.linalg``
gives them their public names.
"""

import math

import numpy as np

from .. import _names
from .._dtype import from_np
from .._errors import note, warn_once
from .._tensor import Tensor, _make
from ..autograd import forward_ad as _fw
from ..autograd.engine import grad as _engine_grad
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import enable_grad
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import FREED_MESSAGE, Node, edge, name_saved, pack, saved_hooks
from . import _out, random
from ._op import broadcast_shapes_error, check_tensor, dual_multi, unsupported
from .creation import eye, linspace, zeros
from .elementwise import where
from .linalg import matmul
from .reduction import _dims, return_type
from .reduction import norm as _vector_norm_op
from .shape import cat, tril, triu

__all__ = [
    "cholesky", "cholesky_inverse", "cholesky_solve", "cross", "det", "inverse", "logdet", "lu",
    "lu_solve", "lu_unpack", "matrix_exp", "matrix_power", "norm", "orgqr", "pinverse", "qr",
    "slogdet", "svd", "geqrf", "ormqr", "histogramdd", "svd_lowrank", "pca_lowrank",
]

LINALG = (
    "linalg_cholesky", "linalg_cholesky_ex", "linalg_cond", "linalg_cross", "linalg_det",
    "linalg_diagonal", "linalg_eig", "linalg_eigh", "linalg_eigvals", "linalg_eigvalsh",
    "linalg_householder_product",
    "linalg_inv", "linalg_inv_ex", "linalg_ldl_factor", "linalg_ldl_factor_ex",
    "linalg_ldl_solve", "linalg_lstsq", "linalg_lu", "linalg_lu_factor",
    "linalg_lu_factor_ex", "linalg_lu_solve", "linalg_matrix_exp", "linalg_matrix_norm",
    "linalg_matrix_power", "linalg_matrix_rank", "linalg_multi_dot", "linalg_norm",
    "linalg_pinv", "linalg_qr", "linalg_slogdet", "linalg_solve", "linalg_solve_ex",
    "linalg_solve_triangular", "linalg_svd", "linalg_svdvals", "linalg_tensorinv",
    "linalg_tensorsolve", "linalg_vander", "linalg_vecdot", "linalg_vector_norm",
)


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix that the factorization cannot handle (singular, not
    positive-definite)."""


_Svd = return_type("linalg_svd", ("U", "S", "Vh"))
_SvdOld = return_type("svd", ("U", "S", "V"))
_Eigh = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_Eig = return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
_Qr = return_type("linalg_qr", ("Q", "R"))
_QrOld = return_type("qr", ("Q", "R"))
_Slogdet = return_type("linalg_slogdet", ("sign", "logabsdet"))
_SlogdetOld = return_type("slogdet", ("sign", "logabsdet"))
_InvEx = return_type("linalg_inv_ex", ("inverse", "info"))
_CholeskyEx = return_type("linalg_cholesky_ex", ("L", "info"))
_SolveEx = return_type("linalg_solve_ex", ("result", "info"))
_LuFactor = return_type("linalg_lu_factor", ("LU", "pivots"))
_LuFactorEx = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_Lu = return_type("linalg_lu", ("P", "L", "U"))
_LuUnpack = return_type("lu_unpack", ("P", "L", "U"))
_Lstsq = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


# -- checks -------------------------------------------------------------------------------------
def _word(d):
    return from_np[d].word


def _float_check(A, op, arg="A", kernel=None):
    """PyTorch's dtype checks of a linalg input: floating point, not half, not (yet) complex.
    ``kernel``: the LAPACK kernel whose name PyTorch's error for half precision gives."""
    d = A._data
    kind = d.dtype.kind
    if kind == "c":
        raise NotImplementedError(
            f"{op}: complex inputs ({_word(d.dtype)}) are not supported by ember yet")
    if kind not in "fV":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {_word(d.dtype)}")
    if d.dtype.itemsize < 4:
        if kernel is not None:
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_word(d.dtype)}\'')
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {_word(d.dtype)}")


def _no_complex(A, op):
    d = A._data
    if d.dtype.kind == "c":
        raise NotImplementedError(
            f"{op}: complex inputs ({_word(d.dtype)}) are not supported by ember yet")


def _not_impl_check(A, kernel, op):
    """The dtype check of the ops PyTorch dispatches straight to a kernel (eigh, lu, ...)."""
    d = A._data
    _no_complex(A, op)
    if d.dtype.kind not in "fV" or d.dtype.itemsize < 4:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_word(d.dtype)}\'')


def _matrix_check(A, op, arg="A"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {arg} must have at least 2 dimensions.")


def _square_check(A, op, arg="A"):
    _matrix_check(A, op, arg)
    m, n = A._data.shape[-2:]
    if m != n:
        exc = RuntimeError(
            f"{op}: {arg} must be batches of square matrices, but they are {m} by {n} matrices")
        note(exc, "This operation needs square matrices (the last two dimensions equal).")
        raise exc


def _square_float(A, op):
    check_tensor(A, op.split(".")[-1], "A" if op.startswith("linalg") else "input")
    _square_check(A, op)
    _float_check(A, op)


def _batch_prefix(idx, batched):
    return f"(Batch element {idx}): " if batched else ""


# -- recording a node with several outputs ------------------------------------------------------
class _Outs:
    """The outputs of a linalg node, kept for its backward as (array, version counter, version):
    rebuilt as tensors of this node (create_graph) or plain tensors."""

    __slots__ = ("items", "tangents")

    def __init__(self, tensors):
        self.items = tuple((t._data, t._version, t._version[0]) for t in tensors)
        self.tangents = None  # forward mode: the outputs' tangents, given back with them

    def unpack(self, node, create_graph):
        outs = []
        for k, (data, counter, version) in enumerate(self.items):
            if counter[0] != version:
                from ..autograd.graph import raise_modified

                raise_modified(data, counter[0], version, node, node, counter)
            grad = create_graph and data.dtype.kind in "fcV"
            t = _make(data, grad, node if grad else None)
            t._output_nr = k
            t._version = counter
            if self.tangents is not None and _fw_state.active and self.tangents[k] is not None:
                _fw.set_tangent(t, self.tangents[k])
            outs.append(t)
        return outs


class _LinalgNode(Node):
    """A node whose backward is ``rule(grads, outputs, *saved)``, written in ember ops."""

    __slots__ = ()
    rule = None

    def apply(self, grads, create_graph):
        saved = self.unpack_saved()
        outs = saved[-1].unpack(self, create_graph)
        result = type(self).rule(list(grads), outs, *saved[:-1])
        return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _node(name, rule, n_outputs=1):
    return type(name, (_LinalgNode,), {"__slots__": (), "rule": staticmethod(rule),
                                       "n_outputs": n_outputs})


def _output(k):
    """A ``_saved_<name>`` field showing a linalg node's output k (kept with the saved values,
    as PyTorch keeps the outputs its formula reads), as a tensor of the node."""
    def get(n):
        saved = n._store
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        return saved[-1].unpack(n, True)[k]
    return get


def _record(arrays, node_cls, inputs, saved=(), diff=None):
    """The tensors around ``arrays``; a ``node_cls`` for all of them when a gradient is needed.

    ``inputs``: the differentiable arguments in order; ``saved``: what the rule reads besides
    the outputs; ``diff``: which outputs are differentiable (all float ones by default).
    """
    arrays = [a if a.__class__ is np.ndarray else np.asarray(a) for a in arrays]
    need = _grad_state.enabled and any(
        isinstance(x, Tensor) and x._requires_grad for x in inputs)
    if diff is None:
        diff = [a.dtype.kind in "fcV" for a in arrays]
    if not need:
        outs = [_make(a) for a in arrays]
        if _fw_state.active:
            _dual(outs, diff, node_cls, inputs, (*saved, _Outs(outs)), None)
        return outs
    outs = [_make(a, bool(d)) for a, d in zip(arrays, diff)]
    edges = tuple(edge(x) if isinstance(x, Tensor) else (None, 0) for x in inputs)
    meta = [(x._data.shape, x._data.dtype) if isinstance(x, Tensor) and x._requires_grad
            else None for x in inputs]
    saved = (*saved, _Outs(outs))
    versions = [s._version[0] if isinstance(s, Tensor) else None for s in saved]
    if saved_hooks.stack:  # saved-tensor hooks pack what the backward reads
        saved = pack(saved)
    node = node_cls(edges, meta, saved, versions, None)
    for k, (t, d) in enumerate(zip(outs, diff)):
        if d:
            t._grad_fn = node
            t._output_nr = k
    if _fw_state.active:
        _dual(outs, diff, node_cls, inputs, saved, node)
    return outs


def _dual(outs, diff, node_cls, inputs, saved, node):
    """Forward mode: the outputs' tangents, by the rule derived from the backward (its
    transpose) or the node's own ``jvp``. The node keeps them all (its backward reads the
    outputs, hidden ones included); only the differentiable outputs show theirs."""
    dual_multi(outs, node_cls, inputs, saved, False, node)
    saved[-1].tangents = [_fw.tangent_of(t) for t in outs]
    for t, d in zip(outs, diff):
        if not d:
            _fw.set_tangent(t, None)


# -- small differentiable helpers ---------------------------------------------------------------
def _mT(x):
    return x.transpose(-2, -1)


def _diag(x):
    return x.diagonal(0, -2, -1)


def _diag_embed(v):
    n = v._data.shape[-1]
    return v.unsqueeze(-1) * eye(n, dtype=from_np[v._data.dtype])


def _eye_like(n, x):
    return eye(n, dtype=from_np[x._data.dtype])


def _zeros_like(x):
    return _make(np.zeros_like(x._data))


def _np_eye_batch(n, dtype, batch):
    return np.broadcast_to(np.eye(n, dtype=dtype), (*batch, n, n)).copy()


# -- LU (partial pivoting, as LAPACK's getrf: pivots 1-based, info = first zero of U) ----------
def _lu_np(a):
    """(LU, pivots, info) of the batch of matrices ``a`` (..., m, n)."""
    batch = a.shape[:-2]
    m, n = a.shape[-2:]
    k = min(m, n)
    count = math.prod(batch)
    lu = np.array(a, copy=True).reshape(count, m, n)
    piv = np.zeros((count, k), np.int32)
    info = np.zeros(count, np.int32)
    rows = np.arange(count)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1) if count else np.zeros(0, np.intp)
        piv[:, j] = p + 1
        top = lu[rows, j, :].copy()
        lu[rows, j, :] = lu[rows, p, :]
        lu[rows, p, :] = top
        d = lu[:, j, j]
        zero = d == 0
        info[(info == 0) & zero] = j + 1
        if j + 1 < m:
            col = lu[:, j + 1:, j] / np.where(zero, 1, d)[:, None]
            lu[:, j + 1:, j] = col
            lu[:, j + 1:, j + 1:] -= col[:, :, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), piv.reshape(*batch, k), info.reshape(batch)


def _perm_from_pivots(piv, m):
    """The row order ``perm`` with A[perm] = L U, from LAPACK's 1-based row swaps."""
    batch = piv.shape[:-1]
    flat = piv.reshape(math.prod(batch), piv.shape[-1]) - 1
    perm = np.broadcast_to(np.arange(m), (flat.shape[0], m)).copy()
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        a, b = perm[rows, j].copy(), perm[rows, p].copy()
        perm[rows, j], perm[rows, p] = b, a
    return perm.reshape(*batch, m)


def _unpack_np(lu, piv, dtype):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1)
    idx = np.arange(k)
    L[..., idx, idx] = 1
    U = np.triu(lu[..., :k, :])
    perm = _perm_from_pivots(piv, m)
    P = np.zeros((*perm.shape[:-1], m, m), dtype)
    # A[perm] = L U, so A = P L U with P[perm[i], i] = 1
    np.put_along_axis(P, perm[..., None, :], 1, axis=-2)
    return P, L, U


def _first_bad(info):
    """(batch index, info) of the first failed matrix, or None."""
    flat = np.asarray(info).reshape(-1)
    bad = np.nonzero(flat)[0]
    if not bad.size:
        return None
    return int(bad[0]), int(flat[bad[0]])


# -- inverse ------------------------------------------------------------------------------------
def _inv_rule(grads, outs, A):
    # d(A^-1) = -A^-1 dA A^-1: gA = -A^-T g A^-T
    g = grads[0]
    if g is None:
        return (None,)
    Ainv = outs[0]
    return (-(_mT(Ainv) @ g @ _mT(Ainv)),)


_InvNode = name_saved(_node("LinalgInvExBackward0", _inv_rule, 2), inverse=_output(0))


def _singular_inv(op, info, batched):
    idx, i = info
    return _LinAlgError(
        f"{op}: {_batch_prefix(idx, batched)}The diagonal element {i} is zero, the inversion "
        "could not be completed because the input matrix is singular.")


def _inv_np(d):
    """(inverse, info): info per matrix as LAPACK's getrf reports it."""
    try:
        return np.linalg.inv(d), np.zeros(d.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        lu, piv, info = _lu_np(d)
        out = np.empty_like(d)
        flat_d, flat_o = d.reshape(-1, *d.shape[-2:]), out.reshape(-1, *d.shape[-2:])
        flat_i = info.reshape(-1)
        for b in range(flat_d.shape[0]):
            if flat_i[b] == 0:
                try:
                    flat_o[b] = np.linalg.inv(flat_d[b])
                    continue
                except np.linalg.LinAlgError:
                    flat_i[b] = d.shape[-1]
            flat_o[b] = _inv_singular_values(lu.reshape(flat_d.shape)[b],
                                             piv.reshape(flat_d.shape[0], -1)[b])
        return out, info


def _inv_singular_values(lu, piv):
    """A singular matrix's 'inverse' as substitution through its LU factors gives it (inf and
    nan from the zero pivot, as LAPACK's solver leaves them)."""
    P, L, U = _unpack_np(lu, piv, lu.dtype)
    with np.errstate(all="ignore"):
        y = _tri_solve_np(L, P.T, False)
        return _tri_solve_np(U, y, True)


def linalg_inv_ex(A, *, check_errors=False):
    _square_float(A, "linalg.inv")
    d = A._data
    inv, info = _inv_np(d)
    if check_errors:
        bad = _first_bad(info)
        if bad is not None:
            raise _singular_inv("linalg.inv_ex", bad, d.ndim > 2)
    t, i = _record((inv.astype(d.dtype, copy=False), info), _InvNode, (A,), (A,))
    return _InvEx((t, i))


def linalg_inv(A):
    check_tensor(A, "linalg_inv", "A")
    _square_check(A, "linalg.inv")
    _float_check(A, "linalg.inv")
    d = A._data
    inv, info = _inv_np(d)
    bad = _first_bad(info)
    if bad is not None:
        exc = _singular_inv("linalg.inv", bad, d.ndim > 2)
        note(exc, "A singular matrix has no inverse; linalg.pinv gives the pseudo-inverse, and "
                  "linalg.solve(A, B) is the better tool for A^-1 B.")
        raise exc
    return _record((inv.astype(d.dtype, copy=False), info), _InvNode, (A,), (A,))[0]


def inverse(input):
    return linalg_inv(input)


# -- solve --------------------------------------------------------------------------------------
def _solve_rule(grads, outs, A, left, vector):
    g = grads[0]
    if g is None:
        return None, None
    X = outs[0]
    if vector:
        g, X = g.unsqueeze(-1), X.unsqueeze(-1)
    At = _mT(A)
    if left:  # X = A^-1 B: gB = A^-T g, gA = -gB X^T
        gB = linalg_solve(At, g)
        gA = -(gB @ _mT(X))
    else:  # X = B A^-1: gB = g A^-T, gA = -X^T gB
        gB = linalg_solve(At, g, left=False)
        gA = -(_mT(X) @ gB)
    if vector:
        gB = gB.squeeze(-1)
    return gA, gB


def _lu_field(k, transposed=False):
    """PyTorch's LU (k=0) or pivots (k=1), which its solve and det keep from the factorization
    they run, computed from the saved A when read (ember's solvers do not factor A). det
    factors A^T when A is contiguous (``transposed``), as PyTorch does."""
    def get(n):
        d = n._field(0, False)._data
        if transposed and d.flags.c_contiguous:
            d = np.swapaxes(d, -1, -2)
        return _make(_lu_np(d)[k])
    return get


_SolveNode = name_saved(_node("LinalgSolveExBackward0", _solve_rule, 2), A=0, left=1,
                        result=_output(0), LU=_lu_field(0), pivots=_lu_field(1))


def _solve_shapes(A, B, op, left=True, vectors=True):
    da, db = A._data, B._data
    vector = vectors and (db.ndim == 1 or (da.ndim - 1 == db.ndim and db.shape == da.shape[:-1]))
    n = da.shape[-1]
    rows = db.shape[-1] if vector else (db.shape[-2] if left else db.shape[-1])
    if rows != n or vector and not left:  # a vector is a column: it cannot solve XA = B
        bs = f"{db.shape[-1]}x1" if vector else f"{db.shape[-2]}x{db.shape[-1]}"
        eq = "AX = B" if left else "XA = B"
        exc = RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {bs})")
        note(exc, f"A is {n}x{n}, so B needs {n} rows (its second-to-last dimension, or its "
                  "only one for a vector).")
        raise exc
    return vector


def _solve_np(da, db, left, vector, op, check=True):
    """(X, info); a singular matrix raises (``check``) or gets nan in X and its info."""
    b = db[..., None] if vector else db
    if not left:
        da, b = np.swapaxes(da, -1, -2), np.swapaxes(b, -1, -2)
    batch = np.broadcast_shapes(da.shape[:-2], b.shape[:-2])
    try:
        x = np.linalg.solve(da, b)
        info = np.zeros(batch, np.int32)
    except np.linalg.LinAlgError:
        a_full = np.broadcast_to(da, (*batch, *da.shape[-2:]))
        _, _, info = _lu_np(a_full)
        bad = _first_bad(info)
        if check or bad is None:
            idx = bad[0] if bad is not None else 0
            exc = _LinAlgError(f"{op}: {_batch_prefix(idx, len(batch) > 0)}The solver failed "
                               "because the input matrix is singular.")
            raise exc from None
        b_full = np.broadcast_to(b, (*batch, *b.shape[-2:]))
        x = np.full(b_full.shape, np.nan, np.result_type(da, b))
        flat_x, flat_i = x.reshape(-1, *x.shape[-2:]), info.reshape(-1)
        flat_a = a_full.reshape(-1, *a_full.shape[-2:])
        flat_b = b_full.reshape(-1, *b_full.shape[-2:])
        for k in range(flat_x.shape[0]):
            if not flat_i[k]:
                flat_x[k] = np.linalg.solve(flat_a[k], flat_b[k])
    if not left:
        x = np.swapaxes(x, -1, -2)
    return (x[..., 0] if vector else x), info


def linalg_solve(A, B, *, left=True):
    check_tensor(A, "linalg_solve", "A")
    check_tensor(B, "linalg_solve", "B", 2)
    _float_check(A, "linalg.solve", kernel="lu_cpu")
    _square_check(A, "linalg.solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_word(A._data.dtype)} and B of type {_word(B._data.dtype)} instead")
    vector = _solve_shapes(A, B, "linalg.solve", left)
    x, info = _solve_np(A._data, B._data, left, vector, f"{_names.prefix}.linalg.solve")
    return _record((x, info), _SolveNode, (A, B), (A, left, vector))[0]


def linalg_solve_ex(A, B, *, left=True, check_errors=False):
    check_tensor(A, "linalg_solve_ex", "A")
    _float_check(A, "linalg.solve_ex", kernel="lu_cpu")
    _square_check(A, "linalg.solve_ex")
    vector = _solve_shapes(A, B, "linalg.solve_ex", left)
    x, info = _solve_np(A._data, B._data, left, vector, f"{_names.prefix}.linalg.solve_ex",
                        check_errors)
    r, i = _record((x, info), _SolveNode, (A, B), (A, left, vector))
    return _SolveEx((r, i))


# -- determinants -------------------------------------------------------------------------------
def _det_rule(grads, outs, A):
    g = grads[0]
    if g is None:
        return (None,)
    det = outs[0]
    # d det = det tr(A^-1 dA): gA = g det A^-T; PyTorch gives a singular matrix zeros
    gA = (g * det).unsqueeze(-1).unsqueeze(-1) * _mT(linalg_inv_ex(A)[0])
    singular = det._data == 0
    if singular.any():
        gA = where(_make(singular[..., None, None]), 0.0, gA)
    return (gA,)


_DetNode = name_saved(_node("LinalgDetBackward0", _det_rule), A=0, result=_output(0),
                      LU=_lu_field(0, True), pivots=_lu_field(1, True))


def linalg_det(A):
    check_tensor(A, "linalg_det", "A")
    _square_check(A, "linalg.det")
    _float_check(A, "linalg.det", kernel="lu_cpu")
    d = A._data
    return _record((np.asarray(np.linalg.det(d), d.dtype),), _DetNode, (A,), (A,))[0]


def det(input):
    return linalg_det(input)


def _slogdet_rule(grads, outs, A):
    g = grads[1]
    if g is None:
        return (None,)
    return (g.unsqueeze(-1).unsqueeze(-1) * _mT(linalg_inv_ex(A)[0]),)


_SlogdetNode = name_saved(_node("LinalgSlogdetBackward0", _slogdet_rule, 2), A=0,
                          sign=_output(0), LU=_lu_field(0, True), pivots=_lu_field(1, True))


def _slogdet(A, op):
    check_tensor(A, op.split(".")[-1], "A")
    _square_check(A, op)
    _float_check(A, op)
    d = A._data
    sign, logabs = np.linalg.slogdet(d)
    return _record((np.asarray(sign, d.dtype), np.asarray(logabs, d.dtype)), _SlogdetNode,
                   (A,), (A,))


def linalg_slogdet(A):
    return _Slogdet(_slogdet(A, "linalg.slogdet"))


def slogdet(input):
    return _SlogdetOld(_slogdet(input, "linalg.slogdet"))


def logdet(input):
    """log(det(A)): nan for a negative determinant, -inf for a singular matrix."""
    check_tensor(input, "logdet")
    if input._data.dtype.kind not in "fcV":
        raise RuntimeError("logdet: Expected a floating point or complex tensor as input. Got "
                           f"{_word(input._data.dtype)}")
    sign, logabs = _slogdet(input, "logdet")
    return where(sign == -1, math.nan, logabs)


# -- cholesky -----------------------------------------------------------------------------------
def _phi(x):
    """The lower triangle of x with its diagonal halved."""
    return tril(x) - 0.5 * _diag_embed(_diag(x))


def _cholesky_grad(gL, L):
    # A = L L^T: gA = L^-T phi(L^T gL) L^-1, symmetrized
    p = _phi(_mT(L) @ gL)
    y = linalg_solve_triangular(_mT(L), p, upper=True)
    gA = linalg_solve_triangular(L, y, upper=False, left=False)
    return 0.5 * (gA + _mT(gA))


def _cholesky_rule(grads, outs, upper):
    g = grads[0]
    if g is None:
        return (None,)
    L = outs[0]
    if upper:
        L, g = _mT(L), _mT(g)
    return (_cholesky_grad(g, L),)


_CholeskyNode = name_saved(_node("LinalgCholeskyExBackward0", _cholesky_rule, 2), upper=0,
                           L=_output(0))
_CholeskyOldNode = name_saved(_node("CholeskyBackward0", _cholesky_rule), upper=0,
                              result=_output(0))
_CholeskyOldNode.jvp = staticmethod(unsupported("cholesky"))  # none in PyTorch


def _cholesky_np(d):
    """(L, info): info is the order of the first leading minor that is not positive-definite
    (LAPACK's potrf), with the non-positive pivot left on L's diagonal there."""
    try:
        return np.linalg.cholesky(d), np.zeros(d.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        pass
    n = d.shape[-1]
    flat = d.reshape(-1, n, n)
    out = np.zeros_like(flat)
    info = np.zeros(flat.shape[0], np.int32)
    for b in range(flat.shape[0]):
        a = np.tril(flat[b]).astype(np.float64)
        L = np.zeros_like(a)
        for j in range(n):
            s = a[j, j] - L[j, :j] @ L[j, :j]
            if not s > 0:
                L[j, j] = s
                info[b] = j + 1
                break
            L[j, j] = math.sqrt(s)
            L[j + 1:, j] = (a[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
        out[b] = L
        if not info[b]:
            out[b] = np.linalg.cholesky(flat[b])
    return out.reshape(d.shape), info.reshape(d.shape[:-2])


def _cholesky(A, upper, op, check, node):
    d = A._data
    # upper=True factors the upper triangle (as LAPACK reads it): U^T is the lower factor of A^T
    L, info = _cholesky_np(np.swapaxes(d, -1, -2) if upper else d)
    if check:
        bad = _first_bad(info)
        if bad is not None:
            idx, order = bad
            exc = _LinAlgError(
                f"{op}: {_batch_prefix(idx, d.ndim > 2)}The factorization could not be "
                "completed because the input is not positive-definite (the leading minor of "
                f"order {order} is not positive-definite).")
            note(exc, "Cholesky needs a symmetric positive-definite matrix; A @ A.mT + eps * I "
                      "is one, for a full-rank A.")
            raise exc
    if upper:
        L = np.swapaxes(L, -1, -2).copy()
    return _record((L.astype(d.dtype, copy=False), info), node, (A,), (upper,))


def linalg_cholesky_ex(A, *, upper=False, check_errors=False):
    check_tensor(A, "linalg_cholesky_ex", "A")
    _square_check(A, "linalg.cholesky_ex")
    _float_check(A, "linalg.cholesky_ex", kernel="cholesky_cpu")
    return _CholeskyEx(_cholesky(A, upper, "linalg.cholesky_ex", check_errors, _CholeskyNode))


def linalg_cholesky(A, *, upper=False):
    check_tensor(A, "linalg_cholesky", "A")
    _square_check(A, "linalg.cholesky")
    _float_check(A, "linalg.cholesky", kernel="cholesky_cpu")
    return _cholesky(A, upper, "linalg.cholesky", True, _CholeskyNode)[0]


_CHOLESKY_WARNING = (
    "ember.cholesky is deprecated in favor of ember.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = ember.cholesky(A)\nshould be replaced with\nL = "
    "ember.linalg.cholesky(A)\nand\nU = ember.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = ember.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs.")


def cholesky(input, upper=False):
    warn_once("cholesky", _CHOLESKY_WARNING)
    check_tensor(input, "cholesky")
    _square_check(input, "cholesky")
    _float_check(input, "cholesky", kernel="cholesky_cpu")
    L = _cholesky(input, upper, "cholesky", True, _CholeskyOldNode)
    return L[0]


def _cholesky_solve_rule(grads, outs, B, L, upper):
    g = grads[0]
    if g is None:
        return None, None
    X = outs[0]
    gB = cholesky_solve(g, L, upper)
    gA = -(gB @ _mT(X))
    sym = gA + _mT(gA)
    # A = L L^T (lower) or U^T U (upper)
    gL = (sym @ L) if not upper else (L @ sym)
    return gB, gL


_CholeskySolveNode = name_saved(_node("CholeskySolveBackward0", _cholesky_solve_rule), self=0,
                                input2=1, upper=2, result=_output(0))


def cholesky_solve(input, input2, upper=False):
    """X with A X = B, A given by its Cholesky factor ``input2`` (B is ``input``)."""
    check_tensor(input, "cholesky_solve")
    check_tensor(input2, "cholesky_solve", "input2", 2)
    _not_impl_check(input, "cholesky_solve_cpu", "cholesky_solve")
    B, L = input, input2
    _square_check(L, "cholesky_solve")
    ld = np.swapaxes(L._data, -1, -2) if upper else L._data
    a = ld @ np.swapaxes(ld, -1, -2)
    try:
        x = np.linalg.solve(a, B._data)
    except np.linalg.LinAlgError:
        x = np.full(np.broadcast_shapes(a.shape[:-2], B._data.shape[:-2]) + B._data.shape[-2:],
                    np.nan, B._data.dtype)
    return _record((x.astype(B._data.dtype, copy=False),), _CholeskySolveNode, (B, L),
                   (B, L, upper))[0]


def _cholesky_inverse_rule(grads, outs, L, upper):
    g = grads[0]
    if g is None:
        return (None,)
    Y = outs[0]
    gA = -(_mT(Y) @ g @ _mT(Y))
    sym = gA + _mT(gA)
    return ((sym @ L) if not upper else (L @ sym),)


_CholeskyInverseNode = name_saved(_node("CholeskyInverseBackward0", _cholesky_inverse_rule),
                                  self=0, upper=1, result=_output(0))


def cholesky_inverse(input, upper=False):
    """(L L^T)^-1 from the Cholesky factor L (or (U^T U)^-1 with upper=True)."""
    check_tensor(input, "cholesky_inverse")
    _square_check(input, "cholesky_inverse")
    _not_impl_check(input, "cholesky_inverse_out_cpu", "cholesky_inverse")
    ld = np.swapaxes(input._data, -1, -2) if upper else input._data
    inv, _ = _inv_np(ld @ np.swapaxes(ld, -1, -2))
    return _record((inv.astype(input._data.dtype, copy=False),), _CholeskyInverseNode, (input,),
                   (input, upper))[0]


# -- triangular solve ---------------------------------------------------------------------------
def _tri_mask(g, upper, unit):
    g = triu(g) if upper else tril(g)
    if unit:
        g = g - _diag_embed(_diag(g))
    return g


def _solve_triangular_rule(grads, outs, A, upper, left, unit):
    g = grads[0]
    if g is None:
        return None, None
    X = outs[0]
    gB = linalg_solve_triangular(_mT(A), g, upper=not upper, left=left, unitriangular=unit)
    gA = -(gB @ _mT(X)) if left else -(_mT(X) @ gB)
    return _tri_mask(gA, upper, unit), gB


_SolveTriangularNode = name_saved(
    _node("LinalgSolveTriangularBackward0", _solve_triangular_rule),
    self=0, upper=1, left=2, unitriangular=3, result=_output(0))


def _triangle_np(a, upper, unit):
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        n = a.shape[-1]
        t[..., np.arange(n), np.arange(n)] = 1
    return t


def linalg_solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    check_tensor(A, "linalg_solve_triangular", "A")
    check_tensor(B, "linalg_solve_triangular", "B", 2)
    _not_impl_check(A, "triangular_solve_cpu", "linalg.solve_triangular")
    op = "linalg.solve_triangular"
    _square_check(A, op)
    _matrix_check(B, op, "B")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"{op}: Expected A and B to have the same dtype, but found A of type "
            f"{_word(A._data.dtype)} and B of type {_word(B._data.dtype)} instead")
    _solve_shapes(A, B, op, left, vectors=False)
    a = _triangle_np(A._data, upper, unitriangular)
    b = B._data
    with np.errstate(all="ignore"):
        if left:
            x = _tri_solve_np(a, b, upper)
        else:
            x = np.swapaxes(_tri_solve_np(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2),
                                          not upper), -1, -2)
    return _record((x.astype(b.dtype, copy=False),), _SolveTriangularNode, (A, B),
                   (A, upper, left, unitriangular))[0]


def _tri_solve_np(a, b, upper):
    """Substitution for a triangular ``a`` (..., n, n) against b (..., n, k), batches broadcast;
    a zero on the diagonal gives inf and nan, as LAPACK's trtrs."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    n = a.shape[-1]
    a = np.broadcast_to(a, (*batch, n, n))
    x = np.array(np.broadcast_to(b, (*batch, *b.shape[-2:])), dtype=np.result_type(a, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    done = []
    for i in order:
        if done:
            x[..., i, :] -= np.einsum("...j,...jk->...k", a[..., i, done], x[..., done, :])
        x[..., i, :] /= a[..., i, i, None]
        done.append(i)
    return x


# -- eigh ---------------------------------------------------------------------------------------
def _eigh_rule(grads, outs, uplo):
    gL, gV = grads
    L, V = outs
    Vt = _mT(V)
    inner = None
    if gV is not None:
        VtgV = Vt @ gV
        E = L.unsqueeze(-2) - L.unsqueeze(-1)  # E_ij = L_j - L_i
        n = L._data.shape[-1]
        E = E + _eye_like(n, L)
        inner = (VtgV - _mT(VtgV)) * 0.5 / E
    if gL is not None:
        d = _diag_embed(gL)
        inner = d if inner is None else inner + d
    if inner is None:
        return (None,)
    return (V @ inner @ Vt,)


_EighNode = name_saved(_node("LinalgEighBackward0", _eigh_rule, 2), eigenvalues=_output(0),
                       eigenvectors=_output(1))


def _eigh(A, UPLO, vectors):
    check_tensor(A, "linalg_eigh", "A")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _square_check(A, "linalg.eigh")
    _not_impl_check(A, "linalg_eigh_cpu", "linalg.eigh")
    d = A._data
    w, v = np.linalg.eigh(d, UPLO=UPLO)
    return _record((w.astype(d.dtype, copy=False), v.astype(d.dtype, copy=False)), _EighNode,
                   (A,), (UPLO,), diff=(True, vectors))


def linalg_eigh(A, UPLO="L"):
    return _Eigh(_eigh(A, UPLO, True))


def linalg_eigvalsh(A, UPLO="L"):
    return _eigh(A, UPLO, False)[0]


# -- eig (complex results) ----------------------------------------------------------------------
def _eig_rule(grads, outs, A):
    gL, gV = grads
    L, V = outs
    if _grad_state.enabled:
        raise NotImplementedError(
            "linalg.eig: ember computes its backward on arrays only (no second derivative)")
    lv, vv = L._data, V._data
    vh = np.conj(np.swapaxes(vv, -1, -2))
    inner = np.zeros(vv.shape, vv.dtype)
    if gV is not None:
        gv = gV._data
        VhgV = vh @ gv
        if not np.allclose(np.imag(np.diagonal(VhgV, 0, -2, -1)), 0, rtol=1e-2, atol=1e-2):
            raise RuntimeError(
                "linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                "multiplication by e^{i phi}. The specified loss function depends on this "
                "quantity, so it is ill-defined.")
        # PyTorch's normalization of the eigenvectors (unit norm) enters through the diagonal
        diag = np.real(np.diagonal(VhgV, 0, -2, -1))
        VhgV = VhgV - vh @ (vv * diag[..., None, :])
        E = np.conj(lv[..., None, :] - lv[..., :, None])
        idx = np.arange(lv.shape[-1])
        E[..., idx, idx] = 1
        inner = VhgV / E
        inner[..., idx, idx] = 0
    if gL is not None:
        idx = np.arange(lv.shape[-1])
        inner[..., idx, idx] += gL._data
    gA = np.linalg.solve(vh, inner @ vh)
    real = A._data.dtype
    return (_make(np.real(gA).astype(real)),)


_EigNode = _node("LinalgEigBackward0", _eig_rule, 2)


def _eig(A, vectors):
    check_tensor(A, "linalg_eig", "A")
    _square_check(A, "linalg.eig")
    d = A._data
    if d.dtype.kind == "c":
        raise NotImplementedError(
            f"linalg.eig: complex inputs ({_word(d.dtype)}) are not supported by ember yet")
    if d.dtype.kind not in "fV":
        raise RuntimeError(f"Unknown Complex ScalarType for {_word(d.dtype)}")
    if d.dtype.itemsize < 4:
        raise NotImplementedError(f'"linalg_eig_out_cpu" not implemented for \'{_word(d.dtype)}\'')
    ct = np.complex64 if d.dtype == np.float32 else np.complex128
    w, v = np.linalg.eig(d)
    return _record((w.astype(ct), v.astype(ct)), _EigNode, (A,), (A,), diff=(True, vectors))


def linalg_eig(A):
    return _Eig(_eig(A, True))


def linalg_eigvals(A):
    return _eig(A, False)[0]


# -- svd ----------------------------------------------------------------------------------------
def _svd_grad(gU, gS, gVh, U, S, Vh):
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    k = S._data.shape[-1]
    if U._data.shape[-1] != k:  # full_matrices: only the first k columns enter A
        U = U[..., :k]
        gU = None if gU is None else gU[..., :k]
    if Vh._data.shape[-2] != k:
        Vh = Vh[..., :k, :]
        gVh = None if gVh is None else gVh[..., :k, :]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return (U * gS.unsqueeze(-2)) @ Vh
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye_like(k, S)  # E_ij = S_j^2 - S_i^2
    inner = None
    if gU is not None:
        UtgU = _mT(U) @ gU
        inner = (UtgU - _mT(UtgU)) * S.unsqueeze(-2) / E
    if gVh is not None:
        VtgV = Vh @ _mT(gVh)
        term = S.unsqueeze(-1) * (VtgV - _mT(VtgV)) / E
        inner = term if inner is None else inner + term
    if gS is not None:
        inner = inner + _diag_embed(gS)
    gA = U @ inner @ Vh
    if m > k and gU is not None:
        gA = gA + ((gU - U @ UtgU) / S.unsqueeze(-2)) @ Vh
    if n > k and gVh is not None:
        gA = gA + U @ ((gVh - _mT(VtgV) @ Vh) / S.unsqueeze(-1))
    return gA


def _svd_rule(grads, outs, full_matrices):
    # (full_matrices shows in the shapes of U and Vh, which _svd_grad reads)
    U, S, Vh = outs
    return (_svd_grad(*grads, U, S, Vh),)


def _s_size(n):
    if n._store is None:
        raise RuntimeError(FREED_MESSAGE)
    return n._store[-1].items[1][0].shape[-1]


_SvdNode = name_saved(_node("LinalgSvdBackward0", _svd_rule, 3), full_matrices=0,
                      U=_output(0), S=_output(1), Vh=_output(2), S_sym_argsize_minus_1=_s_size)


def _svd_check(A, op="linalg.svd"):
    check_tensor(A, "linalg_svd", "A")
    _matrix_check(A, op)
    _float_check(A, op, kernel="linalg_svd_cpu")


def _np_svd(d, **kw):
    """np.linalg.svd with PyTorch's error when LAPACK does not converge."""
    try:
        return np.linalg.svd(d, **kw)
    except np.linalg.LinAlgError:
        flat = d.reshape(-1, *d.shape[-2:])
        bad = [i for i in range(len(flat)) if not np.isfinite(flat[i]).all()]
        why = ("the input matrix contained non-finite values" if bad else "the input matrix is "
               "ill-conditioned or has too many repeated singular values")
        exc = _LinAlgError(f"linalg.svd: {_batch_prefix(bad[0] if bad else 0, d.ndim > 2)}The "
                           f"algorithm failed to converge because {why}.")
        note(exc, "An inf or nan in the matrix (often from a diverging computation upstream) "
                  "makes its singular values undefined.")
        raise exc from None


def _svd_np(d, full):
    m, n = d.shape[-2:]
    if 0 in d.shape:
        k = min(m, n)
        b = d.shape[:-2]
        U = _np_eye_batch(m, d.dtype, b)[..., :, :(m if full else k)]
        Vh = _np_eye_batch(n, d.dtype, b)[..., :(n if full else k), :]
        return U, np.zeros((*b, k), d.dtype), Vh
    u, s, vh = _np_svd(d, full_matrices=full)
    return u.astype(d.dtype, copy=False), s.astype(d.dtype, copy=False), vh.astype(d.dtype,
                                                                                  copy=False)


def _no_driver(driver):
    if driver is not None:
        raise RuntimeError(f"{_names.prefix}.linalg.svd: keyword argument `driver=` is only "
                           "supported on CUDA inputs with cuSOLVER backend.")


def linalg_svd(A, full_matrices=True, *, driver=None):
    _no_driver(driver)
    _svd_check(A)
    return _Svd(_record(_svd_np(A._data, full_matrices), _SvdNode, (A,), (full_matrices,)))


def linalg_svdvals(A, *, driver=None):
    _no_driver(driver)
    _svd_check(A)
    # svd's node, S its output 1 as in PyTorch; U and Vh are outputs too (not returned): a
    # second derivative reaches them
    return _record(_svd_np(A._data, False), _SvdNode, (A,), (False,),
                   diff=(False, True, False))[1]


def svd(input, some=True, compute_uv=True):
    """torch.svd: U, S and V (not V^H); reduced unless some=False."""
    _svd_check(input)
    if not compute_uv:
        s = linalg_svdvals(input)
        m, n = input._data.shape[-2:]
        b = input._data.shape[:-2]
        dt = from_np[input._data.dtype]
        return _SvdOld((zeros(*b, m, m, dtype=dt), s, zeros(*b, n, n, dtype=dt)))
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    return _SvdOld((U, S, Vh.mT))


# -- qr -----------------------------------------------------------------------------------------
def _copyltu(M):
    low = tril(M, -1)
    return low + _mT(low) + _diag_embed(_diag(M))


def _qr_square_grad(gQ, gR, Q, R):
    # A = Q R with R square (m >= n): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q
    M = R @ _mT(gR) - _mT(gQ) @ Q
    b = gQ + Q @ _copyltu(M)
    return linalg_solve_triangular(_mT(R), b, upper=False, left=False)


def _qr_rule(grads, outs, mode):
    gQ, gR = grads
    Q, R = outs
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr.")
    m, n = Q._data.shape[-2], R._data.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    if gQ is None and gR is None:
        return (None,)
    gQ = _zeros_like(Q) if gQ is None else gQ
    gR = _zeros_like(R) if gR is None else gR
    if m >= n:
        return (_qr_square_grad(gQ, gR, Q, R),)
    # m < n: A = [A1 | A2] with A1 = Q R1 square and R2 = Q^T A2
    R1, R2 = R[..., :, :m], R[..., :, m:]
    gR1, gR2 = gR[..., :, :m], gR[..., :, m:]
    A2 = Q @ R2
    g1 = _qr_square_grad(gQ + A2 @ _mT(gR2), gR1, Q, R1)
    return (cat([g1, Q @ gR2], -1),)


_QrNode = name_saved(_node("LinalgQrBackward0", _qr_rule, 2), mode=0, Q=_output(0),
                     R=_output(1))


def _qr(A, mode):
    check_tensor(A, "linalg_qr", "A")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _matrix_check(A, "linalg.qr")
    _float_check(A, "linalg.qr", kernel="geqrf_cpu")
    d = A._data
    m, n = d.shape[-2:]
    if 0 in d.shape:
        k = min(m, n)
        q = _np_eye_batch(m, d.dtype, d.shape[:-2])[..., :, :(m if mode == "complete" else k)]
        r = np.zeros((*d.shape[:-2], q.shape[-1], n), d.dtype)
    else:
        q, r = np.linalg.qr(d, mode="complete" if mode == "complete" else "reduced")
    if mode == "r":
        q = np.zeros(0, d.dtype)
    return _record((q.astype(d.dtype, copy=False), r.astype(d.dtype, copy=False)), _QrNode,
                   (A,), (mode,))


def linalg_qr(A, mode="reduced"):
    return _Qr(_qr(A, mode))


def qr(input, some=True):
    warn_once(
        "qr",
        "ember.qr is deprecated in favor of ember.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = ember.qr(A, some)\nshould be replaced with\nQ, R = "
        "ember.linalg.qr(A, 'reduced' if some else 'complete')")
    return _QrOld(_qr(input, "reduced" if some else "complete"))


# -- lu -----------------------------------------------------------------------------------------
def _lu_square_grad(gL, gU, P, L, U):
    # A = P L U: gA = P L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T
    phi = None
    if gL is not None:
        phi = tril(_mT(L) @ gL, -1)
    if gU is not None:
        t = triu(gU @ _mT(U))
        phi = t if phi is None else phi + t
    x = linalg_solve_triangular(_mT(L), phi, upper=True, unitriangular=True)
    x = linalg_solve_triangular(_mT(U), x, upper=False, left=False)
    return P @ x


def _lu_grad(gL, gU, P, L, U):
    if gL is None and gU is None:
        return None
    m, n = L._data.shape[-2], U._data.shape[-1]
    if m == n:
        return _lu_square_grad(gL, gU, P, L, U)
    if m < n:  # A = P L [U1 | U2]: U2 = L^-1 P^T A2
        U1, U2 = U[..., :, :m], U[..., :, m:]
        gU1 = None if gU is None else gU[..., :, :m]
        gU2 = None if gU is None else gU[..., :, m:]
        if gU2 is not None:
            extra = -(linalg_solve_triangular(_mT(L), gU2, upper=True, unitriangular=True)
                      @ _mT(U2))
            gL = extra if gL is None else gL + extra
            g2 = P @ linalg_solve_triangular(_mT(L), gU2, upper=True, unitriangular=True)
        else:
            g2 = _make(np.zeros((*U._data.shape[:-2], m, n - m), U._data.dtype))
        g1 = _lu_square_grad(gL, gU1, P, L, U1)
        return cat([g1, g2], -1)
    # m > n: P^T A = [L1; L2] U, L2 = (P^T A)_2 U^-1
    L1, L2 = L[..., :n, :], L[..., n:, :]
    gL1 = None if gL is None else gL[..., :n, :]
    gL2 = None if gL is None else gL[..., n:, :]
    if gL2 is not None:
        g2 = linalg_solve_triangular(_mT(U), gL2, upper=False, left=False)  # gL2 U^-T
        extra = -(_mT(L2) @ g2)
        gU = extra if gU is None else gU + extra
    else:
        g2 = _make(np.zeros((*L._data.shape[:-2], m - n, n), L._data.dtype))
    g1 = _lu_square_grad(gL1, gU, _eye_like(n, L), L1, U)
    return P @ cat([g1, g2], -2)


def _unpack_lu(LU):
    """L and U from the packed factors, differentiably."""
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    L = tril(LU, -1)[..., :, :k] + _make(np.eye(m, k, dtype=LU._data.dtype))
    return L, triu(LU)[..., :k, :]


def _lu_factor_rule(grads, outs, P, pivot):
    g = grads[0]
    if g is None:
        return (None,)
    L, U = _unpack_lu(outs[0])
    k = min(L._data.shape[-2], U._data.shape[-1])
    gL = tril(g, -1)[..., :, :k]
    gU = triu(g)[..., :k, :]
    return (_lu_grad(gL, gU, P, L, U),)


def _lu_rule(grads, outs, pivot):
    P, L, U = outs
    return (_lu_grad(grads[1], grads[2], P, L, U),)


# (pivot is always True: ember refuses LU without pivoting)
_LuFactorNode = name_saved(_node("LinalgLuFactorExBackward0", _lu_factor_rule, 3), pivot=1,
                           LU=_output(0), pivots=_output(1))
_LuNode = name_saved(_node("LinalgLuBackward0", _lu_rule, 3), pivot=0, P=_output(0),
                     L=_output(1), U=_output(2))


def _lu_check(A, op):
    check_tensor(A, op, "A")
    d = A._data
    if d.ndim < 2:
        raise RuntimeError(f"{_names.prefix}.lu_factor: Expected tensor with 2 or more "
                           f"dimensions. Got size: {list(d.shape)} instead")
    _not_impl_check(A, "lu_cpu", "linalg.lu_factor")


def _lu_factor(A, pivot, op):
    _lu_check(A, op)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    d = A._data
    lu, piv, info = _lu_np(d)
    P, _, _ = _unpack_np(lu, piv, d.dtype)
    LU, pv, inf = _record((lu, piv, info), _LuFactorNode, (A,), (_make(P), pivot),
                          diff=(True, False, False))
    return LU, pv, inf


def linalg_lu_factor_ex(A, *, pivot=True, check_errors=False):
    LU, piv, info = _lu_factor(A, pivot, "linalg.lu_factor_ex")
    if check_errors:
        _lu_error(info._data, A._data.ndim > 2)
    return _LuFactorEx((LU, piv, info))


def _lu_error(info, batched):
    bad = _first_bad(info)
    if bad is not None:
        idx, i = bad
        raise RuntimeError(
            f"{_names.prefix}.linalg.lu_factor: {_batch_prefix(idx, batched)}U[{i},{i}] is zero "
            "and using it on lu_solve would result in a division by zero. If you still want to "
            "perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)")


def linalg_lu_factor(A, *, pivot=True):
    LU, piv, info = _lu_factor(A, pivot, "linalg.lu_factor")
    _lu_error(info._data, A._data.ndim > 2)
    return _LuFactor((LU, piv))


def linalg_lu(A, *, pivot=True):
    _lu_check(A, "linalg_lu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    d = A._data
    lu, piv, _ = _lu_np(d)
    P, L, U = _unpack_np(lu, piv, d.dtype)
    return _Lu(_record((P, L, U), _LuNode, (A,), (pivot,), diff=(False, True, True)))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError(_names.spell(
            "ember.lu_unpack: LU_pivots is expected to be a contiguous tensor of ember.int32 "
            "dtype.\nNote: this function is intended to be used with the output produced by "
            "ember.linalg.lu_factor"))
    d = LU_data._data
    P, _, _ = _unpack_np(d, LU_pivots._data, d.dtype)
    k = min(d.shape[-2:])
    L = tril(LU_data, -1)[..., :, :k] + _make(np.eye(d.shape[-2], k, dtype=d.dtype))
    U = triu(LU_data)[..., :k, :]
    return _LuUnpack((_make(P), L, U))


def lu(A, pivot=True, get_infos=False, out=None):
    if out is not None:
        return _write_out(lu(A, pivot, get_infos), out, "lu")
    warn_once(
        "lu",
        "ember.lu is deprecated in favor of ember.linalg.lu_factor / ember.linalg.lu_factor_ex "
        "and will be removed in a future PyTorch release.\nLU, pivots = ember.lu(A, "
        "compute_pivots)\nshould be replaced with\nLU, pivots = ember.linalg.lu_factor(A, "
        "compute_pivots)\nand\nLU, pivots, info = ember.lu(A, compute_pivots, get_infos=True)\n"
        "should be replaced with\nLU, pivots, info = ember.linalg.lu_factor_ex(A, "
        "compute_pivots)")
    LU, piv, info = _lu_factor(A, pivot, "lu")  # a singular A is factored, as in PyTorch
    return (LU, piv, info) if get_infos else (LU, piv)


def _lu_solve_rule(grads, outs, LU, pivots, P, left, adjoint):
    g = grads[0]
    if g is None:
        return None, None
    X = outs[0]
    L, U = _unpack_lu(LU)
    if not left:
        # X A' = B is A'^T X^T = B^T
        g, X = _mT(g), _mT(X)
        adjoint = not adjoint
    # X = op(A)^-1 B: gB = op(A)^-T g, and g_op(A) = -gB X^T
    gB = linalg_lu_solve(LU, pivots, g, adjoint=not adjoint)
    gopA = -(gB @ _mT(X))
    gA = _mT(gopA) if adjoint else gopA
    # A = P L U: the gradient of the packed factors
    PtgA = _mT(P) @ gA
    gLU = tril(PtgA @ _mT(U), -1) + triu(_mT(L) @ PtgA)
    if not left:
        gB = _mT(gB)
    return gLU, gB


_LuSolveNode = name_saved(_node("LinalgLuSolveBackward0", _lu_solve_rule), LU=0, pivots=1,
                          left=3, adjoint=4, result=_output(0))


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    check_tensor(LU, "linalg_lu_solve", "LU")
    check_tensor(B, "linalg_lu_solve", "B", 3)
    op = "linalg.lu_solve"
    _square_check(LU, op, "LU")
    _matrix_check(B, op, "B")
    n = LU._data.shape[-1]
    rows = B._data.shape[-2] if left else B._data.shape[-1]
    if rows != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})")
    if pivots._data.dtype != np.int32:
        raise RuntimeError(f"{op}: pivots should be a Tensor of scalar type {_names.prefix}.int32")
    d = LU._data
    P, L, U = _unpack_np(d, pivots._data, d.dtype)
    a = P @ L @ U
    if adjoint:
        a = np.swapaxes(a, -1, -2)
    x, _ = _solve_np(a, B._data, left, False, f"{_names.prefix}.linalg.lu_solve")
    return _record((x.astype(B._data.dtype, copy=False),), _LuSolveNode, (LU, B),
                   (LU, pivots, _make(P), left, adjoint))[0]


def lu_solve(b, LU_data, LU_pivots):
    return linalg_lu_solve(LU_data, LU_pivots, b)


# -- pinv and lstsq -----------------------------------------------------------------------------
def _pinv_grad(g, A, P):
    # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
    m, n = A._data.shape[-2:]
    Pt = _mT(P)
    gA = -(Pt @ g @ Pt)
    gA = gA + (_eye_like(m, A) - A @ P) @ _mT(g) @ P @ Pt
    gA = gA + Pt @ P @ _mT(g) @ (_eye_like(n, A) - P @ A)
    return gA


def _pinv_rule(grads, outs, A):
    g = grads[0]
    if g is None:
        return (None,)
    return (_pinv_grad(g, A, outs[0]),)


_PinvNode = name_saved(_node("LinalgPinvBackward0", _pinv_rule), self=0, result=_output(0))


def _tol(t):
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t._data
    return float(t)


def _cutoff(s, atol, rtol, m, n, dtype):
    """max(atol, rtol * largest singular value), PyTorch's defaults filled in."""
    atol, rtol = _tol(atol), _tol(rtol)
    if rtol is None:
        rtol = (0.0 if atol is not None and np.all(np.asarray(atol) > 0)
                else np.finfo(dtype).eps * max(m, n))
    if atol is None:
        atol = 0.0
    smax = s[..., :1] if s.shape[-1] else np.zeros((*s.shape[:-1], 1), s.dtype)
    atol = np.asarray(atol)[..., None] if np.ndim(atol) else atol
    rtol = np.asarray(rtol)[..., None] if np.ndim(rtol) else rtol
    return np.maximum(atol, rtol * smax)


def linalg_pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    check_tensor(A, "linalg_pinv", "A")
    _no_complex(A, "linalg.pinv")
    if rcond is not None:  # the older signature: rcond is rtol
        if atol is not None or rtol is not None:
            raise TypeError("linalg_pinv() received an invalid combination of arguments: rcond "
                            "cannot be given with atol or rtol")
        rtol, atol = rcond, 0.0
    for arg, tol in (("atol", atol), ("rtol", rtol)):
        if isinstance(tol, Tensor) and tol._requires_grad and _grad_state.enabled:
            raise RuntimeError(f"The function 'linalg_pinv' is not differentiable with respect "
                               f"to argument '{arg}'. This input cannot have requires_grad True.")
    d = A._data
    if d.ndim < 2 or d.dtype.kind not in "fV" or d.dtype.itemsize < 4:
        raise RuntimeError(
            f"linalg.pinv({_word(d.dtype)}{{{list(d.shape)}}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types")
    m, n = d.shape[-2:]
    if hermitian:
        w, v = np.linalg.eigh(d)
        order = np.argsort(-np.abs(w), axis=-1)
        s = np.take_along_axis(np.abs(w), order, -1)
        cut = _cutoff(s, atol, rtol, m, n, d.dtype)
        with np.errstate(all="ignore"):
            winv = np.where(np.abs(w) > np.max(cut, -1, keepdims=True), 1 / w, 0)
        p = (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2)
    else:
        u, s, vh = _svd_np(d, False)
        cut = _cutoff(s, atol, rtol, m, n, d.dtype)
        with np.errstate(all="ignore"):
            sinv = np.where(s > cut, 1 / s, 0).astype(d.dtype)
        p = (np.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ np.swapaxes(u, -1, -2)
    return _record((p.astype(d.dtype, copy=False),), _PinvNode, (A,), (A,))[0]


def pinverse(input, rcond=1e-15):
    return linalg_pinv(input, rtol=rcond)


def _lstsq_rule(grads, outs, A, B, vector):
    g, gr = grads[0], grads[1]
    if gr is not None and not gr._data.size:
        gr = None  # no residuals were computed
    if g is None and gr is None:
        return None, None
    X = outs[0]
    if vector:
        B, X = B.unsqueeze(-1), X.unsqueeze(-1)
        g = None if g is None else g.unsqueeze(-1)
    gA = gB = None
    if g is not None:  # X = pinv(A) B
        pinvA = linalg_pinv(A)
        gB = _mT(pinvA) @ g
        gA = _pinv_grad(g @ _mT(B), A, pinvA)
    if gr is not None:
        # residuals r = sum((A X - B)^2) over rows, at the least-squares X (A^T R = 0)
        R = (A @ X - B) * (2 * gr.unsqueeze(-2))
        gA = R @ _mT(X) if gA is None else gA + R @ _mT(X)
        gB = -R if gB is None else gB - R
    if vector:
        gB = gB.squeeze(-1)
    return gA, gB


_LstsqNode = name_saved(_node("LinalgLstsqBackward0", _lstsq_rule, 4), self=0, b=1,
                        solution=_output(0))


def linalg_lstsq(A, B, rcond=None, *, driver=None):
    check_tensor(A, "linalg_lstsq", "A")
    check_tensor(B, "linalg_lstsq", "B", 2)
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{_names.prefix}.linalg.lstsq: parameter `driver` should be one "
                           "of (gels, gelsy, gelsd, gelss)")
    driver = driver or "gelsy"
    if A._data.dtype.kind not in "fV" or A._data.dtype.itemsize < 4:
        if A._data.dtype.kind != "c":
            raise RuntimeError("This function doesn't handle types other than float and double")
    _float_check(A, f"{_names.prefix}.linalg.lstsq")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"{_names.prefix}.linalg.lstsq: Expected input and other to have the same dtype, "
            f"but got input's dtype {_word(A._data.dtype)} and other's dtype "
            f"{_word(B._data.dtype)}")
    _matrix_check(A, f"{_names.prefix}.linalg.lstsq")
    da, db = A._data, B._data
    if not (da.ndim >= db.ndim and da.ndim - db.ndim <= 1):
        raise RuntimeError(f"{_names.prefix}.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vector = db.ndim == da.ndim - 1
    b = db[..., None] if vector else db
    if da.shape[-2] != b.shape[-2]:
        raise RuntimeError(f"{_names.prefix}.linalg.lstsq: input.size(-2) should match "
                           "other.size(-2)")
    m, n = da.shape[-2:]
    batch = np.broadcast_shapes(da.shape[:-2], b.shape[:-2])
    k = b.shape[-1]
    count = math.prod(batch)
    a_b = np.broadcast_to(da, (*batch, m, n)).reshape(count, m, n)
    b_b = np.broadcast_to(b, (*batch, m, k)).reshape(count, m, k)
    if a_b.size and b_b.size:
        xs, ranks, svals = [], [], []
        for a1, b1 in zip(a_b, b_b):
            x, _, r, s = np.linalg.lstsq(a1, b1, rcond=rcond)
            xs.append(x)
            ranks.append(r)
            svals.append(s)
        x = np.array(xs, da.dtype).reshape(*batch, n, k)
        rank = np.array(ranks, np.int64).reshape(batch)
        sv = np.array(svals, da.dtype).reshape(*batch, min(m, n))
    else:  # empty matrices: the zero solution, of rank 0
        x = np.zeros((*batch, n, k), da.dtype)
        rank = np.zeros(batch, np.int64)
        sv = np.zeros((*batch, min(m, n)), da.dtype)
    res = np.zeros(0, da.dtype)
    if driver != "gelsy" and m > n and np.all(rank == n) and driver != "gels":
        res = np.sum((np.broadcast_to(da, (*batch, m, n)) @ x - b) ** 2, axis=-2)
    elif driver == "gels" and m > n:
        res = np.sum((np.broadcast_to(da, (*batch, m, n)) @ x - b) ** 2, axis=-2)
    if driver == "gels":
        rank = np.zeros(0, np.int64)
    if driver not in ("gelsd", "gelss"):
        sv = np.zeros(0, da.dtype)
    if vector:  # (the residuals keep their last dimension, as PyTorch's)
        x = x[..., 0]
    outs = _record((x.astype(da.dtype), res.astype(da.dtype), rank, sv), _LstsqNode, (A, B),
                   (A, B, vector), diff=(True, True, False, False))
    return _Lstsq(outs)


# -- matrix_exp ---------------------------------------------------------------------------------
def _expm_np(a):
    """exp(a) for a batch of matrices: scaling, a Taylor series of degree 18, squaring."""
    dt = a.dtype
    a = a.astype(np.float64)
    n = a.shape[-1]
    norm = np.max(np.sum(np.abs(a), axis=-2), axis=-1) if a.size else np.zeros(a.shape[:-2])
    with np.errstate(all="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 0.5))).astype(int)
    s = np.where(np.isfinite(norm), s, 0)
    scaled = a / (2.0 ** s)[..., None, None]
    eye_ = np.eye(n)
    out = eye_ + scaled / 18
    for k in range(17, 0, -1):
        out = eye_ + (scaled @ out) / k
    for step in range(int(s.max()) if s.size else 0):
        sq = out @ out
        out = np.where((s > step)[..., None, None], sq, out)
    return out.astype(dt)


def _matrix_exp_rule(grads, outs, A):
    g = grads[0]
    if g is None:
        return (None,)
    # the gradient is the upper-right block of exp([[A^T, g], [0, A^T]])
    n = A._data.shape[-1]
    At = _mT(A)
    top = cat([At, g], -1)
    bottom = cat([_zeros_like(At), At], -1)
    big = linalg_matrix_exp(cat([top, bottom], -2))
    return (big[..., :n, n:],)


_MatrixExpNode = name_saved(_node("LinalgMatrixExpBackward0", _matrix_exp_rule), self=0)


def linalg_matrix_exp(A):
    check_tensor(A, "linalg_matrix_exp", "A")
    _square_check(A, "linalg.matrix_exp")
    if A._data.dtype != np.float16:  # half precision is computed in float32
        _float_check(A, "linalg.matrix_exp")
    return _record((_expm_np(A._data),), _MatrixExpNode, (A,), (A,))[0]


def matrix_exp(input):
    return linalg_matrix_exp(input)


# -- cross --------------------------------------------------------------------------------------
def _cross_rule(grads, outs, a, b, dim):
    g = grads[0]
    if g is None:
        return None, None
    return linalg_cross(b, g, dim=dim), linalg_cross(g, a, dim=dim)


_CrossNode = name_saved(_node("LinalgCrossBackward0", _cross_rule), self=0, other=1, dim=2,
                        needed={"self": 1, "other": 0})


def linalg_cross(input, other, *, dim=-1):
    check_tensor(input, "linalg_cross", "input")
    check_tensor(other, "linalg_cross", "other", 2)
    _no_complex(input, "linalg.cross")
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_word(a.dtype)} but found {_word(b.dtype)}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        from ._op import broadcast_shapes_error

        raise broadcast_shapes_error(a.shape, b.shape) from None
    nd = len(shape)
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                         f"{nd - 1}], but got {dim})")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and "
            f"{b.shape[dim]}")
    res = np.cross(np.broadcast_to(a, shape), np.broadcast_to(b, shape), axis=dim)
    return _record((res.astype(a.dtype, copy=False),), _CrossNode, (input, other),
                   (input, other, dim))[0]


def cross(input, other, dim=None):
    if dim is None:
        warn_once(
            "cross",
            "Using ember.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use ember.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.")
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims[0]
    return linalg_cross(input, other, dim=dim)


# -- householder_product -----------------------------------------------------------------------
def _reflectors(A, tau, xp_ops):
    """The product H_1 ... H_k of H_i = I - tau_i v_i v_i^T (v_i: column i of A below the
    diagonal, 1 on it), its first n columns. ``xp_ops``: (eye, matmul, column mask) for arrays
    or tensors."""
    eye_, mask = xp_ops
    m, n = A.shape[-2], A.shape[-1]
    Q = eye_
    rows = np.arange(m)
    for i in range(tau.shape[-1]):
        below = (rows > i).astype(A.dtype if isinstance(A, np.ndarray) else A._data.dtype)
        one = (rows == i).astype(below.dtype)
        v = A[..., :, i] * mask(below) + mask(one)
        tv = tau[..., i:i + 1] * v
        Q = Q - (Q @ v[..., :, None]) @ tv[..., None, :]
    return Q[..., :, :n]


def _householder_np(a, t):
    m = a.shape[-2]
    eye_ = np.broadcast_to(np.eye(m, dtype=a.dtype), (*a.shape[:-2], m, m))
    return _reflectors(a, t, (eye_, lambda x: x))


def _householder_rule(grads, outs, A, tau):
    # the backward of the same product written in ember ops (grad mode is on under
    # create_graph, so the gradient stays differentiable)
    g = grads[0]
    if g is None:
        return None, None
    create = _grad_state.enabled
    a = A if create and A._requires_grad else A.detach().requires_grad_()
    t = tau if create and tau._requires_grad else tau.detach().requires_grad_()
    with enable_grad():
        m = a._data.shape[-2]
        out = _reflectors(a, t, (eye(m, dtype=from_np[a._data.dtype]), _make))
    return _engine_grad(out, (a, t), g, create_graph=create, allow_unused=True)


_HouseholderNode = name_saved(_node("LinalgHouseholderProductBackward0", _householder_rule),
                              input=0, tau=1, result=_output(0))


def linalg_householder_product(A, tau):
    check_tensor(A, "linalg_householder_product", "A")
    check_tensor(tau, "linalg_householder_product", "tau", 2)
    op = f"{_names.prefix}.linalg.householder_product"
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if a.shape[-2] < a.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if a.shape[-1] < t.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if t.ndim != a.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(t.shape[:-1])}")
    if a.dtype != t.dtype:
        raise RuntimeError(f"{op}: tau dtype {_word(t.dtype)} does not match input dtype "
                           f"{_word(a.dtype)}")
    _not_impl_check(A, "orgqr_cpu", "linalg.householder_product")
    return _record((_householder_np(a, t),), _HouseholderNode, (A, tau), (A, tau))[0]


def orgqr(input, tau):
    return linalg_householder_product(input, tau)


# -- ops built from the others ------------------------------------------------------------------
def linalg_matrix_power(A, n):
    check_tensor(A, "linalg_matrix_power", "A")
    _square_check(A, "linalg.matrix_power")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    n = int(n)
    if n == 0:
        m = A._data.shape[-1]
        out = A.clone()
        out.copy_(_make(np.broadcast_to(np.eye(m, dtype=A._data.dtype), A._data.shape)))
        return out
    if n == 1:
        return A.clone()
    if n < 0:
        A = linalg_inv(A)
        n = -n
    result = None
    z = A
    while n:
        if n & 1:
            result = z if result is None else matmul(z, result)  # PyTorch's order
        n >>= 1
        if n:
            z = matmul(z, z)
    return result


def matrix_power(input, n):
    return linalg_matrix_power(input, n)


def linalg_multi_dot(tensors):
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0].dim(), tensors[-1].dim()
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    dt = tensors[0].dtype  # (the tensors' own dtype and shapes, not their arrays: vmap)
    for i, t in enumerate(tensors[1:], 1):
        if t.dtype is not dt:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{dt.cpp} and tensor {i} {t.dtype.cpp}")
    for i in range(len(tensors) - 1):
        sa, sb = tuple(tensors[i].shape), tuple(tensors[i + 1].shape)
        if sa[-1] != sb[0]:
            shape_a = [1, *sa] if i == 0 and len(sa) == 1 else list(sa)
            shape_b = [*sb, 1] if i + 1 == len(tensors) - 1 and len(sb) == 1 else list(sb)
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {shape_a} and "
                               f"{shape_b} cannot be multiplied")
    mats = list(tensors)
    if first == 1:
        mats[0] = mats[0].unsqueeze(0)
    if last == 1:
        mats[-1] = mats[-1].unsqueeze(-1)
    result = _chain(mats)
    # PyTorch ends with a view to the result's shape, whatever the case
    shape = (*result.shape[:-2], *(() if first == 1 else result.shape[-2:-1]),
             *(() if last == 1 else result.shape[-1:]))
    return result.view(shape)


def _chain(mats):
    """The product in the order that needs the fewest multiplications (dynamic programming)."""
    k = len(mats)
    if k == 2:
        return mats[0].matmul(mats[1])  # (the public op: vmap batches it)
    dims = [m.shape[-2] for m in mats] + [mats[-1].shape[-1]]
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = math.inf
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def build(i, j):
        if i == j:
            return mats[i]
        s = split[i][j]
        return build(i, s).matmul(build(s + 1, j))

    return build(0, k - 1)


def linalg_vander(x, *, N=None):
    check_tensor(x, "linalg_vander", "x")
    d = x._data
    if N is None:
        N = d.shape[-1] if d.ndim else 1
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    if d.ndim < 1:
        raise RuntimeError("x must have at least one dimension.")
    powers = x.unsqueeze(-1).expand(*d.shape, N - 1).cumprod(-1)
    ones = _make(np.ones((*d.shape, 1), powers._data.dtype))  # integers: cumprod's int64
    return cat([ones, powers], -1)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def linalg_vecdot(x, y, *, dim=-1):
    check_tensor(x, "linalg_vecdot", "x")
    check_tensor(y, "linalg_vecdot", "y", 2)
    for t in (x, y):
        if t._data.dtype.kind not in "fcV":
            raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {_word(t._data.dtype)}")
    if x._data.dtype.kind == "c":
        x = x.conj()  # <x, y> = sum(conj(x) * y)
    return (x * y).sum(dim)


def linalg_tensorinv(A, ind=2):
    check_tensor(A, "linalg_tensorinv", "A")
    if not isinstance(ind, int) or isinstance(ind, bool):
        raise TypeError("linalg_tensorinv(): argument 'ind' (position 2) must be int, not "
                        f"{type(ind).__name__}")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = A._data.shape
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}")
    inv = linalg_inv(A.reshape(rows, cols))
    # PyTorch's inverse is column-major (LAPACK's layout), so the reshape below is its
    # _reshape_alias (ReshapeAliasBackward0) and the result has PyTorch's strides
    inv._data = np.asfortranarray(inv._data)
    return inv.reshape(*shape[ind:], *shape[:ind])


def linalg_tensorsolve(A, B, dims=None):
    check_tensor(A, "linalg_tensorsolve", "A")
    check_tensor(B, "linalg_tensorsolve", "B", 2)
    nd = A._data.ndim
    if dims is not None:
        dims = [d % nd for d in dims]
        rest = [i for i in range(nd) if i not in dims]
        A = A.permute(*rest, *dims)
    shape = A._data.shape
    bn = B._data.ndim
    result_shape = shape[bn:]
    rows, cols = B._data.size, math.prod(result_shape)
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    x = linalg_solve(A.reshape(rows, cols), B.reshape(rows))
    return x.reshape(result_shape)


# -- norms --------------------------------------------------------------------------------------
def linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    check_tensor(x, "linalg_vector_norm", "x")
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(
            ord, (int, float, np.integer, np.floating)):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    return _vector_norm_op(x, ord, dim, keepdim, dtype=dtype)


def _matrix_dims(dim, nd):
    d = tuple(dim)
    if len(d) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(x) for x in d)}")
    axes = [_dims(x, nd)[0] for x in d]
    if axes[0] == axes[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d[0]}, {d[1]})")
    return axes


def linalg_matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    check_tensor(A, "linalg_matrix_norm", "A")
    d = A._data
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if d.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(x) for x in dim)}")
    if d.dtype.kind not in "fcV":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_word(d.dtype)}")
    if d.dtype.itemsize < 4 and (ord == "nuc" or ord in (2, -2)):  # these need an SVD
        raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got "
                           f"{_word(d.dtype)}")
    nd = d.ndim
    r, c = _matrix_dims(dim, nd)
    if dtype is not None:
        A = A.to(dtype)
    if not d.size and ord != "fro":  # PyTorch's norms of empty matrices are 0
        return A.abs().sum((r, c), keepdim=keepdim)
    if isinstance(ord, str):
        if ord == "fro":
            return _vector_norm_op(A, 2, (r, c), keepdim)
        if ord != "nuc":
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        return _spectral(A, r, c, keepdim, "sum")
    if ord in (2, -2):
        return _spectral(A, r, c, keepdim, "amax" if ord == 2 else "amin")
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, red_dim = (r, c) if ord in (1, -1) else (c, r)
        s = _vector_norm_op(A, 1, sum_dim, keepdim)
        if not keepdim and red_dim > sum_dim:
            red_dim -= 1
        return s.amax(red_dim, keepdim) if ord > 0 else s.amin(red_dim, keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _spectral(A, r, c, keepdim, how):
    nd = A._data.ndim
    moved = A.movedim((r, c), (nd - 2, nd - 1))
    s = linalg_svdvals(moved)
    if how == "sum":
        res = s.sum(-1, keepdim=keepdim)
    else:
        res = getattr(s, how)(-1, keepdim=keepdim)
    if keepdim:
        res = res.unsqueeze(-1)
        # back to A's rank with size-1 dims at r and c
        res = res.movedim((nd - 2, nd - 1), (r, c))
    return res


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    check_tensor(A, "linalg_norm", "A")
    nd = A._data.ndim
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dims)}")
    else:
        dims = None
        if ord is not None and nd not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {nd}D.")
    if ord is None:
        return linalg_vector_norm(A, 2, dims, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dims is not None and len(dims) == 2) or (dims is None and nd == 2):
        return linalg_matrix_norm(A, ord, dims if dims is not None else (-2, -1), keepdim,
                                  dtype=dtype)
    return linalg_vector_norm(A, ord, dims, keepdim, dtype=dtype)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: a vector p-norm over dim (every element by default); 'fro' is the 2-norm,
    'nuc' the nuclear norm of a matrix (over two dims)."""
    if out is not None:
        return _write_out(norm(input, p, dim, keepdim, dtype=dtype), out,
                          "nuclear_norm" if p == "nuc" else "norm", input)
    if p == "nuc":
        check_tensor(input, "norm")
        d = input._data
        if d.dtype.kind not in "fcV":
            raise RuntimeError(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                f"Got {_word(d.dtype)}")
        dims = tuple(range(d.ndim)) if dim is None else (
            (dim,) if isinstance(dim, int) else tuple(dim))
        return linalg_matrix_norm(input, "nuc", dims, keepdim, dtype=dtype)
    return _vector_norm_op(input, p, dim, keepdim, dtype=dtype)


def linalg_matrix_rank(A, *args, atol=None, rtol=None, hermitian=False, tol=None):
    if args:  # PyTorch's older overload: matrix_rank(A, tol, hermitian=False)
        if len(args) > 2 or atol is not None or rtol is not None:
            got = ", ".join(["Tensor", *(_out._typename(a) for a in args)] +
                            [f"{k}={_out._typename(v)}" for k, v in
                             (("atol", atol), ("rtol", rtol)) if v is not None])
            raise TypeError(
                f"linalg_matrix_rank() received an invalid combination of arguments - got "
                f"({got}), but expected one of:\n * (Tensor input, *, Tensor atol = None, Tensor "
                "rtol = None, bool hermitian = False, Tensor out = None)\n * (Tensor input, *, "
                "float atol = None, float rtol = None, bool hermitian = False, Tensor out = None)"
                "\n * (Tensor input, Tensor tol, bool hermitian = False, *, Tensor out = None)\n"
                " * (Tensor input, float tol, bool hermitian = False, *, Tensor out = None)\n")
        tol, hermitian = args[0], args[1] if len(args) > 1 else hermitian
    check_tensor(A, "linalg_matrix_rank", "A")
    _no_complex(A, "linalg.matrix_rank")
    d = A._data
    if d.dtype.kind not in "fV" or d.dtype.itemsize < 4:
        raise RuntimeError("This function doesn't handle types other than float and double")
    _matrix_check(A, f"{_names.prefix}.linalg.matrix_rank", "input")
    if tol is not None:
        atol, rtol = tol, 0.0
    m, n = d.shape[-2:]
    if hermitian:
        s = np.sort(np.abs(np.linalg.eigvalsh(d)), axis=-1)[..., ::-1]
    else:
        s = _np_svd(d, compute_uv=False) if d.size else np.zeros((*d.shape[:-2], 0))
    cut = _cutoff(s, atol, rtol, m, n, d.dtype)
    return _make(np.sum(s > cut, axis=-1).astype(np.int64))


def linalg_cond(A, p=None):
    check_tensor(A, "linalg_cond", "A")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in (None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if not A._data.size:
        return _make(np.zeros(A._data.shape[:-2], A._data.dtype))
    if p is None or p in (2, -2):
        s = linalg_svdvals(A)
        k = s._data.shape[-1]
        first, last = s.narrow(-1, 0, 1), s.narrow(-1, k - 1, 1)  # as PyTorch's cond
        return (first / last if p != -2 else last / first).squeeze(-1)
    # a singular matrix's condition number is inf, as in PyTorch (its inverse filled with inf
    # there; ember fills zeros and sets the result, so the nuclear norm's SVD stays finite)
    inv, info = linalg_inv_ex(A)
    bad = info._data > 0
    if not bad.any():
        return linalg_matrix_norm(A, p) * linalg_matrix_norm(inv, p)
    inv = inv.masked_fill(_make(bad[..., None, None]), 0.0)
    cond = linalg_matrix_norm(A, p) * linalg_matrix_norm(inv, p)
    return cond.masked_fill(_make(bad), math.inf)


# -- geqrf and ormqr (Q kept as Householder reflectors, as LAPACK's geqrf and ormqr) -----------
_Geqrf = return_type("geqrf", ("a", "tau"))


def _geqrf_rule(grads, outs):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


_GeqrfNode = _node("GeqrfBackward0", _geqrf_rule, 2)
_GeqrfNode.jvp = staticmethod(unsupported("geqrf"))  # none in PyTorch


def _geqrf_np(d):
    """(a, tau) of LAPACK's geqrf for the batch ``d`` (..., m, n): R on and above the diagonal,
    the reflectors' vectors below it (NumPy's raw QR is geqrf, its result transposed)."""
    m, n = d.shape[-2:]
    k = min(m, n)
    if 0 in d.shape:
        return d.copy(), np.zeros((*d.shape[:-2], k), d.dtype)
    h, tau = np.linalg.qr(d, mode="raw")
    return np.swapaxes(h, -1, -2).astype(d.dtype), tau.astype(d.dtype, copy=False)


def geqrf(input):
    check_tensor(input, "geqrf", "input")
    if input._data.ndim < 2:
        raise RuntimeError(f"{_names.prefix}.geqrf: input must have at least 2 dimensions.")
    _not_impl_check(input, "geqrf_cpu", "geqrf")
    return _Geqrf(_record(_geqrf_np(input._data), _GeqrfNode, (input,)))


def _ormqr_apply(A, tau, C, left, transpose, mask):
    """op(Q) C (left) or C op(Q), Q = H_1 ... H_k with H_i = I - tau_i v_i v_i^T (v_i: column
    i of A below the diagonal, 1 on it). Works on arrays or tensors (``mask`` makes a 0/1
    vector of either kind)."""
    rows = np.arange(A.shape[-2])
    dtype = A.dtype if isinstance(A, np.ndarray) else A._data.dtype
    k = tau.shape[-1]
    # Q C applies H_k first; Q^T C applies H_1 first; C Q applies H_1 first
    order = range(k) if left == transpose else range(k - 1, -1, -1)
    for i in order:
        v = A[..., :, i] * mask((rows > i).astype(dtype)) + mask((rows == i).astype(dtype))
        t = tau[..., i:i + 1, None]
        if left:
            C = C - (v[..., :, None] * t) @ (v[..., None, :] @ C)
        else:
            C = C - ((C @ v[..., :, None]) * t) @ v[..., None, :]
    return C


def _ormqr_rule(grads, outs, A, tau, C, left, transpose):
    # the backward of the same reflections written in ember ops (grad mode is on under
    # create_graph, so the gradient stays differentiable)
    g = grads[0]
    if g is None:
        return None, None, None
    create = _grad_state.enabled
    ins = [x if create and x._requires_grad else x.detach().requires_grad_()
           for x in (A, tau, C)]
    with enable_grad():
        out = _ormqr_apply(*ins, left, transpose, _make)
    return _engine_grad(out, ins, g, create_graph=create, allow_unused=True)


_OrmqrNode = name_saved(_node("OrmqrBackward0", _ormqr_rule), self=0, input2=1, input3=2,
                        left=3, transpose=4, result=_output(0))
_OrmqrNode.jvp = staticmethod(unsupported("ormqr"))  # none in PyTorch


def ormqr(input, input2, input3, left=True, transpose=False):
    check_tensor(input, "ormqr", "input")
    check_tensor(input2, "ormqr", "input2", 2)
    check_tensor(input3, "ormqr", "input3", 3)
    op = f"{_names.prefix}.ormqr"
    a, t, c = input._data, input2._data, input3._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if c.ndim < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if c.shape[side] != a.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{side}] must be equal to input.shape[-2]")
    if t.ndim == 0 or t.shape[-1] != min(c.shape[side], a.shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    if t.ndim != a.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if c.ndim != a.ndim:
        raise RuntimeError(f"{op}: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {c.ndim} and input.ndim is "
                           f"equal to {a.ndim}")
    if t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(t.shape[:-1])}")
    if c.shape[:-2] != a.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of other to be equal to "
                           f"input.shape[:-2], but got {list(c.shape[:-2])}")
    for name, x in (("tau", t), ("other", c)):
        if x.dtype != a.dtype:
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but "
                               f"input has dtype{_word(a.dtype)} and {name} has dtype "
                               f"{_word(x.dtype)}")
    _not_impl_check(input, "ormqr_cpu", "ormqr")
    out = _ormqr_apply(a, t, c, left, transpose, lambda x: x)
    return _record((np.array(out, dtype=c.dtype),), _OrmqrNode, (input, input2, input3),
                   (input, input2, input3, left, transpose))[0]


# -- LDL (symmetric indefinite: Bunch-Kaufman pivoting, as LAPACK's sytrf and sytrs) ----------
_LdlFactor = return_type("linalg_ldl_factor", ("LD", "pivots"))
_LdlFactorEx = return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
_BK_ALPHA = (1 + math.sqrt(17)) / 8


def _sytf2(a):
    """LAPACK's sytf2 (uplo='L') on one matrix: (LD, 1-based pivots, info). The lower triangle
    of ``a`` is read; the factorization is kept as a symmetric matrix (its lower triangle is
    LAPACK's), so that its row and column swaps read the same elements as LAPACK's."""
    n = a.shape[0]
    low = np.tril(a)
    S = low + np.tril(a, -1).T
    piv = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        step = 1
        absakk = abs(S[k, k])
        if k + 1 < n:
            imax = k + 1 + int(np.argmax(np.abs(S[k + 1:, k])))
            colmax = abs(S[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or math.isnan(absakk):
            info = info or k + 1  # a zero column: D is singular; go on, as LAPACK does
            piv[k] = k + 1
            k += 1
            continue
        if absakk >= _BK_ALPHA * colmax:
            kp = k
        else:
            others = np.abs(S[imax, k:])
            others[imax - k] = -1
            rowmax = others.max()
            if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif abs(S[imax, imax]) >= _BK_ALPHA * rowmax:
                kp = imax
            else:
                kp, step = imax, 2
        kk = k + step - 1
        if kp != kk:  # swap rows and columns kk and kp of the trailing matrix
            idx = np.arange(k, n)
            idx[[kk - k, kp - k]] = idx[[kp - k, kk - k]]
            S[k:, k:] = S[np.ix_(idx, idx)]
        if step == 1:
            if k + 1 < n:
                d11 = 1 / S[k, k]
                x = S[k + 1:, k].copy()
                upd = np.tril(np.multiply.outer(x, -d11 * x))
                T = np.tril(S[k + 1:, k + 1:]) + upd
                S[k + 1:, k + 1:] = T + np.tril(T, -1).T
                S[k + 1:, k] = x * d11
                S[k, k + 1:] = S[k + 1:, k]
            piv[k] = kp + 1
        else:
            if k + 2 < n:
                d21 = S[k + 1, k]
                d11 = S[k + 1, k + 1] / d21
                d22 = S[k, k] / d21
                d21 = (1 / (d11 * d22 - 1)) / d21
                c0, c1 = S[k + 2:, k].copy(), S[k + 2:, k + 1].copy()
                wk = d21 * (d11 * c0 - c1)
                wkp1 = d21 * (d22 * c1 - c0)
                T = np.tril(S[k + 2:, k + 2:] - np.multiply.outer(c0, wk)
                            - np.multiply.outer(c1, wkp1))
                S[k + 2:, k + 2:] = T + np.tril(T, -1).T
                S[k + 2:, k], S[k + 2:, k + 1] = wk, wkp1
                S[k, k + 2:], S[k + 1, k + 2:] = wk, wkp1
            piv[k] = piv[k + 1] = -(kp + 1)
        k += step
    return np.tril(S), piv, info


def _ldl_np(d):
    batch = d.shape[:-2]
    n = d.shape[-1]
    flat = d.reshape(math.prod(batch), n, n)
    LD = np.empty_like(flat)
    piv = np.zeros((flat.shape[0], n), np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    for b in range(flat.shape[0]):
        LD[b], piv[b], info[b] = _sytf2(flat[b])
    return LD.reshape(d.shape), piv.reshape(*batch, n), info.reshape(batch)


def _ldl_factor(A, hermitian, op):
    check_tensor(A, op.replace(".", "_"), "A")
    op = f"{_names.prefix}.linalg.ldl_factor_ex"  # ldl_factor's checks name it too
    _square_check(A, op)
    _float_check(A, op, kernel="ldl_factor_kernel_cpu")
    LD, piv, info = (_make(x) for x in _ldl_np(A._data))
    if _fw_state.active and _fw.tangent_of(A) is not None:
        raise NotImplementedError("Trying to use forward AD with aten::linalg_ldl_factor_ex "
                                  "that does not support it.")
    if _grad_state.enabled and A._requires_grad:  # no derivative in PyTorch
        from .indexing import not_implemented

        not_implemented(LD, "linalg_ldl_factor_ex", (A,))
    return LD, piv, info


def _ldl_error(info, op):
    bad = _first_bad(info)
    if bad is not None:
        exc = RuntimeError(
            "false INTERNAL ASSERT FAILED at \"/__w/pytorch/pytorch/aten/src/ATen/native/"
            "BatchLinearAlgebra.cpp\":1642, please report a bug to PyTorch. "
            f"{_names.prefix}.{op}: Unknown error code: {bad[1]}.")
        note(exc, f"D[{bad[1] - 1}, {bad[1] - 1}] of the factorization is exactly zero: the "
                  "matrix is singular (PyTorch reports this as an internal error).")
        raise exc


def linalg_ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    LD, piv, info = _ldl_factor(A, hermitian, "linalg.ldl_factor_ex")
    if check_errors:
        _ldl_error(info._data, "linalg.ldl_factor_ex")
    return _LdlFactorEx((LD, piv, info))


def linalg_ldl_factor(A, *, hermitian=False):
    LD, piv, info = _ldl_factor(A, hermitian, "linalg.ldl_factor")
    _ldl_error(info._data, "linalg.ldl_factor")
    return _LdlFactor((LD, piv))


def _sytrs(ld, piv, b):
    """LAPACK's sytrs (uplo='L'): X with A X = B from A's factorization (LD, pivots)."""
    n = ld.shape[0]
    b = b.copy()

    def swap(i, j):
        if i != j:
            b[[i, j]] = b[[j, i]]

    k = 0  # L D y = b, L = P_1 L_1 P_2 L_2 ...
    while k < n:
        if piv[k] > 0:
            swap(k, piv[k] - 1)
            b[k + 1:] -= np.multiply.outer(ld[k + 1:, k], b[k])
            b[k] /= ld[k, k]
            k += 1
        else:
            swap(k + 1, -piv[k] - 1)
            b[k + 2:] -= np.multiply.outer(ld[k + 2:, k], b[k])
            b[k + 2:] -= np.multiply.outer(ld[k + 2:, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1 = ld[k, k] / akm1k
            ak = ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1  # L^T x = y
    while k >= 0:
        if piv[k] > 0:
            b[k] -= ld[k + 1:, k] @ b[k + 1:]
            swap(k, piv[k] - 1)
            k -= 1
        else:
            b[k] -= ld[k + 1:, k] @ b[k + 1:]
            b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
            swap(k, -piv[k] - 1)
            k -= 2
    return b


def linalg_ldl_solve(LD, pivots, B, *, hermitian=False):
    check_tensor(LD, "linalg_ldl_solve", "LD")
    check_tensor(pivots, "linalg_ldl_solve", "pivots", 2)
    check_tensor(B, "linalg_ldl_solve", "B", 3)
    op = f"{_names.prefix}.linalg.ldl_solve"
    _square_check(LD, op)
    _float_check(LD, op)
    ld, p, b = LD._data, pivots._data, B._data
    if p.shape != ld.shape[:-1]:
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(p.shape)} instead")
    if p.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got {_word(p.dtype)}")
    if b.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(b.ndim, 1)}"
                         f", {max(b.ndim, 1) - 1}], but got -2)")
    if b.dtype != ld.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_word(b.dtype)} and A of type {_word(ld.dtype)} instead.")
    n = ld.shape[-1]
    if b.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} "
                           f"but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    exc = broadcast_shapes_error(b.shape[:-2], ld.shape[:-2])
    if exc is not None:
        raise exc
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    count = math.prod(batch)
    ld = np.broadcast_to(ld, (*batch, n, n)).reshape(count, n, n)
    p = np.broadcast_to(p, (*batch, n)).reshape(count, n)
    bb = np.broadcast_to(b, (*batch, *b.shape[-2:])).reshape(count, *b.shape[-2:])
    x = np.empty(bb.shape, b.dtype)
    for i in range(x.shape[0]):
        x[i] = _sytrs(ld[i], p[i], bb[i])
    out = _make(x.reshape(*batch, *b.shape[-2:]))
    if _fw_state.active and any(_fw.tangent_of(t) is not None for t in (LD, B)):
        raise NotImplementedError("Trying to use forward AD with aten::linalg_ldl_solve that "
                                  "does not support it.")
    if _grad_state.enabled and (LD._requires_grad or B._requires_grad):
        from .indexing import not_implemented

        not_implemented(out, "linalg_ldl_solve", (LD, B))
    return out


# -- histogramdd ---------------------------------------------------------------------------------
_HistogramDD = return_type("histogramdd", ("hist", "bin_edges"))


def _num(x):
    """A double as PyTorch's messages print it (1, 0.5, inf, nan)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else f"{x:g}"


def _hist_edges(x, bins, range, dtype):
    """The bin edges of each of the N dimensions, as PyTorch makes them: given tensors, or
    ``bins[i] + 1`` equal-width edges between the range (or the data's min and max, widened by
    0.5 on each side when they are equal)."""
    op = f"{_names.prefix}.histogramdd"
    n = x.shape[-1]
    if isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor):
        if len(bins) != n:
            raise RuntimeError(f"{op}: expected {n} sequences of bin edges for a "
                               f"{n}-dimensional histogram but got {len(bins)}")
        edges = []
        for i, b in enumerate(bins):
            if not isinstance(b, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                                f"{type(b).__name__}")
            e = b._data
            if e.dtype != dtype:
                raise RuntimeError(f"{op}: input tensor and bins tensors should have the same "
                                   f"dtype, but got input with dtype {_cpp(dtype)} and bins for "
                                   f"dimension {i} with dtype {_cpp(e.dtype)}")
            if e.ndim != 1:
                raise RuntimeError(f"{op}: bins tensor should have one dimension, but got "
                                   f"{e.ndim} dimensions in the bins tensor for dimension {i}")
            if e.size == 0:
                raise RuntimeError(f"{op}: bins tensor should have at least 1 element, but got "
                                   f"0 elements in the bins tensor for dimension {i}")
            edges.append(e)
        for i, e in enumerate(edges):
            if e.size == 1:
                raise RuntimeError(f"{_names.prefix}.histogram(): bins must be > 0, but got 0 "
                                   f"for dimension {i}")
        return edges
    if isinstance(bins, Tensor):
        raise TypeError(
            "histogramdd() received an invalid combination of arguments - got (Tensor, Tensor), "
            "but expected one of:\n * (Tensor input, int bins, tuple of floats range = None, "
            "Tensor weight = None, bool density = False)\n * (Tensor input, tuple of ints bins, "
            "tuple of floats range = None, Tensor weight = None, bool density = False)\n * "
            "(Tensor input, tuple of Tensors bins, tuple of floats range = None, Tensor weight "
            "= None, bool density = False)\n")
    counts = [bins] * n if isinstance(bins, (int, np.integer)) else list(bins)
    for i, c in enumerate(counts):
        if not isinstance(c, (int, np.integer)) or isinstance(c, bool):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(c).__name__}")
    if len(counts) != n:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if range is not None:
        if len(range) != 2 * n:
            raise RuntimeError(f"{op}: for a {n}-dimensional histogram range should have "
                               f"{2 * n} elements, but got {len(range)}")
        lo, hi = [float(r) for r in range[0::2]], [float(r) for r in range[1::2]]
    elif x.shape[0]:
        lo, hi = x.min(0).astype(np.float64).tolist(), x.max(0).astype(np.float64).tolist()
    else:
        lo, hi = [0.0] * n, [1.0] * n
    edges = []
    for i, count in enumerate(counts):
        if lo[i] > hi[i]:
            raise RuntimeError(f"{op}: min should not exceed max, but got min {_num(lo[i])} max "
                               f"{_num(hi[i])} for dimension {i}")
        if not (math.isfinite(lo[i]) and math.isfinite(hi[i])):
            raise RuntimeError(f"{op}: dimension {i}'s range [{_num(lo[i])}, {_num(hi[i])}] "
                               "is not finite")
        if lo[i] == hi[i]:
            lo[i], hi[i] = lo[i] - 0.5, hi[i] + 0.5
        if count == 0:
            raise RuntimeError(f"{_names.prefix}.histogram(): bins must be > 0, but got 0 for "
                               f"dimension {i}")
        if count < -1:
            raise RuntimeError("number of steps must be non-negative")
        if count == -1:
            raise RuntimeError(f"{op}: bins tensor should have at least 1 element, but got 0 "
                               f"elements in the bins tensor for dimension {i}")
        edges.append(linspace(lo[i], hi[i], int(count) + 1, dtype=from_np[dtype])._data)
    return edges


def _cpp(dtype):
    return {"float32": "float", "float64": "double"}.get(np.dtype(dtype).name,
                                                          np.dtype(dtype).name)


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """The N-dimensional histogram of the points in the rows of ``input`` (..., N). PyTorch
    gives it no derivative: an input that requires grad gives NotImplemented nodes."""
    check_tensor(input, "histogramdd", "input")
    op = f"{_names.prefix}.histogramdd"
    d = input._data
    if d.ndim < 2:
        raise RuntimeError(f"{op}: input tensor should have at least 2 dimensions")
    n = d.shape[-1]
    x = d.reshape(-1, n)
    edges = _hist_edges(x, bins, range, d.dtype)
    w = None
    if weight is not None:
        w = weight._data
        if w.shape != d.shape[:-1]:
            raise RuntimeError(f"{op}: if weight tensor is provided it should have the same "
                               "shape as the input tensor excluding its innermost dimension, "
                               f"but got input with shape {list(d.shape)} and weight with shape "
                               f"{list(w.shape)}")
        if w.dtype != d.dtype:
            raise RuntimeError(f"{op}: if weight tensor is provided, input tensor and weight "
                               f"tensor should have the same dtype, but got input({_cpp(d.dtype)})"
                               f", and weight({_cpp(w.dtype)})")
        w = w.reshape(-1).astype(np.float64)
    if d.dtype.kind != "f" or d.dtype.itemsize < 4:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_word(d.dtype)}'")
    hist = _histdd_np(x.astype(np.float64), [e.astype(np.float64) for e in edges], w, density)
    inputs = (input, weight, *(bins if isinstance(bins, (list, tuple)) else ()))
    inputs = tuple(t for t in inputs if isinstance(t, Tensor))
    from .indexing import not_implemented  # no derivative in PyTorch

    given = isinstance(bins, (list, tuple)) and bool(bins) and isinstance(bins[0], Tensor)
    hist = _make(hist.astype(d.dtype))
    edges = [b if given else _make(np.array(e)) for b, e in zip(bins if given else edges, edges)]
    if _grad_state.enabled and any(t._requires_grad for t in inputs):
        # PyTorch's kernels: the counts from the edges, and the edges from the input and range
        not_implemented(hist, "_histogramdd_from_bin_tensors" if given else
                        "_histogramdd_from_bin_cts", inputs)
        if not given:
            edges = [not_implemented(e, "_histogramdd_bin_edges", inputs) for e in edges]
    return _HistogramDD((hist, tuple(edges)))


def _histdd_np(x, edges, w, density):
    """Counts (or summed weights) of the points in each bin: every bin holds its left edge,
    the last one its right edge too; points outside every bin count nowhere."""
    shape = tuple(max(len(e) - 1, 0) for e in edges)
    keep = np.ones(x.shape[0], bool)
    flat = np.zeros(x.shape[0], np.intp)
    for i, e in enumerate(edges):
        col = x[:, i]
        k = np.searchsorted(e, col, side="right") - 1
        k[col == e[-1]] = len(e) - 2  # the last bin is closed on the right
        keep &= (k >= 0) & (k < len(e) - 1) & (col >= e[0]) & (col <= e[-1])
        flat = flat * shape[i] + np.clip(k, 0, max(shape[i] - 1, 0))
    hist = np.bincount(flat[keep], None if w is None else w[keep],
                       minlength=math.prod(shape)).astype(np.float64).reshape(shape)
    if density:
        hist = hist / hist.sum()
        for i, e in enumerate(edges):
            size = [1] * len(shape)
            size[i] = -1
            hist = hist / np.diff(e).reshape(size)
    return hist


# -- randomized low-rank SVD and PCA (Halko, Martinsson and Tropp, 2009) ---------------------
def _floating(A):
    d = A._data.dtype
    return from_np[d] if d.kind in "fcV" else from_np[np.dtype(np.float32)]


def _approximate_basis(A, q, niter, M):
    """Q with orthonormal columns whose range approximates A's (M: a matrix subtracted from A),
    from one random Gaussian start of PyTorch's shape, drawn from the default generator."""
    R = random.randn(A.shape[-1], q, dtype=_floating(A))
    X = matmul(A, R)
    if M is not None:
        X = X - matmul(M, R)
    Q = linalg_qr(X).Q
    for _ in range(2 if niter is None else niter):
        X = matmul(A.mH, Q)
        if M is not None:
            X = X - matmul(M.mH, Q)
        Q = linalg_qr(X).Q
        X = matmul(A, Q)
        if M is not None:
            X = X - matmul(M, Q)
        Q = linalg_qr(X).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) of a rank-q approximation of A - M (randomized, from the default generator:
    the same seed gives PyTorch's result); differentiable through the ops it runs."""
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work on the tall form
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = matmul(Q.mH, A)
    if M is not None:
        B = B - matmul(Q.mH, M)
    U, S, Vh = linalg_svd(B, full_matrices=False)
    V = Vh.mH
    U = matmul(Q, U)
    if m < n:
        U, V = V, U
    return U, S, V


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the principal components of A's rows (centered unless center=False), by
    svd_lowrank."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter)
    return svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter=niter)


def _write_out(result, out, name, *inputs):
    """``out=`` for the functions that take it positionally (torch.lu, torch.norm)."""
    _out.check_grad(name, inputs, {}, out if isinstance(out, (tuple, list)) else (out,))
    return _out.write(result, out, name)


TENSOR_METHODS = {
    "inverse": inverse, "det": det, "logdet": logdet, "slogdet": slogdet, "svd": svd,
    "cholesky": cholesky, "cholesky_solve": cholesky_solve,
    "cholesky_inverse": cholesky_inverse, "qr": qr, "pinverse": pinverse,
    "matrix_power": matrix_power, "matrix_exp": matrix_exp, "lu": lu, "lu_solve": lu_solve,
    "norm": norm, "cross": cross, "orgqr": orgqr, "geqrf": geqrf, "ormqr": ormqr,
}
