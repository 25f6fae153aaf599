"""PyTorch's CPU random stream, reproduced on NumPy arrays.

PyTorch's CPU generator is a 32-bit Mersenne Twister seeded with the classic ``init_genrand``
recurrence on the low 32 bits of the seed. NumPy's MT19937 bit generator runs the same
twister, so ``random_raw`` yields exactly PyTorch's 32-bit words once its key is set the same
way. Every distribution below consumes those words as PyTorch's CPU kernels do (PyTorch 2.13):

* a "word" is one 32-bit draw; a "double word" is two draws, the first the high half;
* float32 uniforms use the low 24 bits of a word, float64 uniforms the low 53 bits of a double
  word, scaled into [0, 1) and then stretched to [from, to) with one fused multiply-add;
* normals for tensors of 16+ contiguous elements are filled in blocks of 16 (Box-Muller on the
  pairs j, j+8; a ragged tail recomputes the last 16 from fresh uniforms). float32 blocks use
  the AVX2 Cephes-style log and sincos polynomials that PyTorch uses on AVX2/AVX-512 CPUs;
  smaller or strided tensors draw one double-precision Box-Muller pair per two elements and
  keep the spare sample in the generator, as PyTorch does;
* the kernels are compiled with fused multiply-add (x86-64 with AVX2/FMA), so ``a * b + c`` in
  them rounds once; ``_fma32``/``_fma64`` reproduce that exactly on NumPy.

Elements are produced in memory order (what PyTorch's TensorIterator does for one output).
Transcendentals in double precision that must match the C library bit for bit (log, log1p,
tan, exp) go through Python's ``math`` module, which calls the same C library PyTorch uses, or
through NumPy's ufunc where a check at first use shows it gives the same bits (``c_log``).
randperm's Fisher-Yates shuffle, a chain of dependent swaps, is reconstructed from its swap
targets with sorts and gathers instead of being run swap by swap (``_perm_from_swaps``).
"""

import math
import struct

import numpy as np

_f32 = np.float32
_f64 = np.float64
_MASK24 = np.uint64(0xFFFFFF)
_MASK53 = np.uint64((1 << 53) - 1)
_SH32 = np.uint64(32)
_TWO_M24 = _f32(2.0 ** -24)
_TWO_M53 = 2.0 ** -53
DEFAULT_SEED = 67280421310721
_U64 = (1 << 64) - 1


