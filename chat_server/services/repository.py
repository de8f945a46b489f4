"""The one owner of live state in the ephemeral store.

Every read and write of conversations, their keys and messages, visitor sessions, the
queue, live, duty and presence indexes, blocks and the counters that belong to a
conversation goes through :class:`Repository`; no other module names a store key.

Writes to a conversation go through :meth:`Repository.change` only: read, apply a pure
function, write back with a compare-and-set on ``version`` (``Ephemeral.update`` with
``expect``: atomic in memory because nothing awaits between its read and its write, and
WATCH/MULTI on Redis), retry a bounded number of times when another writer won. Writers
of one conversation in this process also queue on a lock of its own, so they never race
each other and retries are left for writers on other processes. So one conversation has
one writer at a time, on every process sharing the store; side effects (emits,
statistics) are decided afterwards from ``(before, after)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ..config import Settings
from ..security.crypto import CipherCache, ConversationCipher, KeyRing
from ..storage.base import Ephemeral
from .domain import Conversation, Duty, Millis, StoredMessage, VisitorSession, now_ms
from .errors import MSG_CONFLICT, MSG_NOT_FOUND, ServiceError
from .queue import QUEUE_INDEX, queue_score

log = logging.getLogger(__name__)

# Store names (kinds and indexes). They are the stored layout: changing one strands
# the data of a running deployment during a rolling upgrade.
CONV, CKEY, VSESS, DUTY, BLOCKED = "conv", "ckey", "vsess", "duty", "blocked"
LIVE_INDEX = "live"
DUTY_INDEX = "duty"
AWAY_INDEX = "op_away"  # staff with no console socket left, scored by when they left
SOCKETS_INDEX = "opsock:"  # + staff id: their console sockets
SESSION_SOCKETS_INDEX = "opsess:"  # + staff session ref: the console sockets of that session
#: Lost races tolerated by one ``change`` before it gives up with ``conflict``. Each
#: loss means a writer on another process changed the record meanwhile (writers in this
#: process take turns); after a loss the next try waits a random 0-``2**n`` ms (at most
#: 50 ms), so contenders spread out. Sixteen losses in a row take a storm of writes to
#: one conversation from many processes.
MAX_ATTEMPTS = 16
_BACKOFF_MAX_S = 0.05

T = TypeVar("T", Conversation, VisitorSession)


@dataclass(frozen=True)
class Changed:
    """A successful :meth:`Repository.change`: the conversation before and after."""

    before: Conversation
    after: Conversation


class _Turns:
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


class Repository:
    """Typed access to the ephemeral store. Constructed once (app.create_app)."""

    def __init__(self, eph: Ephemeral, keyring: KeyRing, settings: Settings) -> None:
        self._eph = eph
        self._turns = _Turns()
        self._keyring = keyring
        self._ciphers = CipherCache(keyring)
        #: Lifetime of a conversation's records (s): the longest chat plus the grace
        #: period, so nothing outlives an abandoned chat for long even if no sweep runs.
        self.ttl_s = settings.max_conversation_s + settings.grace_period_s
        #: Lifetime of a visitor session without a conversation (s).
        self.idle_session_ttl_s = max(60, settings.grace_period_s or 60)

    # --- compare-and-set (the only place) ---------------------------------------------
    async def _compare_and_set(
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
        expiry (else it keeps it). A ``ServiceError`` raised by ``fn`` propagates.
        Raises ``ServiceError("conflict")`` after :data:`MAX_ATTEMPTS` lost races.
        While a record lives its version only grows (it is created at version 0 and
        then changed only here), so a compare on it sees every write in between.
        """
        async with self._turns.of(kind + ":" + key):
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

    async def change(self, conversation_id: str, fn: Callable[[Conversation], Conversation | None]) -> Changed | None:
        """Change a conversation with the pure function ``fn``.

        ``fn`` gets the current conversation and returns the new one, or None for "no
        change" (a refusal it wants to report raises ``ServiceError`` instead). It may
        run several times, so it must not have side effects. Returns None if the
        conversation does not exist or ``fn`` returned None.
        """
        done = await self._compare_and_set(CONV, conversation_id, Conversation.from_record, fn)
        return Changed(*done) if done else None

    # --- conversations ----------------------------------------------------------------
    async def create(self, conv: Conversation) -> None:
        """Store a new conversation with a fresh key and put it in the live index and
        the queue (key first: there is never a record without its key)."""
        wrapped = self._keyring.wrap(self._keyring.new_conversation_key(), conv.id)
        await self._eph.put(CKEY, conv.id, {"k": wrapped}, self.ttl_s)
        await self._eph.put(CONV, conv.id, conv.to_record(sparse=True), self.ttl_s)
        await self._eph.index_add(LIVE_INDEX, conv.id, conv.created_at, self.ttl_s)
        await self.enqueue(conv)

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation (in any state, also ``ended`` while it is being destroyed)."""
        raw = await self._eph.get(CONV, conversation_id)
        return Conversation.from_record(raw) if raw is not None else None

    async def get_live(self, conversation_id: str | None) -> Conversation | None:
        """The conversation if it exists and has not ended."""
        if not conversation_id:
            return None
        conv = await self.get(conversation_id)
        return conv if conv is not None and conv.live else None

    async def get_live_with_cipher(self, conversation_id: str) -> tuple[Conversation, ConversationCipher] | None:
        """A live conversation and its cipher in one store round trip (the message
        path's only read), or None."""
        raw, key = await self._eph.get_many([(CONV, conversation_id), (CKEY, conversation_id)])
        if raw is None or key is None or raw["state"] == "ended":
            return None
        return Conversation.from_record(raw), self._ciphers.get(conversation_id, key["k"])

    async def live_ids(self) -> list[str]:
        """Ids of the live conversations, oldest first (the index only; no reads)."""
        return [m for m, _ in await self._eph.index_members(LIVE_INDEX)]

    async def live(self) -> list[Conversation]:
        """Every live conversation, oldest first (a read per conversation)."""
        out = []
        for cid in await self.live_ids():
            conv = await self.get_live(cid)
            if conv is not None:
                out.append(conv)
        return out

    async def cipher(self, conversation_id: str) -> ConversationCipher:
        """The conversation's cipher; ``not_found`` once its key is gone."""
        rec = await self._eph.get(CKEY, conversation_id)
        if rec is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return self._ciphers.get(conversation_id, rec["k"])

    async def shred(self, conversation_id: str) -> None:
        """Destroy a conversation's content: the key first (from then on whatever is
        left is unreadable), then the messages, then its index entries. The record
        itself goes with :meth:`delete`, last."""
        self._ciphers.forget(conversation_id)
        await self._eph.delete(CKEY, conversation_id)
        await self._eph.delete_messages(conversation_id)
        await self._eph.index_remove(QUEUE_INDEX, conversation_id)
        await self._eph.index_remove(LIVE_INDEX, conversation_id)

    async def delete(self, conversation_id: str) -> None:
        """Remove the conversation record (last step of destroying it)."""
        await self._eph.delete(CONV, conversation_id)

    async def forget_missing(self, conversation_id: str) -> None:
        """Drop index entries of a conversation whose record has expired."""
        await self._eph.index_remove(LIVE_INDEX, conversation_id)
        await self._eph.index_remove(QUEUE_INDEX, conversation_id)

    def drop_idle_ciphers(self) -> None:
        """Forget unwrapped keys not used for a while (see CipherCache; the sweeper calls it)."""
        self._ciphers.drop_idle()

    # --- messages ---------------------------------------------------------------------
    async def append_message(
        self, conversation_id: str, dedupe: str, message: StoredMessage
    ) -> tuple[StoredMessage, bool]:
        """Append unless ``dedupe`` was seen in this conversation. Returns (the stored
        message, created); a duplicate returns the first one and False."""
        stored, created = await self._eph.append_message(conversation_id, dedupe, message.to_record(), self.ttl_s)
        # A new entry is the message as given; only a duplicate needs decoding.
        return (message if created else StoredMessage.from_record(stored)), created

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        """The conversation's log in order (ciphertext; empty once destroyed)."""
        return [StoredMessage.from_record(r) for r in await self._eph.messages(conversation_id)]

    # --- queue ------------------------------------------------------------------------
    async def queue_ids(self) -> list[str]:
        """Waiting conversations in queue order."""
        return [m for m, _ in await self._eph.index_members(QUEUE_INDEX)]

    async def enqueue(self, conv: Conversation, head: bool = False) -> None:
        """Into the queue by priority; ``head`` puts it before everyone of its band."""
        await self._eph.index_add(QUEUE_INDEX, conv.id, queue_score(conv, head=head), self.ttl_s)

    async def dequeue(self, conversation_id: str) -> None:
        """Take a conversation out of the queue (accepted or ended)."""
        await self._eph.index_remove(QUEUE_INDEX, conversation_id)

    async def waiting(self, ids: list[str] | None = None) -> list[Conversation]:
        """The waiting conversations, in queue order (of ``ids``, if the caller has
        just read :meth:`queue_ids`)."""
        out = []
        for cid in await self.queue_ids() if ids is None else ids:
            conv = await self.get(cid)
            if conv is not None and conv.state == "waiting":
                out.append(conv)
        return out

    # --- visitor sessions -------------------------------------------------------------
    def session_key(self, token: str) -> str:
        """The lookup hash a session is stored under (never the token itself)."""
        return self._keyring.lookup_hash(token)

    async def find_session(self, token: str) -> VisitorSession | None:
        """The session of a resume token, or None (unknown or expired)."""
        key = self.session_key(token)
        raw = await self._eph.get(VSESS, key)
        return VisitorSession.from_record(key, token, raw) if raw is not None else None

    async def create_session(self, sess: VisitorSession, ttl_s: int) -> None:
        """Store a new session (or one whose record expired), expiring after ``ttl_s``
        (at least 60 s)."""
        await self._eph.put(VSESS, sess.key, replace(sess, version=0).to_record(), max(60, ttl_s))

    async def change_session(
        self, sess: VisitorSession, fn: Callable[[VisitorSession], VisitorSession | None], ttl_s: int | None = None
    ) -> VisitorSession | None:
        """Change a stored session with the pure function ``fn`` (compare-and-set, as
        :meth:`change`); ``ttl_s`` restarts its expiry. Returns the new session, or None
        if the record is gone or ``fn`` returned None."""

        def decode(raw: dict[str, Any]) -> VisitorSession:
            return VisitorSession.from_record(sess.key, sess.token, raw)

        done = await self._compare_and_set(VSESS, sess.key, decode, fn, None if ttl_s is None else max(60, ttl_s))
        return done[1] if done else None

    async def detach_session(self, session_key: str, conversation_id: str) -> None:
        """Forget the session's conversation, if it is still this one."""

        def detach(sess: VisitorSession) -> VisitorSession | None:
            return replace(sess, conversation_id=None) if sess.conversation_id == conversation_id else None

        await self.change_session(VisitorSession(session_key, "", "", ""), detach)

    async def delete_session(self, session_key: str) -> None:
        """Forget a session: its resume token stops working (quick exit)."""
        await self._eph.delete(VSESS, session_key)

    # --- duty and presence ------------------------------------------------------------
    async def put_duty(self, duty: Duty) -> None:
        """Put a staff member on duty (record and index; expires with the conversation TTL)."""
        await self._eph.put(DUTY, duty.staff_id, duty.to_record(), self.ttl_s)
        await self._eph.index_add(DUTY_INDEX, duty.staff_id, now_ms(), self.ttl_s)

    async def remove_duty(self, staff_id: str) -> None:
        """Take a staff member off duty."""
        await self._eph.delete(DUTY, staff_id)
        await self._eph.index_remove(DUTY_INDEX, staff_id)

    async def duty_of(self, staff_id: str) -> Duty | None:
        """Their duty (languages for the shift), or None when off duty."""
        raw = await self._eph.get(DUTY, staff_id)
        return Duty.from_record(staff_id, raw) if raw is not None else None

    async def on_duty(self) -> list[tuple[str, Millis]]:
        """(staff id, on duty since) of everyone on duty, longest first."""
        return [(m, int(s)) for m, s in await self._eph.index_members(DUTY_INDEX)]

    async def socket_connected(self, staff_id: str, sid: str) -> None:
        """A console socket of ``staff_id`` opened: they are present."""
        await self._eph.index_add(SOCKETS_INDEX + staff_id, sid, now_ms(), self.ttl_s)
        await self._eph.index_remove(AWAY_INDEX, staff_id)

    async def socket_disconnected(self, staff_id: str, sid: str) -> bool:
        """A console socket closed. True when it was their last: they are away now."""
        await self._eph.index_remove(SOCKETS_INDEX + staff_id, sid)
        if await self._eph.index_members(SOCKETS_INDEX + staff_id):
            return False
        await self._eph.index_add(AWAY_INDEX, staff_id, now_ms(), self.ttl_s)
        return True

    async def console_sockets(self, staff_id: str) -> list[str]:
        """The Socket.IO ids of every console socket of ``staff_id``, on any process."""
        return [m for m, _ in await self._eph.index_members(SOCKETS_INDEX + staff_id)]

    async def session_socket_opened(self, session_ref: str, sid: str) -> None:
        """Console socket ``sid`` was opened with the staff session ``session_ref``."""
        await self._eph.index_add(SESSION_SOCKETS_INDEX + session_ref, sid, now_ms(), self.ttl_s)

    async def session_socket_closed(self, session_ref: str, sid: str) -> None:
        """Console socket ``sid`` of the staff session ``session_ref`` closed."""
        await self._eph.index_remove(SESSION_SOCKETS_INDEX + session_ref, sid)

    async def session_sockets(self, session_ref: str) -> list[str]:
        """The Socket.IO ids of the console sockets of one staff session, on any process."""
        return [m for m, _ in await self._eph.index_members(SESSION_SOCKETS_INDEX + session_ref)]

    async def away(self) -> list[tuple[str, Millis]]:
        """(staff id, away since) of staff with no console socket left."""
        return [(m, int(s)) for m, s in await self._eph.index_members(AWAY_INDEX)]

    async def claim_away(self, staff_id: str) -> bool:
        """Take ``staff_id`` out of the away index; True for the one caller (on any
        process) that did, so only it handles their drop."""
        return await self._eph.index_remove(AWAY_INDEX, staff_id)

    # --- blocks and counters ----------------------------------------------------------
    async def block(self, address_key: str, ttl_s: int) -> None:
        """Refuse new chats from this rate-limit key for ``ttl_s`` seconds."""
        await self._eph.put(BLOCKED, address_key, {"at": now_ms()}, ttl_s)

    async def is_blocked(self, address_key: str) -> bool:
        """Whether this rate-limit key is blocked (never for the empty key)."""
        return bool(address_key) and await self._eph.get(BLOCKED, address_key) is not None

    async def first_time(self, name: str, ttl_s: int) -> bool:
        """True for the first call with ``name`` within ``ttl_s`` on any process (an
        atomic counter: one urgent alert per chat, one follow-up request a while)."""
        return await self._eph.incr(name, ttl_s) == 1

    async def count(self, name: str, ttl_s: int, amount: int = 1) -> int:
        """Add ``amount`` to a counter that expires ``ttl_s`` after it was created."""
        return await self._eph.incr(name, ttl_s, amount)

    async def sizes(self) -> tuple[int, int, int]:
        """(live conversations, waiting conversations, staff on duty), for metrics."""
        live = await self._eph.index_members(LIVE_INDEX)
        waiting = await self._eph.index_members(QUEUE_INDEX)
        duty = await self._eph.index_members(DUTY_INDEX)
        return len(live), len(waiting), len(duty)
