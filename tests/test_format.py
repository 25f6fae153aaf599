"""format(t, spec), f"{t}" and "{}".format(t) give PyTorch's text or its exception."""

import math

import pytest
import torch

import ember

VALUES = {
    "bool": [True, False],
    "uint8": [0, 7, 255],
    "int8": [-128, -3, 0, 127],
    "int16": [-300, 0, 12345],
    "int32": [-70000, 0, 2**31 - 1],
    "int64": [-(2**63), -5, 0, 3, 2**62],
    "float16": [0.0, -0.0, 2.5, -1e-3, 65504.0, math.inf, math.nan],
    "float32": [0.0, -0.0, 5.0, 0.1, -1 / 3, 1e30, 1e-30, -math.inf, math.nan],
    "float64": [0.0, 5.0, 0.1, -1 / 3, 1e300, 5e-324, math.inf, -math.nan],
    "complex64": [0j, 1 + 2j, complex(-0.1, 1 / 3), complex(math.inf, math.nan)],
    "complex128": [0j, 1 + 2j, complex(-0.1, 1 / 3), complex(1e300, -5e-324)],
}
SPECS = ["", ".3f", ">10", "<8", "^12", "e", ".2e", "E", "g", ".4g", "G", "d", "x", "X", "o",
         "b", "c", "n", "%", ".1%", "s", "r", "+", "-", " ", ",", "_", "#", "08.2f", "+.3e",
         "*^20.5g", "=+10", "010", ".0f", "10.3", "z", "z.1f", "!", "{}"]


def outcome(fn):
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - the exception is the result being compared
        return type(exc).__name__, str(exc)


def pairs(requires_grad=False, grad_fn=False):
    for name, values in VALUES.items():
        for v in values:
            t = torch.tensor(v, dtype=getattr(torch, name))
            e = ember.tensor(v, dtype=getattr(ember, name))
            if requires_grad and (t.is_floating_point() or t.is_complex()):
                t.requires_grad_()
                e.requires_grad_()
                if grad_fn:
                    t, e = t * 1, e * 1
            yield name, v, t, e


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("grad", ["none", "leaf", "grad_fn"])
def test_0d_format_matches_torch(spec, grad):
    for name, v, t, e in pairs(grad != "none", grad == "grad_fn"):
        assert outcome(lambda: format(e, spec)) == outcome(lambda: format(t, spec)), (name, v)


TEMPLATE = "{}|{:>9}|{:^7}"


@pytest.mark.parametrize("grad", ["none", "grad_fn"])
def test_fstring_and_str_format(grad):
    for name, v, t, e in pairs(grad != "none", grad == "grad_fn"):
        assert f"loss {e}" == f"loss {t}", (name, v)
        assert TEMPLATE.format(e, e, e) == TEMPLATE.format(t, t, t), (name, v)
        as_ember = f"{t!r}|{t!s}".replace("torch.", "ember.")
        assert f"{e!r}|{e!s}" == as_ember, (name, v)


def test_fstring_of_a_loss():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum() - 0.0
    assert f"loss {loss}" == "loss 5.0"
    assert f"{loss:.3f}" == "5.000"


SHAPED = [
    lambda m: m.ones(2),
    lambda m: m.zeros(0),
    lambda m: m.arange(6).reshape(2, 3),
    lambda m: m.tensor([[True]]),
    lambda m: m.tensor([1 + 2j]),
    lambda m: m.ones(1, requires_grad=True),
    lambda m: m.ones(3, requires_grad=True) * 2,
]


@pytest.mark.parametrize("make", SHAPED)
@pytest.mark.parametrize("spec", SPECS)
def test_tensor_with_dims_formats_as_repr_or_raises(make, spec):
    t, e = make(torch), make(ember)
    assert outcome(lambda: format(e, spec)) == outcome(lambda: format(t, spec))
    if spec == "":
        assert f"{e}" == f"{t}" == str(t)


@pytest.mark.parametrize("spec", ["", ".2f", ">10"])
@pytest.mark.parametrize("shape", [(), (2,)])
def test_parameter_formats_as_str_or_raises(spec, shape):
    t = torch.nn.Parameter(torch.full(shape, 5.0))
    e = ember.nn.Parameter(ember.full(shape, 5.0))
    assert outcome(lambda: format(e, spec)) == outcome(lambda: format(t, spec))
