// Canned responses by "/" (src/state/canned.js), the referral picker's groups
// (src/state/referrals.js) and the supervisors' overview (src/state/supervision.js).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cannedChoices, fold, insertCanned, moveActive, slashQuery } from "../src/state/canned.js";
import { groupReceivers, municipalities, serves, socialServicesFor } from "../src/state/referrals.js";
import { attention, counts, orderChats, staffOnDuty } from "../src/state/supervision.js";

const AR = [
  { id: "greeting", title: "تحية", text: "مرحبا، اسمي {name}." },
  { id: "danger", title: "خطر الآن", text: "إذا كنت في خطر الآن، اتصل بـ 112." },
  { id: "own", title: "خاص", text: "نص خاص" },
];
const SV = [
  { id: "greeting", title: "Hälsning", text: "Hej, jag heter {name}." },
  { id: "danger", title: "Fara nu", text: "Ring 112." },
];

describe("canned responses", () => {
  test("titles in the counsellor's language, text in the visitor's", () => {
    const all = cannedChoices(AR, SV, "");
    assert.deepEqual(all.map((c) => [c.id, c.title, c.text.slice(0, 5)]), [
      ["greeting", "Hälsning", "مرحبا"],
      ["danger", "Fara nu", "إذا ك"],
      ["own", "خاص", "نص خا"],
    ]);
  });

  test("search folds case and accents, every word counts, title starts first", () => {
    assert.deepEqual(cannedChoices(AR, SV, "halsn").map((c) => c.id), ["greeting"]);
    assert.deepEqual(cannedChoices(AR, SV, "112").map((c) => c.id), ["danger"]);
    assert.deepEqual(cannedChoices(AR, SV, "fara 112").map((c) => c.id), ["danger"]);
    assert.deepEqual(cannedChoices(AR, SV, "نص").map((c) => c.id), ["own"]);
    assert.deepEqual(cannedChoices(AR, SV, "zzz"), []);
    assert.equal(fold("ÅÄÖ é"), "aao e");
  });

  test("a slash at the start or after a space opens the list; its words search", () => {
    assert.deepEqual(slashQuery("/", 1), { start: 0, query: "" });
    assert.deepEqual(slashQuery("hej /fa", 7), { start: 4, query: "fa" });
    assert.equal(slashQuery("och/eller", 9), null, "inside a word");
    assert.equal(slashQuery("/fa nu", 6), null, "a space ends it");
    assert.equal(slashQuery("1/2", 3), null);
  });

  test("the chosen text replaces the slash and its words", () => {
    assert.deepEqual(insertCanned("hej /fa", 4, 7, "Ring 112."), { value: "hej Ring 112.", caret: 13 });
    assert.deepEqual(insertCanned("/gr!", 0, 3, "Hej"), { value: "Hej !", caret: 4 });
    assert.equal(moveActive(0, 3, "ArrowUp"), 2);
    assert.equal(moveActive(2, 3, "ArrowDown"), 0);
    assert.equal(moveActive(5, 3, "Enter"), 2);
    assert.equal(moveActive(0, 0, "ArrowDown"), -1);
  });
});

const R = [
  { id: "emergency-112", type: "national_helpline", name: "112 – SOS Alarm", area: { kind: "national" } },
  { id: "bris", type: "national_helpline", name: "BRIS", area: { kind: "national" } },
  { id: "st-mora", type: "social_services", name: "Socialtjänsten, Mora kommun", area: { kind: "municipality", name: "Mora", code: "2062", county: "Dalarna" } },
  { id: "st-falun", type: "social_services", name: "Socialtjänsten, Falun kommun", area: { kind: "municipality", name: "Falun", code: "2080", county: "Dalarna" } },
  { id: "st-avesta", type: "social_services", name: "Socialtjänsten, Avesta kommun", area: { kind: "municipality", name: "Avesta", code: "2084", county: "Dalarna" } },
  { id: "rc-dalarna", type: "civil_society", name: "Stödlinje Dalarna", area: { kind: "region", name: "Dalarna", county: "Dalarna" } },
  { id: "rc-uppsala", type: "civil_society", name: "Stödlinje Uppsala", area: { kind: "region", name: "Uppsala", county: "Uppsala" } },
];
const TYPES = [
  { id: "social_services", label: "Socialtjänst" },
  { id: "police", label: "Polis" },
  { id: "civil_society", label: "Civilsamhälle" },
  { id: "national_helpline", label: "Nationell stödlinje" },
];

