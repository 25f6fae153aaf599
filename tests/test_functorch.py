"""ember.functorch (``import functorch`` under the torch alias) against PyTorch's functorch."""

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import ember
import ember.func
import ember.functorch as efunctorch
import ember.nn as enn
from parity import assert_same, same_error, to_ember

functorch = pytest.importorskip("functorch")

SRC = str(Path(ember.__file__).resolve().parents[1])
X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)


def _python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env={"PYTHONPATH": SRC, "PATH": ""}, timeout=120)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


def _same_weights(tm, em):
    em.load_state_dict({k: to_ember(v) for k, v in tm.state_dict().items()})
    return em


def _mlp_pair(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    em = enn.Sequential(enn.Linear(3, 4), enn.Tanh(), enn.Linear(4, 2))
    return _same_weights(tm, em), tm


def _bn_pair(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    em = enn.Sequential(enn.Linear(3, 4), enn.BatchNorm1d(4))
    return _same_weights(tm, em), tm


# -- the package and the alias ------------------------------------------------------------------
def test_import_ember_loads_neither_functorch_nor_func():
    r = _python("""
        import sys, ember
        print(sorted(m for m in sys.modules if 'functorch' in m or m.startswith('ember.func')))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_import_functorch_under_the_alias_gives_ember_functorch():
    r = _python("""
        import warnings
        warnings.simplefilter("error")
        import ember
        ember.install_torch_alias()
        import torch
        import functorch
        import functorch.experimental
        from functorch import make_functional, FunctionalModule, vmap, grad
        from functorch._make_functional import FunctionalModuleWithBuffers
        import ember.functorch
        print(functorch is ember.functorch, FunctionalModule.__module__,
              functorch.experimental is ember.functorch.experimental,
              functorch.__version__ == torch.__version__)
        try:
            import functorch.compile
        except ModuleNotFoundError as exc:
            print(exc.name)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "ember.functorch._make_functional", "True", "True",
                                "functorch.compile"]


def test_ember_run_script_using_functorch(tmp_path):
    script = tmp_path / "uses_functorch.py"
    script.write_text(textwrap.dedent("""
        import warnings
        import torch
        from functorch import make_functional
        model = torch.nn.Linear(3, 1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fmodel, params = make_functional(model)
        x = torch.ones(2, 3)
        loss = fmodel(params, x).sum()
        grads = torch.autograd.grad(loss, params)
        print(torch.__name__, len(caught), caught[0].category.__name__,
              grads[0].tolist(), grads[1].tolist())
    """))
    r = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True,
                       text=True, env={"PYTHONPATH": SRC, "PATH": ""}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ember", "1", "FutureWarning", "[[2.0,", "2.0,",
                                "2.0]]", "[2.0]"]


def test_public_names_match_functorch():
    theirs = {n for n in dir(functorch) if not n.startswith("_")} - {"make_fx", "torch",
                                                                     "compile", "dim",
                                                                     "einops"}
    ours = {n for n in dir(efunctorch) if not n.startswith("_")} - {"importlib", "sys",
                                                                    "warnings"}
    assert theirs - ours == set()


# -- deprecation warnings -----------------------------------------------------------------------
def _call_each(lib, name, nn):
    f = lambda x: x.sin().sum()  # noqa: E731
    calls = {
        "grad": lambda: lib.grad(f), "grad_and_value": lambda: lib.grad_and_value(f),
        "vjp": lambda: lib.vjp(f, nn.x), "jvp": lambda: lib.jvp(f, (nn.x,), (nn.x,)),
        "jacrev": lambda: lib.jacrev(f), "jacfwd": lambda: lib.jacfwd(f),
        "hessian": lambda: lib.hessian(f), "vmap": lambda: lib.vmap(f),
        "functionalize": lambda: lib.functionalize(f),
        "make_functional": lambda: lib.make_functional(nn.nn.Linear(1, 1)),
        "make_functional_with_buffers":
            lambda: lib.make_functional_with_buffers(nn.nn.Linear(1, 1)),
        "combine_state_for_ensemble":
            lambda: lib.combine_state_for_ensemble([nn.nn.Linear(1, 1)]),
    }
    return calls[name]


class _Lib:
    def __init__(self, lib):
        self.nn = lib.nn
        self.x = lib.ones(3)


NAMES = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
         "functionalize", "make_functional", "make_functional_with_buffers",
         "combine_state_for_ensemble"]


@pytest.mark.parametrize("name", NAMES)
def test_each_name_warns_as_functorch(name):
    def record(lib, ns):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                _call_each(lib, name, ns)()
            except NotImplementedError:  # the ember.func transform is not there yet
                pass
        return [(w.category, str(w.message), w.filename) for w in caught
                if w.category is FutureWarning]

    ours = record(efunctorch, _Lib(ember))
    theirs = record(functorch, _Lib(torch))
    assert ours == theirs
    assert len(ours) == 1 and ours[0][2] == __file__


def test_helper_classes_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fmodel, params = efunctorch.FunctionalModule._create_from(enn.Linear(2, 2))
        fmodel(params, ember.ones(2))


# -- make_functional ----------------------------------------------------------------------------
def test_make_functional_values_and_gradients():
    em, tm = _mlp_pair()
    efm, ep = _quiet(efunctorch.make_functional, em)
    tfm, tp = _quiet(functorch.make_functional, tm)
    assert type(ep) is tuple and len(ep) == len(tp) == 4
    assert [type(p).__name__ for p in ep] == [type(p).__name__ for p in tp]
    assert [p.requires_grad for p in ep] == [p.requires_grad for p in tp]
    assert efm.param_names == tfm.param_names
    assert efm.names_map == tfm.names_map
    for a, b in zip(ep, tp):
        assert_same(a, b)
    eo, to = efm(ep, ember.tensor(X)), tfm(tp, torch.tensor(X))
    assert_same(eo, to, rtol=1e-5, atol=1e-6)
    eg = ember.autograd.grad(eo.pow(2).sum(), ep)
    tg = torch.autograd.grad(to.pow(2).sum(), tp)
    for a, b in zip(eg, tg):
        assert_same(a, b, rtol=1e-4, atol=1e-5)


def test_make_functional_other_params_and_the_model_untouched():
    em, tm = _mlp_pair()
    before = {k: v.clone() for k, v in em.state_dict().items()}
    efm, ep = _quiet(efunctorch.make_functional, em)
    # the returned parameters belong to a copy
    assert all(p is not q for p in ep for q in em.parameters())
    new = tuple(ember.zeros_like(p) for p in ep)
    assert efm(new, ember.tensor(X)).abs().sum().item() == 0.0
    assert all(np.array_equal(v.numpy(), before[k].numpy()) for k, v in em.state_dict().items())
    assert all(isinstance(p, enn.Parameter) for p in em.parameters())
    # the functional model holds no parameters of its own between calls
    assert list(efm.parameters()) == []
    # and the call puts the copy's parameters back where they were: empty
    assert efm(ep, ember.tensor(X)).shape == (5, 2)
    assert list(efm.parameters()) == []


def test_make_functional_restores_on_error():
    efm, ep = _quiet(efunctorch.make_functional, enn.Linear(3, 2))
    with pytest.raises(RuntimeError):
        efm(ep, ember.ones(4, 7))
    assert list(efm.parameters()) == []
    assert efm(ep, ember.ones(4, 3)).shape == (4, 2)


def test_make_functional_disable_autograd_tracking():
    _, ep = _quiet(efunctorch.make_functional, enn.Linear(2, 2), disable_autograd_tracking=True)
    _, tp = _quiet(functorch.make_functional, torch.nn.Linear(2, 2),
                   disable_autograd_tracking=True)
    assert [p.requires_grad for p in ep] == [p.requires_grad for p in tp] == [False, False]


def test_make_functional_tied_parameters():
    class Tied(enn.Module):
        def __init__(self):
            super().__init__()
            self.a = enn.Linear(2, 2)
            self.b = enn.Linear(2, 2)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    class TTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(2, 2)
            self.b = torch.nn.Linear(2, 2)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    tm = TTied()
    em = _same_weights(tm, Tied())
    efm, ep = _quiet(efunctorch.make_functional, em)
    tfm, tp = _quiet(functorch.make_functional, tm)
    assert efm.param_names == tfm.param_names and efm.names_map == tfm.names_map
    assert_same(efm(ep, ember.tensor(X[:, :2])), tfm(tp, torch.tensor(X[:, :2])), rtol=1e-5,
                atol=1e-6)


def test_make_functional_refuses_buffers():
    same_error(lambda: _quiet(efunctorch.make_functional, enn.BatchNorm1d(2)),
               lambda: _quiet(functorch.make_functional, torch.nn.BatchNorm1d(2)))


def test_make_functional_with_buffers_train_mode_updates_the_given_buffers():
    em, tm = _bn_pair()
    efm, ep, eb = _quiet(efunctorch.make_functional_with_buffers, em)
    tfm, tp, tb = _quiet(functorch.make_functional_with_buffers, tm)
    assert efm.param_names == tfm.param_names and efm.buffer_names == tfm.buffer_names
    assert efm.all_names_map == tfm.all_names_map
    assert [type(b).__name__ for b in eb] == [type(b).__name__ for b in tb]
    eo = efm(ep, eb, ember.tensor(X))
    to = tfm(tp, tb, torch.tensor(X))
    assert_same(eo, to, rtol=1e-5, atol=1e-6)
    for a, b in zip(eb, tb):
        assert_same(a, b, rtol=1e-5, atol=1e-6)
    assert eb[2].item() == tb[2].item() == 1
    eg = ember.autograd.grad(eo.pow(2).sum(), ep)
    tg = torch.autograd.grad(to.pow(2).sum(), tp)
    for a, b in zip(eg, tg):
        assert_same(a, b, rtol=1e-4, atol=1e-5)


def test_make_functional_with_buffers_eval_mode():
    em, tm = _bn_pair()
    em.eval()
    tm.eval()
    efm, ep, eb = _quiet(efunctorch.make_functional_with_buffers, em)
    tfm, tp, tb = _quiet(functorch.make_functional_with_buffers, tm)
    eb = (ember.full((4,), 0.5), ember.full((4,), 2.0), eb[2])
    tb = (torch.full((4,), 0.5), torch.full((4,), 2.0), tb[2])
    assert_same(efm(ep, eb, ember.tensor(X)), tfm(tp, tb, torch.tensor(X)), rtol=1e-5,
                atol=1e-6)


def test_functional_module_repr():
    efm, _ = _quiet(efunctorch.make_functional, enn.Sequential(enn.Linear(2, 2), enn.ReLU()))
    assert repr(efm).splitlines()[:2] == ["FunctionalModule(", "  (stateless_model): Sequential("]


# -- combine_state_for_ensemble -----------------------------------------------------------------
def test_combine_state_for_ensemble():
    torch.manual_seed(0)
    tms = [torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)) for _ in range(3)]
    ems = [_same_weights(t, enn.Sequential(enn.Linear(3, 4), enn.BatchNorm1d(4))) for t in tms]
    efm, ep, eb = _quiet(efunctorch.combine_state_for_ensemble, ems)
    tfm, tp, tb = _quiet(functorch.combine_state_for_ensemble, tms)
    assert type(efm).__name__ == type(tfm).__name__ == "FunctionalModuleWithBuffers"
    for a, b in zip(ep + eb, tp + tb):
        assert_same(a, b)
        assert (a.requires_grad, a.is_leaf) == (b.requires_grad, b.is_leaf)
    # model i is fmodel with slice i (one at a time: no vmap needed)
    for i in range(3):
        eo = efm(tuple(p[i] for p in ep), tuple(b[i].clone() for b in eb), ember.tensor(X))
        to = tfm(tuple(p[i] for p in tp), tuple(b[i].clone() for b in tb), torch.tensor(X))
        assert_same(eo, to, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["empty", "modes", "classes"])
