"""The machinery every op shares: recording a node, formula nodes, broadcasting errors.

An op computes its forward on arrays, then calls ``record`` with its output array, the node
class holding its backward, the tensors it differentiates through and what the backward reads.
"""

import numpy as np

from .._tensor import Tensor, _edge, _make
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node

_ndarray = np.ndarray
_asarray = np.asarray


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
            if x.__class__ is Tensor or isinstance(x, Tensor):
                if x._requires_grad:
                    return _attach(out, node_cls, inputs, saved, save_out)
    return _make(out)


def _attach(out, node_cls, inputs, saved, save_out):
    edges = []
    meta = []
    for x in inputs:
        if isinstance(x, Tensor) and x._requires_grad:
            edges.append(_edge(x))
            meta.append(x._data)
        else:
            edges.append((None, 0))
            meta.append(None)
    versions = None
    for i, s in enumerate(saved):
        if isinstance(s, Tensor):
            if versions is None:
                versions = [None] * len(saved)
            versions[i] = s._version[0]
    t = _make(out, True)
    node = node_cls(tuple(edges), [(m.shape, m.dtype) if m is not None else None for m in meta],
                    saved, versions, (out, t._version, 0) if save_out else None)
    t._grad_fn = node
    return t


class FormulaNode(Node):
    """A node whose backward is one formula per differentiable input (``vjps``).

    Each formula takes the incoming gradient, then the saved values, then (when the op saved
    it) the output, and returns the gradient for its input as a Tensor, written in ember ops
    so that it is itself differentiable.
    """

    __slots__ = ()
    vjps = ()

    def apply(self, grads, create_graph):
        g = grads[0]
        saved = self.unpack_saved()
        if self._out is not None:
            saved = (*saved, self.unpack_out(create_graph))
        return tuple(
            vjp(g, *saved) if fn is not None else None
            for vjp, (fn, _) in zip(self.vjps, self.next_functions)
        )


def formula_node(name, *vjps):
    """A FormulaNode class named as PyTorch names it (e.g. 'MulBackward0')."""
    return type(name, (FormulaNode,), {"__slots__": (), "vjps": vjps})


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
            exc.add_note(
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
