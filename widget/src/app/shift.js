// Quick exit by pressing Shift three times within five seconds, the pattern GOV.UK uses
// for "Exit this page". Counted on key release; a Shift held to type a capital letter (or
// any other key pressed in between) does not count and starts the count again. Esc is not
// used: browsers use it to stop loading, and it is pressed by accident.

export function shiftCounter({ progress, exit, reset }) {
  let presses = 0;
  let timer = 0;
  let modified = false;

  const clear = (announce) => {
    presses = 0;
    clearTimeout(timer);
    reset(announce);
  };

  return (ev) => {
    if (ev.key === "Shift" && !modified) {
      presses += 1;
      clearTimeout(timer);
      if (presses >= 3) {
        presses = 0;
        exit();
      } else {
        progress(presses);
        timer = setTimeout(() => clear(true), 5000);
      }
    } else if (ev.key !== "Shift" && presses > 0) {
      clear(false);
    }
    modified = ev.shiftKey;
  };
}
