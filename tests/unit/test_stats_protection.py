"""Statistics cannot be differenced: over generated conversations, every published cell,
every difference of nested or overlapping periods across the day, week and month
groupings, every row complement and every combination the period structure allows
is 0 or at least 5 (services/stats_protection.py; the argument is in docs/privacy.md).

An attacker here is a coordinator who requests the same two months with group=day,
week and month (weeks cross the month boundary) and combines the answers.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_server import i18n
from chat_server.services import triage
from chat_server.services.referrals import TYPES
from chat_server.services.stats import Stats, conversation_counters
from chat_server.services.stats_protection import (
    ANSWERED,
    OUTCOMES,
    VISITOR_AGE_BANDS,
    VISITOR_AUDIENCES,
    VISITOR_TOPICS,
    Table,
    tables,
)
from chat_server.transport import validation

FIRST, LAST = date(2026, 1, 1), date(2026, 2, 28)  # ISO week 5 spans both months
TODAY = date(2026, 3, 2)
DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
LANGS = ("sv", "ar", "ti", "so", "fa")


class Durable:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], int] = defaultdict(int)

    async def add_stats(self, day: str, counters: dict[str, int], centre: str = "default") -> None:
        for k, n in counters.items():
            self.rows[(day, k)] += n

    async def get_stats(self, first: str, last: str, centre: str | None = "default") -> list[tuple[str, str, int]]:
        return sorted((d, k, n) for (d, k), n in self.rows.items() if first <= d <= last)


def conversation(rng: random.Random) -> dict[str, int]:
    """The counters of one made-up conversation, through the real counter functions."""
    outcome = rng.choice(OUTCOMES)
    accepted = outcome == "operator_ended" or rng.random() < 0.6
    conv: dict[str, Any] = {
        "audience": rng.choice(VISITOR_AUDIENCES[:3]),
        "topic": rng.choice((*VISITOR_TOPICS[:5], None)),
        "locale": rng.choice(LANGS),
        "age_band": rng.choice((*VISITOR_AGE_BANDS[:5], None)),
        "urgent": rng.random() < 0.2,
        "created_at": 0,
        "accepted_at": rng.choice([30_000, 200_000, 600_000, 1_200_000, 2_000_000]) if accepted else None,
        "referral_types": rng.sample(TYPES, rng.choice([0, 0, 1, 2])) if accepted else [],
        "interpreter_needed": rng.random() < 0.15,
        "followup_issued": accepted and rng.random() < 0.3,
        "followup_redeemed": rng.random() < 0.1,
    }
    end = (conv["accepted_at"] or 0) + rng.choice([100_000, 700_000, 1_500_000, 3_000_000, 5_000_000])
    counters = conversation_counters(conv, outcome, end)
    if rng.random() < 0.15:
        counters["overflow:in"] = 1  # it came from another centre (services/overflow.py)
    if outcome == "operator_ended":
        form = None
        if rng.random() < 0.8:
            form = {
                "categories": rng.sample(triage.CATEGORIES, rng.choice([1, 1, 2])),
                "risk": rng.choice(triage.RISKS),
                "actions": rng.sample(triage.ACTIONS, rng.choice([0, 1, 2])),
                "gender": rng.choice(triage.GENDERS),
                "age_band": rng.choice(triage.AGE_BANDS),
            }
            if rng.random() < 0.5:
                form["audience"] = rng.choice(triage.AUDIENCES)
            if rng.random() < 0.5:
                form["language"] = rng.choice(LANGS)
        counters.update(triage.counters(form))
    return counters


@dataclass
class Published:
    """Every cell of every grouping: (series, frozenset of days) -> count or None."""

    cells: dict[tuple[str, frozenset[date]], int | None]
    truth: dict[date, dict[str, int]]

    def true(self, series: str, days: frozenset[date] | set[date]) -> int:
        return sum(self.truth.get(d, {}).get(series, 0) for d in days)

    def known(self, series: str) -> dict[frozenset[date], int]:
        return {days: n for (s, days), n in self.cells.items() if s == series and n is not None}


async def publish(seed: int, volume: int) -> Published:
    rng = random.Random(seed)
    durable = Durable()
    # Quiet, mixed and busy weeks: busy ones publish days, quiet ones hold the single
    # rare conversations that must not be singled out.
    regime = {}
    for day in DAYS:
        week = day.isocalendar()[:2]
        regime.setdefault(week, rng.choice(["quiet", "mixed", "busy", "busy"]))
        low, high = {"quiet": (0, 3), "mixed": (0, 9), "busy": (volume // 2, volume)}[regime[week]]
        for _ in range(rng.randint(low, high)):
            await durable.add_stats(day.isoformat(), conversation(rng))
        # Visitors who went to another centre: counted here, not among its conversations.
        if rng.random() < 0.3:
            await durable.add_stats(day.isoformat(), {"overflow:out": rng.randint(1, 3)})
    truth: dict[date, dict[str, int]] = defaultdict(dict)
    for (d, k), n in durable.rows.items():
        truth[date.fromisoformat(d)][k] = n
    stats = Stats(durable, today=lambda: TODAY)  # type: ignore[arg-type]
    cells: dict[tuple[str, frozenset[date]], int | None] = {}
    every = ["conversations:total", *(f"{t.dimension}:{v}" for t in tables() for v in t.values)]
    for group in ("day", "week", "month"):
        report = await stats.report(FIRST, LAST, group)
        listed = {first: dims for _, first, dims in report.periods}
        for first in _period_starts(group):
            last = {"day": first, "week": first + timedelta(days=6)}.get(group) or _month_end(first)
            days = frozenset(d for d in DAYS if first <= d <= last)
            if len(days) != (last - first).days + 1:
                continue  # a week reaching outside the generated months
            dims = listed.get(first, {})
            for series in every:
                dim, _, value = series.partition(":")
                # Left out of the report: a published zero (or a period without chats).
                cells[(series, days)] = dims.get(dim, {}).get(value, 0)
    return Published(cells, truth)


def _period_starts(group: str) -> list[date]:
    if group == "day":
        return DAYS
    if group == "week":
        return [d for d in DAYS if d.weekday() == 0]
    return [date(2026, 1, 1), date(2026, 2, 1)]


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def small(n: int) -> bool:
    return 0 < n < 5


def derivable_day_sets(known: dict[frozenset[date], int]) -> list[set[date]]:
    """Every set of days whose count follows exactly from ``known`` interval counts,
    up to unions of two intervals: with prefix sums P, an interval [a+1, b] is known iff
    cut points a and b are connected by known intervals, and a union of two intervals
    iff its four end points balance within the components."""
    index = {d: i for i, d in enumerate(DAYS)}
    parent = list(range(len(DAYS) + 1))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for days in known:
        span = sorted(index[d] for d in days)
        parent[find(span[0])] = find(span[-1] + 1)
    n = len(DAYS)
    intervals = [(a, b) for a in range(n) for b in range(a + 1, n + 1)]
    out = [set(DAYS[a:b]) for a, b in intervals if find(a) == find(b)]
    # Two disjoint intervals [a1, b1) and [a2, b2): known iff {+b1, -a1, +b2, -a2} balances.
    cuts = sorted({i for days in known for i in (min(index[d] for d in days), max(index[d] for d in days) + 1)})
    for i, a1 in enumerate(cuts):
        for b1 in cuts[i + 1 :]:
            for j, a2 in enumerate(cuts):
                if a2 <= b1:
                    continue
                for b2 in cuts[j + 1 :]:
                    plus, minus = sorted([find(b1), find(b2)]), sorted([find(a1), find(a2)])
                    if plus == minus and not (find(a1) == find(b1)):
                        out.append(set(DAYS[a1:b1]) | set(DAYS[a2:b2]))
    return out


def derive_rows(pub: Published) -> Published:
    """The cells an attacker adds by summing rows: a population whose every value is
    published (the total from any complete dimension; a parent's cell from its child
    dimension), and a value that is the population minus the others. Repeated until
    nothing new follows."""
    cells = dict(pub.cells)
    specs = {t.key: t for t in tables()}
    periods = {days for _, days in cells}
    changed = True
    while changed:
        changed = False
        for days in periods:
            for spec in specs.values():
                if spec.rest or spec.apart:
                    continue  # part of the population is in no value: rows do not add up
                keys = [f"{spec.dimension}:{v}" for v in spec.values]
                if spec.parent is None:
                    pop_keys = ["conversations:total"]
                else:
                    parent = specs[spec.parent]
                    pop_keys = [f"{parent.dimension}:{v}" for v in spec.population]
                if len(pop_keys) != 1:
                    # duration divides the answered chats: total minus unanswered.
                    pop_value = _get(cells, "conversations:total", days)
                    unanswered = _get(cells, "wait:unanswered", days)
                    population = None if None in (pop_value, unanswered) else pop_value - unanswered  # type: ignore[operator]
                else:
                    population = _get(cells, pop_keys[0], days)
                values = [_get(cells, k, days) for k in keys]
                missing = [k for k, n in zip(keys, values, strict=True) if n is None]
                if not missing and population is None and len(pop_keys) == 1:
                    cells[(pop_keys[0], days)] = sum(n for n in values if n is not None)
                    changed = True
                elif len(missing) == 1 and population is not None:
                    cells[(missing[0], days)] = population - sum(n for n in values if n is not None)
                    changed = True
    return Published(cells, pub.truth)


def _get(cells: dict[tuple[str, frozenset[date]], int | None], series: str, days: frozenset[date]) -> int | None:
    return cells.get((series, days))


def check(pub: Published) -> None:
    pub = derive_rows(pub)
    series = {s for s, _ in pub.cells}
    # 1. No published cell counts 1 to 4.
    for (s, days), n in pub.cells.items():
        assert n is None or not small(n), (s, sorted(days)[0], n)
        if n is not None:
            assert n == pub.true(s, days)
    # 2. Time: every difference of nested or overlapping published periods of one series
    #    (month minus its days, week minus its days across the month end, unions...).
    for s in series:
        known = pub.known(s)
        if known:
            for days in derivable_day_sets(known):
                assert not small(pub.true(s, days)), (s, min(days), max(days))
    # 3. Rows: in every period, the population minus the published values (the cells
    #    suppressed in the row, with the unpublished rest) and minus each value.
    periods = {days for _, days in pub.cells}
    specs = {t.key: t for t in tables()}
    for days in periods:
        for spec in specs.values():
            population = population_of(pub, spec, specs, days)
            if population is None:
                continue
            published = {v: pub.cells.get((f"{spec.dimension}:{v}", days)) for v in spec.values}
            shown = {v: n for v, n in published.items() if n is not None}
            rest = population - sum(shown.values())
            assert not small(rest), (spec.key, min(days), max(days), rest)
            for n in shown.values():
                assert not small(population - n), (spec.key, min(days))
    # 4. The one link between tables: chats answered but not ended by the operator.
    for days in periods:
        total = pub.cells.get(("conversations:total", days))
        unanswered = pub.cells.get(("wait:unanswered", days), 0 if total is not None else None)
        op = pub.cells.get(("outcome:operator_ended", days), 0 if total is not None else None)
        if None not in (total, unanswered, op) and ("outcome:operator_ended", days) in pub.cells:
            assert not small(total - unanswered - op), (min(days), total, unanswered, op)  # type: ignore[operator]


def population_of(pub: Published, spec: Table, specs: dict[str, Table], days: frozenset[date]) -> int | None:
    """The table's population over ``days`` if the published cells give it exactly."""
    total = pub.cells.get(("conversations:total", days))
    if spec.apart:
        return None  # chats counted in another centre: no population here
    if spec.parent is None:
        return total
    parent = specs[spec.parent]
    inside = [pub.cells.get((f"{parent.dimension}:{v}", days)) for v in spec.population]
    if all(n is not None for n in inside):
        return sum(n for n in inside if n is not None)
    outside = [pub.cells.get((f"{parent.dimension}:{v}", days)) for v in set(parent.values) - spec.population]
    if parent.parent is None and total is not None and all(n is not None for n in outside):
        return total - sum(n for n in outside if n is not None)
    return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from([12, 24, 48]))
