"""ember.utils.benchmark: time statements and compare the results, as torch.utils.benchmark.

``Timer(stmt, setup, globals=...)`` measures (``timeit``, ``blocked_autorange``,
``adaptive_autorange``) and returns a ``Measurement``, which prints its median and spread;
``Compare([...]).print()`` lays many Measurements out as a table. Nothing here is loaded by
``import ember``.
"""

from .utils.common import (
    Measurement,
    TaskSpec,
    ordered_unique,
    select_unit,
    set_torch_threads,
    trim_sigfig,
    unit_to_english,
)
from .utils.compare import Colorize, Compare
from .utils.fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias
from .utils.timer import Language, Timer, timer

__all__ = ["Colorize", "Compare", "FuzzedParameter", "FuzzedTensor", "Fuzzer", "Language",
           "Measurement", "ParameterAlias", "TaskSpec", "Timer", "ordered_unique",
           "select_unit", "set_torch_threads", "timer", "trim_sigfig", "unit_to_english"]
