"""TOTP (RFC 6238) through ``cryptography``: 6 digits, 30-second steps, SHA-1.

A code is accepted for the current step and one step either side (clock drift), and
the step a code was used at is remembered so the same code cannot be replayed.
"""

from __future__ import annotations

import base64
import secrets
import time
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

STEP = 30
DIGITS = 6


def new_secret() -> str:
    """A random 160-bit secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _totp(secret_b32: str) -> TOTP:
    padded = secret_b32.strip().replace(" ", "").upper()
    padded += "=" * (-len(padded) % 8)
    # HMAC-SHA1 is what RFC 6238 and every authenticator app use for TOTP; SHA-1's
    # collision weakness does not apply to HMAC.
    return TOTP(base64.b32decode(padded), DIGITS, SHA1(), STEP, enforce_key_length=False)  # noqa: S303


def valid_secret(secret_b32: str) -> bool:
    try:
        _totp(secret_b32)
    except (ValueError, TypeError):
        return False
    return len(secret_b32.strip()) >= 16


def code_at(secret_b32: str, when: float | None = None) -> str:
    return _totp(secret_b32).generate(int(time.time() if when is None else when)).decode()


def matching_step(secret_b32: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """Return the time step ``code`` belongs to if it is valid and newer than
    ``last_step`` (the step of the last accepted code), else None."""
    if not (isinstance(code, str) and len(code) == DIGITS and code.isdigit()):
        return None
    now = time.time() if now is None else now
    totp = _totp(secret_b32)
    current = int(now) // STEP
    for step in (current, current - 1, current + 1):
        if step <= last_step:
            continue
        try:
            totp.verify(code.encode(), step * STEP)
        except InvalidToken:
            continue
        return step
    return None


def provisioning_uri(secret_b32: str, account: str, issuer: str) -> str:
    return (
        f"otpauth://totp/{quote(issuer)}:{quote(account)}?secret={secret_b32}"
        f"&issuer={quote(issuer)}&algorithm=SHA1&digits={DIGITS}&period={STEP}"
    )
