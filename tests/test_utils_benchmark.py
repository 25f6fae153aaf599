"""ember.utils.benchmark against torch.utils.benchmark: printing, statistics, Compare's tables.

The times come from a fake clock: the timed statement ``clock.tick()`` advances it by a
deterministic amount and each reading of the clock costs a fixed overhead, so ember and
PyTorch see the same times and must print the same numbers.
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.utils.benchmark as TB

import ember
import ember.utils.benchmark as EB

SRC = str(Path(ember.__file__).resolve().parents[1])


class Clock:
    def __init__(self, pattern, read=5e-8):
        self.t, self.n, self.pattern, self.read = 0.0, 0, pattern, read

    def __call__(self):
        self.t += self.read
        return self.t

    def tick(self):
        self.n += 1
        self.t += self.pattern(self.n)


def _timer(B, pattern, **kwargs):
    clock = Clock(pattern)
    return B.Timer(stmt="clock.tick()", timer=clock, globals={"clock": clock}, **kwargs)


def _both(pattern, **kwargs):
    return _timer(EB, pattern, **kwargs), _timer(TB, pattern, **kwargs)


def _repr(m):
    """repr with the address dropped and ember's module path in torch's place."""
    text = re.sub(r" at 0x[0-9a-f]+>", " at 0x>", repr(m))
    return text.replace("<torch.utils.benchmark", "<ember.utils.benchmark")


def _same(em, tm, exact_mean=False):
    assert _repr(em) == _repr(tm)
    assert em.number_per_run == tm.number_per_run
    assert em.raw_times == tm.raw_times
    assert em.times == tm.times
    assert (em.median, em.iqr, em.significant_figures, em.has_warnings) == \
        (tm.median, tm.iqr, tm.significant_figures, tm.has_warnings)
    assert em.mean == pytest.approx(tm.mean, rel=1e-12)


STEADY = lambda i: 1e-6 * (1 + (i * 7919 % 13) / 10)  # noqa: E731
GROSS = lambda i: 1e-6 * (1 + (i // 1000 % 5))  # noqa: E731
FLUCTUATING = lambda i: 1e-6 * (1 + (i // 1000 % 3) / 8)  # noqa: E731


# -- Measurement printing -----------------------------------------------------------------------
def test_blocked_autorange_prints_as_pytorch():
    e, t = _both(STEADY, label="add", sub_label="int", description="n=1")
    em, tm = e.blocked_autorange(), t.blocked_autorange()
    _same(em, tm)
    assert _repr(em).splitlines() == [
        "<ember.utils.benchmark.utils.common.Measurement object at 0x>",
        "add: int",
        "n=1",
        "  Median: 1.60 us",
        "  IQR:    0.00 us (1.60 to 1.60)",
        "  125 measurements, 1000 runs per measurement, 1 thread",
    ]


def test_header_names_embers_class():
    m = EB.Measurement(1, [1e-3], EB.TaskSpec("x", "pass"))
    assert re.match(r"<ember\.utils\.benchmark\.utils\.common\.Measurement object at 0x[0-9a-f]+>$",
                    repr(m).splitlines()[0])


@pytest.mark.parametrize("pattern,message", [
    (GROSS, "This suggests significant environmental influence."),
    (FLUCTUATING, "This could indicate system fluctuation."),
])
def test_high_iqr_warning_lines(pattern, message):
    e, t = _both(pattern, setup="x = 1\ny = 2")
    em, tm = e.blocked_autorange(min_run_time=0.05), t.blocked_autorange(min_run_time=0.05)
    _same(em, tm)
    lines = _repr(em).splitlines()
    assert lines[-2].startswith("  WARNING: Interquartile range is ")
    assert lines[-2].endswith("% of the median measurement.")
    assert lines[-1] == "           " + message


def test_timeit_single_measurement_layout():
    e, t = _both(lambda i: 1e-3, num_threads=2)
    em, tm = e.timeit(100), t.timeit(100)
    _same(em, tm)
    assert _repr(em).splitlines()[1:] == ["clock.tick()", "  1.00 ms",
                                          "  1 measurement, 100 runs , 2 threads"]


def test_adaptive_autorange_matches():
    e, t = _both(lambda i: 3e-5 * (1 + (i // 100 % 7) ** 2 / 50))
    em, tm = e.adaptive_autorange(max_run_time=0.5), t.adaptive_autorange(max_run_time=0.5)
    _same(em, tm)
    e, t = _both(STEADY)
    em, tm = e.adaptive_autorange(threshold=0.2), t.adaptive_autorange(threshold=0.2)
    _same(em, tm)
    assert len(em.times) == 7  # blocks agree at once: it stops when min_run_time has passed


def test_callback_sees_every_block():
    seen_e, seen_t = [], []
    e, t = _both(STEADY)
    em = e.blocked_autorange(callback=lambda n, s: seen_e.append((n, s)), min_run_time=0.01)
    t.blocked_autorange(callback=lambda n, s: seen_t.append((n, s)), min_run_time=0.01)
    assert seen_e == seen_t and [s for _, s in seen_e] == em.raw_times


@pytest.mark.parametrize("times", [[2e-6], [2e-6, 3e-6], [1e-6, 2e-6, 4e-6],
                                   [1e-9, 2e-9, 3e-9, 5e-9], [1.0, 2.5, 2.6, 2.7, 9.0],
                                   [3e-4] * 8, [0.02, 0.021, 0.0205, 0.03, 0.019, 0.022]])
@pytest.mark.parametrize("spec", [
    dict(stmt="x", setup="pass"),
    dict(stmt="x + y\nz = 1", setup="x = 1\ny = 2", sub_label="sub"),
    dict(stmt="x + y\nz = 1", setup="x = 1", label="L", description="several\nlines"),
    dict(stmt="f(x)", setup="", label="L", sub_label="s", description="d", num_threads=3),
])
def test_measurement_repr_and_statistics(times, spec):
    em = EB.Measurement(7, times, EB.TaskSpec(**spec))
    tm = TB.Measurement(7, times, TB.TaskSpec(**spec))
    _same(em, tm)
    assert em.title == tm.title and em.as_row_name == tm.as_row_name
    assert (em.label, em.sub_label, em.stmt, em.num_threads, em.env) == \
        (tm.label, tm.sub_label, tm.stmt, tm.num_threads, tm.env)
    assert em.task_spec.summarize() == tm.task_spec.summarize()
    assert em.meets_confidence(0.3) == tm.meets_confidence(0.3)


def test_statistics_on_random_measurements():
    g = np.random.default_rng(0)
    for _ in range(300):
        n = int(g.integers(1, 40))
        times = list(10.0 ** g.uniform(-9, 1) * (1 + g.exponential(g.uniform(0, 0.5), n)))
        em = EB.Measurement(3, times, EB.TaskSpec("x", "pass"))
        tm = TB.Measurement(3, times, TB.TaskSpec("x", "pass"))
        _same(em, tm)


def test_merge():
    spec_e, spec_t = EB.TaskSpec("x", "pass"), TB.TaskSpec("x", "pass")
    other_e, other_t = EB.TaskSpec("y", "pass"), TB.TaskSpec("y", "pass")
    em = EB.Measurement.merge([EB.Measurement(2, [1.0, 2.0], spec_e, metadata={"a": 1}),
                               EB.Measurement(4, [8.0], other_e),
                               EB.Measurement(10, [5.0], spec_e)])
    tm = TB.Measurement.merge([TB.Measurement(2, [1.0, 2.0], spec_t, metadata={"a": 1}),
                               TB.Measurement(4, [8.0], other_t),
                               TB.Measurement(10, [5.0], spec_t)])
    assert [(m.stmt, m.number_per_run, m.raw_times, m.metadata) for m in em] == \
        [(m.stmt, m.number_per_run, m.raw_times, m.metadata) for m in tm]


@pytest.mark.parametrize("t", [3e-10, 1e-9, 4.2e-8, 9.99e-7, 1e-6, 2.5e-4, 1e-3, 0.5, 1.0, 120.0])
def test_select_unit(t):
    assert EB.select_unit(t) == TB.select_unit(t)


@pytest.mark.parametrize("x", [3.14159, 0.0123456, -25.55, 987654.3, 1e-7, 12.5, 0.999])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_trim_sigfig(x, n):
    assert EB.trim_sigfig(x, n) == TB.trim_sigfig(x, n)


def test_helpers():
    assert EB.ordered_unique([3, 1, 3, 2, 1]) == TB.ordered_unique([3, 1, 3, 2, 1])
    for u in ("ns", "us", "ms", "s"):
        assert EB.unit_to_english(u) == TB.unit_to_english(u)
    with pytest.raises(AssertionError, match="Number of significant figures must be an integer"):
        EB.trim_sigfig(1.0, 1.5)


# -- Compare ------------------------------------------------------------------------------------
def _grid(B):
    ms = []
    for d in ["n=1", "n=10"]:
        for s in ["float", "int", "a longer sub label"]:
            for th in [1, 4]:
                k = len(ms)
                ms.append(_timer(B, lambda i, k=k: 1e-6 * (k + 1) * (1 + (i // 1000 % (k + 3)) / 7),
                                 label="ReLU", sub_label=s, description=d, num_threads=th)
                          .blocked_autorange(min_run_time=0.01))
    ms.append(_timer(B, lambda i: 2e-3 * (1 + (i % 3) / 3), label="other", description="d")
              .blocked_autorange(min_run_time=0.1))
    for env, sub in (("C", "t"), ("A", "s"), ("BB", "s")):
        ms.append(_timer(B, lambda i: 2e-3 * (1 + (i % 3) / 3), label="envs", env=env,
                         sub_label=sub, description="d").blocked_autorange(min_run_time=0.1))
    return ms


@pytest.fixture(scope="module")
def grids():
    return _grid(EB), _grid(TB)


@pytest.mark.parametrize("options", [(), ("trim",), ("warn",), ("trim", "warn", "color"),
                                     ("color_rows",), ("trim", "color_rows", "warn")])
def test_compare_tables(grids, options, capsys):
    ce, ct = EB.Compare(grids[0]), TB.Compare(grids[1])
    for c in (ce, ct):
        if "trim" in options:
            c.trim_significant_figures()
        if "warn" in options:
            c.highlight_warnings()
        if "color" in options:
            c.colorize()
        if "color_rows" in options:
            c.colorize(rowwise=True)
    assert str(ce) == str(ct)
    ce.print()
    assert capsys.readouterr().out == str(ct) + "\n"


def test_compare_plain_layout(grids):
    text = str(EB.Compare(grids[0]))
    assert text.splitlines()[:5] == [
        "[----------------- ReLU ----------------]",
        "                          |  n=1  |  n=10",
        "1 threads: ------------------------------",
        "      float               |  1.2  |   7.0",
        "      int                 |  3.9  |   9.0",
    ]
    assert "\n\nTimes are in microseconds (us).\n" in text
    assert "  (A)   s  |  2.7" in text


def test_compare_missing_cells_and_replicates():
    def run(B):
        ms = [_timer(B, STEADY, label="L", sub_label="a", description="x")
              .blocked_autorange(min_run_time=0.01),
              _timer(B, GROSS, label="L", sub_label="b", description="y")
              .blocked_autorange(min_run_time=0.01),
              # a replicate of the first task: merged into its row
              _timer(B, FLUCTUATING, label="L", sub_label="a", description="x")
              .blocked_autorange(min_run_time=0.01)]
        c = B.Compare(ms[:2])
        c.extend_results(ms[2:])
        c.trim_significant_figures()
        return str(c)

    assert run(EB) == run(TB)


def test_compare_errors():
    with pytest.raises(ValueError, match=re.escape(
            "Expected an instance of `Measurement`, got <class 'int'> instead.")):
        EB.Compare([3])
    # no description: PyTorch's table cannot lay the column out either
    ms_e = [EB.Measurement(1, [1e-6], EB.TaskSpec("x", "pass", label="L"))]
    ms_t = [TB.Measurement(1, [1e-6], TB.TaskSpec("x", "pass", label="L"))]
    with pytest.raises(TypeError) as te:
        str(TB.Compare(ms_t))
    with pytest.raises(TypeError) as ee:
        str(EB.Compare(ms_e))
    assert str(ee.value) == str(te.value)


# -- Timer: arguments and threads ---------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(stmt=lambda: None), dict(stmt="x", language="java"),
                                    dict(stmt="x", global_setup="#include <x>")])
def test_timer_argument_errors(kwargs):
    with pytest.raises(ValueError) as te:
        TB.Timer(**kwargs)
    with pytest.raises(ValueError) as ee:
        EB.Timer(**kwargs)
    assert str(ee.value) == str(te.value)


def test_timer_cpp_is_refused():
    with pytest.raises(NotImplementedError, match="ember has no C\\+\\+"):
        EB.Timer("x", language="c++")


@pytest.mark.parametrize("method", ["repeat", "autorange"])
def test_repeat_and_autorange_point_to_blocked_autorange(method):
    with pytest.raises(NotImplementedError) as te:
        getattr(TB.Timer(), method)()
    with pytest.raises(NotImplementedError) as ee:
        getattr(EB.Timer(), method)()
    assert str(ee.value) == str(te.value) == "See `Timer.blocked_autorange.`"


def test_stmt_and_setup_are_dedented():
    e, t = [B.Timer("""
            x = 1
            y = x + 1
        """, setup="""
            a = 2
        """, label=None) for B in (EB, TB)]
    assert e._task_spec == EB.TaskSpec(**{f: getattr(t._task_spec, f) for f in
                                          ("stmt", "setup", "global_setup", "label")})


def test_torch_names_ember_in_the_statement():
    m = EB.Timer("torch.ones(3).sum()", setup="x = torch.zeros(2)").timeit(3)
    assert m.number_per_run == 3
    seen = []
    EB.Timer("seen.append(torch)", globals={"seen": seen}).timeit(2)
    assert seen[-1] is ember
    own = object()
    EB.Timer("seen.append(torch)", globals={"seen": seen, "torch": own}).timeit(2)
    assert seen[-1] is own


def test_num_threads_set_during_the_run_and_restored():
    before = ember.get_num_threads()
    target = 1 if before != 1 else 2
    seen = []
    m = EB.Timer("seen.append(torch.get_num_threads())", globals={"seen": seen},
                 num_threads=target).timeit(4)
    assert set(seen) == {target} and m.num_threads == target
    assert ember.get_num_threads() == before
    seen.clear()
    with pytest.raises(ZeroDivisionError):
        EB.Timer("seen.append(torch.get_num_threads()); 1 / 0", globals={"seen": seen},
                 num_threads=target).blocked_autorange(min_run_time=0.001)
    assert seen == [target] and ember.get_num_threads() == before


def test_real_clock_measures_something():
    m = EB.Timer("x.sum()", setup="x = torch.ones(100)").blocked_autorange(min_run_time=0.02)
    assert m.median > 0 and m.number_per_run >= 1 and sum(m.raw_times) >= 0.02
    assert "runs per measurement" in repr(m)


def test_timer_under_the_torch_alias():
    code = textwrap.dedent("""
        import ember
        ember.install_torch_alias()
        import torch
        import torch.utils.benchmark as benchmark
        from torch.utils.benchmark.utils.common import Measurement
        t = benchmark.Timer("torch.add(x, x)", setup="x = torch.ones(4)", label="add")
        m = t.timeit(10)
        print(benchmark is ember.utils.benchmark, isinstance(m, Measurement),
              repr(m).splitlines()[1])
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"PYTHONPATH": SRC, "PATH": ""}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "add"]


