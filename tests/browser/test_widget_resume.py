"""A network drop during a chat: the widget shows a reconnecting banner, keeps what the
visitor writes, resumes with the resume token it keeps in memory, and ends up with every
message exactly once on both sides. A reload, in contrast, starts afresh."""

from __future__ import annotations

import pytest

from .conftest import Operator, Visitor, assert_no_violations

LANGS = {"sv": "Svenska", "ar": "العربية"}
TEXT = {
    "sv": ("Är du kvar?", "Jag tappade nätet en stund.", "Bra att du är tillbaka."),
    "ar": ("هل ما زلت هنا؟", "انقطع الإنترنت لحظة.", "جيد أنك عدت."),
}


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_resume_after_network_drop(visitor_factory, operator_factory, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="resume-")
    op: Operator = await operator_factory()
    t = v.t
    while_offline, typed_offline, after = TEXT[locale]
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    await op.accept_next()
    await v.send("1")
    await op.wait_visitor_text("1")

    await v.context.set_offline(True)
    banner = v.frame.get_by_text(t("The connection was lost. Reconnecting…"))
    await banner.wait_for()
    # The operator keeps writing; the visitor writes too, and the message waits.
    await op.rec.wait_for(
        "conversation",
        lambda d: d["conversation"]["id"] == op.conversation_id and not d["conversation"]["visitor_connected"],
    )
    await op.say(while_offline)
    await v.send(typed_offline)
    pending = v.frame.locator(".msg--mine").filter(has_text=typed_offline)
    await pending.get_by_text(t("Waiting for connection")).wait_for()
    await v.check("reconnecting")

    await v.context.set_offline(False)
    await banner.wait_for(state="detached", timeout=20_000)
    await v.frame.locator(".msg--theirs").filter(has_text=while_offline).wait_for()
    await pending.locator(".tick--delivered").wait_for()
    await op.wait_visitor_text(typed_offline)

    await op.say(after)
    await v.frame.locator(".msg--theirs").filter(has_text=after).wait_for()
    await v.check("resumed")

    # Exactly once on each side.
    assert await v.frame.locator(".msg--theirs").filter(has_text=while_offline).count() == 1
    assert await v.frame.locator(".msg--mine").filter(has_text=typed_offline).count() == 1
    assert op.visitor_texts().count(typed_offline) == 1
    assert op.visitor_texts().count("1") == 1
    assert_no_violations(v)


async def test_reload_starts_afresh(visitor_factory, operator_factory) -> None:
    v: Visitor = await visitor_factory("sv", prefix="reload-")
    op: Operator = await operator_factory()
    await v.open_host(via_before=False)
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()
    await v.send("hemligt")
    await op.wait_visitor_text("hemligt")

    await v.page.reload()
    await v.launcher.wait_for()
    await v.open_widget()
    # Nothing was kept in the browser: the language picker, no messages.
    await v.frame.get_by_role("button", name="Svenska", exact=True).wait_for()
    assert await v.frame.get_by_text("hemligt").count() == 0
    await op.rec.wait_for(
        "conversation",
        lambda d: d["conversation"]["id"] == op.conversation_id and not d["conversation"]["visitor_connected"],
    )
