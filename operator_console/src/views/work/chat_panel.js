// The open chat: header (who, presence, participants, actions), tools from feature
// modules, the message log, the typing line and the composer.
import { clear, el } from "../../../../frontend_lib/dom.js";
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { timeOf } from "../../lib/locale.js";
import { activeChat } from "../../state/chats.js";
import { renderComposer } from "./composer.js";
import { summaryMeta } from "./queue.js";

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
  const panel = el(
    "div",
    { class: "chat", id: "chat-panel", role: "tabpanel", "aria-labelledby": `tab-${chat.conv.id}` },
    el("div", { class: "chat-head" }),
    el("div", { class: "chat-tools" }),
    el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": fmt(_("Messages with {name}"), { name: chat.conv.pseudonym }), tabindex: "0" }),
    el("p", { class: "typing", "aria-live": "polite" }),
    el("div", { class: "composer-host" }),
  );
  host.append(panel);
  renderHeader(ctx, chat);
  renderTools(ctx, chat, panel.querySelector(".chat-tools"));
  redrawLog(ctx, chat);
  renderTyping(ctx, chat);
  renderComposer(ctx, chat, panel.querySelector(".composer-host"));
}

// Feature modules' tools (main.js addChatTool), mounted afresh each time the chat shows.
function renderTools(ctx, chat, host) {
  ctx.unmountTools(chat);
  for (const tool of ctx.app.state.chatTools) {
    const box = el("details", { class: "tool" }, el("summary", { text: tool.label }));
    const body = el("div", { class: "tool-body" });
    box.append(body);
    host.append(box);
    try {
      ctx.tools(chat).push(tool.mount(body, chat.conv, { id: chat.conv.id, role: chat.role, ended: chat.ended }));
    } catch (e) {
      body.append(el("p", { class: "form-error", text: _("This tool could not be shown.") }));
    }
  }
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

function messageEl(ctx, chat, m) {
  if (m.from === "system") {
    return el("div", { class: "msg system" }, el("span", { dir: "auto", text: m.text }), el("time", { text: timeOf(m.ts) }));
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
      el("time", { text: timeOf(m.ts) }),
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
    if (near || m.staff_id === ctx.me()) log.scrollTop = log.scrollHeight;
  }
  renderTyping(ctx, chat);
}

export function renderTyping(ctx, chat) {
  const p = part(ctx, ".typing");
  if (p) p.textContent = chat.typing && !chat.ended ? fmt(_("{name} is typing…"), { name: chat.conv.pseudonym }) : "";
}

export function renderHeader(ctx, chat) {
  const head = part(ctx, ".chat-head");
  if (!head) return;
  const c = chat.conv;
  const a = ctx.actions;
  const actions = el("div", { class: "actions" });
  const act = (label, handler, cls = "ghost") => {
    const b = el("button", { type: "button", class: cls, text: label });
    b.addEventListener("click", handler);
    actions.append(b);
  };
  if (!chat.ended) {
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
  } else {
    act(_("Close"), () => ctx.removeChat(c.id), "primary");
  }
  const others = [
    c.operator ? fmt(_("Operator: {name}"), { name: c.operator.name }) : null,
    (c.invited || []).length ? fmt(_("Invited: {names}"), { names: c.invited.map((p) => p.name).join(", ") }) : null,
    (c.observers || []).length ? fmt(_("Observing: {names}"), { names: c.observers.map((p) => p.name).join(", ") }) : null,
  ].filter(Boolean);
  clear(head).append(
    el(
      "div",
      { class: "who-block" },
      el(
        "h2",
        {},
        c.pseudonym,
        " ",
        c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null,
        el("span", { class: c.visitor_connected ? "presence on" : "presence", text: c.visitor_connected ? _("Connected") : _("Away") }),
      ),
      el("p", { class: "meta", text: summaryMeta(c).join(" · ") }),
      others.length ? el("p", { class: "meta participants", text: others.join(" · ") }) : null,
    ),
    actions,
  );
}
