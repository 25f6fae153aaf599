"""Anomaly mode, saved-tensor hooks, explain() and the diagnostics for the classic mistakes.

PyTorch is the oracle for everything PyTorch has (anomaly mode's warnings and errors, saved
tensors and their hooks); the plain-words notes are ember's own and are checked for the line
of the user's code and the fix they name.
"""

import inspect
import os
import subprocess
import sys
import warnings

import pytest
import torch

import ember
from ember.autograd import engine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _line(offset=0):
    """The line number of the caller's line, plus offset."""
    return inspect.currentframe().f_back.f_lineno + offset


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    """Each test starts with no growth history and no findings."""
    monkeypatch.setattr(engine, "_growth", engine._Growth())
    ember.autograd.anomaly.found.clear()
    ember.autograd.anomaly._hinted.clear()
    yield
    ember.autograd.set_detect_anomaly(False)


# -- anomaly mode -------------------------------------------------------------------------------
def test_anomaly_switches_match_torch():
    def states(m):
        out = [(m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled())]
        m.autograd.set_detect_anomaly(True, check_nan=False)
        out.append((m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()))
        with m.autograd.set_detect_anomaly(False):
            out.append((m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()))
        out.append((m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()))
        m.autograd.set_detect_anomaly(False)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with m.autograd.detect_anomaly(check_nan=False):
                out.append((m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()))
        out.append((m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()))
        out.append([(x.category, str(x.message)) for x in w])
        return out

    assert states(ember) == states(torch)


