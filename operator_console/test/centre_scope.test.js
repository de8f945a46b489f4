// The admin views' centre: paths per centre, who gets a picker, which centre first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminCentres, initialCentre, needsPicker, scopedPath } from "../src/state/centre_scope.js";

test("admin paths go to the chosen centre; others stay", () => {
  assert.equal(scopedPath("/api/admin/staff", "skane"), "/api/centres/skane/admin/staff");
  assert.equal(scopedPath("/api/admin/staff/s1/password", "skane"), "/api/centres/skane/admin/staff/s1/password");
  assert.equal(scopedPath("/api/admin/hours", "skane"), "/api/centres/skane/admin/hours");
  assert.equal(scopedPath("/api/hours", "skane"), "/api/centres/skane/hours");
  assert.equal(scopedPath("/api/canned", "skane"), "/api/centres/skane/canned");
  assert.equal(scopedPath("/api/admin/canned/ar", "skane"), "/api/centres/skane/admin/canned/ar");
  assert.equal(scopedPath("/api/admin/audit?before=12", "skane"), "/api/centres/skane/admin/audit?before=12");
  for (const path of ["/api/referrals", "/api/stats", "/api/me", "/api/admin/referrals/x", "/api/admin/centres", "/api/hoursx"]) {
    assert.equal(scopedPath(path, "skane"), path);
  }
  assert.equal(scopedPath("/api/admin/staff", null), "/api/admin/staff");
});

test("a picker only when there is a choice of centres to administer", () => {
  const listing = {
    national_admin: false,
    items: [
      { id: "skane", name: "RC Skåne", role: "admin" },
      { id: "dalarna", name: "RC Dalarna", role: "operator" },
    ],
  };
  assert.deepEqual(adminCentres(listing).map((c) => c.id), ["skane"]);
  assert.equal(needsPicker(adminCentres(listing)), false);
  const national = { ...listing, national_admin: true };
  assert.deepEqual(adminCentres(national).map((c) => c.id), ["dalarna", "skane"]);
  assert.equal(needsPicker(adminCentres(national)), true);
  assert.deepEqual(adminCentres(null), []);
});

test("the first centre: the one chosen before, else default, else the first", () => {
  const centres = [{ id: "dalarna" }, { id: "default" }, { id: "skane" }];
  assert.equal(initialCentre(centres, "skane"), "skane");
  assert.equal(initialCentre(centres, "gone"), "default");
  assert.equal(initialCentre([{ id: "dalarna" }, { id: "skane" }], null), "dalarna");
  assert.equal(initialCentre([], null), null);
});
