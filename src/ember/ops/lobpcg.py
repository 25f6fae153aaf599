"""torch.lobpcg: the k largest (or smallest) eigenpairs of a symmetric (generalized) eigenvalue
problem A x = lambda B x by the Locally Optimal Block Preconditioned Conjugate Gradient method.

Two variants, as ``method`` picks them: "basic" (Knyazev, 2001) and "ortho", which keeps the
search basis B-orthonormal (Stathopoulos and Wu, 2002; Duersch et al., 2018). The iteration is
written with ember's ops on Tensors, so a tracker sees the worker's state (``LOBPCG``: A, B, iK,
X, E, R, S and the parameter and variable dictionaries) as PyTorch's does. The random start is
``randn((m, n))`` from the default generator, once per matrix of a batch, so one seed gives
PyTorch's start.

When A (or B) requires grad the problem is symmetrized, (A + A^T) / 2, and solved inside one
custom Function (``LOBPCGAutogradFunction``); its backward is the gradient of a symmetric
eigendecomposition restricted to the k eigenpairs found: the part in their span, plus the
solution of a Sylvester equation in the orthogonal complement (Hu and Cheng, 2006), written
with the ops so that it is itself differentiable. Gradients for B are refused, as in PyTorch.
"""

import math

from .._dtype import float16, float32, float64
from ..autograd.function import Function
from . import random
from .creation import eye, ones_like, zeros, zeros_like
from .decomposition import (
    cholesky_solve,
    linalg_cholesky,
    linalg_eigh,
    linalg_qr,
    linalg_solve_triangular,
    norm,
)
from .elementwise import where
from .linalg import matmul
from .shape import cat, flip

__all__ = ["lobpcg"]

TENSOR_METHODS = {}

# the machine epsilons that the default tolerance (eps ** 0.5) is computed from; float16 has
# none (PyTorch's lookup fails with a KeyError)
_FEPS = {float32: 1.2e-07, float64: 2.23e-16}


# -- small helpers: B or iK may be None (the identity) ------------------------------------------
def _apply(M, X):
    """M @ X, with None standing for the identity."""
    return X if M is None else matmul(M, X)


def _qform(M, S):
    """S^T M S."""
    return matmul(S.mT, _apply(M, S))


def _symeig(M, largest=False):
    """Eigenpairs of the symmetric M (its upper triangle), ascending, or descending if largest."""
    E, Z = linalg_eigh(M, UPLO="U")
    if largest:
        E, Z = flip(E, (-1,)), flip(Z, (-1,))
    return E, Z


def _floating_dtype(A):
    """The dtype the iteration runs in: A's when it is float16/32/64, float32 otherwise."""
    return A.dtype if A.dtype in (float16, float32, float64) else float32


