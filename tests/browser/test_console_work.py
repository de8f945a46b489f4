"""The counsellor's work view in Chromium, point by point (issue 18): every chat gets
its triage, the duty-to-report reminder in the chat, tools in a side panel that never
moves the conversation, the composer's two modes and canned responses by "/", desktop
notifications, sound after a reload, presence, chats that close themselves, and a layout
that holds at 1280×800, 1024×768 and 360×640 in Swedish and Arabic. Screenshots in
screenshots/console/work-*.png, each screen checked with axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chat_server.transport import keys as K

from .console import assert_clean, catalog
from .work import (
    RECORD_NOTIFICATIONS,
    accept,
    assert_no_sideways_scroll,
    assert_nothing_cut_off,
    assert_send_in_view,
    box,
    open_console,
    staff_console,
    start_chat,
)

pytestmark = pytest.mark.browser


async def totals(server: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for _day, key, n in await server.app[K.SERVICES].stats.totals("2000-01-01", "2999-12-31"):
        out[key] = out.get(key, 0) + n
    return out


async def test_every_chat_gets_its_triage(server, console_browser, visitor) -> None:
    sara, _ = await staff_console(console_browser, server, "Sara", languages=["sv", "ar"])
    t, page = sara.t, sara.page

    # The visitor ends the chat: it stays as "to triage", its messages are gone.
    v1, _c1, p1 = await start_chat(visitor, locale="sv", age_band="18-21", topic="other")
    await accept(sara, p1)
    await v1.call("message", {"client_id": "a", "text": "Jag vill bara prata lite."})
    await sara.log().get_by_text("Jag vill bara prata lite.").wait_for()
    assert (await v1.call("end", {}))["ok"]
    await page.locator(".ended-title", has_text=t("The visitor ended the chat.")).wait_for()
    assert "Jag vill bara prata lite." not in await page.content()
    await sara.tab(p1).locator(".triage-tag").wait_for()
    await page.locator("#to-triage").get_by_role("button", name=re.compile(p1)).wait_for()
    await sara.check("work-01-to-triage")
    form = page.locator(".ended-triage")
    await page.get_by_role("button", name=t("Save triage")).click()
    await form.get_by_text(t("Choose at least one category and a risk level.")).wait_for()
    await form.get_by_label(t("Honour-related control")).check()
    await form.get_by_label(t("Low"), exact=True).check()
    await page.get_by_role("button", name=t("Save triage")).click()
    await page.get_by_text(t("The triage is saved. Thank you.")).wait_for()
    await page.locator(".countdown").wait_for()  # closes itself, visibly
    await sara.check("work-02-triaged-closing")
    counted = await totals(server)
    assert counted["triage:recorded"] == 1 and counted["category:honour_control"] == 1
    await sara.tab(p1).wait_for(state="detached", timeout=15_000)

    # Quick exit: skipped with a reason.
    v2, _c2, p2 = await start_chat(visitor, locale="sv")
    await accept(sara, p2)
    assert (await v2.call("exit", {}))["ok"]
    await page.locator(".ended-title", has_text=t("The visitor used quick exit.")).wait_for()
    await page.get_by_role("button", name=t("Skip triage…")).click()
    await page.get_by_role("button", name=t("Skip without triage")).click()
    await page.get_by_text(t("Choose a reason for skipping the triage.")).wait_for()
    await page.get_by_label(t("Why is this chat not triaged?")).select_option("test")
    await sara.check("work-03-skip")
    await page.get_by_role("button", name=t("Skip without triage")).click()
    await page.get_by_text(t("The triage was skipped.")).wait_for()
    counted = await totals(server)
    assert counted["triage:skipped"] == 1 and counted["triage_skip:test"] == 1
    await page.get_by_role("button", name=t("Close now")).click()
    await sara.tab(p2).wait_for(state="detached")

    # Ended while the console was away: after a reload it is still there, without content.
    v3, _c3, p3 = await start_chat(visitor, locale="ar", age_band="22-26")
    await accept(sara, p3)
    await v3.call("message", {"client_id": "b", "text": "مرحبا"})
    await sara.log().get_by_text("مرحبا").wait_for()
    old = page
    page = sara.page = await old.context.new_page()
    await old.close()
    assert (await v3.call("end", {}))["ok"]
    await page.goto(server.url + "/console/")  # the staff session is still there
    await sara.tab(p3).locator(".triage-tag").wait_for()
    await sara.tab(p3).click()
    assert "مرحبا" not in await page.content()
    # Logging out with a chat still to triage asks first.
    await page.get_by_role("button", name=t("Log out")).click()
    dialog = page.get_by_role("dialog")
    asks = t(
        "Chats waiting for your triage: {n}. They wait for you for 24 hours, then they count as not triaged. "
        "Log out anyway?"
    )
    await dialog.get_by_text(asks.replace("{n}", "1")).wait_for()
    await dialog.get_by_role("button", name=t("Cancel")).click()
    await page.locator(".ended-triage").get_by_label(t("Other"), exact=True).check()
    await page.locator(".ended-triage").get_by_label(t("Medium"), exact=True).check()
    await page.get_by_role("button", name=t("Save triage")).click()
    await page.get_by_text(t("The triage is saved. Thank you.")).wait_for()
    assert (await totals(server))["triage:recorded"] == 2
    assert_clean(sara)


LAW = "socialtjänstlagen (2025:400)"


async def test_duty_to_report_in_the_chat(server, console_browser, visitor) -> None:
    sara, _ = await staff_console(console_browser, server, "Sara", languages=["sv", "ar"])
    t, page = sara.t, sara.page

    # A 13-15-year-old writing about marriage: the reminder shows at once, in the chat.
    v1, c1, p1 = await start_chat(visitor, locale="sv", age_band="13-15", topic="marriage")
    await accept(sara, p1)
    banner = page.locator(".report-duty")
    await banner.wait_for()
    text = await banner.inner_text()
    assert LAW in text and "112" in text and "2001:453" not in text
    unknown = (
        "The municipality is not known. If it is safe, ask where the visitor lives. You can also report "
        "to the social services where your centre is; they forward the report."
    )
    assert t(unknown) in text
    # Above the conversation, never below the fold: the composer is still on screen.
    assert (await box(sara, ".report-duty"))["y"] < (await box(sara, ".log"))["y"]
    await assert_send_in_view(sara, "with the reminder")
    await banner.get_by_label(t("Municipality where the child lives")).select_option(label="Falun")
    await banner.get_by_text("Socialtjänsten, Falun kommun").wait_for()
    assert await banner.locator("a[href^='tel:']").count() >= 1
    await sara.check("work-04-duty-banner")
    await banner.get_by_role("button", name=t("I have read this")).click()
    await page.locator(".report-duty.acknowledged .duty-by", has_text="Sara").wait_for()
    await sara.check("work-05-duty-acknowledged")
    # The marks live on the server: a reload keeps the municipality and the acknowledgement.
    await page.reload()
    await sara.tab(p1).click()
    await page.locator(".report-duty.acknowledged").wait_for()
    await page.get_by_role("button", name=t("Show what to do")).click()
    await page.locator(".report-duty").get_by_text("Socialtjänsten, Falun kommun").wait_for()

    # An adult by their own answer: no reminder, until the counsellor's triage says a
    # child and harm.
    v2, c2, p2 = await start_chat(visitor, locale="sv", age_band="22-26", topic="other")
    await accept(sara, p2)
    await page.get_by_role("button", name=t("Triage"), exact=True).click()
    panel = page.locator(".side-panel")
    await panel.get_by_label(t("Age band")).select_option("16-17")
    assert await page.locator(".report-duty").count() == 0
    await panel.get_by_label(t("Violence"), exact=True).check()
    await page.locator(".report-duty").wait_for()
    await panel.get_by_label(t("High"), exact=True).check()
    await panel.get_by_label(t("Report of concern to social services")).check()
    await sara.check("work-06-duty-from-triage")
    # Ending with the triage filled in sends it with the end; the reminder holds the
    # ended chat open until someone has read it.
    await sara.button("End chat").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text(t("Your triage is complete and is saved with the end.")).wait_for()
    await dialog.get_by_role("button", name=t("End chat")).click()
    await v2.wait_for("ended")
    counted = await totals(server)
    assert counted["action:report_of_concern"] == 1 and counted["category:violence"] == 1
    await page.wait_for_timeout(9_500)  # longer than the countdown
    await sara.tab(p2).wait_for()
    await page.locator(".report-duty").get_by_role("button", name=t("I have read this")).click()
    await sara.tab(p2).wait_for(state="detached", timeout=15_000)
    assert c1 and c2
    assert_clean(sara)


async def test_the_reminder_in_arabic_cites_the_swedish_law(server, console_browser, visitor) -> None:
    ali, _ = await staff_console(console_browser, server, "Ali", locale="ar", languages=["ar", "fa"])
    v, _cid, p = await start_chat(visitor, locale="fa", age_band="16-17", topic="fgm")
    await accept(ali, p)
    banner = ali.page.locator(".report-duty")
    await banner.wait_for()
    assert await ali.page.evaluate("document.documentElement.dir") == "rtl"
    assert LAW in await banner.inner_text()  # the citation is the same Swedish words
    await ali.check("work-07-duty-banner-ar")
    # Times inside right-to-left text are isolated left to right.
    assert await ali.page.locator(".chat time:not([dir=ltr])").count() == 0
    await assert_send_in_view(ali, "Arabic, with the reminder")
    assert v
    assert_clean(ali)


async def test_tools_open_beside_the_conversation(server, console_browser, visitor) -> None:
    sara, _ = await staff_console(console_browser, server, "Sara", languages=["sv", "ar"])
    t, page = sara.t, sara.page
    page.on("dialog", lambda d: d.accept())  # "not verified yet"
    v, _cid, p = await start_chat(visitor, locale="ar", age_band="16-17", topic="control")
    await accept(sara, p)
    await v.call("message", {"client_id": "a", "text": "أنا خائفة"})
    await sara.composer().fill("Anteckning före")
    await page.get_by_role("radio", name=t("Internal note")).check()
    await sara.composer().press("Enter")
    await sara.log().locator(".msg.note").wait_for()

    await page.get_by_label(t("Municipality where the child lives")).wait_for()  # the reminder is complete
    before = {s: await box(sara, s) for s in (".log", ".composer")}
    for label in ("Referrals", "Follow-up code", "Notes", "Triage"):
        await page.get_by_role("button", name=t(label), exact=True).click()
        await page.locator(".side-panel h2", has_text=t(label)).wait_for()
        after = {s: await box(sara, s) for s in (".log", ".composer")}
        for s in before:
            # The conversation keeps its place and height: only its width gives room.
            assert abs(after[s]["y"] - before[s]["y"]) < 1 and abs(after[s]["height"] - before[s]["height"]) < 1, (
                label,
                s,
            )
            assert abs(after[s]["x"] - before[s]["x"]) < 1, (label, s)
        await assert_send_in_view(sara, f"{label} open")
        assert await page.evaluate("document.getElementById('main').scrollTop") == 0
    await page.get_by_role("button", name=t("Notes"), exact=True).click()
    await page.locator(".side-panel").get_by_text("Anteckning före").wait_for()
    await sara.check("work-08-notes-panel")

    # Referrals: grouped by type and area, narrowed to the visitor's municipality.
    await page.get_by_role("button", name=t("Referrals"), exact=True).click()
    panel = page.locator(".side-panel")
    await panel.locator("fieldset.referral-type").first.wait_for()
    legends = await panel.locator("fieldset.referral-type > legend").all_inner_texts()
    assert len(legends) >= 3 and len(set(legends)) == len(legends)
    assert await panel.get_by_label(re.compile("Socialtjänsten, .* kommun")).count() == 15
    await panel.get_by_label(t("The visitor's municipality")).select_option(label="Mora")
    assert await panel.get_by_label(re.compile("Socialtjänsten, .* kommun")).count() == 1
    await panel.get_by_label(t("Show every area")).check()
    assert await panel.get_by_label(re.compile("Socialtjänsten, .* kommun")).count() == 15
    await panel.get_by_label(t("Show every area")).uncheck()
    await panel.get_by_label("Socialtjänsten, Mora kommun").check()
    await panel.get_by_label("112 – SOS Alarm").check()
    await sara.check("work-09-referral-picker")
    await panel.get_by_role("button", name=t("Send referral cards")).click()
    cards = (await v.wait_for("referral"))["cards"]
    assert sorted(c["id"] for c in cards) == ["emergency-112", "socialtjansten-mora"]
    # What was sent shows in the log (the server's record: the cards themselves, issue
    # 17); the municipality is the chat's, so the reminder names Mora's social services too.
    await sara.log().locator(".referral-msg .card", has_text="Socialtjänsten, Mora kommun").wait_for()
    await page.locator(".report-duty").get_by_text("Socialtjänsten, Mora kommun").wait_for()
    await sara.check("work-10-referral-sent")

    await page.get_by_role("button", name=t("Follow-up code"), exact=True).click()
    await panel.get_by_label(t("Summary for a later conversation")).wait_for()
    await sara.check("work-11-followup-panel")
    await page.get_by_role("button", name=t("Close {tool}").replace("{tool}", t("Follow-up code"))).click()
    await panel.wait_for(state="detached")
    assert_clean(sara)


async def test_composer_canned_notifications_sound_presence(server, console_browser, visitor) -> None:
    creds = await server.create_staff("operator", name="Sara", languages=["sv", "ar"])
    sara = await open_console(console_browser, server, "Sara")
    await sara.page.context.add_init_script(RECORD_NOTIFICATIONS)
    await sara.login(creds)
    await sara.go_on_duty()
    t, page = sara.t, sara.page
    ar = await catalog(server.url, "ar")

    v, _cid, p = await start_chat(visitor, locale="ar", topic="control")
    await accept(sara, p)

    # Canned responses by "/": titles in Swedish, the text inserted in Arabic.
    await sara.composer().press_sequentially("Hej /fara")
    listbox = page.get_by_role("listbox")
    option = listbox.get_by_role("option").first
    await option.wait_for()
    assert t("Danger now") in await option.inner_text()
    assert await listbox.get_by_role("option").count() == 1
    assert await sara.composer().get_attribute("aria-activedescendant")
    await sara.check("work-12-canned")
    await sara.composer().press("Enter")
    danger = ar("If you are in danger right now, call 112. You can keep writing to me as well.")
    assert await sara.composer().input_value() == f"Hej {danger}"
    assert not [m for m in v.received("message") if m["from"] == "operator"]  # inserting sent nothing
    await sara.composer().press("Enter")
    await v.wait_for("message", lambda m: m.get("text") == f"Hej {danger}")

    # Reply and note: two clearly different modes; a note is a one-off.
    assert await page.get_by_role("button", name=t("Send to visitor")).count() == 1
    await page.get_by_role("radio", name=t("Internal note")).check()
    await page.get_by_role("button", name=t("Save note")).wait_for()
    assert await page.get_by_role("button", name=t("Send to visitor")).count() == 0
    await page.locator(".note-banner").wait_for()
    await sara.check("work-13-note-mode")
    await sara.composer().fill("Ring tillbaka i morgon?")
    await sara.composer().press("Enter")
    await sara.log().locator(".msg.note", has_text="Ring tillbaka i morgon?").wait_for()
    await page.get_by_role("button", name=t("Send to visitor")).wait_for()
    assert await page.get_by_role("radio", name=t("Reply to the visitor")).is_checked()
    assert not any("Ring tillbaka" in (m.get("text") or "") for m in v.received("message"))

    # Desktop notifications: opt-in, asked from a click and never on load; nothing about
    # the visitor in them.
    assert await page.evaluate("window.__asked") == 0
    await page.context.grant_permissions(["notifications"], origin=server.url)  # what the prompt would answer
    await page.get_by_role("button", name=t("Turn on desktop notifications")).click()
    await page.get_by_role("button", name=t("Turn off desktop notifications")).wait_for()
    await page.evaluate("() => { document.hasFocus = () => false; }")  # the console is behind
    v2, _c2, p2 = await start_chat(visitor, locale="sv")
    await page.wait_for_function("() => window.__notes.length >= 1")
    await accept(sara, p2)
    await sara.tab(p).click()
    await v2.call("message", {"client_id": "x", "text": "Hemligt innehåll"})
    await page.wait_for_function("() => window.__notes.length >= 2")
    notes = await page.evaluate("window.__notes")
    titles = [n["title"] for n in notes]
    assert t("A new chat is waiting") in titles
    assert t("New message in chat {name}").replace("{name}", p2) in titles
    assert not any("Hemligt" in repr(n) for n in notes)

    # Presence follows the visitor.
    await v.disconnect()
    away = page.locator(".chat-head .presence", has_text=t("Away since {time}").split("{time}")[0].strip())
    await away.wait_for()
    assert re.search(r"\u2066\d\d:\d\d\u2069", await away.text_content() or "")  # the time, isolated
    await sara.check("work-14-away")

    # After a reload the browser plays no sound until a click: the console says so.
    await page.reload()
    sound = page.get_by_role("button", name=t("Sound is off. Click to turn it on"))
    await sound.wait_for()
    await sara.check("work-15-sound-off")
    await sound.click()
    await sound.wait_for(state="detached")
    assert_clean(sara)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_the_work_view_holds_at_every_size(server, console_browser, visitor, locale: str) -> None:
    sara, _ = await staff_console(console_browser, server, "Sara", locale=locale, languages=["sv", "ar"])
    t, page = sara.t, sara.page
    for n in range(3):
        _v, _c, p = await start_chat(
            visitor, locale="ar" if n else "sv", age_band="13-15", topic="violence", urgent=n == 0
        )
        await accept(sara, p)
    await sara.composer().fill("Ett långt utkast " * 20)
    await page.get_by_role("button", name=t("Referrals"), exact=True).click()
    for size in ({"width": 1280, "height": 800}, {"width": 1024, "height": 768}):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(150)
        await assert_send_in_view(sara, f"{locale} {size}")
        await assert_no_sideways_scroll(sara, f"{locale} {size}")
        await assert_nothing_cut_off(sara, f"{locale} {size}")
        # A notice never covers Send (a saved note says so in one).
        await page.get_by_role("radio", name=t("Internal note")).check()
        await sara.composer().fill(f"Anteckning vid {size['width']}")
        await sara.composer().press("Enter")
        await page.locator("#toasts .toast").last.wait_for()
        await assert_send_in_view(sara, f"{locale} {size} with a notice")
        await sara.check(f"work-16-layout-{size['width']}-{locale}")
    await page.set_viewport_size({"width": 360, "height": 640})
    await page.wait_for_timeout(150)
    await assert_no_sideways_scroll(sara, f"{locale} phone, panel open")
    await assert_nothing_cut_off(sara, f"{locale} phone, panel open")
    await sara.check(f"work-17-phone-panel-{locale}")
    await page.get_by_role("button", name=t("Back to the conversation")).click()
    await assert_no_sideways_scroll(sara, f"{locale} phone")
    await assert_nothing_cut_off(sara, f"{locale} phone")
    await sara.composer().scroll_into_view_if_needed()
    await sara.check(f"work-18-phone-{locale}")
    assert_clean(sara)
