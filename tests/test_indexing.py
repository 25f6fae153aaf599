"""Indexing against PyTorch: tensor[key] (views for basic keys, copies for advanced ones),
tensor[key] = value with autograd, gather/scatter/masks/take/put/nonzero, error texts."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from parity import assert_same
from test_shape import check, err, rand, ver

RNG = np.random.default_rng(1)


def idx(m, a):
    """An index array as a tensor of the given library."""
    return m.tensor(np.asarray(a))


# -- tensor[key] --------------------------------------------------------------------------
I = np.array([2, 0, 2])  # repeated index: gradients must accumulate  # noqa: E741
MASK = np.array([True, False, True])
GETITEM = {
    "int": lambda m, x: x[1],
    "neg_int": lambda m, x: x[-1],
    "ints": lambda m, x: x[0, 2],
    "int_to_0d": lambda m, x: x[1, 2, 3],
    "slice": lambda m, x: x[1:],
    "slice_step": lambda m, x: x[::2, 1::2],
    "slice_neg_bounds": lambda m, x: x[-2:, :-1],
    "slice_past_end": lambda m, x: x[1:10],
    "slice_empty": lambda m, x: x[2:1],
    "full_slice": lambda m, x: x[:],
    "full_slices": lambda m, x: x[:, :],
    "none": lambda m, x: x[None],
    "none_mid": lambda m, x: x[:, None, 1],
    "ellipsis": lambda m, x: x[..., 1],
    "ellipsis_only": lambda m, x: x[...],
    "ellipsis_none": lambda m, x: x[..., None],
    "empty_tuple": lambda m, x: x[()],
    "mixed_basic": lambda m, x: x[1, None, ::2, -1],
    "list": lambda m, x: x[[2, 0, 2]],
    "tensor_index": lambda m, x: x[idx(m, I)],
    "numpy_index": lambda m, x: x[np.array([1, 1])],
    "tensor_2d_index": lambda m, x: x[idx(m, [[0, 1], [2, 2]])],
    "int32_index": lambda m, x: x[idx(m, I.astype(np.int32))],
    "neg_index": lambda m, x: x[[-1, -3]],
    "index_and_slice": lambda m, x: x[[0, 2], 1:],
    "slice_and_index": lambda m, x: x[:, [3, 0, 3]],
    "two_indices": lambda m, x: x[[0, 1], :, [1, 2]],
    "two_adjacent": lambda m, x: x[:, [0, 1], [1, 2]],
    "broadcast_indices": lambda m, x: x[idx(m, [[0], [2]]), idx(m, [1, 3, 3])],
    "int_and_index": lambda m, x: x[0, :, [1, 2]],
    "int_and_index_adjacent": lambda m, x: x[1, [3, 0]],
    "none_and_index": lambda m, x: x[None, [0, 1]],
    "mask": lambda m, x: x[idx(m, MASK)],
    "mask_list": lambda m, x: x[[True, False, True]],
    "mask_2d": lambda m, x: x[x.detach() > 0],
    "mask_dim1": lambda m, x: x[:, idx(m, [True, False, False, True])],
    "mask_and_index": lambda m, x: x[idx(m, MASK), :, [0, 2]],
    "uint8_mask": lambda m, x: x[idx(m, MASK.astype(np.uint8))],
    "bool_true": lambda m, x: x[True],
    "bool_false": lambda m, x: x[False],
    "0d_int_tensor": lambda m, x: x[m.tensor(1)],
    "0d_bool_tensor": lambda m, x: x[m.tensor(True)],
    "empty_list": lambda m, x: x[[]],
    "slice_with_tensor_bounds": lambda m, x: x[m.tensor(1):m.tensor(3)],
    "list_of_lists": lambda m, x: x[[[0, 1], [1, 2]]],
}


@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem(name):
    check(GETITEM[name], rand(3, 4, 5))


@pytest.mark.parametrize("name", ["int", "slice_step", "none_mid", "list", "two_indices",
                                  "mask_2d", "broadcast_indices", "int_and_index"])
def test_getitem_double_backward(name):
    check(lambda m, x: GETITEM[name](m, x) ** 2, rand(3, 4, 5), double=True, names=False)


def test_getitem_1d_and_0d():
    check(lambda m, x: x[1], rand(3))
    check(lambda m, x: x[[0, 0, 2]], rand(3))
    check(lambda m, x: x[...], rand())
    check(lambda m, x: x[None], rand())
    check(lambda m, x: x[True], rand())


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.uint8, np.complex64])
def test_getitem_dtypes(dtype):
    a = (rand(3, 4) * 3).astype(dtype)
    for key in (1, (slice(None), 2), [0, 2], (a != 0) if dtype is not np.bool_ else a):
        k_e = ember.tensor(key) if isinstance(key, np.ndarray) else key
        k_t = torch.tensor(key) if isinstance(key, np.ndarray) else key
        assert_same(ember.tensor(a)[k_e], torch.tensor(a)[k_t])


BASIC_VIEWS = [1, (slice(None), 2), (slice(1, None, 2),), None, Ellipsis, (0, None, slice(1, 3))]


@pytest.mark.parametrize("key", BASIC_VIEWS, ids=str)
def test_basic_indexing_is_a_view(key):
    a = rand(3, 4)
    ex, tx = ember.tensor(a), torch.tensor(a)
    ev, tv = ex[key], tx[key]
    assert tv._base is tx and ev._base is ex
    ev.mul_(10)
    tv.mul_(10)
    assert_same(ex, tx)
    assert ver(ex) == tx._version == 1


@pytest.mark.parametrize("key", [[0, 1], (slice(None), [1, 2]), np.array([True, False, True])],
                         ids=str)
def test_advanced_indexing_copies(key):
    a = rand(3, 4)
    ex, tx = ember.tensor(a), torch.tensor(a)
    ev, tv = ex[key], tx[key]
    assert tv._base is None and ev._base is None
    ev.mul_(10)
    tv.mul_(10)
    assert_same(ex, tx)
    assert ver(ex) == tx._version == 0


GETITEM_ERRORS = [
    lambda m: m.zeros(3, 4)[5],
    lambda m: m.zeros(3, 4)[-4],
    lambda m: m.zeros(3, 4)[0, 4],
    lambda m: m.zeros(3)[0, 0],
    lambda m: m.zeros(3, 4)[0, 0, 0],
    lambda m: m.zeros(3, 4)[::-1],
    lambda m: m.zeros(3, 4)[:, ::-2],
    lambda m: m.zeros(3, 4)[[5]],
    lambda m: m.zeros(3, 4)[:, [0, -5]],
    lambda m: m.zeros(3, 4, 5)[0, :, [7]],
    lambda m: m.zeros(3, 4)[[0, 1], [0, 1, 2]],
    lambda m: m.zeros(3, 4)[m.tensor([1.0])],
    lambda m: m.zeros(3, 4)[m.ones(4, dtype=m.bool)],
    lambda m: m.zeros(3, 4)[:, m.ones(3, dtype=m.bool)],
    lambda m: m.zeros(3, 4)[1.0],
    lambda m: m.zeros(())[0],
]


@pytest.mark.parametrize("i", range(len(GETITEM_ERRORS)))
def test_getitem_errors(i):
    err(GETITEM_ERRORS[i])


# -- tensor[key] = value ------------------------------------------------------------------
SETITEM = {
    "int_number": (1, 5.0),
    "int_tensor": (1, "row"),
    "slice_number": ((slice(None), slice(1, 3)), -1.0),
    "step_tensor": ((slice(None, None, 2), 0), "pair"),
    "ellipsis": (Ellipsis, "row"),
    "index_number": ([0, 2], 7.0),
    "index_tensor": ([2, 0], "row"),
    "index_broadcast": (([0, 2], [1, 3]), "pair"),
    "mask_number": (np.array([True, False, True]), 3.0),
    "mask_2d_number": ("gt0", 0.0),
    "int_and_index": ((1, [0, 3]), "pair"),
    "none_slice": ((None, 1), "row"),
    "leading_ones_value": (0, "row11"),
    "bool_scalar": (True, 2.0),
}


def _value(m, kind, dtype=np.float64):
    vals = {"row": np.arange(4.0) - 1.5, "pair": np.array([2.5, -1.0]),
            "row11": (np.arange(4.0) * 0.5).reshape(1, 1, 4)}
    return m.tensor(vals[kind].astype(dtype), requires_grad=True)


def _key(m, key, x):
    if isinstance(key, str):
        return x.detach() > 0
    if isinstance(key, np.ndarray):
        return m.tensor(key)
    return key


@pytest.mark.parametrize("name", list(SETITEM))
@pytest.mark.parametrize("grad", [False, True])
def test_setitem(name, grad):
    key, value = SETITEM[name]
    a = rand(3, 4)
    up = rand(3, 4)

    def fn(m):
        x0 = m.tensor(a, requires_grad=grad)
        x = x0 * 1 if grad else x0.clone()
        v = _value(m, value) if isinstance(value, str) else value
        x[_key(m, key, x)] = v
        out = [x]
        if x.requires_grad:
            out.append(x.grad_fn.name().replace("torch::", "ember::"))
            leaves = [x0] if grad else []
            if isinstance(v, (torch.Tensor, ember.Tensor)):
                leaves.append(v)
            out.extend(m.autograd.grad((x * m.tensor(up)).sum(), leaves))
        return out

    e, t = fn(ember), fn(torch)
    assert len(e) == len(t)
    assert_same(e[0], t[0])
    if len(t) > 1:
        assert e[1] == t[1]
        assert_same(e[2:], t[2:])


def test_setitem_value_requires_grad_into_plain_tensor():
    a, w0 = rand(3, 4), rand(2, 4)

    def fn(m):
        w = m.tensor(w0, requires_grad=True)
        out = m.zeros(3, 4, dtype=m.float64)
        out[1:] = w * 2
        out[0] = w[0].exp()
        loss = (out * m.tensor(a)).sum()
        loss.backward()
        return out, w.grad, out.grad_fn.name().replace("torch::", "ember::")

    e, t = fn(ember), fn(torch)
    assert_same(e[:2], t[:2])
    assert e[2] == t[2]


def test_setitem_duplicate_indices_gradient():
    a = rand(3)

    def fn(m):
        w = m.tensor(a, requires_grad=True)
        x = m.zeros(4, dtype=m.float64)
        x[[1, 1, 3]] = w
        x.sum().backward()
        return w.grad, x[3]

    e, t = fn(ember), fn(torch)
    assert_same(e, t)


def test_setitem_dtype_cast_and_broadcast():
    def fn(m):
        x = m.zeros(2, 3, dtype=m.int64)
        x[0] = m.tensor([1.7, -2.2, 3.9])
        x[1, :] = 2.6
        y = m.zeros(2, 3)
        y[:, 1] = m.tensor([5, 6])
        y[y > 5] = m.tensor(9.0, dtype=m.float64)
        return x, y

    assert_same(fn(ember), fn(torch))


def test_setitem_on_view_writes_through_and_records():
    a = rand(3, 4)

    def fn(m):
        x0 = m.tensor(a, requires_grad=True)
        y = x0 * 2
        h = y.view(12)
        h[[0, 5]] = m.tensor([1.0, 2.0], dtype=m.float64)
        h[7] = 0.0
        g, = m.autograd.grad((y.sin() + h.cos().view(3, 4)).sum(), x0)
        return y, h, g, y.grad_fn.name().replace("torch::", "ember::")

    e, t = fn(ember), fn(torch)
    assert_same(e[:3], t[:3])
    assert e[3] == t[3]


def test_setitem_double_backward():
    a, b = rand(3, 4), rand(2, 4)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        w = m.tensor(b, requires_grad=True)
        y = x * x
        y[[0, 2]] = w * x[:2]
        g = m.autograd.grad((y ** 2).sum(), (x, w), create_graph=True)
        return m.autograd.grad((g[0] * 3 + 1).pow(2).sum() + g[1].sum(), (x, w))

    assert_same(fn(ember), fn(torch))


def test_setitem_bumps_version():
    def fn(m):
        x = m.zeros(3)
        v = x[1:]
        x[0] = 1.0
        v[0] = 2.0
        x[[2]] = 3.0
        return x, ver(x) if m is ember else x._version

    e, t = fn(ember), fn(torch)
    assert_same(e[0], t[0])
    assert e[1] == t[1]


SETITEM_ERRORS = [
    lambda m: m.zeros(3, 4).__setitem__(0, m.ones(3)),
    lambda m: m.zeros(3, 4).__setitem__([0, 1], m.ones(3)),
    lambda m: m.zeros(3, 4).__setitem__(0, [1, 2, 3, 4]),
    lambda m: m.zeros(3, 4).__setitem__(0, np.ones(4)),
    lambda m: m.zeros(3, 4, dtype=m.int64).__setitem__(0, "a"),
    lambda m: m.zeros(3, 4).__setitem__(0, None),
    lambda m: m.zeros(3, 4).__setitem__(5, 1.0),
    lambda m: m.zeros(3, 4, requires_grad=True).__setitem__(0, 1.0),
    lambda m: m.zeros(3, 4, requires_grad=True).__setitem__([0], 1.0),
    lambda m: m.zeros(3, 4, requires_grad=True).__setitem__(Ellipsis, 1.0),
    lambda m: m.zeros(3, 4, requires_grad=True).view(12).__setitem__([0], 1.0),
    lambda m: m.zeros(3, 4)[:, ::-1],
]


@pytest.mark.parametrize("i", range(len(SETITEM_ERRORS)))
def test_setitem_errors(i):
    err(SETITEM_ERRORS[i])


# -- functions ----------------------------------------------------------------------------
IDX = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
FUNCS = {
    "index_select": (lambda m, x: x.index_select(1, idx(m, [3, 0, 3])), (3, 4)),
    "index_select_0": (lambda m, x: m.index_select(x, 0, idx(m, [2, 2])), (3, 4)),
    "index_select_int32": (lambda m, x: x.index_select(0, idx(m, np.array([1], np.int32))),
                           (3, 4)),
    "gather": (lambda m, x: x.gather(0, idx(m, IDX)), (3, 4)),
    "gather_small": (lambda m, x: m.gather(x, 1, idx(m, [[0, 0], [2, 1]])), (3, 4)),
    "take_along_dim": (lambda m, x: m.take_along_dim(x, idx(m, IDX[:1]), 0), (3, 4)),
    "take_along_dim_bcast": (lambda m, x: x.take_along_dim(idx(m, [[1], [0], [2]]), 1),
                             (3, 4)),
    "take_along_dim_flat": (lambda m, x: x.take_along_dim(idx(m, [11, 0, 5])), (3, 4)),
    "take": (lambda m, x: x.take(idx(m, [[0, 11], [5, 5]])), (3, 4)),
    "take_neg": (lambda m, x: m.take(x, idx(m, [-1, 0])), (3, 4)),
    "masked_fill": (lambda m, x: x.masked_fill(x.detach() > 0, -1.0), (3, 4)),
    "masked_fill_bcast": (lambda m, x: x.masked_fill(idx(m, [True, False, False, True]), 2),
                          (3, 4)),
    "masked_fill_bigger_mask": (lambda m, x: x.masked_fill(idx(m, [[True], [False]]), 2),
                                (4,)),
    "masked_select": (lambda m, x: x.masked_select(x.detach() > 0), (3, 4)),
    "masked_select_bcast": (lambda m, x: m.masked_select(x, idx(m, [[True], [False]])), (4,)),
    "scatter_value": (lambda m, x: x.scatter(0, idx(m, IDX[:, :3]), 5.0), (3, 4)),
    "scatter_add_reduce": (lambda m, x: x.detach().scatter(1, idx(m, IDX), 2.0, reduce="add"),
                           (3, 4)),
    "nonzero": (lambda m, x: (x.detach() > 0).nonzero(), (3, 4)),
    "nonzero_tuple": (lambda m, x: m.nonzero(x.detach() > 0, as_tuple=True), (3, 4)),
    "argwhere": (lambda m, x: m.argwhere(x.detach() > 0), (3, 4)),
    "where_1arg": (lambda m, x: m.where(x.detach() > 0), (3, 4)),
    "nonzero_0d": (lambda m, x: (x.detach() > 0).nonzero(), ()),
    "nonzero_0d_tuple": (lambda m, x: (x.detach() != 0).nonzero(as_tuple=True), ()),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_functions(name):
    fn, shape = FUNCS[name]
    check(fn, rand(*shape))


TWO_INPUT = {
    "scatter_src": (lambda m, x, s: x.scatter(0, idx(m, IDX), s), (3, 4), (2, 4)),
    "scatter_src_2d": (lambda m, x, s: x.scatter(1, idx(m, [[0, 1], [3, 2]]), s), (3, 4),
                       (2, 2)),
    "scatter_add": (lambda m, x, s: x.scatter_add(0, idx(m, IDX), s), (3, 4), (2, 4)),
    "scatter_add_2d": (lambda m, x, s: m.scatter_add(x, 1, idx(m, [[0, 0], [3, 3]]), s),
                       (3, 4), (2, 2)),
    "index_add": (lambda m, x, s: x.index_add(0, idx(m, [2, 0, 2]), s), (3, 4), (3, 4)),
    "index_add_alpha": (lambda m, x, s: m.index_add(x, 1, idx(m, [1, 1]), s, alpha=-2.0),
                        (3, 4), (3, 2)),
    "put": (lambda m, x, s: x.put(idx(m, [0, 11, 5]), s), (3, 4), (3,)),
    "put_accumulate": (lambda m, x, s: x.put(idx(m, [0, 0, 5]), s, accumulate=True), (3, 4),
                       (3,)),
    "masked_fill_tensor": (lambda m, x, v: x.masked_fill(x.detach() > 0, v), (3, 4), ()),
    "index_put": (lambda m, x, v: x.index_put((idx(m, [0, 2]),), v), (3, 4), (4,)),
    "index_put_acc": (lambda m, x, v: x.index_put((idx(m, [0, 0]), idx(m, [1, 1])), v, True),
                      (3, 4), (2,)),
}


@pytest.mark.parametrize("name", list(TWO_INPUT))
def test_two_input_functions(name):
    fn, sa, sb = TWO_INPUT[name]
    check(fn, rand(*sa), rand(*sb))


def test_scatter_src_larger_than_index():
    # values only: PyTorch itself fails to backward through this case (its src gradient has
    # the index's shape); ember pads it with zeros to src's shape
    check(lambda m, x, s: x.scatter(1, idx(m, [[0, 1], [3, 2]]), s), rand(3, 4), rand(3, 5),
          grad=False)
    check(lambda m, x, s: x.scatter_add(0, idx(m, [[0, 1], [2, 2]]), s), rand(3, 4), rand(3, 5),
          grad=False)
    x = ember.zeros(3, 4, dtype=ember.float64, requires_grad=True)
    s = ember.ones(3, 5, dtype=ember.float64, requires_grad=True)
    x.scatter(1, ember.tensor([[0, 1], [3, 2]]), s).sum().backward()
    assert s.grad.tolist() == [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]]


@pytest.mark.parametrize("name", ["scatter_src", "scatter_add_2d", "index_add", "put",
                                  "masked_fill_tensor", "index_put_acc"])
def test_two_input_double_backward(name):
    fn, sa, sb = TWO_INPUT[name]
    check(lambda m, x, s: fn(m, x * x, s * s), rand(*sa), rand(*sb), double=True, names=False)


@pytest.mark.parametrize("name", ["index_select", "gather", "take", "masked_select",
                                  "take_along_dim_bcast", "masked_fill"])
def test_function_double_backward(name):
    fn, shape = FUNCS[name]
    check(lambda m, x: fn(m, x * x), rand(*shape), double=True, names=False)


def test_inplace_functions():
    a, s = rand(3, 4), rand(2, 4)

    def fn(m):
        x0 = m.tensor(a, requires_grad=True)
        src = m.tensor(s, requires_grad=True)
        x = x0 * 1
        x.masked_fill_(x.detach() > 1, 0.5)
        x.scatter_(0, idx(m, IDX), src)
        x.scatter_add_(1, idx(m, [[0, 0]]), src[:1, :2])
        x.index_add_(0, idx(m, [1, 1]), src)
        x.put_(idx(m, [3]), src[0, :1])
        x.index_put_((idx(m, [0]), idx(m, [0])), m.tensor(9.0, dtype=m.float64))
        x.masked_fill_(idx(m, [True, False, True, False]), src[1, 1])
        g = m.autograd.grad((x * x).sum(), (x0, src))
        return (x, *g)

    assert_same(fn(ember), fn(torch))

    def no_grad(m):
        x = m.tensor(a)
        x.masked_fill_(x > 0, 1.0)
        x.scatter_(1, idx(m, IDX), 2.0)
        return x, ver(x) if m is ember else x._version

    e, t = no_grad(ember), no_grad(torch)
    assert_same(e[0], t[0])
    assert e[1] == t[1]


def test_int_dtypes_and_masked_fill_cast():
    def fn(m):
        x = m.tensor([[1, 2, 3], [4, 5, 6]])
        return (x.masked_fill(x > 3, 1.5), x.gather(1, idx(m, [[2], [0]])),
                x.index_select(0, idx(m, [1])), x.take(idx(m, [5])),
                x.scatter(0, idx(m, [[1, 0, 1]]), 0), x[x > 2], x[[1, 0]])

    assert_same(fn(ember), fn(torch))


FUNC_ERRORS = [
    lambda m: m.zeros(3, 4).index_select(0, idx(m, [[0]])),
    lambda m: m.zeros(3, 4).index_select(0, idx(m, [5])),
    lambda m: m.zeros(3, 4).index_select(0, idx(m, [0.0])),
    lambda m: m.zeros(3, 4).gather(0, idx(m, [[5]])),
    lambda m: m.zeros(3, 4).gather(0, idx(m, [0])),
    lambda m: m.zeros(3, 4).gather(0, m.zeros(1, 1)),
    lambda m: m.zeros(3, 4, 5).gather(0, m.zeros(1, 6, 1, dtype=m.long)),
    lambda m: m.zeros(3, 4).scatter(0, idx(m, [[5]]), 1.0),
    lambda m: m.zeros(3, 4).scatter_add(0, idx(m, [[0]]), m.zeros(1, 1, dtype=m.float64)),
    lambda m: m.zeros(3, 4).masked_fill(idx(m, [1, 0, 1, 0]), 1.0),
    lambda m: m.zeros(3, 4).masked_fill(idx(m, [True, False, True]), 1.0),
    lambda m: m.zeros(3, 4).masked_fill(idx(m, [True, False, True, False]), m.ones(2)),
    lambda m: m.zeros(3).masked_fill_(m.ones(2, 3, dtype=m.bool), 1.0),
    lambda m: m.zeros(3, 4).masked_fill(m.ones(3, 4, dtype=m.uint8), 1.0),
    lambda m: m.zeros(3, 4).take(idx(m, [12])),
    lambda m: m.zeros(3, 4).take(idx(m, [-13])),
    lambda m: m.zeros(3, 4).put(idx(m, [12]), m.ones(1)),
    lambda m: m.zeros(3, 4).index_add(0, idx(m, [0]), m.zeros(1, 4, dtype=m.float64)),
    lambda m: m.zeros(3, 4).index_add(0, idx(m, [0]), m.zeros(2, 4)),
    lambda m: m.zeros(3, 4, requires_grad=True).scatter(0, idx(m, [[0]]), 2.0, reduce="add")
    .sum().backward(),
]


@pytest.mark.parametrize("i", range(len(FUNC_ERRORS)))
def test_function_errors(i):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation warning for scatter(reduce=)
        err(FUNC_ERRORS[i])


# -- property-based ---------------------------------------------------------------------------
@st.composite
def basic_keys(draw, shape):
    key = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "all", "none", "list"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            a = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            b = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            key.append(slice(a, b, draw(st.one_of(st.none(), st.integers(1, 3)))))
        elif kind == "none":
            key.append(None)
            key.append(slice(None))
        elif kind == "list":
            key.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
        else:
            key.append(slice(None))
    cut = draw(st.integers(0, len(key)))
    return tuple(key[:cut])


@settings(max_examples=80, deadline=None)
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_hypothesis_getitem(data, shape):
    key = data.draw(basic_keys(shape))
    a = rand(*shape)
    try:
        torch.tensor(a)[key]
    except IndexError:  # index lists that do not broadcast together: same error
        err(lambda m: m.tensor(a)[key])
        return
    check(lambda m, x: x[key], a)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_hypothesis_setitem(data, shape):
    key = data.draw(basic_keys(shape))
    a = rand(*shape)
    try:
        target_shape = torch.zeros(shape)[key].shape
    except IndexError:  # index lists that do not broadcast together: same error
        err(lambda m: m.zeros(shape).__setitem__(key, 1.0))
        return
    v = rand(*target_shape[data.draw(st.integers(0, len(target_shape))):])
    up = rand(*shape)

    def fn(m):
        x0 = m.tensor(a, requires_grad=True)
        w = m.tensor(v, requires_grad=True)
        x = x0 * 1
        x[key] = w
        return (x, *m.autograd.grad((x * m.tensor(up)).sum(), (x0, w)))

    e, t = fn(ember), fn(torch)
    assert_same(e, t)
