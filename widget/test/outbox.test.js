// The outbox (src/app/state/outbox.js) against a fake socket: order, a bounded number
// in flight, retries after no answer, a flush after a reconnect, and no duplicates.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addOwnMessage, createConversation, pushMessageToConversation } from "../src/app/state/conversation.js";
import { createOutbox } from "../src/app/state/outbox.js";

// A socket whose acknowledgements the test gives by hand. The "server" stores a
// client_id once (as chat_server does) and answers a resend with the same id.
function fakeServer() {
  const stored = new Map(); // client_id -> {id, ts}
  const sends = []; // every emit, in order: {client_id, text, answer(ack)}
  let online = true;
  const server = {
    stored,
    sends,
    get online() {
      return online;
    },
    set online(v) {
      online = v;
    },
    send(item) {
      return new Promise((resolve) => {
        sends.push({ client_id: item.client_id, text: item.text, answer: resolve });
      });
    },
    // Store the message (once) and acknowledge send number n.
    ack(n) {
      const s = sends[n];
      if (!stored.has(s.client_id)) stored.set(s.client_id, { id: `m${stored.size + 1}`, ts: 1000 + stored.size });
      s.answer({ ok: true, ...stored.get(s.client_id) });
    },
    // The server got it (and stored it) but the answer is lost; the client times out.
    storeAndTimeOut(n) {
      const s = sends[n];
      if (!stored.has(s.client_id)) stored.set(s.client_id, { id: `m${stored.size + 1}`, ts: 1000 + stored.size });
      s.answer({ ok: false, error: { code: "timeout", message: "" } });
    },
    timeOut(n) {
      sends[n].answer({ ok: false, error: { code: "timeout", message: "" } });
    },
    refuse(n, code) {
      sends[n].answer({ ok: false, error: { code, message: "no" } });
    },
  };
  return server;
}

const tick = () => new Promise((r) => setImmediate(r));

function setup(opts = {}) {
  const conv = createConversation();
  const server = fakeServer();
  const events = { changes: [], gone: 0, refused: [] };
  const outbox = createOutbox({
    conv,
    send: (item) => server.send(item),
    canSend: () => server.online,
    onChange: (item) => events.changes.push([item.text, item.status]),
    onGone: () => (events.gone += 1),
    onRefused: (item) => events.refused.push(item.text),
    ...opts,
  });
  let n = 0;
  const write = (text) => {
    n += 1;
    const item = addOwnMessage(conv, text, { clientId: `c-${n}`, now: n });
    outbox.flush();
    return item;
  };
  return { conv, server, events, outbox, write };
}

