"""Process-wide settings and small helpers of the torch namespace: matmul precision,
warn_always, the legacy default tensor type, dtype casting rules and build flags."""

import warnings

from . import _dtype
from ._device import _parse
from ._tensor import Tensor
from .amp import GradScaler, autocast
from .futures import Future

__all__ = ["Future", "GradScaler", "autocast", "can_cast", "clear_autocast_cache", "fork",
           "get_autocast_cpu_dtype", "get_autocast_dtype", "get_autocast_gpu_dtype",
           "get_device", "get_float32_matmul_precision", "has_lapack", "has_mkl",
           "has_openmp", "has_spectral", "is_autocast_cache_enabled", "is_autocast_cpu_enabled",
           "is_autocast_enabled", "set_autocast_enabled", "set_autocast_dtype",
           "set_autocast_cpu_enabled", "set_autocast_cpu_dtype", "set_autocast_gpu_dtype",
           "is_autocast_ipu_enabled", "set_autocast_ipu_enabled", "get_autocast_ipu_dtype",
           "set_autocast_ipu_dtype", "is_autocast_xla_enabled", "set_autocast_xla_enabled",
           "get_autocast_xla_dtype", "set_autocast_xla_dtype", "is_warn_always_enabled",
           "set_anomaly_enabled",
           "set_autocast_cache_enabled", "set_default_tensor_type",
           "set_float32_matmul_precision", "set_flush_denormal", "set_warn_always", "to_dlpack",
           "typename", "wait"]

# NumPy's LAPACK and FFT are always there; its BLAS (OpenBLAS) threads with OpenMP or pthreads
has_lapack = True
has_spectral = True
has_mkl = False
has_openmp = False

_state = {"matmul_precision": "highest", "warn_always": False}


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def set_float32_matmul_precision(precision):
    """Record the float32 matmul precision. ember's float32 products are always computed in
    full float32 (the "highest" precision); "high" and "medium" allow PyTorch to use TF32 or
    bfloat16 passes on hardware that has them, which a CPU with NumPy does not."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _state["matmul_precision"] = precision


def set_warn_always(b, /):
    _state["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _state["warn_always"]


def set_flush_denormal(mode):
    """False: NumPy gives no control over the CPU's denormal flushing (PyTorch also answers
    False where it cannot set it), so nothing changes."""
    return False


def typename(obj, /):
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` -> ``to`` in an in-place op or out=:
    never to a lower category (complex > floating > integer > bool)."""
    if not isinstance(from_, _dtype.dtype) or not isinstance(to, _dtype.dtype):
        bad = from_ if not isinstance(from_, _dtype.dtype) else to
        raise TypeError(f"can_cast(): argument '{'from_' if bad is from_ else 'to'}' must be "
                        f"torch.dtype, not {type(bad).__name__}")
    return from_._cat <= to._cat


def set_anomaly_enabled(enabled, check_nan=True):
    """``torch.set_anomaly_enabled``: autograd.set_detect_anomaly as a plain call."""
    from .autograd.anomaly import set_detect_anomaly

    set_detect_anomaly(enabled, check_nan)


def get_device(input):
    """-1: ember's tensors are on the CPU."""
    return -1


def set_default_tensor_type(t, /):
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", "")
    dt = getattr(t, "dtype", None) if not isinstance(t, str) else None
    if isinstance(t, str):
        short = name.rsplit(".", 1)[-1]
        if ".cuda." in name:
            raise TypeError(f"type {name} not available. Torch not compiled with CUDA "
                            "enabled.")
        dt = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64,
              "HalfTensor": _dtype.float16}.get(short)
        if dt is None and short not in ("LongTensor", "IntTensor", "ShortTensor",
                                        "CharTensor", "ByteTensor", "BoolTensor"):
            raise TypeError(f"invalid type: '{name}'")
    if dt is None or not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(dt)


def fork(func, *args, **kwargs):
    """``torch.fork``: ``torch.jit.fork``."""
    import importlib

    return importlib.import_module("ember.jit").fork(func, *args, **kwargs)


