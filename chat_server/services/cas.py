"""Compare-and-set on one versioned record of the ephemeral store.

The repository's only way to change a record that several writers may change at once
(a conversation, a visitor session, an operator's places): read it, apply a pure
function, write back with ``Ephemeral.update(…, expect={"version": old})`` (atomic in
memory because nothing awaits between its read and its write, WATCH/MULTI on Redis),
and retry a bounded number of times when a writer on another process won. Writers of
one record in this process take turns on a lock of its own, so they never race each
other and retries are left for writers on other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..storage.base import Ephemeral
from .domain import Conversation, VisitorSession
from .errors import MSG_CONFLICT, ServiceError

log = logging.getLogger(__name__)

#: Lost races tolerated by one change before it gives up with ``conflict``. Each loss
#: means a writer on another process changed the record meanwhile (writers in this
#: process take turns); after a loss the next try waits a random 0-``2**n`` ms (at most
#: 50 ms), so contenders spread out. Sixteen losses in a row take a storm of writes to
#: one record from many processes.
MAX_ATTEMPTS = 16
_BACKOFF_MAX_S = 0.05


@dataclass(frozen=True)
class Places:
    """The chats an operator holds a place for (services/router.py, capacity): each
    conversation id with the time (ms) the place was taken. A place is taken before the
    chat is given to them and given back when they no longer have it, so two accepts
    (or an accept and a transfer) on two processes can never both pass the maximum."""

    staff_id: str
    chats: Mapping[str, int] = field(default_factory=dict)
    version: int = 0

    def to_record(self) -> dict[str, object]:
        return {"chats": dict(self.chats), "version": self.version}

    @staticmethod
    def decoder(staff_id: str) -> Callable[[dict[str, Any]], Places]:
        """Decode the record of ``staff_id``."""

        def decode(raw: dict[str, Any]) -> Places:
            chats = {str(k): int(v) for k, v in (raw.get("chats") or {}).items()}
            return Places(staff_id, chats, int(raw.get("version") or 0))

        return decode


T = TypeVar("T", Conversation, VisitorSession, Places)


class Turns:
    """One asyncio lock per key, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def of(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class CompareAndSet:
    """Compare-and-set over one ephemeral store (see the module's docstring)."""

    def __init__(self, eph: Ephemeral) -> None:
        self._eph = eph
        self.turns = Turns()

    async def __call__(
        self,
        kind: str,
        key: str,
        decode: Callable[[dict[str, Any]], T],
        fn: Callable[[T], T | None],
        ttl_s: int | None = None,
    ) -> tuple[T, T] | None:
        """Read ``kind:key``, apply ``fn``, write back only if nobody wrote meanwhile.

        Returns (before, after) with ``after.version = before.version + 1``, or None if
        the record is missing or ``fn`` returned None. ``ttl_s`` restarts the record's
        expiry (else it keeps it). An exception raised by ``fn`` propagates (nothing is
        written). Raises ``ServiceError("conflict")`` after :data:`MAX_ATTEMPTS` lost
        races. While a record lives its version only grows (it is created at version 0
        and then changed only here), so a compare on it sees every write in between.
        """
        async with self.turns.of(kind + ":" + key):
            for attempt in range(MAX_ATTEMPTS):
                if attempt:
                    await asyncio.sleep(random.uniform(0, min(_BACKOFF_MAX_S, 0.001 * 2**attempt)))  # noqa: S311
                raw = await self._eph.get(kind, key)
                if raw is None:
                    return None
                before = decode(raw)
                after = fn(before)
                if after is None:
                    return None
                after = replace(after, version=before.version + 1)
                # Compared with the decoded record, not the raw one: a sparse record
                # leaves out what is at its default.
                old = before.to_record()
                changes = {k: v for k, v in after.to_record().items() if old.get(k) != v}
                # ``raw.get("version")`` is None for a record written before versions
                # existed; the store compares it as it is.
                expect = {"version": raw.get("version")}
                if await self._eph.update(kind, key, changes, expect=expect, ttl=ttl_s) is not None:
                    return before, after
        log.warning("compare-and-set on %s gave up after %d lost races", kind, MAX_ATTEMPTS)
        raise ServiceError("conflict", MSG_CONFLICT)
