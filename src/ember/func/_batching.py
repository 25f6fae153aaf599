"""Batching rules: how each op runs once on a whole batch inside vmap.

A rule receives the vmap level, the op's name and function and its arguments (some batched at
that level), and returns the batched result, computed by calling ordinary ops on the physical
tensors (the batch at dimension 0). Most ops fall in a few families, each with one rule:

- pointwise ops broadcast: pad the sample dimensions so the batch dimension lines up, run once;
- ops with dimension arguments: shift each dimension past the batch dimension;
- ops that already treat leading dimensions as a batch (linear, tril, layer_norm...): run as is;
- ops on a fixed number of dimensions (conv, pooling): fold the batch into their batch dimension;
- the rest have their own rule below (views with sizes, matmul, indexing, losses, ...).

A rule returns NotImplemented for a case it does not cover; the op then runs per sample
(``_vmap.fallback``).
"""

import inspect
import string

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..ops import elementwise, special_fns
from ..ops.linalg import _sublist_equation
from ._vmap import RULES, _composite, fallback, is_batched, levels, materialize, unwrap, wrap


def _logical_ndim(x, level):
    return x._value.ndim - 1 if is_batched(x, level) else x.ndim


def _pad(x, level, r):
    """x as a physical operand of logical rank r: a batched one gets size-1 dims after the
    batch dimension, an unbatched one is left to broadcast from the right."""
    if not is_batched(x, level):
        return x
    v = x._value
    missing = r - (v.ndim - 1)
    if missing > 0:
        v = v.reshape((v.shape[0],) + (1,) * missing + tuple(v.shape[1:]))
    return v


def _wrap_out(out, level):
    if isinstance(out, Tensor):
        return wrap(out, level)
    if isinstance(out, (tuple, list)):
        return rebuild(out, [_wrap_out(o, level) for o in out])
    return out


def rebuild(like, items):
    """A tuple, list, namedtuple or return type like ``like`` holding ``items``."""
    if hasattr(like, "_make"):
        return like._make(items)  # a namedtuple
    return type(like)(items)  # tuples, lists and ember's return types take one sequence


def _tensors(args, kwargs):
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            yield a


# -- pointwise ------------------------------------------------------------------------------
def pointwise(level, name, fn, args, kwargs):
    r = max(_logical_ndim(t, level) for t in _tensors(args, kwargs))
    inplace = name.endswith("_") and not name.endswith("__") or name in _INPLACE_DUNDER
    if inplace and not is_batched(args[0], level):
        shape = list(args[0].shape)
        raise RuntimeError(f"output with shape {shape} doesn't match the broadcast shape "
                           f"{[level.size] + shape}")
    a = [_pad(x, level, r) if isinstance(x, Tensor) else x for x in args]
    k = {key: _pad(v, level, r) if isinstance(v, Tensor) else v for key, v in kwargs.items()}
    out = fn(*a, **k)
    if inplace:
        return args[0]
    return _wrap_out(out, level)


_INPLACE_DUNDER = {"__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
                   "__imod__", "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__",
                   "__irshift__"}

_POINTWISE = """
abs absolute acos acosh add arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atan2
atanh bitwise_and bitwise_not bitwise_or bitwise_xor ceil clamp clamp_max clamp_min clip copysign
cos cosh deg2rad div divide eq erf erfc exp exp2 expm1 fix floor floor_divide fmax fmin fmod frac
ge greater greater_equal gt hypot isclose isfinite isinf isnan isneginf isposinf le lerp less
less_equal log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or
logical_xor logit lt maximum minimum mul multiply nan_to_num ne neg negative not_equal positive
pow rad2deg reciprocal relu remainder round rsqrt sigmoid sign signbit sin sinc sinh sqrt square
sub subtract tan tanh true_divide trunc where xlogy masked_fill addcmul addcdiv
float double half int long bool byte char short to type type_as cpu cuda clone contiguous detach
requires_grad_ zero_ fill_ copy_ zeros_like ones_like full_like empty_like
relu6 gelu silu mish elu selu celu leaky_relu hardtanh hardsigmoid hardswish softplus softshrink
hardshrink tanhshrink softsign logsigmoid threshold
bitwise_left_shift bitwise_right_shift __lshift__ __rshift__
lgamma digamma polygamma erfinv heaviside nextafter gcd lcm
__add__ __sub__ __mul__ __truediv__ __floordiv__ __mod__ __pow__ __and__ __or__ __xor__
__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __neg__ __abs__ __invert__ __pos__
""".split()
for _n in list(_POINTWISE):
    RULES[_n] = pointwise
    if _n[0] != "_" and _n not in ("to", "type", "type_as", "cpu", "cuda", "clone", "contiguous",
                                   "detach") and not _n.endswith("_like"):
        RULES[_n + "_"] = pointwise
for _n in _INPLACE_DUNDER:
    RULES[_n] = pointwise
for _n in special_fns.__all__:  # elementwise in every argument (they broadcast)
    RULES[_n] = pointwise
RULES["i0_"] = RULES["igamma_"] = RULES["igammac_"] = pointwise


def _reflected(op_name):
    def rule(level, name, fn, args, kwargs):
        return dispatch_named(op_name, getattr(elementwise, op_name), (args[1], args[0]),
                              kwargs, level)

    return rule


def dispatch_named(name, fn, args, kwargs, level):
    rule = RULES.get(name)
    if rule is not None:
        out = rule(level, name, fn, args, kwargs)
        if out is not NotImplemented:
            return out
    return fallback(level, name, fn, args, kwargs)


for _dunder, _op in {"__radd__": "add", "__rsub__": "sub", "__rmul__": "mul",
                     "__rtruediv__": "div", "__rfloordiv__": "floor_divide",
                     "__rmod__": "remainder", "__rpow__": "pow", "__rand__": "bitwise_and",
                     "__ror__": "bitwise_or", "__rxor__": "bitwise_xor",
                     "__rlshift__": "bitwise_left_shift",
                     "__rrshift__": "bitwise_right_shift"}.items():
    RULES[_dunder] = _reflected(_op)


# -- ops with dimension arguments -----------------------------------------------------------
def _range_error(d, n):
    return IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                      f"but got {d})")


