"""The machinery every op shares: recording a node, formula nodes, broadcasting errors.

An op computes its forward on arrays, then calls ``record`` with its output array, the node
class holding its backward, the tensors it differentiates through and what the backward reads.
"""

import functools

import numpy as np

from .. import _device, _dtype, _names
from .. import _tensor as _tensor_mod
from .._errors import note, warn_once
from .._tensor import Tensor, _make
from ..autograd import forward_ad as _fw
from ..autograd.engine import grad as _engine_grad
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node, Packed, PackedOut, accumulator, pack, pack_out, saved_hooks

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
            if x.__class__ is Tensor or isinstance(x, Tensor):
                if x._base is not None and x._vv != x._version[0]:
                    _tensor_mod.view_refresh(x)  # a view whose base changed in place
                if x._requires_grad:
                    return _attach(out, node_cls, inputs, saved, save_out)
    if _fw_state.active:
        return dual(_make(out), node_cls, inputs, saved, save_out, None)
    return _make(out)


_NO_EDGE = (None, 0)
_fw_state = _fw.state


def _attach(out, node_cls, inputs, saved, save_out):
    """Record node_cls as the grad_fn of a new tensor around ``out`` (something needs grad)."""
    edges = []
    meta = []
    for x in inputs:
        if (x.__class__ is Tensor or isinstance(x, Tensor)) and x._requires_grad:
            if x._base is not None and x._vv != x._version[0]:
                _tensor_mod.view_refresh(x)
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
    else:
        t._grad_fn = node_cls(tuple(edges), meta, saved, versions,
                              (out, t._version, 0) if save_out else None)
    if _fw_state.active:
        dual(t, node_cls, inputs, saved, save_out, t._grad_fn)
    return t


def attach_same_dtype(out, node_cls, a, b, saved):
    """_attach for a binary op whose tensor operands have out's dtype (the arithmetic fast path).

    An input shaped like the output gets no metadata (None): the engine then has nothing to
    check or sum for it, which is the common case.
    """
    shape = out.shape
    if a._base is not None and a._vv != a._version[0]:
        _tensor_mod.view_refresh(a)  # a view whose base changed in place
    if b.__class__ is Tensor and b._base is not None and b._vv != b._version[0]:
        _tensor_mod.view_refresh(b)
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
    if _fw_state.active:
        dual(t, node_cls, (a, b), saved, False, t._grad_fn)
    return t


class FormulaNode(Node):
    """A node whose backward is one formula per differentiable input (``vjps``).

    Each formula takes the incoming gradient, then the saved values, then (when the op saved
    it) the output, and returns the gradient for its input as a Tensor, written in ember ops
    so that it is itself differentiable.

    ``arrays``: the formulas also run on ndarrays (gradient, saved tensors' arrays, output):
    they use only arithmetic operators, which mean the same on both, or they branch on the
    gradient's class for the one step that differs (``g.sum(dim, keepdims=True)`` on an
    array). Without create_graph they then run on the raw arrays (no Tensor or node per step
    of the formula): the engine's first-order pass calls ``apply_arrays`` and gets arrays
    back. NumPy gives the same result whenever the gradient and the saved tensors share a
    dtype, which ``_array_args`` checks (the Tensor path runs otherwise).
    """

    __slots__ = ()
    vjps = ()
    arrays = False

    def apply(self, grads, create_graph):
        g = grads[0]
        saved = self.unpack_saved()
        if self.arrays and not create_graph and g.__class__ is Tensor:
            args = self._array_args(g._data, saved)
            if args is not None:
                return tuple(None if fn is None else _wrap(vjp(*args))
                             for vjp, (fn, _) in zip(self.vjps, self.next_functions))
        if self._out is not None:
            saved = (*saved, self.unpack_out(create_graph))
        return tuple(
            vjp(g, *saved) if fn is not None else None
            for vjp, (fn, _) in zip(self.vjps, self.next_functions)
        )

    def apply_arrays(self, grads):
        """The engine's first-order entry: the formulas on the arrays themselves when they
        allow it (``arrays``), else through Tensors (Node's adapter)."""
        if self.arrays:
            args = self._store_arrays(grads[0])
            if args is not None:
                return [None if fn is None else vjp(*args)
                        for vjp, (fn, _) in zip(self.vjps, self.next_functions)]
        return Node.apply_arrays(self, grads)

    def _array_args(self, gd, saved):
        """(gradient, *saved, output) as arrays and numbers, or None if a dtype differs.

        ``gd``: the incoming gradient's array."""
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
            return self._out_array(args)
        return args

    def _store_arrays(self, gd):
        """_array_args of the saved values, checked against in-place changes on the way (one
        loop, for the engine's first-order pass)."""
        saved = self._store
        if saved is None or saved.__class__ is Packed:
            return self._array_args(gd, self.unpack_saved())
        versions = self._versions
        dt = gd.dtype
        args = [gd]
        append = args.append
        i = -1
        for s in saved:
            i += 1
            if s.__class__ in _PLAIN:
                append(s)
                continue
            if s.__class__ is Tensor or isinstance(s, Tensor):
                if versions is not None:
                    v = versions[i]
                    if v is not None and s._version[0] != v:
                        self.unpack_saved()  # raises the in-place modification error
                s = s._data
                if s.dtype is not dt:
                    return None
            elif isinstance(s, _np_number):
                return None  # NumPy does not treat its scalars as weakly typed numbers
            append(s)
        if self._out is not None:
            return self._out_array(args)
        return args

    def _out_array(self, args):
        """args with the op's output array appended (None when hooks packed it)."""
        data, counter, version = self._out
        if data is None:
            return None  # packed by saved-tensor hooks: the Tensor path unpacks it
        if counter[0] != version:
            self.unpack_out(False)  # raises the in-place modification error
        args.append(data)
        return args


