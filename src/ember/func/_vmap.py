"""vmap: a function of one sample, run once on a whole batch.

Inside ``vmap(f)(x)``, ``f`` sees a BatchedTensor: a tensor whose shape is one sample's (the
logical shape) and whose ``_value`` is the real tensor holding every sample, the batch at
dimension 0 (the physical tensor). Each op that meets a BatchedTensor goes through the dispatch
seam (``ember._dispatch``) to its batching rule (``_batching.py``), which runs the ordinary op
once on the physical tensors; reverse-mode autograd therefore records the physical computation,
which is what lets ``grad`` and ``vjp`` compose with vmap. An op without a rule runs once per
sample (``_fallback``), with a one-time performance warning, as PyTorch does.

Nested vmaps nest the wrappers: the ``_value`` of a level-2 BatchedTensor is a level-1
BatchedTensor, and a rule works on one level at a time.
"""

import threading
import warnings

from .. import _dispatch
from .._tensor import Size, Tensor
from ._tree import flatten, unflatten

__all__ = ["vmap", "BatchedTensor"]


# op name -> batching rule; filled by _batching.py, which registers its rules on import
RULES = {}


class Level:
    """One active vmap: its batch size and how random ops behave in it."""

    __slots__ = ("size", "randomness", "depth")

    def __init__(self, size, randomness, depth):
        self.size = size
        self.randomness = randomness
        self.depth = depth


class _Levels(threading.local):
    def __init__(self):
        self.stack = []


levels = _Levels()


class NoBatchingRule(RuntimeError):
    """An op read a batched tensor's array directly: it has no batching rule."""


def _no_array(self):
    raise NoBatchingRule(
        "vmap: an operation read the data of a batched tensor without a batching rule; "
        "this is a bug in ember, please report it with the operation's name"
    )


class BatchedTensor(Tensor):
    """A tensor seen per sample inside vmap: ``_value`` holds the batch at dimension 0."""

    __slots__ = ("_value", "_level")
    _data = property(_no_array)

    # -- what a sample looks like ---------------------------------------------------------
    @property
    def shape(self):
        return Size(self._value.shape[1:])

    def size(self, dim=None):
        shape = self._value.shape[1:]
        if dim is None:
            return Size(shape)
        n = len(shape)
        if not -max(n, 1) <= dim < max(n, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(n, 1)}, {max(n, 1) - 1}], but got {dim})")
        return shape[dim]

    @property
    def ndim(self):
        return self._value.ndim - 1

    def dim(self):
        return self._value.ndim - 1

    ndimension = dim

    def numel(self):
        return self._value.numel() // self._value.shape[0] if self._value.shape[0] else \
            Size(self._value.shape[1:]).numel()

    nelement = numel

    def __len__(self):
        if self._value.ndim == 1:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[1]

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def device(self):
        return self._value.device

    @property
    def requires_grad(self):
        return self._value.requires_grad

    @property
    def grad_fn(self):
        return self._value.grad_fn

    @property
    def is_leaf(self):
        return self._value.is_leaf

    def is_floating_point(self):
        return self._value.is_floating_point()

    def is_complex(self):
        return self._value.is_complex()

    def element_size(self):
        return self._value.element_size()

    @property
    def itemsize(self):
        return self._value.itemsize

    def get_device(self):
        return -1

    def is_contiguous(self, memory_format=None):
        return True

    def __repr__(self):
        inner = repr(self._value).replace("\n", "\n    ")
        return f"BatchedTensor(lvl={self._level.depth}, bdim=0, value=\n    {inner}\n)"

    __str__ = __repr__

    def __format__(self, spec):
        return format(repr(self), spec)

    # -- what has no per-sample meaning ---------------------------------------------------
    def item(self):
        raise RuntimeError(
            "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
            "calling .item() on a Tensor, please try to rewrite what you're doing with other "
            "operations. If error is occurring somewhere inside PyTorch internals, please file "
            "a bug report."
        )

    def _control_flow(self, *args):
        raise RuntimeError(
            "vmap: It looks like you're attempting to use a Tensor in some data-dependent "
            "control flow. We don't support that yet, please file an issue at "
            "https://github.com/pytorch/pytorch/issues ."
        )

    __bool__ = __int__ = __float__ = __index__ = __complex__ = _control_flow

    def _no_storage(self, *args, **kwargs):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    numpy = tolist = __array__ = data_ptr = _no_storage

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._value.ndim == 1:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def backward(self, *args, **kwargs):
        raise RuntimeError(
            "vmap: backward() is not supported inside vmap; use torch.func.grad or "
            "torch.func.vjp inside the vmapped function instead"
        )


