"""Nested containers of tensors (pytrees) as flat lists of leaves and back.

Tuples, lists, dicts and namedtuples are containers; None is an empty one; anything else is a
leaf. ``flatten(tree) -> (leaves, spec)``, ``unflatten(leaves, spec) -> tree``.
"""

__all__ = ["flatten", "unflatten", "tree_map"]


def flatten(tree, none_is_leaf=False):
    leaves = []
    spec = _flatten(tree, leaves, none_is_leaf)
    return leaves, spec


def _flatten(tree, leaves, none_is_leaf=False):
    cls = tree.__class__
    if cls is tuple or cls is list:
        return (cls, [_flatten(t, leaves, none_is_leaf) for t in tree])
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple
        return (cls, [_flatten(t, leaves, none_is_leaf) for t in tree])
    if isinstance(tree, dict):
        keys = list(tree)
        return (cls, keys, [_flatten(tree[k], leaves, none_is_leaf) for k in keys])
    if tree is None and not none_is_leaf:
        return None
    leaves.append(tree)
    return "*"


def unflatten(leaves, spec):
    it = iter(leaves)
    return _build(spec, it)


def _build(spec, it):
    if spec == "*":
        return next(it)
    if spec is None:
        return None
    if len(spec) == 3:
        cls, keys, children = spec
        return cls((k, _build(c, it)) for k, c in zip(keys, children))
    cls, children = spec
    items = [_build(c, it) for c in children]
    if hasattr(cls, "_make"):
        return cls._make(items)  # a namedtuple
    return cls(items)  # tuples, lists and ember's return types take one sequence


def tree_map(fn, tree):
    leaves, spec = flatten(tree)
    return unflatten([fn(x) for x in leaves], spec)
