"""ember.save / ember.load: checkpoints that can only ever contain data.

``save`` writes a safetensors file: the tensors as raw little-endian arrays, and the object's
structure (dicts, lists, tuples, numbers, strings, None, with references to the tensors) as
JSON in the file's metadata. Nothing is pickled, so loading a file can only create arrays.

``load`` reads
- ember's own checkpoints (and any other safetensors file: a dict of tensors);
- PyTorch's ``torch.save`` files (a zip holding a pickle and the raw tensor data), through a
  restricted unpickler that rebuilds tensors, OrderedDicts, dicts, lists, tuples and numbers
  from an explicit allow-list and refuses every other global, without importing torch.

A truncated, corrupt or hostile file raises ValueError.
"""

import io
import json
import math
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from . import _dtype, _names
from ._errors import note
from ._tensor import Size, Tensor, _make

__all__ = ["load", "save"]

_FORMAT = "ember.checkpoint"
_VERSION = 1


def _safetensors():
    try:
        import safetensors
    except ImportError as exc:
        err = ImportError(_names.spell(
            "ember.save and ember.load store checkpoints in the safetensors format, which needs "
            'the safetensors package: pip install "ember[checkpoints]" (or pip install '
            "safetensors)"
        ))
        raise err from exc
    return safetensors


