"""The queue: its order, the visitors' places and wait estimates (services/waiting.py),
and who is on duty.

Order: urgent ("I am in danger now") first, then visitors under 18, then the longest
waiting. The order is encoded in one sortable score so that every store (memory or a
Redis sorted set shared by all nodes) keeps the same order without extra logic.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from .domain import Conversation, Duty, Staff
from .payloads import Brief, QueuePosition, QueueSnapshot, brief, queue_snapshot
from .routing import waiting_chat
from .waiting import HandlingTimes, estimates, notice_for

if TYPE_CHECKING:
    from ..config import Settings
    from .hours import Hours
    from .recipients import Notify
    from .repository import Repository
    from .router import Router
    from .staff import AccountLookup

QUEUE_INDEX = "queue"
UNDER_18_BANDS = frozenset({"13-15", "16-17"})
_BAND = 10**13  # larger than any millisecond timestamp for centuries


def priority_band(conv: Conversation) -> int:
    """0 urgent ("I am in danger now"), 1 under 18, 2 everyone else."""
    if conv.urgent:
        return 0
    if conv.age_band in UNDER_18_BANDS:
        return 1
    return 2


def queue_score(conv: Conversation, head: bool = False) -> float:
    """Sort key; ``head`` puts a chat before everyone of its band (e.g. when its operator
    dropped and it goes back to the queue)."""
    since = 0 if head else int(conv.waiting_since)
    return float(priority_band(conv) * _BAND + since)


def places(waiting: list[Conversation]) -> dict[str, int]:
    """1-based places of the waiting conversations (in queue order): visitors whose
    connection is gone are not counted ahead of anyone (they are not offered to anyone
    until they are back); their own place is where they would be if they came back."""
    out: dict[str, int] = {}
    ahead = 0
    for conv in waiting:
        out[conv.id] = ahead + 1
        if conv.visitor_connected:
            ahead += 1
    return out


class DutyPayload(TypedDict):
    on: bool
    languages: list[str]


class Queue:
    """Places in the queue, wait estimates, announcements of changes, and going on or
    off duty.

    ``clock`` (the current time, aware) is replaceable in tests."""

    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        settings: Settings,
        router: Router,
        account: AccountLookup,
        hours: Hours,
        handling: HandlingTimes,
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._wait_limit_s = settings.wait_limit_s
        self._router = router
        self._account = account
        self._hours = hours
        self._handling = handling
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        # What this process last told each waiting visitor (:meth:`refresh` sends only
        # changes); forgotten when they leave the queue.
        self._told: dict[str, QueuePosition] = {}

    async def position(self, conversation_id: str) -> int | None:
        """1-based place in the queue (see :func:`places`), or None when not waiting."""
        return places(await self._repo.waiting()).get(conversation_id)

    async def brief(self, conv: Conversation) -> Brief:
        """The visitor's view: id, state and (while waiting) the place."""
        return brief(conv, await self.position(conv.id) if conv.state == "waiting" else None)

    async def snapshot(self) -> QueueSnapshot:
        """The queue as operators see it: summaries of the waiting chats, in order."""
        return queue_snapshot(await self._repo.waiting())

    async def positions(self, waiting: list[Conversation]) -> dict[str, QueuePosition]:
        """The ``queue`` payload of every waiting visitor who is connected (docs/
        protocol.md): place, wait estimate (services/waiting.py) and notice."""
        connected = [c for c in waiting if c.visitor_connected]
        if not connected:
            return {}
        now = self.clock()
        status = (await self._hours.schedule()).status(now)
        next_open = status["next_open_at"]
        est = estimates(
            [waiting_chat(c) for c in connected], await self._router.operators(), await self._handling.average_s()
        )
        place = places(waiting)
        now_ms = int(now.timestamp() * 1000)
        out: dict[str, QueuePosition] = {}
        for conv in connected:
            estimate = est.get(conv.id)
            waited_s = max(0, now_ms - conv.waiting_since) / 1000
            out[conv.id] = {
                "position": place[conv.id],
                "wait_estimate_s": estimate,
                "notice": notice_for(estimate, waited_s, self._wait_limit_s, status["open_now"]),
                "wait_limit_s": self._wait_limit_s,
                "next_open_at": int(next_open.timestamp() * 1000) if next_open else None,
            }
        return out

    async def position_payload(self, conv: Conversation) -> QueuePosition | None:
        """The ``queue`` event for one waiting, connected visitor (None otherwise), noted
        as told so the sweep does not send it again (a resume sends it to the socket
        itself: services/sessions.py ``resume_events``)."""
        told = (await self.positions(await self._repo.waiting())).get(conv.id)
        if told is not None:
            self._told[conv.id] = told
        return told

    async def _tell(self, conv: Conversation, payload: QueuePosition) -> None:
        self._told[conv.id] = payload
        await self._notify.send(conv, "visitor", "queue", payload)

    async def announce(self) -> None:
        """After the queue changed: every waiting visitor their place, every queue
        watcher the queue, then routing runs."""
        waiting = await self._repo.waiting(await self._repo.queue_ids())
        told = await self.positions(waiting)
        self._forget_left(waiting)
        for conv in waiting:
            if conv.id in told:
                await self._tell(conv, told[conv.id])
        await self._notify.to_queue_watchers("queue", queue_snapshot(waiting))
        await self._router.kick()

    async def refresh(self, node: str | None = None) -> int:
        """Recompute every waiting visitor's place and estimate and tell those for
        whom it changed (capacity changed: a chat ended, an operator went on or off
        duty, an offer passed; time passed: the limit, the closing time). ``node``:
        only the visitors connected to that process (the sweep runs on every process
        and each tells its own). Returns how many were told."""
        waiting = await self._repo.waiting(await self._repo.queue_ids())
        told = await self.positions(waiting)
        self._forget_left(waiting)
        done = 0
        for conv in waiting:
            payload = told.get(conv.id)
            if payload is None or (node is not None and conv.visitor_node != node):
                continue
            if self._told.get(conv.id) != payload:
                await self._tell(conv, payload)
                done += 1
        return done

    async def handled(self, seconds: float) -> None:
        """An answered chat held its operator's place ``seconds``: into the rolling
        average of handling times (services/waiting.py)."""
        await self._handling.add(seconds)

    def _forget_left(self, waiting: list[Conversation]) -> None:
        ids = {c.id for c in waiting}
        for cid in [c for c in self._told if c not in ids]:
            del self._told[cid]

    # --- duty -------------------------------------------------------------------------
    async def do_set_duty(self, staff: Staff, on: bool, languages: list[str] | None) -> DutyPayload:
        """Go on or off duty. ``languages`` narrows the account's languages for this
        shift (None: the account's). Returns ``{on, languages}``."""
        if languages is None:
            account = await self._account(staff.id)
            languages = list((account or {}).get("languages", [staff.locale]))
        if on:
            await self._repo.put_duty(Duty(staff.id, staff.name, tuple(languages)))
        else:
            await self._repo.remove_duty(staff.id)
        await self.announce()
        return {"on": on, "languages": languages}

    async def duty_of(self, staff_id: str) -> Duty | None:
        """Their duty (languages for the shift), or None when off duty."""
        return await self._repo.duty_of(staff_id)
