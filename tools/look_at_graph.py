"""Draw example autograd graphs, screenshot them in a real browser, and check the labels.

    python tools/look_at_graph.py [OUT_DIR]          (default: /tmp/ember-graphs)

For each example it writes NAME.svg and NAME.html (ember.viz), then asks headless Chromium
for a screenshot of each (NAME.svg.png, NAME.html.png: look at them) and for the DOM after a
small inline script measured every label's box on screen. It fails (exit status 1) if two
labels overlap or a label sticks out of its node's box. Needs `chromium` on PATH.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import ember as torch
from ember.viz import make_dot

# Runs in the page: every label's rectangle on screen, checked against the others and
# against its own box; the result goes into <pre id="report"> for --dump-dom to read.
MEASURE = """
<script>
window.addEventListener('load', function () {
  var texts = [], problems = [];
  document.querySelectorAll('.view:not([hidden]) .node, body > svg .node').forEach(function (g, i) {
    var box = g.querySelectorAll('rect');
    box = box[box.length - 1 - (g.classList.contains('flag-retained') ? 1 : 0)];
    var b = box.getBoundingClientRect();
    g.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      texts.push({node: i, l: r.left, r: r.right, t: r.top, b: r.bottom, s: t.textContent});
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5 ||
          r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) {
        problems.push('label sticks out of its box: ' + t.textContent);
      }
    });
  });
  texts.sort(function (a, b) { return a.l - b.l; });
  for (var i = 0; i < texts.length; i++) {
    for (var j = i + 1; j < texts.length && texts[j].l < texts[i].r; j++) {
      var a = texts[i], c = texts[j];
      if (a.node !== c.node && a.t < c.b - 0.5 && c.t < a.b - 0.5) {
        problems.push('labels overlap: ' + JSON.stringify(a.s) + ' / ' + JSON.stringify(c.s));
      }
    }
  }
  var pre = document.createElement('pre');
  pre.id = 'report';
  pre.textContent = JSON.stringify({labels: texts.length, problems: problems});
  document.body.appendChild(pre);
});
</script>
"""


# Runs in the page after its own script: hover the first folded block, then click it.
INTERACT = """
<script>
window.addEventListener('load', function () {
  var node = document.querySelector('#view-0 .node[data-fold]');
  var out = {folded: !!node};
  if (node) {
    var r = node.getBoundingClientRect();
    var at = {bubbles: true, clientX: r.left + 5, clientY: r.top + 5};
    node.dispatchEvent(new MouseEvent('mousemove', at));
    out.tip = document.getElementById('tip').textContent;
    node.dispatchEvent(new MouseEvent('click', at));
    var shown = document.querySelector('.view:not([hidden])');
    out.visible = shown.id;
    out.nodes = shown.querySelectorAll('.node').length;
  }
  var pre = document.createElement('pre');
  pre.id = 'report';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def examples():
    """(name, Digraph) pairs: the graphs the README and the tests talk about."""
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    x = torch.randn(3)
    yield "wx_plus_b", make_dot(w * x + b, params={"w": w, "b": b}, show_attrs=True,
                                show_saved=True)

    mlp = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    loss = mlp(torch.randn(5, 4)).pow(2).mean()
    yield "mlp", make_dot(loss, params=dict(mlp.named_parameters()))

    rnn = torch.nn.RNN(4, 6)
    out, h = rnn(torch.randn(5, 1, 4))
    h.retain_grad()
    params = dict(rnn.named_parameters())
    yield "rnn", make_dot(out.sum() + h.sum(), params=params)
    yield "rnn_folded", make_dot(out.sum() + h.sum(), params=params, collapse=True)

    from ember.models import resnet18

    net = resnet18(num_classes=10)
    yield "resnet18", make_dot(net(torch.randn(2, 3, 32, 32)).sum(),
                               params=dict(net.named_parameters()))

    y = (w * x + b).tanh().sum()
    y.backward()
    yield "after_backward", make_dot(y, params={"w": w, "b": b}, show_saved=True)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser(args, timeout=120):
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def check_page(path, script=MEASURE):
    """The measuring script's report for the page at ``path`` (an SVG is wrapped in one)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".svg"):
        text = "<!DOCTYPE html><html><body style='margin:0'>" + text.split("?>", 1)[-1]
        text += "</body></html>"
    text = text.replace("</body>", script + "</body>")
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False,
                                     encoding="utf-8") as f:
        f.write(text)
    try:
        dom = browser(["--virtual-time-budget=5000", "--dump-dom", "file://" + f.name]).stdout
    finally:
        os.unlink(f.name)
    found = re.search(r'<pre id="report">(.*?)</pre>', dom, re.S)
    if not found:
        return {"labels": 0, "problems": ["the page did not report (did its script run?)"]}
    found = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(found.replace("&amp;", "&"))


def unfold_in_browser(path):
    """Hover, then click, the first folded block of the page: its tooltip, the view shown."""
    return check_page(path, INTERACT)


def main(out_dir):
    if chromium() is None:
        print("chromium is not installed: nothing to look at")
        return 2
    os.makedirs(out_dir, exist_ok=True)
    failed = False
    for name, dot in examples():
        svg_path = os.path.join(out_dir, name + ".svg")
        html_path = os.path.join(out_dir, name + ".html")
        with open(svg_path, "w", encoding="utf-8") as f:
            f.write(dot.pipe(format="svg").decode())
        dot.save_html(html_path)
        for path in (svg_path, html_path):
            browser(["--window-size=1200,900", f"--screenshot={path}.png", "file://" + path])
            report = check_page(path)
            status = "ok" if not report["problems"] else "PROBLEMS"
            print(f"{os.path.basename(path):24s} {report['labels']:4d} labels  {status}")
            for p in report["problems"][:10]:
                print("    " + p)
            failed |= bool(report["problems"]) or report["labels"] == 0
        if dot._folds:
            report = unfold_in_browser(html_path)
            ok = report.get("visible") == "view-1"
            print(f"{name + '.html':24s} click on the folded block shows {report.get('visible')} "
                  f"({report.get('nodes')} boxes)  {'ok' if ok else 'PROBLEMS'}")
            failed |= not ok
    print(f"screenshots in {out_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ember-graphs"))
