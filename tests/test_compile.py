"""torch.compile, torch.compiler and torch._dynamo: same results as eager, PyTorch's errors."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import ember


def _outcome(call):
    try:
        call()
        return "ok"
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return (type(e).__name__, str(e))


def test_compiled_module_and_function_compute_as_eager():
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 2))
    fast = ember.compile(net)
    x = ember.randn(5, 4)
    assert ember.equal(fast(x), net(x))
    fast(x).sum().backward()
    grads = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    net(x).sum().backward()
    assert all(ember.equal(a, p.grad) for a, p in zip(grads, net.parameters()))
    assert fast._orig_mod is net
    assert ember.compile(net[0]).in_features == 4  # attributes read through
    assert list(fast.state_dict()) == ["_orig_mod." + k for k in net.state_dict()]
    assert type(fast).__name__ == "OptimizedModule" and isinstance(fast, ember.nn.Module)
    assert str(fast).startswith("OptimizedModule(\n  (_orig_mod): Sequential(")

    @ember.compile(mode="reduce-overhead", fullgraph=True, dynamic=False)
    def f(a, b):
        """docs"""
        return (a * b).sin()

    a, b = ember.randn(3), ember.randn(3)
    assert ember.equal(f(a, b), (a * b).sin()) and f.__name__ == "f" and f.__doc__ == "docs"
    assert ember.compile(f, backend="eager")(a, b).shape == (3,)


def test_state_dict_keys_as_pytorch():
    theirs = torch.compile(torch.nn.Linear(2, 3))
    ours = ember.compile(ember.nn.Linear(2, 3))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("kw", [
    {"mode": "fast"}, {"mode": "default", "options": {}}, {"backend": "nope"},
    {"mode": "max-autotune"}, {"backend": "inductor"}, {"backend": "aot_eager"}, {"disable": True},
])
def test_arguments_checked_as_pytorch(kw):
    def f(x):
        return x

    assert _outcome(lambda: ember.compile(f, **kw)) == _outcome(lambda: torch.compile(f, **kw))


def test_callable_backend_is_refused_with_a_hint():
    with pytest.raises(NotImplementedError) as info:
        ember.compile(lambda x: x, backend=lambda gm, inputs: gm)
    assert "make_dot" in info.value.__notes__[0]


def test_compiler_and_dynamo_names():
    for lib in (ember, torch):
        assert lib.compiler.is_compiling() is False and lib._dynamo.is_compiling() is False
        assert lib.compiler.disable(np.sin)(0.5) == np.sin(0.5)
        lib._dynamo.reset()
        lib.compiler.reset()
    assert ember.compiler.list_backends() == torch.compiler.list_backends()
    assert set(ember.compiler.list_backends(exclude_tags=None)) <= \
        set(torch.compiler.list_backends(exclude_tags=None))
    for name in ("suppress_errors", "cache_size_limit", "recompile_limit", "optimize_ddp"):
        assert getattr(ember._dynamo.config, name) == getattr(torch._dynamo.config, name)
    ember._dynamo.config.suppress_errors = True
    assert ember._dynamo.config.suppress_errors is True
    ember._dynamo.config.suppress_errors = False
    for lib in (ember, torch):
        with pytest.raises(AttributeError, match="config.no_such_setting does not exist"):
            lib._dynamo.config.no_such_setting = 1


def test_compile_under_ember_run(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(
        "import torch, torch._dynamo\n"
        "torch._dynamo.config.suppress_errors = True\n"
        "model = torch.compile(torch.nn.Linear(3, 1))\n"
        "print(type(model).__name__, torch.compiler.is_compiling())\n"
        "print(tuple(model(torch.ones(2, 3)).shape))\n")
    out = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "OptimizedModule False\n(2, 1)\n"


def test_dynamo_probe_names():
    d = ember._dynamo
    for name in ("mark_dynamic", "maybe_mark_dynamic", "mark_static", "mark_static_address",
                 "optimize", "optimize_assert", "run", "graph_break", "lookup_backend",
                 "register_backend", "disallow_in_graph", "forbid_in_graph", "nonstrict_trace",
                 "is_dynamo_supported", "is_inductor_supported", "set_stance",
                 "substitute_in_graph", "reset_code_caches", "patch_dynamo_config",
                 "error_on_graph_break", "get_recursion_limit", "set_recursion_limit",
                 "OptimizedModule", "on_compile_start", "on_compile_end"):
        assert hasattr(torch._dynamo, name), name
        assert hasattr(d, name), name
    x = ember.ones(3, 4)
    d.mark_dynamic(x, 0)
    d.maybe_mark_dynamic(x, 1)
    d.mark_static(x)
    f = d.optimize("eager")(lambda a: a + 1)
    assert f(x).sum().item() == 24
    assert _outcome(lambda: d.optimize("nope")) == ("InvalidBackend", _outcome(
        lambda: torch._dynamo.lookup_backend("nope"))[1])
    assert _outcome(lambda: d.lookup_backend("nope")) == \
        _outcome(lambda: torch._dynamo.lookup_backend("nope"))
    assert d.get_recursion_limit() == torch._dynamo.get_recursion_limit()

    @d.register_backend(name="ember_test_backend")
    def my_backend(gm, example_inputs):
        return gm

    assert d.lookup_backend("ember_test_backend") is my_backend
    with pytest.raises(NotImplementedError):  # it would be handed an FX graph
        ember.compile(lambda a: a, backend="ember_test_backend")
    assert _outcome(lambda: d.register_backend(my_backend, name="eager"))[0] == "AssertionError"
    with d.patch_dynamo_config(cache_size_limit=3):
        assert d.config.cache_size_limit == 3
    assert d.config.cache_size_limit == 8
    with pytest.raises(AttributeError):
        d.patch_dynamo_config(not_a_setting=1)
    with ember.compiler.set_stance("force_eager"):
        assert f(x).sum().item() == 24
    assert isinstance(ember.compile(ember.nn.Linear(2, 2)), d.OptimizedModule)
