"""Parameter: a Tensor that a Module registers as one of its learnable weights; Buffer: one it
registers as state that is not learned."""

import numpy as np

from .. import _dtype
from .._dtype import from_np
from .._errors import note
from .._tensor import Tensor, _init, _make
from .._tensor_str import tensor_repr


def _adopt(self, data, kind):
    """Make ``self`` a detached leaf sharing ``data``'s array (an empty one without data);
    returns the data tensor."""
    if data is None:
        data = _make(np.empty((0,), _dtype.get_default_dtype().np))
    elif not isinstance(data, Tensor):
        raise TypeError(f"{kind}(): argument 'data' must be Tensor, not {type(data).__name__}")
    _init(self, data)
    self._grad_fn = None
    self._output_nr = 0
    self._grad = None
    self._base = None
    self._acc = None
    self._hooks = None
    return data


class Buffer(Tensor):
    """A tensor that, assigned to a Module attribute, is registered as a buffer (persistent:
    whether state_dict holds it). ``Buffer(t)`` shares t's data, detached, keeping its
    requires_grad."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        data = _adopt(self, data, "Buffer")
        self._requires_grad = data._requires_grad
        self.persistent = persistent


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a Module attribute
    registers it, so that ``module.parameters()`` (and hence an optimizer) sees it.

    ``Parameter(t)`` shares t's data (no copy)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        data = _adopt(self, data, "Parameter")
        self._requires_grad = False
        if requires_grad:
            if data._data.dtype.kind not in "fcV":
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



_UNINIT_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                 "usually happens in `load_state_dict` when trying to load an uninitialized "
                 "parameter into an initialized one. Call `forward` to initialize the "
                 "parameters before accessing their attributes.")


class _Uninitialized:
    """What the lazy modules' placeholders share: no shape until materialize(shape) gives
    them data, when they become a Parameter (or a plain Tensor)."""

    __slots__ = ()
    cls_to_become = None

    @property
    def shape(self):
        raise RuntimeError(_UNINIT_SHAPE)

    def size(self, dim=None):
        raise RuntimeError(_UNINIT_SHAPE)

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder uninitialized data of ``shape`` (its dtype unless given)."""
        dt = (dtype or from_np[self._data.dtype]).np
        self._data = np.empty(tuple(shape), dt)
        self._version[0] += 1
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter whose shape a lazy module fixes on its first call."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        dt = (dtype or _dtype.get_default_dtype()).np
        super().__init__(_make(np.empty((0,), dt)), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape a lazy module fixes on its first call."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        dt = (dtype or _dtype.get_default_dtype()).np
        _init(self, _make(np.empty((0,), dt)))
        self._grad_fn = None
        self._output_nr = 0
        self._grad = None
        self._base = None
        self._acc = None
        self._hooks = None
        self._requires_grad = requires_grad
