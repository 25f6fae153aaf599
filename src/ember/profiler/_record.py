"""Recording: while a profile runs, ember's public ops are wrapped so that each call that runs
becomes one event; when it stops, every original is put back exactly.

Nothing here is consulted while no profile runs: the ops, Tensor's methods and the engine run
their own code. Starting a profile replaces

- Tensor's op methods and operators (``x * y`` records ``aten::mul``),
- the public ops wherever a loaded ember module holds them (``ember.sum``, ``ember.nn.functional``,
  and the names the ops modules import from one another, so that an op another op calls shows
  up nested inside it, as ``aten::t`` inside ``aten::linear``),

and sets the engine's observer (``ember.autograd.engine.observer``), which the engine reads
once per backward: each node it runs becomes ``autograd::engine::evaluate_function: <Node>``
around ``<Node>``, with the ops the node's formula calls nested inside.
"""

import os
import sys
import threading
import types
import weakref
from time import perf_counter_ns

from .. import ops as _ops
from .._tensor import Tensor
from ..autograd import engine as _engine
from ..autograd import graph as _graph

_Function = types.FunctionType
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_get_ident = threading.get_ident

# Tensor methods that are not ops (or not dispatched ops in PyTorch)
_NOT_OPS = {
    "__init__", "backward", "get_device", "is_cpu", "is_meta", "is_mps", "is_pinned", "is_xpu",
    "cuda", "xpu", "pin_memory", "type", "__format__",
}

# PyTorch's name for an op where it differs from the method's or function's name
_RENAMED = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
    "__rsub__": "rsub", "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul",
    "__imul__": "mul_", "__truediv__": "div", "__rtruediv__": "div", "__itruediv__": "div_",
    "__floordiv__": "floor_divide", "__rfloordiv__": "floor_divide",
    "__ifloordiv__": "floor_divide_", "__mod__": "remainder", "__rmod__": "remainder",
    "__imod__": "remainder_", "__pow__": "pow", "__rpow__": "pow", "__ipow__": "pow_",
    "__matmul__": "matmul", "__rmatmul__": "matmul", "__neg__": "neg", "__pos__": "positive",
    "__abs__": "abs", "__invert__": "bitwise_not", "__rand__": "__and__", "__ror__": "__or__",
    "__rxor__": "__xor__", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le",
    "__gt__": "gt", "__ge__": "ge",
    "float": "to", "double": "to", "half": "to", "int": "to", "long": "to", "bool": "to",
    "byte": "to", "char": "to", "short": "to", "cpu": "to",
    "T": "numpy_T", "cross_entropy": "cross_entropy_loss",
}


def _getitem_name(args, kwargs):
    """How PyTorch names an indexing read: by what indexes."""
    index = args[1] if len(args) > 1 else None
    parts = index if isinstance(index, tuple) else (index,)
    kinds = set()
    for p in parts:
        if isinstance(p, (Tensor, list)):
            return "aten::index"
        kinds.add(type(p))
    if slice in kinds:
        return "aten::slice"
    if int in kinds:
        return "aten::select"
    if type(None) in kinds:
        return "aten::unsqueeze"
    return "aten::alias"


def _setitem_name(args, kwargs):
    index = args[1] if len(args) > 1 else None
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (Tensor, list)) for p in parts):
        return "aten::index_put_"
    return "aten::copy_" if len(args) > 2 and isinstance(args[2], Tensor) else "aten::fill_"


_DYNAMIC = {"__getitem__": _getitem_name, "__setitem__": _setitem_name}
_PROPERTIES = ("T", "mT")


def aten_name(name):
    """The event name of the op or method called ``name``."""
    return "aten::" + _RENAMED.get(name, name)


class Event:
    """One call that ran, as recorded (FunctionEvent is built from it when the profile stops)."""

    __slots__ = ("name", "cat", "start", "end", "tid", "parent", "children", "shapes",
                 "stack", "mem", "freed", "flops", "seq", "module")

    def __init__(self, name, cat, parent, tid):
        self.name = name
        self.cat = cat
        self.parent = parent
        self.tid = tid
        self.children = []
        self.shapes = None
        self.stack = None
        self.mem = None
        self.freed = 0
        self.flops = 0
        self.seq = -1
        self.start = self.end = 0
        if parent is not None:
            parent.children.append(self)


def _shape(a):
    if isinstance(a, Tensor):
        return list(a._data.shape)
    return []


def _shapes(args, kwargs):
    out = [_shape(a) for a in args]
    if kwargs:
        out.extend(_shape(a) for a in kwargs.values())
    return out


def _new_arrays(out, found):
    """(array, bytes) of the new arrays in an op's result (views of existing arrays are free)."""
    if isinstance(out, Tensor):
        d = out._data
        if d.base is None:
            found.append((d, d.nbytes))
    elif isinstance(out, (tuple, list)):
        for o in out:
            _new_arrays(o, found)
    return found


