"""The elementwise ops' overloads as PyTorch's: round(decimals=), Scalar overloads and their
nodes, Tensor-only signatures, bool inputs."""

import numpy as np
import pytest
import torch

import ember
from parity import outcome, same_outcome, show_outcome


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("decimals", [-400, -20, -3, -1, 0, 1, 2, 3, 5, 8, 20, 39, 46, 310])
def test_round_decimals_values(dtype, decimals):
    """The same values as PyTorch's kernel, bit for bit (x * 10**d rounded to even, / 10**d)."""
    rng = np.random.default_rng(abs(decimals))
    a = rng.standard_normal(4000) * 10.0 ** rng.integers(-3, 5, 4000)
    a[:6] = [0.125, 2.5, -2.5, 1234.5, np.inf, np.nan]
    t = torch.tensor(a).to(getattr(torch, dtype))
    e = ember.tensor(a).to(getattr(ember, dtype))
    want = torch.round(t, decimals=decimals)
    got = ember.round(e, decimals=decimals)
    assert str(got.dtype)[6:] == str(want.dtype)[6:]
    np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())


def test_round_decimals_autograd_and_forms():
    for lib in (torch, ember):
        x = lib.tensor([1.26, -2.5], requires_grad=True)
        assert type(lib.round(x).grad_fn).__name__ == "RoundBackward0"
        for y in (lib.round(x, decimals=1), lib.round(x, decimals=0), x.round(decimals=1),
                  lib.special.round(x), lib.special.round(x, decimals=1)):
            assert type(y.grad_fn).__name__ == "RoundBackward1"
        y = lib.round(x, decimals=1)
        y.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]
        z = x.detach().clone()
        z.round_(decimals=1)
        assert z.tolist() == pytest.approx([1.3, -2.5])
        out = lib.empty(2)
        lib.round(x.detach(), decimals=1, out=out)
        assert out.tolist() == pytest.approx([1.3, -2.5])


@pytest.mark.parametrize("expr", [
    "m.round(m.tensor([1, 2]), decimals=1)", "m.round(m.tensor([True]), decimals=1)",
    "m.round(m.tensor([1 + 2j]), decimals=1)", "m.round(m.tensor([1.5]), decimals=1.5)",
    "m.round(m.tensor([1.5]), 1)", "m.round(m.tensor([15, 25]))",
])
def test_round_decimals_refusals(expr):
    e = outcome(ember, lambda: eval(expr, {"m": ember}))  # noqa: S307
    t = outcome(torch, lambda: eval(expr, {"m": torch}))  # noqa: S307
    assert same_outcome(e, t), (show_outcome(t), show_outcome(e))


_UNARY_BOOL = ["neg", "negative", "abs", "absolute", "frac", "sign", "sgn", "floor", "ceil",
               "round", "trunc", "fix", "relu", "positive", "square"]


@pytest.mark.parametrize("name", _UNARY_BOOL)
@pytest.mark.parametrize("form", ["function", "method", "inplace"])
def test_unary_on_bool(name, form):
    """What PyTorch's kernels do with a bool tensor: a copy (sign) or their own error."""
    def call(m):
        x = m.tensor([True, False])
        if form == "function":
            return getattr(m, name)(x)
        return getattr(x, name + ("_" if form == "inplace" else ""))()

    e, t = outcome(ember, lambda: call(ember)), outcome(torch, lambda: call(torch))
    assert same_outcome(e, t), (show_outcome(t), show_outcome(e))


@pytest.mark.parametrize("name", ["atan2", "maximum", "minimum", "fmax", "fmin", "hypot",
                                  "xlogy", "copysign"])
@pytest.mark.parametrize("form", ["t,float", "float,t", "t,int", "method", "inplace",
                                  "t,np.float64"])
def test_number_operands(name, form):
    """Tensor-only signatures refuse numbers with PyTorch's TypeError; the Scalar overloads
    of xlogy and copysign record their own nodes and saved values."""
    def call(m):
        x = m.tensor([1.5, -2.0], requires_grad=True)
        f = getattr(m, name)
        if form == "t,float":
            y = f(x, 2.0)
        elif form == "float,t":
            y = f(2.0, x)
        elif form == "t,int":
            y = f(x, 2)
        elif form == "t,np.float64":
            y = f(x, np.float64(2.0))
        elif form == "method":
            y = getattr(x, name)(2.0)
        else:
            y = getattr(x.detach().clone(), name + "_")(2.0)
        node = y.grad_fn
        saved = {} if node is None else {
            a: getattr(node, a) for a in ("_saved_self", "_saved_other") if hasattr(node, a)}
        return (y, type(node).__name__, *(f"{k}={v!r}" if not isinstance(v, m.Tensor) else v
                                          for k, v in sorted(saved.items())))

    e, t = outcome(ember, lambda: call(ember)), outcome(torch, lambda: call(torch))
    assert same_outcome(e, t), (show_outcome(t), show_outcome(e))


