// The open chats as tabs: name, language, urgent, observing, unread count; arrow keys
// move between tabs (mirrored in right-to-left), Alt+1…9 is handled in index.js.
import { clear, el } from "../../../../frontend_lib/dom.js";
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { neighbour } from "../../state/chats.js";

export function renderTabs(ctx) {
  const tabs = ctx.root && ctx.root.querySelector(".tabs");
  if (!tabs) return;
  const { W } = ctx;
  clear(tabs);
  W.order.forEach((id, i) => {
    const chat = W.chats.get(id);
    const selected = id === W.active;
    const tab = el(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${id}`,
        "aria-selected": selected ? "true" : "false",
        "aria-controls": "chat-panel",
        tabindex: selected ? "0" : "-1",
        class: chat.toTriage ? "tab to-triage" : chat.ended ? "tab ended" : "tab",
      },
      el("span", { class: "tab-name", text: chat.conv.pseudonym }),
      el("span", { class: "tab-lang", text: chat.conv.locale.toUpperCase() }),
      chat.conv.urgent ? el("span", { class: "tag danger tiny", text: "!", "aria-label": _("Urgent") }) : null,
      !chat.ended && chat.conv.interpreter_needed ? el("span", { class: "tag tiny interpreter-tag", text: _("Interpreter needed") }) : null,
      chat.role === "observer" ? el("span", { class: "tag tiny", text: _("Observing") }) : null,
      chat.toTriage ? el("span", { class: "tag tiny triage-tag", text: _("To triage") }) : null,
      !chat.ended && chat.conv.visitor_connected === false ? el("span", { class: "tag tiny away-tag", text: _("Away") }) : null,
      chat.unread ? el("span", { class: "badge", text: String(chat.unread), "aria-label": fmt(_("{n} unread"), { n: chat.unread }) }) : null,
      chat.attention ? el("span", { class: "tag attention tiny", text: _("Notice") }) : null,
    );
    tab.title = fmt(_("Alt+{n}"), { n: i + 1 });
    tab.addEventListener("click", () => ctx.select(id));
    tab.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const dir = document.documentElement.dir === "rtl" ? -1 : 1;
      const next = neighbour(W, id, (e.key === "ArrowRight" ? 1 : -1) * dir);
      ctx.select(next);
      const t = document.getElementById(`tab-${next}`);
      if (t) t.focus();
    });
    tabs.append(tab);
  });
}
