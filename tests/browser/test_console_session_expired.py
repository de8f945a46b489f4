"""The console after its staff session ended on the server: the server tells the open
console at once (``session_ended``, with the reason in the console's language) and
closes its socket, and a connection made later is refused with the CONNECT_ERROR
``{"message": "unauthorized", …}``; either way the console goes back to its login page
with a sentence saying why (operator_console/src/connection.js and main.js)."""

from __future__ import annotations

import asyncio

from chat_server.services.staff import SESSION_NS
from chat_server.transport import keys as K

from .console import assert_clean


async def test_an_expired_session_returns_to_the_login_page(server, console_factory) -> None:
    creds = await server.create_staff("operator", name="Sara")
    sara = await console_factory("sara")
    t = sara.t
    await sara.login(creds)

    # The session expires on the server (idle past CHAT_SESSION_IDLE_S) ...
    durable = server.app[K.DURABLE]
    expired = 0
    for key, data in await durable.list_kv(SESSION_NS):
        if data["staff_id"] == creds.id:
            data["last_seen"] -= server.settings.session_idle_s + 60
            await durable.put_kv(SESSION_NS, key, data, expires_at=data["created_at"] + 3600)
            expired += 1
    assert expired == 1
    # ... and the server's console watcher tells the open console within a second.
    notice = sara.page.get_by_role("status").filter(has_text=t("Your session has expired. Please log in again."))
    await notice.wait_for(timeout=5000)
    await sara.page.get_by_label(t("Username")).wait_for()
    assert await sara.page.locator("#duty-toggle").count() == 0
    await sara.check("zz-tmp-session-expired")
    assert_clean(sara)


async def test_an_admin_disabling_the_account_sends_the_console_to_the_login_page(server, console_factory) -> None:
    creds = await server.create_staff("operator", name="Sara")
    sara = await console_factory("sara")
    t = sara.t
    await sara.login(creds)
    await sara.page.locator("#duty-toggle").wait_for()

    await server.services.staff.set_disabled(creds.id, True)  # e.g. `rc-chat operators disable`
    await server.services.revocation.do_signed_out(creds.id, "disabled")  # what the admin API adds

    notice = sara.page.get_by_role("status").filter(has_text=t("Your account has been disabled."))
    await notice.wait_for(timeout=5000)
    await sara.page.get_by_label(t("Username")).wait_for()
    assert await sara.page.locator("#duty-toggle").count() == 0
    assert_clean(sara)


async def test_a_refused_reconnect_also_ends_the_session(server, console_factory) -> None:
    """The session is gone while the console has no connection (a laptop asleep): the
    reconnect is refused ``unauthorized``, and the console says the session ended."""
    creds = await server.create_staff("operator", name="Sara")
    sara = await console_factory("sara")
    t = sara.t
    await sara.login(creds)
    await sara.page.locator("#duty-toggle").wait_for()
    await sara.page.context.set_offline(True)
    sio = server.app[K.SIO]
    eio_sids = [eio_sid for _sid, eio_sid in sio.manager.get_participants("/operator", None)]
    for eio_sid in eio_sids:
        await asyncio.wait_for(sio.eio.sockets[eio_sid].refuse("the test drops the connection"), 5)
    durable = server.app[K.DURABLE]
    for key, data in await durable.list_kv(SESSION_NS):
        if data["staff_id"] == creds.id:
            await durable.delete_kv(SESSION_NS, key)
    await sara.page.context.set_offline(False)

    notice = sara.page.get_by_role("status").filter(has_text=t("Your session has ended. Please log in again."))
    await notice.wait_for(timeout=15000)
    await sara.page.get_by_label(t("Username")).wait_for()
    assert_clean(sara)
