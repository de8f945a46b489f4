"""Statistics reports (services/stats.py): fixed periods, suppression of small counts,
CSV shape, and the counters an ended conversation adds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chat_server.services.stats import Stats, conversation_counters, period_of


class FakeDurable:
    """Only the two statistics calls (the real stores are covered by tests/contract)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], int] = {}

    async def add_stats(self, day: str, counters: dict[str, int], centre: str = "default") -> None:
        for k, n in counters.items():
            self.rows[(day, k)] = self.rows.get((day, k), 0) + n

    async def get_stats(self, first: str, last: str, centre: str | None = "default") -> list[tuple[str, str, int]]:
        return sorted((d, k, n) for (d, k), n in self.rows.items() if first <= d <= last)


def test_periods_are_fixed() -> None:
    assert period_of(date(2026, 11, 25), "week") == (date(2026, 11, 23), date(2026, 11, 29))
    assert period_of(date(2026, 2, 10), "month") == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of(date(2026, 12, 31), "month") == (date(2026, 12, 1), date(2026, 12, 31))


async def test_report_suppresses_and_widens() -> None:
    durable: Any = FakeDurable()
    stats = Stats(durable, today=lambda: date(2027, 1, 15))
    await durable.add_stats("2026-11-02", {"conversations:total": 4, "category:fgm": 1, "triage:recorded": 4})
    await durable.add_stats("2026-11-20", {"conversations:total": 3, "category:fgm": 1, "triage:recorded": 3})
    await durable.add_stats("2026-12-01", {"conversations:total": 9})
    report = await stats.report(date(2026, 11, 10), date(2026, 11, 10), "month")
    assert (report.first, report.last) == (date(2026, 11, 1), date(2026, 11, 30))
    ((label, _first, counts),) = report.periods
    assert label == "2026-11" and counts["conversations"]["total"] == 7
    assert counts["category"]["fgm"] is None  # 2 < 5
    csv = report.as_csv().splitlines()
    assert csv[0] == "period,period_start,dimension,value,count"
    assert "2026-11,2026-11-01,category,fgm,suppressed" in csv
    day = await stats.report(date(2026, 11, 1), date(2026, 11, 30), "day")
    assert all(v is None for _l, _f, c in day.periods for d in c.values() for v in d.values())
    with pytest.raises(ValueError):
        await stats.report(date(2026, 11, 2), date(2026, 11, 1), "day")
    with pytest.raises(ValueError):
        await stats.report(date(2020, 1, 1), date(2026, 1, 1), "year")


async def test_a_month_is_published_a_day_after_it_has_ended() -> None:
    durable: Any = FakeDurable()
    await durable.add_stats("2026-11-20", {"conversations:total": 8})
    running = Stats(durable, today=lambda: date(2026, 11, 30))
    assert (await running.report(date(2026, 11, 1), date(2026, 11, 30))).periods == []
    # Not on the first: a chat of the month's last evening may be triaged until a day
    # after it ended (services/pending_triage.py), and a published month never changes.
    settling = Stats(durable, today=lambda: date(2026, 12, 1))
    assert (await settling.report(date(2026, 11, 1), date(2026, 11, 30))).periods == []
    ended = Stats(durable, today=lambda: date(2026, 12, 2))
    assert (await ended.report(date(2026, 11, 1), date(2026, 11, 30))).periods[0][2]["conversations"]["total"] == 8


def test_conversation_counters_add_referral_types_only() -> None:
    conv = {
        "audience": "self",
        "topic": None,
        "locale": "so",
        "age_band": "13-15",
        "urgent": True,
        "created_at": 0,
        "accepted_at": 90_000,
        "referral_types": ["police", "social_services", "police"],
        "interpreter_needed": True,
        "followup_issued": True,
    }
    counters = conversation_counters(conv, "operator_ended", 90_000 + 20 * 60_000)
    assert counters["referral:police"] == 1 and counters["referral:social_services"] == 1
    assert counters["wait:1-5m"] == 1 and counters["duration:15-30m"] == 1
    assert counters["interpreter:needed"] == 1 and counters["followup:issued"] == 1
    assert all(v == 1 for v in counters.values())


