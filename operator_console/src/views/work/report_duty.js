// The duty-to-report reminder, in the chat itself: as soon as the age band says under
// 18 and the visitor's topic or a harm category says harm (state/triage.js reportDuty),
// a banner above the conversation says what to do, with the social services of the
// visitor's municipality from the referral directory (or how to find them), until
// someone in the chat acknowledges it; then it stays as one distinct line. The law's
// citation comes from the server (services/triage.py LAW), the same in every locale.
import { clear, el, uniqueId } from "../../../../frontend_lib/dom.js";
import { _ } from "../../../../frontend_lib/i18n.js";
import { safeUrl, telUrl } from "../../../../frontend_lib/urls.js";
import { chatDirectory, known, triageSchema } from "../../lib/directory.js";
import { municipalities, municipalityOf, socialServicesFor } from "../../state/referrals.js";
import { reportDuty } from "../../state/triage.js";
import { sentence } from "./bits.js";

function contact(receiver) {
  const parts = [];
  for (const ch of receiver.channels || []) {
    const href = ch.kind === "phone" ? telUrl(ch.value) : ch.kind === "web" ? safeUrl(ch.value) : null;
    const text = ch.note ? `${ch.value} (${ch.note})` : ch.value;
    parts.push(href ? el("a", { href, dir: "ltr", text, ...(ch.kind === "web" ? { target: "_blank", rel: "noopener noreferrer" } : {}) }) : el("span", { dir: "ltr", text }));
  }
  return el(
    "li",
    {},
    el("strong", { dir: "auto", text: receiver.name }),
    " ",
    parts.flatMap((p, i) => (i ? [" · ", p] : [p])),
    receiver.verify ? el("span", { class: "tag tiny warn", text: _("Verify before use") }) : null,
  );
}

// The social services to report to, or how to find them.
function whereTo(ctx, chat, dir) {
  const code = chat.marks && chat.marks.municipality;
  const box = el("div", { class: "duty-where" });
  const receivers = (dir && dir.receivers) || [];
  const m = code ? municipalityOf(receivers, code) : null;
  if (m) {
    const list = socialServicesFor(receivers, code);
    box.append(el("p", { text: sentence(_("Social services in {municipality}:"), { municipality: m.name }) }));
    if (list.length) box.append(el("ul", { class: "duty-contacts" }, list.map(contact)));
    else box.append(el("p", { text: _("The referral directory has no social services for this municipality. Find them on the municipality's website.") }));
  } else {
    box.append(el("p", { text: _("The municipality is not known. If it is safe, ask where the visitor lives. You can also report to the social services where your centre is; they forward the report.") }));
  }
  if (chat.role !== "observer" && receivers.length) {
    const id = uniqueId("muni");
    const pick = el(
      "select",
      { id },
      el("option", { value: "", text: _("Not known") }),
      municipalities(receivers).map((x) => el("option", { value: x.code, text: x.name, selected: x.code === code })),
    );
    pick.addEventListener("change", () => ctx.setMunicipality(chat, pick.value));
    box.append(el("div", { class: "field inline" }, el("label", { for: id, text: _("Municipality where the child lives") }), pick));
  }
  return box;
}

// Draw (or clear) the reminder of `chat` into `host`.
export function renderDuty(ctx, chat, host) {
  if (!host) return;
  const schema = known.schema;
  if (!schema) {
    triageSchema()
      .then(() => host.isConnected && renderDuty(ctx, chat, host))
      .catch(() => {});
    return;
  }
  if (!reportDuty(chat, schema)) {
    clear(host);
    return;
  }
  // The chat's directory: its visitor's home centre's (overflow), lib/directory.js.
  const dir = known.chatDirectory(chat.conv);
  if (!dir) chatDirectory(chat.conv, ctx.call).then(() => host.isConnected && renderDuty(ctx, chat, host), () => {});
  const by = chat.marks && chat.marks.acknowledged_by;
  const titleId = uniqueId("duty");
  const banner = el("section", { class: by ? "report-duty acknowledged" : "report-duty", "aria-labelledby": titleId });
  const title = el("h2", { id: titleId }, el("span", { class: "duty-mark", "aria-hidden": "true", text: "!" }), _("Duty to report: the visitor may be a child at risk"));
  if (by && !chat.dutyOpen) {
    const more = el("button", { type: "button", class: "ghost small", "aria-expanded": "false", text: _("Show what to do") });
    more.addEventListener("click", () => {
      chat.dutyOpen = true;
      renderDuty(ctx, chat, host);
    });
    banner.append(el("div", { class: "duty-line" }, title, el("p", { class: "duty-by", text: sentence(_("Read by {name}."), { name: by }) }), more));
    clear(host).append(banner);
    return;
  }
  const actions = el("div", { class: "actions" });
  if (!by) {
    const ack = el("button", { type: "button", class: "primary", text: _("I have read this") });
    ack.addEventListener("click", () => ctx.acknowledgeDuty(chat));
    actions.append(ack);
  } else {
    const less = el("button", { type: "button", class: "ghost small", "aria-expanded": "true", text: _("Show less") });
    less.addEventListener("click", () => {
      chat.dutyOpen = false;
      renderDuty(ctx, chat, host);
    });
    actions.append(el("p", { class: "duty-by", text: sentence(_("Read by {name}."), { name: by }) }), less);
  }
  // The button stays in the top line, on screen however long the rest is.
  banner.append(
    el("div", { class: "duty-top" }, title, actions),
    el(
      "div",
      { class: "duty-grid" },
      el(
        "div",
        {},
        el("p", { class: "duty-law", text: schema.report_duty_text }),
        el(
          "ul",
          { class: "duty-steps" },
          el("li", { text: _("Report at once, also if you are unsure. You do not need the visitor's permission.") }),
          el("li", { text: _("If it is safe, tell the visitor honestly that you will contact social services, and what happens next.") }),
          el("li", { text: _("Tick \"Report of concern to social services\" under Actions taken in the triage.") }),
        ),
      ),
      dir ? whereTo(ctx, chat, dir) : el("p", { class: "hint", text: _("Loading the referral directory…") }),
    ),
  );
  // Announced once, when it first appears for this chat.
  if (!chat.dutyAnnounced) {
    banner.setAttribute("role", "alert");
    chat.dutyAnnounced = true;
  }
  clear(host).append(banner);
}
