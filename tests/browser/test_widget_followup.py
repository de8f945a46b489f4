"""Anonymous follow-up codes in the widget, end to end in Chromium.

A visitor asks for a code during the chat (from the chat bar's menu, or from the end
confirmation); the operator writes a summary; the code is shown once (large, left to
right, in a sheet above the composer, and read out through the polite status region)
and stays on the ended screen. A new visitor enters the code in the start flow: the operator who accepts the
chat sees the summary as a staff-only note, the visitor never does. A wrong code shows
the server's message and the chat goes on. Every new state is checked with axe-core and
screenshotted (screenshots/widget/followup-*).
"""

from __future__ import annotations

from .conftest import Operator, Visitor, assert_no_violations

SUMMARY = "Kontroll hemma, vill prata om skolan. Ring inte hem."


async def _request_code(v: Visitor, op: Operator, via_end: bool = False) -> str:
    """The visitor asks (from the chat, or from the end-chat confirmation), the operator
    writes the summary; returns the code shown."""
    frame = v.frame
    mark = op.rec.mark()
    if via_end:
        await v.chat_action("End chat")
        confirm = frame.get_by_role("dialog", name=v.t("Do you want to end the chat?"))
        await confirm.get_by_text(v.t("If you want to continue later, get a code before you end the chat.")).wait_for()
        await v.check("confirm-end-offers-code")
        await confirm.get_by_role("button", name=v.t("Get a code to continue later")).click()
        # The chat goes on: the confirmation closes, the code will come.
        await confirm.wait_for(state="hidden")
    else:
        await v.chat_action("Get a code to continue later")
    req = await op.rec.wait_for("followup_requested", after=mark)
    assert req["conversation_id"] == op.conversation_id
    await frame.get_by_text(v.t("The counsellor has been asked for a code. It will be shown here.")).wait_for()
    ack = await op.rec.call("followup_summary", {"conversation_id": op.conversation_id, "summary": SUMMARY})
    assert ack["ok"], ack
    sheet = frame.get_by_role("dialog", name=v.t("Your code to continue later"))
    box = sheet.locator(".code-box")
    await box.wait_for()
    code_el = box.locator(".code")
    assert await code_el.get_attribute("dir") == "ltr"
    groups = await code_el.locator(".code-group").all_inner_texts()
    assert len(groups) == 4 and all(len(g) == 4 for g in groups), groups
    # Read out in the polite status region, one character at a time; the composer keeps
    # the focus.
    spoken = ", ".join(" ".join(g) for g in groups)
    announcer = frame.locator(".announcer")
    assert await announcer.get_attribute("role") == "status"
    assert spoken in await announcer.inner_text()
    await v.composer.wait_for()
    await box.get_by_text(
        v.t(
            "This code is shown only once. Write it down somewhere safe, or remember it. "
            "It is not saved in your browser."
        )
    ).wait_for()
    return "-".join(groups)


