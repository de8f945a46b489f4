"""Every conversation gets its triage (services/pending_triage.py): marks during a chat,
a "to triage" entry for its operator after any end without a triage, saved or skipped
once, counted on the day the chat ended, and who was told what."""

from __future__ import annotations

import asyncio

import pytest

from chat_server.services import pending_triage as pt
from chat_server.services.errors import ServiceError
from chat_server.services.pending_triage import Ref, check_marks, check_ref

from .conftest import World, staff_of, visitor_of

FORM = {"categories": ["forced_marriage"], "risk": "high", "actions": ["report_of_concern"]}


async def totals(world: World) -> dict[str, int]:
    out: dict[str, int] = {}
    for _day, key, n in await world.services.stats.totals("2000-01-01", "2999-12-31"):
        out[key] = out.get(key, 0) + n
    return out


async def code_of(coro: object) -> str:
    with pytest.raises(ServiceError) as refused:
        await coro  # type: ignore[misc]
    return refused.value.code


async def test_a_chat_the_visitor_ends_waits_for_its_triage(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    sess, cid = await world.active(sara, locale="ar", age_band="16-17", topic="marriage", urgent=True)
    world.events.clear()
    await world.services.lifecycle.do_visitor_end(sess)

    # Told before ``ended``, so the console never closes the chat by itself.
    order = [s.event for s in world.events.sent if s.to == staff_of(sara)]
    assert order.index("triage_pending") < order.index("ended")
    (told,) = world.events.payloads("triage_pending", staff_of(sara))
    item, tid = told["item"], told["item"]["id"]
    assert told["conversation_id"] == cid and item["reason"] == "visitor_ended" and tid != cid
    assert (item["locale"], item["age_band"], item["topic"], item["urgent"]) == ("ar", "16-17", "marriage", True)
    assert item["expires_at"] - item["ended_at"] == pt.WINDOW_S * 1000
    assert "text" not in repr(item) and world.events.recipients("triage_pending") == {staff_of(sara)}
    pending = world.services.pending_triage
    assert [i["id"] for i in await pending.listing(sara)] == [tid]
    assert not any(k.startswith("triage") for k in await totals(world))
    # Nothing stored after the end names the conversation.
    assert not [k for k in await world.eph.keys_for_inspection() if cid in k]
    assert cid not in repr(world.eph.raw_dump())

    assert await pending.do_triage(sara, tid, FORM) is True  # under 18, harm
    counted = await totals(world)
    assert counted["triage:recorded"] == 1 and counted["category:forced_marriage"] == 1
    assert counted["action:report_of_concern"] == 1 and "triage:missing" not in counted
    assert world.events.payloads("triage_done", staff_of(sara)) == [{"id": tid, "outcome": "recorded"}]
    assert await pending.listing(sara) == []
    assert await code_of(pending.do_triage(sara, tid, FORM)) == "not_found"  # once
    assert await world.eph.get(pt.ENTRY, tid) is None


@pytest.mark.parametrize("how", ["exit", "abandoned", "blocked", "operator_without_form"])
async def test_every_answered_end_without_a_triage_leaves_an_entry(world: World, how: str) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    lifecycle = world.services.lifecycle
    if how == "exit":
        await lifecycle.do_visitor_exit(sess)
    elif how == "abandoned":
        await lifecycle.finish(cid, "abandoned")
    elif how == "blocked":
        await world.services.supervision.do_block(sara, cid)
    else:
        assert await lifecycle.do_operator_end(sara, cid, None) == {}
    (item,) = await world.services.pending_triage.listing(sara)
    reason = {"exit": "visitor_exit", "operator_without_form": "operator_ended"}.get(how, how)
    assert item["reason"] == reason


async def test_no_entry_for_a_triage_given_at_the_end_or_a_chat_nobody_answered(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    _, cid = await world.active(sara)
    await world.services.lifecycle.do_operator_end(sara, cid, FORM)
    waiting, _ = await world.start()
    await world.services.lifecycle.do_visitor_end(waiting)
    assert await world.services.pending_triage.listing(sara) == []
    assert not world.events.of("triage_pending")
    assert (await totals(world))["triage:recorded"] == 1


async def test_skip_with_a_reason_and_only_the_own_list(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.lifecycle.do_visitor_end(sess)
    pending = world.services.pending_triage
    (item,) = await pending.listing(sara)
    tid = item["id"]
    assert await pending.listing(ali) == []
    assert await code_of(pending.do_skip(ali, tid, "test")) == "not_found"
    assert await code_of(pending.do_triage(ali, tid, FORM)) == "not_found"
    assert await code_of(pending.do_skip(sara, cid, "test")) == "not_found"  # the chat's id is not the entry's
    assert await code_of(pending.do_skip(sara, tid, "because")) == "invalid"
    assert await code_of(pending.do_triage(sara, tid, {"categories": ["x"], "risk": "low"})) == "invalid"
    assert len(await pending.listing(sara)) == 1  # a refusal keeps the entry
    await pending.do_skip(sara, tid, "test")
    counted = await totals(world)
    assert counted["triage:skipped"] == 1 and counted["triage_skip:test"] == 1 and "triage:recorded" not in counted
    assert world.events.payloads("triage_done", staff_of(sara)) == [{"id": tid, "outcome": "skipped"}]
    (skipped,) = [e for e in await world.services.audit.recent() if e["action"] == "triage_skip"]
    assert skipped["actor"] == sara.id and skipped["target"] is None and skipped["details"] == {}


async def test_two_tabs_saving_at_once_count_it_once(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.lifecycle.do_visitor_end(sess)
    pending = world.services.pending_triage
    (item,) = await pending.listing(sara)
    results = await asyncio.gather(
        pending.do_triage(sara, item["id"], FORM), pending.do_skip(sara, item["id"], "test"), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert [r.code for r in results if isinstance(r, ServiceError)] == ["not_found"]
    counted = await totals(world)
    assert counted.get("triage:recorded", 0) + counted.get("triage:skipped", 0) == 1


async def test_an_entry_past_its_window_is_gone(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.lifecycle.do_visitor_end(sess)
    (item,) = await world.services.pending_triage.listing(sara)
    tid = item["id"]
    await world.eph.update(pt.ENTRY, tid, {"ended_at": item["ended_at"] - pt.WINDOW_S * 1000})
    assert await world.services.pending_triage.listing(sara) == []
    assert await world.eph.get(pt.ENTRY, tid) is None
    assert await code_of(world.services.pending_triage.do_triage(sara, tid, FORM)) == "not_found"


async def test_marks_decide_the_duty_to_report_and_reach_every_participant(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.on_duty(await world.staff(name="Ali"))
    boss = await world.staff("supervisor", name="Maria")
    outsider = await world.staff()
    sess, cid = await world.active(sara, age_band="22-26", topic="other")
    await world.services.supervision.do_invite(sara, cid, ali.id)
    await world.services.supervision.do_observe(boss, cid)
    pending = world.services.pending_triage
    world.events.clear()

    live = Ref(conversation_id=cid)
    marks, duty = await pending.do_mark(sara, live, check_marks(["violence"], None, None))
    assert marks["categories"] == ["violence"] and duty is False  # an adult
    marks, duty = await pending.do_mark(ali, live, check_marks(None, "16-17", "2080"))
    assert duty is True and marks == {
        "categories": ["violence"],
        "age_band": "16-17",
        "municipality": "2080",
        "acknowledged_by": None,
    }
    assert world.events.recipients("triage_marks") == {staff_of(sara), staff_of(ali), staff_of(boss)}
    assert visitor_of(cid) not in world.events.recipients("triage_marks")
    assert await code_of(pending.do_mark(boss, live, {"categories": []})) == "forbidden"  # observers read only
    assert await code_of(pending.do_mark(outsider, live, {"categories": []})) == "forbidden"
    assert check_marks(None, None, "Malung-Sälen") == {"municipality": "Malung-Sälen"}
    for bad in (
        (["other"], None, None),
        (None, "12", None),
        (None, None, "../x"),
        (None, None, "x" * 81),
        ("fgm", None, None),
    ):
        with pytest.raises(ServiceError) as invalid:
            check_marks(*bad)
        assert invalid.value.code == "invalid"
    for ref in ((None, None), (cid, "t1")):
        with pytest.raises(ServiceError):
            check_ref(*ref)
    assert await code_of(pending.do_acknowledge(outsider, live)) == "forbidden"
    assert await code_of(pending.do_acknowledge(boss, live)) == "forbidden"  # observers read silently
    assert (await pending.do_acknowledge(ali, live))["acknowledged_by"] == "Ali"
    assert set(await pending.marks_of_chats(sara)) == {cid}
    assert await pending.marks_of_chats(outsider) == {}
    assert not [e for e in await world.services.audit.recent() if "report" in e["action"]]

    # At the end the marks move into the entry; the live record is gone.
    await world.services.lifecycle.do_visitor_end(sess)
    (item,) = await pending.listing(sara)
    assert item["marks"]["age_band"] == "16-17" and item["marks"]["acknowledged_by"] == "Ali"
    assert await world.eph.get(pt.MARKS, cid) is None
    assert await code_of(pending.do_mark(sara, live, {})) == "not_found"  # the chat is gone
    marks, duty = await pending.do_mark(sara, Ref(triage_id=item["id"]), check_marks(None, None, "2062"))
    assert marks["municipality"] == "2062" and duty is True
    assert (await pending.listing(sara))[0]["marks"]["municipality"] == "2062"
    # Two tabs at once, each marking another field of the entry: both are kept.
    entry = Ref(triage_id=item["id"])
    await asyncio.gather(
        pending.do_mark(sara, entry, check_marks(["honour_control"], None, None)),
        pending.do_mark(sara, entry, check_marks(None, "13-15", None)),
        pending.do_acknowledge(sara, entry),
    )
    kept = (await pending.listing(sara))[0]["marks"]
    assert (kept["categories"], kept["age_band"], kept["municipality"]) == (["honour_control"], "13-15", "2062")
    assert kept["acknowledged_by"] == sara.name


async def test_the_visitors_topic_alone_says_harm_for_a_child(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    _, cid = await world.active(sara, age_band="13-15", topic="fgm")
    _, duty = await world.services.pending_triage.do_mark(sara, Ref(conversation_id=cid), {})
    assert duty is True
    _, adult = await world.active(sara, age_band="18-21", topic="fgm")
    assert (await world.services.pending_triage.do_mark(sara, Ref(conversation_id=adult), {}))[1] is False
