"""Graph nodes: each op's ``grad_fn`` and the ``AccumulateGrad`` node of each leaf.

A node holds its inputs' edges (``next_functions``) and what its backward needs (saved
tensors), never its own outputs, so a dropped graph is freed by reference counting alone.
"""

import itertools
import weakref

import numpy as np

from .. import _names
from .. import _tensor as _tensor_mod
from .._errors import note
from .._hooks import RemovableHandle
from .._names import spell
from .._tensor import Tensor as _Tensor
from .._tensor import _make, _type_name
from . import anomaly as _anomaly
from .anomaly import state as _anomaly_state
from .forward_ad import set_tangent as _set_tangent
from .forward_ad import state as _fw_state

_sequence = itertools.count()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


class Node:
    """Base of every grad_fn.

    ``next_functions``: one ``(node, output_nr)`` edge per differentiable input, ``(None, 0)``
    for inputs that need no gradient. ``_store``: the inputs the backward reads (tensors or
    Python numbers), ``_versions`` their version numbers when saved. ``_out``: (array, version
    counter, version) of the output when the backward reads it. ``_meta``: each input's
    (shape, numpy dtype), so the engine can sum a broadcast gradient back and cast it.
    Subclasses implement ``apply(grads) -> tuple`` (one gradient or None per edge).
    ``jvp``: the op's forward-mode rule (see ``ops/_op.py``); None: derived from the backward.
    ``_fw_out``: the output's tangent, set only in forward mode when the backward reads the
    output (so a backward run on dual tensors sees it).
    """

    __slots__ = ("next_functions", "_store", "_versions", "_out", "_meta", "_seq", "_hooks",
                 "_pre_hooks", "_retain_hooks", "_state", "_fw_out", "_kept", "__weakref__")

    n_outputs = 1
    jvp = None
    _number_fields = ()  # positions of saved values shown as fields that may be numbers
    _computed_fields = ()  # (name, function) of computed fields that may be numbers

    def __init__(self, next_functions, meta, saved=None, versions=None, out=None):
        self.next_functions = next_functions
        self._meta = meta
        self._store = saved
        self._versions = versions
        self._out = out
        self._seq = next(_sequence)
        self._hooks = self._pre_hooks = self._retain_hooks = self._state = None
        if _anomaly_state.record:
            self._state = {"traceback_": _anomaly.capture()}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # PyTorch's nodes are C++ classes: type(y.grad_fn) prints <class 'MulBackward0'>
        # (a custom Function's node keeps its module: <class '...function.ExpBackward'>)
        where = cls.__module__
        if where.startswith("ember.") and where != "ember.autograd.function":
            cls.__module__ = "builtins"

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def metadata(self):
        if self._state is None:
            self._state = {}
        return self._state

    def needs_input_grad(self, i):
        return self.next_functions[i][0] is not None

    def apply_arrays(self, grads):
        """The backward of a first-order pass, on arrays: ``grads`` holds one array (or None)
        per output, the result one array (or None) per edge.

        This default wraps the arrays as Tensors, runs ``apply`` and unwraps what it returns:
        every node works so. Nodes whose formulas can run on the arrays themselves override it
        (ops/_op.py's formula nodes), and no Tensor is made for them.
        """
        out = self.apply([None if g is None else _make(g) for g in grads], False)
        return [None if r is None else r._data for r in out]

    # saved values -----------------------------------------------------------------------
    def unpack_saved(self):
        """The saved inputs, checked against in-place changes since they were saved."""
        saved = self._store
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        if saved.__class__ is Packed:
            return tuple(s.unpack() if s.__class__ is SavedTensor else s for s in saved)
        versions = self._versions
        if versions is not None:
            for x, v in zip(saved, versions):
                if v is not None and x._version[0] != v:
                    raise_modified(x._data, x._version[0], v, x._grad_fn, self, x._version)
        return saved

    def unpack_out(self, create_graph):
        """The op's output, rebuilt from its array; attached to this node under create_graph."""
        data, counter, version = self._out
        if data is None:  # packed by saved-tensor hooks
            return self._out.saved.unpack()
        if counter[0] != version:
            raise_modified(data, counter[0], version, self, self, counter)
        t = _make(data, create_graph, self if create_graph else None)
        t._version = counter
        if _fw_state.active:
            tangent = getattr(self, "_fw_out", None)
            if tangent is not None:
                _set_tangent(t, tangent)
        return t

    def release(self):
        """Free the tensors saved for backward (after a backward without retain_graph).

        Nodes that saved only shapes or numbers keep them: PyTorch lets those run again. The
        numbers a node shows as ``_saved_*`` fields stay readable, as PyTorch's do.
        """
        if self._versions is not None or self._out is not None:
            if self._number_fields or self._computed_fields:
                self.keep_fields()
            self._store = None
            self._out = None

    def keep_fields(self):
        """Before the saved tensors are freed: keep the values of the ``_saved_*`` fields
        that are numbers, sizes or flags (positions and computed fields alike)."""
        saved = self._store
        if saved is None or saved.__class__ is Packed:
            return
        kept = {i: saved[i] for i in self._number_fields if _keeps(saved[i])}
        for name, fn in self._computed_fields:
            try:
                v = fn(self)
            except Exception:  # noqa: BLE001 - a field that raises is not kept
                continue
            if _keeps(v):
                kept[name] = v
        self._kept = kept

    def _field(self, i, raw):
        """PyTorch's ``_saved_<field>`` (the value) or ``_raw_saved_<field>`` (SavedTensor).

        ``i``: the position in the saved values, or -1 for the op's output.
        """
        if i == -1:  # the op's output
            out = self._out
            if raw:
                return out.saved if out is not None and out[0] is None else SavedTensor(
                    None, self, out)
            if out is None:
                raise RuntimeError(FREED_MESSAGE)
            return self.unpack_out(False)  # checked against in-place changes, as PyTorch
        saved = self._store
        if raw:
            item = None if saved is None else saved[i]
            return item if item.__class__ is SavedTensor else SavedTensor(item, self, None)
        if saved is None:
            kept = getattr(self, "_kept", None)  # what release() kept: numbers, not tensors
            if kept is not None and i in kept:
                return kept[i]
            raise RuntimeError(FREED_MESSAGE)
        item = saved[i]
        if item.__class__ is SavedTensor:
            return item.unpack()
        versions = self._versions
        if versions is not None and versions[i] is not None and item._version[0] != versions[i]:
            raise_modified(item._data, item._version[0], versions[i], item._grad_fn, self,
                           item._version)
        return item

    # hooks ------------------------------------------------------------------------------
    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node's backward."""
        if self._hooks is None:
            self._hooks = []
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node's backward and may replace them."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        return RemovableHandle(self._pre_hooks, fn)


