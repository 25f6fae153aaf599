"""linspace, logspace, arange and range give PyTorch's values bit for bit, and its errors."""

import itertools
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.ops import creation

FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
COMPLEX = ["complex64", "complex128"]


@pytest.fixture(autouse=True)
def _same_threads():
    # arange's values depend on how parallel_for splits a long range across threads
    old = torch.get_num_threads()
    torch.set_num_threads(creation._num_threads())
    yield
    torch.set_num_threads(old)


def outcome(fn):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = fn()
    except Exception as exc:  # noqa: BLE001 - the exception is the result being compared
        return type(exc).__name__, str(exc).splitlines()[0]
    a = r.detach().numpy()
    return ("ok", str(a.dtype), a.shape, a.tobytes(), r.requires_grad,
            [(w.category.__name__, str(w.message).replace("torch.", "")) for w in caught])


def check(name, *args, **kw):
    def call(m):
        k = {key: getattr(m, v) if key == "dtype" else v for key, v in kw.items()}
        return lambda: getattr(m, name)(*args, **k)

    e, t = outcome(call(ember)), outcome(call(torch))
    if e[0] == "ok" and t[0] == "ok" and e != t:
        diff = np.flatnonzero(np.frombuffer(e[3], np.uint8) != np.frombuffer(t[3], np.uint8))
        pytest.fail(f"{name}{args} {kw}: bytes differ at {diff[:8]} of {e[2]}")
    assert e == t, (name, args, kw)


def sweep(seed, n):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        scale = 10.0 ** rng.integers(-3, 4)
        yield float(rng.normal() * scale), float(rng.normal() * scale), rng


LINSPACE_CASES = [
    (0, 4 * math.pi, 25), (-1, 1, 7), (0, 1, 5), (-3, 7, 101), (0, 1, 0), (2, 5, 1),
    (2.5, 5, 1), (10, 0, 4), (1, 1, 9), (-2.7, 3.9, 6), (0.1, 0.7, 13), (0, 1, 2),
    (1e-8, 1e8, 50), (5, -5, 10_000), (0, 255, 9), (0, 1, 100_001),
]


@pytest.mark.parametrize("dtype", FLOATS + INTS + COMPLEX)
def test_linspace_bits(dtype):
    for start, end, steps in LINSPACE_CASES:
        check("linspace", start, end, steps, dtype=dtype)
    for a, b, rng in sweep(1, 120):
        if dtype in INTS:
            a, b = abs(a) % 100, abs(b) % 100
        check("linspace", a, b, int(rng.integers(0, 400)), dtype=dtype)


def test_linspace_default_dtype_complex_and_grad():
    for a, b, rng in sweep(2, 60):
        steps = int(rng.integers(0, 300))
        check("linspace", a, b, steps)
        check("linspace", a, b, steps, requires_grad=True)
        check("linspace", complex(a, b), complex(b, -a), steps)
        check("linspace", a, complex(b, 1.0), steps, dtype="complex128", requires_grad=True)
    check("linspace", 0, 1, 5, dtype="int64", requires_grad=True)
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    try:
        check("linspace", -1, 1, 7)
        check("linspace", 0, 1 + 1j, 5)
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("args", [
    (0, 10, -1), (0, 1, 5), (0, 300, 9), (-300, 0, 2), (0, 1e6, 3), (0, 1e10, 3),
    (0, 1e20, 3), (0, 1e300, 3), (1e300, 0, 1), (0, 1 + 1e300j, 3), (0, math.inf, 3),
    (0, math.nan, 3), (-1, 5, 3), (-256, 0, 3),
])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                   "float16", "float32", "complex64"])
def test_linspace_errors(args, dtype):
    check("linspace", *args, dtype=dtype)


NAN = math.nan
NON_FINITE = [NAN, -NAN, math.inf, -math.inf, 0.0, 1.5]


@pytest.mark.parametrize("dtype", FLOATS + COMPLEX)
def test_nan_signs(dtype):
    # which operand's NaN (and so which sign bit) comes out follows the kernels' operand order
    assert math.copysign(1, -NAN) == -1
    for a in NON_FINITE:
        for b in NON_FINITE:
            for steps in (1, 2, 3, 4, 7, 40):
                check("linspace", a, b, steps, dtype=dtype)
                for base in (10.0, -2, 0.5):
                    check("logspace", a, b, steps, base=base, dtype=dtype)


def test_tensor_ends():
    for m_name in ("linspace", "logspace"):
        for s, e in [((), ()), ((1,), ()), ((), (2,)), ((1,), (1,))]:
            def call(m, s=s, e=e):
                return getattr(m, m_name)(m.zeros(s), m.ones(e), 3)
            assert outcome(lambda: call(ember)) == outcome(lambda: call(torch))


