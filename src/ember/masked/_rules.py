"""The ops a MaskedTensor supports, registered in ``maskedtensor.core.RULES`` by their names.

Each rule gets the op itself (``fn``, the public op, which then runs on plain tensors) and the
call's arguments:
- elementwise unary ops run on the data and keep the mask;
- binary ops need the two masks to match (a plain tensor or number takes the other's);
- reductions (sum, mean, amax, ...) are ember.masked's reductions, their mask whether any
  element was specified;
- shape ops (transpose, select, view, cat, ...) run on the data and on the mask alike;
- the rest (where, softmax, to, clone, ...) as PyTorch's MaskedTensor defines them.
An op not listed here is refused as PyTorch refuses it (``core.handle``).
"""

from .._tensor import Tensor
from ..ops.activation import softmax as _softmax
from ..ops.creation import ones_like, zeros_like
from ..ops.elementwise import where
from . import _ops
from .maskedtensor.core import RULES, MaskedTensor, is_masked_tensor
from .maskedtensor.creation import as_masked_tensor

UNARY = (
    "abs", "absolute", "acos", "arccos", "acosh", "arccosh", "angle", "asin", "arcsin", "asinh",
    "arcsinh", "atan", "arctan", "atanh", "arctanh", "bitwise_not", "ceil", "clamp", "clip",
    "conj_physical", "cos", "cosh", "deg2rad", "digamma", "erf", "erfc", "erfinv", "exp", "exp2",
    "expm1", "fix", "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "logit", "i0",
    "isnan", "nan_to_num", "neg", "negative", "positive", "pow", "rad2deg", "reciprocal",
    "round", "rsqrt", "sigmoid", "sign", "sgn", "signbit", "sin", "sinc", "sinh", "sqrt",
    "square", "tan", "tanh", "trunc",
)
UNARY_INPLACE = tuple(n + "_" for n in UNARY if n not in ("angle", "positive", "signbit",
                                                          "isnan"))
BINARY = (
    "add", "atan2", "arctan2", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
    "bitwise_right_shift", "div", "divide", "floor_divide", "fmod", "logaddexp", "logaddexp2",
    "mul", "multiply", "nextafter", "remainder", "sub", "subtract", "true_divide", "eq", "ne",
    "le", "ge", "greater", "greater_equal", "gt", "less_equal", "lt", "less", "maximum",
    "minimum", "fmax", "fmin", "not_equal",
)
BINARY_INPLACE = tuple(n + "_" for n in BINARY if n not in ("logaddexp", "logaddexp2", "fmin",
                                                            "minimum", "maximum", "fmax"))
# the operators, under the op they are
OPERATORS = {
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__eq__": "eq",
    "__ne__": "ne", "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor",
    "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor",
    "__lshift__": "bitwise_left_shift", "__rshift__": "bitwise_right_shift",
    "__truediv__": "div", "__rtruediv__": "div", "__floordiv__": "floor_divide",
    "__rfloordiv__": "floor_divide", "__mod__": "remainder", "__rmod__": "remainder",
    "__iand__": "bitwise_and_", "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_",
}
# (Tensor.norm runs linalg_vector_norm in PyTorch, which MaskedTensor refuses)
REDUCTIONS = ("sum", "mean", "amin", "amax", "argmin", "argmax", "prod", "all", "var", "std")
PASSTHROUGH = (
    "select", "transpose", "swapaxes", "swapdims", "split", "chunk", "t", "narrow",
    "__getitem__", "expand", "expand_as", "view", "reshape", "flatten", "cat", "concat",
    "concatenate", "unsqueeze", "unfold", "stack",
)


def _data(a):
    return a.get_data() if is_masked_tensor(a) else a


def _mask(a):
    return a.get_mask() if is_masked_tensor(a) else a