def test_number_overload_gradients():
    for name, args in [("xlogy", (2.0,)), ("copysign", (-1.0,))]:
        grads = []
        for lib in (torch, ember):
            x = lib.tensor([1.5, 0.0, 2.0], requires_grad=True)
            getattr(lib, name)(x, *args).sum().backward()
            grads.append(x.grad.tolist())
        assert grads[0] == pytest.approx(grads[1])
    grads = []
    for lib in (torch, ember):
        x = lib.tensor([1.5, 0.5, 2.0], requires_grad=True)
        lib.xlogy(2.0, x).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == pytest.approx(grads[1])


# -- PyTorch's older argument orders: the number first (old tutorials' p.add_(-lr, grad)) ------
LEGACY = [
    ("p.clone().add_(-0.1, g)", "add_(Number alpha, Tensor other)",
     "add_(Tensor other, *, Number alpha = 1)"),
    ("p.clone().add_(-0.1, other=g)", "add_(Number alpha, Tensor other)",
     "add_(Tensor other, *, Number alpha = 1)"),
    ("p.add(-0.1, g)", "add(Number alpha, Tensor other)",
     "add(Tensor other, *, Number alpha = 1)"),
    ("lib.add(p, -0.1, g)", "add(Tensor input, Number alpha, Tensor other, *, Tensor out = None)",
     "add(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)"),
    ("p.clone().sub_(2, g)", "sub_(Number alpha, Tensor other)",
     "sub_(Tensor other, *, Number alpha = 1)"),
    ("lib.sub(p, 0.5, g)", "sub(Tensor input, Number alpha, Tensor other, *, Tensor out = None)",
     "sub(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)"),
    ("p.clone().addcmul_(0.1, g, g)", "addcmul_(Number value, Tensor tensor1, Tensor tensor2)",
     "addcmul_(Tensor tensor1, Tensor tensor2, *, Number value = 1)"),
    ("p.addcdiv(0.3, g, g)", "addcdiv(Number value, Tensor tensor1, Tensor tensor2)",
     "addcdiv(Tensor tensor1, Tensor tensor2, *, Number value = 1)"),
    ("lib.addcmul(p, 0.1, g, g)", "addcmul(Tensor input, Number value, Tensor tensor1, "
     "Tensor tensor2, *, Tensor out = None)", "addcmul(Tensor input, Tensor tensor1, "
     "Tensor tensor2, *, Number value = 1, Tensor out = None)"),
]


@pytest.mark.parametrize("case", LEGACY, ids=lambda c: c[0])
def test_number_first_overloads(case, monkeypatch):
    """The value PyTorch computes, and PyTorch's deprecation text (the signatures as PyTorch
    2.13 prints them), given once per process for all of these overloads together."""
    code, old, new = case
    want = eval(code, {"lib": torch, "p": torch.ones(3), "g": torch.full((3,), 0.5)})
    from ember import _errors

    monkeypatch.setattr(_errors, "_WARNED", set())
    env = {"lib": ember, "p": ember.ones(3), "g": ember.full((3,), 0.5)}
    with pytest.warns(UserWarning) as record:
        got = eval(code, env)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert [str(w.message) for w in record] == [
        f"This overload of {old.split('(')[0]} is deprecated:\n\t{old}\nConsider using one of "
        f"the following signatures instead:\n\t{new}"]
    assert record[0].filename == "<string>"  # the warning points at the caller (the eval)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eval(code, env)  # once per process
        eval(LEGACY[0][0], env)  # for any of them, as PyTorch's single flag


def test_number_other_number_alpha():
    for code in ("p.add(1, 2)", "p.sub(1, 2)", "p.clone().add_(1.5, 2)", "lib.add(p, 1, 2)"):
        want = eval(code, {"lib": torch, "p": torch.ones(3)})
        got = eval(code, {"lib": ember, "p": ember.ones(3)})
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("value", [0.3, 1, -2.5])
def test_addcmul_addcdiv_round_as_pytorch(op, dtype, value):
    """PyTorch's kernels: addcmul is one fused multiply-add of (value * t1) and t2 onto input
    (in float32 for float16 and bfloat16, rounded back once), addcdiv input + (value * t1) / t2.
    ember gives the same numbers bit for bit, except addcmul in float64, where NumPy has no
    wider type to round from once (a difference kept, checked to stay small)."""
    rng = np.random.default_rng(11)
    arrays = [rng.standard_normal(s) for s in ((40, 25), (25,), (40, 1))]
    got = getattr(ember, op)(*(ember.tensor(a, dtype=getattr(ember, dtype)) for a in arrays),
                             value=value).double().numpy()
    want = getattr(torch, op)(*(torch.tensor(a, dtype=getattr(torch, dtype)) for a in arrays),
                              value=value).double().numpy()
    if op == "addcmul" and dtype == "float64":
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=1e-15)
    else:
        np.testing.assert_array_equal(got, want)
