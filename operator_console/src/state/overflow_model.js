// The overflow settings of a centre as editor state (pure; unit-tested in
// ../../test/overflow_model.test.js). The server's centre (GET /api/centres,
// GET /api/admin/centres; docs/protocol.md) carries
//   overflow: ["kronoberg", "nkt"]   centre ids its visitors may be offered, in order
//   overflow_wait_s: 900 | null      the wait (s) past which they are offered; null: default
// The editor shows the wait in minutes. A wait that is not a whole number of minutes
// (set through the API) is shown rounded and, unless the coordinator changes the text,
// saved as it was: a centre loaded and saved unchanged is the same centre.
import { _ } from "../../../frontend_lib/i18n.js";

export const MAX_OVERFLOW = 30; // as the server allows
export const WAIT_MIN_MINUTES = 1;
export const WAIT_MAX_MINUTES = 120;

// "15" for 900 s, "1.5" for 90 s, "" for not set.
export function minutesText(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return String(Math.round((seconds / 60) * 10) / 10);
}

// The editor's state for one centre.
export function fromCentre(centre) {
  const seconds = Number.isInteger(centre.overflow_wait_s) ? centre.overflow_wait_s : null;
  return {
    id: centre.id,
    order: [...(centre.overflow || [])],
    minutes: minutesText(seconds),
    savedSeconds: seconds,
    savedMinutes: minutesText(seconds),
  };
}

// The centres that may be added to the order: not the centre itself, not already in it.
// `centres`: [{id, name}], kept in their order.
export function candidates(state, centres) {
  return centres.filter((c) => c.id !== state.id && !state.order.includes(c.id));
}

export function add(state, id) {
  if (id && id !== state.id && !state.order.includes(id) && state.order.length < MAX_OVERFLOW) state.order.push(id);
}

export function remove(state, index) {
  state.order.splice(index, 1);
}

// Moves the centre at `index` by `delta` (-1 up, +1 down); nothing at the ends.
export function move(state, index, delta) {
  const to = index + delta;
  if (index < 0 || index >= state.order.length || to < 0 || to >= state.order.length) return;
  const [id] = state.order.splice(index, 1);
  state.order.splice(to, 0, id);
}

// The wait the state asks for in seconds (null: the default), or undefined when the
// text is not a valid number of minutes.
function waitSeconds(state) {
  const text = String(state.minutes).trim();
  if (text === state.savedMinutes) return state.savedSeconds;
  if (text === "") return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < WAIT_MIN_MINUTES || n > WAIT_MAX_MINUTES) return undefined;
  return n * 60;
}

// Everything wrong with the state, in words: [{where: "overflow" | "wait", message}].
export function problems(state) {
  const out = [];
  if (state.order.length > MAX_OVERFLOW) out.push({ where: "overflow", message: _("At most 30 resource centres can be in the overflow order.") });
  if (new Set(state.order).size !== state.order.length) out.push({ where: "overflow", message: _("Each resource centre can be in the overflow order only once.") });
  if (waitSeconds(state) === undefined) out.push({ where: "wait", message: _("Write a whole number of minutes from 1 to 120, or leave it empty.") });
  return out;
}

// The body of PATCH /api/admin/centres/{id}: the threshold, and the order when the
// person may change it (national admins).
export function toChanges(state, withOrder) {
  const body = { overflow_wait_s: waitSeconds(state) };
  if (withOrder) body.overflow = [...state.order];
  return body;
}
