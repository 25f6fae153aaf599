"""Tensor: an array plus autograd metadata.

Nothing here computes: every operator and op method (``+``, ``x.sum()``, ``x.backward()``,
even the legacy ``Tensor(2, 3)`` constructor) is attached to the class by ember.ops, which
registers them all in one place.
"""

import warnings
import weakref

import numpy as np

from . import _dtype, _names
from ._device import cpu
from ._dtype import from_np
from ._errors import note
from ._hooks import RemovableHandle

_new = object.__new__
_ndarray = np.ndarray


class Size(tuple):
    """A tensor's shape: a tuple of ints, printed as ``ember.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"{_names.prefix}.Size({list(self)!r})"

    def __reduce__(self):
        # through a function whose module never changes: loads with or without the torch alias
        return (_rebuild_size, (tuple(self),))

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``_data`` is always an ndarray (0-d for scalars). ``_version`` is a one-item list shared by
    a tensor, its views and its ``detach()``; in-place ops bump it so that backward can tell
    when a saved tensor was changed. A view (``_base`` set) keeps in ``_vv`` the version its
    history belongs to: once its base has changed in place (through the base or another
    view), its history is made again on use (``refresh_view``), as PyTorch regenerates it.
    """

    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_version",
                 "_base", "_vv", "_acc", "_hooks", "__weakref__")


    # -- metadata --------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return from_np[self._data.dtype]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_floating_point(self):
        return self._data.dtype.kind in "fV"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    @property
    def is_cuda(self):
        return False

    @property
    def device(self):
        return cpu

    def stride(self, dim=None):
        d = self._data
        if d.size == 0:
            # NumPy reports 0 strides for empty arrays; PyTorch reports contiguous ones
            st, acc = [], 1
            for s in reversed(d.shape):
                st.append(acc)
                acc *= max(s, 1)
            st = tuple(reversed(st))
        else:
            st = tuple(s // d.itemsize for s in d.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def _is_view(self):
        return self._base is not None

    # -- autograd metadata -----------------------------------------------------------------
    @property
    def requires_grad(self):
        if self._base is not None and self._vv != self._version[0]:
            view_refresh(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self._set_requires_grad(bool(flag), "only Tensors of floating point and complex dtype "
                                "can require gradients", setter=True)

    def requires_grad_(self, requires_grad=True):
        self._set_requires_grad(bool(requires_grad), "only Tensors of floating point dtype can "
                                "require gradients", setter=False)
        return self

    def _set_requires_grad(self, flag, dtype_message, setter):
        if self._grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            if setter:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            return
        if flag and self._data.dtype.kind not in "fcV":
            exc = RuntimeError(dtype_message)
            note(exc, f"This tensor is {self.dtype}; create it with floats, e.g. "
                         "ember.tensor([1.0, 2.0]), or convert it with .float().")
            raise exc
        self._requires_grad = flag

    @property
    def grad_fn(self):
        if self._base is not None and self._vv != self._version[0]:
            view_refresh(self)
        return self._grad_fn

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def _version_number(self):
        return self._version[0]

    @property
    def grad(self):
        if self._grad_fn is not None and not (self._hooks and self._hooks.retains_grad):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
                "more information.",
                UserWarning,
                stacklevel=2,
            )
            if grad_hint is not None:
                grad_hint(self)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value.dtype.name]}' "
                    f"to a tensor with grad_dtype '{self.dtype.word}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's "
                    "dtype). You can set the tensor's grad_dtype attribute with a specific dtype, "
                    "or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes "
                    "of a tensor and its gradient may break downstream systems that assume they "
                    "match."
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return bool(self._hooks and self._hooks.retains_grad)

    def retain_grad(self):
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        _node_hooks(self).retains_grad = True

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        hooks = _node_hooks(self) if self._grad_fn is not None else _tensor_hooks(self)
        return RemovableHandle(hooks.hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        return RemovableHandle(_tensor_hooks(self).post_accumulate, hook)

    # -- .data, detach ---------------------------------------------------------------------
    @property
    def data(self):
        t = _make(self._data)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    def detach(self):
        t = _make(self._data)
        t._version = self._version
        return t

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    # -- conversion to Python and NumPy ----------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item() if self._data.ndim else self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            exc = RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
            note(exc, "numpy() shares memory with the tensor; detach() first so the "
                         "array is not part of the autograd graph.")
            raise exc
        d = self._data
        if d.dtype.itemsize == 1 and d.dtype.kind in "fV":  # float8: NumPy has no such type
            raise TypeError(f"Got unsupported ScalarType {_dtype.from_np[d.dtype].word}")
        return d

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            self.numpy()  # raises PyTorch's error
        a = self._data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    # NumPy defers `ndarray * tensor` and `np.float64(2) * tensor` to Tensor's reflected
    # operators; ufuncs such as np.sin(tensor) give back a tensor (as in PyTorch)
    __array_priority__ = 1000

    def __array_wrap__(self, array, context=None, return_scalar=False):
        return _make(np.asarray(array))

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()).item())

    def __bool__(self):
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            exc = RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
            note(exc, "`if` and `while` need one True/False: reduce first, e.g. with "
                         "(a == b).all() or (a > 0).any().")
            raise exc
        return bool(self._data.reshape(()).item())

    def __complex__(self):
        return complex(self._scalar("complex"))

    def _scalar(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        v = self._data.reshape(()).item()
        if v.__class__ is complex and kind != "complex":  # a real number only when imag is 0
            if v.imag:
                raise RuntimeError("value cannot be converted to type "
                                   f"{'double' if kind == 'float' else 'int64_t'} without overflow")
            v = v.real
        return v

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __format__(self, spec):
        # PyTorch formats a plain 0-d tensor as its Python number, for every spec (the empty
        # one too); any other tensor, a subclass's 0-d one included, formats as str() with the
        # empty spec and raises object.__format__'s TypeError with any other
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr

        fn = self._grad_fn
        tangent = None if tangent_of is None else tangent_of(self)
        return tensor_repr(
            self._data,
            dtype_name=self.dtype.name,
            default_dtype_name=_dtype.get_default_dtype().name,
            requires_grad=self._requires_grad,
            grad_fn_name=None if fn is None else type(fn).__name__,
            tangent=None if tangent is None else f"{tangent}",
        )

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                "be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        t = type(self).__new__(type(self))
        _init(t, _make(self._data.copy(), self._requires_grad))
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t



def _rebuild(data, requires_grad):
    return _make(data, requires_grad)


def _rebuild_size(sizes):
    return Size(sizes)


_C_NAMES = {"float32": "float", "float64": "double", "float16": "half", "int64": "long",
            "int32": "int", "int16": "short", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "complex<float>", "complex128": "complex<double>",
            "bfloat16": "c10::BFloat16"}


def _type_name(data):
    return f"{_names.prefix}.{from_np[data.dtype].word}Tensor"


class _TensorHooks:
    """Rarely used per-tensor state, kept off the hot path: hooks and retain_grad."""

    __slots__ = ("hooks", "post_accumulate", "retains_grad")

    def __init__(self):
        self.hooks = []
        self.post_accumulate = []
        self.retains_grad = False


def _tensor_hooks(t):
    if t._hooks is None:
        t._hooks = _TensorHooks()
    return t._hooks


def _node_hooks(t):
    """A non-leaf's hooks run when its grad_fn receives the gradient: register them there.

    The node holds the tensor weakly, so hooks never keep a tensor alive.
    """
    hooks = _tensor_hooks(t)
    fn = t._grad_fn
    entries = fn._retain_hooks
    if entries is None:
        entries = fn._retain_hooks = []
    if not any(ref() is t for nr, ref in entries):
        entries.append((t._output_nr, weakref.ref(t)))
    return hooks


# set by ember.autograd: explains a non-leaf .grad read in plain words (a seam: the Tensor layer
# knows no graph nodes)
grad_hint = None
# set by ember.autograd.forward_ad while a dual level is entered: a tensor's tangent (or None),
# which printing shows as PyTorch does
tangent_of = None


class InferenceVersion(list):
    """The version counter of a tensor made in inference mode (is_inference() reads its type)."""

    __slots__ = ()


# set by autograd.grad_mode's inference_mode while it is entered (a seam: the Tensor layer
# knows no grad mode); tensors made meanwhile get an InferenceVersion counter
inference_on = False


def view_refresh(view):
    """A view whose base changed in place since its history was recorded: its history made
    again from the base's (set by the ops layer, which knows how)."""
    view._vv = view._version[0]


def _make(data, requires_grad=False, grad_fn=None):
    """A new Tensor around an ndarray, with a fresh version counter (the hot constructor)."""
    t = _new(Tensor)
    t._data = data
    t._requires_grad = requires_grad
    t._grad_fn = grad_fn
    t._output_nr = 0
    t._grad = None
    t._version = InferenceVersion((0,)) if inference_on else [0]
    t._base = None
    t._vv = 0
    t._acc = None
    t._hooks = None
    return t


def _init(t, src):
    """Fill an already created tensor (a subclass instance) from another's fields."""
    for name in Tensor.__slots__[:-1]:
        object.__setattr__(t, name, getattr(src, name))


class DimTypeError(TypeError):
    """A dim that is not an int. The public op that was given it (ops/__init__.py's wrapper)
    names itself, the argument and its position, as PyTorch's argument parser does."""

    def __init__(self, value):
        super().__init__(f"argument 'dim' must be int, not {type(value).__name__}")
        self.value = value


def _dim_int(dim):
    """A dim as PyTorch's parser reads an int: an int, a NumPy integer or a 0-d integer tensor."""
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, (bool, np.bool_)):
        return int(dim)
    if isinstance(dim, Tensor) and dim._data.ndim == 0 and dim._data.dtype.kind in "iu":
        return int(dim._data)
    raise DimTypeError(dim)


def _wrap_dim(dim, ndim):
    if dim.__class__ is not int:
        dim = _dim_int(dim)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        exc = IndexError(
            f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
            f"{max(ndim, 1) - 1}], but got {dim})"
        )
        raise exc
    return dim % ndim if ndim else 0
