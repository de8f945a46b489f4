"""Without data-locale the widget speaks the browser's language (navigator.languages),
chosen with the server's table of aliases and fallbacks (/i18n/locales.json), as the
server negotiates (tests/fixtures/language_cases.json has the full list of cases)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("accept", "lang", "direction"),
    [
        ("ar-SE", "ar", "rtl"),
        ("fa-AF", "fa", "rtl"),
        ("prs", "fa", "rtl"),
        ("ku-Arab-IQ", "ckb", "rtl"),
        ("ku-IQ", "ckb", "rtl"),
        ("ku-TR", "ku", "ltr"),
        ("de-DE", "sv", "ltr"),
    ],
)
async def test_widget_follows_navigator_languages(server, accept, lang, direction):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = await browser.new_context(locale=accept)
        page = await context.new_page()
        await page.goto(server.url + "/widget/")
        # Polled from Python: wait_for_function would need eval, which the page's CSP forbids.
        for _ in range(100):
            if await page.evaluate("document.documentElement.lang") == lang:
                break
            await page.wait_for_timeout(100)
        assert await page.evaluate("document.documentElement.lang") == lang
        assert await page.evaluate("document.documentElement.dir") == direction
        await browser.close()