class MT19937:
    """One generator's state: the twister, its seed, and Box-Muller's cached spare samples."""

    __slots__ = ("bg", "raw", "seed", "fresh", "next_double", "next_float")

    def __init__(self, seed=DEFAULT_SEED):
        # the twister (NumPy's, in numpy.random) is made on the first draw: importing
        # numpy.random is a good part of `import ember`'s time, and a script may never draw
        self._set_seed(seed)

    def __getattr__(self, name):  # only for the unset slots bg and raw: the first draw
        if name not in ("bg", "raw"):
            raise AttributeError(name)
        self.bg = np.random.MT19937()
        self.raw = self.bg.random_raw
        self._seed_twister(self.seed)
        return getattr(self, name)

    def _seed_twister(self, seed):
        try:
            self.bg._legacy_seeding(seed & 0xFFFFFFFF)  # NumPy's init_genrand, ~1 us
        except AttributeError:  # pragma: no cover - a NumPy without the legacy seeding hook
            self._set_key(_init_genrand(seed & 0xFFFFFFFF), 624)

    def manual_seed(self, seed):
        self._set_seed(seed)
        self._seed_twister(self.seed)

    def _set_seed(self, seed):
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        seed &= _U64  # negative seeds wrap to their unsigned 64-bit value, as in PyTorch
        self.seed = seed
        self.fresh = True  # PyTorch's freshly seeded engine reports next=0 rather than 624
        self.next_double = None
        self.next_float = None

    def _set_key(self, key, pos):
        self.bg.state = {"bit_generator": "MT19937",
                         "state": {"key": np.asarray(key, np.uint32), "pos": int(pos)}}

    # -- raw words ----------------------------------------------------------------------------
    def words(self, n):
        """n 32-bit draws (as uint64)."""
        self.fresh = False
        return self.raw(n)

    def words64(self, n):
        """n 64-bit draws, each made of two 32-bit draws (the first is the high half)."""
        self.fresh = False
        w = self.raw(2 * n)
        return (w[0::2] << _SH32) | w[1::2]

    def word(self):
        self.fresh = False
        return int(self.raw())

    def word64(self):
        self.fresh = False
        hi, lo = self.raw(2).tolist()
        return (hi << 32) | lo

    # -- state bytes, laid out as PyTorch's CPUGeneratorImplState (5056 bytes) ------------------
    def get_state(self):
        st = self.bg.state["state"]
        pos = int(st["pos"])
        left, nxt = 625 - pos, (0 if self.fresh else pos)
        head = struct.pack("<QiiQ", self.seed, left, 1, nxt)
        key = np.asarray(st["key"], np.uint64).astype("<u8").tobytes()
        nd = self.next_double
        tail = struct.pack("<dddi4x", 0.0, 0.0 if nd is None else nd, 0.0, nd is not None)
        nf = self.next_float
        tail2 = struct.pack("<f?3x", 0.0 if nf is None else nf, nf is not None)
        return head + key + tail + tail2

    def set_state(self, data):
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", data, 0)
        key = np.frombuffer(data, "<u8", 624, 24).astype(np.uint32)
        _, ny, _, nvalid = struct.unpack_from("<dddi", data, 24 + 8 * 624)
        nf, fvalid = struct.unpack_from("<f?", data, 24 + 8 * 624 + 32)
        if not (seeded == 1 and 0 < left <= 624 and 0 <= nxt <= 624):
            raise RuntimeError("Invalid mt19937 state")
        self._set_key(key, 625 - left)
        self.seed = seed
        self.fresh = left == 1 and nxt == 0
        self.next_double = ny if nvalid else None
        self.next_float = float(np.float32(nf)) if fvalid else None

    def clone(self):
        other = MT19937.__new__(MT19937)
        other.bg = np.random.MT19937()
        other.raw = other.bg.random_raw
        other.bg.state = self.bg.state
        other.seed, other.fresh = self.seed, self.fresh
        other.next_double, other.next_float = self.next_double, self.next_float
        return other


def _init_genrand(s):
    key = [s]
    for j in range(1, 624):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key.append(s)
    return key


def nondeterministic_seed():
    import secrets  # only for non-deterministic seeds; keeps `import ember` light

    return secrets.randbits(64)


# -- exact fused multiply-add on NumPy --------------------------------------------------------
def _fma32(a, b, c):
    """float32 a * b + c rounded once (a, b, c: float32 arrays or scalars)."""
    s = np.multiply(a, b, dtype=_f64)  # exact: 24 + 24 bits fit in 53
    s += c
    # rounding the double to float32 is wrong only when s sits exactly halfway between two
    # float32 values while the exact sum does not; find those and nudge them off the tie
    if ((s.view(np.uint64) & _LOW29) == _HALF29).any():
        s = _fix_ties(s, a, b, c)
    return s.astype(_f32)


_LOW29 = np.uint64(0x1FFFFFFF)
_HALF29 = np.uint64(0x10000000)


def _fix_ties(s, a, b, c):
    p = np.multiply(a, b, dtype=_f64)
    c64 = np.broadcast_to(np.asarray(c, _f64), s.shape)
    bb = s - p
    err = (p - (s - bb)) + (c64 - bb)
    fix = ((s.view(np.uint64) & _LOW29) == _HALF29) & (err != 0)
    s[fix] = np.nextafter(s[fix], np.where(err[fix] > 0, np.inf, -np.inf))
    return s