describe("outbox", () => {
  test("one message in flight at a time, in the order written", async () => {
    const { server, write } = setup();
    const items = ["a", "b", "c"].map(write);
    assert.deepEqual(server.sends.map((s) => s.text), ["a"]);
    assert.deepEqual(items.map((i) => i.status), ["sent", "queued", "queued"]);
    server.ack(0);
    await tick();
    assert.deepEqual(server.sends.map((s) => s.text), ["a", "b"]);
    server.ack(1);
    await tick();
    server.ack(2);
    await tick();
    assert.deepEqual(items.map((i) => [i.status, i.id]), [["delivered", "m1"], ["delivered", "m2"], ["delivered", "m3"]]);
    assert.equal(server.sends.length, 3);
  });

  test("a wider window keeps at most that many in flight", async () => {
    const { server, write } = setup({ maxInFlight: 2 });
    ["a", "b", "c", "d"].map(write);
    assert.deepEqual(server.sends.map((s) => s.text), ["a", "b"]);
    server.ack(1);
    await tick();
    assert.deepEqual(server.sends.map((s) => s.text), ["a", "b", "c"]);
  });

  test("an outbox filled offline is flushed after the reconnect, in order, one at a time", async () => {
    const { server, outbox, write, conv } = setup();
    server.online = false;
    const items = Array.from({ length: 20 }, (_, i) => write(`offline ${i}`));
    assert.equal(server.sends.length, 0);
    assert.ok(items.every((i) => i.status === "queued"));
    server.online = true;
    outbox.flush();
    for (let n = 0; n < 20; n += 1) {
      // Never more than one packet waiting for its answer: no burst of 20 in one POST.
      assert.equal(server.sends.length, n + 1);
      server.ack(n);
      await tick();
    }
    assert.deepEqual(server.sends.map((s) => s.text), items.map((i) => i.text));
    assert.ok(conv.items.every((i) => i.status === "delivered"));
  });

  test("no answer: the same client_id is sent again and the server keeps it once", async () => {
    const { server, write, events } = setup();
    const item = write("hello");
    server.storeAndTimeOut(0);
    await tick();
    assert.equal(server.sends.length, 2, "retried at once");
    assert.equal(server.sends[1].client_id, server.sends[0].client_id);
    server.ack(1);
    await tick();
    assert.equal(server.stored.size, 1);
    assert.deepEqual([item.status, item.id, item.tries], ["delivered", "m1", 2]);
    assert.deepEqual(events.changes, [["hello", "sent"], ["hello", "queued"], ["hello", "sent"], ["hello", "delivered"]]);
  });

  test("a retry waits for its turn: a later message is not sent before an earlier one", async () => {
    const { server, write } = setup();
    write("first");
    write("second");
    server.timeOut(0);
    await tick();
    assert.deepEqual(server.sends.map((s) => s.text), ["first", "first"]);
    server.ack(1);
    await tick();
    assert.deepEqual(server.sends.map((s) => s.text), ["first", "first", "second"]);
  });

  test("after the last try without an answer the message is failed and retryable; 'Try again' sends it", async () => {
    const { server, write, outbox } = setup({ maxTries: 3 });
    const item = write("x");
    for (let n = 0; n < 3; n += 1) {
      server.timeOut(n);
      await tick();
    }
    assert.equal(server.sends.length, 3);
    assert.deepEqual([item.status, item.retryable, item.error], ["failed", true, "timeout"]);
    outbox.retry(item);
    assert.equal(server.sends.length, 4);
    server.ack(3);
    await tick();
    assert.equal(item.status, "delivered");
  });

  test("the echoed message confirms a message whose ack is late; the late answers change nothing", async () => {
    const { server, write, conv } = setup();
    const item = write("hej");
    write("next");
    pushMessageToConversation(conv, { id: "m1", client_id: item.client_id, from: "visitor", text: "hej", ts: 5 });
    assert.equal(item.status, "delivered");
    server.timeOut(0); // the ack itself never comes
    await tick();
    assert.equal(item.status, "delivered");
    assert.deepEqual(server.sends.map((s) => s.text), ["hej", "next"], "not sent again");
  });

  test("a drop requeues the message in flight; the stale failure is ignored; the reconnect resends it once", async () => {
    const { server, write, outbox } = setup();
    const item = write("during the drop");
    server.online = false;
    outbox.dropped();
    assert.equal(item.status, "queued");
    // socket.io-client fails the pending call when the connection closes.
    server.timeOut(0);
    await tick();
    assert.equal(item.status, "queued");
    assert.equal(server.sends.length, 1, "nothing sent while offline");
    server.online = true;
    outbox.flush();
    assert.equal(server.sends.length, 2);
    server.ack(1);
    await tick();
    assert.deepEqual([item.status, item.tries], ["delivered", 1]);
  });

  test("an ack from before the drop still confirms the message", async () => {
    const { server, write, outbox } = setup();
    const item = write("x");
    outbox.dropped();
    server.ack(0);
    await tick();
    assert.equal(item.status, "delivered");
  });

  test("refusals: reported, the outbox goes on; a lost conversation stops it", async () => {
    const { server, write, events } = setup();
    const a = write("too long");
    const b = write("ok");
    server.refuse(0, "too_large");
    await tick();
    assert.deepEqual([a.status, a.retryable], ["failed", false]);
    assert.deepEqual(events.refused, ["too long"]);
    assert.equal(server.sends[1].text, "ok");
    write("into nothing");
    server.refuse(1, "conflict");
    await tick();
    assert.equal(b.status, "failed");
    assert.equal(events.gone, 1);
    assert.equal(server.sends.length, 2, "nothing more after the conversation is gone");
  });

  test("a send that throws counts as no answer", async () => {
    let calls = 0;
    const conv = createConversation();
    const outbox = createOutbox({
      conv,
      send: () => {
        calls += 1;
        if (calls === 1) throw new Error("boom");
        return Promise.resolve({ ok: true, id: "m1", ts: 1 });
      },
      canSend: () => true,
    });
    const item = addOwnMessage(conv, "x", { clientId: "c-1", now: 1 });
    outbox.flush();
    await tick();
    await tick();
    assert.equal(calls, 2);
    assert.equal(item.status, "delivered");
  });

  test("stop(): after a quick exit nothing more is sent", async () => {
    const { server, write, outbox } = setup();
    write("a");
    write("b");
    outbox.stop();
    server.ack(0);
    await tick();
    assert.equal(server.sends.length, 1);
  });
});
