"""The widget and the console login in every product language: `lang` and `dir` set,
texts from that language's catalog, user text isolated, and a screenshot of each view
in screenshots/locales/ (git-ignored) for a native speaker's review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chat_server.i18n import BY_CODE, SUPPORTED

from ..conftest import LiveServer
from .conftest import HostSite, fetch_catalog, widget_context

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots" / "locales"
RTL = {"ar", "fa", "ckb"}


async def _shot(page: Any, locale: str, view: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(100)
    await page.screenshot(path=str(SHOTS / f"{locale}-{view}.png"))


@pytest.mark.parametrize("locale", SUPPORTED)
async def test_widget_in_every_locale(chat: LiveServer, host_site: HostSite, browser: Any, locale: str) -> None:
    t = await fetch_catalog(chat.url, locale)
    host_site.attrs = {"data-locale": locale}
    context = await widget_context(browser, viewport={"width": 400, "height": 760}, locale="sv-SE")
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        await page.goto(host_site.origin + "/host")
        await page.get_by_role("button", name="Chatta med oss").click()
        frame = page.frame_locator("iframe")
        html = frame.locator("html")
        await frame.locator(f"html[lang='{locale}']").wait_for(state="attached")
        assert await html.get_attribute("dir") == ("rtl" if locale in RTL else "ltr")
        await frame.get_by_role("heading", level=1, name=t("Choose a language")).wait_for()
        # Each language is named in its own script and marked with its own lang and dir.
        for code, lang in BY_CODE.items():
            button = frame.locator(f"button[lang='{code}']")
            assert await button.get_attribute("dir") == lang.dir
        await _shot(page, locale, "widget-language")

        await frame.locator(f"button[lang='{locale}']").click()
        await frame.get_by_role("heading", level=1, name=t("Talk to us anonymously")).wait_for()
        await _shot(page, locale, "widget-about")
        await frame.get_by_role("button", name=t("Myself")).first.click()
        await frame.get_by_role("button", name=t("Violence or threats")).first.click()
        await frame.get_by_role("button", name=t("Yes"), exact=True).click()
        await frame.get_by_role("heading", level=1, name=t("Call 112 now")).wait_for()
        assert await frame.locator("a[href='tel:112']").first.is_visible()
        await _shot(page, locale, "widget-urgent")

        await frame.get_by_role("button", name=t("Continue to the chat")).click()
        await frame.get_by_role("button", name=t("16–17 years")).click()
        composer = frame.locator("textarea")
        await composer.wait_for()
        # Visitor text is isolated: its direction comes from its own first strong letter.
        assert await composer.get_attribute("dir") == "auto"
        await composer.fill("Hej! مرحبا 123")
        await composer.press("Enter")
        bubble = frame.locator(".msg--mine .bubble").first
        await bubble.wait_for()
        assert await bubble.get_attribute("dir") == "auto"
        await _shot(page, locale, "widget-waiting")
    finally:
        await context.close()


@pytest.mark.parametrize("locale", SUPPORTED)
async def test_console_login_in_every_locale(chat: LiveServer, browser: Any, locale: str) -> None:
    t = await fetch_catalog(chat.url, locale)
    context = await browser.new_context(viewport={"width": 1024, "height": 700}, locale="sv-SE")
    context.set_default_timeout(10_000)
    try:
        await context.add_init_script(f"localStorage.setItem('rc-console-locale', '{locale}')")
        page = await context.new_page()
        await page.goto(chat.url + "/console/")
        await page.locator(f"html[lang='{locale}']").wait_for(state="attached")
        assert await page.locator("html").get_attribute("dir") == ("rtl" if locale in RTL else "ltr")
        await page.get_by_role("button", name=t("Log in")).wait_for()
        await _shot(page, locale, "console-login")
    finally:
        await context.close()
