// Supervision: what needs attention first (urgent chats nobody has taken, alerts,
// visitors who left the page), the staff on duty with their load and languages, and
// every live chat, the most pressing first; silent observation. The order and the
// counts are state/supervision.js; urgent alerts reach supervisors anywhere in the
// console (installAlerts) and are listed here while their chat waits.
import { clear, el } from "../../../frontend_lib/dom.js";
import { _, fmt, languageLabel } from "../../../frontend_lib/i18n.js";
import { ageLabel, audienceLabel, errorText, roleLabel, topicLabel } from "../lib/labels.js";
import { elapsed } from "../lib/locale.js";
import { confirmDialog } from "./dialogs.js";
import { attention, counts, orderChats, staffOnDuty } from "../state/supervision.js";

const received = []; // `alert` events of this session (urgent chats that waited too long)
const REFRESH_MS = 5000;

function waitCell(since) {
  return el("span", { class: "wait", dir: "ltr", "data-since": String(since), text: elapsed(since) });
}

export function supervisorView(main, ctx) {
  const socket = ctx.state.socket;
  const status = el("p", { class: "hint", role: "status" });
  const attentionBox = el("section", { class: "card attention", "aria-labelledby": "att-h" });
  const staffBody = el("tbody");
  const chatBody = el("tbody");
  main.append(
    el(
      "div",
      { class: "page supervision" },
      el("div", { class: "page-head" }, el("h1", { text: _("Supervision") }), status),
      attentionBox,
      el(
        "section",
        { "aria-labelledby": "staff-h" },
        el("h2", { id: "staff-h", text: _("Staff on duty") }),
        el(
          "div",
          // Focusable: it scrolls sideways on a phone (keyboard users can scroll it).
          { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "staff-h" },
          el(
            "table",
            { class: "grid", "aria-labelledby": "staff-h" },
            el("thead", {}, el("tr", {}, [_("Name"), _("Role"), _("Languages"), _("Active chats")].map((h) => el("th", { scope: "col", text: h })))),
            staffBody,
          ),
        ),
      ),
      el(
        "section",
        { "aria-labelledby": "chats-h" },
        el("h2", { id: "chats-h", text: _("Live chats") }),
        el("p", { class: "hint", text: _("Urgent and longest-waiting chats first.") }),
        el(
          "div",
          { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "chats-h" },
          el(
            "table",
            { class: "grid", "aria-labelledby": "chats-h" },
            el("thead", {}, el("tr", {}, [_("Visitor"), _("State"), _("Time"), _("Language"), _("About"), _("Operator"), _("Others"), _("Actions")].map((h) => el("th", { scope: "col", text: h })))),
            chatBody,
          ),
        ),
      ),
    ),
  );

  function chatRow(c) {
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
    return el(
      "tr",
      { class: c.urgent ? "urgent" : null },
      el(
        "td",
        {},
        el("strong", { dir: "auto", text: c.pseudonym }),
        c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null,
        c.visitor_connected === false ? el("span", { class: "tag away-tag", text: _("Visitor away") }) : null,
      ),
      el("td", { text: c.state === "waiting" ? _("Waiting") : _("Active") }),
      el("td", {}, waitCell(c.waiting_since)),
      el("td", { text: languageLabel(c.locale) }),
      el("td", { text: [audienceLabel(c.audience), topicLabel(c.topic), ageLabel(c.age_band)].join(" · ") }),
      el("td", { dir: "auto", text: c.operator ? c.operator.name : "–" }),
      el("td", { dir: "auto", text: others.join(", ") || "–" }),
      el("td", {}, observe, remove),
    );
  }

  function staffRow(s) {
    return el(
      "tr",
      {},
      el("td", {}, el("span", { dir: "auto", text: s.name }), s.me ? el("span", { class: "tag tiny", text: _("You") }) : null),
      el("td", { text: roleLabel(s.role) }),
      el("td", { text: s.languages.map(languageLabel).join(", ") || "–" }),
      el("td", {}, el("span", { class: s.load ? "load" : "load none", text: String(s.load) }), s.chats.length ? el("span", { class: "hint", dir: "auto", text: ` (${s.chats.join(", ")})` }) : null),
    );
  }

  // One whole sentence each (the list is drawn again every few seconds); the waiting
  // time is isolated left to right, the pseudonym in its own direction.
  function attentionItem(a) {
    const wait = `\u2066${elapsed(a.since)}\u2069`;
    const name = `\u2068${a.pseudonym}\u2069`;
    if (a.kind === "alert") return el("li", { class: "att alert", text: fmt(_("Urgent chat {name} has waited too long: {time}"), { name, time: wait }) });
    if (a.kind === "urgent_waiting") return el("li", { class: "att urgent", text: fmt(_("Urgent chat {name} is waiting: {time}"), { name, time: wait }) });
    return el("li", { class: "att away", text: fmt(_("The visitor of {name} has left the page."), { name }) });
  }

  async function refresh() {
    const [ack, colleagues] = await Promise.all([ctx.call("overview", {}), ctx.call("colleagues", {})]);
    if (!ack.ok) {
      status.textContent = _("Could not load the live chats.");
      return;
    }
    const items = orderChats(ack.items);
    clear(chatBody);
    if (!items.length) chatBody.append(el("tr", {}, el("td", { colspan: "8", class: "empty", text: _("No live chats right now.") })));
    items.forEach((c) => chatBody.append(chatRow(c)));
    const me = ctx.state.staff;
    const duty = ctx.duty ? ctx.duty() : { on: false, languages: [] };
    const staff = staffOnDuty(colleagues.ok ? colleagues.items : [], ack.items, { id: me.id, name: me.name, role: me.role, languages: duty.languages, on: duty.on });
    clear(staffBody);
    if (!staff.length) staffBody.append(el("tr", {}, el("td", { colspan: "4", class: "empty", text: _("Nobody is on duty right now.") })));
    staff.forEach((s) => staffBody.append(staffRow(s)));
    const att = attention(ack.items, received);
    clear(attentionBox).append(el("h2", { id: "att-h", text: _("Needs attention") }));
    if (!att.length) attentionBox.append(el("p", { class: "empty", text: _("Nothing needs attention right now.") }));
    else attentionBox.append(el("ul", { class: "attention-list" }, att.map(attentionItem)));
    const n = counts(ack.items);
    status.textContent = fmt(_("Waiting: {waiting} (urgent: {urgent}) · Active: {active} · Visitors away: {away}"), n);
  }
  refresh();
  const onQueue = () => refresh();
  socket.on("queue", onQueue);
  socket.on("alert", onQueue);
  const timer = setInterval(refresh, REFRESH_MS);
  return () => {
    clearInterval(timer);
    socket.off("queue", onQueue);
    socket.off("alert", onQueue);
  };
}

