"""Flooders are slowed, then cut off; everyone else converses normally.

While each flood runs, the reference conversation (``healthy``) keeps exchanging
messages; at the end every one of its messages has been delivered once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import socketio

from ..helpers import Recorder, new_client_id
from .conftest import Reference


async def converse_while(ref: Reference, flood: asyncio.Future, rounds: int = 8) -> None:
    """Keep the reference conversation going until the flood is over (at least
    ``rounds`` exchanges)."""
    done = 0
    while done < rounds or not flood.done():
        await ref.exchange(f"flood {done}")
        done += 1
        await asyncio.sleep(0.5)  # a person types; the limits are far above this pace
        if done > 100:
            raise AssertionError("the flood never ended")
    await flood
    ref.assert_in_order()


async def test_message_flood_is_rate_limited_then_disconnected(server, visitor, healthy: Reference):
    flooder = await visitor()
    assert (await flooder.call("start", {"audience": "self"}))["ok"]
    gone = asyncio.Event()
    flooder.client.on("disconnect", lambda *a: gone.set(), namespace="/visitor")
    codes: list[str] = []

    async def flood() -> None:
        for burst in range(20):
            if gone.is_set():
                return
            acks = await asyncio.gather(
                *(
                    flooder.call("message", {"client_id": new_client_id(), "text": "spam " * 50}, timeout=5)
                    for _ in range(25)
                ),
                return_exceptions=True,
            )
            codes.extend(
                a["error"]["code"]
                if isinstance(a, dict) and not a["ok"]
                else ("ok" if isinstance(a, dict) else "no-ack")
                for a in acks
            )

    task = asyncio.ensure_future(flood())
    await converse_while(healthy, task)
    assert "rate_limited" in codes
    assert codes.count("ok") <= 40, codes.count("ok")  # burst 20 + 2/s while it lasted
    assert gone.is_set(), "a client that keeps flooding is cut off"


async def test_typing_flood_reaches_the_operator_only_at_the_limited_rate(
    server, visitor, operator, healthy: Reference
):
    # The flooder's own conversation, accepted by its own operator.
    op2, _ = await operator()
    flooder = await visitor()
    cid = (await flooder.call("start", {"audience": "self"}))["conversation"]["id"]
    assert (await op2.call("accept", {"conversation_id": cid}))["ok"]
    before = len(op2.received("typing"))

    async def flood() -> None:
        for _ in range(6):
            if not flooder.client.connected:
                return  # cut off for flooding
            await asyncio.gather(
                *(flooder.emit("typing", {"active": True}) for _ in range(50)),
                return_exceptions=True,
            )
            await asyncio.sleep(0.05)

    await converse_while(healthy, asyncio.ensure_future(flood()), rounds=4)
    await asyncio.sleep(0.3)
    relayed = len(op2.received("typing")) - before
    assert relayed <= 30, relayed  # burst 10 + 4/s, far below the 300 sent
    # The reference operator got none of it.
    assert not [t for t in healthy.operator.received("typing") if t.get("conversation_id") == cid]


async def test_unknown_event_flood_is_cut_off(server, visitor, healthy: Reference):
    flooder = await visitor()
    gone = asyncio.Event()
    flooder.client.on("disconnect", lambda *a: gone.set(), namespace="/visitor")

    async def flood() -> None:
        for i in range(200):
            if gone.is_set():
                return
            with contextlib.suppress(Exception):
                await flooder.emit("no_such_event", {"i": i})
            await asyncio.sleep(0)

    await converse_while(healthy, asyncio.ensure_future(flood()), rounds=4)
    await asyncio.wait_for(gone.wait(), 10)


async def test_connection_storm_from_one_address_is_refused(server, healthy: Reference):
    made: list[Recorder] = []
    refused = 0

    async def one() -> None:
        nonlocal refused
        rec = Recorder(server.url, "/visitor")
        made.append(rec)
        try:
            await rec.connect()
        except socketio.exceptions.ConnectionError:
            refused += 1

    async def storm() -> None:
        await asyncio.gather(*(one() for _ in range(80)))

    try:
        await converse_while(healthy, asyncio.ensure_future(storm()), rounds=3)
    finally:
        await asyncio.gather(*(r.disconnect() for r in made), return_exceptions=True)
    assert refused >= 10, refused  # burst 60 per address key (a school class), then 1 per second


async def test_conversation_storm_from_one_address_is_refused(server, visitor, healthy: Reference):
    """Beyond a school class (30 at once, issue 17) new chats from one address are
    refused: 14 connections start, end and start again, three times each."""
    visitors = [await visitor() for _ in range(14)]

    async def three(v: Recorder) -> list:
        acks = []
        for _ in range(3):
            acks.append(await v.call("start", {"audience": "self"}))
            await v.call("end", {})
        return acks

    async def storm() -> list:
        return [a for acks in await asyncio.gather(*(three(v) for v in visitors)) for a in acks]

    task = asyncio.ensure_future(storm())
    await converse_while(healthy, task, rounds=2)
    codes = [a["error"]["code"] if not a["ok"] else "ok" for a in task.result()]
    assert codes.count("rate_limited") >= 8 and codes.count("ok") <= 34, codes


async def test_login_flood_does_not_stall_the_chats(server, healthy: Reference):
    creds = await server.create_staff()

    async def flood() -> list[int]:
        async with aiohttp.ClientSession() as http:

            async def one() -> int:
                async with http.post(
                    server.url + "/api/login",
                    json={"username": creds.username, "password": "guess " * 3, "totp": "000000"},
                ) as r:
                    return r.status

            return await asyncio.gather(*(one() for _ in range(40)))

    task = asyncio.ensure_future(flood())
    await converse_while(healthy, task, rounds=3)
    statuses = task.result()
    assert statuses.count(401) <= 5 and statuses.count(429) >= 35, statuses


async def test_followup_code_guessing_is_limited(server, visitor, healthy: Reference):
    guessers = [await visitor() for _ in range(3)]
    for v in guessers:
        assert (await v.call("start", {"audience": "self"}))["ok"]

    async def guess(v: Recorder) -> list[str]:
        acks = await asyncio.gather(*(v.call("followup", {"code": f"{i:04d}-0000-0000-0000"}) for i in range(8)))
        return ["ok" if a["ok"] else a["error"]["code"] for a in acks]

    task = asyncio.ensure_future(asyncio.gather(*(guess(v) for v in guessers)))
    await converse_while(healthy, task, rounds=2)
    codes = [c for per in task.result() for c in per]
    # Per connection 5, per address key 10 per hour: sent all at once, still only 10 get
    # to be checked at all.
    assert codes.count("not_found") <= 10 and codes.count("rate_limited") >= 14, codes
