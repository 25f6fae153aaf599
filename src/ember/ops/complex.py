"""Complex numbers: the views between complex and real tensors, conjugation, angle, sgn,
complex() and polar(), each with its backward beside it.

Gradients follow PyTorch's convention for complex autograd: the gradient of a real loss L
with respect to z = x + iy is dL/dx + i dL/dy (the conjugate Wirtinger derivative, doubled).
So a holomorphic op's backward multiplies by the conjugate of its derivative, and a real
input that fed a complex op gets the real part of its gradient.

``real``, ``imag`` and ``view_as_real`` are views (writing into them writes the complex
tensor); ``conj`` computes the conjugate (PyTorch's lazy conjugate bit does not exist here, so
``conj()`` of a complex tensor is a new tensor, not a view).
"""

import math

import numpy as np

from .. import _dtype
from .._dtype import from_np
from .._tensor import _make
from ..autograd.graph import name_saved
from . import _inplace
from ._op import check_tensor, formula_node, linear, record
from .elementwise import where
from .shape import as_view, select

__all__ = [
    "angle", "complex", "conj", "conj_physical", "imag", "is_complex", "is_conj", "polar",
    "real", "resolve_conj", "resolve_neg", "sgn", "view_as_complex", "view_as_real",
]

_REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}


def _is_c(t):
    return t._data.dtype.kind == "c"


# -- views ------------------------------------------------------------------------------------
_ViewAsReal = formula_node("ViewAsRealBackward0", lambda g: view_as_complex(g.contiguous()),
                           jvp=linear(lambda t: view_as_real(t)))
_ViewAsComplex = formula_node("ViewAsComplexBackward0", lambda g: view_as_real(g),
                              jvp=linear(lambda t: view_as_complex(t.contiguous())))


def view_as_real(input):
    check_tensor(input, "view_as_real")
    d = input._data
    if d.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return as_view(input, d[..., None].view(_REAL_OF[d.dtype]), _ViewAsReal, ())


