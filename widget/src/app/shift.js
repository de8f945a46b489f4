// Quick exit by pressing Shift three times within five seconds, the pattern GOV.UK uses
// for "Exit this page". Counted on key release; a Shift held to type a capital letter (or
// any other key pressed in between) does not count and starts the count again. Esc is not
// used: browsers use it to stop loading, and it is pressed by accident.
// Tested in widget/test/shift.test.js (clock injected).
import { realTimers } from "../../../frontend_lib/typing.js";

export const WINDOW_MS = 5000;

// shiftCounter({progress(n), exit(), reset(cancelled)}) -> a keyup handler.
export function shiftCounter({ progress, exit, reset, timers = realTimers }) {
  let presses = 0;
  let timer = null;
  let modified = false;

  const stopTimer = () => {
    if (timer !== null) timers.clear(timer);
    timer = null;
  };
  const clear = (cancelled) => {
    presses = 0;
    stopTimer();
    reset(cancelled);
  };

  return (ev) => {
    if (ev.key === "Shift" && !modified) {
      presses += 1;
      stopTimer();
      if (presses >= 3) {
        presses = 0;
        exit();
      } else {
        progress(presses);
        timer = timers.set(() => clear(true), WINDOW_MS);
      }
    } else if (ev.key !== "Shift" && presses > 0) {
      clear(false);
    }
    modified = ev.shiftKey;
  };
}
