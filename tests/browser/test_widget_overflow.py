"""Overflow in the widget (issue 19 point 4), on a phone (360×640 and with the keyboard
open), in Swedish and Arabic: the visitor's centre has nobody on duty, so the waiting
view offers the next centre of its overflow order that has someone on duty; nothing
moves until the visitor taps it; then they wait in that centre's queue, and are told so.
Screenshots: screenshots/widget/overflow-*.png.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chat_server.services.centre_domain import Centre
from chat_server.services.centres import NewCentre
from chat_server.services.domain import Staff

from ..conftest import LiveServer
from .conftest import HostSite, Visitor, assert_no_violations
from .phone import assert_layout_clean, check_layout

LANGS = {"sv": "Svenska", "ar": "العربية"}
DALARNA = {"sv": "Resurscentrum Dalarna", "ar": "مركز دالارنا"}


@pytest.fixture
async def chat(server_factory: Callable[..., Awaitable[LiveServer]], host_site: HostSite) -> LiveServer:
    live = await server_factory(allowed_origins=(host_site.origin,), routing_mode="pick")
    host_site.chat_url = live.url
    host_site.attrs = {"data-centre": "default"}  # several centres: the embed names its own
    centres = live.services.centres
    await centres.do_create_centre(None, NewCentre("dalarna", DALARNA))
    # The widget's centre (default) overflows to Dalarna, then to one that does not exist.
    record = Centre("default", {"sv": "Resurscentrum"}).to_record()
    if await live.durable.update_centre("default", {"overflow": ["dalarna", "nowhere"]}) is None:
        await live.durable.create_centre({**record, "overflow": ["dalarna", "nowhere"]})
    centres.invalidate()
    creds = await live.create_staff("operator", centres={"dalarna": "operator"})
    await live.services.queue.do_set_duty(
        Staff(creds.id, creds.name, "operator", "sv", {"dalarna": "operator"}), True, None
    )
    return live


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_the_visitor_chooses_another_centre(visitor_factory, chat: LiveServer, locale: str) -> None:
    v: Visitor = await visitor_factory(locale, prefix="overflow-", touch=True)
    await v.open_host()
    await v.open_widget()
    await v.start_chat(LANGS[locale])
    panel = v.frame.get_by_role("region", name=v.t("Talk with another resource centre?"))
    await panel.wait_for()
    await v.frame.get_by_text(v.t("No counsellor at your resource centre can take your chat right now.")).wait_for()
    choice = v.frame.get_by_role("button", name=v.t("Chat with {centre}").replace("{centre}", DALARNA[locale]))
    assert await choice.count() == 1
    # Nothing has moved: the chat waits at home until the visitor chooses.
    (conv,) = await chat.repository.live()
    assert (conv.centre, conv.home_centre) == ("default", None)
    await check_layout(v, "offered", chat=True)
    await choice.click()
    moved = v.t("You are waiting for a counsellor at {centre}.").replace("{centre}", DALARNA[locale])
    await v.frame.get_by_text(moved).wait_for()
    assert await panel.count() == 0
    conv = await chat.repository.get(conv.id)
    assert conv is not None and (conv.centre, conv.home_centre) == ("dalarna", "default")
    assert await chat.repository.queue_ids("dalarna") == [conv.id]
    await check_layout(v, "moved", chat=True)
    assert_no_violations(v)
    assert_layout_clean(v)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_a_closed_centre_offers_an_open_one_before_the_start(
    visitor_factory, chat: LiveServer, locale: str
) -> None:
    # The widget's centre is closed today and tomorrow (Dalarna keeps no hours: open).
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    closed = {(today + timedelta(days=d)).isoformat(): [] for d in (0, 1)}
    await chat.services.hours.set_schedule({"weekly": {"0": [["09:00", "10:00"]]}, "exceptions": closed})
    v: Visitor = await visitor_factory(locale, prefix="overflow-closed-", touch=True)
    await v.open_host()
    await v.open_widget()
    await v.choose_language(LANGS[locale])
    await v.expect_heading("The chat is closed right now")
    panel = v.frame.get_by_role("region", name=v.t("Talk with another resource centre?"))
    await panel.wait_for()
    assert await chat.repository.live() == []  # nothing starts without the visitor's choice
    await check_layout(v, "closed-offered")
    await v.frame.get_by_role("button", name=v.t("Chat with {centre}").replace("{centre}", DALARNA[locale])).click()
    await v.button("Myself").click()
    await v.button("Skip this question").click()
    await v.button("No", exact=True).click()
    await v.button("Skip this question").click()
    await v.composer.wait_for()
    moved = v.t("You are waiting for a counsellor at {centre}.").replace("{centre}", DALARNA[locale])
    await v.frame.get_by_text(moved).wait_for()
    (conv,) = await chat.repository.live()
    assert (conv.centre, conv.home_centre) == ("dalarna", "default")
    await check_layout(v, "closed-started", chat=True)
    assert_no_violations(v)
    assert_layout_clean(v)
