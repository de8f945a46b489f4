"""Console actions around a live conversation: transfer (to a colleague or back to the
queue), invite a colleague, silent observation by supervisors, blocking an abusive
visitor, the supervisors' overview and the alert for urgent chats that wait too long.

Everything here works on the conversation record in the ephemeral store through the
``Conversations`` service, and emits only through its ``Events``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..config import Settings
from ..storage.base import Durable
from .conversations import LIVE_INDEX, Conversations, Staff, now_ms
from .errors import MSG_CONFLICT, MSG_FORBIDDEN, MSG_NOT_FOUND, N_, ServiceError
from .queue import QUEUE_INDEX, queue_score

log = logging.getLogger(__name__)

SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
MSG_NOT_ON_DUTY = N_("That colleague is not on duty.")
MSG_NO_BLOCK_KEY = N_("This visitor cannot be blocked: their connection is gone. The chat was ended.")

AddressKeyOf = Callable[[dict[str, Any]], Awaitable[str | None]]


class Supervision:
    def __init__(self, conversations: Conversations, durable: Durable, settings: Settings) -> None:
        self.c = conversations
        self.durable = durable
        self.settings = settings

    # payloads -------------------------------------------------------------------------
    def console_summary(self, conv: dict[str, Any]) -> dict[str, Any]:
        """The core summary plus who else is in the chat (staff only)."""
        names = conv.get("staff_names", {})
        return {
            **self.c.summary(conv),
            "invited": [{"id": i, "name": names.get(i, "")} for i in conv.get("invited_ids", [])],
            "observers": [{"id": i, "name": names.get(i, "")} for i in conv.get("observer_ids", [])],
        }

    async def _live(self, conversation_id: str) -> dict[str, Any]:
        conv = await self.c.get_live(conversation_id)
        if conv is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return conv

    async def _colleague(self, staff_id: str) -> dict[str, Any]:
        record = await self.durable.get_staff(staff_id)
        if record is None or record.get("disabled"):
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return record

    def _owns(self, staff: Staff, conv: dict[str, Any]) -> None:
        if conv["state"] != "active":
            raise ServiceError("conflict", MSG_CONFLICT)
        if conv.get("operator_id") != staff.id and staff.role not in SUPERVISING_ROLES:
            raise ServiceError("forbidden", MSG_FORBIDDEN)

    async def _update(self, conv: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        updated = await self.c.eph.update("conv", conv["id"], changes, expect={"state": conv["state"]})
        if updated is None:
            raise ServiceError("conflict", MSG_CONFLICT)
        return updated

    async def _joined(self, staff_id: str, event: str, conv: dict[str, Any], **extra: Any) -> None:
        locale = await self.c._staff_locale(staff_id)
        await self.c.events.to_staff(
            staff_id,
            event,
            {
                "conversation": self.console_summary(conv),
                "messages": await self.c.history_for_staff(conv, locale),
                **extra,
            },
        )

    async def _tell_participants(self, conv: dict[str, Any]) -> None:
        payload = {"conversation": self.console_summary(conv)}
        for staff_id in self.c.staff_participants(conv):
            await self.c.events.to_staff(staff_id, "conversation", payload)

    # transfer -------------------------------------------------------------------------
    async def transfer(self, staff: Staff, conversation_id: str, to: str, note: str | None) -> dict[str, Any]:
        conv = await self._live(conversation_id)
        self._owns(staff, conv)
        previous = conv.get("operator_id")
        if note:
            # The note is a staff-only message: the colleague (or whoever accepts from
            # the queue) reads it in the history; the visitor never does.
            await self.c._post(conv, "operator", staff.id, "note-" + str(now_ms()), note, internal=True)
        if to == "queue":
            # As routing does when an operator drops: no pending offer, and the
            # operator who handed it back is not offered it again first.
            updated = await self._update(
                conv,
                {
                    "state": "waiting",
                    "operator_id": None,
                    "operator_name": None,
                    "offer": None,
                    "passed": [previous] if previous else [],
                },
            )
            await self.c.eph.index_add(QUEUE_INDEX, conv["id"], queue_score(updated, head=True), self.c._ttl)
            await self.c.add_system(updated, "transferred")
            await self.c.events.to_visitor(conv["id"], "state", {"state": "waiting", "operator": None})
            await self.c._broadcast_queue()
            router = getattr(self.c, "router", None)
            if router is not None:
                await router.kick()
        else:
            record = await self._colleague(to)
            if to == previous:
                raise ServiceError("conflict", MSG_CONFLICT)
            if await self.c.duty_of(to) is None:
                raise ServiceError("conflict", MSG_NOT_ON_DUTY)
            names = {**conv.get("staff_names", {}), to: record["name"]}
            updated = await self._update(
                conv,
                {
                    "operator_id": to,
                    "operator_name": record["name"],
                    "invited_ids": [i for i in conv.get("invited_ids", []) if i != to],
                    "observer_ids": [i for i in conv.get("observer_ids", []) if i != to],
                    "staff_names": names,
                },
            )
            await self.c.add_system(updated, "transferred")
            await self.c.events.to_visitor(conv["id"], "state", self.c._state_payload(updated))
            await self.c.add_system(updated, "operator_joined", name=record["name"])
            await self._joined(to, "assigned", updated, transferred_by={"id": staff.id, "name": staff.name})
        if previous:
            await self.c.events.to_staff(previous, "released", {"conversation_id": conv["id"], "reason": "transferred"})
        return self.console_summary(updated)

    # invite, observe, join, leave -----------------------------------------------------
    async def invite(self, staff: Staff, conversation_id: str, to: str) -> dict[str, Any]:
        conv = await self._live(conversation_id)
        self._owns(staff, conv)
        record = await self._colleague(to)
        if to == conv.get("operator_id") or to in conv.get("invited_ids", []):
            raise ServiceError("conflict", MSG_CONFLICT)
        updated = await self._update(
            conv,
            {
                "invited_ids": [*conv.get("invited_ids", []), to],
                "observer_ids": [i for i in conv.get("observer_ids", []) if i != to],
                "staff_names": {**conv.get("staff_names", {}), to: record["name"]},
            },
        )
        # The visitor is told honestly that someone else joined.
        await self.c.add_system(updated, "operator_joined", name=record["name"])
        await self._joined(to, "invited", updated, by={"id": staff.id, "name": staff.name})
        await self._tell_participants(updated)
        return self.console_summary(updated)

    async def observe(self, staff: Staff, conversation_id: str) -> dict[str, Any]:
        if staff.role not in SUPERVISING_ROLES:
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        conv = await self._live(conversation_id)
        if staff.id in self.c.staff_participants(conv):
            raise ServiceError("conflict", MSG_CONFLICT)
        updated = await self._update(
            conv,
            {
                "observer_ids": [*conv.get("observer_ids", []), staff.id],
                "staff_names": {**conv.get("staff_names", {}), staff.id: staff.name},
            },
        )
        await self._tell_participants(updated)
        return {
            "conversation": self.console_summary(updated),
            "messages": await self.c.history_for_staff(updated, staff.locale),
        }

    async def join(self, staff: Staff, conversation_id: str) -> dict[str, Any]:
        """An observing supervisor steps in: from now on they can write."""
        conv = await self._live(conversation_id)
        if staff.id not in conv.get("observer_ids", []) or conv["state"] != "active":
            raise ServiceError("conflict", MSG_CONFLICT)
        updated = await self._update(
            conv,
            {
                "observer_ids": [i for i in conv.get("observer_ids", []) if i != staff.id],
                "invited_ids": [*conv.get("invited_ids", []), staff.id],
            },
        )
        await self.c.add_system(updated, "operator_joined", name=staff.name)
        await self._tell_participants(updated)
        return self.console_summary(updated)

    async def leave(self, staff: Staff, conversation_id: str) -> None:
        """An invited colleague or an observer leaves; the assigned operator stays."""
        conv = await self._live(conversation_id)
        if staff.id not in (*conv.get("invited_ids", []), *conv.get("observer_ids", [])):
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        updated = await self._update(
            conv,
            {
                "invited_ids": [i for i in conv.get("invited_ids", []) if i != staff.id],
                "observer_ids": [i for i in conv.get("observer_ids", []) if i != staff.id],
            },
        )
        await self.c.events.to_staff(staff.id, "released", {"conversation_id": conv["id"], "reason": "left"})
        await self._tell_participants(updated)

    async def invited_chats(self, staff: Staff) -> list[dict[str, Any]]:
        """Chats this staff member was invited into or observes (for a reloaded console)."""
        out = []
        for cid, _ in await self.c.eph.index_members(LIVE_INDEX):
            conv = await self.c.eph.get("conv", cid)
            if (
                conv
                and conv["state"] == "active"
                and staff.id in (*conv.get("invited_ids", []), *conv.get("observer_ids", []))
            ):
                out.append(
                    {
                        "conversation": self.console_summary(conv),
                        "messages": await self.c.history_for_staff(conv, staff.locale),
                        "observing": staff.id in conv.get("observer_ids", []),
                    }
                )
        return out

    # block ----------------------------------------------------------------------------
    async def block(self, staff: Staff, conversation_id: str, address_key_of: AddressKeyOf) -> bool:
        """End the chat with reason ``blocked`` and refuse new chats from the visitor's
        rate-limit key (HMAC of the address under a daily key) for ``block_s``.
        Returns whether a key could be blocked."""
        conv = await self._live(conversation_id)
        self._owns(staff, conv)
        key = conv.get("address_key") or await address_key_of(conv)
        if key:
            await self.c.eph.put("blocked", key, {"at": now_ms()}, self.settings.block_s)
        await self.c.finish(conv, "blocked")
        return bool(key)

    # overview and alerts ----------------------------------------------------------------
    async def overview(self) -> list[dict[str, Any]]:
        """Every live conversation (waiting and active), for supervisors."""
        items = []
        for cid, _ in await self.c.eph.index_members(LIVE_INDEX):
            conv = await self.c.eph.get("conv", cid)
            if conv and conv["state"] != "ended":
                items.append(self.console_summary(conv))
        return items

    async def alert_sweep(self) -> int:
        """Alert supervisors once per urgent chat that waits longer than urgent_alert_s.
        Safe on every node: a counter makes sure only one node sends each alert."""
        limit_ms = self.settings.urgent_alert_s * 1000
        ts = now_ms()
        sent = 0
        supervisors: list[str] | None = None
        for cid in await self.c.queue_ids():
            conv = await self.c.eph.get("conv", cid)
            if not conv or conv["state"] != "waiting" or not conv.get("urgent"):
                continue
            if ts - conv["waiting_since"] < limit_ms:
                continue
            if await self.c.eph.incr("urgent-alert:" + cid, self.c._ttl) != 1:
                continue
            if supervisors is None:
                supervisors = [
                    r["id"]
                    for r in await self.durable.list_staff()
                    if r.get("role") in SUPERVISING_ROLES and not r.get("disabled")
                ]
            payload = {
                "kind": "urgent_waiting",
                "conversation": self.console_summary(conv),
                "waited_s": (ts - conv["waiting_since"]) // 1000,
            }
            for staff_id in supervisors:
                await self.c.events.to_staff(staff_id, "alert", payload)
            sent += 1
        return sent
