"""MaskedTensor: a tensor whose elements are either specified (mask True) or masked out.

A MaskedTensor holds two tensors of one shape: its data (which carries the autograd history)
and its boolean mask. It is a Tensor to ``isinstance`` and answers Tensor's questions about
itself (shape, dtype, requires_grad, grad, ...) from its data. Every op given a MaskedTensor
is offered to ``handle`` first (``ember._dispatch``'s owner
seam), which runs the op's rule from ``RULES`` on the data and the mask, or refuses the op as
PyTorch does. ``ember.masked._rules`` fills ``RULES``.
"""

import warnings

from ... import _dispatch, _names
from ..._dtype import bool as _bool
from ..._dtype import float16, float32, float64, int8, int16, int32, int64
from ..._tensor import Tensor

__all__ = ["MaskedTensor", "is_masked_tensor"]

_SUPPORTED = (float16, float32, float64, _bool, int8, int16, int32, int64)

# ember's op name -> the name of the kernel PyTorch refuses, where they differ
_ATEN = {"log_softmax": "_log_softmax", "norm": "linalg_vector_norm", "T": "permute"}

# op name -> rule(fn, args, kwargs): the ops a MaskedTensor supports (see ember.masked._rules)
RULES = {}


def is_masked_tensor(obj, /):
    """Returns True if the input is a MaskedTensor, else False."""
    return isinstance(obj, MaskedTensor)


def _array(self):
    return self._masked_data._data


def _delegate(name):
    def method(self, *args, **kwargs):
        return getattr(self._masked_data, name)(*args, **kwargs)

    method.__name__ = name
    return method


def _delegate_property(name):
    return property(lambda self: getattr(self._masked_data, name), doc=f"The data's {name}.")


class MaskedTensor(Tensor):
    __slots__ = ("_masked_data", "_masked_mask")
    _data = property(_array)  # what the ops' dtype checks read before they ask `handle`

    def __new__(cls, data, mask, requires_grad=False):
        if is_masked_tensor(data) or not isinstance(data, Tensor):
            raise TypeError("data must be a Tensor")
        if is_masked_tensor(mask) or not isinstance(mask, Tensor):
            raise TypeError("mask must be a Tensor")
        warnings.warn(
            "The PyTorch API of MaskedTensors is in prototype stage and will change in the "
            "near future. Please open a Github issue for features requests and see our "
            "documentation on the torch.masked module for further information about the "
            "project.", UserWarning, stacklevel=2)
        if data.requires_grad:
            warnings.warn(
                "It is not recommended to create a MaskedTensor with a tensor that "
                "requires_grad. To avoid this, you can use data.detach().clone()",
                UserWarning, stacklevel=2)
        self = object.__new__(cls)
        for name in ("_requires_grad", "_grad_fn", "_grad", "_base", "_acc", "_hooks"):
            object.__setattr__(self, name, None)
        self._output_nr = 0
        self._vv = 0
        self._version = [0]
        # a new leaf: the data's history stays behind (as_masked_tensor keeps it)
        self._set_data_mask(data.detach().clone().requires_grad_(requires_grad), mask.clone())
        if _dispatch.state.owner is None:
            _dispatch.state.owner = handle
        return self

    def __init__(self, data, mask, requires_grad=False):
        pass

    @classmethod
    def _from_values(cls, data, mask):
        """A MaskedTensor over ``data`` itself: gradients flow back to ``data``."""
        self = cls(data.detach(), mask)
        self._masked_data = data.clone()
        return self

    def _set_data_mask(self, data, mask):
        self._masked_data = data
        self._masked_mask = mask
        self._validate_members()

    def _validate_members(self):
        data, mask = self._masked_data, self._masked_mask
        if type(data) is not type(mask):
            raise TypeError(f"data and mask must have the same type. Got {type(data)} and "
                            f"{type(mask)}")
        if mask.dtype != _bool:
            raise TypeError("mask must have dtype bool.")
        if data.dtype not in _SUPPORTED:
            raise TypeError(f"{data.dtype} is not supported in MaskedTensor.")
        if data.dim() != mask.dim():
            raise ValueError("data.dim() must equal mask.dim()")
        if data.size() != mask.size():
            raise ValueError("data.size() must equal mask.size()")

    # -- its two parts ---------------------------------------------------------------------
    def get_data(self):
        return self._masked_data

    def get_mask(self):
        return self._masked_mask

    def to_tensor(self, value):
        return self._masked_data.masked_fill(~self._masked_mask, value)

    def is_sparse_coo(self):
        return False

    def is_sparse_csr(self):
        return False

    @property
    def is_sparse(self):
        return False

    # -- what Tensor asks about itself: the data's answers ---------------------------------
    for _name in ("size", "dim", "ndimension", "numel", "nelement", "stride", "element_size",
                  "is_floating_point", "is_complex", "is_contiguous", "get_device",
                  "is_signed", "data_ptr", "retain_grad", "register_hook"):
        locals()[_name] = _delegate(_name)
    for _name in ("shape", "dtype", "ndim", "device", "layout", "itemsize", "nbytes",
                  "is_leaf", "grad_fn", "is_cuda", "retains_grad", "output_nr"):
        locals()[_name] = _delegate_property(_name)
    del _name

    @property
    def requires_grad(self):
        return self._masked_data.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._masked_data.requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self._masked_data.requires_grad_(requires_grad)
        return self

    @property
    def grad(self):
        g = self._masked_data.grad
        return None if g is None else MaskedTensor(g, self._masked_mask)

    @grad.setter
    def grad(self, value):
        self._masked_data.grad = value.get_data() if is_masked_tensor(value) else value

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if is_masked_tensor(gradient):
            gradient = gradient.get_data()
        self._masked_data.backward(gradient, retain_graph, create_graph, inputs)

    def pow(self, exponent):  # Tensor's pow and ** do not ask the owner: the rule is asked here
        return handle("pow", Tensor.pow, (self, exponent), {})

    __pow__ = pow

    def detach(self):
        return MaskedTensor(self._masked_data.detach(), self._masked_mask)

    def tolist(self):
        raise RuntimeError(".tolist() is not supported for tensor subclasses, got MaskedTensor")

    def __len__(self):
        return len(self._masked_data)

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (MaskedTensor._from_values, (self._masked_data, self._masked_mask))

    # -- printing ----------------------------------------------------------------------------
    def __repr__(self):
        data, mask = self._masked_data, self._masked_mask
        if data.dim() == 0:
            value = "--" if not mask.item() else _format(data.item())
            return f"MaskedTensor({value}, {mask.item()})"
        text = _nested(data.tolist(), mask.tolist())
        return "MaskedTensor(\n" + "\n".join("  " + line for line in text.split("\n")) + "\n)"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self) if not spec else format(str(self), spec)


