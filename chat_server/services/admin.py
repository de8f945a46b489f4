"""Administration from the console: accounts, one's own profile, opening hours, canned
responses and the audit log, each of one centre (issue 19: the centre's admins, or a
national admin, services/centres.py). Every change is audited (services/audit.py),
never with conversation content.

``check_*`` validate and raise ``ServiceError``; ``do_*`` act. The transport has
already checked the shapes of the request (types, lengths); the rules here are the
domain's (an admin cannot lock themselves out; an hours document must make sense).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NotRequired, TypedDict

from ..security.passwords import WeakPassword
from ..storage.base import Conflict, Durable
from .audit import Audit
from .canned import Canned
from .centre_domain import DEFAULT_CENTRE, memberships
from .centres import check_centre_admin, check_may_manage_account, check_national_admin
from .domain import Role, Staff
from .errors import MSG_FORBIDDEN, MSG_INVALID, N_, ServiceError
from .hours import MAX_PERIOD_DAYS, MAX_REASON, Hours, HoursPayload
from .revocation import EndReason, Revocation, announce_end
from .setup import MSG_BAD_USERNAME, MSG_TAKEN, MSG_WEAK_PASSWORD, enrolment
from .staff import PublicStaff, StaffService, public_staff

HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MSG_HOURS_INVALID = N_("Check the opening hours: each range needs a start before its end, as HH:MM.")
MSG_HOURS_OVERLAP = N_("Two exceptions cover the same day. Change or remove one of them.")
MSG_HOURS_PERIOD = N_("An exception period must end on or after its first day, and last at most a year.")
MAX_PERIODS = 100
MSG_SKILLS_INVALID = N_("Choose at least one group of visitors, and a number of chats from 1 to 20.")


@dataclass(frozen=True)
class NewAccount:
    username: str
    name: str
    password: str
    role: Role = "operator"
    locale: str = "sv"
    languages: tuple[str, ...] | None = None  # None: [locale]
    audiences: tuple[str, ...] | None = None  # None: both ("individual", "professional")
    max_chats: int | None = None  # None: the deployment's default


#: ``AccountChanges.max_chats`` when it is not to be changed (None means "the default").
KEEP = -1


@dataclass(frozen=True)
class AccountChanges:
    """Changes to someone's account; None leaves a field as it is (``max_chats``:
    ``KEEP`` leaves it, None sets the deployment's default)."""

    role: Role | None = None
    disabled: bool | None = None
    name: str | None = None
    languages: tuple[str, ...] | None = None
    locale: str | None = None
    audiences: tuple[str, ...] | None = None
    max_chats: int | None = KEEP


class Account(PublicStaff):
    created_at: int | None


# Days ``from``..``to`` (inclusive, YYYY-MM-DD) with their own ranges ([] = closed) and
# an optional ``reason`` for staff (the functional form: ``from`` is a keyword).
ExceptionPeriodDoc = TypedDict(
    "ExceptionPeriodDoc", {"from": str, "to": str, "ranges": list[list[str]], "reason": NotRequired[str]}
)


class HoursDocument(TypedDict):
    """The stored opening hours (services/hours.py): ranges per weekday ("0" is
    Monday), per date and per run of dates, as [["HH:MM", "HH:MM"], …]."""

    weekly: dict[str, list[list[str]]]
    exceptions: dict[str, list[list[str]]]
    exception_periods: NotRequired[list[ExceptionPeriodDoc]]
    closed_on_holidays: bool
    closed_on_eves: bool
    last_call_min: int


class HoursView(TypedDict):
    hours: HoursDocument
    status: HoursPayload


def check_not_locking_out(admin: Staff, target_id: str, changes: AccountChanges) -> None:
    """An admin cannot disable themselves or give up their own admin role (and leave
    nobody to undo it): ``conflict``."""
    if target_id == admin.id and (changes.disabled or (changes.role or "admin") != "admin"):
        raise ServiceError("conflict", MSG_FORBIDDEN)


