"""geqrf, ormqr, linalg.ldl_factor(_ex)/ldl_solve, svd_lowrank, pca_lowrank, lobpcg,
histogramdd, binomial and poisson against PyTorch: values, return types, errors and how each
meets autograd. ormqr's gradients (gradcheck, gradgradcheck, forward AD) are in tests/opinfo.py."""

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, same_error


def pair(a, dtype="float64", grad=False):
    a = np.asarray(a)
    e = ember.tensor(a, dtype=getattr(ember, dtype))
    t = torch.tensor(a, dtype=getattr(torch, dtype))
    if grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- geqrf and ormqr ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 4), (3, 0), (2, 0, 3), (1, 1)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_geqrf_matches_lapack(shape, dtype):
    e, t = pair(rand(*shape), dtype)
    r_e, r_t = ember.geqrf(e), torch.geqrf(t)
    tol = 1e-10 if dtype == "float64" else 1e-4
    assert_same(r_e, r_t, rtol=tol, atol=tol)
    assert type(r_e).__name__ == "geqrf" and r_e._fields == ("a", "tau")
    assert_same(e.geqrf(), r_t, rtol=tol, atol=tol)


def test_geqrf_with_householder_product_gives_q():
    e, _ = pair(rand(5, 3))
    a, tau = ember.geqrf(e)
    q = ember.linalg.householder_product(a, tau)
    np.testing.assert_allclose((q @ a.triu()[:3]).numpy(), e.numpy(), atol=1e-12)


def test_geqrf_has_no_derivative():
    e, t = pair(rand(3, 3), grad=True)
    a_e, tau_e = ember.geqrf(e)
    a_t, _ = torch.geqrf(t)
    assert a_e.requires_grad and tau_e.requires_grad
    assert a_e.grad_fn.name() == a_t.grad_fn.name() == "GeqrfBackward0"
    same_error(lambda: tau_e.sum().backward(), lambda: torch.geqrf(t)[1].sum().backward())


def test_geqrf_has_no_forward_rule():
    e, t = pair(rand(3, 3))

    def run(lib, x):
        with lib.autograd.forward_ad.dual_level():
            lib.geqrf(lib.autograd.forward_ad.make_dual(x, lib.ones_like(x)))

    same_error(lambda: run(ember, e), lambda: run(torch, t))


@pytest.mark.parametrize("args", [
    ((3,),), ((3, 3), "int32"), ((3, 3), "float16")])
def test_geqrf_errors(args):
    e, t = pair(rand(*args[0]), *args[1:])
    same_error(lambda: ember.geqrf(e), lambda: torch.geqrf(t))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 4)])
def test_ormqr_multiplies_by_q(shape, left, transpose):
    e, t = pair(rand(*shape))
    a_e, tau_e = ember.geqrf(e)
    a_t, tau_t = torch.geqrf(t)
    m = shape[-2]
    c_e, c_t = pair(rand(*shape[:-2], *((m, 2) if left else (2, m)), seed=1))
    r_t = torch.ormqr(a_t, tau_t, c_t, left, transpose)
    assert_same(ember.ormqr(a_e, tau_e, c_e, left, transpose), r_t, rtol=1e-10, atol=1e-12)
    assert_same(a_e.ormqr(tau_e, c_e, left=left, transpose=transpose), r_t, rtol=1e-10,
                atol=1e-12)


def test_ormqr_is_q_times_c():
    e, _ = pair(rand(4, 4))
    a, tau = ember.geqrf(e)
    q = ember.linalg.householder_product(a, tau)
    c, _ = pair(rand(4, 3, seed=2))
    np.testing.assert_allclose(ember.ormqr(a, tau, c).numpy(), (q @ c).numpy(), atol=1e-12)
    np.testing.assert_allclose(ember.ormqr(a, tau, c, transpose=True).numpy(),
                               (q.mT @ c).numpy(), atol=1e-12)