def test_combine_state_for_ensemble_errors(case):
    def models(nn):
        return {"empty": [], "modes": [nn.Linear(1, 1), nn.Linear(1, 1).eval()],
                "classes": [nn.Linear(1, 1), nn.Conv1d(1, 1, 1)]}[case]

    same_error(lambda: _quiet(efunctorch.combine_state_for_ensemble, models(enn)),
               lambda: _quiet(functorch.combine_state_for_ensemble, models(torch.nn)))


# -- the examples of functorch's documentation --------------------------------------------------
def test_doc_example_make_functional():
    # make_functional's docstring: func(params, x)
    torch.manual_seed(0)
    tx, tmodel = torch.randn(4, 3), torch.nn.Linear(3, 3)
    ex, emodel = to_ember(tx), _same_weights(tmodel, enn.Linear(3, 3))
    tfunc, tparams = _quiet(functorch.make_functional, tmodel)
    efunc, eparams = _quiet(efunctorch.make_functional, emodel)
    assert_same(efunc(eparams, ex), tfunc(tparams, tx), rtol=1e-6, atol=1e-6)


def test_doc_example_make_functional_with_buffers():
    torch.manual_seed(0)
    tx, tmodel = torch.randn(4, 3), torch.nn.Linear(3, 3)
    ex, emodel = to_ember(tx), _same_weights(tmodel, enn.Linear(3, 3))
    tfunc, tparams, tbuffers = _quiet(functorch.make_functional_with_buffers, tmodel)
    efunc, eparams, ebuffers = _quiet(efunctorch.make_functional_with_buffers, emodel)
    assert ebuffers == tbuffers == ()
    assert_same(efunc(eparams, ebuffers, ex), tfunc(tparams, tbuffers, tx), rtol=1e-6,
                atol=1e-6)


