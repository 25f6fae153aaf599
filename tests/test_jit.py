"""torch.jit: scripted and traced callables compute as the code does, with PyTorch's checks."""
# ruff: noqa: UP006, UP035, UP045 - TorchScript code spells its types with typing's names

import io
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest
import torch

import ember

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _outcome(call):
    try:
        call()
        return "ok"
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return (type(e).__name__, str(e))


def _both(make):
    """make(lib) -> outcome, for ember and torch."""
    return make(ember), make(torch)


# functions at module level: TorchScript reads their source
def mul_add(x, y):
    return x * y + 1


def typed(x, n: int, s: float = 1.0, o: Optional[int] = None):
    return x * n * s


def star_args(*args):
    return args[0]


def star_kwargs(x, **kw):
    return x


def kwonly_default(x, *, y=2):
    return x


def kwonly(x, *, y):
    return x * y


def mutable_default(x, l: List[int] = [1]):  # noqa: B006 - the case under test
    return x


def branchy(x):
    if ember.jit.is_tracing():
        return x * 0
    return x + 1


class Net:
    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.l = lib.nn.Linear(3, 2)
                self.scale = 2.0

            def forward(self, x):
                return self.l(x).relu() * self.scale

        return M


def test_script_function_runs_and_checks_arguments_as_pytorch():
    se, st = ember.jit.script(mul_add), torch.jit.script(mul_add)
    a = np.arange(3.0)
    assert np.allclose(se(ember.tensor(a), ember.tensor(a)).numpy(),
                       st(torch.tensor(a), torch.tensor(a)).numpy())
    assert se.name == st.name == "mul_add"
    assert isinstance(se, ember.jit.ScriptFunction)
    te, tt = ember.jit.script(typed), torch.jit.script(typed)
    for lib, f in ((ember, te), (torch, tt)):
        one = lib.ones(1)
        assert f(one, 2, 1.5).tolist() == [3.0]
        assert f(one, True).tolist() == [1.0]
    cases = [
        lambda lib, f: f(3, 2),
        lambda lib, f: f(lib.ones(1), 2.5),
        lambda lib, f: f(lib.ones(1), 2, o=1.5),
        lambda lib, f: f(lib.ones(1)),
        lambda lib, f: f(lib.ones(1), 2, 3, 4, 5, 6),
        lambda lib, f: f(lib.ones(1), 2, zz=3),
    ]
    for case in cases:
        e = _outcome(lambda: case(ember, te))
        t = _outcome(lambda: case(torch, tt))
        assert e == t


def test_script_refuses_what_torchscript_refuses():
    for fn in (star_args, star_kwargs, kwonly_default, mutable_default):
        e = _outcome(lambda: ember.jit.script(fn))
        t = _outcome(lambda: torch.jit.script(fn))
        assert e[0] == t[0] and e[0] != "o"
        assert e[1].split("\n")[:4] == t[1].split("\n")[:4] or fn is mutable_default
    with pytest.raises(ember.jit.frontend.NotSupportedError):
        ember.jit.script(star_args)
    assert issubclass(ember.jit.frontend.NotSupportedError, ember.jit.frontend.FrontendError)
    lam = lambda x: x  # noqa: E731
    e, t = _outcome(lambda: ember.jit.script(lam)), _outcome(lambda: torch.jit.script(lam))
    assert e == t and e[0] == "RuntimeError"
    assert _outcome(lambda: ember.jit.script(len)) == _outcome(lambda: torch.jit.script(len))
    assert _outcome(lambda: ember.jit.script(3)) == _outcome(lambda: torch.jit.script(3))
    e = _outcome(lambda: ember.jit.script(ember.nn.Linear))
    t = _outcome(lambda: torch.jit.script(torch.nn.Linear))
    assert e[0] == t[0] == "RuntimeError" and "cannot be compiled since it inherits" in e[1]
    # keyword-only without a default compiles
    assert ember.jit.script(kwonly)(ember.ones(1), y=ember.full((1,), 3.0)).item() == 3.0


def test_scripted_module_shares_state_and_prints_as_pytorch():
    ember.manual_seed(0)
    me, mt = Net.make(ember)(), Net.make(torch)()
    se, st = ember.jit.script(me), torch.jit.script(mt)
    assert repr(se) == repr(st)
    assert list(se.state_dict()) == list(st.state_dict())
    assert isinstance(se, ember.jit.ScriptModule) and isinstance(se, ember.nn.Module)
    assert isinstance(se.l, ember.jit.RecursiveScriptModule)
    assert se.original_name == st.original_name == "M"
    x = ember.randn(4, 3)
    assert ember.equal(se(x), me(x))
    se(x).sum().backward()
    assert me.l.weight.grad is not None  # the same parameters
    assert se.l.weight is me.l.weight
    se.eval()
    assert not me.training and not me.l.training
    se.scale = 3.0  # writes reach the code that runs
    assert ember.equal(se(x), me(x)) and me.scale == 3.0
    assert "def forward" in se.code
    with pytest.raises(NotImplementedError):
        se.graph  # noqa: B018


