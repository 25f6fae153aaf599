"""Parity tests for matrix products: values, gradients, grad_fn names, errors vs PyTorch."""

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, graph_of, same_error, to_ember, to_torch


def _inputs(shapes, dtype=np.float32, seed=0, requires_grad=True):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    es = [ember.from_numpy(a.copy()).requires_grad_(requires_grad) for a in arrays]
    ts = [torch.from_numpy(a.copy()).requires_grad_(requires_grad) for a in arrays]
    return es, ts


def check_op(fe, ft, shapes, dtype=np.float32, rtol=1e-5, atol=1e-5, double=True):
    """Same value, grad_fn name, gradients and (float64) double-backward gradients."""
    es, ts = _inputs(shapes, dtype)
    ye, yt = fe(*es), ft(*ts)
    assert_same(ye, yt, rtol, atol)
    assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
    rng = np.random.default_rng(1)
    w = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    (ye * ember.from_numpy(w.copy())).sum().backward()
    (yt * torch.from_numpy(w.copy())).sum().backward()
    for e, t in zip(es, ts):
        assert_same(e.grad, t.grad, rtol, atol)
    if double:
        check_double_backward(fe, ft, shapes)


def check_double_backward(fe, ft, shapes):
    """Gradients of a function of the gradients (create_graph=True), in float64."""
    es, ts = _inputs(shapes, np.float64)
    (fe(*es) ** 2).sum().backward(create_graph=True)
    (ft(*ts) ** 2).sum().backward(create_graph=True)
    ge, gt = [e.grad for e in es], [t.grad for t in ts]
    assert_same(ge, gt, 1e-9, 1e-9)
    for x in es + ts:
        x.grad = None
    sum((g * g * g).sum() for g in ge).backward()
    sum((g * g * g).sum() for g in gt).backward()
    assert_same([e.grad for e in es], [t.grad for t in ts], 1e-8, 1e-8)


MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (1, 3, 4)), ((7, 1, 2, 3), (5, 3, 4)), ((1, 2, 3), (3, 4)),
    ((5, 2, 3), (4, 5, 3, 4)), ((2, 1, 4, 3), (1, 6, 3, 2)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
    ((4, 2, 3), (3, 0)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_cases(sa, sb):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, [sa, sb])
    check_op(ember.matmul, torch.matmul, [sa, sb], double=False)


@pytest.mark.parametrize("sa,sb", [((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3, 4))])
def test_matmul_names_when_one_side_needs_grad(sa, sb):
    for which in (0, 1):
        es, ts = _inputs([sa, sb], requires_grad=False)
        es[which].requires_grad_(True)
        ts[which].requires_grad_(True)
        ye, yt = es[0] @ es[1], ts[0] @ ts[1]
        assert type(ye.grad_fn).__name__ == yt.grad_fn.name()
        ye.sum().backward()
        yt.sum().backward()
        assert_same(es[which].grad, ts[which].grad, 1e-5, 1e-5)


def test_matmul_keeps_float32_and_ints():
    a = ember.ones(2, 3)
    assert (a @ ember.ones(3, 4)).dtype is ember.float32
    ai = ember.arange(6).reshape(2, 3)
    ti = torch.arange(6).reshape(2, 3)
    assert_same(ai @ ai.T, ti @ ti.T)
    assert_same(ember.arange(3) @ ember.arange(3), torch.arange(3) @ torch.arange(3))


def test_matmul_noncontiguous():
    check_op(lambda a, b: a.transpose(0, 1) @ b.t(), lambda a, b: a.transpose(0, 1) @ b.t(),
             [(4, 3, 5), (4, 5)])
    check_op(lambda a, b: a.t() @ b.t(), lambda a, b: a.t() @ b.t(), [(3, 2), (4, 3)])


@pytest.mark.parametrize("name,shapes", [
    ("mm", [(2, 3), (3, 4)]), ("mv", [(2, 3), (3,)]), ("dot", [(3,), (3,)]),
    ("bmm", [(2, 2, 3), (2, 3, 4)]), ("outer", [(2,), (3,)]), ("ger", [(2,), (3,)]),
    ("inner", [(2, 3), (4, 3)]),
])
def test_named_products(name, shapes):
    check_op(getattr(ember, name), getattr(torch, name), shapes)
    check_op(lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b), shapes,
             double=False)


