"""Opening hours in Europe/Stockholm: a weekly schedule, exceptions and Swedish public
holidays (from the ``holidays`` package).

With no schedule configured the service is always open. A deployment stores its
schedule as the durable document ``hours``::

    {"weekly": {"0": [["09:00", "16:00"]], ...},   # Monday = 0; "24:00" = midnight
     "exceptions": {"2026-12-23": [], "2026-06-05": [["10:00", "14:00"]]},
     "exception_periods": [{"from": "2026-07-06", "to": "2026-08-02", "ranges": [],
                            "reason": "Summer closure"}],
     "closed_on_holidays": true,
     "closed_on_eves": true,
     "last_call_min": 10}

Holidays: ``closed_on_holidays`` closes on the public holidays of ``holidays``' SE
calendar (Nyårsdagen, Trettondedag jul, Långfredagen, Påskdagen, Annandag påsk,
Första maj, Kristi himmelsfärdsdag, Pingstdagen, Nationaldagen, Midsommardagen,
Alla helgons dag, Juldagen, Annandag jul). That calendar does *not* count Midsummer
Eve, Christmas Eve and New Year's Eve as public holidays (legally they are not), yet
nearly every Swedish workplace is closed on them; ``closed_on_eves`` (default true)
also closes on those three (``holidays``' "de_facto" category). An exception for a
date always wins, so a centre that is open on Christmas Eve says so there.

``exception_periods`` (optional; absent in documents stored before it existed): runs
of days from ``from`` to ``to`` (inclusive) with their own ranges (``[]``: closed) and
an optional ``reason`` for staff ("Summer closure"), so a four-week closure is one
entry. Like a date in ``exceptions`` it wins over holidays and the weekly hours. No two
exceptions (dates or periods) cover the same day (services/admin.py refuses that), so
the order never matters.

``last_call_min``: no new chats in the last minutes before closing; chats already
running continue. Times are compared as instants, so the schedule is right on the days
summer time starts and ends.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_skeleton, format_time, get_day_names
from babel.lists import format_list

from ..storage.base import Durable
from .centre_domain import DEFAULT_CENTRE, centre_namespace
from .errors import N_

log = logging.getLogger(__name__)
TZ = ZoneInfo("Europe/Stockholm")
DOC = "hours"
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_EVES = ("de_facto",)

MSG_ALWAYS_OPEN = N_("Open around the clock.")
MSG_OPEN_UNTIL = N_("Open now, until {time}.")
MSG_LAST_CALL = N_("Open until {time}, but it is too late to start a new chat today.")
MSG_OPENS_TODAY = N_("Closed now. Opens today at {time}.")
MSG_OPENS_TOMORROW = N_("Closed now. Opens tomorrow at {time}.")
MSG_OPENS_ON = N_("Closed now. Opens {date} at {time}.")
MSG_CLOSED = N_("Closed now.")
MSG_DAYS_HOURS = N_("{days}: {hours}")
MSG_DAY_SPAN = N_("{first}–{last}")
MSG_TIME_SPAN = N_("{start}–{end}")
MSG_HOLIDAYS = N_("Closed on public holidays.")

Range = tuple[time, time | None]  # end None means midnight at the end of the day


class Status(TypedDict):
    """Open now, accepting new chats (open and not in the last call), when it closes
    (while open) and when it opens next (while closed)."""

    open_now: bool
    accepting: bool
    closes_at: datetime | None
    next_open_at: datetime | None


class WeekdayHours(TypedDict):
    weekday: int  # Monday = 0
    ranges: list[list[str]]  # [["09:00", "16:00"], …]


class HoursPayload(TypedDict):
    """The ``hours`` object of the visitor ``session`` event (docs/protocol.md); times
    in ms since the epoch."""

    timezone: str
    always_open: bool
    open_now: bool
    accepting: bool
    closes_at: int | None
    next_open_at: int | None
    last_call_min: int
    weekly: list[WeekdayHours]
    summary: str


def _parse(hhmm: Any) -> time | None:
    if not isinstance(hhmm, str) or not _HHMM.match(hhmm):
        raise ValueError(f"time must be HH:MM, got {hhmm!r}")
    if hhmm == "24:00":
        return None
    hour, minute = hhmm.split(":")
    return time(int(hour), int(minute))


def _ranges(raw: Any) -> list[Range]:
    if not isinstance(raw, list) or len(raw) > 6:
        raise ValueError("ranges must be a list of [start, end] pairs")
    out: list[Range] = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError("a range is [start, end]")
        start, end = _parse(pair[0]), _parse(pair[1])
        if start is None or (end is not None and end <= start):
            raise ValueError("a range must end after it starts")
        out.append((start, end))
    return sorted(out)


@lru_cache(maxsize=8)
def _closed_days(year: int, eves: bool) -> frozenset[date]:
    days = set(holidays.country_holidays("SE", years=year))
    if eves:
        days |= set(holidays.country_holidays("SE", years=year, categories=_EVES))
    return frozenset(days)


def _hhmm(value: time | None) -> str:
    return "24:00" if value is None else value.strftime("%H:%M")


class Schedule:
    """A validated schedule; pure logic, no I/O. Raises ValueError for a bad document."""

    def __init__(self, doc: dict[str, Any] | None) -> None:
        doc = doc or {}
        if not isinstance(doc, dict):
            raise ValueError("hours must be an object")
        weekly = doc.get("weekly") or {}
        exceptions = doc.get("exceptions") or {}
        if not isinstance(weekly, dict) or not isinstance(exceptions, dict):
            raise ValueError("weekly and exceptions must be objects")
        self.configured = bool(weekly)
        self.weekly: dict[int, list[Range]] = {}
        for day, ranges in weekly.items():
            if str(day) not in {str(i) for i in range(7)}:
                raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
            self.weekly[int(day)] = _ranges(ranges)
        self.exceptions: dict[str, list[Range]] = {}
        for day, ranges in exceptions.items():
            date.fromisoformat(str(day))  # raises ValueError
            self.exceptions[str(day)] = _ranges(ranges)
        self.periods = [_period(p) for p in doc.get("exception_periods") or []]
        self.closed_on_holidays = bool(doc.get("closed_on_holidays", True))
        self.closed_on_eves = bool(doc.get("closed_on_eves", True))
        last_call = doc.get("last_call_min", 10)
        if not isinstance(last_call, int) or isinstance(last_call, bool) or not 0 <= last_call <= 120:
            raise ValueError("last_call_min must be 0-120")
        self.last_call = timedelta(minutes=last_call)
        self.raw = doc

    def is_holiday(self, day: date) -> bool:
        return self.closed_on_holidays and day in _closed_days(day.year, self.closed_on_eves)

    def ranges_on(self, day: date) -> list[Range]:
        if day.isoformat() in self.exceptions:
            return self.exceptions[day.isoformat()]
        for period in self.periods:
            if period.first <= day <= period.last:
                return period.ranges
        if self.is_holiday(day):
            return []
        return self.weekly.get(day.weekday(), [])

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of a local day as aware datetimes."""
        out = []
        for start, end in self.ranges_on(day):
            opens = datetime.combine(day, start, TZ)
            closes = (
                datetime.combine(day + timedelta(days=1), time(0), TZ)
                if end is None
                else datetime.combine(day, end, TZ)
            )
            out.append((opens, closes))
        return out

    def status(self, now: datetime) -> Status:
        """open_now, accepting (open and not in the last minutes), closes_at, next_open_at."""
        if not self.configured:
            return {"open_now": True, "accepting": True, "closes_at": None, "next_open_at": None}
        instant = now.astimezone(UTC)
        local = now.astimezone(TZ)
        # Yesterday too: an interval may run to midnight (24:00).
        for day in (local.date() - timedelta(days=1), local.date()):
            for opens, closes in self.intervals_on(day):
                if opens.astimezone(UTC) <= instant < closes.astimezone(UTC):
                    closes = self._joined_close(closes)
                    last_call = closes.astimezone(UTC) - self.last_call
                    return {
                        "open_now": True,
                        "accepting": instant < last_call,
                        "closes_at": closes,
                        "next_open_at": None,
                    }
        return {
            "open_now": False,
            "accepting": False,
            "closes_at": None,
            "next_open_at": self.next_opening(now),
        }

    def _joined_close(self, closes: datetime) -> datetime:
        """Follow 24:00 into a range opening at 00:00 the next day (no false last call)."""
        for _ in range(7):
            nxt = [c for o, c in self.intervals_on(closes.date()) if o.time() == time(0) and o.date() == closes.date()]
            if closes.time() != time(0) or not nxt:
                return closes
            closes = nxt[0]
        return closes

    def next_opening(self, now: datetime) -> datetime | None:
        instant = now.astimezone(UTC)
        local = now.astimezone(TZ)
        for offset in range(0, 60):
            for opens, _closes in self.intervals_on(local.date() + timedelta(days=offset)):
                if opens.astimezone(UTC) > instant:
                    return opens
        return None

    # text -------------------------------------------------------------------------------
    def summary(self, now: datetime, locale: str, translate: Any) -> str:
        """A short localised text: the status now, then the weekly hours."""
        babel_locale = _babel_locale(locale)

        def t(msgid: str, **params: Any) -> str:
            return str(translate(locale, msgid, **params)) if translate else msgid.format(**params)

        def hhmm(value: datetime) -> str:
            return format_time(value.astimezone(TZ).time(), format="short", locale=babel_locale)

        if not self.configured:
            return t(MSG_ALWAYS_OPEN)
        status = self.status(now)
        parts: list[str] = []
        closes, opens_next = status["closes_at"], status["next_open_at"]
        if status["open_now"] and closes is not None:
            msg = MSG_OPEN_UNTIL if status["accepting"] else MSG_LAST_CALL
            parts.append(t(msg, time=hhmm(closes)))
        elif opens_next is not None:
            opens = opens_next.astimezone(TZ)
            days = (opens.date() - now.astimezone(TZ).date()).days
            if days == 0:
                parts.append(t(MSG_OPENS_TODAY, time=hhmm(opens)))
            elif days == 1:
                parts.append(t(MSG_OPENS_TOMORROW, time=hhmm(opens)))
            else:
                when = format_skeleton("MMMMEEEEd", opens, locale=babel_locale)
                parts.append(t(MSG_OPENS_ON, date=when, time=hhmm(opens)))
        else:
            parts.append(t(MSG_CLOSED))
        parts.extend(self.weekly_lines(locale, translate))
        if self.closed_on_holidays:
            parts.append(t(MSG_HOLIDAYS))
        return " ".join(parts)

    def weekly_lines(self, locale: str, translate: Any) -> list[str]:
        """E.g. ["mån–tors: 09:00–16:00.", "fre: 09:00–12:00."]: days with the same hours
        joined into spans."""
        babel_locale = _babel_locale(locale)
        names = get_day_names("abbreviated", locale=babel_locale)

        def t(msgid: str, **params: Any) -> str:
            return str(translate(locale, msgid, **params)) if translate else msgid.format(**params)

        def clock(value: time | None) -> str:
            if value is None:
                return "24:00"
            return format_time(value, format="short", locale=babel_locale)

        groups: list[tuple[int, int, list[Range]]] = []
        for day in range(7):
            ranges = self.weekly.get(day, [])
            if groups and groups[-1][2] == ranges and groups[-1][1] == day - 1:
                groups[-1] = (groups[-1][0], day, ranges)
            else:
                groups.append((day, day, ranges))
        lines = []
        for first, last, ranges in groups:
            if not ranges:
                continue
            days = names[first] if first == last else t(MSG_DAY_SPAN, first=names[first], last=names[last])
            spans = [t(MSG_TIME_SPAN, start=clock(a), end=clock(b)) for a, b in ranges]
            lines.append(t(MSG_DAYS_HOURS, days=days, hours=format_list(spans, locale=babel_locale)) + ".")
        return lines

    def to_doc(self) -> dict[str, Any]:
        """The document as stored; ``exception_periods`` only when there are any, so a
        document from before they existed is stored unchanged."""
        doc: dict[str, Any] = {
            "weekly": {str(d): [[_hhmm(a), _hhmm(b)] for a, b in r] for d, r in sorted(self.weekly.items())},
            "exceptions": {d: [[_hhmm(a), _hhmm(b)] for a, b in r] for d, r in sorted(self.exceptions.items())},
            "closed_on_holidays": self.closed_on_holidays,
            "closed_on_eves": self.closed_on_eves,
            "last_call_min": int(self.last_call.total_seconds() // 60),
        }
        if self.periods:
            doc["exception_periods"] = [p.to_doc() for p in sorted(self.periods, key=lambda p: p.first)]
        return doc


@dataclass(frozen=True)
class Period:
    """Days ``first``..``last`` (inclusive) with their own ranges ([] = closed)."""

    first: date
    last: date
    ranges: list[Range]
    reason: str

    def to_doc(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "ranges": [[_hhmm(a), _hhmm(b)] for a, b in self.ranges],
        }
        if self.reason:
            out["reason"] = self.reason
        return out


#: A period is at most a year long; a reason at most this many characters.
MAX_PERIOD_DAYS = 366
MAX_REASON = 200


def _period(raw: Any) -> Period:
    if not isinstance(raw, dict) or set(raw) - {"from", "to", "ranges", "reason"}:
        raise ValueError("a period is {from, to, ranges, reason?}")
    first = date.fromisoformat(str(raw.get("from")))
    last = date.fromisoformat(str(raw.get("to")))
    if last < first or (last - first).days >= MAX_PERIOD_DAYS:
        raise ValueError("a period ends on or after its first day, within a year")
    reason = raw.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise ValueError("reason: a text of at most 200 characters")
    return Period(first, last, _ranges(raw.get("ranges") or []), reason.strip())


def _monotonic() -> float:
    import time as _time

    return _time.monotonic()


def _babel_locale(locale: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
        return locale
    except (UnknownLocaleError, ValueError):
        return "sv"


class Hours:
    """The opening hours of each centre (its document ``hours`` in the namespace
    ``centre:<id>``, services/centre_domain.py), read through a cache per centre."""

    #: Other nodes pick up an edited schedule within this many seconds.
    reload_s = 30.0

    def __init__(self, durable: Durable) -> None:
        self._durable = durable
        self._schedules: dict[str, tuple[float, Schedule]] = {}

    async def schedule(self, centre: str = DEFAULT_CENTRE) -> Schedule:
        """The centre's schedule (no document: always open)."""
        cached = self._schedules.get(centre)
        if cached is None or _monotonic() - cached[0] > self.reload_s:
            try:
                schedule = Schedule(await self._durable.get_kv(centre_namespace(centre), DOC))
            except ValueError:
                # A stored document that no longer validates must not close the
                # service silently: keep the last good one (or always open) and say so.
                log.error("the stored opening hours are invalid; fix them in the console")
                schedule = cached[1] if cached else Schedule(None)
            self._schedules[centre] = (_monotonic(), schedule)
            return schedule
        return cached[1]

    async def set_schedule(self, doc: dict[str, Any], centre: str = DEFAULT_CENTRE) -> Schedule:
        schedule = Schedule(doc)  # validates before storing
        await self._durable.put_kv(centre_namespace(centre), DOC, schedule.to_doc())
        self._schedules[centre] = (_monotonic(), schedule)
        return schedule

    def invalidate(self) -> None:
        self._schedules.clear()

    async def payload(
        self, now: datetime, locale: str | None = None, translate: Any = None, centre: str = DEFAULT_CENTRE
    ) -> HoursPayload:
        """The ``hours`` object of the visitor ``session`` event for ``centre``;
        ``summary`` in ``locale`` (empty when no locale is given)."""
        schedule = await self.schedule(centre)
        status = schedule.status(now)

        def ms(dt: datetime | None) -> int | None:
            return int(dt.timestamp() * 1000) if dt else None

        return {
            "timezone": "Europe/Stockholm",
            "always_open": not schedule.configured,
            "open_now": status["open_now"],
            "accepting": status["accepting"],
            "closes_at": ms(status["closes_at"]),
            "next_open_at": ms(status["next_open_at"]),
            "last_call_min": int(schedule.last_call.total_seconds() // 60),
            "weekly": [
                {"weekday": day, "ranges": [[_hhmm(a), _hhmm(b)] for a, b in ranges]}
                for day, ranges in sorted(schedule.weekly.items())
            ],
            "summary": schedule.summary(now, locale, translate) if locale else "",
        }
