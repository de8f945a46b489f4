// Anonymous follow-up codes, visitor side: the box that shows a code once, and the
// optional field in the start flow for a code from an earlier chat.
//
// A code lives only in the widget's memory (state/session.js); it is never written to any
// browser storage and is wiped with everything else on quick exit.
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";

// "7kq2 m9xd-4rta hv3c" -> ["7KQ2", "M9XD", "4RTA", "HV3C"]
export function codeGroups(code) {
  const clean = String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
  return clean.match(/.{1,4}/g) || [];
}

// "7KQ2 M9XD" -> "7 K Q 2, M 9 X D": for screen readers, one character at a time.
export function spokenCode(code) {
  return codeGroups(code)
    .map((g) => g.split("").join(" "))
    .join(", ");
}

// The code, large and left to right (also inside a right-to-left language), in groups of
// four so it is easy to read aloud or copy by hand. Screen readers get it one character
// at a time, with a pause between the groups. `onRevoke` offers to cancel it (someone
// might find it).
export function codeBox(code, onHide, onRevoke) {
  const groups = codeGroups(code);
  const hid = uniqueId("code");
  return el(
    "section",
    { class: "code-box", "aria-labelledby": hid },
    el("h2", { id: hid, text: _("Your code to continue later") }),
    el(
      "p",
      { class: "code", dir: "ltr", translate: "no" },
      el("span", { "aria-hidden": "true" }, groups.map((g) => el("span", { class: "code-group", text: g }))),
      el("span", { class: "sr", text: spokenCode(code) }),
    ),
    el("p", { class: "code-warn", text: _("This code is shown only once. Write it down somewhere safe, or remember it. It is not saved in your browser.") }),
    el("p", { text: _("The code works once, for 30 days. If you chat with us again, enter it when you start. The next counsellor can then read a short summary of this conversation.") }),
    onHide ? el("button", { type: "button", class: "link-btn", onclick: onHide }, _("Hide the code")) : null,
    onRevoke ? el("button", { type: "button", class: "link-btn", "data-revoke": "shown", onclick: onRevoke }, _("Cancel this code")) : null,
  );
}

// After the visitor cancelled the code they were shown.
export function revokedNote() {
  return el("p", { class: "notice notice--ok", role: "status", text: _("The code is cancelled. It no longer works, and the summary is deleted.") });
}

// A labelled text box for a code; what is typed goes to `state.codeIn` (memory only).
export function codeInput(state, describedBy) {
  const fid = uniqueId("code-in");
  const input = el("input", {
    id: fid,
    type: "text",
    inputmode: "text",
    autocomplete: "off",
    autocorrect: "off",
    spellcheck: "false",
    autocapitalize: "characters",
    dir: "ltr",
    maxlength: "40",
    class: "code-input",
    "aria-describedby": describedBy || null,
    value: state.codeIn || null,
  });
  input.addEventListener("input", () => {
    state.codeIn = input.value;
  });
  return { input, label: el("label", { for: fid, text: _("Code from an earlier chat (optional)") }) };
}

// The optional field for a code from an earlier chat in the start flow; controller.js sends it
// right after `start`. The same field can cancel a code instead (`act.revokeTypedCode`).
export function codeEntry(state, act) {
  const hintId = uniqueId("code-hint");
  const field = codeInput(state, hintId);
  const note = state.revokeNote;
  return el(
    "details",
    { class: "code-entry", open: state.codeIn || note ? true : null },
    el("summary", { text: _("I have a code from an earlier chat") }),
    el(
      "div",
      { class: "field" },
      field.label,
      el("p", { id: hintId, class: "hint", text: _("Enter it here, then answer the questions below. The counsellor can then read a short summary of your earlier chat.") }),
      field.input,
      act ? el("button", { type: "button", class: "link-btn", "data-revoke": "typed", onclick: act.revokeTypedCode }, _("Cancel this code instead")) : null,
      el(
        "p",
        { class: "hint", role: "status" },
        note ? (note.ok ? _("The code is cancelled. It no longer works, and the summary is deleted.") : note.text) : "",
      ),
    ),
  );
}
