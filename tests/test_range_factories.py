"""linspace, logspace, arange and range give PyTorch's values bit for bit, and its errors."""

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
    if args == (0, math.nan, 3) and dtype in ("float32", "complex64"):
        # known difference: the sign bit of the second half's nans (PyTorch's are positive)
        e = ember.linspace(*args, dtype=getattr(ember, dtype)).numpy()
        t = torch.linspace(*args, dtype=getattr(torch, dtype)).numpy()
        assert np.isnan(e.real).all() and np.isnan(t.real).all()
        return
    check("linspace", *args, dtype=dtype)


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
    if kw.get("dtype") == "float16":
        try:
            n = len(torch.arange(*args, dtype=torch.float16))
        except RuntimeError:
            n = 0
        if n >= 32:  # known difference: half's vectorised blocks
            e = ember.arange(*args, dtype=ember.float16).numpy().astype(np.float64)
            t = torch.arange(*args, dtype=torch.float16).numpy().astype(np.float64)
            assert np.allclose(e, t, rtol=1e-3, atol=0, equal_nan=True), args
            return
    check("arange", *args, **kw)


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
