// Translations for the widget.
//
// Every visible string is written as `_("English sentence.")` so that Babel's JavaScript
// extractor finds it (keyword `_`, first argument). Placeholders are `{name}` and are
// filled in by `fmt()` after translation, never by string concatenation, so translators
// can move them. The catalogs come from the chat server's own origin:
//   GET /i18n/locales.json -> {"default":"sv","locales":[{code,name,dir}]}
//   GET /i18n/{code}.json  -> {"locale","dir","name","messages":{msgid: msgstr}}
// A missing or empty translation falls back to the English msgid.

// Used when /i18n/locales.json cannot be fetched. Each name is written in its own script.
export const FALLBACK_LOCALES = [
  { code: "sv", name: "Svenska", dir: "ltr" },
  { code: "en", name: "English", dir: "ltr" },
  { code: "ar", name: "العربية", dir: "rtl" },
  { code: "fa", name: "فارسی", dir: "rtl" },
  { code: "ckb", name: "کوردی", dir: "rtl" },
  { code: "ku", name: "Kurmancî", dir: "ltr" },
  { code: "so", name: "Soomaali", dir: "ltr" },
  { code: "ti", name: "ትግርኛ", dir: "ltr" },
  { code: "tr", name: "Türkçe", dir: "ltr" },
];

const RTL = new Set(["ar", "fa", "ckb", "ps", "ur", "he"]);

let messages = {};
export const current = { locale: "sv", dir: "ltr", name: "Svenska" };

export function _(msgid) {
  const s = messages[msgid];
  return typeof s === "string" && s !== "" ? s : msgid;
}

// True when the current catalog has its own text for msgid (or the locale is English).
export function hasTranslation(msgid) {
  return current.locale.split("-")[0] === "en" || (typeof messages[msgid] === "string" && messages[msgid] !== "");
}

export function fmt(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (params && k in params ? String(params[k]) : m));
}

async function getJSON(path) {
  // no-store: nothing about the visitor's choices is left in the browser's HTTP cache.
  const res = await fetch(path, { cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

export async function loadLocales() {
  try {
    const data = await getJSON("/i18n/locales.json");
    const list = (Array.isArray(data.locales) ? data.locales : []).filter(
      (l) => l && typeof l.code === "string" && typeof l.name === "string",
    );
    if (list.length) {
      return {
        def: typeof data.default === "string" ? data.default : "sv",
        locales: list.map((l) => ({ code: l.code, name: l.name, dir: l.dir === "rtl" ? "rtl" : "ltr" })),
      };
    }
  } catch (e) {
    /* fall back below */
  }
  return { def: "sv", locales: FALLBACK_LOCALES };
}

export async function setLocale(code, known) {
  const info = (known || FALLBACK_LOCALES).find((l) => l.code === code) || { code, name: code };
  let data = null;
  try {
    data = await getJSON(`/i18n/${encodeURIComponent(code)}.json`);
  } catch (e) {
    data = null;
  }
  messages = data && data.messages && typeof data.messages === "object" ? data.messages : {};
  current.locale = code;
  current.dir = (data && data.dir) || info.dir || (RTL.has(code.split("-")[0]) ? "rtl" : "ltr");
  if (current.dir !== "rtl") current.dir = "ltr";
  current.name = (data && data.name) || info.name;
  document.documentElement.lang = code;
  document.documentElement.dir = current.dir;
  return current;
}
