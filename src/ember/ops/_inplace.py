"""In-place ops: the rules every one of them shares.

A leaf that requires grad cannot be changed while grad mode is on; a result must be castable
to the tensor's dtype; an in-place op bumps the version counter that the tensor shares with
its views, so that backward can tell a saved tensor was changed. When autograd records an
in-place op on a view, the base's history becomes PyTorch's CopySlices node.
"""

import numpy as np

from .. import _names
from .. import _tensor as _tensor_mod
from .._dtype import from_np
from .._errors import note
from .._tensor import Tensor, _make
from ..autograd import forward_ad as _fw
from ..autograd.anomaly import record_bump
from ..autograd.anomaly import state as _anomaly_state
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import _op_name, name_saved
from ._op import FormulaNode, formula_node, inplace_tangent, record


def check_inplace(self):
    """PyTorch's rule: a leaf that requires grad cannot be modified while grad mode is on."""
    if self._requires_grad and self._grad_fn is None and _grad_state.enabled:
        exc = RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
        note(exc,
            "Update parameters under `with torch.no_grad():` (or through `w.data`), e.g. "
            "`with torch.no_grad(): w -= lr * w.grad`."
        )
        raise exc


def check_castable(result, self):
    rd, sd = result._data.dtype, self._data.dtype
    if rd is not sd and from_np[rd]._cat > from_np[sd]._cat:
        raise RuntimeError(
            f"result type {from_np[rd].word} can't be cast to the desired "
            f"output type {from_np[sd].word}"
        )


def apply_inplace(self, op, *args):
    """Run ``op(self, *args)`` and write its result into self's storage.

    When autograd records it, the op is applied to a snapshot of self and the result's node
    becomes self's grad_fn, so self continues the graph from its old history.
    """
    check_inplace(self)
    recording = _grad_state.enabled and (
        self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)
    )
    base = self._base
    if base is not None and _grad_state.enabled and (recording or base._requires_grad):
        if not recording:
            check_view_inplace(self)  # e.g. a view made under no_grad of a base that needs grad
        else:
            return inplace_on_view(self, op, args)
    if not self._data.flags.writeable:
        raise overlap_error()
    if not recording:
        result = op(self, *args)
        check_castable(result, self)
        np.copyto(self._data, result._data, casting="unsafe")
        self._version[0] += 1
        if _anomaly_state.record:
            record_bump(self._version, inplace_name(result._grad_fn, op))
        if _fw.state.active:
            inplace_tangent(self, result)
        return self
    old = _make(self._data.copy(), self._requires_grad, self._grad_fn)
    old._output_nr = self._output_nr
    if _fw.state.active:  # old keeps the tangent it had (self's is updated in place below)
        _fw.set_tangent(old, _tangent_copy(self))
    result = op(old, *args)
    check_castable(result, self)
    np.copyto(self._data, result._data, casting="unsafe")
    self._grad_fn = fn = result._grad_fn
    self._output_nr = result._output_nr
    self._requires_grad = True
    self._version[0] += 1
    if fn is not None and fn._out is not None and fn._out[0] is result._data and (
            result._data.dtype is self._data.dtype):
        # the node's saved output is self (a later in-place change is caught, as in PyTorch)
        fn._out = (self._data, self._version, self._version[0])
    if _anomaly_state.record:
        record_bump(self._version, inplace_name(result._grad_fn, op))
    if _fw.state.active:
        inplace_tangent(self, result)
    return self


def _tangent_copy(t):
    """A copy of t's tangent (None if it has none)."""
    tangent = _fw.tangent_of(t)
    if tangent is None:
        return None
    with _fw.suspended():
        return tangent.clone()


_UFUNC_NAMES = {"add": "add_", "subtract": "sub_", "multiply": "mul_", "true_divide": "div_"}


def inplace_name(fn, op):
    """How a diagnostic names an in-place op: 'add_' from its node, else from the function."""
    if fn is not None:
        return _op_name(fn).lower() + "_"
    name = getattr(op, "__name__", "<lambda>")
    return _UFUNC_NAMES.get(name, name if name.endswith("_") else "an in-place op")


