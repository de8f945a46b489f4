"""``python -m chat_server secret rotate --new-key-file F``: replace CHAT_SECRET_KEY.

Run with every server process stopped. Staff TOTP secrets are re-sealed under the new
key (so nobody has to enrol again), every staff session and first-run setup link is
ended. What cannot be carried over, by design: live conversations (their keys are
wrapped under the old key; none should be live when you rotate) and follow-up codes
(found by HMAC(secret, code): without the code itself nobody, including this tool, can
re-key them).
"""

from __future__ import annotations

from typing import Any

from .security.crypto import KeyRing
from .storage.base import Durable

SESSION_NAMESPACES = ("staff_session", "setup")


async def rotate(durable: Durable, old: KeyRing, new: KeyRing) -> dict[str, int]:
    """Re-seal staff secrets under ``new``; end sessions. Returns counts for the report."""
    resealed = 0
    for record in await durable.list_staff():
        sealed = record.get("totp")
        if not sealed:
            continue
        context = "totp:" + record["id"]
        secret = old.open(sealed, context)  # raises if the old key is wrong: nothing changes
        await durable.update_staff(record["id"], {"totp": new.seal(secret, context)})
        resealed += 1
    ended = 0
    for namespace in SESSION_NAMESPACES:
        for key, _value in await durable.list_kv(namespace):
            await durable.delete_kv(namespace, key)
            ended += 1
    followups = len(await durable.list_kv("followup"))
    return {"staff_resealed": resealed, "sessions_ended": ended, "followups_lost": followups}


def verify_old_key(records: list[dict[str, Any]], old: KeyRing) -> bool:
    """True when the old key opens every sealed secret (checked before changing anything)."""
    try:
        for record in records:
            if record.get("totp"):
                old.open(record["totp"], "totp:" + record["id"])
    except Exception:  # noqa: BLE001 - any failure means the wrong key
        return False
    return True
