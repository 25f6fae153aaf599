"""One benchmark workload on one library, in this process: prints seconds per step as JSON.

    python benchmarks/workloads.py W1 ember|torch|numpy
    python benchmarks/workloads.py W1,W2,S1 ember --smoke --kwargs '{"S1": {"points": [[32, 8]]}}'

Several workloads (comma-separated) run one after the other in this process, one JSON line
each. ``--kwargs`` maps a workload to the keyword arguments of its function (sizes, step
counts). ``--smoke`` is the quick check that every workload still runs: each function gets its
tiny sizes from SMOKE_KWARGS and every timing loop runs one step after at most one warm-up. A
new workload takes its step count (or size) as a keyword argument and has an entry there.
``--best`` times each step of a timing loop on its own and reports the fastest (on a shared,
noisy machine the minimum is the steadiest estimate) instead of the mean.

Every workload uses the same data and initial weights for all three libraries. The NumPy
variant is the floor: the same arithmetic written by hand, with no autograd.
"""

import json
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


SMOKE = False  # set by --smoke: every timing loop runs one step after at most one warm-up
BEST = False  # set by --best: a timing loop reports its fastest step rather than the mean


def _timeit(step, n, warmup):
    if SMOKE:
        n, warmup = 1, min(warmup, 1)
    for _ in range(warmup):
        step()
    if BEST:
        best = float("inf")
        for _ in range(n):
            t0 = time.perf_counter()
            step()
            best = min(best, time.perf_counter() - t0)
        return best
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


# -- W1: the beginner's per-sample scalar loop ----------------------------------------------------
def w1(lib, name, steps=20000):
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

        return _timeit(step_np, steps, steps // 10)
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

    return _timeit(step, steps, steps // 10)


# -- W2: batch linear regression ------------------------------------------------------------------
def _w2_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 1)).astype(np.float32)
    y = (3 * x + 2 + 0.1 * rng.standard_normal((20, 1))).astype(np.float32)
    return x, y


def w2(lib, name, steps=10000):
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

        return _timeit(step_np, steps, steps // 10)
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

    return _timeit(step, steps, steps // 10)


# -- W3: MLP 784-256-128-10 -----------------------------------------------------------------------
def _mlp_params(seed=0, hidden=(256, 128), batch=128):
    rng = np.random.default_rng(seed)
    sizes = [(784, hidden[0]), (hidden[0], hidden[1]), (hidden[1], 10)]
    params = []
    for fan_in, fan_out in sizes:
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return params, x, y


def w3(lib, name, steps=300):
    params, x, y = _mlp_params()
    if lib is None:
        return _timeit(_mlp_numpy_step(params, x, y), steps, 20)
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    with lib.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(lib.from_numpy(v))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()

    return _timeit(step, steps, 20)


def _mlp_numpy_step(params, x, y):
    """Forward, backward and SGD for the MLP by hand: the floor no autograd library can beat."""
    w1, b1, w2, b2, w3, b3 = params
    onehot = np.eye(10, dtype=np.float32)[y]

    def step():
        h1 = np.maximum(x @ w1.T + b1, 0)
        h2 = np.maximum(h1 @ w2.T + b2, 0)
        z = h2 @ w3.T + b3
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        gz = (p - onehot) / len(y)
        gh2 = (gz @ w3) * (h2 > 0)
        gh1 = (gh2 @ w2) * (h1 > 0)
        for w, b, g, a in ((w3, b3, gz, h2), (w2, b2, gh2, h1), (w1, b1, gh1, x)):
            w -= np.float32(0.01) * (g.T @ a)
            b -= np.float32(0.01) * g.sum(0)

    return step


# -- W4: small CNN --------------------------------------------------------------------------------
def _cnn_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    return x, y


def w4(lib, name, steps=40):
    x, y = _cnn_data()
    if lib is None:
        return _timeit(_cnn_numpy_step(x, y), steps, 3)
    lib.manual_seed(0)
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10),
    )
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()

    return _timeit(step, steps, 3)


def _im2col(a, k):
    """(N, C, H, W) padded by k//2 -> (N, H*W, C*k*k) windows (stride 1)."""
    n, c, h, w = a.shape
    p = k // 2
    ap = np.pad(a, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(ap, (k, k), axis=(2, 3))
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n, h * w, c * k * k)


