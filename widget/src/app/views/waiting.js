// The queue card while waiting (at the top of the messages): the place, the estimate,
// and when the wait cannot be promised (nobody on duty, a long wait, the service closed)
// the notice with the national helplines, numbers printed in full, next to "Keep
// waiting". "Keep waiting" folds the helplines away until a new kind of notice comes;
// "Show help numbers" opens them again.
import { el } from "../../../../frontend_lib/dom.js";
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { helplinesOpen, noticeText, waitText } from "../state/waiting.js";
import { helpList } from "./common.js";

// The card's parts. Only the place and the estimate are a live region (they change as
// the queue moves); a new notice is announced once by the controller.
export function queueCard(S, act) {
  const status = el("div", { class: "queue-status", role: "status" });
  if (S.conv.position) status.append(el("p", { text: fmt(_("Your place in the queue: {position}"), { position: S.conv.position }) }));
  // With nobody on duty (or the service closed and no estimate) there is nothing to
  // estimate: the notice says so in plain words instead.
  if (!(S.notice && S.wait === null)) status.append(el("p", { text: waitText(S.wait) }));
  const parts = [status];
  const notice = noticeText(S, Date.now());
  if (notice) parts.push(noticeBox(S, notice, act));
  parts.push(el("p", { class: "status-hint", text: _("You can start writing while you wait.") }));
  if (S.choices.urgent) {
    parts.push(
      el(
        "p",
        { class: "status-urgent" },
        el("span", { text: _("If you are in danger, call 112.") }),
        " ",
        el("a", { href: "tel:112", class: "inline-call", text: _("Call 112") }),
      ),
    );
  }
  return parts;
}

function noticeBox(S, notice, act) {
  const open = helplinesOpen(S);
  return el(
    "div",
    { class: `wait-notice wait-notice--${S.notice}`, "data-notice": S.notice },
    el("h2", { class: "wait-notice-title", text: notice.title }),
    notice.lines.map((line) => el("p", { text: line })),
    open ? helpList(_("Get help now")) : null,
    el(
      "div",
      { class: "actions-row" },
      open
        ? el("button", { type: "button", class: "primary keep-waiting", onclick: act.keepWaiting }, _("Keep waiting"))
        : el("button", { type: "button", class: "secondary show-help", onclick: act.showHelplines }, _("Show help numbers")),
    ),
  );
}
