"""Parity of ember.utils.data with torch.utils.data: datasets, samplers, DataLoader, collate."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata
from parity import assert_same, same_error

Point = collections.namedtuple("Point", "x y")


def same_batch(e, t):
    """Structure, types and values of an ember batch equal a PyTorch batch."""
    if isinstance(t, torch.Tensor):
        assert_same(e, t, rtol=0, atol=0)
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            same_batch(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t), (type(e), type(t))
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same_batch(a, b)
    else:
        assert type(e) is type(t) and e == t, (e, t)


def _data(lib, n=10):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = np.arange(n)
    return lib.from_numpy(x.copy()), lib.from_numpy(y.copy())


class Structured:
    """A map-style dataset whose samples mix every kind default_collate handles."""

    def __init__(self, lib, n=7):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        lib = self.lib
        return {
            "t": lib.arange(3) * i,
            "f": float(i) / 2,
            "i": i,
            "b": i % 2 == 0,
            "s": f"item{i}",
            "np": np.full((2,), i, dtype=np.float32),
            "np0": np.float32(i),
            "npi": np.int32(i),
            "tup": (i, lib.tensor([i, i], dtype=lib.float64)),
            "lst": [i, float(i)],
            "pt": Point(i, f"p{i}"),
        }


def _make_structured(base):
    class DS(base.Dataset):
        def __init__(self, lib):
            self.inner = Structured(lib)

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            return self.inner[i]

    return DS


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (7, True),
                                                  (10, False)])
def test_batches_match_torch(batch_size, drop_last):
    de, dt = _make_structured(edata)(ember), _make_structured(tdata)(torch)
    le = edata.DataLoader(de, batch_size=batch_size, drop_last=drop_last)
    lt = tdata.DataLoader(dt, batch_size=batch_size, drop_last=drop_last)
    assert len(le) == len(lt)
    be, bt = list(le), list(lt)
    assert len(be) == len(bt) == len(lt)
    for e, t in zip(be, bt):
        same_batch(e, t)


def test_tensor_dataset_loader_and_no_batching():
    xe, ye = _data(ember)
    xt, yt = _data(torch)
    de, dt = edata.TensorDataset(xe, ye), tdata.TensorDataset(xt, yt)
    assert len(de) == len(dt) == 10
    same_batch(de[3], dt[3])
    for kw in [dict(batch_size=4), dict(batch_size=None), dict(batch_size=4, drop_last=True)]:
        le, lt = edata.DataLoader(de, **kw), tdata.DataLoader(dt, **kw)
        assert len(le) == len(lt)
        for e, t in zip(le, lt, strict=True):
            same_batch(e, t)
    # batching off: default_convert turns NumPy arrays into tensors and keeps the rest
    class NP(edata.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return (np.ones(2) * i, i, "s")

    class NPT(tdata.Dataset):
        __len__ = NP.__len__
        __getitem__ = NP.__getitem__

    for e, t in zip(edata.DataLoader(NP(), batch_size=None),
                    tdata.DataLoader(NPT(), batch_size=None), strict=True):
        same_batch(e, t)


def test_size_mismatch():
    same_error(lambda: edata.TensorDataset(ember.zeros(3), ember.zeros(4)),
               lambda: tdata.TensorDataset(torch.zeros(3), torch.zeros(4)))


def test_samplers_and_batch_sampler():
    xe, ye = _data(ember)
    xt, yt = _data(torch)
    de, dt = edata.TensorDataset(xe, ye), tdata.TensorDataset(xt, yt)
    order = [9, 0, 4, 4, 2]
    le = edata.DataLoader(de, batch_size=2, sampler=order)
    lt = tdata.DataLoader(dt, batch_size=2, sampler=order)
    for e, t in zip(le, lt, strict=True):
        same_batch(e, t)
    batches = [[1, 2, 3], [0], [9, 8]]
    le = edata.DataLoader(de, batch_sampler=batches)
    lt = tdata.DataLoader(dt, batch_sampler=batches)
    assert len(le) == len(lt) == 3
    for e, t in zip(le, lt, strict=True):
        same_batch(e, t)
    bs_e = edata.BatchSampler(edata.SequentialSampler(range(10)), 4, drop_last=False)
    bs_t = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 4, drop_last=False)
    assert list(bs_e) == list(bs_t) and len(bs_e) == len(bs_t)
    bs_e = edata.BatchSampler(range(10), 4, drop_last=True)
    bs_t = tdata.BatchSampler(range(10), 4, drop_last=True)
    assert list(bs_e) == list(bs_t) and len(bs_e) == len(bs_t)


def _check_perm(order, n):
    assert sorted(order) == list(range(n))


def test_shuffle_is_a_seeded_permutation():
    xe, ye = _data(ember, 50)
    de = edata.TensorDataset(xe, ye)

    def epoch(loader):
        return [i for _, y in loader for i in y.tolist()]

    g = ember.Generator().manual_seed(123)
    loader = edata.DataLoader(de, batch_size=8, shuffle=True, generator=g)
    first, second = epoch(loader), epoch(loader)
    _check_perm(first, 50)
    _check_perm(second, 50)
    assert first != second  # a fresh permutation each epoch
    assert first != list(range(50))
    # the same seed gives the same epochs
    g2 = ember.Generator().manual_seed(123)
    loader2 = edata.DataLoader(de, batch_size=8, shuffle=True, generator=g2)
    assert epoch(loader2) == first and epoch(loader2) == second
    # another seed, another order
    g3 = ember.Generator().manual_seed(7)
    assert epoch(edata.DataLoader(de, batch_size=8, shuffle=True, generator=g3)) != first
    # the global seed makes an unseeded shuffle reproducible too
    ember.manual_seed(5)
    a = epoch(edata.DataLoader(de, batch_size=8, shuffle=True))
    ember.manual_seed(5)
    b = epoch(edata.DataLoader(de, batch_size=8, shuffle=True))
    _check_perm(a, 50)
    assert a == b
    # rows stay together: x row matches its label
    for x, y in edata.DataLoader(de, batch_size=8, shuffle=True, generator=g):
        np.testing.assert_array_equal(x.numpy(), xe.numpy()[y.numpy()])


def test_random_sampler_options():
    g = ember.Generator().manual_seed(0)
    s = edata.RandomSampler(range(5), num_samples=12, generator=g)
    out = list(s)
    assert len(out) == len(s) == 12
    _check_perm(out[:5], 5)
    _check_perm(out[5:10], 5)
    assert len(set(out[10:])) == 2
    s = edata.RandomSampler(range(5), replacement=True, num_samples=70, generator=g)
    out = list(s)
    assert len(out) == 70 and set(out) == set(range(5))
    sub = list(edata.SubsetRandomSampler([10, 20, 30], generator=g))
    assert sorted(sub) == [10, 20, 30]
    for fe, ft in [
        (lambda: edata.RandomSampler(range(3), replacement=1),
         lambda: tdata.RandomSampler(range(3), replacement=1)),
        (lambda: edata.RandomSampler(range(3), num_samples=0),
         lambda: tdata.RandomSampler(range(3), num_samples=0)),
        (lambda: edata.BatchSampler(range(3), 0, False),
         lambda: tdata.BatchSampler(range(3), 0, False)),
        (lambda: edata.BatchSampler(range(3), 2, 1),
         lambda: tdata.BatchSampler(range(3), 2, 1)),
    ]:
        same_error(fe, ft)


def test_random_split():
    for lengths in ([3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34], [10, 0], [1.0, 0.0]):
        with pytest.warns(UserWarning) if lengths == [1.0, 0.0] else _nothing():
            e = edata.random_split(range(10), lengths,
                                   generator=ember.Generator().manual_seed(1))
        with pytest.warns(UserWarning) if lengths == [1.0, 0.0] else _nothing():
            t = tdata.random_split(range(10), lengths,
                                   generator=torch.Generator().manual_seed(1))
        assert [len(s) for s in e] == [len(s) for s in t]
        items = [x for s in e for x in s]
        _check_perm(items, 10)
        assert all(isinstance(s, edata.Subset) for s in e)
    again = edata.random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    e = edata.random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [list(s) for s in e] == [list(s) for s in again]
    same_error(lambda: edata.random_split(range(10), [3, 3]),
               lambda: tdata.random_split(range(10), [3, 3]))
    same_error(lambda: edata.random_split(range(10), [1.5, -0.5]),
               lambda: tdata.random_split(range(10), [1.5, -0.5]))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_concat_and_subset():
    xe, ye = _data(ember, 6)
    xt, yt = _data(torch, 6)
    ce = edata.ConcatDataset([edata.TensorDataset(xe, ye), edata.Subset(
        edata.TensorDataset(xe, ye), [5, 1])])
    ct = tdata.ConcatDataset([tdata.TensorDataset(xt, yt), tdata.Subset(
        tdata.TensorDataset(xt, yt), [5, 1])])
    assert len(ce) == len(ct) == 8 and ce.cumulative_sizes == ct.cumulative_sizes
    for i in [0, 5, 6, 7, -1, -8]:
        same_batch(ce[i], ct[i])
    same_error(lambda: ce[-9], lambda: ct[-9])
    for e, t in zip(edata.DataLoader(ce, batch_size=3), tdata.DataLoader(ct, batch_size=3),
                    strict=True):
        same_batch(e, t)
    both = edata.TensorDataset(xe, ye) + edata.TensorDataset(xe, ye)
    assert isinstance(both, edata.ConcatDataset) and len(both) == 12


def _stream(base):
    class Stream(base.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter((i, float(i)) for i in range(self.n))

        def __len__(self):
            return self.n

    return Stream


@pytest.mark.parametrize("kw", [dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                dict(batch_size=None), dict(batch_size=5)])
def test_iterable_dataset(kw):
    le = edata.DataLoader(_stream(edata)(10), **kw)
    lt = tdata.DataLoader(_stream(tdata)(10), **kw)
    assert len(le) == len(lt)
    be, bt = list(le), list(lt)
    assert len(be) == len(bt)
    for e, t in zip(be, bt):
        same_batch(e, t)


def _loader_errors(m):
    d = m.utils.data
    ds = d.TensorDataset(m.zeros(4), m.zeros(4))
    st = _stream(d)(3)
    return [
        lambda: d.DataLoader(ds, num_workers=-1),
        lambda: d.DataLoader(ds, timeout=-1),
        lambda: d.DataLoader(ds, prefetch_factor=2),
        lambda: d.DataLoader(ds, persistent_workers=True),
        lambda: d.DataLoader(ds, sampler=[0, 1], shuffle=True),
        lambda: d.DataLoader(ds, batch_sampler=[[0]], batch_size=2),
        lambda: d.DataLoader(ds, batch_sampler=[[0]], drop_last=True),
        lambda: d.DataLoader(ds, batch_size=None, drop_last=True),
        lambda: d.DataLoader(st, shuffle=True),
        lambda: d.DataLoader(st, sampler=[0]),
        lambda: d.DataLoader(st, batch_sampler=[[0]]),
        lambda: setattr(d.DataLoader(ds), "batch_size", 3),
        lambda: d.DataLoader(ds, multiprocessing_context="spawn"),
    ]


@pytest.mark.parametrize("i", range(13))
def test_loader_errors(i):
    same_error(_loader_errors(ember)[i], _loader_errors(torch)[i])


def test_num_workers_keeps_batches_and_main_process_info():
    xe, ye = _data(ember)
    loader = edata.DataLoader(edata.TensorDataset(xe, ye), batch_size=4, num_workers=2)
    assert loader.prefetch_factor == 2
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert edata.get_worker_info() is None


COLLATE_CASES = [
    lambda m: [1.0, 2.5],
    lambda m: [1, 2],
    lambda m: [True, False],
    lambda m: ["a", "b"],
    lambda m: [b"a", b"b"],
    lambda m: [np.float32(1), np.float32(2)],
    lambda m: [np.int32(1), np.int32(2)],
    lambda m: [np.float64(1), np.float64(2)],
    lambda m: [np.bool_(True), np.bool_(False)],
    lambda m: [np.array([1, 2]), np.array([3, 4])],
    lambda m: [np.array(1.5), np.array(2.5)],
    lambda m: [(1, "a"), (2, "b")],
    lambda m: [[1, 2], [3, 4]],
    lambda m: [{"x": 1, "y": [1.0, 2.0]}] * 2,
    lambda m: [collections.OrderedDict(b=1, a=2)] * 2,
    lambda m: [Point(1, 2.0), Point(3, 4.0)],
    lambda m: [m.tensor(1), m.tensor(2)],
    lambda m: [m.ones(2, 3, dtype=m.float64), m.zeros(2, 3, dtype=m.float64)],
    lambda m: [m.ones(2, dtype=m.int32), m.zeros(2, dtype=m.int32)],
]


@pytest.mark.parametrize("i", range(len(COLLATE_CASES)))
def test_default_collate(i):
    e = edata.default_collate(COLLATE_CASES[i](ember))
    t = tdata.default_collate(COLLATE_CASES[i](torch))
    same_batch(e, t)


def test_default_collate_errors():
    for case in [
        lambda m: [[1, 2], [3]],
        lambda m: [object()],
        lambda m: [np.array(["a"])],
        lambda m: [m.zeros(2), m.zeros(3)],
    ]:
        same_error(lambda: edata.default_collate(case(ember)),
                   lambda: tdata.default_collate(case(torch)))


def test_dataset_base():
    same_error(lambda: edata.Dataset()[0], lambda: tdata.Dataset()[0])
    stack = edata.StackDataset(edata.TensorDataset(ember.arange(3)), ember.arange(3) * 2)
    assert len(stack) == 3 and stack[1][1].item() == 2


def _rng_matches_torch():
    e = ember.randperm(10, generator=ember.Generator().manual_seed(0)).tolist()
    return e == torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()


@pytest.mark.skipif(not _rng_matches_torch(), reason="ember's RNG does not reproduce PyTorch's")
def test_shuffle_order_matches_torch():
    """With PyTorch's random stream, shuffling draws exactly what PyTorch draws: the same
    batches, epoch after epoch, seeded or from the global seed."""
    de, dt = edata.TensorDataset(ember.arange(23)), tdata.TensorDataset(torch.arange(23))

    def epochs(loader, n=3):
        return [[b[0].tolist() for b in loader] for _ in range(n)]

    ge, gt = ember.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert epochs(edata.DataLoader(de, batch_size=5, shuffle=True, generator=ge)) == epochs(
        tdata.DataLoader(dt, batch_size=5, shuffle=True, generator=gt))
    ember.manual_seed(11)
    torch.manual_seed(11)
    assert epochs(edata.DataLoader(de, batch_size=5, shuffle=True)) == epochs(
        tdata.DataLoader(dt, batch_size=5, shuffle=True))
    e = edata.random_split(range(10), [0.3, 0.7], generator=ember.Generator().manual_seed(1))
    t = tdata.random_split(range(10), [0.3, 0.7], generator=torch.Generator().manual_seed(1))
    assert [list(s) for s in e] == [list(s) for s in t]
    se = edata.RandomSampler(range(7), replacement=True, num_samples=40,
                             generator=ember.Generator().manual_seed(2))
    st = tdata.RandomSampler(range(7), replacement=True, num_samples=40,
                             generator=torch.Generator().manual_seed(2))
    assert list(se) == list(st)


# -- TensorDataset batches by gathering rows --------------------------------------------------------
def _mnist_like(lib, n=3000, d=20):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, 10, n)
    m = rng.integers(0, 2, (n, 2, 3)).astype(bool)
    return lib.from_numpy(x), lib.from_numpy(y), lib.from_numpy(m)


def _same_epochs(le, lt, epochs=2):
    for _ in range(epochs):
        be, bt = list(le), list(lt)
        assert len(be) == len(bt)
        for e, t in zip(be, bt):
            same_batch(e, t)
            for a in e:  # fresh, contiguous tensors that own their rows
                assert a.is_contiguous() and a.grad_fn is None


@pytest.mark.parametrize("batch_size, drop_last", [(128, False), (128, True), (1, False),
                                                   (3000, False), (7, True)])
def test_tensor_dataset_shuffled_batches_match_torch(batch_size, drop_last):
    """A shuffled TensorDataset loader (one gather per tensor and batch) gives PyTorch's
    batches for the same seed: values, dtypes (float32, int64, bool), shapes, epoch after epoch,
    from the global seed and from a generator."""
    n = 3000 if batch_size > 8 else 300
    de = edata.TensorDataset(*_mnist_like(ember, n))
    dt = tdata.TensorDataset(*_mnist_like(torch, n))
    ember.manual_seed(0)
    torch.manual_seed(0)
    _same_epochs(edata.DataLoader(de, batch_size=batch_size, shuffle=True, drop_last=drop_last),
                 tdata.DataLoader(dt, batch_size=batch_size, shuffle=True, drop_last=drop_last))
    ge, gt = ember.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    _same_epochs(edata.DataLoader(de, batch_size=batch_size, shuffle=True, generator=ge),
                 tdata.DataLoader(dt, batch_size=batch_size, shuffle=True, generator=gt))
    _same_epochs(edata.DataLoader(de, batch_size=batch_size),
                 tdata.DataLoader(dt, batch_size=batch_size), epochs=1)
    assert ember.rand(3).tolist() == torch.rand(3).tolist()  # the streams stayed in step


def test_tensor_dataset_gather_at_full_size():
    """The benchmark's case: 60000x784 float32 plus labels, batch 128, shuffled: every batch
    equals PyTorch's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60000)
    ember.manual_seed(1)
    torch.manual_seed(1)
    le = edata.DataLoader(edata.TensorDataset(ember.from_numpy(x), ember.from_numpy(y)),
                          batch_size=128, shuffle=True)
    lt = tdata.DataLoader(tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                          batch_size=128, shuffle=True)
    n = 0
    for (xe, ye), (xt, yt) in zip(le, lt, strict=True):
        assert np.array_equal(xe.numpy(), xt.numpy()) and np.array_equal(ye.numpy(), yt.numpy())
        n += 1
    assert n == 469


