// Tiny DOM builder. Text always goes in through textContent / text nodes; no string is
// ever parsed as HTML anywhere in the widget, so no message or server text can become markup.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "hidden") el.hidden = !!v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === "string" || typeof c === "number") el.append(document.createTextNode(String(c)));
    else el.append(c);
  }
}

let uid = 0;
export function id(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// Only http(s) links leave the widget; anything else (javascript:, data:) is dropped.
export function safeUrl(value) {
  try {
    const u = new URL(String(value));
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch (e) {
    return null;
  }
}

// "020-50 50 50" -> "tel:020505050"; null if it does not look like a phone number.
export function telUrl(value) {
  const s = String(value || "");
  if (!/^[+0-9][0-9 ()-]{1,24}$/.test(s)) return null;
  return `tel:${s.replace(/[^+0-9]/g, "")}`;
}
