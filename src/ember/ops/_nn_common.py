"""What the neural-network op families share: a float-only input check, the fused node (one
function computing every input's gradient) and the linear map with a plan (pooling, padding).
"""

import inspect

import numpy as np

from .._dispatch import state as _dispatch
from .._tensor import Tensor, _make
from ..autograd.engine import grad as _engine_grad
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import FREED_MESSAGE, Node, edge, name_saved
from ._op import check_tensor, formula_node, linear, record
from .linalg import _word


def shape_list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def float_data(input, name, kernel=None, complex_ok=False):
    """input's array, which must be floating point (or complex, for the ops that take it:
    ``complex_ok``); PyTorch's error names the kernel: ``name + '_cpu'`` unless ``kernel`` is
    given."""
    d = input._data if isinstance(input, Tensor) else check_tensor(input, name)
    if d.dtype.kind not in "fV" and not (complex_ok and d.dtype.kind == "c"):
        raise NotImplementedError(
            f"\"{kernel or name + '_cpu'}\" not implemented for '{_word(d.dtype)}'"
        )
    return d


# -- fused nodes ----------------------------------------------------------------------------------
class _FusedNode(Node):
    """A node computing every input's gradient in one function (they share work, such as the
    normalized input of the norms). Without create_graph it works on arrays with the statistics
    saved by the forward; with create_graph it rebuilds them from the input in ember ops, so the
    gradient is itself differentiable."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        return self.grads(grads[0], create_graph, *self.unpack_saved())


def fused_node(name, fn):
    """A node class named ``name`` whose gradients are ``fn(node, g, create_graph, *saved)``."""
    return type(name, (_FusedNode,), {"__slots__": (), "grads": fn})


# -- linear maps with a plan --------------------------------------------------------------------
# Pooling at fixed indices, average pooling and padding are linear in their input: a *plan*
# holds the forward array map and its adjoint, and ``linear_map`` applies either one, its
# gradient being the other (so second derivatives work).
def linear_map(x, plan, adjoint, node=None, keep=None):
    """plan.forward(x) (or plan.adjoint): a recorded op whose gradient is the other map.
    ``keep``: a tensor the node holds only so that changing it in place is caught."""
    d = x._data
    out = plan.adjoint(d) if adjoint else plan.forward(d)
    if node is None:
        node = plan.nodes[1 if adjoint else 0]
    saved = (plan, adjoint) if keep is None else (plan, adjoint, keep)
    return record(out, node, (x,), saved)


def _linear_vjp(g, plan, adjoint, keep=None):
    return linear_map(g, plan, not adjoint)


def node_pair(name):
    """The nodes of a planned map and of its adjoint (PyTorch's ...Backward0 and
    ...BackwardBackward0)."""
    # forward rule: the map itself on the tangent
    jvp = linear(lambda t, plan, adjoint, keep=None: linear_map(t, plan, adjoint))
    return (formula_node(f"{name}Backward0", _linear_vjp, jvp=jvp),
            formula_node(f"{name}BackwardBackward0", _linear_vjp, jvp=jvp))


# -- kernels ember builds from other ops ------------------------------------------------------
class _KernelNode(Node):
    """One node, named as PyTorch's kernel, for an op that ember computes with other ops.

    The forward ran those ops on aliases of the tensor inputs (detached, sharing their memory
    and version counters): the node holds that inner graph, and its backward is a backward
    through it. Under create_graph the ops run again on the inputs themselves, so that the
    gradient stays differentiable in them (second derivatives)."""

    __slots__ = ("_inner",)

    def apply(self, grads, create_graph):
        inner = self._inner
        if inner is None or inner[3] is None:
            raise RuntimeError(FREED_MESSAGE)
        fn, args, kwargs, tensors, aliases, outs = inner
        wrt = [t for t, (nxt, _) in zip(tensors, self.next_functions) if nxt is not None]
        if create_graph:  # on the inputs themselves: the gradient is differentiable in them
            outs = _outputs(fn(*args, **kwargs))
        else:
            wrt = [aliases[id(t)] for t in wrt]
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if g is not None and isinstance(o, Tensor) and o._requires_grad]
        found = iter(())
        if pairs and wrt:
            deriving = _fw_state.deriving
            _fw_state.deriving = True  # not the user's backward (the engine's growth check)
            try:
                found = iter(_engine_grad([o for o, _ in pairs], wrt, [g for _, g in pairs],
                                          retain_graph=True, create_graph=create_graph,
                                          allow_unused=True))
            finally:
                _fw_state.deriving = deriving
        return tuple(next(found, None) if nxt is not None else None
                     for nxt, _ in self.next_functions)

    def release(self):
        """Free the call's tensors (and the inner graph); its other arguments stay, for the
        ``_saved_*`` fields that show numbers, which PyTorch keeps readable."""
        inner = self._inner
        if inner is not None:
            if self._computed_fields:
                self.keep_fields()
            fn, args, kwargs = inner[:3]
            self._inner = (fn, tuple(_freed(a) for a in args),
                           {k: _freed(v) for k, v in kwargs.items()}, None, None, None)
        self._store = None


class _Freed:
    """A tensor argument of a kernel node's call once backward freed it: reading it raises
    PyTorch's error for a freed saved tensor."""

    __slots__ = ()

    def __getattr__(self, name):
        raise RuntimeError(FREED_MESSAGE)

    def __iter__(self):
        raise RuntimeError(FREED_MESSAGE)