def _flops(name, args, out):
    """Floating-point operations of the ops PyTorch counts (matrix products, convolutions)."""
    try:
        if name in ("aten::mm", "aten::matmul", "aten::addmm", "aten::bmm", "aten::linear"):
            if name == "aten::addmm":
                a, b = args[1]._data, args[2]._data
            elif name == "aten::linear":
                a, b = args[0]._data, args[1]._data.T
            else:
                a, b = args[0]._data, args[1]._data
            if a.ndim < 2 or b.ndim < 2:
                return 0
            batch = out._data.size // (a.shape[-2] * b.shape[-1]) if out._data.size else 0
            return 2 * batch * a.shape[-2] * a.shape[-1] * b.shape[-1]
        if name in ("aten::conv1d", "aten::conv2d", "aten::convolution"):
            w = args[1]._data
            per_out = 2
            for s in w.shape[1:]:
                per_out *= s
            return per_out * out._data.size
        if name in ("aten::mul", "aten::add"):
            return out._data.size
    except (AttributeError, IndexError, TypeError):
        return 0
    return 0


class Recorder:
    """The events of one profile, and the wrappers that record them while it is enabled."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.events = []
        self.local = threading.local()
        self.patched = []
        self.enabled = False
        self.start_ns = self.end_ns = 0

    # -- the stack of open events, per thread ---------------------------------------------------
    def stack(self):
        local = self.local
        try:
            return local.stack
        except AttributeError:
            local.stack = []
            return local.stack

    def begin(self, name, cat):
        stack = self.stack()
        ev = Event(name, cat, stack[-1] if stack else None, _get_ident())
        if self.with_stack:
            ev.stack = _user_stack()
        self.events.append(ev)
        stack.append(ev)
        ev.start = perf_counter_ns()
        return ev

    def end(self, ev):
        ev.end = perf_counter_ns()
        stack = self.stack()
        if stack and stack[-1] is ev:
            stack.pop()
        elif ev in stack:  # closed out of order (a record_function left open): unwind to it
            del stack[stack.index(ev):]

    # -- wrappers -------------------------------------------------------------------------------
    def wrap(self, fn, name):
        begin, end = self.begin, self.end
        shapes, memory, flops = self.record_shapes, self.profile_memory, self.with_flops
        stack_of = self.stack
        dynamic = _DYNAMIC.get(name)
        event_name = None if dynamic else aten_name(name)

        def op(*args, **kwargs):
            label = event_name or dynamic(args, kwargs)
            stack = stack_of()
            if stack and stack[-1].name == label:
                return fn(*args, **kwargs)  # one op delegating to another form of itself
            ev = begin(label, "cpu_op")
            if shapes:
                ev.shapes = _shapes(args, kwargs)
            try:
                out = fn(*args, **kwargs)
            finally:
                end(ev)
            if memory:
                ev.mem = self.watch_arrays(_new_arrays(out, []))
            if flops:
                ev.flops = _flops(label, args, out)
            return out

        op.__wrapped__ = fn
        op.__name__ = getattr(fn, "__name__", name)
        op.__qualname__ = getattr(fn, "__qualname__", name)
        op.__doc__ = getattr(fn, "__doc__", None)
        op._profiled = True
        return op

    def optimizer_method(self, fn, method):
        """An optimizer's step or zero_grad, labelled as PyTorch labels it."""
        begin, end, stack_of = self.begin, self.end, self.stack

        def labelled(opt, *args, **kwargs):
            label = f"Optimizer.{method}#{type(opt).__name__}.{method}"
            stack = stack_of()
            if stack and stack[-1].name == label:  # a subclass's step calling super().step
                return fn(opt, *args, **kwargs)
            ev = begin(label, "user_annotation")
            try:
                return fn(opt, *args, **kwargs)
            finally:
                end(ev)

        labelled.__wrapped__ = fn
        labelled.__name__, labelled.__qualname__ = fn.__name__, fn.__qualname__
        labelled.__doc__ = fn.__doc__
        return labelled

    def install(self):
        """Put the recording wrappers in place (Tensor, the loaded ember modules, the engine)."""
        targets = _targets()
        wrappers = {}

        def wrapper(fn, name):
            key = (fn, name)
            w = wrappers.get(key)
            if w is None:
                w = wrappers[key] = self.wrap(fn, name)
            return w

        patched = self.patched
        tdict = Tensor.__dict__
        for name, fn in _tensor_methods().items():
            if tdict.get(name) is fn:
                patched.append((Tensor, name, fn))
                setattr(Tensor, name, wrapper(fn, name))
        for name in _PROPERTIES:  # x.T, x.mT: properties that run an op
            prop = tdict.get(name)
            if prop.__class__ is property and prop.fget.__class__ is _Function:
                patched.append((Tensor, name, prop))
                setattr(Tensor, name, property(wrapper(prop.fget, name), prop.fset,
                                               prop.fdel, prop.__doc__))
        for modname, mod in list(sys.modules.items()):
            if (mod is None or not modname.startswith("ember.") or modname.startswith(
                    ("ember.profiler", "ember.viz", "ember.autograd.profiler"))):
                continue
            d = getattr(mod, "__dict__", None)
            if not d:
                continue
            for key, value in list(d.items()):
                if value.__class__ is _Function:
                    name = targets.get(value)
                    if name is not None and not key.startswith("__"):
                        patched.append((mod, key, value))
                        d[key] = wrapper(value, name)
        optim = sys.modules.get("ember.optim.optimizer")
        if optim is not None:  # Optimizer.step#SGD.step, as PyTorch labels a step
            classes = [optim.Optimizer]
            for cls in classes:
                classes.extend(cls.__subclasses__())
                for method in ("step", "zero_grad"):
                    fn = cls.__dict__.get(method)
                    if fn.__class__ is _Function:
                        patched.append((cls, method, fn))
                        setattr(cls, method, self.optimizer_method(fn, method))
        ember = sys.modules.get("ember")
        if ember is not None:
            d = ember.__dict__
            for key, value in list(d.items()):
                if value.__class__ is _Function and value in targets:
                    patched.append((ember, key, value))
                    d[key] = wrapper(value, targets[value])
        _engine.observer = self
        self.enabled = True

    def uninstall(self):
        if _engine.observer is self:
            _engine.observer = None
        for owner, key, original in reversed(self.patched):
            if isinstance(owner, type):
                setattr(owner, key, original)
            else:
                owner.__dict__[key] = original
        self.patched = []
        self.enabled = False

    # -- memory -----------------------------------------------------------------------------
    def watch_arrays(self, arrays):
        """Keep (id, bytes) of each new array, and count its bytes as freed when it goes."""
        out = []
        me = weakref.ref(self)  # a long-lived array must not keep the whole profile alive
        for arr, nbytes in arrays:
            out.append((id(arr), nbytes))
            if nbytes:
                weakref.finalize(arr, _freed, me, nbytes)
        return out

    def freed(self, nbytes):
        """An array made during the profile was freed: inside the innermost open event, or as
        a ``[memory]`` event of its own (as PyTorch reports a free outside any op)."""
        if not self.enabled:
            return
        stack = self.stack()
        if stack:
            stack[-1].freed += nbytes
            return
        ev = Event("[memory]", "memory", None, _get_ident())
        ev.start = ev.end = perf_counter_ns()
        ev.freed = nbytes
        self.events.append(ev)

    # -- the engine's observer ------------------------------------------------------------------
    def node(self, fn, buf, create_graph, apply):
        """Run one backward node as PyTorch records it: evaluate_function around the node."""
        name = fn.name()
        outer = self.begin("autograd::engine::evaluate_function: " + name, "cpu_op")
        inner = self.begin(name, "cpu_op")
        inner.seq = outer.seq = getattr(fn, "_seq", -1)
        if self.record_shapes:
            inner.shapes = [_shape(g) for g in buf]
            outer.shapes = []
        try:
            grads = apply(fn, buf, create_graph)
        finally:
            self.end(inner)
            self.end(outer)
        if self.profile_memory:
            inner.mem = self.watch_arrays(_new_arrays(list(grads), []))
        return grads

    def leaf(self, accumulate):
        """``accumulate`` (the engine's AccumulateGrad step), recorded as a node."""
        begin, end = self.begin, self.end
        name = _graph.AccumulateGrad.name(None)
        shapes = self.record_shapes
        outer_name = "autograd::engine::evaluate_function: " + name

        def run(leaf, g, *rest, **kw):
            outer = begin(outer_name, "cpu_op")
            inner = begin(name, "cpu_op")
            if shapes:
                inner.shapes = [_shape(g)]
                outer.shapes = []
            try:
                return accumulate(leaf, g, *rest, **kw)
            finally:
                end(inner)
                end(outer)

        return run


