// Small pieces the work view's parts share.
import { el } from "../../../../frontend_lib/dom.js";
import { timeOf } from "../../lib/locale.js";

// A translated sentence with {time} (and other {placeholders} from `params`) as nodes:
// the time isolated left to right in a <time> (so "14:05" never turns round inside
// right-to-left text), other values in <bdi>.
export function sentence(text, params) {
  return text.split(/(\{\w+\})/).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    if (!m || !(m[1] in params)) return part;
    const v = params[m[1]];
    if (m[1] === "time") return el("time", { dir: "ltr", datetime: new Date(v).toISOString(), text: timeOf(v) });
    if (m[1] === "seconds") return el("bdi", { dir: "ltr", text: String(v) });
    return el("bdi", { text: String(v) });
  });
}
