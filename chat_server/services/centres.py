"""The centres of the installation, and who may act in which (issue 19).

Module functions answer "may this staff member do this in that centre" from the
:class:`~chat_server.services.domain.Staff` value alone (its memberships come from the
account on every request, so a change applies at once): :func:`centres_of`,
:func:`check_staff_in_centre`, :func:`check_centre_admin`, :func:`check_national_admin`,
:func:`check_may_manage_account`, :func:`resolve_centre`. Every service that reads or
changes something of a centre calls one of them with the centre of the thing (a
conversation's ``centre``, the centre in the URL).

:class:`Centres` reads and changes the centre records (``check_*`` validate, ``do_*``
act; every change is audited).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..storage.base import Conflict, Durable
from .audit import Audit
from .centre_domain import (
    CENTRE_AUDIENCES,
    COUNTY_CODE,
    DEFAULT_CENTRE,
    DEFAULT_NAMES,
    MAX_MUNICIPALITIES,
    MAX_NAME,
    MAX_OVERFLOW,
    MUNICIPALITY_CODE,
    OVERFLOW_WAIT_RANGE_S,
    Centre,
    CentreAudience,
    is_centre_id,
    memberships,
)
from .domain import Role, Staff
from .errors import MSG_FORBIDDEN, MSG_INVALID, N_, ServiceError
from .origins import check_origins
from .roles import ADMINS, EVERYONE

MSG_UNKNOWN_CENTRE = N_("There is no such resource centre.")
MSG_CENTRE_TAKEN = N_("A resource centre with that id already exists.")
MSG_CHOOSE_CENTRE = N_("Choose a resource centre first.")
MSG_OVERFLOW_TOO_LONG = N_("At most 30 resource centres can be in the overflow order.")
MSG_OVERFLOW_REPEATED = N_("Each resource centre can be in the overflow order only once.")
MSG_OVERFLOW_ITSELF = N_("A resource centre cannot be in its own overflow order.")
MSG_OVERFLOW_UNKNOWN = N_("The overflow order names a resource centre that does not exist.")
MSG_OVERFLOW_WAIT = N_("The wait before other resource centres are offered must be 1 to 120 minutes.")


# --- who may act where -------------------------------------------------------------------
def centres_of(staff: Staff) -> tuple[str, ...]:
    """The ids of the centres ``staff`` belongs to, sorted (never empty). A national
    admin's membership is separate: managing centres gives no place in their work."""
    return tuple(sorted(staff.memberships))


def check_staff_in_centre(staff: Staff, centre_id: str, roles: Collection[Role] = EVERYONE) -> Role:
    """Their role in ``centre_id``; ``forbidden`` unless they belong to it with one of
    ``roles``. The check for conversations, queues and directories of a centre."""
    role = staff.role_in(centre_id)
    if role is None or role not in roles:
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    return role


def check_centre_admin(staff: Staff, centre_id: str) -> None:
    """``forbidden`` unless they are an admin of ``centre_id`` or a national admin (who
    administers every centre's accounts and settings, never its conversations)."""
    if not staff.national_admin:
        check_staff_in_centre(staff, centre_id, ADMINS)


def check_national_admin(staff: Staff) -> None:
    """``forbidden`` unless they manage centres (create, rename, assign staff)."""
    if not staff.national_admin:
        raise ServiceError("forbidden", MSG_FORBIDDEN)


def check_may_manage_account(admin: Staff, account: Mapping[str, Any]) -> None:
    """Account-wide changes (disable, password, TOTP, profile) reach every centre the
    account works in, so they need a national admin or an admin of each of them:
    ``forbidden`` otherwise. A national admin's account is changed only by a national
    admin."""
    if admin.national_admin:
        return
    if account.get("national_admin"):
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    for centre_id in memberships(account):
        check_staff_in_centre(admin, centre_id, ADMINS)


def resolve_centre(staff: Staff, requested: str | None) -> str:
    """The centre a request acts on: ``requested`` (checked for shape only; the caller
    checks the right), or for the endpoints from before centres the person's only
    centre, else ``default`` when they belong to it. ``invalid`` for a malformed id,
    ``conflict`` when the person has several centres and none is named."""
    if requested is not None:
        if not is_centre_id(requested):
            raise ServiceError("invalid", MSG_INVALID)
        return requested
    centres = staff.memberships
    if len(centres) == 1:
        return next(iter(centres))
    if DEFAULT_CENTRE in centres:
        return DEFAULT_CENTRE
    raise ServiceError("conflict", MSG_CHOOSE_CENTRE)


# --- the records ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NewCentre:
    """A centre to create (shapes checked by the transport; rules by :func:`check_new_centre`)."""

    id: str
    names: Mapping[str, str]
    county: str | None = None
    municipalities: tuple[str, ...] = ()
    audience: CentreAudience = "all"
    origins: tuple[str, ...] | None = None  # host sites that may embed its widget


