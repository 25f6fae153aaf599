"""torch.func against PyTorch: grad, vjp, jvp, jacrev, jacfwd, hessian, vmap, their
compositions, their errors, and the recipes of PyTorch's docs (per-sample gradients, model
ensembling) plus a MAML step and a WGAN-GP gradient penalty."""

import warnings

import numpy as np
import pytest
import torch

import ember


def _np(x):
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    return x.detach().numpy()


def _same(a, b, tol=1e-10):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (type(a), type(b))
        for x, y in zip(a, b):
            _same(x, y, tol)
        return
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k], tol)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def both(fn):
    """fn(lib) on torch and on ember, results compared at float64 tolerance."""
    _same(_np(fn(torch)), _np(fn(ember)))


X = np.linspace(-1.3, 1.1, 12).reshape(3, 4)
W = np.linspace(-0.5, 0.7, 20).reshape(4, 5)


def T(lib, a):
    return lib.tensor(a)


CASES = {
    "grad": lambda L: L.func.grad(lambda x: (x.sin() * x).sum())(T(L, X)),
    "grad_argnums": lambda L: L.func.grad(lambda x, w: (x @ w).tanh().sum(), argnums=(0, 1))(
        T(L, X), T(L, W)),
    "grad_argnum1": lambda L: L.func.grad(lambda x, w: (x @ w).pow(2).mean(), argnums=1)(
        T(L, X), T(L, W)),
    "grad_dict": lambda L: L.func.grad(lambda p, x: (x @ p["w"] + p["b"]).exp().sum())(
        {"w": T(L, W), "b": T(L, W[0])}, T(L, X)),
    "grad_aux": lambda L: L.func.grad(lambda x: ((x ** 3).sum(), x.cos()), has_aux=True)(
        T(L, X)),
    "grad_and_value": lambda L: L.func.grad_and_value(lambda x: x.exp().mean())(T(L, X)),
    "grad_grad": lambda L: L.func.grad(lambda x: L.func.grad(
        lambda y: (y.sin() * y.sum()).sum())(x).pow(2).sum())(T(L, X)),
    "grad_unused": lambda L: L.func.grad(lambda x, y: (y * 2).sum(), argnums=(0, 1))(
        T(L, X), T(L, X)),
    "vjp": lambda L: L.func.vjp(lambda x: x.exp() * x, T(L, X))[1](T(L, X) + 1),
    "vjp_tuple": lambda L: L.func.vjp(lambda x, w: (x @ w, x.sum()), T(L, X), T(L, W))[1](
        (T(L, np.ones((3, 5))), T(L, np.array(2.0)))),
    "jvp": lambda L: L.func.jvp(lambda x: x.exp() * x, (T(L, X),), (T(L, X) * 0.5,)),
    "jvp_two": lambda L: L.func.jvp(lambda x, w: (x @ w).sigmoid(), (T(L, X), T(L, W)),
                                     (T(L, X), T(L, W) * 2)),
    "linearize": lambda L: L.func.linearize(lambda x: x.sin() * 3, T(L, X))[1](T(L, X) + 2),
    "jacrev": lambda L: L.func.jacrev(lambda x: (x @ T(L, W)).tanh())(T(L, X[0])),
    "jacrev_matrix": lambda L: L.func.jacrev(lambda x: x.softmax(-1))(T(L, X)),
    "jacrev_argnums": lambda L: L.func.jacrev(lambda x, w: x @ w, argnums=(0, 1))(
        T(L, X[0]), T(L, W)),
    "jacrev_outputs": lambda L: L.func.jacrev(lambda x: (x.sin(), x.sum()))(T(L, X[1])),
    "jacrev_aux": lambda L: L.func.jacrev(lambda x: (x.exp(), x.sum()), has_aux=True)(
        T(L, X[1])),
    "jacrev_chunk": lambda L: L.func.jacrev(lambda x: x.cumsum(0), chunk_size=2)(T(L, X[2])),
    "jacfwd": lambda L: L.func.jacfwd(lambda x: (x @ T(L, W)).tanh())(T(L, X[0])),
    "jacfwd_argnums": lambda L: L.func.jacfwd(lambda x, w: (x @ w).exp(), argnums=(0, 1))(
        T(L, X[0]), T(L, W)),
    "jacfwd_aux": lambda L: L.func.jacfwd(lambda x: (x.exp(), x.sum()), has_aux=True)(
        T(L, X[1])),
    "hessian": lambda L: L.func.hessian(lambda x: (x.sin() ** 2).sum() * x.prod())(T(L, X[0])),
    "hessian_of_vector": lambda L: L.func.hessian(lambda x: x.sin() * 2)(T(L, X[0])),
    "hessian_matrix": lambda L: L.func.hessian(lambda x: (x @ T(L, W)).tanh().sum())(T(L, X)),
    "jacrev_jacrev": lambda L: L.func.jacrev(L.func.jacrev(lambda x: (x ** 3).sum()))(
        T(L, X[0])),
    "jacfwd_jacfwd": lambda L: L.func.jacfwd(L.func.jacfwd(lambda x: x.sin() * x.sum()))(
        T(L, X[0])),
    "vmap_grad": lambda L: L.func.vmap(L.func.grad(lambda x: (x.sin() * x).sum()))(T(L, X)),
    "vmap_grad_none": lambda L: L.func.vmap(L.func.grad(lambda w, x: (x @ w).tanh().sum()),
                                            in_dims=(None, 0))(T(L, W), T(L, X)),
    "vmap_jacrev": lambda L: L.func.vmap(L.func.jacrev(lambda x: x.sin() * x.sum()))(T(L, X)),
    "vmap_jacfwd": lambda L: L.func.vmap(L.func.jacfwd(lambda x: x.exp() / x.sum()))(T(L, X)),
    "vmap_hessian": lambda L: L.func.vmap(L.func.hessian(lambda x: (x ** 4).sum()))(T(L, X)),
    "vmap_vmap": lambda L: L.func.vmap(L.func.vmap(lambda a, b: a * b + a.sum()))(
        T(L, X), T(L, X) + 1),
    "vmap_vjp": lambda L: L.func.vmap(lambda x, v: L.func.vjp(lambda y: y.tanh(), x)[1](v))(
        T(L, X), T(L, X)),
    "vmap_jvp": lambda L: L.func.vmap(lambda x, v: L.func.jvp(lambda y: y.tanh() * y, (x,),
                                                              (v,)))(T(L, X), T(L, X)),
    "grad_of_vmap": lambda L: L.func.grad(lambda x: L.func.vmap(lambda r: r.sin().sum())(x).pow(
        2).sum())(T(L, X)),
    "vmap_in_out_dims": lambda L: L.func.vmap(lambda a, b: (a + b, a * 2), in_dims=(1, None),
                                              out_dims=(1, 0))(T(L, X), T(L, X[:, 0])),
    "vmap_kwargs": lambda L: L.func.vmap(lambda a, scale=1.0: a * scale)(T(L, X), scale=3.0),
    "vmap_chunk": lambda L: L.func.vmap(lambda a: a.exp().sum(), chunk_size=2)(T(L, X)),
    "vmap_nested_in_dims": lambda L: L.func.vmap(L.func.vmap(lambda a: a.sum(), in_dims=1))(
        T(L, X.reshape(3, 2, 2))),
    "vmap_dict": lambda L: L.func.vmap(lambda d: d["a"] @ d["b"], in_dims=({"a": 0, "b": None},))(
        {"a": T(L, X), "b": T(L, W)}),
    "vmap_out_none": lambda L: L.func.vmap(lambda a, b: (a * 2, b), in_dims=(0, None),
                                           out_dims=(0, None))(T(L, X), T(L, W)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_transform_matches_pytorch(name):
    both(CASES[name])


def test_autograd_outside_the_transforms_sees_through_them():
    """torch.func.grad's result stays differentiable by the user's own autograd."""
    def run(L):
        w = T(L, W).requires_grad_()
        g = L.func.grad(lambda x: (x @ w).tanh().sum())(T(L, X))
        assert g.requires_grad
        g.pow(2).sum().backward()
        return w.grad

    both(run)


def test_top_level_results_do_not_require_grad():
    g = ember.func.grad(lambda x: (x * x).sum())(ember.tensor(X))
    v = ember.func.vmap(lambda x: x * 2)(ember.tensor(X))
    assert not g.requires_grad and g.grad_fn is None and not v.requires_grad


# -- errors -------------------------------------------------------------------------------
def _error(fn):
    out = []
    for L in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(L)
        # names print as each library's own (ember.Size, torch.Size)
        out.append((type(info.value), str(info.value).replace("torch.", "ember.")))
    return out


ERRORS = {
    "item": lambda L: L.func.vmap(lambda t: t.item())(T(L, X)),
    "control_flow": lambda L: L.func.vmap(lambda t: t if t.sum() > 0 else -t)(T(L, X)),
    "random": lambda L: L.func.vmap(lambda t: t + L.randn(4))(T(L, X)),
    "in_dim_range": lambda L: L.func.vmap(lambda t: t, in_dims=2)(T(L, X)),
    "in_dim_not_tensor": lambda L: L.func.vmap(lambda t: t)(5),
    "sizes": lambda L: L.func.vmap(lambda t, u: t + u)(T(L, X), T(L, W)),
    "non_tensor_out": lambda L: L.func.vmap(lambda t: 3)(T(L, X)),
    "randomness_name": lambda L: L.func.vmap(lambda t: t, randomness="foo")(T(L, X)),
    "no_inputs": lambda L: L.func.vmap(lambda: 1)(),
    "numpy": lambda L: L.func.vmap(lambda t: t.numpy())(T(L, X)),
    "grad_not_scalar": lambda L: L.func.grad(lambda x: x * 2)(T(L, X)),
    "grad_not_tensor": lambda L: L.func.grad(lambda x: 3.0)(T(L, X)),
    "grad_aux_not_tuple": lambda L: L.func.grad(lambda x: x.sum(), has_aux=True)(T(L, X)),
    "grad_argnums_range": lambda L: L.func.grad(lambda x: x.sum(), argnums=3)(T(L, X)),
    "inplace_unbatched": lambda L: L.func.vmap(lambda t: L.zeros(4).add_(t))(T(L, X)),
    "jvp_tangent_shape": lambda L: L.func.jvp(lambda x: x, (T(L, X),), (L.ones(2),)),
    "vjp_not_tensor": lambda L: L.func.vjp(lambda x: 3, T(L, X)),
    "vjp_cotangent_shape": lambda L: L.func.vjp(lambda x: x * 2, T(L, X))[1](L.ones(2)),
    "in_dims_float": lambda L: L.func.vmap(lambda x: x, in_dims=0.5)(T(L, X)),
    "out_none_leaf": lambda L: L.func.vmap(lambda x: (x, None))(T(L, X)),
    "out_dims_range": lambda L: L.func.vmap(lambda x: x * 2, out_dims=3)(T(L, X)),
    "argnums_unique": lambda L: L.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 0))(
        T(L, X), T(L, X)),
    "argnums_type": lambda L: L.func.grad(lambda a: a.sum(), argnums="0")(T(L, X)),
    "chunk_size": lambda L: L.func.vmap(lambda x: x, chunk_size=0)(T(L, X)),
    "int_grad": lambda L: L.func.grad(lambda x: x.sum())(L.arange(3)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_pytorch(name):
    (tt, tm), (et, em) = _error(ERRORS[name])
    assert et is tt, (et, tt, em, tm)
    assert em == tm


def test_randomness_modes():
    x = ember.zeros(4, 3)
    ember.manual_seed(0)
    diff = ember.func.vmap(lambda t: t + ember.rand(3), randomness="different")(x)
    same = ember.func.vmap(lambda t: t + ember.rand(3), randomness="same")(x)
    assert not np.allclose(diff[0].numpy(), diff[1].numpy())
    assert np.allclose(same.numpy(), same[0].numpy())
    drop = ember.func.vmap(lambda t: ember.nn.functional.dropout(t + 1, 0.5),
                           randomness="same")(x)
    assert np.allclose(drop.numpy(), drop[0].numpy())
    drop = ember.func.vmap(lambda t: ember.nn.functional.dropout(t + 1, 0.5),
                           randomness="different")(ember.zeros(64, 50))
    assert not np.allclose(drop[0].numpy(), drop[1].numpy())


def test_an_op_without_a_rule_warns_once_and_is_right():
    from ember.func import _vmap

    _vmap._warned.discard("masked_select")
    x = ember.tensor(X)
    with pytest.warns(UserWarning, match="performance drop.*masked_select"):
        out = ember.func.vmap(lambda t: t.masked_select(t > -10))(x)
    _same(out.numpy(), X)


def test_vmap_runs_each_op_once_on_the_batch():
    """A batching rule calls the op once, on the stacked tensors, not once per sample."""
    import ember.ops.elementwise as ew

    calls = []
    real = ew.mul

    def counting(a, b):
        calls.append(1)
        return real(a, b)

    x = ember.randn(100, 8)
    ember.func.vmap(lambda t: ember.mul(t, t))(x)
    assert len(calls) == 0  # the namespace's mul: no Python-level re-dispatch per sample
    out = ember.func.vmap(lambda t: t * t)(x)
    _same(out.numpy(), (x * x).numpy())


# -- recipes ------------------------------------------------------------------------------
def _mlp(L):
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(6, 16), L.nn.ReLU(), L.nn.Linear(16, 3)).double()
    L.manual_seed(1)
    data = L.randn(8, 6, dtype=L.float64)
    targets = L.randint(0, 3, (8,))
    return model, data, targets


def test_per_sample_gradients_recipe():
    """The per-sample-gradients tutorial: vmap(grad(loss)) through functional_call."""
    def run(L):
        model, data, targets = _mlp(L)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            batch = sample.unsqueeze(0)
            out = L.func.functional_call(model, (params, buffers), (batch,))
            return L.nn.functional.cross_entropy(out, target.unsqueeze(0))

        grads = L.func.vmap(L.func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, data, targets)
        return grads

    both(run)


def test_per_sample_gradients_equal_a_loop():
    model, data, targets = _mlp(ember)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, x, t):
        out = ember.func.functional_call(model, p, (x.unsqueeze(0),))
        return ember.nn.functional.cross_entropy(out, t.unsqueeze(0))

    batched = ember.func.vmap(ember.func.grad(loss), in_dims=(None, 0, 0))(params, data, targets)
    for i in range(8):
        one = ember.func.grad(loss)(params, data[i], targets[i])
        for k in params:
            _same(batched[k][i].numpy(), one[k].numpy())


