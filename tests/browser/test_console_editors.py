"""Editors that never lose data, driven through the real console in Chromium: opening
hours and every seeded referral receiver are loaded, saved unchanged and stored
unchanged; several ranges a day, a summer closure with a reason, the eves, several
phones and addresses, languages, the municipality code and county survive editing;
client-side validation speaks in words; role changes and restoring the default canned
responses ask first; max chats and audiences are set in the account form."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import pytest

from chat_server.services.domain import Staff
from chat_server.transport import keys as K

from .console import Console, assert_clean, catalog

pytestmark = pytest.mark.browser

HOURS = {
    "weekly": {"0": [["09:00", "12:00"], ["13:00", "16:00"]], "3": [["18:00", "24:00"]], "4": [["09:00", "15:00"]]},
    "exceptions": {"2026-06-05": [["10:00", "14:00"]], "2026-12-23": []},
    "exception_periods": [
        {"from": "2026-07-06", "to": "2026-08-02", "ranges": [], "reason": "Sommarstängt"},
        {"from": "2026-12-28", "to": "2026-12-30", "ranges": [["10:00", "14:00"]]},
    ],
    "closed_on_holidays": True,
    "closed_on_eves": False,
    "last_call_min": 15,
}


async def stored(server: Any, doc: str) -> Any:
    """The stored document of the default centre; for the referral directory, the
    national receivers and the centre's own together (issue 19)."""
    own = await server.durable.get_kv("centre:default", doc)
    if doc != "referrals":
        return copy.deepcopy(own)
    national = await server.durable.get_kv("doc", doc)
    return copy.deepcopy({"receivers": national["receivers"] + own["receivers"]})


async def open_admin_section(c: Console, section: str) -> None:
    await c.page.get_by_role("button", name=c.t("Administration")).click()
    await c.page.locator(f"button[data-section='{section}']").click()


async def test_opening_hours_round_trip_and_editing(server, console_factory) -> None:
    admin = await server.create_staff("admin", name="Lina")
    await server.app[K.SERVICES].admin.do_set_hours(Staff(admin.id, "Lina", "admin", "sv"), copy.deepcopy(HOURS))
    before = await stored(server, "hours")
    assert before == HOURS
    c: Console = await console_factory("hours")
    t = c.t
    await c.login(admin)
    await open_admin_section(c, "hours")
    monday = c.page.locator("[data-where='day:0']")
    await monday.locator("input[type=time]").nth(3).wait_for()
    assert await monday.locator("input[type=time]").count() == 4  # both of Monday's ranges
    await c.check("50-hours-editor")
    await c.button("Save opening hours").click()
    await c.page.get_by_text(t("Opening hours saved.")).wait_for()
    assert await stored(server, "hours") == before, "saving unchanged changed the stored hours"

    # Edit: a second range on Tuesday, a new exception period with a reason, the eves on.
    tuesday = c.page.locator("[data-where='day:1']")
    await tuesday.get_by_role("button", name=t("Add a time range")).click()
    await tuesday.get_by_role("button", name=t("Add a time range")).click()
    times = tuesday.locator("input[type=time]")
    for i, value in enumerate(["08:00", "11:30", "12:30", "17:00"]):
        await times.nth(i).fill(value)
    await c.page.get_by_label(t("Also closed on Midsummer Eve, Christmas Eve and New Year's Eve")).check()
    await c.button("Add an exception").click()
    box = c.page.locator("fieldset.exception").last
    await box.get_by_label(t("First day")).fill("2027-07-05")
    await box.get_by_label(t("Last day")).fill("2027-08-01")
    await box.get_by_label(t("Reason (for staff, optional)")).fill("Sommarstängt 2027")
    await c.button("Save opening hours").click()
    await c.page.get_by_text(t("Opening hours saved.")).last.wait_for()
    after = await stored(server, "hours")
    assert after["weekly"]["1"] == [["08:00", "11:30"], ["12:30", "17:00"]]
    assert after["weekly"]["0"] == HOURS["weekly"]["0"] and after["closed_on_eves"] is True
    assert {"from": "2027-07-05", "to": "2027-08-01", "ranges": [], "reason": "Sommarstängt 2027"} in after[
        "exception_periods"
    ]

    # Validation in words, nothing sent: an end before the start, overlapping exceptions.
    await times.nth(3).fill("07:00")
    await c.button("Save opening hours").click()
    await (
        tuesday.get_by_text(t("Two time ranges on the same day overlap."))
        .or_(tuesday.get_by_text(t("Each time range must end after it starts (00:00 as the end means midnight).")))
        .first.wait_for()
    )
    await c.check("51-hours-problems")
    assert await stored(server, "hours") == after
    assert_clean(c)