def _col2im(cols, shape, k):
    n, c, h, w = shape
    p = k // 2
    out = np.zeros((n, c, h + 2 * p, w + 2 * p), cols.dtype)
    cols = cols.reshape(n, h, w, c, k, k)
    for i in range(k):
        for j in range(k):
            out[:, :, i:i + h, j:j + w] += cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out[:, :, p:p + h, p:p + w]


def _cnn_numpy_step(x, y):
    rng = np.random.default_rng(1)
    w1 = (rng.standard_normal((8, 9)) / 3).astype(np.float32)
    b1 = np.zeros(8, np.float32)
    w2 = (rng.standard_normal((16, 72)) / 8.5).astype(np.float32)
    b2 = np.zeros(16, np.float32)
    w3 = (rng.standard_normal((10, 784)) / 28).astype(np.float32)
    b3 = np.zeros(10, np.float32)
    onehot = np.eye(10, dtype=np.float32)[y]
    n = len(y)

    def conv(a, w, b):
        cols = _im2col(a, 3)
        out = cols @ w.T + b  # (N, HW, O)
        hw = int(np.sqrt(out.shape[1]))
        return out.transpose(0, 2, 1).reshape(n, -1, hw, hw), cols

    def pool(a):
        nn_, c, h, w = a.shape
        r = a.reshape(nn_, c, h // 2, 2, w // 2, 2)
        m = r.max(axis=(3, 5))
        mask = r == m[:, :, :, None, :, None]
        return m, mask

    def unpool(g, mask):
        return (mask * g[:, :, :, None, :, None]).reshape(g.shape[0], g.shape[1],
                                                           g.shape[2] * 2, g.shape[3] * 2)

    def step():
        z1, c1 = conv(x, w1, b1)
        a1 = np.maximum(z1, 0)
        p1, m1 = pool(a1)
        z2, c2 = conv(p1, w2, b2)
        a2 = np.maximum(z2, 0)
        p2, m2 = pool(a2)
        f = p2.reshape(n, -1)
        z = f @ w3.T + b3
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        gz = (p - onehot) / n
        gf = gz @ w3
        gw3, gb3 = gz.T @ f, gz.sum(0)
        ga2 = unpool(gf.reshape(p2.shape), m2) * (z2 > 0)
        g2 = ga2.reshape(n, 16, -1).transpose(0, 2, 1)  # (N, HW, O)
        gw2 = np.einsum("nho,nhk->ok", g2, c2)
        gb2 = g2.sum((0, 1))
        gp1 = _col2im(g2 @ w2, p1.shape, 3)
        ga1 = unpool(gp1, m1) * (z1 > 0)
        g1 = ga1.reshape(n, 8, -1).transpose(0, 2, 1)
        gw1 = np.einsum("nho,nhk->ok", g1, c1)
        gb1 = g1.sum((0, 1))
        for w, g in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2), (w3, gw3), (b3, gb3)):
            w -= np.float32(0.01) * g

    return step


# -- W5: Hessian-vector product by double backward ------------------------------------------------
def w5(lib, name, steps=300):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((256, 256)) / 16).astype(np.float32)
    x0 = rng.standard_normal(256).astype(np.float32)
    v0 = rng.standard_normal(256).astype(np.float32)
    if lib is None:
        def hvp_np():
            t = np.tanh(a @ x0)
            # f = sum(t^2); H = A^T diag(d/dz 2 t (1 - t^2)) A
            d = 2 * (1 - t * t) * (1 - 3 * t * t)
            return a.T @ (d * (a @ v0))

        return _timeit(hvp_np, steps, 20)
    at, v = lib.from_numpy(a), lib.from_numpy(v0)
    x = lib.from_numpy(x0.copy()).requires_grad_()

    def hvp():
        f = (lib.tanh(at @ x) ** 2).sum()
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (h,) = lib.autograd.grad(g, x, grad_outputs=v)
        return h

    return _timeit(hvp, steps, 20)


