// The visitor's session state (src/app/state/session.js): resume or a lost conversation,
// starting, state and queue changes, referral cards, the end.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addReferrals,
  applyCodeRevoked,
  applyReferral,
  applyEnded,
  applyFollowupCode,
  applyOverflow,
  applyOverflowAck,
  applyQueue,
  applySession,
  applyStart,
  applyState,
  freshState,
  isLive,
  isRecord,
  recordEvent,
  splitRecords,
} from "../src/app/state/session.js";

function inChat(state = "active") {
  const S = freshState();
  S.view = "chat";
  S.conv = { id: "c1", state, position: state === "waiting" ? 2 : null };
  S.token = "old-token";
  return S;
}

describe("session", () => {
  test("a fresh session: token kept in memory, open or closed", () => {
    const S = freshState();
    assert.equal(applySession(S, { token: "t1", open: true, hours: null, conversation: null }), "fresh");
    assert.equal(S.token, "t1");
    assert.equal(applySession(S, { token: "t2", open: false, hours: { timezone: "Europe/Stockholm" } }), "closed");
    assert.deepEqual([S.open, S.hours.timezone], [false, "Europe/Stockholm"]);
    assert.equal(applySession(S, null), null);
    assert.equal(applySession(S, "x"), null);
  });

  test("a resume re-attaches the same conversation and takes its state and place", () => {
    const S = inChat("waiting");
    S.lost = true;
    assert.equal(applySession(S, { token: "t2", open: true, conversation: { id: "c1", state: "active", position: null } }), "resumed");
    assert.deepEqual(S.conv, { id: "c1", state: "active", position: null });
    assert.equal(S.token, "t2");
    assert.equal(S.lost, true, "still lost until history or state arrives");
    // A state the client does not know is not taken over.
    applySession(S, { token: "t3", conversation: { id: "c1", state: "weird" } });
    assert.equal(S.conv.state, "active");
  });

  test("a resume that finds no conversation (or another one) means it is gone", () => {
    for (const conversation of [null, { id: "other", state: "active" }, "c1"]) {
      const S = inChat();
      S.lost = true;
      assert.equal(applySession(S, { token: "new", conversation }), "gone", JSON.stringify(conversation));
      assert.equal(S.lost, false);
    }
  });
});

describe("start", () => {
  test("started, closed, or failed", () => {
    const S = freshState();
    assert.equal(applyStart(S, { ok: true, conversation: { id: "c9", state: "waiting", position: 3 } }), "started");
    assert.deepEqual(S.conv, { id: "c9", state: "waiting", position: 3 });
    assert.equal(isLive(S), true);
    const T = freshState();
    assert.equal(applyStart(T, { ok: false, error: { code: "closed", message: "…" } }), "closed");
    assert.equal(T.open, false);
    for (const ack of [{ ok: false, error: { code: "timeout" } }, { ok: true }, null, { ok: true, conversation: { id: 5 } }]) {
      assert.equal(applyStart(freshState(), ack), "failed", JSON.stringify(ack));
    }
  });
});

describe("state and queue", () => {
  test("the counsellor answers: active, named, no queue place, announced once", () => {
    const S = inChat("waiting");
    assert.deepEqual(applyState(S, { state: "active", operator: { name: "Sara" } }), { ended: false, back: false, becameActive: true });
    assert.deepEqual([S.conv.state, S.conv.position, S.operator], ["active", null, "Sara"]);
    assert.equal(applyState(S, { state: "active", operator: null }).becameActive, false);
    assert.equal(S.operator, "Sara");
  });

  test("a state after a drop means the conversation is back", () => {
    const S = inChat();
    S.lost = true;
    assert.equal(applyState(S, { state: "active" }).back, true);
    assert.equal(S.lost, false);
  });

  test("ended, and nothing without a conversation", () => {
    assert.equal(applyState(inChat(), { state: "ended" }).ended, true);
    assert.equal(applyState(freshState(), { state: "active" }), null);
    assert.equal(applyState(inChat(), null), null);
  });

  test("queue place and wait estimate; an unknown estimate is null", () => {
    const S = inChat("waiting");
    assert.equal(applyQueue(S, { position: 1, wait_estimate_s: 90 }), true);
    assert.deepEqual([S.conv.position, S.wait], [1, 90]);
    applyQueue(S, { position: "x", wait_estimate_s: null });
    assert.deepEqual([S.conv.position, S.wait], [1, null]);
    assert.equal(applyQueue(freshState(), { position: 1 }), false);
  });
});

