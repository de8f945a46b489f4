"""The Ephemeral protocol, against every backend."""

from __future__ import annotations

import asyncio

import pytest


async def test_put_get_delete(ephemeral):
    await ephemeral.put("conv", "a", {"state": "waiting", "n": 1, "items": []}, 60)
    assert await ephemeral.get("conv", "a") == {"state": "waiting", "n": 1, "items": []}
    assert await ephemeral.get("conv", "missing") is None
    assert await ephemeral.delete("conv", "a") is True
    assert await ephemeral.get("conv", "a") is None
    assert await ephemeral.delete("conv", "a") is False


async def test_get_many_in_order(ephemeral):
    await ephemeral.put("conv", "a", {"n": 1}, 60)
    await ephemeral.put("ckey", "a", {"k": "x"}, 60)
    got = await ephemeral.get_many([("ckey", "a"), ("conv", "missing"), ("conv", "a")])
    assert got == [{"k": "x"}, None, {"n": 1}]


async def test_concurrent_requests_each_get_their_own_answer(ephemeral):
    # The Redis store sends concurrent commands in shared pipelines: every caller must
    # still get exactly its own reply, in any mix of commands.
    await asyncio.gather(*(ephemeral.put("conv", f"c{i}", {"i": i}, 60) for i in range(50)))
    results = await asyncio.gather(
        *(ephemeral.get("conv", f"c{i}") for i in range(50)),
        *(ephemeral.append_message(f"c{i % 5}", f"d{i}", {"i": i}, 60) for i in range(50)),
        *(ephemeral.incr("shared", 60) for _ in range(10)),
    )
    assert results[:50] == [{"i": i} for i in range(50)]
    appended = results[50:100]
    assert all(created for _, created in appended)
    assert [record["i"] for record, _ in appended] == list(range(50))
    assert sorted(results[100:]) == list(range(1, 11))


async def test_add_only_creates(ephemeral):
    assert await ephemeral.add("ratekey", "d", {"k": "first"}, 60) is True
    assert await ephemeral.add("ratekey", "d", {"k": "second"}, 60) is False
    assert await ephemeral.get("ratekey", "d") == {"k": "first"}


async def test_records_expire(ephemeral):
    await ephemeral.put("vsess", "x", {"a": 1}, 1)
    await asyncio.sleep(1.3)
    assert await ephemeral.get("vsess", "x") is None


async def test_update_merges_and_compares(ephemeral):
    await ephemeral.put("conv", "b", {"state": "waiting", "op": None, "list": []}, 60)
    updated = await ephemeral.update("conv", "b", {"state": "active", "op": "s1"}, expect={"state": "waiting"})
    assert updated == {"state": "active", "op": "s1", "list": []}
    # The expectation no longer holds: nothing changes.
    assert await ephemeral.update("conv", "b", {"op": "s2"}, expect={"state": "waiting"}) is None
    assert (await ephemeral.get("conv", "b"))["op"] == "s1"
    assert await ephemeral.update("conv", "nope", {"x": 1}) is None


async def test_update_keeps_ttl_unless_given(ephemeral):
    await ephemeral.put("conv", "t", {"v": 1}, 1)
    await ephemeral.update("conv", "t", {"v": 2})
    await asyncio.sleep(1.3)
    assert await ephemeral.get("conv", "t") is None
    await ephemeral.put("conv", "u", {"v": 1}, 1)
    await ephemeral.update("conv", "u", {"v": 2}, ttl=60)
    await asyncio.sleep(1.3)
    assert (await ephemeral.get("conv", "u")) == {"v": 2}


async def test_only_one_concurrent_compare_and_set_wins(ephemeral):
    await ephemeral.put("conv", "race", {"state": "waiting"}, 60)
    results = await asyncio.gather(
        *(
            ephemeral.update("conv", "race", {"state": "active", "op": i}, expect={"state": "waiting"})
            for i in range(10)
        )
    )
    assert sum(r is not None for r in results) == 1


