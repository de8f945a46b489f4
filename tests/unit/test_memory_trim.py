"""The allocator trim (chat_server/memory_trim.py) on this machine's glibc."""

from __future__ import annotations

from chat_server.config import load_settings
from chat_server.memory_trim import fix_mmap_threshold, trimmer


def test_glibc_trim_is_found_and_runs() -> None:
    trim = trimmer()
    assert trim is not None, "Debian's glibc has malloc_trim"
    blocks = [bytearray(256 * 1024) for _ in range(64)]  # 16 MiB from mmap'd/arena memory
    del blocks
    assert trim() in (True, False)


def test_the_interval_is_a_setting() -> None:
    assert load_settings(env={}).malloc_trim_s == 60.0
    assert load_settings(env={"CHAT_MALLOC_TRIM_S": "0"}).malloc_trim_s == 0.0


def test_the_mmap_threshold_is_pinned() -> None:
    assert fix_mmap_threshold() is True
