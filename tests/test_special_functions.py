"""torch.special's Bessel, error-function, incomplete-gamma, zeta and polynomial families
against PyTorch: values over wide ranges (edge values included), dtypes, broadcasting,
gradients and errors."""

import warnings

import numpy as np
import pytest
import torch

import ember

warnings.simplefilter("ignore", RuntimeWarning)

_RNG = np.random.default_rng(7)
_WIDE = np.concatenate([
    np.linspace(-40, 40, 161), np.geomspace(1e-300, 1e3, 60), -np.geomspace(1e-300, 1e3, 60),
    [0.0, -0.0, 0.5, 2.0, 25.0, 700.0, 800.0, np.inf, -np.inf, np.nan]])

UNARY = {  # name: (inputs, rtol, atol)
    "i0": (_WIDE, 1e-12, 0), "i0e": (_WIDE, 1e-12, 0), "i1": (_WIDE, 1e-12, 0),
    "i1e": (_WIDE, 1e-12, 0), "modified_bessel_i0": (_WIDE, 1e-12, 0),
    "modified_bessel_i1": (_WIDE, 1e-12, 0), "modified_bessel_k0": (_WIDE, 1e-12, 0),
    "modified_bessel_k1": (_WIDE, 1e-12, 0), "scaled_modified_bessel_k0": (_WIDE, 1e-12, 0),
    "scaled_modified_bessel_k1": (_WIDE, 1e-12, 0), "erfcx": (_WIDE, 1e-12, 0),
    "log_ndtr": (_WIDE, 1e-12, 0), "spherical_bessel_j0": (_WIDE, 1e-12, 1e-15),
    "ndtri": (np.concatenate([np.linspace(-0.5, 1.5, 201), np.geomspace(1e-300, 0.5, 80),
                              1 - np.geomspace(1e-16, 0.5, 80), [np.nan, np.inf]]), 1e-12, 0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values(name):
    x, rtol, atol = UNARY[name]
    got = getattr(ember.special, name)(ember.tensor(x)).numpy()
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_dtypes(name):
    for dt in ("float32", "int64", "bool"):
        t = torch.tensor([0, 1, 1], dtype=getattr(torch, dt))
        e = ember.tensor([0, 1, 1], dtype=getattr(ember, dt))
        want = getattr(torch.special, name)(t)
        got = getattr(ember.special, name)(e)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    x = _RNG.uniform(0.01, 0.99 if name == "ndtri" else 10, 50).astype(np.float32)
    np.testing.assert_allclose(getattr(ember.special, name)(ember.tensor(x)).numpy(),
                               getattr(torch.special, name)(torch.tensor(x)).numpy(),
                               rtol=2e-6, atol=1e-7)
    for dt in ("float16", "complex64"):
        try:
            want = getattr(torch.special, name)(torch.ones(2, dtype=getattr(torch, dt)))
        except Exception as exc:  # noqa: BLE001 - compared below
            with pytest.raises(type(exc)) as info:
                getattr(ember.special, name)(ember.ones(2, dtype=getattr(ember, dt)))
            assert str(info.value) == str(exc)
        else:
            got = getattr(ember.special, name)(ember.ones(2, dtype=getattr(ember, dt)))
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
            np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=1e-3)


_DIFFERENTIABLE = ["i0", "i0e", "i1", "i1e", "erfcx", "log_ndtr", "ndtri"]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grad(name):
    x = np.array([0.0, -0.0, 1e-300, 0.2, 0.7, -2.0, 3.0, np.inf, np.nan])
    if name == "ndtri":
        x = np.array([0.0, 1e-300, 0.2, 0.5, 0.7, 0.999, 1.0])
    t = torch.tensor(x, requires_grad=True)
    e = ember.tensor(x, requires_grad=True)
    ty = getattr(torch.special, name)(t)
    ey = getattr(ember.special, name)(e)
    assert ey.requires_grad == ty.requires_grad == (name in _DIFFERENTIABLE)
    if not ty.requires_grad:
        return
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    tg, = torch.autograd.grad(ty.sum(), t, create_graph=True)
    eg, = ember.autograd.grad(ey.sum(), e, create_graph=True)
    np.testing.assert_allclose(eg.detach().numpy(), tg.detach().numpy(), rtol=1e-10)
    keep = np.isfinite(tg.detach().numpy())
    tgg, = torch.autograd.grad(tg[torch.tensor(keep)].sum(), t)
    egg, = ember.autograd.grad(eg[ember.tensor(keep)].sum(), e)
    np.testing.assert_allclose(egg.numpy()[keep], tgg.numpy()[keep], rtol=1e-8, atol=1e-12)


def test_argument_named_x():
    for name in ("spherical_bessel_j0", "airy_ai"):
        with pytest.raises(TypeError) as want_info:
            getattr(torch.special, name)(1.0)
        with pytest.raises(TypeError) as info:
            getattr(ember.special, name)(1.0)
        assert str(info.value) == str(want_info.value)
        np.testing.assert_allclose(getattr(ember.special, name)(x=ember.tensor([0.5])).numpy(),
                                   getattr(torch.special, name)(x=torch.tensor([0.5])).numpy(),
                                   rtol=1e-6)


def test_i0_aliases_methods_and_inplace():
    x = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(ember.i0(ember.tensor(x)).numpy(), torch.i0(torch.tensor(x)))
    e = ember.tensor(x)
    assert e.i0_() is e
    np.testing.assert_allclose(e.numpy(), torch.tensor(x).i0_().numpy())
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        ember.tensor([1, 2]).i0_()
    with pytest.raises(TypeError, match=r"^i0\(\): argument 'input' \(position 1\) must be "
                                        "Tensor, not float$"):
        ember.i0(1.0)


POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]
_PX = np.concatenate([np.linspace(-2, 2, 41), [-1.0, 1.0, 0.0, 0.5, 1e-300, np.inf, -np.inf]])


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_values(name):
    x = np.concatenate([_PX, (_PX + 1) / 2])
    for n in (-2, 0, 1, 2, 3, 5, 7, 9, 10, 15, 30, 2.7, np.nan):
        got = getattr(ember.special, name)(ember.tensor(x), n).numpy()
        want = getattr(torch.special, name)(torch.tensor(x), n).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11, err_msg=str(n))


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_broadcast_and_dtypes(name):
    x = _RNG.uniform(-1, 1, (3, 1))
    n = np.array([0, 1, 4, 12])
    ef, tf = getattr(ember.special, name), getattr(torch.special, name)
    got = ef(ember.tensor(x), ember.tensor(n))
    want = tf(torch.tensor(x), torch.tensor(n))
    assert tuple(got.shape) == tuple(want.shape) == (3, 4)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-11, atol=1e-12)
    # float32: PyTorch rounds at every step of the recurrence, ember once
    np.testing.assert_allclose(ef(0.3, ember.tensor(n)).numpy(), tf(0.3, torch.tensor(n)).numpy(),
                               rtol=1e-5)
    cases = [((ember.tensor([1, 2]), 2), (torch.tensor([1, 2]), 2)),
             ((ember.tensor([1.0], dtype=ember.float32), ember.tensor(3.0, dtype=ember.float64)),
              (torch.tensor([1.0]), torch.tensor(3.0, dtype=torch.float64))),
             ((ember.tensor([0.5], dtype=ember.float32), ember.tensor([2], dtype=ember.float64)),
              (torch.tensor([0.5]), torch.tensor([2], dtype=torch.float64)))]
    for eargs, targs in cases:
        assert str(ef(*eargs).dtype).split(".")[-1] == str(tf(*targs).dtype).split(".")[-1]
    x = ember.tensor([0.5], dtype=ember.float64, requires_grad=True)
    assert not ef(x, 3).requires_grad
    with pytest.raises(TypeError) as info:
        ef(2.0, 3.0)
    with pytest.raises(TypeError) as want_info:
        tf(2.0, 3.0)
    assert str(info.value) == str(want_info.value)
    with pytest.raises(NotImplementedError) as info:
        ef(ember.ones(1, dtype=ember.float16), 2)
    with pytest.raises(NotImplementedError) as want_info:
        tf(torch.ones(1, dtype=torch.float16), 2)
    assert str(info.value) == str(want_info.value)