def test_ormqr_grad_fn_and_grads():
    a_e, a_t = pair(rand(4, 3), grad=True)
    tau_e, tau_t = pair(rand(3, seed=1), grad=True)
    c_e, c_t = pair(rand(4, 2, seed=2), grad=True)
    r_e, r_t = ember.ormqr(a_e, tau_e, c_e), torch.ormqr(a_t, tau_t, c_t)
    assert r_e.grad_fn.name() == r_t.grad_fn.name() == "OrmqrBackward0"
    (r_e * r_e).sum().backward()
    (r_t * r_t).sum().backward()
    for x, y in ((a_e, a_t), (tau_e, tau_t), (c_e, c_t)):
        assert_same(x.grad, y.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", [
    ((4, 3), (3,), (5, 2), {}), ((4, 3), (3,), (2, 5), {"left": False}),
    ((4, 3), (2,), (4, 2), {}), ((4, 3), (2,), (2, 4), {"left": False}),
    ((4,), (3,), (4, 2), {}), ((4, 3), (3,), (4,), {}),
    ((2, 4, 3), (3,), (2, 4, 2), {}), ((2, 4, 3), (2, 3), (4, 2), {}),
    ((2, 4, 3), (3, 3), (2, 4, 2), {}), ((2, 4, 3), (2, 3), (3, 4, 2), {}),
    ((4, 3), (2, 3), (4, 2), {}),
])
def test_ormqr_shape_errors(case):
    sa, st, sc, kw = case
    (a_e, a_t), (t_e, t_t), (c_e, c_t) = pair(rand(*sa)), pair(rand(*st)), pair(rand(*sc))
    same_error(lambda: ember.ormqr(a_e, t_e, c_e, **kw), lambda: torch.ormqr(a_t, t_t, c_t, **kw))


@pytest.mark.parametrize("dtypes", [
    ("float64", "float64", "float32"), ("float64", "float32", "float64"),
    ("int32", "int32", "int32"), ("float16", "float16", "float16")])
def test_ormqr_dtype_errors(dtypes):
    (a_e, a_t), (t_e, t_t), (c_e, c_t) = (pair(rand(*s), d) for s, d in
                                          zip(((4, 3), (3,), (4, 2)), dtypes))
    same_error(lambda: ember.ormqr(a_e, t_e, c_e), lambda: torch.ormqr(a_t, t_t, c_t))


def test_ormqr_out():
    (a_e, a_t), (t_e, t_t), (c_e, c_t) = pair(rand(4, 3)), pair(rand(3)), pair(rand(4, 2))
    o_e, o_t = ember.empty(0, dtype=ember.float64), torch.empty(0, dtype=torch.float64)
    assert ember.ormqr(a_e, t_e, c_e, out=o_e) is o_e
    torch.ormqr(a_t, t_t, c_t, out=o_t)
    assert_same(o_e, o_t, rtol=1e-10, atol=1e-12)


# -- LDL ------------------------------------------------------------------------------------------
def _ldl_inputs():
    rng = np.random.default_rng(3)
    out = []
    for k in range(40):
        n = 1 + k % 8
        a = rng.standard_normal((n, n))
        if k % 3 == 0:
            a = a + a.T
        if k % 4 == 1:
            a[0, 0] = 1e-3  # forces a 2x2 or a swapped pivot
        out.append(a)
    return out


def test_ldl_factor_pivots_and_values_match_lapack():
    for a in _ldl_inputs():
        e, t = pair(a)
        r_e, r_t = ember.linalg.ldl_factor_ex(e), torch.linalg.ldl_factor_ex(t)
        np.testing.assert_array_equal(r_e.pivots.numpy(), r_t.pivots.numpy())
        assert_same(r_e, r_t, rtol=1e-9, atol=1e-11)
    assert (np.concatenate([ember.linalg.ldl_factor(pair(a)[0]).pivots.numpy()
                            for a in _ldl_inputs()]) < 0).any()  # 2x2 blocks were tested