# saved values that pass to an array formula as they are
_PLAIN = frozenset({type(None), float, int, bool, tuple, str})


def _wrap(result):
    # NumPy returns scalars for 0-d results; tensors hold arrays
    return _make(result if result.__class__ is _ndarray else _asarray(result))


class UnaryFormulaNode(FormulaNode):
    """The common one-input case, without the general loop (it runs on every backward)."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        saved = self._store
        if saved is None:
            saved = self.unpack_saved()  # raises the freed-graph error
        elif self._versions is not None:
            saved = self.unpack_saved()
        g = grads[0]
        if self.arrays and not create_graph and g.__class__ is Tensor:
            args = self._array_args(g._data, saved)
            if args is not None:
                return (_wrap(self.vjps[0](*args)),)
        if self._out is not None:
            return (self.vjps[0](g, *saved, self.unpack_out(create_graph)),)
        return (self.vjps[0](g, *saved),)

    def apply_arrays(self, grads):
        if self.arrays:
            args = self._store_arrays(grads[0])
            if args is not None:
                return (self.vjps[0](*args),)
        return Node.apply_arrays(self, grads)


class BinaryFormulaNode(FormulaNode):
    """The common two-input case (arithmetic), without the general loop."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        g = grads[0]
        saved = self.unpack_saved()
        (fa, _), (fb, _) = self.next_functions
        va, vb = self.vjps
        if self.arrays and not create_graph and g.__class__ is Tensor:
            args = self._array_args(g._data, saved)
            if args is not None:
                return (None if fa is None else _wrap(va(*args)),
                        None if fb is None else _wrap(vb(*args)))
        if self._out is not None:
            saved = (*saved, self.unpack_out(create_graph))
        return (None if fa is None else va(g, *saved), None if fb is None else vb(g, *saved))

    def apply_arrays(self, grads):
        if self.arrays:
            args = self._store_arrays(grads[0])
            if args is not None:
                (fa, _), (fb, _) = self.next_functions
                va, vb = self.vjps
                return (None if fa is None else va(*args), None if fb is None else vb(*args))
        return Node.apply_arrays(self, grads)


def formula_node(name, *vjps, arrays=False, elementwise=False, jvp=None):
    """A FormulaNode class named as PyTorch names it (e.g. 'MulBackward0').

    ``arrays=True`` declares that the formulas use only arithmetic operators (see FormulaNode).
    ``elementwise=True``: each formula is elementwise in the gradient (a diagonal Jacobian per
    input), so the same formulas applied to the tangents give the forward rule. ``jvp``: an
    explicit forward rule (see ``dual``); without either, the rule derived from the backward.
    """
    base = {1: UnaryFormulaNode, 2: BinaryFormulaNode}.get(len(vjps), FormulaNode)
    cls = type(name, (base,), {"__slots__": (), "vjps": vjps, "arrays": arrays})
    if jvp is not None:
        cls.jvp = staticmethod(jvp)
    elif elementwise:
        cls.jvp = staticmethod(elementwise_jvp(vjps))
    return cls