def test_addmm_baddbmm():
    check_op(lambda s, a, b: ember.addmm(s, a, b), lambda s, a, b: torch.addmm(s, a, b),
             [(2, 4), (2, 3), (3, 4)])
    check_op(lambda s, a, b: ember.addmm(s, a, b, beta=0.5, alpha=2),
             lambda s, a, b: torch.addmm(s, a, b, beta=0.5, alpha=2), [(4,), (2, 3), (3, 4)])
    check_op(lambda s, a, b: ember.baddbmm(s, a, b, alpha=3),
             lambda s, a, b: torch.baddbmm(s, a, b, alpha=3), [(2, 4), (3, 2, 3), (3, 3, 4)])


def _r(*s, dtype=np.float32, rg=False):
    a = np.random.default_rng(len(s)).standard_normal(s).astype(dtype)
    return ember.from_numpy(a.copy()).requires_grad_(rg), torch.from_numpy(a).requires_grad_(rg)


@pytest.mark.parametrize("sa,sb,ga", [
    ((3,), (4,), False), ((2, 3), (4,), False), ((3,), (4, 5), False), ((2, 3), (4, 5), False),
    ((5, 2, 3), (4,), False), ((3,), (5, 4, 5), False), ((5, 2, 3), (4, 5), False),
    ((2, 3), (5, 4, 5), False), ((5, 2, 3), (5, 4, 5), False), ((5, 2, 3), (4, 3, 5), False),
    ((7, 1, 2, 3), (5, 4, 5), False), ((3,), (5, 4, 4), True), ((2, 3), (5, 4, 4), True),
    ((1, 4, 3), (2, 5, 2), True), ((1, 4, 3), (2, 5, 2), False), ((2, 4, 3), (1, 5, 2), False),
    ((2, 4, 3), (1, 5, 2), True),
])
def test_matmul_shape_errors(sa, sb, ga):
    (ea, ta), (eb, tb) = _r(*sa, rg=ga), _r(*sb)
    same_error(lambda: ea @ eb, lambda: ta @ tb)


def test_matmul_transposed_batch_error():
    (ea, ta), (eb, tb) = _r(5, 2, 3), _r(4, 4)
    same_error(lambda: ea.transpose(0, 1) @ eb, lambda: ta.transpose(0, 1) @ tb)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                   ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
                                   ((3,), (5, 3, 4)), ((5, 2, 3), (4,))])
def test_matmul_dtype_errors(sa, sb):
    (ea, ta), (eb, tb) = _r(*sa), _r(*sb, dtype=np.float64)
    same_error(lambda: ea @ eb, lambda: ta @ tb)
    same_error(lambda: eb.to(ember.int64) @ ea if len(sb) == len(sa) else ea @ eb,
               lambda: tb.long() @ ta if len(sb) == len(sa) else ta @ tb)


