"""Optimizer: the base class that holds parameter groups and per-parameter state."""

import warnings
from collections import defaultdict
from copy import deepcopy

import numpy as np

from .._errors import note
from .._tensor import Tensor, _make
from ..autograd.grad_mode import enable_grad

__all__ = ["Optimizer", "check_lr", "check_nonnegative", "required"]


class _Required:
    """Marks a hyperparameter that every parameter group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


def check_lr(lr, *, nan_ok=False):
    """PyTorch's check of a learning rate: a number or a 1-element tensor, not negative
    (SGD's check, ``nan_ok``, lets nan through)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if lr < 0.0 if nan_ok else not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(what, value):
    """Raise PyTorch's ValueError("Invalid <what>: <value>") unless 0 <= value."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class Optimizer:
    """Base class of optimizers.

    ``params``: an iterable of tensors, of (name, tensor) pairs, or of dicts (parameter
    groups, each with its own hyperparameters). ``defaults``: the hyperparameters a group gets
    when it does not set them. ``state[p]`` holds what the algorithm keeps per parameter.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        param_groups = list(params)
        if not param_groups:
            exc = ValueError("optimizer got an empty parameter list")
            note(exc, "Pass the parameters to optimize, e.g. model.parameters() after the "
                         "model has its layers, or a list such as [w, b].")
            raise exc
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n"
            text += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key not in ("params", "param_names"):
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with 'params' and optional hyperparameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        items = param_group["params"]
        if items and isinstance(items[0], tuple):
            # named parameters: (name, tensor) pairs
            param_group["param_names"] = [name for name, _ in items]
            param_group["params"] = [p for _, p in items]
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{_typename(param)}"
                )
            if not self.defaults.get("differentiable", None) and param._grad_fn is not None:
                exc = ValueError("can't optimize a non-leaf Tensor")
                note(exc, "The tensor was computed from others (it has a grad_fn). Create "
                             "parameters as leaves, e.g. w = ember.randn(3, requires_grad=True)"
                             ", not ember.randn(3, requires_grad=True) * 0.1.")
                raise exc
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's .grad: to None (the default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g._grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data.fill(0)
                    g._version[0] += 1

    def step(self, closure=None):
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def state_dict(self):
        """{'state': {index: state}, 'param_groups': [group with params as indices]}."""
        index = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            for i, p in zip(ids, group["params"]):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(ids)
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state dict from state_dict(), PyTorch's or ember's.

        As in PyTorch: param_groups are copied, state tensors are matched to parameters by
        index and cast to each parameter's floating dtype ('step' keeps its own dtype).
        """
        state_dict = dict(state_dict)
        groups = self.param_groups
        saved = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = {}
        for g, s in zip(groups, saved):
            for i, p in zip(s["params"], g["params"]):
                id_map[i] = p
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = _cast(p, v, None)
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})


def _cast(param, value, key):
    # floating state follows the parameter's dtype; 'step' is kept as saved (PyTorch's rule)
    if isinstance(value, Tensor):
        if key != "step" and param._data.dtype.kind in "fV" and value._data.dtype != \
                param._data.dtype:
            return _make(value._data.astype(param._data.dtype))
        return value
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v, None) for v in value)
    return value


def _step_tensor(st):
    """state['step'] as a float32 0-d tensor (PyTorch keeps it as a tensor); make it one when
    a state dict carried a plain number."""
    step = st.get("step")
    if not isinstance(step, Tensor):
        step = _make(np.array(0.0 if step is None else float(step), dtype=np.float32))
        st["step"] = step
    return step
