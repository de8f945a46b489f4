"""services/queue_guard.py: caps on waiting chats (in all and per address key), burst
alerts to supervisors, and the supervisors' removal of waiting chats."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat_server.services.errors import ServiceError
from chat_server.services.starting import StartRequest

from .conftest import World, staff_of, visitor_of


async def start_from(world: World, key: str, **params: Any) -> str:
    """A visitor from the address key ``key`` starts a chat, as the visitor namespace
    does (through the queue guard), and its announcement runs."""
    sess = await world.visitor()

    async def attach(_cid: str) -> None:
        return None

    request = StartRequest(**{"audience": "self", **params})
    _, brief, announce = await world.services.queue_guard.do_start(sess, request, attach, "vsid-" + sess.key[:8], key)
    await announce()
    return brief["id"]


async def test_simultaneous_starts_cannot_slip_past_the_cap(world_factory) -> None:
    world: World = await world_factory(max_waiting=10)
    results = await asyncio.gather(*(start_from(world, f"k{i}") for i in range(25)), return_exceptions=True)
    assert len([r for r in results if isinstance(r, str)]) == 10
    assert {r.code for r in results if isinstance(r, ServiceError)} == {"queue_full"}
    assert len(await world.services.repository.queue_ids()) == 10


async def refused(world: World, key: str) -> str:
    with pytest.raises(ServiceError) as caught:
        await start_from(world, key)
    return caught.value.code


async def test_the_caps_on_waiting_chats(world_factory) -> None:
    world: World = await world_factory(max_waiting=5, max_waiting_per_key=3)
    for _ in range(3):
        await start_from(world, "school")
    assert await refused(world, "school") == "rate_limited"  # that network's cap
    await start_from(world, "home")
    await start_from(world, "phone")
    assert await refused(world, "elsewhere") == "queue_full"  # the cap in all
    sara = await world.on_duty(await world.staff())
    waiting = await world.services.repository.queue_ids()
    await world.services.lifecycle.do_accept(sara, waiting[0])
    await start_from(world, "elsewhere")  # room again


async def test_a_live_chat_may_start_again(world_factory) -> None:
    world: World = await world_factory(max_waiting=1)
    sess = await world.visitor()
    await world.services.queue_guard.check_may_queue(sess, "k")
    sess, cid = await world.start(sess, address_key="k")
    await world.services.queue_guard.check_may_queue(sess, "k")  # its own chat: no refusal
    with pytest.raises(ServiceError) as full:
        await world.services.queue_guard.check_may_queue(await world.visitor(), "k")
    assert full.value.code == "queue_full"
    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.address_key == "k"


async def test_a_burst_alerts_the_supervisors_with_its_chats(world_factory) -> None:
    world: World = await world_factory(burst_alert_per_key=3, burst_alert_total=5)
    boss = await world.staff("supervisor")
    admin = await world.staff("admin")
    sara = await world.staff("operator")
    first = [await start_from(world, "school") for _ in range(3)]
    alerts = world.events.of("alert")
    assert {s.to for s in alerts} == {staff_of(boss), staff_of(admin)}  # not operators
    assert staff_of(sara) not in world.events.recipients("alert")
    payload = alerts[0].payload
    assert payload["kind"] == "start_burst" and payload["scope"] == "network" and payload["count"] == 3
    assert [c["id"] for c in payload["conversations"]] == first
    world.events.clear()
    await start_from(world, "elsewhere")
    await start_from(world, "home")  # the fifth within the minute, from anywhere
    everyone = world.events.payloads("alert", staff_of(boss))
    assert [(p["scope"], p["count"], len(p["conversations"])) for p in everyone] == [("all", 5, 5)]
    world.events.clear()
    for _ in range(3):
        await start_from(world, "school")  # the sixth from the school: its count doubled
    assert [(p["scope"], p["count"]) for p in world.events.payloads("alert", staff_of(boss))] == [("network", 6)]


async def test_supervisors_remove_waiting_chats_and_block_their_networks(world: World) -> None:
    boss = await world.staff("supervisor")
    sara = await world.on_duty(await world.staff())
    fake = [await start_from(world, "bot", urgent=True, age_band="13-15") for _ in range(3)]
    real = await start_from(world, "home", urgent=True)
    taken = await start_from(world, "school")
    await world.services.lifecycle.do_accept(sara, taken)
    with pytest.raises(ServiceError) as not_allowed:
        await world.services.queue_guard.do_remove_waiting(sara, fake)
    assert not_allowed.value.code == "forbidden"
    world.events.clear()

    removed = await world.services.queue_guard.do_remove_waiting(boss, [*fake, taken, "no-such-chat", fake[0]])

    assert removed == 3  # the accepted chat is left alone
    assert await world.services.repository.queue_ids() == [real]
    for cid in fake:
        assert world.events.payloads("ended", visitor_of(cid)) == [{"reason": "blocked"}]
    assert await world.services.repository.get_live(taken) is not None
    assert await world.services.repository.is_blocked("bot")
    assert not await world.services.repository.is_blocked("home")
    with pytest.raises(ServiceError) as blocked:
        await world.services.starts.check_may_start("bot")
    assert blocked.value.code == "forbidden"
    # The real urgent visitor is first now.
    real_conv = await world.services.repository.get(real)
    assert real_conv is not None and await world.services.queue.position(real_conv) == 1


async def test_a_chat_taken_meanwhile_is_not_removed(world: World) -> None:
    """Removal ends a chat only while it still waits (checked in the compare-and-set)."""
    boss = await world.staff("supervisor")
    sara = await world.on_duty(await world.staff())
    cid = await start_from(world, "k")
    await world.services.lifecycle.do_accept(sara, cid)
    assert not await world.services.lifecycle.finish(cid, "blocked", when=lambda c: c.state == "waiting")
    assert await world.services.queue_guard.do_remove_waiting(boss, [cid]) == 0
    assert not await world.services.repository.is_blocked("k")
