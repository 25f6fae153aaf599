"""profile_page: a profile as one self-contained page (inline CSS, JavaScript and data).

The page shows a timeline (one row per nesting depth and thread: forward ops, backward nodes,
record_function blocks and profiler steps as boxes along time; wheel zooms the time axis about
the pointer, dragging pans, hovering a box tells its name, times and input shapes) above the
key_averages table with PyTorch's columns (click a heading to sort by it). Colours and fonts
are the graph pictures': backward nodes light grey as grad_fn boxes, forward ops light blue,
record_function blocks as folded blocks, labels in the pictures' monospace font.

The events are read through what a FunctionEvent offers (name, time_range, cpu_children,
cpu_parent, input_shapes, thread); nothing here imports the profiler.
"""

import json
from html import escape

from ._scene import FONT, STROKE, colour

__all__ = ["profile_page", "backward_times", "heat"]

_BACKWARD = "autograd::engine::evaluate_function: "

# what each kind of box is, in the order the legend lists them, and its fill
KINDS = [
    ("forward", "forward op", colour("lightblue")),
    ("backward", "backward node (grad_fn)", colour("lightgrey")),
    ("evaluate", "engine: evaluate_function", "#ececec"),
    ("annotation", "record_function block", "#e4e0f7"),
    ("step", "profiler step", colour("darkolivegreen1")),
]


def _kind(e, in_backward):
    name = e.name
    if name.startswith("ProfilerStep"):
        return "step"
    if e.is_user_annotation:
        return "annotation"
    if name.startswith(_BACKWARD):
        return "evaluate"
    if in_backward and e.cpu_parent is not None and e.cpu_parent.name.startswith(_BACKWARD):
        return "backward"
    return "forward"


def _depth_and_kind(events):
    out = []
    for e in events:
        depth = 0
        in_backward = False
        p = e.cpu_parent
        while p is not None:
            depth += 1
            if p.name.startswith(_BACKWARD):
                in_backward = True
            p = p.cpu_parent
        out.append((depth, _kind(e, in_backward)))
    return out


def _us(t):
    if t >= 1e6:
        return f"{t / 1e6:.3f}s"
    if t >= 1e3:
        return f"{t / 1e3:.3f}ms"
    return f"{t:.3f}us"


def _table_rows(events):
    groups = {}
    for e in events:
        g = groups.get(e.name)
        if g is None:
            g = groups[e.name] = [e.name, 0.0, 0.0, 0]
        g[1] += e.self_cpu_time_total
        g[2] += e.time_range.elapsed_us()
        g[3] += 1
    total = sum(g[1] for g in groups.values()) or 1.0
    rows = sorted(groups.values(), key=lambda g: g[2], reverse=True)
    return [[name, self_t, self_t * 100.0 / total, tot, tot * 100.0 / total, tot / n, n]
            for name, self_t, tot, n in rows], total


_STYLE = """
html, body { margin: 0; font-family: system-ui, sans-serif; background: white; }
#bar { position: sticky; top: 0; z-index: 2; padding: 6px 10px; background: #f4f4f4;
       border-bottom: 1px solid #ccc; font-size: 13px; }
#bar button { margin-left: 8px; }
.legend { display: inline-block; margin-left: 14px; font-size: 12px; color: #333; }
.legend i { display: inline-block; width: 12px; height: 10px; margin: 0 4px -1px 10px;
            border: 1px solid #333; }
h2 { font-size: 14px; margin: 14px 10px 6px; color: #333; font-weight: 600; }
#timeline { position: relative; margin: 0 10px; border: 1px solid #ccc; overflow: hidden;
            cursor: grab; user-select: none; }
#timeline.dragging { cursor: grabbing; }
#timeline svg { display: block; }
#timeline rect.ev:hover { stroke: #d35400; stroke-width: 1.5; }
#tip { position: fixed; z-index: 3; display: none; max-width: 560px; padding: 6px 8px;
       background: #fffef0; border: 1px solid #999; border-radius: 3px; font: 12px monospace;
       white-space: pre-wrap; pointer-events: none; box-shadow: 1px 1px 4px #0003; }
table { border-collapse: collapse; margin: 0 10px 20px; font: 12px FONT; }
th { background: #f4f4f4; border-bottom: 1px solid #999; padding: 4px 8px; text-align: right;
     cursor: pointer; font-family: system-ui, sans-serif; font-weight: 600; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
td.name { max-width: 520px; overflow: hidden; text-overflow: ellipsis; }
td.share { background-repeat: no-repeat; background-size: var(--w) 100%; }
tfoot td { border-top: 1px solid #999; border-bottom: none; color: #333; }
.note { margin: 6px 10px; font-size: 12px; color: #555; }
""".replace("FONT", FONT)