async def test_nothing_below_five_can_be_derived(seed: int, volume: int) -> None:
    check(await publish(seed, volume))


def test_the_check_finds_the_leak_of_plain_small_cell_suppression() -> None:
    """The auditor has teeth: the old method (suppress each cell below 5 on its own,
    publish the rest) fails it on the issue's example (six busy days and one day with a
    single Tigrinya chat in a week)."""
    week = [date(2026, 1, 5) + timedelta(days=i) for i in range(7)]
    truth = {d: {"language:ti": n} for d, n in zip(week, [5, 6, 7, 5, 5, 1, 8], strict=True)}
    plain: dict[tuple[str, frozenset[date]], int | None] = {
        ("language:ti", frozenset([d])): (n if n >= 5 else None) for d, c in truth.items() for n in c.values()
    }
    plain[("language:ti", frozenset(week))] = 37
    try:
        check(Published(plain, truth))
    except AssertionError as exc:
        assert "language:ti" in str(exc)
        return
    raise AssertionError("plain suppression passed the check")


def test_visitor_domains_match_the_wire_contract() -> None:
    assert VISITOR_AUDIENCES[:3] == validation.AUDIENCES
    assert VISITOR_TOPICS[:5] == validation.TOPICS
    assert VISITOR_AGE_BANDS[:5] == validation.AGE_BANDS
    assert "operator_ended" in OUTCOMES and "unanswered" not in ANSWERED
    assert {t.dimension for t in tables()} >= {"language", "referral", "category", "triage", "duration"}
    assert ("language", i18n.SUPPORTED[0]) in {(t.dimension, v) for t in tables() for v in t.values}


