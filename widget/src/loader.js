/*
 * Host-page loader for the RC visitor chat.
 *
 * Embed with one tag on the host page (put it at the end of <body>):
 *
 *   <script src="https://chat.example.se/widget.js" referrerpolicy="no-referrer"
 *           data-label="Chatta med oss" data-exit-label="Lämna snabbt"
 *           data-position="right" data-locale="sv"
 *           data-exit-url="https://www.google.com/search?q=v%C3%A4der"
 *           data-color="#1f4e79" data-text-color="#ffffff"
 *           data-centre="skane" async></script>
 *
 * data-centre names the resource centre whose chat this is (its id, given by the chat's
 * administrators: lowercase letters, digits and dashes). It may be left out only while
 * the chat server serves a single centre. It goes to the iframe in the query string
 * (/widget/?centre=skane): the server needs it to choose which host sites may frame the
 * chat (CSP frame-ancestors), and it says nothing about the visitor. A wrong or missing
 * centre is reported with console.error on this page (naming the attribute and its
 * form), at once for a malformed one, else when the chat is opened; the chat itself
 * then shows a short message with the national help numbers.
 *
 * The loader only draws a launcher button (and, while the chat is in use, a quick exit
 * button) and an iframe of /widget/ from the chat server's own origin, derived from this
 * script's src. The conversation lives inside that iframe, so the host page (and any
 * analytics on it) cannot read it. The loader keeps no state anywhere but in memory, and
 * passes its configuration to the iframe in the URL fragment (never the query string).
 *
 * What the host page can learn is that the launcher was opened, nothing else: the
 * loader's shadow root is closed (host scripts cannot read or watch inside it), and the
 * frames talk over a private MessageChannel whose port the loader hands to the iframe
 * with its "hello" (posted to the iframe's window, never the host's). So no `message`
 * event on the host window ever carries anything of the chat, and what crosses the port
 * is bare: {t:"close"} (minimise), {t:"exit"} (quick exit: hide now; a second one:
 * leave now) and {t:"setup", why} (the embed is misconfigured: why is the server's
 * refusal code) from the iframe, {t:"open"} and {t:"exit"} from the loader. No language,
 * no state of the chat, no time of its start or end. The quick exit button's label is
 * the host's own (data-exit-label, in the host's language; Swedish by default), and it
 * stays from the first opening until the page is left. The loader sends "hello" only to
 * the chat server's exact origin.
 */
