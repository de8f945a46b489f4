// A short, soft two-tone beep made with WebAudio (no audio file is fetched). Browsers
// only allow audio after a user gesture, so the context is created on the first click
// or key press; until then the work view shows "Turn on sound" (audioReady() false),
// because after a reload an on-duty console would otherwise stay silent without saying
// so.
let ctx = null;
const listeners = new Set();

export function audioReady() {
  return !!ctx && ctx.state !== "closed";
}

export function onAudioChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function unlockAudio() {
  if (ctx) return;
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return;
  try {
    ctx = new AC();
    if (ctx.state === "suspended") ctx.resume();
  } catch (e) {
    ctx = null;
  }
  for (const fn of listeners) fn(audioReady());
}

export function beep(urgent = false) {
  if (!ctx) return;
  try {
    if (ctx.state === "suspended") ctx.resume();
    const t0 = ctx.currentTime;
    const tones = urgent ? [880, 660, 880] : [660, 880];
    tones.forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const start = t0 + i * 0.14;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.12);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.13);
    });
  } catch (e) {
    /* sound is a convenience */
  }
}
