"""Overflow between centres (issue 19 point 4, services/overflow.py): a visitor whose
centre has nobody on duty, is closed or has too long a wait is offered, in their
language, the centres of its overflow order that can take them; nothing moves until
they choose; the move is checked, idempotent and counted at both centres; the
receiving counsellor sees the home centre and sends cards from its directory."""

from __future__ import annotations

import asyncio

import pytest

from chat_server.services.centres import NewCentre
from chat_server.services.errors import ServiceError
from chat_server.services.overflow import DEFAULT_OVERFLOW_WAIT_S, overflow_order, overflow_wait_s
from chat_server.services.starting import StartRequest

from .conftest import World, visitor_of
from .test_centre_routing import NAT, member

LOCAL_SERVICE = {
    "id": "socialtjansten-malmo",
    "type": "social_services",
    "text": "social_services",
    "name": "Socialtjänsten, Malmö stad",
    "area": {"kind": "municipality", "name": "Malmö", "code": "1280", "county": "Skåne"},
    "channels": [{"kind": "phone", "value": "040-34 10 00"}],
    "hours": "office",
    "languages": [],
    "notes": "",
    "verify": True,
}


async def stats(world: World, centre: str) -> dict[str, int]:
    return {k: n for _, k, n in await world.services.stats.totals("2000-01-01", "2999-12-31", centre)}


@pytest.fixture
async def world3(world_factory) -> World:
    """Skåne overflows to Kronoberg, then Dalarna, then the professionals' line."""
    world: World = await world_factory(routing_mode="pick")
    create = world.services.centres.do_create_centre
    await create(
        NAT,
        NewCentre("skane", {"sv": "RC Skåne", "ar": "مركز سكونه"}),
        extra={"overflow": ["kronoberg", "dalarna", "nkt", "skane", "../x"]},
    )
    await create(NAT, NewCentre("kronoberg", {"sv": "RC Kronoberg", "ar": "مركز كرونوبري"}))
    await create(NAT, NewCentre("dalarna", {"sv": "RC Dalarna"}))
    await create(NAT, NewCentre("nkt", {"sv": "NKT"}, audience="professional"))
    return world


async def test_the_order_and_the_threshold_come_from_the_centre_record(world3: World) -> None:
    skane = await world3.services.centres.get("skane")
    assert skane is not None and overflow_order(skane) == ("kronoberg", "dalarna", "nkt")
    assert overflow_wait_s(skane) == DEFAULT_OVERFLOW_WAIT_S


async def test_a_visitor_is_offered_open_centres_in_order_and_in_their_language(world3: World) -> None:
    await world3.on_duty(await member(world3, "dalarna"))
    await world3.on_duty(await member(world3, "kronoberg"))
    await world3.on_duty(await member(world3, "nkt"))
    sess, cid = await world3.start(centre="skane", locale="ar")
    offers = world3.events.payloads("overflow", visitor_of(cid))
    # Nobody on duty in Skåne: Kronoberg then Dalarna (the professionals' line is not
    # for a visitor asking for themselves), Kronoberg named in Arabic.
    assert offers == [
        {
            "reason": "nobody_on_duty",
            "centres": [{"id": "kronoberg", "name": "مركز كرونوبري"}, {"id": "dalarna", "name": "RC Dalarna"}],
        }
    ]
    # Nothing moves by itself, and the sweep does not repeat an unchanged offer.
    assert await world3.services.overflow.sweep() == 0
    conv = await world3.services.repository.get(cid)
    assert conv is not None and conv.centre == "skane" and conv.home_centre is None
    assert await world3.services.repository.queue_ids("skane") == [cid]


