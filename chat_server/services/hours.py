"""Opening hours in Europe/Stockholm: a weekly schedule, exceptions and Swedish public
holidays (from the ``holidays`` package).

With no schedule configured the service is always open. A deployment stores its
schedule as the durable document ``hours``::

    {"weekly": {"0": [["09:00", "16:00"]], ...},   # Monday = 0
     "exceptions": {"2026-12-24": [], "2026-06-05": [["10:00", "14:00"]]},
     "closed_on_holidays": true,
     "last_call_min": 10}

``last_call_min``: no new chats in the last minutes before closing; chats already
running continue.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from ..storage.base import Durable

TZ = ZoneInfo("Europe/Stockholm")
DOC = "hours"


def _parse(hhmm: str) -> time:
    hour, minute = hhmm.split(":")
    if hour == "24" and minute == "00":
        return time(23, 59, 59)
    return time(int(hour), int(minute))


class Schedule:
    """A validated schedule; pure logic, no I/O."""

    def __init__(self, doc: dict[str, Any] | None) -> None:
        doc = doc or {}
        self.configured = bool(doc.get("weekly"))
        self.weekly: dict[int, list[tuple[time, time]]] = {
            int(day): [(_parse(a), _parse(b)) for a, b in ranges]
            for day, ranges in (doc.get("weekly") or {}).items()
        }
        self.exceptions: dict[str, list[tuple[time, time]]] = {
            day: [(_parse(a), _parse(b)) for a, b in ranges]
            for day, ranges in (doc.get("exceptions") or {}).items()
        }
        self.closed_on_holidays = bool(doc.get("closed_on_holidays", True))
        self.last_call = timedelta(minutes=int(doc.get("last_call_min", 10)))
        self.raw = doc

    def ranges_on(self, day: date) -> list[tuple[time, time]]:
        if day.isoformat() in self.exceptions:
            return self.exceptions[day.isoformat()]
        if self.closed_on_holidays and day in holidays.country_holidays("SE", years=day.year):
            return []
        return self.weekly.get(day.weekday(), [])

    def status(self, now: datetime) -> dict[str, Any]:
        """open_now, accepting (open and not in the last minutes), closes_at, next_open_at."""
        local = now.astimezone(TZ)
        if not self.configured:
            return {"open_now": True, "accepting": True, "closes_at": None, "next_open_at": None}
        for start, end in self.ranges_on(local.date()):
            opens = datetime.combine(local.date(), start, TZ)
            closes = datetime.combine(local.date(), end, TZ)
            if opens <= local < closes:
                return {
                    "open_now": True,
                    "accepting": local < closes - self.last_call,
                    "closes_at": closes,
                    "next_open_at": None,
                }
        return {
            "open_now": False,
            "accepting": False,
            "closes_at": None,
            "next_open_at": self.next_opening(local),
        }

    def next_opening(self, local: datetime) -> datetime | None:
        for offset in range(0, 60):
            day = local.date() + timedelta(days=offset)
            for start, _end in sorted(self.ranges_on(day)):
                opens = datetime.combine(day, start, TZ)
                if opens > local:
                    return opens
        return None


class Hours:
    def __init__(self, durable: Durable) -> None:
        self._durable = durable
        self._schedule: Schedule | None = None

    async def schedule(self) -> Schedule:
        if self._schedule is None:
            self._schedule = Schedule(await self._durable.get_kv("doc", DOC))
        return self._schedule

    async def set_schedule(self, doc: dict[str, Any]) -> Schedule:
        schedule = Schedule(doc)  # validates before storing
        await self._durable.put_kv("doc", DOC, doc)
        self._schedule = schedule
        return schedule

    def invalidate(self) -> None:
        self._schedule = None

    async def payload(self, now: datetime, summary: str = "") -> dict[str, Any]:
        """The ``hours`` object of the visitor ``session`` event."""
        schedule = await self.schedule()
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
            "weekly": [
                {
                    "weekday": day,
                    "ranges": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in ranges],
                }
                for day, ranges in sorted(schedule.weekly.items())
            ],
            "summary": summary,
        }
