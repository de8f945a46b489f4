"""The statistics view in Chromium, as a coordinator reads it: headline figures in words
(never a raw key), ranges where hidden cells leave a figure open, trend lines drawn by
uPlot under the strict CSP, the current month explained, the CSV with codes and words,
and a printable report (print media)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest

from chat_server.services.stats import TZ

from .console import Console, assert_clean, catalog

pytestmark = pytest.mark.browser

RAW = ("missing", "issued", "0-1m", "1-5m", "unanswered", "operator_ended", "over-26", "social_services")


def month_days(first: date) -> list[date]:
    nxt = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


async def seed(server: Any) -> None:
    """Three ended months of counters: busy enough to publish, with one rare chat."""
    from datetime import datetime

    this_month = datetime.now(TZ).date().replace(day=1)
    months = []
    m = this_month
    for _ in range(3):
        m = (m - timedelta(days=1)).replace(day=1)
        months.append(m)
    durable = server.durable
    for k, month in enumerate(sorted(months)):
        for day in month_days(month)[: 10 + 5 * k]:
            await durable.add_stats(
                day.isoformat(),
                {
                    "conversations:total": 2,
                    "audience:self": 2,
                    "topic:control": 2,
                    "language:sv": 2,
                    "age_band:16-17": 1,
                    "age_band:18-21": 1,
                    "urgent:no": 2,
                    "outcome:operator_ended": 2,
                    "wait:1-5m": 1,
                    "wait:0-1m": 1,
                    "duration:5-15m": 2,
                    "triage:recorded": 2,
                    "risk:low": 2,
                    "category:honour_control": 2,
                    "gender:not_stated": 2,
                    "assessed_age_band:over-26": 2,
                    "referral:social_services": 1,
                },
            )
        # One rare chat: Tigrinya, urgent, unanswered.
        await durable.add_stats(
            month.isoformat(),
            {
                "conversations:total": 1,
                "audience:self": 1,
                "topic:fgm": 1,
                "language:ti": 1,
                "age_band:13-15": 1,
                "urgent:yes": 1,
                "outcome:abandoned": 1,
                "wait:unanswered": 1,
            },
        )


async def test_statistics_read_in_a_minute(server, console_factory) -> None:
    await seed(server)
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
    assert len(figures) == 6
    assert any(t("Median wait (answered chats)") in f for f in figures)
    # The rare chat's cells are hidden, and said so in words.
    assert await c.page.locator(".hidden-cell").count() > 0
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
    await seed(server)
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
