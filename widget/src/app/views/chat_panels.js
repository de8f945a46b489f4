// The chat's actions and panels, kept out of the way of the messages on a phone:
//   - the menu (End chat, Get a code, Show my code again): a disclosure button in the
//     one-line chat bar; on a wide screen the items stand in the bar itself (CSS);
//   - two sheets between the messages and the composer, non-modal dialogs: the
//     follow-up code and the end confirmation. They take at most part of the height
//     (the message area shrinks and keeps the newest message in view); the composer
//     below stays where it is and usable, and the quick exit above one tap away;
//   - notes at the end of the messages: the answer to an entered code, "a code has been
//     asked for".
// chat.js builds the view and calls these with its elements (`c`).
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { codeBox, codeInput, revokedNote } from "./followup.js";

export function buildMenu(act) {
  const listId = uniqueId("menu");
  const button = el(
    "button",
    { type: "button", class: "menu-btn", "aria-expanded": "false", "aria-controls": listId },
    el("span", { class: "menu-label", text: _("Menu") }),
    el("span", { class: "menu-icon", "aria-hidden": "true" }),
  );
  const list = el("div", { id: listId, class: "menu-list" });
  const root = el("div", { class: "menu" }, button, list);
  const menu = { root, button, list, act };
  menu.setOpen = (open, refocus) => {
    list.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    if (open) {
      const first = list.querySelector("button");
      if (first) first.focus();
    } else if (refocus) button.focus();
  };
  button.addEventListener("click", () => menu.setOpen(button.getAttribute("aria-expanded") !== "true"));
  root.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && list.classList.contains("open")) {
      ev.stopPropagation();
      menu.setOpen(false, true);
    }
  });
  // Closes when the focus or a tap goes elsewhere.
  root.addEventListener("focusout", (ev) => {
    if (!root.contains(ev.relatedTarget)) menu.setOpen(false);
  });
  const outside = (ev) => {
    // The chat view is gone (another view, a quick exit): stop listening.
    if (!root.isConnected) return document.removeEventListener("pointerdown", outside);
    if (!root.contains(ev.target)) menu.setOpen(false);
  };
  document.addEventListener("pointerdown", outside);
  return menu;
}

// The menu's items for the current state. An item closes the menu and then acts.
export function updateMenu(S, menu) {
  const act = menu.act;
  const item = (text, fn, extra) =>
    el("button", { type: "button", class: `menu-item${extra ? ` ${extra}` : ""}`, onclick: () => { menu.setOpen(false); fn(); } }, text);
  const f = S.followup;
  const items = [];
  if (f && f.code && f.hidden) items.push(item(_("Show my code again"), act.showCode));
  else if ((!f || f === "revoked") && S.conv && S.conv.state === "active" && !S.confirmEnd) items.push(item(_("Get a code to continue later"), act.requestCode));
  if (!S.confirmEnd) items.push(item(_("End chat"), act.askEnd, "menu-item--end"));
  menu.list.replaceChildren(...items);
  // Nothing to offer (the end confirmation is open): no empty menu.
  menu.root.hidden = items.length === 0;
  if (!items.length) menu.setOpen(false);
}

// Named by its heading once it has content (aria-labelledby is set then). Escape
// answers "no" (a non-modal dialog does not close by itself on Escape).
function sheet(className, onEscape) {
  const d = el("dialog", { class: `sheet ${className}` });
  d.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && d.open) {
      ev.preventDefault();
      onEscape();
    }
  });
  return d;
}

function show(d, on) {
  if (on && !d.open) {
    d.show();
    // A sheet opens at its top (the code, the question), whatever was scrolled before.
    d.parentElement.scrollTop = 0;
  } else if (!on && d.open) d.close();
}

// The end confirmation: a non-modal dialog above the composer.
export function updateEndDialog(S, c) {
  const act = c.act;
  const d = c.endSheet;
  if (!S.confirmEnd) {
    show(d, false);
    d.replaceChildren();
    return;
  }
  // The last chance for a code (it can only be made while the chat is live).
  const offerCode = S.conv && S.conv.state === "active" && (!S.followup || S.followup === "revoked");
  const hid = uniqueId("end");
  const yes = el("button", { type: "button", class: "danger-btn", "data-confirm": "yes", onclick: act.endChat }, _("Yes, end the chat"));
  d.setAttribute("aria-labelledby", hid);
  // The answer first (on a phone with the keyboard open the sheet is low), then the
  // last chance for a code.
  d.replaceChildren(
    ...[
      el("h2", { id: hid, class: "sheet-title", text: _("Do you want to end the chat?") }),
      el("div", { class: "actions-row" }, yes, el("button", { type: "button", class: "secondary", onclick: act.cancelEnd }, _("No, continue"))),
      offerCode ? el("p", { class: "hint", text: _("If you want to continue later, get a code before you end the chat.") }) : null,
      offerCode ? el("button", { type: "button", class: "link-btn", onclick: act.requestCode }, _("Get a code to continue later")) : null,
    ].filter(Boolean),
  );
  show(d, true);
  yes.focus();
}

// After a wrong code: one more try from inside the chat (the server limits the tries).
function codeRetry(S, act) {
  const field = codeInput(S);
  const form = el(
    "form",
    { class: "code-retry", novalidate: true },
    field.label,
    field.input,
    el("button", { type: "submit", class: "secondary" }, _("Check the code")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act.checkCode();
  });
  return form;
}

// The follow-up code sheet and the notes at the end of the messages.
export function updateFollowup(S, c) {
  const act = c.act;
  const notes = [];
  const note = S.codeNote;
  if (note) {
    notes.push(
      el(
        "div",
        { class: `notice ${note.ok ? "notice--ok" : "notice--warn"}` },
        el("p", { text: note.text }),
        note.ok ? null : el("p", { text: _("The chat continues as usual. You can tell the counsellor about your earlier chat yourself.") }),
        note.retry ? codeRetry(S, act) : null,
      ),
    );
  }
  const f = S.followup;
  if (f === "asked") notes.push(el("p", { class: "hint", text: _("The counsellor has been asked for a code. It will be shown here.") }));
  if (f === "revoked") notes.push(revokedNote());
  c.notes.replaceChildren(...notes);

  const d = c.codeSheet;
  const code = f && f.code && !f.hidden ? f.code : null;
  if (code && d.dataset.code !== code) {
    // The box's heading names the dialog.
    const box = codeBox(code, act.hideCode, act.revokeShownCode);
    d.setAttribute("aria-labelledby", box.getAttribute("aria-labelledby"));
    d.replaceChildren(box);
    d.dataset.code = code;
  }
  show(d, !!code);
}

export function makeSheets(act) {
  return {
    codeSheet: sheet("sheet--code", act.hideCode),
    endSheet: sheet("sheet--end", act.cancelEnd),
  };
}
