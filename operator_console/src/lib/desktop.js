// Desktop notifications (the Notification API), opt-in: permission is asked only when
// the operator clicks "Turn on desktop notifications", never on load. A notification
// names no visitor and carries no message text: "A new chat is waiting", "New message
// in chat ABCD". Shown only while the console is not in front (hidden or unfocused).
// Nothing is stored: after a reload they are on if the browser still grants them.
import { current } from "../../../frontend_lib/i18n.js";

let wanted = true; // the operator's choice in this tab
const listeners = new Set();

export function supported() {
  return typeof window !== "undefined" && "Notification" in window;
}

// "on", "off" (granted, turned off here), "ask" (not asked yet), "blocked", "unsupported"
export function state() {
  if (!supported()) return "unsupported";
  const p = window.Notification.permission;
  if (p === "denied") return "blocked";
  if (p !== "granted") return "ask";
  return wanted ? "on" : "off";
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn(state());
}

// From a click only (browsers require a gesture for the permission prompt).
export async function turnOn() {
  if (!supported()) return state();
  if (window.Notification.permission !== "granted") {
    try {
      await window.Notification.requestPermission();
    } catch (e) {
      /* an old browser without the promise form: state() tells */
    }
  }
  wanted = true;
  changed();
  return state();
}

export function turnOff() {
  wanted = false;
  changed();
}

function inFront() {
  return document.visibilityState === "visible" && document.hasFocus();
}

// Show `title` unless the console is in front or notifications are off. `tag` makes a
// newer notification replace an older one of the same kind; a click brings the console
// to the front and calls `onClick`.
export function notify(title, tag, onClick) {
  if (state() !== "on" || inFront()) return null;
  try {
    const n = new window.Notification(title, { tag, lang: current.locale, dir: current.dir === "rtl" ? "rtl" : "ltr" });
    n.onclick = () => {
      window.focus();
      if (onClick) onClick();
      n.close();
    };
    return n;
  } catch (e) {
    return null; // e.g. a browser that only allows notifications from a service worker
  }
}
