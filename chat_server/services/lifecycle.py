"""The life of a conversation: waiting -> active -> ended, and back to the queue.

(``start`` is in services/starting.py.) ``accept`` gives a waiting chat to an operator
who is on duty, takes its audience and has a free place (services/router.py), "back to
the queue" (:meth:`Lifecycle.requeue`: an operator dropped, transferred it there, or
lost their staff session) makes it wait again at the head of its band with nobody on
the staff side, and :meth:`Lifecycle.finish` ends it once and destroys it: the key
first (crypto-shredding), then the messages, the index entries and last the record.
Whoever leaves a chat leaves their typing indicator behind nowhere: the other side is
told ``typing`` ``{active: false}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Literal, TypedDict

from .. import i18n
from ..config import Settings
from ..storage.base import StoreUnavailable
from . import triage
from .audit import Audit
from .domain import Conversation, EndReason, Staff, VisitorSession, now_ms
from .errors import MSG_CONFLICT, MSG_NOT_FOUND, ServiceError
from .feedback import Feedback
from .messages import Messages, SystemCode, require_assigned
from .observer import Observer
from .payloads import Summary, console_summary, state_payload, summary
from .pending_triage import PendingTriage
from .queue import Queue
from .recipients import Notify
from .repository import Changed, Repository
from .router import Router
from .routing import MSG_AT_MAXIMUM, needs_interpreter
from .stats import Stats, conversation_counters

log = logging.getLogger(__name__)

Announce = Callable[[], Awaitable[None]]
Attach = Callable[[str], Awaitable[None]]
#: Written with a requeue, after its change and before anyone can take the chat (a
#: transfer's note): gets the conversation as it was before.
Then = Callable[[Conversation], Awaitable[None]]
#: Why a chat went back to the queue, as its operator hears it: ``released`` with this
#: reason, or (``operator_left``, they dropped) ``ended`` as docs/protocol.md says.
RequeueReason = Literal["transferred", "operator_left", "requeued"]
#: Ends the visitor causes: the staff side's "… is typing" from them must go.
VISITOR_LEFT: frozenset[EndReason] = frozenset({"visitor_ended", "visitor_exit", "abandoned"})
#: Ends after which the visitor is asked for feedback (services/feedback.py), if the
#: chat was answered: not after a quick exit, a block, or a visitor who is gone.
FEEDBACK_AFTER: frozenset[EndReason] = frozenset({"visitor_ended", "operator_ended"})


class EndResult(TypedDict, total=False):
    report_duty: bool


def back_to_queue(conv: Conversation) -> Conversation:
    """Waiting again with nobody on the staff side: no operator, no invited colleague,
    no observer, no offer, no interpreter flag (it belongs to whoever has the chat);
    whoever accepts next starts clean, and the operator who had it is not offered it
    again first."""
    passed = (conv.operator_id,) if conv.operator_id else ()
    return replace(
        conv,
        state="waiting",
        operator_id=None,
        operator_name=None,
        invited_ids=(),
        observer_ids=(),
        staff_names={},
        offer=None,
        passed=passed,
        interpreter_needed=False,
    )


async def nothing() -> None:
    """An announcement with nothing to announce."""
    return None


class Lifecycle:
    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        messages: Messages,
        queue: Queue,
        router: Router,
        stats: Stats,
        audit: Audit,
        observer: Observer,
        settings: Settings,
        pending: PendingTriage,
        feedback: Feedback,
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._messages = messages
        self._queue = queue
        self._router = router
        self._stats = stats
        self._audit = audit
        self._observer = observer
        self._settings = settings
        self._pending = pending
        self._feedback = feedback

    # --- accept -----------------------------------------------------------------------
    async def do_accept(self, staff: Staff, conversation_id: str) -> Summary:
        """Take a waiting chat. ``not_found`` (gone or ended), ``conflict`` (taken, or
        all of the operator's places are taken: only chats they have count, never
        offers), ``forbidden`` (off duty, or without the chat's audience skill; a
        supervisor or admin may take it anyway, and the audit says so). A pending offer
        to someone else is withdrawn from them (``offer_withdrawn`` ``taken``), and
        offers to this operator beyond their free places (``at_maximum``)."""
        rule = await self._router.accept_rule(staff)
        seen = await self._repo.get_live(conversation_id)
        if seen is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        if seen.state != "waiting":
            raise ServiceError("conflict", MSG_CONFLICT)
        rule.check(seen)
        took = await self._repo.take_place(staff.id, conversation_id, rule.max_chats)
        if took == "full":
            raise ServiceError("conflict", MSG_AT_MAXIMUM)
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
                interpreter_needed=needs_interpreter(conv.locale, rule.languages),
            )

        try:
            changed = await self._repo.change(conversation_id, take)
            if changed is None:
                raise ServiceError("not_found", MSG_NOT_FOUND)
        except BaseException:
            if took == "taken":
                await self._repo.give_back_place(staff.id, conversation_id)
            raise
        before, conv = changed.before, changed.after
        await self._repo.dequeue(conv)
        if before.offer is not None and before.offer.staff_id != staff.id:
            await self._notify.to_staff(
                before.offer.staff_id, "offer_withdrawn", {"conversation_id": conv.id, "reason": "taken"}
            )
        self._observer.conversation_accepted(max(0.0, (ts - conv.waiting_since) / 1000))
        log.info("conversation accepted")
        await self._notify.send(conv, "visitor", "state", state_payload(conv))
        await self._messages.add_system(conv, "operator_joined", {"name": staff.name})
        if conv.interpreter_needed:
            await self._messages.add_system(conv, "interpreter")
        history = await self._messages.history_for_staff(conv, staff.locale)
        # The console summary: whoever else is in it (a supervisor observing since it
        # waited) is shown too.
        await self._notify.to_staff(staff.id, "assigned", {"conversation": console_summary(conv), "messages": history})
        await self._router.withdraw_excess_offers(staff.id, rule.max_chats)
        await self._queue.announce(conv.centre)
        override = rule.override(before)
        details = {"override": override} if override else {}
        await self._audit.record(staff.id, "accept", conv.id, centres=[conv.centre], **details)
        return summary(conv)

    # --- back to the queue ------------------------------------------------------------
    async def requeue(
        self,
        conversation_id: str,
        allowed: Callable[[Conversation], bool],
        notice: SystemCode,
        params: dict[str, str] | None = None,
        *,
        why: RequeueReason = "requeued",
        then: Then | None = None,
    ) -> Changed | None:
        """Back to the queue: put an active chat back at the head of its band, if
        ``allowed`` (a pure check on the current conversation) still holds. The one
        place for it (a transfer to the queue, an operator's drop, the end of a staff
        session).

        Everyone on the staff side leaves it, in this order, before anyone can take it
        again: the operator is told ``released`` (``why``; ``ended`` ``operator_left``
        when they dropped) and gives back their place, invited colleagues and observers
        are told ``released`` ``requeued``; the visitor's "is typing" from the operator
        is cleared; ``then`` runs (a transfer's note); the visitor gets the system
        message ``notice`` and ``state`` waiting, and everyone their places. Returns the
        change, or None if it no longer applied."""

        def back(conv: Conversation) -> Conversation | None:
            if conv.state != "active" or not allowed(conv):
                return None
            return back_to_queue(conv)

        changed = await self._repo.change(conversation_id, back)
        if changed is None:
            return None
        before, conv = changed.before, changed.after
        await self._repo.give_back_place(before.operator_id, conv.id)
        await self._release_staff(before, why)
        await self._notify.send(conv, "visitor", "typing", {"active": False})
        if then is not None:
            await then(before)
        await self._messages.add_system(conv, notice, params)
        await self._notify.send(conv, "visitor", "state", {"state": "waiting", "operator": None})
        await self._repo.enqueue(conv, head=True)
        await self._queue.announce(conv.centre)
        return changed

    async def _release_staff(self, before: Conversation, why: RequeueReason) -> None:
        """Tell everyone who was on the staff side of ``before`` that it is not theirs."""
        cid = before.id
        if before.operator_id:
            if why == "operator_left":
                await self._notify.to_staff(before.operator_id, "ended", {"conversation_id": cid, "reason": why})
            else:
                await self._notify.to_staff(before.operator_id, "released", {"conversation_id": cid, "reason": why})
        for staff_id in before.staff_participants():
            if staff_id != before.operator_id:
                await self._notify.to_staff(staff_id, "released", {"conversation_id": cid, "reason": "requeued"})

    # --- ending -----------------------------------------------------------------------
    async def do_visitor_end(self, sess: VisitorSession) -> VisitorSession:
        """The visitor ends their chat (if any); the session stays for a new one and
        is returned as stored (not bound to a conversation, unless another socket of
        the session has started one meanwhile)."""
        stored = await self._repo.stored_session(sess) or sess
        conv = await self._repo.get_live(stored.conversation_id)
        if conv is not None:
            await self.finish(conv.id, "visitor_ended")
        ended = stored.conversation_id

        def detach(s: VisitorSession) -> VisitorSession | None:
            return replace(s, conversation_id=None) if s.conversation_id in (ended, None) else None

        done = await self._repo.change_session(sess, detach, self._repo.idle_session_ttl_s)
        if done is not None:
            return done
        current = await self._repo.stored_session(sess)
        if current is not None:
            return current  # bound to a conversation started meanwhile
        fresh = replace(sess, conversation_id=None, version=0)
        await self._repo.create_session(fresh, self._repo.idle_session_ttl_s)
        return fresh

    async def do_visitor_exit(self, sess: VisitorSession) -> VisitorSession:
        """Quick exit: end and destroy at once, and forget the session (the resume
        token stops working)."""
        stored = await self._repo.stored_session(sess) or sess
        conv = await self._repo.get_live(stored.conversation_id)
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
        await self._audit.record(staff.id, "end", conv.id, centres=[conv.centre])
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
        if before.state == "active":
            await self._repo.give_back_place(before.operator_id, conv.id)
        await self._repo.shred(conv)
        ts = now_ms()
        counters = conversation_counters(conv.to_record(), reason, ts)
        counters.update(extra_counters or {})
        await self._stats.record_best_effort(ts, counters, conv.centre)
        try:
            # Before ``ended``: the operator's console learns the chat waits for triage
            # first, so it never closes it by itself.
            await self._pending.on_ended(conv, reason, ts, "triage:recorded" in counters)
        except StoreUnavailable:
            log.warning("the chat's triage entry could not be stored: the ephemeral store is unavailable")
        if reason in VISITOR_LEFT:
            await self._notify.send(conv, "staff", "typing", {"conversation_id": conv.id, "active": False})
        else:
            await self._notify.send(conv, "visitor", "typing", {"active": False})
        await self._notify.send(conv, "visitor", "state", {"state": "ended", "operator": None})
        await self._notify.send(
            conv,
            "everyone",
            "ended",
            await self._ended_payload(conv, reason),
            {"conversation_id": conv.id, "reason": reason},
        )
        # The record goes last: until now it told other nodes the chat was ending.
        await self._repo.delete(conv.id)
        await self._repo.detach_session(conv.session_key, conv.id)
        log.info("conversation ended reason=%s", reason)
        if before.state == "waiting":
            await self._queue.announce(conv.centre)
        else:
            await self._after_answered_end(conv, ts)
        return True

    async def _ended_payload(self, conv: Conversation, reason: EndReason) -> dict[str, str]:
        """``ended`` for the visitor: the reason and, after an answered chat, a
        single-use feedback token (services/feedback.py)."""
        payload: dict[str, str] = {"reason": reason}
        if conv.accepted_at and reason in FEEDBACK_AFTER:
            try:
                payload["feedback"] = await self._feedback.issue(conv.centre)
            except StoreUnavailable:
                log.warning("no feedback token: the ephemeral store is unavailable")
        return payload

    async def _after_answered_end(self, conv: Conversation, ts: int) -> None:
        """An answered chat ended: its handling time joins the rolling average, the
        waiting visitors whose estimate changed are told, and the operator has room for
        another chat."""
        try:
            if conv.accepted_at:
                await self._queue.handled((ts - conv.accepted_at) / 1000)
            await self._queue.refresh()
        except StoreUnavailable:
            log.warning("wait estimates not updated: the ephemeral store is unavailable")
        await self._router.kick()

    async def requeue_chats_of(self, staff_id: str, why: RequeueReason = "operator_left") -> int:
        """Every active chat of ``staff_id`` back to the queue (see :meth:`requeue`):
        they dropped past their grace period, or their staff session ended. Each
        visitor gets the system message ``operator_left``. Returns how many."""
        done = 0
        for conv in await self._repo.live():
            if not conv.is_assigned_to(staff_id):
                continue
            name = {"name": conv.operator_name or ""}
            if await self.requeue(conv.id, lambda c: c.operator_id == staff_id, "operator_left", name, why=why):
                log.info("chat requeued: its operator left")
                done += 1
        return done
