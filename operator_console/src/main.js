// The operator console: login, then one workplace with views (work, supervision,
// admin, and whatever feature modules add). See ../README.md.
import { clear, el, uniqueId } from "../../frontend_lib/dom.js";
import { _, current, fmt, loadLocales } from "../../frontend_lib/i18n.js";
import { call, connect as connectSocket, disconnect } from "./connection.js";
import { createFeatureApi } from "./feature_api.js";
import features from "./features/index.js";
import { api, session } from "./lib/api.js";
import { roleLabel } from "./lib/labels.js";
import { savedLocale, setConsoleLocale } from "./lib/locale.js";
import { beep, unlockAudio } from "./lib/sound.js";
import { adminView } from "./views/admin.js";
import { confirmDialog } from "./views/dialogs.js";
import { loginView, setupView } from "./views/login.js";
import { installAlerts, supervisorView } from "./views/supervisor.js";
import { createWork } from "./views/work/index.js";

const root = () => document.getElementById("app");
const state = { staff: null, socket: null, view: "work", views: [], chatTools: [], endDialog: null, handlers: [] };

// A notice (toast). `options.conversation`: the chat it is about, whose tab is marked
// until the chat is opened (the text names the chat too).
function notify(text, options = {}) {
  if (options.conversation && work) work.markAttention(options.conversation);
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = el("div", { class: "toast", text });
  // A calm corner: at most three notices at a time, the oldest goes first.
  while (region.children.length >= 3) region.firstChild.remove();
  region.append(item);
  setTimeout(() => item.remove(), 5000);
}

const consoleApi = createFeatureApi(state, {
  notify,
  viewsChanged: () => renderShell(),
  conversation: (id) => (work ? work.conversation(id) : null),
  logLocal: (conversationId, text) => work && work.logLocal(conversationId, text),
});

function builtinViews() {
  return [
    { id: "work", label: _("Chats"), roles: ["operator", "supervisor", "admin"], builtin: true },
    { id: "supervision", label: _("Supervision"), roles: ["supervisor", "admin"], builtin: true },
    { id: "admin", label: _("Administration"), roles: ["admin"], builtin: true },
  ];
}

let work = null;
let unmountView = null;

function languageSelect() {
  const id = uniqueId("lang");
  const select = el(
    "select",
    { id, class: "lang-select" },
    current.locales.map((l) => el("option", { value: l.code, lang: l.code, dir: l.dir, selected: l.code === current.locale, text: l.name })),
  );
  select.addEventListener("change", async () => {
    await setConsoleLocale(select.value);
    if (state.staff) {
      try {
        const data = await api("PATCH", "/api/me", { locale: select.value });
        state.staff = data.staff;
      } catch (e) {
        /* the choice still applies in this tab */
      }
      renderShell();
    } else {
      start();
    }
  });
  return el("div", { class: "lang" }, el("label", { for: id, class: "visually-hidden", text: _("Console language") }), select);
}

