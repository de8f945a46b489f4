// The one place that decides a refused connection means "log in again".
import assert from "node:assert/strict";
import { test } from "node:test";
import { isSessionRefused } from "../src/connection.js";

test("a CONNECT_ERROR 'unauthorized' ends the session; other failures do not", () => {
  // socket.io-client: err.message is the CONNECT_ERROR payload's message, err.data its data.
  const refused = Object.assign(new Error("unauthorized"), { data: { code: "unauthorized", message: "Log in." } });
  assert.equal(isSessionRefused(refused), true);
  assert.equal(isSessionRefused(Object.assign(new Error("x"), { data: { code: "unauthorized" } })), true);
  assert.equal(isSessionRefused(new Error("unauthorized")), true);
  for (const err of [new Error("xhr poll error"), new Error("timeout"), Object.assign(new Error("rate limited"), { data: { code: "rate_limited" } }), null, undefined]) {
    assert.equal(isSessionRefused(err), false, String(err && err.message));
  }
});

test("activity is reported at most once a minute", async () => {
  const { activityReporter } = await import("../src/connection.js");
  let clock = 1000;
  const sent = [];
  const report = activityReporter(() => sent.push(clock), () => clock, 60000);
  assert.equal(report(), true);
  clock += 59999;
  assert.equal(report(), false);
  clock += 1;
  assert.equal(report(), true);
  assert.deepEqual(sent, [1000, 61000]);
});