# Tensor methods and properties answered above or with no per-sample meaning; every other
# method of Tensor dispatches to its batching rule
_OWN = set(vars(BatchedTensor)) | {
    "__init__", "__new__", "__getattribute__", "__setattr__", "__reduce_ex__", "__deepcopy__",
    "__array_wrap__", "__array_priority__", "__doc__", "__module__", "__slots__", "__weakref__",
    "explain", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
}
# as PyTorch's: inside vmap, type(x) prints <class 'torch.Tensor'> (ember.Tensor plainly)
BatchedTensor.__module__, BatchedTensor.__qualname__ = "ember", "Tensor"
_REFLECTED = {"__radd__": "add", "__rsub__": "sub", "__rmul__": "mul", "__rtruediv__": "div",
              "__rfloordiv__": "floor_divide", "__rmod__": "remainder", "__rpow__": "pow",
              "__rmatmul__": "matmul", "__rand__": "bitwise_and", "__ror__": "bitwise_or",
              "__rxor__": "bitwise_xor"}


def _method(name, fn):
    def call(self, *args, **kwargs):
        # through the object's class: a tensor batched at an outer level dispatches again
        return getattr(self, name)(*args, **kwargs)

    call.__name__ = name
    call.__wrapped__ = fn  # its signature, for the rules that bind arguments

    def method(self, *args, **kwargs):
        return dispatch(name, call, (self, *args), kwargs)

    method.__name__ = name
    return method


def _property(name, prop):
    def call(self):
        return getattr(self, name)

    def get(self):
        return dispatch(name, call, (self,), {})

    return property(get)


def _install_methods():
    for name, value in list(vars(Tensor).items()):
        if name in _OWN:
            continue
        if isinstance(value, property):
            if name in ("data", "grad", "T", "mT", "H", "mH", "real", "imag"):
                setattr(BatchedTensor, name, _property(name, value))
        elif callable(value) and not isinstance(value, type):
            setattr(BatchedTensor, name, _method(name, value))


def wrap(value, level):
    """A BatchedTensor of ``level`` around ``value`` (the batch at dimension 0)."""
    t = object.__new__(BatchedTensor)
    t._value = value
    t._level = level
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._version = value._version
    t._base = None
    t._acc = None
    t._hooks = None
    return t


def is_batched(x, level):
    return x.__class__ is BatchedTensor and x._level is level


def unwrap(x, level):
    """The tensor of ``level``'s physical computation: batched ones give their value."""
    return x._value if x.__class__ is BatchedTensor and x._level is level else x


def materialize(x, level):
    """``x`` batched at ``level``: an unbatched tensor is expanded (a view, no copy)."""
    if is_batched(x, level):
        return x._value
    return x.unsqueeze(0).expand(level.size, *x.shape)


# -- dispatch -------------------------------------------------------------------------------
def _top_level(args, kwargs):
    """The innermost vmap level among the arguments (one level into lists and tuples)."""
    top = None
    for a in (*args, *kwargs.values()):
        if a.__class__ is BatchedTensor:
            if top is None or a._level.depth > top.depth:
                top = a._level
        elif a.__class__ in (list, tuple):
            for b in a:
                if b.__class__ is BatchedTensor and (top is None or b._level.depth > top.depth):
                    top = b._level
    return top


def dispatch(name, fn, args, kwargs):
    """Run op ``name`` (``fn``) on arguments of which some may be batched."""
    level = _top_level(args, kwargs)
    if level is None:
        random_rule = _random_factories.get(name)
        if random_rule is not None and levels.stack:
            return random_rule(name, fn, args, kwargs)
        return NotImplemented
    rule = RULES.get(name)
    if rule is not None:
        out = rule(level, name, fn, args, kwargs)
        if out is not NotImplemented:
            return out
    elif not _inplace_name(name):
        out = _composite(fn, args, kwargs)
        if out is not NotImplemented:
            return out
    return fallback(level, name, fn, args, kwargs)


def _inplace_name(name):
    return name.endswith("_") and not name.endswith("__") or name.startswith("__i")


def _composite(fn, args, kwargs):
    """An op without a rule of its own, run as written on the batched tensors: when it is
    built from other ops, each of those finds its rule. One that reads an array directly
    raises NoBatchingRule before any effect, and then runs once per sample instead."""
    raw = fn
    while hasattr(raw, "__wrapped__"):
        raw = raw.__wrapped__
    if raw is fn:
        return NotImplemented
    try:
        return raw(*args, **kwargs)
    except NoBatchingRule:
        return NotImplemented


