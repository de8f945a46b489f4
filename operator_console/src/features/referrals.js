// The referral directory (slussfunktion) for coordinators: receivers marked `verify`
// have not been checked yet ("verify before use"). The picker in a chat is
// referral_picker.js.
import { nextId } from "./rc_common.js";

let cache = null;
async function directory(api, fresh = false) {
  if (!cache || fresh) cache = await api.api("GET", "/api/referrals");
  return cache;
}

function channelText(ch) {
  return ch.note ? `${ch.value} (${ch.note})` : ch.value;
}

export function install(api) {
  const { _ } = api;

  api.addView({ id: "referrals", label: _("Referral directory"), roles: ["supervisor", "admin"], mount: (root) => directoryView(api, root) });
}

function directoryView(api, root) {
  const { _, el } = api;
  const status = el("p", { role: "status", class: "hint" });
  const table = el("div");
  const editor = el("div");
  root.append(el("section", { class: "card" },
    el("h1", { text: _("Referral directory") }),
    el("p", { class: "hint", text: _("Receivers marked \"verify before use\" are examples. Check every number and address against the receiver's own website, then clear the mark.") }),
    status, table, editor));

  const load = async () => {
    try {
      const d = await directory(api, true);
      renderTable(d);
    } catch (e) {
      status.textContent = _("The referral directory could not be loaded.");
    }
  };

  const renderTable = (d) => {
    const add = el("button", { type: "button", class: "primary", text: _("Add a receiver") });
    add.addEventListener("click", () => edit(d, null));
    const rows = d.receivers.map((r) => {
      const btn = el("button", { type: "button", class: "ghost small", text: _("Edit") });
      btn.addEventListener("click", () => edit(d, r));
      const type = d.types.find((t) => t.id === r.type);
      return el("tr", {},
        el("td", { text: r.name }),
        el("td", { text: type ? type.label : r.type }),
        el("td", { text: r.area.kind === "national" ? _("National") : r.area.name }),
        el("td", { text: r.channels.map(channelText).join(" · ") }),
        el("td", {}, r.verify ? el("span", { class: "tag danger tiny", text: _("Verify before use") }) : el("span", { text: _("Verified") })),
        el("td", {}, btn));
    });
    table.replaceChildren(add, el("table", { class: "data" },
      el("thead", {}, el("tr", {}, [_("Name"), _("Type"), _("Area"), _("Contact"), _("Status")].map((h) => el("th", { scope: "col", text: h })),
        el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: _("Actions") })))),
      el("tbody", {}, rows)));
  };

  const edit = (d, r) => {
    const input = (label, value, attrs = {}) => {
      const id = nextId("rf");
      const control = el(attrs.multiline ? "textarea" : "input", { id, value: value || "", ...(attrs.multiline ? { rows: 3 } : {}) });
      return { node: el("div", { class: "field" }, el("label", { for: id, text: label }), control), control };
    };
    const idField = input(_("Identifier (a-z, 0-9, -)"), r ? r.id : "");
    if (r) idField.control.readOnly = true;
    const name = input(_("Name"), r && r.name);
    const typeId = nextId("rf");
    const type = el("select", { id: typeId }, d.types.map((t) => el("option", { value: t.id, text: t.label, selected: r && r.type === t.id })));
    const area = input(_("Municipality (empty for national)"), r && r.area.kind !== "national" ? r.area.name : "");
    const phone = input(_("Phone"), r ? (r.channels.find((c) => c.kind === "phone") || {}).value : "");
    const web = input(_("Website (https://…)"), r ? (r.channels.find((c) => c.kind === "web") || {}).value : "");
    const hours = input(_("Opening hours (\"always\", \"office\" or your own text)"), r && r.hours);
    const notes = input(_("Notes for staff"), r && r.notes, { multiline: true });
    const verifyId = nextId("rf");
    const verify = el("input", { type: "checkbox", id: verifyId, checked: r ? r.verify : true });
    const error = el("p", { class: "form-error", role: "alert" });
    const save = el("button", { type: "submit", class: "primary", text: _("Save") });
    const del = r ? el("button", { type: "button", class: "ghost danger", text: _("Delete") }) : null;
    const form = el("form", { class: "card" },
      el("h2", { text: r ? r.name : _("Add a receiver") }),
      idField.node, name.node,
      el("div", { class: "field" }, el("label", { for: typeId, text: _("Type") }), type),
      area.node, phone.node, web.node, hours.node, notes.node,
      el("label", { class: "check", for: verifyId }, verify, el("span", { text: _("Verify before use (not yet checked)") })),
      error, el("div", { class: "actions" }, save, del));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const channels = [];
      if (phone.control.value.trim()) channels.push({ kind: "phone", value: phone.control.value.trim() });
      if (web.control.value.trim()) channels.push({ kind: "web", value: web.control.value.trim() });
      const keep = r ? r.channels.filter((c) => c.kind !== "phone" && c.kind !== "web") : [];
      const body = {
        type: type.value,
        text: r && r.text !== r.type ? r.text : null,
        name: name.control.value,
        area: area.control.value.trim() ? { kind: "municipality", name: area.control.value.trim() } : { kind: "national" },
        channels: [...channels, ...keep],
        hours: hours.control.value,
        languages: r ? r.languages : [],
        notes: notes.control.value,
        verify: verify.checked,
      };
      try {
        await api.api("PUT", `/api/admin/referrals/${encodeURIComponent(idField.control.value.trim())}`, body);
        api.notify(_("Saved."));
        editor.replaceChildren();
        load();
      } catch (err) {
        error.textContent = err.message || _("Check the fields and try again.");
      }
    });
    if (del) {
      del.addEventListener("click", async () => {
        if (!window.confirm(_("Delete this receiver from the directory?"))) return;
        await api.api("DELETE", `/api/admin/referrals/${encodeURIComponent(r.id)}`);
        editor.replaceChildren();
        load();
      });
    }
    editor.replaceChildren(form);
    idField.control.focus();
  };

  load();
  return () => {};
}
