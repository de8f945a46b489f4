"""Waiting tells the truth (services/waiting.py, services/queue.py): estimates from the
operators on duty and their free places, pushed as they change (duty, accepts, ends,
visitors leaving); the notice when nobody is on duty, the wait passes the limit, or the
service closes while visitors wait (a frozen clock); the rolling average of handling
times is one aggregate record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chat_server.services.domain import now_ms
from chat_server.services.waiting import KEY, KIND

from .conftest import World, make_world, visitor_of

TZ_WEEK = {
    "weekly": {str(d): [["09:00", "16:00"]] for d in range(5)},
    "closed_on_holidays": True,
    "last_call_min": 0,
}


def last_queue(world: World, cid: str) -> dict[str, Any]:
    told = world.events.payloads("queue", visitor_of(cid))
    assert told, f"{cid} was told nothing"
    return told[-1]


async def small_world(tmp_path: Path, **settings: Any) -> World:
    world, _ = await make_world(tmp_path, max_chats_default=1, **settings)
    return world


async def test_nobody_on_duty_then_an_operator_goes_on_duty(world: World) -> None:
    _, cid = await world.start()
    assert last_queue(world, cid) == {
        "position": 1,
        "wait_estimate_s": None,
        "notice": "nobody_on_duty",
        "wait_limit_s": 1200,
        "next_open_at": None,
    }
    world.events.clear()
    await world.on_duty(await world.staff())
    told = last_queue(world, cid)
    assert (told["wait_estimate_s"], told["notice"]) == (60, None)


async def test_estimates_follow_places_and_are_pushed_when_a_chat_ends(tmp_path: Path) -> None:
    world = await small_world(tmp_path, wait_limit_s=900)
    sara = await world.on_duty(await world.staff())  # one place
    _, mine = await world.active(sara)
    _, b = await world.start()
    _, c = await world.start()
    # Her one place is taken: b waits for it (one average handling time, 600 s), c for
    # the one after; c's whole expected wait passes the limit.
    assert (last_queue(world, b)["wait_estimate_s"], last_queue(world, b)["notice"]) == (600, None)
    assert (last_queue(world, c)["wait_estimate_s"], last_queue(world, c)["notice"]) == (1200, "long_wait")
    world.events.clear()

    await world.services.lifecycle.do_operator_end(sara, mine, None)

    assert (last_queue(world, b)["position"], last_queue(world, b)["wait_estimate_s"]) == (1, 60)
    assert last_queue(world, c)["notice"] is None and last_queue(world, c)["wait_estimate_s"] == 600
    # The chat's handling time is in the average: one aggregate record, nothing of the chat.
    record = await world.eph.get(KIND, KEY)
    assert set(record) == {"avg_s", "v"} and record["v"] == 1 and record["avg_s"] < 600


async def test_an_accept_and_a_visitor_who_leaves_move_the_others_up(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    a_sess, a = await world.start()
    _, b = await world.start()
    _, c = await world.start()
    assert [last_queue(world, x)["position"] for x in (a, b, c)] == [1, 2, 3]
    world.events.clear()

    # a's connection is gone: nobody counts them ahead any more, and they are told nothing.
    await world.services.sessions.do_disconnected(a_sess, "vsid-" + a_sess.key[:8])
    assert [last_queue(world, x)["position"] for x in (b, c)] == [1, 2]
    assert world.events.payloads("queue", visitor_of(a)) == []
    assert await world.services.queue.position(c) == 2

    world.events.clear()
    await world.services.lifecycle.do_accept(sara, b)
    assert last_queue(world, c)["position"] == 1


async def test_the_limit_counts_the_time_already_waited(world: World) -> None:
    # An operator is on duty with a free place but does not answer (pick mode, no
    # offers): "about a minute" must not stay for ever.
    await world.on_duty(await world.staff())
    _, cid = await world.start()
    conv = await world.services.repository.get(cid)
    assert conv is not None
    queue = world.services.queue
    queue.clock = lambda: datetime.fromtimestamp((conv.waiting_since + 1_000_000) / 1000, UTC)
    assert await queue.refresh() == 0  # 1,000 s + a minute: within the limit, as told
    assert (last_queue(world, cid)["wait_estimate_s"], last_queue(world, cid)["notice"]) == (60, None)
    queue.clock = lambda: datetime.fromtimestamp((conv.waiting_since + 1_150_000) / 1000, UTC)
    assert await queue.refresh() == 1
    assert last_queue(world, cid)["notice"] == "long_wait"
    # Nothing changed: nothing is sent again.
    assert await queue.refresh() == 0


async def test_the_service_closes_while_they_wait(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    _, cid = await world.start()
    await world.services.hours.set_schedule(TZ_WEEK)
    queue = world.services.queue
    # Friday 13 March 2026, 15:59 in Stockholm: open.
    queue.clock = lambda: datetime(2026, 3, 13, 14, 59, tzinfo=UTC)
    await world.services.sweeper.sweep()
    assert last_queue(world, cid)["notice"] is None
    world.events.clear()
    # 16:01: closed. The sweep tells them, with the next opening (Monday 09:00).
    queue.clock = lambda: datetime(2026, 3, 13, 15, 1, tzinfo=UTC)
    await world.services.sweeper.sweep()
    told = last_queue(world, cid)
    assert told["notice"] == "closed"
    assert told["next_open_at"] == int(datetime(2026, 3, 16, 8, 0, tzinfo=UTC).timestamp() * 1000)
    # The chat stays: a counsellor still on duty may take it.
    assert await world.services.repository.queue_ids() == [cid]
    await world.services.lifecycle.do_accept(sara, cid)
    assert (await world.services.repository.get(cid)).state == "active"  # type: ignore[union-attr]


async def test_estimates_are_pushed_across_processes(redis_pair: Any) -> None:
    one, two = await redis_pair()
    _, cid = await one.start()
    assert last_queue(one, cid)["notice"] == "nobody_on_duty"
    # The operator goes on duty on the other process: that process tells the visitor
    # (through the shared rooms in a deployment).
    await two.on_duty(await two.staff())
    assert (last_queue(two, cid)["wait_estimate_s"], last_queue(two, cid)["notice"]) == (60, None)
    # Each sweep tells only its own visitors, and only what changed for them.
    two.events.clear()
    one.events.clear()
    await two.services.sweeper.sweep()
    assert two.events.payloads("queue", visitor_of(cid)) == []
    await one.services.sweeper.sweep()
    assert last_queue(one, cid)["notice"] is None
    await one.services.sweeper.sweep()
    assert len(one.events.payloads("queue", visitor_of(cid))) == 1
    # The rolling average is shared: a chat ended on one process moves the other's.
    await one.services.handling.add(1200)
    assert await two.services.handling.average_s() == await one.services.handling.average_s() > 600


def test_now_ms_is_milliseconds() -> None:
    assert abs(now_ms() - datetime.now(UTC).timestamp() * 1000) < 5_000
