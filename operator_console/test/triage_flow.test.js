// Ending, triage and closing in the workplace state (src/state/chats.js) and the triage
// rules (src/state/triage.js): every chat gets its triage; what ends is emptied; what is
// done closes itself after a visible delay; the duty to report holds a chat open.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CLOSE_MS,
  addChat,
  addMessage,
  applyConversation,
  applyMarks,
  applySent,
  applyTriageDone,
  applyTriageList,
  applyTriagePending,
  createWork,
  dueToClose,
  keepOpen,
  markEnded,
  openTool,
  outgoing,
  toTriageCount,
} from "../src/state/chats.js";
import { draftComplete, draftOf, draftToForm, emptyDraft, harmOf, reportDuty, reportDutyOpen } from "../src/state/triage.js";

const SCHEMA = {
  age_bands: ["under-13", "13-15", "16-17", "18-21", "22-26", "over-26", "unknown"],
  under_18: ["13-15", "16-17", "under-13"],
  harm_categories: ["child_marriage", "fgm", "forced_marriage", "honour_control", "threats", "violence"],
  harm_topics: ["control", "fgm", "marriage", "violence"],
};
const conv = (id, extra = {}) => ({ id, pseudonym: `P${id}`, locale: "ar", audience: "self", visitor_connected: true, ...extra });
const item = (id, extra = {}) => ({
  id,
  pseudonym: "KLMN",
  locale: "ti",
  audience: "self",
  topic: "marriage",
  age_band: "16-17",
  urgent: false,
  ended_at: 1000,
  expires_at: 1000 + 86400000,
  reason: "visitor_exit",
  marks: { categories: ["threats"], age_band: null, municipality: "2080", acknowledged_by: null },
  ...extra,
});

describe("the end of a chat", () => {
  test("an ended chat keeps nothing of the conversation and takes no more messages", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), [{ id: "m1", from: "visitor", text: "hej", ts: 1 }]);
    chat.draft = "halvskrivet";
    chat.tool = "referral";
    markEnded(W, "a", "visitor_ended", 5000);
    assert.deepEqual([chat.messages, chat.draft, chat.ended, chat.endedAt, chat.tool], [[], "", "visitor_ended", 5000, null]);
    assert.equal(addMessage(W, chat, { id: "m2", from: "visitor", text: "sen", ts: 2 }, { live: true, visible: false }).added, false);
    assert.equal(markEnded(W, "a", "abandoned", 6000), null, "ends once");
  });

  test("a chat that needs no triage closes itself after CLOSE_MS, unless kept open", () => {
    const W = createWork();
    addChat(W, conv("a"), [], "invited");
    addChat(W, conv("b"), [], "observer");
    markEnded(W, "a", "operator_ended", 1000);
    markEnded(W, "b", "operator_ended", 1000);
    assert.deepEqual(dueToClose(W, 1000 + CLOSE_MS - 1), []);
    keepOpen(W, "b");
    assert.deepEqual(dueToClose(W, 1000 + CLOSE_MS), ["a"]);
  });

  test("something that still needs the operator holds the chat, and its time starts again", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    markEnded(W, "a", "operator_ended", 0);
    assert.deepEqual(dueToClose(W, CLOSE_MS, () => true), []);
    assert.equal(chat.closeAt, 2 * CLOSE_MS);
    assert.deepEqual(dueToClose(W, 2 * CLOSE_MS), ["a"]);
  });
});

describe("every chat gets its triage", () => {
  test("triage_pending before ended: the open chat waits, does not close, opens the triage", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    applyTriagePending(W, "a", item("t1"));
    markEnded(W, "a", "visitor_exit", 2000);
    assert.equal(chat.closeAt, null);
    assert.equal(chat.tool, "triage");
    assert.equal(chat.marks.municipality, "2080");
    assert.deepEqual(dueToClose(W, 10 * CLOSE_MS), []);
    assert.equal(toTriageCount(W), 1);
    applyTriageDone(W, "t1", "recorded", 3000);
    assert.deepEqual([chat.toTriage, chat.triageDone, chat.closeAt], [null, "recorded", 3000 + CLOSE_MS]);
    assert.equal(toTriageCount(W), 0);
  });

  test("after a reload the list brings back chats to triage, without content, keyed by the triage id", () => {
    const W = createWork();
    assert.equal(applyTriageList(W, [item("t1"), item("t2", { pseudonym: "ABCD" }), { nope: 1 }], 0), true);
    assert.deepEqual(W.order, ["t1", "t2"]);
    const chat = W.chats.get("t2");
    assert.deepEqual([chat.conv.pseudonym, chat.conv.locale, chat.ended, chat.messages.length], ["ABCD", "ti", "visitor_exit", 0]);
    assert.equal(W.active, "t1");
    assert.equal(applyTriageList(W, [item("t1"), item("t2")], 0), false, "once each");
    // Saved in another tab meanwhile: gone from the list, so it closes here too.
    applyTriageList(W, [item("t2")], 100);
    assert.deepEqual([W.chats.get("t1").toTriage, W.chats.get("t1").closeAt], [null, 100 + CLOSE_MS]);
    assert.equal(applyTriageDone(W, "nope", "recorded"), null);
  });

  test("marks arrive for open chats only and keep their shape", () => {
    const W = createWork();
    addChat(W, conv("a"), []);
    applyMarks(W, "a", { categories: "x", municipality: "2062" });
    assert.deepEqual(W.chats.get("a").marks, { categories: [], age_band: null, municipality: "2062", acknowledged_by: null });
    assert.equal(applyMarks(W, "zz", { categories: [] }), null);
  });

  test("a tool opens in the side panel and closes again", () => {
    const W = createWork();
    addChat(W, conv("a"), []);
    openTool(W, "a", "referral");
    assert.equal(W.chats.get("a").tool, "referral");
    openTool(W, "a", "referral");
    assert.equal(W.chats.get("a").tool, null);
  });
});