describe("referral cards and the follow-up code", () => {
  test("cards are kept once each; junk is dropped", () => {
    const S = inChat();
    assert.equal(addReferrals(S, { cards: [{ id: "a", name: "A" }, { id: "b" }, null, "x"] }), 2);
    assert.equal(addReferrals(S, { cards: [{ id: "a", name: "A again" }, { id: "c" }, { id: "c" }] }), 3);
    assert.deepEqual(S.referrals.map((c) => c.id), ["a", "b", "c"]);
    assert.equal(addReferrals(S, { cards: "nope" }), 0);
    // Cards without an id cannot be told apart: each is kept.
    addReferrals(S, { cards: [{ name: "x" }, { name: "y" }] });
    assert.equal(S.referrals.length, 5);
  });

  test("a follow-up code is shown once it arrives", () => {
    const S = inChat();
    assert.equal(applyFollowupCode(S, { code: "" }), false);
    assert.equal(applyFollowupCode(S, null), false);
    assert.equal(applyFollowupCode(S, { code: "7KQ2M9XD", expires_at: 5 }), true);
    assert.deepEqual(S.followup, { code: "7KQ2M9XD", expires_at: 5, hidden: false });
  });
});

describe("the end", () => {
  test("the first end wipes the resume token and stops typing; a more specific reason rewords it", () => {
    const S = inChat();
    S.typing = true;
    S.confirmEnd = true;
    assert.equal(applyEnded(S, undefined), "ended");
    assert.deepEqual([S.view, S.endedReason, S.conv.state, S.token, S.typing, S.confirmEnd], ["ended", "ended", "ended", null, false, false]);
    assert.equal(isLive(S), false);
    assert.equal(applyEnded(S, "operator_ended"), "reworded");
    assert.equal(S.endedReason, "operator_ended");
    assert.equal(applyEnded(S, "operator_ended"), null);
    assert.equal(applyEnded(S, "ended"), null);
  });

  test("the visitor's own end keeps its reason", () => {
    const S = inChat();
    S.endedReason = "visitor_ended";
    applyEnded(S, null);
    assert.equal(S.endedReason, "visitor_ended");
  });
});

describe("follow-up codes", () => {
  test("a cancelled code is forgotten at once", () => {
    const S = inChat();
    assert.equal(applyCodeRevoked(S, "shown"), false); // no code shown yet
    assert.equal(applyFollowupCode(S, { code: "7KQ2-M9XD-4RTA-HV3C", expires_at: 1 }), true);
    assert.equal(applyCodeRevoked(S, "shown"), true);
    assert.equal(S.followup, "revoked");
    assert.ok(!JSON.stringify(S).includes("7KQ2"));
  });

  test("a typed code is forgotten once cancelled", () => {
    const S = freshState();
    S.codeIn = "7kq2 m9xd 4rta hv3c";
    assert.equal(applyCodeRevoked(S, "typed"), true);
    assert.equal(S.codeIn, "");
    assert.deepEqual(S.revokeNote, { ok: true });
  });
});

