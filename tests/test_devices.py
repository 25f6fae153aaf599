"""Devices against a CPU-only PyTorch: ember.device, Tensor.to/cpu/cuda, device= on factories,
the default device, ember.cuda / accelerator / backends, nn.Module.to, whole-module checkpoints,
and matplotlib on tensors.

Every "cuda" request must fail with PyTorch's own exception type and text for a build without
CUDA, and the is_available checks answer False, so tutorials take their CPU branch.
"""

import contextlib
import io
import pickle
import threading

import numpy as np
import pytest
import torch

import ember
from parity import assert_same, same_error


@pytest.fixture(autouse=True)
def _reset_default_device():
    yield
    torch.set_default_device(None)
    ember.set_default_device(None)


def both(fn):
    return fn(ember), fn(torch)


def same_text(e, t):
    assert str(e) == str(t).replace("torch.", "ember."), (str(e), str(t))


# -- ember.device ----------------------------------------------------------------------------
VALID = [("cpu",), ("cuda",), ("cuda:0",), ("cuda", 0), ("cuda:1",), ("cpu", 0), ("cpu:0",),
         ("mps",), ("meta",), ("xla",), ("cuda", None), ("xpu:3",)]


@pytest.mark.parametrize("args", VALID, ids=str)
def test_device_construction(args):
    e, t = ember.device(*args), torch.device(*args)
    assert repr(e) == repr(t)
    assert str(e) == str(t)
    assert f"{e}" == f"{t}"
    assert (e.type, e.index) == (t.type, t.index)
    assert ember.device(e) == e and ember.device(e) is not e


INVALID = [("gpu",), ("cuda:x",), ("cuda:0", 1), ("cuda:-1",), ("cuda", -1), ("cuda:01",),
           (" cuda",), ("CUDA",), ("cuda:0:1",), ("cuda:",), ("",), ("cuda0",), (None,),
           (1.5,), ({},), ("cuda", "0"), ("cuda", 1.5), ("cuda", True), (0, 1), (0,), ()]


@pytest.mark.parametrize("args", INVALID, ids=str)
def test_device_construction_errors(args):
    same_error(lambda: ember.device(*args), lambda: torch.device(*args))


def test_device_keywords_and_equality():
    assert ember.device(type="cuda", index=1) == ember.device("cuda:1")
    assert repr(ember.device(type="cuda", index=2)) == repr(torch.device(type="cuda", index=2))
    for a, b in [("cpu", "cpu"), ("cuda", "cuda:0"), ("cuda:0", "cuda:0"), ("cpu", "cpu:0")]:
        assert (ember.device(a) == ember.device(b)) == (torch.device(a) == torch.device(b))
    # as in PyTorch a device never equals a string, an int or None
    for other in ["cpu", "cuda", 1, None]:
        e, t = ember.device("cpu") == other, torch.device("cpu") == other
        assert e is t is False
        assert (other == ember.device("cpu")) is False
    assert ember.device("cpu") != ember.device("cuda")
    assert len({ember.device("cpu"), ember.device("cpu"), ember.device("cuda:0")}) == 2
    assert {ember.device("cpu"): 1}[ember.device("cpu")] == 1
    assert repr(type(ember.device("cpu"))) == repr(type(torch.device("cpu"))).replace(
        "torch", "ember")
    assert isinstance(ember.device("cpu"), ember.device)


def test_device_is_immutable_and_pickles():
    d = ember.device("cuda:1")
    for name in ("type", "index"):
        with pytest.raises(AttributeError) as e:
            setattr(d, name, "x")
        with pytest.raises(AttributeError) as t:
            setattr(torch.device("cuda:1"), name, "x")
        same_text(e.value, t.value)
    for dev in ("cpu", "cuda:1", "cuda", "mps"):
        back = pickle.loads(pickle.dumps(ember.device(dev)))
        assert back == ember.device(dev) and repr(back) == repr(torch.device(dev))


# -- tensors on the CPU ------------------------------------------------------------------------
def test_tensor_device_attributes():
    e, t = both(lambda lib: lib.ones(2))
    assert repr(e.device) == repr(t.device) == "device(type='cpu')"
    assert e.device == ember.device("cpu")
    for name in ("is_cuda", "is_cpu", "is_mps", "is_meta", "is_xpu"):
        assert getattr(e, name) is getattr(t, name), name
    assert e.get_device() == t.get_device() == -1
    assert e.is_pinned() is t.is_pinned() is False
    same_error(e.pin_memory, t.pin_memory)


