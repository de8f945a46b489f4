"""The life of a conversation: waiting -> active -> ended, and back to the queue.

``start`` puts a new conversation in the queue, ``accept`` gives it to an operator,
"back to the queue" (an operator dropped, or transferred it there) makes it wait again
at the head of its band, and ``finish`` ends it once and destroys it: the key first
(crypto-shredding), then the messages, the index entries and last the record. The
sweep abandons conversations whose visitor has been away past the grace period.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypedDict

from .. import i18n
from ..config import Settings
from ..storage.base import StoreUnavailable
from . import triage
from .audit import Audit
from .domain import AgeBand, Audience, Conversation, EndReason, Staff, Topic, VisitorSession, now_ms
from .errors import MSG_CLOSED, MSG_CONFLICT, MSG_FORBIDDEN, MSG_NOT_FOUND, ServiceError
from .hours import Hours
from .messages import Messages, SystemCode, require_assigned
from .observer import Observer
from .payloads import Brief, Summary, state_payload, summary
from .pending_triage import PendingTriage
from .queue import Queue
from .recipients import Notify
from .repository import Changed, Repository
from .router import Router
from .stats import Stats, conversation_counters

log = logging.getLogger(__name__)

Announce = Callable[[], Awaitable[None]]
Attach = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class StartRequest:
    """A validated ``start`` (docs/protocol.md)."""

    audience: Audience
    locale: str | None = None
    topic: Topic | None = None
    urgent: bool = False
    age_band: AgeBand | None = None
    #: The visitor's address key (daily keyed hash, never the address), kept on the
    #: record for the queue caps and for blocking (services/queue_guard.py).
    address_key: str | None = None


class EndResult(TypedDict, total=False):
    report_duty: bool


def back_to_queue(conv: Conversation) -> Conversation:
    """Waiting again: no operator and no offer, and the operator who had it is not
    offered it again first."""
    passed = (conv.operator_id,) if conv.operator_id else ()
    return replace(conv, state="waiting", operator_id=None, operator_name=None, offer=None, passed=passed)


async def _nothing() -> None:
    return None


class Lifecycle:
    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        messages: Messages,
        queue: Queue,
        router: Router,
        hours: Hours,
        stats: Stats,
        audit: Audit,
        observer: Observer,
        settings: Settings,
        pending: PendingTriage,
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._messages = messages
        self._queue = queue
        self._router = router
        self._hours = hours
        self._stats = stats
        self._audit = audit
        self._observer = observer
        self._settings = settings
        self._pending = pending
        self._last_start_ms = 0  # see do_start

    # --- start ------------------------------------------------------------------------
    async def check_may_start(self, address_key: str) -> None:
        """``forbidden`` while the visitor's rate-limit key is blocked (``block``)."""
        if await self._repo.is_blocked(address_key):
            raise ServiceError("forbidden", MSG_FORBIDDEN)

    async def do_start(
        self, sess: VisitorSession, request: StartRequest, attach: Attach, sid: str
    ) -> tuple[VisitorSession, Brief, Announce]:
        """Start a conversation, or return the session's live one (idempotent).

        ``attach`` joins the visitor's socket to the conversation; ``sid`` is that
        socket. Returns (the session, now bound to the conversation; its brief for the
        ack; what to announce after the ack). ``closed`` outside opening hours."""
        existing = await self._repo.get_live(sess.conversation_id)
        if existing is not None:
            await attach(existing.id)
            return sess, await self._queue.brief(existing), _nothing
        hours = await self._hours.payload(datetime.now(UTC))
        if not hours["accepting"]:
            raise ServiceError("closed", MSG_CLOSED)

        # Strictly increasing on this node: the queue orders by this time, and two chats
        # started in the same millisecond would otherwise be ordered by their random ids.
        ts = self._last_start_ms = max(now_ms(), self._last_start_ms + 1)
        conv = Conversation(
            id=secrets.token_urlsafe(12),
            state="waiting",
            created_at=ts,
            waiting_since=ts,
            locale=request.locale or sess.locale,
            audience=request.audience,
            topic=request.topic,
            urgent=request.urgent,
            age_band=request.age_band,
            pseudonym=sess.pseudonym,
            session_key=sess.key,
            visitor_sid=sid,
            address_key=request.address_key or None,
        )
        await self._repo.create(conv)
        sess = await self._bind(sess, replace(sess, locale=conv.locale, conversation_id=conv.id), self._repo.ttl_s)
        await attach(conv.id)
        self._observer.conversation_started()
        log.info("conversation started")

        async def announce() -> None:
            try:
                await self._notify.send(conv, "visitor", "state", {"state": "waiting", "operator": None})
                await self._queue.announce()
            except StoreUnavailable:
                # Runs in the background after the ack: nobody else would see the error.
                # Operators get the next queue snapshot when the store is back.
                log.warning("queue announcement skipped: the ephemeral store is unavailable")

        return sess, await self._queue.brief(conv), announce

    # --- accept -----------------------------------------------------------------------
    async def do_accept(self, staff: Staff, conversation_id: str) -> Summary:
        """Take a waiting chat. ``not_found`` (gone or ended), ``conflict`` (taken, or
        it would exceed the operator's maximum). A pending offer to someone else is
        withdrawn from them (``offer_withdrawn`` ``taken``)."""
        rule = await self._router.accept_rule(staff)
        ts = now_ms()

        def take(conv: Conversation) -> Conversation:
            if not conv.live:
                raise ServiceError("not_found", MSG_NOT_FOUND)
            if conv.state != "waiting":
                raise ServiceError("conflict", MSG_CONFLICT)
            rule.check(conv)
            return replace(
                conv,
                state="active",
                operator_id=staff.id,
                operator_name=staff.name,
                accepted_at=conv.accepted_at or ts,
                offer=None,
                passed=(),
                interpreter_needed=conv.locale not in rule.languages,
            )

        changed = await self._repo.change(conversation_id, take)
        if changed is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        before, conv = changed.before, changed.after
        await self._repo.dequeue(conv.id)
        if before.offer is not None and before.offer.staff_id != staff.id:
            await self._notify.to_staff(
                before.offer.staff_id, "offer_withdrawn", {"conversation_id": conv.id, "reason": "taken"}
            )
        self._observer.conversation_accepted(max(0.0, (ts - conv.waiting_since) / 1000))
        log.info("conversation accepted")
        await self._notify.send(conv, "visitor", "state", state_payload(conv))
        await self._messages.add_system(conv, "operator_joined", {"name": staff.name})
        history = await self._messages.history_for_staff(conv, staff.locale)
        await self._notify.to_staff(staff.id, "assigned", {"conversation": summary(conv), "messages": history})
        await self._queue.announce()
        await self._audit.record(staff.id, "accept", conv.id)
        return summary(conv)

    # --- back to the queue ------------------------------------------------------------
    async def requeue(
        self,
        conversation_id: str,
        allowed: Callable[[Conversation], bool],
        notice: SystemCode,
        params: dict[str, str] | None = None,
    ) -> Changed | None:
        """Put an active chat back at the head of its band in the queue, if ``allowed``
        (a pure check on the current conversation) still holds: the visitor gets the
        system message ``notice`` and ``state`` waiting, and everyone their places.
        Returns the change, or None if it no longer applied."""

        def back(conv: Conversation) -> Conversation | None:
            if conv.state != "active" or not allowed(conv):
                return None
            return back_to_queue(conv)

        changed = await self._repo.change(conversation_id, back)
        if changed is None:
            return None
        conv = changed.after
        await self._repo.enqueue(conv, head=True)
        await self._messages.add_system(conv, notice, params)
        await self._notify.send(conv, "visitor", "state", {"state": "waiting", "operator": None})
        await self._queue.announce()
        return changed

    # --- ending -----------------------------------------------------------------------
    async def do_visitor_end(self, sess: VisitorSession) -> VisitorSession:
        """The visitor ends their chat (if any); the session stays for a new one."""
        conv = await self._repo.get_live(sess.conversation_id)
        if conv is not None:
            await self.finish(conv.id, "visitor_ended")
        return await self._bind(sess, replace(sess, conversation_id=None), self._repo.idle_session_ttl_s)

    async def _bind(self, sess: VisitorSession, new: VisitorSession, ttl_s: int) -> VisitorSession:
        """Store the session's new conversation and locale, for ``ttl_s`` from now (a
        session whose record expired meanwhile is stored afresh)."""
        changed = await self._repo.change_session(
            sess, lambda s: replace(s, locale=new.locale, conversation_id=new.conversation_id), ttl_s
        )
        if changed is not None:
            return changed
        await self._repo.create_session(new, ttl_s)
        return replace(new, version=0)

    async def do_visitor_exit(self, sess: VisitorSession) -> VisitorSession:
        """Quick exit: end and destroy at once, and forget the session (the resume
        token stops working)."""
        conv = await self._repo.get_live(sess.conversation_id)
        if conv is not None:
            await self.finish(conv.id, "visitor_exit")
        await self._repo.delete_session(sess.key)
        return replace(sess, conversation_id=None)

    async def do_operator_end(self, staff: Staff, conversation_id: str, form: object) -> EndResult:
        """The assigned operator ends the chat with an optional triage form, which only
        ever becomes aggregate counters (services/triage.py). An invalid form refuses
        the end (``invalid``) and the chat goes on. Without a form the chat waits in
        the operator's list for its triage (services/pending_triage.py)."""
        checked = triage.validate(form, i18n.SUPPORTED) if form else None
        result: EndResult = {}
        if checked:
            conv = await self._repo.get_live(conversation_id)
            if conv is not None:
                marks = await self._pending.marks(conv.id)
                age = checked.get("age_band") or marks.age_band or conv.age_band
                categories = (*checked["categories"], *marks.categories)
                result["report_duty"] = triage.report_duty(age, categories, conv.topic)
        conv = await require_assigned(self._repo, staff, conversation_id)
        await self.finish(conv.id, "operator_ended", triage.counters(checked) if checked else None)
        await self._audit.record(staff.id, "end", conv.id)
        return result

    async def check_triage(self, staff: Staff, conversation_id: str, form: object) -> bool:
        """Validate a triage form without ending the chat; True when the duty-to-report
        reminder applies (see services/triage.py)."""
        conv = await require_assigned(self._repo, staff, conversation_id)
        checked = triage.validate(form, i18n.SUPPORTED)
        marks = await self._pending.marks(conv.id)
        age = checked.get("age_band") or marks.age_band or conv.age_band
        return triage.report_duty(age, (*checked["categories"], *marks.categories), conv.topic)

    async def finish(
        self,
        conversation_id: str,
        reason: EndReason,
        extra_counters: dict[str, int] | None = None,
        when: Callable[[Conversation], bool] | None = None,
    ) -> bool:
        """End a conversation once (the first caller wins, on any process) and destroy
        its content; with ``when``, only if it holds for the conversation as the
        compare-and-set sees it (e.g. still waiting). ``extra_counters`` holding
        ``triage:recorded`` means the triage was given at the end; otherwise an answered
        chat waits in its operator's list for its triage (services/pending_triage.py).
        Returns whether this call ended it."""

        def end(conv: Conversation) -> Conversation | None:
            return replace(conv, state="ended") if conv.live and (when is None or when(conv)) else None

        changed = await self._repo.change(conversation_id, end)
        if changed is None:
            return False
        before, conv = changed.before, changed.after
        # Counted by the one caller whose compare-and-set won, so a sweep running on every
        # node still counts each conversation once.
        self._observer.conversation_ended(reason)
        await self._repo.shred(conv.id)
        ts = now_ms()
        counters = conversation_counters(conv.to_record(), reason, ts)
        counters.update(extra_counters or {})
        try:
            await self._stats.record(ts, counters)
        except Exception:  # noqa: BLE001 - statistics must never keep a chat alive
            log.exception("could not record statistics")
        try:
            # Before ``ended``: the operator's console learns the chat waits for triage
            # first, so it never closes it by itself.
            await self._pending.on_ended(conv, reason, ts, "triage:recorded" in counters)
        except StoreUnavailable:
            log.warning("the chat's triage entry could not be stored: the ephemeral store is unavailable")
        await self._notify.send(conv, "visitor", "state", {"state": "ended", "operator": None})
        await self._notify.send(
            conv, "everyone", "ended", {"reason": reason}, {"conversation_id": conv.id, "reason": reason}
        )
        # The record goes last: until now it told other nodes the chat was ending.
        await self._repo.delete(conv.id)
        await self._repo.detach_session(conv.session_key, conv.id)
        log.info("conversation ended reason=%s", reason)
        if before.state == "waiting":
            await self._queue.announce()
        else:
            await self._router.kick()  # the operator has room for another chat
        return True

    # --- housekeeping -----------------------------------------------------------------
    async def sweep(self) -> int:
        """Abandon conversations whose visitor has been away longer than the grace
        period, and any that outlived the maximum length; put the chats of operators
        gone past ``operator_grace_s`` back in the queue. Safe on every node. Returns
        the number of conversations abandoned here."""
        self._repo.drop_idle_ciphers()
        ts = now_ms()
        done = 0
        grace_ms = self._settings.grace_period_s * 1000
        for cid in await self._repo.live_ids():
            conv = await self._repo.get(cid)
            if conv is None:
                await self._repo.forget_missing(cid)
                continue
            away = conv.visitor_away_since
            too_old = ts - conv.created_at > self._settings.max_conversation_s * 1000
            if ((away is not None and ts - away >= grace_ms) or too_old) and await self.finish(cid, "abandoned"):
                done += 1
        for cid in await self._repo.queue_ids():
            if await self._repo.get(cid) is None:
                await self._repo.dequeue(cid)
        for staff_id in await self._router.take_dropped():
            await self.requeue_chats_of(staff_id)
        await self._router.kick()
        return done

    async def requeue_chats_of(self, staff_id: str) -> None:
        """Put every chat assigned to ``staff_id`` back in the queue, the visitor told
        (``operator_left``): their console is gone for good (dropped past the grace
        period, or their staff session ended: services/revocation.py)."""
        for conv in await self._repo.live():
            if not conv.is_assigned_to(staff_id):
                continue
            done = await self.requeue(
                conv.id, lambda c: c.operator_id == staff_id, "operator_left", {"name": conv.operator_name or ""}
            )
            if done is not None:
                log.info("chat requeued after its operator dropped")
                await self._notify.to_staff(staff_id, "ended", {"conversation_id": conv.id, "reason": "operator_left"})
