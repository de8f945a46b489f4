// Statistics as a coordinator reads them (pure; ../../test/stats_model.test.js).
//
// Input: GET /api/stats `periods`: [{period, from, counts: {dimension: {value: n | null}}}].
// A value left out counts 0; `null` is hidden (suppressed: any count, zero included;
// services/stats_protection.py). Only ended months are published.
//
// Nothing here guesses a hidden count. Where hidden cells make a figure uncertain, the
// figure is given as the range every possible hidden count allows: within one period,
// the hidden cells of a dimension that divides every conversation (age, urgency, waiting
// time…) together hold exactly total − the published cells; how that is split is
// unknown, so a share is given as [lowest, highest]. Medians and percentiles of waiting
// times come from the duration buckets the server counts (never per conversation): the
// bucket the median falls in, or the buckets it could fall in.

export const WAIT_BUCKETS = ["0-1m", "1-5m", "5-15m", "15-30m", "30m+"];
// Minutes at the edges of each bucket (null: no upper edge).
export const WAIT_MINUTES = { "0-1m": [0, 1], "1-5m": [1, 5], "5-15m": [5, 15], "15-30m": [15, 30], "30m+": [30, null] };
export const UNDER_18 = ["13-15", "16-17"];

const cellsOf = (p, dim) => (p.counts && p.counts[dim]) || {};

// One cell: its count, null when hidden, 0 when left out (a published zero).
export function cellOf(p, dim, value) {
  const cells = cellsOf(p, dim);
  return value in cells ? cells[value] : 0;
}
const totalOf = (p) => {
  const t = cellsOf(p, "conversations").total;
  return t === undefined ? 0 : t;
};

// Conversations over the periods: {known, hidden (periods whose total is hidden)}.
export function conversations(periods) {
  let known = 0;
  let hidden = 0;
  for (const p of periods) {
    const t = totalOf(p);
    if (t === null) hidden += 1;
    else known += t;
  }
  return { known, hidden };
}

// How many conversations had one of `values` of `dim` (a dimension every conversation
// has exactly one value of): {low, high, total} over the periods, or null when some
// period's total is hidden (then nothing can be bounded).
export function partitionBounds(periods, dim, values) {
  const S = new Set(values);
  let low = 0;
  let high = 0;
  let total = 0;
  for (const p of periods) {
    const t = totalOf(p);
    if (t === null) return null;
    const cells = cellsOf(p, dim);
    let published = 0;
    let inS = 0;
    let hiddenIn = false;
    let hiddenOut = false;
    for (const [v, n] of Object.entries(cells)) {
      if (n === null) {
        if (S.has(v)) hiddenIn = true;
        else hiddenOut = true;
      } else {
        published += n;
        if (S.has(v)) inS += n;
      }
    }
    const hiddenMass = Math.max(0, t - published);
    total += t;
    low += inS + (hiddenIn && !hiddenOut ? hiddenMass : 0);
    high += inS + (hiddenIn ? hiddenMass : 0);
  }
  return { low, high, total };
}

// A share as [low, high] fractions of the total, or null (total hidden or zero).
export function shareBounds(periods, dim, values) {
  const b = partitionBounds(periods, dim, values);
  if (!b || !b.total) return null;
  return { low: b.low / b.total, high: b.high / b.total, exact: b.low === b.high };
}

// The waiting-time bucket(s) the q-quantile (0.5 median, 0.9 …) of *answered* chats can
// be in: {first, last} bucket names (equal when certain), or null (a total is hidden, or
// no chat was answered). Hidden mass in a period may be in any of its hidden buckets or
// in its hidden "unanswered" cell; the earliest and latest possible buckets are found by
// putting it all early or all late: for the quantile to be at bucket j or before,
// cum_j − q·N ≥ 0 must hold, and each period's hidden mass moves that sum by (1 − q)·mass
// in a bucket ≤ j, by 0 in "unanswered" and by −q·mass in a bucket after j.
export function waitQuantile(periods, q, order = WAIT_BUCKETS, rest = ["unanswered"]) {
  const known = order.map(() => 0);
  const parts = [];
  for (const p of periods) {
    const t = totalOf(p);
    if (t === null) return null;
    const cells = cellsOf(p, "wait");
    let published = 0;
    const hiddenIdx = [];
    let restHidden = false;
    for (const [v, n] of Object.entries(cells)) {
      if (n !== null) published += n;
      const i = order.indexOf(v);
      if (n === null) {
        if (i >= 0) hiddenIdx.push(i);
        else if (rest.includes(v)) restHidden = true;
      } else if (i >= 0) {
        known[i] += n;
      }
    }
    const mass = Math.max(0, t - published);
    if (mass > 0) parts.push({ mass, min: Math.min(...hiddenIdx, Infinity), max: Math.max(...hiddenIdx, -Infinity), restHidden });
  }
  const knownN = known.reduce((a, b) => a + b, 0);
  const anyBucketHidden = parts.some((x) => x.max >= 0);
  if (!knownN && !anyBucketHidden) return null;
  let cum = 0;
  let first = -1;
  let last = -1;
  for (let j = 0; j < order.length; j++) {
    cum += known[j];
    const base = cum - q * knownN;
    let most = base;
    let least = base;
    for (const x of parts) {
      // Most: the mass as early as it can be (a bucket ≤ j), else in "unanswered", else late.
      most += x.min <= j ? (1 - q) * x.mass : x.restHidden ? 0 : -q * x.mass;
      // Least: as late as it can be (a bucket > j), else in "unanswered", else early.
      least += x.max > j ? -q * x.mass : x.restHidden ? 0 : (1 - q) * x.mass;
    }
    if (first < 0 && most >= 0 && (knownN > 0 || parts.some((x) => x.min <= j))) first = j;
    if (last < 0 && least >= 0 && knownN > 0) last = j;
  }
  if (first < 0) return null;
  // With no answered chat published the quantile may be as late as any hidden bucket.
  if (last < 0) last = Math.max(first, ...parts.map((x) => x.max));
  return { first: order[first], last: order[last], exact: first === last };
}

