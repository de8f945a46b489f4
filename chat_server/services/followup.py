"""Anonymous follow-up codes.

At the end of a chat the visitor may ask for a code. The operator writes a short
summary; the server encrypts it under a key derived from the code (argon2id) and keeps
only the ciphertext, found by HMAC(secret, code), for 30 days. The code itself is never
in the durable store, so the server (or anyone with its database and its secret)
cannot read a summary without the code. The visitor is shown the code, and it is a
record of the conversation's history (in the ephemeral store, encrypted under the
conversation's key, destroyed with the conversation), so a visitor whose connection
drops at that moment still gets it when they resume; staff never see it.

A returning visitor enters the code; the summary is attached to the new conversation
as a staff-only note (in the ephemeral store, encrypted under that conversation's key,
destroyed with it), and the next operator sees it. A code works once: redeeming it
takes the sealed summary out of the durable store atomically (``take_kv``), so a code
written down and found later by someone else opens nothing, and two redeems at once
cannot both succeed. The new chat can issue a fresh code if the visitor wants one. A
code shows only that someone holds it, never who they are: the note says so to the
counsellor. The visitor can cancel a code (``followup_revoke``), and with it the
summary, at any time.

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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypedDict

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..security.crypto import KeyRing
from ..storage.base import Durable
from .audit import Audit
from .domain import Conversation, Staff, VisitorSession
from .errors import MSG_NO_CONVERSATION, MSG_NOT_FOUND, MSG_RATE_LIMITED, N_, ServiceError
from .messages import Messages, require_assigned
from .payloads import queue_snapshot, summary
from .recipients import Notify
from .repository import Repository

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
# Wrong codes per address key (HMAC of the address under the daily key) and window.
FAILURES_PER_ADDRESS = 10
FAILURE_WINDOW_S = 3600
REQUEST_EVERY_S = 30  # repeated requests tell the operator once per this many seconds
MSG_WRONG_CODE = N_("That code is not valid. Check it and try again.")
MSG_SUMMARY_TOO_LONG = N_("The summary is too long (at most 1,000 characters).")
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


class Sealed(TypedDict):
    """What a code opens: the summary and when it was written (ms)."""

    summary: str
    created_at: int


@dataclass(frozen=True)
class Taken:
    """A record taken out of the store by a redeem (to put back if it cannot be used)."""

    lookup: str
    record: dict[str, Any]


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
            "exp": expires_at,  # a UTC midnight: to put a taken record back (take)
        }
        await self._durable.put_kv(NAMESPACE, lookup, record, expires_at=expires_at)
        return code, int(expires_at * 1000)

    async def take(self, code: str) -> tuple[Sealed, Taken] | None:
        """Redeem a code: take its record out of the store (atomically: of two takes at
        once, one gets it) and open it. Returns (``{summary, created_at}``, what
        :meth:`put_back` needs), or None for a wrong, used, cancelled or expired code."""
        canonical = normalise(code)
        if canonical is None:
            return None
        lookup = self._lookup(canonical)
        record = await self._durable.take_kv(NAMESPACE, lookup)
        if record is None:
            return None
        try:
            box = base64.b64decode(record["box"])
            key = await asyncio.to_thread(_derive, canonical, base64.b64decode(record["salt"]))
            plain = AESGCM(key).decrypt(box[:12], box[12:], lookup.encode())
        except (InvalidTag, KeyError, ValueError):
            return None
        data: Sealed = json.loads(plain)
        return data, Taken(lookup, record)

    async def put_back(self, taken: Taken) -> None:
        """Undo a :meth:`take` whose summary could not be delivered (the new chat ended
        in between): the code works again until its old expiry."""
        expires_at = taken.record.get("exp")
        if isinstance(expires_at, int | float) and expires_at > time.time():
            await self._durable.add_kv(NAMESPACE, taken.lookup, taken.record, expires_at=float(expires_at))

    async def revoke(self, code: str) -> bool:
        """Cancel a code: its sealed summary is deleted. True if there was one."""
        canonical = normalise(code)
        if canonical is None:
            return False
        return await self._durable.delete_kv(NAMESPACE, self._lookup(canonical))


class FollowUpService:
    """The follow-up actions: a visitor asks for a code, the operator issues one with a
    summary, a returning visitor redeems it.

    Wrong codes are limited per connection (by the caller) and per address key, and
    each costs the same as a right one would not: a lookup by HMAC finds nothing, so no
    key derivation is even attempted.
    """

    def __init__(self, codes: FollowUps, repo: Repository, notify: Notify, messages: Messages, audit: Audit) -> None:
        self._codes = codes
        self._repo = repo
        self._notify = notify
        self._messages = messages
        self._audit = audit

    async def _live(self, sess: VisitorSession) -> Conversation:
        conv = await self._repo.get_live(sess.conversation_id)
        if conv is None:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        return conv

    async def do_request(self, sess: VisitorSession) -> None:
        """The visitor asks for a code: the staff in the chat get ``followup_requested``
        (at most once per :data:`REQUEST_EVERY_S`, however often they tap)."""
        conv = await self._live(sess)
        if await self._repo.first_time("followup_req:" + conv.id, REQUEST_EVERY_S):
            await self._notify.send(conv, "staff", "followup_requested", {"conversation_id": conv.id})

    async def do_issue(self, staff: Staff, conversation_id: str, text: str) -> int:
        """Seal ``text`` under a new code and give the code to the visitor: the live
        ``followup_code`` and a record of the conversation's history, destroyed with it
        (never in the durable store; staff never see it). Returns when the code expires
        (ms). ``too_large`` over :data:`MAX_SUMMARY` characters; the assigned operator
        only."""
        if len(text) > MAX_SUMMARY:
            raise ServiceError("too_large", MSG_SUMMARY_TOO_LONG)
        conv = await require_assigned(self._repo, staff, conversation_id)
        code, expires_at = await self._codes.store(text)
        await self._repo.change(conv.id, lambda c: replace(c, followup_issued=True))
        issued = {"code": code, "expires_at": expires_at}
        await self._messages.add_record(conv, "followup_code", issued, "followup_code", issued)
        await self._audit.record(staff.id, "followup_create", conv.id, centres=[conv.centre])
        return expires_at

    async def do_redeem(
        self, sess: VisitorSession, code: str, address_key: str, attempt: Callable[[], bool], limited: bool
    ) -> None:
        """A returning visitor enters a code: the earlier summary becomes a staff-only
        note in the chat, with a word to the counsellor that a code shows only that
        someone holds it, and the code stops working (it is used up). ``attempt`` is
        the caller's per-connection limit (checked once the conversation is known);
        ``limited`` turns the limits on (off only for load benchmarks). ``not_found``
        for a wrong, used, cancelled or expired code."""
        conv = await self._live(sess)
        await self._check_attempt(address_key, attempt, limited)
        failures = "followup_fail:" + address_key
        found = await self._codes.take(code)
        if found is None:
            raise ServiceError("not_found", MSG_WRONG_CODE)
        sealed, taken = found
        await self._repo.count(failures, FAILURE_WINDOW_S, -1)
        changed = await self._repo.change(conv.id, lambda c: replace(c, followup_redeemed=True) if c.live else None)
        if changed is None:
            # The chat ended meanwhile: the summary has nowhere to go, so the code
            # keeps working.
            await self._codes.put_back(taken)
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        conv = changed.after
        # A staff-only note, encrypted under this conversation's key and destroyed
        # with it.
        day = datetime.fromtimestamp(sealed["created_at"] / 1000, UTC).date().isoformat()
        await self._messages.add_system(
            conv, "followup_summary", {"summary": sealed["summary"], "date": day}, internal=True
        )
        await self._notify.send(conv, "staff", "conversation", {"conversation": summary(conv)})
        waiting = await self._repo.waiting(centre=conv.centre)
        await self._notify.to_queue_watchers(conv.centre, "queue", queue_snapshot(waiting, [conv.centre]))

    async def do_revoke(self, code: str, address_key: str, attempt: Callable[[], bool], limited: bool) -> None:
        """The visitor cancels a code (no chat needed): the summary is deleted and the
        code opens nothing any more. The answer is the same whether or not the code
        existed, so cancelling cannot be used to test guessed codes; the tries count
        against the same limits as redeeming."""
        await self._check_attempt(address_key, attempt, limited)
        if await self._codes.revoke(code):
            await self._repo.count("followup_fail:" + address_key, FAILURE_WINDOW_S, -1)

    async def _check_attempt(self, address_key: str, attempt: Callable[[], bool], limited: bool) -> None:
        """The per-connection limit, then the per-address one. The attempt counts as a
        failure before the lookup (the caller takes it back on success), so guesses
        sent at once over many connections cannot all pass before any is counted."""
        if limited and not attempt():
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)
        if await self._repo.count("followup_fail:" + address_key, FAILURE_WINDOW_S) > FAILURES_PER_ADDRESS and limited:
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)

    async def check_redeemed(self, staff: Staff, conversation_id: str) -> None:
        """``not_found`` unless the chat (assigned to ``staff``) was opened with a code."""
        conv = await require_assigned(self._repo, staff, conversation_id)
        if not conv.followup_redeemed:
            raise ServiceError("not_found", MSG_NOT_FOUND)
