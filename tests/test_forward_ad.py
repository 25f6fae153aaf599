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
# and its cholesky_inverse rule differs from finite differences by far more than rounding
# scatter_reduce_prod: PyTorch gives its output no tangent at all (ember gives the true one)
TORCH_WRONG = {"logcumsumexp_wide", "cholesky_inverse", "scatter_reduce_prod",
               "triangular_solve"}  # PyTorch's tangent ignores that A is triangular


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
    return None if t is None else t.detach().numpy(force=True)  # PyTorch's ZeroTensor too


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
        if t is not None and t._is_zerotensor() and e is None:
            continue  # PyTorch's lazily zero tangent (of a constant output such as a sign)
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
    if not op.gradcheck and "backward" in op.known:
        pytest.skip(op.known["backward"])  # no reverse mode to compare with, as in PyTorch
    us = [rng.uniform(-1, 1, tuple(o.shape)) for o, _ in pairs]
    forward = sum(float((u * t.detach().numpy()).sum()) for u, (_, t) in zip(us, pairs))
    grads = ember.autograd.grad([o for o, _ in pairs], floats,
                                [ember.from_numpy(u) for u in us], allow_unused=True)
    reverse = sum(float((g.numpy() * t).sum()) for g, t in zip(grads, ts) if g is not None)
    single = any(o.dtype != ember.float64 for o, _ in pairs)
    assert forward == pytest.approx(reverse, rel=1e-5 if single else 1e-8, abs=1e-10)


