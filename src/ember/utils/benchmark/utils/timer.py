"""Timer: timeit's Timer with replicates, a thread count and a label, as PyTorch's.

``Timer(stmt, setup, globals=...)`` runs ``stmt`` through ``timeit.Timer``; ``timeit(n)``
times one block of ``n`` runs after a warm-up, ``blocked_autorange`` picks a block size whose
timer overhead is negligible and collects blocks until ``min_run_time`` has passed, and
``adaptive_autorange`` goes on until the blocks agree. Each returns a Measurement.
"""

import enum
import sys
import textwrap
import time
import timeit as _timeit

import numpy as np

from . import common

__all__ = ["Language", "Timer", "timer"]


def timer():
    """The default clock: ``time.perf_counter`` (ember computes on the CPU, so there is no
    device to synchronize first)."""
    return time.perf_counter()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _clean(code):
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()


class Timer:
    """Measure the execution time of ember statements (PyTorch's torch.utils.benchmark.Timer).

    Args:
        stmt: the code to time, run in a loop.
        setup: code run once before each block of runs (defines what ``stmt`` uses).
        global_setup: C++ only; must be empty for Python.
        timer: the clock, ``time.perf_counter`` by default.
        globals: the namespace ``stmt`` runs in; ``torch`` (and ``ember``) name ember there
            unless given.
        label, sub_label, description, env: names that the printed Measurement and Compare's
            tables use (rows by ``sub_label``, columns by ``description``, one table per
            ``label``).
        num_threads: ember's intra-op threads (``ember.set_num_threads``) while timing; the
            previous count is restored afterwards.
        language: ``"python"`` (ember has no C++ timing).
    """

    _timer_cls = _timeit.Timer

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._globals = dict(globals or {})
        if language in (Language.PYTHON, "py", "python"):
            # the package this module belongs to is loaded: it is the `torch` of the stmt
            ember = sys.modules[__name__.partition(".")[0]]
            self._globals.setdefault("torch", ember)
            self._globals.setdefault("ember", ember)
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely "
                                 "this code can simply be moved to `setup`.")
        elif language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError(
                "Timer(language='c++'): ember has no C++ API to time; time the Python "
                "statement instead")
        else:
            raise ValueError(f"Invalid language `{language}`.")
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer,
                                      globals=self._globals)
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup,
                                          label=label, sub_label=sub_label,
                                          description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number):
        # never zero: the statistics divide by it
        return max(self._timer.timeit(number), 1e-9)

    def _measurement(self, number, times):
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def timeit(self, number=1000000):
        """Run ``stmt`` ``number`` times (after a warm-up of ``number // 100`` runs, at least
        2) and return that one block as a Measurement, as timeit.Timer.timeit does."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return self._measurement(number, [self._timeit(number=number)])

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _measure_blocks(self, number, stop, min_run_time, max_run_time=None, callback=None):
        """Time blocks of ``number`` runs until ``min_run_time`` has passed and ``stop(times)``
        agrees, or ``max_run_time`` has passed."""
        total, can_stop, times = 0.0, False, []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time):
        """Grow the block tenfold until the timer's own overhead is under 0.01% of a block
        (and the block takes a thousandth of ``min_run_time``), or a block alone is longer
        than ``min_run_time``."""
        with common.set_torch_threads(self._task_spec.num_threads):
            empty = sorted(np.float32(self._timeit(0)) for _ in range(5))
            overhead = float(empty[2])
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Measure blocks of runs for at least ``min_run_time`` seconds.

        The block size is chosen first (tenfold steps until the timer's overhead is below
        0.01% of a block), then blocks are timed until their total passes ``min_run_time``.
        ``callback(number, time)`` is called after each block.
        """
        number = self._estimate_block_size(min_run_time)
        times = self._measure_blocks(number, lambda times: True, min_run_time=min_run_time,
                                     callback=callback)
        return self._measurement(number, times)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Like blocked_autorange, but goes on until the interquartile range of the blocks is
        below ``threshold`` times their median (at least 4 blocks and ``min_run_time``
        seconds) or ``max_run_time`` seconds have passed."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times):
            return len(times) > 3 and \
                self._measurement(number, times).meets_confidence(threshold=threshold)

        times = self._measure_blocks(number, stop, min_run_time, max_run_time,
                                     callback=callback)
        return self._measurement(number, times)

    def collect_callgrind(self, number=100, *, repeats=None, collect_baseline=True,
                          retain_out_file=False):
        raise NotImplementedError(
            "Timer.collect_callgrind counts the instructions of PyTorch's C++ kernels under "
            "Valgrind; ember has none to count. Use blocked_autorange() for times.")
