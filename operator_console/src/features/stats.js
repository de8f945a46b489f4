// Statistics a coordinator reads in a minute: headline figures for the period, trend
// lines by week or month (uPlot, ../lib/chart.js), every dimension as a table in words,
// a printable report for the centre's annual follow-up, and CSV with codes and words.
// Only ended months are published and a hidden cell (null) may hold any count
// (services/stats_protection.py): figures that depend on hidden cells are shown as the
// range they can be in, never as a guess (../state/stats_model.js).
import { pickCentre } from "../lib/centre_picker.js";
import { lineChart } from "../lib/chart.js";
import { scopedPath, statsChoices } from "../state/centre_scope.js";
import {
  UNDER_18,
  WAIT_BUCKETS,
  cellOf,
  conversations,
  feedbackShare,
  lastTwelveMonths,
  minutesOf,
  parsePeriod,
  shareBounds,
  shareSeries,
  sumCells,
  totalSeries,
  valuesOf,
  waitQuantile,
} from "../state/stats_model.js";
import { nextId } from "./rc_common.js";

const ORDER = {
  wait: [...WAIT_BUCKETS, "unanswered"],
  duration: ["0-5m", "5-15m", "15-30m", "30-60m", "60m+"],
  age_band: ["13-15", "16-17", "18-21", "22-26", "over-26", "unknown"],
  assessed_age_band: ["under-13", "13-15", "16-17", "18-21", "22-26", "over-26", "unknown"],
  risk: ["low", "medium", "high", "acute"],
  urgent: ["yes", "no"],
  triage: ["recorded", "missing"],
  feedback: ["yes", "partly", "no"],
  overflow: ["in", "out"],
};

export function install(api) {
  api.addView({ id: "stats", label: () => api._("Statistics"), roles: ["supervisor", "admin"], mount: (root) => dashboard(api, root) });
}

function formats(api) {
  const { _, fmt } = api;
  const safe = (make, fallback) => {
    try {
      return make();
    } catch (e) {
      return fallback;
    }
  };
  const number = safe(() => new Intl.NumberFormat(api.locale), new Intl.NumberFormat("sv"));
  const percent = safe(() => new Intl.NumberFormat(api.locale, { style: "percent", maximumFractionDigits: 0 }), new Intl.NumberFormat("sv", { style: "percent", maximumFractionDigits: 0 }));
  const month = safe(() => new Intl.DateTimeFormat(api.locale, { month: "short", year: "numeric", timeZone: "UTC" }), new Intl.DateTimeFormat("sv", { month: "short", year: "numeric", timeZone: "UTC" }));
  const day = safe(() => new Intl.DateTimeFormat(api.locale, { dateStyle: "medium", timeZone: "UTC" }), new Intl.DateTimeFormat("sv", { dateStyle: "medium", timeZone: "UTC" }));
  const period = (label) => {
    const p = parsePeriod(label);
    if (p.kind === "month") return month.format(new Date(Date.UTC(p.year, p.month - 1, 1)));
    if (p.kind === "week") return fmt(_("Week {week}, {year}"), { week: number.format(p.week), year: p.year });
    if (p.kind === "day") return day.format(new Date(Date.UTC(p.year, p.month - 1, p.day)));
    return label;
  };
  const range = (low, high, f) => (f(low) === f(high) ? f(low) : fmt(_("{low}–{high}"), { low: f(low), high: f(high) }));
  const minutes = (first, last) => {
    const [a, b] = minutesOf(first, last);
    if (b === null) return fmt(_("{n} minutes or more"), { n: number.format(a) });
    if (a === 0) return fmt(_("Under {n} minutes"), { n: number.format(b) });
    return fmt(_("{low}–{high} minutes"), { low: number.format(a), high: number.format(b) });
  };
  return { n: (x) => number.format(x), pct: (x) => percent.format(x), period, day: (iso) => day.format(new Date(`${iso}T00:00:00Z`)), range, minutes };
}

