"""``torch.jit.script``: ScriptFunction, ScriptModule and RecursiveScriptModule.

ember compiles nothing: a scripted function or module runs its Python code eagerly, so its
values and gradients are those of the unscripted code. What TorchScript checks cheaply is
checked as it checks it: a lambda, ``*args``/``**kwargs`` or keyword-only defaults, mutable
default values, a class deriving from nn.Module, a built-in; and each call of a scripted
function checks its arguments against the signature TorchScript would compile (an argument
without annotation is a Tensor), with PyTorch's messages.
"""

import ast
import inspect
import os
import textwrap
import types
import typing
import warnings

from .._names import spell
from .._tensor import Tensor
from ..nn.modules.module import Module
from .frontend import NotSupportedError

__all__ = ["RecursiveScriptModule", "ScriptFunction", "ScriptModule", "ScriptWarning", "script"]


class ScriptWarning(Warning):
    pass


def _deprecated(what, instead="Please switch to `torch.compile` or `torch.export`."):
    warnings.warn(f"`torch.jit.{what}` is deprecated. {instead}", DeprecationWarning,
                  stacklevel=3)


# -- argument types ----------------------------------------------------------------------------
class _Type:
    """One argument type of a compiled signature: how the declaration writes it, how an
    error names it, and which Python values it accepts."""

    def __init__(self, decl, expected, check):
        self.decl, self.expected, self.check = decl, expected, check


def _any(v):
    return True


_TENSOR = _Type("Tensor", "Tensor", lambda v: isinstance(v, Tensor))
_SIMPLE = {
    int: _Type("int", "int", lambda v: isinstance(v, int)),
    float: _Type("float", "float", lambda v: isinstance(v, (int, float))),
    bool: _Type("bool", "bool", lambda v: isinstance(v, bool)),
    str: _Type("str", "str", lambda v: isinstance(v, str)),
    Tensor: _TENSOR,
}


def _type_of(ann):
    if ann in _SIMPLE:
        return _SIMPLE[ann]
    if isinstance(ann, str) and ann in ("Tensor", "torch.Tensor"):
        return _TENSOR
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _type_of(args[0] if args[1] is type(None) else args[1])
        return _Type(inner.decl + "?", f"Optional[{inner.expected}]",
                     lambda v: v is None or inner.check(v))
    if origin is list and len(args) == 1:
        inner = _type_of(args[0])
        return _Type(inner.decl + "[]", f"List[{inner.expected}]",
                     lambda v: isinstance(v, (list, tuple)) and all(map(inner.check, v)))
    text = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
    return _Type(text, text, _any)  # checked by Python when the code runs


def _default_text(v):
    if isinstance(v, float):
        text = repr(v)
        return text[:-1] if text.endswith(".0") else text
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def _type_name(v):
    if isinstance(v, Tensor):
        return "Tensor"
    return type(v).__name__


class _Signature:
    """The compiled signature of a function: ``f(Tensor x, int n, float s=1.) -> Tensor``."""

    def __init__(self, name, params, ret="Tensor"):
        self.name = name
        self.params = params  # [(name, _Type, inferred, has_default, default)]
        parts = [f"{t.decl} {p}" + (f"={_default_text(d)}" if has else "")
                 for p, t, _, has, d in params]
        self.decl = f"{name}({', '.join(parts)}) -> {ret}"

    def check(self, args, kwargs):
        params = self.params
        if len(args) + len(kwargs) > len(params):
            raise RuntimeError(f"{self.name}() expected at most {len(params)} argument(s) but "
                               f"received {len(args) + len(kwargs)} argument(s). "
                               f"Declaration: {self.decl}")
        used = 0
        for i, (pname, ptype, inferred, has_default, _) in enumerate(params):
            if i < len(args):
                value = args[i]
            elif pname in kwargs:
                value = kwargs[pname]
                used += 1
            elif has_default:
                continue
            else:
                raise RuntimeError(f"{self.name}() is missing value for argument '{pname}'. "
                                   f"Declaration: {self.decl}")
            if not ptype.check(value):
                self._type_error(i, pname, ptype, inferred, value)
        if used != len(kwargs):
            names = {p[0] for p in params}
            bad = next(k for k in kwargs if k not in names)
            raise RuntimeError(f"Unknown keyword argument '{bad}' for operator '{self.name}'. "
                               f"Schema: {self.decl}")

    def _type_error(self, i, pname, ptype, inferred, value):
        expected = ptype.expected + (" (inferred)" if inferred else "")
        lines = [f"{self.name}() Expected a value of type '{expected}' for argument '{pname}' "
                 f"but instead found type '{_type_name(value)}'."]
        if inferred:
            lines.append(f"Inferred '{pname}' to be of type 'Tensor' because it was not "
                         "annotated with an explicit type.")
        lines += [f"Position: {i}", f"Value: {value!r}", f"Declaration: {self.decl}"]
        if ptype is _TENSOR:
            lines.append(f"Cast error details: Unable to cast {value!r} to Tensor")
        else:
            lines.append(f"Cast error details: Unable to cast Python instance of type "
                         f"{type(value)} to C++ type '?' (#define "
                         "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for "
                         "details)")
        raise RuntimeError("\n".join(lines))


