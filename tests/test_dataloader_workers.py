"""DataLoader with worker processes (num_workers > 0), against num_workers=0 and PyTorch.

Small datasets and at most two workers, so the tests stay fast on a 2-core machine; every
test runs under an alarm, and every loader that could wait has a timeout, so none can hang.
"""

import collections
import multiprocessing
import os
import pickle
import random
import signal
import time
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata
from parity import assert_same, same_error

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the tests use fork")

Pair = collections.namedtuple("Pair", "x y")


@pytest.fixture(autouse=True)
def _alarm():
    # a hung test fails instead of blocking the suite (fork children do not inherit alarms)
    def fail(signum, frame):
        raise TimeoutError("test took longer than 60 s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _lib(m):
    return m, m.utils.data


# -- datasets (module level: plain classes that take the library to build tensors with) ------
class Squares:
    """Map-style: sample i is (tensor [i, i*i] float32, i)."""

    def __init__(self, m, n=11):
        self.m, self.n = m, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.m.tensor([float(i), float(i * i)]), i


class Slow(Squares):
    """Later samples come back faster, so workers answer out of order."""

    def __getitem__(self, i):
        time.sleep(0.02 * ((self.n - i) % 4))
        return super().__getitem__(i)


class Structured(Squares):
    def __getitem__(self, i):
        x = np.arange(3, dtype=np.float32) + i
        return {"a": self.m.tensor(x), "b": Pair(i, float(i) / 2), "name": f"s{i}",
                "arr": x.astype(np.float64), "flag": i % 2 == 0}


class Seeds(Squares):
    """What a worker sees: its info, and draws from the seeded generators."""

    def __getitem__(self, i):
        info = self.m.utils.data.get_worker_info()
        return (i, info.id, info.num_workers, info.seed, self.m.initial_seed(),
                self.m.rand(2), float(np.random.rand()), random.random(), os.getpid())


class Failing(Squares):
    def __init__(self, m, n=8, bad=5, exc=ValueError):
        super().__init__(m, n)
        self.bad, self.exc = bad, exc

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc("sample 5 is broken")
        return super().__getitem__(i)


class Dying(Squares):
    def __getitem__(self, i):
        if i == 3:
            os._exit(1)
        return super().__getitem__(i)


class Sleepy(Squares):
    def __getitem__(self, i):
        time.sleep(1.5)
        return i


class Unpicklable(Squares):
    def __getitem__(self, i):
        return lambda: i  # noqa: E731  a batch that cannot travel back


def _stream_class(m):
    class Stream(m.utils.data.IterableDataset):
        """range(start, end), split between workers when shard=True."""

        def __init__(self, start, end, shard=True):
            self.start, self.end, self.shard = start, end, shard

        def __iter__(self):
            lo, hi = self.start, self.end
            info = m.utils.data.get_worker_info()
            if self.shard and info is not None:
                per = -(-(hi - lo) // info.num_workers)
                lo = lo + info.id * per
                hi = min(lo + per, hi)
            for i in range(lo, hi):
                yield m.tensor([i])

    return Stream


def _batches(loader):
    return list(loader)


def same_batches(e, t):
    """Two lists of batches equal in structure, types and values (ember vs torch)."""
    assert len(e) == len(t), (len(e), len(t))
    for a, b in zip(e, t):
        _same(a, b)


def _same(a, b):
    if isinstance(b, torch.Tensor):
        assert_same(a, b, rtol=0, atol=0)
    elif isinstance(b, dict):
        assert list(a) == list(b)
        for k in b:
            _same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a).__name__ == type(b).__name__ and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b, (a, b)


def _ours():
    """ember's live worker processes (PyTorch's, which may linger in reference cycles until
    the garbage collector runs, are not counted)."""
    return [p for p in multiprocessing.active_children()
            if p.name.startswith("DataLoaderWorker-")]


def _no_children(timeout=10.0):
    """The worker processes this test started have gone (they are joined at shutdown)."""
    deadline = time.monotonic() + timeout
    while _ours():
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still alive: {_ours()}")
        time.sleep(0.05)


# -- same batches as num_workers=0 and as PyTorch ----------------------------------------------
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (1, False),
                                                  (None, False)])
