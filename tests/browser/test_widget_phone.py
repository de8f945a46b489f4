"""The widget on a phone (360×640, touch), in Swedish and Arabic, with the on-screen
keyboard open (simulated: the viewport is made 360×340; the loader and the widget
follow ``visualViewport``).

In every state, from the language choice to the ended chat: the quick exit is in view
and uncovered, and in the chat the composer, Send and the newest message are in view;
no element is wider than the viewport (a counsellor with an 80-character display name,
a long unbroken word). The chat bar is one line with the actions in a menu; the
follow-up code and the end confirmation are sheets above the composer. Screenshots:
screenshots/widget/phone-*.png (the -keyboard ones at 360×340). The safety note speaks
of tapping. Offline and refusal views: test_widget_refusals.py.
"""

from __future__ import annotations

import pytest

from .conftest import Operator, Visitor, assert_no_violations, fetch_catalog
from .phone import assert_layout_clean, check_layout

LANGS = {"sv": "Svenska", "ar": "العربية"}
# 80 characters, one "word" of 48: display names may be that long.
LONG_NAME = "Kristina Saramariejohannalindqvistabdullahikarlssonhassan Mohammed Andersson Ali"
LONG_WORD = "Hejhejhejhejhejhejhejhejhejhejhejhejhejhejhejhejhejhej"
SUMMARY = "Kontroll hemma, vill prata om skolan."
TAP = "Tap Quick exit to close the chat at once and open a weather page. The chat is then deleted."
PRESS = (
    "Press Quick exit, or the Shift key three times, to close the chat at once and open a weather page. "
    "The chat is then deleted."
)
TAP = "Tap Quick exit to close the chat at once and open a weather page. The chat is then deleted."
PRESS = (
    "Press Quick exit, or the Shift key three times, to close the chat at once and open a weather page. "
    "The chat is then deleted."
)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_every_chat_state_fits_a_phone(visitor_factory, operator_factory, locale: str) -> None:
    assert len(LONG_NAME) == 80
    v: Visitor = await visitor_factory(locale, prefix="phone-", touch=True)
    t = v.t
    frame = v.frame
    op: Operator = await operator_factory(name=LONG_NAME)

    await v.open_host()
    await v.open_widget()
    # A touch screen: the safety note says to tap, not to press Shift.
    # The language step speaks the browser's language (sv-SE) until one is chosen.
    sv = await fetch_catalog(v.chat.url, "sv")
    await frame.get_by_text(sv(TAP)).wait_for()
    await check_layout(v, "language")

    await v.choose_language(LANGS[locale])
    await frame.get_by_text(t(TAP)).wait_for()
    assert await frame.get_by_text(t(PRESS)).count() == 0
    await check_layout(v, "about")
    await v.button("Myself").click()
    await v.expect_heading("What is it about?")
    await check_layout(v, "topic")
    await v.button("Control and restrictions").click()
    await v.expect_heading("Are you in danger right now?")
    await check_layout(v, "danger")
    await v.button("Yes", exact=True).click()
    await v.expect_heading("Call 112 now")
    await check_layout(v, "urgent")
    await v.button("Continue to the chat").click()
    await v.expect_heading("How old are you?")
    await check_layout(v, "age")
    await v.button("16–17 years").click()

    # Waiting: one line in the bar, the queue card (with 112) at the top of the messages.
    await v.composer.wait_for()
    await frame.get_by_text(t("Your place in the queue: {position}").replace("{position}", "1")).wait_for()
    await frame.locator(".queue a[href='tel:112']").wait_for()
    await check_layout(v, "waiting", chat=True)
    await v.send("Hej, jag väntar.")
    await frame.locator(".msg--mine .tick--delivered").wait_for()
    await check_layout(v, "waiting-message", chat=True, messages=True)

    # Active, many messages, a long name in the status, the system line and the typing line.
    await op.accept_next()
    await frame.locator(".msg--system").filter(has_text="Saramariejohanna").wait_for()
    for i in range(12):
        await op.say(f"Meddelande {i + 1} från rådgivaren. " + ("Berätta mer. " * (i % 4)))
        await v.send(f"Svar {i + 1}" + (f" {LONG_WORD}" if i == 5 else ""))
    await op.wait_visitor_text("Svar 12")
    await frame.locator(".msg--mine").filter(has_text="Svar 12").locator(".tick--delivered").wait_for()
    bar = frame.locator(".chat-bar")
    await bar.get_by_text("Saramariejohanna", exact=False).wait_for()
    await check_layout(v, "active", chat=True, messages=True)

    await op.typing(True)
    await frame.locator(".typing").filter(has_text="Saramariejohanna").wait_for()
    await check_layout(v, "typing", chat=True, messages=True)
    await op.typing(False)

    # The menu: one tap away in the bar, the composer stays usable.
    await frame.locator("button.menu-btn").click()
    await frame.locator(".menu-list.open").get_by_role("button", name=t("End chat")).wait_for()
    await check_layout(v, "menu", chat=True, messages=True, newest=False)
    await frame.locator("button.menu-btn").click()
    assert await frame.locator(".menu-list.open").count() == 0

    # The follow-up code: a sheet above the composer; the newest message stays in view.
    mark = op.rec.mark()
    await v.chat_action("Get a code to continue later")
    await op.rec.wait_for("followup_requested", after=mark)
    ack = await op.rec.call("followup_summary", {"conversation_id": op.conversation_id, "summary": SUMMARY})
    assert ack["ok"], ack
    sheet = frame.get_by_role("dialog", name=t("Your code to continue later"))
    await sheet.locator(".code-group").first.wait_for()
    await check_layout(v, "code", chat=True, messages=True)
    # Writing goes on while the code is shown.
    await v.send("Jag har skrivit ner koden.")
    await op.wait_visitor_text("Jag har skrivit ner koden.")
    await sheet.get_by_role("button", name=t("Hide the code")).click()
    await sheet.wait_for(state="hidden")

    # The end confirmation: a sheet above the composer, Send still there.
    await v.chat_action("End chat")
    confirm = frame.get_by_role("dialog", name=t("Do you want to end the chat?"))
    await confirm.wait_for()
    await check_layout(v, "confirm-end", chat=True, messages=True)
    # Escape answers "no" and gives the composer back; then the visitor ends it.
    await v.page.keyboard.press("Escape")
    await confirm.wait_for(state="hidden")
    assert await frame.locator("#composer").evaluate("el => el === document.activeElement")
    await v.chat_action("End chat")
    await confirm.get_by_role("button", name=t("Yes, end the chat")).click()
    await v.expect_heading("The chat has ended")
    await check_layout(v, "ended")

    assert_no_violations(v)
    assert_layout_clean(v)
