"""The console's first run, administration and languages in Chromium: the setup link
creates the first admin (QR + manual key + a valid code), the admin creates an account
that then logs in, the hours, canned responses and audit screens, and the console in
Arabic (right to left) remembered on the account. Screens are screenshotted and checked
with axe-core."""

from __future__ import annotations

import secrets
import time

import pytest

from chat_server.security import totp
from chat_server.transport import keys as K

from ..helpers import StaffCredentials
from .console import Console, assert_clean, catalog

pytestmark = pytest.mark.browser


async def test_first_run_setup_then_login(server, console_factory) -> None:
    token = await server.app[K.SERVICES].first_run.issue_token()
    c: Console = await console_factory("setup")
    t = c.t
    await c.page.goto(f"{server.url}/console/#setup={token}")
    await c.page.get_by_role("heading", name=t("Create the first admin account")).wait_for()
    await c.page.get_by_label(t("Username")).fill("samordnare")
    await c.page.get_by_label(t("Display name")).fill("Lina")
    await c.page.get_by_label(t("Password"), exact=True).fill("ett långt lösenord 42")
    await c.page.get_by_label(t("Password again")).fill("ett långt lösenord 42")
    await c.check("20-setup")
    await c.button("Continue").click()
    await c.page.locator("img.qr").wait_for()
    secret = (await c.page.get_by_test_id("totp-secret").inner_text()).replace(" ", "")
    assert totp.valid_secret(secret)
    await c.check("21-setup-totp")
    await c.page.get_by_label(t("Code from your authenticator app")).fill(totp.code_at(secret))
    await c.button("Create account").click()
    await c.page.get_by_text(t("Your account is ready. Log in with a new code from your app.")).wait_for()
    assert "setup=" not in c.page.url
    creds = StaffCredentials("samordnare", "ett långt lösenord 42", secret, last_step=int(time.time()) // totp.STEP)
    await c.login(creds)
    await c.page.get_by_role("button", name=t("Administration")).wait_for()
    assert_clean(c)


async def test_admin_screens_new_account_and_rtl(server, console_factory) -> None:
    admin_creds = await server.create_staff("admin", name="Lina")
    admin: Console = await console_factory("admin")
    t = admin.t
    await admin.login(admin_creds)
    await admin.page.get_by_role("button", name=t("Administration")).click()
    await admin.page.get_by_role("heading", name=t("Administration"), level=1).wait_for()
    await admin.page.get_by_role("table").get_by_text(admin_creds.username).wait_for()
    await admin.check("30-admin-accounts")

    # Create an account; the enrolment (QR and key) is shown once.
    username = "ny-" + secrets.token_hex(3)
    form = admin.page.locator("form.form-grid")
    await form.get_by_label(t("Username")).fill(username)
    await form.get_by_label(t("Display name")).fill("Amal")
    await form.get_by_label(t("Temporary password")).fill("tillfälligt lösenord 7")
    await form.get_by_label(t("Role")).select_option("supervisor")
    await form.get_by_role("checkbox", name="العربية").check()  # "Arabiska (العربية)"
    await form.get_by_role("button", name=t("Create account")).click()
    dialog = admin.page.get_by_role("dialog")
    await dialog.locator("img.qr").wait_for()
    secret = (await dialog.get_by_test_id("totp-secret").inner_text()).replace(" ", "")
    await admin.check("31-admin-enrolment")
    await dialog.get_by_role("button", name=t("Done")).click()
    await admin.page.get_by_role("table").get_by_text(username).wait_for()

    # Opening hours: save Monday 09-16.
    await admin.page.get_by_role("button", name=t("Opening hours")).click()
    monday = admin.page.locator("tr[data-day='0']")
    await monday.get_by_role("button", name=t("Add a time range")).click()
    await monday.locator("input[type=time]").first.fill("09:00")
    await monday.locator("input[type=time]").nth(1).fill("16:00")
    await admin.page.get_by_role("button", name=t("Save opening hours")).click()
    await admin.page.get_by_text(t("Opening hours saved.")).wait_for()
    await admin.check("32-admin-hours")
    assert (await server.app[K.SERVICES].hours.schedule()).raw["weekly"] == {"0": [["09:00", "16:00"]]}

    await admin.page.get_by_role("button", name=t("Canned responses")).click()
    await admin.page.locator(".canned-item").first.wait_for()
    await admin.check("33-admin-canned")
    await admin.page.get_by_role("button", name=t("Audit log")).click()
    await admin.page.get_by_role("table").get_by_text(t("Created an account")).first.wait_for()
    await admin.check("34-admin-audit")

    # The new account logs in and switches the console to Arabic (right to left).
    amal: Console = await console_factory("amal")
    await amal.login(StaffCredentials(username, "tillfälligt lösenord 7", secret))
    await amal.page.get_by_role("button", name=t("Supervision")).wait_for()
    await amal.page.locator("select.lang-select").select_option("ar")
    await amal.page.locator("html[dir='rtl'][lang='ar']").wait_for(state="attached")
    await amal.page.locator("#duty-toggle").wait_for()
    await amal.check("35-console-arabic-rtl")
    record = await server.durable.get_staff_by_username(username)
    assert record["locale"] == "ar"
    # Remembered on the account: a fresh browser comes up in Arabic after login.
    other: Console = await console_factory("amal2")
    await other.login(
        StaffCredentials(username, "tillfälligt lösenord 7", secret, last_step=int(time.time()) // totp.STEP)
    )
    await other.page.locator("html[dir='rtl'][lang='ar']").wait_for(state="attached")
    ar = await catalog(server.url, "ar")
    await other.page.get_by_role("button", name=ar("Supervision")).click()
    await other.page.get_by_role("heading", name=ar("Supervision"), level=1).wait_for()
    await other.check("36-supervision-arabic")
    assert_clean(admin, amal, other)


async def test_login_errors_throttling_and_logout(server, console_factory) -> None:
    creds = await server.create_staff("operator", name="Sara")
    c: Console = await console_factory("errors")
    t = c.t
    await c.page.goto(server.url + "/console/")
    user = c.page.get_by_label(t("Username"))
    password = c.page.get_by_label(t("Password"), exact=True)
    code = c.page.get_by_label(t("Code from your authenticator app"))
    alert = c.page.get_by_role("alert").filter(has_text=t("Wrong username, password or code."))
    await user.fill(creds.username)
    for attempt in range(5):
        await password.fill("not the password " + str(attempt))
        await code.fill("123456")
        await c.button("Log in").click()
        await alert.wait_for()
        if attempt == 0:
            await c.check("40-login-error")
        await c.page.evaluate("document.querySelector('.form-error').textContent = ''")
    # Throttled: even the right password is refused, with a clear message.
    await password.fill(creds.password)
    await code.fill(creds.next_code())
    await c.button("Log in").click()
    await (
        c.page.get_by_role("alert")
        .filter(has_text=t("Too many attempts. Wait a few minutes before you try again."))
        .wait_for()
    )
    await c.check("41-login-throttled")

    other: Console = await console_factory("logout")
    creds2 = await server.create_staff("operator", name="Ali")
    await other.login(creds2)
    await other.button("Log out").click()
    await other.page.get_by_text(t("You are logged out.")).wait_for()
    async with other.page.expect_response(lambda r: r.url.endswith("/api/me")) as info:
        await other.page.reload()
    assert (await info.value).status == 401
    assert_clean(c, other)
