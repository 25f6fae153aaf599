"""Tensors against PyTorch: creation dtypes, metadata, conversions, type promotion, printing.

Most tests run one function twice, ``fn(ember)`` and ``fn(torch)``, and compare the results.
"""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from parity import assert_same, dtype_name, same_error


@pytest.fixture(autouse=True)
def _torch_defaults():
    yield
    torch.set_default_dtype(torch.float32)


def both(fn, **kw):
    """fn(ember) and fn(torch) give the same tensors / values."""
    e, t = fn(ember), fn(torch)
    assert_same(e, t, **kw)
    return e, t


def same_dtype_shape(fn):
    e, t = fn(ember), fn(torch)
    assert dtype_name(e.dtype) == dtype_name(t.dtype), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)


def same_repr(fn):
    e, t = fn(ember), fn(torch)
    assert repr(e) == repr(t).replace("torch.", "ember.")


def outcome(fn, lib):
    """What fn(lib) gives: ('ok', value) or ('err', type name, message)."""
    try:
        return ("ok", fn(lib))
    except Exception as exc:  # noqa: BLE001
        msg = str(exc).replace("torch.", "ember.").split("\n(Triggered internally")[0]
        return ("err", type(exc).__name__, msg)


def same_outcome(fn, **kw):
    e, t = outcome(fn, ember), outcome(fn, torch)
    assert e[0] == t[0], (e, t)
    if t[0] == "err":
        assert e == t
    else:
        assert_same(e[1], t[1], **kw)


# -- creation -----------------------------------------------------------------------------------
CREATION = {
    "int": lambda m: m.tensor(3),
    "float": lambda m: m.tensor(3.5),
    "bool": lambda m: m.tensor(True),
    "int_list": lambda m: m.tensor([1, 2, 3]),
    "float_list": lambda m: m.tensor([1.0, 2.0]),
    "mixed_list": lambda m: m.tensor([1, 2.5]),
    "bool_list": lambda m: m.tensor([True, False]),
    "bool_int_list": lambda m: m.tensor([True, 2]),
    "nested": lambda m: m.tensor([[1, 2], [3, 4]]),
    "nested_float": lambda m: m.tensor([[1.0], [2.0]]),
    "empty_list": lambda m: m.tensor([]),
    "tuple": lambda m: m.tensor((1.0, 2.0)),
    "np_int32": lambda m: m.tensor(np.array([1, 2], dtype=np.int32)),
    "np_float64": lambda m: m.tensor(np.array([1.5, 2.5])),
    "np_float16": lambda m: m.tensor(np.array([1.5], dtype=np.float16)),
    "np_uint8": lambda m: m.tensor(np.array([1, 255], dtype=np.uint8)),
    "np_bool": lambda m: m.tensor(np.array([True])),
    "np_int64_scalar": lambda m: m.tensor(np.int64(7)),
    "np_int32_scalar": lambda m: m.tensor(np.int32(3)),
    "np_int32_scalar_list": lambda m: m.tensor([np.int32(3)]),
    "np_float32_scalar_list": lambda m: m.tensor([np.float32(1.5), 2.0]),
    "np_float64_scalar": lambda m: m.tensor(np.float64(1.5)),
    "dtype_kw": lambda m: m.tensor([1, 2], dtype=m.float64),
    "dtype_kw_int": lambda m: m.tensor([1.7, -2.7], dtype=m.int32),
    "from_numpy_f64": lambda m: m.from_numpy(np.array([1.0, 2.0])),
    "from_numpy_i32": lambda m: m.from_numpy(np.arange(3, dtype=np.int32)),
    "as_tensor_list": lambda m: m.as_tensor([1, 2]),
    "as_tensor_np": lambda m: m.as_tensor(np.array([1.0]), dtype=m.float32),
    "Tensor_data": lambda m: m.Tensor([1, 2, 3]),
    "Tensor_np_f64": lambda m: m.Tensor(np.array([1.5, 2.5])),
    "Tensor_nested": lambda m: m.Tensor([[1, 2]]),
    "Tensor_empty": lambda m: m.Tensor(),
    "FloatTensor": lambda m: m.FloatTensor([1, 2]),
    "LongTensor": lambda m: m.LongTensor([1, 2]),
    "DoubleTensor": lambda m: m.DoubleTensor([1, 2]),
    "IntTensor": lambda m: m.IntTensor([1, 2]),
    "BoolTensor": lambda m: m.BoolTensor([1, 0]),
    "ByteTensor": lambda m: m.ByteTensor([1, 2]),
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3)),
    "zeros_list": lambda m: m.zeros([2, 3]),
    "zeros_scalar": lambda m: m.zeros(()),
    "zeros_int": lambda m: m.zeros(2, dtype=m.int64),
    "ones": lambda m: m.ones(3),
    "ones_bool": lambda m: m.ones(2, 2, dtype=m.bool),
    "full_int": lambda m: m.full((2,), 3),
    "full_float": lambda m: m.full((2, 2), 3.5),
    "full_bool": lambda m: m.full((2,), True),
    "full_dtype": lambda m: m.full([3], 2, dtype=m.float64),
    "zeros_like": lambda m: m.zeros_like(m.tensor([1, 2])),
    "ones_like": lambda m: m.ones_like(m.tensor([[1.0, 2.0]])),
    "ones_like_dtype": lambda m: m.ones_like(m.tensor([1, 2]), dtype=m.float16),
    "full_like": lambda m: m.full_like(m.tensor([1, 2]), 7),
    "full_like_float_into_int": lambda m: m.full_like(m.tensor([1, 2]), 7.9),
    "arange_int": lambda m: m.arange(5),
    "arange_start_end": lambda m: m.arange(2, 9, 3),
    "arange_neg_step": lambda m: m.arange(5, 0, -2),
    "arange_float_end": lambda m: m.arange(5.0),
    "arange_float_step": lambda m: m.arange(0, 1, 0.1),
    "arange_float_step2": lambda m: m.arange(1, 4, 0.5),
    "arange_float_start": lambda m: m.arange(-1.5, 1.5),
    "arange_dtype": lambda m: m.arange(0, 5, dtype=m.float64),
    "arange_long_float_steps": lambda m: m.arange(0, 2, 0.3, dtype=m.int64),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace_many": lambda m: m.linspace(-3, 7, 101),
    "linspace_dtype": lambda m: m.linspace(0, 10, 4, dtype=m.float64),
    "linspace_one": lambda m: m.linspace(2, 5, 1),
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 3),
    "eye_int": lambda m: m.eye(2, dtype=m.int64),
}


