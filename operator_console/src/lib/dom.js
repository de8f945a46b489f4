// Tiny DOM builder. Text always goes in through text nodes / textContent: there is no
// innerHTML anywhere in the console, so no message, name or server string becomes markup.

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
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

let uid = 0;
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form field: <div class="field"><label for>…</label><input id></div>
export function field(label, control, hint) {
  const id = control.id || uniqueId("f");
  control.id = id;
  const hintEl = hint ? el("p", { class: "hint", id: `${id}-hint`, text: hint }) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return el("div", { class: "field" }, el("label", { for: id, text: label }), control, hintEl);
}

// A modal <dialog>; resolves with what `build(close)` passes to close(), or null on Esc.
export function modal(title, build) {
  return new Promise((resolve) => {
    const titleId = uniqueId("dlg");
    const dialog = el("dialog", { class: "dialog", "aria-labelledby": titleId });
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value === undefined ? null : value);
    };
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      close(null);
    });
    append(dialog, [el("h2", { id: titleId, text: title }), build(close)]);
    document.body.append(dialog);
    dialog.showModal();
    const first = dialog.querySelector("input, select, textarea, button.primary, button");
    if (first) first.focus();
  });
}
