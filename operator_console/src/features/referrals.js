// Referral function (slussfunktion): pick receivers in a chat and send the visitor
// cards in their language; coordinators edit the directory. Receivers marked `verify`
// have not been checked yet: "verify before use".
import { call, nextId } from "./rc_common.js";

let cache = null;
async function directory(api, fresh = false) {
  if (!cache || fresh) cache = await api.api("GET", "/api/referrals");
  return cache;
}

function channelText(ch) {
  return ch.note ? `${ch.value} (${ch.note})` : ch.value;
}

export function install(api) {
  const { _, el, fmt } = api;

  api.addChatTool({
    id: "referral",
    label: () => _("Referrals"),
    mount(host, conversation, chat) {
      if (chat.role !== "operator" || chat.ended) {
        host.append(el("p", { class: "hint", text: _("Only the operator of the chat can send referrals.") }));
        return () => {};
      }
      const status = el("p", { class: "hint", role: "status" });
      const list = el("div", { class: "referral-list" });
      const searchId = nextId("ref-search");
      const search = el("input", { id: searchId, type: "search", autocomplete: "off" });
      const chosen = new Set();
      let receivers = [];

      const render = () => {
        list.replaceChildren();
        const q = search.value.trim().toLowerCase();
        const shown = receivers.filter((r) => !q || `${r.name} ${r.area.name || ""}`.toLowerCase().includes(q));
        if (!shown.length) list.append(el("p", { class: "empty", text: _("No receiver matches.") }));
        for (const r of shown) {
          const id = nextId("ref");
          const box = el("input", { type: "checkbox", id, checked: chosen.has(r.id) });
          box.addEventListener("change", () => (box.checked ? chosen.add(r.id) : chosen.delete(r.id)));
          list.append(el("div", { class: "referral-item" },
            el("label", { class: "check", for: id }, box, el("span", { text: r.name })),
            r.verify ? el("span", { class: "tag danger tiny", text: _("Verify before use") }) : null,
            el("p", { class: "hint", text: r.channels.map(channelText).join(" · ") }),
            r.notes ? el("p", { class: "hint", dir: "auto", text: r.notes }) : null));
        }
      };
      search.addEventListener("input", render);

      const send = el("button", { type: "button", class: "primary", text: _("Send to the visitor") });
      send.addEventListener("click", async () => {
        if (!chosen.size) {
          status.textContent = _("Choose at least one receiver.");
          return;
        }
        const unverified = receivers.filter((r) => chosen.has(r.id) && r.verify);
        if (unverified.length && !window.confirm(_("Some chosen receivers have not been verified. Have you checked their contact details?"))) return;
        const ack = await call(api, "referral", { conversation_id: conversation.id, targets: [...chosen] });
        if (!ack.ok) {
          status.textContent = ack.error.message;
          return;
        }
        status.textContent = fmt(_("{n} referral cards sent."), { n: ack.cards.length });
        chosen.clear();
        render();
      });

      host.append(
        el("div", { class: "field" }, el("label", { for: searchId, text: _("Search by name or municipality") }), search),
        list, el("div", { class: "actions" }, send), status);
      directory(api).then((d) => {
        receivers = d.receivers;
        render();
      }).catch(() => {
        status.textContent = _("The referral directory could not be loaded.");
      });
      return () => {};
    },
  });
}
