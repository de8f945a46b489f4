// Why a chat could not start, from what the connection or the server said. Pure: no DOM,
// no socket; tested in widget/test/refusal.test.js. views/refusal.js words each kind.
//
// Kinds (each view says the truth and shows the national help numbers):
//   "busy"        the start limit for this network (`rate_limited` on `start`, or on the
//                 connection): many people on one school or youth-centre network;
//                 try again in a minute;
//   "full"        `queue_full` on `start`: as many people are waiting as the chat takes
//                 at once (the service is flooded or overwhelmed); try again in a few
//                 minutes;
//   "blocked"     `forbidden` on `start` (a counsellor blocked this network for a while):
//                 neutral wording, no "try again";
//   "closed"      `closed`: outside opening hours (the offline view);
//   "unavailable" the server is full or away: HTTP 503 on the handshake, an
//                 `unavailable` refusal, a connection that fails or times out while the
//                 device is online; try again in a few minutes;
//   "offline"     the device says it has no network (navigator.onLine false);
//   "failed"      anything else (`invalid`, `internal`, …); try again;
//   "misconfigured" the page embeds the chat wrongly (`unknown_centre`,
//                 `centre_required`, `origin_not_allowed` on the connection): the page
//                 names no centre, an unknown one, or one it may not show. Nothing the
//                 visitor can do: no "try again", the help numbers.

export const REFUSAL_KINDS = Object.freeze(["busy", "full", "blocked", "closed", "unavailable", "offline", "failed", "misconfigured"]);
// The connection refusals of a misconfigured embed (services/embedding.py).
export const SETUP_CODES = Object.freeze(["unknown_centre", "centre_required", "origin_not_allowed"]);

// Kinds that pass by themselves: the view offers "Try again".
export const TEMPORARY = Object.freeze(["busy", "full", "unavailable", "offline", "failed"]);

// A socket.io connect_error: a refusal of the namespace's CONNECT carries the server's
// code (err.data.code); a transport failure carries the HTTP status of the handshake in
// err.description (engine.io-client's TransportError), if there was one: 503 from a full
// server or its proxy, 429 from a proxy's rate limit.
function connectCode(error) {
  if (!error || typeof error !== "object") return null;
  const data = error.data;
  if (data && typeof data === "object" && typeof data.code === "string") return data.code;
  if (error.description === 503) return "unavailable";
  if (error.description === 429) return "rate_limited";
  return null;
}

function fromCode(code) {
  switch (code) {
    case "rate_limited":
      return "busy";
    case "queue_full":
      return "full";
    case "forbidden":
      return "blocked";
    case "closed":
      return "closed";
    case "unavailable":
      return "unavailable";
    case "unknown_centre":
    case "centre_required":
    case "origin_not_allowed":
      return "misconfigured";
    default:
      return null;
  }
}

// refusalKind({connectError, ack, online}) -> one of REFUSAL_KINDS.
//   connectError  the last connect_error (null when the connection never answered);
//   ack           the `start` acknowledgement when there was one ({ok: false, error:
//                 {code}}; the local codes "timeout" and "offline" from call.js mean no
//                 answer);
//   online        navigator.onLine (false only when the device knows it is offline).
export function refusalKind({ connectError = null, ack = null, online = true } = {}) {
  const code = ack && ack.error && typeof ack.error.code === "string" ? ack.error.code : null;
  if (code && code !== "timeout" && code !== "offline") return fromCode(code) || "failed";
  if (online === false) return "offline";
  const fromConnect = connectCode(connectError);
  if (fromConnect) return fromCode(fromConnect) || "failed";
  // No answer at all, or a connection that failed without a code: the server is
  // unreachable from here (down, full, or the network in between is).
  return "unavailable";
}

// The server's code when `error` (a connect_error) refuses a misconfigured embed, else null.
export function setupCode(error) {
  const code = connectCode(error);
  return SETUP_CODES.includes(code) ? code : null;
}

export function isTemporary(kind) {
  return TEMPORARY.includes(kind);
}
