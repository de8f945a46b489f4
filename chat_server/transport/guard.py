"""Who is asking: the staff guard for every HTTP route and every /operator event, and
the same-origin and CSRF rules it applies.

:meth:`StaffGuard.require_staff` is the one check: it resolves the staff member (an
HTTP request by its session cookie; a console socket by the session it connected with)
and checks their role and, for a state-changing HTTP request, the CSRF token and the
Origin.

A console socket's session and role are read again whenever what this process knows of
them is older than :data:`SOCKET_CHECK_S`, or the session's end is due: a supervisor
demoted to operator loses ``overview`` and ``observe`` within a second, and the event
after a session ended (logout in another tab, an admin's action, idle or absolute
expiry) is refused ``unauthorized``. :meth:`StaffGuard.check_sessions` does the same
for every console of this process twice a second (the operator namespace's watcher),
so a console that sends nothing is still closed within a second of its session's end;
services/revocation.py closes the consoles of a session that ended, on every process.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Collection
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..services.domain import Role, Staff
from ..services.errors import MSG_FORBIDDEN, N_, ServiceError
from ..services.revocation import EndReason
from ..services.roles import EVERYONE
from ..services.staff import LiveSession, StaffService
from . import keys as K

SESSION_COOKIE = "rc_staff"
MSG_LOG_IN = N_("Please log in.")
#: How long a console socket's session and role, once read, are trusted (s).
SOCKET_CHECK_S = 1.0


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


@dataclass
class _Socket:
    """A console socket of this process and what is known of its session."""

    session_id: str
    staff: Staff
    checked: float  # time.monotonic() of the last read of the session
    last_seen: float  # the session's last use, as read then (Unix s)
    expires_at: float  # when the session ends unless used again, as read then (Unix s)
    ended: EndReason | None = None  # set once its session is found ended


@dataclass(frozen=True)
class EndedSession:
    """A staff session found ended by :meth:`StaffGuard.check_sessions`: who, why, and
    its console sockets on this process."""

    staff_id: str
    session_id: str
    reason: EndReason
    sids: tuple[str, ...]


class StaffGuard:
    """Authorises staff: HTTP requests by session cookie, console sockets by the session
    they connected with, read again at most :data:`SOCKET_CHECK_S` old. Constructed
    once (app.create_app)."""

    def __init__(self, staff: StaffService) -> None:
        self._staff = staff
        self._sockets: dict[str, _Socket] = {}
        # Sessions found ended while answering an event, for the watcher to close.
        self._found_ended: dict[str, EndedSession] = {}

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
        """The staff member behind an HTTP request or a console socket id, with their
        current role.

        ``unauthorized`` without a live session (HTTP, or a socket whose session has
        ended), ``forbidden`` for a socket that is not signed in, a role not in
        ``roles``, or, with ``write``, an HTTP request without the CSRF token or from
        another origin. Sockets checked the Origin when they connected and carry no
        CSRF token; for them ``write`` means the event is something the person did
        (it counts as use of the session for its idle timeout), as opposed to what a
        console asks by itself (lists, the supervisors' overview every few seconds)."""
        if isinstance(request_or_sid, str):
            staff = await self._socket_staff(request_or_sid, write)
        else:
            found = await self.session(request_or_sid)
            if write:
                check_csrf(request_or_sid, found.csrf)
            staff = found.staff
        if staff.role not in roles:
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return staff

    async def _socket_staff(self, sid: str, used: bool) -> Staff:
        socket = self._sockets.get(sid)
        if socket is None:  # not connected, or an event raced the disconnect
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        if socket.ended is None and self._due(socket, time.monotonic(), time.time(), used):
            await self._read(socket.session_id, used)
        if socket.ended is not None:
            raise ServiceError("unauthorized", MSG_LOG_IN)
        return socket.staff

    def _due(self, socket: _Socket, mono: float, now: float, used: bool) -> bool:
        """Must the session be read again before trusting it?"""
        return (
            mono - socket.checked >= SOCKET_CHECK_S
            or now >= socket.expires_at
            or (used and now - socket.last_seen > self._staff.touch_every_s())
        )

    async def _read(self, session_id: str, used: bool) -> EndedSession | None:
        """Read the session again and update every socket of it here; when it has
        ended, mark them and return the end (also kept for the watcher)."""
        found = await self._staff.session_state(session_id, touch=used)
        sockets = {sid: s for sid, s in self._sockets.items() if s.session_id == session_id and s.ended is None}
        if not sockets:
            return None
        first = next(iter(sockets.values()))
        if isinstance(found, LiveSession) and found.staff.role == first.staff.role:
            mono = time.monotonic()
            for socket in sockets.values():
                self._refresh(socket, found, mono)
            return None
        # A role changed under a live session (written by something other than the
        # admin API, which ends the sessions itself) ends it too: the console starts
        # again with what the new role may see.
        reason: EndReason
        if isinstance(found, LiveSession):
            reason = "role_changed"
        elif found == "gone":
            reason = await self._why_gone(first)
        else:
            reason = found
        for socket in sockets.values():
            socket.ended = reason
        ended = EndedSession(first.staff.id, session_id, reason, tuple(sockets))
        self._found_ended[session_id] = ended
        return ended

    @staticmethod
    def _refresh(socket: _Socket, live: LiveSession, mono: float) -> None:
        socket.staff = live.staff
        socket.checked = mono
        socket.last_seen = live.last_seen
        socket.expires_at = live.expires_at

    async def _why_gone(self, socket: _Socket) -> EndReason:
        """Why a session that was live is no longer in the store: past its end as last
        read (a store that drops it by itself), or its account disabled or role changed
        (from the command line or another process), else ended without a word here (a
        logout or an admin's action is announced by the process that did it)."""
        if time.time() >= socket.expires_at:
            return "expired"
        account = await self._staff.get(socket.staff.id)
        if account is None or account.get("disabled"):
            return "disabled"
        if account.get("role") != socket.staff.role:
            return "role_changed"
        return "ended"

    async def check_sessions(self) -> list[EndedSession]:
        """Read again every session of this process's consoles whose check is due
        (at most once a :data:`SOCKET_CHECK_S`, or when its end is due) and return the
        sessions found ended since the last call (also those found while answering an
        event), each once. The caller closes their consoles."""
        mono, now = time.monotonic(), time.time()
        due = {s.session_id for s in self._sockets.values() if s.ended is None and self._due(s, mono, now, False)}
        for session_id in due:
            await self._read(session_id, False)
        found, self._found_ended = list(self._found_ended.values()), {}
        return found

    def check_again(self, ended: EndedSession) -> None:
        """Return an ended session to the next :meth:`check_sessions` (its consoles
        could not be closed this time)."""
        self._found_ended.setdefault(ended.session_id, ended)

    # --- console sockets --------------------------------------------------------------
    async def connect(self, sid: str, cookie_header: str | None) -> tuple[Staff, dict[str, Any]] | None:
        """Resolve a connecting console socket's session (None: refuse it) and remember
        it for the socket's events."""
        session_id = cookie_value(cookie_header, SESSION_COOKIE)
        live = await self._staff.live_session(session_id)
        if live is None or session_id is None:
            return None
        staff = live.staff
        self._sockets[sid] = _Socket(session_id, staff, time.monotonic(), live.last_seen, live.expires_at)
        return staff, live.account

    def session_id_of(self, sid: str) -> str | None:
        """The staff session a console socket of this process connected with."""
        socket = self._sockets.get(sid)
        return socket.session_id if socket else None

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
