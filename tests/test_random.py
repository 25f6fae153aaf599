"""Seeded randomness: ember's CPU generator against PyTorch's, draw for draw.

Two kinds of assertion, named in each test:
* BITWISE: the same bytes. Used where PyTorch's path is integer work on the Mersenne Twister
  words plus plain IEEE arithmetic (uniforms, integers, permutations, Bernoulli masks,
  multinomial, in-place fills of those, dropout masks, layer initialisation by uniforms).
* ULP1: within one unit in the last place. Used where PyTorch's path goes through a math
  library (log, sin, cos, tan, exp in normal, exponential, Cauchy and log-normal draws). On the
  reference setup (x86-64 with AVX2/FMA, glibc) ember's values are bit-identical there too;
  ULP1 keeps the tests meaningful on other C libraries. A misaligned stream or a wrong
  transform is off by far more than one ulp, so these still fail for wrong implementations.
"""

import contextlib
import io
import warnings

import numpy as np
import pytest
import torch

import ember
from parity import same_error

SEEDS = [0, 1, 42, 2**32 + 5, 2**63 + 12345]
SIZES = [0, 1, 15, 16, 17, 1000, 4097]
SHAPES = [(), (3, 5), (2, 3, 4), (4, 4, 4), (2, 0, 3), (17, 3)]
DTYPES = [(ember.float32, torch.float32), (ember.float64, torch.float64)]


