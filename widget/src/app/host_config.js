// The loader's configuration, read from the iframe URL's fragment (never the query
// string, so it is not sent to the server or written to any access log), except the
// centre (parseCentre), which the server needs and which says nothing about the visitor:
//   o = the host page's origin, l = default locale, c = accent colour, x = exit URL.
// Pure: tested in widget/test/host_config.test.js. Anything malformed is left out; a
// missing or malformed origin means "not embedded": no message is posted or accepted.

export const DEFAULT_EXIT = "https://www.google.com/search?q=v%C3%A4der";

export function parseFragment(hash) {
  const p = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  let origin = null;
  try {
    const u = new URL(p.get("o") || "");
    // Exactly an origin (no path, no user info): it becomes postMessage's targetOrigin.
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

// The centre the loader's data-centre named, from the iframe URL's query string
// (?centre=skane): passed to the server as it is (the server tells an unknown or
// malformed one apart), or null when none is named.
export function parseCentre(search) {
  const c = new URLSearchParams(String(search || "").replace(/^\?/, "")).get("centre");
  return c ? c.slice(0, 64) : null;
}
