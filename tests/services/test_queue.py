"""services/queue.py and services/console.py: duty, places in the queue, and what a
console sees when it connects."""

from __future__ import annotations

from .conftest import World, staff_of, visitor_of


async def test_duty_on_and_off(world: World) -> None:
    sara = await world.staff(languages=["sv", "ar"])
    boss = await world.staff("supervisor")
    change = await world.services.console.do_duty(sara, True, None)
    assert change.duty == {"on": True, "languages": ["sv", "ar"]} and change.watch == ("default",) and change.snapshot
    duty = await world.services.queue.duty_of(sara.id)
    assert duty is not None and duty.languages == ("sv", "ar")
    off = await world.services.console.do_duty(sara, False, None)
    assert off.watch == () and off.snapshot is None and await world.services.queue.duty_of(sara.id) is None
    assert (await world.services.console.do_duty(boss, False, None)).watch == ("default",)  # supervisors keep watching


async def test_every_waiting_visitor_hears_their_new_place(world: World) -> None:
    first, a = await world.start()
    _, b = await world.start()
    _, c = await world.start(urgent=True)
    assert await world.services.repository.queue_ids() == [c, a, b]
    world.events.clear()
    await world.services.lifecycle.do_visitor_end(first)
    places = {s.to: s.payload["position"] for s in world.events.of("queue") if s.to[0] == "visitor"}
    assert places == {visitor_of(c): 1, visitor_of(b): 2}


async def test_a_connecting_console_gets_its_chats_and_the_queue(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, mine = await world.active(sara)
    await world.services.messages.do_visitor_message(sess, "c1", "hej")
    _, waiting = await world.start()
    account = await world.services.staff.get(sara.id)
    assert account is not None
    watch, _route = await world.services.console.do_connected(sara, "tab-2")
    session = await world.services.console.session(sara, account)
    assert watch and session["duty"]["on"] and session["staff"]["id"] == sara.id
    assert [c["conversation"]["id"] for c in session["chats"]] == [mine]
    assert "hej" in [m["text"] for m in session["chats"][0]["messages"]]
    assert [i["id"] for i in session["queue"]["items"]] == [waiting]
    assert staff_of(sara) not in world.events.recipients("queue")  # snapshots go to the watchers
