import assert from "node:assert/strict";
import { test } from "node:test";
import { copyText, selectText } from "../copy.js";
import { wayOf } from "../referral_card.js";

test("a phone number is printed as written, linked without its spaces, kept left to right", () => {
  const w = wayOf({ kind: "phone", value: "020-50 50 50", label: "Ring", note: "växel" });
  assert.deepEqual(w, { kind: "phone", value: "020-50 50 50", label: "Ring", note: "växel", href: "tel:020505050", external: false, ltr: true });
});

test("a number that is not one is still printed, without a link", () => {
  const w = wayOf({ kind: "phone", value: "ring växeln", label: "Ring" });
  assert.equal(w.value, "ring växeln");
  assert.equal(w.href, null);
});

test("links: only http(s); a script URL is not shown at all", () => {
  assert.equal(wayOf({ kind: "web", value: "https://www.bris.se", label: "Webb" }).href, "https://www.bris.se/");
  assert.equal(wayOf({ kind: "web", value: "javascript:alert(1)", label: "x" }), null);
  assert.equal(wayOf({ kind: "chat", value: "data:text/html,x", label: "x" }), null);
});

test("an address is printed in its own direction, an e-mail address gets mailto:", () => {
  const visit = wayOf({ kind: "visit", value: "Storgatan 1, Falun", label: "Besök" });
  assert.equal(visit.ltr, false);
  assert.equal(visit.href, null);
  assert.equal(wayOf({ kind: "email", value: "a@b.se", label: "E-post" }).href, "mailto:a@b.se");
  assert.equal(wayOf({ kind: "email", value: "a@b.se?cc=x@y:z", label: "E-post" }).href, null);
});

test("nothing to show for junk", () => {
  for (const bad of [null, "x", {}, { kind: "phone", value: "" }, { kind: "phone", value: 42 }]) assert.equal(wayOf(bad), null);
});

function fakeWindow({ clipboard } = {}) {
  const calls = [];
  const selection = { removeAllRanges: () => calls.push("clear"), selectAllChildren: (n) => calls.push(["select", n]) };
  return { calls, env: { navigator: { clipboard }, getSelection: () => selection } };
}

test("copy: the Clipboard API when it works", async () => {
  const written = [];
  const { env, calls } = fakeWindow({ clipboard: { writeText: async (t) => written.push(t) } });
  assert.equal(await copyText("116 111", "node", env), "copied");
  assert.deepEqual(written, ["116 111"]);
  assert.deepEqual(calls, []);
});

test("copy: refused or missing clipboard selects the printed text instead", async () => {
  const refused = fakeWindow({ clipboard: { writeText: async () => Promise.reject(new Error("NotAllowedError")) } });
  assert.equal(await copyText("112", "node", refused.env), "selected");
  assert.deepEqual(refused.calls, ["clear", ["select", "node"]]);
  const none = fakeWindow();
  assert.equal(await copyText("112", "node", none.env), "selected");
  assert.equal(await copyText("112", null, {}), "failed");
  assert.equal(selectText(null, none.env), false);
});