def test_polynomial_out_and_size_mismatch():
    out = ember.empty(2, dtype=ember.float64)
    r = ember.special.chebyshev_polynomial_t(ember.tensor([0.5, 2.0], dtype=ember.float64), 3,
                                             out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), [-1.0, 26.0])
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        ember.special.chebyshev_polynomial_t(ember.tensor([1.0, 2]), ember.tensor([1.0, 2, 3]))


def _igamma_inputs():
    a = np.concatenate([_RNG.uniform(0, 30, 300), _RNG.uniform(0, 3, 200),
                        [0.5, 1, 2, 0, 0, 1, -1, 1, 2, np.inf, np.nan]])
    x = np.concatenate([_RNG.uniform(0, 60, 300), _RNG.uniform(0, 5, 200),
                        [1e-300, 1e-5, 700, 0, 1, 0, 1, -1, np.inf, 2, 1]])
    return a, x


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_igamma_values(name):
    a, x = _igamma_inputs()
    got = getattr(ember.special, name)(ember.tensor(a), ember.tensor(x)).numpy()
    want = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x)).numpy()
    # PyTorch's own error reaches 2e-9 here (ember's: 1e-13 against mpmath)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-300)
    small = a[:200] < 10
    np.testing.assert_allclose(got[:200][small], want[:200][small], rtol=1e-11, atol=1e-300)


