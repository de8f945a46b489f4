// While waiting: the estimate in words, and the notice that offers the national
// helplines next to "keep waiting" (server `queue` {position, wait_estimate_s, notice,
// wait_limit_s, next_open_at}, docs/protocol.md). Pure: no DOM, no socket; the words
// come from the catalog. Tested in widget/test/waiting.test.js.
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { nextOpenText } from "./hours.js";

// Why the helplines are offered: nobody on duty takes the chat, the expected wait passes
// the service's limit, or the service closed while the visitor waits.
export const NOTICES = Object.freeze(["nobody_on_duty", "long_wait", "closed"]);
// Longer than this many minutes is said as "more than an hour": a number of minutes
// that large promises a precision nobody has.
export const LONGEST_MINUTES = 60;

// The estimate (seconds or null) as {kind: "unknown"|"soon"|"minutes"|"long", minutes}.
export function waitParts(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return { kind: "unknown", minutes: null };
  if (seconds < 60) return { kind: "soon", minutes: 0 };
  const minutes = Math.ceil(seconds / 60);
  if (minutes > LONGEST_MINUTES) return { kind: "long", minutes };
  return { kind: "minutes", minutes };
}

// The estimate as one sentence in the current language.
export function waitText(seconds) {
  const p = waitParts(seconds);
  if (p.kind === "unknown") return _("We cannot estimate the waiting time right now.");
  if (p.kind === "soon") return _("Estimated wait: less than a minute.");
  if (p.kind === "long") return _("Estimated wait: more than an hour.");
  return fmt(_("Estimated wait: about {minutes} min."), { minutes: p.minutes });
}

// `queue` payload -> the waiting part of the state. Unknown notices are ignored (a newer
// server may add kinds; the estimate is still shown).
export function applyWaiting(S, p) {
  S.wait = Number.isFinite(p.wait_estimate_s) ? p.wait_estimate_s : null;
  S.notice = NOTICES.includes(p.notice) ? p.notice : null;
  S.waitLimit = Number.isInteger(p.wait_limit_s) && p.wait_limit_s > 0 ? p.wait_limit_s : null;
  S.nextOpenAt = Number.isFinite(p.next_open_at) ? p.next_open_at : null;
}

// Whether the helplines are shown open: a notice the visitor has not answered with
// "keep waiting" (a new kind of notice shows them again).
export function helplinesOpen(S) {
  return !!S.notice && S.keptWaiting !== S.notice;
}

export function keepWaiting(S) {
  S.keptWaiting = S.notice;
}

export function showHelplines(S) {
  S.keptWaiting = null;
}

// The notice in words: {title, lines: [sentence, …]}, or null without a notice.
// `now` (ms) for the next opening.
export function noticeText(S, now) {
  switch (S.notice) {
    case "nobody_on_duty":
      return {
        title: _("No counsellor is on duty right now"),
        lines: [_("We cannot say when someone can answer. You can keep waiting, or get help now from one of the numbers below.")],
      };
    case "long_wait": {
      const minutes = S.waitLimit ? Math.round(S.waitLimit / 60) : null;
      return {
        title: _("The wait is long right now"),
        lines: [
          minutes ? fmt(_("It may take more than {minutes} minutes before a counsellor can answer."), { minutes }) : _("It may take a long time before a counsellor can answer."),
          _("You can keep waiting, or get help now from one of the numbers below."),
        ],
      };
    }
    case "closed": {
      const hours = { timezone: (S.hours && S.hours.timezone) || "Europe/Stockholm", next_open_at: S.nextOpenAt };
      const next = nextOpenText(hours, now);
      return {
        title: _("The chat has closed for now"),
        lines: [
          ...(next ? [next] : []),
          _("Your chat is still here: a counsellor who is still working may answer you. You can keep waiting, or get help now from one of the numbers below."),
        ],
      };
    }
    default:
      return null;
  }
}
