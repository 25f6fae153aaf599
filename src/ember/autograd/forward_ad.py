"""Forward-mode automatic differentiation: dual tensors, as ``torch.autograd.forward_ad``.

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        value, jvp = forward_ad.unpack_dual(y)     # jvp = J_f(primal) @ tangent

A dual tensor is an ordinary Tensor that has a tangent in the current level. The tangents live
here, in a table keyed by the tensor (held weakly): Tensor keeps no extra field, and leaving
the level forgets every tangent at once. Each op computes its output's tangent from its
inputs' ones with the forward (jvp) rule that sits beside its backward (see ``ops/_op.py``);
the ops ask ``state.active`` once, so with no level entered forward mode costs nothing.

As in PyTorch only one level exists at a time (nesting raises); higher-order forward
derivatives come from ``ember.func.jvp``.
"""

import weakref
from collections import namedtuple

import numpy as _np

from .. import _tensor
from .._tensor import Tensor, _make
from .grad_mode import state as _grad_state

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]


class _FwState:
    """``active``: a level is entered and tangents propagate (the one flag the ops read);
    ``level``: the current level (-1: none); ``tangents``: id(tensor) -> (weakref, tangent);
    ``deriving``: a forward rule derived from a backward is running its own small backward
    (the engine then leaves its graph-growth check alone)."""

    __slots__ = ("active", "level", "tangents", "deriving")

    def __init__(self):
        self.active = False
        self.level = -1
        self.tangents = {}
        self.deriving = False


state = _FwState()


# -- the tangent table ---------------------------------------------------------------------------
def tangent_of(t):
    """The tangent of ``t`` in the current level, or None."""
    entry = state.tangents.get(id(t))
    if entry is not None and entry[0]() is t:
        return entry[1]
    return None


def set_tangent(t, tangent):
    """Give ``t`` the tangent ``tangent`` (None removes it) in the current level."""
    key = id(t)
    if tangent is None:
        state.tangents.pop(key, None)
        return
    table = state.tangents

    def forget(ref, key=key, table=table):
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]

    table[key] = (weakref.ref(t, forget), tangent)


class suspended:
    """Inside it ops do not propagate tangents: a forward rule's own arithmetic, or a custom
    Function's forward (which sees plain tensors, as in PyTorch)."""

    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = state.active
        state.active = False

    def __exit__(self, *exc):
        state.active = self.prev
        return False


# -- levels --------------------------------------------------------------------------------------
def enter_dual_level():
    """Enter a new forward-mode level and return it (0: only one level exists at a time)."""
    if state.level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    state.level = 0
    state.tangents = {}
    state.active = True
    _tensor.tangent_of = _printed_tangent
    return 0


def exit_dual_level(*, level=None):
    """Leave the level: every tangent made in it is forgotten."""
    if level is None:
        level = state.level
    if level != state.level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    state.active = False
    state.level = -1
    state.tangents = {}
    _tensor.tangent_of = None


def _printed_tangent(t):
    return tangent_of(t) if state.active else None


class dual_level:
    """Context manager (and decorator) for forward AD: enters a level, exits it at the end."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with dual_level():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return dual_level()


# -- dual tensors --------------------------------------------------------------------------------
def _check_level(level, op):
    if level is None:
        level = state.level
    if level < 0:
        return None
    if level != state.level:
        raise RuntimeError(f"Invalid level given to {op}")
    return level


def _alias(t):
    """A new tensor sharing t's memory and version counter, a view (with a node) when t needs
    grad; made with tangents off, so the alias starts without one."""
    prev = state.active
    state.active = False
    try:
        if t._requires_grad and _grad_state.enabled:
            try:
                return t.view(t._data.shape)  # ViewBackward0, as PyTorch records it
            except RuntimeError:  # a layout view() refuses (some 0-d results)
                return t[...]
        a = _make(t._data)
        a._version = t._version
        a._base = t if t._base is None else t._base
        a._vv = t._version[0]
        return a
    finally:
        state.active = prev


def make_dual(tensor, tangent, *, level=None):
    """A new tensor aliasing ``tensor`` whose tangent is ``tangent`` (kept as is when it has
    the primal's memory layout, copied into that layout otherwise)."""
    if level is None:
        level = state.level
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    if level != state.level:
        raise RuntimeError("Invalid level given to _make_dual")
    pd = tensor._data
    # a tangent batched by vmap (one per sample, e.g. jacfwd's basis) is seen by its shape
    plain = tangent.__class__ is Tensor
    tshape = tangent._data.shape if plain else tuple(tangent.shape)
    if pd.shape != tshape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            "original Tensor, this is not supported. Tensor is of size "
            f"[{', '.join(map(str, pd.shape))}] while the given forward gradient is of size "
            f"[{', '.join(map(str, tshape))}]."
        )
    if tangent_of(tensor) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {level} is not supported."
        )
    if plain and tangent._data.strides != pd.strides and pd.size > 1:
        tangent = _same_layout(tangent, pd)
    out = _alias(tensor)
    set_tangent(out, tangent)
    return out


def _same_layout(tangent, primal_data):
    """A copy of ``tangent`` laid out in memory as ``primal_data`` is (same strides); a tangent
    that is part of a graph is kept as is, so that it stays differentiable."""
    if tangent._requires_grad:
        return tangent
    d = tangent._data
    out = _np.empty_like(primal_data, dtype=d.dtype)  # order "K": the primal's strides
    _np.copyto(out, d)
    return _make(out)


UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = ("Namedtuple returned by unpack_dual: the primal and tangent "
                              "components of a dual tensor.")


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: a view of ``tensor`` without its tangent, and the tangent as is
    (None when the tensor has none)."""
    if level is None:
        level = state.level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if level != state.level:
        if tangent_of(tensor) is None:
            return UnpackedDualTensor(tensor, None)
        raise RuntimeError("Invalid level given to _fw_primal")
    # inside a custom Function's forward (tangents suspended) tensors look plain, as in PyTorch
    tangent = tangent_of(tensor) if state.active else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), tangent)