class LOBPCG:
    """The state of one LOBPCG run (what a tracker sees): the inputs ``A``, ``B``, ``iK``; the
    iterates ``X`` (eigenvectors), ``E`` (eigenvalues), ``R`` (residual) and ``S`` (search
    basis); the parameters ``iparams``, ``fparams``, ``bparams`` and the variables ``ivars``,
    ``fvars``, ``bvars``, ``tvars`` (a tracker may set ``bvars["force_stop"] = True``)."""

    def __init__(self, A, B, X, iK, iparams, fparams, bparams, method, tracker):
        self.A, self.B, self.iK = A, B, iK
        self.iparams, self.fparams, self.bparams = iparams, fparams, bparams
        self.method = method
        self.tracker = tracker
        m, n = iparams["m"], iparams["n"]
        self.X = X
        self.E = zeros((n,), dtype=X.dtype)
        self.R = zeros((m, n), dtype=X.dtype)
        self.S = zeros((m, 3 * n), dtype=X.dtype)
        self.tvars = {}
        self.ivars = {"istep": 0}
        self.fvars = {"_": 0.0}
        self.bvars = {"_": False}

    def __str__(self):
        parts = ("iparams", "fparams", "bparams", "ivars", "fvars", "bvars", "tvars",
                 "A", "B", "iK", "X", "E")
        return "".join(["LOBPCG:\n"] + [f"  {p}={getattr(self, p)}\n" for p in parts])

    # -- the iteration ----------------------------------------------------------------------
    def run(self):
        """One step, then steps until k pairs have converged, the tracker asks to stop or the
        iterations run out (niter steps; a negative niter never runs out)."""
        self.update()
        self.call_tracker()
        while not self.stop_iteration():
            self.update()
            self.call_tracker()

    def call_tracker(self):
        if self.tracker is not None:
            self.tracker(self)

    def stop_iteration(self):
        return (self.bvars.get("force_stop", False) or self.ivars["iterations_left"] == 0
                or self.ivars["converged_count"] >= self.iparams["k"])

    def update(self):
        """One step of the iteration (the first one also measures A and B along X)."""
        iv = self.ivars
        if iv["istep"] == 0:
            x_norm = float(norm(self.X))
            inv = x_norm ** -1  # an empty X: ZeroDivisionError, as in PyTorch
            self.fvars["X_norm"] = x_norm
            self.fvars["A_norm"] = float(norm(_apply(self.A, self.X))) * inv
            self.fvars["B_norm"] = float(norm(_apply(self.B, self.X))) * inv
            iv["iterations_left"] = self.iparams["niter"]
            iv["converged_count"] = 0
            iv["converged_end"] = 0
        if self.method == "ortho":
            self._step_ortho()
        else:
            self._step_basic()
        iv["iterations_left"] -= 1
        iv["istep"] += 1

    def update_residual(self):
        """R = A X - B X E."""
        self.R = _apply(self.A, self.X) - _apply(self.B, self.X) * self.E

    def update_converged_count(self):
        """The number of leading eigenpairs whose backward-stable relative residual is under
        tol (Duersch et al., 2018, section 4.3); it never decreases."""
        before = self.ivars["converged_count"]
        E, X, R = self.E, self.X, self.R
        scale = self.fvars["A_norm"] + E[:X.shape[-1]].abs() * self.fvars["B_norm"]
        rerr = norm(R, 2, (0,)) / (norm(X, 2, (0,)) * scale)
        count = 0
        for ok in (rerr < self.fparams["tol"]).tolist():
            if not ok:
                break  # the pairs stay in order: a later converged pair waits for this one
            count += 1
        if count < before:
            raise AssertionError(f"the number of converged eigenpairs (was {before}, got "
                                 f"{count}) cannot decrease")
        self.ivars["converged_count"] = count
        self.tvars["rerr"] = rerr
        return count

    def _extend(self, start, W):
        """Put W into the search basis from column ``start`` on; note where the basis ends."""
        end = self.ivars["converged_end"] = start + W.shape[-1]
        self.S[:, start:end] = W

    def _step_basic(self):
        n, largest = self.iparams["n"], self.bparams["largest"]
        nc, ns = self.ivars["converged_count"], self.ivars["converged_end"]
        if self.ivars["istep"] == 0:
            Ri = self._rayleigh_ritz(self.X)
            E, Z = _symeig(_qform(_qform(self.A, self.X), Ri), largest)
            self.X[:] = matmul(self.X, matmul(Ri, Z))
            self.E[:] = E
            npp = 0
            self.update_residual()
            self.update_converged_count()
            self.S[..., :n] = self.X
            self._extend(n + npp, _apply(self.iK, self.R))
            return
        S_ = self.S[:, nc:ns]
        Ri = self._rayleigh_ritz(S_)
        E_, Z = _symeig(_qform(_qform(self.A, S_), Ri), largest)
        self.X[:, nc:] = matmul(S_, matmul(Ri, Z[:, :n - nc]))
        self.E[nc:] = E_[:n - nc]
        P = matmul(S_, matmul(Ri, Z[:, n:2 * n - nc]))
        npp = P.shape[-1]
        self.update_residual()
        nc = self.update_converged_count()
        self.S[..., :n] = self.X
        self.S[:, n:n + npp] = P
        self._extend(n + npp, _apply(self.iK, self.R[:, nc:]))

    def _step_ortho(self):
        n, largest = self.iparams["n"], self.bparams["largest"]
        nc, ns = self.ivars["converged_count"], self.ivars["converged_end"]
        if self.ivars["istep"] == 0:
            # the first Ritz vectors; E stays zero until the next step, so R starts as A X
            Ri = self._rayleigh_ritz(self.X)
            _, Z = _symeig(_qform(_qform(self.A, self.X), Ri), largest)
            self.X = matmul(self.X, matmul(Ri, Z))
            self.update_residual()
            self.update_converged_count()
            self.S[:, :n] = self.X
            self._extend(n, self._ortho(self.R, self.X))
            return
        S_ = self.S[:, nc:ns]
        E_, Z = _symeig(_qform(self.A, S_), largest)  # S_ is B-orthonormal
        self.X[:, nc:] = matmul(S_, Z[:, :n - nc])
        self.E[nc:] = E_[:n - nc]
        # the new search directions: the rest of the Ritz space, made orthogonal to X's part
        P = matmul(S_, matmul(Z[:, n - nc:], linalg_qr(Z[:n - nc, n - nc:].mT).Q))
        npp = P.shape[-1]
        self.update_residual()
        nc = self.update_converged_count()
        self.S[:, :n] = self.X
        self.S[:, n:n + npp] = P
        self._extend(n + npp, self._ortho(self.R[:, nc:], self.S[:, :n + npp]))

    # -- the linear algebra of a step -------------------------------------------------------
    def _rayleigh_ritz(self, S):
        """Ri, upper triangular, such that Ri^T S^T B S Ri = I: with d = diag(S^T B S)^-1/2
        and R^T R the Cholesky factorization of d (S^T B S) d, Ri = R^-1 diag(d)."""
        SBS = _qform(self.B, S)
        d = SBS.diagonal(0, -2, -1) ** -0.5
        R = linalg_cholesky(SBS * d * d.reshape(d.shape[0], 1), upper=True)
        return linalg_solve_triangular(R, d.diag_embed(), upper=True, left=False)

    def _svqb(self, U, drop, tau):
        """U's columns made B-orthonormal by an eigendecomposition of their Gram matrix (the
        directions under tau times the largest eigenvalue dropped if ``drop``, otherwise lifted
        to that floor); exactly zero columns are dropped first."""
        if U.numel() == 0:
            return U
        UBU = _qform(self.B, U)
        d = UBU.diagonal(0, -2, -1)
        nonzero = where(d.abs() != 0.0)[0]
        if len(nonzero) < len(d):
            U = U[:, nonzero]
            if U.numel() == 0:
                return U
            UBU = _qform(self.B, U)
            d = UBU.diagonal(0, -2, -1)
        d_col = (d ** -0.5).reshape(d.shape[0], 1)
        E, Z = _symeig(UBU * d_col * d_col.mT)
        floor = tau * E.abs().max()
        if drop:
            keep = where(E > floor)[0]
            E, Z, d_col = E[keep], Z[:, keep], d_col[keep]
        else:
            E[where(E < floor)[0]] = floor
        return matmul(U * d_col.mT, Z * E ** -0.5)

    def _ortho(self, U, V):
        """U's columns made B-orthonormal and B-orthogonal to V's (Duersch's algorithms 3, or 6
        when ``bparams["ortho_use_drop"]``), repeating the projection and the orthonormalization
        until their errors fall under ``fparams["ortho_tol"]``; empty if U lies in V's span."""
        ip, fp = self.iparams, self.fparams
        tol, tol_drop, tol_replace = fp["ortho_tol"], fp["ortho_tol_drop"], fp["ortho_tol_replace"]
        use_drop = self.bparams["ortho_use_drop"]
        for key in [key for key in self.fvars if key.startswith("ortho_")
                    and key.endswith("_rerr")]:
            del self.fvars[key]
        self.ivars.pop("ortho_i", 0)
        self.ivars.pop("ortho_j", 0)
        BV_norm = norm(_apply(self.B, V))
        BU = _apply(self.B, U)
        VBU = matmul(V.mT, BU)
        i = j = 0
        for i in range(ip["ortho_i_max"]):
            U = U - matmul(V, VBU)
            drop, tau = False, tol_drop
            for j in range(ip["ortho_j_max"]):
                if use_drop:
                    U = self._svqb(U, drop, tau)
                    drop, tau = True, tol_replace
                else:
                    U = self._svqb(U, False, tol_replace)
                if U.numel() == 0:
                    self.ivars["ortho_i"], self.ivars["ortho_j"] = i, j
                    return U
                BU = _apply(self.B, U)
                UBU = matmul(U.mT, BU)
                off = norm(UBU - eye(UBU.shape[-1], dtype=UBU.dtype))
                rerr = float(off) * float(norm(BU) * norm(U)) ** -1
                self.fvars[f"ortho_UBUmI_rerr[{i}, {j}]"] = rerr
                if rerr < tol:
                    break
            VBU = matmul(V.mT, BU)
            rerr = float(norm(VBU)) * float(BV_norm * norm(U)) ** -1
            self.fvars[f"ortho_VBU_rerr[{i}]"] = rerr
            if rerr < tol:
                break
            if ip["m"] < U.shape[-1] + V.shape[-1]:
                if self.B is None:
                    raise AssertionError("B must not be None")
                raise ValueError(f"Overdetermined shape of U: #B-cols(={self.B.shape[-1]}) >= "
                                 f"#U-cols(={U.shape[-1]}) + #V-cols(={V.shape[-1]}) must hold")
        self.ivars["ortho_i"], self.ivars["ortho_j"] = i, j
        return U


