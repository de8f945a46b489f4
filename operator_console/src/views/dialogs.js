// Dialogs around a chat: transfer, invite, block, end, duty languages.
import { el } from "../../../frontend_lib/dom.js";
import { _, current, fmt, languageLabel } from "../../../frontend_lib/i18n.js";
import { field, modal } from "../lib/forms.js";
import { roleLabel } from "../lib/labels.js";

function buttons(close, okLabel, onOk, danger = false) {
  const cancel = el("button", { type: "button", class: "ghost", text: _("Cancel") });
  cancel.addEventListener("click", () => close(null));
  const ok = el("button", { type: "submit", class: danger ? "danger" : "primary", text: okLabel });
  return el("div", { class: "dialog-actions" }, cancel, ok);
}

function colleagueText(c) {
  const langs = (c.languages || []).map(languageLabel).join(", ");
  const status = c.on_duty ? _("on duty") : _("off duty");
  return `${c.name} – ${roleLabel(c.role)}, ${status}${langs ? ` (${langs})` : ""}`;
}

export function transferDialog(colleagues) {
  return modal(_("Transfer the chat"), (close) => {
    const select = el(
      "select",
      { required: true },
      el("option", { value: "queue", text: _("Back to the queue") }),
      colleagues.filter((c) => c.on_duty).map((c) => el("option", { value: c.id, text: colleagueText(c) })),
    );
    const note = el("textarea", { rows: "3", maxlength: "4000" });
    const form = el(
      "form",
      { method: "dialog" },
      field(_("Transfer to"), select, colleagues.some((c) => c.on_duty) ? null : _("No colleague is on duty right now.")),
      field(_("Note for the colleague (never shown to the visitor)"), note),
      buttons(close, _("Transfer")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      close({ to: select.value, note: note.value.trim() || null });
    });
    return form;
  });
}

export function inviteDialog(colleagues) {
  return modal(_("Invite a colleague"), (close) => {
    const select = el("select", { required: true }, colleagues.map((c) => el("option", { value: c.id, text: colleagueText(c) })));
    const form = el(
      "form",
      { method: "dialog" },
      el("p", { text: _("An interpreter or a supervisor can join the chat and write in it. The visitor is told that someone joined.") }),
      field(_("Colleague"), select),
      buttons(close, _("Invite")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      close(select.value || null);
    });
    return form;
  });
}

export function confirmDialog(title, text, okLabel, danger = false) {
  return modal(title, (close) => {
    const form = el("form", { method: "dialog" }, el("p", { text }), buttons(close, okLabel, null, danger));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      close(true);
    });
    return form;
  });
}

export function languagesDialog(selected) {
  return modal(_("Languages you chat in"), (close) => {
    const boxes = current.locales.map((l) =>
      el(
        "label",
        { class: "check" },
        el("input", { type: "checkbox", value: l.code, checked: selected.includes(l.code) }),
        el("span", { text: languageLabel(l.code) }),
      ),
    );
    const error = el("p", { class: "form-error", role: "alert" });
    const form = el(
      "form",
      { method: "dialog" },
      el("fieldset", { class: "checks" }, el("legend", { text: _("Chats in these languages are offered to you first.") }), boxes),
      error,
      buttons(close, _("Save")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const chosen = [...form.querySelectorAll("input:checked")].map((i) => i.value);
      if (!chosen.length) {
        error.textContent = _("Choose at least one language.");
        return;
      }
      close(chosen);
    });
    return form;
  });
}

// End the chat? Says whether the triage goes with it or waits for afterwards.
// Resolves with {} (end) or null (cancel).
export function endDialog(conv, triageComplete) {
  return modal(_("End the chat"), (close) => {
    const form = el(
      "form",
      { method: "dialog" },
      el("p", { text: fmt(_("End the chat with {name}? The conversation is deleted when it ends."), { name: conv.pseudonym }) }),
      el("p", { class: "hint", text: triageComplete ? _("Your triage is complete and is saved with the end.") : _("You can fill in the triage after the chat has ended.") }),
      buttons(close, _("End chat"), null, true),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      close({});
    });
    return form;
  });
}
