"""benchmarks/run.py --smoke: every benchmark workload still runs on ember, PyTorch and NumPy.

This is not a timing test. It checks that the quick mode prints one table row per workload with
a finite ember / PyTorch ratio; it never looks at how large a ratio or a time is.
"""

import hashlib
import importlib.util
import math
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")  # the benchmarks compare against PyTorch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
HANG_GUARD_S = 600  # stops a hung run; the smoke run takes well under this (about a minute)
NO_RATIO = {"M1-growth"}  # a difference of RSS near zero: run.py prints no ratio for it


def _module(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}",
                                                  os.path.join(BENCH, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected_rows():
    run, workloads = _module("run"), _module("workloads")
    names = list(run.STEP_WORKLOADS + run.MEMORY_WORKLOADS)
    names += list(run._process_workloads(smoke=True))
    names += [f"S1-w{w}-b{b}" for w, b in workloads.SMOKE_KWARGS["S1"]["points"]]
    names += [f"S2-n{n}" for n in workloads.SMOKE_KWARGS["S2"]["ns"]]
    return names


def _rows(stdout):
    """{workload: [ember, torch, torch-mt, numpy, ember/torch, ember/numpy]} from the table."""
    rows = {}
    for line in stdout.splitlines():
        if not line.startswith("| ") or ": " not in line.split("|")[1]:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0].split(":")[0]] = cells[1:]
    return rows


def _digest(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_smoke_run_prints_a_finite_ratio_for_every_workload():
    written = [os.path.join(BENCH, f) for f in ("RESULTS.md", "size_sweep.png", "graph_size.png")]
    before = [_digest(p) for p in written]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "src"), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--smoke"],
                         capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=HANG_GUARD_S)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    rows = _rows(out.stdout)
    expected = _expected_rows()
    missing = [w for w in expected if w not in rows]
    assert not missing, f"no table row for {missing}:\n{out.stdout}"
    for w in expected:
        ember, torch_, ratio = rows[w][0], rows[w][1], rows[w][4]
        assert ember != "-", (w, rows[w])
        if w in NO_RATIO:
            continue
        assert torch_ != "-", (w, rows[w])
        assert math.isfinite(float(ratio)) and float(ratio) >= 0, (w, rows[w])
    # S2's section comes out too (its numbers are not checked)
    assert "S2: a chain of n elementwise ops" in out.stdout
    assert "bytes per node" in out.stdout
    # the smoke run writes nothing: no RESULTS.md, no plots
    assert [_digest(p) for p in written] == before
