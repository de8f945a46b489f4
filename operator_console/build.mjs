// Builds the operator console into the static files the chat server serves:
//   src/main.js   -> chat_server/static/console/app.js     (GET /console/app.js)
//   src/app.css   -> chat_server/static/console/app.css
//   src/index.html-> chat_server/static/console/index.html (GET /console/)
// Fails when the HTML has inline script or style (the server's CSP forbids them).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "chat_server", "static", "console");
const target = ["es2020", "chrome87", "firefox78", "safari14", "edge88"];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, target, platform: "browser", logLevel: "warning", charset: "utf8" };

await build({
  ...common,
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(out, "app.js"),
  format: "iife",
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
});
await build({ ...common, entryPoints: [join(here, "src", "app.css")], outfile: join(out, "app.css") });
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));

const html = readFileSync(join(out, "index.html"), "utf8");
const problems = [];
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim()) problems.push("inline <script>");
}
if (/<style\b/i.test(html)) problems.push("inline <style>");
if (/\sstyle=/i.test(html)) problems.push("style attribute");
if (/\son[a-z]+=/i.test(html)) problems.push("event handler attribute");
if (problems.length) {
  console.error(`console build: index.html: ${problems.join(", ")}`);
  process.exit(1);
}
const gz = (f) => gzipSync(readFileSync(join(out, f)), { level: 9 }).length;
for (const f of ["index.html", "app.js", "app.css"]) {
  console.log(`console  ${f.padEnd(11)} ${(gz(f) / 1024).toFixed(2).padStart(7)} KB gzipped`);
}
