// The triage of a chat as data: the draft form, when it is complete, and when the
// duty-to-report reminder applies. Pure; the rules' sets come from the server's schema
// (GET /api/triage: under_18, harm_categories, harm_topics), the same rule as
// chat_server/services/triage.py report_duty. Tested in test/triage.test.js.

// A new draft for `conv`, with what the visitor told at the start as presets.
export function emptyDraft(conv, schema) {
  const bands = (schema && schema.age_bands) || [];
  return {
    categories: [],
    risk: "",
    actions: [],
    audience: conv.audience || "",
    age_band: bands.includes(conv.age_band) ? conv.age_band : "",
    gender: "",
    language: conv.locale || "",
  };
}

// The draft of a chat, made once.
export function draftOf(chat, schema) {
  if (!chat.triageDraft) chat.triageDraft = emptyDraft(chat.conv, schema);
  return chat.triageDraft;
}

// Categories and a risk level: what the server requires.
export function draftComplete(draft) {
  return !!(draft && draft.categories.length && draft.risk);
}

// The form the server takes (`end`, `triage`): only the fields that were filled in.
export function draftToForm(draft) {
  const form = { categories: [...draft.categories], risk: draft.risk, actions: [...draft.actions] };
  for (const key of ["audience", "age_band", "gender", "language"]) if (draft[key]) form[key] = draft[key];
  return form;
}

// The harm categories of a draft (what is sent as marks while the chat runs).
export function harmOf(categories, schema) {
  const harm = new Set((schema && schema.harm_categories) || []);
  return categories.filter((c) => harm.has(c));
}

// Does the duty to report apply to `chat` now? Under 18 by the draft's age band, else
// the marked one, else the visitor's; and harm by the visitor's topic, a marked
// category or one in the draft.
export function reportDuty(chat, schema) {
  if (!schema) return false;
  const marks = chat.marks || {};
  const draft = chat.triageDraft || {};
  const age = draft.age_band || marks.age_band || chat.conv.age_band;
  if (!(schema.under_18 || []).includes(age)) return false;
  if ((schema.harm_topics || []).includes(chat.conv.topic)) return true;
  return harmOf([...(marks.categories || []), ...(draft.categories || [])], schema).length > 0;
}

// The reminder is shown and nobody has acknowledged it yet.
export function reportDutyOpen(chat, schema) {
  return reportDuty(chat, schema) && !(chat.marks && chat.marks.acknowledged_by);
}
