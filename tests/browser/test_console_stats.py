"""The statistics view in Chromium, as a coordinator reads it: headline figures in words
(never a raw key), ranges where hidden cells leave a figure open, trend lines drawn by
uPlot under the strict CSP, the current month explained, the CSV with codes and words,
and a printable report (print media)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from .console import Console, assert_clean, catalog, seed_statistics

pytestmark = pytest.mark.browser

RAW = ("missing", "issued", "0-1m", "1-5m", "unanswered", "operator_ended", "over-26", "social_services")


async def test_statistics_read_in_a_minute(server, console_factory) -> None:
    await seed_statistics(server)
    creds = await server.create_staff("supervisor", name="Lina")
    c: Console = await console_factory("stats")
    t = c.t
    await c.page.set_viewport_size({"width": 1280, "height": 800})
    await c.login(creds)
    await c.page.get_by_role("button", name=t("Statistics")).click()
    headline = c.page.locator("section.headline")
    await headline.wait_for()
    await c.page.locator(".trend canvas").first.wait_for()
    text = await c.page.locator("main").inner_text()
    for raw in RAW:
        assert raw not in text.split(), f"raw key {raw!r} on the statistics page"
    assert (
        t(
            "Only months that have ended are shown, so a figure never changes from one day to the next and "
            "cannot be compared to find single chats. The current month is shown when it has ended."
        )
        in text
    )
    figures = await headline.locator(".figure").all_inner_texts()
    assert len(figures) == 7  # with the visitors' own feedback (issue 18 pt 7)
    assert any(t("Median wait (answered chats)") in f for f in figures)
    # The rare chat's cells are hidden, and said so in words, in every period's column
    # too (a hidden cell must never read 0).
    assert await c.page.locator(".hidden-cell").count() > 0
    ti_row = c.page.locator(".dimension tr").filter(has_text="ትግርኛ").first
    cells = await ti_row.locator("td").all_inner_texts()
    assert cells and all(x.strip() == t("hidden") for x in cells), cells
    await c.check("60-statistics")

    # The CSV: codes and words.
    href = await c.page.get_by_role("link", name=t("Download CSV")).get_attribute("href")
    cookies = {ck["name"]: ck["value"] for ck in await c.page.context.cookies()}
    async with aiohttp.ClientSession(cookies=cookies) as http:
        async with http.get(server.url + href) as resp:
            body = await resp.text()
    head, first = body.splitlines()[:2]
    assert head.endswith("dimension_label,value_label") and first.count(",") >= 6

    # The printed report: no top bar or form, every table open.
    await c.page.emulate_media(media="print")
    await c.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert not await c.page.locator(".topbar").is_visible()
    assert not await c.page.locator("form.stats-form").is_visible()
    assert await c.page.locator("details.numbers table").first.is_visible()
    await c.page.screenshot(path=str(c_shot("61-statistics-print")), full_page=True)
    await c.page.emulate_media(media="screen")
    assert_clean(c)


async def test_statistics_in_arabic(server, console_factory) -> None:
    await seed_statistics(server)
    creds = await server.create_staff("admin", name="Lina", locale="ar")
    c: Console = await console_factory("stats-ar")
    await c.login(creds)
    await c.page.locator("html[dir='rtl']").wait_for(state="attached")
    ar = await catalog(server.url, "ar")
    await c.page.get_by_role("button", name=ar("Statistics")).click()
    await c.page.locator(".trend canvas").first.wait_for()
    text = await c.page.locator("main").inner_text()
    for raw in RAW:
        assert raw not in text.split(), f"raw key {raw!r} on the Arabic statistics page"
    assert ar("The period at a glance") in text
    await c.check("62-statistics-ar")
    assert_clean(c)


def c_shot(name: str) -> Any:
    from .console import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"
