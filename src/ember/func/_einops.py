"""``torch.func.rearrange``: einops-style reordering of a tensor's dimensions, from a pattern.

    rearrange(images, "b h w c -> b c h w")                  # permute
    rearrange(images, "b h w c -> b (c h w)")                # compose (flatten)
    rearrange(images, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2)   # decompose
    rearrange(x, "... c -> c ...")                           # the other dimensions, as they are

A pattern is parsed once (per number of dimensions, pattern and lengths) into a recipe; each
call then splits the tensor's dimensions into the pattern's axes (a reshape), sums out the
left side's unnamed ``1`` axes (as PyTorch does, whatever their size), permutes the axes into
the right side's order and merges its groups (a reshape). Every step is an ember op, so the
result is differentiable and works under vmap; it is a view wherever reshape and permute give
one. Errors are PyTorch's: its ValueError and TypeError texts for a malformed pattern, and for
lengths that do not fit the tensor the DimensionBindError of its first-class dimensions (named
``d0``, ``d1``, ... in the left side's order).
"""

import functools
import keyword
import warnings

from .._tensor import Tensor
from ..ops import shape as _shape

__all__ = ["rearrange"]

_ELLIPSIS = "\u2026"  # "..." once parsed: one character, so that it reads as one axis name


class DimensionBindError(Exception):
    """Axis lengths that do not fit the tensor's dimensions (functorch.dim's error)."""


def _check_name(name):
    """(valid, why not) for an axis name: a Python identifier not starting or ending with ``_``
    (a keyword or ``axis`` is allowed with a warning)."""
    if not name.isidentifier():
        return False, "not a valid python identifier"
    if name[0] == "_" or name[-1] == "_":
        return False, "axis name should should not start or end with underscore"
    if keyword.iskeyword(name):
        warnings.warn(f"It is discouraged to use axes names that are keywords: {name}",
                      RuntimeWarning, stacklevel=7)
    if name == "axis":
        warnings.warn("It is discouraged to use 'axis' as an axis name and will raise an error "
                      "in future", FutureWarning, stacklevel=7)
    return True, ""


class _Side:
    """One side of a pattern: ``groups`` lists one entry per dimension, each the list of axis
    names composed into it ([] for an unnamed axis of size 1) or the ellipsis itself."""

    def __init__(self, text):
        self.ellipsis = False
        self.ellipsis_in_group = None
        self.names = set()
        self.sized_anonymous = False  # an unnamed axis of a size other than 1 ("2")
        self.groups = []
        if "." in text:
            if "..." not in text:
                raise ValueError("Expression may contain dots only inside ellipsis (...)")
            if text.count("...") != 1 or text.count(".") != 3:
                raise ValueError("Expression may contain dots only inside ellipsis (...); only "
                                 "one ellipsis for tensor ")
            text = text.replace("...", _ELLIPSIS)
            self.ellipsis = True
        group = None
        word = ""
        for ch in text + " ":
            if ch.isalnum() or ch in ("_", _ELLIPSIS):
                word += ch
                continue
            if ch not in "() ":
                raise ValueError(f"Unknown character '{ch}'")
            if word:
                self._add(word, group)
                word = ""
            if ch == "(":
                if group is not None:
                    raise ValueError("Axis composition is one-level (brackets inside brackets "
                                     "not allowed)")
                group = []
            elif ch == ")":
                if group is None:
                    raise ValueError("Brackets are not balanced")
                self.groups.append(group)
                group = None
        if group is not None:
            raise ValueError(f"Imbalanced parentheses in expression: '{text}'")

    def _add(self, word, group):
        if word in self.names:
            raise ValueError(f"Indexing expression contains duplicate dimension '{word}'")
        if word == _ELLIPSIS:
            self.names.add(word)
            self.ellipsis_in_group = group is not None
            (group if group is not None else self.groups).append(word)
            return
        number = word.isdecimal()
        if number and int(word) == 1:
            if group is None:
                self.groups.append([])  # inside a group, a 1 changes nothing
            return
        ok, why = _check_name(word)
        if not (number or ok):
            raise ValueError(f"Invalid axis identifier: {word}\n{why}")
        if number:
            if int(word) < 1:
                raise ValueError(f"Anonymous axis should have positive length, not {int(word)}")
            self.sized_anonymous = True
            word = object()  # each sized unnamed axis is its own axis
        self.names.add(word)
        (group if group is not None else self.groups).append([word] if group is None else word)


def _parse(pattern, lengths):
    try:
        left_text, right_text = pattern.split("->")
    except ValueError:
        raise ValueError("Pattern must contain a single '->' separator") from None
    if _ELLIPSIS in lengths:
        raise ValueError(f"'{_ELLIPSIS}' is not an allowed axis identifier")
    left, right = _Side(left_text), _Side(right_text)
    if right.ellipsis and not left.ellipsis:
        raise ValueError(f"Ellipsis found in right side, but not left side of a pattern {pattern}")
    if left.ellipsis and left.ellipsis_in_group:
        raise ValueError(f"Ellipsis is parenthesis in the left side is not allowed: {pattern}")
    for n in lengths.values():
        if type(n) is not int:
            raise TypeError(f"rearrange axis lengths must be integers, got: {type(n)}")
    if left.sized_anonymous or right.sized_anonymous:
        raise ValueError("rearrange only supports unnamed axes of size 1")
    only_one_side = left.names ^ right.names
    if only_one_side:
        raise ValueError("Identifiers only on one side of rearrange expression (should be on "
                         f"both): {only_one_side}")
    unknown = lengths.keys() - left.names
    if unknown:
        raise ValueError(f"Identifiers not found in rearrange expression: {unknown}")
    return left, right