def _np(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else np.asarray(x.detach().numpy())


def bitwise(e, t):
    """BITWISE: same shape, dtype and bytes."""
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.tobytes() == b.tobytes(), np.flatnonzero(a.ravel() != b.ravel())[:10]


def ulp1(e, t):
    """ULP1: same shape and dtype; each value within one ulp (nan and inf where PyTorch has)."""
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if not same.all():
        gap = np.abs(a[~same].astype(np.float64) - b[~same].astype(np.float64))
        assert (gap <= np.spacing(np.abs(b[~same]).astype(a.dtype)).astype(np.float64)).all(), (
            a[~same][:5], b[~same][:5])


def seed_both(s):
    ember.manual_seed(s)
    torch.manual_seed(s)


# -- the stream and the seed -----------------------------------------------------------------------
@pytest.mark.parametrize("s", SEEDS + [-1, 2**64 - 1])
def test_seed_gives_pytorch_stream(s):
    """BITWISE: float32 and float64 uniforms straight after manual_seed, and initial_seed."""
    seed_both(s)
    assert ember.initial_seed() == torch.initial_seed()
    bitwise(ember.rand(1000), torch.rand(1000))
    bitwise(ember.rand(1000, dtype=ember.float64), torch.rand(1000, dtype=torch.float64))


def test_manual_seed_returns_generator_and_checks_range():
    assert isinstance(ember.manual_seed(3), ember.Generator)
    same_error(lambda: ember.manual_seed(2**64), lambda: torch.manual_seed(2**64))
    same_error(lambda: ember.manual_seed(-2**63 - 1), lambda: torch.manual_seed(-2**63 - 1))


def test_default_seed_of_new_generator():
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    bitwise(ember.rand(7, generator=ember.Generator()), torch.rand(7, generator=torch.Generator()))


def test_seed_is_random_and_reproducible():
    s = ember.seed()
    assert 0 <= s < 2**64 and ember.initial_seed() == s
    a = ember.rand(5)
    ember.manual_seed(s)
    torch.manual_seed(s)
    b = ember.rand(5)
    bitwise(a, b)
    bitwise(b, torch.rand(5))


# -- rand / randn ---------------------------------------------------------------------------------
@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dt", DTYPES)
def test_rand_sizes(s, n, dt):
    """BITWISE: rand, then rand again (state carried across calls)."""
    seed_both(s)
    bitwise(ember.rand(n, dtype=dt[0]), torch.rand(n, dtype=dt[1]))
    bitwise(ember.rand(3, dtype=dt[0]), torch.rand(3, dtype=dt[1]))


@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("n", SIZES + [2, 31, 32, 33, 100_000])
@pytest.mark.parametrize("dt", DTYPES)
def test_randn_sizes(s, n, dt):
    """ULP1 (bitwise on the reference setup): randn below 16 elements (scalar Box-Muller with
    the cached spare sample), at 16 and above (blocks of 16, ragged tail), then a small one
    that uses the spare the first call left."""
    seed_both(s)
    ulp1(ember.randn(n, dtype=dt[0]), torch.randn(n, dtype=dt[1]))
    ulp1(ember.randn(3, dtype=dt[0]), torch.randn(3, dtype=dt[1]))
    ulp1(ember.randn(1, dtype=dt[0]), torch.randn(1, dtype=dt[1]))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dt", DTYPES)
def test_rand_randn_shapes(shape, dt):
    """BITWISE rand / rand_like; ULP1 randn / randn_like; multi-dimensional shapes."""
    seed_both(7)
    e, t = ember.rand(shape, dtype=dt[0]), torch.rand(shape, dtype=dt[1])
    bitwise(e, t)
    bitwise(ember.rand_like(e), torch.rand_like(t))
    ulp1(ember.randn(shape, dtype=dt[0]), torch.randn(shape, dtype=dt[1]))
    ulp1(ember.randn_like(e), torch.randn_like(t))
    bitwise(ember.rand(2, dtype=dt[0]), torch.rand(2, dtype=dt[1]))


def test_randn_large_is_exact_on_float32():
    """BITWISE, spot check of the vectorised float32 block path at a million elements (this
    path is pure float32 arithmetic on PyTorch's side: AVX2 polynomial log and sincos)."""
    seed_both(123)
    e, t = ember.randn(1_000_000), torch.randn(1_000_000)
    ulp1(e, t)
    assert (e.numpy() == t.numpy()).mean() > 0.999


def test_requires_grad_and_dtype_errors():
    x = ember.rand(3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    same_error(lambda: ember.rand(3, dtype=ember.int64), lambda: torch.rand(3, dtype=torch.int64))
    same_error(lambda: ember.randn(3, dtype=ember.int64),
               lambda: torch.randn(3, dtype=torch.int64))


# -- interleaving and generators ------------------------------------------------------------------
def _program(lib, g=None):
    kw = {} if g is None else {"generator": g}
    out = [lib.rand(3, **kw), lib.randn(5, **kw), lib.randn(20, **kw), lib.randint(0, 10, (7,), **kw),
           lib.randn(1, dtype=lib.float64, **kw), lib.randperm(9, **kw),
           lib.rand(2, 2, dtype=lib.float64, **kw), lib.randn(3, **kw),
           lib.normal(0.5, 2.0, (4,), **kw), lib.randint(-3, 2**40, (3,), **kw),
           lib.bernoulli(lib.full((6,), 0.4), **kw), lib.randn(17, dtype=lib.float64, **kw),
           lib.multinomial(lib.tensor([0.1, 0.5, 0.4]), 5, True, **kw),
           lib.multinomial(lib.tensor([0.1, 0.5, 0.4, 0.2]), 3, **kw), lib.rand(1, **kw)]
    t = lib.empty(9)
    out.append(t.uniform_(-2, 3, **kw).clone())
    out.append(t.normal_(1, 0.5, **kw).clone())
    out.append(t.exponential_(2.0, **kw).clone())
    out.append(t.bernoulli_(0.3, **kw).clone())
    out.append(t.random_(0, 100, **kw).clone())
    out.append(lib.randn(2, **kw))
    return out


def _compare_program(e_out, t_out):
    for e, t in zip(e_out, t_out, strict=True):
        if t.dtype.is_floating_point:
            ulp1(e, t)
        else:
            bitwise(e, t)


@pytest.mark.parametrize("s", [0, 42, 2**40 + 3])
def test_interleaved_calls_share_one_stream(s):
    """BITWISE for uniforms and integers, ULP1 for floats: a mixed sequence of draws from the
    default generator, each depending on the state the previous one left."""
    seed_both(s)
    _compare_program(_program(ember), _program(torch))


def test_generator_objects():
    """Draws from Generator objects follow their own streams; the default one is untouched."""
    seed_both(5)
    ge, gt = ember.Generator().manual_seed(99), torch.Generator().manual_seed(99)
    assert ge.initial_seed() == gt.initial_seed() == 99
    _compare_program(_program(ember, ge), _program(torch, gt))
    bitwise(ember.rand(4), torch.rand(4))  # default generator still at its seed


def test_get_set_rng_state_round_trip_and_bytes():
    """BITWISE: state bytes equal PyTorch's (including a cached normal sample), restoring a
    state replays the same draws, and a state taken from PyTorch continues PyTorch's stream."""
    seed_both(11)
    ember.randn(3), torch.randn(3)  # leaves a spare normal in the generator
    ember.rand(1000), torch.rand(1000)
    se, st = ember.get_rng_state(), torch.get_rng_state()
    assert se.dtype == ember.uint8 and tuple(se.shape) == (5056,)
    bitwise(se, st)
    a = ember.randn(5)
    ember.set_rng_state(se)
    bitwise(ember.randn(5), a)
    ember.set_rng_state(ember.from_numpy(st.numpy().copy()))
    ulp1(ember.randn(5), torch.randn(5))
    seed_both(3)
    bitwise(ember.get_rng_state(), torch.get_rng_state())  # freshly seeded
    g = ember.Generator().manual_seed(8)
    state = g.get_state()
    x = ember.rand(4, generator=g)
    bitwise(ember.rand(4, generator=g.set_state(state)), x)


def test_rng_state_errors():
    same_error(lambda: ember.set_rng_state(ember.zeros(5, dtype=ember.uint8)),
               lambda: torch.set_rng_state(torch.zeros(5, dtype=torch.uint8)))
    same_error(lambda: ember.set_rng_state(ember.zeros(5056)),
               lambda: torch.set_rng_state(torch.zeros(5056)))
    same_error(lambda: ember.set_rng_state(ember.zeros(5056, dtype=ember.uint8)),
               lambda: torch.set_rng_state(torch.zeros(5056, dtype=torch.uint8)))


# -- integers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_randint_randperm(s, n):
    """BITWISE: small and 64-bit ranges, dtypes, randperm of every size."""
    seed_both(s)
    bitwise(ember.randint(0, 10, (n,)), torch.randint(0, 10, (n,)))
    bitwise(ember.randint(-5, 2**33, (n,)), torch.randint(-5, 2**33, (n,)))
    bitwise(ember.randint(7, (n,), dtype=ember.int32), torch.randint(7, (n,), dtype=torch.int32))
    bitwise(ember.randint(3, 9, (n,), dtype=ember.float64),
            torch.randint(3, 9, (n,), dtype=torch.float64))
    bitwise(ember.randperm(n), torch.randperm(n))
    bitwise(ember.randperm(n, dtype=ember.int32), torch.randperm(n, dtype=torch.int32))
    bitwise(ember.rand(2), torch.rand(2))


def test_randint_shapes_and_like():
    seed_both(2)
    e = ember.randint(0, 5, (3, 4))
    t = torch.randint(0, 5, (3, 4))
    bitwise(e, t)
    bitwise(ember.randint_like(e, 100), torch.randint_like(t, 100))
    bitwise(ember.randint_like(e, -4, 4), torch.randint_like(t, -4, 4))
    same_error(lambda: ember.randint(5, 2, (3,)), lambda: torch.randint(5, 2, (3,)))
    same_error(lambda: ember.randperm(-1), lambda: torch.randperm(-1))


@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8",
                                "bool"])
