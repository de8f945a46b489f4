"""Console HTTP API of the centres (issue 19): the centres a person works in (the
console's centre picker) and the national admin's screens (create, rename, set county
and municipalities, overflow, assign staff). Each handler parses, authorises, calls one service
and answers; the rules live in services/centres.py and services/centre_staff.py.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ..services.centre_domain import DEFAULT_OVERFLOW_WAIT_S, Centre, overflow_order, public_centre
from ..services.centres import CentreChanges, NewCentre, check_national_admin
from . import keys as K
from . import validation as v
from .api import json_api, ok, read_json


def _names(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(n, str) for n in value.values()):
        raise v.invalid("names must be an object of strings")
    return dict(value)


def _codes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > 400 or not all(isinstance(c, str) for c in value):
        raise v.invalid("municipalities must be a list of codes")
    return tuple(value)


def _origins(value: Any) -> tuple[str, ...] | None:
    """Shape only; the rules (https, no path) are services/origins.py's."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 1000:
        raise v.invalid("origins must be a list of website addresses")
    return tuple(value)


def _overflow(value: Any) -> tuple[str, ...]:
    """Shape only (a list of at most 100 strings); the rules are services/centres.py's."""
    if not isinstance(value, list) or len(value) > 100 or not all(isinstance(c, str) for c in value):
        raise v.invalid("overflow must be a list of centre ids")
    return tuple(value)


def _overflow_names(centres: list[Centre], shown: list[Centre], locale: str) -> dict[str, str]:
    """The names (in ``locale``) of the centres in the overflow orders of ``shown``: the
    console shows the order by name. Visitors are shown these names too."""
    wanted = {c for centre in shown for c in overflow_order(centre)}
    return {c.id: c.name(locale) for c in centres if c.id in wanted}


@json_api
async def my_centres(request: web.Request) -> web.StreamResponse:
    """GET /api/centres: the centres the person works in with their role there (a
    national admin: every centre, role null where they have none)."""
    staff = await request.app[K.GUARD].require_staff(request)
    service = request.app[K.SERVICES].centres
    centres = await service.visible_to(staff)
    items = [{**public_centre(c, staff.locale), "role": staff.role_in(c.id)} for c in centres]
    return ok(
        items=items,
        national_admin=staff.national_admin,
        overflow_names=_overflow_names(await service.all(), centres, staff.locale),
        overflow_wait_default_s=DEFAULT_OVERFLOW_WAIT_S,
    )


@json_api
async def list_centres(request: web.Request) -> web.StreamResponse:
    """GET /api/admin/centres: every centre with its extra fields (national admins)."""
    staff = await request.app[K.GUARD].require_staff(request)
    check_national_admin(staff)
    centres = await request.app[K.SERVICES].centres.all()
    return ok(
        items=[{**c.extra, **public_centre(c, staff.locale)} for c in centres],
        overflow_wait_default_s=DEFAULT_OVERFLOW_WAIT_S,
    )


@json_api
async def create_centre(request: web.Request) -> web.StreamResponse:
    """POST /api/admin/centres: a new centre (national admins)."""
    staff = await request.app[K.GUARD].require_staff(request, write=True)
    data = await read_json(request, v.NEW_CENTRE)
    new = NewCentre(
        id=data["id"],
        names=_names(data["names"]),
        county=data.get("county"),
        municipalities=_codes(data.get("municipalities") or []),
        audience=data.get("audience", "all"),
        origins=_origins(data.get("origins")),
    )
    centre = await request.app[K.SERVICES].centres.do_create_centre(staff, new)
    return ok(centre=public_centre(centre, staff.locale))


@json_api
async def update_centre(request: web.Request) -> web.StreamResponse:
    """PATCH /api/admin/centres/{centre}: names, county, municipalities, audience,
    state, the host sites that may embed its widget, the overflow order (national
    admins); the overflow threshold (national admins and the centre's own admins)."""
    staff = await request.app[K.GUARD].require_staff(request, write=True)
    data = await read_json(request, v.CENTRE_CHANGES)
    changes = CentreChanges(
        names=_names(data["names"]) if "names" in data else None,
        county=data.get("county"),
        clear_county="county" in data and data["county"] is None,
        municipalities=_codes(data["municipalities"]) if "municipalities" in data else None,
        audience=data.get("audience"),
        disabled=data.get("disabled"),
        origins=_origins(data.get("origins")),
        clear_origins="origins" in data and data["origins"] is None,
        overflow=_overflow(data["overflow"]) if "overflow" in data else None,
        overflow_wait_s=data.get("overflow_wait_s"),
        clear_overflow_wait_s="overflow_wait_s" in data and data["overflow_wait_s"] is None,
    )
    centre = await request.app[K.SERVICES].centres.do_update_centre(staff, request.match_info["centre"], changes)
    return ok(centre=public_centre(centre, staff.locale))


@json_api
async def set_membership(request: web.Request) -> web.StreamResponse:
    """PUT /api/admin/centres/{centre}/staff/{staff_id} ``{role}``: their role in the
    centre, or with ``null`` take them out of it (national admins)."""
    staff = await request.app[K.GUARD].require_staff(request, write=True)
    data = await read_json(request, v.MEMBERSHIP)
    account = await request.app[K.SERVICES].centre_staff.do_set_membership(
        staff, request.match_info["centre"], request.match_info["staff_id"], data["role"]
    )
    return ok(staff=account)


@json_api
async def set_national_admin(request: web.Request) -> web.StreamResponse:
    """PUT /api/admin/staff/{staff_id}/national-admin ``{national_admin}`` (national admins)."""
    staff = await request.app[K.GUARD].require_staff(request, write=True)
    data = await read_json(request, v.NATIONAL_ADMIN)
    account = await request.app[K.SERVICES].centre_staff.do_set_national_admin(
        staff, request.match_info["staff_id"], data["national_admin"]
    )
    return ok(staff=account)


def for_named_centre(handler: Handler) -> Handler:
    """``handler`` under ``/api/centres/{centre}/…``: ``not_found`` (404) when no such
    centre exists, before anything else. Without it a national admin, for whom every
    centre id passes the rights check, would write hours, accounts or a directory for a
    centre that is not there (security review)."""

    @json_api
    async def run(request: web.Request) -> web.StreamResponse:
        await request.app[K.SERVICES].centres.check_centre(request.match_info["centre"])
        return await handler(request)

    return run
