"""The machinery every op shares: recording a node, formula nodes, broadcasting errors.

An op computes its forward on arrays, then calls ``record`` with its output array, the node
class holding its backward, the tensors it differentiates through and what the backward reads.
"""

import numpy as np

from .. import _device, _dtype
from .._errors import note
from .._tensor import Tensor, _make
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node, accumulator, pack, pack_out, saved_hooks

_ndarray = np.ndarray
_asarray = np.asarray
_np_number = (np.generic, np.ndarray)


def record(out, node_cls, inputs, saved=(), save_out=False):
    """Wrap the array ``out`` as a Tensor; attach a ``node_cls`` when a gradient is needed.

    ``inputs``: the op's differentiable arguments in order (tensors, or None/numbers for
    arguments that are not tensors). ``saved``: what the backward formula reads besides the
    gradient (tensors are version-checked). ``save_out``: the formula also reads the output.
    """
    if out.__class__ is not _ndarray:
        out = _asarray(out)  # NumPy returns scalars for 0-d results; tensors hold arrays
    if _grad_state.enabled:
        for x in inputs:
            if (x.__class__ is Tensor or isinstance(x, Tensor)) and x._requires_grad:
                return _attach(out, node_cls, inputs, saved, save_out)
    return _make(out)


_NO_EDGE = (None, 0)


def _attach(out, node_cls, inputs, saved, save_out):
    """Record node_cls as the grad_fn of a new tensor around ``out`` (something needs grad)."""
    edges = []
    meta = []
    for x in inputs:
        if (x.__class__ is Tensor or isinstance(x, Tensor)) and x._requires_grad:
            fn = x._grad_fn
            if fn is None:
                edges.append((accumulator(x), 0))
            else:
                edges.append((fn, x._output_nr))
            d = x._data
            meta.append((d.shape, d.dtype))
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    versions = None
    if saved:
        for s in saved:
            if s.__class__ is Tensor or isinstance(s, Tensor):
                versions = [x._version[0] if isinstance(x, Tensor) else None for x in saved]
                break
    t = _make(out, True)
    if saved_hooks.stack:
        if versions is not None:
            saved = pack(saved)
        t._grad_fn = node = node_cls(tuple(edges), meta, saved, versions, None)
        if save_out:
            node._out = pack_out(t)
        return t
    t._grad_fn = node_cls(tuple(edges), meta, saved, versions,
                          (out, t._version, 0) if save_out else None)
    return t


def attach_same_dtype(out, node_cls, a, b, saved):
    """_attach for a binary op whose tensor operands have out's dtype (the arithmetic fast path).

    An input shaped like the output gets no metadata (None): the engine then has nothing to
    check or sum for it, which is the common case.
    """
    shape = out.shape
    if a._requires_grad:
        fn = a._grad_fn
        ea = (fn, a._output_nr) if fn is not None else (accumulator(a), 0)
        sa = a._data.shape
        ma = None if sa == shape else (sa, out.dtype)
    else:
        ea = _NO_EDGE
        ma = None
    if b.__class__ is Tensor and b._requires_grad:
        fn = b._grad_fn
        eb = (fn, b._output_nr) if fn is not None else (accumulator(b), 0)
        sb = b._data.shape
        mb = None if sb == shape else (sb, out.dtype)
    else:
        eb = _NO_EDGE
        mb = None
    sa_, sb_ = saved
    versions = None
    if sa_.__class__ is Tensor or sb_.__class__ is Tensor:
        versions = (sa_._version[0] if sa_.__class__ is Tensor else None,
                    sb_._version[0] if sb_.__class__ is Tensor else None)
        if saved_hooks.stack:
            saved = pack(saved)
    t = _make(out, True)
    t._grad_fn = node_cls((ea, eb), (ma, mb), saved, versions, None)
    return t


