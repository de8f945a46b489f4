// The visitor's session apart from the messages: where the visitor is in the flow, the
// conversation's state and queue place, the counsellor, referral cards, the follow-up
// code. Pure: no DOM, no socket. The server events are applied here and say what
// changed; controller.js decides what to draw. Tested in widget/test/session.test.js.
import { createConversation, pushCardsToConversation } from "./conversation.js";
import { applyWaiting } from "./waiting.js";

// Views of the start flow, before a conversation exists.
export const START_VIEWS = Object.freeze(["loading", "about", "topic", "danger", "urgent", "age"]);

export function freshState() {
  return {
    view: "loading",
    // overflowTo: another centre chosen before starting (the visitor's is closed or
    // cannot take them: `overflow_options`), sent with `start`.
    choices: { audience: null, topic: null, urgent: false, age_band: null, overflowTo: null },
    token: null, // resume token: memory only
    open: true,
    hours: null,
    conv: null, // {id, state: "waiting"|"active"|"ended", position}
    wait: null, // seconds
    // The notice while waiting (state/waiting.js): why the helplines are offered, the
    // one the visitor answered with "keep waiting", the limit, the next opening (ms).
    notice: null,
    keptWaiting: null,
    waitLimit: null,
    nextOpenAt: null,
    // The feedback after an answered chat: null, or {token, status: "ask" | "sending" |
    // "thanks" | "failed", error}; the token works once (views/feedback.js).
    feedback: null,
    operator: null, // display name
    conversation: createConversation(), // the messages (conversation.js)
    typing: false, // the counsellor is writing
    referrals: [],
    // Ids of the visitor records applied (referral cards, a follow-up code): each comes
    // live (`referral`, `followup_code`) and again in `history` after a resume.
    records: [],
    endedReason: null,
    refusal: null, // why the chat could not start (state/refusal.js)
    confirmEnd: false,
    lost: false, // the connection dropped while a conversation was live
    reconnected: false,
    // Follow-up code: the one typed in the start flow (sent once after `start`, then
    // forgotten), and the one the server shows once (memory only, wiped on quick exit).
    codeIn: "",
    followup: null, // null | "asked" | "revoked" | {code, expires_at, hidden}
    codeNote: null, // {ok, text, retry}: the answer to the entered code
    revokeNote: null, // {ok, text}: the answer to cancelling a typed code (start flow)
    // Another resource centre that could take the chat sooner (`overflow`): offered
    // {reason, centres:[{id, name}]}, the choice being sent (`moving`), the centre
    // chosen (`movedTo`, its name) and a note when the choice could not be made.
    overflow: null,
    startOverflow: null, // before a start: {reason, centres} from `overflow_options`
    moving: null,
    movedTo: null,
    overflowNote: "",
  };
}

export function isLive(S) {
  return !!(S.conv && (S.conv.state === "waiting" || S.conv.state === "active"));
}

// `session`, after every (re)connect. Returns
//   "resumed" - our live conversation was re-attached (`history`, `state`, `queue` follow);
//   "gone"    - we had a live conversation and the server no longer knows it;
//   "closed"  - no conversation, and the service is closed now;
//   "fresh"   - no conversation;
//   null      - not a session payload.
export function applySession(S, p) {
  if (!p || typeof p !== "object") return null;
  S.token = typeof p.token === "string" ? p.token : null;
  S.open = p.open !== false;
  S.hours = p.hours && typeof p.hours === "object" ? p.hours : null;
  if (isLive(S)) {
    const c = p.conversation;
    if (c && typeof c === "object" && c.id === S.conv.id) {
      if (c.state === "waiting" || c.state === "active") S.conv.state = c.state;
      if (c.position !== undefined) S.conv.position = c.position;
      return "resumed";
    }
    // Expired, ended or lost on the server (a restart of a memory-only store).
    S.lost = false;
    return "gone";
  }
  return S.open ? "fresh" : "closed";
}

// The acknowledgement of `start`. Returns "started", "closed" or "failed".
export function applyStart(S, ack) {
  if (ack && ack.ok && ack.conversation && typeof ack.conversation.id === "string") {
    const c = ack.conversation;
    S.conv = { id: c.id, state: c.state === "active" ? "active" : "waiting", position: Number.isInteger(c.position) ? c.position : null };
    return "started";
  }
  if (ack && ack.error && ack.error.code === "closed") {
    S.open = false;
    return "closed";
  }
  return "failed";
}

// `state` {state, operator}. Returns null (no conversation or not a payload), or
// {ended, back, becameActive}: `back` when it ends a lost connection (a `state` after
// reconnecting without `history` still means the conversation is re-attached).
export function applyState(S, p) {
  if (!p || typeof p !== "object" || !S.conv) return null;
  if (p.state === "ended") return { ended: true, back: false, becameActive: false };
  const was = S.conv.state;
  S.conv.state = p.state === "active" ? "active" : "waiting";
  if (p.operator && typeof p.operator.name === "string") S.operator = p.operator.name;
  if (S.conv.state === "active") S.conv.position = null;
  const back = S.lost;
  S.lost = false;
  return { ended: false, back, becameActive: was !== "active" && S.conv.state === "active" };
}

// `queue` {position, wait_estimate_s, notice, wait_limit_s, next_open_at}. Returns true
// when it applied.
export function applyQueue(S, p) {
  if (!p || typeof p !== "object" || !S.conv) return false;
  if (Number.isInteger(p.position)) S.conv.position = p.position;
  applyWaiting(S, p);
  return true;
}

