"""The RC feature screens of the operator console in Chromium: the referral tool, the
follow-up code tool, the triage form with the duty-to-report reminder, the statistics
dashboard and the referral directory. Screenshots in screenshots/console/rc-*.png,
each screen checked with axe-core."""

from __future__ import annotations

import pytest

from chat_server.transport import keys as K

from .console import Console, assert_clean, start_visitor

pytestmark = pytest.mark.browser


async def test_referral_followup_and_triage_in_a_chat(server, console_factory, visitor) -> None:
    creds = await server.create_staff("operator", name="Sara", languages=["sv"])
    sara: Console = await console_factory("sara")
    t = sara.t
    sara.page.on("dialog", lambda d: d.accept())  # "not verified yet" confirmation
    await sara.login(creds)
    await sara.go_on_duty()
    v, cid, pseudonym = await start_visitor(visitor, locale="sv", age_band="16-17", topic="control")
    await sara.page.locator("#queue-list > li.q-item").first.wait_for()
    await sara.page.keyboard.press("Alt+a")
    await sara.tab(pseudonym).wait_for()

    # Referrals, in the side panel: search the directory, pick Falun's social services.
    await sara.page.get_by_role("button", name=t("Referrals"), exact=True).click()
    panel = sara.page.locator(".side-panel")
    await panel.get_by_label(t("Search by name or municipality")).fill("Falun")
    await panel.get_by_label("Socialtjänsten, Falun kommun").check()
    await sara.check("rc-01-referral-tool")
    await panel.get_by_role("button", name=t("Send referral cards")).click()
    cards = (await v.wait_for("referral"))["cards"]
    assert [c["id"] for c in cards] == ["socialtjansten-falun"]

    # Follow-up code: the visitor gets it, the operator never sees it.
    await sara.page.get_by_role("button", name=t("Follow-up code"), exact=True).click()
    await panel.get_by_label(t("Summary for a later conversation")).fill("Pratade om kontroll hemma.")
    await sara.check("rc-02-followup-tool")
    await panel.get_by_role("button", name=t("Give the visitor a code")).click()
    code = (await v.wait_for("followup_code"))["code"]
    assert code not in await sara.page.content()

    # Triage in the side panel; a child and a topic of harm show the duty to report at
    # once, in the chat; the triage goes with the end.
    reminder = sara.page.locator(".report-duty")
    await reminder.wait_for()
    assert "112" in await reminder.inner_text()
    await sara.page.get_by_role("button", name=t("Triage"), exact=True).click()
    await panel.get_by_label(t("Honour-related control")).check()
    await panel.get_by_label(t("High"), exact=True).check()
    await panel.get_by_label(t("Referral"), exact=True).check()
    await sara.check("rc-03-triage")
    await sara.button("End chat").click()
    await sara.page.get_by_role("dialog").get_by_role("button", name=t("End chat")).click()
    await v.wait_for("ended")
    totals = {k: n for _d, k, n in await server.app[K.SERVICES].stats.totals("2000-01-01", "2999-12-31")}
    assert totals["category:honour_control"] == 1 and totals["risk:high"] == 1
    assert totals["referral:social_services"] == 1 and totals["followup:issued"] == 1
    assert_clean(sara)


async def test_a_chat_opened_with_a_code_asks_to_hear_the_visitor_first(server, console_factory, visitor) -> None:
    """A code shows that someone holds it, not who they are: the console says so and
    asks the counsellor to let the visitor tell their story first."""
    creds = await server.create_staff("operator", name="Sara", languages=["sv"])
    sara: Console = await console_factory("sara")
    t = sara.t
    await sara.login(creds)
    await sara.go_on_duty()
    code, _ = await server.app[K.SERVICES].followup_codes.store("Pratade om kontroll hemma.")
    v, cid, pseudonym = await start_visitor(visitor, locale="sv")
    assert (await v.call("followup", {"code": code}))["ok"]
    await sara.page.locator("#queue-list > li.q-item").first.wait_for()
    await sara.page.keyboard.press("Alt+a")
    await sara.tab(pseudonym).wait_for()
    await sara.page.get_by_role("button", name=t("Follow-up code"), exact=True).click()
    for msgid in (
        "This chat was opened with a follow-up code. A code shows only that someone has it, not who they are.",
        "Let the visitor tell their story first. The earlier summary is a note in the chat that only staff can see.",
        "The code has now been used and no longer works. You can give a new one if the visitor wants it.",
    ):
        await sara.page.get_by_text(t(msgid)).wait_for()
    await sara.log().get_by_text("Pratade om kontroll hemma.", exact=False).wait_for()
    await sara.check("rc-04-followup-redeemed")
    assert_clean(sara)


async def test_statistics_dashboard_and_directory(server, console_factory) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Europe/Stockholm"))
    await server.app[K.SERVICES].stats.record(
        int(today.timestamp() * 1000),
        {
            "conversations:total": 12,
            "outcome:operator_ended": 12,
            "wait:0-1m": 12,
            "triage:recorded": 12,
            "category:fgm": 7,
            "category:threats": 2,
            "risk:high": 9,
            "risk:medium": 3,
            "language:ar": 6,
            "language:sv": 6,
        },
    )
    # Only months that have ended are published: let this one (and this week) be over.
    week_end = today.date() + timedelta(days=6 - today.weekday())
    server.app[K.SERVICES].stats.today = lambda: (week_end.replace(day=28) + timedelta(days=4)).replace(day=2)
    creds = await server.create_staff("supervisor", name="Maria")
    boss: Console = await console_factory("boss")
    t = boss.t
    await boss.login(creds)

    await boss.page.get_by_role("button", name=t("Statistics"), exact=True).click()
    table = boss.page.locator(".dimension").filter(has_text=t("What the chat was about (triage)"))
    await table.wait_for()
    text = await table.inner_text()
    assert "7" in text and t("hidden") in text  # 2 is never shown
    href = await boss.page.get_by_role("link", name=t("Download CSV")).get_attribute("href")
    # The person's centre's statistics (issue 19: /api/centres/{centre}/stats.csv).
    assert href.startswith("/api/centres/default/stats.csv?from=")
    await boss.check("rc-04-statistics")

    await boss.page.get_by_role("button", name=t("Referral directory"), exact=True).click()
    rows = boss.page.locator("table.directory-table tbody tr")
    await rows.nth(19).wait_for()
    assert await rows.count() == 20
    await boss.check("rc-05-directory")
    await rows.filter(has_text="Socialtjänsten, Mora kommun").get_by_role("button", name=t("Edit")).click()
    await boss.page.get_by_label(t("Verify before use (not yet checked)")).uncheck()
    await boss.button("Save").click()
    await rows.filter(has_text="Socialtjänsten, Mora kommun").get_by_text(t("Verified"), exact=True).wait_for()
    mora = next(
        r
        for r in (await server.durable.get_kv("centre:default", "referrals"))["receivers"]
        if r["id"] == "socialtjansten-mora"
    )
    assert mora["verify"] is False and mora["area"]["name"] == "Mora"
    assert_clean(boss)
