"""vmap over every op of the op table: ``vmap(f)(stacked)`` equals stacking ``f`` per sample.

Each sample's float arguments get a batch of 3 slightly different copies, batched at
dimension 0; the other arguments are shared (in_dims None). The ops that have no batching rule
run per sample with PyTorch's performance warning: FALLBACK lists them, so that a new fallback
(or a new rule) shows up here.
"""

import warnings

import numpy as np
import pytest

import ember
from ember.func import _vmap, vmap
from opinfo import OP_DB, DType, NoGrad

B = 3


def _params():
    out = []
    for op in OP_DB:
        if op.missing() is not None:
            continue
        for i, sample in enumerate(op.sample_list()):
            out.append(pytest.param(op, sample, id=f"{op.name}-{i}"))
    return out


def _leaves(obj, found):
    if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind == "f":  # as tests/opinfo
        found.append(np.asarray(obj))
    elif isinstance(obj, NoGrad) and np.asarray(obj.array).dtype.kind == "f":
        found.append(obj.array)
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            _leaves(x, found)


def _build(obj, arrays, batched):
    """The sample's argument with float arrays replaced by tensors (from ``arrays``)."""
    if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind == "f" or (
            isinstance(obj, NoGrad) and np.asarray(obj.array).dtype.kind == "f"):
        return arrays.pop(0)
    if isinstance(obj, NoGrad):
        return ember.tensor(obj.array)
    if isinstance(obj, np.ndarray):
        return ember.from_numpy(obj.copy())
    if isinstance(obj, DType):
        return getattr(ember, obj.name)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_build(x, arrays, batched) for x in obj)
    return obj


