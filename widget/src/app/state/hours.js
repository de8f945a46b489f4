// Opening hours as the widget words them. Pure: the clock is a parameter (tests freeze
// it); the weekday and the calendar date are those of the service's time zone.
//
// What the server sends (`session.hours`, chat_server/services/hours.py Hours.payload):
//   {timezone, always_open, open_now, accepting, closes_at, next_open_at (ms or null),
//    last_call_min, weekly: [{weekday (0 = Monday), ranges: [["09:00", "16:00"], …]}]}
// `weekly` is the usual week; exceptions (a closed day, other hours, public holidays, a
// summer closure) are not listed, but they decide `open_now` and `next_open_at`, so a
// day that differs from the table can be told from the two (todayException below).
import { _, fmt } from "../../../../frontend_lib/i18n.js";

const SHORT_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const DAY_MS = 86400000;
// Up to six calendar days ahead the weekday alone is clear ("on Friday"); from seven on
// it would name today's weekday or a day in another week, so the date is given.
export const WEEKDAY_WINDOW_DAYS = 6;

export function weekdayNames() {
  return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")];
}

// TRANSLATORS: month names, used in a date such as "Monday 10 August" (see "{weekday} {day} {month}").
export function monthNames() {
  return [
    _("January"),
    _("February"),
    _("March"),
    _("April"),
    // TRANSLATORS: the month of May.
    _("May"),
    _("June"),
    _("July"),
    _("August"),
    _("September"),
    _("October"),
    _("November"),
    _("December"),
  ];
}