async def test_the_choice_moves_the_chat_once_and_counts_it_at_both_centres(world3: World) -> None:
    kronoberg = await world3.on_duty(await member(world3, "kronoberg"))
    skane_op = await member(world3, "skane")
    sess, cid = await world3.start(centre="skane")
    world3.events.clear()
    overflow = world3.services.overflow

    # Two answers at once (a double tap): one move, one count.
    first, second = await asyncio.gather(overflow.do_accept(sess, "kronoberg"), overflow.do_accept(sess, "kronoberg"))
    assert first == second == {"id": cid, "state": "waiting", "position": 1}
    again = await overflow.do_accept(sess, "kronoberg")
    assert again["id"] == cid
    conv = await world3.services.repository.get(cid)
    assert conv is not None and (conv.centre, conv.home_centre) == ("kronoberg", "skane")
    repo = world3.services.repository
    assert (await repo.queue_ids("skane"), await repo.queue_ids("kronoberg")) == ([], [cid])
    assert (await stats(world3, "skane"))["overflow:out"] == 1
    assert (await stats(world3, "kronoberg"))["overflow:in"] == 1
    # Kronoberg's watchers see it, with its home centre; Skåne's see their queue empty.
    kq = world3.events.payloads("queue", ("watchers", "kronoberg"))[-1]
    assert [(i["id"], i["centre"], i["home_centre"]) for i in kq["items"]] == [(cid, "kronoberg", "skane")]
    assert world3.events.payloads("queue", ("watchers", "skane"))[-1]["items"] == []
    assert world3.events.payloads("overflow", visitor_of(cid))[-1] == {"reason": None, "centres": []}
    # Now Kronoberg's chat: Skåne's own staff cannot take it; Kronoberg's can, and sends
    # a card naming a local service of the visitor's home centre.
    with pytest.raises(ServiceError) as err:
        await world3.services.lifecycle.do_accept(skane_op, cid)
    assert err.value.code == "not_found"
    await world3.services.directory.put(LOCAL_SERVICE, "skane")
    await world3.services.lifecycle.do_accept(kronoberg, cid)
    listing = await world3.services.referrals.for_chat(kronoberg, cid, "sv")
    assert "socialtjansten-malmo" in {r["id"] for r in listing["receivers"]}
    cards = await world3.services.referrals.do_send(kronoberg, cid, ["socialtjansten-malmo"])
    assert [c["id"] for c in cards] == ["socialtjansten-malmo"]
    assert world3.events.recipients("referral") == {visitor_of(cid)}
    # A moved chat is not offered another move.
    with pytest.raises(ServiceError) as moved:
        await overflow.do_accept(sess, "dalarna")
    assert moved.value.code == "conflict"


async def test_a_choice_that_is_not_on_offer_is_refused_and_nothing_moves(world3: World) -> None:
    await world3.on_duty(await member(world3, "kronoberg"))
    sess, cid = await world3.start(centre="skane")
    overflow = world3.services.overflow
    for target in ("dalarna", "nkt", "nowhere", "../x", "skane"):  # nobody on duty / not theirs / unknown
        with pytest.raises(ServiceError) as err:
            await overflow.do_accept(sess, target)
        assert err.value.code == "conflict", target
    conv = await world3.services.repository.get(cid)
    assert conv is not None and conv.centre == "skane"
    with pytest.raises(ServiceError) as none:
        await overflow.do_accept(await world3.visitor(), "kronoberg")
    assert none.value.code == "no_conversation"


async def test_an_offer_is_withdrawn_when_the_home_centre_can_take_the_chat_again(world3: World) -> None:
    await world3.on_duty(await member(world3, "kronoberg"))
    _, cid = await world3.start(centre="skane")
    assert world3.events.payloads("overflow", visitor_of(cid))[-1]["centres"]
    await world3.on_duty(await member(world3, "skane"))
    assert await world3.services.overflow.sweep() == 1
    assert world3.events.payloads("overflow", visitor_of(cid))[-1] == {"reason": None, "centres": []}
    assert await world3.services.overflow.sweep() == 0


async def test_a_long_wait_overflows(world_factory) -> None:
    world: World = await world_factory(routing_mode="pick")
    create = world.services.centres.do_create_centre
    await create(NAT, NewCentre("skane", {"sv": "RC Skåne"}), extra={"overflow": ["dalarna"], "overflow_wait_s": 30})
    await create(NAT, NewCentre("dalarna", {"sv": "RC Dalarna"}))
    await world.on_duty(await member(world, "skane"))
    await world.on_duty(await member(world, "dalarna"))
    _, cid = await world.start(centre="skane")
    offer = world.events.payloads("overflow", visitor_of(cid))[-1]
    assert offer["reason"] == "long_wait" and [c["id"] for c in offer["centres"]] == ["dalarna"]


async def test_a_visitor_about_to_start_may_start_in_another_centre(world3: World) -> None:
    await world3.on_duty(await member(world3, "dalarna"))
    overflow = world3.services.overflow
    options = await overflow.options("skane", "self", "sv")
    assert options == {"reason": "nobody_on_duty", "centres": [{"id": "dalarna", "name": "RC Dalarna"}]}
    assert await overflow.options("dalarna", "self", "sv") == {"reason": None, "centres": []}
    request = await overflow.check_start(StartRequest("self", centre="skane"), "dalarna")
    assert (request.centre, request.home_centre) == ("dalarna", "skane")
    with pytest.raises(ServiceError) as err:
        await overflow.check_start(StartRequest("self", centre="skane"), "kronoberg")
    assert err.value.code == "conflict"
    _, cid = await world3.start(centre="dalarna", home_centre="skane")
    conv = await world3.services.repository.get(cid)
    assert conv is not None and (conv.centre, conv.home_centre) == ("dalarna", "skane")
    assert (await stats(world3, "skane"))["overflow:out"] == 1
    assert (await stats(world3, "dalarna"))["overflow:in"] == 1


async def test_the_single_centre_installation_offers_nothing(world: World) -> None:
    _, cid = await world.start()  # nobody on duty, no overflow order
    assert world.events.payloads("overflow", visitor_of(cid)) == []
    assert await world.services.overflow.sweep() == 0
