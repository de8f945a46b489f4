// The steps before a chat: language, who it is about, topic, danger (and 112), age,
// connecting. Each view is a function (S, act) -> nodes; `act` is the controller's
// actions (controller.js). A chat that cannot start: refusal.js.
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _, current } from "../../../../frontend_lib/i18n.js";
import { backButton, heading, optionButton, safetyNote } from "./common.js";
import { codeEntry } from "./followup.js";

export function viewLoading() {
  return el("p", { class: "loading", text: "…" });
}

export function viewLanguage(S, act) {
  const list = current.locales.map((l) =>
    el(
      "li",
      null,
      el(
        "button",
        {
          type: "button",
          class: "option option--lang",
          lang: l.code,
          dir: l.dir,
          "aria-current": l.code === current.locale ? "true" : null,
          onclick: () => act.chooseLanguage(l.code),
        },
        l.name,
      ),
    ),
  );
  return [heading(_("Choose a language")), el("ul", { class: "options options--lang" }, list), safetyNote()];
}

export function viewAbout(S, act) {
  const choose = (audience) => act.choose("audience", audience, "topic");
  const qid = uniqueId("q");
  return [
    el("button", { type: "button", class: "back", onclick: () => act.go("language") }, el("span", { text: _("Change language") })),
    heading(_("Talk to us anonymously")),
    el("p", { class: "lead", text: _("Here you can chat with a counsellor at the regional resource centre about honour-related violence and oppression, forced or child marriage, and female genital mutilation.") }),
    el("p", { text: _("You do not need to give your name. The conversation is deleted when the chat ends.") }),
    codeEntry(S, act),
    el("h2", { id: qid, class: "question", text: _("Who is this about?") }),
    el(
      "div",
      { class: "options", role: "group", "aria-labelledby": qid },
      optionButton(_("Myself"), null, () => choose("self")),
      optionButton(_("Someone else"), _("For example a friend, a sibling or a classmate."), () => choose("other")),
      optionButton(_("I am a professional"), _("For example a teacher, social worker or nurse."), () => choose("professional")),
    ),
    safetyNote(),
  ];
}

export function viewTopic(S, act) {
  const choose = (topic) => act.choose("topic", topic, "danger");
  return [
    backButton(() => act.go("about")),
    heading(_("What is it about?")),
    el("p", { class: "hint", text: _("Choose the one that fits best. You can skip this question.") }),
    el(
      "div",
      { class: "options", role: "group", "aria-label": _("What is it about?") },
      optionButton(_("Control and restrictions"), _("For example who you may meet, what you may wear, or your phone being checked."), () => choose("control")),
      optionButton(_("Marriage"), _("Forced marriage, child marriage, or being taken abroad to marry."), () => choose("marriage")),
      optionButton(_("Female genital mutilation"), _("Also called FGM or female circumcision."), () => choose("fgm")),
      optionButton(_("Violence or threats"), null, () => choose("violence")),
      optionButton(_("Something else"), null, () => choose("other")),
      optionButton(_("Skip this question"), null, () => choose(null), "option--quiet"),
    ),
  ];
}

export function viewDanger(S, act) {
  const self = S.choices.audience === "self";
  const title = self ? _("Are you in danger right now?") : _("Is the person you are worried about in danger right now?");
  return [
    backButton(() => act.go("topic")),
    heading(title),
    el(
      "div",
      { class: "options options--row", role: "group", "aria-label": title },
      optionButton(_("Yes"), null, () => act.choose("urgent", true, "urgent")),
      optionButton(_("No"), null, () => act.choose("urgent", false, "age")),
    ),
  ];
}

export function viewUrgent(S, act) {
  return [
    el(
      "div",
      { class: "emergency" },
      heading(_("Call 112 now")),
      el("p", { class: "lead", text: _("If you or someone else is in danger, call 112. The call is free and is answered day and night.") }),
      el("a", { class: "call call--112", href: "tel:112" }, el("span", { class: "call-name", text: _("Call 112") })),
    ),
    el("p", { text: _("If you cannot call, you can still chat with us. Your chat will be given priority.") }),
    el("div", { class: "actions-row" }, el("button", { type: "button", class: "primary", onclick: () => act.go("age") }, _("Continue to the chat"))),
    backButton(() => act.go("danger")),
  ];
}

export function viewAge(S, act) {
  const self = S.choices.audience === "self";
  const choose = (band) => act.choose("age_band", band, null);
  const title = self ? _("How old are you?") : _("How old is the person this is about?");
  const bands = [
    ["13-15", _("13–15 years")],
    ["16-17", _("16–17 years")],
    ["18-21", _("18–21 years")],
    ["22-26", _("22–26 years")],
    ["over-26", _("Over 26 years")],
  ];
  return [
    backButton(() => act.go(S.choices.urgent ? "urgent" : "danger")),
    heading(title),
    el("p", { class: "hint", text: _("You can skip this question.") }),
    el(
      "div",
      { class: "options options--grid", role: "group", "aria-label": title },
      bands.map(([band, label]) => optionButton(label, null, () => choose(band))),
      optionButton(_("Skip this question"), null, () => choose(null), "option--quiet"),
    ),
  ];
}

export function viewStarting() {
  return [heading(_("Connecting you to the chat…")), el("p", { class: "loading", "aria-hidden": "true" }, el("span", { class: "spinner" }))];
}
