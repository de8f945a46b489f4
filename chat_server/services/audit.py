"""The audit log of staff actions. It records who did what to which object, never any
conversation content, and never anything about a visitor beyond an opaque id."""

from __future__ import annotations

import time
from typing import Any

from ..storage.base import Durable

ACTIONS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "duty_on",
        "duty_off",
        "accept",
        "transfer",
        "end",
        "block",
        "observe",
        "invite",
        "referral",
        "staff_create",
        "staff_update",
        "staff_disable",
        "staff_enable",
        "password_reset",
        "totp_reset",
        "hours_update",
        "canned_update",
        "referral_directory_update",
        "setup_admin",
        "followup_create",
    }
)


class Audit:
    def __init__(self, durable: Durable) -> None:
        self._durable = durable

    async def record(self, actor: str | None, action: str, target: str | None = None, **details: Any) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action}")
        await self._durable.add_audit(
            {"ts": int(time.time() * 1000), "actor": actor, "action": action, "target": target, "details": details}
        )

    async def recent(self, limit: int = 100, before_ts: int | None = None) -> list[dict[str, Any]]:
        return await self._durable.list_audit(limit, before_ts)
