// The admin views' centre: paths per centre, who gets a picker, which centre first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALL_CENTRES, adminCentres, coordinatorCentres, initialCentre, mayEditReceiver, needsPicker, scopedPath, statsChoices } from "../src/state/centre_scope.js";

test("admin paths go to the chosen centre; others stay", () => {
  assert.equal(scopedPath("/api/admin/staff", "skane"), "/api/centres/skane/admin/staff");
  assert.equal(scopedPath("/api/admin/staff/s1/password", "skane"), "/api/centres/skane/admin/staff/s1/password");
  assert.equal(scopedPath("/api/admin/hours", "skane"), "/api/centres/skane/admin/hours");
  assert.equal(scopedPath("/api/hours", "skane"), "/api/centres/skane/hours");
  assert.equal(scopedPath("/api/canned", "skane"), "/api/centres/skane/canned");
  assert.equal(scopedPath("/api/admin/canned/ar", "skane"), "/api/centres/skane/admin/canned/ar");
  assert.equal(scopedPath("/api/admin/audit?before=12", "skane"), "/api/centres/skane/admin/audit?before=12");
  assert.equal(scopedPath("/api/referrals", "skane"), "/api/centres/skane/referrals");
  assert.equal(scopedPath("/api/admin/referrals/x-1", "skane"), "/api/centres/skane/admin/referrals/x-1");
  assert.equal(scopedPath("/api/stats?from=2026-01-01", "skane"), "/api/centres/skane/stats?from=2026-01-01");
  assert.equal(scopedPath("/api/stats.csv?from=2026-01-01", "skane"), "/api/centres/skane/stats.csv?from=2026-01-01");
  for (const path of ["/api/me", "/api/triage", "/api/admin/centres", "/api/hoursx", "/api/statsx"]) {
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

test("statistics and the directory: the centres a person coordinates; every centre for a national admin", () => {
  const listing = {
    national_admin: false,
    items: [
      { id: "skane", name: "RC Skåne", role: "supervisor" },
      { id: "dalarna", name: "RC Dalarna", role: "admin" },
      { id: "kronoberg", name: "RC Kronoberg", role: "operator" },
    ],
  };
  assert.deepEqual(coordinatorCentres(listing).map((c) => c.id), ["dalarna", "skane"]);
  assert.deepEqual(statsChoices(listing, "All").map((c) => c.id), ["dalarna", "skane"]);
  const national = { ...listing, national_admin: true };
  assert.deepEqual(statsChoices(national, "All").map((c) => c.id), [ALL_CENTRES, "dalarna", "kronoberg", "skane"]);
  assert.equal(scopedPath("/api/stats?from=2026-01-01", ALL_CENTRES), "/api/stats?from=2026-01-01&scope=all");
  assert.equal(scopedPath("/api/stats.csv", ALL_CENTRES), "/api/stats.csv?scope=all");
  assert.equal(scopedPath("/api/referrals", ALL_CENTRES), "/api/referrals");
});

test("national receivers are the national admins' to change", () => {
  assert.equal(mayEditReceiver({ area: { kind: "national" } }, false), false);
  assert.equal(mayEditReceiver({ area: {} }, false), false);
  assert.equal(mayEditReceiver({ area: { kind: "national" } }, true), true);
  assert.equal(mayEditReceiver({ area: { kind: "municipality", name: "Mora" } }, false), true);
});
