"""make_dot: the autograd graph behind a tensor, written as torchviz writes it.

The walk reads only what autograd exposes on a node: ``next_functions``, ``variable`` on an
AccumulateGrad, the saved values (``_store``, ``_out``, ``saved_tensors`` of a custom
Function), ``_retain_hooks`` and ``metadata``. It emits the statements torchviz's recursive
``add_nodes`` emits, in the same order, from an explicit stack.
"""

import numpy as np

from .._tensor import Tensor
from ..autograd.function import BackwardCFunction
from ..autograd.graph import AccumulateGrad
from ._digraph import Digraph

__all__ = ["make_dot"]

SAVED_PREFIX = "_saved_"

# what PyTorch calls the values a node saves, where ember saves the same ones in this order
_SAVED_NAMES = {
    "AddmmBackward0": ("mat1", "mat2"),
    "MmBackward0": ("self", "mat2"),
    "BmmBackward0": ("self", "mat2"),
    "ConvolutionBackward0": ("input", "weight"),
    "NativeBatchNormBackward0": ("input", "weight", "result1", "result2"),
    "NativeLayerNormBackward0": ("input", "weight"),
}


def _is_saved_tensor(v):
    return isinstance(v, (Tensor, np.ndarray))


def saved_values(fn):
    """The (name, value) pairs a node saved for backward, named as PyTorch names them.

    None when the values were freed by a backward. A custom Function's ``saved_tensors`` are
    not listed here (torchviz draws them separately).
    """
    if isinstance(fn, (AccumulateGrad, BackwardCFunction)):
        return []
    saved = fn._store
    if saved is None:
        return None
    names = _SAVED_NAMES.get(type(fn).__name__)
    if names is None:
        if len(saved) == 2 and len(fn.next_functions) == 2:
            names = ("self", "other")
        elif len(saved) == 1 and len(fn.next_functions) == 1:
            names = ("self",)
        else:
            names = ()
    pairs = []
    for i, value in enumerate(saved):
        pairs.append((names[i] if i < len(names) else f"saved{i}", value))
    out = fn._out
    if out is not None:
        pairs.append(("result", out[0]))
    return pairs


def _value_text(value):
    if _is_saved_tensor(value):
        return "[saved tensor]"
    if isinstance(value, (tuple, list)) and any(_is_saved_tensor(v) for v in value):
        return "[saved tensors]"
    return str(value)


