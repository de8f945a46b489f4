"""HTTP API handlers for the RC features: the referral directory, the triage form's
options and aggregate statistics (JSON for the dashboard, CSV for export).

Every route needs a staff session; editing and statistics need a coordinator role
(supervisor or admin); every state change needs the CSRF header.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from ..services import triage as triage_rules
from ..services.errors import MSG_INVALID, ServiceError
from ..services.roles import SUPERVISORS
from ..services.stats import GROUPS, TZ
from ..services.stats_labels import StatsLabels, stats_labels
from . import keys as K
from .api import json_api, ok, read_json


# --- referral directory ----------------------------------------------------------------
@json_api
async def list_referrals(request: web.Request) -> web.StreamResponse:
    """GET /api/referrals: the directory for the console (any staff)."""
    staff = await request.app[K.GUARD].require_staff(request)
    return ok(**await request.app[K.SERVICES].referrals.listing(_reading(request, staff.locale)))


@json_api
async def put_referral(request: web.Request) -> web.StreamResponse:
    """PUT /api/admin/referrals/{id}: create or replace a receiver (supervisors, admins)."""
    staff = await request.app[K.GUARD].require_staff(request, roles=SUPERVISORS, write=True)
    # The receiver document is checked by the directory (services/referrals.py).
    body = await read_json(request)
    receiver = await request.app[K.SERVICES].referrals.do_put(staff, request.match_info["id"], body)
    return ok(receiver=receiver)


@json_api
async def delete_referral(request: web.Request) -> web.StreamResponse:
    """DELETE /api/admin/referrals/{id}: remove a receiver (supervisors, admins)."""
    staff = await request.app[K.GUARD].require_staff(request, roles=SUPERVISORS, write=True)
    await request.app[K.SERVICES].referrals.do_delete(staff, request.match_info["id"])
    return ok()


# --- triage form -------------------------------------------------------------------------
@json_api
async def triage_schema(request: web.Request) -> web.StreamResponse:
    """The options of the end-of-chat form, labelled in the staff member's locale."""
    staff = await request.app[K.GUARD].require_staff(request)
    return ok(triage=triage_rules.schema_for(staff.locale, request.app[K.CATALOGS]))


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


def _reading(request: web.Request, locale: str) -> str:
    """The language the console shows now (the console sends it as Accept-Language, one
    catalog's exact code), else the staff member's saved language."""
    asked = (request.headers.get("Accept-Language") or "").split(",")[0].strip()
    return asked if asked and request.app[K.CATALOGS].has(asked) else locale


def _labels(request: web.Request, locale: str) -> StatsLabels:
    catalogs = request.app[K.CATALOGS]
    return stats_labels(_reading(request, locale), catalogs, catalogs.language_label)


@json_api
async def stats_json(request: web.Request) -> web.StreamResponse:
    """GET /api/stats: suppressed counts per fixed period, with their words in the staff
    member's language (supervisors, admins)."""
    staff = await request.app[K.GUARD].require_staff(request, roles=SUPERVISORS)
    first, last, group = _range(request)
    report = await request.app[K.SERVICES].stats.report(first, last, group)
    return ok(**report.as_json(), labels=_labels(request, staff.locale))


@json_api
async def stats_csv(request: web.Request) -> web.StreamResponse:
    """GET /api/stats.csv: the same as CSV, codes and words (supervisors, admins)."""
    staff = await request.app[K.GUARD].require_staff(request, roles=SUPERVISORS)
    first, last, group = _range(request)
    report = await request.app[K.SERVICES].stats.report(first, last, group)
    name = f"rc-stats-{report.first.isoformat()}-{report.last.isoformat()}-{group}.csv"
    return web.Response(
        text=report.as_csv(_labels(request, staff.locale)),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
