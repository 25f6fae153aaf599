"""Threads and determinism controls against PyTorch: values, errors, and the BLAS pool."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import ember


def _outcome(call):
    try:
        return ("ok", call())
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return (type(e).__name__, str(e))


@pytest.fixture
def restore():
    yield
    for lib in (ember, torch):
        lib.use_deterministic_algorithms(False)
    ember.set_num_threads(torch.get_num_threads())


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True, None])
def test_thread_counts_are_checked_as_in_pytorch(value):
    for name in ("set_num_threads", "set_num_interop_threads"):
        assert _outcome(lambda: getattr(ember, name)(value)) == \
            _outcome(lambda: getattr(torch, name)(value))


def test_set_num_threads_sets_numpys_blas_pool(restore):
    from threadpoolctl import threadpool_info

    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {1}
    a = ember.randn(64, 64)
    assert np.array_equal((a @ a)._data, a._data @ a._data)  # still computes
    ember.set_num_threads(2)
    assert ember.get_num_threads() == 2


def test_interop_threads_are_set_once_as_in_pytorch():
    code = ("import {0} as t\n"
            "print(t.get_num_interop_threads() >= 1)\n"
            "t.set_num_interop_threads(3)\n"
            "print(t.get_num_interop_threads())\n"
            "try:\n"
            "    t.set_num_interop_threads(2)\n"
            "except RuntimeError as e:\n"
            "    print(e)\n")
    runs = [subprocess.run([sys.executable, "-c", code.format(lib)], capture_output=True,
                           text=True, timeout=120) for lib in ("ember", "torch")]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout


def test_import_does_not_load_threadpoolctl():
    code = "import sys, ember; print('threadpoolctl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


MODES = ["default", "warn", "error", 0, 1, 2, 3, "x", 1.0, None]


def test_determinism_switches_match_pytorch(restore):
    def state(lib):
        return (lib.are_deterministic_algorithms_enabled(),
                lib.is_deterministic_algorithms_warn_only_enabled(),
                lib.get_deterministic_debug_mode())

    def run(lib):
        seen = [state(lib)]
        for mode, warn_only in ((True, False), (True, True), (False, False), (False, True)):
            lib.use_deterministic_algorithms(mode, warn_only=warn_only)
            seen.append(state(lib))
        for mode in MODES:
            seen.append(_outcome(lambda: lib.set_deterministic_debug_mode(mode)))
            seen.append(state(lib))
        for bad in ("yes", 1, None):
            seen.append(_outcome(lambda: lib.use_deterministic_algorithms(bad)))
        seen.append(_outcome(lambda: lib.use_deterministic_algorithms(True, warn_only=1)))
        return seen

    assert run(ember) == run(torch)


def test_deterministic_mode_fills_uninitialized_memory():
    """With deterministic algorithms on, empty tensors hold NaN / the largest integer / True,
    unless torch.utils.deterministic.fill_uninitialized_memory is False."""
    def run(lib):
        seen = []
        lib.use_deterministic_algorithms(True)
        try:
            for dt in ("float32", "float64", "int64", "int8", "uint8", "bool", "complex64"):
                dtype = getattr(lib, dt)
                for t in (lib.empty(3, dtype=dtype), lib.empty_like(lib.ones(2), dtype=dtype),
                          lib.ones(1).new_empty(2, dtype=dtype),
                          lib.empty_strided((2,), (1,), dtype=dtype),
                          lib.zeros(1, dtype=dtype).resize_(3)):
                    seen.append((dt, str(t.dtype).split(".")[1], repr(t.tolist())))
            lib.utils.deterministic.fill_uninitialized_memory = False
            assert not lib.utils.deterministic.fill_uninitialized_memory
            if lib is ember:  # no longer filled: ember's "anything" is zeros
                assert lib.empty(2, dtype=lib.int64).tolist() == [0, 0]
        finally:
            lib.utils.deterministic.fill_uninitialized_memory = True
            lib.use_deterministic_algorithms(False)
        return seen

    assert run(ember) == run(torch)
    assert ember.empty(2).tolist() == [0.0, 0.0]  # not deterministic: ember's "anything" is 0
    with pytest.raises(RuntimeError, match="expected a bool, but got int"):
        ember.utils.deterministic.fill_uninitialized_memory = 1
