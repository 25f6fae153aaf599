"""The first-order backward on arrays: the same gradients, hooks and errors as the Tensor path.

A backward without create_graph runs the nodes on raw arrays; these cases check what passes
out of the engine (``.grad``, autograd.grad's results, what hooks see) against PyTorch.
"""

import numpy as np
import pytest
import torch

import ember


def both(fn):
    return fn(ember), fn(torch)


def same(a, b):
    assert type(a).__name__ == "Tensor" or a is None
    if b is None:
        assert a is None
        return
    assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_broadcast_and_dtype_reductions():
    def run(lib):
        w = lib.tensor([[1.5], [2.0]], requires_grad=True)
        b = lib.tensor(0.5, requires_grad=True)
        h = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        x = lib.arange(6.0).reshape(2, 3)
        loss = ((w * x + b) ** 2).mean() + (h.float() * 3).sum()
        loss.backward()
        return w.grad, b.grad, h.grad

    for a, t in zip(*both(run)):
        same(a, t)


def test_zero_dim_gradients_sum_to_arrays():
    def run(lib):
        x = lib.tensor(2.0, requires_grad=True)
        y = x * x + x * 3 + x.exp()
        y.backward()
        return x.grad

    a, t = both(run)
    same(a, t)
    assert a._data.__class__ is np.ndarray


def test_complex_op_gives_real_input_the_real_part():
    def run(lib):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        z = x * lib.tensor([1 + 2j, 3 - 1j])
        (z * z.conj()).real.sum().backward()
        return x.grad

    same(*both(run))


def test_hooks_see_tensors_and_may_replace_gradients():
    def run(lib):
        seen = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: seen.append(type(g).__name__) or g * 10)
        y.retain_grad()
        z = y.sin()
        z.grad_fn.register_prehook(lambda gs: (gs[0] + 1,))
        z.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
        x.register_hook(lambda g: g + 0.5)
        z.sum().backward()
        return x.grad, y.grad, seen

    (xa, ya, sa), (xt, yt, st) = both(run)
    same(xa, xt)
    same(ya, yt)
    assert sa == st


def test_grad_returns_the_given_gradient_itself():
    for lib in (ember, torch):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        v = lib.ones(3)
        (g,) = lib.autograd.grad(y, y, v)
        assert g is v
        (g,) = lib.autograd.grad(y, x, v)
        assert g is not v


def test_leaf_gradient_never_aliases_a_given_gradient():
    for lib in (ember, torch):
        x = lib.zeros(3, requires_grad=True)
        v = lib.ones(3)
        (x + 0).backward(v)
        v.add_(1)
        assert x.grad.tolist() == [1.0, 1.0, 1.0]
        (x + 0).backward(v)  # accumulates in place into the existing .grad
        assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_shared_gradient_two_leaves_each_get_their_own():
    for lib in (ember, torch):
        a = lib.zeros(2, requires_grad=True)
        b = lib.zeros(2, requires_grad=True)
        (a + b).sum().backward()
        a.grad.add_(5)
        assert b.grad.tolist() == [1.0, 1.0]


def test_inplace_modification_error_and_freed_graph():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y * y
        y.add_(1)
        with pytest.raises(RuntimeError) as e1:
            z.sum().backward()
        w = (x * x).sum()
        w.backward()
        with pytest.raises(RuntimeError) as e2:
            w.backward()
        return str(e1.value).split("Hint")[0], str(e2.value)

    (a1, a2), (t1, t2) = both(run)
    assert a1.replace("ember", "torch") == t1
    assert a2 == t2


def test_custom_function_runs_through_the_adapter():
    def run(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x * x

        x = lib.tensor([1.0, -2.0], requires_grad=True)
        (Cube.apply(x) * 2).sum().backward()
        return x.grad

    same(*both(run))


def test_grad_on_the_array_path_matches_create_graph():
    x = ember.tensor([0.3, -1.2, 2.0], requires_grad=True)
    f = (x.tanh() ** 2).sum()
    (g1,) = ember.autograd.grad(f, x, retain_graph=True)
    (g2,) = ember.autograd.grad(f, x, create_graph=True)
    np.testing.assert_allclose(g1.numpy(), g2.detach().numpy(), rtol=1e-6)
    assert not g1.requires_grad and g2.requires_grad
