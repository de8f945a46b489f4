"""Staff accounts, login and server-side sessions.

Passwords are argon2id hashes; TOTP is mandatory and its secret is sealed at rest under
a key derived from the deployment secret. A session is a random id in an HttpOnly
cookie; the server keeps only its hash, the staff id, a CSRF token and two timestamps.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast

from cryptography.exceptions import InvalidTag

from ..config import Settings
from ..security import passwords, totp
from ..security.crypto import KeyRing
from ..storage.base import Durable, Ephemeral
from .audit import Audit
from .centre_domain import DEFAULT_CENTRE, memberships, primary_centre
from .domain import Role, Staff
from .errors import (
    MSG_CHANGED_MEANWHILE,
    MSG_INVALID,
    MSG_KEY_MISMATCH,
    MSG_RATE_LIMITED,
    MSG_UNAUTHORIZED,
    ServiceError,
)
from .roles import ROLES

log = logging.getLogger(__name__)

#: Tries of a compare-and-set on an account's memberships before ``conflict``.
MEMBERSHIP_ATTEMPTS = 8

SESSION_NS = "staff_session"
LOGIN_WINDOW_S = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def session_ref(session_id: str) -> str:
    """The name a session is stored under (SHA-256 of its id, hex): never the cookie
    value itself. The console sockets of a session are found by it (services/revocation.py)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


#: Why a session is not live (see StaffService.session_state).
SessionGone = Literal["expired", "disabled", "gone"]


@dataclass(frozen=True)
class LiveSession:
    """A staff session that is live now: its account (read now), CSRF token, when it
    was last used and when it ends unless used again (Unix seconds)."""

    account: dict[str, Any]
    csrf: str
    last_seen: float
    expires_at: float

    @property
    def staff(self) -> Staff:
        """The staff member as services see them, with their current role."""
        return Staff.from_account(self.account)


#: Reads one account record by staff id (None if there is none).
AccountLookup = Callable[[str], Awaitable[Mapping[str, Any] | None]]


class PublicStaff(TypedDict):
    """The fields of a staff account that may leave the server (docs/protocol.md)."""

    id: str
    username: str
    name: str
    role: Role
    locale: str
    languages: list[str]
    audiences: list[str]
    max_chats: int | None
    disabled: bool
    centres: dict[str, Role]  # {centre_id: role} (services/centre_domain.py)
    national_admin: bool


def public_staff(record: Mapping[str, Any]) -> PublicStaff:
    """The fields of a staff record that may leave the server."""
    return {
        "centres": memberships(record),
        "national_admin": bool(record.get("national_admin")),
        "id": record["id"],
        "username": record["username"],
        "name": record["name"],
        "role": record["role"],
        "locale": record.get("locale", "sv"),
        "languages": record.get("languages", []),
        # Routing skills (services/routing.py): who they can take, and how many at once.
        "audiences": record.get("audiences", ["individual", "professional"]),
        "max_chats": record.get("max_chats"),  # None: the deployment's max_chats_default
        "disabled": record.get("disabled", False),
    }