def test_import_ember_does_not_load_benchmark():
    r = subprocess.run([sys.executable, "-c", "import sys, ember; print(any('benchmark' in m "
                        "for m in sys.modules))"], capture_output=True, text=True,
                       env={"PYTHONPATH": SRC, "PATH": ""}, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


def test_public_names():
    ours = set(EB.__all__)
    assert {"Timer", "Measurement", "Compare", "Colorize", "Language", "TaskSpec",
            "select_unit", "trim_sigfig", "unit_to_english", "ordered_unique",
            "set_torch_threads", "timer"} <= ours
    assert ours <= set(dir(TB))
    assert [c.value for c in EB.Colorize] == [c.value for c in TB.Colorize]
    assert [c.value for c in EB.Language] == [c.value for c in TB.Language]
    assert EB.Timer().timeit.__defaults__ == TB.Timer().timeit.__defaults__
    assert torch  # the oracle is imported


# -- Fuzzer -------------------------------------------------------------------------------------
def _fuzzer(B, seed=0, constraints=None, dtype="float32", **tensor_kwargs):
    lib = ember if B is EB else torch
    return B.Fuzzer(
        parameters=[
            [B.FuzzedParameter(name=f"k{i}", minval=4, maxval=64, distribution="loguniform")
             for i in range(3)],
            B.FuzzedParameter(name="d", minval=1, maxval=3, distribution="uniform"),
            B.FuzzedParameter(name="s", minval=1, maxval=3, distribution="uniform",
                              strict=True),
            B.FuzzedParameter(name="alpha", minval=0.5, maxval=2.0, distribution="uniform"),
        ],
        tensors=[
            [B.FuzzedTensor(name=name, size=("k0", "k1", "k2"), steps=("s", 1, "s"),
                            dim_parameter="d", probability_contiguous=0.5,
                            min_elements=32, max_elements=8 * 1024,
                            dtype=getattr(lib, dtype), **tensor_kwargs)
             for name in ("x", "y")],
        ],
        constraints=constraints, seed=seed)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_fuzzer_draws_what_pytorch_draws(dtype):
    fe, ft = _fuzzer(EB, seed=3, dtype=dtype), _fuzzer(TB, seed=3, dtype=dtype)
    for (et, ep, epar), (tt, tp, tpar) in zip(fe.take(12), ft.take(12)):
        assert epar == tpar
        for name in ("x", "y"):
            assert tuple(et[name].shape) == tuple(tt[name].shape)
            assert et[name].stride() == tt[name].stride()
            assert np.array_equal(et[name].numpy(), tt[name].numpy())
            e, t = dict(ep[name]), dict(tp[name])
            assert np.array_equal(e.pop("order"), t.pop("order"))
            assert e == {**t, "dtype": t["dtype"].replace("torch.", "ember.")}
    assert fe.rejection_rate == ft.rejection_rate > 0


def test_fuzzer_constraints_and_max_allocation():
    def small(params):
        return params["k0"] < 16

    fe = _fuzzer(EB, seed=1, constraints=[small], max_allocation_bytes=4096)
    ft = _fuzzer(TB, seed=1, constraints=[small], max_allocation_bytes=4096)
    pe = [p for _, _, p in fe.take(10)]
    assert pe == [p for _, _, p in ft.take(10)]
    assert all(p["k0"] < 16 for p in pe)
    assert fe.rejection_rate == ft.rejection_rate


def test_fuzzer_tensor_constructor_and_aliases():
    def run(B, lib):
        f = B.Fuzzer(
            parameters=[B.FuzzedParameter("n", minval=2, maxval=9, distribution="uniform"),
                        B.FuzzedParameter("m", minval=1, maxval=5, distribution="uniform")],
            tensors=[B.FuzzedTensor("x", size=("n", "m"), probability_contiguous=1.0,
                                    tensor_constructor=lambda size, dtype, **kw:
                                    lib.full(size, float(kw["n"]), dtype=dtype))],
            seed=7)
        return [(p, t["x"].tolist(), props["x"]["is_contiguous"]) for t, props, p in f.take(5)]

    assert run(EB, ember) == run(TB, torch)
    assert EB.Fuzzer._resolve_aliases({"a": 1, "b": EB.ParameterAlias("c"),
                                       "c": EB.ParameterAlias("a")}) == {"a": 1, "b": 1, "c": 1}
    assert repr(EB.ParameterAlias("k")) == repr(TB.ParameterAlias("k"))


def test_fuzzer_errors():
    for B in (EB, TB):
        with pytest.raises(ValueError, match="ParameterAlias cycle detected"):
            B.Fuzzer._resolve_aliases({"a": B.ParameterAlias("b"), "b": B.ParameterAlias("a")})
        with pytest.raises(ValueError, match="Duplicate names in parameters and tensors"):
            B.Fuzzer([B.FuzzedParameter("x", 1, 2, "uniform")], [B.FuzzedTensor("x", (2,))])
        with pytest.raises(AssertionError, match="Unknown distribution: normal"):
            B.FuzzedParameter("x", 1, 2, "normal")
        f = B.Fuzzer([B.FuzzedParameter("x", 1, 2, "uniform")], [], constraints=[lambda p: 0])
        with pytest.raises(ValueError, match="Failed to generate a set of valid parameters."):
            next(f.take(1))
        assert f.rejection_rate == 1.0
    with pytest.raises(AssertionError, match="'minval' must be None"):
        EB.FuzzedParameter("x", 1, distribution={1: 1.0})
    with pytest.raises(RuntimeError, match="CPU only"):
        EB.FuzzedTensor("x", (2,), cuda=True)


def test_fuzzer_custom_distribution():
    # PyTorch 2.13 refuses every normalized table (its check is inverted), so this follows
    # the documented rule: choices drawn with NumPy's RandomState.choice and these weights
    with pytest.raises(AssertionError, match="Distribution is not normalized"):
        EB.FuzzedParameter("d", distribution={2: 0.6, 3: 0.5})
    p = EB.FuzzedParameter("d", distribution={2: 0.6, 3: 0.4})
    state, ref = np.random.RandomState(0), np.random.RandomState(0)
    draws = [p.sample(state) for _ in range(200)]
    assert draws == [[2, 3][ref.choice(np.arange(2), p=(0.6, 0.4))] for _ in range(200)]
    assert 0.5 < draws.count(2) / 200 < 0.7


def test_benchmark_recipe_runs_under_ember_run(tmp_path):
    # the shape of PyTorch's benchmark recipe: functions from __main__, Timer.timeit,
    # blocked_autorange over sizes and thread counts, Compare of the results
    script = tmp_path / "recipe.py"
    script.write_text(textwrap.dedent("""
        from itertools import product

        import torch
        import torch.utils.benchmark as benchmark

        def batched_dot_mul_sum(a, b):
            return a.mul(b).sum(-1)

        def batched_dot_bmm(a, b):
            a = a.reshape(-1, 1, a.shape[-1])
            b = b.reshape(-1, b.shape[-1], 1)
            return torch.bmm(a, b).flatten(-3)

        x = torch.randn(100, 64)
        assert batched_dot_mul_sum(x, x).allclose(batched_dot_bmm(x, x))
        t0 = benchmark.Timer(stmt="batched_dot_mul_sum(x, x)",
                             setup="from __main__ import batched_dot_mul_sum", globals={"x": x})
        print(t0.timeit(10))
        results = []
        for b, n in product([1, 64], [1, 64]):
            x = torch.ones((b, n))
            for num_threads in [1, 2]:
                for fn, desc in (("batched_dot_mul_sum", "mul/sum"), ("batched_dot_bmm", "bmm")):
                    results.append(benchmark.Timer(
                        stmt=f"{fn}(x, x)", setup=f"from __main__ import {fn}",
                        globals={"x": x}, num_threads=num_threads, label="Batched dot",
                        sub_label=f"[{b}, {n}]", description=desc,
                    ).blocked_autorange(min_run_time=0.005))
        compare = benchmark.Compare(results)
        compare.trim_significant_figures()
        compare.print()
    """))
    r = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True,
                       text=True, env={"PYTHONPATH": SRC, "PATH": ""}, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1:3] == ["batched_dot_mul_sum(x, x)",
                          "setup: from __main__ import batched_dot_mul_sum"]
    assert "1 measurement, 10 runs , 1 thread" in lines[4]
    table = lines[lines.index(next(x for x in lines if "Batched dot" in x)):]
    assert re.match(r"\s+\|\s+mul/sum\s+\|\s+bmm", table[1])
    assert table[2].startswith("1 threads: ") and table[7].startswith("2 threads: ")
    assert [row.split("|")[0].strip() for row in table[3:7]] == \
        ["[1, 1]", "[1, 64]", "[64, 1]", "[64, 64]"]
    assert table[-3:] == ["", "Times are in microseconds (us).", ""]
