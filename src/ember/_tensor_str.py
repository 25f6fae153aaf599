"""Text rendering of tensors, matching PyTorch 2.13's ``repr(tensor)`` character for character.

The rules mirror ``torch/_tensor_str.py``:

* One formatter is chosen for the whole tensor (or, when the tensor is summarised, for the
  elements that are actually shown).  Floating point formatters pick one of three styles:
  integer style (``1.``), fixed point (``1.5000``) or scientific (``1.5000e+05``), and a column
  width that right-aligns every element.
* Only finite, non-zero values take part in choosing the style and the width; ``nan``, ``inf``
  and zeros are printed in whatever style the other values chose.
* Rows wrap at ``linewidth``; tensors with more than ``threshold`` elements print only
  ``edgeitems`` entries at each end of every dimension, with ``...`` in between.
* Suffixes such as ``dtype=``, ``size=``, ``grad_fn=`` follow the closing bracket and move to a
  new line when they would overflow ``linewidth``.

The module depends on NumPy, the standard library and ``_names`` (the printed prefix) only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _names

__all__ = ["get_printoptions", "printoptions", "set_printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Set options for printing tensors (same semantics as ``torch.set_printoptions``).

    ``profile`` ("default", "short" or "full") is applied first and the other arguments
    override it.  Like PyTorch, ``sci_mode`` is always assigned, so omitting it restores
    automatic selection of scientific notation.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current print options, as keyword arguments accepted by :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs) -> Iterator[None]:
    """Temporarily change the print options inside a ``with`` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------------------------
# Element formatters.  Each one exposes ``width`` (the column width used for line wrapping)
# and ``format_list`` (turns a list of Python scalars into right-aligned strings).
# ---------------------------------------------------------------------------------------------


class _FloatFormatter:
    __slots__ = ("int_mode", "precision", "sci_mode", "width")

    def __init__(self, values: np.ndarray) -> None:
        self.precision = PRINT_OPTS.precision
        self.int_mode = True
        self.sci_mode = False
        self.width = 1

        flat = values.ravel()
        if flat.size == 1:
            # Fast path for scalars and single-element tensors.
            value = float(flat[0])
            if value == 0.0 or not math.isfinite(value):
                return
            self.int_mode = value == math.ceil(value)
            extremes = [value]
            smallest = largest = abs(value)
        else:
            shown = flat[np.isfinite(flat) & (flat != 0)]
            if shown.size == 0:
                # Nothing to measure: PyTorch keeps integer style, no sci mode, width 1.
                return
            self.int_mode = bool((shown == np.ceil(shown)).all())
            # The printed length of a value is monotonic in its magnitude for each sign (the
            # exponent too), so the widest string is produced by one of the per-sign extremes.
            pos = shown[shown > 0]
            neg = shown[shown < 0]
            extremes = []
            if pos.size:
                extremes += [float(pos.min()), float(pos.max())]
            if neg.size:
                extremes += [float(neg.min()), float(neg.max())]
            magnitudes = [abs(v) for v in extremes]
            smallest, largest = min(magnitudes), max(magnitudes)

        if PRINT_OPTS.sci_mode is None:
            # Same thresholds as PyTorch; the ratio is computed in double precision.
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        if self.sci_mode:
            spec, extra = f".{self.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "." that marks a float
        else:
            spec, extra = f".{self.precision}f", 0
        self.width = max(1, max(len(format(v, spec)) for v in extremes) + extra)

    def format_list(self, values: list[float]) -> list[str]:
        width = self.width
        if self.sci_mode:
            return list(map(f"{{:>{width}.{self.precision}e}}".format, values))
        if not self.int_mode:
            return list(map(f"{{:>{width}.{self.precision}f}}".format, values))
        # Integer style: "3." for finite values; nan/inf get no dot.  Finite strings end in a
        # digit before the dot, while "nan."/"inf." end in a letter, which is how we spot them.
        out = list(map("{:.0f}.".format, values))
        return [(s if s[-2].isdigit() else s[:-1]).rjust(width) for s in out]


class _IntFormatter:
    __slots__ = ("width",)

    def __init__(self, values: np.ndarray) -> None:
        # str(int) length is monotonic in magnitude per sign: the extremes are the widest.
        self.width = max(1, len(str(int(values.max()))), len(str(int(values.min()))))

    def format_list(self, values: list[int]) -> list[str]:
        return list(map(f"{{:>{self.width}d}}".format, values))


class _BoolFormatter:
    __slots__ = ("_names", "width")

    def __init__(self, values: np.ndarray) -> None:
        self.width = 4 if values.all() else 5  # len("True") or len("False")
        self._names = {True: "True".rjust(self.width), False: "False"}

    def format_list(self, values: list[bool]) -> list[str]:
        return list(map(self._names.__getitem__, values))


class _ComplexFormatter:
    """Separate formatters for the real and imaginary parts, joined as ``a+bj``."""

    __slots__ = ("imag", "real", "width")

    def __init__(self, values: np.ndarray) -> None:
        self.real = _FloatFormatter(values.real)
        self.imag = _FloatFormatter(values.imag)
        # Line wrapping counts both parts plus the "j".
        self.width = self.real.width + self.imag.width + 1

    def format_list(self, values: list[complex]) -> list[str]:
        reals = self.real.format_list([v.real for v in values])
        imags = self.imag.format_list([v.imag for v in values])
        out = []
        for re_str, im_str in zip(reals, imags):
            im_str = (im_str + "j").lstrip()
            # A sign is already present for negative numbers (including -0.) and for "+nan".
            out.append(re_str + im_str if im_str[0] in "+-" else re_str + "+" + im_str)
        return out


