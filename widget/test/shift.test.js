// Quick exit by Shift pressed three times (src/app/shift.js), clock injected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { WINDOW_MS, shiftCounter } from "../src/app/shift.js";

function setup() {
  const log = [];
  const timers = {
    pending: null,
    set(fn, ms) {
      this.pending = { fn, ms };
      return 1;
    },
    clear() {
      this.pending = null;
    },
    fire() {
      const p = this.pending;
      this.pending = null;
      p.fn();
    },
  };
  const onKey = shiftCounter({
    progress: (n) => log.push(`progress ${n}`),
    exit: () => log.push("exit"),
    reset: (cancelled) => log.push(`reset ${cancelled}`),
    timers,
  });
  const shift = () => onKey({ key: "Shift", shiftKey: false });
  return { log, timers, onKey, shift };
}

test("three presses exit; progress is announced before", () => {
  const { log, shift } = setup();
  shift();
  shift();
  shift();
  assert.deepEqual(log, ["progress 1", "progress 2", "exit"]);
});

test("five seconds without the next press cancel the count", () => {
  const { log, shift, timers } = setup();
  shift();
  assert.equal(timers.pending.ms, WINDOW_MS);
  timers.fire();
  shift();
  assert.deepEqual(log, ["progress 1", "reset true", "progress 1"]);
});

test("another key in between starts again; a Shift held for a capital does not count", () => {
  const { log, shift, onKey } = setup();
  shift();
  onKey({ key: "a", shiftKey: false });
  assert.deepEqual(log, ["progress 1", "reset false"]);
  // "A": the letter is released while Shift is held, then Shift itself.
  onKey({ key: "A", shiftKey: true });
  onKey({ key: "Shift", shiftKey: false });
  shift();
  shift();
  assert.deepEqual(log, ["progress 1", "reset false", "progress 1", "progress 2"]);
});
