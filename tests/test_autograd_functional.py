"""ember.autograd.functional against torch.autograd.functional: values, the structure of the
results (Tensor, tuple, tuple of tuples), dtypes, requires_grad, derivatives through the results
with create_graph=True, strict mode and every error a user can trigger."""

import importlib
import inspect
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import ember
import ember.autograd.functional as EF
from parity import assert_same, same_error

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def tensors(lib, arrays, requires_grad=False):
    """The arrays (one, or a tuple) as tensors of ``lib``, in the same structure."""
    if isinstance(arrays, tuple):
        return tuple(tensors(lib, a, requires_grad) for a in arrays)
    return lib.tensor(arrays, requires_grad=requires_grad)


def same(e, t, grad_fn=True):
    """Same structure (tuple nesting), shapes, dtypes, values and requires_grad; with
    ``grad_fn``, a grad_fn exactly where PyTorch has one."""
    if isinstance(t, (tuple, list)):
        assert type(e) is type(t), (type(e), type(t))
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b, grad_fn)
        return
    assert isinstance(t, torch.Tensor), type(t)
    assert isinstance(e, ember.Tensor), type(e)
    assert_same(e, t, rtol=1e-10, atol=1e-12)
    assert e.requires_grad == t.requires_grad, (e.requires_grad, t.requires_grad)
    if grad_fn:
        assert (e.grad_fn is None) == (t.grad_fn is None), (e.grad_fn, t.grad_fn)


def both(call, *args, **kwargs):
    """call(lib, F, *args) on ember and on torch."""
    return call(ember, EF, *args, **kwargs), call(torch, TF, *args, **kwargs)


# functions of one or two inputs with one or two outputs, written once for both libraries
def f_11(x):
    return (x.exp() * x.sin()).sum(-1) * 2


def f_12(x):
    return x.tanh() * x, (x ** 3).sum()


def f_21(x, y):
    return x.exp() * y.sum() + (x * y).cos()


def f_22(x, y):
    return x * y.sin(), (x ** 2 * y).sum(0)


def s_1(x):
    return (x ** 3).sum() + (x.sin() * x.exp()).sum()


def s_2(x, y):
    return (x ** 2 * y.exp()).sum() + (x.cos() * y ** 3).sum()


X = arr(2, 3)
Y = arr(2, 3)


# ---------------------------------------------------------------------------------------------
# the namespace


def test_the_module_is_an_attribute_and_a_submodule():
    assert hasattr(ember.autograd, "functional")
    mod = importlib.import_module("ember.autograd.functional")
    assert mod is ember.autograd.functional is EF
    assert sorted(EF.__all__) == sorted(TF.__all__)
    for name in TF.__all__:
        assert callable(getattr(ember.autograd.functional, name))


@pytest.mark.parametrize("name", TF.__all__)
def test_signatures_are_pytorchs(name):
    e = inspect.signature(getattr(EF, name)).parameters
    t = inspect.signature(getattr(TF, name)).parameters
    assert [(p.name, p.default, p.kind) for p in e.values()] == \
           [(p.name, p.default, p.kind) for p in t.values()]


def test_import_ember_stays_light():
    # functional is small and built from what `import ember` loads anyway: nothing heavy joins
    code = ("import sys, ember; print(ember.autograd.functional.__name__); "
            "print(any(m.startswith(('ember.viz', 'ember.func', 'ember.nn')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ember.autograd.functional", "False"]


# ---------------------------------------------------------------------------------------------
# jacobian


CASES = [  # (function, inputs): every combination of one/several inputs and outputs
    (f_11, X), (f_12, X), (f_21, (X, Y)), (f_22, (X, Y)), (f_11, (X,)), (f_12, (X,)),
    (lambda x: (f_11(x),), X), (lambda x, y: (f_21(x, y),), (X, Y)),
]


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_jacobian_matches(case, requires_grad, create_graph, vectorize):
    func, inputs = CASES[case]
    e, t = both(lambda lib, F: F.jacobian(func, tensors(lib, inputs, requires_grad),
                                          create_graph=create_graph, vectorize=vectorize))
    same(e, t)


def test_jacobian_structure():
    x, y = ember.tensor(X), ember.tensor(Y)
    j = EF.jacobian(f_11, x)
    assert isinstance(j, ember.Tensor) and j.shape == (2, 2, 3)
    j = EF.jacobian(f_12, x)
    assert isinstance(j, tuple) and [t.shape for t in j] == [(2, 3, 2, 3), (2, 3)]
    j = EF.jacobian(f_21, (x, y))
    assert isinstance(j, tuple) and [t.shape for t in j] == [(2, 3, 2, 3)] * 2
    j = EF.jacobian(f_22, (x, y))
    assert [[t.shape for t in row] for row in j] == [[(2, 3, 2, 3)] * 2, [(3, 2, 3)] * 2]


def test_jacobian_rows_are_the_gradients():
    x = ember.tensor(X)
    j = EF.jacobian(lambda x: x.exp() * 3, x)
    expected = np.zeros((2, 3, 2, 3))
    for i in range(2):
        for k in range(3):
            expected[i, k, i, k] = 3 * np.exp(X[i, k])
    np.testing.assert_allclose(j.numpy(), expected, rtol=1e-14)


