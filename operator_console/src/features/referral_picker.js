// Referral function (slussfunktion) in a chat: pick receivers from the directory and
// send the visitor cards in their language. The picker groups receivers by type and
// area (state/referrals.js), narrows them to the visitor's municipality when it is
// known (a mark of the chat, shared with colleagues and the duty-to-report reminder),
// and what was sent shows in the chat's log (the record the server keeps: the same
// cards, in the staff member's language). Receivers marked `verify` have not been
// checked yet: "verify before use".
import { chatDirectory } from "../lib/directory.js";
import { groupReceivers, municipalities } from "../state/referrals.js";
import { call, nextId } from "./rc_common.js";

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
      const groupsBox = el("div", { class: "referral-groups" });
      const searchId = nextId("ref-search");
      const search = el("input", { id: searchId, type: "search", autocomplete: "off" });
      const muniId = nextId("ref-muni");
      const muni = el("select", { id: muniId }, el("option", { value: "", text: _("Not known") }));
      const allId = nextId("ref-all");
      const all = el("input", { type: "checkbox", id: allId });
      const allBox = el("label", { class: "check", for: allId, hidden: true }, all, el("span", { text: _("Show every area") }));
      const chosen = new Set();
      const count = el("span", { class: "hint", "aria-live": "polite" });
      let data = { receivers: [], types: [] };
      let municipality = (chat.marks && chat.marks.municipality) || "";

      const updateCount = () => {
        count.textContent = chosen.size ? fmt(_("Chosen: {n}"), { n: chosen.size }) : "";
      };
      const render = () => {
        allBox.hidden = !municipality;
        const groups = groupReceivers(data.receivers, data.types, { municipality: municipality || null, all: all.checked, query: search.value });
        groupsBox.replaceChildren();
        if (!groups.length) groupsBox.append(el("p", { class: "empty", text: _("No receiver matches.") }));
        for (const g of groups) {
          const box = el("fieldset", { class: "referral-type" }, el("legend", { text: g.label }));
          for (const area of g.areas) {
            box.append(el("h3", { class: "referral-area", text: area.kind === "national" ? _("National") : area.name }));
            for (const r of area.receivers) {
              const id = nextId("ref");
              const input = el("input", { type: "checkbox", id, checked: chosen.has(r.id) });
              input.addEventListener("change", () => {
                if (input.checked) chosen.add(r.id);
                else chosen.delete(r.id);
                updateCount();
              });
              box.append(
                el(
                  "div",
                  { class: "referral-item" },
                  el("label", { class: "check", for: id }, input, el("span", { dir: "auto", text: r.name })),
                  r.verify ? el("span", { class: "tag tiny warn", text: _("Verify before use") }) : null,
                  el("p", { class: "hint", dir: "ltr", text: r.channels.map(channelText).join(" · ") }),
                  r.notes ? el("p", { class: "hint", dir: "auto", text: r.notes }) : null,
                ),
              );
            }
          }
          groupsBox.append(box);
        }
      };
      search.addEventListener("input", render);
      all.addEventListener("change", render);
      muni.addEventListener("change", async () => {
        municipality = muni.value;
        render();
        const ack = await call(api, "triage_marks", { conversation_id: conversation.id, municipality });
        if (!ack.ok) status.textContent = ack.error.message;
      });

      const send = el("button", { type: "button", class: "primary", text: _("Send referral cards") });
      send.addEventListener("click", async () => {
        if (!chosen.size) {
          status.textContent = _("Choose at least one receiver.");
          return;
        }
        const picked = data.receivers.filter((r) => chosen.has(r.id));
        if (picked.some((r) => r.verify) && !window.confirm(_("Some chosen receivers have not been verified. Have you checked their contact details?"))) return;
        send.disabled = true;
        const ack = await call(api, "referral", { conversation_id: conversation.id, targets: [...chosen] });
        send.disabled = false;
        if (!ack.ok) {
          status.textContent = ack.error.message;
          return;
        }
        // The chat's log shows the cards as sent (the server's record of them).
        status.textContent = fmt(_("{n} referral cards sent."), { n: ack.cards.length });
        chosen.clear();
        updateCount();
        render();
      });

      host.append(
        el("div", { class: "field" }, el("label", { for: muniId, text: _("The visitor's municipality") }), muni),
        allBox,
        el("div", { class: "field" }, el("label", { for: searchId, text: _("Search by name or municipality") }), search),
        groupsBox,
        el("div", { class: "actions sticky-actions" }, send, count),
        status,
      );
      // A visitor who came from another centre (overflow) is referred to services near
      // them: the chat's own directory, their home centre's (lib/directory.js).
      const load = chatDirectory(conversation, (event, payload) => call(api, event, payload));
      load
        .then((d) => {
          data = d;
          for (const m of municipalities(d.receivers)) muni.append(el("option", { value: m.code, text: m.name, selected: m.code === municipality }));
          render();
        })
        .catch(() => {
          status.textContent = _("The referral directory could not be loaded.");
        });
      return () => {};
    },
  });
}
