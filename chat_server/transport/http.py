"""HTTP handlers: health, static front ends, catalogs, staff login; the security
headers middleware. Routes are added in transport/routes.py.

Static files are served from ``chat_server/static`` (built by ``make run``), never from
another origin. Security headers are set by ``security_headers`` for every answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from .. import i18n
from ..logging_setup import describe
from ..services.errors import MSG_INTERNAL, ServiceError
from ..services.staff import public_staff
from ..storage.base import StoreUnavailable
from . import keys as K
from . import validation as v
from .api import api_error, json_api, read_json
from .client_info import request_address_key
from .guard import SESSION_COOKIE, check_csrf, check_same_origin, is_tls

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- security headers -------------------------------------------------------------------
_BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; manifest-src 'none'; worker-src 'none'"
)


async def csp_for(request: web.Request) -> str:
    """The Content-Security-Policy of an answer. The widget's pages may be framed by the
    host sites of the centre in their query (``/widget/?centre=skane``;
    services/embedding.py), everything else by nobody (the demo by nobody either: it
    is the host page itself)."""
    path = request.path
    if path.startswith("/widget/"):
        try:
            origins = await request.app[K.SERVICES].embedding.frame_ancestors(request.query.get("centre"))
        except StoreUnavailable:
            # The centres cannot be read: only our own pages may frame the widget now
            # (the widget could not connect anyway).
            origins = ()
        return f"{_BASE_CSP}; frame-ancestors 'self' {' '.join(origins)}".rstrip()
    if path.startswith("/demo/"):
        return f"{_BASE_CSP}; frame-src 'self'; frame-ancestors 'none'"
    return f"{_BASE_CSP}; frame-ancestors 'none'"


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    h = response.headers
    if "Content-Security-Policy" not in h:
        h["Content-Security-Policy"] = await csp_for(request)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "no-referrer")
    # The loader is the one resource other sites must be able to load (<script src>);
    # everything else stays same-origin.
    h.setdefault("Cross-Origin-Resource-Policy", "cross-origin" if request.path == "/widget.js" else "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if not request.path.startswith("/widget/"):
        h.setdefault("X-Frame-Options", "DENY")
    if is_tls(request):
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith(("/api/", "/widget/", "/console/", "/i18n/")) or request.path == "/widget.js":
        # Nothing about the chat is worth caching on a shared or watched device.
        h.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def unexpected_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The last line of defence: an exception no handler expected answers 500 with the
    standard error body (``internal``) and one log line naming the route, the exception
    type and where it was raised; never the client's address, headers or body (aiohttp
    would log ``Error handling request from <address>`` with the exception's message,
    which may quote the request)."""
    try:
        return await handler(request)
    except (web.HTTPException, ConnectionError):
        raise
    except Exception as exc:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "(no route)"
        log.error("unexpected error in %s %s: %s", request.method, name, describe(exc))
        return api_error(request, ServiceError("internal", MSG_INTERNAL), status=500)


# --- health ---------------------------------------------------------------------------
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    eph_ok = await request.app[K.EPHEMERAL].ping()
    dur_ok = await request.app[K.DURABLE].ping()
    if eph_ok and dur_ok:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "unavailable"}, status=503)


# --- static front ends ----------------------------------------------------------------
def _static_file(relative: str) -> web.FileResponse:
    path = (STATIC / relative).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        raise web.HTTPNotFound(text="not found (run `make run` to build the front ends)")
    return web.FileResponse(path)


async def widget_loader(request: web.Request) -> web.StreamResponse:
    return _static_file("widget.js")


def static_dir(prefix: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name") or "index.html"
        # No dot segments, and no hidden files: "/widget/../console/index.html" would
        # otherwise be the console served under the widget's framing policy (the
        # headers follow the requested path, not the file).
        if any(part.startswith(".") for part in name.split("/")):
            raise web.HTTPNotFound()
        return _static_file(f"{prefix}/{name}")

    return handler


def redirect_to(location: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return handler


root = redirect_to("/demo/")


# --- catalogs -------------------------------------------------------------------------
async def locales_json(request: web.Request) -> web.Response:
    return web.json_response(i18n.locales_payload())


async def catalog_json(request: web.Request) -> web.Response:
    locale = request.match_info["locale"]
    catalogs = request.app[K.CATALOGS]
    if not (i18n.is_supported(locale) or (locale == i18n.PSEUDO_LOCALE and catalogs.has(locale))):
        raise web.HTTPNotFound()
    return web.json_response(catalogs.as_json(locale))


# --- staff login -----------------------------------------------------------------
def set_session_cookie(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="Strict",
        secure=is_tls(request),
        path="/",
        max_age=request.app[K.SETTINGS].session_absolute_s,
    )


@json_api
async def login(request: web.Request) -> web.StreamResponse:
    """POST /api/login: check credentials, set the session cookie; ``{staff, csrf}``."""
    check_same_origin(request)
    data = await read_json(request, v.LOGIN)
    key = request_address_key(request, request.app[K.SETTINGS].trust_proxy, request.app[K.HASHER])
    staff_service = request.app[K.SERVICES].staff
    staff, session_id, csrf = await staff_service.login(data["username"], data["password"], data["totp"], key)
    response = web.json_response({"ok": True, "staff": staff, "csrf": csrf})
    # A fresh id on every login: a session id planted before login is never reused.
    set_session_cookie(request, response, session_id)
    return response


@json_api
async def me(request: web.Request) -> web.StreamResponse:
    """GET /api/me: the signed-in staff member and the CSRF token; 401 otherwise."""
    found = await request.app[K.GUARD].session(request)
    return web.json_response({"ok": True, "staff": public_staff(found.account), "csrf": found.csrf})


@json_api
async def logout(request: web.Request) -> web.StreamResponse:
    """POST /api/logout: end the session (CSRF) and close its open consoles."""
    found = await request.app[K.GUARD].session(request)
    check_csrf(request, found.csrf)
    await request.app[K.SERVICES].revocation.do_logout(found.session_id, found.account["id"])
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
