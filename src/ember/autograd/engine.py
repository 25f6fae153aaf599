"""The backward engine: iterative, driven by dependency counts.

Nodes run in decreasing sequence number among those whose every consumer has already sent its
gradient (a node is always created after its inputs' nodes, so this is a topological order, the
same one PyTorch's CPU engine uses). Gradients for one input arriving from several consumers
are summed in arrival order before that input's node runs.
"""

from sys import getrefcount as _getrefcount
from weakref import ref as _weakref

import numpy as np

from .. import _dispatch
from .. import _tensor as _tensor_mod
from .._dtype import from_np
from .._errors import note
from .._errstate import restore, silence
from .._names import spell
from .._tensor import Size, Tensor, _make
from . import anomaly as _anomaly
from . import grad_mode
from .anomaly import state as _anomaly_state
from .forward_ad import state as _fw_state
from .graph import FREED_MESSAGE, AccumulateGrad, accumulator, edge

_ndarray = np.ndarray
_asarray = np.asarray
_vmap = _dispatch.state  # depth > 0 while a transform (vmap) runs

# The seam for ember.profiler: while a profile records, the recorder that times each node.
# The engine reads it once per backward; with no profiler it is None and costs nothing per node.
observer = None


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaf) into each leaf's ``.grad`` (or only into ``inputs``)."""
    if (tensors.__class__ is Tensor and grad_tensors is None and grad_variables is None
            and inputs is None and tensors._requires_grad and tensors._data.size == 1):
        _backward_scalar(tensors, retain_graph, create_graph)
        return
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grads = _make_grads(tensors, _as_tuple(grad_tensors) if grad_tensors is not None else None,
                        create_graph, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    targets = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        targets = {_input_edge(t, i) for i, t in enumerate(inputs)}
    _run(tensors, grads, retain_graph, create_graph, targets, None)


def _complex_implicit_error(d):
    exc = RuntimeError("grad can be implicitly created only for real scalar outputs but got "
                       f"{from_np[d.dtype]}")
    note(exc, "Backpropagate from a real number: loss = z.abs().sum() or z.real.sum(), say; or "
              "pass gradient= (a complex tensor of the output's shape).")
    return exc


def _backward_scalar(t, retain_graph, create_graph):
    """loss.backward(), the common call: nothing to check or convert."""
    d = t._data
    if d.dtype.kind == "c":
        raise _complex_implicit_error(d)
    _run((t,), None, create_graph if retain_graph is None else retain_graph, create_graph, None,
         None)


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward: backward() from this tensor."""
    if (gradient is None and inputs is None and self.__class__ is Tensor
            and self._requires_grad and self._data.size == 1):
        if self._data.dtype.kind == "c":
            raise _complex_implicit_error(self._data)
        _run((self,), None, create_graph if retain_graph is None else retain_graph,
             create_graph, None, None)
    else:
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads "
                         "is True, but got allow_unused=False.")
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if is_grads_batched:  # a batch of grad_outputs: vmap over this backward (ember.func)
        return batched_grad(outputs, inputs, _as_tuple(grad_outputs), retain_graph,
                            create_graph, allow_unused, materialize_grads)
    grads = _make_grads(outputs, _as_tuple(grad_outputs) if grad_outputs is not None else None,
                        create_graph, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    edges = [_input_edge(t, i) for i, t in enumerate(inputs)]
    captured = {}
    _run(outputs, grads, retain_graph, create_graph, set(edges), captured)
    result = []
    for i, (e, t) in enumerate(zip(edges, inputs)):
        g = captured.get(e)
        if g is None:
            if not allow_unused:
                exc = RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
                note(exc, "No path leads from the outputs to this input, so it has no "
                             "gradient; check that the output was computed from it.")
                raise exc
            if materialize_grads:
                g = _make(np.zeros_like(t._data))
        result.append(g)
    return tuple(result)


def batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                 materialize_grads):
    """grad with is_grads_batched=True; set by ``ember`` to ember.func's (a seam: the engine
    does not import the transforms)."""
    raise NotImplementedError(spell("is_grads_batched=True needs ember.func"))


def _as_tuple(x):
    if isinstance(x, Tensor) or x is None:
        return (x,)
    return tuple(x)


def _input_edge(t, i):
    if t._base is not None and t._vv != t._version[0]:
        _tensor_mod.view_refresh(t)  # a view whose base changed in place
    if t._grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    if not t._requires_grad:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return (accumulator(t), 0)


_ONES = {}


def _ones_array(shape, dtype):
    """The implicit gradient of a one-element output: a fresh, writable copy of a cached one
    (hooks may change it in place, as they may PyTorch's)."""
    key = (shape, dtype)
    arr = _ONES.get(key)
    if arr is None:
        arr = _ONES[key] = np.ones(shape, dtype)
    return arr.copy()


def _ones(shape, dtype):
    return _make(_ones_array(shape, dtype))


def _make_grads(outputs, grads, create_graph, caller):
    if grads is None:
        grads = (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"got {len(grads)} tensors and {len(outputs)} gradients"
            if caller == "grad" else
            f"grad_tensors/grad_outputs should be a sequence of length {len(outputs)}, "
            f"got {len(grads)}"
        )
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if not out._requires_grad:
            exc = RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
            note(exc,
                "Nothing this value was computed from requires grad: set requires_grad=True on "
                "the parameters (before computing the output), and do not compute it under "
                "no_grad() or from .data / .detach()."
            )
            raise exc
        if g is None:
            d = out._data
            if d.size == 1:
                if d.dtype.kind == "c":
                    raise _complex_implicit_error(d)
                g = _ones(d.shape, d.dtype)
                result.append(g)
                continue
            if d.size != 1:
                exc = RuntimeError("grad can be implicitly created only for scalar outputs")
                note(exc,
                    f"The output has shape {tuple(out._data.shape)}. Reduce it to one number "
                    "first (e.g. loss.sum() or loss.mean()), or pass gradient= with the same "
                    "shape as the output."
                )
                raise exc
            g = _make(np.ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"gradients can be either Tensors or None, but got {type(g).__name__}"
                )
            gshape = g._data.shape if g.__class__ is Tensor else tuple(g.shape)
            if gshape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(gshape)!r}"
                    f" and output[{i}] has a shape of {Size(out._data.shape)!r}."
                )
            gdt, odt = g.dtype.np, out._data.dtype
            if gdt is not odt:
                if gdt.kind == "c" or odt.kind == "c":
                    raise RuntimeError(
                        f"For complex Tensors, both grad_output and output are required to have "
                        f"the same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of "
                        f"{g.dtype} and output[{i}] has a dtype of {out.dtype}."
                    )
                g = g.to(out.dtype)  # PyTorch casts a real gradient to the output's dtype
        result.append(g)
    return result