# -- M1: memory -----------------------------------------------------------------------------------
def _rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def m1_peak(lib, name, steps=500):
    """Peak RSS (MiB) of the MLP workload over 500 steps, in a fresh process."""
    import resource

    w3(lib, name, steps=steps)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def m1_growth(lib, name, steps=10_000):
    """RSS growth (MiB) of the batch linear regression between step 1,000 and step 10,000."""
    x, y = _w2_data()
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)
    w = lib.ones(1, requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    before = 0.0
    for i in range(steps):
        loss = (0.5 * (yt - (w * xt + b)) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            w -= 0.01 * w.grad
            b -= 0.01 * b.grad
        w.grad.zero_()
        b.grad.zero_()
        if i == steps // 10 - 1:
            before = _rss_mib()
    return _rss_mib() - before


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



# -- F1..F5: function transforms (torch.func) -----------------------------------------------------
def _ps_data(seed=0):
    rng = np.random.default_rng(seed)
    sizes = [(64, 32), (32, 10)]
    params = []
    for fan_in, fan_out in sizes:
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    x = rng.standard_normal((64, 64)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    return params, x, y


def _ps_numpy(params, x, y):
    """Per-sample gradients of the MLP by hand, all samples at once."""
    w1, b1, w2, b2 = params
    n = x.shape[0]

    def step():
        h = np.maximum(x @ w1.T + b1, 0)
        z = h @ w2.T + b2
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(n), y] -= 1  # d loss / d z of each sample's own loss
        gh = (p @ w2) * (h > 0)
        return (p[:, :, None] * h[:, None, :], p, gh[:, :, None] * x[:, None, :], gh)

    return step


def _ps_model(lib, params):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    with lib.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(lib.from_numpy(v))
    return model


def f1(lib, name, steps=100):
    """Per-sample gradients of a small MLP (batch 64) with vmap(grad) through functional_call."""
    params, x, y = _ps_data()
    if lib is None:
        return _timeit(_ps_numpy(params, x, y), steps, 10)
    model = _ps_model(lib, params)
    F, func = lib.nn.functional, lib.func
    p = {k: v.detach() for k, v in model.named_parameters()}
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)

    def loss(p, xi, yi):
        out = func.functional_call(model, p, (xi.unsqueeze(0),))
        return F.cross_entropy(out, yi.unsqueeze(0))

    per_sample = func.vmap(func.grad(loss), in_dims=(None, 0, 0))
    return _timeit(lambda: per_sample(p, xt, yt), steps, 10)


def f1_loop(lib, name, steps=10):
    """The same per-sample gradients by a Python loop over the samples (backward per sample)."""
    params, x, y = _ps_data()
    if lib is None:
        return _timeit(_ps_numpy(params, x, y), steps, 2)
    model = _ps_model(lib, params)
    F = lib.nn.functional
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)
    ps = list(model.parameters())

    def step():
        out = []
        for i in range(xt.shape[0]):
            loss = F.cross_entropy(model(xt[i:i + 1]), yt[i:i + 1])
            out.append(lib.autograd.grad(loss, ps))
        return out

    return _timeit(step, steps, 2)


def _jac_data():
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((100, 100)) / 10).astype(np.float32)
    b = rng.standard_normal(100).astype(np.float32)
    x = rng.standard_normal(100).astype(np.float32)
    return w, b, x


def _jac(lib, name, steps, transform):
    w, b, x = _jac_data()
    if lib is None:
        def jac_np():
            t = np.tanh(w @ x + b)
            return (1 - t * t)[:, None] * w

        return _timeit(jac_np, steps, 10)
    wt, bt, xt = lib.from_numpy(w), lib.from_numpy(b), lib.from_numpy(x)
    jac = getattr(lib.func, transform)(lambda v: lib.tanh(wt @ v + bt))
    return _timeit(lambda: jac(xt), steps, 10)


def f2(lib, name, steps=100):
    """jacrev of tanh(W x + b), 100 -> 100."""
    return _jac(lib, name, steps, "jacrev")


def f3(lib, name, steps=100):
    """jacfwd of tanh(W x + b), 100 -> 100."""
    return _jac(lib, name, steps, "jacfwd")


def f4(lib, name, steps=100):
    """hessian of sum(tanh(A x)**2) over 50 parameters, A 50x50."""
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((50, 50)) / 7).astype(np.float32)
    x = rng.standard_normal(50).astype(np.float32)
    if lib is None:
        def hess_np():
            t = np.tanh(a @ x)
            d = 2 * (1 - t * t) * (1 - 3 * t * t)
            return a.T @ (d[:, None] * a)

        return _timeit(hess_np, steps, 10)
    at, xt = lib.from_numpy(a), lib.from_numpy(x)
    hess = lib.func.hessian(lambda v: (lib.tanh(at @ v) ** 2).sum())
    return _timeit(lambda: hess(xt), steps, 10)


