"""Discrete Fourier transforms (torch.fft): three differentiable primitives and the public
transforms built from them, as PyTorch builds them.

The primitives compute on arrays with numpy.fft and cast to PyTorch's dtypes (complex64 for
float32 data); each backward is another primitive, so higher derivatives come for free:

- ``_fft_c2c(x, dim, normalization, forward)``: complex to complex. Its adjoint is the same
  transform in the other direction with the same scale factor.
- ``_fft_r2c(x, dim, normalization, onesided)``: real to complex (a forward transform; with
  ``onesided`` only the first n // 2 + 1 entries of the last dim). Backward: the gradient,
  zero-padded back to n entries, through the inverse c2c; its real part.
- ``_fft_c2r(x, dim, normalization, last_dim_size)``: a Hermitian half spectrum to a real
  signal (an inverse transform). Backward: r2c of the gradient, with the entries that stand
  for two conjugate frequencies counted twice.

``normalization`` is PyTorch's code: 0 no scale, 1 divide by sqrt(n), 2 divide by n, where n
is the number of points of the transformed dims (the signal's, for c2r).
"""

import math
import operator
import warnings

import numpy as np

from .. import _dtype
from .._dtype import from_np
from .._tensor import Tensor, _make, _type_name
from ..autograd.graph import name_saved
from ._op import formula_node, linear, record
from .complex import conj, conj_physical, real, view_as_complex, view_as_real
from .copy import _cast
from .padding import constant_pad_nd, pad
from .shape import _unfold_grad, narrow, roll
from .strided import as_strided

__all__ = [
    "_fft_c2c", "_fft_c2r", "_fft_r2c",
    "fft_fft", "fft_ifft", "fft_rfft", "fft_irfft", "fft_hfft", "fft_ihfft",
    "fft_fft2", "fft_ifft2", "fft_rfft2", "fft_irfft2", "fft_hfft2", "fft_ihfft2",
    "fft_fftn", "fft_ifftn", "fft_rfftn", "fft_irfftn", "fft_hfftn", "fft_ihfftn",
    "fft_fftfreq", "fft_rfftfreq", "fft_fftshift", "fft_ifftshift", "stft", "istft",
]

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}
_REAL_OF = {v: k for k, v in _COMPLEX_OF.items()}
# numpy.fft's norm for a forward / an inverse transform scaled by PyTorch's normalization code
_NP_FORWARD = ("backward", "ortho", "forward")
_NP_INVERSE = ("forward", "ortho", "backward")


# -- the primitives -----------------------------------------------------------------------------
def _c2c_grad(g, dim, normalization, forward):
    return _fft_c2c(g, dim, normalization, not forward)


_FftC2C = name_saved(
    formula_node("FftC2CBackward0", _c2c_grad,
                 jvp=linear(lambda t, dim, norm, fwd: _fft_c2c(t, dim, norm, fwd))),
    dim=0, normalization=1, forward=2,
)


def _fft_c2c(self, dim, normalization, forward):
    d = self._data
    dim = tuple(dim)
    if d.dtype.kind != "c":
        raise RuntimeError(f"Expected a complex input tensor, but got {from_np[d.dtype].word}")
    if not dim or d.size == 0:
        out = d.copy()
    elif forward:
        out = np.fft.fftn(d, axes=dim, norm=_NP_FORWARD[normalization])
    else:
        out = np.fft.ifftn(d, axes=dim, norm=_NP_INVERSE[normalization])
    return record(out.astype(d.dtype, copy=False), _FftC2C, (self,),
                  (dim, normalization, forward))


def _r2c_grad(g, x, dim, normalization, onesided):
    if onesided:
        missing = x._data.shape[dim[-1]] - g._data.shape[dim[-1]]
        if missing > 0:
            g = constant_pad_nd(g, _pad_list(g._data.ndim, dim[-1], missing))
    return real(_fft_c2c(g, dim, normalization, False))


_FftR2C = name_saved(
    formula_node("FftR2CBackward0", _r2c_grad,
                 jvp=linear(lambda t, x, dim, norm, onesided: _fft_r2c(t, dim, norm, onesided))),
    self=0, dim=1, normalization=2, onesided=3,
)


