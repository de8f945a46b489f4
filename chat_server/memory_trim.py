"""Give memory the C allocator keeps back to the system, now and then.

A long-running server process's resident size grows by about 1.2 MiB a minute under the
soak's load although Python's live objects stay level (docs/performance.md, "Soak"):
glibc's ``malloc`` keeps freed memory in its arenas (message buffers, JSON, TLS and
argon2 work areas of other threads) and returns it only when the top of a heap is free.
``malloc_trim(0)`` (glibc, malloc(3)) releases the free pages of every arena. It takes
each arena's lock, so it runs in a worker thread and never blocks the event loop.

On a C library without ``malloc_trim`` (musl, macOS) :func:`trimmer` returns None and
nothing runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def trimmer() -> Callable[[], bool] | None:
    """A function that calls glibc's ``malloc_trim(0)`` and returns whether memory was
    released, or None when this C library has no ``malloc_trim``."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int

    def call() -> bool:
        return bool(trim(0))

    return call