def xfail(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


def params(table, known):
    """Parametrize over a table's names; names in ``known`` carry an xfail with the bug."""
    return [pytest.param(n, marks=xfail(known[n])) if n in known else n for n in table]


NP_SCALAR_BUG = ("_creation._infer_array: NumPy scalars (np.float64, np.int32, ...) are taken as "
                 "Python numbers; PyTorch keeps their dtype (tensor(np.float64(1.5)) is float64, "
                 "tensor([np.int32(3)]) is int32)")
CREATION_BUGS = {
}


@pytest.mark.parametrize("name", params(CREATION, CREATION_BUGS))
def test_creation_matches_torch(name):
    same_outcome(CREATION[name])


UNINITIALISED_OR_RANDOM = {
    "Tensor_sizes": lambda m: m.Tensor(2, 3),
    "Tensor_size1": lambda m: m.Tensor(4),
    "FloatTensor_sizes": lambda m: m.FloatTensor(2, 2),
    "LongTensor_sizes": lambda m: m.LongTensor(3),
    "empty": lambda m: m.empty(2, 3),
    "empty_tuple": lambda m: m.empty((4,), dtype=m.int32),
    "empty_like": lambda m: m.empty_like(m.tensor([1, 2])),
    "rand": lambda m: m.rand(2, 3),
    "rand_tuple": lambda m: m.rand((4,)),
    "rand_f64": lambda m: m.rand(2, dtype=m.float64),
    "randn": lambda m: m.randn(3, 1),
    "randn_scalar": lambda m: m.randn(()),
    "randint": lambda m: m.randint(0, 10, (3,)),
    "randint_high_only": lambda m: m.randint(10, (2, 2)),
    "randint_dtype": lambda m: m.randint(0, 3, (5,), dtype=m.int32),
    "rand_like": lambda m: m.rand_like(m.zeros(2, 2)),
    "randn_like": lambda m: m.randn_like(m.zeros(3, dtype=m.float64)),
    "randperm": lambda m: m.randperm(5),
}


@pytest.mark.parametrize("name", list(UNINITIALISED_OR_RANDOM))
def test_creation_dtype_and_shape(name):
    same_dtype_shape(UNINITIALISED_OR_RANDOM[name])


def test_random_ranges():
    ember.manual_seed(0)
    u = ember.rand(1000).numpy()
    assert u.min() >= 0 and u.max() < 1 and 0.4 < u.mean() < 0.6
    r = ember.randint(3, 7, (1000,)).numpy()
    assert r.min() == 3 and r.max() == 6
    n = ember.randn(10000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    assert sorted(ember.randperm(6).tolist()) == list(range(6))


def test_manual_seed_reproducible():
    ember.manual_seed(3)
    a = ember.randn(4)
    ember.manual_seed(3)
    b = ember.randn(4)
    assert ember.equal(a, b)
    assert not ember.equal(a, ember.randn(4))


def test_tensor_values_exact():
    t = ember.tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1, 2], [3, 4]]
    assert t.dtype is ember.int64
    assert ember.tensor(0.1).item() == torch.tensor(0.1).item()  # rounded to float32


