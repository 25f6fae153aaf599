"""Parameter: a Tensor that a Module registers as one of its learnable weights; Buffer: one it
registers as state that is not learned."""

import numpy as np

from .. import _dtype
from .._errors import note
from .._tensor import Tensor, _init, _make
from .._tensor_str import tensor_repr


class Buffer(Tensor):
    """A tensor that, assigned to a Module attribute, is registered as a buffer (persistent:
    whether state_dict holds it). ``Buffer(t)`` shares t's data, detached, keeping its
    requires_grad."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = _make(np.empty((0,), _dtype.get_default_dtype().np))
        elif not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        _init(self, data)
        self._grad_fn = None
        self._output_nr = 0
        self._grad = None
        self._base = None
        self._acc = None
        self._hooks = None
        self._requires_grad = data._requires_grad
        self.persistent = persistent


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a Module attribute
    registers it, so that ``module.parameters()`` (and hence an optimizer) sees it.

    ``Parameter(t)`` shares t's data (no copy)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _make(np.empty((0,), _dtype.get_default_dtype().np))
        elif not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        _init(self, data)
        self._grad_fn = None
        self._output_nr = 0
        self._grad = None
        self._base = None
        self._acc = None
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            if data._data.dtype.kind not in "fc":
                exc = RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients"
                )
                note(exc, "Pass requires_grad=False for an integer Parameter, or convert "
                             "the data with .float().")
                raise exc
            self._requires_grad = True

    def __repr__(self):
        fn = self._grad_fn
        return tensor_repr(
            self._data,
            dtype_name=self.dtype.name,
            default_dtype_name=_dtype.get_default_dtype().name,
            requires_grad=self._requires_grad,
            grad_fn_name=None if fn is None else type(fn).__name__,
            prefix="Parameter containing:\ntensor(",
            indent=7,
        )

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(_make(data), requires_grad)

