// The operator's workplace as data: duty, the queue, several chats with their messages,
// unread counts, drafts and what is being sent. Pure: no DOM, no socket; the work view's
// controller (views/work/index.js) applies the server's events here and draws what
// changed. Tested in operator_console/test/chats.test.js.
//
// A chat: {conv, messages: [...], ids: Set, unread, typing, ended: null | reason,
//          mode: "reply" | "note", draft, pending: null | {client_id, text, mode}, role,
//          endedAt, awaySince, marks, toTriage, triageDone, closeAt, keepOpen, tool,
//          triageDraft}
// role: "operator" (assigned), "invited" (interpreter, supervisor who joined) or
// "observer" (silent). A message: the server's `message` payload {id, client_id, from,
// staff_id?, internal?, text, ts}; one per id, in the server's time order.
//
// The end: an ended chat keeps no messages (the server destroyed them). Its operator's
// chat that ended without a triage waits as "to triage" (`toTriage`: the server's item,
// keyed by a triage id; docs/protocol.md) until the triage is saved or skipped; every
// other ended chat, and a triaged one, closes itself CLOSE_MS later (`closeAt`) unless
// the operator keeps it open or something still needs them (`hold`).

export function createWork() {
  return {
    duty: { on: false, languages: [] },
    queue: [],
    seenQueue: new Set(),
    chats: new Map(),
    order: [], // tab order: conversation ids
    active: null,
    sessions: 0, // `session` events seen on this connection (more than one: reconnected)
    early: new Map(), // conversation id -> [{m, at}]: messages of chats not here yet (keepEarly)
  };
}

// How long a message of a chat this console does not have yet is kept (ms). `assigned`
// or `invited` and the chat's live messages travel separately: a message relayed by
// another server process can come just before the chat itself. addChat merges it.
export const EARLY_MS = 10000;

// Keep a live message of a chat not (yet) in this console; older ones are let go.
export function keepEarly(W, m, now) {
  if (!m || typeof m !== "object" || typeof m.conversation_id !== "string") return;
  for (const [id, kept] of W.early) {
    const fresh = kept.filter((e) => now - e.at < EARLY_MS);
    if (fresh.length) W.early.set(id, fresh);
    else W.early.delete(id);
  }
  const kept = W.early.get(m.conversation_id) || [];
  kept.push({ m, at: now });
  W.early.set(m.conversation_id, kept);
}

// How long an ended or triaged chat stays on screen before it closes itself (ms).
export const CLOSE_MS = 8000;

export function emptyMarks() {
  return { categories: [], age_band: null, municipality: null, acknowledged_by: null };
}

function newChat(conv, role) {
  return {
    conv,
    messages: [],
    ids: new Set(),
    unread: 0,
    typing: false,
    ended: null,
    mode: "reply",
    draft: "",
    pending: null,
    role,
    endedAt: null,
    awaySince: conv.visitor_connected === false ? null : undefined,
    marks: emptyMarks(),
    toTriage: null,
    triageDone: null,
    closeAt: null,
    keepOpen: false,
    tool: null,
    triageDraft: null,
  };
}

