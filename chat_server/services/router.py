"""The router: applies :func:`~chat_server.services.routing.plan` to the live store.

It makes and withdraws offers (``auto`` mode): only to operators on duty, present and
with a free place, and only for visitors whose connection is live. It says what an
``accept`` must respect (:class:`AcceptRule`; the maximum itself is a place taken
atomically, services/repository.py ``take_place``). It watches operators' console
sockets: an operator whose sockets are all gone has their pending offers passed on at
once and, after ``operator_grace_s``, is taken off duty (their chats go back to the
queue: services/sweeper.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ..config import Settings
from .centre_domain import memberships
from .domain import Conversation, Offer, Role, Staff, now_ms
from .errors import MSG_CONFLICT, MSG_NOT_FOUND, N_, ServiceError
from .payloads import queue_snapshot, summary
from .recipients import Notify
from .repository import Repository
from .roles import SUPERVISORS
from .routing import (
    AUDIENCES,
    MODES,
    Assignment,
    OperatorState,
    RoutingPolicy,
    WaitingChat,
    operator_audience,
    plan,
    waiting_chat,
)
from .staff import AccountLookup

log = logging.getLogger(__name__)

#: Why an offer was withdrawn (``offer_withdrawn``; ``taken`` is sent by an accept).
WithdrawReason = Literal["timeout", "declined", "operator_away", "at_maximum"]
MSG_OFF_DUTY = N_("Go on duty to take a chat.")
MSG_NOT_PROFESSIONAL = N_("This chat is a consultation for a professional, and your account does not take those.")
MSG_NOT_INDIVIDUAL = N_(
    "This chat is support for a visitor, and your account takes only consultations for professionals."
)
SKILLS_CACHE_S = 10.0


@dataclass(frozen=True)
class Skills:
    """From the staff account: languages, audiences, chats at once, the centres they
    work in."""

    languages: frozenset[str]
    audiences: frozenset[str]
    max_chats: int
    centres: frozenset[str] = frozenset({"default"})


@dataclass(frozen=True)
class AcceptRule:
    """What an ``accept`` by one staff member must respect, read before the change.

    Everyone must belong to the chat's centre (``not_found`` otherwise: another
    centre's chat is not told to exist). Operators must be on duty and take the chat's
    audience (``individual`` or ``professional``, services/routing.py); supervisors and
    admins of the chat's centre may take any of its chats on purpose (:meth:`override`
    names what they overrode, for the audit log). The maximum (``max_chats``) is
    enforced with a place (services/repository.py): it counts chats they have, never
    offers."""

    staff_id: str
    roles: Mapping[str, Role]  # their role in each centre they belong to
    on_duty: bool
    languages: frozenset[str]
    audiences: frozenset[str]
    max_chats: int

    def override(self, conv: Conversation) -> str | None:
        """``duty`` or ``audience`` when a supervisor takes ``conv`` despite it, else None."""
        if not self.on_duty:
            return "duty"
        if operator_audience(conv.audience) not in self.audiences:
            return "audience"
        return None

    def check(self, conv: Conversation) -> None:
        """Raise ``not_found`` when ``conv`` is of a centre they do not belong to,
        ``forbidden`` when they may not take it."""
        role = self.roles.get(conv.centre)
        if role is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        missing = self.override(conv)
        if missing is None or role in SUPERVISORS:
            return
        if missing == "duty":
            raise ServiceError("forbidden", MSG_OFF_DUTY)
        audience = operator_audience(conv.audience)
        raise ServiceError("forbidden", MSG_NOT_PROFESSIONAL if audience == "professional" else MSG_NOT_INDIVIDUAL)


@dataclass
class _Cached:
    expires: float
    skills: Skills


@dataclass
class Router:
    repo: Repository
    notify: Notify
    settings: Settings
    account: AccountLookup
    _running: bool = False
    _again: bool = False
    _skills: dict[str, _Cached] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        """``auto`` (offers) or ``pick`` (operators pick from the queue)."""
        return self.settings.routing_mode if self.settings.routing_mode in MODES else "auto"

    def policy(self) -> RoutingPolicy:
        """The routing policy from the settings (language fallback in ms, mode)."""
        return RoutingPolicy(self.settings.language_fallback_s * 1000, self.mode)

    # --- what the router knows about operators -----------------------------------------
    async def skills(self, staff_id: str) -> Skills:
        """The account's skills, cached for :data:`SKILLS_CACHE_S`."""
        cached = self._skills.get(staff_id)
        if cached is None or cached.expires < time.monotonic():
            record = await self.account(staff_id) or {}
            skills = Skills(
                frozenset(record.get("languages") or []),
                frozenset(record.get("audiences") or AUDIENCES),
                int(record.get("max_chats") or self.settings.max_chats_default),
                frozenset(memberships(record)) if record else frozenset(),
            )
            cached = self._skills[staff_id] = _Cached(time.monotonic() + SKILLS_CACHE_S, skills)
        return cached.skills

    def forget_skills(self, staff_id: str | None = None) -> None:
        """Read the account again next time (after a login or a profile change)."""
        if staff_id is None:
            self._skills.clear()
        else:
            self._skills.pop(staff_id, None)

    async def loads(self) -> dict[str, int]:
        """Active chats plus pending offers, per operator (reads every live chat)."""
        counts: dict[str, int] = {}
        for conv in await self.repo.live():
            holder = None
            if conv.state == "active":
                holder = conv.operator_id
            elif conv.state == "waiting" and conv.offer:
                holder = conv.offer.staff_id
            if holder:
                counts[holder] = counts.get(holder, 0) + 1
        return counts

    async def operators(self) -> list[OperatorState]:
        """On-duty operators with a console open, as :func:`plan` sees them."""
        away = {staff_id for staff_id, _ in await self.repo.away()}
        loads = await self.loads()
        ops = []
        for staff_id, since in await self.repo.on_duty():
            if staff_id in away:
                continue
            duty = await self.repo.duty_of(staff_id)
            if duty is None:
                continue
            skills = await self.skills(staff_id)
            languages = frozenset(duty.languages) or skills.languages
            ops.append(
                OperatorState(
                    staff_id,
                    languages,
                    skills.audiences,
                    skills.max_chats,
                    loads.get(staff_id, 0),
                    since,
                    skills.centres,
                )
            )
        return ops

    async def on_duty_in(self, centre: str) -> int:
        """How many staff members of ``centre`` are on duty (for its wait estimate and
        for overflow: a centre with nobody on duty takes nobody). Reads the duty index
        and the cached skills only."""
        count = 0
        for staff_id, _ in await self.repo.on_duty():
            if centre in (await self.skills(staff_id)).centres:
                count += 1
        return count

    async def queue(self) -> list[WaitingChat]:
        """The waiting chats as :func:`plan` sees them, in queue order: only those whose
        visitor is connected (an offer for a visitor who left wastes the operator's
        time; the chat is offered when they are back)."""
        return [waiting_chat(conv) for conv in await self.repo.waiting() if conv.visitor_connected]

    async def languages_of(self, staff_id: str) -> frozenset[str]:
        """The languages ``staff_id`` writes in now: those of their duty, else their
        account's (the rule for ``interpreter_needed``, services/routing.py)."""
        duty = await self.repo.duty_of(staff_id)
        return frozenset(duty.languages) if duty and duty.languages else (await self.skills(staff_id)).languages

    async def accept_rule(self, staff: Staff) -> AcceptRule:
        """Read what :meth:`AcceptRule.check` needs for an ``accept`` by ``staff``."""
        skills = await self.skills(staff.id)
        duty = await self.repo.duty_of(staff.id)
        languages = await self.languages_of(staff.id)
        return AcceptRule(
            staff.id, dict(staff.memberships), duty is not None, languages, skills.audiences, skills.max_chats
        )

    # --- the loop ---------------------------------------------------------------------
    async def kick(self) -> None:
        """Route now. Re-entrant calls (routing itself changes the queue) only ask the
        running pass to go round once more."""
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            for _ in range(10):
                self._again = False
                await self._expire_offers()
                if self.mode == "auto":
                    await self._offer_all()
                if not self._again:
                    break
        finally:
            self._running = False

    async def _offer_all(self) -> None:
        # Cheap checks first: most passes have nobody on duty or nobody waiting.
        if not await self.repo.on_duty():
            return
        for assignment in plan(await self.queue(), await self.operators(), now_ms(), self.policy()):
            await self._offer(assignment)

    async def _offer(self, assignment: Assignment) -> None:
        offer = Offer(
            assignment.operator_id, now_ms() + self.settings.offer_timeout_s * 1000, assignment.interpreter_needed
        )

        def make(conv: Conversation) -> Conversation | None:
            # The plan read the queue a moment ago: decided again on the record itself,
            # so a visitor whose connection went meanwhile is not offered (issue 14).
            if conv.state != "waiting" or conv.offer is not None or not conv.visitor_connected:
                return None  # taken, offered (another node) or the visitor gone meanwhile
            return replace(conv, offer=offer)

        changed = await self.repo.change(assignment.chat_id, make)
        if changed is None:
            return
        log.info("chat offered")
        centre = changed.after.centre
        await self.notify.to_staff(
            offer.staff_id,
            "offer",
            {
                "conversation": summary(changed.after),
                "expires_at": offer.until,
                "interpreter_needed": offer.interpreter,
            },
        )
        waiting = await self.repo.waiting(centre=centre)
        await self.notify.to_queue_watchers(centre, "queue", queue_snapshot(waiting, [centre]))

    async def _expire_offers(self) -> None:
        ts = now_ms()
        for conv in await self.repo.waiting():
            if conv.offer and ts >= conv.offer.until:
                await self.withdraw(conv.id, conv.offer, "timeout")

    async def withdraw(self, conversation_id: str, offer: Offer, reason: WithdrawReason) -> bool:
        """End a pending offer (timed out, declined, operator gone) if it is still the
        one pending: the chat goes on to the next operator. True if withdrawn."""

        def take_back(conv: Conversation) -> Conversation | None:
            if conv.state != "waiting" or conv.offer != offer:
                return None
            return replace(conv, offer=None, passed=tuple(sorted({*conv.passed, offer.staff_id})))

        if await self.repo.change(conversation_id, take_back) is None:
            return False
        await self.notify.to_staff(
            offer.staff_id, "offer_withdrawn", {"conversation_id": conversation_id, "reason": reason}
        )
        self._again = True
        return True

    async def do_decline(self, staff: Staff, conversation_id: str) -> None:
        """Let a chat offered to ``staff`` go to the next operator; ``conflict`` if it
        is not offered to them."""
        conv = await self.repo.get(conversation_id)
        if conv is None or conv.offer is None or conv.offer.staff_id != staff.id:
            raise ServiceError("conflict", MSG_CONFLICT)
        if await self.withdraw(conv.id, conv.offer, "declined"):
            await self.kick()

    async def withdraw_offers_to(self, staff_id: str, reason: WithdrawReason, keep: int = 0) -> int:
        """Withdraw the offers pending for ``staff_id`` but the first ``keep`` in queue
        order (their console closed, their staff session ended, or they have no place
        left for them). Returns how many were withdrawn."""
        mine = [c for c in await self.repo.waiting() if c.offer and c.offer.staff_id == staff_id]
        done = 0
        for conv in mine[keep:]:
            if conv.offer is not None and await self.withdraw(conv.id, conv.offer, reason):
                done += 1
        return done

    async def withdraw_excess_offers(self, staff_id: str, max_chats: int) -> None:
        """After ``staff_id`` took a chat: the offers pending for them beyond their free
        places go on to others (``at_maximum``)."""
        free = max(0, max_chats - len((await self.repo.places_of(staff_id)).chats))
        if await self.withdraw_offers_to(staff_id, "at_maximum", keep=free):
            await self.kick()

    # --- operator presence ------------------------------------------------------------
    async def do_operator_connected(self, staff: Staff, sid: str) -> None:
        """A console socket opened: the operator is present (a fresh login may carry
        new skills). The caller runs :meth:`kick` afterwards, in the background."""
        await self.repo.socket_connected(staff.id, sid)
        self.forget_skills(staff.id)

    async def do_operator_disconnected(self, staff: Staff, sid: str) -> None:
        """A console socket of this process closed (see :meth:`console_gone`)."""
        await self.console_gone(staff.id, sid)

    async def console_gone(self, staff_id: str, sid: str, node: str | None = None) -> None:
        """Console socket ``sid`` (on ``node``, by default this process) is gone; when
        it was their last, pending offers to them go on at once."""
        if not await self.repo.socket_disconnected(staff_id, sid, node):
            return
        await self.withdraw_offers_to(staff_id, "operator_away")
        await self.kick()

    async def take_dropped(self) -> list[str]:
        """Operators gone longer than ``operator_grace_s``: taken off duty here (on one
        process only); the caller puts their chats back in the queue."""
        limit = now_ms() - self.settings.operator_grace_s * 1000
        dropped = []
        for staff_id, since in await self.repo.away():
            if since > limit:
                continue
            if not await self.repo.claim_away(staff_id):
                continue  # another node handles it
            await self.repo.remove_duty(staff_id)
            dropped.append(staff_id)
        return dropped