@dataclass(frozen=True)
class CentreChanges:
    """Fields to change; None leaves one as it is."""

    names: Mapping[str, str] | None = None
    county: str | None = None
    clear_county: bool = False
    municipalities: tuple[str, ...] | None = None
    audience: CentreAudience | None = None
    disabled: bool | None = None
    origins: tuple[str, ...] | None = None
    clear_origins: bool = False  # back to "not set" (``default``: CHAT_ALLOWED_ORIGINS)
    overflow: tuple[str, ...] | None = None  # centre ids, in order (services/overflow.py)
    overflow_wait_s: int | None = None  # the threshold (s)
    clear_overflow_wait_s: bool = False  # back to the default (DEFAULT_OVERFLOW_WAIT_S)

    def only_overflow_wait(self) -> bool:
        """Whether the change touches the overflow threshold and nothing else (what a
        centre's own admins may change; the rest is a national admin's)."""
        return self == CentreChanges(
            overflow_wait_s=self.overflow_wait_s, clear_overflow_wait_s=self.clear_overflow_wait_s
        )


def check_names(names: Mapping[str, str], locales: Collection[str]) -> dict[str, str]:
    """Names per locale: ``sv`` required, known locales only, 1-120 characters each
    (trimmed). ``invalid`` otherwise."""
    clean = {loc: n.strip() for loc, n in names.items() if isinstance(n, str) and n.strip()}
    if "sv" not in clean or set(clean) - set(locales) or any(len(n) > MAX_NAME for n in clean.values()):
        raise ServiceError("invalid", MSG_INVALID, field="names")
    return clean


def check_area(county: str | None, municipalities: Collection[str], known: Mapping[str, str] | None) -> tuple[str, ...]:
    """The municipalities, sorted and unique: SCB codes (four digits), at most 400,
    each in ``county`` when one is given (the first two digits of a municipality code
    are its county's) and, when ``known`` (code -> name, data/municipalities.json) is
    given, a real one. ``invalid`` otherwise."""
    if county is not None and not COUNTY_CODE.match(county):
        raise ServiceError("invalid", MSG_INVALID, field="county")
    codes = tuple(sorted(set(municipalities)))
    if len(codes) > MAX_MUNICIPALITIES or not all(isinstance(c, str) and MUNICIPALITY_CODE.match(c) for c in codes):
        raise ServiceError("invalid", MSG_INVALID, field="municipalities")
    if county is not None and any(c[:2] != county for c in codes):
        raise ServiceError("invalid", MSG_INVALID, field="municipalities")
    if known is not None and any(c not in known for c in codes):
        raise ServiceError("invalid", MSG_INVALID, field="municipalities")
    return codes


def check_overflow_wait(seconds: int) -> int:
    """A threshold (s) within :data:`OVERFLOW_WAIT_RANGE_S`; ``invalid`` otherwise."""
    low, high = OVERFLOW_WAIT_RANGE_S
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not low <= seconds <= high:
        raise ServiceError("invalid", MSG_OVERFLOW_WAIT, field="overflow_wait_s")
    return seconds


def check_overflow(centre_id: str, order: Collection[str], known: Collection[str]) -> list[str]:
    """An overflow order for ``centre_id``: at most :data:`MAX_OVERFLOW` ids of centres in
    ``known``, each once, never the centre itself; the order is kept (it is the order in
    which visitors are offered them). ``invalid`` (with its own message) otherwise."""
    ids = list(order)
    if len(ids) > MAX_OVERFLOW:
        raise ServiceError("invalid", MSG_OVERFLOW_TOO_LONG, field="overflow")
    if len(set(ids)) != len(ids):
        raise ServiceError("invalid", MSG_OVERFLOW_REPEATED, field="overflow")
    if centre_id in ids:
        raise ServiceError("invalid", MSG_OVERFLOW_ITSELF, field="overflow")
    if any(not is_centre_id(c) or c not in known for c in ids):
        raise ServiceError("invalid", MSG_OVERFLOW_UNKNOWN, field="overflow")
    return ids


