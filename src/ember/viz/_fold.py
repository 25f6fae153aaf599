"""Folding repeated blocks: an RNN unrolled over time, a loop of identical layers.

Backward nodes are numbered in the order the forward created them (``Node._seq``), so a loop
in the user's code is a repeat in the sequence of their op names. Runs of a repeated period
are found with NumPy, one vectorised comparison per period; each run is then checked
structurally (every copy wires its nodes the same way, to itself and to the copy before it)
before it becomes one box with a repeat count. Leaves that only a folded block reads fold
into it too.
"""

import numpy as np

from . import _dot

__all__ = ["collapse_repeats", "view"]

MAX_PERIOD = 256
FOLD_FILL = "#e4e0f7"


class Fold:
    __slots__ = ("name", "members", "copies", "period", "ops")

    def __init__(self, name, members, copies, period, ops):
        self.name = name
        self.members = members  # node names folded into this box (an ordered list)
        self.copies = copies
        self.period = period
        self.ops = ops  # op names of one copy, in order


def _runs(codes, max_period):
    """Candidate repeats: (nodes covered, period, start, copies), best first."""
    n = len(codes)
    found = []
    for p in range(1, min(max_period, n // 2) + 1):
        eq = np.concatenate(([0], (codes[:-p] == codes[p:]).view(np.int8), [0]))
        edges = np.flatnonzero(np.diff(eq))
        starts, ends = edges[0::2], edges[1::2]
        lengths = ends - starts
        keep = lengths >= p
        for s, length in zip(starts[keep].tolist(), lengths[keep].tolist()):
            copies = (length + p) // p
            if copies * p >= 4 and (copies >= 3 or p > 2):
                found.append((copies * p, p, s, copies))
    found.sort(key=lambda c: (-c[0], c[1], c[2]))
    return found


def _verify(run, order, preds, kinds):
    """Whether every copy of the run wires its nodes alike (to itself, to the copy before)."""
    coverage, p, start, copies = run
    where = {}
    for c in range(copies):
        for j in range(p):
            where[order[start + c * p + j]] = (c, j)
    signatures = []
    for c in range(copies):
        signature = []
        for j in range(p):
            items = []
            for u in preds.get(order[start + c * p + j], ()):
                pos = where.get(u)
                if pos is None:
                    items.append(("ext", kinds.get(u, "")))
                elif pos[0] == c:
                    items.append(("in", pos[1]))
                elif pos[0] == c - 1:
                    items.append(("prev", pos[1]))
                else:
                    return False  # a skip across copies: not a simple loop
            signature.append(tuple(sorted(items)))
        signatures.append(signature)
    if any(s != signatures[1] for s in signatures[2:]):
        return False

    def inner(signature):  # the first copy may read its start (an h0) from outside, or not
        return [tuple(it for it in items if it[0] == "in") for items in signature]

    return inner(signatures[0]) == inner(signatures[1])


def collapse_repeats(graph):
    """Fold the graph's repeated blocks in place; ``graph._full`` keeps the unfolded one."""
    info = graph._info
    order = sorted((n for n, f in info.items() if f.get("kind") == "op" and "seq" in f),
                   key=lambda n: info[n]["seq"])
    if len(order) < 4:
        return
    names = {}
    codes = np.array([names.setdefault(info[n]["op"], len(names)) for n in order], np.int64)
    preds = {}
    neighbours = {}
    for tail, head, attrs in graph._edges:
        if attrs.get("dir") != "none":
            preds.setdefault(head, []).append(tail)
        neighbours.setdefault(tail, set()).add(head)
        neighbours.setdefault(head, set()).add(tail)
    kinds = {n: info.get(n, {}).get("op") or info.get(n, {}).get("kind", "") for n in graph._nodes}

    taken = np.zeros(len(order), bool)
    chosen = []
    for run in _runs(codes, MAX_PERIOD):
        coverage, p, start, copies = run
        if taken[start:start + coverage].any() or not _verify(run, order, preds, kinds):
            continue
        taken[start:start + coverage] = True
        chosen.append(run)
    if not chosen:
        return

    owner = {}
    folds = []
    for coverage, p, start, copies in sorted(chosen, key=lambda r: r[2]):
        k = len(folds)
        name = f"fold{k}"
        members = order[start:start + coverage]
        for m in members:
            owner[m] = k
        ops = [info[n]["op"] for n in members[:p]]
        folds.append(Fold(name, list(members), copies, p, ops))
    _absorb_leaves(graph, folds, owner, neighbours, info)

    graph._full = (dict(graph._nodes), list(graph._edges))
    graph._folds = folds
    for k, fold in enumerate(folds):
        label = _fold_label(fold)
        info[fold.name] = {"kind": "fold", "fold": k, "op": f"block repeated {fold.copies} times",
                           "lines": [f"{fold.copies} copies of a block of {fold.period} "
                                     f"backward nodes ({len(fold.members)} nodes in all)"]}
        info[fold.name]["attrs"] = {"label": label, "style": "filled,rounded",
                                    "fillcolor": FOLD_FILL}
    nodes, edges = view(graph, ())
    graph._nodes, graph._edges = nodes, edges
    graph.body = [_dot.node_line(n, a.get("label"), {k: v for k, v in a.items() if k != "label"})
                  for n, a in nodes.items()]
    graph.body += [_dot.edge_line(t, h, None, a) for t, h, a in edges]


_LEAFISH = ("accumulate", "leaf", "param", "saved")


def _absorb_leaves(graph, folds, owner, neighbours, info):
    """Leaves (a parameter, its AccumulateGrad, saved tensors) that one copy of one fold alone
    touches join that fold; a weight that every copy reads stays outside, drawn once."""
    copy_of = {}
    for k, fold in enumerate(folds):
        for i, m in enumerate(fold.members):
            copy_of[m] = (k, i // fold.period)
    changed = True
    while changed:
        changed = False
        for name in graph._nodes:
            if name in copy_of or info.get(name, {}).get("kind") not in _LEAFISH:
                continue
            around = {copy_of.get(m) for m in neighbours.get(name, ())
                      if m in copy_of or info.get(m, {}).get("kind") not in _LEAFISH}
            if len(around) == 1:
                place = around.pop()
                if place is not None:
                    copy_of[name] = place
                    owner[name] = place[0]
                    folds[place[0]].members.append(name)
                    changed = True


def _fold_label(fold):
    if fold.period == 1:
        return f"{fold.ops[0]}\n× {fold.copies}"
    shown = fold.ops[:6]
    more = [f"... (+{fold.period - 6} more)"] if fold.period > 6 else []
    return "\n".join([f"× {fold.copies}  (block of {fold.period})", *shown, *more])


def view(graph, expanded=()):
    """The (nodes, edges) to draw: every fold not in ``expanded`` shown as its box."""
    if not graph._folds or graph._full is None:
        return graph._nodes, graph._edges
    full_nodes, full_edges = graph._full
    box_of = {}
    for k, fold in enumerate(graph._folds):
        if k not in expanded:
            for m in fold.members:
                box_of[m] = fold.name
    nodes = {}
    for name, attrs in full_nodes.items():
        box = box_of.get(name)
        if box is None:
            nodes[name] = attrs
        elif box not in nodes:
            nodes[box] = graph._info[box]["attrs"]
    edges = []
    seen = set()
    for tail, head, attrs in full_edges:
        t, h = box_of.get(tail, tail), box_of.get(head, head)
        if t == h and (tail in box_of or head in box_of):
            continue
        if t != tail or h != head:
            if (t, h) in seen:
                continue
            seen.add((t, h))
        edges.append((t, h, attrs))
    return nodes, edges
