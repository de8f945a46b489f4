"""Console HTTP API: first-run setup, the staff member's own profile, and the admin
screens (accounts, opening hours, canned responses, audit log).

Every state-changing request needs a live staff session and the CSRF header (except
the first-run setup, which is authorised by its single-use token instead). Admin routes
need the admin role. Nothing here ever sees conversation content.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .. import i18n
from ..periodic import periodic
from ..security.passwords import WeakPassword
from ..services.canned import Canned
from ..services.errors import MSG_FORBIDDEN, MSG_INVALID, MSG_RATE_LIMITED, N_, ServiceError
from ..services.setup import MSG_BAD_USERNAME, MSG_TAKEN, MSG_WEAK_PASSWORD, FirstRun, enrolment
from ..services.staff import ROLES, public_staff
from ..services.supervision import Supervision
from ..storage.base import Conflict
from . import keys as K
from .client_info import request_address_key
from .http import check_csrf, current_staff, json_api, read_json, same_origin
from .notifier import OPERATOR_NS, VISITOR_NS

log = logging.getLogger(__name__)

FIRST_RUN: web.AppKey[FirstRun] = web.AppKey("first_run")
CANNED: web.AppKey[Canned] = web.AppKey("canned")
SUPERVISION: web.AppKey[Supervision] = web.AppKey("supervision")

SETUP_ATTEMPTS = 30  # per address key and 15 minutes: the token is long, this stops noise
HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MSG_HOURS_INVALID = N_("Check the opening hours: each range needs a start before its end, as HH:MM.")


# --- helpers --------------------------------------------------------------------------
def ok(**fields: Any) -> web.Response:
    return web.json_response({"ok": True, **fields})


async def staff_for_change(request: web.Request, role: str | None = None) -> dict[str, Any]:
    """The session's staff record after the CSRF check (and role check, if any)."""
    record, csrf, _ = await current_staff(request)
    check_csrf(request, csrf)
    if role and record["role"] != role:
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    return record


async def staff_for_read(request: web.Request, role: str | None = None) -> dict[str, Any]:
    record, _, _ = await current_staff(request)
    if role and record["role"] != role:
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    return record