def fn_label(fn, show_attrs, max_attr_chars):
    """torchviz's get_fn_name: the class name, then a table of saved attributes if asked."""
    name = type(fn).__name__
    if not show_attrs:
        return name
    pairs = saved_values(fn)
    if pairs is None:
        attrs = {"saved": "[freed by backward]"}
    else:
        attrs = {k: _value_text(v) for k, v in sorted(pairs)}
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    col1 = max(len(k) for k in attrs)
    col2 = min(max(len(v) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(col1 + col2 + 2, len(name))

    def truncate(s):
        return s[:col2 - 3] + "..." if len(s) > col2 else s

    rows = "\n".join(f"{k:<{col1}}: {truncate(v):>{col2}}" for k, v in attrs.items())
    return name + "\n" + sep + "\n" + rows


def _size_str(shape):
    return "(" + ", ".join(str(int(v)) for v in shape) + ")"


def _dtype_str(dtype):
    return "ember." + str(np.dtype(dtype)) if dtype is not None else "?"


def _shape_of(value):
    return tuple(value.shape)


class _Walk:
    """One make_dot call: the digraph, what was seen, and the facts kept for tooltips."""

    def __init__(self, params, show_attrs, show_saved, max_attr_chars):
        self.param_map = {id(v): k for k, v in params.items()} if params else {}
        self.show_attrs = show_attrs
        self.show_saved = show_saved
        self.max_attr_chars = max_attr_chars
        node_attr = dict(style="filled", shape="box", align="left", fontsize="10",
                         ranksep="0.1", height="0.2", fontname="monospace")
        self.dot = Digraph(node_attr=node_attr, graph_attr=dict(size="12,12"))
        self.seen = set()
        self.keep = []  # objects whose id names a node stay alive until the walk ends
        self.fns = []

    def name(self, obj):
        self.keep.append(obj)
        return str(id(obj))

    def var_label(self, var, name=None):
        if not name:
            name = self.param_map.get(id(var), "")
        return f"{name}\n {_size_str(_shape_of(var))}"

    def tensor_node(self, var, fillcolor, label_name=None, kind="leaf"):
        key = self.name(var)
        self.dot.node(key, self.var_label(var, label_name), fillcolor=fillcolor)
        info = self.dot._info.setdefault(key, {})
        if kind == "leaf" and id(var) in self.param_map:
            kind = "param"
        info.setdefault("kind", kind)
        info["shape"] = _shape_of(var)
        info["dtype"] = _dtype_str(getattr(var, "dtype", None) if isinstance(var, np.ndarray)
                                   else var._data.dtype)
        if label_name:
            info["title"] = label_name
        elif id(var) in self.param_map:
            info["title"] = self.param_map[id(var)]
        if isinstance(var, Tensor) and var.retains_grad:
            info["retained"] = True
        return key

    def saved_nodes(self, fn, key):
        pairs = saved_values(fn) or []
        for attr, val in sorted(pairs, key=lambda p: p[0]):
            if _is_saved_tensor(val):
                self.seen.add(id(val))
                self.dot.edge(key, self.name(val), dir="none")
                self.tensor_node(val, "orange", attr, kind="saved")
            if isinstance(val, tuple):
                for i, t in enumerate(val):
                    if _is_saved_tensor(t):
                        self.dot.edge(key, self.name(t), dir="none")
                        self.tensor_node(t, "orange", f"{attr}[{i}]", kind="saved")

    def enter(self, fn):
        """The statements add_nodes makes before it recurses into fn's inputs."""
        self.seen.add(id(fn))
        self.fns.append(fn)
        key = self.name(fn)
        if self.show_saved:
            self.saved_nodes(fn, key)
        if isinstance(fn, AccumulateGrad):
            var = fn.variable
            self.seen.add(id(var))
            self.tensor_node(var, "lightblue")
            self.dot.edge(self.name(var), key)
        self.dot.node(key, fn_label(fn, self.show_attrs, self.max_attr_chars))
        info = self.dot._info.setdefault(key, {})
        info["kind"] = "accumulate" if isinstance(fn, AccumulateGrad) else "op"
        info["op"] = type(fn).__name__
        info["seq"] = fn._seq
        return key

    def leave(self, fn, key):
        """The statements add_nodes makes after its inputs: a custom Function's saved tensors."""
        if not isinstance(fn, BackwardCFunction) or fn._store is None:
            return
        for t in fn.saved_tensors:
            if t is None:
                continue
            self.seen.add(id(t))
            self.dot.edge(self.name(t), key, dir="none")
            self.tensor_node(t, "orange", kind="saved")

    def add_nodes(self, root):
        """torchviz's recursive add_nodes, run from an explicit stack of input iterators."""
        if id(root) in self.seen:
            return
        stack = [(root, self.enter(root), iter(root.next_functions))]
        while stack:
            fn, key, inputs = stack[-1]
            for u, _ in inputs:
                if u is None:
                    continue
                self.dot.edge(self.name(u), key)
                if id(u) not in self.seen:
                    stack.append((u, self.enter(u), iter(u.next_functions)))
                    break
            else:
                stack.pop()
                self.leave(fn, key)

    def add_base_tensor(self, var, color="darkolivegreen1"):
        while var is not None and id(var) not in self.seen:
            self.seen.add(id(var))
            key = self.tensor_node(var, color, kind="output" if color == "darkolivegreen1"
                                   else "base")
            if var.grad_fn is not None:
                self.add_nodes(var.grad_fn)
                self.dot.edge(self.name(var.grad_fn), key)
            base = var._base if var._is_view() else None
            if base is not None:
                # torchviz draws the base (and its base) before the dotted edge to it
                self.add_base_tensor_chain(base, key)
            var = None

    def add_base_tensor_chain(self, base, view_key):
        pending = []
        while base is not None and id(base) not in self.seen:
            self.seen.add(id(base))
            key = self.tensor_node(base, "darkolivegreen3", kind="base")
            if base.grad_fn is not None:
                self.add_nodes(base.grad_fn)
                self.dot.edge(self.name(base.grad_fn), key)
            pending.append((base, view_key))
            view_key = key
            base = base._base if base._is_view() else None
        if base is not None:
            pending.append((base, view_key))
        for b, v in reversed(pending):
            self.dot.edge(self.name(b), v, style="dotted")


def _check_var(var):
    items = var if isinstance(var, (tuple, list)) else (var,)
    for i, v in enumerate(items):
        if not isinstance(v, Tensor):
            what = type(v).__name__
            if isinstance(var, (tuple, list)):
                raise TypeError(
                    f"make_dot(): argument 'var' (position 1) must be tuple of Tensors, but "
                    f"found element of type {what} at pos {i}"
                )
            raise TypeError(
                f"make_dot(): argument 'var' (position 1) must be Tensor, not {what}"
            )
    return items


def _check_params(params):
    if params is None:
        return {}
    if not hasattr(params, "items"):
        raise TypeError("make_dot(): argument 'params' must be a dict of (name, Tensor), not "
                        f"{type(params).__name__}")
    for k, v in params.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"make_dot(): params[{k!r}] must be Tensor, not {type(v).__name__}")
    return params


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50,
             collapse=False, profile=None):
    """The autograd graph that produced ``var``, as torchviz's ``make_dot`` draws it.

    Backward nodes are gray; tensors are blue (leaves that require grad, named from
    ``params``, e.g. ``dict(model.named_parameters())``), orange (saved for backward) or
    green (the outputs passed in; a view's base in dark green).

    Args:
        var: an output tensor, or a tuple or list of them.
        params: dict of (name, tensor) naming the leaves that require grad.
        show_attrs: list each backward node's saved values in its box.
        show_saved: draw the tensors each node saved for backward.
        max_attr_chars: with show_attrs, the longest value shown.
        collapse: fold repeated blocks (a loop of identical layers, an unrolled RNN) into
            one box with a repeat count.
        profile: an ember.profiler profile (or its events()) that recorded a backward
            through this graph: each backward node is filled by the time it took, from the
            grad_fn grey (none) through orange to red (the slowest), and its tooltip tells the
            time (ember's own addition; torchviz has no such argument).

    Returns a Digraph: it shows itself in Jupyter, ``.render("name", format="png")``
    writes a picture (SVG without anything installed; PNG/PDF through matplotlib),
    ``.save_html("page.html")`` writes a page to pan, zoom and hover, and ``.source`` is
    the DOT text.
    """
    outputs = _check_var(var)
    walk = _Walk(_check_params(params), show_attrs, show_saved, max_attr_chars)
    for v in outputs:
        walk.add_base_tensor(v)
    _finish(walk, outputs)
    if profile is not None:
        _colour_by_time(walk, profile)
    _resize_graph(walk.dot)
    if collapse:
        from ._fold import collapse_repeats

        collapse_repeats(walk.dot)
    return walk.dot