def _run(roots, grads, retain_graph, create_graph, targets, captured):
    """Propagate ``grads`` from ``roots`` through the graph.

    ``grads``: one Tensor per root, or None for the implicit ones of a single one-element root.
    ``targets``: the edges whose gradient is wanted (None: every leaf). ``captured``: when a
    dict, gradients at the targets are stored there instead of accumulated into ``.grad``.

    A first-order pass (no create_graph, no forward-mode level, no anomaly mode or profiler,
    no vmap) runs on arrays (_run_arrays); the others run the nodes on Tensors.
    """
    # count, for every node, how many edges lead into it
    deps = {}
    count = deps.get
    if len(roots) == 1:
        root_edges = [edge(roots[0])]
        root_fns = None
        stack = [root_edges[0][0]]
    else:
        root_edges = [edge(t) for t in roots]
        root_fns = {fn for fn, _ in root_edges}
        stack = list(root_fns)
    push = stack.append
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                c = count(nxt)
                if c is None:
                    deps[nxt] = 1
                    if root_fns is None or nxt not in root_fns:
                        push(nxt)
                else:
                    deps[nxt] = c + 1
    if targets is not None and root_fns is None:
        root_fns = {root_edges[0][0]}
    needed = None if targets is None else _needed(root_fns | deps.keys(), targets)
    if not _fw_state.deriving:  # a forward rule's own small backward is not the user's
        growth = _growth
        n = len(deps)
        if n != growth.size or growth.steps:
            growth.sized(n)
        growth.n = k = growth.n + 1
        if not k & 7 and root_edges:
            growth.sample(root_edges[0][0])
    anomaly = _anomaly_state.enabled
    watch = observer  # the profiler, while one records (read once per backward)
    careful = anomaly or watch is not None
    # formulas run on Tensors (never the raw-array fast path) under create_graph, and in
    # forward mode, where saved tensors may carry tangents that the formulas propagate
    tensors = create_graph or _fw_state.active
    if not (tensors or careful or _vmap.depth):
        if grads is None:
            d = roots[0]._data
            _run_arrays(root_edges, (_ones_array(d.shape, d.dtype),), deps, needed,
                        retain_graph, targets, captured, None)
            return
        for g in grads:
            if g.__class__ is not Tensor:
                break
        else:  # plain Tensors (not batched by a transform): their arrays
            _run_arrays(root_edges, [g._data for g in grads], deps, needed, retain_graph,
                        targets, captured, grads if captured is not None else None)
            return
    if grads is None:
        d = roots[0]._data
        grads = (_ones(d.shape, d.dtype),)
    accumulate = _accumulate if watch is None else watch.leaf(_accumulate)

    buffers = {}
    for (fn, nr), g in zip(root_edges, grads):
        _add_to_buffer(buffers, fn, nr, g)
    ready = []
    for fn, _ in root_edges:
        if fn not in deps and fn not in ready:
            _push(ready, fn)
    pop, push = _pop, _push
    target_nodes = None if captured is None else {fn for fn, _ in targets}

    state = grad_mode.state
    prev = state.enabled
    state.enabled = create_graph
    token = silence()  # PyTorch computes inf and nan without warnings
    try:
        fn = None  # the next node, when it is known without the heap
        while fn is not None or ready:
            if fn is None:
                fn = pop(ready)
            buf = buffers.pop(fn)
            if fn._retain_hooks is not None:
                _run_tensor_hooks(fn, buf)
            if captured is not None and (fn in target_nodes or fn.__class__ is AccumulateGrad):
                if fn.__class__ is AccumulateGrad and buf[0] is not None:
                    _run_leaf_hooks(fn, buf)  # autograd.grad: a leaf's hooks see its gradient
                for nr, g in enumerate(buf):
                    if g is not None and (fn, nr) in targets:
                        captured[(fn, nr)] = g
            if fn.__class__ is AccumulateGrad:
                g = buf[0]
                if g is not None and captured is None and (targets is None or (fn, 0) in targets):
                    if fn._pre_hooks or fn._hooks:
                        _accumulate_with_node_hooks(fn, g, create_graph, accumulate)
                    else:
                        buf = b = grads_in = gd = None  # g's only holders: this frame, the next
                        accumulate(fn.variable, g, create_graph)
                fn = None
                continue
            edges = fn.next_functions
            if (buf[0] is None and _all_none(buf)) or (needed is not None and fn not in needed):
                grads_in = (None,) * len(edges)
            else:
                if fn._pre_hooks:
                    buf = _run_pre_hooks(fn, buf)
                if careful:  # anomaly mode or a profiler
                    grads_in = (_apply_anomaly(fn, buf, tensors) if watch is None else
                                watch.node(fn, buf, tensors,
                                           _apply_anomaly if anomaly else _apply))
                else:
                    grads_in = fn.apply(buf, tensors)
                if fn._hooks:
                    grads_in = _run_post_hooks(fn, grads_in, buf)
                if not retain_graph and fn._store is not None:
                    fn.release()
            meta = fn._meta
            fn = None
            for (nxt, nr), g, m in zip(edges, grads_in, meta) if edges else ():
                if nxt is None:
                    continue
                if g is not None:
                    if m is not None:  # None: the input had the output's shape and dtype
                        shape, dtype = m
                        gd = g._data if g.__class__ is Tensor else _Meta(g)
                        if gd.shape != shape:
                            g = _reduce_to(g, shape, tensors)
                        if gd.dtype is not dtype:
                            if gd.dtype.kind == "c" and dtype.kind != "c":
                                g = g.real  # a real input of a complex op: the real part
                            g = g.to(from_np[dtype])
                    b = buffers.get(nxt)
                    if b is None:
                        buffers[nxt] = b = [None] * nxt.n_outputs
                    old = b[nr]
                    b[nr] = g if old is None else old + g
                elif nxt not in buffers:
                    buffers[nxt] = [None] * nxt.n_outputs
                left = deps[nxt] - 1
                deps[nxt] = left
                if not left:
                    if fn is None and not ready:
                        # the only ready node (a chain): it runs next, no heap needed
                        fn = nxt
                    else:
                        if fn is not None:
                            push(ready, fn)
                            fn = None
                        push(ready, nxt)
    except RuntimeError as exc:
        if exc.args and exc.args[0] == FREED_MESSAGE:
            note(exc, _FREED_NOTE)
        raise
    finally:
        restore(token)
        state.enabled = prev


