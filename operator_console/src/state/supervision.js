// The supervisors' overview as data: who is on duty with what load and languages, the
// live chats with the most pressing first, and what needs attention. Inputs are the
// `colleagues` and `overview` acks (docs/protocol.md) and the `alert` events received;
// pure, test/supervision.test.js.

// Chats in the order a supervisor reads them: urgent waiting, then the others waiting,
// longest first; then the active ones, urgent first, oldest first.
export function orderChats(items) {
  const rank = (c) => (c.state === "waiting" ? (c.urgent ? 0 : 1) : c.urgent ? 2 : 3);
  return [...(items || [])].sort((a, b) => rank(a) - rank(b) || (a.waiting_since || 0) - (b.waiting_since || 0));
}

// Staff on duty: [{id, name, role, languages, load, chats: [pseudonym], me}], by name.
// `me`: {id, name, role, languages, on} (the supervisor's own duty) or null; `colleagues`
// lists everyone else.
export function staffOnDuty(colleagues, items, me = null) {
  const load = new Map();
  for (const c of items || []) {
    if (c.state !== "active" || !c.operator) continue;
    const list = load.get(c.operator.id) || [];
    list.push(c.pseudonym);
    load.set(c.operator.id, list);
  }
  const people = (colleagues || []).filter((c) => c.on_duty).map((c) => ({ ...c, me: false }));
  if (me && me.on) people.push({ ...me, on_duty: true, me: true });
  return people
    .map((p) => ({
      id: p.id,
      name: p.name,
      role: p.role,
      languages: p.languages || [],
      load: (load.get(p.id) || []).length,
      chats: load.get(p.id) || [],
      me: p.me,
    }))
    .sort((a, b) => a.name.localeCompare(b.name, "sv"));
}

// What needs a supervisor: [{kind, id, pseudonym, since}] with kind "urgent_waiting"
// (an urgent chat nobody has taken), "away" (an active chat whose visitor left the
// page), "alert" (a server alert: an urgent chat waited past the limit). Alerts for
// chats no longer waiting are dropped; each chat is named once per kind.
export function attention(items, received = []) {
  const out = [];
  const waiting = new Set();
  for (const c of orderChats(items)) {
    if (c.state === "waiting") waiting.add(c.id);
    if (c.state === "waiting" && c.urgent) out.push({ kind: "urgent_waiting", id: c.id, pseudonym: c.pseudonym, since: c.waiting_since });
    if (c.state === "active" && c.visitor_connected === false) out.push({ kind: "away", id: c.id, pseudonym: c.pseudonym, since: null });
  }
  for (const a of received) {
    if (a && a.conversation && waiting.has(a.conversation.id) && !out.some((o) => o.kind === "alert" && o.id === a.conversation.id)) {
      out.unshift({ kind: "alert", id: a.conversation.id, pseudonym: a.conversation.pseudonym, since: a.conversation.waiting_since });
    }
  }
  return out;
}

// Counts for the heading: {waiting, urgent, active, away}.
export function counts(items) {
  const out = { waiting: 0, urgent: 0, active: 0, away: 0 };
  for (const c of items || []) {
    if (c.state === "waiting") out.waiting += 1;
    else out.active += 1;
    if (c.urgent && c.state === "waiting") out.urgent += 1;
    if (c.visitor_connected === false) out.away += 1;
  }
  return out;
}
