"""Parity tests for sorting, selection and the cumulative max/min/logsumexp, and logaddexp:
options, ties, nan, dtypes, 0-d and empty inputs, errors, graphs and double backward.

tests/opinfo.py holds their entries for the generic checks (values, gradients, gradcheck,
gradgradcheck, grad_fn names, float32); this file covers what those samples do not.
"""

import math

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, same_error
from test_reduction import check, check_or_error

NAN, INF = math.nan, math.inf
RNG = np.random.default_rng(4321)

INTS = [np.int8, np.uint8, np.int16, np.int32, np.int64]
ALL = [np.bool_, *INTS, np.float16, np.float32, np.float64]


def _pair(a):
    a = np.asarray(a)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def _ties(dtype, shape=(3, 7)):
    """Few distinct values (many ties), nan and signed zeros for floats."""
    if dtype == np.bool_:
        return RNG.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(0, 3, shape).astype(dtype)
    a = RNG.choice([-1.0, -0.0, 0.0, 2.5, NAN], shape)
    return a.astype(dtype)


# -- sort, argsort, msort --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_ties_are_stable(dtype, descending, dim):
    # PyTorch's CPU sort keeps equal values in order of appearance, stable=True or not
    e, t = _pair(_ties(dtype))
    for kw in ({}, {"stable": True}, {"stable": False}):
        assert_same(ember.sort(e, dim, descending, **kw) if not kw else
                    ember.sort(e, dim=dim, descending=descending, **kw),
                    torch.sort(t, dim, descending) if not kw else
                    torch.sort(t, dim=dim, descending=descending, **kw), 0, 0)
        assert_same(ember.argsort(e, dim=dim, descending=descending, **kw),
                    torch.argsort(t, dim=dim, descending=descending, **kw), 0, 0)
    assert_same(e.sort(dim, descending), t.sort(dim, descending), 0, 0)
    assert_same(e.argsort(dim, descending), t.argsort(dim, descending), 0, 0)
    assert_same(ember.msort(e), torch.msort(t), 0, 0)
    assert_same(e.msort(), t.msort(), 0, 0)


def test_sort_nan_is_largest():
    x = [3.0, NAN, -INF, 1.0, NAN, INF, -0.0, 0.0]
    for desc in (False, True):
        check(lambda lib, t: lib.sort(t, descending=desc), np.array(x))
        check(lambda lib, t: t.sort(dim=0, descending=desc, stable=True), np.array(x))


@pytest.mark.parametrize("shape, dim", [((), 0), ((), -1), ((0,), 0), ((0, 3), 1), ((2, 0), 0),
                                        ((2, 3, 4), 1)])
def test_sort_shapes(shape, dim):
    x = RNG.standard_normal(shape)
    check(lambda lib, t: lib.sort(t, dim), x)
    check(lambda lib, t: lib.sort(t, dim=dim, descending=True, stable=True), x)
    check(lambda lib, t: lib.argsort(t, dim), x)
    check(lambda lib, t: lib.msort(t), x)


