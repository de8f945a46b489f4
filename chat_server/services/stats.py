"""Aggregate statistics: counters per day, nothing per conversation.

A conversation contributes one increment to a handful of ``dimension:value`` counters
when it ends and is then forgotten. No counter is keyed by anything that identifies a
conversation, and times are coarsened into buckets before they are counted.

Reports (the dashboard's JSON and the CSV export) are made only over fixed calendar
periods (day, ISO week or month; the requested range is widened to whole periods), and
every count below :data:`SMALL_COUNT` is suppressed ("<5"). Overlapping arbitrary ranges
would let someone subtract one answer from another and isolate a single conversation;
fixed periods and suppression stop that for the published cells. Totals over a whole
range are deliberately not published (they could be differenced against the periods).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..storage.base import Durable

TZ = ZoneInfo("Europe/Stockholm")

WAIT_BUCKETS = ((60, "0-1m"), (300, "1-5m"), (900, "5-15m"), (1800, "15-30m"))
DURATION_BUCKETS = ((300, "0-5m"), (900, "5-15m"), (1800, "15-30m"), (3600, "30-60m"))
SMALL_COUNT = 5
GROUPS = ("day", "week", "month")
MAX_DAYS = 3 * 366

# Dimensions in a sensible order for the dashboard; unknown ones follow alphabetically.
DIMENSIONS = (
    "conversations",
    "outcome",
    "audience",
    "topic",
    "language",
    "age_band",
    "urgent",
    "wait",
    "duration",
    "triage",
    "category",
    "risk",
    "action",
    "gender",
    "assessed_age_band",
    "assessed_audience",
    "assessed_language",
    "referral",
    "interpreter",
    "followup",
)


def bucket(seconds: float, buckets: tuple[tuple[int, str], ...], last: str) -> str:
    for limit, name in buckets:
        if seconds < limit:
            return name
    return last


def day_of(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, TZ).date().isoformat()


def conversation_counters(conv: dict[str, Any], reason: str, now_ms: int) -> dict[str, int]:
    """The counters one ended conversation adds to its day."""
    counters = {
        "conversations:total": 1,
        f"audience:{conv.get('audience') or 'unknown'}": 1,
        f"topic:{conv.get('topic') or 'none'}": 1,
        f"language:{conv.get('locale') or 'unknown'}": 1,
        f"age_band:{conv.get('age_band') or 'unknown'}": 1,
        f"urgent:{'yes' if conv.get('urgent') else 'no'}": 1,
        f"outcome:{reason}": 1,
    }
    accepted = conv.get("accepted_at")
    if accepted:
        wait_s = (accepted - conv["created_at"]) / 1000
        counters[f"wait:{bucket(wait_s, WAIT_BUCKETS, '30m+')}"] = 1
        duration_s = (now_ms - accepted) / 1000
        counters[f"duration:{bucket(duration_s, DURATION_BUCKETS, '60m+')}"] = 1
    else:
        counters["wait:unanswered"] = 1
    # Only the *type* of each referral made is counted, never the receiver.
    for kind in sorted(set(conv.get("referral_types") or [])):
        counters[f"referral:{kind}"] = 1
    if conv.get("interpreter_needed"):
        counters["interpreter:needed"] = 1
    if conv.get("followup_issued"):
        counters["followup:issued"] = 1
    if conv.get("followup_redeemed"):
        counters["followup:returned"] = 1
    return counters


def period_of(day: date, group: str) -> tuple[date, date]:
    """The fixed calendar period (first day, last day) that contains ``day``."""
    if group == "day":
        return day, day
    if group == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def stats_horizon(today: date, retention_days: int) -> date | None:
    """The first day whose statistics are kept: the first of the month that contains
    ``today - retention_days`` (whole months only); None when kept forever (0)."""
    if not retention_days:
        return None
    return (today - timedelta(days=retention_days)).replace(day=1)


def suppress(count: int) -> int | None:
    """None for counts too small to publish."""
    return count if count >= SMALL_COUNT else None


@dataclass(frozen=True)
class Report:
    group: str
    first: date
    last: date
    # [(period label, first day, {dimension: {value: count or None}})]
    periods: list[tuple[str, date, dict[str, dict[str, int | None]]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "small_count": SMALL_COUNT,
            "dimensions": _ordered({d for _, _, dims in self.periods for d in dims}),
            "periods": [
                {"period": label, "from": first.isoformat(), "counts": dims} for label, first, dims in self.periods
            ],
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["period", "period_start", "dimension", "value", "count"])
        for label, first, dims in self.periods:
            for dim in _ordered(set(dims)):
                for value, count in sorted(dims[dim].items()):
                    writer.writerow([label, first.isoformat(), dim, value, "<5" if count is None else count])
        return out.getvalue()


def _ordered(dims: set[str]) -> list[str]:
    known = [d for d in DIMENSIONS if d in dims]
    return known + sorted(dims - set(DIMENSIONS))


def _label(first: date, group: str) -> str:
    if group == "day":
        return first.isoformat()
    if group == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return first.strftime("%Y-%m")


class Stats:
    def __init__(self, durable: Durable) -> None:
        self._durable = durable

    async def record(self, ts_ms: int, counters: dict[str, int]) -> None:
        if counters:
            await self._durable.add_stats(day_of(ts_ms), counters)

    async def totals(self, first_day: str, last_day: str) -> list[tuple[str, str, int]]:
        return await self._durable.get_stats(first_day, last_day)

    async def report(self, first: date, last: date, group: str = "month") -> Report:
        """Suppressed counts per fixed period covering [first, last] (widened)."""
        if group not in GROUPS or last < first or (last - first).days > MAX_DAYS:
            raise ValueError("bad range or group")
        first, last = period_of(first, group)[0], period_of(last, group)[1]
        raw: dict[date, dict[str, dict[str, int]]] = {}
        for day_text, key, count in await self.totals(first.isoformat(), last.isoformat()):
            start = period_of(date.fromisoformat(day_text), group)[0]
            dim, _, value = key.partition(":")
            per = raw.setdefault(start, {}).setdefault(dim, {})
            per[value] = per.get(value, 0) + count
        periods = []
        for start in sorted(raw):
            dims = {dim: {v: suppress(n) for v, n in values.items()} for dim, values in raw[start].items()}
            periods.append((_label(start, group), start, dims))
        return Report(group, first, last, periods)
