"""scatter_reduce, index_reduce, meshgrid, repeat_interleave, Tensor.unfold, index assignment
and the selection ops' options, against PyTorch: values, dtypes, views, gradients (ties, zeros),
graph nodes, vmap, forward mode and error texts. Gradcheck of each op runs over the op table
(tests/opinfo.py); these tests cover what the table's samples do not."""

import itertools
import random
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.func import vmap

LIBS = (ember, torch)


def outcome(fn, lib):
    """fn(lib)'s value(s) as NumPy, or (exception type name, message without the library)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib)
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return type(exc).__name__, str(exc).split("\n")[0].replace("ember.", "torch.")
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [(o.detach().numpy().copy(), str(o.dtype).split(".")[-1]) for o in outs]


def same(fn, exact=False):
    """fn gives the same values and dtypes (or the same error) on ember and on PyTorch."""
    e, t = outcome(fn, ember), outcome(fn, torch)
    if isinstance(t, tuple) or isinstance(e, tuple):
        assert e == t
        return
    assert len(e) == len(t)
    for (a, da), (b, db) in zip(e, t):
        assert da == db and a.shape == b.shape
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            rtol = 1e-6 if da in ("float32", "complex64") else 1e-12
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=rtol,
                                       equal_nan=True)


def grads(fn, arrays, lib, create_graph=False):
    """The gradients of sum(fn(*leaves) * cos-weights) for leaves made from arrays."""
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *leaves)
    w = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
    gs = lib.autograd.grad((out * w).sum(), leaves, create_graph=create_graph,
                           allow_unused=True)
    return out, leaves, gs


def same_grads(fn, *arrays):
    (eo, _, eg), (to, _, tg) = grads(fn, arrays, ember), grads(fn, arrays, torch)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__
    for a, b in zip(eg, tg):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-15)


# -- scatter_reduce, index_reduce -------------------------------------------------------------
REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _reduce_case(rng, dtype, reduce):
    x, s = rng.integers(-3, 4, (3, 4)), rng.integers(-3, 4, (3, 4))
    if dtype.startswith("float"):
        x, s = x + rng.random((3, 4)).round(1), s + rng.random((3, 4)).round(1)
        s[rng.random(s.shape) < 0.1] = np.nan
    if dtype == "uint8":
        x, s = np.abs(x), np.abs(s)
    if dtype == "bool":
        x, s = x > 0, s > 0
    return x.astype(dtype), s.astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values(dtype, reduce, include_self):
    rng = np.random.default_rng(REDUCES.index(reduce) * 7 + include_self)
    for dim in (0, 1, -1):
        x, s = _reduce_case(rng, dtype, reduce)
        for ishape in ((3, 4), (2, 3), (0, 2)):
            idx = rng.integers(0, x.shape[dim], ishape)
            same(lambda m: m.tensor(x).scatter_reduce(dim, m.tensor(idx), m.tensor(s), reduce,
                                                      include_self=include_self))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_values(dtype, reduce, include_self):
    rng = np.random.default_rng(len(dtype) + include_self)
    for dim in (0, 1, -2):
        x, s = _reduce_case(rng, dtype, reduce)
        for n in (0, 1, 4):
            idx = rng.integers(0, x.shape[dim], n)
            src = s[:, :n] if dim % 2 else np.resize(s, (n, 4))
            same(lambda m: m.tensor(x).index_reduce(dim, m.tensor(idx), m.tensor(src), reduce,
                                                    include_self=include_self))


def test_reduce_gradients_with_ties_and_zeros():
    """PyTorch's rules: amax/amin split the gradient evenly among tied values (counting self
    even when include_self=False); prod's gradient where one or more zeros meet."""
    x = np.array([1.0, 5.0, 2.0, 0.0])
    s = np.array([1.0, 1.0, 3.0, 2.0, 0.0, 0.0, 2.0])
    i = np.array([0, 0, 2, 2, 3, 1, 2])
    for reduce, include_self in itertools.product(REDUCES, (True, False)):
        same_grads(lambda m, a, b: a.scatter_reduce(0, m.tensor(i), b, reduce,
                                                    include_self=include_self), x, s)
        if reduce != "sum":
            same_grads(lambda m, a, b: a.index_reduce(0, m.tensor(i), b, reduce,
                                                      include_self=include_self), x, s)


@pytest.mark.parametrize("include_self", [True, False])
def test_prod_double_backward_through_zeros(include_self):
    x = np.array([0.0, 5.0, 2.0])
    s = np.array([0.0, 3.0, 0.0, 2.0, 0.0])
    i = np.array([0, 0, 2, 2, 1])
    out = []
    for lib in LIBS:
        _, leaves, (gx, gs) = grads(
            lambda m, a, b: a.scatter_reduce(0, m.tensor(i), b, "prod",
                                             include_self=include_self), (x, s), lib, True)
        second = lib.autograd.grad(gs.sum() + gx.sum(), leaves, allow_unused=True)
        out.append([g.numpy() for g in second])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b)


