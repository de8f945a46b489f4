// Shared helpers for the RC feature modules (triage, referrals, statistics, follow-up).

// Emit on the /operator socket and resolve with the ack (or a stable error object).
export function call(api, event, payload) {
  const { _ } = api;
  return new Promise((resolve) => {
    const socket = api.socket;
    if (!socket) {
      resolve({ ok: false, error: { code: "unavailable", message: _("No answer from the server. Check your connection.") } });
      return;
    }
    socket.timeout(10000).emit(event, payload, (err, ack) =>
      resolve(err ? { ok: false, error: { code: "unavailable", message: _("No answer from the server. Check your connection.") } } : ack),
    );
  });
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

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

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