def phys_dim(d, r):
    """Logical dim d of a rank-r sample, as a dim of the physical tensor."""
    n = max(r, 1)
    if isinstance(d, bool) or not hasattr(d, "__index__"):
        raise TypeError(f"dim must be an int, got {type(d).__name__}")
    d = d.__index__()  # NumPy integers too
    if not -n <= d < n:
        raise _range_error(d, n)
    return d % n + 1


_SIGS = {}
_P = inspect.Parameter


class _Bound:
    """The arguments of one call by parameter name: inspect's BoundArguments, made cheaply
    (it is made on every batched call of an op with dimension arguments)."""

    __slots__ = ("signature", "arguments", "_params")

    def __init__(self, signature, params, arguments):
        self.signature = signature
        self._params = params
        self.arguments = arguments

    @property
    def args(self):
        out = []
        for name, kind in self._params:
            if kind == _P.KEYWORD_ONLY or name not in self.arguments:
                break
            out.append(self.arguments[name])
        return tuple(out)

    @property
    def kwargs(self):
        n = len(self.args)
        positional = {name for name, _ in self._params[:n]}
        return {k: v for k, v in self.arguments.items() if k not in positional}


def _bind(fn, args, kwargs):
    entry = _SIGS.get(fn)
    if entry is None:
        sig = inspect.signature(fn)
        params = [(p.name, p.kind) for p in sig.parameters.values()]
        simple = all(k in (_P.POSITIONAL_OR_KEYWORD, _P.KEYWORD_ONLY) for _, k in params)
        required = {p.name for p in sig.parameters.values() if p.default is _P.empty}
        entry = _SIGS[fn] = (sig, params if simple else None, required)
    sig, params, required = entry
    if params is None:  # *args, **kwargs or positional-only: inspect's own binding
        return sig.bind(*args, **kwargs)
    positional = [name for name, kind in params if kind == _P.POSITIONAL_OR_KEYWORD]
    if len(args) > len(positional):
        return sig.bind(*args, **kwargs)  # raises inspect's TypeError
    arguments = dict(zip(positional, args))
    for key, value in kwargs.items():
        if key in arguments:
            return sig.bind(*args, **kwargs)
        arguments[key] = value
    order = {name: i for i, (name, _) in enumerate(params)}
    if any(k not in order for k in arguments) or not required <= arguments.keys():
        return sig.bind(*args, **kwargs)  # raises inspect's TypeError
    arguments = dict(sorted(arguments.items(), key=lambda kv: order[kv[0]]))
    return _Bound(sig, params, arguments)


_ACCEPTS_TUPLE = {"sum", "mean", "nansum", "nanmean", "amax", "amin", "std", "var", "logsumexp",
                  "count_nonzero", "norm", "all", "any", "std_mean", "var_mean", "aminmax"}


def dim_rule(params, insert=False, keep=()):
    """A rule for ops whose ``params`` are dimensions of the input (ints, tuples or None)."""

    def rule(level, name, fn, args, kwargs):
        try:
            bound = _bind(fn, args, kwargs)
        except (TypeError, ValueError):
            return NotImplemented
        first = next(iter(bound.arguments))
        if "axis" in bound.arguments and "dim" in params:  # NumPy's spelling of dim
            if "dim" in bound.arguments:
                return NotImplemented  # both given: the op's own error, per sample
            bound.arguments["dim"] = bound.arguments.pop("axis")
        if any(isinstance(bound.arguments.get(p), Tensor) for p in params):
            return pointwise(level, name, fn, args, kwargs)  # max(a, b): the binary form
        tensors = [v for v in bound.arguments.values() if isinstance(v, Tensor)]
        r = max(_logical_ndim(t, level) for t in tensors)
        for key, value in list(bound.arguments.items()):
            if isinstance(value, Tensor):
                if key in keep and not is_batched(value, level):
                    continue  # an index list, whatever the input's rank
                if not is_batched(value, level) and value.ndim < r:
                    value = value.reshape((1,) * (r - value.ndim) + tuple(value.shape))
                bound.arguments[key] = materialize(_padded(value, level, r), level)
        if name == "flatten" and r == 0:
            v = bound.arguments[first]
            return wrap(v.reshape(v.shape[0], 1), level)
        scalar = r == 0 and not insert
        if scalar and name == "topk":
            return NotImplemented  # k may be 0: per sample
        if scalar:  # a 0-d sample: give it one dimension so the batch is never reduced
            bound.arguments[first] = bound.arguments[first].unsqueeze(1)
        rank = r + 1 if insert else r
        reduce_all = False
        for p in params:
            if p not in bound.arguments:
                default = bound.signature.parameters.get(p)
                if default is None:
                    if p != params[0]:
                        continue
                    return NotImplemented  # a signature that hides the dim: per sample
                value = default.default
                if value is inspect.Parameter.empty or value is None and p != params[0]:
                    continue
            else:
                value = bound.arguments.get(p)
            if value is None or value == ():
                if name in _NONE_IS_SOFTMAX:
                    value = 0 if r in (0, 1, 3) else 1
                elif name in _DIM_REQUIRED_OR_FLAT:
                    return _flat(level, name, fn, bound, r)
                elif name in _ACCEPTS_TUPLE and p == params[0]:
                    value = tuple(range(max(r, 1)))
                    reduce_all = True
                else:
                    continue
            if isinstance(value, (tuple, list)):
                bound.arguments[p] = type(value)(phys_dim(d, rank) for d in value)
            else:
                bound.arguments[p] = phys_dim(value, rank)
        del reduce_all
        out = fn(*bound.args, **bound.kwargs)
        if scalar:
            out = _squeeze_scalar(out)
        return _wrap_out(out, level)

    return rule


def _padded(x, level, r):
    if is_batched(x, level):
        v = _pad(x, level, r)
        return wrap(v, level)
    return x


def _squeeze_scalar(out):
    if isinstance(out, Tensor):
        return out.squeeze(1) if out.ndim == 2 else out
    if isinstance(out, (tuple, list)):
        return rebuild(out, [_squeeze_scalar(o) for o in out])
    return out


_NONE_IS_SOFTMAX = {"softmax", "log_softmax", "softmin"}
# without a dim these reduce everything to one value: run them on each sample flattened
_DIM_REQUIRED_OR_FLAT = {"prod", "argmax", "argmin", "max", "min", "median", "nanmedian",
                         "mode", "cumsum", "cumprod"}


