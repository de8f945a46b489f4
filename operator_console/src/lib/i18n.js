// Translations: every visible string is `_("English sentence.")` (Babel's JavaScript
// extractor finds the first argument); placeholders `{name}` are filled by fmt() after
// translation, never by gluing fragments. Catalogs come from this origin.

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
const RTL = new Set(["ar", "fa", "ckb"]);
const PREF = "rc-console-locale"; // a staff UI preference only, never visitor content

let messages = {};
export const current = { locale: "sv", dir: "ltr", locales: FALLBACK_LOCALES };

export function _(msgid) {
  const s = messages[msgid];
  return typeof s === "string" && s !== "" ? s : msgid;
}

export function fmt(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (params && k in params ? String(params[k]) : m));
}

export function languageName(code) {
  const found = current.locales.find((l) => l.code === code);
  return found ? found.name : code;
}

export function savedLocale() {
  try {
    return localStorage.getItem(PREF);
  } catch (e) {
    return null;
  }
}

export async function loadLocales() {
  try {
    const res = await fetch("/i18n/locales.json", { cache: "no-store" });
    const data = await res.json();
    if (Array.isArray(data.locales) && data.locales.length) current.locales = data.locales;
    return data.default || "sv";
  } catch (e) {
    return "sv";
  }
}

export async function setLocale(code) {
  if (!current.locales.some((l) => l.code === code)) code = "sv";
  let data = null;
  try {
    const res = await fetch(`/i18n/${encodeURIComponent(code)}.json`, { cache: "no-store" });
    if (res.ok) data = await res.json();
  } catch (e) {
    data = null;
  }
  messages = data && data.messages && typeof data.messages === "object" ? data.messages : {};
  current.locale = code;
  current.dir = (data && data.dir) || (RTL.has(code) ? "rtl" : "ltr");
  document.documentElement.lang = code;
  document.documentElement.dir = current.dir === "rtl" ? "rtl" : "ltr";
  try {
    localStorage.setItem(PREF, code);
  } catch (e) {
    /* private mode: fine */
  }
  return current;
}

export function timeOf(ts) {
  try {
    return new Intl.DateTimeFormat(current.locale, { hour: "2-digit", minute: "2-digit" }).format(new Date(ts));
  } catch (e) {
    return new Date(ts).toISOString().slice(11, 16);
  }
}

export function dateTimeOf(ts) {
  try {
    return new Intl.DateTimeFormat(current.locale, { dateStyle: "short", timeStyle: "medium" }).format(new Date(ts));
  } catch (e) {
    return new Date(ts).toISOString();
  }
}

// "4:05" style elapsed time; digits stay locale-neutral so columns line up.
export function elapsed(sinceTs) {
  const s = Math.max(0, Math.floor((Date.now() - sinceTs) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