@pytest.mark.parametrize("name", params([
    "float", "float_list", "mixed_list", "nested_float", "empty_list", "Tensor_data",
    "Tensor_np_f64", "FloatTensor", "zeros", "arange_float_step", "arange_float_end", "linspace",
    "eye", "int_list", "full_float", "np_float64",
], {}))
def test_creation_under_default_float64(name):
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    both(CREATION[name])


def test_default_dtype_float64_effects():
    def fn(m):
        m.set_default_dtype(m.float64)
        out = (m.get_default_dtype(), m.tensor([1, 2]) * 0.5, m.tensor([1, 2]) / 2,
               m.tensor([1.0], dtype=m.float32) * 2.5, m.ones(2).sqrt(), m.tensor(2).exp(),
               m.rand(2).dtype, m.tensor(1j).dtype)
        m.set_default_dtype(m.float32)
        return out

    e, t = fn(ember), fn(torch)
    assert dtype_name(e[0]) == dtype_name(t[0]) == "float64"
    assert_same(e[1:6], t[1:6])
    assert [dtype_name(d) for d in e[6:]] == [dtype_name(d) for d in t[6:]]


def test_set_default_dtype_rejects_ints():
    same_error(lambda: ember.set_default_dtype(ember.int64),
               lambda: torch.set_default_dtype(torch.int64))


CREATION_ERRORS = {
    "ragged": lambda m: m.tensor([[1, 2], [3]]),
    "zeros_negative": lambda m: m.zeros(-1),
    "ones_negative": lambda m: m.ones(2, -1),
    "empty_negative": lambda m: m.empty(-2),
    "arange_zero_step": lambda m: m.arange(0, 5, 0),
    "arange_wrong_sign": lambda m: m.arange(5, 0, 1),
    "string": lambda m: m.tensor("a"),
    "from_numpy_list": lambda m: m.from_numpy([1, 2]),
    "rand_int": lambda m: m.rand(2, dtype=m.int64),
    "requires_grad_int": lambda m: m.tensor([1, 2], requires_grad=True),
    "zeros_requires_grad_int": lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
}


CREATION_ERROR_BUGS = {
}


@pytest.mark.parametrize("name", params(CREATION_ERRORS, CREATION_ERROR_BUGS))
def test_creation_errors(name):
    fn = CREATION_ERRORS[name]
    same_error(lambda: fn(ember), lambda: fn(torch))


