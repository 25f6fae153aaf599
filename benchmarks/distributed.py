"""Distributed benchmarks: all_reduce bandwidth and a DDP training step, 2 processes.

    python benchmarks/distributed.py            # runs everything, prints Markdown tables

all_reduce of float32 tensors from 1 KB to 64 MB: ember (ember.distributed over MPI) vs raw
mpi4py ``Allreduce`` on NumPy arrays (the floor ember builds on) vs PyTorch gloo. DDP: a
training step (forward, backward, SGD) of the W3 MLP (784-256-128-10, global batch 128) and of
the W4 CNN (benchmarks/workloads.py: two 3x3 conv + ReLU + max-pool layers and a linear layer,
global batch 64 of 1x28x28) with 2 ranks (half the batch each) vs 1 process with the whole
batch, ember vs PyTorch DDP (gloo, 1 thread per rank).
"""

import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.abspath(__file__)
BIN = os.path.dirname(sys.executable)
SIZES = [2 ** k for k in range(10, 27, 2)]  # bytes: 1 KB, 4 KB, ... 64 MB


def _agree(torch, dist, value):
    # every rank uses rank 0's timing count so that the loops stay in step
    t = torch.tensor([value], dtype=torch.float64)
    dist.broadcast(t, 0)
    return t.item()


def allreduce_worker(lib):
    if lib == "ember":
        import ember as torch
        import ember.distributed as dist
    else:
        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    rows = {}
    for size in SIZES:
        n = size // 4
        t = torch.ones(n)
        dist.barrier()
        rows[size] = {lib: _fixed(lambda t=t: dist.all_reduce(t), dist, torch)}
        if lib == "ember":
            from mpi4py import MPI

            a = np.ones(n, np.float32)
            comm = MPI.COMM_WORLD
            comm.Barrier()
            raw = lambda a=a, comm=comm: comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM)  # noqa: E731
            rows[size]["mpi4py"] = _fixed(raw, dist, torch)
    if rank == 0:
        print("RESULT " + json.dumps(rows))
    dist.destroy_process_group()


def _fixed(fn, dist, torch):
    # rank 0 decides how many repetitions, then all ranks run exactly that many
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    reps = int(_agree(torch, dist, min(max(0.3 / one, 5), 2000)))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _mlp(nn):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10),
    )


# name: (model, global batch, one sample's shape, warm-up steps, timed steps, table heading)
DDP_WORKLOADS = {
    "W3": (_mlp, 128, (784,), 10, 100, "W3 MLP step, global batch 128"),
    "W4": (_cnn, 64, (1, 28, 28), 5, 100, "W4 CNN step, global batch 64"),
}


def ddp_worker(lib, world, workload):
    if lib == "ember":
        import ember as torch
        import ember.distributed as dist
    else:
        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
    make, batch, shape, warmup, steps, _ = DDP_WORKLOADS[workload]
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    model = make(nn)
    rank = 0
    if world > 1:
        dist.init_process_group("gloo")
        rank = dist.get_rank()
        model = nn.parallel.DistributedDataParallel(model)
    rng = np.random.default_rng(rank)
    x = torch.from_numpy(rng.standard_normal((batch // world, *shape)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, batch // world))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    per_step = (time.perf_counter() - t0) / steps
    if rank == 0:
        print("RESULT " + json.dumps(per_step))
    if world > 1:
        dist.destroy_process_group()


def _launch(lib, nproc, *args):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    if lib == "ember":
        cmd = [os.path.join(BIN, "mpiexec"), "-n", str(nproc), sys.executable, HERE, *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
               "--master-port", "29777", HERE, *args]
    if nproc == 1:
        cmd = [sys.executable, HERE, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stdout + out.stderr)


def _cpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines()
                    if line.startswith("Model name"))
    except Exception:
        return "unknown CPU"


def _fmt_size(b):
    return f"{b // 2**20} MB" if b >= 2**20 else f"{b // 2**10} KB"


def main():
    print(f"CPU: {_cpu()}, {os.cpu_count()} cores; 2 processes on one machine (shared memory)\n")
    ember_rows = _launch("ember", 2, "_allreduce", "ember")
    torch_rows = _launch("torch", 2, "_allreduce", "torch")
    print("| size | ember | raw mpi4py | PyTorch gloo | ember / mpi4py | ember / gloo "
          "| ember bus GB/s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in SIZES:
        e, m = ember_rows[str(size)]["ember"], ember_rows[str(size)]["mpi4py"]
        g = torch_rows[str(size)]["torch"]
        print(f"| {_fmt_size(size)} | {e * 1e6:.1f} µs | {m * 1e6:.1f} µs | {g * 1e6:.1f} µs "
              f"| {e / m:.2f} | {e / g:.2f} | {size / e / 1e9:.2f} |")
    print()
    for workload, (*_, heading) in DDP_WORKLOADS.items():
        rows = {}
        for lib in ("ember", "torch"):
            for nproc in (1, 2):
                rows[lib, nproc] = _launch(lib, nproc, "_ddp", lib, str(nproc), workload)
        print(f"| {heading} | 1 process | 2 ranks (DDP) | speed-up |")
        print("| --- | --- | --- | --- |")
        for lib, name in (("ember", "ember"), ("torch", "PyTorch (gloo, 1 thread/rank)")):
            one, two = rows[lib, 1], rows[lib, 2]
            print(f"| {name} | {one * 1e3:.2f} ms | {two * 1e3:.2f} ms | {one / two:.2f} |")
        print(f"\n{workload}: ember / PyTorch, 1 process: "
              f"{rows['ember', 1] / rows['torch', 1]:.2f}; "
              f"2 ranks (DDP): {rows['ember', 2] / rows['torch', 2]:.2f}\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_allreduce":
        allreduce_worker(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "_ddp":
        ddp_worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
