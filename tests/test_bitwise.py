"""Shifts and the reflected and in-place bitwise operators against PyTorch: values, dtypes,
shifts by the type's width or more, and PyTorch's errors for floating-point tensors."""

import pytest
import torch

import ember

CASES = {
    "lshift": lambda L: L.tensor([1, -8, 3, 100]) << 2,
    "rshift": lambda L: L.tensor([1, -8, 3, 100]) >> 1,
    "rlshift": lambda L: 1 << L.tensor([1, 3]),
    "rrshift": lambda L: 256 >> L.tensor([1, 3]),
    "wide_left": lambda L: L.bitwise_left_shift(L.tensor([1, -8]), 70),
    "wide_right": lambda L: L.bitwise_right_shift(L.tensor([1, -8]), 70),
    "negative_amount": lambda L: L.bitwise_right_shift(L.tensor([1, -8]), -1),
    "uint8": lambda L: L.tensor([1, 2], dtype=L.uint8) << 7,
    "int8": lambda L: L.tensor([1, 2], dtype=L.int8) << 7,
    "int32": lambda L: L.tensor([1, 2], dtype=L.int32) << 1,
    "tensor_amounts": lambda L: L.tensor([1, 2]) << L.tensor([1, 3]),
    "bool": lambda L: L.tensor([True]) << 1,
    "float_left": lambda L: L.tensor([1.5]) << 1,
    "float_right": lambda L: L.tensor([1.5]) >> 1,
    "rxor": lambda L: 5 ^ L.tensor([1, 2]),
    "rxor_bool": lambda L: 5 ^ L.tensor([True, False]),
    "ilshift": lambda L: (lambda a: (a.__ilshift__(2), a)[1])(L.tensor([1, 2])),
    "irshift": lambda L: (lambda a: (a.__irshift__(1), a)[1])(L.tensor([-7, 9])),
    "method_inplace": lambda L: L.tensor([1, 2]).bitwise_left_shift_(1),
    "iand": lambda L: (lambda a: (a.__iand__(1), a)[1])(L.tensor([3, 2])),
    "ior": lambda L: (lambda a: (a.__ior__(4), a)[1])(L.tensor([3, 2])),
    "ixor": lambda L: (lambda a: (a.__ixor__(1), a)[1])(L.tensor([3, 2])),
    "xor_inplace_method": lambda L: L.tensor([3, 2]).bitwise_xor_(L.tensor([1, 1])),
}


def _outcome(fn, lib):
    try:
        r = fn(lib)
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, str(exc).replace("torch.", "ember.")
    return "ok", str(r.dtype).split(".")[-1], r.tolist()


@pytest.mark.parametrize("name", sorted(CASES))
def test_shift_and_bitwise_operators_match_pytorch(name):
    assert _outcome(CASES[name], ember) == _outcome(CASES[name], torch)


def test_shifts_under_vmap():
    x = ember.tensor([[1, 2], [3, 4]])
    out = ember.func.vmap(lambda r: (r << 1) + (1 << r) + (r >> 1))(x)
    assert out.tolist() == ((x << 1) + (1 << x) + (x >> 1)).tolist()
