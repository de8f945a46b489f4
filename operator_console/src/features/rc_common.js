// Shared helpers for the RC feature modules (triage, referrals, statistics, follow-up).
import { uniqueId } from "../../../frontend_lib/dom.js";
import { call as socketCall } from "../connection.js";

// Emit on the /operator socket and resolve with the ack (or a stable error object with
// the local code "timeout" or "offline"; ../connection.js).
export function call(api, event, payload) {
  return socketCall(api.socket, event, payload);
}

// The triage form's options (GET /api/triage), fetched once per console locale.
let schemaCache = null;
export async function triageSchema(api) {
  if (!schemaCache || schemaCache.locale !== api.locale) {
    const body = await api.api("GET", "/api/triage");
    schemaCache = { locale: api.locale, schema: body.triage };
  }
  return schemaCache.schema;
}

// Document-unique ids (one counter with the rest of the console).
export const nextId = uniqueId;

// A fieldset of checkboxes or radios: [{value, label}] -> {node, values()}.
export function choiceGroup(api, { legend, name, type, options, selected = [] }) {
  const { el } = api;
  const inputs = [];
  const box = el("fieldset", { class: "checks-set" }, el("legend", { text: legend }));
  const wrap = el("div", { class: "checks" });
  for (const o of options) {
    const id = nextId(name);
    const input = el("input", { type, id, name, value: o.value, checked: selected.includes(o.value) });
    inputs.push(input);
    wrap.append(el("label", { class: "check", for: id }, input, el("span", { text: o.label })));
  }
  box.append(wrap);
  return { node: box, inputs, values: () => inputs.filter((i) => i.checked).map((i) => i.value) };
}
