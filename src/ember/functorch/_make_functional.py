"""functorch's legacy module API: make_functional, make_functional_with_buffers and
combine_state_for_ensemble.

``make_functional(model)`` copies the model, takes the copy's parameters out (the copy keeps
``None`` in their place: ember has no meta tensors to hold just the shapes) and returns
``(fmodel, params)``; ``fmodel(params, x)`` puts the given tensors in for the call and takes
them out again. Tied parameters (one tensor under several names) are one entry of ``params``.
"""

import copy

from ..nn.modules.module import Module
from ..ops.shape import stack

__all__ = ["FunctionalModule", "FunctionalModuleWithBuffers", "combine_state_for_ensemble",
           "make_functional", "make_functional_with_buffers"]


def _owner(module, name):
    prefix, _, attr = name.rpartition(".")
    return (module.get_submodule(prefix) if prefix else module), attr


def _swap(module, name, tensor):
    """Put ``tensor`` in the parameter or buffer slot ``name``; return what was there."""
    mod, attr = _owner(module, name)
    store = mod._parameters if attr in mod._parameters else mod._buffers
    old = store[attr]
    store[attr] = tensor
    return old


def _extract(module, named_members):
    """The module's unique tensors and their names, each slot emptied, and a map from each
    unique name to every name the same tensor is registered under."""
    everything = tuple(named_members(remove_duplicate=False))
    unique = tuple(named_members(remove_duplicate=True))
    names_of = {id(t): (name, []) for name, t in unique}
    for name, t in everything:
        names_of[id(t)][1].append(name)
    for name, _ in everything:
        _swap(module, name, None)
    names = tuple(name for name, _ in unique)
    tensors = tuple(t for _, t in unique)
    return tensors, names, dict(names_of.values())


def _swap_state(module, names_map, elems):
    """Put each of ``elems`` under every name of its entry of ``names_map``; return the
    tensors that were under the first names."""
    old = []
    for (_, names), elem in zip(names_map.items(), elems):
        for i, name in enumerate(names):
            prev = _swap(module, name, elem)
            if i == 0:
                old.append(prev)
    return old


class FunctionalModule(Module):
    """The callable that :func:`make_functional` returns: ``fmodel(params, *args, **kwargs)``."""

    def __init__(self, stateless_model, param_names, names_map):
        super().__init__()
        self.stateless_model = stateless_model
        self.param_names = param_names
        self.names_map = names_map

    @staticmethod
    def _create_from(model, disable_autograd_tracking=False):
        model_copy = copy.deepcopy(model)
        params, param_names, names_map = _extract(model_copy, model_copy.named_parameters)
        if disable_autograd_tracking:
            for p in params:
                p.requires_grad_(False)
        return FunctionalModule(model_copy, param_names, names_map), params

    def forward(self, params, *args, **kwargs):
        old = _swap_state(self.stateless_model, self.names_map, params)
        try:
            return self.stateless_model(*args, **kwargs)
        finally:
            _swap_state(self.stateless_model, self.names_map, old)


class FunctionalModuleWithBuffers(Module):
    """The callable that :func:`make_functional_with_buffers` returns:
    ``fmodel(params, buffers, *args, **kwargs)``."""

    def __init__(self, stateless_model, param_names, buffer_names, param_names_map,
                 buffer_names_map):
        super().__init__()
        self.stateless_model = stateless_model
        self.param_names = param_names
        self.buffer_names = buffer_names
        self.all_names_map = dict(param_names_map)
        self.all_names_map.update(buffer_names_map)

    @staticmethod
    def _create_from(model, disable_autograd_tracking=False):
        model_copy = copy.deepcopy(model)
        params, param_names, param_map = _extract(model_copy, model_copy.named_parameters)
        buffers, buffer_names, buffer_map = _extract(model_copy, model_copy.named_buffers)
        if disable_autograd_tracking:
            for p in params:
                p.requires_grad_(False)
        fmodel = FunctionalModuleWithBuffers(model_copy, param_names, buffer_names, param_map,
                                             buffer_map)
        return fmodel, params, buffers

    def forward(self, params, buffers, *args, **kwargs):
        old = _swap_state(self.stateless_model, self.all_names_map,
                          tuple(params) + tuple(buffers))
        try:
            return self.stateless_model(*args, **kwargs)
        finally:
            _swap_state(self.stateless_model, self.all_names_map, old)


def make_functional(model, disable_autograd_tracking=False):
    """``(fmodel, params)``: a functional copy of a model without buffers and the copy's
    parameters, so that ``fmodel(params, x)`` computes ``model(x)``."""
    if any(True for _ in model.buffers()):
        raise RuntimeError("make_functional(model): `model` has buffers. Please use "
                           "make_functional_with_buffers(model) instead.")
    return FunctionalModule._create_from(model, disable_autograd_tracking)


def make_functional_with_buffers(model, disable_autograd_tracking=False):
    """``(fmodel, params, buffers)``, with ``fmodel(params, buffers, x)`` computing
    ``model(x)``."""
    return FunctionalModuleWithBuffers._create_from(model, disable_autograd_tracking)


def _stack_each(per_model):
    return tuple(stack(shards).detach() for shards in zip(*per_model))


def combine_state_for_ensemble(models):
    """``(fmodel, params, buffers)`` for models of one class: ``fmodel`` is the first model's
    functional form, ``params`` and ``buffers`` stack every model's along a new first
    dimension (detached), ready for ``vmap(fmodel, (0, 0, None))``."""
    if len(models) == 0:
        raise RuntimeError("combine_state_for_ensemble: Expected at least one model, got 0.")
    training = [m.training for m in models]
    if any(training) and not all(training):
        raise RuntimeError("combine_state_for_ensemble: Expected all models to have the same "
                           "training/eval mode.")
    cls = type(models[0])
    if not all(type(m) is cls for m in models):
        raise RuntimeError("combine_state_for_ensemble: Expected all models to be of the same "
                           "class.")
    fmodels, params, buffers = zip(*[make_functional_with_buffers(m) for m in models])
    return fmodels[0], _stack_each(params), _stack_each(buffers)
