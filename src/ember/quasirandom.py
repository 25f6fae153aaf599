"""torch.quasirandom: ``SobolEngine``, Sobol sequences (plain or scrambled) equal to PyTorch's
bit for bit.

    import ember as torch
    engine = torch.quasirandom.SobolEngine(dimension=5, scramble=True, seed=0)
    points = engine.draw(16)            # (16, 5), in the default dtype

The direction numbers are S. Joe and F. Y. Kuo's (search criterion D(6), up to dimension
21201), PyTorch's table. They ship packed in ``_sobol_table.npz`` beside this module
(tools/make_sobol_table.py writes it and documents the packing), read on the first engine's
construction. An engine keeps PyTorch's state: ``sobolstate`` (the direction numbers of each
dimension as 30-bit integers), ``shift`` (the scrambling's random shift), ``quasi`` (the last
point drawn, as integers) and ``num_generated``. Points come in Gray-code order: point k is
``shift`` XOR the direction numbers of the bits set in ``k ^ (k >> 1)``, over 2**30. A
scrambled engine draws its shift and its lower-triangular scrambling matrices with
``randint`` (from a Generator seeded with ``seed``, or from the global generator), in
PyTorch's order, so that the same seed gives the same points.
"""

from pathlib import Path

import numpy as np

from . import _names
from ._device import _typename
from ._dtype import bool as _bool
from ._dtype import (
    builtin_bool,
    builtin_int,
    complex128,
    float32,
    float64,
    get_default_dtype,
    int64,
)
from ._dtype import dtype as _dtype
from ._tensor import Tensor, _make
from .ops.creation import zeros
from .ops.random import Generator, randint
from .ops.shape import cat

__all__ = ["SobolEngine"]

_MAXBIT = 30
_TABLE_FILE = Path(__file__).with_name("_sobol_table.npz")
_TABLE = None  # (poly, degree, first bit of each dimension's m values, packed m bits)
_CHUNK = 1 << 20  # integers held at once while drawing (a block of rows of the result)