def test_random_(dt):
    """BITWISE: random_() over the dtype's default range, random_(to), random_(from, to)."""
    seed_both(4)
    e = ember.empty(40, dtype=getattr(ember, dt))
    t = torch.empty(40, dtype=getattr(torch, dt))
    bitwise(e.random_(), t.random_())
    bitwise(e.random_(2), t.random_(2))
    if dt not in ("bool", "uint8"):
        bitwise(e.random_(-3, 5), t.random_(-3, 5))
    if dt in ("int64", "float32", "float64"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns that float32 cannot hold 2**35 - 1
            bitwise(e.random_(0, 2**35), t.random_(0, 2**35))
            bitwise(e.random_(-2**40 - 3, 2**35 + 1), t.random_(-2**40 - 3, 2**35 + 1))
    same_error(lambda: e.random_(5, 2), lambda: t.random_(5, 2))


# -- in-place fills -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dt", DTYPES)
def test_uniform_(n, dt):
    """BITWISE: uniform_(a, b) is one fused multiply-add on PyTorch's side, emulated exactly."""
    for s in SEEDS:
        seed_both(s)
        e, t = ember.empty(n, dtype=dt[0]), torch.empty(n, dtype=dt[1])
        for a, b in [(0, 1), (-1 / 3, 2 / 7), (1.1, 3.3), (-5, 5), (2.5, 2.5)]:
            bitwise(e.uniform_(a, b), t.uniform_(a, b))


@pytest.mark.parametrize("n", SIZES + [2, 33])
@pytest.mark.parametrize("dt", DTYPES)
def test_normal_(n, dt):
    """ULP1 (bitwise on the reference setup): normal_(mean, std) on every path."""
    for s in SEEDS:
        seed_both(s)
        e, t = ember.empty(n, dtype=dt[0]), torch.empty(n, dtype=dt[1])
        for m, sd in [(0, 1), (0.3, 2.7), (-1.5, 0.01), (4, 0)]:
            ulp1(e.normal_(m, sd), t.normal_(m, sd))


@pytest.mark.parametrize("dt", DTYPES)
def test_other_distributions(dt):
    """ULP1: exponential_, cauchy_, log_normal_; BITWISE: geometric_ (integers)."""
    for s in SEEDS[:3]:
        for n in SIZES:
            seed_both(s)
            e, t = ember.empty(n, dtype=dt[0]), torch.empty(n, dtype=dt[1])
            ulp1(e.exponential_(), t.exponential_())
            ulp1(e.exponential_(2.5), t.exponential_(2.5))
            ulp1(e.cauchy_(0.5, 2.0), t.cauchy_(0.5, 2.0))
            ulp1(e.log_normal_(0.5, 0.7), t.log_normal_(0.5, 0.7))
            bitwise(e.geometric_(0.3), t.geometric_(0.3))


@pytest.mark.parametrize("dt", DTYPES)
def test_bernoulli(dt):
    """BITWISE: bernoulli_(float) (double uniforms), bernoulli_(tensor) (float or double
    uniforms by p's dtype), ember.bernoulli(p) and bernoulli(input, p)."""
    for s in SEEDS:
        for n in SIZES:
            seed_both(s)
            e, t = ember.empty(n, dtype=dt[0]), torch.empty(n, dtype=dt[1])
            bitwise(e.bernoulli_(0.3), t.bernoulli_(0.3))
            bitwise(e.bernoulli_(), t.bernoulli_())
            pn = np.linspace(0, 1, n).astype(_np(t).dtype)
            pe, pt = ember.from_numpy(pn.copy()), torch.from_numpy(pn.copy())
            bitwise(e.bernoulli_(pe), t.bernoulli_(pt))
            bitwise(ember.bernoulli(pe), torch.bernoulli(pt))
            bitwise(ember.bernoulli(pe, 0.8), torch.bernoulli(pt, 0.8))
            bitwise(pe.bernoulli(), pt.bernoulli())
    seed_both(1)
    e, t = ember.empty(3, 4, dtype=dt[0]), torch.empty(3, 4, dtype=dt[1])
    pe, pt = ember.rand(4, dtype=ember.float64), torch.rand(4, dtype=torch.float64)
    bitwise(e.bernoulli_(pe), t.bernoulli_(pt))  # p broadcast, double uniforms
    bitwise(e.int().bernoulli_(0.5), t.int().bernoulli_(0.5))


def test_bernoulli_errors():
    same_error(lambda: ember.empty(3).bernoulli_(1.5), lambda: torch.empty(3).bernoulli_(1.5))
    same_error(lambda: ember.bernoulli(ember.tensor([2.0])),
               lambda: torch.bernoulli(torch.tensor([2.0])))


@pytest.mark.parametrize("dt", DTYPES)
def test_non_contiguous_fills_follow_memory_order(dt):
    """BITWISE / ULP1: in-place draws into a transposed view fill memory in storage order,
    and normal_ on a strided view takes the element-by-element path at any size."""
    seed_both(9)
    be, bt = ember.zeros(20, 30, dtype=dt[0]), torch.zeros(20, 30, dtype=dt[1])
    bitwise(be.t().uniform_(-1, 1), bt.t().uniform_(-1, 1))
    ulp1(be.t().normal_(), bt.t().normal_())
    ulp1(be[:, ::2].normal_(2, 3), bt[:, ::2].normal_(2, 3))
    bitwise(be.t().bernoulli_(0.5), bt.t().bernoulli_(0.5))
    ulp1(be.t().exponential_(), bt.t().exponential_())
    bitwise(be, bt)  # views wrote through to the base
    p, pt = ember.rand(30, 20, dtype=dt[0]).t(), torch.rand(30, 20, dtype=dt[1]).t()
    bitwise(ember.bernoulli(p), torch.bernoulli(pt))  # a fresh contiguous result
    bitwise(be.bernoulli_(p), bt.bernoulli_(pt))
    bitwise(be.t().bernoulli_(p.t()), bt.t().bernoulli_(pt.t()))


def test_inplace_errors_and_autograd():
    same_error(lambda: ember.empty(3).uniform_(2, 1), lambda: torch.empty(3).uniform_(2, 1))
    same_error(lambda: ember.empty(3).normal_(0, -1), lambda: torch.empty(3).normal_(0, -1))
    same_error(lambda: ember.empty(3).exponential_(0), lambda: torch.empty(3).exponential_(0))
    same_error(lambda: ember.empty(3, dtype=ember.int64).exponential_(),
               lambda: torch.empty(3, dtype=torch.int64).exponential_())
    same_error(lambda: ember.empty(3, dtype=ember.int64).normal_(),
               lambda: torch.empty(3, dtype=torch.int64).normal_())
    same_error(lambda: ember.empty(3).geometric_(1.5), lambda: torch.empty(3).geometric_(1.5))
    same_error(lambda: ember.empty(3).log_normal_(0, -1), lambda: torch.empty(3).log_normal_(0, -1))
    same_error(lambda: ember.zeros(3, requires_grad=True).uniform_(),
               lambda: torch.zeros(3, requires_grad=True).uniform_())
    calls = [("uniform_", ()), ("normal_", ()), ("bernoulli_", (0.5,)), ("random_", ()),
             ("random_", (5,)), ("random_", (1, 5)), ("exponential_", ()), ("cauchy_", ()),
             ("log_normal_", ()), ("geometric_", (0.3,))]
    for name, args in calls:
        xe = ember.zeros(3, requires_grad=True) * 2
        xt = torch.zeros(3, requires_grad=True) * 2
        getattr(xe, name)(*args)
        getattr(xt, name)(*args)
        assert type(xe.grad_fn).__name__ == xt.grad_fn.name(), name
    with ember.no_grad():
        w = ember.zeros(3, requires_grad=True)
        v = w._version[0]
        w.uniform_()
        assert w._version[0] == v + 1 and w.is_leaf


# -- normal overloads -----------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
def test_normal_overloads(dt):
    """ULP1: torch.normal(float, float, size), (Tensor, float), (float, Tensor), (Tensor,
    Tensor) with broadcasting; gradient nodes and their zero gradients."""
    for n in [1, 5, 16, 33]:
        seed_both(n)
        ulp1(ember.normal(2.0, 3.0, (n,), dtype=dt[0]), torch.normal(2.0, 3.0, (n,), dtype=dt[1]))
        me, mt = ember.rand(n, dtype=dt[0]), torch.rand(n, dtype=dt[1])
        se, st = ember.rand(n, dtype=dt[0]), torch.rand(n, dtype=dt[1])
        ulp1(ember.normal(me, 0.5), torch.normal(mt, 0.5))
        ulp1(ember.normal(0.5, se), torch.normal(0.5, st))
        ulp1(ember.normal(me, se), torch.normal(mt, st))
        ulp1(ember.normal(me.reshape(n, 1), se), torch.normal(mt.reshape(n, 1), st))
        ulp1(ember.normal(me), torch.normal(mt))
    me = ember.zeros(3, requires_grad=True)
    mt = torch.zeros(3, requires_grad=True)
    se, st = ember.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    for fe, ft in [(lambda: ember.normal(me, 1.0), lambda: torch.normal(mt, 1.0)),
                   (lambda: ember.normal(0.0, se), lambda: torch.normal(0.0, st)),
                   (lambda: ember.normal(me, se), lambda: torch.normal(mt, st))]:
        oe, ot = fe(), ft()
        assert type(oe.grad_fn).__name__ == ot.grad_fn.name()
        oe.sum().backward()
        ot.sum().backward()
    assert me.grad.tolist() == mt.grad.tolist() == [0.0] * 3
    same_error(lambda: ember.normal(ember.zeros(2), -1.0), lambda: torch.normal(torch.zeros(2), -1.0))
    same_error(lambda: ember.normal(ember.zeros(2), -ember.ones(2)),
               lambda: torch.normal(torch.zeros(2), -torch.ones(2)))


# -- multinomial ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
def test_multinomial(dt):
    """BITWISE: with replacement (inverse CDF, double uniforms), without replacement and
    single draws (exponential race: argmax / top-k of p / q), 1-D and 2-D."""
    for s in SEEDS:
        seed_both(s)
        pn = np.array([[0.1, 0.0, 2.5, 0.4, 1.0, 0.3], [1, 1, 1, 1, 1, 1]], _np(torch.ones(1, dtype=dt[1])).dtype)
        pe, pt = ember.from_numpy(pn.copy()), torch.from_numpy(pn.copy())
        for k, rep in [(1, False), (1, True), (3, False), (5, False), (20, True), (4, True)]:
            bitwise(ember.multinomial(pe, k, rep), torch.multinomial(pt, k, rep))
            bitwise(ember.multinomial(pe[0], k, rep), torch.multinomial(pt[0], k, rep))
        big, bigt = ember.rand(1000, dtype=dt[0]), torch.rand(1000, dtype=dt[1])
        bitwise(big.multinomial(50), bigt.multinomial(50))
        bitwise(big.reshape(10, 100).t().multinomial(7), bigt.reshape(10, 100).t().multinomial(7))
        bitwise(ember.rand(3, dtype=dt[0]), torch.rand(3, dtype=dt[1]))


def test_multinomial_errors():
    cases = [((ember.tensor([1.0, 0.0]), 3), (torch.tensor([1.0, 0.0]), 3)),
             ((ember.tensor([-1.0, 2.0]), 1), (torch.tensor([-1.0, 2.0]), 1)),
             ((ember.tensor([-1.0, 2.0]), 2, True), (torch.tensor([-1.0, 2.0]), 2, True)),
             ((ember.tensor([0.0, 0.0]), 2, True), (torch.tensor([0.0, 0.0]), 2, True)),
             ((ember.tensor([0.0, 0.0]), 1), (torch.tensor([0.0, 0.0]), 1)),
             ((ember.tensor([1, 2]), 1), (torch.tensor([1, 2]), 1)),
             ((ember.ones(2, 2, 2), 1), (torch.ones(2, 2, 2), 1)),
             ((ember.ones(3), 0), (torch.ones(3), 0))]
    for ae, at in cases:
        same_error(lambda: ember.multinomial(*ae), lambda: torch.multinomial(*at))


# -- speed ----------------------------------------------------------------------------------------
def test_small_draws_are_cheap():
    """Not a parity check: small draws stay in the microseconds (loose bound for busy CI)."""
    import timeit

    ember.manual_seed(0)
    per_call = min(timeit.repeat(lambda: ember.rand(10), number=200, repeat=5)) / 200
    assert per_call < 50e-6
    per_call = min(timeit.repeat(lambda: ember.randn(10), number=200, repeat=5)) / 200
    assert per_call < 50e-6


# -- layers that draw: dropout, initialisation, data loading --------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_masks(dt, p):
    """BITWISE: F.dropout and nn.Dropout draw bernoulli_(1 - p) masks, scale by 1 / (1 - p)."""
    seed_both(3)
    xe, xt = ember.randn(8, 33, dtype=dt[0]), torch.randn(8, 33, dtype=dt[1])
    xe = ember.from_numpy(xt.numpy().copy())
    bitwise(ember.nn.functional.dropout(xe, p), torch.nn.functional.dropout(xt, p))
    bitwise(ember.nn.Dropout(p)(xe), torch.nn.Dropout(p)(xt))
    bitwise(ember.rand(2), torch.rand(2))
    # channel dropout: one mask value per (sample, channel)
    for fn, shape in [("dropout1d", (4, 6, 9)), ("dropout1d", (6, 9)), ("dropout2d", (3, 5, 4, 4))]:
        xt = torch.randn(shape, dtype=dt[1])
        ember.randn(shape, dtype=dt[0])
        xe = ember.from_numpy(xt.numpy().copy())
        bitwise(getattr(ember.nn.functional, fn)(xe, p), getattr(torch.nn.functional, fn)(xt, p))
    bitwise(ember.rand(2), torch.rand(2))


LAYERS = {
    "Linear": lambda nn: nn.Linear(7, 5), "Linear_nobias": lambda nn: nn.Linear(300, 20, False),
    "Conv2d": lambda nn: nn.Conv2d(3, 4, 3), "Conv1d": lambda nn: nn.Conv1d(2, 3, 5),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(3, 2, 3), "Embedding":
    lambda nn: nn.Embedding(10, 4), "LayerNorm": lambda nn: nn.LayerNorm(6),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(5), "Bilinear": lambda nn: nn.Bilinear(3, 4, 2),
    "RNN": lambda nn: nn.RNN(4, 3), "LSTM": lambda nn: nn.LSTM(4, 3, 2),
    "GRU": lambda nn: nn.GRU(4, 3), "MultiheadAttention": lambda nn: nn.MultiheadAttention(8, 2),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_default_initialisation(name):
    """BITWISE for uniform initialisations (kaiming_uniform_ / uniform_ bounds: one fused
    multiply-add per element), ULP1 for normal ones (Embedding); then the stream continues in
    step."""
    seed_both(0)
    me, mt = LAYERS[name](ember.nn), LAYERS[name](torch.nn)
    pe, pt = dict(me.named_parameters()), dict(mt.named_parameters())
    assert list(pe) == list(pt)
    for k in pt:
        (ulp1 if name == "Embedding" else bitwise)(pe[k], pt[k])
    bitwise(ember.rand(3), torch.rand(3))


INITS = [("uniform_", (-2, 3)), ("normal_", (1, 2)), ("xavier_uniform_", ()),
         ("xavier_normal_", (2.0,)), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
         ("kaiming_uniform_", (0, "fan_out", "relu")), ("trunc_normal_", ()),
         ("trunc_normal_", (0.0, 1.0, -0.5, 0.5)), ("trunc_normal_", (0.0, 0.02))]


@pytest.mark.parametrize("name,args", INITS, ids=[f"{n}{a}" for n, a in INITS])
@pytest.mark.parametrize("shape", [(5, 7), (40, 30), (3, 4, 5)])
def test_init_functions(name, args, shape):
    """BITWISE for the uniform family, ULP1 for the normal family; trunc_normal_ follows
    PyTorch 2.13's rejection sampler (normal draws redrawn whole until all fall in [a, b],
    or uniform proposals with a log acceptance test for narrow intervals)."""
    seed_both(0)
    we, wt = ember.empty(shape), torch.empty(shape)
    e = getattr(ember.nn.init, name)(we, *args)
    t = getattr(torch.nn.init, name)(wt, *args)
    (bitwise if "uniform" in name else ulp1)(e, t)
    bitwise(ember.rand(3), torch.rand(3))


def test_orthogonal_init_uses_same_draws():
    """Close (QR runs in different LAPACK builds, so not bitwise): orthogonal_ draws a
    standard normal matrix of the flattened shape, as PyTorch does."""
    for shape in [(5, 7), (40, 30), (3, 4, 5)]:
        seed_both(0)
        e = ember.nn.init.orthogonal_(ember.empty(shape))
        t = torch.nn.init.orthogonal_(torch.empty(shape))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)
        bitwise(ember.rand(3), torch.rand(3))


def test_sampler_and_random_split_order():
    """BITWISE: RandomSampler (fresh generator seeded from the default one), shuffled
    DataLoader batches over two epochs, and random_split."""
    from torch.utils import data as td

    from ember.utils import data as ed

    seed_both(0)
    assert list(ed.RandomSampler(range(50))) == list(td.RandomSampler(range(50)))
    ge, gt = ember.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert list(ed.RandomSampler(range(20), generator=ge)) == list(
        td.RandomSampler(range(20), generator=gt))
    assert list(ed.RandomSampler(range(20), replacement=True, num_samples=40)) == list(
        td.RandomSampler(range(20), replacement=True, num_samples=40))
    xs = np.arange(23, dtype=np.float32)
    le = ed.DataLoader(ed.TensorDataset(ember.from_numpy(xs.copy())), batch_size=5, shuffle=True)
    lt = td.DataLoader(td.TensorDataset(torch.from_numpy(xs.copy())), batch_size=5, shuffle=True)
    for _ in range(2):
        for (be,), (bt,) in zip(le, lt, strict=True):
            bitwise(be, bt)
    se = [list(s) for s in ed.random_split(range(30), [10, 15, 5])]
    st = [list(s) for s in td.random_split(range(30), [10, 15, 5])]
    assert se == st
    bitwise(ember.rand(3), torch.rand(3))


MLP_SCRIPT = """
lib.manual_seed(0)
X = lib.randn(64, 10)
y = (X[:, :1] * 2 - X[:, 1:2]).tanh() + 0.1 * lib.randn(64, 1)
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))
opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.MSELoss()
step = 0
while step < 50:
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        print(f"step {step:2d} loss {loss.item():.4f}")
        step += 1
        if step == 50:
            break
"""


def _run_script(lib, data, nn):
    buf = io.StringIO()
    env = {"lib": lib, "nn": nn, "DataLoader": data.DataLoader,
           "TensorDataset": data.TensorDataset}
    with contextlib.redirect_stdout(buf):
        exec(MLP_SCRIPT, env)
    return buf.getvalue()


def test_seeded_training_script_prints_pytorch_text():
    """The text itself: a seeded MLP with dropout and a shuffled DataLoader, 50 SGD steps."""
    import torch.utils.data

    import ember.utils.data

    out_e = _run_script(ember, ember.utils.data, ember.nn)
    out_t = _run_script(torch, torch.utils.data, torch.nn)
    assert out_e.count("\n") == 50
    assert out_e == out_t


# -- sizes around PyTorch's internal thresholds, and the vectorised paths -----------------------------
# 16 (normal's blocks of 16 vs element-by-element), 64 (ember's randperm: swap loop vs vectorised),
# 256 and 65536 (one radix sort pass vs two; keys that need 17 bits), 1e5+ (many cache chunks).
BIG_SIZES = [15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 257, 4096, 65535, 65536, 65537,
             100003]


def _advance_both(k):
    """Move both generators k words on (a ragged start for what follows)."""
    if k:
        bitwise(ember.randint(0, 2**31, (k,)), torch.randint(0, 2**31, (k,)))


@pytest.mark.parametrize("n", BIG_SIZES + [2, 3, 100, 60000, 300007])
def test_randperm_sizes(n):
    """BITWISE: randperm over sizes on both sides of ember's loop / vectorised switch and of
    the 16-bit sort keys, from fresh and advanced generator states, int64 and int32."""
    for s, skip in [(0, 0), (2**32 + 5, 1), (12345, 623), (7, 625)]:
        seed_both(s)
        _advance_both(skip)
        bitwise(ember.randperm(n), torch.randperm(n))
        bitwise(ember.randperm(n, dtype=ember.int32), torch.randperm(n, dtype=torch.int32))
        ge, gt = ember.Generator().manual_seed(s + 1), torch.Generator().manual_seed(s + 1)
        bitwise(ember.randperm(n, generator=ge), torch.randperm(n, generator=gt))
        bitwise(ember.rand(3), torch.rand(3))  # the stream is where PyTorch left it


@pytest.mark.parametrize("dt", ["int64", "int32", "int16", "int8", "uint8", "float32",
                                "float64"])
def test_randint_sizes_and_dtypes(dt):
    """BITWISE: randint over sizes and dtypes, narrow and 64-bit ranges, negative lows."""
    ranges = [(0, 10), (-100, 100), (0, 2)]
    if dt in ("int64", "int32", "float32", "float64"):  # 64-bit draws from a range of 2**28
        ranges += [(0, 2**28 - 1), (5, 5 + 2**28), (-2**27, 2**27), (0, 2**31 - 1)]
    if dt in ("int64", "float32", "float64"):
        ranges += [(-5, 2**33), (0, 2**32), (-2**40, 2**35)]
    if dt == "uint8":
        ranges = [(0, 10), (3, 255)]
    for n in BIG_SIZES[::3] + [100003]:
        for s in SEEDS[:2]:
            seed_both(s)
            for lo, hi in ranges:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    bitwise(ember.randint(lo, hi, (n,), dtype=getattr(ember, dt)),
                            torch.randint(lo, hi, (n,), dtype=getattr(torch, dt)))
            bitwise(ember.rand(2), torch.rand(2))


@pytest.mark.parametrize("dt", DTYPES)
def test_uniform_normal_sizes(dt):
    """BITWISE for uniforms; ULP1 (bitwise on the reference setup) for normals: sizes around
    normal's block of 16 and past its cache chunks, defaults and mean/std, after draws that
    leave a spare normal or a ragged stream behind."""
    for n in BIG_SIZES:
        for s, skip in [(0, 0), (42, 3)]:
            seed_both(s)
            _advance_both(skip)
            ulp1(ember.randn(1, dtype=dt[0]), torch.randn(1, dtype=dt[1]))  # a spare sample
            e, t = ember.empty(n, dtype=dt[0]), torch.empty(n, dtype=dt[1])
            ulp1(e.normal_(), t.normal_())
            ulp1(e.normal_(0.25, 3.5), t.normal_(0.25, 3.5))
            ulp1(ember.randn(n, dtype=dt[0]), torch.randn(n, dtype=dt[1]))
            bitwise(e.uniform_(), t.uniform_())
            bitwise(e.uniform_(-2, 0.5), t.uniform_(-2, 0.5))
            bitwise(ember.rand(n, dtype=dt[0]), torch.rand(n, dtype=dt[1]))
            ulp1(e.exponential_(), t.exponential_())
            bitwise(e.geometric_(0.2), t.geometric_(0.2))
            ulp1(e.cauchy_(0.5, 2.0), t.cauchy_(0.5, 2.0))
            ulp1(e.log_normal_(0.5, 0.7), t.log_normal_(0.5, 0.7))
            # a strided view: the element-by-element Box-Muller, with its spare sample
            be, bt = ember.empty(n, 3, dtype=dt[0]), torch.empty(n, 3, dtype=dt[1])
            ulp1(be[:, 1].normal_(1.5, 0.5), bt[:, 1].normal_(1.5, 0.5))
            ulp1(be.t().normal_(), bt.t().normal_())
    seed_both(3)
    ulp1(ember.randn(1000, 1001, dtype=dt[0]), torch.randn(1000, 1001, dtype=dt[1]))


def test_normal_float32_is_bitwise_at_size():
    """BITWISE: float32 normals of a million elements (the AVX2 kernel's polynomials)."""
    seed_both(0)
    bitwise(ember.randn(10**6), torch.randn(10**6))
    seed_both(1)
    e, t = ember.empty(10**6 + 5), torch.empty(10**6 + 5)
    bitwise(e.normal_(1.5, 0.5), t.normal_(1.5, 0.5))


@pytest.mark.parametrize("n", [15, 16, 17, 256, 257, 100003])
def test_bernoulli_dropout_multinomial_sizes(n):
    """BITWISE: Bernoulli masks by number and by tensor, dropout's masks, multinomial draws,
    at sizes past the small cases."""
    for s in SEEDS[:2]:
        seed_both(s)
        e, t = ember.empty(n), torch.empty(n)
        bitwise(e.bernoulli_(0.3), t.bernoulli_(0.3))
        pe, pt = ember.rand(n), torch.rand(n)
        bitwise(ember.bernoulli(pe), torch.bernoulli(pt))
        x = ember.ones(n, dtype=ember.float64)
        bitwise(ember.nn.functional.dropout(x, 0.4),
                torch.nn.functional.dropout(torch.ones(n, dtype=torch.float64), 0.4))
        bitwise(pe.multinomial(min(n, 10)), pt.multinomial(min(n, 10)))
        bitwise(pe.multinomial(20, True), pt.multinomial(20, True))
        bitwise(ember.rand(2), torch.rand(2))


def _fma32_ref(a, b, c):
    """Reference float32 fused multiply-add: the double sum rounded once, a halfway case
    rounded by the sign of the exact remainder."""
    from ember._random import _fma32

    return _fma32(np.asarray(a, np.float32), np.asarray(b, np.float32), np.float32(c)
                  if np.ndim(c) == 0 else c)


def _log_ps_ref(x):
    f32 = np.float32
    from ember._random import _LOG_P

    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(f32) + f32(1.0)
    x = ((bits & ~0x7F800000) | 0x3F000000).view(f32)
    small = x < f32(0.707106781186547524)
    tmp = x * small
    x = x - f32(1.0)
    e -= small
    x += tmp
    z = x * x
    y = _fma32_ref(f32(_LOG_P[0]), x, f32(_LOG_P[1]))
    for c in _LOG_P[2:]:
        y = _fma32_ref(y, x, f32(c))
    y *= x
    y = _fma32_ref(y, z, e * f32(-2.12194440e-4))
    y -= z * f32(0.5)
    x += y
    return _fma32_ref(e, f32(0.693359375), x)


def _sincos_ps_ref(x):
    f32 = np.float32
    from ember._random import _COS_P, _DP, _SIN_P

    j = (x * f32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(f32)
    sin_sign = (j & 4) << 29
    cos_sign = (~(j - 2) & 4) << 29
    poly = -((j >> 1) & 1)
    for dp in _DP:
        x = _fma32_ref(y, f32(dp), x)
    z = x * x
    yc = _fma32_ref(f32(_COS_P[0]), z, f32(_COS_P[1]))
    yc = _fma32_ref(yc, z, f32(_COS_P[2]))
    yc = _fma32_ref(yc * z, z, -(z * f32(0.5))) + f32(1.0)
    ys = _fma32_ref(f32(_SIN_P[0]), z, f32(_SIN_P[1]))
    ys = _fma32_ref(ys, z, f32(_SIN_P[2]))
    ys = _fma32_ref(ys * z, x, x)
    ci, si = yc.view(np.int32), ys.view(np.int32)
    diff = (ci ^ si) & poly
    return ((si ^ diff) ^ sin_sign).view(f32), ((ci ^ diff) ^ cos_sign).view(f32)


def test_float32_normal_kernel_exhaustive():
    """BITWISE: ember's float32 log and sincos (each fma as a double sum rounded once) equal
    the exactly rounded fma versions for every input the normal kernel can give them: 1 - u
    and 2*pi*u for all 2**24 float32 uniforms u."""
    from ember._random import _log_ps, _sincos_ps

    f32 = np.float32
    step = 1 << 20
    for start in range(0, 1 << 24, step):
        u = np.arange(start, start + step, dtype=np.uint64).astype(f32) * f32(2.0 ** -24)
        u1 = f32(1.0) - u
        ref = _log_ps_ref(u1)
        assert np.array_equal(_log_ps(u1.copy()).view(np.int32), ref.view(np.int32)), start
        theta = f32(2 * np.pi) * u
        s_ref, c_ref = _sincos_ps_ref(theta)
        s, c = _sincos_ps(theta.copy())
        assert np.array_equal(s.view(np.int32), s_ref.view(np.int32)), start
        assert np.array_equal(c.view(np.int32), c_ref.view(np.int32)), start