# ops whose tangents cannot yet be batched by vmap (their forward rule is derived from the
# backward, is a view of the tangent's memory, or updates a tangent in place): gradcheck's
# check_batched_forward_grad is not run for them
_NO_BATCHED_FORWARD = {
    # written with other ops (ops/composite.py), views among them
    "Tensor.mH", "abs_", "addr", "adjoint", "atleast_3d", "block_diag", "broadcast_tensors",
    "broadcast_to", "cartesian_prod", "column_stack", "combinations", "corrcoef", "cov",
    "cov_1d", "cumulative_trapezoid", "cumulative_trapezoid_x", "diag_embed", "diagflat",
    "diagonal_scatter", "diff", "dist", "dsplit", "dstack", "hsplit", "index_copy",
    "index_fill", "inplace.addcdiv_", "inplace.addcmul_", "inplace.addmm_", "inplace.cumsum_",
    "inplace.hypot_", "inplace.index_fill_", "inplace.tril_", "inplace.xlogy_", "kron",
    "masked_scatter", "rot90", "row_stack", "select_scatter", "tensor_split", "trace",
    "trapezoid", "trapz", "vander", "vsplit", "renorm", "quantile", "nanquantile",
    "Tensor.quantile", "inplace.fill_diagonal_", "inplace.lgamma_", "inplace.erfinv_",
    "triangular_solve", "Tensor.prelu", "gradient", "chain_matmul", "take_along_dim",
    # as_strided's tangent is the transpose of its backward (storage index plans, no batching
    # rule), and the short-time transforms are built on it and on unfold's backward
    "as_strided", "stft", "istft",
    "F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_avg_pool3d",
    "F.adaptive_max_pool1d", "F.adaptive_max_pool2d", "F.adaptive_max_pool3d", "F.affine_grid",
    "F.avg_pool1d", "F.avg_pool2d", "F.avg_pool3d", "F.batch_norm", "F.bce_weight",
    "F.bce_with_logits_pos_weight", "F.bilinear", "F.binary_cross_entropy",
    "F.binary_cross_entropy_with_logits", "F.celu", "F.channel_shuffle", "F.conv1d", "F.conv2d",
    "F.conv3d", "F.conv3d_unbatched", "F.conv_transpose1d", "F.conv_transpose2d",
    "F.conv_transpose3d", "F.conv_transpose3d_unbatched", "F.cosine_similarity", "F.dropout3d",
    "F.elu", "F.fold", "F.fractional_max_pool2d", "F.fractional_max_pool3d",
    "F.gaussian_nll_loss", "F.glu", "F.group_norm", "F.hardsigmoid", "F.hardswish",
    "F.huber_loss", "F.instance_norm", "F.interpolate", "F.interpolate_area", "F.leaky_relu",
    "F.linear", "F.linear_cross_entropy", "F.local_response_norm", "F.lp_pool1d", "F.lp_pool2d",
    "F.lp_pool3d", "F.max_pool1d", "F.max_pool2d", "F.max_pool2d_with_indices", "F.max_pool3d",
    "F.max_pool3d_with_indices", "F.max_unpool1d", "F.max_unpool2d", "F.max_unpool3d",
    "F.normalize", "F.pad", "F.pairwise_distance", "F.pixel_shuffle", "F.pixel_unshuffle",
    "F.prelu", "F.rrelu", "F.scaled_dot_product_attention", "F.selu", "F.smooth_l1_loss",
    "F.soft_margin_loss", "F.softplus", "F.triplet_margin_loss",
    "F.triplet_margin_with_distance_loss", "F.unfold", "T", "Tensor.cummax", "Tensor.det",
    "Tensor.inverse", "Tensor.kthvalue", "Tensor.logcumsumexp", "Tensor.msort", "Tensor.norm",
    "Tensor.sort", "Tensor.sum_to_size", "Tensor.topk", "Tensor.view_as", "aminmax",
    "atleast_1d", "atleast_2d", "cholesky_inverse", "cholesky_solve", "chunk", "complex.angle",
    "complex.polar", "complex.prod", "complex.real_imag", "complex.sgn", "cummax", "cummin",
    "cumprod", "det", "diag", "diagonal", "einsum", "expand", "expand_as", "fft.fft",
    "fft.fft2", "fft.fft_abs", "fft.fft_complex", "fft.fftn", "fft.hfft", "fft.ifft",
    "fft.ihfft", "fft.irfft", "fft.irfft2", "fft.irfft_complex", "fft.irfftn", "fft.rfft",
    "fft.rfft2", "fft.rfftn", "flatten", "ger", "getitem_bool_mask", "getitem_int",
    "getitem_int_array", "getitem_none_ellipsis", "getitem_slices", "index_put", "inner",
    "inplace.add_", "inplace.clamp_", "inplace.copy_", "inplace.div_", "inplace.exp_",
    "inplace.fill_", "inplace.index_add_", "inplace.masked_fill_", "inplace.mul_",
    "inplace.neg_", "inplace.pow_", "inplace.scatter_", "inplace.sigmoid_", "inplace.sub_",
    "inplace.tanh_", "inplace.zero_", "inverse", "kthvalue", "linalg.cholesky",
    "linalg.cholesky_ex", "linalg.cond", "linalg.cross", "linalg.det", "linalg.diagonal",
    "linalg.eigh", "linalg.eigvalsh", "linalg.householder_product", "linalg.inv",
    "linalg.inv_ex", "linalg.lstsq", "linalg.lstsq_residuals", "linalg.lu", "linalg.lu_factor",
    "linalg.lu_factor_ex", "linalg.lu_solve", "linalg.matrix_exp", "linalg.matrix_norm",
    "linalg.matrix_power", "linalg.multi_dot", "linalg.norm", "linalg.pinv", "linalg.qr",
    "linalg.slogdet", "linalg.solve", "linalg.solve_ex", "linalg.solve_triangular",
    "linalg.svd", "linalg.svdvals", "linalg.tensorinv", "linalg.tensorsolve", "linalg.vander",
    "linalg.vector_norm", "logcumsumexp", "logcumsumexp_wide", "logdet", "mT", "masked_select",
    "matmul", "matrix_exp", "max", "median", "min", "mode", "moveaxis", "movedim", "msort",
    "nanmedian", "narrow", "norm", "norm.nuc", "orgqr", "outer", "permute", "pinverse", "prod",
    "put", "ravel", "reshape", "scatter", "scatter_add", "select", "slogdet", "sort", "split",
    "squeeze", "std", "std_mean", "svd", "swapaxes", "swapdims", "t", "tensordot", "topk",
    "transpose", "unbind", "unflatten", "unsqueeze", "var", "var_mean", "view", "vstack",
    "scatter_reduce", "scatter_reduce_prod", "Tensor.scatter_reduce", "inplace.scatter_reduce_",
    "meshgrid", "repeat_interleave", "Tensor.repeat_interleave", "Tensor.unfold",
}


def _gradcheck_inputs(op, sample):
    fn, args, kwargs, floats = _inputs(op, sample, "ember", True)
    return (lambda *_: fn(*args, **kwargs)), tuple(floats)


