"""The audit log of staff actions: who did what, and when.

It never records conversation content, and what it keeps about conversations is
coarse, because the durable store outlives every conversation: with a school's router
log, "operator 3 accepted conversation X at 14:02:31.512 and ended it at 14:31:07.090"
on a quiet day singles out a pupil. So this service decides from the action:

* actions on a conversation (``CONVERSATION_ACTIONS``: accept, transfer, end, block,
  observe, invite, referral, follow-up code, a triage saved or skipped after the end)
  are stored without the conversation's id, at the start of their hour, and with only
  the details that are about staff (who a chat went to; whether a colleague joined;
  what a supervisor overrode to take a chat: ``override`` ``duty`` or ``audience``).
  The log still answers "who blocked, who observed silently, how many chats did this
  account accept that afternoon";
* everything else (logins, account changes, settings) keeps its exact time and target:
  those are about staff accounts, and an investigation of a misused account needs them.

Each entry names the centres it concerns (issue 19): those the caller gives (a
centre's settings, a conversation's centre), else the actor's centres (a login shows in
the log of every centre the person works in), else none (installation-wide). A centre's
admin reads the entries of their centre; a national admin reads them all.

Rows are deleted after ``CHAT_AUDIT_RETENTION_DAYS`` (services/retention.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..storage.base import Durable
from .centre_domain import memberships

HOUR_MS = 3600 * 1000

#: Actions about one conversation: no id, time rounded down to the hour.
CONVERSATION_ACTIONS = frozenset(
    {"accept", "transfer", "end", "block", "observe", "invite", "referral", "followup_create", "triage", "triage_skip"}
)
#: The details of a conversation action that are kept (they name staff, not the chat).
CONVERSATION_DETAILS = frozenset({"to", "joined", "override"})

ACTIONS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "duty_on",
        "duty_off",
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
        "centre_create",
        "centre_update",
        "centre_membership",
        *CONVERSATION_ACTIONS,
    }
)


def audit_entry(
    actor: str | None,
    action: str,
    target: str | None,
    details: dict[str, Any],
    now_ms: int,
    centres: Sequence[str] = (),
) -> dict[str, Any]:
    """The row stored for one action (see the module's rules); ``centres``: the ids of
    the centres it concerns.

    ``now_ms``: milliseconds since the epoch. Raises ValueError for an unknown action.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action}")
    tagged = sorted(set(centres))
    if action in CONVERSATION_ACTIONS:
        kept = {k: v for k, v in details.items() if k in CONVERSATION_DETAILS}
        return {
            "ts": now_ms - now_ms % HOUR_MS,
            "actor": actor,
            "action": action,
            "target": None,
            "details": kept,
            "centres": tagged,
        }
    return {"ts": now_ms, "actor": actor, "action": action, "target": target, "details": details, "centres": tagged}


class Audit:
    def __init__(self, durable: Durable, clock: Any = time.time) -> None:
        self._durable = durable
        self._clock = clock

    async def record(
        self,
        actor: str | None,
        action: str,
        target: str | None = None,
        *,
        centres: Sequence[str] | None = None,
        **details: Any,
    ) -> None:
        """Store one staff action. ``target`` is the object acted on (a staff id, a
        conversation id, …); for conversation actions it is dropped here, so callers
        need not know the rule. ``centres``: the centres it concerns (None: the actor's
        centres, read from their account). Raises ValueError for an unknown action."""
        if centres is None:
            account = await self._durable.get_staff(actor) if actor else None
            centres = sorted(memberships(account)) if account else []
        entry = audit_entry(actor, action, target, details, int(self._clock() * 1000), centres)
        await self._durable.add_audit(entry)

    async def recent(
        self, limit: int = 100, before_ts: int | None = None, centre: str | None = None
    ) -> list[dict[str, Any]]:
        """Newest first: of ``centre``, or every entry (None: the national view)."""
        return await self._durable.list_audit(limit, before_ts, centre)
