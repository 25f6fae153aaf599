"""ember.viz: the graph make_dot draws, its DOT text against torchviz's, and the pictures."""

import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import ember
from ember.autograd.graph import AccumulateGrad
from ember.viz import Digraph, make_dot

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


# -- helpers ------------------------------------------------------------------------------
def walk(*outputs):
    """(nodes, edges) of the graph behind ``outputs``, walked from grad_fn.next_functions."""
    nodes, edges = set(), set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in nodes:
            continue
        nodes.add(id(fn))
        if isinstance(fn, AccumulateGrad):
            nodes.add(id(fn.variable))
            edges.add((id(fn.variable), id(fn)))
        for u, _ in fn.next_functions:
            if u is not None:
                edges.add((id(u), id(fn)))
                stack.append(u)
    for t in outputs:
        nodes.add(id(t))
        if t.grad_fn is not None:
            edges.add((id(t.grad_fn), id(t)))
    return {str(n) for n in nodes}, {(str(a), str(b)) for a, b in edges}


def svg_graph(svg_text):
    """Node names, their label lines, and edges, read back from the SVG."""
    root = ET.fromstring(svg_text.split("?>", 1)[-1])
    labels, edges = {}, set()
    for g in root.iter(SVG + "g"):
        cls = g.get("class", "")
        if cls.startswith("node"):
            labels[g.get("data-name")] = [t.text for t in g.iter(SVG + "text")]
        elif cls == "edge":
            edges.add((g.get("data-tail"), g.get("data-head")))
    return labels, edges


_NODE = re.compile(r'^\t(\S+) \[label=(".*?"|\S+?)(?: (.*))?\]$', re.S | re.M)
_EDGE = re.compile(r"^\t(\S+) -> (\S+)(?: \[(.*)\])?$", re.M)


def dot_statements(source):
    """The node and edge statements of DOT text, ids replaced by their order of appearance."""
    names = {}

    def n(x):
        return names.setdefault(x, f"n{len(names)}")

    out = []
    body = source.split("\n", 3)[3]  # after `digraph {`, graph and node defaults
    for stmt in re.split(r"\n(?=\t)", body.rstrip("}\n")):
        m = _EDGE.match(stmt)
        if m:
            out.append(("edge", n(m.group(1)), n(m.group(2)), m.group(3)))
            continue
        m = _NODE.match(stmt)
        if m:
            out.append(("node", n(m.group(1)), m.group(2), m.group(3)))
        else:
            out.append(("other", stmt.strip()))
    return out


# -- the graph ----------------------------------------------------------------------------
def test_w_x_plus_b_nodes_edges_and_labels():
    w = ember.randn(3, requires_grad=True)
    b = ember.randn(3, requires_grad=True)
    x = ember.randn(3)
    y = w * x + b
    dot = make_dot(y, params={"w": w, "b": b})
    nodes, edges = walk(y)
    assert set(dot._nodes) == nodes
    assert {(t, h) for t, h, _ in dot._edges} == edges
    labels = {name: a.get("label") for name, a in dot._nodes.items()}
    assert labels[str(id(w))] == "w\n (3)"
    assert labels[str(id(b))] == "b\n (3)"
    assert labels[str(id(y))] == "\n (3)"
    assert labels[str(id(y.grad_fn))] == "AddBackward0"
    assert dot._nodes[str(id(y))]["fillcolor"] == "darkolivegreen1"
    assert dot._nodes[str(id(w))]["fillcolor"] == "lightblue"
    assert sorted(labels.values()).count("AccumulateGrad") == 2

    svg_labels, svg_edges = svg_graph(dot.pipe(format="svg").decode())
    assert set(svg_labels) == nodes and svg_edges == edges
    assert svg_labels[str(id(w))] == ["w", " (3)"]
    assert svg_labels[str(id(y.grad_fn.next_functions[0][0]))] == ["MulBackward0"]


def test_saved_tensors_and_attributes_use_pytorch_names():
    w = ember.randn(3, requires_grad=True)
    x = ember.randn(3)
    y = w * x
    dot = make_dot(y, show_attrs=True, show_saved=True)
    label = dot._nodes[str(id(y.grad_fn))]["label"]
    assert label.splitlines()[0] == "MulBackward0"
    assert "other: [saved tensor]" in label and re.search(r"self :\s+None", label)
    saved = dot._nodes[str(id(x))]
    assert saved == {"label": "other\n (3)", "fillcolor": "orange"}
    assert (str(id(y.grad_fn)), str(id(x)), {"dir": "none"}) in dot._edges
    t = w.tanh()
    label = make_dot(t, show_saved=True).source
    assert "result\n (3)" in label  # tanh saves its output: PyTorch's _saved_result


