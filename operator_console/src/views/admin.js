// Administration: accounts, opening hours (admin_hours.js), canned responses, audit log,
// overflow between centres (admin_centres.js), of one resource centre: a person who administers several chooses it (issue 19).
import { clear, el, uniqueId } from "../../../frontend_lib/dom.js";
import { _, current, fmt, languageLabel } from "../../../frontend_lib/i18n.js";
import { field, modal } from "../lib/forms.js";
import { dateTimeOf } from "../lib/locale.js";
import { errorText, roleLabel } from "../lib/labels.js";
import { AUDIENCES, accountForm, accountPayload, accountProblems } from "../state/account_model.js";
import { adminCentres, initialCentre, needsPicker, scopedPath } from "../state/centre_scope.js";
import { overflowEditor } from "./admin_centres.js";
import { hoursEditor } from "./admin_hours.js";
import { confirmDialog } from "./dialogs.js";
import { enrolmentPanel } from "./login.js";

const ROLES = ["operator", "supervisor", "admin"];
let section = "accounts";
let chosenCentre = null;

// The centre picker, only for someone with more than one centre to administer; it
// calls ``onChange`` with the chosen centre's id.
function centrePicker(centres, selected, onChange) {
  const id = uniqueId("centre");
  const select = el("select", { id });
  for (const c of centres) select.append(el("option", { value: c.id, text: c.name }));
  select.value = selected;
  select.addEventListener("change", () => onChange(select.value));
  return el("p", { class: "centre-picker" }, el("label", { for: id, text: _("Resource centre") }), " ", select);
}

export function adminView(main, outer) {
  // Every admin request of the sections goes to the chosen centre (null: the person's own).
  let ctx = outer;
  const picker = el("div");
  const sections = [
    ["accounts", _("Accounts"), accounts],
    ["hours", _("Opening hours"), hoursEditor],
    ["canned", _("Canned responses"), canned],
    ["audit", _("Audit log"), audit],
    ["overflow", _("Overflow"), overflowEditor],
  ];
  const body = el("div", { class: "admin-body" });
  const nav = el("nav", { class: "subnav", "aria-label": _("Administration") });
  function show() {
    clear(nav);
    for (const [id, label] of sections) {
      const b = el("button", { type: "button", class: "view-tab", "aria-current": id === section ? "page" : null, "data-section": id, text: label });
      b.addEventListener("click", () => {
        section = id;
        show();
      });
      nav.append(b);
    }
    clear(body);
    sections.find((s) => s[0] === section)[2](body, ctx);
  }
  main.append(el("div", { class: "page" }, el("h1", { text: _("Administration") }), picker, nav, body));
  function useCentre(centre) {
    chosenCentre = centre;
    ctx = { ...outer, centre, api: (method, path, data) => outer.api(method, scopedPath(path, centre), data) };
    show();
  }
  outer.api("GET", "/api/centres").then(
    (listing) => {
      const centres = adminCentres(listing);
      if (!needsPicker(centres)) return show();
      const first = initialCentre(centres, chosenCentre);
      picker.append(centrePicker(centres, first, useCentre));
      useCentre(first);
    },
    () => show(), // an older server, or a store away: the person's own centre
  );
  return null;
}

function showEnrolment(title, username, enrolment) {
  return modal(title, (close) => {
    const done = el("button", { type: "button", class: "primary", text: _("Done") });
    done.addEventListener("click", () => close(true));
    return el("div", {},
      el("p", { text: fmt(_("Give this to {username} in person. It is shown only now."), { username }) }),
      enrolmentPanel(enrolment),
      el("div", { class: "dialog-actions" }, done));
  });
}

function audienceLabel(a) {
  return a === "professional" ? _("Professionals") : _("Young people and people close to them");
}

