"""Digraph: graphviz.Digraph's common surface, drawn without any system program.

It records ``node``/``edge``/``attr`` statements twice: as DOT lines (``body``, ``source``)
and as data (``_nodes``, ``_edges``) that ember's own layout draws. ``render`` and ``pipe``
make SVG by themselves, PNG and PDF through matplotlib, and go through the graphviz package
and its ``dot`` program instead when asked with ``engine="dot"``.
"""

import os

from . import _dot

__all__ = ["Digraph"]

_OWN_ENGINE = "ember"


class Digraph:
    """A directed graph: DOT statements plus the data to draw them."""

    directed = True

    def __init__(self, name=None, comment=None, filename=None, directory="", format="pdf",
                 engine=_OWN_ENGINE, graph_attr=None, node_attr=None, edge_attr=None,
                 body=None, strict=False):
        self.name = name
        self.comment = comment
        self.filename = filename
        self.directory = directory
        self.format = format
        self.engine = engine
        self.graph_attr = dict(graph_attr or {})
        self.node_attr = dict(node_attr or {})
        self.edge_attr = dict(edge_attr or {})
        self.body = list(body or [])
        self.strict = strict
        self._nodes = {}  # name -> attributes (a later statement updates them, as in DOT)
        self._edges = []  # (tail, head, attributes)
        self._plain = {}  # kind -> attributes set by attr() statements in the body
        self._info = {}  # name -> facts for the legend and the tooltips
        self._notes = []
        self._folds = []  # repeated blocks folded by collapse=True (see _fold.py)
        self._full = None  # the unfolded (nodes, edges) when some are folded

    # -- statements ----------------------------------------------------------------------
    def node(self, name, label=None, _attributes=None, **attrs):
        name = str(name)
        self.body.append(_dot.node_line(name, label, _merged(attrs, _attributes)))
        entry = self._nodes.setdefault(name, {})
        if label is not None:
            entry["label"] = str(label)
        entry.update({k: str(v) for k, v in attrs.items() if v is not None})

    def edge(self, tail_name, head_name, label=None, _attributes=None, **attrs):
        tail, head = str(tail_name), str(head_name)
        self.body.append(_dot.edge_line(tail, head, label, _merged(attrs, _attributes)))
        for end in (tail, head):
            self._nodes.setdefault(end, {})
        attributes = {k: str(v) for k, v in attrs.items() if v is not None}
        if label is not None:
            attributes["label"] = str(label)
        self._edges.append((tail, head, attributes))

    def edges(self, tail_head_iter):
        for tail, head in tail_head_iter:
            self.edge(tail, head)

    def attr(self, kw=None, _attributes=None, **attrs):
        """An attribute statement in the body: ``graph``/``node``/``edge`` defaults for
        ``kw``, graph attributes (a title ``label``) without it, as graphviz writes them."""
        if kw is not None and kw not in ("graph", "node", "edge"):
            raise ValueError(f"attr statement must target graph, node, or edge: {kw!r}")
        merged = _merged(attrs, _attributes)
        if not merged:
            return
        if kw is None:
            self.body.append(f"\t{_dot.attr_list(attributes=merged)[2:-1]}\n")
        else:
            self.body.append(f"\t{kw}{_dot.attr_list(attributes=merged)}\n")
        store = self._plain.setdefault(kw or "graph", {})
        store.update({k: str(v) for k, v in merged.items() if v is not None})

    def clear(self, keep_attrs=False):
        if not keep_attrs:
            self.graph_attr, self.node_attr, self.edge_attr = {}, {}, {}
        self.body = []
        self._nodes, self._edges, self._plain, self._info = {}, [], {}, {}
        self._folds, self._full, self._notes = [], None, []

    # -- text ----------------------------------------------------------------------------
    @property
    def source(self):
        return _dot.source(self.name, self.comment, self.graph_attr, self.node_attr,
                           self.edge_attr, self.body, self.strict)

    def __str__(self):
        return self.source

    def __iter__(self):
        yield from self.source.splitlines(keepends=True)

    def __repr__(self):
        return (f"<ember.viz.Digraph object: {len(self._nodes)} nodes, "
                f"{len(self._edges)} edges>")

    # -- pictures ------------------------------------------------------------------------
    def _scene(self):
        from ._scene import scene

        return scene(self)

    def pipe(self, format=None, engine=None, encoding=None):
        """The picture as bytes (str when ``encoding`` is given)."""
        format = (format or self.format or "svg").lower()
        engine = engine or self.engine
        if engine != _OWN_ENGINE:
            data = _graphviz_digraph(self, engine).pipe(format=format)
        elif format == "svg":
            data = self._scene().svg().encode("utf-8")
        elif format in ("gv", "dot"):
            data = self.source.encode("utf-8")
        elif format in ("png", "pdf"):
            from ._raster import raster

            data = raster(self._scene(), format)
        else:
            raise ValueError(f"unknown format: {format!r} (ember draws svg, png and pdf; "
                             "other formats need engine='dot')")
        return data.decode(encoding) if encoding else data

    def save(self, filename=None, directory=None):
        """Write the DOT source to a file; returns its path."""
        path = self._path(filename, directory)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,
               renderer=None, formatter=None, neato_no_op=None, quiet=False, quiet_view=False,
               *, outfile=None, engine=None, raise_if_result_exists=False, overwrite_source=False):
        """Save the source to ``filename`` and the picture to ``filename.<format>``.

        As graphviz's render: ``outfile="graph.png"`` names the picture instead (its suffix
        gives the format). Returns the picture's path.
        """
        if outfile is not None:
            outfile = os.fspath(outfile)
            stem, ext = os.path.splitext(outfile)
            format = format or ext.lstrip(".") or None
            if filename is None:
                filename = stem + ".gv"
        format = (format or self.format or "svg").lower()
        source_path = self.save(filename, directory)
        out_path = outfile if outfile is not None else f"{source_path}.{format}"
        if raise_if_result_exists and os.path.exists(out_path):
            raise FileExistsError(f"output file exists: {out_path!r}")
        data = self.pipe(format=format, engine=engine)
        with open(out_path, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(source_path)
        if view:
            _open(out_path)
        return out_path

    def save_html(self, path):
        """A self-contained page (no network): the picture with pan, zoom, hover details, and
        folded blocks that unfold on click. Returns the path."""
        from ._html import html_page

        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(html_page(self))
        return path

    def _repr_svg_(self):
        return self._scene().svg()

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        bundle = {"image/svg+xml": self._repr_svg_()}
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def _path(self, filename, directory):
        filename = os.fspath(filename) if filename is not None else (
            self.filename or f"{self.name or 'Digraph'}.gv")
        directory = os.fspath(directory) if directory is not None else self.directory
        return os.path.join(directory, filename) if directory else filename


def _merged(attrs, extra):
    if not extra:
        return attrs
    merged = dict(attrs)
    merged.update(dict(extra.items()) if hasattr(extra, "items") else dict(extra))
    return merged


def _graphviz_digraph(graph, engine):
    """The same statements as a graphviz.Digraph (needs the graphviz package and `dot`)."""
    try:
        import graphviz
    except ImportError:
        raise RuntimeError(
            f"engine={engine!r} needs the graphviz Python package and the Graphviz programs "
            "(pip install graphviz; apt install graphviz); ember draws SVG, PNG and PDF "
            "without them: leave engine unset"
        ) from None
    return graphviz.Digraph(name=graph.name, comment=graph.comment, engine=engine,
                            graph_attr=graph.graph_attr, node_attr=graph.node_attr,
                            edge_attr=graph.edge_attr, body=graph.body, strict=graph.strict)


def _open(path):
    import webbrowser

    webbrowser.open("file://" + os.path.abspath(path))
