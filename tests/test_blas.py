"""_blas.axpy: BLAS's y += alpha * x where it rounds once, and the emulation everywhere else.

The optimizers' bit-for-bit parity with PyTorch (test_optim_foreach.py, test_optim_more.py)
runs on whichever path this machine takes; these tests pin both paths to each other and the
BLAS path to exact arithmetic.
"""

import ctypes
from fractions import Fraction

import numpy as np
import pytest
import torch

import ember
from ember import _blas
from ember.optim import _fused

FUSES = {dt: _blas.fuses(np.dtype(dt)) for dt in (np.float32, np.float64)}


def _values(n, dt, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n) * 3).astype(dt), rng.standard_normal(n).astype(dt)


@pytest.mark.parametrize("n", [1, 2, 7, 16, 33, 64, 65, 1000, 30001])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_axpy_rounds_once(n, dt):
    if not FUSES[dt]:
        pytest.skip("this machine's BLAS does not fuse axpy: the emulation serves")
    x, y = _values(max(n, 1000), dt)
    alpha = dt(-0.0123456789)
    if dt == np.float32:
        want = (x.astype(np.float64) * float(alpha) + y).astype(np.float32)
    else:
        want = np.array([float(Fraction(float(alpha)) * Fraction(a) + Fraction(b))
                         for a, b in zip(x.tolist(), y.tolist())])
    assert not np.array_equal(y + alpha * x, want)  # the values tell fused from unfused apart
    out = y[:n].copy()
    assert _blas.axpy(alpha, x[:n], out)
    np.testing.assert_array_equal(out, want[:n])


def test_axpy_writes_c_into_y_first():
    x, c = _values(100, np.float32)
    y = np.full(100, 7.0, np.float32)
    if not FUSES[np.float32]:
        assert not _blas.axpy(np.float32(0.5), x, y, c)
        assert (y == 7).all()
        return
    assert _blas.axpy(np.float32(0.5), x, y, c)
    np.testing.assert_array_equal(y, (x.astype(np.float64) * 0.5 + c).astype(np.float32))


@pytest.mark.parametrize("case", ["zero alpha", "strided x", "strided y", "dtype", "overlap",
                                  "shape", "float16", "read-only", "c overlaps y"])
def test_axpy_declines_what_it_cannot_do_exactly(case):
    x, y = _values(64, np.float32)
    alpha, c = np.float32(0.5), None
    if case == "zero alpha":  # BLAS would skip the product and lose 0 * inf = nan
        alpha = np.float32(0)
        x[0] = np.inf
    elif case == "strided x":
        x = np.repeat(x, 2)[::2]
    elif case == "strided y":
        y = np.repeat(y, 2)[::2]
    elif case == "dtype":
        x = x.astype(np.float64)
    elif case == "overlap":
        buf = np.concatenate([x, y])
        x, y = buf[:64], buf[32:96]
    elif case == "shape":
        x = x.reshape(8, 8)
    elif case == "float16":
        x, y = x.astype(np.float16), y.astype(np.float16)
        alpha = np.float16(0.5)
    elif case == "read-only":
        y.flags.writeable = False
    elif case == "c overlaps y":
        buf = np.concatenate([y, y])
        y, c = buf[:64], buf[32:96]
    before = y.copy()
    assert not _blas.axpy(alpha, x, y, c)
    np.testing.assert_array_equal(y, before)


def test_unfused_or_missing_kernels_are_refused():
    assert _blas._verified(None, np.dtype(np.float32)) is None

    def two_roundings(n, alpha, xp, incx, yp, incy):  # what a BLAS without fma computes
        x = np.ctypeslib.as_array(ctypes.cast(xp, ctypes.POINTER(ctypes.c_float)), (n,))
        y = np.ctypeslib.as_array(ctypes.cast(yp, ctypes.POINTER(ctypes.c_float)), (n,))
        y += np.float32(alpha) * x

    assert _blas._verified(two_roundings, np.dtype(np.float32)) is None


@pytest.fixture
def without_blas(monkeypatch):
    monkeypatch.setattr(_blas, "_kernels", {np.dtype(np.float32): None,
                                            np.dtype(np.float64): None})
    return monkeypatch


def _train(name, kw, dtype, steps=4):
    gen = np.random.default_rng(3)
    shapes = [(300, 70), (70,), (5, 3), ()]
    params = [ember.tensor(gen.standard_normal(s), dtype=dtype, requires_grad=True)
              for s in shapes]
    opt = getattr(ember.optim, name)(params, **kw)
    for _ in range(steps):
        for p in params:
            p.grad = ember.tensor(gen.standard_normal(p.shape), dtype=dtype)
        opt.step()
    return [p.detach().numpy().copy() for p in params]


