// Data the work view reads from the console HTTP API and shares: the referral directory
// (GET /api/referrals: the picker and the duty-to-report reminder) and the triage form's
// schema (GET /api/triage: options, labels, the duty-to-report rules and text), per
// console language. Each is fetched again after a minute, so a coordinator's edit shows
// up during a shift. `known` holds what has arrived, for drawing without waiting.
import { current } from "../../../frontend_lib/i18n.js";
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

// {receivers, types: [{id, label}], texts, channels}
export function directory() {
  return cached(`directory:${current.locale}`, () => api("GET", "/api/referrals"));
}

export function triageSchema() {
  return cached(`triage:${current.locale}`, async () => (await api("GET", "/api/triage")).triage);
}

export const known = {
  get directory() {
    return values.get(`directory:${current.locale}`) || null;
  },
  get schema() {
    return values.get(`triage:${current.locale}`) || null;
  },
};
