"""A visitor in Chromium talks with an operator, end to end, in Swedish and in Arabic.

Every state of the widget is screenshotted (screenshots/widget/) and checked with
axe-core: language, who, topic, danger, 112, age, queue, chat, typing, reconnecting,
ended with referral cards.
"""

from __future__ import annotations

import pytest

from .conftest import Operator, Visitor, assert_no_violations, send_referral

LANGS = {"sv": "Svenska", "ar": "العربية"}
TEXT = {
    "sv": (
        "Hej, jag vill prata med någon.",
        "Hej! Jag heter Sara. Berätta gärna.",
        "Jag får inte träffa mina vänner.",
    ),
    "ar": (
        "مرحبا، أريد أن أتحدث مع أحد.",
        "مرحبا! أنا سارة. تفضلي بالكلام.",
        "لا يسمح لي برؤية أصدقائي.",
    ),
}

CARDS = [
    {
        "id": "r1",
        "type": "social_services",
        "name": "Socialtjänsten i Exempelby",
        "what": "Kan ge skydd och stöd, också akut.",
        "how": [
            {"kind": "phone", "value": "0123-45 67 89", "label": "0123-45 67 89"},
            {"kind": "web", "value": "https://example.org/stod", "label": "example.org/stod"},
            {"kind": "web", "value": "javascript:alert(1)", "label": "evil"},
        ],
        "hours": "Vardagar 8–16",
        "say": "Säg att du vill prata om att du inte får bestämma själv.",
        "rights": "Du har rätt att prata med socialtjänsten utan att dina föräldrar vet.",
        "national": False,
    }
]


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_full_conversation(visitor_factory, operator_factory, locale: str) -> None:
    v: Visitor = await visitor_factory(locale)
    t = v.t
    op: Operator = await operator_factory()
    frame = v.frame
    first, reply, second = TEXT[locale]

    await v.open_host()
    await v.page.screenshot(path=str(_shot(v, "host-closed")))
    await v.open_widget()
    # The language picker comes first, each language named in its own script.
    for name in ["Svenska", "English", "العربية", "فارسی", "Soomaali", "ትግርኛ", "Türkçe"]:
        await frame.get_by_role("button", name=name).wait_for()
    await v.check("language")

    await v.choose_language(LANGS[locale])
    html = frame.locator("html")
    assert await html.get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")
    await v.expect_heading("Talk to us anonymously")
    await v.check("about")

    await v.button("Myself").click()
    await v.expect_heading("What is it about?")
    await v.check("topic")
    await v.button("Control and restrictions").click()

    await v.expect_heading("Are you in danger right now?")
    await v.check("danger")
    await v.button("Yes", exact=True).click()
    await v.expect_heading("Call 112 now")
    call = frame.locator("a[href='tel:112']").first
    assert await call.is_visible()
    await v.check("urgent-112")
    await v.button("Continue to the chat").click()

    await v.expect_heading("How old are you?")
    await v.check("age")
    await v.button("16–17 years").click()

    # In the queue: place and estimate, and the request is marked urgent.
    status = frame.get_by_role("status").filter(has_text=t("Waiting for a counsellor"))
    await status.wait_for()
    await frame.get_by_text(t("Your place in the queue: {position}").replace("{position}", "1")).wait_for()
    queue = await op.rec.wait_for("queue", lambda d: bool(d and d.get("items")))
    item = queue["items"][0]
    assert item["urgent"] is True
    assert item["audience"] == "self" and item["topic"] == "control" and item["age_band"] == "16-17"
    assert item["locale"] == locale
    await v.check("waiting")

    # The visitor can write while waiting; sent, then delivered (ack with server id).
    composer = frame.get_by_role("textbox", name=t("Write a message"))
    await composer.fill(first)
    await composer.press("Enter")
    mine = frame.locator(".msg--mine").filter(has_text=first)
    await mine.locator(".tick--delivered").wait_for()

    await op.accept_next()
    await frame.get_by_text(t("You are chatting with {name}.").replace("{name}", "Sara")).wait_for()
    assert op.visitor_texts() == [first]

    # Operator typing shows an indicator; the reply arrives in the log (aria-live).
    await op.typing(True)
    await frame.get_by_text(t("{name} is writing…").replace("{name}", "Sara")).wait_for()
    await v.check("operator-typing")
    await op.say(reply)
    theirs = frame.locator(".msg--theirs .bubble").filter(has_text=reply)
    await theirs.wait_for()
    assert await theirs.get_attribute("dir") == "auto"
    assert await frame.locator("[role=log]").get_attribute("aria-live") == "polite"
    await frame.locator(".typing-dots").wait_for(state="detached")

    # Visitor typing reaches the operator.
    mark = op.rec.mark()
    await composer.type(second[:5], delay=20)
    typing = await op.rec.wait_for("typing", lambda d: d.get("active") is True, after=mark)
    assert typing["conversation_id"] == op.conversation_id
    await composer.fill(second)
    await frame.get_by_role("button", name=t("Send"), exact=True).click()
    await op.wait_visitor_text(second)
    await frame.locator(".msg--mine").filter(has_text=second).locator(".tick--delivered").wait_for()
    await v.check("active")

    # Referral cards arrive during the chat and are shown at the end.
    await send_referral(v.chat, op.conversation_id, CARDS)
    await op.end()
    await v.expect_heading("The chat has ended")
    await frame.get_by_text(t("The counsellor has ended the chat.")).wait_for()
    card = frame.locator(".card").first
    await card.get_by_role("heading", name="Socialtjänsten i Exempelby").wait_for()
    assert await card.locator("a[href='tel:0123456789']").count() == 1
    link = card.locator("a[href='https://example.org/stod']")
    assert await link.get_attribute("target") == "_blank"
    assert await link.get_attribute("rel") == "noopener noreferrer"
    assert await card.locator("a[href^='javascript']").count() == 0
    for number in ["tel:112", "tel:116111", "tel:020505050", "tel:1177"]:
        assert await frame.locator(f".help a[href='{number}']").count() == 1
    await v.check("ended")

    # Every message appeared exactly once on each side.
    assert await frame.locator(".msg--mine").count() == 0  # the ended view shows no log
    assert op.visitor_texts().count(first) == 1 and op.visitor_texts().count(second) == 1
    assert_no_violations(v)


def _shot(v: Visitor, state: str):
    from .conftest import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{v.shot_prefix}{v.locale}-00-{state}.png"
