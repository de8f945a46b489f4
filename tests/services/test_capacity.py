"""Who may be given a chat (issue 14, point 5): capacity is checked wherever a chat is
given (accept, a transfer to a colleague, offers), pending offers never stop an operator
from taking the chat they choose, ``accept`` needs duty and the audience skill (a
supervisor may override, audited), offers go only to visitors who are connected, an
operator off duty sees no queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_sid


async def test_a_transfer_to_a_colleague_at_their_maximum_is_refused_and_leaves_no_note(world_factory: Any) -> None:
    world: World = await world_factory(max_chats_default=3)
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.on_duty(await world.staff(name="Ali"))
    for _ in range(3):
        await world.active(ali)
    _, cid = await world.active(sara)
    world.events.clear()

    with pytest.raises(ServiceError) as full:
        await world.services.supervision.do_transfer(sara, cid, ali.id, "handover note")

    assert full.value.code == "conflict"
    assert full.value.message == "That colleague already has as many chats as they can take."
    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.operator_id == sara.id
    messages = await world.services.messages.history_for_staff(conv, "sv")
    assert not [m for m in messages if m["text"] == "handover note"]  # no note
    assert world.events.sent == []
    assert sum(1 for c in await world.services.repository.live() if c.operator_id == ali.id) == 3


async def test_a_refused_transfer_to_the_queue_or_an_off_duty_colleague_leaves_no_note(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    off = await world.staff()
    _, cid = await world.active(sara)
    with pytest.raises(ServiceError):
        await world.services.supervision.do_transfer(sara, cid, off.id, "note 1")
    conv = await world.services.repository.get(cid)
    assert conv is not None
    assert [m for m in await world.services.messages.history_for_staff(conv, "sv") if m.get("internal")] == []


async def test_concurrent_accepts_and_transfers_never_pass_the_maximum(world_factory: Any) -> None:
    world: World = await world_factory(max_chats_default=2)
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())
    waiting = [(await world.start())[1] for _ in range(4)]
    active = [(await world.active(sara))[1] for _ in range(2)]

    async def attempt(coro: Any) -> bool:
        try:
            await coro
        except ServiceError:
            return False
        return True

    results = await asyncio.gather(
        *(attempt(world.services.lifecycle.do_accept(ali, cid)) for cid in waiting),
        *(attempt(world.services.supervision.do_transfer(sara, cid, ali.id, None)) for cid in active),
    )
    assert sum(results) == 2
    assert sum(1 for c in await world.services.repository.live() if c.operator_id == ali.id) == 2


async def test_pending_offers_never_stop_an_accept_and_the_excess_is_withdrawn(world_factory: Any) -> None:
    world: World = await world_factory(routing_mode="auto", offer_timeout_s=60, max_chats_default=3)
    sara = await world.on_duty(await world.staff())
    for _ in range(3):
        await world.start()
    offers = [c.offer.staff_id for c in await world.services.repository.waiting() if c.offer]
    assert offers == [sara.id] * 3
    # The fourth chat (urgent) is not offered to her: she has no free place for offers.
    _, urgent = await world.start(urgent=True)
    assert (await world.services.repository.get(urgent)).offer is None  # type: ignore[union-attr]
    world.events.clear()

    await world.services.lifecycle.do_accept(sara, urgent)  # the chat she chooses

    withdrawn = world.events.payloads("offer_withdrawn", staff_of(sara))
    assert [w["reason"] for w in withdrawn] == ["at_maximum"]  # 1 active + 2 offers = 3
    pending = [c for c in await world.services.repository.waiting() if c.offer and c.offer.staff_id == sara.id]
    assert len(pending) == 2


async def test_accept_needs_duty_and_the_audience_skill_unless_a_supervisor_overrides(world: World) -> None:
    off = await world.staff()
    only_individual = await world.staff()
    await world.services.staff.update_profile(only_individual.id, {"audiences": ["individual"]})
    await world.on_duty(only_individual)
    boss = await world.staff("supervisor")
    _, cid = await world.start(audience="professional")

    for who, message in (
        (off, "Go on duty to take a chat."),
        (only_individual, "This chat is a consultation for a professional, and your account does not take those."),
    ):
        with pytest.raises(ServiceError) as refused:
            await world.services.lifecycle.do_accept(who, cid)
        assert (refused.value.code, refused.value.message) == ("forbidden", message)
    assert (await world.services.repository.get(cid)).state == "waiting"  # type: ignore[union-attr]

    await world.services.lifecycle.do_accept(boss, cid)  # off duty, on purpose
    (entry,) = [e for e in await world.services.audit.recent() if e["action"] == "accept"]
    assert entry["actor"] == boss.id and entry["details"] == {"override": "duty"}


async def test_offers_only_for_visitors_whose_connection_is_live(world_factory: Any) -> None:
    world: World = await world_factory(routing_mode="auto", offer_timeout_s=60)
    sess, cid = await world.start()
    await world.services.sessions.do_disconnected(sess, visitor_sid(sess))
    sara = await world.on_duty(await world.staff())
    assert world.events.of("offer") == []

    conv = await world.services.repository.get(cid)
    assert conv is not None
    await world.services.sessions.do_connected(conv, "new-socket", "k")  # the visitor is back
    assert world.events.recipients("offer") == {staff_of(sara)}


async def test_an_operator_off_duty_sees_no_queue_at_connect(world: World) -> None:
    await world.start()
    operator = await world.staff()
    boss = await world.staff("supervisor")
    account = await world.services.staff.get(operator.id)
    assert account is not None
    assert (await world.services.console.session(operator, account))["queue"] == {"items": [], "centres": []}
    boss_account = await world.services.staff.get(boss.id)
    assert boss_account is not None
    assert len((await world.services.console.session(boss, boss_account))["queue"]["items"]) == 1
    await world.on_duty(operator)
    assert len((await world.services.console.session(operator, account))["queue"]["items"]) == 1