// A moment (ms since the epoch) in a time zone: {weekday (0 = Monday), date "YYYY-MM-DD", time "HH:MM"}.
export function zoned(ts, tz) {
  const parts = {};
  const f = new Intl.DateTimeFormat("en-GB", {
    timeZone: tz,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  for (const p of f.formatToParts(new Date(ts))) parts[p.type] = p.value;
  return {
    weekday: SHORT_DAYS.indexOf(parts.weekday),
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

const DATE_RE = /^(\d{4})-(\d\d)-(\d\d)$/;

function utcDay(date) {
  const [, y, m, d] = DATE_RE.exec(date).map(Number);
  return Date.UTC(y, m - 1, d);
}

// The calendar day after "YYYY-MM-DD" (by the calendar, never by adding 24 hours: the
// night summer time starts has 23 hours, the night it ends 25).
export function dayAfter(date) {
  return new Date(utcDay(date) + DAY_MS).toISOString().slice(0, 10);
}

// Calendar days from date `a` to date `b` ("YYYY-MM-DD" each): 0 the same day, 1 the
// next. Counted on the calendar (UTC midnights), so summer time changes do not matter.
export function daysBetween(a, b) {
  return Math.round((utcDay(b) - utcDay(a)) / DAY_MS);
}

function timezoneOf(hours) {
  return (hours && typeof hours.timezone === "string" && hours.timezone) || "Europe/Stockholm";
}

// Both moments in the service's zone, or null when a value or the zone is unreadable.
function zonedPair(ts, now, tz) {
  if (!Number.isFinite(ts) || !Number.isFinite(now)) return null;
  try {
    const when = zoned(ts, tz);
    const today = zoned(now, tz);
    if (!DATE_RE.test(when.date) || !DATE_RE.test(today.date) || when.weekday < 0) return null;
    return { when, today };
  } catch (e) {
    return null;
  }
}

// When the chat opens next, relative to `now` (ms): {day, days, weekday, date, time} in
// the service's time zone, or null when unknown. `day` is "today", "tomorrow",
// "weekday" (2 to 6 calendar days ahead) or "date" (7 or more); `days` the number of
// calendar days ahead.
export function nextOpening(hours, now) {
  if (!hours || !hours.next_open_at) return null;
  const pair = zonedPair(hours.next_open_at, now, timezoneOf(hours));
  if (!pair) return null;
  const { when, today } = pair;
  const days = daysBetween(today.date, when.date);
  if (days < 0) return null; // a stale payload: the opening has passed
  let day = "date";
  if (days === 0) day = "today";
  else if (days === 1) day = "tomorrow";
  else if (days <= WEEKDAY_WINDOW_DAYS) day = "weekday";
  return { day, days, weekday: when.weekday, date: when.date, time: when.time };
}

// "Monday 10 August" in the current language, from the catalog's weekday and month
// names (not Intl: browsers lack calendar data for some of our languages, and Persian
// would get the Solar Hijri calendar; the centres' dates are Gregorian).
export function dateText(date, weekday) {
  const m = DATE_RE.exec(date || "");
  if (!m) return "";
  // TRANSLATORS: a date, e.g. "Monday 10 August". Reorder the parts as your language writes dates.
  return fmt(_("{weekday} {day} {month}"), {
    weekday: weekdayNames()[weekday] || "",
    day: String(Number(m[3])),
    month: monthNames()[Number(m[2]) - 1] || "",
  });
}

// "The chat opens again tomorrow at 09:00." in the current language, or null.
export function nextOpenText(hours, now) {
  const next = nextOpening(hours, now);
  if (!next) return null;
  if (next.day === "today") return fmt(_("The chat opens again today at {time}."), { time: next.time });
  if (next.day === "tomorrow") return fmt(_("The chat opens again tomorrow at {time}."), { time: next.time });
  if (next.day === "weekday") return fmt(_("The chat opens again on {day} at {time}."), { day: weekdayNames()[next.weekday] || "", time: next.time });
  return fmt(_("The chat opens again on {date} at {time}."), { date: dateText(next.date, next.weekday), time: next.time });
}

// Open, but too late to start a chat today (the last minutes before closing): the
// sentence, or null.
export function lastCallText(hours, now) {
  if (!hours || !hours.open_now || hours.accepting !== false || !hours.closes_at) return null;
  const pair = zonedPair(hours.closes_at, now, timezoneOf(hours));
  if (!pair) return null;
  return fmt(_("It is too late to start a new chat today. The chat closes at {time}."), { time: pair.when.time });
}

function usualRanges(hours, weekday) {
  const weekly = hours && Array.isArray(hours.weekly) ? hours.weekly : [];
  const day = weekly.find((d) => d && d.weekday === weekday && Array.isArray(d.ranges));
  return day ? day.ranges.filter((r) => Array.isArray(r) && r.length === 2 && r.every((t) => typeof t === "string")) : [];
}

// Today differs from the usual week (a holiday, a closed day, a summer closure, other
// hours): {kind: "closed"} when the table promises more hours today but none come,
// {kind: "changed", time} when the chat opens today at another time than the table says
// (or on a day the table says is closed); else null. Only while the chat is closed:
// that is when the table is shown.
export function todayException(hours, now) {
  if (!hours || hours.always_open || hours.open_now !== false) return null;
  let today;
  try {
    today = zoned(now, timezoneOf(hours));
  } catch (e) {
    return null;
  }
  const usual = usualRanges(hours, today.weekday);
  // "HH:MM" strings compare in clock order; "24:00" is the end of the day.
  const remaining = usual.filter(([, end]) => end > today.time);
  const next = nextOpening(hours, now);
  if (next && next.day === "today") {
    const openNowByTable = remaining.some(([start]) => start <= today.time);
    const tableNext = remaining.find(([start]) => start > today.time);
    if (openNowByTable || !tableNext || tableNext[0] !== next.time) return { kind: "changed", time: next.time };
    return null;
  }
  return remaining.length ? { kind: "closed" } : null;
}

// The weekly table: seven rows, Monday first, each {name, ranges: [["09:00", "16:00"], …],
// today, exception} (`today` on the row of today's weekday when `now` is given;
// `exception` from todayException on that row); null when the server sent no weekly hours.
export function weeklyRows(hours, now) {
  const weekly = hours && Array.isArray(hours.weekly) ? hours.weekly : [];
  if (!weekly.length) return null;
  let todayIndex = -1;
  if (Number.isFinite(now)) {
    try {
      todayIndex = zoned(now, timezoneOf(hours)).weekday;
    } catch (e) {
      todayIndex = -1;
    }
  }
  const exception = todayIndex >= 0 ? todayException(hours, now) : null;
  return weekdayNames().map((name, i) => ({
    name,
    ranges: usualRanges(hours, i),
    today: i === todayIndex,
    exception: i === todayIndex ? exception : null,
  }));
}
