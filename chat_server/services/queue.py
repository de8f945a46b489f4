"""The queues: their order, the visitors' places and wait estimates, and who is on duty.

Each resource centre has its own queue (issue 19): a conversation waits in the queue of
its ``centre`` (:func:`queue_index`), its place and wait estimate count only that
queue and the staff on duty in that centre, and a change is announced to that centre's
queue watchers only (services/recipients.py ``Notify.to_queue_watchers``).

Order: urgent ("I am in danger now") first, then visitors under 18, then the longest
waiting. The order is encoded in one sortable score so that every store (memory or a
Redis sorted set shared by all nodes) keeps the same order without extra logic.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, TypedDict

from .centre_domain import DEFAULT_CENTRE
from .domain import Conversation, Duty, Staff
from .payloads import Brief, QueuePosition, QueueSnapshot, brief, queue_snapshot

if TYPE_CHECKING:
    from ..config import Settings
    from .recipients import Notify
    from .repository import Repository
    from .router import Router
    from .staff import AccountLookup

#: The stored index of the queue of :data:`DEFAULT_CENTRE` (the one queue of an
#: installation from before centres: kept, so a rolling upgrade strands nothing).
QUEUE_INDEX = "queue"
#: The index of centres that have had a queue (the sweep and the router walk them).
QUEUES_INDEX = "queues"
UNDER_18_BANDS = frozenset({"13-15", "16-17"})
_BAND = 10**13  # larger than any millisecond timestamp for centuries


def queue_index(centre: str) -> str:
    """The stored index of ``centre``'s queue: ``queue`` for the default centre,
    ``queue:<centre>`` for the others."""
    return QUEUE_INDEX if centre == DEFAULT_CENTRE else QUEUE_INDEX + ":" + centre


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

    async def position(self, conv: Conversation) -> int | None:
        """1-based place in its centre's queue, or None when not waiting."""
        ids = await self._repo.queue_ids(conv.centre)
        return ids.index(conv.id) + 1 if conv.id in ids else None

    async def brief(self, conv: Conversation) -> Brief:
        """The visitor's view: id, state and (while waiting) the place."""
        return brief(conv, await self.position(conv) if conv.state == "waiting" else None)

    async def snapshot(self, centres: Collection[str]) -> QueueSnapshot:
        """The queues of ``centres`` as their staff see them (the console's ``session``
        and going on duty): summaries of the waiting chats, each centre's in order."""
        waiting = []
        for centre in sorted(set(centres)):
            waiting.extend(await self._repo.waiting(centre=centre))
        return queue_snapshot(waiting, sorted(set(centres)))

    async def estimate(self, centre: str, position: int) -> int | None:
        """The wait estimate (s) for ``position`` in ``centre``'s queue (None: nobody on
        duty there)."""
        return wait_estimate(position, await self._router.on_duty_in(centre), self._avg_handle_s)

    async def send_position(self, conv: Conversation) -> None:
        """Tell one waiting visitor their place (nothing if not in the queue)."""
        on_duty = await self._router.on_duty_in(conv.centre)
        await self._send_position(conv, await self._repo.queue_ids(conv.centre), on_duty)

    async def _send_position(self, conv: Conversation, ids: list[str], on_duty: int) -> None:
        if conv.id not in ids:
            return
        position = ids.index(conv.id) + 1
        payload: QueuePosition = {
            "position": position,
            "wait_estimate_s": wait_estimate(position, on_duty, self._avg_handle_s),
        }
        await self._notify.send(conv, "visitor", "queue", payload)

    async def announce(self, centre: str | None = None) -> None:
        """After ``centre``'s queue changed (None: every centre's, e.g. a duty change
        of someone in several): every waiting visitor there their place, the centre's
        queue watchers its queue, then routing runs."""
        for one in [centre] if centre is not None else await self._repo.queue_centres():
            await self._announce(one)
        await self._router.kick()

    async def _announce(self, centre: str) -> None:
        ids = await self._repo.queue_ids(centre)
        waiting = await self._repo.waiting(ids)
        on_duty = await self._router.on_duty_in(centre)
        for conv in waiting:
            await self._send_position(conv, ids, on_duty)
        await self._notify.to_queue_watchers(centre, "queue", queue_snapshot(waiting, [centre]))

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
        # Their centres' visitors get new wait estimates, their watchers the duty change.
        for centre in sorted(staff.memberships):
            await self._announce(centre)
        await self._router.kick()
        return {"on": on, "languages": languages}

    async def duty_of(self, staff_id: str) -> Duty | None:
        """Their duty (languages for the shift), or None when off duty."""
        return await self._repo.duty_of(staff_id)
