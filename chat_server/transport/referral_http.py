"""HTTP API for the RC features: the referral directory, the triage form's options
and aggregate statistics (JSON for the dashboard, CSV for export).

Every route needs a staff session; editing and statistics need a coordinator role
(supervisor or admin); every state change needs the CSRF header.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from .. import i18n
from ..services import triage as triage_rules
from ..services.errors import MSG_FORBIDDEN, MSG_INVALID, MSG_NOT_FOUND, ServiceError
from ..services.referrals import CHANNELS, TEXTS, TYPE_LABELS, TYPES, InvalidReceiver
from ..services.stats import GROUPS, TZ
from . import keys as K
from .http import check_csrf, current_staff, json_api, read_json
from .operator_referral_events import REFERRALS

COORDINATORS = {"supervisor", "admin"}


async def _staff(request: web.Request, roles: set[str] | None = None, write: bool = False) -> dict[str, Any]:
    record, csrf, _ = await current_staff(request)
    if write:
        check_csrf(request, csrf)
    if roles and record["role"] not in roles:
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    return record


def _t(request: web.Request, locale: str, msgid: str) -> str:
    return str(request.app[K.CATALOGS](locale, msgid))


# --- referral directory ----------------------------------------------------------------
@json_api
async def list_referrals(request: web.Request) -> web.StreamResponse:
    record = await _staff(request)
    locale = record.get("locale", "sv")
    receivers = await request.app[REFERRALS].all()
    return web.json_response(
        {
            "ok": True,
            "receivers": receivers,
            "types": [{"id": t, "label": _t(request, locale, TYPE_LABELS[t])} for t in TYPES],
            "texts": sorted(TEXTS),
            "channels": list(CHANNELS),
        }
    )


@json_api
async def put_referral(request: web.Request) -> web.StreamResponse:
    record = await _staff(request, COORDINATORS, write=True)
    body = await read_json(request)
    if body.get("id", request.match_info["id"]) != request.match_info["id"]:
        raise ServiceError("invalid", MSG_INVALID)
    body["id"] = request.match_info["id"]
    try:
        receiver = await request.app[REFERRALS].put(body)
    except InvalidReceiver as exc:
        return web.json_response(
            {
                "ok": False,
                "error": {
                    "code": "invalid",
                    "message": _t(request, record.get("locale", "sv"), MSG_INVALID),
                    "field": str(exc),
                },
            },
            status=400,
        )
    await request.app[K.AUDIT].record(record["id"], "referral_directory_update", receiver["id"], op="put")
    return web.json_response({"ok": True, "receiver": receiver})


@json_api
async def delete_referral(request: web.Request) -> web.StreamResponse:
    record = await _staff(request, COORDINATORS, write=True)
    if not await request.app[REFERRALS].delete(request.match_info["id"]):
        raise ServiceError("not_found", MSG_NOT_FOUND)
    await request.app[K.AUDIT].record(record["id"], "referral_directory_update", request.match_info["id"], op="delete")
    return web.json_response({"ok": True})


# --- triage form -------------------------------------------------------------------------
@json_api
async def triage_schema(request: web.Request) -> web.StreamResponse:
    """The options of the end-of-chat form, labelled in the staff member's locale."""
    record = await _staff(request)
    locale = record.get("locale", "sv")

    def label(value: str, audience: bool = False) -> str:
        if audience and value == "other":
            return _t(request, locale, triage_rules.AUDIENCE_OTHER_LABEL)
        msgid = triage_rules.LABELS.get(value)
        return _t(request, locale, msgid) if msgid else value

    schema = dict(triage_rules.SCHEMA)
    schema["labels"] = {
        "categories": {c: label(c) for c in triage_rules.CATEGORIES},
        "audiences": {a: label(a, audience=True) for a in triage_rules.AUDIENCES},
        "age_bands": {a: label(a) for a in triage_rules.AGE_BANDS},
        "genders": {g: label(g) for g in triage_rules.GENDERS},
        "risks": {r: label(r) for r in triage_rules.RISKS},
        "actions": {a: label(a) for a in triage_rules.ACTIONS},
    }
    schema["languages"] = [{"code": lang.code, "name": lang.name} for lang in i18n.LANGUAGES]
    schema["report_duty_text"] = _t(request, locale, triage_rules.REPORT_DUTY_TEXT)
    return web.json_response({"ok": True, "triage": schema})


# --- statistics --------------------------------------------------------------------------
def _range(request: web.Request) -> tuple[date, date, str]:
    today = datetime.now(TZ).date()
    try:
        last = date.fromisoformat(request.query.get("to") or today.isoformat())
        first = date.fromisoformat(request.query.get("from") or (last - timedelta(days=89)).isoformat())
    except ValueError as exc:
        raise ServiceError("invalid", MSG_INVALID) from exc
    group = request.query.get("group", "month")
    if group not in GROUPS or last < first or (last - first).days > 3 * 366:
        raise ServiceError("invalid", MSG_INVALID)
    return first, last, group


@json_api
async def stats_json(request: web.Request) -> web.StreamResponse:
    await _staff(request, COORDINATORS)
    first, last, group = _range(request)
    report = await request.app[K.STATS].report(first, last, group)
    return web.json_response({"ok": True, **report.as_json()})


@json_api
async def stats_csv(request: web.Request) -> web.StreamResponse:
    await _staff(request, COORDINATORS)
    first, last, group = _range(request)
    report = await request.app[K.STATS].report(first, last, group)
    name = f"rc-stats-{report.first.isoformat()}-{report.last.isoformat()}-{group}.csv"
    return web.Response(
        text=report.as_csv(),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/referrals", list_referrals)
    r.add_put("/api/admin/referrals/{id:[a-z0-9][a-z0-9-]{1,63}}", put_referral)
    r.add_delete("/api/admin/referrals/{id:[a-z0-9][a-z0-9-]{1,63}}", delete_referral)
    r.add_get("/api/triage", triage_schema)
    r.add_get("/api/stats", stats_json)
    r.add_get("/api/stats.csv", stats_csv)