def _map(args, part):
    """The arguments with each MaskedTensor (also inside lists and tuples) replaced by a part."""
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            a = type(a)(part(b) if is_masked_tensor(b) else b for b in a)
        elif is_masked_tensor(a):
            a = part(a)
        out.append(a)
    return out


def _masks_match(a, b):
    if is_masked_tensor(a) and is_masked_tensor(b):
        ma, mb = a.get_mask(), b.get_mask()
        return ma.dim() == mb.dim() and ma.shape == mb.shape and bool((ma == mb).all())
    return True


# -- elementwise -------------------------------------------------------------------------------
def _unary(fn, args, kwargs, inplace=False):
    # PyTorch's kernels see the keywords as positions: a number given by keyword is allowed
    if any(isinstance(a, Tensor) for a in (*args[1:], *kwargs.values())):
        raise TypeError("MaskedTensor unary ops do not support additional Tensor arguments")
    self = args[0]
    data = fn(self.get_data(), *args[1:], **kwargs)
    if inplace:
        self._set_data_mask(data, self.get_mask())
        return self
    return MaskedTensor._from_values(data, self.get_mask())


def _binary(fn, args, kwargs, inplace=False):
    if kwargs:
        raise ValueError("len(kwargs) must equal 0")
    if any(isinstance(a, Tensor) for a in args[2:]):
        raise TypeError("MaskedTensor binary ops do not support Tensor arguments aside from the "
                        "lhs and rhs")
    a, b = args[0], args[1]
    if not _masks_match(a, b):
        raise ValueError("Input masks must match. If you need support for this, please open an "
                         "issue on Github.")
    data = fn(*_map(args, MaskedTensor.get_data))
    mask = (a if is_masked_tensor(a) else b).get_mask()
    if inplace:
        a._set_data_mask(data, mask)
        return a
    return MaskedTensor._from_values(data, mask.expand_as(data))


# -- reductions ----------------------------------------------------------------------------------
def _all(data, dim=None, keepdim=False, mask=None):
    filled = data.masked_fill(~mask, True)
    return filled.all() if dim is None else filled.all(dim=dim, keepdim=keepdim)


def _reduction(name):
    masked_fn = _all if name == "all" else getattr(_ops, name)

    def rule(fn, args, kwargs):
        self = args[0]
        if not is_masked_tensor(self):
            raise TypeError("Input to reduce_dim must be a MaskedTensor")
        mask = self.get_mask()
        if len(args) == 1 and not kwargs:
            if name == "all":
                result = _all(self.get_data(), mask=mask)
            else:
                result = masked_fn(self, mask=mask)
            return as_masked_tensor(result, mask.any())
        return _reduce_dim(masked_fn, name, *args, **kwargs)

    return rule


