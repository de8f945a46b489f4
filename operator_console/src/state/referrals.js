// The referral directory as the picker shows it: grouped by type of receiver and then by
// area (national first, then regions, then municipalities by name), narrowed to the
// visitor's municipality when it is known. Receivers are GET /api/referrals items
// (docs/protocol.md "Referrals"). Pure; test/referrals.test.js.
import { fold } from "./canned.js";

const byName = (a, b) => a.localeCompare(b, "sv");

// The municipalities the directory knows: [{code, name, county}] by name. A receiver
// without a code is known by its name.
export function municipalities(receivers) {
  const seen = new Map();
  for (const r of receivers || []) {
    const a = r.area || {};
    if (a.kind !== "municipality" || !a.name) continue;
    const code = a.code || a.name;
    if (!seen.has(code)) seen.set(code, { code, name: a.name, county: a.county || "" });
  }
  return [...seen.values()].sort((a, b) => byName(a.name, b.name));
}

export function municipalityOf(receivers, code) {
  return municipalities(receivers).find((m) => m.code === code) || null;
}

function areaKey(area) {
  if (!area || area.kind === "national") return "national";
  return `${area.kind}:${area.code || area.name}`;
}

// Does a receiver serve municipality `m` ({code, county})? National ones serve everyone,
// a region its county.
export function serves(receiver, m) {
  const a = receiver.area || {};
  if (a.kind === "national" || !a.kind) return true;
  if (a.kind === "region") return !!m.county && a.county === m.county;
  return (a.code || a.name) === m.code;
}

// [{type, label, areas: [{key, kind, name, receivers}]}] in the order of `types`
// ([{id, label}]). `municipality`: a code to narrow to (unless `all`); `query`: words
// that must all be in a receiver's name, area or notes.
export function groupReceivers(receivers, types, { municipality = null, all = false, query = "" } = {}) {
  const m = municipality ? municipalityOf(receivers, municipality) : null;
  const words = fold(query).split(/\s+/).filter(Boolean);
  const out = [];
  for (const t of types || []) {
    const areas = new Map();
    for (const r of receivers || []) {
      if (r.type !== t.id) continue;
      if (m && !all && !serves(r, m)) continue;
      const hay = fold(`${r.name} ${(r.area && r.area.name) || ""} ${r.notes || ""}`);
      if (!words.every((w) => hay.includes(w))) continue;
      const key = areaKey(r.area);
      if (!areas.has(key)) {
        const a = r.area || { kind: "national" };
        areas.set(key, { key, kind: a.kind || "national", name: a.name || "", receivers: [] });
      }
      areas.get(key).receivers.push(r);
    }
    if (!areas.size) continue;
    const rank = { national: 0, region: 1, municipality: 2 };
    const list = [...areas.values()].sort((a, b) => (rank[a.kind] ?? 3) - (rank[b.kind] ?? 3) || byName(a.name, b.name));
    for (const a of list) a.receivers.sort((x, y) => byName(x.name, y.name));
    out.push({ type: t.id, label: t.label, areas: list });
  }
  return out;
}

// The social services of a municipality (the duty-to-report reminder).
export function socialServicesFor(receivers, code) {
  if (!code) return [];
  return (receivers || []).filter((r) => r.type === "social_services" && r.area && r.area.kind === "municipality" && (r.area.code || r.area.name) === code);
}
