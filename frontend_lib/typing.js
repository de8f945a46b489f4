// Typing indicators, both directions, with the clock injected (tests pass a fake one).
//
// timers: {set(fn, ms) -> handle, clear(handle)}; the default uses setTimeout.
export const realTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle),
};

// Our own indicator: `send(true)` once when writing starts, `send(false)` after idleMs
// without input, or at once on stop() (the message was sent, the chat ended).
//   const t = typingSender({send: (active) => socket.emit("typing", {active})});
//   textarea.oninput = () => t.input();
export function typingSender({ send, idleMs = 3000, timers = realTimers }) {
  let active = false;
  let timer = null;
  function stop() {
    if (timer !== null) timers.clear(timer);
    timer = null;
    if (active) {
      active = false;
      send(false);
    }
  }
  return {
    input() {
      if (!active) {
        active = true;
        send(true);
      }
      if (timer !== null) timers.clear(timer);
      timer = timers.set(stop, idleMs);
    },
    stop,
    // Forget without telling the other side (the connection is gone anyway).
    reset() {
      if (timer !== null) timers.clear(timer);
      timer = null;
      active = false;
    },
    get active() {
      return active;
    },
  };
}

// The other side's indicator: on while they say so, off when they stop, when their
// message arrives (clear()), or after ttlMs without news (a lost "stopped" must not
// leave "… is writing" on screen for ever). onChange(active) on every change.
export function peerTyping({ ttlMs = 15000, timers = realTimers, onChange = () => {} }) {
  let active = false;
  let timer = null;
  function setActive(value) {
    if (timer !== null) timers.clear(timer);
    timer = null;
    if (value) timer = timers.set(() => setActive(false), ttlMs);
    if (value !== active) {
      active = value;
      onChange(active);
    }
  }
  return {
    set: (value) => setActive(!!value),
    clear: () => setActive(false),
    get active() {
      return active;
    },
  };
}
