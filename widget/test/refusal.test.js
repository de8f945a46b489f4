// Why a chat could not start (src/app/state/refusal.js): the server's codes on `start`
// and on the connection, transport failures with and without an HTTP status, no answer,
// and a device that knows it is offline.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REFUSAL_KINDS, isTemporary, refusalKind, setupCode } from "../src/app/state/refusal.js";

const ack = (code) => ({ ok: false, error: { code, message: "…" } });
// What socket.io-client gives connect_error: a CONNECT_ERROR packet from the server …
const refused = (code) => Object.assign(new Error(code), { data: { code, message: "…" } });
// … or engine.io-client's TransportError.
const transport = (description) => Object.assign(new Error("xhr poll error"), { type: "TransportError", description });

describe("refusalKind", () => {
  test("the start limit, a block and the opening hours, on `start`", () => {
    assert.equal(refusalKind({ ack: ack("rate_limited") }), "busy");
    assert.equal(refusalKind({ ack: ack("forbidden") }), "blocked");
    assert.equal(refusalKind({ ack: ack("closed") }), "closed");
    assert.equal(refusalKind({ ack: ack("unavailable") }), "unavailable");
  });

  test("the cap on waiting chats has its own words", () => {
    assert.equal(refusalKind({ ack: ack("queue_full") }), "full");
    assert.ok(isTemporary("full"));
  });

  test("any other refusal of `start` is a plain failure", () => {
    for (const code of ["invalid", "internal", "conflict", "something new"]) assert.equal(refusalKind({ ack: ack(code) }), "failed");
  });

  test("the server's answer wins over what the device thinks of its network", () => {
    assert.equal(refusalKind({ ack: ack("rate_limited"), online: false }), "busy");
  });

  test("no answer: offline when the device says so, else the chat is unavailable", () => {
    assert.equal(refusalKind({ ack: ack("timeout") }), "unavailable");
    assert.equal(refusalKind({ ack: ack("offline") }), "unavailable");
    assert.equal(refusalKind({ ack: ack("timeout"), online: false }), "offline");
    assert.equal(refusalKind({}), "unavailable");
    assert.equal(refusalKind({ online: false }), "offline");
  });

  test("a refused connection carries the server's code", () => {
    assert.equal(refusalKind({ connectError: refused("rate_limited") }), "busy");
    assert.equal(refusalKind({ connectError: refused("unavailable") }), "unavailable");
    assert.equal(refusalKind({ connectError: refused("invalid") }), "failed");
  });

  test("a failed handshake: 503 (a full server) and 429 (a proxy's limit); none (the server is away)", () => {
    assert.equal(refusalKind({ connectError: transport(503) }), "unavailable");
    assert.equal(refusalKind({ connectError: transport(429) }), "busy");
    assert.equal(refusalKind({ connectError: transport(0) }), "unavailable");
    assert.equal(refusalKind({ connectError: new Error("websocket error") }), "unavailable");
    assert.equal(refusalKind({ connectError: "garbage" }), "unavailable");
  });

  test("every kind is known; blocked, closed and misconfigured are not offered 'try again'", () => {
    for (const kind of ["busy", "full", "blocked", "closed", "unavailable", "offline", "failed"]) assert.ok(REFUSAL_KINDS.includes(kind));
    assert.deepEqual(REFUSAL_KINDS.filter((k) => !isTemporary(k)), ["blocked", "closed", "misconfigured"]);
  });
});

describe("a misconfigured embed", () => {
  test("an unknown, missing or forbidden centre on the connection", () => {
    for (const code of ["unknown_centre", "centre_required", "origin_not_allowed"]) {
      assert.equal(refusalKind({ connectError: refused(code) }), "misconfigured", code);
      assert.equal(setupCode(refused(code)), code);
    }
    assert.equal(isTemporary("misconfigured"), false);
    assert.ok(REFUSAL_KINDS.includes("misconfigured"));
    for (const other of [refused("rate_limited"), refused("invalid"), transport(503), null, undefined]) {
      assert.equal(setupCode(other), null);
    }
  });
});
