"""torch.lerp gives PyTorch's numbers bit for bit: its CPU kernel computes
fma(c, end - start, base) (c = w, base = start where |w| < 0.5; c = w - 1, base = end
elsewhere) with one rounding, which ember reproduces for float32 and float64."""

import numpy as np
import pytest
import torch

import ember


def _inputs(dtype, n=20000):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))
    b = rng.standard_normal(n)
    w = rng.uniform(-0.3, 1.3, n)
    a[:6] = [np.inf, -np.inf, np.nan, 1e300, 0.0, -0.0]
    b[:6] = [1.0, np.inf, 2.0, -1e300, 0.0, 5.0]
    return (x.astype(dtype) for x in (a, b, w))


def _same(x, y):
    return bool(np.all((x == y) | (np.isnan(x) & np.isnan(y))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weight", ["tensor", 0.7, 0.3, -0.25, 2.0])
@pytest.mark.parametrize("n", [3, 20000])
def test_lerp_bits_match_pytorch(dtype, weight, n):
    a, b, w = (x[:n] for x in _inputs(dtype))
    outs = []
    for m in (ember, torch):
        wt = m.from_numpy(w.copy()) if weight == "tensor" else weight
        with np.errstate(all="ignore"):
            outs.append(m.lerp(m.from_numpy(a.copy()), m.from_numpy(b.copy()), wt).numpy())
    assert _same(*outs)