# -- the driver -------------------------------------------------------------------------------
def _lobpcg(A, k, B, X, n, iK, niter, tol, largest, method, tracker, ortho_iparams,
            ortho_fparams, ortho_bparams):
    if A.shape[-2] != A.shape[-1]:
        raise AssertionError(f"A must be square, got shape {A.shape}")
    if B is not None and A.shape != B.shape:
        raise AssertionError(f"A and B must have same shape, got {A.shape} vs {B.shape}")
    dtype = _floating_dtype(A)
    if tol is None:
        tol = _FEPS[dtype] ** 0.5
    m = A.shape[-1]
    if k is None:
        k = 1 if X is None else X.shape[-1]
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) "
                         f"is smaller than 3 x the number of requested eigenpairs (={n})")
    method = "ortho" if method is None else method
    iparams = {"m": m, "n": n, "k": k, "niter": 1000 if niter is None else niter}
    fparams = {"tol": tol}
    bparams = {"largest": True if largest is None else largest}
    if method == "ortho":
        iparams.update(ortho_iparams or {})
        fparams.update(ortho_fparams or {})
        bparams.update(ortho_bparams or {})
        iparams.setdefault("ortho_i_max", 3)
        iparams.setdefault("ortho_j_max", 3)
        for key in ("ortho_tol", "ortho_tol_drop", "ortho_tol_replace"):
            fparams.setdefault(key, tol)
        bparams.setdefault("ortho_use_drop", False)

    def solve(A_, B_, X_, what="X"):
        if X_ is None:
            X_ = random.randn((m, n), dtype=dtype)
        if not (X_.ndim == 2 and tuple(X_.shape) == (m, n)):
            raise AssertionError(f"{what} shape mismatch: got {X_.shape}, expected {(m, n)}")
        worker = LOBPCG(A_, B_, X_, iK, iparams, fparams, bparams, method, tracker)
        worker.run()
        return worker.E[:k], worker.X[:, :k]

    if A.ndim == 2:
        return solve(A, B, X)
    # a batch: one problem (and one random start) after another
    batch = A.shape[:-2]
    N = math.prod(batch)
    bA = A.reshape((N, m, m))
    bB = None if B is None else B.reshape((N, m, m))
    bX = None if X is None else X.reshape((N,) + tuple(X.shape[-2:]))
    Es, Xs = [zeros((0, k), dtype=dtype)], [zeros((0, m, k), dtype=dtype)]
    for i in range(N):
        iparams["batch_index"] = i
        E_i, X_i = solve(bA[i], None if bB is None else bB[i],
                         None if bX is None else bX[i], "X_")
        Es.append(E_i.reshape(1, -1).to(dtype))
        Xs.append(X_i.reshape(1, m, -1).to(dtype))
    return cat(Es).reshape(tuple(batch) + (k,)), cat(Xs).reshape(tuple(batch) + (m, k))


