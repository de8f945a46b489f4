// The acknowledged-call helper (call.js) against a fake socket.io socket.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ackCall, isLocalFailure, normalizeAck } from "../call.js";

// Mimics socket.timeout(ms).emit(event, payload, cb): cb(err) on timeout, cb(null, ack).
function fakeSocket(reply) {
  const emitted = [];
  return {
    emitted,
    timeout(ms) {
      return {
        emit(event, payload, cb) {
          emitted.push({ event, payload, ms });
          reply(event, payload, cb);
        },
      };
    },
  };
}

test("resolves with the acknowledgement", async () => {
  const socket = fakeSocket((e, p, cb) => cb(null, { ok: true, id: "m1" }));
  const ack = await ackCall(socket, "message", { text: "hej" }, { timeoutMs: 1234 });
  assert.deepEqual(ack, { ok: true, id: "m1" });
  assert.deepEqual(socket.emitted, [{ event: "message", payload: { text: "hej" }, ms: 1234 }]);
});

test("a refusal keeps the server's code and message", async () => {
  const socket = fakeSocket((e, p, cb) => cb(null, { ok: false, error: { code: "rate_limited", message: "Vänta lite." } }));
  assert.deepEqual(await ackCall(socket, "start", {}), { ok: false, error: { code: "rate_limited", message: "Vänta lite." } });
});

test("no answer in time: a local 'timeout' with the caller's message, looked up when it fails", async () => {
  let language = "sv";
  const socket = fakeSocket((e, p, cb) => {
    language = "en";
    cb(new Error("operation has timed out"));
  });
  const ack = await ackCall(socket, "accept", {}, { noAnswer: () => (language === "en" ? "No answer." : "Inget svar.") });
  assert.deepEqual(ack, { ok: false, error: { code: "timeout", message: "No answer." } });
  assert.equal(isLocalFailure(ack), true);
});

test("no socket: a local 'offline' at once", async () => {
  const ack = await ackCall(null, "duty", {}, { noAnswer: () => "x" });
  assert.deepEqual(ack, { ok: false, error: { code: "offline", message: "x" } });
  assert.equal(isLocalFailure(ack), true);
  assert.equal(isLocalFailure({ ok: false, error: { code: "unavailable" } }), false);
});

test("a malformed acknowledgement becomes an internal error, never a TypeError", async () => {
  for (const bad of [undefined, null, "ok", 3, {}, { ok: "yes" }]) {
    const socket = fakeSocket((e, p, cb) => cb(null, bad));
    assert.deepEqual(await ackCall(socket, "x", {}), { ok: false, error: { code: "internal", message: "" } }, String(bad));
  }
  assert.deepEqual(normalizeAck({ ok: false }), { ok: false, error: { code: "internal", message: "" } });
  assert.deepEqual(normalizeAck({ ok: false, error: { code: 5, message: null } }), { ok: false, error: { code: "internal", message: "" } });
});
