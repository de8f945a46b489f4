// The opening-hours editor model: nothing is lost between the server's document and the
// editor, and what cannot be saved is said in words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromDocument, nextRange, problems, rangesText, toDocument } from "../src/state/hours_model.js";

const FULL = {
  weekly: { 0: [["09:00", "12:00"], ["13:00", "16:00"]], 4: [["09:00", "24:00"]], 6: [["00:00", "24:00"]] },
  exceptions: { "2026-06-05": [["10:00", "14:00"]], "2026-12-23": [] },
  exception_periods: [
    { from: "2026-07-06", to: "2026-08-02", ranges: [], reason: "Sommarstängt" },
    { from: "2026-12-28", to: "2026-12-30", ranges: [["10:00", "14:00"]] },
    { from: "2027-01-07", to: "2027-01-07", ranges: [], reason: "Personaldag" },
  ],
  closed_on_holidays: true,
  closed_on_eves: false,
  last_call_min: 15,
};

test("a document loaded and saved unchanged is the same document", () => {
  assert.deepEqual(toDocument(fromDocument(FULL)), FULL);
  const old = { weekly: { 0: [["09:00", "16:00"]] }, exceptions: {}, closed_on_holidays: false, closed_on_eves: true, last_call_min: 0 };
  assert.deepEqual(toDocument(fromDocument(old)), old);
  assert.equal("exception_periods" in toDocument(fromDocument(old)), false);
});

test("several ranges a day and midnight survive the time inputs", () => {
  const state = fromDocument(FULL);
  assert.deepEqual(state.days[0], [{ from: "09:00", to: "12:00" }, { from: "13:00", to: "16:00" }]);
  assert.deepEqual(state.days[4], [{ from: "09:00", to: "00:00" }]); // 24:00 shown as 00:00
  assert.deepEqual(state.days[1], []);
  assert.equal(rangesText(state.days[6]), "00:00–24:00");
  assert.deepEqual(problems(state), []);
});

test("one day with a reason stays a period; one day without becomes a date", () => {
  const state = fromDocument({ weekly: {} });
  state.exceptions.push({ from: "2026-05-01", to: "2026-05-01", ranges: [], reason: "  " });
  state.exceptions.push({ from: "2026-05-04", to: "2026-05-04", ranges: [], reason: "Utbildning" });
  const doc = toDocument(state);
  assert.deepEqual(doc.exceptions, { "2026-05-01": [] });
  assert.deepEqual(doc.exception_periods, [{ from: "2026-05-04", to: "2026-05-04", ranges: [], reason: "Utbildning" }]);
});

test("what cannot be saved is named where it is", () => {
  const state = fromDocument(FULL);
  state.days[2] = [{ from: "16:00", to: "09:00" }];
  state.days[3] = [{ from: "09:00", to: "13:00" }, { from: "12:00", to: "16:00" }];
  state.exceptions.push({ from: "2026-07-20", to: "2026-07-21", ranges: [], reason: "" }); // inside the closure
  state.exceptions.push({ from: "2026-09-10", to: "2026-09-01", ranges: [], reason: "" });
  state.lastCall = 500;
  const where = problems(state).map((p) => p.where);
  assert.deepEqual(where.sort(), ["day:2", "day:3", "exception:5", "exception:6", "last-call"].sort());
  for (const p of problems(state)) assert.ok(p.message.length > 10, p.message);
});

test("a new range follows the last one", () => {
  assert.deepEqual(nextRange([]), { from: "09:00", to: "16:00" });
  assert.deepEqual(nextRange([{ from: "09:00", to: "12:00" }]), { from: "13:00", to: "15:00" });
  assert.deepEqual(nextRange([{ from: "20:00", to: "23:30" }]), { from: "23:00", to: "00:00" });
});
