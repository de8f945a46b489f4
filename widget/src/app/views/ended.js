// The chat has ended: why, the follow-up code (if one was given), the referral cards the
// counsellor shared, and where to get help.
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import * as host from "../host.js";
import { cardList } from "./cards.js";
import { heading, helpList } from "./common.js";
import { feedbackBox } from "./feedback.js";
import { codeBox, revokedNote } from "./followup.js";

let lead = null; // the sentence saying why: reworded when a more specific reason follows

export function endedText(reason) {
  switch (reason) {
    case "visitor_ended":
      return _("You have ended the chat.");
    case "operator_ended":
      return _("The counsellor has ended the chat.");
    case "abandoned":
    case "lost":
      return _("The chat was closed because the connection was lost for too long.");
    case "blocked":
      return _("The chat has been closed.");
    case "gone":
      // The server no longer knows the conversation (e.g. it restarted).
      return _("Your conversation has ended. You can start a new one.");
    default:
      return _("The chat has ended.");
  }
}

export function rewordEnded(S) {
  if (lead && lead.isConnected) lead.textContent = endedText(S.endedReason);
}

function referralCards(cards) {
  if (!cards.length) return null;
  const hid = uniqueId("ref");
  return el(
    "section",
    { class: "referrals", "aria-labelledby": hid },
    el("h2", { id: hid, text: _("Places that can help you") }),
    cardList(cards, 3),
  );
}

export function viewEnded(S, act) {
  lead = el("p", { class: "lead", text: endedText(S.endedReason) });
  return [
    heading(_("The chat has ended")),
    lead,
    el("p", { text: _("The conversation has been deleted. Nothing from it is saved in your browser.") }),
    S.followup && S.followup.code ? codeBox(S.followup.code, null, act.revokeShownCode) : null,
    S.followup === "revoked" ? revokedNote() : null,
    S.followup === "asked" ? el("p", { text: _("You asked for a code, but the chat ended before the counsellor could give you one.") }) : null,
    referralCards(S.referrals),
    feedbackBox(S, act),
    helpList(_("Where to get help")),
    el(
      "div",
      { class: "actions-row" },
      el("button", { type: "button", class: "primary", onclick: act.newChat }, _("Start a new chat")),
      host.embedded ? el("button", { type: "button", class: "secondary", onclick: () => host.post({ t: "close" }) }, _("Close")) : null,
    ),
  ];
}
