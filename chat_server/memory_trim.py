"""Give memory the C allocator keeps back to the system, now and then.

A long-running server process's resident size grows by about 1.2 MiB a minute under the
soak's load although Python's live objects stay level (docs/performance.md, "Soak"):
glibc's ``malloc`` keeps freed memory in its arenas (message buffers, JSON, TLS and
argon2 work areas of other threads) and returns it only when the top of a heap is free.
``malloc_trim(0)`` (glibc, malloc(3)) releases the free pages of every arena. It takes
each arena's lock, so it runs in a worker thread and never blocks the event loop.

Large blocks go the other way: glibc serves a block above its *mmap threshold* with its
own mapping, given back at ``free``, but it raises that threshold (up to 32 MiB) each
time such a block is freed, so after the first follow-up code the 19 MiB argon2 work
area of every later one comes from an arena and stays resident. :func:`fix_mmap_threshold`
pins the threshold (``mallopt(M_MMAP_THRESHOLD, …)``, which turns the raising off).

On a C library without ``malloc_trim``/``mallopt`` (musl, macOS) these do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


#: mallopt(3) parameter number of M_MMAP_THRESHOLD in glibc's <malloc.h>.
_M_MMAP_THRESHOLD = -3
#: Blocks from this size (bytes) get a mapping of their own: glibc's initial default.
MMAP_THRESHOLD = 128 * 1024


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def fix_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Pin glibc's mmap threshold at ``size`` bytes (see the module). Returns whether it
    was set (False on a C library without ``mallopt``)."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, size))


def trimmer() -> Callable[[], bool] | None:
    """A function that calls glibc's ``malloc_trim(0)`` and returns whether memory was
    released, or None when this C library has no ``malloc_trim``."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int

    def call() -> bool:
        return bool(trim(0))

    return call