_SPLIT = 134217729.0  # 2**27 + 1


def _fma64(a, b, c):
    """float64 a * b + c rounded once: error-free product and sum, then one rounding."""
    a = np.asarray(a, _f64)
    b = np.asarray(b, _f64)
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    ep = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    es = (p - (s - bb)) + (c - bb)
    out = s + (ep + es)
    # a zero or non-finite product carries no error term
    bad = ~np.isfinite(p) | (p == 0)
    if bad.any():
        out = np.where(bad, s, out)
    return out


# -- uniform ------------------------------------------------------------------------------------
def unit32(g, n):
    """n float32 uniforms in [0, 1) (24 random bits each, one word each)."""
    w = g.words(n)
    w &= _MASK24
    x = w.astype(_f32)
    x *= _TWO_M24
    return x


def unit64(g, n):
    """n float64 uniforms in [0, 1) (53 random bits each, two words each)."""
    g.fresh = False
    w = g.raw(2 * n)
    bits = w[0::2] & _MASK21  # the high word's low 21 bits, then the low word
    bits <<= _SH32
    bits |= w[1::2]
    x = bits.astype(_f64)
    x *= _TWO_M53
    return x


_MASK21 = np.uint64((1 << 21) - 1)


def unit64_list(g, n):
    """unit64 as a list of Python floats (cheaper for a handful of draws)."""
    if n > 64:
        return unit64(g, n).tolist()
    g.fresh = False
    it = iter(g.raw(2 * n).tolist())
    # the 53 bits are the high word's low 21 bits then the low word: both terms are exact
    return [(hi & 0x1FFFFF) * _TWO_M21 + lo * _TWO_M53 for hi, lo in zip(it, it)]


_TWO_M21 = 2.0 ** -21


def uniform(g, n, dt, lo=0.0, hi=1.0):
    """PyTorch's uniform_(lo, hi) for n elements of NumPy dtype dt, in memory order."""
    if dt == _f64:
        x = unit64(g, n)
        if lo == 0.0 and hi == 1.0:
            return x
        return _fma64(x, hi - lo, lo)
    if dt == _f32:
        x = unit32(g, n)
        if lo == 0.0 and hi == 1.0:
            return x
        f, t = _f32(lo), _f32(hi)
        return _fma32(x, t - f, f)
    if dt.char in "eE":
        # float16, bfloat16: float32's draw rounded to the dtype; a value that rounds up to
        # the bound becomes the lower bound, keeping the interval half-open
        x = uniform(g, n, _f32, lo, hi).astype(dt)
        top = dt.type(hi)
        return np.where(x >= top, dt.type(lo), x) if (x >= top).any() else x
    raise TypeError(dt)


# -- normal -------------------------------------------------------------------------------------
_TWO_PI = 2.0 * math.pi


def normal_pairs(g, n):
    """n standard normals (float64) from PyTorch's scalar Box-Muller, using the cached spare
    sample first and leaving a new spare behind when n is odd."""
    out = []
    if n and g.next_double is not None:
        out.append(g.next_double)
        g.next_double = None
        n -= 1
    if n > 32:
        pairs = (n + 1) // 2
        u = unit64(g, 2 * pairs).reshape(pairs, 2)
        radius = c_ufunc("log1p", -u[:, 1])
        radius *= -2.0
        np.sqrt(radius, out=radius)
        theta = _TWO_PI * u[:, 0]
        z = np.empty((pairs, 2), _f64)
        np.multiply(radius, c_ufunc("cos", theta), out=z[:, 0])
        np.multiply(radius, c_ufunc("sin", theta), out=z[:, 1])
        z = z.reshape(-1)
        if n % 2:
            g.next_double = float(z[-1])
            z = z[:-1]
        return np.concatenate([out, z]) if out else z
    if n:
        pairs = (n + 1) // 2
        u = unit64_list(g, 2 * pairs)
        log1p, sqrt, sin, cos = math.log1p, math.sqrt, math.sin, math.cos
        it = iter(u)
        for u1, u2 in zip(it, it):
            r = sqrt(-2.0 * log1p(-u2))
            theta = _TWO_PI * u1
            out.append(r * cos(theta))
            out.append(r * sin(theta))
        if n % 2:
            g.next_double = out.pop()
    return np.array(out, _f64)


