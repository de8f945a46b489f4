// The chat: a one-line bar (status and the menu), the messages (with the queue card
// while waiting, and notes at the end), sheets below the messages (the follow-up code,
// the end confirmation; chat_panels.js), the typing line and the composer. Built once per visit of the view; the controller then calls the update
// functions below when state changes, so the log is never rebuilt while the visitor
// reads it.
//
// On a phone the composer and the newest messages stay in view: the message area is
// the only part that shrinks (when the on-screen keyboard opens, main.js follows
// `visualViewport`), and while the visitor is at the newest message a change of its
// size keeps them there.
import { el, fmtNodes } from "../../../../frontend_lib/dom.js";
import { _, current, fmt } from "../../../../frontend_lib/i18n.js";
import { cardMessage } from "./cards.js";
import { buildMenu, makeSheets, updateEndDialog, updateFollowup as updatePanels, updateMenu } from "./chat_panels.js";
import { queueCard } from "./waiting.js";

let c = null; // the chat view's elements while it is shown
let nodes = new WeakMap(); // message item -> {el, meta}

const coarse = () => matchMedia("(pointer: coarse)").matches;
// Within this many pixels of the end of the messages counts as "at the newest".
const NEAR_END_PX = 48;

export function viewChat(S, act) {
  const title = el("p", { class: "status-title" });
  const status = el("div", { class: "status", role: "status" }, title);
  const menu = buildMenu(act);
  const queue = el("div", { class: "queue" });
  const log = el("ol", { class: "log" });
  const notes = el("div", { class: "chat-notes", "aria-live": "polite" });
  // The scrolling message area, focusable so keyboard users can scroll; the messages
  // inside are the live log.
  const scroller = el(
    "div",
    { class: "log-wrap", role: "region", "aria-label": _("Messages"), tabindex: "0" },
    queue,
    el("div", { role: "log", "aria-live": "polite" }, log),
    notes,
  );
  const sheets = makeSheets(act);
  const area = el("div", { class: "log-area" }, scroller);
  const sheetArea = el("div", { class: "sheets" }, sheets.codeSheet, sheets.endSheet);
  const typing = el("p", { class: "typing", "aria-live": "polite" });
  const label = el("label", { for: "composer", class: "sr", text: _("Write a message") });
  const textarea = el("textarea", {
    id: "composer",
    rows: "2",
    maxlength: "4000",
    dir: "auto",
    placeholder: _("Write a message"),
    autocomplete: "off",
    // On a touch screen, focusing the box would open the keyboard over the queue
    // status; there the (hidden) heading gets the focus instead.
    "data-autofocus": coarse() ? null : "",
  });
  const sendBtn = el("button", { type: "submit", class: "send" }, el("span", { text: _("Send") }));
  const form = el("form", { class: "composer", novalidate: true }, label, textarea, sendBtn);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = textarea.value.trim();
    if (!text) return;
    textarea.value = "";
    act.send(text);
    textarea.focus();
  });
  textarea.addEventListener("keydown", (ev) => {
    // Enter sends on a computer keyboard; on touch screens Enter makes a new line.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !coarse()) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener("input", act.composerInput);
  c = { title, queue, log, notes, scroller, typing, textarea, form, menu, act, atEnd: true, ...sheets };
  nodes = new WeakMap();
  // Where the visitor is in the messages, so a change of size (the keyboard opening,
  // a sheet, the typing line) keeps the newest messages in view. A change of size also
  // fires `scroll` (before ResizeObserver): that one is not the visitor scrolling away.
  let height = -1;
  const resized = () => {
    if (scroller.clientHeight === height) return false;
    height = scroller.clientHeight;
    if (c && c.scroller === scroller && c.atEnd) scrollToEnd();
    return true;
  };
  scroller.addEventListener("scroll", () => {
    if (!resized() && c && c.scroller === scroller) c.atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_END_PX;
  });
  if (typeof ResizeObserver === "function") new ResizeObserver(resized).observe(scroller);
  for (const item of S.conversation.items) log.append(itemElement(S, item));
  updateChatStatus(S);
  updateTyping(S);
  updateEndArea(S);
  updateFollowup(S);
  setTimeout(scrollToEnd, 0);
  return [el("h1", { class: "sr", tabindex: "-1", text: _("Chat with a counsellor") }), el("div", { class: "chat-bar" }, status, menu.root), area, sheetArea, typing, form];
}

// The chat view is on screen, or being built (views/index.js calls leave() whenever
// another view replaces it).
export function shown() {
  return c !== null;
}

export function leave() {
  c = null;
}

export function focusComposer() {
  if (shown()) c.textarea.focus();
}

// --- status --------------------------------------------------------------------------

const OVERFLOW_REASONS = {
  closed: () => _("Your resource centre is closed right now."),
  nobody_on_duty: () => _("No counsellor at your resource centre can take your chat right now."),
  long_wait: () => _("The wait at your resource centre is long right now."),
};

// Another centre that could take the chat sooner: the visitor chooses, or stays. What
// they wrote so far goes with the chat; the counsellor sees which centre they came from.
function overflowPanel(S) {
  const reason = OVERFLOW_REASONS[S.overflow.reason];
  const buttons = S.overflow.centres.map((centre) => {
    const b = el("button", { type: "button", class: "secondary overflow-choice", text: fmt(_("Chat with {centre}"), { centre: centre.name }) });
    b.disabled = !!S.moving;
    b.addEventListener("click", () => c.act.chooseCentre(centre));
    return b;
  });
  return el(
    "section",
    { class: "overflow", "aria-labelledby": "overflow-h" },
    el("h2", { id: "overflow-h", class: "overflow-title", text: _("Talk with another resource centre?") }),
    reason ? el("p", { text: reason() }) : null,
    el("p", { text: _("These centres can chat with you sooner. Your chat moves only if you choose one. You can also stay in this queue.") }),
    el("div", { class: "overflow-choices" }, ...buttons),
    S.overflowNote ? el("p", { class: "overflow-note", role: "alert", text: S.overflowNote }) : null,
  );
}

// The bar's one line, and while waiting the queue card at the top of the messages
// (views/waiting.js).
export function updateChatStatus(S) {
  if (!shown() || !S.conv) return;
  const active = S.conv.state === "active";
  if (active) {
    c.title.replaceChildren(...[].concat(S.operator ? fmtNodes(_("You are chatting with {name}."), { name: S.operator }) : _("You are chatting with a counsellor.")));
  } else {
    c.title.textContent = _("Waiting for a counsellor");
  }
  c.title.parentElement.className = `status status--${S.conv.state}`;
  const parts = [];
  if (!active) {
    parts.push(...queueCard(S, c.act));
    if (S.movedTo) parts.push(el("p", { class: "overflow-moved", text: fmt(_("You are waiting for a counsellor at {centre}."), { centre: S.movedTo }) }));
    if (S.overflow) parts.push(overflowPanel(S));
  }
  c.queue.replaceChildren(...parts);
  c.queue.hidden = active;
  updateMenu(S, c.menu);
}

// --- ending ----------------------------------------------------------------------------

export function updateEndArea(S) {
  if (!shown()) return;
  updateEndDialog(S, c);
  updateMenu(S, c.menu);
}

// --- messages --------------------------------------------------------------------------

// The tick under our own message. A message waiting its turn while the connection is up
// has none yet: it is neither waiting for a connection nor sent.
function statusText(item, online) {
  switch (item.status) {
    case "queued":
      return online ? "" : _("Waiting for connection");
    case "sent":
      return _("Sent");
    case "delivered":
      return _("Delivered");
    case "failed":
      return _("Not delivered");
    default:
      return "";
  }
}

function itemElement(S, item) {
  if (item.kind === "referral") {
    const node = cardMessage(item);
    nodes.set(item, { el: node, meta: null });
    return node;
  }
  if (item.from === "system") {
    const node = el("li", { class: "msg msg--system" }, el("p", { dir: "auto", text: item.text }));
    nodes.set(item, { el: node, meta: null });
    return node;
  }
  const mine = item.from === "visitor";
  const who = mine ? _("You") : item.name || S.operator || _("Counsellor");
  const meta = el("p", { class: "meta" });
  const node = el(
    "li",
    { class: `msg ${mine ? "msg--mine" : "msg--theirs"}` },
    el("span", { class: "sr", text: `${who}: ` }),
    el("div", { class: "bubble", dir: "auto", text: item.text }),
    meta,
  );
  nodes.set(item, { el: node, meta });
  updateMeta(S, item);
  return node;
}

function timeText(ts) {
  if (!ts) return "";
  const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(current.locale, opts).format(new Date(ts));
  } catch (e) {
    return new Intl.DateTimeFormat("sv", opts).format(new Date(ts));
  }
}

