"""Files are private: the data folder is 0700, and the SQLite store, its -wal and -shm
files and the generated secret key file are 0600, even when the server is started
under the usual umask of 022 (threat model: "local users read the database")."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chat_server.storage.sqlite import SqliteDurable
from tests.conftest import ServerProcess


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most systems start processes with; children inherit it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(folder: Path, prefix: str = "") -> dict[str, int]:
    """Mode of every entry of ``folder`` whose name starts with ``prefix``."""
    return {p.name: mode(p) for p in folder.iterdir() if p.name.startswith(prefix)}


def loosen(folder: Path) -> None:
    for p in folder.iterdir():
        p.chmod(0o644)


def process_umask(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError("no Umask line")


def test_the_server_process_keeps_its_files_private(
    tmp_path: Path, server_process: Callable[..., ServerProcess], loose_umask: None
) -> None:
    # No CHAT_SECRET_KEY: embedded mode generates the key file in the data folder.
    sp = server_process(env={"CHAT_SECRET_KEY": ""})
    data = tmp_path / "data"
    database = data / "rc.sqlite3"
    assert process_umask(sp.process.pid) == 0o077
    # The store is open in WAL mode while the server runs: both sidecar files exist.
    for name in ("rc.sqlite3-wal", "rc.sqlite3-shm"):
        assert (data / name).exists(), name
    assert mode(data) == 0o700
    for path in (database, data / "rc.sqlite3-wal", data / "rc.sqlite3-shm", data / "secret_key"):
        assert mode(path) == 0o600, path
    # Nothing else in the folder is readable by others either.
    assert all(m & 0o077 == 0 for m in modes(data).values())


async def test_an_embedded_store_is_private_under_a_loose_umask(tmp_path: Path, loose_umask: None) -> None:
    store = SqliteDurable(tmp_path / "nested" / "data" / "rc.sqlite3")
    await store.open()
    try:
        await store.put_kv("meta", "x", {"v": 1})
        folder = tmp_path / "nested" / "data"
        assert mode(folder) == 0o700
        found = modes(folder)
        assert set(found) >= {"rc.sqlite3", "rc.sqlite3-wal", "rc.sqlite3-shm"}
        assert set(found.values()) == {0o600}, found
    finally:
        await store.close()


async def test_an_older_store_with_loose_files_is_tightened(tmp_path: Path, loose_umask: None) -> None:
    first = SqliteDurable(tmp_path / "rc.sqlite3")
    await first.open()
    await first.put_kv("meta", "x", {"v": 1})
    await first.close()
    loosen(tmp_path)
    again = SqliteDurable(tmp_path / "rc.sqlite3")
    await again.open()
    try:
        found = modes(tmp_path, "rc.sqlite3")
        assert "rc.sqlite3" in found and set(found.values()) == {0o600}, found
    finally:
        await again.close()
