"""torch.func over every op of the op table, against PyTorch: the Jacobian (jacrev and jacfwd)
of each op with respect to its first float input, and the Hessian of its summed output, at
float64 tolerance.

jacrev runs one batched backward (vmap over the vjp); jacfwd and hessian run batched forward
computations (ember's jvp is the transpose of a vjp), so this also exercises the batching rules
of every backward formula.
"""

import warnings

import numpy as np
import pytest
import torch

import ember
from opinfo import OP_DB, DType, NoGrad


def _params():
    out = []
    for op in OP_DB:
        if op.missing() is not None or not op.gradcheck:
            continue
        for i, sample in enumerate(op.sample_list()):
            out.append(pytest.param(op, sample, id=f"{op.name}-{i}"))
    return out


def _convert(obj, lib, floats):
    if isinstance(obj, (np.ndarray, np.generic)):
        a = np.asarray(obj)
        t = (ember if lib == "ember" else torch).from_numpy(a.copy())
        if a.dtype.kind == "f":
            floats.append(t)
        return t
    if isinstance(obj, NoGrad):
        return (ember if lib == "ember" else torch).from_numpy(np.asarray(obj.array).copy())
    if isinstance(obj, DType):
        return getattr(ember if lib == "ember" else torch, obj.name)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(x, lib, floats) for x in obj)
    return obj


def _swap(obj, old, new):
    if obj is old:
        return new
    if isinstance(obj, (list, tuple)):
        return type(obj)(_swap(x, old, new) for x in obj)
    return obj


def _first_float(out):
    if isinstance(out, (tuple, list)):
        for o in out:
            f = _first_float(o)
            if f is not None:
                return f
        return None
    if hasattr(out, "dtype") and out.dtype.is_floating_point:
        return out
    return None


def _function(op, sample, lib):
    floats = []
    args = _convert(sample.args, lib, floats)
    kwargs = {k: _convert(v, lib, floats) for k, v in sample.kwargs.items()}
    if not floats:
        return None, None
    x = floats[0]
    fn = op.resolve(lib)

    def f(v):
        out = fn(*_swap(args, x, v), **{k: _swap(a, x, v) for k, a in kwargs.items()})
        return _first_float(out)

    if f(x) is None:
        return None, None
    return f, x


def _run(op, sample, transform, reference=None):
    """``transform`` on ember against ``reference`` (default: the same transform) on PyTorch.
    Forward-mode Jacobians are compared with PyTorch's reverse-mode ones: PyTorch's forward
    rules have gaps and a few wrong tangents, its backward ones are the trusted reference."""
    fe, xe = _function(op, sample, "ember")
    ft, xt = _function(op, sample, "torch")
    if fe is None:
        pytest.skip("no float input or output")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = (reference or transform)(torch, ft)(xt)
            want = want.detach() + 0  # PyTorch's zero tensors (abs's Hessian) to plain ones
    except (NotImplementedError, RuntimeError) as exc:
        pytest.skip(f"PyTorch cannot: {str(exc).splitlines()[0][:80]}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = transform(ember, fe)(xe)
        except RuntimeError as exc:
            if "randomness error mode" not in str(exc):
                raise
            # a random op in a function vmap runs: PyTorch's jacfwd refuses it the same way
            with pytest.raises(RuntimeError, match="randomness"):
                transform(torch, ft)(xt)
            return
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-7,
                               atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("op, sample", _params())
def test_jacrev_matches_pytorch(op, sample):
    _run(op, sample, lambda L, f: L.func.jacrev(f))


@pytest.mark.parametrize("op, sample", _params())
def test_jacfwd_matches_pytorch(op, sample):
    _run(op, sample, lambda L, f: L.func.jacfwd(f), lambda L, f: L.func.jacrev(f))


@pytest.mark.parametrize("op, sample", [p for p in _params() if p.values[0].gradgradcheck])
def test_hessian_matches_pytorch(op, sample):
    _run(op, sample, lambda L, f: L.func.hessian(lambda v: f(v).sum()),
         lambda L, f: L.func.jacrev(L.func.jacrev(lambda v: f(v).sum())))
