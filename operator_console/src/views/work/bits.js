// Small pieces the work view's parts share.
import { fmt } from "../../../../frontend_lib/i18n.js";
import { timeOf } from "../../lib/locale.js";

const LRI = "\u2066"; // left-to-right isolate
const FSI = "\u2068"; // first-strong isolate
const PDI = "\u2069"; // pop directional isolate

// A translated sentence with {placeholders} filled in, one string (a screen reader reads
// it as one, and it stays one text for the catalogs): {time} (a timestamp, ms) becomes
// "14:05" and {seconds} a number, each isolated left to right so they never turn round
// inside right-to-left text; any other value (a name) is isolated in its own direction.
export function sentence(text, params) {
  const values = {};
  for (const [key, v] of Object.entries(params)) {
    if (key === "time") values[key] = `${LRI}${timeOf(v)}${PDI}`;
    else if (key === "seconds") values[key] = `${LRI}${v}${PDI}`;
    else values[key] = `${FSI}${v}${PDI}`;
  }
  return fmt(text, values);
}
