"""The console's centre picker in Chromium (issue 19): a person who administers one
centre sees none; a national admin picks a centre and the admin screens act on it;
the picker is labelled and passes axe-core, in Swedish and in Arabic."""

from __future__ import annotations

import pytest

from chat_server.services.centres import NewCentre
from chat_server.transport import keys as K

from .console import Console, assert_clean, catalog

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_the_centre_picker_switches_the_admin_screens(server, console_factory, locale) -> None:
    centres = server.app[K.SERVICES].centres
    await centres.do_create_centre(None, NewCentre("skane", {"sv": "Resurscentrum Skåne"}, county="12"))
    skane_op = await server.create_staff("operator", name="Ali", centres={"skane": "operator"})
    national = await server.create_staff("admin", name="Lina", locale=locale, national_admin=True)
    c: Console = await console_factory(f"centres-{locale}")
    await c.login(national)  # the login page speaks the browser's Swedish
    c.t = t = await catalog(server.url, locale)  # the console, the account's language
    await c.page.get_by_role("button", name=t("Administration")).click()
    picker = c.page.get_by_label(t("Resource centre"))
    await picker.wait_for()
    assert await picker.input_value() == "default"
    await c.page.get_by_role("table").get_by_text(national.username).wait_for()
    assert await c.page.get_by_role("table").get_by_text(skane_op.username).count() == 0
    await picker.select_option("skane")
    await c.page.get_by_role("table").get_by_text(skane_op.username).wait_for()
    assert await c.page.get_by_role("table").get_by_text(national.username).count() == 0
    await c.check(f"70-centre-picker-{locale}")
    assert_clean(c)


async def test_an_admin_of_one_centre_gets_no_picker(server, console_factory) -> None:
    await server.app[K.SERVICES].centres.do_create_centre(None, NewCentre("skane", {"sv": "Resurscentrum Skåne"}))
    admin = await server.create_staff("admin", name="Sara", centres={"skane": "admin"})
    c: Console = await console_factory("centres-one")
    t = c.t
    await c.login(admin)
    await c.page.get_by_role("button", name=t("Administration")).click()
    await c.page.get_by_role("table").get_by_text(admin.username).wait_for()
    assert await c.page.get_by_label(t("Resource centre")).count() == 0
    assert_clean(c)