@pytest.mark.parametrize("shape", [(3, 5, 5), (0, 3, 3), (0, 0), (2, 1, 1)])
def test_ldl_factor_batches(shape):
    a = rand(*shape)
    e, t = pair(a + np.swapaxes(a, -1, -2))
    r_e, r_t = ember.linalg.ldl_factor(e, hermitian=True), torch.linalg.ldl_factor(t,
                                                                                  hermitian=True)
    assert type(r_e).__name__ == "linalg_ldl_factor" and r_e._fields == ("LD", "pivots")
    assert_same(r_e, r_t, rtol=1e-9, atol=1e-11)


def test_ldl_factor_float32():
    e, t = pair(rand(6, 6), "float32")
    assert_same(ember.linalg.ldl_factor(e), torch.linalg.ldl_factor(t), rtol=1e-4, atol=1e-5)


def test_ldl_factor_ex_of_a_singular_matrix():
    a = np.zeros((2, 4, 4))
    a[1, 2, 2], a[1, 3, 1] = 1, 2
    e, t = pair(a)
    r_e, r_t = ember.linalg.ldl_factor_ex(e), torch.linalg.ldl_factor_ex(t)
    assert type(r_e).__name__ == "linalg_ldl_factor_ex"
    assert_same(r_e, r_t)
    same_error(lambda: ember.linalg.ldl_factor_ex(e, check_errors=True),
               lambda: torch.linalg.ldl_factor_ex(t, check_errors=True))
    same_error(lambda: ember.linalg.ldl_factor(e), lambda: torch.linalg.ldl_factor(t))


@pytest.mark.parametrize("args", [((2, 3),), ((3,),), ((3, 3), "int32"), ((3, 3), "float16")])
def test_ldl_factor_errors(args):
    e, t = pair(rand(*args[0]), *args[1:])
    same_error(lambda: ember.linalg.ldl_factor(e), lambda: torch.linalg.ldl_factor(t))
    same_error(lambda: ember.linalg.ldl_factor_ex(e), lambda: torch.linalg.ldl_factor_ex(t))


@pytest.mark.parametrize("b_shape", [(5, 2), (3, 5, 1), (0, 5, 2), (5, 0)])
def test_ldl_solve(b_shape):
    for a in _ldl_inputs()[::5] + [rand(5, 5)]:
        n = a.shape[0]
        e, t = pair(a + a.T)
        fe, ft = ember.linalg.ldl_factor(e), torch.linalg.ldl_factor(t)
        b_e, b_t = pair(rand(*b_shape[:-2], n, b_shape[-1], seed=4))
        x_e = ember.linalg.ldl_solve(*fe, b_e)
        assert_same(x_e, torch.linalg.ldl_solve(*ft, b_t), rtol=1e-8, atol=1e-10)
        if b_shape[-1] and n == 5:
            np.testing.assert_allclose((e @ x_e).numpy(), np.broadcast_to(
                b_e.numpy(), x_e.shape), atol=1e-9)


def test_ldl_solve_batched_factors():
    a = rand(3, 4, 4)
    e, t = pair(a + np.swapaxes(a, -1, -2))
    fe, ft = ember.linalg.ldl_factor(e), torch.linalg.ldl_factor(t)
    b_e, b_t = pair(rand(4, 2))
    assert_same(ember.linalg.ldl_solve(*fe, b_e, hermitian=True),
                torch.linalg.ldl_solve(*ft, b_t, hermitian=True), rtol=1e-8, atol=1e-10)


def test_ldl_solve_errors():
    a = rand(4, 4)
    e, t = pair(a + a.T)
    (ld_e, p_e), (ld_t, p_t) = ember.linalg.ldl_factor(e), torch.linalg.ldl_factor(t)
    cases = [
        lambda lib, ld, p: lib.linalg.ldl_solve(ld, p, lib.zeros(4, dtype=lib.float64)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld, p, lib.zeros(5, 2, dtype=lib.float64)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld, p[:3], lib.zeros(4, 2, dtype=lib.float64)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld, p, lib.zeros(4, 2)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld[:3], p, lib.zeros(4, 2, dtype=lib.float64)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld[0], p, lib.zeros(4, 2, dtype=lib.float64)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld.int(), p, lib.zeros(4, 2).int()),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld, p.expand(2, 4),
                                                lib.zeros(4, 2, dtype=lib.float64)),
        lambda lib, ld, p: lib.linalg.ldl_solve(ld.expand(2, 4, 4), p.expand(2, 4),
                                                lib.zeros(3, 4, 2, dtype=lib.float64)),
    ]
    for case in cases:
        same_error(lambda: case(ember, ld_e, p_e), lambda: case(torch, ld_t, p_t))