def raise_modified(data, version, expected, fn, saver=None, counter=None):
    """PyTorch's error for a saved tensor modified in place, with a note on what happened.

    ``fn``: the node that made the tensor; ``saver``: the node whose backward needed it;
    ``counter``: its version counter (in-place ops recorded on it while diagnosing).
    """
    what = f"[{_type_name(data)} [{', '.join(str(s) for s in data.shape)}]]"
    if fn is not None:
        what += f", which is output 0 of {_op_name(fn)},"
    if _anomaly_state.enabled:
        hint = ("Hint: the backtrace further above shows the operation that failed to compute "
                "its gradient. The variable in question was changed in there or anywhere later. "
                "Good luck!")
    else:
        hint = spell("Hint: enable anomaly detection to find the operation that failed to "
                     "compute its gradient, with ember.autograd.set_detect_anomaly(True, "
                     "check_nan=False).")
    exc = RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {version}; expected version {expected} instead. "
        + hint
    )
    if saver is not None:
        note(exc, modified_note(saver, counter, version, expected))
    raise exc


def modified_note(saver, counter, version, expected):
    """Plain words: which op saved the tensor, where, and which in-place ops changed it."""
    lines = [f"{saver.name()} saved this tensor (at version {expected}) to compute its "
             f"gradient; it was modified in place afterwards (now at version {version})."]
    stack = saver._state.get("traceback_") if saver._state else None
    where = _anomaly.user_line(stack)
    if where is not None:
        lines.append(f"  {saver.name()} was created at {where}")
    events = [e for e in _anomaly.bumps(counter) if e[0] > expected] if counter else []
    for v, op, st in events:
        at = _anomaly.user_line(st)
        lines.append(f"  {op} moved it to version {v}" + (f" at {at}" if at else ""))
    if not events:
        lines.append(spell("  Run the forward pass under ember.autograd.diagnose() (or "
                           "set_detect_anomaly(True)) to see the lines that created and "
                           "modified it."))
    lines.append("Fix: use the out-of-place op (e.g. `x = x + 1` instead of `x += 1`, `relu` "
                 "instead of `relu_`), or clone the tensor before modifying it.")
    return "\n".join(lines)