_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('events').textContent);
  var box = document.getElementById('timeline');
  var svg = document.getElementById('tl');
  var tip = document.getElementById('tip');
  var NS = 'http://www.w3.org/2000/svg';
  var ROW = 20, AXIS = 22, CHAR = 0.6 * 11;
  var t0 = data.start, t1 = data.end;
  var span = Math.max(t1 - t0, 1e-3);
  var view = {a: t0 - span * 0.01, b: t1 + span * 0.01};
  var rows = data.rows;
  var height = AXIS + rows.length * ROW + 6;
  svg.setAttribute('height', height);
  var rects = [], labels = [];
  var g = document.createElementNS(NS, 'g');
  var axis = document.createElementNS(NS, 'g');
  svg.appendChild(axis);
  rows.forEach(function (r, i) {
    var t = document.createElementNS(NS, 'text');
    t.setAttribute('x', 4); t.setAttribute('y', AXIS + i * ROW + 14);
    t.setAttribute('class', 'rowlabel');
    t.textContent = r;
    svg.appendChild(t);
  });
  svg.appendChild(g);
  data.events.forEach(function (e) {
    var r = document.createElementNS(NS, 'rect');
    r.setAttribute('class', 'ev');
    r.setAttribute('y', AXIS + e.row * ROW + 2);
    r.setAttribute('height', ROW - 4);
    r.setAttribute('fill', data.fill[e.kind]);
    r.setAttribute('stroke', '#333333');
    r.setAttribute('stroke-width', '0.6');
    r.addEventListener('mousemove', function (ev) {
      tip.textContent = e.tip;
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 4) + 'px';
      tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 4) + 'px';
    });
    r.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    g.appendChild(r);
    var t = document.createElementNS(NS, 'text');
    t.setAttribute('y', AXIS + e.row * ROW + 14);
    t.setAttribute('class', 'label');
    t.textContent = e.name;
    g.appendChild(t);
    rects.push(r); labels.push(t);
  });
  var LEFT = 90;
  function fmt(us) {
    if (Math.abs(us) >= 1e6) return (us / 1e6).toFixed(3) + ' s';
    if (Math.abs(us) >= 1e3) return (us / 1e3).toFixed(3) + ' ms';
    return us.toFixed(1) + ' us';
  }
  function draw() {
    var w = box.clientWidth;
    svg.setAttribute('width', w);
    var k = (w - LEFT - 10) / (view.b - view.a);
    data.events.forEach(function (e, i) {
      var x = LEFT + (e.start - view.a) * k, ww = Math.max((e.end - e.start) * k, 0.8);
      var r = rects[i], t = labels[i];
      var visible = x + ww >= LEFT && x <= w;
      r.style.display = visible ? '' : 'none';
      r.setAttribute('x', Math.max(x, LEFT - 2));
      r.setAttribute('width', Math.max(Math.min(ww, x + ww - LEFT + 2), 0.8));
      var room = Math.min(x + ww, w) - Math.max(x, LEFT) - 8;
      var n = Math.floor(room / CHAR);
      if (!visible || n < 3) { t.style.display = 'none'; return; }
      t.style.display = '';
      t.setAttribute('x', Math.max(x, LEFT) + 4);
      t.textContent = e.name.length > n ? e.name.slice(0, n - 1) + '\\u2026' : e.name;
    });
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    var step = Math.pow(10, Math.floor(Math.log10((view.b - view.a) / 6)));
    if ((view.b - view.a) / step > 12) step *= 2;
    if ((view.b - view.a) / step > 12) step *= 2.5;
    for (var s = Math.ceil(view.a / step) * step; s <= view.b; s += step) {
      var x = LEFT + (s - view.a) * k;
      var l = document.createElementNS(NS, 'line');
      l.setAttribute('x1', x); l.setAttribute('x2', x);
      l.setAttribute('y1', AXIS - 4); l.setAttribute('y2', height);
      l.setAttribute('stroke', '#e4e4e4');
      axis.appendChild(l);
      var t = document.createElementNS(NS, 'text');
      t.setAttribute('x', x + 3); t.setAttribute('y', 14);
      t.setAttribute('class', 'tick');
      t.textContent = fmt(s - t0);
      axis.appendChild(t);
    }
  }
  box.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = box.getBoundingClientRect();
    var k = (box.clientWidth - LEFT - 10) / (view.b - view.a);
    var at = view.a + (e.clientX - r.left - LEFT) / k;
    var f = Math.exp(e.deltaY * 0.0015);
    var width = Math.max((view.b - view.a) * f, 0.05);
    var frac = (at - view.a) / (view.b - view.a);
    view.a = at - frac * width; view.b = view.a + width;
    draw();
  }, {passive: false});
  var drag = null;
  box.addEventListener('pointerdown', function (e) {
    drag = {x: e.clientX, a: view.a, b: view.b};
  });
  window.addEventListener('pointermove', function (e) {
    if (!drag) return;
    box.classList.add('dragging');
    var k = (box.clientWidth - LEFT - 10) / (drag.b - drag.a);
    var dt = (e.clientX - drag.x) / k;
    view.a = drag.a - dt; view.b = drag.b - dt;
    draw();
  });
  window.addEventListener('pointerup', function () {
    drag = null;
    box.classList.remove('dragging');
  });
  document.getElementById('fit').addEventListener('click', function () {
    view = {a: t0 - span * 0.01, b: t1 + span * 0.01}; draw();
  });
  window.addEventListener('resize', draw);
  draw();
  var table = document.getElementById('summary');
  Array.prototype.forEach.call(table.querySelectorAll('th'), function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        return col === 0 ? x.localeCompare(y) : (+y) - (+x);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
"""


MAX_TIMELINE_EVENTS = 20000  # more boxes than a browser pans smoothly


def profile_page(events, title="ember profile"):
    """The page's text for ``events`` (a profile's events(): FunctionEvents)."""
    events = [e for e in events if e.time_range.end >= e.time_range.start]
    everything = events
    if len(events) > MAX_TIMELINE_EVENTS:  # the timeline keeps the longest; the table all
        keep = set(map(id, sorted(events, key=lambda e: e.time_range.elapsed_us(),
                                  reverse=True)[:MAX_TIMELINE_EVENTS]))
        events = [e for e in events if id(e) in keep]
    facts = _depth_and_kind(events)
    threads = sorted({e.thread for e in events})
    max_depth = {t: 0 for t in threads}
    for e, (depth, _) in zip(events, facts):
        max_depth[e.thread] = max(max_depth[e.thread], depth)
    first_row = {}
    rows = []
    for t in threads:
        first_row[t] = len(rows)
        for d in range(max_depth[t] + 1):
            rows.append(f"thread {len(first_row)}" if d == 0 else "")
    if len(threads) == 1 and rows:
        rows[0] = "main thread"
    items = []
    for e, (depth, kind) in zip(events, facts):
        tip = [e.name, f"total {_us(e.time_range.elapsed_us())}   self "
                       f"{_us(e.self_cpu_time_total)}"]
        if e.input_shapes:
            tip.append(f"input shapes: {e.input_shapes}")
        if e.cpu_children:
            tip.append(f"{len(e.cpu_children)} nested call"
                       f"{'s' if len(e.cpu_children) != 1 else ''}")
        items.append({"name": getattr(e, "trace_name", None) or e.name,  # ProfilerStep#3
                      "start": round(e.time_range.start, 3),
                      "end": round(e.time_range.end, 3), "row": first_row[e.thread] + depth,
                      "kind": kind, "tip": "\n".join(tip)})
    start = min((e.time_range.start for e in events), default=0.0)
    end = max((e.time_range.end for e in events), default=1.0)
    data = {"events": items, "rows": rows, "start": start, "end": end,
            "fill": {k: fill for k, _, fill in KINDS}}
    payload = json.dumps(data).replace("</", "<\\/")

    table, total = _table_rows(everything)
    shown = (f"{len(everything)} events" if len(events) == len(everything) else
             f"{len(everything)} events (the timeline shows the {len(events)} longest)")
    head = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
            "# of Calls"]
    body = []
    for name, self_t, self_p, tot, tot_p, avg, n in table:
        bar = colour("lightblue")
        body.append(
            "<tr>"
            f"<td class=\"name\" data-v=\"{escape(name)}\" title=\"{escape(name)}\">"
            f"{escape(name)}</td>"
            f"<td class=\"share\" data-v=\"{self_p:.6f}\" style=\"--w:{min(self_p, 100):.2f}%;"
            f"background-image:linear-gradient({bar},{bar})\">{self_p:.2f}%</td>"
            f"<td data-v=\"{self_t:.6f}\">{_us(self_t)}</td>"
            f"<td data-v=\"{tot_p:.6f}\">{tot_p:.2f}%</td>"
            f"<td data-v=\"{tot:.6f}\">{_us(tot)}</td>"
            f"<td data-v=\"{avg:.6f}\">{_us(avg)}</td>"
            f"<td data-v=\"{n}\">{n}</td></tr>"
        )
    legend = "".join(f"<i style=\"background:{fill}\"></i>{escape(text)}"
                     for _, text, fill in KINDS)
    label_style = (f"<style>#tl text {{ font: 11px {FONT}; fill: {STROKE}; }} "
                   f"#tl text.rowlabel, #tl text.tick {{ font: 11px system-ui, sans-serif; "
                   f"fill: #555; }}</style>")
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{label_style}</head><body>\n",
        f"<div id=\"bar\"><b>{escape(title)}</b> &middot; {shown} &middot; "
        f"wheel: zoom time &middot; drag: pan &middot; hover a box for details"
        f"<button id=\"fit\">fit</button><span class=\"legend\">{legend}</span></div>\n",
        "<h2>Timeline</h2>\n<div id=\"timeline\"><svg id=\"tl\" "
        "xmlns=\"http://www.w3.org/2000/svg\"></svg></div>\n",
        "<h2>Summary (as key_averages().table(); click a heading to sort)</h2>\n",
        "<table id=\"summary\"><thead><tr>",
        "".join(f"<th>{escape(h)}</th>" for h in head),
        "</tr></thead><tbody>", "".join(body), "</tbody>",
        f"<tfoot><tr><td colspan=\"7\">Self CPU time total: {_us(total)}</td></tr></tfoot>"
        "</table>\n",
        f"<div id=\"tip\"></div>\n<script type=\"application/json\" id=\"events\">{payload}"
        f"</script>\n<script>{_SCRIPT}</script>\n</body></html>\n",
    ])


# -- colouring the graph pictures by backward time -----------------------------------------
def backward_times(events):
    """{sequence number: (microseconds, calls)} of the backward nodes in ``events``."""
    times = {}
    for e in events:
        parent = e.cpu_parent
        if (e.sequence_nr >= 0 and parent is not None and parent.name.startswith(_BACKWARD)
                and not e.name.startswith(_BACKWARD)):
            t, n = times.get(e.sequence_nr, (0.0, 0))
            times[e.sequence_nr] = (t + e.time_range.elapsed_us(), n + 1)
    return times


def heat(fraction):
    """A fill from the grad_fn grey (no time) through orange to deep red (the slowest)."""
    stops = [(0.0, (0xec, 0xec, 0xec)), (0.5, (0xff, 0xa5, 0x00)), (1.0, (0xc0, 0x39, 0x2b))]
    fraction = min(max(fraction, 0.0), 1.0)
    for (f0, c0), (f1, c1) in zip(stops, stops[1:]):
        if fraction <= f1:
            u = (fraction - f0) / (f1 - f0)
            rgb = [round(a + (b - a) * u) for a, b in zip(c0, c1)]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return "#c0392b"