def _reduce_dim(masked_fn, name, self, dim, keepdim=False, dtype=None):
    mask = self.get_mask()
    if name == "all":
        result = _all(self.get_data(), dim, keepdim, mask=mask)
    else:
        result = masked_fn(self, dim=dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return as_masked_tensor(result, _ops._any(mask, (dim,) if isinstance(dim, int) else
                                               sorted(dim), keepdim))


# -- shape ops, and the rest -----------------------------------------------------------------------
def _passthrough(fn, args, kwargs):
    data = fn(*_map(args, MaskedTensor.get_data), **kwargs)
    mask = fn(*_map(args, MaskedTensor.get_mask), **kwargs)
    if isinstance(data, (list, tuple)):
        return type(data)(MaskedTensor._from_values(d, m) for d, m in zip(data, mask))
    return MaskedTensor._from_values(data, mask)


def _where(fn, args, kwargs):
    if len(args) != 3 or kwargs:
        raise ValueError(f"__torch_function__, torch.where: len(args) must be 3 but got "
                         f"{len(args)}")
    cond, x, y = args
    x = x if is_masked_tensor(x) else MaskedTensor(_as_tensor(x, y), ones_like(
        _as_tensor(x, y), dtype=cond.dtype))
    y = y if is_masked_tensor(y) else MaskedTensor(_as_tensor(y, x), ones_like(
        _as_tensor(y, x), dtype=cond.dtype))
    return MaskedTensor._from_values(where(cond, x.get_data(), y.get_data()),
                                     where(cond, x.get_mask(), y.get_mask()))


def _as_tensor(value, other):
    if isinstance(value, Tensor):
        return value
    return other.get_data().new_full((), value)


def _on_data(fn, args, kwargs):
    return MaskedTensor._from_values(fn(args[0].get_data(), *args[1:], **kwargs),
                                     args[0].get_mask())


def _to(fn, args, kwargs):
    self = args[0]
    data = fn(self.get_data(), *args[1:], **kwargs)
    if data is self.get_data():
        return self
    return MaskedTensor._from_values(data, self.get_mask())


def _softmax_rule(fn, args, kwargs):
    self, dim = args[0], (args[1] if len(args) > 1 else kwargs.get("dim"))
    mask = self.get_mask()
    out = _softmax(self.get_data().masked_fill(~mask, float("-inf")), dim)
    return MaskedTensor._from_values(out.masked_fill(~mask, 0), mask)


def _ones_like(fn, args, kwargs):
    return MaskedTensor(fn(args[0].get_data(), **kwargs), args[0].get_mask())


def _copy_(fn, args, kwargs):
    dst, src = args[0], args[1]
    if not _masks_match(dst, src):
        raise ValueError("args[0] mask and args[1] mask must match but do not")
    dst.get_data().copy_(_data(src))
    return dst


def _item(fn, args, kwargs):
    self = args[0]
    if not self.get_mask().all():
        raise ValueError("__torch_dispatch__, aten._local_scalar_dense.default: expected a mask "
                         "tensor")
    return fn(self.get_data())


def _conj(fn, args, kwargs):
    self = args[0]
    return self if not self.is_complex() else _on_data(fn, args, kwargs)


def _contiguous(fn, args, kwargs):
    self = args[0]
    if self.is_contiguous():
        return self
    return MaskedTensor._from_values(self.get_data().contiguous(), self.get_mask().contiguous())


def _is_same_size(fn, args, kwargs):
    return _data(args[0]).shape == _data(args[1]).shape


def _operand_error(symbol, left):
    """Python's refusal of an operator that MaskedTensor does not take."""

    def rule(fn, args, kwargs):
        a, b = (args[1], args[0]) if not left else (args[0], args[1])
        raise TypeError(f"unsupported operand type(s) for {symbol}: '{type(a).__name__}' and "
                        f"'{type(b).__name__}'")

    return rule


def _register():
    for name in UNARY:
        RULES[name] = _unary
    for name in UNARY_INPLACE:
        RULES[name] = lambda fn, args, kwargs: _unary(fn, args, kwargs, inplace=True)
    for name in BINARY:
        RULES[name] = _binary
    for name in BINARY_INPLACE:
        RULES[name] = lambda fn, args, kwargs: _binary(fn, args, kwargs, inplace=True)
    for name, op in OPERATORS.items():
        RULES[name] = RULES[op]
    for name in REDUCTIONS:
        RULES[name] = _reduction(name)
    for name in PASSTHROUGH:
        RULES[name] = _passthrough
    RULES.update({
        "where": _where, "clone": _on_data, "to": _to, "type": _to, "float": _to,
        "double": _to, "half": _to, "int": _to, "long": _to, "short": _to, "char": _to,
        "bool": _to, "softmax": _softmax_rule, "ones_like": _ones_like, "copy_": _copy_,
        "__rsub__": _operand_error("-", False), "rsub": _operand_error("-", False),
        "__matmul__": _operand_error("@", True), "__rmatmul__": _operand_error("@", False),
        "item": _item, "conj": _conj, "contiguous": _contiguous, "is_same_size": _is_same_size,
    })


_register()
_ = zeros_like
