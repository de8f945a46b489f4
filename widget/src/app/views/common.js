// Small pieces the widget's views share.
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { telUrl } from "../../../../frontend_lib/urls.js";
import { helpLines } from "./help.js";

export function heading(text) {
  return el("h1", { tabindex: "-1", text });
}

export function backButton(onclick) {
  return el("button", { type: "button", class: "back", onclick }, _("Back"));
}

export function optionButton(label, hint, onclick, extra) {
  return el(
    "button",
    { type: "button", class: `option${extra ? ` ${extra}` : ""}`, onclick },
    el("span", { class: "option-label", text: label }),
    hint ? el("span", { class: "option-hint", text: hint }) : null,
  );
}

// A touch screen and nothing finer to point with (a phone, a tablet without keyboard
// and mouse): Shift pressed three times means nothing to its user.
export function touchOnly() {
  return matchMedia("(pointer: coarse)").matches && !matchMedia("(any-pointer: fine)").matches;
}

export function safetyNote() {
  return el(
    "div",
    { class: "note" },
    el("h2", { class: "note-title", text: _("Safety") }),
    el("p", {
      text: touchOnly()
        ? _("Tap Quick exit to close the chat at once and open a weather page. The chat is then deleted.")
        : _("Press Quick exit, or the Shift key three times, to close the chat at once and open a weather page. The chat is then deleted."),
    }),
    el("p", { text: _("Quick exit cannot erase your earlier browser history, or the fact that you visited this website. Nothing from the chat is saved in your browser.") }),
  );
}

// Where to get help now: 112, BRIS, Kvinnofridslinjen, 1177 (help.js).
export function helpList(titleText) {
  const hid = uniqueId("help");
  return el(
    "section",
    { class: "help", "aria-labelledby": hid },
    el("h2", { id: hid, text: titleText }),
    el(
      "ul",
      { class: "help-list" },
      helpLines().map((l) =>
        el(
          "li",
          { class: `help-item${l.urgent ? " help-item--urgent" : ""}` },
          el(
            "a",
            { class: "call", href: telUrl(l.number) },
            el("span", { class: "call-name", text: l.name }),
            l.name !== l.number ? el("span", { class: "call-number", dir: "ltr", text: l.number }) : null,
          ),
          el("p", { class: "help-what", text: l.what }),
          l.hours ? el("p", { class: "help-hours", text: l.hours }) : null,
        ),
      ),
    ),
  );
}