def test_jacobian_zeros_for_independent_inputs_and_constant_outputs():
    def f(lib):
        return lambda x, y: (x * 2, lib.ones(3, dtype=lib.float64))
    for vectorize in (False, True):
        e = EF.jacobian(f(ember), tensors(ember, (X, Y)), vectorize=vectorize)
        t = TF.jacobian(f(torch), tensors(torch, (X, Y)), vectorize=vectorize)
        same(e, t)
        assert not e[0][1].numpy().any() and not e[1][0].numpy().any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacobian_dtype_is_the_inputs(dtype):
    x = arr(3, dtype=dtype)
    e, t = both(lambda lib, F: F.jacobian(lambda a, b: (a * b.sum()).double(),
                                          (lib.tensor(x), lib.tensor(x.astype(np.float64)))))
    same(e, t)
    assert e[0].dtype == (ember.float32 if dtype == np.float32 else ember.float64)


def test_jacobian_0d_and_empty():
    s = arr(1)[0]
    e, t = both(lambda lib, F: F.jacobian(lambda a: a.exp() * a, lib.tensor(s)))
    same(e, t)
    e, t = both(lambda lib, F: F.jacobian(lambda a: a.sum() + 1, lib.tensor(X)[:0]))
    same(e, t)
    e, t = both(lambda lib, F: F.jacobian(lambda a: a.sum() + 1, lib.tensor(X)[:0],
                                          vectorize=True))
    same(e, t)


def test_jacobian_does_not_touch_the_inputs():
    x = ember.tensor(X, requires_grad=True)
    EF.jacobian(f_11, x)
    EF.jacobian(f_11, x, create_graph=True, vectorize=True)
    assert x.grad is None and x.requires_grad
    y = ember.tensor(X)
    EF.jacobian(f_11, y)
    assert not y.requires_grad and y.grad is None


def test_a_captured_input_is_a_constant():
    # the derivative is taken with respect to the function's argument only, even when the
    # function also uses the very tensor that was passed in
    for lib, F in ((ember, EF), (torch, TF)):
        x = lib.tensor(X[0], requires_grad=True)
        j = F.jacobian(lambda a: a * x, x)
        np.testing.assert_allclose(j.detach().numpy(), np.diag(X[0]), rtol=1e-14)


def test_works_under_no_grad():
    with ember.no_grad():
        e = EF.jacobian(f_11, ember.tensor(X))
        _, ev = EF.vjp(f_11, ember.tensor(X), ember.ones(2, dtype=ember.float64))
        assert not ember.is_grad_enabled()
    with torch.no_grad():
        t = TF.jacobian(f_11, torch.tensor(X))
        _, tv = TF.vjp(f_11, torch.tensor(X), torch.ones(2, dtype=torch.float64))
    same(e, t)
    same(ev, tv)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_create_graph_gives_second_derivatives(vectorize):
    grads = []
    for lib, F in ((ember, EF), (torch, TF)):
        x, y = lib.tensor(X, requires_grad=True), lib.tensor(Y, requires_grad=True)
        j = F.jacobian(f_22, (x, y), create_graph=True, vectorize=vectorize)
        loss = sum((jj * jj).sum() for row in j for jj in row)
        grads.append(lib.autograd.grad(loss, (x, y)))
    same(*grads)


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"])
def test_non_leaf_inputs_keep_their_history_with_create_graph(name):
    # the results depend on the leaf the inputs were computed from, and only with create_graph
    results = []
    for lib, F in ((ember, EF), (torch, TF)):
        leaf = lib.tensor(X, requires_grad=True)
        x = leaf * 1.5
        fn = getattr(F, name)
        if name in ("jacobian", "hessian"):
            r = fn(s_1, x, create_graph=True)
            out = r
            assert not fn(s_1, x).requires_grad
        else:
            _, out = fn(s_1 if name in ("vhp", "hvp") else f_11, x,
                        lib.tensor(Y if name != "vjp" else X[:, 0]), create_graph=True)
        results.append(lib.autograd.grad((out * out).sum(), leaf))
    same(*results)


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"])
def test_float32_stays_float32(name):
    x = arr(2, 3, dtype=np.float32)
    v = None if name in ("jacobian", "hessian") else (
        arr(2, dtype=np.float32) if name == "vjp" else arr(2, 3, dtype=np.float32))
    func = s_1 if name in ("hessian", "vhp", "hvp") else f_11

    def call(lib, F):
        args = (func, lib.tensor(x)) if v is None else (func, lib.tensor(x), lib.tensor(v))
        return getattr(F, name)(*args)

    e = call(ember, EF)
    t = call(torch, TF)
    for a, b in zip(e if isinstance(e, tuple) else (e,), t if isinstance(t, tuple) else (t,)):
        assert a.dtype == ember.float32 and b.dtype == torch.float32
        assert_same(a, b, rtol=1e-5, atol=1e-5)


def test_vectorize_equals_the_loop():
    x, y = ember.tensor(X), ember.tensor(Y)
    a = EF.jacobian(f_22, (x, y))
    b = EF.jacobian(f_22, (x, y), vectorize=True)
    for ra, rb in zip(a, b):
        for ta, tb in zip(ra, rb):
            np.testing.assert_allclose(ta.numpy(), tb.numpy(), rtol=1e-14)