def test_doc_example_loss_gradient_with_autograd():
    # the docstring's compute_loss, differentiated with autograd.grad instead of grad()
    torch.manual_seed(0)
    tx, tt, tmodel = torch.randn(4, 3), torch.randn(4, 3), torch.nn.Linear(3, 3)
    ex, et, emodel = to_ember(tx), to_ember(tt), _same_weights(tmodel, enn.Linear(3, 3))

    def run(lib, fmf, model, x, t):
        func, params = _quiet(fmf, model)
        loss = lib.nn.functional.mse_loss(func(params, x), t)
        return lib.autograd.grad(loss, params)

    for a, b in zip(run(ember, efunctorch.make_functional, emodel, ex, et),
                    run(torch, functorch.make_functional, tmodel, tx, tt)):
        assert_same(a, b, rtol=1e-5, atol=1e-6)


_HAS = {n: hasattr(ember.func, n) for n in ("grad", "vmap")}


@pytest.mark.skipif(not _HAS["grad"], reason="ember.func.grad is not there yet")
def test_doc_example_grad_over_make_functional():
    torch.manual_seed(0)
    tx, tt, tmodel = torch.randn(4, 3), torch.randn(4, 3), torch.nn.Linear(3, 3)
    ex, et, emodel = to_ember(tx), to_ember(tt), _same_weights(tmodel, enn.Linear(3, 3))

    def run(lib, ft):
        func, params = _quiet(ft.make_functional, tmodel if lib is torch else emodel)

        def compute_loss(params, x, t):
            return lib.nn.functional.mse_loss(func(params, x), t)

        x, t = (tx, tt) if lib is torch else (ex, et)
        return _quiet(ft.grad, compute_loss)(params, x, t)

    for a, b in zip(run(ember, efunctorch), run(torch, functorch)):
        assert_same(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not _HAS["grad"], reason="ember.func.grad is not there yet")
