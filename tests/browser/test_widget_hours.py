"""Outside opening hours the widget shows when the chat opens again, the weekly hours in
the visitor's language, and where to get help now (112 first)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chat_server.transport import keys as K

from .conftest import Visitor, assert_no_violations

LANGS = {"sv": "Svenska", "ar": "العربية"}


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_offline_view_outside_opening_hours(visitor_factory, chat, locale: str) -> None:
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    await chat.app[K.SERVICES].hours.set_schedule(
        {
            "weekly": {str(d): [["09:00", "16:00"]] for d in range(5)},
            # Closed today and for the rest of this week, so "now" is always outside.
            "exceptions": {(today + timedelta(days=i)).isoformat(): [] for i in range(3)},
            "closed_on_holidays": True,
        }
    )
    v: Visitor = await visitor_factory(locale, prefix="hours-")
    t = v.t
    await v.open_host()
    await v.open_widget()
    await v.choose_language(LANGS[locale])
    await v.expect_heading("The chat is closed right now")
    frame = v.frame
    table = frame.locator("table.hours")
    await table.wait_for()
    assert await table.locator("tr").count() == 7
    monday = table.locator("tr").first
    assert await monday.locator("th").inner_text() == t("Monday")
    assert "09:00–16:00" in await monday.locator("td").inner_text()
    assert await table.locator("tr").nth(6).locator("td").inner_text() == t("Closed")
    lead = await frame.locator(".lead").inner_text()
    assert "09:00" in lead
    # Where to get help now, 112 first.
    calls = frame.locator(".help a.call")
    assert await calls.count() == 4
    assert await calls.first.get_attribute("href") == "tel:112"
    await v.check("offline")
    assert_no_violations(v)
