// Coordinator dashboard: aggregate statistics per fixed period, drawn as simple SVG
// bar charts (no chart library, nothing from another origin), each with a data table
// for screen readers, and a CSV export. Only months that have ended are published, and
// a cell that could identify someone is hidden (null: services/stats_protection.py);
// a hidden cell may hold any count, so it is never labelled "below 5".
import { nextId, triageSchema } from "./rc_common.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) if (c) node.append(c);
  return node;
}

export function install(api) {
  const { _ } = api;
  api.addView({ id: "stats", label: _("Statistics"), roles: ["supervisor", "admin"], mount: (root) => dashboard(api, root) });
}

function dimensionTitle(api, dim) {
  const { _ } = api;
  const titles = {
    conversations: _("Conversations"),
    outcome: _("How chats ended"),
    audience: _("Who got in touch"),
    topic: _("Topic chosen by the visitor"),
    language: _("Language"),
    age_band: _("Age band given by the visitor"),
    urgent: _("Started as urgent"),
    wait: _("Waiting time"),
    duration: _("Length of chat"),
    triage: _("Triage recorded"),
    category: _("Categories (triage)"),
    risk: _("Risk level (triage)"),
    action: _("Actions taken (triage)"),
    gender: _("Gender (triage)"),
    assessed_age_band: _("Age band (triage)"),
    assessed_audience: _("Who got in touch (triage)"),
    assessed_language: _("Language (triage)"),
    referral: _("Referrals by type"),
    interpreter: _("Interpreter needed"),
    followup: _("Follow-up codes"),
  };
  return titles[dim] || dim;
}

// Names for counter values: triage labels from the server, language names in their own
// script, and a few labels of our own; anything else shows its code.
let namesCache = null;
async function valueNames(api) {
  if (namesCache && namesCache.locale === api.locale) return namesCache;
  const out = { locale: api.locale, triage: {}, languages: {} };
  try {
    out.triage = (await triageSchema(api)).labels;
  } catch (e) {
    /* labels are a nicety */
  }
  try {
    const res = await fetch("/i18n/locales.json", { credentials: "same-origin" });
    for (const l of (await res.json()).locales) out.languages[l.code] = l.name;
  } catch (e) {
    /* codes will do */
  }
  namesCache = out;
  return out;
}

function valueLabel(api, dim, value, names) {
  const { _ } = api;
  const own = {
    urgent: { yes: _("Yes"), no: _("No") },
    topic: { control: _("Control and restrictions"), marriage: _("Marriage"), fgm: _("Female genital mutilation"), violence: _("Violence"), other: _("Other"), none: _("Not given") },
    outcome: { visitor_ended: _("Ended by the visitor"), visitor_exit: _("Quick exit"), operator_ended: _("Ended by the counsellor"), abandoned: _("Connection lost"), blocked: _("Blocked") },
    referral: { social_services: _("Social services"), police: _("Police"), healthcare: _("Healthcare"), civil_society: _("Civil society organisation"), national_helpline: _("National helpline") },
    conversations: { total: _("All conversations") },
    wait: { unanswered: _("Not answered") },
  };
  const triageField = { category: "categories", risk: "risks", action: "actions", gender: "genders", assessed_age_band: "age_bands", assessed_audience: "audiences", audience: "audiences" }[dim];
  if (own[dim] && own[dim][value]) return own[dim][value];
  if (triageField && names.triage[triageField] && names.triage[triageField][value]) return names.triage[triageField][value];
  if ((dim === "language" || dim === "assessed_language") && names.languages[value]) return names.languages[value];
  if (value === "unknown") return _("Unknown");
  return value;
}

