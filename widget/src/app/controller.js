// The widget's behaviour: what the visitor's actions and the server's events do. State
// changes happen in state/ (pure), drawing in views/, the socket in connection.js; this
// module connects them. Everything lives in memory: the resume token, the conversation,
// the messages. Nothing is written to cookies or any browser storage or cache, so a
// reload starts afresh and a quick exit leaves nothing behind in this origin.
import { _, current, fmt, setLocale } from "../../../frontend_lib/i18n.js";
import { peerTyping, typingSender } from "../../../frontend_lib/typing.js";
import * as conn from "./connection.js";
import * as host from "./host.js";
import { addOwnMessage, mergeHistory, pushMessageToConversation, sortMessages } from "./state/conversation.js";
import { createOutbox } from "./state/outbox.js";
import { refusalKind, setupCode } from "./state/refusal.js";
import {
  START_VIEWS,
  applyReferral,
  applyCodeRevoked,
  applyEnded,
  applyFeedbackToken,
  applyFollowupCode,
  applyOverflow,
  applyOverflowAck,
  applyQueue,
  applySession,
  applyStart,
  applyState,
  freshState,
  isLive,
  recordEvent,
  splitRecords,
} from "./state/session.js";
import { keepWaiting, noticeText, showHelplines } from "./state/waiting.js";
import * as chatView from "./views/chat.js";
import { rewordEnded } from "./views/ended.js";
import { updateFeedback } from "./views/feedback.js";
import { spokenCode } from "./views/followup.js";
import { render } from "./views/index.js";
import { announce, shell, updateBanner, wipe } from "./views/shell.js";

const TYPING_IDLE_MS = 3000;
// The counsellor's "is writing" goes away by itself if their "stopped" is lost.
const PEER_TYPING_TTL_MS = 15000;
const START_CONNECT_MS = 10000;
const END_ACK_MS = 5000;

let S = freshState();
let exiting = false;
let outbox = null;
let reconnectedTimer = 0;

const ownTyping = typingSender({ send: (active) => conn.signal("typing", { active }), idleMs: TYPING_IDLE_MS });
const peer = peerTyping({
  ttlMs: PEER_TYPING_TTL_MS,
  onChange: (active) => {
    S.typing = active;
    chatView.updateTyping(S);
  },
});

function randomId() {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return `c-${Array.from(a, (b) => (b % 36).toString(36)).join("")}`;
}

function newOutbox() {
  if (outbox) outbox.stop();
  outbox = createOutbox({
    conv: S.conversation,
    send: (item) => conn.call("message", { client_id: item.client_id, text: item.text }),
    // Not before the conversation is re-attached after a drop (`history` or `state`).
    canSend: () => conn.connected() && !S.lost,
    onChange: (item) => {
      if (item.status === "delivered" && sortMessages(S.conversation)) chatView.reorderItems(S);
      chatView.updateMeta(S, item);
    },
    // The server has no conversation for us any more: say so instead of leaving the
    // visitor writing into nothing.
    onGone: () => isLive(S) && ended("gone"),
    onRefused: () => announce(_("Your message could not be delivered.")),
  });
}
newOutbox();

function resetState() {
  S = freshState();
  newOutbox();
  peer.clear();
  ownTyping.reset();
  clearTimeout(reconnectedTimer);
}

// ------------------------------------------------------------------ navigation

function draw() {
  if (!exiting) render(S, act);
}

function go(view) {
  S.view = view;
  draw();
  if (view === "offline") askOverflow();
}

// The visitor's centre is closed: is another one open that could take them? Asked
// each time the offline view is shown; drawn there as a choice (views/offline.js).
async function askOverflow() {
  const c = await conn.whenConnected(START_CONNECT_MS);
  if (exiting || S.view !== "offline" || !c.ok) return;
  const ack = await conn.call("overflow_options", { audience: S.choices.audience || "self", locale: current.locale });
  if (exiting || S.view !== "offline" || !ack.ok) return;
  const centres = Array.isArray(ack.centres) ? ack.centres.filter((x) => x && typeof x.id === "string" && typeof x.name === "string") : [];
  const before = JSON.stringify(S.startOverflow);
  S.startOverflow = centres.length ? { reason: ack.reason, centres } : null;
  if (JSON.stringify(S.startOverflow) !== before) draw();
}

// Chosen on the offline view: start in that centre (the steps first, if not done yet).
function startElsewhere(centre) {
  S.choices.overflowTo = centre;
  S.startOverflow = null;
  if (S.choices.audience) startChat();
  else go("about");
}

function choose(key, value, next) {
  S.choices[key] = value;
  if (next) go(next);
  else startChat();
}

