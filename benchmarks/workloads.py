"""One benchmark workload on one library, in this process: prints seconds per step as JSON.

    python benchmarks/workloads.py W1 ember|torch|numpy

Every workload uses the same data and initial weights for all three libraries. The NumPy
variant is the floor: the same arithmetic written by hand, with no autograd.
"""

import json
import sys
import time

import numpy as np


def _lib(name):
    if name == "torch":
        import torch

        torch.set_num_threads(1)
        return torch
    if name == "torch-mt":
        import torch

        return torch
    if name == "ember":
        import ember

        return ember
    return None


def _timeit(step, n, warmup):
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


# -- W1: the beginner's per-sample scalar loop ----------------------------------------------------
def w1(lib, name):
    xs, ys = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
    if lib is None:
        w = np.array([1.0], np.float32)
        i = 0

        def step_np():
            nonlocal i
            x, y = xs[i % 3], ys[i % 3]
            i += 1
            pred = x * w
            grad = 2 * (pred - y) * x
            w[...] -= np.float32(0.01) * grad

        return _timeit(step_np, 20000, 2000)
    w = lib.tensor([1.0], requires_grad=True)
    i = 0

    def step():
        nonlocal i
        x, y = xs[i % 3], ys[i % 3]
        i += 1
        loss = (x * w - y) ** 2
        loss.backward()
        w.data -= 0.01 * w.grad.data
        w.grad.zero_()

    return _timeit(step, 20000, 2000)


# -- W2: batch linear regression -------------------------------------------------------------------
def _w2_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 1)).astype(np.float32)
    y = (3 * x + 2 + 0.1 * rng.standard_normal((20, 1))).astype(np.float32)
    return x, y


def w2(lib, name):
    x, y = _w2_data()
    if lib is None:
        w = np.ones(1, np.float32)
        b = np.zeros(1, np.float32)

        def step_np():
            r = y - (w * x + b)
            loss = (0.5 * r**2).mean()  # noqa: F841 - computed as the others do
            gw = -(r * x).sum(0) / r.size
            gb = -r.sum(0) / r.size
            w[...] -= np.float32(0.01) * gw
            b[...] -= np.float32(0.01) * gb

        return _timeit(step_np, 10000, 1000)
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)
    w = lib.ones(1, requires_grad=True)
    b = lib.zeros(1, requires_grad=True)

    def step():
        nonlocal w, b
        loss = (0.5 * (yt - (w * xt + b)) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            w -= 0.01 * w.grad
            b -= 0.01 * b.grad
        w.grad.zero_()
        b.grad.zero_()

    return _timeit(step, 10000, 1000)


# -- W6: a whole process: import, and the W1 script for 100 epochs --------------------------------
W1_SCRIPT = """
import {lib} as torch
x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]
w = torch.tensor([1.0], requires_grad=True)
for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = (x * w - y) ** 2
        l.backward()
        w.data = w.data - 0.01 * w.grad.data
        w.grad.data.zero_()
print(w.item())
"""

WORKLOADS = {"W1": w1, "W2": w2}


def main():
    workload, name = sys.argv[1], sys.argv[2]
    lib = _lib(name)
    seconds = WORKLOADS[workload](lib, name)
    print(json.dumps({"workload": workload, "lib": name, "seconds": seconds}))


if __name__ == "__main__":
    main()