def test_two_layer_mlp_names_every_parameter():
    ember.manual_seed(0)
    mlp = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
    loss = mlp(ember.randn(5, 4)).sum()
    params = dict(mlp.named_parameters())
    dot = make_dot(loss, params=params)
    for name, p in params.items():
        assert dot._nodes[str(id(p))]["label"] == f"{name}\n {tuple(p.shape)}".replace(",)", ")")
        assert dot._info[str(id(p))]["kind"] == "param"
    nodes, edges = walk(loss)
    assert set(dot._nodes) == nodes
    assert {(t, h) for t, h, _ in dot._edges} == edges
    ops = sorted(a["label"] for n, a in dot._nodes.items() if dot._info[n]["kind"] == "op")
    assert ops == ["AddmmBackward0", "AddmmBackward0", "ReluBackward0", "SumBackward0",
                   "TBackward0", "TBackward0"]


def test_tuple_and_list_of_outputs():
    x = ember.randn(3, requires_grad=True)
    a, b = x.exp(), x.sin()
    for outputs in ((a, b), [a, b]):
        dot = make_dot(outputs)
        nodes, edges = walk(a, b)
        assert set(dot._nodes) == nodes
        assert {(t, h) for t, h, _ in dot._edges} == edges
        assert sum(1 for n in dot._nodes.values() if n.get("fillcolor") == "darkolivegreen1") == 2


def test_tensor_without_a_graph_draws_one_node_and_says_why():
    t = ember.randn(2, 3)
    dot = make_dot(t)
    assert list(dot._nodes) == [str(id(t))]
    assert "does not require grad" in dot.source
    svg = dot.pipe(format="svg").decode()
    assert "does not require grad" in svg
    leaf = ember.randn(2, requires_grad=True)
    assert "leaf that requires grad" in make_dot(leaf).source


@pytest.mark.parametrize("bad, message", [
    (3, "make_dot(): argument 'var' (position 1) must be Tensor, not int"),
    ("y", "make_dot(): argument 'var' (position 1) must be Tensor, not str"),
    ((ember.ones(1), 2.0), "make_dot(): argument 'var' (position 1) must be tuple of Tensors, "
                           "but found element of type float at pos 1"),
])
def test_non_tensors_raise_type_error(bad, message):
    with pytest.raises(TypeError) as info:
        make_dot(bad)
    assert str(info.value) == message


def test_params_must_map_names_to_tensors():
    y = ember.randn(2, requires_grad=True) * 2
    with pytest.raises(TypeError, match="params"):
        make_dot(y, params={"w": 1.0})


def test_view_output_draws_its_base_dotted():
    x = ember.randn(2, 3, requires_grad=True)
    base = x * 2
    v = base[0]
    dot = make_dot(v)
    assert dot._nodes[str(id(base))]["fillcolor"] == "darkolivegreen3"
    assert (str(id(base)), str(id(v)), {"style": "dotted"}) in dot._edges


def test_legend_marks_freed_backpropagated_and_retained_nodes():
    w = ember.randn(3, requires_grad=True)
    h = w * 2
    h.retain_grad()
    y = h.tanh().sum()
    before = make_dot(y)
    assert before._info[str(id(h.grad_fn))].get("retained")
    assert not any(i.get("freed") for i in before._info.values())
    y.backward()
    after = make_dot(y)
    tanh = str(id(y.grad_fn.next_functions[0][0]))
    assert after._info[tanh]["freed"] and after._info[tanh]["backpropagated"]
    assert "already backpropagated" in after.source
    svg = after.pipe(format="svg").decode()
    legend = [t.text for g in ET.fromstring(svg.split("?>", 1)[1]).iter(SVG + "g")
              if g.get("class") == "legend" for t in g.iter(SVG + "text")]
    assert "saved tensors freed by backward" in legend
    assert "node of a graph already backpropagated" in legend
    assert "non-leaf that retains grad" in legend
    assert 'class="node kind-op flag-retained' in svg


def test_hover_details_carry_shape_dtype_saved_and_creation_line():
    w = ember.randn(2, 3, requires_grad=True)
    y = (w * ember.randn(2, 3)).sum()
    mul = y.grad_fn.next_functions[0][0]
    mul.metadata["traceback"] = ['  File "train.py", line 7, in <module>\n    y = w * x\n']
    svg = make_dot(y).pipe(format="svg").decode()
    root = ET.fromstring(svg.split("?>", 1)[1])
    tip = next(g.find(SVG + "title").text for g in root.iter(SVG + "g")
               if g.get("data-name") == str(id(mul)))
    assert "shape: (2, 3)   dtype: ember.float32" in tip
    assert "saved: self = None; other: (2, 3) ember.float32" in tip
    assert 'train.py", line 7' in tip and "y = w * x" in tip


