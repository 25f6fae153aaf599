"""Devices. ember computes on the CPU through NumPy; every other device fails the way it does
in a CPU-only build of PyTorch, so scripts that ask ``torch.cuda.is_available()`` take their
CPU branch and scripts that insist on "cuda" get PyTorch's own error."""

import re
import threading

from . import _names
from ._errors import note
from ._names import spell

# the device types PyTorch's parser knows, in the order its message lists them
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_KNOWN = frozenset(_TYPES)
_SYNTAX = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")
# how PyTorch's dispatcher names the backend of a device type, in "Could not run" messages
_BACKEND = {"ipu": "IPU", "hip": "HIP", "ve": "VE", "fpga": "FPGA", "maia": "MAIA", "xla": "XLA",
            "lazy": "Lazy", "vulkan": "Vulkan", "mps": "MPS"}
_NO_ACCELERATOR = "Cannot access accelerator device when none is available."
_CPU_HINT = ("ember computes on the CPU only (through NumPy). Use device='cpu', or pick the "
             "device the portable way: device = ember.device('cuda' if ember.cuda.is_available() "
             "else 'cpu').")
_MISSING = object()


def _typename(obj):
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class device:
    """Where a tensor lives: ``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 0)``.

    Immutable and hashable; equal only to another device with the same type and index
    (as in PyTorch, ``device('cpu') == 'cpu'`` is False). Usable as a context manager that
    sets the default device of factory functions.
    """

    __slots__ = ("_type", "_index", "_prev")

    def __init__(self, type=_MISSING, index=None):  # noqa: A002 - PyTorch's parameter names
        if isinstance(type, device) and index is None:
            kind, idx = type._type, type._index
        elif isinstance(type, str):
            if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
                raise TypeError("device(): argument 'index' (position 2) must be int, not "
                                f"{_typename(index)}")
            kind, idx = _parse(type)
            if index is not None:
                if idx is not None:
                    raise RuntimeError("type (string) must not include an index because index "
                                       f"was passed explicitly: {type}")
                if index < 0:
                    raise RuntimeError("Device index must not be negative")
                idx = index
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            no_accelerator()  # a bare index means "the accelerator": there is none
        elif index is not None:
            raise TypeError("device(): argument 'type' (position 1) must be str, not "
                            f"{_typename(type)}")
        else:
            raise TypeError(_bad_args("" if type is _MISSING else _typename(type)))
        object.__setattr__(self, "_type", kind)
        object.__setattr__(self, "_index", idx)
        object.__setattr__(self, "_prev", None)

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __setattr__(self, name, value):
        if name in ("type", "index"):
            raise AttributeError(f"attribute '{name}' of '{_names.prefix}.device' objects is not "
                                 "writable")
        raise AttributeError(f"'{_names.prefix}.device' object has no attribute '{name}'")

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __reduce__(self):
        # through a function whose module never changes: loads with or without the torch alias
        return (_rebuild_device, (self._type, self._index))

    # `with ember.device('cpu'):` sets the default device for the block
    def __enter__(self):
        object.__setattr__(self, "_prev", _state.default)
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        _state.default = self._prev
        object.__setattr__(self, "_prev", None)


device.__module__ = "ember"


def _rebuild_device(type_, index):  # what a pickled device loads as
    return device(type_, index)


def _bad_args(got):
    if not got:
        return spell("device() received an invalid combination of arguments - got (), but "
                     "expected one of:\n * (ember.device device)\n * (str type, int index = -1)\n")
    return spell(f"device() received an invalid combination of arguments - got ({got}), but "
                 "expected one of:\n * (ember.device device)\n      didn't match because some "
                 f"of the arguments have invalid types: (!{got}!)\n * (str type, int index = -1)"
                 "\n")


def _parse(text):
    if not text:
        raise RuntimeError("Device string must not be empty")
    m = _SYNTAX.fullmatch(text)
    if m is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    kind = m.group(1)
    if kind not in _KNOWN:
        raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device "
                           f"string: {kind}")
    idx = m.group(2)
    return kind, None if idx is None else int(idx)


cpu = device("cpu")


# -- the default device (thread-local, as in PyTorch) -------------------------------------------
class _State(threading.local):
    default = None  # None: the CPU


_state = _State()


def set_default_device(device_):
    """Factories (zeros, tensor, rand, ...) without a ``device=`` create tensors here.

    Only the CPU exists; setting "cuda" is accepted, and the factories then fail as in a
    CPU-only PyTorch. ``None`` restores the CPU.
    """
    _state.default = None if device_ is None else as_device(device_)


def get_default_device():
    d = _state.default
    if d is None:
        return cpu
    check(d, "empty.memory_format")
    return d


def as_device(d):
    return d if isinstance(d, device) else device(d)


# -- availability -------------------------------------------------------------------------------
def check(d, op=None, fname=None):
    """Raise PyTorch's CPU-only-build error unless ``d`` names the CPU.

    ``op``: the ATen operator a factory would run ('empty.memory_format' for zeros/ones/...,
    'empty_strided' for the *_like functions); None for a copy (to(), tensor(), cuda()).
    ``fname``: the calling function's name, for the wrong-type message.
    """
    if not isinstance(d, device):
        if not isinstance(d, (str, int)) or isinstance(d, bool):
            raise TypeError(f"{fname}(): argument 'device' must be {_names.prefix}.device, not "
                            f"{_typename(d)}")
        d = device(d)
    kind = d._type
    if kind == "cpu":
        return d
    if kind == "cuda":
        exc = AssertionError("Torch not compiled with CUDA enabled")
    elif kind == "xpu":
        exc = AssertionError("Torch not compiled with XPU enabled")
    elif kind == "mtia":
        exc = AssertionError(
            "Torch not compiled with MTIA enabled. Ensure you have `import "
            "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")
    elif kind in ("hpu", "privateuseone"):
        exc = ModuleNotFoundError(f"No module named '{_names.prefix}.{kind}'")
    elif kind == "meta":
        exc = NotImplementedError("ember has no meta tensors: every tensor holds its data on "
                                  "the CPU")
    elif kind in _BACKEND and (op is not None or kind == "lazy"):
        exc = NotImplementedError(
            f"Could not run 'aten::{op or 'empty.memory_format'}' with arguments from the "
            f"'{_BACKEND[kind]}' backend. This could be because the operator doesn't exist for "
            "this backend, or was omitted during the selective/custom build process (if using "
            "custom build).")
    else:
        exc = RuntimeError(f"PyTorch is not linked with support for {kind} devices")
    raise note(exc, _CPU_HINT)


def check_cuda_call():
    """ember.cuda functions that need a GPU (current_device, synchronize, ...)."""
    raise note(AssertionError("Torch not compiled with CUDA enabled"), _CPU_HINT)


def no_accelerator():
    raise note(RuntimeError(_NO_ACCELERATOR), _CPU_HINT)
