"""The console's data per centre in Chromium (issue 19): a person in two centres reads
each centre's referral directory and statistics (no 409 "choose a centre"), a chat of
centre B shows centre B's receivers in the referral picker, statistics show the
visitors' own feedback as a headline figure and the chats between centres (overflow),
and a centre's coordinator is not offered to change the national receivers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from chat_server.services.centres import NewCentre
from chat_server.services.stats import TZ
from chat_server.transport import keys as K

from ..helpers import Recorder
from .console import Console, assert_clean, month_days
from .work import accept

pytestmark = pytest.mark.browser

NAMES = {"skane": "Resurscentrum Skåne", "dalarna": "Resurscentrum Dalarna"}


def receiver(rid: str, name: str, municipality: str, code: str) -> dict[str, Any]:
    return {
        "id": rid,
        "type": "social_services",
        "name": name,
        "area": {"kind": "municipality", "name": municipality, "code": code},
        "channels": [{"kind": "phone", "value": "010-123 45 67"}],
        "verify": True,
    }


async def two_centres(server: Any) -> None:
    """Skåne and Dalarna, each with one receiver of its own; Skåne overflows to Dalarna."""
    services = server.app[K.SERVICES]
    for cid, name in NAMES.items():
        extra = {"overflow": ["dalarna"]} if cid == "skane" else None
        await services.centres.do_create_centre(None, NewCentre(cid, {"sv": name}), extra=extra)
    await services.directory.put(receiver("soc-malmo", "Socialtjänsten Malmö", "Malmö", "1280"), "skane")
    await services.directory.put(receiver("soc-mora", "Socialtjänsten Mora", "Mora", "2062"), "dalarna")


async def seed_centre(server: Any, centre: str, per_day: int, days: int) -> None:
    """Two ended months of a centre: ``per_day`` chats on ``days`` days, one in three
    answering "yes, it helped"; ten came from another centre, six went to one."""
    first = datetime.now(TZ).date().replace(day=1)
    for _ in range(2):
        first = (first - timedelta(days=1)).replace(day=1)
        for day in month_days(first)[:days]:
            counters = {"conversations:total": per_day, "feedback:yes": 1, "overflow:in": 1}
            await server.durable.add_stats(day.isoformat(), counters, centre)
        await server.durable.add_stats(first.isoformat(), {"feedback:no": 5, "overflow:out": 6}, centre)


def refused(c: Console) -> list[str]:
    """Every API answer 400 or over the page gets (a 409 is "choose a centre"), but the
    401 of GET /api/me before logging in."""
    out: list[str] = []

    def seen(r: Any) -> None:
        if r.status >= 400 and "/api/" in r.url and not (r.status == 401 and r.url.endswith("/api/me")):
            out.append(f"{r.status} {r.url}")

    c.page.on("response", seen)
    return out


async def test_a_person_in_two_centres_reads_each_ones_directory_and_statistics(server, console_factory) -> None:
    await two_centres(server)
    await seed_centre(server, "skane", 3, 10)
    await seed_centre(server, "dalarna", 5, 8)
    both = {"skane": "supervisor", "dalarna": "supervisor"}
    creds = await server.create_staff("supervisor", name="Lina", centres=both)
    c: Console = await console_factory("two-centres")
    errors = refused(c)
    t = c.t
    await c.login(creds)

    # The referral directory: Dalarna first (by name), then Skåne; national receivers
    # are shared and not this coordinator's to change.
    await c.page.get_by_role("button", name=t("Referral directory")).click()
    picker = c.page.get_by_label(t("Resource centre"), exact=True)
    await picker.wait_for()
    assert await picker.input_value() == "dalarna"
    table = c.page.locator(".directory-table")
    await table.get_by_text("Socialtjänsten Mora").wait_for()
    assert await table.get_by_text("Socialtjänsten Malmö").count() == 0
    await picker.select_option("skane")
    await table.get_by_text("Socialtjänsten Malmö").wait_for()
    assert await table.get_by_text("Socialtjänsten Mora").count() == 0
    national = table.locator("tr").filter(has_text="Kvinnofridslinjen").first
    await national.wait_for()
    assert await national.get_by_role("button", name=t("Edit")).count() == 0
    assert await national.get_by_text(t("Shared by every centre")).count() == 1
    own = table.locator("tr").filter(has_text="Socialtjänsten Malmö")
    await own.get_by_role("button", name=t("Edit")).click()
    area = c.page.get_by_label(t("Area"), exact=True)
    options = await area.locator("option").all_inner_texts()
    assert t("The whole country") not in options  # a national receiver is not theirs to make
    await c.check("80-directory-two-centres")

    # Statistics: each centre's own figures, feedback among the headline figures, and
    # the chats between centres.
    await c.page.get_by_role("button", name=t("Statistics")).click()
    picker = c.page.get_by_label(t("Resource centre"), exact=True)
    await picker.wait_for()
    headline = c.page.locator("section.headline")
    await headline.wait_for()

    async def figure(label: str) -> str:
        return str(await headline.locator(".figure").filter(has_text=label).first.inner_text())

    assert "80" in await figure(t("Conversations"))  # Dalarna: 2 months x 8 days x 5
    await picker.select_option("skane")
    await headline.locator(".figure").filter(has_text="60").first.wait_for()  # Skåne: 2 x 10 x 3
    feedback = await figure(t("Said they got the help they needed"))
    assert "67" in feedback, feedback  # 20 "yes" of 30 answers
    assert t("Visitors who answered: {n}.").replace("{n}", "30") in feedback
    came = headline.locator("[data-value='overflow:in']")
    went = headline.locator("[data-value='overflow:out']")
    assert t("Came from another centre") in await came.inner_text() and "20" in await came.inner_text()
    assert t("Went to another centre") in await went.inner_text() and "12" in await went.inner_text()
    assert "Resurscentrum Skåne" in await c.page.locator(".report-period").inner_text()
    # The CSV link goes to the chosen centre.
    href = await c.page.get_by_role("link", name=t("Download CSV")).get_attribute("href")
    assert href and href.startswith("/api/centres/skane/stats.csv?")
    await c.check("81-statistics-two-centres")
    assert errors == []
    assert_clean(c)


async def test_a_national_admin_reads_every_centre_and_changes_national_receivers(server, console_factory) -> None:
    await two_centres(server)
    await seed_centre(server, "skane", 3, 10)
    await seed_centre(server, "dalarna", 5, 8)
    creds = await server.create_staff("admin", name="Nora", national_admin=True)
    c: Console = await console_factory("national-stats")
    errors = refused(c)
    t = c.t
    await c.login(creds)
    await c.page.get_by_role("button", name=t("Statistics")).click()
    picker = c.page.get_by_label(t("Resource centre"), exact=True)
    await picker.wait_for()
    await picker.select_option(label=t("Every resource centre (national)"))
    headline = c.page.locator("section.headline")
    await headline.locator(".figure").filter(has_text="140").first.wait_for()  # 80 + 60
    href = await c.page.get_by_role("link", name=t("Download CSV")).get_attribute("href")
    assert href and "scope=all" in href
    await c.page.get_by_role("button", name=t("Referral directory")).click()
    national = c.page.locator(".directory-table tr").filter(has_text="Kvinnofridslinjen").first
    await national.get_by_role("button", name=t("Edit")).wait_for()
    assert errors == []
    assert_clean(c)


async def test_a_chat_of_centre_b_shows_centre_bs_receivers(server, console_factory, clients) -> None:
    await two_centres(server)
    creds = await server.create_staff("operator", name="Ali", centres={"skane": "operator", "dalarna": "operator"})
    c: Console = await console_factory("chat-of-b")
    errors = refused(c)
    t = c.t
    await c.login(creds)
    await c.go_on_duty()
    v = Recorder(server.url, "/visitor")
    clients.append(v)
    await v.connect(auth={"locale": "sv", "centre": "dalarna"})
    session = await v.wait_for("session")
    ack = await v.call("start", {"audience": "self", "locale": "sv"})
    assert ack["ok"], ack
    await accept(c, session["pseudonym"])
    await c.page.get_by_role("button", name=t("Referrals")).first.click()
    groups = c.page.locator(".referral-groups")
    await groups.get_by_text("Socialtjänsten Mora").wait_for()
    assert await groups.get_by_text("Socialtjänsten Malmö").count() == 0
    assert errors == []
    assert_clean(c)


async def test_a_chat_that_came_by_overflow_refers_to_the_visitors_home_centre(
    server, console_factory, clients
) -> None:
    """Issue 19 pt 4: Skåne has nobody on duty, the visitor chooses Dalarna; Dalarna's
    counsellor refers them to services near them (Skåne's directory), in the picker and
    in the duty-to-report reminder."""
    await two_centres(server)
    creds = await server.create_staff("operator", name="Ali", centres={"dalarna": "operator"})
    c: Console = await console_factory("overflow-directory")
    errors = refused(c)
    t = c.t
    await c.login(creds)
    await c.go_on_duty()
    v = Recorder(server.url, "/visitor")
    clients.append(v)
    await v.connect(auth={"locale": "sv", "centre": "skane"})
    session = await v.wait_for("session")
    ack = await v.call("start", {"audience": "self", "locale": "sv", "age_band": "13-15", "topic": "marriage"})
    assert ack["ok"], ack
    await v.wait_for("overflow")
    assert (await v.call("overflow_accept", {"centre": "dalarna"}))["ok"]
    await accept(c, session["pseudonym"])
    # The duty-to-report reminder offers the municipalities of the visitor's home centre.
    where = c.page.get_by_label(t("Municipality where the child lives"))
    await where.locator("option", has_text="Malmö").wait_for(state="attached")
    assert await where.locator("option", has_text="Mora").count() == 0
    await c.page.get_by_role("button", name=t("Referrals")).first.click()
    groups = c.page.locator(".referral-groups")
    await groups.get_by_text("Socialtjänsten Malmö").wait_for()
    assert await groups.get_by_text("Socialtjänsten Mora").count() == 0
    assert errors == []
    assert_clean(c)
