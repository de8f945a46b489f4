// The work view's own chat tools, beside those of feature modules (addChatTool):
// the triage form (filled in during the chat, saved with the end) and the chat's
// internal notes. Each tool is {id, label, mount(host, conversation, info, chat)}.
import { el } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { timeOf } from "../../lib/locale.js";
import { renderTriage } from "./triage_panel.js";

function notesTool(ctx) {
  return {
    id: "notes",
    label: _("Notes"),
    mount(host, conversation, info, chat) {
      const notes = chat.messages.filter((m) => m.internal);
      host.append(el("p", { class: "hint", text: _("Internal notes of this chat, also from colleagues and a transfer. Only staff see them; they are deleted with the chat.") }));
      if (!notes.length) host.append(el("p", { class: "empty", text: _("No notes yet.") }));
      else {
        host.append(
          el(
            "ol",
            { class: "notes-list" },
            notes.map((m) => el("li", {}, el("time", { dir: "ltr", text: timeOf(m.ts) }), " ", el("span", { dir: "auto", text: m.text }))),
          ),
        );
      }
      if (chat.role !== "observer") {
        const write = el("button", { type: "button", class: "ghost", text: _("Write a note") });
        write.addEventListener("click", () => ctx.writeNote(chat));
        host.append(write);
      }
    },
  };
}

function triageTool(ctx) {
  return {
    id: "triage",
    label: _("Triage"),
    mount(host, conversation, info, chat) {
      renderTriage(ctx, chat, host);
    },
  };
}

// The tools of `chat`, in the order of the header's buttons.
export function toolsFor(ctx, chat) {
  if (chat.role === "observer") return [notesTool(ctx)];
  return [triageTool(ctx), ...ctx.app.state.chatTools, notesTool(ctx)];
}
