// The operator's chats as data (src/state/chats.js): several chats, unread counts,
// drafts, merging history and live messages, sending with retries, reconnects.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  activeChat,
  addChat,
  addMessage,
  applyConversation,
  applyOffer,
  applyQueue,
  applySent,
  applySession,
  createWork,
  EARLY_MS,
  keepEarly,
  markEnded,
  markGone,
  needsInterpreter,
  neighbour,
  outgoing,
  removeChat,
  select,
  totalUnread,
} from "../src/state/chats.js";

const conv = (id, extra = {}) => ({ id, pseudonym: `Besökare ${id}`, locale: "sv", ...extra });
const msg = (id, from, text, ts, extra = {}) => ({ id, client_id: `c-${id}`, from, text, ts, ...extra });
const texts = (chat) => chat.messages.map((m) => m.text);

describe("chats and tabs", () => {
  test("the first chat becomes active; others queue up as tabs", () => {
    const W = createWork();
    addChat(W, conv("a"), [msg("m1", "visitor", "hej", 1)]);
    addChat(W, conv("b"), []);
    assert.deepEqual(W.order, ["a", "b"]);
    assert.equal(W.active, "a");
    assert.equal(activeChat(W).conv.id, "a");
    assert.deepEqual(texts(W.chats.get("a")), ["hej"]);
    assert.equal(W.chats.get("a").unread, 0, "history is not unread");
  });

  test("the same chat again (reconnect, sync) keeps messages, draft and unread; merges history once", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), [msg("m1", "visitor", "1", 1)]);
    chat.draft = "half a sentence";
    addMessage(W, chat, msg("m2", "visitor", "2", 2), { live: true, visible: false });
    addChat(W, conv("a", { visitor_connected: true }), [msg("m1", "visitor", "1", 1), msg("m2", "visitor", "2", 2), msg("m3", "operator", "3", 3)]);
    assert.deepEqual(W.order, ["a"]);
    assert.deepEqual(texts(chat), ["1", "2", "3"]);
    assert.deepEqual([chat.draft, chat.unread, chat.conv.visitor_connected], ["half a sentence", 1, true]);
  });

  test("an observed chat can be joined: the role follows the latest add", () => {
    const W = createWork();
    addChat(W, conv("a"), [], "observer");
    assert.equal(W.chats.get("a").role, "observer");
    addChat(W, conv("a"), [], "invited");
    assert.equal(W.chats.get("a").role, "invited");
  });

  test("select clears unread; removing the active chat activates the first other one", () => {
    const W = createWork();
    for (const id of ["a", "b", "c"]) addChat(W, conv(id), []);
    addMessage(W, W.chats.get("b"), msg("m1", "visitor", "x", 1), { live: true, visible: false });
    assert.equal(totalUnread(W), 1);
    assert.equal(select(W, "b"), true);
    assert.equal(totalUnread(W), 0);
    assert.equal(select(W, "zzz"), false);
    removeChat(W, "b");
    assert.deepEqual([W.order, W.active], [["a", "c"], "a"]);
    removeChat(W, "a");
    removeChat(W, "c");
    assert.equal(W.active, null);
    assert.equal(activeChat(W), null);
  });

  test("neighbour wraps round both ways (arrow keys in the tab list)", () => {
    const W = createWork();
    for (const id of ["a", "b", "c"]) addChat(W, conv(id), []);
    assert.equal(neighbour(W, "a", 1), "b");
    assert.equal(neighbour(W, "c", 1), "a");
    assert.equal(neighbour(W, "a", -1), "c");
    assert.equal(neighbour(W, "x", 1), null);
  });
});

