// The operator's workplace as data: duty, the queue, several chats with their messages,
// unread counts, drafts and what is being sent. Pure: no DOM, no socket; the work view's
// controller (views/work/index.js) applies the server's events here and draws what
// changed. Tested in operator_console/test/chats.test.js.
//
// A chat: {conv, messages: [...], ids: Set, unread, typing, ended: null | reason,
//          mode: "reply" | "note", draft, pending: null | {client_id, text, mode}, role}
// role: "operator" (assigned), "invited" (interpreter, supervisor who joined) or
// "observer" (silent). A message: the server's `message` payload {id, client_id, from,
// staff_id?, internal?, text, ts}; one per id, in the server's time order.

export function createWork() {
  return {
    duty: { on: false, languages: [] },
    queue: [],
    seenQueue: new Set(),
    chats: new Map(),
    order: [], // tab order: conversation ids
    active: null,
    sessions: 0, // `session` events seen on this connection (more than one: reconnected)
  };
}

function newChat(conv, role) {
  return { conv, messages: [], ids: new Set(), unread: 0, typing: false, ended: null, mode: "reply", draft: "", pending: null, role };
}

// A chat assigned, offered again after a reconnect, invited into or observed. An existing
// chat keeps its messages, draft and unread count; the messages are merged (no unread:
// they are history). Returns the chat.
export function addChat(W, conv, messages, role = "operator") {
  const existing = W.chats.get(conv.id);
  const chat = existing || newChat(conv, role);
  chat.conv = conv;
  chat.role = role;
  chat.ended = null;
  for (const m of messages || []) addMessage(W, chat, m, { live: false, visible: true });
  if (!existing) {
    W.chats.set(conv.id, chat);
    W.order.push(conv.id);
  }
  if (!W.active) W.active = conv.id;
  return chat;
}

// Merge one message. `live`: it arrived now (not history); `visible`: the chat is on
// screen and the page is seen. Returns {added, atEnd, alert}: `atEnd` when it went after
// every message shown (the log can append instead of redrawing), `alert` when a visitor's
// message arrived unseen (count it, beep).
export function addMessage(W, chat, m, { live, visible }) {
  if (!m || typeof m !== "object" || typeof m.id !== "string" || typeof m.text !== "string") {
    return { added: false, atEnd: false, alert: false };
  }
  if (chat.ids.has(m.id)) return { added: false, atEnd: false, alert: false };
  chat.ids.add(m.id);
  const ts = Number.isFinite(m.ts) ? m.ts : 0;
  let i = chat.messages.length;
  while (i > 0 && (chat.messages[i - 1].ts || 0) > ts) i -= 1;
  chat.messages.splice(i, 0, m);
  const alert = !!(live && m.from === "visitor" && !visible);
  if (alert) chat.unread += 1;
  if (live && m.from === "visitor") chat.typing = false;
  return { added: true, atEnd: i === chat.messages.length - 1, alert };
}

export function removeChat(W, id) {
  const chat = W.chats.get(id) || null;
  W.chats.delete(id);
  W.order = W.order.filter((x) => x !== id);
  if (W.active === id) W.active = W.order[0] || null;
  return chat;
}

export function select(W, id) {
  const chat = W.chats.get(id);
  if (!chat) return false;
  W.active = id;
  chat.unread = 0;
  return true;
}

export function activeChat(W) {
  return W.chats.get(W.active) || null;
}

// The tab `step` places from `id`, wrapping round.
export function neighbour(W, id, step) {
  const i = W.order.indexOf(id);
  if (i < 0 || !W.order.length) return null;
  return W.order[(i + step + W.order.length * Math.abs(step)) % W.order.length];
}

export function totalUnread(W) {
  let n = 0;
  for (const c of W.chats.values()) n += c.unread;
  return n;
}

// A `queue` snapshot. Returns {fresh, urgent}: whether it holds a chat not seen before
// (beep when on duty), and whether one of those is urgent.
export function applyQueue(W, items) {
  const list = Array.isArray(items) ? items.filter((q) => q && typeof q.id === "string") : [];
  let fresh = false;
  let urgent = false;
  for (const q of list) {
    if (!W.seenQueue.has(q.id)) {
      W.seenQueue.add(q.id);
      fresh = true;
      urgent = urgent || !!q.urgent;
    }
  }
  W.queue = list;
  return { fresh, urgent };
}

// An `offer` updates the offered chat's queue card.
export function applyOffer(W, conv) {
  const i = W.queue.findIndex((q) => q.id === conv.id);
  if (i >= 0) W.queue[i] = { ...W.queue[i], ...conv };
  return i >= 0;
}

// `conversation`: changed participants, presence, … of a chat. Returns the chat or null.
export function applyConversation(W, conv) {
  const chat = conv && W.chats.get(conv.id);
  if (!chat) return null;
  chat.conv = { ...chat.conv, ...conv };
  return chat;
}

export function markEnded(W, id, reason) {
  const chat = W.chats.get(id);
  if (!chat) return null;
  chat.ended = reason || "ended";
  chat.typing = false;
  chat.pending = null;
  return chat;
}

// `session`, after every (re)connect. Returns {reconnect, dutyLost, before}: duty that was
// on before a reconnect but is off on the server now (a restart forgot it) is put back
// by the caller.
export function applySession(W, data) {
  const reconnect = W.sessions > 0;
  W.sessions += 1;
  const before = W.duty;
  W.duty = data.duty || { on: false, languages: (data.staff && data.staff.languages) || [] };
  W.queue = (data.queue && Array.isArray(data.queue.items) && data.queue.items) || [];
  for (const q of W.queue) W.seenQueue.add(q.id);
  return { reconnect, dutyLost: reconnect && before.on && !W.duty.on, before };
}

// After a reconnect: chats the server no longer knows (a restart of a memory-only store)
// are shown as ended ("lost") instead of waiting for messages for ever. Returns whether
// any changed.
export function markGone(W, liveIds) {
  let changed = false;
  for (const [id, chat] of W.chats) {
    if (liveIds.has(id) || chat.ended) continue;
    markEnded(W, id, "lost");
    changed = true;
  }
  return changed;
}

// --- sending from the composer --------------------------------------------------------

// What the composer sends: a reply or an internal note. Sending the same text again after
// no answer keeps its client_id (the server stores a client_id once), so a retry never
// makes a second copy; new text gets a new id.
export function outgoing(chat, text, newId) {
  const p = chat.pending;
  if (p && p.text === text && p.mode === chat.mode) return p;
  chat.pending = { client_id: newId(), text, mode: chat.mode };
  return chat.pending;
}

// The acknowledgement of what outgoing() gave. On success the message is in the chat at
// once (with the server's id and time; its echo, before or after, changes nothing) and
// the draft is cleared (unless it is new text by then). On a refusal the draft stays for
// the operator to fix; after no answer (local codes) the pending id is kept for the
// retry. Returns the result of addMessage, or null when it was not sent.
export function applySent(W, chat, pending, ack, me) {
  const local = ack && ack.error && (ack.error.code === "timeout" || ack.error.code === "offline");
  if (!ack || !ack.ok) {
    if (!local && chat.pending === pending) chat.pending = null;
    return null;
  }
  if (chat.pending === pending) chat.pending = null;
  // The draft goes, unless the operator already wrote something else.
  if (chat.draft.trim() === pending.text) chat.draft = "";
  const m = { id: ack.id, client_id: pending.client_id, from: "operator", staff_id: me, text: pending.text, ts: ack.ts, conversation_id: chat.conv.id };
  if (pending.mode === "note") m.internal = true;
  return addMessage(W, chat, m, { live: true, visible: true });
}
