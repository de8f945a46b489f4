// The chat could not start (S.refusal, from state/refusal.js): why, in plain words, what
// to do when it passes by itself, and the national help numbers, 112 first. The closed
// service has its own view (offline.js).
import { el } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { isTemporary } from "../state/refusal.js";
import { heading, helpList } from "./common.js";

function words(kind) {
  switch (kind) {
    case "busy":
      // The start limit counts new chats per network: a school class or a youth centre
      // shares one address.
      return {
        title: _("Many people are starting a chat right now"),
        text: _("Many people are starting a chat from this network right now, for example at a school. Try again in a minute."),
      };
    case "full":
      // The cap on waiting chats: said as it is, with the numbers below for now.
      return {
        title: _("Very many people are waiting for a chat right now"),
        text: _("The queue is full at the moment. Try again in a few minutes. If you need help now, call one of the numbers below."),
      };
    case "blocked":
      // Neutral on purpose: it says nothing about why, and blames nobody.
      return {
        title: _("You cannot start a chat from here right now"),
        text: _("If you need to talk to someone now, you can call one of the numbers below."),
      };
    case "offline":
      return {
        title: _("You seem to be offline"),
        text: _("Check your internet connection and try again."),
      };
    case "misconfigured":
      // The host page names its centre wrongly: not the visitor's doing, and nothing
      // they can fix; the numbers below work all the same.
      return {
        title: _("This chat is not set up correctly on this page"),
        text: _("You can still get help: call one of the numbers below. If someone is in danger right now, call 112."),
      };
    case "failed":
      return {
        title: _("The chat could not be started"),
        text: _("Something went wrong. Please try again."),
      };
    default:
      return {
        title: _("The chat cannot be reached right now"),
        text: _("The chat may be very busy, or down for a short while. Try again in a few minutes. If it still does not work, check your internet connection."),
      };
  }
}

export function viewError(S, act) {
  const kind = S.refusal || "unavailable";
  const w = words(kind);
  return [
    heading(w.title),
    el("p", { class: "lead", "data-refusal": kind, text: w.text }),
    isTemporary(kind) ? el("div", { class: "actions-row" }, el("button", { type: "button", class: "primary", onclick: act.retryStart }, _("Try again"))) : null,
    helpList(_("Where to get help now")),
  ];
}
