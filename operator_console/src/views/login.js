// Login (username, password, TOTP code) and the first-run setup of the first admin.
import { api, session } from "../lib/api.js";
import { el } from "../../../frontend_lib/dom.js";
import { _ } from "../../../frontend_lib/i18n.js";
import { field } from "../lib/forms.js";
import { errorText } from "../lib/labels.js";

function loginError(err) {
  if (err.code === "rate_limited") return _("Too many attempts. Wait a few minutes before you try again.");
  if (err.code === "unauthorized") return _("Wrong username, password or code.");
  return errorText(err);
}

export function loginView(onLoggedIn, notice) {
  const user = el("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const pass = el("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const code = el("input", {
    name: "totp", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: "6", required: true,
  });
  const error = el("p", { class: "form-error", role: "alert" });
  const button = el("button", { class: "primary", type: "submit", text: _("Log in") });
  const form = el(
    "form",
    { class: "card auth", novalidate: true },
    el("h1", { text: _("Log in to the console") }),
    notice ? el("p", { class: "notice", role: "status", text: notice }) : null,
    field(_("Username"), user),
    field(_("Password"), pass),
    field(_("Code from your authenticator app"), code, _("Six digits. A new code appears every 30 seconds.")),
    error,
    button,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!user.value.trim() || !pass.value || !/^\d{6}$/.test(code.value.trim())) {
      error.textContent = _("Fill in your username, password and the six-digit code.");
      return;
    }
    button.disabled = true;
    try {
      const data = await api("POST", "/api/login", { username: user.value.trim(), password: pass.value, totp: code.value.trim() });
      session.csrf = data.csrf;
      onLoggedIn(data.staff);
    } catch (err) {
      error.textContent = loginError(err);
      code.value = "";
      code.focus();
    } finally {
      button.disabled = false;
    }
  });
  return el("main", { class: "auth-page", id: "main" }, form);
}

export function enrolmentPanel(enrolment) {
  // The QR code is an SVG drawn by the server, shown as an image (no inline markup).
  return el(
    "div",
    { class: "enrol" },
    el("img", { class: "qr", src: enrolment.qr, alt: _("QR code to add the account to an authenticator app"), width: "200", height: "200" }),
    el(
      "div",
      {},
      el("p", { text: _("Scan the QR code with an authenticator app, or type this key into it:") }),
      el("p", { class: "secret", dir: "ltr" }, el("code", { "data-testid": "totp-secret", text: enrolment.secret.replace(/(.{4})/g, "$1 ").trim() })),
    ),
  );
}

export function setupView(token, onDone) {
  const user = el("input", { autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const name = el("input", { autocomplete: "name", required: true });
  const pass = el("input", { type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const pass2 = el("input", { type: "password", autocomplete: "new-password", required: true });
  const error = el("p", { class: "form-error", role: "alert" });
  const step2 = el("div", { class: "step2", hidden: true });
  const next = el("button", { class: "primary", type: "button", text: _("Continue") });
  const main = el(
    "main",
    { class: "auth-page", id: "main" },
    el(
      "form",
      { class: "card auth wide", novalidate: true },
      el("h1", { text: _("Create the first admin account") }),
      el("p", { text: _("This link works once. The account needs a password and an authenticator app.") }),
      field(_("Username"), user),
      field(_("Display name"), name, _("Shown to visitors. A first name or an alias is enough.")),
      field(_("Password"), pass, _("At least 12 characters.")),
      field(_("Password again"), pass2),
      next,
      step2,
      error,
    ),
  );
  const form = main.querySelector("form");
  next.addEventListener("click", async () => {
    error.textContent = "";
    if (!user.value.trim() || !name.value.trim()) return void (error.textContent = _("Fill in every field."));
    if (pass.value.length < 12) return void (error.textContent = _("Choose a longer password: at least 12 characters."));
    if (pass.value !== pass2.value) return void (error.textContent = _("The two passwords are not the same."));
    try {
      const data = await api("POST", "/api/setup/begin", { token, username: user.value.trim() });
      next.hidden = true;
      const code = el("input", { inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", required: true });
      const create = el("button", { class: "primary", type: "submit", text: _("Create account") });
      step2.hidden = false;
      step2.append(el("h2", { text: _("Set up your authenticator app") }), enrolmentPanel(data.enrolment), field(_("Code from your authenticator app"), code), create);
      code.focus();
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const code = step2.querySelector("input");
    if (!code) return;
    try {
      await api("POST", "/api/setup/complete", {
        token, username: user.value.trim(), name: name.value.trim(), password: pass.value, totp: code.value.trim(),
        locale: document.documentElement.lang,
      });
      onDone();
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  return main;
}