@pytest.mark.parametrize("op, sample", _params())
def test_gradcheck_forward_ad(op, sample):
    """gradcheck(check_forward_ad=True): forward mode's Jacobian equals finite differences."""
    _skip_if_no_float_input(sample)
    if not op.gradcheck or not _torch_supports(op, sample, _tangents(sample)):
        pytest.skip("not checked")
    floats = []
    _convert((sample.args, sample.kwargs), "ember", False, floats)
    fn, args, kwargs, _ = _inputs(op, sample, "ember", True)

    def call(*xs):
        table = {id(a): x for a, x in zip(leaves, xs)}
        return fn(*_swap(args, table), **_swap(kwargs, table))

    leaves = []
    _collect(args, leaves)
    _collect(list(kwargs.values()), leaves)
    assert ember.autograd.gradcheck(call, tuple(leaves), check_forward_ad=True,
                                    check_backward_ad=False, check_undefined_grad=False)
    if op.name in _NO_BATCHED_FORWARD:
        return
    # the same tangents, two at once under vmap
    assert ember.autograd.gradcheck(call, tuple(leaves), check_forward_ad=True,
                                    check_backward_ad=False, check_undefined_grad=False,
                                    check_batched_forward_grad=True)


@pytest.mark.parametrize("op, sample", _params())
def test_gradgradcheck_forward_over_reverse(op, sample):
    """gradgradcheck(check_fwd_over_rev=True): the tangents of the gradients (backward
    formulas run on dual tensors) equal finite differences of the gradients."""
    _skip_if_no_float_input(sample)
    if not op.gradgradcheck or not _torch_supports(op, sample, _tangents(sample)):
        pytest.skip("not checked")
    fn, args, kwargs, _ = _inputs(op, sample, "ember", True)

    def call(*xs):
        table = {id(a): x for a, x in zip(leaves, xs)}
        return fn(*_swap(args, table), **_swap(kwargs, table))

    leaves = []
    _collect(args, leaves)
    _collect(list(kwargs.values()), leaves)
    if not any(o.requires_grad for o in _outputs(call(*leaves))
               if isinstance(o, ember.Tensor)):
        pytest.skip("no differentiable output")
    ember.manual_seed(0)
    assert ember.autograd.gradgradcheck(call, tuple(leaves), check_fwd_over_rev=True,
                                        check_rev_over_rev=False, check_undefined_grad=False)


def _collect(obj, out):
    if isinstance(obj, ember.Tensor):
        if obj.requires_grad:
            out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            _collect(x, out)


# -- the API and its errors, against PyTorch ----------------------------------------------------
def _level(fw):
    return fw._current_level if fw is tfw else fw.state.level


def _both(fn):
    """fn(lib, fw) on PyTorch and on ember: the same result, or the same exception and text."""
    results = []
    for lib, fw in ((torch, tfw), (ember, efw)):
        try:
            results.append(("ok", fn(lib, fw)))
        except Exception as exc:  # noqa: BLE001 - compared below
            results.append((type(exc).__name__, str(exc)))
        finally:
            while _level(fw) >= 0:
                fw.exit_dual_level()
    (kt, t), (ke, e) = results
    assert ke == kt, (results[0], results[1])
    if kt != "ok":
        assert e == t.replace("torch.", "ember.")
    return t, e


def test_make_dual_needs_a_level():
    _both(lambda lib, fw: fw.make_dual(lib.ones(2), lib.ones(2)))


@pytest.mark.parametrize("case", [
    lambda lib, fw: fw.make_dual(lib.ones(3), lib.ones(4)),
    lambda lib, fw: fw.make_dual(lib.ones(2, 3), lib.ones(3, 2)),
    lambda lib, fw: fw.make_dual(lib.ones(3), lib.ones(3, dtype=lib.int64)),
    lambda lib, fw: fw.make_dual(lib.arange(3), lib.ones(3)),
    lambda lib, fw: fw.make_dual(lib.ones(3), lib.ones(3), level=4),
    lambda lib, fw: fw.unpack_dual(lib.ones(3), level=4),
    lambda lib, fw: fw.unpack_dual(1.0),
    lambda lib, fw: fw.make_dual(fw.make_dual(lib.ones(3), lib.ones(3)), lib.ones(3)),
    lambda lib, fw: fw.enter_dual_level(),
    lambda lib, fw: fw.exit_dual_level(level=3),
])
def test_errors_inside_a_level(case):
    def run(lib, fw):
        with fw.dual_level():
            return case(lib, fw)

    _both(run)


