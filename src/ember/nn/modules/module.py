"""Module: the base class of every layer and model.

Assigning a Parameter, a Module or a registered buffer to an attribute stores it in
``_parameters``, ``_modules`` or ``_buffers`` (insertion-ordered dicts), which is what
``parameters()``, ``state_dict()`` and the printed form walk. Re-assigning an existing name
keeps its place in that order.

Hooks: forward pre-hooks and forward hooks run around ``forward``; full backward hooks see the
gradients with respect to the module's inputs and outputs. For those, the inputs and the
outputs pass through an identity node each (``BackwardHookFunctionBackward``, as in PyTorch):
the output node records the output gradients, the input node calls the hooks with both.
"""

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from ... import _names
from ..._errors import note
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import no_grad
from ...autograd.grad_mode import state as _grad_state
from ...autograd.graph import Node, RemovableHandle, accumulator
from ..parameter import Buffer, Parameter

__all__ = ["Module"]


def typename(obj):
    """How PyTorch names a value's type in messages ('ember.FloatTensor', 'int', ...)."""
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    module = t.__module__
    if module in ("builtins", None):
        return t.__qualname__
    return f"{module}.{t.__qualname__}"


def _indent(text, spaces):
    """Indent every line but the first (a child's printed form, nested in its parent's)."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    pad = " " * spaces
    return "\n".join([first] + [pad + line for line in rest])


def _owner_and_name(root, target):
    """(module, name) for a dotted path below root to an attribute ('layer1.0.bias')."""
    module_path, _, name = target.rpartition(".")
    mod = root.get_submodule(module_path)
    if not hasattr(mod, name):
        raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
    return mod, name


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


# the per-module hook registries (all empty until a hook is registered)
_HOOK_DICTS = (
    "_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
    "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


class Module:
    """Base class for all neural network modules; subclasses define ``forward``."""

    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                f"'{next(iter(kwargs))}'" if kwargs else
                f"{type(self).__name__}.__init__() takes 1 positional argument but "
                f"{len(args) + 1} were given"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        for name in _HOOK_DICTS:
            d[name] = OrderedDict()
        d["_is_full_backward_hook"] = None
        d["_modules"] = {}

    def forward(self, *input):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = __call__

    def _call_with_hooks(self, args, kwargs):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                new = hook(self, args, kwargs)
                if new is not None:
                    if isinstance(new, tuple) and len(new) == 2:
                        args, kwargs = new
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {new}.")
            else:
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        bw = None
        full = list(self._backward_hooks.values()) if self._is_full_backward_hook else []
        if full or self._backward_pre_hooks:
            bw = _BackwardHook(self, full, list(self._backward_pre_hooks.values()))
            args = bw.setup_input_hook(args)
        result = self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                new = hook(self, args, kwargs, result)
            else:
                new = hook(self, args, result)
            if new is not None:
                result = new
        if bw is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              stacklevel=3)
            result = bw.setup_output_hook(result)
        if self._backward_hooks and self._is_full_backward_hook is False:
            var = result
            while not isinstance(var, Tensor):
                var = next(v for v in var.values() if isinstance(v, Tensor)) \
                    if isinstance(var, dict) else var[0]
            if var.grad_fn is not None:
                for hook in self._backward_hooks.values():
                    var.grad_fn.register_hook(_legacy_hook(self, hook))
        return result

    # -- hooks ----------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) runs before forward; a value it returns replaces args.
        With with_kwargs=True: hook(module, args, kwargs) -> None or (args, kwargs)."""
        extra = (self._forward_pre_hooks_with_kwargs,)
        handle = _DictHandle(self._forward_pre_hooks, hook, extra, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """hook(module, args, output) runs after forward; a value it returns replaces output.
        With with_kwargs=True: hook(module, args, kwargs, output)."""
        extra = (self._forward_hooks_with_kwargs, self._forward_hooks_always_called)
        handle = _DictHandle(self._forward_hooks, hook, extra, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) runs once the gradients with respect to the
        module's inputs are computed; a tuple it returns replaces grad_input."""
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return _DictHandle(self._backward_hooks, hook, (), prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) runs when the output gradients are known; a tuple it
        returns replaces grad_output."""
        return _DictHandle(self._backward_pre_hooks, hook, (), prepend)

    def register_backward_hook(self, hook):
        """The legacy hook on the output's grad_fn (prefer register_full_backward_hook)."""
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = False
        return _DictHandle(self._backward_hooks, hook)

    # -- registration ---------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _discard(name, d, d["_buffers"], d["_modules"], d["_non_persistent_buffers_set"])
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                exc = TypeError(
                    f"cannot assign '{typename(value)}' as parameter '{name}' "
                    f"({_names.prefix}.nn.Parameter or None expected)"
                )
                note(exc, f"Wrap the tensor: self.{name} = nn.Parameter(tensor), or update "
                             f"the values in place under no_grad: self.{name}.copy_(tensor).")
                raise exc
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _discard(name, d, d["_parameters"], d["_buffers"], d["_non_persistent_buffers_set"])
            modules[name] = value  # an existing name keeps its place
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as child module '{name}' "
                    f"({_names.prefix}.nn.Module or None expected)"
                )
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer):
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self.register_buffer(name, value, persistent=value.persistent)
            return
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{typename(value)}' as buffer '{name}' "
                    f"({_names.prefix}.Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # only reached when normal lookup fails: look in the registries
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                del store[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = set(super().__dir__())
        for key in ("_parameters", "_buffers", "_modules"):
            keys.update(self.__dict__.get(key, ()))
        return sorted(k for k in keys if not k[0].isdigit())

    def _check_name(self, kind, name, got=False):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."' + (f", got: {name}" if got else ""))
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name, param):
        """Add a parameter (or None, a declared but absent one) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{typename(param)}' object to parameter '{name}' "
                f"({_names.prefix}.nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (e.g. running statistics); a
        non-persistent buffer is left out of state_dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                "(ember Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (the same as assigning it as an attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{typename(module)} is not a Module subclass")
        self._check_name("module", name, got=True)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    def register_module(self, name, module):
        self.add_module(name, module)

    def get_submodule(self, target):
        """The module at a dotted path ('layer1.0.conv1'); '' is this module."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        mod, name = _owner_and_name(self, target)
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        mod, name = _owner_and_name(self, target)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(mod, name)

    # -- traversal ------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, each module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store, prefix, recurse, remove_duplicate):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in module.__dict__[store].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(qualified name, parameter) in registration order, depth first; shared ones once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # -- modes and gradients --------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode here and in every descendant (children's own train() runs)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
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

    def apply(self, fn):
        """fn(module) for every descendant (children first), then for this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- dtype / device -------------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        if recurse:
            for module in self.children():
                module._apply(fn)
        for t in self._parameters.values():
            if t is None:
                continue
            with no_grad():
                new = fn(t)
            if new is not t:
                t._data = new._data  # the Parameter object stays the same (optimizers hold it)
                t._version[0] += 1
            if t._grad is not None:
                g = fn(t._grad)
                if g is not t._grad:
                    t._grad._data = g._data
        for key, t in self._buffers.items():
            if t is not None:
                self._buffers[key] = fn(t)
        return self

    def to(self, *args, **kwargs):
        """to(device), to(dtype), to(device, dtype), to(tensor): move (ember has only the CPU:
        other devices fail as in a CPU-only PyTorch) and cast floating-point parameters and
        buffers, in place."""
        from ...ops.copy import parse_to

        dtype = parse_to(args, kwargs)
        if dtype is None:
            return self
        if not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                f"dtype={dtype}"
            )
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() or t.is_complex()
                           else t)

    def cpu(self):
        return self

    def cuda(self, device=None):
        from ... import _device as D

        d = D.device("cuda") if device is None else D.as_device(device)
        D.check(d)  # no GPU: PyTorch's CPU-only error
        return self

    def xpu(self, device=None):
        from ... import _device as D

        D.check(D.device("xpu"))
        return self

    def _float_to(self, name):
        from ... import _dtype

        dt = getattr(_dtype, name)
        return self._apply(lambda t: t.to(dt) if t.is_floating_point() else t)

    def float(self):
        return self._float_to("float32")

    def double(self):
        return self._float_to("float64")

    def half(self):
        return self._float_to("float16")

    def bfloat16(self):
        return self._float_to("bfloat16")

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def share_memory(self):
        return self

    # -- state dict -----------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by qualified name (detached unless keep_vars),
        in an OrderedDict whose ``_metadata`` records each module's version."""
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Copy this module's own entries of state_dict (keys starting with prefix) into its
        parameters and buffers, recording what is missing, unexpected or mismatched."""
        local = {n: p for n, p in self._parameters.items() if p is not None}
        local.update((n, b) for n, b in self._buffers.items()
                     if b is not None and n not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, current in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected '
                    f"{_names.prefix}.Tensor or "
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
                continue
            if current.ndim == 0 and value.ndim == 1:
                value = value[0]  # old checkpoints stored scalars as 1-element tensors
            if value.shape != current.shape:
                exc_text = (f"size mismatch for {key}: copying a param with shape "
                            f"{value.shape!r} from checkpoint, the shape in current model is "
                            f"{current.shape!r}.")
                error_msgs.append(exc_text)
                continue
            try:
                with no_grad():
                    if assign:
                        if isinstance(current, Parameter):
                            if not isinstance(value, Parameter):
                                value = Parameter(value, requires_grad=current.requires_grad)
                            else:
                                value.requires_grad_(current.requires_grad)
                        setattr(self, name, value)
                    else:
                        current.copy_(value)
            except Exception as ex:  # noqa: BLE001
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model '
                    f"are {current.shape!r} and whose dimensions in the checkpoint are "
                    f"{value.shape!r}, an exception occurred : {ex.args}."
                )
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix):
                    first = key[len(prefix):].split(".", 1)[0]
                    if first not in self._modules and first not in local:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from state_dict into this module (and descendants).

        strict=True raises PyTorch's RuntimeError listing missing and unexpected keys; either
        way the (missing_keys, unexpected_keys) named tuple is returned. A shape mismatch is
        always an error."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)

        def load(module, local_state, prefix):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state, prefix, local_metadata, True, missing,
                                         unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state.items()
                                 if k.startswith(child_prefix)}, child_prefix)

        load(self, dict(state_dict), "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            exc = RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
            if missing or unexpected:
                note(exc, "The checkpoint's keys must match model.state_dict().keys(): compare "
                          "them, or pass strict=False to load the keys that do match.")
            raise exc
        return _IncompatibleKeys(missing, unexpected)

    # -- printing -------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's printed form (its settings)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): {_indent(repr(module), 2)}"
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def __setstate__(self, state):
        self.__dict__.update(state)
        d = self.__dict__
        for name in _HOOK_DICTS:
            d.setdefault(name, OrderedDict())
        d.setdefault("_non_persistent_buffers_set", set())
        d.setdefault("_is_full_backward_hook", None)


def _discard(name, d, *stores):
    for store in stores:
        if name in store:
            if isinstance(store, set):
                store.discard(name)
            else:
                del store[name]
    d.pop(name, None)


class _DictHandle(RemovableHandle):
    """A hook handle over a dict of hooks keyed by handle id (in calling order); removing it
    also drops its id from the ``extra`` registries (with_kwargs, always_call)."""

    __slots__ = ("_extra",)

    def __init__(self, hooks, fn, extra=(), prepend=False):
        self.id = next(RemovableHandle._next_id)
        self._hooks = hooks
        self._fn = fn
        self._extra = extra
        hooks[self.id] = fn
        if prepend:
            hooks.move_to_end(self.id, last=False)

    def remove(self):
        self._hooks.pop(self.id, None)
        for store in self._extra:
            store.pop(self.id, None)


def _legacy_hook(module, hook):
    def wrapped(grad_input, grad_output):
        return hook(module, grad_input, grad_output)

    return wrapped


# -- full backward hooks ------------------------------------------------------------------------
class BackwardHookFunctionBackward(Node):
    """Identity on a group of tensors; its backward hands their gradients to a callback
    (which may replace them) and passes them on unchanged."""

    __slots__ = ("n_outputs", "_callback", "_shapes")

    def apply(self, grads, create_graph):
        # a gradient that did not arrive is zeros, as for a custom Function (materialize_grads)
        grads = tuple(_make(np.zeros(*m)) if g is None else g
                      for g, m in zip(grads, self._shapes))
        new = self._callback(grads)
        return grads if new is None else tuple(new)


def _identity_node(tensors, callback):
    """The tensors passed through one BackwardHookFunctionBackward node: those requiring grad
    come back as new tensors (sharing data) whose grad_fn is the node."""
    edges, meta = [], []
    for t in tensors:
        if t._requires_grad:
            fn = t._grad_fn
            edges.append((fn, t._output_nr) if fn is not None else (accumulator(t), 0))
            meta.append((t._data.shape, t._data.dtype))
        else:
            edges.append((None, 0))
            meta.append(None)
    node = BackwardHookFunctionBackward(tuple(edges), meta)
    node.n_outputs = len(tensors)
    node._callback = callback
    node._shapes = [(t._data.shape, t._data.dtype) for t in tensors]
    out = []
    for i, t in enumerate(tensors):
        if t._requires_grad:
            n = _make(t._data, True, node)
            n._output_nr = i
            n._version = t._version
            out.append(n)
        else:
            out.append(t)
    return out


class _BackwardHook:
    """Links one call's output gradients with its input gradients for the module's hooks."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    @staticmethod
    def _pack(indices, values, size):
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    @staticmethod
    def _wrap(args, callback):
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (_grad_state.enabled and any(args[i]._requires_grad for i in index)):
            return args, None
        new = _identity_node([args[i] for i in index], callback)
        out = list(args)
        for i, t in zip(index, new):
            out[i] = t
        return tuple(out), index

    def setup_input_hook(self, args):
        res, self.input_index = self._wrap(args, self._input_grads)
        self.n_inputs = len(args)
        return res

    def _input_grads(self, grads):
        if self.grad_outputs is None:
            return None
        res = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        args = (result,) if single else result
        res, self.output_index = self._wrap(args, self._output_grads)
        self.n_outputs = len(args)
        return res[0] if single else res

    def _output_grads(self, grads):
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(new)}, but expected "
                                   f"{len(self.grad_outputs)}")
            self.grad_outputs = tuple(new)
        local = self.grad_outputs
        if self.input_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=5)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_index)

