// The open chat: header (who, presence, tools, actions), the duty-to-report reminder,
// and the body: the conversation (log, typing line, composer) beside a side panel with
// the open tool (triage, referrals, follow-up code, notes, and what feature modules
// add). The side panel never moves the conversation or the composer: they keep their
// place and the panel takes its own column (on a phone it covers the conversation,
// with a way back). An ended chat shows ended.js instead of the conversation.
import { append, clear, el } from "../../../../frontend_lib/dom.js";
import { _, fmt, languageLabel } from "../../../../frontend_lib/i18n.js";
import { cardWords, referralCard } from "../../../../frontend_lib/referral_card.js";
import { timeOf } from "../../lib/locale.js";
import { activeChat } from "../../state/chats.js";
import { sentence } from "./bits.js";
import { renderComposer } from "./composer.js";
import { renderEnded } from "./ended.js";
import { summaryMeta } from "./queue.js";
import { renderDuty } from "./report_duty.js";

const part = (ctx, selector) => ctx.root && ctx.root.querySelector(selector);

export function renderChat(ctx) {
  const host = part(ctx, ".chat-host");
  if (!host) return;
  clear(host);
  const chat = activeChat(ctx.W);
  if (!chat) {
    host.append(el("div", { class: "empty-chat" }, el("p", { text: _("No open chats. Accept a chat from the queue.") })));
    return;
  }
  chat.unread = 0;
  const live = !chat.ended;
  const tool = live && chat.tool ? ctx.toolsFor(chat).find((t) => t.id === chat.tool) : null;
  const body = el("div", { class: tool ? "chat-body tool-open" : "chat-body" });
  const conversation = el("div", { class: "conversation" });
  body.append(conversation);
  const panel = el(
    "div",
    { class: live ? "chat" : "chat is-ended", id: "chat-panel", role: "tabpanel", "aria-labelledby": `tab-${chat.conv.id}` },
    el("div", { class: "chat-head" }),
    el("div", { class: "duty-host" }),
    body,
  );
  host.append(panel);
  renderHeader(ctx, chat);
  renderDuty(ctx, chat, panel.querySelector(".duty-host"));
  if (!live) {
    renderEnded(ctx, chat, conversation);
    return;
  }
  conversation.append(
    el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": fmt(_("Messages with {name}"), { name: chat.conv.pseudonym }), tabindex: "0" }),
    el("p", { class: "typing", "aria-live": "polite" }),
    el("div", { class: "composer-host" }),
  );
  redrawLog(ctx, chat);
  renderTyping(ctx, chat);
  renderComposer(ctx, chat, conversation.querySelector(".composer-host"));
  if (tool) body.append(sidePanel(ctx, chat, tool));
}

// The open tool in its own column. Tools come from feature modules (addChatTool) and
// the work view (triage, notes); each is mounted afresh when the chat is drawn.
function sidePanel(ctx, chat, tool) {
  ctx.unmountTools(chat);
  const titleId = `side-title-${chat.conv.id}`;
  const close = el("button", { type: "button", class: "ghost small", text: _("Close panel"), "aria-label": fmt(_("Close {tool}"), { tool: tool.label }) });
  close.addEventListener("click", () => ctx.openTool(chat, tool.id));
  const back = el("button", { type: "button", class: "ghost small back-to-chat", text: _("Back to the conversation") });
  back.addEventListener("click", () => ctx.openTool(chat, tool.id));
  const bodyEl = el("div", { class: "side-body" });
  // A region (a <section> with a name), not an <aside>: it sits inside the main landmark.
  const aside = el(
    "section",
    { class: "side-panel", id: `side-panel-${chat.conv.id}`, "aria-labelledby": titleId },
    el("div", { class: "side-head" }, back, el("h2", { id: titleId, text: tool.label }), close),
    bodyEl,
  );
  try {
    const info = { id: chat.conv.id, role: chat.role, ended: chat.ended, marks: chat.marks, toTriage: chat.toTriage };
    ctx.tools(chat).push(tool.mount(bodyEl, chat.conv, info, chat));
  } catch (e) {
    bodyEl.append(el("p", { class: "form-error", text: _("This tool could not be shown.") }));
  }
  return aside;
}

function staffName(ctx, chat, id) {
  if (id === ctx.me()) return _("You");
  const c = chat.conv;
  if (c.operator && c.operator.id === id) return c.operator.name;
  const found = [...(c.invited || []), ...(c.observers || [])].find((p) => p.id === id);
  if (found) return found.name;
  // A colleague no longer in the chat (who transferred it with a note): index.js learns
  // their name from `assigned` or the colleagues list.
  return ctx.staffNames.get(id) || _("Colleague");
}