// Remove waiting chats a supervisor judges fake (a flood): each ends and its network is
// blocked for a while (`remove_waiting`, docs/protocol.md). Asks first.
function removeButton(ctx, chats, text, label) {
  const b = el("button", { type: "button", class: "ghost small", text, "aria-label": label || null });
  b.addEventListener("click", async () => {
    const sure = await confirmDialog(_("Remove"), _("Remove and block? Do this only for chats you are sure are fake: a real visitor is told the chat has ended."), _("Remove"), true);
    if (!sure) return;
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
    if (!d) return;
    const close = el("button", { type: "button", class: "ghost small", text: _("Dismiss") });
    let item;
    if (d.kind === "start_burst" && Array.isArray(d.conversations)) {
      if (!region) return;
      const text = d.scope === "network"
        ? fmt(_("New chats from one network within a minute: {count}. Remove the waiting ones if they look fake."), { count: d.count })
        : fmt(_("New chats within a minute: {count}. Remove the waiting ones if they look fake."), { count: d.count });
      const remove = d.conversations.length ? removeButton({ call, notify }, d.conversations, fmt(_("Remove these chats ({n})"), { n: d.conversations.length })) : null;
      item = el("div", { class: "alert-item" }, el("p", { text }), remove, close);
    } else if (d.conversation) {
      received.unshift(d);
      received.splice(20);
      if (!region) return;
      const c = d.conversation;
      item = el(
        "div",
        { class: "alert-item" },
        el("p", { text: fmt(_("Urgent chat {name} has waited {time} ({language})."), { name: c.pseudonym, time: elapsed(Date.now() - d.waited_s * 1000), language: languageLabel(c.locale) }) }),
        close,
      );
    } else return;
    close.addEventListener("click", () => item.remove());
    region.append(item);
    beep(true);
  });
}
