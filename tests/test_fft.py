"""ember.fft and the complex tensors it needs, against PyTorch: values, dtypes, shapes, every
n/s/dim/norm form, errors, printing, complex gradients (a real loss of complex values), double
backward, the graphs' node names, and the complex helpers (views, conj, angle, polar, ...)."""

import warnings

import numpy as np
import pytest
import torch

import ember
from parity import graph_of, same_error


def _np(t):
    t = t.detach()
    if isinstance(t, torch.Tensor):
        t = t.resolve_conj()
    return t.numpy()


def assert_close(e, t, rtol=1e-10, atol=1e-12):
    """Same shape, dtype and values (complex values compared as complex)."""
    assert isinstance(e, ember.Tensor), type(e)
    assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol)


def _tol(dtype):
    return (1e-10, 1e-12) if dtype in (np.float64, np.complex128) else (1e-5, 1e-5)


def _data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    if np.dtype(dtype).kind in "iu":
        a = rng.integers(-5, 6, shape)
    return a.astype(dtype)


def _both(a):
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2",
       "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}
DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.int64]


def _cases(names, dtypes, kws, fits=lambda name, kw: True):
    """(name, dtype, kw) for every combination that the transform takes (the real-only ones
    get real inputs; their refusal of complex input is tested with the errors)."""
    return [pytest.param(name, dtype, kw, id=f"{name}-{np.dtype(dtype).name}-{kw}")
            for name in names for dtype in dtypes for kw in kws
            if not (name in REAL_ONLY and np.dtype(dtype).kind == "c") and fits(name, kw)]


# -- values -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, dtype, kw", _cases(
    ONE_D, DTYPES, [{}, {"n": 8}, {"n": 3}, {"dim": 0}, {"n": 7, "dim": -2}, {"norm": "ortho"},
                    {"norm": "forward"}, {"norm": "backward"},
                    {"n": 5, "dim": 1, "norm": "ortho"}]))
def test_one_dim_values(name, dtype, kw):
    a = _data((4, 6), dtype)
    e, t = _both(a)
    rtol, atol = _tol(dtype)
    assert_close(getattr(ember.fft, name)(e, **kw), getattr(torch.fft, name)(t, **kw),
                 rtol, atol)


def _two_dims(name, kw):
    """The 2-d forms take two dims (or the default)."""
    return not name.endswith("2") or all(len(kw.get(k, (0, 0))) == 2 for k in ("s", "dim"))


@pytest.mark.parametrize("name, dtype, kw", _cases(
    N_D, DTYPES, [{}, {"s": (3, 8)}, {"dim": (0, 2)}, {"s": (5, -1), "dim": (2, 0)},
                  {"norm": "ortho"}, {"norm": "forward", "dim": (1,)},
                  {"s": (2, 3, 4), "norm": "forward"}, {"dim": (-1, 0, 1)}], _two_dims))
def test_n_dim_values(name, dtype, kw):
    a = _data((3, 4, 5), dtype)
    e, t = _both(a)
    rtol, atol = _tol(dtype)
    assert_close(getattr(ember.fft, name)(e, **kw), getattr(torch.fft, name)(t, **kw),
                 rtol, atol)


def test_non_contiguous_and_views():
    a = _data((6, 5), np.float64)
    e, t = _both(a)
    assert_close(ember.fft.fft(e.t(), dim=0), torch.fft.fft(t.t(), dim=0))
    assert_close(ember.fft.rfft2(e[::2, 1:]), torch.fft.rfft2(t[::2, 1:]))
    c = _data((4, 6), np.complex128)
    ec, tc = _both(c)
    assert_close(ember.fft.ifft(ec[:, ::2]), torch.fft.ifft(tc[:, ::2]))


def test_round_trips():
    a = _data((3, 8), np.float64)
    e = ember.from_numpy(a)
    np.testing.assert_allclose(ember.fft.irfft(ember.fft.rfft(e), n=8).numpy(), a, atol=1e-12)
    np.testing.assert_allclose(ember.fft.ifft(ember.fft.fft(e)).real.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(ember.fft.irfftn(ember.fft.rfftn(e), s=(3, 8)).numpy(), a,
                               atol=1e-12)
    np.testing.assert_allclose(ember.fft.hfft(ember.fft.ihfft(e), n=8).numpy(), a, atol=1e-12)


def test_dtypes():
    for dtype, want in [(ember.float32, ember.complex64), (ember.float64, ember.complex128),
                        (ember.int64, ember.complex64), (ember.bool, ember.complex64),
                        (ember.complex64, ember.complex64)]:
        assert ember.fft.fft(ember.ones(4, dtype=dtype)).dtype is want
    assert ember.fft.irfft(ember.ones(4, dtype=ember.complex128)).dtype is ember.float64
    assert ember.fft.hfft(ember.ones(4)).dtype is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.fft.fft(ember.arange(4)).dtype is ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)


