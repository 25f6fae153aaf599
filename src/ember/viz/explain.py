"""``ember.autograd.explain(t)`` / ``Tensor.explain()``: what a tensor is in the autograd graph.

A short report in plain words: leaf or not and why, where requires_grad comes from, the path
back to the leaves, whether ``.grad`` will be filled, whether the graph behind it was freed by
a backward, and its version counter with the in-place ops that moved it (those are named only
when they ran under ``ember.autograd.diagnose()`` or anomaly mode). Reads the graph, changes
nothing. The walk is iterative.
"""

from sys import getrefcount as _getrefcount

from .. import _names
from ..autograd import anomaly
from ..autograd.graph import AccumulateGrad

_MAX_PATH = 12  # nodes shown on the path back to the leaves


def explain(t):
    """The report as a string (print it)."""
    lines = [f"Tensor of shape {tuple(t.shape)}, dtype {t.dtype}:"]
    fn = t._grad_fn
    if fn is None:
        lines += _leaf(t)
    else:
        lines += _non_leaf(t, fn)
    lines += _version(t)
    return "\n".join(lines)


def _leaf(t):
    if t._requires_grad:
        out = ["- a leaf that requires grad: you created it (or set requires_grad=True on it), so "
               "backward() accumulates its gradient into .grad."]
        out.append("- .grad is " + ("None so far (no backward has reached it yet)."
                                    if t._grad is None else f"set, shape {tuple(t._grad.shape)}."))
        return out
    out = ["- a leaf that does not require grad: a constant for autograd. backward() never "
           "gives it a .grad."]
    # .detach() and views share the version counter of the tensor they come from; .data and
    # from_numpy share only the memory
    if _getrefcount(t._version) > 2:
        out.append("  It shares its memory and version counter with another tensor: it was cut "
                   "from a graph with .detach(), or is a view made under no_grad() or of a "
                   "tensor that does not require grad. An in-place change to one shows in the "
                   "other, and autograd sees it in the other's version.")
    elif _getrefcount(t._data) > 2:
        out.append("  It shares its memory, but not its version counter, with another tensor or "
                   f"array: it is a tensor's .data, or came from {_names.prefix}.from_numpy(). An "
                   "in-place change through it changes the other too, unseen by autograd.")
    else:
        out.append("  It has memory of its own: it was created without requires_grad=True, or "
                   "computed under no_grad() / inference_mode() or from tensors that do not "
                   "require grad.")
    out.append("  To learn its gradient, create it with requires_grad=True (or call "
               ".requires_grad_() on a leaf), outside no_grad().")
    return out


def _non_leaf(t, fn):
    out = [f"- not a leaf: it was computed by an op that autograd recorded (grad_fn={fn.name()}),"
           " so it requires grad because one of its inputs does."]
    if t.retains_grad:
        out.append("- .grad will be filled by backward(): retain_grad() was called on it.")
    else:
        out.append("- .grad will stay None: backward() fills .grad only on leaves. Call "
                   ".retain_grad() on it before backward() if you want its gradient.")
    path, leaves, freed, n = _walk(fn)
    out.append("- path back to the leaves: " + " <- ".join(path))
    if leaves:
        shown = ", ".join(f"tensor of shape {tuple(v.shape)}" for v in leaves[:4])
        more = f" and {len(leaves) - 4} more" if len(leaves) > 4 else ""
        out.append(f"- leaves that will receive a gradient: {len(leaves)} ({shown}{more}); "
                   f"{n} nodes in the graph behind it.")
    else:
        out.append(f"- no leaf that requires grad is reachable ({n} nodes).")
    if freed:
        out.append(f"- the graph behind it was already freed by a backward ({freed} node(s) have "
                   "released their saved tensors): a second backward through it raises. Pass "
                   "retain_graph=True to the first backward if you need two.")
    else:
        out.append("- the graph behind it is intact: backward() can run through it.")
    stack = fn._state.get("traceback_") if fn._state else None
    where = anomaly.user_line(stack)
    if where:
        out.append(f"- {fn.name()} was created at {where}")
    return out


def _walk(root):
    """(names on the first-input path, leaves, freed node count, node count), iteratively."""
    path = []
    node = root
    while node is not None and len(path) < _MAX_PATH:
        path.append(node.name() if node.__class__ is not AccumulateGrad else "AccumulateGrad")
        nxt = None
        for n, _ in node.next_functions:
            if n is not None:
                nxt = n
                break
        node = nxt
    if node is not None:
        path.append("...")
    seen = {root}
    stack = [root]
    leaves = []
    freed = 0
    while stack:
        node = stack.pop()
        if node.__class__ is AccumulateGrad:
            leaves.append(node.variable)
            continue
        if node._store is None and (node._versions is not None or node._out is not None):
            freed += 1
        for n, _ in node.next_functions:
            if n is not None and n not in seen:
                seen.add(n)
                stack.append(n)
    return path, leaves, freed, len(seen)


def _version(t):
    v = t._version[0]
    if not v:
        return ["- version 0: it has not been modified in place."]
    out = [f"- version {v}: modified in place {v} time(s) (a backward that saved it earlier "
           "will refuse to run)."]
    events = anomaly.bumps(t._version)
    for ver, op, frames in events:
        where = anomaly.user_line(frames)
        out.append(f"  {op} -> version {ver}" + (f" at {where}" if where else ""))
    if not events:
        out.append(f"  (run under {_names.prefix}.autograd.diagnose() to record which ops and "
                   "lines)")
    return out