def normal_small(g, n, dt, mean=0.0, std=1.0):
    """The element-by-element path (fewer than 16 elements, or not contiguous)."""
    z = normal_pairs(g, n)
    if mean == 0.0 and std == 1.0:
        return z.astype(dt)
    return _fma64(z, std, mean).astype(dt)


def normal(g, n, dt, mean=0.0, std=1.0, contiguous=True):
    """PyTorch's normal_(mean, std) for n elements of NumPy dtype dt, in memory order."""
    if n < 16 or not contiguous or dt not in (_f32, _f64):
        return normal_small(g, n, dt, mean, std)
    if dt == _f32:
        unit, block = unit32, _normal16_f32
        mean, std = _f32(mean), _f32(std)
    else:
        unit, block = unit64, _normal16_f64
    full = n - n % 16
    out = np.empty(n, dt)
    for i in range(0, full, _CHUNK):  # uniforms drawn and used in chunks that stay in cache
        j = min(i + _CHUNK, full)
        block(unit(g, j - i), mean, std, out[i:j])
    if full < n:  # the ragged end's uniforms are drawn, then the last 16 come from 16 more
        unit(g, n - full)
        block(unit(g, 16), mean, std, out[n - 16:])
    return out


_CHUNK = 16 * 4096


def _normal16_f64(u, mean, std, out):
    """Box-Muller over blocks of 16 doubles: u1 = 1 - u[j], u2 = u[j + 8]; into out."""
    b = u.reshape(-1, 2, 8)
    u1 = 1.0 - b[:, 0]
    theta = _TWO_PI * b[:, 1]
    radius = c_log(u1)
    radius *= -2.0
    np.sqrt(radius, out=radius)
    o = out.reshape(b.shape)
    for k, name in enumerate(("cos", "sin")):
        fn = _libm_ufunc(name)
        if fn is not None:
            fn(theta, out=o[:, k])
        else:
            o[:, k] = c_ufunc(name, theta)
        o[:, k] *= radius
    if not (mean == 0.0 and std == 1.0):
        out[...] = _fma64(out, std, mean)


# -- the C library's transcendentals on arrays --------------------------------------------
_LIBM_UFUNC = {}


def _libm_ufunc(name):
    """NumPy's ufunc ``name`` when it gives the C library's results bit for bit on this machine
    (NumPy calls the C library for float64 log, log1p, exp, sin, cos and tan unless it has a
    SIMD loop of its own for the CPU, as on AVX-512), else None. Checked once, on values
    across the domain the samplers give it."""
    fn = _LIBM_UFUNC.get(name, False)
    if fn is False:
        ufunc, scalar = getattr(np, name), getattr(math, name)
        g = np.random.Generator(np.random.PCG64(20240229))
        x = np.concatenate([g.random(4096), g.random(1024) * 2.0 ** -40,
                            1.0 - g.random(1024) * 2.0 ** -30,
                            np.exp(g.uniform(-700.0, 700.0, 1024)),
                            [2.0 ** -53, 2.0 ** -1074, 0.5, 1.0 - 2.0 ** -53, 1.0]])
        if name == "log1p":  # its samples come as log1p(-u), u in [0, 1)
            x = np.concatenate([x, -g.random(4096), -1.0 + g.random(1024) * 2.0 ** -30])
        elif name in ("sin", "cos", "tan"):  # 2 pi u, and pi (u - 1/2)
            x = np.concatenate([x[:4096] * _TWO_PI, (x[:4096] - 0.5) * math.pi])
        elif name == "exp":
            x = np.concatenate([g.standard_normal(4096) * 3.0, g.uniform(-700.0, 700.0, 1024)])
        same = np.array_equal(ufunc(x), np.array([scalar(v) for v in x.tolist()]))
        fn = _LIBM_UFUNC[name] = ufunc if same else None
    return fn


