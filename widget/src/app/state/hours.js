// Opening hours as the widget words them. Pure: the clock is a parameter (tests freeze
// it); the weekday and the calendar date are those of the service's time zone.
import { _, fmt } from "../../../../frontend_lib/i18n.js";

const SHORT_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function weekdayNames() {
  return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")];
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

// The calendar day after "YYYY-MM-DD" (by the calendar, never by adding 24 hours: the
// night summer time starts has 23 hours, the night it ends 25).
export function dayAfter(date) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// When the chat opens next, relative to `now`: {day: "today"|"tomorrow"|"later",
// weekday, time} in the service's time zone; null when unknown.
export function nextOpening(hours, now) {
  if (!hours || !hours.next_open_at) return null;
  const tz = hours.timezone || "Europe/Stockholm";
  let when;
  let today;
  try {
    when = zoned(hours.next_open_at, tz);
    today = zoned(now, tz);
  } catch (e) {
    return null;
  }
  if (!/^\d{4}-\d\d-\d\d$/.test(when.date) || !/^\d{4}-\d\d-\d\d$/.test(today.date)) return null;
  const day = when.date === today.date ? "today" : when.date === dayAfter(today.date) ? "tomorrow" : "later";
  return { day, weekday: when.weekday, time: when.time };
}

// "The chat opens again tomorrow at 09:00." in the current language, or null.
export function nextOpenText(hours, now) {
  const next = nextOpening(hours, now);
  if (!next) return null;
  if (next.day === "today") return fmt(_("The chat opens again today at {time}."), { time: next.time });
  if (next.day === "tomorrow") return fmt(_("The chat opens again tomorrow at {time}."), { time: next.time });
  return fmt(_("The chat opens again on {day} at {time}."), { day: weekdayNames()[next.weekday] || "", time: next.time });
}

// The weekly table: seven rows, Monday first, each {name, ranges: [["09:00", "16:00"], …]};
// null when the server sent no weekly hours.
export function weeklyRows(hours) {
  const weekly = hours && Array.isArray(hours.weekly) ? hours.weekly : [];
  if (!weekly.length) return null;
  const byDay = new Map();
  for (const d of weekly) {
    if (d && Number.isInteger(d.weekday) && Array.isArray(d.ranges)) byDay.set(d.weekday, d.ranges);
  }
  return weekdayNames().map((name, i) => ({
    name,
    ranges: (byDay.get(i) || []).filter((r) => Array.isArray(r) && r.length === 2),
  }));
}
