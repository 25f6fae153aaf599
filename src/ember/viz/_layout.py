"""A layered (Sugiyama-style) drawing of a directed graph, in pure Python and without recursion.

The steps are the classic ones, each a loop over lists:

1. break cycles: a depth-first search reverses the edges that point back up its stack;
2. assign ranks: longest path from the sources, then every node with successors moves down
   to just above its nearest successor (so a parameter sits beside the op that reads it);
3. split each edge that spans several ranks with dummy nodes, one per rank crossed;
4. order each rank: barycenter sweeps down and up, keeping the order with fewest crossings;
5. assign x: each sweep pulls a node toward the mean x of its neighbours in the previous
   rank, then the exact nearest placement that keeps the rank's order and spacing is found
   by isotonic regression (pool adjacent violators), so boxes never overlap;
6. assign y rank by rank from the tallest box in each rank.

Coordinates are points (1/72 inch); y grows downwards, as in SVG.
"""

from bisect import bisect_right

__all__ = ["Layout", "layout"]


class Layout:
    """Where everything goes: node centers, edge polylines, the drawing's size."""

    __slots__ = ("centers", "sizes", "routes", "width", "height", "ranks")

    def __init__(self, centers, sizes, routes, width, height, ranks):
        self.centers = centers  # (x, y) per node
        self.sizes = sizes  # (w, h) per node
        self.routes = routes  # per input edge: a list of (x, y) from tail to head
        self.width = width
        self.height = height
        self.ranks = ranks  # rank per node


def layout(sizes, edges, rankdir="TB", nodesep=18.0, ranksep=30.0, margin=8.0):
    """Lay out nodes of the given (width, height) joined by (tail, head) index pairs."""
    horizontal = rankdir in ("LR", "RL")
    if horizontal:
        sizes_tb = [(h, w) for w, h in sizes]
    else:
        sizes_tb = list(sizes)
    centers, routes, width, height, ranks = _layout_tb(sizes_tb, edges, nodesep, ranksep, margin)
    if rankdir in ("BT", "RL"):
        centers = [(x, height - y) for x, y in centers]
        routes = [[(x, height - y) for x, y in r] for r in routes]
    if horizontal:
        centers = [(y, x) for x, y in centers]
        routes = [[(y, x) for x, y in r] for r in routes]
        width, height = height, width
    return Layout(centers, list(sizes), routes, width, height, ranks)


def _layout_tb(sizes, edges, nodesep, ranksep, margin):
    n = len(sizes)
    unique = {}
    for t, h in edges:
        if t != h:
            unique.setdefault((t, h), None)
    pairs = list(unique)
    reversed_pairs = _back_edges(n, pairs)
    dag = [(h, t) if (t, h) in reversed_pairs else (t, h) for t, h in pairs]
    dag = list(dict.fromkeys(dag))
    rank, depth = _ranks(n, dag)

    # the layered graph: real nodes, then one dummy per rank an edge crosses
    node_rank = list(rank)
    widths = [w for w, _ in sizes]
    up = [[] for _ in range(n)]
    down = [[] for _ in range(n)]
    chains = {}
    for t, h in dag:
        prev = t
        chain = []
        for r in range(rank[t] + 1, rank[h]):
            d = len(node_rank)
            node_rank.append(r)
            widths.append(0.0)
            up.append([prev])
            down.append([])
            depth.append(depth[t])
            down[prev].append(d)
            chain.append(d)
            prev = d
        down[prev].append(h)
        up[h].append(prev)
        chains[(t, h)] = chain
    total = len(node_rank)
    n_ranks = max(node_rank, default=-1) + 1

    layers = _initial_order(total, n_ranks, node_rank, up, down)
    layers = _reduce_crossings(layers, up, down, total)
    x = _assign_x(layers, widths, up, down, n, nodesep, total, depth)

    heights = [0.0] * n_ranks
    for v in range(n):
        heights[rank[v]] = max(heights[rank[v]], sizes[v][1])
    rank_y = []
    y = margin
    for r in range(n_ranks):
        rank_y.append(y + heights[r] / 2)
        y += heights[r] + ranksep
    height = y - ranksep + margin if n_ranks else 2 * margin

    left = min((x[v] - widths[v] / 2 for v in range(total)), default=0.0)
    shift = margin - left
    xs = [xv + shift for xv in x]
    right = max((xs[v] + widths[v] / 2 for v in range(total)), default=0.0)
    width = right + margin if total else 2 * margin

    centers = [(xs[v], rank_y[rank[v]]) for v in range(n)]
    routes = []
    for t, h in edges:
        if t == h:
            routes.append(_loop(centers[t], sizes[t]))
            continue
        flipped = (t, h) in reversed_pairs
        a, b = (h, t) if flipped else (t, h)
        points = [(centers[a][0], centers[a][1] + sizes[a][1] / 2)]
        points += [(xs[d], rank_y[node_rank[d]]) for d in chains[(a, b)]]
        points.append((centers[b][0], centers[b][1] - sizes[b][1] / 2))
        routes.append(points)
    _spread_ports(routes, centers, sizes, edges, reversed_pairs)
    routes = [r[::-1] if (t, h) in reversed_pairs else r for r, (t, h) in zip(routes, edges)]
    return centers, routes, width, height, rank


