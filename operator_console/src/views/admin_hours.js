// Administration › Opening hours: several time ranges a day, exceptions for a day or a
// run of days with a reason, public holidays and their eves, the last call. The state is
// ../state/hours_model.js; a document loaded and saved unchanged is stored unchanged.
import { clear, el, uniqueId } from "../../../frontend_lib/dom.js";
import { _, current, fmt } from "../../../frontend_lib/i18n.js";
import { errorText } from "../lib/labels.js";
import { field } from "../lib/forms.js";
import { MAX_RANGES, fromDocument, nextRange, problems, toDocument } from "../state/hours_model.js";

export function weekdayName(i) {
  // 2024-01-01 was a Monday; weekday 0 = Monday as in the hours document.
  return new Intl.DateTimeFormat(current.locale, { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, 1 + i)));
}

export function hoursEditor(host, ctx) {
  let state = fromDocument(null);
  const status = el("p", { class: "hint", role: "status" });
  const summary = el("p", { class: "form-error", role: "alert" });
  const body = el("div");
  const save = el("button", { type: "submit", class: "primary", text: _("Save opening hours") });
  const form = el("form", { class: "card hours-editor", novalidate: true }, body, summary, el("div", { class: "actions" }, save), status);
  host.append(form);

  // One time range: two time inputs (left to right in every language) and Remove.
  function rangeRow(list, r, index, name, redraw) {
    const from = el("input", { type: "time", value: r.from, required: true, "aria-label": fmt(_("{place}: time range {n} opens"), { place: name, n: index + 1 }) });
    const to = el("input", { type: "time", value: r.to, required: true, "aria-label": fmt(_("{place}: time range {n} closes"), { place: name, n: index + 1 }) });
    from.addEventListener("input", () => (r.from = from.value));
    to.addEventListener("input", () => (r.to = to.value));
    const remove = el("button", { type: "button", class: "ghost small", text: _("Remove") });
    const descId = uniqueId("range");
    remove.setAttribute("aria-describedby", descId);
    remove.addEventListener("click", () => {
      list.splice(index, 1);
      redraw();
    });
    return el("li", { class: "range" },
      el("span", { class: "time-pair", dir: "ltr" }, from, el("span", { "aria-hidden": "true", text: "–" }), to),
      el("span", { id: descId, class: "visually-hidden", text: fmt(_("{place}: time range {n}"), { place: name, n: index + 1 }) }),
      remove);
  }

  // `labelId`: the element naming the day or exception, describing the Add button.
  function rangesBlock(list, name, where, labelId) {
    const box = el("div", { class: "ranges", "data-where": where });
    const draw = () => {
      clear(box);
      const items = el("ul", { class: "range-list" });
      list.forEach((r, i) => items.append(rangeRow(list, r, i, name, draw)));
      if (!list.length) box.append(el("p", { class: "closed-note", text: _("Closed") }));
      else box.append(items);
      const add = el("button", { type: "button", class: "ghost small", text: _("Add a time range"), "aria-describedby": labelId });
      add.disabled = list.length >= MAX_RANGES;
      add.addEventListener("click", () => {
        list.push(nextRange(list));
        draw();
        const inputs = box.querySelectorAll("input");
        if (inputs.length) inputs[inputs.length - 2].focus();
      });
      box.append(add, el("p", { class: "form-error", "data-error": where }));
    };
    draw();
    return box;
  }

  function weekly() {
    const rows = state.days.map((list, i) => {
      const id = uniqueId("day");
      return el("tr", { "data-day": String(i) }, el("th", { scope: "row", id, text: weekdayName(i) }), el("td", {}, rangesBlock(list, weekdayName(i), `day:${i}`, id)));
    });
    return el("table", { class: "grid compact hours-week" },
      el("caption", { class: "visually-hidden", text: _("Weekly hours") }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: _("Day") }), el("th", { scope: "col", text: _("Open") }))),
      el("tbody", {}, rows));
  }

  function exceptionBox(e, index) {
    const name = fmt(_("Exception {n}"), { n: index + 1 });
    const first = el("input", { type: "date", value: e.from, required: true });
    const last = el("input", { type: "date", value: e.to });
    const reason = el("input", { type: "text", value: e.reason, maxlength: "200", dir: "auto", autocomplete: "off" });
    first.addEventListener("input", () => {
      const wasOneDay = e.to === e.from;
      e.from = first.value;
      if (wasOneDay || !e.to) {
        e.to = first.value;
        last.value = first.value;
      }
    });
    last.addEventListener("input", () => (e.to = last.value));
    reason.addEventListener("input", () => (e.reason = reason.value));
    const closed = el("input", { type: "checkbox", checked: !e.ranges.length });
    const closedId = uniqueId("closed");
    closed.id = closedId;
    const rangesHost = el("div");
    const legendId = uniqueId("exc");
    const drawRanges = () => clear(rangesHost).append(e.ranges.length ? rangesBlock(e.ranges, name, `exception-ranges:${index}`, legendId) : []);
    closed.addEventListener("change", () => {
      if (closed.checked) e.ranges.splice(0);
      else e.ranges.push(nextRange([]));
      drawRanges();
    });
    drawRanges();
    const remove = el("button", { type: "button", class: "ghost small", text: _("Remove this exception"), "aria-describedby": legendId });
    remove.addEventListener("click", () => {
      state.exceptions.splice(index, 1);
      draw();
    });
    return el("fieldset", { class: "exception", "data-where": `exception:${index}` },
      el("legend", { id: legendId, text: name }),
      el("div", { class: "inline-fields" },
        field(_("First day"), first),
        field(_("Last day"), last, _("The same as the first day for one day.")),
        field(_("Reason (for staff, optional)"), reason, _("For example: summer closure.")),
      ),
      el("label", { class: "check", for: closedId }, closed, el("span", { text: _("Closed all day") })),
      rangesHost,
      el("p", { class: "form-error", "data-error": `exception:${index}` }),
      remove);
  }

  function draw() {
    const holidays = el("input", { type: "checkbox", checked: state.closedOnHolidays });
    holidays.addEventListener("change", () => (state.closedOnHolidays = holidays.checked));
    const eves = el("input", { type: "checkbox", checked: state.closedOnEves });
    eves.addEventListener("change", () => (state.closedOnEves = eves.checked));
    const lastCall = el("input", { type: "number", min: "0", max: "120", step: "1", class: "narrow", value: String(state.lastCall), inputmode: "numeric" });
    lastCall.addEventListener("input", () => (state.lastCall = lastCall.value === "" ? NaN : Number(lastCall.value)));
    const exceptions = el("div", { class: "exceptions" });
    state.exceptions.forEach((e, i) => exceptions.append(exceptionBox(e, i)));
    if (!state.exceptions.length) exceptions.append(el("p", { class: "hint", text: _("No exceptions.") }));
    const add = el("button", { type: "button", class: "ghost", text: _("Add an exception") });
    add.addEventListener("click", () => {
      const today = new Date().toISOString().slice(0, 10);
      state.exceptions.push({ from: today, to: today, ranges: [], reason: "" });
      draw();
      const boxes = body.querySelectorAll("fieldset.exception input[type=date]");
      if (boxes.length) boxes[boxes.length - 2].focus();
    });
    clear(body).append(
      el("h2", { text: _("Weekly hours") }),
      el("p", { class: "hint", text: _("Times are Swedish time. With no open day the chat is always open. 00:00 as a closing time means midnight.") }),
      weekly(),
      el("div", { class: "checks-col" },
        el("label", { class: "check" }, holidays, el("span", { text: _("Closed on Swedish public holidays") })),
        el("label", { class: "check" }, eves, el("span", { text: _("Also closed on Midsummer Eve, Christmas Eve and New Year's Eve") }))),
      field(_("No new chats this many minutes before closing"), lastCall),
      el("p", { class: "form-error", "data-error": "last-call" }),
      el("h2", { text: _("Exceptions") }),
      el("p", { class: "hint", text: _("A day or a run of days with other hours, for example a summer closure. Exceptions win over holidays and the weekly hours.") }),
      exceptions,
      add,
    );
  }

  function showProblems(list) {
    form.querySelectorAll("[data-error]").forEach((p) => (p.textContent = ""));
    for (const p of list) {
      const target = form.querySelector(`[data-error="${p.where}"]`);
      if (target) target.textContent = p.message;
    }
    summary.textContent = list.length ? _("Some fields need to be checked. The problems are marked below.") : "";
    const first = list.length && form.querySelector(`[data-where="${list[0].where}"] input, [data-where="${list[0].where}"] button`);
    if (first) first.focus();
    else if (list.some((p) => p.where === "last-call")) form.querySelector("input[type=number]").focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const found = problems(state);
    showProblems(found);
    if (found.length) return;
    try {
      const data = await ctx.api("PUT", "/api/admin/hours", toDocument(state));
      apply(data);
      ctx.notify(_("Opening hours saved."));
    } catch (err) {
      summary.textContent = errorText(err);
    }
  });

  function apply(data) {
    state = fromDocument(data.hours);
    draw();
    status.textContent = data.status.always_open ? _("The chat is always open (no hours set).") : data.status.open_now ? _("The chat is open now.") : _("The chat is closed now.");
  }
  draw();
  ctx.api("GET", "/api/hours").then(apply, (err) => (summary.textContent = errorText(err)));
}

