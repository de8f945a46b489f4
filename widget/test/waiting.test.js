// The waiting words and the notice (src/app/state/waiting.js): the estimate formatting,
// the notice kinds, "keep waiting", and the next opening with a frozen clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { useCatalog } from "../../frontend_lib/i18n.js";
import { applyFeedbackToken, applyQueue, freshState } from "../src/app/state/session.js";
import { applyWaiting, helplinesOpen, keepWaiting, noticeText, showHelplines, waitParts, waitText } from "../src/app/state/waiting.js";

const waiting = () => {
  const S = freshState();
  S.conv = { id: "c1", state: "waiting", position: 1 };
  return S;
};

describe("estimate formatting", () => {
  test("whole minutes, rounded up; unknown; beyond an hour", () => {
    useCatalog("en", null);
    assert.deepEqual(waitParts(null), { kind: "unknown", minutes: null });
    assert.deepEqual(waitParts(undefined), { kind: "unknown", minutes: null });
    assert.deepEqual(waitParts(Number.NaN), { kind: "unknown", minutes: null });
    assert.deepEqual(waitParts(-5), { kind: "unknown", minutes: null });
    assert.deepEqual(waitParts(30), { kind: "soon", minutes: 0 });
    assert.deepEqual(waitParts(60), { kind: "minutes", minutes: 1 });
    assert.deepEqual(waitParts(61), { kind: "minutes", minutes: 2 });
    assert.deepEqual(waitParts(3600), { kind: "minutes", minutes: 60 });
    assert.deepEqual(waitParts(3660), { kind: "long", minutes: 61 });
    assert.equal(waitText(null), "We cannot estimate the waiting time right now.");
    assert.equal(waitText(240), "Estimated wait: about 4 min.");
    assert.equal(waitText(7200), "Estimated wait: more than an hour.");
  });

  test("in Swedish and Arabic the catalog's words are used", () => {
    useCatalog("sv", { messages: { "Estimated wait: about {minutes} min.": "Beräknad väntetid: cirka {minutes} min." } });
    assert.equal(waitText(180), "Beräknad väntetid: cirka 3 min.");
    useCatalog("ar", { messages: { "Estimated wait: about {minutes} min.": "وقت الانتظار المتوقع: حوالي {minutes} دقيقة." } });
    assert.equal(waitText(180), "وقت الانتظار المتوقع: حوالي 3 دقيقة.");
    useCatalog("en", null);
  });
});

describe("the notice", () => {
  test("a queue event sets the estimate, the notice, the limit and the next opening", () => {
    const S = waiting();
    assert.equal(applyQueue(S, { position: 2, wait_estimate_s: null, notice: "nobody_on_duty", wait_limit_s: 1200, next_open_at: null }), true);
    assert.deepEqual([S.conv.position, S.wait, S.notice, S.waitLimit, S.nextOpenAt], [2, null, "nobody_on_duty", 1200, null]);
    // An older server: no notice fields at all.
    applyQueue(S, { position: 1, wait_estimate_s: 120 });
    assert.deepEqual([S.wait, S.notice, S.waitLimit], [120, null, null]);
    // A kind this widget does not know is ignored; the estimate still shows.
    applyWaiting(S, { wait_estimate_s: 60, notice: "something_new" });
    assert.equal(S.notice, null);
  });

  test("keep waiting folds the helplines until a new kind of notice comes", () => {
    const S = waiting();
    applyWaiting(S, { wait_estimate_s: null, notice: "nobody_on_duty" });
    assert.equal(helplinesOpen(S), true);
    keepWaiting(S);
    assert.equal(helplinesOpen(S), false);
    applyWaiting(S, { wait_estimate_s: null, notice: "nobody_on_duty" }); // the same again
    assert.equal(helplinesOpen(S), false);
    applyWaiting(S, { wait_estimate_s: 600, notice: "closed", next_open_at: null });
    assert.equal(helplinesOpen(S), true);
    keepWaiting(S);
    showHelplines(S);
    assert.equal(helplinesOpen(S), true);
    applyWaiting(S, { wait_estimate_s: 60, notice: null });
    assert.equal(helplinesOpen(S), false);
  });

  test("the words: nobody on duty, the limit in minutes, the next opening by the calendar", () => {
    useCatalog("en", null);
    const S = waiting();
    applyWaiting(S, { wait_estimate_s: null, notice: "nobody_on_duty" });
    assert.equal(noticeText(S, 0).title, "No counsellor is on duty right now");
    applyWaiting(S, { wait_estimate_s: 1800, notice: "long_wait", wait_limit_s: 1200 });
    assert.equal(noticeText(S, 0).lines[0], "It may take more than 20 minutes before a counsellor can answer.");
    // Friday 16:05 in Stockholm, closed; opens on Monday at 09:00.
    const now = Date.parse("2026-03-13T16:05:00+01:00");
    applyWaiting(S, { wait_estimate_s: 300, notice: "closed", next_open_at: Date.parse("2026-03-16T09:00:00+01:00") });
    const closed = noticeText(S, now);
    assert.equal(closed.title, "The chat has closed for now");
    assert.equal(closed.lines[0], "The chat opens again on Monday at 09:00.");
    assert.match(closed.lines[1], /still here/);
    applyWaiting(S, { wait_estimate_s: 60, notice: null });
    assert.equal(noticeText(S, now), null);
  });
});

describe("the feedback token", () => {
  test("taken once from `ended`, only a string", () => {
    const S = waiting();
    assert.equal(applyFeedbackToken(S, { reason: "visitor_exit" }), false);
    assert.equal(applyFeedbackToken(S, { reason: "operator_ended", feedback: 5 }), false);
    assert.equal(applyFeedbackToken(S, { reason: "operator_ended", feedback: "tok" }), true);
    assert.deepEqual(S.feedback, { token: "tok", status: "ask", error: null });
    // A second `ended` (another socket of the session) does not replace an answer in progress.
    S.feedback.status = "thanks";
    assert.equal(applyFeedbackToken(S, { reason: "operator_ended", feedback: "other" }), false);
    assert.equal(S.feedback.status, "thanks");
  });
});