TO_CALLS = [
    ("cpu", lambda lib, x: x.to("cpu")),
    ("cpu_nb", lambda lib, x: x.to("cpu", non_blocking=True)),
    ("device", lambda lib, x: x.to(lib.device("cpu"))),
    ("device_kw", lambda lib, x: x.to(device="cpu")),
    ("cpu0", lambda lib, x: x.to("cpu:0")),
    ("none", lambda lib, x: x.to(None)),
    ("nothing", lambda lib, x: x.to()),
    ("cpu_none", lambda lib, x: x.to("cpu", None)),
    ("dev_dtype", lambda lib, x: x.to(lib.device("cpu"), lib.float64)),
    ("str_dtype", lambda lib, x: x.to("cpu", lib.float64)),
    ("dev_dtype_kw", lambda lib, x: x.to("cpu", dtype=lib.float64)),
    ("kw_both", lambda lib, x: x.to(device="cpu", dtype=lib.int32)),
    ("none_dtype", lambda lib, x: x.to(None, lib.float64)),
    ("dtype", lambda lib, x: x.to(lib.float16)),
    ("dtype_flags", lambda lib, x: x.to(lib.float64, True, True)),
    ("dev_flags", lambda lib, x: x.to("cpu", lib.float64, False, True)),
    ("other", lambda lib, x: x.to(lib.ones(1, dtype=lib.int32))),
    ("other_copy", lambda lib, x: x.to(lib.ones(1), copy=True)),
    ("same_copy", lambda lib, x: x.to(lib.float32, copy=True)),
    ("copy_only", lambda lib, x: x.to(copy=True)),
    ("cpu_copy", lambda lib, x: x.to("cpu", copy=True)),
    ("py_float", lambda lib, x: x.to(float)),
    ("py_int", lambda lib, x: x.to(int)),
    ("py_bool", lambda lib, x: x.to(bool)),
    ("cpu_method", lambda lib, x: x.cpu()),
    ("cpu_method_fmt", lambda lib, x: x.cpu(memory_format=None)),
]


@pytest.mark.parametrize("name,fn", TO_CALLS, ids=[n for n, _ in TO_CALLS])
def test_to(name, fn):
    xe = ember.tensor([1.5, -2.0, 3.25], requires_grad=True)
    xt = torch.tensor([1.5, -2.0, 3.25], requires_grad=True)
    e, t = fn(ember, xe), fn(torch, xt)
    assert_same(e, t)
    assert (e is xe) == (t is xt)  # to() returns self when nothing changes
    assert e.requires_grad == t.requires_grad
    e_fn = None if e.grad_fn is None else type(e.grad_fn).__name__
    t_fn = None if t.grad_fn is None else type(t.grad_fn).__name__
    assert e_fn == t_fn
    if t.requires_grad:
        e.sum().backward()
        t.sum().backward()
        assert_same(xe.grad, xt.grad)


TO_ERRORS = [
    lambda lib, x: x.to([1]),
    lambda lib, x: x.to(lib.float64, "cpu"),
    lambda lib, x: x.to(x, lib.float64),
    lambda lib, x: x.to(x, "cpu"),
    lambda lib, x: x.to("cpu", "cpu"),
    lambda lib, x: x.to(lib.float64, lib.float32),
    lambda lib, x: x.to(lib.float64, device="cpu"),
    lambda lib, x: x.to(lib.float64, dtype=lib.float32),
    lambda lib, x: x.to("cpu", lib.float64, 1),
    lambda lib, x: x.to(device=1.5),
    lambda lib, x: x.to("foo"),
    lambda lib, x: x.to("float64"),
    lambda lib, x: x.to(0),
]


@pytest.mark.parametrize("i", range(len(TO_ERRORS)))
def test_to_errors(i):
    fn = TO_ERRORS[i]
    same_error(lambda: fn(ember, ember.ones(2)), lambda: fn(torch, torch.ones(2)))