def test_scatter_reduce_src_larger_than_index_gets_a_padded_gradient():
    # PyTorch's backward returns a gradient of the index's shape here and its engine refuses
    # it; ember pads it with zeros (src's other elements are not read)
    x = ember.zeros(4, dtype=ember.float64)
    s = ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=ember.float64, requires_grad=True)
    x.scatter_reduce(0, ember.tensor([1, 3, 1]), s, "prod", include_self=False).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), [3.0, 1.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("case", [
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.ones(1), "foo"),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.ones(1, dtype=m.float64), "sum"),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0.0]), m.ones(1), "sum"),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([5]), m.ones(1), "sum"),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([-1]), m.ones(1), "sum"),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0, 1, 2]), m.ones(2), "sum"),
    lambda m: m.zeros(2, 3).scatter_reduce(0, m.tensor([0]), m.ones(2, 3), "sum"),
    lambda m: m.zeros(3, dtype=m.bool).scatter_reduce(0, m.tensor([0]),
                                                      m.ones(1, dtype=m.bool), "mean"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([0]), m.ones(1), "sum"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([0]), m.ones(1), "foo"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([0, 1]), m.ones(1), "prod"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([5]), m.ones(1), "prod"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([-1]), m.ones(1), "prod"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([0]), m.ones(1, dtype=m.float64), "prod"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([0.0]), m.ones(1), "prod"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([[0]]), m.ones(1), "prod"),
    lambda m: m.zeros(2, 3).index_reduce(1, m.tensor([0, 2]), m.ones(3, 2), "amax"),
    lambda m: m.zeros(3, dtype=m.bool).index_reduce(0, m.tensor([0]), m.ones(1, dtype=m.bool),
                                                    "amax", include_self=False),
], ids=lambda f: None)
def test_reduce_errors(case):
    same(case)


def test_index_reduce_warns_beta_and_has_no_forward_rule():
    from ember import _errors

    _errors._WARNED.discard("index_reduce")
    with pytest.warns(UserWarning, match=r"index_reduce\(\) is in beta"):
        ember.zeros(3).index_reduce(0, ember.tensor([0]), ember.ones(1), "prod")
    import ember.autograd.forward_ad as fw

    for inplace in (False, True):
        with fw.dual_level():
            x = fw.make_dual(ember.zeros(3), ember.ones(3))
            op = x.index_reduce_ if inplace else x.index_reduce
            with pytest.raises(NotImplementedError) as info:
                op(0, ember.tensor([0]), ember.ones(1), "prod")
        name = "index_reduce_" if inplace else "index_reduce"
        assert str(info.value).startswith(f"Trying to use forward AD with {name} that does not "
                                          "support it")


def test_scatter_reduce_prod_forward_mode_gives_the_true_tangent():
    # PyTorch gives this output no tangent at all; ember's equals the finite difference
    import ember.autograd.forward_ad as fw

    x, s = np.array([1.5, 2.0, -1.0]), np.array([2.0, 3.0, 0.5])
    i = ember.tensor([0, 0, 2])
    with fw.dual_level():
        a = fw.make_dual(ember.tensor(x), ember.tensor(np.ones(3)))
        tangent = fw.unpack_dual(a.scatter_reduce(0, i, ember.tensor(s), "prod")).tangent
    np.testing.assert_allclose(tangent.numpy(), [6.0, 1.0, 0.5])


def test_scatter_reduce_under_vmap_in_place_and_out_of_place():
    x, s = ember.randn(4, 3, 5), ember.randn(4, 3, 5)
    i = ember.tensor([[0, 1, 0, 2, 4], [1, 1, 2, 0, 3], [3, 0, 0, 1, 4]])
    want = ember.stack([x[k].scatter_reduce(1, i, s[k], "amax") for k in range(4)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no per-sample fallback
        got = vmap(lambda a, b: a.scatter_reduce(1, i, b, "amax"))(x, s)
        y = x.clone()
        vmap(lambda a, b: a.scatter_reduce_(1, i, b, "amax"))(y, s)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(y.numpy(), want.numpy())


# -- meshgrid ---------------------------------------------------------------------------------
def _chain(fn):
    names = []
    while fn is not None:
        names.append(type(fn).__name__)
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return names


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (3, 2, 4), ((), 2), (0, 3)])
def test_meshgrid_views(indexing, sizes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(n) for n in sizes]
    got = []
    for lib in LIBS:
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        grids = lib.meshgrid(*ts, indexing=indexing)
        listed = lib.meshgrid(ts, indexing=indexing)
        assert isinstance(grids, tuple) and len(listed) == len(grids)
        gs = lib.autograd.grad(sum((g * (k + 1)).sum() for k, g in enumerate(grids)), ts)
        # (strides of empty tensors: ember reports contiguous ones, whatever the view)
        got.append([(g.detach().numpy(), g.stride() if g.numel() else (), _chain(g.grad_fn),
                     g._base is t)
                    for g, t in zip(grids, ts)] + [g.numpy() for g in gs])
    for a, b in zip(*got):
        if isinstance(a, tuple):
            np.testing.assert_array_equal(a[0], b[0])
            assert a[1:] == b[1:]
        else:
            np.testing.assert_allclose(a, b)


