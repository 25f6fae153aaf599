"""Custom autograd.Function and gradcheck/gradgradcheck, run side by side with PyTorch."""

import gc
import re
import warnings
import weakref

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from parity import assert_same, same_error

LIBS = (ember, torch)


def leaf(m, values, dtype="float64", requires_grad=True):
    return m.tensor(values, dtype=getattr(m, dtype), requires_grad=requires_grad)


# -- Function classes, built for either library ------------------------------------------------
def make_exp(m):
    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    return Exp


def make_mul_add(m, log):
    """Two inputs, two outputs: (x * y, x + y)."""

    class MulAdd(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, x + y

        @staticmethod
        def backward(ctx, g_prod, g_sum):
            log.append((g_prod, g_sum))
            x, y = ctx.saved_tensors
            return g_prod * y + g_sum, g_prod * x + g_sum

    return MulAdd


def make_cube(m, wrong_double=False):
    """x**3 with a backward written in ops, so it has a second derivative."""

    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            if wrong_double:  # detached: first derivative right, second one lost
                return g * 3 * x.detach() ** 2
            return g * 3 * x**2

    return Cube


def make_bad_sin(m):
    class BadSin(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos() * 1.1  # 10% off

    return BadSin


# -- forward, backward, grad_fn ---------------------------------------------------------------
def test_exp_forward_backward_and_grad_fn():
    res = {}
    for m in LIBS:
        x = leaf(m, [[0.5, -1.0, 2.0], [0.0, 1.5, -0.3]])
        y = make_exp(m).apply(x)
        (y * leaf(m, [1.0, 2.0, 3.0], requires_grad=False)).sum().backward()
        res[m] = (y, x.grad, y.grad_fn)
    assert_same(res[ember][0], res[torch][0])
    assert_same(res[ember][1], res[torch][1])
    e_fn, t_fn = res[ember][2], res[torch][2]
    assert e_fn.name() == t_fn.name() == "ExpBackward"
    assert type(e_fn).__name__ == type(t_fn).__name__
    # <ember.autograd.function.ExpBackward object at 0x...>, as PyTorch prints it
    pattern = r"<{}\.autograd\.function\.ExpBackward object at 0x[0-9a-f]+>"
    assert re.fullmatch(pattern.format("ember"), repr(e_fn))
    assert re.fullmatch(pattern.format("torch"), repr(t_fn))
    assert repr(res[ember][0]).endswith("grad_fn=<ExpBackward>)")
    assert repr(res[torch][0]).endswith("grad_fn=<ExpBackward>)")


def test_saved_output_is_rebuilt_with_its_grad_fn():
    for m in LIBS:
        x = leaf(m, [1.0, 2.0])
        y = make_exp(m).apply(x)
        (saved,) = y.grad_fn.saved_tensors
        assert saved.grad_fn is y.grad_fn
        assert saved.requires_grad
        assert saved._version == y._version
        assert_same(ember.tensor(saved.tolist(), dtype=ember.float64),
                    torch.tensor(saved.tolist(), dtype=torch.float64))


def test_dropped_graph_is_freed_without_the_garbage_collector():
    for m in LIBS:

        class Keep(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y, z = x.exp(), x * 2
                ctx.mark_non_differentiable(z)
                ctx.save_for_backward(x, y, z)
                return y, z

            @staticmethod
            def backward(ctx, gy, gz):
                x, y, z = ctx.saved_tensors
                return gy * y

        x = leaf(m, [1.0, 2.0])
        gc.disable()
        try:
            y, z = Keep.apply(x)
            ref = weakref.ref(y.grad_fn)
            del y, z
            assert ref() is None, m.__name__
        finally:
            gc.enable()


def test_two_inputs_two_outputs():
    res = {}
    for m in LIBS:
        log = []
        x = leaf(m, [1.0, 2.0, 3.0])
        y = leaf(m, [0.5, -1.0, 4.0])
        p, s = make_mul_add(m, log).apply(x, y)
        assert p.grad_fn is s.grad_fn
        assert (p.output_nr, s.output_nr) == (0, 1)
        assert len(p.grad_fn.next_functions) == 2
        (p * 2).sum().backward()  # s unused: its gradient arrives as zeros
        res[m] = (p, s, x.grad, y.grad, log[0][1])
    for e, t in zip(res[ember], res[torch]):
        assert_same(e, t)


def test_both_outputs_used_and_broadcast_gradient():
    res = {}
    for m in LIBS:
        x = leaf(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = leaf(m, [0.5, -1.0, 4.0])
        p, s = make_mul_add(m, []).apply(x, y.expand(2, 3))
        (p.sum() + (s * s).sum()).backward()
        res[m] = (x.grad, y.grad)
    assert_same(res[ember], res[torch])


def test_needs_input_grad_and_non_tensor_args():
    seen = {}
    for m in LIBS:
        log = []

        class Scale(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, w, k, label):
                log.append(("forward", ctx.needs_input_grad))
                ctx.k = k
                ctx.label = label
                ctx.save_for_backward(w)
                return x * w * k

            @staticmethod
            def backward(ctx, g):
                log.append(("backward", ctx.needs_input_grad, ctx.k, ctx.label))
                (w,) = ctx.saved_tensors
                return g * w * ctx.k, None, None, None

        x = leaf(m, [1.0, 2.0])
        w = leaf(m, [3.0, -1.0], requires_grad=False)
        out = Scale.apply(x, w, 2.5, "scale")
        # one edge per tensor argument (None for w, which needs no grad); none for k, label
        edges = out.grad_fn.next_functions
        assert len(edges) == 2 and edges[1] == (None, 0)
        assert type(edges[0][0]).__name__ == "AccumulateGrad"
        out.sum().backward()
        with m.no_grad():
            Scale.apply(x, w, 1, "no grad")  # needs_input_grad follows requires_grad only
        seen[m] = (log, x.grad)
    assert seen[ember][0] == seen[torch][0]
    assert seen[ember][0][0] == ("forward", (True, False, False, False))
    assert_same(seen[ember][1], seen[torch][1])


def test_no_grad_mode_records_nothing():
    for m in LIBS:
        x = leaf(m, [1.0, 2.0])
        with m.no_grad():
            y = make_exp(m).apply(x)
        assert not y.requires_grad and y.grad_fn is None
        z = make_exp(m).apply(leaf(m, [1.0], requires_grad=False))
        assert not z.requires_grad and z.grad_fn is None


def test_mark_non_differentiable():
    res = {}
    for m in LIBS:
        log = []

        class SplitSign(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                doubled = x * 2
                positive = (x > 0).long()
                ctx.mark_non_differentiable(doubled, positive)
                return x * 3, doubled, positive

            @staticmethod
            def backward(ctx, g, g_doubled, g_positive):
                log.append((g_doubled, g_positive))
                return g * 3

        x = leaf(m, [1.0, -2.0, 0.5])
        a, b, c = SplitSign.apply(x)
        assert a.requires_grad and a.grad_fn is not None
        assert not b.requires_grad and b.grad_fn is None
        assert not c.requires_grad and c.grad_fn is None
        a.sum().backward()
        res[m] = (a, b, c, x.grad, *log[0])
    assert_same(res[ember], res[torch])


def test_set_materialize_grads_false_passes_none():
    res = {}
    for m in LIBS:
        log = []

        class Two(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                log.append((ga, gb))
                return gb * 3

        x = leaf(m, [1.0, 2.0])
        _, b = Two.apply(x)
        b.sum().backward()
        res[m] = (log[0], x.grad)
    assert res[ember][0][0] is None and res[torch][0][0] is None
    assert_same(res[ember][0][1], res[torch][0][1])
    assert_same(res[ember][1], res[torch][1])


def test_mark_dirty():
    res = {}
    for m in LIBS:

        class Double_(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = leaf(m, [1.0, 2.0])
        a = x * 1.5
        b = Double_.apply(a)
        assert b is a
        assert type(a.grad_fn).__name__ == "Double_Backward"
        (b * b).sum().backward()
        res[m] = (b, x.grad, a._version[0] if m is ember else a._version)
    assert_same(res[ember][:2], res[torch][:2])
    assert res[ember][2] == res[torch][2]


def test_mark_dirty_on_leaf_is_an_error():
    def run(m):
        class Inc(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        return Inc.apply(leaf(m, [1.0]))

    same_error(lambda: run(ember), lambda: run(torch))


def test_input_returned_unchanged_is_a_new_alias():
    for m in LIBS:

        class Ident(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 5

        x = leaf(m, [1.0, 2.0])
        y = Ident.apply(x)
        assert y is not x and y._base is x
        assert y.grad_fn.name() == "IdentBackward"
        y.sum().backward()
        assert x.grad.tolist() == [5.0, 5.0]


def test_setup_context_style():
    res = {}
    for m in LIBS:

        class Square(m.autograd.Function):
            @staticmethod
            def forward(x, k):
                return x * x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                ctx.save_for_backward(x)
                ctx.k = k

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 2 * x * ctx.k, None

        x = leaf(m, [1.0, -3.0])
        Square.apply(x, 0.5).sum().backward()
        res[m] = x.grad
    assert_same(res[ember], res[torch])


# -- errors -----------------------------------------------------------------------------------
def _backward_of(m, forward, backward, *args):
    Fn = type("MyFn", (m.autograd.Function,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward)})
    Fn.apply(*args).sum().backward()


def test_wrong_number_of_gradients():
    def run(m):
        _backward_of(m, lambda ctx, x, y: x * y, lambda ctx, g: g,
                     leaf(m, [1.0]), leaf(m, [2.0]))

    exc = same_error(lambda: run(ember), lambda: run(torch))
    assert str(exc) == "function MyFnBackward returned an incorrect number of gradients " \
                       "(expected 2, got 1)"


def test_too_many_gradients_allowed_when_extra_are_none():
    for m in LIBS:
        x = leaf(m, [1.0, 2.0])
        _backward_of(m, lambda ctx, x: x * 2, lambda ctx, g: (g * 2, None, None), x)
        assert x.grad.tolist() == [2.0, 2.0]

    def run(m):
        _backward_of(m, lambda ctx, x: x * 2, lambda ctx, g: (g * 2, None, g), leaf(m, [1.0]))

    same_error(lambda: run(ember), lambda: run(torch))


def test_gradient_for_non_tensor_argument():
    def run(m):
        _backward_of(m, lambda ctx, x, k: x * k, lambda ctx, g: (g, g), leaf(m, [1.0]), 2)

    same_error(lambda: run(ember), lambda: run(torch))


def test_gradient_of_wrong_shape_or_type():
    def shape(m):
        _backward_of(m, lambda ctx, x: x * 2, lambda ctx, g: m.ones(3, dtype=m.float64),
                     leaf(m, [1.0, 2.0]))

    def not_tensor(m):
        _backward_of(m, lambda ctx, x: x * 2, lambda ctx, g: 1.0, leaf(m, [1.0, 2.0]))

    same_error(lambda: shape(ember), lambda: shape(torch))
    same_error(lambda: not_tensor(ember), lambda: not_tensor(torch))


def test_gradient_dtype_is_cast_to_the_input_dtype():
    for m in LIBS:
        x = leaf(m, [1.0, 2.0])
        _backward_of(m, lambda ctx, x: x * 2, lambda ctx, g: g.float() * 2, x)
        assert x.grad.dtype == m.float64


def test_missing_forward_or_backward_and_legacy_call():
    same_error(lambda: _nobackward(ember), lambda: _nobackward(torch))
    same_error(lambda: _noforward(ember), lambda: _noforward(torch))

    msgs = []
    for m in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(RuntimeError) as info:
                make_exp(m)()(leaf(m, [1.0]))
        msgs.append(str(info.value))
    # the same text, PyTorch's documentation link included
    assert msgs[0] == msgs[1]
    assert msgs[0].startswith("Legacy autograd function with non-static forward method")
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        make_exp(ember)()


def _nobackward(m):
    class NoBackward(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    NoBackward.apply(leaf(m, [1.0])).sum().backward()


def _noforward(m):
    class NoForward(m.autograd.Function):
        pass

    NoForward.apply(leaf(m, [1.0]))


def test_freed_graph_errors():
    def twice(m):
        y = make_exp(m).apply(leaf(m, [1.0, 2.0]))
        y.sum().backward()
        y.sum().backward()

    def saved_after_backward(m):
        y = make_exp(m).apply(leaf(m, [1.0, 2.0]))
        y.sum().backward()
        return y.grad_fn.saved_tensors

    def nothing_saved(m, access):
        # nothing saved: backward may run again, but saved_tensors is still freed
        y = type("Twice", (m.autograd.Function,), {
            "forward": staticmethod(lambda ctx, x: x * 2),
            "backward": staticmethod(lambda ctx, g: (ctx.saved_tensors, g * 2)[1]
                                     if access else g * 2)}).apply(leaf(m, [1.0]))
        y.sum().backward()
        y.sum().backward()
        return y

    exc = same_error(lambda: twice(ember), lambda: twice(torch))
    assert str(exc).startswith("Trying to backward through the graph a second time")
    same_error(lambda: saved_after_backward(ember), lambda: saved_after_backward(torch))
    same_error(lambda: nothing_saved(ember, True), lambda: nothing_saved(torch, True))
    for m in LIBS:
        y = nothing_saved(m, False)
        with pytest.raises(RuntimeError, match="^Trying to backward through the graph"):
            y.grad_fn.saved_tensors


def test_retain_graph_allows_a_second_backward():
    res = {}
    for m in LIBS:
        x = leaf(m, [1.0, 2.0])
        y = make_exp(m).apply(x)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        res[m] = x.grad
    assert_same(res[ember], res[torch])


def test_saved_tensor_modified_in_place():
    def saved_input(m):
        class Sq(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * g * x

        a = leaf(m, [1.0, 2.0]) * 1
        y = Sq.apply(a)
        with m.no_grad():
            a.add_(1)
        y.sum().backward()

    def saved_output(m):
        y = make_exp(m).apply(leaf(m, [1.0, 2.0]))
        with m.no_grad():
            y.mul_(2)
        y.sum().backward()

    same_error(lambda: saved_input(ember), lambda: saved_input(torch))
    exc = same_error(lambda: saved_output(ember), lambda: saved_output(torch))
    assert "which is output 0 of Exp," in str(exc)


# -- higher order -----------------------------------------------------------------------------
def test_double_backward_through_a_function():
    res = {}
    for m in LIBS:
        x = leaf(m, [0.5, -1.0, 2.0])
        y = make_cube(m).apply(x)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        e = make_exp(m).apply(x)
        (ge,) = m.autograd.grad(e.sum(), x, create_graph=True)
        (gge,) = m.autograd.grad(ge.sum(), x)  # through the saved output's grad_fn
        res[m] = (g, gg, ge, gge)
    assert_same(res[ember], res[torch])
    assert res[ember][0].requires_grad and res[ember][0].grad_fn is not None


def test_backward_runs_with_grad_mode_equal_to_create_graph():
    for m in LIBS:
        modes = []
        Fn = type("Probe", (m.autograd.Function,), {
            "forward": staticmethod(lambda ctx, x: x * 2),
            "backward": staticmethod(lambda ctx, g: modes.append(m.is_grad_enabled()) or g)})
        x = leaf(m, [1.0])
        m.autograd.grad(Fn.apply(x).sum(), x)
        m.autograd.grad(Fn.apply(x).sum(), x, create_graph=True)
        with m.no_grad():
            assert not Fn.apply(x).requires_grad
        assert modes == [False, True]


def test_once_differentiable():
    def run(m, second):
        class Sq(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @m.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * g * x

        x = leaf(m, [1.0, 3.0])
        v = leaf(m, [1.0, -2.0])  # a grad_output that requires grad: g must record
        (g,) = m.autograd.grad(Sq.apply(x), x, v, create_graph=True)
        if second:
            m.autograd.grad(g.sum(), x)
        return g

    g_e, g_t = run(ember, False), run(torch, False)
    assert_same(g_e, g_t)
    assert g_e.requires_grad == g_t.requires_grad
    assert type(g_e.grad_fn).__name__ == type(g_t.grad_fn).__name__ == "Error"
    assert repr(g_e).endswith("grad_fn=<Error>)")
    same_error(lambda: run(ember, True), lambda: run(torch, True))


# -- gradcheck / gradgradcheck ----------------------------------------------------------------
def test_gradcheck_custom_functions_pass():
    x = leaf(ember, [[0.5, -1.0, 2.0], [0.1, 0.3, -0.7]])
    y = leaf(ember, [0.2, 1.5, -0.4])
    assert gradcheck(make_exp(ember).apply, (x,))
    assert gradcheck(lambda a, b: make_mul_add(ember, []).apply(a, b), (x, y))
    assert gradcheck(make_exp(ember).apply, (x,), fast_mode=True)
    assert gradgradcheck(make_cube(ember).apply, (x,))
    assert gradgradcheck(make_exp(ember).apply, (x,), gen_non_contig_grad_outputs=True)
    assert gradgradcheck(lambda a, b: make_mul_add(ember, []).apply(a, b), (x, y))


def test_gradcheck_detects_a_wrong_backward_with_pytorchs_message():
    msgs = {}
    for m in LIBS:
        x = leaf(m, [0.5, 1.5, 2.0])
        bad = make_bad_sin(m).apply
        check = gradcheck if m is ember else torch.autograd.gradcheck
        assert check(bad, (x,), raise_exception=False) is False
        with pytest.raises(RuntimeError) as info:
            check(bad, (x,))
        msgs[m] = str(info.value)
        assert type(info.value).__name__ == "GradcheckError"
    assert msgs[ember] == msgs[torch].replace("torch.", "ember.")
    assert msgs[ember].startswith("Jacobian mismatch for output 0 with respect to input 0,\n"
                                  "numerical:")
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_fast_mode_detects_a_wrong_backward():
    x = leaf(ember, [0.5, 1.5, 2.0])
    assert gradcheck(make_bad_sin(ember).apply, (x,), fast_mode=True,
                     raise_exception=False) is False
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0,\nnumerical:"):
        gradcheck(make_bad_sin(ember).apply, (x,), fast_mode=True)


def test_gradgradcheck_detects_a_wrong_double_backward():
    for m in LIBS:
        x = leaf(m, [0.5, 1.5, 2.0])
        wrong = make_cube(m, wrong_double=True).apply
        first = gradcheck if m is ember else torch.autograd.gradcheck
        second = gradgradcheck if m is ember else torch.autograd.gradgradcheck
        assert first(wrong, (x,))  # the first derivative is right
        assert second(wrong, (x,), raise_exception=False) is False


def test_gradcheck_mismatch_in_second_input_and_output():
    msgs = {}
    for m in LIBS:

        class Half(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * 1, x * y

            @staticmethod
            def backward(ctx, ga, gb):
                return ga, gb  # d(x*y)/dy is x, not 1; d(x*y)/dx is missing
        x = leaf(m, [0.5, 2.0])
        y = leaf(m, [3.0, -1.0])
        check = gradcheck if m is ember else torch.autograd.gradcheck
        with pytest.raises(RuntimeError) as info:
            check(Half.apply, (x, y))
        msgs[m] = str(info.value)
    assert msgs[ember] == msgs[torch].replace("torch.", "ember.")
    assert msgs[ember].startswith("Jacobian mismatch for output 1 with respect to input 0,")


def test_gradcheck_input_errors_and_warning():
    same_error(lambda: gradcheck(lambda a: a * 2, (leaf(ember, [1.0], requires_grad=False),)),
               lambda: torch.autograd.gradcheck(lambda a: a * 2,
                                                (leaf(torch, [1.0], requires_grad=False),)))
    msgs = []
    for m, check in ((ember, gradcheck), (torch, torch.autograd.gradcheck)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ok = check(lambda a: a * 2, (leaf(m, [1.0, 2.0], "float32"),),
                       raise_exception=False)
        assert ok is False  # float32 central differences are too coarse at eps=1e-6
        msgs.append(str(w[0].message))
    assert msgs[0] == msgs[1]
    assert msgs[0].startswith("Input #0 requires gradient and is not a double precision")
    base = np.zeros(3)
    expanded = ember.from_numpy(np.broadcast_to(base, (2, 3))).requires_grad_()
    t_expanded = torch.zeros(3, dtype=torch.float64).expand(2, 3).requires_grad_()
    same_error(lambda: gradcheck(lambda a: a * 2, (expanded,)),
               lambda: torch.autograd.gradcheck(lambda a: a * 2, (t_expanded,)))


def test_gradcheck_backward_not_multiplied_by_grad_output():
    for m in LIBS:
        class Ones(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                # right for any nonzero grad_output, but not zero for a zero one
                return g * 2 + m.ones_like(g) * (g.abs().sum() == 0)

        check = gradcheck if m is ember else torch.autograd.gradcheck
        with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
            check(Ones.apply, (leaf(m, [1.0, 2.0]),))


def test_gradcheck_non_differentiable_outputs_must_have_zero_numerical_gradient():
    for m in LIBS:
        check = gradcheck if m is ember else torch.autograd.gradcheck
        x = leaf(m, [1.0, 2.0])
        assert check(lambda a: a.detach() * 0, (x,))
        with pytest.raises(RuntimeError, match="Numerical gradient for function expected to "
                                               "be zero"):
            check(lambda a: a.detach() * 2, (x,))


def test_gradcheck_non_tensor_args_and_multiple_outputs():
    x = leaf(ember, [[0.5, -1.0], [2.0, 0.3]])
    assert gradcheck(lambda a, k: (a * k, a.sin(), (a > 0)), (x, 3))
    assert gradgradcheck(lambda a, k: (a * k * a, a.sin()), (x, 3))


def test_gradgradcheck_with_given_grad_outputs():
    x = leaf(ember, [0.5, -1.0, 2.0])
    go = leaf(ember, [1.0, -2.0, 0.5])
    assert gradgradcheck(lambda a: a * a * a, (x,), (go,))
    assert gradgradcheck(lambda a: a * a * a, (x,), (go.detach(),))


def test_autograd_namespace_exports():
    import ember.autograd.gradcheck as module  # noqa: F401  (as any test file may do first)

    assert ember.autograd.gradcheck is gradcheck
    assert ember.autograd.gradgradcheck is gradgradcheck
    from ember.autograd import function

    assert ember.autograd.Function is function.Function
    assert ember.autograd.FunctionCtx is function.FunctionCtx
    assert ember.autograd.once_differentiable is function.once_differentiable
