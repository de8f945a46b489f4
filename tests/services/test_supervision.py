"""services/supervision.py: transfer (to a colleague, to the queue), invite, observe,
join, leave, block, and the urgent alert; state after each and who was told."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_of


async def test_transfer_to_a_colleague(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.on_duty(await world.staff(name="Ali"))
    _, cid = await world.active(sara)
    world.events.clear()

    summary = await world.services.supervision.do_transfer(sara, cid, ali.id, "handover note")

    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.operator_id == ali.id and conv.operator_name == "Ali"
    assert summary["operator"] == {"id": ali.id, "name": "Ali"}
    note = world.events.recipients("message", lambda m: m.get("text") == "handover note")
    assert note == {staff_of(sara)}  # staff only, and Sara was the participant then
    assigned = world.events.payloads("assigned", staff_of(ali))
    assert len(assigned) == 1 and assigned[0]["transferred_by"] == {"id": sara.id, "name": "Sara"}
    assert any(m.get("internal") and m["text"] == "handover note" for m in assigned[0]["messages"])
    assert world.events.payloads("released", staff_of(sara)) == [{"conversation_id": cid, "reason": "transferred"}]
    assert world.events.payloads("state", visitor_of(cid)) == [{"state": "active", "operator": {"name": "Ali"}}]
    codes = [s.payload.get("code") for s in world.events.of("message") if s.to == visitor_of(cid)]
    assert codes == ["transferred", "operator_joined"]


async def test_transfer_refusals(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    off_duty = await world.staff()
    stranger = await world.staff()
    _, cid = await world.active(sara)
    cases = ((stranger, off_duty.id, "forbidden"), (sara, off_duty.id, "conflict"), (sara, sara.id, "conflict"))
    for staff, to, code in cases + ((sara, "nobody", "not_found"),):
        with pytest.raises(ServiceError) as refused:
            await world.services.supervision.do_transfer(staff, cid, to, None)
        assert refused.value.code == code, (to, refused.value.code)
    assert (await world.services.repository.get(cid)).operator_id == sara.id  # type: ignore[union-attr]


async def test_transfer_back_to_the_queue(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    _, older = await world.start()
    _, cid = await world.active(sara)
    world.events.clear()

    summary = await world.services.supervision.do_transfer(sara, cid, "queue", None)

    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.state == "waiting" and conv.passed == (sara.id,) and summary["state"] == "waiting"
    assert await world.services.repository.queue_ids() == [cid, older]  # head of its band
    assert world.events.payloads("state", visitor_of(cid)) == [{"state": "waiting", "operator": None}]
    assert world.events.payloads("queue", visitor_of(cid))[-1]["position"] == 1
    assert world.events.payloads("released", staff_of(sara)) == [{"conversation_id": cid, "reason": "transferred"}]
    assert world.events.recipients("message", lambda m: m.get("code") == "transferred") == {visitor_of(cid)}


async def test_invite_then_leave(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.staff(name="Ali")
    _, cid = await world.active(sara)
    world.events.clear()

    summary = await world.services.supervision.do_invite(sara, cid, ali.id)

    assert summary["invited"] == [{"id": ali.id, "name": "Ali"}]
    invited = world.events.payloads("invited", staff_of(ali))
    assert len(invited) == 1 and invited[0]["by"] == {"id": sara.id, "name": "Sara"}
    assert world.events.recipients("conversation") == {staff_of(sara), staff_of(ali)}
    joined = world.events.recipients("message", lambda m: m.get("code") == "operator_joined")
    assert joined == {visitor_of(cid), staff_of(sara), staff_of(ali)}  # the visitor is told honestly
    with pytest.raises(ServiceError) as twice:
        await world.services.supervision.do_invite(sara, cid, ali.id)
    assert twice.value.code == "conflict"

    world.events.clear()
    await world.services.supervision.do_leave(ali, cid)
    assert (await world.services.repository.get(cid)).invited_ids == ()  # type: ignore[union-attr]
    assert world.events.payloads("released", staff_of(ali)) == [{"conversation_id": cid, "reason": "left"}]
    assert world.events.recipients("conversation") == {staff_of(sara)}
    with pytest.raises(ServiceError) as operator_leaves:
        await world.services.supervision.do_leave(sara, cid)
    assert operator_leaves.value.code == "forbidden"


async def test_observe_silently_then_join(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    boss = await world.staff("supervisor", name="Boss")
    operator = await world.staff()
    sess, cid = await world.active(sara)
    await world.services.messages.do_visitor_message(sess, "c1", "hej")
    with pytest.raises(ServiceError) as not_a_supervisor:
        await world.services.supervision.do_observe(operator, cid)
    assert not_a_supervisor.value.code == "forbidden"
    world.events.clear()

    view = await world.services.supervision.do_observe(boss, cid)

    assert [m["text"] for m in view["messages"] if m["from"] == "visitor"] == ["hej"]
    assert view["conversation"]["observers"] == [{"id": boss.id, "name": "Boss"}]
    assert visitor_of(cid) not in {s.to for s in world.events.sent}  # silent
    assert world.events.recipients("conversation") == {staff_of(sara), staff_of(boss)}

    world.events.clear()
    summary = await world.services.supervision.do_join(boss, cid)
    assert summary["invited"] == [{"id": boss.id, "name": "Boss"}] and summary["observers"] == []
    assert visitor_of(cid) in world.events.recipients("message", lambda m: m.get("code") == "operator_joined")
    await world.services.messages.do_operator_message(boss, cid, "b1", "from boss")


async def test_block_ends_the_chat_and_blocks_the_visitors_key(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.address_key == "key-" + sess.key[:8]  # set at start
    world.events.clear()

    assert await world.services.supervision.do_block(sara, cid) is True

    assert await world.services.repository.get(cid) is None
    assert await world.services.repository.is_blocked(conv.address_key)
    assert world.events.payloads("ended", visitor_of(cid)) == [{"reason": "blocked"}]
    assert world.events.payloads("ended", staff_of(sara)) == [{"conversation_id": cid, "reason": "blocked"}]
    with pytest.raises(ServiceError) as again:
        await world.services.starts.check_may_start(conv.address_key)
    assert again.value.code == "forbidden"


async def test_block_without_a_known_key_still_ends_the_chat(world: World) -> None:
    # A conversation an older release started: no key on it.
    sara = await world.on_duty(await world.staff())
    _, cid = await world.active(sara)
    await world.services.repository.change(cid, lambda c: replace(c, address_key=None))
    assert await world.services.supervision.do_block(sara, cid) is False
    assert await world.services.repository.get(cid) is None


async def test_a_block_from_another_process_blocks_the_visitors_key_everywhere(redis_pair: Any) -> None:
    a, b = await redis_pair()
    sara = await b.on_duty(await b.staff())  # the operator's console is on process B
    sess, cid = await a.start(address_key="hmac-of-the-address")  # the visitor's socket on A

    await b.services.lifecycle.do_accept(sara, cid)
    assert await b.services.supervision.do_block(sara, cid) is True

    for process in (a, b):
        with pytest.raises(ServiceError) as blocked:
            await process.services.starts.check_may_start("hmac-of-the-address")
        assert blocked.value.code == "forbidden"
    # Nothing about the address is stored but the block of its key.
    keys = await a.eph.keys_for_inspection()
    assert [k for k in keys if "hmac-of-the-address" in k] == [k for k in keys if ":blocked:" in k]


async def test_urgent_alert_goes_once_to_every_supervisor(world_factory) -> None:
    world: World = await world_factory(urgent_alert_s=0)
    boss = await world.staff("supervisor")
    admin = await world.staff("admin")
    operator = await world.staff()
    _, cid = await world.start(urgent=True)
    await world.start()  # not urgent: no alert
    assert await world.services.supervision.alert_sweep() == 1
    assert await world.services.supervision.alert_sweep() == 0
    assert world.events.recipients("alert") == {staff_of(boss), staff_of(admin)}
    assert staff_of(operator) not in world.events.recipients("alert")
    assert world.events.of("alert")[0].payload["conversation"]["id"] == cid


async def test_colleagues_and_overview(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.staff(name="Ali")
    await world.start()
    colleagues = await world.services.supervision.colleagues(ali)
    assert [(c["name"], c["on_duty"]) for c in colleagues][:1] == [("Sara", True)]
    assert all(c["id"] != ali.id for c in colleagues)
    boss = await world.staff("supervisor")
    assert [c["state"] for c in await world.services.supervision.overview(boss)] == ["waiting"]
    assert await world.services.supervision.invited_chats(sara) == []
