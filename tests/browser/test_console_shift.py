"""A compressed shift in Chromium: three counsellors (Sara in Swedish, Ali in Arabic,
Hana in Swedish) and a supervisor, eight visitors writing in Swedish, Arabic, Tigrinya
and Persian; a transfer with a note, a quick exit, a chat the visitor ends and that is
triaged afterwards, a duty-to-report case, and the supervisor's overview. Every work
view is screenshotted in Swedish and in Arabic (screenshots/console/shift-*-sv.png and
-ar.png) and checked with axe-core; the layout checks of work.py run on the way."""

from __future__ import annotations

from typing import Any

import pytest

from chat_server.transport import keys as K

from ..helpers import Recorder
from .console import Console, assert_clean, catalog
from .work import accept, assert_nothing_cut_off, assert_send_in_view, staff_console

pytestmark = pytest.mark.browser

LAW = "socialtjänstlagen (2025:400)"


async def visitor_on(live: Any, clients: list[Recorder], **params: Any) -> tuple[Recorder, str, str]:
    v = Recorder(live.url, "/visitor")
    clients.append(v)
    await v.connect()
    session = await v.wait_for("session")
    ack = await v.call("start", {"audience": "self", **params})
    assert ack["ok"], ack
    return v, ack["conversation"]["id"], session["pseudonym"]


async def say(v: Recorder, console: Console, text: str) -> None:
    await v.call("message", {"client_id": f"c{abs(hash(text)) % 10**8}", "text": text})
    await console.log().get_by_text(text).wait_for()


async def shot(console: Console, view: str, lang: str) -> None:
    await console.check(f"shift-{view}-{lang}")