def test_meshgrid_warns_without_indexing_once():
    from ember import _errors

    _errors._WARNED.discard("meshgrid")
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        ember.meshgrid(ember.ones(2), ember.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = ember.meshgrid(ember.ones(2), ember.ones(3))
    assert a.shape == (2, 3)


@pytest.mark.parametrize("case", [
    lambda m: m.meshgrid(indexing="ij"),
    lambda m: m.meshgrid([], indexing="ij"),
    lambda m: m.meshgrid(m.ones(2), m.ones(2), indexing="foo"),
    lambda m: m.meshgrid(m.ones(2), m.ones(2, dtype=m.float64), indexing="ij"),
    lambda m: m.meshgrid(m.ones(2), 3, indexing="ij"),
])
def test_meshgrid_errors(case):
    same(case)


def test_meshgrid_batches_under_vmap():
    a, b = ember.randn(4, 3), ember.randn(4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, y = vmap(lambda p, q: ember.meshgrid(p, q, indexing="xy"))(a, b)
    assert x.shape == (4, 2, 3)
    np.testing.assert_array_equal(y[1].numpy(), np.broadcast_to(b[1].numpy()[:, None], (2, 3)))


# -- repeat_interleave ------------------------------------------------------------------------
REPEATS = [((2,), {}), ((2,), {"dim": 1}), ((np.array([1, 2]),), {"dim": 0}),
           ((np.array([1, 0, 2]),), {"dim": 1}), ((np.array([3]),), {"dim": 1}),
           ((np.array(3),), {}), ((2,), {"dim": 0, "output_size": 4}),
           ((np.array([1, 2]),), {"dim": 0, "output_size": 3}), ((0,), {"dim": -1}),
           ((np.array([1, 2, 3]),), {"dim": 0}), ((-1,), {}), ((np.array([1, -1]),), {"dim": 0}),
           ((np.array([[1, 2]]),), {"dim": 0}), ((np.array([1.0, 2.0]),), {"dim": 0}),
           ((2,), {"dim": 2}), ((np.array([1, 2]),), {"dim": 0, "output_size": 4}),
           ((2,), {"dim": 0, "output_size": 3}), ((np.array([1, 2]),), {}), ((True,), {})]


def _rep(args, lib):
    return [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("args,kwargs", REPEATS)
def test_repeat_interleave(args, kwargs):
    x = np.arange(6.0).reshape(2, 3)
    same(lambda m: m.tensor(x).repeat_interleave(*_rep(args, m), **kwargs))
    same(lambda m: m.repeat_interleave(m.tensor(x.T.copy()).t(), *_rep(args, m), **kwargs))
    if not isinstance(outcome(lambda m: m.tensor(x).repeat_interleave(*_rep(args, m), **kwargs),
                              torch), tuple):
        same_grads(lambda m, a: a.repeat_interleave(*_rep(args, m), **kwargs), x)


@pytest.mark.parametrize("repeats", [[1, 2, 3], [0, 2], [], 2, [1.0, 2.0], [[1, 2]], [1, -2]])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_repeat_interleave_one_argument_form(repeats, dtype):
    r = np.array(repeats, dtype=dtype if not isinstance(repeats, list) or not repeats
                 or not isinstance(repeats[0], float) else float)
    same(lambda m: m.repeat_interleave(m.tensor(r)), exact=True)
    same(lambda m: m.repeat_interleave(m.tensor(r), output_size=3), exact=True)


def test_repeat_interleave_of_a_scalar():
    for fn in (lambda m: m.tensor(1.5).repeat_interleave(3),
               lambda m: m.tensor(1.5).repeat_interleave(3, dim=0),
               lambda m: m.tensor(1.5).repeat_interleave(m.tensor([2]), dim=0)):
        same(fn)


def test_repeat_interleave_under_vmap():
    x = ember.randn(4, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = vmap(lambda a: a.repeat_interleave(2))(x)
        rows = vmap(lambda a: ember.repeat_interleave(a, ember.tensor([1, 0, 2]), dim=1))(x)
    np.testing.assert_array_equal(flat.numpy(), np.repeat(x.numpy().reshape(4, -1), 2, axis=1))
    np.testing.assert_array_equal(rows.numpy(), np.repeat(x.numpy(), [1, 0, 2], axis=2))


# -- Tensor.unfold ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(1, 2, 2), (1, 2, 1), (0, 1, 1), (1, 0, 1), (-1, 5, 3),
                                  (1, 6, 1), (1, 2, 0), (1, -1, 1), (2, 1, 1), (0, 2, 3)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_unfold(args, layout):
    x = np.arange(10.0).reshape(2, 5) if layout == "contiguous" else np.arange(10.0).reshape(5,
                                                                                          2).T
    same(lambda m: m.tensor(x).unfold(*args))
    if isinstance(outcome(lambda m: m.tensor(x).unfold(*args), torch), tuple):
        return
    same_grads(lambda m, a: a.unfold(*args), x)
    for lib in LIBS:
        t = lib.tensor(x)
        u = t.unfold(*args)
        if u.numel():
            assert u._base is t and u.stride() == torch.tensor(x).unfold(*args).stride()


@pytest.mark.parametrize("args", [(0, 1, 1), (-1, 1, 1), (0, 0, 1), (0, 2, 1), (1, 1, 1)])
def test_unfold_of_a_scalar(args):
    same(lambda m: m.tensor(3.0).unfold(*args))


def test_unfold_is_a_writable_view_with_double_backward():
    x = ember.arange(6.0)
    x.unfold(0, 2, 2)[1, 0] = 9.0
    assert x[2].item() == 9.0
    leaf = ember.randn(7, dtype=ember.float64, requires_grad=True)
    out = leaf.unfold(0, 3, 2)
    g = ember.randn(3, 3, dtype=ember.float64, requires_grad=True)
    (gx,) = ember.autograd.grad(out, leaf, g, create_graph=True)
    assert type(gx.grad_fn).__name__ == "UnfoldBackwardBackward0"
    assert ember.autograd.gradgradcheck(lambda a: a.unfold(0, 3, 2), (leaf,))


def test_unfold_under_vmap():
    x = ember.randn(4, 2, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = vmap(lambda a: a.unfold(1, 2, 1))(x)
    want = ember.stack([x[k].unfold(1, 2, 1) for k in range(4)])
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    # nn.functional.unfold shares the name and still batches
    imgs = ember.randn(3, 1, 2, 4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cols = vmap(lambda a: ember.nn.functional.unfold(a, 2))(imgs)
    assert cols.shape == (3, 1, 8, 9)


# -- index assignment -------------------------------------------------------------------------
SHAPE = (3, 4, 2)


def _key_item(rnd, size, kind):
    if kind == "int":
        return rnd.randint(-size, size - 1)
    if kind == "slice":
        return slice(rnd.choice([None, 0, 1, -1, -2]), rnd.choice([None, 2, -1, 5, 0]),
                     rnd.choice([None, 1, 2]))
    if kind == "full":
        return slice(None)
    if kind == "none":
        return None
    if kind == "ellipsis":
        return Ellipsis
    if kind == "list":
        return [rnd.randint(-size, size - 1) for _ in range(rnd.randint(1, 3))]
    if kind == "tensor":
        shape = rnd.choice([(2,), (1,), (2, 2), (0,)])
        return ("index", np.array([rnd.randint(-size, size - 1) for _ in range(
            int(np.prod(shape)))], np.int64).reshape(shape))
    if kind == "mask":
        return ("index", np.array([rnd.random() > 0.5 for _ in range(size)]))
    if kind == "bool":
        return rnd.choice([True, False])
    return size + 1  # out of bounds


def _random_key(rnd):
    kinds = ["int", "slice", "full", "none", "ellipsis", "list", "tensor", "mask", "bool"]
    key, dim, ellipsis = [], 0, False
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.choice(kinds + (["oob"] if rnd.random() < 0.05 else []))
        if kind == "ellipsis":
            if ellipsis:
                continue  # PyTorch's handling of a second Ellipsis is its own
            ellipsis = True
        key.append(_key_item(rnd, SHAPE[dim] if dim < len(SHAPE) else 3, kind))
        dim += kind not in ("none", "ellipsis", "bool")
    return tuple(key) if len(key) > 1 or rnd.random() < 0.5 else key[0]


def _lib_key(key, lib):
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "index":
        return lib.tensor(key[1])
    if isinstance(key, tuple):
        return tuple(_lib_key(k, lib) for k in key)
    return key


def _random_value(rnd, target):
    r = rnd.random()
    if r < 0.2:
        return rnd.choice([1.5, 2, True])
    shape = list(target)
    if r < 0.5 and shape:
        shape = [rnd.choice([s, 1]) for s in shape][rnd.randint(0, len(shape)):]
    elif r < 0.6:
        shape = [1] + shape
    elif r < 0.7:
        shape = [rnd.randint(0, 3) for _ in range(rnd.randint(0, 3))]
    dtype = rnd.choice(["float64", "float64", "float32", "int64"])
    return np.asarray(np.random.default_rng(len(shape)).standard_normal(shape)).astype(dtype)


def _assign(lib, key, value, grad):
    x0 = lib.tensor(np.arange(24.0).reshape(SHAPE), requires_grad=grad)
    x = x0 * 1 if grad else x0.clone()
    v = lib.tensor(value) if isinstance(value, np.ndarray) else value
    if grad and isinstance(v, lib.Tensor) and v.dtype == lib.float64:
        v.requires_grad_(True)
    try:
        x[_lib_key(key, lib)] = v
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return type(exc).__name__, str(exc).replace("ember.", "torch.")
    out = [x.detach().numpy().copy()]
    if grad:
        w = lib.tensor(np.cos(np.arange(24.0)).reshape(SHAPE))
        leaves = [x0] + ([v] if isinstance(v, lib.Tensor) and v.requires_grad else [])
        gs = lib.autograd.grad((x * w).sum(), leaves, allow_unused=True)
        out += [np.zeros(tuple(a.shape)) if g is None else g.numpy() for g, a in zip(gs, leaves)]
        out.append(type(x.grad_fn).__name__)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_index_assignment_fuzz(seed):
    """Random keys (ints, slices, None, Ellipsis, lists, index and mask tensors, bools, out of
    bounds) and values (numbers, tensors of broadcastable, wrong and other dtypes): the same
    result, gradients for x and the value, graph node, or the same error as PyTorch."""
    rnd = random.Random(seed)
    for _ in range(150):
        key = _random_key(rnd)
        try:
            target = torch.zeros(SHAPE)[_lib_key(key, torch)].shape
        except (IndexError, RuntimeError):
            target = (2,)
        value = _random_value(rnd, target)
        for grad in (False, True):
            e, t = _assign(ember, key, value, grad), _assign(torch, key, value, grad)
            if isinstance(t, tuple) or isinstance(e, tuple):
                assert e == t, (key, value)
                continue
            assert len(e) == len(t) and e[-1] == t[-1] if grad else True, (key, value)
            for a, b in zip(e, t):
                if isinstance(a, str):
                    assert a == b, (key, value)
                else:
                    assert a.shape == b.shape, (key, value)
                    np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=str((key, value)))


M = np.array([True, False, True])
ASSIGN_CASES = {
    "mask_one_element_casts": lambda m: m.zeros(3, 2).__setitem__(m.tensor(M),
                                                                 m.ones(1, dtype=m.float64)),
    "mask_and_int_casts": lambda m: m.zeros(3, 2).__setitem__((m.tensor(M), 0),
                                                             m.ones(1, dtype=m.float64)),
    "mask_more_elements_dtype": lambda m: m.zeros(3, 2).__setitem__(
        m.tensor(M), m.ones(2, 2, dtype=m.float64)),
    "index_dtype": lambda m: m.zeros(3, 2).__setitem__([0], m.ones(1, dtype=m.float64)),
    "index_dtype_0d_bool_key": lambda m: m.zeros(3, 2).__setitem__(
        m.tensor(True), m.ones(1, dtype=m.float64)),
    "lone_true_is_a_view": lambda m: m.zeros(3, 2).__setitem__(True, m.ones(1, dtype=m.int64)),
    "lone_false_writes_nothing": lambda m: m.zeros(3, 2).__setitem__(False, m.ones(5)),
    "shape_before_dtype": lambda m: m.zeros(3, 2).__setitem__([0, 1], m.ones(3, dtype=m.int64)),
    "shape_before_bounds": lambda m: m.zeros(3, 2).__setitem__([0, 7], m.ones(3)),
    "dtype_before_bounds": lambda m: m.zeros(3, 2).__setitem__([0, 7], m.ones(2, dtype=m.int64)),
    "empty_selection_reads_no_index": lambda m: m.zeros(3, 2).__setitem__(([7], []), 1.0),
    "too_many_value_dims": lambda m: m.zeros(3, 2).__setitem__(0, m.ones(2, 1, 2)),
    "complex_into_real": lambda m: m.zeros(3).__setitem__(0, 1j),
    "complex_zero_imag": lambda m: m.zeros(3).__setitem__(0, 2 + 0j),
    "int8_overflow": lambda m: m.zeros(3, dtype=m.int8).__setitem__(0, 200),
    "int8_overflow_index": lambda m: m.zeros(3, dtype=m.int8).__setitem__([0], -200),
    "uint8_negative_wraps": lambda m: m.zeros(3, dtype=m.uint8).__setitem__(0, -129),
    "uint8_negative_float": lambda m: m.zeros(3, dtype=m.uint8).__setitem__(0, -1.5),
    "int32_float_overflow": lambda m: m.zeros(3, dtype=m.int32).__setitem__(0, 1e10),
    "int64_too_big": lambda m: m.zeros(3, dtype=m.int64).__setitem__(0, 2 ** 63),
    "int_nan": lambda m: m.zeros(3, dtype=m.int16).__setitem__(0, float("nan")),
    "float32_overflow": lambda m: m.zeros(3).__setitem__(0, 3.5e38),
    "float32_inf": lambda m: m.zeros(3).__setitem__(0, float("inf")),
    "complex64_overflow": lambda m: m.zeros(3, dtype=m.complex64).__setitem__(0, 1e300),
    "numpy_float32": lambda m: m.zeros(3).__setitem__(0, np.float32(2)),
    "numpy_float64": lambda m: m.zeros(3).__setitem__(0, np.float64(2)),
    "numpy_int64": lambda m: m.zeros(3).__setitem__(0, np.int64(2)),
    "numpy_bool": lambda m: m.zeros(3).__setitem__(0, np.bool_(True)),
    "list_value": lambda m: m.zeros(3).__setitem__(0, [1.0]),
    "mask_shape_is_the_views": lambda m: m.zeros(3, 4, 2).__setitem__(
        (Ellipsis, m.tensor(M), -2, Ellipsis), 1.0),
    "int_error_names_its_place": lambda m: m.zeros(3, 4, 2).__setitem__((Ellipsis, None, 0, 2),
                                                                        1.0),
    "second_ellipsis_then_none": lambda m: m.zeros(3, 4, 2).__setitem__(
        (Ellipsis, Ellipsis, None), 1.0),
    "second_ellipsis_then_index": lambda m: m.zeros(3, 4, 2).__setitem__(
        (Ellipsis, Ellipsis, [0]), 1.0),
}


@pytest.mark.parametrize("name", ASSIGN_CASES)
def test_index_assignment_cases(name):
    fn = ASSIGN_CASES[name]

    def run(m):
        x = fn(m)
        assert x is None
        return m.zeros(1)

    same(run)


@pytest.mark.parametrize("key", ["whole", "ellipsis", "full_slice"])
@pytest.mark.parametrize("value", ["number", "0-d", "1-element"])
def test_whole_tensor_assignment_nodes(key, value):
    k = {"whole": (), "ellipsis": Ellipsis, "full_slice": slice(None)}[key]
    names = []
    for lib in LIBS:
        x = lib.zeros(3, 2, requires_grad=True) * 1
        v = {"number": 1.5, "0-d": lib.tensor(1.5, requires_grad=True),
             "1-element": lib.ones(1, requires_grad=True)}[value]
        x[k] = v
        names.append(x.grad_fn.name().split("::")[-1])
        leaves = [v] if isinstance(v, lib.Tensor) else []
        if leaves:
            (g,) = lib.autograd.grad(x.sum(), leaves)
            names.append(float(g.sum()))
    assert names[: len(names) // 2] == names[len(names) // 2:]


# -- sort, topk, kthvalue, cummax and the rest ------------------------------------------------
DATA = {
    "ties": np.array([[3.0, 1.0, 3.0, 2.0, 1.0], [0.0, 0.0, 5.0, -1.0, 0.0]]),
    "nan": np.array([[3.0, np.nan, 1.0, np.nan, -np.inf], [np.inf, 0.0, -0.0, 2.0, np.nan]]),
    "int": np.array([[3, 1, 3, 2, 1], [0, 0, 5, -1, 0]]),
    "bool": np.array([[True, False, True], [False, False, True]]),
    "scalar": np.array(2.5),
    "empty": np.zeros((0, 3)),
    "float32": np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 0.0]], dtype=np.float32),
}


@pytest.mark.parametrize("data", DATA)
def test_sort_and_argsort_options(data):
    a = DATA[data]
    for stable, descending, dim in itertools.product([None, False, True], [None, False, True],
                                                     [None, 0, -1, 1, 2]):
        kw = {k: v for k, v in (("stable", stable), ("descending", descending), ("dim", dim))
              if v is not None}
        same(lambda m: m.sort(m.tensor(a), **kw), exact=True)
        same(lambda m: m.tensor(a).argsort(**kw), exact=True)
    same(lambda m: m.msort(m.tensor(a)), exact=True)
    same(lambda m: m.sort(m.tensor(a), 0, True), exact=True)


@pytest.mark.parametrize("data", DATA)
def test_topk_options(data):
    """Values always; indices where no values tie (PyTorch leaves the order among ties, and
    the order of an unsorted result, to its selection algorithm)."""
    a = DATA[data]
    for k, dim, largest in itertools.product([0, 1, 3, 6], [None, 0, -1], [True, False]):
        kw = {"largest": largest} if dim is None else {"largest": largest, "dim": dim}
        e, t = outcome(lambda m: m.topk(m.tensor(a), k, **kw), ember), outcome(
            lambda m: m.topk(m.tensor(a), k, **kw), torch)
        if isinstance(t, tuple) or isinstance(e, tuple):
            assert e == t
            continue
        np.testing.assert_array_equal(e[0][0], t[0][0])
        if data in ("float32",) or data == "nan" and k < 3:
            np.testing.assert_array_equal(e[1][0], t[1][0])


@pytest.mark.parametrize("data", DATA)
def test_kthvalue_picks_pytorchs_index_among_ties(data):
    a = DATA[data]
    for k, dim, keepdim in itertools.product([0, 1, 2, 3, 5, 6], [None, 0, -1], [False, True]):
        kw = {"keepdim": keepdim} if dim is None else {"keepdim": keepdim, "dim": dim}
        same(lambda m: m.kthvalue(m.tensor(a), k, **kw), exact=True)


def test_kthvalue_random_ties():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 12))
        a = rng.integers(0, 4, (3, n)).astype(float)
        a[rng.random(a.shape) < 0.1] = np.nan
        k = int(rng.integers(1, n + 1))
        same(lambda m: m.kthvalue(m.tensor(a), k, 1), exact=True)


@pytest.mark.parametrize("name", ["cummax", "cummin", "logcumsumexp"])
@pytest.mark.parametrize("data", DATA)
def test_cumulative_selection(name, data):
    a = DATA[data]
    for dim in (0, 1, -1, 2):
        same(lambda m: getattr(m, name)(m.tensor(a), dim), exact=name != "logcumsumexp")
        same(lambda m: getattr(m.tensor(a), name)(dim=dim), exact=name != "logcumsumexp")


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize("data", DATA)
def test_logaddexp(name, data):
    a = DATA[data]
    same(lambda m: getattr(m, name)(m.tensor(a), m.tensor(a).flip(-1) if a.ndim else m.tensor(a)))
    same(lambda m: getattr(m, name)(m.tensor(a), m.tensor([1.0], dtype=m.float32)))
    same(lambda m: getattr(m.tensor(a), name)(m.tensor(1)))


@pytest.mark.parametrize("vshape", [(1,), (2,), (1, 2), (1, 1, 2), (4, 1), (4, 2), (1, 4, 2)])
def test_basic_assignment_value_goes_through_view_and_expand(vshape):
    """x[0] = v: PyTorch copies from v without its leading 1s (ViewBackward0), expanded to the
    target where the shapes differ (ExpandBackward0); v's gradient sums over the broadcast."""
    found = []
    for lib in LIBS:
        x = lib.zeros(3, 4, 2, requires_grad=True) * 1
        v = lib.ones(*vshape, requires_grad=True)
        x[0] = v
        found.append(_chain(x.grad_fn.next_functions[1][0]))
        (g,) = lib.autograd.grad((x * lib.arange(24.0).reshape(3, 4, 2)).sum(), v)
        found.append(g.numpy().tolist())
    assert found[:2] == found[2:]


I02 = np.array([0, 2])
INDEX_PUT_CASES = {
    "dtype": lambda m: m.zeros(3, 2, dtype=m.float64).index_put((m.tensor(I02),),
                                                                m.ones(2, 2)),
    "accumulate": lambda m: m.zeros(3, 2).index_put((m.tensor(I02),), m.ones(2, 2), True),
    "scalar_value_tensor": lambda m: m.zeros(3, 2).index_put((m.tensor(I02),), m.tensor(5.0)),
    "no_leading_ones_dropped": lambda m: m.zeros(3, 2).index_put((m.tensor(I02),),
                                                                 m.ones(1, 1, 2)),
    "shape_before_bounds": lambda m: m.zeros(3, 2).index_put((m.tensor([0, 5]),), m.ones(3)),
    "bounds": lambda m: m.zeros(3, 2).index_put((m.tensor([0, 5]),), m.ones(2, 2)),
    "mask_casts_one_element": lambda m: m.zeros(3, 2, dtype=m.float64).index_put(
        (m.tensor(M),), m.ones(1)),
    "two_indices": lambda m: m.zeros(3, 2).index_put((m.tensor(I02), m.tensor([0, 1])),
                                                     m.ones(2), True),
    "indices_do_not_broadcast": lambda m: m.zeros(3, 2).index_put(
        (m.tensor(I02), m.tensor([0, 1, 1])), m.ones(2)),
    "in_place_dtype": lambda m: m.zeros(3, 2, dtype=m.float64).index_put_((m.tensor(I02),),
                                                                          m.ones(2, 2)),
    "list_of_indices": lambda m: m.index_put(m.zeros(3, 2), [m.tensor(I02)], m.ones(2)),
    "none_index": lambda m: m.zeros(3, 2).index_put((None,), m.ones(1)),
    "tensor_not_tuple": lambda m: m.zeros(3, 2).index_put(m.tensor([0]), m.ones(1)),
}


@pytest.mark.parametrize("name", INDEX_PUT_CASES)
def test_index_put_cases(name):
    same(INDEX_PUT_CASES[name])


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_tangents_with_ties(reduce, include_self):
    """Forward mode as PyTorch's: amax/amin average the tangents of the tied values (self's
    only when it takes part, which PyTorch's backward does not follow)."""
    x, s = np.array([1.0, 5.0, 2.0, 0.0]), np.array([1.0, 1.0, 3.0, 2.0, 0.0, 0.0, 2.0])
    tx, ts = np.array([0.3, -1.0, 2.0, 0.5]), np.array([1.0, 2.0, -1.0, 0.25, 3.0, 1.5, -2.0])
    i = np.array([0, 0, 2, 2, 3, 1, 2])
    found = []
    for lib in LIBS:
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            a = fw.make_dual(lib.tensor(x), lib.tensor(tx))
            b = fw.make_dual(lib.tensor(s), lib.tensor(ts))
            out = a.scatter_reduce(0, lib.tensor(i), b, reduce, include_self=include_self)
            found.append(fw.unpack_dual(out).tangent.numpy())
    np.testing.assert_allclose(found[0], found[1], rtol=1e-12)


@pytest.mark.parametrize("case", [
    lambda m: m.sort(m.zeros(3), descending=1),
    lambda m: m.sort(m.zeros(3), 0, 1),
    lambda m: m.sort(m.zeros(3), stable=1),
    lambda m: m.sort(m.zeros(3), stable=True, descending=1),
    lambda m: m.sort(m.zeros(3), descending=None),
    lambda m: m.sort(m.zeros(3), stable=None, descending=True),
    lambda m: m.argsort(m.zeros(3), stable=None),
    lambda m: m.argsort(m.zeros(3), descending=1),
    lambda m: m.argsort(m.zeros(3), dim=0, stable=True, descending=1),
])
def test_sort_argument_types(case):
    same(case)


@pytest.mark.parametrize("case", [
    lambda m: m.topk(m.zeros(3), 2, largest=1),
    lambda m: m.topk(m.zeros(3), 2, sorted=None),
    lambda m: m.topk(m.zeros(3), 2, largest=np.bool_(True)),
    lambda m: m.kthvalue(m.zeros(3), 1, keepdim=1),
])
def test_selection_flags_must_be_bool(case):
    same(case)


@pytest.mark.parametrize("case", [
    lambda m: m.scatter_reduce(m.zeros(3), 0, m.tensor([0]), 1.0, "sum"),
    lambda m: m.zeros(3).scatter_reduce(0, [0], m.ones(1), "sum"),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.ones(1), 3),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.ones(1)),
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.ones(1), "sum", include_self=1),
    lambda m: m.zeros(3).scatter_reduce_(0, m.tensor([0]), 2.0, "sum"),
    lambda m: m.zeros(3).index_reduce(0, m.tensor([0]), 1.0, "prod"),
    lambda m: m.zeros(3).index_reduce(0, [0], m.ones(1), "prod"),
    lambda m: m.index_reduce(m.zeros(3), 0, m.tensor([0]), m.ones(1), 5),
    lambda m: m.zeros(3).index_reduce_(0, m.tensor([0]), m.ones(1), "prod", include_self=None),
])
def test_reduce_argument_types(case):
    same(case)


