"""Graph nodes: each op's ``grad_fn`` and the ``AccumulateGrad`` node of each leaf.

A node holds its inputs' edges (``next_functions``) and what its backward needs (saved
tensors), never its own outputs, so a dropped graph is freed by reference counting alone.
"""

import itertools
import weakref

from .._hooks import RemovableHandle
from .._tensor import _make, _type_name

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
    for inputs that need no gradient. ``_saved``: the inputs the backward reads (tensors or
    Python numbers), ``_versions`` their version numbers when saved. ``_out``: (array, version
    counter, version) of the output when the backward reads it. ``_meta``: each input's
    (shape, numpy dtype), so the engine can sum a broadcast gradient back and cast it.
    Subclasses implement ``apply(grads) -> tuple`` (one gradient or None per edge).
    """

    __slots__ = ("next_functions", "_saved", "_versions", "_out", "_meta", "_seq", "_hooks",
                 "_pre_hooks", "_retain_hooks", "_state", "__weakref__")

    n_outputs = 1

    def __init__(self, next_functions, meta, saved=None, versions=None, out=None):
        self.next_functions = next_functions
        self._meta = meta
        self._saved = saved
        self._versions = versions
        self._out = out
        self._seq = next(_sequence)
        self._hooks = self._pre_hooks = self._retain_hooks = self._state = None

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

    # saved values -----------------------------------------------------------------------
    def unpack_saved(self):
        """The saved inputs, checked against in-place changes since they were saved."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        versions = self._versions
        if versions is not None:
            for x, v in zip(saved, versions):
                if v is not None and x._version[0] != v:
                    raise_modified(x._data, x._version[0], v, x._grad_fn)
        return saved

    def unpack_out(self, create_graph):
        """The op's output, rebuilt from its array; attached to this node under create_graph."""
        data, counter, version = self._out
        if counter[0] != version:
            raise_modified(data, counter[0], version, self)
        t = _make(data, create_graph, self if create_graph else None)
        t._version = counter
        return t

    def release(self):
        """Free the tensors saved for backward (after a backward without retain_graph).

        Nodes that saved only shapes or numbers keep them: PyTorch lets those run again.
        """
        if self._versions is not None or self._out is not None:
            self._saved = None
            self._out = None

    @property
    def _saved_tensors(self):
        return self.unpack_saved()

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


def raise_modified(data, version, expected, fn):
    what = f"[{_type_name(data)} [{', '.join(str(s) for s in data.shape)}]]"
    if fn is not None:
        what += f", which is output 0 of {_op_name(fn)},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {version}; expected version {expected} instead. Hint: "
        "enable anomaly detection to find the operation that failed to compute its gradient, "
        "with ember.autograd.set_detect_anomaly(True, check_nan=False)."
    )


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
        self._saved = self._versions = self._out = None
        self._seq = float("inf")  # runs as soon as it is ready
        self._hooks = self._pre_hooks = self._retain_hooks = self._state = None

    def name(self):
        return "ember::autograd::AccumulateGrad"


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
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (accumulator(t), 0)
    return (None, 0)