# -- torchviz parity ----------------------------------------------------------------------
def _parity_graphs(lib):
    lib.manual_seed(0)
    w = lib.randn(3, requires_grad=True)
    b = lib.randn(3, requires_grad=True)
    x = lib.randn(3)
    yield (w * x + b).sin().sum(), {"w": w, "b": b}
    # nn.Linear on rows, on a batch of sequences and on one vector; batched matmuls
    mlp = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2, bias=False))
    seq = lib.randn(2, 5, 3, requires_grad=True)
    out = mlp(seq).sum() + mlp(x).sum() + mlp(seq[0]).sum() + (seq.mT @ seq @ w).sum()
    yield out, dict(mlp.named_parameters())
    h = (x.exp() * w - b / 2).relu()
    yield (h.mean() + (h * w).sum()).tanh(), {"weight": w}
    z = w.exp()
    yield (z, z.cos()), None


def test_source_has_torchviz_structure():
    torch = pytest.importorskip("torch")
    torchviz = pytest.importorskip("torchviz", reason="pip install torchviz to compare")
    for (ours, ours_params), (theirs, their_params) in zip(_parity_graphs(ember),
                                                           _parity_graphs(torch)):
        mine = make_dot(ours, params=ours_params).source
        real = torchviz.make_dot(theirs, params=their_params).source
        assert mine.splitlines()[:3] == real.splitlines()[:3]
        assert dot_statements(mine) == dot_statements(real)


def test_digraph_surface_matches_graphviz():
    graphviz = pytest.importorskip("graphviz")
    ours = Digraph(node_attr={"shape": "box"}, graph_attr={"size": "12,12"})
    theirs = graphviz.Digraph(node_attr={"shape": "box"}, graph_attr={"size": "12,12"})
    for g in (ours, theirs):
        g.node("1", 'say "hi"\n (3)', fillcolor="orange")
        g.node("node", "keyword id")
        g.edge("1", "node", dir="none")
        g.attr(label="a title")
        g.attr("node", fontsize="9")
    assert ours.source == theirs.source


def test_render_through_dot_when_present(tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    y = ember.randn(2, requires_grad=True).exp().sum()
    out = make_dot(y).render(tmp_path / "g", format="svg", engine="dot")
    assert out.endswith("g.svg") and "ExpBackward0" in Path(out).read_text()


# -- rendering ----------------------------------------------------------------------------
def test_render_svg_png_pdf_and_save(tmp_path):
    y = (ember.randn(3, requires_grad=True) * 2).sum()
    dot = make_dot(y)
    svg = dot.render(tmp_path / "graph", format="svg")
    assert svg == str(tmp_path / "graph.svg")
    assert (tmp_path / "graph").read_text() == dot.source
    ET.fromstring(Path(svg).read_text().split("?>", 1)[1])
    pytest.importorskip("matplotlib")
    png = dot.render(tmp_path / "graph", format="png")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = dot.render(outfile=tmp_path / "out.pdf")
    assert Path(pdf).read_bytes()[:5] == b"%PDF-"
    assert dot.save(tmp_path / "g.gv") == str(tmp_path / "g.gv")
    bundle = dot._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<?xml") and "SumBackward0" in dot._repr_svg_()


def test_boxes_fit_their_labels_and_never_overlap():
    ember.manual_seed(0)
    mlp = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 2))
    dot = make_dot(mlp(ember.randn(5, 4)).sum(), params=dict(mlp.named_parameters()),
                   show_attrs=True, show_saved=True)
    boxes = dot._scene().boxes
    for b in boxes:
        widest = max(len(line) for line in b.lines) * 0.6 * b.fontsize
        assert b.w >= widest + 2 * 8 - 1e-6
    for i, a in enumerate(boxes):
        for c in boxes[i + 1:]:
            apart_x = abs(a.x - c.x) >= (a.w + c.w) / 2
            apart_y = abs(a.y - c.y) >= (a.h + c.h) / 2
            assert apart_x or apart_y, (a.lines, c.lines)