def _flat_positions(base, view):
    """For each element of the array ``view``, its position in ``base`` in C order.

    Works for any view of base's memory (slices, selects, transposes, views of views), from
    byte offsets alone; None when view does not lie inside base.
    """
    item = base.itemsize
    off = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    addr = np.full(view.shape, off, np.int64)
    for k, (n, st) in enumerate(zip(view.shape, view.strides)):
        shape = [1] * view.ndim
        shape[k] = n
        addr = addr + (np.arange(n, dtype=np.int64) * st).reshape(shape)
    if base.flags.c_contiguous:
        pos = addr // item
        if pos.size and (pos.min() < 0 or pos.max() >= base.size or np.any(addr % item)):
            return None
        return pos
    baddr = np.zeros(base.shape, np.int64)
    for k, (n, st) in enumerate(zip(base.shape, base.strides)):
        shape = [1] * base.ndim
        shape[k] = n
        baddr = baddr + (np.arange(n, dtype=np.int64) * st).reshape(shape)
    baddr = baddr.reshape(-1)
    order = np.argsort(baddr, kind="stable")
    found = np.searchsorted(baddr[order], addr).clip(0, max(base.size - 1, 0))
    pos = order[found] if base.size else found
    if pos.size and np.any(baddr[pos] != addr):
        return None
    return pos


# The formulas below index with Tensor methods (index_put, []), which ember.ops attaches.
def _scatter_flat(g, shape, pos):
    """Zeros of ``shape`` with g added at the flat positions ``pos`` (differentiable)."""
    zeros = _make(np.zeros(int(np.prod(shape, dtype=np.int64)), g._data.dtype))
    return zeros.index_put((_make(pos),), g, True).reshape(shape)


def _copy_slices_base(g, shape, pos):
    return g.reshape(-1).index_put((_make(pos),), 0, False).reshape(shape)


def _copy_slices_src(g, shape, pos):
    return g.reshape(-1)[_make(pos)]


class CopySlices(FormulaNode):
    """The base's history after an in-place op on one of its views.

    Input 0 is the base before the op (its gradient is zero where the view was overwritten);
    input 1 is the op's result (it gets the gradient of the view's region). When the op's
    node reads the view's old values as its first input (``_fn``, set by ``absorb``), that
    node runs inside this one, as in PyTorch: the edges are then the base's and the op's
    other inputs', and the op's gradient for the old values joins the base's gradient.
    """

    __slots__ = ("_fn",)
    vjps = (_copy_slices_base, _copy_slices_src)

    def name(self):
        return f"{_names.prefix}::autograd::CopySlices"

    def absorb(self, fn):
        """Run ``fn`` (the in-place op's node, whose input 0 is the view's old values) inside
        this node: its other edges become this node's edges after the base's."""
        self._fn = fn
        self.next_functions = (self.next_functions[0], *fn.next_functions[1:])
        self._meta = [self._meta[0], *fn._meta[1:]]

    def apply(self, grads, create_graph):
        fn = getattr(self, "_fn", None)
        if fn is None:
            return FormulaNode.apply(self, grads, create_graph)
        g = grads[0]
        shape, pos = self.unpack_saved()
        to_real, to_complex = self._conversions()
        if to_real is not None:
            g = to_real(g)
        inner = fn.apply([_copy_slices_src(g, shape, pos).reshape(pos.shape)], create_graph)
        gb = None
        if self.next_functions[0][0] is not None:
            gb = _copy_slices_base(g, shape, pos)
            g_old = inner[0]
            if g_old is not None:
                if g_old._data.dtype is not gb._data.dtype:
                    g_old = g_old.to(from_np[gb._data.dtype])
                gb = gb + _scatter_flat(g_old, shape, pos)
            if to_complex is not None:
                gb = to_complex(gb)
        return (gb, *inner[1:])

    def _conversions(self):
        return None, None

    def release(self):
        fn = getattr(self, "_fn", None)
        if fn is not None:
            fn.release()
        FormulaNode.release(self)


