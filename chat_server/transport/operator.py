"""The ``/operator`` namespace: staff in the console, authenticated by the session
cookie sent with the handshake. Refused without a valid session."""

from __future__ import annotations

import logging
from http.cookies import CookieError, SimpleCookie
from typing import Any

from ..services.audit import Audit
from ..services.conversations import Conversations, Staff
from ..services.errors import MSG_FORBIDDEN, ServiceError
from ..services.staff import StaffService, public_staff
from . import validation as v
from .guarded import GuardedNamespace, connect_locale, ok
from .notifier import OPERATOR_NS, QUEUE_WATCHERS, staff_room
from .operator_console_events import ConsoleEventsMixin
from .operator_referral_events import ReferralEventsMixin

log = logging.getLogger(__name__)

SESSION_COOKIE = "rc_staff"
WATCHING_ROLES = {"supervisor", "admin"}


def cookie_value(header: str | None, name: str) -> str | None:
    if not header:
        return None
    try:
        jar = SimpleCookie()
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class OperatorNamespace(ConsoleEventsMixin, ReferralEventsMixin, GuardedNamespace):
    limits = {"message": (3.0, 20.0), "typing": (5.0, 15.0), "accept": (2.0, 10.0)}

    def __init__(
        self, conversations: Conversations, staff: StaffService, audit: Audit, translate: Any, origin_ok: Any
    ) -> None:
        super().__init__(OPERATOR_NS, translate)
        self.conversations = conversations
        self.staff_service = staff
        self.audit = audit
        self.origin_ok = origin_ok
        self._staff: dict[str, Staff] = {}
        self._records: dict[str, dict[str, Any]] = {}  # until after_connect

    async def locale_of(self, sid: str) -> str:
        staff = self._staff.get(sid)
        return staff.locale if staff else "sv"

    def staff_of(self, sid: str) -> Staff:
        staff = self._staff.get(sid)
        if staff is None:
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return staff

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if not self.origin_ok(environ.get("HTTP_ORIGIN"), environ.get("aiohttp.request")):
            raise self.refuse_connect(connect_locale(environ), "forbidden")
        found = await self.staff_service.session(cookie_value(environ.get("HTTP_COOKIE"), SESSION_COOKIE))
        if found is None:
            raise self.refuse_connect(connect_locale(environ), "unauthorized")
        record, _csrf = found
        staff = Staff(record["id"], record["name"], record["role"], record.get("locale", "sv"))
        self._staff[sid] = staff
        self._records[sid] = record

    async def after_connect(self, sid: str) -> None:
        """After the CONNECT packet: the staff rooms, presence, then ``session``."""
        staff, record = self._staff.get(sid), self._records.pop(sid, None)
        if staff is None or record is None:  # gone already
            return
        await self.enter_room(sid, staff_room(staff.id))
        await self.operator_socket_connected(staff, sid)  # drop detection (routing)
        duty = await self.conversations.duty_of(staff.id)
        if duty or staff.role in WATCHING_ROLES:
            await self.enter_room(sid, QUEUE_WATCHERS)
        await self.emit(
            "session",
            {
                "staff": public_staff(record),
                "duty": {"on": bool(duty), "languages": (duty or {}).get("languages", record.get("languages", []))},
                "chats": await self.conversations.chats_of(staff),
                "queue": await self.conversations.queue_snapshot(),
            },
            to=sid,
        )

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        staff = self._staff.pop(sid, None)
        self._records.pop(sid, None)
        self.forget(sid)
        if staff is not None:
            await self.operator_socket_disconnected(staff, sid)

    async def on_duty(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.DUTY)
        staff = self.staff_of(sid)
        languages = params.get("languages")
        if languages is None:
            record = await self.staff_service.get(staff.id)
            languages = (record or {}).get("languages", [staff.locale])
        duty = await self.conversations.set_duty(staff, params["on"], languages)
        if params["on"]:
            await self.server.enter_room(sid, QUEUE_WATCHERS, namespace=OPERATOR_NS)
            await self.emit("queue", await self.conversations.queue_snapshot(), to=sid)
        elif staff.role not in WATCHING_ROLES:
            await self.server.leave_room(sid, QUEUE_WATCHERS, namespace=OPERATOR_NS)
        await self.audit.record(staff.id, "duty_on" if params["on"] else "duty_off", staff.id)
        return ok(duty=duty)

    async def on_accept(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = self.staff_of(sid)
        summary = await self.conversations.accept(staff, params["conversation_id"])
        await self.audit.record(staff.id, "accept", params["conversation_id"])
        return ok(conversation=summary)

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.OPERATOR_MESSAGE)
        result = await self.conversations.operator_message(
            self.staff_of(sid), params["conversation_id"], params["client_id"], params["text"]
        )
        return ok(**result)

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.OPERATOR_TYPING)
        await self.conversations.operator_typing(self.staff_of(sid), params["conversation_id"], params["active"])
        return ok()

    async def on_end(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.OPERATOR_END)
        staff = self.staff_of(sid)
        # The triage form only ever becomes aggregate counters (services/triage.py).
        counters, extra = await self.end_triage(staff, params["conversation_id"], params.get("triage"))
        await self.conversations.operator_end(staff, params["conversation_id"], counters)
        await self.audit.record(staff.id, "end", params["conversation_id"])
        return ok(**extra)
