"""services/presence.py and the sweep's presence net (services/sweeper.py): a
conversation shown "connected" whose socket is gone (not connected on its own process,
or its process has stopped beating) is marked away, whatever happened to the
disconnect; a process judged dead by mistake puts its visitors back; console sockets
the same. Memory store, and two processes on one Redis."""

from __future__ import annotations

from typing import Any

from .conftest import World, staff_of, visitor_sid


async def test_a_visitor_whose_socket_is_not_here_is_marked_away(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    # The socket went away, and its disconnect was handled before the conversation
    # recorded it (or was lost): nothing marked the visitor away.
    world.services.addresses.forget(visitor_sid(sess))
    world.events.clear()

    await world.services.sweeper.sweep()

    conv = await world.services.repository.get(cid)
    assert conv is not None and not conv.visitor_connected and conv.visitor_away_since
    assert world.events.payloads("typing", staff_of(sara)) == [{"conversation_id": cid, "active": False}]
    summary = world.events.payloads("conversation", staff_of(sara))[0]["conversation"]
    assert summary["visitor_connected"] is False
    world.events.clear()
    await world.services.sweeper.sweep()  # once only
    assert world.events.of("typing") == []


async def test_a_connected_visitor_is_left_alone(world: World) -> None:
    sess, cid = await world.start()
    await world.services.sweeper.sweep()
    assert (await world.services.repository.get(cid)).visitor_connected  # type: ignore[union-attr]


async def test_the_visitors_of_a_dead_process_are_marked_away_by_another(redis_pair: Any) -> None:
    a, b = await redis_pair()
    sess, cid = await b.start()  # connected to process B
    await a.services.sweeper.sweep()
    assert (await a.services.repository.get(cid)).visitor_connected  # type: ignore[union-attr]

    await b.eph.delete("node", "node-b")  # B stopped beating: killed, or its host lost
    await a.services.sweeper.sweep()

    conv = await a.services.repository.get(cid)
    assert conv is not None and not conv.visitor_connected
    # B was alive after all (its heartbeat was only late): its sweep puts them back.
    await b.services.sweeper.sweep()
    back = await b.services.repository.get(cid)
    assert back is not None and back.visitor_connected and back.visitor_away_since is None


async def test_console_sockets_of_a_dead_process_are_removed(redis_pair: Any) -> None:
    a, b = await redis_pair(routing_mode="auto", offer_timeout_s=60)
    sara = await b.on_duty(await b.staff())  # her console is on B
    _, cid = await a.start()
    conv = await a.services.repository.get(cid)
    assert conv is not None and conv.offer is not None and conv.offer.staff_id == sara.id

    await b.eph.delete("node", "node-b")
    await a.services.sweeper.sweep()

    assert [staff_id for staff_id, _ in await a.services.repository.away()] == [sara.id]
    assert a.events.payloads("offer_withdrawn", staff_of(sara)) == [{"conversation_id": cid, "reason": "operator_away"}]
    assert (await a.services.repository.get(cid)).offer is None  # type: ignore[union-attr]


async def test_a_console_socket_gone_from_this_process_is_removed(world_factory: Any) -> None:
    world: World = await world_factory(operator_grace_s=0)
    sara = await world.on_duty(await world.staff())
    _, cid = await world.active(sara)
    world.services.presence.consoles.closed("sid-" + sara.id)  # its disconnect was lost
    world.events.clear()

    await world.services.sweeper.sweep()  # away now; past a grace of 0 the chat goes back
    await world.services.sweeper.sweep()

    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.state == "waiting" and conv.operator_id is None
    assert world.events.payloads("ended", staff_of(sara)) == [{"conversation_id": cid, "reason": "operator_left"}]
