// Account forms as data (pure; ../../test/account_model.test.js): the same rules as the
// server (services/staff.py create and update_profile), checked before sending so the
// admin sees every problem at once, in words, next to its field.
import { _ } from "../../../frontend_lib/i18n.js";

export const AUDIENCES = ["individual", "professional"];
const USERNAME = /^[\p{L}\p{N}._-]{2,64}$/u;

// {username?, name, password?, languages, audiences, maxChats: "" | "3"} ->
// [{field, message}]; `isNew` checks the username and the password too.
export function accountProblems(form, isNew) {
  const out = [];
  if (isNew && !USERNAME.test((form.username || "").trim())) {
    out.push({ field: "username", message: _("Usernames are 2 to 64 letters, digits, dots, dashes or underscores.") });
  }
  if (!(form.name || "").trim()) out.push({ field: "name", message: _("Write the name colleagues will see.") });
  if (isNew && (form.password || "").length < 12) out.push({ field: "password", message: _("Choose a longer password: at least 12 characters.") });
  if (!form.languages || !form.languages.length) out.push({ field: "languages", message: _("Choose at least one language.") });
  if (!form.audiences || !form.audiences.length) out.push({ field: "audiences", message: _("Choose at least one group of visitors.") });
  const max = String(form.maxChats ?? "").trim();
  if (max !== "" && !(/^\d+$/.test(max) && Number(max) >= 1 && Number(max) <= 20)) {
    out.push({ field: "maxChats", message: _("Write a number of chats from 1 to 20, or leave it empty for the default.") });
  }
  return out;
}

// The body for POST /api/admin/staff (isNew) or PATCH /api/admin/staff/{id}.
export function accountPayload(form, isNew) {
  const max = String(form.maxChats ?? "").trim();
  const body = {
    name: form.name.trim(),
    languages: [...form.languages],
    audiences: AUDIENCES.filter((a) => form.audiences.includes(a)),
    max_chats: max === "" ? null : Number(max),
  };
  if (isNew) Object.assign(body, { username: form.username.trim(), password: form.password, role: form.role, locale: form.locale });
  return body;
}

// The form's values for an account as the server lists it.
export function accountForm(staff) {
  return {
    name: staff.name || "",
    languages: [...(staff.languages || [])],
    audiences: [...(staff.audiences || AUDIENCES)],
    maxChats: staff.max_chats == null ? "" : String(staff.max_chats),
  };
}
