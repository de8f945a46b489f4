"""The queue: its order, the visitors' places and wait estimates, and who is on duty.

Order: urgent ("I am in danger now") first, then visitors under 18, then the longest
waiting. The order is encoded in one sortable score so that every store (memory or a
Redis sorted set shared by all nodes) keeps the same order without extra logic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from .domain import Conversation, Duty, Staff
from .payloads import Brief, QueuePosition, QueueSnapshot, brief, queue_snapshot

if TYPE_CHECKING:
    from ..config import Settings
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


def wait_estimate(position: int, on_duty: int, avg_handle_s: int) -> int | None:
    """A deliberately rough estimate (seconds): the chats ahead shared among on-duty
    operators. None when nobody is on duty (we don't promise what we can't estimate).
    """
    if on_duty <= 0:
        return None
    rounds = (position - 1) // on_duty + 1
    estimate = rounds * avg_handle_s // 2 if position > on_duty else 60
    # Round to whole minutes: false precision makes waiting feel worse.
    return max(60, (estimate // 60) * 60)


class DutyPayload(TypedDict):
    on: bool
    languages: list[str]


class Queue:
    """Places in the queue, announcements of changes, and going on or off duty."""

    def __init__(
        self, repo: Repository, notify: Notify, settings: Settings, router: Router, account: AccountLookup
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._avg_handle_s = settings.avg_handle_time_s
        self._router = router
        self._account = account

    async def position(self, conversation_id: str) -> int | None:
        """1-based place in the queue, or None when not waiting."""
        ids = await self._repo.queue_ids()
        return ids.index(conversation_id) + 1 if conversation_id in ids else None

    async def brief(self, conv: Conversation) -> Brief:
        """The visitor's view: id, state and (while waiting) the place."""
        return brief(conv, await self.position(conv.id) if conv.state == "waiting" else None)

    async def snapshot(self) -> QueueSnapshot:
        """The queue as operators see it: summaries of the waiting chats, in order."""
        return queue_snapshot(await self._repo.waiting())

    async def position_payload(self, conv: Conversation) -> QueuePosition | None:
        """The ``queue`` event for one waiting visitor, or None if not in the queue."""
        return self._position(conv, await self._repo.queue_ids(), len(await self._repo.on_duty()))

    def _position(self, conv: Conversation, ids: list[str], on_duty: int) -> QueuePosition | None:
        if conv.id not in ids:
            return None
        position = ids.index(conv.id) + 1
        return {"position": position, "wait_estimate_s": wait_estimate(position, on_duty, self._avg_handle_s)}

    async def _send_position(self, conv: Conversation, ids: list[str], on_duty: int) -> None:
        payload = self._position(conv, ids, on_duty)
        if payload is not None:
            await self._notify.send(conv, "visitor", "queue", payload)

    async def announce(self) -> None:
        """After the queue changed: every waiting visitor their place, every queue
        watcher the queue, then routing runs."""
        ids = await self._repo.queue_ids()
        waiting = await self._repo.waiting(ids)
        on_duty = len(await self._repo.on_duty())
        for conv in waiting:
            await self._send_position(conv, ids, on_duty)
        await self._notify.to_queue_watchers("queue", queue_snapshot(waiting))
        await self._router.kick()

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