def _finish(walk, outputs):
    """Facts for the legend and the tooltips: freed nodes, retained grads, shapes, notes."""
    dot = walk.dot
    info = dot._info
    freed = False
    for fn in walk.fns:
        if not isinstance(fn, AccumulateGrad) and fn._store is None:
            info[str(id(fn))]["freed"] = True
            freed = True
        for _, ref in fn._retain_hooks or ():
            t = ref()
            if t is not None and t._hooks is not None and t._hooks.retains_grad:
                info[str(id(fn))]["retained"] = True
    if freed:
        for fn in walk.fns:
            info[str(id(fn))]["backpropagated"] = True
        dot._notes.append("this graph was already backpropagated: saved tensors were freed "
                          "(use retain_graph=True to keep them)")
    _infer_shapes(walk, outputs)
    for fn in walk.fns:
        entry = info[str(id(fn))]
        pairs = saved_values(fn)
        if pairs is None:
            entry["saved"] = ["freed by backward"]
        else:
            entry["saved"] = [_saved_line(k, v) for k, v in pairs]
        line = _creation_line(fn)
        if line:
            entry["traceback"] = line
    for v in outputs:
        if v.grad_fn is None:
            why = ("it is a leaf that requires grad: its graph starts at the first op that uses "
                   "it" if v.requires_grad else "it does not require grad, so autograd "
                   "recorded nothing (set requires_grad=True on an input before the ops)")
            dot._notes.append(f"no graph behind the tensor of shape {_size_str(v.shape)}: {why}")
    if dot._notes:
        dot.attr(label="\n".join(dot._notes))


