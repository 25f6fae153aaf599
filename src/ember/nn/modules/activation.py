"""Activation modules: each wraps its nn.functional form (ReLU, GELU, Softmax, ...).

They are declared rather than written out: the class statement

    class LeakyReLU(_Activation, fn=F.leaky_relu, params={"negative_slope": 1e-2, "inplace": False})

gives LeakyReLU an ``__init__(negative_slope=0.01, inplace=False)`` that stores each parameter
as an attribute, a ``forward(input)`` that returns ``fn(input, negative_slope, inplace)`` (the
attributes in the parameters' order), and PyTorch's ``extra_repr``: ``repr_format`` filled in
with the attributes (by default ``name=value`` for each parameter but inplace), followed by
"inplace=True" when inplace is set. What a class body defines itself (Hardtanh's ``__init__``)
stays as written. The constructors check their arguments as Python would, with its messages,
and ``inspect.signature`` shows PyTorch's parameters.
"""

import inspect
import warnings
from operator import attrgetter

from ..._tensor import Tensor
from ...ops import creation as _creation
from .. import functional as F
from .. import init as _nn_init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "RReLU", "ReLU", "ReLU6", "SELU",
    "SiLU", "Sigmoid", "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign",
    "Tanh", "Tanhshrink", "Threshold",
]

_REQUIRED = inspect.Parameter.empty  # a parameter without a default
_INPLACE = {"inplace": False}


def _listed(names):
    """'a', 'a' and 'b', or 'a', 'b', and 'c', as Python lists missing arguments."""
    quoted = [f"'{name}'" for name in names]
    if len(quoted) < 3:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _bind(where, params, args, kwargs):
    """The values of params (name -> default, in order) for a call with args and kwargs,
    checked as Python checks a call, with its TypeError texts (where: 'ReLU.__init__()')."""
    names = list(params)
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name not in params:
            raise TypeError(f"{where} got an unexpected keyword argument '{name}'")
        if name in values:
            raise TypeError(f"{where} got multiple values for argument '{name}'")
        values[name] = value
    if len(args) > len(names):
        most = len(names) + 1  # self counts
        least = most - sum(default is not _REQUIRED for default in params.values())
        takes = f"from {least} to {most}" if least < most else str(most)
        raise TypeError(f"{where} takes {takes} positional argument{'s' if most > 1 else ''} "
                        f"but {len(args) + 1} were given")
    missing = [name for name in names if name not in values and params[name] is _REQUIRED]
    if missing:
        raise TypeError(f"{where} missing {len(missing)} required positional "
                        f"argument{'s' if len(missing) > 1 else ''}: {_listed(missing)}")
    return {name: values.get(name, params[name]) for name in names}


def _init(cls):
    """cls.__init__ for its declared parameters: each one becomes an attribute, in order."""
    params = cls._params
    where = f"{cls.__qualname__}.__init__()"

    def __init__(self, *args, **kwargs):
        values = _bind(where, params, args, kwargs)
        super(cls, self).__init__()
        for name, value in values.items():
            setattr(self, name, value)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", kind)]
        + [inspect.Parameter(name, kind, default=default) for name, default in params.items()])
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _forward(cls, fn):
    """cls.forward: fn(input, *the declared parameters' attributes), a single call. Up to three
    parameters are read by a getter each, which is faster than unpacking a tuple of them."""
    names = tuple(cls._params)
    get = [attrgetter(name) for name in names]
    if not names:
        def forward(self, input):
            return fn(input)
    elif len(names) == 1:
        (a,) = get

        def forward(self, input):
            return fn(input, a(self))
    elif len(names) == 2:
        a, b = get

        def forward(self, input):
            return fn(input, a(self), b(self))
    elif len(names) == 3:
        a, b, c = get

        def forward(self, input):
            return fn(input, a(self), b(self), c(self))
    else:
        values = attrgetter(*names)

        def forward(self, input):
            return fn(input, *values(self))

    forward.__qualname__ = f"{cls.__qualname__}.forward"
    return forward