def view_as_complex(input):
    check_tensor(input, "view_as_complex")
    d = input._data
    if d.dtype.kind != "f" or d.dtype == np.float16:
        if d.dtype == np.float16:
            raise NotImplementedError("view_as_complex of a float16 tensor (complex32) is not "
                                      "supported by ember: it has no complex32 dtype")
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {from_np[d.dtype].word}")
    if d.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    size = d.dtype.itemsize
    if d.strides[-1] != size:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * size) for s, n in zip(d.strides[:-1], d.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    root = d
    while isinstance(root.base, np.ndarray):
        root = root.base
    offset = d.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if offset % (2 * size):
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    out = d.view(_COMPLEX_OF[d.dtype])[..., 0]
    return as_view(input, out, _ViewAsComplex, ())


_inplace.complex_views = (view_as_real, view_as_complex)  # in-place writes through real views


def real(input):
    check_tensor(input, "real")
    if not _is_c(input):
        return input
    return select(view_as_real(input), -1, 0)


def imag(input):
    check_tensor(input, "imag")
    if not _is_c(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(input), -1, 1)


def _set_real(self, value):
    real(self).copy_(value)


def _set_imag(self, value):
    imag(self).copy_(value)


# -- conjugation ------------------------------------------------------------------------------
_Conj = formula_node("ConjBackward0", lambda g: g.conj(), arrays=True, elementwise=True)
_ConjPhysical = formula_node("ConjPhysicalBackward0", lambda g: g.conj(), arrays=True,
                             elementwise=True)


def conj(input):
    """The complex conjugate; a real tensor is returned as is (as PyTorch does)."""
    check_tensor(input, "conj")
    if not input.dtype.is_complex:  # (its dtype, not its array: vmap batches input)
        return input
    return record(np.conj(input._data), _Conj, (input,))


def conj_physical(input):
    check_tensor(input, "conj_physical")
    d = input._data
    if d.dtype.kind != "c":
        return input
    return record(np.conj(d), _ConjPhysical, (input,))


def resolve_conj(input):
    return input  # ember's conjugates are always computed: nothing is pending


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_complex(input):
    check_tensor(input, "is_complex")
    return input._data.dtype.kind == "c"


# -- sgn, angle -------------------------------------------------------------------------------
def _sgn_array(d):
    if d.dtype.kind != "c":
        return np.sign(d)
    a = np.abs(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = d / a
    return np.where(a == 0, 0, s).astype(d.dtype, copy=False)


def _sgn_grad(g, x, y):
    if not x.is_complex():
        return g * 0
    # only the direction changes: (g - Re(g conj(s)) s) / |x|, zero where x is 0
    return where(x == 0, 0.0, (g - (g * y.conj()).real * y) / x.abs())


_Sgn = name_saved(formula_node("SgnBackward0", _sgn_grad), self=0, result=-1)


def sgn(input):
    """x / |x| for complex x (0 at 0); sign(x) for real x."""
    check_tensor(input, "sgn")
    d = input._data
    if d.dtype.kind == "b":
        return _make(d.copy())
    return record(_sgn_array(d), _Sgn, (input,), (input,), save_out=True)


def _angle_grad(g, x):
    if not x.is_complex():
        return g * 0
    # d angle: (i x / |x|^2) times the real gradient; zero at 0
    return where(x == 0, 0.0, g * (x * 1j) / (x.real * x.real + x.imag * x.imag))


_Angle = name_saved(formula_node("AngleBackward0", _angle_grad), self=0)


def angle(input):
    check_tensor(input, "angle")
    d = input._data
    if d.dtype.kind == "c":
        out = np.angle(d)
    else:
        if d.dtype.kind not in "fV":
            d = d.astype(_dtype.get_default_dtype().np)
        out = np.where(np.isnan(d), d, np.where(d < 0, d.dtype.type(math.pi), 0)).astype(
            d.dtype, copy=False)
    return record(out, _Angle, (input,), (input,))


# -- building complex tensors -----------------------------------------------------------------
def _pair_check(a, b, name):
    check_tensor(a, name, "real", 1)
    check_tensor(b, name, "imag" if name == "complex" else "angle", 2)
    ad, bd = a._data, b._data
    ok = (np.float16, np.float32, np.float64)
    if ad.dtype not in ok or bd.dtype not in ok:
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{from_np[ad.dtype].word} and {from_np[bd.dtype].word}")
    if ad.dtype != bd.dtype:
        raise RuntimeError(f"Expected object of scalar type {from_np[ad.dtype].word} but got "
                           f"scalar type {from_np[bd.dtype].word} for second argument")
    if ad.dtype == np.float16:
        raise NotImplementedError(f"{name}() of float16 tensors (complex32) is not supported by "
                                  "ember: it has no complex32 dtype")
    return ad, bd


# PyTorch keeps each part that needs a gradient (its formulas read neither)
_Complex = name_saved(
    formula_node("ComplexBackward0", lambda g, re, im: g.real, lambda g, re, im: g.imag,
                 jvp=lambda ts, inputs, saved, out: _complex_jvp(ts, out)),
    real=0, imag=1,
)


def _complex_jvp(ts, out):
    tr, ti = ts
    if tr is None:
        return complex(ti * 0, ti)
    return complex(tr, tr * 0 if ti is None else ti)


def complex(real, imag):  # noqa: A001 (torch.complex)
    rd, id_ = _pair_check(real, imag, "complex")
    rd, id_ = np.broadcast_arrays(rd, id_)
    out = np.empty(rd.shape, _COMPLEX_OF[rd.dtype])
    out.real = rd
    out.imag = id_
    return record(out, _Complex, (real, imag), (real if real._requires_grad else None,
                                                 imag if imag._requires_grad else None))


# as PyTorch writes them: through sgn(result), so a negative abs turns its gradient around
_Polar = name_saved(formula_node("PolarBackward0", lambda g, y: (g.conj() * y.sgn()).real,
                                 lambda g, y: (g.conj() * (y * 1j)).real), result=-1)


def polar(abs, angle):  # noqa: A002 (PyTorch's argument names)
    check_tensor(abs, "polar", "abs", 1)
    check_tensor(angle, "polar", "angle", 2)
    rd, td = _pair_check(abs, angle, "polar")
    out = (rd * np.cos(td) + 1j * (rd * np.sin(td))).astype(_COMPLEX_OF[rd.dtype], copy=False)
    return record(out, _Polar, (abs, angle), (), save_out=True)


TENSOR_METHODS = {
    "real": property(real, _set_real),
    "imag": property(imag, _set_imag),
    "conj": conj,
    "conj_physical": conj_physical,
    "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg,
    "is_conj": is_conj,
    "angle": angle,
    "sgn": sgn,
}