def test_empty_batch():
    # PyTorch's CPU backend (MKL) fails on an empty batch; ember returns the empty result
    e = ember.zeros(0, 4, dtype=ember.float64)
    assert ember.fft.rfft(e).shape == (0, 3) and ember.fft.rfft(e).dtype is ember.complex128
    assert ember.fft.irfft(ember.fft.fft(e)).shape == (0, 6)


# -- errors -----------------------------------------------------------------------------------
def _errors(lib):
    x = lib.randn(4, 6)
    z = lib.randn(4, 6, dtype=lib.complex64)
    f = lib.fft
    return [
        lambda: f.fft(x, n=0), lambda: f.fft(x, n=-1), lambda: f.fft(x, dim=2),
        lambda: f.fft(x, norm="foo"), lambda: f.fft2(x, s=(2,), dim=(0, 1)),
        lambda: f.fftn(x, dim=(0, 0)), lambda: f.irfft(z, n=0),
        lambda: f.irfft(lib.randn(1, dtype=lib.complex64)), lambda: f.rfft(z),
        lambda: f.ihfft(z), lambda: f.fft2(lib.randn(3)), lambda: f.fftn(x, s=(2, 3, 4)),
        lambda: f.fft(lib.tensor(1.0)), lambda: f.fft([1.0, 2.0]), lambda: f.fftn(x, s=(0, 2)),
        lambda: f.rfftn(x, dim=()), lambda: f.irfftn(z, dim=()), lambda: f.fft(x, dim=(0,)),
        lambda: f.fft(x, n=2.5), lambda: f.fftshift(x, dim=3), lambda: f.fftfreq(-1),
        lambda: f.rfft(lib.ones(0)), lambda: f.fft(x, norm=1), lambda: f.rfft2(z),
        lambda: f.ihfftn(z), lambda: f.ihfft2(z), lambda: f.fft(lib.ones(4, dtype=lib.float16)),
        lambda: f.fftfreq(4, dtype=lib.int64), lambda: f.fftfreq(4, dtype=lib.complex64),
        lambda: f.hfftn(z, dim=()),
    ]


@pytest.mark.parametrize("i", range(len(_errors(torch))))
def test_errors(i):
    same_error(_errors(ember)[i], _errors(torch)[i])


# -- printing ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    lambda lib: lib.fft.fft(lib.arange(6.0)),
    lambda lib: lib.fft.rfft(lib.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 0.0, -1.0]])),
    lambda lib: lib.fft.fft(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64), norm="ortho"),
    lambda lib: lib.fft.ifft(lib.tensor([1 + 1j, 2 - 1j, 0.5j, -3.0])),
    lambda lib: lib.fft.fftfreq(5),
    lambda lib: lib.fft.rfftfreq(6, d=0.5),
    lambda lib: lib.fft.fftshift(lib.fft.fftfreq(6, dtype=lib.float64)),
])
def test_printing(case):
    e, t = case(ember), case(torch)
    assert str(e) == str(t).replace("torch.", "ember.")


def test_printing_with_grad_fn():
    x = ember.tensor([1.0, 2.0, 0.0, -1.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 0.0, -1.0], requires_grad=True)
    for f in ("fft", "rfft", "irfft", "ihfft"):
        e, t = getattr(ember.fft, f)(x), getattr(torch.fft, f)(tx)
        assert repr(e) == repr(t).replace("torch.", "ember.")


# -- gradients --------------------------------------------------------------------------------
def _loss(lib, out, w):
    """A real loss of the output: abs for complex results, weighted to avoid symmetries."""
    if out.is_complex():
        return (out.abs() * w[: out.numel()].reshape(out.shape)).sum() + (out.real * out.imag).sum()
    return (out * out * w[: out.numel()].reshape(out.shape)).sum()