@pytest.mark.parametrize("case", [
    lambda m: m.zeros(2, 5).unfold(1.0, 2, 1),
    lambda m: m.zeros(2, 5).unfold(1, 2.0, 1),
    lambda m: m.zeros(2, 5).unfold(1, 2),
    lambda m: m.zeros(2, 5).unfold(1, m.tensor(2), 1),
    lambda m: m.zeros(2, 5).unfold(dimension=1, size=2, step=1),
    lambda m: m.zeros(2, 5).repeat_interleave(2, dim=1.0),
    lambda m: m.zeros(2, 5).repeat_interleave(2, 1, output_size=4.0),
    lambda m: m.zeros(2, 5).repeat_interleave(m.tensor(2), dim=m.tensor(1)),
    lambda m: m.zeros(2, 5).repeat_interleave(2, 1, output_size=m.tensor(10)),
    lambda m: m.repeat_interleave(m.zeros(2, 5), repeats=2),
    lambda m: m.repeat_interleave(repeats=m.tensor([1, 2])),
    lambda m: m.repeat_interleave(m.zeros(2, 5), 2, dim=1.0),
    lambda m: m.repeat_interleave(m.zeros(2, 5), 2, 1, output_size=4.0),
])
def test_unfold_and_repeat_interleave_argument_types(case):
    same(case)