def _geometry(base, view):
    """The view's (size, stride, storage_offset) in elements of the base's memory, as
    PyTorch's AsStridedBackward0 of a regenerated view shows them."""
    item = view.itemsize
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return view.shape, tuple(st // item for st in view.strides), start // item


def _as_strided_saved(node_cls):
    return name_saved(node_cls, size=lambda n: n._field(2, False)[0],
                      stride=lambda n: n._field(2, False)[1],
                      storage_offset=lambda n: n._field(2, False)[2])


_AsStrided = _as_strided_saved(formula_node(
    "AsStridedBackward0", lambda g, shape, pos, geometry: _scatter_flat(g, shape, pos)))


# A real view of a complex base (.real, .imag, view_as_real) is placed by positions in the
# base's real view (its values as (re, im) pairs). ops/complex.py sets the two conversions
# (differentiable view_as_real / view_as_complex) when it loads: the seam these formulas use.
complex_views = None


def _as_real(g):
    return complex_views[0](g.contiguous())


def _as_complex(g):
    return complex_views[1](g.contiguous())


class ComplexCopySlices(CopySlices):
    """CopySlices for a complex base written through a real view of it."""

    __slots__ = ()
    vjps = (lambda g, shape, pos: _as_complex(_copy_slices_base(_as_real(g), shape, pos)),
            lambda g, shape, pos: _copy_slices_src(_as_real(g), shape, pos))

    def _conversions(self):
        return _as_real, _as_complex


_AsStridedComplex = _as_strided_saved(formula_node(
    "AsStridedBackward0",
    lambda g, shape, pos, geometry: _as_complex(_scatter_flat(g, shape, pos))))


def _multi_output_error(fn, nr):
    name = type(fn).__name__
    exc = RuntimeError(
        f"Output {nr} of {name[:name.rfind('Backward')]} is a view and is being modified "
        "inplace. This view is the output of a function that returns multiple views. Such "
        "functions do not allow the output views to be modified inplace. You should replace "
        "the inplace operation by an out-of-place one."
    )
    note(exc, "Clone the piece first, e.g. `part = x.split(2)[0].clone()`.")
    return exc


_NO_GRAD_VIEW = (
    "created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
    "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
    "moving both the view and the inplace either both inside the no_grad block (if you don't "
    "want the inplace to be tracked) or both outside (if you want the inplace to be tracked)."
)


def check_view_inplace(view, through=None):
    """PyTorch's refusals for an in-place op on a view while autograd records.

    ``through``: the view op (e.g. 'Select') by which an indexing assignment reaches the view.
    """
    base = view._base
    fn = view._grad_fn
    if fn is not None and fn.n_outputs > 1:
        raise _multi_output_error(fn, view._output_nr)
    if base._requires_grad and not view._requires_grad:
        # the view does not follow its base's history: it was made under no_grad
        if through is not None:
            raise RuntimeError(f"Output 0 of {through} is a view of a view which was "
                               + _NO_GRAD_VIEW)
        raise RuntimeError("A view was " + _NO_GRAD_VIEW)
    if base._requires_grad and base._grad_fn is None:
        exc = RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
        note(exc, "Update parameters under `with torch.no_grad():`, or clone() the leaf "
                  "before modifying part of it.")
        raise exc


def overlap_error():
    exc = RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a "
        "single memory location. Please clone() the tensor before performing the operation."
    )
    note(exc, "expand() makes a read-only view whose elements share memory; clone() it "
              "(or use repeat()) before writing into it.")
    return exc