def _failing_backward(m):
    class Boom(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    x = m.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with m.autograd.set_detect_anomaly(True):
            line = _line(1)
            y = Boom.apply(x)
            with pytest.raises(ValueError, match="boom"):
                y.sum().backward()
    return y, line, [str(x.message) for x in w if x.category is UserWarning]


def test_anomaly_warns_with_the_forward_traceback_and_reraises():
    ye, line_e, we = _failing_backward(ember)
    yt, line_t, wt = _failing_backward(torch)
    assert len(we) == len(wt) == 1
    head = "Error detected in BoomBackward. Traceback of forward call that caused the error:\n"
    assert we[0].startswith(head) and wt[0].startswith(head)
    user = f'  File "{__file__}", line {line_e}, in _failing_backward\n    y = Boom.apply(x)\n'
    assert user in we[0] and user in wt[0]
    assert "traceback_" in ye.grad_fn.metadata and "traceback_" in yt.grad_fn.metadata


def test_anomaly_without_forward_information():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    z = (x / x).sum()  # recorded outside anomaly mode
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with ember.autograd.set_detect_anomaly(True):
            with pytest.raises(RuntimeError):
                z.backward()
    assert [str(m.message) for m in w] == [
        "Error detected in DivBackward0. No forward pass information available. Enable detect "
        "anomaly during forward pass for more information."]


@pytest.mark.parametrize("check_nan", [True, False])
def test_nan_check_matches_torch(check_nan):
    def run(m):
        x = m.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with m.autograd.set_detect_anomaly(True, check_nan=check_nan):
                z = (x / x).sum()
                try:
                    z.backward()
                except RuntimeError as e:
                    return str(e), [str(m.message).split("\n")[0] for m in w]
        return None, [str(m.message).split("\n")[0] for m in w]

    e, t = run(ember), run(torch)
    assert e == t
    if check_nan:
        assert e[0] == "Function 'DivBackward0' returned nan values in its 1th output."
        assert e[1] == ["Error detected in DivBackward0. Traceback of forward call that caused "
                        "the error:"]


def test_inplace_error_under_anomaly_matches_torch():
    def run(m):
        x = m.ones(2, requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with m.autograd.set_detect_anomaly(True):
                s = (x * 2).sigmoid()
                s.add_(1)
                with pytest.raises(RuntimeError) as info:
                    s.sum().backward()
        return str(info.value).replace("torch.", "ember."), [str(m.message)[:49] for m in w]

    assert run(ember) == run(torch)


# -- saved tensors ------------------------------------------------------------------------------
def test_saved_fields_match_torch():
    def fields(m):
        a = m.randn(3, requires_grad=True)
        b = m.randn(3, requires_grad=True)
        M = m.randn(2, 3, requires_grad=True)
        N = m.randn(3, 4, requires_grad=True)
        y = a * b
        out = [y.grad_fn._saved_self is a, y.grad_fn._saved_other is b]
        p = a ** 2
        out += [p.grad_fn._saved_self is a, p.grad_fn._saved_exponent]
        for f in (m.exp, m.sigmoid, m.tanh):
            e = f(a)
            out.append(e.grad_fn._saved_result.equal(e))
        for e in (M.mm(N), M @ N):
            out += [e.grad_fn._saved_self is M, e.grad_fn._saved_mat2 is N]
        e = m.addmm(m.zeros(4), M, N)
        out += [e.grad_fn._saved_mat1 is M, e.grad_fn._saved_mat2 is N, e.grad_fn._saved_alpha]
        out.append(m.nn.functional.linear(M, N.t(), m.zeros(4)).grad_fn._saved_mat1 is M)
        fn = m.nn.Linear(3, 4)(M).grad_fn  # addmm(bias, input, weight.t())
        out += [fn._saved_mat2.shape, fn._saved_mat2.grad_fn.name(), fn.next_functions[2][0].name()]
        for e in (a * 2, 2.5 * a, a / 2, a * True, a.mul(3)):  # numbers saved as PyTorch wraps them
            other = e.grad_fn._saved_other
            out += [e.grad_fn.name(), str(other.dtype).split(".")[1], other.ndim, other.item(),
                    e.grad_fn._saved_self]
        out.append(type(y.grad_fn._raw_saved_self).__name__)
        y.sum().backward()
        with pytest.raises(RuntimeError) as info:
            y.grad_fn._saved_self
        out.append(str(info.value))
        return out

    assert fields(ember) == fields(torch)


def test_saved_tensors_hooks_match_torch():
    def run(m):
        log = []
        a = m.ones(3, requires_grad=True)
        b = m.full((3,), 2.0, requires_grad=True)

        def pack(x):
            log.append(("pack", tuple(x.shape), type(x.grad_fn).__name__))
            return ("P", x)

        def unpack(p):
            log.append(("unpack", p[0]))
            return p[1]

        with m.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a * b
            e = a.exp()
        log.append("backward")
        (y.sum() + e.sum()).backward()
        return log, a.grad.tolist(), b.grad.tolist()

    assert run(ember) == run(torch)


def test_saved_tensors_hooks_in_custom_function_and_errors():
    def run(m):
        out = []

        class Sq(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * g * x

        x = m.tensor([1.0, 3.0], requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(lambda t: out.append("pack") or t,
                                                   lambda t: out.append("unpack") or t):
            y = Sq.apply(x)
        y.sum().backward()
        out.append(x.grad.tolist())
        with m.autograd.graph.saved_tensors_hooks(lambda t: 3, lambda p: None):
            z = x * x
        with pytest.raises(TypeError) as info:
            z.sum().backward()
        out.append(str(info.value))
        r = (x * x).grad_fn._raw_saved_self
        r.register_hooks(lambda t: t, lambda t: t)
        with pytest.raises(RuntimeError) as info:
            r.register_hooks(lambda t: t, lambda t: t)
        out.append(str(info.value))
        with pytest.raises(RuntimeError, match="^no hooks here$"):
            with m.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
                with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        with m.autograd.graph.save_on_cpu(pin_memory=True):
            q = (x * x).sum()
        x.grad = None
        q.backward()
        out.append(x.grad.tolist())
        return out

    assert run(ember) == run(torch)


def test_node_hooks_match_torch():
    def run(m):
        log = []
        a = m.tensor([1.0, 2.0], requires_grad=True)
        y = a * 3
        y.grad_fn.register_prehook(lambda go: log.append(("pre", go[0].tolist())))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", gi[0].tolist())))
        y.sum().backward()
        return log

    assert run(ember) == run(torch)


# -- the classic mistakes -----------------------------------------------------------------------
def _growth_warnings(w):
    return [x for x in w if x.category is ember.autograd.GraphGrowthWarning]


def test_running_total_of_losses_is_reported_once_with_the_fix():
    w_ = ember.tensor([1.0, 2.0], requires_grad=True)
    total = 0
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(40):
            loss = ((w_ * 3 - 1) ** 2).sum()
            loss.backward()
            line = _line(1)
            total += loss
    found = _growth_warnings(w)
    assert len(found) == 1
    assert found[0].filename == __file__ and found[0].lineno == line  # the line that keeps it
    text = str(found[0].message)
    assert "running total" in text and "loss.item()" in text and "loss.detach()" in text
    assert f"(`total` at line {line}: a running total" in text


def test_list_of_losses_is_reported():
    w_ = ember.tensor([1.0], requires_grad=True)
    losses = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(40):
            loss = ((w_ - 1) ** 2).sum()
            loss.backward()
            line = _line(1)
            losses.append(loss)
    found = _growth_warnings(w)
    assert len(found) == 1 and "a list" in str(found[0].message)
    assert found[0].lineno == line and f"(`losses` at line {line}: a list" in str(found[0].message)


def test_growth_names_a_list_kept_by_the_module_and_fed_in_a_function(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(
        "import torch\n"
        "w = torch.tensor([1.0], requires_grad=True)\n"
        "history = []\n"
        "def step():\n"
        "    loss = ((w - 1) ** 2).sum()\n"
        "    history  .append(loss)\n"
        "    loss.backward()\n"
        "for _ in range(40):\n"
        "    step()\n"
    )
    out = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True,
                         text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")})
    assert f"{script}:6: GraphGrowthWarning" in out.stderr
    assert "(`history` at line 6: a list" in out.stderr


def test_carried_hidden_state_growth_is_reported():
    w_ = ember.tensor([0.5], requires_grad=True)
    h = ember.zeros(1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(40):
            h = h * w_ + 1
            loss = (h ** 2).sum()
            line = _line(1)
            loss.backward(retain_graph=True)
    found = _growth_warnings(w)
    assert len(found) == 1 and found[0].lineno == line
    assert "has grown" in str(found[0].message) and ".detach()" in str(found[0].message)


def test_growth_check_is_silent_on_a_correct_loop():
    w_ = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.SGD([w_], lr=0.01)
    total = 0.0
    kept = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(50):
            opt.zero_grad()
            loss = ((w_ * 3 - 1) ** 2).sum()
            loss.backward()
            opt.step()
            total += loss.item()
            kept.append(loss.detach())


def test_inplace_note_names_the_ops_and_lines():
    x = ember.ones(2, requires_grad=True)
    with ember.autograd.diagnose():
        made = _line(1)
        s = (x * 2).sigmoid()
        changed = _line(1)
        s.mul_(3)
        with pytest.raises(RuntimeError) as info:
            s.sum().backward()
    assert str(info.value).startswith("one of the variables needed for gradient computation")
    note = "\n".join(info.value.__notes__)
    assert "SigmoidBackward0 saved this tensor (at version 0)" in note
    assert f"SigmoidBackward0 was created at {__file__}:{made}" in note
    assert f"mul_ moved it to version 1 at {__file__}:{changed}" in note
    assert "Fix:" in note


def test_inplace_note_without_diagnose_points_to_it():
    x = ember.ones(2, requires_grad=True)
    s = (x * 2).exp()
    s += 1
    with pytest.raises(RuntimeError) as info:
        s.sum().backward()
    note = "\n".join(info.value.__notes__)
    assert "ExpBackward0 saved this tensor" in note and "diagnose()" in note


def test_second_backward_note():
    x = ember.ones(2, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    assert str(info.value).startswith("Trying to backward through the graph a second time")
    assert "retain_graph=True" in info.value.__notes__[-1]
    assert ".detach()" in info.value.__notes__[-1]


def test_non_scalar_backward_note():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar") as i:
        (x * x).backward()
    assert "loss.sum()" in i.value.__notes__[0] and "gradient=" in i.value.__notes__[0]


def test_leaf_becomes_non_leaf_hint():
    w_ = ember.tensor([1.0, 2.0], requires_grad=True)
    ((w_ * 3) ** 2).sum().backward()
    with ember.autograd.diagnose():
        w_ = w_ - 0.1 * w_.grad
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            line = _line(1)
            g = w_.grad
    assert g is None
    assert [x.category for x in w] == [UserWarning, ember.autograd.NonLeafGradWarning]
    assert w[1].lineno == line
    assert "w = w - lr * w.grad" in str(w[1].message)
    assert "with torch.no_grad(): w -= lr * w.grad" in str(w[1].message)


def test_non_leaf_grad_hint_only_while_diagnosing():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y.grad
    assert len(w) == 1  # exactly PyTorch's warning
    with ember.autograd.diagnose(), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y.grad
    assert "retain_grad()" in str(w[1].message)


# -- explain ------------------------------------------------------------------------------------
def test_explain_leaf_non_leaf_freed_and_versions():
    w_ = ember.tensor([1.0, 2.0], requires_grad=True)
    x = ember.ones(2)
    with ember.autograd.diagnose():
        line = _line(1)
        loss = ((w_ * x).sigmoid() ** 2).sum()
        c = ember.ones(2)
        c.add_(1)
    report = loss.explain()
    assert "not a leaf" in report and "grad_fn=SumBackward0" in report
    assert "SumBackward0 <- PowBackward0 <- SigmoidBackward0 <- MulBackward0 <- AccumulateGrad" \
        in report
    assert ".retain_grad()" in report and "intact" in report
    assert f"created at {__file__}:{line}" in report
    loss.backward()
    assert "already freed" in ember.autograd.explain(loss)
    assert "a leaf that requires grad" in w_.explain() and "set, shape (2,)" in w_.explain()
    rc = c.explain()
    assert "does not require grad" in rc and f"add_ -> version 1 at {__file__}:{line + 2}" in rc
    assert "version 0" in x.explain()
    detached = w_.detach()
    assert "does not require grad" in detached.explain()
    assert "cut from a graph with .detach()" in detached.explain()
    assert "but not its version counter" in w_.data.explain()
    with ember.no_grad():
        assert "memory of its own" in (w_ * 2).explain() and "no_grad()" in (w_ * 2).explain()
    with ember.inference_mode():
        assert "does not require grad" in (w_ * 2).explain()


# -- ember run --explain ------------------------------------------------------------------------
def _explain_run(script, *args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "src")
    return subprocess.run([sys.executable, "-m", "ember", "run", "--explain", str(script), *args],
                          capture_output=True, text=True, env=env, timeout=600, cwd=cwd)


def test_run_explain_summarises_the_mistakes(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import torch\n"
        "w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "total = 0\n"
        "for step in range(40):\n"
        "    loss = ((w * 3 - 1) ** 2).sum()\n"
        "    loss.backward()\n"
        "    total += loss\n"
        "h = (w * 2).sigmoid()\n"
        "h.add_(1)\n"
        "h.sum().backward()\n"
    )
    out = _explain_run(script)
    assert out.returncode == 1
    summary = out.stderr.split("ember --explain: summary", 1)[1]
    assert f"stopped with RuntimeError at {script}:10" in summary
    assert f"SigmoidBackward0 was created at {script}:8" in summary
    assert f"add_ moved it to version 1 at {script}:9" in summary
    assert f"GraphGrowthWarning at {script}:7" in summary and "loss.item()" in summary


def test_run_explain_is_silent_on_the_digits_example(tmp_path):
    pytest.importorskip("sklearn")
    script = os.path.join(ROOT, "examples", "digits.py")
    out = _explain_run(script, "--epochs", "2", "--model", "mlp", "--out-dir", str(tmp_path),
                       cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr, out.stderr
    assert "no autograd mistakes found" in out.stderr


def test_saved_tensor_is_autograd_saved_tensor():
    """grad_fn._raw_saved_<field> is an autograd.SavedTensor, as in PyTorch."""
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        saved = x.sin().grad_fn._raw_saved_self
        assert isinstance(saved, lib.autograd.SavedTensor)
        assert saved.unpack() is x
