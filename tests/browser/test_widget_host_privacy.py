"""What the host page learns: that the launcher was opened, nothing else.

A municipality page may run a tag manager or a session-replay script. Here a passive
listener script runs on the host page before the loader (as such scripts do): it
records every `message` event on the window, every DOM mutation of the document and of
the loader's host element, every pointer, mouse, keyboard and input event reaching the
document, and the host page's resource timings. The loader is the shipped one (its
shadow root closed; no test hook opens it). A visitor opens the chat, chooses Arabic,
chats with a counsellor, ends the chat and minimises the panel. The listener records
the launcher click, and besides it only focus moving between the page and the chat
(which a page always sees); no message, no mutation, no language, no state.
"""

from __future__ import annotations

import json
from typing import Any

from .conftest import DESKTOP, Operator, Visitor

# Runs in the host page before any of its scripts (and does nothing inside frames).
LISTENER = r"""(() => {
  if (window.top !== window) return;
  const log = [];
  const spy = (window.__spy = { log, phase: "loading", host: null });
  const hostOf = (node) => node && node === spy.host;
  const note = (kind, detail) => log.push({ phase: spy.phase, kind, ...detail });
  window.addEventListener("message", (ev) => {
    let data;
    try { data = JSON.stringify(ev.data); } catch (e) { data = String(ev.data); }
    note("message", { origin: ev.origin, data, ports: ev.ports.length });
  }, true);
  for (const type of ["click", "dblclick", "pointerdown", "pointerup", "mousedown", "mouseup",
                      "keydown", "keyup", "input", "change", "submit", "focusin", "focusout"]) {
    document.addEventListener(type, (ev) => note("event", {
      type, onLoader: hostOf(ev.target), trusted: ev.isTrusted,
      path: ev.composedPath().filter((n) => n instanceof Element).length,
    }), true);
  }
  for (const type of ["focus", "blur"]) {
    window.addEventListener(type, (ev) => {
      if (ev.target === window) note("window", { type });
    });
  }
  const describe = (m) => ({
    type: m.type, attribute: m.attributeName,
    target: m.target.nodeName, onLoader: hostOf(m.target),
    added: [...m.addedNodes].map((n) => n.nodeName), removed: [...m.removedNodes].map((n) => n.nodeName),
  });
  const all = new MutationObserver((ms) => ms.forEach((m) => note("mutation", describe(m))));
  all.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  // The loader appends its host element to <body>: watch that element on its own too.
  spy.watchHost = () => {
    spy.host = document.body.lastElementChild;
    new MutationObserver((ms) => ms.forEach((m) => note("host-mutation", describe(m))))
      .observe(spy.host, { subtree: true, childList: true, attributes: true, characterData: true });
    return {
      tag: spy.host.nodeName,
      shadowRoot: spy.host.shadowRoot === null ? null : "readable",
      iframes: document.querySelectorAll("iframe").length,
      text: spy.host.textContent,
    };
  };
})();"""


async def snapshot(page: Any) -> list[dict[str, Any]]:
    return list(await page.evaluate("window.__spy.log"))


