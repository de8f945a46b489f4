"""Waiting and feedback over real sockets: the ``queue`` event's estimate and notice as
operators go on and off duty (memory store, and two processes on one Redis), and the
one-question feedback after an answered chat, accepted once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer, RedisServer, start_redis
from tests.helpers import Recorder
from tests.integration.test_redis_mode import operator_on, redis_overrides, visitor_on

START = {"audience": "self", "topic": None, "urgent": False, "age_band": None}


async def test_the_estimate_and_the_notice_follow_the_operators(visitor: Any, operator: Any) -> None:
    v = await visitor()
    assert (await v.call("start", START))["ok"]
    first = await v.wait_for("queue")
    assert (first["wait_estimate_s"], first["notice"], first["wait_limit_s"]) == (None, "nobody_on_duty", 1200)
    op, _ = await operator()
    told = await v.wait_for("queue", lambda p: p["notice"] is None)
    assert told["wait_estimate_s"] == 60 and told["position"] == 1
    assert (await op.call("duty", {"on": False}))["ok"]
    await v.wait_for("queue", lambda p: p["notice"] == "nobody_on_duty", after=len(v.events) - 1)


async def test_feedback_once_after_an_answered_chat(visitor: Any, operator: Any, server: LiveServer) -> None:
    op, _ = await operator()
    v = await visitor()
    ack = await v.call("start", START)
    cid = ack["conversation"]["id"]
    await op.wait_for("offer")
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    await v.wait_for("state", lambda p: p["state"] == "active")
    assert (await v.call("end", {}))["ok"]
    ended = await v.wait_for("ended")
    token = ended["feedback"]
    bad = await v.call("feedback", {"token": token, "answer": "perhaps"})
    assert bad["ok"] is False and bad["error"]["code"] == "invalid"
    assert (await v.call("feedback", {"token": token, "answer": "yes"})) == {"ok": True}
    again = await v.call("feedback", {"token": token, "answer": "no"})
    assert again["ok"] is False and again["error"]["code"] == "not_found" and again["error"]["message"]
    # The staff side never hears of it.
    assert all("feedback" not in p for p in op.received("ended"))


@pytest.mark.redis
async def test_the_estimate_is_pushed_across_two_processes(
    tmp_path: Any, server_factory: Any, clients: list[Recorder]
) -> None:
    folder = tmp_path / "redis"
    folder.mkdir()
    redis: RedisServer = start_redis(folder)
    try:
        overrides = redis_overrides(redis)
        a = await server_factory(**overrides)
        b = await server_factory(**overrides)
        v = await visitor_on(a.url, clients)
        assert (await v.call("start", START))["ok"]
        await v.wait_for("queue", lambda p: p["notice"] == "nobody_on_duty")
        # The operator goes on duty on the other process: the visitor hears it.
        await operator_on(b, b.url, clients)
        told = await v.wait_for("queue", lambda p: p["notice"] is None)
        assert told["wait_estimate_s"] == 60
    finally:
        for c in clients:
            await c.disconnect()
        redis.stop()