def f5(lib, name, steps=100):
    """Forward-mode jvp of the W3 MLP's logits with respect to its input (batch 128)."""
    params, x, _ = _mlp_params()
    v = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    if lib is None:
        w1, b1, w2, b2, w3_, b3 = params

        def jvp_np():
            z1 = x @ w1.T + b1
            m1 = z1 > 0
            h1, t1 = z1 * m1, (v @ w1.T) * m1
            z2 = h1 @ w2.T + b2
            m2 = z2 > 0
            h2, t2 = z2 * m2, (t1 @ w2.T) * m2
            return h2 @ w3_.T + b3, t2 @ w3_.T

        return _timeit(jvp_np, steps, 10)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    with lib.no_grad():
        for p, val in zip(model.parameters(), params):
            p.copy_(lib.from_numpy(val))
    xt, vt = lib.from_numpy(x), lib.from_numpy(v)
    return _timeit(lambda: lib.func.jvp(model, (xt,), (vt,)), steps, 10)


# -- O1: one optimizer step over resnet18's parameters --------------------------------------------
O1_OPTIMIZERS = {
    "Adam": {"lr": 1e-3},
    "AdamW": {"lr": 1e-3},
    "RMSprop": {"lr": 1e-2},
    "Adagrad": {"lr": 1e-2},
    "SGD": {"lr": 1e-2, "momentum": 0.9},
}


def _resnet18_shapes():
    """The 62 parameter shapes of resnet18 (11,689,512 floats), in model.parameters() order."""
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    inplanes = 64
    for planes in (64, 128, 256, 512):
        for block in range(2):
            shapes += [(planes, inplanes, 3, 3), (planes,), (planes,),
                       (planes, planes, 3, 3), (planes,), (planes,)]
            if block == 0 and inplanes != planes:  # downsample: 1x1 conv + BatchNorm
                shapes += [(planes, inplanes, 1, 1), (planes,), (planes,)]
            inplanes = planes
    return shapes + [(1000, 512), (1000,)]


def _o1_data(seed=0, n_params=None):
    rng = np.random.default_rng(seed)
    shapes = _resnet18_shapes()[:n_params]
    params = [rng.uniform(-0.1, 0.1, s).astype(np.float32) for s in shapes]
    grads = [(0.01 * rng.standard_normal(s)).astype(np.float32) for s in shapes]
    return params, grads


def _o1_numpy_step(opt, params, grads):
    """The optimizer's arithmetic by hand on one flat buffer per array (parameters, gradients,
    state), in place: the fewest NumPy passes over the 11.7M floats."""
    f32, mul, add, sub, div = np.float32, np.multiply, np.add, np.subtract, np.divide
    p = np.concatenate([a.ravel() for a in params])
    g = np.concatenate([a.ravel() for a in grads])
    tmp = np.empty_like(p)
    lr = O1_OPTIMIZERS[opt]["lr"]
    t = 0
    if opt in ("Adam", "AdamW"):
        m, v = np.zeros_like(p), np.zeros_like(p)
        b1, b2, eps, wd = 0.9, 0.999, 1e-8, 1e-2 if opt == "AdamW" else 0.0

        def step():
            nonlocal t
            t += 1
            if wd:
                mul(p, f32(1 - lr * wd), out=p)
            mul(m, f32(b1), out=m)
            add(m, mul(g, f32(1 - b1), out=tmp), out=m)
            mul(v, f32(b2), out=v)
            mul(g, g, out=tmp)
            add(v, mul(tmp, f32(1 - b2), out=tmp), out=v)
            np.sqrt(v, out=tmp)
            div(tmp, f32((1 - b2**t) ** 0.5), out=tmp)
            add(tmp, f32(eps), out=tmp)
            div(m, tmp, out=tmp)
            sub(p, mul(tmp, f32(lr / (1 - b1**t)), out=tmp), out=p)
    elif opt == "RMSprop":
        v = np.zeros_like(p)
        alpha, eps = 0.99, 1e-8

        def step():
            mul(v, f32(alpha), out=v)
            mul(g, g, out=tmp)
            add(v, mul(tmp, f32(1 - alpha), out=tmp), out=v)
            np.sqrt(v, out=tmp)
            add(tmp, f32(eps), out=tmp)
            div(g, tmp, out=tmp)
            sub(p, mul(tmp, f32(lr), out=tmp), out=p)
    elif opt == "Adagrad":
        s = np.zeros_like(p)
        eps = 1e-10

        def step():
            add(s, mul(g, g, out=tmp), out=s)
            np.sqrt(s, out=tmp)
            add(tmp, f32(eps), out=tmp)
            div(g, tmp, out=tmp)
            sub(p, mul(tmp, f32(lr), out=tmp), out=p)
    else:
        buf = None
        momentum = f32(O1_OPTIMIZERS[opt]["momentum"])

        def step():
            nonlocal buf
            if buf is None:
                buf = g.copy()
            else:
                add(mul(buf, momentum, out=buf), g, out=buf)
            sub(p, mul(buf, f32(lr), out=tmp), out=p)

    return step


