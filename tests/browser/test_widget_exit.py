"""Quick exit: the button in the widget, the button in the loader, and Shift pressed three
times (in the widget and on the host page). Each ends the conversation on the server,
wipes the widget and replaces the host page with the exit page: no new history entry,
and Back does not return to the chat."""

from __future__ import annotations

import pytest

from .conftest import Operator, Visitor

LANGS = {"sv": "Svenska", "ar": "العربية"}


async def _in_chat(visitor_factory, operator_factory, locale: str) -> tuple[Visitor, Operator]:
    v: Visitor = await visitor_factory(locale, prefix="exit-")
    op: Operator = await operator_factory()
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    await op.accept_next()
    await v.send("hej")
    await op.wait_visitor_text("hej")
    return v, op


async def _assert_left(v: Visitor, op: Operator, before_len: int) -> None:
    await v.page.wait_for_url(v.host.exit_url)
    await v.page.locator("#exit-page").wait_for()
    # location.replace: the host page's history entry was replaced, not added to.
    assert await v.page.evaluate("history.length") == before_len
    ended = await op.rec.wait_for("ended", lambda d: d.get("conversation_id") == op.conversation_id)
    assert ended["reason"] == "visitor_exit"
    # The conversation is gone on the server (content and key destroyed).
    assert await v.chat.repository.get_live(op.conversation_id) is None
    # Back goes to the page before the host page, not to the chat.
    await v.page.go_back()
    await v.page.wait_for_url(v.host.origin + "/before")
    assert await v.page.locator("iframe").count() == 0


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_quick_exit_button_in_widget(visitor_factory, operator_factory, locale: str) -> None:
    v, op = await _in_chat(visitor_factory, operator_factory, locale)
    before = await v.page.evaluate("history.length")
    await v.check("chat-before-exit")
    exit_button = v.frame.get_by_role("button", name=v.t("Quick exit"))
    assert await exit_button.is_visible()
    await exit_button.click()
    await _assert_left(v, op, before)


async def test_quick_exit_button_in_loader(visitor_factory, operator_factory) -> None:
    from .conftest import DESKTOP

    v: Visitor = await visitor_factory("sv", viewport=DESKTOP, prefix="exit-loader-")
    op: Operator = await operator_factory()
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()
    before = await v.page.evaluate("history.length")
    # The loader's own button, outside the iframe (works even if the frame is stuck).
    # (its label is the host's own, whatever the chat's language)
    loader_exit = v.loader_exit
    assert await loader_exit.is_visible()
    await loader_exit.click()
    await _assert_left(v, op, before)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_shift_three_times_in_widget(visitor_factory, operator_factory, locale: str) -> None:
    v, op = await _in_chat(visitor_factory, operator_factory, locale)
    before = await v.page.evaluate("history.length")
    await v.composer.click()
    # Shift used for a capital letter does not count.
    await v.composer.type("Hej Hej")
    await v.page.keyboard.press("Shift")
    status = v.frame.locator(".announcer")
    assert await status.inner_text() == v.t("Shift, press 2 more times to exit.")
    await v.check("shift-once")
    await v.page.keyboard.press("Shift")
    assert await status.inner_text() == v.t("Shift, press 1 more time to exit.")
    assert v.page.url == v.host.origin + "/host"
    await v.page.keyboard.press("Shift")
    await _assert_left(v, op, before)


async def test_shift_count_resets_on_other_keys(visitor_factory, operator_factory) -> None:
    v, op = await _in_chat(visitor_factory, operator_factory, "sv")
    await v.composer.click()
    await v.page.keyboard.press("Shift")
    await v.page.keyboard.press("Shift")
    await v.page.keyboard.press("a")
    await v.page.keyboard.press("Shift")
    await v.page.wait_for_timeout(300)
    assert v.page.url == v.host.origin + "/host"
    assert await v.composer.is_visible()


async def test_shift_three_times_on_host_page(visitor_factory, operator_factory) -> None:
    v, op = await _in_chat(visitor_factory, operator_factory, "sv")
    before = await v.page.evaluate("history.length")
    # Minimise the widget (on a phone it covers the page), then focus the host page:
    # outside the iframe the loader counts the presses.
    await v.frame.get_by_role("button", name=v.t("Minimise the chat")).click()
    await v.launcher.wait_for()
    assert await v.page.locator("iframe").is_hidden()
    # With a chat in progress, the loader's quick exit stays visible next to the launcher.
    assert await v.loader_exit.is_visible()
    await v.page.locator("#q").click()
    for _ in range(3):
        await v.page.keyboard.press("Shift")
    await _assert_left(v, op, before)