async function chooseLanguage(code) {
  const changed = code !== current.locale;
  if (changed) {
    await setLocale(code);
    if (exiting) return;
    shell(act);
    updateBanner(S, isLive(S));
  }
  // The server words its replies (errors, opening hours) in the connection's locale.
  if (changed && conn.isOpen() && !S.conv) conn.close();
  connect();
  go(S.open ? "about" : "offline");
}

// ------------------------------------------------------------------ starting

async function startChat() {
  go("starting");
  // A connection the server refused does not retry by itself, and one whose handshake
  // failed retries on its own schedule: start afresh so the answer is about now.
  if (conn.failure()) conn.close();
  connect();
  const c = await conn.whenConnected(START_CONNECT_MS);
  if (exiting || S.view !== "starting") return;
  if (!c.ok) return refused(refusalKind({ connectError: c.error, online: navigator.onLine }));
  const { audience, topic, urgent, age_band, overflowTo } = S.choices;
  const params = { locale: current.locale, audience, topic, urgent: !!urgent, age_band };
  if (overflowTo) params.overflow_to = overflowTo.id;
  const ack = await conn.call("start", params);
  if (ack.ok && overflowTo) S.movedTo = overflowTo.name;
  if (exiting || S.view !== "starting") return;
  if (applyStart(S, ack) === "started") {
    go("chat");
    sendFollowupCode();
  } else refused(refusalKind({ ack, online: navigator.onLine }));
}

// The chat could not start: say why, truthfully (views/refusal.js). Closed: the offline
// view, with the opening hours fetched again (the ones from the connection's `session`
// may be older than the decision to close).
function refused(kind) {
  S.refusal = kind;
  if (kind === "closed") {
    S.open = false;
    go("offline");
    conn.close();
    connect();
    return;
  }
  go("error");
}

function retryStart() {
  conn.close();
  startChat();
}

// ------------------------------------------------------------------ in the chat

function send(text) {
  ownTyping.stop();
  const item = addOwnMessage(S.conversation, text, { clientId: randomId(), now: Date.now() });
  chatView.appendItem(S, item);
  outbox.flush();
}

function composerInput() {
  if (isLive(S) && conn.connected()) ownTyping.input();
}

function setConfirmEnd(on) {
  S.confirmEnd = on;
  chatView.updateEndArea(S);
  if (!on) chatView.focusComposer();
}

async function endChat() {
  S.confirmEnd = false;
  S.endedReason = "visitor_ended";
  ownTyping.stop();
  if (conn.connected()) await conn.call("end", {}, END_ACK_MS);
  ended("visitor_ended");
}

async function requestCode() {
  // Asked from the end confirmation: the chat goes on, the code will come.
  if (S.confirmEnd) setConfirmEnd(false);
  if (!conn.connected() || !isLive(S)) return;
  const ack = await conn.call("followup_request", {});
  if (exiting || !isLive(S)) return;
  if (ack.ok) {
    if (!S.followup || S.followup === "revoked") S.followup = "asked";
  } else {
    const code = ack.error.code;
    if (code === "no_conversation" || code === "conflict") return ended("gone");
    announce(ack.error.message || _("Something went wrong. Please try again."));
  }
  chatView.updateFollowup(S);
}

// A code typed in the start flow goes to the server once, right after `start`, and is
// then forgotten. A wrong code does not stop the chat.
async function sendFollowupCode() {
  const code = (S.codeIn || "").trim();
  S.codeIn = "";
  if (!code || !conn.isOpen()) return;
  const ack = await conn.call("followup", { code });
  if (exiting || !isLive(S)) return;
  if (ack.ok) {
    S.codeNote = { ok: true, text: _("Your code was accepted. The counsellor can read the summary of your earlier chat.") };
  } else {
    S.codeNote = { ok: false, text: ack.error.message || _("Your code could not be checked right now."), retry: ack.error.code === "not_found" };
  }
  chatView.updateFollowup(S);
}

// Cancel a code: the one shown in this chat ("shown") or one typed in the start flow
// ("typed"). The server answers the same whether or not the code existed.
async function revokeCode(which) {
  const code = which === "shown" ? S.followup && S.followup.code : (S.codeIn || "").trim();
  if (!code) return;
  const ack = conn.isOpen() ? await conn.call("followup_revoke", { code }) : { ok: false, error: { code: "offline" } };
  if (exiting) return;
  if (ack.ok) applyCodeRevoked(S, which);
  else if (which === "typed") S.revokeNote = { ok: false, text: ack.error.message || _("Your code could not be checked right now.") };
  else announce(ack.error.message || _("Something went wrong. Please try again."));
  if (S.view === "chat") chatView.updateFollowup(S);
  else draw();
}

function showCode(visible) {
  if (!S.followup || !S.followup.code) return;
  S.followup.hidden = !visible;
  chatView.updateFollowup(S);
  if (!visible) chatView.focusComposer();
}

