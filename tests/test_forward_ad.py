"""Forward-mode AD (ember.autograd.forward_ad) against PyTorch and against calculus.

For every op of tests/opinfo.py, in float64: the tangent of each output equals the central
difference along the input tangents, satisfies <u, J t> == <J^T u, t> with the reverse-mode
gradient, does not depend on whether the inputs require grad, and equals PyTorch's tangent
(or the op raises PyTorch's error where PyTorch has no forward rule). Then the API and its
errors, forward-over-reverse (Hessian-vector products), in-place ops and views, custom
Functions with jvp, and gradcheck's forward checks.
"""

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import ember
import ember.autograd.forward_ad as efw
from opinfo import OP_DB, DType, NoGrad

# PyTorch's tangent is wrong here (finite differences and the duality test agree with ember's):
# its logcumsumexp rule loses the tangent of an element that dominates its prefix sum when the
# inputs span a wide range (a tangent of 1e-16 where y_0 = x_0 has tangent t_0)
TORCH_WRONG = {"logcumsumexp_wide"}


def _params():
    params = []
    for op in OP_DB:
        if op.missing() is not None:
            continue
        for i, sample in enumerate(op.sample_list()):
            params.append(pytest.param(op, sample, id=f"{op.name}-{i}"))
    return params


# -- building dual inputs -----------------------------------------------------------------------
def _convert(obj, lib, grad, floats):
    if isinstance(obj, (np.ndarray, np.generic)):
        a = np.asarray(obj)
        if a.dtype.kind == "f":
            a = a.astype(np.float64, order="K")
            t = ember.from_numpy(a) if lib == "ember" else torch.from_numpy(a)
            if grad:
                t.requires_grad_(True)
            floats.append(t)
            return t
        a = a.copy(order="K")
        return ember.from_numpy(a) if lib == "ember" else torch.from_numpy(a)
    if isinstance(obj, NoGrad):
        a = np.asarray(obj.array).astype(np.float64, order="K")
        return ember.from_numpy(a) if lib == "ember" else torch.from_numpy(a)
    if isinstance(obj, DType):
        return getattr(ember if lib == "ember" else torch, obj.name)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(x, lib, grad, floats) for x in obj)
    return obj


def _swap(obj, table):
    if isinstance(obj, (list, tuple)):
        return type(obj)(_swap(x, table) for x in obj)
    if isinstance(obj, dict):
        return {k: _swap(v, table) for k, v in obj.items()}
    return table.get(id(obj), obj)


def _tangents(sample, seed=1):
    """One random tangent array per float input, in order."""
    floats = []
    _convert((sample.args, sample.kwargs), "ember", False, floats)
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, tuple(f.shape)) for f in floats]


