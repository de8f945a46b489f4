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

export function viewOffline(S, act) {
  const now = Date.now();
  // Still open, but too late to start a chat (the last minutes before closing).
  const lastCall = lastCallText(S.hours, now);
  const lead = lastCall || nextOpenText(S.hours, now) || _("Please come back when the chat is open.");
  return [
    heading(lastCall ? _("The chat is closing soon") : _("The chat is closed right now")),
    el("p", { class: "lead", text: lead }),
    hoursTable(S.hours, now),
    helpList(_("Where to get help now")),
    el("div", { class: "actions-row" }, el("button", { type: "button", class: "secondary", onclick: () => act.go("language") }, _("Change language"))),
  ];
}