def test_transforms_forward_to_ember_func():
    f = lambda x: (x ** 3).sum()  # noqa: E731
    eg = _quiet(efunctorch.grad, f)(ember.tensor([1.0, 2.0]))
    tg = _quiet(functorch.grad, f)(torch.tensor([1.0, 2.0]))
    assert_same(eg, tg)
    eg, ev = _quiet(efunctorch.grad_and_value, f)(ember.tensor([1.0, 2.0]))
    tg, tv = _quiet(functorch.grad_and_value, f)(torch.tensor([1.0, 2.0]))
    assert_same(eg, tg)
    assert_same(ev, tv)


@pytest.mark.skipif(not _HAS["vmap"], reason="ember.func.vmap is not there yet")
def test_doc_example_combine_state_for_ensemble_with_vmap():
    num_models, batch_size, in_features, out_features = 5, 64, 3, 3
    torch.manual_seed(0)
    tmodels = [torch.nn.Linear(in_features, out_features) for _ in range(num_models)]
    emodels = [_same_weights(t, enn.Linear(in_features, out_features)) for t in tmodels]
    tdata = torch.randn(batch_size, 3)
    edata = to_ember(tdata)
    tf, tp, tb = _quiet(functorch.combine_state_for_ensemble, tmodels)
    ef, ep, eb = _quiet(efunctorch.combine_state_for_ensemble, emodels)
    to = _quiet(functorch.vmap, tf, (0, 0, None))(tp, tb, tdata)
    eo = _quiet(efunctorch.vmap, ef, (0, 0, None))(ep, eb, edata)
    assert eo.shape == (num_models, batch_size, out_features)
    assert_same(eo, to, rtol=1e-5, atol=1e-6)