function dashboard(api, root) {
  const { _, el, fmt } = api;
  const f = formats(api);
  const defaults = lastTwelveMonths(new Date());
  const field = (label, control) => {
    control.id = nextId("st");
    return el("div", { class: "field" }, el("label", { for: control.id, text: label }), control);
  };
  const from = el("input", { type: "date", value: defaults.from });
  const to = el("input", { type: "date", value: defaults.to });
  const group = el("select", {},
    el("option", { value: "month", text: _("Per month"), selected: true }),
    el("option", { value: "week", text: _("Per week") }),
    el("option", { value: "day", text: _("Per day") }));
  const show = el("button", { type: "submit", class: "primary", text: _("Show") });
  const csv = el("a", { class: "button", download: "", text: _("Download CSV") });
  const print = el("button", { type: "button", class: "ghost", text: _("Print the report") });
  print.addEventListener("click", () => window.print());
  const status = el("p", { role: "status", class: "hint" });
  const report = el("div", { class: "stats-report" });
  // A person with several centres chooses one; a national admin also "every centre".
  const centreBox = el("div", { class: "centre-box", hidden: true });
  const form = el("form", { class: "card stats-form no-print" },
    el("div", { class: "inline-fields" }, centreBox, field(_("From"), from), field(_("To"), to), field(_("Period"), group), show),
    el("div", { class: "actions" }, csv, print), status);
  const heading = el("h1", { text: _("Statistics") });
  const subtitle = el("p", { class: "report-period" });
  let centre = null; // null: the person's own (the paths from before centres)
  let centreName = "";
  root.append(el("div", { class: "page stats-page" },
    heading, subtitle,
    el("div", { class: "notice stats-notes" },
      el("p", { text: _("Only months that have ended are shown, so a figure never changes from one day to the next and cannot be compared to find single chats. The current month is shown when it has ended.") }),
      el("p", { text: _("\"Hidden\" means fewer than 5, or a number that would let someone work out a hidden one. Figures that depend on hidden numbers are shown as the range they must be in.") })),
    form, report));

  let unmount = [];
  // A printed report shows every table: the numbers folded away on screen open for print.
  const opened = [];
  const beforePrint = () => root.querySelectorAll("details:not([open])").forEach((d) => opened.push(d) && (d.open = true));
  const afterPrint = () => opened.splice(0).forEach((d) => (d.open = false));
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  const cleanup = () => {
    unmount.forEach((u) => u());
    unmount = [];
  };
  const query = () => `from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}&group=${encodeURIComponent(group.value)}`;

  // Only the newest request draws: a slower answer for the centre or period chosen
  // before must not replace the one chosen now.
  let asked = 0;
  const load = async () => {
    const mine = ++asked;
    csv.setAttribute("href", scopedPath(`/api/stats.csv?${query()}`, centre));
    status.textContent = _("Loading…");
    let data;
    try {
      data = await api.api("GET", scopedPath(`/api/stats?${query()}`, centre));
    } catch (e) {
      if (mine === asked) status.textContent = e.message || _("The statistics could not be loaded.");
      return;
    }
    if (mine !== asked) return;
    cleanup();
    report.replaceChildren();
    const when = fmt(_("{from} to {to}"), { from: f.day(data.from), to: f.day(data.to) });
    // The printed report names its centre.
    subtitle.replaceChildren(centreName ? fmt(_("{centre}, {period}"), { centre: centreName, period: when }) : when);
    const until = data.published_until ? fmt(_("Published up to {date}."), { date: f.day(data.published_until) }) : "";
    if (!data.periods.length) {
      status.textContent = [_("No published conversations in this period."), until].filter(Boolean).join(" ");
      return;
    }
    status.textContent = until;
    render(api, f, data, report, (u) => unmount.push(u));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  let names = [];
  const useCentre = (id) => {
    centre = id;
    const c = names.find((x) => x.id === id);
    centreName = c ? c.name : "";
    load();
  };
  pickCentre("stats", (listing) => statsChoices(listing, _("Every resource centre (national)")), useCentre).then((picked) => {
    names = picked.names || [];
    if (picked.node) {
      centreBox.replaceChildren(picked.node);
      centreBox.hidden = false;
    }
    useCentre(picked.centre);
  });
  return () => {
    cleanup();
    window.removeEventListener("beforeprint", beforePrint);
    window.removeEventListener("afterprint", afterPrint);
  };
}

function render(api, f, data, host, onUnmount) {
  const { _, el, fmt } = api;
  const periods = data.periods;
  const labels = data.labels || { dimensions: {}, values: {} };
  const word = (dim, value) => (labels.values[dim] && labels.values[dim][value]) || _("Other");
  const title = (dim) => labels.dimensions[dim] || _("Other figures");
  const hidden = () => el("span", { class: "hidden-cell", text: _("hidden") });

  // --- headline figures --------------------------------------------------------------
  const figure = (label, value, note) =>
    el("div", { class: "figure" }, el("dt", { text: label }), el("dd", {}, el("bdi", { class: "figure-value", dir: "ltr", text: value }), note ? el("span", { class: "figure-note", text: note }) : null));
  const shareText = (s) => (s ? f.range(s.low, s.high, f.pct) : _("hidden"));
  const shareNote = (s) => (s && !s.exact ? _("A range: some of the numbers are hidden.") : null);
  const total = conversations(periods);
  const answered = shareBounds(periods, "wait", WAIT_BUCKETS);
  const under18 = shareBounds(periods, "age_band", UNDER_18);
  const urgent = shareBounds(periods, "urgent", ["yes"]);
  const median = waitQuantile(periods, 0.5);
  const p90 = waitQuantile(periods, 0.9);
  const feedback = feedbackShare(periods);
  const feedbackNote = (s) => {
    if (!s) return _("No visitor answered the question in this period.");
    const answers = s.answers.hidden ? fmt(_("at least {n}"), { n: f.n(s.answers.known) }) : f.n(s.answers.known);
    const note = fmt(_("Visitors who answered: {n}."), { n: answers });
    return s.exact ? note : `${note} ${_("A range: some of the numbers are hidden.")}`;
  };
  const waitText = (q) => (q ? f.minutes(q.first, q.last) : _("hidden"));
  const figures = el("dl", { class: "figures" },
    figure(_("Conversations"), f.n(total.known), total.hidden ? fmt(_("At least this many: {n} periods are hidden."), { n: total.hidden }) : null),
    figure(_("Answered"), shareText(answered), shareNote(answered)),
    figure(_("Median wait (answered chats)"), waitText(median), median && !median.exact ? _("A range: some of the numbers are hidden.") : null),
    figure(_("9 in 10 answered within"), waitText(p90), p90 && !p90.exact ? _("A range: some of the numbers are hidden.") : null),
    figure(_("Said they were under 18"), shareText(under18), shareNote(under18)),
    figure(_("Started as urgent"), shareText(urgent), shareNote(urgent)),
    // The visitors' own answer (issue 18 pt 7): "yes" among those who answered.
    figure(_("Said they got the help they needed"), shareText(feedback), feedbackNote(feedback)));
  const counted = (dim, value) => {
    const s = sumCells(periods, dim, value);
    const shown = s.hidden && !s.known ? hidden() : el("bdi", { class: "figure-value small", text: s.hidden ? fmt(_("at least {n}"), { n: f.n(s.known) }) : f.n(s.known) });
    return el("li", { "data-value": `${dim}:${value}` }, el("span", { text: word(dim, value) }), " ", shown);
  };
  const referrals = valuesOf(periods, "referral").map((type) => counted("referral", type));
  // Chats between centres (issue 19 pt 4), counted in both: only where there were any.
  const overflow = valuesOf(periods, "overflow", ORDER.overflow).map((value) => counted("overflow", value));
  host.append(el("section", { class: "card headline", "aria-labelledby": "stats-headline" },
    el("h2", { id: "stats-headline", text: _("The period at a glance") }),
    figures,
    el("h3", { text: title("referral") }),
    referrals.length ? el("ul", { class: "referral-figures" }, referrals) : el("p", { class: "hint", text: _("No referrals in this period.") }),
    overflow.length ? [el("h3", { text: title("overflow") }), el("ul", { class: "referral-figures overflow-figures" }, overflow)] : null));

  // --- trends ------------------------------------------------------------------------
  const periodLabels = periods.map((p) => f.period(p.period));
  const rtl = document.documentElement.dir === "rtl";
  const trend = (heading, series, format) => {
    const id = nextId("trend");
    const chartHost = el("div", { class: "chart-host" });
    const table = el("table", { class: "grid compact" },
      el("caption", { class: "visually-hidden", text: heading }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: _("Period") }), series.map((s) => el("th", { scope: "col", text: s.label })))),
      el("tbody", {}, periods.map((p, i) => el("tr", {}, el("th", { scope: "row", text: periodLabels[i] }),
        series.map((s) => el("td", {}, s.values[i] === null ? hidden() : el("bdi", { text: format(s.values[i]) })))))));
    const section = el("figure", { class: "card trend", "aria-labelledby": id },
      el("figcaption", {}, el("h2", { id, text: heading })),
      chartHost,
      el("details", { class: "numbers" }, el("summary", { text: _("Show the numbers") }), el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": id }, table)));
    host.append(section);
    if (periods.length > 1) onUnmount(lineChart(chartHost, { labels: periodLabels, series, format, rtl }));
    else chartHost.append(el("p", { class: "hint", text: _("A trend needs more than one period.") }));
  };
  trend(_("Conversations per period"), [{ label: _("Conversations"), values: totalSeries(periods) }], f.n);
  trend(_("Shares per period"), [
    { label: _("Answered"), values: shareSeries(periods, "wait", WAIT_BUCKETS) },
    { label: _("Under 18"), values: shareSeries(periods, "age_band", UNDER_18) },
    { label: _("Urgent"), values: shareSeries(periods, "urgent", ["yes"]) },
  ], f.pct);

  // --- every dimension as a table ------------------------------------------------------
  const tables = el("div", { class: "dimension-grid" });
  for (const dim of data.dimensions) {
    if (dim === "conversations") continue;
    const values = valuesOf(periods, dim, ORDER[dim] || []);
    if (!values.length) continue;
    const id = nextId("dim");
    const cell = (n) => (n === null ? hidden() : el("bdi", { text: f.n(n || 0) }));
    const rows = values.map((v) => {
      const s = sumCells(periods, dim, v);
      return el("tr", {},
        el("th", { scope: "row", text: word(dim, v) }),
        periods.length > 1 ? periods.map((p) => el("td", {}, cell(cellOf(p, dim, v)))) : null,
        // Hidden everywhere: "hidden"; partly hidden: the published part is a floor.
        el("td", { class: "sum" }, s.hidden && !s.known ? hidden() : el("bdi", { text: s.hidden ? fmt(_("at least {n}"), { n: f.n(s.known) }) : f.n(s.known) })));
    });
    tables.append(el("div", { class: "card dimension" },
      el("h2", { id, text: title(dim) }),
      // Scrolls sideways with many periods: focusable, so a keyboard can scroll it too.
      el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": id }, el("table", { class: "grid compact" },
        el("caption", { class: "visually-hidden", text: title(dim) }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: _("Answer") }),
          periods.length > 1 ? periodLabels.map((l) => el("th", { scope: "col", text: l })) : null,
          el("th", { scope: "col", text: _("Whole period") }))),
        el("tbody", {}, rows)))));
  }
  host.append(el("h2", { class: "section-title", text: _("Every figure") }), tables);
}
