// The directory editor's model: every seeded receiver survives load → save unchanged,
// and what the server would refuse is named before sending.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { emptyForm, formFromReceiver, receiverBody, receiverProblems } from "../src/state/receiver_model.js";

const seed = JSON.parse(readFileSync(new URL("../../chat_server/data/referrals.json", import.meta.url), "utf8")).receivers;

test("every seeded receiver is the same after load and save unchanged", () => {
  for (const r of seed) {
    const form = formFromReceiver(r);
    assert.deepEqual(receiverProblems(form), [], r.id);
    assert.deepEqual(receiverBody(form), r, r.id);
  }
});

test("unticking verify keeps the municipality code, the county and the switchboard note", () => {
  const r = seed.find((x) => x.area.code && x.channels.some((c) => c.note));
  const form = formFromReceiver(r);
  form.verify = !form.verify;
  const body = receiverBody(form);
  assert.deepEqual(body.area, r.area);
  assert.deepEqual(body.channels, r.channels);
  assert.equal(body.verify, !r.verify);
});

test("several phones and addresses, languages and areas are kept", () => {
  const form = emptyForm("social_services");
  Object.assign(form, { id: "soc-mora", name: "Socialtjänsten Mora", languages: ["sv", "ar", "sv"] });
  form.area = { kind: "municipality", name: "Mora", code: "2062", county: "Dalarnas län" };
  form.channels = [
    { kind: "phone", value: "0250-260 00", note: "växel" },
    { kind: "phone", value: "0250-267 00", note: "jour" },
    { kind: "visit", value: "Fredsgatan 16, Mora", note: "" },
    { kind: "visit", value: "Kyrkogatan 1, Orsa", note: "torsdagar" },
  ];
  assert.deepEqual(receiverProblems(form, [], true), []);
  const body = receiverBody(form);
  assert.equal(body.channels.length, 4);
  assert.deepEqual(body.channels[2], { kind: "visit", value: "Fredsgatan 16, Mora" });
  assert.deepEqual(body.languages, ["ar", "sv"]);
  assert.deepEqual(body.area, { kind: "municipality", name: "Mora", code: "2062", county: "Dalarnas län" });
  form.area.kind = "national";
  assert.deepEqual(receiverBody(form).area, { kind: "national" });
});

test("problems are named by field, never the server's raw word", () => {
  const form = emptyForm("police");
  form.id = "has space";
  form.channels = [{ kind: "web", value: "http://x.se", note: "" }, { kind: "phone", value: " ", note: "" }, { kind: "email", value: "nope", note: "" }];
  const fields = receiverProblems(form, [], true).map((p) => p.field);
  assert.deepEqual(fields, ["id", "name", "area.name", "channel:0", "channel:1", "channel:2"]);
  form.id = "police-11414";
  assert.equal(receiverProblems(form, ["police-11414"], true)[0].field, "id");
  assert.equal(receiverProblems(form, ["police-11414"], false)[0].field, "name");
});