def _grad_case(name, dtype, kw, shape=(3, 4)):
    a = _data(shape, dtype, seed=1)
    wgt = np.random.default_rng(2).uniform(0.5, 1.5, 200)
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        out = getattr(lib.fft, name)(x, **kw)
        w = lib.tensor(wgt, dtype=lib.float64 if dtype in (np.float64, np.complex128)
                       else lib.float32)
        (g,) = lib.autograd.grad(_loss(lib, out, w), x)
        grads.append(g)
    return grads


GRAD_CASES = [
    ("fft", {}), ("fft", {"n": 6, "norm": "ortho"}), ("fft", {"n": 3, "dim": 0}),
    ("ifft", {}), ("ifft", {"norm": "forward"}), ("rfft", {}), ("rfft", {"n": 7}),
    ("irfft", {}), ("irfft", {"n": 7, "norm": "ortho"}), ("irfft", {"n": 3}),
    ("hfft", {}), ("hfft", {"n": 5}), ("ihfft", {}), ("ihfft", {"n": 5, "dim": 0}),
    ("fft2", {}), ("ifft2", {"s": (2, 6)}), ("rfft2", {"norm": "forward"}),
    ("irfft2", {"s": (4, 5)}), ("hfft2", {}), ("ihfft2", {"s": (3, 3)}),
    ("fftn", {"dim": (0,)}), ("ifftn", {}), ("rfftn", {"s": (5, 4)}),
    ("irfftn", {"norm": "ortho"}), ("hfftn", {"s": (2, 6)}), ("ihfftn", {}),
    ("fftshift", {}), ("ifftshift", {"dim": 1}),
]


@pytest.mark.parametrize("name, dtype, kw", [
    p for name, kw in GRAD_CASES
    for p in _cases([name], [np.float64, np.complex128, np.float32], [kw])])
def test_gradients(name, kw, dtype):
    ge, gt = _grad_case(name, dtype, kw)
    rtol, atol = _tol(dtype)
    assert_close(ge, gt, rtol * 100, atol * 100)


@pytest.mark.parametrize("name, kw", [("fft", {}), ("rfft", {"n": 6}), ("irfft", {}),
                                      ("hfft", {"n": 5}), ("ihfftn", {}), ("fft2", {})])
def test_double_backward(name, kw):
    a = _data((3, 4), np.float64, seed=3)
    v = _data((3, 4), np.float64, seed=4)
    results = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        out = getattr(lib.fft, name)(x, **kw)
        loss = (out.abs() ** 3).sum() if out.is_complex() else (out ** 3).sum()
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        (gg,) = lib.autograd.grad((g * lib.tensor(v)).sum(), x)
        results.append((g, gg))
    assert_close(results[0][0], results[1][0], 1e-9, 1e-10)
    assert_close(results[0][1], results[1][1], 1e-9, 1e-10)


def test_loss_of_complex_intermediates_to_real_input():
    """loss = fft(x).abs().sum() backpropagates to a real x as in PyTorch."""
    a = _data((8,), np.float32, seed=5)
    ex = ember.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    ember.fft.fft(ex).abs().sum().backward()
    torch.fft.fft(tx).abs().sum().backward()
    assert_close(ex.grad, tx.grad, 1e-5, 1e-5)
    assert ex.grad.dtype is ember.float32


@pytest.mark.parametrize("name, dtype, kw", [
    p for name, kw in [
        ("fft", {}), ("fft", {"n": 8}), ("fft", {"n": 3}), ("ifft", {}), ("rfft", {}),
        ("irfft", {}), ("irfft", {"n": 9}), ("hfft", {}), ("ihfft", {}), ("fft2", {}),
        ("fftn", {"s": (5, 5)}), ("rfftn", {}), ("irfftn", {}), ("hfftn", {}), ("ihfftn", {}),
        ("ihfft2", {}), ("fftshift", {})]
    for p in _cases([name], [np.float64, np.complex128], [kw])])
def test_graph_names(name, dtype, kw):
    a = _data((4, 6), dtype)
    outs = [getattr(lib.fft, name)(lib.tensor(a, requires_grad=True), **kw)
            for lib in (ember, torch)]
    assert graph_of(outs[0].grad_fn) == graph_of(outs[1].grad_fn)