# -- forward mode -------------------------------------------------------------------------------
# A node class carries its op's forward (jvp) rule beside its backward as ``jvp``, a function
# ``jvp(tangents, inputs, saved, out) -> tangent of out``: ``tangents`` has one entry per input
# (None where an input has no tangent), ``inputs`` and ``saved`` are what the op passed to
# ``record`` and ``out`` is the output Tensor. Rules run with tangents off (their arithmetic
# makes no tangents of its own) and in the caller's grad mode, so a tangent stays
# differentiable. A class without a rule (``jvp = None``) gets the one derived from its backward
# (``derived_jvp``); ``unsupported(name)`` marks an op PyTorch gives no forward rule.
def dual(t, node_cls, inputs, saved, save_out, node):
    """Give ``t`` (the output of node_cls's op) its tangent, if an input has one."""
    ts = None
    tangents = _fw_state.tangents
    for i, x in enumerate(inputs):
        if x.__class__ is Tensor or isinstance(x, Tensor):
            entry = tangents.get(id(x))
            if entry is not None and entry[0]() is x:
                if ts is None:
                    ts = [None] * len(inputs)
                ts[i] = entry[1]
    if ts is None or t._data.dtype.kind not in "fcV":
        return t
    _fw_state.active = False
    try:
        rule = node_cls.jvp
        tangent = NotImplemented if rule is None else rule(ts, inputs, saved, t)
        if tangent is NotImplemented:
            tangent = derived_jvp(node_cls, inputs, saved, save_out, (t,), ts)[0]
        elif rule is view_jvp:
            return _set_dual(t, tangent, node, save_out)  # a view of the input's tangent
        tangent = fit_tangent(tangent, t, ts)
    finally:
        _fw_state.active = True
    return _set_dual(t, tangent, node, save_out)


def _set_dual(t, tangent, node, save_out):
    _fw.set_tangent(t, tangent)
    if node is not None and save_out:
        node._fw_out = tangent  # the backward reads the output: it gets the tangent too
    return t


def input_tangents(inputs):
    """Each input's tangent (or None), and whether any has one."""
    ts = [_fw.tangent_of(x) if isinstance(x, Tensor) else None for x in inputs]
    return ts, any(tx is not None for tx in ts)


def fit_tangent(tangent, t, ts=()):
    """A rule's result as the tangent of ``t``: t's shape and dtype, never an input's tangent
    object itself (an in-place op on the output must not change the input's tangent)."""
    d = t._data
    if tangent is None:
        return _make(np.zeros_like(d))
    if not isinstance(tangent, Tensor):
        tangent = _make(np.asarray(tangent, d.dtype))
    if tangent.__class__ is not Tensor:  # batched by vmap: read by its per-sample shape
        if tuple(tangent.shape) != d.shape:
            tangent = tangent.expand(d.shape).clone()
        elif any(tangent is tx for tx in ts):
            tangent = tangent.clone()
        return tangent if tangent.dtype.np is d.dtype else tangent.to(from_dtype(d.dtype))
    td = tangent._data
    if td.shape != d.shape:
        tangent = tangent.expand(d.shape).clone()
    elif any(tangent is tx for tx in ts):
        tangent = tangent.clone()
    td = tangent._data.dtype
    if td is not d.dtype and np.promote_types(td, d.dtype) != td:
        # a tangent of a lower dtype is raised to the output's (PyTorch computes the rule in
        # the promoted type; a float64 tangent of a float32 output stays float64)
        tangent = tangent.to(from_dtype(d.dtype))
    return tangent


def from_dtype(np_dtype):
    return _dtype.from_np[np_dtype]