def o1(lib, name, opt, steps=10, n_params=None):
    """One step of optimizer ``opt`` (default hyperparameters, SGD with momentum 0.9) over
    resnet18's 62 parameters (or its first ``n_params``), gradients fixed."""
    params, grads = _o1_data(n_params=n_params)
    if lib is None:
        return _timeit(_o1_numpy_step(opt, params, grads), steps, 2)
    ps = [lib.from_numpy(a).requires_grad_() for a in params]
    for p, g in zip(ps, grads):
        p.grad = lib.from_numpy(g)
    optimizer = getattr(lib.optim, opt)(ps, **O1_OPTIMIZERS[opt])
    return _timeit(optimizer.step, steps, 2)


# -- R1: random draws with PyTorch's numbers; D1: a shuffled DataLoader epoch -------------------
def _r1(lib, what):
    """One draw: randperm(60000), randint(0, 10, (10**6,)) or normal_ of 10**6 float32 values.
    The NumPy floor draws the same sizes with NumPy's own samplers on the same Mersenne
    Twister (other numbers: NumPy's algorithms, not PyTorch's)."""
    n = 10**6
    steps = 100 if what == "randperm" else 20
    if lib is None:
        g = np.random.Generator(np.random.MT19937(0))
        x = np.empty(n, np.float32)
        step = {"randperm": lambda: g.permutation(60000),
                "randint": lambda: g.integers(0, 10, n),
                "normal": lambda: g.standard_normal(out=x, dtype=np.float32)}[what]
        return _timeit(step, steps, 3)
    lib.manual_seed(0)
    x = lib.empty(n)
    step = {"randperm": lambda: lib.randperm(60000),
            "randint": lambda: lib.randint(0, 10, (n,)),
            "normal": lambda: x.normal_()}[what]
    return _timeit(step, steps, 3)


def _d1_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def d1(lib, name, epochs=3, n=60000):
    """One epoch of DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True), x n x 784
    float32, y n int64. The NumPy floor: a permutation, then x[idx], y[idx] per batch."""
    x, y = _d1_data(n)
    if lib is None:
        g = np.random.Generator(np.random.MT19937(0))

        def epoch_np():
            perm = g.permutation(n)
            for i in range(0, n, 128):
                idx = perm[i:i + 128]
                x[idx], y[idx]

        return _timeit(epoch_np, epochs, 1)
    lib.manual_seed(0)
    data = lib.utils.data
    loader = data.DataLoader(data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y)),
                             batch_size=128, shuffle=True)

    def epoch():
        for _ in loader:
            pass

    return _timeit(epoch, epochs, 1)


# -- S1: the W3 MLP step as the work grows (hidden width, batch) ----------------------------------
def _timeit_budget(step, budget, steps=None):
    """Seconds per step: two warm-up steps, then as many as fill ``budget`` seconds (3 to 1000),
    or exactly ``steps``."""
    if steps is not None:
        return _timeit(step, steps, 1)
    step()
    t0 = time.perf_counter()
    step()
    steps = min(1000, max(3, round(budget / max(time.perf_counter() - t0, 1e-9))))
    return _timeit(step, steps, 0)


