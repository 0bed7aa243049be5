"""Freed memory kept for the next training step (glibc's malloc, on Linux; elsewhere nothing).

A training step frees its whole graph at once when its loss is dropped: on the wide
layers of benchmarks/arrays.py, a megabyte of arrays of 128 KiB. glibc gives the free
memory at the top of its heap back to the kernel as soon as more than about 256 KiB lie
there, and the next step takes it back a page at a time, a page fault each 4 KiB it
touches: up to a tenth of the step (benchmarks/arrays_profile.md). Asking glibc to keep
4 MiB at the top (its M_TOP_PAD, what the variable MALLOC_TOP_PAD_ sets) ends that, for
at most 4 MiB more resident memory.
"""

import ctypes
import os
import sys

M_TOP_PAD = -2  # glibc's malloc.h
TOP_PAD = 4 << 20


def keep_freed_memory():
    """Ask glibc to keep TOP_PAD bytes free at the top of its heap; True if it agreed.
    A process that sets MALLOC_TOP_PAD_ itself, or whose C library is not glibc, is
    left alone."""
    if not sys.platform.startswith("linux") or "MALLOC_TOP_PAD_" in os.environ:
        return False
    try:
        return ctypes.CDLL(None).mallopt(M_TOP_PAD, TOP_PAD) == 1
    except (OSError, AttributeError):  # no C library to load, or one without mallopt
        return False