describe("visitor records after a resume", () => {
  const referral = { id: "m1", client_id: null, from: "system", code: "referral", text: "…: BRIS.", ts: 2, cards: [{ id: "bris" }] };
  const code = { id: "m2", client_id: null, from: "system", code: "followup_code", text: "…: 7KQ2", ts: 3, followup: { code: "7KQ2", expires_at: 9 } };
  const line = { id: "m0", client_id: "c1", from: "visitor", text: "hej", ts: 1 };

  test("history splits into chat lines and records, in order", () => {
    const { messages, records } = splitRecords([line, referral, code, { from: "system", code: "operator_joined", text: "x" }]);
    assert.deepEqual(messages.map((m) => m.id || m.code), ["m0", "operator_joined"]);
    assert.deepEqual(records.map((m) => m.id), ["m1", "m2"]);
    assert.deepEqual(splitRecords(undefined), { messages: [], records: [] });
    assert.equal(isRecord({ from: "operator", code: "referral" }), false);
  });

  test("a record is its live event's payload", () => {
    assert.deepEqual(recordEvent(referral), ["referral", { id: "m1", ts: 2, cards: [{ id: "bris" }] }]);
    assert.deepEqual(recordEvent(code), ["followup_code", { id: "m2", code: "7KQ2", expires_at: 9 }]);
    assert.equal(recordEvent(line), null);
  });

  test("live first, then the same records in history: applied once", () => {
    const S = inChat();
    assert.equal(addReferrals(S, { id: "m1", cards: [{ id: "bris" }] }), 1);
    assert.equal(applyFollowupCode(S, { id: "m2", code: "7KQ2", expires_at: 9 }), true);
    S.followup.hidden = true; // the visitor hid it
    for (const m of splitRecords([line, referral, code]).records) {
      const [event, payload] = recordEvent(m);
      if (event === "referral") assert.equal(addReferrals(S, payload), 0);
      else assert.equal(applyFollowupCode(S, payload), false);
    }
    assert.deepEqual(S.referrals.map((c) => c.id), ["bris"]);
    assert.equal(S.followup.hidden, true, "stays hidden");
  });

  test("missed live (the connection was down): history alone brings them, once", () => {
    const S = inChat();
    for (let round = 0; round < 2; round++) {
      for (const m of splitRecords([referral, code]).records) {
        const [event, payload] = recordEvent(m);
        if (event === "referral") addReferrals(S, payload);
        else applyFollowupCode(S, payload);
      }
    }
    assert.deepEqual(S.referrals.map((c) => c.id), ["bris"]);
    assert.deepEqual(S.followup, { code: "7KQ2", expires_at: 9, hidden: false });
    assert.deepEqual(S.records, ["m1", "m2"]);
  });

  test("cards are a message of the chat, where the server put them, once per record", () => {
    const S = inChat();
    S.conversation.items.push({ seq: 1, id: "m0", from: "visitor", text: "hej", ts: 1, serverTs: 1 });
    const live = applyReferral(S, { id: "m1", ts: 2, cards: [{ id: "bris" }] });
    assert.equal(live.kind, "referral");
    assert.equal(live.serverTs, 2);
    assert.deepEqual(live.cards, [{ id: "bris" }]);
    // The same record again from `history` after a resume: nothing new.
    const [, payload] = recordEvent(referral);
    assert.equal(applyReferral(S, payload), null);
    assert.equal(S.conversation.items.filter((i) => i.kind === "referral").length, 1);
    // A second sending of the same place: a new card message, but the ended view lists it once.
    const again = applyReferral(S, { id: "m5", ts: 5, cards: [{ id: "bris" }] });
    assert.equal(again.kind, "referral");
    assert.deepEqual(S.referrals.map((c) => c.id), ["bris"]);
    assert.equal(applyReferral(S, { id: "m6", cards: [] }), null);
  });

  test("missed live: the card message comes from history alone, once, in its place", () => {
    const S = inChat();
    for (let round = 0; round < 2; round++) {
      for (const m of splitRecords([line, referral]).records) applyReferral(S, recordEvent(m)[1]);
    }
    const cards = S.conversation.items.filter((i) => i.kind === "referral");
    assert.equal(cards.length, 1);
    assert.equal(cards[0].id, "m1");
    assert.equal(cards[0].ts, 2);
  });

  test("cards without a time (an older server) go after what the server has placed", () => {
    const S = inChat();
    S.conversation.items.push({ seq: 1, id: "m0", from: "operator", text: "hej", ts: 7, serverTs: 7 });
    assert.equal(applyReferral(S, { cards: [{ id: "x" }] }).serverTs, 7);
  });
});

describe("overflow to another centre", () => {
  test("an offer while waiting is shown, withdrawn, and a choice is applied once", () => {
    const S = freshState();
    assert.equal(applyOverflow(S, { reason: "closed", centres: [{ id: "x", name: "X" }] }), false); // no chat yet
    S.conv = { id: "c", state: "waiting", position: 3 };
    assert.equal(applyOverflow(S, { reason: "closed", centres: [{ id: "x", name: "X" }, { id: 1 }, null] }), true);
    assert.deepEqual(S.overflow, { reason: "closed", centres: [{ id: "x", name: "X" }] });
    assert.equal(applyOverflow(S, { reason: "closed", centres: [{ id: "x", name: "X" }] }), false); // unchanged
    assert.equal(applyOverflow(S, { reason: null, centres: [] }), true);
    assert.equal(S.overflow, null);
    applyOverflow(S, { reason: "long_wait", centres: [{ id: "x", name: "X" }, { id: "y", name: "Y" }] });
    assert.equal(applyOverflowAck(S, { id: "x", name: "X" }, { ok: false, error: { code: "conflict", message: "Choose again." } }), "refused");
    assert.deepEqual([S.overflow.centres.map((c) => c.id), S.overflowNote], [["y"], "Choose again."]);
    assert.equal(applyOverflowAck(S, { id: "y", name: "Y" }, { ok: true, conversation: { id: "c", state: "waiting", position: 1 } }), "moved");
    assert.deepEqual([S.overflow, S.movedTo, S.conv.position], [null, "Y", 1]);
    assert.equal(applyOverflowAck(S, { id: "y", name: "Y" }, { ok: false, error: { code: "no_conversation" } }), "gone");
  });
});