// The minutes a range of buckets spans: [lowest, highest or null].
export function minutesOf(first, last) {
  return [WAIT_MINUTES[first][0], WAIT_MINUTES[last][1]];
}

// A dimension whose values are not one per conversation (referral types, categories):
// the sum of the published cells and whether any cell was hidden (then it is "at least").
export function sumCells(periods, dim, value) {
  let known = 0;
  let hidden = false;
  for (const p of periods) {
    const n = cellsOf(p, dim)[value];
    if (n === null) hidden = true;
    else if (n !== undefined) known += n;
  }
  return { known, hidden };
}

// Per period, the exact share of `values` or null where hidden cells make it uncertain
// (a trend line shows a gap there rather than a guess).
export function shareSeries(periods, dim, values) {
  return periods.map((p) => {
    const s = shareBounds([p], dim, values);
    return s && s.exact ? s.low : null;
  });
}

// Per period, the published total (null when hidden).
export function totalSeries(periods) {
  return periods.map((p) => totalOf(p));
}

// The values of a dimension present in any period, in `preferred` order first.
export function valuesOf(periods, dim, preferred = []) {
  const seen = new Set();
  for (const p of periods) for (const v of Object.keys(cellsOf(p, dim))) seen.add(v);
  const first = preferred.filter((v) => seen.has(v));
  return [...first, ...[...seen].filter((v) => !first.includes(v)).sort()];
}

// "2026-11" | "2026-W05" | "2026-11-03" -> {kind, year, month?, week?, day?}.
export function parsePeriod(label) {
  let m = /^(\d{4})-W(\d{2})$/.exec(label);
  if (m) return { kind: "week", year: Number(m[1]), week: Number(m[2]) };
  m = /^(\d{4})-(\d{2})$/.exec(label);
  if (m) return { kind: "month", year: Number(m[1]), month: Number(m[2]) };
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
  if (m) return { kind: "day", year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return { kind: "other" };
}

// The default range: the twelve months up to `today` (the server publishes only the
// months that have ended and leaves the rest out), as YYYY-MM-DD.
export function lastTwelveMonths(today) {
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return { from: iso(new Date(today.getFullYear(), today.getMonth() - 12, 1)), to: iso(today) };
}

// The visitors' own answers to "Did you get the help you needed?" (dimension
// `feedback`: yes, partly, no): the share answering `yes` among those who answered, as
// {low, high, exact, answers: {known, hidden}}, or null when nobody answered (or a
// hidden answer cell sits in a period whose total is hidden: then nothing can be
// bounded). Most chats get no answer, so the hidden cells of a period hold at most
// total − its published answers, which may also be chats that did not answer: the
// lowest share puts that mass in the hidden "partly"/"no" cells, the highest in a hidden
// "yes" (services/stats_protection.py, the feedback table's unpublished rest).
export function feedbackShare(periods, yes = ["yes"], answers = ["yes", "partly", "no"]) {
  let yesKnown = 0;
  let known = 0;
  let massIn = 0;
  let massOut = 0;
  let hiddenPeriods = 0;
  for (const p of periods) {
    const cells = cellsOf(p, "feedback");
    let published = 0;
    let hiddenIn = false;
    let hiddenOut = false;
    for (const v of answers) {
      const n = v in cells ? cells[v] : 0;
      if (n === null) {
        if (yes.includes(v)) hiddenIn = true;
        else hiddenOut = true;
      } else {
        published += n;
        if (yes.includes(v)) yesKnown += n;
      }
    }
    known += published;
    if (!hiddenIn && !hiddenOut) continue;
    const t = totalOf(p);
    if (t === null) return null;
    hiddenPeriods += 1;
    const mass = Math.max(0, t - published);
    if (hiddenIn) massIn += mass;
    if (hiddenOut) massOut += mass;
  }
  if (!known && !massIn && !massOut) return null;
  const lowDen = known + massOut;
  const highDen = known + massIn;
  const low = lowDen ? yesKnown / lowDen : 1;
  const high = highDen ? (yesKnown + massIn) / highDen : 0;
  return { low: Math.min(low, high), high: Math.max(low, high), exact: !hiddenPeriods, answers: { known, hidden: hiddenPeriods } };
}