def elementwise_jvp(vjps, operands=False):
    """The forward rule of an elementwise op from its backward formulas (diagonal Jacobians).

    The formulas take (gradient, *args[, output]) where args are the operands when
    ``operands`` (the binary table, which saves only what a backward needs) and the saved
    values otherwise. Sum over the inputs of each formula applied to that input's tangent.
    """
    def jvp(ts, inputs, saved, out):
        return _elementwise_apply(vjps, ts, inputs if operands else saved, out)

    return jvp


def _elementwise_apply(vjps, ts, args, out):
    total = None
    for vjp, tx in zip(vjps, ts):
        if tx is None:
            continue
        term = vjp(tx, *args, out) if _reads_out(vjp, args) else vjp(tx, *args)
        total = term if total is None else total + term
    return total


def _reads_out(vjp, args):
    """Whether a formula takes the output after the saved values (as FormulaNode passes it)."""
    code = vjp.__code__
    return code.co_argcount == len(args) + 2 and not code.co_flags & 4


class _Held:
    """Stands for a saved output in a node made only to derive a forward rule: the output
    Tensor itself (so the rule is differentiable through it)."""

    __slots__ = ("t",)

    def __init__(self, t):
        self.t = t

    def unpack(self):
        return self.t


class _Source(Node):
    """The edge a derived rule gives each input that has a tangent (nothing runs it)."""

    __slots__ = ()

    def __init__(self):
        Node.__init__(self, (), None)


_SOURCE = None


def derived_jvp(node_cls, inputs, saved, save_out, outs, ts):
    """The forward rule every op has: the transpose of its backward.

    The backward is linear in the incoming gradients g: it computes vjp(g) = J^T g. Evaluated
    on gradients that require grad (with create_graph), sum_i <vjp_i(g), t_i> = <g, J t>, whose
    gradient with respect to g is J t, the tangent of each output (for complex tensors the
    inner product is Re(sum(conj(a) b)), for which PyTorch's backward is the adjoint).
    ``outs``: the op's outputs in order (non-float ones get None).
    """
    global _SOURCE
    if _SOURCE is None:
        _SOURCE = _Source()
    edges = tuple((_SOURCE, 0) if tx is not None else _NO_EDGE for tx in ts)
    meta = [(x._data.shape, x._data.dtype) if isinstance(x, Tensor) else None for x in inputs]
    held = None
    if save_out:
        held = PackedOut((None, outs[0]._version, outs[0]._version[0]))
        held.saved = _Held(outs[0])
    node = node_cls(edges, meta, saved, None, held)
    graph = _grad_state.enabled and (
        any(isinstance(x, Tensor) and x._requires_grad for x in inputs)
        or any(tx is not None and tx._requires_grad for tx in ts))
    prev = _grad_state.enabled
    _grad_state.enabled = True
    try:
        gs = [None if o is None or o._data.dtype.kind not in "fcV"
              else _make(np.ones(o._data.shape, o._data.dtype), True) for o in outs]
        grads = node.apply(gs if len(gs) > 1 else [gs[0]], True)
        total = None
        for gi, x, tx in zip(grads, inputs, ts):
            if tx is None or gi is None:
                continue
            shape = x._data.shape
            if gi._data.shape != shape:
                gi = gi.sum_to_size(shape)
            if gi._data.dtype.kind == "c" or tx._data.dtype.kind == "c":
                # complex: the backward is the adjoint for Re<a, b> = Re(sum(conj(a) b)), so
                # J t is the gradient of Re<vjp(g), t> with respect to g
                term = (gi.conj() * tx).sum().real
            else:
                term = (gi * tx).sum()
            total = term if total is None else total + term
        wanted = [g for g in gs if g is not None]
        if total is None or not total._requires_grad:
            return [None] * len(outs)
        deriving = _fw_state.deriving
        _fw_state.deriving = True
        try:
            found = _engine_grad(total, wanted, create_graph=graph, allow_unused=True)
        finally:
            _fw_state.deriving = deriving
    finally:
        _grad_state.enabled = prev
    found = iter(found)
    return [None if g is None else next(found) for g in gs]


def unsupported(name):
    """A forward rule that raises PyTorch's error for an op without one (``name``: as PyTorch
    names the op in it)."""
    def jvp(ts, inputs, saved, out):
        raise _no_forward_rule(name)

    return jvp


