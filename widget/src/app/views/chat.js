// The chat: status (queue place or counsellor), end and follow-up areas, the message log,
// the typing line and the composer. Built once per visit of the view; the controller then
// calls the update functions below when state changes, so the log is never rebuilt while
// the visitor reads it.
import { el, fmtNodes } from "../../../../frontend_lib/dom.js";
import { _, current, fmt } from "../../../../frontend_lib/i18n.js";
import { codeBox, codeInput } from "./followup.js";

let c = null; // the chat view's elements while it is shown
let nodes = new WeakMap(); // message item -> {el, meta}

const coarse = () => matchMedia("(pointer: coarse)").matches;

export function viewChat(S, act) {
  const status = el("div", { class: "status", role: "status" });
  const log = el("ol", { class: "log" });
  // The scrolling message area is the live log; focusable so keyboard users can scroll.
  const logRegion = el("div", { class: "log-wrap", role: "log", "aria-label": _("Messages"), "aria-live": "polite", tabindex: "0" }, log);
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
  const endArea = el("div", { class: "end-area" });
  // Polite live region: the follow-up code (and the answer to an entered code) is read
  // out when it arrives, without interrupting.
  const followup = el("div", { class: "followup", "aria-live": "polite" });
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
  c = { status, log, typing, textarea, form, endArea, followup, act };
  nodes = new WeakMap();
  for (const item of S.conversation.items) log.append(itemElement(S, item));
  updateChatStatus(S);
  updateTyping(S);
  updateEndArea(S);
  updateFollowup(S);
  setTimeout(scrollToEnd, 0);
  return [
    el("h1", { class: "sr", tabindex: "-1", text: _("Chat with a counsellor") }),
    el("div", { class: "chat-top" }, status, endArea, followup),
    logRegion,
    typing,
    form,
  ];
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

function waitText(w) {
  if (w === null || w === undefined || !Number.isFinite(w)) return _("We cannot estimate the waiting time right now.");
  if (w < 60) return _("Estimated wait: less than a minute.");
  return fmt(_("Estimated wait: about {minutes} min."), { minutes: Math.ceil(w / 60) });
}

export function updateChatStatus(S) {
  if (!shown() || !S.conv) return;
  const parts = [];
  if (S.conv.state === "active") {
    parts.push(
      el(
        "p",
        { class: "status-title" },
        S.operator ? fmtNodes(_("You are chatting with {name}."), { name: S.operator }) : _("You are chatting with a counsellor."),
      ),
    );
  } else {
    parts.push(el("p", { class: "status-title", text: _("Waiting for a counsellor") }));
    if (S.conv.position) parts.push(el("p", { text: fmt(_("Your place in the queue: {position}"), { position: S.conv.position }) }));
    parts.push(el("p", { text: waitText(S.wait) }));
    parts.push(el("p", { class: "status-hint", text: _("You can start writing while you wait.") }));
    if (S.choices.urgent) {
      parts.push(
        el(
          "p",
          { class: "status-urgent" },
          el("span", { text: _("If you are in danger, call 112.") }),
          " ",
          el("a", { href: "tel:112", class: "inline-call", text: _("Call 112") }),
        ),
      );
    }
  }
  c.status.replaceChildren(...parts);
  c.status.className = `status status--${S.conv.state}`;
}

// --- ending ----------------------------------------------------------------------------

export function updateEndArea(S) {
  if (!shown()) return;
  const act = c.act;
  if (S.confirmEnd) {
    // The last chance for a code (it can only be made while the chat is live): point to
    // the button below the confirmation.
    const offerCode = S.conv && S.conv.state === "active" && !S.followup;
    c.endArea.replaceChildren(
      el(
        "div",
        null,
        el("p", { class: "confirm", text: _("Do you want to end the chat?") }),
        offerCode ? el("p", { class: "hint", text: _("If you want to continue later, get a code before you end the chat.") }) : null,
        el(
          "div",
          { class: "actions-row" },
          el("button", { type: "button", class: "danger-btn", "data-confirm": "yes", onclick: act.endChat }, _("Yes, end the chat")),
          el("button", { type: "button", class: "secondary", onclick: act.cancelEnd }, _("No, continue")),
        ),
      ),
    );
    c.endArea.querySelector("[data-confirm]").focus();
  } else {
    c.endArea.replaceChildren(el("button", { type: "button", class: "link-btn", onclick: act.askEnd }, _("End chat")));
  }
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
  const wrap = shown() && c.log.closest(".log-wrap");
  if (wrap) wrap.scrollTop = wrap.scrollHeight;
}

export function appendItem(S, item) {
  if (!shown()) return;
  c.log.append(itemElement(S, item));
  scrollToEnd();
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

// After a wrong code: one more try from inside the chat (the server limits the tries).
function codeRetry(S) {
  const field = codeInput(S);
  const form = el(
    "form",
    { class: "code-retry", novalidate: true },
    field.label,
    field.input,
    el("button", { type: "submit", class: "secondary" }, _("Check the code")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    c.act.checkCode();
  });
  return form;
}

export function updateFollowup(S) {
  if (!shown() || !S.conv) return;
  const act = c.act;
  const parts = [];
  const note = S.codeNote;
  if (note) {
    parts.push(
      el(
        "div",
        { class: `notice ${note.ok ? "notice--ok" : "notice--warn"}` },
        el("p", { text: note.text }),
        note.ok ? null : el("p", { text: _("The chat continues as usual. You can tell the counsellor about your earlier chat yourself.") }),
        note.retry ? codeRetry(S) : null,
      ),
    );
  }
  const f = S.followup;
  if (f && f.code) {
    if (!f.hidden) parts.push(codeBox(f.code, act.hideCode));
    else parts.push(el("button", { type: "button", class: "link-btn", onclick: act.showCode }, _("Show my code again")));
  } else if (f === "asked") {
    parts.push(el("p", { class: "hint", text: _("The counsellor has been asked for a code. It will be shown here.") }));
  } else if (S.conv.state === "active") {
    parts.push(el("button", { type: "button", class: "link-btn", onclick: act.requestCode }, _("Get a code to continue later")));
  }
  c.followup.replaceChildren(...parts);
}