def test_igamma_grads_dtypes_errors():
    a = np.array([0.5, 1.5, 3.0])
    x = np.array([0.3, 2.0, 4.0])
    for en, tn in ((ember.igamma, torch.igamma), (ember.igammac, torch.igammac),
                   (ember.special.gammainc, torch.special.gammainc)):
        ex = ember.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        ey, ty = en(ember.tensor(a), ex), tn(torch.tensor(a), tx)
        assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
        eg, = ember.autograd.grad(ey.sum(), ex, create_graph=True)
        tg, = torch.autograd.grad(ty.sum(), tx, create_graph=True)
        np.testing.assert_allclose(eg.detach().numpy(), tg.detach().numpy(), rtol=1e-10)
        egg, = ember.autograd.grad(eg.sum(), ex)
        tgg, = torch.autograd.grad(tg.sum(), tx)
        np.testing.assert_allclose(egg.numpy(), tgg.numpy(), rtol=1e-9)
        ea = ember.tensor(a, requires_grad=True)
        ta = torch.tensor(a, requires_grad=True)
        with pytest.raises(NotImplementedError) as want:
            tn(ta, torch.tensor(x)).sum().backward()
        with pytest.raises(NotImplementedError) as got:
            en(ea, ember.tensor(x)).sum().backward()
        assert str(got.value) == str(want.value)
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        ember.igamma(ember.tensor([1, 2]), ember.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"special_gammainc\(\): argument 'other' \(position 2\) "
                                        "must be Tensor, not int"):
        ember.special.gammainc(ember.tensor([1.0]), 2)
    got = ember.igamma(ember.tensor([1.0]), ember.tensor([[1.0], [2.0]], dtype=ember.float64))
    assert got.dtype == ember.float64 and tuple(got.shape) == (2, 1)
    e = ember.tensor([1.0, 2.0])
    assert e.igammac_(ember.tensor([1.0, 2.0])) is e
    np.testing.assert_allclose(e.numpy(), torch.tensor([1.0, 2]).igammac_(
        torch.tensor([1.0, 2])).numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="igamma\\(\\): functions with out=... arguments"):
        ember.igamma(ember.tensor([1.0]), ember.tensor([1.0], requires_grad=True),
                     out=ember.empty(1))


def test_zeta():
    rng = np.random.default_rng(3)
    s = np.concatenate([rng.uniform(1, 30, 200), [2, 2, 2, 2, 1, 3, 2, 0.5, -2, 1.0000001, 50]])
    q = np.concatenate([rng.uniform(-5, 50, 200), [1, 0, -1, -1.5, 2, 1e-300, np.inf, 1, 2,
                                                    3, 0.5]])
    got = ember.special.zeta(ember.tensor(s), ember.tensor(q)).numpy()
    want = torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy()
    # both lose digits where a negative q makes the terms cancel
    np.testing.assert_allclose(got, want, rtol=1e-8)
    assert ember.special.zeta(ember.tensor([1, 2]), 3.0).dtype == ember.float32
    # the derivative in q only
    eq = ember.tensor([1.5, 2.5], dtype=ember.float64, requires_grad=True)
    tq = torch.tensor([1.5, 2.5], dtype=torch.float64, requires_grad=True)
    for ey, ty in ((ember.special.zeta(3.0, eq), torch.special.zeta(3.0, tq)),
                   (ember.special.zeta(ember.tensor([3.0, 4.0], dtype=ember.float64), eq),
                    torch.special.zeta(torch.tensor([3.0, 4.0], dtype=torch.float64), tq))):
        assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
        eg, = ember.autograd.grad(ey.sum(), eq)
        tg, = torch.autograd.grad(ty.sum(), tq)
        np.testing.assert_allclose(eg.numpy(), tg.numpy(), rtol=1e-10)
    es = ember.tensor([3.0], dtype=ember.float64, requires_grad=True)
    y = ember.special.zeta(es, 2.0)
    assert type(y.grad_fn).__name__ == "SpecialZetaBackward2"
    with pytest.raises(NotImplementedError, match="^the derivative for 'zeta' is not "
                                                  "implemented.$"):
        y.sum().backward()
    with pytest.raises(NotImplementedError, match="\"zeta_cpu\" not implemented for 'Half'"):
        ember.special.zeta(ember.ones(1, dtype=ember.float16), 2.0)


