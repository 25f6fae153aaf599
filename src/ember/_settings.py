"""Process-wide settings and small helpers of the torch namespace: matmul precision,
warn_always, the legacy default tensor type, dtype casting rules and build flags."""

import warnings

from . import _dtype
from ._tensor import Tensor
from .amp import autocast
from .futures import Future

__all__ = ["Future", "autocast", "can_cast", "clear_autocast_cache", "fork",
           "get_autocast_cpu_dtype", "get_autocast_dtype", "get_autocast_gpu_dtype",
           "get_device", "get_float32_matmul_precision", "has_lapack", "has_mkl",
           "has_openmp", "has_spectral", "is_autocast_cache_enabled", "is_autocast_cpu_enabled",
           "is_autocast_enabled", "is_warn_always_enabled", "set_anomaly_enabled",
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


# -- autocast's state: never enabled in ember (see ember.amp) -------------------------------------
_autocast_cache = {"enabled": True}


def is_autocast_enabled(device_type=None):
    return False


def is_autocast_cpu_enabled():
    return False


def get_autocast_dtype(device_type):
    """The dtype autocast would use on ``device_type`` (bfloat16 on the CPU, else float16)."""
    if device_type == "cpu":
        return _dtype.bfloat16
    return _dtype.float16


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    warnings.warn("torch.get_autocast_gpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cuda') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cuda")


def clear_autocast_cache():
    """Nothing cached: ember casts nothing."""


def is_autocast_cache_enabled():
    return _autocast_cache["enabled"]


def set_autocast_cache_enabled(enabled):
    _autocast_cache["enabled"] = bool(enabled)
