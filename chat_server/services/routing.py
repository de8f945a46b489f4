"""Routing: which on-duty operator gets which waiting chat.

The decision is a pure function (:func:`plan`) over plain snapshots, so its promises
can be checked directly with property-based tests: no operator is given more chats
than their maximum, chats are served in queue order (urgent, under 18, longest
waiting), and a chat past the language fallback is never left waiting while any
operator has room, so no chat starves.

Rules:

* An operator is a candidate for a chat when they are on duty, connected and below
  their ``max_chats`` (active chats plus pending offers).
* Skills: the chat's language among the operator's languages, and the audience
  (``individual`` for visitors asking for themselves or someone else, ``professional``
  for professional consultation) among the operator's audiences.
* Before ``language_fallback_s`` only fully skilled operators are candidates. After it,
  any operator with room is; one who does not speak the language gets the chat flagged
  ``interpreter_needed``. Skilled operators are still preferred.
* In ``auto`` mode the chosen operator gets an *offer*; an offer not accepted within
  ``offer_timeout_s`` (or declined) goes to the next candidate. Operators who let an
  offer pass are skipped for that chat until everyone suitable has passed, then the
  round starts over (so a chat with only one possible operator is offered again).
* In ``pick`` mode operators pick from the queue; only the maximum is enforced.

:class:`Router` applies the plan to the ephemeral store and also watches operators'
connections: an operator whose sockets have all been gone for ``operator_grace_s``
is taken off duty and their chats go back to the head of the queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import MSG_CONFLICT, N_, ServiceError
from .queue import QUEUE_INDEX, queue_score

if TYPE_CHECKING:
    from .conversations import Conversations, Staff

log = logging.getLogger(__name__)

MODES = ("auto", "pick")
AUDIENCES = ("individual", "professional")
AWAY_INDEX = "op_away"
MSG_AT_MAXIMUM = N_("You already have as many chats as you can take.")


def operator_audience(visitor_audience: str | None) -> str:
    """The operator skill a visitor's audience needs."""
    return "professional" if visitor_audience == "professional" else "individual"


def now_ms() -> int:
    return int(time.time() * 1000)


# --- pure decision ---------------------------------------------------------------------
@dataclass(frozen=True)
class OperatorState:
    """One on-duty, connected operator as the router sees them."""

    id: str
    languages: frozenset[str]
    audiences: frozenset[str]
    max_chats: int
    load: int  # active chats + pending offers
    idle_since: int = 0  # ms; the longest idle operator is preferred on ties


@dataclass(frozen=True)
class WaitingChat:
    """One waiting chat, in queue order."""

    id: str
    locale: str
    audience: str  # operator audience: individual | professional
    waiting_since: int  # ms
    offered_to: str | None = None  # current pending offer
    passed: frozenset[str] = frozenset()  # operators who let an offer pass


@dataclass(frozen=True)
class Assignment:
    chat_id: str
    operator_id: str
    interpreter_needed: bool


@dataclass(frozen=True)
class RoutingPolicy:
    language_fallback_ms: int
    mode: str = "auto"


def skilled(op: OperatorState, chat: WaitingChat) -> bool:
    return chat.locale in op.languages and chat.audience in op.audiences


def eligible(op: OperatorState, chat: WaitingChat, now: int, policy: RoutingPolicy) -> bool:
    """May ``op`` be given ``chat`` now (ignoring capacity)?"""
    return skilled(op, chat) or now - chat.waiting_since >= policy.language_fallback_ms


def _rank(op: OperatorState, chat: WaitingChat) -> tuple[int, int, int, int, str]:
    return (
        0 if chat.locale in op.languages else 1,
        0 if chat.audience in op.audiences else 1,
        op.load,
        op.idle_since,
        op.id,
    )


def plan(queue: list[WaitingChat], operators: list[OperatorState], now: int, policy: RoutingPolicy) -> list[Assignment]:
    """New offers to make, greedily in queue order.

    Chats that already have a pending offer keep it (their operator's load already
    counts it). A chat no candidate can take right now is skipped, so it does not block
    later chats that others can serve.
    """
    load = {op.id: op.load for op in operators}
    out: list[Assignment] = []
    for chat in queue:
        if chat.offered_to is not None:
            continue
        candidates = [op for op in operators if load[op.id] < op.max_chats and eligible(op, chat, now, policy)]
        if not candidates:
            continue
        fresh = [op for op in candidates if op.id not in chat.passed]
        # Everyone suitable has let it pass: start a new round rather than starve it.
        pool = fresh or candidates
        best = min(pool, key=lambda op: _rank(op, chat))
        load[best.id] += 1
        out.append(Assignment(chat.id, best.id, chat.locale not in best.languages))
    return out


# --- applying it ------------------------------------------------------------------------
@dataclass
class _SkillCache:
    expires: float
    record: dict[str, Any] | None


