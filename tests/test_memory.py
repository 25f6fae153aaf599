"""Memory and robustness: graphs freed by reference counting, very deep graphs, flat memory over
long training, grad mode per thread."""

import gc
import math
import threading
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import ember


@pytest.fixture
def no_gc():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# -- freed by reference counting ------------------------------------------------------------------
def _graph(x):
    y = x * 2
    z = y.sin() * y.exp()  # sin saves its input y; exp saves its output
    return y, z.sum()


def test_dropped_graph_freed_without_gc(no_gc):
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y, loss = _graph(x)
    refs = [weakref.ref(y), weakref.ref(y.grad_fn), weakref.ref(loss), weakref.ref(loss.grad_fn)]
    del y, loss
    assert [r() is None for r in refs] == [True] * 4
    assert x.grad is None and x.is_leaf


def test_graph_freed_after_backward_without_gc(no_gc):
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y, loss = _graph(x)
    refs = [weakref.ref(y), weakref.ref(y.grad_fn), weakref.ref(loss.grad_fn)]
    acc = y.grad_fn.next_functions[0][0]
    acc_ref = weakref.ref(acc)
    del acc
    loss.backward()
    del y, loss
    assert [r() is None for r in refs] == [True] * 3
    # the leaf's AccumulateGrad went with the graph; the leaf and its gradient stay
    assert acc_ref() is None
    assert x.grad is not None


def test_graph_with_hooks_and_retain_grad_freed_without_gc(no_gc):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 1)
    y = x * 3
    y.retain_grad()
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    refs = [weakref.ref(y), weakref.ref(y.grad_fn), weakref.ref(loss.grad_fn)]
    del y, loss
    assert [r() is None for r in refs] == [True] * 3


def test_create_graph_grads_freed_without_gc(no_gc):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    refs = [weakref.ref(g), weakref.ref(g.grad_fn), weakref.ref(y.grad_fn)]
    del y, g
    assert [r() is None for r in refs] == [True] * 3


def test_training_steps_free_every_graph_without_gc(no_gc):
    w = ember.tensor([0.5], requires_grad=True)
    x = ember.tensor([1.0, 2.0, 3.0])
    refs = []
    for _ in range(3):
        loss = ((x * w - 1) ** 2).mean()
        refs += [weakref.ref(loss)] + [weakref.ref(n) for n in _nodes(loss.grad_fn)]
        loss.backward()
        with ember.no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
    del loss
    assert len(refs) == 3 * 6  # loss and MeanBackward0, Pow, Sub, Mul, AccumulateGrad per step
    assert [r for r in refs if r() is not None] == []


def _nodes(fn):
    seen, stack = [], [fn]
    while stack:
        n = stack.pop()
        if n is not None and n not in seen:
            seen.append(n)
            stack.extend(m for m, _ in n.next_functions)
    return seen


# -- very deep graphs ---------------------------------------------------------------------------
DEPTH = 100_000


