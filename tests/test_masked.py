"""torch.masked against PyTorch: the masked reductions on tensors with a mask, and MaskedTensor
(construction, printing, elementwise ops, reductions, shape ops, refusals and autograd)."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember

pytestmark = pytest.mark.filterwarnings("ignore:The PyTorch API of MaskedTensors")


def _inputs(T, dtype="float64"):
    g = np.random.default_rng(0)
    x = g.standard_normal((3, 4)).round(2)
    mask = np.array([[True, False, True, True], [False, False, False, False],
                     [True, True, False, True]])
    if dtype.startswith("int") or dtype == "bool":
        x = (x * 5).astype(np.int64)
    if dtype == "bool":
        x = x > 0
    return T.tensor(x, dtype=getattr(T, dtype)), T.tensor(mask)


def _same(a, b):
    """ember's result ``b`` is PyTorch's ``a``: values, dtypes, masks and printing."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    if isinstance(a, torch.masked.MaskedTensor):
        assert isinstance(b, ember.masked.MaskedTensor)
        assert repr(a) == repr(b)
        _same(a.get_mask(), b.get_mask())
        _same(a.to_tensor(0), b.to_tensor(0))
        return
    if isinstance(a, torch.Tensor):
        assert isinstance(b, ember.Tensor) and not isinstance(b, ember.masked.MaskedTensor)
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6,
                                   atol=1e-9, equal_nan=True)
        return
    assert a == b


def _both(fn):
    """fn(torch) and fn(ember): the same result, or the same exception and message."""
    try:
        expected = fn(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)) as info:
            fn(ember)
        assert str(info.value).replace("ember", "torch") == str(e)
        return e
    _same(expected, fn(ember))
    return expected


# -- the functional forms on a tensor and a mask -------------------------------------------------
FUNCTIONAL = {
    "sum": lambda T, x, m: T.masked.sum(x, mask=m),
    "sum_dim": lambda T, x, m: T.masked.sum(x, 1, mask=m),
    "sum_dims_keep": lambda T, x, m: T.masked.sum(x, (0, 1), keepdim=True, mask=m),
    "sum_nomask": lambda T, x, m: T.masked.sum(x, 0),
    "sum_dtype": lambda T, x, m: T.masked.sum(x, 1, dtype=T.float32, mask=m),
    "sum_bcast": lambda T, x, m: T.masked.sum(x, 0, mask=m[0]),
    "prod": lambda T, x, m: T.masked.prod(x, 1, mask=m),
    "prod_all": lambda T, x, m: T.masked.prod(x, mask=m),
    "cumsum": lambda T, x, m: T.masked.cumsum(x, 1, mask=m),
    "cumprod": lambda T, x, m: T.masked.cumprod(x, 0, mask=m),
    "amax": lambda T, x, m: T.masked.amax(x, 1, mask=m),
    "amax_all": lambda T, x, m: T.masked.amax(x, mask=m),
    "amin": lambda T, x, m: T.masked.amin(x, 1, keepdim=True, mask=m),
    "argmax": lambda T, x, m: T.masked.argmax(x, 1, mask=m),
    "argmin": lambda T, x, m: T.masked.argmin(x, 0, mask=m),
    "argmax_all": lambda T, x, m: T.masked.argmax(x, mask=m),
    "mean": lambda T, x, m: T.masked.mean(x, 1, mask=m),
    "mean_all": lambda T, x, m: T.masked.mean(x, mask=m),
    "mean_nomask": lambda T, x, m: T.masked.mean(x, 0, keepdim=True),
    "median": lambda T, x, m: T.masked.median(x, 1, mask=m),
    "median0": lambda T, x, m: T.masked.median(x, 0, keepdim=True, mask=m),
    "norm": lambda T, x, m: T.masked.norm(x, 2.0, 1, mask=m),
    "norm1": lambda T, x, m: T.masked.norm(x, 1, mask=m),
    "norm_inf": lambda T, x, m: T.masked.norm(x, math.inf, 0, mask=m),
    "norm_ninf": lambda T, x, m: T.masked.norm(x, -math.inf, 1, mask=m),
    "var": lambda T, x, m: T.masked.var(x, 1, mask=m),
    "var_biased": lambda T, x, m: T.masked.var(x, 1, False, mask=m),
    "var_corr": lambda T, x, m: T.masked.var(x, 0, correction=2, keepdim=True, mask=m),
    "var_nomask": lambda T, x, m: T.masked.var(x, 1),
    "std": lambda T, x, m: T.masked.std(x, 1, mask=m),
    "std_all": lambda T, x, m: T.masked.std(x, mask=m),
    "logsumexp": lambda T, x, m: T.masked.logsumexp(x, 1, mask=m),
    "logaddexp": lambda T, x, m: T.masked.logaddexp(x, x * 2, input_mask=m, other_mask=~m),
    "softmax": lambda T, x, m: T.masked.softmax(x, 1, mask=m),
    "log_softmax": lambda T, x, m: T.masked.log_softmax(x, 1, mask=m),
    "softmin": lambda T, x, m: T.masked.softmin(x, 0, mask=m),
    "softmax_dtype": lambda T, x, m: T.masked.softmax(x, -1, dtype=T.float32, mask=m),
    "normalize": lambda T, x, m: T.masked.normalize(x, 2.0, 1, mask=m),
    "normalize1": lambda T, x, m: T.masked.normalize(x, 1.0, 0, mask=m),
}


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_values(name):
    _both(lambda T: FUNCTIONAL[name](T, *_inputs(T)))