_warned = set()


def _sample(x, level, i):
    if x.__class__ is BatchedTensor and x._level is level:
        return x._value.select(0, i)
    if x.__class__ in (list, tuple):
        return x.__class__(_sample(y, level, i) for y in x)
    return x


def fallback(level, name, fn, args, kwargs):
    """Run the op once per sample and stack the results (an op without a batching rule)."""
    if name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"There is a performance drop because we have not yet implemented the batching rule "
            f"for aten::{name.strip('_') if name.startswith('__') else name}. Please file us an "
            "issue on GitHub so that we can prioritize its implementation.",
            UserWarning, stacklevel=3)
    inplace = name.endswith("_") and not name.endswith("__") and args and isinstance(
        args[0], Tensor)
    if inplace and not is_batched(args[0], level):
        raise RuntimeError(
            f"vmap: {name}(self, *extra_args) is not possible because there exists a Tensor "
            "`other` in extra_args that has more elements than `self`. This happened due to "
            "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try "
            "to use out-of-place operators instead of inplace arithmetic. If said operator is "
            "being called inside the PyTorch framework, please file a bug report instead."
        )
    results = []
    for i in range(level.size):
        a = [_sample(x, level, i) for x in args]
        k = {key: _sample(v, level, i) for key, v in kwargs.items()}
        results.append(fn(*a, **k))
    if inplace:
        return args[0]
    return stack_results(results, level, name)


def stack_results(results, level, name):
    from ..ops.shape import stack

    first = results[0] if results else None
    if isinstance(first, Tensor):
        return wrap(stack(results), level)
    if isinstance(first, (tuple, list)):
        parts = [stack_results([r[j] for r in results], level, name) for j in range(len(first))]
        if hasattr(first, "_make"):
            return first._make(parts)  # a namedtuple
        return type(first)(parts)
    if all(r == first for r in results):
        return first
    raise RuntimeError(
        f"vmap: {name} returned a different non-tensor value for each sample, which vmap "
        "cannot batch"
    )


# -- random ops ----------------------------------------------------------------------------
_RANDOMNESS_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


def _random_factory(name, fn, args, kwargs):
    """rand/randn/randint/... inside vmap: an error, one draw for all, or one per sample."""
    for level in levels.stack:
        if level.randomness == "error":
            raise RuntimeError(_RANDOMNESS_ERROR)
    different = [lv for lv in levels.stack if lv.randomness == "different"]
    if not different:
        return NotImplemented
    out = RULES["<random factory>"](name, fn, args, kwargs,
                                           tuple(lv.size for lv in different))
    for lv in different:  # outermost first: an inner level's value is an outer level's tensor
        out = wrap(out, lv)
    return out


_random_factories = {name: _random_factory for name in (
    "rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like",
    "randint_like", "bernoulli", "multinomial", "poisson",
)}


# -- vmap itself ----------------------------------------------------------------------------
def _fname(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs, as torch.func.vmap."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(
            f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    def wrapped(*args, **kwargs):
        _check_dims_spec(func, in_dims, "in_dims")
        return _vmap_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    wrapped.__name__ = f"vmap({_fname(func)})"
    wrapped.__wrapped__ = func
    return wrapped


def _check_dims_spec(func, dims, what):
    if not isinstance(dims, (int, tuple, dict)) and dims is not None:
        raise ValueError(
            f"vmap({_fname(func)}, {what}={dims}, ...)(<inputs>): expected `{what}` to be int or a "
            f"(potentially nested) tuple matching the structure of inputs, got: {type(dims)}.")


def _broadcast_spec(spec, tree_args, func, what, ctx):
    """One in_dim per leaf of ``tree_args`` (an int broadcasts over a subtree)."""
    if isinstance(spec, int) or spec is None:
        leaves, _ = flatten(tree_args, none_is_leaf=what == "out_dims")
        return [spec] * len(leaves)
    if isinstance(spec, dict) and isinstance(tree_args, dict) and spec.keys() == tree_args.keys():
        out = []
        for key in tree_args:
            out.extend(_broadcast_spec(spec[key], tree_args[key], func, what, ctx))
        return out
    if not isinstance(tree_args, (tuple, list)) or len(spec) != len(tree_args):
        raise ValueError(
            f"vmap({_fname(func)}, {what}={spec}, ...)({ctx}): {what} is not compatible "
            f"with the structure of `{'inputs' if what == 'in_dims' else 'outputs'}`. {what} "
            f"has structure {_describe(spec)} but "
            f"{'inputs' if what == 'in_dims' else 'outputs'} has structure "
            f"{_describe(tree_args)}.")
    out = []
    for s, a in zip(spec, tree_args):
        out.extend(_broadcast_spec(s, a, func, what, ctx))
    return out


def _describe(tree):
    if isinstance(tree, (tuple, list)):
        return f"{type(tree).__name__}({', '.join(_describe(t) for t in tree)})"
    if isinstance(tree, dict):
        return "dict(" + ", ".join(f"{k}: {_describe(v)}" for k, v in tree.items()) + ")"
    return "*"


def _vmap_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    name = _fname(func)
    if not args:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
            "are trying to vmap over a function with no inputs. The latter is unsupported.")
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure {_describe(in_dims)} but "
            f"inputs has structure {_describe(args)}.")
    leaves, spec = flatten(args)
    dims = _broadcast_spec(in_dims, args, func, "in_dims", "<inputs>")
    size = None
    sizes = []
    for leaf, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims must be int or None "
                f"for each input, got {d}.")
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input "
                f"but the input is of type {type(leaf)}. We cannot vmap over non-Tensor "
                "arguments, please use None as the respective in_dim")
        n = leaf.dim()
        if not -n <= d < n:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some "
                f"input, but that input is a Tensor of dimensionality {n} so expected in_dim "
                f"to satisfy -{n} <= in_dim < {n}.")
        sizes.append(leaf.shape[d])
    if not sizes:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be "
            "vmapped over (got in_dims=None for every input).")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension")
    size = sizes[0]
    if chunk_size is not None and chunk_size < size:
        return _chunked(func, in_dims, out_dims, randomness, chunk_size, leaves, spec, dims,
                        size, kwargs)
    return _run_level(func, out_dims, randomness, leaves, spec, dims, size, kwargs)