def test_tensor_of_tensor_warns_and_copies():
    for m in (ember, torch):
        src = m.tensor([1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            c = m.tensor(src)
        assert not c.requires_grad and c.is_leaf
        c.mul_(9.0)
        assert src.tolist() == [1.0, 2.0]


def test_legacy_constructor_shares_tensor():
    for m in (ember, torch):
        src = m.tensor([1.0, 2.0])
        assert m.Tensor(src) is src or m.Tensor(src).data_ptr() == src.data_ptr()


# -- Size and metadata ----------------------------------------------------------------------------
def test_size():
    def fn(m):
        s = m.zeros(2, 3, 4).shape
        return (repr(s).replace("torch.", "ember."), isinstance(s, tuple), s == (2, 3, 4),
                tuple(s[1:]), repr(s[1:]).replace("torch.", "ember."), type(s[0]).__name__,
                s.numel(), repr(s + (5,)).replace("torch.", "ember."), len(s),
                repr(m.tensor(1.0).shape).replace("torch.", "ember."), list(s))

    assert fn(ember) == fn(torch)
    assert isinstance(ember.zeros(1).shape, ember.Size)
    assert repr(ember.Size([2, 3])) == "ember.Size([2, 3])"
    assert str(ember.zeros(2, 3).size()) == "ember.Size([2, 3])"


def test_metadata():
    def fn(m):
        t = m.zeros(2, 3, dtype=m.float64)
        s = m.tensor(5)
        return (tuple(t.shape), tuple(t.size()), t.size(1), t.size(-1), t.dim(), t.ndim,
                t.numel(), s.dim(), s.numel(), s.item(), t.tolist(), s.tolist(),
                m.tensor([[1.5]]).item(), type(m.tensor(True).item()).__name__,
                type(m.tensor(2).item()).__name__, type(m.tensor(2.0).item()).__name__,
                t.is_floating_point(), s.is_floating_point(), t.element_size(),
                m.numel(t), m.is_tensor(t), m.is_tensor([1]), len(t), t.stride(),
                t.t().is_contiguous(), m.tensor([1.0, 2.0]).tolist())

    assert fn(ember) == fn(torch)


@pytest.mark.parametrize("fn", [
    lambda m: m.zeros(2, 3).size(2),
    lambda m: m.zeros(2).item(),
    lambda m: len(m.tensor(1.0)),
    lambda m: iter(m.tensor(1.0)),
    lambda m: float(m.zeros(2)),
    lambda m: int(m.zeros(3)),
    lambda m: bool(m.zeros(2)),
    lambda m: bool(m.zeros(0)),
    lambda m: m.tensor([1.0]).to("cuda"),
])
def test_metadata_errors(fn):
    same_error(lambda: fn(ember), lambda: fn(torch))


def test_python_scalar_conversions():
    def fn(m):
        return (float(m.tensor([2.5])), int(m.tensor(3.9)), int(m.tensor(-3.9)),
                bool(m.tensor([0.0])), bool(m.tensor(2)), float(m.tensor([[7]])),
                [1, 2, 3][m.tensor(1)],
                f"{m.tensor(3.14159):.2f}", round(float(m.tensor(0.5)), 3))

    assert fn(ember) == fn(torch)


def test_iteration_and_len():
    def fn(m):
        t = m.arange(6).reshape(2, 3)
        return [r.tolist() for r in t], len(t), [x.item() for x in t[0]], list(m.zeros(0))

    assert fn(ember) == fn(torch)
    rows = list(ember.tensor([[1.0, 2.0]], requires_grad=True))
    assert rows[0].grad_fn is not None and rows[0].grad_fn.name() == "UnbindBackward0"


# -- NumPy interoperation -----------------------------------------------------------------------
def test_numpy_shares_memory():
    for m in (ember, torch):
        t = m.tensor([1.0, 2.0, 3.0])
        a = t.numpy()
        a[0] = 10.0
        assert t.tolist() == [10.0, 2.0, 3.0]
        t.add_(1)
        assert a[1] == 3.0
        assert a.dtype == np.float32


def test_from_numpy_shares_memory():
    for m in (ember, torch):
        a = np.array([1, 2, 3])
        t = m.from_numpy(a)
        a[2] = 30
        assert t.tolist() == [1, 2, 30]
        t.mul_(2)
        assert a.tolist() == [2, 4, 60]
        assert dtype_name(t.dtype) == "int64"


def test_numpy_requires_grad_error():
    def fn(m):
        return m.tensor([1.0], requires_grad=True).numpy()

    same_error(lambda: fn(ember), lambda: fn(torch))
    same_error(lambda: np.asarray(ember.tensor([1.0], requires_grad=True)),
               lambda: np.asarray(torch.tensor([1.0], requires_grad=True)))
    # the two usual fixes
    for m in (ember, torch):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        y = w * 2
        assert w.detach().numpy().tolist() == [1.0, 2.0]
        assert y.data.numpy().tolist() == [2.0, 4.0]


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept")  # torch's own
@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept")  # torch's own
def test_array_protocol():
    for m in (ember, torch):
        t = m.tensor([[1.0, 2.0], [3.0, 4.0]])
        a = np.asarray(t)
        assert a.dtype == np.float32 and a.shape == (2, 2)
        a[0, 0] = 9  # np.asarray shares memory, as with PyTorch
        assert t.tolist()[0][0] == 9
        assert np.asarray(t, dtype=np.float64).dtype == np.float64
        assert np.array(t).tolist() == [[9.0, 2.0], [3.0, 4.0]]
        assert np.allclose(np.sin(m.tensor([0.0])), 0.0)
    # what matplotlib does with its inputs
    x = np.atleast_1d(ember.linspace(0, 1, 3))
    assert isinstance(x, np.ndarray) and x.tolist() == [0.0, 0.5, 1.0]
    assert np.ma.asarray(ember.tensor([1, 2])).tolist() == [1, 2]


def test_numpy_scalars_act_like_python_numbers():
    # a NumPy scalar (e.g. from arr.mean()) must not turn a float32 tensor into float64
    def fn(m):
        t = m.tensor([3.0, 4.0])
        return (np.float64(2.0) * t, t * np.float64(2.0), t + np.float32(1.5), t / np.int64(2),
                m.tensor([3, 4]) * np.float64(0.5), m.tensor([3, 4]) + np.int32(1),
                t > np.float64(3.5), t ** np.float64(2.0), t ** np.int64(3),
                m.tensor([2, 3]) ** np.int64(2))

    both(fn)


# -- conversions --------------------------------------------------------------------------------
CONVERSIONS = {
    "float": lambda m: m.tensor([1, 2]).float(),
    "double": lambda m: m.tensor([1.5]).double(),
    "long": lambda m: m.tensor([1.7, -1.7]).long(),
    "int": lambda m: m.tensor([2.9]).int(),
    "bool": lambda m: m.tensor([0.0, 0.5]).bool(),
    "half": lambda m: m.tensor([1.0 / 3]).half(),
    "to_dtype": lambda m: m.tensor([1, 2]).to(m.float64),
    "to_dtype_kw": lambda m: m.tensor([1.5]).to(dtype=m.int16),
    "to_tensor": lambda m: m.tensor([1, 2]).to(m.zeros(1, dtype=m.float16)),
    "to_cpu_dtype": lambda m: m.tensor([1]).to("cpu", m.float32),
    "type_str": lambda m: m.tensor([1.5]).type("torch.LongTensor".replace("torch", m.__name__)),
    "type_as": lambda m: m.tensor([1.5]).type_as(m.tensor([1])),
    "uint8_wrap": lambda m: m.tensor([-1, 256]).to(m.uint8),
    "bool_to_float": lambda m: m.tensor([True, False]).float(),
    "clone": lambda m: m.tensor([1.0, 2.0]).clone(),
    "contiguous": lambda m: m.arange(6).reshape(2, 3).t().contiguous(),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_conversions(name):
    both(CONVERSIONS[name])


def test_type_names():
    def fn(m):
        return [m.tensor(v).type().replace("torch.", "ember.") for v in (1.0, 1, True)] + [
            m.zeros(1, dtype=m.float64).type().replace("torch.", "ember.")]

    assert fn(ember) == fn(torch)
    assert isinstance(ember.tensor([1.0]), ember.FloatTensor)
    assert not isinstance(ember.tensor([1]), ember.FloatTensor)


def test_to_same_dtype_is_identity_and_clone_copies():
    for m in (ember, torch):
        t = m.tensor([1.0, 2.0])
        assert t.to(m.float32) is t
        assert t.float() is t
        assert t.contiguous() is t
        assert t.to(m.float32, copy=True) is not t
        c = t.clone()
        c.add_(5.0)
        assert t.tolist() == [1.0, 2.0]
        d = t.double()
        d.add_(7.0)
        assert t.tolist() == [1.0, 2.0]


def test_equal_allclose_isclose():
    def fn(m):
        a = m.tensor([1.0, 2.0, float("nan")])
        b = m.tensor([1.0, 2.0 + 1e-7, float("nan")])
        a2, b2 = m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0 + 1e-6])
        return (m.equal(a2, b2), m.equal(a, a), m.equal(m.tensor([1, 2]), m.tensor([1, 2])),
                m.equal(m.tensor([1.0]), m.tensor([1.0, 1.0])), m.allclose(a2, b2),
                m.allclose(a, b), m.allclose(a, b, equal_nan=True), a.allclose(b, equal_nan=True),
                a.equal(a.clone()), m.isclose(a, b), m.isclose(a, b, equal_nan=True),
                m.isclose(m.tensor([1.0]), m.tensor([1.1]), rtol=0.2),
                m.isclose(m.tensor([1, 2]), m.tensor([1, 3])))

    e, t = fn(ember), fn(torch)
    assert e[:9] == t[:9]
    assert_same(e[9:], t[9:])


# -- type promotion -----------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
VALUES = {"bool": [True, False, True], "uint8": [1, 2, 200]}
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
}


