// Typing indicators (typing.js) with an injected clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { peerTyping, typingSender } from "../typing.js";

// A manual clock: timers fire only when the test advances time.
function fakeClock() {
  let now = 0;
  let next = 1;
  const pending = new Map(); // handle -> {at, fn}
  return {
    set(fn, ms) {
      const handle = next++;
      pending.set(handle, { at: now + ms, fn });
      return handle;
    },
    clear(handle) {
      pending.delete(handle);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
    get pending() {
      return pending.size;
    },
  };
}

describe("typingSender", () => {
  test("says 'typing' once while input goes on, 'stopped' after the idle time", () => {
    const clock = fakeClock();
    const sent = [];
    const t = typingSender({ send: (a) => sent.push(a), idleMs: 3000, timers: clock });
    t.input();
    clock.advance(2000);
    t.input();
    clock.advance(2000);
    t.input();
    assert.deepEqual(sent, [true]);
    clock.advance(2999);
    assert.deepEqual(sent, [true]);
    clock.advance(1);
    assert.deepEqual(sent, [true, false]);
    assert.equal(t.active, false);
    t.input();
    assert.deepEqual(sent, [true, false, true]);
  });

  test("stop() (message sent) says 'stopped' at once and only once", () => {
    const clock = fakeClock();
    const sent = [];
    const t = typingSender({ send: (a) => sent.push(a), timers: clock });
    t.stop();
    assert.deepEqual(sent, []);
    t.input();
    t.stop();
    t.stop();
    clock.advance(10_000);
    assert.deepEqual(sent, [true, false]);
    assert.equal(clock.pending, 0);
  });

  test("reset() forgets without sending (the connection is gone)", () => {
    const clock = fakeClock();
    const sent = [];
    const t = typingSender({ send: (a) => sent.push(a), timers: clock });
    t.input();
    t.reset();
    clock.advance(10_000);
    assert.deepEqual(sent, [true]);
    t.input();
    assert.deepEqual(sent, [true, true]);
  });
});

describe("peerTyping", () => {
  test("on until they stop, their message arrives, or the time to live passes", () => {
    const clock = fakeClock();
    const changes = [];
    const p = peerTyping({ ttlMs: 15_000, timers: clock, onChange: (a) => changes.push(a) });
    p.set(true);
    p.set(false);
    p.set(true);
    p.clear();
    assert.deepEqual(changes, [true, false, true, false]);
    p.set(true);
    clock.advance(14_999);
    assert.equal(p.active, true);
    clock.advance(1);
    assert.equal(p.active, false);
    assert.deepEqual(changes, [true, false, true, false, true, false]);
  });

  test("a repeated 'typing' extends the time to live without a new change", () => {
    const clock = fakeClock();
    const changes = [];
    const p = peerTyping({ ttlMs: 1000, timers: clock, onChange: (a) => changes.push(a) });
    p.set(true);
    clock.advance(900);
    p.set(true);
    clock.advance(900);
    assert.equal(p.active, true);
    clock.advance(100);
    assert.equal(p.active, false);
    assert.deepEqual(changes, [true, false]);
  });
});
