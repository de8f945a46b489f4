// The centre an admin screen acts on (issue 19). A person with one centre uses the
// paths from before centres (the server acts on their only centre); with several, the
// admin views show a picker and every admin request goes to that centre's paths
// (/api/centres/{centre}/…, docs/protocol.md). Pure functions, tested in
// test/centre_scope.test.js.

// The paths from before centres and their per-centre forms.
const SCOPED = [
  [/^\/api\/admin\/(staff|hours|canned|audit|referrals)(?=[/?]|$)/, "/admin/$1"],
  [/^\/api\/(hours|canned|referrals|stats\.csv|stats)(?=[/?]|$)/, "/$1"],
];

// The statistics view's choice "every centre" (national admins: GET /api/stats?scope=all).
export const ALL_CENTRES = "*";

// The path ``path`` for ``centre`` (null: unchanged). Paths that are not per centre
// (login, the triage form, the centres themselves) are left as they are. For
// statistics, ``ALL_CENTRES`` asks for the national view.
export function scopedPath(path, centre) {
  if (!centre) return path;
  if (centre === ALL_CENTRES) return /^\/api\/stats(\.csv)?(?=[?]|$)/.test(path) ? path + (path.includes("?") ? "&" : "?") + "scope=all" : path;
  for (const [pattern, replacement] of SCOPED) {
    if (pattern.test(path)) return `/api/centres/${encodeURIComponent(centre)}` + path.replace(pattern, replacement).replace(/^\/api/, "");
  }
  return path;
}

// The centres a person may administer, from GET /api/centres: where they are an
// admin, or every centre for a national admin; ordered by name in their locale.
export function adminCentres(listing) {
  const items = (listing && listing.items) || [];
  const mine = items.filter((c) => listing.national_admin || c.role === "admin");
  return mine.slice().sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

// The centres whose referral directory a person edits and whose statistics they read:
// where they are a supervisor or an admin, or every centre for a national admin
// (services/roles.py SUPERVISORS); ordered by name.
export function coordinatorCentres(listing) {
  const items = (listing && listing.items) || [];
  const mine = items.filter((c) => listing.national_admin || c.role === "supervisor" || c.role === "admin");
  return mine.slice().sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

// The statistics view's choices: the coordinator's centres, and for a national admin
// first "every centre" (the national view, summed before suppression) as
// {id: ALL_CENTRES, name: allLabel}.
export function statsChoices(listing, allLabel) {
  const centres = coordinatorCentres(listing);
  return listing && listing.national_admin ? [{ id: ALL_CENTRES, name: allLabel }, ...centres] : centres;
}

// May this person change receiver `r` of the directory? National receivers (shared by
// every centre) are the national admins' only; the others are the shown centre's, whose
// supervisors and admins reach the editor (services/referrals.py Referrals.do_put).
export function mayEditReceiver(r, nationalAdmin) {
  const national = !r.area || !r.area.kind || r.area.kind === "national";
  return !national || !!nationalAdmin;
}

// The picker is shown only when there is a choice.
export function needsPicker(centres) {
  return centres.length > 1;
}

// The centre to start with: the one chosen before if still offered, else "default"
// if offered, else the first.
export function initialCentre(centres, previous) {
  const ids = centres.map((c) => c.id);
  if (previous && ids.includes(previous)) return previous;
  if (ids.includes("default")) return "default";
  return ids[0] || null;
}