def test_forward_ad():
    import ember.autograd.forward_ad as fwAD

    x = np.array([0.3, 1.5, -2.0])
    for name in ("i0", "i0e", "i1", "i1e", "erfcx", "log_ndtr"):
        with fwAD.dual_level():
            d = fwAD.make_dual(ember.tensor(x), ember.ones(3, dtype=ember.float64))
            tangent = fwAD.unpack_dual(getattr(ember.special, name)(d)).tangent.numpy()
        t = torch.tensor(x, requires_grad=True)
        want, = torch.autograd.grad(getattr(torch.special, name)(t).sum(), t)
        np.testing.assert_allclose(tangent, want.numpy(), rtol=1e-10)
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.tensor(x), ember.ones(3, dtype=ember.float64))
        with pytest.raises(NotImplementedError, match="forward AD with igamma"):
            ember.igamma(ember.tensor([1.0, 2, 3], dtype=ember.float64), d)


_BESSEL_AIRY = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"]
_BA_X = np.concatenate([
    np.linspace(-30, 30, 1201), _RNG.uniform(-25, 25, 400), np.geomspace(1e-300, 1e6, 300),
    -np.geomspace(1e-300, 1e6, 300), [0.9375, 20.0625, -10.0625, 10.0625, 103.892, 104.0]])


def _envelope(name, x):
    """The size the error is measured against: sqrt(2 / (pi |x|)) for J and Y (1 near 0),
    |x|^(-1/4) / sqrt(pi) for Ai on the left (the value itself on the right)."""
    ax = np.abs(np.asarray(x, np.float64))
    if name == "airy_ai":
        return np.where(x < 0, np.maximum(ax, 1) ** -0.25 / np.sqrt(np.pi), 0.0)
    return np.minimum(np.sqrt(2 / (np.pi * np.maximum(ax, 1e-300))), 1.0)


def _torch_error(name, x):
    """PyTorch's own error (relative to the envelope or the value), measured against mpmath
    with some margin: its rational approximations are off by up to 2e-6 near |x| = 5 (J, Y)
    and x = -2.1 (Ai), and large arguments lose the phase x * eps (Ai: |x|^1.5 * eps)."""
    ax = np.abs(x)
    if name == "airy_ai":
        near = 1e-4 * np.exp(-4 * np.abs(x + 2.2)) * (x < 0)
        return np.maximum.reduce([np.full_like(x, 1e-13), near, 3e-16 * ax ** 1.5])
    d = ax - 5
    hump = 1e-5 * np.exp(np.where(d > 0, -1.2 * d, 3 * d))
    return np.maximum.reduce([np.full_like(x, 1e-13), hump, 1e-16 * ax])


def _same_specials(got, want):
    """nan where PyTorch gives nan, infinities and signed zeros exactly."""
    assert np.array_equal(np.isnan(got), np.isnan(want))
    special = np.isinf(want) | (want == 0)
    np.testing.assert_array_equal(got[special], want[special])
    assert np.array_equal(np.signbit(got[special]), np.signbit(want[special]))


@pytest.mark.parametrize("name", _BESSEL_AIRY)
def test_bessel_airy_values(name):
    x = _BA_X
    got = getattr(ember.special, name)(ember.tensor(x)).numpy()
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    assert got.dtype == want.dtype == np.float64
    _same_specials(got, want)
    ok = np.isfinite(want)
    bound = _torch_error(name, x) * np.maximum(_envelope(name, x), np.abs(want))
    np.testing.assert_array_less(np.abs(got[ok] - want[ok]), 1e-300 + bound[ok])
    # where PyTorch is accurate the two agree to 1e-13
    calm = ok & (_torch_error(name, x) <= 1e-13) & (want != 0)
    np.testing.assert_allclose(got[calm], want[calm], rtol=1e-13,
                               atol=1e-13 * _envelope(name, x[calm]).max())
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, -1e-300, 5e-324, 1e-310, 1e300,
                      -1e300, 103.9, 1e6])
    got = getattr(ember.special, name)(ember.tensor(edges)).numpy()
    want = getattr(torch.special, name)(torch.tensor(edges)).numpy()
    _same_specials(got, want)
    np.testing.assert_allclose(got[:9], want[:9], rtol=1e-13, atol=1e-320)  # PyTorch drops the
    # phase of 1e300 (cos(x - pi/4) as cos(x)), ember keeps it