def _op_name(node):
    """'MulBackward0' -> 'Mul': how PyTorch names an op in its messages."""
    name = type(node).__name__
    cut = name.rfind("Backward")
    return name[:cut] if cut > 0 else name


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds incoming gradients into ``leaf.grad``.

    The node holds its leaf; the leaf holds the node only weakly (as in PyTorch), so the graph
    keeps leaves alive but a leaf never keeps a graph alive.
    """

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.next_functions = ()
        self.variable = variable
        self._meta = None
        self._store = self._versions = self._out = None
        self._seq = float("inf")  # runs as soon as it is ready
        self._hooks = self._pre_hooks = self._retain_hooks = self._state = None

    def name(self):
        return f"{_names.prefix}::autograd::AccumulateGrad"


def accumulator(leaf):
    """The AccumulateGrad node of a leaf, created on first use."""
    ref = leaf._acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf._acc = weakref.ref(node)
    return node


def edge(t):
    """The graph edge through which a gradient flows back into t."""
    if t._base is not None and t._vv != t._version[0]:
        _tensor_mod.view_refresh(t)
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (accumulator(t), 0)
    return (None, 0)


def name_saved(node_cls, numbers_as_tensors=False, needed=None, **fields):
    """Name what node_cls saves, as PyTorch's ``grad_fn._saved_<name>`` attributes.

    Each value is a position in the saved values, -1 for the op's output, or a function of the
    node computing the value when it is read (from ``_meta``, ``_inner``, other saved values):
    what PyTorch keeps and ember derives, at no cost to the op. They become properties of the
    class (a ``__getattr__`` on Node would slow every attribute read).
    ``numbers_as_tensors``: the op takes a Python number where PyTorch's signature has a
    Tensor, which PyTorch wraps as a 0-d tensor (int64, float64, bool or complex128): the
    field shows it so. ``needed``: {field: edge} for a value PyTorch keeps only when that
    input's gradient is needed (mm's mat2 when self requires grad): None otherwise.
    """
    for name, i in fields.items():
        if callable(i):
            if name in _TENSOR_FIELDS:
                setattr(node_cls, "_saved_" + name, property(i))
            else:  # a number: kept when backward frees the tensors it is computed from
                setattr(node_cls, "_saved_" + name, property(_kept_or(name, i)))
                node_cls._computed_fields += ((name, i),)
            continue
        if needed and name in needed:
            def value(self, i=i, e=needed[name]):
                return None if self.next_functions[e][0] is None else self._field(i, False)
        elif numbers_as_tensors:
            def value(self, i=i):
                v = self._field(i, False)
                return _make(np.asarray(v)) if isinstance(v, (int, float, complex)) else v
        else:
            def value(self, i=i):
                return self._field(i, False)
        setattr(node_cls, "_saved_" + name, property(value))
        setattr(node_cls, "_raw_saved_" + name,
                property(lambda self, i=i: self._field(i, True)))
        if i >= 0 and name not in _TENSOR_FIELDS and i not in node_cls._number_fields:
            node_cls._number_fields += (i,)
    return node_cls


def _kept_or(name, fn):
    def value(self):
        if self._store is None:
            kept = getattr(self, "_kept", None)
            if kept is not None and name in kept:
                return kept[name]
        return fn(self)
    return value


# the names PyTorch gives saved tensors (a field not named so may hold a number, which a
# backward does not free: release() keeps those, checking each value)
_TENSOR_FIELDS = frozenset((
    "self", "other", "result", "input", "weight", "bias", "mat1", "mat2", "mat", "vec",
    "vec1", "vec2", "batch1", "batch2", "tensor1", "tensor2", "src", "source", "index",
    "indices", "mask", "target", "values", "A", "B", "LU", "L", "U", "S", "Vh", "Q", "R",
    "eigenvalues", "eigenvectors", "solution", "output", "noise", "query", "key", "value",
    "logsumexp", "running_mean", "running_var", "result0", "result1", "result2", "result3",
    "buffer", "end", "grid", "log_probs", "targets", "pivots", "tau", "total_weight",
    "is_target",
))
_SCALARS = frozenset((int, float, bool, complex, str, type(None)))


def _keeps(v):
    """Whether a field's value outlives the freed tensors: a number, flag, string, None, or
    a tuple of those (sizes, strides, dims)."""
    return v.__class__ in _SCALARS or isinstance(v, (tuple, list)) and not any(
        isinstance(x, (_Tensor, np.ndarray)) for x in v)


# -- saved-tensor hooks ---------------------------------------------------------------------------
class _SavedHooks:
    __slots__ = ("stack", "disabled")

    def __init__(self):
        self.stack = []  # (pack, unpack) pairs; the innermost is used
        self.disabled = None  # the error message while disable_saved_tensors_hooks is active


saved_hooks = _SavedHooks()


class Packed(tuple):
    """The saved values of a node whose tensors went through pack hooks (SavedTensor items)."""

    __slots__ = ()


class PackedOut(tuple):
    """``Node._out`` when the output went through pack hooks: (None, counter, version).

    Its ``saved`` attribute is the SavedTensor (rare: a __dict__ is fine here).
    """


class SavedTensor:
    """A tensor saved for backward (PyTorch's ``torch._C._autograd.SavedTensor``)."""

    __slots__ = ("_tensor", "_packed", "_unpack_hook", "_counter", "_version", "_node", "_out")

    def __init__(self, tensor, node, out):
        self._tensor = tensor
        self._packed = self._unpack_hook = None
        self._node = node
        self._out = out
        self._counter = tensor._version if isinstance(tensor, _Tensor) else None
        self._version = self._counter[0] if self._counter is not None else None

    def register_hooks(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("register_hooks(): incompatible function arguments.")
        if self._unpack_hook is not None:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time."
            )
        t = self._value()
        self._packed = pack_hook(t)
        self._unpack_hook = unpack_hook
        self._tensor = None
        node = self._node
        if node is not None and node._store is not None and self._out is None:
            saved = list(node._store)
            for i, s in enumerate(saved):
                if s is t:
                    saved[i] = self
            node._store = Packed(saved)

    def _value(self):
        if self._out is not None:
            data = self._out[0]
            return None if data is None else _make(data)
        return self._tensor

    @property
    def data(self):
        return self.unpack()

    @property
    def unpack_hook(self):
        return self._unpack_hook

    def unpack(self):
        if self._unpack_hook is None:
            return self._value()
        t = self._unpack_hook(self._packed)
        if not isinstance(t, _Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        counter = self._counter
        if counter is not None and counter[0] != self._version:
            raise_modified(t._data, counter[0], self._version, t._grad_fn, self._node, counter)
        return t


def pack(saved, node_out=None):
    """Run the innermost pack hook on each tensor of ``saved`` (called only when hooks are set)."""
    pack_hook, unpack_hook = saved_hooks.stack[-1]
    items = []
    for s in saved:
        if isinstance(s, _Tensor):
            st = SavedTensor(s, None, None)
            st._packed = pack_hook(s)
            st._unpack_hook = unpack_hook
            st._tensor = None
            s = st
        items.append(s)
    return Packed(items)


def pack_out(t):
    """Node._out for output ``t`` packed by the innermost pack hook."""
    pack_hook, unpack_hook = saved_hooks.stack[-1]
    st = SavedTensor(t, None, None)
    st._packed = pack_hook(t)
    st._unpack_hook = unpack_hook
    st._tensor = None
    out = PackedOut((None, t._version, t._version[0]))
    out.saved = st
    return out


class saved_tensors_hooks:
    """Context manager: pack_hook(tensor) runs when a tensor is saved for backward, and
    unpack_hook(packed) when backward (or ``grad_fn._saved_*``) reads it."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if saved_hooks.disabled is not None:
            raise RuntimeError(saved_hooks.disabled)
        saved_hooks.stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        saved_hooks.stack.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors in CPU memory: ember's tensors always are, so they pass through."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(_identity, _identity)


def _identity(t):
    return t


class disable_saved_tensors_hooks:
    """Inside it, entering saved_tensors_hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self.prev = saved_hooks.disabled
        saved_hooks.disabled = self.error_message

    def __exit__(self, *exc):
        saved_hooks.disabled = self.prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)

        return wrapper
