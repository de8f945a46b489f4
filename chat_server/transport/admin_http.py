"""Console HTTP API handlers: first-run setup, the staff member's own profile, and the
admin screens (accounts, opening hours, canned responses, audit log) of one centre.

Every state-changing request needs a live staff session and the CSRF header (except
the first-run setup, which is authorised by its single-use token instead). Each admin
route exists twice: under ``/api/centres/{centre}/…`` for the centre named, and at its
path from before centres (``/api/admin/…``) for the person's only centre, or
``default`` (services/centres.resolve_centre). The service checks the role in that
centre (services/centres.py). Nothing here ever sees conversation content. Each
handler parses, authorises, calls one service and answers; the rules live in
services/admin.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web

from ..services.admin import KEEP, AccountChanges, NewAccount
from ..services.centres import check_staff_in_centre, resolve_centre
from ..services.domain import Staff
from ..services.errors import MSG_INVALID, ServiceError
from . import keys as K
from . import validation as v
from .api import json_api, ok, read_json
from .client_info import request_address_key
from .guard import check_same_origin

log = logging.getLogger(__name__)


def _centre(request: web.Request, staff: Staff) -> str:
    """The centre a request acts on: the one in its path, else the person's own."""
    return resolve_centre(staff, request.match_info.get("centre"))


def _tuple(value: list[str] | None) -> tuple[str, ...] | None:
    return tuple(value) if value is not None else None


def _audiences(value: Any) -> tuple[str, ...] | None:
    """A list of strings (the service checks which), or None when absent."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 4 or not all(isinstance(a, str) for a in value):
        raise v.invalid("audiences must be a list of strings")
    return tuple(value)


# --- first run --------------------------------------------------------------------------
async def _setup_body(request: web.Request, schema: dict[str, v.F]) -> dict[str, Any]:
    check_same_origin(request)
    key = request_address_key(request, request.app[K.SETTINGS].trust_proxy, request.app[K.HASHER])
    await request.app[K.SERVICES].first_run.check_attempt(key)
    return await read_json(request, schema)


@json_api
async def setup_begin(request: web.Request) -> web.StreamResponse:
    """POST /api/setup/begin: the TOTP enrolment for the first admin (single-use token)."""
    data = await _setup_body(request, v.SETUP_BEGIN)
    first_run = request.app[K.SERVICES].first_run
    return ok(enrolment=await first_run.begin(data.get("token"), data.get("username") or "admin"))


@json_api
async def setup_complete(request: web.Request) -> web.StreamResponse:
    """POST /api/setup/complete: the first admin account, once the code proves the enrolment."""
    data = await _setup_body(request, v.SETUP_COMPLETE)
    staff = await request.app[K.SERVICES].first_run.complete(
        data.get("token"), data["username"], data["name"], data["password"], data["totp"], data.get("locale") or "sv"
    )
    return ok(staff=staff)


async def announce_setup(app: web.Application) -> None:
    """At start, while no admin exists: print the single-use setup link."""
    token = await app[K.SERVICES].first_run.issue_token()
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
    """PATCH /api/me: one's own name, locale or languages."""
    me = await request.app[K.GUARD].require_staff(request, write=True)
    data = await read_json(request, v.OWN_PROFILE)
    staff = await request.app[K.SERVICES].admin.do_update_own_profile(
        me, data.get("name"), data.get("locale"), _tuple(data.get("languages"))
    )
    return ok(staff=staff)


# --- accounts -------------------------------------------------------------------------
@json_api
async def list_staff(request: web.Request) -> web.StreamResponse:
    """GET /api/admin/staff: the accounts of the centre (its admins, national admins)."""
    admin = await request.app[K.GUARD].require_staff(request)
    return ok(items=await request.app[K.SERVICES].admin.accounts(admin, _centre(request, admin)))


@json_api
async def create_staff(request: web.Request) -> web.StreamResponse:
    """POST /api/admin/staff: a new account in the centre and its TOTP enrolment."""
    admin = await request.app[K.GUARD].require_staff(request, write=True)
    centre = _centre(request, admin)
    data = await read_json(request, v.NEW_ACCOUNT)
    new = NewAccount(
        username=data["username"],
        name=data["name"],
        password=data["password"],
        role=data.get("role", "operator"),
        locale=data.get("locale", "sv"),
        languages=_tuple(data.get("languages")),
        audiences=_audiences(data.get("audiences")),
        max_chats=data.get("max_chats"),
    )
    staff, enrolment = await request.app[K.SERVICES].admin.do_create_account(admin, new, centre)
    return ok(staff=staff, enrolment=enrolment)