def inplace_on_view(view, op, args):
    """``op(view, *args)`` written into ``view`` while autograd records (PyTorch's CopySlices).

    The view's old values (a gathered copy, linked to the base's old history) go through op;
    the base's new history is a CopySlices node taking the base's old history and op's result,
    and the view's new history reads its region back from the base (AsStridedBackward0).
    Other views of the same base made earlier get a new history when next used
    (``refresh_view``), as PyTorch regenerates it.
    """
    base = view._base
    check_view_inplace(view)
    bd, vd, through_real, pos = _region(base, view)
    if pos is None:
        raise RuntimeError("in-place operation on a view whose base no longer holds its memory")
    if pos.size != np.unique(pos).size:
        raise overlap_error()
    shape = bd.shape
    fw = _fw.state.active
    if fw:  # the op sees the view's tangent; the nodes below are bookkeeping without tangents
        _fw.state.active = False
    try:
        old = record(vd.copy(), _AsStridedComplex if through_real else _AsStrided, (base,),
                     (shape, pos, _geometry(bd, vd)))
        if fw:
            _fw.state.active = True
            _fw.set_tangent(old, _tangent_copy(view))
        result = op(old, *args)
        if fw:
            _fw.state.active = False
        _write_view(view, base, result, vd, bd, shape, pos, op, old)
    finally:
        if fw:
            _fw.state.active = True
    if fw:
        inplace_tangent(view, result)
    return view


def _write_view(view, base, result, vd, bd, shape, pos, op, old=None):
    rd = result._data
    if rd.dtype is not vd.dtype and from_np[rd.dtype]._cat > from_np[vd.dtype]._cat:
        check_castable(result, view)
    if rd.shape != vd.shape:
        rd = np.broadcast_to(rd, vd.shape)
    through_real = base._data.dtype.kind == "c" and vd.dtype.kind != "c"
    node_t = record(bd, ComplexCopySlices if through_real else CopySlices, (base, result),
                    (shape, pos))
    np.copyto(vd, rd, casting="unsafe")
    view._version[0] += 1
    if _anomaly_state.record:
        record_bump(view._version, inplace_name(result._grad_fn, op))
    fn = node_t._grad_fn
    if fn is not None:
        op_fn = result._grad_fn
        if op_fn is not None and old is not None and op_fn.next_functions[:1] == (
                (old._grad_fn, 0),):
            fn.absorb(op_fn)  # (with no edge for the old values when the base needs no grad)
        elif op_fn is None and not result._requires_grad:
            fn.next_functions = fn.next_functions[:1]  # the op read nothing else that needs grad
            fn._meta = fn._meta[:1]
        base._grad_fn = fn
        base._output_nr = 0
        base._requires_grad = True
        _read_back(view, base, bd, vd, pos, through_real)
    view._vv = view._version[0]
    return view


def _region(base, view):
    """The view's elements' flat positions in its base (None where the base no longer holds
    its memory), for a view that may read a complex base as real (re, im) pairs."""
    bd, vd = base._data, view._data
    through_real = bd.dtype.kind == "c" and vd.dtype.kind != "c"
    if through_real:  # positions in the base's (re, im) pairs
        bd = bd[..., None].view(vd.dtype)
    return bd, vd, through_real, _flat_positions(bd, vd)


def _read_back(view, base, bd, vd, pos, through_real):
    """The view's history: its region read back from the base (AsStridedBackward0); ``bd``,
    ``vd``: the base's and the view's arrays (the base's as real pairs ``through_real``)."""
    enabled, _grad_state.enabled = _grad_state.enabled, True
    try:
        fn = record(view._data, _AsStridedComplex if through_real else _AsStrided, (base,),
                    (bd.shape, pos, _geometry(bd, vd)))._grad_fn
    finally:
        _grad_state.enabled = enabled
    view._grad_fn = fn
    view._output_nr = 0
    view._requires_grad = True


def refresh_view(view):
    """The history of a view whose base changed in place since it was recorded: its region
    read back from the base (AsStridedBackward0), as PyTorch regenerates it; nothing while the
    base needs no gradient."""
    view._vv = view._version[0]
    base = view._base
    if not base._requires_grad:
        return
    bd, vd, through_real, pos = _region(base, view)
    if pos is not None:  # (else the base no longer holds the view's memory: the old history)
        _read_back(view, base, bd, vd, pos, through_real)


_tensor_mod.view_refresh = refresh_view
