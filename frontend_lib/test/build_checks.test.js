// The HTML checks both builds run (build_checks.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";
import { htmlProblems } from "../build_checks.mjs";

test("the apps' own HTML is clean", () => {
  const html = `<!doctype html><html><head><link rel="stylesheet" href="/widget/app.css">
    <script src="/widget/app.js" defer></script></head><body><noscript><p>JS</p></noscript></body></html>`;
  assert.deepEqual(htmlProblems(html), []);
});

test("every kind of inline code is found", () => {
  const cases = [
    ["<script>alert(1)</script>", "inline <script>"],
    ["<script src=/a.js>alert(1)</script>", "inline <script>"],
    ["<SCRIPT type=module>\nx()\n</SCRIPT>", "inline <script>"],
    ["<style>p{}</style>", "inline <style>"],
    ['<p style="color:red">', "style attribute"],
    ["<p STYLE = 'x'>", "style attribute"],
    ['<img src=x onerror="a()">', "event handler attribute"],
    ["<body onload=go()>", "event handler attribute"],
    ['<a href="javascript:void(0)">', "javascript: URL"],
  ];
  for (const [html, problem] of cases) assert.ok(htmlProblems(html).includes(problem), `${html} -> ${htmlProblems(html)}`);
});
