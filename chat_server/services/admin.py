"""Administration from the console: accounts, one's own profile, opening hours, canned
responses and the audit log. Every change is audited (services/audit.py), never with
conversation content.

``check_*`` validate and raise ``ServiceError``; ``do_*`` act. The transport has
already checked the shapes of the request (types, lengths); the rules here are the
domain's (an admin cannot lock themselves out; an hours document must make sense).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from ..security.passwords import WeakPassword
from ..storage.base import Conflict, Durable
from .audit import Audit
from .canned import Canned
from .domain import Role, Staff
from .errors import MSG_FORBIDDEN, MSG_INVALID, N_, ServiceError
from .hours import Hours, HoursPayload
from .revocation import EndReason, Revocation, announce_end
from .setup import MSG_BAD_USERNAME, MSG_TAKEN, MSG_WEAK_PASSWORD, enrolment
from .staff import PublicStaff, StaffService, public_staff

HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MSG_HOURS_INVALID = N_("Check the opening hours: each range needs a start before its end, as HH:MM.")


@dataclass(frozen=True)
class NewAccount:
    username: str
    name: str
    password: str
    role: Role = "operator"
    locale: str = "sv"
    languages: tuple[str, ...] | None = None  # None: [locale]


@dataclass(frozen=True)
class AccountChanges:
    """Changes to someone's account; None leaves a field as it is."""

    role: Role | None = None
    disabled: bool | None = None
    name: str | None = None
    languages: tuple[str, ...] | None = None
    locale: str | None = None


class Account(PublicStaff):
    created_at: int | None


class HoursDocument(TypedDict):
    """The stored opening hours (services/hours.py): ranges per weekday ("0" is
    Monday) and per date, as [["HH:MM", "HH:MM"], …]."""

    weekly: dict[str, list[list[str]]]
    exceptions: dict[str, list[list[str]]]
    closed_on_holidays: bool
    last_call_min: int


class HoursView(TypedDict):
    hours: HoursDocument
    status: HoursPayload


def check_not_locking_out(admin: Staff, target_id: str, changes: AccountChanges) -> None:
    """An admin cannot disable themselves or give up their own admin role (and leave
    nobody to undo it): ``conflict``."""
    if target_id == admin.id and (changes.disabled or (changes.role or "admin") != "admin"):
        raise ServiceError("conflict", MSG_FORBIDDEN)


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


def check_hours_document(data: dict[str, Any]) -> HoursDocument:
    """The hours document (format in services/hours.py), strictly checked: weekdays
    0-6, dates YYYY-MM-DD (at most 400), at most six ranges a day, each HH:MM to a
    later HH:MM (24:00 is midnight), ``last_call_min`` 0-120. ``invalid`` otherwise."""
    if set(data) - {"weekly", "exceptions", "closed_on_holidays", "last_call_min"}:
        raise ServiceError("invalid", MSG_INVALID)
    weekly = data.get("weekly") or {}
    exceptions = data.get("exceptions") or {}
    if not isinstance(weekly, dict) or not isinstance(exceptions, dict) or len(exceptions) > 400:
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    weekly_out: dict[str, list[list[str]]] = {}
    exceptions_out: dict[str, list[list[str]]] = {}
    for day, ranges in weekly.items():
        if day not in {str(d) for d in range(7)}:
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        if ranges:
            weekly_out[day] = _ranges(ranges)
    for day, ranges in exceptions.items():
        if not (isinstance(day, str) and DAY.match(day)):
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError as exc:
            raise ServiceError("invalid", MSG_HOURS_INVALID) from exc
        exceptions_out[day] = _ranges(ranges)
    holidays = data.get("closed_on_holidays", True)
    last_call = data.get("last_call_min", 10)
    if (
        not isinstance(holidays, bool)
        or not isinstance(last_call, int)
        or isinstance(last_call, bool)
        or not 0 <= last_call <= 120
    ):
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    return {
        "weekly": weekly_out,
        "exceptions": exceptions_out,
        "closed_on_holidays": holidays,
        "last_call_min": last_call,
    }


