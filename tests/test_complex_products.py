"""Matrix products of complex tensors against PyTorch: values and gradients (the gradient
goes through the other factor's conjugate; vdot conjugates its first factor)."""

import numpy as np
import pytest
import torch

import ember

rng = np.random.default_rng(0)


def _c(*shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


A, B, V, W = _c(3, 4), _c(4, 2), _c(4), _c(4)
A3, B3 = _c(2, 3, 4), _c(2, 4, 2)

CASES = {
    "mm": lambda L, a, b, v, w: a @ b,
    "matmul_batched": lambda L, a, b, v, w: L.matmul(a.unsqueeze(0).expand(2, 3, 4), b),
    "mv": lambda L, a, b, v, w: L.mv(a, v),
    "dot": lambda L, a, b, v, w: L.dot(v, w),
    "vdot": lambda L, a, b, v, w: L.vdot(v, w),
    "outer": lambda L, a, b, v, w: L.outer(v, w),
    "einsum": lambda L, a, b, v, w: L.einsum("ij,jk->ik", a, b),
    "linear": lambda L, a, b, v, w: L.nn.functional.linear(a, b.T),
    "addmm": lambda L, a, b, v, w: L.addmm(L.ones(3, 2, dtype=L.complex128), a, b),
}


def _run(L, fn, arrays):
    ts = [L.tensor(x).requires_grad_() for x in arrays]
    y = fn(L, *ts)
    loss = (y * y.conj()).real.sum() + y.real.sum() * 0.3 + y.imag.sum()
    loss.backward()
    return [y.detach().numpy()] + [t.grad.numpy() for t in ts if t.grad is not None]


@pytest.mark.parametrize("name", sorted(CASES))
def test_complex_product_values_and_gradients(name):
    got = _run(ember, CASES[name], (A, B, V, W))
    want = _run(torch, CASES[name], (A, B, V, W))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_complex_bmm():
    got = _run(ember, lambda L, a, b: L.bmm(a, b), (A3, B3))
    want = _run(torch, lambda L, a, b: L.bmm(a, b), (A3, B3))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