# -- "cuda" on a machine without it ------------------------------------------------------------
FACTORIES = {
    "tensor": lambda lib, **k: lib.tensor([1.0, 2.0], **k),
    "as_tensor": lambda lib, **k: lib.as_tensor([1.0, 2.0], **k),
    "zeros": lambda lib, **k: lib.zeros(2, 3, **k),
    "ones": lambda lib, **k: lib.ones((2,), **k),
    "empty": lambda lib, **k: lib.empty(2, **k).zero_(),
    "full": lambda lib, **k: lib.full((2,), 7.0, **k),
    "arange": lambda lib, **k: lib.arange(5, **k),
    "linspace": lambda lib, **k: lib.linspace(0, 1, 5, **k),
    "logspace": lambda lib, **k: lib.logspace(0, 1, 3, **k),
    "eye": lambda lib, **k: lib.eye(3, **k),
    "rand": lambda lib, **k: lib.rand(2, **k),
    "randn": lambda lib, **k: lib.randn(2, 2, **k),
    "randint": lambda lib, **k: lib.randint(0, 5, (4,), **k),
    "randperm": lambda lib, **k: lib.randperm(5, **k),
}
LIKE = {
    "zeros_like": lambda lib, x, **k: lib.zeros_like(x, **k),
    "ones_like": lambda lib, x, **k: lib.ones_like(x, **k),
    "empty_like": lambda lib, x, **k: lib.empty_like(x, **k).zero_(),
    "full_like": lambda lib, x, **k: lib.full_like(x, 3, **k),
    "rand_like": lambda lib, x, **k: lib.rand_like(x, **k),
    "randn_like": lambda lib, x, **k: lib.randn_like(x, **k),
    "randint_like": lambda lib, x, **k: lib.randint_like(x, 5, **k),
    "new_tensor": lambda lib, x, **k: x.new_tensor([1, 2], **k),
    "new_zeros": lambda lib, x, **k: x.new_zeros(2, **k),
    "new_ones": lambda lib, x, **k: x.new_ones((2,), **k),
    "new_empty": lambda lib, x, **k: x.new_empty(2, **k).zero_(),
    "new_full": lambda lib, x, **k: x.new_full((2,), 4, **k),
    "normal": lambda lib, x, **k: lib.normal(0.0, 1.0, (2,), **k),
}


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("dev", ["cuda", "cuda:0", "cuda:1"])
def test_factories_refuse_cuda(name, dev):
    fn = FACTORIES[name]
    exc = same_error(lambda: fn(ember, device=dev), lambda: fn(torch, device=dev))
    assert type(exc) is AssertionError and "ember.cuda.is_available()" in exc.__notes__[0]


@pytest.mark.parametrize("name", list(FACTORIES) + list(LIKE))
def test_factories_accept_cpu(name):
    for dev in ("cpu", "cpu:0", None):
        kw = {} if dev is None else {"device": dev}
        if name in FACTORIES:
            ember.manual_seed(3)
            torch.manual_seed(3)
            e, t = FACTORIES[name](ember, **kw), FACTORIES[name](torch, **kw)
        else:
            ember.manual_seed(3)
            torch.manual_seed(3)
            e = LIKE[name](ember, ember.ones(2, dtype=ember.float64), **kw)
            t = LIKE[name](torch, torch.ones(2, dtype=torch.float64), **kw)
        assert_same(e, t)
        assert repr(e.device) == repr(t.device) == "device(type='cpu')"
    ember.manual_seed(3)
    torch.manual_seed(3)
    e = FACTORIES["zeros"](ember, device=ember.device("cpu"))
    t = FACTORIES["zeros"](torch, device=torch.device("cpu"))
    assert_same(e, t)


@pytest.mark.parametrize("name", LIKE)
def test_like_and_new_refuse_cuda(name):
    fn = LIKE[name]
    same_error(lambda: fn(ember, ember.ones(2), device="cuda"),
               lambda: fn(torch, torch.ones(2), device="cuda"))


