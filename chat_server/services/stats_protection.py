"""Which statistics cells may be published, so that no count from 1 to 4 can be worked
out from any combination of them (docs/privacy.md has the argument in full).

The idea: every published number is a sum of *atoms*, disjoint sets of conversations
each counting 0 or at least 5. Any linear combination of published numbers that counts
a set of conversations then counts a union of atoms, which is 0 or at least 5. Atoms
are built per calendar month ("frame"), from that month's data only, once the month
has ended, so they never change afterwards and requests made at different times, for
different ranges or groupings, all see one consistent set of cells.

* **Total** (``conversations:total``): atoms are days, or a week's part of the month
  (a *segment*: ISO weeks are cut at month ends, so days, weeks and months all nest in
  segments), merged with a neighbour while they count 1 to 4.
* **A table** (a dimension's values, plus the *rest* of its population for dimensions
  that do not cover everyone, e.g. ``interpreter:needed``): one time grain per month
  (day, segment or month; never finer than its population's atoms), and in each time
  block the values counting 1 to 4 are grouped with others until the group counts at
  least 5 (``groups``): complementary suppression, including the row complement (the
  rest). A value is published for a period only where it is a
  group of its own in every block of the period. The grain is the finest that
  publishes every value the month's own block does: finer views never cost the month
  view a value.
* **Dimensions** share only the total (no cross-tabulation is published), so a
  combination of two dimensions' cells counts a union of one's atoms or the total's.
* **Populations** nest: triage answers (recorded, skipped, missing; the rest is not
  triaged yet, or never was) and durations and referrals divide the answered chats,
  the form's dimensions divide the recorded forms, the reasons for skipping divide the
  skipped ones. A table divides its population only in blocks where the population is a union
  of its parent's groups, so a child never reveals a parent's suppressed cell.
* **One identity across tables** that is not a nesting: every chat an operator ended was answered, so
  ``total - wait:unanswered - outcome:operator_ended`` counts a set of chats. Outcome and
  wait share their grain, and where that difference is 1 to 4, ``operator_ended`` is
  suppressed too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import i18n
from . import triage
from .referrals import TYPES as REFERRAL_TYPES

SMALL = 5
GRAINS = ("day", "segment", "month")
REST = "\0rest"  # the unpublished rest of a table's population

# What a visitor can choose at start (the wire contract, docs/protocol.md; the unit tests
# check these against transport/validation.py).
VISITOR_AUDIENCES = ("self", "other", "professional", "unknown")
VISITOR_TOPICS = ("control", "marriage", "fgm", "violence", "other", "none")
VISITOR_AGE_BANDS = ("13-15", "16-17", "18-21", "22-26", "over-26", "unknown")
OUTCOMES = ("visitor_ended", "visitor_exit", "operator_ended", "abandoned", "blocked")
WAITS = ("0-1m", "1-5m", "5-15m", "15-30m", "30m+", "unanswered")
DURATIONS = ("0-5m", "5-15m", "15-30m", "30-60m", "60m+")
ANSWERED = frozenset(WAITS) - {"unanswered"}
FEEDBACK_ANSWERS = ("yes", "partly", "no")
OVERFLOW = ("out", "in")  # went to another centre, came from another centre


@dataclass(frozen=True)
class Table:
    """A division of a population into columns.

    ``key``: the table's name (``"language"``, ``"referral:police"``); ``dimension`` and
    ``values``: what is published; ``rest``: whether part of the population is in no
    value (the rest is then a column that is never published); ``parent`` and
    ``population``: the parent table and its columns this table divides (``None``:
    all conversations); ``apart``: the table divides no population of this centre's
    (chats counted elsewhere), so no row of it adds up to another cell."""

    key: str
    dimension: str
    values: tuple[str, ...]
    rest: bool = False
    parent: str | None = None
    population: frozenset[str] = frozenset()
    binary: bool = False  # one value of a dimension a conversation may have several of
    apart: bool = False  # counts chats that are not this centre's conversations

    def column_keys(self) -> dict[str, str]:
        """Column -> counter key (``"dimension:value"``)."""
        return {v: f"{self.dimension}:{v}" for v in self.values}


def _binary(dimension: str, value: str, parent: str | None = None, population: Iterable[str] = ()) -> Table:
    return Table(f"{dimension}:{value}", dimension, (value,), True, parent, frozenset(population), True)


def tables() -> list[Table]:
    """Every published table, parents before children."""
    languages = (*i18n.SUPPORTED, "unknown")
    recorded = ("triage", {"recorded"})
    out = [
        Table("audience", "audience", VISITOR_AUDIENCES),
        Table("topic", "topic", VISITOR_TOPICS),
        Table("language", "language", languages),
        Table("age_band", "age_band", VISITOR_AGE_BANDS),
        Table("urgent", "urgent", ("yes", "no")),
        Table("outcome", "outcome", OUTCOMES),
        Table("wait", "wait", WAITS),
        _binary("interpreter", "needed"),
        _binary("followup", "returned"),
        # The visitors' answers to "Did you get the help you needed?" (services/
        # feedback.py), counted on the day they answered; most chats get no answer
        # (the unpublished rest).
        Table("feedback", "feedback", FEEDBACK_ANSWERS, True),
        # Overflow (issue 19, services/overflow.py): a chat that came from another
        # centre is one of this centre's conversations (the rest is the chats that did
        # not); one that went to another centre is counted there, not here, so ``out``
        # divides nothing of this centre's and stands alone (its own group when 1-4).
        _binary("overflow", "in"),
        Table("overflow:out", "overflow", ("out",), binary=True, apart=True),
        # Every answered chat gets its triage, at the end or afterwards (on the day it
        # ended, services/pending_triage.py); one not triaged is in the unpublished rest.
        Table("triage", "triage", ("recorded", "skipped", "missing"), True, "wait", ANSWERED),
        Table("triage_skip", "triage_skip", triage.SKIP_REASONS, False, "triage", frozenset({"skipped"})),
        Table("duration", "duration", DURATIONS, False, "wait", ANSWERED),
        _binary("followup", "issued", "wait", ANSWERED),
        *(_binary("referral", t, "wait", ANSWERED) for t in REFERRAL_TYPES),
        Table("risk", "risk", triage.RISKS, False, *_pop(recorded)),
        Table("gender", "gender", triage.GENDERS, False, *_pop(recorded)),
        Table("assessed_age_band", "assessed_age_band", triage.AGE_BANDS, False, *_pop(recorded)),
        Table("assessed_audience", "assessed_audience", triage.AUDIENCES, True, *_pop(recorded)),
        Table("assessed_language", "assessed_language", (*i18n.SUPPORTED, "other"), True, *_pop(recorded)),
        *(_binary("category", c, *_pop(recorded)) for c in triage.CATEGORIES),
        *(_binary("action", a, *_pop(recorded)) for a in triage.ACTIONS),
    ]
    return out


def _pop(spec: tuple[str, set[str]]) -> tuple[str, frozenset[str]]:
    return spec[0], frozenset(spec[1])


def segments(first: date, last: date) -> list[list[date]]:
    """The days of [first, last] cut at every Monday (ISO weeks inside the range)."""
    out: list[list[date]] = []
    day = first
    while day <= last:
        if not out or day.weekday() == 0:
            out.append([])
        out[-1].append(day)
        day += timedelta(days=1)
    return out


#: The group of a block where a table publishes nothing at all.
EVERYTHING = frozenset({"\0everything"})


@dataclass
class Block:
    """A time block of a table: its days, the columns published there and the
    suppressed group (with the rest and unknown values; ``EVERYTHING`` when the block
    publishes nothing)."""

    days: frozenset[date]
    published: frozenset[str]
    group: frozenset[str] = frozenset()


@dataclass
class TablePlan:
    grain: str
    blocks: list[Block]


@dataclass
class MonthPlan:
    """What may be published about one ended calendar month."""

    first: date
    last: date
    silent: bool  # the month's total is 1 to 4: nothing at all is published
    total_blocks: list[frozenset[date]]
    tables: dict[str, TablePlan] = field(default_factory=dict)

    def total_published(self, days: frozenset[date]) -> bool:
        """Whether the total over ``days`` (inside this month) is a sum of atoms."""
        return not self.silent and _union_of(days, self.total_blocks)

    def published_values(self, table: str, days: frozenset[date]) -> frozenset[str]:
        """The values of ``table`` published over ``days`` (inside this month): those
        published in every block of the table there, if ``days`` is a union of them."""
        plan = self.tables.get(table)
        if self.silent or plan is None:
            return frozenset()
        inside = [b for b in plan.blocks if b.days & days]
        if not inside or any(not b.days <= days for b in inside):
            return frozenset()
        return frozenset.intersection(*(b.published for b in inside))


def _union_of(days: frozenset[date], blocks: list[frozenset[date]]) -> bool:
    return all(b <= days for b in blocks if b & days)


Counts = dict[date, dict[str, int]]
#: counts[day][dimension][value]: the same counters, indexed for the planner.
ByDim = dict[date, dict[str, dict[str, int]]]


def by_dimension(counts: Counts) -> ByDim:
    out: ByDim = {}
    for day, row in counts.items():
        per = out.setdefault(day, {})
        for key, n in row.items():
            dim, _, value = key.partition(":")
            per.setdefault(dim, {})[value] = n
    return out


def plan_month(first: date, last: date, counts: Counts) -> MonthPlan:
    """The publication plan of one calendar month [first, last] from its daily counters
    (``counts[day]["dimension:value"]``; missing means 0)."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    segs = segments(first, last)
    indexed = by_dimension({d: counts[d] for d in days if d in counts})

    def total(block: Iterable[date]) -> int:
        return sum(indexed.get(d, {}).get("conversations", {}).get("total", 0) for d in block)

    # Atoms of the total: days where a whole segment allows it, else segments; then a
    # unit counting 1-4 is merged with another (one counting 1-4 first, else the
    # smallest), nearest first.
    units: list[list[date]] = []
    for seg in segs:
        units += [[d] for d in seg] if all(total([d]) == 0 or total([d]) >= SMALL for d in seg) else [seg]
    while True:
        bad = [u for u in units if 0 < total(u) < SMALL]
        if not bad:
            break
        unit = bad[0]
        others = [u for u in units if u is not unit and total(u) > 0]
        if not others:
            return MonthPlan(first, last, True, [frozenset(days)])
        mate = min(others, key=lambda u: (total(u) >= SMALL, total(u), abs((u[0] - unit[0]).days)))
        units.remove(mate)
        unit.extend(mate)
        unit.sort()
    plan = MonthPlan(first, last, False, [frozenset(u) for u in units])
    by_grain = {
        "day": [frozenset([d]) for d in days],
        "segment": [frozenset(s) for s in segs],
        "month": [frozenset(days)],
    }
    specs = {t.key: t for t in tables()}
    for spec in specs.values():
        if spec.parent is None and spec.key not in ("outcome", "wait"):
            plan.tables[spec.key] = _plan_table(plan, spec, specs, indexed, by_grain)
    _plan_linked(plan, specs, indexed, by_grain)
    for spec in specs.values():
        if spec.parent is not None:  # parents come first in tables()
            plan.tables[spec.key] = _plan_table(plan, spec, specs, indexed, by_grain)
    return plan


