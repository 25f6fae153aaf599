"""dtypes, PyTorch's type promotion, and the default floating dtype."""

import builtins
import math

import numpy as np

from . import _names


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
        return f"{_names.prefix}.{self.name}"

    def __reduce__(self):
        # through a function whose module never changes: loads with or without the torch alias
        return (_named, (self.name,))


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

# the wide unsigned types: real dtypes with PyTorch's limited support (no promotion with other
# integer types; the arithmetic kernels PyTorch's CPU lacks for them are refused by ops/_low.py)
uint16 = dtype("uint16", np.uint16, 1, "UInt16", "short unsigned int")
uint32 = dtype("uint32", np.uint32, 1, "UInt32", "unsigned int")
uint64 = dtype("uint64", np.uint64, 1, "UInt64", "long unsigned int")
WIDE_UNSIGNED = (uint16, uint32, uint64)

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128,
       uint16, uint32, uint64)


class _FromNp(dict):
    """NumPy dtype -> ember dtype; every array ember holds has one of these dtypes.

    bfloat16 and float8 arrays (ml_dtypes' NumPy dtypes) join on first sight, so that
    `import ember` never loads ml_dtypes."""

    __slots__ = ()

    def __missing__(self, key):
        name = getattr(key, "name", None)
        if name in _ML_NAMES and isinstance(key, np.dtype) and key.kind in "fV":
            if name == "bfloat16":
                return _load_bfloat16()
            found = globals()[name]
            if found.np == key:
                return found
        raise KeyError(key)

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        try:
            self.__missing__(key)
        except KeyError:
            return False
        return True


from_np = _FromNp((d.np, d) for d in ALL)


def _load_bfloat16():
    """ember.bfloat16, over ml_dtypes' bfloat16 (NumPy has none), made on first use."""
    d = globals().get("_bfloat16")
    if d is None:
        import ml_dtypes

        d = dtype("bfloat16", ml_dtypes.bfloat16, 2, "BFloat16", "c10::BFloat16")
        d.is_signed = True
        globals()["_bfloat16"] = d
        from_np[d.np] = d
    return d


def __getattr__(name):
    if name == "bfloat16":
        return _load_bfloat16()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Float8(dtype):
    """A float8 dtype, its tensors held in ml_dtypes' NumPy type of the same name (loaded on
    first use). PyTorch's CPU stores, converts, copies and indexes these, and computes few ops
    in them; its conversions from other dtypes are ``to_float8``'s, not ml_dtypes' casts."""

    __slots__ = ("_np",)

    def __init__(self, name, word, signed):
        self.name = name
        self.word = word
        self.cpp = f"c10::{word}"
        self._cat = 2
        self.is_floating_point = True
        self.is_complex = False
        self.is_signed = signed
        self.itemsize = 1
        self._np = None

    @property
    def np(self):
        d = self._np
        if d is None:
            import ml_dtypes

            d = self._np = np.dtype(getattr(ml_dtypes, self.name))
            from_np[d] = self
        return d


float8_e4m3fn = _Float8("float8_e4m3fn", "Float8_e4m3fn", True)
float8_e4m3fnuz = _Float8("float8_e4m3fnuz", "Float8_e4m3fnuz", True)
float8_e5m2 = _Float8("float8_e5m2", "Float8_e5m2", True)
float8_e5m2fnuz = _Float8("float8_e5m2fnuz", "Float8_e5m2fnuz", True)
float8_e8m0fnu = _Float8("float8_e8m0fnu", "Float8_e8m0fnu", False)
FLOAT8 = (float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu)
_ML_NAMES = frozenset({"bfloat16", *(d.name for d in FLOAT8)})
# the NumPy type codes of ml_dtypes' float8 types (none of them a code of a type ember holds
# otherwise: 'G' is NumPy's clongdouble, which ember never makes)
FLOAT8_CHARS = "4G5CW"


def is_float8(np_dtype):
    return np_dtype.itemsize == 1 and np_dtype.kind in "fV"


def _f8_tables():
    """float8 -> float32 for each of the 256 patterns of each float8 dtype, as PyTorch converts
    them (its NaNs carry payloads that ml_dtypes' do not), keyed by the NumPy dtype."""
    t = globals().get("_F8_TABLES")
    if t is None:
        codes = np.arange(256, dtype=np.uint8)
        # the float32 patterns PyTorch gives NaNs: e4m3fn 0x7ff00000 (with its sign), e5m2
        # quiet NaNs with the payload's top bit, the others one NaN 0x7f800001
        t = {}
        for d in FLOAT8:
            bits = codes.view(d.np).astype(np.float32).view(np.uint32)
            nan = np.isnan(codes.view(d.np).astype(np.float32))
            sign = (codes.astype(np.uint32) & 0x80) << 24
            if d is float8_e4m3fn:
                fix = sign | 0x7FF00000
            elif d is float8_e5m2:
                fix = sign | 0x7FC00000 | (codes.astype(np.uint32) & 1) << 21
            else:
                fix = np.full(256, 0x7F800001, np.uint32)
            t[d.np] = np.where(nan, fix, bits).astype(np.uint32).view(np.float32)
        globals()["_F8_TABLES"] = t
    return t


