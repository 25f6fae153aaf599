"""Parity tests for torch.lobpcg against PyTorch: eigenpairs (both methods, largest and
smallest, generalized problems, preconditioner, given start, batches, float32), the random
start from the default generator, the tracker's view of the iteration, the gradient for A (and
its second derivative), and the errors."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, same_error


def _spd(T, m=24, batch=(), dtype=None, seed=0):
    """A symmetric positive definite matrix (or batch), the same for both libraries."""
    dtype = dtype or T.float64
    T.manual_seed(seed)
    A = T.randn(*batch, m, m, dtype=dtype)
    return A @ A.mT + T.eye(m, dtype=dtype)


def _both(fn):
    """fn(T) for ember and for torch."""
    return fn(ember), fn(torch)


def _same_up_to_sign(e, t, atol=1e-8):
    """Eigenvector columns equal up to each column's sign."""
    e, t = e.detach().numpy(), t.detach().numpy()
    assert e.shape == t.shape
    dots = np.sign(np.sum(e * t, axis=-2, keepdims=True))
    np.testing.assert_allclose(e * dots, t, atol=atol)


@pytest.mark.parametrize("method", ["ortho", "basic"])
@pytest.mark.parametrize("largest", [True, False])
def test_eigenpairs_match_torch_and_eigh(method, largest):
    k = 3 if method == "ortho" else 2

    def run(T):
        A = _spd(T)
        T.manual_seed(1)  # the random start
        return T.lobpcg(A, k=k, largest=largest, method=method)

    (Ee, Xe), (Et, Xt) = _both(run)
    assert_same(Ee, Et, 1e-9, 1e-9)
    _same_up_to_sign(Xe, Xt)
    A = _spd(ember)
    w = ember.linalg.eigh(A).eigenvalues
    want = w.flip(0)[:k] if largest else w[:k]
    np.testing.assert_allclose(Ee.numpy(), want.numpy(), rtol=1e-9)
    # A X = X diag(E), with X orthonormal
    np.testing.assert_allclose((A @ Xe).numpy(), (Xe * Ee).numpy(), atol=1e-5)
    np.testing.assert_allclose((Xe.mT @ Xe).numpy(), np.eye(k), atol=1e-8)


def test_same_seed_same_result_and_the_random_start():
    ember.manual_seed(3)
    a = ember.lobpcg(_spd(ember), k=2)
    ember.manual_seed(3)
    b = ember.lobpcg(_spd(ember), k=2)
    assert_same(a[0], torch.from_numpy(b[0].numpy()), 0, 0)
    assert_same(a[1], torch.from_numpy(b[1].numpy()), 0, 0)
    # the start is randn((m, n)) from the default generator: the stream continues from there
    for T in (ember, torch):
        A = _spd(T)
        T.manual_seed(9)
        T.lobpcg(A, k=2, n=4)
        after = T.randn(3)
        T.manual_seed(9)
        T.randn(24, 4, dtype=T.float64)
        assert float((T.randn(3) - after).abs().max()) == 0


def test_default_k_n_and_float32():
    def run(T):
        A = _spd(T, dtype=T.float32)
        T.manual_seed(2)
        return T.lobpcg(A), T.lobpcg(A, k=2, n=5)

    (e1, e2), (t1, t2) = _both(run)
    assert_same(e1[0], t1[0], 1e-5, 1e-4)
    assert_same(e2[0], t2[0], 1e-5, 1e-4)
    assert e1[1].shape == (24, 1) and e2[1].shape == (24, 2)
    _same_up_to_sign(e2[1], t2[1], 1e-4)


def test_generalized_problem_with_start_and_preconditioner():
    def run(T):
        A, B = _spd(T), _spd(T, seed=7)
        X = T.randn(24, 3, dtype=T.float64)
        return (T.lobpcg(A, k=2, B=B, X=X.clone(), iK=T.linalg.inv(A), largest=False),
                T.lobpcg(A, B=B, X=X.clone(), method="basic"))

    (e1, e2), (t1, t2) = _both(run)
    assert_same(e1[0], t1[0], 1e-9, 1e-12)
    _same_up_to_sign(e1[1], t1[1])
    assert_same(e2[0], t2[0], 1e-9, 1e-9)  # k defaults to X's 3 columns
    _same_up_to_sign(e2[1], t2[1], 1e-6)
    # generalized eigenpairs: A x = lambda B x
    A, B = _spd(ember), _spd(ember, seed=7)
    E, X = e1
    np.testing.assert_allclose((A @ X).numpy(), (B @ X * E).numpy(), atol=1e-6)


def test_batches_draw_one_start_per_matrix():
    def run(T):
        A = _spd(T, 15, (2, 3))
        T.manual_seed(5)
        return T.lobpcg(A, k=2), T.lobpcg(A[:0], k=2)

    (e, e0), (t, t0) = _both(run)
    assert_same(e[0], t[0], 1e-9, 1e-9)
    _same_up_to_sign(e[1], t[1])
    assert e[1].shape == (2, 3, 15, 2)
    assert_same(e0[0], t0[0])
    assert_same(e0[1], t0[1])