def make(m, dt, scale=1, zero_d=False):
    vals = VALUES.get(dt, [3 * scale, -2 * scale, 5])
    if dt == "uint8":
        vals = [v * scale for v in vals][:2] + [7]
    return m.tensor(vals[0] if zero_d else vals, dtype=getattr(m, dt))


def bool_sub(label):
    return " sub " in label and "bool" in label


def int_scalar_out_of_range(label):
    return label.startswith("uint8") and "neg_int" in label


KNOWN = ()


def mismatches(cases, known=KNOWN):
    """Run same_outcome on each (label, fn); return the labels that differ, with why."""
    bad = []
    for label, fn in cases:
        try:
            same_outcome(fn, rtol=1e-3)
        except AssertionError as exc:
            if not any(k(label) for k in known):
                bad.append(f"{label}: {' '.join(str(exc).split())[:300]}")
    return bad


@pytest.mark.parametrize("kind", ["tensor", "zero_d_right", "zero_d_left", "both_zero_d"])
@pytest.mark.parametrize("op", list(OPS))
def test_promotion_tensor_tensor(op, kind):
    f = OPS[op]
    za, zb = kind in ("zero_d_left", "both_zero_d"), kind in ("zero_d_right", "both_zero_d")
    cases = [(f"{da} {op} {db}",
              lambda m, da=da, db=db: f(make(m, da, zero_d=za), make(m, db, 2, zero_d=zb)))
             for da, db in itertools.product(DTYPES, DTYPES)]
    bad = mismatches(cases)
    assert not bad, "\n".join(bad)


