"""The queue under a flood from many addresses, and a school class from one.

Real sockets from 127.0.0.x source addresses (each its own address key). A script on 50
addresses starts urgent chats for 13-15-year-olds, three from each, as fast as it can
while a reference conversation goes on: the cap on waiting chats holds the queue at
``max_waiting`` and refuses the rest with ``queue_full``; supervisors get ``start_burst``
alerts listing the flood's chats; a supervisor removes them (each network is blocked),
the script's next attempts are refused, and a real visitor in danger who then starts a
chat is at place 1 (at most 3). A school class of 30 from one address all get their
chats, and the supervisors hear of the burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio

from chat_server.i18n import Catalogs
from chat_server.services.queue_guard import MSG_TOO_MANY_HERE

from ..conftest import LiveServer, connect_operator
from ..helpers import Recorder
from .conftest import Reference

CATALOGS = Catalogs()
URGENT = {"audience": "self", "topic": "violence", "urgent": True, "age_band": "13-15"}
SCHOOL = {"audience": "self", "topic": None, "urgent": False, "age_band": "16-17"}


class FromAddress:
    """A visitor whose TCP connection leaves from ``source`` (127.0.0.x)."""

    def __init__(self, base: str, source: str) -> None:
        self.base = base
        self.source = source
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.events: list[tuple[str, Any]] = []

        @self.client.on("*", namespace="/visitor")
        async def catch(event: str, data: Any = None) -> None:
            self.events.append((event, data))

    async def open(self) -> FromAddress:
        await self.client.connect(self.base, namespaces=["/visitor"], transports=["websocket"], wait_timeout=10)
        return self

    async def call(self, event: str, data: Any) -> Any:
        return await self.client.call(event, data, namespace="/visitor", timeout=20)

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()
        await self.http.close()


@pytest.fixture
async def sockets() -> AsyncIterator[list[FromAddress]]:
    made: list[FromAddress] = []
    yield made
    await asyncio.gather(*(s.close() for s in made), return_exceptions=True)


async def start_from(server: LiveServer, source: str, params: dict[str, Any], made: list[FromAddress]) -> Any:
    visitor = FromAddress(server.url, source)
    made.append(visitor)
    await visitor.open()
    return await visitor.call("start", params)


def code(ack: Any) -> str:
    return "ok" if ack["ok"] else ack["error"]["code"]


async def test_a_flood_from_50_addresses_leaves_the_queue_usable_for_a_visitor_in_danger(
    server: LiveServer, clients: list[Recorder], healthy: Reference, sockets: list[FromAddress]
) -> None:
    boss, _ = await connect_operator(server.url, await server.create_staff("supervisor"), clients, duty=False)
    attackers = [f"127.0.1.{i}" for i in range(1, 51)]

    async def flood() -> list[Any]:
        # Three chats from each address, all at once.
        return await asyncio.gather(*(start_from(server, a, URGENT, sockets) for a in attackers for _ in range(3)))

    task = asyncio.ensure_future(flood())
    while not task.done():
        await healthy.exchange("flood")  # the reference chat goes on meanwhile
        await asyncio.sleep(0.3)
    acks = task.result()
    codes = [code(a) for a in acks]
    cap = server.settings.max_waiting
    assert codes.count("ok") == cap and codes.count("queue_full") == len(acks) - cap, codes
    flooded = [a["conversation"]["id"] for a in acks if a["ok"]]
    assert len(await server.repository.queue_ids()) == cap

    # A real visitor in danger, now: the queue is full, and says so.
    in_danger = FromAddress(server.url, "127.0.0.2")
    sockets.append(in_danger)
    await in_danger.open()
    refused = await in_danger.call("start", URGENT)
    assert code(refused) == "queue_full" and refused["error"]["message"]

    # The supervisors were alerted to the burst, with the flood's chats listed.
    alert = await boss.wait_for("alert", lambda d: d.get("kind") == "start_burst" and d["scope"] == "all")
    assert alert["count"] == server.settings.burst_alert_total and alert["conversations"]
    assert {c["id"] for c in alert["conversations"]} <= set(flooded)
    # A supervisor looks at the overview and removes the flood's waiting chats.
    overview = await boss.call("overview", {})
    suspicious = [c["id"] for c in overview["items"] if c["state"] == "waiting" and c["id"] in flooded]
    assert len(suspicious) == cap
    removed = await boss.call("remove_waiting", {"conversation_ids": suspicious})
    assert removed == {"ok": True, "removed": cap}
    assert await server.repository.queue_ids() == []

    # The script tries again from the same addresses: blocked.
    again = await asyncio.gather(*(start_from(server, a, URGENT, sockets) for a in attackers[:10]))
    assert {code(a) for a in again} == {"forbidden"}

    # The visitor in danger tries again: first in the queue.
    ack = await in_danger.call("start", URGENT)
    assert ack["ok"], ack
    assert ack["conversation"]["position"] <= 3
    assert ack["conversation"]["position"] == 1


async def test_a_school_class_of_30_on_one_network_all_get_their_chats(
    server: LiveServer, clients: list[Recorder], sockets: list[FromAddress]
) -> None:
    """Issue 17: at least 30 chats from one address within ten minutes. Here all 30 at
    once; the supervisors hear of the burst, and nothing is refused."""
    boss, _ = await connect_operator(server.url, await server.create_staff("supervisor"), clients, duty=False)
    acks = await asyncio.gather(*(start_from(server, "127.0.0.9", SCHOOL, sockets) for _ in range(30)))
    assert [code(a) for a in acks] == ["ok"] * 30
    assert len(await server.repository.queue_ids()) == 30
    alert = await boss.wait_for("alert", lambda d: d.get("kind") == "start_burst" and d["scope"] == "network")
    assert alert["count"] == server.settings.burst_alert_per_key
    # The start limit per network comes after the class: the 31st at once is refused
    # (one more every ten seconds after that).
    extra = await start_from(server, "127.0.0.9", SCHOOL, sockets)
    assert code(extra) == "rate_limited"


async def test_the_cap_per_network_refuses_truthfully(server_factory, sockets: list[FromAddress]) -> None:
    server = await server_factory(max_waiting_per_key=4)
    acks = [await start_from(server, "127.0.0.7", SCHOOL, sockets) for _ in range(5)]
    assert [code(a) for a in acks] == ["ok"] * 4 + ["rate_limited"]
    # Its own words (the widget says: many chats from this network; try again later).
    assert acks[-1]["error"]["message"] == CATALOGS("sv", MSG_TOO_MANY_HERE)
    other = await start_from(server, "127.0.0.8", SCHOOL, sockets)
    assert code(other) == "ok"