def test_batches_match_single_process_and_torch(shuffle, batch_size, drop_last):
    def run(m, workers):
        _, d = _lib(m)
        g = m.Generator().manual_seed(7)
        loader = d.DataLoader(Squares(m), batch_size=batch_size, shuffle=shuffle,
                              drop_last=drop_last, num_workers=workers, generator=g,
                              timeout=30 if workers else 0)
        epochs = [_batches(loader) for _ in range(2)]
        return epochs, m.rand(3, generator=g)  # and the generator is left in the same state

    e0, g0 = run(ember, 0)
    e2, g2 = run(ember, 2)
    t2, tg = run(torch, 2)
    for a, b, c in zip(e0, e2, t2):
        same_batches(a, c)
        same_batches(b, c)
    assert_same(g0, tg)
    assert_same(g2, tg)
    if shuffle:
        assert [int(y) for _, y in (e2[0] if batch_size == 1 else [])] != list(range(11))


def test_global_generator_shuffle_matches_torch():
    # no generator given: the order and the worker seeds come from the global generator
    res = []
    for m in (ember, torch):
        m.manual_seed(123)
        loader = m.utils.data.DataLoader(Seeds(m, 6), batch_size=2, shuffle=True,
                                         num_workers=2, timeout=30)
        batches = _batches(loader)
        res.append((batches, m.rand(2)))
    (eb, er), (tb, tr) = res
    assert [b[0].tolist() for b in eb] == [b[0].tolist() for b in tb]
    assert [b[3].tolist() for b in eb] == [b[3].tolist() for b in tb]  # worker seeds
    assert_same(er, tr)


def test_order_is_kept_when_workers_answer_out_of_order():
    loader = edata.DataLoader(Slow(ember, 12), batch_size=1, num_workers=2, timeout=30)
    assert [int(y) for _, y in loader] == list(range(12))


def test_in_order_false_gives_every_batch():
    loader = edata.DataLoader(Slow(ember, 12), batch_size=2, num_workers=2, in_order=False,
                              timeout=30)
    got = sorted(int(v) for _, y in loader for v in y)
    assert got == list(range(12))


def test_structured_samples_cross_the_process_boundary():
    e = _batches(edata.DataLoader(Structured(ember, 5), batch_size=2, num_workers=2,
                                  timeout=30))
    t = _batches(tdata.DataLoader(Structured(torch, 5), batch_size=2, num_workers=2))
    same_batches(e, t)
    assert e[0]["a"].dtype == ember.float32 and e[0]["arr"].dtype == ember.float64
    # batch_size=None: samples one by one, NumPy arrays converted as PyTorch does
    e = _batches(edata.DataLoader(Structured(ember, 3), batch_size=None, num_workers=2,
                                  timeout=30))
    t = _batches(tdata.DataLoader(Structured(torch, 3), batch_size=None, num_workers=2))
    same_batches(e, t)


def test_tensors_pickle_as_numpy_arrays():
    x = ember.arange(6.0).reshape(2, 3)
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == ember.float32 and y.tolist() == x.tolist()
    reduced = x.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    assert any(isinstance(a, np.ndarray) for a in reduced[1])
    w = ember.ones(2, requires_grad=True)
    assert pickle.loads(pickle.dumps(w)).requires_grad


def test_custom_collate_and_batch_sampler():
    def collate(batch):
        return [int(y) for _, y in batch]

    sampler = [[3, 1], [0], [5, 4, 2]]
    loader = edata.DataLoader(Squares(ember, 6), batch_sampler=sampler, collate_fn=collate,
                              num_workers=2, timeout=30)
    assert _batches(loader) == sampler
    assert len(loader) == 3


def test_len_of_loader_and_iterator():
    loader = edata.DataLoader(Squares(ember, 7), batch_size=3, num_workers=2, timeout=30)
    it = iter(loader)
    assert len(loader) == len(it) == 3
    assert len(list(it)) == 3


# -- seeds, worker_init_fn, get_worker_info ----------------------------------------------------
def _init_fn(worker_id):
    info = ember.utils.data.get_worker_info()
    assert info.id == worker_id
    # the dataset object in the worker is the worker's copy: change it there only
    info.dataset.n = 1000 + worker_id


class Marked(Squares):
    def __getitem__(self, i):
        info = self.m.utils.data.get_worker_info()
        return i, info.dataset.n, info.dataset is self


