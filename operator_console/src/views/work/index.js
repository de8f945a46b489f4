// The operator's workplace: duty, the queue, several chats in tabs, and the chats that
// wait for their triage. This module applies the server's events to the state
// (../../state/chats.js) and redraws the parts that changed (queue.js, tabs.js,
// chat_panel.js, composer.js, report_duty.js, ended.js); actions.js holds what the
// buttons do. createWork() returns what main.js uses.
import { clear, el } from "../../../../frontend_lib/dom.js";
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { peerTyping, typingSender } from "../../../../frontend_lib/typing.js";
import { call as socketCall } from "../../connection.js";
import * as desktop from "../../lib/desktop.js";
import { known, triageSchema } from "../../lib/directory.js";
import { errorText } from "../../lib/labels.js";
import { elapsed } from "../../lib/locale.js";
import { beep, onAudioChange } from "../../lib/sound.js";
import * as chats from "../../state/chats.js";
import { reportDutyOpen } from "../../state/triage.js";
import { createActions, dutyControl } from "./actions.js";
import { renderAlertControls } from "./alert_controls.js";
import { renderChat, renderHeader, renderTyping, showMessage } from "./chat_panel.js";
import { countdownText } from "./ended.js";
import { queueColumn, renderQueue, renderToTriage } from "./queue.js";
import { renderDuty } from "./report_duty.js";
import { renderTabs } from "./tabs.js";
import { toolsFor } from "./tools.js";

const TYPING_IDLE_MS = 3000;
// A visitor's "is typing" goes away by itself if their "stopped" is lost.
const PEER_TYPING_TTL_MS = 15000;