def float8_to_float32(a):
    """A float8 array's values as float32, as PyTorch converts them."""
    return _f8_tables()[a.dtype][a.view(np.uint8)]


def to_float8(a, d):
    """An array converted to the float8 dtype ``d`` (an ember dtype) with PyTorch's rounding:
    through float32, round to nearest even; e4m3fn saturates to +-448 (infinities too), e5m2's
    NaN is 0x7f with the sign, e8m0fnu rounds the magnitude's exponent (0 and signs ignored)."""
    a = np.asarray(a)
    if a.dtype.kind == "c":
        a = a.real
    if a.dtype != np.float32:
        a = float8_to_float32(a) if is_float8(a.dtype) else a.astype(np.float32)
    if d is float8_e8m0fnu:
        bits = a.view(np.uint32)
        exp = (bits >> 23) & 0xFF
        up = (bits & 0x400000 != 0) & ((bits & 0x3FFFFF != 0) | (exp > 0))
        out = np.where(exp == 0xFF, 0xFF, np.minimum(exp + up, 0xFF)).astype(np.uint8)
        return out.view(d.np)
    with np.errstate(all="ignore"):
        out = a.astype(d.np)
    if d is float8_e4m3fn:
        nan = np.isnan(a)
        over = np.isnan(out.astype(np.float32)) & ~nan
        if over.any() or nan.any():
            b = out.view(np.uint8).copy()
            b[over] = np.where(np.signbit(a[over]), 0xFE, 0x7E)
            b[nan] = np.where(np.signbit(a[nan]), 0xFF, 0x7F)
            out = b.view(d.np)
    elif d is float8_e5m2:
        nan = np.isnan(a)
        if nan.any():
            b = out.view(np.uint8).copy()
            b[nan] = np.where(np.signbit(a[nan]), 0xFF, 0x7F)
            out = b.view(d.np)
    return out


def float8_fill_value(value, d):
    """A Python number as a float8 dtype ``d`` holds it when fill_ writes it into more than one
    element, with PyTorch's overflow check (an infinity only where the dtype has one)."""
    v = builtins.float(value.real if isinstance(value, builtins.complex) else value)
    if v == v and (math.isinf(v) and d is not float8_e5m2 or not math.isinf(v) and (
            v > finfo(d).max or v < (2.0 ** -127 if d is float8_e8m0fnu else finfo(d).min))):
        raise RuntimeError(f"value cannot be converted to type {d.cpp} without overflow")
    with np.errstate(over="ignore"):
        return to_float8(np.float64(v), d)


def cast(a, np_dtype):
    """``a.astype(np_dtype)``, with PyTorch's conversions where a float8 type takes part."""
    if is_float8(np_dtype):
        return to_float8(a, from_np[np_dtype])
    a = np.asarray(a)
    if is_float8(a.dtype):
        return float8_to_float32(a).astype(np_dtype, copy=False)
    if a.dtype.itemsize == 8 and a.dtype.kind == "f" and is_low(np_dtype):
        # PyTorch narrows a double to float16/bfloat16 through float (rounded twice)
        return a.astype(np.float32).astype(np_dtype)
    return a.astype(np_dtype)


def low_fill_value(value, np_dtype):
    """A Python float as PyTorch writes it into a float16/bfloat16 tensor: through float
    (rounded twice, as ``cast`` narrows a double); other values and dtypes as they are."""
    if isinstance(value, builtins.float) and is_low(np_dtype):  # a float or np.float64
        with np.errstate(over="ignore"):
            return np.float32(value)
    return value


def is_bfloat16(np_dtype):
    """Whether a NumPy dtype is bfloat16 (its kind is 'V', not 'f', in ml_dtypes)."""
    return np_dtype.kind == "V" and np_dtype.name == "bfloat16"


def is_low(np_dtype):
    """float16 or bfloat16: PyTorch computes these in float32 and rounds the result once."""
    return np_dtype.itemsize == 2 and np_dtype.kind in "fV"


# NumPy dtype kinds of ember's floating dtypes ('V' is ml_dtypes' bfloat16)
FLOAT_KINDS = "fV"
INEXACT_KINDS = "fcV"



def _named(name):
    """The dtype called ``name`` (what a pickled dtype loads as; bfloat16 made on first use)."""
    found = globals().get(name)
    return found if isinstance(found, dtype) else __getattr__(name)


