// Account forms: the server's rules, checked before sending, every problem named.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accountForm, accountPayload, accountProblems } from "../src/state/account_model.js";

const GOOD = { username: "lina.k", name: "Lina", password: "correct horse battery", role: "operator", locale: "sv", languages: ["sv", "ar"], audiences: ["individual"], maxChats: "" };

test("a good new account has no problems and becomes the API's body", () => {
  assert.deepEqual(accountProblems(GOOD, true), []);
  assert.deepEqual(accountPayload(GOOD, true), {
    username: "lina.k", name: "Lina", password: "correct horse battery", role: "operator", locale: "sv",
    languages: ["sv", "ar"], audiences: ["individual"], max_chats: null,
  });
  assert.equal(accountPayload({ ...GOOD, maxChats: " 4 " }, false).max_chats, 4);
  assert.equal("username" in accountPayload(GOOD, false), false);
});

test("every problem is named by its field", () => {
  const bad = { username: "a b", name: " ", password: "short", languages: [], audiences: [], maxChats: "25" };
  assert.deepEqual(accountProblems(bad, true).map((p) => p.field), ["username", "name", "password", "languages", "audiences", "maxChats"]);
  assert.deepEqual(accountProblems(bad, false).map((p) => p.field), ["name", "languages", "audiences", "maxChats"]);
  assert.deepEqual(accountProblems({ ...GOOD, maxChats: "2.5" }, true).map((p) => p.field), ["maxChats"]);
});

test("an account as listed fills the form, defaults included", () => {
  assert.deepEqual(accountForm({ name: "Ali", languages: ["sv"], max_chats: null }), { name: "Ali", languages: ["sv"], audiences: ["individual", "professional"], maxChats: "" });
  assert.equal(accountForm({ name: "Ali", languages: [], audiences: ["professional"], max_chats: 3 }).maxChats, "3");
});