def _hints(fn):
    try:
        return typing.get_type_hints(fn)
    except Exception:  # an annotation Python cannot resolve: leave it unchecked
        return {}


def _signature_of(fn, name, *, traced=None):
    """The signature TorchScript compiles for ``fn``; for a traced function (``traced``
    the example arguments) the traced arguments are Tensors (those given as tensors)."""
    hints = {} if traced is not None else _hints(fn)
    params = []
    for i, p in enumerate(inspect.signature(fn).parameters.values()):
        if traced is not None:
            if i >= len(traced):
                break
            t = _TENSOR if isinstance(traced[i], Tensor) else _Type("Any", "Any", _any)
            params.append((p.name, t, False, False, None))
            continue
        if p.name in hints:
            t, inferred = _type_of(hints[p.name]), False
        else:
            t, inferred = _TENSOR, True
        has = p.default is not inspect.Parameter.empty
        params.append((p.name, t, inferred, has, p.default if has else None))
    ret = "Tensor"
    if "return" in hints:
        ret = "NoneType" if hints["return"] is type(None) else _type_of(hints["return"]).decl
    return _Signature(name, params, ret)


# -- what TorchScript refuses -----------------------------------------------------------------
def _source(fn):
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise OSError(f"Can't get source for {fn}. TorchScript requires source access in "
                      "order to carry out compilation, make sure original .py files are "
                      "available.") from exc
    return textwrap.dedent("".join(lines)), first


def _range(filename, lineno, source_lines, row, start, end):
    line = source_lines[row - 1]
    return (f'  File "{filename}", line {lineno + row - 1}\n{line}\n'
            f"{' ' * start}{'~' * max(end - start, 1)} <--- HERE\n")


def _check_function(fn):
    code = fn.__code__
    if fn.__name__ == "<lambda>":
        raise RuntimeError(f"Expected a single top-level function: {code.co_filename}:"
                           f"{code.co_firstlineno}")
    src, first = _source(fn)
    tree = ast.parse(src)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    lines = src.split("\n")
    a = node.args
    bad = None
    for star in (a.vararg, a.kwarg):
        if star is not None:
            bad = (star.lineno, star.col_offset - 1, star.end_col_offset)
            break
    else:
        for d in a.kw_defaults:
            if d is not None:
                bad = (d.lineno, d.col_offset, d.end_col_offset)
                break
    if bad is not None:
        raise NotSupportedError(_range(code.co_filename, first, lines, *bad),
                                "Compiled functions can't take variable number of arguments "
                                "or use keyword-only arguments with defaults")
    for p in inspect.signature(fn).parameters.values():
        if isinstance(p.default, (list, dict, set)):
            raise RuntimeError(
                "\nMutable default parameters are not supported because Python binds them to "
                "the function and they persist across function calls.\n As a workaround, make "
                "the default None and instantiate the default parameter within the body of "
                f"the function. Found {type(p.default)} on parameter {p.name}:\n"
                + _range(code.co_filename, first, lines, 1, 0, len(lines[0])))


