"""The console after a server-side loss of duty and chats, followed by a reconnect."""

from __future__ import annotations

from chat_server.transport import keys as K

from .console import assert_clean, start_visitor


async def test_reconnect_restores_duty_and_ends_lost_chats(server, console_factory, visitor) -> None:
    creds = await server.create_staff("operator", name="Sara", languages=["sv", "ar"])
    sara = await console_factory("sara")
    t = sara.t
    await sara.login(creds)
    await sara.go_on_duty()
    v1, c1, p1 = await start_visitor(visitor, locale="sv")
    await sara.page.get_by_role("button", name=t("Accept the chat with {name}").replace("{name}", p1)).click()
    await sara.tab(p1).wait_for()
    # As after a Redis restart: duty and the conversation are gone on the server.
    eph = server.app[K.EPHEMERAL]
    staff_ids = [sid for sid, _ in await eph.index_members("duty")]
    assert staff_ids
    for sid in staff_ids:
        await eph.delete("duty", sid)
        await eph.index_remove("duty", sid)
    assert await eph.delete("conv", c1)
    sio = server.app[K.SIO]
    sids = [sid for sid, _eio in sio.manager.get_participants("/operator", None)]
    assert sids
    for sid in sids:
        await sio.disconnect(sid, namespace="/operator")
    await sara.page.get_by_text(t("The connection was restored. You are on duty again.")).wait_for()
    await sara.page.locator("#duty-toggle[aria-pressed='true']").wait_for()
    assert await eph.get("duty", staff_ids[0])
    await sara.page.get_by_text(
        t("The chat is no longer on the server (for example after a restart). It has ended.")
    ).wait_for()
    await sara.check("zz-tmp-reconnect")
    assert_clean(sara)