def _run_arrays(root_edges, grads, deps, needed, retain_graph, targets, captured, roots):
    """_run's loop for a first-order pass: the gradients are arrays from start to end.

    Each node runs its ``apply_arrays``; the engine sums arrays and reduces or casts them to
    each input's shape and dtype. Tensors are made only where something outside the engine
    sees a gradient: a leaf's ``.grad``, the results of autograd.grad, and hooks (which get
    Tensors around the arrays and may return new ones). ``roots``: the gradient Tensors given
    to autograd.grad (a result that is one of them is returned as that Tensor, as in PyTorch).
    """
    buffers = {}
    ready = []
    fn = None  # the next node, when it is known without the heap
    if len(root_edges) == 1:
        fn, nr = root_edges[0]
        buffers[fn] = buf = [None] * fn.n_outputs
        buf[nr] = grads[0]
    else:
        for (fn, nr), g in zip(root_edges, grads):
            _add_to_buffer(buffers, fn, nr, g)
        fn = None
        for root, _ in root_edges:
            if root not in deps and root not in ready:
                _push(ready, root)
    pop, push = _pop, _push
    acc_class = AccumulateGrad
    ndarray = _ndarray
    target_nodes = None if captured is None else {fn for fn, _ in targets}
    free = not retain_graph

    state = grad_mode.state
    prev = state.enabled
    state.enabled = False
    token = silence()  # PyTorch computes inf and nan without warnings
    try:
        while fn is not None or ready:
            if fn is None:
                fn = pop(ready)
            buf = buffers.pop(fn)
            if fn._retain_hooks is not None:
                _unwrap_into(buf, _run_tensor_hooks(fn, _wrap_all(buf)))
            if captured is not None and (fn in target_nodes or fn.__class__ is acc_class):
                _capture(fn, buf, targets, captured, roots)
            if fn.__class__ is acc_class:
                g = buf[0]
                if g is not None and captured is None and (targets is None or (fn, 0) in targets):
                    if fn._pre_hooks or fn._hooks or fn.variable._hooks is not None:
                        _accumulate_with_node_hooks(fn, _make(g), False, _accumulate)
                    else:
                        buf = b = grads_in = old = None  # g's only holders: this frame, the next
                        _accumulate_array(fn.variable, g)
                fn = None
                continue
            edges = fn.next_functions
            if (buf[0] is None and _all_none(buf)) or (needed is not None and fn not in needed):
                grads_in = (None,) * len(edges)
            else:
                if fn._pre_hooks:
                    buf = _unwrap_all(_run_pre_hooks(fn, _wrap_all(buf)))
                grads_in = fn.apply_arrays(buf)
                if fn._hooks:
                    grads_in = _unwrap_all(_run_post_hooks(fn, tuple(_wrap_all(grads_in)),
                                                           _wrap_all(buf)))
                if free and fn._store is not None:
                    fn.release()
            meta = fn._meta
            fn = None
            for (nxt, nr), g, m in zip(edges, grads_in, meta) if edges else ():
                if nxt is None:
                    continue
                if g is not None:
                    if g.__class__ is not ndarray:
                        g = _asarray(g)  # NumPy gives a scalar for a 0-d result
                    if m is not None:  # None: the input had the output's shape and dtype
                        if g.shape != m[0]:
                            g = _sum_to_checked(g, m[0])
                        if g.dtype is not m[1]:
                            g = _cast(g, m[1])
                    b = buffers.get(nxt)
                    if b is None:
                        if nxt.n_outputs == 1:
                            buffers[nxt] = [g]
                        else:
                            buffers[nxt] = b = [None] * nxt.n_outputs
                            b[nr] = g
                    else:
                        old = b[nr]
                        if old is None:
                            b[nr] = g
                        else:
                            old = old + g
                            b[nr] = old if old.__class__ is ndarray else _asarray(old)
                elif nxt not in buffers:
                    buffers[nxt] = [None] * nxt.n_outputs
                left = deps[nxt] - 1
                deps[nxt] = left
                if not left:
                    if fn is None and not ready:
                        # the only ready node (a chain): it runs next, no heap needed
                        fn = nxt
                    else:
                        if fn is not None:
                            push(ready, fn)
                            fn = None
                        push(ready, nxt)
    except RuntimeError as exc:
        if exc.args and exc.args[0] == FREED_MESSAGE:
            note(exc, _FREED_NOTE)
        raise
    finally:
        restore(token)
        state.enabled = prev


