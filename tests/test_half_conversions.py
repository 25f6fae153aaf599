"""A double narrowed to float16 or bfloat16 as PyTorch narrows it: through float, rounded twice.

The values are built just below the midpoint of two neighbouring 16-bit numbers, where float
rounds them to the midpoint exactly: rounded once they go down, rounded through float they go
to the even neighbour. Every way a double reaches a 16-bit tensor is checked."""

import ml_dtypes
import numpy as np
import pytest
import torch

import ember


def _near_midpoints(dt):
    rng = np.random.default_rng(0)
    npd = np.float16 if dt == "float16" else ml_dtypes.bfloat16
    bits = rng.integers(0x0400, 0x7000, 200).astype(np.uint16) | 1  # odd: the tie goes up
    low = bits.view(npd).astype(np.float64)
    mid = (low + (bits + 1).view(npd).astype(np.float64)) / 2
    v = mid - np.abs(mid) * 2.0 ** -40
    assert (v.astype(np.float32).astype(np.float64) == mid).all()
    return v


def _each(m, vs, f):
    return m.stack([f(v) for v in vs])


def _setitem(m, dt, vs):
    x = m.zeros(len(vs), dtype=dt)
    for i, v in enumerate(vs):
        x[i] = v
    return x


def _slice_set(m, dt, a):
    x = m.zeros(len(a), dtype=dt)
    x[:] = m.from_numpy(a)
    return x


WAYS = {
    "to": lambda m, dt, a, vs: m.from_numpy(a).to(dt),
    "tensor(list)": lambda m, dt, a, vs: m.tensor(vs, dtype=dt),
    "tensor(ndarray)": lambda m, dt, a, vs: m.tensor(a, dtype=dt),
    "tensor(number)": lambda m, dt, a, vs: _each(m, vs, lambda v: m.tensor(v, dtype=dt)),
    "copy_": lambda m, dt, a, vs: m.empty(len(a), dtype=dt).copy_(m.from_numpy(a)),
    "x[:] = tensor": lambda m, dt, a, vs: _slice_set(m, dt, a),
    "x[i] = number": lambda m, dt, a, vs: _setitem(m, dt, vs),
    "full": lambda m, dt, a, vs: _each(m, vs, lambda v: m.full((2,), v, dtype=dt)),
    "fill_": lambda m, dt, a, vs: _each(m, vs, lambda v: m.empty(2, dtype=dt).fill_(v)),
    "fill_(double tensor)": lambda m, dt, a, vs: _each(
        m, vs, lambda v: m.empty(2, dtype=dt).fill_(m.tensor(v, dtype=m.float64))),
    "new_full": lambda m, dt, a, vs: _each(
        m, vs, lambda v: m.zeros(1, dtype=dt).new_full((2,), v)),
    "masked_fill": lambda m, dt, a, vs: _each(
        m, vs, lambda v: m.zeros(2, dtype=dt).masked_fill(m.ones(2, dtype=m.bool), v)),
    "index_fill": lambda m, dt, a, vs: _each(
        m, vs, lambda v: m.zeros(2, dtype=dt).index_fill(0, m.tensor([0, 1]), v)),
    "where": lambda m, dt, a, vs: _each(
        m, vs, lambda v: m.where(m.ones(1, dtype=m.bool), v, m.zeros(1, dtype=dt))),
    "linspace": lambda m, dt, a, vs: _each(
        m, vs[:50], lambda v: m.linspace(v, v * 2, 3, dtype=dt)),
    "linspace(steps=1)": lambda m, dt, a, vs: _each(
        m, vs[:50], lambda v: m.linspace(v, 0.0, 1, dtype=dt)),
    "half()/bfloat16()": lambda m, dt, a, vs: (
        m.from_numpy(a).half() if dt == m.float16 else m.from_numpy(a).bfloat16()),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("way", list(WAYS))
def test_double_to_16_bits_rounds_through_float(dtype, way):
    a = _near_midpoints(dtype)
    vs = [float(x) for x in a]
    want = WAYS[way](torch, getattr(torch, dtype), a, vs).float().numpy()
    got = WAYS[way](ember, getattr(ember, dtype), a, vs).float().numpy()
    once = a.astype(np.float16 if dtype == "float16" else ml_dtypes.bfloat16).astype(np.float32)
    if way == "to":  # the values are the hard cases: rounded once, every one would differ
        assert (once != want).all()
    np.testing.assert_array_equal(got, want)
