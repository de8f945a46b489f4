// Translation helpers (i18n.js) without a browser: catalogs put in place by useCatalog.
import assert from "node:assert/strict";
import { test } from "node:test";
import { _, current, direction, fmt, hasTranslation, languageLabel, languageName, useCatalog } from "../i18n.js";

test("a missing or empty translation falls back to the msgid", () => {
  useCatalog("sv", { dir: "ltr", name: "Svenska", messages: { Send: "Skicka", Empty: "" } });
  assert.equal(_("Send"), "Skicka");
  assert.equal(_("Empty"), "Empty");
  assert.equal(_("Unknown sentence."), "Unknown sentence.");
  assert.equal(hasTranslation("Send"), true);
  assert.equal(hasTranslation("Empty"), false);
});

test("fmt fills named placeholders after translation and leaves unknown ones", () => {
  assert.equal(fmt("{name} is writing…", { name: "Sara" }), "Sara is writing…");
  assert.equal(fmt("{a} {b} {a}", { a: 1 }), "1 {b} 1");
  assert.equal(fmt("no params", undefined), "no params");
  // A value is inserted as it is, never re-read as a placeholder.
  assert.equal(fmt("{x}", { x: "{y}", y: "!" }), "{y}");
});

test("direction and names come from the server's list, with a safe default", () => {
  useCatalog("ar", { dir: "rtl", name: "العربية", messages: {} });
  assert.deepEqual([current.locale, current.dir, current.name], ["ar", "rtl", "العربية"]);
  assert.equal(direction("fa"), "rtl");
  assert.equal(direction("ckb"), "rtl");
  assert.equal(direction("ku"), "ltr");
  assert.equal(direction("he-IL"), "rtl");
  assert.equal(languageName("ti"), "ትግርኛ");
  assert.equal(languageName("xx"), "xx");
  // A catalog that could not be fetched: English msgids, direction from the list.
  useCatalog("fa", null);
  assert.deepEqual([current.locale, current.dir], ["fa", "rtl"]);
  useCatalog("en", { dir: "sideways" });
  assert.equal(current.dir, "ltr");
  assert.equal(hasTranslation("Anything"), true);
});

test("languageLabel: the server's name for the reader, else the language's own name", () => {
  useCatalog("sv", { dir: "ltr", messages: {}, languages: { ar: "Arabiska (\u2068العربية\u2069)" } });
  assert.equal(languageLabel("ar"), "Arabiska (\u2068العربية\u2069)");
  assert.equal(languageLabel("ti"), languageName("ti"));
  useCatalog("en", { dir: "ltr", messages: {} });
  assert.equal(languageLabel("ar"), languageName("ar"));
});
