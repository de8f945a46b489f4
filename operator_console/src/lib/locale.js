// The console's language and its formats, on top of the shared i18n
// (../../../frontend_lib/i18n.js). The console language is a staff member's preference:
// the only value the console keeps in localStorage (never anything about a visitor).
import { current, setLocale } from "../../../frontend_lib/i18n.js";

const PREF = "rc-console-locale";

export function savedLocale() {
  try {
    return localStorage.getItem(PREF);
  } catch (e) {
    return null;
  }
}

export async function setConsoleLocale(code) {
  await setLocale(code);
  try {
    localStorage.setItem(PREF, current.locale);
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

// "4:05" style elapsed time since `sinceTs` (ms) at `now`; digits stay locale-neutral so
// columns line up.
export function elapsed(sinceTs, now = Date.now()) {
  const s = Math.max(0, Math.floor((now - sinceTs) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
