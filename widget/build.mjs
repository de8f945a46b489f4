// Builds the widget into the static files the chat server serves:
//   src/loader.js        -> chat_server/static/widget.js          (GET /widget.js)
//   src/app/main.js ...  -> chat_server/static/widget/app.js      (GET /widget/app.js)
//   src/app/app.css      -> chat_server/static/widget/app.css
//   src/app/index.html   -> chat_server/static/widget/index.html  (GET /widget/)
//   src/demo/*           -> chat_server/static/demo/              (GET /demo/, /demo/skane.html)
// The app bundles ../frontend_lib (shared with the console) by relative import.
// Prints the gzipped sizes and fails when a budget is exceeded or when an HTML file
// has inline script or style (the server's CSP forbids them; ../frontend_lib/build_checks.mjs).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMON, checkHtmlFiles, gzipped, kb, rawSize } from "../frontend_lib/build_checks.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "chat_server", "static");
const BUDGET = { loader: 3 * 1024, app: 45 * 1024 };

rmSync(join(out, "widget"), { recursive: true, force: true });
rmSync(join(out, "demo"), { recursive: true, force: true });
mkdirSync(join(out, "widget"), { recursive: true });
mkdirSync(join(out, "demo"), { recursive: true });

await build({
  ...COMMON,
  entryPoints: [join(here, "src", "loader.js")],
  outfile: join(out, "widget.js"),
  format: "iife",
  legalComments: "none",
});

await build({
  ...COMMON,
  entryPoints: [join(here, "src", "app", "main.js")],
  outfile: join(out, "widget", "app.js"),
  format: "iife",
  // socket.io-client and its dependencies are MIT licensed; their notices are kept.
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
});

await build({
  ...COMMON,
  entryPoints: [join(here, "src", "app", "app.css")],
  outfile: join(out, "widget", "app.css"),
});

copyFileSync(join(here, "src", "app", "index.html"), join(out, "widget", "index.html"));
// Two host pages, one per centre (issue 19): Dalarna's and Skåne's, from the example data.
for (const page of ["index.html", "skane.html"]) copyFileSync(join(here, "src", "demo", page), join(out, "demo", page));
await build({
  ...COMMON,
  entryPoints: [join(here, "src", "demo", "demo.css")],
  outfile: join(out, "demo", "demo.css"),
});

let failed = !checkHtmlFiles("widget", [join(out, "widget", "index.html"), join(out, "demo", "index.html"), join(out, "demo", "skane.html")]);

const loaderFiles = [join(out, "widget.js")];
const appFiles = ["index.html", "app.js", "app.css"].map((f) => join(out, "widget", f));
const sizes = { loader: gzipped(...loaderFiles), app: gzipped(...appFiles) };
console.log(`widget loader  widget.js                       ${kb(rawSize(...loaderFiles)).padStart(9)} raw ${kb(sizes.loader).padStart(9)} gzipped (budget ${kb(BUDGET.loader)})`);
console.log(`widget app     index.html + app.js + app.css   ${kb(rawSize(...appFiles)).padStart(9)} raw ${kb(sizes.app).padStart(9)} gzipped (budget ${kb(BUDGET.app)})`);
for (const f of appFiles) console.log(`                 ${f.split("/").pop().padEnd(12)} ${kb(gzipped(f)).padStart(9)} gzipped`);
for (const k of Object.keys(BUDGET)) {
  if (sizes[k] > BUDGET[k]) {
    failed = true;
    console.error(`widget build: ${k} is ${kb(sizes[k])} gzipped, over its budget of ${kb(BUDGET[k])}`);
  }
}
if (failed) process.exit(1);
