"""Host memory that goes back to the system: a fixed glibc mmap threshold for resampling processes.

glibc's malloc serves blocks of at least its mmap threshold (128 KiB at start) from fresh memory
maps and unmaps them on free, but every such free raises the threshold to the freed size (up to
32 MiB), so later blocks of that size come from the heap, where freed memory stays resident behind
live allocations and fragments. Window tensors of several sizes are allocated and freed by several
threads all the time: a long ``vspipe`` run swung by about 10% and settled only after thousands of
frames (``tools/soak.py``). Setting the threshold once turns that adjustment off, so every block of
at least :data:`MMAP_THRESHOLD` is mapped and unmapped and resident memory follows the live tensors.

A threshold the user chose (glibc's ``MALLOC_MMAP_THRESHOLD_`` environment variable) is left alone,
and other C libraries are left alone.
"""
from __future__ import annotations

import ctypes
import functools
import os

MMAP_THRESHOLD = 256 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt parameter number in glibc's malloc.h


@functools.cache
def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` (once per process; setting it again
    from a racing thread is harmless); True if it is set."""
    if 'MALLOC_MMAP_THRESHOLD_' in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl, macOS: leave alone)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