def _outputs(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _inputs(op, sample, lib, grad, shift=None):
    """(fn, args, kwargs, float inputs); ``shift``: (arrays, scale) added to the float inputs."""
    floats = []
    args = _convert(sample.args, lib, grad, floats)
    kwargs = {k: _convert(v, lib, grad, floats) for k, v in sample.kwargs.items()}
    if shift is not None:
        arrays, scale = shift
        for f, a in zip(floats, arrays):
            f.data.numpy()[...] += scale * a if f.dim() else 0
            if not f.dim():
                f.data.numpy()[()] += scale * a
    return op.resolve(lib), args, kwargs, floats


def _dual_outputs(op, sample, lib, ts, grad):
    """The op's outputs (inside a dual level) and their tangents (None where none)."""
    fw = efw if lib == "ember" else tfw
    mod = ember if lib == "ember" else torch
    fn, args, kwargs, floats = _inputs(op, sample, lib, grad)
    with fw.dual_level():
        table = {id(f): fw.make_dual(f, mod.from_numpy(t.copy())) for f, t in zip(floats, ts)}
        outs = _outputs(fn(*_swap(args, table), **_swap(kwargs, table)))
        tangents = [fw.unpack_dual(o).tangent if isinstance(o, mod.Tensor) else None
                    for o in outs]
    return outs, tangents, floats


def _arr(t):
    return None if t is None else t.detach().numpy()


def _skip_if_no_float_input(sample):
    if not _tangents(sample):
        pytest.skip("no float input")


# -- per-op checks --------------------------------------------------------------------------------
@pytest.mark.parametrize("op, sample", _params())
def test_tangent_parity_with_torch(op, sample):
    _skip_if_no_float_input(sample)
    if op.name in TORCH_WRONG:
        pytest.skip("PyTorch's tangent is inaccurate here")
    ts = _tangents(sample)
    try:
        _, t_tangents, _ = _dual_outputs(op, sample, "torch", ts, True)
    except NotImplementedError as exc:
        with pytest.raises(NotImplementedError) as info:
            _dual_outputs(op, sample, "ember", ts, True)
        assert str(info.value) == str(exc)
        return
    _, e_tangents, _ = _dual_outputs(op, sample, "ember", ts, True)
    assert len(e_tangents) == len(t_tangents)
    for k, (e, t) in enumerate(zip(e_tangents, t_tangents)):
        if t is None or not (t.is_floating_point() or t.is_complex()):
            assert e is None or not (e.is_floating_point() or e.is_complex()), f"output {k}"
            continue
        assert e is not None, f"output {k} has no tangent"
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_allclose(_arr(e), _arr(t), rtol=1e-7, atol=1e-9,
                                   err_msg=f"output {k}")


def _torch_supports(op, sample, ts):
    try:
        _dual_outputs(op, sample, "torch", ts, False)
    except NotImplementedError:
        return False
    return True


@pytest.mark.parametrize("op, sample", _params())
def test_tangent_matches_finite_differences(op, sample):
    _skip_if_no_float_input(sample)
    ts = _tangents(sample)
    if not _torch_supports(op, sample, ts):
        pytest.skip("no forward rule in PyTorch")
    outs, tangents, _ = _dual_outputs(op, sample, "ember", ts, True)
    eps = 1e-6
    fn, args, kwargs, _ = _inputs(op, sample, "ember", False, (ts, eps))
    plus = _outputs(fn(*args, **kwargs))
    fn, args, kwargs, _ = _inputs(op, sample, "ember", False, (ts, -eps))
    minus = _outputs(fn(*args, **kwargs))
    for k, (o, t, p, m) in enumerate(zip(outs, tangents, plus, minus)):
        if not isinstance(o, ember.Tensor) or not o.requires_grad:
            assert t is None, f"output {k} is not differentiable but has a tangent"
            continue
        if o.dtype != ember.float64:
            continue  # differences of a float32 output are too coarse (parity covers it)
        fd = (p.numpy() - m.numpy()) / (2 * eps)
        assert t is not None, f"output {k} has no tangent"
        np.testing.assert_allclose(t.detach().numpy(), fd, rtol=1e-3, atol=1e-5, err_msg=f"output {k}")


@pytest.mark.parametrize("op, sample", _params())
def test_tangent_is_dual_to_gradient(op, sample):
    """<u, J t> (forward mode) == <J^T u, t> (reverse mode), and the tangent is the same
    whether or not the inputs require grad."""
    _skip_if_no_float_input(sample)
    ts = _tangents(sample)
    if not _torch_supports(op, sample, ts):
        pytest.skip("no forward rule in PyTorch")
    outs, tangents, floats = _dual_outputs(op, sample, "ember", ts, True)
    _, plain, _ = _dual_outputs(op, sample, "ember", ts, False)
    for k, (a, b) in enumerate(zip(tangents, plain)):
        assert (a is None) == (b is None), f"output {k}"
        if a is not None:
            np.testing.assert_allclose(a.detach().numpy(), b.numpy(), rtol=1e-12, atol=1e-14)
    rng = np.random.default_rng(2)
    pairs = [(o, t) for o, t in zip(outs, tangents)
             if isinstance(o, ember.Tensor) and o.requires_grad]
    if not pairs:
        pytest.skip("no differentiable output")
    us = [rng.uniform(-1, 1, tuple(o.shape)) for o, _ in pairs]
    forward = sum(float((u * t.detach().numpy()).sum()) for u, (_, t) in zip(us, pairs))
    grads = ember.autograd.grad([o for o, _ in pairs], floats,
                                [ember.from_numpy(u) for u in us], allow_unused=True)
    reverse = sum(float((g.numpy() * t).sum()) for g, t in zip(grads, ts) if g is not None)
    single = any(o.dtype != ember.float64 for o, _ in pairs)
    assert forward == pytest.approx(reverse, rel=1e-5 if single else 1e-8, abs=1e-10)