def test_vectorize_runs_one_batched_backward_pass(monkeypatch):
    # vectorize=True: the one-hot output gradients go through ember.func.vmap as one batch
    calls = []
    grad = EF._autograd_grad
    monkeypatch.setattr(EF, "_autograd_grad", lambda *a, **k: calls.append(1) or grad(*a, **k))
    x, y = ember.tensor(X), ember.tensor(Y)
    for create_graph in (False, True):
        calls.clear()
        j = EF.jacobian(f_22, (x, y), vectorize=True, create_graph=create_graph)
        assert len(calls) == 1
        ref = EF.jacobian(f_22, (x, y))
        assert len(calls) == 1 + 2 * 3 + 3
        for ra, rb in zip(j, ref):
            for ta, tb in zip(ra, rb):
                np.testing.assert_allclose(ta.detach().numpy(), tb.numpy(), rtol=1e-14)
                assert ta.requires_grad == create_graph


def test_jacobian_docs_examples():
    inputs = arr(2, 2)

    def exp_reducer(x):
        return x.exp().sum(dim=1)

    e, t = both(lambda lib, F: F.jacobian(exp_reducer, lib.tensor(inputs)))
    same(e, t)
    e, t = both(lambda lib, F: F.jacobian(exp_reducer, lib.tensor(inputs), create_graph=True))
    same(e, t)
    assert e.grad_fn.name() == t.grad_fn.name() == "ViewBackward0"

    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    pair = (arr(2), arr(2))
    e, t = both(lambda lib, F: F.jacobian(exp_adder, tensors(lib, pair)))
    same(e, t)
    np.testing.assert_array_equal(e[1].numpy(), [[3, 0], [0, 3]])

    def linear_model(lib):
        def model(x):
            W = lib.tensor([[2.0, -1.0], [0.0, 1.0]])
            b = lib.tensor([1.0, 0.5])
            return x @ W.T + b
        return model

    x = arr(4, 2, dtype=np.float32)
    e = EF.jacobian(linear_model(ember), ember.tensor(x, requires_grad=True), vectorize=True)
    t = TF.jacobian(linear_model(torch), torch.tensor(x, requires_grad=True), vectorize=True)
    assert e.shape == ember.Size([4, 2, 4, 2])
    same(e, t)


# ---------------------------------------------------------------------------------------------
# hessian


H_CASES = [(s_1, X), (s_1, (X,)), (s_2, (X, Y)),
           (lambda x: (x ** 4).sum(0).sum().reshape(1, 1), arr(3))]


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("case", range(len(H_CASES)))
def test_hessian_matches(case, requires_grad, create_graph, vectorize):
    func, inputs = H_CASES[case]
    e, t = both(lambda lib, F: F.hessian(func, tensors(lib, inputs, requires_grad),
                                         create_graph=create_graph, vectorize=vectorize))
    same(e, t)


def test_hessian_structure_and_zeros():
    x, y = ember.tensor(X[0]), ember.tensor(Y[:, :2])
    h = EF.hessian(lambda a, b: (a ** 2).sum() + b.exp().sum(), (x, y))
    assert [[t.shape for t in row] for row in h] == [[(3, 3), (3, 2, 2)],
                                                      [(2, 2, 3), (2, 2, 2, 2)]]
    assert not h[0][1].numpy().any() and not h[1][0].numpy().any()
    np.testing.assert_allclose(h[0][0].numpy(), 2 * np.eye(3))


def test_hessian_create_graph_gives_third_derivatives():
    grads = []
    for lib, F in ((ember, EF), (torch, TF)):
        x, y = lib.tensor(X, requires_grad=True), lib.tensor(Y, requires_grad=True)
        h = F.hessian(s_2, (x, y), create_graph=True)
        grads.append(lib.autograd.grad(sum(hh.sum() for row in h for hh in row), (x, y)))
    same(*grads)


def test_hessian_docs_examples():
    def pow_reducer(x):
        return x.pow(3).sum()

    inputs = arr(2, 2)
    e, t = both(lambda lib, F: F.hessian(pow_reducer, lib.tensor(inputs)))
    same(e, t)
    assert e.shape == (2, 2, 2, 2)
    e, t = both(lambda lib, F: F.hessian(pow_reducer, lib.tensor(inputs), create_graph=True))
    same(e, t)
    assert e.grad_fn.name() == t.grad_fn.name() == "ViewBackward0"

    def pow_adder_reducer(x, y):
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    pair = (arr(2), arr(2))
    e, t = both(lambda lib, F: F.hessian(pow_adder_reducer, tensors(lib, pair)))
    same(e, t)
    np.testing.assert_array_equal(e[1][1].numpy(), [[6, 0], [0, 6]])


# ---------------------------------------------------------------------------------------------
# vjp, jvp, vhp, hvp


