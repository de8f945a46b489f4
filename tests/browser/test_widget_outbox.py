"""The widget's outbox over long-polling only: twenty messages written offline reach the
counsellor after the reconnect, each once and in the order written, although
python-engineio refuses a long-polling POST with more than 16 packets (the widget sends
one message at a time, acknowledged, instead of flushing them in one tick)."""

from __future__ import annotations

from typing import Any

from chat_server.transport import keys as K

from .conftest import Operator, Visitor, assert_no_violations

COUNT = 20


async def test_outbox_flushed_in_order_over_long_polling(chat, visitor_factory, operator_factory) -> None:
    op: Operator = await operator_factory()  # connected over WebSocket before the switch
    # From now on long-polling only, as behind a proxy that refuses WebSocket: the server
    # answers a WebSocket handshake with 400 and the widget falls back to polling.
    chat.app[K.SIO].eio.transports = ["polling"]
    v: Visitor = await visitor_factory("sv", prefix="outbox-")
    sockets: list[str] = []
    v.page.on("websocket", lambda ws: sockets.append(ws.url))
    # Long-polling POSTs the server refused, and Engine.IO sessions opened (a handshake
    # is a GET without a sid): after the reconnect there must be one session, no refusal.
    refused: list[int] = []
    sessions: list[str] = []

    def on_response(r: Any) -> None:
        if "/socket.io/" not in r.url:
            return
        if r.request.method == "POST" and r.status >= 400:
            refused.append(r.status)
        if r.request.method == "GET" and "sid=" not in r.url and r.status == 200:
            sessions.append(r.url)

    v.page.on("response", on_response)
    await v.open_host()
    await v.open_widget()
    await v.start_chat("Svenska")
    await op.accept_next()
    await v.send("före")
    await op.wait_visitor_text("före")

    await v.context.set_offline(True)
    banner = v.frame.get_by_text(v.t("The connection was lost. Reconnecting…"))
    await banner.wait_for()
    texts = [f"meddelande {i + 1} av {COUNT}" for i in range(COUNT)]
    for text in texts:
        await v.send(text)
    mine = v.frame.locator(".msg--mine")
    await mine.filter(has_text=texts[-1]).get_by_text(v.t("Waiting for connection")).wait_for()
    await v.check("outbox-offline")

    before = len(sessions)
    await v.context.set_offline(False)
    await banner.wait_for(state="detached", timeout=30_000)
    await mine.filter(has_text=texts[-1]).locator(".tick--delivered").wait_for(timeout=30_000)
    await op.wait_visitor_text(texts[-1])

    assert refused == [], "a long-polling POST was refused (too many packets in one POST?)"
    assert len(sessions) - before == 1, "one resume, no reconnect loop"
    received = [t for t in op.visitor_texts() if t.startswith("meddelande")]
    assert received == texts, "each once, in the order written"
    assert await mine.count() == COUNT + 1
    assert await mine.locator(".tick--delivered").count() == COUNT + 1
    # The order on screen is the order written.
    shown = [t.strip() for t in await mine.locator(".bubble").all_inner_texts()]
    assert shown == ["före", *texts]
    assert all("transport=websocket" in url for url in sockets)  # tried, refused: polling carried it
    await v.check("outbox-delivered")
    assert_no_violations(v)