def _spread_ports(routes, centers, sizes, edges, reversed_pairs):
    """Edges meeting one side of a box spread along it, ordered by where they come from."""
    ends = {}
    for i, (t, h) in enumerate(edges):
        if t == h:
            continue
        a, b = (h, t) if (t, h) in reversed_pairs else (t, h)
        ends.setdefault((a, "bottom"), []).append((i, 0, 1))
        ends.setdefault((b, "top"), []).append((i, -1, -2))
    for (v, _), items in ends.items():
        if len(items) < 2:
            continue
        items.sort(key=lambda it: routes[it[0]][it[2]][0])
        span = sizes[v][0] * 0.6
        for k, (i, at, _) in enumerate(items):
            x = centers[v][0] - span / 2 + span * k / (len(items) - 1)
            routes[i][at] = (x, routes[i][at][1])


def _loop(center, size):
    x, y = center
    w, h = size
    return [(x + w / 2, y - h / 4), (x + w / 2 + 14, y), (x + w / 2, y + h / 4)]


def _back_edges(n, pairs):
    """Edges that close a cycle, found by an iterative depth-first search."""
    succ = [[] for _ in range(n)]
    for t, h in pairs:
        succ[t].append(h)
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    back = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, 0)]
        while stack:
            v, i = stack[-1]
            if i < len(succ[v]):
                stack[-1] = (v, i + 1)
                w = succ[v][i]
                if state[w] == 1:
                    back.add((v, w))
                elif state[w] == 0:
                    state[w] = 1
                    stack.append((w, 0))
            else:
                state[v] = 2
                stack.pop()
    return back


def _ranks(n, dag):
    """Ranks: longest path from the sources, then each node moved down next to its first
    successor. Also returns each node's depth (its longest path from a source)."""
    succ = [[] for _ in range(n)]
    indeg = [0] * n
    for t, h in dag:
        succ[t].append(h)
        indeg[h] += 1
    order = [v for v in range(n) if indeg[v] == 0]
    for v in order:  # the list grows while it is read: Kahn's topological order
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                order.append(w)
    rank = [0] * n
    for v in order:
        for w in succ[v]:
            if rank[w] < rank[v] + 1:
                rank[w] = rank[v] + 1
    depth = list(rank)
    for v in reversed(order):
        if succ[v]:
            rank[v] = min(rank[w] for w in succ[v]) - 1
    low = min(rank, default=0)
    return [r - low for r in rank], depth


def _initial_order(total, n_ranks, node_rank, up, down):
    """Each rank in the order a depth-first search from the top meets its nodes."""
    layers = [[] for _ in range(n_ranks)]
    seen = [False] * total
    starts = sorted((v for v in range(total) if not up[v]), key=lambda v: node_rank[v])
    for root in starts:
        if seen[root]:
            continue
        seen[root] = True
        stack = [root]
        while stack:
            v = stack.pop()
            layers[node_rank[v]].append(v)
            for w in reversed(down[v]):
                if not seen[w]:
                    seen[w] = True
                    stack.append(w)
    return layers