def test_tensor_dataset_gather_falls_back_where_it_must():
    """Where the gather does not apply, batches still come sample by sample as PyTorch's:
    Subsets of a TensorDataset, negative and out-of-range indices (PyTorch's error),
    a custom collate_fn, tensors that require grad (the stack's grad_fn), a subclass with its
    own __getitem__, non-int indices."""
    xe, ye, _ = _mnist_like(ember, 50)
    xt, yt, _ = _mnist_like(torch, 50)
    de, dt = edata.TensorDataset(xe, ye), tdata.TensorDataset(xt, yt)
    se, st = edata.Subset(de, list(range(10, 40))), tdata.Subset(dt, list(range(10, 40)))
    ember.manual_seed(4)
    torch.manual_seed(4)
    _same_epochs(edata.DataLoader(se, batch_size=8, shuffle=True),
                 tdata.DataLoader(st, batch_size=8, shuffle=True))
    order = [0, -1, 7, 49, -50, 3]
    _same_epochs(edata.DataLoader(de, batch_size=4, sampler=order),
                 tdata.DataLoader(dt, batch_size=4, sampler=order), epochs=1)
    same_error(lambda: list(edata.DataLoader(de, batch_size=2, sampler=[1, 50])),
               lambda: list(tdata.DataLoader(dt, batch_size=2, sampler=[1, 50])))
    for e, t in zip(edata.DataLoader(de, batch_size=5, collate_fn=lambda b: len(b)),
                    tdata.DataLoader(dt, batch_size=5, collate_fn=lambda b: len(b))):
        assert e == t
    wx = ember.ones(6, 2, requires_grad=True)
    (b,) = edata.DataLoader(edata.TensorDataset(wx), batch_size=6)
    (bt,) = tdata.DataLoader(tdata.TensorDataset(torch.ones(6, 2, requires_grad=True)),
                             batch_size=6)
    assert type(b[0].grad_fn).__name__ == bt[0].grad_fn.name()

    class Doubled(edata.TensorDataset):
        def __getitem__(self, i):
            return tuple(2 * t[i] for t in self.tensors)

    (b,) = edata.DataLoader(Doubled(ember.arange(4)), batch_size=4)
    assert b[0].tolist() == [0, 2, 4, 6]
    (b,) = edata.DataLoader(de, batch_size=2, sampler=[np.int64(3), ember.tensor(4)])
    (bt,) = tdata.DataLoader(dt, batch_size=2, sampler=[np.int64(3), torch.tensor(4)])
    same_batch(b, bt)


def test_tensor_dataset_gather_in_workers():
    """Worker processes gather TensorDataset batches too: the same batches as PyTorch's."""
    de = edata.TensorDataset(*_mnist_like(ember, 300))
    dt = tdata.TensorDataset(*_mnist_like(torch, 300))
    ember.manual_seed(2)
    torch.manual_seed(2)
    _same_epochs(edata.DataLoader(de, batch_size=32, shuffle=True, num_workers=1),
                 tdata.DataLoader(dt, batch_size=32, shuffle=True, num_workers=1), epochs=1)
