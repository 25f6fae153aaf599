"""functional_call and stack_module_state: run a module with tensors it does not own.

``functional_call(module, {"weight": w}, x)`` puts ``w`` where the module keeps its weight,
calls the module, and puts the module's own weight back, even when the call raises. Gradients
flow to ``w``; the module's parameters are never touched. Tied names (one tensor registered
under two names) follow the value given for either name unless ``tie_weights=False``.
"""

from collections.abc import Sequence
from contextlib import contextmanager

from .. import _names
from .._tensor import Tensor
from ..nn.modules.module import Module
from ..ops.shape import stack

__all__ = ["functional_call", "stack_module_state"]

_MISSING = object()  # the name did not exist on the module before the swap


# -- reaching a tensor by its dotted name -----------------------------------------------------
class _Accessor:
    """Finds ``layer1.0.weight``'s owner once per prefix and swaps tensors in and out."""

    def __init__(self, module):
        self.module = module
        self.owners = {"": module}

    def owner(self, prefix):
        found = self.owners.get(prefix)
        if found is not None:
            return found
        head, dot, attr = prefix.rpartition(".")
        parent = self.owner(head) if dot else self.module
        try:
            child = getattr(parent, attr)
        except AttributeError as exc:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from exc
        if not isinstance(child, Module):
            raise TypeError(f"submodule `{prefix}`: {child} is not an instance of "
                            f"{_names.prefix}.nn.Module")
        self.owners[prefix] = child
        return child

    def swap(self, name, tensor):
        """Put ``tensor`` under ``name`` and return what was there (``_MISSING`` if nothing)."""
        prefix, _, attr = name.rpartition(".")
        mod = self.owner(prefix)
        if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{tensor} is not an instance of {_names.prefix}.Tensor")
        if attr == "":
            raise KeyError('tensor name can\'t be empty string ""')
        for store in (mod._parameters, mod._buffers):
            if attr in store:
                old = store[attr]
                if tensor is _MISSING:
                    del store[attr]
                else:
                    store[attr] = tensor
                return old
        old = getattr(mod, attr) if hasattr(mod, attr) else _MISSING
        if old is not _MISSING and old is not None and not isinstance(old, Tensor):
            raise TypeError(f"attribute `{attr}`: {old} is not an instance of "
                            f"{_names.prefix}.Tensor")
        if tensor is not _MISSING:
            setattr(mod, attr, tensor)
        elif hasattr(mod, attr):
            delattr(mod, attr)
        return old

    def swap_all(self, named):
        """Swap every entry of ``named`` in; on an error put back what was swapped so far."""
        old = {}
        try:
            for name, tensor in named.items():
                old[name] = self.swap(name, tensor)
        except Exception:
            for name, tensor in old.items():
                self.swap(name, tensor)
            raise
        return old


def _named_tensors(module):
    yield from module.named_parameters(remove_duplicate=False)
    yield from module.named_buffers(remove_duplicate=False)


def _untie(module, given):
    """``given`` with every name tied to a given name added, holding the given value."""
    names_of = {}  # id(tensor) -> the names it is registered under
    for name, tensor in _named_tensors(module):
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    given_tied = [name for name in given if name in tied]
    for name in given_tied:
        group = tied[name]
        values = {id(given[n]) for n in group if n in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             "which are tied. Consider using tie_weights=False")
    untied = dict(given)
    for name in given_tied:
        for other in tied[name]:
            untied[other] = given[name]
    return untied


@contextmanager
def _reparametrize(module, given, tie_weights, strict):
    named = _untie(module, given) if tie_weights else given
    accessor = _Accessor(module)
    if strict:
        valid = {name for name, _ in _named_tensors(module)}
        keys = set(named)
        unexpected, missing = sorted(keys - valid), sorted(valid - keys)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(msgs))
    old = {}
    try:
        old = accessor.swap_all(named)
        yield
    finally:
        # what the call left under each name (a module may reassign `self.foo = self.foo + 1`)
        # goes back into the given dict, as in PyTorch
        new = accessor.swap_all(old)
        given.update({k: new[k] for k in given if k in new})


def _merge(parameter_and_buffer_dicts):
    if isinstance(parameter_and_buffer_dicts, dict):
        return parameter_and_buffer_dicts
    if not isinstance(parameter_and_buffer_dicts, Sequence):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    counts = {}
    for d in parameter_and_buffer_dicts:
        for k in d:
            counts[k] = counts.get(k, 0) + 1
    repeated = [k for k, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                         "call is ambiguous")
    return {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}


def _call(module, parameters_and_buffers, args, kwargs, tie_weights, strict):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, parameters_and_buffers, tie_weights, strict):
        return module(*args, **kwargs)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced by the
    tensors in ``parameter_and_buffer_dicts`` (a dict of qualified names, or a list/tuple of
    such dicts with no name in two of them). ``args`` that is not a tuple is one argument.

    With ``tie_weights=True`` a tensor registered under several names takes the value given
    for any of them (two different values for tied names raise ValueError). With
    ``strict=True`` the names must be exactly the module's parameters and buffers.
    """
    merged = _merge(parameter_and_buffer_dicts)
    return _call(module, merged, args, kwargs, tie_weights, strict)


def _stacked_leaf(tensors, name):
    grads = [t.requires_grad for t in tensors]
    if any(grads) and not all(grads):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    out = stack(tensors)
    if all(grads):
        out = out.detach().requires_grad_()
    return out


def stack_module_state(models):
    """The parameters and buffers of ``models`` (modules of one class, all in training or all
    in eval mode) stacked along a new first dimension: ``(params, buffers)``, two dicts keyed
    by qualified name. The stacked parameters are new leaves, unrelated to the models'."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    training = [m.training for m in models]
    if any(training) and not all(training):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode.")
    cls = type(models[0])
    if not all(type(m) is cls for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked_leaf(tuple(p[k] for p in all_params), k) for k in all_params[0]}
    all_buffers = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked_leaf(tuple(b[k] for b in all_buffers), k) for k in all_buffers[0]}
    return params, buffers