# -- scripted functions -------------------------------------------------------------------------
class ScriptFunction:
    """A scripted (or traced) function: it runs the Python function after checking the
    arguments against the compiled signature."""

    def __init__(self, fn, signature):
        self._fn = fn
        self._signature = signature
        self.name = signature.name
        self.qualified_name = f"__torch__.{signature.name}"
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        self._signature.check(args, kwargs)
        return self._fn(*args, **kwargs)

    @property
    def schema(self):
        return self._signature.decl

    @property
    def code(self):
        """The Python source that runs (ember compiles no TorchScript)."""
        try:
            return _source(self._fn)[0]
        except OSError:
            return ""

    @property
    def graph(self):
        return _no_graph()

    inlined_graph = graph

    def save(self, f, **kwargs):
        raise _no_graph_error("ScriptFunction.save")

    def __reduce__(self):
        raise TypeError("cannot pickle 'torch._C.ScriptFunction' object")


def _no_graph_error(what="graph"):
    err = NotImplementedError(f"{what}: ember builds no TorchScript graph")
    err.add_note("A scripted or traced callable in ember runs its Python code eagerly; "
                 "`.code` shows that code. To see what backward() walks, draw the autograd "
                 "graph with torch.viz.make_dot (ember.viz).")
    return err


def _no_graph():
    raise _no_graph_error()


# -- scripted modules ---------------------------------------------------------------------------
class ScriptModule(Module):
    """The base of scripted and traced modules. A ScriptModule here wraps the module it was
    made from: the parameters and buffers are the same tensors, ``forward`` runs the
    original's, and attributes read and write through to it."""

    def __init__(self, orig=None):
        super().__init__()
        if orig is None:
            return
        d = self.__dict__
        d["_orig"] = orig
        d["_parameters"] = orig._parameters
        d["_buffers"] = orig._buffers
        d["_non_persistent_buffers_set"] = orig._non_persistent_buffers_set
        d["training"] = orig.training
        d["original_name"] = type(orig).__name__
        d["_modules"] = {k: None if m is None else type(self)._child(m)
                         for k, m in orig._modules.items()}

    @classmethod
    def _child(cls, mod):
        return cls(mod)

    def forward(self, *args, **kwargs):
        orig = self.__dict__.get("_orig")
        if orig is None:
            raise _not_runnable()
        return orig(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            orig = self.__dict__.get("_orig")
            if orig is None or name.startswith("__"):
                raise
            return getattr(orig, name)

    def __setattr__(self, name, value):
        orig = self.__dict__.get("_orig")
        if (orig is None or name in self.__dict__ or name in self._parameters
                or name in self._buffers):
            return super().__setattr__(name, value)
        setattr(orig, name, value)  # the original's forward reads it there
        if isinstance(value, Module) or name in self._modules:
            self._modules[name] = None if value is None else type(self)._child(value)

    def train(self, mode=True):
        super().train(mode)
        orig = self.__dict__.get("_orig")
        if orig is not None:
            orig.__dict__["training"] = mode
        return self

    def extra_repr(self):
        return f"original_name={self.original_name}"

    @property
    def code(self):
        """The Python source of the module's ``forward`` (ember compiles no TorchScript)."""
        orig = self.__dict__.get("_orig")
        try:
            return _source(type(orig).forward)[0] if orig is not None else ""
        except OSError:
            return ""

    @property
    def graph(self):
        return _no_graph()

    inlined_graph = graph

    def save(self, f, _extra_files=None):
        save(self, f, _extra_files)

    def __deepcopy__(self, memo):
        import copy

        new = object.__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))  # shared dicts stay shared
        return new

    def __reduce_ex__(self, protocol):
        raise RuntimeError("Tried to serialize object __torch__." + self.original_name +
                           " which does not have a __getstate__ method defined!")


class RecursiveScriptModule(ScriptModule):
    """What ``torch.jit.script(module)`` returns; its submodules are scripted too."""

    def _get_name(self):
        return "RecursiveScriptModule"


