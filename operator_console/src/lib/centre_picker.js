// The resource centre a coordinator's view (statistics, the referral directory) shows,
// for a person with more than one to choose from (issue 19). The choices come from GET
// /api/centres (state/centre_scope.js); the choice is kept per view while the console
// is open.
import { el, uniqueId } from "../../../frontend_lib/dom.js";
import { _ } from "../../../frontend_lib/i18n.js";
import { api } from "./api.js";
import { initialCentre, needsPicker } from "../state/centre_scope.js";

const chosen = new Map(); // view id -> centre id

// Resolves with {centre, node, names, nationalAdmin}: the centre to show first (null:
// the person's own, with the paths from before centres), the picker's element (null
// without a choice), the choices [{id, name}] and whether the person is a national admin.
// `choicesOf(listing)` lists [{id, name}]; `onChange(centre)` follows a new choice.
export async function pickCentre(view, choicesOf, onChange) {
  let listing;
  try {
    listing = await api("GET", "/api/centres");
  } catch (e) {
    return { centre: null, node: null, names: [], nationalAdmin: false }; // an older server, or a store away: their own
  }
  const choices = choicesOf(listing);
  const nationalAdmin = !!listing.national_admin;
  if (!needsPicker(choices)) return { centre: choices.length ? choices[0].id : null, node: null, names: choices, nationalAdmin };
  const first = initialCentre(choices, chosen.get(view));
  chosen.set(view, first);
  const id = uniqueId("centre");
  const select = el("select", { id, name: "centre" }, choices.map((c) => el("option", { value: c.id, text: c.name, selected: c.id === first })));
  select.addEventListener("change", () => {
    chosen.set(view, select.value);
    onChange(select.value);
  });
  return { centre: first, node: el("div", { class: "field centre-picker" }, el("label", { for: id, text: _("Resource centre") }), select), names: choices, nationalAdmin };
}
