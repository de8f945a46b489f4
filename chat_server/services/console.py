"""A staff member's console connection: presence, duty, and what ``session`` shows.

A console socket opening makes the operator present for routing; its ``session``
event lists their account, their duty, their assigned chats with history and the
queues they watch. Each centre has its own queue (issue 19): a console watches the
queue of every centre where its person is a supervisor or an admin, and, while they
are on duty, of every centre they belong to (:func:`watched_centres`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from .audit import Audit
from .canned import Canned
from .centre_domain import primary_centre
from .centres import check_staff_in_centre
from .domain import Duty, Staff
from .errors import MSG_NOT_FOUND, ServiceError
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


def watched_centres(staff: Staff, duty: Duty | DutyPayload | None) -> tuple[str, ...]:
    """The centres whose queue a console of ``staff`` watches: all of theirs while on
    duty, else those where they are a supervisor or an admin. Sorted."""
    on = duty is not None and (not isinstance(duty, dict) or duty["on"])
    return tuple(sorted(c for c, role in staff.memberships.items() if on or role in SUPERVISORS))


@dataclass(frozen=True)
class DutyChange:
    """``duty`` as acknowledged, the centres whose queue the socket watches now, and the
    queues to show it (when it just went on duty)."""

    duty: DutyPayload
    watch: tuple[str, ...]
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
        canned: Canned,
    ) -> None:
        self._canned = canned
        self._repo = repo
        self._queue = queue
        self._router = router
        self._messages = messages
        self._audit = audit
        self._public = public_account

    async def do_connected(self, staff: Staff, sid: str) -> tuple[tuple[str, ...], Announce]:
        """Console socket ``sid`` opened: ``staff`` is present. Returns (the centres
        whose queue it watches, the routing pass to run in the background)."""
        await self._router.do_operator_connected(staff, sid)
        duty = await self._repo.duty_of(staff.id)
        return watched_centres(staff, duty), self._router.kick

    async def do_disconnected(self, staff: Staff, sid: str) -> None:
        """Console socket ``sid`` closed (see Router.do_operator_disconnected)."""
        await self._router.do_operator_disconnected(staff, sid)

    async def session(self, staff: Staff, account: Mapping[str, Any]) -> ConsoleSession:
        """The ``session`` event for a console that just connected. The queues shown
        are those it watches (:func:`watched_centres`; an operator off duty gets an
        empty one, as they get no queue updates)."""
        duty = await self._repo.duty_of(staff.id)
        languages = list(duty.languages) if duty else list(account.get("languages", []))
        return {
            "staff": self._public(account),
            "duty": {"on": duty is not None, "languages": languages},
            "chats": await self.chats_of(staff),
            "queue": await self._queue.snapshot(watched_centres(staff, duty)),
        }

    async def canned(
        self, staff: Staff, locale: str, conversation_id: str | None, centre: str | None = None
    ) -> tuple[str, list[dict[str, str]]]:
        """(centre, the canned responses for ``locale`` of that centre): the
        conversation's centre, else ``centre``, else the person's primary centre.
        ``not_found`` for a conversation that is gone or of a centre they do not belong
        to; ``forbidden`` for a named centre they do not work in."""
        if conversation_id is not None:
            conv = await self._repo.get_live(conversation_id)
            if conv is None or staff.role_in(conv.centre) is None:
                raise ServiceError("not_found", MSG_NOT_FOUND)
            centre = conv.centre
        elif centre is not None:
            check_staff_in_centre(staff, centre)
        else:
            centre = primary_centre(staff.memberships)
        return centre, await self._canned.for_locale(locale, centre)

    async def chats_of(self, staff: Staff) -> list[AssignedChat]:
        """The live chats assigned to ``staff``, each with its history."""
        chats: list[AssignedChat] = []
        for conv in await self._repo.live():
            if conv.is_assigned_to(staff.id):
                history = await self._messages.history_if_live(conv, staff.locale)
                if history is None:
                    continue  # ended while the console connected
                chats.append({"conversation": summary(conv), "messages": history})
        return chats

    async def do_duty(self, staff: Staff, on: bool, languages: list[str] | None) -> DutyChange:
        """Go on or off duty (audited). On duty the socket watches the queues of all
        their centres and is shown them at once; off duty it keeps watching those of
        the centres they supervise."""
        duty = await self._queue.do_set_duty(staff, on, languages)
        await self._audit.record(staff.id, "duty_on" if on else "duty_off", staff.id)
        watch = watched_centres(staff, duty)
        return DutyChange(duty, watch, await self._queue.snapshot(watch) if on else None)
