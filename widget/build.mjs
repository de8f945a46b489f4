// Builds the widget into the static files the chat server serves:
//   src/loader.js        -> chat_server/static/widget.js          (GET /widget.js)
//   src/app/main.js ...  -> chat_server/static/widget/app.js      (GET /widget/app.js)
//   src/app/app.css      -> chat_server/static/widget/app.css
//   src/app/index.html   -> chat_server/static/widget/index.html  (GET /widget/)
//   src/demo/*           -> chat_server/static/demo/              (GET /demo/)
// Prints the gzipped sizes and fails when a budget is exceeded or when an HTML file
// has inline script or style (the server's CSP forbids them).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "chat_server", "static");
const BUDGET = { loader: 3 * 1024, app: 45 * 1024 };
const target = ["es2020", "chrome87", "firefox78", "safari14", "edge88"];

rmSync(join(out, "widget"), { recursive: true, force: true });
rmSync(join(out, "demo"), { recursive: true, force: true });
mkdirSync(join(out, "widget"), { recursive: true });
mkdirSync(join(out, "demo"), { recursive: true });

const common = { bundle: true, minify: true, target, platform: "browser", logLevel: "warning", charset: "utf8" };

await build({
  ...common,
  entryPoints: [join(here, "src", "loader.js")],
  outfile: join(out, "widget.js"),
  format: "iife",
  legalComments: "none",
});

await build({
  ...common,
  entryPoints: [join(here, "src", "app", "main.js")],
  outfile: join(out, "widget", "app.js"),
  format: "iife",
  // socket.io-client and its dependencies are MIT licensed; their notices are kept.
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
});

await build({
  ...common,
  entryPoints: [join(here, "src", "app", "app.css")],
  outfile: join(out, "widget", "app.css"),
});

copyFileSync(join(here, "src", "app", "index.html"), join(out, "widget", "index.html"));
copyFileSync(join(here, "src", "demo", "index.html"), join(out, "demo", "index.html"));
await build({
  ...common,
  entryPoints: [join(here, "src", "demo", "demo.css")],
  outfile: join(out, "demo", "demo.css"),
});

// Strict CSP: script-src 'self'; style-src 'self'. No inline code of any kind.
let failed = false;
for (const f of [join(out, "widget", "index.html"), join(out, "demo", "index.html")]) {
  const html = readFileSync(f, "utf8");
  const problems = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc=/.test(m[1]) || m[2].trim()) problems.push("inline <script>");
  }
  if (/<style\b/i.test(html)) problems.push("inline <style>");
  if (/\sstyle=/i.test(html)) problems.push("style attribute");
  if (/\son[a-z]+=/i.test(html)) problems.push("event handler attribute");
  if (/javascript:/i.test(html)) problems.push("javascript: URL");
  if (problems.length) {
    failed = true;
    console.error(`widget build: ${f}: ${problems.join(", ")}`);
  }
}

const gz = (...files) => files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const raw = (...files) => files.reduce((n, f) => n + readFileSync(f).length, 0);
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
const loaderFiles = [join(out, "widget.js")];
const appFiles = ["index.html", "app.js", "app.css"].map((f) => join(out, "widget", f));
const sizes = {
  loader: gz(...loaderFiles),
  app: gz(...appFiles),
};
console.log(`widget loader  widget.js                       ${kb(raw(...loaderFiles)).padStart(9)} raw ${kb(sizes.loader).padStart(9)} gzipped (budget ${kb(BUDGET.loader)})`);
console.log(`widget app     index.html + app.js + app.css   ${kb(raw(...appFiles)).padStart(9)} raw ${kb(sizes.app).padStart(9)} gzipped (budget ${kb(BUDGET.app)})`);
for (const f of appFiles) console.log(`                 ${f.split("/").pop().padEnd(12)} ${kb(gz(f)).padStart(9)} gzipped`);
for (const k of Object.keys(BUDGET)) {
  if (sizes[k] > BUDGET[k]) {
    failed = true;
    console.error(`widget build: ${k} is ${kb(sizes[k])} gzipped, over its budget of ${kb(BUDGET[k])}`);
  }
}
if (failed) process.exit(1);