def _cast(g, dtype):
    """A gradient array in its input's dtype (a real input of a complex op: the real part)."""
    if g.dtype.kind == "c" and dtype.kind != "c":
        g = g.real
        if g.dtype is dtype:
            return g
    return g.astype(dtype)


def _wrap_all(arrays):
    """Tensors around a node's gradient arrays, for hooks (which see Tensors)."""
    return [None if g is None else _make(g) for g in arrays]


def _unwrap_all(tensors):
    return [None if t is None else t._data for t in tensors]


def _unwrap_into(buf, tensors):
    for i, t in enumerate(tensors):
        buf[i] = None if t is None else t._data


def _capture(fn, buf, targets, captured, roots):
    """autograd.grad on arrays: keep the gradients of the target edges (as Tensors)."""
    leaf_hooked = None
    if fn.__class__ is AccumulateGrad and buf[0] is not None and fn.variable._hooks is not None:
        wrapped = [_make(buf[0])]
        _run_leaf_hooks(fn, wrapped)  # a leaf's hooks see its gradient
        leaf_hooked = wrapped[0]
        buf[0] = leaf_hooked._data
    for nr, g in enumerate(buf):
        if g is not None and (fn, nr) in targets:
            t = leaf_hooked
            if t is None and roots is not None:
                for r in roots:  # a given gradient that reached a target unchanged
                    if r._data is g:
                        t = r
                        break
            captured[(fn, nr)] = _make(g) if t is None else t