describe("presence and notes", () => {
  test("presence follows the visitor: away since when this console saw them go", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    assert.equal(chat.awaySince, undefined);
    applyConversation(W, { id: "a", visitor_connected: false }, 777);
    assert.equal(chat.awaySince, 777);
    applyConversation(W, { id: "a", visitor_connected: false }, 999);
    assert.equal(chat.awaySince, 777, "still the first time");
    applyConversation(W, { id: "a", visitor_connected: true }, 1000);
    assert.equal(chat.awaySince, undefined);
    const gone = addChat(W, conv("b", { visitor_connected: false }), []);
    assert.equal(gone.awaySince, null, "away, since unknown");
  });

  test("a note is sent once, then the composer replies to the visitor again", () => {
    const W = createWork();
    const chat = addChat(W, conv("a"), []);
    chat.mode = "note";
    const p = outgoing(chat, "bara för personal", () => "c1");
    applySent(W, chat, p, { ok: true, id: "n1", ts: 1 }, "me");
    assert.equal(chat.mode, "reply");
  });
});

describe("triage rules", () => {
  test("a draft starts from what the visitor said and is complete with categories and a risk", () => {
    const draft = emptyDraft(conv("a", { age_band: "16-17" }), SCHEMA);
    assert.deepEqual([draft.audience, draft.age_band, draft.language], ["self", "16-17", "ar"]);
    assert.equal(draftComplete(draft), false);
    draft.categories = ["fgm", "other"];
    draft.risk = "high";
    draft.gender = "";
    assert.equal(draftComplete(draft), true);
    assert.deepEqual(draftToForm(draft), { categories: ["fgm", "other"], risk: "high", actions: [], audience: "self", age_band: "16-17", language: "ar" });
    assert.deepEqual(harmOf(draft.categories, SCHEMA), ["fgm"]);
    assert.equal(emptyDraft(conv("b", { age_band: "weird" }), SCHEMA).age_band, "");
  });

  test("the duty to report: under 18 and harm by topic, mark or draft; the operator's age wins", () => {
    const W = createWork();
    const child = addChat(W, conv("a", { age_band: "13-15", topic: "other" }), []);
    assert.equal(reportDuty(child, SCHEMA), false);
    child.marks.categories = ["violence"];
    assert.equal(reportDuty(child, SCHEMA), true);
    const topic = addChat(W, conv("b", { age_band: "16-17", topic: "marriage" }), []);
    assert.equal(reportDuty(topic, SCHEMA), true);
    draftOf(topic, SCHEMA).age_band = "18-21";
    assert.equal(reportDuty(topic, SCHEMA), false, "assessed an adult");
    const adult = addChat(W, conv("c", { age_band: "22-26", topic: "fgm" }), []);
    adult.marks.age_band = "16-17";
    assert.equal(reportDuty(adult, SCHEMA), true, "marked a child");
    assert.equal(reportDutyOpen(adult, SCHEMA), true);
    adult.marks.acknowledged_by = "Sara";
    assert.equal(reportDutyOpen(adult, SCHEMA), false);
    assert.equal(reportDuty(adult, null), false, "no rules loaded yet");
  });
});

describe("sentences with times", () => {
  test("a time or a number is isolated left to right, a name in its own direction", async () => {
    const { sentence } = await import("../src/views/work/bits.js");
    const s = sentence("Away since {time}", { time: Date.UTC(2026, 0, 1, 13, 5) });
    assert.match(s, /^Away since \u2066\d\d[:.]\d\d\u2069$/u);
    assert.equal(sentence("Read by {name}.", { name: "سارا" }), "Read by \u2068سارا\u2069.");
    assert.equal(sentence("In {seconds} s.", { seconds: 8 }), "In \u20668\u2069 s.");
  });
});