def _format(value):
    return f"{value:8.4f}" if isinstance(value, float) else str(value)


def _nested(data, mask):
    """PyTorch's text of a MaskedTensor of one or more dimensions (nested lists)."""
    if not isinstance(data[0] if data else None, list):
        items = [_format(d) for d in data]
        width = max((8 if not m else len(s) for s, m in zip(items, mask)), default=0)
        return "[" + ", ".join(s if m else "--".rjust(width) for s, m in zip(items, mask)) + "]"
    rows = [_nested(d, m) for d, m in zip(data, mask)]
    rows = ["\n".join("  " + line for line in r.split("\n")) for r in rows]
    return "[\n" + ",\n".join(rows) + "\n]"


# -- the ops ---------------------------------------------------------------------------------
def _owns(args, kwargs):
    for a in (*args, *kwargs.values()):
        if isinstance(a, MaskedTensor):
            return True
        if a.__class__ in (list, tuple):
            for b in a:
                if isinstance(b, MaskedTensor):
                    return True
    return False


def handle(name, fn, args, kwargs):
    """Op ``name`` (``fn``) on arguments of which some may be MaskedTensors: the op's rule, or
    PyTorch's refusal of an op that MaskedTensor does not support."""
    if not _owns(args, kwargs):
        return NotImplemented
    rule = RULES.get(name)
    if rule is None:
        aten = _ATEN.get(name, name.strip("_") if name.startswith("__") else name)
        warnings.warn(
            f"{aten} is not implemented in __torch_dispatch__ for MaskedTensor.\nIf you would "
            "like this operator to be supported, please file an issue for a feature request "
            "at https://github.com/pytorch/maskedtensor/issues with a minimal reproducible "
            "code snippet.\nIn the case that the semantics for the operator are not trivial, "
            "it would be appreciated to also include a proposal for the semantics.",
            UserWarning, stacklevel=3)
        where = _names.module_name(MaskedTensor.__module__)
        raise TypeError(
            f"Multiple dispatch failed for '{_names.prefix}._ops.aten.{aten}.default'; all "
            f"__torch_dispatch__ handlers returned NotImplemented:\n\n  - tensor subclass "
            f"<class '{where}.MaskedTensor'>\n\nFor more information, try re-running with "
            "TORCH_LOGS=not_implemented")
    return rule(fn, args, kwargs)