// `ended` {reason, feedback?}: the single-use token for the one-question feedback (only
// after an answered chat). Returns true when a token came.
export function applyFeedbackToken(S, p) {
  if (!p || typeof p.feedback !== "string" || !p.feedback || S.feedback) return false;
  S.feedback = { token: p.feedback, status: "ask", error: null };
  return true;
}

// `overflow` {reason, centres}: offered (a list of {id, name}) or withdrawn (empty).
// Returns whether what the visitor sees changed. Only while waiting.
export function applyOverflow(S, p) {
  if (!p || typeof p !== "object" || !S.conv || S.conv.state !== "waiting") return false;
  const centres = Array.isArray(p.centres) ? p.centres.filter((c) => c && typeof c.id === "string" && typeof c.name === "string") : [];
  const before = JSON.stringify(S.overflow);
  S.overflow = centres.length ? { reason: typeof p.reason === "string" ? p.reason : null, centres } : null;
  return before !== JSON.stringify(S.overflow);
}

// The answer to `overflow_accept`: "moved", "gone" (the chat is no longer there), or
// "refused" (that centre cannot take it now: choose again).
export function applyOverflowAck(S, centre, ack) {
  S.moving = null;
  if (ack && ack.ok) {
    S.movedTo = centre.name;
    S.overflow = null;
    S.overflowNote = "";
    if (S.conv && ack.conversation && Number.isInteger(ack.conversation.position)) S.conv.position = ack.conversation.position;
    return "moved";
  }
  const code = ack && ack.error ? ack.error.code : "";
  if (code === "no_conversation") return "gone";
  S.overflowNote = (ack && ack.error && ack.error.message) || "";
  if (S.overflow) S.overflow.centres = S.overflow.centres.filter((c) => c.id !== centre.id);
  if (S.overflow && !S.overflow.centres.length) S.overflow = null;
  return "refused";
}

// A record seen before (by its server id): true once it has been applied; marks it seen.
function seenRecord(S, id) {
  if (typeof id !== "string" || !id) return false;
  if (S.records.includes(id)) return true;
  S.records.push(id);
  return false;
}

// `referral` {id, cards}. Cards are kept once each (by card id); returns how many cards
// came (0 for a record already applied: the live event and its copy in `history`).
export function addReferrals(S, p) {
  if (p && seenRecord(S, p.id)) return 0;
  const cards = p && Array.isArray(p.cards) ? p.cards.filter((c) => c && typeof c === "object") : [];
  const seen = new Set(S.referrals.map((c) => c.id).filter((id) => typeof id === "string"));
  for (const c of cards) {
    if (typeof c.id === "string") {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
    }
    S.referrals.push(c);
  }
  return cards.length;
}

// `referral` {id, ts, cards} as the chat shows it: the cards are kept for the ended view
// (addReferrals) and become a card message of the conversation, once per record. Returns
// the new conversation item, or null (a record already applied, or no cards).
export function applyReferral(S, p) {
  const known = !!(p && typeof p.id === "string" && S.records.includes(p.id));
  if (known || !addReferrals(S, p)) return null;
  const r = pushCardsToConversation(S.conversation, p);
  return r && r.added ? r.item : null;
}

// `followup_code` {id, code, expires_at}: shown once. Returns true when it applied (not
// for a record already applied, so a code the visitor hid stays hidden after a resume).
export function applyFollowupCode(S, p) {
  if (!p || typeof p.code !== "string" || !p.code) return false;
  if (seenRecord(S, p.id)) return false;
  S.followup = { code: p.code, expires_at: p.expires_at, hidden: false };
  return true;
}

// The visitor cancelled a code (`followup_revoke` answered ok): the one shown to them
// ("shown") or the one typed in the start flow ("typed") is forgotten at once; it no
// longer works anywhere.
export function applyCodeRevoked(S, which) {
  if (which === "shown") {
    if (!S.followup || typeof S.followup !== "object") return false;
    S.followup = "revoked";
    return true;
  }
  S.codeIn = "";
  S.revokeNote = { ok: true };
  return true;
}

// Visitor records in the history: messages from "system" with `code` "referral" (and
// `cards`) or "followup_code" (and `followup` {code, expires_at}). They are not chat
// lines: they go where the live events go. Splits a `history` list into
// {messages, records}.
export const RECORD_CODES = Object.freeze(["referral", "followup_code"]);

export function isRecord(m) {
  return !!(m && typeof m === "object" && m.from === "system" && RECORD_CODES.includes(m.code));
}

export function splitRecords(items) {
  const list = Array.isArray(items) ? items : [];
  return { messages: list.filter((m) => !isRecord(m)), records: list.filter(isRecord) };
}

// A record as the payload of its live event: ["referral", {id, ts, cards}] or
// ["followup_code", {id, code, expires_at}]; null for anything else.
export function recordEvent(m) {
  if (!isRecord(m)) return null;
  if (m.code === "referral") return ["referral", { id: m.id, ts: m.ts, cards: m.cards }];
  const f = m.followup && typeof m.followup === "object" ? m.followup : {};
  return ["followup_code", { id: m.id, code: f.code, expires_at: f.expires_at }];
}

// The conversation ended (`ended` {reason}, `state: ended`, the visitor's end, or the
// server no longer knowing it). Returns "ended" the first time; "reworded" when a more
// specific reason follows a plain one (an `ended` after `state: ended`); else null.
export function applyEnded(S, reason) {
  if (S.view === "ended") {
    if (reason && reason !== "ended" && reason !== S.endedReason) {
      S.endedReason = reason;
      return "reworded";
    }
    return null;
  }
  S.endedReason = reason || S.endedReason || "ended";
  if (S.conv) S.conv.state = "ended";
  S.view = "ended";
  S.typing = false;
  S.lost = false;
  S.confirmEnd = false;
  S.token = null;
  return "ended";
}
