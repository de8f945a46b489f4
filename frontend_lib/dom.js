// The DOM builder both front ends use. Text always goes in through text nodes and
// textContent: no string is ever parsed as HTML (no innerHTML, insertAdjacentHTML or
// document.write anywhere in the front ends), so no message, name or server text can
// become markup.

// el("button", {type: "button", class: "primary", text: "Send", onclick: fn}, ...children)
// Attributes: `class`, `text` (textContent), `on<event>` (a listener), `hidden`,
// `value` and `checked` (properties, so a <textarea> gets its text and a box its state);
// anything else is setAttribute(k, v) (`true` sets an empty attribute). null, undefined
// and false leave an attribute or a child out; arrays of children are flattened.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "hidden") node.hidden = !!v;
      else if (k === "value") node.value = v;
      else if (k === "checked") node.checked = !!v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (typeof c === "string" || typeof c === "number") node.append(document.createTextNode(String(c)));
    else node.append(c);
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

let uid = 0;
// A document-unique id for label/aria references: "lang-3".
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// Like fmt(), but each value becomes a <bdi> element: a name written right to left
// inside a left-to-right sentence (or the other way round) keeps its own direction.
// Returns an array of strings and elements for el()'s children.
export function fmtNodes(text, params) {
  return text.split(/(\{\w+\})/).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    return m && params && m[1] in params ? el("bdi", { text: String(params[m[1]]) }) : part;
  });
}
