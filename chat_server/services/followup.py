"""Anonymous follow-up codes.

At the end of a chat the visitor may ask for a code. The operator writes a short
summary; the server encrypts it under a key derived from the code (argon2id) and keeps
only the ciphertext, found by HMAC(secret, code), for 30 days. The code itself is shown
once to the visitor and never stored, so the server (or anyone with its database and
its secret) cannot read a summary without the code.

A returning visitor enters the code; the summary is attached to the new conversation
as a staff-only note (in the ephemeral store, encrypted under that conversation's key,
destroyed with it), and the next operator sees it.

Code: 16 symbols from Crockford's base32 alphabet (no I, L, O, U; reading is forgiving:
O is read as 0, I and L as 1, case and separators are ignored), shown as four groups of
four, e.g. ``7KQ2-M9XD-4RTA-HV3C``. 16 × log2(32) = 80 bits of entropy: guessing is
hopeless even before rate limits (each wrong code also costs the guesser a token).
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import secrets
import time
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..security.crypto import KeyRing
from ..storage.base import Durable

NAMESPACE = "followup"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
GROUPS, GROUP_LEN = 4, 4
CODE_LEN = GROUPS * GROUP_LEN
CODE_BITS = CODE_LEN * math.log2(len(ALPHABET))  # 80.0
LIFETIME_S = 30 * 24 * 3600
DAY_S = 24 * 3600
MAX_SUMMARY = 1000
# argon2id parameters (OWASP's minimum recommendation: 19 MiB, 2 passes): the code has
# 80 bits already; the KDF is defence in depth, not the main cost for an attacker.
ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1, "hash_len": 32}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    """A fresh code, grouped for reading aloud."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))
    return "-".join(raw[i : i + GROUP_LEN] for i in range(0, CODE_LEN, GROUP_LEN))


def normalise(code: str) -> str | None:
    """The canonical 16 symbols of a typed code, or None if it cannot be one."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    cleaned = "".join(c for c in code.upper() if c not in " -_.\t").translate(_READ_AS)
    if len(cleaned) != CODE_LEN or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def _derive(code: str, salt: bytes) -> bytes:
    return hash_secret_raw(code.encode(), salt, type=Type.ID, **ARGON2)


class FollowUps:
    """Encrypted summaries, keyed by HMAC(secret, code), expiring after 30 days."""

    def __init__(self, durable: Durable, keyring: KeyRing) -> None:
        self._durable = durable
        self._keyring = keyring

    def _lookup(self, canonical: str) -> str:
        return self._keyring.lookup_hash("followup:" + canonical)

    async def store(self, summary: str, now: float | None = None) -> tuple[str, int]:
        """Encrypt ``summary`` under a new code. Returns (code, expires_at ms).

        The expiry is a UTC midnight at least ``LIFETIME_S`` ahead, and the sealed
        ``created_at`` is the UTC day it was issued (ms at midnight)."""
        now = time.time() if now is None else now
        code = new_code()
        canonical = normalise(code)
        assert canonical is not None
        lookup = self._lookup(canonical)
        salt, nonce = os.urandom(16), os.urandom(12)
        # argon2 takes tens of milliseconds: off the event loop.
        key = await asyncio.to_thread(_derive, canonical, salt)
        # Days, not instants: the row outlives the conversation, and an exact expiry is
        # its issue time (with a school's router log, that singles a pupil out). The
        # code lives at least LIFETIME_S, until the end of that UTC day.
        day = int(now) - int(now) % DAY_S
        sealed = AESGCM(key).encrypt(
            nonce,
            json.dumps({"summary": summary, "created_at": day * 1000}).encode(),
            lookup.encode(),
        )
        expires_at = float(day + DAY_S + LIFETIME_S)
        record = {
            "v": 1,
            "salt": base64.b64encode(salt).decode(),
            "box": base64.b64encode(nonce + sealed).decode(),
        }
        await self._durable.put_kv(NAMESPACE, lookup, record, expires_at=expires_at)
        return code, int(expires_at * 1000)

    async def open(self, code: str) -> dict[str, Any] | None:
        """The stored ``{summary, created_at}`` for a code, or None (wrong or expired)."""
        canonical = normalise(code)
        if canonical is None:
            return None
        lookup = self._lookup(canonical)
        record = await self._durable.get_kv(NAMESPACE, lookup)
        if record is None:
            return None
        try:
            box = base64.b64decode(record["box"])
            key = await asyncio.to_thread(_derive, canonical, base64.b64decode(record["salt"]))
            plain = AESGCM(key).decrypt(box[:12], box[12:], lookup.encode())
        except (InvalidTag, KeyError, ValueError):
            return None
        data: dict[str, Any] = json.loads(plain)
        return data
