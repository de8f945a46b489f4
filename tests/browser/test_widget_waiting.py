"""Waiting tells the truth, and the one-question feedback, in Chromium on a phone
(360×640 and with the keyboard open), in Swedish and Arabic:

* nobody on duty: the visitor is told plainly and offered the national helplines, every
  number printed in full with its hours, next to "Keep waiting" (which folds them away);
* the service closes while they wait: they are told, with the next opening and the
  helplines, and the chat stays (a counsellor still on duty may take it);
* after an answered chat: "Did you get the help you needed?" answered once, then the
  coordinator's statistics show the answer as a hidden cell (fewer than 5).

Screenshots: screenshots/widget/waiting-*.png and screenshots/console/feedback-*.png.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chat_server.transport import keys as K

from .conftest import Operator, Visitor, assert_no_violations
from .console import Console, assert_clean, catalog, watch_errors
from .phone import assert_layout_clean, check_layout

LANGS = {"sv": "Svenska", "ar": "العربية"}
NUMBERS = ("112", "116 111", "020-50 50 50", "1177")
TZ = ZoneInfo("Europe/Stockholm")


async def helplines_shown(v: Visitor) -> None:
    notice = v.frame.locator(".wait-notice")
    calls = notice.locator(".help a.call")
    await calls.first.wait_for()
    assert await calls.count() == 4
    text = await notice.inner_text()
    for number in NUMBERS:
        assert number in text, f"{number} is not printed"
    assert await notice.locator(".help-hours").count() == 4
    assert v.t("Open around the clock.") in text


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_nobody_on_duty_offers_the_helplines_next_to_keep_waiting(visitor_factory, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="waiting-nobody-", touch=True)
    t = v.t
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    notice = v.frame.locator(".wait-notice[data-notice='nobody_on_duty']")
    await notice.wait_for()
    assert t("No counsellor is on duty right now") in await notice.inner_text()
    await helplines_shown(v)
    # No "we cannot estimate" line next to the plain notice.
    assert await v.frame.get_by_text(t("We cannot estimate the waiting time right now.")).count() == 0
    await check_layout(v, "helplines", chat=True)

    await v.button("Keep waiting").click()
    await v.button("Show help numbers").wait_for()
    assert await notice.locator(".help").count() == 0
    await check_layout(v, "kept-waiting", chat=True)
    await v.button("Show help numbers").click()
    await helplines_shown(v)
    assert_layout_clean(v)
    assert_no_violations(v)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_the_service_closes_while_they_wait(visitor_factory, operator_factory, chat, locale: str) -> None:
    op: Operator = await operator_factory()
    v: Visitor = await visitor_factory(locale, prefix="waiting-closed-", touch=True)
    t = v.t
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    await (
        v.frame.get_by_text(t("Estimated wait: less than a minute."), exact=False)
        .or_(v.frame.get_by_text(t("Estimated wait: about {minutes} min.").replace("{minutes}", "1")))
        .first.wait_for()
    )
    assert await v.frame.locator(".wait-notice").count() == 0

    # Closed from now on: today is an exception without hours, the week opens at 09:00.
    today = datetime.now(TZ).date()
    await chat.app[K.SERVICES].hours.set_schedule(
        {
            "weekly": {str(d): [["09:00", "16:00"]] for d in range(7)},
            "exceptions": {today.isoformat(): []},
            "closed_on_holidays": False,
            "closed_on_eves": False,
        }
    )
    notice = v.frame.locator(".wait-notice[data-notice='closed']")
    await notice.wait_for()  # the sweep tells them
    text = await notice.inner_text()
    assert t("The chat has closed for now") in text
    assert t("The chat opens again tomorrow at {time}.").replace("{time}", "09:00") in text
    await helplines_shown(v)
    await check_layout(v, "closed", chat=True)

    # The chat did not vanish: the counsellor still on duty takes it.
    await op.accept_next()
    await v.frame.locator(".status--active").wait_for()
    assert await v.frame.locator(".wait-notice").count() == 0
    assert_layout_clean(v)
    assert_no_violations(v)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_feedback_once_and_hidden_in_the_statistics(
    visitor_factory, operator_factory, chat, console_browser, locale: str
) -> None:
    op: Operator = await operator_factory()
    v: Visitor = await visitor_factory(locale, prefix="waiting-feedback-", touch=True)
    t = v.t
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    await op.accept_next()
    await op.say("Hej!")
    await op.end()
    await v.expect_heading("The chat has ended")
    question = v.frame.get_by_role("heading", name=t("Did you get the help you needed?"))
    await question.wait_for()
    await check_layout(v, "ended-feedback")
    assert "null" not in (await v.frame.locator("section.feedback").inner_text()).split()
    await v.button("Partly", exact=True).click()
    await v.frame.get_by_text(t("Thank you for your answer.")).wait_for()
    # Answered once: the question and its buttons are gone, the token is used up.
    assert await question.count() == 0
    assert await v.frame.locator(".feedback-answers button").count() == 0
    services = chat.app[K.SERVICES]
    assert not [k for k in await chat.ephemeral.keys_for_inspection() if "feedback_answer" in k]
    await check_layout(v, "ended-thanks")
    assert_layout_clean(v)
    assert_no_violations(v)

    # The day ends and the tally goes into the statistics; the month is over.
    now = datetime.now(TZ)
    services.feedback.clock = lambda: now + timedelta(days=1, minutes=10)
    assert now.date().isoformat() in await services.feedback.flush()
    next_month = (now.date().replace(day=1) + timedelta(days=32)).replace(day=1)
    services.stats.today = lambda: next_month + timedelta(days=2)
    for i in range(12):  # a busy month around it, so only the rare answer is hidden
        await chat.durable.add_stats((now.date().replace(day=1) + timedelta(days=i)).isoformat(), busy_day())

    creds = await chat.create_staff("supervisor", name="Lina", locale=locale)
    context = await console_browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    context.set_default_timeout(10_000)
    # The login page speaks the browser's language; the console then the staff member's.
    c = Console(await context.new_page(), chat, "feedback", await catalog(chat.url, "sv"))
    watch_errors(c)
    await c.login(creds)
    c.t = await catalog(chat.url, locale)
    await c.page.get_by_role("button", name=c.t("Statistics")).click()
    title = c.t("Did the visitor get the help they needed? (their own answer)")
    section = c.page.locator(".dimension").filter(has_text=title)
    await section.first.wait_for()
    row = section.first.locator("tr").filter(has_text=c.t("Partly")).first
    cells = await row.locator("td").all_inner_texts()
    assert cells and all(x.strip() == c.t("hidden") for x in cells), cells
    await section.first.scroll_into_view_if_needed()
    await c.check(f"feedback-statistics-{locale}")
    assert_clean(c)
    await context.close()


def busy_day() -> dict[str, int]:
    return {
        "conversations:total": 3,
        "audience:self": 3,
        "topic:control": 3,
        "language:sv": 3,
        "age_band:16-17": 3,
        "urgent:no": 3,
        "outcome:operator_ended": 3,
        "wait:0-1m": 3,
        "duration:5-15m": 3,
        "triage:missing": 3,
    }
