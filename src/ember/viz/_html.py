"""save_html: one self-contained page (inline CSS and JavaScript, nothing fetched).

The page holds the picture once per view: everything folded, then each folded block unfolded
on its own (while the unfolded picture stays of a size a browser draws quickly). Wheel zooms
about the pointer, dragging pans, hovering a box shows its details (shape, dtype, saved
tensors, the line that created it when known), clicking a folded block shows it unfolded.
"""

from html import escape

from ._scene import scene

__all__ = ["html_page"]

MAX_UNFOLDED_NODES = 6000

_STYLE = """
html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; }
#bar { position: fixed; top: 0; left: 0; right: 0; z-index: 2; padding: 6px 10px;
       background: #f4f4f4; border-bottom: 1px solid #ccc; font-size: 13px; }
#bar button { margin-left: 8px; }
#stage { position: absolute; top: 34px; left: 0; right: 0; bottom: 0; overflow: hidden;
         cursor: grab; background: white; }
#stage.dragging { cursor: grabbing; }
.view { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
.view[hidden] { display: none; }
.view svg { display: block; }
.node { cursor: default; }
.node[data-fold] { cursor: pointer; }
.node:hover rect { stroke: #d35400; }
#tip { position: fixed; z-index: 3; display: none; max-width: 560px; padding: 6px 8px;
       background: #fffef0; border: 1px solid #999; border-radius: 3px; font: 12px monospace;
       white-space: pre-wrap; pointer-events: none; box-shadow: 1px 1px 4px #0003; }
"""

_SCRIPT = """
(function () {
  var stage = document.getElementById('stage');
  var views = Array.prototype.slice.call(document.querySelectorAll('.view'));
  var tip = document.getElementById('tip');
  var state = views.map(function () { return {x: 10, y: 10, k: 1}; });
  var current = 0, drag = null, moved = false;
  function apply() {
    var s = state[current];
    views[current].style.transform =
      'translate(' + s.x + 'px,' + s.y + 'px) scale(' + s.k + ')';
  }
  function show(i) {
    views[current].hidden = true;
    current = i;
    views[current].hidden = false;
    document.getElementById('unfold-note').textContent = i ? 'block unfolded' : '';
    apply();
  }
  function fit() {
    var box = views[current].querySelector('svg').getBoundingClientRect();
    var w = box.width / state[current].k, h = box.height / state[current].k;
    var k = Math.min((stage.clientWidth - 20) / w, (stage.clientHeight - 20) / h, 1.25);
    state[current] = {x: 10, y: 10, k: k};
    apply();
  }
  stage.addEventListener('wheel', function (e) {
    e.preventDefault();
    var s = state[current], r = stage.getBoundingClientRect();
    var px = e.clientX - r.left, py = e.clientY - r.top;
    var f = Math.exp(-e.deltaY * 0.0015);
    var k = Math.max(0.02, Math.min(20, s.k * f));
    s.x = px - (px - s.x) * k / s.k;
    s.y = py - (py - s.y) * k / s.k;
    s.k = k;
    apply();
  }, {passive: false});
  stage.addEventListener('pointerdown', function (e) {
    drag = {x: e.clientX, y: e.clientY, sx: state[current].x, sy: state[current].y};
    moved = false;
  });
  window.addEventListener('pointermove', function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { moved = true; stage.classList.add('dragging'); }
    state[current].x = drag.sx + dx;
    state[current].y = drag.sy + dy;
    apply();
  });
  window.addEventListener('pointerup', function () {
    drag = null;
    stage.classList.remove('dragging');
  });
  views.forEach(function (view) {
    Array.prototype.forEach.call(view.querySelectorAll('.node'), function (node) {
      var title = node.querySelector('title');
      var text = title ? title.textContent : '';
      if (title) title.parentNode.removeChild(title);
      var fold = node.getAttribute('data-fold');
      if (fold !== null && document.getElementById('view-' + (+fold + 1))) {
        text += '\\n(click to unfold)';
      }
      node.addEventListener('mousemove', function (e) {
        tip.textContent = text;
        tip.style.display = 'block';
        tip.style.left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 4) + 'px';
        tip.style.top = Math.min(e.clientY + 14, window.innerHeight - tip.offsetHeight - 4) + 'px';
      });
      node.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
      node.addEventListener('click', function () {
        if (moved || fold === null) return;
        var target = document.getElementById('view-' + (+fold + 1));
        if (target) { show(views.indexOf(target)); fit(); }
      });
    });
  });
  document.getElementById('fit').addEventListener('click', fit);
  document.getElementById('fold').addEventListener('click', function () { show(0); fit(); });
  fit();
})();
"""


def html_page(graph, title="autograd graph"):
    """The page's text: every view's SVG inline, then the script that drives them."""
    views = [("view-0", scene(graph).svg(standalone=False))]
    full_nodes = len(graph._full[0]) if graph._full is not None else 0
    for k, fold in enumerate(graph._folds):
        if full_nodes and len(graph._nodes) + len(fold.members) > MAX_UNFOLDED_NODES:
            continue  # too big to unfold in a page: make_dot(collapse=False) draws it all
        views.append((f"view-{k + 1}", scene(graph, expanded=(k,)).svg(standalone=False)))
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n",
             f"<div id=\"bar\"><b>{escape(title)}</b> &middot; wheel: zoom &middot; drag: pan "
             "&middot; hover a box for details"]
    if graph._folds:
        parts.append(" &middot; click a folded block to unfold it")
    parts.append("<button id=\"fit\">fit</button><button id=\"fold\">fold all</button>"
                 "<span id=\"unfold-note\" style=\"margin-left:8px;color:#555\"></span></div>\n"
                 "<div id=\"stage\">\n")
    for i, (view_id, svg) in enumerate(views):
        hidden = " hidden" if i else ""
        parts.append(f"<div class=\"view\" id=\"{view_id}\"{hidden}>{svg}</div>\n")
    parts.append(f"</div>\n<div id=\"tip\"></div>\n<script>{_SCRIPT}</script>\n</body></html>\n")
    return "".join(parts)
