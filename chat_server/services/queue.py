"""The queues: their order, the visitors' places and wait estimates (services/waiting.py),
and who is on duty.

Each resource centre has its own queue (issue 19): a conversation waits in the queue of
its ``centre`` (:func:`queue_index`); its place, wait estimate and notice count only
that queue, the centre's staff on duty and its opening hours; a change is announced to
that centre's queue watchers only (services/recipients.py ``Notify.to_queue_watchers``).

Order: urgent ("I am in danger now") first, then visitors under 18, then the longest
waiting. The order is encoded in one sortable score so that every store (memory or a
Redis sorted set shared by all nodes) keeps the same order without extra logic.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from .centre_domain import DEFAULT_CENTRE
from .domain import Conversation, Duty, Staff
from .payloads import Brief, QueuePosition, QueueSnapshot, brief, queue_snapshot
from .routing import WaitingChat, operator_audience, waiting_chat
from .waiting import HandlingTimes, estimates, notice_for

if TYPE_CHECKING:
    from ..config import Settings
    from .hours import Hours
    from .recipients import Notify
    from .repository import Repository
    from .router import Router
    from .routing import OperatorState
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
        # What this process last told each waiting visitor, per centre (:meth:`refresh`
        # sends only changes); forgotten when they leave the queue.
        self._told: dict[str, dict[str, QueuePosition]] = {}

    async def position(self, conv: Conversation | str) -> int | None:
        """1-based place in its centre's queue (see :func:`places`), or None when not
        waiting (a conversation, or its id)."""
        found = await self._repo.get(conv) if isinstance(conv, str) else conv
        if found is None:
            return None
        return places(await self._repo.waiting(centre=found.centre)).get(found.id)

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

    async def _operators(self, centre: str) -> list[OperatorState]:
        """The on-duty, present staff of ``centre`` (the capacity its visitors wait for)."""
        return [op for op in await self._router.operators() if centre in op.centres]

    async def estimate_new(self, centre: str, audience: str) -> int | None:
        """The wait estimate (s) a new visitor of ``audience`` would get at the end of
        ``centre``'s queue now (None: nobody there takes the audience). Overflow asks it
        (services/overflow.py)."""
        chats = [waiting_chat(c) for c in await self._repo.waiting(centre=centre) if c.visitor_connected]
        # One more chat at the end (estimates look at its audience and place only).
        probe = WaitingChat("", "", operator_audience(audience), 0, centre=centre)
        est = estimates([*chats, probe], await self._operators(centre), await self._handling.average_s())
        return est.get("")

    async def positions(self, waiting: list[Conversation], centre: str = DEFAULT_CENTRE) -> dict[str, QueuePosition]:
        """The ``queue`` payload of every waiting visitor of ``centre`` who is connected
        (docs/protocol.md): place, wait estimate (services/waiting.py, from the centre's
        own staff) and notice (its own opening hours)."""
        connected = [c for c in waiting if c.visitor_connected]
        if not connected:
            return {}
        now = self.clock()
        status = (await self._hours.schedule(centre)).status(now)
        next_open = status["next_open_at"]
        est = estimates(
            [waiting_chat(c) for c in connected], await self._operators(centre), await self._handling.average_s()
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

    async def estimate_of(self, conv: Conversation) -> int | None:
        """The wait estimate (s) of a waiting visitor now (None: nobody on duty in
        their centre takes their chat, or they are not connected)."""
        told = (await self.positions(await self._repo.waiting(centre=conv.centre), conv.centre)).get(conv.id)
        return told["wait_estimate_s"] if told is not None else None

    async def position_payload(self, conv: Conversation) -> QueuePosition | None:
        """The ``queue`` event for one waiting, connected visitor (None otherwise), noted
        as told so the sweep does not send it again (a resume sends it to the socket
        itself: services/sessions.py ``resume_events``)."""
        told = (await self.positions(await self._repo.waiting(centre=conv.centre), conv.centre)).get(conv.id)
        if told is not None:
            self._told.setdefault(conv.centre, {})[conv.id] = told
        return told

    async def _tell(self, conv: Conversation, payload: QueuePosition) -> None:
        self._told.setdefault(conv.centre, {})[conv.id] = payload
        await self._notify.send(conv, "visitor", "queue", payload)

    async def announce(self, centre: str | None = None) -> None:
        """After ``centre``'s queue changed (None: every centre's): every waiting
        visitor there their place, the centre's queue watchers its queue, then routing
        runs."""
        for one in [centre] if centre is not None else await self._repo.queue_centres():
            await self._announce(one)
        await self._router.kick()

    async def _announce(self, centre: str) -> None:
        waiting = await self._repo.waiting(centre=centre)
        told = await self.positions(waiting, centre)
        self._forget_left(centre, waiting)
        for conv in waiting:
            if conv.id in told:
                await self._tell(conv, told[conv.id])
        await self._notify.to_queue_watchers(centre, "queue", queue_snapshot(waiting, [centre]))

    async def refresh(self, node: str | None = None) -> int:
        """Recompute every waiting visitor's place and estimate and tell those for
        whom it changed (capacity changed: a chat ended, an operator went on or off
        duty, an offer passed; time passed: the limit, the closing time). ``node``:
        only the visitors connected to that process (the sweep runs on every process
        and each tells its own). Returns how many were told."""
        done = 0
        for centre in await self._repo.queue_centres():
            waiting = await self._repo.waiting(centre=centre)
            told = await self.positions(waiting, centre)
            self._forget_left(centre, waiting)
            mine = self._told.get(centre, {})
            for conv in waiting:
                payload = told.get(conv.id)
                if payload is None or (node is not None and conv.visitor_node != node):
                    continue
                if mine.get(conv.id) != payload:
                    await self._tell(conv, payload)
                    done += 1
        return done

    async def handled(self, seconds: float) -> None:
        """An answered chat held its operator's place ``seconds``: into the rolling
        average of handling times (services/waiting.py)."""
        await self._handling.add(seconds)

    def _forget_left(self, centre: str, waiting: list[Conversation]) -> None:
        told = self._told.get(centre, {})
        ids = {c.id for c in waiting}
        for cid in [c for c in told if c not in ids]:
            del told[cid]

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
