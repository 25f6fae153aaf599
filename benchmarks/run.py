"""Run every workload on ember, PyTorch and NumPy, each in a fresh process, and print ratios.

    python benchmarks/run.py [--repeat 3] [--only W1,W2] [--out benchmarks/RESULTS.md]

Runs are interleaved (ember, torch, numpy, ember, ...) so that a noisy neighbour slows all
libraries alike; each cell is the median over the repeats. Ratios are to PyTorch with one
thread, measured in the same run.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
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
}
STEP_WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "F1", "F1-loop", "F2", "F3", "F4", "F5",
                  "O1-Adam", "O1-AdamW", "O1-RMSprop", "O1-Adagrad", "O1-SGD",
                  "R1-randperm", "R1-randint", "R1-normal", "D1")
MEMORY_WORKLOADS = ("M1-peak", "M1-growth")


def _env():
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(HERE), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _step_time(workload, lib):
    out = subprocess.run([sys.executable, os.path.join(HERE, "workloads.py"), workload, lib],
                         capture_output=True, text=True, env=_env(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["value"]


def _process_time(code):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_env(),
                   capture_output=True)
    return time.perf_counter() - t0


def _process_workloads():
    sys.path.insert(0, HERE)
    from workloads import W1_SCRIPT

    return {
        "W6-import": {lib: (f"import {lib}" if lib != "numpy" else "import numpy")
                      for lib in ("ember", "torch", "numpy")},
        "W6-script": {lib: W1_SCRIPT.format(lib=lib) for lib in ("ember", "torch")},
    }


def run(only, repeat):
    results = {}
    step_workloads = [w for w in STEP_WORKLOADS + MEMORY_WORKLOADS if not only or w in only]
    for _ in range(repeat):
        for w in step_workloads:
            for lib in LIBS:
                if lib == "numpy" and w in MEMORY_WORKLOADS:
                    continue
                if lib == "torch-mt" and w in ("W1",) + MEMORY_WORKLOADS:
                    continue
                results.setdefault(w, {}).setdefault(lib, []).append(_step_time(w, lib))
        for w, codes in _process_workloads().items():
            if only and w not in only and "W6" not in only:
                continue
            for lib, code in codes.items():
                results.setdefault(w, {}).setdefault(lib, []).append(_process_time(code))
    return {w: {lib: statistics.median(v) for lib, v in libs.items()}
            for w, libs in results.items()}


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
    args = ap.parse_args()
    only = {x for x in args.only.split(",") if x}
    medians = run(only, args.repeat)
    text = table(medians)
    print(text)
    if args.out:
        import numpy
        import torch

        with open(args.out, "w") as f:
            f.write("# Benchmark results\n\n")
            f.write(f"`python benchmarks/run.py --repeat {args.repeat}`: medians of "
                    f"{args.repeat} interleaved runs, each library in a fresh process. "
                    f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
                    f"PyTorch {torch.__version__}, {os.cpu_count()} CPU cores.\n\n")
            f.write(text + "\n")


if __name__ == "__main__":
    main()