def test_exit_without_a_level():
    _both(lambda lib, fw: fw.exit_dual_level())


def test_levels_are_numbered_from_zero_and_reused():
    for fw in (tfw, efw):
        assert fw.enter_dual_level() == 0
        fw.exit_dual_level()
        with fw.dual_level() as level:
            assert level == 0
        assert fw.enter_dual_level() == 0
        fw.exit_dual_level(level=0)


def test_make_dual_and_unpack_dual():
    for lib, fw in ((torch, tfw), (ember, efw)):
        x = lib.tensor([1.0, 2.0])
        t = lib.tensor([3.0, 4.0])
        with fw.dual_level():
            d = fw.make_dual(x, t)
            assert d is not x and d.data_ptr() == x.data_ptr()
            u = fw.unpack_dual(d)
            assert type(u).__name__ == "UnpackedDualTensor" and u._fields == ("primal", "tangent")
            assert u.tangent is t  # the tangent as is (same layout)
            assert u.primal is not d and u.primal.data_ptr() == x.data_ptr()
            assert fw.unpack_dual(u.primal).tangent is None
            assert fw.unpack_dual(x).tangent is None
            assert fw.unpack_dual(d.detach()).tangent is None
            assert fw.unpack_dual(d.data).tangent is None
            assert fw.unpack_dual(d, level=0).tangent is t
            # a float64 tangent of a float32 primal stays float64, and so do the ops' tangents;
            # a float32 tangent of a float64 primal is raised to float64 by the ops
            d64 = fw.make_dual(lib.ones(2), lib.ones(2, dtype=lib.float64))
            assert fw.unpack_dual(d64).tangent.dtype == lib.float64
            assert fw.unpack_dual(d64 * 2).tangent.dtype == lib.float64
            d32 = fw.make_dual(lib.ones(2, dtype=lib.float64), lib.ones(2))
            assert fw.unpack_dual(d32).tangent.dtype == lib.float32
            assert fw.unpack_dual(d32 * 2).tangent.dtype == lib.float64
            assert fw.unpack_dual(d32.exp()).tangent.dtype == lib.float64
        # leaving the level forgets the tangents
        assert fw.unpack_dual(d).tangent is None
        assert fw.unpack_dual(d * 2).tangent is None


def test_make_dual_of_a_tensor_that_requires_grad():
    for lib, fw in ((torch, tfw), (ember, efw)):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, lib.ones(2))
            assert d.grad_fn.name() == "ViewBackward0"
            y = (d * d).sum()
            y.backward()
            assert x.grad.tolist() == [2.0, 4.0]
            assert fw.unpack_dual(y).tangent.item() == 6.0


def test_tangent_layout_follows_the_primal():
    for lib, fw in ((torch, tfw), (ember, efw)):
        p = lib.zeros(2, 3)
        t = lib.arange(6.0).reshape(3, 2).t()
        with fw.dual_level():
            got = fw.unpack_dual(fw.make_dual(p, t)).tangent
            assert got is not t and got.stride() == p.stride()
            assert got.tolist() == t.tolist()


def test_printing_shows_the_tangent():
    def show(lib, fw):
        with fw.dual_level():
            x = lib.tensor([1.0, 2.0, 3.0])
            d = fw.make_dual(x, lib.ones(3))
            return [repr(d), str(d.sum()), repr(fw.make_dual(lib.ones(2, 2, dtype=lib.float64),
                                                            lib.ones(2, 2)))]

    t, e = _both(show)
    assert [s.replace("torch.", "ember.") for s in t] == e


def test_no_grad_does_not_stop_tangents():
    for lib, fw in ((torch, tfw), (ember, efw)):
        with fw.dual_level():
            d = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 1.0]))
            with lib.no_grad():
                assert fw.unpack_dual(d * 3).tangent.tolist() == [3.0, 3.0]