def test_custom_function_saved_tensors_and_rankdir():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * x
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, _ = ctx.saved_tensors
            return 2 * x * g

    x = ember.randn(3, requires_grad=True)
    y = Square.apply(x).sum()
    dot = make_dot(y)
    node = str(id(y.grad_fn.next_functions[0][0]))
    assert dot._nodes[node]["label"] == "SquareBackward"
    saved = [(t, a) for t, h, a in dot._edges if h == node and a == {"dir": "none"}]
    assert len(saved) == 2  # torchviz always draws a custom Function's saved tensors
    dot.graph_attr["rankdir"] = "LR"
    at = {b.name: b.x for b in dot._scene().boxes}
    assert at[str(id(x))] < at[node] < at[str(id(y))]


def test_roots_above_leaves_below_in_every_edge():
    y = (ember.randn(3, requires_grad=True).exp() * 2).sum()
    s = make_dot(y)._scene()
    at = {b.name: b.y for b in s.boxes}
    for c in s.curves:
        assert at[c.tail] < at[c.head]  # torchviz's edges run from inputs down to outputs


def test_resnet18_lays_out_fast():
    from ember.models import resnet18

    net = resnet18(num_classes=10)
    y = net(ember.randn(2, 3, 32, 32)).sum()
    params = dict(net.named_parameters())
    dot = make_dot(y, params=params)
    nodes, edges = walk(y)
    assert set(dot._nodes) == nodes
    assert {(t, h) for t, h, _ in dot._edges} == edges
    labels = {a.get("label") for a in dot._nodes.values()}
    assert "layer4.1.conv2.weight\n (512, 512, 3, 3)" in labels
    start = time.perf_counter()
    svg = dot.pipe(format="svg").decode()
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    svg_labels, svg_edges = svg_graph(svg)
    assert set(svg_labels) == nodes and svg_edges == edges


# -- folding ------------------------------------------------------------------------------
def _rnn_graph(steps=5):
    ember.manual_seed(0)
    rnn = ember.nn.RNN(4, 6)
    out, _ = rnn(ember.randn(steps, 1, 4))
    return out.sum(), dict(rnn.named_parameters())


def test_rnn_over_five_steps_unfolded():
    y, params = _rnn_graph()
    dot = make_dot(y, params=params)
    ops = [a["label"] for n, a in dot._nodes.items() if dot._info[n].get("kind") == "op"]
    # one addmm projects the whole input, one per step adds the hidden state (as in PyTorch)
    assert ops.count("AddmmBackward0") == 6 and ops.count("TanhBackward0") == 5
    assert not dot._folds


def test_rnn_over_five_steps_collapsed():
    y, params = _rnn_graph()
    dot = make_dot(y, params=params, collapse=True)
    assert [(f.copies, f.period, f.ops) for f in dot._folds] == [
        (5, 4, ["TBackward0", "AddmmBackward0", "AddBackward0", "TanhBackward0"])]
    labels = [a.get("label", "") for a in dot._nodes.values()]
    assert "× 5  (block of 4)\nTBackward0\nAddmmBackward0\nAddBackward0\nTanhBackward0" in labels
    assert labels.count("AddmmBackward0") == 1  # the input projection, outside the loop
    assert "fold0 [label=" in dot.source
    svg_labels, svg_edges = svg_graph(dot._repr_svg_())
    assert svg_labels["fold0"][0] == "× 5  (block of 4)"
    assert ("fold0", str(id(y.grad_fn.next_functions[0][0]))) in svg_edges
    # the weights every step reads stay outside the box, drawn once
    for name in ("weight_ih_l0", "weight_hh_l0"):
        assert labels.count(f"{name}\n {tuple(params[name].shape)}") == 1


def test_loop_of_identical_layers_folds_with_its_parameters():
    ember.manual_seed(0)
    layers = [ember.nn.Linear(5, 5) for _ in range(6)]
    h = ember.randn(2, 5)
    for layer in layers:
        h = layer(h).relu()
    dot = make_dot(h.sum(), collapse=True)
    (fold,) = dot._folds
    assert (fold.copies, fold.period, fold.ops) == (
        6, 3, ["TBackward0", "AddmmBackward0", "ReluBackward0"])
    leaves = [n for n, a in dot._nodes.items() if a.get("fillcolor") == "lightblue"]
    assert len(leaves) <= 2  # the folded copies took their weights and biases with them


def test_html_page_is_self_contained_and_unfolds(tmp_path):
    y, params = _rnn_graph()
    path = make_dot(y, params=params, collapse=True).save_html(tmp_path / "g.html")
    page = Path(path).read_text()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script src" not in page
    assert page.count("<svg") == 2  # folded, and the block unfolded
    assert 'id="view-1" hidden' in page and "addEventListener('wheel'" in page
    assert page.count("AddmmBackward0</text>") >= 5