@pytest.mark.parametrize("dtype", FLOATS + INTS + COMPLEX)
def test_logspace_bits(dtype):
    bases = [10.0, 2, 2.5, 0.5, -2, math.e, 1]
    for start, end, steps in LINSPACE_CASES[:-1]:
        for base in bases[:3]:
            if dtype in INTS and end > 5:
                continue
            check("logspace", start, end, steps, base=base, dtype=dtype)
    for a, b, rng in sweep(3, 100):
        a, b = a % 5, b % 5
        check("logspace", a, b, int(rng.integers(0, 200)),
              base=bases[int(rng.integers(0, len(bases)))], dtype=dtype)


def test_logspace_edges():
    check("logspace", 0, 2, -1)
    check("logspace", 0.5, 2, 1)
    check("logspace", 0.5, 2, 1, dtype="int64")
    check("logspace", 0, 100, 5, dtype="int64")
    check("logspace", 0, 2, 3, base=-2)
    check("logspace", 0, 2, 3, dtype="bool")
    check("logspace", 0, 1e300, 3, dtype="float32")
    check("logspace", 0, 2, 9, requires_grad=True)
    check("logspace", 0.5, 2j, 1)
    check("logspace", 0.5, 2j, 1, base=-2)


ARANGE_CASES = [
    (5,), (5.0,), (-3.7,), (2, 9, 3), (5, 0, -2), (0, 1, 0.1), (1, 4, 0.5), (-1.5, 1.5),
    (0, 2, 0.3), (0.5, 5.7, 1.5), (-0.5, -5.7, -1.5), (0, 10, 2.5), (0, -10, -2.5),
    (0, 1, 0.5), (0, 10, 1e-20), (0, 5, 0), (0, 5, 0.0), (5, 0, 1), (0, math.inf),
    (math.nan, 5), (0, 1e20), (0, 1e300, 1e-300), (0, 2**62, 2**61), (0, 300), (0, 300, 7),
    (0, -3.7, -1), (5, math.inf, -1), (True,), (1 + 2j,), (0, 1e6, 1e3), (0, 1e12, 1e10),
    (1.0, 1.0), (3, 3), (0, 100_000, 0.37), (-5e4, 1e5, 1.3), (1e-3, 70.0, 1e-3),
]