async def test_code_given_and_redeemed(visitor_factory, operator_factory) -> None:
    op: Operator = await operator_factory()
    first: Visitor = await visitor_factory("sv", prefix="followup-")
    await first.open_host()
    await first.open_widget()
    await first.start_chat("Svenska")
    # While waiting there is nobody to write a summary yet: not among the actions.
    items = await first.chat_menu()
    await items.get_by_role("button", name=first.t("End chat")).wait_for()
    assert await items.get_by_role("button", name=first.t("Get a code to continue later")).count() == 0
    await first.chat_menu(open=False)
    await op.accept_next()
    items = await first.chat_menu()
    await items.get_by_role("button", name=first.t("Get a code to continue later")).wait_for()
    await first.check("active-get-code")

    code = await _request_code(first, op)
    await first.check("code-shown")

    # The code is not kept anywhere in the browser (cookies, localStorage).
    state = await first.context.storage_state()
    assert state["cookies"] == [] and all(not o["localStorage"] for o in state["origins"])

    await op.end()
    await first.expect_heading("The chat has ended")
    ended_code = await first.frame.locator(".code-box .code-group").all_inner_texts()
    assert "-".join(ended_code) == code
    await first.check("ended-with-code")
    assert_no_violations(first)

    # A new visitor (a new browser context) enters the code in the start flow.
    qmark = op.rec.mark()
    second: Visitor = await visitor_factory("sv", prefix="followup-back-")
    await second.open_host()
    await second.open_widget()
    await second.choose_language("Svenska")
    await second.frame.get_by_text(second.t("I have a code from an earlier chat")).click()
    field = second.frame.get_by_role("textbox", name=second.t("Code from an earlier chat (optional)"))
    assert await field.get_attribute("autocomplete") == "off"
    assert await field.get_attribute("spellcheck") == "false"
    assert await field.get_attribute("autocapitalize") == "characters"
    # Forgiving input: lower case and spaces instead of dashes.
    await field.fill(code.lower().replace("-", " "))
    await second.check("code-entry")
    await second.button("Myself").click()
    await second.button("Skip this question").click()
    await second.button("No", exact=True).click()
    await second.button("Skip this question").click()
    await second.composer.wait_for()
    await second.frame.get_by_text(
        second.t("Your code was accepted. The counsellor can read the summary of your earlier chat.")
    ).wait_for()
    await second.check("code-accepted")

    queue = await op.rec.wait_for("queue", lambda d: bool(d and d.get("items")), after=qmark)
    cid = queue["items"][0]["id"]
    ack = await op.rec.call("accept", {"conversation_id": cid})
    assert ack["ok"], ack
    assigned = await op.rec.wait_for("assigned", lambda d: d["conversation"]["id"] == cid)
    notes = [m for m in assigned["messages"] if m.get("code") == "followup_summary"]
    assert len(notes) == 1, assigned["messages"]
    assert notes[0].get("internal") is True
    assert SUMMARY in notes[0]["text"]
    # The visitor never sees the summary.
    assert await second.frame.get_by_text(SUMMARY).count() == 0
    assert_no_violations(second)


async def test_wrong_code_does_not_block_the_chat(visitor_factory, operator_factory) -> None:
    await operator_factory()
    v: Visitor = await visitor_factory("sv", prefix="followup-wrong-")
    await v.open_host()
    await v.open_widget()
    await v.choose_language("Svenska")
    await v.frame.get_by_text(v.t("I have a code from an earlier chat")).click()
    await v.frame.get_by_role("textbox", name=v.t("Code from an earlier chat (optional)")).fill("7KQ2-M9XD-4RTA-HV3C")
    await v.button("Myself").click()
    await v.button("Skip this question").click()
    await v.button("No", exact=True).click()
    await v.button("Skip this question").click()
    await v.composer.wait_for()
    await v.frame.get_by_text(v.t("That code is not valid. Check it and try again.")).wait_for()
    await v.frame.get_by_text(
        v.t("The chat continues as usual. You can tell the counsellor about your earlier chat yourself.")
    ).wait_for()
    await v.check("code-wrong")
    # One more try from inside the chat.
    retry = v.frame.locator(".code-retry")
    await retry.get_by_role("textbox").fill("7KQ2-M9XD-4RTA-HV3D")
    await retry.get_by_role("button", name=v.t("Check the code")).click()
    await v.frame.locator(".code-retry").wait_for()
    await v.frame.get_by_text(v.t("That code is not valid. Check it and try again.")).wait_for()
    # The chat works as usual.
    await v.send("Hej")
    await v.frame.locator(".msg--mine .tick--delivered").wait_for()
    assert_no_violations(v)


async def test_quick_exit_wipes_the_code(visitor_factory, operator_factory) -> None:
    op: Operator = await operator_factory()
    v: Visitor = await visitor_factory("sv", prefix="followup-exit-")
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()
    code = await _request_code(v, op, via_end=True)
    assert_no_violations(v)
    await v.frame.get_by_role("button", name=v.t("Quick exit")).click()
    await v.page.wait_for_url(v.host.exit_url)
    assert code not in await v.page.content()


async def test_lost_conversation_offers_a_new_one(visitor_factory, operator_factory) -> None:
    """The server loses the conversation (as after a Redis restart): the next message is
    refused, and the widget says so plainly and offers a new chat instead of hanging."""
    from chat_server.transport import keys as K

    op: Operator = await operator_factory()
    v: Visitor = await visitor_factory("sv", prefix="lost-")
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    queue = await op.rec.wait_for("queue", lambda d: bool(d and d.get("items")))
    cid = queue["items"][0]["id"]
    eph = v.chat.app[K.EPHEMERAL]
    assert await eph.delete("conv", cid)
    await eph.delete_messages(cid)
    await v.send("Är du kvar?")
    await v.expect_heading("The chat has ended")
    await v.frame.get_by_text(v.t("Your conversation has ended. You can start a new one.")).wait_for()
    await v.check("conversation-lost")
    await v.button("Start a new chat").click()
    await v.expect_heading("Talk to us anonymously")
    assert_no_violations(v)