def test_deep_mul_chain_backward():
    x = ember.tensor(1.0, dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(DEPTH):
        y = y * 1.0001
    y.backward()
    assert math.isclose(x.grad.item(), 1.0001**DEPTH, rel_tol=1e-9)
    del y  # tearing down the (already released) chain must not recurse either


def test_deep_add_chain_backward_and_teardown():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(DEPTH):
        y = y + 0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    z = x
    for _ in range(DEPTH):
        z = z * 1.0
    ref = weakref.ref(z.grad_fn)
    del z  # an unreleased deep graph is freed without RecursionError or a crash
    assert ref() is None


def test_deep_chain_autograd_grad():
    x = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(DEPTH // 4):
        y = y + x * 0.0
    (g,) = ember.autograd.grad(y, x)
    assert g.item() == 1.0


# -- flat memory ----------------------------------------------------------------------------------
X = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
Y = [2.1, 2.9, 4.2, 5.0, 6.1, 6.9, 8.0, 9.1]


def _train(steps, keep_graph=False, checkpoints=()):
    x, y = ember.tensor(X), ember.tensor(Y)
    w = ember.tensor(0.0, requires_grad=True)
    b = ember.tensor(0.0, requires_grad=True)
    total = 0
    sizes = {}
    for step in range(1, steps + 1):
        loss = ((x * w + b - y) ** 2).mean()
        loss.backward()
        with ember.no_grad():
            w -= 0.01 * w.grad
            b -= 0.01 * b.grad
        w.grad.zero_()
        b.grad.zero_()
        total += loss if keep_graph else loss.item()
        if step in checkpoints:
            sizes[step] = tracemalloc.get_traced_memory()[0]
    return sizes, w.item(), b.item(), total


def test_memory_flat_over_training():
    tracemalloc.start()
    try:
        sizes, w, b, _ = _train(2000, checkpoints=(500, 2000))
    finally:
        tracemalloc.stop()
    assert sizes[2000] - sizes[500] < 1 << 20, sizes
    # and it learned: y is about 2x + 1
    assert abs(w - 2.0) < 0.3 and abs(b - 1.0) < 0.6


def test_memory_check_detects_a_growing_graph():
    # the classic leak (`total += loss` keeps every step's graph) must show up in the measure
    tracemalloc.start()
    try:
        sizes, *_ , total = _train(600, keep_graph=True, checkpoints=(100, 600))
    finally:
        tracemalloc.stop()
    assert total.grad_fn is not None
    assert sizes[600] - sizes[100] > 100_000, sizes


def test_training_matches_torch():
    _, w, b, total = _train(300)

    x, y = torch.tensor(X), torch.tensor(Y)
    tw = torch.tensor(0.0, requires_grad=True)
    tb = torch.tensor(0.0, requires_grad=True)
    for _ in range(300):
        loss = ((x * tw + tb - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            tw -= 0.01 * tw.grad
            tb -= 0.01 * tb.grad
        tw.grad.zero_()
        tb.grad.zero_()
    assert np.isclose(w, tw.item(), rtol=1e-5) and np.isclose(b, tb.item(), rtol=1e-5)


# -- grad mode per thread -------------------------------------------------------------------------
def test_grad_mode_isolated_between_concurrent_threads():
    barrier = threading.Barrier(2, timeout=10)
    results = {}
    w = ember.tensor([1.0], requires_grad=True)

    def without_grad():
        with ember.no_grad():
            barrier.wait()  # both threads are now inside their mode
            results["off"] = [(w * 2).requires_grad for _ in range(200)]
            results["off_enabled"] = ember.is_grad_enabled()
            barrier.wait()

    def with_grad():
        barrier.wait()
        results["on"] = [(w * 2).requires_grad for _ in range(200)]
        results["on_enabled"] = ember.is_grad_enabled()
        barrier.wait()

    threads = [threading.Thread(target=f) for f in (without_grad, with_grad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["off"] == [False] * 200 and results["off_enabled"] is False
    assert results["on"] == [True] * 200 and results["on_enabled"] is True
    assert ember.is_grad_enabled()


def test_backward_in_one_thread_does_not_disable_recording_in_another():
    # the engine turns grad mode off while it runs backward; that must stay in its own thread
    stop = threading.Event()
    errors = []

    def trainer():
        w = ember.tensor([1.0, 2.0], requires_grad=True)
        try:
            while not stop.is_set():
                (w * w).sum().backward()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=trainer)
    t.start()
    try:
        v = ember.tensor([1.0], requires_grad=True)
        recorded = [(v * 3).requires_grad for _ in range(3000)]
    finally:
        stop.set()
        t.join()
    assert not errors
    assert all(recorded)


def test_nll_loss_frees_its_input_after_backward():
    """NllLossBackward0 holds the op's input to show it (_saved_self); after backward it lets
    it go, as PyTorch frees its saved tensors, while the loss itself is still alive."""
    import weakref

    x = ember.randn(4, 5, requires_grad=True)
    logp = x * 2  # the input of nll_loss, referenced only by the graph once deleted here
    ref = weakref.ref(logp)
    loss = ember.nn.functional.nll_loss(logp, ember.tensor([0, 1, 2, 3]))
    del logp
    assert ref() is not None
    loss.backward()
    assert ref() is None and loss.grad_fn is not None
