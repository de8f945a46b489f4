"""The operator console in Chromium: login with TOTP, two operators and three visitors,
queue, tabs, typing, canned responses, internal notes, transfer with a note, a
supervisor observing silently, ending a chat. Every screen is screenshotted
(screenshots/console/) and checked with axe-core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ..conftest import LiveServer
from ..helpers import Recorder
from .console import DESKTOP, Console, assert_clean, catalog, start_visitor, watch_errors

pytestmark = pytest.mark.browser


async def test_operators_queue_chats_transfer_and_observe(server, console_factory, visitor) -> None:
    sara_creds = await server.create_staff("operator", name="Sara", languages=["sv", "ar", "en"])
    ali_creds = await server.create_staff("operator", name="Ali", languages=["sv", "ar"])
    boss_creds = await server.create_staff("supervisor", name="Maria")
    sara = await console_factory("sara")
    ali = await console_factory("ali")
    boss = await console_factory("boss")
    t = sara.t

    await sara.login(sara_creds, screen="01-login")
    await sara.check("02-work-off-duty")
    await sara.go_on_duty()
    await ali.login(ali_creds)
    await ali.go_on_duty()

    # Three visitors wait: an urgent one, an Arabic-speaking 16-year-old, a professional.
    v1, c1, p1 = await start_visitor(visitor, locale="sv", urgent=True, topic="control")
    v2, c2, p2 = await start_visitor(visitor, locale="ar", age_band="16-17", topic="marriage")
    v3, c3, p3 = await start_visitor(visitor, locale="en", audience="professional")
    queue = sara.page.locator("#queue-list > li.q-item")
    await queue.nth(2).wait_for()
    assert await queue.count() == 3
    first = await queue.first.inner_text()
    assert p1 in first and t("Urgent") in first  # urgent first
    await sara.check("03-queue")

    # Alt+A accepts the first chat; the second by its button.
    await sara.page.keyboard.press("Alt+a")
    await sara.tab(p1).wait_for()
    await sara.page.get_by_role("button", name=t("Accept the chat with {name}").replace("{name}", p2)).click()
    await sara.tab(p2).wait_for()
    await v1.wait_for("state", lambda d: d["state"] == "active")

    # Visitor 1 writes; Sara answers with Enter.
    await sara.tab(p1).click()
    await v1.call("message", {"client_id": "v1a", "text": "Hej, jag behöver hjälp."})
    await sara.log().get_by_text("Hej, jag behöver hjälp.").wait_for()
    await v1.call("typing", {"active": True})
    await sara.page.get_by_text(t("{name} is typing…").replace("{name}", p1)).wait_for()
    await sara.composer().fill("Hej! Jag heter Sara. Berätta gärna.")
    await sara.composer().press("Enter")
    await v1.wait_for("message", lambda m: m.get("text") == "Hej! Jag heter Sara. Berätta gärna.")

    # A message in the other chat raises its unread count.
    await v2.call("message", {"client_id": "v2a", "text": "مرحبا، أحتاج مساعدة"})
    await sara.tab(p2).locator(".badge").wait_for()
    assert (await sara.tab(p2).locator(".badge").inner_text()).strip() == "1"

    # An internal note: staff only.
    await sara.page.get_by_role("radio", name=t("Internal note")).check()
    await sara.composer().fill("Verkar rädd, fråga om skola.")
    await sara.composer().press("Enter")
    await sara.log().locator(".msg.note").get_by_text("Verkar rädd, fråga om skola.").wait_for()
    await sara.page.get_by_role("radio", name=t("Reply to the visitor")).check()
    await sara.check("04-chat")

    # Canned response in the visitor's language (Arabic chat).
    await sara.tab(p2).click()
    assert await sara.tab(p2).locator(".badge").count() == 0
    await sara.composer().press_sequentially("/")
    await sara.page.get_by_role("listbox").get_by_role("option").first.wait_for()
    await sara.composer().press("Enter")  # inserts the first canned response, sends nothing
    inserted = await sara.composer().input_value()
    assert "Sara" in inserted
    await sara.composer().press("Enter")
    await v2.wait_for("message", lambda m: m.get("from") == "operator" and "Sara" in m["text"])
    await sara.check("05-chat-arabic-visitor")

    # A reload picks up where Sara was: both chats, with their history and the note.
    await sara.page.reload()
    await sara.tab(p1).wait_for()
    await sara.tab(p2).click()
    await sara.log().get_by_text("مرحبا، أحتاج مساعدة").wait_for()
    await sara.tab(p1).click()
    await sara.log().locator(".msg.note").get_by_text("Verkar rädd, fråga om skola.").wait_for()
    await sara.tab(p2).click()

    # Transfer chat 2 to Ali with a note.
    await sara.button("Transfer").click()
    dialog = sara.page.get_by_role("dialog")
    await dialog.get_by_label(t("Transfer to")).select_option(
        label=await dialog.locator("option", has_text="Ali").inner_text()
    )
    await dialog.get_by_label(t("Note for the colleague (never shown to the visitor)")).fill(
        "Hon är 16, gift mot sin vilja?"
    )
    await sara.check("06-transfer-dialog")
    await dialog.get_by_role("button", name=t("Transfer"), exact=True).click()
    await ali.tab(p2).wait_for()
    await ali.log().get_by_text("Hon är 16, gift mot sin vilja?").wait_for()
    await sara.tab(p2).wait_for(state="detached")
    await ali.check("07-transferred-chat")
    assert not any("gift mot sin vilja" in (m.get("text") or "") for m in v2.received("message"))
    assert not any("fråga om skola" in (m.get("text") or "") for m in v1.received("message"))

    # The supervisor sees every live chat and observes one silently.
    await boss.login(boss_creds)
    await boss.page.get_by_role("button", name=t("Supervision")).click()
    table = boss.page.get_by_role("table", name=t("Live chats"))
    await table.get_by_text(p3, exact=True).wait_for()
    await table.get_by_text(p1, exact=True).wait_for()
    await boss.check("08-supervision")
    await boss.page.get_by_role("button", name=t("Observe the chat with {name}").replace("{name}", p1)).click()
    await boss.tab(p1).wait_for()
    await v1.call("message", {"client_id": "v1b", "text": "Mamma läser mina meddelanden."})
    await boss.log().get_by_text("Mamma läser mina meddelanden.").wait_for()
    assert await boss.composer().count() == 0  # observers cannot write
    await boss.check("09-observing")
    assert not any(m.get("from") == "system" and "Maria" in m.get("text", "") for m in v1.received("message"))

    # Ali invites Sara (as an interpreter) into chat 2; she can write there, then leaves.
    await ali.button("Invite").click()
    dialog = ali.page.get_by_role("dialog")
    colleague = dialog.get_by_label(t("Colleague"))
    await colleague.select_option(label=await dialog.locator("option", has_text="Sara").inner_text())
    await ali.check("12-invite-dialog")
    await dialog.get_by_role("button", name=t("Invite"), exact=True).click()
    await sara.tab(p2).wait_for()
    await sara.tab(p2).click()
    await sara.composer().fill("Jag tolkar: hej!")
    await sara.composer().press("Enter")
    await v2.wait_for("message", lambda m: m.get("text") == "Jag tolkar: hej!")
    await ali.log().get_by_text("Jag tolkar: hej!").wait_for()
    await sara.button("Leave the chat").click()
    await sara.tab(p2).wait_for(state="detached")

    # Sara takes the professional's chat and blocks it (abuse).
    await sara.page.keyboard.press("Alt+a")
    await sara.tab(p3).wait_for()
    await sara.tab(p3).click()
    await sara.button("Block").click()
    await sara.check("13-block-dialog")
    await sara.page.get_by_role("dialog").get_by_role("button", name=t("Block and end")).click()
    await v3.wait_for("ended", lambda d: d["reason"] == "blocked")
    again = await v3.call("start", {"audience": "self"})
    assert again["ok"] is False and again["error"]["code"] == "forbidden"

    # Sara ends chat 1 through the end dialog.
    await sara.tab(p1).click()
    await sara.button("End chat").click()
    await sara.check("10-end-dialog")
    await sara.page.get_by_role("dialog").get_by_role("button", name=t("End chat")).click()
    await v1.wait_for("ended", lambda d: d["reason"] == "operator_ended")
    await sara.page.locator(".ended-title", has_text=t("The chat was ended.")).wait_for()
    await boss.page.locator(".ended-title", has_text=t("The chat was ended.")).wait_for()
    await sara.check("11-ended")
    # Nothing about visitors is kept in the browser's storage: only the UI language.
    for c in (sara, ali, boss):
        stored = await c.page.evaluate(
            "() => ({local: Object.keys(localStorage), session: Object.keys(sessionStorage)})"
        )
        assert stored["session"] == [] and set(stored["local"]) <= {"rc-console-locale"}, stored
    assert_clean(sara, ali, boss)


async def test_supervisor_alerted_about_waiting_urgent_chat(
    console_browser: Any,
    server_factory: Callable[..., Awaitable[LiveServer]],
    clients: list[Recorder],
) -> None:
    live = await server_factory(urgent_alert_s=1)
    context = await console_browser.new_context(viewport=DESKTOP, locale="sv-SE", timezone_id="Europe/Stockholm")
    context.set_default_timeout(10_000)
    boss = Console(await context.new_page(), live, "boss", await catalog(live.url, "sv"))
    watch_errors(boss)
    await boss.login(await live.create_staff("supervisor", name="Maria"))
    v = Recorder(live.url, "/visitor")
    clients.append(v)
    await v.connect()
    session = await v.wait_for("session")
    assert (await v.call("start", {"audience": "self", "urgent": True}))["ok"]
    alert = boss.page.locator("#alerts .alert-item")
    await alert.wait_for()
    assert session["pseudonym"] in await alert.inner_text()
    await boss.check("14-urgent-alert")
    await alert.get_by_role("button", name=boss.t("Dismiss")).click()
    await alert.wait_for(state="detached")
    assert_clean(boss)
