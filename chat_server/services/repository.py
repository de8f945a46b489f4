"""The one owner of live state in the ephemeral store.

Every read and write of conversations, their keys and messages, visitor sessions, the
queue, live, duty and presence indexes, operators' places, blocks and the counters that
belong to a conversation goes through :class:`Repository`; no other module names a
store key. (Staff-side records are in services/repository_staff.py, a part of the same
class.)

Writes to a conversation go through :meth:`Repository.change` only: read, apply a pure
function, write back with a compare-and-set on ``version`` (services/cas.py), retry a
bounded number of times when another writer won. So one conversation has one writer at
a time, on every process sharing the store; side effects (emits, statistics) are
decided afterwards from ``(before, after)``. Sessions change the same way
(:meth:`Repository.change_session`, :meth:`Repository.claim_session`).

A new conversation becomes visible in steps (services/starting.py): its key and record
are written first (:meth:`Repository.store_new`), then the visitor's session is claimed
for it, and only then is it put in the live index and the queue
(:meth:`Repository.publish`); a start that loses the claim removes what it wrote
(:meth:`Repository.discard`), which nobody else has seen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..config import Settings
from ..security.crypto import CipherCache, ConversationCipher, KeyRing
from ..storage.base import Ephemeral
from .cas import MAX_ATTEMPTS, CompareAndSet, Places
from .centre_domain import DEFAULT_CENTRE
from .domain import Conversation, StoredMessage, VisitorSession, now_ms
from .errors import MSG_CONFLICT, MSG_NOT_FOUND, ServiceError
from .queue import QUEUES_INDEX, queue_index, queue_score
from .repository_staff import StaffRecords

__all__ = ["MAX_ATTEMPTS", "Changed", "Repository"]

log = logging.getLogger(__name__)

# Store names (kinds and indexes). They are the stored layout: changing one strands
# the data of a running deployment during a rolling upgrade.
CONV, CKEY, VSESS = "conv", "ckey", "vsess"
LIVE_INDEX = "live"
#: A place taken this recently (ms) counts even if its chat is not (yet) the operator's:
#: it is being given to them right now (accept, transfer). Older places of chats they no
#: longer have are given back when the next place is taken, so a place a crash left
#: behind costs nothing for long.
IN_FLIGHT_MS = 10_000


class _Full(Exception):
    """No free place (raised inside a compare-and-set, so nothing is written)."""


@dataclass(frozen=True)
class Changed:
    """A successful :meth:`Repository.change`: the conversation before and after."""

    before: Conversation
    after: Conversation


class Repository(StaffRecords):
    """Typed access to the ephemeral store. Constructed once per process
    (services/container.py); ``node_id`` names this process (services/presence.py)."""

    def __init__(self, eph: Ephemeral, keyring: KeyRing, settings: Settings, node_id: str = "") -> None:
        #: Lifetime of a conversation's records (s): the longest chat plus the grace
        #: period, so nothing outlives an abandoned chat for long even if no sweep runs.
        ttl_s = settings.max_conversation_s + settings.grace_period_s
        super().__init__(eph, CompareAndSet(eph), ttl_s, node_id)
        self._keyring = keyring
        self._ciphers = CipherCache(keyring)
        #: Lifetime of a visitor session without a conversation (s).
        self.idle_session_ttl_s = max(60, settings.grace_period_s or 60)

    @property
    def _turns(self) -> Any:
        """The per-record locks of this process (tests check none outlives its writers)."""
        return self._cas.turns

    async def change(self, conversation_id: str, fn: Callable[[Conversation], Conversation | None]) -> Changed | None:
        """Change a conversation with the pure function ``fn``.

        ``fn`` gets the current conversation and returns the new one, or None for "no
        change" (a refusal it wants to report raises ``ServiceError`` instead). It may
        run several times, so it must not have side effects. Returns None if the
        conversation does not exist or ``fn`` returned None.
        """
        done = await self._cas(CONV, conversation_id, Conversation.from_record, fn)
        return Changed(*done) if done else None

    # --- conversations ----------------------------------------------------------------
    async def store_new(self, conv: Conversation) -> None:
        """Write a new conversation's key and record (key first: there is never a record
        without its key). Nobody finds it yet: see :meth:`publish`."""
        wrapped = self._keyring.wrap(self._keyring.new_conversation_key(), conv.id)
        await self._eph.put(CKEY, conv.id, {"k": wrapped}, self.ttl_s)
        await self._eph.put(CONV, conv.id, conv.to_record(sparse=True), self.ttl_s)

    async def publish(self, conv: Conversation) -> None:
        """Make a stored conversation visible: the live index (the sweep, the
        supervisors' overview) and the queue."""
        await self._eph.index_add(LIVE_INDEX, conv.id, conv.created_at, self.ttl_s)
        await self.enqueue(conv)

    async def create(self, conv: Conversation) -> None:
        """Store and publish a new conversation at once (tests and tools; a visitor's
        start claims the session in between: services/starting.py)."""
        await self.store_new(conv)
        await self.publish(conv)

    async def discard(self, conv: Conversation) -> None:
        """Remove a conversation that was stored but never published (a start that
        lost its claim, or failed before publishing): key first, then the record and
        any index entry it may have got."""
        await self.shred(conv)
        await self.delete(conv.id)

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

    async def shred(self, conv: Conversation) -> None:
        """Destroy a conversation's content: the key first (from then on whatever is
        left is unreadable), then the messages, then its index entries. The record
        itself goes with :meth:`delete`, last."""
        self._ciphers.forget(conv.id)
        await self._eph.delete(CKEY, conv.id)
        await self._eph.delete_messages(conv.id)
        await self._eph.index_remove(queue_index(conv.centre), conv.id)
        await self._eph.index_remove(LIVE_INDEX, conv.id)

    async def delete(self, conversation_id: str) -> None:
        """Remove the conversation record (last step of destroying it)."""
        await self._eph.delete(CONV, conversation_id)

    async def forget_missing(self, conversation_id: str) -> None:
        """Drop index entries of a conversation whose record has expired."""
        await self._eph.index_remove(LIVE_INDEX, conversation_id)
        for centre in await self.queue_centres():  # its centre went with the record
            await self._eph.index_remove(queue_index(centre), conversation_id)

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

    # --- queues (one per centre: services/queue.py) -------------------------------------
    async def queue_ids(self, centre: str = DEFAULT_CENTRE) -> list[str]:
        """The conversations waiting in ``centre``'s queue, in queue order."""
        return [m for m, _ in await self._eph.index_members(queue_index(centre))]

    async def queue_centres(self) -> list[str]:
        """The centres that have had a queue here (the default centre always), by id.
        A few entries a day at most: a centre is added when a chat first waits in it."""
        found = {m for m, _ in await self._eph.index_members(QUEUES_INDEX)}
        return sorted(found | {DEFAULT_CENTRE})

    async def enqueue(self, conv: Conversation, head: bool = False) -> None:
        """Into its centre's queue by priority; ``head`` puts it before everyone of its band."""
        if conv.centre != DEFAULT_CENTRE:
            await self._eph.index_add(QUEUES_INDEX, conv.centre, 0, self.ttl_s)
        await self._eph.index_add(queue_index(conv.centre), conv.id, queue_score(conv, head=head), self.ttl_s)

    async def dequeue(self, conv: Conversation) -> None:
        """Take a conversation out of its centre's queue (accepted, ended or moved)."""
        await self._eph.index_remove(queue_index(conv.centre), conv.id)

    async def waiting(self, ids: list[str] | None = None, *, centre: str | None = None) -> list[Conversation]:
        """The waiting conversations of ``centre`` in queue order (None: of every
        centre, one centre's queue after the other), or of ``ids``, if the caller has
        just read :meth:`queue_ids`."""
        if ids is None:
            ids = []
            for one in [centre] if centre is not None else await self.queue_centres():
                ids.extend(await self.queue_ids(one))
        out = []
        for cid in ids:
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

        ttl = None if ttl_s is None else max(60, ttl_s)
        done = await self._cas(VSESS, sess.key, self._session_decoder(sess), fn, ttl)
        return done[1] if done else None

    async def stored_session(self, sess: VisitorSession) -> VisitorSession | None:
        """The session as stored now (another socket of the same session, or another
        process, may have changed it since ``sess`` was read), or None if it expired."""
        raw = await self._eph.get(VSESS, sess.key)
        return self._session_decoder(sess)(raw) if raw is not None else None

    async def claim_session(
        self, sess: VisitorSession, expected: str | None, conversation_id: str, locale: str
    ) -> VisitorSession:
        """Bind the session to ``conversation_id`` if it is still bound to ``expected``
        (None, or a conversation the caller found ended): the compare-and-set that
        makes ``start`` idempotent under any interleaving, on every process.

        Returns the session as stored afterwards: bound to ``conversation_id`` when this
        call won, else to whatever the winner put there. A session whose record expired
        is created afresh (only if nobody else did so first). The session then lives as
        long as a conversation may (:attr:`ttl_s`)."""

        def claim(current: VisitorSession) -> VisitorSession | None:
            if current.conversation_id != expected:
                return None  # another start won
            return replace(current, conversation_id=conversation_id, locale=locale)

        decode = self._session_decoder(sess)
        for _ in range(MAX_ATTEMPTS):
            done = await self._cas(VSESS, sess.key, decode, claim, self.ttl_s)
            if done is not None:
                return done[1]
            raw = await self._eph.get(VSESS, sess.key)
            if raw is not None:
                return decode(raw)
            fresh = replace(sess, conversation_id=conversation_id, locale=locale, version=0)
            if await self._eph.add(VSESS, sess.key, fresh.to_record(), self.ttl_s):
                return fresh
        raise ServiceError("conflict", MSG_CONFLICT)

    def _session_decoder(self, sess: VisitorSession) -> Callable[[dict[str, Any]], VisitorSession]:
        def decode(raw: dict[str, Any]) -> VisitorSession:
            return VisitorSession.from_record(sess.key, sess.token, raw)

        return decode

    async def detach_session(self, session_key: str, conversation_id: str) -> None:
        """Forget the session's conversation, if it is still this one."""

        def detach(sess: VisitorSession) -> VisitorSession | None:
            return replace(sess, conversation_id=None) if sess.conversation_id == conversation_id else None

        await self.change_session(VisitorSession(session_key, "", "", ""), detach)

    async def delete_session(self, session_key: str) -> None:
        """Forget a session: its resume token stops working (quick exit)."""
        await self._eph.delete(VSESS, session_key)

    # --- operators' places ------------------------------------------------------------
    async def take_place(self, staff_id: str, conversation_id: str, max_chats: int) -> Literal["taken", "held", "full"]:
        """Take one of ``staff_id``'s ``max_chats`` places for ``conversation_id`` before
        the chat is given to them (accept, transfer): ``taken``, ``held`` (it was
        theirs already) or ``full``. Atomic on every process, so no path, however it
        interleaves with others, gives an operator more than their maximum. A caller
        that took a place gives it back (:meth:`give_back_place`) if the chat is not
        theirs after all."""
        held = await self.places_of(staff_id)
        ts = now_ms()
        stale = set()
        for cid, at in held.chats.items():
            if cid == conversation_id or ts - at < IN_FLIGHT_MS:
                continue
            conv = await self.get_live(cid)
            if conv is None or not conv.is_assigned_to(staff_id):
                stale.add(cid)  # a place nobody gave back (a crash between two steps)

        def take(p: Places) -> Places | None:
            if conversation_id in p.chats:
                return None  # theirs already
            keep = {c: t for c, t in p.chats.items() if c not in stale}
            if len(keep) >= max_chats:
                raise _Full
            return Places(staff_id, {**keep, conversation_id: ts}, p.version)

        try:
            done = await self._change_places(staff_id, take)
        except _Full:
            return "full"
        return "taken" if done is not None else "held"

    async def sizes(self) -> tuple[int, int, int]:
        """(live conversations, waiting conversations, staff on duty), for metrics."""
        live = await self._eph.index_members(LIVE_INDEX)
        waiting = sum([len(await self.queue_ids(c)) for c in await self.queue_centres()])
        return len(live), waiting, len(await self.on_duty())
