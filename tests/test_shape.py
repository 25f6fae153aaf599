"""Shape ops and views against PyTorch: values, dtypes, grad_fn names, gradients (first and
second order), view-ness and version counters, in-place ops on views, error texts."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from parity import assert_same, same_error

RNG = np.random.default_rng(0)


def _leaf(m, a, grad):
    t = m.tensor(a) if m is ember else torch.from_numpy(a.copy())
    return t.requires_grad_() if grad and a.dtype.kind == "f" else t


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _grad_name(t):
    fn = t.grad_fn
    return None if fn is None else type(fn).__name__


def check(fn, *arrays, grad=True, double=False, names=True, rtol=1e-6, atol=1e-7):
    """Run fn(module, *tensors) on ember and torch; compare outputs, grad_fn names, gradients.

    Gradients use random upstream gradients; with ``double`` the gradients are differentiated
    again (create_graph=True) against fresh random weights.
    """
    arrays = [np.asarray(a) for a in arrays]
    e_in = [_leaf(ember, a, grad) for a in arrays]
    t_in = [_leaf(torch, a, grad) for a in arrays]
    e_out, t_out = fn(ember, *e_in), fn(torch, *t_in)
    assert_same(e_out, t_out, rtol, atol)
    e_outs, t_outs = _outs(e_out), _outs(t_out)
    if names:
        assert [_grad_name(x) for x in e_outs] == [_grad_name(x) for x in t_outs]
    if not grad:
        return e_out, t_out
    pairs = [(e, t) for e, t in zip(e_outs, t_outs) if t.requires_grad]
    e_leaves = [x for x in e_in if x.requires_grad]
    t_leaves = [x for x in t_in if x.requires_grad]
    if not pairs or not t_leaves:
        return e_out, t_out
    ups = [RNG.standard_normal(t.shape).astype(t.detach().numpy().dtype) for _, t in pairs]
    t_g = torch.autograd.grad([t for _, t in pairs], t_leaves,
                              [torch.from_numpy(u.copy()) for u in ups], allow_unused=True,
                              create_graph=double)
    e_g = ember.autograd.grad([e for e, _ in pairs], e_leaves, [ember.tensor(u) for u in ups],
                              allow_unused=True, create_graph=double)
    assert_same(list(e_g), list(t_g), rtol, atol)
    if double:
        sel = [(e, t) for e, t in zip(e_g, t_g) if t is not None and t.requires_grad]
        ws = [RNG.standard_normal(t.shape) for _, t in sel]
        t_s = sum((t * torch.from_numpy(w)).sum() for (_, t), w in zip(sel, ws))
        e_s = sum((e * ember.tensor(w)).sum() for (e, _), w in zip(sel, ws))
        t_gg = torch.autograd.grad(t_s, t_leaves, allow_unused=True)
        e_gg = ember.autograd.grad(e_s, e_leaves, allow_unused=True)
        assert_same(list(e_gg), list(t_gg), rtol, atol)
    return e_out, t_out


def err(fn):
    return same_error(lambda: fn(ember), lambda: fn(torch))


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def ver(t):
    """A tensor's version number (ember keeps the shared counter in a one-item list)."""
    return t._version[0] if isinstance(t, ember.Tensor) else t._version