class StaffService:
    def __init__(self, durable: Durable, eph: Ephemeral, keyring: KeyRing, settings: Settings, audit: Audit) -> None:
        self.durable = durable
        self.eph = eph
        self.keyring = keyring
        self.settings = settings
        self.audit = audit
        self._locale_cache: dict[str, tuple[float, str]] = {}
        self._hash_slots = asyncio.Semaphore(2)

    # accounts -------------------------------------------------------------------------
    async def create(
        self,
        username: str,
        name: str,
        role: str,
        password: str,
        totp_secret: str | None = None,
        locale: str = "sv",
        languages: list[str] | None = None,
        actor: str | None = None,
        centres: Mapping[str, str] | None = None,
        national_admin: bool = False,
    ) -> tuple[PublicStaff, str]:
        """Create an account; returns (public record, TOTP secret to enrol).

        ``centres``: ``{centre_id: role}`` (default: ``{"default": role}``); ``role``
        is then the role in the primary centre. ValueError for a bad role, username,
        weak password (WeakPassword) or TOTP secret."""
        centres = dict(centres) if centres else {DEFAULT_CENTRE: role}
        if role not in ROLES or not all(r in ROLES for r in centres.values()):
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        role = centres[primary_centre(centres)]  # type: ignore[arg-type]
        username = username.strip()
        if not (2 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
            raise ValueError("username: 2-64 letters, digits, '.', '_' or '-'")
        passwords.check_strength(password)
        secret = totp_secret or totp.new_secret()
        if not totp.valid_secret(secret):
            raise ValueError("TOTP secret must be base32, at least 16 characters")
        staff_id = "s" + secrets.token_hex(8)
        record = {
            "id": staff_id,
            "username": username,
            "name": name.strip() or username,
            "role": role,
            "centres": centres,
            "national_admin": national_admin,
            "password_hash": passwords.hash_password(password),
            "totp": self.keyring.seal(secret, "totp:" + staff_id),
            "totp_last_step": 0,
            "disabled": False,
            "locale": locale,
            "languages": languages or [locale],
            "created_at": int(time.time() * 1000),
        }
        await self.durable.create_staff(record)
        await self.audit.record(actor, "staff_create", staff_id, centres=sorted(centres), role=role)
        return public_staff(record), secret

    async def get(self, staff_id: str) -> dict[str, Any] | None:
        return await self.durable.get_staff(staff_id)

    async def accounts(self) -> list[dict[str, Any]]:
        """Every account record (disabled ones too)."""
        return await self.durable.list_staff()

    async def locale_of(self, staff_id: str) -> str:
        cached = self._locale_cache.get(staff_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        record = await self.durable.get_staff(staff_id)
        locale = record.get("locale", "sv") if record else self.settings.default_locale
        self._locale_cache[staff_id] = (time.monotonic() + 60, locale)
        return locale

    async def set_password(self, staff_id: str, password: str, actor: str | None = None) -> None:
        """A new password; every session of the account ends. WeakPassword (a
        ValueError) when it is too short or too long."""
        passwords.check_strength(password)
        # argon2id: off the event loop (the chats go on meanwhile), as at login.
        async with self._hash_slots:
            hashed = await asyncio.to_thread(passwords.hash_password, password)
        await self.durable.update_staff(staff_id, {"password_hash": hashed})
        await self.end_sessions(staff_id)
        await self.audit.record(actor, "password_reset", staff_id)

    async def set_disabled(self, staff_id: str, disabled: bool, actor: str | None = None) -> None:
        await self.durable.update_staff(staff_id, {"disabled": disabled})
        if disabled:
            await self.end_sessions(staff_id)
        await self.audit.record(actor, "staff_disable" if disabled else "staff_enable", staff_id)

    async def reset_totp(self, staff_id: str, actor: str | None = None) -> str:
        """Enrol a new TOTP secret (the old one stops working); returns it to show once."""
        secret = totp.new_secret()
        await self.durable.update_staff(
            staff_id, {"totp": self.keyring.seal(secret, "totp:" + staff_id), "totp_last_step": 0}
        )
        await self.end_sessions(staff_id)
        await self.audit.record(actor, "totp_reset", staff_id)
        return secret

    async def set_role(self, staff_id: str, role: str, actor: str | None = None, centre: str | None = None) -> None:
        """Their role in ``centre`` (None: their primary centre); their sessions end
        (the new role applies from the next login). ValueError for a bad role."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        chosen: list[str] = []

        def with_role(centres: dict[str, Role]) -> dict[str, Role]:
            if centre is not None and centre not in centres:  # taken out of it meanwhile
                raise ServiceError("not_found", MSG_INVALID)
            chosen[:] = [centre or primary_centre(centres)]
            return {**centres, chosen[0]: role}

        if await self.change_memberships(staff_id, with_role, actor, audit=False) is not None:
            await self.audit.record(actor, "staff_update", staff_id, centres=chosen, role=role)

    async def set_memberships(
        self, staff_id: str, centres: Mapping[str, str], actor: str | None = None, audit: bool = True
    ) -> dict[str, Any] | None:
        """Replace the account's ``{centre_id: role}`` (at least one centre, known
        roles: ValueError otherwise) and its mirrored ``role``; their sessions end.
        Returns the record, or None for an unknown id."""
        return await self.change_memberships(
            staff_id, lambda _current: cast(dict[str, Role], dict(centres)), actor, audit
        )

    async def change_memberships(
        self,
        staff_id: str,
        change: Callable[[dict[str, Role]], dict[str, Role]],
        actor: str | None = None,
        audit: bool = True,
    ) -> dict[str, Any] | None:
        """The account's ``{centre_id: role}`` becomes ``change(its memberships now)``,
        compare-and-set on what was read: two admins changing one account at once
        (a national admin removing someone from a centre while that centre's admin
        changes their role there) cannot undo each other, and a removal is never
        written back. ``change`` may raise; it is called again after a lost race.
        ValueError for no centre or an unknown role; ``conflict`` after
        :data:`MEMBERSHIP_ATTEMPTS` lost races. Their sessions end. Returns the record,
        or None for an unknown id."""
        for _ in range(MEMBERSHIP_ATTEMPTS):
            before = await self.durable.get_staff(staff_id)
            if before is None:
                return None
            centres = change(dict(memberships(before)))
            if not centres or not all(r in ROLES for r in centres.values()):
                raise ValueError("an account belongs to at least one centre, with a known role in each")
            record = await self.durable.update_staff(
                staff_id,
                {"centres": dict(centres), "role": centres[primary_centre(centres)]},
                expect={"centres": before.get("centres"), "role": before.get("role")},
            )
            if record is not None:
                break
        else:
            raise ServiceError("conflict", MSG_CHANGED_MEANWHILE)
        await self.end_sessions(staff_id)
        if audit:
            touched = set(centres) | set(memberships(before))
            await self.audit.record(actor, "centre_membership", staff_id, centres=sorted(touched))
        return record

    async def update_profile(self, staff_id: str, changes: Mapping[str, Any]) -> PublicStaff | None:
        """Change name, locale, languages, audiences or max_chats (other keys are
        ignored); ValueError for bad audiences or max_chats. None for an unknown id."""
        allowed = {k: v for k, v in changes.items() if k in {"name", "locale", "languages", "audiences", "max_chats"}}
        if "audiences" in allowed and (
            not isinstance(allowed["audiences"], list)
            or not set(allowed["audiences"]) <= {"individual", "professional"}
        ):
            raise ValueError("audiences: a list of 'individual' and/or 'professional'")
        if (
            "max_chats" in allowed
            and allowed["max_chats"] is not None
            and (
                not isinstance(allowed["max_chats"], int)
                or isinstance(allowed["max_chats"], bool)
                or not 1 <= allowed["max_chats"] <= 20
            )
        ):
            raise ValueError("max_chats: 1-20, or null for the default")
        record = await self.durable.update_staff(staff_id, allowed)
        self._locale_cache.pop(staff_id, None)
        return public_staff(record) if record else None

    async def set_national_admin(
        self, staff_id: str, national_admin: bool, actor: str | None = None
    ) -> dict[str, Any] | None:
        """Grant or take away managing centres; their sessions end. The record, or None."""
        record = await self.durable.update_staff(staff_id, {"national_admin": national_admin})
        if record is not None:
            await self.end_sessions(staff_id)
            await self.audit.record(actor, "staff_update", staff_id, centres=[], national_admin=national_admin)
        return record

    # login ----------------------------------------------------------------------------
    async def login(self, username: str, password: str, code: str, address_key: str) -> tuple[PublicStaff, str, str]:
        """Check credentials; returns (staff, session id, csrf token).

        ``address_key`` is HMAC(ip) under a daily in-memory key, never the address.
        Failures are counted per account and per address key in the ephemeral store.
        """
        account_key = "login:acct:" + self.keyring.lookup_hash(username.strip().lower())
        address_ctr = "login:addr:" + address_key
        # Count the attempt as a failure *before* checking it (and take it back on
        # success): a burst of concurrent guesses cannot all slip past the limit while
        # the first ones are still being verified.
        if (await self.eph.incr(account_key, LOGIN_WINDOW_S)) > MAX_FAILURES_PER_ACCOUNT or (
            await self.eph.incr(address_ctr, LOGIN_WINDOW_S)
        ) > MAX_FAILURES_PER_ADDRESS:
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)

        record = await self.durable.get_staff_by_username(username.strip())
        # argon2id takes tens of milliseconds and 64 MiB: off the event loop (the chats
        # go on meanwhile), and only a few at a time (memory stays bounded).
        async with self._hash_slots:
            ok, new_hash = await asyncio.to_thread(
                passwords.verify_password, record["password_hash"] if record else passwords.DUMMY_HASH, password
            )
        step = None
        if record and ok and not record.get("disabled"):
            try:
                secret = self.keyring.open(record["totp"], "totp:" + record["id"])
            except InvalidTag as exc:
                # Sealed under another CHAT_SECRET_KEY (the start-up check refuses a
                # store of another key, so this is an account written by a process with
                # the wrong key): a clear refusal, never a 500.
                log.error("a staff TOTP secret cannot be opened with this secret key (key mismatch)")
                raise ServiceError("unavailable", MSG_KEY_MISMATCH) from exc
            step = totp.matching_step(secret, code, int(record.get("totp_last_step", 0)))
            # Single use even for two concurrent logins with the same code (both read the
            # old totp_last_step): the ephemeral store's counter is atomic on every node.
            if step is not None and await self.eph.incr(f"login:totp:{record['id']}:{step}", 4 * totp.STEP) > 1:
                step = None
        if record is None or not ok or record.get("disabled") or step is None:
            if record is not None:
                await self.audit.record(record["id"], "login_failed", record["id"])
            raise ServiceError("unauthorized", MSG_UNAUTHORIZED)
        await self.eph.incr(account_key, LOGIN_WINDOW_S, -1)
        await self.eph.incr(address_ctr, LOGIN_WINDOW_S, -1)

        changes: dict[str, Any] = {"totp_last_step": step}
        if new_hash:
            changes["password_hash"] = new_hash  # argon2 parameters were raised
        await self.durable.update_staff(record["id"], changes)
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = time.time()
        await self.durable.put_kv(
            SESSION_NS,
            session_ref(session_id),
            {"staff_id": record["id"], "csrf": csrf, "created_at": now, "last_seen": now},
            expires_at=now + self.settings.session_absolute_s,
        )
        await self.audit.record(record["id"], "login", record["id"])
        return public_staff(record), session_id, csrf

    def touch_every_s(self) -> float:
        """How often using a session is written down (s): at most once a minute, and
        often enough that a short idle timeout (tests) still sees the use."""
        return min(60.0, self.settings.session_idle_s / 4)

    async def session(self, session_id: str | None) -> tuple[dict[str, Any], str] | None:
        """The staff record and CSRF token of a live session, or None (an HTTP request:
        it counts as use of the session)."""
        live = await self.live_session(session_id)
        return (live.account, live.csrf) if live else None

    async def live_session(self, session_id: str | None, touch: bool = True) -> LiveSession | None:
        """The session if it is live now, with the account as it is now; None when it
        is unknown, past its idle (``session_idle_s`` since last use) or absolute
        (``session_absolute_s`` since login) lifetime, or its account is gone or
        disabled. ``touch``: this is a use of the session (an HTTP request, or a console
        event done by the person); a console merely being open is not."""
        found = await self.session_state(session_id, touch)
        return found if isinstance(found, LiveSession) else None

    async def session_state(self, session_id: str | None, touch: bool = True) -> LiveSession | SessionGone:
        """As :meth:`live_session`, but an ended session says why, as far as the store
        still knows: ``expired`` (idle or absolute lifetime, found now), ``disabled``
        (the account is disabled or gone) or ``gone`` (no such session: logged out,
        ended by an admin, or expired and already removed)."""
        if not session_id or len(session_id) > 128:
            return "gone"
        key = session_ref(session_id)
        data = await self.durable.get_kv(SESSION_NS, key)
        if data is None:
            return "gone"
        now = time.time()
        idle_s, absolute_s = self.settings.session_idle_s, self.settings.session_absolute_s
        if now - data["last_seen"] > idle_s or now - data["created_at"] > absolute_s:
            await self.durable.delete_kv(SESSION_NS, key)
            return "expired"
        record = await self.durable.get_staff(data["staff_id"])
        if record is None or record.get("disabled"):
            await self.durable.delete_kv(SESSION_NS, key)
            return "disabled"
        if touch and now - data["last_seen"] > self.touch_every_s():  # don't write on every request
            data["last_seen"] = now
            await self.durable.put_kv(SESSION_NS, key, data, expires_at=data["created_at"] + absolute_s)
        expires_at = min(data["last_seen"] + idle_s, data["created_at"] + absolute_s)
        return LiveSession(record, data["csrf"], data["last_seen"], expires_at)

    async def has_live_session(self, staff_id: str) -> bool:
        """Whether ``staff_id`` is still signed in anywhere (another browser)."""
        now = time.time()
        for _key, data in await self.durable.list_kv(SESSION_NS):
            if (
                data.get("staff_id") == staff_id
                and now - data["last_seen"] <= self.settings.session_idle_s
                and now - data["created_at"] <= self.settings.session_absolute_s
            ):
                return True
        return False

    async def logout(self, session_id: str, staff_id: str) -> None:
        """End one session (audited). Its open consoles: services/revocation.py."""
        await self.durable.delete_kv(SESSION_NS, session_ref(session_id))
        await self.audit.record(staff_id, "logout", staff_id)

    async def end_sessions(self, staff_id: str) -> None:
        """End every session of ``staff_id`` (their open consoles notice within a
        second; an admin action also tells them at once: services/revocation.py)."""
        for key, data in await self.durable.list_kv(SESSION_NS):
            if data.get("staff_id") == staff_id:
                await self.durable.delete_kv(SESSION_NS, key)
