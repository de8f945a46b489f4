"""Who is asking: the staff guard for every HTTP route and every /operator event, and
the same-origin and CSRF rules it applies.

:meth:`StaffGuard.require_staff` is the one check: it resolves the staff member (an
HTTP request by its session cookie; a console socket by the session it connected with)
and checks their role and, for a state-changing HTTP request, the CSRF token and the
Origin. A socket's staff member is resolved from what was recorded at connect; checking
the live session on every event is a change in :meth:`StaffGuard._socket_staff` only.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..services.domain import Role, Staff
from ..services.errors import MSG_FORBIDDEN, N_, ServiceError
from ..services.roles import EVERYONE
from ..services.staff import StaffService
from . import keys as K

SESSION_COOKIE = "rc_staff"
MSG_LOG_IN = N_("Please log in.")


def cookie_value(header: str | None, name: str) -> str | None:
    """The value of cookie ``name`` in a Cookie header, or None (also for a malformed header)."""
    if not header:
        return None
    try:
        jar = SimpleCookie()
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def is_tls(request: web.Request) -> bool:
    """Whether the client reached us over TLS (directly, through a trusted proxy, or by the public URL)."""
    settings = request.app[K.SETTINGS]
    if request.secure:
        return True
    if settings.trust_proxy and request.headers.get("X-Forwarded-Proto", "").lower() == "https":
        return True
    return settings.public_url.startswith("https://")


def own_origin(request: web.Request) -> str:
    """This server's origin (scheme://host[:port]), from the public URL or the request."""
    settings = request.app[K.SETTINGS]
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        return f"{parts.scheme}://{parts.netloc}"
    scheme = "https" if is_tls(request) else "http"
    return f"{scheme}://{request.host}"


def same_origin(origin: str | None, request: web.Request | None) -> bool:
    """True when ``origin`` is absent (not a browser) or the server's own origin."""
    if not origin:
        return True
    if request is None:
        return False
    return origin.rstrip("/") == own_origin(request)


def check_same_origin(request: web.Request) -> None:
    """``forbidden`` for a request a browser sent from another origin."""
    if not same_origin(request.headers.get("Origin"), request):
        raise ServiceError("forbidden", MSG_FORBIDDEN)


def check_csrf(request: web.Request, csrf: str) -> None:
    """``forbidden`` unless same-origin and carrying the session's CSRF token."""
    check_same_origin(request)
    # Constant time: the comparison must not tell an attacker how much of a guess was right.
    if not hmac.compare_digest(request.headers.get("X-CSRF-Token", "").encode(), csrf.encode()):
        raise ServiceError("forbidden", MSG_FORBIDDEN)


@dataclass(frozen=True)
class StaffSession:
    """A live staff session: the account record, its CSRF token and its id."""

    account: dict[str, Any]
    csrf: str
    session_id: str

    @property
    def staff(self) -> Staff:
        """The staff member of this session."""
        return Staff.from_account(self.account)


@dataclass(frozen=True)
class _Socket:
    session_id: str
    staff: Staff


class StaffGuard:
    """Authorises staff: HTTP requests by session cookie, console sockets by the session
    recorded when they connected. Constructed once (app.create_app)."""

    def __init__(self, staff: StaffService) -> None:
        self._staff = staff
        self._sockets: dict[str, _Socket] = {}

    async def session(self, request: web.Request) -> StaffSession:
        """The request's live staff session; ``unauthorized`` without one."""
        session_id = cookie_value(request.headers.get("Cookie"), SESSION_COOKIE)
        found = await self._staff.session(session_id)
        if found is None or session_id is None:
            raise ServiceError("unauthorized", MSG_LOG_IN)
        account, csrf = found
        return StaffSession(account, csrf, session_id)

    async def require_staff(
        self, request_or_sid: web.Request | str, roles: Collection[Role] = EVERYONE, write: bool = False
    ) -> Staff:
        """The staff member behind an HTTP request or a console socket id.

        ``unauthorized`` without a live session (HTTP), ``forbidden`` for a socket that
        is not (or no longer) signed in, a role not in ``roles``, or, with ``write``, an
        HTTP request without the CSRF token or from another origin. Sockets checked the
        Origin when they connected and carry no CSRF token."""
        if isinstance(request_or_sid, str):
            staff = self._socket_staff(request_or_sid)
        else:
            found = await self.session(request_or_sid)
            if write:
                check_csrf(request_or_sid, found.csrf)
            staff = found.staff
        if staff.role not in roles:
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return staff

    def _socket_staff(self, sid: str) -> Staff:
        socket = self._sockets.get(sid)
        if socket is None:  # not connected, or an event raced the disconnect
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return socket.staff

    # --- console sockets --------------------------------------------------------------
    async def connect(self, sid: str, cookie_header: str | None) -> tuple[Staff, dict[str, Any]] | None:
        """Resolve a connecting console socket's session (None: refuse it) and remember
        it for the socket's events."""
        session_id = cookie_value(cookie_header, SESSION_COOKIE)
        found = await self._staff.session(session_id)
        if found is None or session_id is None:
            return None
        account, _csrf = found
        staff = Staff.from_account(account)
        self._sockets[sid] = _Socket(session_id, staff)
        return staff, account

    def disconnect(self, sid: str) -> Staff | None:
        """Forget a console socket; returns who it was, if anyone."""
        socket = self._sockets.pop(sid, None)
        return socket.staff if socket else None

    def locale_of(self, sid: str) -> str | None:
        """A console socket's staff locale, or None when it is not signed in."""
        socket = self._sockets.get(sid)
        return socket.staff.locale if socket else None

    def __len__(self) -> int:
        """Console sockets signed in on this process (metrics)."""
        return len(self._sockets)
