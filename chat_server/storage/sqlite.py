"""Durable store on SQLite (embedded mode).

sqlite3 is blocking, so every call runs on one dedicated worker thread: one connection,
one writer, no locking surprises, and the event loop never waits on the disk.
The schema holds no visitor data at all: staff, their sessions, the audit log of staff
actions, daily aggregate counters and small configuration documents.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..private_files import private_dir, private_file, tighten
from .base import JSON, Conflict

T = TypeVar("T")

_SCHEMA = """
PRAGMA journal_mode=WAL;
PRAGMA foreign_keys=ON;
PRAGMA secure_delete=ON;
CREATE TABLE IF NOT EXISTS staff (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
CREATE TABLE IF NOT EXISTS stats (
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, key)
);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (namespace, key)
);
"""


class SqliteDurable:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._with_conn, fn)

    def _with_conn(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            # Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files
            # the database file's mode (private_files.py). Files of an older store are
            # tightened too.
            private_file(self.path)
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn.executescript(_SCHEMA)
            for suffix in ("-wal", "-shm", "-journal"):
                tighten(self.path.with_name(self.path.name + suffix))
        return fn(self._conn)

    async def open(self) -> None:
        await self._run(lambda c: None)

    async def ping(self) -> bool:
        try:
            return await self._run(lambda c: c.execute("SELECT 1").fetchone() == (1,))
        except sqlite3.Error:
            return False

    async def close(self) -> None:
        def _close(c: sqlite3.Connection) -> None:
            c.close()
            self._conn = None

        if self._conn is not None:
            await self._run(_close)
        self._pool.shutdown(wait=True)

    # staff ----------------------------------------------------------------------------
    async def create_staff(self, record: JSON) -> JSON:
        def _do(c: sqlite3.Connection) -> JSON:
            try:
                c.execute(
                    "INSERT INTO staff (id, username, data) VALUES (?, ?, ?)",
                    (record["id"], record["username"], json.dumps(record)),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict("username or id taken") from exc
            return record

        return await self._run(_do)

    async def get_staff(self, staff_id: str) -> JSON | None:
        row = await self._run(lambda c: c.execute("SELECT data FROM staff WHERE id = ?", (staff_id,)).fetchone())
        return json.loads(row[0]) if row else None

    async def get_staff_by_username(self, username: str) -> JSON | None:
        row = await self._run(lambda c: c.execute("SELECT data FROM staff WHERE username = ?", (username,)).fetchone())
        return json.loads(row[0]) if row else None

    async def list_staff(self) -> list[JSON]:
        rows = await self._run(lambda c: c.execute("SELECT data FROM staff ORDER BY username").fetchall())
        return [json.loads(r[0]) for r in rows]

    async def update_staff(self, staff_id: str, changes: JSON) -> JSON | None:
        def _do(c: sqlite3.Connection) -> JSON | None:
            c.execute("BEGIN IMMEDIATE")
            try:
                row = c.execute("SELECT data FROM staff WHERE id = ?", (staff_id,)).fetchone()
                if not row:
                    c.execute("ROLLBACK")
                    return None
                data: JSON = json.loads(row[0])
                data.update(changes)
                c.execute(
                    "UPDATE staff SET data = ?, username = ? WHERE id = ?",
                    (json.dumps(data), data["username"], staff_id),
                )
                c.execute("COMMIT")
                return data
            except sqlite3.IntegrityError as exc:
                c.execute("ROLLBACK")
                raise Conflict("username taken") from exc

        return await self._run(_do)

    async def count_staff(self, role: str | None = None) -> int:
        rows = await self.list_staff()
        return sum(1 for r in rows if role is None or r.get("role") == role)

    # audit ----------------------------------------------------------------------------
    async def add_audit(self, entry: JSON) -> None:
        await self._run(
            lambda c: c.execute("INSERT INTO audit (ts, data) VALUES (?, ?)", (int(entry["ts"]), json.dumps(entry)))
        )

    async def list_audit(self, limit: int = 100, before_ts: int | None = None) -> list[JSON]:
        def _do(c: sqlite3.Connection) -> list[Any]:
            if before_ts is None:
                q = "SELECT data FROM audit ORDER BY ts DESC, seq DESC LIMIT ?"
                return c.execute(q, (limit,)).fetchall()
            q = "SELECT data FROM audit WHERE ts < ? ORDER BY ts DESC, seq DESC LIMIT ?"
            return c.execute(q, (before_ts, limit)).fetchall()

        return [json.loads(r[0]) for r in await self._run(_do)]

    async def prune_audit(self, before_ts: int) -> int:
        cur = await self._run(lambda c: c.execute("DELETE FROM audit WHERE ts < ?", (int(before_ts),)))
        return int(cur.rowcount)

    # stats ----------------------------------------------------------------------------
    async def add_stats(self, day: str, counters: dict[str, int]) -> None:
        def _do(c: sqlite3.Connection) -> None:
            c.execute("BEGIN IMMEDIATE")
            c.executemany(
                "INSERT INTO stats (day, key, count) VALUES (?, ?, ?) "
                "ON CONFLICT(day, key) DO UPDATE SET count = count + excluded.count",
                [(day, k, int(v)) for k, v in counters.items()],
            )
            c.execute("COMMIT")

        await self._run(_do)

    async def get_stats(self, first_day: str, last_day: str) -> list[tuple[str, str, int]]:
        rows = await self._run(
            lambda c: c.execute(
                "SELECT day, key, count FROM stats WHERE day BETWEEN ? AND ? ORDER BY day, key",
                (first_day, last_day),
            ).fetchall()
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def prune_stats(self, before_day: str) -> int:
        def _do(c: sqlite3.Connection) -> int:
            c.execute("BEGIN IMMEDIATE")
            (days,) = c.execute("SELECT COUNT(DISTINCT day) FROM stats WHERE day < ?", (before_day,)).fetchone()
            c.execute("DELETE FROM stats WHERE day < ?", (before_day,))
            c.execute("COMMIT")
            return int(days)

        return await self._run(_do)

    # kv -------------------------------------------------------------------------------
    async def put_kv(self, namespace: str, key: str, value: JSON, expires_at: float | None = None) -> None:
        await self._run(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO kv (namespace, key, value, expires_at) VALUES (?,?,?,?)",
                (namespace, key, json.dumps(value), expires_at),
            )
        )

    async def add_kv(self, namespace: str, key: str, value: JSON, expires_at: float | None = None) -> bool:
        now = time.time()

        def _do(c: sqlite3.Connection) -> bool:
            # One statement: a live row stays, an expired one is replaced.
            cur = c.execute(
                "INSERT INTO kv (namespace, key, value, expires_at) VALUES (?,?,?,?) "
                "ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value, "
                "expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?",
                (namespace, key, json.dumps(value), expires_at, now),
            )
            return bool(cur.rowcount)

        return await self._run(_do)

    async def get_kv(self, namespace: str, key: str) -> JSON | None:
        now = time.time()

        def _do(c: sqlite3.Connection) -> Any:
            return c.execute(
                "SELECT value FROM kv WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (namespace, key, now),
            ).fetchone()

        row = await self._run(_do)
        return json.loads(row[0]) if row else None

    async def delete_kv(self, namespace: str, key: str) -> bool:
        cur = await self._run(lambda c: c.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key)))
        return bool(cur.rowcount)

    async def list_kv(self, namespace: str) -> list[tuple[str, JSON]]:
        now = time.time()

        def _do(c: sqlite3.Connection) -> list[Any]:
            # Expired entries are removed as they are noticed.
            c.execute("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
            return c.execute("SELECT key, value FROM kv WHERE namespace = ? ORDER BY key", (namespace,)).fetchall()

        return [(r[0], json.loads(r[1])) for r in await self._run(_do)]

    async def take_kv(self, namespace: str, key: str) -> JSON | None:
        now = time.time()

        def _do(c: sqlite3.Connection) -> Any:
            c.execute("BEGIN IMMEDIATE")
            row = c.execute(
                "SELECT value, expires_at FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone()
            c.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
            c.execute("COMMIT")
            if not row or (row[1] is not None and row[1] <= now):
                return None
            return row[0]

        raw = await self._run(_do)
        return json.loads(raw) if raw else None
