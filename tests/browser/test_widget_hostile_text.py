"""In real Chromium: hostile message text is shown as text in the widget, no script
runs, no dialog opens, and a bidi override stays inside its own bubble.

Uses the widget's browser fixtures (conftest.py): a host website on
another origin embedding the widget, a real operator on /operator.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "chat_server" / "static"
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "\u202eexe.txt ok",
    "می\u200cخواهم صحبت کنم",
]


@pytest.fixture(autouse=True)
def _needs_widget() -> None:
    if not (STATIC / "widget" / "index.html").exists():
        pytest.skip("the widget is not built")


async def test_hostile_text_renders_as_text_in_the_widget(visitor_factory, operator_factory):
    v = await visitor_factory("sv")
    op = await operator_factory()
    dialogs: list[str] = []
    v.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()

    for text in PAYLOADS:
        await op.say(text)
        await v.send(text + " (från besökaren)")
        await op.wait_visitor_text(text + " (från besökaren)")

    frame = v.content_frame()
    await frame.wait_for_function("n => document.querySelectorAll('.bubble').length >= n", arg=2 * len(PAYLOADS))
    bubbles = await frame.eval_on_selector_all(
        ".bubble",
        "els => els.map(e => ({text: e.textContent, dir: e.getAttribute('dir'), kids: e.children.length}))",
    )
    texts = [b["text"] for b in bubbles]
    for text in PAYLOADS:
        assert text in texts, (text, texts)
        assert text + " (från besökaren)" in texts
    # Text only: no element was created from a message, every bubble isolates its direction.
    assert all(b["kids"] == 0 for b in bubbles), bubbles
    assert all(b["dir"] == "auto" for b in bubbles), bubbles
    assert await frame.evaluate("document.querySelectorAll('img[src=x], svg[onload], .bubble script').length") == 0
    # Whatever a bubble contains, the text after it is laid out in the page's direction.
    assert await frame.evaluate("getComputedStyle(document.querySelector('.bubble')).unicodeBidi") in (
        "isolate",
        "plaintext",
        "isolate-override",
    )
    await v.page.wait_for_timeout(300)
    assert dialogs == []
    # The host page learned nothing: the iframe is another origin.
    assert await v.page.evaluate(
        "() => { try { return document.querySelector('iframe').contentDocument === null } catch (e) { return true } }"
    )


# --- the operator console -----------------------------------------------------------------
async def test_hostile_text_renders_as_text_in_the_console(server, visitor) -> None:
    if not (STATIC / "console" / "app.js").exists():
        pytest.skip("the console is not built")
    from playwright.async_api import async_playwright

    from .conftest import CHROMIUM, CHROMIUM_ARGS
    from .console import DESKTOP, catalog

    creds = await server.create_staff("operator", name="Sara", languages=["sv"])
    v = await visitor()
    pseudonym = v.received("session")[0]["pseudonym"]
    assert (await v.call("start", {"audience": "self", "locale": "sv"}))["ok"]
    t = await catalog(server.url, "sv")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await b.new_context(viewport=DESKTOP, locale="sv-SE")
            context.set_default_timeout(10_000)
            page = await context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            await page.goto(server.url + "/console/")
            await page.get_by_label(t("Username")).fill(creds.username)
            await page.get_by_label(t("Password"), exact=True).fill(creds.password)
            await page.get_by_label(t("Code from your authenticator app")).fill(creds.next_code())
            await page.get_by_role("button", name=t("Log in"), exact=True).click()
            await page.locator("#duty-toggle").click()
            await page.locator("#duty-toggle[aria-pressed='true']").wait_for()
            accept = t("Accept the chat with {name}").replace("{name}", pseudonym)
            await page.get_by_role("button", name=accept).click()
            await page.get_by_role("tab", name=pseudonym).wait_for()
            for i, text in enumerate(PAYLOADS):
                assert (await v.call("message", {"client_id": f"h{i}", "text": text}))["ok"]
            await page.wait_for_function("n => document.querySelectorAll('.msg-text').length >= n", arg=len(PAYLOADS))
            shown = await page.eval_on_selector_all(
                ".msg-text",
                "els => els.map(e => ({text: e.textContent, dir: e.getAttribute('dir'), kids: e.children.length}))",
            )
            texts = [s["text"] for s in shown]
            for text in PAYLOADS:
                assert text in texts, (text, texts)
            assert all(s["kids"] == 0 and s["dir"] == "auto" for s in shown), shown
            found = "document.querySelectorAll('img[src=x], svg[onload], .msg-text script').length"
            assert await page.evaluate(found) == 0
            # The operator sends one back through the composer; the visitor gets it verbatim.
            await page.locator(".composer textarea").fill(PAYLOADS[0])
            await page.locator(".composer textarea").press("Enter")
            await v.wait_for("message", lambda m: m.get("from") == "operator" and m["text"] == PAYLOADS[0])
            await page.wait_for_timeout(300)
            assert dialogs == []
        finally:
            await b.close()