(() => {
  const script = document.currentScript;
  // Loaded twice, or from a place without a currentScript: do nothing.
  if (!script || !script.src || document.documentElement.hasAttribute("data-rc-chat")) return;
  document.documentElement.setAttribute("data-rc-chat", "");

  const cfg = script.dataset;
  const chatOrigin = new URL(script.src, location.href).origin;
  const TAG = "w1";
  const hex = (v) => (/^#([0-9a-f]{3}){1,2}$/i.test(v || "") ? v : "");
  const bg = hex(cfg.color) || "#1f4e79";
  // Readable text on the launcher colour unless the host says otherwise.
  const lum = (h) => {
    const n = h.length < 5 ? h.replace(/\w/g, "$&$&") : h;
    return [1, 3, 5].reduce((s, i, k) => {
      let c = parseInt(n.substr(i, 2), 16) / 255;
      c = c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      return s + c * [0.2126, 0.7152, 0.0722][k];
    }, 0);
  };
  const fg = hex(cfg.textColor) || (lum(bg) > 0.18 ? "#0b0c0c" : "#ffffff");
  let exitUrl = "https://www.google.com/search?q=v%C3%A4der";
  try {
    const u = new URL(cfg.exitUrl, location.href);
    if (/^https?:$/.test(u.protocol)) exitUrl = u.href;
  } catch (e) {
    /* keep the neutral default */
  }
  const left = cfg.position === "left";
  // The host's own words, in the host's language: the chat's language never reaches
  // this page. The Shift count is told with the same label and digits only.
  const exitLabel = cfg.exitLabel || "Lämna snabbt";
  // The centre: an id, as services/centre_domain.py's CENTRE_ID.
  const centre = cfg.centre || "";
  const form = `<script src="${chatOrigin}/widget.js" data-centre="CENTRE-ID" …>, where CENTRE-ID is your resource centre's id (lowercase letters, digits and dashes, e.g. "skane")`;
  const complain = (why) =>
    console.error(
      why === "origin_not_allowed"
        ? `RC chat: this site (${location.origin}) may not show the chat of the centre data-centre="${centre}". Ask the chat's administrators to add it to the centre's allowed websites.`
        : why === "centre_required"
          ? `RC chat: this chat server serves several resource centres, so the script tag must name one with data-centre: ${form}.`
          : `RC chat: data-centre="${centre}" names no resource centre on ${chatOrigin}. Use ${form}.`,
    );
  if (centre && !/^[a-z][a-z0-9-]{1,39}$/.test(centre)) complain("unknown_centre");

  const css = `:host{all:initial}
.w{position:fixed;z-index:2147483000;bottom:16px;${left ? "left" : "right"}:16px;display:flex;flex-direction:column;align-items:${left ? "flex-start" : "flex-end"};gap:12px;font:16px/1.25 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.p{width:400px;max-width:calc(100vw - 32px);height:min(680px,calc(100vh - 112px));border-radius:12px;overflow:hidden;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.35)}
iframe{display:block;width:100%;height:100%;border:0}
.b{display:flex;gap:8px;flex-wrap:wrap}
button{font:inherit;font-weight:700;min-height:48px;padding:0 20px;border:2px solid #fff;border-radius:24px;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}
.l{background:${bg};color:${fg}}
.x{background:#b3261e;color:#fff}
button:focus-visible{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 7px #0b0c0c}
[hidden]{display:none!important}
.s{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:600px),(max-height:520px){.o .p{position:fixed;inset:0;top:var(--vt,0);bottom:auto;width:100%;max-width:none;height:var(--vh,100%);border-radius:0}.o .b{display:none}}`;

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  };

  let root, wrap, panel, frame, launcher, exitBtn, status;
  let port = null; // our end of the private channel, once the iframe has loaded
  let used = false; // opened at least once: quick exit (button, Shift x3) is armed
  let leaving = false;
  let exits = 0; // "exit" messages heard from the iframe

  const post = (msg) => {
    if (port) port.postMessage({ rc: TAG, ...msg });
  };

  const go = () => {
    if (root) root.remove();
    root = frame = null;
    location.replace(exitUrl);
  };

  // Quick exit started on the host page: the iframe ends the chat on the server and
  // wipes itself, then asks us to leave; we leave anyway after a short wait.
  const quickExit = () => {
    if (leaving) return;
    leaving = true;
    wrap.hidden = true;
    if (!port) return go(); // the chat has not loaded: nothing to end there
    post({ t: "exit" });
    setTimeout(go, 1500);
  };

  const setOpen = (open) => {
    panel.hidden = !open;
    wrap.classList.toggle("o", open);
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    // From the first opening until the page is left (whether a chat is still going on is
    // not the host page's business).
    exitBtn.hidden = false;
    if (open) {
      used = true;
      frame.focus();
      post({ t: "open" });
    } else {
      launcher.focus();
    }
  };

  const makeFrame = () => {
    frame = el("iframe");
    frame.title = cfg.label || "Chatta med oss";
    // The chat is loaded without a Referer, so the chat server never learns which page
    // of the host site the visitor was on.
    frame.referrerPolicy = "no-referrer";
    // `allow`: only clipboard-write, so the copy buttons on referral cards can put a
    // number or an address on the visitor's clipboard (writing only: the chat can never
    // read the clipboard). No camera, microphone, location or any other feature.
    frame.allow = "clipboard-write";
    //
    // sandbox (defence in depth; the frame is already cross-origin to the host page):
    //  allow-scripts        the chat is a script application.
    //  allow-same-origin    keeps the frame's real origin (the chat server's), so its
    //                       same-origin requests, CSP 'self' and WebSocket work; without
    //                       it the origin becomes opaque ("null") and every request is
    //                       cross-origin. It does not give access to the host page.
    //  allow-forms          the question steps and the message box are <form>s (Enter
    //                       submits); submission is handled in script, nothing is posted.
    //  allow-popups         links on referral cards (support organisations' own sites)
    //                       open in a new tab, with rel="noopener noreferrer";
    //  allow-popups-to-escape-sandbox  ...and those sites work normally there.
    //  allow-top-navigation-to-custom-protocols  tel: links (112, BRIS, ...) can open
    //                       the phone app; it does not allow navigating the host page.
    // Deliberately absent: allow-top-navigation. The quick exit navigates the host page
    // from this loader (location.replace, on a message from the frame), never from the
    // frame itself; also absent: allow-modals, allow-downloads, allow-pointer-lock.
    frame.setAttribute(
      "sandbox",
      "allow-scripts allow-same-origin allow-forms allow-popups " +
        "allow-popups-to-escape-sandbox allow-top-navigation-to-custom-protocols",
    );
    const frag = new URLSearchParams({ o: location.origin, l: cfg.locale || "sv", x: exitUrl });
    if (hex(cfg.color)) frag.set("c", bg);
    // Set before insertion: the frame's first navigation adds no history entry.
    frame.src = `${chatOrigin}/widget/${centre ? `?${new URLSearchParams({ centre })}` : ""}#${frag}`;
    frame.addEventListener("load", () => {
      // A fresh private channel for this document of the frame; its other end goes
      // with "hello", to the chat server's origin only.
      if (port) port.close();
      const channel = new MessageChannel();
      port = channel.port1;
      port.onmessage = onMessage;
      if (frame.contentWindow) frame.contentWindow.postMessage({ rc: TAG, t: "hello" }, chatOrigin, [channel.port2]);
    });
    panel.append(frame);
  };

  // On a phone the open panel fills the visible part of the screen: the on-screen
  // keyboard covers the window's bottom without always shrinking it, so the panel
  // follows visualViewport (custom properties set through CSSOM: no style attribute),
  // and the chat's composer stays above the keyboard. Not while zoomed in.
  const fit = () => {
    const vv = window.visualViewport;
    if (!vv || !wrap) return;
    const zoomed = Math.abs(vv.scale - 1) > 0.01;
    for (const [k, v] of [["--vh", vv.height], ["--vt", vv.offsetTop]]) {
      if (zoomed) wrap.style.removeProperty(k);
      else wrap.style.setProperty(k, `${Math.round(v)}px`);
    }
  };

  // From the iframe, over the private port only.
  const onMessage = (ev) => {
    const m = ev.data;
    if (!m || m.rc !== TAG || !frame) return;
    if (m.t === "close") setOpen(false);
    else if (m.t === "setup") complain(m.why);
    else if (m.t === "exit") {
      // The first: the visitor left, hide now (and leave in 1.5 s at the latest); the
      // second: the chat has ended on the server, leave now.
      exits += 1;
      if (exits > 1) return go();
      leaving = true;
      wrap.hidden = true;
      setTimeout(go, 1500);
    }
  };

  // Shift pressed three times within five seconds, as GOV.UK's "Exit this page":
  // counted on key release, and a Shift used to type a capital letter does not count.
  let presses = 0;
  let timer = 0;
  let modified = false;
  const onKey = (ev) => {
    if (!used || leaving) return;
    if (ev.key === "Shift" && !modified) {
      presses += 1;
      clearTimeout(timer);
      if (presses >= 3) {
        presses = 0;
        quickExit();
      } else {
        status.textContent = `${exitLabel}: Shift ${presses}/3`;
        timer = setTimeout(() => {
          presses = 0;
          status.textContent = "";
        }, 5000);
      }
    } else if (ev.key !== "Shift" && presses) {
      presses = 0;
      status.textContent = "";
    }
    modified = ev.shiftKey;
  };

  const init = () => {
    const host = el("div");
    root = host;
    // Closed: the host page's scripts (tag managers, session replay) get no handle on
    // what is inside, and a MutationObserver on `host` sees nothing change.
    const shadow = host.attachShadow({ mode: "closed" });
    // A constructed stylesheet works under a host page CSP that forbids inline styles.
    if (shadow.adoptedStyleSheets) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.append(el("style", "", css));
    }
    wrap = el("div", "w");
    panel = el("div", "p");
    panel.hidden = true;
    const bar = el("div", "b");
    exitBtn = el("button", "x", exitLabel);
    exitBtn.type = "button";
    exitBtn.hidden = true;
    launcher = el("button", "l", cfg.label || "Chatta med oss");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    status = el("span", "s");
    status.setAttribute("role", "status");
    exitBtn.addEventListener("click", quickExit);
    launcher.addEventListener("click", () => {
      if (!frame) makeFrame();
      setOpen(true);
    });
    bar.append(exitBtn, launcher);
    wrap.append(panel, bar, status);
    shadow.append(wrap);
    document.body.append(host);
    document.addEventListener("keyup", onKey, true);
    if (window.visualViewport) {
      window.visualViewport.addEventListener("resize", fit);
      window.visualViewport.addEventListener("scroll", fit);
      fit();
    }
  };

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