def test_sort_graph():
    e, t = _pair(RNG.standard_normal((2, 3)))
    e.requires_grad_(True)
    t.requires_grad_(True)
    for kw, name in (({}, "SortBackward0"), ({"stable": True}, "SortBackward1"),
                     ({"stable": None}, "SortBackward1")):
        ve, ie = ember.sort(e, dim=1, **kw)
        vt, it = torch.sort(t, dim=1, **kw)
        assert type(ve.grad_fn).__name__ == name == vt.grad_fn.name()
        assert ie.grad_fn is None and not ie.requires_grad
        assert len(ve.grad_fn.next_functions) == len(vt.grad_fn.next_functions) == 1
        assert type(ve.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
        assert ve.grad_fn._saved_dim == vt.grad_fn._saved_dim
        assert tuple(ve.grad_fn._saved_self_sym_sizes) == vt.grad_fn._saved_self_sym_sizes
        assert_same(ve.grad_fn._saved_indices, vt.grad_fn._saved_indices, 0, 0)
    assert type(ember.msort(e).grad_fn).__name__ == torch.msort(t).grad_fn.name()
    assert ember.argsort(e).grad_fn is None


def test_sort_return_type():
    r = ember.sort(ember.tensor([2.0, 1.0]))
    assert type(r).__name__ == "sort" and type(r).__module__ == "ember.return_types"
    assert r.values is r[0] and r.indices is r[1]
    assert repr(r).startswith("ember.return_types.sort(\nvalues=tensor([1., 2.])")
    assert type(ember.topk(ember.tensor([2.0]), 1)).__name__ == "topk"
    assert type(ember.kthvalue(ember.tensor([2.0]), 1)).__name__ == "kthvalue"
    assert type(ember.cummax(ember.tensor([2.0]), 0)).__name__ == "cummax"
    assert type(ember.cummin(ember.tensor([2.0]), 0)).__name__ == "cummin"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sort_backward_with_ties(dtype):
    # the indices are deterministic (stable), so the gradient is too
    x = np.array([[1.0, 2.0, 1.0, 0.5, 2.0], [3.0, 3.0, 3.0, -1.0, 3.0]], dtype)
    check(lambda lib, t: lib.sort(t, 1), x)
    check(lambda lib, t: lib.sort(t, dim=0, descending=True, stable=True), x)
    check(lambda lib, t: lib.msort(t), x)


def test_saved_indices_modified_in_place():
    for fn in (lambda lib, t: lib.sort(t), lambda lib, t: lib.topk(t, 2),
               lambda lib, t: lib.kthvalue(t, 2), lambda lib, t: lib.cummax(t, 0)):
        def run(lib, fn=fn):
            x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
            values, indices = fn(lib, x)
            indices.add_(0)
            values.sum().backward()

        same_error(lambda: run(ember), lambda: run(torch))


def test_sort_arguments():
    x = RNG.standard_normal((2, 3))
    check_or_error(lambda lib, t: lib.sort(t, 2), x)
    check_or_error(lambda lib, t: lib.sort(t, -3), x)
    check_or_error(lambda lib, t: lib.argsort(t, 2), x)
    check_or_error(lambda lib, t: lib.sort(t, axis=0), x)
    check_or_error(lambda lib, t: lib.argsort(t, axis=0, descending=True), x)
    check_or_error(lambda lib, t: lib.sort(t.reshape(()), 1), np.array(1.0))
    # with stable, dim and descending are keywords only (PyTorch's sort.stable overload)
    check_or_error(lambda lib, t: lib.sort(t, 0, True, stable=True), x)
    check_or_error(lambda lib, t: lib.sort(t, 0, stable=False, descending=True), x)
    check_or_error(lambda lib, t: lib.sort(t, 0, True, True), x)
    check_or_error(lambda lib, t: lib.argsort(t, 0, stable=True), x)
    check_or_error(lambda lib, t: lib.sort(t, 0, axis=0, stable=True), x)
    check_or_error(lambda lib, t: lib.sort(t, 0, dim=0), x)


# -- topk ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [*INTS, np.float16, np.float32, np.float64])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_dtypes(dtype, largest):
    x = RNG.permutation(60).reshape(3, 20).astype(dtype)  # no ties
    for k, dim in ((3, 1), (2, 0), (1, -1), (20, 1), (0, 1)):
        check(lambda lib, t: lib.topk(t, k, dim, largest), x)
        check(lambda lib, t: t.topk(k, dim=dim, largest=largest, sorted=True), x)


def test_topk_nan_is_largest():
    x = np.array([1.0, NAN, 3.0, -INF, INF, 2.0])
    for k in range(7):
        check(lambda lib, t: lib.topk(t, k), x)
        check(lambda lib, t: lib.topk(t, k, largest=False), x)


def test_topk_ties_and_unsorted():
    # PyTorch's picks among equal values, and its order with sorted=False, follow its selection
    # algorithm: ember's values agree, as sets for sorted=False
    x = np.array([[1.0, 5.0, 5.0, 2.0, 5.0, 0.0], [4.0, 3.0, 9.0, 1.0, 7.0, 8.0]])
    e, t = _pair(x)
    for kw in ({}, {"largest": False}):
        assert_same(ember.topk(e, 2, **kw).values, torch.topk(t, 2, **kw).values, 0, 0)
    ve, ie = ember.topk(e, 4, sorted=False)
    vt, _ = torch.topk(t, 4, sorted=False)
    np.testing.assert_array_equal(np.sort(ve.numpy(), 1), np.sort(vt.numpy(), 1))
    np.testing.assert_array_equal(np.take_along_axis(x, ie.numpy(), 1), ve.numpy())


def test_topk_shapes_and_errors():
    x = RNG.standard_normal((2, 3))
    for fn in (lambda lib, t: lib.topk(t, 4), lambda lib, t: lib.topk(t, -1),
               lambda lib, t: lib.topk(t, 3, 0), lambda lib, t: lib.topk(t, 1, 2),
               lambda lib, t: lib.topk(t, 1, -3), lambda lib, t: lib.topk(t, 2.0),
               lambda lib, t: lib.topk(t, True), lambda lib, t: lib.topk(t > 0, 1),
               lambda lib, t: lib.topk(t, 1, axis=0), lambda lib, t: t.topk(2, 1, False, False)):
        check_or_error(fn, x)
    zero_d = np.array(1.5)
    for k in (0, 1, 2):  # PyTorch gives a 0-d input's element for k = 0 as well
        check_or_error(lambda lib, t: lib.topk(t, k), zero_d)
    check_or_error(lambda lib, t: lib.topk(t, 1, 1), zero_d)
    empty = np.zeros((0, 3))
    check_or_error(lambda lib, t: lib.topk(t, 0, 0), empty)
    check_or_error(lambda lib, t: lib.topk(t, 1, 0), empty)
    check_or_error(lambda lib, t: lib.topk(t, 2, 1), empty)


# -- kthvalue --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [*INTS, np.float16, np.float32, np.float64])
def test_kthvalue_dtypes(dtype):
    x = RNG.permutation(60).reshape(3, 4, 5).astype(dtype)  # no ties
    for k, dim, keepdim in ((1, -1, False), (5, 2, True), (2, 0, False), (4, 1, True)):
        check(lambda lib, t: lib.kthvalue(t, k, dim, keepdim), x)
        check(lambda lib, t: t.kthvalue(k, dim=dim, keepdim=keepdim), x)


def test_kthvalue_nan_is_largest():
    x = np.array([[1.0, NAN, 3.0, -INF, 2.0], [NAN, 0.0, NAN, 5.0, 1.0]])
    for k in range(1, 6):
        check(lambda lib, t: lib.kthvalue(t, k), x)


def test_kthvalue_shapes_and_errors():
    x = RNG.standard_normal((2, 3))
    for fn in (lambda lib, t: lib.kthvalue(t, 0), lambda lib, t: lib.kthvalue(t, 4),
               lambda lib, t: lib.kthvalue(t, -1), lambda lib, t: lib.kthvalue(t, 3, 0),
               lambda lib, t: lib.kthvalue(t, 1, 2), lambda lib, t: lib.kthvalue(t, 1, -3),
               lambda lib, t: lib.kthvalue(t, 1.0), lambda lib, t: lib.kthvalue(t, True),
               lambda lib, t: lib.kthvalue(t > 0, 1), lambda lib, t: lib.kthvalue(t),
               lambda lib, t: lib.kthvalue(t, 2, axis=0, keepdim=True)):
        check_or_error(fn, x)
    zero_d = np.array(-0.5)
    for k, kw in ((1, {}), (1, {"keepdim": True}), (2, {}), (0, {})):
        check_or_error(lambda lib, t: lib.kthvalue(t, k, **kw), zero_d)
    check_or_error(lambda lib, t: lib.kthvalue(t, 1, 0), np.zeros((0, 3)))
    check_or_error(lambda lib, t: lib.kthvalue(t, 5, 0), np.zeros((0, 3)))
    check_or_error(lambda lib, t: lib.kthvalue(t, 1, 0), np.zeros((2, 0)))
    check_or_error(lambda lib, t: lib.kthvalue(t, 3, 0), np.zeros((2, 0)))


# -- cummax, cummin --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_ties_and_nan(dtype, name):
    # equal values and nan take over the running extreme (PyTorch's >= / <=): indices are exact
    x = _ties(dtype, (4, 9))
    for dim in (0, 1, -1):
        check(lambda lib, t: getattr(lib, name)(t, dim), x, double=True, rtol=0, atol=0)
        check(lambda lib, t: getattr(t, name)(dim=dim), x, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_shapes_and_errors(name):
    for x, dim in ((np.array(2.0), 0), (np.array(2.0), -1), (np.zeros((0, 2)), 1),
                   (np.zeros((0, 2)), 0), (RNG.standard_normal((2, 3, 2)), 1)):
        check(lambda lib, t: getattr(lib, name)(t, dim), x)
    x = RNG.standard_normal((2, 3))
    for fn in (lambda lib, t: getattr(lib, name)(t), lambda lib, t: getattr(lib, name)(t, 2),
               lambda lib, t: getattr(lib, name)(t, -3), lambda lib, t: getattr(lib, name)(t, 0.5),
               lambda lib, t: getattr(lib, name)(t, axis=1)):
        check_or_error(fn, x)
    check_or_error(lambda lib, t: getattr(lib, name)(t, 1), np.array(2.0))


def test_cummax_graph():
    e, t = _pair(np.array([1.0, 3.0, 3.0, 2.0, 4.0]))
    e.requires_grad_(True)
    t.requires_grad_(True)
    ve, ie = ember.cummax(e, 0)
    vt, _ = torch.cummax(t, 0)
    assert ve.grad_fn._saved_dim == vt.grad_fn._saved_dim
    assert_same(ve.grad_fn._saved_indices, vt.grad_fn._saved_indices, 0, 0)
    assert ie.grad_fn is None and ve.grad_fn.next_functions[0][0] is not None


# -- logcumsumexp ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_logcumsumexp_values(dtype):
    x = np.array([[0.5, -INF, 2.0, INF, 1.0], [-INF, -INF, 3.0, NAN, 0.0],
                  [800.0, 799.0, -800.0, 1.0, 801.0]]).astype(dtype)
    rtol = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-12}[dtype]
    for dim in (0, 1, -1):
        check(lambda lib, t: lib.logcumsumexp(t, dim), x, grad=False, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logcumsumexp_backward(dtype):
    # PyTorch's formula splits the gradient by sign; zeros, large values and -inf included
    x = np.array([[0.5, -1.0, 2.0, 40.0, 1.0], [-30.0, -INF, 3.0, 0.25, 0.0]], dtype)
    check(lambda lib, t: lib.logcumsumexp(t, 1), x)
    check(lambda lib, t: t.logcumsumexp(0), RNG.standard_normal((3, 4)).astype(dtype))
    e, t = _pair(RNG.standard_normal((2, 4)).astype(dtype))
    e.requires_grad_(True)
    t.requires_grad_(True)
    g = np.array([[1.0, 0.0, -2.0, 0.5], [0.0, 0.0, 0.0, -1.0]], dtype)
    ember.logcumsumexp(e, 1).backward(ember.from_numpy(g.copy()))
    torch.logcumsumexp(t, 1).backward(torch.from_numpy(g.copy()))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_same(e.grad, t.grad, tol, tol)


def test_logcumsumexp_shapes_and_errors():
    for x, dim in ((np.array(2.0), 0), (np.zeros((0, 2)), 0), (np.zeros((0, 2)), 1)):
        check(lambda lib, t: lib.logcumsumexp(t, dim), x)
    x = RNG.standard_normal((2, 3))
    for fn in (lambda lib, t: lib.logcumsumexp(t), lambda lib, t: lib.logcumsumexp(t, 2),
               lambda lib, t: lib.logcumsumexp(t, 0.5), lambda lib, t: lib.logcumsumexp(t.long(), 0),
               lambda lib, t: lib.logcumsumexp(t > 0, 0), lambda lib, t: lib.logcumsumexp(
                   t.long(), 5), lambda lib, t: lib.logcumsumexp(t, axis=1)):
        check_or_error(fn, x)


# -- logaddexp, logaddexp2 -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_values(name):
    a = np.array([INF, -INF, NAN, INF, -INF, 1.0, 1000.0, -1000.0, 0.0])
    b = np.array([INF, -INF, 1.0, -INF, 2.0, 1.0, 999.0, -1000.5, -0.0])
    for dtype in (np.float16, np.float32, np.float64):
        ae, at = _pair(a.astype(dtype))
        be, bt = _pair(b.astype(dtype))
        tol = 1e-3 if dtype == np.float16 else 1e-6
        assert_same(getattr(ember, name)(ae, be), getattr(torch, name)(at, bt), tol, tol)
        assert_same(getattr(ae, name)(be), getattr(at, name)(bt), tol, tol)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize("da, db, sa, sb", [
    (np.int64, np.float32, (3,), (3,)), (np.float32, np.float64, (2, 3), (3,)),
    (np.float16, np.float32, (3,), ()), (np.int32, np.float64, (3,), ()),
    (np.bool_, np.float32, (2, 1), (1, 3)), (np.float64, np.int8, (), (3,)),
    (np.float16, np.float16, (3,), (3,)),
    (np.int64, np.int64, (3,), (3,)), (np.bool_, np.bool_, (3,), (3,)),
    (np.uint8, np.int16, (3,), ()), (np.float32, np.float32, (2,), (3,)),
])
def test_logaddexp_promotion_and_errors(name, da, db, sa, sb):
    a = (RNG.standard_normal(sa) * 2).astype(da)
    b = (RNG.standard_normal(sb) * 2).astype(db)
    ae, at = _pair(a)
    be, bt = _pair(b)

    def run(lib, x, y):
        return getattr(lib, name)(x, y)

    try:
        rt = run(torch, at, bt)
    except Exception:  # noqa: BLE001
        same_error(lambda: run(ember, ae, be), lambda: run(torch, at, bt))
        same_error(lambda: getattr(ae, name)(be), lambda: getattr(at, name)(bt))
        return
    assert_same(run(ember, ae, be), rt, 1e-3, 1e-3)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_numbers_refused(name):
    e, t = _pair(np.array([1.0, 2.0]))
    same_error(lambda: getattr(ember, name)(e, 2.0), lambda: getattr(torch, name)(t, 2.0))
    same_error(lambda: getattr(ember, name)(2, e), lambda: getattr(torch, name)(2, t))
    same_error(lambda: getattr(e, name)(2.0), lambda: getattr(t, name)(2.0))
    assert not hasattr(ember.Tensor, name + "_") and not hasattr(torch.Tensor, name + "_")


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_graph(name):
    a = RNG.standard_normal((2, 3))
    b = RNG.standard_normal(3)
    for ga, gb in ((True, False), (False, True), (True, True)):
        ae, at = _pair(a)
        be, bt = _pair(b)
        ae.requires_grad_(ga)
        at.requires_grad_(ga)
        be.requires_grad_(gb)
        bt.requires_grad_(gb)
        ye, yt = getattr(ember, name)(ae, be), getattr(torch, name)(at, bt)
        assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
        fe = [None if f is None else type(f).__name__ for f, _ in ye.grad_fn.next_functions]
        ft = [None if f is None else type(f).__name__ for f, _ in yt.grad_fn.next_functions]
        assert fe == ft
        assert_same(ye.grad_fn._saved_self, yt.grad_fn._saved_self)
        assert_same(ye.grad_fn._saved_other, yt.grad_fn._saved_other)
        g = RNG.standard_normal((2, 3))
        grads_t = torch.autograd.grad(yt, [x for x in (at, bt) if x.requires_grad],
                                      torch.from_numpy(g.copy()), create_graph=True)
        grads_e = ember.autograd.grad(ye, [x for x in (ae, be) if x.requires_grad],
                                      ember.from_numpy(g.copy()), create_graph=True)
        assert_same(list(grads_e), list(grads_t), 1e-10, 1e-12)
        # second order: the sum of the first-order gradients, differentiated again
        st = sum(x.sum() for x in grads_t)
        se = sum(x.sum() for x in grads_e)
        ht = torch.autograd.grad(st, [x for x in (at, bt) if x.requires_grad])
        he = ember.autograd.grad(se, [x for x in (ae, be) if x.requires_grad])
        assert_same(list(he), list(ht), 1e-9, 1e-11)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_infinite_gradients(name):
    a = np.array([INF, -INF, INF, 1.0, -INF])
    b = np.array([INF, -INF, -INF, 2.0, 3.0])
    check(lambda lib, t: getattr(lib, name)(t, lib.from_numpy(b.copy())), a, double=False)
