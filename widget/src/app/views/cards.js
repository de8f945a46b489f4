// Referral cards in the widget: in the chat as a card message (the moment the
// counsellor sends them, and again from the history after a resume) and on the ended
// view. The card and its words are frontend_lib/referral_card.js.
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _, languageName } from "../../../../frontend_lib/i18n.js";
import { cardWords, referralCard } from "../../../../frontend_lib/referral_card.js";

export function cardList(cards, level) {
  const text = cardWords();
  return el("ul", { class: "cards" }, cards.map((c) => referralCard(c, text, { level, languageLabel: languageName })));
}

// The card message in the chat's log.
export function cardMessage(item) {
  const hid = uniqueId("shared");
  return el(
    "li",
    { class: "msg msg--cards" },
    el("section", { class: "shared", "aria-labelledby": hid }, el("h2", { class: "shared-title", id: hid, text: _("The counsellor has shared places that can help you.") }), cardList(item.cards, 3)),
  );
}