OPTIMIZERS = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
              ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, dampening=0)),
              ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01, weight_decay=0.1)),
              ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)), ("Adamax", {}),
              ("ASGD", dict(lr=0.1, weight_decay=0.1)), ("NAdam", {}), ("Adadelta", {})]


@pytest.mark.parametrize("case", OPTIMIZERS, ids=lambda c: c[0] + str(sorted(c[1])))
def test_emulation_and_blas_give_the_same_float32_steps(case, without_blas):
    if not FUSES[np.float32]:
        pytest.skip("this machine's BLAS does not fuse axpy: only the emulation runs here")
    emulated = _train(*case, ember.float32)
    without_blas.undo()
    fused = _train(*case, ember.float32)
    for a, b in zip(emulated, fused):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", [c for c in OPTIMIZERS if c[0] in ("SGD", "Adamax", "ASGD")],
                         ids=lambda c: c[0] + str(sorted(c[1])))
def test_float64_steps_are_pytorch_bit_for_bit(case):
    """PyTorch fuses ``a + alpha * b`` for double too; so does BLAS's daxpy."""
    if not FUSES[np.float64]:
        pytest.skip("this machine's BLAS does not fuse daxpy: float64 rounds twice here")
    name, kw = case
    gen = np.random.default_rng(5)
    arrays = [gen.standard_normal(s) for s in [(300, 70), (70,), ()]]
    grads = [[gen.standard_normal(a.shape) for a in arrays] for _ in range(4)]
    results = []
    for lib in (ember, torch):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        opt = getattr(lib.optim, name)(params, **kw)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = lib.tensor(g.copy())
            opt.step()
        results.append([p.detach().numpy().copy() for p in params])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_fma_falls_back_for_what_axpy_declines():
    """A multiplier array, a strided block or float16 still round once, by the emulation."""
    x, y = _values(64, np.float32)
    out = np.empty_like(y)
    block = _fused_block(out)
    a = np.linspace(-1, 1, 64, dtype=np.float32)
    _fused.fma_(out, a, x, y, block)
    np.testing.assert_array_equal(
        out, (a.astype(np.float64) * x + y).astype(np.float32))


def _fused_block(p):
    from ember.optim._foreach import Block, _Scratch

    return Block(p, None, {}, _Scratch(1 << 10))


ALPHA_OPS = [
    ("add", lambda lib, a, b: a.add(b, alpha=-0.0123)),
    ("sub", lambda lib, a, b: lib.sub(a, b, alpha=0.37)),
    ("add_", lambda lib, a, b: a.clone().add_(b, alpha=-0.0123)),
    ("sub_", lambda lib, a, b: a.clone().sub_(b, alpha=3)),
    ("add, recorded", lambda lib, a, b: a.clone().requires_grad_().add(b, alpha=0.1).detach()),
]


@pytest.mark.parametrize("op", ALPHA_OPS, ids=lambda o: o[0])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_add_with_alpha_is_pytorch_bit_for_bit(op, dt):
    """x.add(y, alpha=a) is one fused multiply-add per element in PyTorch's kernel (the manual
    SGD step p.add_(g, alpha=-lr)); ember's matches it where axpy fuses."""
    if not FUSES[dt]:
        pytest.skip("this machine's BLAS does not fuse axpy: alpha * y and the sum round apart")
    x, y = _values(5000, dt, seed=7)
    _, fn = op
    got = fn(ember, ember.from_numpy(x.copy()), ember.from_numpy(y.copy())).numpy()
    want = fn(torch, torch.from_numpy(x.copy()), torch.from_numpy(y.copy())).numpy()
    np.testing.assert_array_equal(got, want)


def test_add_inplace_with_alpha_writes_through_views_and_counts_the_version():
    base = ember.zeros(4, 5)
    row = base[1]
    v = base._version[0]
    row.add_(ember.ones(5), alpha=0.25)
    base.sub_(ember.ones(4, 5), alpha=0.5)
    assert base._version[0] - v == 2
    np.testing.assert_array_equal(base.numpy()[1], np.full(5, -0.25, np.float32))
    np.testing.assert_array_equal(base.numpy()[0], np.full(5, -0.5, np.float32))
    w = ember.ones(3, requires_grad=True)  # PyTorch's leaf rule still holds
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(ember.ones(3), alpha=2.0)
