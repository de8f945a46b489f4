"""Aggregate statistics: counters per day, nothing per conversation.

A conversation contributes one increment to a handful of ``dimension:value`` counters
when it ends and is then forgotten. No counter is keyed by anything that identifies a
conversation, and times are coarsened into buckets before they are counted.

Reports (the dashboard's JSON and the CSV export) cover fixed calendar periods (day,
ISO week or month; the requested range is widened to whole periods), and only months
that have ended (at least :data:`SETTLE_DAYS` ago) and are within the retention period: a period still filling up would
give a different count every time it is read, and the difference would be the chats
in between. Which cells are published is decided per month by
``stats_protection.plan_month``: no count from 1 to 4 can be worked out from any
combination of published cells, across groupings, ranges and totals (the argument is
in docs/privacy.md). A suppressed cell is ``null`` (JSON) or ``suppressed`` (CSV); it
may hold any count, zero included. Totals over a whole range are not published (they
are sums of published cells anyway).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..storage.base import DEFAULT_CENTRE, Durable, StoreUnavailable
from .stats_labels import StatsLabels
from .stats_protection import SMALL, Counts, MonthPlan, plan_month, tables

log = logging.getLogger(__name__)

#: One period of a report: (label, first day, {dimension: {value: count, or None when
#: suppressed}}); a published zero is left out.
Period = tuple[str, date, dict[str, dict[str, int | None]]]

TZ = ZoneInfo("Europe/Stockholm")

WAIT_BUCKETS = ((60, "0-1m"), (300, "1-5m"), (900, "5-15m"), (1800, "15-30m"))
DURATION_BUCKETS = ((300, "0-5m"), (900, "5-15m"), (1800, "15-30m"), (3600, "30-60m"))
SMALL_COUNT = SMALL  # published in the JSON (counts below it are never shown)
#: Days after a month ends before it is published: a chat that ended on its last
#: evening may be triaged up to a day later (services/pending_triage.py WINDOW_S), and
#: its counters belong to the day it ended. A published month never changes.
SETTLE_DAYS = 1
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
    "triage_skip",
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
    "feedback",
    "overflow",
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


#: Month plans kept (three years and a little, for a few centres).
PLAN_CACHE = 160
#: How a suppressed cell is written in the CSV export.
SUPPRESSED = "suppressed"


def month_last(first: date) -> date:
    return (first.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Report:
    group: str
    first: date
    last: date
    # [(period label, first day, {dimension: {value: count or None}})]
    periods: list[tuple[str, date, dict[str, dict[str, int | None]]]]
    published_until: date | None = None  # the last day of the last month published
    published_from: date | None = None  # the first day still kept (retention)

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "small_count": SMALL_COUNT,
            "published_until": self.published_until.isoformat() if self.published_until else None,
            "published_from": self.published_from.isoformat() if self.published_from else None,
            "dimensions": _ordered({d for _, _, dims in self.periods for d in dims}),
            "periods": [
                {"period": label, "from": first.isoformat(), "counts": dims} for label, first, dims in self.periods
            ],
        }

    def as_csv(self, labels: StatsLabels | None = None) -> str:
        """``period,period_start,dimension,value,count`` and, with ``labels``, the
        dimension's and the value's words after them (``dimension_label,value_label``:
        codes for programs, words for people). A suppressed count is ``suppressed``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        head = ["period", "period_start", "dimension", "value", "count"]
        writer.writerow([*head, "dimension_label", "value_label"] if labels else head)
        for label, first, dims in self.periods:
            for dim in _ordered(set(dims)):
                for value, count in sorted(dims[dim].items()):
                    row: list[object] = [label, first.isoformat(), dim, value, SUPPRESSED if count is None else count]
                    if labels:
                        row += [labels["dimensions"].get(dim, dim), labels["values"].get(dim, {}).get(value, value)]
                    writer.writerow(row)
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
    """Records the counters of ended conversations and reports them.

    ``retention_days``: ``CHAT_STATS_RETENTION_DAYS`` (0: forever); ``today``: the
    reporting date (Stockholm), replaceable in tests."""

    def __init__(self, durable: Durable, retention_days: int = 0, today: Callable[[], date] | None = None) -> None:
        self._durable = durable
        self.retention_days = retention_days
        self.today = today or (lambda: datetime.now(TZ).date())
        self._plans: dict[tuple[str | None, date], tuple[int, MonthPlan]] = {}
        self._plans_lock = threading.Lock()

    async def record(self, ts_ms: int, counters: dict[str, int], centre: str = DEFAULT_CENTRE) -> None:
        """Add the counters of one ended conversation to its centre's day."""
        if counters:
            await self._durable.add_stats(day_of(ts_ms), counters, centre)

    async def record_best_effort(self, ts_ms: int, counters: dict[str, int], centre: str = DEFAULT_CENTRE) -> bool:
        """:meth:`record` for a caller that must go on whatever happens (a chat that
        ends, starts or moves must not fail for its counters): a store that does not
        answer is a warning without a traceback, any other fault is logged with one.
        Returns whether the counters were added."""
        try:
            await self.record(ts_ms, counters, centre)
        except StoreUnavailable as exc:
            log.warning("statistics not recorded: the durable store is unavailable (%s)", type(exc).__name__)
            return False
        except Exception:  # noqa: BLE001 - statistics must never stop a chat
            log.exception("could not record statistics")
            return False
        return True

    async def record_day(self, day: date, counters: dict[str, int], centre: str = DEFAULT_CENTRE) -> None:
        """Add ``counters`` to ``day`` of ``centre`` (a whole day's tally,
        services/feedback.py)."""
        if counters:
            await self._durable.add_stats(day.isoformat(), counters, centre)

    async def totals(
        self, first_day: str, last_day: str, centre: str | None = DEFAULT_CENTRE
    ) -> list[tuple[str, str, int]]:
        """Raw counters of ``centre`` (None: summed over every centre, before any
        suppression)."""
        return await self._durable.get_stats(first_day, last_day, centre)

    def published_months(self, first: date, last: date) -> tuple[list[date], date | None, date | None]:
        """First days of the months touching [first, last] that may be published (ended,
        and not older than the retention horizon), the last published day, the horizon."""
        today = self.today()
        until = (today - timedelta(days=SETTLE_DAYS)).replace(day=1) - timedelta(days=1)
        horizon = stats_horizon(today, self.retention_days)
        months = []
        month = first.replace(day=1)
        while month <= last:
            if month_last(month) <= until and (horizon is None or month >= horizon):
                months.append(month)
            month = month_last(month) + timedelta(days=1)
        return months, until, horizon

    async def report(
        self, first: date, last: date, group: str = "month", centre: str | None = DEFAULT_CENTRE
    ) -> Report:
        """The published counts per fixed period covering [first, last] (widened).

        Counters of ``centre``, or with None of every centre summed before suppression
        (the national view), where a cell is published only if every centre publishes
        its own part of it (:meth:`_as_centres_publish`). Periods in a month that has
        not ended, or is past the retention period, are left out. Raises ValueError for
        a bad group or range (more than ``MAX_DAYS``)."""
        if group not in GROUPS or last < first or (last - first).days > MAX_DAYS:
            raise ValueError("bad range or group")
        first, last = period_of(first, group)[0], period_of(last, group)[1]
        months, until, horizon = self.published_months(first, last)
        rows = await self.totals(months[0].isoformat(), month_last(months[-1]).isoformat(), centre) if months else []
        # Planning three years day by day takes a while: off the event loop.
        periods = await asyncio.to_thread(self._periods, first, last, group, months, rows, centre)
        if centre is None and periods:
            periods = await self._as_centres_publish(first, last, group, months, periods)
        return Report(group, first, last, periods, until, horizon)

    async def _as_centres_publish(
        self, first: date, last: date, group: str, months: list[date], national: list[Period]
    ) -> list[Period]:
        """The national view, less every cell some centre suppresses in the same period.

        Whoever reads the national view may read every centre's too (a national admin):
        a national cell minus the other centres' published parts would give the parts
        the centres suppress, a centre's hidden count exactly when it is the only one
        (security review); and cells hidden here after the national plan would leave
        small complements of their own. Kept, a national cell is the sum of the centres'
        published cells, so the whole national view follows from the centres' views and
        any combination of published numbers still counts a union of their atoms
        (services/stats_protection.py): 0 or at least :data:`SMALL`. The price: a month
        in which one centre had 1 to 4 chats publishes no national total."""
        hidden: dict[str, set[tuple[str, str]]] = {}
        ids = {str(c["id"]) for c in await self._durable.list_centres()} | {DEFAULT_CENTRE}
        for centre_id in sorted(ids):
            rows = await self.totals(months[0].isoformat(), month_last(months[-1]).isoformat(), centre_id)
            if not rows:
                continue  # no counts: every cell a published 0
            mine = await asyncio.to_thread(self._periods, first, last, group, months, rows, centre_id)
            for label, _start, dims in mine:
                cells = hidden.setdefault(label, set())
                cells.update((dim, value) for dim, values in dims.items() for value, n in values.items() if n is None)
        out: list[Period] = []
        for label, start, dims in national:
            kept = {dim: dict(values) for dim, values in dims.items()}
            # Also over a national zero (left out): a centre's group may hold a zero.
            for dim, value in hidden.get(label, ()):
                kept.setdefault(dim, {})[value] = None
            out.append((label, start, kept))
        return out

    def _plan(self, month: date, counts: Counts, centre: str | None) -> MonthPlan:
        # An ended month's counters no longer change, so its plan is kept per centre
        # (None: the national sums) and made again should they differ.
        days = [month + timedelta(days=i) for i in range((month_last(month) - month).days + 1)]
        fingerprint = hash(tuple((d, tuple(sorted(counts[d].items()))) for d in days if d in counts))
        with self._plans_lock:  # reports run in worker threads
            cached = self._plans.get((centre, month))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        plan = plan_month(month, month_last(month), counts)
        with self._plans_lock:
            self._plans[(centre, month)] = (fingerprint, plan)
            while len(self._plans) > PLAN_CACHE:
                self._plans.pop(next(iter(self._plans)))
        return plan

    def _periods(
        self,
        first: date,
        last: date,
        group: str,
        months: list[date],
        rows: list[tuple[str, str, int]],
        centre: str | None = DEFAULT_CENTRE,
    ) -> list[Period]:
        counts: Counts = {}
        for day_text, key, n in rows:
            counts.setdefault(date.fromisoformat(day_text), {})[key] = n
        plans = {month: self._plan(month, counts, centre) for month in months}
        specs = tables()
        periods = []
        start = first
        while start <= last:
            p_first, p_last = period_of(start, group)
            start = p_last + timedelta(days=1)
            parts = _month_parts(p_first, p_last)
            if not all(m in plans for m, _ in parts):
                continue
            days = [d for _, part in parts for d in part]
            total = sum(counts.get(d, {}).get("conversations:total", 0) for d in days)
            total_published = all(plans[m].total_published(part) for m, part in parts)
            # No conversations (a centre whose every visitor went to another one by
            # overflow still has its ``overflow:out`` to show).
            if total_published and total == 0 and not _any(counts, days, "overflow:out"):
                continue
            dims: dict[str, dict[str, int | None]] = {"conversations": {"total": total if total_published else None}}
            for spec in specs:
                published = frozenset.intersection(*(plans[m].published_values(spec.key, part) for m, part in parts))
                for value in spec.values:
                    n = sum(counts.get(d, {}).get(f"{spec.dimension}:{value}", 0) for d in days)
                    if value in published and n == 0:
                        continue  # a published zero is left out, as before
                    dims.setdefault(spec.dimension, {})[value] = n if value in published else None
            periods.append((_label(p_first, group), p_first, dims))
        return periods


def _any(counts: Counts, days: list[date], key: str) -> bool:
    return any(counts.get(d, {}).get(key, 0) for d in days)


def _month_parts(first: date, last: date) -> list[tuple[date, frozenset[date]]]:
    """[first, last] cut at month ends: (first day of the month, the days in it)."""
    out = []
    day = first
    while day <= last:
        end = min(last, month_last(day))
        out.append((day.replace(day=1), frozenset(day + timedelta(days=i) for i in range((end - day).days + 1))))
        day = end + timedelta(days=1)
    return out