def _sum_to_checked(g, shape):
    """Sum a broadcast gradient array back to its input's shape (PyTorch's sum_to), checking
    the shapes the first time they meet (a known pair has a plan)."""
    gshape = g.shape
    if (gshape, shape) not in _SUM_PLANS:
        lead = len(gshape) - len(shape)
        if lead < 0 or not all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:])):
            raise RuntimeError(
                f"Function backward returned an invalid gradient at index 0 - got "
                f"{list(gshape)} but expected shape compatible with {list(shape)}"
            )
    return sum_to_array(g, shape)


_SUM_PLANS = {}  # (gradient shape, input shape) -> (axes summed, whether dims lead)


def _sum_plan(gshape, shape):
    """The axes that broadcasting added to ``shape`` in ``gshape``, kept for the next time
    (a training loop reduces the same shapes every step)."""
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1
    )
    plan = (axes, lead)
    if len(_SUM_PLANS) < 4096:
        _SUM_PLANS[gshape, shape] = plan
    return plan


_FREED_NOTE = (
    "A backward (or autograd.grad) already ran through part of this graph and freed what it "
    "saved. Usual causes: calling loss.backward() twice on the same loss, or carrying a tensor "
    "from one iteration to the next without cutting its graph (an RNN hidden state, a running "
    "total). Fix: recompute the forward pass each iteration, cut the carried tensor with "
    "`.detach()` (or use `.item()` for numbers you only log), or pass retain_graph=True to the "
    "first backward if you really need to go through the graph twice."
)


