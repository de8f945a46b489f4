"""HTTP API handlers for the RC features: the referral directory, the triage form's
options and aggregate statistics (JSON for the dashboard, CSV for export).

Every route needs a staff session and acts on one centre (issue 19): the one in its
path, else the person's own. Reading needs a role in the centre; editing and
statistics need a coordinator role there (supervisor or admin) or a national admin;
national receivers and the national statistics are the national admins'. Every
state change needs the CSRF header.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from ..services import triage as triage_rules
from ..services.centres import check_national_admin, check_staff_in_centre, resolve_centre
from ..services.domain import Staff
from ..services.errors import MSG_INVALID, ServiceError
from ..services.roles import SUPERVISORS
from ..services.stats import GROUPS, TZ
from ..services.stats_labels import StatsLabels, stats_labels
from . import keys as K
from .api import json_api, ok, read_json


# --- referral directory ----------------------------------------------------------------
# Each route exists twice: under ``/api/centres/{centre}/…`` for the centre named, and at
# its path from before centres for the person's own centre (services/centres.resolve_centre).
@json_api
async def list_referrals(request: web.Request) -> web.StreamResponse:
    """GET /api/referrals: the centre's directory for the console (its staff)."""
    staff = await request.app[K.GUARD].require_staff(request)
    centre = resolve_centre(staff, request.match_info.get("centre"))
    referrals = request.app[K.SERVICES].referrals
    return ok(**await referrals.listing(staff, _reading(request, staff.locale), centre))


@json_api
async def put_referral(request: web.Request) -> web.StreamResponse:
    """PUT /api/admin/referrals/{id}: create or replace a receiver of the centre (its
    supervisors and admins) or a national one (national admins)."""
    staff = await request.app[K.GUARD].require_staff(request, write=True)
    # The receiver document is checked by the directory (services/referrals.py).
    body = await read_json(request)
    receiver = await request.app[K.SERVICES].referrals.do_put(
        staff, request.match_info.get("centre"), request.match_info["id"], body
    )
    return ok(receiver=receiver)


@json_api
async def delete_referral(request: web.Request) -> web.StreamResponse:
    """DELETE /api/admin/referrals/{id}: remove a receiver (rights as for PUT)."""
    staff = await request.app[K.GUARD].require_staff(request, write=True)
    await request.app[K.SERVICES].referrals.do_delete(staff, request.match_info.get("centre"), request.match_info["id"])
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
    except (ValueError, OverflowError) as exc:  # not a date, or a range before year 1
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


def _stats_centre(request: web.Request, staff: Staff) -> str | None:
    """The centre whose statistics a request reads: the one in its path, else the
    person's own; ``scope=all`` (national admins, old path only): every centre, summed
    before suppression (services/stats.Stats.report). Supervisors and admins of the
    centre, or a national admin; ``forbidden`` otherwise."""
    if request.query.get("scope") == "all" and "centre" not in request.match_info:
        check_national_admin(staff)
        return None
    centre = resolve_centre(staff, request.match_info.get("centre"))
    if not staff.national_admin:
        check_staff_in_centre(staff, centre, SUPERVISORS)
    return centre


@json_api
async def stats_json(request: web.Request) -> web.StreamResponse:
    """GET /api/stats: the centre's suppressed counts per fixed period, with their words
    in the staff member's language (its supervisors and admins; ``scope=all``: the
    national view)."""
    staff = await request.app[K.GUARD].require_staff(request)
    centre = _stats_centre(request, staff)
    first, last, group = _range(request)
    report = await request.app[K.SERVICES].stats.report(first, last, group, centre)
    return ok(**report.as_json(), centre=centre, labels=_labels(request, staff.locale))


@json_api
async def stats_csv(request: web.Request) -> web.StreamResponse:
    """GET /api/stats.csv: the same as CSV, codes and words."""
    staff = await request.app[K.GUARD].require_staff(request)
    centre = _stats_centre(request, staff)
    first, last, group = _range(request)
    report = await request.app[K.SERVICES].stats.report(first, last, group, centre)
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
