"""The multi-tensor core against PyTorch: Adam, AdamW and Adagrad give the numbers of PyTorch's
fused CPU kernels bit for bit where those kernels run vectorized (ember rounds as they round:
one fused multiply-add, a correctly rounded sqrt), whatever the options, groups and gradients;
the foreach and fused flags are taken or refused as PyTorch takes or refuses them on a CPU;
state dicts hold PyTorch's keys, shapes and dtypes and go back and forth between the two.

(The fused kernels' scalar tail, the last elements of a parameter that fill no vector, rounds
exp_avg_sq differently, and on a parameter whose strides differ from its gradient's they
update the wrong elements: the bit-for-bit test uses contiguous parameters whose sizes are
multiples of 16.)
"""

import itertools

import numpy as np
import pytest
import torch

import ember
from parity import same_error

SHAPES = [(3, 4), (4,), (), (1,), (2, 3, 5), (300, 500), (7, 6), (70,), (9,)]
WHOLE_VECTORS = [(4, 4), (16,), (2, 4, 8), (300, 500), (64,), (3, 16), (48,), (32, 1)]
VECTORIZED = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def _cases():
    for ams, mx, wd in itertools.product([False, True], [False, True], [0.0, 0.1]):
        yield "Adam", dict(lr=0.01, amsgrad=ams, maximize=mx, weight_decay=wd)
        yield "AdamW", dict(lr=0.01, amsgrad=ams, maximize=mx, weight_decay=wd)
    yield "Adam", dict(lr=0.003, betas=(0.5, 0.7), eps=1e-3, decoupled_weight_decay=True,
                       weight_decay=0.2)
    for lrd, iav, mx, wd in itertools.product([0.0, 0.01], [0.0, 0.5], [False, True],
                                              [0.0, 0.1]):
        yield "Adagrad", dict(lr=0.01, lr_decay=lrd, initial_accumulator_value=iav, maximize=mx,
                              weight_decay=wd)


CASES = list(_cases())


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _params(lib, dtype, shapes=SHAPES, seed=0):
    """Tiny parameters (packed together), a large one (in chunks), a 0-d one, a transposed
    one (non-contiguous); parameter 8 never gets a gradient."""
    rng = np.random.default_rng(seed)
    ps = []
    for i, shape in enumerate(shapes):
        a = rng.standard_normal(shape).astype(dtype)
        if i == 6 and shapes is SHAPES:
            a = a.T
        ps.append(lib.from_numpy(a).requires_grad_())
    return ps


def _grads(step, dtype, shapes=SHAPES, seed=1):
    rng = np.random.default_rng(seed * 1000 + step)
    return [None if i == 8 or (step == 2 and i == 1)
            else rng.standard_normal(np.empty(s).T.shape if i == 6 and shapes is SHAPES
                                     else s).astype(dtype)
            for i, s in enumerate(shapes)]


def _groups(ps):
    return [{"params": ps[:4]}, {"params": ps[4:], "lr": 0.002}]


def _run(lib, name, kw, dtype="float32", steps=6, shapes=SHAPES, **flags):
    ps = _params(lib, dtype, shapes)
    opt = getattr(lib.optim, name)(_groups(ps), **kw, **flags)
    for step in range(steps):
        for p, g in zip(ps, _grads(step, dtype, shapes)):
            p.grad = None if g is None else lib.from_numpy(g)
        opt.step()
    return ps, opt


def _exactly(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    a, b = e.detach().numpy(), t.detach().numpy()
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not VECTORIZED, reason="PyTorch's fused kernels round as ember does on "
                    "x86 vector units")
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_bit_for_bit_pytorchs_fused_kernel(case):
    name, kw = case
    pe, oe = _run(ember, name, kw, shapes=WHOLE_VECTORS)
    pt, ot = _run(torch, name, kw, shapes=WHOLE_VECTORS, fused=True)
    for e, t in zip(pe, pt):
        _exactly(e, t)
        assert list(oe.state[e]) == list(ot.state[t])
        for key, value in ot.state[t].items():
            _exactly(oe.state[e][key], value)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_kind_of_parameter_follows_pytorch(case):
    """Tails, 0-d, packed, chunked and non-contiguous parameters against PyTorch's
    single-tensor implementation (whose vectorized float32 sqrt is not correctly rounded:
    a last bit here and there)."""
    name, kw = case
    pe, oe = _run(ember, name, kw)
    pt, ot = _run(torch, name, kw, foreach=False)
    for e, t in zip(pe, pt):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6,
                                   atol=1e-7)
        assert list(oe.state[e]) == list(ot.state[t])
        for key, value in ot.state[t].items():
            np.testing.assert_allclose(oe.state[e][key].numpy(), value.numpy(), rtol=1e-5,
                                       atol=1e-7)


SGD_CASES = [dict(lr=0.01), dict(lr=0.01, momentum=0.9),
             dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.1, maximize=True),
             dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1)]


@pytest.mark.skipif(not VECTORIZED, reason="PyTorch's add(alpha=) kernel fuses a * b + c on "
                    "x86 vector units")
@pytest.mark.parametrize("kw", SGD_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in
                                                                   kw.items()))
def test_sgd_bit_for_bit_every_kind_of_parameter(kw):
    """SGD's updates are add(alpha=) and mul/add, with no sqrt: every element, tails, 0-d,
    packed, chunked and non-contiguous parameters included, as PyTorch's (one rounding per
    x + alpha * y)."""
    pe, oe = _run(ember, "SGD", kw)
    pt, ot = _run(torch, "SGD", kw)
    for e, t in zip(pe, pt):
        _exactly(e, t)
        assert list(oe.state[e]) == list(ot.state[t])
        for key, value in ot.state[t].items():
            _exactly(oe.state[e][key], value)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"])