def _in_centre(record: dict[str, Any], centre: str) -> bool:
    return centre in memberships(record)


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


def _day(value: Any) -> date:
    if not (isinstance(value, str) and DAY.match(value)):
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError("invalid", MSG_HOURS_INVALID) from exc


def _periods(value: Any) -> list[ExceptionPeriodDoc]:
    if not isinstance(value, list) or len(value) > MAX_PERIODS:
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    out: list[ExceptionPeriodDoc] = []
    for raw in value:
        if not isinstance(raw, dict) or set(raw) - {"from", "to", "ranges", "reason"}:
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        first, last = _day(raw.get("from")), _day(raw.get("to"))
        if last < first or (last - first).days >= MAX_PERIOD_DAYS:
            raise ServiceError("invalid", MSG_HOURS_PERIOD)
        reason = raw.get("reason") or ""
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            raise ServiceError("invalid", MSG_HOURS_INVALID)
        period: ExceptionPeriodDoc = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "ranges": _ranges(raw.get("ranges") or []),
        }
        if reason.strip():
            period["reason"] = reason.strip()
        out.append(period)
    return sorted(out, key=lambda p: p["from"])


def check_hours_document(data: dict[str, Any]) -> HoursDocument:
    """The hours document (format in services/hours.py), strictly checked: weekdays
    0-6, dates YYYY-MM-DD (at most 400), periods (at most 100, each within a year,
    reason at most 200 characters), at most six ranges a day, each HH:MM to a later
    HH:MM (24:00 is midnight), ``closed_on_holidays`` and ``closed_on_eves`` booleans
    (default true), ``last_call_min`` 0-120. ``invalid`` otherwise, also when two
    exceptions cover the same day.

    One canonical form, so a document read and saved unchanged is stored unchanged: a
    one-day period without a reason becomes a date in ``exceptions``;
    ``exception_periods`` is left out when there are none."""
    known = {"weekly", "exceptions", "exception_periods", "closed_on_holidays", "closed_on_eves", "last_call_min"}
    if set(data) - known:
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
        exceptions_out[_day(day).isoformat()] = _ranges(ranges)
    periods: list[ExceptionPeriodDoc] = []
    for period in _periods(data.get("exception_periods") or []):
        if period["from"] == period["to"] and "reason" not in period:
            if period["from"] in exceptions_out:
                raise ServiceError("invalid", MSG_HOURS_OVERLAP)
            exceptions_out[period["from"]] = period["ranges"]
        else:
            periods.append(period)
    _check_no_overlap(exceptions_out, periods)
    holidays = data.get("closed_on_holidays", True)
    eves = data.get("closed_on_eves", True)
    last_call = data.get("last_call_min", 10)
    if (
        not isinstance(holidays, bool)
        or not isinstance(eves, bool)
        or not isinstance(last_call, int)
        or isinstance(last_call, bool)
        or not 0 <= last_call <= 120
    ):
        raise ServiceError("invalid", MSG_HOURS_INVALID)
    out: HoursDocument = {
        "weekly": weekly_out,
        "exceptions": dict(sorted(exceptions_out.items())),
        "closed_on_holidays": holidays,
        "closed_on_eves": eves,
        "last_call_min": last_call,
    }
    if periods:
        out["exception_periods"] = periods
    return out


