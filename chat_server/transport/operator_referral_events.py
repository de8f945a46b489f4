"""Operator events for routing, triage, referrals and follow-up codes. Mixed into
``OperatorNamespace`` (see operator.py); :func:`install_rc_features` wires the services
in ``create_app``."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from .. import i18n
from ..services import triage as triage_rules
from ..services.conversations import Conversations, Staff
from ..services.errors import MSG_INVALID, MSG_NOT_FOUND, N_, ServiceError
from ..services.followup import MAX_SUMMARY, FollowUps
from ..services.referrals import Directory, card
from ..services.routing import Router
from . import keys as K
from . import validation as v

log = logging.getLogger(__name__)

ROUTER: web.AppKey[Router] = web.AppKey("router")
REFERRALS: web.AppKey[Directory] = web.AppKey("referrals")
FOLLOWUPS: web.AppKey[FollowUps] = web.AppKey("followups")

MAX_TARGETS = 10
FOLLOWUP_SUMMARY = {
    "conversation_id": v.F("id", required=True),
    "summary": v.F("text", required=True),
}
MSG_SUMMARY_TOO_LONG = N_("The summary is too long (at most 1,000 characters).")
MSG_UNKNOWN_RECEIVER = N_("One of the chosen receivers is not in the directory.")


def install_rc_features(app: web.Application) -> None:
    """Create the router, the referral directory and the follow-up store, and hand them
    to the conversation service and both namespaces."""
    conversations: Conversations = app[K.CONVERSATIONS]
    staff = app[K.STAFF]
    router = app[ROUTER] = Router(conversations, staff.get)
    conversations.router = router
    directory = app[REFERRALS] = Directory(app[K.DURABLE], i18n.SUPPORTED)
    followups = app[FOLLOWUPS] = FollowUps(app[K.DURABLE], app[K.KEYRING])
    for handler in app[K.SIO].namespace_handlers.values():
        if isinstance(handler, ReferralEventsMixin):
            handler.router, handler.directory, handler.followups = router, directory, followups
        elif hasattr(handler, "followups"):
            handler.followups = followups  # the visitor namespace (follow-up codes)


def _targets(value: Any) -> list[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TARGETS:
        raise ServiceError("invalid", MSG_INVALID)
    for item in value:
        if not isinstance(item, str) or not v.OPAQUE_ID.match(item):
            raise ServiceError("invalid", MSG_INVALID)
    return list(dict.fromkeys(value))


class ReferralEventsMixin:
    """Handlers ``on_<event>(self, sid, data)`` for routing, triage, referral and
    follow-up events."""

    conversations: Conversations
    audit: Any
    router: Router | None = None
    directory: Directory | None = None
    followups: FollowUps | None = None

    def staff_of(self, sid: str) -> Staff:  # provided by OperatorNamespace
        raise NotImplementedError

    # presence (called from OperatorNamespace.after_connect / on_disconnect) ---------------
    async def operator_socket_connected(self, staff: Staff, sid: str) -> None:
        if self.router is not None:
            await self.router.operator_connected(staff.id, sid)
            self.router.forget_skills(staff.id)  # a fresh login may carry new skills
            self.server.start_background_task(self.router.kick)  # type: ignore[attr-defined]

    async def operator_socket_disconnected(self, staff: Staff, sid: str) -> None:
        if self.router is not None:
            await self.router.operator_disconnected(staff.id, sid)

    # routing ------------------------------------------------------------------------------
    async def on_decline(self, sid: str, data: Any) -> dict[str, Any]:
        """Let an offered chat go to the next operator."""
        params = v.validate(data, v.CONVERSATION_REF)
        staff = self.staff_of(sid)
        if self.router is None:
            raise ServiceError("conflict", MSG_INVALID)
        await self.router.decline(staff, params["conversation_id"])
        return {"ok": True}

    # triage (called from OperatorNamespace.on_end) ---------------------------------------
    async def end_triage(self, staff: Staff, conversation_id: str, form: Any) -> tuple[dict[str, int], dict[str, Any]]:
        """Validate the end-of-chat triage; returns (counters, extra ack fields)."""
        checked = triage_rules.validate(form, i18n.SUPPORTED) if form else None
        conv = await self.conversations.get_live(conversation_id)
        extra: dict[str, Any] = {}
        if checked and conv is not None:
            age = checked.get("age_band") or conv.get("age_band")
            extra["report_duty"] = triage_rules.report_duty(age, checked["categories"])
        return triage_rules.counters(checked), extra

    async def on_triage_check(self, sid: str, data: Any) -> dict[str, Any]:
        """Validate a triage form without ending the chat (the console's end dialog uses
        it to show the duty-to-report reminder before the chat ends)."""
        params = v.validate(
            data,
            {"conversation_id": v.F("id", required=True), "triage": v.F("dict", required=True)},
        )
        conv = await self.conversations.require_assigned(self.staff_of(sid), params["conversation_id"])
        checked = triage_rules.validate(params["triage"], i18n.SUPPORTED)
        age = checked.get("age_band") or conv.get("age_band")
        return {"ok": True, "report_duty": triage_rules.report_duty(age, checked["categories"])}

    # referrals ---------------------------------------------------------------------------
    async def on_referral(self, sid: str, data: Any) -> dict[str, Any]:
        """Send referral cards to the visitor, in the visitor's language."""
        if not isinstance(data, dict) or set(data) != {"conversation_id", "targets"}:
            raise ServiceError("invalid", MSG_INVALID)
        params = v.validate({"conversation_id": data["conversation_id"]}, v.CONVERSATION_REF)
        targets = _targets(data["targets"])
        staff = self.staff_of(sid)
        conv = await self.conversations.require_assigned(staff, params["conversation_id"])
        assert self.directory is not None
        receivers = []
        for rid in targets:
            receiver = await self.directory.get(rid)
            if receiver is None:
                raise ServiceError("not_found", MSG_UNKNOWN_RECEIVER)
            receivers.append(receiver)
        cards = [card(r, conv["locale"], self.conversations.t) for r in receivers]
        await self.conversations.events.to_visitor(conv["id"], "referral", {"cards": cards})
        # Only the kinds of referral are remembered, on the live record, for the
        # counters written when the chat ends.
        kinds = sorted({*(conv.get("referral_types") or []), *(r["type"] for r in receivers)})
        await self.conversations.eph.update("conv", conv["id"], {"referral_types": kinds})
        await self.audit.record(staff.id, "referral", conv["id"], types=sorted({r["type"] for r in receivers}))
        return {"ok": True, "cards": cards}

    # follow-up codes ---------------------------------------------------------------------
    async def on_followup_summary(self, sid: str, data: Any) -> dict[str, Any]:
        """Store a summary under a new code and show the code once to the visitor."""
        params = v.validate(data, FOLLOWUP_SUMMARY)
        if len(params["summary"]) > MAX_SUMMARY:
            raise ServiceError("too_large", MSG_SUMMARY_TOO_LONG)
        staff = self.staff_of(sid)
        conv = await self.conversations.require_assigned(staff, params["conversation_id"])
        assert self.followups is not None
        code, expires_at = await self.followups.store(params["summary"])
        await self.conversations.eph.update("conv", conv["id"], {"followup_issued": True})
        # The code goes to the visitor's sockets only; it is not kept anywhere.
        await self.conversations.events.to_visitor(
            conv["id"], "followup_code", {"code": code, "expires_at": expires_at}
        )
        await self.audit.record(staff.id, "followup_create", conv["id"])
        return {"ok": True, "expires_at": expires_at}

    async def on_followup_get(self, sid: str, data: Any) -> dict[str, Any]:
        """Whether the chat was opened with a follow-up code (the summary itself is in
        the chat's history as a staff-only note)."""
        params = v.validate(data, v.CONVERSATION_REF)
        conv = await self.conversations.require_assigned(self.staff_of(sid), params["conversation_id"])
        if not conv.get("followup_redeemed"):
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return {"ok": True, "followup": True}