# -- fftfreq, rfftfreq, fftshift ----------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 4, 5, 8, 0])
@pytest.mark.parametrize("kw", [{}, {"d": 0.1}, {"dtype": "float64"}, {"d": 2.5,
                                                                       "dtype": "float64"}])
def test_freqs(n, kw):
    for f in ("fftfreq", "rfftfreq"):
        ek = dict(kw, **({"dtype": ember.float64} if "dtype" in kw else {}))
        tk = dict(kw, **({"dtype": torch.float64} if "dtype" in kw else {}))
        assert_close(getattr(ember.fft, f)(n, **ek), getattr(torch.fft, f)(n, **tk), 0, 0)


def test_freq_requires_grad():
    assert ember.fft.fftfreq(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), (-1,), [1, 0]])
def test_shifts(dim):
    e, t = _both(_data((5, 4), np.float64))
    assert_close(ember.fft.fftshift(e, dim), torch.fft.fftshift(t, dim), 0, 0)
    assert_close(ember.fft.ifftshift(e, dim=dim), torch.fft.ifftshift(t, dim=dim), 0, 0)
    assert_close(ember.fft.ifftshift(ember.fft.fftshift(e, dim), dim), t, 0, 0)


def test_out_argument():
    e, t = _both(_data((6,), np.float64))
    eo, to = ember.empty(0, dtype=ember.complex128), torch.empty(0, dtype=torch.complex128)
    r = ember.fft.fft(e, out=eo)
    torch.fft.fft(t, out=to)
    assert r is eo
    assert_close(eo, to)
    eo, to = ember.empty(4, dtype=ember.float64), torch.empty(4, dtype=torch.float64)
    with pytest.warns(UserWarning, match="was resized"):
        ember.fft.irfft(ember.fft.rfft(e), out=eo)
    with pytest.warns(UserWarning, match="was resized"):
        torch.fft.irfft(torch.fft.rfft(t), out=to)
    assert_close(eo, to)
    eo, to = ember.zeros(6, dtype=ember.complex64), torch.zeros(6, dtype=torch.complex64)
    ember.fft.fft(e.float(), out=eo)
    torch.fft.fft(t.float(), out=to)
    assert_close(eo, to, 1e-6, 1e-6)
    for f in ("fft2", "rfft2", "ihfft2", "ifft", "ihfft", "rfftn"):
        same_error(lambda: getattr(ember.fft, f)(ember.ones(4, 6), out=ember.empty(0)),
                   lambda: getattr(torch.fft, f)(torch.ones(4, 6), out=torch.empty(0)))
    for f in ("irfft2", "hfft2", "irfft", "hfftn"):
        same_error(
            lambda: getattr(ember.fft, f)(ember.ones(4, 6), out=ember.empty(0, dtype=ember.cfloat)),
            lambda: getattr(torch.fft, f)(torch.ones(4, 6), out=torch.empty(0, dtype=torch.cfloat)))


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "hfft", "fft2", "rfftn", "ihfftn"])
def test_out_refuses_autograd(name):
    def call(lib):
        complex_out = name not in ("irfft", "hfft")
        out = lib.empty(0, dtype=lib.complex64 if complex_out else lib.float32)
        return getattr(lib.fft, name)(lib.ones(4, 4, requires_grad=True), out=out)

    same_error(lambda: call(ember), lambda: call(torch))
    with ember.no_grad():
        out = ember.empty(0, dtype=ember.float32)
        ember.fft.irfft(ember.ones(4, requires_grad=True), out=out)
    assert not out.requires_grad and out.shape == (6,)


def test_shift_of_zero_dim():
    same_error(lambda: ember.fft.fftshift(ember.tensor(1.0)),
               lambda: torch.fft.fftshift(torch.tensor(1.0)))


def test_import_forms():
    import ember.fft as fft_module

    assert fft_module is ember.fft
    assert ember.fft.fft is fft_module.fft


# -- complex helpers --------------------------------------------------------------------------
def test_real_imag_are_writable_views():
    for lib in (ember, torch):
        z = lib.tensor([1 + 2j, 3 - 4j])
        z.real[0] = 10
        z.imag.mul_(2)
        v = lib.view_as_real(z)
        v[1, 0] = 7
        assert _np(z).tolist() == [10 + 4j, 7 - 8j]
        assert v.stride() == (2, 1) and v.is_contiguous()
    z = ember.tensor([1 + 2j, 3 - 4j])
    assert z.real._base is z and z.imag._base is z
    z.real = ember.tensor([5.0, 6.0])
    assert _np(z).tolist() == [5 + 2j, 6 - 4j]


