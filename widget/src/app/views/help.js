// Where to get help now: shown before the chat when someone is in danger, outside
// opening hours, while a wait cannot be promised, after a chat, and when the chat cannot
// be reached. Each line: the number in full and when it answers (the referral
// directory's national entries, chat_server/data/referrals.json, say the same; BRIS
// publishes its hours on bris.se, so we point there rather than print hours that may
// change).
import { _ } from "../../../../frontend_lib/i18n.js";

export function helpLines() {
  return [
    {
      name: "112",
      number: "112",
      urgent: true,
      hours: _("Open around the clock."),
      what: _("Emergency number: police, ambulance and fire service. Call if you or someone else is in danger right now."),
    },
    {
      name: "BRIS",
      number: "116 111",
      hours: _("See bris.se for the opening hours."),
      what: _("For children and young people up to 18. Free, and the call does not show on the phone bill."),
    },
    {
      name: "Kvinnofridslinjen",
      number: "020-50 50 50",
      hours: _("Open around the clock."),
      what: _("Support line for people subjected to violence or threats, and for people close to them. Free, open day and night, and the call does not show on the phone bill."),
    },
    {
      name: "1177",
      number: "1177",
      hours: _("Open around the clock."),
      what: _("Healthcare advice by phone, day and night."),
    },
  ];
}
