// The loader's configuration in the iframe's URL fragment (src/app/host_config.js):
// only an exact http(s) origin is trusted for postMessage, only http(s) exit URLs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_EXIT, parseCentre, parseFragment } from "../src/app/host_config.js";

const frag = (params) => `#${new URLSearchParams(params)}`;

test("a well-formed fragment", () => {
  const c = parseFragment(frag({ o: "https://www.testby.se", l: "ar", c: "#5a2d82", x: "https://example.org/weather" }));
  assert.deepEqual(c, { origin: "https://www.testby.se", locale: "ar", accent: "#5a2d82", exitUrl: "https://example.org/weather" });
});

test("the origin must be exactly an http(s) origin", () => {
  for (const o of ["https://www.testby.se/", "https://www.testby.se/path", "https://user@www.testby.se", "javascript:alert(1)", "null", "*", "data:text/html,x", "", "https://www.testby.se:443"]) {
    assert.equal(parseFragment(frag({ o })).origin, null, o);
  }
  assert.equal(parseFragment(frag({ o: "http://localhost:8081" })).origin, "http://localhost:8081");
});

test("exit URL, locale and colour: anything odd falls back", () => {
  const c = parseFragment(frag({ x: "javascript:alert(1)", l: "<b>", c: "red" }));
  assert.deepEqual([c.exitUrl, c.locale, c.accent], [DEFAULT_EXIT, null, null]);
  assert.equal(parseFragment(frag({ l: "ku-Arab" })).locale, "ku-Arab");
  assert.equal(parseFragment(frag({ c: "#abc" })).accent, "#abc");
  assert.deepEqual(parseFragment(""), { origin: null, locale: null, accent: null, exitUrl: DEFAULT_EXIT });
});

test("the centre comes from the query string, as given (the server checks it)", () => {
  assert.equal(parseCentre("?centre=skane"), "skane");
  assert.equal(parseCentre("centre=skane&x=1"), "skane");
  assert.equal(parseCentre("?centre=Sk%C3%A5ne"), "Skåne");
  assert.equal(parseCentre(""), null);
  assert.equal(parseCentre("?centre="), null);
  assert.equal(parseCentre(`?centre=${"a".repeat(500)}`).length, 64);
});
