// The overflow settings editor model: a centre loaded and saved unchanged is saved as it
// was, the order moves as asked, and what cannot be saved is said in words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_OVERFLOW, add, candidates, fromCentre, minutesText, move, problems, remove, toChanges } from "../src/state/overflow_model.js";

const SKANE = { id: "skane", overflow: ["kronoberg", "blekinge", "nkt"], overflow_wait_s: 900 };

test("a centre loaded and saved unchanged asks for the same settings", () => {
  assert.deepEqual(toChanges(fromCentre(SKANE), true), { overflow: ["kronoberg", "blekinge", "nkt"], overflow_wait_s: 900 });
  assert.deepEqual(toChanges(fromCentre({ id: "x" }), true), { overflow: [], overflow_wait_s: null });
  // Set through the API to a wait that is not whole minutes: shown rounded, kept exact.
  const odd = fromCentre({ id: "x", overflow: [], overflow_wait_s: 90 });
  assert.equal(odd.minutes, "1.5");
  assert.deepEqual(problems(odd), []);
  assert.deepEqual(toChanges(odd, false), { overflow_wait_s: 90 });
});

test("the wait in minutes becomes seconds; empty is the default", () => {
  const s = fromCentre(SKANE);
  s.minutes = " 30 ";
  assert.deepEqual(toChanges(s, false), { overflow_wait_s: 1800 });
  s.minutes = "";
  assert.deepEqual(toChanges(s, false), { overflow_wait_s: null });
  assert.equal(minutesText(null), "");
  assert.equal(minutesText(1200), "20");
});

test("a wait outside 1-120 whole minutes is a problem, named in words", () => {
  const s = fromCentre(SKANE);
  for (const bad of ["0", "121", "2.5", "abc", "-3"]) {
    s.minutes = bad;
    const found = problems(s);
    assert.equal(found.length, 1, bad);
    assert.equal(found[0].where, "wait");
    assert.ok(found[0].message);
  }
  s.minutes = "120";
  assert.deepEqual(problems(s), []);
});

test("moving, removing and adding keep each centre once and never the centre itself", () => {
  const s = fromCentre(SKANE);
  move(s, 2, -1);
  assert.deepEqual(s.order, ["kronoberg", "nkt", "blekinge"]);
  move(s, 0, -1); // already first
  move(s, 2, 1); // already last
  assert.deepEqual(s.order, ["kronoberg", "nkt", "blekinge"]);
  remove(s, 0);
  add(s, "nkt");
  add(s, "skane");
  add(s, "dalarna");
  assert.deepEqual(s.order, ["nkt", "blekinge", "dalarna"]);
  const all = ["skane", "kronoberg", "nkt", "blekinge", "dalarna"].map((id) => ({ id, name: id }));
  assert.deepEqual(candidates(s, all).map((c) => c.id), ["kronoberg"]);
  s.order = Array.from({ length: MAX_OVERFLOW }, (_unused, i) => `c${i}`);
  add(s, "kronoberg");
  assert.equal(s.order.length, MAX_OVERFLOW);
  s.order.push("c1");
  assert.equal(problems(s)[0].where, "overflow");
});