def _not_runnable():
    err = RuntimeError("this module was loaded from a file that holds only its state: ember "
                       "has no TorchScript code to run")
    err.add_note(spell("ember.jit.save stores a scripted module's parameters and buffers "
                       "(ember never pickles code). Build the model in Python and load the "
                       "weights: model.load_state_dict(torch.jit.load(path).state_dict())."))
    return err


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Script a function or an nn.Module: in ember, the same code run eagerly, behind
    TorchScript's checks (see the module's docstring)."""
    _deprecated("script")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    if isinstance(obj, (ScriptModule, ScriptFunction)):
        return obj
    if isinstance(obj, Module):
        return RecursiveScriptModule(obj)
    if isinstance(obj, type):
        if issubclass(obj, Module):
            raise RuntimeError(f"Type '{obj}' cannot be compiled since it inherits from "
                               "nn.Module, pass an instance instead")
        if obj.__module__ == "builtins":
            raise TypeError(f"{obj} is a built-in class")
        return obj  # a TorchScript class: its methods run as Python
    if inspect.ismethod(obj) or inspect.isfunction(obj):
        fn = obj
        _check_function(fn)
        return ScriptFunction(fn, _signature_of(fn, fn.__name__))
    if isinstance(obj, (list, dict)):
        err = NotImplementedError("torch.jit.script of a list or dict (ScriptList, "
                                  "ScriptDict) is not supported by ember")
        err.add_note("Use the Python list or dict itself: ember runs code eagerly.")
        raise err
    raise TypeError(f"{type(obj)} is a built-in class")


# -- save / load --------------------------------------------------------------------------------
_KEY = "ember.jit.state"


def _tree(mod):
    return {"name": mod.__dict__.get("original_name", type(mod).__name__),
            "training": mod.training,
            "parameters": dict(mod._parameters),
            "buffers": {k: v for k, v in mod._buffers.items()
                        if k not in mod._non_persistent_buffers_set},
            "modules": {k: _tree(m) for k, m in mod._modules.items() if m is not None}}


def save(m, f, _extra_files=None):
    """Save a scripted or traced module's state (parameters, persistent buffers and the
    submodule tree) to ``f`` in ember's format; ``load`` reads it back. ember stores no
    code: the loaded module holds the state, and running it raises (see ``load``)."""
    _deprecated("save", "Please switch to `torch.export`.")
    if not isinstance(m, ScriptModule):
        method = "save" if isinstance(f, (str, os.PathLike)) else "save_to_buffer"
        raise AttributeError(f"'{type(m).__name__}' object has no attribute '{method}'")
    from ..serialization import save as _save

    extra = {k: v if isinstance(v, str) else bytes(v)
             for k, v in (_extra_files or {}).items()}
    _save({_KEY: _tree(m), "extra_files": extra}, f)


def _rebuild(tree):
    from ..nn.parameter import Parameter

    mod = RecursiveScriptModule()
    d = mod.__dict__
    d["original_name"] = tree["name"]
    d["training"] = tree["training"]
    for k, p in tree["parameters"].items():
        d["_parameters"][k] = None if p is None else Parameter(p, p.requires_grad)
    d["_buffers"].update(tree["buffers"])
    for k, sub in tree["modules"].items():
        d["_modules"][k] = _rebuild(sub)
    return mod


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Read what ``save`` wrote: a RecursiveScriptModule with the saved parameters, buffers
    and submodules, whose ``forward`` raises (ember saved no code). Build the model in Python
    and copy the state in: ``model.load_state_dict(torch.jit.load(path).state_dict())``."""
    _deprecated("load", "Please switch to `torch.export`.")
    from ..serialization import load as _load

    try:
        obj = _load(f, map_location=map_location)
    except Exception as exc:
        err = RuntimeError(f"ember cannot load this file as a scripted module: {exc}")
        err.add_note("torch.jit.load in ember reads the files ember's torch.jit.save writes "
                     "(the module's state). A TorchScript archive written by PyTorch holds "
                     "TorchScript code, which ember does not run.")
        raise err from exc
    if not isinstance(obj, dict) or _KEY not in obj:
        raise RuntimeError("ember cannot load this file as a scripted module: it was not "
                           "written by torch.jit.save")
    if _extra_files is not None:
        for k in _extra_files:
            if k in obj["extra_files"]:
                _extra_files[k] = obj["extra_files"][k]
    return _rebuild(obj[_KEY])
