"""Queues and routing per centre (issue 19 point 3): each centre's chats wait in its own
queue, are offered to and taken by its own staff only, and its queue snapshots go to
its own watchers only; staff of one centre can neither see nor act on another's chats
(``not_found``: a chat of another centre is not told to exist)."""

from __future__ import annotations

from typing import Any

import pytest

from chat_server.services.centres import NewCentre
from chat_server.services.domain import Staff
from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_of

NAT = Staff("nat", "Nat", "admin", "sv", {"default": "admin"}, national_admin=True)


async def centres(world: World, *ids: str) -> None:
    for centre in ids:
        await world.services.centres.do_create_centre(NAT, NewCentre(centre, {"sv": "RC " + centre}))


async def member(world: World, centre: str, role: str = "operator", languages: list[str] | None = None) -> Staff:
    """A staff member of ``centre`` only, with ``role`` there."""
    made = await world.staff(role, languages=languages)
    await world.services.centre_staff.do_set_membership(NAT, centre, made.id, role)  # type: ignore[arg-type]
    await world.services.centre_staff.do_set_membership(NAT, "default", made.id, None)
    account = await world.services.staff.get(made.id)
    assert account is not None
    world.services.router.forget_skills(made.id)
    return Staff.from_account(account)


async def refused(code: str, action: Any) -> None:
    with pytest.raises(ServiceError) as err:
        await action
    assert err.value.code == code


@pytest.fixture
async def two(world_factory) -> World:
    world: World = await world_factory(routing_mode="auto", offer_timeout_s=60)
    await centres(world, "skane", "dalarna")
    return world


async def test_each_centre_has_its_own_queue_and_watchers(two: World) -> None:
    repo = two.services.repository
    _, a1 = await two.start(centre="skane")
    _, b1 = await two.start(centre="dalarna")
    _, a2 = await two.start(centre="skane")
    assert await repo.queue_ids("skane") == [a1, a2]
    assert await repo.queue_ids("dalarna") == [b1]
    assert await repo.queue_ids() == []  # the default centre's
    assert await repo.queue_centres() == ["dalarna", "default", "skane"]
    # Places count within the centre: the first in Dalarna is first, whatever Skåne has.
    assert two.events.payloads("queue", visitor_of(b1))[-1]["position"] == 1
    assert two.events.payloads("queue", visitor_of(a2))[-1]["position"] == 2
    # Each snapshot goes to one centre's watchers and holds that centre's chats only.
    for s in two.events.of("queue"):
        if s.to[0] == "watchers":
            assert s.payload["centres"] == [s.to[1]]
            assert {i["centre"] for i in s.payload["items"]} <= {s.to[1]}
    assert {s.to for s in two.events.of("queue") if s.to[0] == "watchers"} == {
        ("watchers", "skane"),
        ("watchers", "dalarna"),
    }
    last = two.events.payloads("queue", ("watchers", "skane"))[-1]
    assert [i["id"] for i in last["items"]] == [a1, a2]


async def test_offers_go_to_the_chats_centre_only(two: World) -> None:
    skane = await two.on_duty(await member(two, "skane"))
    dalarna = await two.on_duty(await member(two, "dalarna"))
    two.events.clear()
    _, b1 = await two.start(centre="dalarna")
    assert two.events.recipients("offer") == {staff_of(dalarna)}
    dalarna_busy = await member(two, "dalarna")
    await two.services.lifecycle.do_accept(dalarna, b1)
    two.events.clear()
    # Skåne's operator, free, is never offered Dalarna's chats, however many wait.
    for _ in range(3):
        await two.start(centre="dalarna")
    assert staff_of(skane) not in two.events.recipients("offer")
    assert staff_of(dalarna_busy) not in two.events.recipients("offer")  # not on duty
    # The wait estimate counts the centre's own staff on duty.
    assert await two.services.router.on_duty_in("dalarna") == 1
    assert await two.services.router.on_duty_in("skane") == 1
    assert await two.services.router.on_duty_in("default") == 0


async def test_nobody_on_duty_in_the_centre_means_no_estimate(two: World) -> None:
    await two.on_duty(await member(two, "skane"))
    _, b1 = await two.start(centre="dalarna")
    told = two.events.payloads("queue", visitor_of(b1))[-1]
    assert (told["position"], told["wait_estimate_s"], told["notice"]) == (1, None, "nobody_on_duty")


