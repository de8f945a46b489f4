// A referral card as both front ends show it: the widget in the chat and on the ended
// view (in the visitor's language), the console in a chat's log (in the counsellor's).
// Every number, address and link is printed in full, in its own left-to-right island
// (<bdi dir="ltr">) so that "020-50 50 50" stays whole inside Arabic, Persian or Sorani
// text, with a copy button (copy.js) and, for phones and links, the link itself.
// Its words are cardWords() below, in the language the app shows (both apps read the
// one catalog; locales/babel.cfg extracts this folder too).
import { el, uniqueId } from "./dom.js";
import { copyText } from "./copy.js";
import { _ } from "./i18n.js";
import { safeUrl, telUrl } from "./urls.js";

// The words of a card (the `text` argument of referralCard), in the current language.
export function cardWords() {
  return {
    openingHours: _("Opening hours:"),
    whatToSay: _("What you can say:"),
    rights: _("Your rights:"),
    languages: _("Languages:"),
    copy: _("Copy"),
    copied: _("Copied"),
    selected: _("Selected. Copy it with your device's copy command."),
    call: _("Call"),
    write: _("Write an e-mail"),
    opensNewTab: _("(opens in a new tab)"),
  };
}

const str = (v) => (typeof v === "string" ? v : "");
const CONFIRM_MS = 4000;

// What a way to reach a receiver prints and links to. Pure (tested in
// test/referral_card.test.js): {kind, value, label, note, href, external, ltr} or null
// for a way that cannot be shown (a web or chat value that is not an http(s) link).
export function wayOf(w) {
  if (!w || typeof w !== "object") return null;
  const value = str(w.value).trim();
  if (!value) return null;
  const kind = str(w.kind);
  const base = { kind, value, label: str(w.label) || kind, note: str(w.note), href: null, external: false, ltr: false };
  if (kind === "phone") return { ...base, href: telUrl(value), ltr: true };
  if (kind === "web" || kind === "chat") {
    const href = safeUrl(value);
    return href ? { ...base, href, external: true, ltr: true } : null;
  }
  if (kind === "email") return { ...base, href: /^[^\s@:/]+@[^\s@:/]+$/.test(value) ? `mailto:${value}` : null, ltr: true };
  return base; // visit: an address, in the direction of its own script
}

// `text`: {openingHours, whatToSay, rights, languages, copy, copied, selected, call,
// write, opensNewTab}; `opts`: {level: heading level of the card's name (2-4),
// languageLabel(code), compact: leave out what/say/rights (the console's log)}.
export function referralCard(card, text, opts = {}) {
  const level = Math.min(Math.max(opts.level || 3, 2), 4);
  const ways = (Array.isArray(card.how) ? card.how : []).map(wayOf).filter(Boolean);
  const field = (cls, title, body) => (body ? el("p", { class: `card-field ${cls}` }, el("strong", { text: title }), " ", el("span", { dir: "auto", text: body })) : null);
  const langs = (Array.isArray(card.languages) ? card.languages : []).filter((l) => typeof l === "string");
  const label = opts.languageLabel || ((code) => code);
  return el(
    "li",
    { class: "card" },
    el(`h${level}`, { class: "card-name", dir: "auto", text: str(card.name) }),
    !opts.compact && str(card.what) ? el("p", { class: "card-what", dir: "auto", text: str(card.what) }) : null,
    ways.length ? el("ul", { class: "card-ways" }, ways.map((w) => wayItem(w, text))) : null,
    field("card-hours", text.openingHours, str(card.hours)),
    langs.length ? field("card-langs", text.languages, langs.map(label).join(", ")) : null,
    field("card-switchboard", text.whatToSay, str(card.switchboard)),
    opts.compact ? null : field("card-say", text.whatToSay, str(card.say)),
    opts.compact ? null : field("card-rights", text.rights, str(card.rights)),
  );
}

function wayItem(w, text) {
  const valueId = uniqueId("way");
  const value = el("bdi", { class: `card-value card-value--${w.kind}`, id: valueId, dir: w.ltr ? "ltr" : "auto", text: w.value });
  const status = el("span", { class: "copy-status", role: "status" });
  let timer = 0;
  const copy = el("button", { type: "button", class: "copy-btn", "aria-describedby": valueId, text: text.copy });
  copy.addEventListener("click", async () => {
    const result = await copyText(w.value, value, copy.ownerDocument.defaultView || globalThis);
    status.textContent = result === "copied" ? text.copied : result === "selected" ? text.selected : "";
    copy.classList.toggle("done", result === "copied");
    clearTimeout(timer);
    timer = setTimeout(() => {
      status.textContent = "";
      copy.classList.remove("done");
    }, CONFIRM_MS);
  });
  let link = null;
  if (w.href) {
    const external = w.external ? { target: "_blank", rel: "noopener noreferrer" } : {};
    const linkText = w.kind === "phone" ? text.call : w.kind === "email" ? text.write : w.label;
    link = el("a", { class: "card-link", href: w.href, "aria-describedby": valueId, ...external }, linkText, w.external ? el("span", { class: "sr", text: ` ${text.opensNewTab}` }) : null);
  }
  const kind = w.note ? `${w.label} · ${w.note}` : w.label;
  return el(
    "li",
    { class: "card-way" },
    el("span", { class: "card-kind", dir: "auto", text: kind }),
    value,
    el("span", { class: "card-actions" }, link, copy, status),
  );
}
