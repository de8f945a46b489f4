// Translations for both front ends.
//
// Every visible string is written as `_("English sentence.")` so that Babel's JavaScript
// extractor finds it (keyword `_`, first argument a plain string literal; see
// locales/babel.cfg). Placeholders are `{name}` and are filled in by `fmt()` after
// translation, never by gluing fragments, so translators can move them. Catalogs come
// from the chat server's own origin (nothing is fetched from anywhere else):
//   GET /i18n/locales.json -> {default, locales: [{code, name, dir}], negotiation}
//   GET /i18n/{code}.json  -> {locale, dir, name, messages: {msgid: msgstr}, plural,
//                              languages: {code: "Arabiska (العربية)"}}
// A missing or empty translation falls back to the English msgid.
//
// Each app bundles its own copy of this module, so `current` is per app.
import { EMPTY_TABLE, readTable } from "./languages.js";

// Used when /i18n/locales.json cannot be fetched; the server's list (chat_server/i18n.py
// LANGUAGES), each name in its own script.
export const FALLBACK_LOCALES = [
  { code: "sv", name: "Svenska", dir: "ltr" },
  { code: "en", name: "English", dir: "ltr" },
  { code: "ar", name: "العربية", dir: "rtl" },
  { code: "fa", name: "فارسی", dir: "rtl" },
  { code: "ckb", name: "کوردی (سۆرانی)", dir: "rtl" },
  { code: "ku", name: "Kurdî (Kurmancî)", dir: "ltr" },
  { code: "so", name: "Soomaali", dir: "ltr" },
  { code: "ti", name: "ትግርኛ", dir: "ltr" },
  { code: "tr", name: "Türkçe", dir: "ltr" },
];
const RTL = new Set(["ar", "fa", "ckb", "ps", "ur", "he"]);

let messages = {};
let languageLabels = {};
// locale/dir/name: the catalog in use; def, locales, table: what the server offers.
export const current = { locale: "sv", dir: "ltr", name: "Svenska", def: "sv", locales: FALLBACK_LOCALES, table: EMPTY_TABLE };

export function _(msgid) {
  const s = messages[msgid];
  return typeof s === "string" && s !== "" ? s : msgid;
}

// True when the current catalog has its own text for msgid (or the locale is English).
export function hasTranslation(msgid) {
  return current.locale.split("-")[0] === "en" || (typeof messages[msgid] === "string" && messages[msgid] !== "");
}

// fmt("Hello {name}", {name: "Sara"}) -> "Hello Sara"; an unknown {key} stays as it is.
export function fmt(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (params && k in params ? String(params[k]) : m));
}

export function direction(code) {
  const known = current.locales.find((l) => l.code === code);
  if (known) return known.dir === "rtl" ? "rtl" : "ltr";
  return RTL.has(String(code).split("-")[0]) ? "rtl" : "ltr";
}

// The display name of a supported locale, in its own script ("ar" -> "العربية").
export function languageName(code) {
  const found = current.locales.find((l) => l.code === code);
  return found ? found.name : code;
}

// A supported language named for the reader of the current catalog, with its own name:
// "Arabiska (العربية)" in Swedish (the server computes it with Babel/CLDR; staff lists
// use it so ትግርኛ and فارسی can be told apart). Its own name when the catalog has none.
export function languageLabel(code) {
  const label = languageLabels[code];
  return typeof label === "string" && label ? label : languageName(code);
}

// Put a catalog in place without fetching: {locale, dir, name, messages} as the server
// serves it. Used by setLocale() and by unit tests.
export function useCatalog(code, data) {
  messages = data && data.messages && typeof data.messages === "object" ? data.messages : {};
  languageLabels = data && data.languages && typeof data.languages === "object" ? data.languages : {};
  const info = current.locales.find((l) => l.code === code) || { code, name: code };
  current.locale = code;
  current.dir = (data && data.dir) || info.dir || direction(code);
  if (current.dir !== "rtl") current.dir = "ltr";
  current.name = (data && data.name) || info.name;
  return current;
}

async function getJSON(path) {
  // no-store: nothing about the visitor's choices is left in the browser's HTTP cache;
  // omit: the catalogs are public, no cookie goes with them.
  const res = await fetch(path, { cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

// What the server offers: the locales, the default and the table for choosing one from
// a browser's languages (languages.js). Falls back to the built-in list (and no table)
// when the server cannot be reached. Returns `current`.
export async function loadLocales() {
  try {
    const data = await getJSON("/i18n/locales.json");
    const list = (Array.isArray(data.locales) ? data.locales : []).filter(
      (l) => l && typeof l.code === "string" && typeof l.name === "string",
    );
    if (list.length) {
      current.locales = list.map((l) => ({ code: l.code, name: l.name, dir: l.dir === "rtl" ? "rtl" : "ltr" }));
      current.def = typeof data.default === "string" ? data.default : "sv";
      current.table = readTable(data);
    }
  } catch (e) {
    /* keep the built-in list */
  }
  return current;
}

// Load the catalog of a supported locale (an unknown code gets the default) and set
// the document's lang and dir. Returns `current`.
export async function setLocale(code) {
  if (!current.locales.some((l) => l.code === code)) code = current.def;
  let data = null;
  try {
    data = await getJSON(`/i18n/${encodeURIComponent(code)}.json`);
  } catch (e) {
    data = null;
  }
  useCatalog(code, data);
  document.documentElement.lang = code;
  document.documentElement.dir = current.dir;
  return current;
}
