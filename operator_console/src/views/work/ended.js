// An ended chat: what happened and when, that its messages are deleted, and then either
// its triage (a chat "to triage": saved or skipped with a reason) or a visible countdown
// to closing by itself, with "Close now" and "Keep open".
import { el } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { endReasonLabel } from "../../lib/labels.js";
import { sentence } from "./bits.js";
import { renderTriage } from "./triage_panel.js";

export function secondsLeft(closeAt, now = Date.now()) {
  return Math.max(0, Math.ceil((closeAt - now) / 1000));
}

export function countdownText(closeAt, now = Date.now()) {
  return sentence(_("This chat closes by itself in {seconds} s."), { seconds: secondsLeft(closeAt, now) });
}

// The countdown line; index.js updates every [data-close-at] each second.
export function countdown(closeAt) {
  return el("span", { class: "countdown", "data-close-at": String(closeAt), text: countdownText(closeAt) });
}

export function renderEnded(ctx, chat, host) {
  const when = chat.endedAt ? sentence(_("Ended at {time}."), { time: chat.endedAt }) : "";
  const box = el(
    "div",
    { class: "ended-view" },
    // Two sentences side by side, each whole.
    el("p", { class: "ended-title", role: "status" }, el("span", { text: endReasonLabel(chat.ended) }), " ", el("span", { text: when })),
    el("p", { class: "hint", text: _("The conversation has ended and its messages are deleted.") }),
  );
  if (chat.toTriage) {
    box.append(el("h3", { text: _("Triage") }), el("p", { text: _("Fill in the triage for the statistics, or skip it with a reason.") }));
    const form = el("div", { class: "ended-triage" });
    box.append(form);
    renderTriage(ctx, chat, form);
  } else {
    if (chat.triageDone === "recorded") box.append(el("p", { class: "done", text: _("The triage is saved. Thank you.") }));
    if (chat.triageDone === "skipped") box.append(el("p", { class: "done", text: _("The triage was skipped.") }));
    const close = el("button", { type: "button", class: "primary", text: chat.closeAt ? _("Close now") : _("Close") });
    close.addEventListener("click", () => ctx.removeChat(chat.conv.id));
    const row = el("div", { class: "actions close-row" });
    if (chat.closeAt) {
      const keep = el("button", { type: "button", class: "ghost", text: _("Keep open") });
      keep.addEventListener("click", () => ctx.keepOpen(chat.conv.id));
      row.append(countdown(chat.closeAt), close, keep);
    } else row.append(close);
    box.append(row);
  }
  host.append(box);
}