def c_ufunc(name, x):
    """The C library's ``name`` (log, log1p, exp, sin, cos, tan) of a float64 array."""
    fn = _libm_ufunc(name)
    if fn is not None:
        return fn(x)
    x = np.asarray(x, _f64)
    return np.fromiter(map(getattr(math, name), x.ravel().tolist()), _f64,
                       x.size).reshape(x.shape)


def c_log(x):
    """The C library's log of a float64 array (x > 0)."""
    return c_ufunc("log", x)


def c_log1p(x):
    """The C library's log1p of a float64 array (x > -1)."""
    return c_ufunc("log1p", x)


def _normal16_f32(u, mean, std, out):
    """The AVX2 float32 kernel: Cephes log and sincos polynomials, fused as GCC fuses them;
    into out."""
    b = u.reshape(-1, 2, 8)
    radius = _f32(1.0) - b[:, 0]
    radius = _log_ps(radius)
    radius *= _f32(-2.0)
    np.sqrt(radius, out=radius)
    s, c = _sincos_ps(_f32(_TWO_PI) * b[:, 1])
    o = out.reshape(b.shape)
    np.multiply(radius, c, out=o[:, 0])
    np.multiply(radius, s, out=o[:, 1])
    if not (mean == 0.0 and std == 1.0):
        out[...] = _fma32(out, std, mean)


