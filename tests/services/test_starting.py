"""services/starting.py: ``start`` is idempotent under any interleaving. Two starts at
once on one socket, on two sockets of one session, and on two processes over one Redis
all end with one live conversation, which every caller is told about; the loser leaves
nothing behind; a winner that fails afterwards gives its claim back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat_server.services.domain import VisitorSession
from chat_server.services.starting import StartRequest

from .conftest import World, visitor_of

REQUEST = StartRequest(audience="self")


async def start(world: World, sess: VisitorSession, sid: str, attached: list[str] | None = None) -> str:
    async def attach(cid: str) -> None:
        if attached is not None:
            attached.append(cid)

    world.services.addresses.remember(sid, "key-" + sid)
    _, brief, announce = await world.services.starts.do_start(sess, REQUEST, attach, sid, "key-" + sid)
    await announce()
    return brief["id"]


async def live_of(world: World) -> list[str]:
    return [c.id for c in await world.services.repository.live()]


async def test_two_starts_at_once_on_one_socket_make_one_conversation(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sess = await world.visitor()
    rooms: list[str] = []
    stored: list[str] = []
    store_new = world.services.repository.store_new

    async def counting(conv: Any) -> None:
        stored.append(conv.id)
        await store_new(conv)

    monkeypatch.setattr(world.services.repository, "store_new", counting)
    first, second = await asyncio.gather(start(world, sess, "s1", rooms), start(world, sess, "s1", rooms))
    assert first == second
    assert len(stored) == 2  # both got as far as writing one: the claim decided
    assert await live_of(world) == [first] and await world.services.repository.queue_ids() == [first]
    assert rooms == [first, first]  # the socket joined one room, twice
    found = await world.services.repository.find_session(sess.token)
    assert found is not None and found.conversation_id == first
    # Only the conversation that exists was ever told anything.
    assert {s.to for s in world.events.sent if s.to[0] == "visitor"} == {visitor_of(first)}
    # The loser's record and key are gone (nothing but the winner in the store).
    keys = await world.eph.keys_for_inspection()
    assert not [k for k in keys if k.startswith(("conv:", "ckey:")) and first not in k]


async def test_two_sockets_of_one_session_get_the_same_conversation(world: World) -> None:
    sess = await world.visitor()
    ids = await asyncio.gather(*(start(world, sess, f"s{i}") for i in range(5)))
    assert len(set(ids)) == 1 and await live_of(world) == [ids[0]]
    # And a start after the first has ended makes a new one.
    await world.services.lifecycle.finish(ids[0], "visitor_ended")
    again = await start(world, sess, "s9")
    assert again != ids[0] and await live_of(world) == [again]


async def test_two_processes_on_one_redis_make_one_conversation(redis_pair: Any) -> None:
    a, b = await redis_pair()
    sess = await a.visitor()
    for _ in range(5):  # several tries: the interleavings differ from run to run
        ids = await asyncio.gather(start(a, sess, "sa"), start(b, sess, "sb"), start(a, sess, "sc"))
        assert len(set(ids)) == 1
        assert await live_of(a) == [ids[0]] == await live_of(b)
        await a.services.lifecycle.finish(ids[0], "visitor_ended")
    keys = await a.eph.keys_for_inspection()
    assert not [k for k in keys if ":conv:" in k or ":ckey:" in k]


async def test_a_winner_that_fails_afterwards_gives_the_claim_back(world: World) -> None:
    sess = await world.visitor()

    async def broken(_cid: str) -> None:
        raise RuntimeError("the socket's room could not be joined")

    with pytest.raises(RuntimeError):
        await world.services.starts.do_start(sess, REQUEST, broken, "s1", "k")
    assert await live_of(world) == [] and await world.services.repository.queue_ids() == []
    stored = await world.services.repository.find_session(sess.token)
    assert stored is not None and stored.conversation_id is None
    assert await start(world, sess, "s2") in await live_of(world)  # and it can start again


async def test_a_conversation_records_the_socket_its_process_and_the_address_key(world: World) -> None:
    sess = await world.visitor()
    cid = await start(world, sess, "s1")
    conv = await world.services.repository.get(cid)
    assert conv is not None
    assert (conv.visitor_sid, conv.visitor_node, conv.address_key) == ("s1", world.services.presence.node_id, "key-s1")
