// Opening-hours sentences (src/app/state/hours.js) with a frozen clock, in
// Europe/Stockholm: "today", "tomorrow" by the calendar (also across both changes of
// summer time), a weekday up to six days ahead, the date beyond. The holiday, closure
// and locale cases are in hours_cases.test.js.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { useCatalog } from "../../frontend_lib/i18n.js";
import { dayAfter, daysBetween, nextOpenText, nextOpening, weeklyRows, zoned } from "../src/app/state/hours.js";

const TZ = "Europe/Stockholm";
const at = (iso) => Date.parse(iso);
const hours = (nextOpenIso) => ({ timezone: TZ, next_open_at: at(nextOpenIso) });

describe("nextOpening", () => {
  test("today, tomorrow, later", () => {
    useCatalog("en", null);
    const now = at("2026-03-10T18:30:00+01:00"); // a Tuesday evening
    assert.deepEqual(nextOpening(hours("2026-03-10T20:00:00+01:00"), now), { day: "today", days: 0, weekday: 1, date: "2026-03-10", time: "20:00" });
    assert.deepEqual(nextOpening(hours("2026-03-11T09:00:00+01:00"), now), { day: "tomorrow", days: 1, weekday: 2, date: "2026-03-11", time: "09:00" });
    assert.deepEqual(nextOpening(hours("2026-03-13T09:00:00+01:00"), now), { day: "weekday", days: 3, weekday: 4, date: "2026-03-13", time: "09:00" });
    assert.deepEqual(nextOpening(hours("2026-03-17T09:00:00+01:00"), now), { day: "date", days: 7, weekday: 1, date: "2026-03-17", time: "09:00" });
    assert.equal(nextOpenText(hours("2026-03-11T09:00:00+01:00"), now), "The chat opens again tomorrow at 09:00.");
    assert.equal(nextOpenText(hours("2026-03-13T09:00:00+01:00"), now), "The chat opens again on Friday at 09:00.");
    assert.equal(nextOpenText(hours("2026-03-17T09:00:00+01:00"), now), "The chat opens again on Tuesday 17 March at 09:00.");
  });

  test("late on the night summer time starts: 'tomorrow' is the next calendar day, not now + 24 h", () => {
    // Saturday 28 March 2026, 23:30 CET; clocks go forward at 02:00 on Sunday 29 March.
    const now = at("2026-03-28T23:30:00+01:00");
    // Monday 30 March 00:15 CEST is less than 24 hours away but two days on.
    assert.equal(nextOpening(hours("2026-03-30T00:15:00+02:00"), now).day, "weekday");
    assert.equal(nextOpening(hours("2026-03-29T09:00:00+02:00"), now).day, "tomorrow");
  });

  test("the night summer time ends (25 hours): Sunday evening to Monday", () => {
    // Saturday 24 October 2026, 23:50 CEST; clocks go back at 03:00 on Sunday 25 October.
    const now = at("2026-10-24T23:50:00+02:00");
    // Sunday 25 October 23:55 CET is more than 24 hours away but still tomorrow.
    assert.equal(nextOpening(hours("2026-10-25T23:55:00+01:00"), now).day, "tomorrow");
  });

  test("unknown or unreadable: null", () => {
    assert.equal(nextOpening(null, 0), null);
    assert.equal(nextOpening({ timezone: TZ }, 0), null);
    assert.equal(nextOpening({ timezone: "Mars/Olympus", next_open_at: 1 }, 0), null);
    assert.equal(nextOpenText({}, 0), null);
  });

  test("the sentence comes from the catalog", () => {
    useCatalog("sv", { messages: { "The chat opens again tomorrow at {time}.": "Chatten öppnar igen i morgon kl. {time}." } });
    assert.equal(nextOpenText(hours("2026-03-11T09:00:00+01:00"), at("2026-03-10T18:30:00+01:00")), "Chatten öppnar igen i morgon kl. 09:00.");
    useCatalog("en", null);
  });
});

describe("calendar helpers", () => {
  test("daysBetween counts calendar days", () => {
    assert.equal(daysBetween("2026-03-28", "2026-03-30"), 2);
    assert.equal(daysBetween("2026-12-30", "2027-01-04"), 5);
    assert.equal(daysBetween("2026-03-10", "2026-03-10"), 0);
  });

  test("dayAfter crosses months, years and leap days", () => {
    assert.equal(dayAfter("2026-03-28"), "2026-03-29");
    assert.equal(dayAfter("2026-12-31"), "2027-01-01");
    assert.equal(dayAfter("2028-02-28"), "2028-02-29");
    assert.equal(dayAfter("2027-02-28"), "2027-03-01");
  });

  test("zoned gives Stockholm's weekday, date and clock", () => {
    assert.deepEqual(zoned(at("2026-06-19T22:30:00Z"), TZ), { weekday: 5, date: "2026-06-20", time: "00:30" });
  });

  test("weeklyRows: Monday first, closed days empty, junk ranges dropped", () => {
    useCatalog("en", null);
    const rows = weeklyRows({ weekly: [{ weekday: 0, ranges: [["09:00", "12:00"], ["13:00", "16:00"]] }, { weekday: 6, ranges: [["x"]] }, null] });
    assert.equal(rows.length, 7);
    assert.deepEqual(rows[0], { name: "Monday", ranges: [["09:00", "12:00"], ["13:00", "16:00"]], today: false, exception: null });
    assert.deepEqual(rows[6], { name: "Sunday", ranges: [], today: false, exception: null });
    assert.equal(weeklyRows({ weekly: [] }), null);
    assert.equal(weeklyRows(null), null);
  });
});