@pytest.mark.parametrize("key", [(True, slice(0, 0, 2), -3, [1]),
                                 (Ellipsis, [-3, -2, -1], slice(None), True),
                                 (0, slice(None), [1, 0]), ([2, 0], 1), (slice(1, None), [0, 2])])
def test_indexing_under_vmap_with_ints_beside_index_lists(key):
    """NumPy moves index lists to the front when ints or bools stand apart from them;
    PyTorch applies those first. vmap must give each sample's own result."""
    xs = np.random.default_rng(0).standard_normal((3,) + SHAPE)
    target = tuple(torch.zeros(SHAPE)[key].shape)
    vs = np.random.default_rng(1).standard_normal((3,) + target)

    def put(x, v):
        y = x.clone()
        y[key] = v
        return y

    def take(x, v):
        return x[key] * 2 + v.sum()

    for fn in (put, take):
        want = np.stack([fn(ember.tensor(xs[k]), ember.tensor(vs[k])).numpy() for k in range(3)])
        got = vmap(fn)(ember.tensor(xs), ember.tensor(vs))
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([[1.5, -2.0], [100.25, 3.0]]), lambda m: m.tensor([[1, -20], [3, 4]]),
    lambda m: m.tensor([[0.001, 2.5]]), lambda m: m.tensor([[1e10, 1.0]]),
    lambda m: m.tensor([[float("nan"), 1.0]]), lambda m: m.tensor([[True, False]]),
    lambda m: m.zeros(2, 0), lambda m: m.tensor([[1e-7, 1.0]]),
    lambda m: m.tensor([[float("inf"), -1.5]]), lambda m: m.arange(12.0).reshape(2, 2, 3),
    lambda m: m.arange(8).reshape(2, 2, 1, 2), lambda m: m.arange(6.0).reshape(3, 2) / 7,
])
def test_meshgrid_error_prints_the_tensor_as_pytorch(make):
    same(lambda m: m.meshgrid(make(m), indexing="ij"))


@pytest.mark.parametrize("shapes", [((2, 3), (4,)), ((2, 3), (3, 2)), ((3,), (4, 1, 2)),
                                    ((3, 1), (2,), (1, 1, 1)), ((2, 1), (1, 3), (4, 1, 1))])
def test_broadcast_tensors_shapes_and_errors(shapes):
    def run(lib):
        try:
            return [tuple(t.shape) for t in lib.broadcast_tensors(*(lib.ones(s) for s in shapes))]
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's
            return type(e).__name__, str(e)

    assert run(ember) == run(torch)
