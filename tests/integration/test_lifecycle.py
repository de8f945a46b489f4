"""Lifecycle: resume after a drop, queue positions, grace period, leaving the queue."""

from __future__ import annotations

import asyncio

from tests.integration.test_conversation import start


async def test_resume_after_drop_delivers_history_once(visitor, operator):
    op, _ = await operator()
    v = await visitor()
    token = v.received("session")[0]["token"]
    conv = await start(v)
    await op.call("accept", {"conversation_id": conv["id"]})
    await op.wait_for("assigned")
    for i in range(3):
        assert (await v.call("message", {"client_id": f"v{i}", "text": f"besökare {i}"}))["ok"]
    await op.call("message", {"conversation_id": conv["id"], "client_id": "o1", "text": "operatör 1"})
    await v.wait_for("message", lambda m: m["from"] == "operator")

    await v.drop()
    away = await op.wait_for("conversation", lambda d: d["conversation"]["visitor_connected"] is False)
    assert away["conversation"]["id"] == conv["id"]
    # While the visitor is away the operator writes on; nothing may be lost.
    await op.call("message", {"conversation_id": conv["id"], "client_id": "o2", "text": "operatör 2"})

    again = await visitor(auth={"resume": token})
    session = again.received("session")[0]
    assert session["conversation"] == {"id": conv["id"], "state": "active", "position": None}
    assert session["token"] == token
    history = (await again.wait_for("history"))["messages"]
    texts = [m["text"] for m in history if m["from"] != "system"]
    assert texts == ["besökare 0", "besökare 1", "besökare 2", "operatör 1", "operatör 2"]
    assert len({m["id"] for m in history}) == len(history)
    assert (await again.wait_for("state"))["state"] == "active"
    await op.wait_for("conversation", lambda d: d["conversation"]["visitor_connected"] is True)

    # A message resent after the resume (its ack was lost in the drop) is not duplicated.
    dup = await again.call("message", {"client_id": "v2", "text": "besökare 2"})
    assert dup["ok"]
    await again.call("message", {"client_id": "v3", "text": "efter återanslutning"})
    got = await op.wait_for("message", lambda m: m.get("client_id") == "v3")
    assert got["text"] == "efter återanslutning"
    assert [m["client_id"] for m in op.received("message") if m["from"] == "visitor"].count("v2") == 1


async def test_resume_waiting_visitor_gets_place(visitor):
    v = await visitor()
    token = v.received("session")[0]["token"]
    conv = await start(v)
    await v.drop()
    again = await visitor(auth={"resume": token})
    assert again.received("session")[0]["conversation"]["position"] == 1
    assert (await again.wait_for("queue"))["position"] == 1
    assert conv["id"] == again.received("session")[0]["conversation"]["id"]


async def test_unknown_token_gets_fresh_session(visitor):
    v = await visitor(auth={"resume": "not-a-real-token"})
    session = v.received("session")[0]
    assert session["conversation"] is None and session["token"] != "not-a-real-token"


async def test_three_visitors_queue_positions_and_leaving(visitor, operator):
    op, _ = await operator()
    visitors = [await visitor() for _ in range(3)]
    convs = [await start(v) for v in visitors]
    assert [c["position"] for c in convs] == [1, 2, 3]
    for v, pos in zip(visitors, (1, 2, 3), strict=True):
        await v.wait_for("queue", lambda d, p=pos: d["position"] == p)
    snapshot = await op.wait_for("queue", lambda d: len(d["items"]) == 3)
    assert [i["id"] for i in snapshot["items"]] == [c["id"] for c in convs]

    # The first leaves: everyone behind moves up.
    marks = [v.mark() for v in visitors]
    assert (await visitors[0].call("end", {}))["ok"]
    await visitors[1].wait_for("queue", lambda d: d["position"] == 1, after=marks[1])
    await visitors[2].wait_for("queue", lambda d: d["position"] == 2, after=marks[2])
    await op.wait_for("queue", lambda d: [i["id"] for i in d["items"]] == [convs[1]["id"], convs[2]["id"]])

    # The operator takes the next one: the last moves to first place.
    mark = visitors[2].mark()
    await op.call("accept", {"conversation_id": convs[1]["id"]})
    await visitors[2].wait_for("queue", lambda d: d["position"] == 1, after=mark)


async def test_urgent_and_under_18_go_first(visitor):
    a, b, c = await visitor(), await visitor(), await visitor()
    await start(a, age_band="22-26")
    await start(b, age_band="13-15")
    conv_c = await start(c, urgent=True)
    assert conv_c["position"] == 1
    await a.wait_for("queue", lambda d: d["position"] == 3)
    await b.wait_for("queue", lambda d: d["position"] == 2)


async def test_two_operators_each_take_one(visitor, operator):
    op1, _ = await operator()
    op2, _ = await operator()
    v1, v2 = await visitor(), await visitor()
    c1, c2 = await start(v1), await start(v2)
    assert (await op1.call("accept", {"conversation_id": c1["id"]}))["ok"]
    assert (await op2.call("accept", {"conversation_id": c2["id"]}))["ok"]
    await op1.call("message", {"conversation_id": c1["id"], "client_id": "a", "text": "till ett"})
    await op2.call("message", {"conversation_id": c2["id"], "client_id": "b", "text": "till två"})
    assert (await v1.wait_for("message", lambda m: m["from"] == "operator"))["text"] == "till ett"
    assert (await v2.wait_for("message", lambda m: m["from"] == "operator"))["text"] == "till två"
    await asyncio.sleep(0.2)
    assert all(m["conversation_id"] == c1["id"] for m in op1.received("message"))
    assert all(m["conversation_id"] == c2["id"] for m in op2.received("message"))


async def test_grace_period_then_abandoned(server_factory, clients):
    from tests.helpers import Recorder

    live = await server_factory(grace_period_s=1)
    v = Recorder(live.url, "/visitor")
    clients.append(v)
    await v.connect()
    await v.wait_for("session")
    token = v.received("session")[0]["token"]
    conv = await start(v)
    await v.drop()
    await asyncio.sleep(2.0)
    assert await live.ephemeral.get("conv", conv["id"]) is None
    assert await live.ephemeral.get("ckey", conv["id"]) is None
    again = Recorder(live.url, "/visitor")
    clients.append(again)
    await again.connect(auth={"resume": token})
    session = await again.wait_for("session")
    assert session["conversation"] is None


async def test_operator_session_lists_own_chats(server, visitor, operator, clients):
    from tests.helpers import Recorder

    op, login_ = await operator()
    v = await visitor()
    conv = await start(v)
    await op.call("accept", {"conversation_id": conv["id"]})
    await v.call("message", {"client_id": "m1", "text": "hej"})
    # A second console tab (or a reload) gets the chat with its history.
    tab = Recorder(server.url, "/operator", headers={"Cookie": login_.cookie})
    clients.append(tab)
    await tab.connect()
    session = await tab.wait_for("session")
    assert [c["conversation"]["id"] for c in session["chats"]] == [conv["id"]]
    assert "hej" in [m["text"] for m in session["chats"][0]["messages"]]
    assert session["duty"]["on"] is True
