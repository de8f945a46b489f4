// Build-time checks shared by widget/build.mjs and operator_console/build.mjs.
//
// The server sends a strict Content-Security-Policy (script-src 'self'; style-src
// 'self'): inline code would be blocked in the browser, so the build refuses it first.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

// The CSP problems in one HTML document, as short English phrases; [] when clean.
export function htmlProblems(html) {
  const problems = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc=/i.test(m[1]) || m[2].trim()) problems.push("inline <script>");
  }
  if (/<style\b/i.test(html)) problems.push("inline <style>");
  if (/\sstyle\s*=/i.test(html)) problems.push("style attribute");
  if (/\son[a-z]+\s*=/i.test(html)) problems.push("event handler attribute");
  if (/javascript:/i.test(html)) problems.push("javascript: URL");
  return problems;
}

// Check built HTML files; prints each problem and returns false if there was any.
export function checkHtmlFiles(label, files) {
  let ok = true;
  for (const f of files) {
    const problems = htmlProblems(readFileSync(f, "utf8"));
    if (problems.length) {
      ok = false;
      console.error(`${label} build: ${f}: ${problems.join(", ")}`);
    }
  }
  return ok;
}

// Sizes in gzip at level 9, the unit of the budgets (what a browser downloads, near enough).
export const gzipped = (...files) => files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
export const rawSize = (...files) => files.reduce((n, f) => n + readFileSync(f).length, 0);
export const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

// esbuild options both apps share: one bundle per entry, for the browsers the product
// supports (the oldest school and library computers in use).
export const TARGET = ["es2020", "chrome87", "firefox78", "safari14", "edge88"];
export const COMMON = { bundle: true, minify: true, target: TARGET, platform: "browser", logLevel: "warning", charset: "utf8" };
