// The API offered to feature modules (features/index.js; see ../README.md). Keep it
// stable: other parts of the product build on it.
import { el } from "../../frontend_lib/dom.js";
import { _, current, fmt, languageLabel } from "../../frontend_lib/i18n.js";
import { api } from "./lib/api.js";

// state: main.js's {staff, socket, views, chatTools, endDialog, handlers};
// hooks: {notify(text), viewsChanged()}.
export function createFeatureApi(state, hooks) {
  return {
    addView(view) {
      state.views.push({ roles: ["operator", "supervisor", "admin"], ...view });
      if (state.staff) hooks.viewsChanged();
    },
    addChatTool(tool) {
      state.chatTools.push(tool);
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
    notify: (text) => hooks.notify(text),
  };
}
