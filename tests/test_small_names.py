"""Small PyTorch names against PyTorch: torch.func.rearrange, autograd's
enforce_grad_layout_policy and NestedIOFunction, torch.compiler.config and
torch.utils.swap_tensors."""

import warnings

import numpy as np
import pytest
import torch
from torch.func import rearrange as t_rearrange

import ember
from ember.func import rearrange as e_rearrange
from parity import assert_same, to_torch

# -- torch.func.rearrange ------------------------------------------------------------------------
GOOD = [
    ("a b c -> c a b", {}),
    ("a b c -> a (b c)", {}),
    ("a b c -> (c a) b", {}),
    ("(a1 a2) b c -> a1 a2 b c", {"a1": 2}),
    ("(a1 a2) b c -> a1 a2 b c", {"a1": 2, "a2": 3}),
    ("(a1 a2) b c -> a1 a2 b c", {"a1": -1, "a2": 3}),
    ("a (b1 b2) c -> (c b2) a b1", {"b1": 2}),
    ("a b c -> a 1 b c 1", {}),
    ("a b c -> a () b c ()", {}),
    ("a b c -> (a 1) b (1 c)", {}),
    ("... c -> c ...", {}),
    ("a ... -> ... a", {}),
    ("a ... c -> (a ...) c", {}),
    ("a ... c -> a (... c)", {}),
    ("a b c ... -> (c b) ... a", {}),
    ("... -> (...)", {}),
    ("(a b) ... -> b ... a", {"b": 3}),
]


def _sample(shape=(6, 4, 5)):
    return ember.from_numpy(np.random.default_rng(0).standard_normal(shape))


@pytest.mark.parametrize("pattern,lengths", GOOD, ids=[p for p, _ in GOOD])
def test_rearrange_values_views_and_grads(pattern, lengths):
    e = _sample().requires_grad_()
    t = to_torch(e)
    re_, rt = e_rearrange(e, pattern, **lengths), t_rearrange(t, pattern, **lengths)
    assert_same(re_, rt)
    assert re_.is_contiguous() == rt.is_contiguous()
    assert (re_._base is not None) == (rt._base is not None)  # a view where PyTorch's is one
    w = np.random.default_rng(1).standard_normal(tuple(rt.shape))
    (re_ * ember.from_numpy(w)).sum().backward()
    (rt * torch.from_numpy(w)).sum().backward()
    assert_same(e.grad, t.grad)


def test_rearrange_gradcheck_vmap_forward_ad():
    x = _sample((2, 6, 4)).requires_grad_()
    f = lambda t: e_rearrange(t, "a (b1 b2) c -> (c b2) a b1", b1=2)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,)) and ember.autograd.gradgradcheck(f, (x,))
    g = lambda t: e_rearrange(t, "(b1 b2) c -> c b2 b1", b1=2)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a batching rule for every step: no per-sample loop
        out = ember.func.vmap(g)(x)
    assert_same(out, torch.vmap(lambda t: t_rearrange(t, "(b1 b2) c -> c b2 b1", b1=2))(
        to_torch(x)))
    with ember.autograd.forward_ad.dual_level():
        dual = ember.autograd.forward_ad.make_dual(x, ember.ones_like(x) * 2)
        tangent = ember.autograd.forward_ad.unpack_dual(f(dual)).tangent
    assert_same(tangent, t_rearrange(torch.full((2, 6, 4), 2.0, dtype=torch.float64),
                                     "a (b1 b2) c -> (c b2) a b1", b1=2))