async def report_of(
    day_counters: dict[date, dict[str, int]], group: str
) -> dict[date, dict[str, dict[str, int | None]]]:
    durable = Durable()
    for day, counters in day_counters.items():
        await durable.add_stats(day.isoformat(), counters)
    stats = Stats(durable, today=lambda: TODAY)  # type: ignore[arg-type]
    return {first: dims for _, first, dims in (await stats.report(FIRST, LAST, group)).periods}


async def test_answered_but_not_ended_by_the_operator_is_not_revealed() -> None:
    # 30 chats on one day: 10 unanswered, 17 ended by the operator, so exactly 3 were
    # answered and then ended by someone else: total - unanswered - operator_ended.
    day = date(2026, 1, 14)
    counters = {
        "conversations:total": 30,
        "wait:unanswered": 10,
        "wait:1-5m": 20,
        "outcome:operator_ended": 17,
        "outcome:visitor_ended": 13,
    }
    for group, first in (("day", day), ("week", date(2026, 1, 12)), ("month", date(2026, 1, 1))):
        dims = (await report_of({day: counters}, group))[first]
        assert dims["conversations"]["total"] == 30 and dims["wait"]["unanswered"] == 10, group
        assert dims["outcome"]["operator_ended"] is None and dims["outcome"]["visitor_ended"] is None, group


