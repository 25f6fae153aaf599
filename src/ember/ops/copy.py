"""Copies, casts and device moves: clone, contiguous, to(), cpu()/cuda(), float()/double()/... ."""

import warnings

from .. import _device as D
from .. import _dtype as T
from .. import _names
from .._dtype import as_dtype, dtype, from_np
from .._dtype import cast as _conv
from .._tensor import Tensor
from ._op import argname, formula_node, record
from .shape import _Clone

__all__ = ["clone"]

# forward rule: the tangent, cast to the output's dtype
_ToCopy = formula_node("ToCopyBackward0", lambda g, dt: g.to(dt),
                       jvp=lambda ts, inputs, saved, out: ts[0].to(out.dtype))
_ToCopyReal = formula_node("ToCopyBackward0", lambda g, dt: g.real.to(dt),
                           jvp=lambda ts, inputs, saved, out: ts[0].to(out.dtype))


def clone(input, *, memory_format=None):
    return record(input._data.copy(), _Clone, (input,))


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def _cast(input, dt, copy=False):
    d = input._data
    if d.dtype == dt.np:
        return record(d.copy(), _ToCopy, (input,), (dt,)) if copy else input
    if dt.np.kind not in "fcV" and input._requires_grad:
        # integer results are not differentiable
        return record(_conv(d, dt.np), _ToCopy, (), ())
    if dt.np.kind == "c" and d.dtype.kind != "c":  # the gradient's real part goes back
        return record(_conv(d, dt.np), _ToCopyReal, (input,), (from_np[d.dtype],))
    if d.dtype.kind == "c" and dt.np.kind != "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=4)
        d = d.real
        if dt.np.kind not in "fcV":  # no gradient flows to an integer result
            return record(_conv(d, dt.np), _ToCopy, (), ())
    return record(_conv(d, dt.np), _ToCopy, (input,), (from_np[input._data.dtype],))


# -- to() ---------------------------------------------------------------------------------------
def _is_dtype(a):
    # to(float) means to(float64), as in PyTorch
    return isinstance(a, dtype) or a is float or a is int or a is bool


def _is_device(a):
    return isinstance(a, (str, D.device)) or (isinstance(a, int) and not isinstance(a, bool))


def to(input, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None):
    """to(dtype), to(device), to(device, dtype), to(other_tensor), each with non_blocking and
    copy: the three overloads of PyTorch's Tensor.to. Only the CPU exists; other devices fail
    as in a CPU-only PyTorch."""
    if args or device is not None:
        dtype, copy = _parse_to(args, dtype, device, copy)
    if dtype is None:
        return _cast(input, input.dtype, True) if copy else input
    return _cast(input, as_dtype(dtype), copy)


def _parse_to(args, dtype, device, copy):
    """The target dtype and copy flag of a to() call; checks that the device is the CPU."""
    if args:
        kw = (args, dtype, device)  # as called, for the error message
        a = args[0]
        if isinstance(a, Tensor) or _is_dtype(a):
            # to(tensor, non_blocking, copy) / to(dtype, non_blocking, copy)
            if dtype is not None or device is not None:
                _invalid_to(*kw)
            dtype = a.dtype if isinstance(a, Tensor) else a
            flags = args[1:]
        elif a is None or _is_device(a):
            # to(device, dtype, non_blocking, copy)
            if device is not None:
                _invalid_to(*kw)
            device, flags = a, args[1:]
            if flags and (flags[0] is None or _is_dtype(flags[0])):
                if dtype is not None:
                    _invalid_to(*kw)
                dtype, flags = flags[0], flags[1:]
        else:
            _invalid_to(*kw)
        if len(flags) > 2 or any(not isinstance(f, bool) for f in flags):
            _invalid_to(*kw)
        if len(flags) == 2:
            copy = flags[1]
    if device is not None and not (device.__class__ is str and device == "cpu"):
        if not _is_device(device):
            _invalid_to(args, dtype, device)
        if D.check(D.as_device(device))._index is not None:
            copy = True  # PyTorch copies for "cpu:0": not the tensor's own device, 'cpu'
    return dtype, copy


def parse_to(args, kwargs):
    """nn.Module.to's arguments (the same overloads as Tensor.to): the target dtype or None."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    for k in ("non_blocking", "copy", "memory_format"):
        kwargs.pop(k, None)
    if kwargs:
        _invalid_to(args, dtype, device, kwargs)
    dtype, _ = _parse_to(args, dtype, device, False)
    return None if dtype is None else as_dtype(dtype)


def _invalid_to(args, dtype, device, extra=None):
    got = [argname(a) for a in args]
    kw = [f"{k}={argname(v)}" for k, v in (("dtype", dtype), ("device", device))
          if v is not None]
    kw += [f"{k}={argname(v)}" for k, v in (extra or {}).items()]
    text = ", ".join(got + kw) if got else ", ".join(kw) + ", "
    raise TypeError(_names.spell(
        f"to() received an invalid combination of arguments - got ({text}), but expected one "
        "of:\n"
        " * (ember.device device = None, ember.dtype dtype = None, bool non_blocking = False, "
        "bool copy = False, *, ember.memory_format memory_format = None)\n"
        " * (ember.dtype dtype, bool non_blocking = False, bool copy = False, *, "
        "ember.memory_format memory_format = None)\n"
        " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
        "ember.memory_format memory_format = None)\n"
    ))


def cpu(self, memory_format=None):
    return self


def cuda(self, device=None, non_blocking=False, memory_format=None):
    # a bare index (cuda(0)) asks for the accelerator: none is there
    d = D.device("cuda") if device is None else D.as_device(device)
    if d.type != "cuda":
        raise RuntimeError("Invalid device, must be cuda device")
    D.check(d)


def xpu(self, device=None, non_blocking=False, memory_format=None):
    D.check(D.device("xpu"))


def type_as(input, other):
    if not isinstance(other, Tensor):
        raise TypeError("type_as(): argument 'other' (position 1) must be Tensor, not "
                        f"{D._typename(other)}")
    return _cast(input, other.dtype)


def pin_memory(self, device=None):
    D.no_accelerator()


def _bind_cast(dt):
    def method(self, memory_format=None):
        return _cast(self, dt)

    return method


def _methods():
    m = {"clone": clone, "contiguous": contiguous, "to": to, "type_as": type_as, "cpu": cpu,
         "cuda": cuda, "xpu": xpu, "pin_memory": pin_memory,
         "is_pinned": lambda self, device=None: False,
         "get_device": lambda self: -1,
         # where a tensor lives: always the CPU
         "is_cpu": property(lambda self: True),
         "is_mps": property(lambda self: False),
         "is_xpu": property(lambda self: False),
         "is_meta": property(lambda self: False)}
    for name, dt in (("float", T.float32), ("double", T.float64), ("half", T.float16),
                     ("long", T.int64), ("int", T.int32), ("short", T.int16), ("char", T.int8),
                     ("byte", T.uint8), ("bool", T.bool)):
        m[name] = _bind_cast(dt)
    m["bfloat16"] = _bfloat16
    return m


def _bfloat16(self, memory_format=None):
    return _cast(self, T.bfloat16)  # ember.bfloat16 loads ml_dtypes on first use


TENSOR_METHODS = _methods()