def _make_formatter(values: np.ndarray):
    kind = values.dtype.kind
    if kind in "fV":
        return _FloatFormatter(values)
    if kind == "c":
        return _ComplexFormatter(values)
    if kind == "b":
        return _BoolFormatter(values)
    if kind in "iu":
        return _IntFormatter(values)
    raise TypeError(f"cannot format arrays of dtype {values.dtype}")


# ---------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------


def _summarize(data: np.ndarray, edge: int) -> tuple[np.ndarray, list[bool]]:
    """Keep ``edge`` entries at both ends of every dimension longer than ``2 * edge``."""
    cut = []
    for axis, size in enumerate(data.shape):
        long = size > 2 * edge
        cut.append(long)
        if long:
            head = (slice(None),) * axis + (slice(None, edge),)
            tail = (slice(None),) * axis + (slice(size - edge, None),)
            data = np.concatenate((data[head], data[tail]), axis=axis)
    return data, cut


def _layout(
    strs: list[str], shape: tuple[int, ...], cut: list[bool], edge: int, indent: int, width: int
) -> str:
    """Nest the flat list of element strings ``strs`` (C order over ``shape``) in brackets."""
    ndim = len(shape)
    linewidth = PRINT_OPTS.linewidth
    item_len = width + 2  # every element is followed by ", "
    strides = [math.prod(shape[axis + 1 :]) for axis in range(ndim)]

    def block(offset: int, axis: int, ind: int) -> str:
        size = shape[axis]
        if axis == ndim - 1:
            row = strs[offset : offset + size]
            if cut[axis]:
                row[edge:edge] = [" ..."]
            per_line = max(1, math.floor((linewidth - ind) / item_len))
            if len(row) <= per_line:
                return "[" + ", ".join(row) + "]"
            lines = [", ".join(row[i : i + per_line]) for i in range(0, len(row), per_line)]
            return "[" + (",\n" + " " * (ind + 1)).join(lines) + "]"
        step = strides[axis]
        parts = [block(offset + i * step, axis + 1, ind + 1) for i in range(size)]
        if cut[axis]:
            parts.insert(edge, "...")
        # Sub-blocks of 3-d and larger tensors are separated by blank lines.
        sep = "," + "\n" * (ndim - axis - 1) + " " * (ind + 1)
        return "[" + sep.join(parts) + "]"

    return block(0, 0, indent)


def _tensor_str(data: np.ndarray, indent: int) -> str:
    """The bracketed body of a non-empty tensor (no prefix and no suffixes)."""
    if data.dtype.itemsize == 1 and data.dtype.kind in "fV":
        # float8 (ml_dtypes): printed from its float32 values; e8m0fnu's smallest value 2**-127
        # is what a zero becomes in it, and PyTorch's printing treats it as zero
        e8m0 = data.dtype.name == "float8_e8m0fnu"
        data = data.astype(np.float32)
        if e8m0:
            data = np.where(data == np.float32(2.0 ** -127), np.float32(0), data)
    summarize = data.size > PRINT_OPTS.threshold
    if data.ndim == 0:
        return _make_formatter(data).format_list([data.item()])[0]
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        return "[...]"
    if summarize:
        data, cut = _summarize(data, edge)
    else:
        cut = [False] * data.ndim
    formatter = _make_formatter(data)
    strs = formatter.format_list(data.ravel().tolist())
    return _layout(strs, data.shape, cut, edge, indent, formatter.width)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    # PyTorch's measure of the last line is two characters longer than the line itself
    # (it counts from the newline, or from index -1 when there is none); kept for parity.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(
    data,
    *,
    dtype_name: str,
    default_dtype_name: str = "float32",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    module: str | None = None,
    prefix: str = "tensor(",
    indent: int | None = None,
    tangent: str | None = None,
) -> str:
    """Render ``data`` exactly as PyTorch renders a CPU tensor with the same values.

    Args:
        data: the values, a NumPy array of any shape (0-d and empty included).
        dtype_name: the tensor's dtype as PyTorch names it ("float32", "int64", "bool", ...).
        default_dtype_name: the current default floating point dtype.
        requires_grad: shown as ``requires_grad=True`` when there is no ``grad_fn_name``.
        grad_fn_name: class name of the node that produced the tensor, e.g. "MulBackward0".
        module: printed before the dtype name in ``dtype=<module>.<dtype_name>``.
        prefix: text before the opening bracket.
        indent: indentation of continuation lines; defaults to the length of the last line of
            ``prefix`` (so a prefix like "Parameter containing:\\ntensor(" indents by 7).
        tangent: the forward-mode tangent as printed, shown as ``tangent=...`` last.
    """
    data = np.asarray(data)
    if indent is None:
        indent = len(prefix) - (prefix.rfind("\n") + 1)
    dtype_suffix = f"dtype={module or _names.prefix}.{dtype_name}"
    suffixes = []
    if data.size == 0:
        # Like NumPy, the shape is shown unless it is simply (0,); with no values to infer the
        # dtype from, any dtype other than the default float one is shown (int64 and bool too).
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype_name != default_dtype_name:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
        if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
            suffixes.append(dtype_suffix)
        body = _tensor_str(data, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        suffixes.append(f"tangent={tangent}")
    return _add_suffixes(prefix + body, suffixes, indent)