def _crossings(upper, lower, down):
    """Edge crossings between two adjacent ranks (counting inversions with bisect)."""
    pos = {v: i for i, v in enumerate(lower)}
    sequence = []
    for v in upper:
        sequence.extend(sorted(pos[w] for w in down[v] if w in pos))
    count = 0
    seen = []
    for p in reversed(sequence):
        count += bisect_right(seen, p - 1) if seen else 0
        # insert keeping `seen` sorted; fine for the sizes drawn here
        seen.insert(bisect_right(seen, p), p)
    return count


def _total_crossings(layers, down):
    return sum(_crossings(layers[r], layers[r + 1], down) for r in range(len(layers) - 1))


def _sweep(layers, neighbours, order):
    for r in order:
        fixed = layers[r - 1] if order[0] > 0 else layers[r + 1]
        pos = {v: i for i, v in enumerate(fixed)}
        keyed = []
        for i, v in enumerate(layers[r]):
            ps = [pos[w] for w in neighbours[v] if w in pos]
            keyed.append((sum(ps) / len(ps) if ps else float(i), i, v))
        keyed.sort()
        layers[r] = [v for _, _, v in keyed]


def _reduce_crossings(layers, up, down, total):
    if len(layers) < 2:
        return layers
    sweeps = 8 if total < 2000 else 4 if total < 20000 else 1
    count_them = total < 20000
    best = [list(layer) for layer in layers]
    best_count = _total_crossings(best, down) if count_them else 0
    down_order = list(range(1, len(layers)))
    up_order = list(range(len(layers) - 2, -1, -1))
    for _ in range(sweeps):
        if count_them and best_count == 0:
            break
        _sweep(layers, up, down_order)
        _sweep(layers, down, up_order)
        if count_them:
            count = _total_crossings(layers, down)
            if count < best_count:
                best_count = count
                best = [list(layer) for layer in layers]
        else:
            best = layers
    return best


def _isotonic(targets, weights):
    """The non-decreasing sequence nearest to targets (weighted least squares): PAVA."""
    blocks = []  # [weighted sum, weight, count]
    for t, w in zip(targets, weights):
        blocks.append([t * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, wt, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += wt
            blocks[-1][2] += c
    out = []
    for s, wt, c in blocks:
        out.extend([s / wt] * c)
    return out


def _place(layer, desired, widths, nodesep, n, depth):
    """Positions nearest to ``desired`` that keep the layer's order and spacing.

    Deeper nodes weigh more: where boxes compete for room, the long chain keeps its place
    and its side inputs move, so the chain does not drift rank after rank."""
    offsets = [0.0]
    for a, b in zip(layer, layer[1:]):
        gap = nodesep if a < n and b < n else nodesep / 3
        offsets.append(offsets[-1] + (widths[a] + widths[b]) / 2 + gap)
    weights = [(1.0 if v < n else 2.0) * (1 + depth[v]) ** 2 for v in layer]
    ys = _isotonic([d - o for d, o in zip(desired, offsets)], weights)
    return [y + o for y, o in zip(ys, offsets)]


def _assign_x(layers, widths, up, down, n, nodesep, total, depth):
    """x per node: sweeps toward the neighbours in the previous rank, then exact placement.

    Of a node's neighbours only the deepest (longest path from a source) count, so a long
    chain of ops stays straight and the short branches that feed it (a parameter and its
    AccumulateGrad) move next to it, rather than pulling it sideways rank after rank.
    """
    x = [0.0] * total
    for layer in layers:
        pos = _place(layer, [0.0] * len(layer), widths, nodesep, n, depth)
        for v, xv in zip(layer, pos):
            x[v] = xv
    rounds = 8 if total < 2000 else 4 if total < 20000 else 2
    for k in range(rounds + 1):
        if k % 2 == 0:
            neighbours, order = up, range(1, len(layers))
        else:
            neighbours, order = down, range(len(layers) - 2, -1, -1)
        for r in order:
            layer = layers[r]
            desired = []
            for v in layer:
                ws = neighbours[v]
                if not ws:
                    desired.append(x[v])
                    continue
                deepest = max(depth[w] for w in ws)
                main = [x[w] for w in ws if depth[w] == deepest]
                desired.append(sum(main) / len(main))
            for v, xv in zip(layer, _place(layer, desired, widths, nodesep, n, depth)):
                x[v] = xv
    return x
