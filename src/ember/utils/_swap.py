"""``torch.utils.swap_tensors``: two tensors exchange their contents, each keeping its identity.

Everything a Tensor holds lives in its slots (its array, version counter, requires_grad,
grad_fn, .grad, view base, hooks) and, for a subclass, its ``__dict__``: swapping those swaps
the tensors, as PyTorch swaps the C++ tensors behind two Python objects.

PyTorch refuses when something besides the Python object holds a tensor (its use count): a
graph that saved it for backward, a view of it, another tensor's ``.grad`` being it. ember
counts the same holders (``gc.get_referrers`` on the two tensors, so the cost grows with the
number of live objects: fine for a utility, not for a loop): views (``_base``), ``.grad``,
the leaf's AccumulateGrad node and every live node whose saved values hold the tensor (through
one level of nesting, or a SavedTensor). As in PyTorch, a leaf whose AccumulateGrad node is the
only holder is swapped, and the node is poisoned: a backward that reaches it raises.
"""

import copyreg
import gc
import weakref

from .._tensor import Tensor
from ..autograd.graph import AccumulateGrad, Node, SavedTensor

__all__ = ["swap_tensors"]

_POISONED = (
    "Trying to execute AccumulateGrad node that was poisoned by swap_tensors this can happen "
    "when you try to run backward on a tensor that was swapped. For a module m with "
    "`torch.__future__.set_swap_module_params_on_conversion(True)` you should not change the "
    "device or dtype of the module (e.g. `m.cpu()` or `m.half()`) between running forward and "
    "backward. To resolve this, please only change the device/dtype before running forward "
    "(or after both forward and backward)."
)


def _poisoned(grad_outputs):
    raise RuntimeError(_POISONED)


def _hook_refs(t):
    """The weak references ember's graph keeps to a non-leaf with hooks (not the user's)."""
    fn = t._grad_fn
    entries = getattr(fn, "_retain_hooks", None) if fn is not None else None
    return [ref for _, ref in entries or () if ref() is t]


def _holders(tensors):
    """For each tensor (by id): [holders besides its Python object, its AccumulateGrad node]."""
    found = {id(t): [0, None] for t in tensors}

    def add(t, node=None):
        entry = found[id(t)]
        entry[0] += 1
        if node is not None:
            entry[1] = node

    containers = {}
    for r in gc.get_referrers(*tensors):
        if isinstance(r, Tensor):
            for t in tensors:
                if r._base is t:
                    add(t)
                if r._grad is t:
                    add(t)
        elif isinstance(r, AccumulateGrad):
            for t in tensors:
                if r.variable is t:
                    add(t, r)
        elif isinstance(r, SavedTensor):
            for t in tensors:
                if r._tensor is t:
                    add(t)
        elif type(r) in (tuple, list):
            containers[id(r)] = r

    def count_in(c):
        for v in c:
            for t in tensors:
                if v is t:
                    add(t)

    # a container counts when a live node saved it, directly or inside a saved container
    outer = {}
    if containers:
        for owner in gc.get_referrers(*containers.values()):
            if isinstance(owner, Node):
                if owner._store is not None and id(owner._store) in containers:
                    count_in(owner._store)
            elif type(owner) in (tuple, list):
                outer[id(owner)] = owner
    if outer:
        for owner in gc.get_referrers(*outer.values()):
            if isinstance(owner, Node) and owner._store is not None and id(owner._store) in outer:
                for inner in owner._store:
                    if id(inner) in containers:
                        count_in(inner)
    return found


def _check_use_count(t, name, holders):
    count, node = holders[id(t)]
    use_count = 1 + count
    if use_count == 1:
        return
    message = (f"Expected use_count of {name} to be 1 or 2 with an AccumulateGrad node but got "
               f"{use_count} make sure you are not holding references to the tensor in other "
               "places.")
    if use_count == 2 and t.is_leaf:
        if not t._requires_grad:
            raise RuntimeError("It is not possible to get the gradient edge for a Tensor that "
                               "does not require gradients")
        if node is not None:
            node.register_prehook(_poisoned)
            return
    raise RuntimeError(message)


def swap_tensors(t1, t2):
    """Swap the contents of two tensors: ``t1`` gets ``t2``'s (data, dtype, shape,
    requires_grad, grad_fn, .grad, class, attributes) and ``t2`` gets ``t1``'s, while each
    keeps its identity. Refused (RuntimeError) when a tensor has weak references, the two have
    different slots, or a graph or a view holds one of them (see the module's note)."""
    refs1 = _hook_refs(t1) if isinstance(t1, Tensor) else []
    refs2 = _hook_refs(t2) if isinstance(t2, Tensor) else []
    if len(weakref.getweakrefs(t1)) > len(refs1):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if len(weakref.getweakrefs(t2)) > len(refs2):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    for t in (t1, t2):
        if not isinstance(t, Tensor):
            raise AttributeError(f"'{type(t).__name__}' object has no attribute '_use_count'")
    slots = set(copyreg._slotnames(type(t1)))
    if slots != set(copyreg._slotnames(type(t2))):
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    holders = _holders((t1, t2)) if t1 is not t2 else _holders((t1,))
    _check_use_count(t1, "t1", holders)
    _check_use_count(t2, "t2", holders)
    for name, t, refs in (("t1", t1, refs1), ("t2", t2, refs2)):
        if refs and t._hooks is not None and t._hooks.retains_grad:
            raise RuntimeError(f"Expected no weakrefs to {name}'s Tensor object but got  "
                               f"{len(refs)}")
    if t1 is t2:
        return
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    if hasattr(t1, "__dict__") and hasattr(t2, "__dict__"):
        t1.__dict__, t2.__dict__ = t2.__dict__, t1.__dict__
    missing = object()
    for slot in slots:
        v1, v2 = getattr(t1, slot, missing), getattr(t2, slot, missing)
        for t, v in ((t1, v2), (t2, v1)):
            if v is missing:
                delattr(t, slot)
            else:
                setattr(t, slot, v)
    # the graph finds a non-leaf's hooks through a weak reference: it follows the contents
    if refs1 or refs2:
        other = {id(t1): t2, id(t2): t1}
        for fn in {id(t._grad_fn): t._grad_fn for t in (t1, t2) if t._grad_fn is not None}.values():
            if fn._retain_hooks:
                fn._retain_hooks = [
                    (nr, weakref.ref(other[id(ref())]) if id(ref()) in other else ref)
                    for nr, ref in fn._retain_hooks]
