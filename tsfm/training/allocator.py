"""Keep freed memory in the process while torch computes on CPU (glibc only).

glibc returns a freed block of more than a few MB to the system at once, and the next tensor of
that size is paged in again, one page fault per 4 KB. A forward pass allocates and frees tens of
such tensors (attention scores, feed-forward activations): their page faults cost the speed
benchmark's patch Transformer a third of its prediction time and a tenth of its training step.
Raising glibc's mmap threshold to 32 MB and its trim threshold to 128 MB (``mallopt``, the
settings behind the ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` environment
variables) reuses the freed blocks instead. Peak memory is unchanged; up to 128 MB of freed
memory per malloc arena stays mapped. Elsewhere than glibc this does nothing; a user's own
``MALLOC_*_THRESHOLD_`` or ``TSFM_RETAIN_FREED_MEMORY=0`` leaves glibc's settings alone.
"""

from __future__ import annotations

import ctypes
import functools
import os

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 128 * 2**20


@functools.cache
def retain_freed_memory() -> bool:
    """Set the thresholds once per process; True when glibc took them.

    Left alone when the user set either glibc variable, or ``TSFM_RETAIN_FREED_MEMORY=0``.
    """
    if os.environ.get("TSFM_RETAIN_FREED_MEMORY") == "0" or any(
        name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    ):
        return False
    try:
        libc = ctypes.CDLL(None)  # the running process's C library, no search
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return False  # musl, BSD, macOS, Windows: other allocators
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
