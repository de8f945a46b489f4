// Translated labels for the coded fields of a conversation summary.
import { _ } from "../../../frontend_lib/i18n.js";

export function audienceLabel(v) {
  if (v === "self") return _("About themselves");
  if (v === "other") return _("Worried about someone");
  if (v === "professional") return _("Professional");
  return _("Not given");
}

export function topicLabel(v) {
  if (v === "control") return _("Control and restrictions");
  if (v === "marriage") return _("Marriage");
  if (v === "fgm") return _("FGM");
  if (v === "violence") return _("Violence or threats");
  if (v === "other") return _("Something else");
  return _("Topic not given");
}

export function ageLabel(v) {
  if (v === "13-15") return _("13–15 years");
  if (v === "16-17") return _("16–17 years");
  if (v === "18-21") return _("18–21 years");
  if (v === "22-26") return _("22–26 years");
  if (v === "over-26") return _("Over 26");
  return _("Age not given");
}

export function roleLabel(v) {
  if (v === "operator") return _("Operator");
  if (v === "supervisor") return _("Supervisor");
  if (v === "admin") return _("Admin");
  return v;
}

export function endReasonLabel(v) {
  if (v === "visitor_ended") return _("The visitor ended the chat.");
  if (v === "visitor_exit") return _("The visitor used quick exit.");
  if (v === "operator_ended") return _("The chat was ended.");
  if (v === "abandoned") return _("The visitor did not come back.");
  if (v === "blocked") return _("The visitor was blocked.");
  if (v === "lost") return _("The chat is no longer on the server (for example after a restart). It has ended.");
  return _("The chat has ended.");
}

export function errorText(err) {
  if (err && err.message && err.code !== "internal") return err.message;
  return _("Something went wrong. Please try again.");
}