def _colour_by_time(walk, profile):
    """Fill each backward node by the time its backward took in ``profile``."""
    from ._profile import backward_times, heat

    events = profile.events() if hasattr(profile, "events") else profile
    if events is None:
        raise RuntimeError("make_dot(profile=...): the profile has not finished; pass it "
                           "after its `with` block ends")
    times = backward_times(events)
    found = {fn._seq: times[fn._seq] for fn in walk.fns if fn._seq in times}
    slowest = max((t for t, _ in found.values()), default=0.0)
    for fn in walk.fns:
        key = str(id(fn))
        hit = found.get(fn._seq)
        if hit is None:
            continue
        t, n = hit
        walk.dot.node(key, fillcolor=heat(t / slowest if slowest else 0.0))
        calls = f" over {n} backward calls" if n > 1 else ""
        walk.dot._info[key].setdefault("lines", []).append(f"backward time: {t:.1f} us{calls}")
    if found:
        for fn in walk.fns:  # a profiled graph has always been backpropagated: keep it vivid
            walk.dot._info[str(id(fn))].pop("backpropagated", None)
        walk.dot._notes.append(f"backward nodes coloured by their time in the profile "
                               f"(grey: none, red: slowest, {slowest:.1f} us)")
    else:
        walk.dot._notes.append("the profile recorded no backward through this graph")
    walk.dot.attr(label="\n".join(walk.dot._notes))


def _saved_line(name, value):
    if _is_saved_tensor(value):
        data = value._data if isinstance(value, Tensor) else value
        return f"{name}: {_size_str(data.shape)} {_dtype_str(data.dtype)}"
    text = _value_text(value)
    return f"{name} = {text[:40] + '...' if len(text) > 43 else text}"


def _creation_line(fn):
    """The user line that created fn, when something (anomaly mode) recorded it."""
    state = getattr(fn, "_state", None)
    if not state:
        return None
    tb = state.get("traceback", state.get("traceback_"))
    if tb is None:
        return None
    if isinstance(tb, (list, tuple)):
        tb = tb[-1] if tb else ""
    lines = [ln for ln in str(tb).strip().splitlines() if ln.strip()]
    return "\n".join(lines[-2:]) if lines else None


def _infer_shapes(walk, outputs):
    """Each backward node's output shape and dtype, pushed from the outputs to the leaves.

    An edge's metadata on the consuming node gives the input's (shape, dtype); None there
    means "the same as the consumer's output" (ember's shortcut for same-shaped operands).
    """
    info = walk.dot._info
    facts = {}
    for v in outputs:
        if v.grad_fn is not None:
            facts[id(v.grad_fn)] = (tuple(v.shape), v._data.dtype)
    for fn in walk.fns:
        if isinstance(fn, AccumulateGrad):
            facts[id(fn)] = (tuple(fn.variable.shape), fn.variable._data.dtype)
    # consumers come before the nodes they feed when ordered by decreasing sequence number
    ordered = sorted((fn for fn in walk.fns if not isinstance(fn, AccumulateGrad)),
                     key=lambda f: -f._seq)
    for fn in ordered:
        mine = facts.get(id(fn))
        meta = fn._meta if isinstance(fn._meta, (list, tuple)) else ()
        for i, (u, _) in enumerate(fn.next_functions):
            if u is None or id(u) in facts:
                continue
            m = meta[i] if i < len(meta) else None
            if m is not None:
                facts[id(u)] = (tuple(m[0]), m[1])
            elif mine is not None and not isinstance(fn, BackwardCFunction):
                facts[id(u)] = mine
    for fn in walk.fns:
        fact = facts.get(id(fn))
        if fact is not None:
            entry = info[str(id(fn))]
            entry["shape"] = fact[0]
            entry["dtype"] = _dtype_str(fact[1])


def _resize_graph(dot, size_per_element=0.15, min_size=12):
    """torchviz's resize_graph: the drawing's size grows with the number of statements."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=f"{size},{size}")