_FREED = _Freed()


def _freed(v):
    if isinstance(v, Tensor):
        return _FREED
    if isinstance(v, (list, tuple)) and any(isinstance(x, Tensor) for x in v):
        return type(v)(_freed(x) for x in v)
    return v


def kept(v):
    """A value read from a kernel node's call: PyTorch's error where backward freed it."""
    if v is _FREED or isinstance(v, (list, tuple)) and any(x is _FREED for x in v):
        raise RuntimeError(FREED_MESSAGE)
    return v


# -- what a kernel node shows as PyTorch's grad_fn._saved_* (read from the call it holds) ----
def _held(node):
    inner = node._inner
    if inner is None or inner[3] is None:  # backward freed the call's tensors
        raise RuntimeError(FREED_MESSAGE)
    return inner


def kernel_args(node):
    """The arguments of the call a kernel node holds, by name (defaults filled in; a tensor
    that backward freed stands as a value that raises when read)."""
    inner = node._inner
    if inner is None:
        raise RuntimeError(FREED_MESSAGE)
    fn, args, kwargs = inner[:3]
    signature = _SIGNATURES.get(fn)
    if signature is None:
        signature = _SIGNATURES[fn] = inspect.signature(fn)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


_SIGNATURES = {}  # the kernels' signatures (module-level functions: a small, fixed set)


def kernel_input(i):
    """A ``_saved_*`` field: the kernel node's tensor input i (None where absent)."""
    return lambda node: _held(node)[3][i]


def kernel_arg(name):
    """A ``_saved_*`` field: the argument ``name`` of the call (its default where not given)."""
    return lambda node: kept(kernel_args(node)[name])


def kernel_result(k=0):
    """A ``_saved_*`` field: the kernel's output k (as a tensor outside its graph)."""
    return lambda node: _held(node)[5][k].detach()


def kernel_saved(node_cls, needed=None, **fields):
    """Name PyTorch's ``grad_fn._saved_<field>`` of a kernel node from the call it holds: each
    field is a parameter name of the kernel's function (the value it was called with, or its
    default), or a function of the node and those arguments (a dict). ``needed``: {field:
    edge} for a tensor PyTorch saves only when that input's gradient is needed: None
    otherwise. Read after a backward freed the call, a field raises, as PyTorch's saved
    tensors do."""
    def field(f, e):
        if isinstance(f, str):
            def value(node):
                return kept(kernel_args(node)[f])
        else:
            def value(node):
                return kept(f(node, kernel_args(node)))
        if e is None:
            return value
        return lambda node: None if node.next_functions[e][0] is None else value(node)

    needed = needed or {}
    return name_saved(node_cls, **{k: field(f, needed.get(k)) for k, f in fields.items()})


def kernel_node(name, n_outputs=1):
    """A node class for ``as_kernel``, named as PyTorch names its kernel's node."""
    return type(name, (_KernelNode,), {"__slots__": (), "n_outputs": n_outputs})


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _swap(obj, table):
    if isinstance(obj, Tensor):
        return table.get(id(obj), obj)
    if isinstance(obj, (list, tuple)) and any(isinstance(x, Tensor) for x in obj):
        return type(obj)(_swap(x, table) for x in obj)
    return obj


def _other_grad(values, aliases):
    """Whether a tensor that requires grad is among ``values`` but not among the edges."""
    for v in values:
        if isinstance(v, Tensor):
            if v._requires_grad and id(v) not in aliases:
                return True
        elif isinstance(v, (list, tuple)) and _other_grad(v, aliases):
            return True
    return False


def as_kernel(node_cls, tensors, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, recorded as one ``node_cls`` node whose edges are ``tensors``
    (the tensor arguments in the order of PyTorch's node; None for an absent one), as
    PyTorch records its kernel. Without anything to record (or under forward mode or vmap,
    whose rules see the ops inside) it is fn's call itself."""
    if not (_grad_state.enabled and any(t is not None and t._requires_grad for t in tensors)) \
            or _fw_state.active or _dispatch.depth:
        return fn(*args, **kwargs)
    aliases = {id(t): t.detach().requires_grad_(t._requires_grad)
               for t in tensors if t is not None}
    if _other_grad(args, aliases) or _other_grad(kwargs.values(), aliases):
        return fn(*args, **kwargs)  # a gradient PyTorch's kernel refuses: ember's ops give it
    raw = fn(*(_swap(a, aliases) for a in args),
             **{k: _swap(v, aliases) for k, v in kwargs.items()})
    outs = _outputs(raw)
    edges = tuple((None, 0) if t is None else edge(t) for t in tensors)
    meta = [(t._data.shape, t._data.dtype) if t is not None and t._requires_grad else None
            for t in tensors]
    node = node_cls(edges, meta, (), None, None)
    node._inner = (fn, args, kwargs, tensors, aliases, outs)
    result = []
    for k, o in enumerate(outs):
        if isinstance(o, Tensor) and o._requires_grad:
            d = o._data
            if any(t is not None and np.may_share_memory(d, t._data) for t in tensors):
                d = d.copy()  # never an alias of an input without a view's bookkeeping
            w = _make(d, True)
            w._grad_fn = node
            w._output_nr = k
            w._version = o._version  # an in-place change is caught where the inner ops saved it
            o = w
        result.append(o)
    if not isinstance(raw, (tuple, list)):
        return result[0]
    return raw._make(result) if hasattr(raw, "_make") else type(raw)(result)
