"""Every op of tests/opinfo.py against PyTorch: values, gradients, grad_fn names, gradcheck.

For each (op, sample): forward parity (values, dtype, shape) in float64 and float32, backward
parity with the same random upstream gradient, ember's gradcheck and gradgradcheck in float64
at PyTorch's default tolerances, and the grad_fn name of each output.
"""

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from opinfo import OP_DB, DType, NoGrad
from parity import assert_same


def _params(check):
    params = []
    for op in OP_DB:
        missing = op.missing()
        for i, sample in enumerate(op.sample_list()):
            marks = []
            if missing is not None:
                marks.append(pytest.mark.xfail(strict=True, reason="not implemented yet"))
            elif check in op.known:
                marks.append(pytest.mark.xfail(strict=True, reason=op.known[check]))
            params.append(pytest.param(op, sample, id=f"{op.name}-{i}", marks=marks))
    return params


# -- building the inputs on each side ---------------------------------------------------------
def _convert(obj, lib, float_dtype, leaves):
    """Sample argument -> tensors of ``lib``; float arrays requiring grad go into ``leaves``."""
    if isinstance(obj, (np.ndarray, np.generic)):
        return _tensor(np.asarray(obj), lib, float_dtype, True, leaves)
    if isinstance(obj, NoGrad):
        return _tensor(np.asarray(obj.array), lib, float_dtype, False, leaves)
    if isinstance(obj, DType):
        return getattr(ember if lib == "ember" else torch, obj.name)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(x, lib, float_dtype, leaves) for x in obj)
    return obj


def _tensor(a, lib, float_dtype, grad, leaves):
    is_float = a.dtype.kind == "f"
    # a fresh copy in the same memory layout (a transposed array stays non-contiguous)
    a = a.astype(float_dtype, order="K") if is_float else a.copy(order="K")
    t = ember.from_numpy(a) if lib == "ember" else torch.from_numpy(a)
    if is_float and grad:
        t.requires_grad_(True)
        leaves.append(t)
    return t


def _build(op, sample, lib, float_dtype=np.float64):
    leaves = []
    args = _convert(sample.args, lib, float_dtype, leaves)
    kwargs = {k: _convert(v, lib, float_dtype, leaves) for k, v in sample.kwargs.items()}
    fn = op.resolve(lib)
    return fn, args, kwargs, leaves


def _run(op, sample, lib, float_dtype=np.float64):
    fn, args, kwargs, leaves = _build(op, sample, lib, float_dtype)
    return _outputs(fn(*args, **kwargs)), leaves


def _outputs(result):
    if isinstance(result, (tuple, list)):
        return tuple(result)
    return (result,)


def _upstream(outputs, seed):
    """The same random gradient for each output that requires grad, as arrays."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, tuple(o.shape)).astype(o.detach().numpy().dtype)
            if isinstance(o, torch.Tensor) and o.requires_grad else None for o in outputs]


def _backward_parity(op, sample, float_dtype, rtol, atol):
    e_outs, e_leaves = _run(op, sample, "ember", float_dtype)
    t_outs, t_leaves = _run(op, sample, "torch", float_dtype)
    assert len(e_outs) == len(t_outs)
    grads = _upstream(t_outs, 0)
    assert [getattr(o, "requires_grad", False) for o in e_outs] == \
        [getattr(o, "requires_grad", False) for o in t_outs]
    pairs = [(e, t, g) for e, t, g in zip(e_outs, t_outs, grads) if g is not None]
    if not pairs:
        pytest.skip("no output requires grad")
    torch.autograd.backward([t for _, t, _ in pairs], [torch.from_numpy(g) for *_, g in pairs])
    ember.autograd.backward([e for e, _, _ in pairs],
                            [ember.from_numpy(g.copy()) for *_, g in pairs])
    assert len(e_leaves) == len(t_leaves)
    for k, (el, tl) in enumerate(zip(e_leaves, t_leaves)):
        assert (el.grad is None) == (tl.grad is None), f"input {k}"
        assert_same(el.grad, tl.grad, rtol=rtol, atol=atol)


# -- the checks -------------------------------------------------------------------------------
@pytest.mark.parametrize("op, sample", _params("forward"))
def test_forward(op, sample):
    e_outs, _ = _run(op, sample, "ember")
    t_outs, _ = _run(op, sample, "torch")
    assert_same(e_outs, t_outs, rtol=op.rtol, atol=op.atol)


@pytest.mark.parametrize("op, sample", _params("backward"))
def test_backward(op, sample):
    _backward_parity(op, sample, np.float64, op.rtol * 10, op.atol * 10)


@pytest.mark.parametrize("op, sample", _params("grad_fn"))
def test_grad_fn_name(op, sample):
    e_outs, _ = _run(op, sample, "ember")
    t_outs, _ = _run(op, sample, "torch")
    for e, t in zip(e_outs, t_outs):
        if isinstance(t, torch.Tensor):
            # PyTorch's C++-only nodes are named "torch::autograd::X": ember says "ember::..."
            expected = None if t.grad_fn is None else t.grad_fn.name().replace("torch::", "ember::")
            got = None if e.grad_fn is None else e.grad_fn.name()
            assert got == expected


@pytest.mark.parametrize("op, sample", _params("gradcheck"))
def test_gradcheck(op, sample):
    if not op.gradcheck:
        pytest.skip("output is not float64")
    fn, args, kwargs, leaves = _build(op, sample, "ember")
    if not leaves:
        pytest.skip("no input requires grad")
    # gradcheck passes the same leaf tensors back in (perturbed in place), so the closure
    # can call fn with the arguments built once
    # check_batched_grad: the backward also runs batched (vmap over two grad_outputs)
    assert gradcheck(lambda *_: fn(*args, **kwargs), tuple(leaves), check_batched_grad=True)


@pytest.mark.parametrize("op, sample", _params("gradgradcheck"))
def test_gradgradcheck(op, sample):
    if not op.gradgradcheck:
        pytest.skip("output is not float64")
    fn, args, kwargs, leaves = _build(op, sample, "ember")
    if not leaves:
        pytest.skip("no input requires grad")
    ember.manual_seed(0)
    assert gradgradcheck(lambda *_: fn(*args, **kwargs), tuple(leaves), check_batched_grad=True)


@pytest.mark.parametrize("op, sample", _params("float32"))
def test_float32(op, sample):
    if not op.float32:
        pytest.skip("float64-only sample")
    e_outs, _ = _run(op, sample, "ember", np.float32)
    t_outs, _ = _run(op, sample, "torch", np.float32)
    assert_same(e_outs, t_outs, rtol=1e-5, atol=1e-6)
    _backward_parity(op, sample, np.float32, 1e-4, 1e-5)


def test_table_is_consistent():
    names = [op.name for op in OP_DB]
    assert len(names) == len(set(names)), "duplicate op names"
    for op in OP_DB:
        assert op.sample_list(), op.name
        op.resolve("torch")  # the reference side always exists