@json_api
async def update_staff(request: web.Request) -> web.StreamResponse:
    """PATCH /api/admin/staff/{id}: role in the centre, state or profile (not one's own lock-out)."""
    admin = await request.app[K.GUARD].require_staff(request, write=True)
    centre = _centre(request, admin)
    data = await read_json(request, v.ACCOUNT_CHANGES)
    changes = AccountChanges(
        role=data.get("role"),
        disabled=data.get("disabled"),
        name=data.get("name"),
        languages=_tuple(data.get("languages")),
        locale=data.get("locale"),
        audiences=_audiences(data.get("audiences")),
        max_chats=data["max_chats"] if "max_chats" in data else KEEP,
    )
    staff = await request.app[K.SERVICES].admin.do_update_account(
        admin, request.match_info["staff_id"], changes, centre
    )
    return ok(staff=staff)


@json_api
async def reset_password(request: web.Request) -> web.StreamResponse:
    """POST /api/admin/staff/{id}/password: a new password; their sessions end."""
    admin = await request.app[K.GUARD].require_staff(request, write=True)
    centre = _centre(request, admin)
    data = await read_json(request, v.NEW_PASSWORD)
    await request.app[K.SERVICES].admin.do_reset_password(
        admin, request.match_info["staff_id"], data["password"], centre
    )
    return ok()


@json_api
async def reset_totp(request: web.Request) -> web.StreamResponse:
    """POST /api/admin/staff/{id}/totp: a new TOTP secret to enrol."""
    admin = await request.app[K.GUARD].require_staff(request, write=True)
    centre = _centre(request, admin)
    enrolment = await request.app[K.SERVICES].admin.do_reset_totp(admin, request.match_info["staff_id"], centre)
    return ok(enrolment=enrolment)


# --- opening hours --------------------------------------------------------------------
def _member_or_national(staff: Staff, centre: str) -> None:
    if not staff.national_admin:
        check_staff_in_centre(staff, centre)


@json_api
async def get_hours(request: web.Request) -> web.StreamResponse:
    """GET /api/hours: the centre's stored opening hours and status now (its staff)."""
    staff = await request.app[K.GUARD].require_staff(request)
    centre = _centre(request, staff)
    _member_or_national(staff, centre)
    return ok(**await request.app[K.SERVICES].admin.hours_view(centre))


@json_api
async def put_hours(request: web.Request) -> web.StreamResponse:
    """PUT /api/admin/hours: replace the centre's opening hours (its admins)."""
    admin = await request.app[K.GUARD].require_staff(request, write=True)
    centre = _centre(request, admin)
    # The document's shape is the service's rule (services/admin.check_hours_document).
    return ok(**await request.app[K.SERVICES].admin.do_set_hours(admin, await read_json(request), centre))


# --- canned responses -----------------------------------------------------------------
@json_api
async def get_canned(request: web.Request) -> web.StreamResponse:
    """GET /api/canned: the centre's canned responses of every locale (its staff)."""
    staff = await request.app[K.GUARD].require_staff(request)
    centre = _centre(request, staff)
    _member_or_national(staff, centre)
    return ok(locales=await request.app[K.SERVICES].canned.all(centre))


@json_api
async def put_canned(request: web.Request) -> web.StreamResponse:
    """PUT /api/admin/canned/{locale}: replace one locale's canned responses (its admins)."""
    admin = await request.app[K.GUARD].require_staff(request, write=True)
    centre = _centre(request, admin)
    data = await read_json(request, v.CANNED_ITEMS)
    items = await request.app[K.SERVICES].admin.do_set_canned(
        admin, request.match_info["locale"], data.get("items"), centre
    )
    return ok(items=items)


# --- audit log ------------------------------------------------------------------------
@json_api
async def get_audit(request: web.Request) -> web.StreamResponse:
    """GET /api/admin/audit?before=ts: the newest 100 audit entries of the centre (its
    admins); ``scope=all`` (national admins, old path only): of every centre."""
    admin = await request.app[K.GUARD].require_staff(request)
    before = request.query.get("before")
    if before is not None and not re.fullmatch(r"[0-9]{1,15}", before):  # ms since the epoch
        raise ServiceError("invalid", MSG_INVALID)
    before_ts = int(before) if before else None
    everything = request.query.get("scope") == "all" and "centre" not in request.match_info
    centre = None if everything else _centre(request, admin)
    return ok(items=await request.app[K.SERVICES].admin.audit_log(admin, before_ts, centre))
