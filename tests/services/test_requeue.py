"""Back to the queue (services/lifecycle.py ``requeue``): participants are exactly the
assigned operator plus current invitees and observers, so a chat that goes back to the
queue (a transfer there, the operator's drop) leaves nobody on the staff side, each
told; whoever accepts next starts clean."""

from __future__ import annotations

from typing import Any

import pytest

from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_of


async def invited_and_observed(world: World) -> tuple[Any, Any, Any, Any, str]:
    a = await world.on_duty(await world.staff(name="A"))
    b = await world.on_duty(await world.staff(name="B"))
    boss = await world.staff("supervisor", name="Boss")
    sess, cid = await world.active(a)
    await world.services.supervision.do_invite(a, cid, b.id)
    await world.services.supervision.do_observe(boss, cid)
    return a, b, boss, sess, cid


async def test_a_transfer_to_the_queue_releases_everyone_and_the_next_operator_starts_clean(world: World) -> None:
    a, b, boss, sess, cid = await invited_and_observed(world)
    c = await world.on_duty(await world.staff(name="C"))
    world.events.clear()

    await world.services.supervision.do_transfer(a, cid, "queue", None)

    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.state == "waiting"
    assert (conv.operator_id, conv.invited_ids, conv.observer_ids) == (None, (), ())
    assert world.events.payloads("released", staff_of(a)) == [{"conversation_id": cid, "reason": "transferred"}]
    for other in (b, boss):
        assert world.events.payloads("released", staff_of(other)) == [{"conversation_id": cid, "reason": "requeued"}]
    # Everyone is told before anyone can take it again.
    events = [s.event for s in world.events.sent]
    assert events.index("released") < events.index("queue")
    assert world.events.payloads("typing", visitor_of(cid)) == [{"active": False}]

    await world.services.lifecycle.do_accept(c, cid)
    world.events.clear()
    await world.services.messages.do_visitor_message(sess, "after", "hej")

    assert world.events.recipients("message") == {visitor_of(cid), staff_of(c)}  # B hears nothing
    with pytest.raises(ServiceError) as b_writes:
        await world.services.messages.do_operator_message(b, cid, "b1", "hej")
    assert b_writes.value.code == "forbidden"
    overview = [s for s in await world.services.supervision.overview(boss) if s["id"] == cid][0]
    assert (overview["invited"], overview["observers"]) == ([], [])  # C's console shows nobody else


async def test_an_operator_drop_puts_it_back_clean_too(world_factory: Any) -> None:
    world: World = await world_factory(operator_grace_s=0)
    a, b, boss, sess, cid = await invited_and_observed(world)
    await world.services.router.do_operator_disconnected(a, "sid-" + a.id)
    world.events.clear()

    await world.services.sweeper.sweep()

    conv = await world.services.repository.get(cid)
    assert conv is not None and (conv.state, conv.invited_ids, conv.observer_ids) == ("waiting", (), ())
    assert world.events.payloads("ended", staff_of(a)) == [{"conversation_id": cid, "reason": "operator_left"}]
    assert world.events.payloads("released", staff_of(b)) == [{"conversation_id": cid, "reason": "requeued"}]
    left = world.events.recipients("message", lambda m: m.get("code") == "operator_left")
    assert left == {visitor_of(cid)}


async def test_a_note_with_a_transfer_to_the_queue_is_read_by_whoever_accepts(world: World) -> None:
    a = await world.on_duty(await world.staff())
    c = await world.on_duty(await world.staff())
    _, cid = await world.active(a)
    await world.services.supervision.do_transfer(a, cid, "queue", "she wants to talk about school")
    world.events.clear()
    await world.services.lifecycle.do_accept(c, cid)
    (assigned,) = world.events.payloads("assigned", staff_of(c))
    notes = [m["text"] for m in assigned["messages"] if m.get("internal")]
    assert notes == ["she wants to talk about school"]
