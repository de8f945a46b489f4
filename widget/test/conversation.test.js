// The visitor's conversation state (src/app/state/conversation.js): reconciliation of
// server ids and client ids, resume history, duplicates, ordering, acks and retries.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addOwnMessage,
  applyAck,
  createConversation,
  findUndeliveredMessage,
  mergeHistory,
  noAnswer,
  pushMessageToConversation,
  queued,
  requeueAfterDrop,
  retryMessage,
  sortMessages,
} from "../src/app/state/conversation.js";

const texts = (conv) => conv.items.map((i) => i.text);

describe("pushMessageToConversation", () => {
  test("adds an operator message once, however often it is delivered", () => {
    const conv = createConversation();
    const m = { id: "m1", client_id: "op-1", from: "operator", text: "Hej", ts: 1000 };
    assert.deepEqual(pushMessageToConversation(conv, m, { operatorName: "Sara" }).added, true);
    assert.deepEqual(pushMessageToConversation(conv, { ...m }).added, false);
    assert.equal(conv.items.length, 1);
    assert.equal(conv.items[0].name, "Sara");
    assert.equal(conv.items[0].status, null);
  });

  test("an operator message with our client_id is not taken for ours", () => {
    const conv = createConversation();
    addOwnMessage(conv, "mine", { clientId: "c-1", now: 5 });
    pushMessageToConversation(conv, { id: "m9", client_id: "c-1", from: "operator", text: "theirs", ts: 6 });
    assert.deepEqual(texts(conv), ["mine", "theirs"]);
    assert.equal(conv.items[0].status, "queued");
  });

  test("ignores what is not a message and files an unknown sender as system", () => {
    const conv = createConversation();
    assert.equal(pushMessageToConversation(conv, null), null);
    assert.equal(pushMessageToConversation(conv, { id: "x", from: "operator" }), null);
    assert.equal(pushMessageToConversation(conv, "text"), null);
    const r = pushMessageToConversation(conv, { id: "m1", from: "admin", text: "?", ts: 1 });
    assert.equal(r.item.from, "system");
  });
});

describe("reconciliation of our own message", () => {
  test("ack first, then the echoed message: one delivered item with the server's id and time", () => {
    const conv = createConversation();
    const item = addOwnMessage(conv, "hej", { clientId: "c-1", now: 100 });
    item.status = "sent";
    assert.equal(applyAck(item, { ok: true, id: "m1", ts: 120 }), "delivered");
    const r = pushMessageToConversation(conv, { id: "m1", client_id: "c-1", from: "visitor", text: "hej", ts: 120 });
    assert.equal(r.added, false);
    assert.equal(conv.items.length, 1);
    assert.deepEqual([item.id, item.serverTs, item.ts, item.status], ["m1", 120, 120, "delivered"]);
  });

  test("echoed message first, then the ack: the same", () => {
    const conv = createConversation();
    const item = addOwnMessage(conv, "hej", { clientId: "c-1", now: 100 });
    item.status = "sent";
    const r = pushMessageToConversation(conv, { id: "m1", client_id: "c-1", from: "visitor", text: "hej", ts: 120 });
    assert.equal(r.item, item);
    assert.equal(item.status, "delivered");
    assert.equal(findUndeliveredMessage(conv, "c-1"), null);
    assert.equal(applyAck(item, { ok: true, id: "m1", ts: 120 }), "delivered");
    assert.equal(conv.items.length, 1);
    assert.equal(item.id, "m1");
  });

  test("a late refusal after the echo does not undo the delivery", () => {
    const conv = createConversation();
    const item = addOwnMessage(conv, "hej", { clientId: "c-1", now: 100 });
    pushMessageToConversation(conv, { id: "m1", client_id: "c-1", from: "visitor", text: "hej", ts: 120 });
    assert.equal(applyAck(item, { ok: false, error: { code: "rate_limited" } }), "delivered");
    assert.equal(noAnswer(item, 3), "delivered");
    assert.equal(item.status, "delivered");
  });

  test("findUndeliveredMessage finds only our unconfirmed message", () => {
    const conv = createConversation();
    const a = addOwnMessage(conv, "a", { clientId: "c-a", now: 1 });
    addOwnMessage(conv, "b", { clientId: "c-b", now: 2 });
    assert.equal(findUndeliveredMessage(conv, "c-a"), a);
    applyAck(a, { ok: true, id: "m1", ts: 3 });
    assert.equal(findUndeliveredMessage(conv, "c-a"), null);
    assert.equal(findUndeliveredMessage(conv, "c-b").text, "b");
    assert.equal(findUndeliveredMessage(conv, "nope"), null);
  });
});

