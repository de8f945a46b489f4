"""Issue 17 in the operator console (Chromium): a chat in a language the counsellor
does not write shows "interpreter needed" on the queue card, the tab and the chat
header; the referral cards sent appear in the chat's log as the visitor got them, in the
counsellor's language (numbers in full). Screenshots in screenshots/console/cards-*.png,
each checked with axe-core."""

from __future__ import annotations

import pytest

from .console import Console, assert_clean, sideways_overflow, start_visitor

pytestmark = pytest.mark.browser


async def test_interpreter_needed_and_the_cards_in_the_log(server, console_factory, visitor) -> None:
    creds = await server.create_staff("operator", name="Sara", languages=["sv", "en"])
    sara: Console = await console_factory("sara")
    t = sara.t
    await sara.login(creds)
    await sara.go_on_duty()
    v, cid, pseudonym = await start_visitor(visitor, locale="ti")

    card = sara.page.locator("#queue-list > li.q-item").filter(has_text=pseudonym)
    await card.locator(".interpreter-tag", has_text=t("Interpreter needed")).wait_for()
    await sara.check("cards-01-queue-interpreter")
    await card.locator("button.primary").click()
    await sara.tab(pseudonym).locator(".interpreter-tag").wait_for()
    await sara.page.locator(".chat-head .interpreter-tag", has_text=t("Interpreter needed")).wait_for()
    told = t(
        "The visitor was told, in their language, that the counsellor writes in Swedish or English "
        "and may bring in an interpreter."
    )
    await sara.log().get_by_text(told).wait_for()
    assert (await v.wait_for("message", lambda m: m.get("code") == "interpreter"))["text"] != told

    await sara.page.get_by_role("button", name=t("Referrals"), exact=True).click()
    panel = sara.page.locator(".side-panel")
    await panel.get_by_label(t("Search by name or municipality")).fill("Kvinnofrid")
    await panel.get_by_label("Kvinnofridslinjen").check()
    await panel.get_by_role("button", name=t("Send referral cards")).click()
    sent = await v.wait_for("referral")
    logged = sara.log().locator(".referral-msg .card").filter(has_text="Kvinnofridslinjen")
    await logged.wait_for()
    assert sent["cards"][0]["how"][0]["label"] != t("Call")  # the visitor's in Tigrinya...
    assert await logged.locator(".card-kind", has_text=t("Call")).count() == 1  # ...the log in Swedish
    assert (await logged.locator(".card-value--phone").inner_text()).strip() == "020-50 50 50"
    assert await logged.get_by_text("Kvinnofridslinjen är en nationell", exact=False).count() == 1
    # One trace in the log: the server's record, not an extra local line.
    assert await sara.log().locator(".msg.system.local").count() == 0
    await panel.locator(".side-head button").last.click()
    await sara.check("cards-02-log-and-header")
    assert await sideways_overflow(sara.page) == []
    assert_clean(sara)