def _str(data: dict[str, Any], name: str, max_len: int = 200, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not (0 < len(value) <= max_len):
        raise ServiceError("invalid", MSG_INVALID)
    return value


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    if set(data) - allowed:
        raise ServiceError("invalid", MSG_INVALID)


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > 20 or not all(i18n.is_supported(v) for v in value):
        raise ServiceError("invalid", MSG_INVALID)
    return list(dict.fromkeys(value))


# --- first run ------------------------------------------------------------------------
async def _setup_guard(request: web.Request) -> dict[str, Any]:
    if not same_origin(request.headers.get("Origin"), request):
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    key = request_address_key(request, request.app[K.SETTINGS].trust_proxy, request.app[K.HASHER])
    if await request.app[K.EPHEMERAL].incr("setup:addr:" + key, 15 * 60) > SETUP_ATTEMPTS:
        raise ServiceError("rate_limited", MSG_RATE_LIMITED)
    return await read_json(request)


@json_api
async def setup_begin(request: web.Request) -> web.StreamResponse:
    data = await _setup_guard(request)
    _only(data, {"token", "username"})
    username = _str(data, "username", 64, required=False) or "admin"
    return ok(enrolment=await request.app[FIRST_RUN].begin(data.get("token"), username))


@json_api
async def setup_complete(request: web.Request) -> web.StreamResponse:
    data = await _setup_guard(request)
    _only(data, {"token", "username", "name", "password", "totp", "locale"})
    locale = data.get("locale") or "sv"
    if not i18n.is_supported(locale):
        raise ServiceError("invalid", MSG_INVALID)
    staff = await request.app[FIRST_RUN].complete(
        data.get("token"),
        _str(data, "username", 64) or "",
        _str(data, "name", 80) or "",
        _str(data, "password", 1024) or "",
        _str(data, "totp", 12) or "",
        locale,
    )
    return ok(staff=staff)


async def _announce_setup(app: web.Application) -> None:
    token = await app[FIRST_RUN].issue_token()
    if token is None:
        return
    settings = app[K.SETTINGS]
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    url = f"{base}/console/#setup={token}"
    minutes = settings.setup_token_s // 60
    log.warning(
        "no admin account exists: create the first one within %d minutes at %s (single use)",
        minutes,
        url,
    )
    print(
        f"\nFirst run: create the first admin account (link valid {minutes} minutes, single use):\n  {url}\n",
        flush=True,
    )


# --- own profile ----------------------------------------------------------------------
@json_api
async def patch_me(request: web.Request) -> web.StreamResponse:
    record = await staff_for_change(request)
    data = await read_json(request)
    _only(data, {"locale", "languages", "name"})
    changes: dict[str, Any] = {}
    if "locale" in data:
        if not i18n.is_supported(data["locale"]):
            raise ServiceError("invalid", MSG_INVALID)
        changes["locale"] = data["locale"]
    if "languages" in data:
        changes["languages"] = _languages(data["languages"])
    if "name" in data:
        changes["name"] = (_str(data, "name", 80) or "").strip() or record["name"]
    staff = await request.app[K.STAFF].update_profile(record["id"], changes)
    return ok(staff=staff)


# --- accounts -------------------------------------------------------------------------
@json_api
async def list_staff(request: web.Request) -> web.StreamResponse:
    await staff_for_read(request, "admin")
    items = [{**public_staff(r), "created_at": r.get("created_at")} for r in await request.app[K.DURABLE].list_staff()]
    items.sort(key=lambda i: i["username"])
    return ok(items=items)


@json_api
async def create_staff(request: web.Request) -> web.StreamResponse:
    admin = await staff_for_change(request, "admin")
    data = await read_json(request)
    _only(data, {"username", "name", "role", "password", "locale", "languages"})
    role = data.get("role", "operator")
    locale = data.get("locale", "sv")
    if role not in ROLES or not i18n.is_supported(locale):
        raise ServiceError("invalid", MSG_INVALID)
    languages = _languages(data["languages"]) if "languages" in data else [locale]
    username = _str(data, "username", 64) or ""
    try:
        staff, secret = await request.app[K.STAFF].create(
            username,
            _str(data, "name", 80) or "",
            role,
            _str(data, "password", 1024) or "",
            None,
            locale,
            languages,
            actor=admin["id"],
        )
    except Conflict as exc:
        raise ServiceError("conflict", MSG_TAKEN) from exc
    except WeakPassword as exc:
        raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
    except ValueError as exc:
        raise ServiceError("invalid", MSG_BAD_USERNAME) from exc
    return ok(staff=staff, enrolment=enrolment(secret, staff["username"]))


async def _target(request: web.Request) -> dict[str, Any]:
    record = await request.app[K.DURABLE].get_staff(request.match_info["staff_id"])
    if record is None:
        raise ServiceError("not_found", MSG_INVALID)
    return record


@json_api
async def update_staff(request: web.Request) -> web.StreamResponse:
    admin = await staff_for_change(request, "admin")
    target = await _target(request)
    data = await read_json(request)
    _only(data, {"role", "name", "disabled", "languages", "locale"})
    service = request.app[K.STAFF]
    if target["id"] == admin["id"] and (data.get("disabled") or data.get("role", "admin") != "admin"):
        # An admin cannot lock themselves out (and leave nobody to fix it).
        raise ServiceError("conflict", MSG_FORBIDDEN)
    if "role" in data and data["role"] != target["role"]:
        if data["role"] not in ROLES:
            raise ServiceError("invalid", MSG_INVALID)
        await service.set_role(target["id"], data["role"], actor=admin["id"])
    if "disabled" in data:
        if not isinstance(data["disabled"], bool):
            raise ServiceError("invalid", MSG_INVALID)
        if data["disabled"] != bool(target.get("disabled")):
            await service.set_disabled(target["id"], data["disabled"], actor=admin["id"])
    profile: dict[str, Any] = {}
    if "name" in data:
        profile["name"] = (_str(data, "name", 80) or "").strip() or target["name"]
    if "languages" in data:
        profile["languages"] = _languages(data["languages"])
    if "locale" in data:
        if not i18n.is_supported(data["locale"]):
            raise ServiceError("invalid", MSG_INVALID)
        profile["locale"] = data["locale"]
    if profile:
        await service.update_profile(target["id"], profile)
        await request.app[K.AUDIT].record(admin["id"], "staff_update", target["id"], fields=sorted(profile))
    return ok(staff=public_staff(await request.app[K.DURABLE].get_staff(target["id"]) or target))


@json_api
async def reset_password(request: web.Request) -> web.StreamResponse:
    admin = await staff_for_change(request, "admin")
    target = await _target(request)
    data = await read_json(request)
    _only(data, {"password"})
    try:
        await request.app[K.STAFF].set_password(target["id"], _str(data, "password", 1024) or "", actor=admin["id"])
    except ValueError as exc:
        raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
    return ok()


@json_api
async def reset_totp(request: web.Request) -> web.StreamResponse:
    admin = await staff_for_change(request, "admin")
    target = await _target(request)
    secret = await request.app[K.STAFF].reset_totp(target["id"], actor=admin["id"])
    return ok(enrolment=enrolment(secret, target["username"]))


# --- opening hours --------------------------------------------------------------------
def _ranges(value: Any) -> list[list[str]]:
    if not isinstance(value, list) or len(value) > 6:
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    out = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and HHMM.match(p) for p in pair)):
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        if pair[0] >= pair[1]:
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        out.append([pair[0], pair[1]])
    return sorted(out)


