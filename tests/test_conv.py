"""Convolution, pooling and padding against PyTorch: values, gradients, double backward,
gradcheck, errors, layers (reprs, parameters, init) and a small CNN's training trajectory."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from parity import assert_same, same_error

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def _arrays(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [None if s is None else rng.standard_normal(s).astype(dtype) for s in shapes]


def _leaves(arrays):
    e = [None if a is None else ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    t = [None if a is None else torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    return e, t


def check(fe, ft, shapes, dtype=np.float64, seed=0, grads=True, node=True):
    """fe(*ember leaves) vs ft(*torch leaves): value, grad_fn name, and every leaf's grad for
    the same random upstream gradient."""
    arrays = _arrays(shapes, dtype, seed)
    e, t = _leaves(arrays)
    ye, yt = fe(*e), ft(*t)
    tol = TOL[dtype]
    assert_same(ye, yt, **tol)
    if node:
        assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
    if not grads:
        return e, t
    up = np.random.default_rng(seed + 1).standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.from_numpy(up.copy()))
    yt.backward(torch.from_numpy(up.copy()))
    for a, b in zip(e, t):
        if a is not None:
            assert_same(a.grad, b.grad, **tol)
    return e, t


def double_backward(fe, ft, shapes, seed=0):
    """Second derivatives: grad of <grad(f, inputs, create_graph), v> against PyTorch."""
    arrays = _arrays(shapes, np.float64, seed)
    e, t = _leaves(arrays)
    ye, yt = fe(*e), ft(*t)
    e, t = [x for x in e if x is not None], [x for x in t if x is not None]
    up = np.random.default_rng(seed + 1).standard_normal(tuple(yt.shape))
    ue = ember.from_numpy(up.copy()).requires_grad_()
    ut = torch.from_numpy(up.copy()).requires_grad_()
    ge = ember.autograd.grad(ye, e, ue, create_graph=True)
    gt = torch.autograd.grad(yt, t, ut, create_graph=True)
    vs = [np.random.default_rng(seed + 2 + i).standard_normal(tuple(g.shape))
          for i, g in enumerate(gt)]
    se = sum((g * ember.from_numpy(v.copy())).sum() for g, v in zip(ge, vs))
    st = sum((g * torch.from_numpy(v.copy())).sum() for g, v in zip(gt, vs))
    he = ember.autograd.grad(se, [*e, ue], allow_unused=True)
    ht = torch.autograd.grad(st, [*t, ut], allow_unused=True)
    for a, b in zip(he, ht):
        if a is None or b is None:  # not connected, or connected with a zero derivative
            assert all(c is None or not c.detach().numpy().any() for c in (a, b))
        else:
            assert_same(a, b, rtol=1e-9, atol=1e-10)


def _ember_leaves64(shapes, seed=0):
    return [None if a is None else ember.from_numpy(a).requires_grad_()
            for a in _arrays(shapes, np.float64, seed)]


# =============================================================================================
# conv2d / conv1d / conv_transpose2d
# =============================================================================================
# (x shape, weight shape, bias, kwargs)
CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 2), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(stride=2, padding=1)),
    ((1, 3, 9, 8), (4, 3, 3, 2), False, dict(stride=(2, 3), padding=(1, 0))),
    ((2, 3, 9, 9), (2, 3, 3, 3), True, dict(dilation=2, padding=(2, 1))),
    ((2, 3, 9, 9), (2, 3, 2, 3), True, dict(dilation=(1, 2), stride=2)),
    ((2, 4, 6, 7), (6, 2, 3, 3), True, dict(groups=2, padding=1)),
    ((2, 4, 6, 7), (8, 1, 3, 3), True, dict(groups=4, padding=1)),  # depthwise
    ((2, 4, 6, 7), (4, 1, 3, 3), False, dict(groups=4, stride=2)),  # depthwise, strided
    ((2, 3, 6, 7), (4, 3, 3, 3), True, dict(padding="same")),
    ((2, 3, 6, 7), (4, 3, 4, 2), True, dict(padding="same")),  # even kernel: asymmetric
    ((2, 3, 6, 7), (4, 3, 4, 3), True, dict(padding="same", dilation=(1, 2))),
    ((2, 3, 6, 7), (4, 3, 3, 3), True, dict(padding="valid")),
    ((1, 1, 5, 5), (1, 1, 5, 5), True, {}),  # kernel covers the input: 1x1 output
    ((3, 2, 5, 4), (3, 2, 1, 1), True, {}),  # 1x1 kernel
    ((2, 2, 5, 6), (3, 2, 3, 3), True, dict(padding=3)),  # padding past the kernel extent
    ((0, 3, 5, 5), (4, 3, 3, 3), True, dict(padding=1)),  # empty batch
]


def _conv2d_case(xs, ws, bias, kw):
    shapes = [xs, ws, (ws[0],) if bias else None]

    def fe(x, w, b):
        return F.conv2d(x, w, b, **kw)

    def ft(x, w, b):
        return TF.conv2d(x, w, b, **kw)

    return fe, ft, shapes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CONV2D)))
def test_conv2d(case, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe, ft, shapes = _conv2d_case(*CONV2D[case])
        e, _ = check(fe, ft, shapes, dtype)
    assert e[0].grad.dtype == (ember.float32 if dtype == np.float32 else ember.float64)


@pytest.mark.parametrize("case", [0, 1, 3, 5, 6, 9, 14])
def test_conv2d_double_backward(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe, ft, shapes = _conv2d_case(*CONV2D[case])
        double_backward(fe, ft, shapes)


@pytest.mark.parametrize("case", [0, 1, 3, 5, 7, 9])
def test_conv2d_gradcheck(case):
    xs, ws, bias, kw = CONV2D[case]
    xs = (1,) + xs[1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe, _, shapes = _conv2d_case(xs, ws, bias, kw)
        leaves = [x for x in _ember_leaves64(shapes) if x is not None]

        def f(*args):
            if bias:
                return fe(*args)
            return fe(*args, None)

        assert gradcheck(f, leaves)
        assert gradgradcheck(f, leaves)


def test_conv2d_same_padding_warns_like_torch():
    x = ember.zeros(1, 1, 5, 5)
    with pytest.warns(UserWarning, match="even kernel lengths"):
        F.conv2d(x, ember.zeros(1, 1, 2, 2), padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.conv2d(x, ember.zeros(1, 1, 3, 3), padding="same")


def test_conv2d_unbatched_and_noncontiguous():
    def fe(x, w, b):
        return F.conv2d(x, w, b, padding=1)

    def ft(x, w, b):
        return TF.conv2d(x, w, b, padding=1)

    check(fe, ft, [(3, 6, 5), (4, 3, 3, 3), (4,)])  # grad_fn: SqueezeBackward1
    # a transposed (non-contiguous) input and weight
    check(lambda x, w: F.conv2d(x.transpose(2, 3), w.transpose(2, 3), stride=2),
          lambda x, w: TF.conv2d(x.transpose(2, 3), w.transpose(2, 3), stride=2),
          [(2, 3, 6, 7), (4, 3, 2, 3)])


def test_conv2d_integer_input():
    x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) % 7
    w = np.arange(4 * 3 * 3 * 3).reshape(4, 3, 3, 3) % 5 - 2
    assert_same(F.conv2d(ember.tensor(x), ember.tensor(w), padding=1),
                TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1))


CONV1D = [
    ((2, 3, 9), (4, 3, 3), True, {}),
    ((2, 3, 9), (4, 3, 3), True, dict(stride=2, padding=1)),
    ((1, 4, 10), (6, 2, 3), True, dict(groups=2, dilation=2)),
    ((2, 4, 10), (4, 1, 5), False, dict(groups=4, padding=2)),
    ((2, 3, 8), (2, 3, 4), True, dict(padding="same")),
    ((2, 3, 8), (2, 3, 3), True, dict(padding="valid", stride=3)),
]


def _conv1d_case(xs, ws, bias, kw):
    shapes = [xs, ws, (ws[0],) if bias else None]
    return (lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
            shapes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CONV1D)))
def test_conv1d(case, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(*_conv1d_case(*CONV1D[case]), dtype)


@pytest.mark.parametrize("case", [1, 2, 4])
def test_conv1d_second_order(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe, ft, shapes = _conv1d_case(*CONV1D[case])
        double_backward(fe, ft, shapes)
        leaves = [x for x in _ember_leaves64(shapes) if x is not None]
        assert gradgradcheck(fe, leaves)


def test_conv1d_unbatched():
    check(lambda x, w: F.conv1d(x, w), lambda x, w: TF.conv1d(x, w), [(3, 8), (2, 3, 3)])


CONV_T = [
    ((2, 4, 5, 5), (4, 3, 3, 3), True, {}),
    ((2, 4, 5, 5), (4, 3, 3, 3), True, dict(stride=2)),
    ((2, 4, 5, 4), (4, 3, 3, 2), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 4, 5), (4, 2, 3, 3), True, dict(stride=(2, 3), padding=(1, 0),
                                             output_padding=(1, 2))),
    ((2, 4, 5, 5), (4, 3, 3, 3), False, dict(groups=2, stride=2)),
    ((2, 4, 5, 5), (4, 2, 3, 3), True, dict(dilation=2, padding=1)),
    ((2, 4, 4, 4), (4, 2, 2, 2), True, dict(stride=1, dilation=2, output_padding=1)),
    ((2, 4, 4, 4), (4, 2, 4, 4), True, dict(stride=2, padding=1)),  # the usual 2x upsampling
]


def _convt_case(xs, ws, bias, kw):
    shapes = [xs, ws, (ws[1] * kw.get("groups", 1),) if bias else None]
    return (lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
            lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw), shapes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CONV_T)))
def test_conv_transpose2d(case, dtype):
    check(*_convt_case(*CONV_T[case]), dtype)


@pytest.mark.parametrize("case", [1, 2, 4, 6])
def test_conv_transpose2d_second_order(case):
    fe, ft, shapes = _convt_case(*CONV_T[case])
    double_backward(fe, ft, shapes)
    xs = (1,) + shapes[0][1:]
    leaves = [x for x in _ember_leaves64([xs, *shapes[1:]]) if x is not None]
    f = fe if shapes[2] is not None else (lambda x, w: fe(x, w, None))
    assert gradcheck(f, leaves)
    assert gradgradcheck(f, leaves)


def test_conv_transpose2d_unbatched():
    check(lambda x, w: F.conv_transpose2d(x, w, stride=2),
          lambda x, w: TF.conv_transpose2d(x, w, stride=2), [(4, 3, 3), (4, 2, 3, 3)])


def test_conv_saved_input_modified_in_place():
    x = ember.randn(1, 2, 5, 5, requires_grad=True)
    w = ember.randn(3, 2, 3, 3, requires_grad=True)
    h = x * 1
    y = F.conv2d(h, w)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_conv_weight_grad_reuses_columns_safely():
    # the weight gradient reuses the forward's columns; under no_grad nothing is kept
    x = ember.randn(2, 3, 6, 6)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    with ember.no_grad():
        y = F.conv2d(x, w)
    assert y.grad_fn is None and not y.requires_grad
    y = F.conv2d(x, w, padding=1)
    y.sum().backward()
    wt = torch.from_numpy(w.detach().numpy().copy()).requires_grad_()
    TF.conv2d(torch.from_numpy(x.numpy().copy()), wt, padding=1).sum().backward()
    assert_same(w.grad, wt.grad, rtol=1e-4, atol=1e-4)


CONV_ERRORS = [
    lambda m: m.conv2d(_z(m, 1, 1, 28, 28), _z(m, 8, 3, 3, 3)),
    lambda m: m.conv2d(_z(m, 1, 3, 2, 2), _z(m, 8, 3, 3, 3)),
    lambda m: m.conv2d(_z(m, 28, 28), _z(m, 8, 3, 3, 3)),
    lambda m: m.conv2d(_z(m, 1, 1, 1, 3, 28, 28), _z(m, 8, 3, 3, 3)),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5).double(), _z(m, 8, 3, 3, 3)),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3).double()),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), _z(m, 8).double()),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), _z(m, 4)),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 2, 3, 3, 3), _z(m, 2, 1)),
    lambda m: m.conv2d(_z(m, 1, 6, 5, 5), _z(m, 3, 3, 3, 3), groups=2),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), stride=2, padding="same"),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), padding="foo"),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), padding=-1),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), stride=0),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), dilation=0),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), groups=0),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), stride=(1, 1, 1)),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3), padding=(1, 2, 3)),
    lambda m: m.conv2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3)),
    lambda m: m.conv1d(_z(m, 1, 3, 5), _z(m, 8, 3, 7)),
    lambda m: m.conv1d(_z(m, 5), _z(m, 8, 3, 7)),
    lambda m: m.conv_transpose2d(_z(m, 1, 3, 5, 5), _z(m, 8, 3, 3, 3)),
    lambda m: m.conv_transpose2d(_z(m, 1, 8, 5, 5), _z(m, 8, 3, 3, 3), output_padding=1),
    lambda m: m.conv_transpose2d(_z(m, 1, 8, 5, 5), _z(m, 8, 3, 3, 3), stride=2,
                                 output_padding=2),
    lambda m: m.conv_transpose2d(_z(m, 1, 8, 1, 1), _z(m, 8, 3, 3, 3), padding=3),
    lambda m: m.conv_transpose2d(_z(m, 1, 8, 5, 5), _z(m, 8, 3, 3, 3), _z(m, 4)),
    lambda m: m.conv_transpose2d(_z(m, 1, 3, 5, 5), _z(m, 3, 2, 3, 3), groups=2),
    lambda m: m.conv_transpose2d(_z(m, 5, 5), _z(m, 3, 2, 3, 3)),
]


def _z(m, *shape):
    return (ember if m is F else torch).zeros(*shape)


@pytest.mark.parametrize("i", range(len(CONV_ERRORS)))
def test_conv_errors(i):
    same_error(lambda: CONV_ERRORS[i](F), lambda: CONV_ERRORS[i](TF))


def test_conv_error_has_a_hint():
    with pytest.raises(RuntimeError) as info:
        F.conv2d(ember.zeros(1, 1, 28, 28), ember.zeros(8, 3, 3, 3))
    assert "in_channels" in "".join(getattr(info.value, "__notes__", []))


# =============================================================================================
# pooling
# =============================================================================================
MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2)),
    ((2, 3, 7, 9), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))),
    ((1, 2, 9, 9), dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    ((2, 2, 7, 7), dict(kernel_size=2, ceil_mode=True)),
    ((2, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 6, 6), dict(kernel_size=3, stride=1)),  # overlapping windows
    ((3, 7, 7), dict(kernel_size=2)),  # unbatched
    ((0, 2, 6, 6), dict(kernel_size=2)),  # empty batch
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(MAX2D)))
def test_max_pool2d(case, dtype):
    shape, kw = MAX2D[case]
    check(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [shape], dtype)
    e, t = _leaves(_arrays([shape], dtype))
    oe, ie = F.max_pool2d(e[0], return_indices=True, **kw)
    ot, it = TF.max_pool2d(t[0], return_indices=True, **kw)
    assert_same(oe, ot)
    assert_same(ie, it)


@pytest.mark.parametrize("case", [0, 2, 3, 5, 6])
def test_max_pool2d_second_order(case):
    shape, kw = MAX2D[case]
    double_backward(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [shape])
    x = _ember_leaves64([(1,) + shape[1:]])
    assert gradcheck(lambda x: F.max_pool2d(x, **kw), x)
    assert gradgradcheck(lambda x: F.max_pool2d(x, **kw), x)


def test_max_pool2d_ties_nan_and_inf():
    a = np.zeros((1, 1, 4, 4), np.float32)  # all ties: the first of each window wins
    a[0, 0, 1, 1] = np.nan
    a[0, 0, 0, 3] = np.nan
    a[0, 0, 1, 2] = np.nan  # two nans in one window: the last one wins
    a[0, 0, 3, 3] = -np.inf
    a[0, 0, 2, 2] = np.inf
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        xe = ember.from_numpy(a.copy()).requires_grad_()
        xt = torch.from_numpy(a.copy()).requires_grad_()
        oe, ie = F.max_pool2d(xe, return_indices=True, **kw)
        ot, it = TF.max_pool2d(xt, return_indices=True, **kw)
        assert_same(oe, ot)
        assert_same(ie, it)
        oe.sum().backward()
        ot.sum().backward()
        assert_same(xe.grad, xt.grad)


def test_max_pool2d_integer_input():
    a = np.random.default_rng(0).integers(-50, 50, (2, 2, 5, 5))
    assert_same(F.max_pool2d(ember.tensor(a), 2, padding=1),
                TF.max_pool2d(torch.tensor(a), 2, padding=1))


MAX1D = [((2, 3, 9), dict(kernel_size=2)), ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
         ((2, 3, 9), dict(kernel_size=2, dilation=2, ceil_mode=True)), ((3, 8), dict(kernel_size=3))]


@pytest.mark.parametrize("case", range(len(MAX1D)))
def test_max_pool1d(case):
    shape, kw = MAX1D[case]
    check(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), [shape],
          np.float32)
    e, t = _leaves(_arrays([shape], np.float64))
    oe, ie = F.max_pool1d(e[0], return_indices=True, **kw)
    ot, it = TF.max_pool1d(t[0], return_indices=True, **kw)
    assert_same(oe, ot)
    assert_same(ie, it)


AVG2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2)),
    ((2, 3, 7, 9), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))),
    ((2, 3, 7, 9), dict(kernel_size=3, padding=1, count_include_pad=False)),
    ((2, 2, 7, 7), dict(kernel_size=2, ceil_mode=True)),
    ((2, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((2, 2, 6, 6), dict(kernel_size=3, stride=1, divisor_override=5)),
    ((3, 7, 7), dict(kernel_size=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(AVG2D)))
def test_avg_pool2d(case, dtype):
    shape, kw = AVG2D[case]
    check(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), [shape], dtype)


@pytest.mark.parametrize("case", [1, 2, 5, 6, 7])
def test_avg_pool2d_second_order(case):
    shape, kw = AVG2D[case]
    double_backward(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), [shape])
    x = _ember_leaves64([(1,) + shape[1:]])
    assert gradcheck(lambda x: F.avg_pool2d(x, **kw), x)
    assert gradgradcheck(lambda x: F.avg_pool2d(x, **kw), x)


def test_avg_pool2d_integer_input():
    a = np.arange(50).reshape(2, 1, 5, 5)
    assert_same(F.avg_pool2d(ember.tensor(a), 2), TF.avg_pool2d(torch.tensor(a), 2))


AVG1D = [((2, 3, 9), dict(kernel_size=2)), ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
         ((2, 3, 9), dict(kernel_size=3, padding=1, count_include_pad=False, ceil_mode=True)),
         ((3, 8), dict(kernel_size=3))]


@pytest.mark.parametrize("case", range(len(AVG1D)))
def test_avg_pool1d(case):
    shape, kw = AVG1D[case]
    check(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), [shape],
          np.float32)


ADAPTIVE2D = [((2, 3, 8, 8), 4), ((2, 3, 8, 8), (2, 4)), ((2, 3, 7, 9), (3, 4)),
              ((2, 3, 5, 5), (7, 3)), ((2, 3, 7, 9), (None, 2)), ((3, 7, 9), 3),
              ((2, 3, 6, 6), 1), ((2, 3, 6, 6), (0, 2))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(ADAPTIVE2D)))
def test_adaptive_avg_pool2d(case, dtype):
    shape, out = ADAPTIVE2D[case]
    check(lambda x: F.adaptive_avg_pool2d(x, out), lambda x: TF.adaptive_avg_pool2d(x, out),
          [shape], dtype, node=out != (0, 2), grads=out != (0, 2))  # torch: no backward there


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(ADAPTIVE2D)))
def test_adaptive_max_pool2d(case, dtype):
    shape, out = ADAPTIVE2D[case]
    check(lambda x: F.adaptive_max_pool2d(x, out), lambda x: TF.adaptive_max_pool2d(x, out),
          [shape], dtype, node=out != (0, 2), grads=out != (0, 2))  # torch: no backward there
    e, t = _leaves(_arrays([shape], dtype))
    oe, ie = F.adaptive_max_pool2d(e[0], out, return_indices=True)
    ot, it = TF.adaptive_max_pool2d(t[0], out, return_indices=True)
    assert_same(oe, ot)
    assert_same(ie, it)


@pytest.mark.parametrize("case", [1, 2, 3])
def test_adaptive_pool2d_second_order(case):
    shape, out = ADAPTIVE2D[case]
    for fe, ft in ((F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d),
                   (F.adaptive_max_pool2d, TF.adaptive_max_pool2d)):
        double_backward(lambda x: fe(x, out), lambda x: ft(x, out), [shape])
        x = _ember_leaves64([(1,) + shape[1:]])
        assert gradcheck(lambda x: fe(x, out), x)
        assert gradgradcheck(lambda x: fe(x, out), x)


def test_adaptive_max_pool2d_nan_and_ties():
    a = np.zeros((1, 1, 5, 7), np.float32)
    a[0, 0, 1, 1] = a[0, 0, 3, 5] = np.nan
    a[0, 0, 0, 4] = 2.0
    e, t = _leaves([a])
    oe, ie = F.adaptive_max_pool2d(e[0], (2, 3), return_indices=True)
    ot, it = TF.adaptive_max_pool2d(t[0], (2, 3), return_indices=True)
    assert_same(oe, ot)
    assert_same(ie, it)


@pytest.mark.parametrize("out", [3, 4, 1, 6])
def test_adaptive_pool1d(out):
    check(lambda x: F.adaptive_avg_pool1d(x, out), lambda x: TF.adaptive_avg_pool1d(x, out),
          [(2, 3, 9)], np.float32)
    check(lambda x: F.adaptive_max_pool1d(x, out), lambda x: TF.adaptive_max_pool1d(x, out),
          [(2, 3, 9)], np.float32)
    e, t = _leaves(_arrays([(3, 9)], np.float64))
    assert_same(F.adaptive_max_pool1d(e[0], out, True)[1],
                TF.adaptive_max_pool1d(t[0], out, True)[1])


def test_pooling_saved_input_modified_in_place():
    x = ember.randn(1, 1, 4, 4, requires_grad=True)
    h = x * 1
    y = F.max_pool2d(h, 2)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


POOL_ERRORS = [
    lambda m: m.max_pool2d(_z(m, 1, 1, 2, 2), 3),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 3, padding=2),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 3, padding=2, dilation=2),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 0),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 0, stride=1),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 2, stride=0),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 2, padding=-1),
    lambda m: m.max_pool2d(_z(m, 5, 5), 2),
    lambda m: m.max_pool2d(_z(m, 2, 1, 1, 5, 5), 2),
    lambda m: m.max_pool2d(_z(m, 1, 0, 5, 5), 2),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 2, dilation=0),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), (2, 2, 2)),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 2, stride=(1, 1, 1)),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5), 2, padding=(1, 1, 1)),
    lambda m: m.max_pool2d(_z(m, 1, 1, 5, 5).bool(), 2),
    lambda m: m.max_pool1d(_z(m, 1, 1, 2), 3),
    lambda m: m.max_pool1d(_z(m, 2), 3),
    lambda m: m.max_pool1d(_z(m, 1, 1, 5), 0),
    lambda m: m.max_pool1d(_z(m, 1, 1, 5), 2, stride=0),
    lambda m: m.max_pool1d(_z(m, 1, 1, 5), 3, padding=2),
    lambda m: m.max_pool1d(_z(m, 1, 1, 5), 3, dilation=0),
    lambda m: m.avg_pool2d(_z(m, 1, 1, 2, 2), 3),
    lambda m: m.avg_pool2d(_z(m, 1, 1, 5, 5), 3, padding=2),
    lambda m: m.avg_pool2d(_z(m, 5, 5), 2),
    lambda m: m.avg_pool2d(_z(m, 1, 1, 1, 5, 5), 3),
    lambda m: m.avg_pool2d(_z(m, 1, 1, 5, 5), 2, divisor_override=0),
    lambda m: m.avg_pool2d(_z(m, 1, 1, 5, 5), (2, 2, 2)),
    lambda m: m.avg_pool1d(_z(m, 1, 1, 2), 3),
    lambda m: m.avg_pool1d(_z(m, 2), 3),
    lambda m: m.adaptive_avg_pool2d(_z(m, 5, 5), 2),
    lambda m: m.adaptive_avg_pool2d(_z(m, 1, 1, 5, 5), (2, 2, 2)),
    lambda m: m.adaptive_avg_pool2d(_z(m, 1, 1, 5, 5), -1),
    lambda m: m.adaptive_avg_pool2d(_z(m, 1, 1, 5, 5).long(), 2),
    lambda m: m.adaptive_max_pool2d(_z(m, 5, 5), 2),
    lambda m: m.adaptive_max_pool2d(_z(m, 1, 0, 5, 5), 2),
    lambda m: m.adaptive_max_pool2d(_z(m, 1, 1, 5, 5).long(), 2),
    lambda m: m.adaptive_avg_pool1d(_z(m, 5), 2),
    lambda m: m.adaptive_avg_pool1d(_z(m, 1, 1, 5), (2, 2)),
]


@pytest.mark.parametrize("i", range(len(POOL_ERRORS)))
def test_pool_errors(i):
    same_error(lambda: POOL_ERRORS[i](F), lambda: POOL_ERRORS[i](TF))


# =============================================================================================
# pad
# =============================================================================================
PADS = [
    ((2, 3, 4, 5), (1, 2), "constant", None),
    ((2, 3, 4, 5), (1, 2, 0, 3), "constant", 1.5),
    ((2, 3, 4, 5), (-1, 2, 1, -2), "constant", None),
    ((2, 3, 4), (1, 1, 2, 0, 1, 1), "constant", None),
    ((2, 3, 4, 5), (1, 2, 3, 1), "reflect", None),
    ((3, 6), (2, 3), "reflect", None),
    ((2, 3, 4, 5), (1, 2, 3, 1), "replicate", None),
    ((2, 3, 5), (4, 1), "replicate", None),
    ((2, 3, 4, 5), (1, 2, 3, 1), "circular", None),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2), "replicate", None),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2), "reflect", None),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(PADS)))
def test_pad(case, dtype):
    shape, p, mode, value = PADS[case]
    check(lambda x: F.pad(x, p, mode, value), lambda x: TF.pad(x, p, mode, value), [shape],
          dtype, node=mode != "circular")


@pytest.mark.parametrize("case", [1, 2, 4, 6, 8])
def test_pad_second_order(case):
    shape, p, mode, value = PADS[case]
    double_backward(lambda x: F.pad(x, p, mode, value), lambda x: TF.pad(x, p, mode, value),
                    [shape])
    x = _ember_leaves64([shape])
    assert gradgradcheck(lambda x: F.pad(x, p, mode, value), x)


PAD_ERRORS = [
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (1, 2, 3)),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (1, 2), mode="reflect"),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (5, 5, 1, 1), mode="reflect"),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (1, 1, 1, 1), mode="foo"),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (-3, -3)),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (1,) * 10),
    lambda m: m.pad(_z(m, 1, 5, 5), (1, 1, 1, 1), value=2, mode="reflect"),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), (6, 1, 1, 1), mode="circular"),
    lambda m: m.pad(_z(m, 5), (5, 1), mode="replicate"),
    lambda m: m.pad(_z(m, 1, 1, 5, 5), [1.5, 1]),
]


@pytest.mark.parametrize("i", range(len(PAD_ERRORS)))
def test_pad_errors(i):
    same_error(lambda: PAD_ERRORS[i](F), lambda: PAD_ERRORS[i](TF))


# =============================================================================================
# layers
# =============================================================================================
LAYERS = [
    ("Conv2d", (1, 8, 3), dict(padding=1)),
    ("Conv2d", (2, 4, (3, 5)), dict(stride=2, padding="valid", dilation=2, groups=2,
                                     bias=False)),
    ("Conv2d", (2, 4, 4), dict(padding="same")),
    ("Conv2d", (2, 4, 3), dict(padding=1, padding_mode="reflect")),
    ("Conv2d", (2, 4, 3), dict(padding=(1, 2), padding_mode="circular")),
    ("Conv2d", (2, 4, 3), dict(padding="same", padding_mode="replicate")),
    ("Conv1d", (2, 4, 3), {}),
    ("Conv1d", (4, 4, 3), dict(stride=2, padding=1, groups=4)),
    ("Conv1d", (2, 4, 3), dict(padding=1, padding_mode="reflect")),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, padding=1, groups=2, bias=False)),
    ("ConvTranspose2d", (4, 2, (3, 2)), dict(dilation=2)),
]


def _copy_params(layer_e, layer_t):
    for name, p in layer_t.named_parameters():
        getattr(layer_e, name).data = ember.from_numpy(p.detach().numpy().copy())


@pytest.mark.parametrize("case", range(len(LAYERS)))
def test_conv_layers(case):
    name, args, kw = LAYERS[case]
    le, lt = getattr(nn, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert repr(le) == repr(lt)
    assert [(n, tuple(p.shape)) for n, p in le.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in lt.named_parameters()]
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "transposed", "output_padding", "groups", "padding_mode",
                 "_reversed_padding_repeated_twice"):
        assert getattr(le, attr) == getattr(lt, attr), attr
    _copy_params(le, lt)
    shape = (2, args[0], 9) if name == "Conv1d" else (2, args[0], 11, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = check(le, lt, [shape], np.float32)
    for (n, pe), (_, pt) in zip(le.named_parameters(), lt.named_parameters()):
        assert_same(pe.grad, pt.grad, rtol=1e-4, atol=1e-4)


def test_conv_transpose2d_output_size():
    le, lt = nn.ConvTranspose2d(4, 2, 3, stride=2), tnn.ConvTranspose2d(4, 2, 3, stride=2)
    _copy_params(le, lt)
    xe, xt = _leaves(_arrays([(1, 4, 5, 5)], np.float32))
    for size in ([12, 12], [1, 2, 11, 12]):
        assert_same(le(xe[0], output_size=size), lt(xt[0], output_size=size), rtol=1e-4,
                    atol=1e-5)
    with pytest.raises(ValueError) as e_info:
        le(xe[0], output_size=[14, 14])
    with pytest.raises(ValueError) as t_info:
        lt(xt[0], output_size=[14, 14])
    assert str(e_info.value) == str(t_info.value).replace("torch.", "ember.")


@pytest.mark.parametrize("name, args", [("Conv2d", (3, 8, 3)), ("Conv1d", (4, 6, 5)),
                                        ("ConvTranspose2d", (6, 4, 3)),
                                        ("Conv2d", (4, 8, 3, 1, 0, 1, 2))])
def test_conv_default_init(name, args):
    ember.manual_seed(0)
    layer = getattr(nn, name)(*args)
    w = layer.weight.detach().numpy()
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives the same bound
    assert layer.weight.dtype == ember.float32 and layer.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.7 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.25 * bound
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound and len(set(b.tolist())) == len(b)


CONV_LAYER_ERRORS = [
    lambda m: m.Conv2d(3, 4, 3, groups=2),
    lambda m: m.Conv2d(4, 3, 3, groups=2),
    lambda m: m.Conv2d(4, 4, 3, groups=0),
    lambda m: m.Conv2d(4, 4, 3, padding="foo"),
    lambda m: m.Conv2d(4, 4, 3, padding="same", stride=2),
    lambda m: m.Conv2d(4, 4, 3, padding_mode="foo"),
    lambda m: m.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
]


@pytest.mark.parametrize("i", range(len(CONV_LAYER_ERRORS)))
def test_conv_layer_errors(i):
    same_error(lambda: CONV_LAYER_ERRORS[i](nn), lambda: CONV_LAYER_ERRORS[i](tnn))


POOL_LAYERS = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, ceil_mode=True), (2, 3, 7, 8)),
    ("MaxPool1d", (3,), dict(stride=2), (2, 3, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 1, 1, True, False, 2), {}, (2, 3, 7, 8)),
    ("AvgPool1d", (3,), dict(padding=1), (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((5, None),), {}, (2, 3, 7, 8)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 3, 7, 8)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
]


@pytest.mark.parametrize("case", range(len(POOL_LAYERS)))
def test_pool_layers(case):
    name, args, kw, shape = POOL_LAYERS[case]
    le, lt = getattr(nn, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert repr(le) == repr(lt)
    assert {k: v for k, v in vars(le).items() if not k.startswith("_") and k != "training"} == \
        {k: v for k, v in vars(lt).items() if not k.startswith("_") and k != "training"}
    check(le, lt, [shape], np.float32)


def test_pool_layers_return_indices():
    for name, shape in (("MaxPool2d", (2, 3, 8, 8)), ("AdaptiveMaxPool2d", (2, 3, 7, 9))):
        le = getattr(nn, name)(2 if name == "MaxPool2d" else (3, 4), return_indices=True)
        lt = getattr(tnn, name)(2 if name == "MaxPool2d" else (3, 4), return_indices=True)
        xe, xt = _leaves(_arrays([shape], np.float32))
        assert_same(le(xe[0]), lt(xt[0]))


# =============================================================================================
# a small CNN trained for 20 steps follows PyTorch's loss trajectory
# =============================================================================================
def _cnn(lib):
    m = lib.nn
    return m.Sequential(m.Conv2d(1, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(8, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                        m.Linear(16 * 4 * 4, 10))


def test_small_cnn_training_matches_torch():
    torch.manual_seed(0)
    mt = _cnn(torch)
    me = _cnn(ember)
    me.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in mt.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 16, 16)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    xe, xt = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    ye, yt = ember.from_numpy(y.copy()), torch.from_numpy(y.copy())
    oe = ember.optim.SGD(me.parameters(), lr=0.1, momentum=0.9)
    ot = torch.optim.SGD(mt.parameters(), lr=0.1, momentum=0.9)
    le_hist, lt_hist = [], []
    for _ in range(20):
        for opt, model, xx, yy, hist, lib in ((oe, me, xe, ye, le_hist, F),
                                              (ot, mt, xt, yt, lt_hist, TF)):
            opt.zero_grad()
            loss = lib.cross_entropy(model(xx), yy)
            loss.backward()
            opt.step()
            hist.append(loss.item())
    np.testing.assert_allclose(le_hist, lt_hist, rtol=2e-4, atol=2e-5)
    assert lt_hist[-1] < 0.5 * lt_hist[0]  # it really learned something
    for (n, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=n)


def test_functional_exports():
    for name in ("conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d",
                 "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                 "adaptive_max_pool1d", "adaptive_max_pool2d", "pad"):
        assert callable(getattr(F, name)), name


def test_double_backward_node_names():
    def conv(m, x):
        lib = ember if m is F else torch
        return m.conv2d(x, lib.ones(2, 2, 3, 3, dtype=lib.float64, requires_grad=True),
                        padding=1) ** 2

    cases = [
        (conv, "ConvolutionBackwardBackward0"),
        (lambda m, x: m.max_pool2d(x, 2) ** 2, "MaxPool2DWithIndicesBackwardBackward0"),
        (lambda m, x: m.avg_pool2d(x, 2) ** 2, "AvgPool2DBackwardBackward0"),
        (lambda m, x: m.adaptive_avg_pool2d(x, 4) ** 2, "AdaptiveAvgPool2DBackwardBackward0"),
    ]
    for f, name in cases:
        e, t = _leaves(_arrays([(1, 2, 6, 6)], np.float64))
        ge = ember.autograd.grad(f(F, e[0]).sum(), e[0], create_graph=True)[0]
        gt = torch.autograd.grad(f(TF, t[0]).sum(), t[0], create_graph=True)[0]
        assert gt.grad_fn.name() == name
        assert type(ge.grad_fn).__name__ == name
        assert_same(ge, gt, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("nd, k", [(1, 3), (2, 3), (2, 4), (3, 3)])
@pytest.mark.parametrize("padding", ["valid", "same", 0, 1])
@pytest.mark.parametrize("bias", [None, "const", "grad"])
def test_convolution_node_shows_padding_and_bias_as_pytorch(nd, k, padding, bias):
    """ConvolutionBackward0's _saved_padding (PyTorch's (0,) for 'valid') and
    _saved_bias_sym_sizes_opt (the bias's size, whether it requires grad or not)."""
    shown = []
    for lib in (torch, ember):
        f = getattr(lib.nn.functional, f"conv{nd}d")
        b = None if bias is None else lib.ones(1, requires_grad=bias == "grad")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # even kernels with padding='same'
            y = f(lib.ones((1, 1) + (6,) * nd, requires_grad=True), lib.ones((1, 1) + (k,) * nd),
                  b, padding=padding)
        node = y.grad_fn
        while node.name() != "ConvolutionBackward0":
            node = node.next_functions[0][0]
        shown.append((node._saved_padding, node._saved_bias_sym_sizes_opt))
    assert shown[1] == shown[0]
