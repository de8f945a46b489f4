// Trend lines drawn with uPlot (MIT, npm `uplot`, bundled by esbuild: no CDN). uPlot
// draws on a <canvas> and sets sizes through the CSSOM (element.style), never a style
// attribute or eval, so it works under the console's strict CSP. A canvas says nothing
// to a screen reader: every chart is shown with its numbers in a table beside it
// (features/stats.js), and its legend is our own text.
import uPlot from "uplot";
import { el } from "../../../frontend_lib/dom.js";

// Colours with at least 3:1 contrast on white (WCAG 1.4.11) and told apart by dash too.
const LINES = [
  { stroke: "#1f5fa8", dash: [] },
  { stroke: "#b3261e", dash: [6, 4] },
  { stroke: "#1e7a46", dash: [2, 3] },
  { stroke: "#6b3fa0", dash: [10, 3, 2, 3] },
];

// host: an element; labels: one per period (x axis); series: [{label, values (number|null)}];
// format(n): y axis numbers. Returns a function that removes the chart.
export function lineChart(host, { labels, series, format, rtl = false }) {
  const box = el("div", { class: "chart-canvas", "aria-hidden": "true" });
  const legend = el("ul", { class: "chart-legend", "aria-hidden": "true" },
    series.map((s, i) => el("li", {}, el("span", { class: `swatch swatch-${i}` }), el("span", { text: s.label }))));
  host.append(box, legend);
  const xs = labels.map((_l, i) => i);
  const width = () => Math.max(260, Math.floor(box.getBoundingClientRect().width || host.getBoundingClientRect().width || 600));
  const font = `12px ${getComputedStyle(document.body).fontFamily}`;
  const opts = {
    width: width(),
    height: 220,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false },
    scales: { x: { time: false, dir: rtl ? -1 : 1 }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { font, stroke: "#3b4456", grid: { stroke: "#e3e6eb" }, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) && labels[t] !== undefined ? labels[t] : "")), space: 60 },
      { font, stroke: "#3b4456", grid: { stroke: "#e3e6eb" }, values: (_u, ticks) => ticks.map(format), size: 56, side: rtl ? 1 : 3 },
    ],
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: LINES[i % LINES.length].stroke, dash: LINES[i % LINES.length].dash, width: 2, points: { show: true, size: 6 }, spanGaps: false }))],
  };
  const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], box);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
  resize.observe(host);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}
