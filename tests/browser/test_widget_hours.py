"""Outside opening hours the widget shows when the chat opens again, the weekly hours in
the visitor's language with today's row marked (and saying "closed today" when the
table would say open), and where to get help now (112 first)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chat_server.transport import keys as K

from .conftest import Visitor, assert_no_violations

LANGS = {"sv": "Svenska", "ar": "العربية"}


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_offline_view_outside_opening_hours(visitor_factory, chat, locale: str) -> None:
    now = datetime.now(ZoneInfo("Europe/Stockholm"))
    today = now.date()
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
    rows = table.locator("tr")
    assert await rows.count() == 7
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    # The usual week says open today from 09:00 to 16:00 on a weekday: before 16:00 the
    # row says that today is closed instead.
    closed_today = today.weekday() < 5 and now.strftime("%H:%M") < "16:00"
    for i, day in enumerate(days):
        row = rows.nth(i)
        th, td = await row.locator("th").inner_text(), await row.locator("td").inner_text()
        if i == today.weekday():
            assert await row.get_attribute("aria-current") == "date"
            assert th == t("{day} (today)").replace("{day}", t(day))
            if closed_today:
                assert td == t("Closed today")
                continue
        else:
            assert th == t(day)
        assert td == ("09:00–16:00" if i < 5 else t("Closed"))
    caption = await table.locator("caption").inner_text()
    assert caption == t("Usual opening hours (Swedish time)" if closed_today else "Opening hours (Swedish time)")
    lead = await frame.locator(".lead").inner_text()
    assert "09:00" in lead
    # Where to get help now, 112 first.
    calls = frame.locator(".help a.call")
    assert await calls.count() == 4
    assert await calls.first.get_attribute("href") == "tel:112"
    await v.check("offline")
    assert_no_violations(v)
