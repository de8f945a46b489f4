// Talking to the loader on the host page.
//
// The loader passes its configuration in the URL fragment (never the query string):
//   o = the host page's origin, l = default locale, c = accent colour, x = exit URL.
// We post to the parent only with that exact origin as targetOrigin (the browser drops
// the message if the parent is anything else), and accept messages only from the parent
// window with that exact event.origin. The first accepted message is the loader's
// "hello"; until it arrives nothing from outside is trusted.

const TAG = "w1";
const DEFAULT_EXIT = "https://www.google.com/search?q=v%C3%A4der";

function parseFragment() {
  const p = new URLSearchParams(location.hash.slice(1));
  let origin = null;
  try {
    const u = new URL(p.get("o") || "");
    if ((u.protocol === "https:" || u.protocol === "http:") && u.origin === p.get("o")) origin = u.origin;
  } catch (e) {
    origin = null;
  }
  let exitUrl = DEFAULT_EXIT;
  try {
    const u = new URL(p.get("x") || "");
    if (u.protocol === "https:" || u.protocol === "http:") exitUrl = u.href;
  } catch (e) {
    /* default */
  }
  const c = p.get("c") || "";
  return {
    origin,
    locale: /^[a-z]{2,3}(-[A-Za-z]{2,4})?$/.test(p.get("l") || "") ? p.get("l") : null,
    accent: /^#([0-9a-f]{3}){1,2}$/i.test(c) ? c : null,
    exitUrl,
  };
}

export const config = parseFragment();
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
