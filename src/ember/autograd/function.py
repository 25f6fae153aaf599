"""Custom autograd Functions: a forward on tensors (run without recording) and its backward.

    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    y = Exp.apply(x)        # y.grad_fn is an ExpBackward node, which is also the ctx

As in PyTorch, the ctx given to forward *is* the graph node: attributes set on it in forward
are there in backward. The backward runs with grad mode on only under create_graph=True, so a
backward written in ember ops can itself be differentiated.
"""

import functools
import warnings

import numpy as np

from .. import _names
from .. import _tensor as _tensor_mod
from .._errors import note
from .._tensor import Tensor, _make, _type_name
from . import forward_ad as _fw
from .forward_ad import state as _fw_state
from .grad_mode import state as _grad_state
from .graph import (
    FREED_MESSAGE,
    Node,
    SavedTensor,
    _op_name,
    accumulator,
    raise_modified,
    saved_hooks,
)

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction",
           "NestedIOFunction"]


class FunctionCtx:
    """What forward can tell backward: tensors to save, outputs modified or not differentiable.

    Any other attribute (``ctx.scale = 2``) is kept as is for backward.
    """

    # defaults read after forward; forward sets them per call through the methods below
    to_save = None
    to_save_forward = None
    dirty_tensors = None
    non_differentiable = None
    materialize_grads = True
    _in_jvp = None  # the tensors saved for forward, while jvp runs (saved_tensors gives them)

    def save_for_backward(self, *tensors):
        """Keep tensors (inputs, outputs or None) for backward, checked against in-place changes."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}"
                )
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        """Keep tensors for jvp (forward mode), where ``ctx.saved_tensors`` gives them."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise AssertionError(
                    "save_for_forward expects all arguments to be tensors; you should save "
                    "non-tensors as attributes on ctx."
                )
        self.to_save_forward = tensors

    def mark_dirty(self, *args):
        """Declare inputs that forward modified in place (and returns as outputs)."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        """Declare outputs that get no gradient (e.g. indices); backward sees zeros for them."""
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        """With False, backward receives None (instead of zeros) for outputs that got no grad."""
        self.materialize_grads = bool(value)


class _SavedOutput:
    """An output saved for backward, kept as its array: the node must not hold its own output
    (that would be a reference cycle), so the tensor is rebuilt on each unpack."""

    __slots__ = ("data", "counter", "version", "nr")

    def __init__(self, t):
        self.data = t._data
        self.counter = t._version
        self.version = t._version[0]
        self.nr = t._output_nr


class BackwardCFunction(FunctionCtx, Node):
    """Base of the node class made for each Function subclass (named ``<Name>Backward``).

    ``_args``: for each forward argument, its edge index, or -1 for a non-tensor argument.
    ``_out_meta``: each output's (shape, dtype), None for outputs that are not tensors.
    """

    _forward_cls = None
    _backward_fn = None

    def __init__(self):
        # a plain ctx until apply() knows the edges; see Function.apply
        self.next_functions = ()
        self._meta = None
        self._store = self._versions = self._out = None
        self._seq = 0
        self._hooks = self._pre_hooks = self._retain_hooks = self._state = None

    __repr__ = object.__repr__  # <ember.autograd.function.MyFnBackward object at 0x...>

    @property
    def saved_tensors(self):
        if self._in_jvp is not None:
            return self._in_jvp
        saved = self._store
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        out = []
        for s, v in zip(saved, self._versions):
            if s.__class__ is SavedTensor:
                out.append(s.unpack())
            elif s.__class__ is _SavedOutput:
                if s.counter[0] != s.version:
                    _raise_output_modified(s, self)
                t = _make(s.data, True, self)
                t._output_nr = s.nr
                t._version = s.counter
                out.append(t)
            else:
                if v is not None and s._version[0] != v:
                    raise_modified(s._data, s._version[0], v, s._grad_fn, self, s._version)
                out.append(s)
        return tuple(out)

    saved_variables = saved_tensors

    def release(self):
        # even with nothing saved, saved_tensors raises after a backward (as in PyTorch)
        self._store = None

    def apply(self, grads, create_graph):
        """Engine entry: one gradient (or None) per output in, one per edge out."""
        if self.materialize_grads:
            grads = [
                _make(np.zeros(m[0], m[1])) if g is None and m is not None else g
                for g, m in zip(grads, self._out_meta)
            ]
        result = self._backward_fn(self, *grads)
        if result.__class__ is not tuple:
            result = (result,)
        args = self._args
        n = len(args)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(result)})"
                )
        grads_in = [None] * len(self.next_functions)
        for pos, (k, r) in enumerate(zip(args, result)):
            if r is None:
                continue
            if k < 0:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at "
                    f"position {pos + 1}, but the corresponding forward input was not a Variable"
                )
            if not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__})")
            meta = self._meta[k]
            if meta is not None and r._data.shape != meta[0]:
                _check_expandable(r._data.shape, meta[0], k, self)
            grads_in[k] = r
        return tuple(grads_in)


def _check_expandable(gshape, shape, index, node):
    """The engine sums a broadcast gradient back; any other shape is the backward's mistake."""
    lead = len(gshape) - len(shape)
    if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(gshape)} but expected shape compatible with {list(shape)}"
        )