def test_float64_follows_pytorch(name):
    kw = dict(lr=0.01, weight_decay=0.1)
    pe, oe = _run(ember, name, kw, "float64")
    pt, ot = _run(torch, name, kw, "float64", foreach=False)
    for e, t in zip(pe, pt):
        a, b = e.detach().numpy(), t.detach().numpy()
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"])
def test_parameters_without_grad_get_no_state(name):
    kw = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    pe, oe = _run(ember, name, kw, steps=2)
    pt, ot = _run(torch, name, kw, steps=2)
    has_state = [len(oe.state.get(p, {})) > 0 for p in pe]
    assert has_state == [len(ot.state.get(p, {})) > 0 for p in pt]
    assert has_state[8] is (name == "Adagrad")  # Adagrad makes its state at construction
    for e, t in zip(pe[8:], pt[8:]):
        _exactly(e, t)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"])
@pytest.mark.parametrize("flags", [{}, dict(foreach=True), dict(fused=True)], ids=str)
def test_state_dict_as_pytorchs_and_round_trip_through_pytorch(name, flags):
    """The state dict has PyTorch's structure (group keys and values, state keys, shapes and
    dtypes); PyTorch loads ember's and ember loads PyTorch's, and both go on as one."""
    if name == "RMSprop" and "fused" in flags:
        return
    kw = dict(lr=0.01, momentum=0.9, weight_decay=0.1) if name in ("SGD", "RMSprop") \
        else dict(lr=0.01, weight_decay=0.1)
    shapes = list(SHAPES) if "fused" in flags else SHAPES  # fused: no transposed parameter
    pe, oe = _run(ember, name, kw, steps=3, shapes=shapes, **flags)
    pt, ot = _run(torch, name, kw, steps=3, shapes=shapes, **flags)
    sde, sdt = oe.state_dict(), ot.state_dict()
    assert sde["param_groups"] == sdt["param_groups"]
    assert list(sde["state"]) == list(sdt["state"])
    for i, st in sdt["state"].items():
        assert list(sde["state"][i]) == list(st)
        for key, value in st.items():
            mine = sde["state"][i][key]
            assert tuple(mine.shape) == tuple(value.shape), key
            assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key

    def to_torch(sd):
        return {"state": {i: {k: torch.from_numpy(np.array(v.numpy(), copy=True))
                              for k, v in st.items()} for i, st in sd["state"].items()},
                "param_groups": sd["param_groups"]}

    def to_ember(sd):
        return {"state": {i: {k: ember.from_numpy(np.array(v.numpy(), copy=True))
                              for k, v in st.items()} for i, st in sd["state"].items()},
                "param_groups": sd["param_groups"]}

    # torch continues from ember's state, ember from torch's: each on the other's parameters
    pt2 = [torch.from_numpy(np.array(p.detach().numpy(), copy=True)).requires_grad_()
           for p in pe]
    pe2 = [ember.from_numpy(np.array(p.detach().numpy(), copy=True)).requires_grad_()
           for p in pt]
    if "fused" not in flags:  # the transposed parameter stays transposed
        pt2[6] = torch.from_numpy(pe[6].detach().numpy().T.copy()).T.requires_grad_()
        pe2[6] = ember.from_numpy(pt[6].detach().numpy().T.copy()).T.requires_grad_()
    ot2 = getattr(torch.optim, name)(_groups(pt2), lr=5.0)
    oe2 = getattr(ember.optim, name)(_groups(pe2), lr=5.0)
    ot2.load_state_dict(to_torch(sde))
    oe2.load_state_dict(to_ember(sdt))
    for step in range(3, 6):
        grads = _grads(step, "float32", shapes)
        for ps, lib in ((pe, ember), (pt, torch), (pe2, ember), (pt2, torch)):
            for p, g in zip(ps, grads):
                p.grad = None if g is None else lib.from_numpy(g)
        for o in (oe, ot, oe2, ot2):
            o.step()
    for a, b, c, d in zip(pe, pt2, pe2, pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(c.detach().numpy(), d.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


FLAG_CASES = [
    dict(fused=True), dict(fused=False), dict(foreach=True), dict(foreach=False),
    dict(fused=True, foreach=False), dict(fused=False, foreach=True), dict(fused=1),
    dict(foreach=0), dict(fused=None, foreach=None), dict(fused=True, foreach=True),
    dict(fused=True, differentiable=True), dict(fused=True, capturable=True),
    dict(foreach=True, capturable=True),
]


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"])
@pytest.mark.parametrize("flags", FLAG_CASES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_flags_taken_or_refused_as_pytorch_on_a_cpu(name, flags, dtype):
    """What PyTorch accepts ember accepts and computes the same; what PyTorch refuses (at
    construction or at step) ember refuses with the same error."""
    def run(lib):
        p = lib.linspace(-1, 1, 5, dtype=getattr(lib, dtype)).requires_grad_()
        opt = getattr(lib.optim, name)([p], lr=0.1, **flags)
        for _ in range(2):
            p.grad = lib.linspace(0.5, -2, 5, dtype=getattr(lib, dtype))
            opt.step()
        return p.detach().numpy(), opt.param_groups[0]

    try:
        t, tg = run(torch)
    except Exception:  # noqa: BLE001
        same_error(lambda: run(ember), lambda: run(torch))
        return
    e, eg = run(ember)
    assert {k: v for k, v in eg.items() if k != "params"} == \
        {k: v for k, v in tg.items() if k != "params"}
    np.testing.assert_allclose(e.astype(np.float64), t.astype(np.float64), rtol=2e-3,
                               atol=1e-6)
