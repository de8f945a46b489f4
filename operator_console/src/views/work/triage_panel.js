// The triage form of a chat: categories, risk, actions, who, age band, gender,
// language. During the chat it sits in the side panel and is saved with the end; the
// harm categories and the assessed age band are marks at once (the duty-to-report
// reminder and colleagues in the chat see them). After the end (a chat "to triage") it
// is saved or skipped with a reason. Only counts are ever kept (services/triage.py).
import { el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { ageLabel, audienceLabel } from "../../lib/labels.js";
import { known, triageSchema } from "../../lib/directory.js";
import { draftComplete, draftOf, draftToForm, harmOf } from "../../state/triage.js";

// A label for a value of a schema field, never a raw key.
function label(schema, field, value) {
  const own = schema.labels && schema.labels[field] && schema.labels[field][value];
  if (own) return own;
  if (field === "age_bands") return ageLabel(value);
  if (field === "audiences") return audienceLabel(value);
  return value;
}

function checks(schema, { legend, field, type, chosen, onChange }) {
  const box = el("fieldset", { class: "checks-set" }, el("legend", { text: legend }));
  const wrap = el("div", { class: "checks" });
  const name = uniqueId(field);
  for (const value of schema[field]) {
    const id = uniqueId(field);
    const input = el("input", { type, id, name, value, checked: chosen.includes(value) });
    input.addEventListener("change", () => onChange(value, input.checked));
    wrap.append(el("label", { class: "check", for: id }, input, el("span", { text: label(schema, field, value) })));
  }
  box.append(wrap);
  return box;
}

function select(schema, { text, field, value, onChange, options }) {
  const id = uniqueId(field);
  const items = options || schema[field].map((v) => ({ value: v, label: label(schema, field, v) }));
  const control = el(
    "select",
    { id },
    el("option", { value: "", text: _("Not recorded") }),
    items.map((o) => el("option", { value: o.value, text: o.label, lang: o.lang || null, selected: o.value === value })),
  );
  control.addEventListener("change", () => onChange(control.value));
  return el("div", { class: "field" }, el("label", { for: id, text }), control);
}

// Draw the form into `host` for `chat`. `after`: the chat has ended and waits for its
// triage (save and skip buttons); else it is the live chat's side panel.
export function renderTriage(ctx, chat, host) {
  const schema = known.schema;
  if (!schema) {
    host.append(el("p", { class: "hint", role: "status", text: _("Loading the triage form…") }));
    triageSchema()
      .then(() => host.isConnected && (host.replaceChildren(), renderTriage(ctx, chat, host)))
      .catch(() => host.isConnected && host.replaceChildren(el("p", { class: "form-error", text: _("The triage form could not be loaded.") })));
    return;
  }
  const after = !!chat.toTriage;
  const draft = draftOf(chat, schema);
  const error = el("p", { class: "form-error", role: "alert" });

  // Harm categories and the assessed age band are marks while the chat runs.
  const sendMarks = async () => {
    if (after || chat.ended || chat.role === "observer") return;
    const ack = await ctx.call("triage_marks", {
      conversation_id: chat.conv.id,
      categories: harmOf(draft.categories, schema),
      age_band: draft.age_band || "",
    });
    if (ack.ok) ctx.marksChanged(chat.conv.id, ack.marks);
  };
  const changed = (marks) => {
    error.textContent = "";
    ctx.renderDuty(chat);
    if (marks) sendMarks();
  };
  const toggle = (list, value, on) => {
    const i = list.indexOf(value);
    if (on && i < 0) list.push(value);
    if (!on && i >= 0) list.splice(i, 1);
  };

  const form = el(
    "form",
    { class: "triage-form", "aria-label": _("Triage") },
    el("p", { class: "hint", text: after ? _("Only counts are kept for statistics. Nothing here is linked to the visitor.") : _("Fill it in during the chat if you like: it is saved when you end the chat. Harm and age are shared with colleagues in the chat at once.") }),
    checks(schema, {
      legend: _("What was the chat about? (choose all that apply)"),
      field: "categories",
      type: "checkbox",
      chosen: draft.categories,
      onChange: (v, on) => {
        toggle(draft.categories, v, on);
        changed(true);
      },
    }),
    checks(schema, {
      legend: _("Risk level"),
      field: "risks",
      type: "radio",
      chosen: [draft.risk],
      onChange: (v) => {
        draft.risk = v;
        changed(false);
      },
    }),
    checks(schema, {
      legend: _("Actions taken"),
      field: "actions",
      type: "checkbox",
      chosen: draft.actions,
      onChange: (v, on) => {
        toggle(draft.actions, v, on);
        changed(false);
      },
    }),
    select(schema, { text: _("Who was the chat with?"), field: "audiences", value: draft.audience, onChange: (v) => ((draft.audience = v), changed(false)) }),
    select(schema, { text: _("Age band"), field: "age_bands", value: draft.age_band, onChange: (v) => ((draft.age_band = v), changed(true)) }),
    select(schema, { text: _("Gender (optional)"), field: "genders", value: draft.gender, onChange: (v) => ((draft.gender = v), changed(false)) }),
    select(schema, {
      text: _("Language of the chat"),
      field: "language",
      value: draft.language,
      onChange: (v) => ((draft.language = v), changed(false)),
      options: [...(schema.languages || []).map((l) => ({ value: l.code, label: l.name, lang: l.code })), { value: "other", label: _("Other language") }],
    }),
    error,
  );
  if (after) form.append(afterButtons(ctx, chat, schema, draft, error));
  else form.append(el("p", { class: "hint triage-status", text: draftComplete(draft) ? _("Complete: it is saved when you end the chat.") : _("Not complete yet: choose at least one category and a risk level.") }));
  form.addEventListener("change", () => {
    const status = form.querySelector(".triage-status");
    if (status) status.textContent = draftComplete(draft) ? _("Complete: it is saved when you end the chat.") : _("Not complete yet: choose at least one category and a risk level.");
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  host.append(form);
}

function afterButtons(ctx, chat, schema, draft, error) {
  const item = chat.toTriage;
  const save = el("button", { type: "button", class: "primary", text: _("Save triage") });
  const skip = el("button", { type: "button", class: "ghost", text: _("Skip triage…"), "aria-expanded": "false" });
  const reasonId = uniqueId("skip");
  const reason = el(
    "select",
    { id: reasonId },
    el("option", { value: "", text: _("Choose a reason") }),
    (schema.skip_reasons || []).map((r) => el("option", { value: r, text: label(schema, "skip_reasons", r) })),
  );
  const confirm = el("button", { type: "button", class: "ghost danger-text", text: _("Skip without triage") });
  const skipBox = el("div", { class: "skip-box", hidden: true }, el("div", { class: "field" }, el("label", { for: reasonId, text: _("Why is this chat not triaged?") }), reason), confirm);
  skip.addEventListener("click", () => {
    skipBox.hidden = !skipBox.hidden;
    skip.setAttribute("aria-expanded", String(!skipBox.hidden));
    if (!skipBox.hidden) reason.focus();
  });
  const done = (outcome) => ctx.triageDone(item.id, outcome);
  save.addEventListener("click", async () => {
    if (!draftComplete(draft)) {
      error.textContent = _("Choose at least one category and a risk level.");
      return;
    }
    save.disabled = true;
    const ack = await ctx.call("triage", { triage_id: item.id, triage: draftToForm(draft) });
    save.disabled = false;
    if (!ack.ok) error.textContent = ctx.errorText(ack.error);
    else done("recorded");
  });
  confirm.addEventListener("click", async () => {
    if (!reason.value) {
      error.textContent = _("Choose a reason for skipping the triage.");
      reason.focus();
      return;
    }
    confirm.disabled = true;
    const ack = await ctx.call("triage_skip", { triage_id: item.id, reason: reason.value });
    confirm.disabled = false;
    if (!ack.ok) error.textContent = ctx.errorText(ack.error);
    else done("skipped");
  });
  return el(
    "div",
    { class: "triage-after" },
    el("p", { class: "hint", text: _("It waits here for 24 hours. After that it counts as not triaged.") }),
    el("div", { class: "actions" }, save, skip),
    skipBox,
  );
}
