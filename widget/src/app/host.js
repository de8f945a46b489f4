// Talking to the loader on the host page.
//
// The loader passes its configuration in the URL fragment (never the query string):
//   o = the host page's origin, l = default locale, c = accent colour, x = exit URL.
// We post to the parent only with that exact origin as targetOrigin (the browser drops
// the message if the parent is anything else), and accept messages only from the parent
// window with that exact event.origin. The first accepted message is the loader's
// "hello"; until it arrives nothing from outside is trusted.

import { parseFragment } from "./host_config.js";

const TAG = "w1";

export const config = parseFragment(location.hash);
export const embedded = window.parent !== window && !!config.origin;
let verified = false;
const handlers = {};

export function on(type, fn) {
  handlers[type] = fn;
}

export function post(msg) {
  if (!embedded) return;
  window.parent.postMessage({ rc: TAG, ...msg }, config.origin);
}

window.addEventListener("message", (ev) => {
  if (!embedded || ev.source !== window.parent || ev.origin !== config.origin) return;
  const m = ev.data;
  if (!m || m.rc !== TAG || typeof m.t !== "string") return;
  if (!verified) {
    if (m.t !== "hello") return;
    verified = true;
  }
  const fn = handlers[m.t];
  if (fn) fn(m);
});