def validate_hours(data: dict[str, Any]) -> dict[str, Any]:
    """The hours document (format in services/hours.py), strictly checked."""
    _only(data, {"weekly", "exceptions", "closed_on_holidays", "last_call_min"})
    weekly = data.get("weekly") or {}
    exceptions = data.get("exceptions") or {}
    if not isinstance(weekly, dict) or not isinstance(exceptions, dict) or len(exceptions) > 400:
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    doc: dict[str, Any] = {"weekly": {}, "exceptions": {}}
    for day, ranges in weekly.items():
        if day not in {str(d) for d in range(7)}:
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        if ranges:
            doc["weekly"][day] = _ranges(ranges)
    for day, ranges in exceptions.items():
        if not (isinstance(day, str) and DAY.match(day)):
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError as exc:
            raise ServiceError("invalid", MSG_HOURS_INVALID) from exc
        doc["exceptions"][day] = _ranges(ranges)
    holidays = data.get("closed_on_holidays", True)
    last_call = data.get("last_call_min", 10)
    if (
        not isinstance(holidays, bool)
        or not isinstance(last_call, int)
        or isinstance(last_call, bool)
        or not 0 <= last_call <= 120
    ):
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    doc["closed_on_holidays"] = holidays
    doc["last_call_min"] = last_call
    return doc


async def _hours_answer(request: web.Request) -> web.Response:
    hours = request.app[K.HOURS]
    schedule = await hours.schedule()
    raw = schedule.raw or {}
    return ok(
        hours={
            "weekly": raw.get("weekly") or {},
            "exceptions": raw.get("exceptions") or {},
            "closed_on_holidays": bool(raw.get("closed_on_holidays", True)),
            "last_call_min": int(raw.get("last_call_min", 10)),
        },
        status=await hours.payload(datetime.now(UTC)),
    )


@json_api
async def get_hours(request: web.Request) -> web.StreamResponse:
    await staff_for_read(request)
    return await _hours_answer(request)


@json_api
async def put_hours(request: web.Request) -> web.StreamResponse:
    admin = await staff_for_change(request, "admin")
    doc = validate_hours(await read_json(request))
    await request.app[K.HOURS].set_schedule(doc)
    await request.app[K.AUDIT].record(admin["id"], "hours_update", "hours")
    return await _hours_answer(request)


