"""Padding layers: reflection, replication, circular, zero and constant padding of the last
1, 2 or 3 dims (all call nn.functional.pad)."""

from .. import functional as F
from .module import Module

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d",
]


def _pads(padding, n):
    """An int pads every side; a tuple is (left, right, top, bottom, front, back)."""
    return (padding,) * (2 * n) if isinstance(padding, int) else tuple(padding)


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _pads(padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        n = self._n
        if input.dim() not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


def _layers(base, prefix, doc, **attrs):
    out = []
    for n in (1, 2, 3):
        cls = type(f"{prefix}{n}d", (base,), {"_n": n, "__doc__": doc.format(n=n), **attrs})
        cls.__module__ = __name__
        out.append(cls)
    return out


ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _layers(
    _PadNd, "ReflectionPad", "Pads the last {n} dim(s) with the input's reflection (the edge "
    "itself is not repeated).", _mode="reflect")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _layers(
    _PadNd, "ReplicationPad", "Pads the last {n} dim(s) by repeating the edge values.",
    _mode="replicate")
CircularPad1d, CircularPad2d, CircularPad3d = _layers(
    _CircularPadNd, "CircularPad", "Pads the last {n} dim(s) periodically (wrapping around).")
ConstantPad1d, ConstantPad2d, ConstantPad3d = _layers(
    _ConstantPadNd, "ConstantPad", "Pads the last {n} dim(s) with a constant value.")


class _ZeroPadNd:
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


ZeroPad1d, ZeroPad2d, ZeroPad3d = (
    type(f"ZeroPad{n}d", (_ZeroPadNd, base), {
        "__doc__": f"Pads the last {n} dim(s) with zeros.", "__module__": __name__})
    for n, base in ((1, ConstantPad1d), (2, ConstantPad2d), (3, ConstantPad3d)))