SCALARS = {"int": 2, "float": 2.5, "bool": True, "neg_int": -3, "big_float": 1e10}


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("op", list(OPS))
def test_promotion_tensor_scalar(op, side):
    f = OPS[op]
    cases = [(f"{dt} {op} {sname} ({side})",
              lambda m, dt=dt, s=s: f(make(m, dt), s) if side == "right" else f(s, make(m, dt)))
             for dt, (sname, s) in itertools.product(DTYPES, SCALARS.items())]
    bad = mismatches(cases)
    assert not bad, "\n".join(bad)


def test_sub_with_bool_raises():
    cases = []
    for da, db in itertools.product(DTYPES, DTYPES):
        if "bool" in (da, db):
            cases.append((f"{da} sub {db}", lambda m, da=da, db=db: make(m, da) - make(m, db)))
    for dt in DTYPES:
        cases.append((f"bool sub {dt} scalar", lambda m, dt=dt: make(m, "bool") - 1))
        cases.append((f"{dt} sub bool scalar", lambda m, dt=dt: make(m, dt) - True))
        cases.append((f"rsub {dt}", lambda m, dt=dt: True - make(m, dt)))
        cases.append((f"sub_ {dt}", lambda m, dt=dt: make(m, dt).sub_(make(m, "bool"))))
    bad = mismatches(cases, known=())
    assert not bad, "\n".join(bad)