def test_chain_of_fifty_thousand_nodes():
    x = ember.randn(2, requires_grad=True)
    z = x
    for _ in range(50_000):
        z = z * 1.0001
    folded = make_dot(z, collapse=True)
    assert [(f.copies, f.period) for f in folded._folds] == [(50_000, 1)]
    labels, edges = svg_graph(folded._repr_svg_())
    # the box holds the leaf too (only its first copy reads it): box -> output
    assert labels["fold0"] == ["MulBackward0", "× 50000"] and len(labels) == 2
    assert edges == {("fold0", str(id(z)))}
    dot = make_dot(z)
    assert len(dot._nodes) == 50_003
    svg = dot.pipe(format="svg")
    assert svg.count(b'class="node') == 50_003


# -- the torch alias ------------------------------------------------------------------------
def test_torchviz_alias_under_ember_run(tmp_path):
    script = tmp_path / "draw.py"
    script.write_text(
        "import sys, types\n"
        "import importlib.machinery as m\n"
        "real = m.PathFinder.find_spec('torchviz') is not None\n"
        "import torch\n"
        "from torchviz import make_dot\n"
        "x = torch.randn(3, requires_grad=True)\n"
        "print(real or make_dot.__module__.startswith('ember.viz'))\n"
        "print(make_dot(x.exp().sum()).source.count('->'))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "4"]


def test_torchviz_alias_without_torchviz_installed(tmp_path):
    # the finder asks PathFinder whether torchviz is installed: make it see none
    code = (
        "import importlib.machinery as m, sys\n"
        "real = m.PathFinder.find_spec\n"
        "m.PathFinder.find_spec = classmethod(lambda cls, name, path=None, target=None: None "
        "if name == 'torchviz' else real(name, path, target))\n"
        "from ember._import_hook import install_torch_alias\n"
        "install_torch_alias()\n"
        "import torchviz, ember.viz\n"
        "print(torchviz is ember.viz, torchviz.make_dot is ember.viz.make_dot)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_import_ember_does_not_load_viz():
    code = ("import sys, ember; print('ember.viz' in sys.modules); ember.viz; "
            "print('ember.viz' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.split() == ["False", "True"], out.stderr


# -- real browser and real notebook -----------------------------------------------------------
def test_labels_do_not_overlap_in_chromium(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import look_at_graph
    finally:
        sys.path.pop(0)
    if look_at_graph.chromium() is None:
        print("chromium is not installed: the browser check is skipped")
        pytest.skip("chromium is not installed (apt-get install chromium to run this check)")
    y, params = _rnn_graph()
    dot = make_dot(y, params=params, show_attrs=True)
    (tmp_path / "g.svg").write_text(dot._repr_svg_())
    dot.save_html(tmp_path / "g.html")
    for name in ("g.svg", "g.html"):
        report = look_at_graph.check_page(str(tmp_path / name))
        assert report["labels"] >= 30 and report["problems"] == [], report
    # the check itself finds an overlap when there is one
    bad = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
           '<g class="node"><rect x="0" y="0" width="120" height="30"/>'
           '<text x="10" y="20" font-size="10">AddBackward0</text></g>'
           '<g class="node"><rect x="20" y="5" width="120" height="30"/>'
           '<text x="25" y="22" font-size="10">MulBackward0</text></g></svg>')
    (tmp_path / "bad.svg").write_text(bad)
    problems = look_at_graph.check_page(str(tmp_path / "bad.svg"))["problems"]
    assert any(p.startswith("labels overlap") for p in problems), problems


def test_html_hover_and_click_to_unfold_in_chromium(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import look_at_graph
    finally:
        sys.path.pop(0)
    if look_at_graph.chromium() is None:
        print("chromium is not installed: the browser check is skipped")
        pytest.skip("chromium is not installed (apt-get install chromium to run this check)")
    y, params = _rnn_graph()
    make_dot(y, params=params, collapse=True).save_html(tmp_path / "g.html")
    report = look_at_graph.unfold_in_browser(str(tmp_path / "g.html"))
    assert report["folded"] and "5 copies of a block of 4" in report["tip"]
    assert "click to unfold" in report["tip"]
    assert report["visible"] == "view-1" and report["nodes"] > 20, report


def test_notebook_cell_shows_the_svg(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r})\n"
        "import ember\nfrom ember.viz import make_dot\n"
        "x = ember.randn(3, requires_grad=True)\n"
        "make_dot((x * 2).sum())"
    )]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    data = next(o["data"] for o in outputs if o.get("output_type") == "execute_result")
    assert "image/svg+xml" in data and "MulBackward0" in data["image/svg+xml"]