_TRANSFORMS = {
    "vjp": lambda ft, x: ft.vjp(lambda t: t.sin() * t, x)[1](x.cos()),
    "jvp": lambda ft, x: ft.jvp(lambda t: t.sin() * t, (x,), (x.cos(),)),
    "jacrev": lambda ft, x: ft.jacrev(lambda t: t.sin() * t.sum())(x),
    "jacfwd": lambda ft, x: ft.jacfwd(lambda t: t.sin() * t.sum())(x),
    "hessian": lambda ft, x: ft.hessian(lambda t: (t.sin() * t).sum())(x),
    "grad_argnums": lambda ft, x: ft.grad(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(
        x, x * 2),
    "grad_has_aux": lambda ft, x: ft.grad(lambda t: ((t ** 2).sum(), t.mean()), has_aux=True)(x),
    "vmap": lambda ft, x: ft.vmap(lambda r, s: r * s, in_dims=(0, None))(x.reshape(2, 2), x[:2]),
    "vmap_out_dims": lambda ft, x: ft.vmap(lambda r: r.exp(), out_dims=1)(x.reshape(2, 2)),
    "vmap_grad": lambda ft, x: ft.vmap(ft.grad(lambda r: (r ** 3).sum()))(x.reshape(2, 2)),
    "jacrev_has_aux": lambda ft, x: ft.jacrev(lambda t: (t.exp(), t.sum()), has_aux=True)(x),
}


@pytest.mark.skipif(not all(_HAS.values()), reason="ember.func's transforms are not there yet")
@pytest.mark.parametrize("name", sorted(_TRANSFORMS))
def test_transforms_through_functorch_match(name):
    vals = [0.3, -1.2, 2.0, 0.7]
    eo = _quiet(_TRANSFORMS[name], efunctorch, ember.tensor(vals, dtype=ember.float64))
    to = _quiet(_TRANSFORMS[name], functorch, torch.tensor(vals, dtype=torch.float64))
    assert_same(eo, to, rtol=1e-10, atol=1e-12)


@pytest.mark.skipif(not all(_HAS.values()), reason="ember.func's transforms are not there yet")
def test_experimental_names_do_not_warn():
    import ember.functorch.experimental as experimental

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = experimental.jacfwd(lambda t: t ** 2)(ember.tensor([1.0, 2.0]))
    assert out.tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert experimental.hessian is ember.func.hessian


def test_functionalize_is_refused_plainly():
    if hasattr(ember.func, "functionalize"):
        pytest.skip("ember.func.functionalize exists")
    with pytest.raises(NotImplementedError, match="ember.func.functionalize"):
        _quiet(efunctorch.functionalize, lambda x: x)
