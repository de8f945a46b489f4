"""JSON over HTTP for the console API: reading a body, answering, and turning a
``ServiceError`` into the standard error body (docs/protocol.md) with a fitting status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .. import i18n
from ..services.errors import MSG_INVALID, ServiceError
from . import keys as K
from . import validation as v
from . import wire_json

MAX_JSON_BODY = 16 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUS = {
    "invalid": 400,
    "too_large": 413,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "queue_full": 503,
    "closed": 403,
    "unavailable": 503,
}


def ok(**fields: Any) -> web.Response:
    """``{"ok": true, ...fields}`` as JSON."""
    return web.json_response({"ok": True, **fields})


def api_error(request: web.Request, exc: ServiceError, status: int | None = None) -> web.Response:
    """The error body in the locale the request asks for (Accept-Language); the status
    follows the code (``STATUS``) unless given."""
    locale = i18n.negotiate(i18n.parse_accept_language(request.headers.get("Accept-Language")))
    error: dict[str, Any] = {"code": exc.code, "message": request.app[K.CATALOGS](locale, exc.message, **exc.params)}
    if exc.field is not None:
        error["field"] = exc.field
    return web.json_response({"ok": False, "error": error}, status=status or STATUS.get(exc.code, 400))


async def read_json(request: web.Request, schema: dict[str, v.F] | None = None) -> dict[str, Any]:
    """The request's JSON object (at most 16 KiB), checked against ``schema`` if one is
    given (transport/validation.py). ``too_large`` or ``invalid`` otherwise."""
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
    return v.validate(data, schema) if schema is not None else data


def json_api(handler: Handler) -> Handler:
    """Turn ServiceError into the standard error body with a fitting status."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ServiceError as exc:
            return api_error(request, exc)

    return wrapped
