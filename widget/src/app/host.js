// Talking to the loader on the host page.
//
// The loader passes its configuration in the URL fragment (never the query string):
//   o = the host page's origin, l = default locale, c = accent colour, x = exit URL.
// Its first message, "hello", comes from the parent window with exactly that origin and
// carries one end of a private MessageChannel; everything after goes over that port,
// which no other script on the host page holds, so nothing we say is a `message` event
// on the host window. We say only "close" (minimise), "exit" (quick exit: once when it
// starts, once when the chat has ended on the server) and "setup" (the embed names a
// centre the server does not know, none where it must, or a centre this site may not
// show: the loader tells the site's developers on the console), never a language, a
// state or anything else; the host page learns only that the launcher was opened.

import { parseCentre, parseFragment } from "./host_config.js";

const TAG = "w1";

export const config = { ...parseFragment(location.hash), centre: parseCentre(location.search) };
export const embedded = window.parent !== window && !!config.origin;
let port = null;
const handlers = {};

export function on(type, fn) {
  handlers[type] = fn;
}

// Only these leave the frame, bare.
const OUTGOING = new Set(["close", "exit", "setup"]);
const SETUP_CODES = new Set(["unknown_centre", "centre_required", "origin_not_allowed"]);

export function post(msg) {
  if (!embedded || !port || !msg || !OUTGOING.has(msg.t)) return;
  if (msg.t === "setup") port.postMessage({ rc: TAG, t: "setup", why: SETUP_CODES.has(msg.why) ? msg.why : "unknown_centre" });
  else port.postMessage({ rc: TAG, t: msg.t });
}

function deliver(m) {
  if (!m || m.rc !== TAG || typeof m.t !== "string") return;
  const fn = handlers[m.t];
  if (fn) fn(m);
}

window.addEventListener("message", (ev) => {
  if (!embedded || ev.source !== window.parent || ev.origin !== config.origin) return;
  const m = ev.data;
  if (!m || m.rc !== TAG || m.t !== "hello" || !ev.ports || !ev.ports[0]) return;
  if (port) port.close(); // the loader's new channel (it sends one per load of this frame)
  port = ev.ports[0];
  port.onmessage = (e) => deliver(e.data);
  deliver(m);
});
