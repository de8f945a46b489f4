// Administration › Overflow: per resource centre, the other centres its visitors are
// offered when it is closed, has nobody on duty or the wait is too long (issue 19), in
// order, and the wait past which they are offered. A national admin edits both for
// every centre; a centre's own admin sees the order and sets their centre's wait
// (services/centres.py). The state is ../state/overflow_model.js; a centre loaded and
// saved unchanged is stored unchanged.
import { clear, el, uniqueId } from "../../../frontend_lib/dom.js";
import { _, current, fmt } from "../../../frontend_lib/i18n.js";
import { field } from "../lib/forms.js";
import { errorText } from "../lib/labels.js";
import { adminCentres, initialCentre } from "../state/centre_scope.js";
import { MAX_OVERFLOW, add, candidates, fromCentre, move, problems, remove, toChanges } from "../state/overflow_model.js";

// A centre's name in the console's language (the server names it in the account's).
function nameOf(c) {
  return (c.names && c.names[current.locale]) || c.name || c.id;
}

export function overflowEditor(host, ctx) {
  const status = el("p", { class: "form-error", role: "alert" });
  const body = el("div");
  host.append(body, status);
  let listing = null; // {national, centres: [{id, name, names, overflow, overflow_wait_s}], names: {id: name}, defaultS}

  async function load() {
    const mine = await ctx.api("GET", "/api/centres");
    const national = !!mine.national_admin;
    // A national admin needs every centre (to add to an order); GET /api/centres holds
    // every centre for them too, but /api/admin/centres is the national screen's own.
    const all = national ? (await ctx.api("GET", "/api/admin/centres")).items : mine.items;
    const editable = adminCentres({ items: all.map((c) => ({ ...c, name: nameOf(c), role: c.role })), national_admin: national });
    const names = { ...(mine.overflow_names || {}) };
    for (const c of all) names[c.id] = nameOf(c);
    listing = { national, all: all.map((c) => ({ ...c, name: nameOf(c) })), centres: editable, names, defaultS: mine.overflow_wait_default_s || 1200 };
    draw();
  }

  function draw() {
    clear(body);
    if (!listing.centres.length) {
      body.append(el("p", { class: "hint", text: _("You administer no resource centre.") }));
      return;
    }
    // The administration's centre picker chooses (ctx.centre); without one, the
    // person administers one centre.
    const chosen = initialCentre(listing.centres, ctx.centre || null);
    body.append(centreForm(listing.centres.find((c) => c.id === chosen)));
  }

  function centreForm(centre) {
    const state = fromCentre(centre);
    const name = (id) => listing.names[id] || id;
    const orderBox = el("div", { "data-where": "overflow" });
    const orderError = el("p", { class: "form-error", "data-error": "overflow" });
    const waitError = el("p", { class: "form-error", "data-error": "wait" });
    const summary = el("p", { class: "form-error", role: "alert" });
    const headingId = uniqueId("ovf");

    function drawOrder(focusSelector) {
      clear(orderBox);
      const list = el("ol", { class: "range-list overflow-order", "aria-labelledby": headingId });
      state.order.forEach((id, i) => {
        const label = el("span", { class: "overflow-name", dir: "auto", text: name(id) });
        const item = el("li", { class: "range", "data-centre": id }, el("span", { class: "overflow-place", text: `${i + 1}.`, "aria-hidden": "true" }), label);
        if (listing.national) {
          const button = (text, aria, action, disabled, key) => {
            const b = el("button", { type: "button", class: "ghost small", text, "aria-label": aria, "data-action": key });
            b.disabled = disabled;
            b.addEventListener("click", () => {
              action();
              drawOrder(`[data-centre="${id}"] [data-action="${key}"]`);
            });
            return b;
          };
          item.append(el("span", { class: "row-actions" },
            button(_("Up"), fmt(_("Move {centre} up"), { centre: name(id) }), () => move(state, i, -1), i === 0, "up"),
            button(_("Down"), fmt(_("Move {centre} down"), { centre: name(id) }), () => move(state, i, 1), i === state.order.length - 1, "down"),
            button(_("Remove"), fmt(_("Remove {centre}"), { centre: name(id) }), () => remove(state, i), false, "remove")));
        }
        list.append(item);
      });
      orderBox.append(state.order.length ? list : el("p", { class: "hint", text: _("No other resource centres: its visitors are not offered any.") }));
      if (listing.national) {
        const others = candidates(state, listing.all);
        const pick = el("select", { name: "overflow-add" }, others.map((c) => el("option", { value: c.id, text: c.name })));
        const addButton = el("button", { type: "button", class: "ghost small", text: _("Add to the order") });
        addButton.disabled = !others.length || state.order.length >= MAX_OVERFLOW;
        pick.disabled = addButton.disabled;
        addButton.addEventListener("click", () => {
          add(state, pick.value);
          drawOrder("select[name=overflow-add]");
        });
        orderBox.append(el("div", { class: "inline-fields" }, field(_("Another resource centre"), pick), addButton));
      }
      // Keep the keyboard where it was: on the same button of the moved centre, else the picker.
      const again = focusSelector && (orderBox.querySelector(`${focusSelector}:not([disabled])`) || orderBox.querySelector("select, button:not([disabled])"));
      if (again) again.focus();
    }
    drawOrder(null);

    const wait = el("input", { type: "number", name: "overflow-wait", min: "1", max: "120", step: "1", inputmode: "numeric", class: "narrow", value: state.minutes });
    wait.addEventListener("input", () => (state.minutes = wait.value));
    const save = el("button", { type: "submit", class: "primary", text: _("Save overflow settings") });
    const form = el("form", { class: "card overflow-editor", novalidate: true, "data-centre": centre.id },
      el("h2", { text: fmt(_("Overflow from {centre}"), { centre: centre.name }) }),
      el("p", { class: "hint", text: _("When this resource centre is closed, has nobody on duty or the wait is too long, its visitors may choose another centre: the first ones in this order that can take them now.") }),
      el("h3", { id: headingId, text: _("Order") }),
      listing.national ? null : el("p", { class: "hint", text: _("The order is agreed between the resource centres and set by a national admin.") }),
      orderBox, orderError,
      el("div", { "data-where": "wait" }, field(_("Offer other resource centres after a wait of (minutes)"), wait, fmt(_("1 to 120 minutes. Empty: the default, {n} minutes."), { n: Math.round(listing.defaultS / 60) }))),
      waitError, summary, el("div", { class: "actions" }, save));

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const found = problems(state);
      orderError.textContent = "";
      waitError.textContent = "";
      for (const p of found) (p.where === "wait" ? waitError : orderError).textContent = p.message;
      summary.textContent = found.length ? _("Some fields need to be checked. The problems are marked below.") : "";
      if (found.length) {
        (found[0].where === "wait" ? wait : orderBox.querySelector("button, select") || wait).focus();
        return;
      }
      try {
        const data = await ctx.api("PATCH", `/api/admin/centres/${encodeURIComponent(centre.id)}`, toChanges(state, listing.national));
        ctx.notify(_("Overflow settings saved."));
        const saved = { ...centre, ...data.centre, name: centre.name, names: centre.names };
        listing.centres = listing.centres.map((c) => (c.id === saved.id ? saved : c));
        listing.all = listing.all.map((c) => (c.id === saved.id ? { ...c, overflow: saved.overflow, overflow_wait_s: saved.overflow_wait_s } : c));
        draw();
      } catch (err) {
        summary.textContent = errorText(err);
      }
    });
    return form;
  }

  load().catch((err) => (status.textContent = errorText(err)));
}