def test_out_of_range_python_ints_wrap():
    cases = [
        ("uint8 + -3", lambda m: make(m, "uint8") + -3),
        ("-3 * uint8", lambda m: -3 * make(m, "uint8")),
        ("uint8 - -3", lambda m: make(m, "uint8") - -3),
        ("uint8 + 300", lambda m: make(m, "uint8") + 300),
        ("int8 * 200", lambda m: make(m, "int8") * 200),
        ("uint8 < -3", lambda m: make(m, "uint8") < -3),
        ("uint8 >= -3", lambda m: make(m, "uint8") >= -3),
        ("uint8 == 257", lambda m: make(m, "uint8") == 257),
    ]
    bad = mismatches(cases, known=())
    assert not bad, "\n".join(bad)


def test_true_division_of_ints_is_float32():
    def fn(m):
        return (m.tensor([1, 2]) / m.tensor([2, 4]), m.tensor([3]) / 2, 7 / m.tensor([2]),
                m.tensor(5) / m.tensor(2), m.div(m.tensor([5]), 2),
                m.div(m.tensor([-7]), 2, rounding_mode="floor"),
                m.div(m.tensor([-7]), 2, rounding_mode="trunc"),
                m.floor_divide(m.tensor([-7, 7]), 2), m.true_divide(m.tensor([1]), 3))

    both(fn)


def test_floordiv_operator():
    def fn(m):
        t = m.tensor([-7, 7])
        u = m.tensor([7.5])
        u //= 2
        return t // 2, m.tensor([7.0]) // 2, 15 // t, u

    both(fn)


def test_result_type_and_promote_types():
    for a, b in itertools.product(DTYPES, DTYPES):
        pe = ember.promote_types(getattr(ember, a), getattr(ember, b))
        pt = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert dtype_name(pe) == dtype_name(pt), (a, b)
    for dt, s in itertools.product(DTYPES, [1, 1.5, True]):
        re = ember.result_type(make(ember, dt), s)
        rt = torch.result_type(make(torch, dt), s)
        assert dtype_name(re) == dtype_name(rt), (dt, s)


def test_broadcasting_errors():
    for fn in (
        lambda m: m.ones(2, 3) + m.ones(4),
        lambda m: m.ones(2, 3) * m.ones(3, 2),
        lambda m: m.ones(5, 1, 3) - m.ones(4, 2),
        lambda m: m.ones(3) / m.ones(2, 2),
        lambda m: m.ones(3) == m.ones(2),
        lambda m: m.maximum(m.ones(2), m.ones(3)),
    ):
        same_error(lambda: fn(ember), lambda: fn(torch))


def test_broadcasting_values():
    def fn(m):
        a = m.arange(6.0).reshape(2, 3)
        return a + m.tensor([10.0, 20.0, 30.0]), a * m.tensor([[2.0], [3.0]]), \
            m.ones(3, 1, 2) - m.ones(4, 1), a + m.tensor(1.0), m.zeros(0, 3) + m.ones(3)

    both(fn)


# hypothesis: broadcasting shapes x dtypes x ops
H_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
H_OPS = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: m.mul(a, b),
    "div": lambda m, a, b: a / b,
    "maximum": lambda m, a, b: m.maximum(a, b),
}


@settings(max_examples=150, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    da=st.sampled_from(H_DTYPES),
    db=st.sampled_from(H_DTYPES),
    op=st.sampled_from(list(H_OPS)),
    seed=st.integers(0, 2**16),
    swap=st.booleans(),
)
def test_broadcast_promotion_property(shapes, da, db, op, seed, swap):
    # bool subtraction errors are covered (and xfailed) by the promotion tables above
    assume(not (op == "sub" and "bool" in (da, db)))
    sa, sb = shapes.input_shapes
    if swap:
        sa, sb = sb, sa
    rng = np.random.default_rng(seed)

    def arr(shape, dt):
        if dt == "bool":
            return np.asarray(rng.random(shape) > 0.5)
        if dt == "uint8":
            return np.asarray(rng.integers(1, 20, shape), dtype=dt)
        v = rng.integers(1, 9, shape) * rng.choice([-1, 1], shape)
        return np.asarray(v / 2 if dt.startswith("float") else v, dtype=dt)

    xa, xb = arr(sa, da), arr(sb, db)

    def fn(m):
        return H_OPS[op](m, m.from_numpy(xa.copy()), m.from_numpy(xb.copy()))

    same_outcome(fn, rtol=1e-3, atol=1e-3)