def test_worker_init_fn_and_worker_info():
    ds = Marked(ember, 6)
    loader = edata.DataLoader(ds, batch_size=None, num_workers=2, worker_init_fn=_init_fn,
                              timeout=30)
    got = _batches(loader)
    # round robin: sample i is loaded by worker i % 2
    assert [(int(i), int(n), bool(same)) for i, n, same in got] == [
        (i, 1000 + i % 2, True) for i in range(6)]
    assert ds.n == 6 and edata.get_worker_info() is None


def test_worker_seeds_match_torch():
    res = {}
    for m in (ember, torch):
        g = m.Generator().manual_seed(99)
        loader = m.utils.data.DataLoader(Seeds(m, 4), batch_size=None, num_workers=2,
                                         generator=g, **({"timeout": 30} if m is ember else {}))
        res[m.__name__] = _batches(loader)
    for e, t in zip(res["ember"], res["torch"]):
        i, wid, nw, seed, init_seed, r, npr, pyr, _ = e
        assert (i, wid, nw, seed, init_seed) == tuple(t[:5])
        assert seed == init_seed
        assert_same(r, t[5])  # ember.rand in a worker draws what torch.rand does
        assert npr == t[6] and pyr == t[7]  # NumPy and random are seeded as in PyTorch
    assert res["ember"][0][3] + 1 == res["ember"][1][3]  # base_seed + worker_id


def test_worker_init_fn_error_is_reraised():
    def bad_init(worker_id):
        raise RuntimeError(f"init of {worker_id} failed")

    loader = edata.DataLoader(Squares(ember, 4), num_workers=1, worker_init_fn=bad_init,
                              timeout=30)
    with pytest.raises(RuntimeError) as info:
        next(iter(loader))
    msg = str(info.value)
    del info  # its traceback holds the iterator, and the iterator its workers
    assert msg.startswith("Caught RuntimeError in DataLoader worker process 0.\nOriginal "
                          "Traceback (most recent call last):\n")
    assert msg.rstrip().endswith("RuntimeError: init of 0 failed")
    _no_children()


# -- persistent workers ----------------------------------------------------------------------
def test_persistent_workers_keep_their_processes():
    def run(m):
        g = m.Generator().manual_seed(3)
        loader = m.utils.data.DataLoader(Seeds(m, 5), batch_size=2, shuffle=True,
                                         num_workers=2, generator=g, persistent_workers=True,
                                         **({"timeout": 30} if m is ember else {}))
        epochs = [_batches(loader) for _ in range(3)]
        for _ in loader:  # an epoch left early: the next one still starts afresh
            break
        epochs.append(_batches(loader))
        return loader, epochs

    _, te = run(torch)
    le, ee = run(ember)
    for e, t in zip(ee, te):
        assert [b[0].tolist() for b in e] == [b[0].tolist() for b in t]
        assert [b[3].tolist() for b in e] == [b[3].tolist() for b in t]
    pids = {p for epoch in ee for b in epoch for p in b[8].tolist()}
    assert len(pids) == 2  # the same two processes served every epoch
    assert pids <= {p.pid for p in _ours()}
    del le
    _no_children()


# -- IterableDataset -------------------------------------------------------------------------
@pytest.mark.parametrize("shard", [True, False])
@pytest.mark.parametrize("batch_size,drop_last", [(2, False), (2, True), (None, False)])
def test_iterable_dataset_with_workers(shard, batch_size, drop_last):
    def run(m, **kw):
        stream = _stream_class(m)(0, 7, shard)
        return _batches(m.utils.data.DataLoader(stream, batch_size=batch_size,
                                                drop_last=drop_last, num_workers=2, **kw))

    e, t = run(ember, timeout=30), run(torch)
    same_batches(e, t)
    flat = sorted(v for b in e for v in b.reshape(-1).tolist())
    if shard and not drop_last:
        assert flat == list(range(7))
    elif not shard and not drop_last:
        assert flat == sorted(list(range(7)) * 2)  # each worker yields its whole copy


