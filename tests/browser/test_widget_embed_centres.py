"""The embed names its centre (issue 19, point 2), in real Chromium: `data-centre` on the
loader's tag opens that centre's chat (its opening hours, its queue); a missing or
unknown centre shows a friendly, translated message with the help numbers at 360×640
and the loader says what is wrong on the host page's console; /demo/ shows two centres."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chat_server.services.centre_examples import do_load_example
from chat_server.services.centres import NewCentre
from chat_server.transport import keys as K

from .conftest import DESKTOP, PHONE, Visitor, assert_no_violations, fetch_catalog, widget_context

LANGS = {"sv": "Svenska", "ar": "العربية"}
HELP_NUMBERS = ["tel:112", "tel:116111", "tel:020505050", "tel:1177"]
TZ = ZoneInfo("Europe/Stockholm")


async def add_centres(chat: Any, origin: str) -> None:
    """Skåne and Dalarna, both embeddable by the test's host site; Dalarna closed today."""
    centres = chat.app[K.SERVICES].centres
    await centres.do_create_centre(None, NewCentre("skane", {"sv": "RC Skåne"}, origins=(origin,)))
    await centres.do_create_centre(None, NewCentre("dalarna", {"sv": "RC Dalarna"}, origins=(origin,)))
    await chat.app[K.SERVICES].hours.set_schedule(
        {
            "weekly": {str(d): [["09:00", "16:00"]] for d in range(7)},
            "exceptions": {datetime.now(TZ).date().isoformat(): []},
            "closed_on_holidays": False,
        },
        centre="dalarna",
    )


async def live_centres(chat: Any) -> list[str]:
    return sorted(c.centre for c in await chat.app[K.SERVICES].repository.live())


def console_errors(v: Visitor) -> list[str]:
    errors: list[str] = []
    v.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


async def test_the_embed_opens_its_own_centres_hours_and_queue(visitor_factory, chat, host_site) -> None:
    await add_centres(chat, host_site.origin)
    host_site.attrs = {"data-centre": "dalarna"}
    dalarna: Visitor = await visitor_factory("sv", prefix="centre-dalarna-")
    await dalarna.open_host()
    await dalarna.open_widget()
    src = await dalarna.page.locator("iframe").get_attribute("src")
    assert src is not None and "/widget/?centre=dalarna#" in src
    await dalarna.choose_language("Svenska")
    await dalarna.expect_heading("The chat is closed right now")  # Dalarna's hours

    host_site.attrs = {"data-centre": "skane"}
    skane: Visitor = await visitor_factory("ar", prefix="centre-skane-")
    errors = console_errors(skane)
    await skane.open_host()
    await skane.open_widget()
    await skane.start_chat(LANGS["ar"])  # Skåne is open: into its queue
    assert await live_centres(chat) == ["skane"]
    assert errors == []


@pytest.mark.parametrize("case", ["unknown", "missing"])
@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_a_misconfigured_embed_is_explained(visitor_factory, chat, host_site, locale: str, case: str) -> None:
    await add_centres(chat, host_site.origin)
    host_site.attrs = {"data-centre": "blekinge"} if case == "unknown" else {}
    v: Visitor = await visitor_factory(locale, viewport=PHONE, prefix=f"centre-{case}-")
    errors = console_errors(v)
    await v.open_host()
    await v.open_widget()
    await v.choose_language(LANGS[locale])
    await v.expect_heading("This chat is not set up correctly on this page")
    frame = v.frame
    await frame.get_by_text(
        v.t("You can still get help: call one of the numbers below. If someone is in danger right now, call 112.")
    ).wait_for()
    calls = frame.locator(".help a.call")
    assert [await calls.nth(i).get_attribute("href") for i in range(await calls.count())] == HELP_NUMBERS
    assert await v.button("Try again").count() == 0
    if locale == "ar":
        assert await frame.locator("html").get_attribute("dir") == "rtl"
    await v.check(f"misconfigured-{case}")
    assert_no_violations(v)
    # The host page's developers are told, naming the attribute and its form.
    await v.page.wait_for_timeout(100)
    mine = [e for e in errors if e.startswith("RC chat:")]
    assert len(mine) == 1, errors
    assert 'data-centre="CENTRE-ID"' in mine[0]
    if case == "unknown":
        assert 'data-centre="blekinge" names no resource centre' in mine[0]
    else:
        assert "several resource centres" in mine[0]
    assert await live_centres(chat) == []


async def test_a_malformed_centre_is_reported_at_once(visitor_factory, chat, host_site) -> None:
    """Before the launcher is opened: the form alone is wrong."""
    host_site.attrs = {"data-centre": "Skåne"}
    v: Visitor = await visitor_factory("sv")
    errors = console_errors(v)
    await v.open_host()
    await v.launcher.wait_for()
    await v.page.wait_for_timeout(100)
    assert any('data-centre="Skåne" names no resource centre' in e for e in errors), errors


async def test_demo_shows_two_centres(browser, chat) -> None:
    await do_load_example(chat.app[K.SERVICES].centres)
    for path, centre, town in [("/demo/", "dalarna", "Exempelby"), ("/demo/skane.html", "skane", "Exempelstad")]:
        for name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
            context = await widget_context(browser, viewport=viewport, locale="sv-SE", timezone_id="Europe/Stockholm")
            try:
                page = await context.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                await page.goto(chat.url + path)
                assert town in await page.title()
                v = Visitor(page, context, None, chat, "sv", await fetch_catalog(chat.url, "sv"), f"demo-{centre}-")  # type: ignore[arg-type]
                await v.launcher.wait_for()
                await v.open_widget()
                src = await page.locator("iframe").get_attribute("src")
                assert src is not None and f"/widget/?centre={centre}#" in src
                if name == "phone":
                    await v.start_chat("Svenska")
                    await v.check("started")
                    assert_no_violations(v)
                assert [e for e in errors if e.startswith("RC chat:")] == [], errors
            finally:
                await context.close()
    assert await live_centres(chat) == ["dalarna", "skane"]
