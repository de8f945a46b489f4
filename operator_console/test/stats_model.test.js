// Statistics for a coordinator: honest figures from published cells only, ranges where
// hidden cells leave them open, quantiles of waits from the server's buckets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cellOf, conversations, lastTwelveMonths, minutesOf, parsePeriod, partitionBounds, shareBounds, shareSeries, sumCells, totalSeries, valuesOf, waitQuantile } from "../src/state/stats_model.js";

const P = (period, counts) => ({ period, from: `${period}-01`, counts });

const EXACT = [
  P("2026-01", { conversations: { total: 20 }, age_band: { "13-15": 5, "16-17": 5, "18-21": 10 }, urgent: { yes: 5, no: 15 },
    wait: { "0-1m": 6, "1-5m": 6, "5-15m": 5, unanswered: 3 }, referral: { police: 5 } }),
  P("2026-02", { conversations: { total: 10 }, age_band: { "18-21": 10 }, urgent: { no: 10 },
    wait: { "1-5m": 5, "15-30m": 5 } }),
];

test("exact figures when nothing is hidden", () => {
  assert.deepEqual(conversations(EXACT), { known: 30, hidden: 0 });
  assert.deepEqual(partitionBounds(EXACT, "age_band", ["13-15", "16-17"]), { low: 10, high: 10, total: 30 });
  assert.deepEqual(shareBounds(EXACT, "urgent", ["yes"]), { low: 5 / 30, high: 5 / 30, exact: true });
  // Answered waits: 6 (0-1m), 11 (1-5m), 5 (5-15m), 5 (15-30m): 27; the median (13.5th) is in 1-5m.
  assert.deepEqual(waitQuantile(EXACT, 0.5), { first: "1-5m", last: "1-5m", exact: true });
  // The 90th percentile (24.3rd of 27) is in 15-30m.
  assert.deepEqual(waitQuantile(EXACT, 0.9), { first: "15-30m", last: "15-30m", exact: true });
  assert.deepEqual(totalSeries(EXACT), [20, 10]);
  assert.deepEqual(shareSeries(EXACT, "urgent", ["yes"]), [0.25, 0]);
});

test("hidden cells give a range, never a guess", () => {
  // 12 chats: 7 over 18 published, the two under-18 bands hidden together (5 between them).
  const periods = [P("2026-03", { conversations: { total: 12 }, age_band: { "13-15": null, "16-17": null, "18-21": 7 } })];
  assert.deepEqual(partitionBounds(periods, "age_band", ["13-15", "16-17"]), { low: 5, high: 5, total: 12 });
  assert.deepEqual(partitionBounds(periods, "age_band", ["13-15"]), { low: 0, high: 5, total: 12 });
  assert.equal(shareSeries(periods, "age_band", ["13-15"])[0], null);
  // A hidden total: nothing can be bounded.
  assert.equal(partitionBounds([P("2026-04", { conversations: { total: null } })], "urgent", ["yes"]), null);
  assert.deepEqual(conversations([...EXACT, P("2026-04", { conversations: { total: null } })]), { known: 30, hidden: 1 });
});

test("a median from buckets with hidden cells is the buckets it can be in", () => {
  // 20 chats: 8 answered within a minute, 7 in 5-15m; 5 hidden among 1-5m and 30m+.
  const periods = [P("2026-05", { conversations: { total: 20 }, wait: { "0-1m": 8, "1-5m": null, "5-15m": 7, "30m+": null } })];
  // All 5 early: 8, 13 of 20 by 1-5m -> median in 1-5m. All late: 8, 8, 15 by 5-15m -> 5-15m.
  assert.deepEqual(waitQuantile(periods, 0.5), { first: "1-5m", last: "5-15m", exact: false });
  assert.deepEqual(minutesOf("1-5m", "5-15m"), [1, 15]);
  // Hidden mass that may be unanswered may shrink the population instead: all 5
  // unanswered leaves 11 answered (median the 5.5th: under a minute); all 5 at 5-15m
  // gives 16 (median the 8th: 1-5m).
  const rest = [P("2026-06", { conversations: { total: 16 }, wait: { "0-1m": 6, "1-5m": 5, "5-15m": null, unanswered: null } })];
  assert.deepEqual(waitQuantile(rest, 0.5), { first: "0-1m", last: "1-5m", exact: false });
  assert.equal(waitQuantile([P("2026-07", { conversations: { total: 5 }, wait: { unanswered: 5 } })], 0.5), null);
});

test("sums of cells that are not one per chat say when something is hidden", () => {
  assert.deepEqual(sumCells(EXACT, "referral", "police"), { known: 5, hidden: false });
  assert.deepEqual(sumCells([...EXACT, P("2026-03", { referral: { police: null } })], "referral", "police"), { known: 5, hidden: true });
  assert.deepEqual(valuesOf(EXACT, "wait", ["0-1m", "1-5m", "5-15m", "15-30m", "30m+", "unanswered"]), ["0-1m", "1-5m", "5-15m", "15-30m", "unanswered"]);
});

test("periods and the default range", () => {
  assert.deepEqual(parsePeriod("2026-W05"), { kind: "week", year: 2026, week: 5 });
  assert.deepEqual(parsePeriod("2026-11"), { kind: "month", year: 2026, month: 11 });
  assert.deepEqual(parsePeriod("2026-11-03"), { kind: "day", year: 2026, month: 11, day: 3 });
  assert.deepEqual(lastTwelveMonths(new Date(2026, 10, 30)), { from: "2025-11-01", to: "2026-11-30" });
  assert.deepEqual(lastTwelveMonths(new Date(2026, 0, 5)), { from: "2025-01-01", to: "2026-01-05" });
});

test("a hidden cell stays hidden, a left-out one is zero", () => {
  const p = P("2026-08", { topic: { fgm: null, control: 20 } });
  assert.equal(cellOf(p, "topic", "fgm"), null);
  assert.equal(cellOf(p, "topic", "control"), 20);
  assert.equal(cellOf(p, "topic", "marriage"), 0);
  assert.equal(cellOf(p, "language", "sv"), 0);
});

test("feedback: the share of yes among the answers, a range where answers are hidden", async () => {
  const { feedbackShare } = await import("../src/state/stats_model.js");
  const p = (total, feedback) => ({ period: "2026-01", counts: { conversations: { total }, feedback } });
  assert.equal(feedbackShare([p(40, {})]), null); // nobody answered
  const exact = feedbackShare([p(40, { yes: 6, partly: 5 }), p(30, { yes: 9, no: 10 })]);
  assert.deepEqual(exact, { low: 15 / 30, high: 15 / 30, exact: true, answers: { known: 30, hidden: 0 } });
  // "partly" and "no" hidden in a period of 20 with 6 yes: up to 14 more answers, none yes.
  const range = feedbackShare([p(20, { yes: 6, partly: null, no: null })]);
  assert.deepEqual(range, { low: 6 / 20, high: 1, exact: false, answers: { known: 6, hidden: 1 } });
  // A hidden answer in a period whose total is hidden: nothing can be said.
  assert.equal(feedbackShare([p(null, { yes: null, no: null })]), null);
});