@pytest.mark.parametrize("dtype", [None, "bool", "complex64"] + FLOATS + INTS)
def test_arange_bits(dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    for args in ARANGE_CASES:
        check_arange(args, kw)
    for a, b, rng in sweep(4, 150):
        if dtype in INTS:
            a, b = a % 100, b % 100
        st = (b - a) / float(rng.integers(1, 3000)) or 1.0
        check_arange((a, b, st), kw)
        check_arange((b, a, -st), kw)
        check_arange((a, b + 1), kw)


def check_arange(args, kw):
    check("arange", *args, **kw)


# Half arange: start + step * i in float with one rounding (a fused multiply-add), then half;
# blocks of 16 lanes, two per step of the loop, from a block's first value rounded to half.
# These float32 (start, step, length) make a fused and an unfused sum round to different
# halves: in a block's first value, in a lane, and in the scalar tail.
HALF_FMA_CASES = [
    (0.04706668481230736, -1.0371133089065552, 83), (2.263103485107422, -0.08910319209098816, 33),
    (-0.10499481111764908, 0.035017240792512894, 48), (-7.341127395629883, 1.2103220224380493, 45),
    (-0.050523851066827774, 0.0010018429020419717, 77), (12.166991233825684, -0.18124695122241974, 74),
    (1.2022255659103394, -0.01679159700870514, 86), (0.2594922184944153, -0.007857907563447952, 50),
]
HALF_LENGTHS = [1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 95, 96, 97, 127, 128, 129, 250,
                1000, 4099]


@pytest.mark.parametrize("threads", [None, 1, 3])
def test_arange_float16_sweep(threads, monkeypatch):
    if threads is not None:  # parallel_for's shares, which need not be multiples of a block
        monkeypatch.setenv("OMP_NUM_THREADS", str(threads))
        torch.set_num_threads(threads)
    for start, step, n in HALF_FMA_CASES:
        check("arange", start, start + step * (n - 0.5), step, dtype="float16")
    rng = np.random.default_rng(8)
    for n in HALF_LENGTHS:
        check("arange", n, dtype="float16")
        for _ in range(6):
            sign = float(rng.choice([-1, 1]))
            whole = float(rng.integers(-3000, 3000)), sign * float(rng.integers(1, 9))
            binary = float(rng.integers(-512, 512)) / 8, sign * float(rng.integers(1, 64)) / 16
            scale = 10.0 ** rng.integers(-3, 3)
            fraction = float(rng.normal() * scale * 10), sign * float(rng.uniform(0.01, 1) * scale)
            for start, step in (whole, binary, fraction):
                check("arange", start, start + step * (n - 0.5), step, dtype="float16")
                check("arange", start, start + step * n, step, dtype="float16")  # n or n + 1
    for args in [(0, 70_000, 1), (65_400, 65_600, 1.5), (-65_600, 0, 7), (0, 1e-4, 1e-7),
                 (0, -3e-5, -1e-8), (2048, 4096), (-1, 1, 2**-10), (0, 40_000, 0.999),
                 (-0.3, 33_000 * 0.01, 0.01), (1, -70_000 * 0.33, -0.33)]:
        check("arange", *args, dtype="float16")


def test_arange_long_and_grad():
    for a, b, rng in sweep(5, 20):
        n = int(rng.integers(30_000, 120_000))
        for dtype in ("float32", "float64"):
            check("arange", a, a + b * n, b, dtype=dtype, requires_grad=True)
    check("arange", 0, 5, requires_grad=True)
    check("arange", 0.0, 5, requires_grad=True)
    check("arange", 5)


def test_arange_tensor_arguments():
    for v in (5, 5.0, 2.5):
        assert outcome(lambda v=v: ember.arange(ember.tensor(v))) == outcome(
            lambda v=v: torch.arange(torch.tensor(v)))
        assert outcome(lambda v=v: ember.arange(1, ember.tensor(v), 0.5)) == outcome(
            lambda v=v: torch.arange(1, torch.tensor(v), 0.5))


RANGE_CASES = [
    (0, 5), (0, 5, 0.5), (0, 1, 0.1), (5, 0, -1), (0, 5.5), (0, 5, 0), (5, 0, 1),
    (0, math.inf), (5, math.inf, -1), (0, 1e20), (0, 2, 0.3), (-1.5, 1.5, 0.25), (0, 0.5, 0.5),
    (0, 1e20, 1e18), (3, 3), (0, 1000, 0.1), (-3, 7, 0.01),
]


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
@pytest.mark.parametrize("dtype", [None, "bool", "complex64"] + FLOATS + INTS)
def test_range_bits(dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    for args in RANGE_CASES:
        check_range(args, dtype, kw)
    for a, b, rng in sweep(6, 60):
        if dtype in INTS:
            a, b = a % 100, b % 100
        st = (b - a) / float(rng.integers(1, 3000)) or 1.0
        check_range((a, b, st), dtype, kw)
        check_range((b, a, -st), dtype, kw)


def check_range(args, dtype, kw):
    if dtype in INTS and len(args) == 3 and int(args[2]) == 0 and args[2] != 0:
        # PyTorch divides by the step truncated to 0 and dies of SIGFPE; ember raises
        with pytest.raises(RuntimeError, match="^step must be nonzero$"):
            ember.range(*args, **{"dtype": getattr(ember, dtype)})
        return
    check("range", *args, **kw)


def test_range_missing_end_and_grad():
    check("range", 5)
    check("range", 0, 5, requires_grad=True)
    check("range", 0, 5, dtype="int64", requires_grad=True)


def test_range_warns_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.range(0, 3)
    assert [w.filename for w in caught] == [__file__]
    assert str(caught[0].message).startswith("torch.range is deprecated")


def test_single_step_complex_logspace_with_infinite_or_nan_parts():
    vals = [0.0, 1.5, -2.0, math.inf, -math.inf, math.nan, 30.0]
    for re_, im in itertools.product(vals, vals):
        for base in (10.0, 2.0, 0.5):
            for dt in ("complex64", "complex128"):
                start = complex(re_, im)
                try:
                    t = torch.logspace(start, 2, 1, base=base, dtype=getattr(torch, dt)).numpy()
                except RuntimeError:
                    with pytest.raises(RuntimeError):
                        ember.logspace(start, 2, 1, base=base, dtype=getattr(ember, dt))
                    continue
                e = ember.logspace(start, 2, 1, base=base, dtype=getattr(ember, dt)).numpy()
                assert np.array_equal(np.isnan(e), np.isnan(t)), (start, base, dt, e, t)
                np.testing.assert_allclose(np.nan_to_num(e), np.nan_to_num(t), rtol=1e-6)
