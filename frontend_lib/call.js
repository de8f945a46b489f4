// Acknowledged calls on a socket.io socket. Every client event in the wire contract is
// acknowledged ({ok: true, …} or {ok: false, error: {code, message}}); a call that gets
// no answer in time resolves like a refusal, with a local code, so callers handle one
// shape and never wait forever.
//
// Local codes (never sent by the server):
//   "offline" - there is no socket to send on;
//   "timeout" - no acknowledgement within timeoutMs (also when the connection dropped
//               before the answer came: socket.io-client then fails the call at once).
// A timed-out event may still have reached the server; only resend events the server
// deduplicates (messages carry a client_id for that).

export const LOCAL_CODES = Object.freeze(["offline", "timeout"]);

// ackCall(socket, "accept", {conversation_id}, {timeoutMs: 10000, noAnswer: () => _("…")})
//   -> Promise<{ok: true, …} | {ok: false, error: {code, message}}>
// `noAnswer` gives the (translated) message for the local codes; it is a function so the
// text is looked up in the language in use when the call fails.
export function ackCall(socket, event, payload, { timeoutMs = 10000, noAnswer = () => "" } = {}) {
  return new Promise((resolve) => {
    if (!socket) {
      resolve({ ok: false, error: { code: "offline", message: noAnswer() } });
      return;
    }
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) resolve({ ok: false, error: { code: "timeout", message: noAnswer() } });
      else resolve(normalizeAck(ack));
    });
  });
}

// An acknowledgement that is not an object with a boolean `ok` is a server fault: it
// becomes {ok: false, error: {code: "internal"}} instead of a TypeError in the caller.
export function normalizeAck(ack) {
  if (!ack || typeof ack !== "object" || typeof ack.ok !== "boolean") {
    return { ok: false, error: { code: "internal", message: "" } };
  }
  if (!ack.ok) {
    const e = ack.error && typeof ack.error === "object" ? ack.error : {};
    return { ...ack, error: { code: typeof e.code === "string" ? e.code : "internal", message: typeof e.message === "string" ? e.message : "" } };
  }
  return ack;
}

export function isLocalFailure(ack) {
  return !!(ack && ack.ok === false && ack.error && LOCAL_CODES.includes(ack.error.code));
}