def _freed(recorder, nbytes):
    rec = recorder()
    if rec is not None:
        rec.freed(nbytes)


def _user_stack():
    """The caller's Python frames outside ember, innermost first, as PyTorch's "file(line): fn"."""
    frames = []
    f = sys._getframe(3)
    while f is not None:
        code = f.f_code
        filename = code.co_filename
        if not filename.startswith(_PACKAGE):
            frames.append(f"{filename}({f.f_lineno}): {code.co_name}")
        f = f.f_back
    return frames


def _tensor_methods():
    methods = {}
    for module in (_engine, *_ops._MODULES):
        for name, fn in module.TENSOR_METHODS.items():
            if name not in _NOT_OPS and fn.__class__ is _Function:
                methods[name] = fn
    return methods


def _targets():
    """Every public op function, by object, with its PyTorch event name's op part."""
    targets = {}

    def add(fn, name):
        while fn.__class__ is _Function and fn not in targets:
            targets[fn] = name
            fn = getattr(fn, "__wrapped__", None)

    for module in _ops._MODULES:
        for name in (*getattr(module, "__all__", ()), *getattr(module, "FUNCTIONAL", ())):
            add(getattr(module, name, None), name)
    for name, fn in _tensor_methods().items():
        if name not in _DYNAMIC:
            add(fn, name)
    functional = sys.modules.get("ember.nn.functional")
    if functional is not None:
        for name, fn in vars(functional).items():
            if (not name.startswith("_") and fn.__class__ is _Function
                    and fn.__module__.startswith(("ember.", "torch."))):
                add(fn, name)
    return targets