def _raise_output_modified(s, node):
    what = f"[{_type_name(s.data)} [{', '.join(str(d) for d in s.data.shape)}]]"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what}, which is output {s.nr} of {_op_name(node)}, is at version "
        f"{s.counter[0]}; expected version {s.version} instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        f"{_names.prefix}.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def _edge(t):
    if t._base is not None and t._vv != t._version[0]:
        _tensor_mod.view_refresh(t)  # a view whose base changed in place
    if t._grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    return (accumulator(t), 0)


class Function:
    """Base class for custom differentiable operations; use the subclass through ``apply``.

    Subclasses define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as
    staticmethods (or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``).
    ``backward`` returns one gradient per forward argument, None for those without one.
    """

    _backward_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        backward, vjp = cls.backward, cls.vjp
        if backward is not Function.backward and vjp is not Function.vjp:
            raise RuntimeError(
                "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                "You should only implement one of them."
            )
        fn = vjp if vjp is not Function.vjp else backward
        cls._backward_cls = type(
            cls.__name__ + "Backward", (BackwardCFunction,),
            {"_forward_cls": cls, "_backward_fn": staticmethod(fn),
             "__module__": _names.module_name(__name__)},
        )

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        if kwargs:
            raise TypeError(f"forward() got an unexpected keyword argument '{next(iter(kwargs))}'")
        node_cls = cls._backward_cls
        if node_cls is None:  # Function.apply on the base class itself
            raise NotImplementedError(
                "You must implement the forward function for custom autograd.Function."
            )
        ctx = node_cls()
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.needs_input_grad = needs
        state = _grad_state
        recording = state.enabled and True in needs
        prev = state.enabled
        state.enabled = False
        fw = _fw_state.active  # forward sees plain tensors: tangents come from jvp
        _fw_state.active = False
        try:
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args)
        finally:
            state.enabled = prev
            _fw_state.active = fw
        if not recording:
            if ctx.to_save is not None:
                ctx._store = ctx.to_save
                ctx._versions = tuple(_version_of(t) for t in ctx.to_save)
            return _forward_tangents(cls, ctx, args, output) if fw else output
        output = _connect(ctx, args, output)
        return _forward_tangents(cls, ctx, args, output) if fw else output