// The routing skills and languages of an account: the same fields in the new-account form
// and in the edit dialog. Returns {nodes, read(), show(problems)}.
function skillFields(form) {
  const errors = {};
  const error = (name) => (errors[name] = el("p", { class: "form-error", "data-field": name }));
  const langs = el("fieldset", { class: "checks inline", "data-field-box": "languages" }, el("legend", { text: _("Chat languages") }),
    current.locales.map((l) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "languages", value: l.code, checked: form.languages.includes(l.code) }), el("span", { text: languageLabel(l.code) }))),
    error("languages"));
  const auds = el("fieldset", { class: "checks inline", "data-field-box": "audiences" }, el("legend", { text: _("Takes chats from") }),
    AUDIENCES.map((a) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "audiences", value: a, checked: form.audiences.includes(a) }), el("span", { text: audienceLabel(a) }))),
    error("audiences"));
  const max = el("input", { name: "max-chats", type: "number", min: "1", max: "20", step: "1", inputmode: "numeric", class: "narrow", value: form.maxChats });
  const maxField = field(_("Chats at the same time"), max, _("Empty: the service's default."));
  maxField.append(error("maxChats"));
  return {
    nodes: [langs, auds, maxField],
    read: () => ({
      languages: [...langs.querySelectorAll("input:checked")].map((i) => i.value),
      audiences: [...auds.querySelectorAll("input:checked")].map((i) => i.value),
      maxChats: max.value,
    }),
    errors,
  };
}

// Shows each problem under its field and focuses the first; true when there were none.
function showProblems(root, errors, problems) {
  for (const p of Object.values(errors)) p.textContent = "";
  for (const p of problems) if (errors[p.field]) errors[p.field].textContent = p.message;
  if (!problems.length) return true;
  const box = root.querySelector(`[data-field-box="${problems[0].field}"] input, [name="${{ username: "new-username", name: "new-name", password: "new-password", maxChats: "max-chats" }[problems[0].field]}"]`);
  if (box) box.focus();
  return false;
}

