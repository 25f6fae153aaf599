"""Keep large freed blocks in glibc's heap.

By default glibc serves every allocation above 128 KiB with mmap and returns it to the OS on
free, and it trims the heap top eagerly. A training step allocates and frees the same large
temporaries (activations, gradients, im2col columns) every iteration, so each one page-faults
afresh: measured here, that costs a convolutional step about a third of its time. Raising the
mmap and trim thresholds lets the heap reuse those blocks. Set EMBER_NO_MALLOC_TUNING=1, or
glibc's own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_, to keep your own settings.
"""

import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune():
    env = os.environ
    if (not sys.platform.startswith("linux") or env.get("EMBER_NO_MALLOC_TUNING")
            or "MALLOC_MMAP_THRESHOLD_" in env or "MALLOC_TRIM_THRESHOLD_" in env):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False
    # 32 MiB is glibc's largest allowed mmap threshold on 64-bit systems
    mmap_ok = mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    trim_ok = mallopt(_M_TRIM_THRESHOLD, 256 << 20)
    return bool(mmap_ok and trim_ok)
