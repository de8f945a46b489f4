// A referral receiver in the directory editor, as data (pure; ../../test/receiver_model.test.js).
//
// The stored receiver (services/referrals.py validate_receiver; docs/protocol.md):
//   {id, type, text, name, area: {kind, name?, code?, county?},
//    channels: [{kind, value, note?}], hours, languages: [locale], notes, verify}
// Every field is in the form and goes back in the body, so a receiver opened and saved
// unchanged is stored unchanged (nothing dropped: municipality code, county, a phone's
// "växel" note, a second phone or address, languages).
import { _ } from "../../../frontend_lib/i18n.js";

export const ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
export const CHANNEL_KINDS = ["phone", "web", "chat", "visit", "email"];
export const AREA_KINDS = ["national", "municipality", "region"];
export const MAX_CHANNELS = 8;
const LIMITS = { name: 120, area: 80, code: 40, county: 40, value: 200, note: 80, hours: 200, notes: 2000 };

export function emptyForm(type) {
  return {
    id: "", type, text: type, name: "", area: { kind: "municipality", name: "", code: "", county: "" },
    channels: [{ kind: "phone", value: "", note: "" }], hours: "", languages: [], notes: "", verify: true,
  };
}

export function formFromReceiver(r) {
  const area = r.area || { kind: "national" };
  return {
    id: r.id,
    type: r.type,
    text: r.text || r.type,
    name: r.name || "",
    area: { kind: area.kind, name: area.name || "", code: area.code || "", county: area.county || "" },
    channels: (r.channels || []).map((c) => ({ kind: c.kind, value: c.value || "", note: c.note || "" })),
    hours: r.hours || "",
    languages: [...(r.languages || [])],
    notes: r.notes || "",
    verify: r.verify !== false,
  };
}

// The body for PUT /api/admin/referrals/{id}: the stored shape, trimmed, empty optional
// parts left out as the server leaves them out.
export function receiverBody(form) {
  const area = { kind: form.area.kind };
  if (form.area.kind !== "national") {
    area.name = form.area.name.trim();
    if (form.area.code.trim()) area.code = form.area.code.trim();
    if (form.area.county.trim()) area.county = form.area.county.trim();
  }
  return {
    id: form.id.trim(),
    type: form.type,
    text: form.text || form.type,
    name: form.name.trim(),
    area,
    channels: form.channels.map((c) => {
      const out = { kind: c.kind, value: c.value.trim() };
      if (c.note.trim()) out.note = c.note.trim();
      return out;
    }),
    hours: form.hours.trim(),
    languages: [...new Set(form.languages)].sort(),
    notes: form.notes.trim(),
    verify: !!form.verify,
  };
}

// [{field, message}]: field is "id", "name", "area.name", "area.code", "area.county",
// "channels", "channel:<i>", "hours" or "notes". `taken`: ids already in the directory
// (checked for a new receiver only).
export function receiverProblems(form, taken = [], isNew = false) {
  const out = [];
  const id = form.id.trim();
  if (!ID.test(id)) {
    out.push({ field: "id", message: _("The identifier is 2 to 64 small letters a–z, digits and dashes, without spaces, and starts with a letter or a digit.") });
  } else if (isNew && taken.includes(id)) {
    out.push({ field: "id", message: _("Another receiver already has this identifier.") });
  }
  if (!form.name.trim()) out.push({ field: "name", message: _("Write the receiver's name.") });
  else if (form.name.trim().length > LIMITS.name) out.push({ field: "name", message: _("The name is too long.") });
  if (form.area.kind !== "national") {
    if (!form.area.name.trim()) out.push({ field: "area.name", message: _("Write the municipality or region, or choose the whole country.") });
    if (form.area.name.trim().length > LIMITS.area) out.push({ field: "area.name", message: _("The name is too long.") });
    if (form.area.code.trim().length > LIMITS.code) out.push({ field: "area.code", message: _("The code is too long.") });
    if (form.area.county.trim().length > LIMITS.county) out.push({ field: "area.county", message: _("The name is too long.") });
  }
  if (!form.channels.length) out.push({ field: "channels", message: _("Add at least one way to reach the receiver.") });
  if (form.channels.length > MAX_CHANNELS) out.push({ field: "channels", message: _("At most eight ways to reach a receiver.") });
  form.channels.forEach((c, i) => {
    const value = c.value.trim();
    let message = null;
    if (!value) message = _("Write the number, address or link, or remove this row.");
    else if (value.length > LIMITS.value || c.note.trim().length > LIMITS.note) message = _("The text is too long.");
    else if ((c.kind === "web" || c.kind === "chat") && !/^https:\/\/\S+$/.test(value)) message = _("A website or chat link starts with https://.");
    else if (c.kind === "email" && !/^[^\s@]+@[^\s@]+$/.test(value)) message = _("Write an e-mail address such as name@example.se.");
    if (message) out.push({ field: `channel:${i}`, message });
  });
  if (form.hours.trim().length > LIMITS.hours) out.push({ field: "hours", message: _("The text is too long.") });
  if (form.notes.trim().length > LIMITS.notes) out.push({ field: "notes", message: _("The text is too long.") });
  return out;
}