describe("resume history", () => {
  test("a history that overlaps what is shown adds only what was missed, each once", () => {
    const conv = createConversation();
    pushMessageToConversation(conv, { id: "m1", from: "system", text: "Sara joined", ts: 10 });
    const mine = addOwnMessage(conv, "1", { clientId: "c-1", now: 15 });
    applyAck(mine, { ok: true, id: "m2", ts: 20 });
    // Written while offline: not on the server yet.
    const pending = addOwnMessage(conv, "typed offline", { clientId: "c-3", now: 40 });
    const history = [
      { id: "m1", client_id: null, from: "system", text: "Sara joined", ts: 10 },
      { id: "m2", client_id: "c-1", from: "visitor", text: "1", ts: 20 },
      { id: "m3", client_id: "op-1", from: "operator", text: "while offline", ts: 30 },
    ];
    const results = mergeHistory(conv, history, { operatorName: "Sara" });
    assert.deepEqual(results.map((r) => [r.item.text, r.added]), [["Sara joined", false], ["1", false], ["while offline", true]]);
    sortMessages(conv);
    assert.deepEqual(texts(conv), ["Sara joined", "1", "while offline", "typed offline"]);
    assert.equal(pending.status, "queued");
    // The same history again (a second resume) changes nothing.
    assert.ok(mergeHistory(conv, history).every((r) => !r.added));
    assert.equal(sortMessages(conv), false);
    assert.equal(conv.items.length, 4);
  });

  test("a message sent before the drop whose ack was lost is confirmed by the history", () => {
    const conv = createConversation();
    const item = addOwnMessage(conv, "lost ack", { clientId: "c-1", now: 5 });
    item.status = "sent";
    requeueAfterDrop(conv);
    assert.equal(item.status, "queued");
    mergeHistory(conv, [{ id: "m7", client_id: "c-1", from: "visitor", text: "lost ack", ts: 9 }]);
    assert.equal(item.status, "delivered");
    assert.deepEqual(queued(conv), []);
    assert.equal(conv.items.length, 1);
  });

  test("a history that is not a list is ignored", () => {
    const conv = createConversation();
    assert.deepEqual(mergeHistory(conv, undefined), []);
    assert.deepEqual(mergeHistory(conv, [null, 3, { text: 5 }]), []);
    assert.equal(conv.items.length, 0);
  });
});

describe("sortMessages", () => {
  test("server time first, unconfirmed last in writing order, ties in arrival order", () => {
    const conv = createConversation();
    const late = addOwnMessage(conv, "unconfirmed 1", { clientId: "c-1", now: 1 });
    pushMessageToConversation(conv, { id: "b", from: "operator", text: "second", ts: 200 });
    pushMessageToConversation(conv, { id: "a", from: "operator", text: "first", ts: 100 });
    addOwnMessage(conv, "unconfirmed 2", { clientId: "c-2", now: 2 });
    pushMessageToConversation(conv, { id: "c", from: "system", text: "tie", ts: 200 });
    assert.equal(sortMessages(conv), true);
    assert.deepEqual(texts(conv), ["first", "second", "tie", "unconfirmed 1", "unconfirmed 2"]);
    applyAck(late, { ok: true, id: "d", ts: 150 });
    sortMessages(conv);
    assert.deepEqual(texts(conv), ["first", "unconfirmed 1", "second", "tie", "unconfirmed 2"]);
  });
});

describe("acknowledgements and retries", () => {
  test("refusals: retryable for a passing fault, not for bad input; gone for a lost conversation", () => {
    const conv = createConversation();
    const cases = [
      ["rate_limited", "failed", true],
      ["unavailable", "failed", true],
      ["internal", "failed", true],
      ["too_large", "failed", false],
      ["invalid", "failed", false],
      ["conflict", "gone", false],
      ["no_conversation", "gone", false],
    ];
    for (const [code, outcome, retryable] of cases) {
      const item = addOwnMessage(conv, code, { clientId: `c-${code}`, now: 1 });
      item.status = "sent";
      assert.equal(applyAck(item, { ok: false, error: { code, message: "…" } }), outcome, code);
      assert.equal(item.status, "failed", code);
      assert.equal(item.retryable, retryable, code);
      assert.equal(item.error, code);
    }
  });

  test("no answer: back to the outbox until the tries are used up, then failed and retryable", () => {
    const conv = createConversation();
    const item = addOwnMessage(conv, "x", { clientId: "c-1", now: 1 });
    for (let n = 1; n < 3; n += 1) {
      item.status = "sent";
      item.tries = n;
      assert.equal(noAnswer(item, 3), "queued");
    }
    item.status = "sent";
    item.tries = 3;
    assert.equal(noAnswer(item, 3), "failed");
    assert.equal(item.retryable, true);
    assert.equal(item.error, "timeout");
  });

  test("a dropped connection requeues what was in flight and what failed for want of an answer", () => {
    const conv = createConversation();
    const inFlight = addOwnMessage(conv, "a", { clientId: "c-a", now: 1 });
    inFlight.status = "sent";
    inFlight.tries = 2;
    const timedOut = addOwnMessage(conv, "b", { clientId: "c-b", now: 2 });
    Object.assign(timedOut, { status: "failed", retryable: true, error: "timeout", tries: 3 });
    const refused = addOwnMessage(conv, "c", { clientId: "c-c", now: 3 });
    Object.assign(refused, { status: "failed", retryable: false, error: "too_large" });
    const changed = requeueAfterDrop(conv);
    assert.deepEqual(changed, [inFlight, timedOut]);
    assert.deepEqual(queued(conv).map((i) => i.text), ["a", "b"]);
    assert.equal(inFlight.tries, 0);
    assert.equal(refused.status, "failed");
  });

  test("retryMessage puts a failed message back in the outbox and leaves others alone", () => {
    const conv = createConversation();
    const item = addOwnMessage(conv, "x", { clientId: "c-1", now: 1 });
    assert.equal(retryMessage(item), false);
    Object.assign(item, { status: "failed", retryable: true, error: "rate_limited", tries: 1 });
    assert.equal(retryMessage(item), true);
    assert.deepEqual([item.status, item.tries, item.error], ["queued", 0, null]);
  });
});