def _chunked(func, in_dims, out_dims, randomness, chunk_size, leaves, spec, dims, size, kwargs):
    from ..ops.random import get_rng_state, set_rng_state
    from ..ops.shape import cat

    pieces = []
    state = get_rng_state() if randomness == "same" else None
    for start in range(0, size, chunk_size):
        n = min(chunk_size, size - start)
        part = [leaf.narrow(d, start, n) if d is not None else leaf
                for leaf, d in zip(leaves, dims)]
        if state is not None:  # 'same': every chunk draws the same random numbers
            set_rng_state(state)
        pieces.append(_run_level(func, out_dims, randomness, part, spec, dims, n, kwargs))
    first = pieces[0]
    out_leaves, out_spec = flatten(first, none_is_leaf=True)
    odims = _broadcast_spec(out_dims, first, func, "out_dims", "<inputs>")
    joined = []
    for j, d in enumerate(odims):
        parts = [flatten(p, none_is_leaf=True)[0][j] for p in pieces]
        joined.append(parts[0] if d is None else cat(parts, d))
    return unflatten(joined, out_spec)


def _run_level(func, out_dims, randomness, leaves, spec, dims, size, kwargs):
    stack = levels.stack
    level = Level(size, randomness, len(stack) + 1)
    batched = [leaf if d is None else wrap(leaf.movedim(d, 0), level)
               for leaf, d in zip(leaves, dims)]
    stack.append(level)
    _dispatch.state.depth += 1
    _dispatch.state.handler = dispatch
    try:
        out = func(*unflatten(batched, spec), **kwargs)
    finally:
        _dispatch.state.depth -= 1
        stack.pop()
    return _unbatch_outputs(func, out, out_dims, level)


def _unbatch_outputs(func, out, out_dims, level):
    name = _fname(func)
    out_leaves, out_spec = flatten(out, none_is_leaf=True)
    if isinstance(out_dims, tuple) and (not isinstance(out, (tuple, list))
                                        or len(out_dims) != len(out)):
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
            f"with the structure of `outputs`. out_dims has structure {_describe(out_dims)} "
            f"but outputs has structure {_describe(out)}.")
    odims = _broadcast_spec(out_dims, out, func, "out_dims", "<inputs>")
    result = []
    for leaf, d in zip(out_leaves, odims):
        if d is None:
            if is_batched(leaf, level):
                raise ValueError(
                    f"vmap({name}, ..., out_dims={out_dims})(<inputs>): Cannot return a "
                    "batched Tensor with out_dims=None: the output varies over the batch.")
            result.append(leaf)
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(leaf)}. Did you mean to set out_dims= to None for output?")
        value = materialize(leaf, level)
        n = value.dim()
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
                f"{d})")
        result.append(value.movedim(0, d) if d not in (0, -n) else value)
    return unflatten(result, out_spec)


_install_methods()