describe("messages", () => {
  test("a visitor's message counts as unread and alerts only when unseen", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    chat.typing = true;
    assert.deepEqual(addMessage(W, chat, msg("m1", "visitor", "x", 1), { live: true, visible: true }), { added: true, atEnd: true, alert: false });
    assert.equal(chat.typing, false, "their message ends their typing");
    assert.deepEqual(addMessage(W, chat, msg("m2", "visitor", "y", 2), { live: true, visible: false }), { added: true, atEnd: true, alert: true });
    assert.equal(addMessage(W, chat, msg("m3", "operator", "z", 3), { live: true, visible: false }).alert, false);
    assert.equal(chat.unread, 1);
  });

  test("duplicates by id are dropped; junk is ignored", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    addMessage(W, chat, msg("m1", "visitor", "x", 1), { live: true, visible: false });
    assert.equal(addMessage(W, chat, msg("m1", "visitor", "x", 1), { live: true, visible: false }).added, false);
    for (const bad of [null, "x", { id: 5, text: "a" }, { id: "m9" }]) assert.equal(addMessage(W, chat, bad, { live: true, visible: false }).added, false);
    assert.deepEqual([chat.messages.length, chat.unread], [1, 1]);
  });

  test("a message that comes just before its chat is merged once when the chat arrives; an old one is let go", () => {
    const W = createWork();
    const live = { ...msg("m2", "visitor", "hej igen", 20), conversation_id: "a" };
    keepEarly(W, live, 1000);
    keepEarly(W, { ...msg("x1", "visitor", "gammalt", 5), conversation_id: "b" }, 1000);
    // assigned: its history already has m1 and (relayed first, stored before) m2
    addChat(W, conv("a"), [msg("m1", "visitor", "hej", 10), msg("m2", "visitor", "hej igen", 20)], "operator", 1500);
    assert.deepEqual(texts(W.chats.get("a")), ["hej", "hej igen"]);
    keepEarly(W, { ...msg("m4", "visitor", "sist", 40), conversation_id: "c" }, 2000);
    addChat(W, conv("c"), [msg("m3", "visitor", "först", 30)], "operator", 2100); // m4 stored after the history
    assert.deepEqual(texts(W.chats.get("c")), ["först", "sist"]);
    addChat(W, conv("b"), [], "invited", 1000 + EARLY_MS + 1);
    assert.deepEqual(texts(W.chats.get("b")), [], "kept too long ago: not this chat's any more");
    assert.equal(W.early.size, 0);
  });

  test("a late message from history goes in its place by time, not at the end", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), [msg("m1", "visitor", "1", 10), msg("m3", "visitor", "3", 30)]);
    const r = addMessage(W, chat, msg("m2", "operator", "2", 20), { live: false, visible: true });
    assert.deepEqual(r, { added: true, atEnd: false, alert: false });
    assert.deepEqual(texts(chat), ["1", "2", "3"]);
    // Same time: arrival order.
    addMessage(W, chat, msg("m4", "system", "4", 30), { live: true, visible: true });
    assert.deepEqual(texts(chat), ["1", "2", "3", "4"]);
  });
});

describe("sending from the composer", () => {
  let n = 0;
  const newId = () => `c${++n}`;

  test("ack first, then the echo: one message, draft cleared", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    chat.draft = "Hej!";
    const p = outgoing(chat, "Hej!", newId);
    const r = applySent(W, chat, p, { ok: true, id: "m1", ts: 5 }, "staff-1");
    assert.equal(r.added, true);
    assert.deepEqual(chat.messages[0], { id: "m1", client_id: p.client_id, from: "operator", staff_id: "staff-1", text: "Hej!", ts: 5, conversation_id: "a" });
    assert.deepEqual([chat.draft, chat.pending], ["", null]);
    assert.equal(addMessage(W, chat, { ...chat.messages[0] }, { live: true, visible: true }).added, false);
    assert.equal(chat.messages.length, 1);
  });

  test("text written while the message was on its way stays as the draft", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    const p = outgoing(chat, "Hej!", newId);
    chat.draft = "Hur mår du?";
    applySent(W, chat, p, { ok: true, id: "m1", ts: 5 }, "s");
    assert.equal(chat.draft, "Hur mår du?");
  });

  test("echo first, then the ack: still one message", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    const p = outgoing(chat, "Hej!", newId);
    addMessage(W, chat, msg("m1", "operator", "Hej!", 5, { client_id: p.client_id, staff_id: "staff-1" }), { live: true, visible: true });
    assert.equal(applySent(W, chat, p, { ok: true, id: "m1", ts: 5 }, "staff-1").added, false);
    assert.equal(chat.messages.length, 1);
  });

  test("no answer: the same text is sent again with the same client_id; new text gets a new one", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    const first = outgoing(chat, "Är du kvar?", newId);
    assert.equal(applySent(W, chat, first, { ok: false, error: { code: "timeout", message: "" } }, "s"), null);
    const again = outgoing(chat, "Är du kvar?", newId);
    assert.equal(again.client_id, first.client_id);
    const other = outgoing(chat, "Är du kvar? Svara gärna.", newId);
    assert.notEqual(other.client_id, first.client_id);
  });

  test("an internal note keeps its own id and is marked internal", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    const reply = outgoing(chat, "x", newId);
    chat.mode = "note";
    const note = outgoing(chat, "x", newId);
    assert.notEqual(note.client_id, reply.client_id, "a note is not a retry of a reply");
    applySent(W, chat, note, { ok: true, id: "n1", ts: 1 }, "s");
    assert.equal(chat.messages[0].internal, true);
  });

  test("a refusal keeps the draft and forgets the pending id", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    chat.draft = "too long";
    const p = outgoing(chat, "too long", newId);
    assert.equal(applySent(W, chat, p, { ok: false, error: { code: "too_large", message: "…" } }, "s"), null);
    assert.deepEqual([chat.draft, chat.pending], ["too long", null]);
  });
});

