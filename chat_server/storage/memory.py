"""In-process ephemeral store for the embedded single-process mode.

Every operation is synchronous under the hood (no await between read and write), so
within one event loop each one is atomic, which is what the compare-and-set in
``update`` relies on.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .base import JSON

_ATOMS = (str, int, float, bool, type(None))
_T = TypeVar("_T")


def _copy(value: _T) -> _T:
    """A deep copy of JSON-shaped data (the records here), several times faster than
    ``copy.deepcopy``, which sat on the message hot path (docs/performance.md); anything
    that is not a dict, list or scalar still goes through ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        items = cast(dict[Any, Any], value).items()
        return cast(_T, {k: v if type(v) in _ATOMS else _copy(v) for k, v in items})
    if kind is list:
        return cast(_T, [v if type(v) in _ATOMS else _copy(v) for v in cast(list[Any], value)])
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


class MemoryEphemeral:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[tuple[str, str], tuple[float, JSON]] = {}
        self._logs: dict[str, tuple[float, list[JSON], dict[str, int]]] = {}
        self._indexes: dict[str, tuple[float, dict[str, float]]] = {}
        self._counters: dict[str, tuple[float, int]] = {}
        self._last_purge = clock()

    # housekeeping ---------------------------------------------------------------------
    def _now(self) -> float:
        now = self._clock()
        if now - self._last_purge > 30:
            self._purge(now)
        return now

    def _purge(self, now: float) -> None:
        self._last_purge = now
        stores: tuple[dict[Any, Any], ...] = (self._records, self._logs, self._indexes, self._counters)
        for store in stores:
            expired = [k for k, v in store.items() if v[0] <= now]
            for k in expired:
                del store[k]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._records.clear()
        self._logs.clear()
        self._indexes.clear()
        self._counters.clear()

    # records --------------------------------------------------------------------------
    async def put(self, kind: str, key: str, data: JSON, ttl: int) -> None:
        self._records[(kind, key)] = (self._now() + ttl, _copy(data))

    async def add(self, kind: str, key: str, data: JSON, ttl: int) -> bool:
        if self._live(kind, key) is not None:
            return False
        await self.put(kind, key, data, ttl)
        return True

    def _live(self, kind: str, key: str) -> tuple[float, JSON] | None:
        item = self._records.get((kind, key))
        if item is None:
            return None
        if item[0] <= self._now():
            del self._records[(kind, key)]
            return None
        return item

    async def get(self, kind: str, key: str) -> JSON | None:
        item = self._live(kind, key)
        return _copy(item[1]) if item else None

    async def get_many(self, items: list[tuple[str, str]]) -> list[JSON | None]:
        found = [self._live(kind, key) for kind, key in items]
        return [_copy(item[1]) if item else None for item in found]

    async def update(
        self,
        kind: str,
        key: str,
        changes: JSON,
        *,
        expect: JSON | None = None,
        ttl: int | None = None,
    ) -> JSON | None:
        item = self._live(kind, key)
        if item is None:
            return None
        expires, data = item
        if expect and any(data.get(k) != v for k, v in expect.items()):
            return None
        data.update(_copy(changes))
        if ttl is not None:
            expires = self._now() + ttl
        self._records[(kind, key)] = (expires, data)
        return _copy(data)

    async def delete(self, kind: str, key: str) -> bool:
        return self._records.pop((kind, key), None) is not None

    # message logs ---------------------------------------------------------------------
    async def append_message(self, conversation_id: str, dedupe_key: str, record: JSON, ttl: int) -> tuple[JSON, bool]:
        now = self._now()
        entry = self._logs.get(conversation_id)
        if entry is None or entry[0] <= now:
            entry = (now + ttl, [], {})
        expires, log, seen = entry
        if dedupe_key in seen:
            return _copy(log[seen[dedupe_key]]), False
        stored = dict(_copy(record), seq=len(log) + 1)
        log.append(stored)
        seen[dedupe_key] = len(log) - 1
        self._logs[conversation_id] = (max(expires, now + ttl), log, seen)
        return _copy(stored), True

    async def messages(self, conversation_id: str) -> list[JSON]:
        entry = self._logs.get(conversation_id)
        if entry is None or entry[0] <= self._now():
            return []
        return _copy(entry[1])

    async def delete_messages(self, conversation_id: str) -> None:
        self._logs.pop(conversation_id, None)

    # ordered indexes ------------------------------------------------------------------
    async def index_add(self, name: str, member: str, score: float, ttl: int) -> None:
        now = self._now()
        entry = self._indexes.get(name)
        members = entry[1] if entry and entry[0] > now else {}
        members[member] = score
        self._indexes[name] = (now + ttl, members)

    async def index_remove(self, name: str, member: str) -> bool:
        entry = self._indexes.get(name)
        return bool(entry) and entry[1].pop(member, None) is not None  # type: ignore[index]

    async def index_members(self, name: str) -> list[tuple[str, float]]:
        entry = self._indexes.get(name)
        if entry is None or entry[0] <= self._now():
            return []
        return sorted(entry[1].items(), key=lambda kv: (kv[1], kv[0]))

    # counters -------------------------------------------------------------------------
    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        now = self._now()
        expires, value = self._counters.get(key, (now + ttl, 0))
        if expires <= now:
            expires, value = now + ttl, 0
        value += amount
        self._counters[key] = (expires, value)
        return value

    async def keys_for_inspection(self) -> list[str]:
        keys: list[str] = [f"{k}:{i}" for (k, i) in self._records]
        keys += [f"msgs:{c}" for c in self._logs]
        keys += [f"idx:{n}" for n in self._indexes]
        keys += [f"ctr:{n}" for n in self._counters]
        return keys

    def raw_dump(self) -> Any:
        """Everything held, for tests that look for plaintext."""
        return {
            "records": self._records,
            "logs": self._logs,
            "indexes": self._indexes,
            "counters": self._counters,
        }