// --- accounts -----------------------------------------------------------------------------
function accounts(host, ctx) {
  const list = el("tbody");
  const error = el("p", { class: "form-error", role: "alert" });
  const errors = {};
  const withError = (label, control, name, hint) => {
    const f = field(label, control, hint);
    errors[name] = el("p", { class: "form-error", "data-field": name });
    f.append(errors[name]);
    return f;
  };
  const username = el("input", { name: "new-username", autocomplete: "off", required: true, autocapitalize: "none", spellcheck: "false" });
  const name = el("input", { name: "new-name", autocomplete: "off", required: true });
  const password = el("input", { name: "new-password", type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const role = el("select", { name: "new-role" }, ROLES.map((r) => el("option", { value: r, text: roleLabel(r) })));
  const locale = el("select", { name: "new-locale" }, current.locales.map((l) => el("option", { value: l.code, lang: l.code, text: l.name, selected: l.code === current.locale })));
  const skills = skillFields({ languages: [current.locale], audiences: [...AUDIENCES], maxChats: "" });
  Object.assign(errors, skills.errors);
  const create = el("button", { type: "submit", class: "primary", text: _("Create account") });
  const form = el("form", { class: "card form-grid", novalidate: true },
    el("h2", { text: _("New account") }),
    withError(_("Username"), username, "username"), withError(_("Display name"), name, "name"),
    withError(_("Temporary password"), password, "password", _("At least 12 characters.")),
    field(_("Role"), role), field(_("Console language"), locale), ...skills.nodes, error, create);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const values = { username: username.value, name: name.value, password: password.value, role: role.value, locale: locale.value, ...skills.read() };
    if (!showProblems(form, errors, accountProblems(values, true))) return;
    try {
      const data = await ctx.api("POST", "/api/admin/staff", accountPayload(values, true));
      form.reset();
      await showEnrolment(_("Account created"), data.staff.username, data.enrolment);
      load();
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  host.append(
    // Focusable: on a phone the table scrolls sideways, also by keyboard.
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": _("Accounts") },
      el("table", { class: "grid" }, el("caption", { class: "visually-hidden", text: _("Accounts") }),
        el("thead", {}, el("tr", {}, [_("Username"), _("Display name"), _("Role"), _("Languages"), _("Takes chats from"), _("Status"), _("Actions")].map((h) => el("th", { scope: "col", text: h })))),
        list)),
    form);

  async function change(s, payload, message) {
    try {
      await ctx.api("PATCH", `/api/admin/staff/${encodeURIComponent(s.id)}`, payload);
      ctx.notify(message);
    } catch (err) {
      ctx.notify(errorText(err));
    }
    load();
  }

  function editDialog(s) {
    return modal(fmt(_("Edit the account {username}"), { username: s.username }), (close) => {
      const nameInput = el("input", { name: "new-name", autocomplete: "off", value: s.name });
      const fields = skillFields(accountForm(s));
      const errs = { ...fields.errors, name: el("p", { class: "form-error", "data-field": "name" }) };
      const nameField = field(_("Display name"), nameInput);
      nameField.append(errs.name);
      const cancel = el("button", { type: "button", class: "ghost", text: _("Cancel") });
      cancel.addEventListener("click", () => close(null));
      const f = el("form", { novalidate: true }, nameField, ...fields.nodes,
        el("div", { class: "dialog-actions" }, cancel, el("button", { type: "submit", class: "primary", text: _("Save") })));
      f.addEventListener("submit", (e) => {
        e.preventDefault();
        const values = { name: nameInput.value, ...fields.read() };
        if (showProblems(f, errs, accountProblems(values, false))) close(accountPayload(values, false));
      });
      return f;
    });
  }

  function row(s) {
    const roleSel = el("select", { "aria-label": fmt(_("Role of {username}"), { username: s.username }) }, ROLES.map((r) => el("option", { value: r, text: roleLabel(r), selected: r === s.role })));
    roleSel.addEventListener("change", async () => {
      const to = roleSel.value;
      const yes = await confirmDialog(
        _("Change the role"),
        fmt(_("Make {username} {role}? They are logged out everywhere and get the new rights when they log in again."), { username: s.username, role: roleLabel(to) }),
        _("Change the role"),
      );
      if (!yes) {
        roleSel.value = s.role;
        return;
      }
      change(s, { role: to }, _("The role was changed."));
    });
    const edit = el("button", { type: "button", class: "ghost small", text: _("Edit") });
    edit.addEventListener("click", async () => {
      const payload = await editDialog(s);
      if (payload) change(s, payload, _("The account was saved."));
    });
    const toggle = el("button", { type: "button", class: "ghost small", text: s.disabled ? _("Enable") : _("Disable") });
    toggle.addEventListener("click", () => change(s, { disabled: !s.disabled }, s.disabled ? _("The account was enabled.") : _("The account was disabled.")));
    const pw = el("button", { type: "button", class: "ghost small", text: _("Reset password") });
    pw.addEventListener("click", async () => {
      const value = await modal(fmt(_("New password for {username}"), { username: s.username }), (close) => {
        const input = el("input", { type: "password", autocomplete: "new-password", minlength: "12" });
        const problem = el("p", { class: "form-error", role: "alert" });
        const cancel = el("button", { type: "button", class: "ghost", text: _("Cancel") });
        cancel.addEventListener("click", () => close(null));
        const f = el("form", { novalidate: true }, field(_("New password"), input, _("At least 12 characters.")), problem, el("div", { class: "dialog-actions" }, cancel, el("button", { type: "submit", class: "primary", text: _("Save") })));
        f.addEventListener("submit", (e) => {
          e.preventDefault();
          if (input.value.length < 12) {
            problem.textContent = _("Choose a longer password: at least 12 characters.");
            input.focus();
            return;
          }
          close(input.value);
        });
        return f;
      });
      if (!value) return;
      try {
        await ctx.api("POST", `/api/admin/staff/${encodeURIComponent(s.id)}/password`, { password: value });
        ctx.notify(_("The password was changed. Their sessions were ended."));
      } catch (err) {
        ctx.notify(errorText(err));
      }
    });
    const totp = el("button", { type: "button", class: "ghost small", text: _("Reset authenticator") });
    totp.addEventListener("click", async () => {
      try {
        const data = await ctx.api("POST", `/api/admin/staff/${encodeURIComponent(s.id)}/totp`);
        await showEnrolment(_("New authenticator key"), s.username, data.enrolment);
      } catch (err) {
        ctx.notify(errorText(err));
      }
    });
    if (s.id === ctx.state.staff.id) {
      roleSel.disabled = true;
      toggle.disabled = true;
    }
    const max = s.max_chats == null ? _("default number") : String(s.max_chats);
    return el("tr", { class: s.disabled ? "muted" : null },
      el("td", {}, el("code", { text: s.username })),
      el("td", { dir: "auto", text: s.name }),
      el("td", {}, roleSel),
      el("td", { text: (s.languages || []).map(languageLabel).join(", ") }),
      el("td", { text: fmt(_("{audiences}; at most {max} at a time"), { audiences: (s.audiences || AUDIENCES).map(audienceLabel).join(", "), max }) }),
      el("td", { text: s.disabled ? _("Disabled") : _("Active") }),
      el("td", { class: "row-actions" }, edit, toggle, pw, totp));
  }

  async function load() {
    try {
      const data = await ctx.api("GET", "/api/admin/staff");
      clear(list);
      data.items.forEach((s) => list.append(row(s)));
    } catch (err) {
      error.textContent = errorText(err);
    }
  }
  load();
}

// --- canned responses ---------------------------------------------------------------------
function canned(host, ctx) {
  const locale = el("select", {}, current.locales.map((l) => el("option", { value: l.code, text: languageLabel(l.code) })));
  const items = el("div", { class: "canned-items" });
  const error = el("p", { class: "form-error", role: "alert" });
  const add = el("button", { type: "button", class: "ghost small", text: _("Add a response") });
  const reset = el("button", { type: "button", class: "ghost small", text: _("Restore the defaults") });
  const save = el("button", { type: "submit", class: "primary", text: _("Save responses") });
  const origin = el("p", { class: "hint" });
  let all = {};

  function item(it, n) {
    const title = el("input", { value: it.title, maxlength: "80", name: "title", dir: "auto" });
    const text = el("textarea", { rows: "2", maxlength: "2000", name: "text", dir: "auto", value: it.text });
    const remove = el("button", { type: "button", class: "ghost small", text: _("Remove") });
    const legendId = uniqueId("resp");
    remove.setAttribute("aria-describedby", legendId);
    const box = el("fieldset", { class: "canned-item", "data-id": it.id }, el("legend", { id: legendId, text: fmt(_("Response {n}"), { n }) }), field(_("Title"), title), field(_("Text"), text, _("{name} becomes your display name.")), remove);
    remove.addEventListener("click", () => box.remove());
    return box;
  }

  function show() {
    const entry = all[locale.value] || { items: [], custom: false };
    clear(items);
    entry.items.forEach((it, i) => items.append(item(it, i + 1)));
    origin.textContent = entry.custom ? _("These responses were written for this language.") : _("These are the translated default responses.");
    reset.disabled = !entry.custom;
    [...items.querySelectorAll("input, textarea")].forEach((n) => n.setAttribute("lang", locale.value));
  }
  locale.addEventListener("change", show);
  add.addEventListener("click", () => items.append(item({ id: `r${Date.now().toString(36)}`, title: "", text: "" }, items.children.length + 1)));
  async function put(list) {
    error.textContent = "";
    try {
      await ctx.api("PUT", `/api/admin/canned/${locale.value}`, { items: list });
      ctx.notify(_("Canned responses saved."));
      await load();
    } catch (err) {
      error.textContent = errorText(err);
    }
  }
  reset.addEventListener("click", async () => {
    const yes = await confirmDialog(
      _("Restore the defaults"),
      fmt(_("Replace the responses written for {language} with the translated defaults? The written ones are deleted."), { language: languageLabel(locale.value) }),
      _("Restore the defaults"),
      true,
    );
    if (yes) put([]);
  });
  const form = el("form", { class: "card", novalidate: true }, field(_("Language"), locale), origin, items, el("div", { class: "row" }, add, reset), error, save);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const list = [...items.querySelectorAll(".canned-item")].map((box) => ({ id: box.dataset.id, title: box.querySelector("input").value.trim(), text: box.querySelector("textarea").value.trim() }));
    const empty = list.findIndex((it) => !it.title || !it.text);
    if (empty >= 0) {
      error.textContent = fmt(_("Response {n} needs a title and a text."), { n: empty + 1 });
      items.querySelectorAll(".canned-item")[empty].querySelector(list[empty].title ? "textarea" : "input").focus();
      return;
    }
    put(list);
  });
  host.append(form);
  async function load() {
    const data = await ctx.api("GET", "/api/canned");
    all = data.locales;
    show();
  }
  load().catch((err) => (error.textContent = errorText(err)));
}

