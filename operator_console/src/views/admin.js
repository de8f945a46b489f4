// Administration: accounts, opening hours, canned responses, audit log.
import { clear, el } from "../../../frontend_lib/dom.js";
import { _, current, fmt, languageName } from "../../../frontend_lib/i18n.js";
import { field, modal } from "../lib/forms.js";
import { dateTimeOf } from "../lib/locale.js";
import { errorText, roleLabel } from "../lib/labels.js";
import { enrolmentPanel } from "./login.js";

const ROLES = ["operator", "supervisor", "admin"];
let section = "accounts";

export function adminView(main, ctx) {
  const sections = [
    ["accounts", _("Accounts"), accounts],
    ["hours", _("Opening hours"), hours],
    ["canned", _("Canned responses"), canned],
    ["audit", _("Audit log"), audit],
  ];
  const body = el("div", { class: "admin-body" });
  const nav = el("nav", { class: "subnav", "aria-label": _("Administration") });
  function show() {
    clear(nav);
    for (const [id, label] of sections) {
      const b = el("button", { type: "button", class: "view-tab", "aria-current": id === section ? "page" : null, text: label });
      b.addEventListener("click", () => {
        section = id;
        show();
      });
      nav.append(b);
    }
    clear(body);
    sections.find((s) => s[0] === section)[2](body, ctx);
  }
  main.append(el("div", { class: "page" }, el("h1", { text: _("Administration") }), nav, body));
  show();
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

function languageChecks(selected) {
  return el("fieldset", { class: "checks inline" }, el("legend", { text: _("Chat languages") }),
    current.locales.map((l) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "languages", value: l.code, checked: selected.includes(l.code) }), el("span", { lang: l.code, dir: l.dir, text: l.name }))));
}