def _fft_r2c(self, dim, normalization, onesided):
    d = self._data
    dim = tuple(dim)
    if d.dtype.kind not in "fV":
        raise RuntimeError("Only supports floating-point dtypes, but found: "
                           f"{from_np[d.dtype].word}")
    ct = _COMPLEX_OF[d.dtype]
    n = d.shape[dim[-1]]
    if d.size == 0:
        shape = list(d.shape)
        if onesided:
            shape[dim[-1]] = n // 2 + 1
        out = np.zeros(shape, ct)
    elif onesided:
        out = np.fft.rfftn(d, axes=dim, norm=_NP_FORWARD[normalization])
    else:
        out = np.fft.fftn(d, axes=dim, norm=_NP_FORWARD[normalization])
    return record(out.astype(ct, copy=False), _FftR2C, (self,),
                  (self, dim, normalization, onesided))


def _pad_list(ndim, axis, amount):
    """constant_pad_nd's pad list that adds ``amount`` zeros at the end of ``axis``."""
    pads = [0] * (2 * (ndim - axis))
    pads[-1] = amount
    return pads


def _c2r_grad(g, dim, normalization, last_dim_size):
    gi = _fft_r2c(g, dim, normalization, True)
    twice = last_dim_size - gi._data.shape[dim[-1]]  # entries that stand for two frequencies
    if twice > 0:
        w = np.ones(gi._data.shape[dim[-1]], _REAL_OF[gi._data.dtype])
        w[1:1 + twice] = 2
        w = w.reshape(w.shape + (1,) * (gi._data.ndim - 1 - dim[-1]))
        gi = gi * _make(w)
    return gi


_FftC2R = name_saved(
    formula_node("FftC2RBackward0", _c2r_grad,
                 jvp=linear(lambda t, dim, norm, size: _fft_c2r(t, dim, norm, size))),
    dim=0, normalization=1,
)


def _fft_c2r(self, dim, normalization, last_dim_size):
    d = self._data
    dim = tuple(dim)
    if d.dtype.kind != "c":
        raise RuntimeError(f"Expected a complex input tensor, but got {from_np[d.dtype].word}")
    rt = _REAL_OF[d.dtype]
    shape = [d.shape[a] for a in dim]
    shape[-1] = last_dim_size
    if d.size == 0:
        out_shape = list(d.shape)
        out_shape[dim[-1]] = last_dim_size
        out = np.zeros(out_shape, rt)
    else:
        out = np.fft.irfftn(d, s=shape, axes=dim, norm=_NP_INVERSE[normalization])
    return record(out.astype(rt, copy=False), _FftC2R, (self,),
                  (dim, normalization, last_dim_size))


# -- argument handling, as PyTorch's ---------------------------------------------------------
def _check_input(input, fname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def _check_int(value, fname, arg):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        try:
            if isinstance(value, Tensor) and value._data.ndim == 0 \
                    and value._data.dtype.kind in "iu":
                return int(value)
        except (TypeError, ValueError):
            pass
        raise TypeError(f"{fname}(): argument '{arg}' must be int, not {_typename(value)}")
    return int(value)


def _check_ints(values, fname, arg):
    if values is None:
        return None
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        return (int(values),)
    if not isinstance(values, (tuple, list)) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{fname}(): argument '{arg}' must be tuple of ints, not "
                        f"{_typename(values)}")
    return tuple(int(v) for v in values)


def _check_norm(norm, fname):
    if norm is not None and not isinstance(norm, str):
        raise TypeError(f"{fname}(): argument 'norm' must be str, not {_typename(norm)}")


