"""ember's tensor formatter must reproduce PyTorch's repr character for character."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8]
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + [np.bool_, np.complex64, np.complex128]


@pytest.fixture(autouse=True)
def _restore_defaults():
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def expected(t: torch.Tensor) -> str:
    return repr(t).replace("torch.", "ember.")


def ours(arr: np.ndarray, t: torch.Tensor, **kw) -> str:
    default = dtype_name(torch.empty(()))
    return tensor_repr(arr, dtype_name=dtype_name(t), default_dtype_name=default, **kw)


def check(arr: np.ndarray, **kw) -> None:
    arr = np.asarray(arr)
    t = torch.from_numpy(arr.copy())
    assert ours(arr, t, **kw) == expected(t)


def both_printoptions(**kw) -> None:
    torch.set_printoptions(**kw)
    set_printoptions(**kw)


def random_array(rng, shape, dtype, scale=1.0):
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        lo, hi = max(info.min, -(10**6)), min(info.max, 10**6)
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    if np.issubdtype(dtype, np.complexfloating):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype) * scale
    with np.errstate(over="ignore"):
        return (rng.standard_normal(shape) * scale).astype(dtype)


# --- fixed examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, dtype",
    [
        (3.5, np.float32),
        (3.0, np.float32),
        (-0.0, np.float32),
        (0.0, np.float64),
        (float("nan"), np.float32),
        (float("-inf"), np.float16),
        (1e-5, np.float32),
        (1e10, np.float64),
        (7, np.int64),
        (-7, np.int8),
        (True, np.bool_),
        (1 + 2j, np.complex64),
        ([1.0, 2.0], np.float32),
        ([1e-5, 1e5], np.float32),
        ([1.5, float("nan"), float("inf"), -float("inf"), -0.0], np.float32),
        ([0.0, float("nan")], np.float32),
        ([0.0, -0.0, 0.0], np.float32),
        ([1.0, float("nan"), 1000.0], np.float32),
        ([-0.00001, 0.5], np.float32),
        ([1e8, 1.0], np.float64),
        ([1e8 + 1, 1.0], np.float64),
        ([1e-300, -1.0], np.float64),
        ([1e300, -1e-300, 5e-324], np.float64),
        ([0.0001, 0.1], np.float32),
        ([0.00009, 0.01], np.float32),
        ([123456789.0], np.float32),
        ([65504.0, -65504.0, 6e-8], np.float16),
        ([True, False], np.bool_),
        ([True, True], np.bool_),
        ([-128, 0, 127], np.int8),
        ([255, 0], np.uint8),
        ([2**63 - 1, -(2**63)], np.int64),
        ([1 + 2j, 3 - 1e-5j, -0.0 - 0.0j], np.complex64),
        ([complex(float("nan"), 1.0), complex(1.0, float("inf"))], np.complex128),
        ([0.5 + 0j], np.complex128),
    ],
)
def test_fixed_examples(values, dtype):
    check(np.array(values, dtype=dtype))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (0,), (0, 3), (3, 0), (2, 0, 3), (1, 1, 1, 0)])
def test_small_and_empty_shapes(dtype, shape):
    check(random_array(np.random.default_rng(0), shape, dtype))


def test_readme_examples():
    assert tensor_repr(np.array(3.5, np.float32), dtype_name="float32") == "tensor(3.5000)"
    assert tensor_repr(np.array([1.0, 2.0], np.float32), dtype_name="float32") == "tensor([1., 2.])"
    assert (
        tensor_repr(np.array([1.0, 2.0]), dtype_name="float64")
        == "tensor([1., 2.], dtype=ember.float64)"
    )
    assert tensor_repr(np.array([True, False]), dtype_name="bool") == "tensor([ True, False])"
    assert (
        tensor_repr(np.zeros((0, 3), np.float32), dtype_name="float32") == "tensor([], size=(0, 3))"
    )
    assert (
        tensor_repr(
            np.array([1.0], np.float32), dtype_name="float32", module="torch", requires_grad=True
        )
        == "tensor([1.], requires_grad=True)"
    )


# --- random arrays --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("scale", [1.0, 1e-3, 1e-6, 100.0, 1e5, 1e9, 1e30])
@pytest.mark.parametrize("size", [1, 2, 5, 9, 30, 100, 999, 1000, 1001, 2000])
def test_random_float_vectors(dtype, scale, size):
    rng = np.random.default_rng(size)
    check(random_array(rng, (size,), dtype, scale))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("size", [1, 7, 50, 1500])
def test_integer_valued_floats(dtype, size):
    rng = np.random.default_rng(size)
    check(np.round(random_array(rng, (size,), dtype, 50.0)))
    with np.errstate(over="ignore"):
        big = np.round(random_array(rng, (size,), np.float64, 1e9)).astype(dtype)
    check(big)


@pytest.mark.parametrize(
    "shape",
    [
        (2, 3),
        (3, 4),
        (1, 5),
        (5, 1),
        (40, 30),
        (8, 20),
        (2, 3, 4),
        (2, 2, 2, 3),
        (10, 10, 11),
        (5, 300),
        (300, 5),
        (1, 1, 2000),
        (4, 5, 6, 7),
        (7, 7, 7, 7),
        (2, 1, 1, 1),
    ],
)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_random_multidim(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    check(random_array(rng, shape, dtype, 10.0))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_special_values_mixed_in(dtype):
    rng = np.random.default_rng(1)
    for size in (3, 10, 40, 1200):
        arr = random_array(rng, (size,), dtype, 100.0)
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype=dtype)
        arr[rng.integers(0, size, 3)] = rng.choice(specials, 3)
        check(arr)
        check(arr.reshape(-1, 1) if size % 2 else arr.reshape(2, -1))
        check(np.round(arr))


def test_non_contiguous_input():
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    check(arr.transpose(2, 0, 1))
    check(arr[:, ::2, ::-1])
    check(np.asfortranarray(arr))


def test_uint_wider_dtypes():
    for dtype in (np.uint16, np.uint32, np.uint64):
        check(np.array([0, 1, np.iinfo(dtype).max], dtype=dtype))


# --- suffixes -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(0, 26))
def test_grad_fn_suffix_wrapping(n):
    torch.manual_seed(n)
    for dtype in (torch.float32, torch.float64):
        t = torch.randn(n, dtype=dtype, requires_grad=True) * 2
        arr = t.detach().numpy()
        assert ours(arr, t, grad_fn_name=type(t.grad_fn).__name__) == expected(t)
        leaf = torch.randn(n, dtype=dtype, requires_grad=True)
        arr = leaf.detach().numpy()
        assert ours(arr, leaf, requires_grad=True) == expected(leaf)


def test_grad_fn_takes_precedence_over_requires_grad():
    t = torch.randn(3, requires_grad=True).sum()
    arr = t.detach().numpy()
    got = ours(arr, t, requires_grad=True, grad_fn_name="SumBackward0")
    assert got == expected(t)
    assert "requires_grad" not in got


def test_grad_fn_multidim_and_scalar():
    torch.manual_seed(0)
    for shape in [(), (2, 3), (3, 2, 2), (4, 20)]:
        t = torch.randn(shape, dtype=torch.float64, requires_grad=True).exp()
        assert ours(t.detach().numpy(), t, grad_fn_name="ExpBackward0") == expected(t)


def test_parameter_prefix():
    torch.manual_seed(0)
    for shape in [(3,), (2, 3), (30,), (5, 12)]:
        p = torch.nn.Parameter(torch.randn(shape, dtype=torch.float64))
        got = "Parameter containing:\n" + ours(p.detach().numpy(), p, requires_grad=True)
        assert got == expected(p)
        got = ours(
            p.detach().numpy(), p, requires_grad=True, prefix="Parameter containing:\ntensor("
        )
        assert got == expected(p)


def test_custom_prefix_indents_continuation_lines():
    arr = np.arange(60, dtype=np.float32).reshape(3, 20) / 3
    out = tensor_repr(arr, dtype_name="float32", prefix="Thing(")
    assert out.startswith("Thing([[")
    assert "\n       [" in out  # len("Thing(") + 1 spaces before the second row
    assert tensor_repr(arr, dtype_name="float32", indent=7) == expected(torch.from_numpy(arr))


def test_module_name():
    arr = np.array([1, 2], dtype=np.int32)
    assert tensor_repr(arr, dtype_name="int32", module="torch") == repr(torch.from_numpy(arr))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_default_dtype_float64(dtype):
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(3)
    for shape in [(), (4,), (0,), (2, 0), (3, 3)]:
        check(random_array(rng, shape, dtype))


# --- print options --------------------------------------------------------------------------


def test_get_printoptions_matches_torch():
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for kw in [
        {"precision": 2},
        {"profile": "full"},
        {"profile": "short", "linewidth": 50},
        {"threshold": 10, "edgeitems": 1, "sci_mode": True},
        {"profile": "default"},
    ]:
        both_printoptions(**kw)
        assert get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context_manager_restores():
    before = get_printoptions()
    with printoptions(precision=1, sci_mode=False):
        assert get_printoptions()["precision"] == 1
        assert tensor_repr(np.array([1.26], np.float32), dtype_name="float32") == "tensor([1.3])"
    assert get_printoptions() == before


PRINTOPTION_CASES = [
    {"precision": 0},
    {"precision": 1},
    {"precision": 2},
    {"precision": 8},
    {"precision": 12},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"edgeitems": 0},
    {"threshold": 0},
    {"threshold": 0, "edgeitems": 0},
    {"edgeitems": 10},
    {"linewidth": 20},
    {"linewidth": 1},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"sci_mode": True, "precision": 1},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]


@pytest.mark.parametrize("opts", PRINTOPTION_CASES, ids=str)
def test_printoptions_cases(opts):
    both_printoptions(**opts)
    rng = np.random.default_rng(7)
    for shape in [
        (),
        (1,),
        (4,),
        (12,),
        (0,),
        (0, 2),
        (3, 4),
        (7, 9),
        (2, 3, 4),
        (3, 8, 8),
        (1200,),
        (40, 40),
    ]:
        for dtype in (np.float32, np.float64, np.int64, np.int16, np.bool_, np.complex64):
            for scale in (1.0, 1e-6, 1e9):
                check(random_array(rng, shape, dtype, scale))
        check(np.zeros(shape, np.float32))
        check(np.round(random_array(rng, shape, np.float32, 30.0)))
    t = torch.randn(30, requires_grad=True) * 3
    assert ours(t.detach().numpy(), t, grad_fn_name="MulBackward0") == expected(t)


def test_printoptions_restore_defaults_with_profile():
    set_printoptions(precision=2, threshold=3, edgeitems=1, linewidth=40, sci_mode=True)
    set_printoptions(profile="default")
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }


def test_full_profile_prints_everything():
    both_printoptions(profile="full")
    arr = np.arange(3000, dtype=np.int64)
    out = tensor_repr(arr, dtype_name="int64")
    assert "..." not in out
    assert out == expected(torch.from_numpy(arr))


# --- property-based -------------------------------------------------------------------------

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7)


def float_arrays(dtype, width):
    elements = st.one_of(
        st.floats(width=width, allow_nan=True, allow_infinity=True),
        st.floats(-1e3, 1e3, width=width),
        st.integers(-1000, 1000).map(float),
        st.sampled_from([0.0, -0.0, 1e-5, 1e4, 0.5]),
    )
    return hnp.arrays(dtype, shapes, elements=elements)


any_array = st.one_of(
    float_arrays(np.float16, 16),
    float_arrays(np.float32, 32),
    float_arrays(np.float64, 64),
    *[hnp.arrays(d, shapes) for d in INT_DTYPES],
    hnp.arrays(np.bool_, shapes),
    hnp.arrays(np.complex128, shapes, elements=st.complex_numbers(max_magnitude=1e6)),
)


@settings(max_examples=400, deadline=None)
@given(arr=any_array)
def test_hypothesis_default_options(arr):
    check(arr)


@settings(max_examples=300, deadline=None)
@given(
    arr=any_array,
    precision=st.integers(0, 8),
    threshold=st.sampled_from([0, 3, 10, 50, 1000, math.inf]),
    edgeitems=st.integers(0, 4),
    linewidth=st.integers(1, 120),
    sci_mode=st.sampled_from([None, True, False]),
    grad=st.sampled_from([None, "requires_grad", "MulBackward0"]),
)
def test_hypothesis_random_options(arr, precision, threshold, edgeitems, linewidth, sci_mode, grad):
    opts = dict(
        precision=precision,
        threshold=threshold,
        edgeitems=edgeitems,
        linewidth=linewidth,
        sci_mode=sci_mode,
    )
    try:
        both_printoptions(**opts)
        t = torch.from_numpy(arr.copy())
        kw = {}
        if grad is not None and arr.dtype.kind in "fc":
            t = t.detach().requires_grad_(True)
            if grad == "requires_grad":
                kw["requires_grad"] = True
            else:
                t = t * 1  # keeps a real -0. and nan intact, unlike t + 0
                kw["grad_fn_name"] = grad
                # complex (0-0j) * 1 is (0+0j): print the values torch holds
                arr = t.detach().numpy()
        assert ours(arr, t, **kw) == expected(t)
    finally:
        torch.set_printoptions(profile="default")
        set_printoptions(profile="default")
