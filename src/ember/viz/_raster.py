"""PNG and PDF of a Scene through matplotlib (the same boxes, curves and legend as the SVG)."""

import io

from ._scene import (
    LEGEND_FONT,
    LEGEND_ROW,
    LEGEND_SAMPLE,
    LINE_EM,
    NOTE_FONT,
    RETAINED_STROKE,
    arrow_head,
    bezier_segments,
    box_style,
    frame,
    legend_sample,
    legend_size,
)

__all__ = ["raster"]

MAX_PIXELS = 30000  # matplotlib refuses figures much wider than 2**16 pixels


def raster(scene_, format, dpi=96):
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch, PathPatch, Polygon, Rectangle
        from matplotlib.path import Path
    except ImportError:
        raise RuntimeError(
            f"format={format!r} needs matplotlib (pip install matplotlib); SVG needs nothing"
        ) from None
    gx, gy, lx, ly, width, height = frame(scene_)
    dpi = min(dpi, MAX_PIXELS * 72 / max(width, height, 1.0))
    fig = Figure(figsize=(width / 72, height / 72), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    mono = "monospace"

    for i, note in enumerate(scene_.notes):
        ax.text(8, (i + 1) * NOTE_FONT * LINE_EM, note, fontsize=NOTE_FONT, family=mono,
                color="#7a2a00", va="baseline")
    for c in scene_.curves:
        pts, tri = arrow_head(c.points, scene_.vertical) if c.arrow else (c.points, None)
        pts = [(x + gx, y + gy) for x, y in pts]
        verts, codes = [pts[0]], [Path.MOVETO]
        for _, c1, c2, p1 in bezier_segments(pts, scene_.vertical):
            verts += [c1, c2, p1]
            codes += [Path.CURVE4] * 3
        ax.add_patch(PathPatch(Path(verts, codes), fill=False, edgecolor="#444",
                               linewidth=1, linestyle=":" if c.dotted else "-"))
        if tri is not None:
            ax.add_patch(Polygon([(x + gx, y + gy) for x, y in tri], closed=True,
                                 facecolor="#444", edgecolor="#444", linewidth=0.5))
        if c.count > 1:
            mx, my = c.points[len(c.points) // 2]
            ax.text(mx + gx + 8, my + gy, f"×{c.count}", fontsize=9, family=mono)
    for b in scene_.boxes:
        stroke, lw, dash, opacity = box_style(b.kind, b.flags)
        x0, y0 = b.x - b.w / 2 + gx, b.y - b.h / 2 + gy
        style = (0, dash) if dash else "-"
        if b.rounded:
            ax.add_patch(FancyBboxPatch((x0 + 3, y0 + 3), b.w, b.h,
                                        boxstyle="round,pad=0,rounding_size=6",
                                        facecolor=b.fill, edgecolor=stroke, linewidth=1))
            patch = FancyBboxPatch((x0, y0), b.w, b.h, boxstyle="round,pad=0,rounding_size=6",
                                   facecolor=_rgba(b.fill, opacity), edgecolor=stroke,
                                   linewidth=lw, linestyle=style)
        else:
            patch = Rectangle((x0, y0), b.w, b.h, facecolor=_rgba(b.fill, opacity),
                              edgecolor=stroke, linewidth=lw, linestyle=style)
        ax.add_patch(patch)
        if "retained" in b.flags:
            ax.add_patch(Rectangle((x0 + 2.5, y0 + 2.5), b.w - 5, b.h - 5, fill=False,
                                   edgecolor=RETAINED_STROKE, linewidth=1))
        line_h = b.fontsize * LINE_EM
        top = b.y + gy - len(b.lines) * line_h / 2
        for i, line in enumerate(b.lines):
            if line.strip():
                ax.text(b.x + gx, top + (i + 0.5) * line_h, line, fontsize=b.fontsize,
                        family=mono, ha="center", va="center")
    if scene_.legend:
        lw_, lh = legend_size(scene_.legend)
        ax.add_patch(Rectangle((lx, ly), lw_, lh, facecolor="#fafafa", edgecolor="#bbb"))
        ax.text(lx + 8, ly + 15, "legend", fontsize=LEGEND_FONT + 1, family=mono,
                weight="bold", va="baseline")
        for i, (key, text) in enumerate(scene_.legend):
            fill, kind, flags = legend_sample(key)
            stroke, lw, dash, opacity = box_style(kind, flags)
            y = ly + 26 + i * LEGEND_ROW
            ax.add_patch(Rectangle((lx + 8, y), LEGEND_SAMPLE, 12, facecolor=_rgba(fill, opacity),
                                   edgecolor=stroke, linewidth=lw,
                                   linestyle=(0, dash) if dash else "-"))
            if "retained" in flags:
                ax.add_patch(Rectangle((lx + 10.5, y + 2.5), LEGEND_SAMPLE - 5, 7, fill=False,
                                       edgecolor=RETAINED_STROKE, linewidth=1))
            ax.text(lx + LEGEND_SAMPLE + 16, y + 6, text, fontsize=LEGEND_FONT, family=mono,
                    va="center")
    out = io.BytesIO()
    fig.savefig(out, format=format, facecolor="white")
    return out.getvalue()


def _rgba(colour, alpha):
    from matplotlib.colors import to_rgba

    try:
        r, g, b, _ = to_rgba(colour)
    except ValueError:
        r, g, b = 0.83, 0.83, 0.83
    return (r, g, b, alpha)