def test_other_errors():
    (a2, t2), (a3, t3), (b3, u3) = _r(2, 3), _r(3), _r(2, 2, 3)
    (c4, v4), (d45, w45) = _r(4), _r(4, 5)
    cases = [
        (lambda m: m.mm(a2, d45), lambda m: m.mm(t2, w45)),
        (lambda m: m.mm(a3, d45), lambda m: m.mm(t3, w45)),
        (lambda m: m.mm(a2, a3), lambda m: m.mm(t2, t3)),
        (lambda m: m.mm(b3, a2), lambda m: m.mm(u3, t2)),
        (lambda m: m.mv(a2, c4), lambda m: m.mv(t2, v4)),
        (lambda m: m.mv(a3, a3), lambda m: m.mv(t3, t3)),
        (lambda m: m.dot(a2, a2), lambda m: m.dot(t2, t2)),
        (lambda m: m.dot(a3, c4), lambda m: m.dot(t3, v4)),
        (lambda m: m.dot(a3, a3.double()), lambda m: m.dot(t3, t3.double())),
        (lambda m: m.bmm(b3, a2), lambda m: m.bmm(u3, t2)),
        (lambda m: m.bmm(a2, b3), lambda m: m.bmm(t2, u3)),
        (lambda m: m.bmm(b3, b3), lambda m: m.bmm(u3, u3)),
        (lambda m: m.outer(a2, a3), lambda m: m.outer(t2, t3)),
        (lambda m: m.outer(a3, a2), lambda m: m.outer(t3, t2)),
        (lambda m: m.matmul(a2, [1, 2]), lambda m: m.matmul(t2, [1, 2])),
        (lambda m: m.tensor(1.0) @ a3, lambda m: m.tensor(1.0) @ t3),
        (lambda m: a3 @ m.tensor(1.0), lambda m: t3 @ m.tensor(1.0)),
        (lambda m: m.ones(2, 3, dtype=m.bool) @ m.ones(3, 4, dtype=m.bool),
         lambda m: m.ones(2, 3, dtype=m.bool) @ m.ones(3, 4, dtype=m.bool)),
    ]
    for fe, ft in cases:
        same_error(lambda: fe(ember), lambda: ft(torch))
    with pytest.raises(TypeError, match="unsupported operand type"):
        a2 @ [1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match="unsupported operand type"):
        np.ones((3, 2), np.float32) @ a2


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]), ("i,i->", [(3,), (3,)]), ("i,j->ij", [(3,), (4,)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->i", [(2, 3)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("ijk", [(2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("...i,...i->...", [(4, 1, 3), (5, 3)]), ("bij,bjk->bik", [(1, 2, 3), (4, 3, 4)]),
    ("iij->j", [(3, 3, 2)]), ("ij,k->ijk", [(2, 3), (4,)]), ("Ab,bc->Ac", [(2, 3), (3, 2)]),
    ("i,i", [(1,), (3,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM)
def test_einsum(eq, shapes):
    check_op(lambda *a: ember.einsum(eq, *a), lambda *a: torch.einsum(eq, *a), shapes)


def test_einsum_list_operands_and_big():
    check_op(lambda a, b: ember.einsum("ij,jk->ik", [a, b]),
             lambda a, b: torch.einsum("ij,jk->ik", [a, b]), [(40, 50), (50, 60)])


def test_einsum_sublist_errors():
    a, ta = ember.ones(2, 3), torch.ones(2, 3)
    same_error(lambda: ember.einsum(a, [0, 52]), lambda: torch.einsum(ta, [0, 52]))
    same_error(lambda: ember.einsum(a, [0, -1]), lambda: torch.einsum(ta, [0, -1]))
    same_error(lambda: ember.einsum(a, [0]), lambda: torch.einsum(ta, [0]))
    same_error(lambda: ember.einsum(a, [0, 1], [0, 3]), lambda: torch.einsum(ta, [0, 1], [0, 3]))


def test_einsum_errors():
    (a, ta), (b, tb), (c, tc) = _r(2, 3), _r(4, 5), _r(3, 4, dtype=np.float64)
    same_error(lambda: ember.einsum("ij,jk->ik", a, b), lambda: torch.einsum("ij,jk->ik", ta, tb))
    same_error(lambda: ember.einsum("ij,jk->ik", a), lambda: torch.einsum("ij,jk->ik", ta))
    same_error(lambda: ember.einsum("ij,jk->ik", a, c), lambda: torch.einsum("ij,jk->ik", ta, tc))
    same_error(lambda: ember.einsum("ijk->ik", a), lambda: torch.einsum("ijk->ik", ta))
    same_error(lambda: ember.einsum("ij", a, a), lambda: torch.einsum("ij", ta, ta))
    same_error(lambda: ember.einsum("...ijk", a), lambda: torch.einsum("...ijk", ta))
    same_error(lambda: ember.einsum("i1", a), lambda: torch.einsum("i1", ta))


@pytest.mark.parametrize("dims,shapes", [
    (2, [(2, 3, 4), (3, 4, 5)]), (1, [(2, 3), (3, 4)]), (0, [(2,), (3,)]),
    (([1, 0], [0, 1]), [(2, 3, 4), (3, 2, 5)]), (([0], [1]), [(3, 2), (4, 3)]),
])
def test_tensordot(dims, shapes):
    check_op(lambda a, b: ember.tensordot(a, b, dims), lambda a, b: torch.tensordot(a, b, dims),
             shapes)


def test_tensordot_error():
    (a, ta), (b, tb) = _r(2, 3), _r(4, 5)
    same_error(lambda: ember.tensordot(a, b, dims=1), lambda: torch.tensordot(ta, tb, dims=1))


def test_matmul_grad_of_mixed_requires_grad_broadcast():
    # gradient for a broadcast operand is summed over the batch
    a = ember.ones(1, 2, 3, requires_grad=True)
    b = ember.ones(4, 3, 2)
    (a @ b).sum().backward()
    ta = torch.ones(1, 2, 3, requires_grad=True)
    (ta @ torch.ones(4, 3, 2)).sum().backward()
    assert_same(a.grad, ta.grad)
    _ = to_ember, to_torch


def _r64(*s):
    return ember.from_numpy(np.random.default_rng(sum(s)).standard_normal(s)).requires_grad_()


GRADCHECK = {
    "matmul_batched_fold": (lambda a, b: a @ b, lambda: (_r64(5, 2, 3), _r64(3, 4))),
    "matmul_vec_batch": (lambda a, b: a @ b, lambda: (_r64(3), _r64(2, 3, 4))),
    "matmul_2d_batch": (lambda a, b: a @ b, lambda: (_r64(2, 3), _r64(2, 3, 4))),
    "matmul_broadcast": (lambda a, b: a @ b, lambda: (_r64(2, 1, 2, 3), _r64(4, 3, 1))),
    "einsum_diag": (lambda a, b: ember.einsum("ii,ij->j", a, b), lambda: (_r64(3, 3),
                                                                         _r64(3, 4))),
    "einsum_ellipsis": (lambda a, b: ember.einsum("...i,i->...", a, b),
                        lambda: (_r64(2, 3), _r64(1))),
    "tensordot": (lambda a, b: ember.tensordot(a, b, ([1, 0], [0, 1])),
                  lambda: (_r64(2, 3, 4), _r64(3, 2, 5))),
    "addmm": (lambda s, a, b: ember.addmm(s, a, b, beta=0.5, alpha=2.0),
              lambda: (_r64(2, 4), _r64(2, 3), _r64(3, 4))),
    "baddbmm": (ember.baddbmm, lambda: (_r64(2, 4), _r64(3, 2, 3), _r64(3, 3, 4))),
    "bmm": (ember.bmm, lambda: (_r64(3, 2, 3), _r64(3, 3, 4))),
    "dot": (ember.dot, lambda: (_r64(3), _r64(3))),
    "mv": (ember.mv, lambda: (_r64(2, 3), _r64(3))),
    "outer": (ember.outer, lambda: (_r64(2), _r64(3))),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    from ember.autograd.gradcheck import gradcheck, gradgradcheck

    fn, make = GRADCHECK[name]
    assert gradcheck(fn, make())
    assert gradgradcheck(fn, make())


# -- the graph a product records ----------------------------------------------------------------
def _graph_cases(lib):
    def r(*shape, grad=True):
        return lib.randn(*shape, requires_grad=grad)

    lib.manual_seed(0)
    yield r(3) @ r(3, 2)
    yield r(2, 4, 3) @ r(3, 2)
    yield r(4, 2, 3).transpose(0, 1) @ r(3, 2)
    yield r(4, 2, 3).transpose(0, 1) @ r(3, 2, grad=False)
    yield r(2, 4, 3) @ r(3)
    yield r(4, 3) @ r(2, 3, 2)
    yield r(4, 3, grad=False) @ r(2, 3, 2)
    yield r(3) @ r(2, 3, 2)
    yield r(3, grad=False) @ r(2, 3, 2)
    yield r(2, 4, 3) @ r(2, 3, 2)
    yield r(2, 1, 4, 3) @ r(3, 3, 2)
    yield r(1, 4, 3) @ r(2, 3, 2)
    yield r(1, 4, 3, grad=False) @ r(2, 3, 2)
    yield r(1, 4, 3) @ r(2, 3, 2, grad=False)
    yield r(2, 4, 3) @ r(1, 3, 2)
    yield r(2, 4, 3, grad=False) @ r(1, 3, 2)
    yield r(2, 4, 3) @ r(1, 3, 2, grad=False)
    yield r(1, 1, 4, 3) @ r(2, 3, 2)
    yield r(1, 4, 3) @ r(1, 3, 2)
    yield r(3, 4).t().reshape(-1)
    yield r(3, 4).t().reshape(2, 6)
    yield r(2, 3, 4).transpose(1, 2).reshape(2, 4, 3)
    for bias in (True, False):
        layer = lib.nn.Linear(3, 2, bias=bias)
        for x in (r(4, 3), r(3), r(2, 4, 3), r(2, 2, 4, 3), r(4, 2, 3).transpose(0, 1)):
            yield layer(x)


def test_products_record_pytorchs_graph():
    """matmul, reshape and nn.Linear build PyTorch's nodes (t(), views, clones, expands)."""
    for ours, theirs in zip(_graph_cases(ember), _graph_cases(torch), strict=True):
        assert graph_of(ours.grad_fn) == graph_of(theirs.grad_fn)


def test_linear_weight_grad_is_taken_over_without_a_copy():
    # mm's gradient for a transposed weight comes in the weight's own layout (as in PyTorch),
    # so .grad keeps the engine's array: no weight-sized copy per step
    layer = ember.nn.Linear(5, 3)
    x = ember.randn(4, 5)
    layer(x).sum().backward()
    layer_input_sum = x._data.sum(0, dtype=np.float64).astype(np.float32)
    g = layer.weight.grad
    assert g._data.flags.c_contiguous and g._data.base is not None and g._base is None
    assert np.allclose(g._data, np.ones((3, 1), np.float32) * layer_input_sum)
