"""What a picture shows, measured and placed: boxes, text lines, edge curves and the legend.

SVG (here), the HTML page and matplotlib's PNG/PDF all draw one Scene, so they agree. Labels
are set in a monospace font whose advance is 0.6 em, and every SVG line of text carries
``textLength``: the box is measured from the text, and the text is held to that measure even
where the viewer picks another font, so two labels never overlap.
"""

import unicodedata
from html import escape

from ._layout import layout

__all__ = ["Scene", "scene", "text_width"]

FONT = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
CHAR_EM = 0.6  # advance of a monospace glyph, in em
LINE_EM = 1.2
PAD_X, PAD_Y = 8.0, 4.0  # graphviz's default node margin (0.11 x 0.055 inch)

# X11 colour names graphviz knows and SVG does not
_COLOURS = {
    "darkolivegreen1": "#caff70", "darkolivegreen2": "#bcee68", "darkolivegreen3": "#a2cd5a",
    "darkolivegreen4": "#6e8b3d", "lightgrey": "#d3d3d3", "lightgray": "#d3d3d3",
    "orange": "#ffa500", "lightblue": "#add8e6", "gray": "#c0c0c0", "grey": "#c0c0c0",
}

# the legend, in the order it is drawn: key, text, how a sample box looks
LEGEND = [
    ("op", "backward node (grad_fn)"),
    ("accumulate", "AccumulateGrad (fills a leaf's .grad)"),
    ("leaf", "leaf tensor that requires grad"),
    ("param", "parameter (named from params)"),
    ("saved", "tensor saved for backward"),
    ("output", "output tensor"),
    ("base", "base of an output view"),
    ("retained", "non-leaf that retains grad"),
    ("freed", "saved tensors freed by backward"),
    ("backpropagated", "node of a graph already backpropagated"),
    ("fold", "repeated block, folded (xN)"),
]
_LEGEND_FILL = {"op": "lightgrey", "accumulate": "lightgrey", "leaf": "lightblue",
                "param": "lightblue", "saved": "orange", "output": "darkolivegreen1",
                "base": "darkolivegreen3", "retained": "lightgrey", "freed": "lightgrey",
                "backpropagated": "lightgrey", "fold": "#e4e0f7"}

STROKE = "#333333"
PARAM_STROKE = "#1f4e79"
RETAINED_STROKE = "#7b3294"
FREED_STROKE = "#c0392b"
FADED = 0.45


def colour(name):
    return _COLOURS.get(name.lower(), name) if name else "none"


def char_units(ch):
    """How many monospace cells a character takes (East Asian wide ones take two)."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(line, fontsize):
    return sum(char_units(c) for c in line) * CHAR_EM * fontsize


def label_lines(label):
    """A DOT label's lines: real newlines and the escapes \\n, \\l, \\r all break a line."""
    text = label.replace("\\n", "\n").replace("\\l", "\n").replace("\\r", "\n")
    if text.endswith("\n") and len(text) > 1:
        text = text[:-1]
    return text.split("\n")


class Box:
    __slots__ = ("name", "lines", "fontsize", "fill", "flags", "kind", "w", "h", "x", "y",
                 "tooltip", "fold", "rounded")

    def __init__(self, name, lines, fontsize, fill, kind, flags, tooltip, fold=None):
        self.name = name
        self.lines = lines
        self.fontsize = fontsize
        self.fill = fill
        self.kind = kind
        self.flags = flags
        self.tooltip = tooltip
        self.fold = fold
        self.rounded = kind == "fold"
        line_h = fontsize * LINE_EM
        self.w = max(max(text_width(s, fontsize) for s in lines) + 2 * PAD_X, 0.0)
        self.h = len(lines) * line_h + 2 * PAD_Y
        self.x = self.y = 0.0


class Curve:
    __slots__ = ("points", "arrow", "dotted", "count", "tail", "head")

    def __init__(self, points, arrow, dotted, count, tail, head):
        self.points = points
        self.arrow = arrow
        self.dotted = dotted
        self.count = count
        self.tail = tail
        self.head = head


class Scene:
    """Measured, placed boxes and curves plus the legend; ``svg()`` writes it."""

    def __init__(self, boxes, curves, legend, notes, width, height, vertical):
        self.boxes = boxes
        self.curves = curves
        self.legend = legend
        self.notes = notes
        self.width = width
        self.height = height
        self.vertical = vertical

    def svg(self, standalone=True):
        return "".join(svg_parts(self, standalone))


def _node_facts(graph, name, attrs):
    info = graph._info.get(name, {})
    kind = info.get("kind")
    if kind is None:  # a node added by hand: classify it by colour, as torchviz colours
        kind = {"lightblue": "leaf", "orange": "saved", "darkolivegreen1": "output",
                "darkolivegreen3": "base"}.get(attrs.get("fillcolor", ""), "op")
    flags = [f for f in ("retained", "freed", "backpropagated") if info.get(f)]
    if kind == "param":
        flags.insert(0, "param")
    return kind, flags, info