def test_ldl_has_no_derivative():
    a = rand(3, 3)
    e, t = pair(a + a.T, grad=True)
    ld_e, p_e = ember.linalg.ldl_factor(e)
    ld_t, p_t = torch.linalg.ldl_factor(t)
    assert ld_e.requires_grad and not p_e.requires_grad
    assert type(ld_e.grad_fn).__name__ == type(ld_t.grad_fn).__name__ == "NotImplemented"
    same_error(lambda: ld_e.sum().backward(), lambda: ld_t.sum().backward())
    b_e, b_t = pair(rand(3, 2), grad=True)
    x_e = ember.linalg.ldl_solve(ld_e.detach(), p_e, b_e)
    x_t = torch.linalg.ldl_solve(ld_t.detach(), p_t, b_t)
    assert x_e.requires_grad
    same_error(lambda: x_e.sum().backward(), lambda: x_t.sum().backward())

    def run(lib, x):
        with lib.autograd.forward_ad.dual_level():
            lib.linalg.ldl_factor(lib.autograd.forward_ad.make_dual(x, lib.ones_like(x)))

    same_error(lambda: run(ember, e.detach()), lambda: run(torch, t.detach()))


def test_ldl_out():
    a = rand(4, 4)
    e, t = pair(a + a.T)
    outs_e = (ember.empty(0, dtype=ember.float64), ember.empty(0, dtype=ember.int32))
    outs_t = (torch.empty(0, dtype=torch.float64), torch.empty(0, dtype=torch.int32))
    ember.linalg.ldl_factor(e, out=outs_e)
    torch.linalg.ldl_factor(t, out=outs_t)
    assert_same(outs_e, outs_t, rtol=1e-10, atol=1e-12)


# -- poisson and binomial -------------------------------------------------------------------------
RATES = [0.0, 0.3, 2.0, 9.9, 10.0, 30.0, 500.0, 1e5]
COUNTS = [0.0, 5.0, 20.0, 100.0, 100.0, 1000.0, 1e6, 37.0, 3.0, 50.0, 10.0, 0.0]
PROBS = [0.3, 0.5, 0.4, 0.05, 0.9, 0.3, 0.77, 0.99, 1.0, 0.51, 0.0, 0.5]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_poisson_reproduces_pytorch_under_the_same_seed(dtype):
    e, t = pair(np.array(RATES[:-1] * 4).reshape(4, 7), dtype)  # 1e5 is inf in float16
    for seed in (0, 1, 2):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        r_e, r_t = ember.poisson(e), torch.poisson(t)
        assert r_e.dtype == getattr(ember, dtype)
        assert_same(r_e.double(), r_t.double(), rtol=0, atol=0)
        assert ember.rand(1).item() == torch.rand(1).item()  # the streams stay together


def test_poisson_non_contiguous_and_generator():
    e, t = pair(np.array(RATES * 3).reshape(8, 3).T)
    g_e, g_t = ember.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert_same(ember.poisson(e, g_e), torch.poisson(t, g_t), rtol=0, atol=0)
    assert_same(ember.poisson(e, generator=g_e), torch.poisson(t, generator=g_t), rtol=0, atol=0)


def test_poisson_statistics():
    ember.manual_seed(0)
    x = ember.poisson(ember.full((20000,), 4.0)).numpy()
    y = ember.poisson(ember.full((20000,), 40.0)).numpy()
    assert abs(x.mean() - 4) < 0.1 and abs(x.var() - 4) < 0.25
    assert abs(y.mean() - 40) < 0.3 and abs(y.var() - 40) < 2.5
    assert (x == np.round(x)).all()


