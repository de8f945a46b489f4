"""Every refusal of a new chat tells the visitor the truth, with the national help
numbers, on a phone (360×640 and with the keyboard open), in Swedish and Arabic.

The server is driven into each state for real:
* the start limit: new chats from this address (127.0.0.1, the browser's too) until the
  server refuses one, whatever the limit is configured to;
* a block: a counsellor blocks the visitor with the operator ``block`` event, the
  visitor starts a new chat;
* closed: the opening hours close the service while the visitor is in the start steps;
* unavailable: the chat server stops; or its ephemeral Redis stops (an ``unavailable``
  refusal from the server).

Screenshots: screenshots/widget/refused-*.png.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chat_server.transport import keys as K

from ..conftest import LiveServer, start_redis
from ..helpers import Recorder
from .conftest import HostSite, Operator, Visitor, assert_no_violations
from .phone import assert_layout_clean, check_layout

LANGS = {"sv": "Svenska", "ar": "العربية"}
START = {"locale": "sv", "audience": "self", "topic": None, "urgent": False, "age_band": None}
HELP_NUMBERS = ["tel:112", "tel:116111", "tel:020505050", "tel:1177"]


async def _to_last_step(v: Visitor, language: str) -> None:
    """From the open widget to the last question (the age); its answer starts the chat."""
    await v.choose_language(language)
    await v.button("Myself").click()
    await v.button("Skip this question").click()
    await v.button("No", exact=True).click()
    await v.expect_heading("How old are you?")


async def _start(v: Visitor) -> None:
    await v.button("Skip this question").click()


async def _exhaust_start_limit(url: str) -> int:
    """New chats from 127.0.0.1 until the server refuses one with ``rate_limited``;
    returns how many it allowed. Each connection starts (and ends) at most three
    chats, below the per-connection limits of ``start`` and ``end``."""
    made: list[Recorder] = []
    allowed = 0
    try:
        for _ in range(40):
            rec = Recorder(url, "/visitor")
            made.append(rec)
            await rec.connect()
            await rec.wait_for("session")
            for _ in range(3):
                ack = await rec.call("start", START)
                if not ack["ok"]:
                    assert ack["error"]["code"] == "rate_limited", ack
                    return allowed
                allowed += 1
                assert (await rec.call("end", {}))["ok"]
        raise AssertionError(f"the start limit never refused a new chat ({allowed} allowed)")
    finally:
        for rec in made:
            await rec.disconnect()


async def _expect_refusal(v: Visitor, title: str, text: str, try_again: bool) -> None:
    await v.expect_heading(title)
    frame = v.frame
    await frame.get_by_text(v.t(text)).wait_for()
    # Not the old untruthful sentence.
    assert await frame.get_by_text(v.t("We could not reach the chat")).count() == 0
    assert await v.button("Try again").count() == (1 if try_again else 0)
    calls = frame.locator(".help a.call")
    assert [await calls.nth(i).get_attribute("href") for i in range(await calls.count())] == HELP_NUMBERS
    # The numbers are printed, not only linked.
    for number in ["112", "116 111", "020-50 50 50", "1177"]:
        assert await frame.locator(".help").get_by_text(number, exact=True).count() >= 1


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_start_limit(visitor_factory, chat: LiveServer, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="refused-busy-", touch=True)
    await v.open_host()
    await v.open_widget()
    await _to_last_step(v, LANGS[locale])
    await _exhaust_start_limit(chat.url)
    await _start(v)
    await _expect_refusal(
        v,
        "Many people are starting a chat right now",
        "Many people are starting a chat from this network right now, for example at a school. Try again in a minute.",
        try_again=True,
    )
    await check_layout(v, "busy")
    assert_no_violations(v)
    assert_layout_clean(v)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_blocked(visitor_factory, operator_factory, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="refused-blocked-", touch=True)
    op: Operator = await operator_factory()
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    await op.accept_next()
    ack = await op.rec.call("block", {"conversation_id": op.conversation_id})
    assert ack == {"ok": True, "blocked": True}
    await v.expect_heading("The chat has ended")
    await v.frame.get_by_text(v.t("The chat has been closed.")).wait_for()
    await v.button("Start a new chat").click()
    await v.button("Myself").click()
    await v.button("Skip this question").click()
    await v.button("No", exact=True).click()
    await _start(v)
    await _expect_refusal(
        v,
        "You cannot start a chat from here right now",
        "If you need to talk to someone now, you can call one of the numbers below.",
        try_again=False,
    )
    await check_layout(v, "blocked")
    assert_no_violations(v)
    assert_layout_clean(v)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_closed_while_in_the_steps(visitor_factory, chat: LiveServer, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="refused-closed-", touch=True)
    await v.open_host()
    await v.open_widget()
    await _to_last_step(v, LANGS[locale])
    # The usual week is open around the clock; today and the next two days are closed.
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    await chat.app[K.SERVICES].hours.set_schedule(
        {
            "weekly": {str(d): [["00:00", "24:00"]] for d in range(7)},
            "exceptions": {(today + timedelta(days=i)).isoformat(): [] for i in range(3)},
            "closed_on_holidays": False,
        }
    )
    await _start(v)
    await v.expect_heading("The chat is closed right now")
    frame = v.frame
    # The hours were fetched again after the refusal: today's row says it is closed today.
    today_row = frame.locator("table.hours tr[aria-current='date']")
    await today_row.locator("td").get_by_text(v.t("Closed today")).wait_for()
    weekday = v.t(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][(today.weekday() + 3) % 7]
    )
    lead = await frame.locator(".lead").inner_text()
    assert weekday in lead and "00:00" in lead, lead
    calls = frame.locator(".help a.call")
    assert await calls.first.get_attribute("href") == "tel:112"
    await check_layout(v, "offline")
    assert_no_violations(v)
    assert_layout_clean(v)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_server_stopped(visitor_factory, chat: LiveServer, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="refused-down-", touch=True)
    await v.open_host()
    await v.open_widget()
    await _to_last_step(v, LANGS[locale])
    await chat.stop()
    await _start(v)
    await _expect_refusal(
        v,
        "The chat cannot be reached right now",
        "The chat may be very busy, or down for a short while. Try again in a few minutes. "
        "If it still does not work, check your internet connection.",
        try_again=True,
    )
    # Trying again while it is still down gives the same answer, not a spinner forever.
    await v.button("Try again").click()
    await v.expect_heading("The chat cannot be reached right now")
    await check_layout(v, "unavailable")
    assert_no_violations(v)
    assert_layout_clean(v)


async def test_store_unavailable(
    visitor_factory,
    server_factory: Callable[..., Awaitable[LiveServer]],
    host_site: HostSite,
    tmp_path: Path,
) -> None:
    """An ``unavailable`` refusal: the chat server runs, its ephemeral Redis does not."""
    (tmp_path / "redis-down").mkdir()
    redis = start_redis(tmp_path / "redis-down")
    try:
        live = await server_factory(allowed_origins=(host_site.origin,), ephemeral_url=redis.url)
        host_site.chat_url = live.url
        v: Visitor = await visitor_factory("sv", prefix="refused-store-", touch=True)
        v.chat = live
        await v.open_host()
        await v.open_widget()
        await _to_last_step(v, "Svenska")
        redis.stop()
        await _start(v)
        await _expect_refusal(
            v,
            "The chat cannot be reached right now",
            "The chat may be very busy, or down for a short while. Try again in a few minutes. "
            "If it still does not work, check your internet connection.",
            try_again=True,
        )
        await check_layout(v, "unavailable")
        assert_no_violations(v)
        assert_layout_clean(v)
    finally:
        redis.stop()