async def test_overflow_is_published_in_both_centres_with_suppression() -> None:
    """Issue 19 pt 4: a chat that moved is counted at home (``overflow:out``) and where
    it was answered (``overflow:in``); a count of 1 to 4 is hidden like every other."""
    durable: Any = FakeDurable()
    stats = Stats(durable, today=lambda: date(2027, 1, 15))
    # November: 12 chats of which 6 came from elsewhere, 7 went elsewhere.
    await durable.add_stats("2026-11-03", {"conversations:total": 12, "overflow:in": 6, "overflow:out": 7})
    # December: 9 chats of which 2 came from elsewhere, 3 went elsewhere: both hidden.
    await durable.add_stats("2026-12-03", {"conversations:total": 9, "overflow:in": 2, "overflow:out": 3})
    report = await stats.report(date(2026, 11, 1), date(2026, 12, 31), "month")
    nov, dec = (counts for _l, _f, counts in report.periods)
    assert nov["overflow"] == {"in": 6, "out": 7}
    assert dec["overflow"] == {"in": None, "out": None}
    assert "overflow" in report.as_json()["dimensions"]
    csv = report.as_csv().splitlines()
    assert "2026-11,2026-11-01,overflow,out,7" in csv
    assert "2026-12,2026-12-01,overflow,in,suppressed" in csv
    # The rest of the chats (not from elsewhere) counting 1-4 hides "in" too: 7 - 5 = 2.
    await durable.add_stats("2026-10-03", {"conversations:total": 7, "overflow:in": 5})
    (oct_counts,) = (c for _l, _f, c in (await stats.report(date(2026, 10, 1), date(2026, 10, 31))).periods)
    assert oct_counts["overflow"]["in"] is None


async def test_a_centre_whose_every_visitor_went_elsewhere_shows_them() -> None:
    durable: Any = FakeDurable()
    stats = Stats(durable, today=lambda: date(2027, 1, 15))
    await durable.add_stats("2026-11-03", {"overflow:out": 8})
    ((_label, _first, counts),) = (await stats.report(date(2026, 11, 1), date(2026, 11, 30))).periods
    assert counts["conversations"]["total"] == 0 and counts["overflow"] == {"out": 8}


class CentresDurable:
    """Statistics of several centres, and their list."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], int] = {}

    async def add_stats(self, day: str, counters: dict[str, int], centre: str = "default") -> None:
        for k, n in counters.items():
            self.rows[(centre, day, k)] = self.rows.get((centre, day, k), 0) + n

    async def get_stats(self, first: str, last: str, centre: str | None = "default") -> list[tuple[str, str, int]]:
        summed: dict[tuple[str, str], int] = {}
        for (c, d, k), n in self.rows.items():
            if first <= d <= last and centre in (None, c):
                summed[(d, k)] = summed.get((d, k), 0) + n
        return sorted((d, k, n) for (d, k), n in summed.items())

    async def list_centres(self) -> list[dict[str, Any]]:
        return [{"id": c} for c in sorted({c for c, _d, _k in self.rows})]


async def test_the_national_view_cannot_be_differenced_against_the_centres() -> None:
    """Security review: national minus the other centres' published cells gave a
    centre's suppressed count. A national cell is now kept only where every centre
    publishes its part; a national zero where a centre's group holds a zero is hidden
    too. What every centre publishes is summed as before."""
    durable: Any = CentresDurable()
    stats = Stats(durable, today=lambda: date(2027, 1, 15))
    await durable.add_stats("2026-11-03", {"conversations:total": 20, "language:sv": 10, "language:ti": 10}, "skane")
    await durable.add_stats("2026-11-04", {"conversations:total": 12, "language:sv": 9, "language:ti": 3}, "dalarna")
    national = await stats.report(date(2026, 11, 1), date(2026, 11, 30), "month", None)
    ((_l, _f, counts),) = national.periods
    assert counts["conversations"]["total"] == 32  # every centre publishes its total
    dalarna = await stats.report(date(2026, 11, 1), date(2026, 11, 30), "month", "dalarna")
    ((_l, _f, own),) = dalarna.periods
    hidden = {v for v, n in own["language"].items() if n is None}
    assert "ti" in hidden  # 3 in Dalarna
    for value in hidden:  # 13 - 10 would have told Dalarna's 3
        assert counts["language"][value] is None, value
    skane = await stats.report(date(2026, 11, 1), date(2026, 11, 30), "month", "skane")
    ((_l, _f, theirs),) = skane.periods
    published = {v for v, n in counts["language"].items() if n is not None}
    for value in published:
        assert counts["language"][value] == (own["language"].get(value) or 0) + (theirs["language"].get(value) or 0)