function dashboard(api, root) {
  const { _, el, fmt } = api;
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const start = new Date(today.getFullYear(), today.getMonth() - 2, 1);
  const fromId = nextId("from");
  const toId = nextId("to");
  const groupId = nextId("group");
  const from = el("input", { id: fromId, type: "date", value: iso(start) });
  const to = el("input", { id: toId, type: "date", value: iso(today) });
  const group = el("select", { id: groupId },
    el("option", { value: "month", text: _("Per month"), selected: true }),
    el("option", { value: "week", text: _("Per week") }),
    el("option", { value: "day", text: _("Per day") }));
  const show = el("button", { type: "submit", class: "primary", text: _("Show") });
  const csv = el("a", { class: "button", download: "", text: _("Download CSV") });
  const status = el("p", { role: "status", class: "hint" });
  const charts = el("div", { class: "charts" });
  const form = el("form", { class: "card stats-form" },
    el("h1", { text: _("Statistics") }),
    el("p", { class: "hint", text: _("Aggregate counts only, for months that have ended. A count that could identify someone is hidden: every count from 1 to 4, and any other count from which one could be worked out.") }),
    el("div", { class: "checks" },
      el("div", { class: "field" }, el("label", { for: fromId, text: _("From") }), from),
      el("div", { class: "field" }, el("label", { for: toId, text: _("To") }), to),
      el("div", { class: "field" }, el("label", { for: groupId, text: _("Period") }), group)),
    el("div", { class: "actions" }, show, csv), status);
  root.append(form, charts);

  const query = () => `from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}&group=${encodeURIComponent(group.value)}`;

  const load = async () => {
    csv.setAttribute("href", `/api/stats.csv?${query()}`);
    status.textContent = _("Loading…");
    let data;
    try {
      data = await api.api("GET", `/api/stats?${query()}`);
    } catch (e) {
      status.textContent = e.message || _("The statistics could not be loaded.");
      return;
    }
    charts.replaceChildren();
    if (!data.periods.length) {
      status.textContent = _("No conversations in this period.");
      if (data.published_until) {
        status.textContent += " " + fmt(_("Published up to {date}."), { date: data.published_until });
      }
      return;
    }
    status.textContent = fmt(_("{from} to {to}"), { from: data.from, to: data.to });
    if (data.published_until) {
      status.textContent += " " + fmt(_("Published up to {date}."), { date: data.published_until });
    }
    const names = await valueNames(api);
    for (const dim of data.dimensions) charts.append(chart(api, dim, data.periods, names));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  load();
  return () => {};
}

// One dimension: a bar per value (summed over periods only when every part is
// publishable; otherwise one group of bars per period), plus the same data as a table.
function chart(api, dim, periods, names) {
  const { _, el } = api;
  const values = [...new Set(periods.flatMap((p) => Object.keys(p.counts[dim] || {})))].sort();
  const rows = [];
  for (const p of periods) for (const v of values) {
    const counts = p.counts[dim] || {};
    if (!(v in counts)) continue;
    rows.push({ period: p.period, value: v, count: counts[v] });
  }
  const max = Math.max(5, ...rows.map((r) => r.count || 0));
  const barH = 18;
  const gap = 6;
  const labelW = 230;
  const width = 560;
  const height = rows.length * (barH + gap) + gap;
  const titleId = nextId("chart");
  const graphic = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": titleId, class: "bar-chart" });
  rows.forEach((r, i) => {
    const y = gap + i * (barH + gap);
    const w = r.count === null ? 0 : Math.max(2, ((width - labelW - 60) * r.count) / max);
    const label = svg("text", { x: labelW - 6, y: y + barH - 5, "text-anchor": "end", "font-size": 12, fill: "#1b2533" });
    const name = valueLabel(api, dim, r.value, names);
    label.textContent = periods.length > 1 ? `${r.period} · ${name}` : name;
    const bar = r.count === null
      ? svg("rect", { x: labelW, y, width: 24, height: barH, fill: "none", stroke: "#5b6b88", "stroke-dasharray": "3 2" })
      : svg("rect", { x: labelW, y, width: w, height: barH, fill: "#2f5f9e" });
    const num = svg("text", { x: labelW + (r.count === null ? 30 : w + 6), y: y + barH - 5, "font-size": 12, fill: "#1b2533" });
    num.textContent = r.count === null ? _("hidden") : String(r.count);
    graphic.append(label, bar, num);
  });
  const table = el("table", { class: "data visually-hidden" },
    el("caption", { text: dimensionTitle(api, dim) }),
    el("thead", {}, el("tr", {}, [_("Period"), _("Value"), _("Count")].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, el("td", { text: r.period }), el("td", { text: valueLabel(api, dim, r.value, names) }), el("td", { text: r.count === null ? _("hidden") : String(r.count) })))));
  return el("figure", { class: "card chart" }, el("figcaption", {}, el("h2", { id: titleId, text: dimensionTitle(api, dim) })), graphic, table);
}