def _flat(level, name, fn, bound, r):
    first = next(iter(bound.arguments))
    v = bound.arguments[first]
    b = v.shape[0]
    keepdim = bound.arguments.get("keepdim", False)
    bound.arguments[first] = v.reshape(b, -1)
    if "dim" in bound.signature.parameters:
        bound.arguments["dim"] = 1
    out = fn(*bound.args, **bound.kwargs)
    if name in ("max", "min", "median", "nanmedian", "mode"):
        out = out[0]  # without a dim: the value only
    if keepdim:
        out = out.reshape((b,) + (1,) * r)
    return wrap(out, level)


_DIM_OPS = {
    "sum": ("dim", "axis"), "mean": ("dim", "axis"), "nansum": ("dim",), "nanmean": ("dim",),
    "prod": ("dim", "axis"), "amax": ("dim", "axis"), "amin": ("dim", "axis"),
    "aminmax": ("dim",), "std": ("dim", "axis"), "var": ("dim", "axis"),
    "std_mean": ("dim",), "var_mean": ("dim",), "logsumexp": ("dim", "axis"),
    "norm": ("dim",), "count_nonzero": ("dim", "axis"), "all": ("dim", "axis"),
    "any": ("dim", "axis"), "argmax": ("dim", "axis"), "argmin": ("dim", "axis"),
    "max": ("dim", "axis"), "min": ("dim", "axis"), "median": ("dim", "axis"),
    "nanmedian": ("dim",), "mode": ("dim",), "kthvalue": ("dim", "axis"),
    "cumsum": ("dim", "axis"), "cumprod": ("dim", "axis"), "logcumsumexp": ("dim",),
    "cummax": ("dim",), "cummin": ("dim",), "softmax": ("dim",), "log_softmax": ("dim",),
    "softmin": ("dim",), "topk": ("dim", "axis"),
    "roll": ("dims",), "squeeze": ("dim",), "transpose": ("dim0", "dim1"),
    "swapaxes": ("dim0", "dim1"), "swapdims": ("dim0", "dim1"),
    "movedim": ("source", "destination"), "moveaxis": ("source", "destination"),
    "select": ("dim",), "narrow": ("dim",), "split": ("dim",), "chunk": ("dim",),
    "unbind": ("dim",), "unsafe_split": ("dim",), "unsafe_chunk": ("dim",),
    "split_with_sizes": ("dim",), "unsafe_split_with_sizes": ("dim",),
    "flatten": ("start_dim", "end_dim"), "unflatten": ("dim",),
    "diagonal": ("dim1", "dim2"), "gather": ("dim",), "scatter": ("dim",),
    "scatter_add": ("dim",), "scatter_reduce": ("dim",), "take_along_dim": ("dim",),
    "normalize": ("dim",), "cosine_similarity": ("dim",), "glu": ("dim",), "cross": ("dim",),
    "diff": ("dim",), "index_add": ("dim",), "index_copy": ("dim",), "index_fill": ("dim",),
    "pairwise_distance": (),
}
for _n, _params in _DIM_OPS.items():
    RULES[_n] = dim_rule(_params, keep=("index",) if _n.startswith("index_") else ())
RULES["unsqueeze"] = dim_rule(("dim",), insert=True)


def _inplace_dim_rule(params):
    """An in-place op with dimension arguments on a batched self: the op on the physical
    tensor, which it updates in place."""
    rule = dim_rule(params)

    def inplace(level, name, fn, args, kwargs):
        if not args or not is_batched(args[0], level):
            return NotImplemented
        out = rule(level, name, fn, args, kwargs)
        return out if out is NotImplemented else args[0]

    return inplace


RULES["scatter_reduce_"] = _inplace_dim_rule(("dim",))