async def test_staff_of_one_centre_cannot_touch_anothers_chats(two: World) -> None:
    sup_a = await two.on_duty(await member(two, "skane", "supervisor"))
    op_a = await two.on_duty(await member(two, "skane"))
    op_b = await two.on_duty(await member(two, "dalarna"))
    sup_b = await member(two, "dalarna", "supervisor")
    services = two.services
    _, waiting_b = await two.start(centre="dalarna")
    await refused("not_found", services.lifecycle.do_accept(sup_a, waiting_b))
    await refused("not_found", services.lifecycle.do_accept(op_a, waiting_b))
    _, active_b = await two.start(centre="dalarna")
    await services.lifecycle.do_accept(op_b, active_b)
    await refused("not_found", services.supervision.do_observe(sup_a, active_b))
    await refused("not_found", services.supervision.do_transfer(sup_a, active_b, "queue", None))
    await refused("not_found", services.supervision.do_invite(sup_a, active_b, sup_a.id))
    await refused("not_found", services.supervision.do_join(sup_a, active_b))
    await refused("not_found", services.supervision.do_block(sup_a, active_b))
    await refused("not_found", services.console.canned(sup_a, "sv", active_b))
    # Every other event naming it answers the same: it does not exist for them.
    await refused("not_found", services.messages.do_operator_message(sup_a, active_b, "x1", "hej"))
    await refused("not_found", services.messages.do_operator_typing(sup_a, active_b, True))
    await refused("not_found", services.referrals.do_send(sup_a, active_b, ["bris-116111"]))
    await refused("not_found", services.referrals.for_chat(sup_a, active_b, "sv"))
    await refused("not_found", services.supervision.do_leave(sup_a, active_b))
    await refused("not_found", services.lifecycle.do_operator_end(sup_a, active_b, None))
    # A colleague of the same centre who is not in the chat is told "forbidden", as before.
    await refused("forbidden", services.messages.do_operator_message(sup_b, active_b, "x2", "hej"))
    # A chat goes only to a colleague of its centre (Skåne's operator is "not found").
    await refused("not_found", services.supervision.do_transfer(op_b, active_b, op_a.id, None))
    await refused("not_found", services.supervision.do_invite(op_b, active_b, op_a.id))
    # Removing waiting chats leaves another centre's alone, as if unknown.
    assert await services.queue_guard.do_remove_waiting(sup_a, [waiting_b]) == 0
    assert await services.repository.get_live(waiting_b) is not None
    # The overview shows one's own centres; colleagues are those sharing a centre.
    assert {c["centre"] for c in await services.supervision.overview(sup_a)} <= {"skane"}
    assert {c["id"] for c in await services.supervision.overview(sup_b)} == {waiting_b, active_b}
    assert {c["id"] for c in await services.supervision.colleagues(op_a)} == {sup_a.id}
    await refused("forbidden", services.supervision.overview(op_a))
    # A national admin may see every centre's overview (summaries only).
    assert {c["id"] for c in await services.supervision.overview(NAT)} == {waiting_b, active_b}
    # Their own centre's supervisor can act.
    await services.supervision.do_observe(sup_b, active_b)
    assert await services.queue_guard.do_remove_waiting(sup_b, [waiting_b]) == 1


async def test_the_console_shows_and_watches_its_own_centres(two: World) -> None:
    both = await member(two, "skane", "supervisor")
    await two.services.centre_staff.do_set_membership(NAT, "dalarna", both.id, "operator")
    account = await two.services.staff.get(both.id)
    assert account is not None
    both = Staff.from_account(account)
    _, a1 = await two.start(centre="skane")
    _, b1 = await two.start(centre="dalarna")
    _, d1 = await two.start()
    session = await two.services.console.session(both, account)
    assert session["queue"]["centres"] == ["skane"]  # supervises Skåne; off duty in Dalarna
    assert [i["id"] for i in session["queue"]["items"]] == [a1]
    change = await two.services.console.do_duty(both, True, None)
    assert change.watch == ("dalarna", "skane")
    assert change.snapshot is not None and {i["id"] for i in change.snapshot["items"]} == {a1, b1}
    assert d1 not in {i["id"] for i in change.snapshot["items"]}


async def test_urgent_alerts_reach_the_centres_supervisors(world_factory) -> None:
    world: World = await world_factory(urgent_alert_s=0)
    await centres(world, "skane", "dalarna")
    sup_a = await member(world, "skane", "supervisor")
    sup_b = await member(world, "dalarna", "admin")
    await world.start(centre="dalarna", urgent=True)
    world.events.clear()
    assert await world.services.supervision.alert_sweep() == 1
    assert world.events.recipients("alert") == {staff_of(sup_b)}
    assert staff_of(sup_a) not in world.events.recipients("alert")


async def test_audit_of_a_conversation_action_names_its_centre(two: World) -> None:
    op_b = await two.on_duty(await member(two, "dalarna"))
    _, cid = await two.start(centre="dalarna")
    await two.services.lifecycle.do_accept(op_b, cid)
    entries = await two.services.audit.recent(20, centre="dalarna")
    assert "accept" in [e["action"] for e in entries]
    assert "accept" not in [e["action"] for e in await two.services.audit.recent(20, centre="skane")]