# -- printing -----------------------------------------------------------------------------------
REPRS = {
    "float": lambda m: m.tensor([1.0, 2.5]),
    "int": lambda m: m.tensor([1, 2]),
    "bool": lambda m: m.tensor([True, False]),
    "scalar": lambda m: m.tensor(3.0),
    "int_scalar": lambda m: m.tensor(3),
    "float64": lambda m: m.tensor([1.0, 2.0], dtype=m.float64),
    "float16": lambda m: m.tensor([1.0], dtype=m.float16),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "uint8": lambda m: m.tensor([1], dtype=m.uint8),
    "int8": lambda m: m.tensor([-1], dtype=m.int8),
    "empty": lambda m: m.tensor([]),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_int": lambda m: m.zeros(0, dtype=m.int64),
    "empty_f64": lambda m: m.zeros(2, 0, dtype=m.float64),
    "requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_f64": lambda m: m.tensor([1.0], dtype=m.float64, requires_grad=True),
    "requires_grad_scalar": lambda m: m.tensor(1.5, requires_grad=True),
    "grad_fn_add": lambda m: m.tensor([1.0, 2.0], requires_grad=True) + 1,
    "grad_fn_mul": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 3,
    "grad_fn_pow": lambda m: m.tensor([1.0, 2.0], requires_grad=True) ** 2,
    "grad_fn_sum": lambda m: (m.tensor([1.0, 2.0], requires_grad=True) * 2).sum(),
    "grad_fn_mean_f64": lambda m: m.tensor([1.0, 2.0], dtype=m.float64,
                                           requires_grad=True).mean(),
    "grad_fn_div": lambda m: m.tensor([1.0, 2.0], requires_grad=True) / 3,
    "grad_fn_sub": lambda m: 1 - m.tensor([1.0, 2.0], requires_grad=True),
    "grad_fn_neg": lambda m: -m.tensor([1.0, 2.0], requires_grad=True),
    "grad_fn_exp": lambda m: m.tensor([1.0, 2.0], requires_grad=True).exp(),
    "grad_fn_tocopy": lambda m: m.tensor([1.0], requires_grad=True).double(),
    "comparison_no_grad_fn": lambda m: m.tensor([1.0], requires_grad=True) > 0,
    "detach": lambda m: (m.tensor([1.0], requires_grad=True) * 2).detach(),
    "data": lambda m: (m.tensor([1.0], requires_grad=True) * 2).data,
    "matrix": lambda m: m.arange(12.0).reshape(3, 4) / 7,
    "big": lambda m: m.arange(2000.0),
    "mixed_magnitudes": lambda m: m.tensor([1e-5, 1.0, 1e5]),
    "nan_inf": lambda m: m.tensor([float("nan"), float("inf"), -1.0]),
    "no_grad_result": lambda m: _no_grad_mul(m),
}


def _no_grad_mul(m):
    w = m.tensor([1.0], requires_grad=True)
    with m.no_grad():
        return w * 2


@pytest.mark.parametrize("name", list(REPRS))
def test_repr(name):
    same_repr(REPRS[name])
    e, t = REPRS[name](ember), REPRS[name](torch)
    assert str(e) == str(t).replace("torch.", "ember.")


@pytest.mark.parametrize("name", ["float", "float64", "requires_grad", "grad_fn_mean_f64",
                                  "scalar", "empty", "empty_f64", "float16"])
def test_repr_default_float64(name):
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    same_repr(REPRS[name])


def test_print_and_format():
    def fn(m):
        t = m.tensor([0.1, 0.25])
        formatted = "{}".format(t)  # noqa: UP032 - the learner's style
        return [str(t), f"{t}", formatted, f"{m.tensor(0.5):.3f}", str([m.tensor(1.0)]),
                repr(m.tensor(2.0).item())]

    e, t = fn(ember), fn(torch)
    assert e == [s.replace("torch.", "ember.") for s in t]
