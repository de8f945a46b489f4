"""The single way services talk to clients.

Every emit names its recipients explicitly (one visitor's conversation, one staff
member, everyone who watches a centre's queue, or one console socket being closed), so who can
receive what is decided in one place (services/recipients.py) and can be audited there.
The transport implements it with Socket.IO rooms (transport/notifier.py);
tests/services records it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

#: A JSON object sent to clients (shapes: services/payloads.py, docs/protocol.md).
Payload = Mapping[str, Any]


class Events(Protocol):
    async def to_visitor(self, conversation_id: str, event: str, payload: Payload) -> None:
        """Send to the visitor of a conversation (all of its sockets, on any node)."""

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None:
        """Send to one staff member (all of their console tabs, on any node)."""

    async def to_queue_watchers(self, centre: str, event: str, payload: Payload) -> None:
        """Send to those watching ``centre``'s queue (its on-duty staff, supervisors
        and admins): queue snapshots. One room per centre."""

    async def end_staff_socket(self, sid: str, event: str, payload: Payload) -> None:
        """Send ``event`` to one console socket (on whichever process holds it), then
        disconnect it there (a staff session that ended: services/revocation.py)."""


class Translator(Protocol):
    def __call__(self, locale: str, msgid: str, **params: Any) -> str: ...
