// The widget's socket.io connection to /visitor: options, resume on reconnect,
// acknowledged calls with a timeout. One connection at a time; events of a connection
// that was replaced or closed are dropped, so an old socket can never touch new state.
import { io } from "socket.io-client";
import { ackCall } from "../../../frontend_lib/call.js";

export const ACK_TIMEOUT_MS = 15000;

let socket = null;
// The last connect_error of the current socket (cleared on connect): the server's
// refusal of the namespace (socket.io then does not retry by itself) or a failed
// handshake (it does retry). state/refusal.js reads it.
let lastError = null;

// open({auth, on}):
//   auth() -> {locale, resume?}  asked on every (re)connection, so a reconnect after a
//                                network drop resumes the conversation (resume token in
//                                memory only);
//   on: {event: handler}         server events, plus "connect", "disconnect",
//                                "connect_error" and "reconnect_failed" (socket.io's).
export function open({ auth, on }) {
  if (socket) return;
  const s = io("/visitor", {
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 4000,
    timeout: 10000,
    auth: (cb) => cb(auth()),
  });
  socket = s;
  lastError = null;
  const mine = (fn) => (...args) => {
    if (s === socket) fn(...args);
  };
  for (const [event, fn] of Object.entries(on)) {
    if (event === "reconnect_failed") s.io.on(event, mine(fn));
    else s.on(event, mine(fn));
  }
  s.on(
    "connect",
    mine(() => {
      lastError = null;
    }),
  );
  s.on(
    "connect_error",
    mine((err) => {
      lastError = err || new Error("connect_error");
    }),
  );
  s.on(
    "disconnect",
    mine((reason) => {
      // The server closed the connection: socket.io does not retry by itself then.
      if (reason === "io server disconnect") setTimeout(() => s === socket && s.connect(), 1000);
    }),
  );
}

export function close() {
  if (!socket) return;
  const s = socket;
  socket = null;
  lastError = null;
  try {
    s.disconnect();
  } catch (e) {
    /* already closed */
  }
}

export function isOpen() {
  return socket !== null;
}

export function connected() {
  return !!(socket && socket.connected);
}

// The connection failed at its last attempt (see lastError), or null.
export function failure() {
  return socket && !socket.connected ? lastError : null;
}

// An acknowledged call: resolves with the ack, or {ok: false, error: {code: "timeout"
// | "offline"}} (frontend_lib/call.js). Never rejects.
export function call(event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  return ackCall(socket, event, payload, { timeoutMs });
}

// A signal nobody waits for (typing): sent only while connected, never buffered.
export function signal(event, payload) {
  if (connected()) socket.emit(event, payload, () => {});
}

// Resolves {ok: true} once connected (at once if already); {ok: false, error} at the
// next connect_error (the server's refusal or a failed handshake: a visitor waiting to
// start should hear at once, not after the timeout); {ok: false, error: null} after `ms`.
export function whenConnected(ms) {
  return new Promise((resolve) => {
    if (connected()) return resolve({ ok: true });
    const s = socket;
    const done = (v) => {
      clearTimeout(t);
      if (s) {
        s.off("connect", onConnect);
        s.off("connect_error", onError);
      }
      resolve(v);
    };
    const onConnect = () => done({ ok: true });
    const onError = (err) => done({ ok: false, error: err || null });
    const t = setTimeout(() => done({ ok: false, error: null }), ms);
    if (s) {
      s.on("connect", onConnect);
      s.on("connect_error", onError);
    }
  });
}

// Quick exit: detach the connection at once (no event reaches the page any more), tell
// the server to destroy the conversation if it can within a second, then close.
export function exit(done) {
  const s = socket;
  socket = null;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    if (s) s.disconnect();
    done();
  };
  if (s && s.connected) s.timeout(1000).emit("exit", {}, finish);
  else finish();
}
