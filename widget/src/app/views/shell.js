// The frame every view lives in: header with quick exit (and minimise when embedded),
// the connection banner, the main region and a polite status region for announcements.
import { el } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import * as host from "../host.js";

// Elements other views update; empty after a quick exit.
export const ui = {};

export function shell(act) {
  document.title = _("Chat");
  const exitBtn = el(
    "button",
    { type: "button", class: "exit", onclick: act.quickExit },
    el("span", { class: "exit-label", text: _("Quick exit") }),
    el("span", { class: "dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
  );
  const actions = el("div", { class: "actions" }, exitBtn);
  if (host.embedded) {
    actions.append(
      el(
        "button",
        { type: "button", class: "min", title: _("Minimise the chat"), onclick: () => host.post({ t: "close" }) },
        el("span", { class: "min-icon", "aria-hidden": "true" }),
        el("span", { class: "sr", text: _("Minimise the chat") }),
      ),
    );
  }
  const header = el(
    "header",
    { class: "top" },
    el("p", { class: "brand" }, el("span", { class: "brand-name", text: _("Chat") }), el("span", { class: "brand-sub", text: _("Anonymous") })),
    actions,
  );
  const banner = el("div", { class: "banner", role: "status" });
  const main = el("main", { id: "main", class: "main" });
  const announcer = el("div", { class: "sr announcer", role: "status" });
  const app = el("div", { class: "app" }, header, banner, main, announcer);
  document.body.replaceChildren(app);
  wipe();
  Object.assign(ui, { app, header, main, banner, announcer, exitBtn });
}

// Forget every element (quick exit; a new shell).
export function wipe() {
  for (const k of Object.keys(ui)) delete ui[k];
}

export function announce(text) {
  if (ui.announcer) ui.announcer.textContent = text;
}

export function updateBanner(S, live) {
  const b = ui.banner;
  if (!b) return;
  b.replaceChildren();
  b.className = "banner";
  if (S.lost && live) {
    b.classList.add("banner--warn");
    b.append(el("span", { class: "spinner", "aria-hidden": "true" }), el("span", { text: _("The connection was lost. Reconnecting…") }));
  } else if (S.reconnected) {
    b.classList.add("banner--ok");
    b.append(el("span", { text: _("Connected again.") }));
  }
}

export function focusView() {
  const target = ui.main && (ui.main.querySelector("[data-autofocus]") || ui.main.querySelector("h1"));
  if (target) target.focus({ preventScroll: false });
}

// Put a view's nodes in the main region (views leave out optional parts as null:
// replaceChildren() would print them as "null").
export function showView(name, nodes) {
  if (!ui.main) return;
  ui.main.replaceChildren(...[].concat(nodes).filter((n) => n !== null && n !== undefined && n !== false));
  ui.main.scrollTop = 0;
  ui.main.className = `main main--${name}`;
  focusView();
}

// Shift pressed once or twice: the exit button shows the count, a status says how many
// presses are left (shift.js counts).
export function shiftProgress(n) {
  if (!ui.exitBtn) return;
  ui.exitBtn.dataset.presses = String(n);
  announce(n === 1 ? _("Shift, press 2 more times to exit.") : _("Shift, press 1 more time to exit."));
}

export function shiftReset(cancelled) {
  if (!ui.exitBtn) return;
  delete ui.exitBtn.dataset.presses;
  announce(cancelled ? _("Quick exit was cancelled.") : "");
}
