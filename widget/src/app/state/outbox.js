// Sends the visitor's messages: in order, acknowledged, a bounded number at a time, and
// again after no answer or a dropped connection, without duplicates (each message keeps
// its client_id; the server stores a client_id once and acknowledges a resend with the
// same id). No DOM and no socket: `send` is given (tests give a fake one).
//
// Why one at a time by default: the server may handle two events of one connection
// concurrently, so only a message whose predecessor is acknowledged is sure to be stored
// after it; and a burst (a long outbox flushed after a reconnect) must not become one
// long-polling POST with more packets than the server accepts (python-engineio refuses
// more than 16). A visitor writes far slower than one round trip per message.
import { applyAck, inFlight, markSent, noAnswer, queued, requeueAfterDrop, retryMessage } from "./conversation.js";

export const MAX_IN_FLIGHT = 1;
export const MAX_TRIES = 3;

// createOutbox({
//   conv,                        the conversation (state/conversation.js)
//   send(item) -> Promise<ack>,  emits `message` {client_id, text}; resolves with the ack
//                                or a local failure {ok: false, error: {code: "timeout"|"offline"}}
//   canSend() -> bool,           connected and the conversation re-attached
//   onChange(item),              an item's status changed (redraw its tick)
//   onGone(),                    the server has no conversation for us any more
//   onRefused(item),             the server refused a message (say so)
// })
export function createOutbox({ conv, send, canSend, onChange = () => {}, onGone = () => {}, onRefused = () => {}, maxInFlight = MAX_IN_FLIGHT, maxTries = MAX_TRIES }) {
  // Bumped on every dropped connection: an answer to a send from before the drop can
  // only confirm a delivery, never requeue (the drop requeued everything already).
  let connection = 0;
  let stopped = false;

  function pump() {
    if (stopped || !canSend()) return;
    while (inFlight(conv).length < maxInFlight) {
      const next = queued(conv)[0];
      if (!next) return;
      dispatch(next);
      if (stopped || !canSend()) return;
    }
  }

  function dispatch(item) {
    markSent(item);
    onChange(item);
    const sentOn = connection;
    let answer;
    try {
      answer = Promise.resolve(send(item));
    } catch (e) {
      answer = Promise.reject(e);
    }
    // A send that throws counts as no answer: the message is tried again.
    answer.catch(() => ({ ok: false, error: { code: "timeout" } })).then((ack) => settle(item, sentOn, ack));
  }

  function settle(item, sentOn, ack) {
    if (stopped) return;
    const local = !ack || (ack.ok === false && ack.error && (ack.error.code === "timeout" || ack.error.code === "offline"));
    if (local) {
      // A stale "no answer" (the connection dropped meanwhile) changes nothing: the
      // drop requeued the message already.
      if (sentOn !== connection || item.status !== "sent") return pump();
      noAnswer(item, maxTries);
      onChange(item);
      return pump();
    }
    const was = item.status;
    const outcome = applyAck(item, ack);
    if (item.status !== was) onChange(item);
    if (outcome === "gone") {
      onGone(item);
      return;
    }
    if (outcome === "failed") onRefused(item);
    pump();
  }

  return {
    // Send what is queued (after a new message, or once the conversation is back).
    flush: pump,
    // The connection dropped: in-flight messages wait for the next one.
    dropped() {
      connection += 1;
      for (const item of requeueAfterDrop(conv)) onChange(item);
    },
    // The visitor's "Try again" on a failed message.
    retry(item) {
      if (retryMessage(item)) {
        onChange(item);
        pump();
      }
    },
    // Quick exit or a new chat: nothing more is sent or reported.
    stop() {
      stopped = true;
    },
  };
}