async def test_a_child_dimension_never_reveals_its_parents_suppressed_cell() -> None:
    # "unanswered" (2) is suppressed with "1-5m" (48); the triage answers divide the
    # answered chats (48), so with the total they would tell "unanswered": they are
    # not published either. Skip reasons divide "skipped" in turn.
    day = date(2026, 1, 14)
    counters = {
        "conversations:total": 50,
        "outcome:visitor_ended": 30,
        "outcome:operator_ended": 20,
        "wait:unanswered": 2,
        "wait:1-5m": 48,
        "triage:recorded": 30,
        "triage:skipped": 10,
        "triage:missing": 8,
        "triage_skip:test": 10,
    }
    dims = (await report_of({day: counters}, "month"))[date(2026, 1, 1)]
    assert dims["wait"] == {"unanswered": None, "1-5m": None}
    assert dims["triage"] == {"recorded": None, "skipped": None, "missing": None}
    assert set(dims["triage_skip"].values()) == {None}
    # With every chat answered the same answers are published, the rest (not triaged
    # yet) never is.
    counters.update({"wait:unanswered": 0, "wait:1-5m": 50, "triage:missing": 5})
    dims = (await report_of({day: counters}, "month"))[date(2026, 1, 1)]
    assert dims["triage"] == {"recorded": 30, "skipped": 10, "missing": 5}
    assert dims["triage_skip"] == {"test": 10}


async def test_the_current_month_and_months_past_retention_are_not_published() -> None:
    durable = Durable()
    for day in ("2025-12-10", "2026-02-10", "2026-03-01"):
        await durable.add_stats(day, {"conversations:total": 9, "language:sv": 9})
    stats = Stats(durable, retention_days=60, today=lambda: date(2026, 3, 2))  # type: ignore[arg-type]
    report = await stats.report(date(2025, 12, 1), date(2026, 3, 31), "month")
    assert [label for label, _, _ in report.periods] == ["2026-02"]  # December is past, March is running
    assert report.published_until == date(2026, 2, 28) and report.published_from == date(2026, 1, 1)
    assert report.as_json()["published_until"] == "2026-02-28"


def test_groups_never_leave_a_member_pinned() -> None:
    from chat_server.services.stats_protection import REST, groups

    # Five languages with one chat each: each would be exactly 1; a zero joins.
    cols = {"sv": 40, "ar": 1, "ti": 1, "so": 1, "fa": 1, "am": 1, "ku": 0, "tr": 0}
    group = groups(cols)
    assert {"ar", "ti", "so", "fa", "am"} < group and {"ku", "tr"} & group and "sv" not in group
    # One small value: its complement joins (the rest first, which is never published).
    assert groups({"needed": 3, REST: 40}) == {"needed", REST}
    assert groups({"needed": 40, REST: 3}) == {"needed", REST}
    # Nothing small: nothing suppressed; a forced column takes a partner.
    assert groups({"a": 5, "b": 0, "c": 9}) == frozenset()
    assert groups({"a": 12, "b": 9, "c": 30}, frozenset({"a"})) == {"a", "b"}
