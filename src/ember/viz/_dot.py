"""DOT text as the `graphviz` package writes it: quoting, attribute lists, statement lines.

Only what ``make_dot`` and its users touch: ``node``, ``edge`` and ``attr`` statements of one
digraph. The lines come out as graphviz 0.21 writes them, so ``.source`` reads the same.
"""

import re

_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_QUOTE = re.compile(r'(?P<bs>(?:\\{2})*)\\?(?P<q>")')


def quote(identifier):
    """A DOT identifier: bare when it may be, else in double quotes with inner quotes escaped."""
    identifier = str(identifier)
    if _ID.match(identifier) and identifier.lower() not in _KEYWORDS:
        return identifier
    if identifier.startswith("<") and identifier.endswith(">"):
        return identifier  # an HTML-like label
    return '"' + _QUOTE.sub(r'\g<bs>\\\g<q>', identifier) + '"'


def _items(mapping):
    # graphviz sorts plain dicts (their order was not kept before Python 3.7)
    items = mapping.items()
    return sorted(items) if type(mapping) is dict else list(items)


def attr_list(label=None, kwargs=None, attributes=None):
    """' [label=... key=value ...]', or '' when there is nothing to list."""
    parts = [f"label={quote(label)}"] if label is not None else []
    for mapping in (kwargs, attributes):
        if mapping:
            pairs = _items(mapping) if hasattr(mapping, "items") else mapping
            parts += [f"{quote(k)}={quote(v)}" for k, v in pairs if v is not None]
    return f" [{' '.join(parts)}]" if parts else ""


def node_line(name, label=None, attrs=None):
    return f"\t{quote(name)}{attr_list(label, attrs)}\n"


def edge_line(tail, head, label=None, attrs=None):
    return f"\t{quote(tail)} -> {quote(head)}{attr_list(label, attrs)}\n"


def source(name, comment, graph_attr, node_attr, edge_attr, body, strict=False):
    """The whole digraph's text, as graphviz.Digraph.source gives it."""
    lines = []
    if comment:
        lines.append(f"// {comment}\n")
    head = "strict digraph" if strict else "digraph"
    lines.append(f"{head} {quote(name)} {{\n" if name else f"{head} {{\n")
    for kind, attrs in (("graph", graph_attr), ("node", node_attr), ("edge", edge_attr)):
        if attrs:
            lines.append(f"\t{kind}{attr_list(attributes=attrs)}\n")
    lines.extend(body)
    lines.append("}\n")
    return "".join(lines)