class _StorageOnly(dtype):
    """A dtype PyTorch names but NumPy cannot hold (float4, the sub-byte integers, the bits
    types, complex32): the object is real (repr, itemsize, is_floating_point, is_signed,
    ...), and a tensor of it is refused with NotImplementedError."""

    __slots__ = ()

    def __init__(self, name, itemsize, category, word, signed, cpp=None):
        self.name = name
        self.word = word
        self.cpp = cpp or word
        self._cat = category
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        if signed is not None:
            self.is_signed = signed
        self.itemsize = itemsize

    @property
    def np(self):
        exc = NotImplementedError(f"ember cannot hold tensors of dtype {self!r}: NumPy has no "
                                  f"such type ('{self.word}' is not implemented)")
        raise exc


def _no_promotion(a, b):
    if a.word.startswith("Float8") or b.word.startswith("Float8"):
        raise RuntimeError("Promotion for Float8 Types is not supported, attempted to promote "
                           f"{a.word} and {b.word}")
    raise RuntimeError(f"Promotion of {a.word} and {b.word} is not supported")


float4_e2m1fn_x2 = _StorageOnly("float4_e2m1fn_x2", 1, 2, "Float4_e2m1fn_x2", True)
complex32 = _StorageOnly("complex32", 4, 3, "ComplexHalf", True, "c10::complex<c10::Half>")
chalf = complex32
for _i in range(1, 8):
    globals()[f"int{_i}"] = _StorageOnly(f"int{_i}", 1, 1, f"Int{_i}", True)
    globals()[f"uint{_i}"] = _StorageOnly(f"uint{_i}", 1, 1, f"UInt{_i}", False)
del _i


class _Bits(_StorageOnly):
    """The bits types: opaque bytes, which PyTorch gives no signedness."""

    __slots__ = ()

    @property
    def is_signed(self):
        raise RuntimeError("Bits types are undefined")


bits1x8 = _Bits("bits1x8", 1, 1, "Bits1x8", None)
bits2x4 = _Bits("bits2x4", 1, 1, "Bits2x4", None)
bits4x2 = _Bits("bits4x2", 1, 1, "Bits4x2", None)
bits8 = _Bits("bits8", 1, 1, "Bits8", None)
bits16 = _Bits("bits16", 2, 1, "Bits16", None)
for _d in (bits1x8, bits2x4, bits4x2, bits8, bits16):
    _d.is_floating_point = _d.is_complex = False
del _d

STORAGE_ONLY = (float4_e2m1fn_x2, complex32, *(globals()[f"int{i}"] for i in range(1, 8)),
                *(globals()[f"uint{i}"] for i in range(1, 8)), bits1x8, bits2x4, bits4x2, bits8,
                bits16)


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


_FLOAT8_EPS = {"float8_e5m2fnuz": 0.125}


class finfo:
    """torch.finfo: the limits of a floating dtype, as float values."""

    def __init__(self, type=None):
        d = _default.dtype if type is None else type
        if not isinstance(d, dtype) or not (d.is_floating_point or d.is_complex):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        if d.is_complex:
            d = float16 if d is complex32 else float32 if d is complex64 else float64
        if isinstance(d, _StorageOnly):
            raise TypeError("bad argument type for built-in operation")
        if isinstance(d, _Float8) or is_bfloat16(d.np):  # ml_dtypes knows their limits
            import ml_dtypes

            info = ml_dtypes.finfo(d.np)
        else:
            info = np.finfo(d.np)
        self.bits = d.itemsize * 8
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision
        if isinstance(d, _Float8):  # PyTorch's digits and eps for the float8 types
            self.resolution = 10.0 ** -builtin_int(-math.log10(self.eps))
            self.eps = _FLOAT8_EPS.get(d.name, self.eps)
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """torch.iinfo: the limits of an integer dtype."""

    def __init__(self, type):
        if not isinstance(type, dtype) or type.is_floating_point or type.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        if type is bool:
            raise TypeError(f"{type!r} is not supported by torch.iinfo")
        info = np.iinfo(type.np)
        self.bits = type.itemsize * 8
        self.max = builtin_int(info.max)
        self.min = builtin_int(info.min)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(a, b):
    """torch.promote_types: a higher category wins outright; within one, the wider type."""
    if a is b:
        return a
    if isinstance(a, (_StorageOnly, _Float8)) or isinstance(b, (_StorageOnly, _Float8)):
        _no_promotion(a, b)
    if (a in WIDE_UNSIGNED or b in WIDE_UNSIGNED) and a._cat <= 1 and b._cat <= 1:
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {a.word} and {b.word}")
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
    if higher._cat == 2 and lower._cat == 3:
        # a complex number or 0-d tensor makes a float result complex of the float's width
        return complex128 if higher is float64 else complex64
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