async def test_the_host_page_learns_only_that_the_launcher_was_opened(
    visitor_factory: Any, operator_factory: Any
) -> None:
    op: Operator = await operator_factory(languages=["ar", "sv"])
    v: Visitor = await visitor_factory(
        "ar", viewport=DESKTOP, prefix="host-privacy-", closed_shadow=True, init_script=LISTENER
    )
    await v.page.goto(v.host.origin + "/host")
    await v.page.wait_for_function("document.documentElement.hasAttribute('data-rc-chat') && document.body")
    await v.page.wait_for_function(
        "document.body.lastElementChild && document.body.lastElementChild.nodeName === 'DIV'"
    )
    seen = await v.page.evaluate("window.__spy.watchHost()")
    # A closed shadow root: no handle on anything inside, not even the launcher's text.
    assert seen == {"tag": "DIV", "shadowRoot": None, "iframes": 0, "text": ""}
    await v.page.evaluate("window.__spy.phase = 'ready'")

    # The visitor clicks the launcher (bottom right; found by where it is drawn, as the
    # page's own scripts could only do).
    await v.page.mouse.click(DESKTOP["width"] - 60, DESKTOP["height"] - 40)
    await v.frame_ready()
    await v.page.evaluate("window.__spy.phase = 'chat'")
    await v.frame.get_by_role("heading", level=1).wait_for()
    await v.start_chat("العربية")
    await op.accept_next()
    await v.send("مرحبا")
    await op.wait_visitor_text("مرحبا")
    await op.say("أهلاً، أنا هنا.")
    await v.frame.locator(".msg--theirs").filter(has_text="أهلاً، أنا هنا.").wait_for()
    await v.chat_action("End chat")
    await v.frame.get_by_role("button", name=v.t("Yes, end the chat")).click()
    await v.expect_heading("The chat has ended")
    await v.frame.get_by_role("button", name=v.t("Minimise the chat")).click()
    await v.page.wait_for_timeout(300)

    log = await snapshot(v.page)
    after = [e for e in log if e["phase"] != "loading"]
    pretty = json.dumps(after, ensure_ascii=False, indent=1)
    # Nothing crossed to the host window, and nothing in the page changed.
    assert [e for e in log if e["kind"] == "message"] == [], pretty
    assert [e for e in after if e["kind"] in ("mutation", "host-mutation")] == [], pretty
    # The input it saw: the launcher click (trusted, on the loader's element, its path
    # ending there), before the chat opened; the visitor's typing and clicks in the chat
    # never reached the page.
    events = [e for e in after if e["kind"] == "event"]
    clicks = [e for e in events if e["type"] not in ("focusin", "focusout")]
    assert {e["phase"] for e in clicks} == {"ready"}, pretty
    assert [e["type"] for e in clicks] == ["pointerdown", "mousedown", "pointerup", "mouseup", "click"], pretty
    assert all(e["onLoader"] and e["trusted"] for e in clicks), pretty
    # Focus moving between the page and the chat is all else it sees, and it names
    # nothing inside the loader.
    assert all(e["onLoader"] for e in events if e["type"] in ("focusin", "focusout")), pretty
    assert {e["kind"] for e in after} <= {"event", "window"}, pretty
    # Its resource timings hold the loader and the chat's document, opened once; the
    # chat's own requests (the socket, the catalogs) are the frame's, not the page's.
    chat_entries = await v.page.evaluate(
        "(origin) => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.startsWith(origin))",
        v.chat.url,
    )
    assert sorted(chat_entries) == sorted([v.chat.url + "/widget.js", *[n for n in chat_entries if "/widget/#" in n]])
    assert len([n for n in chat_entries if "/widget/" in n]) <= 1, chat_entries
    # The host element still holds nothing readable.
    assert await v.page.evaluate("window.__spy.host.shadowRoot") is None
    assert await v.page.evaluate("document.querySelectorAll('iframe').length") == 0


async def test_quick_exit_still_leaves_the_page(visitor_factory: Any, operator_factory: Any) -> None:
    """The one message from the chat the loader needs (replace the page) still works
    with the shadow root closed, from the chat's button and by Shift on the host page."""
    for how in ("button", "shift"):
        op: Operator = await operator_factory()
        v: Visitor = await visitor_factory("sv", viewport=DESKTOP, prefix=f"host-exit-{how}-", closed_shadow=True)
        await v.page.goto(v.host.origin + "/before")
        await v.page.click("#go")
        await v.page.wait_for_function("document.body && document.body.lastElementChild.nodeName === 'DIV'")
        before = await v.page.evaluate("history.length")
        await v.page.mouse.click(DESKTOP["width"] - 60, DESKTOP["height"] - 40)
        await v.frame_ready()
        await v.frame.get_by_role("heading", level=1).wait_for()
        await v.start_chat("Svenska")
        await op.accept_next()
        if how == "button":
            await v.frame.get_by_role("button", name=v.t("Quick exit")).click()
        else:
            await v.page.locator("#q").click()
            for _ in range(3):
                await v.page.keyboard.press("Shift")
        await v.page.wait_for_url(v.host.exit_url)
        assert await v.page.evaluate("history.length") == before
        ended = await op.rec.wait_for("ended", lambda d, cid=op.conversation_id: d.get("conversation_id") == cid)
        assert ended["reason"] == "visitor_exit"