async def test_a_shift(server_factory, console_browser, clients) -> None:
    # Eight visitors from one test address would hit the per-address start limit; in a
    # shift they come from eight. "pick": the counsellors choose, so the story is fixed.
    live = await server_factory(routing_mode="pick", urgent_alert_s=3, rate_limits=False)
    sara, _ = await staff_console(console_browser, live, "Sara", languages=["sv", "ar"])
    ali, _ = await staff_console(console_browser, live, "Ali", locale="ar", languages=["ar", "fa"])
    hana, _ = await staff_console(console_browser, live, "Hana", languages=["ti", "sv"])
    maria, _ = await staff_console(console_browser, live, "Maria", role="supervisor", duty=False)
    ts, ta = sara.t, ali.t

    # Eight visitors arrive.
    v1, _c1, p1 = await visitor_on(live, clients, locale="sv", age_band="18-21", topic="control")
    v2, _c2, p2 = await visitor_on(live, clients, locale="ar", age_band="16-17", topic="marriage")
    v3, _c3, p3 = await visitor_on(live, clients, locale="ti", age_band="22-26", topic="violence")
    v4, _c4, p4 = await visitor_on(live, clients, locale="fa", age_band="18-21", topic="other")
    v5, _c5, p5 = await visitor_on(live, clients, locale="sv", audience="professional")
    v6, _c6, p6 = await visitor_on(live, clients, locale="ar", age_band="22-26", topic="control")
    v7, _c7, p7 = await visitor_on(live, clients, locale="fa", age_band="16-17")
    v8, _c8, p8 = await visitor_on(live, clients, locale="ti", urgent=True, topic="violence")
    for console in (sara, ali):
        await console.page.locator("#queue-list > li.q-item").nth(7).wait_for()
    await shot(sara, "01-queue", "sv")
    await shot(ali, "01-queue", "ar")

    # --- Sara: a Swedish chat, a note, triage in the side panel, ended with it -------------
    await accept(sara, p1)
    await say(v1, sara, "Mina föräldrar bestämmer allt.")
    await sara.composer().fill("Det låter tungt. Berätta mer om du vill.")
    await sara.composer().press("Enter")
    await sara.page.get_by_role("radio", name=ts("Internal note")).check()
    await sara.composer().fill("Kontroll hemma, ingen akut fara.")
    await shot(sara, "02-note-mode", "sv")
    await sara.composer().press("Enter")
    await sara.page.get_by_role("button", name=ts("Triage"), exact=True).click()
    panel = sara.page.locator(".side-panel")
    await panel.get_by_label(ts("Honour-related control")).check()
    await panel.get_by_label(ts("Medium"), exact=True).check()
    await panel.get_by_label(ts("Advice and support")).check()
    await assert_send_in_view(sara, "Sara, triage panel")
    await shot(sara, "03-triage-panel", "sv")

    # --- Sara takes the Arabic 16-year-old: the duty to report, then a transfer -----------
    await accept(sara, p2)
    await say(v2, sara, "أهلي يريدون تزويجي")
    await sara.page.locator(".report-duty").wait_for()
    assert LAW in await sara.page.locator(".report-duty").inner_text()
    await shot(sara, "04-duty-banner", "sv")
    await sara.button("Transfer").click()
    dialog = sara.page.get_by_role("dialog")
    await dialog.get_by_label(ts("Transfer to")).select_option(
        label=await dialog.locator("option", has_text="Ali").inner_text()
    )
    await dialog.get_by_label(ts("Note for the colleague (never shown to the visitor)")).fill(
        "16 år, giftermål planeras. Orosanmälan behövs."
    )
    await shot(sara, "05-transfer", "sv")
    await dialog.get_by_role("button", name=ts("Transfer"), exact=True).click()
    await ali.tab(p2).wait_for()
    await ali.tab(p2).click()
    await ali.log().get_by_text("16 år, giftermål planeras. Orosanmälan behövs.").wait_for()
    banner = ali.page.locator(".report-duty")
    await banner.wait_for()
    assert LAW in await banner.inner_text()
    await banner.get_by_label(ta("Municipality where the child lives")).select_option(label="Borlänge")
    await banner.get_by_text("Socialtjänsten, Borlänge kommun").wait_for()
    await assert_send_in_view(ali, "Ali, reminder")
    await shot(ali, "04-duty-banner", "ar")
    await banner.get_by_role("button", name=ta("I have read this")).click()
    await ali.page.locator(".report-duty.acknowledged").wait_for()
    # The referral picker knows the municipality now.
    ali.page.on("dialog", lambda d: d.accept())
    await ali.page.get_by_role("button", name=ta("Referrals"), exact=True).click()
    picker = ali.page.locator(".side-panel")
    await picker.get_by_label("Socialtjänsten, Borlänge kommun").check()
    await assert_nothing_cut_off(ali, "Ali, referral picker")
    await shot(ali, "06-referrals", "ar")
    await picker.get_by_role("button", name=ta("Send referral cards")).click()
    assert [c["id"] for c in (await v2.wait_for("referral"))["cards"]] == ["socialtjansten-borlange"]
    # The card in the log, in Ali's Arabic console (issue 17).
    await ali.log().locator(".referral-msg .card", has_text="Socialtjänsten, Borlänge kommun").wait_for()
    await assert_nothing_cut_off(ali, "Ali, referral card in the log")
    await ali.page.get_by_role("button", name=ta("Notes"), exact=True).click()
    await ali.page.locator(".side-panel").get_by_text("16 år, giftermål planeras. Orosanmälan behövs.").wait_for()
    await shot(ali, "07-notes", "ar")

    # --- Hana: Tigrinya visitor leaves by quick exit; a professional; canned responses ---
    await accept(hana, p3)
    await say(v3, hana, "ሓገዝ የድልየኒ")
    assert (await v3.call("exit", {}))["ok"]
    await hana.tab(p3).locator(".triage-tag").wait_for()
    await accept(hana, p5)
    await say(v5, hana, "Jag är lärare och orolig för en elev.")
    await hana.composer().press_sequentially("/")
    await hana.page.get_by_role("listbox").get_by_role("option").first.wait_for()
    await shot(hana, "08-canned", "sv")
    await hana.composer().press("Escape")
    await hana.composer().fill("")
    await hana.tab(p3).click()
    await shot(hana, "09-to-triage", "sv")
    await hana.page.get_by_role("button", name=ts("Skip triage…")).click()
    await hana.page.get_by_label(ts("Why is this chat not triaged?")).select_option("no_contact")
    await hana.page.get_by_role("button", name=ts("Skip without triage")).click()
    await hana.page.locator(".countdown").wait_for()
    await shot(hana, "10-closing", "sv")

    # --- Ali: the Persian visitor ends the chat; Ali triages afterwards, in Arabic --------
    await accept(ali, p4)
    await say(v4, ali, "سلام، یک سوال دارم")
    await ali.composer().press_sequentially("/")
    await ali.page.get_by_role("listbox").get_by_role("option").first.wait_for()
    await shot(ali, "08-canned", "ar")
    await ali.composer().press("Escape")
    await ali.page.get_by_role("radio", name=ta("Internal note")).check()
    await ali.page.get_by_role("button", name=ta("Save note")).wait_for()
    await shot(ali, "02-note-mode", "ar")
    await ali.page.get_by_role("radio", name=ta("Reply to the visitor")).check()
    await ali.page.get_by_role("button", name=ta("Triage"), exact=True).click()
    await shot(ali, "03-triage-panel", "ar")
    assert (await v4.call("end", {}))["ok"]
    await ali.tab(p4).locator(".triage-tag").wait_for()
    await ali.tab(p4).click()
    await ali.page.locator(".ended-triage").wait_for()
    assert "سلام، یک سوال دارم" not in await ali.page.content()
    await shot(ali, "09-to-triage", "ar")
    form = ali.page.locator(".ended-triage")
    await form.get_by_label(ta("Other"), exact=True).check()
    await form.get_by_label(ta("Low"), exact=True).check()
    await ali.page.get_by_role("button", name=ta("Save triage")).click()
    await ali.page.locator(".countdown").wait_for()
    await shot(ali, "10-closing", "ar")

    # Sara ends her first chat; the triage from the side panel goes with the end.
    await sara.tab(p1).click()
    await sara.button("End chat").click()
    await (
        sara.page.get_by_role("dialog").get_by_text(ts("Your triage is complete and is saved with the end.")).wait_for()
    )
    await sara.page.get_by_role("dialog").get_by_role("button", name=ts("End chat")).click()
    await v1.wait_for("ended")
    await sara.page.locator(".countdown").wait_for()
    await shot(sara, "10-closing", "sv")

    # Sara's Arabic visitor steps away; Hana takes the urgent Tigrinya chat later.
    await accept(sara, p6)
    await say(v6, sara, "هل يمكنني أن أسأل؟")
    await v6.disconnect()
    away = ts("Away since {time}").split("{time}")[0].strip()
    await sara.page.locator(".chat-head .presence", has_text=away).wait_for()
    await shot(sara, "11-visitor-away", "sv")
    await sara.page.get_by_role("button", name=ts("Follow-up code"), exact=True).click()
    await shot(sara, "12-followup", "sv")
    await sara.page.get_by_role("button", name=ts("Referrals"), exact=True).click()
    await shot(sara, "06-referrals", "sv")
    await sara.page.get_by_role("button", name=ts("Notes"), exact=True).click()
    await shot(sara, "07-notes", "sv")
    await accept(ali, p7)
    await ali.page.get_by_role("button", name=ta("Follow-up code"), exact=True).click()
    await shot(ali, "12-followup", "ar")
    await ali.page.locator(".chat-head .presence").wait_for()
    await shot(ali, "11-chat", "ar")

    # --- The supervisor: who is on duty with what load, the urgent chat first ------------
    await maria.page.get_by_role("button", name=maria.t("Supervision")).click()
    chats = maria.page.get_by_role("table", name=maria.t("Live chats"))
    await chats.get_by_text(p8, exact=True).wait_for()
    first = await chats.locator("tbody tr").first.inner_text()
    assert p8 in first and maria.t("Urgent") in first  # urgent and waiting: first
    await maria.page.locator(".attention-list").get_by_text(p8).first.wait_for()
    away_row = chats.locator("tbody tr", has_text=p6)
    await away_row.get_by_text(maria.t("Visitor away")).wait_for()
    staff = maria.page.get_by_role("table", name=maria.t("Staff on duty"))
    sara_row = await staff.locator("tbody tr", has_text="Sara").inner_text()
    assert "1" in sara_row and "Svenska" in sara_row  # one active chat (p6), her languages
    ali_row = await staff.locator("tbody tr", has_text="Ali").inner_text()
    assert "2" in ali_row  # p2 (transferred) and p7
    await shot(maria, "13-supervision", "sv")
    await maria.page.locator(".lang-select").select_option("ar")
    maria.t = await catalog(live.url, "ar")
    await maria.page.locator("html[lang=ar]").wait_for(state="attached")
    await maria.page.get_by_role("button", name=maria.t("Supervision")).click()
    await maria.page.get_by_role("table", name=maria.t("Live chats")).get_by_text(p8, exact=True).wait_for()
    await shot(maria, "13-supervision", "ar")

    # Hana takes the urgent chat; the shift's numbers add up.
    await accept(hana, p8)
    await say(v8, hana, "ኣብ ገዛ ሓደጋ ኣሎ")
    await shot(hana, "11-chat", "sv")
    counted: dict[str, int] = {}
    for _day, key, n in await live.app[K.SERVICES].stats.totals("2000-01-01", "2999-12-31"):
        counted[key] = counted.get(key, 0) + n
    assert counted["triage:recorded"] == 2  # Sara's at the end, Ali's afterwards
    assert counted["triage:skipped"] == 1 and counted["triage_skip:no_contact"] == 1
    assert counted["outcome:visitor_exit"] == 1 and counted["outcome:visitor_ended"] == 1
    assert_clean(sara, ali, hana, maria)
