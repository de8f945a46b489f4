"""Embedding: the one-tag loader, its data attributes, the iframe's attributes, the build
budgets and CSP-safe HTML, phones (full screen at 360x640), keyboard-only use, and the
/demo/ page."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import AXE, DESKTOP, PHONE, SHOTS, Visitor, widget_context
from .console import axe_violations

STATIC = Path(__file__).resolve().parents[2] / "chat_server" / "static"


def gz(*names: str) -> int:
    return sum(len(gzip.compress((STATIC / n).read_bytes(), 9)) for n in names)


def test_build_budgets_and_csp_safe_html() -> None:
    assert gz("widget.js") <= 3 * 1024, "loader over 3 KB gzipped"
    assert gz("widget/index.html", "widget/app.js", "widget/app.css") <= 45 * 1024, "app over 45 KB gzipped"
    for name in ["widget/index.html", "demo/index.html"]:
        html = (STATIC / name).read_text(encoding="utf-8")
        for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
            assert "src=" in m.group(1) and not m.group(2).strip(), f"inline script in {name}"
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", html, re.I), name
    # No innerHTML/insertAdjacentHTML/document.write anywhere in our own source: the
    # widget, the console and the library both bundle.
    root = Path(__file__).resolve().parents[2]
    sources = [f for d in ("widget/src", "operator_console/src", "frontend_lib") for f in (root / d).rglob("*.js")]
    assert any(f.parts[-2] == "frontend_lib" for f in sources) and len(sources) > 20, sources
    for f in sources:
        # Comments may name what is forbidden (to say it is not used).
        lines = f.read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith("//"))
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", text), f


async def test_loader_attributes_and_iframe(visitor_factory, host_site) -> None:
    host_site.attrs = {
        "data-label": "Prata med någon",
        "data-position": "left",
        "data-color": "#5a2d82",
        "data-locale": "ar",
    }
    v: Visitor = await visitor_factory("ar", viewport=DESKTOP, prefix="embed-")
    await v.page.goto(host_site.origin + "/host")
    launcher = v.page.get_by_role("button", name="Prata med någon")
    await launcher.wait_for()
    box = await launcher.bounding_box()
    assert box and box["x"] < DESKTOP["width"] / 2, "data-position=left"
    assert await launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(90, 45, 130)"
    assert await launcher.get_attribute("aria-expanded") == "false"
    # No iframe (and no request to /widget/) until the visitor asks for the chat.
    assert await v.page.locator("iframe").count() == 0
    await launcher.click()
    iframe = v.page.locator("iframe")
    await v.frame.get_by_role("heading", level=1).wait_for()
    src = await iframe.get_attribute("src")
    parts = urlsplit(src)
    assert f"{parts.scheme}://{parts.netloc}" == v.chat.url and parts.path == "/widget/" and parts.query == ""
    frag = parse_qs(parts.fragment)
    assert frag["o"] == [host_site.origin] and frag["l"] == ["ar"] and frag["x"] == [host_site.exit_url]
    assert await iframe.get_attribute("title")
    assert await iframe.get_attribute("referrerpolicy") == "no-referrer"
    # Only writing to the clipboard (the referral cards' copy buttons) is delegated.
    assert await iframe.get_attribute("allow") == "clipboard-write"
    sandbox = set((await iframe.get_attribute("sandbox")).split())
    assert "allow-scripts" in sandbox and "allow-same-origin" in sandbox
    assert "allow-top-navigation" not in sandbox and "allow-modals" not in sandbox
    # data-locale=ar: the language picker is in Arabic, right to left, Arabic marked.
    assert await v.frame.locator("html").get_attribute("lang") == "ar"
    assert await v.frame.locator("html").get_attribute("dir") == "rtl"
    current = v.frame.locator("button[aria-current=true]")
    assert await current.inner_text() == "العربية"
    # Colour passed on to the widget (readable on white, so used for buttons).
    accent = await v.content_frame().evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent')")
    assert accent.strip() == "#5a2d82"
    # Minimise gives the focus back to the launcher.
    await v.frame.get_by_role("button", name=v.t("Minimise the chat")).click()
    await launcher.wait_for()
    assert await launcher.evaluate("e => e.getRootNode().activeElement === e")
    assert await iframe.is_hidden()


async def test_full_screen_on_a_phone(visitor_factory) -> None:
    v: Visitor = await visitor_factory("sv", viewport=PHONE, prefix="phone-")
    await v.open_host()
    await v.open_widget()
    box = await v.page.locator("iframe").bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    # Nothing in the widget is wider than the screen.
    overflow = await v.content_frame().evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"]


async def _tab_to(v: Visitor, text: str, limit: int = 25) -> None:
    frame = v.content_frame()
    for _ in range(limit):
        await v.page.keyboard.press("Tab")
        label = await frame.evaluate("(document.activeElement && document.activeElement.innerText) || ''")
        if text in label:
            return
    raise AssertionError(f"could not reach {text!r} with Tab")


async def _focused_tag(v: Visitor) -> str:
    return await v.content_frame().evaluate("document.hasFocus() && document.activeElement.tagName")


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_keyboard_only(visitor_factory, operator_factory, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, viewport=DESKTOP, prefix="keyboard-")
    t = v.t
    await v.open_host()
    await v.page.locator("#q").focus()
    await v.page.keyboard.press("Tab")
    assert await v.launcher.evaluate("e => e.getRootNode().activeElement === e")
    await v.page.keyboard.press("Enter")
    await v.frame.get_by_role("heading", level=1).wait_for()
    await v.page.wait_for_function("() => true")
    # Focus moved into the widget, onto the step's heading.
    for _ in range(20):
        if await _focused_tag(v) == "H1":
            break
        await v.page.wait_for_timeout(50)
    assert await _focused_tag(v) == "H1"
    await _tab_to(v, {"sv": "Svenska", "ar": "العربية"}[locale])
    await v.page.keyboard.press("Enter")
    await v.expect_heading("Talk to us anonymously")
    assert await _focused_tag(v) == "H1"
    await _tab_to(v, t("Someone else"))
    await v.page.keyboard.press("Enter")
    await v.expect_heading("What is it about?")
    await _tab_to(v, t("Marriage"))
    await v.page.keyboard.press("Enter")
    await v.expect_heading("Is the person you are worried about in danger right now?")
    await _tab_to(v, t("No"))
    await v.page.keyboard.press("Enter")
    await v.expect_heading("How old is the person this is about?")
    await _tab_to(v, t("13–15 years"))
    await v.page.keyboard.press("Enter")
    await v.composer.wait_for()
    assert await _focused_tag(v) == "TEXTAREA"
    op = await operator_factory()
    await op.accept_next()
    await v.page.keyboard.type("Min kompis ska giftas bort.")
    await v.page.keyboard.press("Enter")
    await op.wait_visitor_text("Min kompis ska giftas bort.")
    await v.check("keyboard-chat")


async def test_demo_page(browser, chat) -> None:
    for name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
        context = await widget_context(browser, viewport=viewport, locale="sv-SE")
        try:
            page = await context.new_page()
            await page.goto(chat.url + "/demo/")
            assert "Exempelby kommun" in await page.title()
            launcher = page.get_by_role("button", name="Chatta med oss")
            await launcher.wait_for()
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / f"demo-{name}-closed.png"))
            violations = await axe_violations(page, AXE)  # WCAG 2.1 A/AA, as everywhere
            assert violations == [], violations
            await launcher.click()
            await page.frame_locator("iframe").get_by_role("heading", level=1).wait_for()
            await page.wait_for_timeout(200)
            await page.screenshot(path=str(SHOTS / f"demo-{name}-open.png"))
        finally:
            await context.close()


async def test_loader_can_be_loaded_by_other_sites(chat) -> None:
    """Host sites on other origins load /widget.js with a plain <script src>: a no-cors
    request, which Cross-Origin-Resource-Policy: same-origin would block."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(chat.url + "/widget.js") as resp:
            assert resp.status == 200
            assert "javascript" in resp.headers["Content-Type"]
            corp = resp.headers.get("Cross-Origin-Resource-Policy", "cross-origin")
            assert corp == "cross-origin", "GET /widget.js must allow cross-origin loading"
        async with http.get(chat.url + "/widget/") as resp:
            csp = resp.headers["Content-Security-Policy"]
            assert "frame-ancestors" in csp and chat.settings.allowed_origins[0] in csp
            assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
