"""The one-question feedback (services/feedback.py): a single-use token only after an
answered chat, an answer counted once (also when replayed on another process), and
tallies that reach the statistics only as whole ended days (a frozen clock)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from chat_server.services.errors import ServiceError
from chat_server.services.stats import TZ
from chat_server.storage.base import StoreUnavailable

from .conftest import World, visitor_of


async def ended_token(world: World, operator_ends: bool = True) -> str:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    if operator_ends:
        await world.services.lifecycle.do_operator_end(sara, cid, None)
    else:
        await world.services.lifecycle.do_visitor_end(sess)
    [ended] = world.events.payloads("ended", visitor_of(cid))
    return str(ended["feedback"])


async def feedback_rows(world: World) -> dict[tuple[str, str], int]:
    rows = await world.services.stats.totals("2000-01-01", "2999-12-31")
    return {(day, key): n for day, key, n in rows if key.startswith("feedback:")}


async def test_one_answer_per_ended_chat(world: World) -> None:
    token = await ended_token(world)
    feedback = world.services.feedback
    with pytest.raises(ServiceError) as bad:
        await feedback.do_answer(token, "maybe")
    assert bad.value.code == "invalid"
    await feedback.do_answer(token, "partly")
    for answer in ("partly", "yes"):  # a replay, or a changed mind: refused
        with pytest.raises(ServiceError) as again:
            await feedback.do_answer(token, answer)
        assert again.value.code == "not_found"
    with pytest.raises(ServiceError):
        await feedback.do_answer("made-up", "no")


async def test_no_token_after_a_quick_exit_or_an_unanswered_chat(world: World) -> None:
    sess, waiting = await world.start()
    await world.services.lifecycle.do_visitor_end(sess)
    assert world.events.payloads("ended", visitor_of(waiting)) == [{"reason": "visitor_ended"}]
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.lifecycle.do_visitor_exit(sess)
    assert world.events.payloads("ended", visitor_of(cid)) == [{"reason": "visitor_exit"}]


async def test_the_token_holds_nothing_of_the_chat(world: World) -> None:
    token = await ended_token(world, operator_ends=False)
    keys = await world.eph.keys_for_inspection()
    stored = [k for k in keys if k.startswith("feedback_answer:")]
    assert len(stored) == 1 and token not in stored[0]
    # Only the centre whose statistics count the answer (never the chat or a time).
    assert await world.eph.get("feedback_answer", stored[0].split(":", 1)[1]) == {"centre": "default"}


async def test_answers_reach_the_statistics_only_as_whole_ended_days(world: World) -> None:
    feedback = world.services.feedback
    day = datetime(2026, 3, 10, 12, 0, tzinfo=TZ)
    feedback.clock = lambda: day
    for answer in ("yes", "yes", "no"):
        await feedback.do_answer(await ended_token(world), answer)
    # The day is not over: nothing in the durable statistics.
    await feedback.flush()
    assert await feedback_rows(world) == {}
    feedback.clock = lambda: datetime(2026, 3, 11, 0, 2, tzinfo=TZ)  # within the grace after midnight
    await feedback.flush()
    assert ("2026-03-10", "feedback:yes") not in await feedback_rows(world)
    feedback.clock = lambda: datetime(2026, 3, 11, 0, 10, tzinfo=TZ)
    assert "2026-03-10" in await feedback.flush()
    assert await feedback_rows(world) == {("2026-03-10", "feedback:yes"): 2, ("2026-03-10", "feedback:no"): 1}
    # Flushed once: a second sweep adds nothing.
    assert await feedback.flush() == []
    assert await feedback_rows(world) == {("2026-03-10", "feedback:yes"): 2, ("2026-03-10", "feedback:no"): 1}


async def test_a_token_works_once_across_processes(redis_pair: Any) -> None:
    one, two = await redis_pair()
    token = await ended_token(one)
    await two.services.feedback.do_answer(token, "yes")
    with pytest.raises(ServiceError) as again:
        await one.services.feedback.do_answer(token, "yes")
    assert again.value.code == "not_found"
    # One process flushes a day; the other finds it claimed.
    when = datetime.now(TZ)
    later = datetime.fromtimestamp(when.timestamp() + 86_400 + 600, TZ)
    one.services.feedback.clock = two.services.feedback.clock = lambda: later
    flushed = [await one.services.feedback.flush(), await two.services.feedback.flush()]
    assert when.date().isoformat() in flushed[0] and when.date().isoformat() not in flushed[1]
    assert await feedback_rows(one) == {(when.date().isoformat(), "feedback:yes"): 1}


async def test_answers_count_for_the_chat_s_centre(world: World) -> None:
    """Issue 19: an answer counts in the statistics of the centre the chat belonged to,
    and in the national view (summed before suppression), never in another centre's."""
    feedback = world.services.feedback
    feedback.clock = lambda: datetime(2026, 3, 10, 12, 0, tzinfo=TZ)
    await feedback.do_answer(await feedback.issue("skane"), "yes")
    await feedback.do_answer(await feedback.issue("skane"), "partly")
    await feedback.do_answer(await feedback.issue("default"), "no")
    feedback.clock = lambda: datetime(2026, 3, 11, 0, 10, tzinfo=TZ)
    assert "2026-03-10" in await feedback.flush()
    stats = world.services.stats

    async def rows(centre: str | None) -> dict[str, int]:
        return {k: n for _, k, n in await stats.totals("2026-03-10", "2026-03-10", centre) if k.startswith("feedback:")}

    assert await rows("skane") == {"feedback:yes": 1, "feedback:partly": 1}
    assert await rows("default") == {"feedback:no": 1}
    assert await rows(None) == {"feedback:yes": 1, "feedback:partly": 1, "feedback:no": 1}
    assert await feedback.flush() == []
    assert await rows(None) == {"feedback:yes": 1, "feedback:partly": 1, "feedback:no": 1}


async def test_a_store_failing_half_way_loses_nothing_and_counts_nothing_twice(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The durable store stops answering after the first centre's tally (Redis failing
    over): the day is not marked done, the sweep says so in one line without a
    traceback, and the next sweep adds the rest exactly once."""
    feedback, stats = world.services.feedback, world.services.stats
    feedback.clock = lambda: datetime(2026, 3, 10, 12, 0, tzinfo=TZ)
    await feedback.do_answer(await feedback.issue("default"), "yes")
    await feedback.do_answer(await feedback.issue("skane"), "no")
    feedback.clock = lambda: datetime(2026, 3, 11, 0, 10, tzinfo=TZ)
    real = stats.record_day
    calls = 0

    async def failing_second(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise StoreUnavailable("ConnectionError")
        await real(*args, **kwargs)

    monkeypatch.setattr(stats, "record_day", failing_second)
    with caplog.at_level("WARNING"):
        await world.services.sweeper.sweep()
    assert "feedback not yet added" in caplog.text and "Traceback" not in caplog.text
    assert not any(r.exc_info for r in caplog.records)
    assert await feedback_rows(world) == {("2026-03-10", "feedback:yes"): 1}  # "default" came first
    assert "2026-03-10" in await feedback.flush()  # the claim was let go: the rest now
    national = {k: n for _, k, n in await stats.totals("2026-03-10", "2026-03-10", None) if k.startswith("feedback:")}
    assert national == {"feedback:yes": 1, "feedback:no": 1}
    assert await feedback.flush() == []