def s1(lib, name, points=((512, 128),), budget=0.3, steps=None):
    """Seconds per step of the W3 MLP (784-W-W/2-10, ReLU, cross-entropy, SGD) at each
    (width W, batch) point: {"WxB": seconds}."""
    out = {}
    for width, batch in points:
        params, x, y = _mlp_params(hidden=(width, width // 2), batch=batch)
        if lib is None:
            step = _mlp_numpy_step(params, x, y)
        else:
            nn, F = lib.nn, lib.nn.functional
            model = nn.Sequential(nn.Linear(784, width), nn.ReLU(),
                                  nn.Linear(width, width // 2), nn.ReLU(),
                                  nn.Linear(width // 2, 10))
            with lib.no_grad():
                for p, v in zip(model.parameters(), params):
                    p.copy_(lib.from_numpy(v))
            opt = lib.optim.SGD(model.parameters(), lr=0.01)
            xt, yt = lib.from_numpy(x), lib.from_numpy(y)

            def step(model=model, opt=opt, xt=xt, yt=yt, F=F):
                opt.zero_grad()
                loss = F.cross_entropy(model(xt), yt)
                loss.backward()
                opt.step()

        out[f"{width}x{batch}"] = _timeit_budget(step, budget, steps)
    return out


# -- S2: backward and memory of a graph of n nodes ------------------------------------------------
def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def _reset_peak_rss():
    """Restart the kernel's peak-RSS count (VmHWM) from the current RSS; False where it can't."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def s2(lib, name, ns=(1000,)):
    """A chain of n cheap elementwise ops (n/2 of ``y = y * 1.0001 + 0.0001``) on 16 floats, then
    sum and backward. Per n: {"forward", "backward"} seconds, "graph_bytes" (RSS with the graph
    built, minus before) and "peak_bytes" (peak RSS over forward and backward, minus before)."""
    w = lib.ones(16, requires_grad=True)
    (w * 1.0001 + 0.0001).sum().backward()  # first-call costs (allocator, kernels) out of n
    out = {}
    for n in ns:
        x = lib.ones(16, requires_grad=True)
        exact_peak = _reset_peak_rss()
        rss0 = _rss_bytes()
        t0 = time.perf_counter()
        y = x
        for _ in range(n // 2):
            y = y * 1.0001 + 0.0001
        loss = y.sum()
        t1 = time.perf_counter()
        rss1 = _rss_bytes()
        loss.backward()
        t2 = time.perf_counter()
        peak = _peak_rss_bytes() if exact_peak else max(rss1, _rss_bytes())
        if not np.isfinite(x.grad.sum().item()):
            raise RuntimeError(f"S2: gradient not finite at n={n}")
        del y, loss
        out[str(n)] = {"forward": t1 - t0, "backward": t2 - t1,
                       "graph_bytes": rss1 - rss0, "peak_bytes": peak - rss0}
    return out


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "M1-peak": m1_peak,
             "M1-growth": m1_growth, "F1": f1, "F1-loop": f1_loop, "F2": f2, "F3": f3, "F4": f4,
             "F5": f5}
WORKLOADS.update({f"O1-{opt}": (lambda lib, name, opt=opt, **kw: o1(lib, name, opt, **kw))
                  for opt in O1_OPTIMIZERS})
WORKLOADS.update({f"R1-{what}": (lambda lib, name, what=what: _r1(lib, what))
                  for what in ("randperm", "randint", "normal")})
WORKLOADS["D1"] = d1
WORKLOADS.update({"S1": s1, "S2": s2})

# --smoke: tiny sizes for every workload (SMOKE also caps every timing loop at one step)
SMOKE_KWARGS = {
    "W1": {"steps": 20}, "W2": {"steps": 20}, "W3": {"steps": 1}, "W4": {"steps": 1},
    "W5": {"steps": 1}, "F1": {"steps": 1}, "F1-loop": {"steps": 1}, "F2": {"steps": 1},
    "F3": {"steps": 1}, "F4": {"steps": 1}, "F5": {"steps": 1},
    "M1-peak": {"steps": 2}, "M1-growth": {"steps": 20},
    **{f"O1-{opt}": {"steps": 1, "n_params": 3} for opt in O1_OPTIMIZERS},
    "S1": {"points": [[32, 8], [64, 8], [32, 1], [32, 4]], "steps": 1},
    "S2": {"ns": [100, 1000]},
    "D1": {"n": 1000},
}


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workloads", help="comma-separated workload names")
    ap.add_argument("lib", choices=("ember", "torch", "torch-mt", "numpy"))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one step per timing")
    ap.add_argument("--kwargs", default="{}", help="JSON: workload -> keyword arguments")
    ap.add_argument("--best", action="store_true", help="fastest step instead of the mean")
    args = ap.parse_args()
    global SMOKE, BEST
    SMOKE = args.smoke
    BEST = args.best
    kwargs = json.loads(args.kwargs)
    lib = _lib(args.lib)
    for workload in args.workloads.split(","):
        kw = {**(SMOKE_KWARGS.get(workload, {}) if SMOKE else {}), **kwargs.get(workload, {})}
        value = WORKLOADS[workload](lib, args.lib, **kw)
        print(json.dumps({"workload": workload, "lib": args.lib, "value": value}), flush=True)


if __name__ == "__main__":
    main()