def tooltip_lines(name, kind, info, label_lines_):
    """What hovering a node tells: what it is, shape, dtype, saved values, where it was made."""
    lines = []
    title = info.get("op") or info.get("title") or " ".join(s for s in label_lines_ if s)
    lines.append(title.strip() or "tensor")
    what = {"op": "backward node", "accumulate": "accumulates into a leaf's .grad",
            "leaf": "leaf tensor (requires grad)", "param": "parameter",
            "saved": "saved for backward", "output": "output tensor",
            "base": "base of a view", "fold": "folded repeated block"}.get(kind)
    if what:
        lines.append(what)
    if "shape" in info:
        lines.append(f"shape: ({', '.join(str(s) for s in info['shape'])})"
                     f"   dtype: {info.get('dtype', '?')}")
    if info.get("saved"):
        lines.append("saved: " + "; ".join(info["saved"]))
    if info.get("retained"):
        lines.append("retains grad (.retain_grad())")
    if info.get("freed"):
        lines.append("saved tensors freed by backward")
    for extra in info.get("lines", ()):
        lines.append(extra)
    if info.get("traceback"):
        lines.append("created at: " + info["traceback"])
    return lines


def scene(graph, expanded=()):
    """Lay out ``graph`` (a Digraph); with folds, the ones in ``expanded`` are unfolded."""
    from ._fold import view

    nodes, edges = view(graph, expanded)
    defaults = dict(graph.node_attr)
    defaults.update(graph._plain.get("node", {}))
    graph_attrs = dict(graph.graph_attr)
    graph_attrs.update(graph._plain.get("graph", {}))
    rankdir = graph_attrs.get("rankdir", "TB").upper()

    names = list(nodes)
    index = {n: i for i, n in enumerate(names)}
    boxes = []
    for name in names:
        attrs = dict(defaults)
        attrs.update(nodes[name])
        label = attrs.get("label", name)
        fontsize = float(attrs.get("fontsize", 14))
        lines = label_lines(label)
        kind, flags, info = _node_facts(graph, name, attrs)
        style = attrs.get("style", "")
        fill = attrs.get("fillcolor") or attrs.get("color") or "lightgrey"
        if "filled" not in style and kind != "fold":
            fill = "white"
        box = Box(name, lines, fontsize, colour(fill), kind, flags,
                  tooltip_lines(name, kind, info, lines), info.get("fold"))
        box.w = max(box.w, float(attrs.get("width", 0.75)) * 72)
        box.h = max(box.h, float(attrs.get("height", 0.5)) * 72)
        boxes.append(box)

    counts = {}
    order = []
    for tail, head, attrs in edges:
        key = (tail, head)
        if key not in counts:
            order.append((tail, head, attrs))
            counts[key] = 0
        counts[key] += 1
    pairs = [(index[t], index[h]) for t, h, _ in order]
    placed = layout([(b.w, b.h) for b in boxes], pairs, rankdir=rankdir,
                    nodesep=float(graph_attrs.get("nodesep", 0.25)) * 72,
                    ranksep=max(float(graph_attrs.get("ranksep", 0.5)) * 72 * 0.6, 18.0))
    for box, (x, y) in zip(boxes, placed.centers):
        box.x, box.y = x, y
    curves = []
    for (tail, head, attrs), route in zip(order, placed.routes):
        curves.append(Curve(route, attrs.get("dir", "forward") != "none",
                            "dotted" in attrs.get("style", ""), counts[(tail, head)],
                            tail, head))

    notes = []
    plain_label = graph._plain.get("graph", {}).get("label")
    if plain_label:
        notes = label_lines(plain_label)
    present = {b.kind for b in boxes} | {f for b in boxes for f in b.flags}
    legend = [(key, text) for key, text in LEGEND if key in present]
    return Scene(boxes, curves, legend, notes, placed.width, placed.height,
                 rankdir in ("TB", "BT"))


# -- SVG ----------------------------------------------------------------------------------
LEGEND_FONT = 10.0
LEGEND_ROW = 18.0
LEGEND_SAMPLE = 26.0
NOTE_FONT = 11.0


def legend_size(items):
    if not items:
        return 0.0, 0.0
    text = max(text_width(t, LEGEND_FONT) for _, t in items)
    return LEGEND_SAMPLE + 8 + text + 16, len(items) * LEGEND_ROW + 26


