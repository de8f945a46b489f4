// The widget's language choice (languages.js) with the table the server serves: the
// cases of tests/fixtures/language_cases.json, which tests/unit/test_i18n.py runs through
// the server's negotiate() too.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EMPTY_TABLE, candidates, chooseLocale, matchTag, normalizeTag, readTable } from "../languages.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cases = JSON.parse(readFileSync(join(repo, "tests", "fixtures", "language_cases.json"), "utf8")).cases;

// The payload of GET /i18n/locales.json, straight from the server's code (the project's
// virtual environment; `make js-test` installs it first).
function servedPayload() {
  const python = process.env.RC_PYTHON || join(repo, ".venv", "bin", "python");
  assert.ok(existsSync(python), `${python} is missing: run \`make install\` (or set RC_PYTHON)`);
  const out = execFileSync(python, ["-c", "import json; from chat_server import i18n; print(json.dumps(i18n.locales_payload()))"], {
    cwd: repo,
    encoding: "utf8",
  });
  return JSON.parse(out);
}

describe("chooseLocale with the served table", () => {
  const payload = servedPayload();
  const codes = payload.locales.map((l) => l.code);
  const table = readTable(payload);

  test("the payload carries the table", () => {
    assert.ok(Object.keys(table.aliases).length > 0);
    assert.ok(Object.keys(table.fallbacks).length > 0);
  });

  for (const c of cases) {
    test(`${JSON.stringify(c.languages)} -> ${c.locale}${c.why ? ` (${c.why})` : ""}`, () => {
      assert.equal(chooseLocale(c.languages, codes, table, payload.default), c.locale);
    });
  }
});

describe("language tags", () => {
  test("normalizeTag", () => {
    assert.equal(normalizeTag(" sv_SE.UTF-8 "), "sv-se");
    assert.equal(normalizeTag("ku-Arab-IQ"), "ku-arab-iq");
    assert.equal(normalizeTag("de@euro"), "de");
    for (const bad of ["", "*", "ar-", "-ar", "a b", "x".repeat(36), null, 3, undefined]) assert.equal(normalizeTag(bad), "", String(bad));
  });

  test("candidates: whole tag, language-script, language-region, language", () => {
    assert.deepEqual(candidates("ku-arab-iq"), ["ku-arab-iq", "ku-arab", "ku-iq", "ku"]);
    assert.deepEqual(candidates("ku-iq"), ["ku-iq", "ku"]);
    assert.deepEqual(candidates("es-419"), ["es-419", "es"]);
    assert.deepEqual(candidates("sv"), ["sv"]);
  });

  test("without a table only languages match, and nothing is a fallback", () => {
    const codes = ["sv", "fa", "ku", "ckb"];
    assert.equal(matchTag("fa-AF", codes, EMPTY_TABLE), "fa");
    assert.equal(matchTag("prs", codes, EMPTY_TABLE), null);
    assert.equal(matchTag("ku-IQ", codes, EMPTY_TABLE), "ku");
    assert.equal(chooseLocale(["nb"], codes, EMPTY_TABLE, null), null);
    assert.equal(chooseLocale("not a list", codes, EMPTY_TABLE, "sv"), "sv");
  });

  test("an alias to a locale the server does not offer is skipped", () => {
    const table = readTable({ negotiation: { aliases: { prs: "fa" }, fallbacks: { nb: "sv" } } });
    assert.equal(chooseLocale(["prs", "en"], ["en", "sv"], table, null), "en");
    assert.equal(chooseLocale(["nb"], ["en"], table, "en"), "en");
  });

  test("readTable keeps only strings and tolerates a missing or broken table", () => {
    assert.deepEqual(readTable({}), EMPTY_TABLE);
    assert.deepEqual(readTable(null), EMPTY_TABLE);
    assert.deepEqual(readTable({ negotiation: { aliases: { PRS: "fa", bad: 3 }, fallbacks: "x" } }), { aliases: { prs: "fa" }, fallbacks: {} });
  });
});