class LOBPCGAutogradFunction(Function):
    """lobpcg as one node: the forward solves the (symmetrized) problem, the backward gives
    A's gradient (B's is refused)."""

    @staticmethod
    def forward(ctx, A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None,
                largest=None, method=None, tracker=None, ortho_iparams=None,
                ortho_fparams=None, ortho_bparams=None):
        A = A.contiguous()
        B = None if B is None else B.contiguous()
        D, U = _lobpcg(A, k, B, X, n, iK, niter, tol, largest, method, tracker,
                       ortho_iparams, ortho_fparams, ortho_bparams)
        ctx.save_for_backward(A, B, D, U)
        ctx.largest = largest
        return D, U

    @staticmethod
    def backward(ctx, D_grad, U_grad):
        A, B, D, U = ctx.saved_tensors
        if A.is_complex() or (B is not None and B.is_complex()):
            raise ValueError("lobpcg.backward does not support complex input yet. "
                             "Note that lobpcg.forward does though.")
        if B is not None:
            raise ValueError("lobpcg.backward does not support backward with B != I yet.")
        largest = True if ctx.largest is None else ctx.largest
        grads = [None] * 14
        grads[0] = _eigh_backward(D_grad, U_grad, A, D, U, largest)
        return tuple(grads)


def _eigh_backward(D_grad, U_grad, A, D, U, largest):
    """A's gradient from the eigenpairs (D, U) found: all of them, or k of m."""
    if U.shape[-1] == U.shape[-2]:
        return _eigh_backward_complete(D_grad, U_grad, D, U)
    return _eigh_backward_partial(D_grad, U_grad, A, D, U, largest)