@functools.lru_cache(256)
def _recipe(ndim, pattern, **lengths):
    """What rearrange does to a tensor of ``ndim`` dimensions, or None for nothing at all.

    Returns (packs, given, anonymous, order, merges): ``packs`` one tuple of axis numbers per
    tensor dimension (the axes it splits into, numbered in the left side's order), ``given``
    the lengths fixed by keyword ({axis: length}), ``anonymous`` the axes of the left side's
    unnamed 1s (summed out), ``order`` the remaining axes in the right side's order, and
    ``merges`` the number of axes in each dimension of the result.
    """
    left, right = _parse(pattern, lengths)
    n_anonymous = sum(1 for g in left.groups if g == [])
    if left.ellipsis:
        n_ellipsis = ndim - (len(left.groups) - 1)
        n_pattern = n_anonymous + len(left.names) - 1
        if n_pattern > ndim:
            raise ValueError(f"Number of dimensions in pattern ({n_pattern}) must be less than or "
                             f"equal to the number of dimensions in the tensor ({ndim})")
    else:
        n_ellipsis = 0
        if len(left.groups) != ndim:
            raise ValueError(f"Number of dimensions in pattern ({len(left.groups)}) must be "
                             f"equal to the number of dimensions in the tensor ({ndim})")
    axes = {}  # name -> its axis numbers (the ellipsis has several)
    packs, anonymous, n = [], [], 0
    for g in left.groups:
        if g == _ELLIPSIS:
            axes[g] = tuple(range(n, n + n_ellipsis))
            packs.extend((a,) for a in axes[g])
            n += n_ellipsis
        elif not g:
            anonymous.append(n)
            packs.append((n,))
            n += 1
        else:
            for i, name in enumerate(g):
                axes[name] = (n + i,)
            packs.append(tuple(range(n, n + len(g))))
            n += len(g)
    if not packs:
        return None  # a 0-d tensor rearranged to itself
    order, merges = [], []
    for g in right.groups:
        members = [a for name in ([g] if g == _ELLIPSIS else g) for a in axes[name]]
        order.extend(members)
        if g == _ELLIPSIS:
            merges.extend([1] * len(members))
        else:
            merges.append(len(members))
    given = {axes[name][0]: n for name, n in lengths.items()}
    return tuple(packs), given, tuple(anonymous), tuple(order), tuple(merges)


def _dim_names(axes):
    inner = ", ".join(f"d{a}" for a in axes)
    return f"({inner},)" if len(axes) == 1 else f"({inner})"


def _bind(size, pack, given):
    """The lengths of the axes ``pack`` splits a dimension of ``size`` into (at most one of
    them not given: it is inferred), with functorch.dim's errors."""
    lengths = [given.get(a, -1) for a in pack]  # -1: not given, as in functorch.dim
    product = 1
    for i, n in enumerate(lengths):
        if n != -1:
            product *= n
            continue
        for j in range(i + 1, len(pack)):
            if lengths[j] == -1:
                raise DimensionBindError(f"cannot infer the sizes of two dimensions at once "
                                         f"d{pack[i]} and d{pack[j]}")
            product *= lengths[j]
        if size % product:
            shown = tuple("?" if m == -1 else m for m in lengths)
            raise DimensionBindError("inferred dimension does not evenly fit into larger "
                                     f"dimension: {size} vs {shown}")
        lengths[i] = size // product
        product = size
        break
    if product != size:
        raise DimensionBindError(f"Dimension sizes to do not match ({size} != {product}) when "
                                 f"matching dimension pack {_dim_names(pack)}")
    return lengths


def rearrange(tensor, pattern, **axes_lengths):
    r"""Reorder, split and merge the dimensions of ``tensor`` (or of a list or tuple of tensors,
    stacked first) as the einops pattern says; see https://einops.rocks/api/rearrange/.

    Example::

        >>> images = ember.randn(32, 30, 40, 3)
        >>> rearrange(images, "b h w c -> b c h w").shape
        ember.Size([32, 3, 30, 40])
        >>> rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2).shape
        ember.Size([128, 15, 20, 3])
    """
    if not isinstance(tensor, Tensor):
        tensor = _shape.stack(tensor)
    recipe = _recipe(tensor.ndim, pattern, **axes_lengths)
    if recipe is None:
        return tensor
    packs, given, anonymous, order, merges = recipe
    sizes = []
    for size, pack in zip(tensor.shape, packs):
        sizes.extend(_bind(size, pack, given))
    if any(n < 0 for n in sizes):
        _negative_lengths(tensor, packs, sizes)
    out = tensor.reshape(sizes)
    if anonymous:
        out = out.sum(anonymous)
        kept = [a for a in range(len(sizes)) if a not in anonymous]
        position = {a: i for i, a in enumerate(kept)}
        sizes = [sizes[a] for a in kept]
        order = tuple(position[a] for a in order)
    if order != tuple(range(len(order))):
        out = out.permute(order)
    shape, i = [], 0
    for m in merges:
        n = 1
        for a in order[i:i + m]:
            n *= sizes[a]
        shape.append(n)
        i += m
    return out.reshape(shape) if tuple(shape) != tuple(out.shape) else out


def _negative_lengths(tensor, packs, sizes):
    """A negative length given for an axis: PyTorch's first-class dims reach as_strided with
    the strides it makes, and as_strided refuses the negative ones."""
    strides = []
    for stride, pack in zip(tensor.stride(), packs):
        inner = []
        for a in reversed(pack):
            inner.append(stride)
            stride *= sizes[a]
        strides.extend(reversed(inner))
    if any(s < 0 for s in strides):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {strides}")
    raise RuntimeError(f"as_strided: Negative dimensions are not allowed, got sizes: {sizes}")
