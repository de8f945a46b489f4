"""Issue 17 point 1 in Chromium on a 360×640 phone, in Swedish and Arabic: referral
cards arrive in the chat as the counsellor sends them, with every number and address
printed in full (left to right inside Arabic), a copy button that really copies (the
clipboard is read back) and says so, the switchboard note and opening hours; they are
replayed once after the connection was down, and listed again on the ended view.
Issue 17 point 3: a counsellor without the visitor's language is announced in the chat.
Screenshots in screenshots/widget/cards-*.png, every state checked with axe-core and
the phone layout checks (tests/browser/phone.py)."""

from __future__ import annotations

import pytest

from .conftest import Operator, Visitor, assert_no_violations
from .phone import assert_layout_clean, check_layout

LANGS = {"sv": "Svenska", "ar": "العربية", "ti": "ትግርኛ"}


async def _copy_and_read(v: Visitor, card, value: str) -> None:
    """Click the copy button of ``value`` on ``card``; the confirmation shows and the
    clipboard holds exactly the printed text."""
    way = card.locator(".card-way").filter(has=v.frame.locator(".card-value", has_text=value))
    await way.get_by_role("button", name=v.t("Copy")).click()
    await way.locator(".copy-status").filter(has_text=v.t("Copied")).wait_for()
    # Read back on the host page: the widget's frame may only write to the clipboard.
    assert await v.page.evaluate("navigator.clipboard.readText()") == value


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_cards_in_the_chat_copyable_replayed_once_and_listed_at_the_end(
    visitor_factory, operator_factory, locale: str
) -> None:
    v: Visitor = await visitor_factory(locale, prefix="cards-")
    await v.context.grant_permissions(["clipboard-read", "clipboard-write"])
    op: Operator = await operator_factory(name="Sara", languages=["sv", locale])
    frame = v.frame
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    await op.accept_next()
    await v.send("hej")
    await op.wait_visitor_text("hej")

    sent = await op.rec.call(
        "referral", {"conversation_id": op.conversation_id, "targets": ["socialtjansten-falun", "kvinnofridslinjen"]}
    )
    assert sent["ok"], sent
    message = frame.locator(".msg--cards")
    falun = message.locator(".card").filter(has_text="Socialtjänsten, Falun kommun")
    await falun.wait_for()
    assert await message.count() == 1  # in the chat at once, one card message
    # Every number printed in full, in a left-to-right island, with its call link.
    number = falun.locator(".card-value--phone")
    assert (await number.inner_text()).strip() == "023-830 00"
    assert await number.evaluate("e => e.tagName") == "BDI" and await number.get_attribute("dir") == "ltr"
    assert await falun.locator("a[href='tel:02383000']").count() == 1
    assert (await falun.locator(".card-value--web").inner_text()).strip() == "https://www.falun.se"
    # The switchboard: the note on the number and whom to ask for.
    card = sent["cards"][0]
    assert await falun.get_by_text(card["how"][0]["note"], exact=False).count() >= 1
    assert await falun.locator(".card-switchboard").filter(has_text="Socialtjänsten, Falun kommun").count() == 1
    assert await falun.locator(".card-hours").filter(has_text=card["hours"]).count() == 1
    await check_layout(v, "in-chat", chat=True, newest=False)

    kvinnofrid = message.locator(".card").filter(has_text="Kvinnofridslinjen")
    await _copy_and_read(v, falun, "023-830 00")
    await _copy_and_read(v, kvinnofrid, "020-50 50 50")
    await v.check("copied")

    # The connection drops; BRIS is sent meanwhile; back online it arrives once, and the
    # cards sent before are not doubled.
    await v.context.set_offline(True)
    await op.rec.wait_for(
        "conversation",
        lambda d: d["conversation"]["id"] == op.conversation_id and not d["conversation"]["visitor_connected"],
    )
    again = await op.rec.call("referral", {"conversation_id": op.conversation_id, "targets": ["bris-116111"]})
    assert again["ok"], again
    await v.context.set_offline(False)
    await frame.locator(".msg--cards .card").filter(has_text="BRIS").wait_for(timeout=20_000)
    await op.say("Ring gärna BRIS.")
    await frame.locator(".msg--theirs").filter(has_text="Ring gärna BRIS.").wait_for()
    assert await frame.locator(".msg--cards").count() == 2
    assert await frame.locator(".msg--cards .card").filter(has_text="Falun").count() == 1
    assert await frame.locator(".msg--cards .card").filter(has_text="BRIS").count() == 1
    assert await frame.locator(".msg--mine").filter(has_text="hej").count() == 1
    await check_layout(v, "replayed", chat=True)

    # The ended view lists every card again.
    await op.end()
    await v.expect_heading("The chat has ended")
    listed = frame.locator(".referrals .card")
    assert sorted([(await c.locator(".card-name").inner_text()).strip() for c in await listed.all()]) == sorted(
        ["Socialtjänsten, Falun kommun", "Kvinnofridslinjen", "BRIS – Barnens rätt i samhället"]
    )
    await check_layout(v, "ended")
    await _copy_and_read(v, listed.filter(has_text="BRIS"), "116 111")
    assert_layout_clean(v)
    assert_no_violations(v)


async def test_copy_without_the_clipboard_selects_the_number(visitor_factory, operator_factory) -> None:
    """No clipboard permission (a browser or host page that refuses it): the printed
    number is selected instead, and the visitor is told to copy it themselves."""
    v: Visitor = await visitor_factory("ti", prefix="cards-noclip-")
    v.context.set_default_timeout(10_000)
    op: Operator = await operator_factory(name="Sara", languages=["sv", "en"])
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS["ti"])
    await op.accept_next()
    # Point 3: the counsellor does not write Tigrinya; the visitor is told, in Tigrinya.
    await (
        v.frame.locator(".msg--system")
        .filter(has_text=v.t("The counsellor writes in Swedish or English and may bring in an interpreter."))
        .wait_for()
    )
    await v.frame.get_by_role("textbox").first.wait_for()
    await v.content_frame().evaluate(
        "Object.defineProperty(navigator, 'clipboard', {value: {writeText: () => Promise.reject(new Error('no'))}})"
    )
    sent = await op.rec.call("referral", {"conversation_id": op.conversation_id, "targets": ["bris-116111"]})
    assert sent["ok"], sent
    card = v.frame.locator(".msg--cards .card").first
    await card.wait_for()
    await card.get_by_role("button", name=v.t("Copy")).first.click()
    await (
        card.locator(".copy-status")
        .filter(has_text=v.t("Selected. Copy it with your device's copy command."))
        .first.wait_for()
    )
    assert await v.content_frame().evaluate("getSelection().toString()") == "116 111"
    await check_layout(v, "selected", chat=True, newest=False)
    assert_layout_clean(v)
    assert_no_violations(v)