def test_other_backends():
    t, e = torch.ones(2), ember.ones(2)
    # a copy to a backend PyTorch was not linked with
    for dev in ("mps", "xla", "ipu", "hip", "vulkan"):
        same_error(lambda: e.to(dev), lambda: t.to(dev))
        same_error(lambda: ember.tensor([1.0], device=dev), lambda: torch.tensor([1.0], device=dev))
    # XPU and MTIA fail like CUDA; hpu's module is missing
    for dev in ("xpu", "mtia", "hpu"):
        same_error(lambda: e.to(dev), lambda: t.to(dev))
        same_error(lambda: ember.zeros(2, device=dev), lambda: torch.zeros(2, device=dev))
    same_error(e.xpu, t.xpu)
    # a factory on a backend without kernels: PyTorch's message continues with a long list of
    # its build's kernels, which ember leaves out
    for dev, op, fn in (("mps", "empty.memory_format", lambda lib, x: lib.zeros(2, device="mps")),
                        ("xla", "empty_strided", lambda lib, x: lib.ones_like(x, device="xla")),
                        ("lazy", "empty.memory_format", lambda lib, x: x.to("lazy"))):
        with pytest.raises(NotImplementedError) as te:
            fn(torch, t)
        with pytest.raises(NotImplementedError) as ee:
            fn(ember, e)
        assert f"Could not run 'aten::{op}'" in str(ee.value)
        assert str(te.value).startswith(str(ee.value))


def test_tensor_methods_refuse_cuda():
    t, e = torch.ones(2), ember.ones(2)
    calls = [
        lambda x: x.cuda(),
        lambda x: x.cuda(non_blocking=True),
        lambda x: x.cuda("cuda:0"),
        lambda x: x.cuda(device="cuda"),
        lambda x: x.cuda(0),
        lambda x: x.cuda("cpu"),
        lambda x: x.to("cuda"),
        lambda x: x.to("cuda:1"),
        lambda x: x.to(type(x.device)("cuda")),
        lambda x: x.to("cuda", non_blocking=True),
        lambda x: x.to("cuda", x.dtype),
        lambda x: x.to(device="cuda"),
    ]
    for fn in calls:
        same_error(lambda: fn(e), lambda: fn(t))
    exc = same_error(e.cuda, t.cuda)
    assert "ember computes on the CPU" in exc.__notes__[0]


def test_cuda_module():
    assert ember.cuda.is_available() is torch.cuda.is_available() is False
    assert ember.cuda.device_count() == torch.cuda.device_count() == 0
    assert ember.cuda.is_initialized() is torch.cuda.is_initialized()
    assert ember.cuda.is_bf16_supported() is torch.cuda.is_bf16_supported()
    assert ember.cuda.get_arch_list() == torch.cuda.get_arch_list()
    assert ember.cuda.get_rng_state_all() == torch.cuda.get_rng_state_all()
    for name in ("manual_seed", "manual_seed_all"):
        assert getattr(ember.cuda, name)(0) is getattr(torch.cuda, name)(0) is None
    for name in ("seed", "seed_all", "empty_cache"):
        assert getattr(ember.cuda, name)() is getattr(torch.cuda, name)() is None
    for name in ("memory_allocated", "max_memory_allocated", "memory_reserved"):
        assert getattr(ember.cuda, name)() == getattr(torch.cuda, name)() == 0
    for name in ("current_device", "synchronize", "get_device_name", "get_device_properties",
                 "get_device_capability", "init", "initial_seed", "get_rng_state",
                 "mem_get_info"):
        args = (0,) if name == "get_device_properties" else ()
        same_error(lambda: getattr(ember.cuda, name)(*args),
                   lambda: getattr(torch.cuda, name)(*args))
    # old scripts: dtype = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor
    assert repr(ember.cuda.FloatTensor) == repr(torch.cuda.FloatTensor).replace("torch", "ember")
    assert isinstance(ember.ones(1), ember.cuda.FloatTensor) is False
    for name in ("FloatTensor", "LongTensor", "DoubleTensor", "ByteTensor"):
        same_error(lambda: getattr(ember.cuda, name)([1]), lambda: getattr(torch.cuda, name)([1]))
        same_error(lambda: getattr(ember.cuda, name)(2), lambda: getattr(torch.cuda, name)(2))