P_CASES = [  # (name, function, inputs, v)
    ("vjp", f_11, X, arr(2)), ("vjp", f_12, X, (arr(2, 3), arr(1)[0])),
    ("vjp", f_21, (X, Y), arr(2, 3)), ("vjp", f_22, (X, Y), (arr(2, 3), arr(3))),
    ("vjp", lambda x: x.sum(), X, None), ("vjp", f_11, (X,), arr(2)),
    ("jvp", f_11, X, arr(2, 3)), ("jvp", f_12, X, arr(2, 3)),
    ("jvp", f_21, (X, Y), (arr(2, 3), arr(2, 3))), ("jvp", f_22, (X, Y), (arr(2, 3), arr(2, 3))),
    ("jvp", lambda x: x.exp() * 2, arr(1), None), ("jvp", f_12, (X,), (arr(2, 3),)),
    ("vhp", s_1, X, arr(2, 3)), ("vhp", s_2, (X, Y), (arr(2, 3), arr(2, 3))),
    ("vhp", lambda x: (x ** 3).sum(), arr(1), None), ("vhp", s_1, (X,), (arr(2, 3),)),
    ("hvp", s_1, X, arr(2, 3)), ("hvp", s_2, (X, Y), (arr(2, 3), arr(2, 3))),
    ("hvp", lambda x: (x ** 3).sum(), arr(1, 1), None), ("hvp", s_1, (X,), (arr(2, 3),)),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("case", range(len(P_CASES)))
def test_products_match(case, requires_grad, create_graph):
    name, func, inputs, v = P_CASES[case]
    e, t = both(lambda lib, F: getattr(F, name)(
        func, tensors(lib, inputs, requires_grad),
        None if v is None else tensors(lib, v), create_graph=create_graph))
    assert isinstance(e, tuple) and len(e) == 2
    same(e, t)


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_products_create_graph_differentiate_through_v_and_inputs(name):
    second_order = name in ("vhp", "hvp")
    func = s_2 if second_order else f_22
    v = (arr(2, 3), arr(2, 3)) if name != "vjp" else (arr(2, 3), arr(3))
    grads = []
    for lib, F in ((ember, EF), (torch, TF)):
        x, y = lib.tensor(X, requires_grad=True), lib.tensor(Y, requires_grad=True)
        vs = tensors(lib, v, requires_grad=True)
        out, prod = getattr(F, name)(func, (x, y), vs, create_graph=True)
        outs = out if isinstance(out, tuple) else (out,)
        loss = sum((p * p).sum() for p in prod) + sum(o.sum() for o in outs)
        grads.append(lib.autograd.grad(loss, (x, y, *vs)))
    same(*grads)


def test_products_zeros_for_independent_inputs():
    def f(x, y):
        return x.exp()

    def s(x, y):
        return (x ** 2).sum()

    for name, func in (("vjp", f), ("jvp", f), ("vhp", s), ("hvp", s)):
        v = (arr(2, 3), arr(2, 3)) if name != "vjp" else arr(2, 3)
        e, t = both(lambda lib, F: getattr(F, name)(func, tensors(lib, (X, Y)),
                                                    tensors(lib, v)))
        same(e, t)


def test_linear_and_constant_functions_give_zeros():
    def lin(lib):
        return lambda x: x * 3

    def const(lib):
        return lambda x: lib.ones(2, 3, dtype=lib.float64)

    for name in ("vjp", "jvp"):
        for make in (lin, const):
            for cg in (False, True):
                e = getattr(EF, name)(make(ember), ember.tensor(X), ember.tensor(Y),
                                      create_graph=cg)
                t = getattr(TF, name)(make(torch), torch.tensor(X), torch.tensor(Y),
                                      create_graph=cg)
                same(e, t)
    for name in ("vhp", "hvp"):
        e, t = both(lambda lib, F: getattr(F, name)(lambda x: x.sum() * 2, lib.tensor(X),
                                                    lib.tensor(Y)))
        same(e, t)
        assert not e[1].numpy().any()


def test_products_docs_examples():
    def exp_reducer(x):
        return x.exp().sum(dim=1)

    def adder(x, y):
        return 2 * x + 3 * y

    def pow_reducer(x):
        return x.pow(3).sum()

    def pow_adder_reducer(x, y):
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    inputs = arr(4, 4)
    e, t = both(lambda lib, F: F.vjp(exp_reducer, lib.tensor(inputs), lib.ones(4, dtype=lib.float64)))
    same(e, t)
    e, t = both(lambda lib, F: F.vjp(exp_reducer, lib.tensor(inputs), lib.ones(4, dtype=lib.float64),
                                     create_graph=True))
    same(e, t)
    assert e[0].grad_fn.name() == t[0].grad_fn.name() == "SumBackward1"
    pair = (arr(2), arr(2))
    e, t = both(lambda lib, F: F.vjp(adder, tensors(lib, pair),
                                     lib.ones(2, dtype=lib.float64)))
    same(e, t)
    np.testing.assert_array_equal(e[1][1].numpy(), [3, 3])

    e, t = both(lambda lib, F: F.jvp(exp_reducer, lib.tensor(inputs),
                                     lib.ones(4, 4, dtype=lib.float64)))
    same(e, t)
    np.testing.assert_allclose(e[0].numpy(), e[1].numpy(), rtol=1e-14)
    e, t = both(lambda lib, F: F.jvp(exp_reducer, lib.tensor(inputs),
                                     lib.ones(4, 4, dtype=lib.float64), create_graph=True))
    same(e, t)
    e, t = both(lambda lib, F: F.jvp(adder, tensors(lib, pair),
                                     (lib.ones(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64))))
    same(e, t)
    np.testing.assert_array_equal(e[1].numpy(), [5, 5])

    x22 = arr(2, 2)
    for name in ("vhp", "hvp"):
        e, t = both(lambda lib, F: getattr(F, name)(pow_reducer, lib.tensor(x22),
                                                    lib.ones(2, 2, dtype=lib.float64)))
        same(e, t)
        e, t = both(lambda lib, F: getattr(F, name)(pow_reducer, lib.tensor(x22),
                                                    lib.ones(2, 2, dtype=lib.float64),
                                                    create_graph=True))
        same(e, t)
        assert e[0].grad_fn.name() == t[0].grad_fn.name() == "SumBackward0"
        e, t = both(lambda lib, F: getattr(F, name)(
            pow_adder_reducer, tensors(lib, pair),
            (lib.zeros(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64))))
        same(e, t)
        np.testing.assert_array_equal(e[1][0].numpy(), [0, 0])
        np.testing.assert_array_equal(e[1][1].numpy(), [6, 6])


def test_hvp_equals_vhp_for_smooth_functions():
    x, y = tensors(ember, (X, Y))
    v = tensors(ember, (arr(2, 3), arr(2, 3)))
    _, a = EF.hvp(s_2, (x, y), v)
    _, b = EF.vhp(s_2, (x, y), v)
    for ta, tb in zip(a, b):
        np.testing.assert_allclose(ta.numpy(), tb.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# strict mode


def _independent(x, y):
    return x * 2 + x.exp()


STRICT = [  # (name, call(lib, F)) raising the same error in both
    ("jacobian: output independent of an input",
     lambda lib, F: F.jacobian(_independent, tensors(lib, (X, Y)), strict=True)),
    ("jacobian: output independent of the second input",
     lambda lib, F: F.jacobian(lambda x, y: (x.exp(), y.exp() + x.sum()), tensors(lib, (X, Y)),
                               strict=True)),
    ("jacobian: an output that does not require grad",
     lambda lib, F: F.jacobian(lambda x: (x.exp(), lib.ones(2)), lib.tensor(X), strict=True)),
    ("jacobian: linear, create_graph",
     lambda lib, F: F.jacobian(lambda x: x * 2, lib.tensor(X), strict=True, create_graph=True)),
    ("jacobian: strict with vectorize",
     lambda lib, F: F.jacobian(f_11, lib.tensor(X), strict=True, vectorize=True)),
    ("hessian: linear function",
     lambda lib, F: F.hessian(lambda x: x.sum() * 3, lib.tensor(X), strict=True)),
    ("hessian: independent second input",
     lambda lib, F: F.hessian(lambda x, y: (x ** 3).sum(), tensors(lib, (X, Y)), strict=True)),
    ("hessian: output does not require grad",
     lambda lib, F: F.hessian(lambda x: lib.ones(()), lib.tensor(X), strict=True)),
    ("hessian: strict with vectorize",
     lambda lib, F: F.hessian(s_1, lib.tensor(X), strict=True, vectorize=True)),
    ("vjp: independent input",
     lambda lib, F: F.vjp(_independent, tensors(lib, (X, Y)), lib.tensor(Y), strict=True)),
    ("vjp: output does not require grad",
     lambda lib, F: F.vjp(lambda x: x.detach(), lib.tensor(X), lib.tensor(Y), strict=True)),
    ("vjp: linear, create_graph",
     lambda lib, F: F.vjp(lambda x: x * 2, lib.tensor(X), lib.tensor(Y), strict=True,
                          create_graph=True)),
    ("jvp: independent input",
     lambda lib, F: F.jvp(_independent, tensors(lib, (X, Y)), tensors(lib, (X, Y)),
                          strict=True)),
    ("jvp: output does not require grad",
     lambda lib, F: F.jvp(lambda x: x.detach(), lib.tensor(X), lib.tensor(Y), strict=True)),
    ("jvp: linear, create_graph",
     lambda lib, F: F.jvp(lambda x: x * 2, lib.tensor(X), lib.tensor(Y), strict=True,
                          create_graph=True)),
    ("vhp: linear",
     lambda lib, F: F.vhp(lambda x: x.sum(), lib.tensor(X), lib.tensor(Y), strict=True)),
    ("vhp: independent input",
     lambda lib, F: F.vhp(lambda x, y: (x ** 2).sum() + y.sum(), tensors(lib, (X, Y)),
                          tensors(lib, (X, Y)), strict=True)),
    ("vhp: second input not used",
     lambda lib, F: F.vhp(lambda x, y: (x ** 2).sum(), tensors(lib, (X, Y)),
                          tensors(lib, (X, Y)), strict=True)),
    ("vhp: output does not require grad",
     lambda lib, F: F.vhp(lambda x: lib.ones(()), lib.tensor(X), lib.tensor(Y), strict=True)),
    ("hvp: linear",
     lambda lib, F: F.hvp(lambda x: x.sum(), lib.tensor(X), lib.tensor(Y), strict=True)),
    ("hvp: second input not used",
     lambda lib, F: F.hvp(lambda x, y: (x ** 2).sum(), tensors(lib, (X, Y)),
                          tensors(lib, (X, Y)), strict=True)),
    ("hvp: the gradient reaches no input (a captured tensor requires grad)",
     lambda lib, F: F.hvp(lambda x: (x * lib.tensor(Y, requires_grad=True)).sum(),
                          lib.tensor(X), lib.tensor(Y), strict=True)),
    ("vhp: the gradient reaches no input (a captured tensor requires grad)",
     lambda lib, F: F.vhp(lambda x: (x * lib.tensor(Y, requires_grad=True)).sum(),
                          lib.tensor(X), lib.tensor(Y), strict=True)),
    ("hessian: the gradient reaches no input (a captured tensor requires grad)",
     lambda lib, F: F.hessian(lambda x: (x * lib.tensor(Y, requires_grad=True)).sum(),
                              lib.tensor(X), strict=True)),
    ("jvp: an output whose gradient reaches no input",
     lambda lib, F: F.jvp(lambda x: (x * 2, lib.tensor(Y, requires_grad=True) * 3),
                          lib.tensor(X), lib.tensor(Y), strict=True)),
    ("vhp: constant hessian, create_graph",
     lambda lib, F: F.vhp(lambda x: (x * x).sum(), lib.tensor(X), lib.tensor(Y), strict=True,
                          create_graph=True)),
    ("hvp: constant hessian, create_graph",
     lambda lib, F: F.hvp(lambda x: (x * x).sum(), lib.tensor(X), lib.tensor(Y), strict=True,
                          create_graph=True)),
    ("hessian: constant hessian, create_graph",
     lambda lib, F: F.hessian(lambda x: (x * x).sum(), lib.tensor(X), strict=True,
                              create_graph=True)),
    ("hvp: output does not require grad",
     lambda lib, F: F.hvp(lambda x: lib.ones(()), lib.tensor(X), lib.tensor(Y), strict=True)),
]


@pytest.mark.parametrize("case", range(len(STRICT)), ids=[c[0] for c in STRICT])
def test_strict_errors(case):
    _, call = STRICT[case]
    exc = same_error(lambda: call(ember, EF), lambda: call(torch, TF))
    if "strict mode" in str(exc):
        assert any("strict=False" in n for n in exc.__notes__)


def test_strict_passes_when_everything_depends_on_the_inputs():
    for create_graph in (False, True):
        e, t = both(lambda lib, F: F.jacobian(f_22, tensors(lib, (X, Y)), strict=True,
                                              create_graph=create_graph))
        same(e, t)
        e, t = both(lambda lib, F: F.hessian(lambda x: (x ** 3).sum(), lib.tensor(X),
                                             strict=True, create_graph=create_graph))
        same(e, t)
        for name in ("vhp", "hvp"):
            e, t = both(lambda lib, F: getattr(F, name)(
                lambda x: (x ** 3).sum(), lib.tensor(X), lib.tensor(Y), strict=True,
                create_graph=create_graph))
            same(e, t)
        for name in ("vjp", "jvp"):
            e, t = both(lambda lib, F: getattr(F, name)(
                lambda x: x.exp(), lib.tensor(X), lib.tensor(Y), strict=True,
                create_graph=create_graph))
            same(e, t)


# ---------------------------------------------------------------------------------------------
# errors


ERRORS = [
    ("jacobian: int input", lambda lib, F: F.jacobian(f_11, 3)),
    ("jacobian: list input", lambda lib, F: F.jacobian(f_11, [lib.tensor(X)])),
    ("jacobian: int in a tuple", lambda lib, F: F.jacobian(f_21, (lib.tensor(X), 2.0))),
    ("jacobian: int output", lambda lib, F: F.jacobian(lambda x: 3, lib.tensor(X))),
    ("jacobian: None output", lambda lib, F: F.jacobian(lambda x: None, lib.tensor(X))),
    ("jacobian: list output", lambda lib, F: F.jacobian(lambda x: [x], lib.tensor(X))),
    ("jacobian: int in the output tuple",
     lambda lib, F: F.jacobian(lambda x: (x, 1), lib.tensor(X))),
    ("jacobian: bad strategy",
     lambda lib, F: F.jacobian(f_11, lib.tensor(X), strategy="forward")),
    ("jacobian: forward-mode without vectorize",
     lambda lib, F: F.jacobian(f_11, lib.tensor(X), strategy="forward-mode")),
    ("jacobian: forward-mode with create_graph",
     lambda lib, F: F.jacobian(f_11, lib.tensor(X), strategy="forward-mode", create_graph=True,
                               vectorize=True)),
    ("jacobian: forward-mode with strict",
     lambda lib, F: F.jacobian(f_11, lib.tensor(X), strategy="forward-mode", strict=True,
                               vectorize=True)),
    ("jacobian: forward-mode, int input",
     lambda lib, F: F.jacobian(f_11, 3, strategy="forward-mode")),
    ("jacobian: forward-mode, strict checked first",
     lambda lib, F: F.jacobian(f_11, 3, strategy="forward-mode", strict=True)),
    ("jacobian: integer input", lambda lib, F: F.jacobian(f_11, lib.ones(3, dtype=lib.int64))),
    ("jacobian: empty output", lambda lib, F: F.jacobian(lambda x: x[:0], lib.tensor(X))),
    ("jacobian: empty output, vectorize",
     lambda lib, F: F.jacobian(lambda x: x[:0], lib.tensor(X), vectorize=True)),
    ("jacobian: no inputs", lambda lib, F: F.jacobian(lambda: lib.ones(2), ())),
    ("jacobian: no outputs", lambda lib, F: F.jacobian(lambda x: (), lib.tensor(X))),
    ("jacobian: no outputs, vectorize",
     lambda lib, F: F.jacobian(lambda x: (), lib.tensor(X), vectorize=True)),
    ("vjp: no outputs", lambda lib, F: F.vjp(lambda x: (), lib.tensor(X), ())),
    ("hessian: int input", lambda lib, F: F.hessian(s_1, 3)),
    ("hessian: int input before the strategy",
     lambda lib, F: F.hessian(s_1, 3, outer_jacobian_strategy="x")),
    ("hessian: bad strategy",
     lambda lib, F: F.hessian(s_1, lib.tensor(X), outer_jacobian_strategy="x")),
    ("hessian: forward-mode without vectorize",
     lambda lib, F: F.hessian(s_1, lib.tensor(X), outer_jacobian_strategy="forward-mode")),
    ("hessian: forward-mode with create_graph",
     lambda lib, F: F.hessian(s_1, lib.tensor(X), outer_jacobian_strategy="forward-mode",
                              create_graph=True, vectorize=True)),
    ("hessian: forward-mode with strict",
     lambda lib, F: F.hessian(s_1, lib.tensor(X), outer_jacobian_strategy="forward-mode",
                              strict=True, vectorize=True)),
    ("hessian: several elements", lambda lib, F: F.hessian(lambda x: x * 2, lib.tensor(X))),
    ("hessian: tuple output", lambda lib, F: F.hessian(lambda x: (x.sum(),), lib.tensor(X))),
    ("hessian: empty tuple output", lambda lib, F: F.hessian(lambda x: (), lib.tensor(X))),
    ("hessian: int output", lambda lib, F: F.hessian(lambda x: 1.0, lib.tensor(X))),
    ("hessian: list input", lambda lib, F: F.hessian(s_1, [lib.tensor(X)])),
    ("vjp: v None for a vector output", lambda lib, F: F.vjp(f_11, lib.tensor(X))),
    ("vjp: v None for a tuple output",
     lambda lib, F: F.vjp(lambda x: (x.sum(), x.sum()), lib.tensor(X))),
    ("vjp: v too long", lambda lib, F: F.vjp(f_11, lib.tensor(X), tensors(lib, (X, X)))),
    ("vjp: v too short",
     lambda lib, F: F.vjp(f_12, lib.tensor(X), (lib.tensor(X),))),
    ("vjp: v size", lambda lib, F: F.vjp(f_11, lib.tensor(X), lib.ones(3))),
    ("vjp: v entry size",
     lambda lib, F: F.vjp(f_12, lib.tensor(X), (lib.tensor(X), lib.ones(2)))),
    ("vjp: v int", lambda lib, F: F.vjp(f_11, lib.tensor(X), 1)),
    ("vjp: v list", lambda lib, F: F.vjp(f_11, lib.tensor(X), [lib.ones(2)])),
    ("vjp: v tuple with a float",
     lambda lib, F: F.vjp(f_12, lib.tensor(X), (lib.tensor(X), 1.0))),
    ("vjp: int input", lambda lib, F: F.vjp(f_11, 1, None)),
    ("vjp: int output", lambda lib, F: F.vjp(lambda x: 1, lib.tensor(X))),
    ("jvp: v None", lambda lib, F: F.jvp(f_11, lib.tensor(X))),
    ("jvp: v None, two inputs", lambda lib, F: F.jvp(f_21, tensors(lib, (X[:1, :1], Y[:1, :1])))),
    ("jvp: v size", lambda lib, F: F.jvp(f_11, lib.tensor(X), lib.ones(3))),
    ("jvp: v length", lambda lib, F: F.jvp(f_21, tensors(lib, (X, Y)), lib.tensor(X))),
    ("jvp: v int", lambda lib, F: F.jvp(f_11, lib.tensor(X), 2)),
    ("jvp: v checked before the function runs",
     lambda lib, F: F.jvp(lambda x: 1, lib.tensor(X), lib.ones(3))),
    ("jvp: int output", lambda lib, F: F.jvp(lambda x: 1, lib.tensor(X), lib.tensor(X))),
    ("jvp: list input", lambda lib, F: F.jvp(f_11, [lib.tensor(X)], lib.tensor(X))),
    ("vhp: v None", lambda lib, F: F.vhp(s_1, lib.tensor(X))),
    ("vhp: several elements", lambda lib, F: F.vhp(f_11, lib.tensor(X), lib.tensor(X))),
    ("vhp: tuple output", lambda lib, F: F.vhp(lambda x: (s_1(x),), lib.tensor(X), lib.tensor(X))),
    ("vhp: v size", lambda lib, F: F.vhp(s_1, lib.tensor(X), lib.ones(3))),
    ("vhp: v entry size",
     lambda lib, F: F.vhp(s_2, tensors(lib, (X, Y)), (lib.tensor(X), lib.ones(3)))),
    ("vhp: int input", lambda lib, F: F.vhp(s_1, 2.0, lib.tensor(X))),
    ("vhp: v float", lambda lib, F: F.vhp(s_1, lib.tensor(X), 2.0)),
    ("hvp: v None", lambda lib, F: F.hvp(s_1, lib.tensor(X))),
    ("hvp: several elements", lambda lib, F: F.hvp(f_11, lib.tensor(X), lib.tensor(X))),
    ("hvp: tuple output", lambda lib, F: F.hvp(lambda x: (s_1(x),), lib.tensor(X), lib.tensor(X))),
    ("hvp: v length", lambda lib, F: F.hvp(s_2, tensors(lib, (X, Y)), (lib.tensor(X),))),
    ("hvp: None output", lambda lib, F: F.hvp(lambda x: None, lib.tensor(X), lib.tensor(X))),
]


@pytest.mark.parametrize("case", range(len(ERRORS)), ids=[c[0] for c in ERRORS])
def test_errors(case):
    _, call = ERRORS[case]
    same_error(lambda: call(ember, EF), lambda: call(torch, TF))


def test_hints_in_notes():
    with pytest.raises(TypeError) as info:
        EF.jacobian(f_11, [ember.tensor(X)])
    assert any("tuple" in n for n in info.value.__notes__)
    with pytest.raises(RuntimeError) as info:
        EF.hessian(lambda x: x * 2, ember.tensor(X))
    assert any(".sum()" in n and "(2, 3)" in n for n in info.value.__notes__)
    with pytest.raises(RuntimeError) as info:
        EF.vjp(f_11, ember.tensor(X))
    assert any("shaped like each of the outputs ((2,))" in n for n in info.value.__notes__)
    with pytest.raises(RuntimeError) as info:
        EF.hvp(s_2, (ember.tensor(X), ember.tensor(Y[0])))
    assert any("inputs ((2, 3), (3,))" in n for n in info.value.__notes__)
    with pytest.raises(NotImplementedError) as info:
        EF.jacobian(f_11, ember.tensor(X), strategy="forward-mode")
    assert any("vectorize=True" in n for n in info.value.__notes__)


# ---------------------------------------------------------------------------------------------
# forward mode


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_jacobian_forward_mode(case, requires_grad):
    func, inputs = CASES[case]
    e, t = both(lambda lib, F: F.jacobian(func, tensors(lib, inputs, requires_grad),
                                          vectorize=True, strategy="forward-mode"))
    same(e, t, grad_fn=False)
    # the same values as reverse mode
    r = EF.jacobian(func, tensors(ember, inputs))
    assert_same(r, t, rtol=1e-12, atol=1e-14)


def test_jacobian_forward_mode_constant_output_and_dtype():
    def f(lib):
        return lambda x, y: (x.float() * 2, lib.ones(2, dtype=lib.float64))
    e = EF.jacobian(f(ember), tensors(ember, (X, Y)), vectorize=True, strategy="forward-mode")
    t = TF.jacobian(f(torch), tensors(torch, (X, Y)), vectorize=True, strategy="forward-mode")
    same(e, t, grad_fn=False)
    assert e[0][0].dtype == ember.float32  # forward mode: the output's dtype


def test_jacobian_forward_mode_empty_input():
    e, t = both(lambda lib, F: F.jacobian(lambda x, y: (x * 2, y.exp()),
                                          tensors(lib, (X[:0], X[0, :0])), vectorize=True,
                                          strategy="forward-mode"))
    same(e, t)


def test_jacobian_forward_mode_output_error():
    same_error(lambda: EF.jacobian(lambda x: [x], ember.tensor(X), vectorize=True,
                                   strategy="forward-mode"),
               lambda: TF.jacobian(lambda x: [x], torch.tensor(X), vectorize=True,
                                   strategy="forward-mode"))


@pytest.mark.parametrize("case", range(len(H_CASES)))
def test_hessian_forward_over_reverse(case):
    func, inputs = H_CASES[case]
    e, t = both(lambda lib, F: F.hessian(func, tensors(lib, inputs), vectorize=True,
                                         outer_jacobian_strategy="forward-mode"))
    same(e, t, grad_fn=False)


# ---------------------------------------------------------------------------------------------
# what autograd.grad itself checks


def test_vjp_v_of_another_dtype():
    e, t = both(lambda lib, F: F.vjp(lambda x: x * 2, lib.tensor(X),
                                     lib.ones(2, 3, dtype=lib.float32)))
    same(e, t)


def test_no_inputs_reach_autograd_grads_error():
    same_error(lambda: EF.vjp(lambda: ember.ones(2, requires_grad=True).sum(), ()),
               lambda: TF.vjp(lambda: torch.ones(2, requires_grad=True).sum(), ()))
