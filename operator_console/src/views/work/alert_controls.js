// How the console gets attention: sound and desktop notifications, in the queue column.
// Browsers play no sound before a click on the page, so after a reload a visible
// "Turn on sound" says so instead of staying silent; desktop notifications are opt-in
// and asked for only from a click (lib/desktop.js).
import { clear, el } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import * as desktop from "../../lib/desktop.js";
import { audioReady, beep, unlockAudio } from "../../lib/sound.js";

export function renderAlertControls(ctx) {
  const box = ctx.root && ctx.root.querySelector("#alert-controls");
  if (!box) return;
  clear(box);
  if (!audioReady()) {
    const on = el("button", { type: "button", class: "sound-off", text: _("Sound is off. Click to turn it on") });
    on.addEventListener("click", () => {
      unlockAudio();
      beep();
      renderAlertControls(ctx);
    });
    box.append(on);
  }
  const state = desktop.state();
  if (state === "ask" || state === "off") {
    const b = el("button", { type: "button", class: "ghost small", text: _("Turn on desktop notifications") });
    b.addEventListener("click", async () => {
      const now = await desktop.turnOn();
      if (now === "blocked") ctx.app.notify(_("This browser blocks notifications from the console. Allow them in the browser's site settings."));
      renderAlertControls(ctx);
    });
    box.append(b);
  } else if (state === "on") {
    const b = el("button", { type: "button", class: "ghost small", text: _("Turn off desktop notifications") });
    b.addEventListener("click", () => {
      desktop.turnOff();
      renderAlertControls(ctx);
    });
    box.append(b);
  } else if (state === "blocked") {
    box.append(el("p", { class: "hint", text: _("Desktop notifications are blocked in this browser.") }));
  }
}