export function updateMeta(S, item) {
  const n = nodes.get(item);
  if (!n || !n.meta) return;
  const mine = item.from === "visitor";
  const bits = [];
  if (!mine) bits.push(el("bdi", { class: "meta-name", text: item.name || S.operator || _("Counsellor") }));
  if (item.ts) bits.push(el("span", { class: "meta-time", dir: "ltr", text: timeText(item.ts) }));
  if (mine) {
    bits.push(el("span", { class: `tick tick--${item.status}`, "aria-hidden": "true", text: statusText(item, c && c.act.isOnline()) }));
    if (item.status === "failed" && item.retryable) {
      bits.push(el("button", { type: "button", class: "link-btn retry", onclick: () => c && c.act.retryMessage(item) }, _("Try again")));
    }
  }
  n.meta.replaceChildren(...bits);
  n.el.classList.toggle("msg--failed", item.status === "failed");
}

// Our own messages not yet delivered (their tick depends on the connection).
export function updateOwnPending(S) {
  for (const item of S.conversation.items) if (item.from === "visitor" && item.status !== "delivered") updateMeta(S, item);
}

function scrollToEnd() {
  if (!shown()) return;
  c.scroller.scrollTop = c.scroller.scrollHeight;
  c.atEnd = true;
}

export function appendItem(S, item) {
  if (!shown()) return;
  const node = itemElement(S, item);
  c.log.append(node);
  scrollToEnd();
  // Cards taller than the message area (a phone): their beginning in view, not their end.
  if (item.kind === "referral" && node.offsetHeight > c.scroller.clientHeight) {
    c.scroller.scrollTop -= c.scroller.getBoundingClientRect().top - node.getBoundingClientRect().top + 8;
    c.atEnd = false;
  }
}

// After the conversation was sorted (state/conversation.js sortMessages).
export function reorderItems(S) {
  if (!shown()) return;
  for (const item of S.conversation.items) {
    const n = nodes.get(item);
    if (n) c.log.append(n.el);
  }
}

export function updateTyping(S) {
  if (!shown()) return;
  c.typing.replaceChildren();
  if (S.typing) {
    c.typing.append(
      el("span", { class: "typing-dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
      el("span", null, S.operator ? fmtNodes(_("{name} is writing…"), { name: S.operator }) : _("The counsellor is writing…")),
    );
  }
}

// --- follow-up code ----------------------------------------------------------------------

export function updateFollowup(S) {
  if (!shown() || !S.conv) return;
  updatePanels(S, c);
  updateMenu(S, c.menu);
}