class Admin:
    def __init__(
        self, staff: StaffService, revocation: Revocation, hours: Hours, canned: Canned, audit: Audit, durable: Durable
    ) -> None:
        self._staff = staff
        self._revocation = revocation
        self._hours = hours
        self._canned = canned
        self._audit = audit
        self._durable = durable

    # --- accounts ---------------------------------------------------------------------
    async def _target(self, staff_id: str) -> dict[str, Any]:
        record = await self._durable.get_staff(staff_id)
        if record is None:
            raise ServiceError("not_found", MSG_INVALID)
        return record

    async def accounts(self) -> list[Account]:
        """Every account (public fields and when it was made), by username."""
        items: list[Account] = [
            {**public_staff(r), "created_at": r.get("created_at")} for r in await self._durable.list_staff()
        ]
        items.sort(key=lambda i: i["username"])
        return items

    async def do_create_account(self, admin: Staff, new: NewAccount) -> tuple[PublicStaff, dict[str, str]]:
        """Create an account; returns (its public fields, the TOTP enrolment to show
        once). ``conflict`` for a taken username, ``invalid`` for a weak password or a
        bad username."""
        languages = list(new.languages) if new.languages is not None else [new.locale]
        try:
            staff, secret = await self._staff.create(
                new.username, new.name, new.role, new.password, None, new.locale, languages, actor=admin.id
            )
        except Conflict as exc:
            raise ServiceError("conflict", MSG_TAKEN) from exc
        except WeakPassword as exc:
            raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
        except ValueError as exc:
            raise ServiceError("invalid", MSG_BAD_USERNAME) from exc
        return staff, enrolment(secret, staff["username"])

    async def do_update_account(self, admin: Staff, target_id: str, changes: AccountChanges) -> PublicStaff:
        """Change someone's role, state or profile. A role change or disabling ends
        their sessions, and their open consoles at once (services/revocation.py).
        Returns their public fields."""
        target = await self._target(target_id)
        check_not_locking_out(admin, target_id, changes)
        ended: EndReason | None = None
        if changes.role is not None and changes.role != target["role"]:
            await self._staff.set_role(target_id, changes.role, actor=admin.id)
            ended = "role_changed"
        if changes.disabled is not None and changes.disabled != bool(target.get("disabled")):
            await self._staff.set_disabled(target_id, changes.disabled, actor=admin.id)
            if changes.disabled:
                ended = "disabled"
        if ended is not None:
            await announce_end(self._revocation.do_signed_out(target_id, ended), ended)
        profile: dict[str, Any] = {}
        if changes.name is not None:
            profile["name"] = changes.name.strip() or target["name"]
        if changes.languages is not None:
            profile["languages"] = list(changes.languages)
        if changes.locale is not None:
            profile["locale"] = changes.locale
        if profile:
            await self._staff.update_profile(target_id, profile)
            await self._audit.record(admin.id, "staff_update", target_id, fields=sorted(profile))
        return public_staff(await self._durable.get_staff(target_id) or target)

    async def do_reset_password(self, admin: Staff, target_id: str, password: str) -> None:
        """A new password (their sessions and open consoles end); ``invalid`` when it
        is too weak."""
        target = await self._target(target_id)
        try:
            await self._staff.set_password(target["id"], password, actor=admin.id)
        except ValueError as exc:
            raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
        await announce_end(self._revocation.do_signed_out(target["id"], "password_reset"), "password_reset")

    async def do_reset_totp(self, admin: Staff, target_id: str) -> dict[str, str]:
        """A new TOTP secret (the old one stops working; their sessions and open
        consoles end); the enrolment to show once."""
        target = await self._target(target_id)
        secret = await self._staff.reset_totp(target["id"], actor=admin.id)
        await announce_end(self._revocation.do_signed_out(target["id"], "totp_reset"), "totp_reset")
        return enrolment(secret, target["username"])

    async def do_update_own_profile(
        self, me: Staff, name: str | None, locale: str | None, languages: tuple[str, ...] | None
    ) -> PublicStaff | None:
        """Change one's own name, locale or languages; an empty name keeps the old one."""
        changes: dict[str, Any] = {}
        if locale is not None:
            changes["locale"] = locale
        if languages is not None:
            changes["languages"] = list(languages)
        if name is not None:
            changes["name"] = name.strip() or me.name
        return await self._staff.update_profile(me.id, changes)

    # --- opening hours, canned responses, audit log ----------------------------------
    async def hours_view(self) -> HoursView:
        """The stored hours document and the status now."""
        schedule = await self._hours.schedule()
        raw = schedule.raw or {}
        return {
            "hours": {
                "weekly": raw.get("weekly") or {},
                "exceptions": raw.get("exceptions") or {},
                "closed_on_holidays": bool(raw.get("closed_on_holidays", True)),
                "last_call_min": int(raw.get("last_call_min", 10)),
            },
            "status": await self._hours.payload(datetime.now(UTC)),
        }

    async def do_set_hours(self, admin: Staff, data: dict[str, Any]) -> HoursView:
        """Replace the opening hours (see :func:`check_hours_document`)."""
        await self._hours.set_schedule(dict(check_hours_document(data)))
        await self._audit.record(admin.id, "hours_update", "hours")
        return await self.hours_view()

    async def do_set_canned(self, admin: Staff, locale: str, items: Any) -> list[dict[str, str]]:
        """Replace one locale's canned responses (an empty list restores the defaults)."""
        saved = await self._canned.set_locale(locale, items)
        await self._audit.record(admin.id, "canned_update", locale, count=len(saved))
        return saved

    async def audit_log(self, before_ts: int | None) -> list[dict[str, Any]]:
        """The newest 100 audit entries before ``before_ts`` (ms), with usernames."""
        entries = await self._audit.recent(100, before_ts)
        names = {r["id"]: r["username"] for r in await self._durable.list_staff()}
        return [
            {**e, "actor_name": names.get(e.get("actor") or ""), "target_name": names.get(e.get("target") or "")}
            for e in entries
        ]