function renderShell() {
  const staff = state.staff;
  const views = [...builtinViews(), ...state.views].filter((v) => v.roles.includes(staff.role));
  if (!views.some((v) => v.id === state.view)) state.view = "work";
  const logout = el("button", { class: "ghost", type: "button", text: _("Log out") });
  logout.addEventListener("click", async () => {
    // Chats that still wait for their triage: say so before leaving (they wait a day).
    const waiting = work ? work.toTriage() : 0;
    if (waiting && !(await confirmDialog(_("Log out"), fmt(_("Chats waiting for your triage: {n}. They wait for you for 24 hours, then they count as not triaged. Log out anyway?"), { n: waiting }), _("Log out")))) return;
    // Closed first: the server's `session_ended` for this very logout is not news here.
    disconnect(state.socket);
    try {
      await api("POST", "/api/logout");
    } catch (e) {
      /* the session may already be gone */
    }
    endSession(_("You are logged out."));
  });
  const nav = el(
    "nav",
    { class: "views", "aria-label": _("Console sections") },
    views.map((v) => {
      const b = el("button", { type: "button", class: "view-tab", "aria-current": v.id === state.view ? "page" : null, "data-view": v.id }, v.label);
      if (v.id === "work") b.append(el("span", { class: "badge", id: "work-badge", hidden: true }));
      b.addEventListener("click", () => {
        state.view = v.id;
        renderShell();
      });
      return b;
    }),
  );
  const header = el(
    "header",
    { class: "topbar" },
    el("a", { class: "skip", href: "#main", text: _("Skip to content") }),
    el("p", { class: "brand" }, el("span", { class: "brand-mark", "aria-hidden": "true", text: "RC" }), el("span", { class: "brand-text", text: _("Chat console") })),
    nav,
    el("div", { class: "spacer" }),
    work ? work.dutyControl() : null,
    languageSelect(),
    el("p", { class: "me" }, el("span", { dir: "auto", text: staff.name }), el("span", { class: "role", text: roleLabel(staff.role) })),
    logout,
  );
  const main = el("main", { id: "main", class: "view", tabindex: "-1" });
  if (unmountView) {
    unmountView();
    unmountView = null;
  }
  // The notice and alert regions survive a re-render (e.g. the `session` after a
  // reconnect), so an urgent alert or a notice shown just before is not wiped.
  const toasts = document.getElementById("toasts") || el("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
  const alerts = document.getElementById("alerts") || el("div", { id: "alerts", class: "alerts", role: "alert" });
  clear(root()).append(header, main, toasts, alerts);
  const view = views.find((v) => v.id === state.view);
  document.title = fmt(_("{section} – RC console"), { section: view.label });
  if (view.id === "work") work.mount(main);
  else if (view.id === "supervision") unmountView = supervisorView(main, ctx());
  else if (view.id === "admin") unmountView = adminView(main, ctx());
  else {
    const r = view.mount(main);
    if (typeof r === "function") unmountView = r;
  }
  work.refreshBadges();
}

function ctx() {
  return {
    state,
    api,
    notify,
    call: (event, payload) => call(state.socket, event, payload),
    duty: () => (work ? work.duty() : { on: false, languages: [] }),
    openObserved: (payload) => {
      work.addChat(payload.conversation, payload.messages, "observer");
      state.view = "work";
      renderShell();
      work.select(payload.conversation.id);
    },
    rerender: renderShell,
  };
}

// Log out, or the server refused the staff session: forget every chat, back to login.
function endSession(notice) {
  disconnect(state.socket);
  if (work) work.destroy();
  work = null;
  state.socket = null;
  state.staff = null;
  start(notice);
}

function connect() {
  const socket = connectSocket({
    onSessionEnded: (message) => state.socket === socket && endSession(message || _("Your session has ended. Please log in again.")),
    onLost: () => state.socket === socket && notify(_("The connection to the server was lost. Reconnecting…")),
    onBack: () => state.socket === socket && notify(_("Connected to the server again.")),
  });
  state.socket = socket;
  for (const [event, handler] of state.handlers) socket.on(event, handler);
  work = createWork(socket, { state, notify, api, rerender: () => renderShell() });
  installAlerts(socket, beep, (event, payload) => call(socket, event, payload), notify);
  socket.on("session", (data) => {
    state.staff = data.staff;
    work.onSession(data);
    renderShell();
  });
}

async function enter(staff) {
  state.staff = staff;
  if (staff.locale && staff.locale !== current.locale) await setConsoleLocale(staff.locale);
  connect();
  clear(root()).append(el("p", { class: "boot", role: "status", text: _("Connecting…") }));
}

async function start(notice) {
  const hash = new URLSearchParams(location.hash.slice(1));
  const token = hash.get("setup");
  if (token) {
    clear(root()).append(el("header", { class: "topbar slim" }, el("p", { class: "brand", text: _("Chat console") }), el("div", { class: "spacer" }), languageSelect()));
    document.title = _("First admin account – RC console");
    root().append(
      setupView(token, () => {
        history.replaceState(null, "", location.pathname); // the token leaves the address bar
        start(_("Your account is ready. Log in with a new code from your app."));
      }),
    );
    return;
  }
  try {
    const me = await api("GET", "/api/me");
    session.csrf = me.csrf;
    await enter(me.staff);
    return;
  } catch (e) {
    /* not logged in */
  }
  document.title = _("Log in – RC console");
  clear(root()).append(
    el("header", { class: "topbar slim" }, el("p", { class: "brand" }, el("span", { class: "brand-mark", "aria-hidden": "true", text: "RC" }), _("Chat console")), el("div", { class: "spacer" }), languageSelect()),
    loginView((staff) => enter(staff), notice),
  );
  const first = root().querySelector("input");
  if (first) first.focus();
}

async function boot() {
  await loadLocales();
  await setConsoleLocale(savedLocale() || current.def);
  for (const f of features) {
    try {
      f.install(consoleApi);
    } catch (e) {
      console.error("console feature failed to install", e);
    }
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  start();
}

boot();
