// The visitor chat, running in an iframe of /widget/ on the chat server's own origin.
//
// Everything lives in memory: the resume token, the conversation, the messages. Nothing
// is written to cookies or to any kind of browser storage or cache, so a reload starts
// afresh and a quick exit leaves nothing behind in this origin.
import { io } from "socket.io-client";
import { h, id, safeUrl, telUrl } from "./dom.js";
import { codeBox, codeEntry, codeInput } from "./followup.js";
import { helpLines } from "./help.js";
import * as host from "./host.js";
import { _, current, fmt, hasTranslation, loadLocales, setLocale } from "./i18n.js";
import { shiftCounter } from "./shift.js";

const TYPING_IDLE_MS = 3000;
const ACK_TIMEOUT_MS = 15000;

let S = fresh();
let socket = null;
let ui = {};
let known = { def: "sv", locales: [] };
let exiting = false;

function fresh() {
  return {
    view: "loading",
    choices: { audience: null, topic: null, urgent: false, age_band: null },
    token: null,
    open: true,
    hours: null,
    conv: null, // {id, state, position}
    wait: null, // seconds
    operator: null, // display name
    items: [],
    seq: 0,
    typing: false,
    typingSent: false,
    typingTimer: 0,
    peerTypingTimer: 0,
    referrals: [],
    endedReason: null,
    confirmEnd: false,
    lost: false, // connection dropped while a conversation was live
    reconnected: false,
    // Follow-up code: the one typed in the start flow (sent once after `start`, then
    // forgotten), and the one the server shows once (memory only, wiped on quick exit).
    codeIn: "",
    followup: null, // null | "asked" | {code, expires_at, hidden}
    codeNote: null, // {ok, text}: the answer to the entered code
  };
}

// ---------------------------------------------------------------- helpers

function randomId() {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return `c-${Array.from(a, (b) => (b % 36).toString(36)).join("")}`;
}

function timeText(ts) {
  if (!ts) return "";
  const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(current.locale, opts).format(new Date(ts));
  } catch (e) {
    return new Intl.DateTimeFormat("sv", opts).format(new Date(ts));
  }
}

// Like fmt(), but each value becomes a <bdi> element: a name written right to left inside
// a left-to-right sentence (or the other way round) keeps its own direction.
function fmtNodes(text, params) {
  return text.split(/(\{\w+\})/).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    return m && params && m[1] in params ? h("bdi", { text: String(params[m[1]]) }) : part;
  });
}

function live() {
  return !!(S.conv && (S.conv.state === "waiting" || S.conv.state === "active"));
}

function luminance(hex) {
  const n = hex.length < 5 ? hex.replace(/\w/g, "$&$&") : hex;
  return [1, 3, 5].reduce((s, i, k) => {
    let c = parseInt(n.substr(i, 2), 16) / 255;
    c = c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return s + c * [0.2126, 0.7152, 0.0722][k];
  }, 0);
}

// The host's colour is used for buttons only when white text on it stays readable
// (contrast 4.5:1 or more); otherwise the widget keeps its own.
function applyAccent(hex) {
  if (!hex) return;
  if (1.05 / (luminance(hex) + 0.05) >= 4.5) document.documentElement.style.setProperty("--accent", hex);
}

// ---------------------------------------------------------------- shell