def frame(scene_):
    """Offsets of the graph, the legend and the notes inside the whole picture."""
    lw, lh = legend_size(scene_.legend)
    notes_h = len(scene_.notes) * NOTE_FONT * LINE_EM + (8 if scene_.notes else 0)
    graph_x, graph_y = 0.0, notes_h
    legend_x = scene_.width + 12 if lw else scene_.width
    width = max(legend_x + lw + 4, max((text_width(s, NOTE_FONT) + 32 for s in scene_.notes),
                                       default=0))
    height = max(notes_h + scene_.height, notes_h + lh + 8)
    return graph_x, graph_y, legend_x, notes_h + 4, width, height


def path_data(points, vertical):
    """A smooth path through the route's points: tangents along the rank direction."""
    (x0, y0) = points[0]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        if vertical:
            d = (yb - ya) / 2
            c1, c2 = (xa, ya + d), (xb, yb - d)
        else:
            d = (xb - xa) / 2
            c1, c2 = (xa + d, ya), (xb - d, yb)
        parts.append(f"C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {xb:.1f},{yb:.1f}")
    return " ".join(parts)


def bezier_segments(points, vertical):
    """The cubic segments path_data draws, as (p0, c1, c2, p1) tuples (for matplotlib)."""
    segments = []
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        if vertical:
            d = (yb - ya) / 2
            segments.append(((xa, ya), (xa, ya + d), (xb, yb - d), (xb, yb)))
        else:
            d = (xb - xa) / 2
            segments.append(((xa, ya), (xa + d, ya), (xb - d, yb), (xb, yb)))
    return segments


ARROW_LEN, ARROW_HALF = 9.0, 3.5


def arrow_head(points, vertical):
    """The arrow's triangle at the route's end, and the route shortened to meet its base."""
    segs = bezier_segments(points, vertical)
    if not segs:
        return points, None
    p0, c1, c2, p1 = segs[-1]
    dx, dy = p1[0] - c2[0], p1[1] - c2[1]
    length = (dx * dx + dy * dy) ** 0.5
    if length < 1e-6:
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = p1[0] - ux * ARROW_LEN, p1[1] - uy * ARROW_LEN
    tri = [p1, (bx - uy * ARROW_HALF, by + ux * ARROW_HALF),
           (bx + uy * ARROW_HALF, by - ux * ARROW_HALF)]
    return points[:-1] + [(bx, by)], tri


def box_style(kind, flags):
    """(stroke colour, stroke width, dash, fill opacity) for a box of this kind and flags."""
    stroke, width, dash, opacity = STROKE, 1.0, None, 1.0
    if "param" in flags or kind == "param":
        stroke, width = PARAM_STROKE, 2.4
    if "retained" in flags or kind == "retained":
        stroke, width = RETAINED_STROKE, 2.4
    if "freed" in flags or kind == "freed":
        stroke, width, dash = FREED_STROKE, 1.6, (4.0, 2.0)
    if "backpropagated" in flags or kind == "backpropagated":
        opacity = FADED
    if kind == "fold":
        stroke, width = "#4b3f9a", 1.8
    return stroke, width, dash, opacity


def _box_svg(out, b, dx, dy, attrs=""):
    stroke, width, dash, opacity = box_style(b.kind, b.flags)
    x0, y0 = b.x - b.w / 2 + dx, b.y - b.h / 2 + dy
    tip = escape("\n".join(b.tooltip))
    cls = " ".join(["node", "kind-" + b.kind] + ["flag-" + f for f in b.flags])
    fold = f' data-fold="{b.fold}"' if b.fold is not None else ""
    out.append(f'<g class="{cls}" data-name="{escape(b.name)}"{fold}{attrs}>'
               f"<title>{tip}</title>")
    rx = ' rx="6"' if b.rounded else ""
    dash_attr = f' stroke-dasharray="{dash[0]:g} {dash[1]:g}"' if dash else ""
    op_attr = f' fill-opacity="{opacity:g}"' if opacity != 1.0 else ""
    if b.kind == "fold":
        out.append(f'<rect x="{x0 + 3:.1f}" y="{y0 + 3:.1f}" width="{b.w:.1f}" '
                   f'height="{b.h:.1f}"{rx} fill="{b.fill}" stroke="{stroke}" '
                   f'stroke-width="1"/>')
    out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{b.w:.1f}" height="{b.h:.1f}"{rx} '
               f'fill="{b.fill}"{op_attr} stroke="{stroke}" stroke-width="{width:g}"'
               f"{dash_attr}/>")
    if "retained" in b.flags:
        out.append(f'<rect x="{x0 + 2.5:.1f}" y="{y0 + 2.5:.1f}" width="{b.w - 5:.1f}" '
                   f'height="{b.h - 5:.1f}" fill="none" stroke="{RETAINED_STROKE}" '
                   f'stroke-width="1"/>')
    line_h = b.fontsize * LINE_EM
    top = b.y + dy - len(b.lines) * line_h / 2
    for i, line in enumerate(b.lines):
        if not line.strip():
            continue
        base = top + i * line_h + line_h * 0.5 + b.fontsize * 0.35
        length = text_width(line, b.fontsize)
        out.append(f'<text x="{b.x + dx:.1f}" y="{base:.1f}" font-size="{b.fontsize:g}" '
                   f'textLength="{length:.1f}" lengthAdjust="spacingAndGlyphs">'
                   f"{escape(line)}</text>")
    out.append("</g>\n")