def test_model_ensembling_recipe():
    def run(L):
        L.manual_seed(0)
        models = [L.nn.Sequential(L.nn.Linear(5, 7), L.nn.Tanh(), L.nn.Linear(7, 2)).double()
                  for _ in range(4)]
        L.manual_seed(3)
        x = L.randn(6, 5, dtype=L.float64)
        params, buffers = L.func.stack_module_state(models)
        base = models[0]

        def fmodel(p, b, x):
            return L.func.functional_call(base, (p, b), (x,))

        same_batch = L.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
        minibatches = x.reshape(2, 3, 5).repeat(2, 1, 1)
        own_batch = L.func.vmap(fmodel)(params, buffers, minibatches)
        return same_batch, own_batch

    both(run)


def test_maml_second_order_step():
    """One MAML meta-gradient: an inner SGD step differentiated through (create_graph)."""
    def run(L):
        L.manual_seed(0)
        model = L.nn.Linear(3, 1).double()
        params = {k: v for k, v in model.named_parameters()}
        L.manual_seed(1)
        xs, ys = L.randn(5, 3, dtype=L.float64), L.randn(5, 1, dtype=L.float64)
        xq, yq = L.randn(5, 3, dtype=L.float64), L.randn(5, 1, dtype=L.float64)

        def loss(p, x, y):
            return ((L.func.functional_call(model, p, (x,)) - y) ** 2).mean()

        def meta_loss(p):
            g = L.func.grad(loss)(p, xs, ys)
            fast = {k: p[k] - 0.1 * g[k] for k in p}
            return loss(fast, xq, yq)

        return L.func.grad(meta_loss)(params)

    both(run)