# -- value, name and gradient parity, op by op ----------------------------------------------
CASES = {
    "reshape": (lambda m, x: x.reshape(4, 3), [(3, 4)]),
    "reshape_infer": (lambda m, x: m.reshape(x, (-1, 2)), [(3, 4)]),
    "reshape_copy": (lambda m, x: x.t().reshape(12), [(3, 4)]),
    "view": (lambda m, x: x.view(2, 6), [(3, 4)]),
    "view_tuple": (lambda m, x: x.view((6, -1)), [(3, 4)]),
    "flatten": (lambda m, x: x.flatten(), [(2, 3, 4)]),
    "flatten_range": (lambda m, x: m.flatten(x, 1, 2), [(2, 3, 4)]),
    "flatten_noncontig": (lambda m, x: x.transpose(0, 2).flatten(0, 1), [(2, 3, 4)]),
    "flatten_0d": (lambda m, x: x.flatten(), [()]),
    "unflatten": (lambda m, x: x.unflatten(1, (2, -1)), [(3, 4)]),
    "ravel": (lambda m, x: x.t().ravel(), [(3, 4)]),
    "squeeze": (lambda m, x: x.squeeze(), [(1, 3, 1)]),
    "squeeze_dim": (lambda m, x: x.squeeze(2), [(1, 3, 1)]),
    "squeeze_dims": (lambda m, x: x.squeeze((0, 2)), [(1, 3, 1)]),
    "unsqueeze": (lambda m, x: x.unsqueeze(-1), [(2, 3)]),
    "transpose": (lambda m, x: x.transpose(0, -1), [(2, 3, 4)]),
    "t": (lambda m, x: x.t(), [(2, 3)]),
    "T": (lambda m, x: x.T, [(2, 3)]),
    "mT": (lambda m, x: x.mT, [(2, 3, 4)]),
    "permute": (lambda m, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute_tuple": (lambda m, x: m.permute(x, (1, 2, 0)), [(2, 3, 4)]),
    "expand": (lambda m, x: x.expand(2, 3, 4), [(3, 1)]),
    "expand_as": (lambda m, x, y: x.expand_as(y), [(3, 1), (3, 4)]),
    "repeat": (lambda m, x: x.repeat(2, 1, 3), [(3, 4)]),
    "tile": (lambda m, x: x.tile((2,)), [(3, 4)]),
    "tile_more": (lambda m, x: m.tile(x, (2, 1, 2)), [(3, 4)]),
    "flip": (lambda m, x: x.flip(0, 2), [(2, 3, 4)]),
    "fliplr": (lambda m, x: x.fliplr(), [(2, 3)]),
    "flipud": (lambda m, x: m.flipud(x), [(2, 3)]),
    "roll": (lambda m, x: x.roll(1, 0), [(3, 4)]),
    "roll_flat": (lambda m, x: m.roll(x, -5), [(3, 4)]),
    "roll_tuple": (lambda m, x: x.roll((1, -2), (0, 1)), [(3, 4)]),
    "cat": (lambda m, x, y: m.cat([x, y]), [(2, 3), (4, 3)]),
    "cat_dim": (lambda m, x, y: m.cat((x, y), dim=-1), [(2, 3), (2, 1)]),
    "concat": (lambda m, x, y: m.concat([x, y], 1), [(2, 3), (2, 2)]),
    "concatenate": (lambda m, x, y: m.concatenate([x, y, x]), [(1, 3), (2, 3)]),
    "stack": (lambda m, x, y: m.stack([x, y], 1), [(2, 3), (2, 3)]),
    "stack_last": (lambda m, x, y: m.stack((x, y), -1), [(2, 3), (2, 3)]),
    "hstack": (lambda m, x, y: m.hstack([x, y]), [(2, 3), (2, 1)]),
    "hstack_1d": (lambda m, x, y: m.hstack([x, y]), [(3,), (2,)]),
    "vstack": (lambda m, x, y: m.vstack([x, y]), [(3,), (2, 3)]),
    "split": (lambda m, x: x.split(2), [(5, 3)]),
    "split_sizes": (lambda m, x: m.split(x, [1, 2], 1), [(2, 3)]),
    "chunk": (lambda m, x: x.chunk(3, 1), [(2, 7)]),
    "unbind": (lambda m, x: x.unbind(1), [(2, 3)]),
    "narrow": (lambda m, x: x.narrow(1, 1, 2), [(2, 4)]),
    "narrow_neg": (lambda m, x: m.narrow(x, 0, -2, 2), [(3, 4)]),
    "movedim": (lambda m, x: x.movedim(0, -1), [(2, 3, 4)]),
    "moveaxis": (lambda m, x: m.moveaxis(x, (0, 1), (2, 0)), [(2, 3, 4)]),
    "swapaxes": (lambda m, x: x.swapaxes(0, 1), [(2, 3)]),
    "view_as": (lambda m, x, y: x.view_as(y), [(2, 6), (3, 4)]),
    "reshape_as": (lambda m, x, y: x.t().reshape_as(y), [(2, 6), (3, 4)]),
    "diagonal": (lambda m, x: x.diagonal(), [(3, 4)]),
    "diagonal_offset": (lambda m, x: m.diagonal(x, 1, 1, 2), [(2, 3, 4)]),
    "diagonal_neg": (lambda m, x: x.diagonal(-1), [(4, 3)]),
    "diag_1d": (lambda m, x: m.diag(x, 1), [(3,)]),
    "diag_2d": (lambda m, x: x.diag(-1), [(3, 4)]),
    "tril": (lambda m, x: x.tril(), [(3, 4)]),
    "tril_k": (lambda m, x: m.tril(x, -1), [(2, 3, 4)]),
    "triu": (lambda m, x: x.triu(1), [(3, 4)]),
    "select": (lambda m, x: x.select(1, -1), [(2, 3)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_parity(name):
    fn, shapes = CASES[name]
    check(fn, *[rand(*s) for s in shapes])


@pytest.mark.parametrize("name", ["reshape_copy", "repeat", "flip", "roll_tuple", "cat_dim",
                                  "stack", "split", "unbind", "narrow", "diagonal_offset",
                                  "diag_1d", "tril_k", "permute", "expand", "chunk"])
def test_double_backward(name):
    fn, shapes = CASES[name]
    # a nonlinear function on top, so that the second derivative is not zero
    check(lambda m, *xs: _outs_map(fn(m, *xs), lambda y: y * y), *[rand(*s) for s in shapes],
          double=True, names=False)


def _outs_map(r, f):
    return tuple(f(x) for x in r) if isinstance(r, tuple) else f(r)


def test_T_warns_beyond_2d():
    import warnings

    def fn(m, shape):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = m.zeros(shape).T
        return r.shape, [str(x.message).split(" (Triggered")[0].replace("torch.", "ember.")
                         for x in w]

    for shape in [(2, 3, 4), (3,), (), (2, 3)]:
        e, t = fn(ember, shape), fn(torch, shape)
        assert tuple(e[0]) == tuple(t[0]) and e[1] == t[1]


def test_float32_stays_float32():
    x = rand(2, 3, dtype=np.float32)
    for fn in (lambda m, x: m.cat([x, x]), lambda m, x: x.repeat(2, 2), lambda m, x: x.flip(0),
               lambda m, x: x.roll(1), lambda m, x: x.tril()):
        e, _ = check(fn, x)
        assert e.dtype == ember.float32


# -- type promotion in cat / stack --------------------------------------------------------
@pytest.mark.parametrize("da,db", [("int32", "float16"), ("int64", "float32"),
                                   ("bool", "int8"), ("float32", "float64"),
                                   ("uint8", "int8")])
def test_cat_stack_promote(da, db):
    a = (RNG.standard_normal((2, 2)) * 3).astype(da)
    b = (RNG.standard_normal((2, 2)) * 3).astype(db)
    check(lambda m, x, y: m.cat([x, y]), a, b)
    check(lambda m, x, y: m.stack([x, y]), a, b)


def test_cat_gradient_cast_to_input_dtype():
    check(lambda m, x, y: m.cat([x, y]), rand(2, dtype=np.float32), rand(3))


def test_cat_skips_legacy_empty():
    check(lambda m, x, y: m.cat([x, y]), rand(2, 2), rand(0))


def test_cat_out():
    def fn(m):
        out = m.zeros(4)
        r = m.cat([m.ones(2), m.zeros(2)], out=out)
        return r, out

    e, t = fn(ember), fn(torch)
    assert_same(e, t)


def test_split_node_is_shared_with_output_nr():
    x = ember.randn(5, 3, requires_grad=True)
    parts = ember.split(x, 2)
    assert [p.grad_fn.name() for p in parts] == ["SplitBackward0"] * 3
    assert parts[0].grad_fn is parts[2].grad_fn
    assert [p.output_nr for p in parts] == [0, 1, 2]
    tp = torch.split(torch.randn(5, 3, requires_grad=True), 2)
    assert [p.output_nr for p in tp] == [0, 1, 2]


def test_split_unused_outputs_get_zero_grad():
    a = rand(5, 3)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        _, b, _ = x.split(2)
        (b * 3).sum().backward()
        return x.grad

    assert_same(fn(ember), fn(torch))


def test_unbind_and_iter():
    a = rand(3, 2)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        rows = list(x)
        (rows[0] * rows[2]).sum().backward()
        return x.grad, rows[1], type(rows[1].grad_fn).__name__

    e, t = fn(ember), fn(torch)
    assert_same(e[:2], t[:2])
    assert e[2] == t[2]


def test_chunk_shapes():
    for n, c in [(5, 3), (6, 4), (5, 6), (0, 3), (7, 7)]:
        check(lambda m, x: x.chunk(c), rand(n, 2))


def test_split_empty():
    check(lambda m, x: x.split(2), rand(0, 2))
    check(lambda m, x: x.split(0), rand(0, 2))


# -- views: storage, _base, version counter ----------------------------------------------
VIEWS = {
    "view": lambda x: x.view(6, 2), "reshape": lambda x: x.reshape(2, 6),
    "flatten": lambda x: x.flatten(), "unflatten": lambda x: x.unflatten(0, (1, 3)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0), "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 1), "t": lambda x: x.t(), "T": lambda x: x.T,
    "permute": lambda x: x.permute(1, 0), "expand": lambda x: x[:1].expand(5, 4),
    "narrow": lambda x: x.narrow(1, 1, 2), "movedim": lambda x: x.movedim(0, 1),
    "split": lambda x: x.split(2)[1], "chunk": lambda x: x.chunk(2, 1)[0],
    "unbind": lambda x: x.unbind(1)[2], "diagonal": lambda x: x.diagonal(),
    "view_as": lambda x: x.view_as(x), "ravel": lambda x: x.ravel(), "select": lambda x: x[1],
    "slice": lambda x: x[:, 1:3], "step": lambda x: x[::2, ::3],
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_storage_and_version(name):
    fn = VIEWS[name]
    a = rand(3, 4)
    ex, tx = ember.tensor(a), torch.tensor(a)
    ev, tv = fn(ex), fn(tx)
    assert tv._is_view() and tv._base is tx
    assert ev._is_view() and ev._base is ex
    assert ev._version is ex._version
    ex.add_(1)
    tx.add_(1)
    assert ver(ev) == tv._version and ver(ex) == tx._version == 1
    assert_same(ev, tv)  # the view sees the base's change
    if name != "expand":
        ev.mul_(2)
        tv.mul_(2)
        assert_same(ex, tx)  # and the base sees the view's change
        assert ver(ex) == tx._version == 2


@pytest.mark.parametrize("fn", [lambda x: x.repeat(1, 1), lambda x: x.flip(0),
                                lambda x: x.roll(1), lambda x: x.tril(),
                                lambda x: x.t().reshape(9), lambda x: ember_or_torch(x).cat([x]),
                                lambda x: x.diag()])
def test_copies_do_not_share(fn):
    a = rand(3, 3)
    ex, tx = ember.tensor(a), torch.tensor(a)
    ev, tv = fn(ex), fn(tx)
    assert not tv._is_view()
    assert not ev._is_view()
    assert not np.shares_memory(ev._data, ex._data)


def ember_or_torch(x):
    return ember if isinstance(x, ember.Tensor) else torch


def test_view_of_view_base_is_root():
    def fn(m):
        x = m.zeros(2, 3, 4)
        v = x[0].t()[1:]
        return v._base is x

    assert fn(ember) and fn(torch)


def test_modified_view_breaks_saved_base():
    def fn(m):
        x = m.ones(3, 4, requires_grad=True)
        a = m.ones(3, 4)
        z = x * a  # saves a
        a.t().reshape(4, 3)[1:].mul_(2)  # a changed through a view of a view
        z.sum().backward()

    err(fn)


def test_version_counter_shared_by_split_outputs():
    def fn(m):
        x = m.zeros(4)
        a, b = x.split(2)
        b.add_(1)
        return x, ver(a), ver(x)

    e, t = fn(ember), fn(torch)
    assert_same(e[0], t[0])
    assert e[1:] == t[1:]


# -- in-place ops on views: CopySlices -----------------------------------------------------
INPLACE_ON_VIEW = {
    "select_mul": lambda y: y[0].mul_(2),
    "slice_col_zero": lambda y: y[:, 1].zero_(),
    "slice_step_add": lambda y: y[::2, 1:].add_(y[1:2, 1:].detach() + 3),
    "view_add": lambda y: y.view(12).add_(1),
    "view_slice_mul": lambda y: y.view(12)[3:7].mul_(-1),
    "transpose_mul": lambda y: y.t()[1].mul_(3),
    "reshape_exp": lambda y: y.reshape(2, 6).exp_(),
    "narrow_sigmoid": lambda y: y.narrow(1, 1, 2).sigmoid_(),
    "diagonal_fill": lambda y: y.diagonal().fill_(7),
    "permute_copy": lambda y: y.unsqueeze(0).permute(2, 0, 1)[0].copy_(y[:, 0].detach()),
    "setitem_slice": lambda y: y.__setitem__((slice(None), slice(1, 3)), 5.0),
    "view_setitem": lambda y: y.view(12).__setitem__(slice(2, 5), 1.0),
}


@pytest.mark.parametrize("name", list(INPLACE_ON_VIEW))
def test_inplace_on_view_gradients(name):
    op = INPLACE_ON_VIEW[name]
    a = rand(3, 4)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        y = x * x
        op(y)
        name_ = y.grad_fn.name().replace("torch::", "ember::")
        out = (y * m.tensor(np.arange(12.0).reshape(3, 4))).sum()
        g, = m.autograd.grad(out, x)
        return y, g, name_

    e, t = fn(ember), fn(torch)
    assert_same(e[:2], t[:2])
    assert e[2] == t[2] == "ember::autograd::CopySlices"


def test_inplace_on_view_with_tensor_argument():
    a, b = rand(3, 4), rand(4)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        w = m.tensor(b, requires_grad=True)
        y = x * 2
        v = y[1]
        v.mul_(w)
        (y.sin()).sum().backward()
        return x.grad, w.grad, type(v.grad_fn).__name__, type(y.grad_fn).__name__

    e, t = fn(ember), fn(torch)
    assert_same(e[:2], t[:2])
    assert e[2:] == t[2:] == ("AsStridedBackward0", "CopySlices")


def test_view_grad_after_inplace():
    a = rand(3, 4)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        y = x * 1
        v = y[:, 2]
        v.mul_(3)
        g, = m.autograd.grad((v * v).sum(), x)
        return g

    assert_same(fn(ember), fn(torch))


def test_inplace_on_view_double_backward():
    a, b = rand(3, 4), rand(3, 4)

    def fn(m):
        x = m.tensor(a, requires_grad=True)
        y = x * x
        y[1:, :2].mul_(y[:2, 2:].detach() + x[:2, :2])
        g, = m.autograd.grad(y.pow(2).sum(), x, create_graph=True)
        gg, = m.autograd.grad((g * m.tensor(b)).sum(), x)
        return g, gg

    assert_same(fn(ember), fn(torch))


def test_inplace_on_view_of_non_requires_grad_base():
    a = rand(2)

    def fn(m):
        w = m.tensor(a, requires_grad=True)
        out = m.zeros(2, 3)
        out[:, 1] = w
        out.narrow(1, 2, 1).copy_((w * 2).unsqueeze(1))
        out.sum().backward()
        return out, w.grad, out.grad_fn.name().replace("torch::", "ember::")

    e, t = fn(ember), fn(torch)
    assert_same(e[:2], t[:2])
    assert e[2] == t[2]


def test_inplace_view_errors():
    def leaf_view(m):
        x = m.randn(3, requires_grad=True)
        x[0:2].mul_(2)

    def split_out(m):
        y = m.randn(4, 2, requires_grad=True) * 1
        y.split(2)[1].add_(1)

    def unbind_out(m):
        y = m.randn(4, 2, requires_grad=True) * 1
        y.unbind()[0].add_(1)

    def no_grad_view(m):
        y = m.randn(4, requires_grad=True) * 1
        with m.no_grad():
            v = y[:2]
        v[0] = 2.0

    def expanded(m):
        y = m.zeros(3, requires_grad=True) * 1
        y.expand(2, 3).add_(1)

    def expanded_setitem(m):
        m.zeros(3).expand(2, 3)[:, 0] = 1.0

    for f in (leaf_view, split_out, unbind_out, no_grad_view, expanded, expanded_setitem):
        err(f)


# -- errors ------------------------------------------------------------------------------
ERRORS = [
    lambda m: m.cat([]),
    lambda m: m.cat([m.zeros(2, 2), m.zeros(3, 3)], dim=1),
    lambda m: m.cat([m.zeros(2, 2), m.zeros(3, 3)]),
    lambda m: m.cat([m.zeros(2, 2), m.zeros(3)]),
    lambda m: m.cat([m.zeros(2), m.zeros(())]),
    lambda m: m.cat([m.zeros(2, 2)], 2),
    lambda m: m.cat(m.zeros(2, 2)),
    lambda m: m.stack([]),
    lambda m: m.stack([m.zeros(2, 3), m.zeros(3, 3)]),
    lambda m: m.zeros(2, 3).repeat(2),
    lambda m: m.zeros(2, 3).flatten(1, 0),
    lambda m: m.zeros(2, 3).unflatten(1, (2, 2)),
    lambda m: m.zeros(2, 3).unflatten(1, ()),
    lambda m: m.zeros(2, 3).narrow(1, 2, 2),
    lambda m: m.zeros(2, 3).narrow(0, -3, 1),
    lambda m: m.zeros(2, 3).split(0),
    lambda m: m.zeros(2, 3).split([1, 1], 1),
    lambda m: m.zeros(2, 3).chunk(0),
    lambda m: m.zeros(3).mT,
    lambda m: m.zeros(2, 3).roll((1, 2), (0,)),
    lambda m: m.zeros(2, 3).roll(1, 5),
    lambda m: m.zeros(2, 3).movedim((0, 1), (0,)),
    lambda m: m.zeros(2, 3).movedim((0, 1), (1, 1)),
    lambda m: m.zeros(2, 3).flip(0, 0),
    lambda m: m.zeros(3).tril(),
    lambda m: m.zeros(2, 3).t().view(6),
    lambda m: m.zeros(2, 3).view(4, -1),
    lambda m: m.zeros(2, 3).reshape(-1, -1),
    lambda m: m.zeros(2, 3, 4).t(),
    lambda m: m.zeros(2, 3).permute(0, 0),
    lambda m: m.zeros(2, 3).transpose(0, 2),
    lambda m: m.zeros(()).unbind(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    err(ERRORS[i])


# -- property-based: random shapes ---------------------------------------------------------
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, data=st.data())
def test_hypothesis_reshape_permute(shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    n = int(np.prod(shape))
    sizes = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    new = sizes + [-1] if n % int(np.prod(sizes)) == 0 else [n]
    check(lambda m, x: x.permute(*perm).reshape(new) * 2, rand(*shape))
    check(lambda m, x: x.reshape(new).flatten().view(n), rand(*shape))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, data=st.data())
def test_hypothesis_cat_stack_split(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = list(shape)
    other[dim] = data.draw(st.integers(0, 3))
    check(lambda m, x, y: m.cat([x, y, x], dim), rand(*shape), rand(*other))
    check(lambda m, x, y: m.stack([x, y], dim), rand(*shape), rand(*shape))
    size = data.draw(st.integers(1, 4))
    check(lambda m, x: x.split(size, dim), rand(*shape))
    check(lambda m, x: x.unbind(dim), rand(*shape))


@settings(max_examples=30, deadline=None)
@given(shape=shapes, data=st.data())
def test_hypothesis_flip_roll_repeat(shape, data):
    nd = len(shape)
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), unique_by=lambda d: d % nd, max_size=nd))
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    reps = data.draw(st.lists(st.integers(0, 3), min_size=nd, max_size=nd + 1))
    check(lambda m, x: x.flip(dims), rand(*shape))
    if dims:
        check(lambda m, x: x.roll(shifts, dims), rand(*shape))
    check(lambda m, x: x.repeat(*reps), rand(*shape))