// --- accounts -----------------------------------------------------------------------------
function accounts(host, ctx) {
  const list = el("tbody");
  const error = el("p", { class: "form-error", role: "alert" });
  const username = el("input", { name: "new-username", autocomplete: "off", required: true, autocapitalize: "none", spellcheck: "false" });
  const name = el("input", { name: "new-name", autocomplete: "off", required: true });
  const password = el("input", { name: "new-password", type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const role = el("select", { name: "new-role" }, ROLES.map((r) => el("option", { value: r, text: roleLabel(r) })));
  const locale = el("select", { name: "new-locale" }, current.locales.map((l) => el("option", { value: l.code, text: l.name, selected: l.code === current.locale })));
  const langs = languageChecks([current.locale]);
  const create = el("button", { type: "submit", class: "primary", text: _("Create account") });
  const form = el("form", { class: "card form-grid", novalidate: true },
    el("h2", { text: _("New account") }),
    field(_("Username"), username), field(_("Display name"), name), field(_("Temporary password"), password, _("At least 12 characters.")),
    field(_("Role"), role), field(_("Console language"), locale), langs, error, create);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      const data = await ctx.api("POST", "/api/admin/staff", {
        username: username.value.trim(), name: name.value.trim(), password: password.value, role: role.value, locale: locale.value,
        languages: [...langs.querySelectorAll("input:checked")].map((i) => i.value),
      });
      form.reset();
      await showEnrolment(_("Account created"), data.staff.username, data.enrolment);
      load();
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  host.append(
    el("div", { class: "table-wrap" },
      el("table", { class: "grid" }, el("caption", { class: "visually-hidden", text: _("Accounts") }),
        el("thead", {}, el("tr", {}, [_("Username"), _("Display name"), _("Role"), _("Languages"), _("Status"), _("Actions")].map((h) => el("th", { scope: "col", text: h })))),
        list)),
    form);

  async function change(s, payload, message) {
    try {
      await ctx.api("PATCH", `/api/admin/staff/${encodeURIComponent(s.id)}`, payload);
      ctx.notify(message);
      load();
    } catch (err) {
      ctx.notify(errorText(err));
    }
  }

  function row(s) {
    const roleSel = el("select", { "aria-label": fmt(_("Role of {username}"), { username: s.username }) }, ROLES.map((r) => el("option", { value: r, text: roleLabel(r), selected: r === s.role })));
    roleSel.addEventListener("change", () => change(s, { role: roleSel.value }, _("The role was changed.")));
    const toggle = el("button", { type: "button", class: "ghost small", text: s.disabled ? _("Enable") : _("Disable") });
    toggle.addEventListener("click", () => change(s, { disabled: !s.disabled }, s.disabled ? _("The account was enabled.") : _("The account was disabled.")));
    const pw = el("button", { type: "button", class: "ghost small", text: _("Reset password") });
    pw.addEventListener("click", async () => {
      const value = await modal(fmt(_("New password for {username}"), { username: s.username }), (close) => {
        const input = el("input", { type: "password", autocomplete: "new-password", minlength: "12" });
        const cancel = el("button", { type: "button", class: "ghost", text: _("Cancel") });
        cancel.addEventListener("click", () => close(null));
        const f = el("form", {}, field(_("New password"), input, _("At least 12 characters.")), el("div", { class: "dialog-actions" }, cancel, el("button", { type: "submit", class: "primary", text: _("Save") })));
        f.addEventListener("submit", (e) => {
          e.preventDefault();
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
    const self = s.id === ctx.state.staff.id;
    if (self) {
      roleSel.disabled = true;
      toggle.disabled = true;
    }
    return el("tr", { class: s.disabled ? "muted" : null },
      el("td", {}, el("code", { text: s.username })),
      el("td", { dir: "auto", text: s.name }),
      el("td", {}, roleSel),
      el("td", { text: (s.languages || []).map(languageName).join(", ") }),
      el("td", { text: s.disabled ? _("Disabled") : _("Active") }),
      el("td", { class: "row-actions" }, toggle, pw, totp));
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

// --- opening hours ------------------------------------------------------------------------
function weekdayName(i) {
  // 2024-01-01 was a Monday; weekday 0 = Monday as in the hours document.
  return new Intl.DateTimeFormat(current.locale, { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, 1 + i)));
}

function hours(host, ctx) {
  const status = el("p", { class: "hint", role: "status" });
  const error = el("p", { class: "form-error", role: "alert" });
  const rows = el("tbody");
  const holidays = el("input", { type: "checkbox" });
  const lastCall = el("input", { type: "number", min: "0", max: "120", class: "narrow" });
  const exceptions = el("ul", { class: "exceptions" });
  const save = el("button", { type: "submit", class: "primary", text: _("Save opening hours") });
  const exDate = el("input", { type: "date" });
  const exFrom = el("input", { type: "time" });
  const exTo = el("input", { type: "time" });
  const exAdd = el("button", { type: "button", class: "ghost small", text: _("Add exception") });
  let doc = { weekly: {}, exceptions: {} };

  function timeInputs(day, ranges) {
    const first = (ranges && ranges[0]) || ["09:00", "16:00"];
    const open = el("input", { type: "checkbox", checked: !!(ranges && ranges.length), "aria-label": fmt(_("Open on {day}"), { day: weekdayName(day) }) });
    const from = el("input", { type: "time", value: first[0], "aria-label": fmt(_("Opens on {day}"), { day: weekdayName(day) }) });
    const to = el("input", { type: "time", value: first[1] === "24:00" ? "23:59" : first[1], "aria-label": fmt(_("Closes on {day}"), { day: weekdayName(day) }) });
    return el("tr", { "data-day": String(day) }, el("th", { scope: "row", text: weekdayName(day) }), el("td", {}, open), el("td", {}, from), el("td", {}, to));
  }

  function renderExceptions() {
    clear(exceptions);
    Object.keys(doc.exceptions).sort().forEach((day) => {
      const ranges = doc.exceptions[day];
      const remove = el("button", { type: "button", class: "ghost small", text: _("Remove") });
      remove.addEventListener("click", () => {
        delete doc.exceptions[day];
        renderExceptions();
      });
      exceptions.append(el("li", {}, el("span", { dir: "ltr", text: day }), " ", el("span", { text: ranges.length ? ranges.map((r) => r.join("–")).join(", ") : _("Closed") }), " ", remove));
    });
  }

  exAdd.addEventListener("click", () => {
    if (!exDate.value) return;
    doc.exceptions[exDate.value] = exFrom.value && exTo.value ? [[exFrom.value, exTo.value]] : [];
    renderExceptions();
  });

  const form = el("form", { class: "card", novalidate: true },
    el("h2", { text: _("Weekly hours") }),
    el("p", { class: "hint", text: _("Times are Swedish time. With no open day the chat is always open.") }),
    el("table", { class: "grid compact" }, el("thead", {}, el("tr", {}, [_("Day"), _("Open"), _("From"), _("To")].map((h) => el("th", { scope: "col", text: h })))), rows),
    el("label", { class: "check" }, holidays, _("Closed on Swedish public holidays")),
    field(_("No new chats this many minutes before closing"), lastCall),
    el("h2", { text: _("Exceptions") }),
    exceptions,
    el("div", { class: "inline-fields" }, field(_("Date"), exDate), field(_("From (empty: closed)"), exFrom), field(_("To"), exTo), exAdd),
    error, save, status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const weekly = {};
    rows.querySelectorAll("tr").forEach((tr) => {
      const [open, from, to] = tr.querySelectorAll("input");
      if (open.checked) weekly[tr.dataset.day] = [[from.value, to.value === "23:59" ? "24:00" : to.value]];
    });
    try {
      const data = await ctx.api("PUT", "/api/admin/hours", { weekly, exceptions: doc.exceptions, closed_on_holidays: holidays.checked, last_call_min: Number(lastCall.value || 0) });
      apply(data);
      ctx.notify(_("Opening hours saved."));
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  host.append(form);

  function apply(data) {
    doc = { weekly: data.hours.weekly, exceptions: { ...data.hours.exceptions } };
    clear(rows);
    for (let d = 0; d < 7; d++) rows.append(timeInputs(d, doc.weekly[String(d)]));
    holidays.checked = data.hours.closed_on_holidays;
    lastCall.value = String(data.hours.last_call_min);
    renderExceptions();
    status.textContent = data.status.always_open ? _("The chat is always open (no hours set).") : data.status.open_now ? _("The chat is open now.") : _("The chat is closed now.");
  }
  ctx.api("GET", "/api/hours").then(apply, (err) => (error.textContent = errorText(err)));
}

// --- canned responses ---------------------------------------------------------------------
function canned(host, ctx) {
  const locale = el("select", {}, current.locales.map((l) => el("option", { value: l.code, text: l.name })));
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
    const box = el("fieldset", { class: "canned-item", "data-id": it.id }, el("legend", { text: fmt(_("Response {n}"), { n }) }), field(_("Title"), title), field(_("Text"), text, _("{name} becomes your display name.")), remove);
    remove.addEventListener("click", () => box.remove());
    return box;
  }

  function show() {
    const entry = all[locale.value] || { items: [], custom: false };
    clear(items);
    entry.items.forEach((it, i) => items.append(item(it, i + 1)));
    origin.textContent = entry.custom ? _("These responses were written for this language.") : _("These are the translated default responses.");
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
  reset.addEventListener("click", () => put([]));
  const form = el("form", { class: "card", novalidate: true }, field(_("Language"), locale), origin, items, el("div", { class: "row" }, add, reset), error, save);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    put([...items.querySelectorAll(".canned-item")].map((box) => ({ id: box.dataset.id, title: box.querySelector("input").value, text: box.querySelector("textarea").value })));
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
  };
  return labels[a] || a;
}

function audit(host, ctx) {
  const body = el("tbody");
  const more = el("button", { type: "button", class: "ghost", text: _("Show older entries") });
  const error = el("p", { class: "form-error", role: "alert" });
  let oldest = null;
  host.append(
    el("p", { class: "hint", text: _("Who did what, and when. The log never holds message content.") }),
    el("div", { class: "table-wrap" }, el("table", { class: "grid" }, el("caption", { class: "visually-hidden", text: _("Audit log") }),
      el("thead", {}, el("tr", {}, [_("Time"), _("Who"), _("Action"), _("Object"), _("Details")].map((h) => el("th", { scope: "col", text: h })))), body)),
    error, more);
  async function load() {
    try {
      const data = await ctx.api("GET", `/api/admin/audit${oldest ? `?before=${oldest}` : ""}`);
      data.items.forEach((e) => {
        body.append(el("tr", {},
          el("td", { text: dateTimeOf(e.ts) }),
          el("td", {}, el("code", { text: e.actor_name || e.actor || "–" })),
          el("td", { text: actionLabel(e.action) }),
          el("td", {}, el("code", { text: e.target_name || e.target || "–" })),
          el("td", {}, el("code", { dir: "ltr", text: Object.keys(e.details || {}).length ? JSON.stringify(e.details) : "" }))));
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
