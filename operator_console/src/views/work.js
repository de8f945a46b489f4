// The operator's workplace: duty, the queue, and several chats in tabs.
import { clear, el, uniqueId } from "../lib/dom.js";
import { _, elapsed, fmt, languageName, timeOf } from "../lib/i18n.js";
import { ageLabel, audienceLabel, endReasonLabel, errorText, topicLabel } from "../lib/labels.js";
import { beep } from "../lib/sound.js";
import { confirmDialog, defaultEndDialog, inviteDialog, languagesDialog, transferDialog } from "./dialogs.js";

const BASE_TITLE = () => _("RC console");

export function createWork(socket, app) {
  const s = {
    duty: { on: false, languages: [] },
    queue: [],
    seenQueue: new Set(),
    chats: new Map(),
    order: [],
    active: null,
    root: null,
    typingTimer: null,
    typingSent: false,
    sessions: 0, // `session` events seen on this socket (more than one: reconnected)
  };

  const call = (event, payload) =>
    new Promise((resolve) => socket.timeout(10000).emit(event, payload, (err, ack) => resolve(err ? { ok: false, error: { code: "unavailable", message: _("No answer from the server. Check your connection.") } } : ack)));

  // --- state from the server ---------------------------------------------------------
  function addChat(conv, messages, role = "operator") {
    const existing = s.chats.get(conv.id);
    const chat = existing || { conv, messages: [], ids: new Set(), unread: 0, typing: false, ended: null, mode: "reply", draft: "", role, tools: [] };
    chat.conv = conv;
    chat.role = role;
    chat.ended = null;
    for (const m of messages || []) addMessage(chat, m, false);
    if (!existing) {
      s.chats.set(conv.id, chat);
      s.order.push(conv.id);
    }
    if (!s.active) s.active = conv.id;
    render();
    return chat;
  }

  function addMessage(chat, m, live = true) {
    if (chat.ids.has(m.id)) return false;
    chat.ids.add(m.id);
    chat.messages.push(m);
    const visible = s.active === chat.conv.id && !document.hidden && s.root && s.root.isConnected;
    if (live && m.from === "visitor") {
      if (!visible) chat.unread += 1;
      if (!visible || document.hidden) beep();
    }
    return true;
  }

  function removeChat(id) {
    const chat = s.chats.get(id);
    if (chat) chat.tools.forEach((u) => typeof u === "function" && u());
    s.chats.delete(id);
    s.order = s.order.filter((x) => x !== id);
    if (s.active === id) s.active = s.order[0] || null;
    render();
  }

  socket.on("queue", (data) => {
    const items = (data && data.items) || [];
    let fresh = false;
    let urgent = false;
    for (const item of items) {
      if (!s.seenQueue.has(item.id)) {
        s.seenQueue.add(item.id);
        fresh = true;
        urgent = urgent || item.urgent;
      }
    }
    s.queue = items;
    if (fresh && s.duty.on) beep(urgent);
    renderQueue();
    refreshBadges();
  });
  // Routing (auto mode) offers a chat to one operator at a time; it can be accepted or
  // let go (decline) and is withdrawn when its time runs out.
  socket.on("offer", (data) => {
    app.notify(fmt(_("A chat with {name} is offered to you."), { name: data.conversation.pseudonym }));
    beep(data.conversation.urgent);
    const i = s.queue.findIndex((q) => q.id === data.conversation.id);
    if (i >= 0) s.queue[i] = { ...s.queue[i], ...data.conversation };
    renderQueue();
  });
  socket.on("offer_withdrawn", () => renderQueue());
  socket.on("assigned", (data) => {
    addChat(data.conversation, data.messages, "operator");
    if (data.transferred_by) app.notify(fmt(_("{name} transferred a chat to you."), { name: data.transferred_by.name }));
    select(data.conversation.id);
  });
  socket.on("invited", (data) => {
    addChat(data.conversation, data.messages, "invited");
    app.notify(fmt(_("{name} invited you into a chat."), { name: data.by.name }));
    beep();
  });
  socket.on("message", (m) => {
    const chat = s.chats.get(m.conversation_id);
    if (!chat) return;
    if (addMessage(chat, m)) {
      if (m.from === "visitor") chat.typing = false;
      if (s.active === chat.conv.id) appendToLog(chat, m);
      renderTabs();
      refreshBadges();
    }
  });
  socket.on("typing", (d) => {
    const chat = s.chats.get(d.conversation_id);
    if (!chat) return;
    chat.typing = !!d.active;
    if (s.active === chat.conv.id) renderTyping(chat);
  });
  socket.on("conversation", (d) => {
    const chat = s.chats.get(d.conversation.id);
    if (!chat) return;
    chat.conv = { ...chat.conv, ...d.conversation };
    if (s.active === chat.conv.id) renderHeader(chat);
    renderTabs();
  });
  socket.on("ended", (d) => {
    const chat = s.chats.get(d.conversation_id);
    if (!chat) return;
    chat.ended = d.reason;
    chat.typing = false;
    render();
  });
  socket.on("released", (d) => {
    const chat = s.chats.get(d.conversation_id);
    if (chat && d.reason === "transferred") app.notify(fmt(_("The chat with {name} was transferred."), { name: chat.conv.pseudonym }));
    removeChat(d.conversation_id);
  });

  // `session` comes after every (re)connect. After a server or Redis restart the server
  // may have forgotten the duty and the chats: duty is put back as it was, and chats the
  // server no longer knows are shown as ended instead of waiting for messages forever.
  function onSession(data) {
    const reconnect = s.sessions > 0;
    s.sessions += 1;
    const before = s.duty;
    s.duty = data.duty || { on: false, languages: data.staff.languages || [] };
    s.queue = (data.queue && data.queue.items) || [];
    s.queue.forEach((q) => s.seenQueue.add(q.id));
    const live = new Set();
    for (const c of data.chats || []) {
      live.add(c.conversation.id);
      addChat(c.conversation, c.messages, "operator");
    }
    if (reconnect && before.on && !s.duty.on) restoreDuty(before.languages);
    call("sync", {}).then((ack) => {
      if (!ack || !ack.ok) return;
      for (const c of ack.chats) {
        live.add(c.conversation.id);
        addChat(c.conversation, c.messages, c.observing ? "observer" : "invited");
      }
      if (reconnect) markGone(live);
    });
  }

  async function restoreDuty(languages) {
    const ack = await call("duty", { on: true, languages: languages && languages.length ? languages : undefined });
    if (ack && ack.ok) s.duty = ack.duty;
    // Re-rendering rebuilds the toast region, so the notice comes after it.
    app.rerender();
    if (ack && ack.ok) app.notify(_("The connection was restored. You are on duty again."));
    else app.notify(_("The connection was restored, but you are off duty. Go on duty again to receive chats."));
  }

  function markGone(live) {
    let changed = false;
    for (const [id, chat] of s.chats) {
      if (live.has(id) || chat.ended) continue;
      chat.ended = "lost";
      chat.typing = false;
      changed = true;
    }
    if (changed) render();
  }

  // --- duty ------------------------------------------------------------------------------
  function dutyControl() {
    const toggle = el("button", { type: "button", class: s.duty.on ? "duty on" : "duty", "aria-pressed": s.duty.on ? "true" : "false", id: "duty-toggle" },
      el("span", { class: "dot", "aria-hidden": "true" }), s.duty.on ? _("On duty") : _("Off duty"));
    toggle.addEventListener("click", async () => {
      const ack = await call("duty", { on: !s.duty.on, languages: s.duty.languages.length ? s.duty.languages : undefined });
      if (!ack.ok) return app.notify(errorText(ack.error));
      s.duty = ack.duty;
      app.rerender();
    });
    const langs = el("button", { type: "button", class: "ghost small", title: _("Languages you chat in") },
      s.duty.languages.length ? s.duty.languages.map((c) => c.toUpperCase()).join(" · ") : _("Languages"));
    langs.setAttribute("aria-label", fmt(_("Languages you chat in: {list}"), { list: s.duty.languages.map(languageName).join(", ") }));
    langs.addEventListener("click", async () => {
      const chosen = await languagesDialog(s.duty.languages);
      if (!chosen) return;
      const ack = await call("duty", { on: s.duty.on, languages: chosen });
      if (!ack.ok) return app.notify(errorText(ack.error));
      s.duty = ack.duty;
      app.api("PATCH", "/api/me", { languages: chosen }).catch(() => {});
      app.rerender();
    });
    return el("div", { class: "duty-box" }, toggle, langs);
  }

  // --- rendering -------------------------------------------------------------------------
  function mount(main) {
    s.root = el("div", { class: "work" });
    main.append(s.root);
    render();
  }

  function render() {
    if (!s.root || !s.root.isConnected) return refreshBadges();
    clear(s.root).append(
      el("h1", { class: "visually-hidden", text: _("Chats") }),
      el("section", { class: "queue-col", "aria-labelledby": "queue-h" },
        el("h2", { id: "queue-h" }, _("Queue"), " ", el("span", { class: "count", id: "queue-count" })),
        el("p", { class: "hint", text: _("Alt+A accepts the first chat in the queue.") }),
        el("ol", { class: "queue", id: "queue-list" })),
      el("section", { class: "chats-col", "aria-label": _("Your chats") }, el("div", { class: "tabs", role: "tablist", "aria-label": _("Open chats") }), el("div", { class: "chat-host" })),
    );
    renderQueue();
    renderTabs();
    renderChat();
    refreshBadges();
  }

  function summaryMeta(c) {
    return [languageName(c.locale), audienceLabel(c.audience), topicLabel(c.topic), ageLabel(c.age_band)];
  }

  function renderQueue() {
    const list = s.root && s.root.querySelector("#queue-list");
    if (!list) return;
    s.root.querySelector("#queue-count").textContent = `(${s.queue.length})`;
    clear(list);
    if (!s.queue.length) {
      list.append(el("li", { class: "empty", text: s.duty.on ? _("Nobody is waiting.") : _("Go on duty to receive chats.") }));
      return;
    }
    s.queue.forEach((c, i) => {
      const accept = el("button", { type: "button", class: "primary small", "aria-label": fmt(_("Accept the chat with {name}"), { name: c.pseudonym }), text: _("Accept") });
      accept.addEventListener("click", () => acceptChat(c.id));
      const offeredToMe = c.offered_to && c.offered_to === app.state.staff.id;
      let decline = null;
      if (offeredToMe) {
        decline = el("button", { type: "button", class: "ghost small", "aria-label": fmt(_("Let the chat with {name} go to a colleague"), { name: c.pseudonym }), text: _("Let go") });
        decline.addEventListener("click", async () => {
          const ack = await call("decline", { conversation_id: c.id });
          if (!ack.ok) app.notify(errorText(ack.error));
        });
      }
      list.append(
        el("li", { class: `q-item${c.urgent ? " urgent" : ""}${offeredToMe ? " offered" : ""}` },
          el("div", { class: "q-top" },
            el("strong", { class: "pseudonym", text: c.pseudonym }),
            c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null,
            el("span", { class: "wait", "data-since": String(c.waiting_since), title: _("Waiting time"), text: elapsed(c.waiting_since) })),
          el("p", { class: "q-meta", text: summaryMeta(c).join(" · ") }),
          c.visitor_connected ? null : el("p", { class: "q-away", text: _("The visitor is away.") }),
          offeredToMe ? el("p", { class: "q-offer", text: _("Offered to you") }) : null,
          c.interpreter_needed ? el("p", { class: "q-meta", text: _("An interpreter may be needed.") }) : null,
          el("div", { class: "q-actions" }, accept, decline)));
    });
  }

  async function acceptChat(id) {
    const ack = await call("accept", { conversation_id: id });
    if (!ack.ok) app.notify(errorText(ack.error));
  }

  function renderTabs() {
    const tabs = s.root && s.root.querySelector(".tabs");
    if (!tabs) return refreshBadges();
    clear(tabs);
    s.order.forEach((id, i) => {
      const chat = s.chats.get(id);
      const selected = id === s.active;
      const tab = el("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-selected": selected ? "true" : "false", "aria-controls": "chat-panel", tabindex: selected ? "0" : "-1", class: chat.ended ? "tab ended" : "tab" },
        el("span", { class: "tab-name", text: chat.conv.pseudonym }),
        el("span", { class: "tab-lang", text: chat.conv.locale.toUpperCase() }),
        chat.conv.urgent ? el("span", { class: "tag danger tiny", text: "!" , "aria-label": _("Urgent") }) : null,
        chat.role === "observer" ? el("span", { class: "tag tiny", text: _("Observing") }) : null,
        chat.unread ? el("span", { class: "badge", text: String(chat.unread), "aria-label": fmt(_("{n} unread"), { n: chat.unread }) }) : null);
      tab.title = fmt(_("Alt+{n}"), { n: i + 1 });
      tab.addEventListener("click", () => select(id));
      tab.addEventListener("keydown", (e) => {
        const dir = document.documentElement.dir === "rtl" ? -1 : 1;
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          const step = (e.key === "ArrowRight" ? 1 : -1) * dir;
          const next = s.order[(i + step + s.order.length) % s.order.length];
          select(next);
          const t = document.getElementById(`tab-${next}`);
          if (t) t.focus();
        }
      });
      tabs.append(tab);
    });
    refreshBadges();
  }

  function select(id) {
    if (!s.chats.has(id)) return;
    s.active = id;
    s.chats.get(id).unread = 0;
    renderTabs();
    renderChat();
  }

  function renderChat() {
    const host = s.root && s.root.querySelector(".chat-host");
    if (!host) return;
    clear(host);
    const chat = s.chats.get(s.active);
    if (!chat) {
      host.append(el("div", { class: "empty-chat" }, el("p", { text: _("No open chats. Accept a chat from the queue.") })));
      return;
    }
    chat.unread = 0;
    const panel = el("div", { class: "chat", id: "chat-panel", role: "tabpanel", "aria-labelledby": `tab-${chat.conv.id}` },
      el("div", { class: "chat-head" }),
      el("div", { class: "chat-tools" }),
      el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": fmt(_("Messages with {name}"), { name: chat.conv.pseudonym }), tabindex: "0" }),
      el("p", { class: "typing", "aria-live": "polite" }),
      el("div", { class: "composer-host" }));
    host.append(panel);
    renderHeader(chat);
    renderTools(chat, panel.querySelector(".chat-tools"));
    const log = panel.querySelector(".log");
    chat.messages.forEach((m) => log.append(messageEl(chat, m)));
    log.scrollTop = log.scrollHeight;
    renderTyping(chat);
    renderComposer(chat, panel.querySelector(".composer-host"));
  }

  function renderTools(chat, host) {
    chat.tools.forEach((u) => typeof u === "function" && u());
    chat.tools = [];
    for (const tool of app.state.chatTools) {
      const box = el("details", { class: "tool" }, el("summary", { text: tool.label }));
      const body = el("div", { class: "tool-body" });
      box.append(body);
      host.append(box);
      try {
        chat.tools.push(tool.mount(body, chat.conv, { id: chat.conv.id, role: chat.role, ended: chat.ended }));
      } catch (e) {
        body.append(el("p", { class: "form-error", text: _("This tool could not be shown.") }));
      }
    }
  }

  function staffName(chat, id) {
    if (id === app.state.staff.id) return _("You");
    const c = chat.conv;
    if (c.operator && c.operator.id === id) return c.operator.name;
    const found = [...(c.invited || []), ...(c.observers || [])].find((p) => p.id === id);
    return found ? found.name : _("Colleague");
  }

  function messageEl(chat, m) {
    if (m.from === "system") {
      return el("div", { class: "msg system" }, el("span", { dir: "auto", text: m.text }), el("time", { text: timeOf(m.ts) }));
    }
    const who = m.from === "visitor" ? chat.conv.pseudonym : staffName(chat, m.staff_id);
    const cls = m.internal ? "msg note" : m.from === "visitor" ? "msg visitor" : "msg staff";
    return el("div", { class: cls },
      el("p", { class: "msg-meta" },
        el("span", { class: "who", dir: "auto", text: who }),
        m.internal ? el("span", { class: "tag note-tag", text: _("Internal note") }) : null,
        el("time", { text: timeOf(m.ts) })),
      el("p", { class: "msg-text", dir: "auto", lang: m.from === "visitor" ? chat.conv.locale : null, text: m.text }));
  }

  function appendToLog(chat, m) {
    const log = s.root && s.root.querySelector(".log");
    if (!log) return;
    const near = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.append(messageEl(chat, m));
    if (near || m.staff_id === app.state.staff.id) log.scrollTop = log.scrollHeight;
    renderTyping(chat);
  }

  function renderTyping(chat) {
    const p = s.root && s.root.querySelector(".typing");
    if (p) p.textContent = chat.typing && !chat.ended ? fmt(_("{name} is typing…"), { name: chat.conv.pseudonym }) : "";
  }

  function renderHeader(chat) {
    const head = s.root && s.root.querySelector(".chat-head");
    if (!head) return;
    const c = chat.conv;
    const actions = el("div", { class: "actions" });
    const act = (label, handler, cls = "ghost") => {
      const b = el("button", { type: "button", class: cls, text: label });
      b.addEventListener("click", handler);
      actions.append(b);
    };
    if (!chat.ended) {
      if (chat.role === "operator") {
        act(_("Transfer"), () => doTransfer(chat));
        act(_("Invite"), () => doInvite(chat));
        act(_("Block"), () => doBlock(chat), "ghost danger-text");
        act(_("End chat"), () => doEnd(chat), "danger");
      } else if (chat.role === "observer") {
        act(_("Join the chat"), () => doJoin(chat), "primary");
        act(_("Stop observing"), () => doLeave(chat));
      } else {
        act(_("Leave the chat"), () => doLeave(chat));
      }
    } else {
      act(_("Close"), () => removeChat(c.id), "primary");
    }
    const others = [
      c.operator ? fmt(_("Operator: {name}"), { name: c.operator.name }) : null,
      (c.invited || []).length ? fmt(_("Invited: {names}"), { names: c.invited.map((p) => p.name).join(", ") }) : null,
      (c.observers || []).length ? fmt(_("Observing: {names}"), { names: c.observers.map((p) => p.name).join(", ") }) : null,
    ].filter(Boolean);
    clear(head).append(
      el("div", { class: "who-block" },
        el("h2", {}, c.pseudonym, " ", c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null,
          el("span", { class: c.visitor_connected ? "presence on" : "presence", text: c.visitor_connected ? _("Connected") : _("Away") })),
        el("p", { class: "meta", text: summaryMeta(c).join(" · ") }),
        others.length ? el("p", { class: "meta participants", text: others.join(" · ") }) : null),
      actions,
    );
  }

  function renderComposer(chat, host) {
    clear(host);
    if (chat.ended) {
      host.append(el("p", { class: "ended-note", role: "status", text: endReasonLabel(chat.ended) }));
      return;
    }
    if (chat.role === "observer") {
      host.append(el("p", { class: "ended-note", text: _("You are observing silently. Join the chat to write.") }));
      return;
    }
    const name = uniqueId("mode");
    const radio = (value, label) => el("label", { class: "mode" }, el("input", { type: "radio", name, value, checked: chat.mode === value }), label);
    const text = el("textarea", { rows: "3", class: "input", value: chat.draft, "aria-label": chat.mode === "note" ? _("Internal note") : _("Reply to the visitor"), dir: "auto" });
    const error = el("p", { class: "form-error", role: "alert" });
    const send = el("button", { type: "submit", class: "primary", text: _("Send") });
    const canned = el("select", { "aria-label": _("Canned response") }, el("option", { value: "", text: _("Canned responses…") }));
    const insert = el("button", { type: "button", class: "ghost small", text: _("Insert") });
    loadCanned(chat.conv.locale).then((items) => {
      items.forEach((it) => canned.append(el("option", { value: it.id, text: it.title })));
      canned._items = items;
    });
    insert.addEventListener("click", () => {
      const item = (canned._items || []).find((it) => it.id === canned.value);
      if (!item) return;
      text.value = (text.value ? `${text.value} ` : "") + fmt(item.text, { name: app.state.staff.name });
      chat.draft = text.value;
      text.focus();
    });
    const form = el("form", { class: chat.mode === "note" ? "composer note-mode" : "composer" },
      el("div", { class: "composer-bar" },
        el("fieldset", { class: "modes" }, el("legend", { class: "visually-hidden", text: _("Message type") }), radio("reply", _("Reply to the visitor")), radio("note", _("Internal note"))),
        el("div", { class: "canned" }, canned, insert,
          el("span", { class: "canned-lang", text: fmt(_("in {language}"), { language: languageName(chat.conv.locale) }) }))),
      text,
      el("div", { class: "composer-foot" }, el("p", { class: "hint", text: chat.mode === "note" ? _("Only staff see internal notes.") : _("Enter sends, Shift+Enter makes a new line.") }), error, send));
    form.addEventListener("change", (e) => {
      if (e.target.name === name) {
        chat.mode = e.target.value;
        chat.draft = text.value;
        renderComposer(chat, host);
        host.querySelector("textarea").focus();
      }
    });
    text.addEventListener("input", () => {
      chat.draft = text.value;
      if (chat.mode === "reply" && chat.role === "operator") typing(chat, true);
    });
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      error.textContent = "";
      send.disabled = true;
      const event = chat.mode === "note" ? "note" : "message";
      const ack = await call(event, { conversation_id: chat.conv.id, client_id: `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, text: value });
      send.disabled = false;
      if (!ack.ok) {
        error.textContent = errorText(ack.error);
        return;
      }
      text.value = "";
      chat.draft = "";
      typing(chat, false);
      text.focus();
    });
    host.append(form);
  }

  function typing(chat, active) {
    clearTimeout(s.typingTimer);
    if (active) {
      if (!s.typingSent) call("typing", { conversation_id: chat.conv.id, active: true });
      s.typingSent = true;
      s.typingTimer = setTimeout(() => typing(chat, false), 3000);
    } else if (s.typingSent) {
      s.typingSent = false;
      if (!chat.ended) call("typing", { conversation_id: chat.conv.id, active: false });
    }
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

  // --- actions ---------------------------------------------------------------------------
  async function colleagues() {
    const ack = await call("colleagues", {});
    return ack.ok ? ack.items : [];
  }

  async function doTransfer(chat) {
    const choice = await transferDialog(await colleagues());
    if (!choice) return;
    const ack = await call("transfer", { conversation_id: chat.conv.id, to: choice.to, note: choice.note });
    if (!ack.ok) return app.notify(errorText(ack.error));
    app.notify(choice.to === "queue" ? _("The chat is back in the queue.") : _("The chat was transferred."));
    removeChat(chat.conv.id);
  }

  async function doInvite(chat) {
    const list = await colleagues();
    if (!list.length) return app.notify(_("There is no colleague to invite."));
    const to = await inviteDialog(list);
    if (!to) return;
    const ack = await call("invite", { conversation_id: chat.conv.id, to });
    if (!ack.ok) return app.notify(errorText(ack.error));
    chat.conv = { ...chat.conv, ...ack.conversation };
    renderHeader(chat);
  }

  async function doBlock(chat) {
    const yes = await confirmDialog(_("Block the visitor"), _("Blocking ends the chat at once and stops new chats from the same connection for some hours. Use it only for abuse."), _("Block and end"), true);
    if (!yes) return;
    const ack = await call("block", { conversation_id: chat.conv.id });
    if (!ack.ok) return app.notify(errorText(ack.error));
    app.notify(ack.blocked ? _("The visitor was blocked.") : _("The chat was ended, but the visitor's connection was already gone."));
  }

  async function doEnd(chat) {
    const dialog = app.state.endDialog || defaultEndDialog;
    let triage;
    try {
      triage = await dialog(chat.conv);
    } catch (e) {
      triage = null;
    }
    if (!triage) return;
    const payload = { conversation_id: chat.conv.id };
    if (Object.keys(triage).length) payload.triage = triage;
    const ack = await call("end", payload);
    if (!ack.ok) return app.notify(errorText(ack.error));
    // Set by the triage rules (social services act, 14 ch. 1 §): a child and signs of harm.
    if (ack.report_duty) app.notify(_("Remember your duty to report: the visitor is under 18 and there are signs of harm. Report to social services."));
  }

  async function doJoin(chat) {
    const ack = await call("join", { conversation_id: chat.conv.id });
    if (!ack.ok) return app.notify(errorText(ack.error));
    chat.role = "invited";
    chat.conv = { ...chat.conv, ...ack.conversation };
    render();
  }

  async function doLeave(chat) {
    const ack = await call("leave", { conversation_id: chat.conv.id });
    if (!ack.ok) return app.notify(errorText(ack.error));
    removeChat(chat.conv.id);
  }

  // --- badges, title, clock, shortcuts ------------------------------------------------------
  function refreshBadges() {
    let unread = 0;
    s.chats.forEach((c) => (unread += c.unread));
    const badge = document.getElementById("work-badge");
    if (badge) {
      badge.hidden = !unread;
      badge.textContent = String(unread);
    }
    const base = document.title.replace(/^\(\d+\) /, "") || BASE_TITLE();
    document.title = unread ? `(${unread}) ${base}` : base;
  }

  const clock = setInterval(() => {
    document.querySelectorAll(".wait[data-since]").forEach((n) => {
      n.textContent = elapsed(Number(n.dataset.since));
    });
  }, 1000);

  const onVisible = () => {
    if (!document.hidden && s.active && s.chats.has(s.active) && s.root && s.root.isConnected) {
      s.chats.get(s.active).unread = 0;
      renderTabs();
    }
  };

  const onKey = (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || !s.root || !s.root.isConnected) return;
    if (e.code === "KeyA") {
      e.preventDefault();
      if (s.queue.length) acceptChat(s.queue[0].id);
    } else if (/^Digit[1-9]$/.test(e.code)) {
      const id = s.order[Number(e.code.slice(5)) - 1];
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
    clearTimeout(s.typingTimer);
    document.removeEventListener("visibilitychange", onVisible);
    document.removeEventListener("keydown", onKey);
    s.chats.forEach((c) => c.tools.forEach((u) => typeof u === "function" && u()));
    s.chats.clear();
    s.queue = [];
  }

  return { mount, onSession, addChat, select, dutyControl, refreshBadges, destroy };
}