def _eigh_backward_complete(D_grad, U_grad, D, U):
    """U (diag(D_grad) + (U^T U_grad) o F) U^T, F_ij = 1 / (d_j - d_i) off the diagonal."""
    gaps = D.unsqueeze(-2) - D.unsqueeze(-1)
    on_diag = eye(D.shape[-1], dtype=D.dtype) != 0
    F = where(on_diag, float("inf"), gaps).reciprocal()
    Ut = U.mT
    inner = D_grad.diag_embed() + matmul(Ut, U_grad) * F
    return matmul(U, matmul(inner, Ut))


def _char_poly(roots):
    """The coefficients (a_0, ..., a_{k-1}, 1) of prod_i (x - r_i), lowest power first."""
    c = ones_like(roots[..., :1])
    nothing = zeros_like(c)
    for i in range(roots.shape[-1]):
        c = cat([nothing, c], -1) - roots[..., i:i + 1] * cat([c, nothing], -1)
    return c


def _poly_at_vector(c, x):
    """sum_j c_j x^j (elementwise in x) by Horner's rule; c's last coefficient is 1."""
    acc = ones_like(x)
    for j in range(c.shape[-1] - 2, -1, -1):
        acc = c[..., j:j + 1] + x * acc
    return acc


def _poly_at_matrix(c, M):
    """sum_j c_j M^j by Horner's rule; c's last coefficient is 1."""
    size = M.shape[-1]
    ident = eye(size, dtype=M.dtype)
    acc = ident
    for j in range(c.shape[-1] - 2, -1, -1):
        acc = matmul(M, acc) + c[..., j, None, None] * ident
    return acc


def _eigh_backward_partial(D_grad, U_grad, A, D, U, largest):
    """The gradient when U spans k < m eigenvectors: the complete-eigenspace formula in span(U),
    plus, in its orthogonal complement (a basis from a fixed-seed random draw projected off U),
    the solution of the Sylvester equation U_o^T A U_o dX - dX D = -U_o^T dA U, solved with
    the characteristic polynomial p of D: p(U_o^T A U_o) is (plus or minus) positive definite,
    and the polynomial solution needs only products with A."""
    m, k = A.shape[-1], D.shape[-1]
    Ut = U.mT
    proj = eye(m, dtype=A.dtype) - matmul(U, Ut)
    gen = random.Generator("cpu")
    draw = random.randn((*A.shape[:-1], m - k), dtype=A.dtype, generator=gen)
    U_o = matmul(proj, draw)
    U_o_t = U_o.mT
    c = _char_poly(D)
    # sum over j of p_j(D)-weighted A^(j-1) U_grad, p_j the tail c_j + c_{j+1} x + ...
    acc = zeros_like(U_grad)
    AjG = U_grad
    for j in range(1, c.shape[-1]):
        acc = acc + AjG * _poly_at_vector(c[..., j:], D).unsqueeze(-2)
        AjG = matmul(A, AjG)
    p_A = matmul(U_o_t, matmul(_poly_at_matrix(c, A), U_o))
    sign = -1 if (largest and k % 2 == 1) else 1
    L = linalg_cholesky(sign * p_A)
    res = _eigh_backward_complete(D_grad, U_grad, D, U)
    return res - matmul(matmul(U_o, sign * cholesky_solve(matmul(U_o_t, acc), L)), Ut)


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None,
           method=None, tracker=None, ortho_iparams=None, ortho_fparams=None,
           ortho_bparams=None):
    """The k largest (or smallest, largest=False) eigenvalues E (..., k) and eigenvectors X
    (..., m, k) of the symmetric positive definite problem A x = lambda B x (B the identity
    when None), from the start X (m, n) or a random one of n >= k columns, preconditioned by
    iK; method "ortho" (the default) or "basic"; tracker(worker) after every step.
    Differentiable in A (symmetrized first); not in B."""
    if A.requires_grad or (B is not None and B.requires_grad):
        A_sym = (A + A.mT) / 2
        B_sym = None if B is None else (B + B.mT) / 2
        return LOBPCGAutogradFunction.apply(A_sym, k, B_sym, X, n, iK, niter, tol, largest,
                                            method, tracker, ortho_iparams, ortho_fparams,
                                            ortho_bparams)
    return _lobpcg(A, k, B, X, n, iK, niter, tol, largest, method, tracker, ortho_iparams,
                   ortho_fparams, ortho_bparams)
