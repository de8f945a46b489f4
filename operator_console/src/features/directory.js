// The referral directory for coordinators: every receiver with all its contact ways,
// area (municipality code, county) and languages, editable without losing anything
// (../state/receiver_model.js). Receivers marked "verify before use" are examples.
import { AREA_KINDS, CHANNEL_KINDS, MAX_CHANNELS, emptyForm, formFromReceiver, receiverBody, receiverProblems } from "../state/receiver_model.js";
import { pickCentre } from "../lib/centre_picker.js";
import { errorText } from "../lib/labels.js";
import { coordinatorCentres, mayEditReceiver, scopedPath } from "../state/centre_scope.js";
import { confirmDialog } from "../views/dialogs.js";
import { nextId } from "./rc_common.js";

export function install(api) {
  api.addView({ id: "referrals", label: () => api._("Referral directory"), roles: ["supervisor", "admin"], mount: (root) => directoryView(api, root) });
}

function channelLabel(api, kind) {
  const { _ } = api;
  return { phone: _("Phone"), web: _("Website"), chat: _("Chat"), visit: _("Visiting address"), email: _("E-mail") }[kind] || _("Other");
}

function areaKindLabel(api, kind) {
  const { _ } = api;
  return { national: _("The whole country"), municipality: _("Municipality"), region: _("Region") }[kind];
}

// What the card tells the visitor: the type's own text, or one of the special ones.
function textLabel(api, d, text) {
  const { _ } = api;
  const type = d.types.find((t) => t.id === text);
  if (type) return type.label;
  return { emergency: _("Emergency number 112"), bris: "BRIS", kvinnofridslinjen: "Kvinnofridslinjen" }[text] || _("Other");
}

function hoursLabel(api, hours) {
  const { _ } = api;
  if (hours === "always") return _("Open around the clock.");
  if (hours === "office") return _("Open on weekdays during office hours.");
  return hours;
}