def wait(future):
    """``torch.wait``: ``torch.jit.wait``."""
    return future.wait()


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s memory (``torch.utils.dlpack.to_dlpack``)."""
    return tensor._data.__dlpack__()


# -- autocast's state (see ember.amp): an accelerator's flag and dtypes are kept and reported
# (ember has no accelerator tensors for them to act on); enabling the CPU's raises, as
# autocast(device_type="cpu") does, since ember casts nothing
_autocast_cache = {"enabled": True}
_autocast_enabled = {}
_autocast_dtypes = {}


# the device types autocast has no state for in PyTorch
_NO_AUTOCAST = {"mkldnn", "opengl", "opencl", "ideep", "ve", "fpga", "lazy", "vulkan", "meta"}


def _autocast_device(device_type, what="enabled"):
    kind = _parse(device_type)[0]
    if kind in _NO_AUTOCAST and what != "set dtype":
        raise RuntimeError("unsupported scalarType" if what == "dtype" else "unknown device "
                           "type for autocast in get_autocast_dispatch_key_from_device_type")
    return kind


def _deprecated_autocast(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` (CUDA's when none is given)."""
    return _autocast_enabled.get("cuda" if device_type is None else
                                 _autocast_device(device_type), False)


def set_autocast_enabled(device_type, enabled=None):
    """``set_autocast_enabled(device_type, enabled)``, or ``set_autocast_enabled(enabled)``
    for CUDA. Enabling the CPU's raises NotImplementedError (see ember.amp)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' (position 2) must be bool, "
                        f"not {type(enabled).__name__}")
    kind = _autocast_device(device_type)
    if enabled and kind == "cpu":
        autocast("cpu")  # PyTorch would cast the listed ops to bfloat16: ember refuses
    _autocast_enabled[kind] = enabled


def get_autocast_dtype(device_type):
    """The dtype autocast uses on ``device_type`` (bfloat16 on the CPU and float16 elsewhere,
    unless set_autocast_dtype changed it)."""
    kind = _autocast_device(device_type, "dtype")
    default = _dtype.bfloat16 if kind in ("cpu", "maia", "xla", "hpu") else _dtype.float16
    return _autocast_dtypes.get(kind, default)


def set_autocast_dtype(device_type, dtype):
    _autocast_dtypes[_autocast_device(device_type, "set dtype")] = dtype


def _device_variants(device):
    """PyTorch's deprecated per-device forms: (is_, set_)_autocast_<device>_enabled and
    (get_, set_)_autocast_<device>_dtype."""
    dev = {"gpu": "cuda"}.get(device, device)

    def is_enabled():
        _deprecated_autocast(f"is_autocast_{device}_enabled()",
                             f"is_autocast_enabled('{dev}')")
        return is_autocast_enabled(dev)

    def set_enabled(enabled):
        _deprecated_autocast(f"set_autocast_{device}_enabled(enabled)",
                             f"set_autocast_enabled('{dev}', enabled)")
        set_autocast_enabled(dev, enabled)

    def get_dtype():
        _deprecated_autocast(f"get_autocast_{device}_dtype()", f"get_autocast_dtype('{dev}')")
        return get_autocast_dtype(dev)

    def set_dtype(dtype):
        _deprecated_autocast(f"set_autocast_{device}_dtype(dtype)",
                             f"set_autocast_dtype('{dev}', dtype)")
        set_autocast_dtype(dev, dtype)

    for fn, name in ((is_enabled, f"is_autocast_{device}_enabled"),
                     (set_enabled, f"set_autocast_{device}_enabled"),
                     (get_dtype, f"get_autocast_{device}_dtype"),
                     (set_dtype, f"set_autocast_{device}_dtype")):
        fn.__name__ = fn.__qualname__ = name
    return is_enabled, set_enabled, get_dtype, set_dtype


(is_autocast_cpu_enabled, set_autocast_cpu_enabled, get_autocast_cpu_dtype,
 set_autocast_cpu_dtype) = _device_variants("cpu")
_, _, get_autocast_gpu_dtype, set_autocast_gpu_dtype = _device_variants("gpu")
(is_autocast_ipu_enabled, set_autocast_ipu_enabled, get_autocast_ipu_dtype,
 set_autocast_ipu_dtype) = _device_variants("ipu")
(is_autocast_xla_enabled, set_autocast_xla_enabled, get_autocast_xla_dtype,
 set_autocast_xla_dtype) = _device_variants("xla")


def clear_autocast_cache():
    """Nothing cached: ember casts nothing."""


def is_autocast_cache_enabled():
    return _autocast_cache["enabled"]


def set_autocast_cache_enabled(enabled):
    _autocast_cache["enabled"] = bool(enabled)
