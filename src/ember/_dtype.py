"""dtypes, PyTorch's type promotion, and the default floating dtype."""

import builtins

import numpy as np


class dtype:
    """A tensor element type, printed as ``ember.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_cat",
                 "word", "cpp")

    def __init__(self, name, np_dtype, category, word, cpp):
        self.name = name
        # PyTorch's names in messages: the scalar type ('Float', as in 'FloatTensor') and the
        # C++ type ('float', 'c10::Half', 'long int')
        self.word = word
        self.cpp = cpp
        self.np = np.dtype(np_dtype)
        self._cat = category  # 0 bool, 1 integer, 2 floating, 3 complex: promotion categories
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


bool = dtype("bool", np.bool_, 0, "Bool", "bool")  # noqa: A001 - ember.bool, like torch.bool
uint8 = dtype("uint8", np.uint8, 1, "Byte", "unsigned char")
int8 = dtype("int8", np.int8, 1, "Char", "signed char")
int16 = dtype("int16", np.int16, 1, "Short", "short int")
int32 = dtype("int32", np.int32, 1, "Int", "int")
int64 = dtype("int64", np.int64, 1, "Long", "long int")
float16 = dtype("float16", np.float16, 2, "Half", "c10::Half")
float32 = dtype("float32", np.float32, 2, "Float", "float")
float64 = dtype("float64", np.float64, 2, "Double", "double")
complex64 = dtype("complex64", np.complex64, 3, "ComplexFloat", "c10::complex<float>")
complex128 = dtype("complex128", np.complex128, 3, "ComplexDouble", "c10::complex<double>")

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
# numpy dtype -> ember dtype; every array ember holds has one of these dtypes
from_np = {d.np: d for d in ALL}

# aliases PyTorch users write
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128


class _Default:
    dtype = float32


_default = _Default()


def get_default_dtype():
    return _default.dtype


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default.dtype = d


def promote_types(a, b):
    """torch.promote_types: a higher category wins outright; within one, the wider type."""
    if a is b:
        return a
    if a._cat != b._cat:
        if max(a._cat, b._cat) == 3 and min(a._cat, b._cat) == 2:
            return complex128 if float64 in (a, b) or complex128 in (a, b) else complex64
        return a if a._cat > b._cat else b
    return from_np[np.promote_types(a.np, b.np)]


def _combine(higher, lower):
    # PyTorch's rule for operands of lower priority (0-d tensors, then Python numbers): they
    # only matter when they lift the result into a higher category.
    if higher is None:
        return lower
    if lower is None or higher._cat >= 2 and higher._cat >= lower._cat:
        return higher
    if higher._cat == 0 or lower._cat > higher._cat:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x):
    """The dtype PyTorch gives a Python number taking part in an op (a 'wrapped number')."""
    t = type(x)
    if t is builtin_bool or isinstance(x, (np.bool_,)):
        return bool
    if t is builtin_int or isinstance(x, (builtin_int, np.integer)):
        return int64
    if isinstance(x, builtin_complex):
        return complex64 if _default.dtype is float32 else complex128
    return _default.dtype


# the builtins, which this module's dtype names (bool, int, float) shadow
builtin_bool, builtin_int, builtin_complex = builtins.bool, builtins.int, builtins.complex


def result_type(*operands):
    """torch.result_type over tensors and Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "_data", None)
        if d is None:
            s = scalar_dtype(x)
            wrapped = s if wrapped is None else promote_types(wrapped, s)
        elif d.ndim:
            t = from_np[d.dtype]
            dim = t if dim is None else promote_types(dim, t)
        else:
            t = from_np[d.dtype]
            zero = t if zero is None else promote_types(zero, t)
    return _combine(dim, _combine(zero, wrapped))


def as_dtype(x):
    """Accept an ember dtype, a NumPy dtype or a Python type where PyTorch accepts one."""
    if isinstance(x, dtype):
        return x
    if x is builtin_bool:
        return bool
    if x is builtin_int:
        return int64
    if x is builtins.float:
        return float64
    try:
        return from_np[np.dtype(x)]
    except (TypeError, KeyError):
        raise TypeError(f"expected an ember dtype, got {x!r}") from None
