// The chat is closed (or closing: too late to start one): when it opens again, the weekly hours (today's row marked, and
// saying so when today differs from the usual week), where to get help now.
import { el } from "../../../../frontend_lib/dom.js";
import { _, fmt } from "../../../../frontend_lib/i18n.js";
import { lastCallText, nextOpenText, weeklyRows } from "../state/hours.js";
import { heading, helpList } from "./common.js";

function rangesText(ranges) {
  return el("span", { dir: "ltr", text: ranges.map((r) => `${r[0]}–${r[1]}`).join(", ") });
}

function dayCell({ ranges, exception }) {
  if (exception && exception.kind === "closed") return el("td", { class: "hours-exception", text: _("Closed today") });
  if (exception && exception.kind === "changed") {
    return el("td", { class: "hours-exception", text: fmt(_("Today from {time}"), { time: exception.time }) });
  }
  return el("td", null, ranges.length ? rangesText(ranges) : _("Closed"));
}

function hoursTable(hours, now) {
  const rows = weeklyRows(hours, now);
  if (!rows) return null;
  const changed = rows.some((r) => r.exception);
  return el(
    "table",
    { class: "hours" },
    el("caption", { text: changed ? _("Usual opening hours (Swedish time)") : _("Opening hours (Swedish time)") }),
    el(
      "tbody",
      null,
      rows.map((row) =>
        el(
          "tr",
          { class: row.today ? "hours-today" : null, "aria-current": row.today ? "date" : null },
          el("th", { scope: "row", text: row.today ? fmt(_("{day} (today)"), { day: row.name }) : row.name }),
          dayCell(row),
        ),
      ),
    ),
  );
}

// Another resource centre is open and can take the chat: the visitor may choose it.
function elsewhere(S, act) {
  return el(
    "section",
    { class: "overflow", "aria-labelledby": "elsewhere-h" },
    el("h2", { id: "elsewhere-h", class: "overflow-title", text: _("Talk with another resource centre?") }),
    el("p", { text: _("These centres are open and can chat with you now. Your chat starts there only if you choose one.") }),
    el(
      "div",
      { class: "overflow-choices" },
      S.startOverflow.centres.map((centre) =>
        el("button", { type: "button", class: "secondary overflow-choice", onclick: () => act.startElsewhere(centre) }, fmt(_("Chat with {centre}"), { centre: centre.name })),
      ),
    ),
  );
}

export function viewOffline(S, act) {
  const now = Date.now();
  // Still open, but too late to start a chat (the last minutes before closing).
  const lastCall = lastCallText(S.hours, now);
  const lead = lastCall || nextOpenText(S.hours, now) || _("Please come back when the chat is open.");
  return [
    heading(lastCall ? _("The chat is closing soon") : _("The chat is closed right now")),
    el("p", { class: "lead", text: lead }),
    // Someone who can talk now comes before when this centre opens again.
    S.startOverflow ? elsewhere(S, act) : null,
    hoursTable(S.hours, now),
    helpList(_("Where to get help now")),
    el("div", { class: "actions-row" }, el("button", { type: "button", class: "secondary", onclick: () => act.go("language") }, _("Change language"))),
  ];
}