// The referral cards sent in this chat, as the visitor got them but in this staff
// member's language (the server renders them per reader).
function messageEl(ctx, chat, m) {
  if (m.from === "system" && m.code === "referral" && Array.isArray(m.cards) && m.cards.length) {
    const text = cardWords();
    return el(
      "div",
      { class: "msg system referral-msg" },
      el("p", {}, el("span", { dir: "auto", text: m.text }), " ", el("time", { dir: "ltr", text: timeOf(m.ts) })),
      el("ul", { class: "cards" }, m.cards.map((card) => referralCard(card, text, { level: 3, languageLabel }))),
    );
  }
  if (m.from === "system") {
    return el("div", { class: m.local ? "msg system local" : "msg system" }, el("span", { dir: "auto", text: m.text }), el("time", { dir: "ltr", text: timeOf(m.ts) }));
  }
  const who = m.from === "visitor" ? chat.conv.pseudonym : staffName(ctx, chat, m.staff_id);
  const cls = m.internal ? "msg note" : m.from === "visitor" ? "msg visitor" : "msg staff";
  return el(
    "div",
    { class: cls },
    el(
      "p",
      { class: "msg-meta" },
      el("span", { class: "who", dir: "auto", text: who }),
      m.internal ? el("span", { class: "tag note-tag", text: _("Internal note") }) : null,
      el("time", { dir: "ltr", text: timeOf(m.ts) }),
    ),
    el("p", { class: "msg-text", dir: "auto", lang: m.from === "visitor" ? chat.conv.locale : null, text: m.text }),
  );
}

export function redrawLog(ctx, chat) {
  const log = part(ctx, ".log");
  if (!log) return;
  clear(log);
  for (const m of chat.messages) log.append(messageEl(ctx, chat, m));
  log.scrollTop = log.scrollHeight;
}

// A new message in the chat on screen: appended (scrolling along when the operator was
// at the end, or wrote it), or the log redrawn when it belongs before others.
export function showMessage(ctx, chat, m, atEnd) {
  const log = part(ctx, ".log");
  if (!log) return;
  if (!atEnd) {
    redrawLog(ctx, chat);
  } else {
    const near = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.append(messageEl(ctx, chat, m));
    if (near || m.staff_id === ctx.me() || m.local) log.scrollTop = log.scrollHeight;
  }
  renderTyping(ctx, chat);
}

export function renderTyping(ctx, chat) {
  const p = part(ctx, ".typing");
  if (p) p.textContent = chat.typing && !chat.ended ? fmt(_("{name} is typing…"), { name: chat.conv.pseudonym }) : "";
}

// "Connected", "Away since 14:02", "Away", or how the chat ended.
function presence(chat) {
  if (chat.ended) return el("span", { class: "presence", text: chat.toTriage ? _("To triage") : _("Ended") });
  if (chat.conv.visitor_connected !== false) return el("span", { class: "presence on", text: _("Connected") });
  if (chat.awaySince) return el("span", { class: "presence", text: sentence(_("Away since {time}"), { time: chat.awaySince }) });
  return el("span", { class: "presence", text: _("Away") });
}

export function renderHeader(ctx, chat) {
  const head = part(ctx, ".chat-head");
  if (!head) return;
  const c = chat.conv;
  const a = ctx.actions;
  const tools = el("div", { class: "tool-buttons", role: "group", "aria-label": _("Tools") });
  const actions = el("div", { class: "actions" });
  const act = (label, handler, cls = "ghost") => {
    const b = el("button", { type: "button", class: cls, text: label });
    b.addEventListener("click", handler);
    actions.append(b);
  };
  if (!chat.ended) {
    for (const tool of ctx.toolsFor(chat)) {
      const open = chat.tool === tool.id;
      const b = el("button", { type: "button", class: open ? "tool-button open" : "tool-button", "aria-expanded": open ? "true" : "false", "aria-controls": open ? `side-panel-${c.id}` : null, text: tool.label });
      b.addEventListener("click", () => ctx.openTool(chat, tool.id));
      tools.append(b);
    }
    if (chat.role === "operator") {
      act(_("Transfer"), () => a.transfer(chat));
      act(_("Invite"), () => a.invite(chat));
      act(_("Block"), () => a.block(chat), "ghost danger-text");
      act(_("End chat"), () => a.end(chat), "danger");
    } else if (chat.role === "observer") {
      act(_("Join the chat"), () => a.join(chat), "primary");
      act(_("Stop observing"), () => a.leave(chat));
    } else {
      act(_("Leave the chat"), () => a.leave(chat));
    }
  }
  const others = [
    c.operator ? fmt(_("Operator: {name}"), { name: c.operator.name }) : null,
    (c.invited || []).length ? fmt(_("Invited: {names}"), { names: c.invited.map((p) => p.name).join(", ") }) : null,
    (c.observers || []).length ? fmt(_("Observing: {names}"), { names: c.observers.map((p) => p.name).join(", ") }) : null,
  ].filter(Boolean);
  append(clear(head), [
    el(
      "div",
      { class: "who-block" },
      el(
        "h2",
        {},
        el("span", { dir: "auto", text: c.pseudonym }),
        c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null,
        !chat.ended && c.interpreter_needed ? el("span", { class: "tag interpreter-tag", title: _("The chat's language is not among the languages of its counsellor. You can invite an interpreter."), text: _("Interpreter needed") }) : null,
        presence(chat),
      ),
      el("p", { class: "meta", text: summaryMeta(c).join(" · ") }),
      others.length ? el("p", { class: "meta participants", text: others.join(" · ") }) : null,
    ),
    chat.ended ? null : el("div", { class: "head-controls" }, tools, actions),
  ]);
}
