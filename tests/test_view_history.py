"""A view made before its base changed in place takes PyTorch's regenerated history.

PyTorch gives such a view a new grad_fn (AsStridedBackward0 from the base) when it is next
used, so the gradient through it sees the in-place change. Each case runs the same code on
both libraries and compares the view's grad_fn name, requires_grad and the leaf's gradient.
"""

import numpy as np
import pytest
import torch

import ember


def _sibling(m, a):
    x = a.clone()
    v1, v2 = x[0], x[0]
    v2.mul_(3)
    return v1


def _view_of_view(m, a):
    x = a.clone()
    v1 = x.t()
    v1[0].mul_(3)
    return v1


def _base_changed(m, a):
    x = a.clone()
    v = x[1]
    x.mul_(5)
    return v * v


def _base_changed_exp(m, a):
    x = a.clone()
    v = x[:, 1]
    x.add_(a)
    return m.exp(v)


def _base_under_no_grad(m, a):
    x = a.clone()
    v = x[0:1]
    with m.no_grad():
        x.mul_(2)
    return v * 2


def _two_writes(m, a):
    x = a.clone()
    v = x.view(-1)
    x[0].zero_()
    x[:, 1].mul_(4)
    return v


def _fill_diagonal_transposed(m, a):
    y = a.clone().t()
    y.fill_diagonal_(2.0)
    return y


def _fill_diagonal_wrap(m, a):
    y = a.repeat(3, 1)
    y.fill_diagonal_(-1.0, wrap=True)
    return y


CASES = {f.__name__[1:]: f for f in (
    _sibling, _view_of_view, _base_changed, _base_changed_exp, _base_under_no_grad,
    _two_writes, _fill_diagonal_transposed, _fill_diagonal_wrap)}


@pytest.mark.parametrize("name", list(CASES))
def test_view_history_matches_pytorch(name):
    a0 = np.arange(1.0, 7.0).reshape(2, 3) / 3
    got = []
    for m in (ember, torch):
        a = m.tensor(a0, requires_grad=True)
        out = CASES[name](m, a)
        fn = out.grad_fn.name().replace("torch::", "ember::") if out.grad_fn else None
        weights = m.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        got.append((fn, out.requires_grad, out.detach().numpy().copy(), a.grad.numpy().copy()))
    (efn, ereq, eval_, egrad), (tfn, treq, tval, tgrad) = got
    assert efn == tfn
    assert ereq == treq
    np.testing.assert_allclose(eval_, tval)
    np.testing.assert_allclose(egrad, tgrad)


def test_view_of_a_base_that_starts_requiring_grad():
    for m in (ember, torch):
        w = m.ones(3, requires_grad=True)
        x = m.zeros(3)
        v = x[0:2]
        x.add_(w)
        assert v.requires_grad and not v.is_leaf
        assert v.grad_fn.name() == "AsStridedBackward0"