def _typename(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _norm_code(norm, forward):
    """PyTorch's normalization code for ``norm`` in a transform of the given direction."""
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "forward":
        return 2 if forward else 0
    if norm == "ortho":
        return 1
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _wrap(dim, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim % ndim


def _promote(input, require_complex=False):
    """PyTorch's promotion for the FFTs: integers to the default float dtype, then (when asked)
    the complex dtype of that precision; half precision is refused."""
    dt = input._data.dtype
    if dt.kind == "c":
        return input
    if dt.kind not in "fV":
        new = _dtype.get_default_dtype().np
    else:
        new = dt
    if new not in _COMPLEX_OF:
        raise RuntimeError(f"Unsupported dtype {from_np[new].word}")
    if require_complex:
        new = _COMPLEX_OF[new]
    if new == dt:
        return input
    return _cast(input, from_np[new])


def _resize(x, dims, sizes):
    """x cut or zero-padded to ``sizes`` along ``dims`` (-1: keep), as PyTorch resizes."""
    d = x._data
    pads = [0] * (2 * d.ndim)
    padding = False
    for axis, size in zip(dims, sizes):
        if size == -1:
            continue
        have = x._data.shape[axis]
        if have < size:
            padding = True
            pads[2 * d.ndim - 1 - 2 * axis] = size - have
        elif have > size:
            x = narrow(x, axis, 0, size)
    return constant_pad_nd(x, pads) if padding else x


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(input, n, dim, norm, fname):
    _check_input(input, fname)
    n = _check_int(n, fname, "n")
    dim = _check_int(dim, fname, "dim")
    _check_norm(norm, fname)
    return n, _wrap(dim, input._data.ndim)


def _shape_and_dims(input, s, dim):
    """canonicalize_fft_shape_and_dim_args: the transformed dims and their sizes."""
    ndim = input._data.ndim
    sizes = input._data.shape
    dims = None
    if dim is not None:
        dims = [_wrap(a, ndim) for a in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        if dim is not None and len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{ndim} dimensions.")
        if dims is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [sizes[a] if n == -1 else n for n, a in zip(s, dims)]
    elif dims is None:
        dims = list(range(ndim))
        shape = list(sizes)
    else:
        shape = [sizes[a] for a in dims]
    for n in shape:
        _check_n(n)
    return shape, dims


def _n_args(input, s, dim, norm, fname):
    _check_input(input, fname)
    s = _check_ints(s, fname, "s")
    dim = _check_ints(dim, fname, "dim")
    _check_norm(norm, fname)
    return _shape_and_dims(input, s, dim)


def _c2r_shape_and_dims(input, s, dim, fname):
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    if s is None or s[-1] == -1:
        last = 2 * (input._data.shape[dims[-1]] - 1)
    else:
        last = shape[-1]
    _check_n(last)
    shape[-1] = last // 2 + 1
    return shape, dims, last


def _out(result, out, fname):
    """out= as PyTorch's FFTs take it: the result written into out (resized, with PyTorch's
    warning if it held elements of another shape); out must be complex for a complex result
    and real for a real one."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"fft_{fname}(): argument 'out' must be Tensor, not {_typename(out)}")
    fn = result._grad_fn
    if fn is not None and type(fn) in _PRIMITIVE_NAMES:
        raise RuntimeError(f"{_PRIMITIVE_NAMES[type(fn)]}(): functions with out=... arguments "
                           "don't support automatic differentiation, but one of the arguments "
                           "requires grad.")
    rd, od = result._data, out._data
    if rd.dtype.kind == "c" and od.dtype.kind != "c":
        raise RuntimeError(f"{fname} expects a complex output tensor, but got "
                           f"{from_np[od.dtype].word}")
    if rd.dtype.kind != "c" and od.dtype.kind == "c":
        raise RuntimeError(f"{fname} expects a floating point output tensor, but got "
                           f"{from_np[od.dtype].word}")
    if od.size and od.shape != rd.shape:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape "
            f"{list(od.shape)}, which does not match the required output shape "
            f"{list(rd.shape)}. This behavior is deprecated, and in a future PyTorch release "
            "outputs will not be resized unless they have zero elements. You can explicitly "
            "reuse an out tensor t by resizing it, inplace, to zero elements with "
            "t.resize_(0).", UserWarning, stacklevel=3)
    if od.shape == rd.shape and od.flags.writeable:
        np.copyto(od, rd, casting="unsafe")
    else:
        out._data = rd.astype(od.dtype)
    out._version[0] += 1
    return out


_PRIMITIVE_NAMES = {_FftC2C: "_fft_c2c", _FftR2C: "_fft_r2c", _FftC2R: "_fft_c2r"}


# -- one-dimensional transforms ------------------------------------------------------------------
def _c2c_1d(input, n, dim, norm, forward):
    if n is not None:
        _check_n(n)
        input = _resize(input, [dim], [n])
    else:
        _check_n(input._data.shape[dim])
    return _fft_c2c(input, [dim], _norm_code(norm, forward), forward)


def _r2c_1d(input, n, dim, norm, forward, onesided, fname):
    if input._data.dtype.kind == "c":
        raise RuntimeError(f"{fname} expects a real input tensor, but got "
                           f"{from_np[input._data.dtype].word}")
    input = _promote(input)
    if n is not None:
        _check_n(n)
        input = _resize(input, [dim], [n])
    else:
        _check_n(input._data.shape[dim])
    out = _fft_r2c(input, [dim], _norm_code(norm, forward), onesided)
    return out if forward else conj(out)


def _c2r_1d(input, n, dim, norm, forward):
    input = _promote(input, True)
    size = 2 * (input._data.shape[dim] - 1) if n is None else n
    _check_n(size)
    if n is not None:
        input = _resize(input, [dim], [n // 2 + 1])
    if forward:
        input = conj(input)
    return _fft_c2r(input, [dim], _norm_code(norm, forward), size)


def fft_fft(input, n=None, dim=-1, norm=None, *, out=None):
    n, dim = _one_dim(input, n, dim, norm, "fft_fft")
    if input._data.dtype.kind == "c":
        return _out(_c2c_1d(input, n, dim, norm, True), out, "fft")
    return _out(_r2c_1d(input, n, dim, norm, True, False, "fft"), out, "fft")


def fft_ifft(input, n=None, dim=-1, norm=None, *, out=None):
    n, dim = _one_dim(input, n, dim, norm, "fft_ifft")
    if input._data.dtype.kind == "c":
        return _out(_c2c_1d(input, n, dim, norm, False), out, "ifft")
    return _out(_r2c_1d(input, n, dim, norm, False, False, "ifft"), out, "ifft")


def fft_rfft(input, n=None, dim=-1, norm=None, *, out=None):
    n, dim = _one_dim(input, n, dim, norm, "fft_rfft")
    return _out(_r2c_1d(input, n, dim, norm, True, True, "rfft"), out, "rfft")


def fft_irfft(input, n=None, dim=-1, norm=None, *, out=None):
    n, dim = _one_dim(input, n, dim, norm, "fft_irfft")
    return _out(_c2r_1d(input, n, dim, norm, False), out, "irfft")


def fft_hfft(input, n=None, dim=-1, norm=None, *, out=None):
    n, dim = _one_dim(input, n, dim, norm, "fft_hfft")
    return _out(_c2r_1d(input, n, dim, norm, True), out, "hfft")


def fft_ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    n, dim = _one_dim(input, n, dim, norm, "fft_ihfft")
    return _out(_r2c_1d(input, n, dim, norm, False, True, "ihfft"), out, "ihfft")


# -- n-dimensional transforms --------------------------------------------------------------------
def _fftn_c2c(input, s, dim, norm, forward, fname):
    shape, dims = _n_args(input, s, dim, norm, fname)
    x = _resize(_promote(input, True), dims, shape)
    return _fft_c2c(x, dims, _norm_code(norm, forward), forward)


def fft_fftn(input, s=None, dim=None, norm=None, *, out=None):
    return _out(_fftn_c2c(input, s, dim, norm, True, "fft_fftn"), out, "fftn")


def fft_ifftn(input, s=None, dim=None, norm=None, *, out=None):
    return _out(_fftn_c2c(input, s, dim, norm, False, "fft_ifftn"), out, "ifftn")


def fft_fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _out(_fftn_c2c(input, s, dim, norm, True, "fft_fft2"), out, "fftn")


def fft_ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _out(_fftn_c2c(input, s, dim, norm, False, "fft_ifft2"), out, "ifftn")


def _rfftn(input, s, dim, norm, fname):
    _check_input(input, fname)
    if input._data.dtype.kind == "c":
        raise RuntimeError("rfftn expects a real-valued input tensor, but got "
                           f"{from_np[input._data.dtype].word}")
    shape, dims = _n_args(input, s, dim, norm, fname)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(input), dims, shape)
    return _fft_r2c(x, dims, _norm_code(norm, True), True)


def fft_rfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _out(_rfftn(input, s, dim, norm, "fft_rfftn"), out, "rfftn")


def fft_rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _out(_rfftn(input, s, dim, norm, "fft_rfft2"), out, "rfftn")


def _irfftn(input, s, dim, norm, fname):
    _check_input(input, fname)
    s = _check_ints(s, fname, "s")
    dim = _check_ints(dim, fname, "dim")
    _check_norm(norm, fname)
    shape, dims, last = _c2r_shape_and_dims(input, s, dim, "irfftn")
    x = _resize(_promote(input, True), dims, shape)
    return _fft_c2r(x, dims, _norm_code(norm, False), last)


def fft_irfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _out(_irfftn(input, s, dim, norm, "fft_irfftn"), out, "irfftn")


def fft_irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _out(_irfftn(input, s, dim, norm, "fft_irfft2"), out, "irfftn")


def _hfftn(input, s, dim, norm, fname):
    _check_input(input, fname)
    s = _check_ints(s, fname, "s")
    dim = _check_ints(dim, fname, "dim")
    _check_norm(norm, fname)
    shape, dims, last = _c2r_shape_and_dims(input, s, dim, "hfftn")
    x = _resize(_promote(input, True), dims, shape)
    code = _norm_code(norm, True)
    if len(dims) > 1:
        x = _fft_c2c(x, dims[:-1], code, True)
    return _fft_c2r(conj(x), dims[-1:], code, last)


def fft_hfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _out(_hfftn(input, s, dim, norm, "fft_hfftn"), out, "hfftn")


def fft_hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _out(_hfftn(input, s, dim, norm, "fft_hfft2"), out, "hfftn")


def _ihfftn(input, s, dim, norm, fname):
    shape, dims = _n_args(input, s, dim, norm, fname)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    x = _resize(_promote(input), dims, shape)
    code = _norm_code(norm, False)
    tmp = _fft_r2c(x, dims[-1:], code, True)
    if len(dims) == 1:
        return conj(tmp)
    return _fft_c2c(conj_physical(tmp), dims[:-1], code, False)


def fft_ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _out(_ihfftn(input, s, dim, norm, "fft_ihfftn"), out, "ihfftn")


def fft_ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _out(_ihfftn(input, s, dim, norm, "fft_ihfft2"), out, "ihfftn")


# -- helpers ------------------------------------------------------------------------------------
def _freq_dtype(dtype, fname):
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype)
    if dt.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dt.word}'")
    if not dt.is_floating_point:
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    return dt


def _freq(values, n, d, dt, requires_grad):
    arr = values.astype(dt.np)
    scale = 1.0 / (n * d) if n * d != 0 else math.copysign(math.inf, d) if n else math.nan
    arr *= dt.np.type(scale)
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _freq_n(n, fname):
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{fname}(): argument 'n' (position 1) must be int, not "
                        f"{_typename(n)}") from None
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return n


def fft_fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    n = _freq_n(n, "fft_fftfreq")
    dt = _freq_dtype(dtype, "fftfreq")
    k = np.arange(n, dtype=np.int64)
    k[(n + 1) // 2:] -= n
    return _freq(k, n, d, dt, requires_grad)


def fft_rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    n = _freq_n(n, "fft_rfftfreq")
    dt = _freq_dtype(dtype, "rfftfreq")
    return _freq(np.arange(n // 2 + 1, dtype=np.int64), n, d, dt, requires_grad)


def _shift(input, dim, fname, inverse):
    _check_input(input, fname)
    ndim = input._data.ndim
    if dim is None:
        dims = list(range(ndim))
    else:
        dims = [_wrap_shift(a, ndim) for a in _check_ints(dim, fname, "dim")]
    if not dims:
        raise RuntimeError("`shifts` required")
    sizes = input._data.shape
    shifts = [(sizes[a] + 1) // 2 if inverse else sizes[a] // 2 for a in dims]
    return roll(input, shifts, dims)


def _wrap_shift(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def fft_fftshift(input, dim=None):
    return _shift(input, dim, "fft_fftshift", False)


def fft_ifftshift(input, dim=None):
    return _shift(input, dim, "fft_ifftshift", True)


# -- short-time Fourier transforms ---------------------------------------------------------------
# Built from the ops above (pad, unfold, the window product, rfft/fft, fold for the overlap-add),
# so their gradients, second derivatives and tangents are those of the ops they run.
def _flag(v):
    return "None" if v is None else str(int(bool(v)))


def _window_desc(window):
    if window is None:
        return "None"
    return f"{_type_name(window._data)}{{{list(window._data.shape)}}}"


def _stft_ints(fname, n_fft, hop_length, win_length):
    for arg, v in (("n_fft", n_fft), ("hop_length", hop_length), ("win_length", win_length)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"{fname}(): argument '{arg}' must be int, not {_typename(v)}")
    n_fft = int(n_fft)
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    return n_fft, hop, win


def _padded_window(window, win_length, n_fft, dtype):
    """The window (ones when None) zero-padded on both sides to n_fft, centred."""
    if window is None:
        if win_length == n_fft:
            return None
        window = _make(np.ones(win_length, dtype))
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        window = constant_pad_nd(window, [left, n_fft - win_length - left])
    return window


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    _check_input(input, "stft")
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    n_fft, hop, win = _stft_ints("stft", n_fft, hop_length, win_length)
    if center:
        ndim = input._data.ndim
        half = n_fft // 2
        extended = input.view([1] * (3 - ndim) + list(input._data.shape)) if ndim < 3 else input
        input = pad(extended, [half, half], pad_mode)
        input = input.view(input._data.shape[-ndim:]) if ndim < 3 else input
    d = input._data
    desc = (f"stft({_type_name(d)}{list(d.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_desc(window)}, normalized={_flag(normalized)}, "
            f"onesided={_flag(onesided)}, return_complex={_flag(return_complex)}, "
            f"align_to_window={_flag(align_to_window)}) : ")
    if window is None:
        warnings.warn(
            "A window was not provided. A rectangular window will be applied,which is known to "
            "cause spectral leakage. Other windows such as torch.hann_window or "
            "torch.hamming_window are recommended to reduce spectral leakage.To suppress this "
            "warning and use a rectangular window, explicitly set `window=torch.ones(n_fft, "
            "device=<device>)`.", UserWarning, stacklevel=2)
    complex_in = d.dtype.kind == "c" or window is not None and window._data.dtype.kind == "c"
    if return_complex is None:
        if not complex_in:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    elif not return_complex:
        warnings.warn(
            "stft with return_complex=False is deprecated. In a future pytorch release, stft "
            "will return complex tensors for all inputs, and return_complex=False will raise an "
            "error.\nNote: you can still call torch.view_as_real on the complex output to "
            "recover the old return format.", UserWarning, stacklevel=2)
    if d.ndim not in (1, 2):
        raise RuntimeError(desc + "expected a 1D or 2D tensor")
    if d.dtype.kind not in "fcV":
        raise RuntimeError(desc + "expected a tensor of floating point or complex values")
    length = d.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(desc + f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(desc + f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(desc + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window._data.ndim != 1 or window._data.shape[0] != win):
        raise RuntimeError(desc + "expected a 1D window tensor of size equal to "
                           f"win_length={win}, but got window with size "
                           f"{list(window._data.shape)}")
    if d.dtype.kind in "fV" and d.dtype.itemsize < 4:
        raise RuntimeError(f"MKL FFT doesn't support tensors of type: {from_np[d.dtype].word}")
    if onesided is None:
        onesided = not complex_in
    elif onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    x = input if d.ndim == 2 else input.unsqueeze(0)
    n_frames = 1 + (length - (win if align_to_window else n_fft)) // hop
    if align_to_window:
        left = (n_fft - win) // 2
        x = constant_pad_nd(x, [left, left])
        need = (x._data.shape[0] - 1) * x._data.shape[1] + (n_frames - 1) * hop + n_fft
        have = x._data.size
        if need > have:
            item = x._data.itemsize
            raise RuntimeError(
                f"setStorage: sizes {[x._data.shape[0], n_frames, n_fft]}, strides "
                f"{[x._data.shape[1], hop, 1]}, storage offset 0, and itemsize {item} requiring "
                f"a storage size of {need * item} are out of bounds for storage of size "
                f"{have * item}")
    xs = x._data.strides
    frames = as_strided(x, (x._data.shape[0], n_frames, n_fft),
                        (xs[0] // x._data.itemsize, hop * xs[1] // x._data.itemsize,
                         xs[1] // x._data.itemsize))  # (batch, frames, n_fft)
    w = _padded_window(window, win, n_fft, d.dtype)
    if w is not None:
        frames = frames * w
    norm = "ortho" if normalized else None
    if onesided:
        spec = fft_rfft(frames, dim=-1, norm=norm)
    else:
        spec = fft_fft(frames, dim=-1, norm=norm)
    spec.transpose_(1, 2)
    if d.ndim == 1:
        spec.squeeze_(0)
    if not return_complex:
        return view_as_real(spec)
    return spec


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    _check_input(input, "istft")
    n_fft, hop, win = _stft_ints("istft", n_fft, hop_length, win_length)
    d = input._data
    if window is None:
        warnings.warn(
            "A window was not provided. A rectangular window will be applied.Please provide the "
            "same window used by stft to make the inversion lossless.To suppress this warning "
            "and use a rectangular window, explicitly set `window=torch.ones(n_fft, "
            "device=<device>)`.", UserWarning, stacklevel=2)
    if d.dtype.kind != "c":
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    desc = (f"istft(CPU{from_np[d.dtype].word}Type{list(d.shape)}, n_fft={n_fft}, "
            f"hop_length={hop}, win_length={win}, window={_window_desc(window)}, "
            f"center={_flag(center)}, normalized={_flag(normalized)}, "
            f"onesided={_flag(onesided)}, length={length}, "
            f"return_complex={_flag(return_complex)})")
    if d.ndim not in (2, 3):
        raise RuntimeError(f"{desc} : expected a tensor with 3 or 4 dimensions, but got "
                           f"{d.ndim + 1}")
    if d.size == 0:
        raise RuntimeError(f"{desc} : input tensor cannot be empty.")
    if hop <= 0 or hop > win:
        raise RuntimeError(f"{desc} : expected 0 < hop_length <= win_length")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"{desc} : expected 0 < win_length <= n_fft")
    if window is not None and (window._data.ndim != 1 or window._data.shape[0] != win):
        raise RuntimeError(f"{desc} : Invalid window shape. window has to be 1D and length of "
                           "`win_length`")
    fft_size = d.shape[-2]
    if onesided is None:
        onesided = fft_size != n_fft
    if onesided:
        if fft_size != n_fft // 2 + 1:
            raise RuntimeError(
                f"{desc} : expected the frequency dimension (3rd to the last) of the input "
                "tensor to match n_fft / 2 + 1 when onesided=True, but got " f"{fft_size}")
    elif fft_size != n_fft:
        raise RuntimeError(
            f"{desc} : expected the frequency dimension (3rd to the last) of the input tensor "
            f"to match n_fft when onesided=False, but got {fft_size}")
    real_dt = from_np[_REAL_OF[d.dtype]]
    if window is not None:
        wd = from_np[window._data.dtype]
        if wd.is_complex and not return_complex:
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        real_dt = _dtype.promote_types(real_dt, wd)
        if real_dt.is_complex:
            real_dt = from_np[_REAL_OF[real_dt.np]]
    x = view_as_real(input)
    if d.ndim == 2:
        x = x.unsqueeze(0)
    x = view_as_complex(x.transpose(1, 2))  # (batch, frames, freq)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = fft_ifft(x, n_fft, -1, norm)
    else:
        if not onesided:
            x = narrow(x, -1, 0, n_fft // 2 + 1)
        frames = fft_irfft(x, n_fft, -1, norm)
    w = _padded_window(window, win, n_fft, real_dt.np)
    if w is None:
        w = _make(np.ones(n_fft, real_dt.np))
    else:
        frames = frames * w.view(1, 1, n_fft)
    batch, n_frames = frames._data.shape[:2]
    expected = n_fft + hop * (n_frames - 1)
    # the overlap-add: the frames summed back into one signal (unfold's backward)
    y = _unfold_grad(frames, (batch, expected), 1, n_fft, hop)
    envelope = _unfold_grad(w.pow(2).expand(1, n_frames, n_fft), (1, expected), 1, n_fft, hop)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + int(length)
    else:
        end = expected - n_fft // 2 if center else expected
    stop = min(end, expected)
    y = narrow(y, 1, start, max(stop - start, 0))
    envelope = narrow(envelope, 1, start, max(stop - start, 0))
    if envelope._data.size and (np.abs(envelope._data) < 1e-11).any():
        raise RuntimeError(f"{desc} window overlap add min: 1\n[ CPUBoolType{{}} ]")
    y = y / envelope
    if end > expected:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings.",
            UserWarning, stacklevel=2)
        y = constant_pad_nd(y, [0, end - expected])
    return y.squeeze(0) if d.ndim == 2 else y


TENSOR_METHODS = {"stft": stft, "istft": istft}
