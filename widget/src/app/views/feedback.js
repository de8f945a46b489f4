// The one optional question on the "ended" view after an answered chat: "Did you get the
// help you needed?" yes / partly / no. The answer goes with the single-use token of the
// `ended` event and is only counted in the statistics, never linked to the chat
// (services/feedback.py). The box is updated in place: the token may come a moment after
// the view is drawn (`state` ended comes first).
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";

let box = null; // the section while the ended view is shown
let actions = null;

export const ANSWERS = Object.freeze(["yes", "partly", "no"]);

function answerLabel(answer) {
  if (answer === "yes") return _("Yes");
  if (answer === "partly") return _("Partly");
  return _("No");
}

function content(S, act) {
  const f = S.feedback;
  const hid = uniqueId("fb");
  if (f.status === "thanks") return [el("p", { class: "feedback-thanks", role: "status", text: _("Thank you for your answer.") })];
  // Given already (another tab of this chat) or too late: the server's words, no buttons.
  if (f.status === "gone") return [el("p", { class: "feedback-error", role: "status", text: f.error || _("Your answer could not be sent.") })];
  return [
    el("h2", { id: hid, text: _("Did you get the help you needed?") }),
    el("p", { class: "feedback-note", text: _("You do not have to answer. Your answer is anonymous: it is only counted in the statistics, never linked to your chat.") }),
    el(
      "div",
      { class: "feedback-answers", role: "group", "aria-labelledby": hid },
      ANSWERS.map((a) =>
        el("button", { type: "button", class: "secondary", "data-answer": a, disabled: f.status === "sending", onclick: () => act.sendFeedback(a) }, answerLabel(a)),
      ),
    ),
    f.status === "failed" ? el("p", { class: "feedback-error", role: "alert", text: f.error || _("Your answer could not be sent.") }) : null,
  ];
}

// The section (empty and hidden until a token has come).
export function feedbackBox(S, act) {
  box = el("section", { class: "feedback" });
  actions = act;
  updateFeedback(S);
  return box;
}

export function updateFeedback(S) {
  if (!box) return;
  box.hidden = !S.feedback;
  box.replaceChildren(...(S.feedback ? content(S, actions).filter(Boolean) : []));
}
