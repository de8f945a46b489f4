// The operator's workplace: duty, the queue, and several chats in tabs. This module
// applies the server's events to the state (../../state/chats.js) and redraws the parts
// that changed (queue.js, tabs.js, chat_panel.js, composer.js); actions.js holds what
// the buttons do. createWork() returns what main.js uses.
import { clear, el } from "../../../../frontend_lib/dom.js";
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { peerTyping, typingSender } from "../../../../frontend_lib/typing.js";
import { call as socketCall } from "../../connection.js";
import { errorText } from "../../lib/labels.js";
import { elapsed } from "../../lib/locale.js";
import { beep } from "../../lib/sound.js";
import * as chats from "../../state/chats.js";
import { createActions, dutyControl } from "./actions.js";
import { renderChat, renderHeader, renderTyping, showMessage } from "./chat_panel.js";
import { queueColumn, renderQueue } from "./queue.js";
import { renderTabs } from "./tabs.js";

const TYPING_IDLE_MS = 3000;
// A visitor's "is typing" goes away by itself if their "stopped" is lost.
const PEER_TYPING_TTL_MS = 15000;

export function createWork(socket, app) {
  const W = chats.createWork();
  let root = null;
  const call = (event, payload) => socketCall(socket, event, payload);
  const senders = new Map(); // conversation id -> our typing signal
  const peers = new Map(); // conversation id -> the visitor's typing
  const mounted = new Map(); // conversation id -> unmount functions of its tools
  const staffNames = new Map(); // staff id -> name, for notes by colleagues who left a chat
  let namesAsked = 0;

  // --- what the parts share ------------------------------------------------------------
  const ctx = {
    W,
    app,
    call,
    errorText,
    get root() {
      return root && root.isConnected ? root : null;
    },
    me: () => app.state.staff.id,
    select,
    removeChat,
    render,
    renderHeader: (chat) => W.active === chat.conv.id && renderHeader(ctx, chat),
    messageAdded,
    typing: typingOf,
    loadCanned,
    tools: (chat) => mounted.get(chat.conv.id) || mounted.set(chat.conv.id, []).get(chat.conv.id),
    unmountTools,
    staffNames,
  };
  ctx.actions = createActions(ctx);

  // Names of staff who wrote in a chat but are no longer in it (a transfer note's
  // author): asked once from the colleagues list, then the log is drawn again.
  async function learnNames(chat) {
    const c = chat.conv;
    const known = new Set([ctx.me(), c.operator && c.operator.id, ...(c.invited || []).map((p) => p.id), ...(c.observers || []).map((p) => p.id), ...staffNames.keys()]);
    if (!chat.messages.some((m) => m.staff_id && !known.has(m.staff_id)) || Date.now() - namesAsked < 30000) return;
    namesAsked = Date.now();
    const ack = await call("colleagues", {});
    if (!ack.ok) return;
    for (const p of ack.items) staffNames.set(p.id, p.name);
    if (W.active === c.id) renderChat(ctx);
  }

  function typingOf(chat) {
    const id = chat.conv.id;
    if (!senders.has(id)) {
      senders.set(id, typingSender({ idleMs: TYPING_IDLE_MS, send: (active) => !chat.ended && call("typing", { conversation_id: id, active }) }));
    }
    return senders.get(id);
  }

  function peerOf(chat) {
    const id = chat.conv.id;
    if (!peers.has(id)) {
      peers.set(id, peerTyping({
        ttlMs: PEER_TYPING_TTL_MS,
        onChange: (active) => {
          chat.typing = active;
          if (W.active === id) renderTyping(ctx, chat);
        },
      }));
    }
    return peers.get(id);
  }

  function unmountTools(chat) {
    for (const u of mounted.get(chat.conv.id) || []) if (typeof u === "function") u();
    mounted.set(chat.conv.id, []);
  }

  function forget(id) {
    const chat = W.chats.get(id);
    if (chat) unmountTools(chat);
    mounted.delete(id);
    if (senders.has(id)) senders.get(id).reset();
    if (peers.has(id)) peers.get(id).clear();
    senders.delete(id);
    peers.delete(id);
  }

  const visible = (chat) => W.active === chat.conv.id && !document.hidden && !!ctx.root;

  // --- state changes -------------------------------------------------------------------
  function addChat(conv, messages, role = "operator") {
    chats.addChat(W, conv, messages, role);
    render();
    const chat = W.chats.get(conv.id);
    if (chat) learnNames(chat);
  }

  function removeChat(id) {
    forget(id);
    chats.removeChat(W, id);
    render();
  }

  function select(id) {
    if (!chats.select(W, id)) return;
    W.chats.get(id).attention = false;
    renderTabs(ctx);
    renderChat(ctx);
    refreshBadges();
  }

  // A message now in `chat` (from the server, or our own acknowledged one).
  function messageAdded(chat, m, atEnd) {
    if (W.active === chat.conv.id) showMessage(ctx, chat, m, atEnd);
    renderTabs(ctx);
    refreshBadges();
  }

  // --- server events -------------------------------------------------------------------
  socket.on("queue", (data) => {
    const { fresh, urgent } = chats.applyQueue(W, data && data.items);
    if (fresh && W.duty.on) beep(urgent);
    renderQueue(ctx);
    refreshBadges();
  });
  // Routing (auto mode) offers a chat to one operator at a time; it can be accepted or
  // let go (decline) and is withdrawn when its time runs out.
  socket.on("offer", (data) => {
    app.notify(fmt(_("A chat with {name} is offered to you."), { name: data.conversation.pseudonym }));
    beep(data.conversation.urgent);
    chats.applyOffer(W, data.conversation);
    renderQueue(ctx);
  });
  socket.on("offer_withdrawn", () => renderQueue(ctx));
  socket.on("assigned", (data) => {
    if (data.transferred_by && data.transferred_by.id) staffNames.set(data.transferred_by.id, data.transferred_by.name);
    addChat(data.conversation, data.messages, "operator");
    if (data.transferred_by) app.notify(fmt(_("{name} transferred the chat with {visitor} to you."), { name: data.transferred_by.name, visitor: data.conversation.pseudonym }));
    select(data.conversation.id);
  });
  socket.on("invited", (data) => {
    addChat(data.conversation, data.messages, "invited");
    app.notify(fmt(_("{name} invited you into the chat with {visitor}."), { name: data.by.name, visitor: data.conversation.pseudonym }), { conversation: data.conversation.id });
    beep();
  });
  socket.on("message", (m) => {
    const chat = m && W.chats.get(m.conversation_id);
    if (!chat) return;
    const r = chats.addMessage(W, chat, m, { live: true, visible: visible(chat) });
    if (!r.added) return;
    if (m.from === "visitor") peerOf(chat).clear();
    if (r.alert) beep();
    messageAdded(chat, m, r.atEnd);
  });
  socket.on("typing", (d) => {
    const chat = d && W.chats.get(d.conversation_id);
    if (chat) peerOf(chat).set(!!d.active && !chat.ended);
  });
  socket.on("conversation", (d) => {
    const chat = chats.applyConversation(W, d && d.conversation);
    if (!chat) return;
    ctx.renderHeader(chat);
    renderTabs(ctx);
  });
  socket.on("ended", (d) => {
    if (!chats.markEnded(W, d.conversation_id, d.reason)) return;
    forget(d.conversation_id);
    render();
  });
  socket.on("released", (d) => {
    const chat = W.chats.get(d.conversation_id);
    if (chat && d.reason === "transferred") app.notify(fmt(_("The chat with {name} was transferred."), { name: chat.conv.pseudonym }));
    removeChat(d.conversation_id);
  });

  // `session` comes after every (re)connect. After a server or Redis restart the server
  // may have forgotten the duty and the chats: duty is put back as it was, and chats the
  // server no longer knows are shown as ended instead of waiting for messages forever.
  async function onSession(data) {
    const { reconnect, dutyLost, before } = chats.applySession(W, data);
    const live = new Set();
    for (const c of data.chats || []) {
      live.add(c.conversation.id);
      addChat(c.conversation, c.messages, "operator");
    }
    if (dutyLost) ctx.actions.restoreDuty(before.languages);
    const ack = await call("sync", {});
    if (!ack.ok) return;
    for (const c of ack.chats) {
      live.add(c.conversation.id);
      addChat(c.conversation, c.messages, c.observing ? "observer" : "invited");
    }
    if (reconnect && chats.markGone(W, live)) render();
  }

  // --- drawing -------------------------------------------------------------------------
  function mount(main) {
    root = el("div", { class: "work" });
    main.append(root);
    render();
  }

  function render() {
    if (!ctx.root) return refreshBadges();
    clear(root).append(
      el("h1", { class: "visually-hidden", text: _("Chats") }),
      queueColumn(),
      el("section", { class: "chats-col", "aria-label": _("Your chats") }, el("div", { class: "tabs", role: "tablist", "aria-label": _("Open chats") }), el("div", { class: "chat-host" })),
    );
    renderQueue(ctx);
    renderTabs(ctx);
    renderChat(ctx);
    refreshBadges();
  }

  // The unread total on the "Chats" button and in the page title: "(3) Chats – RC console".
  function refreshBadges() {
    const unread = chats.totalUnread(W);
    const badge = document.getElementById("work-badge");
    if (badge) {
      badge.hidden = !unread;
      badge.textContent = String(unread);
    }
    const base = document.title.replace(/^\(\d+\) /, "") || _("RC console");
    document.title = unread ? `(${unread}) ${base}` : base;
  }

  const cannedCache = new Map();
  async function loadCanned(locale) {
    if (!cannedCache.has(locale)) {
      const ack = await call("canned", { locale });
      cannedCache.set(locale, ack.ok ? ack.items : []);
      setTimeout(() => cannedCache.delete(locale), 60000);
    }
    return cannedCache.get(locale);
  }

  // --- clock, visibility, shortcuts ----------------------------------------------------
  const clock = setInterval(() => {
    document.querySelectorAll(".wait[data-since]").forEach((n) => {
      n.textContent = elapsed(Number(n.dataset.since));
    });
  }, 1000);

  const onVisible = () => {
    const chat = chats.activeChat(W);
    if (!document.hidden && chat && ctx.root) {
      chat.unread = 0;
      renderTabs(ctx);
      refreshBadges();
    }
  };

  const onKey = (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || !ctx.root) return;
    if (e.code === "KeyA") {
      e.preventDefault();
      if (W.queue.length) ctx.actions.accept(W.queue[0].id);
    } else if (/^Digit[1-9]$/.test(e.code)) {
      const id = W.order[Number(e.code.slice(5)) - 1];
      if (id) {
        e.preventDefault();
        select(id);
      }
    }
  };
  document.addEventListener("visibilitychange", onVisible);
  document.addEventListener("keydown", onKey);

  // On logout: forget every chat (nothing of a conversation outlives the session here).
  function destroy() {
    clearInterval(clock);
    document.removeEventListener("visibilitychange", onVisible);
    document.removeEventListener("keydown", onKey);
    for (const id of [...W.chats.keys()]) forget(id);
    W.chats.clear();
    W.order = [];
    W.queue = [];
  }

  // A notice about a chat marks its tab until the chat is opened (main.js notify).
  function markAttention(id) {
    const chat = W.chats.get(id);
    if (!chat || (W.active === id && ctx.root)) return;
    chat.attention = true;
    renderTabs(ctx);
  }

  return {
    mount,
    onSession,
    markAttention,
    conversation: (id) => (W.chats.has(id) ? W.chats.get(id).conv : null),
    addChat,
    select,
    dutyControl: () => dutyControl(ctx),
    refreshBadges,
    destroy,
  };
}