async def test_a_visitor_cancels_their_code(visitor_factory, operator_factory) -> None:
    """Someone might find the code: the visitor cancels it on the ended screen, or types
    one in the start flow and cancels it instead of using it."""
    from chat_server.services.followup import NAMESPACE
    from chat_server.transport import keys as K

    op: Operator = await operator_factory()
    v: Visitor = await visitor_factory("sv", prefix="followup-cancel-")
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()
    await _request_code(v, op)
    await op.end()
    await v.expect_heading("The chat has ended")
    durable = v.chat.app[K.DURABLE]
    assert len(await durable.list_kv(NAMESPACE)) == 1
    await v.frame.locator(".code-box").get_by_role("button", name=v.t("Cancel this code")).click()
    await v.frame.get_by_text(v.t("The code is cancelled. It no longer works, and the summary is deleted.")).wait_for()
    assert await v.frame.locator(".code-box").count() == 0
    assert await durable.list_kv(NAMESPACE) == []
    await v.check("code-cancelled")
    assert_no_violations(v)

    # A code from an earlier chat, cancelled from the start flow without starting one.
    code, _ = await v.chat.app[K.SERVICES].followup_codes.store("Pratade om skolan.")
    other: Visitor = await visitor_factory("sv", prefix="followup-cancel-typed-")
    await other.open_host()
    await other.open_widget()
    await other.choose_language("Svenska")
    await other.frame.get_by_text(other.t("I have a code from an earlier chat")).click()
    await other.frame.get_by_role("textbox", name=other.t("Code from an earlier chat (optional)")).fill(code)
    await other.button("Cancel this code instead").click()
    await other.frame.get_by_text(
        other.t("The code is cancelled. It no longer works, and the summary is deleted.")
    ).wait_for()
    assert await durable.list_kv(NAMESPACE) == []
    field = other.frame.get_by_role("textbox", name=other.t("Code from an earlier chat (optional)"))
    assert await field.input_value() == ""
    await other.check("code-cancelled-typed")
    assert_no_violations(other)


async def test_a_code_and_cards_sent_while_offline_arrive_once_after_the_reconnect(
    visitor_factory, operator_factory
) -> None:
    """Issue 14: the code and the referral cards are part of the conversation's
    history; a visitor whose network was down when they were sent gets them when the
    widget resumes, once each, and the chat's lines are not doubled."""
    op: Operator = await operator_factory()
    v: Visitor = await visitor_factory("sv", prefix="followup-offline-")
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()
    await v.send("hej")
    await op.wait_visitor_text("hej")

    await v.context.set_offline(True)
    await op.rec.wait_for(
        "conversation",
        lambda d: d["conversation"]["id"] == op.conversation_id and not d["conversation"]["visitor_connected"],
    )
    summary = await op.rec.call("followup_summary", {"conversation_id": op.conversation_id, "summary": SUMMARY})
    assert summary["ok"], summary
    sent = await op.rec.call("referral", {"conversation_id": op.conversation_id, "targets": ["bris-116111"]})
    assert sent["ok"], sent

    await v.context.set_offline(False)
    box = v.frame.get_by_role("dialog", name=v.t("Your code to continue later")).locator(".code-box")
    await box.wait_for(timeout=20_000)
    assert await v.frame.locator(".code-box").count() == 1
    assert await v.frame.locator(".msg--mine").filter(has_text="hej").count() == 1
    # The records are not plain chat lines: the cards are one card message (issue 17),
    # the code is in its sheet; neither shows the record's fallback text.
    await v.frame.locator(".msg--cards .card").filter(has_text="BRIS").wait_for()
    assert await v.frame.locator(".msg--cards").count() == 1
    assert await v.frame.get_by_text("Rådgivaren har delat ställen som kan hjälpa dig:").count() == 0
    await op.end()
    await v.expect_heading("The chat has ended")
    assert await v.frame.locator(".card").filter(has_text="BRIS").count() == 1
    assert await v.frame.locator(".code-box").count() == 1
    assert_no_violations(v)
