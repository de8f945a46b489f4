"""Visitor events for anonymous follow-up codes. Mixed into ``VisitorNamespace``.

* ``followup_request`` ``{}``: the visitor asks for a code; their operator is told.
* ``followup`` ``{"code": "7KQ2-M9XD-4RTA-HV3C"}``: a returning visitor (after
  ``start``) enters a code; the earlier summary becomes a staff-only note in the chat.

Wrong codes are limited per connection and per address key (HMAC of the address under
a daily in-memory key), and each costs the same as a right one would not: a lookup by
HMAC finds nothing, so no key derivation is even attempted.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from ..security.ratelimit import TokenBuckets
from ..services.conversations import Conversations, VisitorSession, now_ms
from ..services.errors import MSG_NO_CONVERSATION, MSG_RATE_LIMITED, N_, ServiceError
from ..services.followup import FollowUps
from . import validation as v

FOLLOWUP = {"code": v.F("str", required=True, max_len=40)}
MSG_WRONG_CODE = N_("That code is not valid. Check it and try again.")
FAILURES_PER_ADDRESS = 10
FAILURE_WINDOW_S = 3600
SUMMARY_NOTE = "followup_summary"


class VisitorFollowupMixin:
    conversations: Conversations
    followups: FollowUps | None = None
    _addr: dict[str, str]
    rate_limits_enabled: bool

    def session_of(self, sid: str) -> VisitorSession:  # provided by VisitorNamespace
        raise NotImplementedError

    @property
    def _code_attempts(self) -> TokenBuckets:
        # Per connection: 5 tries, then one every two minutes.
        if not hasattr(self, "_followup_buckets"):
            self._followup_buckets = TokenBuckets(rate=1 / 120, burst=5)
        return self._followup_buckets

    async def on_followup_request(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        conv = await self.conversations.get_live(self.session_of(sid).conversation_id)
        if conv is None:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        # Repeated taps tell the operator once per half minute, not once per tap.
        if await self.conversations.eph.incr("followup_req:" + conv["id"], 30) > 1:
            return {"ok": True}
        for staff_id in self.conversations.staff_participants(conv):
            await self.conversations.events.to_staff(staff_id, "followup_requested", {"conversation_id": conv["id"]})
        return {"ok": True}

    async def on_followup(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, FOLLOWUP)
        sess = self.session_of(sid)
        conv = await self.conversations.get_live(sess.conversation_id)
        if conv is None:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        address = "followup_fail:" + self._addr.get(sid, "")
        eph = self.conversations.eph
        if self.rate_limits_enabled and not self._code_attempts.take(sid):
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)
        # Counted as a failure before the lookup and taken back on success, so guesses
        # sent at once over many connections cannot all pass before any is counted.
        failures = await eph.incr(address, FAILURE_WINDOW_S)
        if self.rate_limits_enabled and failures > FAILURES_PER_ADDRESS:
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)
        assert self.followups is not None
        found = await self.followups.open(params["code"])
        if found is None:
            raise ServiceError("not_found", MSG_WRONG_CODE)
        await eph.incr(address, FAILURE_WINDOW_S, -1)
        await self._attach_summary(conv, found)
        return {"ok": True}

    async def _attach_summary(self, conv: dict[str, Any], found: dict[str, Any]) -> None:
        """The summary as a staff-only note: encrypted under this conversation's key and
        destroyed with it (messages are deleted when the chat ends)."""
        c = self.conversations
        cipher = await c._cipher(conv["id"])
        day = datetime.fromtimestamp(found["created_at"] / 1000, UTC).date().isoformat()
        message_id = "m" + secrets.token_urlsafe(9)
        record: dict[str, Any] = {
            "id": message_id,
            "client_id": None,
            "from": "system",
            "staff_id": None,
            "code": SUMMARY_NOTE,
            "internal": True,
            "enc": cipher.encrypt(json.dumps({"summary": found["summary"], "date": day})),
            "ts": now_ms(),
        }
        stored, _ = await c.eph.append_message(conv["id"], "system:" + message_id, record, c._ttl)
        updated = await c.eph.update("conv", conv["id"], {"followup_redeemed": True}) or conv
        await c._deliver(updated, stored, cipher)
        await c._notify_staff_summary(updated)
        await c.events.to_queue_watchers("queue", await c.queue_snapshot())
