"""Make `import torch` give ember, so scripts written for PyTorch run unchanged.

A finder on sys.meta_path answers every `torch` / `torch.<sub>` import with the module
`ember` / `ember.<sub>`: the very same module object, so `torch.nn is ember.nn`. A second,
narrow one answers `import torchviz` with `ember.viz` when torchviz itself is not installed,
and a third `import functorch` (and `functorch.<sub>`) with `ember.functorch`: PyTorch ships
functorch, and the installed one only works on top of the real PyTorch.
"""

import importlib
import importlib.machinery
import sys

from . import _names

__all__ = ["install_torch_alias"]


# plain classes rather than importlib.abc subclasses: importlib.abc costs ~20 ms to import
class _TorchAliasLoader:
    def __init__(self, ember_name):
        self.ember_name = ember_name

    def create_module(self, spec):
        return None  # a placeholder module; exec_module replaces it

    def exec_module(self, module):
        fullname = module.__name__
        try:
            target = importlib.import_module(self.ember_name)
        except ModuleNotFoundError as exc:
            # only the aliased module itself (or a parent) being absent is "not provided";
            # a missing import deeper inside ember is a real bug and keeps its own error
            missing = exc.name or ""
            if self.ember_name != missing and not self.ember_name.startswith(missing + "."):
                raise
            err = ModuleNotFoundError(
                f"No module named '{fullname}': ember does not provide "
                f"'{self.ember_name}' yet",
                name=fullname,
            )
            if hasattr(err, "add_note"):  # Python 3.11+
                err.add_note(
                    f"With the torch alias on, `import {fullname}` loads {self.ember_name}; "
                    "that part of PyTorch is not implemented in ember."
                )
            raise err from None
        # the import system returns whatever sys.modules holds after exec_module, so the
        # placeholder module is swapped for ember's own, leaving ember's __spec__ untouched
        sys.modules[fullname] = target


class _TorchAliasFinder:
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        ember_name = "ember" + fullname[len("torch"):]
        return importlib.machinery.ModuleSpec(fullname, _TorchAliasLoader(ember_name))


class _TorchvizAliasFinder:
    """`import torchviz` gives ember.viz (the same make_dot API), unless torchviz is
    installed: then the real one loads, as the user installed it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torchviz":
            return None
        if importlib.machinery.PathFinder.find_spec(fullname) is not None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _TorchAliasLoader("ember.viz"))


class _FunctorchAliasFinder:
    """`import functorch` gives ember.functorch, whether or not functorch is installed: the
    installed one is PyTorch's own and needs the real torch underneath."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "functorch" and not fullname.startswith("functorch."):
            return None
        ember_name = "ember.functorch" + fullname[len("functorch"):]
        return importlib.machinery.ModuleSpec(fullname, _TorchAliasLoader(ember_name))


class _RespellLoader:
    """Runs an ember module with its own loader, then spells its public names with the
    alias's prefix (``ember.nn.modules.linear.Linear`` -> ``torch.nn.modules.linear``)."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _names.respell(module)

    def __getattr__(self, name):  # get_source, get_filename, is_package, ...
        return getattr(self._loader, name)


class _EmberRespellFinder:
    """Under the alias, every ember module loaded later (``torch.nn`` on first use, ember's
    own lazy imports) has its public names spelled ``torch...`` once it has run."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("ember."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RespellLoader(spec.loader)
        return spec


_finder = _TorchAliasFinder()
_respell_finder = _EmberRespellFinder()
_torchviz_finder = _TorchvizAliasFinder()
_functorch_finder = _FunctorchAliasFinder()


def install_torch_alias():
    """Make later `import torch` (and `torch.nn`, `torch.optim`, ...) load ember.

    Call it once, before anything imports torch, e.g. in the first cell of a notebook::

        import ember
        ember.install_torch_alias()
        import torch            # this is ember
        from torch import nn    # this is ember.nn
    """
    loaded = sys.modules.get("torch")
    if loaded is not None and getattr(loaded, "__name__", None) != "ember":
        raise RuntimeError(
            "PyTorch is already imported in this process, so `import torch` can no longer be "
            "redirected to ember. Restart the interpreter (or notebook kernel) and call "
            "ember.install_torch_alias() before importing torch."
        )
    if _finder not in sys.meta_path:
        # first, so it wins over an installed PyTorch
        sys.meta_path.insert(0, _finder)
    if _torchviz_finder not in sys.meta_path:
        sys.meta_path.insert(1, _torchviz_finder)
    if _functorch_finder not in sys.meta_path:
        sys.meta_path.insert(2, _functorch_finder)
    if _respell_finder not in sys.meta_path:
        sys.meta_path.insert(3, _respell_finder)
    if _names.prefix != "torch":
        # what a script prints or inspects says torch from now on (see _names.py)
        _names.prefix = "torch"
        _names.respell_loaded()
        _alias_in_spawned_children()


# run by the children that multiprocessing starts with 'spawn' or 'forkserver' (a DataLoader's
# workers, multiprocessing.Process): the alias first, then what `python -c PROG` would run
_LAUNCHER = """#!{python}
import sys
try:
    import ember
except ImportError:
    sys.path.append({src!r})
from ember._import_hook import install_torch_alias
install_torch_alias()
_at = sys.argv.index("-c")
_prog = sys.argv[_at + 1]
sys.argv = ["-c", *sys.argv[_at + 2:]]
del _at
exec(compile(_prog, "<string>", "exec"))
"""


def _alias_in_spawned_children():
    """A spawned child re-imports the script (and unpickles what it is sent, which names
    ``torch...`` under the alias) before any of ember's code runs in it: multiprocessing starts
    it through a launcher that installs the alias first. POSIX only (a script as executable)."""
    import os

    python = sys.executable
    if os.name != "posix" or not python or " " in python or len(python) > 120:
        return
    import atexit
    import multiprocessing
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="ember-alias-")
    launcher = os.path.join(folder, "python")
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(launcher, "w") as f:
        f.write(_LAUNCHER.format(python=python, src=src))
    os.chmod(launcher, 0o700)
    multiprocessing.set_executable(launcher)
    owner = os.getpid()

    def remove():  # by this process only, not by a forked child that exits normally
        if os.getpid() == owner:
            shutil.rmtree(folder, True)

    atexit.register(remove)

