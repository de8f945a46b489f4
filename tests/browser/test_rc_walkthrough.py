"""The RC walkthrough in Chromium: a young visitor answers "I am in danger now", is shown
112 first, gets an urgent place in the queue, is offered by routing to the operator who
speaks their language, talks, receives real referral cards from the directory in their
language, and the operator ends with a triage that triggers the duty-to-report reminder
and only feeds aggregate counters."""

from __future__ import annotations

import pytest

from chat_server.transport import keys as K

from .conftest import Operator, Visitor, assert_no_violations

pytestmark = pytest.mark.browser

TRIAGE = {
    "categories": ["honour_control", "threats"],
    "risk": "acute",
    "age_band": "16-17",
    "actions": ["advice", "referral", "report_of_concern"],
}


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_danger_now_to_referral_cards(visitor_factory, operator_factory, chat, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="rc-")
    t = v.t
    frame = v.frame
    # Two on duty: routing offers the chat to the one who speaks the visitor's language.
    other: Operator = await operator_factory(name="Nora", languages=["fa"] if locale == "ar" else ["ar"])
    op: Operator = await operator_factory(name="Sara", languages=[locale])

    await v.open_host()
    await v.open_widget()
    await v.choose_language({"sv": "Svenska", "ar": "العربية"}[locale])
    await v.button("Myself").click()
    await v.button("Control and restrictions").click()
    await v.expect_heading("Are you in danger right now?")
    await v.button("Yes", exact=True).click()
    await v.expect_heading("Call 112 now")
    assert await frame.locator("a[href='tel:112']").first.is_visible()
    await v.button("Continue to the chat").click()
    await v.button("16–17 years").click()
    await v.composer.wait_for()

    offer = await op.rec.wait_for("offer", timeout=10)
    conv = offer["conversation"]
    assert conv["urgent"] is True and conv["age_band"] == "16-17" and conv["locale"] == locale
    assert offer["interpreter_needed"] is False
    assert not other.rec.received("offer")
    ack = await op.rec.call("accept", {"conversation_id": conv["id"]})
    assert ack["ok"], ack
    op.conversation_id = conv["id"]
    await frame.get_by_text(t("You are chatting with {name}.").replace("{name}", "Sara")).wait_for()
    await v.send("Jag är rädd." if locale == "sv" else "أنا خائفة.")
    await op.wait_visitor_text("Jag är rädd." if locale == "sv" else "أنا خائفة.")

    # Real referral: chosen from the directory, cards rendered in the visitor's language.
    sent = await op.rec.call(
        "referral",
        {"conversation_id": conv["id"], "targets": ["socialtjansten-falun", "emergency-112"]},
    )
    assert sent["ok"], sent
    falun = sent["cards"][0]
    assert falun["name"] == "Socialtjänsten, Falun kommun"

    end = await op.rec.call("end", {"conversation_id": conv["id"], "triage": TRIAGE})
    assert end == {"ok": True, "report_duty": True}
    await v.expect_heading("The chat has ended")
    card = frame.locator(".card").filter(has_text="Socialtjänsten, Falun kommun")
    await card.wait_for()
    assert await card.locator("a[href='tel:02383000']").count() == 1
    assert await card.locator("a[href^='https://www.falun.se']").count() == 1
    assert await card.get_by_text(falun["what"]).count() == 1
    assert await card.get_by_text(falun["rights"]).count() == 1
    emergency = frame.locator(".card").filter(has_text="112 – SOS Alarm")
    assert await emergency.locator("a[href='tel:112']").count() == 1
    await v.check("referral-cards")

    # What outlives the chat: counters only.
    keys = {k for _d, k, _n in await chat.app[K.SERVICES].stats.totals("2000-01-01", "2999-12-31")}
    assert {
        "urgent:yes",
        "category:honour_control",
        "risk:acute",
        "referral:social_services",
        "referral:national_helpline",
        "action:report_of_concern",
    } <= keys
    assert await chat.ephemeral.get("conv", conv["id"]) is None
    assert_no_violations(v)
