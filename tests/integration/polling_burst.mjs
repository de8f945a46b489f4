// The widget's socket.io-client (widget/node_modules, the version widget/package.json
// pins) over long-polling only: N `message` emits in one tick, then N more emitted
// while the connection is down and flushed by the client when it reconnects (resumed
// with the session's token, as the widget does). Started by test_polling_burst.py;
// prints one JSON line: {conversation, token, acks: [...]}.
//
// usage: node polling_burst.mjs <server url> <count>
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../../widget/package.json", import.meta.url)));
const { io } = require("socket.io-client");

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}

function fail(why) {
  console.error(why);
  process.exit(1);
}
setTimeout(() => fail("timed out"), 60000).unref();

const socket = io(url + "/visitor", { transports: ["polling"], reconnectionDelay: 100, reconnectionDelayMax: 200 });
socket.on("connect_error", (err) => fail("connect_error " + err.message));
const session = await once(socket, "session");
const started = await socket.timeout(10000).emitWithAck("start", { audience: "self" });
if (!started.ok) fail("start refused " + JSON.stringify(started));

function burst(prefix) {
  // All in one tick: socket.io-client hands them to Engine.IO together, which puts them
  // into as few POSTs as maxPayload allows.
  const acks = [];
  for (let i = 0; i < count; i++) {
    acks.push(socket.timeout(30000).emitWithAck("message", { client_id: `${prefix}${i}`, text: `${prefix} ${i}` }));
  }
  return acks;
}

const online = await Promise.all(burst("online"));

// Offline: the transport goes away under the client (as on a network drop); emits made
// now wait in the client's send buffer until it has reconnected to the namespace.
socket.auth = { resume: session.token };
const reconnected = once(socket.io, "reconnect");
socket.io.engine.close();
if (socket.connected) fail("still connected after the transport closed");
const offline = burst("offline");
await reconnected;
const flushed = await Promise.all(offline);

console.log(JSON.stringify({ conversation: started.conversation.id, token: session.token, acks: [...online, ...flushed] }));
socket.disconnect();
process.exit(0);
