// The messages of the visitor's conversation: pure data, no DOM, no socket. Modelled on
// Chatwoot's widget store (conversation/mutations.js: pushMessageToConversation,
// findUndeliveredMessage); tested in widget/test/conversation.test.js.
//
// A conversation is {items: [...], seq}. An item:
//   {seq, id, client_id, from: "visitor"|"operator"|"system", text, ts, serverTs, name,
//    status, tries, retryable, error}
// `id`/`serverTs` come from the server (null until it has the message); `seq` is the
// order in which this page learnt of it; `ts` is what is shown (the server's once known).
// Own messages (from "visitor") have a status:
//   "queued"    in the outbox, not handed to the socket (offline, or waiting its turn);
//   "sent"      handed to the socket, waiting for the acknowledgement;
//   "delivered" the server has it (its ack or its echoed `message` said so);
//   "failed"    refused, or no answer after every try; `retryable` when trying again
//               may help, `error` the code.
// Reconciliation: the server echoes our own message as `message` {id, client_id, …} and
// acknowledges it {ok, id, ts}, in either order, and a resume replays everything as
// `history`. A message is the same message when its server id is the same, or (our own)
// its client_id is: it is then updated, never added twice.

export const FROM = Object.freeze(["visitor", "operator", "system"]);

export function createConversation() {
  return { items: [], seq: 0 };
}

function insert(conv, item) {
  conv.seq += 1;
  item.seq = conv.seq;
  conv.items.push(item);
  return item;
}

// A message the visitor writes: queued in the outbox until the socket takes it.
export function addOwnMessage(conv, text, { clientId, now }) {
  return insert(conv, {
    id: null,
    client_id: clientId,
    from: "visitor",
    text,
    ts: now,
    serverTs: null,
    name: null,
    status: "queued",
    tries: 0,
    retryable: false,
    error: null,
  });
}

// Our own message with this client_id that the server has not confirmed yet.
export function findUndeliveredMessage(conv, clientId) {
  return conv.items.find((i) => i.from === "visitor" && i.client_id === clientId && i.status !== "delivered") || null;
}

// The item a server message is about: same server id, or our own with its client_id.
export function findMessage(conv, m) {
  return (
    conv.items.find((i) => (m.id && i.id === m.id) || (m.from === "visitor" && m.client_id && i.from === "visitor" && i.client_id === m.client_id)) ||
    null
  );
}

function confirm(item, id, ts) {
  if (id) item.id = id;
  if (Number.isFinite(ts)) {
    item.serverTs = ts;
    item.ts = ts;
  }
  if (item.from === "visitor") {
    item.status = "delivered";
    item.retryable = false;
    item.error = null;
  }
}

// Merge a message from the server (live `message` or one of `history`).
// Returns {item, added} (added: false when it updated a message already shown), or
// null when the payload is not a message. `operatorName` names operator messages.
export function pushMessageToConversation(conv, m, { operatorName = null } = {}) {
  if (!m || typeof m !== "object" || typeof m.text !== "string") return null;
  const existing = findMessage(conv, m);
  if (existing) {
    confirm(existing, typeof m.id === "string" ? m.id : null, m.ts);
    return { item: existing, added: false };
  }
  const from = FROM.includes(m.from) ? m.from : "system";
  const ts = Number.isFinite(m.ts) ? m.ts : null;
  const item = insert(conv, {
    id: typeof m.id === "string" ? m.id : null,
    client_id: typeof m.client_id === "string" ? m.client_id : null,
    from,
    text: m.text,
    ts,
    serverTs: ts,
    name: from === "operator" ? operatorName : null,
    status: from === "visitor" ? "delivered" : null,
    tries: 0,
    retryable: false,
    error: null,
  });
  return { item, added: true };
}

// Every message of a `history` (a resume replays the whole conversation, which overlaps
// what is shown), in order. Returns the results of pushMessageToConversation, one per
// message (not-a-message entries left out).
export function mergeHistory(conv, messages, opts) {
  const results = [];
  for (const m of Array.isArray(messages) ? messages : []) {
    const r = pushMessageToConversation(conv, m, opts);
    if (r) results.push(r);
  }
  return results;
}