def _check_no_overlap(dates: dict[str, list[list[str]]], periods: list[ExceptionPeriodDoc]) -> None:
    """No two exceptions cover one day (which would win would be a guess): ``invalid``."""
    spans = sorted([(d, d) for d in dates] + [(p["from"], p["to"]) for p in periods])
    for (_, last), (first, _) in zip(spans, spans[1:], strict=False):
        if first <= last:  # ISO dates compare as text
            raise ServiceError("invalid", MSG_HOURS_OVERLAP)


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
    async def _target(self, staff_id: str, centre: str | None = None) -> dict[str, Any]:
        """The account; ``not_found`` when there is none, or it is not in ``centre``."""
        record = await self._durable.get_staff(staff_id)
        if record is None or (centre is not None and not _in_centre(record, centre)):
            raise ServiceError("not_found", MSG_INVALID)
        return record

    async def accounts(self, admin: Staff, centre: str | None = DEFAULT_CENTRE) -> list[Account]:
        """The accounts of ``centre`` with their role there (public fields and when
        each was made), by username; ``centre`` None: every account (national admins).
        ``forbidden`` for anyone else."""
        if centre is None:
            check_national_admin(admin)
        else:
            check_centre_admin(admin, centre)
        items: list[Account] = []
        for r in await self._durable.list_staff():
            if centre is None or _in_centre(r, centre):
                item: Account = {**public_staff(r), "created_at": r.get("created_at")}
                if centre is not None:
                    item["role"] = memberships(r)[centre]
                    if not admin.national_admin:
                        # Where else someone works is not this centre's business.
                        item["centres"] = {centre: item["role"]}
                items.append(item)
        items.sort(key=lambda i: i["username"])
        return items

    async def do_create_account(
        self, admin: Staff, new: NewAccount, centre: str = DEFAULT_CENTRE
    ) -> tuple[PublicStaff, dict[str, str]]:
        """Create an account in ``centre`` with ``new.role`` there; returns (its public
        fields, the TOTP enrolment to show once). ``forbidden`` unless an admin of the
        centre or a national admin, ``conflict`` for a taken username, ``invalid`` for
        a weak password or a bad username."""
        check_centre_admin(admin, centre)
        languages = list(new.languages) if new.languages is not None else [new.locale]
        try:
            staff, secret = await self._staff.create(
                new.username,
                new.name,
                new.role,
                new.password,
                None,
                new.locale,
                languages,
                actor=admin.id,
                centres={centre: new.role},
            )
        except Conflict as exc:
            raise ServiceError("conflict", MSG_TAKEN) from exc
        except WeakPassword as exc:
            raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
        except ValueError as exc:
            raise ServiceError("invalid", MSG_BAD_USERNAME) from exc
        skills: dict[str, Any] = {}
        if new.audiences is not None:
            skills["audiences"] = list(new.audiences)
        if new.max_chats is not None:
            skills["max_chats"] = new.max_chats
        if skills:
            staff = await self._update_skills(staff["id"], skills) or staff
        return staff, enrolment(secret, staff["username"])

    async def _update_skills(self, staff_id: str, changes: dict[str, Any]) -> PublicStaff | None:
        # audiences: a non-empty list of "individual"/"professional"; max_chats 1-20 or
        # None (services/staff.py update_profile has the rule and raises ValueError).
        if "audiences" in changes and not changes["audiences"]:
            raise ServiceError("invalid", MSG_SKILLS_INVALID)
        try:
            return await self._staff.update_profile(staff_id, changes)
        except ValueError as exc:
            raise ServiceError("invalid", MSG_SKILLS_INVALID) from exc

    async def do_update_account(
        self, admin: Staff, target_id: str, changes: AccountChanges, centre: str = DEFAULT_CENTRE
    ) -> PublicStaff:
        """Change someone's role in ``centre``, or their account's state or profile
        (which reach every centre they work in: services/centres.check_may_manage_account).
        A role change or disabling ends their sessions, and their open consoles at once
        (services/revocation.py). Returns their public fields. ``forbidden``,
        ``not_found`` (not in the centre), ``conflict`` (one's own lock-out)."""
        check_centre_admin(admin, centre)
        target = await self._target(target_id, centre)
        check_not_locking_out(admin, target_id, changes)
        account_wide = changes.disabled is not None or any(
            v is not None for v in (changes.name, changes.languages, changes.locale, changes.audiences)
        )
        if account_wide or changes.max_chats != KEEP:
            check_may_manage_account(admin, target)
        elif changes.role is not None and target.get("national_admin") and not admin.national_admin:
            # A role change ends every session of the person; a centre's admin must not
            # be able to sign a national admin out of the whole installation.
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        ended: EndReason | None = None
        if changes.role is not None and changes.role != memberships(target)[centre]:
            await self._staff.set_role(target_id, changes.role, actor=admin.id, centre=centre)
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
        if changes.audiences is not None:
            profile["audiences"] = list(changes.audiences)
        if changes.max_chats != KEEP:
            profile["max_chats"] = changes.max_chats
        if profile:
            await self._update_skills(target_id, profile)
            await self._audit.record(admin.id, "staff_update", target_id, fields=sorted(profile))
        return public_staff(await self._durable.get_staff(target_id) or target)

    async def do_reset_password(
        self, admin: Staff, target_id: str, password: str, centre: str = DEFAULT_CENTRE
    ) -> None:
        """A new password (their sessions and open consoles end); ``invalid`` when it
        is too weak, ``forbidden`` unless the admin may manage the whole account."""
        check_centre_admin(admin, centre)
        target = await self._target(target_id, centre)
        check_may_manage_account(admin, target)
        try:
            await self._staff.set_password(target["id"], password, actor=admin.id)
        except ValueError as exc:
            raise ServiceError("invalid", MSG_WEAK_PASSWORD) from exc
        await announce_end(self._revocation.do_signed_out(target["id"], "password_reset"), "password_reset")

    async def do_reset_totp(self, admin: Staff, target_id: str, centre: str = DEFAULT_CENTRE) -> dict[str, str]:
        """A new TOTP secret (the old one stops working; their sessions and open
        consoles end); the enrolment to show once. ``forbidden`` as for passwords."""
        check_centre_admin(admin, centre)
        target = await self._target(target_id, centre)
        check_may_manage_account(admin, target)
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
    async def hours_view(self, centre: str = DEFAULT_CENTRE) -> HoursView:
        """The centre's stored hours document and its status now."""
        schedule = await self._hours.schedule(centre)
        # The stored document as the schedule reads it (defaults filled in), so every
        # field the editor shows is one it saves back.
        doc = schedule.to_doc()
        hours: HoursDocument = {
            "weekly": doc["weekly"],
            "exceptions": doc["exceptions"],
            "closed_on_holidays": doc["closed_on_holidays"],
            "closed_on_eves": doc["closed_on_eves"],
            "last_call_min": doc["last_call_min"],
        }
        if "exception_periods" in doc:
            hours["exception_periods"] = doc["exception_periods"]
        return {"hours": hours, "status": await self._hours.payload(datetime.now(UTC), centre=centre)}

    async def do_set_hours(self, admin: Staff, data: dict[str, Any], centre: str = DEFAULT_CENTRE) -> HoursView:
        """Replace the centre's opening hours (see :func:`check_hours_document`)."""
        check_centre_admin(admin, centre)
        await self._hours.set_schedule(dict(check_hours_document(data)), centre)
        await self._audit.record(admin.id, "hours_update", "hours", centres=[centre])
        return await self.hours_view(centre)

    async def do_set_canned(
        self, admin: Staff, locale: str, items: Any, centre: str = DEFAULT_CENTRE
    ) -> list[dict[str, str]]:
        """Replace one locale's canned responses of the centre (an empty list restores
        the defaults)."""
        check_centre_admin(admin, centre)
        saved = await self._canned.set_locale(locale, items, centre)
        await self._audit.record(admin.id, "canned_update", locale, centres=[centre], count=len(saved))
        return saved

    async def audit_log(
        self, admin: Staff, before_ts: int | None = None, centre: str | None = DEFAULT_CENTRE
    ) -> list[dict[str, Any]]:
        """The newest 100 audit entries of ``centre`` (None: every entry, national
        admins) before ``before_ts`` (ms), with usernames."""
        if centre is None:
            check_national_admin(admin)
        else:
            check_centre_admin(admin, centre)
        entries = await self._audit.recent(100, before_ts, centre)
        names = {r["id"]: r["username"] for r in await self._durable.list_staff()}
        return [
            {**e, "actor_name": names.get(e.get("actor") or ""), "target_name": names.get(e.get("target") or "")}
            for e in entries
        ]
