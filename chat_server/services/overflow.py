"""Overflow between centres (issue 19 point 4): a visitor whose centre cannot take them
soon is offered another centre that can, and chooses.

* **When.** A centre *overflows* when it is closed (outside its opening hours, or
  disabled), has nobody on duty, or the wait estimate at a visitor's place in its queue
  passes its threshold (``overflow_wait_s`` in the centre record, default
  :data:`DEFAULT_OVERFLOW_WAIT_S`; set by a national admin or the centre's own admins,
  services/centres.py; the estimate is services/queue.py's, the one the
  visitor is shown).
* **Where to.** The centres of the home centre's ``overflow`` list (in the centre record:
  neighbouring counties first, then a national line; set by a national admin, since
  it is agreed between the centres), in that order, that are enabled,
  take the visitor's audience (a centre for professionals only takes professionals),
  are accepting chats, have someone on duty and would not themselves overflow for one
  more visitor.
* **Consent.** Nothing moves by itself. A waiting visitor is sent ``overflow``
  ``{reason, centres:[{id, name}]}`` in their language (again only when the choice
  changes; ``centres: []`` withdraws it), and a ``start`` refused as ``closed`` carries
  the same choice. The visitor answers ``overflow_accept {centre}`` (or starts with
  ``overflow_to``): checked again against the list at that moment, done as one
  compare-and-set of the conversation, idempotent.
* **After.** The conversation keeps its home centre (``home_centre``) and moves to the
  other centre's queue, with its place by its priority and original waiting time; its
  staff see the home centre and may send cards from the home centre's referral
  directory (services/referrals.py), so cards name local services. It is counted in
  both centres' statistics: ``overflow:out`` at home, ``overflow:in`` at the receiver
  (and, when it ends, its other counters at the receiver, which served it).

A conversation moves at most once (a moved one is not offered again): being passed from
centre to centre is no help to someone who needs to talk.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal, TypedDict

from .audit import Audit

# The settings are read in centre_domain.py (the console API shows them); re-exported.
from .centre_domain import DEFAULT_OVERFLOW_WAIT_S as DEFAULT_OVERFLOW_WAIT_S
from .centre_domain import Centre, overflow_order
from .centre_domain import overflow_wait_s as overflow_wait_s
from .centres import Centres
from .domain import Conversation, VisitorSession, now_ms
from .errors import MSG_CONFLICT, MSG_NO_CONVERSATION, N_, ServiceError
from .hours import Hours
from .payloads import Brief
from .queue import Queue
from .recipients import Notify
from .repository import Repository
from .router import Router
from .starting import StartRequest
from .stats import Stats

log = logging.getLogger(__name__)

#: At most this many centres are offered at once (a short list is easier to choose from
#: on a phone).
MAX_CHOICES = 3
MSG_OVERFLOW_GONE = N_("That resource centre cannot take your chat right now. Please choose again.")

OverflowReason = Literal["closed", "nobody_on_duty", "long_wait"]


class OverflowChoice(TypedDict):
    id: str
    name: str  # in the visitor's language


class OverflowOffer(TypedDict):
    """The visitor event ``overflow`` (docs/protocol.md)."""

    reason: OverflowReason | None
    centres: list[OverflowChoice]


class Overflow:
    def __init__(
        self,
        repo: Repository,
        centres: Centres,
        hours: Hours,
        queue: Queue,
        router: Router,
        notify: Notify,
        stats: Stats,
        audit: Audit,
    ) -> None:
        self._repo = repo
        self._centres = centres
        self._hours = hours
        self._queue = queue
        self._router = router
        self._notify = notify
        self._stats = stats
        self._audit = audit

    # --- the rules --------------------------------------------------------------------
    async def centre_reason(self, centre_id: str) -> OverflowReason | None:
        """Why ``centre_id`` can take nobody soon, whatever their place: closed
        (disabled, or outside its opening hours) or nobody on duty; else None."""
        centre = await self._centres.get(centre_id)
        if centre is None or centre.disabled:
            return "closed"
        hours = await self._hours.payload(datetime.now(UTC), centre=centre_id)
        if not hours["accepting"]:
            return "closed"
        if await self._router.on_duty_in(centre_id) == 0:
            return "nobody_on_duty"
        return None

    async def _threshold(self, centre_id: str) -> int:
        centre = await self._centres.get(centre_id)
        return overflow_wait_s(centre) if centre is not None else DEFAULT_OVERFLOW_WAIT_S

    async def reason(self, centre_id: str, audience: str = "self") -> OverflowReason | None:
        """Why ``centre_id`` cannot take one more visitor of ``audience`` soon (at the
        end of its queue, with services/queue.py's estimate), or None when it can."""
        base = await self.centre_reason(centre_id)
        if base is not None:
            return base
        estimate = await self._queue.estimate_new(centre_id, audience)
        if estimate is None:
            return "nobody_on_duty"  # nobody on duty there takes this audience
        return "long_wait" if estimate > await self._threshold(centre_id) else None

    async def conv_reason(self, conv: Conversation) -> OverflowReason | None:
        """Why a waiting visitor's centre cannot take them soon: the centre's reason, or
        the whole expected wait (what they waited plus their estimate, as the visitor's
        ``queue`` event counts it) past the centre's threshold; else None."""
        base = await self.centre_reason(conv.centre)
        if base is not None:
            return base
        return self._by_estimate(conv, await self._queue.estimate_of(conv), await self._threshold(conv.centre))

    @staticmethod
    def _by_estimate(conv: Conversation, estimate: int | None, threshold: int) -> OverflowReason | None:
        if estimate is None:
            return "nobody_on_duty" if conv.visitor_connected else None
        waited_s = max(0, now_ms() - conv.waiting_since) / 1000
        return "long_wait" if waited_s + estimate > threshold else None

    async def alternatives(self, home_id: str, audience: str) -> list[Centre]:
        """The centres of ``home_id``'s overflow order that can take a visitor of
        ``audience`` now, in that order (at most :data:`MAX_CHOICES`)."""
        home = await self._centres.get(home_id)
        out: list[Centre] = []
        for centre_id in overflow_order(home) if home is not None else ():
            other = await self._centres.get(centre_id)
            if other is None or (other.audience == "professional" and audience != "professional"):
                continue
            if await self.reason(centre_id, audience) is None:
                out.append(other)
                if len(out) == MAX_CHOICES:
                    break
        return out

    async def choice(self, home_id: str, audience: str, locale: str) -> list[OverflowChoice]:
        """:meth:`alternatives` as the visitor is shown them, names in ``locale``."""
        return [{"id": c.id, "name": c.name(locale)} for c in await self.alternatives(home_id, audience)]

    async def offer_for(self, conv: Conversation, reason: OverflowReason | None | bool = True) -> OverflowOffer:
        """What a waiting visitor is offered now (``centres`` empty: nothing);
        ``reason`` when the caller knows it already (True: work it out)."""
        if conv.state != "waiting" or conv.home_centre is not None:
            return {"reason": None, "centres": []}
        why = await self.conv_reason(conv) if reason is True else reason
        if why is None or why is False:
            return {"reason": None, "centres": []}
        return {"reason": why, "centres": await self.choice(conv.centre, conv.audience, conv.locale)}

    # --- telling waiting visitors -------------------------------------------------------
    async def do_offer(self, conv: Conversation, reason: OverflowReason | None | bool = True) -> bool:
        """Send ``overflow`` to a waiting visitor when what they are offered changed
        (remembered on the conversation, so every process sends it once). True if sent."""
        offer = await self.offer_for(conv, reason)
        ids = tuple(c["id"] for c in offer["centres"])

        def remember(c: Conversation) -> Conversation | None:
            if c.state != "waiting" or c.overflow_offered == ids:
                return None
            return replace(c, overflow_offered=ids)

        if await self._repo.change(conv.id, remember) is None:
            return False
        await self._notify.send(conv, "visitor", "overflow", offer)
        return True

    async def sweep(self) -> int:
        """Offer (or withdraw) overflow to every waiting visitor whose choice changed;
        run every few seconds on every process (opening hours and duty change with
        time). Per centre: one check of its hours and duty, and (when those hold) one
        computation of its visitors' estimates. Returns how many were told here."""
        told = 0
        for centre_id in await self._repo.queue_centres():
            waiting = [c for c in await self._repo.waiting(centre=centre_id) if c.home_centre is None]
            if not waiting:
                continue
            base = await self.centre_reason(centre_id)
            estimates: dict[str, int | None] = {}
            if base is None:
                places = await self._queue.positions(waiting, centre_id)
                estimates = {cid: p["wait_estimate_s"] for cid, p in places.items()}
            threshold = await self._threshold(centre_id)
            for conv in waiting:
                if not conv.visitor_connected:
                    continue  # told when they are back (the start or resume announcement)
                why = base or self._by_estimate(conv, estimates.get(conv.id), threshold)
                if why is not None or conv.overflow_offered:
                    told += await self.do_offer(conv, why)
        return told

    # --- the visitor's choice -----------------------------------------------------------
    async def check_target(self, home_id: str, audience: str, target: str) -> Centre:
        """``target`` if it is among ``home_id``'s alternatives now; ``conflict`` (with a
        message asking to choose again) otherwise."""
        for centre in await self.alternatives(home_id, audience):
            if centre.id == target:
                return centre
        raise ServiceError("conflict", MSG_OVERFLOW_GONE)

    async def do_accept(self, sess: VisitorSession, target: str) -> Brief:
        """The visitor chose ``target``: their waiting conversation moves to its queue
        (see the module). Idempotent: choosing the centre it is already in answers with
        the conversation as it is. ``no_conversation`` without a live one,
        ``conflict`` when it is no longer waiting or ``target`` cannot take it now."""
        stored = await self._repo.stored_session(sess) or sess
        conv = await self._repo.get_live(stored.conversation_id)
        if conv is None:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        if conv.centre == target and conv.home_centre is not None:
            return await self._queue.brief(conv)  # done already (a repeated answer)
        if conv.state != "waiting" or conv.home_centre is not None:
            raise ServiceError("conflict", MSG_CONFLICT)
        await self.check_target(conv.centre, conv.audience, target)
        home = conv.centre

        def move(c: Conversation) -> Conversation:
            if c.centre == target and c.home_centre == home:
                raise _Already
            if c.state != "waiting" or c.home_centre is not None or c.centre != home:
                raise ServiceError("conflict", MSG_CONFLICT)
            return replace(c, centre=target, home_centre=home, offer=None, passed=(), overflow_offered=())

        try:
            changed = await self._repo.change(conv.id, move)
        except _Already:
            moved = await self._repo.get_live(conv.id)
            return await self._queue.brief(moved or conv)
        if changed is None:
            raise ServiceError("conflict", MSG_CONFLICT)
        before, after = changed.before, changed.after
        await self._repo.dequeue(before)
        await self._repo.enqueue(after)
        await self._after_move(before, after)
        return await self._queue.brief(after)

    async def _after_move(self, before: Conversation, after: Conversation) -> None:
        """Counters at both ends, the offer withdrawn from the old centre's operator,
        both queues announced."""
        ts = now_ms()
        assert after.home_centre is not None
        await self._stats.record_best_effort(ts, {"overflow:out": 1}, after.home_centre)
        await self._stats.record_best_effort(ts, {"overflow:in": 1}, after.centre)
        if before.offer is not None:
            await self._notify.to_staff(
                before.offer.staff_id, "offer_withdrawn", {"conversation_id": after.id, "reason": "taken"}
            )
        await self._notify.send(after, "visitor", "overflow", {"reason": None, "centres": []})
        log.info("conversation moved to another centre's queue (overflow)")
        await self._queue.announce(before.centre)
        await self._queue.announce(after.centre)

    async def options(self, home_id: str, audience: str, locale: str) -> OverflowOffer:
        """For a visitor about to start in ``home_id`` (the ``overflow_options`` event):
        why it would overflow and the centres they may choose instead (both empty when
        it would not). ``not_found`` for an unknown centre."""
        await self._centres.check_centre(home_id)
        reason = await self.reason(home_id, audience)
        if reason is None:
            return {"reason": None, "centres": []}
        return {"reason": reason, "centres": await self.choice(home_id, audience, locale)}

    async def check_start(self, request: StartRequest, target: str | None) -> StartRequest:
        """A ``start`` with ``overflow_to``: the request to start in ``target`` with
        the widget's centre as home, when ``target`` may take it now (``conflict``
        otherwise); without one, the request as it is."""
        if target is None or target == request.centre:
            return request
        await self.check_target(request.centre, request.audience, target)
        return replace(request, centre=target, home_centre=request.centre)


class _Already(Exception):
    """Raised inside the compare-and-set: another request moved it there already."""