// A chat assigned, offered again after a reconnect, invited into or observed. An existing
// chat keeps its messages, draft and unread count; the messages, and those kept for it
// (keepEarly), are merged (no unread: they are history). Returns the chat.
export function addChat(W, conv, messages, role = "operator", now = Date.now()) {
  const existing = W.chats.get(conv.id);
  const chat = existing || newChat(conv, role);
  if (existing && existing.conv.visitor_connected !== false && conv.visitor_connected === false) chat.awaySince = null;
  chat.conv = conv;
  chat.role = role;
  chat.ended = null;
  chat.closeAt = null;
  for (const m of messages || []) addMessage(W, chat, m, { live: false, visible: true });
  // Live messages that came just before the chat (keepEarly): once, in time order.
  const early = W.early ? W.early.get(conv.id) || [] : [];
  if (W.early) W.early.delete(conv.id);
  for (const e of early) if (now - e.at < EARLY_MS) addMessage(W, chat, e.m, { live: false, visible: true });
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
  if (!m || typeof m !== "object" || typeof m.id !== "string" || typeof m.text !== "string" || chat.ended) {
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

// "Interpreter needed" for a conversation summary, as this staff member sees it: a chat
// someone has carries the server's flag (whoever has it does not write the visitor's
// language; services/routing.py needs_interpreter); a waiting chat is flagged when it
// would need one if *I* took it, i.e. its language is not among my languages on duty
// (`languages`; unknown: the server's flag, or its offer's).
export function needsInterpreter(conv, languages) {
  if (!conv || typeof conv !== "object") return false;
  if (conv.state === "waiting" && Array.isArray(languages) && languages.length) return !languages.includes(conv.locale);
  return conv.interpreter_needed === true;
}

// A `queue` snapshot. Returns {fresh, urgent}: whether it holds a chat not seen before
// (beep when on duty), and whether one of those is urgent. Each centre has its own
// queue: a snapshot naming `centres` replaces only those centres' chats and keeps the
// others this console watches; one without replaces the whole list.
export function applyQueue(W, items, centres) {
  let list = Array.isArray(items) ? items.filter((q) => q && typeof q.id === "string") : [];
  if (Array.isArray(centres)) {
    const ids = new Set(list.map((q) => q.id));
    const kept = W.queue.filter((q) => !centres.includes(q.centre || "default") && !ids.has(q.id));
    // Only chats of several centres need merging; one centre's list is in the server's
    // order (a chat put back at the head of its band stays there).
    if (kept.length) list = kept.concat(list).sort(queueOrder);
  }
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

// The queue order across centres (each centre's own order is the server's): urgent,
// then under 18, then the longest waiting.
const UNDER_18 = new Set(["13-15", "16-17"]);
function band(q) {
  return q.urgent ? 0 : UNDER_18.has(q.age_band) ? 1 : 2;
}
export function queueOrder(a, b) {
  return band(a) - band(b) || (a.waiting_since || 0) - (b.waiting_since || 0);
}

// An `offer` updates the offered chat's queue card.
export function applyOffer(W, conv) {
  const i = W.queue.findIndex((q) => q.id === conv.id);
  if (i >= 0) W.queue[i] = { ...W.queue[i], ...conv };
  return i >= 0;
}

// `conversation`: changed participants, presence, … of a chat. Presence follows the
// visitor: `awaySince` is when this console saw them go (undefined while connected,
// null when they were already away when the chat was shown). Returns the chat or null.
export function applyConversation(W, conv, now = Date.now()) {
  const chat = conv && W.chats.get(conv.id);
  if (!chat || chat.ended) return null;
  const wasAway = chat.conv.visitor_connected === false;
  chat.conv = { ...chat.conv, ...conv };
  if (chat.conv.visitor_connected === false && !wasAway) chat.awaySince = now;
  if (chat.conv.visitor_connected !== false) chat.awaySince = undefined;
  return chat;
}

// The chat ended: its messages, draft and what was being sent are gone. A chat waiting
// for triage stays; any other closes itself CLOSE_MS from now (see closeLater).
export function markEnded(W, id, reason, now = Date.now()) {
  const chat = W.chats.get(id);
  if (!chat || chat.ended) return chat && null;
  chat.ended = reason || "ended";
  chat.endedAt = now;
  chat.typing = false;
  chat.pending = null;
  chat.messages = [];
  chat.draft = "";
  chat.mode = "reply";
  if (chat.tool && chat.tool !== "triage") chat.tool = null;
  if (!chat.toTriage) closeLater(chat, now);
  return chat;
}

// Close `chat` CLOSE_MS from `now`, unless it waits for triage or was kept open.
export function closeLater(chat, now) {
  if (chat.toTriage || chat.keepOpen) return false;
  chat.closeAt = now + CLOSE_MS;
  return true;
}

// "Keep open": no closing by itself (the operator closes it).
export function keepOpen(W, id) {
  const chat = W.chats.get(id);
  if (!chat) return false;
  chat.keepOpen = true;
  chat.closeAt = null;
  return true;
}

// Ended chats due to close at `now`. `hold(chat)` true keeps one (e.g. a duty-to-report
// reminder nobody acknowledged yet); its time starts again once nothing holds it.
export function dueToClose(W, now, hold = () => false) {
  const out = [];
  for (const [id, chat] of W.chats) {
    if (!chat.ended || chat.closeAt === null || chat.keepOpen) continue;
    if (hold(chat)) chat.closeAt = now + CLOSE_MS;
    else if (chat.closeAt <= now) out.push(id);
  }
  return out;
}

// --- every chat gets its triage (docs/protocol.md "Every chat gets its triage") -------

function findTriage(W, triageId) {
  for (const chat of W.chats.values()) if (chat.toTriage && chat.toTriage.id === triageId) return chat;
  return null;
}

// `triage_pending` {conversation_id, item}: the chat (open here, or not: another tab, a
// reload) waits for its triage. Returns the chat.
export function applyTriagePending(W, conversationId, item) {
  if (!item || typeof item.id !== "string") return null;
  const chat = (conversationId && W.chats.get(conversationId)) || findTriage(W, item.id);
  if (chat) {
    chat.toTriage = item;
    chat.marks = { ...emptyMarks(), ...(item.marks || {}) };
    chat.closeAt = null;
    chat.role = "operator";
    if (!chat.tool) chat.tool = "triage";
    return chat;
  }
  return addTriageItem(W, conversationId || item.id, item);
}

function addTriageItem(W, key, item) {
  const conv = {
    id: key,
    pseudonym: item.pseudonym,
    locale: item.locale,
    audience: item.audience,
    topic: item.topic,
    age_band: item.age_band,
    urgent: !!item.urgent,
    visitor_connected: false,
  };
  const chat = newChat(conv, "operator");
  chat.ended = item.reason || "ended";
  chat.endedAt = item.ended_at;
  chat.toTriage = item;
  chat.marks = { ...emptyMarks(), ...(item.marks || {}) };
  chat.tool = "triage";
  W.chats.set(key, chat);
  W.order.push(key);
  if (!W.active) W.active = key;
  return chat;
}

// `triage_list` after a (re)connect: every item is shown once; a chat this console
// thought waiting that is not in the list any more was triaged elsewhere. Returns
// whether anything changed.
export function applyTriageList(W, items, now = Date.now()) {
  const listed = new Set();
  let changed = false;
  for (const item of Array.isArray(items) ? items : []) {
    if (!item || typeof item.id !== "string") continue;
    listed.add(item.id);
    const chat = findTriage(W, item.id);
    if (chat) chat.toTriage = item;
    else {
      addTriageItem(W, item.id, item);
      changed = true;
    }
  }
  for (const chat of W.chats.values()) {
    if (chat.toTriage && !listed.has(chat.toTriage.id)) {
      finishTriage(chat, null, now);
      changed = true;
    }
  }
  return changed;
}

function finishTriage(chat, outcome, now) {
  chat.toTriage = null;
  chat.triageDone = outcome || "done";
  chat.triageDraft = null;
  closeLater(chat, now);
}

// `triage_done` {id, outcome}, or our own save/skip acknowledged. Returns the chat.
export function applyTriageDone(W, triageId, outcome, now = Date.now()) {
  const chat = findTriage(W, triageId);
  if (chat) finishTriage(chat, outcome, now);
  return chat;
}

// `triage_marks` {conversation_id, marks}, or the ack of our own change.
export function applyMarks(W, id, marks) {
  const chat = W.chats.get(id);
  if (!chat || !marks || typeof marks !== "object") return null;
  chat.marks = { ...emptyMarks(), ...marks, categories: Array.isArray(marks.categories) ? marks.categories : [] };
  return chat;
}

// How many ended chats wait for this operator's triage.
export function toTriageCount(W) {
  let n = 0;
  for (const chat of W.chats.values()) if (chat.toTriage) n += 1;
  return n;
}

// The side panel's tool for a chat (null closes it).
export function openTool(W, id, tool) {
  const chat = W.chats.get(id);
  if (!chat) return false;
  chat.tool = chat.tool === tool ? null : tool;
  return true;
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
export function markGone(W, liveIds, now = Date.now()) {
  let changed = false;
  for (const [id, chat] of W.chats) {
    if (liveIds.has(id) || chat.ended) continue;
    markEnded(W, id, "lost", now);
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
  // The draft goes, unless the operator already wrote something else; a note was a
  // one-off, so the composer is back to replying to the visitor.
  if (chat.draft.trim() === pending.text) chat.draft = "";
  if (pending.mode === "note" && chat.mode === "note") chat.mode = "reply";
  const m = { id: ack.id, client_id: pending.client_id, from: "operator", staff_id: me, text: pending.text, ts: ack.ts, conversation_id: chat.conv.id };
  if (pending.mode === "note") m.internal = true;
  return addMessage(W, chat, m, { live: true, visible: true });
}
