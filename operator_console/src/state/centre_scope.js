// The centre an admin screen acts on (issue 19). A person with one centre uses the
// paths from before centres (the server acts on their only centre); with several, the
// admin views show a picker and every admin request goes to that centre's paths
// (/api/centres/{centre}/…, docs/protocol.md). Pure functions, tested in
// test/centre_scope.test.js.

// The admin paths from before centres and their per-centre forms.
const SCOPED = [
  [/^\/api\/admin\/(staff|hours|canned|audit)(?=[/?]|$)/, "/admin/$1"],
  [/^\/api\/(hours|canned)(?=[/?]|$)/, "/$1"],
];

// The path ``path`` for ``centre`` (null: unchanged). Paths that are not per centre
// (login, the directory, statistics, the centres themselves) are left as they are.
export function scopedPath(path, centre) {
  if (!centre) return path;
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
