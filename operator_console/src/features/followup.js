// Anonymous follow-up codes: the operator writes a short summary and the visitor gets a
// code (shown once, on their side only). A returning visitor's code shows the earlier
// summary as a staff-only note in the chat, once: the code is used up.
import { call, nextId } from "./rc_common.js";

const MAX = 1000;

export function install(api) {
  const { _, el, fmt } = api;

  // The notice names the chat and marks its tab (with several chats open "a visitor"
  // would not say which).
  api.on("followup_requested", (d) => {
    const conv = d && api.conversation(d.conversation_id);
    if (!conv) return;
    api.notify(fmt(_("{name} asks for a follow-up code. Open \"Follow-up code\" in that chat."), { name: conv.pseudonym }), { conversation: conv.id });
  });

  api.addChatTool({
    id: "followup",
    label: () => _("Follow-up code"),
    mount(host, conversation, chat) {
      if (conversation.followup) {
        // A code shows that someone holds it, not who they are (a family member may have
        // found it): the counsellor hears the visitor out before using the summary.
        host.append(
          el("div", { class: "notice" },
            el("p", { text: _("This chat was opened with a follow-up code. A code shows only that someone has it, not who they are.") }),
            el("p", { text: _("Let the visitor tell their story first. The earlier summary is a note in the chat that only staff can see.") }),
            el("p", { text: _("The code has now been used and no longer works. You can give a new one if the visitor wants it.") })));
      }
      if (chat.role !== "operator" || chat.ended) return () => {};
      const id = nextId("summary");
      const text = el("textarea", { id, rows: 4, maxlength: MAX, dir: "auto" });
      const count = el("p", { class: "hint", id: `${id}-count` });
      text.setAttribute("aria-describedby", count.id);
      const status = el("p", { role: "status", class: "hint" });
      const update = () => (count.textContent = fmt(_("{n} of {max} characters"), { n: text.value.length, max: MAX }));
      text.addEventListener("input", update);
      update();
      const give = el("button", { type: "button", class: "primary", text: _("Give the visitor a code") });
      give.addEventListener("click", async () => {
        const summary = text.value.trim();
        if (!summary) {
          status.textContent = _("Write a short summary first.");
          return;
        }
        const ack = await call(api, "followup_summary", { conversation_id: conversation.id, summary });
        if (!ack.ok) {
          status.textContent = ack.error.message;
          return;
        }
        text.value = "";
        update();
        status.textContent = _("The visitor has been shown a code. It is valid for 30 days. You will not see it.");
      });
      host.append(
        el("p", { class: "hint", text: _("Write only what the next counsellor needs. No names, addresses or other details that identify anyone. The summary is encrypted with the visitor's code; without it nobody can read it.") }),
        el("div", { class: "field" }, el("label", { for: id, text: _("Summary for a later conversation") }), text, count),
        el("div", { class: "actions" }, give), status);
      return () => {};
    },
  });
}