def test_poisson_gradient_is_zero():
    e, t = pair(RATES, grad=True)
    s_e, s_t = ember.poisson(e), torch.poisson(t)
    assert s_e.grad_fn.name() == s_t.grad_fn.name() == "PoissonBackward0"
    s_e.sum().backward()
    s_t.sum().backward()
    assert_same(e.grad, t.grad)


@pytest.mark.parametrize("case", [([-1.0], "float32"), ([float("nan")], "float32"),
                                  ([1, 2], "int64")])
def test_poisson_errors(case):
    e, t = pair(*case)
    same_error(lambda: ember.poisson(e), lambda: torch.poisson(t))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binomial_reproduces_pytorch_under_the_same_seed(dtype):
    rng = np.random.default_rng(0)
    counts = np.concatenate([COUNTS, np.floor(rng.uniform(0, 300, 400))])
    probs = np.concatenate([PROBS, rng.uniform(0, 1, 400)])
    (c_e, c_t), (p_e, p_t) = pair(counts, dtype), pair(probs, dtype)
    for seed in (0, 3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        assert_same(ember.binomial(c_e, p_e), torch.binomial(c_t, p_t), rtol=0, atol=0)
        assert ember.rand(1).item() == torch.rand(1).item()


def test_binomial_broadcasts_prob_and_takes_a_generator():
    (c_e, c_t), (p_e, p_t) = pair(np.full((2, 3), 40.0)), pair([[0.5], [0.2]])
    g_e, g_t = ember.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert_same(ember.binomial(c_e, p_e, g_e), torch.binomial(c_t, p_t, g_t), rtol=0, atol=0)
    (c_e, c_t), (p_e, p_t) = pair([30.0]), pair([0.5, 0.5])
    ember.manual_seed(2)
    torch.manual_seed(2)
    with pytest.warns(UserWarning, match="was resized since it had shape"):
        r_e = ember.binomial(c_e, p_e)
    with pytest.warns(UserWarning):
        assert_same(r_e, torch.binomial(c_t, p_t), rtol=0, atol=0)


def test_binomial_nan_prob_and_statistics():
    r = ember.binomial(ember.tensor([1.0]), ember.tensor([float("nan")]))
    assert np.isnan(r.item())
    ember.manual_seed(0)
    x = ember.binomial(ember.full((20000,), 60.0), ember.full((20000,), 0.3)).numpy()
    assert abs(x.mean() - 18) < 0.15 and abs(x.var() - 12.6) < 0.8


def test_binomial_has_no_derivative():
    (c_e, c_t), (p_e, p_t) = pair([5.0, 20.0]), pair([0.3, 0.6], grad=True)
    r_e, r_t = ember.binomial(c_e, p_e), torch.binomial(c_t, p_t)
    assert r_e.requires_grad
    assert type(r_e.grad_fn).__name__ == type(r_t.grad_fn).__name__ == "NotImplemented"
    same_error(lambda: r_e.sum().backward(), lambda: r_t.sum().backward())


@pytest.mark.parametrize("case", [
    (([1, 2], "int64"), ([0.5, 0.5], "float32")), (([1.0], "float32"), ([1, 1], "int64")),
    (([1.0, 2.0], "float32"), ([0.5, 0.5], "float64")),
    (([1.0, 2.0], "float16"), ([0.5, 0.5], "float16")),
    (([1.0, 2.0], "float32"), ([0.5, 0.5, 0.5], "float32"))])
def test_binomial_errors(case):
    (c_e, c_t), (p_e, p_t) = pair(*case[0]), pair(*case[1])
    same_error(lambda: ember.binomial(c_e, p_e), lambda: torch.binomial(c_t, p_t))


# -- histogramdd ----------------------------------------------------------------------------------
def _hist_args(lib, dtype, case):
    rng = np.random.default_rng(5)
    x = lib.tensor(rng.standard_normal((40, 3)), dtype=getattr(lib, dtype))
    w = lib.tensor(rng.uniform(size=40), dtype=getattr(lib, dtype))
    edges = [lib.tensor(e, dtype=getattr(lib, dtype)) for e in
             ([-1.0, 0.0, 1.0], [-3.0, 3.0], [-1.0, -0.5, 0.0, 2.0])]
    return [((x, 4), {}), ((x, [2, 3, 4]), {}),
            ((x, 3), {"range": [-1.0, 1.0, -2.0, 2.0, 0.0, 1.0]}),
            ((x, [2, 3, 4]), {"weight": w, "density": True}),
            ((x, edges), {"weight": w}), ((x, edges), {"density": True}),
            ((x.reshape(2, 20, 3), (1, 2, 2)), {"weight": w.reshape(2, 20)})][case]


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_histogramdd(case, dtype):
    (a_e, kw_e), (a_t, kw_t) = _hist_args(ember, dtype, case), _hist_args(torch, dtype, case)
    r_e, r_t = ember.histogramdd(*a_e, **kw_e), torch.histogramdd(*a_t, **kw_t)
    assert type(r_e).__name__ == "histogramdd" and r_e._fields == ("hist", "bin_edges")
    assert isinstance(r_e.bin_edges, tuple)
    tol = 1e-10 if dtype == "float64" else 1e-5
    assert_same(r_e.hist, r_t.hist, rtol=tol, atol=tol)
    assert_same(r_e.bin_edges, r_t.bin_edges, rtol=tol, atol=tol)


@pytest.mark.parametrize("points", [[[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]],
                                    [[1.0, 1.0], [1.0, 1.0]], np.zeros((0, 2))])
def test_histogramdd_edges_of_the_data(points):
    e, t = pair(points, "float32")
    for kw in ({}, {"range": [0.0, 1.0, 0.0, 1.0], "density": True},
               {"range": [1.0, 1.0, 0.0, 3.0]}):
        r_e, r_t = ember.histogramdd(e, 2, **kw), torch.histogramdd(t, 2, **kw)
        assert_same(r_e.hist, r_t.hist)
        assert_same(r_e.bin_edges, r_t.bin_edges)
    r_e, r_t = str(ember.histogramdd(e, [3, 3])), str(torch.histogramdd(t, [3, 3]))
    assert r_e == r_t.replace("torch.", "ember.")


def test_histogramdd_has_no_derivative():
    e, t = pair(rand(6, 2), grad=True)
    r_e, r_t = ember.histogramdd(e, 2), torch.histogramdd(t, 2)
    assert type(r_e.hist.grad_fn).__name__ == type(r_t.hist.grad_fn).__name__ == "NotImplemented"
    assert r_e.bin_edges[0].requires_grad
    same_error(lambda: r_e.hist.sum().backward(), lambda: r_t.hist.sum().backward())


def test_histogramdd_errors():
    def cases(lib):
        x = lib.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])
        e1 = lib.tensor([0.0, 1.0])
        return [
            lambda: lib.histogramdd(x[:, 0], 2),
            lambda: lib.histogramdd(x, [2, 3, 4]),
            lambda: lib.histogramdd(x, 2, range=[0.0, 1.0]),
            lambda: lib.histogramdd(x, 2, range=[1.0, 0.0, 0.0, 1.0]),
            lambda: lib.histogramdd(x, 2, range=[0.0, float("inf"), 0.0, 1.0]),
            lambda: lib.histogramdd(lib.tensor([[float("nan"), 1.0]]), 2),
            lambda: lib.histogramdd(x, 2, weight=lib.ones(3)),
            lambda: lib.histogramdd(x, 2, weight=lib.ones(4, dtype=lib.float64)),
            lambda: lib.histogramdd(x.int(), 2),
            lambda: lib.histogramdd(x.half(), 2),
            lambda: lib.histogramdd(x.double(), [e1, e1]),
            lambda: lib.histogramdd(x, [e1]),
            lambda: lib.histogramdd(x, 0),
            lambda: lib.histogramdd(x, -1),
            lambda: lib.histogramdd(x, [e1[None], e1]),
            lambda: lib.histogramdd(x, [e1, e1[:1]]),
            lambda: lib.histogramdd(x, [2.5, 2]),
        ]

    for fe, ft in zip(cases(ember), cases(torch)):
        same_error(fe, ft)