// Order: by the server's time; messages the server does not have yet come last, in the
// order they were written; equal times keep the order they arrived in. Returns true if
// the order changed.
export function sortMessages(conv) {
  const key = (i) => (Number.isFinite(i.serverTs) ? i.serverTs : Number.MAX_SAFE_INTEGER);
  const sorted = [...conv.items].sort((a, b) => key(a) - key(b) || a.seq - b.seq);
  const changed = sorted.some((it, i) => it !== conv.items[i]);
  conv.items = sorted;
  return changed;
}

// Referral cards the counsellor sent (`referral` {id, ts, cards}, live or from a record in
// `history`): one item of the conversation, {kind: "referral", cards}, where the server
// put it (its `ts`; without one, after everything the server has placed). The same
// record (same id) is never added twice. Returns {item, added} or null for no cards.
export function pushCardsToConversation(conv, p) {
  const cards = p && Array.isArray(p.cards) ? p.cards.filter((c) => c && typeof c === "object") : [];
  if (!cards.length) return null;
  const id = typeof p.id === "string" && p.id ? p.id : null;
  const existing = id ? conv.items.find((i) => i.id === id) : null;
  if (existing) return { item: existing, added: false };
  const placed = conv.items.map((i) => i.serverTs).filter(Number.isFinite);
  const ts = Number.isFinite(p.ts) ? p.ts : placed.length ? Math.max(...placed) : null;
  const item = insert(conv, { id, client_id: null, from: "system", kind: "referral", cards, text: "", ts, serverTs: ts, name: null, status: null, tries: 0, retryable: false, error: null });
  return { item, added: true };
}

// --- the outbox: own messages on their way (driven by state/outbox.js) -----------------

// Own messages waiting to be handed to the socket, oldest first.
export function queued(conv) {
  return conv.items.filter((i) => i.from === "visitor" && i.status === "queued").sort((a, b) => a.seq - b.seq);
}

export function inFlight(conv) {
  return conv.items.filter((i) => i.from === "visitor" && i.status === "sent");
}

export function markSent(item) {
  item.status = "sent";
  item.tries += 1;
}

// The acknowledgement of our `message`. Returns what it means for the outbox:
//   "delivered" - the server has it (also when its echo came first);
//   "gone"      - the server has no conversation for us any more;
//   "failed"    - refused (item.retryable says whether trying again may help).
// Local failures (no answer) are not acknowledgements: see noAnswer().
export function applyAck(item, ack) {
  if (item.status === "delivered") return "delivered";
  if (ack && ack.ok) {
    confirm(item, typeof ack.id === "string" ? ack.id : null, ack.ts);
    return "delivered";
  }
  const code = (ack && ack.error && ack.error.code) || "internal";
  item.status = "failed";
  item.error = code;
  if (code === "conflict" || code === "no_conversation") {
    item.retryable = false;
    return "gone";
  }
  item.retryable = code === "rate_limited" || code === "unavailable" || code === "internal";
  return "failed";
}

// No answer in time. The same client_id is safe to send again (the server stores it
// once), so the message goes back to the front of the outbox, until maxTries answers
// are missing: then it is "failed", retryable. Returns the new status.
export function noAnswer(item, maxTries) {
  if (item.status === "delivered") return "delivered";
  if (item.tries >= maxTries) {
    item.status = "failed";
    item.retryable = true;
    item.error = "timeout";
  } else {
    item.status = "queued";
  }
  return item.status;
}

// The connection dropped: what was in flight is queued again (its fate is unknown; the
// server deduplicates the resend), and messages that failed for want of an answer get
// fresh tries on the next connection. Returns the items that changed.
export function requeueAfterDrop(conv) {
  const changed = [];
  for (const i of conv.items) {
    if (i.from !== "visitor") continue;
    if (i.status === "sent" || (i.status === "failed" && i.error === "timeout")) {
      i.status = "queued";
      i.tries = 0;
      i.retryable = false;
      i.error = null;
      changed.push(i);
    }
  }
  return changed;
}

// The visitor asks to try a failed message again.
export function retryMessage(item) {
  if (item.from !== "visitor" || item.status !== "failed") return false;
  item.status = "queued";
  item.tries = 0;
  item.retryable = false;
  item.error = null;
  return true;
}
