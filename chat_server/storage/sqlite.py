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
from .base import DEFAULT_CENTRE, JSON, SCHEMA_VERSION, Conflict

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
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (namespace, key)
);
"""

# Layout 2 (centres). Run once, in one transaction, on a store of layout 1 (which had
# ``stats(day, key, count)`` without a centre) or on a new one; PRAGMA user_version
# records the layout.
_CENTRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS centres (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS centre_stats (centre TEXT NOT NULL, day TEXT NOT NULL, key TEXT NOT NULL, "
    "count INTEGER NOT NULL, PRIMARY KEY (centre, day, key))",
    "CREATE INDEX IF NOT EXISTS centre_stats_day ON centre_stats(day)",
    "CREATE TABLE IF NOT EXISTS audit_centre (centre TEXT NOT NULL, "
    "seq INTEGER NOT NULL REFERENCES audit(seq) ON DELETE CASCADE, ts INTEGER NOT NULL, PRIMARY KEY (centre, seq))",
    "CREATE INDEX IF NOT EXISTS audit_centre_ts ON audit_centre(centre, ts)",
)


def _migrate(c: sqlite3.Connection) -> None:
    """Bring the store to :data:`SCHEMA_VERSION`: counters and audit entries of layout 1
    become the ``default`` centre's, nothing is dropped before it is copied."""
    (version,) = c.execute("PRAGMA user_version").fetchone()
    if version >= SCHEMA_VERSION:
        return
    c.execute("BEGIN IMMEDIATE")
    try:
        for statement in _CENTRES_SCHEMA:
            c.execute(statement)
        old_stats = c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'stats'").fetchone()
        if old_stats:
            c.execute(
                "INSERT INTO centre_stats (centre, day, key, count) SELECT ?, day, key, count FROM stats "
                # "WHERE true": SQLite reads "ON" after a bare SELECT as a join's.
                "WHERE true ON CONFLICT(centre, day, key) DO UPDATE SET count = count + excluded.count",
                (DEFAULT_CENTRE,),
            )
            c.execute("DROP TABLE stats")
        # Every audit entry of layout 1 was the one centre's.
        c.execute(
            "INSERT OR IGNORE INTO audit_centre (centre, seq, ts) SELECT ?, seq, ts FROM audit",
            (DEFAULT_CENTRE,),
        )
        c.execute(
            "UPDATE audit SET data = json_set(data, '$.centres', json_array(?)) "
            "WHERE json_extract(data, '$.centres') IS NULL",
            (DEFAULT_CENTRE,),
        )
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise


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
            _migrate(self._conn)
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

    # centres --------------------------------------------------------------------------
    async def create_centre(self, record: JSON) -> JSON:
        def _do(c: sqlite3.Connection) -> JSON:
            try:
                c.execute("INSERT INTO centres (id, data) VALUES (?, ?)", (record["id"], json.dumps(record)))
            except sqlite3.IntegrityError as exc:
                raise Conflict("centre id taken") from exc
            return record

        return await self._run(_do)

    async def get_centre(self, centre_id: str) -> JSON | None:
        row = await self._run(lambda c: c.execute("SELECT data FROM centres WHERE id = ?", (centre_id,)).fetchone())
        return json.loads(row[0]) if row else None

    async def list_centres(self) -> list[JSON]:
        rows = await self._run(lambda c: c.execute("SELECT data FROM centres ORDER BY id").fetchall())
        return [json.loads(r[0]) for r in rows]

    async def update_centre(self, centre_id: str, changes: JSON) -> JSON | None:
        def _do(c: sqlite3.Connection) -> JSON | None:
            c.execute("BEGIN IMMEDIATE")
            row = c.execute("SELECT data FROM centres WHERE id = ?", (centre_id,)).fetchone()
            if not row:
                c.execute("ROLLBACK")
                return None
            data: JSON = {**json.loads(row[0]), **changes, "id": centre_id}
            c.execute("UPDATE centres SET data = ? WHERE id = ?", (json.dumps(data), centre_id))
            c.execute("COMMIT")
            return data

        return await self._run(_do)

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

    async def update_staff(self, staff_id: str, changes: JSON, *, expect: JSON | None = None) -> JSON | None:
        def _do(c: sqlite3.Connection) -> JSON | None:
            c.execute("BEGIN IMMEDIATE")
            try:
                row = c.execute("SELECT data FROM staff WHERE id = ?", (staff_id,)).fetchone()
                if not row:
                    c.execute("ROLLBACK")
                    return None
                data: JSON = json.loads(row[0])
                if expect and any(data.get(k) != v for k, v in expect.items()):
                    c.execute("ROLLBACK")
                    return None
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
        centres = sorted(set(entry.get("centres") or ()))
        ts = int(entry["ts"])

        def _do(c: sqlite3.Connection) -> None:
            c.execute("BEGIN IMMEDIATE")
            cur = c.execute(
                "INSERT INTO audit (ts, data) VALUES (?, ?)", (ts, json.dumps({**entry, "centres": centres}))
            )
            c.executemany(
                "INSERT INTO audit_centre (centre, seq, ts) VALUES (?, ?, ?)",
                [(cid, cur.lastrowid, ts) for cid in centres],
            )
            c.execute("COMMIT")

        await self._run(_do)

    async def list_audit(self, limit: int = 100, before_ts: int | None = None, centre: str | None = None) -> list[JSON]:
        top = before_ts if before_ts is not None else 2**62

        def _do(c: sqlite3.Connection) -> list[Any]:
            if centre is None:
                q = "SELECT data FROM audit WHERE ts < ? ORDER BY ts DESC, seq DESC LIMIT ?"
                return c.execute(q, (top, limit)).fetchall()
            q = (
                "SELECT a.data FROM audit_centre ac JOIN audit a ON a.seq = ac.seq "
                "WHERE ac.centre = ? AND ac.ts < ? ORDER BY ac.ts DESC, ac.seq DESC LIMIT ?"
            )
            return c.execute(q, (centre, top, limit)).fetchall()

        return [json.loads(r[0]) for r in await self._run(_do)]

    async def prune_audit(self, before_ts: int) -> int:
        # audit_centre rows go with their entry (ON DELETE CASCADE).
        cur = await self._run(lambda c: c.execute("DELETE FROM audit WHERE ts < ?", (int(before_ts),)))
        return int(cur.rowcount)

    # stats ----------------------------------------------------------------------------
    async def add_stats(self, day: str, counters: dict[str, int], centre: str = DEFAULT_CENTRE) -> None:
        def _do(c: sqlite3.Connection) -> None:
            c.execute("BEGIN IMMEDIATE")
            c.executemany(
                "INSERT INTO centre_stats (centre, day, key, count) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(centre, day, key) DO UPDATE SET count = count + excluded.count",
                [(centre, day, k, int(v)) for k, v in counters.items()],
            )
            c.execute("COMMIT")

        await self._run(_do)

    async def get_stats(
        self, first_day: str, last_day: str, centre: str | None = DEFAULT_CENTRE
    ) -> list[tuple[str, str, int]]:
        def _do(c: sqlite3.Connection) -> list[Any]:
            if centre is None:
                return c.execute(
                    "SELECT day, key, SUM(count) FROM centre_stats WHERE day BETWEEN ? AND ? "
                    "GROUP BY day, key ORDER BY day, key",
                    (first_day, last_day),
                ).fetchall()
            return c.execute(
                "SELECT day, key, count FROM centre_stats WHERE centre = ? AND day BETWEEN ? AND ? ORDER BY day, key",
                (centre, first_day, last_day),
            ).fetchall()

        return [(r[0], r[1], int(r[2])) for r in await self._run(_do)]

    async def prune_stats(self, before_day: str) -> int:
        def _do(c: sqlite3.Connection) -> int:
            c.execute("BEGIN IMMEDIATE")
            (days,) = c.execute("SELECT COUNT(DISTINCT day) FROM centre_stats WHERE day < ?", (before_day,)).fetchone()
            c.execute("DELETE FROM centre_stats WHERE day < ?", (before_day,))
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

    async def replace_kv(self, namespace: str, key: str, expected: JSON | None, value: JSON) -> bool:
        now = time.time()

        def _do(c: sqlite3.Connection) -> bool:
            c.execute("BEGIN IMMEDIATE")
            try:
                row = c.execute(
                    "SELECT value FROM kv WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                    (namespace, key, now),
                ).fetchone()
                if (json.loads(row[0]) if row else None) != expected:
                    c.execute("ROLLBACK")
                    return False
                c.execute(
                    "INSERT OR REPLACE INTO kv (namespace, key, value, expires_at) VALUES (?,?,?,NULL)",
                    (namespace, key, json.dumps(value)),
                )
                c.execute("COMMIT")
                return True
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise

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