// --- audit log ----------------------------------------------------------------------------
function actionLabel(a) {
  const labels = {
    login: _("Logged in"), login_failed: _("Failed login"), logout: _("Logged out"), duty_on: _("On duty"), duty_off: _("Off duty"),
    accept: _("Accepted a chat"), transfer: _("Transferred a chat"), end: _("Ended a chat"), block: _("Blocked a visitor"),
    observe: _("Observed a chat"), invite: _("Invited a colleague"), referral: _("Sent a referral"), staff_create: _("Created an account"),
    staff_update: _("Changed an account"), staff_disable: _("Disabled an account"), staff_enable: _("Enabled an account"),
    password_reset: _("Reset a password"), totp_reset: _("Reset an authenticator"), hours_update: _("Changed opening hours"),
    canned_update: _("Changed canned responses"), setup_admin: _("Created the first admin"),
    referral_directory_update: _("Changed the referral directory"), followup_create: _("Gave a follow-up code"),
    triage: _("Triaged a chat"), triage_skip: _("Skipped the triage of a chat"), centre_create: _("Created a resource centre"),
    centre_update: _("Changed a resource centre"), centre_membership: _("Changed an account's resource centres"),
  };
  return labels[a] || _("Other action");
}

// The details of an audit entry in words (they name staff and settings, never a chat).
function detailsText(e, names) {
  const d = e.details || {};
  const fieldNames = {
    name: _("display name"), languages: _("languages"), locale: _("console language"), audiences: _("who they take chats from"), max_chats: _("chats at the same time"),
    // A resource centre's fields (centre_update).
    names: _("names"), county: _("county"), municipalities: _("municipalities"), audience: _("who the centre is for"),
    disabled: _("closed for new chats"), origins: _("websites that may embed the chat"), overflow: _("overflow order"),
    overflow_wait_s: _("wait before overflow"),
  };
  const parts = [];
  if (d.role) parts.push(fmt(_("Role: {role}"), { role: roleLabel(d.role) }));
  if (Array.isArray(d.fields)) parts.push(fmt(_("Changed: {fields}"), { fields: d.fields.map((f) => fieldNames[f] || f).join(", ") }));
  if (d.to) parts.push(d.to === "queue" ? _("Back to the queue") : fmt(_("To: {name}"), { name: names[d.to] || "–" }));
  if (d.joined) parts.push(_("The colleague joined the chat."));
  if (d.op === "put") parts.push(_("Saved a receiver"));
  if (d.op === "delete") parts.push(_("Deleted a receiver"));
  if (typeof d.count === "number") parts.push(fmt(_("{n} responses"), { n: d.count }));
  return parts.join(" · ");
}

