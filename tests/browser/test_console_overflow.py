"""The overflow settings editor in Chromium (issue 19 point 4): a national admin's centre
loaded and saved unchanged is stored unchanged (also a wait that is not whole minutes);
the order is reordered, extended and shortened by buttons, by name in the console's
language; a wrong wait is refused in words before anything is sent; a centre's own
admin sees the order and sets only the wait. axe-core finds nothing and nothing scrolls
sideways at 1280×800 and 360×640, in Swedish and in Arabic."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from chat_server.services.centres import CentreChanges, NewCentre
from chat_server.transport import keys as K

from .console import Console, assert_clean, catalog, sideways_overflow

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
NAMES = {
    "skane": {"sv": "Resurscentrum Skåne", "ar": "مركز الموارد سكونه"},
    "kronoberg": {"sv": "Resurscentrum Kronoberg", "ar": "مركز الموارد كرونوبري"},
    "blekinge": {"sv": "Resurscentrum Blekinge"},
    "nkt": {"sv": "Nationella konsultationslinjen", "ar": "الخط الوطني للاستشارة"},
}


async def seed(server: Any) -> dict[str, Any]:
    centres = server.app[K.SERVICES].centres
    for centre, names in NAMES.items():
        await centres.do_create_centre(None, NewCentre(centre, names))
    # Ninety seconds: set through the API, not a whole number of minutes.
    await centres.do_update_centre(None, "skane", CentreChanges(overflow=("kronoberg", "nkt"), overflow_wait_s=90))
    return copy.deepcopy(await server.durable.get_centre("skane"))


async def open_overflow(c: Console, national: bool) -> Any:
    """Administration › Overflow for skane (a national admin picks it first: the
    administration's centre picker chooses the centre of every section)."""
    await c.page.get_by_role("button", name=c.t("Administration")).click()
    if national:
        picker = c.page.get_by_label(c.t("Resource centre"), exact=True)
        await picker.wait_for()
        await picker.select_option("skane")
    await c.page.locator("button[data-section='overflow']").click()
    form = c.page.locator("form.overflow-editor[data-centre='skane']")
    await form.wait_for()
    return form


async def stored_when(server: Any, done: Any) -> dict[str, Any]:
    """The stored record of skane once ``done(record)`` holds (the save is a request away)."""
    for _ in range(100):
        record: dict[str, Any] = await server.durable.get_centre("skane")
        if done(record):
            return record
        await asyncio.sleep(0.1)
    raise AssertionError(f"not saved: {record}")


async def check_layouts(c: Console, screen: str) -> None:
    for name, size in (("1280", DESKTOP), ("360", PHONE)):
        await c.page.set_viewport_size(size)
        await c.check(f"{screen}-{name}")
        assert await sideways_overflow(c.page) == [], (screen, name)
    await c.page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_a_national_admin_edits_the_order_and_the_wait(server, console_factory, locale) -> None:
    before = await seed(server)
    national = await server.create_staff("admin", name="Lina", locale=locale, national_admin=True)
    c: Console = await console_factory(f"overflow-{locale}")
    await c.login(national)
    c.t = t = await catalog(server.url, locale)
    await c.page.locator(f"html[lang='{locale}']").wait_for(state="attached")  # the account's language
    form = await open_overflow(c, national=True)
    shown = [NAMES[c].get(locale, NAMES[c]["sv"]) for c in ("kronoberg", "nkt")]
    assert await form.locator("ol.overflow-order .overflow-name").all_inner_texts() == shown
    assert await form.locator("input[name=overflow-wait]").input_value() == "1.5"
    await check_layouts(c, f"72-overflow-{locale}")

    # Saved unchanged: the same record.
    await c.button("Save overflow settings").click()
    await c.page.get_by_text(t("Overflow settings saved.")).wait_for()
    assert await server.durable.get_centre("skane") == before

    # Reorder by keyboard-reachable buttons, add one, remove one.
    nkt = NAMES["nkt"].get(locale, NAMES["nkt"]["sv"])
    kronoberg = NAMES["kronoberg"].get(locale, NAMES["kronoberg"]["sv"])
    await form.get_by_role("button", name=t("Move {centre} up").replace("{centre}", nkt)).click()
    assert await form.locator(".overflow-name").all_inner_texts() == [nkt, kronoberg]
    await form.get_by_label(t("Another resource centre")).select_option("blekinge")
    await form.get_by_role("button", name=t("Add to the order")).click()
    await form.get_by_role("button", name=t("Remove {centre}").replace("{centre}", kronoberg)).click()
    assert await form.locator(".overflow-name").all_inner_texts() == [nkt, NAMES["blekinge"]["sv"]]

    # A wait out of range: said in words at the field, nothing sent.
    wait = form.locator("input[name=overflow-wait]")
    await wait.fill("200")
    await c.button("Save overflow settings").click()
    await form.get_by_text(t("Write a whole number of minutes from 1 to 120, or leave it empty.")).wait_for()
    assert await wait.evaluate("el => el === document.activeElement")
    await check_layouts(c, f"73-overflow-problem-{locale}")
    assert await server.durable.get_centre("skane") == before
    await wait.fill("30")
    await c.button("Save overflow settings").click()
    stored = await stored_when(server, lambda r: r["overflow_wait_s"] == 1800)
    assert stored["overflow"] == ["nkt", "blekinge"] and stored["overflow_wait_s"] == 1800
    assert {k: v for k, v in stored.items() if k not in ("overflow", "overflow_wait_s")} == {
        k: v for k, v in before.items() if k not in ("overflow", "overflow_wait_s")
    }
    assert_clean(c)


async def test_a_centre_admin_sees_the_order_and_sets_the_wait(server, console_factory) -> None:
    before = await seed(server)
    admin = await server.create_staff("admin", name="Sara", centres={"skane": "admin"})
    c: Console = await console_factory("overflow-centre-admin")
    t = c.t
    await c.login(admin)
    form = await open_overflow(c, national=False)
    assert await form.locator(".overflow-name").all_inner_texts() == [NAMES["kronoberg"]["sv"], NAMES["nkt"]["sv"]]
    assert await form.get_by_role("button", name=t("Up")).count() == 0
    assert await form.get_by_label(t("Another resource centre")).count() == 0
    await form.get_by_text(
        t("The order is agreed between the resource centres and set by a national admin.")
    ).wait_for()
    await check_layouts(c, "74-overflow-centre-admin")
    await c.button("Save overflow settings").click()
    await c.page.get_by_text(t("Overflow settings saved.")).wait_for()
    assert await server.durable.get_centre("skane") == before
    await form.locator("input[name=overflow-wait]").fill("")
    await c.button("Save overflow settings").click()
    stored = await stored_when(server, lambda r: r["overflow_wait_s"] is None)
    assert stored["overflow_wait_s"] is None and stored["overflow"] == ["kronoberg", "nkt"]
    assert_clean(c)