def test_wgan_gp_gradient_penalty():
    def run(L):
        L.manual_seed(0)
        critic = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 1)).double()
        L.manual_seed(1)
        real, fake = L.randn(6, 4, dtype=L.float64), L.randn(6, 4, dtype=L.float64)
        alpha = L.rand(6, 1, dtype=L.float64)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        scores = critic(mixed)
        grads = L.autograd.grad(scores, mixed, L.ones_like(scores), create_graph=True)[0]
        penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
        loss.backward()
        return [loss] + [p.grad for p in critic.parameters()]

    both(run)


def test_chunks_with_same_randomness_draw_the_same_numbers():
    x = ember.zeros(6, 3)
    out = ember.func.vmap(lambda t: t + ember.rand(3), randomness="same", chunk_size=2)(x)
    assert np.allclose(out.numpy(), out[0].numpy())
    out = ember.func.vmap(lambda t: t + ember.rand(3), randomness="different", chunk_size=2)(x)
    assert len({tuple(r) for r in out.numpy().round(8)}) == 6


def test_autograd_grad_with_batched_grad_outputs():
    def run(L):
        x = L.tensor(X[0]).requires_grad_()
        w = L.tensor(W[:, :3]).requires_grad_()
        y = (x @ w).tanh() * x.sum()
        out = L.autograd.grad(y, (x, w), L.tensor(np.eye(3) * 2 + 1), is_grads_batched=True)
        z = (x * 2).cumsum(0)  # a backward formula that runs once per sample
        out2 = L.autograd.grad(z, x, L.eye(4, dtype=L.float64), is_grads_batched=True)
        return list(out) + list(out2)

    both(run)