async def test_append_assigns_sequence_and_deduplicates(ephemeral):
    first, created = await ephemeral.append_message("c1", "v::a", {"id": "m1", "enc": "x"}, 60)
    assert created and first["seq"] == 1
    second, created = await ephemeral.append_message("c1", "v::b", {"id": "m2", "enc": "y"}, 60)
    assert created and second["seq"] == 2
    again, created = await ephemeral.append_message("c1", "v::a", {"id": "m3", "enc": "z"}, 60)
    assert not created and again == first
    assert [m["id"] for m in await ephemeral.messages("c1")] == ["m1", "m2"]
    await ephemeral.delete_messages("c1")
    assert await ephemeral.messages("c1") == []
    # After deletion the dedupe memory is gone too.
    _, created = await ephemeral.append_message("c1", "v::a", {"id": "m4"}, 60)
    assert created


async def test_concurrent_appends_keep_order_and_uniqueness(ephemeral):
    await asyncio.gather(*(ephemeral.append_message("c2", f"k{i % 5}", {"id": f"m{i}"}, 60) for i in range(20)))
    stored = await ephemeral.messages("c2")
    assert len(stored) == 5
    assert [m["seq"] for m in stored] == [1, 2, 3, 4, 5]


async def test_ordered_index(ephemeral):
    await ephemeral.index_add("queue", "b", 2.0, 60)
    await ephemeral.index_add("queue", "a", 1.0, 60)
    await ephemeral.index_add("queue", "c", 1.0, 60)
    assert await ephemeral.index_members("queue") == [("a", 1.0), ("c", 1.0), ("b", 2.0)]
    await ephemeral.index_add("queue", "b", 0.5, 60)
    assert [m for m, _ in await ephemeral.index_members("queue")] == ["b", "a", "c"]
    assert await ephemeral.index_remove("queue", "a") is True
    assert await ephemeral.index_remove("queue", "a") is False
    assert await ephemeral.index_members("missing") == []


async def test_counters(ephemeral):
    assert await ephemeral.incr("login:x", 60) == 1
    assert await ephemeral.incr("login:x", 60, 2) == 3
    assert await ephemeral.incr("login:x", 60, 0) == 3
    await ephemeral.incr("login:short", 1)
    await asyncio.sleep(1.3)
    assert await ephemeral.incr("login:short", 1, 0) == 0


@pytest.mark.redis
async def test_every_redis_key_has_a_ttl(redis_server):
    from chat_server.storage.redis_ephemeral import RedisEphemeral

    store = RedisEphemeral(redis_server.url, prefix="ttlcheck:")
    try:
        await store.put("conv", "a", {"x": 1}, 60)
        await store.update("conv", "a", {"x": 2})
        await store.append_message("a", "k", {"id": "m"}, 60)
        await store.index_add("queue", "a", 1, 60)
        await store.incr("ctr", 60)
        keys = await store.keys_for_inspection()
        assert len(keys) == 5
        for key in keys:
            assert await store.client.ttl(key) > 0, key
    finally:
        await store.close()


@pytest.mark.redis
async def test_scripts_survive_a_redis_that_forgot_them(redis_server):
    # After a Redis restart its script cache is empty; appends must load it again.
    from chat_server.storage.redis_ephemeral import RedisEphemeral

    store = RedisEphemeral(redis_server.url, prefix="noscript:")
    try:
        await store.append_message("a", "k1", {"id": "m1"}, 60)
        await store.client.script_flush()
        record, created = await store.append_message("a", "k2", {"id": "m2"}, 60)
        assert created and record["seq"] == 2
        assert await store.incr("n", 60) == 1
    finally:
        await store.close()


@pytest.mark.redis
async def test_a_failing_command_does_not_fail_the_others_in_its_pipeline(redis_server):
    # Concurrent commands share one pipeline (storage/redis_client.AutoPipeline); an
    # error is that command's alone.
    from chat_server.storage.base import StoreUnavailable
    from chat_server.storage.redis_ephemeral import RedisEphemeral

    store = RedisEphemeral(redis_server.url, prefix="batch:")
    try:
        await store.client.rpush("batch:conv:wrong", "x")  # a list where a record belongs
        results = await asyncio.gather(
            store.put("conv", "a", {"n": 1}, 60),
            store.get("conv", "wrong"),
            store.get("conv", "a"),
            return_exceptions=True,
        )
        assert results[0] is None
        assert isinstance(results[1], StoreUnavailable)
        assert results[2] == {"n": 1}
    finally:
        await store.close()