def _column_counts(spec: Table, block: frozenset[date], counts: ByDim, specs: dict[str, Table]) -> dict[str, int]:
    cols = dict.fromkeys(spec.values, 0)
    for d in block:
        row = counts.get(d, {}).get(spec.dimension)
        if not row:
            continue
        for value, n in row.items():
            # Values the code does not know (an older counter) take part in protection
            # and are never published; a binary table is one value of its dimension.
            if value in cols or not spec.binary:
                cols[value] = cols.get(value, 0) + n
    if spec.rest:
        cols[REST] = _population(spec, block, counts, specs) - sum(cols.values())
    return cols


def _population(spec: Table, block: frozenset[date], counts: ByDim, specs: dict[str, Table]) -> int:
    if spec.parent is None:
        return sum(counts.get(d, {}).get("conversations", {}).get("total", 0) for d in block)
    parent = specs[spec.parent].dimension
    return sum(counts.get(d, {}).get(parent, {}).get(v, 0) for d in block for v in spec.population)


def groups(cols: dict[str, int], force: frozenset[str] = frozenset()) -> frozenset[str]:
    """The suppressed group of one block: the columns counting 1 to 4 (and ``force``),
    then the rest of the population if that helps, then the smallest others, until the
    group counts at least 5 with at least two non-zero members (a lone member would
    equal the group's count). Empty when nothing needs suppressing.

    A suppressed cell that is never 0 is known to be at least 1, so a group of ``k``
    non-zero members counting ``s`` bounds each member to [1, s - k + 1]: five
    conversations in five languages would be one each. When that range is narrower
    than "1 to 4" (s - k < 3), a zero column joins (then any member may be 0), or
    else the next smallest column.
    """
    group = {c for c, n in cols.items() if 0 < n < SMALL} | (force & set(cols))
    if not group:
        return frozenset()
    candidates = sorted((n, c) for c, n in cols.items() if c not in group and n > 0)
    if REST in cols and REST not in group and cols[REST] > 0:
        candidates.remove((cols[REST], REST))
        candidates.insert(0, (cols[REST], REST))

    def weak() -> bool:
        nonzero = [cols[c] for c in group if cols[c] > 0]
        return sum(nonzero) < SMALL or len(nonzero) < 2

    while candidates and weak():
        group.add(candidates.pop(0)[1])
    nonzero = [cols[c] for c in group if cols[c] > 0]
    if sum(nonzero) - len(nonzero) < 3 and not any(cols[c] == 0 for c in group):
        zeros = sorted(c for c, n in cols.items() if n == 0 and c not in group)
        if zeros:
            group.add(zeros[0])
        elif candidates:
            group.add(candidates.pop(0)[1])
    return frozenset(group)