# Each fused multiply-add of the two polynomials below is computed as a double product and sum
# rounded once to float32. That equals the single-rounding fma as long as the double sum never
# lands on a float32 halfway point while the exact one does not; for the inputs these kernels
# get (log of 1 - u, sincos of 2*pi*u, u one of the 2**24 float32 uniforms) every result has
# been checked bit for bit against the exactly rounded fma (tests/test_random.py does so).
_LOG_P = [float(_f32(v)) for v in (
    7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
    -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]


def _log_ps(x):
    """Natural log, float32, the Cephes polynomial of avx_mathfun, for normal (not subnormal)
    inputs in (0, 1] (the kernel's 1 - u is at least 2**-24). Overwrites x."""
    bits = x.view(np.int32)
    e = (bits >> 23).astype(_f32)
    e -= _f32(0x7F - 1)
    bits &= ~0x7F800000
    bits |= 0x3F000000  # x is now the mantissa, in [0.5, 1)
    small = (x < _f32(0.707106781186547524)).astype(_f32)  # 1 where the mantissa < sqrt(1/2)
    tmp = x * small
    x -= _f32(1.0)
    e -= small
    x += tmp
    # fma steps: a float32 product is exact in double; the operands go through double
    # buffers (plain double loops are faster than NumPy's mixed float32/float64 ones)
    x64 = x.astype(_f64)
    y = x64 * _LOG_P[0]
    y += _LOG_P[1]
    y32 = np.empty(x.shape, _f32)
    for c in _LOG_P[2:]:
        np.copyto(y32, y, casting="unsafe")
        np.copyto(y, y32)
        y *= x64
        y += c
    np.copyto(y32, y, casting="unsafe")
    y32 *= x
    z = x * x
    t = np.empty(x.shape, _f64)
    np.copyto(y, y32)
    np.copyto(t, z)
    y *= t
    np.copyto(t, e * _f32(-2.12194440e-4))
    y += t
    np.copyto(y32, y, casting="unsafe")
    z *= _f32(0.5)
    y32 -= z
    x += y32
    np.copyto(y, e)
    y *= 0.693359375
    np.copyto(t, x)
    y += t
    np.copyto(y32, y, casting="unsafe")
    return y32


_DP = [float(_f32(v)) for v in (-0.78515625, -2.4187564849853515625e-4,
                                -3.77489497744594108e-8)]
_COS_P = [float(_f32(v)) for v in (2.443315711809948E-005, -1.388731625493765E-003,
                                   4.166664568298827E-002)]
_SIN_P = [float(_f32(v)) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]


def _sincos_ps(x):
    """sin and cos, float32, the Cephes polynomials of avx_mathfun's sincos256_ps, for
    x >= 0. Overwrites x."""
    j = (x * _f32(1.27323954473516)).astype(np.int32)
    j += 1
    j &= ~1
    y = j.astype(_f64)
    sin_sign = (j & 4) << 29
    cos_sign = (~(j - 2) & 4) << 29
    poly = (j >> 1) & 1
    np.negative(poly, out=poly)  # all ones where the sine polynomial serves cos (octants 2, 3)
    t = np.empty(x.shape, _f64)
    w = np.empty(x.shape, _f64)
    for dp in _DP:  # extended-precision reduction, x - y * pi / 4
        np.multiply(y, dp, out=t)
        np.copyto(w, x)
        t += w
        np.copyto(x, t, casting="unsafe")
    z = x * x
    z64 = z.astype(_f64)
    np.multiply(z64, _COS_P[0], out=t)
    t += _COS_P[1]
    yc = t.astype(_f32)
    np.copyto(t, yc)
    t *= z64
    t += _COS_P[2]
    np.copyto(yc, t, casting="unsafe")
    yc *= z
    np.copyto(t, yc)
    t *= z64
    np.copyto(w, z * _f32(0.5))
    t -= w
    np.copyto(yc, t, casting="unsafe")
    yc += _f32(1.0)
    np.multiply(z64, _SIN_P[0], out=t)
    t += _SIN_P[1]
    ys = t.astype(_f32)
    np.copyto(t, ys)
    t *= z64
    t += _SIN_P[2]
    np.copyto(ys, t, casting="unsafe")
    ys *= z
    np.copyto(t, ys)
    np.copyto(w, x)
    t *= w
    t += w
    np.copyto(ys, t, casting="unsafe")
    ci, si = yc.view(np.int32), ys.view(np.int32)
    diff = ci ^ si
    diff &= poly
    si ^= diff  # sine where poly is clear, cosine polynomial otherwise
    ci ^= diff
    si ^= sin_sign
    ci ^= cos_sign
    return ys, yc


# -- integers -----------------------------------------------------------------------------------
_INT_MAX = {np.dtype(np.int64): (1 << 63) - 1, np.dtype(np.int32): (1 << 31) - 1,
            np.dtype(np.int16): (1 << 15) - 1, np.dtype(np.int8): (1 << 7) - 1,
            np.dtype(np.uint8): (1 << 8) - 1}


def random_from_to(g, n, dt, lo, rng):
    """random_(lo, lo + rng): word (or double word when rng >= 2**28, whatever the dtype, as
    PyTorch's released builds do) modulo rng, plus lo."""
    if rng >= (1 << 28):
        v = g.words64(n)
        np.remainder(v, np.uint64(rng), out=v)
        r = v.view(np.int64)  # below 2**63
    else:
        # word % rng on 32-bit words as word - (word // rng) * rng: NumPy divides an array by
        # a scalar with a multiply-and-shift, several times faster than its remainder loop
        v = g.words(n).astype(np.uint32)
        d = np.uint32(rng)
        q = np.floor_divide(v, d)
        q *= d
        v -= q
        r = v.astype(np.int64)
    if lo:
        r += np.int64(lo)
    return r if dt == np.int64 else r.astype(dt)


def random_full(g, n, dt):
    """random_(-2**63, None): a double word reinterpreted as int64."""
    return g.words64(n).view(np.int64).astype(dt)


def random_default(g, n, dt):
    """random_() with no bounds: [0, 2**mantissa] for floats, [0, max] for integers."""
    dt = np.dtype(dt)
    if dt == np.bool_:
        return (g.words(n) & np.uint64(1)).astype(np.bool_)
    if dt == np.int64:
        return (g.words64(n) & np.uint64((1 << 63) - 1)).astype(np.int64)
    if dt == _f64:
        return (g.words64(n) % np.uint64((1 << 53) + 1)).astype(_f64)
    if dt == _f32:
        return (g.words(n) % np.uint64((1 << 24) + 1)).astype(_f32)
    if dt == np.float16:
        return (g.words(n) % np.uint64((1 << 11) + 1)).astype(np.float16)
    return (g.words(n) % np.uint64(_INT_MAX[dt] + 1)).astype(dt)


def randperm(g, n):
    """Fisher-Yates as PyTorch runs it: for i = 0 .. n-2, swap i with i + word % (n - i)
    (a double word from n = (2**32 - 1) // 20 up)."""
    if n < 2:
        return np.arange(n, dtype=np.int64)
    w = g.words(n - 1) if n < _PERM_WIDE else g.words64(n - 1)
    if n <= _PERM_LOOP:
        perm = list(range(n))
        for i, k in enumerate((w % np.arange(n, 1, -1, dtype=np.uint64)).tolist()):
            if k:
                j = i + k
                perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm, np.int64)
    return _perm_from_swaps(w, n)