class _Growth:
    """The always-on check for a graph that grows from one backward to the next. O(1) a step.

    Two signs, both read from the graph: the graph a backward runs through is larger than the
    previous one's at GROWTH_STEPS backwards in a row (a tensor carried across iterations
    without ``.detach()``), or the root nodes of every 8th backward over the last 32 are all
    still alive (something keeps every loss with its graph: ``total += loss``,
    ``losses.append(loss)``). Either is reported once, as a GraphGrowthWarning at the user's
    line. In a steady loop the cost is a comparison and a counter per backward.
    """

    __slots__ = ("size", "steps", "fired", "roots", "n")

    def __init__(self):
        self.size = 0
        self.steps = 0
        self.fired = False
        self.roots = []  # weak references to the root nodes of every 8th backward, the last 4
        self.n = 0  # backwards so far

    def sized(self, size):
        """A backward through a graph of ``size`` nodes (called only when the size changed)."""
        if size <= self.size:
            self.size = size
            self.steps = 0
            return
        self.steps = steps = self.steps + 1 if self.size else 0
        self.size = size
        if steps >= GROWTH_STEPS and not self.fired:
            self.fired = True
            _anomaly.report_growth(
                f"The graph behind this backward() has grown at each of the last {steps} "
                f"backward calls (now {size} nodes): a tensor that requires grad is carried "
                "from one iteration to the next and keeps the whole history behind it.",
                "Fix: cut the carried tensor's history each iteration with `.detach()` (e.g. "
                "`hidden = hidden.detach()`), and keep only numbers of what you log "
                "(`loss.item()`).",
            )

    def sample(self, root):
        roots = self.roots
        roots.append(_weakref(root))
        if len(roots) > 4:
            del roots[0]
            if not self.fired:
                self.check_kept()

    def check_kept(self):
        nodes = [r() for r in self.roots]
        if any(n is None for n in nodes) or len({id(n) for n in nodes}) < len(nodes):
            return
        self.fired = True
        holder, where = _anomaly.holder(nodes[0])
        _anomaly.report_growth(
            "The graphs of the losses you called backward() on in the last 32 steps are all "
            "still alive: "
            f"something keeps each loss with its graph{holder}, so memory grows every step.",
            "Fix: keep numbers, not graphs: `total += loss.item()` or "
            "`losses.append(loss.detach())` (or `loss.item()`).",
            where,
        )


GROWTH_STEPS = 8
_growth = _Growth()


def _apply_anomaly(fn, buf, create_graph):
    """fn.apply under anomaly mode: warn with the forward traceback if it fails; NaN check."""
    try:
        grads_in = fn.apply(buf, create_graph)
        if _anomaly.state.check_nan:
            for i, g in enumerate(grads_in):
                if g is not None and g._data.dtype.kind in "fcV" and np.isnan(g._data).any():
                    raise RuntimeError(
                        f"Function '{fn.name()}' returned nan values in its {i}th output."
                    )
    except BaseException:
        stack = fn._state.get("traceback_") if fn._state else None
        import warnings

        if stack:
            warnings.warn(f"Error detected in {fn.name()}. Traceback of forward call that caused "
                          f"the error:\n{_anomaly.format_stack(stack)}", UserWarning,
                          stacklevel=2)
        else:
            warnings.warn(f"Error detected in {fn.name()}. No forward pass information "
                          "available. Enable detect anomaly during forward pass for more "
                          "information.", UserWarning, stacklevel=2)
        raise
    return grads_in


def _apply(fn, buf, create_graph):
    return fn.apply(buf, create_graph)


def _all_none(buf):
    for g in buf:
        if g is not None:
            return False
    return True


# The ready queue orders nodes as PyTorch's does: the latest created first (AccumulateGrad, whose
# number is infinite, as soon as it is ready), and nodes with equal numbers in the order a
# binary max-heap with libstdc++'s push_heap / pop_heap gives them.
def _push(heap, fn):
    heap.append(fn)
    _rise(heap, len(heap) - 1, fn)


def _rise(heap, hole, fn):
    """Put fn at ``hole``, moving it up past the parents that come after it."""
    seq = fn._seq
    while hole > 0:
        parent = (hole - 1) >> 1
        up = heap[parent]
        if not up._seq < seq:
            break
        heap[hole] = up
        hole = parent
    heap[hole] = fn


def _pop(heap):
    top = heap[0]
    value = heap.pop()
    n = len(heap)
    if not n:
        return top
    hole = child = 0  # move the hole at the top down to a leaf, along the larger children
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if heap[child]._seq < heap[child - 1]._seq:
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if not n & 1 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        heap[hole] = heap[child - 1]
        hole = child - 1
    _rise(heap, hole, value)  # then the former last element rises from there
    return top