def test_tracker_sees_the_same_iteration():
    def run(T, method):
        log = []

        def tracker(w):
            log.append((w.ivars["istep"], w.ivars["converged_count"], w.ivars["converged_end"],
                        sorted(w.fvars), tuple(w.X.shape), tuple(w.R.shape)))
            if w.ivars["istep"] == 6 and method == "basic":
                w.bvars["force_stop"] = True

        A = _spd(T)
        T.manual_seed(3)
        T.lobpcg(A, k=2, method=method, tracker=tracker, largest=False)
        return log

    for method in ("ortho", "basic"):
        e, t = run(ember, method), run(torch, method)
        assert e == t
    assert len(e) == 6  # the tracker stopped it
    seen = []
    ember.lobpcg(_spd(ember), k=1, tracker=lambda w: seen.append(
        (type(w).__name__, set(w.iparams), str(w).splitlines()[0])))
    assert seen[0] == ("LOBPCG", {"m", "n", "k", "niter", "ortho_i_max", "ortho_j_max"},
                       "LOBPCG:")


def test_niter_and_tol():
    def run(T):
        A = _spd(T)
        T.manual_seed(4)
        a = T.lobpcg(A, k=2, niter=3)
        b = T.lobpcg(A, k=2, tol=1e-3, largest=False)
        return a, b

    (a, b), (ta, tb) = _both(run)
    assert_same(a[0], ta[0], 1e-9, 1e-9)
    assert_same(b[0], tb[0], 1e-9, 1e-9)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_gradient_for_A(largest, k):
    def run(T):
        A = _spd(T, 12).requires_grad_()
        T.manual_seed(4)
        E, X = T.lobpcg(A, k=k, largest=largest)
        W = T.arange(12 * k, dtype=T.float64).reshape(12, k)
        (E.pow(2).sum() + (X * X * W).sum()).backward()  # X enters up to its signs
        return A.grad, E.grad_fn

    (ge, fe), (gt, ft) = _both(run)
    assert_same(ge, gt, 1e-7, 1e-9)
    assert type(fe).__name__ == type(ft).__name__ == "LOBPCGAutogradFunctionBackward"


def test_gradient_is_symmetrized_and_checks_out():
    ember.manual_seed(0)
    A = ember.randn(6, 6, dtype=ember.float64)
    A = (A @ A.mT + ember.eye(6, dtype=ember.float64)).requires_grad_()
    X0 = ember.randn(6, 2, dtype=ember.float64)
    E, X = ember.lobpcg(A, k=2, X=X0)
    (g,) = ember.autograd.grad(E.sum(), A)
    np.testing.assert_allclose(g.numpy(), g.numpy().T, atol=1e-12)

    def eigvals(A):
        return ember.lobpcg(A, k=2, X=X0, tol=1e-12, niter=-1)[0]

    assert gradcheck(eigvals, (A,))
    assert gradgradcheck(eigvals, (A,))


def test_second_derivative_matches_torch():
    def run(T):
        A = _spd(T, 12).requires_grad_()
        X0 = T.randn(12, 3, dtype=T.float64)
        E, X = T.lobpcg(A, k=3, X=X0, largest=False)
        W = T.arange(36, dtype=T.float64).reshape(12, 3)
        (g,) = T.autograd.grad(E.pow(2).sum() + (X * X * W).sum(), A, create_graph=True)
        (gg,) = T.autograd.grad(g.pow(2).sum(), A)
        return g, gg

    e, t = _both(run)
    assert_same(e[0], t[0], 1e-7, 1e-9)
    assert_same(e[1], t[1], 1e-7, 1e-8)


def test_batched_gradient():
    def run(T):
        A = _spd(T, 12, (2,)).requires_grad_()
        T.manual_seed(6)
        E, X = T.lobpcg(A, k=2)
        E.sum().backward()
        return A.grad

    assert_same(*_both(run), 1e-7, 1e-9)


def test_errors():
    def pair(fn):
        return same_error(lambda: fn(ember), lambda: fn(torch))

    pair(lambda T: T.lobpcg(_spd(T, 12), k=5))
    pair(lambda T: T.lobpcg(_spd(T, 12), X=T.randn(12, 5, dtype=T.float64)))
    pair(lambda T: T.lobpcg(_spd(T, 12)[:, :11]))
    pair(lambda T: T.lobpcg(_spd(T, 12), B=T.eye(11)))
    pair(lambda T: T.lobpcg(_spd(T, 12), X=T.randn(11, 2, dtype=T.float64)))
    pair(lambda T: T.lobpcg(_spd(T, 12, (2,)), X=T.randn(2, 11, 2, dtype=T.float64)))
    pair(lambda T: T.lobpcg(_spd(T, 12).half()))
    pair(lambda T: T.lobpcg(_spd(T, 12).long()))
    pair(lambda T: T.lobpcg(_spd(T, 12).float(), X=T.randn(12, 2, dtype=T.float64)))
    pair(lambda T: T.lobpcg(T.randn(12)))
    pair(lambda T: T.lobpcg(_spd(T, 12), k=0))
    # no gradient for B
    pair(lambda T: T.lobpcg(_spd(T, 12).requires_grad_(), k=2,
                            B=T.eye(12, dtype=T.float64))[0].sum().backward())
    pair(lambda T: T.lobpcg(_spd(T, 12), k=2, B=T.eye(12, dtype=T.float64).requires_grad_())[0]
         .sum().backward())


def test_public_name():
    assert ember.lobpcg.__name__ == "lobpcg"
    assert "lobpcg" in dir(ember)
