// Writing in a chat: reply or internal note, canned responses in the visitor's language,
// Enter sends. The draft lives in the chat's state (state/chats.js), so switching tabs
// keeps it; the same text sent again after no answer keeps its client_id.
import { clear, el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _, fmt, languageName } from "../../../../frontend_lib/i18n.js";
import { endReasonLabel } from "../../lib/labels.js";

export function renderComposer(ctx, chat, host) {
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
  let cannedItems = [];
  ctx.loadCanned(chat.conv.locale).then((items) => {
    cannedItems = items;
    for (const it of items) canned.append(el("option", { value: it.id, text: it.title }));
  });
  insert.addEventListener("click", () => {
    const item = cannedItems.find((it) => it.id === canned.value);
    if (!item) return;
    text.value = (text.value ? `${text.value} ` : "") + fmt(item.text, { name: ctx.app.state.staff.name });
    chat.draft = text.value;
    text.focus();
  });
  const form = el(
    "form",
    { class: chat.mode === "note" ? "composer note-mode" : "composer" },
    el(
      "div",
      { class: "composer-bar" },
      el("fieldset", { class: "modes" }, el("legend", { class: "visually-hidden", text: _("Message type") }), radio("reply", _("Reply to the visitor")), radio("note", _("Internal note"))),
      el("div", { class: "canned" }, canned, insert, el("span", { class: "canned-lang", text: fmt(_("in {language}"), { language: languageName(chat.conv.locale) }) })),
    ),
    text,
    el(
      "div",
      { class: "composer-foot" },
      el("p", { class: "hint", text: chat.mode === "note" ? _("Only staff see internal notes.") : _("Enter sends, Shift+Enter makes a new line.") }),
      error,
      send,
    ),
  );
  form.addEventListener("change", (e) => {
    if (e.target.name === name) {
      chat.mode = e.target.value;
      chat.draft = text.value;
      renderComposer(ctx, chat, host);
      host.querySelector("textarea").focus();
    }
  });
  text.addEventListener("input", () => {
    chat.draft = text.value;
    if (chat.mode === "reply" && chat.role === "operator") ctx.typing(chat).input();
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
    const ack = await ctx.actions.send(chat, value);
    send.disabled = false;
    if (!ack.ok) {
      error.textContent = ctx.errorText(ack.error);
      return;
    }
    // Only if the operator did not change the text meanwhile.
    if (text.value.trim() === value) {
      text.value = "";
      chat.draft = "";
    }
    text.focus();
  });
  host.append(form);
}