function shell() {
  document.title = _("Chat");
  const exitBtn = h(
    "button",
    { type: "button", class: "exit", onclick: quickExit },
    h("span", { class: "exit-label", text: _("Quick exit") }),
    h("span", { class: "dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
  );
  const actions = h("div", { class: "actions" }, exitBtn);
  if (host.embedded) {
    actions.append(
      h(
        "button",
        {
          type: "button",
          class: "min",
          title: _("Minimise the chat"),
          onclick: () => host.post({ t: "close" }),
        },
        h("span", { class: "min-icon", "aria-hidden": "true" }),
        h("span", { class: "sr", text: _("Minimise the chat") }),
      ),
    );
  }
  const header = h(
    "header",
    { class: "top" },
    h("p", { class: "brand" }, h("span", { class: "brand-name", text: _("Chat") }), h("span", { class: "brand-sub", text: _("Anonymous") })),
    actions,
  );
  const banner = h("div", { class: "banner", role: "status" });
  const main = h("main", { id: "main", class: "main" });
  const announcer = h("div", { class: "sr announcer", role: "status" });
  const app = h("div", { class: "app" }, header, banner, main, announcer);
  document.body.replaceChildren(app);
  ui = { app, header, main, banner, announcer, exitBtn };
  // The loader's own button follows the visitor's language, once there is a translation
  // (until then it keeps the host's label, Swedish by default).
  if (hasTranslation("Quick exit")) host.post({
    t: "strings",
    exit: _("Quick exit"),
    s1: _("Shift, press 2 more times to exit."),
    s2: _("Shift, press 1 more time to exit."),
    lang: current.locale,
    dir: current.dir,
  });
  updateBanner();
}

function updateBanner() {
  if (!ui.banner) return;
  const b = ui.banner;
  b.replaceChildren();
  b.className = "banner";
  if (S.lost && live()) {
    b.classList.add("banner--warn");
    b.append(h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { text: _("The connection was lost. Reconnecting…") }));
  } else if (S.reconnected) {
    b.classList.add("banner--ok");
    b.append(h("span", { text: _("Connected again.") }));
  }
}

function focusView() {
  const target = ui.main && (ui.main.querySelector("[data-autofocus]") || ui.main.querySelector("h1"));
  if (target) target.focus({ preventScroll: false });
}

function heading(text) {
  return h("h1", { tabindex: "-1", text });
}

function backButton(to) {
  return h("button", { type: "button", class: "back", onclick: () => go(to) }, _("Back"));
}

function optionButton(label, hint, onclick, extra) {
  return h(
    "button",
    { type: "button", class: `option${extra ? ` ${extra}` : ""}`, onclick },
    h("span", { class: "option-label", text: label }),
    hint ? h("span", { class: "option-hint", text: hint }) : null,
  );
}

function safetyNote() {
  return h(
    "div",
    { class: "note" },
    h("h2", { class: "note-title", text: _("Safety") }),
    h("p", { text: _("Press Quick exit, or the Shift key three times, to close the chat at once and open a weather page. The chat is then deleted.") }),
    h("p", { text: _("Quick exit cannot erase your earlier browser history, or the fact that you visited this website. Nothing from the chat is saved in your browser.") }),
  );
}

function helpList(titleText) {
  const hid = id("help");
  return h(
    "section",
    { class: "help", "aria-labelledby": hid },
    h("h2", { id: hid, text: titleText }),
    h(
      "ul",
      { class: "help-list" },
      helpLines().map((l) =>
        h(
          "li",
          { class: `help-item${l.urgent ? " help-item--urgent" : ""}` },
          h(
            "a",
            { class: "call", href: telUrl(l.number) },
            h("span", { class: "call-name", text: l.name }),
            l.name !== l.number ? h("span", { class: "call-number", dir: "ltr", text: l.number }) : null,
          ),
          h("p", { class: "help-what", text: l.what }),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- navigation

function go(view) {
  S.view = view;
  render();
}

function render() {
  if (exiting) return;
  const views = {
    loading: viewLoading,
    language: viewLanguage,
    about: viewAbout,
    topic: viewTopic,
    danger: viewDanger,
    urgent: viewUrgent,
    age: viewAge,
    starting: viewStarting,
    chat: viewChat,
    ended: viewEnded,
    offline: viewOffline,
    error: viewError,
  };
  // Views leave out optional parts as null; replaceChildren() would print them as "null".
  ui.main.replaceChildren(...[].concat(views[S.view]()).filter((n) => n !== null && n !== undefined && n !== false));
  ui.main.scrollTop = 0;
  ui.main.className = `main main--${S.view}`;
  focusView();
}

function viewLoading() {
  return h("p", { class: "loading", text: "…" });
}

function viewLanguage() {
  const list = known.locales.map((l) =>
    h(
      "li",
      null,
      h(
        "button",
        {
          type: "button",
          class: "option option--lang",
          lang: l.code,
          dir: l.dir,
          "aria-current": l.code === current.locale ? "true" : null,
          onclick: () => chooseLanguage(l.code),
        },
        l.name,
      ),
    ),
  );
  return [heading(_("Choose a language")), h("ul", { class: "options options--lang" }, list), safetyNote()];
}

async function chooseLanguage(code) {
  const changed = code !== current.locale;
  if (changed) {
    await setLocale(code, known.locales);
    shell();
  }
  // The server words its replies (errors, opening hours) in the connection's locale.
  if (changed && socket && !S.conv) disconnect();
  connect();
  go(S.open ? "about" : "offline");
}

function viewAbout() {
  const choose = (audience) => {
    S.choices.audience = audience;
    go("topic");
  };
  const qid = id("q");
  return [
    h("button", { type: "button", class: "back", onclick: () => go("language") }, h("span", { text: _("Change language") })),
    heading(_("Talk to us anonymously")),
    h("p", { class: "lead", text: _("Here you can chat with a counsellor at the regional resource centre about honour-related violence and oppression, forced or child marriage, and female genital mutilation.") }),
    h("p", { text: _("You do not need to give your name. The conversation is deleted when the chat ends.") }),
    codeEntry(S),
    h("h2", { id: qid, class: "question", text: _("Who is this about?") }),
    h(
      "div",
      { class: "options", role: "group", "aria-labelledby": qid },
      optionButton(_("Myself"), null, () => choose("self")),
      optionButton(_("Someone else"), _("For example a friend, a sibling or a classmate."), () => choose("other")),
      optionButton(_("I am a professional"), _("For example a teacher, social worker or nurse."), () => choose("professional")),
    ),
    safetyNote(),
  ];
}

function viewTopic() {
  const choose = (topic) => {
    S.choices.topic = topic;
    go("danger");
  };
  return [
    backButton("about"),
    heading(_("What is it about?")),
    h("p", { class: "hint", text: _("Choose the one that fits best. You can skip this question.") }),
    h(
      "div",
      { class: "options", role: "group", "aria-label": _("What is it about?") },
      optionButton(_("Control and restrictions"), _("For example who you may meet, what you may wear, or your phone being checked."), () => choose("control")),
      optionButton(_("Marriage"), _("Forced marriage, child marriage, or being taken abroad to marry."), () => choose("marriage")),
      optionButton(_("Female genital mutilation"), _("Also called FGM or female circumcision."), () => choose("fgm")),
      optionButton(_("Violence or threats"), null, () => choose("violence")),
      optionButton(_("Something else"), null, () => choose("other")),
      optionButton(_("Skip this question"), null, () => choose(null), "option--quiet"),
    ),
  ];
}

function viewDanger() {
  const self = S.choices.audience === "self";
  return [
    backButton("topic"),
    heading(self ? _("Are you in danger right now?") : _("Is the person you are worried about in danger right now?")),
    h(
      "div",
      { class: "options options--row", role: "group", "aria-label": self ? _("Are you in danger right now?") : _("Is the person you are worried about in danger right now?") },
      optionButton(_("Yes"), null, () => {
        S.choices.urgent = true;
        go("urgent");
      }),
      optionButton(_("No"), null, () => {
        S.choices.urgent = false;
        go("age");
      }),
    ),
  ];
}

function viewUrgent() {
  return [
    h(
      "div",
      { class: "emergency" },
      heading(_("Call 112 now")),
      h("p", { class: "lead", text: _("If you or someone else is in danger, call 112. The call is free and is answered day and night.") }),
      h("a", { class: "call call--112", href: "tel:112" }, h("span", { class: "call-name", text: _("Call 112") })),
    ),
    h("p", { text: _("If you cannot call, you can still chat with us. Your chat will be given priority.") }),
    h("div", { class: "actions-row" }, h("button", { type: "button", class: "primary", onclick: () => go("age") }, _("Continue to the chat"))),
    backButton("danger"),
  ];
}

function viewAge() {
  const self = S.choices.audience === "self";
  const choose = (band) => {
    S.choices.age_band = band;
    startChat();
  };
  const title = self ? _("How old are you?") : _("How old is the person this is about?");
  const bands = [
    ["13-15", _("13–15 years")],
    ["16-17", _("16–17 years")],
    ["18-21", _("18–21 years")],
    ["22-26", _("22–26 years")],
    ["over-26", _("Over 26 years")],
  ];
  return [
    backButton(S.choices.urgent ? "urgent" : "danger"),
    heading(title),
    h("p", { class: "hint", text: _("You can skip this question.") }),
    h(
      "div",
      { class: "options options--grid", role: "group", "aria-label": title },
      bands.map(([band, label]) => optionButton(label, null, () => choose(band))),
      optionButton(_("Skip this question"), null, () => choose(null), "option--quiet"),
    ),
  ];
}

function viewStarting() {
  return [heading(_("Connecting you to the chat…")), h("p", { class: "loading", "aria-hidden": "true" }, h("span", { class: "spinner" }))];
}

function viewError() {
  return [
    heading(_("We could not reach the chat")),
    h("p", { text: _("Check your internet connection and try again.") }),
    h("div", { class: "actions-row" }, h("button", { type: "button", class: "primary", onclick: retryStart }, _("Try again"))),
    helpList(_("Where to get help now")),
  ];
}

// ------------------------------------------------------------ opening hours

function weekdays() {
  return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")];
}

function zoned(ts, tz) {
  const parts = {};
  const f = new Intl.DateTimeFormat("en-GB", {
    timeZone: tz,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  for (const p of f.formatToParts(new Date(ts))) parts[p.type] = p.value;
  return {
    weekday: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday),
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

function nextOpenText(hours) {
  if (!hours || !hours.next_open_at) return null;
  const tz = hours.timezone || "Europe/Stockholm";
  let when;
  let now;
  let tomorrow;
  try {
    when = zoned(hours.next_open_at, tz);
    now = zoned(Date.now(), tz);
    tomorrow = zoned(Date.now() + 24 * 3600 * 1000, tz);
  } catch (e) {
    return null;
  }
  if (when.date === now.date) return fmt(_("The chat opens again today at {time}."), { time: when.time });
  if (when.date === tomorrow.date) return fmt(_("The chat opens again tomorrow at {time}."), { time: when.time });
  return fmt(_("The chat opens again on {day} at {time}."), { day: weekdays()[when.weekday] || "", time: when.time });
}

function hoursTable(hours) {
  const weekly = hours && Array.isArray(hours.weekly) ? hours.weekly : [];
  if (!weekly.length) return null;
  const names = weekdays();
  const byDay = new Map();
  for (const d of weekly) {
    if (d && Number.isInteger(d.weekday) && Array.isArray(d.ranges)) byDay.set(d.weekday, d.ranges);
  }
  const rows = names.map((name, i) => {
    const ranges = (byDay.get(i) || []).filter((r) => Array.isArray(r) && r.length === 2);
    return h(
      "tr",
      null,
      h("th", { scope: "row", text: name }),
      h("td", null, ranges.length ? h("span", { dir: "ltr", text: ranges.map((r) => `${r[0]}–${r[1]}`).join(", ") }) : _("Closed")),
    );
  });
  return h("table", { class: "hours" }, h("caption", { text: _("Opening hours (Swedish time)") }), h("tbody", null, rows));
}

function viewOffline() {
  const next = nextOpenText(S.hours);
  return [
    heading(_("The chat is closed right now")),
    next ? h("p", { class: "lead", text: next }) : h("p", { class: "lead", text: _("Please come back when the chat is open.") }),
    hoursTable(S.hours),
    helpList(_("Where to get help now")),
    h("div", { class: "actions-row" }, h("button", { type: "button", class: "secondary", onclick: () => go("language") }, _("Change language"))),
  ];
}

// ------------------------------------------------------------ chat

function viewChat() {
  const status = h("div", { class: "status", role: "status" });
  const log = h("ol", { class: "log" });
  // The scrolling message area is the live log; focusable so keyboard users can scroll.
  const logRegion = h("div", { class: "log-wrap", role: "log", "aria-label": _("Messages"), "aria-live": "polite", tabindex: "0" }, log);
  const typing = h("p", { class: "typing", "aria-live": "polite" });
  const label = h("label", { for: "composer", class: "sr", text: _("Write a message") });
  const textarea = h("textarea", {
    id: "composer",
    rows: "2",
    maxlength: "4000",
    dir: "auto",
    placeholder: _("Write a message"),
    autocomplete: "off",
    // On a touch screen, focusing the box would open the keyboard over the queue
    // status; there the (hidden) heading gets the focus instead.
    "data-autofocus": matchMedia("(pointer: coarse)").matches ? null : "",
  });
  const sendBtn = h("button", { type: "submit", class: "send" }, h("span", { text: _("Send") }));
  const form = h("form", { class: "composer", novalidate: true }, label, textarea, sendBtn);
  const endArea = h("div", { class: "end-area" });
  // Polite live region: the follow-up code (and the answer to an entered code) is read
  // out when it arrives, without interrupting.
  const followup = h("div", { class: "followup", "aria-live": "polite" });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = textarea.value.trim();
    if (!text) return;
    textarea.value = "";
    stopTyping();
    send(text);
    textarea.focus();
  });
  textarea.addEventListener("keydown", (ev) => {
    // Enter sends on a computer keyboard; on touch screens Enter makes a new line.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !matchMedia("(pointer: coarse)").matches) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener("input", onComposerInput);
  ui.chat = { status, log, typing, textarea, form, endArea, followup };
  for (const item of S.items) log.append(itemElement(item));
  updateChatStatus();
  updateTyping();
  updateEndArea();
  updateFollowup();
  setTimeout(scrollToEnd, 0);
  return [
    h("h1", { class: "sr", tabindex: "-1", text: _("Chat with a counsellor") }),
    h("div", { class: "chat-top" }, status, endArea, followup),
    logRegion,
    typing,
    form,
  ];
}

function updateEndArea() {
  const c = ui.chat;
  if (!c) return;
  c.endArea.replaceChildren();
  if (S.confirmEnd) {
    // The last chance for a code (it can only be made while the chat is live): point to
    // the button below the confirmation.
    const offerCode = S.conv && S.conv.state === "active" && !S.followup;
    c.endArea.append(h(
      "div",
      null,
      h("p", { class: "confirm", text: _("Do you want to end the chat?") }),
      offerCode ? h("p", { class: "hint", text: _("If you want to continue later, get a code before you end the chat.") }) : null,
      h(
        "div",
        { class: "actions-row" },
        h("button", { type: "button", class: "danger-btn", "data-confirm": "yes", onclick: endChat }, _("Yes, end the chat")),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: () => {
              S.confirmEnd = false;
              updateEndArea();
              c.textarea.focus();
            },
          },
          _("No, continue"),
        ),
      ),
    ));
    c.endArea.querySelector("[data-confirm]").focus();
  } else {
    c.endArea.append(
      h(
        "button",
        {
          type: "button",
          class: "link-btn",
          onclick: () => {
            S.confirmEnd = true;
            updateEndArea();
          },
        },
        _("End chat"),
      ),
    );
  }
}

function waitText() {
  const w = S.wait;
  if (w === null || w === undefined || !Number.isFinite(w)) return _("We cannot estimate the waiting time right now.");
  if (w < 60) return _("Estimated wait: less than a minute.");
  return fmt(_("Estimated wait: about {minutes} min."), { minutes: Math.ceil(w / 60) });
}

function updateChatStatus() {
  const c = ui.chat;
  if (!c || !S.conv) return;
  const parts = [];
  if (S.conv.state === "active") {
    parts.push(
      h(
        "p",
        { class: "status-title" },
        S.operator ? fmtNodes(_("You are chatting with {name}."), { name: S.operator }) : _("You are chatting with a counsellor."),
      ),
    );
  } else {
    parts.push(h("p", { class: "status-title", text: _("Waiting for a counsellor") }));
    if (S.conv.position) parts.push(h("p", { text: fmt(_("Your place in the queue: {position}"), { position: S.conv.position }) }));
    parts.push(h("p", { text: waitText() }));
    parts.push(h("p", { class: "status-hint", text: _("You can start writing while you wait.") }));
    if (S.choices.urgent) {
      parts.push(
        h(
          "p",
          { class: "status-urgent" },
          h("span", { text: _("If you are in danger, call 112.") }),
          " ",
          h("a", { href: "tel:112", class: "inline-call", text: _("Call 112") }),
        ),
      );
    }
  }
  c.status.replaceChildren(...parts);
  c.status.className = `status status--${S.conv.state}`;
}

function statusText(item) {
  switch (item.status) {
    case "queued":
      return _("Waiting for connection");
    case "sent":
      return _("Sent");
    case "delivered":
      return _("Delivered");
    case "failed":
      return _("Not delivered");
    default:
      return "";
  }
}

function itemElement(item) {
  if (item.from === "system") {
    item.el = h("li", { class: "msg msg--system" }, h("p", { dir: "auto", text: item.text }));
    return item.el;
  }
  const mine = item.from === "visitor";
  const who = mine ? _("You") : item.name || S.operator || _("Counsellor");
  const meta = h("p", { class: "meta" });
  const el = h(
    "li",
    { class: `msg ${mine ? "msg--mine" : "msg--theirs"}` },
    h("span", { class: "sr", text: `${who}: ` }),
    h("div", { class: "bubble", dir: "auto", text: item.text }),
    meta,
  );
  item.el = el;
  item.meta = meta;
  updateMeta(item);
  return el;
}

function updateMeta(item) {
  if (!item.meta) return;
  const mine = item.from === "visitor";
  const bits = [];
  if (!mine) bits.push(h("bdi", { class: "meta-name", text: item.name || S.operator || _("Counsellor") }));
  if (item.ts) bits.push(h("span", { class: "meta-time", dir: "ltr", text: timeText(item.ts) }));
  if (mine) {
    bits.push(h("span", { class: `tick tick--${item.status}`, "aria-hidden": "true", text: statusText(item) }));
    if (item.status === "failed" && item.retryable) {
      bits.push(
        h(
          "button",
          {
            type: "button",
            class: "link-btn retry",
            onclick: () => {
              item.status = "queued";
              emitItem(item);
            },
          },
          _("Try again"),
        ),
      );
    }
  }
  item.meta.replaceChildren(...bits);
  if (item.el) item.el.classList.toggle("msg--failed", item.status === "failed");
}

function scrollToEnd() {
  const wrap = ui.chat && ui.chat.log.closest(".log-wrap");
  if (wrap) wrap.scrollTop = wrap.scrollHeight;
}

function sortKey(item) {
  return [item.serverTs || Number.MAX_SAFE_INTEGER, item.seq];
}

function insertItem(item) {
  item.seq = ++S.seq;
  S.items.push(item);
  if (ui.chat && S.view === "chat") {
    ui.chat.log.append(itemElement(item));
    scrollToEnd();
  }
}

// Merge a message from the server (live `message` or `history`). Returns true if new.
function mergeServerMessage(m) {
  if (!m || typeof m !== "object" || typeof m.text !== "string") return false;
  let item = S.items.find((i) => (m.id && i.id === m.id) || (m.from === "visitor" && m.client_id && i.client_id === m.client_id));
  if (item) {
    item.id = m.id;
    item.serverTs = m.ts;
    item.ts = m.ts || item.ts;
    if (item.from === "visitor" && item.status !== "delivered") {
      item.status = "delivered";
    }
    updateMeta(item);
    return false;
  }
  const from = ["visitor", "operator", "system"].includes(m.from) ? m.from : "system";
  item = {
    id: m.id,
    client_id: m.client_id,
    from,
    text: m.text,
    ts: m.ts,
    serverTs: m.ts,
    name: from === "operator" ? S.operator : null,
    status: from === "visitor" ? "delivered" : null,
  };
  insertItem(item);
  return true;
}

function reorder() {
  const sorted = [...S.items].sort((a, b) => {
    const [x, y] = [sortKey(a), sortKey(b)];
    return x[0] - y[0] || x[1] - y[1];
  });
  const changed = sorted.some((it, i) => it !== S.items[i]);
  S.items = sorted;
  if (changed && ui.chat && S.view === "chat") {
    for (const it of sorted) if (it.el) ui.chat.log.append(it.el);
  }
}

function send(text) {
  const item = { client_id: randomId(), from: "visitor", text, ts: Date.now(), status: "queued", tries: 0 };
  insertItem(item);
  emitItem(item);
}

function emitItem(item) {
  if (!socket || !socket.connected || S.lost) {
    item.status = "queued";
    updateMeta(item);
    return;
  }
  item.status = "sent";
  item.tries += 1;
  updateMeta(item);
  const sock = socket;
  sock.timeout(ACK_TIMEOUT_MS).emit("message", { client_id: item.client_id, text: item.text }, (err, res) => {
    if (exiting || item.status === "delivered") return;
    if (err) {
      // No answer in time. The same client_id is safe to send again: the server
      // delivers it once. Resent now if still connected, else after reconnecting.
      item.status = "queued";
      updateMeta(item);
      if (sock === socket && sock.connected && item.tries < 3) emitItem(item);
      return;
    }
    if (res && res.ok) {
      item.id = res.id;
      item.serverTs = res.ts;
      item.ts = res.ts || item.ts;
      item.status = "delivered";
    } else {
      const code = res && res.error && res.error.code;
      if (code === "conflict" || code === "no_conversation") {
        // The server has no conversation for us any more: say so instead of leaving
        // the visitor writing into nothing.
        item.status = "failed";
        updateMeta(item);
        if (live()) ended("gone");
        return;
      }
      item.status = "failed";
      item.retryable = code === "rate_limited" || code === "unavailable" || code === "internal";
      ui.announcer.textContent = _("Your message could not be delivered.");
    }
    updateMeta(item);
  });
}

function flushOutbox() {
  for (const item of S.items) if (item.from === "visitor" && item.status === "queued") emitItem(item);
}

function onComposerInput() {
  if (!live() || !socket || !socket.connected) return;
  if (!S.typingSent) {
    S.typingSent = true;
    socket.emit("typing", { active: true }, () => {});
  }
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(S.typingTimer);
  if (S.typingSent && socket && socket.connected) socket.emit("typing", { active: false }, () => {});
  S.typingSent = false;
}

function updateTyping() {
  const c = ui.chat;
  if (!c) return;
  c.typing.replaceChildren();
  if (S.typing) {
    c.typing.append(
      h("span", { class: "typing-dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
      h("span", null, S.operator ? fmtNodes(_("{name} is writing…"), { name: S.operator }) : _("The counsellor is writing…")),
    );
  }
}

async function endChat() {
  S.confirmEnd = false;
  S.endedReason = "visitor_ended";
  stopTyping();
  if (socket && socket.connected) {
    await new Promise((resolve) => socket.timeout(5000).emit("end", {}, () => resolve()));
  }
  ended("visitor_ended");
}

// ------------------------------------------------------------ follow-up code

function updateFollowup() {
  const c = ui.chat;
  if (!c || !S.conv) return;
  const parts = [];
  const note = S.codeNote;
  if (note) {
    parts.push(
      h(
        "div",
        { class: `notice ${note.ok ? "notice--ok" : "notice--warn"}` },
        h("p", { text: note.text }),
        note.ok ? null : h("p", { text: _("The chat continues as usual. You can tell the counsellor about your earlier chat yourself.") }),
        note.retry ? codeRetry() : null,
      ),
    );
  }
  const f = S.followup;
  if (f && f.code) {
    if (!f.hidden) {
      parts.push(
        codeBox(f.code, () => {
          f.hidden = true;
          updateFollowup();
          c.textarea.focus();
        }),
      );
    } else {
      parts.push(
        h("button", { type: "button", class: "link-btn", onclick: () => {
          f.hidden = false;
          updateFollowup();
        } }, _("Show my code again")),
      );
    }
  } else if (f === "asked") {
    parts.push(h("p", { class: "hint", text: _("The counsellor has been asked for a code. It will be shown here.") }));
  } else if (S.conv.state === "active") {
    parts.push(h("button", { type: "button", class: "link-btn", onclick: requestCode }, _("Get a code to continue later")));
  }
  c.followup.replaceChildren(...parts);
}

function requestCode() {
  if (!socket || !socket.connected || !live()) return;
  socket.timeout(ACK_TIMEOUT_MS).emit("followup_request", {}, (err, res) => {
    if (exiting || !live()) return;
    if (!err && res && res.ok) {
      if (!S.followup) S.followup = "asked";
    } else {
      const code = res && res.error && res.error.code;
      if (code === "no_conversation" || code === "conflict") return ended("gone");
      ui.announcer.textContent = res && res.error && res.error.message ? res.error.message : _("Something went wrong. Please try again.");
    }
    updateFollowup();
  });
}

function onFollowupCode(p) {
  if (!p || typeof p.code !== "string" || !p.code) return;
  S.followup = { code: p.code, expires_at: p.expires_at, hidden: false };
  if (S.view === "ended") render();
  else updateFollowup();
}

// After a wrong code: one more try from inside the chat (the server limits the tries).
function codeRetry() {
  const field = codeInput(S);
  const form = h(
    "form",
    { class: "code-retry", novalidate: true },
    field.label,
    field.input,
    h("button", { type: "submit", class: "secondary" }, _("Check the code")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    S.codeNote = null;
    updateFollowup();
    sendFollowupCode();
  });
  return form;
}

// A code typed in the start flow goes to the server once, right after `start`, and is
// then forgotten. A wrong code does not stop the chat.
function sendFollowupCode() {
  const code = (S.codeIn || "").trim();
  S.codeIn = "";
  if (!code || !socket) return;
  socket.timeout(ACK_TIMEOUT_MS).emit("followup", { code }, (err, res) => {
    if (exiting || !live()) return;
    if (!err && res && res.ok) {
      S.codeNote = { ok: true, text: _("Your code was accepted. The counsellor can read the summary of your earlier chat.") };
    } else {
      const msg = res && res.error && typeof res.error.message === "string" && res.error.message;
      const code = res && res.error && res.error.code;
      S.codeNote = { ok: false, text: msg || _("Your code could not be checked right now."), retry: code === "not_found" };
    }
    updateFollowup();
  });
}

// ------------------------------------------------------------ ended

function ended(reason) {
  if (S.view === "ended") {
    // A more specific reason (from `ended`) may follow a plain `state: ended`.
    if (reason && reason !== "ended" && reason !== S.endedReason && ui.endedLead) {
      S.endedReason = reason;
      ui.endedLead.textContent = endedText(reason);
    }
    return;
  }
  S.endedReason = reason || S.endedReason || "ended";
  if (S.conv) S.conv.state = "ended";
  S.typing = false;
  S.lost = false;
  S.token = null;
  clearTimeout(S.typingTimer);
  host.post({ t: "live", on: false });
  updateBanner();
  go("ended");
}

function endedText(reason) {
  switch (reason) {
    case "visitor_ended":
      return _("You have ended the chat.");
    case "operator_ended":
      return _("The counsellor has ended the chat.");
    case "abandoned":
    case "lost":
      return _("The chat was closed because the connection was lost for too long.");
    case "blocked":
      return _("The chat has been closed.");
    case "gone":
      // The server no longer knows the conversation (e.g. it restarted).
      return _("Your conversation has ended. You can start a new one.");
    default:
      return _("The chat has ended.");
  }
}

function referralCards() {
  if (!S.referrals.length) return null;
  const hid = id("ref");
  return h(
    "section",
    { class: "referrals", "aria-labelledby": hid },
    h("h2", { id: hid, text: _("Places that can help you") }),
    h("ul", { class: "cards" }, S.referrals.map(referralCard)),
  );
}

function referralCard(card) {
  const str = (v) => (typeof v === "string" ? v : "");
  const how = Array.isArray(card.how) ? card.how : [];
  const ways = how
    .map((w) => {
      if (!w || typeof w !== "object") return null;
      const value = str(w.value);
      const label = str(w.label) || value;
      if (w.kind === "phone") {
        const href = telUrl(value);
        return h("li", null, href ? h("a", { class: "card-link", href }, h("span", { dir: "ltr", text: label })) : h("span", { dir: "ltr", text: label }));
      }
      if (w.kind === "web" || w.kind === "chat") {
        const href = safeUrl(value);
        if (!href) return null;
        return h("li", null, h("a", { class: "card-link", href, target: "_blank", rel: "noopener noreferrer", dir: "auto" }, label, h("span", { class: "sr", text: ` ${_("(opens in a new tab)")}` })));
      }
      return h("li", null, h("span", { dir: "auto", text: label }));
    })
    .filter(Boolean);
  const field = (title, text) => (text ? h("div", { class: "card-field" }, h("h4", { text: title }), h("p", { dir: "auto", text })) : null);
  return h(
    "li",
    { class: "card" },
    h("h3", { dir: "auto", text: str(card.name) }),
    str(card.what) ? h("p", { dir: "auto", text: str(card.what) }) : null,
    ways.length ? h("ul", { class: "card-ways" }, ways) : null,
    field(_("Opening hours"), str(card.hours)),
    field(_("What you can say"), str(card.say)),
    field(_("Your rights"), str(card.rights)),
  );
}

function viewEnded() {
  return [
    heading(_("The chat has ended")),
    (ui.endedLead = h("p", { class: "lead", text: endedText(S.endedReason) })),
    h("p", { text: _("The conversation has been deleted. Nothing from it is saved in your browser.") }),
    S.followup && S.followup.code ? codeBox(S.followup.code) : null,
    S.followup === "asked" ? h("p", { text: _("You asked for a code, but the chat ended before the counsellor could give you one.") }) : null,
    referralCards(),
    helpList(_("Where to get help")),
    h(
      "div",
      { class: "actions-row" },
      h("button", { type: "button", class: "primary", onclick: newChat }, _("Start a new chat")),
      host.embedded ? h("button", { type: "button", class: "secondary", onclick: () => host.post({ t: "close" }) }, _("Close")) : null,
    ),
  ];
}

function newChat() {
  disconnect();
  const keep = S.open;
  S = fresh();
  S.open = keep;
  connect();
  go("about");
}

// ------------------------------------------------------------ socket

function connect() {
  if (socket) return;
  const s = io("/visitor", {
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 4000,
    timeout: 10000,
    // Called on every (re)connection: after a drop we ask to resume our conversation.
    auth: (cb) => cb(S.token && S.conv ? { resume: S.token, locale: current.locale } : { locale: current.locale }),
  });
  socket = s;
  const mine = (fn) => (...args) => {
    if (s === socket && !exiting) fn(...args);
  };
  s.on("connect", mine(() => {}));
  s.on(
    "disconnect",
    mine((reason) => {
      if (live()) {
        S.lost = true;
        S.reconnected = false;
        S.typing = false;
        updateTyping();
        updateBanner();
        for (const it of S.items) if (it.status === "sent") {
          it.status = "queued";
          updateMeta(it);
        }
      }
      // The server closed the connection: socket.io does not retry by itself then.
      if (reason === "io server disconnect") setTimeout(() => s === socket && s.connect(), 1000);
    }),
  );
  s.on(
    "connect_error",
    mine(() => {
      if (S.view === "starting") failStart();
    }),
  );
  s.io.on(
    "reconnect_failed",
    mine(() => {
      if (S.view === "starting") failStart();
    }),
  );
  s.on("session", mine(onSession));
  s.on("history", mine(onHistory));
  s.on("state", mine(onState));
  s.on("queue", mine(onQueue));
  s.on(
    "message",
    mine((m) => {
      if (m && m.from === "operator") S.typing = false;
      updateTyping();
      if (mergeServerMessage(m)) reorder();
    }),
  );
  s.on(
    "typing",
    mine((p) => {
      S.typing = !!(p && p.active) && live();
      clearTimeout(S.peerTypingTimer);
      if (S.typing) S.peerTypingTimer = setTimeout(() => {
        S.typing = false;
        updateTyping();
      }, 15000);
      updateTyping();
    }),
  );
  s.on(
    "referral",
    mine((p) => {
      const cards = p && Array.isArray(p.cards) ? p.cards.filter((c) => c && typeof c === "object") : [];
      const seen = new Set(S.referrals.map((c) => c.id));
      for (const c of cards) if (!seen.has(c.id)) S.referrals.push(c);
      if (S.view === "ended") render();
      else if (cards.length) ui.announcer.textContent = _("The counsellor has shared places that can help you. You will see them when the chat ends.");
    }),
  );
  s.on("ended", mine((p) => ended(p && p.reason)));
  s.on("followup_code", mine(onFollowupCode));
}

function disconnect() {
  if (!socket) return;
  const s = socket;
  socket = null;
  try {
    s.disconnect();
  } catch (e) {
    /* already closed */
  }
}

function onSession(p) {
  if (!p || typeof p !== "object") return;
  S.token = typeof p.token === "string" ? p.token : null;
  S.open = p.open !== false;
  S.hours = p.hours && typeof p.hours === "object" ? p.hours : null;
  if (live()) {
    if (p.conversation && p.conversation.id === S.conv.id) {
      // Resumed: `history`, `state` and `queue` follow.
      S.conv.state = p.conversation.state || S.conv.state;
      if (p.conversation.position !== undefined) S.conv.position = p.conversation.position;
      return;
    }
    // The conversation could not be re-attached (expired, ended or lost on the server).
    S.lost = false;
    ended("gone");
    return;
  }
  if (!S.open && ["about", "topic", "danger", "urgent", "age", "loading"].includes(S.view)) go("offline");
}

function onHistory(p) {
  const msgs = p && Array.isArray(p.messages) ? p.messages : [];
  for (const m of msgs) mergeServerMessage(m);
  reorder();
  if (S.lost) {
    S.lost = false;
    S.reconnected = true;
    updateBanner();
    setTimeout(() => {
      S.reconnected = false;
      updateBanner();
    }, 3000);
  }
  flushOutbox();
}

function onState(p) {
  if (!p || !S.conv) return;
  if (p.state === "ended") return ended(S.endedReason);
  const was = S.conv.state;
  S.conv.state = p.state === "active" ? "active" : "waiting";
  if (p.operator && typeof p.operator.name === "string") S.operator = p.operator.name;
  if (S.conv.state === "active") S.conv.position = null;
  if (S.lost) {
    // A `state` after reconnecting without `history` still means we are back.
    S.lost = false;
    updateBanner();
    flushOutbox();
  }
  updateChatStatus();
  updateFollowup();
  if (was !== S.conv.state && S.conv.state === "active") ui.announcer.textContent = "";
}

function onQueue(p) {
  if (!p || !S.conv) return;
  if (Number.isInteger(p.position)) S.conv.position = p.position;
  S.wait = Number.isFinite(p.wait_estimate_s) ? p.wait_estimate_s : null;
  updateChatStatus();
}

function whenConnected(ms) {
  return new Promise((resolve) => {
    if (socket && socket.connected) return resolve(true);
    const s = socket;
    const done = (v) => {
      clearTimeout(t);
      if (s) s.off("connect", onc);
      resolve(v);
    };
    const onc = () => done(true);
    const t = setTimeout(() => done(false), ms);
    if (s) s.on("connect", onc);
  });
}

async function startChat() {
  go("starting");
  connect();
  const ok = await whenConnected(10000);
  if (exiting || S.view !== "starting") return;
  if (!ok) return failStart();
  const payload = {
    locale: current.locale,
    audience: S.choices.audience,
    topic: S.choices.topic,
    urgent: !!S.choices.urgent,
    age_band: S.choices.age_band,
  };
  socket.timeout(ACK_TIMEOUT_MS).emit("start", payload, (err, res) => {
    if (exiting || S.view !== "starting") return;
    if (err) return failStart();
    if (res && res.ok && res.conversation) {
      S.conv = { id: res.conversation.id, state: res.conversation.state || "waiting", position: res.conversation.position ?? null };
      host.post({ t: "live", on: true });
      go("chat");
      sendFollowupCode();
      return;
    }
    const code = res && res.error && res.error.code;
    if (code === "closed") {
      S.open = false;
      go("offline");
    } else failStart();
  });
}

function failStart() {
  go("error");
}

function retryStart() {
  disconnect();
  startChat();
}

// ------------------------------------------------------------ quick exit

// Ends the chat on the server, wipes this page (DOM and memory), and asks the loader to
// replace the host page with the neutral exit page (location.replace: no history entry).
function quickExit() {
  if (exiting) return;
  exiting = true;
  host.post({ t: "exiting" });
  const s = socket;
  socket = null;
  clearTimeout(S.typingTimer);
  clearTimeout(S.peerTypingTimer);
  S = fresh();
  ui = {};
  document.body.replaceChildren();
  document.title = "";
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    if (s) s.disconnect();
    host.post({ t: "exit" });
    if (!host.embedded) location.replace(host.config.exitUrl);
  };
  if (s && s.connected) {
    s.timeout(1000).emit("exit", {}, finish);
  } else finish();
}

const onShift = shiftCounter({
  progress: (n) => {
    if (!ui.exitBtn) return;
    ui.exitBtn.dataset.presses = String(n);
    ui.announcer.textContent = n === 1 ? _("Shift, press 2 more times to exit.") : _("Shift, press 1 more time to exit.");
  },
  reset: (announce) => {
    if (!ui.exitBtn) return;
    delete ui.exitBtn.dataset.presses;
    ui.announcer.textContent = announce ? _("Quick exit was cancelled.") : "";
  },
  exit: quickExit,
});

// ------------------------------------------------------------ start

host.on("hello", () => setTimeout(focusView, 0));
host.on("open", () => setTimeout(focusView, 0));
host.on("exit", quickExit);

// The host's data-locale wins; otherwise the browser's languages, best first, matched
// by exact tag, then by language subtag (ar-SE -> ar), with a few common aliases.
const ALIASES = { prs: "fa", pes: "fa", kmr: "ku", sdh: "ckb", nb: "sv", nn: "sv" };
function fromBrowser(locales) {
  const codes = new Set(locales.map((l) => l.code));
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const lower = String(tag).toLowerCase();
    const base = lower.split("-")[0];
    for (const candidate of [lower, ALIASES[lower], base, ALIASES[base]]) {
      if (candidate && codes.has(candidate)) return candidate;
    }
  }
  return null;
}

async function boot() {
  document.addEventListener("keyup", (ev) => !exiting && onShift(ev), true);
  applyAccent(host.config.accent);
  known = await loadLocales();
  const start = host.config.locale && known.locales.some((l) => l.code === host.config.locale)
    ? host.config.locale
    : fromBrowser(known.locales) || known.def;
  await setLocale(start, known.locales);
  if (exiting) return;
  shell();
  go("language");
}

boot();
