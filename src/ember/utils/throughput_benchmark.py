"""ember.utils.throughput_benchmark: a module run under an inference server's load
(torch.utils.throughput_benchmark).

    bench = ThroughputBenchmark(model)
    bench.add_input(x)                      # the inputs the calling threads draw from
    stats = bench.benchmark(num_calling_threads=4, num_warmup_iters=10, num_iters=100)
    print(stats)                            # latency per call, calls per second, total time

Each calling thread is a Python thread: it runs its warmup calls, waits at a barrier until all
threads are warm, then takes calls from one shared budget of ``num_iters`` until it is spent.
The time measured runs from the barrier's release until the last thread is done; the average
latency is that time times the number of threads, divided by ``num_iters``.
"""

import itertools
import random
import sys
import threading
import time

import numpy as np

__all__ = ["ExecutionStats", "ThroughputBenchmark", "format_time"]


def format_time(time_us=None, time_ms=None, time_s=None):
    """One of a time in microseconds, milliseconds or seconds, written in the largest unit that
    keeps it at least 1 (``'1.500ms'``)."""
    if sum([time_us is not None, time_ms is not None, time_s is not None]) != 1:
        raise AssertionError("Expected only one of time_us, time_ms, time_s is given.")
    if time_us is None:
        time_us = time_ms * 1e3 if time_ms is not None else time_s * 1e6
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


class BenchmarkConfig:
    """The settings of one benchmark run (``torch._C.BenchmarkConfig``)."""

    def __init__(self):
        self.num_calling_threads = 1
        self.num_worker_threads = 1
        self.num_warmup_iters = 1
        self.num_iters = 100
        self.profiler_output_path = ""

    def __setattr__(self, name, value):
        kind = str if name == "profiler_output_path" else int
        if name in _CONFIG_FIELDS and not _fits(value, kind):
            hint = ("arg0: str" if kind is str
                    else "arg0: typing.SupportsInt | typing.SupportsIndex")
            raise TypeError(
                "(): incompatible function arguments. The following argument types are "
                f"supported:\n    1. (self: {_spelled('ember._C.BenchmarkConfig')}, {hint}) -> "
                f"None\n\nInvoked with: {_object_repr(self)}, {value!r}")
        if kind is int and name in _CONFIG_FIELDS:
            value = int(value.__index__() if not isinstance(value, int) else value)
        object.__setattr__(self, name, value)


_CONFIG_FIELDS = ("num_calling_threads", "num_worker_threads", "num_warmup_iters", "num_iters",
                  "profiler_output_path")


def _fits(value, kind):
    if kind is str:
        return isinstance(value, str)
    if isinstance(value, (float, complex, str, bytes)):
        return False
    return isinstance(value, int) or hasattr(type(value), "__index__")


def _spelled(text):
    from .. import _names

    return _names.spell(text)


def _object_repr(obj):
    return f"<{_spelled('ember.BenchmarkConfig')} object at {hex(id(obj))}>"


class _Stats:
    """What one run measured (``torch._C.BenchmarkExecutionStats``)."""

    __slots__ = ("latency_avg_ms", "num_iters")

    def __init__(self, latency_avg_ms, num_iters):
        self.latency_avg_ms = latency_avg_ms
        self.num_iters = num_iters


class ExecutionStats:
    """The result of ``ThroughputBenchmark.benchmark``: the average latency of one call, the
    number of calls measured, and what follows from them."""

    def __init__(self, c_stats, benchmark_config):
        self._c_stats = c_stats
        self.benchmark_config = benchmark_config

    @property
    def latency_avg_ms(self):
        return self._c_stats.latency_avg_ms

    @property
    def num_iters(self):
        return self._c_stats.num_iters

    @property
    def iters_per_second(self):
        """Total number of iterations per second across all calling threads."""
        return self.num_iters / self.total_time_seconds

    @property
    def total_time_seconds(self):
        return (self.num_iters * (self.latency_avg_ms / 1000.0)
                / self.benchmark_config.num_calling_threads)

    def __str__(self):
        return "\n".join([
            "Average latency per example: " + format_time(time_ms=self.latency_avg_ms),
            f"Total number of iterations: {self.num_iters}",
            "Total number of iterations per second (across all threads): "
            f"{self.iters_per_second:.2f}",
            "Total time: " + format_time(time_s=self.total_time_seconds),
        ])


_GIL_WARNING = ("Starting benchmark on an nn.Module. This can be slow due to Python GIL.For "
                "proper inference simulation you might want to switch to a ScriptModule instead")


