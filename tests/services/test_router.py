"""services/router.py in ``auto`` mode: offers go to one skilled operator, are withdrawn
on decline, timeout, a colleague's accept or the operator's drop."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chat_server.services.domain import Offer
from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_sid


@pytest.fixture
async def auto(world_factory) -> World:
    world: World = await world_factory(routing_mode="auto", offer_timeout_s=60)
    return world


async def test_an_offer_goes_to_the_operator_who_speaks_the_language(auto: World) -> None:
    sv = await auto.on_duty(await auto.staff(languages=["sv"]))
    ar = await auto.on_duty(await auto.staff(languages=["ar", "sv"]))
    _, cid = await auto.start(locale="ar")
    offers = auto.events.of("offer")
    assert [s.to for s in offers] == [staff_of(ar)] and offers[0].payload["conversation"]["id"] == cid
    conv = await auto.services.repository.get(cid)
    assert conv is not None and conv.offer is not None and conv.offer.staff_id == ar.id
    assert staff_of(sv) not in auto.events.recipients("offer")


async def test_decline_passes_it_on_and_accept_by_another_withdraws_it(auto: World) -> None:
    a = await auto.on_duty(await auto.staff())
    b = await auto.on_duty(await auto.staff())
    _, cid = await auto.start()
    first = auto.events.of("offer")[0].to
    holder, other = (a, b) if first == staff_of(a) else (b, a)
    with pytest.raises(ServiceError) as not_mine:
        await auto.services.router.do_decline(other, cid)
    assert not_mine.value.code == "conflict"
    auto.events.clear()

    await auto.services.router.do_decline(holder, cid)

    assert auto.events.payloads("offer_withdrawn", staff_of(holder)) == [{"conversation_id": cid, "reason": "declined"}]
    assert auto.events.recipients("offer") == {staff_of(other)}
    auto.events.clear()
    await auto.services.lifecycle.do_accept(holder, cid)  # the one who declined takes it after all
    assert auto.events.payloads("offer_withdrawn", staff_of(other)) == [{"conversation_id": cid, "reason": "taken"}]


async def test_an_expired_offer_is_withdrawn(auto: World) -> None:
    a = await auto.on_duty(await auto.staff())
    _, cid = await auto.start()
    conv = await auto.services.repository.get(cid)
    assert conv is not None and conv.offer is not None
    expired = Offer(conv.offer.staff_id, 0, conv.offer.interpreter)
    await auto.services.repository.change(cid, lambda c: replace(c, offer=expired))
    auto.events.clear()
    await auto.services.router.kick()
    assert auto.events.payloads("offer_withdrawn", staff_of(a))[0]["reason"] == "timeout"
    again = await auto.services.repository.get(cid)
    assert again is not None and a.id in again.passed


async def test_an_operator_whose_last_socket_closes_loses_their_offers_at_once(auto: World) -> None:
    a = await auto.on_duty(await auto.staff())
    _, cid = await auto.start()
    auto.events.clear()
    await auto.services.router.do_operator_disconnected(a, "sid-" + a.id)
    assert auto.events.payloads("offer_withdrawn", staff_of(a)) == [{"conversation_id": cid, "reason": "operator_away"}]
    assert (await auto.services.repository.get(cid)).offer is None  # type: ignore[union-attr]


async def test_no_offer_for_a_visitor_who_went_after_the_plan_read_the_queue(
    auto: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soak's race: the router reads the queue (visitor connected), the visitor's
    connection goes, then the offer is made from what was read."""
    sess, cid = await auto.start()  # nobody on duty yet: no offer
    router = auto.services.router
    planned = await router.queue()
    assert [c.id for c in planned] == [cid]
    assert await auto.services.sessions.mark_away(cid, visitor_sid(sess))

    async def as_read_before() -> list[Any]:
        return planned

    monkeypatch.setattr(router, "queue", as_read_before)
    await auto.on_duty(await auto.staff())
    await router.kick()

    assert auto.events.of("offer") == []
    conv = await auto.services.repository.get(cid)
    assert conv is not None and conv.offer is None