def legend_sample(key):
    """A Box-like sample of one legend entry: (fill, kind, flags)."""
    flags = [key] if key in ("param", "retained", "freed", "backpropagated") else []
    kind = key if key in ("fold",) else key
    return colour(_LEGEND_FILL[key]), kind, flags


def svg_parts(s, standalone=True):
    gx, gy, lx, ly, width, height = frame(s)
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" '
               f'height="{height:.0f}pt" viewBox="0 0 {width:.1f} {height:.1f}" '
               f'class="ember-graph">\n')
    out.append(f"<style>text{{font-family:{FONT};white-space:pre;fill:#111;"
               "dominant-baseline:auto;text-anchor:middle}"
               ".edge path{fill:none;stroke:#444;stroke-width:1}"
               ".edge polygon{fill:#444;stroke:#444}"
               ".legend text,.notes text{text-anchor:start}</style>\n")
    out.append(f'<rect class="background" width="{width:.1f}" height="{height:.1f}" '
               'fill="white"/>\n')
    for i, note in enumerate(s.notes):
        out.append(f'<g class="notes"><text x="8" y="{(i + 1) * NOTE_FONT * LINE_EM:.1f}" '
                   f'font-size="{NOTE_FONT:g}" fill="#7a2a00" '
                   f'textLength="{text_width(note, NOTE_FONT):.1f}" '
                   'lengthAdjust="spacingAndGlyphs">'
                   f"{escape(note)}</text></g>\n")
    out.append(f'<g class="graph" transform="translate({gx:.1f},{gy:.1f})">\n')
    for c in s.curves:
        pts, tri = arrow_head(c.points, s.vertical) if c.arrow else (c.points, None)
        dash = ' stroke-dasharray="2 3"' if c.dotted else ""
        out.append(f'<g class="edge" data-tail="{escape(c.tail)}" data-head="{escape(c.head)}">'
                   f'<path d="{path_data(pts, s.vertical)}"{dash}/>')
        if tri is not None:
            out.append('<polygon points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in tri)
                       + '"/>')
        if c.count > 1:
            mx, my = c.points[len(c.points) // 2]
            out.append(f'<text x="{mx + 8:.1f}" y="{my:.1f}" font-size="9">×{c.count}</text>')
        out.append("</g>\n")
    for b in s.boxes:
        _box_svg(out, b, 0.0, 0.0)
    out.append("</g>\n")
    if s.legend:
        lw, lh = legend_size(s.legend)
        out.append(f'<g class="legend" transform="translate({lx:.1f},{ly:.1f})">'
                   f'<rect width="{lw:.1f}" height="{lh:.1f}" fill="#fafafa" stroke="#bbb"/>'
                   f'<text x="8" y="15" font-size="{LEGEND_FONT + 1:g}" '
                   'font-weight="bold">legend</text>\n')
        for i, (key, text) in enumerate(s.legend):
            fill, kind, flags = legend_sample(key)
            y = 26 + i * LEGEND_ROW
            stroke, width_, dash, opacity = box_style(kind, flags)
            dash_attr = f' stroke-dasharray="{dash[0]:g} {dash[1]:g}"' if dash else ""
            rx = ' rx="4"' if kind == "fold" else ""
            out.append(f'<rect x="8" y="{y:.1f}" width="{LEGEND_SAMPLE:g}" height="12"{rx} '
                       f'fill="{fill}" fill-opacity="{opacity:g}" stroke="{stroke}" '
                       f'stroke-width="{width_:g}"{dash_attr}/>')
            if "retained" in flags:
                out.append(f'<rect x="10.5" y="{y + 2.5:.1f}" width="{LEGEND_SAMPLE - 5:g}" '
                           f'height="7" fill="none" stroke="{RETAINED_STROKE}"/>')
            tl = text_width(text, LEGEND_FONT)
            out.append(f'<text x="{LEGEND_SAMPLE + 16:g}" y="{y + 10:.1f}" '
                       f'font-size="{LEGEND_FONT:g}" textLength="{tl:.1f}" '
                       f'lengthAdjust="spacingAndGlyphs">{escape(text)}</text>\n')
        out.append("</g>\n")
    out.append("</svg>\n")
    return out
