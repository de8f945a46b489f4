"""First run: a one-time setup link to create the first admin account.

When no admin exists, the server makes a random token at start, keeps only its hash in
the durable store (with an expiry) and prints the link once. Whoever opens the link
chooses a username and password, enrols TOTP and proves it with a valid code; only then
does the account exist and the token is spent.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import segno
from cryptography.exceptions import InvalidTag

from ..security import passwords, totp
from ..security.crypto import KeyRing
from ..storage.base import Conflict, Durable, Ephemeral
from .errors import MSG_INVALID, MSG_KEY_MISMATCH, MSG_RATE_LIMITED, MSG_UNAUTHORIZED, N_, ServiceError
from .staff import PublicStaff, StaffService

log = logging.getLogger(__name__)

TOKEN_NS = "setup_token"  # noqa: S105 - a storage namespace, not a secret
PENDING_NS = "setup_pending"
ISSUER = "RC chat"
ATTEMPTS, ATTEMPT_WINDOW_S = 30, 15 * 60  # setup requests per address key and window
MSG_SETUP_EXPIRED = N_("This setup link is no longer valid. Restart the server to get a new one.")
MSG_BAD_CODE = N_("That code is not right. Check the time on your phone and try again.")
MSG_WEAK_PASSWORD = N_("Choose a longer password: at least 12 characters.")
MSG_BAD_USERNAME = N_("Usernames are 2 to 64 letters, digits, dots, dashes or underscores.")
MSG_TAKEN = N_("That username is already taken.")


def enrolment(secret: str, account: str) -> dict[str, str]:
    """What a person needs to enrol TOTP: the manual key, the otpauth URI and a QR code
    drawn on the server as an SVG data URI (an <img> source, so no inline markup)."""
    uri = totp.provisioning_uri(secret, account, ISSUER)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000000", light="#ffffff")
    return {"secret": secret, "uri": uri, "qr": qr}


class FirstRun:
    def __init__(self, durable: Durable, eph: Ephemeral, keyring: KeyRing, staff: StaffService, ttl_s: int) -> None:
        self.durable = durable
        self.eph = eph
        self.keyring = keyring
        self.staff = staff
        self.ttl_s = ttl_s

    async def check_attempt(self, address_key: str) -> None:
        """Count a setup request from this rate-limit key (HMAC of the address);
        ``rate_limited`` beyond :data:`ATTEMPTS` in :data:`ATTEMPT_WINDOW_S`. The token is
        long; this only stops noise."""
        if await self.eph.incr("setup:addr:" + address_key, ATTEMPT_WINDOW_S) > ATTEMPTS:
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)

    async def needed(self) -> bool:
        return await self.durable.count_staff("admin") == 0

    async def issue_token(self) -> str | None:
        """A fresh single-use token when no admin exists (earlier ones are revoked)."""
        if not await self.needed():
            return None
        for key, _ in await self.durable.list_kv(TOKEN_NS):
            await self.durable.delete_kv(TOKEN_NS, key)
        token = secrets.token_urlsafe(32)
        expires = time.time() + self.ttl_s
        await self.durable.put_kv(TOKEN_NS, self.keyring.lookup_hash(token), {"expires": expires}, expires_at=expires)
        return token

    async def _check(self, token: Any) -> str:
        if not isinstance(token, str) or not (10 <= len(token) <= 128) or not await self.needed():
            raise ServiceError("unauthorized", MSG_SETUP_EXPIRED)
        key = self.keyring.lookup_hash(token)
        if await self.durable.get_kv(TOKEN_NS, key) is None:
            raise ServiceError("unauthorized", MSG_SETUP_EXPIRED)
        return key

    async def begin(self, token: Any, username: str) -> dict[str, str]:
        """The TOTP secret to enrol for this setup link; it is kept sealed until a code
        proves it. Idempotent: the first call makes the secret, and every later call
        with the same token (a reload, a second tab, two requests at once) returns the
        same pending enrolment, so nobody holding the link can replace the secret the
        real admin has already scanned.

        Raises ServiceError ``unauthorized`` for a wrong or spent token, ``unavailable``
        when the pending secret was sealed under another secret key.
        """
        key = await self._check(token)
        sealed = self.keyring.seal(totp.new_secret(), "setup:" + key)
        # The pending enrolment lives as long as the token it belongs to.
        token_record = await self.durable.get_kv(TOKEN_NS, key)
        expires = token_record["expires"] if token_record else time.time() + self.ttl_s
        await self.durable.add_kv(PENDING_NS, key, {"totp": sealed}, expires_at=expires)
        pending = await self.durable.get_kv(PENDING_NS, key)
        if pending is None:  # the token was spent in between
            raise ServiceError("unauthorized", MSG_SETUP_EXPIRED)
        return enrolment(self._open_pending(pending, key), username or "admin")

    def _open_pending(self, pending: dict[str, Any], key: str) -> str:
        try:
            return self.keyring.open(pending["totp"], "setup:" + key)
        except InvalidTag as exc:  # begun by a process with another secret key
            raise ServiceError("unavailable", MSG_KEY_MISMATCH) from exc

    async def complete(
        self, token: Any, username: str, name: str, password: str, code: str, locale: str
    ) -> PublicStaff:
        """Create the first admin once the TOTP code proves the enrolment; the token is
        spent. ``unauthorized`` (bad token or code), ``invalid``, ``conflict``."""
        key = await self._check(token)
        pending = await self.durable.get_kv(PENDING_NS, key)
        if pending is None:
            raise ServiceError("invalid", MSG_INVALID)
        secret = self._open_pending(pending, key)
        step = totp.matching_step(secret, code, 0)
        if step is None:
            raise ServiceError("unauthorized", MSG_BAD_CODE)
        try:
            passwords.check_strength(password)
        except ValueError as exc:
            raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
        spent = await self.durable.take_kv(TOKEN_NS, key)  # single use, even under a race
        if spent is None:
            raise ServiceError("unauthorized", MSG_SETUP_EXPIRED)
        try:
            # The first admin administers the installation: a national admin (issue 19).
            staff, _ = await self.staff.create(
                username, name, "admin", password, secret, locale, [locale], national_admin=True
            )
        except Conflict as exc:
            await self.durable.put_kv(TOKEN_NS, key, spent, expires_at=spent["expires"])
            raise ServiceError("conflict", MSG_TAKEN) from exc
        except ValueError as exc:
            await self.durable.put_kv(TOKEN_NS, key, spent, expires_at=spent["expires"])
            raise ServiceError("invalid", MSG_BAD_USERNAME) from exc
        # The code just used must not log in a second time.
        await self.durable.update_staff(staff["id"], {"totp_last_step": step})
        await self.durable.delete_kv(PENDING_NS, key)
        await self.staff.audit.record(staff["id"], "setup_admin", staff["id"])
        log.warning("first admin account created through the setup link; the link is spent")
        return staff


__all__ = ["FirstRun", "enrolment", "MSG_UNAUTHORIZED"]