def _roll(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    if bound.arguments.get("dims") is None:  # roll the flattened sample
        x = bound.arguments["input"]
        v = x._value
        rolled = fn(v.reshape(v.shape[0], -1), bound.arguments["shifts"], 1)
        return wrap(rolled.reshape(v.shape), level)
    return dim_rule(("dims",))(level, name, fn, args, kwargs)


RULES["roll"] = _roll


def _sort(level, name, fn, args, kwargs):
    """sort/argsort(input, dim=-1, descending=False) or (input, *, stable, dim, descending)."""
    x = args[0]
    rest = list(args[1:])
    k = dict(kwargs)
    if rest and "dim" not in k:
        k["dim"] = rest.pop(0)
    if rest and "descending" not in k:
        k["descending"] = rest.pop(0)
    if rest or not is_batched(x, level):
        return NotImplemented
    r = x.ndim
    k["dim"] = phys_dim(k.get("dim", -1), r)
    v = x._value.unsqueeze(1) if r == 0 else x._value
    out = fn(v, **k)
    return _wrap_out(_squeeze_scalar(out) if r == 0 else out, level)


RULES["sort"] = RULES["argsort"] = _sort


def _msort(level, name, fn, args, kwargs):
    x = args[0]
    if x.ndim == 0:
        return x.clone()
    return wrap(x._value.sort(dim=1).values, level)


RULES["msort"] = _msort


def _flip(level, name, fn, args, kwargs):
    x = args[0]
    dims = args[1:] if len(args) > 1 else kwargs.get("dims", ())
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    r = x.ndim
    return wrap(x._value.flip(tuple(phys_dim(d, r) for d in dims)), level)


RULES["flip"] = _flip
RULES["fliplr"] = lambda level, name, fn, args, kw: wrap(args[0]._value.flip(2), level)
RULES["flipud"] = lambda level, name, fn, args, kw: wrap(args[0]._value.flip(1), level)


def _index_select(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    x, dim, index = bound.arguments["input"], bound.arguments["dim"], bound.arguments["index"]
    if is_batched(index, level) or not is_batched(x, level):
        return NotImplemented
    return wrap(fn(x._value, phys_dim(dim, x.ndim), index), level)


RULES["index_select"] = _index_select


def _repeat_interleave(level, name, fn, args, kwargs):
    """repeat_interleave(input, repeats, dim=None): dim None repeats each flattened sample."""
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    x, repeats, dim = a.get("input"), a.get("repeats"), a.get("dim")
    if (x is None or repeats is None or not is_batched(x, level) or isinstance(repeats, Tensor)
            and is_batched(repeats, level) or dim is not None and x.ndim == 0):
        return NotImplemented  # the one-argument form, batched repeats: per sample
    v = x._value
    if dim is None:
        v, dim = v.reshape(v.shape[0], -1), 1
    else:
        dim = phys_dim(dim, x.ndim)
    return wrap(fn(v, repeats, dim, output_size=a.get("output_size")), level)


RULES["repeat_interleave"] = _repeat_interleave


def _unfold_windows(level, name, fn, args, kwargs):
    """Tensor.unfold(dimension, size, step); F.unfold (same name) runs as the ops it is
    built from."""
    try:
        a = _bind(fn, args, kwargs).arguments
    except TypeError:
        a = {}
    if "dimension" not in a:
        return _composite(fn, args, kwargs)
    if "step" not in a or "size" not in a:
        return NotImplemented  # the op's own error, per sample
    x = a["input"]
    if not is_batched(x, level):
        return NotImplemented
    v = x._value
    out = fn(v.unsqueeze(1) if x.ndim == 0 else v, phys_dim(a["dimension"], x.ndim), a["size"],
             a["step"])
    if x.ndim == 0:  # one window of the sample's one element
        out = out.select(1, 0)
    return wrap(out, level)


RULES["unfold"] = _unfold_windows


# -- sizes and views ------------------------------------------------------------------------
def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _resolve(shape, numel):
    shape = [int(s) for s in shape]
    if shape.count(-1) == 1:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        shape[shape.index(-1)] = numel // known if known else 0
    return tuple(shape)


def _view_rule(method):
    def rule(level, name, fn, args, kwargs):
        x = args[0]
        shape = _sizes(args[1:]) if len(args) > 1 else _sizes((kwargs.get("shape") or
                                                                kwargs.get("size"),))
        if any(isinstance(s, Tensor) for s in shape):
            return NotImplemented
        v = x._value
        # let the op validate the sample's shape first (its error text names the sample)
        n = x.numel()
        target = _resolve(shape, n)
        if _prod(target) != n or shape.count(-1) > 1:
            from ..ops.creation import empty

            getattr(empty(tuple(x.shape), dtype=x.dtype), method)(*shape)  # raises as usual
        return wrap(getattr(v, method)((v.shape[0],) + target), level)

    return rule


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


RULES["view"] = _view_rule("view")
RULES["reshape"] = _view_rule("reshape")


def _as_rule(method):
    def rule(level, name, fn, args, kwargs):
        x, other = args[0], args[1] if len(args) > 1 else kwargs["other"]
        if not is_batched(x, level):
            return NotImplemented
        return dispatch_named(method, getattr(Tensor, method), (x, tuple(other.shape)), {},
                              level)

    return rule


RULES["view_as"] = _as_rule("view")
RULES["reshape_as"] = _as_rule("reshape")
RULES["expand_as"] = _as_rule("expand")


def _sized(method, keyword, prefix):
    """expand/repeat: sizes for the sample's dims, with new leading ones allowed; the batch
    dimension is kept by ``prefix`` (the size or count given to it)."""

    def rule(level, name, fn, args, kwargs):
        x = args[0]
        sizes = _sizes(args[1:]) if len(args) > 1 else _sizes((kwargs[keyword],))
        v = x._value
        r = v.ndim - 1
        if len(sizes) < r:
            return NotImplemented  # the op's own error, per sample
        v = v.reshape((v.shape[0],) + (1,) * (len(sizes) - r) + tuple(v.shape[1:]))
        first = v.shape[0] if prefix is None else prefix
        return wrap(getattr(v, method)(first, *sizes), level)

    return rule


RULES["expand"] = RULES["broadcast_to"] = _sized("expand", "size", None)
RULES["repeat"] = _sized("repeat", "repeats", 1)



def _permute(level, name, fn, args, kwargs):
    x = args[0]
    dims = _sizes(args[1:]) if len(args) > 1 else _sizes((kwargs["dims"],))
    r = x.ndim
    if len(dims) != r:
        return NotImplemented
    return wrap(x._value.permute(0, *(phys_dim(d, r) for d in dims)), level)


RULES["permute"] = _permute


def _t(level, name, fn, args, kwargs):
    x = args[0]
    if x.ndim < 2:
        return x
    if name == "t" and x.ndim > 2:
        return NotImplemented
    return wrap(x._value.transpose(-2, -1) if name != "T" else x._value.permute(
        0, *range(x.ndim, 0, -1)), level)


RULES["t"] = _t
RULES["T"] = _t
RULES["mT"] = lambda level, name, fn, args, kw: wrap(args[0]._value.transpose(-2, -1), level)


def _ravel(level, name, fn, args, kwargs):
    v = args[0]._value
    return wrap(v.reshape(v.shape[0], -1), level)


RULES["ravel"] = _ravel


def _squeeze(level, name, fn, args, kwargs):
    x = args[0]
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if dim is None:
        v = x._value
        keep = [0] + [i + 1 for i, s in enumerate(v.shape[1:]) if s != 1]
        return wrap(v.reshape(tuple(v.shape[i] for i in keep)), level)
    return dim_rule(("dim",))(level, name, fn, args, kwargs)


RULES["squeeze"] = _squeeze


def _sum_to_size(level, name, fn, args, kwargs):
    x = args[0]
    size = _sizes(args[1:])
    v = x._value
    lead = (v.ndim - 1) - len(size)
    if lead > 0:
        v = v.sum(tuple(range(1, lead + 1)))
    dims = tuple(i + 1 for i, (a, b) in enumerate(zip(v.shape[1:], size)) if b == 1 and a != 1)
    if dims:
        v = v.sum(dims, keepdim=True)
    return wrap(v, level)


RULES["sum_to_size"] = _sum_to_size


def _cat(level, name, fn, args, kwargs):
    tensors = args[0] if args else kwargs["tensors"]
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    insert = name == "stack"
    ranks = [_logical_ndim(t, level) for t in tensors if not (
        name != "stack" and _logical_ndim(t, level) == 1 and t.shape[-1] == 0)]
    r = max(ranks) if ranks else 1
    phys = [materialize(t, level) for t in tensors]
    return wrap(fn(phys, phys_dim(dim, r + 1 if insert else r)), level)


for _n in ("cat", "concat", "concatenate", "stack"):
    RULES[_n] = _cat


def _leading(level, name, fn, args, kwargs):
    """Ops that treat every dimension before their own as a batch: only the first argument
    may be batched."""
    if any(is_batched(t, level) for t in list(args[1:]) + list(kwargs.values())
           if isinstance(t, Tensor)):
        return NotImplemented
    return _wrap_out(fn(args[0]._value, *args[1:], **kwargs), level)


# (diag_embed is not among them: with dim1/dim2 its dims may reach the batch; written with
# other ops, it runs as written on the batched tensor)
for _n in ("tril", "triu", "tril_", "triu_", "one_hot", "matrix_exp",
           "pixel_shuffle", "pixel_unshuffle"):
    RULES[_n] = _leading


# torch.linalg on one matrix (or a stack of them) treats every leading dim as a batch
for _n in ("inv", "inv_ex", "det", "slogdet", "svdvals", "svd", "eigh", "eigvalsh", "eig",
           "eigvals", "cholesky", "cholesky_ex", "qr", "pinv", "matrix_exp", "matrix_power",
           "lu", "lu_factor", "lu_factor_ex", "matrix_rank", "cond", "vander"):
    RULES["linalg_" + _n] = _leading
for _n in ("inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "matrix_exp",
           "cholesky_inverse"):
    RULES[_n] = _leading
for _n in ("linalg_vector_norm", "linalg_matrix_norm", "linalg_norm"):
    RULES[_n] = dim_rule(("dim",))
    _ACCEPTS_TUPLE.add(_n)


def _linalg_norm(level, name, fn, args, kwargs):
    """linalg.norm without dim or ord: the 2-norm of each sample flattened."""
    bound = _bind(fn, args, kwargs)
    x = bound.arguments["A"]
    if (bound.arguments.get("dim") is None and bound.arguments.get("ord") is None
            and is_batched(x, level)):
        bound.arguments["A"] = x._value
        return _flat(level, name, fn, bound, x.ndim)
    return dim_rule(("dim",))(level, name, fn, args, kwargs)


RULES["linalg_norm"] = _linalg_norm


# torch.fft: the transforms act on the dims they are given (the last ones by default)
for _n in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2"):
    RULES["fft_" + _n] = dim_rule(("dim",))


def _fftn(level, name, fn, args, kwargs):
    """The n-d transforms and the shifts: without dim, every dim of the sample (or, given
    sizes s, the last len(s) of them), never the batch."""
    bound = _bind(fn, args, kwargs)
    x = bound.arguments["input"]
    if bound.arguments.get("dim") is None and is_batched(x, level):
        sizes = bound.arguments.get("s")
        r = x.ndim
        dims = tuple(range(r)) if sizes is None else tuple(range(r - len(sizes), r))
        args, kwargs = bound.args, dict(bound.kwargs, dim=dims)
        if "dim" in bound.arguments or len(bound.args) > 2:
            return NotImplemented
    return dim_rule(("dim",))(level, name, fn, args, kwargs)


for _n in ("fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftshift", "ifftshift"):
    RULES["fft_" + _n] = _fftn


def _fold_always(level, name, fn, args, kwargs):
    """Ops that need their own batch dimension (interpolate, channel_shuffle): the vmap batch
    joins it."""
    x = args[0]
    if not is_batched(x, level) or x.ndim < 1 or any(
            is_batched(t, level) for t in list(args[1:]) + list(kwargs.values())
            if isinstance(t, Tensor)):
        return NotImplemented
    return fold_rule(x.ndim)(level, name, fn, args, kwargs)


for _n in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "channel_shuffle"):
    RULES[_n] = _fold_always


def _constant_pad(level, name, fn, args, kwargs):
    """F.pad: constant padding of the last dims leaves the leading (batch) dims alone; the
    other modes need a fixed rank, so a batched input runs per sample."""
    bound = _bind(fn, args, kwargs)
    if bound.arguments.get("mode", "constant") != "constant":
        return NotImplemented
    return _leading(level, name, fn, args, kwargs)


RULES["pad"] = _constant_pad


def _diag(level, name, fn, args, kwargs):
    """diag of a vector is a matrix with it on a diagonal; of a matrix, a diagonal's vector."""
    bound = _bind(fn, args, kwargs)
    x, k = bound.arguments["input"], bound.arguments.get("diagonal", 0)
    if not is_batched(x, level) or x.ndim not in (1, 2):
        return NotImplemented
    v = x._value
    if x.ndim == 2:
        return wrap(v.diagonal(k, 1, 2), level)
    n = v.shape[1] + abs(k)
    return wrap(_diag_embed(v, k, n), level)


def _diag_embed(v, k, n):
    """(B, m) -> (B, n, n) with each row of v on diagonal k (scatter: differentiable in v)."""
    from ..ops.creation import tensor

    b, m = v.shape
    flat = tensor([(i + max(-k, 0)) * n + (i + max(k, 0)) for i in range(m)])
    out = v.new_zeros((b, n * n)).scatter(1, flat.unsqueeze(0).expand(b, m), v)
    return out.reshape(b, n, n)


RULES["diag"] = _diag


def _one_hot(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    if bound.arguments.get("num_classes", -1) == -1:
        return NotImplemented  # the class count would come from the whole batch
    return _leading(level, name, fn, args, kwargs)


RULES["one_hot"] = _one_hot


def _new(level, name, fn, args, kwargs):
    """new_zeros/new_ones/...: a new tensor of the given size, the same for every sample."""
    return fn(args[0]._value, *args[1:], **kwargs)


for _n in ("new_zeros", "new_ones", "new_full", "new_empty", "new_tensor"):
    RULES[_n] = _new


# -- products -------------------------------------------------------------------------------
def _matmul(level, name, fn, args, kwargs):
    a, b = args[0], args[1] if len(args) > 1 else kwargs["other"]
    ra, rb = _logical_ndim(a, level), _logical_ndim(b, level)
    if ra == 0 or rb == 0:
        return NotImplemented  # matmul's own error
    pa, pb = _as_matrix(a, level, ra, True), _as_matrix(b, level, rb, False)
    # both now logical rank >= 2; line up the sample's batch dims, then the vmap batch
    ra2, rb2 = max(ra, 2), max(rb, 2)
    r = max(ra2, rb2)
    pa = _lift(pa, is_batched(a, level), ra2, r)
    pb = _lift(pb, is_batched(b, level), rb2, r)
    out = pa.matmul(pb)
    if ra == 1:
        out = out.squeeze(-2)
    if rb == 1:
        out = out.squeeze(-1)
    return wrap(out, level)


def _as_matrix(x, level, r, left):
    v = unwrap(x, level)
    if r == 1:
        return v.unsqueeze(-2) if left else v.unsqueeze(-1)
    return v


def _lift(v, batched, r, target):
    """A physical operand of logical rank r, as rank target + 1 with the batch first."""
    if batched:
        missing = target - r
        if missing:
            v = v.reshape((v.shape[0],) + (1,) * missing + tuple(v.shape[1:]))
        return v
    missing = target - r
    return v.reshape((1,) * (missing + 1) + tuple(v.shape))


RULES["matmul"] = RULES["__matmul__"] = _matmul
RULES["__rmatmul__"] = lambda level, name, fn, args, kw: _matmul(
    level, "matmul", fn, (args[1], args[0]), {})


def _fixed_rank(ra, rb):
    def rule(level, name, fn, args, kwargs):
        a, b = args[0], args[1] if len(args) > 1 else kwargs.get("mat2", kwargs.get("vec"))
        if _logical_ndim(a, level) != ra or _logical_ndim(b, level) != rb:
            return NotImplemented  # the op's own error, per sample
        return _matmul(level, "matmul", fn, (a, b), {})

    return rule


RULES["mm"] = _fixed_rank(2, 2)
RULES["bmm"] = _fixed_rank(3, 3)
RULES["mv"] = _fixed_rank(2, 1)
RULES["dot"] = RULES["inner"] = RULES["vdot"] = _fixed_rank(1, 1)


def _outer(level, name, fn, args, kwargs):
    a, b = args[0], args[1] if len(args) > 1 else kwargs["vec2"]
    if _logical_ndim(a, level) != 1 or _logical_ndim(b, level) != 1:
        return NotImplemented
    return a.unsqueeze(-1) * b.unsqueeze(-2)


RULES["outer"] = RULES["ger"] = _outer


def _linear(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    x, w, bias = bound.arguments["input"], bound.arguments["weight"], bound.arguments.get("bias")
    if not is_batched(w, level) and not (bias is not None and is_batched(bias, level)):
        return wrap(fn(x._value, w, bias), level)
    if w.ndim != 2 or x.ndim == 0:
        return NotImplemented  # the op's own error, per sample
    # per-sample weights (grad inside vmap expands them): x (B, *, in) @ w (B, in, out)
    wv = materialize(w, level).transpose(-1, -2)
    xv = materialize(x, level)
    if x.ndim == 1:
        out = wv.__rmatmul__(xv.unsqueeze(1)).squeeze(1)
    else:
        lead = xv.shape[1:-1]
        out = xv.reshape(level.size, -1, xv.shape[-1]).matmul(wv)
        out = out.reshape((level.size,) + tuple(lead) + (out.shape[-1],))
    if bias is not None:
        bv = materialize(bias, level)
        out = out + bv.reshape((level.size,) + (1,) * (out.ndim - 2) + (bv.shape[-1],))
    return wrap(out, level)


RULES["linear"] = _linear


def _addmm(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    beta, alpha = a.get("beta", 1), a.get("alpha", 1)
    prod = a["mat1"].matmul(a["mat2"])
    return a["input"] * beta + prod * alpha if beta != 0 else prod * alpha


RULES["addmm"] = _addmm


def _einsum(level, name, fn, args, kwargs):
    if args and not isinstance(args[0], str):
        args = _sublist_equation(args)  # the sublist form, as its equation
    eq, operands = args[0], list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    if not isinstance(eq, str):
        return NotImplemented
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        return NotImplemented
    if not arrow:  # the implicit output: broadcast dims, then the labels used once, sorted
        labels = lhs.replace("...", "").replace(",", "")
        rhs = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(labels) if labels.count(c) == 1))
    free = next(c for c in string.ascii_letters if c not in eq)
    new_terms = [free + t if is_batched(o, level) else t for t, o in zip(terms, operands)]
    phys = [unwrap(o, level) for o in operands]
    return wrap(fn(",".join(new_terms) + "->" + free + rhs, *phys), level)


RULES["einsum"] = _einsum


# -- indexing -------------------------------------------------------------------------------
def _index_parts(idx):
    return idx if isinstance(idx, tuple) else (idx,)


def _getitem(level, name, fn, args, kwargs):
    x, idx = args
    parts = _index_parts(idx)
    if not is_batched(x, level) or any(is_batched(p, level) for p in parts if isinstance(
            p, Tensor)):
        return NotImplemented
    advanced = [i for i, p in enumerate(parts) if isinstance(p, (Tensor, list)) or (
        hasattr(p, "dtype") and not isinstance(p, (int, slice)))]
    if any(isinstance(p, Tensor) and p.dtype is _dtype.bool for p in parts):
        return NotImplemented  # a mask: each sample may select a different count
    if advanced:
        # NumPy counts ints and bools beside index lists as advanced too (PyTorch applies
        # them first): split advanced indices move to the front, so run per sample
        advanced = [i for i, p in enumerate(parts) if i in advanced or isinstance(
            p, (bool, int, np.integer, np.bool_))]
        if advanced[-1] - advanced[0] + 1 != len(advanced):
            return NotImplemented
    return wrap(x._value[(slice(None),) + parts], level)


RULES["__getitem__"] = _getitem


def _setitem(level, name, fn, args, kwargs):
    x, idx, value = args
    parts = _index_parts(idx)
    if not is_batched(x, level):
        if isinstance(value, Tensor) and is_batched(value, level):
            shape = list(x[idx].shape)
            raise RuntimeError(f"output with shape {shape} doesn't match the broadcast shape "
                               f"{[level.size] + shape}")
        return NotImplemented
    if any(isinstance(p, Tensor) for p in parts):
        return NotImplemented
    target = _getitem(level, "__getitem__", None, (x, idx), {})
    if target is NotImplemented:
        return NotImplemented
    if isinstance(value, Tensor):
        value = _pad(value, level, max(target.ndim, _logical_ndim(value, level)))
    x._value[(slice(None),) + parts] = value
    return None


RULES["__setitem__"] = _setitem


# -- fixed-rank nn ops: fold the vmap batch into the op's own batch dimension ---------------
def fold_rule(full_rank, weight_args=()):
    """conv/pool-like ops on (N, C, *spatial) or unbatched (C, *spatial) inputs."""

    def rule(level, name, fn, args, kwargs):
        x = args[0]
        others = [t for t in list(args[1:]) + list(kwargs.values()) if isinstance(t, Tensor)]
        if not is_batched(x, level) or any(is_batched(t, level) for t in others):
            if name.startswith("conv") and is_batched(_arg(fn, args, kwargs, "weight"), level):
                return _conv_batched_weight(level, name, fn, args, kwargs)
            return NotImplemented
        v = x._value
        r = v.ndim - 1
        if r == full_rank - 1:  # a sample without N: the vmap batch is N
            return _wrap_out(fn(v, *args[1:], **kwargs), level)
        if r != full_rank:
            return NotImplemented
        b, n = v.shape[0], v.shape[1]
        out = fn(v.reshape((b * n,) + tuple(v.shape[2:])), *args[1:], **kwargs)
        return _wrap_out(_unfold(out, b, n), level)

    return rule


def _unfold(out, b, n):
    if isinstance(out, Tensor):
        return out.reshape((b, n) + tuple(out.shape[1:]))
    return type(out)(_unfold(o, b, n) for o in out)


def _arg(fn, args, kwargs, key):
    try:
        return _bind(fn, args, kwargs).arguments.get(key)
    except TypeError:
        return None


def _conv_batched_weight(level, name, fn, args, kwargs):
    """Per-sample weights: one grouped convolution with the batch folded into the channels."""
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    x, w, bias = a["input"], a["weight"], a.get("bias")
    if name.startswith("conv_transpose"):
        return NotImplemented
    groups = a.get("groups", 1)
    spatial = w.ndim - 2
    b = level.size
    xv = materialize(x, level)  # (B, [N,] C, *spatial)
    unbatched_sample = xv.ndim - 1 == spatial + 1
    if unbatched_sample:
        xv = xv.unsqueeze(1)
    n = xv.shape[1]
    xv = xv.transpose(0, 1).reshape((n, b * xv.shape[2]) + tuple(xv.shape[3:]))
    wv = w._value
    wv = wv.reshape((b * wv.shape[1],) + tuple(wv.shape[2:]))
    bv = None
    if bias is not None:
        bv = materialize(bias, level).reshape(-1)
    rest = {k: v for k, v in a.items() if k not in ("input", "weight", "bias", "groups")}
    out = fn(xv, wv, bv, groups=groups * b, **rest)
    out = out.reshape((n, b, -1) + tuple(out.shape[2:])).transpose(0, 1)
    if unbatched_sample:
        out = out.squeeze(1)
    return wrap(out, level)


for _n, _rank in {"conv1d": 3, "conv2d": 4, "conv3d": 5, "conv_transpose1d": 3,
                  "conv_transpose2d": 4, "conv_transpose3d": 5, "max_pool1d": 3,
                  "max_pool2d": 4, "max_pool3d": 5, "avg_pool1d": 3, "avg_pool2d": 4,
                  "avg_pool3d": 5, "adaptive_avg_pool1d": 3, "adaptive_avg_pool2d": 4,
                  "adaptive_avg_pool3d": 5, "adaptive_max_pool1d": 3,
                  "adaptive_max_pool2d": 4, "adaptive_max_pool3d": 5, "lp_pool1d": 3,
                  "lp_pool2d": 4, "max_pool1d_with_indices": 3,
                  "max_pool2d_with_indices": 4}.items():
    RULES[_n] = fold_rule(_rank)


# -- nn ops on trailing dims ----------------------------------------------------------------
def _layer_norm(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    x, w, b = a["input"], a.get("weight"), a.get("bias")
    if not is_batched(x, level):
        x = wrap(materialize(x, level), level)
    out = wrap(fn(x._value, a["normalized_shape"], None, None, a.get("eps", 1e-5)), level)
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out


RULES["layer_norm"] = _layer_norm


def _embedding(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    idx, w = a["input"], a["weight"]
    if not is_batched(w, level):
        rest = {k: v for k, v in a.items() if k not in ("input", "weight")}
        return wrap(fn(idx._value, w, **rest), level)
    if a.get("max_norm") is not None:
        return NotImplemented
    from ..ops.creation import arange

    iv = materialize(idx, level)
    ar = arange(level.size).reshape((level.size,) + (1,) * (iv.ndim - 1))
    return wrap(w._value[ar, iv], level)


RULES["embedding"] = _embedding


# -- losses: per element on the batch, then reduced per sample ------------------------------
def _reduce_per_sample(out, reduction, level, batchmean=False):
    if reduction == "none":
        return out
    v = out._value if is_batched(out, level) else materialize(out, level)
    dims = tuple(range(1, v.ndim))
    if reduction == "sum":
        return wrap(v.sum(dims) if dims else v, level)
    if batchmean:
        return wrap((v.sum(dims) if dims else v) / (v.shape[1] if v.ndim > 1 else 1), level)
    return wrap(v.mean(dims) if dims else v, level)


def pointwise_loss(level, name, fn, args, kwargs):
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    if a.get("size_average") is not None or a.get("reduce") is not None:
        return NotImplemented
    reduction = a.get("reduction", "mean")
    a["reduction"] = "none"
    batchmean = reduction == "batchmean"
    # the losses check that target and input have one shape: give every tensor the batch
    r = max(_logical_ndim(t, level) for t in a.values() if isinstance(t, Tensor))
    for key, value in list(a.items()):
        if isinstance(value, Tensor):
            if not is_batched(value, level) and value.ndim < r:
                value = value.reshape((1,) * (r - value.ndim) + tuple(value.shape))
            a[key] = wrap(materialize(_padded(value, level, r), level), level)
    out = pointwise(level, name, fn, bound.args, bound.kwargs)
    return _reduce_per_sample(out, reduction, level, batchmean)


for _n in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "soft_margin_loss",
           "poisson_nll_loss"):
    RULES[_n] = pointwise_loss


def _class_loss(level, name, fn, args, kwargs):
    """cross_entropy / nll_loss with class indices: the samples' rows folded into one batch."""
    bound = _bind(fn, args, kwargs)
    a = bound.arguments
    x, target, weight = a["input"], a["target"], a.get("weight")
    if (a.get("size_average") is not None or a.get("reduce") is not None
            or a.get("label_smoothing", 0.0) or (weight is not None and is_batched(weight, level))
            or target.dtype.is_floating_point or x.ndim > 2 or x.ndim < 1):
        return NotImplemented
    reduction = a.get("reduction", "mean")
    ignore = a.get("ignore_index", -100)
    xv, tv = materialize(x, level), materialize(target, level)
    b = level.size
    if x.ndim == 2:
        n = xv.shape[1]
        xv, tv = xv.reshape(b * n, xv.shape[2]), tv.reshape(b * n)
    else:
        n = None
    rest = {k: v for k, v in a.items() if k not in ("input", "target", "reduction")}
    losses = fn(xv, tv, reduction="none", **rest)
    if n is None:
        losses = losses.reshape(b, 1)
        tv = tv.reshape(b, 1)
    else:
        losses, tv = losses.reshape(b, n), tv.reshape(b, n)
    if reduction == "none":
        return wrap(losses.reshape(b) if n is None else losses, level)
    total = losses.sum(1)
    if reduction == "sum":
        return wrap(total, level)
    keep = (tv != ignore)
    if weight is not None:
        w = weight[tv.clamp(0, weight.shape[0] - 1)] * keep
    else:
        w = keep.to(losses.dtype)
    return wrap(total / w.sum(1), level)


RULES["cross_entropy"] = RULES["nll_loss"] = _class_loss


# -- random ops -----------------------------------------------------------------------------
def _random_factory_batched(name, fn, args, kwargs, batch):
    """A random factory with one independent draw per sample of the 'different' levels."""
    fn = getattr(fn, "__wrapped__", fn)  # the op itself: it must not come back here
    if name in ("rand", "randn"):
        size = _sizes(args) if args else _sizes((kwargs.pop("size"),))
        return fn(*batch, *size, **kwargs)
    if name == "normal" and "size" in kwargs or len(args) > 2:
        bound = _bind(fn, args, kwargs)
        bound.arguments["size"] = batch + tuple(bound.arguments["size"])
        return fn(*bound.args, **bound.kwargs)
    if name == "randint":
        bound = _bind(fn, args, kwargs)
        bound.arguments["size"] = batch + tuple(bound.arguments["size"])
        return fn(*bound.args, **bound.kwargs)
    from ..ops.shape import stack

    count = _prod(batch)
    out = stack([fn(*args, **kwargs) for _ in range(count)])
    return out.reshape(batch + tuple(out.shape[1:]))


RULES["<random factory>"] = _random_factory_batched


def _random_on_tensor(level, name, fn, args, kwargs):
    """dropout, bernoulli, rand_like, ... on a batched tensor, by the randomness mode."""
    dropout = name in ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d",
                       "dropout2d", "dropout3d")
    if dropout:
        bound = _bind(fn, args, kwargs)
        params = bound.signature.parameters
        training = bound.arguments.get("training", params["training"].default)
        p = bound.arguments.get("p", params["p"].default)
        if not training or p == 0:
            return fn(*args, **kwargs)  # no randomness: the op's own checks, then its input
    for lv in levels.stack:
        if lv.randomness == "error":
            from ._vmap import _RANDOMNESS_ERROR

            raise RuntimeError(_RANDOMNESS_ERROR)
    if dropout:
        if bound.arguments.get("inplace"):
            return NotImplemented
        if level.randomness == "same":
            from ..ops.creation import ones

            x = bound.arguments["input"]
            bound.arguments["input"] = ones(tuple(x.shape), dtype=x.dtype)
            mask = fn(*bound.args, **bound.kwargs)
            return x * mask
        if name in ("dropout1d", "dropout2d", "dropout3d"):
            return fold_rule({"dropout1d": 3, "dropout2d": 4, "dropout3d": 5}[name])(
                level, name, fn, args, kwargs)
        return pointwise(level, name, fn, args, kwargs)
    if level.randomness == "same":
        if name in ("rand_like", "randn_like", "randint_like"):
            x = args[0]
            from ..ops.creation import empty

            return fn(empty(tuple(x.shape), dtype=x.dtype), *args[1:], **kwargs)
        return NotImplemented
    return pointwise(level, name, fn, args, kwargs)


for _n in ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d",
           "dropout3d", "bernoulli", "rand_like", "randn_like", "randint_like", "bernoulli_",
           "uniform_", "normal_", "exponential_", "random_", "cauchy_", "log_normal_",
           "geometric_", "poisson"):
    RULES[_n] = _random_on_tensor


def _out_refused(level, name, fn, args, kwargs):
    """An op given out= with a batched argument: fn raises PyTorch's refusal (ops/_out.py)."""
    return fn()


RULES["out="] = _out_refused


def _dense_copy(x):
    """A copy of ``x`` in a storage of its own, its elements in the same memory order as in
    ``x`` (a permuted sample stays permuted), so strides over the storage mean the same."""
    d = x._data
    order = sorted(range(d.ndim), key=lambda k: -abs(d.strides[k]))
    back = sorted(range(d.ndim), key=order.__getitem__)
    return x.permute(*order).clone().permute(*back)


def _own_storage(level, name, fn, args, kwargs):
    """An op that reads its input's memory layout (sizes and strides over its storage): run
    once per sample, each sample a contiguous tensor with a storage of its own, so offsets and
    strides count from the sample's first element (PyTorch's rule for a contiguous batch)."""
    from ._vmap import _sample, stack_results

    if not is_batched(args[0], level):
        return fallback(level, name, fn, args, kwargs)
    results = []
    for i in range(level.size):
        a = [_sample(x, level, i) for x in args]
        if a[0].__class__ is Tensor:  # batched at an outer level: that level copies it
            a[0] = _dense_copy(a[0])
        results.append(fn(*a, **{k: _sample(v, level, i) for k, v in kwargs.items()}))
    return stack_results(results, level, name)


for _n in ("as_strided", "as_strided_scatter", "stft"):
    RULES[_n] = _own_storage