def _plan_table(
    plan: MonthPlan,
    spec: Table,
    specs: dict[str, Table],
    counts: ByDim,
    by_grain: dict[str, list[frozenset[date]]],
    grain: str | None = None,
    force: dict[frozenset[date], frozenset[str]] | None = None,
) -> TablePlan:
    """The table's plan at ``grain`` (default: chosen here)."""
    parent = plan.tables.get(spec.parent) if spec.parent else None
    floor = GRAINS.index(parent.grain) if parent else 0
    candidates = [g for g in GRAINS[floor:] if _valid(plan, parent, by_grain[g])]
    if grain is None:
        month = _blocks(plan, spec, specs, counts, by_grain["month"], parent, {})
        wanted = {v for v in month[0].published if _column_counts(spec, month[0].days, counts, specs).get(v, 0) > 0}
        grain = "month"
        for g in candidates:
            blocks = _blocks(plan, spec, specs, counts, by_grain[g], parent, {})
            if all(wanted <= b.published for b in blocks):
                grain = g
                break
    return TablePlan(grain, _blocks(plan, spec, specs, counts, by_grain[grain], parent, force or {}))


def _valid(plan: MonthPlan, parent: TablePlan | None, blocks: list[frozenset[date]]) -> bool:
    """Blocks of a grain may be used: unions of the total's atoms (top-level tables) or
    of the parent's blocks."""
    outer = plan.total_blocks if parent is None else [b.days for b in parent.blocks]
    return all(_union_of(b, outer) for b in blocks)