function audit(host, ctx) {
  const body = el("tbody");
  const more = el("button", { type: "button", class: "ghost", text: _("Show older entries") });
  const error = el("p", { class: "form-error", role: "alert" });
  let oldest = null;
  let names = {};
  host.append(
    el("p", { class: "hint", text: _("Who did what, and when. The log never holds message content. Actions on a chat are shown to the hour, without the chat.") }),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": _("Audit log") }, el("table", { class: "grid" }, el("caption", { class: "visually-hidden", text: _("Audit log") }),
      el("thead", {}, el("tr", {}, [_("Time"), _("Who"), _("Action"), _("Object"), _("Details")].map((h) => el("th", { scope: "col", text: h })))), body)),
    error, more);
  async function load() {
    try {
      if (!oldest) {
        const staff = await ctx.api("GET", "/api/admin/staff");
        names = Object.fromEntries(staff.items.map((s) => [s.id, s.name]));
      }
      const data = await ctx.api("GET", `/api/admin/audit${oldest ? `?before=${oldest}` : ""}`);
      data.items.forEach((e) => {
        const target = e.target_name || (e.target === "hours" ? _("Opening hours") : e.target) || "–";
        body.append(el("tr", {},
          el("td", {}, el("bdi", { dir: "ltr", text: dateTimeOf(e.ts) })),
          el("td", {}, el("code", { text: e.actor_name || "–" })),
          el("td", { text: actionLabel(e.action) }),
          el("td", {}, el("code", { dir: "auto", text: target })),
          el("td", { text: detailsText(e, names) })));
        oldest = e.ts;
      });
      more.hidden = data.items.length < 100;
    } catch (err) {
      error.textContent = errorText(err);
    }
  }
  more.addEventListener("click", load);
  load();
}