def refuse_tangents(name, *tensors):
    """For an op PyTorch gives no forward rule but ember builds from other ops: PyTorch's error
    when an argument has a tangent (call it only while ``forward_ad.state.active``)."""
    for t in tensors:
        if isinstance(t, Tensor) and _fw.tangent_of(t) is not None:
            raise _no_forward_rule(name)


def _no_forward_rule(name):
    exc = NotImplementedError(
        f"Trying to use forward AD with {name} that does not support it because it has not "
        "been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that "
        "we can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml"
    )
    note(exc, "PyTorch has no forward-mode rule for this op, so ember refuses it too; compute "
              "this derivative in reverse mode (autograd.grad) instead.")
    return exc


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
            f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {tp_name(x)}")


def tp_name(obj):
    """The name of obj's type as Python's C API prints it (tp_name): a class written in Python
    by its name, one built in C outside the builtins with its module (numpy.float64)."""
    cls = type(obj)
    if cls.__flags__ & 512 or cls.__module__ == "builtins":  # Py_TPFLAGS_HEAPTYPE
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def argname(a):
    """How PyTorch's argument errors name the type of ``a`` ('Tensor', 'ember.dtype', 'int')."""
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, (_dtype.dtype, _device.device)):
        return f"{_names.prefix}.{type(a).__name__}"
    return _device._typename(a)


def dual_multi(outs, node_cls, inputs, saved, save_out, recorded=None):
    """``dual`` for an op with several outputs sharing one node (var_mean, aminmax, split).

    node_cls.jvp, when set, returns one tangent per output (None for an output without one).
    ``recorded``: the op's node, if one was recorded (it keeps output 0's tangent when its
    backward reads that output).
    """
    ts, found = input_tangents(inputs)
    if not found:
        return outs
    _fw_state.active = False
    try:
        rule = node_cls.jvp
        tangents = None if rule is None else rule(ts, inputs, saved, outs)
        if tangents is None or tangents is NotImplemented:
            tangents = derived_jvp(node_cls, inputs, saved, save_out, outs, ts)
        # an output the backward ignores (lu's permutation) gets no tangent, as in PyTorch
        fitted = [None if o is None or tx is None or o._data.dtype.kind not in "fcV"
                  else fit_tangent(tx, o, ts) for o, tx in zip(outs, tangents)]
    finally:
        _fw_state.active = True
    for o, tx in zip(outs, fitted):
        if tx is not None:
            _fw.set_tangent(o, tx)
    if recorded is not None and save_out:
        recorded._fw_out = fitted[0]
    return outs


def _address(a):
    return a.__array_interface__["data"][0]


def tangent_view(tangent, base_data, view_data):
    """The view of ``tangent`` that ``view_data`` is of ``base_data`` (same offset, strides),
    as a Tensor sharing the tangent's memory; None when their layouts differ."""
    if tangent.__class__ is not Tensor:
        return None  # batched by vmap: no memory of its own to view
    td = tangent._data
    if (td.strides != base_data.strides or td.shape != base_data.shape
            or td.dtype.itemsize != base_data.dtype.itemsize or tangent._requires_grad):
        return None
    root = td
    while isinstance(root.base, _ndarray):
        root = root.base
    if not root.flags.c_contiguous:
        return None
    start = _address(td) + _address(view_data) - _address(base_data) - _address(root)
    try:
        arr = _ndarray(view_data.shape, td.dtype, buffer=root, offset=start,
                       strides=view_data.strides)
    except (TypeError, ValueError):
        return None
    if not view_data.flags.writeable:
        arr.flags.writeable = False
    v = _make(arr)
    v._version = tangent._version
    v._base = tangent if tangent._base is None else tangent._base
    v._vv = tangent._version[0]
    return v


def view_jvp(ts, inputs, saved, out):
    """The forward rule of a view op: the same view of the input's tangent (it shares the
    tangent's memory, as the view shares the input's); the derived rule where the layouts
    differ."""
    v = tangent_view(ts[0], inputs[0]._data, out._data)
    if v is None:
        return NotImplemented
    return v


