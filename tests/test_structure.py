"""The package's structure: layers that import one way, and no side effects at import.

docs/architecture.md draws the layers; this file checks them, so that a circle or an upward
import cannot come back unnoticed.
"""

import ast
import json
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import ember

SRC = Path(ember.__file__).parent

# Bottom to top. A module may import (at the top of the file or inside a function) only
# modules of its own layer or of layers below; within a layer imports form no circle.
LAYERS = [
    ("leaves", ("ember._dtype", "ember._device", "ember._tensor_str", "ember._random",
                "ember._errors", "ember._errstate", "ember._hooks", "ember._malloc", "ember._blas",
                "ember._import_hook", "ember._dispatch", "ember._names", "ember._determinism")),
    ("tensor", ("ember._tensor",)),
    ("autograd core", ("ember.autograd", "ember.autograd.grad_mode", "ember.autograd.graph",
                       "ember.autograd.engine", "ember.autograd.function",
                       "ember.autograd.anomaly", "ember.autograd.variable",
                       "ember.autograd.forward_ad")),
    ("ops", ("ember.ops", "ember.ops.*")),
    ("api", ("*",)),  # the ember namespace, nn, optim, utils, serialization, gradcheck, ...
]


def _modules():
    mods = {}
    for path in SRC.rglob("*.py"):
        parts = ["ember", *path.relative_to(SRC).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _layer(mod):
    for rank, (_, patterns) in enumerate(LAYERS):
        for p in patterns:
            if p == "*" or p == mod or p.endswith(".*") and mod.startswith(p[:-1]):
                return rank
    raise AssertionError(mod)


def _imports(mod, path):
    """The ember modules ``mod`` imports anywhere in its file (lazy imports included)."""
    tree = ast.parse(path.read_text())
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            # `from pkg import name` imports the submodule pkg.name when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        else:
            continue
        found.update(n for n in names if n in MODULES and n != mod)
    return found


GRAPH = {mod: _imports(mod, path) for mod, path in MODULES.items()}


def test_the_layers_cover_the_package():
    # every module has a layer, and the core layers name files that exist
    for _, patterns in LAYERS[:3]:
        for p in patterns:
            assert p in MODULES, p
    assert all(_layer(m) >= 0 for m in MODULES)


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_go_down_the_layers(mod):
    upward = sorted(dep for dep in GRAPH[mod] if _layer(dep) > _layer(mod))
    assert not upward, (f"{mod} (layer {LAYERS[_layer(mod)][0]}) imports "
                        f"{', '.join(f'{d} ({LAYERS[_layer(d)][0]})' for d in upward)}")


def _cycles(graph):
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        result.append(sorted(comp))
    return result


def test_no_import_circles():
    # the root package gathers everything, and only the command line imports it back
    graph = {m: {d for d in deps if d != "ember"} if m == "ember.__main__" else deps
             for m, deps in GRAPH.items()}
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_modules_do_not_import_the_root_package():
    # `import ember` inside ember would make every module depend on all of them
    offenders = sorted(m for m, deps in GRAPH.items() if "ember" in deps and m != "ember.__main__")
    assert offenders == []


def test_nn_functional_does_not_import_the_layers():
    assert not {d for d in GRAPH["ember.nn.functional"] if d.startswith("ember.nn.modules")}


def test_tensor_has_no_op_logic():
    # Tensor's file imports only the leaves; its op methods are attached by ember.ops
    assert {_layer(d) for d in GRAPH["ember._tensor"]} <= {0}
    for name in ("__add__", "sum", "backward", "__init__", "type", "__getitem__"):
        fn = ember.Tensor.__dict__[name]
        fn = getattr(fn, "__wrapped__", fn)
        # where it is defined (its __module__ says where users find it: ember, or torch)
        assert not fn.__globals__["__name__"].startswith("ember._tensor"), name


# -- no side effects at import ------------------------------------------------------------------
_PROBE = """
import json, sys, warnings
import numpy as np
before = (np.geterr(), repr(warnings.filters), np.get_printoptions(), sys.getrecursionlimit())
import ember
x = ember.tensor([0.0, 1.0], requires_grad=True)
(x.log() / x).sum().backward()
after = (np.geterr(), repr(warnings.filters), np.get_printoptions(), sys.getrecursionlimit())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    np.log(np.zeros(1))
print(json.dumps([before == after, [str(w.message) for w in caught]]))
"""


def test_import_leaves_numpy_and_warnings_alone():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True).stdout
    same, caught = json.loads(out)
    assert same
    # the user's own NumPy code still warns as NumPy does
    assert caught == ["divide by zero encountered in log"]


EXTREMES = {
    "log(0)": lambda t: t.log(),
    "1/0": lambda t: 1 / t,
    "0/0": lambda t: t / t,
    "exp(1000)": lambda t: (t + 1000).exp(),
    "sqrt(-1)": lambda t: (t - 1).sqrt(),
    "x**-1": lambda t: t ** -1,
    "overflow *": lambda t: (t + 3e38) * 10,
    "nan to int": lambda t: (t / t).to(ember.int32),
    "sum overflow": lambda t: (t + 3e38).expand(4).sum(),
    "softplus": lambda t: ember.nn.functional.softplus(t + 1e5),
    "log_softmax": lambda t: ember.log_softmax(t - 1e30, 0),
    "logsumexp": lambda t: ember.logsumexp(t + 1e38, 0),
    "print": lambda t: repr(t / t),
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_ops_compute_inf_and_nan_silently(name):
    t = ember.zeros(1, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = EXTREMES[name](t)
        if isinstance(out, ember.Tensor) and out.requires_grad:
            out.sum().backward()
    assert np.geterr()["divide"] == "warn"  # the user's state is as it was


def _public_ops():
    """Every function of ember.ops a user reaches: the namespace, Tensor, nn.functional."""
    import ember.nn.functional as F

    seen = {}
    for owner, names in ((ember, dir(ember)), (F, dir(F)), (ember.Tensor, dir(ember.Tensor))):
        for name in names:
            fn = getattr(owner, name, None) if owner is not ember.Tensor else \
                ember.Tensor.__dict__.get(name)
            inner = getattr(fn, "__wrapped__", fn)
            if (isinstance(inner, types.FunctionType)
                    and inner.__globals__["__name__"].startswith("ember.ops")):
                seen[f"{getattr(owner, '__name__', 'Tensor')}.{name}"] = fn
    return seen


def test_every_public_op_silences_numpy():
    ops = _public_ops()
    assert len(ops) > 300
    loud = sorted(name for name, fn in ops.items()
                  if not getattr(fn, "quiet", False) and name != "Tensor.__init__")
    assert loud == []
