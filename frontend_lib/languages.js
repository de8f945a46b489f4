// Choosing a supported locale from a browser's languages (navigator.languages), with the
// server's one table of aliases and fallbacks (chat_server/i18n.py, served in
// /i18n/locales.json as `negotiation`). chat_server/i18n.py negotiate() does the same
// steps in Python; tests/fixtures/language_cases.json holds the cases both must answer
// alike. Pure: no DOM, no fetch.
//
// For each tag, best first:
//   1. its candidates, most specific first: the whole tag, language-script,
//      language-region, language ("ku-Arab-IQ" -> ku-arab-iq, ku-arab, ku-iq, ku); the
//      first candidate that is an alias or a supported code wins;
// and only when no tag matched that way:
//   2. the first tag whose language has a fallback (a neighbour language its readers
//      understand, e.g. Norwegian -> Swedish);
// then the default. A language the visitor lists always beats a neighbour language.

export const EMPTY_TABLE = Object.freeze({ aliases: {}, fallbacks: {} });
// Longer tags are not language tags (the server ignores them in Accept-Language too).
const MAX_TAG = 35;

// The table from the /i18n/locales.json payload; anything malformed is left out.
export function readTable(payload) {
  const n = payload && typeof payload === "object" ? payload.negotiation : null;
  const clean = (obj) => {
    const out = {};
    if (obj && typeof obj === "object") {
      for (const [k, v] of Object.entries(obj)) if (typeof v === "string") out[k.toLowerCase()] = v;
    }
    return out;
  };
  return n && typeof n === "object" ? { aliases: clean(n.aliases), fallbacks: clean(n.fallbacks) } : EMPTY_TABLE;
}

// "sv_SE.UTF-8" -> "sv-se"; "" for nothing usable.
export function normalizeTag(tag) {
  if (typeof tag !== "string") return "";
  const t = tag.trim().split(/[.@]/)[0].replace(/_/g, "-").toLowerCase();
  if (!t || t === "*" || t.length > MAX_TAG || !/^[a-z]{1,8}(-[a-z0-9]{1,8})*$/.test(t)) return "";
  return t;
}

// "ku-arab-iq" -> ["ku-arab-iq", "ku-arab", "ku-iq", "ku"]
export function candidates(tag) {
  const parts = tag.split("-");
  const lang = parts[0];
  let i = 1;
  const script = parts[i] && /^[a-z]{4}$/.test(parts[i]) ? parts[i++] : null;
  const region = parts[i] && /^([a-z]{2}|[0-9]{3})$/.test(parts[i]) ? parts[i] : null;
  const out = [tag];
  if (script) out.push(`${lang}-${script}`);
  if (region) out.push(`${lang}-${region}`);
  out.push(lang);
  return [...new Set(out)];
}

// The supported code for one tag by alias or exact/language match (step 1), or null.
export function matchTag(tag, supported, table = EMPTY_TABLE) {
  const t = normalizeTag(tag);
  if (!t) return null;
  for (const c of candidates(t)) {
    const alias = table.aliases[c];
    if (alias && supported.includes(alias)) return alias;
    if (supported.includes(c)) return c;
  }
  return null;
}

// chooseLocale(["ku-Arab-IQ", "sv"], ["sv", "ckb", ...], table, "sv") -> "ckb"
// `def` may be null: then null means "nothing matched".
export function chooseLocale(tags, supported, table = EMPTY_TABLE, def = null) {
  const list = Array.isArray(tags) ? tags : [];
  for (const tag of list) {
    const found = matchTag(tag, supported, table);
    if (found) return found;
  }
  for (const tag of list) {
    const t = normalizeTag(tag);
    const fallback = t ? table.fallbacks[t.split("-")[0]] : null;
    if (fallback && supported.includes(fallback)) return fallback;
  }
  return def;
}