@dataclass
class Router:
    """Applies :func:`plan` to the live store and sends offers."""

    conversations: Conversations
    staff_lookup: Callable[[str], Awaitable[dict[str, Any] | None]]
    _running: bool = False
    _again: bool = False
    _skills: dict[str, _SkillCache] = field(default_factory=dict)

    @property
    def settings(self) -> Any:
        return self.conversations.settings

    @property
    def mode(self) -> str:
        return self.settings.routing_mode if self.settings.routing_mode in MODES else "auto"

    def policy(self) -> RoutingPolicy:
        return RoutingPolicy(self.settings.language_fallback_s * 1000, self.mode)

    async def skills(self, staff_id: str) -> tuple[frozenset[str], frozenset[str], int]:
        """(languages, audiences, max_chats) from the account; cached briefly."""
        cached = self._skills.get(staff_id)
        if cached is None or cached.expires < time.monotonic():
            cached = _SkillCache(time.monotonic() + 10, await self.staff_lookup(staff_id))
            self._skills[staff_id] = cached
        record = cached.record or {}
        audiences = record.get("audiences") or list(AUDIENCES)
        max_chats = record.get("max_chats") or self.settings.max_chats_default
        return frozenset(record.get("languages") or []), frozenset(audiences), int(max_chats)

    def forget_skills(self, staff_id: str | None = None) -> None:
        if staff_id is None:
            self._skills.clear()
        else:
            self._skills.pop(staff_id, None)

    async def loads(self) -> dict[str, int]:
        """Active chats plus pending offers, per operator."""
        eph = self.conversations.eph
        counts: dict[str, int] = {}
        for cid, _ in await eph.index_members("live"):
            conv = await eph.get("conv", cid)
            if conv is None:
                continue
            holder = None
            if conv["state"] == "active":
                holder = conv.get("operator_id")
            elif conv["state"] == "waiting" and conv.get("offer"):
                holder = conv["offer"]["staff_id"]
            if holder:
                counts[holder] = counts.get(holder, 0) + 1
        return counts

    async def load_of(self, staff_id: str) -> int:
        return (await self.loads()).get(staff_id, 0)

    async def operators(self) -> list[OperatorState]:
        eph = self.conversations.eph
        away = {m for m, _ in await eph.index_members(AWAY_INDEX)}
        loads = await self.loads()
        ops = []
        for staff_id, since in await eph.index_members("duty"):
            if staff_id in away:
                continue
            duty = await eph.get("duty", staff_id)
            if duty is None:
                continue
            langs, audiences, max_chats = await self.skills(staff_id)
            langs = frozenset(duty.get("languages") or langs)
            ops.append(OperatorState(staff_id, langs, audiences, max_chats, loads.get(staff_id, 0), int(since)))
        return ops

    async def queue(self) -> list[WaitingChat]:
        eph = self.conversations.eph
        chats = []
        for cid, _ in await eph.index_members(QUEUE_INDEX):
            conv = await eph.get("conv", cid)
            if conv is None or conv["state"] != "waiting":
                continue
            offer = conv.get("offer")
            chats.append(
                WaitingChat(
                    cid,
                    conv["locale"],
                    operator_audience(conv.get("audience")),
                    int(conv["waiting_since"]),
                    offer["staff_id"] if offer else None,
                    frozenset(conv.get("passed") or []),
                )
            )
        return chats

    # the loop ---------------------------------------------------------------------------
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
        eph = self.conversations.eph
        # Cheap checks first: most passes have nobody on duty or nobody waiting.
        if not await eph.index_members("duty") or not await eph.index_members(QUEUE_INDEX):
            return
        for assignment in plan(await self.queue(), await self.operators(), now_ms(), self.policy()):
            await self._offer(assignment)

    async def _offer(self, assignment: Assignment) -> None:
        conv = self.conversations
        until = now_ms() + self.settings.offer_timeout_s * 1000
        offer = {
            "staff_id": assignment.operator_id,
            "until": until,
            "interpreter": assignment.interpreter_needed,
        }
        updated = await conv.eph.update(
            "conv", assignment.chat_id, {"offer": offer}, expect={"state": "waiting", "offer": None}
        )
        if updated is None:
            return  # taken or offered meanwhile (another node)
        log.info("chat offered")
        await conv.events.to_staff(
            assignment.operator_id,
            "offer",
            {
                "conversation": conv.summary(updated),
                "expires_at": until,
                "interpreter_needed": assignment.interpreter_needed,
            },
        )
        await conv.events.to_queue_watchers("queue", await conv.queue_snapshot())

    async def _expire_offers(self) -> None:
        ts = now_ms()
        eph = self.conversations.eph
        for cid, _ in await eph.index_members(QUEUE_INDEX):
            conv = await eph.get("conv", cid)
            offer = (conv or {}).get("offer")
            if offer and ts >= offer["until"]:
                await self.withdraw(conv, offer["staff_id"], "timeout")  # type: ignore[arg-type]

    async def withdraw(self, conv: dict[str, Any], staff_id: str, reason: str) -> bool:
        """End a pending offer (timed out, declined, operator gone): it goes on."""
        passed = sorted({*(conv.get("passed") or []), staff_id})
        updated = await self.conversations.eph.update(
            "conv",
            conv["id"],
            {"offer": None, "passed": passed},
            expect={"state": "waiting", "offer": conv.get("offer")},
        )
        if updated is None:
            return False
        await self.conversations.events.to_staff(
            staff_id, "offer_withdrawn", {"conversation_id": conv["id"], "reason": reason}
        )
        self._again = True
        return True

    async def decline(self, staff: Staff, conversation_id: str) -> None:
        conv = await self.conversations.eph.get("conv", conversation_id)
        offer = (conv or {}).get("offer")
        if conv is None or not offer or offer["staff_id"] != staff.id:
            raise ServiceError("conflict", MSG_CONFLICT)
        if await self.withdraw(conv, staff.id, "declined"):
            await self.kick()

    async def accept_changes(self, staff: Staff, conv: dict[str, Any]) -> dict[str, Any]:
        """Check an accept against routing rules; the fields to merge into the record.

        Anyone may take a waiting chat (pick mode, or a coordinator stepping in), as
        long as it keeps them within their maximum; a pending offer to someone else is
        withdrawn from them."""
        offer: dict[str, Any] | None = conv.get("offer")
        mine = offer is not None and offer["staff_id"] == staff.id
        langs, _aud, max_chats = await self.skills(staff.id)
        duty = await self.conversations.eph.get("duty", staff.id)
        if duty and duty.get("languages"):
            langs = frozenset(duty["languages"])
        # Counting needs a read of every live chat; skip it when there are fewer live
        # chats than the maximum (one index read).
        few = len(await self.conversations.eph.index_members("live")) <= max_chats
        load = 0 if few else await self.load_of(staff.id) - (1 if mine else 0)
        if load >= max_chats:
            raise ServiceError("conflict", MSG_AT_MAXIMUM)
        if offer and not mine:
            await self.conversations.events.to_staff(
                offer["staff_id"],
                "offer_withdrawn",
                {"conversation_id": conv["id"], "reason": "taken"},
            )
        return {"offer": None, "passed": [], "interpreter_needed": conv["locale"] not in langs}

    # operator presence ------------------------------------------------------------------
    async def operator_connected(self, staff_id: str, sid: str) -> None:
        eph = self.conversations.eph
        await eph.index_add("opsock:" + staff_id, sid, now_ms(), self.conversations._ttl)
        await eph.index_remove(AWAY_INDEX, staff_id)

    async def operator_disconnected(self, staff_id: str, sid: str) -> None:
        eph = self.conversations.eph
        await eph.index_remove("opsock:" + staff_id, sid)
        if not await eph.index_members("opsock:" + staff_id):
            await eph.index_add(AWAY_INDEX, staff_id, now_ms(), self.conversations._ttl)
            # Pending offers to someone who is not there go on at once.
            for cid, _ in await eph.index_members(QUEUE_INDEX):
                conv = await eph.get("conv", cid)
                if conv and (conv.get("offer") or {}).get("staff_id") == staff_id:
                    await self.withdraw(conv, staff_id, "operator_away")
            await self.kick()

    async def sweep(self) -> int:
        """Operators gone longer than ``operator_grace_s``: off duty, chats requeued."""
        eph = self.conversations.eph
        limit = now_ms() - self.settings.operator_grace_s * 1000
        dropped = 0
        for staff_id, since in await eph.index_members(AWAY_INDEX):
            if since > limit:
                continue
            if not await eph.index_remove(AWAY_INDEX, staff_id):
                continue  # another node handles it
            dropped += 1
            await eph.delete("duty", staff_id)
            await eph.index_remove("duty", staff_id)
            for cid, _ in await eph.index_members("live"):
                conv = await eph.get("conv", cid)
                if conv and conv["state"] == "active" and conv.get("operator_id") == staff_id:
                    await self.requeue(conv)
        await self.kick()
        return dropped

    async def requeue(self, conv: dict[str, Any]) -> None:
        """Put a chat whose operator dropped back at the head of the queue."""
        c = self.conversations
        updated = await c.eph.update(
            "conv",
            conv["id"],
            {
                "state": "waiting",
                "operator_id": None,
                "operator_name": None,
                "offer": None,
                "passed": [conv["operator_id"]],
            },
            expect={"state": "active", "operator_id": conv["operator_id"]},
        )
        if updated is None:
            return
        await c.eph.index_add(QUEUE_INDEX, conv["id"], queue_score(updated, head=True), c._ttl)
        log.info("chat requeued after its operator dropped")
        await c.add_system(updated, "operator_left", name=conv.get("operator_name") or "")
        await c.events.to_visitor(conv["id"], "state", {"state": "waiting", "operator": None})
        await c.events.to_staff(
            conv["operator_id"], "ended", {"conversation_id": conv["id"], "reason": "operator_left"}
        )
        await c._broadcast_queue()
