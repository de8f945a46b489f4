// Shared helpers for the RC feature modules (triage, referrals, statistics, follow-up).
import { uniqueId } from "../../../frontend_lib/dom.js";
import { call as socketCall } from "../connection.js";

// Emit on the /operator socket and resolve with the ack (or a stable error object with
// the local code "timeout" or "offline"; ../connection.js).
export function call(api, event, payload) {
  return socketCall(api.socket, event, payload);
}

// The triage form's options (GET /api/triage), fetched once per console locale.
let schemaCache = null;
export async function triageSchema(api) {
  if (!schemaCache || schemaCache.locale !== api.locale) {
    const body = await api.api("GET", "/api/triage");
    schemaCache = { locale: api.locale, schema: body.triage };
  }
  return schemaCache.schema;
}

// Document-unique ids (one counter with the rest of the console).
export const nextId = uniqueId;
