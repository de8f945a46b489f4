// Where to get help now: shown before the chat when someone is in danger, outside
// opening hours, after a chat, and when the chat cannot be reached.
import { _ } from "../../../../frontend_lib/i18n.js";

export function helpLines() {
  return [
    {
      name: "112",
      number: "112",
      urgent: true,
      what: _("Emergency number: police, ambulance and fire service. Call if you or someone else is in danger right now."),
    },
    {
      name: "BRIS",
      number: "116 111",
      what: _("For children and young people up to 18. Free, and the call does not show on the phone bill."),
    },
    {
      name: "Kvinnofridslinjen",
      number: "020-50 50 50",
      what: _("Support line for people subjected to violence or threats, and for people close to them. Free, open day and night, and the call does not show on the phone bill."),
    },
    {
      name: "1177",
      number: "1177",
      what: _("Healthcare advice by phone, day and night."),
    },
  ];
}