@pytest.mark.parametrize("name", _BESSEL_AIRY)
def test_bessel_airy_accuracy(name):
    mpmath = pytest.importorskip("mpmath")
    fn = {"airy_ai": mpmath.airyai, "bessel_j0": lambda v: mpmath.besselj(0, v),
          "bessel_j1": lambda v: mpmath.besselj(1, v),
          "bessel_y0": lambda v: mpmath.bessely(0, v),
          "bessel_y1": lambda v: mpmath.bessely(1, v)}[name]
    x = np.concatenate([np.linspace(-30, 30, 241), _RNG.uniform(-25, 25, 60),
                        np.geomspace(1e-200, 1e6, 60), -np.geomspace(1e-5, 1e6, 40)])
    if name.startswith("bessel_y"):
        x = np.abs(x[x != 0])
    got = getattr(ember.special, name)(ember.tensor(x)).numpy()
    with mpmath.workdps(30):
        want = np.array([float(fn(mpmath.mpf(float(v)))) for v in x])
    scale = np.maximum(_envelope(name, x), np.abs(want))
    np.testing.assert_array_less(np.abs(got - want), 2e-15 * scale + 1e-300)


@pytest.mark.parametrize("name", _BESSEL_AIRY)
def test_bessel_airy_dtypes_grad_and_errors(name):
    ef, tf = getattr(ember.special, name), getattr(torch.special, name)
    for dt in ("float32", "int64", "int32", "uint8", "bool"):
        t = torch.tensor([0, 1, 3], dtype=getattr(torch, dt))
        e = ember.tensor([0, 1, 3], dtype=getattr(ember, dt))
        want, got = tf(t), ef(e)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    # float32: PyTorch computes in float32 (errors up to 2e-6 and a phase error of |x| * 6e-8,
    # |x|^1.5 * 6e-8 for Ai);
    # ember rounds its float64 result once
    x = np.concatenate([_RNG.uniform(-20, 40, 200), [1e3, -1e3, 1e-40]]).astype(np.float32)
    got = ef(ember.tensor(x)).numpy()
    want = tf(torch.tensor(x)).numpy()
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    exact = getattr(ember.special, name)(ember.tensor(x.astype(np.float64))).numpy()
    with np.errstate(over="ignore"):  # Y1(1e-40) overflows float32 in both
        np.testing.assert_array_equal(got, exact.astype(np.float32))
    ok = np.isfinite(want)
    phase = np.abs(x) ** (1.5 if name == "airy_ai" else 1)
    bound = (2e-5 + 2e-7 * phase) * np.maximum(_envelope(name, x), np.abs(want)) + 2e-38
    np.testing.assert_array_less(np.abs(got[ok] - want[ok]), bound[ok])
    for dt in ("float16", "bfloat16", "complex64", "complex128"):
        with pytest.raises(NotImplementedError) as want_info:
            tf(torch.ones(2, dtype=getattr(torch, dt)))
        with pytest.raises(NotImplementedError) as info:
            ef(ember.ones(2, dtype=getattr(ember, dt)))
        assert str(info.value) == str(want_info.value)
    with pytest.raises(TypeError) as want_info:
        tf(1.0)
    with pytest.raises(TypeError) as info:
        ef(1.0)
    assert str(info.value) == str(want_info.value)
    arg = "x" if name == "airy_ai" else "input"
    np.testing.assert_allclose(ef(**{arg: ember.tensor([1.5])}).numpy(),
                               tf(**{arg: torch.tensor([1.5])}).numpy(), rtol=1e-6)
    # not differentiable in PyTorch: the result does not require grad
    e = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    t = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    ey, ty = ef(e), tf(t)
    assert ey.requires_grad == ty.requires_grad is False
    assert ey.grad_fn is None and ty.grad_fn is None
    with pytest.raises(RuntimeError) as want_info:
        ty.sum().backward()
    with pytest.raises(RuntimeError) as info:
        ey.sum().backward()
    assert str(info.value) == str(want_info.value)
    # shapes, out= and the methods PyTorch has not
    x = _RNG.uniform(0.1, 12, (3, 4))
    got = ef(ember.tensor(x))
    assert tuple(got.shape) == (3, 4)
    np.testing.assert_allclose(got.numpy(), tf(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    assert ef(ember.tensor(2.5, dtype=ember.float64)).shape == ()
    out = ember.empty(3, dtype=ember.float64)
    assert ef(ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64), out=out) is out
    np.testing.assert_allclose(out.numpy(), tf(torch.tensor([1.0, 2.0, 3.0],
                                                            dtype=torch.float64)).numpy(),
                               rtol=1e-5)
    assert hasattr(torch.Tensor, name) is hasattr(ember.Tensor, name) is False
