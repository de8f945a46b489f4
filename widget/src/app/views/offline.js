// The chat is closed: when it opens again, the weekly hours, where to get help now.
import { el } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { nextOpenText, weeklyRows } from "../state/hours.js";
import { heading, helpList } from "./common.js";

function hoursTable(hours) {
  const rows = weeklyRows(hours);
  if (!rows) return null;
  return el(
    "table",
    { class: "hours" },
    el("caption", { text: _("Opening hours (Swedish time)") }),
    el(
      "tbody",
      null,
      rows.map(({ name, ranges }) =>
        el(
          "tr",
          null,
          el("th", { scope: "row", text: name }),
          el("td", null, ranges.length ? el("span", { dir: "ltr", text: ranges.map((r) => `${r[0]}–${r[1]}`).join(", ") }) : _("Closed")),
        ),
      ),
    ),
  );
}

export function viewOffline(S, act) {
  const next = nextOpenText(S.hours, Date.now());
  return [
    heading(_("The chat is closed right now")),
    el("p", { class: "lead", text: next || _("Please come back when the chat is open.") }),
    hoursTable(S.hours),
    helpList(_("Where to get help now")),
    el("div", { class: "actions-row" }, el("button", { type: "button", class: "secondary", onclick: () => act.go("language") }, _("Change language"))),
  ];
}