# -- svd_lowrank and pca_lowrank ------------------------------------------------------------------
# Their random start comes from the default generator, so the same seed gives PyTorch's; the
# singular vectors are compared up to the sign of each (LAPACK builds may pick either).
def _gauge(U, S, V):
    s = np.sign(U[..., :1, :])
    s[s == 0] = 1
    return U * s, S, V * s


def _lowrank_pair(fn, a, dtype="float64", seed=0, **kw):
    e, t = pair(a, dtype)
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    r_e, r_t = getattr(ember, fn)(e, **kw), getattr(torch, fn)(t, **kw)
    assert ember.rand(1).item() == torch.rand(1).item()  # the same draws were made
    return [x.numpy() for x in r_e], [x.numpy() for x in r_t]


@pytest.mark.parametrize("shape, kw", [((8, 5), {}), ((5, 8), {"q": 3}),
                                       ((2, 7, 6), {"q": 4, "niter": 1}),
                                       ((6, 6), {"q": 2, "niter": 0})])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_svd_lowrank_matches_pytorch_under_the_same_seed(shape, kw, dtype):
    r_e, r_t = _lowrank_pair("svd_lowrank", rand(*shape), dtype, **kw)
    tol = 1e-9 if dtype == "float64" else 2e-4
    for x, y in zip(_gauge(*r_e), _gauge(*r_t)):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol)


