// Data the work view reads from the console HTTP API and shares: the referral directory
// (the picker and the duty-to-report reminder) and the triage form's schema (GET
// /api/triage: options, labels, the duty-to-report rules and text), per console
// language. Each is fetched again after a minute, so a coordinator's edit shows up
// during a shift. `known` holds what has arrived, for drawing without waiting.
//
// The directory is per resource centre (issue 19): GET /api/centres/{centre}/referrals
// (the national receivers, then the centre's own), so the cache is keyed by centre and
// language. A chat refers its visitor to the services near them: its home centre's
// directory, which after an overflow is another centre's than the chat's; the server
// gives it to the chat's operator by the /operator event `directory` (their own right
// to the home centre's directory over HTTP they may not have).
import { current } from "../../../frontend_lib/i18n.js";
import { scopedPath } from "../state/centre_scope.js";
import { api } from "./api.js";

const FRESH_MS = 60000;
const cache = new Map(); // key -> {at, promise}
const values = new Map(); // key -> the last value

function cached(key, load) {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.promise;
  const promise = load().then(
    (value) => {
      values.set(key, value);
      return value;
    },
    (e) => {
      cache.delete(key);
      throw e;
    },
  );
  cache.set(key, { at: Date.now(), promise });
  return promise;
}

const centreKey = (centre) => `directory:${centre || ""}:${current.locale}`;

// {receivers, types: [{id, label}], texts, channels} of `centre` (null: the person's
// own, the path from before centres).
export function directory(centre = null) {
  return cached(centreKey(centre), () => api("GET", scopedPath("/api/referrals", centre)));
}

// Whether a chat came from another centre (overflow): its visitor's home centre is not
// the chat's.
export function fromElsewhere(conv) {
  return !!(conv && conv.home_centre && conv.centre && conv.home_centre !== conv.centre);
}

const chatKey = (conv) => (fromElsewhere(conv) ? `directory:chat:${conv.id}:${current.locale}` : centreKey(conv && conv.centre));

// The directory to refer the visitor of chat `conv` ({id, centre, home_centre}) from:
// its home centre's. `ask(event, payload)` is an acknowledged /operator call. After an
// overflow the event answers only the chat's operator; a colleague in the chat (an
// observer, an invited one) reads the home centre's over HTTP if they may, else the
// chat's centre's (the national receivers at least).
export function chatDirectory(conv, ask) {
  if (!fromElsewhere(conv)) return directory((conv && conv.centre) || null);
  const key = chatKey(conv);
  return cached(key, async () => {
    const ack = await ask("directory", { conversation_id: conv.id });
    if (ack && ack.ok) return { receivers: ack.receivers, types: ack.types, texts: ack.texts, channels: ack.channels };
    // The chat has ended (the event answers only while it lives): the home centre's
    // directory that arrived before stays (the reminder during the triage).
    if (values.has(key)) return values.get(key);
    try {
      return await directory(conv.home_centre);
    } catch (e) {
      return directory(conv.centre);
    }
  });
}

export function triageSchema() {
  return cached(`triage:${current.locale}`, async () => (await api("GET", "/api/triage")).triage);
}

export const known = {
  // The last directory that arrived for chat `conv` (it stays after the chat ended, when
  // the event no longer answers: the reminder still names the social services).
  chatDirectory(conv) {
    return values.get(chatKey(conv)) || null;
  },
  get schema() {
    return values.get(`triage:${current.locale}`) || null;
  },
};