def test_real_of_real_tensor():
    x = ember.tensor([1.0, -2.0])
    assert x.real is x
    same_error(lambda: ember.tensor([1.0]).imag, lambda: torch.tensor([1.0]).imag)
    assert ember.conj(x) is x


@pytest.mark.parametrize("case", [
    lambda lib: lib.view_as_complex(lib.tensor(1.0)),
    lambda lib: lib.view_as_complex(lib.randn(2, 4).t()),
    lambda lib: lib.view_as_complex(lib.randn(10)[1:7].view(3, 2)),
    lambda lib: lib.view_as_complex(lib.randn(5, 3)[:, :2]),
    lambda lib: lib.view_as_complex(lib.ones(3, 2, dtype=lib.int64)),
    lambda lib: lib.view_as_complex(lib.randn(3)),
    lambda lib: lib.view_as_real(lib.randn(3)),
    lambda lib: lib.complex(lib.randn(3), lib.randn(3, dtype=lib.float64)),
    lambda lib: lib.complex(lib.ones(3, dtype=lib.int64), lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.polar(lib.ones(2), lib.ones(2, dtype=lib.float64)),
    lambda lib: lib.complex(lib.ones(2), 1.0),
    lambda lib: lib.tensor([1j]).sign(),
    lambda lib: lib.tensor([1j]).floor(),
    lambda lib: lib.tensor([1j]).relu(),
    lambda lib: lib.maximum(lib.tensor([1j]), lib.tensor([1j])),
    lambda lib: lib.atan2(lib.tensor([1j]), lib.tensor([1j])),
    lambda lib: lib.tensor([1j]) < lib.tensor([1j]),
    lambda lib: lib.tensor([1j]).erf(),
    lambda lib: lib.tensor([1j, 2.0]).max(), lambda lib: lib.tensor([1j, 2.0]).max(0),
    lambda lib: lib.tensor([1j, 2.0]).amin(), lambda lib: lib.tensor([1j, 2.0]).argmax(),
    lambda lib: lib.tensor([1j, 2.0]).sort(), lambda lib: lib.tensor([1j, 2.0]).argsort(),
    lambda lib: lib.tensor([1j, 2.0]).topk(1), lambda lib: lib.tensor([1j, 2.0]).kthvalue(1),
    lambda lib: lib.tensor([1j, 2.0]).median(), lambda lib: lib.tensor([1j, 2.0]).cummax(0),
    lambda lib: lib.tensor([1j, 2.0]).nansum(), lambda lib: lib.tensor([1j, 2.0]).clamp(0, 1),
    lambda lib: lib.tensor([1j, 2.0]) // 2, lambda lib: lib.tensor([1j, 2.0]) % 2,
    lambda lib: lib.nn.functional.softmax(lib.tensor([1j, 2.0]), 0),
    lambda lib: lib.nn.functional.log_softmax(lib.tensor([[1j, 2.0]]), 0),
    lambda lib: lib.nn.functional.mse_loss(lib.tensor([1j]), lib.tensor([1j])),
    lambda lib: lib.nn.functional.gelu(lib.tensor([1j])),
    lambda lib: lib.nn.functional.elu(lib.tensor([1j])),
    lambda lib: lib.nn.functional.hardtanh(lib.tensor([1j])),
    lambda lib: lib.nn.functional.leaky_relu(lib.tensor([1j])),
    lambda lib: lib.nn.functional.dropout(lib.tensor([1j])),
    lambda lib: lib.nn.functional.silu(lib.tensor([1j], requires_grad=True)),
])
def test_complex_errors(case):
    same_error(lambda: case(ember), lambda: case(torch))


def test_view_as_complex_values_and_views():
    a = np.random.default_rng(6).standard_normal((3, 3, 2))
    e, t = _both(a)
    assert_close(ember.view_as_complex(e[:, 1:]), torch.view_as_complex(t[:, 1:]))
    c = ember.view_as_complex(e)
    c[0, 0] = 5 + 6j
    assert e[0, 0].tolist() == [5.0, 6.0]
    assert ember.view_as_complex(e).dtype is ember.complex128


@pytest.mark.parametrize("fn", [
    lambda lib, z: z.abs(), lambda lib, z: z.angle(), lambda lib, z: z.conj(),
    lambda lib, z: z.conj_physical(), lambda lib, z: lib.sgn(z), lambda lib, z: z.real,
    lambda lib, z: z.imag, lambda lib, z: lib.view_as_real(z), lambda lib, z: z * z.conj(),
    lambda lib, z: z.exp() / (z + 2), lambda lib, z: z ** 2, lambda lib, z: 2 ** z,
    lambda lib, z: z ** z, lambda lib, z: z.sqrt(), lambda lib, z: z.log(), lambda lib, z: 1 / z,
    lambda lib, z: z.sigmoid(), lambda lib, z: z.tanh(), lambda lib, z: z.prod(),
    lambda lib, z: z.cumprod(0), lambda lib, z: z.cumsum(0), lambda lib, z: z.mean(),
    lambda lib, z: lib.complex(z.real * 2, z.imag.sin()), lambda lib, z: z.square(),
    lambda lib, z: lib.polar(z.abs() + 1, z.real), lambda lib, z: z - z.real * 1j,
    lambda lib, z: lib.where(z.real > 0, z, z * 2), lambda lib, z: z[[0, 2]].flip(0),
    lambda lib, z: lib.cat([z, z * 1j]), lambda lib, z: z.to(lib.complex64),
    lambda lib, z: z.reshape(2, 2).logsumexp(0), lambda lib, z: z.var(),
    lambda lib, z: z.norm(), lambda lib, z: lib.nn.functional.tanh(z),
    lambda lib, z: lib.nn.functional.softsign(z), lambda lib, z: z.reshape(2, 2).prod(1),
])
def test_complex_gradients(fn):
    """The gradient of a real loss with respect to a complex leaf (PyTorch's convention)."""
    a = np.array([1 + 2j, 0.5 - 0.25j, -3 + 0.5j, 0.75 + 1j])
    grads = []
    for lib in (ember, torch):
        z = lib.tensor(a, requires_grad=True)
        out = fn(lib, z)
        w = lib.arange(1, out.numel() + 1, dtype=lib.float64).reshape(out.shape)
        loss = (out.abs() * w).sum() if out.is_complex() else (out * w).sum()
        (g,) = lib.autograd.grad(loss, z)
        grads.append(g)
    assert_close(grads[0], grads[1], 1e-6, 1e-9)


def test_real_input_through_complex_ops():
    a = np.array([0.5, -1.0, 2.0])
    grads = []
    for lib in (ember, torch):
        r = lib.tensor(a, requires_grad=True)
        loss = (r.to(lib.complex128) * (1 + 2j)).abs().sum() + (r * 1j).exp().real.sum()
        loss = loss + lib.complex(r, r * r).abs().sum() + lib.polar(r.exp(), r).imag.sum()
        (g,) = lib.autograd.grad(loss, r)
        grads.append(g)
    assert_close(grads[0], grads[1])
    assert grads[0].dtype is ember.float64


@pytest.mark.parametrize("case", [
    lambda lib: lib.angle(lib.tensor([-1.0, 0.0, 2.0, float("nan")])),
    lambda lib: lib.tensor([-1, 0, 2]).angle(),
    lambda lib: lib.tensor([0j, 1j, -1 + 0j, 3 - 4j]).angle(),
    lambda lib: lib.sgn(lib.tensor([0j, 3 - 4j])),
    lambda lib: lib.sgn(lib.tensor([-2.0, 0.0, 3.0])),
    lambda lib: lib.complex(lib.ones(2, 1), lib.zeros(3)),
    lambda lib: lib.polar(lib.tensor([1.0, 2.0]), lib.tensor([0.0, 1.5])),
    lambda lib: lib.tensor([1 + 2j, 3 - 1j]).conj(),
    lambda lib: lib.tensor([1 + 2j, 3 - 1j]).conj_physical(),
    lambda lib: lib.tensor([1 + 2j, 3 - 1j]).abs(),
    lambda lib: lib.tensor([1 + 2j, 3 - 1j], dtype=lib.complex128).real,
])
def test_helper_values(case):
    e, t = case(ember), case(torch)
    assert_close(e, t, 1e-6, 1e-7)
    assert str(e) == str(t.resolve_conj()).replace("torch.", "ember.")


def test_silu_values_of_complex():
    z = np.array([1 + 2j, -1 + 0.5j])
    assert_close(ember.nn.functional.silu(ember.tensor(z)),
                 torch.nn.functional.silu(torch.tensor(z)))


def test_is_complex():
    assert ember.is_complex(ember.zeros(2, dtype=ember.complex64))
    assert not ember.is_complex(ember.zeros(2))
    assert ember.zeros(1, dtype=ember.complex128).is_complex()


@pytest.mark.parametrize("write", [
    lambda lib, y, x: y.real.mul_(3),
    lambda lib, y, x: y.imag.__setitem__(0, 5.0),
    lambda lib, y, x: lib.view_as_real(y)[1].mul_(x.real[1]),
    lambda lib, y, x: y.imag.add_(x.abs()),
])
def test_inplace_through_real_views_with_autograd(write):
    """Writing a complex tensor's real or imaginary part in place is recorded (CopySlices)."""
    a = np.array([1 + 2j, 3 - 1j, 0.5 + 0.5j])
    results = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x * 2
        write(lib, y, x)
        (g,) = lib.autograd.grad((y.abs() * lib.tensor([1.0, 2.0, 3.0])).sum(), x,
                                 create_graph=True)
        (gg,) = lib.autograd.grad(g.abs().sum(), x)
        results.append((y, g, gg))
    for e, t in zip(*results):
        assert_close(e, t, 1e-9, 1e-12)
    assert results[0][0].grad_fn.name() == "ember::autograd::CopySlices"


def test_backward_from_a_complex_scalar_needs_a_gradient():
    for fn in (lambda lib, z: (z * z).sum().backward(),
               lambda lib, z: lib.autograd.grad((z * z).sum(), z)):
        same_error(lambda: fn(ember, ember.tensor([1 + 2j, 3 - 1j], requires_grad=True)),
                   lambda: fn(torch, torch.tensor([1 + 2j, 3 - 1j], requires_grad=True)))
    results = []
    for lib in (ember, torch):
        r = lib.tensor([1.0, 2.0, -0.5], requires_grad=True)
        y = lib.fft.fft(r)
        y.backward(lib.tensor([1 + 1j, 0.5j, -1.0]))
        results.append(r.grad)
    assert_close(results[0], results[1], 1e-6, 1e-6)


def test_inplace_complex_arithmetic():
    a = np.array([1 + 2j, 3 - 1j, 0.5j])
    grads = []
    for lib in (ember, torch):
        z = lib.tensor(a, requires_grad=True)
        w = lib.tensor(a[::-1].copy(), requires_grad=True)
        y = z * 1
        y.mul_(w)
        y.add_(z * 2j)
        y.div_(w + 3)
        y.sub_(1j)
        y.pow_(2)
        grads.append(lib.autograd.grad(y.abs().sum(), (z, w)))
    for e, t in zip(*grads):
        assert_close(e, t, 1e-9, 1e-12)
    same_error(lambda: ember.tensor([1.0, 2.0]).mul_(1j),
               lambda: torch.tensor([1.0, 2.0]).mul_(1j))


def test_python_numbers_from_complex_tensors():
    for fn in (lambda lib: complex(lib.tensor(1 + 2j)), lambda lib: float(lib.tensor(1.5 + 0j)),
               lambda lib: int(lib.tensor(2.5 + 0j)), lambda lib: lib.tensor([1 + 2j]).item()):
        assert fn(ember) == fn(torch)
    same_error(lambda: float(ember.tensor(1 + 2j)), lambda: float(torch.tensor(1 + 2j)))
    same_error(lambda: int(ember.tensor(1 + 2j)), lambda: int(torch.tensor(1 + 2j)))


def test_cast_of_complex_to_real_warns_and_keeps_the_real_part():
    x = np.array([1 + 2j, -3 + 0.5j])
    with pytest.warns(UserWarning, match="discards the imaginary part"):  # PyTorch warns once
        r = ember.tensor(x).to(ember.float64)
    assert r.tolist() == [1.0, -3.0]
    grads = []
    for lib in (ember, torch):
        z = lib.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = z.to(lib.float64)
        grads.append(lib.autograd.grad((y * y).sum(), z)[0])
    assert_close(grads[0], grads[1])