function directoryView(api, root) {
  const { _, el, fmt } = api;
  const status = el("p", { role: "status", class: "hint" });
  const table = el("div");
  const editor = el("div");
  const centreBox = el("div");
  root.append(el("div", { class: "page" }, el("section", { class: "card" },
    el("h1", { text: _("Referral directory") }),
    centreBox,
    el("p", { class: "hint", text: _("Receivers marked \"verify before use\" are examples. Check every number and address against the receiver's own website, then clear the mark.") }),
    el("p", { class: "hint", text: _("Receivers for the whole country are shared by every resource centre; only a national administrator can change them.") }),
    status, table), editor));

  // The centre whose directory is shown (null: the person's own), and whether the
  // national receivers are theirs to change (services/referrals.py Referrals.do_put).
  let centre = null;
  let nationalAdmin = false;
  const path = (p) => scopedPath(p, centre);
  let directory = null;
  // Only the newest request draws (another centre may have been chosen meanwhile).
  let asked = 0;
  const load = async () => {
    const mine = ++asked;
    try {
      const d = await api.api("GET", path("/api/referrals"));
      if (mine !== asked) return;
      directory = d;
      status.textContent = "";
      renderTable(directory);
    } catch (e) {
      if (mine === asked) status.textContent = _("The referral directory could not be loaded.");
    }
  };

  const areaText = (a) => (a.kind === "national" ? _("The whole country") : [a.name, a.county, a.code].filter(Boolean).join(", "));
  const channelText = (c) => (c.note ? fmt(_("{value} ({note})"), { value: c.value, note: c.note }) : c.value);

  const renderTable = (d) => {
    const add = el("button", { type: "button", class: "primary", text: _("Add a receiver") });
    add.addEventListener("click", () => edit(d, null));
    const rows = d.receivers.map((r) => {
      const nameId = nextId("rcv");
      let btn = el("span", { class: "hint", text: _("Shared by every centre") });
      if (mayEditReceiver(r, nationalAdmin)) {
        btn = el("button", { type: "button", class: "ghost small", text: _("Edit"), "aria-describedby": nameId });
        btn.addEventListener("click", () => edit(d, r));
      }
      const type = d.types.find((t) => t.id === r.type);
      return el("tr", {},
        el("td", { id: nameId, dir: "auto", text: r.name }),
        el("td", { text: type ? type.label : _("Other") }),
        el("td", { dir: "auto", text: areaText(r.area) }),
        el("td", {}, el("ul", { class: "editor-list" }, r.channels.map((c) => el("li", {}, el("span", { class: "hint", text: `${channelLabel(api, c.kind)}: ` }), el("bdi", { text: channelText(c) }))))),
        el("td", { text: r.languages.length ? r.languages.map(api.languageLabel).join(", ") : "–" }),
        el("td", {}, r.verify ? el("span", { class: "tag danger tiny", text: _("Verify before use") }) : el("span", { text: _("Verified") })),
        el("td", {}, btn));
    });
    table.replaceChildren(add, el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": _("Receivers") }, el("table", { class: "grid directory-table" },
      el("caption", { class: "visually-hidden", text: _("Receivers") }),
      el("thead", {}, el("tr", {}, [_("Name"), _("Type"), _("Area"), _("Contact"), _("Languages"), _("Status"), _("Actions")].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))));
  };

  const edit = (d, r) => {
    const isNew = !r;
    const form = r ? formFromReceiver(r) : emptyForm(d.types[0].id);
    const errors = {};
    const error = (name) => (errors[name] = el("p", { class: "form-error", "data-field": name }));
    const input = (label, get, set, attrs = {}, hint = null) => {
      const id = nextId("rf");
      const control = el(attrs.multiline ? "textarea" : "input", { id, dir: "auto", value: get(), ...(attrs.multiline ? { rows: 3 } : {}), ...(attrs.extra || {}) });
      control.addEventListener("input", () => set(control.value));
      const hintEl = hint ? el("p", { class: "hint", id: `${id}-hint`, text: hint }) : null;
      if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
      return { node: el("div", { class: "field", "data-box": attrs.field }, el("label", { for: id, text: label }), control, hintEl, attrs.field ? error(attrs.field) : null), control };
    };
    const select = (label, options, value, onChange) => {
      const id = nextId("rf");
      const control = el("select", { id }, options.map(([v, text]) => el("option", { value: v, text, selected: v === value })));
      control.addEventListener("change", () => onChange(control.value));
      return { node: el("div", { class: "field" }, el("label", { for: id, text: label }), control), control };
    };

    const idField = input(_("Identifier"), () => form.id, (v) => (form.id = v), { field: "id", extra: { dir: "ltr", autocapitalize: "none", spellcheck: "false" } }, _("Small letters a–z, digits and dashes, e.g. socialtjansten-mora. It cannot be changed later."));
    if (!isNew) idField.control.readOnly = true;
    const name = input(_("Name"), () => form.name, (v) => (form.name = v), { field: "name" });
    const type = select(_("Type"), d.types.map((t) => [t.id, t.label]), form.type, (v) => {
      if (form.text === form.type) {
        form.text = v;
        text.control.value = v;
      }
      form.type = v;
    });
    const texts = [...new Set([...d.texts, form.text])].map((t) => [t, textLabel(api, d, t)]);
    const text = select(_("What the card tells the visitor"), texts, form.text, (v) => (form.text = v));

    // Area: kind, name, municipality code, county.
    const areaName = input(_("Municipality or region"), () => form.area.name, (v) => (form.area.name = v), { field: "area.name" });
    const areaCode = input(_("Municipality code"), () => form.area.code, (v) => (form.area.code = v), { field: "area.code", extra: { dir: "ltr", inputmode: "numeric" } }, _("Four digits, e.g. 2062 for Mora."));
    const county = input(_("County"), () => form.area.county, (v) => (form.area.county = v), { field: "area.county" });
    const areaParts = el("div", { class: "inline-fields" }, areaName.node, areaCode.node, county.node);
    // The whole country is the national admins' (a receiver shared by every centre).
    const kinds = AREA_KINDS.filter((k) => k !== "national" || nationalAdmin);
    const areaKind = select(_("Area"), kinds.map((k) => [k, areaKindLabel(api, k)]), form.area.kind, (v) => {
      form.area.kind = v;
      areaParts.hidden = v === "national";
    });
    areaParts.hidden = form.area.kind === "national";

    // Contact ways: several phones, addresses, links, each with its note.
    const channels = el("ol", { class: "editor-list" });
    const channelsError = error("channels");
    const drawChannels = () => {
      channels.replaceChildren();
      form.channels.forEach((c, i) => {
        const rowName = fmt(_("Contact {n}"), { n: i + 1 });
        const kindId = nextId("ch");
        const kind = el("select", { id: kindId }, CHANNEL_KINDS.map((k) => el("option", { value: k, text: channelLabel(api, k), selected: k === c.kind })));
        kind.addEventListener("change", () => (c.kind = kind.value));
        const valueId = nextId("ch");
        const value = el("input", { id: valueId, value: c.value, dir: "auto" });
        value.addEventListener("input", () => (c.value = value.value));
        const noteId = nextId("ch");
        const note = el("input", { id: noteId, value: c.note, dir: "auto" });
        note.addEventListener("input", () => (c.note = note.value));
        const legendId = nextId("ch");
        const remove = el("button", { type: "button", class: "ghost small", text: _("Remove"), "aria-describedby": legendId });
        remove.addEventListener("click", () => {
          form.channels.splice(i, 1);
          drawChannels();
        });
        channels.append(el("li", { "data-box": `channel:${i}` },
          el("fieldset", {}, el("legend", { id: legendId, text: rowName }),
            el("div", { class: "editor-row" },
              el("div", { class: "field" }, el("label", { for: kindId, text: _("Kind") }), kind),
              el("div", { class: "field" }, el("label", { for: valueId, text: _("Number, address or link") }), value),
              el("div", { class: "field" }, el("label", { for: noteId, text: _("Note (e.g. switchboard)") }), note),
              remove),
            error(`channel:${i}`))));
      });
      addChannel.disabled = form.channels.length >= MAX_CHANNELS;
    };
    const addChannel = el("button", { type: "button", class: "ghost small", text: _("Add a way to reach them") });
    addChannel.addEventListener("click", () => {
      form.channels.push({ kind: "phone", value: "", note: "" });
      drawChannels();
      const inputs = channels.querySelectorAll("li:last-child input");
      if (inputs.length) inputs[0].focus();
    });
    drawChannels();

    const known = ["", "always", "office"];
    const hoursOther = input(_("Opening hours in your own words"), () => (known.includes(form.hours) ? "" : form.hours), (v) => (form.hours = v), { field: "hours" });
    const hoursChoice = select(_("Opening hours"), [["", _("Not given")], ["always", hoursLabel(api, "always")], ["office", hoursLabel(api, "office")], ["other", _("Other (write them below)")]],
      known.includes(form.hours) ? form.hours : "other", (v) => {
        hoursOther.node.hidden = v !== "other";
        form.hours = v === "other" ? hoursOther.control.value : v;
      });
    hoursOther.node.hidden = known.includes(form.hours);

    const languages = el("fieldset", { class: "checks inline" }, el("legend", { text: _("Languages the receiver speaks (besides Swedish)") }),
      api.locales().map((l) => {
        const box = el("input", { type: "checkbox", value: l.code, checked: form.languages.includes(l.code) });
        box.addEventListener("change", () => {
          form.languages = form.languages.filter((x) => x !== l.code);
          if (box.checked) form.languages.push(l.code);
        });
        return el("label", { class: "check" }, box, el("span", { text: api.languageLabel(l.code) }));
      }));
    const notes = input(_("Notes for staff"), () => form.notes, (v) => (form.notes = v), { multiline: true, field: "notes" });
    const verifyId = nextId("rf");
    const verify = el("input", { type: "checkbox", id: verifyId, checked: form.verify });
    verify.addEventListener("change", () => (form.verify = verify.checked));
    const summary = el("p", { class: "form-error", role: "alert" });
    const save = el("button", { type: "submit", class: "primary", text: _("Save") });
    const cancel = el("button", { type: "button", class: "ghost", text: _("Cancel") });
    cancel.addEventListener("click", () => editor.replaceChildren());
    const del = r ? el("button", { type: "button", class: "ghost danger-text", text: _("Delete") }) : null;
    const titleId = nextId("rf");
    const node = el("form", { class: "card receiver-editor", novalidate: true, "aria-labelledby": titleId },
      el("h2", { id: titleId, dir: "auto", text: r ? fmt(_("Edit {name}"), { name: r.name }) : _("Add a receiver") }),
      idField.node, name.node, el("div", { class: "inline-fields" }, type.node, text.node),
      areaKind.node, areaParts,
      el("fieldset", {}, el("legend", { text: _("How to reach them") }), channels, channelsError, addChannel),
      el("div", { class: "inline-fields" }, hoursChoice.node, hoursOther.node),
      languages, notes.node,
      el("label", { class: "check", for: verifyId }, verify, el("span", { text: _("Verify before use (not yet checked)") })),
      summary, el("div", { class: "actions" }, save, cancel, del));

    node.addEventListener("submit", async (e) => {
      e.preventDefault();
      const problems = receiverProblems(form, d.receivers.map((x) => x.id), isNew);
      for (const p of Object.values(errors)) p.textContent = "";
      summary.textContent = "";
      if (problems.length) {
        for (const p of problems) if (errors[p.field]) errors[p.field].textContent = p.message;
        summary.textContent = _("Some fields need to be checked. The problems are marked below.");
        const first = node.querySelector(`[data-box="${problems[0].field}"] input, [data-box="${problems[0].field}"] textarea`);
        if (first) first.focus();
        return;
      }
      const body = receiverBody(form);
      try {
        await api.api("PUT", path(`/api/admin/referrals/${encodeURIComponent(body.id)}`), body);
        api.notify(fmt(_("{name} was saved."), { name: body.name }));
        editor.replaceChildren();
        load();
      } catch (err) {
        summary.textContent = err.code === "invalid" ? _("The server did not accept the receiver. Check the fields and try again.") : errorText(err);
      }
    });
    if (del) {
      del.addEventListener("click", async () => {
        const yes = await confirmDialog(_("Delete the receiver"), fmt(_("Delete {name} from the directory?"), { name: r.name }), _("Delete"), true);
        if (!yes) return;
        try {
          await api.api("DELETE", path(`/api/admin/referrals/${encodeURIComponent(r.id)}`));
          editor.replaceChildren();
          load();
        } catch (err) {
          summary.textContent = errorText(err);
        }
      });
    }
    editor.replaceChildren(node);
    (isNew ? idField.control : name.control).focus();
  };

  pickCentre("referrals", coordinatorCentres, (id) => {
    centre = id;
    editor.replaceChildren();
    load();
  }).then((picked) => {
    centre = picked.centre;
    nationalAdmin = picked.nationalAdmin;
    if (picked.node) centreBox.replaceChildren(picked.node);
    load();
  });
  return () => {};
}