// ------------------------------------------------------------------ the end

function ended(reason) {
  const r = applyEnded(S, reason);
  if (r === "reworded") return rewordEnded(S);
  if (r !== "ended") return;
  ownTyping.reset();
  peer.clear();
  outbox.stop();
  updateBanner(S, false);
  draw();
}

// The one-question feedback (views/feedback.js): once, with the token of `ended`.
async function sendFeedback(answer) {
  const f = S.feedback;
  if (!f || !f.token || f.status === "sending") return;
  f.status = "sending";
  f.error = null;
  updateFeedback(S);
  const ack = conn.isOpen() ? await conn.call("feedback", { token: f.token, answer }) : { ok: false, error: null };
  if (exiting || S.feedback !== f) return;
  if (ack.ok) {
    f.status = "thanks";
    f.token = null;
  } else if (ack.error && ack.error.code === "not_found") {
    f.status = "gone";
    f.token = null;
    f.error = ack.error.message || null;
  } else {
    f.status = "failed";
    f.error = (ack.error && ack.error.message) || null;
  }
  updateFeedback(S);
}

function newChat() {
  conn.close();
  const open = S.open;
  resetState();
  S.open = open;
  connect();
  go("about");
}

// Ends the chat on the server, wipes this page (DOM and memory), and asks the loader to
// replace the host page with the neutral exit page (location.replace: no history entry).
export function quickExit() {
  if (exiting) return;
  exiting = true;
  host.post({ t: "exit" }); // hide now; the second "exit" below: leave now
  outbox.stop();
  peer.clear();
  ownTyping.reset();
  clearTimeout(reconnectedTimer);
  S = freshState();
  chatView.leave();
  wipe();
  document.body.replaceChildren();
  document.title = "";
  conn.exit(() => {
    host.post({ t: "exit" });
    if (!host.embedded) location.replace(host.config.exitUrl);
  });
}

export function isExiting() {
  return exiting;
}

// ------------------------------------------------------------------ server events

// A message from the server, live or in `history`: shown once, our own confirmed.
function show(result) {
  if (!result) return;
  if (result.added) chatView.appendItem(S, result.item);
  else chatView.updateMeta(S, result.item);
}

function afterMerge() {
  if (sortMessages(S.conversation)) chatView.reorderItems(S);
  // An echo may have confirmed the message in flight before its ack: send the next.
  outbox.flush();
}

function onDisconnect() {
  if (!isLive(S)) return;
  S.lost = true;
  S.reconnected = false;
  peer.clear();
  ownTyping.reset();
  outbox.dropped();
  chatView.updateOwnPending(S);
  updateBanner(S, true);
}

// The conversation is re-attached after a drop.
function back() {
  S.reconnected = true;
  updateBanner(S, isLive(S));
  chatView.updateOwnPending(S);
  clearTimeout(reconnectedTimer);
  reconnectedTimer = setTimeout(() => {
    S.reconnected = false;
    updateBanner(S, isLive(S));
  }, 3000);
}

function onSession(p) {
  const r = applySession(S, p);
  if (r === "gone") ended("gone");
  else if (r === "closed" && START_VIEWS.includes(S.view) && !S.choices.overflowTo) go("offline");
  // On the offline view: fresh opening hours, or the start steps if it has opened.
  else if (S.view === "offline") go(r === "fresh" ? "about" : "offline");
}

function onHistory(p) {
  const { messages, records } = splitRecords(p && p.messages);
  for (const r of mergeHistory(S.conversation, messages, { operatorName: S.operator })) show(r);
  if (S.lost) {
    S.lost = false;
    back();
  }
  afterMerge();
  // Referral cards and a follow-up code sent while the connection was down (each
  // record once: one that also came live is not applied again).
  for (const m of records) onRecord(m);
}

function onRecord(m) {
  const [event, payload] = recordEvent(m) || [];
  if (event === "referral") onReferral(payload);
  else if (event === "followup_code") onFollowupCode(payload);
}

function onState(p) {
  const r = applyState(S, p);
  if (!r) return;
  if (r.ended) return ended(S.endedReason);
  if (r.back) {
    back();
    outbox.flush();
  }
  chatView.updateChatStatus(S);
  chatView.updateFollowup(S);
  if (r.becameActive) announce("");
}

function onQueue(p) {
  const before = S.notice;
  if (!applyQueue(S, p)) return;
  chatView.updateChatStatus(S);
  // The notice is not a live region (it holds the helplines): say its title once.
  const notice = S.notice !== before ? noticeText(S, Date.now()) : null;
  if (notice) announce(notice.title);
}

function onEnded(p) {
  const token = applyFeedbackToken(S, p);
  ended(p && p.reason);
  if (token) updateFeedback(S);
}

