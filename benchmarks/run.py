"""Run every workload on ember, PyTorch and NumPy, each in a fresh process, and print ratios.

    python benchmarks/run.py [--repeat 3] [--only W1,W2] [--best] [--out benchmarks/RESULTS.md]
    python benchmarks/run.py --smoke

Runs are interleaved (ember, torch, numpy, ember, ...) so that a noisy neighbour slows all
libraries alike; each cell is the median over the repeats. Ratios are to PyTorch with one
thread, measured in the same run. ``--best`` (for a shared, noisy machine) reports instead the
fastest single step of each timing loop, and the fastest over the repeats.

S1 (the W3 MLP step over hidden widths and batch sizes) and S2 (backward time and memory of a
chain of n ops) also draw benchmarks/size_sweep.png and benchmarks/graph_size.png (matplotlib).

--smoke checks that every workload still runs, not how fast: tiny sizes, one step, one
process per library for all the step workloads, no PyTorch default-threads column, no plots,
nothing written.
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = ("ember", "torch", "torch-mt", "numpy")
DESCRIPTIONS = {
    "W1": "scalar loop: (x*w-y)**2, backward, w.data update, grad.zero_() (per step)",
    "W2": "batch linear regression, x (20,1) (per step)",
    "W3": "MLP 784-256-128-10, ReLU, cross-entropy, batch 128, SGD (per step)",
    "W4": "CNN conv-relu-pool x2 + linear, batch 64 of 28x28, SGD (per step)",
    "W5": "Hessian-vector product of sum(tanh(A@x)**2), A 256x256 (per HVP)",
    "F1": "per-sample gradients, MLP 64-32-10, batch 64: vmap(grad) (per batch)",
    "F1-loop": "the same per-sample gradients by a loop of backward passes (per batch)",
    "F2": "jacrev of tanh(W x + b), 100 -> 100 (per Jacobian)",
    "F3": "jacfwd of tanh(W x + b), 100 -> 100 (per Jacobian)",
    "F4": "hessian of sum(tanh(A x)**2), 50 parameters (per Hessian)",
    "F5": "jvp of the W3 MLP's logits with respect to its input, batch 128 (per jvp)",
    **{f"O1-{opt}": f"one {opt}{' (momentum 0.9)' if opt == 'SGD' else ''} step over resnet18's "
       "62 parameters, 11.7M floats (per step)"
       for opt in ("Adam", "AdamW", "RMSprop", "Adagrad", "SGD")},
    "R1-randperm": "randperm(60000), PyTorch's numbers (NumPy floor: its own permutation)",
    "R1-randint": "randint(0, 10, (10**6,)), PyTorch's numbers (NumPy floor: its own integers)",
    "R1-normal": "normal_ of 10**6 float32, PyTorch's numbers (NumPy floor: its own normals)",
    "D1": "DataLoader epoch, TensorDataset 60000x784 float32 + labels, batch 128, shuffle",
    "W6-import": "`python -c 'import LIB'` (whole process)",
    "W6-script": "W1 as a complete 100-epoch script (whole process)",
    "M1-peak": "peak RSS of W3 over 500 steps (MiB, not time)",
    "M1-growth": "RSS growth of W2 between step 1,000 and 10,000 (MiB, not time)",
    "E1": "examples/digits.py end to end: CNN on the 8x8 digits, 20 epochs, save, reload, "
          "plot (whole process)",
}
STEP_WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "F1", "F1-loop", "F2", "F3", "F4", "F5",
                  "O1-Adam", "O1-AdamW", "O1-RMSprop", "O1-Adagrad", "O1-SGD",
                  "R1-randperm", "R1-randint", "R1-normal", "D1")
MEMORY_WORKLOADS = ("M1-peak", "M1-growth")
DIGITS = os.path.join(os.path.dirname(HERE), "examples", "digits.py")
# S1: the width sweep at batch 128, then the batch sweep at width 512 (512x128 is in both)
S1_WIDTHS, S1_WIDTH_BATCH = (32, 64, 128, 256, 512, 1024, 2048, 4096), 128
S1_BATCHES, S1_BATCH_WIDTH = (1, 4, 16, 64, 256, 1024), 512
S1_LIBS = ("ember", "torch", "numpy")
S1_TARGET = 1.05  # ember / NumPy from width 512 up
# S2: n = 1e6 runs once, and only where the n = 1e5 run says it fits (memory, time)
S2_NS, S2_BIG_N, S2_BIG_LIMIT_S = (100, 1000, 10_000, 100_000), 1_000_000, 120
S2_LIBS = ("ember", "torch")


def _env():
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(HERE), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


BEST = []  # ["--best"] under --best: passed on to every workloads.py process


def _step_time(workload, lib):
    out = subprocess.run([sys.executable, os.path.join(HERE, "workloads.py"), workload, lib,
                          *BEST],
                         capture_output=True, text=True, env=_env(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["value"]


def _step_times(workloads, lib, smoke=False, kwargs=None):
    """Run several workloads on ``lib`` in one fresh process: {workload: value}."""
    cmd = [sys.executable, os.path.join(HERE, "workloads.py"), ",".join(workloads), lib,
           "--kwargs", json.dumps(kwargs or {})] + (["--smoke"] if smoke else []) + BEST
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{out.stderr[-3000:]}")
    values = [json.loads(line) for line in out.stdout.splitlines()
              if line.startswith('{"workload"')]
    return {v["workload"]: v["value"] for v in values}


def _process_time(code):
    """Wall time of a whole process: ``python -c code``, or an argv list where ``{tmp}``
    stands for a fresh temporary folder (also the working folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = ([a.format(tmp=tmp) for a in code] if isinstance(code, list)
                else [sys.executable, "-c", code])
        t0 = time.perf_counter()
        out = subprocess.run(argv, env=_env(), capture_output=True, text=True, cwd=tmp)
        elapsed = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(f"{argv} failed:\n{out.stderr[-3000:]}")
    return elapsed


def _process_workloads(smoke=False):
    sys.path.insert(0, HERE)
    from workloads import W1_SCRIPT

    workloads = {
        "W6-import": {lib: (f"import {lib}" if lib != "numpy" else "import numpy")
                      for lib in ("ember", "torch", "numpy")},
        "W6-script": {lib: W1_SCRIPT.format(lib=lib) for lib in ("ember", "torch")},
    }
    # E1: examples/digits.py is a PyTorch script: run by real torch, and by `ember run`
    digits = {"ember": [sys.executable, "-m", "ember", "run", DIGITS, "--out-dir", "{tmp}"],
              "torch": [sys.executable, DIGITS, "--out-dir", "{tmp}"]}
    if importlib.util.find_spec("sklearn") is None:  # the example's data set
        print("E1 skipped: examples/digits.py needs scikit-learn", file=sys.stderr)
    else:
        workloads["E1"] = {lib: argv + (["--epochs", "1"] if smoke else [])
                           for lib, argv in digits.items()}
    return workloads


def _runs_on(workload, lib):
    if lib == "numpy" and workload in MEMORY_WORKLOADS:
        return False
    if lib == "torch-mt" and workload in ("W1",) + MEMORY_WORKLOADS:
        return False
    return True


def run(only, repeat):
    results = {}
    step_workloads = [w for w in STEP_WORKLOADS + MEMORY_WORKLOADS if not only or w in only]
    for _ in range(repeat):
        for w in step_workloads:
            for lib in LIBS:
                if not _runs_on(w, lib):
                    continue
                results.setdefault(w, {}).setdefault(lib, []).append(_step_time(w, lib))
        for w, codes in _process_workloads().items():
            if only and w not in only and w.split("-")[0] not in only:
                continue
            for lib, code in codes.items():
                results.setdefault(w, {}).setdefault(lib, []).append(_process_time(code))
    pick = min if BEST else statistics.median
    return {w: {lib: pick(v) for lib, v in libs.items()} for w, libs in results.items()}


def smoke_run(only):
    """--smoke: every workload once at its tiny size, all step workloads of one library in one
    process: (medians, s1, s2) as run, run_s1 and run_s2 give them."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # no thread pools spinning against each other on a busy machine
    step = [w for w in STEP_WORKLOADS + MEMORY_WORKLOADS if not only or w in only]
    results, s1, s2 = {}, {}, {}
    for lib in ("ember", "torch", "numpy"):
        todo = [w for w in step if _runs_on(w, lib)]
        todo += ["S1"] if not only or "S1" in only else []
        todo += ["S2"] if lib in S2_LIBS and (not only or "S2" in only) else []
        for w, value in _step_times(todo, lib, smoke=True).items():
            if w == "S1":
                s1[lib] = {tuple(int(v) for v in k.split("x")): t for k, t in value.items()}
            elif w == "S2":
                s2[lib] = {int(k): v for k, v in value.items()}
            else:
                results.setdefault(w, {})[lib] = value
    for w, codes in _process_workloads(smoke=True).items():
        if only and w not in only and w.split("-")[0] not in only:
            continue
        for lib, code in codes.items():
            results.setdefault(w, {})[lib] = _process_time(code)
    return results, s1, s2


def s1_points():
    points = [(w, S1_WIDTH_BATCH) for w in S1_WIDTHS]
    return points + [(S1_BATCH_WIDTH, b) for b in S1_BATCHES
                     if (S1_BATCH_WIDTH, b) not in points]


def run_s1(repeat):
    """S1: {lib: {(width, batch): median seconds per step}}, one process per library and
    repeat, interleaved."""
    points = s1_points()
    times = {}
    for _ in range(repeat):
        for lib in S1_LIBS:
            value = _step_times(["S1"], lib, kwargs={"S1": {"points": points}})["S1"]
            for k, t in value.items():
                times.setdefault(lib, {}).setdefault(tuple(int(v) for v in k.split("x")),
                                                     []).append(t)
    return {lib: {p: statistics.median(ts) for p, ts in pts.items()}
            for lib, pts in times.items()}


def _s2_point(lib, n):
    return _step_times(["S2"], lib, kwargs={"S2": {"ns": [n]}})["S2"][str(n)]


def _mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def run_s2(repeat):
    """S2: ({lib: {n: {"forward", "backward", "graph_bytes", "peak_bytes"}}} as medians, a note
    on n = 1e6). One fresh process per library, n and repeat (memory is per process)."""
    raw = {}
    for _ in range(repeat):
        for n in S2_NS:
            for lib in S2_LIBS:
                raw.setdefault(lib, {}).setdefault(n, []).append(_s2_point(lib, n))
    # 1e6: ten times the largest n, in time and memory, if that fits
    big, last = S2_BIG_N, S2_NS[-1]
    scale = big / last
    med = {lib: {n: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                 for n, runs in pts.items()} for lib, pts in raw.items()}
    secs = max(scale * (m[last]["forward"] + m[last]["backward"]) for m in med.values())
    mem = max(scale * max(m[last]["peak_bytes"], m[last]["graph_bytes"]) for m in med.values())
    avail = _mem_available()
    if secs > S2_BIG_LIMIT_S or mem > avail / 2:
        note = (f"n = {big:,} skipped: about {secs:.0f} s and {mem / 2**20:,.0f} MiB per "
                f"process expected ({S2_BIG_LIMIT_S} s and {avail / 2**21:,.0f} MiB allowed)")
    else:
        for lib in S2_LIBS:
            med[lib][big] = _s2_point(lib, big)
        note = f"n = {big:,} ran once per library (the smaller n: medians of {repeat})"
    return med, note


def sweep_rows(s1, s2):
    """Rows of the main table for S1 and S2 (their descriptions go into DESCRIPTIONS)."""
    rows = {}
    for lib, pts in s1.items():
        for (width, batch), t in pts.items():
            name = f"S1-w{width}-b{batch}"
            DESCRIPTIONS[name] = (f"W3's MLP 784-{width}-{width // 2}-10, batch {batch}, SGD "
                                  "(per step)")
            rows.setdefault(name, {})[lib] = t
    for lib, pts in s2.items():
        for n, r in pts.items():
            name = f"S2-n{n}"
            DESCRIPTIONS[name] = (f"backward of a chain of {n:,} elementwise ops on 16 floats "
                                  "(per backward)")
            rows.setdefault(name, {})[lib] = r["backward"]
    return rows


def _linear_fit(xs, ys):
    """Least squares y = a n + b: (a, b, R^2)."""
    k = len(xs)
    mx, my = sum(xs) / k, sum(ys) / k
    sxx = sum((x - mx) ** 2 for x in xs)
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    b = my - a * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a * x - b) ** 2 for x, y in zip(xs, ys))
    return a, b, (1 - ss_res / ss_tot) if ss_tot else 1.0


def s2_fits(s2):
    """{lib: (seconds per node, intercept, R^2, peak bytes per node at the largest n, peak
    bytes per extra node: the slope of peak bytes over n)}."""
    fits = {}
    for lib, pts in s2.items():
        ns = sorted(pts)
        a, b, r2 = _linear_fit(ns, [pts[n]["backward"] for n in ns])
        slope = _linear_fit(ns, [pts[n]["peak_bytes"] for n in ns])[0]
        fits[lib] = (a, b, r2, pts[ns[-1]]["peak_bytes"] / ns[-1], slope)
    return fits


def sweep_text(s1, s2, s2_note=""):
    """The S1 target line and the S2 section (Markdown)."""
    out = []
    if s1.get("ember") and s1.get("numpy"):
        big = {p: s1["ember"][p] / s1["numpy"][p] for p in s1["ember"]
               if p in s1["numpy"] and p[0] >= 512}
        if big:
            (w, b), worst = max(big.items(), key=lambda kv: kv[1])
            met = "met" if worst <= S1_TARGET else "not met"
            out.append(f"S1 target, ember / NumPy <= {S1_TARGET} from width 512 up: {met} "
                       f"(highest {worst:.2f}, at width {w}, batch {b}).")
    if s2.get("ember") and s2.get("torch"):
        ns = sorted(set(s2["ember"]) & set(s2["torch"]))
        out += ["", "S2: a chain of n elementwise ops on 16 floats (n/2 of "
                "`y = y * 1.0001 + 0.0001`), then sum and backward. Memory: peak RSS over "
                "forward and backward minus the RSS before, per node.", "",
                "| n | ember backward | PyTorch backward | ember bytes / node "
                "| PyTorch bytes / node |", "| --- | --- | --- | --- | --- |"]
        for n in ns:
            e, t = s2["ember"][n], s2["torch"][n]
            out.append(f"| {n:,} | {_fmt(e['backward'])} | {_fmt(t['backward'])} | "
                       f"{e['peak_bytes'] / n:.0f} | {t['peak_bytes'] / n:.0f} |")
        fits = s2_fits(s2)
        out.append("")
        for lib, label in (("ember", "ember"), ("torch", "PyTorch")):
            a, _, r2, per_node, slope = fits[lib]
            out.append(f"- {label}: backward {a * 1e9:.0f} ns per node (linear fit over n, "
                       f"R^2 = {r2:.4f}); peak memory {per_node:.0f} bytes per node at "
                       f"n = {ns[-1]:,} ({slope:.0f} by a linear fit of peak bytes over n)")
        linear = fits["ember"][2] >= 0.99
        lighter = fits["ember"][3] <= fits["torch"][3]
        out.append(f"- target, linear in n (R^2 >= 0.99) and memory per node <= PyTorch's: "
                   f"{'met' if linear and lighter else 'not met'} "
                   f"(linear: {'yes' if linear else 'no'}, memory: "
                   f"{'yes' if lighter else 'no'})")
        if s2_note:
            out.append(f"- {s2_note}")
    return "\n".join(out)


def plot_size_sweep(s1, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    sweeps = ((axes[0], lambda p: p[1] == S1_WIDTH_BATCH, 0,
               f"hidden width W (784-W-W/2-10), batch {S1_WIDTH_BATCH}"),
              (axes[1], lambda p: p[0] == S1_BATCH_WIDTH, 1,
               f"batch size, width {S1_BATCH_WIDTH}"))
    for ax, keep, axis, label in sweeps:
        pts = sorted((p for p in s1["ember"] if keep(p)), key=lambda p: p[axis])
        xs = [p[axis] for p in pts]
        for other, name, style in (("torch", "ember / PyTorch (1 thread)", "o-"),
                                   ("numpy", "ember / NumPy floor", "s-")):
            ax.plot(xs, [s1["ember"][p] / s1[other][p] for p in pts], style, label=name)
        ax.axhline(1.0, color="gray", lw=0.8)
        if axis == 0:
            ax.axhline(S1_TARGET, color="red", lw=0.8, ls="--",
                       label=f"target vs NumPy from width 512: {S1_TARGET}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("time ratio (lower is faster)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("S1: the W3 MLP step (forward, backward, SGD) as the work grows")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_graph_size(s2, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fits = s2_fits(s2)
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for lib, name, style in (("ember", "ember", "o-"), ("torch", "PyTorch (1 thread)", "s-")):
        ns = sorted(s2[lib])
        a, b, r2 = fits[lib][:3]
        ax_t.plot(ns, [s2[lib][n]["backward"] for n in ns], style,
                  label=f"{name}: {a * 1e9:.0f} ns/node, R^2 {r2:.3f}")
        ax_m.plot(ns, [max(s2[lib][n]["peak_bytes"], 0) / n for n in ns], style, label=name)
    ax_t.set_xscale("log")
    ax_t.set_yscale("log")
    ax_t.set_xlabel("n (ops in the chain)")
    ax_t.set_ylabel("backward (s)")
    ax_m.set_xscale("log")
    ax_m.set_yscale("log")
    ax_m.set_xlabel("n (ops in the chain)")
    ax_m.set_ylabel("peak RSS over forward + backward / n (bytes)")
    for ax in (ax_t, ax_m):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("S2: backward time and memory of a chain of n elementwise ops")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


PLOTS_SECTION = """## Size sweeps

`python benchmarks/run.py` also draws these (generated files, not kept in the repository):

- [size_sweep.png](size_sweep.png): S1, ember / PyTorch and ember / NumPy for the W3 MLP step
  against hidden width (batch 128) and batch size (width 512).
- [graph_size.png](graph_size.png): S2, backward time and peak memory per node of a chain of
  n elementwise ops, ember and PyTorch.
"""


def _fmt(seconds, workload=""):
    if workload.startswith("M1"):
        return f"{seconds:.1f} MiB"
    if seconds >= 0.1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def table(medians):
    lines = [
        "| workload | ember | PyTorch (1 thread) | PyTorch (default threads) | NumPy floor "
        "| ember / PyTorch-1 | ember / NumPy |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for w, libs in medians.items():
        e, t = libs.get("ember"), libs.get("torch")
        tm, n = libs.get("torch-mt"), libs.get("numpy")
        growth = w == "M1-growth"  # a difference near zero: a ratio means nothing
        lines.append(
            f"| {w}: {DESCRIPTIONS.get(w, '')} | {_fmt(e, w)} | {_fmt(t, w) if t else '-'} | "
            f"{_fmt(tm, w) if tm else '-'} | {_fmt(n, w) if n else '-'} | "
            f"{'-' if growth else f'{e / t:.2f}'} | {f'{e / n:.2f}' if n else '-'} |"
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default=None, help="also write the table to this Markdown file")
    ap.add_argument("--smoke", action="store_true",
                    help="check that every workload runs: tiny sizes, no plots, no file written")
    ap.add_argument("--best", action="store_true",
                    help="fastest step of each timing loop, fastest over the repeats")
    args = ap.parse_args()
    if args.best:
        BEST.append("--best")
    only = {x for x in args.only.split(",") if x}
    s2_note = ""
    if args.smoke:
        medians, s1, s2 = smoke_run(only)
    else:
        medians = run(only, args.repeat)
        s1 = run_s1(args.repeat) if not only or "S1" in only else {}
        s2, s2_note = run_s2(args.repeat) if not only or "S2" in only else ({}, "")
    medians.update(sweep_rows(s1, s2))
    text = table(medians)
    extra = sweep_text(s1, s2, s2_note)
    print(text)
    if extra:
        print("\n" + extra.lstrip("\n"))
    if args.smoke:
        return
    if s1:
        plot_size_sweep(s1, os.path.join(HERE, "size_sweep.png"))
    if s2:
        plot_graph_size(s2, os.path.join(HERE, "graph_size.png"))
    if args.out:
        import numpy
        import torch

        with open(args.out, "w") as f:
            f.write("# Benchmark results\n\n")
            how = ("fastest step of each timing loop, fastest of" if args.best
                   else "medians of")
            f.write(f"`python benchmarks/run.py --repeat {args.repeat}"
                    f"{' --best' if args.best else ''}`: {how} "
                    f"{args.repeat} interleaved runs, each library in a fresh process. "
                    f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
                    f"PyTorch {torch.__version__}, {os.cpu_count()} CPU cores.\n\n")
            f.write(text + "\n")
            if extra:
                f.write("\n" + extra + "\n")
            f.write("\n" + PLOTS_SECTION)


if __name__ == "__main__":
    main()
