// The end-of-chat triage form (issue 5): categories, audience, age band, gender,
// language, risk and actions. Everything only feeds aggregate statistics. When the
// visitor may be under 18 and there are signs of harm, the form reminds the operator of
// the duty to report (SoL 14 kap. 1 §) before the chat ends.
import { modal } from "../lib/forms.js";
import { call, choiceGroup, nextId, triageSchema } from "./rc_common.js";

export function install(api) {
  const { _, el, fmt } = api;

  api.setEndDialog(async (conversation) => {
    let schema;
    try {
      schema = await triageSchema(api);
    } catch (e) {
      api.notify(_("The triage form could not be loaded."));
      return null;
    }
    const labels = schema.labels;
    const opts = (field) => schema[field].map((value) => ({ value, label: labels[field][value] || value }));

    return modal(fmt(_("End the chat with {name}"), { name: conversation.pseudonym }), (close) => {
      const categories = choiceGroup(api, { legend: _("What was the chat about? (choose all that apply)"), name: "cat", type: "checkbox", options: opts("categories") });
      const risk = choiceGroup(api, { legend: _("Risk level"), name: "risk", type: "radio", options: opts("risks") });
      const actions = choiceGroup(api, { legend: _("Actions taken"), name: "act", type: "checkbox", options: opts("actions") });

      const select = (label, field, preset) => {
        const id = nextId(field);
        const control = el("select", { id }, el("option", { value: "", text: _("Not recorded") }),
          opts(field).map((o) => el("option", { value: o.value, text: o.label, selected: o.value === preset })));
        return { node: el("div", { class: "field" }, el("label", { for: id, text: label }), control), control };
      };
      const presetAudience = conversation.audience;
      const presetAge = schema.age_bands.includes(conversation.age_band) ? conversation.age_band : "";
      const audience = select(_("Who was the chat with?"), "audiences", presetAudience);
      const age = select(_("Age band"), "age_bands", presetAge);
      const gender = select(_("Gender (optional)"), "genders", "");
      const langId = nextId("lang");
      const language = el("select", { id: langId },
        el("option", { value: "", text: _("Not recorded") }),
        (schema.languages || []).map((l) => el("option", { value: l.code, text: api.languageLabel(l.code), selected: l.code === conversation.locale })),
        el("option", { value: "other", text: _("Other language") }));

      const reminder = el("div", { class: "notice report-duty", role: "alert", hidden: true },
        el("p", { text: schema.report_duty_text }));
      const error = el("p", { class: "form-error", role: "alert" });

      const harm = new Set(schema.harm_categories);
      const under18 = new Set(schema.under_18);
      const update = () => {
        const ageBand = age.control.value || conversation.age_band;
        reminder.hidden = !(under18.has(ageBand) && categories.values().some((c) => harm.has(c)));
      };
      for (const input of [...categories.inputs, age.control]) input.addEventListener("change", update);
      update();

      const collect = () => {
        const form = { categories: categories.values(), risk: risk.values()[0], actions: actions.values() };
        if (audience.control.value) form.audience = audience.control.value;
        if (age.control.value) form.age_band = age.control.value;
        if (gender.control.value) form.gender = gender.control.value;
        if (language.value) form.language = language.value;
        return form;
      };

      // "End chat" (no triage) keeps the console's usual wording for ending; the primary
      // action saves the triage first.
      const submit = el("button", { type: "submit", class: "primary danger", text: _("Save and end") });
      const skip = el("button", { type: "button", class: "ghost", text: _("End chat") });
      const cancel = el("button", { type: "button", class: "ghost", text: _("Cancel") });
      skip.addEventListener("click", () => close({}));
      cancel.addEventListener("click", () => close(null));

      const form = el("form", { class: "triage-form" },
        el("p", { class: "hint", text: _("Only counts are kept for statistics. Nothing here is linked to the visitor.") }),
        categories.node, risk.node, actions.node, audience.node, age.node, gender.node,
        el("div", { class: "field" }, el("label", { for: langId, text: _("Language of the chat") }), language),
        reminder, error,
        el("div", { class: "actions" }, submit, skip, cancel));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const triage = collect();
        if (!triage.categories.length || !triage.risk) {
          error.textContent = _("Choose at least one category and a risk level.");
          return;
        }
        // Ask the server too: it applies the same rule and validates the form.
        const check = await call(api, "triage_check", { conversation_id: conversation.id, triage });
        if (!check.ok) {
          error.textContent = check.error.message;
          return;
        }
        if (check.report_duty && reminder.hidden) {
          reminder.hidden = false;
          return; // shown once more before ending
        }
        close(triage);
      });
      return form;
    });
  });
}
