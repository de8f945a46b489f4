// The console's socket.io connection to /operator (authenticated by the staff session
// cookie) and its acknowledged calls.
//
// One place decides that the staff session has ended: the server says so at once with
// `session_ended` {reason, message} and closes the socket (logout, an admin disabling the
// account or changing its role, a password or authenticator reset, the idle or absolute
// lifetime: docs/protocol.md), and a connection made after that is refused with
// CONNECT_ERROR {message: "unauthorized", data: {code, message}}; isSessionRefused()
// reads the refusal, and connect() hands either to onSessionEnded.
import { io } from "socket.io-client";
import { ackCall } from "../../frontend_lib/call.js";
import { _ } from "../../frontend_lib/i18n.js";

export const ACK_TIMEOUT_MS = 10000;

// The connect_error of a refused staff session (socket.io-client puts the CONNECT_ERROR
// payload's `message` in err.message and its `data` in err.data).
export function isSessionRefused(err) {
  if (!err) return false;
  const code = err.data && typeof err.data === "object" ? err.data.code : null;
  return err.message === "unauthorized" || code === "unauthorized";
}

const noAnswer = () => _("No answer from the server. Check your connection.");

// An acknowledged call on `socket`: resolves with the ack, or {ok: false, error: {code:
// "timeout"|"offline", message}} when there is no answer (frontend_lib/call.js).
export function call(socket, event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  return ackCall(socket, event, payload, { timeoutMs, noAnswer });
}

// Sockets closed on purpose (log out, session ended): never reconnected.
const closed = new WeakSet();

export function disconnect(socket) {
  if (!socket) return;
  closed.add(socket);
  socket.disconnect();
}

// The person at the console keeps their session from idling out: a keypress or a click
// tells the server (`active`), at most once a minute. A console left alone, even with
// its socket open, ends at the idle timeout.
export const ACTIVE_EVERY_MS = 60000;

export function activityReporter(send, now = () => Date.now(), everyMs = ACTIVE_EVERY_MS) {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < everyMs) return false;
    last = t;
    send();
    return true;
  };
}

// connect({onSessionEnded, onLost, onBack}) -> socket
//   onSessionEnded(message)  the staff session ended (log in again); `message` is the
//                    server's reason in the console's language, when it gave one;
//   onLost()          the connection dropped (socket.io reconnects by itself);
//   onBack()          it is back.
export function connect({ onSessionEnded, onLost, onBack }) {
  const socket = io("/operator", { transports: ["websocket", "polling"], withCredentials: true });
  socket.on("connect_error", (err) => {
    if (!isSessionRefused(err) || closed.has(socket)) return;
    disconnect(socket);
    onSessionEnded();
  });
  socket.on("session_ended", (data) => {
    if (closed.has(socket)) return;
    disconnect(socket);
    onSessionEnded(data && typeof data.message === "string" ? data.message : null);
  });
  const report = activityReporter(() => socket.connected && socket.emit("active", {}));
  const onInput = () => (closed.has(socket) ? stopReporting() : report());
  const stopReporting = () => {
    document.removeEventListener("keydown", onInput, true);
    document.removeEventListener("pointerdown", onInput, true);
  };
  document.addEventListener("keydown", onInput, true);
  document.addEventListener("pointerdown", onInput, true);
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect" || closed.has(socket)) return;
    onLost();
    // A disconnect by the server is not retried by socket.io itself; a restarting server
    // may do that. If the staff session is gone, the retry ends at the login page.
    if (reason === "io server disconnect") setTimeout(() => closed.has(socket) || socket.connect(), 1000);
  });
  socket.io.on("reconnect", onBack);
  return socket;
}