class _Activation(Module):
    """The base of the declared activations; the class keywords are the declaration:

    fn: the functional form; params: the constructor's parameters, name -> default (_REQUIRED
    for none), in PyTorch's order (none: Module's constructor); repr_format: extra_repr's text
    as a str.format template of the attributes, where it is not the default ("name=value, ..."
    for the parameters but inplace).
    """

    _params = {}
    _repr_format = ""

    def __init_subclass__(cls, fn=None, params=None, repr_format=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if fn is None:  # not a declaration: a base of some activations, or a user's subclass
            return
        cls._params = dict(params or {})
        if repr_format is None:
            repr_format = ", ".join(f"{name}={{{name}}}" for name in cls._params
                                    if name != "inplace")
        cls._repr_format = repr_format
        if cls._params and "__init__" not in cls.__dict__:
            cls.__init__ = _init(cls)
        if "forward" not in cls.__dict__:
            cls.forward = _forward(cls, fn)

    def extra_repr(self):
        text = self._repr_format.format_map({name: getattr(self, name) for name in self._params})
        if "inplace" in self._params and self.inplace:
            text += ", inplace=True" if text else "inplace=True"
        return text


# -- rectifiers and their smooth variants ---------------------------------------------------------
class ReLU(_Activation, fn=F.relu, params=_INPLACE):
    """max(x, 0) elementwise."""


class LeakyReLU(_Activation, fn=F.leaky_relu, params={"negative_slope": 1e-2, "inplace": False}):
    """x for x > 0, negative_slope * x otherwise."""


class ELU(_Activation, fn=F.elu, params={"alpha": 1.0, "inplace": False}):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""


class CELU(_Activation, fn=F.celu, params={"alpha": 1.0, "inplace": False}):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""


class SELU(_Activation, fn=F.selu, params=_INPLACE):
    """Scaled ELU with the self-normalizing constants."""


class GELU(_Activation, fn=F.gelu, params={"approximate": "none"},
           repr_format="approximate={approximate!r}"):
    """x * Phi(x); approximate='tanh' for the tanh approximation."""


class SiLU(_Activation, fn=F.silu, params=_INPLACE):
    """x * sigmoid(x)."""


class Mish(_Activation, fn=F.mish, params=_INPLACE):
    """x * tanh(softplus(x))."""


class Softplus(_Activation, fn=F.softplus, params={"beta": 1.0, "threshold": 20.0}):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""


# -- piecewise linear -----------------------------------------------------------------------------
class Hardtanh(_Activation, fn=F.hardtanh,
               params={"min_val": -1.0, "max_val": 1.0, "inplace": False}):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        super().__init__()
        for old, new in ((min_value, "min"), (max_value, "max")):
            if old is not None:
                warnings.warn(f"keyword argument `{new}_value` is deprecated and renamed to "
                              f"`{new}_val`", FutureWarning, stacklevel=2)
        if min_value is not None:
            min_val = min_value
        if max_value is not None:
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(
                f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) elementwise: Hardtanh between 0 and 6, as in PyTorch."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(_Activation, fn=F.hardsigmoid, params=_INPLACE):
    """relu6(x + 3) / 6."""

    def extra_repr(self):
        return ""  # PyTorch prints no inplace flag for it


class Hardswish(_Activation, fn=F.hardswish, params=_INPLACE):
    """x * relu6(x + 3) / 6."""

    def extra_repr(self):
        return ""  # PyTorch prints no inplace flag for it


class Threshold(_Activation, fn=F.threshold,
                params={"threshold": _REQUIRED, "value": _REQUIRED, "inplace": False}):
    """x where x > threshold, value elsewhere."""


class Hardshrink(_Activation, fn=F.hardshrink, params={"lambd": 0.5}, repr_format="{lambd}"):
    """x where |x| > lambd, 0 elsewhere."""


class Softshrink(_Activation, fn=F.softshrink, params={"lambd": 0.5}, repr_format="{lambd}"):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""


# -- without settings -----------------------------------------------------------------------------
class Sigmoid(_Activation, fn=Tensor.sigmoid):
    """1 / (1 + exp(-x)) elementwise."""


class Tanh(_Activation, fn=Tensor.tanh):
    """tanh(x) elementwise."""


class LogSigmoid(_Activation, fn=F.logsigmoid):
    """log(sigmoid(x)), computed without overflow."""


class Softsign(_Activation, fn=F.softsign):
    """x / (1 + |x|)."""


class Tanhshrink(_Activation, fn=F.tanhshrink):
    """x - tanh(x)."""


# -- along a dimension ----------------------------------------------------------------------------
class _SoftmaxBase(_Activation):
    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None


class Softmax(_SoftmaxBase, fn=F.softmax, params={"dim": None}):
    """Normalizes each slice along ``dim`` into probabilities."""


class LogSoftmax(_SoftmaxBase, fn=F.log_softmax, params={"dim": None}):
    """log(softmax(x)) along ``dim``, computed without overflow."""


class Softmin(_SoftmaxBase, fn=F.softmin, params={"dim": None}):
    """softmax(-x) along ``dim``: the smallest entries get the largest weights."""


class Softmax2d(_Activation):
    """Softmax over the channels at each spatial position of (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             "instead")
        return F.softmax(input, -3)


class GLU(_Activation, fn=F.glu, params={"dim": -1}):
    """a * sigmoid(b), a and b the halves of the input along ``dim``."""


class RReLU(_Activation, fn=F.rrelu, params={"lower": 1.0 / 8, "upper": 1.0 / 3,
                                             "inplace": False}):
    """leaky_relu with a random slope in [lower, upper) while training, the mean slope in
    eval mode."""

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class PReLU(Module):
    """leaky_relu with a learned slope: one shared (num_parameters=1) or one per channel."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(_creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        _nn_init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
