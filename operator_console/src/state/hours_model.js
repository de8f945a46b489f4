// The opening-hours editor as data (pure; unit-tested in ../../test/hours_model.test.js).
//
// The server's document (GET /api/hours `hours`, services/hours.py; docs/protocol.md):
//   {weekly: {"0": [["09:00","12:00"],["13:00","16:00"]], …}   Monday = "0", "24:00" = midnight
//    exceptions: {"2026-12-23": [], …}                           one date, its own ranges
//    exception_periods?: [{from, to, ranges, reason?}]            runs of days
//    closed_on_holidays, closed_on_eves, last_call_min}
// The editor shows one list of exceptions (a date is a period of one day) and writes
// them back in the server's canonical form: one day without a reason goes to
// `exceptions`, anything else to `exception_periods` (left out when empty). So a
// document loaded and saved unchanged is the same document, field for field.
//
// `<input type="time">` cannot show 24:00: an end of "00:00" means midnight at the end
// of the day (an end can never be 00:00 otherwise, it must come after the start).
import { _ } from "../../../frontend_lib/i18n.js";

export const MAX_RANGES = 6; // per day, as the server allows
export const MAX_REASON = 200;
export const MAX_PERIOD_DAYS = 366;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const toInput = (hhmm) => (hhmm === "24:00" ? "00:00" : hhmm);
const fromInputEnd = (hhmm) => (hhmm === "00:00" ? "24:00" : hhmm);
const ranges = (list) => (list || []).map(([from, to]) => ({ from: toInput(from), to: toInput(to) }));
const pairs = (list) => list.map((r) => [r.from, fromInputEnd(r.to)]);
const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// The editor's state from the server's document.
export function fromDocument(doc) {
  const d = doc || {};
  const weekly = d.weekly || {};
  const exceptions = Object.keys(d.exceptions || {}).map((day) => ({ from: day, to: day, ranges: ranges(d.exceptions[day]), reason: "" }));
  const periods = (d.exception_periods || []).map((p) => ({ from: p.from, to: p.to, ranges: ranges(p.ranges), reason: p.reason || "" }));
  return {
    days: Array.from({ length: 7 }, (_unused, i) => ranges(weekly[String(i)])),
    exceptions: [...exceptions, ...periods].sort((a, b) => byText(a.from, b.from)),
    closedOnHolidays: d.closed_on_holidays !== false,
    closedOnEves: d.closed_on_eves !== false,
    lastCall: Number.isInteger(d.last_call_min) ? d.last_call_min : 10,
  };
}

// The document to PUT, in the server's canonical form.
export function toDocument(state) {
  const weekly = {};
  state.days.forEach((list, i) => {
    if (list.length) weekly[String(i)] = sortPairs(pairs(list));
  });
  const exceptions = {};
  const periods = [];
  for (const e of [...state.exceptions].sort((a, b) => byText(a.from, b.from))) {
    const to = e.to || e.from;
    const reason = (e.reason || "").trim();
    if (to === e.from && !reason) exceptions[e.from] = sortPairs(pairs(e.ranges));
    else periods.push({ from: e.from, to, ranges: sortPairs(pairs(e.ranges)), ...(reason ? { reason } : {}) });
  }
  const doc = {
    weekly,
    exceptions,
    closed_on_holidays: !!state.closedOnHolidays,
    closed_on_eves: !!state.closedOnEves,
    last_call_min: Number(state.lastCall) || 0,
  };
  if (periods.length) doc.exception_periods = periods;
  return doc;
}

function sortPairs(list) {
  return list.sort((a, b) => byText(a[0], b[0]));
}

function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000);
}

function rangeProblem(list) {
  if (list.length > MAX_RANGES) return _("At most six time ranges a day.");
  for (const r of list) {
    if (!HHMM.test(r.from) || !HHMM.test(r.to)) return _("Write each time as HH:MM.");
    if (fromInputEnd(r.to) <= r.from) return _("Each time range must end after it starts (00:00 as the end means midnight).");
  }
  const sorted = sortPairs(pairs(list));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i][0] < sorted[i - 1][1]) return _("Two time ranges on the same day overlap.");
  }
  return null;
}

// Everything wrong with the state, in words for the coordinator:
// [{where: "day:0" | "exception:3" | "last-call", message}]. Empty when it can be saved.
export function problems(state) {
  const out = [];
  state.days.forEach((list, i) => {
    const p = rangeProblem(list);
    if (p) out.push({ where: `day:${i}`, message: p });
  });
  state.exceptions.forEach((e, i) => {
    const to = e.to || e.from;
    let p = null;
    if (!DAY.test(e.from || "") || Number.isNaN(Date.parse(e.from)) || !DAY.test(to) || Number.isNaN(Date.parse(to))) {
      p = _("Choose the first and the last day of the exception.");
    } else if (to < e.from || daysBetween(e.from, to) >= MAX_PERIOD_DAYS) {
      p = _("An exception period must end on or after its first day, and last at most a year.");
    } else if ((e.reason || "").length > MAX_REASON) {
      p = _("The reason can be at most 200 characters.");
    } else {
      p = rangeProblem(e.ranges);
    }
    if (p) out.push({ where: `exception:${i}`, message: p });
  });
  const spans = state.exceptions
    .map((e, i) => ({ i, from: e.from, to: e.to || e.from }))
    .filter((s) => DAY.test(s.from) && DAY.test(s.to))
    .sort((a, b) => byText(a.from, b.from));
  for (let k = 1; k < spans.length; k++) {
    if (spans[k].from <= spans[k - 1].to && !out.some((o) => o.where === `exception:${spans[k].i}`)) {
      out.push({ where: `exception:${spans[k].i}`, message: _("Two exceptions cover the same day. Change or remove one of them.") });
    }
  }
  const lc = Number(state.lastCall);
  if (!Number.isInteger(lc) || lc < 0 || lc > 120) out.push({ where: "last-call", message: _("Write a number of minutes from 0 to 120.") });
  return out;
}

// A new time range for a day: after the last one, or 09:00–16:00.
export function nextRange(list) {
  if (!list.length) return { from: "09:00", to: "16:00" };
  const last = list[list.length - 1];
  const end = fromInputEnd(last.to);
  if (end >= "23:00") return { from: "23:00", to: "00:00" };
  const [h, m] = end.split(":").map(Number);
  const from = `${String(Math.min(h + 1, 22)).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
  const to = `${String(Math.min(h + 3, 23)).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
  return { from, to: to > from ? to : "00:00" };
}

// "09:00–12:00, 13:00–16:00" for one list of ranges (times as the document writes them).
export function rangesText(list) {
  return sortPairs(pairs(list))
    .map(([a, b]) => `${a}–${b}`)
    .join(", ");
}
