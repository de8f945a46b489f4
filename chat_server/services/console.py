"""A staff member's console connection: presence, duty, and what ``session`` shows.

A console socket opening makes the operator present for routing; its ``session``
event lists their account, their duty, their assigned chats with history and the
queue. Going on duty makes them a queue watcher (supervisors and admins always are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from .audit import Audit
from .domain import Staff
from .lifecycle import Announce
from .messages import MessageOut, Messages
from .payloads import QueueSnapshot, Summary, summary
from .queue import DutyPayload, Queue
from .repository import Repository
from .roles import SUPERVISORS
from .router import Router
from .staff import PublicStaff

PublicAccount = Callable[[Mapping[str, Any]], PublicStaff]


class AssignedChat(TypedDict):
    conversation: Summary
    messages: list[MessageOut]


class ConsoleSession(TypedDict):
    """The ``session`` event of /operator (docs/protocol.md)."""

    staff: PublicStaff
    duty: DutyPayload
    chats: list[AssignedChat]
    queue: QueueSnapshot


@dataclass(frozen=True)
class DutyChange:
    """``duty`` as acknowledged, whether the socket should watch the queue now, and the
    queue to show it (when it just went on duty)."""

    duty: DutyPayload
    watch_queue: bool
    snapshot: QueueSnapshot | None


class Console:
    def __init__(
        self,
        repo: Repository,
        queue: Queue,
        router: Router,
        messages: Messages,
        audit: Audit,
        public_account: PublicAccount,
    ) -> None:
        self._repo = repo
        self._queue = queue
        self._router = router
        self._messages = messages
        self._audit = audit
        self._public = public_account

    async def do_connected(self, staff: Staff, sid: str) -> tuple[bool, Announce]:
        """Console socket ``sid`` opened: ``staff`` is present. Returns (whether it
        watches the queue, the routing pass to run in the background)."""
        await self._router.do_operator_connected(staff, sid)
        duty = await self._repo.duty_of(staff.id)
        return duty is not None or staff.role in SUPERVISORS, self._router.kick

    async def do_disconnected(self, staff: Staff, sid: str) -> None:
        """Console socket ``sid`` closed (see Router.do_operator_disconnected)."""
        await self._router.do_operator_disconnected(staff, sid)

    async def session(self, staff: Staff, account: Mapping[str, Any]) -> ConsoleSession:
        """The ``session`` event for a console that just connected. The queue is shown
        to those who watch it: operators on duty, supervisors and admins (an operator
        off duty gets an empty one, as they get no queue updates)."""
        duty = await self._repo.duty_of(staff.id)
        languages = list(duty.languages) if duty else list(account.get("languages", []))
        watches = duty is not None or staff.role in SUPERVISORS
        return {
            "staff": self._public(account),
            "duty": {"on": duty is not None, "languages": languages},
            "chats": await self.chats_of(staff),
            "queue": await self._queue.snapshot() if watches else {"items": []},
        }

    async def chats_of(self, staff: Staff) -> list[AssignedChat]:
        """The live chats assigned to ``staff``, each with its history."""
        chats: list[AssignedChat] = []
        for conv in await self._repo.live():
            if conv.is_assigned_to(staff.id):
                history = await self._messages.history_for_staff(conv, staff.locale)
                chats.append({"conversation": summary(conv), "messages": history})
        return chats

    async def do_duty(self, staff: Staff, on: bool, languages: list[str] | None) -> DutyChange:
        """Go on or off duty (audited). On duty the socket watches the queue and is shown
        it at once; off duty only supervisors and admins keep watching."""
        duty = await self._queue.do_set_duty(staff, on, languages)
        await self._audit.record(staff.id, "duty_on" if on else "duty_off", staff.id)
        snapshot = await self._queue.snapshot() if on else None
        return DutyChange(duty, on or staff.role in SUPERVISORS, snapshot)