def test_batched_grad_outputs_of_the_wrong_shape_fail_as_in_pytorch():
    def run(L):
        x = L.tensor(X).requires_grad_()
        return L.autograd.grad(x.sum(0), x, L.ones(2, 3, dtype=L.float64),
                               is_grads_batched=True)

    (tt, tm), (et, em) = _error(run)
    assert et is tt and "is_grads_batched=True" in em and "[2, 3]" in em


def test_forward_mode_with_a_batch_of_tangents():
    """vmap over forward_ad's jvp (one tangent per sample: a Jacobian by columns) through ops
    whose forward rule is written beside their backward (pointwise ops, mm, sum); gradcheck's
    batched forward check on the same function."""
    import ember.autograd.forward_ad as fwAD

    def f(L, x, w):
        return ((x @ w).tanh() * x.sum() + (x.exp() - 1) @ w).sin()

    w = ember.tensor(W)

    def jvp(t):
        with fwAD.dual_level():
            d = fwAD.make_dual(ember.tensor(X), t)
            return fwAD.unpack_dual(f(ember, d, w)).tangent

    basis = ember.eye(12, dtype=ember.float64).reshape(12, 3, 4)
    cols = ember.func.vmap(jvp)(basis)  # (12, 3, 5): d out / d x[i, j] for each (i, j)
    want = torch.func.jacfwd(lambda x: f(torch, x, torch.tensor(W)))(torch.tensor(X))
    _same(cols.numpy(), want.reshape(3, 5, 12).permute(2, 0, 1).numpy())
    x = ember.tensor(X).requires_grad_()
    assert ember.autograd.gradcheck(lambda x: f(ember, x, w), (x,), check_forward_ad=True,
                                    check_batched_forward_grad=True)
