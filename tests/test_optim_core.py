"""The optimizers' multi-tensor core: blocks, packing and buckets change no number; the
foreach / fused / capturable / differentiable flags behave as in PyTorch on a CPU."""

import numpy as np
import pytest
import torch

import ember
import ember.optim as optim
from ember.optim import _foreach
from parity import assert_same, same_error

NAMES = ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"]
OPTS = {
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.01, weight_decay=0.1, maximize=True),
    "RMSprop": dict(lr=0.001, momentum=0.9, centered=True, weight_decay=0.1),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5),
    "SGD": dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1),
}


def _arrays(seed=0):
    """Parameters of every kind a block meets: tiny ones (packed), one larger than a chunk,
    0-d, and non-contiguous ones (a transposed parameter and a transposed gradient)."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (), (1,), (2, 3, 5), (300, 500), (7, 6), (70,)]
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _params(lib, arrays):
    ps = []
    for i, a in enumerate(arrays):
        a = a.copy()
        if i == 6:
            a = a.T  # a non-contiguous parameter
        ps.append((ember.from_numpy(a) if lib is ember else torch.from_numpy(a))
                  .requires_grad_())
    return ps


def _set_grads(lib, ps, step):
    rng = np.random.default_rng(100 + step)
    for i, p in enumerate(ps):
        if step == 2 and i == 1:
            p.grad = None  # a step without a gradient
            continue
        a = np.asarray(p.detach().numpy())
        g = np.asarray(rng.standard_normal(a.shape) + 0.5 * a, dtype=np.float32)
        if i == 7:  # a non-contiguous gradient
            g = np.repeat(g, 2)[::2]
        p.grad = ember.from_numpy(g) if lib is ember else torch.from_numpy(g)


def _trajectory(lib, name, groups_of, steps=6, **extra):
    ps = _params(lib, _arrays())
    opt = getattr(lib.optim, name)(groups_of(ps), **OPTS[name], **extra)
    for step in range(steps):
        _set_grads(lib, ps, step)
        opt.step()
    return ps, opt


def _one_group(ps):
    return ps


def _two_groups(ps):
    return [{"params": ps[:5]}, {"params": ps[5:], "lr": 0.003}]


@pytest.mark.parametrize("name", NAMES)
def test_blocks_follow_torch(name):
    """(PyTorch's float32 sqrt is not correctly rounded on AVX2 CPUs, NumPy's is: a last-bit
    difference that centered RMSprop's v - ga * ga can amplify, hence atol 1e-5.)"""
    pe, oe = _trajectory(ember, name, _two_groups)
    pt, ot = _trajectory(torch, name, _two_groups)
    for e, t in zip(pe, pt):
        assert e.shape == t.shape and e.dtype is ember.float32
        assert_same(e, t, rtol=1e-5, atol=1e-5)
        assert list(oe.state[e]) == list(ot.state[t])
        for key, value in ot.state[t].items():
            assert_same(oe.state[e][key], value, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_block_sizes_change_no_bit(name, monkeypatch):
    """Chunks of 64 elements and packs of up to 8-element parameters compute what whole
    parameters compute."""
    whole, _ = _trajectory(ember, name, _one_group)
    monkeypatch.setattr(_foreach, "CHUNK", 64)
    monkeypatch.setattr(_foreach, "SMALL", 8)
    pieces, _ = _trajectory(ember, name, _one_group)
    for a, b in zip(whole, pieces):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("flags", [dict(foreach=True), dict(foreach=False), dict(fused=True),
                                   dict(fused=False)], ids=lambda f: str(f))
def test_foreach_and_fused_flags_give_the_same_numbers(name, flags):
    if name == "RMSprop" and "fused" in flags:
        same_error(lambda: optim.RMSprop([ember.ones(1, requires_grad=True)], **flags),
                   lambda: torch.optim.RMSprop([torch.ones(1, requires_grad=True)], **flags))
        return
    plain, _ = _trajectory(ember, name, _one_group)
    flagged, opt = _trajectory(ember, name, _one_group, **flags)
    assert all(opt.param_groups[0][k] == v for k, v in flags.items())
    for a, b in zip(plain, flagged):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_a_parameter_listed_twice_is_updated_twice():
    # (not SGD: on the first step PyTorch gives each listing a new momentum buffer, ember
    # updates the buffer that the first listing made, as it always has)
    for name in ("Adam", "AdamW", "RMSprop", "Adagrad"):
        outs = []
        for lib in (ember, torch):
            ps = _params(lib, _arrays()[:2])
            with pytest.warns(UserWarning, match="duplicate parameters"):
                opt = getattr(lib.optim, name)(ps + [ps[0]], **OPTS[name])
            for step in range(4):
                _set_grads(lib, ps, step)
                opt.step()
            outs.append(ps)
        assert_same(outs[0], outs[1], rtol=1e-5, atol=1e-6)


def test_adagrad_parameter_added_later_gets_its_state_at_its_first_step():
    pe, pt = _params(ember, _arrays()[:2]), _params(torch, _arrays()[:2])
    oe = optim.Adagrad(pe[:1], lr=0.1, initial_accumulator_value=0.5)
    ot = torch.optim.Adagrad(pt[:1], lr=0.1, initial_accumulator_value=0.5)
    oe.add_param_group({"params": pe[1:]})
    ot.add_param_group({"params": pt[1:]})
    assert len(oe.state[pe[1]]) == len(ot.state[pt[1]]) == 0
    for step in range(3):
        _set_grads(ember, pe, step)
        _set_grads(torch, pt, step)
        oe.step()
        ot.step()
    assert_same(pe, pt, rtol=1e-6, atol=1e-7)
    assert_same(oe.state[pe[1]]["sum"], ot.state[pt[1]]["sum"], rtol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop"])
def test_capturable_raises_at_step_as_on_a_cpu(name):
    def run(lib):
        p = lib.ones(2, requires_grad=True)
        opt = getattr(lib.optim, name)([p], capturable=True)
        opt.step()  # no gradient: nothing to update, nothing raised
        p.grad = lib.ones(2)
        opt.step()

    same_error(lambda: run(ember), lambda: run(torch))


@pytest.mark.parametrize("name", NAMES)
def test_differentiable_raises_at_step(name):
    def run(lib, leaf=True):
        p = lib.ones(2, requires_grad=True)
        if not leaf:
            p = p * 2
        opt = getattr(lib.optim, name)([p], lr=0.1, differentiable=True)
        p.grad = lib.ones(2)
        opt.step()

    same_error(lambda: run(ember), lambda: run(torch))
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        run(ember, leaf=False)


@pytest.mark.parametrize("case", [
    dict(fused=True, foreach=True), dict(fused=True, differentiable=True),
], ids=str)
@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adagrad", "SGD"])
def test_fused_constructor_errors(name, case):
    same_error(lambda: getattr(optim, name)([ember.ones(1, requires_grad=True)], **case),
               lambda: getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **case))


@pytest.mark.parametrize("name", NAMES)
def test_tensor_lr_must_have_one_element(name):
    same_error(
        lambda: getattr(optim, name)([ember.ones(1, requires_grad=True)], lr=ember.ones(2)),
        lambda: getattr(torch.optim, name)([torch.ones(1, requires_grad=True)],
                                           lr=torch.ones(2)))


def test_sgd_accepts_nan_lr_like_pytorch():
    assert np.isnan(optim.SGD([ember.ones(1, requires_grad=True)], lr=float("nan"))
                    .param_groups[0]["lr"])
    same_error(lambda: optim.Adam([ember.ones(1, requires_grad=True)], lr=float("nan")),
               lambda: torch.optim.Adam([torch.ones(1, requires_grad=True)], lr=float("nan")))


def test_versions_and_scratch_stay_out_of_the_state_dict():
    ps = _params(ember, _arrays())
    opt = optim.Adam(ps, lr=0.01)
    _set_grads(ember, ps, 0)
    versions = [p._version_number for p in ps]
    opt.step()
    assert [p._version_number for p in ps] == [v + (p.grad is not None)
                                               for v, p in zip(versions, ps)]
    assert opt.state[ps[0]]["exp_avg"]._version_number == 1
    assert set(opt.state_dict()) == {"state", "param_groups"}
    assert "_scratch" not in opt.__getstate__()