def _table():
    global _TABLE
    if _TABLE is None:
        with np.load(_TABLE_FILE) as z:
            gaps, m_bits = z["poly_gaps"], z["m_bits"]
        poly = 2 * np.cumsum(gaps, dtype=np.int64) + 1
        degree = np.searchsorted(1 << np.arange(32, dtype=np.int64), poly, side="right") - 1
        offsets = np.concatenate(([0], np.cumsum(degree * (degree - 1) // 2)))
        _TABLE = (poly, degree, offsets, m_bits)
    return _TABLE


def _direction_numbers(dimension):
    """The initial state of an engine, as torch._sobol_engine_initialize_state_ makes it:
    (dimension, 30) int64, row d holding dimension d's direction numbers v_j * 2**(29 - j)
    (Bratley and Fox's recurrence over the primitive polynomial, from m_1..m_s)."""
    v = np.zeros((dimension, _MAXBIT), dtype=np.int64)
    v[0] = 1
    n = dimension - 1
    if n > 0:
        poly, degree, offsets, m_bits = _table()
        p, s = poly[:n], degree[:n]
        nbits = int(offsets[n])
        bits = np.unpackbits(m_bits[: (nbits + 7) // 8])[:nbits].astype(np.int64)
        # one entry per m_i: its dimension (row - 1), i, and where its i - 1 bits start
        rows = np.repeat(np.arange(n), s)
        i = np.arange(rows.size) - np.repeat(np.cumsum(s) - s, s) + 1
        width = i - 1
        start = offsets[rows] + (i - 1) * (i - 2) // 2
        value = np.zeros(rows.size, dtype=np.int64)
        for k in range(int(width.max())):
            live = k < width
            value[live] |= bits[start[live] + k] << (width[live] - 1 - k)
        v[rows + 1, i - 1] = 2 * value + 1
        rr = np.arange(1, dimension)
        for j in range(1, _MAXBIT):
            todo = s <= j  # the dimensions whose j-th number comes from the recurrence
            if not todo.any():
                continue
            r, sj, pj = rr[todo], s[todo], p[todo]
            new = v[r, j - sj]
            for k in range(int(sj.max())):
                coefficient = (pj >> np.maximum(sj - 1 - k, 0)) & 1
                use = (k < sj) & (coefficient == 1)
                new = new ^ np.where(use, v[r, max(j - k - 1, 0)] << (k + 1), 0)
            v[r, j] = new
    v <<= np.arange(_MAXBIT - 1, -1, -1, dtype=np.int64)
    return v


def _scrambled(v, ltm):
    """torch._sobol_engine_scramble_: each direction number times its dimension's
    lower-triangular matrix (diagonal set to 1) over GF(2), bit 29 - p of the result being
    row p's parity against it."""
    ltm = ltm.copy()
    diag = np.arange(_MAXBIT)
    ltm[:, diag, diag] = 1
    rows = (ltm << np.arange(_MAXBIT - 1, -1, -1, dtype=np.int64)).sum(-1)  # (dimension, 30)
    out = np.zeros_like(v)
    for p in range(_MAXBIT):
        parity = np.bitwise_count(v & rows[:, p : p + 1]).astype(np.int64) & 1
        out |= parity << (_MAXBIT - 1 - p)
    return out


def _rightmost_zero(x):
    """The position of the lowest zero bit of each of x (int64); 0 for negative numbers, as
    PyTorch's loop (``while (i % 2 == 1)``) gives."""
    z = np.bitwise_count(x ^ (x + 1)).astype(np.int64) - 1
    return np.where(x < 0, 0, z)


def _past_the_end(point):
    return RuntimeError(f"SobolEngine: a Sobol sequence has 2**{_MAXBIT} points; point {point} "
                        f"(counting from 0) is past its end")


def _argtype(value):
    """A value's type as PyTorch's argument parser names it: ``Tensor``, ``float``,
    ``numpy.float64``."""
    return "Tensor" if isinstance(value, Tensor) else _typename(value)


def _check_int(fname, value, name, position):
    if isinstance(value, (builtin_bool, np.bool_)) or not (
        isinstance(value, (builtin_int, np.integer))
        or (isinstance(value, Tensor) and value.ndim == 0 and not value.is_floating_point()
            and not value.is_complex() and value.dtype is not _bool)
    ):
        raise TypeError(f"{fname}(): argument '{name}' (position {position}) must be int, "
                        f"not {_argtype(value)}")
    return int(value)


def _check_dtype(fname, dtype):
    if dtype is float:
        return float64
    if dtype is builtin_int:
        return int64
    if dtype is builtin_bool:
        return _bool
    if dtype is complex:
        return complex128
    if not isinstance(dtype, _dtype):
        raise TypeError(_names.spell(f"{fname}(): argument 'dtype' must be ember.dtype, not "
                                     f"{_argtype(dtype)}"))
    return dtype


def _draw(quasi, n, sobolstate, dimension, num_generated, dtype):
    """torch._sobol_engine_draw: the next n points after point ``num_generated`` (whose integers
    ``quasi`` holds); returns them (n, dimension) in ``dtype`` and the last one's integers."""
    n = _check_int("_sobol_engine_draw", n, "n", 2)
    num_generated = _check_int("_sobol_engine_draw", num_generated, "num_generated", 5)
    dtype = _check_dtype("_sobol_engine_draw", dtype)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                           f"[{n}, {dimension}]")
    if dtype not in (float32, float64):
        raise NotImplementedError(f'"_sobol_engine_draw" not implemented for \'{dtype.word}\'')
    q = quasi._data.copy()
    result = np.empty((n, dimension), dtype=dtype.np)
    if n:
        positions = _rightmost_zero(num_generated + np.arange(n, dtype=np.int64))
        if positions.max() >= _MAXBIT:
            raise _past_the_end(num_generated + int(np.argmax(positions >= _MAXBIT)) + 1)
        by_position = np.ascontiguousarray(sobolstate._data.T)  # (30, dimension)
        step = max(1, _CHUNK // max(dimension, 1))
        for a in range(0, n, step):
            block = by_position[positions[a : a + step]]
            np.bitwise_xor.accumulate(block, axis=0, out=block)
            block ^= q
            result[a : a + step] = block  # rounded to float32 as PyTorch's kernel rounds
            q = block[-1].copy()
        result *= dtype.np.type(2.0**-_MAXBIT)
    return _make(result), _make(q)


def _fast_forward(quasi, n, sobolstate, dimension, num_generated):
    """torch._sobol_engine_ff_: moves ``quasi`` n points on from point ``num_generated``."""
    n = _check_int("_sobol_engine_ff_", n, "n", 2)
    num_generated = _check_int("_sobol_engine_ff_", num_generated, "num_generated", 5)
    if n <= 0:
        return quasi
    lo, hi = num_generated, num_generated + n  # the steps' indices: lo .. hi - 1
    # each index x >= 0 steps by direction number rightmost_zero(x): x = 2**l - 1 mod 2**(l+1)
    counts = [0] * _MAXBIT
    counts[0] = max(0, min(hi, 0) - lo)  # the negative indices all step by the first
    lo = max(lo, 0)
    if hi > lo:
        if (hi >> _MAXBIT) > (lo >> _MAXBIT):  # an index x with x + 1 a multiple of 2**30
            raise _past_the_end(-(-(lo + 1) >> _MAXBIT) << _MAXBIT)
        for bit in range(_MAXBIT):
            counts[bit] += ((hi + (1 << bit)) >> (bit + 1)) - ((lo + (1 << bit)) >> (bit + 1))
    odd = [bit for bit in range(_MAXBIT) if counts[bit] % 2]
    if odd:
        quasi._data ^= np.bitwise_xor.reduce(sobolstate._data[:, odd], axis=1)
    return quasi


class SobolEngine:
    r"""An engine for (scrambled) Sobol sequences, low-discrepancy quasi-random sequences
    (``torch.quasirandom.SobolEngine``), in up to 21201 dimensions with Joe and Kuo's direction
    numbers (search criterion D(6)).

    Args:
        dimension (int): the dimensionality of the points drawn, 1 to 21201.
        scramble (bool, optional): draw a scrambled sequence (Owen's random linear scrambling
            and a random digital shift). Default: ``False``.
        seed (int, optional): the seed of the scrambling's random numbers; without one they
            come from the global generator. Default: ``None``.

    Example::

        >>> engine = SobolEngine(dimension=5)
        >>> engine.draw(3)
        tensor([[0.0000, 0.0000, 0.0000, 0.0000, 0.0000],
                [0.5000, 0.5000, 0.5000, 0.5000, 0.5000],
                [0.7500, 0.2500, 0.2500, 0.2500, 0.7500]])
    """

    MAXBIT = 30
    MAXDIM = 21201

    def __init__(self, dimension, scramble=False, seed=None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(f"Supported range of dimensionality for SobolEngine is "
                             f"[1, {self.MAXDIM}]")
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension

        self.sobolstate = zeros(dimension, self.MAXBIT, dtype=int64)
        self.sobolstate._data[...] = _direction_numbers(int(dimension))

        if not self.scramble:
            self.shift = zeros(self.dimension, dtype=int64)
        else:
            self._scramble()

        self.quasi = self.shift.clone()
        self._first_point = (self.quasi / 2**self.MAXBIT).reshape(1, -1)
        self.num_generated = 0

    def draw(self, n=1, out=None, dtype=None):
        r"""Draws the next :attr:`n` points of the sequence, as an (n, dimension) tensor of
        ``dtype`` (default: the default dtype); into ``out`` when it is given."""
        if dtype is None:
            dtype = get_default_dtype()

        if self.num_generated == 0:
            if n == 1:
                result = self._first_point.to(dtype)
            else:
                result, self.quasi = _draw(self.quasi, n - 1, self.sobolstate, self.dimension,
                                           self.num_generated, dtype)
                result = cat((self._first_point.to(dtype), result), dim=-2)
        else:
            result, self.quasi = _draw(self.quasi, n, self.sobolstate, self.dimension,
                                       self.num_generated - 1, dtype)

        self.num_generated += n

        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m, out=None, dtype=None):
        r"""Draws the next 2**m points; the points drawn in all must stay a power of 2, as
        the balance properties of Sobol' points require."""
        n = 2**m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError(
                "The balance properties of Sobol' points require "
                f"n to be a power of 2. {self.num_generated} points have been "
                f"previously generated, then: n={self.num_generated}+2**{m}={total_n}. "
                "If you still want to do this, please use "
                "'SobolEngine.draw()' instead."
            )
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self):
        r"""Takes the engine back to its first point."""
        self.quasi.copy_(self.shift)
        self.num_generated = 0
        return self

    def fast_forward(self, n):
        r"""Skips :attr:`n` points, as drawing them would."""
        if self.num_generated == 0:
            _fast_forward(self.quasi, n - 1, self.sobolstate, self.dimension,
                          self.num_generated)
        else:
            _fast_forward(self.quasi, n, self.sobolstate, self.dimension,
                          self.num_generated - 1)
        self.num_generated += n
        return self

    def _scramble(self):
        g = None
        if self.seed is not None:
            g = Generator()
            g.manual_seed(self.seed)
        # the random shift: 30 random bits a dimension
        shift_ints = randint(2, (self.dimension, self.MAXBIT), generator=g)
        self.shift = _make(shift_ints._data @ (np.int64(1) << np.arange(self.MAXBIT)))
        # the lower-triangular scrambling matrices, one a dimension
        ltm = randint(2, (self.dimension, self.MAXBIT, self.MAXBIT), generator=g)
        self.sobolstate._data[...] = _scrambled(self.sobolstate._data, np.tril(ltm._data))

    def __repr__(self):
        fmt_string = [f"dimension={self.dimension}"]
        if self.scramble:
            fmt_string += ["scramble=True"]
        if self.seed is not None:
            fmt_string += [f"seed={self.seed}"]
        return self.__class__.__name__ + "(" + ", ".join(fmt_string) + ")"


# classes and functions exported here from internal modules say this namespace in __module__
_names.adopt(__name__)
