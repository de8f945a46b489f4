// The API offered to feature modules (features/index.js; see ../README.md). Keep it
// stable: other parts of the product build on it.
import { el } from "../../frontend_lib/dom.js";
import { _, current, fmt, languageLabel } from "../../frontend_lib/i18n.js";
import { api } from "./lib/api.js";

// A label given as a function is read afresh each time it is shown, so it follows the
// console's language when the staff member switches it (a string is fixed at install).
function liveLabel(item) {
  const label = item.label;
  if (typeof label === "function") Object.defineProperty(item, "label", { get: label, enumerable: true });
  return item;
}

// state: main.js's {staff, socket, views, chatTools, endDialog, handlers};
// hooks: {notify(text, options), viewsChanged(), conversation(id), logLocal(conversationId, text)}.
export function createFeatureApi(state, hooks) {
  return {
    addView(view) {
      state.views.push(liveLabel({ roles: ["operator", "supervisor", "admin"], ...view }));
      if (state.staff) hooks.viewsChanged();
    },
    addChatTool(tool) {
      state.chatTools.push(liveLabel({ ...tool }));
    },
    setEndDialog(fn) {
      state.endDialog = fn;
    },
    api,
    get socket() {
      return state.socket;
    },
    // Subscribe to an /operator event, also on sockets made after a reconnect or login.
    on(event, handler) {
      state.handlers.push([event, handler]);
      if (state.socket) state.socket.on(event, handler);
    },
    get staff() {
      return state.staff;
    },
    get locale() {
      return current.locale;
    },
    // The supported languages [{code, name, dir}] and a language's name for the reader
    // ("Arabiska (العربية)", from the server's CLDR names).
    locales: () => current.locales,
    languageLabel,
    _,
    fmt,
    el,
    // notify(text, {conversation: id}) marks that chat's tab too.
    notify: (text, options) => hooks.notify(text, options),
    // An open chat's conversation summary ({id, pseudonym, locale, …}) or null.
    conversation: (id) => hooks.conversation(id),
    // A line in a chat's log that only this console shows (not part of its history).
    logLocal: (conversationId, text) => hooks.logLocal && hooks.logLocal(conversationId, text),
  };
}