# -- save ---------------------------------------------------------------------------------------
class _Writer:
    """Walks an object, collecting its tensors (each stored once) and its JSON structure."""

    def __init__(self):
        self.arrays = {}  # name -> contiguous little-endian ndarray
        self.names = {}  # id(tensor) -> name, so a tensor used twice is stored once
        self.keep = []  # the tensors themselves, so that ids stay unique while we run

    def name_for(self, path):
        base = ".".join(path) or "tensor"
        name, n = base, 1
        while name in self.arrays:
            name = f"{base}#{n}"
            n += 1
        return name

    def encode(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if isinstance(obj, np.ndarray):
            ref = self.tensor(_make(obj), path)
            ref["ndarray"] = True
            return ref
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), path)
        if isinstance(obj, _dtype.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, Size):
            return {"size": list(obj)}
        if isinstance(obj, complex):
            return {"complex": [repr(obj.real), repr(obj.imag)]}
        if isinstance(obj, bytes):
            return {"bytes": obj.hex()}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                key_path = [*path, str(k)]
                items.append([self.encode(k, key_path), self.encode(v, key_path)])
            return {"odict" if isinstance(obj, OrderedDict) else "dict": items}
        if isinstance(obj, list):
            return {"list": [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]}
        if isinstance(obj, tuple):
            return {"tuple": [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]}
        if isinstance(obj, (set, frozenset)):
            return {"set": [self.encode(v, path) for v in obj]}
        exc = TypeError(_names.spell(
            f"ember.save cannot store an object of type {type(obj).__qualname__}: checkpoints "
            "hold tensors, numbers, strings, None, and dicts, lists and tuples of these "
            "(ember never pickles). Save a state_dict() rather than a whole model or optimizer."
        ))
        raise note(exc, "A file that holds a pickled model runs code when it is loaded, so "
                   "PyTorch's torch.load refuses one by default and ember never writes one. "
                   "Save the weights instead:\n"
                   "    ember.save(model.state_dict(), path)\n"
                   "    model = MyModel(); model.load_state_dict(ember.load(path))")

    def tensor(self, t, path):
        ref = {}
        if t._requires_grad:
            ref["requires_grad"] = True
        if type(t).__name__ == "Parameter":
            ref["parameter"] = True
        known = self.names.get(id(t))
        if known is not None:
            ref["tensor"] = known
            return ref
        a = t._data
        if not a.flags.c_contiguous:
            a = a.copy()  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        if a.dtype == np.complex128:  # safetensors has no complex128: store (re, im) pairs
            a = a.reshape(-1).view(np.float64).reshape(*a.shape, 2)
            ref["dtype"] = "complex128"
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        name = self.name_for(path)
        self.arrays[name] = a
        self.names[id(t)] = name
        self.keep.append(t)
        ref["tensor"] = name
        return ref


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` (e.g. a state_dict, or a dict of several) to ``f``, a path or a binary file.

    The file is in the safetensors format, whatever its name (``model.pt`` is fine): the
    tensors as raw data, the structure as JSON metadata. ``obj`` may nest dicts, lists and
    tuples of tensors, numbers, strings, bools and None. Nothing is pickled; the pickle
    arguments are accepted for PyTorch compatibility and ignored.
    """
    st = _safetensors()
    writer = _Writer()
    structure = writer.encode(obj, [])
    meta = json.dumps({"format": _FORMAT, "version": _VERSION, "structure": structure},
                      separators=(",", ":"), allow_nan=False)
    specs = {
        name: st.TensorSpec(dtype=a.dtype.name, shape=a.shape, data_ptr=a.ctypes.data,
                            data_len=a.nbytes)
        for name, a in writer.arrays.items()
    }
    data = bytes(st.serialize(specs, metadata={"format": "pt", _FORMAT: meta}))
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


# -- load ---------------------------------------------------------------------------------------
_ST_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
    "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64,
    "C64": np.complex64,
}


def _bad(source, why):
    return ValueError(f"{source}: not a valid checkpoint ({why})")


def _check_map_location(map_location):
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    kind = str(getattr(map_location, "type", map_location)).split(":")[0]
    if kind != "cpu":
        raise RuntimeError(_names.spell(
            "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() is "
            "False. If you are running on a CPU-only machine, please use ember.load with "
            "map_location=ember.device('cpu') to map your storages to the CPU."
        ))


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load a checkpoint written by ``ember.save``, by ``torch.save`` or by safetensors.

    ``f``: a path or a binary file. PyTorch files are read without PyTorch, through an
    unpickler that only rebuilds tensors, (Ordered)dicts, lists, tuples and numbers and
    refuses anything else; ember never runs code from a file, whatever ``weights_only`` says.
    ``map_location`` may be None or 'cpu' (ember has only the CPU).
    Raises ValueError for a truncated, corrupt or hostile file.
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        source = os.fspath(f)
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        source = getattr(f, "name", "<file>")
        data = f.read()
    data = bytes(data)
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _load_torch_zip(data, source)
    if len(data) >= 10 and data[8:9] == b"{":
        return _load_safetensors(data, source)
    if data[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
        raise _bad(source, "a raw pickle, e.g. PyTorch's legacy format from before 1.6; ember "
                   "never unpickles arbitrary data. Re-save it with a recent torch.save, or as "
                   "safetensors")
    raise _bad(source, "neither a safetensors file nor a PyTorch zip checkpoint")


def _load_safetensors(data, source):
    st = _safetensors()
    try:
        records = st.deserialize(data)
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
    except Exception as exc:  # the library's SafetensorError, or bad JSON
        raise _bad(source, f"safetensors: {exc}") from None
    arrays = {}
    for name, rec in records:
        dt = _ST_DTYPES.get(rec["dtype"])
        shape = tuple(rec["shape"])
        raw = rec["data"]
        if rec["dtype"] == "BF16":
            a = _bf16(np.frombuffer(raw, dtype="<u2")).reshape(shape)
        elif dt is None:
            raise _bad(source, f"tensor {name!r} has dtype {rec['dtype']}, which ember does "
                       "not support")
        else:
            a = np.frombuffer(raw, dtype=np.dtype(dt).newbyteorder("<")).reshape(shape)
            a = a.astype(dt, copy=False) if a.dtype != dt else a
        arrays[name] = a
    meta = header.get("__metadata__") or {}
    order = [k for k in header if k != "__metadata__"]
    if _FORMAT not in meta:
        # a plain safetensors file: a dict of tensors, in the header's order
        return {name: _make(arrays[name]) for name in order if name in arrays}
    try:
        info = json.loads(meta[_FORMAT])
        if not isinstance(info, dict) or info.get("format") != _FORMAT:
            raise ValueError("unknown structure format")
        return _Reader(arrays).decode(info["structure"])
    except RecursionError:
        raise _bad(source, "structure nested too deeply") from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise _bad(source, f"bad structure metadata: {exc}") from None


def _bf16(u16):
    """bfloat16 values from their 16-bit patterns (ember.bfloat16 loads ml_dtypes)."""
    return u16.astype(np.uint16, copy=False).view(_dtype.bfloat16.np)


class _Reader:
    def __init__(self, arrays):
        self.arrays = arrays
        self.made = {}

    def decode(self, s):
        if s is None or isinstance(s, (bool, int, float, str)):
            return s
        if not isinstance(s, dict) or not s:
            raise ValueError(f"unexpected item {s!r:.50}")
        if "tensor" in s:
            return self.tensor(s)
        if len(s) != 1:
            raise ValueError(f"unexpected item {s!r:.50}")
        ((tag, v),) = s.items()
        if tag == "dict" or tag == "odict":
            d = OrderedDict() if tag == "odict" else {}
            for k, val in v:
                d[self.decode(k)] = self.decode(val)
            return d
        if tag == "list":
            return [self.decode(x) for x in v]
        if tag == "tuple":
            return tuple(self.decode(x) for x in v)
        if tag == "set":
            return {self.decode(x) for x in v}
        if tag == "float":
            if v not in ("nan", "inf", "-inf"):
                raise ValueError(f"bad float {v!r:.20}")
            return float(v)
        if tag == "dtype":
            dt = getattr(_dtype, v, None)
            if not isinstance(dt, _dtype.dtype):
                raise ValueError(f"unknown dtype {v!r:.20}")
            return dt
        if tag == "size":
            return Size(int(x) for x in v)
        if tag == "complex":
            return complex(float(v[0]), float(v[1]))
        if tag == "bytes":
            return bytes.fromhex(v)
        raise ValueError(f"unknown tag {tag!r:.20}")

    def tensor(self, s):
        name = s["tensor"]
        if not isinstance(name, str) or name not in self.arrays:
            raise ValueError(f"reference to a missing tensor {name!r:.50}")
        a = self.arrays[name]
        if s.get("dtype") == "complex128":
            if a.dtype != np.float64 or a.ndim == 0 or a.shape[-1] != 2:
                raise ValueError(f"tensor {name!r} is not complex128 pairs")
            a = a.copy().view(np.complex128).reshape(a.shape[:-1])
        if s.get("ndarray"):
            return a
        key = (name, bool(s.get("requires_grad")), bool(s.get("parameter")))
        t = self.made.get(key)
        if t is None:
            t = _make(a)
            if key[2]:
                from .nn.parameter import Parameter

                t = Parameter(t, requires_grad=key[1])
            elif key[1]:
                t.requires_grad_(True)
            self.made[key] = t
        return t


# -- PyTorch's zip format, read without torch ----------------------------------------------------
_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128, "UntypedStorage": np.uint8,
}
_TORCH_DTYPES = {d.name: d for d in _dtype.ALL}
_TORCH_DTYPES.update({"float": _dtype.float32, "double": _dtype.float64, "half": _dtype.float16,
                      "long": _dtype.int64, "int": _dtype.int32, "short": _dtype.int16,
                      "cfloat": _dtype.complex64, "cdouble": _dtype.complex128})


class _StorageType:
    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


class _Storage:
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


class UnpicklingError(pickle.UnpicklingError, ValueError):
    """A PyTorch file that holds more than data (a whole pickled model, an optimizer, any
    class): refused, as torch.load refuses it by default (weights_only=True), with the same
    exception type. Also a ValueError, like every other file ember.load refuses."""


_Refused = UnpicklingError

_STATE_DICT_HINT = (
    "ember.load only reads data (tensors, numbers, strings and containers of these), never "
    "pickled objects such as a whole model: that would run code from the file. Save and load "
    "the weights instead:\n"
    "    ember.save(model.state_dict(), path)\n"
    "    model = MyModel(); model.load_state_dict(ember.load(path))"
)


def _ints(x, what):
    if not isinstance(x, tuple) or not all(type(v) is int for v in x):
        raise ValueError(f"{what} must be a tuple of ints")
    return x


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False,
                    backward_hooks=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise ValueError("a tensor's storage must come from the checkpoint's data")
    size = _ints(tuple(size), "size")
    stride = _ints(tuple(stride), "stride")
    if type(storage_offset) is not int or storage_offset < 0 or len(size) != len(stride):
        raise ValueError("bad tensor offset or stride")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise ValueError("negative size or stride")
    base = storage.array
    if 0 in size:
        a = np.empty(size, dtype=base.dtype)
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= base.size:
            raise ValueError("tensor reaches past the end of its storage")
        item = base.itemsize
        a = np.lib.stride_tricks.as_strided(
            base[storage_offset:], shape=size, strides=[s * item for s in stride],
            writeable=False).copy()
    t = _make(a)
    if requires_grad is True:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, *args):
    if not isinstance(data, Tensor):
        raise ValueError("a parameter must wrap a tensor")
    from .nn.parameter import Parameter

    return Parameter(data, requires_grad=bool(requires_grad))


def _rebuild_size(dims=()):
    return Size(_ints(tuple(dims), "size"))


class _DtypeRef(str):
    """A torch dtype global (torch.float32); swapped for ember's dtype after loading."""

    __slots__ = ()


_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "Size"): _rebuild_size,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,  # protocol 2 writes Python 2's module name
    ("__builtin__", "frozenset"): frozenset,
}


class _RestrictedUnpickler(pickle._Unpickler):
    """Rebuilds only allow-listed globals; BUILD only sets an OrderedDict's attributes.

    The pure-Python unpickler is used so that BUILD can be restricted too.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, read_record, byteorder):
        super().__init__(file, encoding="utf-8")
        self._read_record = read_record
        self._byteorder = byteorder
        self._storages = {}

    def find_class(self, module, name):
        fn = _ALLOWED.get((module, name))
        if fn is not None:
            return fn
        if module == "torch" and name in _STORAGES:
            return _StorageType(_STORAGES[name])
        if module in ("torch.storage", "torch") and name in ("UntypedStorage",
                                                             "_UntypedStorage"):
            return _StorageType(np.uint8)
        if module == "torch" and name in _TORCH_DTYPES:
            return _DtypeRef(name)
        exc = _Refused(
            f"Weights only load failed. {_names.prefix}.load is refusing to load the global "
            f"'{module}.{name}': it only rebuilds tensors, OrderedDicts, dicts, lists, tuples "
            "and numbers from a PyTorch file, and never runs code from it.\n\tWeightsUnpickler "
            f"error: Unsupported global: GLOBAL {module}.{name} was not an allowed global by "
            "default."
        )
        raise note(exc, _STATE_DICT_HINT)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage":
            raise ValueError("unknown persistent id")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType) or not isinstance(key, str) or \
                type(numel) is not int or numel < 0:
            raise ValueError("bad storage record")
        got = self._storages.get(key)
        if got is None:
            got = _Storage(self._storage_array(stype.dtype, key, numel))
            self._storages[key] = got
        return got

    def _storage_array(self, dtype, key, numel):
        raw = self._read_record(key)
        end = "<" if self._byteorder == "little" else ">"
        if dtype == "bfloat16":
            u16 = np.frombuffer(raw, dtype=end + "u2", count=_count(raw, 2, numel))
            return _bf16(u16)
        dt = np.dtype(dtype)
        arr = np.frombuffer(raw, dtype=dt.newbyteorder(end) if dt.itemsize > 1 else dt,
                            count=_count(raw, dt.itemsize, numel))
        return arr.astype(dt, copy=False) if arr.dtype != dt else arr

    def _build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, OrderedDict) or not isinstance(state, dict) or \
                not all(isinstance(k, str) for k in state):
            raise _Refused("refusing a pickle BUILD on anything but an OrderedDict")
        inst.__dict__.update(state)

    dispatch[pickle.BUILD[0]] = _build


def _count(raw, itemsize, numel):
    if numel * itemsize > len(raw):
        raise ValueError("a storage record is shorter than its declared size")
    return numel


def _swap_dtypes(obj, depth=0):
    if depth > 200:
        raise ValueError("structure nested too deeply")
    if isinstance(obj, _DtypeRef):
        return _TORCH_DTYPES[str(obj)]
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _swap_dtypes(v, depth + 1)
        return obj
    if isinstance(obj, list):
        obj[:] = [_swap_dtypes(v, depth + 1) for v in obj]
        return obj
    if isinstance(obj, tuple) and not isinstance(obj, Size):
        return tuple(_swap_dtypes(v, depth + 1) for v in obj)
    return obj


def _load_torch_zip(data, source):
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _bad(source, f"broken zip: {exc}") from None
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pkl) != 1:
        raise _bad(source, "a zip file, but not one written by torch.save")
    prefix = pkl[0][: -len("data.pkl")]
    try:
        byteorder = zf.read(prefix + "byteorder").decode() if \
            prefix + "byteorder" in names else "little"
        if byteorder not in ("little", "big"):
            raise ValueError(f"unknown byte order {byteorder!r:.20}")

        def read_record(key):
            name = f"{prefix}data/{key}"
            if name not in names:
                raise ValueError(f"missing data record {key!r:.40}")
            return zf.read(name)

        unpickler = _RestrictedUnpickler(io.BytesIO(zf.read(pkl[0])), read_record, byteorder)
        obj = unpickler.load()
        return _swap_dtypes(obj)
    except _Refused:
        raise
    except RecursionError:
        raise _bad(source, "structure nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - whatever a corrupt pickle raises
        raise _bad(source, f"{type(exc).__name__}: {exc}") from None