def _forward_tangents(cls, ctx, args, output):
    """Forward mode: the outputs' tangents from ``cls.jvp(ctx, *input tangents)`` (zeros for a
    tensor input without one, None for other arguments), when an input has a tangent."""
    tangents = [_fw.tangent_of(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return output
    tangents = [t if t is not None or not isinstance(a, Tensor) else _make(np.zeros_like(a._data))
                for a, t in zip(args, tangents)]
    saved = ctx.to_save_forward
    ctx._in_jvp = () if saved is None else tuple(saved)
    _fw_state.active = False
    try:
        result = cls.jvp(ctx, *tangents)
    finally:
        _fw_state.active = True
        ctx._in_jvp = None
    outs = output if output.__class__ is tuple else (output,)
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(outs):
        raise RuntimeError("Function's jvp returned an invalid number of forward gradients "
                           f"(expected {len(outs)} but got {len(results)})")
    for o, t in zip(outs, results):
        if isinstance(o, Tensor) and t is not None and o._data.dtype.kind in "fcV":
            if t._data.shape != o._data.shape:
                raise RuntimeError(
                    "Trying to set a forward gradient that has a different size than that of "
                    "the original Tensor, this is not supported. Tensor is of size "
                    f"[{', '.join(map(str, o._data.shape))}] while the given forward gradient "
                    f"is of size [{', '.join(map(str, t._data.shape))}]."
                )
            _fw.set_tangent(o, t)
    return output


def _version_of(t):
    return None if t is None else t._version[0]


def _connect(node, args, output):
    """Make ``node`` the grad_fn of the forward's outputs, with one edge per tensor argument."""
    edges, meta, positions = [], [], []
    input_ids = {}
    for a in args:
        if isinstance(a, Tensor):
            positions.append(len(edges))
            input_ids[id(a)] = a
            if a._requires_grad:
                edges.append(_edge(a))
                meta.append((a._data.shape, a._data.dtype))
            else:
                edges.append((None, 0))
                meta.append(None)
        else:
            positions.append(-1)
    Node.__init__(node, tuple(edges), meta)
    node._args = positions

    dirty = {id(t) for t in node.dirty_tensors or ()}
    for t in node.dirty_tensors or ():
        if t._grad_fn is None and t._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation."
            )
    non_diff = {id(t) for t in node.non_differentiable or ()}

    is_tuple = output.__class__ is tuple
    outs = output if is_tuple else (output,)
    new_outs, out_meta = [], []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            new_outs.append(o)
            out_meta.append(None)
            continue
        oid = id(o)
        if oid in dirty:
            o._version[0] += 1  # as PyTorch: marking dirty counts as a modification
        elif oid in input_ids:
            # an input returned unchanged: the output is a new alias of it, as in PyTorch
            alias = _make(o._data)
            alias._version = o._version
            alias._base = o if o._base is None else o._base
            alias._vv = o._version[0]
            o = alias
        if oid not in non_diff and o._data.dtype.kind in "fcV":
            o._requires_grad = True
            o._grad_fn = node
            o._output_nr = i
        elif oid in dirty:
            o._grad_fn = None
            o._requires_grad = False
        new_outs.append(o)
        out_meta.append((o._data.shape, o._data.dtype))
    node.n_outputs = len(outs)
    node._out_meta = out_meta

    to_save = node.to_save
    # these lists may hold outputs: drop them, or node -> output -> node would be a cycle
    if to_save is not None:
        node.to_save = None
    if node.dirty_tensors is not None:
        node.dirty_tensors = None
    if node.non_differentiable is not None:
        node.non_differentiable = None
    if to_save is None:
        node._store = ()
        node._versions = ()
    else:
        saved, versions = [], []
        for t in to_save:
            if t is None:
                saved.append(None)
                versions.append(None)
            elif t._grad_fn is node:
                saved.append(_SavedOutput(t))
                versions.append(None)
            else:
                saved.append(t)
                versions.append(t._version[0])
        if saved_hooks.stack:
            pack_hook, unpack_hook = saved_hooks.stack[-1]
            for i, t in enumerate(to_save):
                if t is not None:
                    st = SavedTensor(t, node, None)
                    st._packed = pack_hook(t)
                    st._unpack_hook = unpack_hook
                    st._tensor = None
                    saved[i] = st
                    versions[i] = None
        node._store = saved
        node._versions = versions
    return tuple(new_outs) if is_tuple else new_outs[0]


# -- once_differentiable ------------------------------------------------------------------------
class Error(Node):
    """The grad_fn of a once_differentiable backward's results: differentiating them fails.

    Named as PyTorch's (its repr is ``<Error object at ...>``)."""

    def apply(self, grads, create_graph):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(fn):
    """Decorate a backward that is not differentiable itself (e.g. it works on raw arrays).

    It runs without recording; under create_graph its results get a node that raises when a
    second derivative is requested, instead of silently giving a wrong (zero) one.
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _grad_state.enabled
        _grad_state.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _grad_state.enabled = prev
        if not prev:
            return outputs
        grad_args = [a for a in args if isinstance(a, Tensor) and a._requires_grad]
        if not grad_args:
            return outputs
        node = Error(tuple(_edge(a) for a in grad_args),
                            [(a._data.shape, a._data.dtype) for a in grad_args])
        is_tuple = outputs.__class__ is tuple
        outs = outputs if is_tuple else (outputs,)
        node.n_outputs = len(outs)
        wrapped = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o._data.dtype.kind in "fcV":
                o = _make(o._data, True, node)
                o._output_nr = i
            wrapped.append(o)
        return tuple(wrapped) if is_tuple else wrapped[0]

    return wrapper


# -- the legacy NestedIOFunction ----------------------------------------------------------
def _typename(obj):
    cls = type(obj)
    name = cls.__qualname__
    return name if cls.__module__ == "builtins" else f"{cls.__module__}.{name}"


def _nesting_error(obj, accepted):
    return ValueError(f"Auto nesting doesn't know how to process an input object of type "
                      f"{_typename(obj)}. Accepted types: {accepted}, or lists/tuples of them")


def _iter_tensors(obj, with_none=False):
    """The tensors in a nest of lists, tuples and dicts, in order (and the Nones, if asked);
    None is skipped otherwise, any other object refused."""
    if isinstance(obj, Tensor) or (with_none and obj is None):
        yield obj
    elif obj is None:
        return
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _iter_tensors(o, with_none)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _iter_tensors(o, with_none)
    else:
        raise _nesting_error(obj, "Tensors or None" if with_none else "Tensors")


def _map_tensor_data(obj):
    """The nest ``obj`` with each tensor replaced by its ``.data``."""
    if isinstance(obj, Tensor):
        return obj.data
    if obj is None:
        return None
    if isinstance(obj, (list, tuple)):
        mapped = (_map_tensor_data(o) for o in obj)
        return type(obj)(*mapped) if hasattr(obj, "_fields") else type(obj)(mapped)
    if isinstance(obj, dict):
        return {k: _map_tensor_data(v) for k, v in obj.items()}
    raise _nesting_error(obj, "Tensors")


def _unflatten(flat, proto):
    """The flat sequence ``flat`` put back into the nesting of lists and tuples of ``proto``."""
    def fill(flat, proto):
        if not isinstance(proto, (list, tuple)):
            return flat[0], flat[1:]
        out = []
        for p in proto:
            if p is None:
                out.append(None)
            else:
                item, flat = fill(flat, p)
                out.append(item)
        return type(proto)(out), flat

    return fill(flat, proto)[0]


class NestedIOFunction(Function):
    r"""
    This class is here only for backward compatibility reasons.
    Use :class:`Function` instead of this for any new use case.

    (The legacy interface: ``forward_extended`` and ``backward_extended`` as instance methods
    over nested lists and tuples of tensors. As in PyTorch 2.13, whose Function no longer has
    the legacy ``_do_forward``, calling an instance raises AttributeError, and so does
    ``apply``; the nesting helpers below still work on an instance.)
    """

    def _do_forward(self, *input):
        self._nested_input = input
        flat_input = tuple(_iter_tensors(input))
        try:
            do_forward = super()._do_forward
        except AttributeError as e:
            note(e, "NestedIOFunction is the legacy interface, which no longer runs: write a "
                    "Function with static forward(ctx, ...) and backward(ctx, ...) and call "
                    "it through .apply.")
            raise
        return _unflatten(do_forward(*flat_input), self._nested_output)

    def _do_backward(self, gradients, retain_variables):
        self.retain_variables = retain_variables
        result = super()._do_backward(gradients, retain_variables)
        if not retain_variables:
            del self._nested_output
            del self._to_save_nested
        return result

    def backward(self, *gradients):
        r"""
        Shared backward utility.
        """
        nested_gradients = _unflatten(gradients, self._nested_output)
        result = self.backward_extended(*nested_gradients)
        return tuple(_iter_tensors(result, with_none=True))

    __call__ = _do_forward

    def forward(self, *args):
        r"""
        Shared forward utility.
        """
        nested_tensors = _map_tensor_data(self._nested_input)
        result = self.forward_extended(*nested_tensors)
        del self._nested_input
        self._nested_output = result
        return tuple(_iter_tensors(result))

    def save_for_backward(self, *args):
        r"""
        See :meth:`Function.save_for_backward`.
        """
        self.to_save = tuple(_iter_tensors(args))
        self._to_save_nested = args

    @property
    def saved_tensors(self):
        r"""
        See :meth:`Function.saved_tensors`.
        """
        nested = self._to_save_nested
        return _unflatten((), nested)  # an instance never runs in a graph: nothing was saved

    def mark_dirty(self, *args, **kwargs):
        r"""
        See :meth:`Function.mark_dirty`.
        """
        self.dirty_tensors = tuple(_iter_tensors((args, kwargs)))

    def mark_non_differentiable(self, *args, **kwargs):
        r"""
        See :meth:`Function.mark_non_differentiable`.
        """
        self.non_differentiable = tuple(_iter_tensors((args, kwargs)))

    def forward_extended(self, *input):
        r"""
        User defined forward.
        """
        raise NotImplementedError

    def backward_extended(self, *grad_output):
        r"""
        User defined backward.
        """
        raise NotImplementedError
