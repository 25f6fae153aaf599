"""torch.quasirandom.SobolEngine against PyTorch, side by side: the direction numbers of every
dimension, plain and scrambled draws bit for bit (float32 and float64, draw, draw_base2,
fast_forward, reset, out=), the default dtype, the scrambling's random numbers (seeded and from
the global generator), the attributes, the repr and the errors."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.quasirandom as tq

import ember
import ember.quasirandom as eq

ROOT = Path(__file__).resolve().parent.parent
DIMS = [1, 2, 5, 40, 1111, 21201]


def _same(a, b):
    assert repr(a.dtype).split(".")[-1] == repr(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    if repr(a.dtype).endswith("bfloat16"):  # PyTorch's numpy() refuses bfloat16
        a, b = a.float(), b.float()
    # on copies: PyTorch's numpy() makes a storage unresizable (out= resizes)
    np.testing.assert_array_equal(a.clone().numpy(), b.clone().numpy(), strict=True)


def _same_state(e, t):
    _same(e.sobolstate, t.sobolstate)
    _same(e.shift, t.shift)
    _same(e.quasi, t.quasi)
    _same(e._first_point, t._first_point)
    assert e.num_generated == t.num_generated
    assert type(e.num_generated) is type(t.num_generated)


def _same_error(call_ember, call_torch):
    """Both raise the same type with the same text (the package name aside)."""
    texts = []
    for call in (call_ember, call_torch):
        with pytest.raises(Exception) as info:
            call()
        texts.append((type(info.value).__name__, str(info.value).replace("ember", "torch")))
    assert texts[0] == texts[1]
    return texts[0][1]


def _dt(lib, name):
    return getattr(lib, name)


def _run(e, t, steps):
    """The same calls on both engines: ('draw', n, dtype name), ('base2', m, dtype name),
    ('ff', n), ('reset',); every result and the state after it compared."""
    for step in steps:
        kind, *args = step
        if kind == "draw":
            n, dt = args
            _same(e.draw(n, dtype=dt and _dt(ember, dt)), t.draw(n, dtype=dt and _dt(torch, dt)))
        elif kind == "base2":
            m, dt = args
            _same(e.draw_base2(m, dtype=dt and _dt(ember, dt)),
                  t.draw_base2(m, dtype=dt and _dt(torch, dt)))
        elif kind == "ff":
            assert e.fast_forward(args[0]) is e and t.fast_forward(args[0]) is t
        else:
            assert e.reset() is e and t.reset() is t
        _same_state(e, t)


@pytest.mark.parametrize("dim", DIMS)
def test_direction_numbers_are_pytorchs(dim):
    _same_state(eq.SobolEngine(dim), tq.SobolEngine(dim))


# the widest engines take about a second each to scramble: two seeds for them
CASES = [(d, s) for d in DIMS for s in (None, 0, 7, 123456789) if d < 21201 or s in (None, 7)]


@pytest.mark.parametrize("dim, seed", CASES)
def test_draws_bit_for_bit(dim, seed):
    kw = {} if seed is None else dict(scramble=True, seed=seed)
    e, t = eq.SobolEngine(dim, **kw), tq.SobolEngine(dim, **kw)
    _same_state(e, t)
    n = 40 if dim > 1000 else 300
    _run(e, t, [("draw", 1, None), ("draw", n, None), ("draw", 7, "float64"), ("ff", 1000),
                ("draw", 3, "float32"), ("reset",), ("base2", 3, None), ("base2", 3, "float64"),
                ("draw", n, "float64"), ("ff", 0), ("draw", 0, None), ("reset",),
                ("draw", 5, "float64"), ("reset",), ("ff", 5), ("draw", 2**16 // dim + 9, None),
                ("reset",), ("base2", 0, None), ("base2", 0, "float64"), ("base2", 1, None)])


def test_far_along_the_sequence():
    # fast_forward is a count of steps per direction number, not a loop: far points, both dtypes
    for kw in ({}, dict(scramble=True, seed=5)):
        e, t = eq.SobolEngine(3, **kw), tq.SobolEngine(3, **kw)
        _run(e, t, [("ff", 3_000_001), ("draw", 9, None), ("ff", 1_234_567),
                    ("draw", 9, "float64"), ("ff", 2**21), ("draw", 5, None)])
    # the last point of the 2**30 (Gray-code order: shift ^ the numbers of gray(k)'s bits)
    e = eq.SobolEngine(4, scramble=True, seed=1)
    k = 2**30 - 1
    e.fast_forward(k)
    state = e.sobolstate.numpy()
    expected = e.shift.numpy().copy()
    for bit in range(30):
        if (k ^ (k >> 1)) >> bit & 1:
            expected ^= state[:, bit]
    np.testing.assert_array_equal(e.draw(1, dtype=ember.float64).numpy()[0], expected / 2**30)
    # past it PyTorch reads outside its table; ember refuses
    with pytest.raises(RuntimeError, match=r"2\*\*30 points; point 1073741824"):
        e.draw(1)
    with pytest.raises(RuntimeError, match=r"point 1073741824"):
        eq.SobolEngine(2).fast_forward(2**30 + 5)
    e = eq.SobolEngine(2).fast_forward(2**30 - 1).fast_forward(1)
    quasi = e.quasi.numpy().copy()
    with pytest.raises(RuntimeError, match=r"point 1073741824"):
        e.fast_forward(1)
    assert e.num_generated == 2**30 and np.array_equal(e.quasi.numpy(), quasi)


def test_scrambling_from_the_global_generator():
    torch.manual_seed(11)
    ember.manual_seed(11)
    e, t = eq.SobolEngine(6, scramble=True), tq.SobolEngine(6, scramble=True)
    _same_state(e, t)
    _run(e, t, [("draw", 20, None)])
    _same(ember.rand(4), torch.rand(4))  # the global stream moved on alike
    assert repr(e) == repr(t) == "SobolEngine(dimension=6, scramble=True)"


def test_default_dtype():
    try:
        for lib in (ember, torch):
            lib.set_default_dtype(lib.float64)
        e = eq.SobolEngine(3, scramble=True, seed=2)
        t = tq.SobolEngine(3, scramble=True, seed=2)
        _same_state(e, t)  # the first point is made in the default dtype of construction
        _run(e, t, [("draw", 4, None), ("reset",), ("draw", 3, "float32")])
        for lib in (ember, torch):
            lib.set_default_dtype(lib.float32)
        _run(e, t, [("reset",), ("draw", 1, "float64"), ("draw", 3, None), ("reset",),
                    ("draw", 5, "float64")])
        # a Python type names a dtype as in PyTorch
        _same(e.reset().draw(3, dtype=float), t.reset().draw(3, dtype=float))
        _same(e.draw(3, dtype=float), t.draw(3, dtype=float))
    finally:
        for lib in (ember, torch):
            lib.set_default_dtype(lib.float32)


def test_out():
    for n in (1, 4):
        for dt in ("float32", "float64", "int64"):
            oe, ot = ember.empty(7, dtype=_dt(ember, dt)), torch.empty(7, dtype=_dt(torch, dt))
            e, t = eq.SobolEngine(3, scramble=True, seed=4), tq.SobolEngine(3, scramble=True,
                                                                             seed=4)
            assert e.draw(n, out=oe) is oe and t.draw(n, out=ot) is ot
            _same(oe, ot)
            assert e.reset().draw_base2(2, out=oe, dtype=ember.float64) is oe
            t.reset().draw_base2(2, out=ot, dtype=torch.float64)
            _same(oe, ot)
    _same_error(lambda: eq.SobolEngine(2).draw(3, out=ember.empty(1, requires_grad=True)),
                lambda: tq.SobolEngine(2).draw(3, out=torch.empty(1, requires_grad=True)))


def test_attributes_and_repr():
    for kw in ({}, dict(scramble=True), dict(seed=3), dict(scramble=True, seed=3)):
        e, t = eq.SobolEngine(4, **kw), tq.SobolEngine(4, **kw)
        assert repr(e) == repr(t)
        for name in ("dimension", "scramble", "seed", "num_generated", "MAXBIT", "MAXDIM"):
            assert getattr(e, name) == getattr(t, name), name
        if kw.get("seed") is None and kw.get("scramble"):
            continue  # scrambled from the unseeded global generator
        _same_state(e, t)
    assert eq.SobolEngine.MAXBIT == 30 and eq.SobolEngine.MAXDIM == 21201
    e, t = eq.SobolEngine(2), tq.SobolEngine(2)
    # negative steps and a float count follow PyTorch's Python code
    _run(e, t, [("ff", -3), ("draw", 2, None), ("ff", 2), ("draw", 3, None)])
    e, t = eq.SobolEngine(2), tq.SobolEngine(2)
    _same(e.draw(1.0), t.draw(1.0))
    _same_state(e, t)
    assert type(e.num_generated) is float
    e, t = eq.SobolEngine(2), tq.SobolEngine(2)
    _same(e.draw(True), t.draw(True))
    _same_state(e, t)


def test_errors():
    E, T = eq.SobolEngine, tq.SobolEngine
    for d in (0, -1, 21202):
        text = _same_error(lambda d=d: E(d), lambda d=d: T(d))
    assert text == "Supported range of dimensionality for SobolEngine is [1, 21201]"
    _same_error(lambda: E(2.5), lambda: T(2.5))
    _same_error(lambda: E("a"), lambda: T("a"))
    # a fresh engine's draw(0) asks the kernel for -1 points
    assert _same_error(lambda: E(3).draw(0), lambda: T(3).draw(0)) == (
        "Trying to create tensor with negative dimension -1: [-1, 3]")
    e, t = E(3), T(3)
    e.draw(2), t.draw(2)
    _same_error(lambda: e.draw(-2), lambda: t.draw(-2))
    _same_state(e, t)  # a failed draw leaves the engine as it was
    for name in ("float16", "bfloat16", "int64", "int32", "complex64", "bool"):
        text = _same_error(lambda n=name: e.draw(2, dtype=_dt(ember, n)),
                           lambda n=name: t.draw(2, dtype=_dt(torch, n)))
        assert text.startswith('"_sobol_engine_draw" not implemented for ')
        _same(e.reset().draw(1, dtype=_dt(ember, name)), t.reset().draw(1, dtype=_dt(torch, name)))
        _same_error(lambda n=name: e.draw(2, dtype=_dt(ember, n)),
                    lambda n=name: t.draw(2, dtype=_dt(torch, n)))
    _same_error(lambda: E(3).draw(3, dtype=complex), lambda: T(3).draw(3, dtype=complex))
    for bad in (2.0, True, np.float64(2), np.bool_(True), None, "2"):
        _same_error(lambda b=bad: e.draw(b), lambda b=bad: t.draw(b))
    for bad in (2.0, True, None):
        if bad is not True:  # a fresh engine passes True - 1, an int
            _same_error(lambda b=bad: E(2).fast_forward(b), lambda b=bad: T(2).fast_forward(b))
        _same_error(lambda b=bad: e.fast_forward(b), lambda b=bad: t.fast_forward(b))
    _same_state(e, t)
    _same_error(lambda: e.draw(2, dtype="float32"), lambda: t.draw(2, dtype="float32"))
    _same_error(lambda: e.draw(2, dtype=np.float32), lambda: t.draw(2, dtype=np.float32))
    # integer-like n: NumPy integers and integer 0-d tensors, as PyTorch's parser takes them
    _same(e.draw(np.int64(3)), t.draw(np.int64(3)))
    _same(e.draw(ember.tensor(3)), t.draw(torch.tensor(3)))
    _same_error(lambda: e.draw(ember.tensor(3.0)), lambda: t.draw(torch.tensor(3.0)))
    # draw(1.0) on a fresh engine makes num_generated a float, which the kernel refuses
    e, t = E(2), T(2)
    e.draw(1.0), t.draw(1.0)
    _same_error(lambda: e.draw(2), lambda: t.draw(2))
    _same_error(lambda: e.fast_forward(2), lambda: t.fast_forward(2))
    # draw_base2's balance property
    e, t = E(3), T(3)
    e.draw(3), t.draw(3)
    text = _same_error(lambda: e.draw_base2(2), lambda: t.draw_base2(2))
    assert text == ("The balance properties of Sobol' points require n to be a power of 2. 3 "
                    "points have been previously generated, then: n=3+2**2=7. If you still want "
                    "to do this, please use 'SobolEngine.draw()' instead.")
    _same_error(lambda: E(3).draw_base2(-1), lambda: T(3).draw_base2(-1))
    _same_error(lambda: E(3).draw_base2(2.0), lambda: T(3).draw_base2(2.0))
    # the seed goes to Generator.manual_seed, which takes a Python int only
    for seed in (1.5, "a", True, np.int64(3), np.float64(3), 2**64):
        _same_error(lambda s=seed: E(3, scramble=True, seed=s),
                    lambda s=seed: T(3, scramble=True, seed=s))
    for seed in (-1, 2**64 - 1, -(2**63)):
        _same_state(E(3, scramble=True, seed=seed), T(3, scramble=True, seed=seed))


def test_error_texts_say_torch_under_the_alias():
    code = ("import ember; ember.install_torch_alias(); import torch\n"
            "try:\n    torch.quasirandom.SobolEngine(2).draw(2, dtype='x')\n"
            "except TypeError as e:\n    print(e)\n"
            "print(torch.quasirandom.SobolEngine.__module__)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert res.stdout.splitlines() == [
        "_sobol_engine_draw(): argument 'dtype' must be torch.dtype, not str",
        "torch.quasirandom"]


def test_namespace():
    assert hasattr(ember, "quasirandom") and ember.quasirandom is eq
    assert eq.SobolEngine.__module__ == "ember.quasirandom"
    assert [n for n in dir(tq) if not n.startswith("_") and n != "torch"] == ["SobolEngine"]
    assert "SobolEngine" in dir(eq)
    # `import ember` leaves it unloaded; the table is read when the first engine is made
    code = ("import sys, ember; assert 'ember.quasirandom' not in sys.modules\n"
            "q = ember.quasirandom; assert q._TABLE is None\n"
            "q.SobolEngine(1); assert q._TABLE is None\n"
            "q.SobolEngine(2); assert q._TABLE is not None; print('ok')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert res.stdout.strip() == "ok"


def test_table_ships_with_the_package():
    table = ROOT / "src" / "ember" / "_sobol_table.npz"
    assert eq._TABLE_FILE == table and table.stat().st_size < 400_000
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'\[tool\.setuptools\.package-data\]\s*ember = \[[^\]]*"_sobol_table\.npz"',
                     text)