# --- canned responses -----------------------------------------------------------------
@json_api
async def get_canned(request: web.Request) -> web.StreamResponse:
    await staff_for_read(request)
    return ok(locales=await request.app[CANNED].all())


@json_api
async def put_canned(request: web.Request) -> web.StreamResponse:
    admin = await staff_for_change(request, "admin")
    locale = request.match_info["locale"]
    data = await read_json(request)
    _only(data, {"items"})
    items = await request.app[CANNED].set_locale(locale, data.get("items"))
    await request.app[K.AUDIT].record(admin["id"], "canned_update", locale, count=len(items))
    return ok(items=items)


# --- audit log ------------------------------------------------------------------------
@json_api
async def get_audit(request: web.Request) -> web.StreamResponse:
    await staff_for_read(request, "admin")
    before = request.query.get("before")
    before_ts = int(before) if before and before.isdigit() else None
    entries = await request.app[K.AUDIT].recent(100, before_ts)
    names = {r["id"]: r["username"] for r in await request.app[K.DURABLE].list_staff()}
    items = [
        {
            **e,
            "actor_name": names.get(e.get("actor") or ""),
            "target_name": names.get(e.get("target") or ""),
        }
        for e in entries
    ]
    return ok(items=items)


# --- wiring ---------------------------------------------------------------------------
def attach_console(app: web.Application) -> None:
    """Create the console services and hand them to the /operator namespace."""
    conversations = app[K.CONVERSATIONS]
    app[FIRST_RUN] = FirstRun(app[K.DURABLE], app[K.KEYRING], app[K.STAFF], app[K.SETTINGS].setup_token_s)
    app[CANNED] = canned = Canned(app[K.DURABLE], app[K.CATALOGS])
    app[SUPERVISION] = supervision = Supervision(conversations, app[K.DURABLE], app[K.SETTINGS])
    handlers = app[K.SIO].namespace_handlers
    operator_ns = handlers.get(OPERATOR_NS)
    visitor_ns = handlers.get(VISITOR_NS)

    async def address_key_of(conv: dict[str, Any]) -> str | None:
        # The visitor namespace keeps sid -> HMAC(address) in memory only; the key is
        # usable while the visitor is connected to this node.
        addr = getattr(visitor_ns, "_addr", {})
        return addr.get(conv.get("visitor_sid") or "")

    if operator_ns is not None:
        operator_ns.supervision = supervision
        operator_ns.canned = canned
        operator_ns.address_key_of = address_key_of


async def _alerts(app: web.Application) -> AsyncIterator[None]:
    """Alert supervisors about urgent chats that wait too long."""
    supervision = app[SUPERVISION]
    interval = max(0.2, min(5.0, app[K.SETTINGS].sweep_interval_s))

    async def step() -> None:
        try:
            await supervision.alert_sweep()
        except Exception:  # noqa: BLE001 - keep watching whatever happens
            log.exception("urgent alert sweep failed")

    async with periodic("urgent-alerts", interval, step):
        yield


def setup_routes(app: web.Application) -> None:
    attach_console(app)
    app.on_startup.append(_announce_setup)
    app.cleanup_ctx.append(_alerts)
    r = app.router
    r.add_post("/api/setup/begin", setup_begin)
    r.add_post("/api/setup/complete", setup_complete)
    r.add_patch("/api/me", patch_me)
    r.add_get("/api/admin/staff", list_staff)
    r.add_post("/api/admin/staff", create_staff)
    r.add_patch("/api/admin/staff/{staff_id:[A-Za-z0-9_-]{1,64}}", update_staff)
    r.add_post("/api/admin/staff/{staff_id:[A-Za-z0-9_-]{1,64}}/password", reset_password)
    r.add_post("/api/admin/staff/{staff_id:[A-Za-z0-9_-]{1,64}}/totp", reset_totp)
    r.add_get("/api/hours", get_hours)
    r.add_put("/api/admin/hours", put_hours)
    r.add_get("/api/canned", get_canned)
    r.add_put("/api/admin/canned/{locale:[a-z]{2,3}}", put_canned)
    r.add_get("/api/admin/audit", get_audit)