_PERM_LOOP = 64
_PERM_WIDE = (2**32 - 1) // 20


def _perm_from_swaps(w, n):
    """The Fisher-Yates result without running the swaps one by one.

    Step i swaps positions i and t_i = i + w_i % (n - i) (t_i >= i); afterwards position i is
    final. Position i holds, when step i reads it, the value V[i] left there by the last
    earlier step aimed at i (that step moved its own position's value V[m] there), or i itself
    when no earlier step aimed at i: V is a forest (each i points to an earlier m), resolved by
    pointer doubling. The step i then keeps the value its target holds: that of the previous
    step aimed at the same target, or the target's own value when it is the first. Grouping
    the steps by target (a sort by target, then step) gives both "previous step aimed here"
    links.
    """
    m = n - 1
    idx, ar, div = _perm_aranges(n)
    if n <= 1 << 16:  # targets in 16 bits: a stable radix sort of them orders the steps
        idx32, div32 = _perm_aranges32(n)
        tgt = w.astype(np.uint32)
        np.remainder(tgt, div32, out=tgt)
        zero = np.flatnonzero(tgt == 0)  # the steps that swap a position with itself
        tgt += idx32
        tgt16 = tgt.astype(np.uint16)
        order = np.argsort(tgt16, kind="stable")  # by target, then step
        st = tgt16[order].astype(np.int64)
    else:
        np.remainder(w, div, out=w)
        zero = np.flatnonzero(w == 0)
        tgt = w.view(np.int64)
        tgt += idx
        if n > 1 << 32:
            order = np.argsort(tgt, kind="stable")
            st = tgt[order]
        else:
            key = tgt.view(np.uint64) << np.uint64(32)
            key |= idx.view(np.uint64)
            key.sort()
            order = (key & np.uint64(0xFFFFFFFF)).view(np.int64)
            key >>= np.uint64(32)
            st = key.view(np.int64)
    start = np.empty(m, bool)  # the first step of its target's group (in sorted order)
    start[0] = True
    np.not_equal(st[1:], st[:-1], out=start[1:])
    # last[t], the last step before t aimed at t, or t itself where none (a root): a group's
    # end, except where that is step t aimed at itself (always its group's end, as no later
    # step aims below itself), whose previous step in the group is the one
    ends = np.flatnonzero(start)
    ends -= 1
    ends[0] = m - 1
    last = ar.copy()
    last[st[ends]] = order[ends]
    at = np.searchsorted(st, zero, side="right") - 1  # the self-swaps' sorted positions
    first = start[at]
    last[zero] = np.where(first, zero, order[at - 1 + first])
    # roots of the forest t -> last[t]: two jumps for all, then only where chains go on
    root = last[last]
    nxt = root[root]
    act = np.flatnonzero(nxt != root)
    root = nxt
    while act.size:
        r = root[act]
        rr = root[r]
        root[act] = rr
        act = act[rr != r]
    # in sorted order, a group's first step keeps its target's own value, every other step
    # the value that the group's previous step left there
    vals = np.take(root, order[:-1])  # for sorted positions 1 .. m-1
    later = st[1:]
    vals -= later  # vals where not a group's first step, else the target (arithmetic blend:
    vals *= ~start[1:]  # faster than np.where or a masked copy on unpredictable masks)
    vals += later
    perm = np.empty(n, np.int64)
    perm[order[1:]] = vals
    perm[order[0]] = st[0]
    perm[m] = root[m]
    return perm


