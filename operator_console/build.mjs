// Builds the operator console into the static files the chat server serves:
//   src/main.js   -> chat_server/static/console/app.js     (GET /console/app.js)
//   src/app.css   -> chat_server/static/console/app.css
//   src/index.html-> chat_server/static/console/index.html (GET /console/)
// The app bundles ../frontend_lib (shared with the widget) by relative import.
// Fails when the HTML has inline script or style (the server's CSP forbids them;
// ../frontend_lib/build_checks.mjs).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMON, checkHtmlFiles, gzipped, kb } from "../frontend_lib/build_checks.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "chat_server", "static", "console");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  ...COMMON,
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(out, "app.js"),
  format: "iife",
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
});
await build({ ...COMMON, entryPoints: [join(here, "src", "app.css")], outfile: join(out, "app.css") });
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));

if (!checkHtmlFiles("console", [join(out, "index.html")])) process.exit(1);
for (const f of ["index.html", "app.js", "app.css"]) {
  console.log(`console  ${f.padEnd(11)} ${kb(gzipped(join(out, f))).padStart(10)} gzipped`);
}
