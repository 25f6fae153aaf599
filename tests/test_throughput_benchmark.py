"""torch.utils.throughput_benchmark against PyTorch: calling threads, the shared budget of
iterations, the statistics and their printing, and the errors."""

import json
import re
import threading
from types import SimpleNamespace

import pytest
import torch
import torch.utils.throughput_benchmark as torch_tb

import ember
import ember.utils.throughput_benchmark as ember_tb

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def _counting_module(lib):
    seen = []

    class Scale(lib.nn.Module):
        def forward(self, x, y=1):
            seen.append((threading.get_ident(), y))
            return x * y

    return Scale(), seen


def test_names_and_homes():
    assert ember.utils.ThroughputBenchmark is ember_tb.ThroughputBenchmark
    assert ember.utils.throughput_benchmark is ember_tb
    assert ember_tb.ThroughputBenchmark.__module__ == "ember.utils.throughput_benchmark"
    names = {n for n in dir(torch_tb) if not n.startswith("_") and n != "torch"}
    assert names <= set(dir(ember_tb))
    with pytest.raises(AttributeError, match="module 'ember.utils' has no attribute 'nope'"):
        ember.utils.nope  # noqa: B018


@pytest.mark.parametrize("kwargs", [dict(time_us=999.9), dict(time_us=1000), dict(time_ms=1.5),
                                    dict(time_s=2), dict(time_us=1e6), dict(time_us=0),
                                    dict(time_s=0.0004), dict(time_ms=float("inf"))])
def test_format_time(kwargs):
    assert ember_tb.format_time(**kwargs) == torch_tb.format_time(**kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(time_us=1, time_s=2)])
def test_format_time_wants_one_unit(kwargs):
    for tb in (ember_tb, torch_tb):
        with pytest.raises(AssertionError, match="Expected only one of time_us, time_ms, "
                           "time_s is given."):
            tb.format_time(**kwargs)


@pytest.mark.parametrize("latency,iters,threads", [(0.128325, 10, 3), (1500.0, 7, 1),
                                                   (2.5e-3, 100, 4)])
def test_execution_stats_print_as_pytorch(latency, iters, threads):
    raw = SimpleNamespace(latency_avg_ms=latency, num_iters=iters)
    config = SimpleNamespace(num_calling_threads=threads)
    ours, theirs = ember_tb.ExecutionStats(raw, config), torch_tb.ExecutionStats(raw, config)
    assert str(ours) == str(theirs)
    assert ours.total_time_seconds == theirs.total_time_seconds
    assert ours.iters_per_second == theirs.iters_per_second
    assert ours.benchmark_config is config


@LIBS
def test_calls_per_thread_and_shared_budget(lib, capfd):
    module, seen = _counting_module(lib)
    bench = lib.utils.ThroughputBenchmark(module)
    bench.add_input(lib.ones(2), y=2)
    bench.add_input(lib.ones(2), y=5)
    stats = bench.benchmark(num_calling_threads=3, num_warmup_iters=2, num_iters=10)
    # each thread warms up twice, then the threads share ten measured calls
    assert len(seen) == 3 * 2 + 10
    threads = {t for t, _ in seen}
    assert len(threads) == 3 and threading.get_ident() not in threads
    assert {y for _, y in seen} <= {2, 5}
    assert stats.num_iters == 10 and stats.latency_avg_ms > 0
    assert stats.total_time_seconds == pytest.approx(10 * stats.latency_avg_ms / 1000 / 3)
    lines = str(stats).split("\n")
    assert lines[0].startswith("Average latency per example: ")
    assert lines[1] == "Total number of iterations: 10"
    assert re.fullmatch(r"Total number of iterations per second \(across all threads\): "
                        r"[\d.]+", lines[2])
    assert "Starting benchmark on an nn.Module. This can be slow due to Python GIL.For proper " \
           "inference simulation you might want to switch to a ScriptModule instead" \
           in capfd.readouterr().err


@LIBS
def test_run_once_and_inputs(lib):
    module, seen = _counting_module(lib)
    bench = lib.utils.ThroughputBenchmark(module)
    out = bench.run_once(lib.tensor([1.0, 2.0]), y=3)
    assert out.tolist() == [3.0, 6.0] and len(seen) == 1
    assert lib.utils.ThroughputBenchmark(lambda x: x + 1).run_once(3) == 4
    with pytest.raises(TypeError, match="'int' object is not callable"):
        lib.utils.ThroughputBenchmark(5).run_once(3)
    with pytest.raises(RuntimeError, match=re.escape(
            "Please provide benchmark inputs.Did you forget to call add_input()? ")):
        bench.benchmark()


@LIBS
def test_degenerate_runs(lib):
    module, seen = _counting_module(lib)
    bench = lib.utils.ThroughputBenchmark(module)
    bench.add_input(lib.ones(1))
    none = bench.benchmark(num_iters=0, num_warmup_iters=1)
    assert none.num_iters == 0 and none.latency_avg_ms == float("inf") and len(seen) == 1
    assert str(none) == ("Average latency per example: infs\nTotal number of iterations: 0\n"
                         "Total number of iterations per second (across all threads): nan\n"
                         "Total time: nanus")
    idle = bench.benchmark(num_calling_threads=0, num_iters=5)
    assert idle.latency_avg_ms == 0.0 and idle.num_iters == 5
    with pytest.raises(ZeroDivisionError, match="float division by zero"):
        idle.total_time_seconds  # noqa: B018


@pytest.mark.parametrize("kwargs,kind", [(dict(num_iters=2.5), "typing.SupportsInt | "
                                          "typing.SupportsIndex"),
                                         (dict(num_calling_threads="a"), "typing.SupportsInt | "
                                          "typing.SupportsIndex"),
                                         (dict(profiler_output_path=5), "str")])
def test_config_types(kwargs, kind):
    messages = []
    for lib in (ember, torch):
        bench = lib.utils.ThroughputBenchmark(lib.nn.Identity())
        bench.add_input(lib.ones(1))
        with pytest.raises(TypeError) as info:
            bench.benchmark(**kwargs)
        messages.append(re.sub(r"0x[0-9a-f]+", "0x", str(info.value)).replace("ember", "torch"))
    assert messages[0] == messages[1]
    assert f"(self: torch._C.BenchmarkConfig, arg0: {kind}) -> None" in messages[0]


def test_failure_in_a_calling_thread_is_raised():
    class Boom(ember.nn.Module):
        def forward(self, x):
            raise ValueError("bad input")

    bench = ember.utils.ThroughputBenchmark(Boom())
    bench.add_input(1)
    with pytest.raises(ValueError, match="bad input"):
        bench.run_once(1)
    for warmup in (0, 2):
        with pytest.raises(ValueError, match="bad input"):
            bench.benchmark(num_calling_threads=2, num_warmup_iters=warmup, num_iters=4)


def test_profiler_output_path(tmp_path):
    module, seen = _counting_module(ember)
    bench = ember.utils.ThroughputBenchmark(module)
    bench.add_input(ember.ones(3), y=2)
    path = tmp_path / "trace.json"
    bench.benchmark(num_calling_threads=2, num_warmup_iters=3, num_iters=8,
                    profiler_output_path=str(path))
    events = json.loads(path.read_text())["traceEvents"]
    # the measured calls are recorded, the warmup calls are not
    assert sum(e.get("name") == "aten::mul" for e in events) == 8
    assert len(seen) == 2 * 3 + 8