def _run_leaf_hooks(fn, buf):
    hooks = fn.variable._hooks
    if hooks is not None:
        g = buf[0]
        for hook in list(hooks.hooks):
            new = hook(g)
            if new is not None:
                g = new
        buf[0] = g


def _accumulate_with_node_hooks(fn, g, create_graph, accumulate):
    """A leaf whose AccumulateGrad node has hooks: the tensor's hooks, then the node's
    pre-hooks, the accumulation (``accumulate``: _accumulate, or the profiler's record of it),
    and the node's hooks, in PyTorch's order."""
    buf = [g]
    _run_leaf_hooks(fn, buf)
    if fn._pre_hooks:
        buf = _run_pre_hooks(fn, buf)
    g = buf[0]
    accumulate(fn.variable, g, create_graph, tensor_hooks=False)
    if fn._hooks:
        _run_post_hooks(fn, (), [g])


def _run_pre_hooks(fn, buf):
    for hook in fn._pre_hooks:
        new = hook(tuple(buf))
        if new is not None:
            buf = list(new)
    return buf


def _run_post_hooks(fn, grads_in, buf):
    for hook in fn._hooks:
        new = hook(grads_in, tuple(buf))
        if new is not None:
            grads_in = tuple(new)
    return grads_in


def _add_to_buffer(buffers, fn, nr, g):
    buf = buffers.get(fn)
    if buf is None:
        buffers[fn] = buf = [None] * fn.n_outputs
    old = buf[nr]
    if old is not None:
        g = old + g
        if isinstance(g, np.generic):
            g = _asarray(g)  # two 0-d arrays sum to a NumPy scalar
    buf[nr] = g


def _needed(nodes, targets):
    """The nodes from which some target edge can be reached (only those need to run)."""
    target_nodes = {fn for fn, _ in targets}
    needed = set(target_nodes)  # leaf targets (AccumulateGrad) sort last: seed them first
    add = needed.add
    # inputs are created before their consumers, so ascending sequence visits inputs first
    for fn in sorted(nodes, key=_seq_of):
        if fn in target_nodes:
            add(fn)
            continue
        for n, _ in fn.next_functions:
            if n in needed:
                add(fn)
                break
    return needed


def _seq_of(node):
    return node._seq


class _Meta:
    """The shape and NumPy dtype of a gradient that is not a plain Tensor (a batched one
    under vmap, whose per-sample shape is what the graph's metadata describes)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, g):
        self.shape = tuple(g.shape)
        self.dtype = g.dtype.np


def _reduce_to(g, shape, create_graph):
    """Sum a broadcast gradient back to its input's shape (PyTorch's sum_to)."""
    gshape = g._data.shape if g.__class__ is Tensor else tuple(g.shape)
    lead = len(gshape) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:]))
    if not ok:
        raise RuntimeError(
            f"Function backward returned an invalid gradient at index 0 - got "
            f"{list(gshape)} but expected shape compatible with {list(shape)}"
        )
    if create_graph:
        return g.sum_to_size(shape)  # the differentiable op, from ember.ops
    return _make(sum_to_array(g._data, shape))


def sum_to_array(d, shape):
    """Sum the array ``d`` over the dimensions that broadcasting added to ``shape``."""
    if shape.__class__ is not tuple:
        shape = tuple(shape)  # a Size, or a list given to sum_to_size
    plan = _SUM_PLANS.get((d.shape, shape))
    axes, lead = plan if plan is not None else _sum_plan(d.shape, shape)
    out = np.add.reduce(d, axis=axes, keepdims=True) if axes else d
    return out.reshape(shape) if lead else out


def _run_tensor_hooks(fn, buf):
    """Hooks registered on non-leaf tensors (register_hook, retain_grad) see their gradient."""
    for nr, ref in fn._retain_hooks:
        t = ref()
        if t is None or buf[nr] is None:
            continue
        hooks = t._hooks
        g = buf[nr]
        for hook in list(hooks.hooks):
            new = hook(g)
            if new is not None:
                g = new
        buf[nr] = g
        if hooks.retains_grad:
            t._grad = g.detach().clone() if t._grad is None else t._grad + g.detach()
    return buf


def _dense(a):
    """Whether the array's elements fill one block without gaps or overlap (any dim order)."""
    step = a.itemsize
    for stride, n in sorted((s, n) for s, n in zip(a.strides, a.shape) if n != 1):
        if stride != step:
            return False
        step *= n
    return True


