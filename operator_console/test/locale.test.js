// The console's locale-neutral elapsed time (queue cards, alerts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { elapsed } from "../src/lib/locale.js";

test("elapsed: m:ss, h:mm:ss past an hour, never negative", () => {
  const t0 = 1_000_000;
  assert.equal(elapsed(t0, t0), "0:00");
  assert.equal(elapsed(t0, t0 + 65_000), "1:05");
  assert.equal(elapsed(t0, t0 + 3_600_000 + 61_000), "1:01:01");
  assert.equal(elapsed(t0, t0 - 5_000), "0:00");
});
