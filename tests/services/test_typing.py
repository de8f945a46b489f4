"""Typing is cleared when its owner leaves: the visitor's disconnect, end or quick exit
sends staff ``typing`` ``{active: false}``; the operator's transfer (to a colleague or
to the queue), drop or end sends it to the visitor."""

from __future__ import annotations

from typing import Any

from .conftest import World, staff_of, visitor_of, visitor_sid

OFF_FOR_STAFF = {"active": False}


async def test_the_visitor_leaving_clears_their_typing_for_every_staff_participant(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    boss = await world.staff("supervisor")
    for leave in ("drop", "end", "exit"):
        sess, cid = await world.active(sara)
        await world.services.supervision.do_observe(boss, cid)
        await world.services.messages.do_visitor_typing(sess, True)
        world.events.clear()
        if leave == "drop":
            await world.services.sessions.do_disconnected(sess, visitor_sid(sess))
        elif leave == "end":
            await world.services.lifecycle.do_visitor_end(sess)
        else:
            await world.services.lifecycle.do_visitor_exit(sess)
        off = {"conversation_id": cid, "active": False}
        assert world.events.payloads("typing", staff_of(sara)) == [off], leave
        assert world.events.payloads("typing", staff_of(boss)) == [off], leave
        if leave == "drop":
            await world.services.lifecycle.finish(cid, "abandoned")


async def test_the_operator_leaving_clears_their_typing_for_the_visitor(world_factory: Any) -> None:
    world: World = await world_factory(operator_grace_s=0)
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())

    async def typing_then(leave: Any) -> list[Any]:
        _, cid = await world.active(sara)
        await world.services.messages.do_operator_typing(sara, cid, True)
        world.events.clear()
        await leave(cid)
        return world.events.payloads("typing", visitor_of(cid))

    assert await typing_then(lambda cid: world.services.supervision.do_transfer(sara, cid, ali.id, None)) == [
        {"active": False}
    ]
    assert await typing_then(lambda cid: world.services.supervision.do_transfer(sara, cid, "queue", None)) == [
        {"active": False}
    ]
    assert await typing_then(lambda cid: world.services.lifecycle.do_operator_end(sara, cid, None)) == [
        {"active": False}
    ]

    async def drop(cid: str) -> None:
        await world.services.router.do_operator_disconnected(sara, "sid-" + sara.id)
        await world.services.sweeper.sweep()

    assert await typing_then(drop) == [{"active": False}]