def test_non_float_outputs_have_no_tangent():
    for lib, fw in ((torch, tfw), (ember, efw)):
        with fw.dual_level():
            d = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 1.0]))
            assert fw.unpack_dual(d > 1).tangent is None
            assert fw.unpack_dual(d.argmax()).tangent is None
            assert fw.unpack_dual(d.long()).tangent is None
            assert fw.unpack_dual(d.double()).tangent.dtype == lib.float64


def test_tangent_is_differentiable():
    """Reverse over forward: a tangent computed from inputs that require grad has a graph."""
    out = []
    for lib, fw in ((torch, tfw), (ember, efw)):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        with fw.dual_level():
            y = (fw.make_dual(x, v).sin() * 2).exp().sum()
            jvp = fw.unpack_dual(y).tangent
        (g,) = lib.autograd.grad(jvp, x)
        out.append(g.detach().numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12)


# -- forward over reverse: Hessian-vector products ----------------------------------------------
def _mlp(lib, x, params):
    w1, b1, w2, b2 = params
    F = lib.nn.functional
    h = F.gelu(F.linear(x, w1, b1))
    h = F.layer_norm(h, (h.shape[-1],))
    return F.cross_entropy(F.linear(h, w2, b2), lib.tensor([0, 2, 1, 2]))


def _conv_net(lib, x, params):
    (w,) = params
    F = lib.nn.functional
    y = F.max_pool2d(F.conv2d(x, w, padding=1).tanh(), 2)
    return F.log_softmax(y.flatten(1), 1).sum() + (y ** 2).mean()


@pytest.mark.parametrize("create_graph", [True, False])
@pytest.mark.parametrize("model", ["mlp", "conv", "scalar"])
def test_hessian_vector_product_matches_torch(model, create_graph):
    rng = np.random.default_rng(0)
    if model == "mlp":
        x = rng.normal(size=(4, 5))
        shapes = [(6, 5), (6,), (3, 6), (3,)]
    elif model == "conv":
        x = rng.normal(size=(2, 1, 4, 4))
        shapes = [(2, 1, 3, 3)]
    else:
        x = rng.normal(size=(3,))
        shapes = [(3,)]
    params = [rng.normal(size=s) * 0.5 for s in shapes]
    vs = [rng.normal(size=s) for s in shapes]
    results = []
    for lib, fw in ((torch, tfw), (ember, efw)):
        ps = [lib.tensor(p, requires_grad=True) for p in params]
        xt = lib.tensor(x)
        with fw.dual_level():
            duals = [fw.make_dual(p, lib.tensor(v)) for p, v in zip(ps, vs)]
            if model == "mlp":
                loss = _mlp(lib, xt, duals)
            elif model == "conv":
                loss = _conv_net(lib, xt, duals)
            else:
                (w,) = duals
                loss = ((w * xt).sin() * w.exp()).sum() ** 2
            grads = lib.autograd.grad(loss, ps, create_graph=create_graph)
            hvp = [fw.unpack_dual(g).tangent for g in grads]
        results.append([h.detach().numpy() for h in hvp])
    for t, e in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-12)


