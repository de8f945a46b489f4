"""Admission control: refuse new Engine.IO sessions before the process runs out of file
descriptors.

Every connected client holds at least one socket, and a process may hold only as many
descriptors as its ``RLIMIT_NOFILE`` allows (the server lifts the soft limit to the hard
one at start; the hard limit is the operating system's or the container's, e.g.
``LimitNOFILE=`` in the systemd unit). When the limit is reached, ``accept()`` fails
with EMFILE and asyncio's server stops accepting for a whole second
(``asyncio.base_events`` ``ACCEPT_RETRY_DELAY``) and logs an error each time: every
client, staff included, then waits, and the connection rate collapses (measured in
docs/performance.md: 47 connections/s at the limit against 800 below it). SQLite and
Redis need descriptors too.

So new sessions are refused with ``503 Service Unavailable`` (and ``Retry-After``) once
the number of Engine.IO sessions reaches a cap below the limit; the widget then says the
chat is busy, and socket.io-client retries with back-off. A reserve above the visitors'
cap is kept for staff (a handshake that carries the staff session cookie), so a
counsellor can still log in to a full server. Existing sessions (requests with ``sid``)
are never refused here.
"""

from __future__ import annotations

import logging
import resource
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Descriptors kept free for everything that is not a client session: plain HTTP
#: requests (the widget's and console's files, the API), the stores, logs. Polling
#: clients may hold two connections for a moment (a long poll and a POST).
RESERVE_FRACTION = 0.05
MIN_RESERVE = 64
#: Sessions only staff may open beyond the visitors' cap.
STAFF_RESERVE_FRACTION = 0.01
MIN_STAFF_RESERVE = 16


def open_files_limit() -> int:
    """This process's soft RLIMIT_NOFILE (descriptors it may hold)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1_048_576


def session_caps(max_connections: int, limit: int | None = None) -> tuple[int, int]:
    """``(visitor_cap, staff_cap)``: Engine.IO sessions admitted for anyone, and for a
    handshake with the staff cookie. ``max_connections`` 0 means automatic: the open-files
    limit less a reserve (``RESERVE_FRACTION``, at least ``MIN_RESERVE``); a positive value
    is used as given (never above the automatic cap)."""
    limit = open_files_limit() if limit is None else limit
    automatic = max(1, limit - max(MIN_RESERVE, int(limit * RESERVE_FRACTION)))
    total = min(max_connections, automatic) if max_connections > 0 else automatic
    staff_reserve = min(total - 1, max(MIN_STAFF_RESERVE, int(total * STAFF_RESERVE_FRACTION)))
    return max(1, total - staff_reserve), total


def admission_control(sessions: Callable[[], int], visitor_cap: int, staff_cap: int, staff_cookie: str) -> Middleware:
    """Middleware refusing new Engine.IO handshakes at the caps (see module docstring).

    ``sessions`` returns the number of Engine.IO sessions the process holds now.
    """
    refused = 0

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal refused
        if request.path.startswith("/socket.io/") and "sid" not in request.query:
            held = sessions()
            cap = staff_cap if staff_cookie in request.cookies else visitor_cap
            if held >= cap:
                refused += 1
                if refused == 1 or refused % 1000 == 0:
                    # Counts only: nothing about the client.
                    log.warning("refusing new connections: %d held (cap %d); %d refused so far", held, cap, refused)
                raise web.HTTPServiceUnavailable(headers={"Retry-After": "10"}, text="busy", content_type="text/plain")
        return await handler(request)

    return middleware