_PERM_CACHE = [(0, None)]
_PERM_CACHE32 = [(0, None)]


def _perm_aranges32(n):
    """0..n-2 and the divisors n..2 as uint32 (n <= 2**16), cached as _perm_aranges."""
    cached = _PERM_CACHE32[0]
    if cached[0] != n:
        arrays = (np.arange(n - 1, dtype=np.uint32), np.arange(n, 1, -1, dtype=np.uint32))
        for a in arrays:
            a.flags.writeable = False
        cached = _PERM_CACHE32[0] = (n, arrays)
    return cached[1]


def _perm_aranges(n):
    """0..n-2, 0..n-1 and the divisors n..2 (uint64, read-only), kept for the last n asked
    for (swapped in as one tuple, so that threads never see another n's arrays)."""
    cached = _PERM_CACHE[0]
    if cached[0] != n:
        arrays = (np.arange(n - 1, dtype=np.int64), np.arange(n, dtype=np.int64),
                  np.arange(n, 1, -1, dtype=np.uint64))
        for a in arrays:
            a.flags.writeable = False
        cached = _PERM_CACHE[0] = (n, arrays)
    return cached[1]


# -- other distributions --------------------------------------------------------------------------
def bernoulli_scalar(g, n, p):
    """bernoulli_(p) with a number p: a double uniform below p (CPUs other than Intel's)."""
    return unit64(g, n) < p


def bernoulli_tensor(g, p):
    """bernoulli_(p) with a tensor p (flat, in the output's memory order): float64 p compares
    with a double uniform, other dtypes with a float32 uniform."""
    if p.dtype == _f64:
        return unit64(g, p.size) < p
    return unit32(g, p.size) < p.astype(_f32)


def exponential(g, n, lambd):
    """(-1 / lambda) * log1p(-u) with double uniforms."""
    u = unit64(g, n)
    np.negative(u, out=u)
    out = c_log1p(u)
    out *= -1.0 / lambd
    return out


def cauchy(g, n, median, sigma):
    x = unit64(g, n)
    x -= 0.5
    x *= math.pi
    x = c_ufunc("tan", x)
    x *= sigma
    x += median
    return x


def log_normal(g, n, mean, std):
    return c_ufunc("exp", _fma64(normal_pairs(g, n), std, mean))


def geometric(g, n, p):
    out = c_log(unit64(g, n))
    out /= math.log(1.0 - p)
    return np.ceil(out, out=out)


def multinomial_with_replacement(g, probs, num_samples):
    """Inverse-CDF sampling per row: cumulative sums in the input's dtype, normalised, the
    last bucket forced to 1, then a double uniform located by binary search."""
    rows = probs.shape[0]
    out = np.empty((rows, num_samples), np.int64)
    for i in range(rows):
        cum = np.cumsum(probs[i])
        total = cum[-1]
        cum = cum / total
        cum[-1] = 1
        u = unit64(g, num_samples)
        out[i] = np.searchsorted(cum.astype(_f64), u, side="left")
    return out
