"""The console after its staff session expired on the server: the next connection is
refused with the CONNECT_ERROR ``{"message": "unauthorized", …}`` and the console goes
back to its login page with a sentence saying why (operator_console/src/main.js,
``connect_error``)."""

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
    # ... while the console's connection drops (its websocket is closed, as on a network
    # change): socket.io-client reconnects by itself, and the server refuses the staff
    # namespace.
    sio = server.app[K.SIO]
    eio_sids = [eio_sid for _sid, eio_sid in sio.manager.get_participants("/operator", None)]
    assert eio_sids
    for eio_sid in eio_sids:
        await asyncio.wait_for(sio.eio.sockets[eio_sid].refuse("the test drops the connection"), 5)

    notice = sara.page.get_by_role("status").filter(has_text=t("Your session has ended. Please log in again."))
    await notice.wait_for()
    await sara.page.get_by_label(t("Username")).wait_for()
    assert await sara.page.locator("#duty-toggle").count() == 0
    await sara.check("zz-tmp-session-expired")
    assert_clean(sara)