def _flat(out):
    if isinstance(out, ember.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return []


FALLBACK = set()


def _random(op):
    return any(w in op.name for w in ("dropout", "rand", "bernoulli", "multinomial", "normal"))


@pytest.mark.parametrize("op,sample", _params())
def test_vmap_matches_per_sample(op, sample):
    fn = op.resolve("ember")
    found = []
    _leaves(list(sample.args) + list(sample.kwargs.values()), found)
    if not found:
        pytest.skip("no float argument to batch")
    rng = np.random.default_rng(0)
    # small relative perturbations keep every copy inside the op's domain
    stacks = [np.stack([a * (1 + 0.01 * k) + 0.001 * k * rng.standard_normal(a.shape)
                        if a.size else a for k in range(B)]) for a in map(np.asarray, found)]
    n = len(stacks)

    def call(*tensors):
        arrays = list(tensors)
        args = _build(list(sample.args), arrays, True)
        kwargs = {k: _build(v, arrays, True) for k, v in sample.kwargs.items()}
        return fn(*args, **kwargs)

    per_sample = [call(*[ember.tensor(s[k]) for s in stacks]) for k in range(B)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            batched = vmap(call, in_dims=(0,) * n)(*[ember.tensor(s) for s in stacks])
        except RuntimeError as exc:
            if "randomness error mode" in str(exc) and _random(op):
                return  # a random op under vmap's default randomness="error": PyTorch's error
            raise
    if any("performance drop" in str(w.message) for w in caught):
        FALLBACK.add(op.name)
    _compare(batched, [_flat(r) for r in per_sample])


def _compare(batched, want):
    got = _flat(batched)
    assert len(got) == len(want[0])
    for j, g in enumerate(got):
        expect = np.stack([w[j].detach().numpy() for w in want])
        assert tuple(g.shape) == expect.shape
        np.testing.assert_allclose(g.detach().numpy(), expect, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op,sample", _params())
def test_nested_vmap_matches_per_sample(op, sample):
    """vmap(vmap(f)) over a 2 x 2 batch, the inner level over dimension 1 of each input."""
    fn = op.resolve("ember")
    found = []
    _leaves(list(sample.args) + list(sample.kwargs.values()), found)
    if not found:
        pytest.skip("no float argument to batch")
    stacks = [np.stack([np.stack([a * (1 + 0.01 * (2 * i + k)) if a.size else a
                                  for i in range(2)], axis=0) for k in range(2)], axis=1)
              for a in map(np.asarray, found)]  # (outer 2, inner 2, *sample)

    def call(*tensors):
        arrays = list(tensors)
        args = _build(list(sample.args), arrays, True)
        kwargs = {k: _build(v, arrays, True) for k, v in sample.kwargs.items()}
        return fn(*args, **kwargs)

    n = len(stacks)
    want = [_flat(call(*[ember.tensor(s[i, k]) for s in stacks])) for i in range(2)
            for k in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the outer level maps dimension 0; the inner one maps (what is left of) dimension 0
        try:
            batched = vmap(vmap(call, in_dims=(0,) * n), in_dims=(0,) * n)(
                *[ember.tensor(s) for s in stacks])
        except RuntimeError as exc:
            if "randomness error mode" in str(exc) and _random(op):
                return
            raise
    flat = [t.reshape((4,) + tuple(t.shape[2:])) for t in _flat(batched)]
    _compare(flat, want)


# The op-table entries that still run once per sample under vmap (no batching rule yet)
EXPECTED_FALLBACK = {
    "F.affine_grid", "F.batch_norm", "F.bilinear", "F.conv_transpose1d", "F.conv_transpose2d",
    "F.conv_transpose3d", "F.conv_transpose3d_unbatched", "F.cosine_embedding_loss",
    "F.cross_entropy_probs", "F.ctc_loss", "F.ctc_loss_none", "F.embedding_bag",
    "F.fractional_max_pool2d", "F.fractional_max_pool3d", "F.gaussian_nll_loss",
    "F.grid_sample", "F.group_norm", "F.hinge_embedding_loss", "F.instance_norm",
    "F.linear_cross_entropy", "F.local_response_norm", "F.max_unpool1d", "F.max_unpool2d",
    "F.max_unpool3d", "F.multi_margin_loss", "F.multilabel_margin_loss",
    "F.multilabel_soft_margin_loss", "F.pad", "F.prelu", "F.rms_norm", "atleast_1d",
    "atleast_2d", "baddbmm", "cholesky", "cholesky_solve", "complex", "complex.abs",
    "complex.angle", "complex.polar", "complex.prod", "complex.real_imag", "complex.sgn",
    "complex.view_as_complex", "complex.view_as_real", "conv_tbc", "fft.fft", "fft.fft2",
    "fft.fft_complex", "fft.fftn", "fft.hfftn_complex", "fft.ifft", "fft.ifft2", "fft.ifftn",
    "fft.ifftn_complex", "fft.ihfft", "fft.ihfft2", "fft.ihfftn", "fft.irfft_complex",
    "fft.rfft", "fft.rfft2", "fft.rfftn", "getitem_bool_mask", "hstack", "index_put", "inner",
    "inplace.index_add_", "inplace.scatter_", "linalg.cross", "linalg.householder_product",
    "linalg.lstsq", "linalg.lstsq_residuals", "linalg.lu_solve",
    "linalg.solve", "linalg.solve_ex", "linalg.solve_triangular", "linalg.tensorinv",
    "linalg.tensorsolve", "linalg.vecdot", "masked_select", "orgqr", "put", "svd", "take",
    "tensordot", "tile", "topk", "vstack",
    # written with other ops that fall back (vstack, F.pad, in-place writes under vmap)
    "row_stack", "block_diag", "Tensor.mH", "inplace.addmm_", "inplace.cumsum_",
    "inplace.index_fill_", "quantile", "nanquantile", "Tensor.quantile", "inplace.fill_diagonal_",
    "Tensor.prelu", "triangular_solve",
    # PyTorch has no batching rule for index_reduce either
    "index_reduce", "Tensor.index_reduce", "inplace.index_reduce_",
    # the short-time transforms (frames over the input's memory, once per sample) and ormqr
    "stft", "istft", "ormqr",
    # masked_select (as PyTorch's combinations runs it): a size that depends on the values;
    # cov's checks of its weights' values (PyTorch's vmap refuses them, ember runs per sample)
    "combinations", "cov",
}

def test_the_ops_without_a_batching_rule_are_listed():
    """Every entry of the op table is run under vmap; those that fell back to the per-sample
    loop must be exactly EXPECTED_FALLBACK."""
    seen = set()
    for param in _params():
        op, sample = param.values
        FALLBACK.discard(op.name)
        _vmap._warned.clear()  # the warning is given once per op: see it again
        try:
            test_vmap_matches_per_sample(op, sample)
        except pytest.skip.Exception:
            continue
        if op.name in FALLBACK:
            seen.add(op.name)
    print("ops that fall back to a per-sample loop:", sorted(seen))
    assert seen == EXPECTED_FALLBACK