class ThroughputBenchmark:
    """Runs a module (or any callable) under an inference server's load: several calling
    threads, each drawing its inputs at random from those given to ``add_input``.

    Example::

        >>> bench = ThroughputBenchmark(my_module)
        >>> for input in inputs:
        ...     bench.add_input(input[0], x2=input[1])
        >>> stats = bench.benchmark(num_calling_threads=4, num_warmup_iters=100, num_iters=1000)
        >>> print("Avg latency (ms): {}".format(stats.latency_avg_ms))
    """

    def __init__(self, module):
        self._module = module
        self._inputs = []
        jit = sys.modules.get(__name__.rsplit(".", 2)[0] + ".jit")
        self._scripted = jit is not None and isinstance(module, jit.ScriptModule)

    def run_once(self, *args, **kwargs):
        """Run the module once on the given arguments and return its output."""
        return self._module(*args, **kwargs)

    def add_input(self, *args, **kwargs):
        """Keep one input (positional and keyword arguments) for the benchmark to draw from."""
        self._inputs.append((args, dict(kwargs)))

    def benchmark(self, num_calling_threads=1, num_warmup_iters=10, num_iters=100,
                  profiler_output_path=""):
        """Run the benchmark and return its ExecutionStats.

        Args:
            num_calling_threads (int): threads calling the module at the same time.
            num_warmup_iters (int): calls each thread makes before the measurement starts.
            num_iters (int): calls measured, shared by all the threads.
            profiler_output_path (str): where to write a Chrome trace of the measured calls
                (recorded with the autograd profiler); empty: no profile.
        """
        config = BenchmarkConfig()
        config.num_calling_threads = num_calling_threads
        config.num_warmup_iters = num_warmup_iters
        config.num_iters = num_iters
        config.profiler_output_path = profiler_output_path
        return ExecutionStats(self._run(config), config)

    def _run(self, config):
        if not self._scripted:
            sys.stderr.write(f"[W{time.strftime('%m%d %H:%M:%S')} throughput_benchmark] "
                             f"Warning: {_GIL_WARNING} (function benchmark)\n")
        if config.num_worker_threads != 1:
            raise RuntimeError("Only parallelization by callers is supported")
        if not self._inputs:
            raise RuntimeError("Please provide benchmark inputs.Did you forget to call "
                               "add_input()? ")
        threads_n = max(config.num_calling_threads, 0)
        warmup = max(config.num_warmup_iters, 0)
        budget = config.num_iters
        draw = random.Random()  # seeded from the system, as each run draws afresh
        plans = [[self._inputs[draw.randrange(len(self._inputs))]
                  for _ in range(max(budget, 0) + warmup)] for _ in range(threads_n)]

        attempts = itertools.count()  # one shared budget; next() is atomic under the GIL
        warm = threading.Barrier(threads_n + 1)  # every caller warm, and the main thread
        go = threading.Event()
        failures = []

        def caller(plan):
            step = 0
            try:
                for _ in range(warmup):
                    args, kwargs = plan[step]
                    self._module(*args, **kwargs)
                    step += 1
            except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
                failures.append(exc)
                warm.abort()
                return
            try:
                warm.wait()
            except threading.BrokenBarrierError:
                return
            go.wait()
            try:
                while not failures and next(attempts) < budget:
                    args, kwargs = plan[step]
                    self._module(*args, **kwargs)
                    step += 1
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)

        workers = [threading.Thread(target=caller, args=(plan,), daemon=True) for plan in plans]
        for worker in workers:
            worker.start()
        recorder = None
        try:
            warm.wait()
        except threading.BrokenBarrierError:
            pass
        if config.profiler_output_path and not failures:
            from ..autograd import profiler as _profiler

            recorder = _profiler.profile()
            recorder.__enter__()
        start = time.perf_counter_ns()
        go.set()
        try:
            for worker in workers:
                worker.join()
            end = time.perf_counter_ns()
        finally:
            if recorder is not None:
                recorder.__exit__(None, None, None)
        if failures:
            raise failures[0]
        if recorder is not None:
            recorder.export_chrome_trace(config.profiler_output_path)
        # PyTorch measures in float32 milliseconds; the ratio follows IEEE rules (inf, nan)
        total_ms = np.float32((end - start) / 1e6)
        with np.errstate(divide="ignore", invalid="ignore"):
            latency = np.float32(total_ms * np.float32(threads_n)) / np.float32(budget)
        return _Stats(float(latency), budget)