function onMessage(m) {
  if (recordEvent(m)) return onRecord(m);
  if (m && m.from === "operator") peer.clear();
  show(pushMessageToConversation(S.conversation, m, { operatorName: S.operator }));
  afterMerge();
}

// Referral cards: a card message in the chat where the server put them (sorted among
// the messages), kept for the ended view too.
function onReferral(p) {
  const item = applyReferral(S, p);
  if (!item) return;
  if (S.view === "ended") return draw();
  chatView.appendItem(S, item);
  if (sortMessages(S.conversation)) chatView.reorderItems(S);
  announce(_("The counsellor has shared places that can help you."));
}

// Another centre could take the chat sooner (the visitor's own is closed, has nobody on
// duty or a long queue): offered in the queue card; nothing moves unless they choose.
function onOverflow(p) {
  if (!applyOverflow(S, p)) return;
  chatView.updateChatStatus(S);
  if (S.overflow) announce(_("Another resource centre can chat with you sooner. You can choose it below."));
}

async function chooseCentre(centre) {
  if (S.moving || !conn.connected() || !isLive(S)) return;
  S.moving = centre.id;
  chatView.updateChatStatus(S);
  const ack = await conn.call("overflow_accept", { centre: centre.id });
  if (exiting || !isLive(S)) return;
  const r = applyOverflowAck(S, centre, ack);
  if (r === "gone") return ended("gone");
  chatView.updateChatStatus(S);
  announce(r === "moved" ? fmt(_("You are now waiting for a counsellor at {centre}."), { centre: centre.name }) : S.overflowNote);
}

function onFollowupCode(p) {
  if (!applyFollowupCode(S, p)) return;
  if (S.view === "ended") return draw();
  chatView.updateFollowup(S);
  // The code's sheet does not take the focus from the composer: say it, one character
  // at a time.
  announce(fmt(_("Your code to continue later: {code}"), { code: spokenCode(p.code) }));
}

// The server refused the connection because this page embeds the chat wrongly (no
// centre, an unknown one, or a centre this site may not show): say so kindly, with the
// help numbers, and let the loader tell the site's developers on its console.
function onConnectError(err) {
  const code = setupCode(err);
  if (!code) return;
  conn.close();
  host.post({ t: "setup", why: code });
  if (isLive(S)) return;
  S.refusal = "misconfigured";
  go("error");
}

// What the server is told at every (re)connection: the centre the loader named and the
// host page's origin, to check that this page may show that centre's chat
// (services/embedding.py); the locale; after a drop, the resume token.
function connectAuth() {
  const auth = { locale: current.locale };
  if (host.config.centre) auth.centre = host.config.centre;
  if (host.embedded) auth.host = host.config.origin;
  if (S.token && S.conv) auth.resume = S.token;
  return auth;
}

function connect() {
  const guard = (fn) => (...args) => {
    if (!exiting) fn(...args);
  };
  const on = {
    disconnect: onDisconnect,
    session: onSession,
    history: onHistory,
    state: onState,
    queue: onQueue,
    message: onMessage,
    typing: (p) => peer.set(!!(p && p.active) && isLive(S)),
    referral: onReferral,
    ended: onEnded,
    followup_code: onFollowupCode,
    overflow: onOverflow,
    connect_error: onConnectError,
  };
  for (const k of Object.keys(on)) on[k] = guard(on[k]);
  conn.open({
    // Asked on every (re)connection: after a drop we ask to resume our conversation.
    auth: connectAuth,
    on,
  });
}

// ------------------------------------------------------------------ the views' actions

const act = {
  go,
  choose,
  chooseLanguage,
  startChat,
  retryStart,
  quickExit,
  send,
  composerInput,
  askEnd: () => setConfirmEnd(true),
  cancelEnd: () => setConfirmEnd(false),
  endChat,
  retryMessage: (item) => outbox.retry(item),
  isOnline: () => conn.connected() && !S.lost,
  requestCode,
  checkCode: () => {
    S.codeNote = null;
    chatView.updateFollowup(S);
    sendFollowupCode();
  },
  revokeShownCode: () => revokeCode("shown"),
  revokeTypedCode: () => revokeCode("typed"),
  hideCode: () => showCode(false),
  showCode: () => showCode(true),
  newChat,
  chooseCentre,
  startElsewhere,
  keepWaiting: () => {
    keepWaiting(S);
    chatView.updateChatStatus(S);
    chatView.focusComposer();
  },
  showHelplines: () => {
    showHelplines(S);
    chatView.updateChatStatus(S);
  },
  sendFeedback,
};

// After the locale is set (main.js): the shell and the first step.
export function start() {
  if (exiting) return;
  shell(act);
  updateBanner(S, false);
  go("language");
}