describe("the referral picker", () => {
  test("grouped by type, then national, regions and municipalities by name", () => {
    const groups = groupReceivers(R, TYPES);
    assert.deepEqual(groups.map((g) => g.type), ["social_services", "civil_society", "national_helpline"]);
    assert.deepEqual(groups[0].areas.map((a) => a.name), ["Avesta", "Falun", "Mora"]);
    assert.deepEqual(groups[2].areas.map((a) => [a.kind, a.receivers.map((r) => r.id)]), [["national", ["emergency-112", "bris"]]]);
  });

  test("the visitor's municipality narrows it: national, their county's region, their municipality", () => {
    const groups = groupReceivers(R, TYPES, { municipality: "2080" });
    assert.deepEqual(groups.flatMap((g) => g.areas.flatMap((a) => a.receivers.map((r) => r.id))), ["st-falun", "rc-dalarna", "emergency-112", "bris"]);
    assert.equal(groupReceivers(R, TYPES, { municipality: "2080", all: true }).flatMap((g) => g.areas).length, 6);
    assert.deepEqual(groupReceivers(R, TYPES, { query: "mora" }).flatMap((g) => g.areas.map((a) => a.name)), ["Mora"]);
    assert.equal(serves(R[6], { code: "2080", county: "Dalarna" }), false);
  });

  test("municipalities and their social services come from the directory", () => {
    assert.deepEqual(municipalities(R).map((m) => m.name), ["Avesta", "Falun", "Mora"]);
    assert.deepEqual(socialServicesFor(R, "2062").map((r) => r.id), ["st-mora"]);
    assert.deepEqual(socialServicesFor(R, null), []);
  });
});

describe("the supervisors' overview", () => {
  const items = [
    { id: "a", pseudonym: "AAAA", state: "active", urgent: false, waiting_since: 10, operator: { id: "sara" }, visitor_connected: false },
    { id: "b", pseudonym: "BBBB", state: "waiting", urgent: false, waiting_since: 5 },
    { id: "c", pseudonym: "CCCC", state: "waiting", urgent: true, waiting_since: 50 },
    { id: "d", pseudonym: "DDDD", state: "active", urgent: true, waiting_since: 40, operator: { id: "sara" } },
    { id: "e", pseudonym: "EEEE", state: "waiting", urgent: true, waiting_since: 20 },
  ];

  test("urgent waiting first, then waiting longest first, then active chats", () => {
    assert.deepEqual(orderChats(items).map((c) => c.id), ["e", "c", "b", "d", "a"]);
    assert.deepEqual(counts(items), { waiting: 3, urgent: 2, active: 2, away: 1 });
  });

  test("staff on duty with their load; the supervisor too when on duty", () => {
    const colleagues = [
      { id: "sara", name: "Sara", role: "operator", languages: ["sv", "ar"], on_duty: true },
      { id: "ali", name: "Ali", role: "operator", languages: ["fa"], on_duty: true },
      { id: "off", name: "Bo", role: "operator", languages: ["sv"], on_duty: false },
    ];
    const staff = staffOnDuty(colleagues, items, { id: "me", name: "Maria", role: "supervisor", languages: ["sv"], on: true });
    assert.deepEqual(staff.map((s) => [s.name, s.load, s.me]), [["Ali", 0, false], ["Maria", 0, true], ["Sara", 2, false]]);
    assert.deepEqual(staff[2].chats, ["AAAA", "DDDD"]);
    assert.equal(staffOnDuty(colleagues, items, { id: "me", on: false }).length, 2);
  });

  test("what needs attention: server alerts for chats still waiting, urgent waiting, visitors away", () => {
    const received = [{ conversation: { id: "c", pseudonym: "CCCC", waiting_since: 50 } }, { conversation: { id: "d" } }];
    assert.deepEqual(attention(items, received).map((a) => [a.kind, a.id]), [
      ["alert", "c"],
      ["urgent_waiting", "e"],
      ["urgent_waiting", "c"],
      ["away", "a"],
    ]);
  });
});