def test_accelerator_and_backends():
    assert ember.accelerator.is_available() is torch.accelerator.is_available() is False
    assert ember.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert ember.accelerator.current_accelerator(True) is None
    assert ember.accelerator.device_count() == torch.accelerator.device_count() == 0
    same_error(ember.accelerator.current_device_index, torch.accelerator.current_device_index)
    same_error(ember.accelerator.synchronize, torch.accelerator.synchronize)
    same_error(lambda: ember.accelerator.set_device_index(0),
               lambda: torch.accelerator.set_device_index(0))
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.mps.is_built() is torch.backends.mps.is_built() is False
    assert ember.backends.cuda.is_built() is torch.backends.cuda.is_built() is False
    assert ember.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert ember.backends.cudnn.version() is torch.backends.cudnn.version() is None
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(ember.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert ember.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    # setting the flags tutorials set is harmless
    ember.backends.cudnn.benchmark = True
    ember.backends.cudnn.benchmark = False


def test_generator_device():
    assert repr(ember.Generator(device="cpu").device) == repr(torch.Generator(device="cpu").device)
    same_error(lambda: ember.Generator(device="cuda"), lambda: torch.Generator(device="cuda"))


def test_bad_device_arguments():
    for fn in (lambda lib: lib.zeros(2, device=1.5), lambda lib: lib.ones(2, device=[1]),
               lambda lib: lib.tensor([1.0], device=1.5),
               lambda lib: lib.zeros_like(lib.ones(1), device=1.5),
               lambda lib: lib.ones(1).new_zeros(2, device=1.5),
               lambda lib: lib.zeros(2, device="foo"), lambda lib: lib.zeros(2, device="cuda:x"),
               lambda lib: lib.zeros(2, device=0), lambda lib: lib.tensor([1], device=0)):
        same_error(lambda: fn(ember), lambda: fn(torch))


# -- the default device ------------------------------------------------------------------------
DEFAULT_FOLLOWERS = ["tensor", "as_tensor", "zeros", "ones", "empty", "full", "arange",
                     "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm"]
# PyTorch's *_like, new_*, legacy constructors and copies keep their input's device
DEFAULT_IGNORERS = {
    "zeros_like": lambda lib, x: lib.zeros_like(x),
    "rand_like": lambda lib, x: lib.rand_like(x),
    "new_zeros": lambda lib, x: x.new_zeros(2),
    "new_tensor": lambda lib, x: x.new_tensor([3.0]),
    "FloatTensor": lambda lib, x: lib.FloatTensor([1.0, 2.0]),
    "Tensor": lambda lib, x: lib.Tensor([1.0]),
    "from_numpy": lambda lib, x: lib.from_numpy(np.ones(2)),
    "clone": lambda lib, x: x.clone(),
    "add": lambda lib, x: x + 1,
    "to": lambda lib, x: x.to(lib.float64),
    "stack": lambda lib, x: lib.stack([x, x]),
    "explicit_cpu": lambda lib, x: lib.zeros(2, device="cpu"),
    "normal": lambda lib, x: lib.normal(0.0, 1.0, (2,)),
}


def test_default_device_cuda():
    assert repr(ember.get_default_device()) == repr(torch.get_default_device())
    xe, xt = ember.ones(2), torch.ones(2)
    ember.set_default_device("cuda")
    torch.set_default_device("cuda")
    same_error(ember.get_default_device, torch.get_default_device)
    for name in DEFAULT_FOLLOWERS:
        fn = FACTORIES[name]
        same_error(lambda: fn(ember), lambda: fn(torch))
    for name, fn in DEFAULT_IGNORERS.items():
        ember.manual_seed(0)
        torch.manual_seed(0)
        assert_same(fn(ember, xe), fn(torch, xt))
    # nn layers create their parameters with factories, so they fail too
    same_error(lambda: ember.nn.Linear(2, 2), lambda: torch.nn.Linear(2, 2))
    ember.set_default_device(None)
    torch.set_default_device(None)
    assert repr(ember.get_default_device()) == repr(torch.get_default_device())
    assert_same(ember.zeros(2), torch.zeros(2))


def test_set_default_device_values():
    for dev in ("cpu", "cpu:0", ember.device("cpu")):
        ember.set_default_device(dev)
        torch.set_default_device(str(dev))
        assert repr(ember.get_default_device()) == repr(torch.get_default_device())
        assert_same(ember.ones(2), torch.ones(2))
    for bad in ("foo", 0, 1.5):
        same_error(lambda: ember.set_default_device(bad), lambda: torch.set_default_device(bad))
        assert repr(ember.get_default_device()) == repr(torch.get_default_device())


def test_default_device_is_per_thread_and_a_context():
    ember.set_default_device("cuda")
    seen = []
    th = threading.Thread(target=lambda: seen.append(ember.get_default_device()))
    th.start()
    th.join()
    assert repr(seen[0]) == "device(type='cpu')"
    ember.set_default_device(None)

    def block(lib):
        with lib.device("cuda"):
            lib.zeros(2)

    same_error(lambda: block(ember), lambda: block(torch))
    assert repr(ember.get_default_device()) == repr(torch.get_default_device())
    with ember.device("cpu") as d:
        assert d == ember.device("cpu") and ember.get_default_device() == d
    assert ember.get_default_device() == ember.device("cpu")


# -- nn.Module.to / cuda / cpu -----------------------------------------------------------------
def _pair():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    em = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    return em, tm


MODULE_TO = [
    lambda lib, m: m.to("cpu"),
    lambda lib, m: m.to(lib.device("cpu")),
    lambda lib, m: m.to("cpu", non_blocking=True),
    lambda lib, m: m.to(device="cpu"),
    lambda lib, m: m.to("cpu", lib.float64),
    lambda lib, m: m.to(lib.device("cpu"), dtype=lib.float64),
    lambda lib, m: m.to(lib.float64),
    lambda lib, m: m.to(dtype=lib.float64),
    lambda lib, m: m.to(lib.ones(1, dtype=lib.float64)),
    lambda lib, m: m.to(),
    lambda lib, m: m.cpu(),
    lambda lib, m: m.double().to("cpu", lib.float32),
]


@pytest.mark.parametrize("i", range(len(MODULE_TO)))
def test_module_to(i):
    em, tm = _pair()
    re, rt = MODULE_TO[i](ember, em), MODULE_TO[i](torch, tm)
    assert re is em and rt is tm
    for (ke, ve), (kt, vt) in zip(em.state_dict().items(), tm.state_dict().items()):
        assert ke == kt
        assert_same(ve, vt)
    assert repr(em) == repr(tm)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    dt = next(tm.parameters()).dtype
    xt = torch.tensor(x, dtype=dt)
    xe = ember.tensor(x, dtype=getattr(ember, str(dt).split(".")[1]))
    assert_same(em(xe), tm(xt), rtol=1e-5, atol=1e-6)


def test_module_to_errors():
    em, tm = _pair()
    calls = [lambda lib, m: m.cuda(), lambda lib, m: m.cuda(0), lambda lib, m: m.to("cuda"),
             lambda lib, m: m.to(device="cuda"), lambda lib, m: m.to(0),
             lambda lib, m: m.to("cuda", lib.float64), lambda lib, m: m.to(lib.device("cuda")),
             lambda lib, m: m.to(lib.int64), lambda lib, m: m.to("foo"),
             lambda lib, m: m.xpu(), lambda lib, m: m.to("mps")]
    for fn in calls:
        same_error(lambda: fn(ember, em), lambda: fn(torch, tm))
    # nothing moved or changed
    assert all(p.dtype == ember.float32 for p in em.parameters())


# -- a tutorial that picks its device ----------------------------------------------------------
TUTORIAL = '''
print(torch.cuda.is_available(), torch.cuda.device_count(), torch.backends.mps.is_available(),
      torch.accelerator.is_available(), torch.accelerator.current_accelerator())
device = (torch.accelerator.current_accelerator().type if torch.accelerator.is_available()
          else "cpu")
print(f"Using {device} device")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, repr(device), torch.get_default_device())
if torch.cuda.is_available():
    torch.cuda.manual_seed_all(0)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(device)
print(model)
x = torch.linspace(-1, 1, 12).reshape(4, 3).to(device)
y = torch.tensor([[1.0], [0.0], [1.0], [0.5]], device=device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.MSELoss()
for step in range(5):
    pred = model(x)
    loss = loss_fn(pred, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.6f}", pred.device, loss.is_cuda)
out = model(x).detach().cpu()
print(out.device, tuple(out.shape), x.to(device, torch.float64).is_cuda)
print(out)
print(next(model.parameters()).device, model[0].weight.is_cuda)
dtype = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.FloatTensor
print(repr(torch.zeros(2).type(dtype)))
use_cuda = torch.cuda.is_available()
z = torch.randn(3)
if use_cuda:
    z = z.cuda()
print(z, z.device)
'''


def test_tutorial_takes_the_cpu_branch():
    outputs = []
    for lib in (torch, ember):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(TUTORIAL, {"torch": lib, "nn": lib.nn})
        outputs.append(buf.getvalue())
    assert outputs[1] == outputs[0]
    assert "Using cpu device" in outputs[0] and "0 " in outputs[0]


# -- whole pickled modules ---------------------------------------------------------------------
_MARKER = []


def _ran(what):
    _MARKER.append(what)


class _Evil:
    def __reduce__(self):
        return (_ran, ("ran",))


def test_torch_saved_module_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    tm = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    torch.save(tm, path)
    with pytest.raises(pickle.UnpicklingError) as t:
        torch.load(path)
    with pytest.raises(pickle.UnpicklingError) as e:
        ember.load(path)
    assert isinstance(e.value, type(t.value))  # the same exception type as PyTorch
    assert isinstance(e.value, ValueError)  # and, like every refused file, a ValueError
    for part in ("Weights only load failed.", "Unsupported global: GLOBAL "
                 "torch.nn.modules.container.Sequential was not an allowed global by default."):
        assert part in str(e.value) and part in str(t.value)
    assert "model.load_state_dict(ember.load(path))" in e.value.__notes__[0]
    # an optimizer, and a class whose unpickling runs code: refused, nothing runs
    opt = torch.optim.SGD(tm.parameters(), lr=0.1)
    torch.save(opt, tmp_path / "opt.pt")
    with pytest.raises(pickle.UnpicklingError, match="torch.optim.sgd.SGD"):
        ember.load(tmp_path / "opt.pt")
    torch.save({"w": torch.ones(2), "x": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError):
        ember.load(tmp_path / "evil.pt")
    assert _MARKER == []
    pickle.loads(pickle.dumps(_Evil()))  # the payload is live
    assert _MARKER == ["ran"]
    _MARKER.clear()


def test_the_state_dict_way_works_across_libraries(tmp_path):
    tm = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    torch.save(tm.state_dict(), tmp_path / "w.pt")
    em = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
    res = em.load_state_dict(ember.load(tmp_path / "w.pt"))
    assert repr(res) == "<All keys matched successfully>"
    x = [[0.5, -1.0], [2.0, 0.25]]
    assert_same(em(ember.tensor(x)), tm(torch.tensor(x)), rtol=1e-6, atol=1e-6)
    ember.save(em.state_dict(), tmp_path / "e.pt")
    em2 = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
    em2.load_state_dict(ember.load(tmp_path / "e.pt"))
    assert_same(em2(ember.tensor(x)), tm(torch.tensor(x)), rtol=1e-6, atol=1e-6)


def test_ember_save_of_a_module_is_refused(tmp_path):
    em = ember.nn.Linear(2, 2)
    for obj in (em, {"model": em}, [ember.optim.SGD(em.parameters(), lr=0.1)]):
        with pytest.raises(TypeError, match="ember never pickles") as e:
            ember.save(obj, tmp_path / "m.pt")
        assert "ember.save(model.state_dict(), path)" in e.value.__notes__[0]
    assert not (tmp_path / "m.pt").exists()


# -- matplotlib --------------------------------------------------------------------------------
@pytest.fixture
def plt():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_matplotlib_plots_tensors(plt):
    data = {}
    for lib in (torch, ember):
        x = lib.linspace(-2, 2, 9)
        y = x ** 2 - 1
        (line,) = plt.plot(x, y)
        (line2,) = plt.plot(lib.tensor([3, 1, 2]))
        sc = plt.scatter(x, lib.sin(x))
        im = plt.imshow(lib.arange(6.0).reshape(2, 3))
        (detached,) = plt.plot(lib.ones(3, requires_grad=True).detach() * 2)
        data[lib] = [line.get_xydata(), line2.get_xydata(), np.asarray(sc.get_offsets()),
                     np.asarray(im.get_array()), detached.get_xydata()]
        plt.close("all")
    for e, t in zip(data[ember], data[torch]):
        assert e.shape == t.shape
        np.testing.assert_allclose(e, t, rtol=1e-6)
    np.testing.assert_allclose(data[ember][0][:, 1], np.linspace(-2, 2, 9) ** 2 - 1, atol=1e-6)


def test_matplotlib_refuses_tensors_that_require_grad(plt):
    def calls(lib):
        w = lib.ones(3, requires_grad=True)
        x = lib.arange(3.0)
        return [lambda: plt.plot(w), lambda: plt.plot(x, w * 2), lambda: plt.scatter(x, w),
                lambda: plt.imshow(w.reshape(1, 3))]

    for fe, ft in zip(calls(ember), calls(torch)):
        exc = same_error(fe, ft)
        assert "detach()" in exc.__notes__[0]
