"""Starting a conversation: idempotent under any interleaving, on every process.

A session has at most one live conversation. ``start`` is a claim on the session: the
new conversation's key and record are written first (so a start that loses the claim
can read the winner's), then the session is bound to it by compare-and-set
(``conversation_id``: the ended or absent one that was read → the new id), and only the
winner's conversation is published (the live index, the queue). The loser removes what
it wrote, which nobody has seen, and answers with the winner's conversation, joining its
room. A winner that fails after its claim gives the claim back. So two ``start`` events
on one socket without waiting for the ack, two sockets of one session, or two
processes, all end with one conversation.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..storage.base import StoreUnavailable
from .centre_domain import DEFAULT_CENTRE
from .domain import AgeBand, Audience, Conversation, Topic, VisitorSession, now_ms
from .errors import MSG_CLOSED, MSG_CONFLICT, MSG_FORBIDDEN, ServiceError
from .hours import Hours
from .lifecycle import Announce, Attach, nothing
from .observer import Observer
from .payloads import Brief
from .queue import Queue
from .recipients import Notify
from .repository import Repository
from .stats import Stats

log = logging.getLogger(__name__)

#: Claims a start may lose before it gives up with ``conflict``: it loses only to a
#: start of the same session, whose conversation it then joins, so a second loss means
#: that conversation ended at once.
_TRIES = 3


@dataclass(frozen=True)
class StartRequest:
    """A validated ``start`` (docs/protocol.md)."""

    audience: Audience
    locale: str | None = None
    topic: Topic | None = None
    urgent: bool = False
    age_band: AgeBand | None = None
    centre: str = DEFAULT_CENTRE
    # The widget's centre when the visitor chose to start in ``centre`` instead
    # (services/overflow.py), else None.
    home_centre: str | None = None


#: Checks that a visitor may start with a centre (services/centres.Centres.check_centre):
#: ``not_found`` for an unknown or disabled one.
CheckCentre = Callable[[str], Awaitable[object]]
#: Offers a new waiting visitor another centre when theirs overflows
#: (services/overflow.py ``Overflow.do_offer``).
OfferOverflow = Callable[[Conversation], Awaitable[object]]


class Starts:
    """``start``: a blocked key is refused, a session with a live conversation gets it
    back, and otherwise exactly one new conversation is made (see the module)."""

    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        queue: Queue,
        hours: Hours,
        observer: Observer,
        check_centre: CheckCentre,
        stats: Stats,
        offer_overflow: OfferOverflow,
    ) -> None:
        self._stats = stats
        self._offer_overflow = offer_overflow
        self._repo = repo
        self._check_centre = check_centre
        self._notify = notify
        self._queue = queue
        self._hours = hours
        self._observer = observer
        self._last_start_ms = 0  # see _new

    async def check_may_start(self, address_key: str) -> None:
        """``forbidden`` while the visitor's rate-limit key is blocked (``block``)."""
        if await self._repo.is_blocked(address_key):
            raise ServiceError("forbidden", MSG_FORBIDDEN)

    async def do_start(
        self, sess: VisitorSession, request: StartRequest, attach: Attach, sid: str, address_key: str = ""
    ) -> tuple[VisitorSession, Brief, Announce]:
        """Start a conversation, or return the session's live one (idempotent).

        ``attach`` joins the visitor's socket to a conversation's room; ``sid`` is that
        socket and ``address_key`` its rate-limit key (kept on the conversation so a
        ``block`` works from any process). Returns (the session as stored, bound to the
        conversation; its brief for the ack; what to announce after the ack).
        ``not_found`` for an unknown centre; ``closed`` outside the centre's opening
        hours; ``conflict`` if the session's conversation
        ended while this start was joining it, again and again."""
        conv: Conversation | None = None
        for _ in range(_TRIES):
            stored = await self._repo.stored_session(sess) or sess
            existing = await self._repo.get_live(stored.conversation_id)
            if existing is not None:
                if conv is not None:
                    await self._repo.discard(conv)  # lost the claim: nobody saw it
                await attach(existing.id)
                return stored, await self._queue.brief(existing), nothing
            if conv is None:
                await self._check_centre(request.centre)
                hours = await self._hours.payload(datetime.now(UTC), centre=request.centre)
                if not hours["accepting"]:
                    raise ServiceError("closed", MSG_CLOSED)
                conv = self._new(sess, request, sid, address_key)
                await self._repo.store_new(conv)
            won = await self._repo.claim_session(stored, stored.conversation_id, conv.id, conv.locale)
            if won.conversation_id == conv.id:
                return won, await self._publish(won, conv, attach), self._announcer(conv)
        if conv is not None:
            await self._repo.discard(conv)
        raise ServiceError("conflict", MSG_CONFLICT)

    def _new(self, sess: VisitorSession, request: StartRequest, sid: str, address_key: str) -> Conversation:
        # Strictly increasing on this node: the queue orders by this time, and two chats
        # started in the same millisecond would otherwise be ordered by their random ids.
        ts = self._last_start_ms = max(now_ms(), self._last_start_ms + 1)
        return Conversation(
            id=secrets.token_urlsafe(12),
            state="waiting",
            created_at=ts,
            waiting_since=ts,
            locale=request.locale or sess.locale,
            audience=request.audience,
            topic=request.topic,
            urgent=request.urgent,
            age_band=request.age_band,
            centre=request.centre,
            home_centre=request.home_centre,
            pseudonym=sess.pseudonym,
            session_key=sess.key,
            visitor_sid=sid,
            visitor_node=self._repo.node_id,
            address_key=address_key or None,
        )

    async def _publish(self, sess: VisitorSession, conv: Conversation, attach: Attach) -> Brief:
        """The claim is won: make the conversation visible and join its room. If that
        fails, give the claim back and remove the conversation, then re-raise."""
        try:
            await self._repo.publish(conv)
            await attach(conv.id)
        except BaseException:
            await self._repo.detach_session(sess.key, conv.id)
            await self._repo.discard(conv)
            raise
        self._observer.conversation_started()
        if conv.home_centre is not None:  # started elsewhere by choice: counted at both
            await self._stats.record_best_effort(conv.created_at, {"overflow:out": 1}, conv.home_centre)
            await self._stats.record_best_effort(conv.created_at, {"overflow:in": 1}, conv.centre)
        log.info("conversation started")
        return await self._queue.brief(conv)

    def _announcer(self, conv: Conversation) -> Announce:
        async def announce() -> None:
            try:
                await self._notify.send(conv, "visitor", "state", {"state": "waiting", "operator": None})
                await self._queue.announce(conv.centre)
                await self._offer_overflow(conv)
            except StoreUnavailable:
                # Runs in the background after the ack: nobody else would see the error.
                # Operators get the next queue snapshot when the store is back.
                log.warning("queue announcement skipped: the ephemeral store is unavailable")

        return announce
