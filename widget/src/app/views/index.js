// Which view shows which step (S.view), and drawing it into the shell.
import * as chat from "./chat.js";
import { viewEnded } from "./ended.js";
import { viewOffline } from "./offline.js";
import { showView } from "./shell.js";
import { viewError } from "./refusal.js";
import { viewAbout, viewAge, viewDanger, viewLanguage, viewLoading, viewStarting, viewTopic, viewUrgent } from "./steps.js";

const VIEWS = {
  loading: viewLoading,
  language: viewLanguage,
  about: viewAbout,
  topic: viewTopic,
  danger: viewDanger,
  urgent: viewUrgent,
  age: viewAge,
  starting: viewStarting,
  chat: chat.viewChat,
  ended: viewEnded,
  offline: viewOffline,
  error: viewError,
};

export function render(S, act) {
  if (S.view !== "chat") chat.leave();
  showView(S.view, (VIEWS[S.view] || viewLoading)(S, act));
}