@pytest.mark.parametrize("name", ["sum", "sum_dim", "prod", "cumsum", "amax", "amin", "argmax",
                                  "median", "logsumexp"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
def test_functional_dtypes(name, dtype):
    _both(lambda T: FUNCTIONAL[name](T, *_inputs(T, dtype)))


@pytest.mark.parametrize("name", ["sum_dim", "prod", "cumsum", "cumprod", "amax", "amin",
                                  "mean", "norm", "norm1", "var", "std", "logsumexp",
                                  "softmax", "log_softmax", "softmin", "normalize", "median",
                                  "logaddexp"])
def test_functional_gradients(name):
    def grad(T):
        x, m = _inputs(T)
        m = m.clone()
        m[1, 0] = True  # no fully masked row: the values where PyTorch's gradient is finite
        x.requires_grad_()
        out = FUNCTIONAL[name](T, x, m)
        w = T.arange(out.numel(), dtype=out.dtype).reshape(out.shape) / 7 + 0.5
        (out.nan_to_num(0.0) * w).sum().backward()
        return x.grad

    _both(grad)


ERRORS = {
    "mean_int": lambda T, x, m: T.masked.mean(x.long(), mask=m),
    "mean_int_dtype": lambda T, x, m: T.masked.mean(x, dtype=T.int64, mask=m),
    "dim_twice": lambda T, x, m: T.masked.sum(x, (1, 1), mask=m),
    "dim_range": lambda T, x, m: T.masked.amax(x, 2, mask=m),
    "mask_ndim": lambda T, x, m: T.masked.sum(x[0], mask=m),
    "median_int_masked_row": lambda T, x, m: T.masked.median(x.long(), 1, mask=m),
    "var_unbiased_and_correction": lambda T, x, m: T.masked.var(x, 1, True, correction=1,
                                                                mask=m),
}


@pytest.mark.parametrize("name", ERRORS)
def test_functional_errors(name):
    assert isinstance(_both(lambda T: ERRORS[name](T, *_inputs(T))), Exception)


# -- MaskedTensor --------------------------------------------------------------------------------
def _mt(T, dtype="float64", requires_grad=False):
    x, m = _inputs(T, dtype)
    return T.masked.masked_tensor(x, m, requires_grad=requires_grad)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool"])
def test_printing(dtype):
    _both(lambda T: repr(_mt(T, dtype)))
    _both(lambda T: str(_mt(T, dtype)[0]))


def test_printing_0d_and_3d():
    _both(lambda T: repr(T.masked.masked_tensor(T.tensor(1.5), T.tensor(False))))
    _both(lambda T: repr(T.masked.masked_tensor(T.tensor(2.25), T.tensor(True))))
    _both(lambda T: repr(T.masked.masked_tensor(T.tensor(3), T.tensor(True))))
    _both(lambda T: repr(T.masked.masked_tensor(T.arange(12.).reshape(2, 3, 2) * 100,
                                                T.arange(12).reshape(2, 3, 2) % 3 == 0)))


def test_construction_and_parts():
    def parts(T):
        mt = _mt(T)
        return (mt.get_data(), mt.get_mask(), mt.to_tensor(-1.0), tuple(mt.shape), mt.dim(),
                mt.size(1), mt.numel(), str(mt.dtype).split(".")[1], mt.requires_grad, mt.is_leaf,
                T.masked.is_masked_tensor(mt), T.masked.is_masked_tensor(mt.get_data()),
                isinstance(mt, T.Tensor), mt.is_sparse, type(mt).__name__, len(mt))

    _both(parts)


def test_construction_warns():
    for T in (torch, ember):
        x, m = _inputs(T)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.masked.masked_tensor(x.requires_grad_(), m)
        texts = [str(i.message) for i in w]
        assert texts[0].startswith("The PyTorch API of MaskedTensors is in prototype stage")
        assert texts[1].startswith("It is not recommended to create a MaskedTensor with a tensor")
        assert all(i.category is UserWarning for i in w)


CONSTRUCTION_ERRORS = {
    "data": lambda T, x, m: T.masked.masked_tensor([1.0], m),
    "mask": lambda T, x, m: T.masked.masked_tensor(x, [True]),
    "mask_dtype": lambda T, x, m: T.masked.masked_tensor(x, m.long()),
    "dims": lambda T, x, m: T.masked.masked_tensor(x, m[0]),
    "sizes": lambda T, x, m: T.masked.masked_tensor(x, m[:2]),
    "uint8": lambda T, x, m: T.masked.masked_tensor(x.to(T.uint8), m),
    "complex": lambda T, x, m: T.masked.masked_tensor(x.to(T.complex64), m),
    "nested": lambda T, x, m: T.masked.masked_tensor(T.masked.masked_tensor(x, m), m),
}


@pytest.mark.parametrize("name", CONSTRUCTION_ERRORS)
def test_construction_errors(name):
    assert isinstance(_both(lambda T: CONSTRUCTION_ERRORS[name](T, *_inputs(T))), Exception)


UNARY = ["abs", "neg", "exp", "sin", "cos", "tanh", "sigmoid", "sqrt", "log", "log1p", "floor",
         "ceil", "round", "sign", "square", "reciprocal", "rsqrt", "trunc", "frac", "isnan",
         "expm1", "erf", "atan", "sinh", "deg2rad", "signbit", "positive", "nan_to_num"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    _both(lambda T: getattr(T, name)(_mt(T)))
    _both(lambda T: getattr(_mt(T), name)())


@pytest.mark.parametrize("name", ["abs_", "exp_", "neg_", "sin_", "clamp_"])
def test_unary_inplace(name):
    def run(T):
        mt = _mt(T)
        out = getattr(mt, name)(*((0.0, 0.5) if name == "clamp_" else ()))
        return out is mt, mt

    _both(run)


def test_unary_with_arguments():
    _both(lambda T: T.clamp(_mt(T), -0.5, 0.5))
    _both(lambda T: _mt(T).pow(2))
    _both(lambda T: _mt(T) ** 2)
    _both(lambda T: T.clamp(_mt(T), min=-0.5))
    _both(lambda T: T.clamp(_mt(T), T.tensor(0.0)))


BINARY = {
    "add_scalar": lambda T, a, b, x: a + 1,
    "radd": lambda T, a, b, x: 2 + a,
    "sub_tensor": lambda T, a, b, x: a - x,
    "rsub": lambda T, a, b, x: 1 - a,
    "mul": lambda T, a, b, x: a * b,
    "div": lambda T, a, b, x: a / 2,
    "torch_add": lambda T, a, b, x: T.add(a, b),
    "torch_mul": lambda T, a, b, x: T.mul(a, x),
    "maximum": lambda T, a, b, x: T.maximum(a, b),
    "atan2": lambda T, a, b, x: T.atan2(a, b),
    "logaddexp": lambda T, a, b, x: T.logaddexp(a, b),
    "lt": lambda T, a, b, x: a < 0.1,
    "ge": lambda T, a, b, x: a >= b,
    "eq": lambda T, a, b, x: a == b,
    "ne": lambda T, a, b, x: T.ne(a, 0.0),
    "fmod": lambda T, a, b, x: T.fmod(a, 0.3),
    "floor_divide": lambda T, a, b, x: T.floor_divide(a, 0.3),
    "bcast_row": lambda T, a, b, x: a + x[0],
}


@pytest.mark.parametrize("name", BINARY)
def test_binary(name):
    def run(T):
        a = _mt(T)
        x, m = _inputs(T)
        b = T.masked.masked_tensor(x.flip(0), m)
        return BINARY[name](T, a, b, x)

    _both(run)


def test_binary_inplace():
    def run(T):
        a = _mt(T)
        x, m = _inputs(T)
        out = a.add_(T.masked.masked_tensor(x * 3, m))
        return out is a, a, a.mul_(2), a.sub_(x)

    _both(run)


BINARY_ERRORS = {
    "masks": lambda T, a, x, m: a + T.masked.masked_tensor(x, ~m),
    "masks_torch": lambda T, a, x, m: T.mul(a, T.masked.masked_tensor(x, ~m)),
    "matmul": lambda T, a, x, m: a @ x.T,
    "permute": lambda T, a, x, m: a.permute(1, 0),
    "log_softmax": lambda T, a, x, m: a.log_softmax(1),
    "max": lambda T, a, x, m: a.max(),
    "tolist": lambda T, a, x, m: a.tolist(),
}


@pytest.mark.parametrize("name", BINARY_ERRORS)
def test_refusals(name):
    def run(T):
        x, m = _inputs(T)
        return BINARY_ERRORS[name](T, _mt(T), x, m)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert isinstance(_both(run), Exception)


def test_refusal_warns():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="permute is not implemented in __torch_dispatch__"):
            with pytest.raises(TypeError):
                _mt(T).permute(1, 0)


REDUCTIONS = {
    "sum": lambda T, a: a.sum(),
    "sum_dim": lambda T, a: a.sum(1),
    "sum_keep": lambda T, a: a.sum(0, keepdim=True),
    "torch_sum": lambda T, a: T.sum(a, 1),
    "mean": lambda T, a: a.mean(),
    "mean_dim": lambda T, a: T.mean(a, 0),
    "amax": lambda T, a: a.amax(),
    "amax_dim": lambda T, a: a.amax(1),
    "amin_dim": lambda T, a: T.amin(a, 0),
    "argmax": lambda T, a: T.argmax(a),
    "argmin_dim": lambda T, a: a.argmin(1),
    "prod": lambda T, a: a.prod(),
    "prod_dim": lambda T, a: a.prod(1),
    "var": lambda T, a: a.var(),
    "var_dim": lambda T, a: a.var(1),
    "std_dim": lambda T, a: T.std(a, 0),
    "all": lambda T, a: (a > 0).all(),
    "all_dim": lambda T, a: (a > 0).all(1),
    "item": lambda T, a: a.amax().item(),
}


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name):
    _both(lambda T: REDUCTIONS[name](T, _mt(T)))


SHAPE = {
    "getitem": lambda T, a: a[0],
    "getitem_col": lambda T, a: a[:, 1],
    "getitem_slice": lambda T, a: a[1:, ::2],
    "transpose": lambda T, a: a.transpose(0, 1),
    "t": lambda T, a: a.t(),
    "select": lambda T, a: a.select(1, 2),
    "reshape": lambda T, a: a.reshape(6, 2),
    "view": lambda T, a: a.view(2, 6),
    "flatten": lambda T, a: a.flatten(),
    "unsqueeze": lambda T, a: a.unsqueeze(0),
    "expand": lambda T, a: a[:1].expand(3, 4),
    "cat": lambda T, a: T.cat([a, a], 1),
    "stack": lambda T, a: T.stack([a, a]),
    "split": lambda T, a: a.split(2, 1),
    "chunk": lambda T, a: a.chunk(2),
    "narrow": lambda T, a: a.narrow(1, 1, 2),
    "unfold": lambda T, a: a.unfold(1, 2, 1),
    "where": lambda T, a: T.where(a.get_mask(), a, 0.5),
    "where_tensor": lambda T, a: T.where(a.get_data() > 0, a, T.zeros(3, 4, dtype=T.float64)),
    "softmax": lambda T, a: a.softmax(1),
    "F_softmax": lambda T, a: T.nn.functional.softmax(a, 0),
    "to": lambda T, a: a.to(T.float32),
    "float": lambda T, a: a.float(),
    "clone": lambda T, a: a.clone(),
    "detach": lambda T, a: a.detach(),
    "contiguous": lambda T, a: a.t().contiguous(),
    "ones_like": lambda T, a: T.ones_like(a),
}


@pytest.mark.parametrize("name", SHAPE)
def test_shape_and_other_ops(name):
    _both(lambda T: SHAPE[name](T, _mt(T)))


def test_copy_():
    def run(T):
        a = _mt(T)
        x, m = _inputs(T)
        a.copy_(T.masked.masked_tensor(x * 2, m))
        return a

    _both(run)


def test_functional_forms_take_a_masked_tensor():
    _both(lambda T: T.masked.sum(_mt(T), 1))
    _both(lambda T: T.masked.softmax(_mt(T), 1))
    _both(lambda T: T.masked.mean(_mt(T), 1))
    _both(lambda T: T.masked.var(_mt(T), 1))


# -- autograd through MaskedTensor ------------------------------------------------------------------
GRADS = {
    "sum": lambda T, x: x.sum(),
    "sum_dim": lambda T, x: x.sum(1).sum(),
    "exp_mul": lambda T, x: (x * 2).exp().sum(1).sum(),
    "mean": lambda T, x: x.mean(),
    "amax_dim": lambda T, x: x.amax(1).sum(),
    "softmax": lambda T, x: (x.softmax(1) * T.arange(12.).reshape(3, 4).double()).sum(),
    "add_self": lambda T, x: (x + x).sum(),
    "to_tensor": lambda T, x: x.to_tensor(0.0).sum(),
    "prod_dim": lambda T, x: x.prod(1).sum(),
}


@pytest.mark.parametrize("name", GRADS)
def test_autograd(name):
    def run(T):
        x = _mt(T, requires_grad=True)
        y = GRADS[name](T, x)
        y.backward()
        return (type(x.grad).__name__, x.grad, y.requires_grad, x.is_leaf)

    _both(run)


def test_autograd_grad_data():
    def run(T):
        x = _mt(T, requires_grad=True)
        (x * 2).exp().sum(1).sum().backward()
        g = x.grad.get_data()
        return g

    _both(run)


def test_as_masked_tensor_keeps_history():
    def run(T):
        x, m = _inputs(T)
        x.requires_grad_()
        mt = T.masked.as_masked_tensor(x * 3, m)
        out = mt.sum(1)
        (g,) = T.autograd.grad(out.get_data().sum(), x)
        return mt.is_leaf, mt.requires_grad, g.get_data() if T is torch else g

    _both(run)
