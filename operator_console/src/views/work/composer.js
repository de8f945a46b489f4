// Writing in a chat, in one of two clearly different modes: a reply to the visitor
// ("Send to visitor") or an internal note only staff see ("Save note", a yellow composer
// that says so; after one note it is back to replying). Canned responses open with "/"
// (or the button): titles in the counsellor's language, the text inserted in the
// visitor's (state/canned.js). Enter sends, Shift+Enter is a new line. The draft lives
// in the chat's state (state/chats.js), so switching tabs keeps it; the same text sent
// again after no answer keeps its client_id.
import { clear, el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _, current, fmt, languageLabel } from "../../../../frontend_lib/i18n.js";
import { cannedChoices, insertCanned, moveActive, slashQuery } from "../../state/canned.js";

const SHOWN = 7;

export function renderComposer(ctx, chat, host) {
  clear(host);
  if (chat.ended) return;
  if (chat.role === "observer") {
    host.append(el("p", { class: "ended-note", text: _("You are observing silently. Join the chat to write.") }));
    return;
  }
  const note = chat.mode === "note";
  const name = uniqueId("mode");
  const hintId = uniqueId("hint");
  const listId = uniqueId("canned");
  const radio = (value, label) =>
    el("label", { class: `mode mode-${value}` }, el("input", { type: "radio", name, value, checked: chat.mode === value }), el("span", { text: label }));
  const text = el("textarea", {
    rows: "3",
    class: "input",
    value: chat.draft,
    "aria-label": note ? _("Internal note") : _("Reply to the visitor"),
    "aria-describedby": hintId,
    "aria-autocomplete": "list",
    dir: "auto",
  });
  const error = el("p", { class: "form-error", role: "alert" });
  const send = el("button", { type: "submit", class: note ? "note-send" : "primary", text: note ? _("Save note") : _("Send to visitor") });
  const cannedButton = el("button", { type: "button", class: "ghost small", "aria-haspopup": "listbox", text: _("Canned responses (/)") });
  const list = el("ul", { class: "canned-list", role: "listbox", id: listId, "aria-label": fmt(_("Canned responses in {language}"), { language: languageLabel(chat.conv.locale) }) });
  const popup = el(
    "div",
    { class: "canned-popup", hidden: true },
    el("p", { class: "canned-head" }, fmt(_("Canned responses in {language}"), { language: languageLabel(chat.conv.locale) }), " · ", _("↑↓ choose, Enter inserts, Esc closes")),
    list,
  );

  // --- canned responses --------------------------------------------------------------
  let visitorItems = [];
  let staffItems = [];
  let shown = [];
  let active = -1;
  let slash = null;
  Promise.all([ctx.loadCanned(chat.conv.locale, chat.conv), ctx.loadCanned(current.locale, chat.conv)]).then(([v, s]) => {
    visitorItems = v || [];
    staffItems = s || [];
    if (slash) drawList();
  });

  const closeList = () => {
    slash = null;
    popup.hidden = true;
    text.removeAttribute("aria-controls");
    text.removeAttribute("aria-activedescendant");
  };
  // At most SHOWN rows and no scrolling (the keys work from the textarea); typing
  // narrows the list.
  const more = el("p", { class: "canned-more hint" });
  popup.append(more);
  const drawList = () => {
    const all = cannedChoices(visitorItems, staffItems, slash.query);
    shown = all.slice(0, SHOWN);
    more.textContent = all.length > shown.length ? fmt(_("{shown} of {all}: type to narrow the list."), { shown: shown.length, all: all.length }) : "";
    active = shown.length ? Math.min(Math.max(active, 0), shown.length - 1) : -1;
    clear(list);
    if (!shown.length) list.append(el("li", { class: "empty", role: "option", "aria-disabled": "true", "aria-selected": "false", text: _("No canned response matches.") }));
    shown.forEach((c, i) => {
      const li = el(
        "li",
        { role: "option", id: `${listId}-${i}`, "aria-selected": i === active ? "true" : "false", class: i === active ? "active" : null },
        el("span", { class: "canned-title", dir: "auto", text: c.title }),
        el("span", { class: "canned-text", dir: "auto", lang: chat.conv.locale, text: fmt(c.text, { name: ctx.app.state.staff.name }) }),
      );
      li.addEventListener("mousedown", (e) => e.preventDefault()); // keep the caret in the textarea
      li.addEventListener("click", () => choose(i));
      list.append(li);
    });
    popup.hidden = false;
    text.setAttribute("aria-controls", listId);
    if (active >= 0) {
      text.setAttribute("aria-activedescendant", `${listId}-${active}`);
      const li = list.children[active];
      if (li && li.scrollIntoView) li.scrollIntoView({ block: "nearest" });
    } else text.removeAttribute("aria-activedescendant");
  };
  const update = () => {
    slash = chat.mode === "reply" ? slashQuery(text.value, text.selectionStart) : null;
    if (slash) drawList();
    else closeList();
  };
  const choose = (i) => {
    const c = shown[i];
    if (!c || !slash) return;
    const next = insertCanned(text.value, slash.start, text.selectionStart, fmt(c.text, { name: ctx.app.state.staff.name }));
    text.value = next.value;
    chat.draft = text.value;
    text.setSelectionRange(next.caret, next.caret);
    closeList();
    text.focus();
  };
  cannedButton.addEventListener("click", () => {
    if (chat.mode !== "reply") setMode("reply");
    const area = host.querySelector("textarea");
    const at = area.selectionStart;
    const before = area.value.slice(0, at);
    const lead = before && !/\s$/u.test(before) ? " /" : "/";
    area.value = `${before}${lead}${area.value.slice(at)}`;
    area.setSelectionRange(at + lead.length, at + lead.length);
    area.focus();
    area.dispatchEvent(new Event("input"));
  });

  // --- modes ---------------------------------------------------------------------------
  const setMode = (mode) => {
    chat.mode = mode;
    chat.draft = text.value;
    renderComposer(ctx, chat, host);
    host.querySelector("textarea").focus();
  };

  const form = el(
    "form",
    { class: note ? "composer note-mode" : "composer" },
    el(
      "div",
      { class: "composer-bar" },
      el("fieldset", { class: "modes" }, el("legend", { class: "visually-hidden", text: _("Message type") }), radio("reply", _("Reply to the visitor")), radio("note", _("Internal note"))),
      cannedButton,
    ),
    note ? el("p", { class: "note-banner", text: _("Internal note: only staff see it, never the visitor.") }) : null,
    el("div", { class: "composer-input" }, text, popup),
    el(
      "div",
      { class: "composer-foot" },
      el("p", { class: "hint", id: hintId, text: note ? _("Enter saves the note, Shift+Enter makes a new line.") : _("Enter sends, Shift+Enter makes a new line. Type / for canned responses.") }),
      error,
      send,
    ),
  );
  form.addEventListener("change", (e) => {
    if (e.target.name === name) setMode(e.target.value);
  });
  text.addEventListener("input", () => {
    chat.draft = text.value;
    if (chat.mode === "reply" && chat.role === "operator") ctx.typing(chat).input();
    update();
  });
  text.addEventListener("click", update);
  text.addEventListener("blur", () => setTimeout(() => document.activeElement !== text && closeList(), 150));
  text.addEventListener("keydown", (e) => {
    if (slash && !popup.hidden) {
      if (["ArrowDown", "ArrowUp", "Home", "End"].includes(e.key)) {
        e.preventDefault();
        active = moveActive(active, shown.length, e.key);
        drawList();
        return;
      }
      if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && active >= 0) {
        e.preventDefault();
        choose(active);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        closeList();
        return;
      }
    }
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
    const wasNote = chat.mode === "note";
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
    if (wasNote && chat.mode === "reply" && host.isConnected) {
      // The note was a one-off (state/chats.js applySent): back to replying.
      renderComposer(ctx, chat, host);
      ctx.app.notify(_("Note saved. You are replying to the visitor again."));
      host.querySelector("textarea").focus();
      return;
    }
    text.focus();
  });
  host.append(form);
}
