// Console form pieces on top of the shared DOM builder (../../../frontend_lib/dom.js).
import { append, el, uniqueId } from "../../../frontend_lib/dom.js";

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
