// The queue column: chats waiting, with Accept (and Let go for a chat offered to me).
import { clear, el } from "../../../../frontend_lib/dom.js";
import { _, fmt, languageLabel } from "../../../../frontend_lib/i18n.js";
import { ageLabel, audienceLabel, endReasonLabel, topicLabel } from "../../lib/labels.js";
import { elapsed } from "../../lib/locale.js";
import { needsInterpreter } from "../../state/chats.js";

// "Svenska · About themselves · Marriage · 16–17 years", and for a visitor who came
// from another centre (overflow) that centre: their referral cards name its services.
export function summaryMeta(c) {
  const meta = [languageLabel(c.locale), audienceLabel(c.audience), topicLabel(c.topic), ageLabel(c.age_band)];
  if (c.home_centre && c.centre && c.home_centre !== c.centre) meta.push(fmt(_("From the resource centre: {centre}"), { centre: c.home_centre }));
  return meta;
}

export function queueColumn() {
  return el(
    "div",
    { class: "queue-col" },
    el("div", { class: "alert-controls", id: "alert-controls" }),
    el(
      "section",
      { "aria-labelledby": "queue-h" },
      el("h2", { id: "queue-h" }, _("Queue"), " ", el("span", { class: "count", id: "queue-count" })),
      el("p", { class: "hint", text: _("Alt+A accepts the first chat in the queue.") }),
      el("ol", { class: "queue", id: "queue-list" }),
    ),
    el("section", { class: "to-triage", id: "to-triage", "aria-labelledby": "to-triage-h", hidden: true }),
  );
}

// Ended chats waiting for this operator's triage: each opens its tab.
export function renderToTriage(ctx) {
  const box = ctx.root && ctx.root.querySelector("#to-triage");
  if (!box) return;
  const items = ctx.W.order.map((id) => ctx.W.chats.get(id)).filter((c) => c && c.toTriage);
  box.hidden = !items.length;
  clear(box);
  if (!items.length) return;
  box.append(
    el("h2", { id: "to-triage-h" }, _("To triage"), " ", el("span", { class: "count", text: `(${items.length})` })),
    el("p", { class: "hint", text: _("Chats that ended without a triage. Save it or skip it with a reason.") }),
    el(
      "ul",
      { class: "triage-list" },
      items.map((chat) => {
        const b = el(
          "button",
          { type: "button", class: "ghost triage-item" },
          el("strong", { dir: "auto", text: chat.conv.pseudonym }),
          el("span", { class: "hint", text: `${languageLabel(chat.conv.locale)} · ${endReasonLabel(chat.ended)}` }),
        );
        b.addEventListener("click", () => ctx.select(chat.conv.id));
        return el("li", {}, b);
      }),
    ),
  );
}

export function renderQueue(ctx) {
  const root = ctx.root;
  const list = root && root.querySelector("#queue-list");
  if (!list) return;
  const { W } = ctx;
  root.querySelector("#queue-count").textContent = `(${W.queue.length})`;
  clear(list);
  if (!W.queue.length) {
    list.append(el("li", { class: "empty", text: W.duty.on ? _("Nobody is waiting.") : _("Go on duty to receive chats.") }));
    return;
  }
  for (const c of W.queue) {
    const accept = el("button", { type: "button", class: "primary small", "aria-label": fmt(_("Accept the chat with {name}"), { name: c.pseudonym }), text: _("Accept") });
    accept.addEventListener("click", () => ctx.actions.accept(c.id));
    const offeredToMe = c.offered_to && c.offered_to === ctx.me();
    let decline = null;
    if (offeredToMe) {
      // Named by its visible text (WCAG 2.5.3), described by the visitor's pseudonym.
      decline = el("button", { type: "button", class: "ghost small", "aria-describedby": `q-name-${c.id}`, text: _("Let go") });
      decline.addEventListener("click", () => ctx.actions.decline(c.id));
    }
    list.append(
      el(
        "li",
        { class: `q-item${c.urgent ? " urgent" : ""}${offeredToMe ? " offered" : ""}` },
        el(
          "div",
          { class: "q-top" },
          el("strong", { class: "pseudonym", id: `q-name-${c.id}`, text: c.pseudonym }),
          c.urgent ? el("span", { class: "tag danger", text: _("Urgent") }) : null,
          el("span", { class: "wait", dir: "ltr", "data-since": String(c.waiting_since), title: _("Waiting time"), text: elapsed(c.waiting_since) }),
        ),
        el("p", { class: "q-meta", text: summaryMeta(c).join(" · ") }),
        c.visitor_connected ? null : el("p", { class: "q-away", text: _("The visitor is away.") }),
        offeredToMe ? el("p", { class: "q-offer", text: _("Offered to you") }) : null,
        needsInterpreter(c, W.duty.languages) ? el("p", { class: "q-meta" }, el("span", { class: "tag interpreter-tag", text: _("Interpreter needed") })) : null,
        el("div", { class: "q-actions" }, accept, decline),
      ),
    );
  }
}
