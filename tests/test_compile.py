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