def test_svd_lowrank_with_m_and_of_a_low_rank_matrix():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((9, 3)) @ rng.standard_normal((3, 7))
    e, _ = pair(a)
    ember.manual_seed(0)
    U, S, V = ember.svd_lowrank(e, q=3)
    np.testing.assert_allclose((U @ ember.diag(S) @ V.mT).numpy(), a, atol=1e-10)
    m_e, m_t = pair(rng.standard_normal((1, 7)))
    e, t = pair(a)
    ember.manual_seed(2)
    torch.manual_seed(2)
    r_e = ember.svd_lowrank(e, q=4, M=m_e)
    r_t = torch.svd_lowrank(t, q=4, M=m_t)
    np.testing.assert_allclose(r_e[1].numpy(), r_t[1].numpy(), rtol=1e-9)


@pytest.mark.parametrize("shape, kw", [((10, 4), {}), ((6, 8), {"q": 3, "center": False}),
                                       ((3, 9, 5), {"q": 2, "niter": 3})])
def test_pca_lowrank_matches_pytorch_under_the_same_seed(shape, kw):
    r_e, r_t = _lowrank_pair("pca_lowrank", rand(*shape), seed=4, **kw)
    for x, y in zip(_gauge(*r_e), _gauge(*r_t)):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9)


def test_pca_lowrank_errors():
    e, t = pair(rand(4, 3))
    for kw in ({"q": 4}, {"q": -1}, {"niter": -1}):
        same_error(lambda: ember.pca_lowrank(e, **kw), lambda: torch.pca_lowrank(t, **kw))


@pytest.mark.parametrize("fn, shape, kw", [("svd_lowrank", (6, 4), {"q": 2}),
                                           ("svd_lowrank", (3, 5), {"q": 2, "niter": 1}),
                                           ("pca_lowrank", (6, 4), {"q": 2})])
def test_lowrank_gradients(fn, shape, kw):
    # S and U S V^T do not depend on the vectors' signs; the seed fixes the random start
    def run(lib, a):
        lib.manual_seed(0)
        U, S, V = getattr(lib, fn)(a, **kw)
        return S, U @ (S.unsqueeze(-1) * V.mT)

    e, t = pair(rand(*shape), grad=True)
    assert ember.autograd.gradcheck(lambda a: run(ember, a), (e,))
    assert ember.autograd.gradgradcheck(lambda a: run(ember, a), (e,))
    w = rand(*shape, seed=9)
    (run(ember, e)[1] * ember.tensor(w)).sum().backward()
    (run(torch, t)[1] * torch.tensor(w)).sum().backward()
    assert_same(e.grad, t.grad, rtol=1e-8, atol=1e-10)
