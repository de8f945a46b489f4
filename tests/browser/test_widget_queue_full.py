"""The cap on waiting chats, seen by the visitor: when as many people wait as the chat
takes (a flood, or a very busy evening), a new visitor is told so plainly, with "Try
again" and the national help numbers, on a phone, in Swedish and Arabic. The cap is set
low here (CHAT_MAX_WAITING=2) and filled by two real visitors from other addresses.
Screenshots: screenshots/widget/refused-full-*.png.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from ..conftest import LiveServer
from ..security.test_queue_abuse import FromAddress
from .conftest import HostSite, Visitor, assert_no_violations
from .phone import assert_layout_clean, check_layout

LANGS = {"sv": "Svenska", "ar": "العربية"}
START = {"audience": "self", "topic": None, "urgent": False, "age_band": None}
HELP_NUMBERS = ["tel:112", "tel:116111", "tel:020505050", "tel:1177"]


@pytest.fixture
async def chat(server_factory: Callable[..., Awaitable[LiveServer]], host_site: HostSite) -> LiveServer:
    live = await server_factory(allowed_origins=(host_site.origin,), max_waiting=2)
    host_site.chat_url = live.url
    return live


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_a_full_queue_is_said_plainly(visitor_factory, chat: LiveServer, locale: str) -> None:
    others = [FromAddress(chat.url, f"127.0.2.{i}") for i in (1, 2)]
    try:
        for other in others:
            await other.open()
            assert (await other.call("start", START))["ok"]
        v: Visitor = await visitor_factory(locale, prefix="refused-full-", touch=True)
        await v.open_host()
        await v.open_widget()
        await v.choose_language(LANGS[locale])
        await v.button("Myself").click()
        await v.button("Skip this question").click()
        await v.button("No", exact=True).click()
        await v.button("Skip this question").click()  # the age: the chat starts, or not
        await v.expect_heading("Very many people are waiting for a chat right now")
        text = (
            "The queue is full at the moment. Try again in a few minutes. "
            "If you need help now, call one of the numbers below."
        )
        await v.frame.get_by_text(v.t(text)).wait_for()
        assert await v.button("Try again").count() == 1
        calls = v.frame.locator(".help a.call")
        assert [await calls.nth(i).get_attribute("href") for i in range(await calls.count())] == HELP_NUMBERS
        await check_layout(v, "full")
        assert_no_violations(v)
        assert_layout_clean(v)
        # A place frees up: "Try again" starts the chat.
        await others[0].call("end", {})
        await v.button("Try again").click()
        await v.composer.wait_for()
    finally:
        for other in others:
            await other.close()