def inplace_tangent(self, result):
    """After an in-place op wrote ``result`` into ``self``: write result's tangent into
    self's tangent in place (so views of self see it); a tensor without a tangent gets one
    (zeros in its base's tangent, for a view)."""
    rt = _fw.tangent_of(result) if result is not self else None
    st = _fw.tangent_of(self)
    if rt is None and st is None:
        return
    if st is None:
        st = own_tangent(self)
    sd = st._data
    if rt is None:
        sd[...] = 0
    elif rt is not st:
        if not sd.flags.writeable:
            st = _make(np.zeros_like(self._data))
            _fw.set_tangent(self, st)
            sd = st._data
        np.copyto(sd, rt._data, casting="unsafe")


def own_tangent(t):
    """t's tangent, made (zeros) if it has none: for a view, the view of its base's tangent."""
    tangent = _fw.tangent_of(t)
    if tangent is not None:
        return tangent
    base = t._base
    if base is not None and base._data.dtype.kind in "fcV":
        bt = _fw.tangent_of(base)
        if bt is None:
            bt = _make(np.zeros_like(base._data))
            _fw.set_tangent(base, bt)
        v = tangent_view(bt, base._data, t._data)
        if v is not None:
            _fw.set_tangent(t, v)
            return v
    z = _make(np.zeros_like(t._data))
    _fw.set_tangent(t, z)
    return z


def linear(fn):
    """The forward rule of an op linear in its one tensor input: the op itself on the tangent,
    ``fn(tangent, *saved)``."""
    def jvp(ts, inputs, saved, out):
        return fn(ts[0], *saved)

    return jvp


def zero_tangents(ts, inputs):
    """Each input's tangent, zeros for tensor inputs without one (ops that join tensors)."""
    return [tx if tx is not None else _make(np.zeros_like(x._data)) if isinstance(x, Tensor)
            else None for x, tx in zip(inputs, ts)]


def bilinear(product):
    """The forward rule of ``product(a, b)``, linear in each of its first two inputs:
    product(t_a, b) + product(a, t_b)."""
    def jvp(ts, inputs, saved, out):
        a, b = inputs[0], inputs[1]
        ta, tb = ts[0], ts[1]
        total = None if ta is None else product(ta, b)
        if tb is not None:
            term = product(a, tb)
            total = term if total is None else total + term
        return total

    return jvp


# -- PyTorch's older calling conventions ----------------------------------------------------
def _number(x):
    return x.__class__ in (int, float, bool, complex) or isinstance(x, np.number)


def number_first(fn, name, kw, tensors, method):
    """fn also under PyTorch's deprecated overload ``name(input, Number kw, Tensor, ...)``
    (``tensors`` tensors after the number), as old scripts call it (``p.add_(-lr, grad)``):
    the number becomes keyword ``kw``, with PyTorch's once-per-process warning. For add and
    sub (``kw`` alpha), also PyTorch's ``name(input, Number other, Number alpha)``."""
    names = ("other",) if tensors == 1 else ("tensor1", "tensor2")
    head = "" if method else "Tensor input, "
    tail = "" if method else ", *, Tensor out = None"
    new_tail = ")" if method else ", Tensor out = None)"
    old = f"{name}({head}Number {kw}, {', '.join(f'Tensor {n}' for n in names)}{tail})"
    new = (f"{name}({head}{', '.join(f'Tensor {n}' for n in names)}, *, Number {kw} = 1"
           f"{new_tail}")
    text = (f"This overload of {name} is deprecated:\n\t{old}\nConsider using one of the "
            f"following signatures instead:\n\t{new}")

    @functools.wraps(fn)
    def run(input, *args, **kwargs):
        if len(args) == tensors and not kwargs:  # today's signature, positionally: the common call
            return fn(input, *args)
        if (len(args) == 1 and tensors == 1 and kw not in kwargs and _number(args[0])
                and isinstance(kwargs.get("other"), Tensor)):  # p.add_(-lr, other=g)
            args = (args[0], kwargs.pop("other"))
        if len(args) == tensors + 1 and kw not in kwargs and _number(args[0]):
            if all(isinstance(a, Tensor) for a in args[1:]):
                warn_once("deprecated overload", text)  # PyTorch warns once, for any of them
                return fn(input, *args[1:], **{kw: args[0]}, **kwargs)
            if tensors == 1 and _number(args[1]):  # (Number other, Number alpha)
                return fn(input, args[0], **{kw: args[1]}, **kwargs)
        return fn(input, *args, **kwargs)

    return run