describe("queue, session, reconnect", () => {
  test("a queue snapshot says whether a new (urgent) chat came", () => {
    const W = createWork();
    assert.deepEqual(applyQueue(W, [{ id: "q1" }]), { fresh: true, urgent: false });
    assert.deepEqual(applyQueue(W, [{ id: "q1" }]), { fresh: false, urgent: false });
    assert.deepEqual(applyQueue(W, [{ id: "q1" }, { id: "q2", urgent: true }, null]), { fresh: true, urgent: true });
    assert.equal(W.queue.length, 2);
    assert.equal(applyOffer(W, { id: "q2", offered_to: "me" }), true);
    assert.equal(W.queue[1].offered_to, "me");
    assert.equal(applyOffer(W, { id: "nope" }), false);
  });

  test("a snapshot of one centre's queue keeps the other centres' chats", () => {
    const W = createWork();
    applyQueue(W, [{ id: "a1", centre: "skane", waiting_since: 5 }, { id: "b1", centre: "dalarna", waiting_since: 3 }], ["dalarna", "skane"]);
    const r = applyQueue(W, [{ id: "a2", centre: "skane", waiting_since: 9, urgent: true }], ["skane"]);
    assert.deepEqual(r, { fresh: true, urgent: true });
    assert.deepEqual(W.queue.map((q) => q.id), ["a2", "b1"]); // a1 left skane's queue; dalarna's kept
    applyQueue(W, [], ["dalarna"]);
    assert.deepEqual(W.queue.map((q) => q.id), ["a2"]);
    applyQueue(W, [{ id: "x" }]); // a snapshot naming no centres replaces everything
    assert.deepEqual(W.queue.map((q) => q.id), ["x"]);
  });

  test("duty lost in a restart is noticed on the second session", () => {
    const W = createWork();
    const first = applySession(W, { staff: { languages: ["sv"] }, duty: { on: true, languages: ["sv", "ar"] }, queue: { items: [{ id: "q1" }] } });
    assert.deepEqual([first.reconnect, first.dutyLost], [false, false]);
    assert.equal(W.seenQueue.has("q1"), true);
    const again = applySession(W, { staff: { languages: ["sv"] }, duty: null, queue: null });
    assert.deepEqual([again.reconnect, again.dutyLost, again.before.languages], [true, true, ["sv", "ar"]]);
    assert.deepEqual(W.duty, { on: false, languages: ["sv"] });
  });

  test("after a reconnect, chats the server forgot are marked lost; ended ones stay as they are", () => {
    const W = createWork();
    for (const id of ["a", "b", "c"]) addChat(W, conv(id), []);
    markEnded(W, "c", "visitor_ended");
    W.chats.get("b").typing = true;
    assert.equal(markGone(W, new Set(["a"])), true);
    assert.deepEqual(["a", "b", "c"].map((id) => W.chats.get(id).ended), [null, "lost", "visitor_ended"]);
    assert.equal(W.chats.get("b").typing, false);
    assert.equal(markGone(W, new Set(["a"])), false);
  });

  test("a conversation update merges into the chat", () => {
    const W = createWork();
    addChat(W, conv("a", { visitor_connected: true }), []);
    assert.equal(applyConversation(W, { id: "a", visitor_connected: false }).conv.pseudonym, "Besökare a");
    assert.equal(W.chats.get("a").conv.visitor_connected, false);
    assert.equal(applyConversation(W, { id: "zz" }), null);
  });
});

describe("interpreter needed", () => {
  test("a chat someone has: the server's flag for whoever has it", () => {
    assert.equal(needsInterpreter({ state: "active", locale: "ti", interpreter_needed: true }, ["sv", "ti"]), true);
    assert.equal(needsInterpreter({ state: "active", locale: "ti", interpreter_needed: false }, ["sv"]), false);
  });

  test("a waiting chat: would I need one? (my languages on duty)", () => {
    const waiting = { state: "waiting", locale: "ar", interpreter_needed: false };
    assert.equal(needsInterpreter(waiting, ["sv", "en"]), true);
    assert.equal(needsInterpreter(waiting, ["sv", "ar"]), false);
    // Languages unknown (not on duty yet): the server's flag.
    assert.equal(needsInterpreter(waiting, []), false);
    assert.equal(needsInterpreter({ ...waiting, interpreter_needed: true }, undefined), true);
  });

  test("nothing for junk", () => {
    assert.equal(needsInterpreter(null, ["sv"]), false);
    assert.equal(needsInterpreter("x", ["sv"]), false);
  });
});