async def test_hours_editor_in_arabic_keeps_times_left_to_right(server, console_factory) -> None:
    creds = await server.create_staff("admin", name="Lina", locale="ar")
    await server.app[K.SERVICES].hours.set_schedule(copy.deepcopy(HOURS))
    c: Console = await console_factory("hours-ar")
    await c.login(creds)  # the login page speaks the console's default language
    await c.page.locator("html[dir='rtl']").wait_for(state="attached")
    c.t = await catalog(server.url, "ar")
    await open_admin_section(c, "hours")
    pair = c.page.locator("[data-where='day:3'] .time-pair").first
    await pair.wait_for()
    assert await pair.evaluate("n => getComputedStyle(n).direction") == "ltr"
    box = await pair.bounding_box()
    first = await pair.locator("input").first.bounding_box()
    assert box and first and first["x"] <= box["x"] + 1, "the opening time must come first, on the left"
    await c.check("52-hours-editor-ar")
    assert_clean(c)


async def test_every_seeded_receiver_saved_unchanged_is_stored_unchanged(server, console_factory) -> None:
    # The seeded receivers are national (shared by every centre): a national admin's to
    # edit (issue 19), as the installation's first admin is.
    creds = await server.create_staff("admin", name="Lina", national_admin=True)
    await server.app[K.SERVICES].directory.all()  # seeds the directory
    before = await stored(server, "referrals")
    assert len(before["receivers"]) >= 20
    c: Console = await console_factory("directory")
    t = c.t
    await c.login(creds)
    await c.page.get_by_role("button", name=t("Referral directory")).click()
    rows = c.page.locator("table.directory-table tbody tr")
    await rows.first.wait_for()
    count = await rows.count()
    assert count == len(before["receivers"])
    for index in range(count):
        await rows.nth(index).get_by_role("button", name=t("Edit")).click()
        form = c.page.locator("form.receiver-editor")
        await form.wait_for()
        if index == 3:
            await c.check("53-directory-editor")
        async with c.page.expect_response(lambda r: "/admin/referrals/" in r.url) as saved:
            await form.get_by_role("button", name=t("Save"), exact=True).click()
        assert (await saved.value).status == 200
        await form.wait_for(state="detached")
        await rows.nth(count - 1).wait_for()
    assert await stored(server, "referrals") == before, "saving receivers unchanged changed the directory"

    # Unticking "verify before use" keeps the code, the county and the switchboard note.
    target = next(r for r in before["receivers"] if r["area"].get("code") and r["verify"])
    row = rows.filter(has_text=target["name"])
    await row.get_by_role("button", name=t("Edit")).click()
    form = c.page.locator("form.receiver-editor")
    await form.get_by_label(t("Verify before use (not yet checked)")).uncheck()
    # A second phone with its note, an address and a language.
    await form.get_by_role("button", name=t("Add a way to reach them")).click()
    last = form.locator("ol.editor-list > li").last
    await last.get_by_label(t("Number, address or link")).fill("0250-100 00")
    await last.get_by_label(t("Note (e.g. switchboard)")).fill("jour")
    await form.get_by_role("button", name=t("Add a way to reach them")).click()
    last = form.locator("ol.editor-list > li").last
    await last.get_by_label(t("Kind")).select_option("visit")
    await last.get_by_label(t("Number, address or link")).fill("Storgatan 1")
    await form.get_by_role("checkbox", name="العربية").check()
    await form.get_by_role("button", name=t("Save"), exact=True).click()
    await form.wait_for(state="detached")
    saved_receiver = next(r for r in (await stored(server, "referrals"))["receivers"] if r["id"] == target["id"])
    assert saved_receiver["verify"] is False and saved_receiver["area"] == target["area"]
    assert saved_receiver["channels"] == [
        *target["channels"],
        {"kind": "phone", "value": "0250-100 00", "note": "jour"},
        {"kind": "visit", "value": "Storgatan 1"},
    ]
    assert saved_receiver["languages"] == ["ar"]

    # A new receiver with an id with a space: a clear message, nothing sent.
    await c.button("Add a receiver").click()
    form = c.page.locator("form.receiver-editor")
    await form.get_by_label(t("Identifier")).fill("ny mottagare")
    await form.get_by_label(t("Name"), exact=True).fill("Ny")
    await form.get_by_role("button", name=t("Save"), exact=True).click()
    await form.get_by_text(
        t(
            "The identifier is 2 to 64 small letters a–z, digits and dashes, without spaces, "
            "and starts with a letter or a digit."
        )
    ).wait_for()
    assert "internal" not in await form.inner_text()
    await c.check("54-directory-problems")
    assert_clean(c)