def _layout_ok(g, ld):
    """Whether ``g`` may become the ``.grad`` of a leaf whose array is ``ld`` as it is laid out.

    PyTorch's gradient layout contract: a dense leaf's gradient has the leaf's strides (in
    every dimension longer than 1), any other leaf's is row-major. Under
    ``enforce_grad_layout_policy(False)`` any layout is kept.
    """
    if g.flags.c_contiguous and ld.flags.c_contiguous:
        return True
    if not grad_mode.state.grad_layout:
        return True
    if not _dense(ld):
        return g.flags.c_contiguous
    return all(gs == ls for n, gs, ls in zip(ld.shape, g.strides, ld.strides) if n != 1) \
        and 0 not in g.strides


def _copy_as_grad(g, ld):
    """A copy of ``g`` laid out as the contract says for a leaf whose array is ``ld``."""
    if ld.flags.c_contiguous or not _dense(ld):
        return g.copy()
    out = np.empty_like(ld, dtype=g.dtype, order="K")
    np.copyto(out, g)
    return out


def _sole_owner(g, leaf):
    """Whether ``g`` (a Tensor the engine computed) can become ``leaf.grad`` without a copy.

    It can when nothing but the engine holds the tensor (its references: the engine's frame,
    _accumulate's and this function's arguments, getrefcount's), nothing but the tensor holds
    its array (the other two references are ``d`` and getrefcount's), and the array is a
    writable, C-contiguous block of the leaf's shape and dtype (``.grad`` is updated in place
    by later backwards). The array may be a view (a transpose of a fresh product, say) when it
    spans all of its base and nothing else holds the base: it then has no other views.
    """
    d = g._data
    ld = leaf._data
    return (_getrefcount(g) <= 4 and _getrefcount(d) <= 3 and g.__class__ is Tensor
            and not g._requires_grad and _layout_ok(d, ld) and d.flags.writeable
            and d.dtype is ld.dtype and d.shape == ld.shape
            and (d.base is None or _getrefcount(d.base) <= 2 and d.base.size == d.size
                 and d.base.__class__ is _ndarray and d.base.base is None))


def _accumulate(leaf, g, create_graph, tensor_hooks=True):
    hooks = leaf._hooks
    if hooks is not None and tensor_hooks:
        for hook in list(hooks.hooks):
            new = hook(g)
            if new is not None:
                g = new
    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
        elif hooks is None and _sole_owner(g, leaf):
            leaf._grad = g  # a fresh gradient nobody else holds: keep it instead of copying it
        else:
            # own a copy: the same gradient object may reach several leaves or be the caller's
            leaf._grad = _make(_copy_as_grad(g._data, leaf._data))
    elif create_graph or old._requires_grad:
        leaf._grad = old + g
    else:
        od = old._data
        np.add(od, g._data, out=od, casting="unsafe")
    if hooks is not None:
        for hook in list(hooks.post_accumulate):
            hook(leaf)


def _accumulate_array(leaf, g):
    """_accumulate for a first-order pass without hooks: ``g`` an array the engine computed.

    A fresh array that nothing else holds becomes ``.grad`` without a copy (the conditions of
    _sole_owner, for an array: only this frame and the engine's hold it).
    """
    old = leaf._grad
    if old is None:
        ld = leaf._data
        if (_getrefcount(g) <= 3 and _layout_ok(g, ld) and g.flags.writeable
                and g.dtype is ld.dtype and g.shape == ld.shape
                and (g.base is None or _getrefcount(g.base) <= 2 and g.base.size == g.size
                     and g.base.__class__ is _ndarray and g.base.base is None)):
            leaf._grad = _make(g)
        else:
            leaf._grad = _make(_copy_as_grad(g, ld))
    elif old._requires_grad:
        leaf._grad = old + _make(g)
    else:
        od = old._data
        if od.size == 1 and g.dtype is od.dtype:  # (out= costs a one-element array double)
            od[...] = od + g
        else:
            np.add(od, g, out=od, casting="unsafe")


# attached to Tensor by ember.ops, with every other Tensor method
TENSOR_METHODS = {"backward": _tensor_backward}
