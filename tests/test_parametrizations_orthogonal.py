"""Parity tests for nn.utils.parametrizations.orthogonal against PyTorch: the three maps and
the default choice, with and without the dynamic trivialization, square, tall, wide and batched
weights, the weight after registration and after SGD steps from the same start, assignments
(right_inverse), state_dict keys, repr and errors."""

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, same_error

MAPS = [None, "matrix_exp", "cayley", "householder"]


class _Batched:
    """A module holding a batch of matrices as its weight, for both libraries."""

    @staticmethod
    def make(T, shape):
        class M(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = T.nn.Parameter(T.randn(*shape, dtype=T.float64))

            def forward(self, x):
                return x @ self.weight

        return M()


def _train(T, shape, orthogonal_map, use_trivialization, steps=3, batched=False):
    """Register the parametrization on the same start and take a few SGD steps."""
    T.manual_seed(0)
    if batched:
        mod = _Batched.make(T, shape)
        x = T.arange(2 * 4 * shape[-2], dtype=T.float64).reshape(2, 4, shape[-2]) / 10
    else:
        mod = T.nn.Linear(shape[1], shape[0]).double()
        x = T.arange(4 * shape[1], dtype=T.float64).reshape(4, shape[1]) / 10
    T.nn.utils.parametrizations.orthogonal(mod, orthogonal_map=orthogonal_map,
                                           use_trivialization=use_trivialization)
    first = mod.weight.detach().clone()
    opt = T.optim.SGD(mod.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        mod(x).pow(2).sum().backward()
        opt.step()
    grad = mod.parametrizations.weight.original.grad
    return first, mod.weight.detach(), grad, mod


@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7)])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_weights_and_training_match_torch(shape, orthogonal_map, use_trivialization):
    e = _train(ember, shape, orthogonal_map, use_trivialization)
    t = _train(torch, shape, orthogonal_map, use_trivialization)
    for a, b in zip(e[:3], t[:3]):
        assert_same(a, b, 1e-9, 1e-10)
    assert list(e[3].state_dict()) == list(t[3].state_dict())
    # orthonormal columns (tall, square) or rows (wide)
    W = e[1].numpy()
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_batched_weights(orthogonal_map):
    for use_trivialization in (True, False):
        e = _train(ember, (2, 5, 3), orthogonal_map, use_trivialization, batched=True)
        t = _train(torch, (2, 5, 3), orthogonal_map, use_trivialization, batched=True)
        for a, b in zip(e[:3], t[:3]):
            assert_same(a, b, 1e-9, 1e-10)


def test_default_map_float32_and_repr():
    for shape, want in (((4, 4), "matrix_exp"), ((4, 6), "householder"), ((6, 4), "householder")):
        em = ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(shape[1], shape[0]))
        assert em.parametrizations.weight[0].orthogonal_map.name == want
    ember.manual_seed(1)
    torch.manual_seed(1)
    em = ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(3, 4))
    tm = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(3, 4))
    assert repr(em) == repr(tm)
    assert_same(em.weight, tm.weight, 1e-5, 1e-6)
    assert tuple(em.parametrizations.weight[0].base.shape) == (4, 4)
    assert em.parametrizations.weight[0].base.dtype == ember.float32


def _assign(T, shape, value, orthogonal_map=None, use_trivialization=True):
    T.manual_seed(2)
    mod = T.nn.utils.parametrizations.orthogonal(
        T.nn.Linear(shape[1], shape[0]).double(), orthogonal_map=orthogonal_map,
        use_trivialization=use_trivialization)
    mod.weight = value(T)
    return mod.weight, mod.parametrizations.weight.original


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6)])
def test_assignment_uses_right_inverse(shape):
    def orthonormal(T):
        Q = T.linalg.qr(T.randn(max(shape), min(shape), dtype=T.float64)).Q
        return Q if shape[0] >= shape[1] else Q.mT

    def anything(T):
        return T.randn(*shape, dtype=T.float64)

    def identity(T):
        return T.eye(*shape, dtype=T.float64)

    for value in (orthonormal, anything, identity):
        assert_same(_assign(ember, shape, value), _assign(torch, shape, value), 1e-9, 1e-10)
        # without the trivialization only the Householder map can be assigned to
        e = _assign(ember, shape, value, "householder", False)
        t = _assign(torch, shape, value, "householder", False)
        assert_same(e, t, 1e-9, 1e-10)


def test_gradients_flow_to_the_original():
    e = _train(ember, (5, 5), "cayley", True, steps=1)[3]
    t = _train(torch, (5, 5), "cayley", True, steps=1)[3]
    assert e.parametrizations.weight[0].base.grad is None
    assert t.parametrizations.weight[0].base.grad is None
    assert_same(e.parametrizations.weight[0].base, t.parametrizations.weight[0].base, 1e-9, 1e-12)


def test_errors():
    def pair(fn):
        def run(T):
            T.manual_seed(0)
            return fn(T, T.nn.utils.parametrizations.orthogonal)

        return same_error(lambda: run(ember), lambda: run(torch))

    pair(lambda T, o: o(T.nn.Linear(3, 3), "foo"))
    pair(lambda T, o: o(T.nn.Linear(3, 3), orthogonal_map="qr"))
    pair(lambda T, o: o(T.nn.Linear(3, 3), name="bias"))
    pair(lambda T, o: o(T.nn.Linear(3, 3, dtype=T.complex64), orthogonal_map="householder"))
    pair(lambda T, o: setattr(o(T.nn.Linear(3, 4)), "weight", T.eye(3)))
    pair(lambda T, o: setattr(o(T.nn.Linear(4, 4), use_trivialization=False), "weight",
                              T.eye(4)))
    pair(lambda T, o: setattr(o(T.nn.Linear(4, 4), "weight", "cayley", use_trivialization=False),
                              "weight", T.eye(4)))