async def test_accounts_max_chats_audiences_and_confirmations(server, console_factory) -> None:
    creds = await server.create_staff("admin", name="Lina")
    other = await server.create_staff("operator", name="Ali")
    c: Console = await console_factory("accounts")
    t = c.t
    await c.login(creds)
    await open_admin_section(c, "accounts")
    form = c.page.locator("form.form-grid")
    await form.get_by_role("button", name=t("Create account")).click()
    await form.get_by_text(t("Choose a longer password: at least 12 characters.")).wait_for()
    await c.check("55-account-problems")
    username = "pro-" + secrets.token_hex(3)
    await form.get_by_label(t("Username")).fill(username)
    await form.get_by_label(t("Display name")).fill("Pro")
    await form.get_by_label(t("Temporary password")).fill("tillfälligt lösenord 7")
    await form.get_by_label(t("Young people and people close to them")).uncheck()
    await form.get_by_label(t("Chats at the same time")).fill("2")
    await form.get_by_role("button", name=t("Create account")).click()
    await c.page.get_by_role("dialog").get_by_role("button", name=t("Done")).click()
    record = await server.durable.get_staff_by_username(username)
    assert record["audiences"] == ["professional"] and record["max_chats"] == 2

    # A role change asks first; cancelling keeps the role.
    role = c.page.get_by_label(f"{t('Role of {username}').replace('{username}', other.username)}")
    await role.select_option("supervisor")
    dialog = c.page.get_by_role("dialog")
    await dialog.get_by_role("button", name=t("Cancel")).click()
    assert (await server.durable.get_staff_by_username(other.username))["role"] == "operator"
    assert await role.input_value() == "operator"
    await role.select_option("supervisor")
    await c.check("56-role-confirm")
    await c.page.get_by_role("dialog").get_by_role("button", name=t("Change the role")).click()
    await c.page.get_by_text(t("The role was changed.")).wait_for()
    assert (await server.durable.get_staff_by_username(other.username))["role"] == "supervisor"

    # Restoring the default canned responses asks first.
    await server.app[K.SERVICES].canned.set_locale("sv", [{"id": "a", "title": "Hej", "text": "Hej!"}])
    await c.page.locator("button[data-section='canned']").click()
    await c.button("Restore the defaults").click()
    await c.page.get_by_role("dialog").get_by_role("button", name=t("Cancel")).click()
    assert (await server.app[K.SERVICES].canned.all())["sv"]["custom"] is True
    await c.button("Restore the defaults").click()
    await c.page.get_by_role("dialog").get_by_role("button", name=t("Restore the defaults")).click()
    await c.page.get_by_text(t("Canned responses saved.")).wait_for()
    assert (await server.app[K.SERVICES].canned.all())["sv"]["custom"] is False
    assert_clean(c)