class Centres:
    """The centre records, read through a short cache (a visitor's ``start`` names its
    centre; other processes see a change within :attr:`reload_s`)."""

    reload_s = 10.0

    def __init__(
        self,
        durable: Durable,
        audit: Audit,
        locales: Collection[str],
        municipalities: Mapping[str, str] | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self._durable = durable
        self._audit = audit
        self._locales = tuple(locales)
        self._known = municipalities
        self._clock = clock
        self._cache: dict[str, Centre] = {}
        self._loaded = -1e18

    async def all(self) -> list[Centre]:
        """Every centre, by id (disabled ones too)."""
        if self._clock() - self._loaded > self.reload_s:
            self._cache = {r["id"]: Centre.from_record(r) for r in await self._durable.list_centres()}
            self._loaded = self._clock()
        return list(self._cache.values())

    def invalidate(self) -> None:
        """Read the records again at the next call (after a change)."""
        self._loaded = -1e18

    async def get(self, centre_id: str) -> Centre | None:
        """One centre, or None. ``default`` always exists: a store not migrated yet
        (services/centre_migration.py runs at start) gets it with its default names."""
        found = next((c for c in await self.all() if c.id == centre_id), None)
        if found is None and centre_id == DEFAULT_CENTRE:
            return Centre(DEFAULT_CENTRE, DEFAULT_NAMES)
        return found

    async def check_centre(self, centre_id: str, *, open_for_visitors: bool = False) -> Centre:
        """The centre; ``not_found`` when there is none (or, for a visitor's
        ``start``, when it is disabled)."""
        centre = await self.get(centre_id) if is_centre_id(centre_id) else None
        if centre is None or (open_for_visitors and centre.disabled):
            raise ServiceError("not_found", MSG_UNKNOWN_CENTRE)
        return centre

    async def visible_to(self, staff: Staff) -> list[Centre]:
        """The centres a staff member works in (a national admin: every centre)."""
        mine = set(staff.memberships)
        return [c for c in await self.all() if staff.national_admin or c.id in mine]

    def check_new_centre(self, new: NewCentre) -> Centre:
        """The centre to store; ``invalid`` for a bad id, names or area."""
        if not is_centre_id(new.id) or new.audience not in CENTRE_AUDIENCES:
            raise ServiceError("invalid", MSG_INVALID, field="id")
        return Centre(
            id=new.id,
            names=check_names(new.names, self._locales),
            county=new.county,
            municipalities=check_area(new.county, new.municipalities, self._known),
            audience=new.audience,
            created_at=int(time.time() * 1000),
            origins=None if new.origins is None else check_origins(new.origins),
        )

    async def do_create_centre(
        self, actor: Staff | None, new: NewCentre, extra: Mapping[str, Any] | None = None
    ) -> Centre:
        """Create a centre (national admins; ``actor`` None: the command line, which may
        also give ``extra`` fields such as the example data's ``verify`` and ``contact``).
        ``conflict`` when the id is taken, ``invalid``, ``forbidden``."""
        if actor is not None:
            check_national_admin(actor)
        centre = replace(self.check_new_centre(new), extra=dict(extra or {}))
        try:
            await self._durable.create_centre(centre.to_record())
        except Conflict as exc:
            raise ServiceError("conflict", MSG_CENTRE_TAKEN) from exc
        self.invalidate()
        await self._audit.record(actor.id if actor else None, "centre_create", centre.id, centres=[centre.id])
        return centre

    async def do_update_centre(self, actor: Staff | None, centre_id: str, changes: CentreChanges) -> Centre:
        """Rename a centre, set its county, municipalities, audience, state, the host
        sites that may embed its widget or its overflow order (national admins), or its
        overflow threshold (national admins and the centre's own admins: it decides when
        its own visitors are offered help elsewhere; the order is agreed between centres,
        docs/operations.md). Only the fields that change are written, over the record as
        stored now (not the cached one), so changes of other fields by another process
        are kept. Audited with the names of the fields changed. ``forbidden``,
        ``not_found``, ``invalid``."""
        if actor is not None:
            if changes.only_overflow_wait():
                check_centre_admin(actor, centre_id)
            else:
                check_national_admin(actor)
        fresh = await self._durable.get_centre(centre_id) if is_centre_id(centre_id) else None
        current = Centre.from_record(fresh) if fresh is not None else await self.check_centre(centre_id)
        county = None if changes.clear_county else (changes.county if changes.county is not None else current.county)
        municipalities = changes.municipalities if changes.municipalities is not None else current.municipalities
        if changes.audience is not None and changes.audience not in CENTRE_AUDIENCES:
            raise ServiceError("invalid", MSG_INVALID, field="audience")
        extra = dict(current.extra)
        if changes.overflow is not None:
            known = {r["id"] for r in await self._durable.list_centres()}
            order = check_overflow(centre_id, changes.overflow, known)
            if order or "overflow" in extra:  # an unchanged record stays the same record
                extra["overflow"] = order
        if changes.clear_overflow_wait_s:
            if "overflow_wait_s" in extra:  # a merge cannot delete a field; None is "not set"
                extra["overflow_wait_s"] = None
        elif changes.overflow_wait_s is not None:
            extra["overflow_wait_s"] = check_overflow_wait(changes.overflow_wait_s)
        updated = replace(
            current,
            names=check_names(changes.names, self._locales) if changes.names is not None else current.names,
            county=county,
            municipalities=check_area(county, municipalities, self._known),
            audience=changes.audience or current.audience,
            disabled=current.disabled if changes.disabled is None else changes.disabled,
            origins=None
            if changes.clear_origins
            else (check_origins(changes.origins) if changes.origins is not None else current.origins),
            extra=extra,
        )
        before, record = current.to_record(), updated.to_record()
        delta = {k: v for k, v in record.items() if k != "id" and (k not in before or before[k] != v)}
        if not delta:
            return current  # saved unchanged: nothing written, nothing to audit
        stored = await self._durable.update_centre(centre_id, delta)
        if stored is None:
            raise ServiceError("not_found", MSG_UNKNOWN_CENTRE)
        self.invalidate()
        await self._audit.record(
            actor.id if actor else None, "centre_update", centre_id, centres=[centre_id], fields=sorted(delta)
        )
        return Centre.from_record(stored)
