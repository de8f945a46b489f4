"""Faults the soak found (issue 14 point 7), each as its small input over real sockets,
on the memory store and on Redis with two servers (tests/integration/test_invariants.py
has the deployments). The races are made to happen every time by pausing a server
between two steps."""

from __future__ import annotations

import asyncio
from typing import Any

from chat_server.services.domain import Conversation
from tests.helpers import Recorder, new_client_id
from tests.integration import test_invariants
from tests.integration.test_invariants import Factory, cut

deploy = test_invariants.deploy  # the fixture: memory, and two servers on one Redis


def ids_of(rec: Recorder) -> list[str]:
    """Every message id a visitor socket received, live or in `history`."""
    out = [m["id"] for m in rec.received("message")]
    for h in rec.received("history"):
        out += [m["id"] for m in h["messages"]]
    return out


async def test_a_message_relayed_while_a_resume_is_set_up_arrives_once_after_the_history(deploy: Factory) -> None:
    """The resume joins the room, then reads the history: a message stored and relayed
    in between used to arrive live (before `session`) and again in `history`."""
    d = await deploy()
    op, _ = await d.staff()  # on b
    v, cid = await d.chat(op)  # on a
    token = v.received("session")[0]["token"]
    await cut(v)
    await asyncio.sleep(0.3)

    joined, go_on = asyncio.Event(), asyncio.Event()
    sessions = d.a.services.sessions
    original = sessions.do_connected

    async def paused(conv: Conversation, sid: str, address_key: str = "") -> Conversation:
        out = await original(conv, sid, address_key)  # the room is joined by now
        joined.set()
        await go_on.wait()
        return out

    sessions.do_connected = paused  # type: ignore[method-assign]
    back_task = asyncio.ensure_future(d.visitor(d.a, token))
    await asyncio.wait_for(joined.wait(), 10)
    sent = await op.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "är du kvar?"})
    assert sent["ok"]
    await asyncio.sleep(0.5)  # relayed to the new socket (through Redis, to the other server)
    go_on.set()
    back = await back_task
    sessions.do_connected = original  # type: ignore[method-assign]
    history = (await back.wait_for("history"))["messages"]
    assert sent["id"] in [m["id"] for m in history]
    await back.wait_for("state")
    later = await op.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "bra"})
    await back.wait_for("message", lambda m: m["id"] == later["id"])

    assert ids_of(back).count(sent["id"]) == 1
    assert ids_of(back).count(later["id"]) == 1
    order = [e for e, _p in back.events if e in ("session", "history", "state", "message")]
    assert order == ["session", "history", "state", "message"]


async def test_a_resume_repeats_nothing_while_both_sides_write(deploy: Factory) -> None:
    """Resumes on alternating servers while the operator writes without pause: every
    message the operator had acknowledged reaches the visitor's sockets, none twice on
    one socket."""
    d = await deploy(rate_limits=False)  # a message every 10 ms
    op, _ = await d.staff()
    v, cid = await d.chat(op)
    token = v.received("session")[0]["token"]
    acked: list[str] = []
    writing = True

    async def write() -> None:
        while writing:
            ack = await op.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "hej"})
            assert ack["ok"]
            acked.append(ack["id"])
            await asyncio.sleep(0.01)

    writer = asyncio.ensure_future(write())
    sockets: list[Recorder] = [v]
    for i in range(8):
        await cut(sockets[-1])
        back = await d.visitor(d.b if i % 2 == 0 else d.a, token)
        await back.wait_for("history")
        token = back.received("session")[0]["token"]
        sockets.append(back)
        await asyncio.sleep(0.15)
    writing = False
    await writer
    await asyncio.sleep(0.5)
    for s in sockets[1:]:
        seen = ids_of(s)
        assert len(seen) == len(set(seen)), "a message reached one socket twice"
        kinds: list[Any] = [e for e, _p in s.events if e in ("session", "history", "message")]
        assert kinds[:2] == ["session", "history"]
    assert set(acked) <= set(ids_of(sockets[-1]))
