// Supervision: the queue and every live chat, silent observation, urgent alerts.
import { clear, el } from "../../../frontend_lib/dom.js";
import { _, fmt, languageName } from "../../../frontend_lib/i18n.js";
import { elapsed } from "../lib/locale.js";
import { ageLabel, audienceLabel, errorText, topicLabel } from "../lib/labels.js";

export function supervisorView(main, ctx) {
  const socket = ctx.state.socket;
  const body = el("tbody");
  const status = el("p", { class: "hint", role: "status" });
  main.append(
    el("div", { class: "page" },
      el("div", { class: "page-head" }, el("h1", { text: _("Supervision") }), status),
      el("p", { class: "hint", text: fmt(_("You are alerted when an urgent chat waits longer than the configured time."), {}) }),
      el("div", { class: "table-wrap" },
        el("table", { class: "grid" },
          el("caption", { class: "visually-hidden", text: _("Live chats") }),
          el("thead", {}, el("tr", {}, [_("Visitor"), _("State"), _("Time"), _("Language"), _("About"), _("Operator"), _("Others"), _("Actions")].map((h) => el("th", { scope: "col", text: h })))),
          body))));

  function row(c) {
    const observe = el("button", { type: "button", class: "ghost small", text: _("Observe"), "aria-label": fmt(_("Observe the chat with {name}"), { name: c.pseudonym }) });
    const mine = [c.operator && c.operator.id, ...(c.invited || []).map((p) => p.id), ...(c.observers || []).map((p) => p.id)].includes(ctx.state.staff.id);
    observe.disabled = c.state !== "active" || mine;
    observe.addEventListener("click", async () => {
      const ack = await ctx.call("observe", { conversation_id: c.id });
      if (!ack.ok) return ctx.notify(errorText(ack.error));
      ctx.openObserved(ack);
    });
    const remove = c.state === "waiting" ? removeButton(ctx, [c], _("Remove"), fmt(_("Remove the waiting chat {name}"), { name: c.pseudonym })) : null;
    const others = [...(c.invited || []).map((p) => p.name), ...(c.observers || []).map((p) => fmt(_("{name} (observing)"), { name: p.name }))];
    return el("tr", { class: c.urgent ? "urgent" : null },
      el("td", {}, el("strong", { text: c.pseudonym }), c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null),
      el("td", { text: c.state === "waiting" ? _("Waiting") : _("Active") }),
      el("td", {}, el("span", { class: "wait", "data-since": String(c.waiting_since), text: elapsed(c.waiting_since) })),
      el("td", { text: languageName(c.locale) }),
      el("td", { text: [audienceLabel(c.audience), topicLabel(c.topic), ageLabel(c.age_band)].join(" · ") }),
      el("td", { dir: "auto", text: c.operator ? c.operator.name : "–" }),
      el("td", { dir: "auto", text: others.join(", ") || "–" }),
      el("td", {}, observe, remove));
  }

  async function refresh() {
    const ack = await ctx.call("overview", {});
    if (!ack.ok) {
      status.textContent = _("Could not load the live chats.");
      return;
    }
    clear(body);
    if (!ack.items.length) body.append(el("tr", {}, el("td", { colspan: "8", class: "empty", text: _("No live chats right now.") })));
    ack.items.forEach((c) => body.append(row(c)));
    const waiting = ack.items.filter((c) => c.state === "waiting").length;
    status.textContent = fmt(_("{waiting} waiting, {active} active"), { waiting, active: ack.items.length - waiting });
  }
  refresh();
  const onQueue = () => refresh();
  socket.on("queue", onQueue);
  const timer = setInterval(refresh, 5000);
  return () => {
    clearInterval(timer);
    socket.off("queue", onQueue);
  };
}

// Remove waiting chats a supervisor judges fake (a flood): each ends and its network is
// blocked for a while (`remove_waiting`, docs/protocol.md). Asks first.
function removeButton(ctx, chats, text, label) {
  const b = el("button", { type: "button", class: "ghost small", text, "aria-label": label || null });
  b.addEventListener("click", async () => {
    if (!window.confirm(_("Remove and block? Do this only for chats you are sure are fake: a real visitor is told the chat has ended."))) return;
    const ack = await ctx.call("remove_waiting", { conversation_ids: chats.map((c) => c.id) });
    if (ack.ok) b.disabled = true;
    ctx.notify(ack.ok ? fmt(_("Chats removed: {n}."), { n: ack.removed }) : errorText(ack.error));
  });
  return b;
}

// Alerts reach supervisors wherever they are in the console: an urgent chat that waits
// too long, and a burst of new chats (`start_burst`: maybe a flood, maybe a school class).
export function installAlerts(socket, beep, call, notify) {
  socket.on("alert", (d) => {
    const region = document.getElementById("alerts");
    if (!region || !d) return;
    const close = el("button", { type: "button", class: "ghost small", text: _("Dismiss") });
    let item;
    if (d.kind === "start_burst" && Array.isArray(d.conversations)) {
      const text = d.scope === "network"
        ? fmt(_("New chats from one network within a minute: {count}. Remove the waiting ones if they look fake."), { count: d.count })
        : fmt(_("New chats within a minute: {count}. Remove the waiting ones if they look fake."), { count: d.count });
      const remove = d.conversations.length ? removeButton({ call, notify }, d.conversations, fmt(_("Remove these chats ({n})"), { n: d.conversations.length })) : null;
      item = el("div", { class: "alert-item" }, el("p", { text }), remove, close);
    } else if (d.conversation) {
      const c = d.conversation;
      item = el("div", { class: "alert-item" },
        el("p", { text: fmt(_("Urgent chat {name} has waited {time} ({language})."), { name: c.pseudonym, time: elapsed(Date.now() - d.waited_s * 1000), language: languageName(c.locale) }) }),
        close);
    } else return;
    close.addEventListener("click", () => item.remove());
    region.append(item);
    beep(true);
  });
}
