"""Console events beyond the core contract: transfer, invite, observe, join, leave,
internal notes, block, canned responses, colleagues and the supervisors' overview.
Mixed into ``OperatorNamespace`` (see operator.py); the services are attached by
``admin_http.setup_routes`` (``attach_console``). Payloads: docs/protocol.md,
"Operator namespace: console events"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..services.errors import MSG_FORBIDDEN, MSG_UNAVAILABLE, ServiceError
from . import validation as v
from .guarded import ok

if TYPE_CHECKING:
    from ..services.audit import Audit
    from ..services.canned import Canned
    from ..services.conversations import Conversations, Staff
    from ..services.staff import StaffService
    from ..services.supervision import Supervision

F = v.F
TRANSFER = {
    "conversation_id": F("id", required=True),
    "to": F("id", required=True),
    "note": F("text", nullable=True),
}
INVITE = {"conversation_id": F("id", required=True), "to": F("id", required=True)}
NOTE = {
    "conversation_id": F("id", required=True),
    "client_id": F("client_id", required=True),
    "text": F("text", required=True),
}
CANNED = {"locale": F("locale", nullable=True)}


class ConsoleEventsMixin:
    """Handlers ``on_<event>(self, sid, data)`` for the operator console's own events."""

    # Provided by OperatorNamespace:
    conversations: Conversations
    staff_service: StaffService
    audit: Audit
    staff_of: Callable[[str], Staff]
    # Attached by admin_http.attach_console:
    supervision: Supervision | None = None
    canned: Canned | None = None
    address_key_of: Callable[[dict[str, Any]], Awaitable[str | None]] | None = None

    def _sup(self) -> Supervision:
        if self.supervision is None:
            raise ServiceError("unavailable", MSG_UNAVAILABLE)
        return self.supervision

    async def on_transfer(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, TRANSFER)
        staff = self.staff_of(sid)
        summary = await self._sup().transfer(staff, params["conversation_id"], params["to"], params.get("note"))
        await self.audit.record(
            staff.id,
            "transfer",
            params["conversation_id"],
            to="queue" if params["to"] == "queue" else params["to"],
        )
        return ok(conversation=summary)

    async def on_invite(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, INVITE)
        staff = self.staff_of(sid)
        summary = await self._sup().invite(staff, params["conversation_id"], params["to"])
        await self.audit.record(staff.id, "invite", params["conversation_id"], to=params["to"])
        return ok(conversation=summary)

    async def on_observe(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = self.staff_of(sid)
        result = await self._sup().observe(staff, params["conversation_id"])
        await self.audit.record(staff.id, "observe", params["conversation_id"])
        return ok(**result)

    async def on_join(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = self.staff_of(sid)
        summary = await self._sup().join(staff, params["conversation_id"])
        await self.audit.record(staff.id, "invite", params["conversation_id"], to=staff.id, joined=True)
        return ok(conversation=summary)

    async def on_leave(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        await self._sup().leave(self.staff_of(sid), params["conversation_id"])
        return ok()

    async def on_note(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, NOTE)
        result = await self.conversations.operator_message(
            self.staff_of(sid),
            params["conversation_id"],
            params["client_id"],
            params["text"],
            internal=True,
        )
        return ok(**result)

    async def on_block(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = self.staff_of(sid)

        async def no_key(conv: dict[str, Any]) -> str | None:
            return None

        blocked = await self._sup().block(staff, params["conversation_id"], self.address_key_of or no_key)
        await self.audit.record(staff.id, "block", params["conversation_id"])
        return ok(blocked=blocked)

    async def on_canned(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, CANNED)
        staff = self.staff_of(sid)
        if self.canned is None:
            raise ServiceError("unavailable", MSG_UNAVAILABLE)
        locale = params.get("locale") or staff.locale
        return ok(locale=locale, items=await self.canned.for_locale(locale))

    async def on_colleagues(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        me = self.staff_of(sid)
        items = []
        for record in await self.staff_service.durable.list_staff():
            if record.get("disabled") or record["id"] == me.id:
                continue
            duty = await self.conversations.duty_of(record["id"])
            items.append(
                {
                    "id": record["id"],
                    "name": record["name"],
                    "role": record["role"],
                    "languages": (duty or {}).get("languages") or record.get("languages", []),
                    "on_duty": bool(duty),
                }
            )
        items.sort(key=lambda i: (not i["on_duty"], i["name"].lower()))
        return ok(items=items)

    async def on_overview(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        staff = self.staff_of(sid)
        if staff.role not in ("supervisor", "admin"):
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return ok(items=await self._sup().overview())

    async def on_sync(self, sid: str, data: Any) -> dict[str, Any]:
        """Chats this staff member was invited into or observes (after a reload)."""
        v.validate(data, v.EMPTY)
        return ok(chats=await self._sup().invited_chats(self.staff_of(sid)))
