"""Legacy constructors and conversions PyTorch 2.13 still accepts, against PyTorch:
FloatTensor/LongTensor/... (data and sizes forms, isinstance), Tensor.type(), new_tensor and
the other new_* methods, type_as, .data on 0-d tensors, ember.is_tensor, ember.numel."""

import warnings

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, dtype_name, same_error

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


def both(fn):
    return fn(ember), fn(torch)


def same_repr(e, t):
    assert repr(e) == repr(t).replace("torch.", "ember."), (repr(e), repr(t))


# -- FloatTensor(...) and friends --------------------------------------------------------------
DATA = [
    [1, 2],
    [1.5, -2.7],
    [[1, 2, 3], [4, 5, 6]],
    (2, 3),
    [True, False],
    [],
    [[0.25], [0.5]],
    range(4),
    [0, 1, 127],
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data", DATA, ids=str)
def test_legacy_from_data(name, data):
    fe, ft = lambda: getattr(ember, name)(data), lambda: getattr(torch, name)(data)
    if name == "ByteTensor" and data == [1.5, -2.7]:
        same_error(fe, ft)  # -2.7 does not fit
        return
    e, t = fe(), ft()
    assert_same(e, t)
    same_repr(e, t)
    assert not e.requires_grad


@pytest.mark.parametrize("name", NAMES)
def test_legacy_from_arrays(name):
    for arr in (np.array([1, 2, 3]), np.array([[1.5, 2.0]]), np.array([0.25], np.float32)):
        e, t = getattr(ember, name)(arr), getattr(torch, name)(arr)
        assert_same(e, t)
    # a list holding 0-d tensors (integer types read each through __index__)
    for data in ([1.0, 2], [1, 2], [True, 3]):
        fe = lambda: getattr(ember, name)([ember.tensor(v) for v in data])  # noqa: E731
        ft = lambda: getattr(torch, name)([torch.tensor(v) for v in data])  # noqa: E731
        try:
            t = ft()
        except TypeError:
            same_error(fe, ft)
        else:
            assert_same(fe(), t)


@pytest.mark.parametrize("name", NAMES)
def test_legacy_sizes(name):
    # sizes give an uninitialized tensor: compare shape and dtype only
    for sizes in [(2, 3), (3,), (0,), (), (2, 0, 4)]:
        e, t = getattr(ember, name)(*sizes), getattr(torch, name)(*sizes)
        assert tuple(e.shape) == tuple(t.shape) and dtype_name(e.dtype) == dtype_name(t.dtype)
    for size in ([2, 3], [], [4]):
        e = getattr(ember, name)(ember.Size(size))
        t = getattr(torch, name)(torch.Size(size))
        assert tuple(e.shape) == tuple(t.shape) == tuple(size)
    e, t = getattr(ember, name)(np.int64(3)), getattr(torch, name)(np.int64(3))
    assert tuple(e.shape) == tuple(t.shape) == (3,)
    same_repr(getattr(ember, name)(), getattr(torch, name)())


def test_tensor_is_the_float_constructor():
    assert_same(ember.Tensor([1, 2]), torch.Tensor([1, 2]))
    assert tuple(ember.Tensor(2, 3).shape) == tuple(torch.Tensor(2, 3).shape)
    assert tuple(ember.Tensor(ember.Size([2, 3])).shape) == (2, 3)
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert_same(ember.Tensor([1.5]), torch.Tensor([1.5]))
    finally:
        torch.set_default_dtype(torch.float32)


OVERFLOW = [("ByteTensor", [256]), ("ByteTensor", [1.5, -2.7]), ("ByteTensor", [-0.5]),
            ("ByteTensor", [255.5]), ("ByteTensor", [-257]), ("ByteTensor", [float("nan")]),
            ("IntTensor", [2 ** 32 - 1]), ("IntTensor", [-2 ** 31 - 1]),
            ("IntTensor", [float("inf")]), ("CharTensor", [255]), ("CharTensor", [127.9]),
            ("CharTensor", [-128.9]), ("ShortTensor", [40000]), ("LongTensor", [2 ** 63])]


@pytest.mark.parametrize("name,data", OVERFLOW, ids=str)
def test_legacy_overflow(name, data):
    same_error(lambda: getattr(ember, name)(data), lambda: getattr(torch, name)(data))


def test_legacy_wraps_where_pytorch_wraps():
    for name, data in [("ByteTensor", [-1, -128, -129, 255]), ("CharTensor", [-128, 127]),
                       ("HalfTensor", [1e6, 65519.0]), ("FloatTensor", [1e300, float("inf")]),
                       ("IntTensor", [2 ** 31 - 1, -2 ** 31]), ("ByteTensor", np.array([300]))]:
        assert_same(getattr(ember, name)(data), getattr(torch, name)(data))


def test_legacy_errors():
    a_e, a_t = ember.ones(2), torch.ones(2)
    calls = [
        lambda lib, a: lib.FloatTensor(2.5),
        lambda lib, a: lib.FloatTensor("a"),
        lambda lib, a: lib.FloatTensor(None),
        lambda lib, a: lib.FloatTensor({1: 2}),
        lambda lib, a: lib.FloatTensor(True),
        lambda lib, a: lib.FloatTensor(np.float32(2)),
        lambda lib, a: lib.FloatTensor([[1], [2, 3]]),
        lambda lib, a: lib.FloatTensor(2, 3.0),
        lambda lib, a: lib.FloatTensor(2, (3,)),
        lambda lib, a: lib.FloatTensor(-1),
        lambda lib, a: lib.FloatTensor(2, -3),
        lambda lib, a: lib.FloatTensor([1], dtype=lib.float64),
        lambda lib, a: lib.FloatTensor([1], requires_grad=True),
        lambda lib, a: lib.FloatTensor(a, 2),
        lambda lib, a: lib.FloatTensor(a.double()),
        lambda lib, a: lib.DoubleTensor(a),
        lambda lib, a: lib.LongTensor(a),
        lambda lib, a: lib.FloatTensor(a.half()),
        lambda lib, a: lib.FloatTensor(a.int()),
        lambda lib, a: lib.FloatTensor(a.bool()),
        lambda lib, a: lib.FloatTensor(a.byte()),
        lambda lib, a: lib.FloatTensor(a.char()),
        lambda lib, a: lib.FloatTensor(a.short()),
        lambda lib, a: lib.FloatTensor(a.long()),
        lambda lib, a: lib.FloatTensor([1.0], device="cuda"),
        lambda lib, a: lib.FloatTensor(2, 3, device="cuda"),
        lambda lib, a: lib.FloatTensor(device="cuda"),
        lambda lib, a: lib.Tensor(2, device="cuda"),
        lambda lib, a: lib.FloatTensor(2, device="meta"),
        lambda lib, a: lib.FloatTensor(2, device=0),
    ]
    for fn in calls:
        same_error(lambda: fn(ember, a_e), lambda: fn(torch, a_t))
    assert_same(ember.FloatTensor([1.0], device="cpu"), torch.FloatTensor([1.0], device="cpu"))
    assert tuple(ember.FloatTensor(2, device=ember.device("cpu")).shape) == (2,)


def test_legacy_from_a_tensor_is_an_alias():
    for lib in (ember, torch):
        a = lib.ones(2)
        b = lib.FloatTensor(a)
        assert b is not a
        b.add_(1)  # shares a's data and version counter
        assert a.tolist() == [2.0, 2.0] and a._version == b._version
    xe = ember.tensor([1.0, 2.0], requires_grad=True)
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    e, t = ember.FloatTensor(xe * 2), torch.FloatTensor(xt * 2)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__ == "AliasBackward0"
    (e * e).sum().backward()
    (t * t).sum().backward()
    assert_same(xe.grad, xt.grad)
    assert_same(ember.FloatTensor(ember.tensor(2.0)), torch.FloatTensor(torch.tensor(2.0)))


def test_legacy_classes():
    for name in NAMES:
        ec, tc = getattr(ember, name), getattr(torch, name)
        assert repr(ec) == repr(tc).replace("torch", "ember")
        assert (ec.__name__, ec.__module__) == (tc.__name__, tc.__module__.replace("torch",
                                                                                    "ember"))
        assert repr(type(ec)) == repr(type(tc)).replace("torch", "ember")
        assert dtype_name(ec.dtype) == dtype_name(tc.dtype)
        assert ec.is_cuda is tc.is_cuda is False
        assert issubclass(ec, ember.Tensor) is issubclass(tc, torch.Tensor) is False
        for dt in ("float32", "float64", "int64", "uint8", "bool", "float16"):
            e = isinstance(ember.zeros(2, dtype=getattr(ember, dt)), ec)
            t = isinstance(torch.zeros(2, dtype=getattr(torch, dt)), tc)
            assert e is t, (name, dt)
        assert isinstance(ec([1]), ember.Tensor)
        assert type(ec([1])) is ember.Tensor
    # a tensor that requires grad, and a Parameter, are FloatTensors
    for lib in (ember, torch):
        assert isinstance(lib.ones(1, requires_grad=True), lib.FloatTensor)
        assert isinstance(lib.nn.Parameter(lib.ones(1)), lib.FloatTensor)
        assert not isinstance(np.ones(1, np.float32), lib.FloatTensor)


# -- Tensor.type ---------------------------------------------------------------------------------
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128"]


@pytest.mark.parametrize("dt", DTYPES)
def test_type_names(dt):
    e = ember.zeros(2, dtype=getattr(ember, dt)).type()
    t = torch.zeros(2, dtype=getattr(torch, dt)).type()
    assert e == t.replace("torch.", "ember.")
    assert e.startswith("ember.")
    assert ember.zeros(1).type(None) == "ember.FloatTensor"
    assert ember.zeros(1, dtype=ember.int64).type(dtype=None) == "ember.LongTensor"


TYPE_CONVERSIONS = [
    lambda lib, x: x.type("torch.DoubleTensor"),
    lambda lib, x: x.type("torch.IntTensor"),
    lambda lib, x: x.type("torch.ByteTensor"),
    lambda lib, x: x.type("torch.BoolTensor"),
    lambda lib, x: x.type("torch.HalfTensor"),
    lambda lib, x: x.type("torch.LongTensor"),
    lambda lib, x: x.type(lib.DoubleTensor),
    lambda lib, x: x.type(lib.BoolTensor),
    lambda lib, x: x.type(lib.CharTensor),
    lambda lib, x: x.type(lib.float64),
    lambda lib, x: x.type(lib.int16),
    lambda lib, x: x.type(dtype=lib.float64),
    lambda lib, x: x.type(lib.float64, True),
    lambda lib, x: x.type(lib.float64, non_blocking=True),
    lambda lib, x: x.type(lib.Tensor),
    lambda lib, x: x.type(lib.float32),
    lambda lib, x: x.type("torch.FloatTensor"),
    lambda lib, x: x.type(lib.FloatTensor),
]


@pytest.mark.parametrize("i", range(len(TYPE_CONVERSIONS)))
def test_type_conversions(i):
    fn = TYPE_CONVERSIONS[i]
    xe = ember.tensor([1.5, -2.5, 3.0], requires_grad=True)
    xt = torch.tensor([1.5, -2.5, 3.0], requires_grad=True)
    e, t = fn(ember, xe), fn(torch, xt)
    assert_same(e, t)
    same_repr(e, t)
    assert (e is xe) == (t is xt)
    if t.grad_fn is not None:
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
        e.sum().backward()
        t.sum().backward()
        assert_same(xe.grad, xt.grad)


def test_type_accepts_ember_names():
    # the same script under `import ember as torch` may spell the names either way
    x = ember.tensor([1.5, 2.5])
    assert_same(x.type("ember.DoubleTensor"), torch.tensor([1.5, 2.5]).double())
    assert x.type("ember.LongTensor").tolist() == [1, 2]


def test_type_errors():
    for fn in (lambda lib, x: x.type("DoubleTensor"), lambda lib, x: x.type("float64"),
               lambda lib, x: x.type("foo"), lambda lib, x: x.type(float),
               lambda lib, x: x.type(int), lambda lib, x: x.type(3),
               lambda lib, x: x.type(np.float64), lambda lib, x: x.type("torch.cuda.FloatTensor"),
               lambda lib, x: x.type(lib.cuda.FloatTensor),
               lambda lib, x: x.type("torch.cuda.LongTensor")):
        same_error(lambda: fn(ember, ember.ones(2)), lambda: fn(torch, torch.ones(2)))


def test_type_as():
    xe = ember.tensor([1.5, -2.5], requires_grad=True)
    xt = torch.tensor([1.5, -2.5], requires_grad=True)
    for other in ([1], [1.0], [True]):
        e, t = xe.type_as(ember.tensor(other)), xt.type_as(torch.tensor(other))
        assert_same(e, t)
        assert (e is xe) == (t is xt)
    e = xe.type_as(ember.tensor([1.0], dtype=ember.float64))
    t = xt.type_as(torch.tensor([1.0], dtype=torch.float64))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__ == "ToCopyBackward0"
    (e * e).sum().backward()
    (t * t).sum().backward()
    assert_same(xe.grad, xt.grad)
    for other in (3, np.ones(1), [1.0]):
        same_error(lambda: xe.type_as(other), lambda: xt.type_as(other))


# -- new_tensor / new_zeros / new_ones / new_full / new_empty ----------------------------------
NEW = [
    lambda lib, s: s.new_tensor([1, 2]),
    lambda lib, s: s.new_tensor([1.7, 2]),
    lambda lib, s: s.new_tensor(np.array([1, 2], dtype=np.int32)),
    lambda lib, s: s.new_tensor([1, 2], dtype=lib.int8),
    lambda lib, s: s.new_tensor([1.5, 2], requires_grad=True),
    lambda lib, s: s.new_tensor(3),
    lambda lib, s: s.new_tensor(0.1),
    lambda lib, s: s.new_tensor([True]),
    lambda lib, s: s.new_tensor([[1, 2], [3, 4]], device="cpu"),
    lambda lib, s: s.new_zeros((2, 3)),
    lambda lib, s: s.new_zeros(2, 3),
    lambda lib, s: s.new_zeros([2]),
    lambda lib, s: s.new_zeros(lib.Size([2, 1])),
    lambda lib, s: s.new_zeros(()),
    lambda lib, s: s.new_zeros(np.int64(2)),
    lambda lib, s: s.new_zeros(lib.tensor(2)),
    lambda lib, s: s.new_zeros(size=(2,)),
    lambda lib, s: s.new_zeros(2, dtype=lib.int32),
    lambda lib, s: s.new_zeros(2, dtype=lib.float64, requires_grad=True),
    lambda lib, s: s.new_zeros(2, device=lib.device("cpu")),
    lambda lib, s: s.new_ones(2, 2),
    lambda lib, s: s.new_ones((2,), dtype=lib.float32),
    lambda lib, s: s.new_ones(size=[3]),
    lambda lib, s: s.new_empty((2,)).zero_(),
    lambda lib, s: s.new_empty(2, 3).zero_(),
    lambda lib, s: s.new_empty(size=(2,), dtype=lib.int16).zero_(),
    lambda lib, s: s.new_full((2,), 7),
    lambda lib, s: s.new_full((2,), 7.5),
    lambda lib, s: s.new_full([2, 1], 7),
    lambda lib, s: s.new_full(lib.Size([2]), 1),
    lambda lib, s: s.new_full([2], 7, dtype=lib.float16),
    lambda lib, s: s.new_full((2,), True),
    lambda lib, s: s.new_full((2,), lib.tensor(3)),
    lambda lib, s: s.new_full(size=(2,), fill_value=1),
]
SOURCES = {"f64": lambda lib: lib.tensor([1.5, -2.5], dtype=lib.float64),
           "i64": lambda lib: lib.tensor([1, 2]),
           "bool": lambda lib: lib.tensor([True]),
           "f32_grad": lambda lib: lib.ones(2, requires_grad=True)}


@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("i", range(len(NEW)))
def test_new_methods(i, src):
    fn = NEW[i]
    se, st = SOURCES[src](ember), SOURCES[src](torch)
    try:
        t = fn(torch, st)
    except Exception:  # noqa: BLE001 - e.g. requires_grad on an integer result
        same_error(lambda: fn(ember, se), lambda: fn(torch, st))
        return
    e = fn(ember, se)
    assert_same(e, t)
    same_repr(e, t)
    assert e.requires_grad == t.requires_grad and e.is_leaf and t.is_leaf


def test_new_tensor_keeps_precision_and_warns():
    s = ember.zeros(1, dtype=ember.float64)
    assert s.new_tensor([0.1]).item() == 0.1
    assert ember.tensor([0.1], dtype=ember.float64).item() == 0.1
    assert ember.tensor(0.1, dtype=ember.float64).item() == 0.1
    assert ember.DoubleTensor([0.1]).item() == 0.1
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.ones(1).new_tensor(lib.ones(2))
            lib.tensor(lib.ones(2))
        texts = [str(x.message) for x in w]
        assert texts[0].endswith("rather than tensor.new_tensor(sourceTensor).")
        assert texts[1].endswith(f"rather than {lib.__name__}.tensor(sourceTensor).")


def test_new_methods_errors():
    calls = [
        lambda s: s.new_zeros(),
        lambda s: s.new_ones(),
        lambda s: s.new_empty(),
        lambda s: s.new_tensor(),
        lambda s: s.new_full(),
        lambda s: s.new_full((2,)),
        lambda s: s.new_zeros(-1),
        lambda s: s.new_zeros([2, -1]),
        lambda s: s.new_zeros(2.0),
        lambda s: s.new_zeros(2, 3.0),
        lambda s: s.new_zeros((2, 3.0)),
        lambda s: s.new_zeros(True),
        lambda s: s.new_zeros("a"),
        lambda s: s.new_zeros(None),
        lambda s: s.new_full(2, 1),
        lambda s: s.new_full((2.0,), 1),
        lambda s: s.new_full((2,), None),
        lambda s: s.new_full((2,), float("inf"), dtype=s.new_tensor([1]).long().dtype),
        lambda s: s.new_zeros(2, dtype=s.long().dtype, requires_grad=True),
        lambda s: s.long().new_tensor([1, 2], requires_grad=True),
    ]
    for fn in calls:
        same_error(lambda: fn(ember.ones(2)), lambda: fn(torch.ones(2)))


# -- .data, is_tensor, numel ---------------------------------------------------------------------
def test_data_of_a_0d_tensor():
    se = ember.tensor(3.5, requires_grad=True)
    st = torch.tensor(3.5, requires_grad=True)
    de, dt = se.data, st.data
    assert_same(de, dt)
    same_repr(de, dt)
    assert de.shape == () and tuple(dt.shape) == ()
    assert de.requires_grad is dt.requires_grad is False and de.is_leaf
    assert de.item() == dt.item() == 3.5
    assert de is not se and de.data_ptr() == se.data_ptr()
    # in-place through .data changes the tensor, unseen by autograd
    ye, yt = se * 2, st * 2
    se.data.mul_(2)
    st.data.mul_(2)
    ye.backward()
    yt.backward()
    assert_same(se.grad, st.grad)
    assert se.item() == st.item() == 7.0
    se.data = ember.tensor(1.25)
    st.data = torch.tensor(1.25)
    same_repr(se, st)
    # a 0-d integer tensor, and the usual loss.data idiom
    assert_same(ember.tensor(4).data, torch.tensor(4).data)
    le = ((ember.tensor([1.0, 2.0], requires_grad=True) - 0.5) ** 2).mean()
    lt = ((torch.tensor([1.0, 2.0], requires_grad=True) - 0.5) ** 2).mean()
    assert le.data.item() == lt.data.item()
    same_repr(le.data, lt.data)


def test_is_tensor_and_numel():
    for lib in (ember, torch):
        assert lib.is_tensor(lib.ones(1)) and lib.is_tensor(lib.nn.Parameter(lib.ones(1)))
        assert not lib.is_tensor(np.ones(1)) and not lib.is_tensor(1) and not lib.is_tensor([1])
    for shape in [(), (3,), (2, 3), (2, 0, 4)]:
        assert ember.numel(ember.zeros(shape)) == torch.numel(torch.zeros(shape))
    assert ember.numel(input=ember.ones(4)) == 4
    for bad in ([1, 2], np.ones(2), 3):
        same_error(lambda: ember.numel(bad), lambda: torch.numel(bad))
    same_error(lambda: ember.is_tensor(obj=ember.ones(1)),
               lambda: torch.is_tensor(obj=torch.ones(1)))


# -- ember.tensor with an explicit integer dtype checks overflow like PyTorch ------------------
def test_tensor_dtype_overflow():
    for data, dt in [([256], "uint8"), ([2 ** 31], "int32"), ([1.5, -2.7], "uint8"),
                     ([float("nan")], "int64"), (300, "uint8")]:
        same_error(lambda: ember.tensor(data, dtype=getattr(ember, dt)),
                   lambda: torch.tensor(data, dtype=getattr(torch, dt)))
    for data, dt in [([-1], "uint8"), ([1.7, -2.7], "int32"), ([2 ** 62 + 1], "float64"),
                     ([0.1, 1e-8], "float64"), ([1, 0], "bool"), (0.1, "float64")]:
        assert_same(ember.tensor(data, dtype=getattr(ember, dt)),
                    torch.tensor(data, dtype=getattr(torch, dt)), rtol=0, atol=0)
    e = ember.tensor([[0.1 + 1.5j, 2]], dtype=ember.complex128)
    t = torch.tensor([[0.1 + 1.5j, 2]], dtype=torch.complex128)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e.dtype == ember.complex128
