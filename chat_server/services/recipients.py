"""Who receives each event of a conversation, decided in one function.

:func:`recipients` maps a conversation and a *scope* to the visitor and the staff who
get an event; :class:`Notify` sends through :class:`~.events.Events` to exactly them.
Every service emits through ``Notify``, so tests/services can assert who received what.

Scopes:

* ``everyone``: the visitor and every staff participant (a message, the end).
* ``staff``: every staff participant: the assigned operator, invited colleagues and
  silent observers (an internal note, the visitor typing, a changed summary, a
  follow-up request).
* ``visitor``: the visitor only (their state, their place in the queue, the
  operator typing, referral cards, a follow-up code).

Events for one staff member (an offer, ``assigned``, ``released``) and queue snapshots
for the queue watchers are not conversation-wide; they go through :meth:`Notify.to_staff`
and :meth:`Notify.to_queue_watchers`. Queue watchers are per centre (issue 19): a
snapshot of one centre's queue goes to that centre's watchers only, as one emit to one
room, so the cost of an event does not grow with the number of centres.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, NamedTuple

from .domain import Conversation
from .events import Events, Payload

Scope = Literal["everyone", "staff", "visitor"]
StaffLocale = Callable[[str], Awaitable[str]]
#: A staff payload that depends on the receiver's locale (system messages are
#: translated for each reader).
Localised = Callable[[str], Payload]


class Recipients(NamedTuple):
    """Whether the visitor receives an event, and which staff members do."""

    visitor: bool
    staff: tuple[str, ...]


def recipients(conv: Conversation, scope: Scope) -> Recipients:
    """The visitor and staff ids that receive an event of ``conv`` in ``scope``."""
    staff = conv.staff_participants() if scope != "visitor" else ()
    return Recipients(visitor=scope != "staff", staff=staff)


class Notify:
    """Sends a service's events to the recipients :func:`recipients` chooses."""

    def __init__(self, events: Events, staff_locale: StaffLocale) -> None:
        self._events = events
        self._staff_locale = staff_locale

    async def send(
        self,
        conv: Conversation,
        scope: Scope,
        event: str,
        payload: Payload,
        staff_payload: Payload | Localised | None = None,
    ) -> Recipients:
        """Send ``event`` to the recipients of ``scope``. The visitor gets ``payload``;
        staff get ``staff_payload`` (a payload, or a function of their locale) or, if
        it is None, ``payload`` too. Returns who was addressed."""
        to = recipients(conv, scope)
        if to.visitor:
            await self._events.to_visitor(conv.id, event, payload)
        for staff_id in to.staff:
            if callable(staff_payload):
                out = staff_payload(await self._staff_locale(staff_id))
            else:
                out = payload if staff_payload is None else staff_payload
            await self._events.to_staff(staff_id, event, out)
        return to

    async def to_visitor(self, conversation_id: str, event: str, payload: Payload) -> None:
        """The visitor of a conversation that may already be gone from the store (its
        final ``state`` and ``ended``)."""
        await self._events.to_visitor(conversation_id, event, payload)

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None:
        """One staff member (all their console tabs): offers, ``assigned``, ``released``, alerts."""
        await self._events.to_staff(staff_id, event, payload)

    async def to_queue_watchers(self, centre: str, event: str, payload: Payload) -> None:
        """Everyone watching ``centre``'s queue: its staff on duty, and its supervisors
        and admins (services/console.py :func:`~.console.watched_centres`)."""
        await self._events.to_queue_watchers(centre, event, payload)

    async def end_staff_socket(self, sid: str, payload: Payload) -> None:
        """Tell one console socket its staff session ended (``session_ended``) and
        disconnect it, on whichever process holds it."""
        await self._events.end_staff_socket(sid, "session_ended", payload)

    async def staff_locale(self, staff_id: str) -> str:
        """A staff member's console locale (for text rendered for them)."""
        return await self._staff_locale(staff_id)
