"""Admission control: a process refuses new connections with 503 before it runs out of
file descriptors (asyncio would otherwise stop accepting for a second at a time, for
staff too), keeps a reserve for staff, and admits again when someone leaves."""

from __future__ import annotations

import aiohttp

from chat_server.transport.admission import MIN_RESERVE, session_caps
from chat_server.transport.guard import SESSION_COOKIE
from tests.helpers import Recorder

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def test_caps_leave_descriptors_for_everything_else_and_a_staff_reserve():
    visitors, total = session_caps(0, limit=20_000)
    assert total == 19_000 and visitors == 18_810  # 5 % reserve, then 1 % for staff
    visitors, total = session_caps(0, limit=1_024)
    assert total == 1_024 - MIN_RESERVE and visitors == total - 16
    assert session_caps(500, limit=20_000) == (484, 500)
    assert session_caps(50_000, limit=20_000)[1] == 19_000  # never above the automatic cap


async def test_full_server_refuses_visitors_with_503_admits_staff_and_recovers(server_factory, clients):
    live = await server_factory(max_connections=20)  # 4 for visitors, 16 more for staff
    held = []
    for _ in range(4):
        v = Recorder(live.url, "/visitor")
        clients.append(v)
        await v.connect()
        held.append(v)
    async with aiohttp.ClientSession() as http:
        async with http.get(live.url + HANDSHAKE) as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"] == "10"
        # A staff handshake (the console) still gets in.
        async with http.get(live.url + HANDSHAKE, headers={"Cookie": f"{SESSION_COOKIE}=x"}) as resp:
            assert resp.status == 200
        # Existing sessions are never refused (their requests carry a sid); the staff
        # session counts too, so two visitors must leave before a new one gets in.
        assert (await held[0].call("typing", {"active": False}))["ok"] is False  # no chat yet
        await held[0].disconnect()
        await held[1].disconnect()
        for _ in range(100):
            async with http.get(live.url + HANDSHAKE) as resp:
                if resp.status == 200:
                    break
        assert resp.status == 200