def _blocks(
    plan: MonthPlan,
    spec: Table,
    specs: dict[str, Table],
    counts: ByDim,
    grain_blocks: list[frozenset[date]],
    parent: TablePlan | None,
    force: dict[frozenset[date], frozenset[str]],
) -> list[Block]:
    out = []
    for days in grain_blocks:
        if parent is not None and not _population_is_atoms(parent, spec.population, days):
            out.append(Block(days, frozenset(), EVERYTHING))
            continue
        cols = _column_counts(spec, days, counts, specs)
        if any(n < 0 for n in cols.values()):  # counters that do not add up: publish nothing
            out.append(Block(days, frozenset(), EVERYTHING))
            continue
        group = groups(cols, force.get(days, frozenset()))
        out.append(Block(days, frozenset(v for v in spec.values if v not in group), group))
    return out


def _population_is_atoms(parent: TablePlan, population: frozenset[str], days: frozenset[date]) -> bool:
    """In every parent block inside ``days``, the population is a union of the parent's
    groups (no suppressed group holds both population and other columns)."""
    for block in parent.blocks:
        if block.days <= days and (
            block.group == EVERYTHING or (block.group & population and block.group - population)
        ):
            return False
    return True


def _plan_linked(
    plan: MonthPlan, specs: dict[str, Table], counts: ByDim, by_grain: dict[str, list[frozenset[date]]]
) -> None:
    """Outcome and wait: one grain for both, and ``operator_ended`` suppressed where
    ``total - unanswered - operator_ended`` would count 1 to 4."""
    outcome, wait = specs["outcome"], specs["wait"]
    first = _plan_table(plan, outcome, specs, counts, by_grain)
    second = _plan_table(plan, wait, specs, counts, by_grain)
    grain = max(first.grain, second.grain, key=GRAINS.index)
    waits = _plan_table(plan, wait, specs, counts, by_grain, grain)
    force: dict[frozenset[date], frozenset[str]] = {}
    for block in waits.blocks:
        cols_o = _column_counts(outcome, block.days, counts, specs)
        cols_w = _column_counts(wait, block.days, counts, specs)
        op_alone = "operator_ended" not in groups(cols_o)
        if op_alone and "unanswered" in block.published:
            rest = sum(cols_o.values()) - cols_w["unanswered"] - cols_o["operator_ended"]
            if 0 < rest < SMALL:
                force[block.days] = frozenset({"operator_ended"})
    plan.tables["wait"] = waits
    plan.tables["outcome"] = _plan_table(plan, outcome, specs, counts, by_grain, grain, force)