class FormulaNode(Node):
    """A node whose backward is one formula per differentiable input (``vjps``).

    Each formula takes the incoming gradient, then the saved values, then (when the op saved
    it) the output, and returns the gradient for its input as a Tensor, written in ember ops
    so that it is itself differentiable.

    ``arrays``: the formulas use only arithmetic operators, which mean the same on ndarrays.
    Without create_graph they then run on the raw arrays (no Tensor or node per step of the
    formula); NumPy gives the same result whenever the gradient and the saved tensors share a
    dtype, which ``_array_args`` checks.
    """

    __slots__ = ()
    vjps = ()
    arrays = False

    def apply(self, grads, create_graph):
        g = grads[0]
        saved = self.unpack_saved()
        if self.arrays and not create_graph:
            args = self._array_args(g, saved)
            if args is not None:
                return tuple(None if fn is None else _wrap(vjp(*args))
                             for vjp, (fn, _) in zip(self.vjps, self.next_functions))
        if self._out is not None:
            saved = (*saved, self.unpack_out(create_graph))
        return tuple(
            vjp(g, *saved) if fn is not None else None
            for vjp, (fn, _) in zip(self.vjps, self.next_functions)
        )

    def _array_args(self, g, saved):
        """(gradient, *saved, output) as arrays and numbers, or None if a dtype differs."""
        gd = g._data
        dt = gd.dtype
        args = [gd]
        for s in saved:
            if s.__class__ is Tensor or isinstance(s, Tensor):
                s = s._data
                if s.dtype is not dt:
                    return None
            elif isinstance(s, _np_number):
                return None  # NumPy does not treat its scalars as weakly typed numbers
            args.append(s)
        if self._out is not None:
            data, counter, version = self._out
            if data is None:
                return None  # packed by saved-tensor hooks: the Tensor path unpacks it
            if counter[0] != version:
                self.unpack_out(False)  # raises the in-place modification error
            args.append(data)
        return args


def _wrap(result):
    # NumPy returns scalars for 0-d results; tensors hold arrays
    return _make(result if result.__class__ is _ndarray else _asarray(result))


class UnaryFormulaNode(FormulaNode):
    """The common one-input case, without the general loop (it runs on every backward)."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        saved = self._saved
        if saved is None:
            saved = self.unpack_saved()  # raises the freed-graph error
        elif self._versions is not None:
            saved = self.unpack_saved()
        if self.arrays and not create_graph:
            args = self._array_args(grads[0], saved)
            if args is not None:
                return (_wrap(self.vjps[0](*args)),)
        if self._out is not None:
            return (self.vjps[0](grads[0], *saved, self.unpack_out(create_graph)),)
        return (self.vjps[0](grads[0], *saved),)


class BinaryFormulaNode(FormulaNode):
    """The common two-input case (arithmetic), without the general loop."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        g = grads[0]
        saved = self.unpack_saved()
        (fa, _), (fb, _) = self.next_functions
        va, vb = self.vjps
        if self.arrays and not create_graph:
            args = self._array_args(g, saved)
            if args is not None:
                return (None if fa is None else _wrap(va(*args)),
                        None if fb is None else _wrap(vb(*args)))
        if self._out is not None:
            saved = (*saved, self.unpack_out(create_graph))
        return (None if fa is None else va(g, *saved), None if fb is None else vb(g, *saved))


def formula_node(name, *vjps, arrays=False):
    """A FormulaNode class named as PyTorch names it (e.g. 'MulBackward0').

    ``arrays=True`` declares that the formulas use only arithmetic operators (see FormulaNode).
    """
    base = {1: UnaryFormulaNode, 2: BinaryFormulaNode}.get(len(vjps), FormulaNode)
    return type(name, (base,), {"__slots__": (), "vjps": vjps, "arrays": arrays})


def broadcast_shapes_error(sa, sb):
    """PyTorch's text for shapes that do not broadcast."""
    n = max(len(sa), len(sb))
    for i in range(n - 1, -1, -1):
        ia, ib = i - (n - len(sa)), i - (n - len(sb))
        da = sa[ia] if ia >= 0 else 1
        db = sb[ib] if ib >= 0 else 1
        if da != db and da != 1 and db != 1:
            exc = RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {i}"
            )
            note(exc,
                f"Shapes {tuple(sa)} and {tuple(sb)} do not broadcast: aligned from the right, "
                "each pair of sizes must be equal or one of them must be 1."
            )
            return exc
    return None


def check_tensor(x, op, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )


def argname(a):
    """How PyTorch's argument errors name the type of ``a`` ('Tensor', 'ember.dtype', 'int')."""
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, (_dtype.dtype, _device.device)):
        return "ember." + type(a).__name__
    return _device._typename(a)
