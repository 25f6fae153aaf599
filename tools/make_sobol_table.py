"""Write src/ember/_sobol_table.npz: Joe and Kuo's Sobol direction numbers, packed.

The table is the one torch.quasirandom.SobolEngine uses: the primitive polynomials and initial
direction numbers m_1..m_s of S. Joe and F. Y. Kuo, search criterion D(6), 21201 dimensions
(https://web.maths.unsw.edu.au/~fkuo/sobol/, file new-joe-kuo-6.21201). Read it from either

    .venv/bin/python tools/make_sobol_table.py new-joe-kuo-6.21201     # Joe and Kuo's text file
    .venv/bin/python tools/make_sobol_table.py                          # SciPy's copy, if installed

(SciPy ships the same numbers as scipy/stats/_sobol_direction_numbers.npz, arrays ``poly`` and
``vinit``.) If PyTorch is installed, the direction numbers ember computes from the written file
are compared with torch._sobol_engine_initialize_state_ for all 21201 dimensions.

The packing, for dimensions 2..21201 in order:

- ``poly_gaps`` (uint8): the polynomials are all the primitive polynomials over GF(2) of
  degree 1 to 18 in increasing order; each is odd, so ``poly >> 1`` is stored as the gaps
  between consecutive values (all below 256), which deflate shrinks to about 14 KB;
- ``m_bits`` (uint8, np.packbits): for a polynomial of degree s, m_1..m_s are odd and
  m_i < 2**i, so ``m_i >> 1`` takes i - 1 bits; they follow one another, most significant bit
  first, s(s-1)/2 bits a dimension, 2,815,591 bits in all (about 344 KiB).

The m bits are as good as random (every bit position is set in 49-51% of the dimensions), so no
compressor makes them smaller: the file's size is essentially that bit count.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "ember" / "_sobol_table.npz"
DIMENSIONS = 21201


def read_joe_kuo(path):
    """(poly, m) from Joe and Kuo's text file: a header line, then one line per dimension
    from 2: ``d s a m_1 ... m_s``. poly includes the leading and the constant coefficient."""
    poly, m = [], []
    with open(path) as f:
        next(f)
        for line in f:
            fields = [int(x) for x in line.split()]
            if not fields:
                continue
            d, s, a, *ms = fields
            if d != len(poly) + 2 or len(ms) != s:
                raise ValueError(f"{path}: unexpected line {line!r}")
            poly.append((1 << s) | (a << 1) | 1)
            m.append(ms)
    return poly, m


def read_scipy(path):
    z = np.load(path)
    poly, vinit = z["poly"], z["vinit"]
    out_poly, out_m = [], []
    for d in range(1, len(poly)):  # row 0 is the first dimension (no polynomial)
        p = int(poly[d])
        s = p.bit_length() - 1
        out_poly.append(p)
        out_m.append([int(x) for x in vinit[d, :s]])
    return out_poly, out_m


def pack(poly, m):
    half = np.array(poly, dtype=np.int64) >> 1
    gaps = np.diff(half, prepend=0)
    if gaps.min() < 1 or gaps.max() > 255:
        raise ValueError("the polynomials are not increasing by less than 256")
    bits = []
    for p, ms in zip(poly, m):
        s = p.bit_length() - 1
        assert len(ms) == s
        for i, mi in enumerate(ms, start=1):
            if mi % 2 != 1 or mi >= 1 << i:
                raise ValueError(f"m_{i} = {mi} is not odd and below 2**{i}")
            bits.extend(((mi >> 1) >> b) & 1 for b in range(i - 2, -1, -1))
    return gaps.astype(np.uint8), np.packbits(np.array(bits, dtype=np.uint8))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="new-joe-kuo-6.21201 (default: SciPy's copy)")
    args = parser.parse_args()
    if args.source is None:
        import scipy.stats

        source = Path(scipy.stats.__file__).parent / "_sobol_direction_numbers.npz"
        poly, m = read_scipy(source)
    elif args.source.endswith(".npz"):
        poly, m = read_scipy(args.source)
    else:
        poly, m = read_joe_kuo(args.source)
    if len(poly) != DIMENSIONS - 1:
        sys.exit(f"expected {DIMENSIONS - 1} dimensions after the first, got {len(poly)}")
    gaps, m_bits = pack(poly, m)
    np.savez_compressed(OUT, poly_gaps=gaps, m_bits=m_bits)
    print(f"wrote {OUT.relative_to(ROOT)}: {OUT.stat().st_size} bytes")

    sys.path.insert(0, str(ROOT / "src"))
    from ember import quasirandom

    quasirandom._TABLE = None
    state = quasirandom._direction_numbers(DIMENSIONS)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: not compared")
        return
    expected = torch.zeros(DIMENSIONS, 30, dtype=torch.long)
    torch._sobol_engine_initialize_state_(expected, DIMENSIONS)
    if not np.array_equal(state, expected.numpy()):
        sys.exit("the direction numbers differ from PyTorch's")
    print(f"the direction numbers of all {DIMENSIONS} dimensions equal PyTorch's")


if __name__ == "__main__":
    main()