def test_iterable_dataset_persistent_epochs():
    stream = _stream_class(ember)(0, 5)
    loader = edata.DataLoader(stream, batch_size=2, num_workers=2, persistent_workers=True,
                              timeout=30)
    first = [b.reshape(-1).tolist() for b in loader]
    second = [b.reshape(-1).tolist() for b in loader]
    assert first == second and sorted(sum(first, [])) == list(range(5))
    del loader
    _no_children()


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("exc", [ValueError, KeyError, IndexError])
def test_worker_error_is_reraised_like_torch(exc):
    errs = []
    for m in (torch, ember):
        loader = m.utils.data.DataLoader(Failing(m, exc=exc), batch_size=2, num_workers=2,
                                         **({"timeout": 30} if m is ember else {}))
        got = []
        with pytest.raises(exc) as info:
            for _, y in loader:
                got.append(y.tolist())
        errs.append((got, str(info.value)))
        del info, loader
    (tg, te), (eg, ee) = errs
    assert eg == tg == [[0, 1], [2, 3]]
    head = f"Caught {exc.__name__} in DataLoader worker process 0.\nOriginal Traceback"
    assert str(ee).startswith(head) and str(te).startswith(head)
    assert str(ee).rstrip().splitlines()[-1] == str(te).rstrip().splitlines()[-1]
    _no_children()


def test_loader_goes_on_after_a_caught_worker_error():
    loader = edata.DataLoader(Failing(ember), batch_size=2, num_workers=2, timeout=30)
    it = iter(loader)
    got = []
    while True:
        try:
            got.append(next(it)[1].tolist())
        except ValueError:
            got.append("error")
        except StopIteration:
            break
    assert got == [[0, 1], [2, 3], "error", [6, 7]]


def test_unpicklable_batch_is_an_error_not_a_hang():
    loader = edata.DataLoader(Unpicklable(ember, 2), batch_size=None, num_workers=1,
                              timeout=30)
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        next(iter(loader))


def test_dead_worker_is_reported():
    loader = edata.DataLoader(Dying(ember, 6), batch_size=1, num_workers=2)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly") as info:
        _batches(loader)
    del info
    _no_children()


def test_timeout_matches_torch():
    def run(m):
        loader = m.utils.data.DataLoader(Sleepy(m, 2), num_workers=1, timeout=0.3)
        t0 = time.monotonic()
        try:
            next(iter(loader))
        except RuntimeError as exc:
            return str(exc), time.monotonic() - t0
        finally:
            del loader
        raise AssertionError("no timeout")

    tm, _ = run(torch)
    em, et = run(ember)
    assert em == tm == "DataLoader timed out after 0.3 seconds"
    assert et < 3
    _no_children()


class WithLambda(Squares):
    def __init__(self, m):
        super().__init__(m, 4)
        self.transform = lambda x: x * 2  # noqa: E731


def _spawn_errors(m):
    d = m.utils.data
    return [
        lambda: next(iter(d.DataLoader(WithLambda(m), num_workers=1,
                                       multiprocessing_context="spawn"))),
        lambda: next(iter(d.DataLoader((i for i in range(3)), num_workers=1,
                                       multiprocessing_context="spawn"))),
        lambda: next(iter(d.DataLoader(d.TensorDataset(m.zeros(3)), num_workers=1,
                                       collate_fn=lambda b: b,
                                       multiprocessing_context="spawn"))),
    ]


@pytest.mark.parametrize("i", range(3))
def test_unpicklable_dataset_under_spawn(i):
    # the dataset is pickled before any process starts, so these fail fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exc = same_error(_spawn_errors(ember)[i], _spawn_errors(torch)[i])
    notes = "".join(getattr(exc, "__notes__", []))
    assert "module level" in notes and "'spawn'" in notes
    _no_children()


def test_lambda_dataset_works_under_fork():
    loader = edata.DataLoader(WithLambda(ember), batch_size=2, num_workers=2,
                              multiprocessing_context="fork", timeout=30)
    assert [y.tolist() for _, y in loader] == [[0, 1], [2, 3]]