def test_rearrange_stacks_lists_sums_unnamed_ones_and_keeps_0d():
    parts = [_sample((3, 4)).requires_grad_() for _ in range(2)]
    tparts = [to_torch(p) for p in parts]
    for kind in (list, tuple):
        out, tout = e_rearrange(kind(parts), "n a b -> a (b n)"), t_rearrange(
            kind(tparts), "n a b -> a (b n)")
        assert_same(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_same(parts[0].grad, tparts[0].grad)
    # a left-side 1 over a longer dimension sums it out, as PyTorch's rearrange does
    x = ember.arange(24).reshape(3, 2, 4)
    assert_same(e_rearrange(x, "1 b c -> c b"), t_rearrange(torch.arange(24).reshape(3, 2, 4),
                                                             "1 b c -> c b"))
    s = ember.tensor(2.0)
    assert e_rearrange(s, " -> ") is s and e_rearrange(s, "... -> ...") is s
    assert_same(e_rearrange(ember.ones(0, 3), "(a b) c -> a b c", b=2),
                t_rearrange(torch.ones(0, 3), "(a b) c -> a b c", b=2))


BAD = [
    ("a b c - > a b c", {}), ("a b c -> a -> b", {}), ("a a c -> a c", {}),
    ("(a (b)) c -> a b c", {}), ("a b) c -> a b c", {}), ("(a b c -> a b c", {}),
    ("a. b c -> a b c", {}), ("a .... -> a", {}), ("... a ... -> a", {}),
    ("a b c -> ... a b c", {}), ("(a ...) -> a ...", {}), ("_a b c -> _a b c", {}),
    ("a b 0 -> a b", {}), ("a b c -> a b c$", {}), ("a 2 c -> a c", {}),
    ("a b c -> a b", {}), ("a b -> a b", {}), ("a b c d ... -> a b c d ...", {}),
    ("a b c -> a b c", {"d": 2}), ("a b c -> a b c", {"a": True}),
    ("a b c -> a b c", {"a": 2.5}), ("a b c -> a b c", {"a": [2]}),
    ("a b c -> a b c", {"\u2026": 2}), ("(a1 a2) b c -> a1 a2 b c", {"a1": 4}),
    ("(a1 a2) b c -> a1 a2 b c", {}), ("(a1 a2) b c -> a1 a2 b c", {"a1": 2, "a2": 2}),
    ("a b c -> a b c", {"a": 5}), ("(a1 a2) b c -> a1 a2 b c", {"a2": 0}),
    ("(a1 a2) b c -> a1 a2 b c", {"a1": -2}),
]


@pytest.mark.parametrize("pattern,lengths", BAD, ids=[f"{p}{k}" for p, k in BAD])
def test_rearrange_errors(pattern, lengths):
    with pytest.raises(Exception) as te:
        t_rearrange(torch.ones(6, 4, 5), pattern, **lengths)
    with pytest.raises(Exception) as ee:
        e_rearrange(ember.ones(6, 4, 5), pattern, **lengths)
    assert type(ee.value).__name__ == type(te.value).__name__
    tmsg, emsg = str(te.value), str(ee.value)
    if tmsg.endswith("}"):  # a set of names: its order is the hash's
        tmsg, emsg = tmsg[:tmsg.index("{")], emsg[:emsg.index("{")]
    assert emsg == tmsg


def test_rearrange_other_errors_and_warnings():
    for lib, fn in ((ember, e_rearrange), (torch, t_rearrange)):
        with pytest.raises(TypeError, match="must be tuple of Tensors, not int"):
            fn(5, "a -> a")
        with pytest.raises(AttributeError, match="'int' object has no attribute 'split'"):
            fn(lib.ones(2), 5)
        with pytest.warns(RuntimeWarning, match="axes names that are keywords: class"):
            fn(lib.ones(2), "class -> class")
        with pytest.warns(FutureWarning, match="'axis' as an axis name"):
            fn(lib.ones(2, 2), "a axis -> axis a")
    assert ember.func.rearrange is e_rearrange and "rearrange" in ember.func.__all__
    assert e_rearrange.__module__ == "ember.func"


# -- torch.utils.swap_tensors ---------------------------------------------------------------------
def _swap_case(lib, case):
    """Run one swap_tensors scenario; returns what it leaves or the error (type, text)."""
    swap = lib.utils.swap_tensors
    try:
        if case == "plain":
            a, b = lib.ones(2), lib.zeros(3, requires_grad=True)
            swap(a, b)
            return a.tolist(), b.tolist(), a.requires_grad, b.requires_grad, a.is_leaf
        if case == "parameter":
            a, b = lib.nn.Parameter(lib.ones(2)), lib.zeros(2)
            swap(a, b)
            return type(a).__name__, type(b).__name__, a.requires_grad, b.requires_grad
        if case == "leaf_in_graph":  # only its AccumulateGrad holds it: swapped, node poisoned
            a, b = lib.ones(2, requires_grad=True), lib.zeros(2)
            y = a * 2
            swap(a, b)
            out = (a.tolist(), b.tolist())
            y.sum().backward()
            return out
        if case == "leaf_saved":
            a, b = lib.ones(2, requires_grad=True), lib.zeros(2)
            y = a * a  # noqa: F841
            swap(a, b)
        if case == "nonleaf_saved":
            x = lib.ones(2, requires_grad=True)
            a, b = x * 2, lib.zeros(2)
            y = a * a  # noqa: F841
            swap(a, b)
        if case == "nonleaf_output_saved":  # an output is saved as its data: the swap is fine
            x = lib.ones(2, requires_grad=True)
            a, b = x * 2, lib.zeros(2)
            y = a.exp()
            swap(a, b)
            y.sum().backward()
            return a.tolist(), b.tolist(), [round(v, 4) for v in x.grad.tolist()]
        if case == "saved_nested":  # einsum keeps its operands in a list
            w, a, b = lib.ones(2, 2, requires_grad=True), lib.ones(2, 2), lib.zeros(2, 2)
            y = lib.einsum("ij,jk->ik", a, w)  # noqa: F841
            swap(a, b)
        if case == "custom_function_saved":
            class Twice(lib.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return x * 2

                @staticmethod
                def backward(ctx, g):
                    return g * ctx.saved_tensors[0]

            a, b = lib.ones(2, requires_grad=True) * 1, lib.zeros(2)
            y = Twice.apply(a)  # noqa: F841
            swap(a, b)
        if case == "view_alive":
            a, b = lib.ones(2), lib.zeros(2)
            v = a[:1]  # noqa: F841
            swap(a, b)
        if case == "grad_of_other":
            p, g, b = lib.ones(2, requires_grad=True), lib.ones(2), lib.zeros(2)
            p.grad = g
            swap(g, b)
        if case == "swap_a_view":
            base = lib.ones(2)
            a, b = base[:1], lib.zeros(1)
            swap(a, b)
            return a.tolist(), b.tolist(), a._base is base, b._base is base
        if case == "weakref":
            import weakref

            a, b = lib.ones(2), lib.zeros(2)
            r = weakref.ref(b)  # noqa: F841
            swap(a, b)
        if case == "retain_grad":
            x = lib.ones(2, requires_grad=True)
            a, b = x * 2, lib.zeros(2)
            a.retain_grad()
            swap(b, a)
        if case == "hook_follows":
            x = lib.ones(2, requires_grad=True)
            a, b = x * 2, lib.zeros(2)
            a.register_hook(lambda g: g * 10)
            swap(a, b)
            (b * 1).sum().backward()
            return x.grad.tolist(), a.grad_fn is None
        if case == "not_a_tensor":
            swap(lib.ones(2), 3)
        if case == "after_backward":
            a, b = lib.ones(2, requires_grad=True), lib.zeros(2)
            (a * 2).sum().backward()
            swap(a, b)
            return b.grad.tolist(), a.grad
        return "swapped"
    except Exception as e:
        return type(e).__name__, str(e).replace("ember", "torch")


SWAP_CASES = ["plain", "parameter", "leaf_in_graph", "leaf_saved", "nonleaf_saved",
              "nonleaf_output_saved", "saved_nested", "custom_function_saved", "view_alive",
              "grad_of_other", "swap_a_view", "weakref", "retain_grad", "hook_follows",
              "not_a_tensor", "after_backward"]


@pytest.mark.parametrize("case", SWAP_CASES)
def test_swap_tensors(case):
    assert _swap_case(ember, case) == _swap_case(torch, case)


def test_swap_tensors_exchanges_everything():
    x = ember.ones(2, requires_grad=True)
    a = x * 3
    b = ember.arange(4, dtype=ember.int64).reshape(2, 2)
    fn, version = a.grad_fn, a._version
    swap = ember.utils.swap_tensors
    swap(a, b)
    assert b.grad_fn is fn and b._version is version and b.dtype == ember.float32
    assert a.grad_fn is None and a.dtype == ember.int64 and a.shape == (2, 2)
    (b * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert swap.__module__ == "ember.utils" and "swap_tensors" in ember.utils.__all__


# -- torch.autograd.NestedIOFunction -------------------------------------------------------------
def _nested_io(lib):
    """What PyTorch 2.13's legacy NestedIOFunction does: calls fail, the helpers work."""
    seen = []

    def run(call):
        try:
            seen.append(("ok", call()))
        except Exception as e:
            seen.append((type(e).__name__, str(e)))

    class F(lib.autograd.NestedIOFunction):
        def forward_extended(self, a, b):
            return a * 2, b

        def backward_extended(self, ga, gb):
            return ga * 2, None, [gb]

    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        f = F()
    x = lib.ones(3, requires_grad=True)
    run(lambda: f(x, (x,)))
    run(lambda: F.apply(x, x))
    run(lambda: f.saved_tensors)
    f.save_for_backward(x, [None, x])
    seen.append((len(f.to_save), type(f._to_save_nested[1]).__name__))
    run(lambda: f.saved_tensors)
    f.mark_dirty(x, k=[x])
    f.mark_non_differentiable(x)
    seen.append((len(f.dirty_tensors), len(f.non_differentiable)))
    run(lambda: f.save_for_backward(3))
    f._nested_output = (x, [x])
    seen.append([g.tolist() if g is not None else None
                 for g in f.backward(lib.ones(3), lib.full((3,), 3.0))])
    f._nested_input = (x, [x])
    out = f.forward()
    seen.append(([o.tolist() for o in out], out[0].requires_grad, hasattr(f, "_nested_input")))
    run(lambda: f._do_backward((), False))
    run(lambda: lib.autograd.NestedIOFunction.forward_extended(f))
    seen.append(issubclass(F, lib.autograd.Function))
    return seen


def test_nested_io_function():
    assert _nested_io(ember) == _nested_io(torch)
    assert "NestedIOFunction" in ember.autograd.__all__
    assert ember.autograd.NestedIOFunction.__module__ == "ember.autograd.function"


# -- torch.autograd.enforce_grad_layout_policy ---------------------------------------------------
def _grad_layouts(lib):
    """The strides of .grad for leaves of several layouts, with the contract on and off."""
    p = lib.empty(2, 3, 4).permute(2, 0, 1).requires_grad_()  # dense, permuted
    y = lib.randn(3, 4).t().requires_grad_()
    s = lib.randn(4, 6)[:, ::2].requires_grad_()  # not dense: row-major gradients
    x = lib.randn(4, 2, 3, requires_grad=True)
    seen = []

    def run():
        for leaf, make in ((p, lambda: (p * 2).sum()), (p, lambda: (p.contiguous() * 1).sum()),
                           (y, lambda: (y * 1).sum()), (s, lambda: (s * 3).sum())):
            make().backward()
            seen.append(leaf.grad.stride())
            leaf.grad = None
        (x * 1).backward(lib.ones(3, 2, 4).permute(2, 1, 0))  # a gradient laid out otherwise
        seen.append(x.grad.stride())
        x.grad = None
        (p * 1).backward(lib.ones(4, 2, 3), retain_graph=True)  # accumulates in place
        (p * 1).backward(lib.ones(4, 2, 3))
        seen.append((p.grad.stride(), p.grad.sum().item()))
        p.grad = None

    run()
    grad_mode = lib.autograd.grad_mode
    state = (lib._C._is_grad_layout_enforcement_enabled if lib is torch
             else grad_mode._is_grad_layout_enforcement_enabled)
    with lib.autograd.enforce_grad_layout_policy(False):
        seen.append(state())
        run()
    seen.append(state())
    lib.autograd.enforce_grad_layout_policy(False)  # a plain call switches it
    seen.append(state())
    lib.autograd.enforce_grad_layout_policy(True)

    @lib.autograd.enforce_grad_layout_policy(False)
    def relaxed():
        return state()

    seen.append((state(), relaxed(), state()))
    with pytest.raises(TypeError) as e:
        lib.autograd.enforce_grad_layout_policy(1)
    seen.append(str(e.value))
    return seen


def test_enforce_grad_layout_policy():
    assert _grad_layouts(ember) == _grad_layouts(torch)
    assert "enforce_grad_layout_policy" in ember.autograd.__all__


def test_grad_layout_policy_is_thread_local():
    import threading

    seen = []
    state = ember.autograd.grad_mode._is_grad_layout_enforcement_enabled
    with ember.autograd.enforce_grad_layout_policy(False):
        t = threading.Thread(target=lambda: seen.append(state()))
        t.start()
        t.join()
        seen.append(state())
    assert seen == [True, False] and state()


# -- torch.compiler.config -------------------------------------------------------------------------
def _compiler_config(lib):
    c = lib.compiler.config
    out = [c.get_config_copy(), [(k, getattr(c, k)) for k in c.__all__]]
    for f in (lambda: c.foo, lambda: setattr(c, "foo", 1), lambda: c._is_default("job_id"),
              lambda: c._is_default("verbose")):
        try:
            out.append(f())
        except AttributeError as e:
            out.append(str(e).replace("ember", "torch"))
    with c.patch(job_id="abc", recompile_limit=3):  # an aliased setting is _dynamo.config's
        out.append((c.job_id, lib._dynamo.config.recompile_limit))
    out.append((c.job_id, c.recompile_limit))

    @c.patch("cache_key_tag", "z")
    def tagged():
        return c.cache_key_tag

    out.append((tagged(), c.cache_key_tag))
    with c.patch({"force_disable_caches": True}):
        out.append((c.force_disable_caches, c._is_default("force_disable_caches")))
    with pytest.raises(AttributeError, match="config.foo does not exist"):
        with c.patch(foo=1):
            pass
    c.job_id = "j"
    saved = c.save_config()
    c.job_id = None
    c.load_config(saved)
    out.append(c.job_id)
    c.job_id = None
    lib._dynamo.config.verbose = True
    out.append(c.verbose)
    lib._dynamo.config.verbose = False
    return out


def test_compiler_config():
    assert _compiler_config(ember) == _compiler_config(torch)
    import subprocess
    import sys

    code = ("import os; os.environ['TORCH_COMPILE_JOB_ID'] = 'job7'; import ember; "
            "print(ember.compiler.config.job_id)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "job7"
