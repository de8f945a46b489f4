"""services/lifecycle.py: start, accept, back to the queue, end, exit, finish, sweep;
the state each leaves and exactly who hears about it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chat_server.services.errors import ServiceError
from chat_server.services.hours import TZ

from .conftest import World, staff_of, visitor_of


async def test_start_queues_the_conversation_and_tells_the_visitor_and_the_watchers(world: World) -> None:
    sess, cid = await world.start(topic="control", age_band="16-17")
    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.state == "waiting" and conv.version == 0
    assert (conv.topic, conv.age_band, conv.session_key) == ("control", "16-17", sess.key)
    assert sess.conversation_id == cid
    assert await world.services.repository.queue_ids() == [cid]
    assert world.events.payloads("state", visitor_of(cid)) == [{"state": "waiting", "operator": None}]
    assert world.events.payloads("queue", visitor_of(cid)) == [
        {"position": 1, "wait_estimate_s": None, "notice": "nobody_on_duty", "wait_limit_s": 1200, "next_open_at": None}
    ]
    snapshot = world.events.payloads("queue", ("watchers", "default"))
    assert [[i["id"] for i in s["items"]] for s in snapshot] == [[cid]]
    # Nobody else heard anything.
    assert {s.to for s in world.events.sent} == {visitor_of(cid), ("watchers", "default")}


async def test_start_is_idempotent_for_a_session_with_a_live_conversation(world: World) -> None:
    sess, cid = await world.start()
    world.events.clear()
    again, second = await world.start(sess)
    assert second == cid and again.conversation_id == cid
    assert await world.services.repository.queue_ids() == [cid]
    assert world.events.sent == []


async def test_start_is_refused_when_closed_or_blocked(world: World) -> None:
    await world.services.hours.set_schedule({"weekly": {}, "exceptions": {}})
    await world.services.repository.block("key-1", 60)
    with pytest.raises(ServiceError) as blocked:
        await world.services.starts.check_may_start("key-1")
    assert blocked.value.code == "forbidden"
    await world.services.starts.check_may_start("key-2")  # anyone else may

    today = datetime.now(TZ).date()
    closed_days = {(today + timedelta(days=d)).isoformat(): [] for d in (0, 1)}
    await world.services.hours.set_schedule({"weekly": {"0": [["09:00", "10:00"]]}, "exceptions": closed_days})
    with pytest.raises(ServiceError) as refused:
        await world.start()
    assert refused.value.code == "closed"
    assert await world.services.repository.queue_ids() == []


async def test_accept_makes_it_active_and_tells_the_visitor_the_operator_and_the_queue(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    other = await world.on_duty(await world.staff(name="Ali"))
    sess, cid = await world.start()
    await world.services.messages.do_visitor_message(sess, "c1", "hej")
    world.events.clear()

    summary = await world.services.lifecycle.do_accept(sara, cid)

    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.state == "active" and conv.operator_id == sara.id and conv.version == 1
    assert summary["operator"] == {"id": sara.id, "name": "Sara"}
    assert await world.services.repository.queue_ids() == []
    assert world.events.payloads("state", visitor_of(cid)) == [{"state": "active", "operator": {"name": "Sara"}}]
    joined = world.events.recipients("message", lambda m: m.get("code") == "operator_joined")
    assert joined == {visitor_of(cid), staff_of(sara)}
    assigned = world.events.payloads("assigned", staff_of(sara))
    assert [m["text"] for m in assigned[0]["messages"] if m["from"] == "visitor"] == ["hej"]
    assert world.events.recipients("assigned") == {staff_of(sara)}
    assert staff_of(other) not in {s.to for s in world.events.sent}


async def test_accept_refuses_taken_missing_and_over_the_maximum(world_factory) -> None:
    world: World = await world_factory(max_chats_default=1)
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())
    _, first = await world.start()
    _, second = await world.start()
    await world.services.lifecycle.do_accept(sara, first)
    for staff, cid, code in ((ali, first, "conflict"), (ali, "nope", "not_found"), (sara, second, "conflict")):
        with pytest.raises(ServiceError) as refused:
            await world.services.lifecycle.do_accept(staff, cid)
        assert refused.value.code == code
    assert (await world.services.repository.get(second)).state == "waiting"  # type: ignore[union-attr]


async def test_visitor_end_destroys_everything_and_tells_both_sides(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.messages.do_visitor_message(sess, "c1", "hej")
    world.events.clear()

    sess = await world.services.lifecycle.do_visitor_end(sess)

    assert sess.conversation_id is None
    repo = world.services.repository
    assert await repo.get(cid) is None and await repo.messages(cid) == [] and await repo.live_ids() == []
    with pytest.raises(ServiceError):
        await repo.cipher(cid)  # the key is gone
    # An answered chat: the visitor's ``ended`` carries a feedback token, nothing else
    # of the conversation (services/feedback.py).
    [ended] = world.events.payloads("ended", visitor_of(cid))
    assert ended.keys() == {"reason", "feedback"} and ended["reason"] == "visitor_ended"
    assert cid not in ended["feedback"]
    assert world.events.payloads("ended", staff_of(sara)) == [{"conversation_id": cid, "reason": "visitor_ended"}]
    assert world.events.payloads("state", visitor_of(cid)) == [{"state": "ended", "operator": None}]
    assert world.observer.ended == ["visitor_ended"]
    totals = {k for _d, k, _n in await world.services.stats.totals("2000-01-01", "2999-12-31")}
    assert {"outcome:visitor_ended", "conversations:total"} <= totals
    # The session stays and can start again.
    _, again = await world.start(sess)
    assert again != cid


async def test_quick_exit_forgets_the_session(world: World) -> None:
    sess, cid = await world.start()
    await world.services.lifecycle.do_visitor_exit(sess)
    assert await world.services.repository.find_session(sess.token) is None
    assert await world.services.repository.get(cid) is None
    assert world.events.payloads("ended", visitor_of(cid)) == [{"reason": "visitor_exit"}]


async def test_operator_end_with_triage(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    ali = await world.staff()
    _, cid = await world.active(sara, age_band="13-15")
    triage = {"categories": ["forced_marriage"], "risk": "high"}
    with pytest.raises(ServiceError) as forbidden:
        await world.services.lifecycle.do_operator_end(ali, cid, triage)
    assert forbidden.value.code == "forbidden"
    with pytest.raises(ServiceError) as invalid:
        await world.services.lifecycle.do_operator_end(sara, cid, {"categories": ["nope"], "risk": "high"})
    assert invalid.value.code == "invalid"
    assert await world.services.lifecycle.check_triage(sara, cid, triage) is True
    assert await world.services.repository.get_live(cid) is not None  # nothing ended yet

    assert await world.services.lifecycle.do_operator_end(sara, cid, triage) == {"report_duty": True}
    assert await world.services.repository.get(cid) is None
    totals = {k for _d, k, _n in await world.services.stats.totals("2000-01-01", "2999-12-31")}
    assert {"triage:recorded", "category:forced_marriage", "risk:high", "outcome:operator_ended"} <= totals


async def test_finish_counts_once_however_many_try(world: World) -> None:
    _, cid = await world.start()
    assert await world.services.lifecycle.finish(cid, "abandoned") is True
    assert await world.services.lifecycle.finish(cid, "abandoned") is False
    assert world.observer.ended == ["abandoned"]


async def test_sweep_abandons_after_the_grace_period_and_requeues_a_dropped_operators_chats(world_factory) -> None:
    world: World = await world_factory(grace_period_s=0, operator_grace_s=0)
    sara = await world.on_duty(await world.staff(name="Sara"))
    gone, gone_cid = await world.start()
    _, kept = await world.active(sara)
    await world.services.sessions.do_disconnected(gone, "vsid-" + gone.key[:8])
    await world.services.router.do_operator_disconnected(sara, "sid-" + sara.id)
    world.events.clear()

    assert await world.services.sweeper.sweep() == 1

    repo = world.services.repository
    assert await repo.get(gone_cid) is None
    conv = await repo.get(kept)
    assert conv is not None and conv.state == "waiting" and conv.operator_id is None and conv.passed == (sara.id,)
    assert await repo.queue_ids() == [kept] and await repo.duty_of(sara.id) is None
    assert world.events.payloads("ended", staff_of(sara)) == [{"conversation_id": kept, "reason": "operator_left"}]
    left = world.events.recipients("message", lambda m: m.get("code") == "operator_left")
    assert left == {visitor_of(kept)}  # the operator is no longer a participant
    assert world.events.payloads("state", visitor_of(kept)) == [{"state": "waiting", "operator": None}]