def test_trace_function_and_module():
    ember.manual_seed(0)
    x = ember.randn(4, 3)
    tf = ember.jit.trace(mul_add, (x, x))
    assert ember.equal(tf(x, x), mul_add(x, x))
    e = _outcome(lambda: tf(x, x, x))
    t = _outcome(lambda: torch.jit.trace(mul_add, (torch.ones(1), torch.ones(1)))(
        torch.ones(1), torch.ones(1), torch.ones(1)))
    assert e == t
    # a single tensor is the one positional argument
    assert _outcome(lambda: ember.jit.trace(mul_add, x)) == \
        _outcome(lambda: torch.jit.trace(mul_add, torch.ones(2)))
    bad = lambda v: v.sum().item()  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _outcome(lambda: ember.jit.trace(bad, x)) == \
            _outcome(lambda: torch.jit.trace(bad, torch.ones(2)))
    me, mt = Net.make(ember)(), Net.make(torch)()
    te, tt = ember.jit.trace(me, x), torch.jit.trace(mt, torch.randn(4, 3))
    assert repr(te) == repr(tt)
    assert type(te).__name__ == type(tt).__name__ == "TopLevelTracedModule"
    assert type(te.l).__name__ == type(tt.l).__name__ == "TracedModule"
    assert ember.equal(te(x), me(x))
    tm = ember.jit.trace_module(me, {"forward": x})
    assert ember.equal(tm(x), me(x))


def test_is_tracing_is_true_only_while_tracing():
    assert not ember.jit.is_tracing() and not ember.jit.is_scripting()
    x = ember.ones(2)
    traced = ember.jit.trace(branchy, x)
    assert traced(x).tolist() == [2.0, 2.0]  # runs as Python after the trace


def test_freeze_save_load_and_errors():
    ember.manual_seed(0)
    m = Net.make(ember)()
    s = ember.jit.script(m)
    assert _outcome(lambda: ember.jit.freeze(s)) == \
        _outcome(lambda: torch.jit.freeze(torch.jit.script(Net.make(torch)())))
    assert _outcome(lambda: ember.jit.freeze(m)) == \
        _outcome(lambda: torch.jit.freeze(Net.make(torch)()))
    s.eval()
    frozen = ember.jit.freeze(s)
    x = ember.randn(2, 3)
    assert ember.equal(frozen(x), s(x))
    with ember.no_grad():
        m.l.weight.add_(1)
    assert not ember.equal(frozen(x), s(x))  # a frozen copy
    assert ember.jit.optimize_for_inference(s) is not s
    buf = io.BytesIO()
    ember.jit.save(s, buf)
    buf.seek(0)
    extra = {"note": ""}
    loaded = ember.jit.load(buf, _extra_files=extra)
    assert isinstance(loaded, ember.jit.RecursiveScriptModule)
    assert list(loaded.state_dict()) == list(m.state_dict())
    assert all(ember.equal(a, b) for a, b in zip(loaded.state_dict().values(),
                                                  m.state_dict().values()))
    with pytest.raises(RuntimeError, match="holds only its state"):
        loaded(x)
    fresh = Net.make(ember)()
    fresh.load_state_dict(loaded.state_dict())
    assert ember.equal(fresh(x), m(x))
    assert _outcome(lambda: ember.jit.save(m, io.BytesIO())) == \
        _outcome(lambda: torch.jit.save(Net.make(torch)(), io.BytesIO()))


def test_fork_wait_futures():
    fut = ember.jit.fork(mul_add, ember.ones(2), ember.ones(2))
    assert isinstance(fut, ember.futures.Future) and fut.done()
    assert ember.jit.wait(fut).tolist() == [2.0, 2.0]
    err = ember.jit.fork(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ember.jit.wait(err)
    for lib in (ember, torch):
        f = lib.futures.Future()
        seen = []
        f.add_done_callback(lambda fu: seen.append(fu.value()))
        g = f.then(lambda fu: fu.value() + 1)
        assert not f.done()
        f.set_result(3)
        assert seen == [3] and g.wait() == 4
        assert lib.futures.wait_all([f, g]) == [3, 4]
        assert [v.value() for v in lib.futures.collect_all([f, g]).wait()] == [3, 4]
        assert _outcome(lambda: f.set_result(1))[0] == "RuntimeError"


def test_decorators_and_helpers():
    for lib in (ember, torch):
        jit = lib.jit

        @jit.ignore
        def a(x):
            return x

        @jit.ignore(drop=True)
        def b(x):
            return x

        @jit.unused
        def c(x):
            return x

        assert a(1) == b(1) == c(1) == jit.export(a)(1) == 1
        assert jit.annotate(int, 3) == 3
        assert jit.Final is not None
        assert str(jit.Attribute(3, int)) == "Attribute(value=3, type=<class 'int'>)"
        assert jit.isinstance([1, 2], List[int]) and not jit.isinstance([1, "a"], List[int])
        assert jit.isinstance({"a": 1}, Dict[str, int])
        assert jit.isinstance((1, "a"), Tuple[int, str])
        assert jit.isinstance(None, Optional[int])
        old = jit.set_fusion_strategy([("STATIC", 2)])
        assert old == [("STATIC", 2), ("DYNAMIC", 10)]
        jit.set_fusion_strategy(old)
        assert jit.onednn_fusion_enabled() is False
        jit.enable_onednn_fusion(True)
        assert jit.onednn_fusion_enabled() is True
        jit.enable_onednn_fusion(False)
        with jit.optimized_execution(False), jit.fuser("fuser1"):
            pass
        assert issubclass(jit.TracerWarning, Warning)
        assert issubclass(jit.Error, Exception)
    assert _outcome(lambda: ember.jit.fuser("x").__enter__()) == \
        _outcome(lambda: torch.jit.fuser("x").__enter__())
    assert ember.jit.script_if_tracing(mul_add) is mul_add


def test_script_and_trace_warn_as_deprecated():
    with pytest.warns(DeprecationWarning, match="torch.jit.script` is deprecated"):
        ember.jit.script(mul_add)
    with pytest.warns(DeprecationWarning, match="torch.jit.trace` is deprecated"):
        ember.jit.trace(mul_add, (ember.ones(1), ember.ones(1)))
