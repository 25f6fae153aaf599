"""``torch.testing``: assert_close and make_tensor, with PyTorch's tolerances and messages."""

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from . import _dtype
from ._tensor import Tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# (rtol, atol) by dtype: PyTorch's defaults
_TOLERANCES = {
    "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7),
}


class _Failure(Exception):
    def __init__(self, kind, text):
        super().__init__(text)
        self.kind = kind
        self.text = text


def _as_tensor_pair(actual, expected):
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        return actual, expected
    number = (int, float, complex, bool, np.number, np.bool_)
    if isinstance(actual, number) and isinstance(expected, number) and \
            not isinstance(actual, Tensor) and not isinstance(expected, Tensor):
        from .ops.creation import tensor

        return tensor(actual), tensor(expected)
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type "
                              f"{_type_text(actual)} and {_type_text(expected)}.")


def _type_text(x):
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _fmt(v):
    v = v.item() if hasattr(v, "item") else v
    return repr(v)


def _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype):
    if tuple(a.shape) != tuple(e.shape):
        raise _Failure(AssertionError, f"The values for attribute 'shape' do not match: "
                                       f"{a.shape} != {e.shape}.")
    if check_dtype and a.dtype is not e.dtype:
        raise _Failure(AssertionError, f"The values for attribute 'dtype' do not match: "
                                       f"{a.dtype} != {e.dtype}.")
    x, y = np.asarray(a._data), np.asarray(e._data)
    if x.dtype != y.dtype:
        common = np.result_type(x, y)
        x, y = x.astype(common), y.astype(common)
    inexact = x.dtype.kind in "fcV"
    if x.dtype.kind == "V":  # bfloat16 (ml_dtypes): compare in float32
        x, y = x.astype(np.float32), y.astype(np.float32)
    if rtol is None:
        rtol, atol = _TOLERANCES.get(a.dtype.name if hasattr(a.dtype, "name") else "", (0, 0))
        if not inexact:
            rtol, atol = 0, 0
    if x.dtype == np.bool_:
        close = x == y
        diff = (x != y).astype(np.int64)
        rel = diff.astype(np.float32)
    else:
        with np.errstate(all="ignore"):
            close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
            if inexact:
                diff = np.abs(x - y)
                rel = diff / np.abs(y)
            else:
                diff = np.abs(x.astype(np.int64) - y.astype(np.int64))
                rel = diff.astype(np.float32) / np.abs(y).astype(np.float32)
    if close.all():
        return
    total, bad = close.size, int((~close).sum())
    head = "Tensor-likes are not close!" if inexact else "Tensor-likes are not equal!"

    def where(arr):
        flat = arr.reshape(-1)
        i = int(np.nanargmax(flat)) if not np.isnan(flat).all() else 0
        if np.isnan(flat).any():
            i = int(np.flatnonzero(np.isnan(flat))[0])
        return flat[i], tuple(int(k) for k in np.unravel_index(i, arr.shape))

    d, di = where(diff)
    r, ri = where(rel)
    lines = [head, "", f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"]
    tol_a = f" (up to {atol} allowed)" if inexact else ""
    tol_r = f" (up to {rtol} allowed)" if inexact else ""
    lines.append(f"Greatest absolute difference: {_fmt(d)} at index {di}{tol_a}")
    lines.append(f"Greatest relative difference: {_fmt(r)} at index {ri}{tol_r}")
    raise _Failure(AssertionError, "\n".join(lines))


def _walk(actual, expected, path, fn):
    if isinstance(actual, Tensor) or isinstance(expected, Tensor) or \
            isinstance(actual, (str, bytes)):
        return fn(actual, expected, path)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise _Failure(AssertionError, f"The keys of the mappings do not match:\n"
                                           f"Missing keys in the actual mapping: "
                                           f"{sorted(set(expected) - set(actual))}\n"
                                           f"Additional keys in the actual mapping: "
                                           f"{sorted(set(actual) - set(expected))}")
        for k in actual:
            _walk(actual[k], expected[k], [*path, repr(k)], fn)
        return None
    if isinstance(actual, Sequence) and isinstance(expected, Sequence):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: "
                                           f"{len(actual)} != {len(expected)}")
        for i, (x, y) in enumerate(zip(actual, expected)):
            _walk(x, y, [*path, str(i)], fn)
        return None
    return fn(actual, expected, path)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Assert that ``actual`` and ``expected`` (tensors, numbers, or sequences and mappings
    of them) are close: ``|actual - expected| <= atol + rtol * |expected|``, with the
    dtype's default tolerances when none are given."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but "
                         f"got no {'rtol' if rtol is None else 'atol'}.")

    def one(a, e, path):
        try:
            a, e = _as_tensor_pair(a, e)
            _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype)
        except _Failure as f:
            text = f.text
            if path and f.kind is AssertionError:
                text += f"\n\nThe failure occurred for item {''.join(f'[{p}]' for p in path)}"
            f.text = text
            raise

    try:
        _walk(actual, expected, [], one)
    except _Failure as f:
        text = f.text
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise f.kind(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
                  stacklevel=2)
    if not isinstance(actual, Tensor):
        from .ops.creation import tensor

        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        from .ops.creation import tensor

        expected = tensor(expected, dtype=actual.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` filled with random values in [low, high) (PyTorch's defaults:
    [-9, 9) for floats, [-9, 10) for signed integers, [0, 10) for uint8), from ember's
    generator."""
    from .ops.random import rand, randint

    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if dtype is _dtype.bool:
        t = randint(0, 2, shape).to(dtype)
    elif dtype.is_floating_point or dtype.is_complex:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        if lo > hi or math.isnan(lo) or math.isnan(hi):
            raise ValueError(f"`low` must be less than or equal to `high`, but got {lo} and "
                             f"{hi}")
        t = rand(*shape, dtype=_dtype.float64) * (hi - lo) + lo
        if dtype.is_complex:
            t = t + 1j * (rand(*shape, dtype=_dtype.float64) * (hi - lo) + lo)
        t = t.to(dtype)
        if exclude_zero:
            tiny = float(np.finfo(np.float32).tiny) if dtype.itemsize >= 4 else 1e-4
            t = t.masked_fill(t == 0, tiny)
    else:
        unsigned = dtype is _dtype.uint8
        lo = (0 if unsigned else -9) if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        t = randint(lo, hi, shape).to(dtype)
        if exclude_zero:
            t = t.masked_fill(t == 0, 1)
    if noncontiguous and t.numel() > 1:
        from .ops.shape import cat

        t = cat([t, t], -1)[..., ::2]
    if requires_grad:
        t.requires_grad_(True)
    return t
