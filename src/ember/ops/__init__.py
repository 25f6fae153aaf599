"""Every op, by family: its forward on arrays and its rules beside it.

This package is also the one place where Tensor gets its methods and operators: each module
lists the ones it provides in TENSOR_METHODS, and ``_install`` attaches them all to the class.
The modules import one another in one direction only, in the order listed here.

Every public op runs with NumPy's floating-point warnings off (PyTorch makes inf and nan
silently): ``_install`` wraps each one that does not already silence NumPy around its own
array work (the arithmetic and unary kernels do, to keep the per-op cost small). The same
wrapper is where a transform such as vmap sees the op (``_dispatch``); the arithmetic and unary
kernels ask it themselves, off their fast path. It is also where the ops PyTorch gives ``out=``
(``_out.OUT``) take it: a keyword-only parameter, free when it is not given, that hands the
result to ``_out`` when it is.
"""

import functools
import inspect
import types

from .._dispatch import state as _dispatch
from .._errstate import restore, silence
from .._tensor import DimTypeError, Tensor
from ..autograd import engine
from . import (
    _inplace,
    _low,
    _nn_common,
    _op,
    _out,
    activation,
    complex,
    composite,
    conv,
    copy,
    creation,
    decomposition,
    dropout,
    elementwise,
    embedding,
    gamma,
    indexing,
    legacy,
    linalg,
    linear,
    lobpcg,
    loss,
    normalization,
    padding,
    pooling,
    random,
    reduction,
    rnn,
    sampling,
    shape,
    sorting,
    special_fns,
    spectral,
    strided,
)

_ = (_op, _inplace, _nn_common)  # shared machinery: recording nodes, in-place rules, nn helpers

# the op families, each importing only those before it
_MODULES = (creation, shape, indexing, elementwise, reduction, sorting, copy, strided, legacy,
            random, linalg, complex, decomposition, activation, linear, loss, normalization,
            dropout, embedding, conv, pooling, padding, sampling, spectral, gamma, special_fns,
            composite, rnn, lobpcg)


_ODD_CHARS = _low.ODD_CHARS  # the dtypes PyTorch's CPU treats apart: uint16/32/64, float8


_NO_OUT = object()


def public(fn, name, method=False, guarded=None, takes_out=False):
    """``fn`` as the public op ``name``: NumPy's floating-point warnings off while it runs, and
    the dispatch seam asked first while a transform such as vmap is active. ``guarded``: fn
    under its refusal rules for the dtypes PyTorch treats apart, run when a call may hold one.
    ``takes_out``: PyTorch's ``out=`` keyword is taken (see ``_out``)."""

    @functools.wraps(fn)
    def run(*args, out=_NO_OUT, **kwargs):
        if out is not _NO_OUT:
            if takes_out:
                if out is not None:
                    return _out.call(run, name, args, kwargs, out)
            else:
                kwargs["out"] = out  # fn's own TypeError
        if _dispatch.depth or _dispatch.owner:
            result = _dispatch.ask(name, run, args, kwargs)
            if result is not NotImplemented:
                return result
        call = fn
        if guarded is not None:  # (inline: this is every op's path)
            if kwargs:
                call = guarded
            else:
                for a in args:
                    if a.__class__ is Tensor:
                        if a._data.dtype.char in _ODD_CHARS:
                            call = guarded
                            break
                    elif a.__class__ is list or isinstance(a, Tensor):
                        call = guarded
                        break
        token = silence()
        try:
            return call(*args, **kwargs)
        except DimTypeError as e:
            raise _named(e, fn, name, args, kwargs, method) from None
        finally:
            restore(token)

    run.quiet = True
    return run


def _named(exc, fn, name, args, kwargs, method):
    """PyTorch's text for a dim that is not an int: the op, the argument and its position
    (counted from 1, self excluded for a method)."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return exc
    for i, (param, value) in enumerate(bound.items()):
        if value is exc.value:
            return TypeError(f"{name}(): argument '{param}' (position {i if method else i + 1}) "
                             f"must be int, not {type(value).__name__}")
    return exc


def public_out(fn, name, guarded=None):
    """``public(fn, name)`` that also takes PyTorch's ``out=`` keyword (see ``_out``)."""
    return public(fn, name, guarded=guarded, takes_out=True)


def with_out(fn, name):
    """A kernel that silences NumPy itself (``fn.quiet``), given the ``out=`` keyword."""

    @functools.wraps(fn)
    def run(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return _out.call(fn, name, args, kwargs, out)

    run.quiet = True
    return run


def _quiet(module, done):
    """Wrap the module's public functions and Tensor methods with ``public`` (once each)."""

    def wrap(fn, name, out=False, method=False):
        if not isinstance(fn, types.FunctionType):
            return fn
        key = (fn, name, out, method)  # one wrapper per name: the dispatch seam is told the op
        if key not in done:
            if getattr(fn, "quiet", False):  # float16/bfloat16 in float32, PyTorch's refusals
                fn = _low.wrap(fn, name, guard=not getattr(fn, "guards_itself", False))
                done[key] = with_out(fn, name) if out else fn
            else:  # the refusals for uint16/32/64 and float8 looked at by the public wrapper
                fn = _low.wrap(fn, name, guard=False)
                guarded = _low.guarded(fn, name)
                done[key] = public_out(fn, name, guarded) if out else \
                    public(fn, name, method, guarded)
        return done[key]

    for name in (*getattr(module, "__all__", ()), *getattr(module, "FUNCTIONAL", ()),
                 *getattr(module, "LINALG", ())):
        setattr(module, name, wrap(getattr(module, name), name, name in _out.OUT))
    methods = module.TENSOR_METHODS
    for name, fn in methods.items():
        if name != "__init__":
            methods[name] = wrap(fn, name, method=True)


def _install():
    done = {}
    for module in _MODULES:
        _quiet(module, done)
    owner = {}
    for module in (engine, *_MODULES):
        for name, fn in module.TENSOR_METHODS.items():
            assert name not in owner, f"Tensor.{name}: both {owner[name]} and {module.__name__}"
            owner[name] = module.__name__
            setattr(Tensor, name, fn)


_install()