def test_spawn_context_with_a_picklable_dataset():
    # the workers start a fresh interpreter and import ember; TensorDataset pickles
    ctx = multiprocessing.get_context("spawn")
    ds = edata.TensorDataset(ember.arange(6.0).reshape(3, 2), ember.arange(3))
    for context in ("spawn", ctx):
        loader = edata.DataLoader(ds, batch_size=2, num_workers=1, timeout=50,
                                  multiprocessing_context=context)
        assert loader.multiprocessing_context.get_start_method() == "spawn"
        got = _batches(loader)
        assert [x.tolist() for x, _ in got] == [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0]]]
        assert [y.dtype for _, y in got] == [ember.int64, ember.int64]
    _no_children()


def _context_errors(m):
    d = m.utils.data
    ds = d.TensorDataset(m.zeros(4))
    return [
        lambda: d.DataLoader(ds, num_workers=1, multiprocessing_context="bogus"),
        lambda: d.DataLoader(ds, num_workers=1, multiprocessing_context=3),
        lambda: d.DataLoader(ds, num_workers=0, multiprocessing_context="fork"),
        lambda: d.DataLoader(ds, num_workers=2, prefetch_factor=-1),
    ]


@pytest.mark.parametrize("i", range(4))
def test_context_errors(i):
    same_error(_context_errors(ember)[i], _context_errors(torch)[i])


# -- clean shutdown ----------------------------------------------------------------------------
def test_workers_stop_when_iteration_stops_early():
    loader = edata.DataLoader(Squares(ember, 40), batch_size=2, num_workers=2, timeout=30)
    for i, _ in enumerate(loader):
        assert len(_ours()) == 2
        if i == 1:
            break
    _no_children()


def test_workers_stop_when_the_loop_raises():
    loader = edata.DataLoader(Squares(ember, 40), batch_size=2, num_workers=2, timeout=30)
    with pytest.raises(ZeroDivisionError) as info:
        for _ in loader:
            1 / 0  # noqa: B018
    del info
    _no_children()


def test_workers_stop_after_a_full_pass_and_on_delete():
    loader = edata.DataLoader(Squares(ember, 6), batch_size=2, num_workers=2, timeout=30)
    it = iter(loader)
    next(it)
    del it
    _no_children()
    assert len(_batches(loader)) == 3
    _no_children()
    it = iter(loader)
    del loader, it
    _no_children()


def test_many_loaders_leave_no_processes():
    for _ in range(5):
        loader = edata.DataLoader(Squares(ember, 4), batch_size=2, num_workers=2, timeout=30)
        next(iter(loader))
    _no_children()


# -- accepted options ------------------------------------------------------------------------
def test_pin_memory_is_accepted_and_warns_as_torch():
    msgs = []
    for m in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            loader = m.utils.data.DataLoader(Squares(m, 4), batch_size=2, num_workers=2,
                                             pin_memory=True)
            batches = _batches(loader)
        msgs.append(sorted({str(x.message) for x in w if "pin_memory" in str(x.message)}))
        assert [y.tolist() for _, y in batches] == [[0, 1], [2, 3]]
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true"):
        next(iter(edata.DataLoader(Squares(ember, 4), pin_memory=True)))


def test_too_many_workers_warns_as_torch():
    n = len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else 64
    msgs = []
    for m in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.utils.data.DataLoader(Squares(m, 4), num_workers=n)
        msgs.append([str(x.message) for x in w])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1
    assert msgs[0][0].startswith(f"This DataLoader will create {n} worker processes in total.")


def test_prefetch_factor_default_and_custom():
    loader = edata.DataLoader(Squares(ember, 9), batch_size=2, num_workers=2, timeout=30)
    assert loader.prefetch_factor == 2
    it = iter(loader)
    # primed: prefetch_factor batches per worker are in flight before the first next()
    assert it._send_idx == 4
    assert len(list(it)) == 5
    loader = edata.DataLoader(Squares(ember, 9), batch_size=2, num_workers=2,
                              prefetch_factor=1, timeout=30)
    it = iter(loader)
    assert it._send_idx == 2
    assert [y.tolist() for _, y in it] == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]


def test_error_of_a_local_exception_class_comes_back():
    class LocalError(Exception):
        pass

    loader = edata.DataLoader(Failing(ember, exc=LocalError), batch_size=2, num_workers=1,
                              timeout=30)
    with pytest.raises(Exception, match="Caught LocalError in DataLoader worker process 0") as i:
        _batches(loader)
    assert type(i.value).__name__ in ("LocalError", "RuntimeError")
    del i
    _no_children()
