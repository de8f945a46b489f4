"""HTTP routes: health, static front ends, catalogs, staff login.

Static files are served from ``chat_server/static`` (built by ``make run``), never from
another origin. Security headers are set by ``security_headers`` for every answer.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .. import i18n
from ..logging_setup import describe
from ..services.errors import MSG_FORBIDDEN, MSG_INTERNAL, MSG_INVALID, N_, ServiceError
from ..services.staff import public_staff
from . import keys as K
from . import wire_json
from .client_info import request_address_key
from .operator import SESSION_COOKIE, cookie_value

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
MAX_JSON_BODY = 16 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_tls(request: web.Request) -> bool:
    settings = request.app[K.SETTINGS]
    if request.secure:
        return True
    if settings.trust_proxy and request.headers.get("X-Forwarded-Proto", "").lower() == "https":
        return True
    return settings.public_url.startswith("https://")


def own_origin(request: web.Request) -> str:
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


# --- security headers -------------------------------------------------------------------
_BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; manifest-src 'none'; worker-src 'none'"
)


def csp_for(request: web.Request) -> str:
    path = request.path
    if path.startswith("/widget/"):
        allowed = " ".join(request.app[K.SETTINGS].allowed_origins)
        return f"{_BASE_CSP}; frame-ancestors 'self' {allowed}".rstrip()
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
    h.setdefault("Content-Security-Policy", csp_for(request))
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
        return api_error(request, 500, "internal", MSG_INTERNAL)


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


# --- staff API ------------------------------------------------------------------------
def api_error(request: web.Request, status: int, code: str, message: str, locale: str | None = None) -> web.Response:
    locale = locale or i18n.negotiate(i18n.parse_accept_language(request.headers.get("Accept-Language")))
    text = request.app[K.CATALOGS](locale, message)
    return web.json_response({"ok": False, "error": {"code": code, "message": text}}, status=status)


async def read_json(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_JSON_BODY:
        raise ServiceError("too_large", MSG_INVALID)
    raw = await request.content.read(MAX_JSON_BODY + 1)
    if len(raw) > MAX_JSON_BODY:
        raise ServiceError("too_large", MSG_INVALID)
    try:
        # wire_json: nesting beyond the recursion limit is a ValueError too, not a 500.
        data = wire_json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError("invalid", MSG_INVALID) from exc
    if not isinstance(data, dict):
        raise ServiceError("invalid", MSG_INVALID)
    return data


_STATUS = {
    "invalid": 400,
    "too_large": 413,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "closed": 403,
    "unavailable": 503,
}


def json_api(handler: Handler) -> Handler:
    """Turn ServiceError into the standard error body with a fitting status."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ServiceError as exc:
            return api_error(request, _STATUS.get(exc.code, 400), exc.code, exc.message)

    return wrapped


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
    if not same_origin(request.headers.get("Origin"), request):
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    data = await read_json(request)
    username, password, code = data.get("username"), data.get("password"), data.get("totp")
    if set(data) - {"username", "password", "totp"} or not all(
        isinstance(x, str) and 0 < len(x) <= 1024 for x in (username, password, code)
    ):
        raise ServiceError("invalid", MSG_INVALID)
    key = request_address_key(request, request.app[K.SETTINGS].trust_proxy, request.app[K.HASHER])
    staff, session_id, csrf = await request.app[K.STAFF].login(username, password, code, key)  # type: ignore[arg-type]
    response = web.json_response({"ok": True, "staff": staff, "csrf": csrf})
    # A fresh id on every login: a session id planted before login is never reused.
    set_session_cookie(request, response, session_id)
    return response


async def current_staff(request: web.Request) -> tuple[dict[str, Any], str, str]:
    session_id = cookie_value(request.headers.get("Cookie"), SESSION_COOKIE)
    found = await request.app[K.STAFF].session(session_id)
    if found is None or session_id is None:
        raise ServiceError("unauthorized", N_("Please log in."))
    record, csrf = found
    return record, csrf, session_id


def check_csrf(request: web.Request, csrf: str) -> None:
    if not same_origin(request.headers.get("Origin"), request):
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    # Constant time: the comparison must not tell an attacker how much of a guess was right.
    if not hmac.compare_digest(request.headers.get("X-CSRF-Token", "").encode(), csrf.encode()):
        raise ServiceError("forbidden", MSG_FORBIDDEN)


@json_api
async def me(request: web.Request) -> web.StreamResponse:
    record, csrf, _ = await current_staff(request)
    return web.json_response({"ok": True, "staff": public_staff(record), "csrf": csrf})


@json_api
async def logout(request: web.Request) -> web.StreamResponse:
    record, csrf, session_id = await current_staff(request)
    check_csrf(request, csrf)
    await request.app[K.STAFF].logout(session_id, record["id"])
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", root)
    r.add_get("/healthz", healthz)
    r.add_get("/readyz", readyz)
    r.add_get("/widget.js", widget_loader)
    for prefix in ("widget", "console", "demo"):
        r.add_get(f"/{prefix}", redirect_to(f"/{prefix}/"))
        r.add_get(f"/{prefix}/", static_dir(prefix))
        r.add_get(f"/{prefix}/{{name:[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*}}", static_dir(prefix))
    r.add_get("/i18n/locales.json", locales_json)
    r.add_get("/i18n/{locale:[a-z]{2,3}}.json", catalog_json)
    r.add_post("/api/login", login)
    r.add_post("/api/logout", logout)
    r.add_get("/api/me", me)
