"""Names as PyTorch prints them: under the torch alias (``ember run``, install_torch_alias())
everything a script prints or inspects says ``torch``, exactly as PyTorch does; with a plain
``import ember`` the same things say ``ember``.

Each probe runs in a fresh interpreter three ways: on the real PyTorch, on ember under
``ember run`` (the alias), and on ember imported plainly. The library is the probe's argument,
so one text serves all three.
"""

import os
import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ember
from ember import _names

EMBER_SRC = str(Path(ember.__file__).resolve().parents[1])

_HAS_TORCH = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True,
                            timeout=120).returncode == 0
needs_torch = pytest.mark.skipif(not _HAS_TORCH, reason="needs the real PyTorch as the oracle")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([EMBER_SRC, *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONSTARTUP", None)
    return env


def _run(argv, cwd):
    r = subprocess.run(argv, capture_output=True, text=True, env=_env(), cwd=cwd, timeout=300)
    assert r.returncode == 0, r.stderr
    # object addresses differ from run to run
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", r.stdout).splitlines()


def run_probe(tmp_path, code, mode, *args):
    """``mode``: 'torch' (the real PyTorch), 'alias' (``ember run``), 'plain' (import ember)."""
    script = tmp_path / f"probe_{mode}.py"
    script.write_text(textwrap.dedent(code))
    if mode == "torch":
        return _run([sys.executable, str(script), "torch", *args], tmp_path)
    if mode == "alias":
        return _run([sys.executable, "-m", "ember", "run", str(script), "torch", *args], tmp_path)
    return _run([sys.executable, str(script), "ember", *args], tmp_path)


def as_ember(lines):
    return [line.replace("torch", "ember") for line in lines]


# -- reprs and types --------------------------------------------------------------------------
REPRS = """
    import importlib, sys, warnings
    LIB = sys.argv[1]
    torch = importlib.import_module(LIB)
    nn = importlib.import_module(LIB + ".nn")
    optim = importlib.import_module(LIB + ".optim")
    data = importlib.import_module(LIB + ".utils.data")

    t = torch.ones(2, 3)
    print(type(t), t.shape, type(t.shape), t.dtype, type(t.dtype), torch.int64)
    print(t.device, repr(t.device), type(t.device), torch.device("cpu"))
    print(t.type(), torch.ones(2, dtype=torch.int64).type(), t.double().type())
    print(torch.tensor([1.5, 2.0], dtype=torch.float64))
    print(torch.tensor([1, 2], dtype=torch.int32), torch.zeros(2, dtype=torch.float16))
    print(torch.Size([2, 3]), repr(torch.Size([])), torch.Size([4]).numel())
    g = torch.Generator()
    print(g, type(g), torch.Generator)
    print(torch.contiguous_format, torch.channels_last, type(torch.preserve_format))
    print(type(torch.finfo(torch.float32)), type(torch.iinfo(torch.int8)))
    print(torch.Tensor, torch.Size, torch.dtype, torch.device, torch.FloatTensor)
    print(torch.Tensor.__module__, torch.Size.__module__, torch.dtype.__module__,
          torch.device.__module__, torch.Generator.__module__)
    r = torch.tensor([[1.0, 3.0], [2.0, 0.0]]).max(0)
    print(type(r), torch.return_types.max)
    print(r)
    print(type(torch.tensor([3.0, 1.0]).sort()))

    lin = nn.Linear(2, 3)
    print(type(lin), type(lin.weight), nn.Sequential, nn.ReLU, nn.CrossEntropyLoss,
          nn.Conv2d, nn.LSTM, nn.Embedding, nn.ModuleList, nn.Dropout)
    print(nn.Parameter(torch.zeros(2, dtype=torch.float64)))
    print(nn.Linear.forward.__module__, nn.Module.__module__, nn.Parameter.__module__)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    print(type(opt), optim.Adam, optim.AdamW, optim.Optimizer, optim.RMSprop)
    sched = optim.lr_scheduler.StepLR(opt, 1)
    print(type(sched), optim.lr_scheduler.LambdaLR, optim.lr_scheduler.ReduceLROnPlateau)
    ds = data.TensorDataset(torch.ones(4, 2))
    loader = data.DataLoader(ds, batch_size=2)
    print(type(ds), type(loader), data.Dataset, data.Subset)
    print(type(loader.sampler), type(loader.batch_sampler))

    x = torch.ones(2, requires_grad=True)
    y = x * 2
    print(type(y.grad_fn), y.grad_fn.name(), type(y.grad_fn.next_functions[0][0]))
    print(type(x.exp().grad_fn), type(x.sum().grad_fn), type(x[0].grad_fn),
          type(x.view(2).grad_fn), type(torch.mm(x[None], x[:, None]).grad_fn))
    print(y)

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.exp()

        @staticmethod
        def backward(ctx, g):
            return g

    print(type(Exp.apply(x).grad_fn), type(Exp.apply(x).grad_fn).__module__)
    print(torch.no_grad, torch.enable_grad, torch.autograd.Function, torch.autograd.Variable)
    print(torch.autograd.graph.Node, torch.autograd.forward_ad.dual_level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        print(type(torch.cuda.FloatTensor), torch.cuda.FloatTensor)
    func = importlib.import_module(LIB + ".func")
    func.vmap(lambda v: print("in vmap", type(v), v.shape) or v)(torch.ones(3, 2))
    func.grad(lambda v: print("in grad", type(v), v.shape) or v.sum())(torch.ones(2))
"""


@needs_torch
def test_reprs_and_types_under_the_alias_match_pytorch(tmp_path):
    expected = run_probe(tmp_path, REPRS, "torch")
    assert run_probe(tmp_path, REPRS, "alias") == expected


@needs_torch
def test_reprs_and_types_plainly_say_ember(tmp_path):
    expected = as_ember(run_probe(tmp_path, REPRS, "torch"))
    assert run_probe(tmp_path, REPRS, "plain") == expected


# -- __module__ and __qualname__ of public names ------------------------------------------------
NAMES = """
    Tensor Size dtype device Generator finfo iinfo add relu tensor zeros ones randn matmul where
    cat stack no_grad enable_grad set_grad_enabled inference_mode is_tensor numel
    from_numpy get_default_dtype set_default_dtype abs exp sum mean softmax arange compile
    manual_seed save load einsum split nn.BatchNorm2d nn.MultiheadAttention
    nn.Linear nn.Module nn.Parameter nn.Sequential nn.ReLU nn.CrossEntropyLoss nn.Conv2d
    nn.LSTM nn.Embedding nn.Dropout nn.MSELoss nn.ModuleList nn.LayerNorm nn.Flatten nn.GRU
    nn.Identity nn.TransformerEncoderLayer nn.ModuleDict nn.GELU
    nn.init.xavier_uniform_ nn.init.kaiming_normal_ nn.init.zeros_
    nn.functional.relu nn.functional.linear nn.functional.conv2d nn.functional.cross_entropy
    nn.functional.softmax nn.functional.gelu nn.functional.dropout nn.functional.pad
    nn.functional.mse_loss nn.functional.log_softmax nn.functional.embedding
    nn.functional.interpolate nn.functional.one_hot nn.functional.scaled_dot_product_attention
    nn.utils.clip_grad_norm_ nn.utils.parameters_to_vector
    optim.SGD optim.Adam optim.AdamW optim.Optimizer optim.RMSprop optim.Adagrad
    optim.lr_scheduler.StepLR optim.lr_scheduler.LambdaLR optim.lr_scheduler.CosineAnnealingLR
    optim.lr_scheduler.ReduceLROnPlateau optim.lr_scheduler.OneCycleLR
    utils.data.DataLoader utils.data.Dataset utils.data.TensorDataset utils.data.random_split
    utils.data.Subset utils.data.RandomSampler utils.data.default_collate
    utils.data.get_worker_info
    linalg.solve linalg.norm linalg.inv linalg.det linalg.svd linalg.qr linalg.eigh
    linalg.cholesky linalg.matrix_norm linalg.vector_norm
    fft.fft fft.rfft fft.ifft fft.fftfreq fft.fftshift
    autograd.grad autograd.backward autograd.Function autograd.Variable autograd.gradcheck
    autograd.functional.jacobian autograd.functional.hessian autograd.forward_ad.dual_level
    autograd.forward_ad.make_dual autograd.graph.Node
    func.grad func.vmap func.jacrev func.jacfwd func.hessian func.functional_call func.vjp
    func.jvp cuda.is_available cuda.device_count
"""

MODULES = """
    import importlib, sys
    LIB = sys.argv[1]
    torch = importlib.import_module(LIB)
    for sub in ("nn", "nn.functional", "nn.init", "nn.utils", "optim", "optim.lr_scheduler",
                "utils.data", "linalg", "fft", "func", "autograd.functional",
                "autograd.forward_ad", "autograd.graph", "cuda"):
        importlib.import_module(LIB + "." + sub)
    for name in sys.argv[2].split():
        obj = torch
        for part in name.split("."):
            obj = getattr(obj, part)
        print(name, obj.__module__, obj.__qualname__)
"""

# PyTorch's C++ functions carry the names of their bindings (``_VariableFunctionsClass.add``
# in ``torch``, ``linalg_solve`` in ``torch._C._linalg``); ember's Python functions are found
# where the user finds them, by their public name (so that they pickle too)
_C_HOMES = {"torch._C._nn": "torch.nn.functional", "torch._C._linalg": "torch.linalg",
            "torch._C._fft": "torch.fft", "torch._C._special": "torch.special"}

# where ember's layout differs from PyTorch's; each entry says what ember gives
KNOWN = {
    # ember has no torch.utils.data._utils package: its helpers are found in the namespace
    "utils.data.default_collate": ("torch.utils.data", "default_collate"),
    "utils.data.get_worker_info": ("torch.utils.data", "get_worker_info"),
    # nor torch.random, torch.functional or a torch.serialization.save that is torch.save:
    # these live in the namespace
    "manual_seed": ("torch", "manual_seed"),
    "einsum": ("torch", "einsum"),
    "split": ("torch", "split"),
    "save": ("torch", "save"),
    "load": ("torch", "load"),
    # ember's layers sit in other files of torch.nn.modules than PyTorch's
    "nn.BatchNorm2d": ("torch.nn.modules.normalization", "BatchNorm2d"),
    "nn.MultiheadAttention": ("torch.nn.modules.transformer", "MultiheadAttention"),
}


def _torch_names_normalized(lines):
    out = []
    for line in lines:
        name, module, qualname = line.split()
        if qualname.startswith("_VariableFunctionsClass."):
            qualname = qualname.split(".", 1)[1]
        if module in _C_HOMES:
            module = _C_HOMES[module]
            qualname = name.rsplit(".", 1)[1]
        if name in KNOWN:
            module, qualname = KNOWN[name]
        out.append(f"{name} {module} {qualname}")
    return out


@needs_torch
def test_module_and_qualname_of_public_names_match_pytorch(tmp_path):
    names = " ".join(NAMES.split())
    expected = _torch_names_normalized(run_probe(tmp_path, MODULES, "torch", names))
    got = run_probe(tmp_path, MODULES, "alias", names)
    assert got == expected
    assert run_probe(tmp_path, MODULES, "plain", names) == as_ember(expected)


def test_every_public_name_says_its_namespace_not_an_internal_module():
    # whatever ember.add (and every public function or class) is, it is not spelled with one
    # of ember's internal modules, which PyTorch users never see
    import ember.fft
    import ember.linalg
    import ember.nn.functional

    for ns in (ember, ember.nn.functional, ember.linalg, ember.fft, ember.autograd):
        for name, obj in vars(ns).items():
            if name.startswith("_") or not (isinstance(obj, type) or callable(obj)):
                continue
            where = getattr(obj, "__module__", None)
            if not isinstance(where, str) or not where.startswith("ember"):
                continue
            assert not where.startswith("ember.ops"), (ns.__name__, name, where)
            assert not re.search(r"\._(?!C$)", where), (ns.__name__, name, where)
            found = getattr(sys.modules[where], obj.__qualname__, None) \
                if where in sys.modules else None
            if where != "ember._C":
                assert found is obj, (ns.__name__, name, where, obj.__qualname__)


# -- error messages and hints -----------------------------------------------------------------
MISTAKES = r"""
    import importlib, io, sys, warnings
    LIB = sys.argv[1]
    torch = importlib.import_module(LIB)
    nn = importlib.import_module(LIB + ".nn")
    optim = importlib.import_module(LIB + ".optim")

    def mistake(label, fn):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fn()
        except Exception as exc:
            notes = " | ".join(getattr(exc, "__notes__", []))
            print(f"{label}: {type(exc).__name__}: {exc} || {notes}".replace("\n", " / "))
        else:
            texts = " | ".join(str(w.message) for w in caught)
            print(f"{label}: warned: {texts}".replace("\n", " / "))

    def backward_twice():
        x = torch.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    def inplace_on_saved():
        x = torch.ones(2, requires_grad=True)
        y = x.exp()
        z = y * 2
        y.add_(1)
        z.sum().backward()

    def set_param():
        m = nn.Linear(2, 2)
        m.weight = torch.ones(2, 2)

    def non_leaf_param():
        w = torch.randn(3, requires_grad=True) * 0.1
        optim.SGD([w], lr=0.1)

    def save_model():
        torch.save(nn.Linear(2, 2), io.BytesIO())

    def rng_state():
        torch.Generator().set_state(torch.zeros(3))

    mistake("int requires_grad", lambda: torch.tensor([1, 2]).requires_grad_())
    mistake("backward twice", backward_twice)
    mistake("in-place on saved", inplace_on_saved)
    mistake("cuda", lambda: torch.ones(2).to("cuda"))
    mistake("empty cat", lambda: torch.cat([]))
    mistake("to()", lambda: torch.ones(2).to(1.5))
    mistake("device attr", lambda: setattr(torch.device("cpu"), "type", "cuda"))
    mistake("device arg", lambda: torch.ones(2, device=1.5))
    mistake("parameter", set_param)
    mistake("non-leaf param", non_leaf_param)
    mistake("int mean", lambda: torch.arange(3).mean())
    mistake("save model", save_model)
    mistake("rng state", rng_state)
    mistake("x.T on 3-d", lambda: torch.ones(2, 2, 2).T)
    mistake("no attribute", lambda: torch.no_such_thing)
    mistake("nn no attribute", lambda: nn.NoSuchLayer)
    mistake("sum dim type", lambda: torch.ones(2).sum(dim=1.5))
    mistake("lstsq driver", lambda: torch.linalg.lstsq(torch.eye(2), torch.eye(2), driver="x"))
"""


def test_errors_and_hints_under_the_alias_never_say_ember_dot(tmp_path):
    lines = run_probe(tmp_path, MISTAKES, "alias")
    assert len(lines) == 18
    for line in lines:
        assert "ember." not in line, line


def test_errors_and_hints_plainly_say_ember(tmp_path):
    alias = run_probe(tmp_path, MISTAKES, "alias")
    plain = run_probe(tmp_path, MISTAKES, "plain")
    # every name the alias spells torch.xxx, a plain import spells ember.xxx (a hint that
    # speaks of PyTorch's own torch.load says so in both)
    assert plain == [re.sub(r"(?<!PyTorch's )torch\.", "ember.", line).replace("'torch'", "'ember'")
                     for line in alias]
    assert sum("ember." in line for line in plain) >= 12


@needs_torch
def test_error_texts_under_the_alias_are_pytorchs(tmp_path):
    def text(line):  # the exception's type and message, without ember's hints
        return line.split(" || ")[0]

    expected = {text(x) for x in run_probe(tmp_path, MISTAKES, "torch")}
    got = [text(x) for x in run_probe(tmp_path, MISTAKES, "alias")]
    same = [line for line in got if line in expected]
    # these messages are PyTorch's, word for word, including every torch.xxx name
    for label in ("empty cat", "device attr", "parameter", "backward twice", "no attribute",
                  "lstsq driver", "non-leaf param", "nn no attribute", "int requires_grad",
                  "in-place on saved", "rng state"):
        assert any(line.startswith(label + ":") for line in same), (label, got)


# -- pickling in both spellings -----------------------------------------------------------------
PICKLE = """
    import importlib, pickle, sys
    LIB, ACTION, PATH = sys.argv[1:4]
    torch = importlib.import_module(LIB)
    if ACTION == "dump":
        g = torch.Generator().manual_seed(3)
        objs = [torch.tensor([1.0, 2.0]), torch.Size([2, 3]), torch.float64, torch.int8,
                torch.device("cpu"), g, torch.nn.Parameter(torch.ones(2)), torch.bfloat16]
        with open(PATH, "wb") as f:
            pickle.dump(objs, f)
    else:
        with open(PATH, "rb") as f:
            objs = pickle.load(f)
        print(sys.modules.get("torch") is None or sys.modules["torch"] is torch)
        for o in objs:
            print(type(o), repr(o).replace("\\n", " "))
        print(torch.rand(2, generator=objs[5]).tolist() ==
              torch.rand(2, generator=torch.Generator().manual_seed(3)).tolist())
"""


@pytest.mark.parametrize("writer,reader", [("alias", "plain"), ("plain", "alias"),
                                           ("alias", "alias")])
def test_pickles_load_in_either_spelling(tmp_path, writer, reader):
    path = tmp_path / "objs.pkl"
    run_probe(tmp_path, PICKLE, writer, "dump", str(path))
    lines = run_probe(tmp_path, PICKLE, reader, "load", str(path))
    lib = "torch" if reader == "alias" else "ember"
    assert lines == [
        "True",
        f"<class '{lib}.Tensor'> tensor([1., 2.])",
        f"<class '{lib}.Size'> {lib}.Size([2, 3])",
        f"<class '{lib}.dtype'> {lib}.float64",
        f"<class '{lib}.dtype'> {lib}.int8",
        f"<class '{lib}.device'> device(type='cpu')",
        f"<class '{lib}._C.Generator'> <{lib}._C.Generator object at 0x?>",
        f"<class '{lib}.nn.parameter.Parameter'> Parameter containing: tensor([1., 1.], "
        "requires_grad=True)",
        f"<class '{lib}.dtype'> {lib}.bfloat16",
        "True",
    ]


SAVE = """
    import importlib, sys
    LIB, ACTION, PATH = sys.argv[1:4]
    torch = importlib.import_module(LIB)
    nn = importlib.import_module(LIB + ".nn")
    torch.manual_seed(0)
    model = nn.Linear(2, 3)
    if ACTION == "save":
        torch.save({"model": model.state_dict(), "x": torch.arange(4.0)}, PATH)
    else:
        ckpt = torch.load(PATH)
        model.load_state_dict(ckpt["model"])
        print(type(ckpt["x"]), ckpt["x"], sorted(ckpt["model"]))
        print(model(torch.ones(1, 2)).shape)
"""


@pytest.mark.parametrize("writer,reader", [("alias", "plain"), ("plain", "alias")])
def test_save_and_load_in_either_spelling(tmp_path, writer, reader):
    path = tmp_path / "ckpt.pt"
    run_probe(tmp_path, SAVE, writer, "save", str(path))
    lib = "torch" if reader == "alias" else "ember"
    assert run_probe(tmp_path, SAVE, reader, "load", str(path)) == [
        f"<class '{lib}.Tensor'> tensor([0., 1., 2., 3.]) ['bias', 'weight']",
        f"{lib}.Size([1, 3])",
    ]


# -- the mechanism itself ----------------------------------------------------------------------
def test_spell_is_the_identity_without_the_alias():
    assert _names.prefix == "ember"
    text = "call ember.autograd.grad, not myember.x; pip install ember[checkpoints]"
    assert _names.spell(text) is text


def test_spell_and_module_name_with_the_torch_prefix(monkeypatch):
    monkeypatch.setattr(_names, "prefix", "torch")
    assert _names.spell("use ember.tensor([1.0]) (ember runs on NumPy); see ember.nn.Linear") \
        == "use torch.tensor([1.0]) (ember runs on NumPy); see torch.nn.Linear"
    assert _names.spell("not myember.x nor file.ember.py") == "not myember.x nor file.ember.py"
    assert _names.module_name("ember.nn.modules.linear") == "torch.nn.modules.linear"
    assert _names.module_name("ember") == "torch"
    # internal and ember-only modules keep their names (pickles made under the alias load
    # without it)
    assert _names.module_name("ember.ops.elementwise") == "ember.ops.elementwise"
    assert _names.module_name("ember._tensor") == "ember._tensor"
    assert _names.module_name("ember.viz") == "ember.viz"


def test_plain_names_in_process():
    x = ember.ones(2, requires_grad=True)
    assert repr(type(x)) == "<class 'ember.Tensor'>"
    assert repr(ember.Size([2])) == "ember.Size([2])"
    assert repr(ember.float16) == "ember.float16"
    assert type((x * 2).grad_fn).__module__ == "builtins"
    assert ember.add.__module__ == "ember" and ember.Tensor.__module__ == "ember"
    for obj in (ember.Size([2, 3]), ember.float32, ember.device("cpu"), ember.ones(2)):
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj) and repr(back) == repr(obj)
    for d in (ember.float32, ember.bfloat16, ember.bool):  # dtypes stay singletons
        assert pickle.loads(pickle.dumps(d)) is d


def test_alias_loads_late_modules_with_torch_names(tmp_path):
    # modules first imported after the alias (ember's lazy ones) are spelled torch too
    code = """
        import sys
        import torch
        assert "ember.utils.benchmark" not in sys.modules
        import torch.utils.benchmark as b
        import torch.profiler
        print(b.Timer.__module__, torch.profiler.profile.__module__)
        print(type(torch.nn.LazyLinear(3)).__module__)
    """
    script = tmp_path / "late.py"
    script.write_text(textwrap.dedent(code))
    lines = _run([sys.executable, "-m", "ember", "run", str(script)], tmp_path)
    assert lines[0].split()[0].startswith("torch.utils.benchmark")
    assert lines[0].split()[1].startswith("torch.profiler")
    assert lines[1] == "torch.nn.modules.lazy"


def test_spawned_workers_under_the_alias_load_ember_as_torch(tmp_path):
    # a spawned child re-imports the script and unpickles names spelled torch.xxx: it runs
    # under the alias too (DataLoader workers; 'spawn' is the default start method on macOS)
    code = """
        import torch
        from torch.utils.data import DataLoader, Dataset, TensorDataset

        class Squares(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return torch.tensor([float(i)]) ** 2

        if __name__ == "__main__":
            ds = TensorDataset(torch.arange(8.0).reshape(4, 2))
            for data in (ds, Squares()):
                loader = DataLoader(data, batch_size=2, num_workers=2,
                                    multiprocessing_context="spawn")
                batches = list(loader)
                print(type(batches[0]).__name__, [b[0].tolist() for b in batches])
    """
    script = tmp_path / "spawned.py"
    script.write_text(textwrap.dedent(code))
    lines = _run([sys.executable, "-m", "ember", "run", str(script)], tmp_path)
    assert lines == ["list [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]",
                     "Tensor [[0.0], [4.0]]"]


def test_version_compares_as_pytorch_does():
    """__version__ is a TorchVersion: PEP 440 order against strings, tuples and Versions."""
    from torch.torch_version import TorchVersion as TorchTV

    from ember.torch_version import TorchVersion, Version

    cases = ["2.0", "2.13", "1.9", "2.13.0", "2.13.0+cpu", "2.14.0a0", "2.13.0.dev20250101",
             "2.13.0rc1", "2.13.0.post1", "parrot", "2.13.0+ember.0.1.1", (2, 0), (2, 14), (1,)]
    for base in ("2.13.0+ember.0.1.0", "0.1.0", "2.13.0a0", "2.13.0.dev1"):
        for other in cases:
            for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__"):
                assert getattr(TorchVersion(base), op)(other) == getattr(TorchTV(base), op)(
                    other), (base, op, other)
    assert Version("2.10") > Version("2.9") and str(ember.__version__) == "0.1.0"
    assert isinstance(ember.__version__, TorchVersion) and ember.__version__ >= (0, 1)


def test_version_under_the_alias(tmp_path):
    """A script's `torch.__version__ >= "2.0"` takes the branch it takes on PyTorch 2.13."""
    out = run_probe(tmp_path, """
        import torch
        print(repr(torch.__version__), type(torch.__version__))
        print(torch.__version__ >= '2.0', torch.__version__ >= (2, 13),
              torch.version.__version__ == torch.__version__)
    """, "alias")
    assert out == [
        "'2.13.0+ember.0.1.0' <class 'torch.torch_version.TorchVersion'>", "True True True"]