def test_hessian_vector_product_by_finite_differences():
    x0 = np.array([0.3, -0.8, 1.1])
    v = np.array([0.5, 1.0, -2.0])

    def grad_at(a):
        x = ember.tensor(a, requires_grad=True)
        (g,) = ember.autograd.grad((x.tanh() * x.exp()).prod() + (x ** 3).sum(), x)
        return g.numpy()

    x = ember.tensor(x0, requires_grad=True)
    with efw.dual_level():
        d = efw.make_dual(x, ember.tensor(v))
        (g,) = ember.autograd.grad((d.tanh() * d.exp()).prod() + (d ** 3).sum(), x)
        hvp = efw.unpack_dual(g).tangent.numpy()
    fd = (grad_at(x0 + 1e-6 * v) - grad_at(x0 - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(hvp, fd, rtol=1e-6, atol=1e-8)


# -- in-place ops and views --------------------------------------------------------------------
def _inplace_case(lib, fw, case):
    x = lib.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    tx = lib.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    y = lib.tensor([2.0, -1.0, 0.5])
    ty = lib.tensor([1.0, 2.0, 3.0])
    with fw.dual_level():
        d = fw.make_dual(x.clone(), tx)
        e = fw.make_dual(y.clone(), ty)
        out = case(lib, d, e)
        pieces = out if isinstance(out, tuple) else (out,)
        return [(p.tolist(), None if fw.unpack_dual(p).tangent is None
                 else fw.unpack_dual(p).tangent.tolist()) for p in pieces]


def _c_mul_(lib, d, e):
    d.mul_(e)
    return d


def _c_view_mul_(lib, d, e):
    v = d[0]
    v.mul_(e)
    return d, v


def _c_transpose_view(lib, d, e):
    v = d.t()
    v[1].add_(e[:2])
    return d, v


def _c_setitem_into_plain(lib, d, e):
    z = lib.zeros(3, 4)
    z[1, 1:] = e
    z[2] = 5.0
    return (z,)


def _c_copy_into_view_of_plain(lib, d, e):
    z = lib.zeros(2, 3)
    z[0].copy_(e)
    return (z, z[0])


def _c_plain_view_then_base_tangent(lib, d, e):
    z = lib.zeros(3)
    v = z[1:]
    v.add_(e[1:])
    return (z, v)


def _c_view_of_dual_shares_tangent(lib, d, e):
    v = d.view(6)
    d.mul_(2)
    return (d, v)


def _c_zero_and_fill(lib, d, e):
    d[0].zero_()
    e.fill_(3.0)
    return (d, e)


def _c_relu_and_exp_inplace(lib, d, e):
    d.relu_()
    e.exp_()
    return (d, e)


def _c_chained_views(lib, d, e):
    a = d.unsqueeze(0).transpose(1, 2)
    b = a[0, 1:]
    return (a, b, d.reshape(3, 2), d.expand(2, 2, 3))


def _c_split_unbind(lib, d, e):
    return (*d.split([1, 2], dim=1), *d.unbind(0))


def _c_index_put_(lib, d, e):
    d.index_put_((lib.tensor([0, 1]), lib.tensor([2, 0])), e[:2], accumulate=True)
    return (d,)


@pytest.mark.parametrize("case", [
    _c_mul_, _c_view_mul_, _c_transpose_view, _c_setitem_into_plain, _c_copy_into_view_of_plain,
    _c_plain_view_then_base_tangent, _c_view_of_dual_shares_tangent, _c_zero_and_fill,
    _c_relu_and_exp_inplace, _c_chained_views, _c_split_unbind, _c_index_put_,
], ids=lambda c: c.__name__[3:])
def test_inplace_and_views_match_torch(case):
    t = _inplace_case(torch, tfw, case)
    e = _inplace_case(ember, efw, case)
    assert len(t) == len(e)
    for (tv, tt), (ev, et) in zip(t, e):
        np.testing.assert_allclose(ev, tv, rtol=1e-6)
        assert (et is None) == (tt is None)
        if tt is not None:
            np.testing.assert_allclose(et, tt, rtol=1e-6)


def test_view_tangent_shares_memory_with_the_tangent():
    with efw.dual_level():
        t = ember.zeros(2, 3)
        d = efw.make_dual(ember.zeros(2, 3), t)
        v = d.t()[1]
        tv = efw.unpack_dual(v).tangent
        t[0, 1] = 7.0  # the view's tangent is a view of the base's tangent
        assert tv.tolist() == [7.0, 0.0]
        assert tv._base is t


# -- custom Functions ---------------------------------------------------------------------------
def _functions(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_forward(x, y)
            ctx.k = k
            return x * y * k, x.exp()

        @staticmethod
        def jvp(ctx, tx, ty, tk):
            assert tk is None
            x, y = ctx.saved_tensors
            return (tx * y + x * ty) * ctx.k, tx * x.exp()

        @staticmethod
        def backward(ctx, g1, g2):
            return None, None, None

    class Split(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * 2 + x * 0

    class NoJvp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class TooMany(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            return t, t

    class WrongShape(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            return t[:1]

    class SavesNumber(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x, 3)
            return x

    return Scale, Split, NoJvp, TooMany, WrongShape, SavesNumber


@pytest.mark.parametrize("which", range(6))
def test_function_jvp_matches_torch(which):
    def run(lib, fw):
        fn = _functions(lib)[which]
        with fw.dual_level():
            x = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([0.5, -1.0]))
            y = lib.tensor([3.0, 4.0])
            out = fn.apply(x, y, 2.0) if which == 0 else fn.apply(x)
            outs = out if isinstance(out, tuple) else (out,)
            return [fw.unpack_dual(o).tangent.tolist() for o in outs]

    t, e = _both(run)
    if t is not None:
        assert e == pytest.approx(t) if not isinstance(t, list) else \
            [pytest.approx(a) for a in t] == e


def test_function_forward_sees_plain_tensors():
    seen = []

    class Peek(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(efw.unpack_dual(x).tangent)
            return x.sin()

        @staticmethod
        def jvp(ctx, t):
            return t

    with efw.dual_level():
        d = efw.make_dual(ember.ones(2), ember.ones(2))
        out = Peek.apply(d)
        assert seen == [None]
        # the forward's own ops made no tangent: the output's is jvp's
        assert efw.unpack_dual(out).tangent.tolist() == [1.0, 1.0]


def test_function_without_tangent_inputs_skips_jvp():
    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            raise AssertionError("not called")

    with efw.dual_level():
        assert efw.unpack_dual(Boom.apply(ember.ones(2))).tangent is None


# -- gradcheck's forward checks ----------------------------------------------------------------
def test_gradcheck_catches_a_wrong_jvp():
    for lib in (torch, ember):
        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

            @staticmethod
            def jvp(ctx, t):
                return t * 3

        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        with pytest.raises(Exception) as info:
            lib.autograd.gradcheck(Wrong.apply, (x,), check_forward_ad=True)
        assert str(info.value).startswith(
            "Jacobian computed with forward mode mismatch for output 0 with respect to input 0,")
        assert lib.autograd.gradcheck(Wrong.apply, (x,), check_forward_ad=False)
        assert not lib.autograd.gradcheck(Wrong.apply, (x,), check_forward_ad=True,
                                          check_backward_ad=False, check_undefined_grad=False,
                                          raise_exception=False)


def test_gradcheck_argument_rules():
    x = ember.tensor([1.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(AssertionError, match="at least one of check_forward_ad"):
        ember.autograd.gradcheck(lambda a: a, (x,), check_forward_ad=False,
                                 check_backward_ad=False)
    with pytest.raises(AssertionError, match="at least one of check_fwd_over_rev"):
        ember.autograd.gradgradcheck(lambda a: a, (x,), check_fwd_over_rev=False,
                                     check_rev_over_rev=False)


# -- cost without a level -------------------------------------------------------------------------
def test_no_level_leaves_no_trace():
    assert not efw.state.active and efw.state.level == -1 and not efw.state.tangents
    x = ember.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert efw.unpack_dual(y).tangent is None
    assert not efw.state.tangents


def test_an_op_without_a_forward_rule_raises_pytorchs_error():
    from ember.ops._op import formula_node, record, unsupported

    node = formula_node("CtcLossBackward0", lambda g, x: g * 2, jvp=unsupported("_ctc_loss"))
    x = ember.ones(2, dtype=ember.float64, requires_grad=True)
    assert record(x._data * 2, node, (x,), (x,)).grad_fn.name() == "CtcLossBackward0"
    with efw.dual_level():
        d = efw.make_dual(x, ember.ones(2, dtype=ember.float64))
        with pytest.raises(NotImplementedError) as info:
            record(x._data * 2, node, (d,), (d,))
    assert str(info.value) == (
        "Trying to use forward AD with _ctc_loss that does not support it because it has not "
        "been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml")


def test_scatter_with_reduce_has_no_forward_rule():
    def run(lib, fw):
        with fw.dual_level():
            x = fw.make_dual(lib.ones(3), lib.ones(3))
            return lib.scatter(x, 0, lib.tensor([0, 1, 2]), x, reduce="multiply")

    _both(run)


def test_complex_tangents_through_ops_with_rules_match_torch():
    def run(lib, fw):
        z = lib.tensor([1 + 2j, 0.5 - 1j], dtype=lib.complex128)
        with fw.dual_level():
            d = fw.make_dual(z, lib.tensor([1 + 0j, 1j], dtype=lib.complex128))
            outs = [d.exp(), d * d, d.sum(), d.abs(), 1 / d, d.sin() + d]
            return [fw.unpack_dual(o).tangent.numpy() for o in outs]

    t, e = _both(run)
    for a, b in zip(t, e):
        np.testing.assert_allclose(b, a, rtol=1e-12)
