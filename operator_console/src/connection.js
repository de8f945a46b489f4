// The console's socket.io connection to /operator (authenticated by the staff session
// cookie) and its acknowledged calls.
//
// One place decides that a refused connection means "your session has ended": the
// server refuses with CONNECT_ERROR {message: "unauthorized", data: {code, message}}
// (docs/protocol.md) when the session is gone, expired or revoked; isSessionRefused()
// reads that, and connect() hands it to onSessionEnded.
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

// connect({onSessionEnded, onLost, onBack}) -> socket
//   onSessionEnded()  the server refused the staff session (log in again);
//   onLost()          the connection dropped (socket.io reconnects by itself);
//   onBack()          it is back.
export function connect({ onSessionEnded, onLost, onBack }) {
  const socket = io("/operator", { transports: ["websocket", "polling"], withCredentials: true });
  socket.on("connect_error", (err) => {
    if (!isSessionRefused(err) || closed.has(socket)) return;
    disconnect(socket);
    onSessionEnded();
  });
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
