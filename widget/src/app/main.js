// The visitor chat, running in an iframe of /widget/ on the chat server's own origin.
// This file only starts it; see ../../README.md for the module map:
//   controller.js   what actions and server events do
//   connection.js   socket.io /visitor: resume, acknowledged calls
//   state/          pure state: conversation (messages, outbox), session, hours
//   views/          DOM, text only through textContent (../../../frontend_lib/dom.js)
//   host.js         postMessage bridge to the loader on the host page
//   viewport.js     the app follows the visible part of the screen (on-screen keyboard)
import { current, loadLocales, setLocale } from "../../../frontend_lib/i18n.js";
import { chooseLocale } from "../../../frontend_lib/languages.js";
import * as controller from "./controller.js";
import * as host from "./host.js";
import { shiftCounter } from "./shift.js";
import { applyAccent } from "./theme.js";
import { followViewport } from "./viewport.js";
import { focusView, shiftProgress, shiftReset } from "./views/shell.js";

const onShift = shiftCounter({ progress: shiftProgress, reset: shiftReset, exit: controller.quickExit });

host.on("hello", () => setTimeout(focusView, 0));
host.on("open", () => setTimeout(focusView, 0));
host.on("exit", controller.quickExit);

// The host's data-locale wins when it names a language we offer; else the browser's
// languages, best first; else the server's default. Both through the server's table of
// aliases and fallbacks (/i18n/locales.json), as the server itself negotiates.
function startLocale() {
  const codes = current.locales.map((l) => l.code);
  const fromHost = host.config.locale ? chooseLocale([host.config.locale], codes, current.table, null) : null;
  return fromHost || chooseLocale(navigator.languages || [navigator.language || ""], codes, current.table, current.def);
}

async function boot() {
  document.addEventListener("keyup", (ev) => !controller.isExiting() && onShift(ev), true);
  applyAccent(host.config.accent);
  followViewport();
  await loadLocales();
  await setLocale(startLocale());
  controller.start();
}

boot();