export function createWork(socket, app) {
  const W = chats.createWork();
  let root = null;
  let localIds = 0;
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
    toolsFor: (chat) => toolsFor(ctx, chat),
    openTool(chat, id) {
      chats.openTool(W, chat.conv.id, id);
      if (W.active === chat.conv.id) renderChat(ctx);
    },
    writeNote(chat) {
      chat.mode = "note";
      chat.tool = null;
      renderChat(ctx);
      const area = ctx.root && ctx.root.querySelector(".composer textarea");
      if (area) area.focus();
    },
    renderDuty: (chat) => W.active === chat.conv.id && renderDuty(ctx, chat, ctx.root && ctx.root.querySelector(".duty-host")),
    marksChanged(id, marks) {
      const chat = chats.applyMarks(W, id, marks);
      if (chat) ctx.renderDuty(chat);
    },
    setMunicipality: (chat, code) => mark(chat, { municipality: code || "" }),
    acknowledgeDuty,
    triageDone(triageId, outcome) {
      const chat = chats.applyTriageDone(W, triageId, outcome, Date.now());
      if (!chat) return;
      app.notify(outcome === "recorded" ? _("The triage is saved.") : _("The triage was skipped."));
      render();
    },
    keepOpen(id) {
      chats.keepOpen(W, id);
      if (W.active === id) renderChat(ctx);
    },
    staffNames,
  };
  ctx.actions = createActions(ctx);

  // Marks of a live chat or of an ended one waiting for triage (docs/protocol.md).
  const ref = (chat) => (chat.toTriage ? { triage_id: chat.toTriage.id } : { conversation_id: chat.conv.id });

  async function mark(chat, changes) {
    const ack = await call("triage_marks", { ...ref(chat), ...changes });
    if (!ack.ok) return app.notify(errorText(ack.error));
    ctx.marksChanged(chat.conv.id, ack.marks);
  }

  async function acknowledgeDuty(chat) {
    if (chat.ended && !chat.toTriage) {
      // Triaged with the end: the server keeps nothing of the chat any more.
      ctx.marksChanged(chat.conv.id, { ...chat.marks, acknowledged_by: app.state.staff.name });
      return;
    }
    const ack = await call("report_duty_ack", ref(chat));
    if (!ack.ok) return app.notify(errorText(ack.error));
    ctx.marksChanged(chat.conv.id, ack.marks);
  }

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

  // A message now in `chat` (from the server, our own acknowledged one, or a line only
  // this console shows).
  function messageAdded(chat, m, atEnd) {
    if (W.active === chat.conv.id) showMessage(ctx, chat, m, atEnd);
    renderTabs(ctx);
    refreshBadges();
  }

  // A line in the chat's log that only this console shows (e.g. "Referral cards sent:
  // …"): not part of the server's history, so it is gone after a reload.
  function logLocal(conversationId, text) {
    const chat = W.chats.get(conversationId);
    if (!chat || chat.ended) return;
    localIds += 1;
    const m = { id: `local-${localIds}`, from: "system", local: true, text, ts: Date.now() };
    const r = chats.addMessage(W, chat, m, { live: false, visible: true });
    if (r.added) messageAdded(chat, m, r.atEnd);
  }

  // --- server events -------------------------------------------------------------------
  socket.on("queue", (data) => {
    const { fresh, urgent } = chats.applyQueue(W, data && data.items, data && data.centres);
    if (fresh && W.duty.on) {
      beep(urgent);
      desktop.notify(urgent ? _("An urgent chat is waiting") : _("A new chat is waiting"), "rc-queue");
    }
    renderQueue(ctx);
    refreshBadges();
  });
  // Routing (auto mode) offers a chat to one operator at a time; it can be accepted or
  // let go (decline) and is withdrawn when its time runs out.
  socket.on("offer", (data) => {
    app.notify(fmt(_("A chat with {name} is offered to you."), { name: data.conversation.pseudonym }));
    beep(data.conversation.urgent);
    desktop.notify(_("A chat is offered to you"), "rc-offer");
    chats.applyOffer(W, data.conversation);
    renderQueue(ctx);
  });
  socket.on("offer_withdrawn", () => renderQueue(ctx));
  socket.on("assigned", (data) => {
    if (data.transferred_by && data.transferred_by.id) staffNames.set(data.transferred_by.id, data.transferred_by.name);
    addChat(data.conversation, data.messages, "operator");
    if (data.transferred_by) {
      app.notify(fmt(_("{name} transferred the chat with {visitor} to you."), { name: data.transferred_by.name, visitor: data.conversation.pseudonym }));
      desktop.notify(fmt(_("A chat was transferred to you: {name}"), { name: data.conversation.pseudonym }), `rc-chat-${data.conversation.id}`);
    }
    select(data.conversation.id);
  });
  socket.on("invited", (data) => {
    addChat(data.conversation, data.messages, "invited");
    app.notify(fmt(_("{name} invited you into the chat with {visitor}."), { name: data.by.name, visitor: data.conversation.pseudonym }), { conversation: data.conversation.id });
    beep();
  });
  socket.on("message", (m) => {
    const chat = m && W.chats.get(m.conversation_id);
    if (!chat) {
      chats.keepEarly(W, m, Date.now()); // its `assigned` or `invited` may be on the way
      return;
    }
    const r = chats.addMessage(W, chat, m, { live: true, visible: visible(chat) });
    if (!r.added) return;
    if (m.from === "visitor") peerOf(chat).clear();
    if (r.alert) {
      beep();
      desktop.notify(fmt(_("New message in chat {name}"), { name: chat.conv.pseudonym }), `rc-chat-${chat.conv.id}`, () => select(chat.conv.id));
    }
    messageAdded(chat, m, r.atEnd);
  });
  socket.on("typing", (d) => {
    const chat = d && W.chats.get(d.conversation_id);
    if (chat) peerOf(chat).set(!!d.active && !chat.ended);
  });
  socket.on("conversation", (d) => {
    const chat = chats.applyConversation(W, d && d.conversation, Date.now());
    if (!chat) return;
    ctx.renderHeader(chat);
    renderTabs(ctx);
  });
  socket.on("ended", (d) => {
    if (!chats.markEnded(W, d.conversation_id, d.reason, Date.now())) return;
    forget(d.conversation_id);
    render();
  });
  socket.on("released", (d) => {
    const chat = W.chats.get(d.conversation_id);
    if (chat && d.reason === "transferred") app.notify(fmt(_("The chat with {name} was transferred."), { name: chat.conv.pseudonym }));
    removeChat(d.conversation_id);
  });
  // Every chat gets its triage (docs/protocol.md): `triage_pending` comes before `ended`.
  socket.on("triage_pending", (d) => {
    if (!d || !chats.applyTriagePending(W, d.conversation_id, d.item)) return;
    render();
  });
  socket.on("triage_done", (d) => {
    if (d && chats.applyTriageDone(W, d.id, d.outcome, Date.now())) render();
  });
  socket.on("triage_marks", (d) => d && ctx.marksChanged(d.conversation_id, d.marks));

  // `session` comes after every (re)connect. After a server or Redis restart the server
  // may have forgotten the duty and the chats: duty is put back as it was, and chats the
  // server no longer knows are shown as ended instead of waiting for messages forever.
  async function onSession(data) {
    const { reconnect, dutyLost, before } = chats.applySession(W, data);
    // "… is writing" shown before a reconnect is stale: the visitor's "stopped" (or
    // their connection's end) may have come while this console was away.
    if (reconnect) for (const peer of peers.values()) peer.clear();
    const live = new Set();
    for (const c of data.chats || []) {
      live.add(c.conversation.id);
      addChat(c.conversation, c.messages, "operator");
    }
    if (dutyLost) ctx.actions.restoreDuty(before.languages);
    const ack = await call("sync", {});
    if (ack.ok) {
      for (const c of ack.chats) {
        live.add(c.conversation.id);
        addChat(c.conversation, c.messages, c.observing ? "observer" : "invited");
      }
      if (reconnect && chats.markGone(W, live, Date.now())) render();
    }
    const triage = await call("triage_list", {});
    if (triage.ok) {
      chats.applyTriageList(W, triage.items, Date.now());
      for (const [id, marks] of Object.entries(triage.marks || {})) chats.applyMarks(W, id, marks);
      render();
    }
  }

  // --- drawing -------------------------------------------------------------------------
  function mount(main) {
    root = el("div", { class: "work" });
    main.append(root);
    render();
    // What the reminder needs, early (it draws without waiting). The directory is the
    // chat's centre's, fetched when a chat needs it (lib/directory.js).
    triageSchema().then(() => W.active && renderChat(ctx), () => {});
  }

  function render() {
    if (!ctx.root) return refreshBadges();
    clear(root).append(
      el("h1", { class: "visually-hidden", text: _("Chats") }),
      queueColumn(),
      el("section", { class: "chats-col", "aria-label": _("Your chats") }, el("div", { class: "tabs", role: "tablist", "aria-label": _("Open chats") }), el("div", { class: "chat-host" })),
    );
    renderAlertControls(ctx);
    renderQueue(ctx);
    renderToTriage(ctx);
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

  // Each centre has its own canned responses: the server picks the chat's centre.
  const cannedCache = new Map();
  async function loadCanned(locale, conv) {
    const key = `${conv && conv.centre ? conv.centre : ""}|${locale}`;
    if (!cannedCache.has(key)) {
      const params = conv && conv.id ? { locale, conversation_id: conv.id } : { locale };
      cannedCache.set(key, call("canned", params).then((ack) => (ack.ok ? ack.items : [])));
      setTimeout(() => cannedCache.delete(key), 60000);
    }
    return cannedCache.get(key);
  }

  // --- clock, visibility, shortcuts ----------------------------------------------------
  // Every second: waiting times, the countdowns of ended chats, and closing those that
  // are due (a duty-to-report reminder nobody has read holds its chat open).
  const tick = () => {
    const now = Date.now();
    document.querySelectorAll(".wait[data-since]").forEach((n) => {
      n.textContent = elapsed(Number(n.dataset.since));
    });
    document.querySelectorAll("[data-close-at]").forEach((n) => {
      n.textContent = countdownText(Number(n.dataset.closeAt), now);
    });
    const due = chats.dueToClose(W, now, (chat) => reportDutyOpen(chat, known.schema));
    for (const id of due) removeChat(id);
  };
  const clock = setInterval(tick, 1000);

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
  const offAudio = onAudioChange(() => renderAlertControls(ctx));
  const offDesktop = desktop.onChange(() => renderAlertControls(ctx));

  // On logout: forget every chat (nothing of a conversation outlives the session here).
  function destroy() {
    clearInterval(clock);
    offAudio();
    offDesktop();
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
    logLocal,
    duty: () => W.duty,
    toTriage: () => chats.toTriageCount(W),
    dutyControl: () => dutyControl(ctx),
    refreshBadges,
    destroy,
  };
}
