"""How ember's public names are spelled: ``ember.Size``, or ``torch.Size`` under the torch alias.

Under ``ember run`` and after ``install_torch_alias()`` a script sees ember as ``torch``, so
everything it can print or inspect says ``torch`` as PyTorch does: reprs (``torch.Size([2])``,
``torch.float32``, ``torch.FloatTensor``), error texts and hints, and the ``__module__`` of
public classes and functions. This module holds the one switch and the functions that read it:

- ``prefix``: "ember", or "torch" once the alias is installed;
- ``spell(text)``: a text written with ember's names (``call ember.autograd.grad``) as the
  script sees them;
- ``adopt(namespace)``: a public namespace (``ember``, ``ember.linalg``, ...) gives the classes
  and functions it exports from ember's internal modules (``ember.ops.*``, ``ember._tensor``)
  its own name as ``__module__``, as PyTorch's ``torch.add.__module__`` is ``'torch'``;
- ``respell_loaded()`` / ``respell(module)``: the alias rewrites the ``__module__`` of every
  public class and function already loaded (and the alias's import hook, of every ember module
  loaded afterwards) from ``ember...`` to ``torch...``.

Objects that must unpickle in both spellings (tensors, sizes, dtypes, devices, generators)
pickle through functions of internal modules, whose ``__module__`` never changes.
"""

import re
import sys

prefix = "ember"

# "ember." at the start of a dotted name, not inside one ("myember.x") nor a file name
_DOTTED = re.compile(r"(?<![\w.])ember(?=\.[A-Za-z_])")


def spell(text):
    """``text`` with ember's dotted names (``ember.xxx``) spelled as the script sees them."""
    if prefix == "ember":
        return text
    return _DOTTED.sub(prefix, text)


def module_name(name):
    """An ember module's name as the script sees it: 'ember.nn.modules.linear' becomes
    'torch.nn.modules.linear' under the alias. Internal and ember-only modules keep theirs."""
    if prefix == "ember" or not _public(name):
        return name
    return prefix + name[5:]


def _public(name):
    """A module path that PyTorch has too (so that it is spelled with the prefix)."""
    if name != "ember" and not name.startswith("ember."):
        return False
    if name.startswith(("ember.ops", *_OWN)):
        return False
    if name in ("ember.autograd.engine", "ember.autograd.anomaly"):
        return False
    return not any(part.startswith("_") and part not in ("_dynamo", "_C")
                   for part in name.split("."))


def _internal(name):
    """One of ember's own modules that PyTorch has not (``ember.ops.elementwise``)."""
    return (name.startswith("ember.") and not _public(name)
            and not name.startswith(_OWN))


# ember's own packages (``import torchviz`` and ``import functorch`` under the alias give the
# first and the last): their names stay ember's
_OWN = ("ember.viz", "ember.models", "ember.functorch")

# classes and functions whose home in PyTorch is not the namespace that exports them (added
# to the prefix): torch._C.Generator, and torch.compile (defined with torch.compiler)
_HOMES = {("ember.ops.random", "Generator"): "._C", ("ember.compiler", "compile"): ""}


def _named(obj):
    """A class or a Python function defined by ember (what has a writable ``__module__``)."""
    return isinstance(obj, type) or type(obj) is _FunctionType


_FunctionType = type(_public)


def adopt(namespace):
    """Give every public class and function that the module ``namespace`` exports from one of
    ember's internal modules the namespace's name as its ``__module__`` (a name exported by
    several namespaces keeps the first one's: ``ember`` is adopted first)."""
    home = module_name(namespace)
    namespace_module = sys.modules[namespace]
    classes = []
    for name, obj in list(vars(namespace_module).items()):
        if name.startswith("_") or not _named(obj):
            continue
        where = getattr(obj, "__module__", None)
        if type(where) is not str:
            continue
        special = _HOMES.get((where, getattr(obj, "__qualname__", "")))
        if special is not None or _internal(where):
            try:
                obj.__module__ = home if special is None else prefix + special
            except (AttributeError, TypeError):  # a builtin type re-exported
                continue
            if getattr(namespace_module, obj.__qualname__, None) is not obj:
                # made by a factory (`_make_unary.<locals>.op`) or exported under another name
                # (`linalg.solve` is `linalg_solve`): found, and pickled, by the public name
                obj.__qualname__ = name
            if isinstance(obj, type):
                classes.append(obj)
    # then the methods the ops attached to those classes (Tensor.expand): the class's module,
    # as Python's own messages show them ("torch.Tensor.expand() argument after * must be...");
    # a function that is also a public name of the namespace keeps the name it got above
    for cls in classes:
        for attr, fn in list(vars(cls).items()):
            if type(fn) is _FunctionType and _internal(fn.__module__):
                fn.__module__ = cls.__module__
                fn.__qualname__ = f"{cls.__qualname__}.{attr}"


def respell(module):
    """The public classes and functions of ``module`` (and the methods of those classes) say
    the current prefix in their ``__module__``."""
    for name, obj in list(vars(module).items()):
        if name.startswith("_") or not _named(obj):
            continue
        _respell_obj(obj)


def _respell_obj(obj):
    where = getattr(obj, "__module__", None)
    if type(where) is not str or not _public(where):
        return
    new = prefix + where[5:]
    try:
        obj.__module__ = new
    except (AttributeError, TypeError):
        return
    if isinstance(obj, type):
        if type(obj) is not type:  # an ember metaclass (tensortype): spelled as its classes
            _respell_obj(type(obj))
        for attr in list(vars(obj).values()):
            if type(attr) is _FunctionType and attr.__module__ == where:
                attr.__module__ = new


def respell_loaded():
    """Respell every ember module loaded so far (called when the alias is installed)."""
    for name, module in list(sys.modules.items()):
        if (name == "ember" or name.startswith("ember.")) and module is not None:
            respell(module)
